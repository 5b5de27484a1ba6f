"""Special event endpoints: list (any key: the phones show today's events and what to tell people), add and remove
(a dispatcher or admin key).  The events live in the record (:class:`patrol.events.EventBook`)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from patrol.dispatch.clock import zone
from patrol.dispatch.rows import MAX_ID
from patrol.errors import InputError
from patrol.events import PRESENCE_MODES, Event, EventBook, new_event
from patrol.service.auth import Principal
from patrol.service.deps import ServiceState, dispatcher, principal
from patrol.service.idempotent import Once

__all__ = ["EventBody", "events_router"]

EventId = Path(ge=1, le=MAX_ID, description="event id")


class EventBody(BaseModel):
    """A special event (see :func:`patrol.events.new_event`)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=200)
    place: str | None = Field(None, min_length=1, max_length=500,
                              description="anything the geocoder accepts (an intersection, a business, lat,lon)")
    blocks: list[int] | None = Field(None, max_length=200, description="or the event's block ids")
    radius_m: float = Field(0.0, ge=0, le=2000, description="with a place: the blocks within this walk belong too")
    start: str = Field(min_length=4, max_length=40, examples=["2026-06-06 12:00"],
                       description="YYYY-MM-DD HH:MM in the district's time, or ISO-8601")
    end: str = Field(min_length=4, max_length=40, examples=["17:00"], description="as start, or HH:MM the same day")
    crowd: int | None = Field(None, ge=0, le=10_000_000, description="expected people")
    info: str = Field("", max_length=4000, description="what ambassadors tell people")
    ambassadors: int = Field(1, ge=1, le=50, description="ambassadors wanted at or around the event")
    presence: str = Field("dwell", description=f"one of: {', '.join(PRESENCE_MODES)}")
    before_min: float = Field(0.0, ge=0, le=240, description="set-up: presence from this long before the start")
    after_min: float = Field(0.0, ge=0, le=240, description="dispersal: presence until this long after the end")


class RemoveBody(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    note: str = Field("", max_length=2000)


def event_view(st: ServiceState, ev: Event) -> dict:
    """An event as the console and the phone page show it: its fields, local times, and its blocks' lines."""
    tz = st.district.settings.district.timezone
    lines = []
    for _, _, d in st.district.graph.edges(data=True):
        if int(d["block"]) in ev.blocks:
            lines.append([[round(x, 6), round(y, 6)] for x, y in d["geometry"].coords])
    return {**ev.to_dict(tz), "lines": lines}


def events_router(st: ServiceState) -> APIRouter:
    """The event endpoints over one service state."""
    r = APIRouter(prefix="/api", tags=["events"])
    book = EventBook(st.record, st.district)
    tz = st.district.settings.district.timezone

    def local_day(text: str | None) -> date:
        if text is None:
            return st.desk.clock().astimezone(zone(tz)).date()
        try:
            return date.fromisoformat(text)
        except ValueError as exc:
            raise InputError(f"query.date: {text!r} is not YYYY-MM-DD", field="query.date") from exc

    @r.get("/events", summary="Special events from a local date (default today) for some days, with what to tell "
                              "people (any key)")
    def list_events(day: str | None = Query(None, alias="date", description="first local date (YYYY-MM-DD)"),
                    days: int = Query(1, ge=1, le=62, description="how many days"),
                    removed: bool = Query(False, description="removed events too"),
                    _p: Principal = Depends(principal)) -> dict:
        first = local_day(day)
        z = zone(tz)
        lo = datetime(first.year, first.month, first.day, tzinfo=z)
        last = first + timedelta(days=days)
        hi = datetime(last.year, last.month, last.day, tzinfo=z)
        items = book.find(since=lo, until=hi, include_removed=removed)
        return {"date": first.isoformat(), "days": days, "timezone": tz,
                "items": [event_view(st, e) for e in items]}

    @r.get("/events/{event_id}", summary="One event (any key)")
    def show_event(event_id: int = EventId, _p: Principal = Depends(principal)) -> dict:
        return event_view(st, book.get(event_id))

    @r.post("/events", status_code=201, summary="Add a special event (its place resolved to blocks)")
    def add_event(body: EventBody, request: Request, p: Principal = Depends(dispatcher)) -> JSONResponse:
        once = Once(st, request, p, body, status=201)
        if (replayed := once.replay()) is not None:
            return replayed
        ev = new_event(st.district, name=body.name, place=body.place, blocks=body.blocks, radius_m=body.radius_m,
                       start=body.start, end=body.end, crowd=body.crowd, info=body.info,
                       ambassadors=body.ambassadors, presence=body.presence, before_min=body.before_min,
                       after_min=body.after_min)  # checks and geocodes before anything is written
        return once.run(lambda idem: book.add(ev, actor=p.actor, idem=idem), lambda e: event_view(st, e))

    @r.delete("/events/{event_id}", summary="Remove an event (it stays in the record, marked removed)")
    def remove_event(request: Request, event_id: int = EventId,
                     note: str = Query("", max_length=2000, description="why (kept in the audit trail)"),
                     p: Principal = Depends(dispatcher)) -> JSONResponse:
        once = Once(st, request, p, RemoveBody(note=note), status=200)
        return once.replay() or once.run(lambda idem: book.remove(event_id, note=note, actor=p.actor, idem=idem),
                                         lambda e: event_view(st, e))

    return r
