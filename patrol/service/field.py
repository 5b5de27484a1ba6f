"""Ambassadors in the field: duty status and positions, pings from phones, logged interactions, and what
the phone page (``/field``) reads and writes: my day, my assignments and their steps, a call for backup.

An ambassador key writes only for its own ambassador (:meth:`Principal.require_ambassador`) and reads
only its own day, assignments (with their incidents' notes) and log; a dispatcher or admin key may write
for anyone (a position or a log relayed by radio), a viewer key may read.

Times sent by the page (``at``) are the phone's, kept when an entry waited in the page's queue; a step
on an assignment is never stamped before the assignment was made nor after now.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import datetime

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse, Response

from patrol.dispatch.clock import day_start, iso, local_minute, parse_time, zone
from patrol.dispatch.lifecycle import OPEN_STATUSES
from patrol.dispatch.record import UNIT_STEPS, Assignment
from patrol.dispatch.roster import Unit
from patrol.dispatch.rows import MAX_ID, FixResult
from patrol.errors import AuthError, InputError, OutsideDistrictError, PlanError, TransitionError
from patrol.service.alerts import safety_now
from patrol.service.auth import Principal
from patrol.service.deps import ServiceState, field_writer, principal, reader
from patrol.service.idempotent import Once
from patrol.service.incidents import page, since_time
from patrol.service.jsonbody import JSONBody
from patrol.service.materials import materials_of
from patrol.service.schemas import (
    BackupBody,
    CheckinBody,
    DutyBody,
    FieldCloseBody,
    InteractionBody,
    Page,
    PingAck,
    PingBatch,
    PingBatchAck,
    PingBody,
    UnitStatusBody,
)
from patrol.service.today import PlanSnapshot, checkin_status, find_walker, unit_tasks
from patrol.settings import DAYS, format_hhmm

__all__ = ["accept_ping", "ambassadors_now", "batch_ack", "etagged", "field_router", "log_interaction", "ping_ack"]

#: The next button of a unit's assignment after each of its steps.
NEXT_STEP = {"assigned": "accepted", "accepted": "en route", "en route": "on scene", "on scene": "resolved"}
#: Priority a call for backup raises an incident to.
BACKUP_PRIORITY = "urgent"

AmbassadorName = Path(min_length=1, max_length=100, description="ambassador or unit name")
IncidentId = Path(ge=1, le=MAX_ID, description="incident id")


def etagged(request: Request, etag: str, body: Callable[[], bytes], media_type: str = "application/json"
            ) -> Response:
    """The body with its ``ETag``, or 304 when the request's ``If-None-Match`` names that tag already."""
    headers = {"ETag": etag, "Cache-Control": "no-store"}  # answers hold names and positions: never cached
    sent = [t.strip().removeprefix("W/") for t in (request.headers.get("if-none-match") or "").split(",")]
    if etag in sent or "*" in sent:
        return Response(status_code=304, headers=headers)
    return Response(body(), media_type=media_type, headers=headers)


def _own(p: Principal, name: str) -> Principal:
    """Reads of one ambassador's own things: any key that may read, or that ambassador's key (403 otherwise)."""
    if p.can("read"):
        return p
    if p.role == "ambassador" and str(name).strip() == p.ambassador:
        return p
    raise AuthError(f"this key belongs to {p.ambassador}: it may not read {name!r}'s day, assignments or log"
                    if p.role == "ambassador" else f"a {p.role} key may not read this", field="ambassador",
                    details={"key_ambassador": p.ambassador} if p.role == "ambassador" else {"role": p.role})


