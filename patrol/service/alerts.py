"""Ambassadors' safety over HTTP: SOS from a phone, "I'm OK", and the alerts the console raises and works.

Alerts (:mod:`patrol.dispatch.alerts`, rules in :mod:`patrol.dispatch.overdue`):

* ``POST /api/ambassadors/{name}/sos`` (an ambassador key: its own): an SOS with the phone's latest fix.  Never
  refused for its position or its time: a fix the desk cannot use gives way to the last position the record has,
  and a phone time outside the window to the time received.  The unit's open incident, if any, goes with it.
* ``POST /api/ambassadors/{name}/checks``: "I'm OK" (answers the on-scene question; a sign of life).
* ``GET /api/alerts`` (any key that reads): first records the overdue alerts due **now by the service's clock**
  (each once), then answers the open alerts (SOS first), each with what is known in plain words and, for an SOS,
  the nearest available units as backup with their walking routes (:meth:`patrol.dispatch.desk.Desk.rank` at the
  SOS position, the ambassador who pressed it left out, units already sent kept with their route); and the alerts
  closed in the last two hours.  A viewer's poll may thus record an alert: the service raises it, not the viewer
  (actor ``service``).
* ``POST /api/alerts/{id}/acknowledge``, ``/actions`` (``backup sent``, ``911 called``, ``note``), ``/resolve``
  (a key that dispatches).  Any step acknowledges an alert not acknowledged yet.  *Backup sent* assigns the unit
  to the alert's incident: the one the ambassador was on, else one opened at the SOS position (``safety and
  wellness``, urgent, source ``patrol``, the ambassador assigned and on scene), so the unit's phone gets the
  assignment and its route, and positions follow the record.

What the phone polls (``/now``) gets :func:`safety_now`: my unit's SOS and what the desk did, my on-scene
question, my messages.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse

from patrol.dispatch.alerts import Alert, AlertAction, SafetyLog
from patrol.dispatch.clock import iso, local_minute, parse_time
from patrol.dispatch.lifecycle import OPEN_STATUSES
from patrol.dispatch.overdue import find_overdue, on_scene_checks, signs_of_life
from patrol.dispatch.roster import Unit
from patrol.dispatch.rows import MAX_ID
from patrol.errors import AuthError, InputError, OutsideDistrictError, PatrolError, TransitionError
from patrol.geocode import Location
from patrol.service.alert_schemas import AlertActionBody, AlertNoteBody, SafetyCheckBody, SosBody
from patrol.service.auth import Principal
from patrol.service.deps import ServiceState, dispatcher, field_writer, reader
from patrol.service.idempotent import Once
from patrol.settings import format_hhmm

__all__ = ["actor_name", "alert_router", "alerts_now", "safety_log", "safety_now", "where_words"]

log = logging.getLogger(__name__)

AlertId = Path(ge=1, le=MAX_ID, description="alert id")
AmbassadorName = Path(min_length=1, max_length=100, description="ambassador or unit name")
#: Closed alerts still listed by ``GET /api/alerts``.
RECENT = timedelta(hours=2)
#: Priority and type of the incident opened for an SOS.
SOS_PRIORITY, SOS_TYPE = "urgent", "safety and wellness"
KIND_WORDS = {"sos": "SOS", "check-in overdue": "On-scene check-in not answered", "no ping": "No ping"}
#: Where an alert's position came from, in words (``<words> HH:MM``).
POSITION_WORDS = {"phone": "the phone's GPS at", "ping": "last ping at", "stale ping": "old ping from",
                  "on scene": "on scene there since", "plan": "estimated from the plan at",
                  "en route": "estimated on the way to an incident at", "after incident": "at their last incident, at"}


def safety_log(st: ServiceState) -> SafetyLog:
    """The service's :class:`SafetyLog` over its record (one per state)."""
    found = st.cache.get("safety_log")
    if not isinstance(found, SafetyLog):
        found = st.cache["safety_log"] = SafetyLog(st.record)
    return found


def actor_name(actor: str | None) -> str | None:
    """The holder's name of a key actor (``key:<id>:<role>:<name>`` -> ``name``), else the actor as it is."""
    if actor is None:
        return None
    parts = actor.split(":", 3)
    return parts[3] if len(parts) == 4 and parts[0] == "key" else actor


