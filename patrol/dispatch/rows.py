"""Rows of the incident record as plain frozen dataclasses, and input checks shared by its writers.

Every row class has ``to_dict()`` (JSON-ready: times are ISO-8601 UTC text) and ``from_row`` (from
a :class:`sqlite3.Row`).  See ``docs/record-schema.md`` for the tables behind them.
"""

from __future__ import annotations

import getpass
import json
import sqlite3
from collections.abc import Iterable
from dataclasses import asdict, dataclass, fields
from typing import Any, cast

from patrol.errors import InputError

__all__ = [
    "DUTY_STATUSES",
    "Assignment",
    "AuditEntry",
    "DutyChange",
    "FIX_STATUSES",
    "MAX_ID",
    "FixResult",
    "Incident",
    "Interaction",
    "OutcomeEntry",
    "Ping",
    "PlanVersion",
    "StatusChange",
    "default_actor",
    "normalize_duty",
]

#: Duty statuses of an ambassador (or unit).
DUTY_STATUSES: tuple[str, ...] = ("on shift", "on break", "busy", "off duty")
_DUTY_ALIASES = {
    "on shift": "on shift", "on-shift": "on shift", "on_shift": "on shift", "on": "on shift",
    "available": "on shift", "shift": "on shift",
    "on break": "on break", "on-break": "on break", "break": "on break",
    "busy": "busy",
    "off duty": "off duty", "off-duty": "off duty", "off": "off duty",
}


def normalize_duty(value: str) -> str:
    """The duty status a text names (``on-shift``, ``break``, ``busy``, ``off`` ...).

    Raises
    ------
    InputError
        When the text is not a duty status.
    """
    v = _DUTY_ALIASES.get(str(value).strip().lower())
    if v is None:
        raise InputError(f"duty status {value!r} is not one of: on-shift, break, busy, off", field="status")
    return v


def default_actor() -> str:
    """``cli:<user>``: the actor of writes made from the command line."""
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:
        return "cli:unknown"


# ---------------------------------------------------------------------------------------- rows
_FIELDS: dict[type, tuple[str, ...]] = {}


#: Values :func:`dataclasses.asdict` returns as they are (it deep-copies anything else).
_SCALARS = frozenset({str, int, float, bool, type(None)})


def _positions(cls: type, row: sqlite3.Row) -> tuple[tuple[str, int], ...]:
    """``(field, column index)`` of the class's fields among the row's columns."""
    keys = tuple(row.keys())
    found = _POSITIONS.get((cls, keys))
    if found is None:
        at = {k: i for i, k in enumerate(keys)}
        found = _POSITIONS[(cls, keys)] = tuple((n, at[n]) for n in _names(cls) if n in at)
    return found


_POSITIONS: dict[tuple[type, tuple[str, ...]], tuple[tuple[str, int], ...]] = {}


def _names(cls: type) -> tuple[str, ...]:
    names = _FIELDS.get(cls)
    if names is None:
        names = _FIELDS[cls] = tuple(f.name for f in fields(cast(Any, cls)))
    return names


class _Row:
    """Base of the row dataclasses (each subclass is a frozen dataclass)."""

    def to_dict(self) -> dict[str, Any]:
        """The row as :func:`dataclasses.asdict` gives it; a row of plain values (most) without its recursive
        deep copy, which costs ten times more (a console poll lists up to 500 incidents)."""
        names = _names(type(self))
        d = dict(self.__dict__)  # the fields, in their order (a copy of the instance's dict: a fifth of a getattr each)
        if len(d) != len(names):
            d = {n: getattr(self, n) for n in names}
        if all(type(v) in _SCALARS for v in d.values()):
            return d
        return asdict(cast(Any, self))

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Any:
        """The row's columns that are fields of the class (columns found by position, the positions worked out
        once per class and column list)."""
        return cls._made(row, _positions(cls, row))

    @classmethod
    def from_rows(cls, rows: Iterable[sqlite3.Row]) -> list[Any]:
        """:meth:`from_row` of each row of one query (a list reads hundreds: the columns are looked up once)."""
        if cls.from_row.__func__ is not _Row.from_row.__func__:  # type: ignore[attr-defined]  # its own reading
            return [cls.from_row(r) for r in rows]
        out: list[Any] = []
        pos: tuple[tuple[str, int], ...] | None = None
        for row in rows:
            if pos is None:
                pos = _positions(cls, row)
            out.append(cls._made(row, pos))
        return out

    @classmethod
    def _made(cls, row: sqlite3.Row, pos: tuple[tuple[str, int], ...]) -> Any:
        return cls(**{n: row[i] for n, i in pos})


@dataclass(frozen=True)
class Incident(_Row):
    """One incident as stored (times are ISO-8601 UTC text)."""

    id: int
    received_at: str
    created_at: str
    updated_at: str
    source: str
    type: str
    priority: str
    status: str
    location_text: str
    matched: str | None
    lat: float | None
    lon: float | None
    block: int | None
    offset_m: float | None
    in_area: bool | None
    notes: str
    created_by: str
    camera_id: str | None = None
    district: str | None = None  # the program's name of its district (None in a one-district record)

    @classmethod
    def _made(cls, row: sqlite3.Row, pos: tuple[tuple[str, int], ...]) -> Incident:
        """The stored incident (``in_area``, an integer in SQLite, as a bool)."""
        d = {n: row[k] for n, k in pos}
        if d.get("in_area") is not None:
            d["in_area"] = bool(d["in_area"])
        return cls(**d)