def _assignment_view(st: ServiceState, a: Assignment, position) -> dict:
    """One assignment as the phone shows it: the incident, my step and the next, backup units, my route."""
    inc = st.record.get_incident(a.incident_id)
    done = [s for s in UNIT_STEPS if getattr(a, UNIT_STEPS[s]) is not None]
    step = done[-1] if done else "assigned"
    others = [b.ambassador for b in st.record.assignments(inc.id) if b.cleared_at is None and b.id != a.id]
    route = None
    if position is not None and step != "on scene":
        r = st.route_to(position, inc)  # in a program: across the boundary for another district's incident
        if r is not None:
            route = {**r.to_dict(), "eta_min": round(r.distance_m / st.district.settings.speeds.response_m_s / 60, 1),
                     "from": position.source}
    return {"incident": {k: getattr(inc, k) for k in ("id", "type", "priority", "status", "source", "location_text",
                                                        "matched", "lat", "lon", "notes", "received_at")},
            "assignment": a.to_dict(), "step": step, "next": NEXT_STEP[step], "with": others, "route": route}


def _when(st: ServiceState, value: datetime | None, not_before: str | None = None) -> str:
    """The record's time of a write sent by a phone: its own time (within the service's window of accepted
    times, 7 days back to 10 minutes ahead), not before ``not_before`` and not after now."""
    now = st.desk.clock()
    if value is None:
        t = now
    else:
        t = min(st.desk.fix_policy.window.check(value, now=now, field="body.at"), now)
    if not_before is not None:
        t = max(t, parse_time(not_before))
    return iso(t)


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
            "escort_id": pos.escort_id if pos is not None and status == "busy" else None,
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


async def accept_ping(st: ServiceState, p: Principal, name: str, body: PingBody, once: Once) -> JSONBody:
    """``POST /api/ambassadors/{name}/pings``: a fix checked on its own, then stored (201 with its ack).

    Without an idempotency key the fix joins the other requests' fixes in flight (:class:`PingBatcher`);
    with one it has its own transaction (group-committed with the others), stored with its key.

    Raises
    ------
    AuthError, NotFoundError
        A key that may not write for ``name``; an unknown ambassador.
    InputError
        A fix refused (null island, out of range, far from the district, an absurd accuracy or time), before
        it can join other requests' fixes.
    """
    p.require_ambassador(name)
    st.desk.unit(name)
    name = name.strip()
    fix = {"ambassador": name, "lat": body.lat, "lon": body.lon, "t": body.t, "accuracy_m": body.accuracy_m,
           "key": body.key}
    reason = st.desk.fix_refusal(body.lat, body.lon, accuracy_m=body.accuracy_m, t=body.t)
    if reason is not None:  # refused before it joins other requests' fixes
        raise InputError(f"the fix was refused: {reason}", field="body", details={"reason": reason})
    if once.key is not None:  # the key looked up in the write's own transaction
        return await st.writes.run(
            lambda: once.replay() or once.run(lambda idem: st.desk.ping_many([fix], actor=p.actor, idem=idem),
                                              lambda res: ping_ack(name, res[0])))
    res = await st.pings.submit(fix, p.actor)
    # a Response is sent as is (the documented PingAck), skipping the response model's validation
    return JSONBody(ping_ack(name, res), status_code=201)


def _check_assigned(st: ServiceState, unit: Unit, incident_id: int, *, open_only: bool = True) -> Assignment:
    """The unit's (open) assignment on an incident: 403 when it never had one, 409 when it was cleared."""
    rows = [a for a in st.record.assignments(incident_id) if a.ambassador == unit.name]
    if not rows:
        st.record.get_incident(incident_id)  # 404 for an unknown incident
        raise AuthError(f"incident {incident_id} is not assigned to {unit.name}", field="incident_id",
                        details={"unit": unit.name})
    open_rows = [a for a in rows if a.cleared_at is None]
    if open_rows:
        return open_rows[-1]
    if open_only:
        last = rows[-1]
        raise TransitionError(f"{unit.name} is no longer on incident {incident_id} ({last.cleared_reason} at "
                              f"{last.cleared_at})", field="incident_id",
                              details={"cleared_reason": last.cleared_reason, "cleared_at": last.cleared_at})
    return rows[-1]