def _hhmm(st: ServiceState, t: str | datetime | None) -> str:
    return "" if t is None else format_hhmm(local_minute(parse_time(t), st.district.settings.district.timezone))


def where_words(st: ServiceState, block: int | None, offset_m: float | None) -> str:
    """A point in words: ``on W Lake St, 40 m from Hennepin Ave S & W Lake St`` (the nearer corner)."""
    if block is None:
        return "position unknown"
    blocks = st.cache.get("block_ends")
    if not isinstance(blocks, dict):
        blocks = {}
        g = st.district.graph
        for u, v, d in g.edges(data=True):
            a, b = (u, v) if d["u"] == u else (v, u)
            blocks[int(d["block"])] = (d["name"], g.nodes[a]["label"], g.nodes[b]["label"], float(d["length"]),
                                       bool(d["in_area"]))
        st.cache["block_ends"] = blocks
    name, at_u, at_v, length, _ = blocks[int(block)]
    off = float(offset_m or 0.0)
    near, metres = (at_u, off) if off <= length - off else (at_v, length - off)
    return f"at {near}" if metres < 15 else f"on {name}, {metres:.0f} m from {near}"


def _in_area(st: ServiceState, block: int) -> bool:
    where_words(st, block, 0.0)
    return bool(st.cache["block_ends"][int(block)][4])


def _position_of(st: ServiceState, unit: Unit, moment: datetime) -> dict[str, Any] | None:
    """Where the record places a unit now (:mod:`patrol.dispatch.positions`)."""
    pos = next((s.position for s in st.desk.situation(moment) if s.unit.name == unit.name), None)
    if pos is None:
        return None
    at = moment - timedelta(minutes=pos.age_min) if pos.age_min is not None and pos.source in ("ping", "stale ping") \
        else moment
    return {"lat": pos.lat, "lon": pos.lon, "block": pos.block, "offset_m": pos.offset_m, "at": iso(at),
            "source": pos.source}


def _sos_position(st: ServiceState, unit: Unit, body: SosBody, now: datetime) -> tuple[dict[str, Any] | None, str]:
    """The phone's fix snapped onto the streets when the desk can use it, else the record's last position."""
    why = ""
    if body.lat is not None and body.lon is not None:
        fix_at = body.fix_at or body.at or now
        why = st.desk.fix_refusal(body.lat, body.lon, accuracy_m=body.accuracy_m, t=fix_at) or ""
        if not why:
            try:
                loc = st.district.geocoder.snap(float(body.lat), float(body.lon))
                return {"lat": float(body.lat), "lon": float(body.lon), "block": loc.block, "offset_m": loc.offset_m,
                        "at": iso(min(parse_time(fix_at), now)), "source": "phone"}, ""
            except OutsideDistrictError as exc:
                why = exc.message
    pos = _position_of(st, unit, now)
    return pos, (f"the phone's fix was not used ({why})" if why else "")


def _phone_time(st: ServiceState, value: datetime | None, now: datetime) -> tuple[str, str]:
    """The phone's time of an SOS when the service's window accepts it, else now (an SOS is never refused)."""
    if value is None:
        return iso(now), ""
    reason = st.desk.fix_policy.window.refusal(value, now=now, field="body.at")
    if reason is not None:
        return iso(now), f"the phone's time was not used ({reason})"
    return iso(min(parse_time(value), now)), ""


# ---------------------------------------------------------------------------------------- views
def _title(st: ServiceState, al: Alert) -> str:
    d = al.detail
    if al.kind == "sos":
        return f"SOS from {al.ambassador}" + (f" ({al.unit})" if al.unit != al.ambassador else "")
    if al.kind == "check-in overdue":
        inc = d.get("incident") or {}
        return (f"{al.unit} has not answered \"are you OK?\" at incident #{inc.get('id')} ({inc.get('type')}), on "
                f"scene since {_hhmm(st, d.get('arrived_at'))}, asked at {_hhmm(st, d.get('asked_at'))}")
    last = d.get("last_sign") or {}
    minutes = st.district.settings.alerts.no_ping_min
    return (f"No ping from {al.unit} for {minutes:g} min: last sign {last.get('what', '?')} at "
            f"{_hhmm(st, last.get('at'))}")


