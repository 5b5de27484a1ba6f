"""Request and response bodies of the HTTP API (pydantic), with the constraints that name the field.

Choices come from :mod:`patrol.vocab` (case-insensitive on input) so the OpenAPI document lists the
accepted values; unknown keys are refused (``extra="forbid"``), so a misspelt field is a 422 that
names it rather than a silently ignored value.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from patrol.dispatch.record import UNIT_STEPS
from patrol.dispatch.rows import DUTY_STATUSES, FIX_STATUSES, MAX_ID, Incident
from patrol.service.auth import ROLES
from patrol.vocab import (
    ACTIONS,
    INCIDENT_TYPES,
    INTERACTION_TYPES,
    OUTCOMES,
    PRIORITIES,
    REFERRAL_TYPES,
    SOURCES,
    STATUSES,
)

__all__ = [
    "ERROR_RESPONSES", "AssignBody", "BackupBody", "BatchPing", "CheckinBody", "CloseBody", "DutyBody", "ErrorBody",
    "ErrorDetail", "FieldCloseBody", "FixAck", "IncidentCreate", "IncidentOut", "IncidentPatch", "InteractionBody",
    "KeyCreate", "MaterialGiven", "OutcomeBody", "Page", "PingAck", "PingBatch", "PingBatchAck", "PingBody",
    "RankBody", "StatusBody", "UnitStatusBody",
]

IncidentType = Literal[INCIDENT_TYPES]
Source = Literal[SOURCES]
Priority = Literal[PRIORITIES]
Status = Literal[STATUSES]
Outcome = Literal[OUTCOMES]
Action = Literal[ACTIONS]
ReferralType = Literal[REFERRAL_TYPES]
InteractionType = Literal[INTERACTION_TYPES]
Role = Literal[ROLES]
UnitStep = Literal[tuple(UNIT_STEPS)]

#: ``at`` of a write from the phone page (checked against the service's clock by the handler).
_AT = ("when it happened, on the phone (default: when received); queued entries keep the time they were "
       "made; from 7 days ago to 10 minutes ahead of the service's clock")

_LOWER_FIELDS = ("type", "source", "priority", "status", "referral_type", "role")
Name = Field(min_length=1, max_length=100, description="ambassador or unit name (roster: lead, amb2 ... amb8)")


def _lower(v: Any) -> Any:
    return v.strip().lower() if isinstance(v, str) else v


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator(*_LOWER_FIELDS, mode="before", check_fields=False)
    @classmethod
    def _case_insensitive(cls, v: Any) -> Any:
        return _lower(v)

    @field_validator("outcomes", "actions", "referrals", mode="before", check_fields=False)
    @classmethod
    def _case_insensitive_lists(cls, v: Any) -> Any:
        return [_lower(x) for x in v] if isinstance(v, list) else v


class IncidentCreate(_Body):
    """A new incident: where (typed as the caller said it), what, from whom."""

    location: str = Field(min_length=1, max_length=500, examples=["Lake & Hennepin"],
                          description="intersection ('W Lake St & Girard Ave S', 'Lake & Girard'), a place, "
                                      "or 'lat,lon'")
    type: IncidentType = Field(description="incident type (the program's list)")
    source: Source = "phone"
    priority: Priority = "normal"
    notes: str = Field("", max_length=10000)
    received_at: datetime | None = Field(None, description="when the call came in (default now)")


class RankBody(_Body):
    location: str = Field(min_length=1, max_length=500, examples=["Lake & Hennepin"])


class AssignBody(_Body):
    ambassador: str | None = Field(None, min_length=1, max_length=100,
                                   description="unit to send (default: the top of the ranking)")
    eta_min: float | None = Field(None, ge=0, le=600, description="ETA given, minutes (default: computed)")
    note: str = Field("", max_length=2000)


class StatusBody(_Body):
    status: Status = Field(description="next status ('assigned' only through /assign)")
    note: str = Field("", max_length=2000)


class OutcomeBody(_Body):
    outcomes: list[Outcome] = Field(default_factory=list, max_length=20)
    actions: list[Action] = Field(default_factory=list, max_length=20)
    referrals: list[ReferralType] = Field(default_factory=list, max_length=20)
    note: str = Field("", max_length=2000)


class CloseBody(OutcomeBody):
    """Outcomes to record and close (an incident on scene goes through resolved)."""


class IncidentPatch(_Body):
    priority: Priority | None = None
    type: IncidentType | None = None
    notes: str | None = Field(None, max_length=10000, description="appended to the incident's notes")


class DutyBody(_Body):
    status: str = Field(min_length=1, max_length=20, examples=list(DUTY_STATUSES),
                        description="on shift (on-shift), on break (break), busy, off duty (off)")
    note: str = Field("", max_length=2000)
    at: datetime | None = Field(None, description=_AT)


class PingBody(_Body):
    """One GPS fix of an ambassador's phone."""

    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    t: datetime | None = Field(None, description="fix time (default: when received)")
    accuracy_m: float | None = Field(None, ge=0, le=100000)
    key: str | None = Field(None, min_length=1, max_length=100, pattern=r"^[!-~]+$",
                            description="the phone's own id of this fix (printable ASCII, no spaces): a fix whose "
                                        "key this API key already stored is acknowledged as a duplicate and not "
                                        "stored again")


