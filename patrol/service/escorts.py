"""Safety escort endpoints: the dispatcher's (request, who can reach A soonest with the walk and the cost, assign,
steps, finish, cancel, list) and the phone's (my escorts, my steps, a walk-up escort I take on the spot).

An ambassador key acts only for its own unit: it may request an escort (taking it on the spot, or for the desk to
assign), read and move only the escorts its unit has.  A viewer key reads.  Times sent by a phone (``at``) are
checked against the service's clock as for every field write.
"""

from __future__ import annotations

import re
from datetime import datetime

from fastapi import APIRouter, Body, Depends, Path, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from patrol.dispatch.clock import iso, local_moment, parse_time, zone
from patrol.dispatch.escort_desk import EscortDesk
from patrol.dispatch.escorts import OUTCOMES, STATUSES, STEPS, Escort
from patrol.dispatch.roster import Unit
from patrol.dispatch.rows import MAX_ID
from patrol.errors import AuthError, InputError
from patrol.service.auth import Principal
from patrol.service.deps import ServiceState, dispatcher, field_writer, principal, reader
from patrol.service.idempotent import Once
from patrol.service.incidents import page
from patrol.vocab import SOURCES

__all__ = ["escort_router"]

EscortId = Path(ge=1, le=MAX_ID, description="escort id")
AmbassadorName = Path(min_length=1, max_length=100, description="ambassador or unit name")
_HHMM = re.compile(r"^\d{1,2}:\d{2}$")
_AT = "when it happened, on the phone (default: when received); from 7 days ago to 10 minutes ahead"


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class EscortRequest(_In):
    """Walk person(s) from A to B, now or at a time."""

    start: str = Field(alias="from", min_length=1, max_length=500, examples=["Walker Library"],
                       description="A: anything the geocoder accepts")
    to: str = Field(min_length=1, max_length=500, examples=["W Lake St & Lyndale Ave S"], description="B")
    at: str | None = Field(None, max_length=40, description="when they want to leave A: HH:MM today (the "
                                                            "district's time) or ISO-8601; default now")
    people: int = Field(1, ge=1, le=50)
    source: str = Field("phone", description=f"one of: {', '.join(SOURCES)}")
    notes: str = Field("", max_length=10000)

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, populate_by_name=True)


class FieldEscortRequest(_In):
    """An escort asked for on the street: from where the phone is (or a place), to B."""

    to: str = Field(min_length=1, max_length=500)
    start: str | None = Field(None, alias="from", min_length=1, max_length=500,
                              description="A (default: the phone's position, lat/lon)")
    lat: float | None = Field(None, ge=-90, le=90)
    lon: float | None = Field(None, ge=-180, le=180)
    people: int = Field(1, ge=1, le=50)
    take: bool = Field(True, description="I take it now (walking with them); false: ask the desk to send someone")
    notes: str = Field("", max_length=10000)
    at: datetime | None = Field(None, description=_AT)

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, populate_by_name=True)


class EscortAssign(_In):
    ambassador: str | None = Field(None, min_length=1, max_length=100,
                                   description="unit to send (default: the first who can reach A)")
    note: str = Field("", max_length=2000)


class EscortStep(_In):
    status: str = Field(description=f"one of: {', '.join(STEPS)} (under way: walking with the person(s))")
    note: str = Field("", max_length=2000)
    at: datetime | None = Field(None, description=_AT)


class EscortFinish(_In):
    outcome: str = Field(description=f"one of: {', '.join(OUTCOMES)}")
    note: str = Field("", max_length=2000)
    at: datetime | None = Field(None, description=_AT)


class EscortCancel(_In):
    note: str = Field("", max_length=2000)


