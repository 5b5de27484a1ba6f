"""One service for every district of a program: ``patrol serve --program DIR``.

Built from the one-district service, unchanged: each district gets its own :class:`ServiceState` (its district,
its plan, its :class:`~patrol.dispatch.Desk` with ``district_key``) and its own app (:func:`create_app`), all on
**one record** and one key file.  In front of them, :class:`ProgramRouter` (pure ASGI) answers

* the **program's own routes** (:func:`program_router`), which span districts: the console's state, the incident
  list, new incidents, rankings and assignments (the nearest unit of any district: :mod:`patrol.program.ranking`),
  alerts, the streets, the district summary, interactions.  Each takes an optional ``district`` query parameter
  (a filter; for new incidents and rankings, the home district instead of the one found from the place);
* every other request, forwarded to **one district's app**: the one named by ``district``, else the district
  of the ambassador in the path (``/api/ambassadors/{name}/...``), of the incident (``/api/incidents/{id}/...``), of
  the alert's unit (``/api/alerts/{id}/...``), of the pings in a batch, of a message's ambassador or place; record-
  and key-wide requests (``/api/me``, ``/api/keys``, ``/api/audit``, ``/api/messages`` lists) go to the first
  district and refuse ``district``; the plan endpoints (``/api/plan...``) need ``district`` when the program has
  more than one.  A ``district`` that contradicts the path (an ambassador of another district) is refused (422).

Alerts are never filtered by the console: an SOS of any district shows whatever district is selected.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote

from fastapi import APIRouter, Body, Depends, FastAPI, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import JSONResponse, Response
from starlette.routing import Match

from patrol.dispatch import Desk, Record
from patrol.dispatch.clock import iso
from patrol.dispatch.record import RecordCheck
from patrol.dispatch.roster import plan_units
from patrol.dispatch.rows import MAX_ID
from patrol.district import check_plan_district
from patrol.errors import InputError, NotFoundError, PatrolError
from patrol.geocode import Location
from patrol.program import Program, load_program
from patrol.program.ranking import ProgramDesk, ProgramRanking
from patrol.service.alerts import SOS_TYPE, alert_view, open_and_recent, raise_overdue, safety_log
from patrol.service.app import create_app, open_record, serving, vocab_body
from patrol.service.auth import KeyStore, Principal
from patrol.service.batcher import PingBatcher, WriteBatcher
from patrol.service.config import ServiceConfig
from patrol.service.console import STATIC_DIR, streets_geojson
from patrol.service.deps import ServiceState, dispatcher, principal, reader
from patrol.service.field import ambassadors_now
from patrol.service.following import FollowPlan
from patrol.service.handlers import BodyLimit, _jsonable, install_handlers
from patrol.service.idempotent import Once
from patrol.service.incidents import page, since_time
from patrol.service.schemas import ERROR_RESPONSES, AssignBody, IncidentCreate, Page, RankBody
from patrol.service.security import SecurityHeaders
from patrol.service.today import PlanFile
from patrol.timeline import Timeline, read_plan_file
from patrol.vocab import STATUSES

__all__ = ["ProgramRouter", "ProgramState", "build_program_state", "create_program_app", "program_app_from_env"]

log = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

DistrictParam = Query(None, min_length=1, max_length=40, description="a district of the program (its name in "
                                                                     "program.toml)")
IncidentId = PathParam(ge=1, le=MAX_ID, description="incident id")
#: Forwarded requests that read or write the record or the keys as a whole: any district's app answers them.
_RECORD_WIDE = re.compile(r"^/api/(me|keys(/.*)?|audit|openapi\.json|messages(/\d+)?|alerts/history)$")
_AMBASSADOR = re.compile(r"^/api/ambassadors/([^/]+)(/.*)?$")
_INCIDENT = re.compile(r"^/api/incidents/(\d+)(/.*)?$")
_ALERT = re.compile(r"^/api/alerts/(\d+)(/.*)?$")


@dataclass
class ProgramState:
    """Everything the program's routes need: the program, the shared record and keys, each district's state."""

    config: ServiceConfig
    program: Program
    record: Record
    keys: KeyStore
    states: dict[str, ServiceState]
    desk: ProgramDesk
    startup_check: RecordCheck
    started_at: str
    cache: dict[str, Any] = field(default_factory=dict)

    def state(self, district: str | None = None) -> ServiceState:
        """A district's state (the first district's for ``None``)."""
        return self.states[self.program.default if district is None else self.program.get(district).name]

    def follow_plans(self) -> None:
        """Every district's desk on its plan file's current version."""
        for st in self.states.values():
            st.follow_plan()

    def asked(self, district: str | None) -> str | None:
        """A ``district`` query value checked against the program (422 naming the districts)."""
        if district is None:
            return None
        if district not in self.program.districts:
            raise InputError(f"no district {district!r} in the program; its districts: "
                             f"{', '.join(self.program.districts)}", field="query.district",
                             details={"districts": self.program.names})
        return district

    def own_district(self, p: Principal, district: str | None) -> str | None:
        """``district`` asked, else an ambassador key's own district, else ``None`` (every district)."""
        asked = self.asked(district)
        if asked is None and p.role == "ambassador" and p.ambassador:
            return self.program.district_of(p.ambassador)
        return asked