class BatchPing(_Body):
    """One fix of a batch.  Values are checked fix by fix (a refused fix is answered in ``results`` and costs
    no other fix): lat -90..90, lon -180..180, not 0,0, within 50 km of the district, accuracy 0..5,000 m,
    t from 7 days ago to 10 minutes ahead."""

    ambassador: str = Name
    lat: float | None = Field(description="latitude (null: the phone had no fix; refused)")
    lon: float | None = Field(description="longitude")
    t: datetime | None = Field(None, description="fix time (default: when received)")
    accuracy_m: float | None = Field(None, description="reported accuracy, metres")
    key: str | None = Field(None, min_length=1, max_length=100, pattern=r"^[!-~]+$",
                            description="the phone's own id of this fix (printable ASCII, no spaces): a fix whose "
                                        "key this API key already stored is acknowledged as a duplicate and not "
                                        "stored again")


class PingBatch(_Body):
    pings: list[BatchPing] = Field(min_length=1, description="fixes uploaded together (at most max_batch_pings)")


class PingAck(BaseModel):
    """A single fix: stored (``snapped`` false when it is far from every street) or a duplicate of its ``key``."""

    id: int
    ambassador: str
    status: Literal[FIX_STATUSES]
    snapped: bool
    reason: str | None = None


class FixAck(BaseModel):
    """What became of one fix of a batch (``index`` in the upload)."""

    index: int
    status: Literal[FIX_STATUSES] = Field(description="stored, duplicate (its key was already stored: not stored "
                                                      "again, ``id`` is the first one) or refused (``reason``)")
    id: int | None
    snapped: bool
    reason: str | None = None
    key: str | None = None


class PingBatchAck(BaseModel):
    """Per fix, in upload order: ``ids`` (null for a refused fix) and ``results``; counts of each outcome."""

    ids: list[int | None]
    count: int = Field(description="fixes stored by this request")
    duplicates: int
    refused: int
    results: list[FixAck]


class MaterialGiven(_Body):
    """A written material handed out with an interaction (an id of the district's materials list)."""

    id: str = Field(min_length=1, max_length=60, description="the material's id (GET /api/materials)")
    count: int = Field(1, ge=1, le=1000)


class InteractionBody(_Body):
    """An ambassador's logged interaction."""

    type: InteractionType
    referral_type: ReferralType | None = Field(None, description="required for type 'referral'")
    business: str | None = Field(None, max_length=200)
    incident_id: int | None = Field(None, ge=1, le=MAX_ID)
    lat: float | None = Field(None, ge=-90, le=90)
    lon: float | None = Field(None, ge=-180, le=180)
    where: str | None = Field(None, min_length=1, max_length=500, description="location text (geocoded)")
    notes: str = Field("", max_length=10000)
    at: datetime | None = Field(None, description=_AT)
    materials: list[MaterialGiven] = Field(default_factory=list, max_length=50,
                                           description="written materials handed out with it")


class CheckinBody(_Body):
    """A completed business check-in."""

    business: str = Field(min_length=1, max_length=200)
    lat: float | None = Field(None, ge=-90, le=90)
    lon: float | None = Field(None, ge=-180, le=180)
    notes: str = Field("", max_length=10000)
    at: datetime | None = Field(None, description=_AT)


class UnitStatusBody(_Body):
    """An ambassador's own step on an assignment (the phone page's buttons)."""

    status: UnitStep = Field(description="accepted, en route or on scene")
    note: str = Field("", max_length=2000)
    at: datetime | None = Field(None, description=_AT)


class FieldCloseBody(OutcomeBody):
    """The assigned ambassador closes the incident with its outcome (on scene goes through resolved)."""

    at: datetime | None = Field(None, description=_AT)


class BackupBody(_Body):
    """An ambassador asks for backup: on an incident assigned to them, or where they are."""

    incident_id: int | None = Field(None, ge=1, le=MAX_ID, description="an incident assigned to the caller "
                                    "(default: a new urgent incident where the caller is)")
    lat: float | None = Field(None, ge=-90, le=90)
    lon: float | None = Field(None, ge=-180, le=180)
    note: str = Field("", max_length=2000)
    at: datetime | None = Field(None, description=_AT)


class KeyCreate(_Body):
    role: Role
    name: str = Field(min_length=1, max_length=100, description="who holds the key")
    ambassador: str | None = Field(None, min_length=1, max_length=100, description="for an ambassador key")


#: An incident as stored (times ISO-8601 UTC): the record's own row type, so the API cannot drift from it.
IncidentOut = Incident


class ErrorDetail(BaseModel):
    type: str = Field(description="ValidationError, InputError, AuthError, NotFoundError, TransitionError, "
                                  "IdempotencyError, GeocodeError, RecordUnavailableError, PayloadTooLarge ...")
    message: str = Field(description="what is wrong, in words a user can act on")
    field: str | None = Field(None, description="where: body.location, query.limit, path.incident_id, "
                                                "header.Idempotency-Key, authorization ...")
    details: dict[str, Any] | None = Field(None, description="machine-readable facts (problems, close matches, "
                                                             "allowed transitions ...)")


class ErrorBody(BaseModel):
    """Every refusal has this body (the CLI's ``--json`` errors too)."""

    error: ErrorDetail


def _error(description: str) -> dict[str, Any]:
    return {"model": ErrorBody, "description": description}


#: The error answers of every endpoint that needs a key (OpenAPI ``responses``).
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: _error("no API key, or a key that is malformed, unknown or revoked"),
    403: _error("the key's role may not do this, or an ambassador key writes for another ambassador"),
    404: _error("unknown incident, ambassador or key; no plan; unknown endpoint"),
    409: _error("an illegal status change, or the unit is already on the incident"),
    413: _error("the request body is larger than the service's limit"),
    422: _error("a value that is not valid (the field is named), a location that cannot be found, an "
                "Idempotency-Key used for another request"),
    503: _error("the record cannot be read or written now (nothing was stored): retry later"),
}


class Page(BaseModel):
    """One page of a list: ``next_offset`` is null on the last page."""

    items: list[dict[str, Any]]
    limit: int
    offset: int
    next_offset: int | None