def _since_raised(st: ServiceState, al: Alert, moment: datetime) -> dict[str, Any] | None:
    """A sign of life from the unit after the alert fell due (the unit is back), or ``None``."""
    if al.kind == "sos":
        return None
    unit = st.desk.unit(al.unit)
    signs = signs_of_life(st.record, list(unit.names()), parse_time(al.raised_at), moment)
    if al.kind == "check-in overdue":  # only an answer counts here
        asked = parse_time(al.detail.get("asked_at") or al.raised_at)
        answers = [c for c in safety_log(st).checks(units=[al.unit], since=asked, until=moment)]
        return None if not answers else {"at": answers[-1].at, "what": "answered \"I'm OK\""}
    if not signs:
        return None
    last = max(signs.values(), key=lambda s: s.at)
    return {"at": iso(last.at), "what": last.what}


def _backup_ranking(st: ServiceState, al: Alert, sent: frozenset[str], moment: datetime) -> dict[str, Any] | None:
    if al.block is None or al.lat is None or al.lon is None:
        return None
    loc = Location(lat=al.lat, lon=al.lon, block=al.block, offset_m=al.offset_m or 0.0,
                   matched=where_words(st, al.block, al.offset_m), kind="point", in_area=_in_area(st, al.block))
    ranking = st.desk.rank(loc, when=moment, top_routes=3, incident_type=SOS_TYPE, route_also=sent,
                           exclude=frozenset({al.unit}))
    return ranking.to_dict()


def _sent(st: ServiceState, actions: list[AlertAction]) -> frozenset[str]:
    """Units sent as backup whose assignment is still open."""
    out = set()
    for a in actions:
        if a.action == "backup sent" and a.unit and a.incident_id is not None:
            if any(x.ambassador == a.unit and x.cleared_at is None for x in st.record.assignments(a.incident_id)):
                out.add(a.unit)
    return frozenset(out)


def alert_view(st: ServiceState, al: Alert, actions: list[AlertAction], moment: datetime, *,
               rank: bool = True) -> dict[str, Any]:
    """An alert as the console shows it: the row, the desk's steps, plain words, and for an open SOS the backup."""
    out = al.to_dict()
    out.update({"kind_words": KIND_WORDS[al.kind], "title": _title(st, al),
                "where": where_words(st, al.block, al.offset_m) if al.lat is not None else "position unknown",
                "position_words": None if al.position_at is None else
                f"{POSITION_WORDS.get(al.position_source or '', 'position')} {_hhmm(st, al.position_at)}",
                "raised_hhmm": _hhmm(st, al.raised_at),
                "acknowledged_by_name": actor_name(al.acknowledged_by), "closed_by_name": actor_name(al.closed_by),
                "actions": [{**a.to_dict(), "by": actor_name(a.actor), "hhmm": _hhmm(st, a.at)} for a in actions],
                "since": _since_raised(st, al, moment) if al.open else None})
    sent = _sent(st, actions)
    out["sent"] = sorted(sent)
    if al.kind == "sos" and al.open and rank:
        try:
            out["ranking"] = _backup_ranking(st, al, sent, moment)
        except PatrolError as exc:  # the alert is shown whatever happens to its ranking
            log.warning("alert %d: no backup ranking: %s", al.id, exc.message)
            out["ranking"] = None
    return out


def raise_overdue(st: ServiceState, moment: datetime) -> None:
    """Record the overdue alerts of a district's service due at ``moment`` (each once)."""
    s = st.district.settings
    due = find_overdue(st.record, st.desk.situation(moment), moment, s.alerts, s.district.timezone)
    new = safety_log(st).raise_due(due)
    if new:
        log.warning("alerts raised: %s", ", ".join(f"#{a.id} {a.kind} {a.unit}" for a in new))