def build_program_state(config: ServiceConfig) -> ProgramState:
    """Load the program, open the record and the keys, give each district its state and its day's plan.

    A district's plan is ``<config.plans_dir>/<district>/plan.json`` when that file exists (what
    ``patrol plan --program DIR --out PLANS`` writes); it must be that district's plan.

    Raises
    ------
    ConfigError
        When the program cannot be loaded.
    PlanError
        When a plan file is not a plan or is another district's.
    RecordError
        When the record cannot be used.
    """
    if not config.program_path:
        raise InputError("no program given (patrol serve --program DIR)", field="program")
    program = load_program(config.program_path)
    record, check = open_record(config)
    keys = KeyStore(config.resolved_keys_path, cache_s=config.key_cache_s)
    states: dict[str, ServiceState] = {}
    writes = WriteBatcher(record)  # one record: the districts' writes share its batches
    try:
        for key, d in program.districts.items():
            plan_path = Path(config.plans_dir) / key / "plan.json" if config.plans_dir else None
            if plan_path is not None and not plan_path.is_file():
                log.warning("no plan for district %s at %s: served without one", key, plan_path)
                plan_path = None
            timeline = units = None
            if plan_path is not None:
                plan = read_plan_file(plan_path)
                check_plan_district(plan, d.district)
                timeline, units = Timeline.from_dict(plan["timeline"]), plan_units(plan)
            desk = Desk(d.district, record=record, timeline=timeline, units=units, district_key=key)
            desk.rank(d.district.base)  # builds the network and loads the Dijkstra kernel before the first call
            sub = config.with_(district_path=str(d.district.folder), plan_path=None if plan_path is None
                               else str(plan_path))
            states[key] = ServiceState(config=sub, district=d.district, record=record, desk=desk, keys=keys,
                                       writes=writes, pings=PingBatcher(desk, writes), startup_check=check,
                                       started_at=iso(desk.clock()),
                                       plan_file=None if plan_path is None else PlanFile(plan_path), district_key=key)
        pdesk = ProgramDesk(program, {k: s.desk for k, s in states.items()})
        for st in states.values():
            st.dispatch = pdesk  # an alert's backup may come from another district
        pdesk.rank(next(iter(program.districts.values())).district.base)  # builds the joined network now
    except BaseException:
        record.close()
        keys.close()
        raise
    return ProgramState(config, program, record, keys, states, pdesk, check, iso(pdesk.clock()))


