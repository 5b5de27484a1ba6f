"""The HTTP service: :func:`create_app` builds a FastAPI app from a :class:`ServiceConfig`.

A thin shell: it authenticates, validates, calls :class:`patrol.dispatch.Desk` /
:class:`patrol.dispatch.Record` with the key's actor, and turns their answers and errors into JSON
(:mod:`patrol.service.handlers`).  Endpoints are documented in the OpenAPI document at
``/api/openapi.json`` (a key is needed) and in ``docs/service.md``.

Threads
    Most handlers are plain functions run in the server's thread pool; they share one
    :class:`~patrol.dispatch.Record`, whose group commit turns concurrent writes into one durable
    (``synchronous=FULL``) transaction, so throughput grows with concurrency while every
    acknowledged write is on disk before its response is sent.  Rankings run on the event loop (their
    reads go through the record's read connections, which never wait for a commit); the writes of
    incident creations, interactions and single pings are collected on the loop and made in one thread
    hop and one transaction per batch (:mod:`patrol.service.batcher`).
Fast lane
    Single pings, incident creations, rankings and interactions taking the plain way are answered by
    :class:`~patrol.service.lanes.FastLane` with the endpoints' own functions, without FastAPI's
    per-request machinery (:mod:`patrol.service.lanes`).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.responses import JSONResponse, Response

from patrol.dispatch import Desk, Record
from patrol.dispatch.clock import iso
from patrol.dispatch.escorts import OUTCOMES as ESCORT_OUTCOMES
from patrol.dispatch.escorts import STATUSES as ESCORT_STATUSES
from patrol.dispatch.escorts import STEPS as ESCORT_STEPS
from patrol.dispatch.lifecycle import TRANSITIONS
from patrol.dispatch.record import RecordCheck
from patrol.dispatch.rows import MAX_ID
from patrol.errors import NotFoundError, RecordError
from patrol.events import PRESENCE_MODES
from patrol.materials import KINDS as MATERIAL_KINDS
from patrol.service.admin import admin_router
from patrol.service.alerts import alert_router
from patrol.service.auth import KeyStore, Principal
from patrol.service.batcher import PingBatcher, WriteBatcher
from patrol.service.cameras import camera_router
from patrol.service.config import ServiceConfig
from patrol.service.console import console_router, mount_static
from patrol.service.deps import ServiceState, principal, reader
from patrol.service.escorts import escort_router
from patrol.service.events import events_router
from patrol.service.field import ambassadors_now, etagged, field_router
from patrol.service.field_page import field_page_router
from patrol.service.following import FollowPlan
from patrol.service.handlers import BodyLimit, install_handlers
from patrol.service.heap import frozen_heap
from patrol.service.incidents import incident_router, page, since_time
from patrol.service.jsonbody import JSONBody
from patrol.service.lanes import FastLane
from patrol.service.materials import materials_router
from patrol.service.messages import message_router
from patrol.service.plans import plans_router
from patrol.service.schemas import ERROR_RESPONSES, Page
from patrol.service.security import SecurityHeaders
from patrol.service.today import PlanFile
from patrol.vocab import (
    ACTIONS,
    DISPATCHABLE_TYPES,
    INCIDENT_TYPES,
    INTERACTION_TYPES,
    OUTCOMES,
    PRIORITIES,
    REFERRAL_TYPES,
    SOURCES,
    STATUSES,
)

__all__ = ["app_from_env", "build_state", "create_app", "open_record", "vocab_body"]

log = logging.getLogger(__name__)

_DESCRIPTION = """The dispatch desk of a community safety ambassador program over HTTP.

