"""Incident endpoints: create (with the ranked responders), rank, assign, status, outcomes, list, show.

Each handler checks the caller's role, calls :class:`patrol.dispatch.Desk` or
:class:`patrol.dispatch.Record` with the key's actor, and returns what they return as JSON.
"""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Body, Depends, Path, Query, Request
from fastapi.responses import JSONResponse

from patrol.dispatch.clock import parse_time
from patrol.dispatch.lifecycle import next_statuses
from patrol.dispatch.rows import MAX_ID
from patrol.service.auth import Principal
from patrol.service.deps import ServiceState, dispatcher, reader
from patrol.service.idempotent import Once
from patrol.service.jsonbody import JSONBody
from patrol.service.schemas import (
    AssignBody,
    CloseBody,
    IncidentCreate,
    IncidentOut,
    IncidentPatch,
    OutcomeBody,
    Page,
    RankBody,
    StatusBody,
)
from patrol.vocab import STATUSES

__all__ = ["create", "incident_router", "page", "rank_incident", "ranked", "since_time"]

IncidentId = Path(ge=1, le=MAX_ID, description="incident id")


def page(items: list, limit: int, offset: int) -> dict:
    """A page from ``limit + 1`` rows read from ``offset``: ``next_offset`` when there are more."""
    more = len(items) > limit
    return {"items": items[:limit], "limit": limit, "offset": offset, "next_offset": offset + limit if more else None}


def since_time(value: str | None) -> datetime | None:
    """A ``since`` query value as a time (422 naming ``query.since`` when it is not one)."""
    return None if value is None else parse_time(value, field="query.since")


def rank_incident(st: ServiceState, incident, *, top_routes: int = 3) -> dict | None:
    """The ranking at an incident's stored point, now (``None`` when it has no point).

    Units already sent (assignments not cleared) get their route too, from where they are now.
    """
    if incident.block is None:
        return None
    sent = frozenset(a.ambassador for a in st.record.assignments(incident.id) if a.cleared_at is None)
    out = st.desk.rank_incident(incident, top_routes=top_routes, route_also=sent).to_dict()
    out["location"]["text"] = incident.location_text
    return out


def _detail(st: ServiceState, incident_id: int) -> dict:
    detail = st.record.incident_detail(incident_id)
    detail["next_statuses"] = next_statuses(detail["incident"]["status"])
    return detail


async def create(st: ServiceState, p: Principal, body: IncidentCreate, once: Once) -> JSONBody:
    """``POST /api/incidents``: the incident stored (once per idempotency key) with the ranking at its point,
    201.  The location is geocoded and ranked first: a place that cannot be found writes nothing.

    The ranking runs on the event loop (CPU and reads that never wait for a commit; in a worker thread the
    thread hop and the contention for the interpreter's lock cost more than the ranking itself,
    ``docs/bench/service.md``); the durable write joins the other requests' writes in flight
    (:class:`~patrol.service.batcher.WriteBatcher`: one thread hop and one commit for them all).

    Raises
    ------
    GeocodeError, OutsideDistrictError, InputError
        An unknown place, a place off the district's streets, a ``received_at`` outside the sane window.
    """
    if (replayed := once.replay()) is not None:
        return replayed
    if body.received_at is not None:
        st.desk.fix_policy.window.check(body.received_at, now=st.desk.clock(), field="body.received_at")
    ranking = st.desk.rank(body.location).to_dict()  # geocodes (errors before anything is written)
    return await st.writes.run(lambda: once.run(
        lambda idem: st.desk.new_incident(body.location, type=body.type, source=body.source,
                                          priority=body.priority, notes=body.notes,
                                          received_at=body.received_at, actor=p.actor, idem=idem),
        lambda inc: {"incident": inc.to_dict(), "ranking": ranking}))


def ranked(st: ServiceState, body: RankBody) -> JSONBody:
    """``POST /api/rank``: who is nearest to a location now (nothing is written; run on the event loop, as the
    ranking of :func:`create`)."""
    return JSONBody(st.desk.rank(body.location).to_dict())