# ---------------------------------------------------------------------------------------- the router
class ProgramRouter:
    """Pure ASGI: the program's own routes, or one district's app (see the module docstring)."""

    def __init__(self, app: FastAPI, districts: dict[str, Any], pst: ProgramState):
        self.app = app
        self.districts = districts
        self.pst = pst

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self._own(scope):
            await self.app(scope, receive, send)
            return
        try:
            key, receive = await self._district_for(scope, receive)
        except PatrolError as exc:
            await JSONResponse(_jsonable(exc.to_dict()), status_code=exc.http_status)(scope, receive, send)
            return
        await self.districts[key](scope, receive, send)

    def _own(self, scope: Scope) -> bool:
        return any(route.matches(scope)[0] == Match.FULL for route in self.app.router.routes)

    async def _district_for(self, scope: Scope, receive: Receive) -> tuple[str, Receive]:
        pst, program = self.pst, self.pst.program
        path, method = str(scope.get("path", "")), str(scope.get("method", "GET"))
        values = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("district")
        asked = pst.asked(values[-1]) if values else None
        found, what = None, ""
        if m := _AMBASSADOR.match(path):
            name = unquote(m.group(1)).strip()
            found, what = program.district_of(name), f"ambassador {name}"
            if found is None:
                known = "; ".join(f"{k}: {', '.join(u.name for u in st.desk.units)}" for k, st in pst.states.items())
                raise NotFoundError(f"unknown ambassador or unit {name!r}; known: {known}", field="ambassador")
        elif m := _INCIDENT.match(path):
            rows = pst.record.query("SELECT district FROM incidents WHERE id=?", (int(m.group(1)),))
            found = (rows[0]["district"] or program.default) if rows else program.default
            what = f"incident {m.group(1)}"
        elif m := _ALERT.match(path):
            rows = pst.record.query("SELECT unit FROM alerts WHERE id=?", (int(m.group(1)),))
            found = (program.district_of(rows[0]["unit"]) if rows else None) or program.default
            what = f"alert {m.group(1)}"
        elif method == "POST" and path in ("/api/pings", "/api/messages"):
            body, receive = await _read_body(receive)
            found, what = self._from_body(path, body, asked)
        elif _RECORD_WIDE.match(path):
            if asked is not None:
                raise InputError(f"{path} is the same for every district: the district parameter does not apply",
                                 field="query.district")
            return program.default, receive
        elif path.startswith("/api/plan") and asked is None and len(program.districts) > 1:
            raise InputError(f"each district has its own plan: name it ({path}?district=NAME; districts: "
                             f"{', '.join(program.districts)})", field="query.district")
        if found is not None and asked is not None and asked != found:
            raise InputError(f"{what} is in district {found}, not {asked}", field="query.district",
                             details={"district": found})
        return found or asked or program.default, receive

    def _from_body(self, path: str, body: bytes, asked: str | None) -> tuple[str | None, str]:
        """The district of a ping batch (its ambassadors') or of a message (its ambassador's or place's)."""
        program = self.pst.program
        try:
            data = json.loads(body or b"{}")
        except (ValueError, UnicodeDecodeError):
            return None, ""  # the district's app answers the malformed body
        if not isinstance(data, dict):
            return None, ""
        if path == "/api/pings":
            names = {str(q.get("ambassador") or "").strip() for q in data.get("pings") or [] if isinstance(q, dict)}
            found = {program.district_of(n) or "" for n in names}
            found.discard("")
            if len(found) > 1:
                who = "; ".join(f"{k}: {', '.join(sorted(n for n in names if program.district_of(n) == k))}"
                                for k in sorted(found))
                raise InputError(f"a batch of pings holds one district's ambassadors: send one batch per district "
                                 f"({who})", field="body.pings")
            return (next(iter(found)) if found else None), "the batch's ambassadors"
        to = data.get("to")
        if to == "one" and data.get("ambassador"):
            name = str(data["ambassador"]).strip()
            return program.district_of(name), f"ambassador {name}"
        if to == "near" and asked is None and data.get("location"):
            try:
                return self.pst.desk.locate(str(data["location"]))[0], "the place"
            except PatrolError:
                return None, ""  # the district's app names what is wrong with the place
        if asked is None and len(program.districts) > 1:
            raise InputError("a message to all on duty goes to one district's ambassadors: name the district "
                             f"(?district=NAME; districts: {', '.join(program.districts)})", field="query.district")
        return None, ""


