"""Ambassadors in the field: duty status and positions, pings from phones, logged interactions.

An ambassador key writes only for its own ambassador (:meth:`Principal.require_ambassador`); a
dispatcher or admin key may write for anyone (a position or a log relayed by radio).
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from patrol.dispatch.clock import iso
from patrol.dispatch.rows import FixResult
from patrol.errors import InputError, OutsideDistrictError
from patrol.service.auth import Principal
from patrol.service.deps import ServiceState, dispatcher, field_writer, reader
from patrol.service.idempotent import Once
from patrol.service.incidents import page, since_time
from patrol.service.schemas import (
    CheckinBody,
    DutyBody,
    InteractionBody,
    Page,
    PingAck,
    PingBatch,
    PingBatchAck,
    PingBody,
)

__all__ = ["ambassadors_now", "batch_ack", "field_router", "ping_ack"]

AmbassadorName = Path(min_length=1, max_length=100, description="ambassador or unit name")


def ambassadors_now(st: ServiceState) -> dict:
    """Every unit's duty status, where its status came from, its position and the freshness of it."""
    moment = st.desk.clock()
    busy = st.record.busy(moment)
    units = []
    for unit, status, source, pos in st.desk.situation(moment):
        units.append({
            "name": unit.name,
            "members": list(unit.members),
            "status": status,
            "status_source": source,
            "incident_id": next((busy[n] for n in unit.names() if n in busy), None),
            "position": None if pos is None else {
                "lat": round(pos.lat, 6), "lon": round(pos.lon, 6), "block": pos.block,
                "offset_m": round(pos.offset_m, 1), "source": pos.source, "estimated": pos.estimated,
                "age_min": pos.age_min, "accuracy_m": pos.accuracy_m, "activity": pos.activity},
        })
    return {"at": iso(moment), "stale_ping_min": st.district.settings.dispatch.stale_ping_min, "units": units}


def _where(st: ServiceState, lat: float | None, lon: float | None, where: str | None) -> dict:
    """Where a log was made: a location text (geocoded), or a GPS fix snapped onto the streets.

    A fix the desk refuses (0,0, far outside the district ...) is a 422 naming why; a usable fix far from
    every street is kept unsnapped (no block).
    """
    if where:
        loc = st.desk.locate(where)
    elif lat is not None and lon is not None:
        reason = st.desk.fix_refusal(lat, lon)
        if reason is not None:
            raise InputError(f"body.lat, body.lon: {reason}", field="body.lat")
        try:
            loc = st.district.geocoder.snap(float(lat), float(lon))
        except OutsideDistrictError:
            return {"lat": float(lat), "lon": float(lon)}
    elif lat is not None or lon is not None:
        raise InputError("give both lat and lon (or neither)", field="body.lat" if lat is None else "body.lon")
    else:
        return {}
    return {"lat": loc.lat, "lon": loc.lon, "block": loc.block, "offset_m": loc.offset_m}


def ping_ack(name: str, res: FixResult) -> dict:
    """The answer to a single ping (:class:`~patrol.service.schemas.PingAck`)."""
    return {"id": res.id, "ambassador": name, "status": res.status, "snapped": res.snapped, "reason": res.reason}


def batch_ack(results: list[FixResult]) -> dict:
    """The answer to a batch (:class:`~patrol.service.schemas.PingBatchAck`)."""
    counts = {s: 0 for s in ("stored", "duplicate", "refused")}
    for r in results:
        counts[r.status] += 1
    return {"ids": [r.id for r in results], "count": counts["stored"], "duplicates": counts["duplicate"],
            "refused": counts["refused"], "results": [r.to_dict() for r in results]}