def incident_router(st: ServiceState) -> APIRouter:
    """The incident endpoints over one service state (page sizes bounded by its config)."""
    cfg = st.config
    r = APIRouter(prefix="/api", tags=["incidents"])
    Limit = Query(cfg.default_page_size, ge=1, le=cfg.max_page_size, description="page size")
    Offset = Query(0, ge=0, le=100_000)

    @r.post("/incidents", status_code=201, summary="Create an incident; returns it with the ranked responders")
    async def create_incident(body: IncidentCreate, request: Request,
                              p: Principal = Depends(dispatcher)) -> JSONResponse:
        return await create(st, p, body, Once(st, request, p, body, status=201))

    @r.post("/rank", response_model=dict, summary="Who is nearest to a location now (nothing is written)")
    async def rank(body: RankBody, _p: Principal = Depends(reader)) -> JSONBody:
        return ranked(st, body)

    @r.get("/incidents", response_model=Page, summary="List incidents, newest first")
    def list_incidents(status: str | None = Query(None, description=f"one of: {', '.join(STATUSES)}"),
                       open: bool = Query(False, description="only open incidents (new .. on scene)"),
                       since: str | None = Query(None, description="received at or after (ISO-8601)"),
                       limit: int = Limit, offset: int = Offset,
                       _p: Principal = Depends(reader)) -> dict:
        rows = st.record.list_incidents(status=status, open_only=open, since=since_time(since), limit=limit + 1,
                                        offset=offset)
        return page([i.to_dict() for i in rows], limit, offset)

    @r.get("/incidents/{incident_id}", summary="One incident: assignments, status history, outcomes, audit trail")
    def show_incident(incident_id: int = IncidentId, _p: Principal = Depends(reader)) -> dict:
        return _detail(st, incident_id)

    @r.get("/incidents/{incident_id}/ranking", response_model=dict,
           summary="The ranked responders for an incident, now")
    def incident_ranking(incident_id: int = IncidentId, _p: Principal = Depends(reader)) -> JSONBody:
        inc = st.record.get_incident(incident_id)
        return JSONBody({"incident": inc.to_dict(), "ranking": rank_incident(st, inc)})

    @r.post("/incidents/{incident_id}/assign", status_code=201,
            summary="Assign a unit (default: the top of the ranking), recording its ETA")
    def assign(request: Request, incident_id: int = IncidentId, body: AssignBody = Body(default_factory=AssignBody),
               p: Principal = Depends(dispatcher)) -> JSONResponse:
        once = Once(st, request, p, body, status=201)
        return once.replay() or once.run(
            lambda idem: st.desk.assign(incident_id, body.ambassador, note=body.note, eta_min=body.eta_min,
                                        actor=p.actor, idem=idem),
            lambda a: {"assignment": a.to_dict(), "incident": st.record.get_incident(a.incident_id).to_dict()})

    @r.post("/incidents/{incident_id}/status", response_model=IncidentOut,
            summary="Move an incident along its life cycle (en route, on scene, resolved, closed, new = unassign)")
    def set_status(body: StatusBody, request: Request, incident_id: int = IncidentId,
                   p: Principal = Depends(dispatcher)) -> JSONResponse:
        once = Once(st, request, p, body, status=200)
        return once.replay() or once.run(
            lambda idem: st.record.set_status(incident_id, body.status, note=body.note, actor=p.actor, idem=idem),
            lambda inc: inc.to_dict())

    @r.post("/incidents/{incident_id}/outcomes", status_code=201, summary="Record outcomes, actions and referrals")
    def add_outcomes(body: OutcomeBody, request: Request, incident_id: int = IncidentId,
                     p: Principal = Depends(dispatcher)) -> JSONResponse:
        once = Once(st, request, p, body, status=201)
        return once.replay() or once.run(
            lambda idem: st.record.add_outcome(incident_id, outcomes=body.outcomes, actions=body.actions,
                                               referrals=body.referrals, note=body.note, actor=p.actor, idem=idem),
            lambda rows: {"outcomes": [o.to_dict() for o in rows]})

    @r.post("/incidents/{incident_id}/close", response_model=IncidentOut,
            summary="Record outcomes and close (on scene goes through resolved), in one transaction")
    def close(request: Request, body: CloseBody = Body(default_factory=CloseBody), incident_id: int = IncidentId,
              p: Principal = Depends(dispatcher)) -> JSONResponse:
        once = Once(st, request, p, body, status=200)
        return once.replay() or once.run(
            lambda idem: st.record.close_incident(incident_id, outcomes=body.outcomes, actions=body.actions,
                                                  referrals=body.referrals, note=body.note, actor=p.actor,
                                                  idem=idem),
            lambda inc: inc.to_dict())

    @r.patch("/incidents/{incident_id}", response_model=IncidentOut,
             summary="Change priority or type, or append to the notes")
    def patch(body: IncidentPatch, request: Request, incident_id: int = IncidentId,
              p: Principal = Depends(dispatcher)) -> JSONResponse:
        once = Once(st, request, p, body, status=200)
        return once.replay() or once.run(
            lambda idem: st.record.update_incident(incident_id, notes=body.notes, priority=body.priority,
                                                   type=body.type, actor=p.actor, idem=idem),
            lambda inc: inc.to_dict())

    return r