Every endpoint but `/api/health` needs an API key (`Authorization: Bearer <key>` or `X-API-Key`).
Errors share one body with the CLI's `--json` output:
`{"error": {"type": ..., "message": ..., "field": ..., "details": ...}}`.
"""


def open_record(config: ServiceConfig) -> tuple[Record, RecordCheck]:
    """Open the service's record and check it whole (integrity, schema, writable).

    Raises
    ------
    RecordError
        When the record cannot be used (the file is left as it is).
    """
    # worker processes take turns at writing (an OS lock); a lone worker has no other process to wait for
    record = Record(config.db_path, actor="service", clock=config.clock(), writers_lock=config.workers > 1)
    check = record.check(integrity=True)
    if not check.ok:
        record.close()
        raise RecordError(f"the record {config.db_path} cannot be used: {'; '.join(check.problems)}. Nothing was "
                          "changed; restore the file from a backup or give another --db", field="db",
                          details=check.to_dict())
    return record, check


def build_state(config: ServiceConfig) -> ServiceState:
    """Load the district, open the record and the key file, read the plan; warm up the ranking.

    Raises
    ------
    PlanError
        When ``config.plan_path`` is not a readable plan, or was made for other streets than the district's
        (without ``config.district_path`` the plan's own district is served).
    """
    from patrol.district import district_for_plan, load_district

    timeline = units = None
    if config.plan_path:
        from patrol.dispatch.roster import plan_units
        from patrol.timeline import Timeline, read_plan_file

        plan = read_plan_file(config.plan_path)
        district = district_for_plan(plan, config.district_path)  # the plan's district, or refuse a mismatch
        timeline, units = Timeline.from_dict(plan["timeline"]), plan_units(plan)
    else:
        district = load_district(config.district_path)
    record, check = open_record(config)
    desk = Desk(district, record=record, timeline=timeline, units=units)
    desk.rank(district.base)  # compiles/loads the Dijkstra kernel and builds the network before the first call
    keys = KeyStore(config.resolved_keys_path, cache_s=config.key_cache_s)
    writes = WriteBatcher(record)
    return ServiceState(config=config, district=district, record=record, desk=desk, keys=keys, writes=writes,
                        pings=PingBatcher(desk, writes), startup_check=check, started_at=iso(desk.clock()),
                        plan_file=PlanFile(config.plan_path) if config.plan_path else None)


def serving(what: str, record: Record, keys: KeyStore, db_path: str | Path) -> Callable[[FastAPI], Any]:
    """The lifespan of a service app: say what is served (and warn when no admin key exists), keep the start-up
    objects out of the garbage collector's way while serving, close the record and the keys after.

    Parameters
    ----------
    what : str
        What is served, for the log.
    record : Record
    keys : KeyStore
    db_path : str or Path
        The record's file (named in the hint to create an admin key).
    """

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        log.info("serving %s", what)
        if keys.count("admin") == 0:
            log.warning("no admin key yet: create one with `patrol keys create --role admin --name NAME --db %s`",
                        db_path)
        with frozen_heap() as n:  # the start-up objects out of the collector's way while serving
            log.debug("%d objects frozen", n)
            yield
        record.close()
        keys.close()

    return lifespan


def create_app(config: ServiceConfig, *, service_state: ServiceState | None = None, fast_lane: bool = True) -> FastAPI:
    """The FastAPI app for one district, record and key file.

    Parameters
    ----------
    config : ServiceConfig
    service_state : ServiceState, optional
        Already built state (default: :func:`build_state` on ``config``, now).
    fast_lane : bool
        Answer single pings, incident creations and rankings on the :class:`~patrol.service.lanes.FastLane`
        (``False``: every request through FastAPI; the benchmark and the tests compare the two).
    """
    st = service_state or build_state(config)

    lifespan = serving(f"{st.district.name}, record {config.db_path}, keys {config.resolved_keys_path}",
                       st.record, st.keys, config.db_path)
    app = FastAPI(title="patrol dispatch service", version="1", description=_DESCRIPTION, lifespan=lifespan,
                  docs_url=None, redoc_url=None, openapi_url=None)
    app.state.patrol = st
    install_handlers(app)
    if fast_lane:  # innermost: its answers get the plan followed, the body limit and the security headers
        app.add_middleware(FastLane, state=st)
    app.add_middleware(FollowPlan, follow=st.follow_plan)  # every API request sees the plan file's current version
    app.add_middleware(BodyLimit, max_bytes=config.max_body_bytes)
    app.add_middleware(SecurityHeaders)  # outermost: every answer gets the headers, 413s included
    mount_static(app)
    # routers close over the state (no module globals); pings first: the most frequent requests
    app.include_router(field_router(st), responses=ERROR_RESPONSES)
    app.include_router(incident_router(st), responses=ERROR_RESPONSES)
    app.include_router(_health_router(st))
    app.include_router(_misc_router(app, st), responses=ERROR_RESPONSES)
    app.include_router(admin_router(st), responses=ERROR_RESPONSES)
    app.include_router(plans_router(st), responses=ERROR_RESPONSES)

    app.include_router(console_router(st), responses=ERROR_RESPONSES)
    app.include_router(alert_router(st), responses=ERROR_RESPONSES)  # issue 19: SOS, overdue alerts
    app.include_router(message_router(st), responses=ERROR_RESPONSES)  # issue 19: messages to phones
    # issue 17: special events, safety escorts, cameras, services and written materials
    for extra in (events_router(st), escort_router(st), camera_router(st), materials_router(st)):
        app.include_router(extra, responses=ERROR_RESPONSES)
    app.include_router(field_page_router())
    return app


def _health_router(st: ServiceState) -> APIRouter:
    r = APIRouter(prefix="/api")

    @r.get("/health", tags=["service"], summary="Liveness and the record's state (the only endpoint answering "
                                                "without a key); 503 when the record cannot be written",
           responses={503: {"description": "the record failed a read or write since its last good write"}})
    async def health() -> JSONResponse:  # no I/O: on the event loop, no thread hop
        last = st.record.last_error
        body = {"status": "ok" if last is None else "degraded", "time": iso(st.desk.clock()),
                "district": st.district.name, "schema_version": st.startup_check.schema_version,
                "record": {"integrity": st.startup_check.integrity, "checked_at": st.started_at,
                           "writable": st.startup_check.writable and last is None,
                           "last_error": None if last is None else {"at": last[0], "message": last[1]}}}
        return JSONBody(body, status_code=200 if last is None else 503)

    return r


def _misc_router(app: FastAPI, st: ServiceState) -> APIRouter:
    config = st.config
    r = APIRouter(prefix="/api")

    @r.get("/openapi.json", tags=["service"], include_in_schema=False)
    def openapi(_p: Principal = Depends(principal)) -> JSONResponse:
        return JSONResponse(app.openapi())

    @r.get("/me", tags=["service"], summary="The caller's key: id, role, ambassador, actor name")
    def me(p: Principal = Depends(principal)) -> dict:
        return p.to_dict()

    @r.get("/vocab", tags=["service"], summary="The program's lists (types, sources, outcomes ...) and life cycle")
    def vocab(_p: Principal = Depends(principal)) -> dict:
        return vocab_body(st)

    @r.get("/district", tags=["district"], summary="The district: streets, area, base, roster, shift, time zone")
    def district(_p: Principal = Depends(reader)) -> dict:
        sh = st.district.settings.shift
        return {**st.district.info(), "timezone": st.district.settings.district.timezone,
                "roster_names": st.district.settings.roster.ambassador_names(), "shift_hours": [sh.start, sh.end],
                "poll_interval_s": config.poll_interval_s,
                "stale_ping_min": st.district.settings.dispatch.stale_ping_min}

    @r.get("/plan", tags=["district"],
           summary="Today's plan (the plan.json given at startup, as it is on disk now), 404 when none; "
                   "ETag = its version, If-None-Match answers 304")
    def plan(request: Request, _p: Principal = Depends(reader)) -> Response:
        if st.plan_file is None:
            raise NotFoundError("no plan was given to this service (start it with `patrol serve --plan PLAN.json`)",
                                field="plan")
        snap = st.plan_file.current()
        return etagged(request, f'"{snap.version}"', lambda: snap.body)

    @r.get("/state", tags=["service"], response_model=dict,
           summary="What the console polls: units now and open incidents")
    async def console_state(_p: Principal = Depends(reader)) -> JSONBody:
        # on the event loop, as a ranking: reads on the record's read connections never wait for a commit, and a
        # poll in a worker thread would take turns for the interpreter's lock with the loop for its whole length
        incidents = st.record.list_incidents(open_only=True, limit=config.max_page_size)
        return JSONBody({**ambassadors_now(st), "incidents": [i.to_dict() for i in incidents],
                         "poll_interval_s": config.poll_interval_s})

    @r.get("/audit", tags=["service"], response_model=Page, summary="The audit trail (oldest first), filtered, paged")
    def audit(entity: str | None = Query(None, max_length=30), entity_id: int | None = Query(None, ge=1, le=MAX_ID),
              actor: str | None = Query(None, max_length=200),
              since: str | None = Query(None, description="at or after (ISO-8601)"),
              limit: int = Query(config.default_page_size, ge=1, le=config.max_page_size, description="page size"),
              offset: int = Query(0, ge=0, le=10_000_000), _p: Principal = Depends(reader)) -> dict:
        rows = st.record.audit(entity=entity, entity_id=entity_id, actor=actor, since=since_time(since),
                               limit=limit + 1, offset=offset)
        return page([e.to_dict() for e in rows], limit, offset)

    return r


def vocab_body(st: ServiceState) -> dict:
    """What ``/api/vocab`` answers: the program's lists, the incident life cycle and the district's units."""
    return {"incident_types": list(INCIDENT_TYPES), "dispatchable_types": list(DISPATCHABLE_TYPES),
            "sources": list(SOURCES), "priorities": list(PRIORITIES), "statuses": list(STATUSES),
            "outcomes": list(OUTCOMES), "actions": list(ACTIONS), "referral_types": list(REFERRAL_TYPES),
            "interaction_types": list(INTERACTION_TYPES),
            "transitions": {k: sorted(v, key=STATUSES.index) for k, v in TRANSITIONS.items()},
            "duty_statuses": ["on shift", "on break", "busy", "off duty"],
            "escort_statuses": list(ESCORT_STATUSES), "escort_steps": list(ESCORT_STEPS),
            "escort_outcomes": list(ESCORT_OUTCOMES), "presence_modes": list(PRESENCE_MODES),
            "material_kinds": list(MATERIAL_KINDS),
            "units": [{"name": u.name, "members": list(u.members)} for u in st.desk.units]}


def app_from_env() -> FastAPI:
    """App factory for ``uvicorn --factory`` worker processes: the config comes from the environment."""
    return create_app(ServiceConfig.from_env())