def open_and_recent(book: SafetyLog, moment: datetime
                    ) -> tuple[list[Alert], list[Alert], dict[int, list[AlertAction]]]:
    """Every open alert (SOS first, oldest first within a kind), those closed in the last :data:`RECENT`, and
    the desk's actions on each (by alert id)."""
    open_ = book.alerts(open_only=True)
    closed = [a for a in book.alerts(since=moment - timedelta(days=1), limit=200)
              if a.closed_at is not None and parse_time(a.closed_at) >= moment - RECENT]
    actions = book.actions([a.id for a in open_ + closed])
    order = {"sos": 0, "check-in overdue": 1, "no ping": 2}
    open_.sort(key=lambda a: (order[a.kind], a.raised_at, a.id))
    return open_, closed, actions


def alerts_now(st: ServiceState, moment: datetime | None = None) -> dict[str, Any]:
    """Record the overdue alerts due at ``moment`` (default now by the service's clock), then every open alert
    (SOS first, oldest first within a kind) and those closed in the last :data:`RECENT`."""
    moment = moment or st.desk.clock()
    raise_overdue(st, moment)
    open_, closed, actions = open_and_recent(safety_log(st), moment)
    rules = st.district.settings.alerts
    return {"at": iso(moment), "alerts": [alert_view(st, a, actions[a.id], moment) for a in open_],
            "recent": [alert_view(st, a, actions[a.id], moment, rank=False) for a in closed],
            "rules": {"checkin_after_min": rules.checkin_after_min, "checkin_answer_min": rules.checkin_answer_min,
                      "no_ping_min": rules.no_ping_min, "message_radius_m": rules.message_radius_m}}


def safety_now(st: ServiceState, unit: Unit, name: str, moment: datetime) -> dict[str, Any]:
    """What the phone of ``name`` (of ``unit``) shows about safety: its unit's SOS (open, or closed in the last
    half hour) with the desk's steps, its on-scene question, its messages of the last 24 hours."""
    book = safety_log(st)
    mine = [a for a in book.alerts(kind="sos", unit=unit.name, since=moment - timedelta(days=1))
            if a.open or parse_time(a.closed_at or a.raised_at) >= moment - timedelta(minutes=30)]
    actions = book.actions([a.id for a in mine])
    sos = [{"id": a.id, "ambassador": a.ambassador, "raised_at": a.raised_at, "acknowledged_at": a.acknowledged_at,
            "acknowledged_by": actor_name(a.acknowledged_by), "closed_at": a.closed_at,
            "backup": [x.unit for x in actions[a.id] if x.action == "backup sent"],
            "called_911": any(x.action == "911 called" for x in actions[a.id]),
            "incident_id": a.incident_id} for a in mine]
    checks = [c.to_dict(moment) for c in on_scene_checks(st.record, moment, st.district.settings.alerts,
                                                         units=[unit.name])]
    messages = []
    for m in book.messages(ambassador=name, since=moment - timedelta(days=1), limit=30):
        me = next(r for r in m.recipients if r.ambassador == name)
        messages.append({"id": m.id, "at": m.at, "text": m.text, "audience": m.audience, "from": actor_name(m.actor),
                         "acknowledged_at": me.acknowledged_at})
    return {"sos": sos, "checks": checks, "messages": messages}