def escort_router(st: ServiceState) -> APIRouter:
    """The escort endpoints over one service state."""
    cfg = st.config
    r = APIRouter(prefix="/api", tags=["escorts"])
    desk = EscortDesk(st.desk)
    book = desk.book
    tz = st.district.settings.district.timezone

    def wanted(text: str | None) -> datetime | None:
        """When the person(s) want to leave A: ``HH:MM`` today in the district's time, or ISO-8601."""
        if text is None:
            return None
        t = text.strip()
        if _HHMM.match(t):
            return local_moment(t, tz, on=st.desk.clock().astimezone(zone(tz)).date())
        return parse_time(t, field="body.at")

    def when(value: datetime | None, not_before: str | None = None) -> str:
        now = st.desk.clock()
        t = now if value is None else min(st.desk.fix_policy.window.check(value, now=now, field="body.at"), now)
        if not_before is not None:
            t = max(t, parse_time(not_before))
        return iso(t)

    def view(e: Escort, *, route: bool = True) -> dict:
        out: dict = {"escort": e.to_dict()}
        if route:
            out["walk"] = desk.walk_of(e).to_dict()
        return out

    def mine(p: Principal, name: str) -> Unit:
        """The unit of a name, for a key that may act for it (an ambassador key: its own only)."""
        unit = st.desk.unit(name)
        if p.role == "ambassador" and p.ambassador not in unit.names():
            raise AuthError(f"this key belongs to {p.ambassador}: it may not act for {name!r}", field="ambassador",
                            details={"key_ambassador": p.ambassador})
        return unit

    def theirs(unit: Unit, escort_id: int) -> Escort:
        e = book.get(escort_id)
        if e.unit != unit.name:
            raise AuthError(f"escort {escort_id} is not {unit.name}'s", field="escort_id", details={"unit": unit.name})
        return e

    # ------------------------------------------------------------------ the dispatcher
    @r.post("/escorts", status_code=201,
            summary="Request a safety escort from A to B (now or at a time); returns it with its walk and who can "
                    "reach A soonest, with the cost of each to the plan")
    def request_escort(body: EscortRequest, request: Request, p: Principal = Depends(dispatcher)) -> JSONResponse:
        once = Once(st, request, p, body, status=201)
        if (replayed := once.replay()) is not None:
            return replayed
        at = wanted(body.at)
        if body.source not in SOURCES:
            raise InputError(f"body.source: {body.source!r} is not one of {', '.join(SOURCES)}", field="body.source")
        desk.walk(body.start, body.to)  # geocodes both before anything is written
        return once.run(lambda idem: desk.request(body.start, body.to, wanted_at=at, people=body.people,
                                                  source=body.source, notes=body.notes, actor=p.actor, idem=idem),
                        lambda e: desk.options(e))

    @r.get("/escorts", summary="Escorts, newest wanted first (open: requested, assigned or under way)")
    def list_escorts(open: bool = Query(False), status: str | None = Query(None, description=", ".join(STATUSES)),
                     unit: str | None = Query(None, max_length=100),
                     limit: int = Query(cfg.default_page_size, ge=1, le=cfg.max_page_size),
                     offset: int = Query(0, ge=0, le=100_000), _p: Principal = Depends(reader)) -> dict:
        rows = book.find(open_only=open, status=status, unit=unit, limit=limit + 1, offset=offset)
        return page([e.to_dict() for e in rows], limit, offset)

    @r.get("/escorts/{escort_id}", summary="One escort: its walk from A to B and, while open, who can reach A "
                                           "soonest with the cost to the plan")
    def show_escort(escort_id: int = EscortId, _p: Principal = Depends(reader)) -> dict:
        e = book.get(escort_id)
        if e.status in ("requested", "assigned", "under way"):
            return desk.options(e)
        return {**view(e), "audit": [a.to_dict() for a in st.record.audit(entity="escort", entity_id=e.id)]}

    @r.post("/escorts/{escort_id}/assign", status_code=201,
            summary="Send a unit (default: the first who can reach A), recording its walk to A")
    def assign(request: Request, escort_id: int = EscortId, body: EscortAssign = Body(default_factory=EscortAssign),
               p: Principal = Depends(dispatcher)) -> JSONResponse:
        once = Once(st, request, p, body, status=201)
        return once.replay() or once.run(
            lambda idem: desk.assign(escort_id, body.ambassador, note=body.note, actor=p.actor, idem=idem), view)

    @r.post("/escorts/{escort_id}/status", summary="A step of the unit sent: accepted, en route, under way")
    def step(body: EscortStep, request: Request, escort_id: int = EscortId,
             p: Principal = Depends(dispatcher)) -> JSONResponse:
        once = Once(st, request, p, body, status=200)
        return once.replay() or once.run(
            lambda idem: book.step(escort_id, body.status, note=body.note, at=when(body.at), actor=p.actor,
                                   idem=idem), view)

    @r.post("/escorts/{escort_id}/finish", summary="How it ended (arrived, ended early, person declined ...)")
    def finish(body: EscortFinish, request: Request, escort_id: int = EscortId,
               p: Principal = Depends(dispatcher)) -> JSONResponse:
        once = Once(st, request, p, body, status=200)
        return once.replay() or once.run(
            lambda idem: book.finish(escort_id, body.outcome, note=body.note, at=when(body.at), actor=p.actor,
                                     idem=idem), view)

    @r.post("/escorts/{escort_id}/cancel", summary="Cancel (no longer needed, or nobody can go)")
    def cancel(request: Request, escort_id: int = EscortId, body: EscortCancel = Body(default_factory=EscortCancel),
               p: Principal = Depends(dispatcher)) -> JSONResponse:
        once = Once(st, request, p, body, status=200)
        return once.replay() or once.run(
            lambda idem: book.cancel(escort_id, note=body.note, actor=p.actor, idem=idem), view)

    # ------------------------------------------------------------------ the phone
    @r.get("/ambassadors/{name}/escorts", summary="My open escorts with the walk (an ambassador key: its own)")
    def my_escorts(name: str = AmbassadorName, p: Principal = Depends(principal)) -> dict:
        if not p.can("read"):
            mine(p, name)
        unit = st.desk.unit(name)
        items = [e for e in book.find(open_only=True, unit=unit.name)]
        return {"unit": unit.name, "items": [view(e) for e in reversed(items)]}

    @r.post("/ambassadors/{name}/escorts", status_code=201,
            summary="Ask for an escort on the street: from here (or a place) to B; taken on the spot by default")
    def field_escort(body: FieldEscortRequest, request: Request, name: str = AmbassadorName,
                     p: Principal = Depends(field_writer)) -> JSONResponse:
        unit = mine(p, name)
        once = Once(st, request, p, body, status=201)
        if (replayed := once.replay()) is not None:
            return replayed
        if body.start:
            start = body.start
        elif body.lat is not None and body.lon is not None:
            reason = st.desk.fix_refusal(body.lat, body.lon)
            if reason is not None:
                raise InputError(f"body.lat, body.lon: {reason}", field="body.lat")
            start = f"{body.lat:.6f},{body.lon:.6f}"
        else:
            pos = next((s.position for s in st.desk.situation() if s.unit.name == unit.name), None)
            if pos is None:
                raise InputError("no position for A: turn on location, or say where from", field="body.from")
            start = f"{pos.lat:.6f},{pos.lon:.6f}"
        at = when(body.at)
        desk.walk(start, body.to)
        return once.run(lambda idem: desk.request(start, body.to, people=body.people, source="walk-up",
                                                  notes=body.notes, requested_at=at, when=at,
                                                  unit=unit.name if body.take else None, started=body.take,
                                                  actor=p.actor, idem=idem), view)

    @r.post("/ambassadors/{name}/escorts/{escort_id}/status", summary="My step on my escort")
    def field_step(body: EscortStep, request: Request, name: str = AmbassadorName, escort_id: int = EscortId,
                   p: Principal = Depends(field_writer)) -> JSONResponse:
        unit = mine(p, name)
        once = Once(st, request, p, body, status=200)
        if (replayed := once.replay()) is not None:
            return replayed
        e = theirs(unit, escort_id)
        at = when(body.at, e.assigned_at)
        return once.run(lambda idem: book.step(escort_id, body.status, unit=unit.name, note=body.note, at=at,
                                               actor=p.actor, idem=idem), view)

    @r.post("/ambassadors/{name}/escorts/{escort_id}/finish", summary="How my escort ended")
    def field_finish(body: EscortFinish, request: Request, name: str = AmbassadorName, escort_id: int = EscortId,
                     p: Principal = Depends(field_writer)) -> JSONResponse:
        unit = mine(p, name)
        once = Once(st, request, p, body, status=200)
        if (replayed := once.replay()) is not None:
            return replayed
        e = theirs(unit, escort_id)
        at = when(body.at, e.started_at or e.assigned_at)
        return once.run(lambda idem: book.finish(escort_id, body.outcome, unit=unit.name, note=body.note, at=at,
                                                 actor=p.actor, idem=idem), view)

    return r