async def _read_body(receive: Receive) -> tuple[bytes, Receive]:
    """The whole request body, and a ``receive`` that gives it again to the app (the size is already bounded by
    :class:`BodyLimit` in front of the router)."""
    chunks: list[bytes] = []
    while True:
        msg = await receive()
        if msg["type"] != "http.request":
            return b"", _replay([msg], receive)
        chunks.append(msg.get("body", b""))
        if not msg.get("more_body"):
            break
    body = b"".join(chunks)
    return body, _replay([{"type": "http.request", "body": body, "more_body": False}], receive)


def _replay(first: list[Message], receive: Receive) -> Receive:
    pending = list(first)

    async def again() -> Message:
        return pending.pop(0) if pending else await receive()

    return again


# ---------------------------------------------------------------------------------------- program routes
def _union_bounds(program: Program) -> dict[str, float]:
    areas = [d.district.settings.area for d in program.districts.values()]
    return {"south": min(a.south for a in areas), "north": max(a.north for a in areas),
            "west": min(a.west for a in areas), "east": max(a.east for a in areas)}


def _units(pst: ProgramState, district: str | None) -> dict[str, Any]:
    keys = [district] if district is not None else pst.program.names
    units: list[dict] = []
    at, stale = None, []
    for k in keys:
        now = ambassadors_now(pst.states[k])
        at = at or now["at"]
        stale.append(now["stale_ping_min"])
        units += [{**u, "district": k} for u in now["units"]]
    return {"at": at, "stale_ping_min": min(stale), "units": units}


def _ranking(pst: ProgramState, r: ProgramRanking, text: str | None = None) -> dict[str, Any]:
    out = r.to_dict()
    if text is not None:
        out["location"]["text"] = text
    return out


def program_alerts(pst: ProgramState, district: str | None = None) -> dict[str, Any]:
    """Every district's alerts (:func:`patrol.service.alerts.alerts_now`, district by district): the overdue ones
    due now recorded, then the open ones (SOS first) and those closed in the last two hours, each with its
    ``district``; an open SOS's backup ranked across the boundary."""
    moment = pst.desk.clock()
    for st in pst.states.values():
        raise_overdue(st, moment)
    open_, closed, actions = open_and_recent(safety_log(pst.state()), moment)

    def view(al, rank: bool) -> dict[str, Any] | None:
        key = pst.program.district_of(al.unit) or pst.program.default
        if district is not None and key != district:
            return None
        out = alert_view(pst.states[key], al, actions[al.id], moment, rank=False)
        out["district"] = key
        if rank and al.kind == "sos" and al.open and al.block is not None and al.lat is not None:
            loc = Location(lat=al.lat, lon=al.lon, block=al.block, offset_m=al.offset_m or 0.0,
                           matched=out["where"], kind="point", in_area=True)
            try:
                out["ranking"] = _ranking(pst, pst.desk.rank(loc, district=key, when=moment, incident_type=SOS_TYPE,
                                                             route_also=frozenset(out["sent"]),
                                                             exclude=frozenset({al.unit})))
            except PatrolError as exc:  # the alert is shown whatever happens to its ranking
                log.warning("alert %d: no backup ranking: %s", al.id, exc.message)
                out["ranking"] = None
        return out

    rules = pst.state().district.settings.alerts
    return {"at": iso(moment), "alerts": [v for a in open_ if (v := view(a, True)) is not None],
            "recent": [v for a in closed if (v := view(a, False)) is not None],
            "rules": {"checkin_after_min": rules.checkin_after_min, "checkin_answer_min": rules.checkin_answer_min,
                      "no_ping_min": rules.no_ping_min, "message_radius_m": rules.message_radius_m}}