# ---------------------------------------------------------------------------------------- the router
def alert_router(st: ServiceState) -> APIRouter:
    """The SOS, "I'm OK" and alert endpoints over one service state."""
    r = APIRouter(prefix="/api", tags=["alerts"])
    book = safety_log(st)

    @r.post("/ambassadors/{name}/sos", status_code=201,
            summary="SOS from an ambassador's phone, with its latest fix (never refused for a bad fix or time)")
    def sos(body: SosBody, request: Request, name: str = AmbassadorName,
            p: Principal = Depends(field_writer)) -> JSONResponse:
        p.require_ambassador(name)
        unit = st.desk.unit(name)
        once = Once(st, request, p, body, status=201)
        if (replayed := once.replay()) is not None:
            return replayed
        now = st.desk.clock()
        at, late = _phone_time(st, body.at, now)
        position, unused = _sos_position(st, unit, body, now)
        busy = [a for a in st.record.assignments(active_at=now) if a.ambassador == unit.name]
        detail = {"note": body.note, "accuracy_m": body.accuracy_m, "phone_at": None if body.at is None else
                  iso(body.at), "problems": [x for x in (late, unused) if x]}
        return once.run(
            lambda idem: book.raise_sos(unit.name, name.strip(), position=position,
                                        incident_id=busy[-1].incident_id if busy else None, detail=detail, at=at,
                                        actor=p.actor, idem=idem),
            lambda a: {"alert": a.to_dict()})

    @r.post("/ambassadors/{name}/checks", status_code=201,
            summary="\"I'm OK\" from an ambassador (answers the on-scene question; a sign of life)")
    def check(body: SafetyCheckBody, request: Request, name: str = AmbassadorName,
              p: Principal = Depends(field_writer)) -> JSONResponse:
        p.require_ambassador(name)
        unit = st.desk.unit(name)
        once = Once(st, request, p, body, status=201)
        if (replayed := once.replay()) is not None:
            return replayed
        if body.incident_id is not None and not any(a.ambassador == unit.name
                                                    for a in st.record.assignments(body.incident_id)):
            st.record.get_incident(body.incident_id)  # 404 for an unknown incident
            raise AuthError(f"incident {body.incident_id} is not assigned to {unit.name}", field="incident_id")
        now = st.desk.clock()
        at = iso(now) if body.at is None else iso(min(st.desk.fix_policy.window.check(body.at, now=now,
                                                                                     field="body.at"), now))
        return once.run(
            lambda idem: book.check_in(unit.name, name.strip(), incident_id=body.incident_id, lat=body.lat,
                                       lon=body.lon, at=at, actor=p.actor, idem=idem),
            lambda c: {"check": c.to_dict()})

    @r.get("/alerts", summary="Records the overdue alerts due now (each once), then answers the open alerts (SOS "
                              "first, with the nearest units as backup) and those closed in the last 2 hours")
    def alerts(_p: Principal = Depends(reader)) -> dict:
        return alerts_now(st)

    @r.get("/alerts/history", summary="Alerts raised since a time, newest first (open and closed)")
    def history(since: str | None = Query(None, description="raised at or after (ISO-8601; default: 7 days ago)"),
                limit: int = Query(100, ge=1, le=1000), _p: Principal = Depends(reader)) -> dict:
        moment = st.desk.clock()
        start = parse_time(since, field="query.since") if since else moment - timedelta(days=7)
        rows = book.alerts(since=start, limit=limit)
        actions = book.actions([a.id for a in rows])
        return {"at": iso(moment), "alerts": [alert_view(st, a, actions[a.id], moment, rank=False) for a in rows]}

    @r.get("/alerts/{alert_id}", summary="One alert: what is known, the desk's steps, and for an open SOS the backup")
    def one(alert_id: int = AlertId, _p: Principal = Depends(reader)) -> dict:
        al = book.get(alert_id)
        return alert_view(st, al, book.actions([al.id])[al.id], st.desk.clock())

    def _answer(alert_id: int):
        def render(_value: Any) -> dict:  # in the write's transaction (with a key): the alert as just written
            al = book.get(alert_id)
            return {"alert": al.to_dict(), "actions": [a.to_dict() for a in book.actions([al.id])[al.id]]}
        return render

    @r.post("/alerts/{alert_id}/acknowledge", summary="Acknowledge an alert (409 when already acknowledged)")
    def acknowledge(request: Request, body: AlertNoteBody, alert_id: int = AlertId,
                    p: Principal = Depends(dispatcher)) -> JSONResponse:
        once = Once(st, request, p, body, status=200)
        return once.replay() or once.run(
            lambda idem: book.acknowledge(alert_id, note=body.note, actor=p.actor, idem=idem), _answer(alert_id))

    @r.post("/alerts/{alert_id}/resolve", summary="Close an alert as resolved (acknowledging it if needed)")
    def resolve(request: Request, body: AlertNoteBody, alert_id: int = AlertId,
                p: Principal = Depends(dispatcher)) -> JSONResponse:
        once = Once(st, request, p, body, status=200)
        return once.replay() or once.run(
            lambda idem: book.close(alert_id, note=body.note, actor=p.actor, idem=idem), _answer(alert_id))

    @r.post("/alerts/{alert_id}/actions", status_code=201,
            summary="Record a step on an alert: backup sent (assigns the unit), 911 called, note")
    def action(request: Request, body: AlertActionBody, alert_id: int = AlertId,
               p: Principal = Depends(dispatcher)) -> JSONResponse:
        once = Once(st, request, p, body, status=201)
        if (replayed := once.replay()) is not None:
            return replayed
        al = book.get(alert_id)
        if al.closed_at is not None:
            raise TransitionError(f"alert {al.id} was closed at {al.closed_at} by {actor_name(al.closed_by)}",
                                  field="alert_id", details={"closed_at": al.closed_at})
        incident_id = None
        unit_name = None
        if body.action == "backup sent":
            if not body.ambassador:
                raise InputError("backup sent: name the unit to send (ambassador)", field="body.ambassador")
            unit_name = st.any_unit(body.ambassador).name  # in a program, a unit of any district
            if unit_name == al.unit:
                raise InputError(f"{unit_name} raised this alert: send another unit", field="body.ambassador")
            incident_id = _send_backup(st, book, al, unit_name, p)
        return once.run(
            lambda idem: book.add_action(al.id, body.action, unit=unit_name, incident_id=incident_id, note=body.note,
                                         actor=p.actor, idem=idem),
            _answer(al.id))

    return r