async def log_interaction(st: ServiceState, p: Principal, name: str, body: InteractionBody, once: Once) -> JSONBody:
    """``POST /api/ambassadors/{name}/interactions``: an interaction logged (201), its point snapped on the loop, its
    write joining the other requests' writes in flight (:class:`~patrol.service.batcher.WriteBatcher`).

    Raises
    ------
    AuthError, NotFoundError
        A key that may not write for ``name`` or an incident not assigned to the ambassador; an unknown ambassador,
        incident or material.
    InputError, GeocodeError
        A fix the desk refuses (0,0, far outside the district ...), a place that cannot be found, a time outside
        the sane window (a usable fix far from every street is kept unsnapped).
    """
    p.require_ambassador(name)
    unit = st.desk.unit(name)
    if (replayed := once.replay()) is not None:
        return replayed
    if body.incident_id is not None and p.role == "ambassador":
        _check_assigned(st, unit, body.incident_id, open_only=False)
    where = _where(st, body.lat, body.lon, body.where)
    at = _when(st, body.at)
    given = materials_of(st).handouts([(m.id, m.count) for m in body.materials])
    return await st.writes.run(lambda: once.run(
        lambda idem: st.record.log_interaction(
            name, body.type, referral_type=body.referral_type, business=body.business,
            incident_id=body.incident_id, notes=body.notes, handouts=given, at=at, actor=p.actor, idem=idem,
            **where),
        lambda i: {**i.to_dict(), "materials": [{"id": m, "kind": k, "count": n} for m, k, n in given]}))


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
            summary="Record a duty status change: on shift, on break, busy, off duty (an ambassador key: its own)")
    def set_duty(body: DutyBody, request: Request, name: str = AmbassadorName,
                 p: Principal = Depends(field_writer)) -> JSONResponse:
        p.require_ambassador(name)
        once = Once(st, request, p, body, status=201)
        if (replayed := once.replay()) is not None:
            return replayed
        at = _when(st, body.at)
        return once.run(
            lambda idem: st.desk.set_duty(name, body.status, note=body.note, at=at, actor=p.actor, idem=idem),
            lambda d: d.to_dict())

    @r.post("/ambassadors/{name}/pings", status_code=201, response_model=PingAck,
            summary="A position ping from an ambassador's phone (snapped to the streets; a fix far from every "
                    "street is kept unsnapped)")
    async def ping(body: PingBody, request: Request, name: str = AmbassadorName,
                   p: Principal = Depends(field_writer)) -> JSONResponse:
        return await accept_ping(st, p, name, body, Once(st, request, p, body, status=201))

    @r.post("/pings", status_code=201, response_model=PingBatchAck,
            summary="A batch of pings in one transaction (fixes too far from every street are kept unsnapped)")
    async def ping_batch(body: PingBatch, request: Request, p: Principal = Depends(field_writer)) -> JSONResponse:
        if len(body.pings) > cfg.max_batch_pings:
            raise InputError(f"at most {cfg.max_batch_pings} pings in one batch (got {len(body.pings)})",
                             field="body.pings")
        for q in body.pings:
            p.require_ambassador(q.ambassador)
        once = Once(st, request, p, body, status=201)
        fixes = [q.model_dump() for q in body.pings]
        return await st.writes.run(  # the key looked up in the write's own transaction
            lambda: once.replay() or once.run(lambda idem: st.desk.ping_many(fixes, actor=p.actor, idem=idem),
                                              batch_ack))

    @r.get("/ambassadors/{name}/pings", response_model=Page, summary="An ambassador's pings by fix time")
    def pings(name: str = AmbassadorName, since: str | None = Query(None, description="ISO-8601"),
              limit: int = Limit, offset: int = Offset, _p: Principal = Depends(reader)) -> dict:
        st.desk.unit(name)
        rows = st.record.pings(ambassador=name, since=since_time(since), limit=limit + 1, offset=offset)
        return page([q.to_dict() for q in rows], limit, offset)

    @r.post("/ambassadors/{name}/interactions", status_code=201,
            summary="Log an interaction (business check-in, referral, information sharing, hazard ...)")
    async def interaction(body: InteractionBody, request: Request, name: str = AmbassadorName,
                          p: Principal = Depends(field_writer)) -> JSONResponse:
        return await log_interaction(st, p, name, body, Once(st, request, p, body, status=201))

    @r.post("/ambassadors/{name}/checkins", status_code=201, summary="Log a completed business check-in")
    def checkin(body: CheckinBody, request: Request, name: str = AmbassadorName,
                p: Principal = Depends(field_writer)) -> JSONResponse:
        p.require_ambassador(name)
        st.desk.unit(name)
        once = Once(st, request, p, body, status=201)
        if (replayed := once.replay()) is not None:
            return replayed
        where = _where(st, body.lat, body.lon, None)
        at = _when(st, body.at)
        return once.run(
            lambda idem: st.record.log_interaction(name, "business check-in", business=body.business,
                                                   notes=body.notes, at=at, actor=p.actor, idem=idem, **where),
            lambda i: i.to_dict())

    @r.get("/ambassadors/{name}/interactions", response_model=Page,
           summary="One ambassador's logged interactions, oldest first (an ambassador key: its own only)")
    def own_interactions(name: str = AmbassadorName, since: str | None = Query(None, description="ISO-8601"),
                         limit: int = Limit, offset: int = Offset, p: Principal = Depends(principal)) -> dict:
        _own(p, name)
        st.desk.unit(name)
        rows = st.record.interactions(ambassador=name.strip(), since=since_time(since), limit=limit + 1,
                                      offset=offset)
        return page([i.to_dict() for i in rows], limit, offset)

    # ------------------------------------------------------------------ the phone page

    def _plan() -> tuple[PlanSnapshot | None, str]:
        if st.plan_file is None:
            return None, "No plan was given to the service today: ask your lead for your route."
        try:
            return st.plan_file.current(), ""
        except PlanError as exc:
            return None, f"Today's plan cannot be read ({exc.message}): ask your lead."

    def _today_version(snap: PlanSnapshot | None, moment) -> str:
        """Changes when the plan, the local date or today's business check-ins change."""
        tz = st.district.settings.district.timezone
        start = day_start(moment, tz)
        row = st.record.query("SELECT count(*) AS n, max(id) AS last FROM interactions "
                              "WHERE type='business check-in' AND at>=?", [iso(start)])[0]
        text = f"{snap.version if snap else 'none'}|{iso(start)}|{row['n']}|{row['last']}"
        return '"' + hashlib.sha256(text.encode()).hexdigest()[:20] + '"'

    def _tasks(snap: PlanSnapshot, walker: str) -> list:
        key = f"tasks:{snap.version}:{walker}"
        tasks = st.cache.get(key)
        if tasks is None:
            if len(st.cache) > 64:
                for k in [k for k in st.cache if k.startswith("tasks:")]:
                    st.cache.pop(k, None)
            tasks = st.cache[key] = unit_tasks(snap.data, walker, st.desk.network, st.district)
        return tasks

    def _businesses(snap: PlanSnapshot | None) -> list[dict]:
        due = {str(b.get("name", "")).strip().lower() for b in (snap.data.get("checkins_due") or [])} if snap else set()
        out = []
        for i, b in enumerate(st.district.businesses):
            a, z, _ = st.district.business_hours(i)
            out.append({"name": b.name, "lat": round(b.lat, 6), "lon": round(b.lon, 6),
                        "hours": f"{format_hhmm(a)}-{format_hhmm(z)}", "due": b.name.strip().lower() in due})
        return out

    @r.get("/ambassadors/{name}/today",
           summary="My day from the current plan: tasks in plain words, my check-ins and whether they are done, "
                   "businesses; ETag = today's version (If-None-Match answers 304)")
    def today(request: Request, name: str = AmbassadorName, p: Principal = Depends(principal)) -> Response:
        _own(p, name)
        unit = st.desk.unit(name)
        moment = st.desk.clock()
        snap, message = _plan()
        version = _today_version(snap, moment)
        return etagged(request, version, lambda: json.dumps(_today_body(unit, name, snap, message, moment, version),
                                                             separators=(",", ":")).encode())

    def _today_body(unit: Unit, name: str, snap: PlanSnapshot | None, message: str, moment, version: str) -> dict:
        s = st.district.settings
        tz = s.district.timezone
        start = day_start(moment, tz)
        local = moment.astimezone(zone(tz))
        tasks, checkins, hotspots, plan_info = [], [], [], None
        if snap is not None:
            walker = find_walker(snap.data, unit.name, unit.members)
            plan_info = {"version": snap.version, "day": snap.data.get("day"), "date": snap.data.get("date"),
                         "walker": walker}
            if walker is None:
                message = f"The plan has no route for {name}: ask your lead."
            else:
                tasks = _tasks(snap, walker)
                done = [i.to_dict() for i in st.record.interactions(type="business check-in", since=iso(start))]
                checkins = [c.to_dict() for c in checkin_status(tasks, done)]
                mine = {t.hotspot for t in tasks if t.hotspot is not None}
                hotspots = [{k: h.get(k) for k in ("id", "street", "lat", "lon")} for h in snap.data.get("hotspots")
                            or [] if h.get("id") in mine]
                today_day = DAYS[local.weekday()]
                if snap.data.get("date") and snap.data["date"] != local.date().isoformat():
                    message = f"This plan is for {snap.data['date']}, not today: ask your lead for today's."
                elif snap.data.get("day") and snap.data["day"] != today_day:
                    message = f"This plan is for a {snap.data['day']}, today is a {today_day}."
        return {"ambassador": name.strip(), "unit": unit.name, "members": list(unit.members),
                "date": local.date().isoformat(), "day_start": iso(start), "timezone": tz,
                "minute": round(local_minute(moment, tz), 2),
                "shift": {"start": format_hhmm(s.shift.start_min), "end": format_hhmm(s.shift.end_min),
                          "days": list(s.shift.days)},
                "version": version, "plan": plan_info, "message": message,
                "tasks": [t.to_dict() for t in tasks], "checkins": checkins, "hotspots": hotspots,
                "businesses": _businesses(snap)}

    @r.get("/ambassadors/{name}/now",
           summary="What the phone polls: my duty status and position, my open assignments with their route, "
                   "and the version of my day (fetch /today again when it changes)")
    def now(name: str = AmbassadorName, p: Principal = Depends(principal)) -> dict:
        _own(p, name)
        unit = st.desk.unit(name)
        moment = st.desk.clock()
        mine = next((e for e in st.desk.situation(moment) if e[0].name == unit.name), None)
        _, status, source, position = mine if mine else (unit, "off duty", "shift", None)
        assignments = [a for a in st.record.assignments(active_at=moment) if a.ambassador == unit.name]
        snap, problem = _plan()
        return {"at": iso(moment), "ambassador": name.strip(), "unit": unit.name,
                "duty": {"status": status, "source": source},
                "position": None if position is None else {
                    "lat": round(position.lat, 6), "lon": round(position.lon, 6), "source": position.source,
                    "age_min": position.age_min},
                "assignments": [_assignment_view(st, a, position) for a in assignments],
                "today_version": _today_version(snap, moment), "plan_version": snap.version if snap else None,
                "plan_problem": problem or None, "poll_s": cfg.field_poll_s, "ping_s": cfg.field_ping_s,
                "stale_ping_min": st.district.settings.dispatch.stale_ping_min,
                **safety_now(st, unit, name.strip(), moment)}  # issue 19: my SOS, on-scene question, messages

    @r.post("/ambassadors/{name}/assignments/{incident_id}/status", status_code=201,
            summary="My step on an assignment: accepted, en route, on scene (the incident moves along with it)")
    def unit_status(body: UnitStatusBody, request: Request, name: str = AmbassadorName,
                    incident_id: int = IncidentId, p: Principal = Depends(field_writer)) -> JSONResponse:
        p.require_ambassador(name)
        unit = st.desk.unit(name)
        once = Once(st, request, p, body, status=201)
        if (replayed := once.replay()) is not None:
            return replayed
        at = _when(st, body.at, _check_assigned(st, unit, incident_id).assigned_at)
        return once.run(
            lambda idem: st.record.unit_status(incident_id, unit.name, body.status, note=body.note, at=at,
                                               actor=p.actor, idem=idem),
            lambda a: {"assignment": a.to_dict(), "incident": st.record.get_incident(incident_id).to_dict()})

    @r.post("/ambassadors/{name}/assignments/{incident_id}/close",
            summary="Close my incident with its outcome, actions and referrals (on scene goes through resolved)")
    def field_close(body: FieldCloseBody, request: Request, name: str = AmbassadorName,
                    incident_id: int = IncidentId, p: Principal = Depends(field_writer)) -> JSONResponse:
        p.require_ambassador(name)
        unit = st.desk.unit(name)
        once = Once(st, request, p, body, status=200)
        if (replayed := once.replay()) is not None:
            return replayed
        a = _check_assigned(st, unit, incident_id)
        at = _when(st, body.at, max(t for t in (a.assigned_at, a.accepted_at, a.en_route_at, a.arrived_at) if t))
        return once.run(
            lambda idem: st.record.close_incident(incident_id, outcomes=body.outcomes, actions=body.actions,
                                                  referrals=body.referrals, note=body.note or f"closed by {unit.name}",
                                                  at=at, actor=p.actor, idem=idem),
            lambda inc: inc.to_dict())

    @r.post("/ambassadors/{name}/backup", status_code=201,
            summary="Ask for backup: on my incident (noted, priority urgent), or a new urgent incident where I am, "
                    "with me on scene")
    def backup(body: BackupBody, request: Request, name: str = AmbassadorName,
               p: Principal = Depends(field_writer)) -> JSONResponse:
        p.require_ambassador(name)
        unit = st.desk.unit(name)
        once = Once(st, request, p, body, status=201)
        if (replayed := once.replay()) is not None:
            return replayed
        at = _when(st, body.at)
        words = f"BACKUP requested by {name.strip()}" + (f": {body.note}" if body.note else "")
        answer = lambda inc, created: {"incident": inc.to_dict(), "created": created}  # noqa: E731
        if body.incident_id is not None:
            _check_assigned(st, unit, body.incident_id)
            inc = st.record.get_incident(body.incident_id)
            if inc.status not in OPEN_STATUSES:
                raise TransitionError(f"incident {inc.id} is {inc.status}", field="body.incident_id")
            return once.run(lambda idem: st.record.update_incident(inc.id, notes=words, priority=BACKUP_PRIORITY,
                                                                   at=at, actor=p.actor, idem=idem),
                            lambda i: answer(i, False))
        if body.lat is not None and body.lon is not None:
            lat, lon = body.lat, body.lon
        else:
            pos = next((e[3] for e in st.desk.situation(at) if e[0].name == unit.name), None)
            if pos is None:
                raise InputError("no position to send backup to: turn on location, or give lat and lon",
                                 field="body.lat")
            lat, lon = pos.lat, pos.lon

        def ask(idem):
            # the key goes with the new incident (the answer); assigning the caller follows in two more writes
            inc = st.desk.new_incident(f"{lat:.6f},{lon:.6f}", type="safety and wellness", source="patrol",
                                       priority=BACKUP_PRIORITY, notes=words, received_at=at, when=at,
                                       actor=p.actor, idem=idem)
            st.desk.assign(inc.id, unit.name, when=at, note="asked for backup", actor=p.actor)
            st.record.unit_status(inc.id, unit.name, "on scene", at=at, actor=p.actor)
            return inc

        return once.run(ask, lambda i: answer(i, True))

    @r.get("/interactions", response_model=Page, summary="Logged interactions, oldest first")
    def interactions(ambassador: str | None = Query(None, max_length=100), type: str | None = Query(None),
                     since: str | None = Query(None, description="ISO-8601"), limit: int = Limit,
                     offset: int = Offset, _p: Principal = Depends(reader)) -> dict:
        rows = st.record.interactions(ambassador=ambassador, type=type, since=since_time(since), limit=limit + 1,
                                      offset=offset)
        return page([i.to_dict() for i in rows], limit, offset)

    return r