def program_router(pst: ProgramState) -> APIRouter:
    """The routes that span the districts of the program (see the module docstring)."""
    cfg = pst.config
    program = pst.program
    r = APIRouter(prefix="/api")
    Limit = Query(cfg.default_page_size, ge=1, le=cfg.max_page_size, description="page size")
    Offset = Query(0, ge=0, le=100_000)

    @r.get("/program", tags=["program"], summary="The program: its districts (area, base, roster, shift) and the "
                                                 "streets they share")
    def program_info(_p: Principal = Depends(principal)) -> dict:
        return {**program.info(), "record": cfg.db_path, "joined": program.joined.info(),
                "poll_interval_s": cfg.poll_interval_s}

    @r.get("/health", tags=["service"], summary="Liveness and the record's state (no key needed); 503 when the "
                                                "record cannot be written")
    async def health() -> JSONResponse:  # no I/O: on the event loop, no thread hop
        last = pst.record.last_error
        body = {"status": "ok" if last is None else "degraded", "time": iso(pst.desk.clock()),
                "program": program.name, "districts": program.names,
                "schema_version": pst.startup_check.schema_version,
                "record": {"integrity": pst.startup_check.integrity, "checked_at": pst.started_at,
                           "writable": pst.startup_check.writable and last is None,
                           "last_error": None if last is None else {"at": last[0], "message": last[1]}}}
        return JSONResponse(body, status_code=200 if last is None else 503)

    @r.get("/district", tags=["district"], summary="One district (district=NAME; an ambassador key: its own), else "
                                                   "the program as one: every district, the areas' bounds")
    def district_info(district: str | None = DistrictParam, p: Principal = Depends(principal)) -> dict:
        key = pst.own_district(p, district)
        if key is not None:
            st = pst.states[key]
            s = st.district.settings
            return {**st.district.info(), "timezone": s.district.timezone, "district": key, "program": program.name,
                    "poll_interval_s": cfg.poll_interval_s, "stale_ping_min": s.dispatch.stale_ping_min}
        first = pst.state().district
        return {"name": f"{program.name}: all districts", "program": program.name, "district": None,
                "timezone": program.timezone, "area_bounds": _union_bounds(program),
                "base": {"name": first.settings.base.name, "at": first.base.matched, "lat": first.base.lat,
                         "lon": first.base.lon},
                "districts": program.info()["districts"], "poll_interval_s": cfg.poll_interval_s,
                "stale_ping_min": min(s.district.settings.dispatch.stale_ping_min for s in pst.states.values())}

    @r.get("/streets", tags=["district"], summary="Street blocks as GeoJSON: one district's (district=NAME; an "
                                                  "ambassador key: its own) or every district's, each with its "
                                                  "district")
    def streets(district: str | None = DistrictParam, p: Principal = Depends(principal)) -> Response:
        key = pst.own_district(p, district)
        cache_key = f"streets:{key or '*'}"
        body = pst.cache.get(cache_key)
        if body is None:
            feats = []
            for k in [key] if key is not None else program.names:
                for f in streets_geojson(pst.states[k].district)["features"]:
                    f["properties"]["district"] = k
                    feats.append(f)
            body = pst.cache[cache_key] = json.dumps({"type": "FeatureCollection", "features": feats},
                                                     separators=(",", ":")).encode()
        return Response(body, media_type="application/geo+json")

    @r.get("/vocab", tags=["service"], summary="The program's lists and every district's units")
    def vocab(_p: Principal = Depends(principal)) -> dict:
        return _vocab(pst)

    @r.get("/state", tags=["service"], summary="What the console polls: units now and open incidents, of every "
                                               "district or of one (district=NAME)")
    def state(district: str | None = DistrictParam, _p: Principal = Depends(reader)) -> dict:
        key = pst.asked(district)
        incidents = pst.record.list_incidents(open_only=True, limit=cfg.max_page_size, district=key)
        return {**_units(pst, key), "incidents": [i.to_dict() for i in incidents],
                "poll_interval_s": cfg.poll_interval_s, "district": key}

    @r.get("/ambassadors", tags=["field"], summary="Duty status and position of every unit, of every district or "
                                                   "of one (district=NAME)")
    def ambassadors(district: str | None = DistrictParam, _p: Principal = Depends(reader)) -> dict:
        return _units(pst, pst.asked(district))

    @r.get("/incidents", tags=["incidents"], response_model=Page,
           summary="List incidents, newest first, of every district or of one (district=NAME)")
    def list_incidents(status: str | None = Query(None, description=f"one of: {', '.join(STATUSES)}"),
                       open: bool = Query(False, description="only open incidents (new .. on scene)"),
                       since: str | None = Query(None, description="received at or after (ISO-8601)"),
                       district: str | None = DistrictParam, limit: int = Limit, offset: int = Offset,
                       _p: Principal = Depends(reader)) -> dict:
        rows = pst.record.list_incidents(status=status, open_only=open, since=since_time(since), limit=limit + 1,
                                         offset=offset, district=pst.asked(district))
        return page([i.to_dict() for i in rows], limit, offset)

    @r.post("/incidents", tags=["incidents"], status_code=201,
            summary="Create an incident in its home district (district=NAME, else the district whose area holds "
                    "the place); returns it with the nearest units of every district")
    def create_incident(body: IncidentCreate, request: Request, district: str | None = DistrictParam,
                        p: Principal = Depends(dispatcher)) -> JSONResponse:
        st = pst.state()
        once = Once(st, request, p, body, status=201)
        if (replayed := once.replay()) is not None:
            return replayed
        if body.received_at is not None:
            st.desk.fix_policy.window.check(body.received_at, now=st.desk.clock(), field="body.received_at")
        home = pst.asked(district)
        ranking = pst.desk.rank(body.location, district=home)  # geocodes (errors before anything is written)
        out = _ranking(pst, ranking)
        return once.run(
            lambda idem: pst.desk.new_incident(body.location, district=ranking.district, type=body.type,
                                               source=body.source, priority=body.priority, notes=body.notes,
                                               received_at=body.received_at, actor=p.actor, idem=idem),
            lambda inc: {"incident": inc.to_dict(), "ranking": out})

    @r.post("/rank", tags=["incidents"], summary="Who is nearest to a place now, in any district (nothing is "
                                                 "written); district=NAME for the home district")
    def rank(body: RankBody, district: str | None = DistrictParam, _p: Principal = Depends(reader)) -> dict:
        return _ranking(pst, pst.desk.rank(body.location, district=pst.asked(district)))

    @r.get("/incidents/{incident_id}/ranking", tags=["incidents"],
           summary="The ranked responders of every district for an incident, now")
    def incident_ranking(incident_id: int = IncidentId, _p: Principal = Depends(reader)) -> dict:
        inc = pst.record.get_incident(incident_id)
        ranked = None
        if inc.block is not None:
            sent = frozenset(a.ambassador for a in pst.record.assignments(inc.id) if a.cleared_at is None)
            ranked = _ranking(pst, pst.desk.rank_incident(inc, route_also=sent), inc.location_text)
        return {"incident": inc.to_dict(), "ranking": ranked}

    @r.post("/incidents/{incident_id}/assign", tags=["incidents"], status_code=201,
            summary="Assign a unit of any district (default: the top of the ranking), recording its ETA")
    def assign(request: Request, incident_id: int = IncidentId, body: AssignBody = Body(default_factory=AssignBody),
               p: Principal = Depends(dispatcher)) -> JSONResponse:
        once = Once(pst.state(), request, p, body, status=201)
        return once.replay() or once.run(
            lambda idem: pst.desk.assign(incident_id, body.ambassador, note=body.note, eta_min=body.eta_min,
                                         actor=p.actor, idem=idem),
            lambda a: {"assignment": a.to_dict(), "incident": pst.record.get_incident(a.incident_id).to_dict(),
                       "district": pst.program.district_of(a.ambassador)})

    @r.get("/alerts", tags=["safety"], summary="Records the overdue alerts due now in every district, then answers "
                                               "the open alerts (SOS first, backup ranked across districts) and those "
                                               "closed in the last 2 hours; district=NAME filters")
    def alerts(district: str | None = DistrictParam, _p: Principal = Depends(reader)) -> dict:
        return program_alerts(pst, pst.asked(district))

    @r.get("/interactions", tags=["field"], response_model=Page,
           summary="Logged interactions, oldest first; district=NAME: its ambassadors' only")
    def interactions(ambassador: str | None = Query(None, max_length=100), type: str | None = Query(None),
                     since: str | None = Query(None, description="ISO-8601"), district: str | None = DistrictParam,
                     limit: int = Limit, offset: int = Offset, _p: Principal = Depends(reader)) -> dict:
        key = pst.asked(district)
        if key is None:
            rows = pst.record.interactions(ambassador=ambassador, type=type, since=since_time(since),
                                           limit=limit + 1, offset=offset)
            return page([i.to_dict() for i in rows], limit, offset)
        names = [n for n, k in program.ambassadors.items() if k == key]
        if ambassador is not None:
            names = [n for n in names if n == ambassador.strip()]
        found = [i for n in names for i in pst.record.interactions(ambassador=n, type=type, since=since_time(since))]
        found.sort(key=lambda i: (i.at, i.id))
        return page([i.to_dict() for i in found[offset:offset + limit + 1]], limit, offset)

    return r