def _send_backup(st: ServiceState, book: SafetyLog, al: Alert, unit_name: str, p: Principal) -> int:
    """Assign ``unit_name`` to the alert's incident (opening one at its position when it has none open); its id.

    For an SOS the ambassador who pressed it is assigned to an incident opened for it, on scene; for an overdue
    alert the incident opened is to check on the unit, at its last position.

    Several writes, each its own transaction; a retry after a failure part-way finds what was done and does the
    rest (the incident linked to the alert, the units already on it).
    """
    rec, desk = st.record, st.desk
    earlier = [a.incident_id for a in book.actions([al.id])[al.id] if a.incident_id is not None]
    target = None
    for iid in [*reversed(earlier), al.incident_id]:
        if iid is not None and rec.get_incident(iid).status in OPEN_STATUSES:
            target = iid
            break
    words = f"SOS from {al.ambassador} at {_hhmm(st, al.raised_at)}" if al.kind == "sos" else \
        f"check on {al.unit}: {_title(st, al)}"
    if target is None:
        if al.lat is None or al.lon is None:
            raise InputError("the SOS has no position: create an incident where the ambassador is and assign from "
                             "there", field="alert_id")
        loc = desk.locate(f"{al.lat:.6f},{al.lon:.6f}")
        place = where_words(st, loc.block, loc.offset_m)
        what = f"where {al.ambassador} pressed SOS" if al.kind == "sos" else f"last position of {al.unit}"
        inc = rec.new_incident(type=SOS_TYPE, source="patrol", priority=SOS_PRIORITY, notes=words,
                               location_text=f"{what} ({al.lat:.6f},{al.lon:.6f})",
                               matched=place[0].upper() + place[1:], lat=loc.lat, lon=loc.lon, block=loc.block,
                               offset_m=loc.offset_m, in_area=loc.in_area, received_at=al.raised_at, actor=p.actor,
                               district=st.district_key)
        target = inc.id
        if al.incident_id is None:
            linked = book.link_incident(al.id, inc.id, actor=p.actor).incident_id
            if linked is not None and linked != inc.id:
                # another dispatcher opened one for this alert at the same moment: use theirs, close this one
                rec.close_incident(inc.id, note=f"opened twice for SOS alert {al.id}: see #{linked}", actor=p.actor)
                target = linked
        if target == inc.id and al.kind == "sos":  # who pressed SOS is on that incident, on scene
            caller = desk.unit(al.unit)
            desk.assign(inc.id, caller.name, note="pressed SOS", actor=p.actor)
            rec.unit_status(inc.id, caller.name, "on scene", note="pressed SOS", actor=p.actor)
    else:
        inc = rec.get_incident(target)
        if inc.priority != SOS_PRIORITY:
            rec.update_incident(target, priority=SOS_PRIORITY, notes=words, actor=p.actor)
    if not any(a.ambassador == unit_name and a.cleared_at is None for a in rec.assignments(target)):
        st.assign_any(target, unit_name, note=f"backup for SOS alert {al.id}", actor=p.actor)
    return int(target)