def field_router(st: ServiceState) -> APIRouter:
    """The ambassador endpoints over one service state."""
    cfg = st.config
    r = APIRouter(prefix="/api", tags=["ambassadors"])
    Limit = Query(cfg.default_page_size, ge=1, le=cfg.max_page_size, description="page size")
    Offset = Query(0, ge=0, le=1_000_000)

    @r.get("/ambassadors", summary="Duty status and position (with its freshness) of every unit, now")
    def ambassadors(_p: Principal = Depends(reader)) -> dict:
        return ambassadors_now(st)

    @r.post("/ambassadors/{name}/duty", status_code=201,
            summary="Record a duty status change: on shift, on break, busy, off duty")
    def set_duty(body: DutyBody, request: Request, name: str = AmbassadorName,
                 p: Principal = Depends(dispatcher)) -> JSONResponse:
        once = Once(st, request, p, body, status=201)
        return once.replay() or once.run(
            lambda idem: st.desk.set_duty(name, body.status, note=body.note, actor=p.actor, idem=idem),
            lambda d: d.to_dict())

    @r.post("/ambassadors/{name}/pings", status_code=201, response_model=PingAck,
            summary="A position ping from an ambassador's phone (snapped to the streets; a fix far from every "
                    "street is kept unsnapped)")
    async def ping(body: PingBody, request: Request, name: str = AmbassadorName,
                   p: Principal = Depends(field_writer)) -> JSONResponse:
        p.require_ambassador(name)
        st.desk.unit(name)
        name = name.strip()
        fix = {"ambassador": name, "lat": body.lat, "lon": body.lon, "t": body.t, "accuracy_m": body.accuracy_m,
               "key": body.key}
        reason = st.desk.fix_refusal(body.lat, body.lon, accuracy_m=body.accuracy_m, t=body.t)
        if reason is not None:  # refused before it joins other requests' fixes
            raise InputError(f"the fix was refused: {reason}", field="body", details={"reason": reason})
        once = Once(st, request, p, body, status=201)
        if once.key is not None:  # its own transaction (group-committed with the others): stored with its key
            return await run_in_threadpool(
                lambda: once.replay() or once.run(lambda idem: st.desk.ping_many([fix], actor=p.actor, idem=idem),
                                                  lambda res: ping_ack(name, res[0])))
        res = await st.pings.submit(fix, p.actor)
        # a Response is sent as is (the documented PingAck), skipping the response model's validation
        return JSONResponse(ping_ack(name, res), status_code=201)

    @r.post("/pings", status_code=201, response_model=PingBatchAck,
            summary="A batch of pings in one transaction (fixes too far from every street are kept unsnapped)")
    def ping_batch(body: PingBatch, request: Request, p: Principal = Depends(field_writer)) -> JSONResponse:
        if len(body.pings) > cfg.max_batch_pings:
            raise InputError(f"at most {cfg.max_batch_pings} pings in one batch (got {len(body.pings)})",
                             field="body.pings")
        for q in body.pings:
            p.require_ambassador(q.ambassador)
        once = Once(st, request, p, body, status=201)
        return once.replay() or once.run(
            lambda idem: st.desk.ping_many([q.model_dump() for q in body.pings], actor=p.actor, idem=idem),
            batch_ack)

    @r.get("/ambassadors/{name}/pings", response_model=Page, summary="An ambassador's pings by fix time")
    def pings(name: str = AmbassadorName, since: str | None = Query(None, description="ISO-8601"),
              limit: int = Limit, offset: int = Offset, _p: Principal = Depends(reader)) -> dict:
        st.desk.unit(name)
        rows = st.record.pings(ambassador=name, since=since_time(since), limit=limit + 1, offset=offset)
        return page([q.to_dict() for q in rows], limit, offset)

    @r.post("/ambassadors/{name}/interactions", status_code=201,
            summary="Log an interaction (business check-in, referral, information sharing, hazard ...)")
    def interaction(body: InteractionBody, request: Request, name: str = AmbassadorName,
                    p: Principal = Depends(field_writer)) -> JSONResponse:
        p.require_ambassador(name)
        st.desk.unit(name)
        once = Once(st, request, p, body, status=201)
        if (replayed := once.replay()) is not None:
            return replayed
        where = _where(st, body.lat, body.lon, body.where)
        return once.run(
            lambda idem: st.record.log_interaction(
                name, body.type, referral_type=body.referral_type, business=body.business,
                incident_id=body.incident_id, notes=body.notes, actor=p.actor, idem=idem, **where),
            lambda i: i.to_dict())

    @r.post("/ambassadors/{name}/checkins", status_code=201, summary="Log a completed business check-in")
    def checkin(body: CheckinBody, request: Request, name: str = AmbassadorName,
                p: Principal = Depends(field_writer)) -> JSONResponse:
        p.require_ambassador(name)
        st.desk.unit(name)
        once = Once(st, request, p, body, status=201)
        if (replayed := once.replay()) is not None:
            return replayed
        where = _where(st, body.lat, body.lon, None)
        return once.run(
            lambda idem: st.record.log_interaction(name, "business check-in", business=body.business,
                                                   notes=body.notes, actor=p.actor, idem=idem, **where),
            lambda i: i.to_dict())

    @r.get("/interactions", response_model=Page, summary="Logged interactions, oldest first")
    def interactions(ambassador: str | None = Query(None, max_length=100), type: str | None = Query(None),
                     since: str | None = Query(None, description="ISO-8601"), limit: int = Limit,
                     offset: int = Offset, _p: Principal = Depends(reader)) -> dict:
        rows = st.record.interactions(ambassador=ambassador, type=type, since=since_time(since), limit=limit + 1,
                                      offset=offset)
        return page([i.to_dict() for i in rows], limit, offset)

    return r