def _vocab(pst: ProgramState) -> dict:
    """``/api/vocab`` of the first district, with every district's units (each with its district)."""
    body = vocab_body(pst.state())
    body["units"] = [{**u, "district": k} for k, st in pst.states.items() for u in vocab_body(st)["units"]]
    return body


def _console_page() -> bytes:
    """The console page with the program's district selector (``console-program.js``) added."""
    html = (STATIC_DIR / "console.html").read_text(encoding="utf-8")
    extra = ('<link rel="stylesheet" href="/static/console-program.css">\n'
             '<script src="/static/console-program.js"></script>\n</body>')
    return html.replace("</body>", extra, 1).encode("utf-8")


def create_program_app(config: ServiceConfig, *, program_state: ProgramState | None = None):
    """The ASGI app of a program: :class:`ProgramRouter` over the program's routes and each district's app."""
    pst = program_state or build_program_state(config)

    lifespan = serving(f"program {pst.program.name} ({', '.join(pst.program.names)}), record {config.db_path}",
                       pst.record, pst.keys, config.db_path)

    app = FastAPI(title="patrol dispatch service (program)", version="1", lifespan=lifespan, docs_url=None,
                  redoc_url=None, openapi_url=None)
    app.state.patrol = pst
    install_handlers(app)
    app.add_middleware(FollowPlan, follow=pst.follow_plans)  # every district's desk on its plan's current version
    app.include_router(program_router(pst), responses=ERROR_RESPONSES)
    page_body = _console_page()

    @app.get("/console", include_in_schema=False)
    def console() -> Response:
        return Response(page_body, media_type="text/html")


    districts = {k: create_app(st.config, service_state=st) for k, st in pst.states.items()}
    return SecurityHeaders(BodyLimit(ProgramRouter(app, districts, pst), max_bytes=config.max_body_bytes))


def program_app_from_env():
    """App factory for ``uvicorn --factory`` worker processes of a program's service."""
    return create_program_app(ServiceConfig.from_env())
