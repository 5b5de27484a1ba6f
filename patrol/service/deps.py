"""FastAPI dependencies: the caller's key checked against a role; the state the routers close over.

Keys are read from ``Authorization: Bearer <key>`` or ``X-API-Key: <key>`` (declared in the OpenAPI
document as the ``ApiKey`` bearer scheme).  Each endpoint has one ``async`` dependency: FastAPI runs
plain functions in its thread pool (one hop per dependency) and solves every dependency per request,
which costs more than the work itself (a verified key is a dictionary hit; a key seen for the first
time is one small SQLite read).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fastapi import Request
from fastapi.security import HTTPBearer

from patrol.dispatch import Desk, Record
from patrol.dispatch.network import Route
from patrol.dispatch.positions import Position
from patrol.dispatch.record import Assignment, Incident, RecordCheck
from patrol.dispatch.roster import Unit, plan_units
from patrol.district import check_plan_district
from patrol.service.auth import KeyStore, Principal
from patrol.service.batcher import PingBatcher, WriteBatcher
from patrol.service.config import ServiceConfig
from patrol.service.today import PlanFile
from patrol.timeline import Timeline

__all__ = ["KeyGuard", "ServiceState", "admin", "dispatcher", "field_writer", "key_text", "principal", "reader"]


@dataclass
class ServiceState:
    """Everything a request handler needs, built once by the app factory; the routers close over it."""

    config: ServiceConfig
    district: Any
    record: Record
    desk: Desk
    keys: KeyStore
    #: The writes of requests made on the event loop, batched into one thread hop and one commit.
    writes: WriteBatcher
    pings: PingBatcher
    startup_check: RecordCheck
    started_at: str
    plan_file: PlanFile | None = None
    cache: dict[str, Any] = field(default_factory=dict)
    #: The district's name in a program of several districts (``patrol serve --program``), else ``None``.
    district_key: str | None = None
    #: In a program: its :class:`~patrol.program.ranking.ProgramDesk` (a backup may be a unit of another district).
    dispatch: Any = None
    _desk_plan: str | None = None

    def follow_plan(self) -> None:
        """Give the desk the plan file's current version when it changed (a re-plan, a new day's plan, written
        by this worker or another): rankings, positions and costs follow it."""
        if self.plan_file is None:
            return
        snap = self.plan_file.current()
        if snap.version == self._desk_plan:
            return
        check_plan_district(snap.data, self.district)
        self.desk.use_plan(Timeline.from_dict(snap.data["timeline"]), plan_units(snap.data),
                           snap.data.get("made_at"))
        self._desk_plan = snap.version


    def any_unit(self, name: str) -> Unit:
        """A unit of this district, or in a program of any district (``NotFoundError`` naming the known ones)."""
        return self.desk.unit(name) if self.dispatch is None else self.dispatch.unit(name)[1]

    def route_to(self, position: Position, incident: Incident) -> Route | None:
        """A unit's walk to its incident: on the district's streets, or in a program on the joined network when the
        incident is another district's (a unit sent across the boundary)."""
        if self.dispatch is not None and incident.district not in (None, self.district_key):
            return self.dispatch.route_to(self.district_key, position, incident)
        return self.desk.route_to(position, incident)

    def assign_any(self, incident_id: int, unit: str, *, note: str = "", actor: str | None = None) -> Assignment:
        """Assign a unit of this district, or in a program of any district, to an incident."""
        return (self.desk if self.dispatch is None else self.dispatch).assign(incident_id, unit, note=note,
                                                                              actor=actor)


class KeyGuard(HTTPBearer):
    """The caller's key, verified and checked for a capability: one dependency per endpoint.

    Documented in OpenAPI as the ``ApiKey`` bearer scheme; the ``X-API-Key`` header works too.
    """

    def __init__(self, capability: str | None):
        super().__init__(scheme_name="ApiKey", bearerFormat="patrol_<id>_<secret>", auto_error=False,
                         description="an API key, as 'Authorization: Bearer <key>' or in an 'X-API-Key' header")
        self.capability = capability

    async def __call__(self, request: Request) -> Principal:  # type: ignore[override]
        p = request.app.state.patrol.keys.verify(key_text(request.headers.get("x-api-key"),
                                                          request.headers.get("authorization")))
        return p if self.capability is None else p.require(self.capability)


def key_text(x_api_key: str | None, authorization: str | None) -> str | None:
    """The key a request carries: its ``X-API-Key`` header, else the credentials of ``Authorization: Bearer``."""
    if x_api_key is not None:
        return x_api_key
    scheme, _, credentials = (authorization or "").partition(" ")
    return credentials.strip() if scheme.lower() == "bearer" else None


#: Any valid key (401 without one).
principal = KeyGuard(None)
#: A key that may read (admin, dispatcher, viewer).
reader = KeyGuard("read")
#: A key that may work incidents (admin, dispatcher).
dispatcher = KeyGuard("dispatch")
#: A key that may post positions and logs (admin, dispatcher, ambassador: own only, checked per call).
field_writer = KeyGuard("field")
#: An admin key.
admin = KeyGuard("keys")