@dataclass(frozen=True)
class Assignment(_Row):
    """A unit sent to an incident, with the ETA given and the times it moved on."""

    id: int
    incident_id: int
    ambassador: str
    members: list[str]
    assigned_at: str
    eta_min: float | None
    distance_m: float | None
    estimated: bool | None
    en_route_at: str | None
    arrived_at: str | None
    cleared_at: str | None
    cleared_reason: str | None
    actor: str
    accepted_at: str | None = None

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Assignment:
        d = {k: row[k] for k in row.keys()}
        d["members"] = json.loads(d["members"])
        d["estimated"] = None if d["estimated"] is None else bool(d["estimated"])
        return cls(**d)


@dataclass(frozen=True)
class StatusChange(_Row):
    id: int
    incident_id: int
    at: str
    from_status: str | None
    to_status: str
    actor: str
    note: str


@dataclass(frozen=True)
class OutcomeEntry(_Row):
    """An outcome, an action taken, or a referral (``kind``) recorded on an incident."""

    id: int
    incident_id: int
    kind: str
    value: str
    at: str
    actor: str
    note: str


@dataclass(frozen=True)
class Interaction(_Row):
    """An ambassador's logged interaction (business check-in, information sharing, referral ...)."""

    id: int
    at: str
    ambassador: str
    type: str
    referral_type: str | None
    business: str | None
    incident_id: int | None
    lat: float | None
    lon: float | None
    block: int | None
    offset_m: float | None
    notes: str
    actor: str


@dataclass(frozen=True)
class Ping(_Row):
    """A position ping: the device's fix, and its snap onto a block (``block`` None if not snapped)."""

    id: int
    ambassador: str
    t: str
    lat: float
    lon: float
    accuracy_m: float | None
    block: int | None
    offset_m: float | None
    received_at: str
    actor: str
    client_key: str | None = None


#: What becomes of one fix of an upload (:class:`FixResult`).
FIX_STATUSES: tuple[str, ...] = ("stored", "duplicate", "refused")


@dataclass(frozen=True)
class FixResult(_Row):
    """What became of one GPS fix of an upload.

    Attributes
    ----------
    index : int
        Its place in the upload (0-based).
    status : str
        ``stored`` (a new ping), ``duplicate`` (its client key was already stored: not stored again)
        or ``refused`` (not stored: ``reason`` says why).
    id : int or None
        The ping: the new one, or for a duplicate the one stored first under the key.
    snapped : bool
        Whether the stored ping is on a street block (a fix far from every street is kept unsnapped).
    reason : str or None
        Why it was refused or left unsnapped.
    key : str or None
        The fix's client key, as given.
    """

    index: int
    status: str
    id: int | None
    snapped: bool = False
    reason: str | None = None
    key: str | None = None


@dataclass(frozen=True)
class DutyChange(_Row):
    id: int
    ambassador: str
    status: str
    at: str
    actor: str
    note: str


@dataclass(frozen=True)
class PlanVersion(_Row):
    """One version of a day's plan: the morning's (version 1) or a re-plan, with who made it and why."""

    id: int
    day: str
    version: int
    made_at: str
    minute: float | None
    actor: str
    why: str
    path: str

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> PlanVersion:
        return cls(**{k: row[k] for k in ("id", "day", "version", "made_at", "minute", "actor", "why", "path")})

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class AuditEntry(_Row):
    """One line of the audit trail; ``data`` is the change as a dict."""

    id: int
    at: str
    actor: str
    action: str
    entity: str
    entity_id: int | None
    data: dict

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> AuditEntry:
        d = {k: row[k] for k in row.keys()}
        d["data"] = json.loads(d["data"])
        return cls(**d)


def _text(value: Any, field: str, *, required: bool = False, max_len: int = 2000) -> str:
    v = "" if value is None else str(value).strip()
    if required and not v:
        raise InputError(f"{field} must not be empty", field=field)
    if len(v) > max_len:
        raise InputError(f"{field} is longer than {max_len} characters", field=field)
    return v


def _name(value: Any, field: str = "ambassador") -> str:
    return _text(value, field, required=True, max_len=100)


def _float_or_none(value: Any, field: str) -> float | None:
    if value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{field}: {value!r} is not a number", field=field) from exc


#: Largest row id SQLite stores (a signed 64-bit integer).
MAX_ID = 2**63 - 1


def _id(value: Any) -> int:
    try:
        v = int(value)
    except (TypeError, ValueError, OverflowError) as exc:
        raise InputError(f"{value!r} is not an incident id", field="incident_id") from exc
    if not 1 <= v <= MAX_ID:
        raise InputError(f"{value!r} is not an incident id (1 .. 2^63 - 1)", field="incident_id")
    return v


