"""Safety escorts in the record: walk person(s) from A to B, now or at a time.

An escort is its own kind in the record (table ``escorts``, ``docs/record-schema.md``), not an incident: it
has two points, a walk between them, and a unit that is busy from when it sets off to A until it is done.

Life cycle (every change audited)::

    requested --assign--> assigned --start--> under way --finish--> done
        \\______________________\\__________________\\--cancel--> cancelled

``assign`` may be repeated before the start (another unit); the unit's own steps ``accepted`` and
``en route`` are stamps on an assigned escort; ``start`` (walking with the person(s) from A) stamps
``started_at``; ``finish`` records the outcome (:data:`OUTCOMES`) and ``ended_at``.  An escort finished
without a start (the person was not there, or declined) was not provided.

Times
    ``wanted_at`` is when the person(s) want to set off from A (the request's time for "now");
    ``depart_at`` is when the unit sets off to A: ``wanted_at`` minus its walk there, not before it was
    assigned.  The unit is busy from ``depart_at`` (:func:`escort_engagements`: the position rules of
    :mod:`patrol.dispatch.positions` follow it from then).
Provided
    An escort is *provided* when it was started and finished (status ``done`` with ``started_at``): the
    report's "number of safety escort services provided" counts these, with their time
    (``ended_at - started_at``).

>>> rec = Record(":memory:")
>>> book = EscortBook(rec)
>>> a, b = (0, 10.0, 44.95, -93.30), (1, 20.0, 44.95, -93.29)
>>> e = book.request(from_text="Walker Library", from_point=a, to_text="Lake & Girard", to_point=b,
...                  distance_m=480.0, duration_min=8.0, at="2026-06-02T19:00:00Z")
>>> e = book.assign(e.id, "amb3", eta_min=4.0, travel_m=336.0, at="2026-06-02T19:01:00Z")
>>> e.depart_at
'2026-06-02T19:01:00.000Z'
>>> book.start(e.id, at="2026-06-02T19:05:00Z").status
'under way'
>>> e = book.finish(e.id, "arrived", at="2026-06-02T19:13:30Z")
>>> e.status, e.provided, e.escort_min
('done', True, 8.5)
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, fields
from datetime import datetime, timedelta
from typing import Any

from patrol.dispatch.clock import iso, parse_time
from patrol.dispatch.idempotency import Idempotency
from patrol.dispatch.positions import Engagement, EscortLeg
from patrol.dispatch.record import Record
from patrol.dispatch.rows import _id, _name, _text
from patrol.errors import InputError, NotFoundError, TransitionError
from patrol.vocab import SOURCES, check_choice

__all__ = ["OPEN", "OUTCOMES", "STATUSES", "STEPS", "Escort", "EscortBook", "EscortPoint", "engagement",
           "escort_engagements"]

log = logging.getLogger(__name__)

#: An escort's statuses, in order.
STATUSES: tuple[str, ...] = ("requested", "assigned", "under way", "done", "cancelled")
#: Statuses of an escort still to be done.
OPEN: frozenset[str] = frozenset({"requested", "assigned", "under way"})
#: How an escort ended.
OUTCOMES: tuple[str, ...] = ("arrived", "ended early", "handed over", "person declined", "person not found",
                             "other")
#: The unit's own steps on an assigned escort, and the column each stamps.
STEPS: dict[str, str] = {"accepted": "accepted_at", "en route": "en_route_at", "under way": "started_at"}

#: ``(block, offset_m, lat, lon)`` of a point on the network.
EscortPoint = tuple[int, float, float, float]


@dataclass(frozen=True)
class Escort:
    """One escort as stored (times are ISO-8601 UTC text)."""

    id: int
    requested_at: str
    wanted_at: str
    created_at: str
    updated_at: str
    source: str
    status: str
    people: int
    from_text: str
    from_matched: str | None
    from_lat: float
    from_lon: float
    from_block: int
    from_offset_m: float
    to_text: str
    to_matched: str | None
    to_lat: float
    to_lon: float
    to_block: int
    to_offset_m: float
    distance_m: float
    duration_min: float
    notes: str
    unit: str | None
    members: list[str]
    assigned_at: str | None
    depart_at: str | None
    eta_min: float | None
    travel_m: float | None
    accepted_at: str | None
    en_route_at: str | None
    started_at: str | None
    ended_at: str | None
    outcome: str | None
    created_by: str

    @classmethod
    def from_row(cls, row: sqlite3.Row | dict[str, Any]) -> Escort:
        d = {f.name: row[f.name] for f in fields(cls)}
        d["members"] = json.loads(d["members"]) if d["members"] else []
        return cls(**d)

    @property
    def provided(self) -> bool:
        """Started and finished: an escort service provided."""
        return self.status == "done" and self.started_at is not None

    @property
    def escort_min(self) -> float | None:
        """Minutes walked with the person(s) (``ended_at - started_at``), once ended after a start."""
        if self.started_at is None or self.ended_at is None:
            return None
        return round((parse_time(self.ended_at) - parse_time(self.started_at)).total_seconds() / 60.0, 3)

    @property
    def step(self) -> str:
        """The unit's latest step: ``assigned``, ``accepted``, ``en route`` or ``under way`` (or the status)."""
        if self.status not in ("assigned", "under way"):
            return self.status
        done = [s for s, col in STEPS.items() if getattr(self, col) is not None]
        return done[-1] if done else "assigned"

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "provided": self.provided, "escort_min": self.escort_min, "step": self.step}


def _point(p: EscortPoint, field: str) -> EscortPoint:
    try:
        block, off, lat, lon = p
        return int(block), float(off), float(lat), float(lon)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{field}: not a point on the network (block, offset_m, lat, lon)", field=field) from exc


class EscortBook:
    """The escorts of a record (see the module docstring).

    Parameters
    ----------
    record : Record
    """

    def __init__(self, record: Record):
        self.record = record

    # ------------------------------------------------------------------ reads
    def get(self, escort_id: int) -> Escort:
        """One escort.

        Raises
        ------
        NotFoundError
            When there is none with that id.
        """
        rows = self.record.query("SELECT * FROM escorts WHERE id=?", (_id(escort_id),))
        if not rows:
            raise NotFoundError(f"no escort {escort_id}", field="escort_id")
        return Escort.from_row(rows[0])

    def find(self, *, open_only: bool = False, status: str | None = None, unit: str | None = None,
             since=None, until=None, limit: int | None = None, offset: int = 0) -> list[Escort]:
        """Escorts by ``wanted_at``, newest first, filtered (``since``/``until`` on ``wanted_at``)."""
        where: list[str] = []
        params: list[Any] = []
        if open_only:
            where.append(f"status IN ({','.join('?' * len(OPEN))})")
            params += sorted(OPEN)
        if status is not None:
            where.append("status=?")
            params.append(check_choice(status, STATUSES, "status"))
        if unit is not None:
            where.append("unit=?")
            params.append(unit)
        if since is not None:
            where.append("wanted_at>=?")
            params.append(iso(since))
        if until is not None:
            where.append("wanted_at<?")
            params.append(iso(until))
        sql = "SELECT * FROM escorts" + (" WHERE " + " AND ".join(where) if where else "")
        sql += " ORDER BY wanted_at DESC, id DESC"
        if limit is not None or offset:
            if (limit is not None and int(limit) < 0) or int(offset) < 0:
                raise InputError("limit and offset must not be negative", field="limit")
            sql += f" LIMIT {-1 if limit is None else int(limit)} OFFSET {int(offset)}"
        return [Escort.from_row(r) for r in self.record.query(sql, params)]

    def engaged(self, since: datetime, until: datetime) -> list[Escort]:
        """Escorts a unit set off on in ``[since, until]`` (``depart_at``), oldest first."""
        rows = self.record.read("SELECT * FROM escorts WHERE unit IS NOT NULL AND depart_at>=? AND depart_at<=? "
                                 "AND status<>'requested' ORDER BY depart_at, id", (iso(since), iso(until)))
        return [Escort.from_row(r) for r in rows]

    # ------------------------------------------------------------------ writes
    def _change(self, escort_id: int, changes: dict[str, Any] | Callable[[Escort], dict[str, Any]], action: str,
                now: str, actor: str, *, allowed: Iterable[str], note: str = "", idem: Idempotency | None = None,
                check: Callable[[Escort, dict[str, Any]], None] | None = None) -> Escort:
        """Apply ``changes`` to an escort whose status is in ``allowed`` (one audited transaction)."""
        eid = _id(escort_id)
        ok = tuple(allowed)

        def work(c: sqlite3.Connection) -> Escort:
            row = c.execute("SELECT * FROM escorts WHERE id=?", (eid,)).fetchone()
            if row is None:
                raise NotFoundError(f"no escort {escort_id}", field="escort_id")
            esc = Escort.from_row(row)
            if esc.status not in ok:
                raise TransitionError(f"escort {eid} is {esc.status}: it cannot be {action}", field="status",
                                      details={"from": esc.status, "action": action})
            values = dict(changes(esc) if callable(changes) else changes)
            if check is not None:
                check(esc, values)
            values["updated_at"] = now
            sets = ", ".join(f"{k}=?" for k in values)
            c.execute(f"UPDATE escorts SET {sets} WHERE id=?", (*values.values(), eid))
            self.record.add_audit(c, now, actor, action, "escort", eid,
                                  {**{k: v for k, v in values.items() if k != "updated_at"},
                                   "from_status": esc.status, "note": note})
            return Escort.from_row(c.execute("SELECT * FROM escorts WHERE id=?", (eid,)).fetchone())

        return self.record.write(work, idem=idem, actor=actor)

    def request(self, *, from_text: str, from_point: EscortPoint, to_text: str, to_point: EscortPoint,
                distance_m: float, duration_min: float, wanted_at=None, people: int = 1, source: str = "phone",
                notes: str = "", from_matched: str | None = None, to_matched: str | None = None,
                requested_at=None, unit: str | None = None, members: Iterable[str] | None = None,
                started: bool = False, at=None, actor: str | None = None,
                idem: Idempotency | None = None) -> Escort:
        """Record a request (status ``requested``).

        With ``unit`` the request is taken on the spot by that unit (a walk-up: assigned, set off now, and
        with ``started`` already under way), in the same transaction.

        Parameters
        ----------
        from_point, to_point : (block, offset_m, lat, lon)
            A and B on the network (see :class:`patrol.dispatch.escort_desk.EscortDesk`, which geocodes them).
        distance_m, duration_min : float
            The walk from A to B and its expected minutes.
        wanted_at : time, optional
            When the person(s) want to set off (default: now).

        Raises
        ------
        InputError
            For a bad source, number of people, distance or point.
        """
        now, actor = self.record.stamp(at), actor or self.record.actor
        a, b = _point(from_point, "from"), _point(to_point, "to")
        if isinstance(people, bool) or not isinstance(people, int) or not 1 <= people <= 50:
            raise InputError(f"people: {people!r} must be a whole number from 1 to 50", field="people")
        if not (distance_m >= 0 and duration_min >= 0):
            raise InputError("the walk from A to B must have a length", field="to")
        requested = iso(requested_at) if requested_at is not None else now
        wanted = iso(wanted_at) if wanted_at is not None else requested
        row = {"requested_at": requested, "wanted_at": wanted, "created_at": now, "updated_at": now,
               "source": check_choice(source, SOURCES, "source"), "status": "requested", "people": people,
               "from_text": _text(from_text, "from", required=True, max_len=500), "from_matched": from_matched,
               "from_lat": a[2], "from_lon": a[3], "from_block": a[0], "from_offset_m": a[1],
               "to_text": _text(to_text, "to", required=True, max_len=500), "to_matched": to_matched,
               "to_lat": b[2], "to_lon": b[3], "to_block": b[0], "to_offset_m": b[1],
               "distance_m": float(distance_m), "duration_min": float(duration_min),
               "notes": _text(notes, "notes", max_len=10000), "created_by": actor}
        if unit is not None:
            name = _name(unit)
            row.update({"status": "under way" if started else "assigned", "unit": name,
                        "members": json.dumps([_name(m) for m in (members or [name])]), "assigned_at": now,
                        "depart_at": now, "eta_min": 0.0, "travel_m": 0.0})
            if started:
                row.update({"accepted_at": now, "en_route_at": now, "started_at": now})

        def work(c: sqlite3.Connection) -> Escort:
            cur = c.execute(f"INSERT INTO escorts({', '.join(row)}) VALUES ({','.join('?' * len(row))})",
                            tuple(row.values()))
            eid = int(cur.lastrowid or 0)
            self.record.add_audit(c, now, actor, "create", "escort", eid,
                                  {k: v for k, v in row.items() if k not in ("created_at", "updated_at")})
            return Escort.from_row(c.execute("SELECT * FROM escorts WHERE id=?", (eid,)).fetchone())

        return self.record.write(work, idem=idem, actor=actor)

    def assign(self, escort_id: int, unit: str, *, members: Iterable[str] | None = None, eta_min: float | None = None,
               travel_m: float | None = None, note: str = "", at=None, actor: str | None = None,
               idem: Idempotency | None = None) -> Escort:
        """Send a unit (again, before the start: another unit replaces the first).

        ``depart_at`` is ``wanted_at - eta_min``, not before now (the assignment).

        Raises
        ------
        TransitionError
            When the escort is under way, done or cancelled.
        """
        name = _name(unit)
        mem = [_name(m) for m in (members or [name])]
        now, actor = self.record.stamp(at), actor or self.record.actor

        def changes(esc: Escort) -> dict[str, Any]:
            depart = parse_time(esc.wanted_at) - timedelta(minutes=float(eta_min or 0.0))
            return {"status": "assigned", "unit": name, "members": json.dumps(mem), "assigned_at": now,
                    "depart_at": iso(max(depart, parse_time(now))), "eta_min": eta_min, "travel_m": travel_m,
                    "accepted_at": None, "en_route_at": None}

        return self._change(escort_id, changes, "assign", now, actor, allowed=("requested", "assigned"), note=note,
                            idem=idem)

    def step(self, escort_id: int, step: str, *, unit: str | None = None, note: str = "", at=None,
             actor: str | None = None, idem: Idempotency | None = None) -> Escort:
        """The unit's step: ``accepted``, ``en route`` or ``under way`` (= :meth:`start`).

        Earlier steps not reported yet are stamped too; ``unit`` (when given) must be the unit sent.

        Raises
        ------
        TransitionError
            When the step was reported already (or a later one), the escort is not assigned, or another unit
            has it.
        """
        st = check_choice(step, tuple(STEPS), "status")
        now, actor = self.record.stamp(at), actor or self.record.actor
        order = list(STEPS)

        def changes(esc: Escort) -> dict[str, Any]:
            if unit is not None and esc.unit != str(unit).strip():
                raise TransitionError(f"escort {esc.id} is {esc.unit}'s, not {unit}'s", field="unit")
            done = [s for s in order if getattr(esc, STEPS[s]) is not None]
            if done and order.index(done[-1]) >= order.index(st):
                raise TransitionError(f"escort {esc.id}: {done[-1]!r} was already reported", field="status",
                                      details={"from": done[-1], "to": st})
            out: dict[str, Any] = {STEPS[s]: now for s in order[:order.index(st) + 1] if getattr(esc, STEPS[s]) is None}
            if st == "under way":
                out["status"] = "under way"
            return out

        return self._change(escort_id, changes, "step", now, actor, allowed=("assigned",), note=note, idem=idem)

    def start(self, escort_id: int, **kw: Any) -> Escort:
        """Walking with the person(s) from A: status ``under way`` (see :meth:`step`)."""
        return self.step(escort_id, "under way", **kw)

    def finish(self, escort_id: int, outcome: str, *, unit: str | None = None, note: str = "", at=None,
               actor: str | None = None, idem: Idempotency | None = None) -> Escort:
        """Record how it ended (:data:`OUTCOMES`): status ``done``.

        From ``assigned`` (never started) only ``person declined``, ``person not found`` or ``other`` fit.

        Raises
        ------
        InputError
            For an outcome not in :data:`OUTCOMES`, or ``arrived`` / ``ended early`` / ``handed over`` for an
            escort that never started.
        TransitionError
            When it is not assigned or under way (or another unit has it).
        """
        out = check_choice(outcome, OUTCOMES, "outcome")
        now, actor = self.record.stamp(at), actor or self.record.actor

        def check(esc: Escort, _values: dict[str, Any]) -> None:
            if unit is not None and esc.unit != str(unit).strip():
                raise TransitionError(f"escort {esc.id} is {esc.unit}'s, not {unit}'s", field="unit")
            if esc.started_at is None and out in ("arrived", "ended early", "handed over"):
                raise InputError(f"escort {esc.id} never started: {out!r} cannot be its outcome (start it first, "
                                 "or record person declined / person not found)", field="outcome")

        return self._change(escort_id, {"status": "done", "ended_at": now, "outcome": out}, "finish", now, actor,
                            allowed=("assigned", "under way"), note=note, idem=idem, check=check)

    def cancel(self, escort_id: int, *, note: str = "", at=None, actor: str | None = None,
               idem: Idempotency | None = None) -> Escort:
        """Cancel (the caller no longer needs it, or nobody can go): status ``cancelled``.

        Raises
        ------
        TransitionError
            When it is done or cancelled already.
        """
        now, actor = self.record.stamp(at), actor or self.record.actor
        return self._change(escort_id, {"status": "cancelled", "ended_at": now}, "cancel", now, actor,
                            allowed=tuple(OPEN), note=note or "cancelled", idem=idem)


def engagement(esc: Escort) -> Engagement:
    """An escort with a unit as the position rules see it (:mod:`patrol.dispatch.positions`): from A (set off at
    ``depart_at``), started when walking with the person(s), cleared when done or cancelled.

    Raises
    ------
    InputError
        When the escort has no unit yet.
    """
    if esc.unit is None or esc.depart_at is None:
        raise InputError(f"escort {esc.id} has no unit yet", field="escort_id")
    leg = EscortLeg(esc.id, esc.to_block, esc.to_offset_m, esc.to_lat, esc.to_lon,
                    arrived=esc.status == "done" and esc.outcome == "arrived")
    return Engagement(esc.id, None, "safety escort", tuple(dict.fromkeys([esc.unit, *esc.members])), esc.from_block,
                      esc.from_offset_m, esc.from_lat, esc.from_lon, parse_time(esc.depart_at),
                      None if esc.started_at is None else parse_time(esc.started_at),
                      None if esc.ended_at is None else parse_time(esc.ended_at),
                      esc.status if esc.status in ("done", "cancelled") else None, leg)


def escort_engagements(record: Record, since: datetime, until: datetime) -> list[Engagement]:
    """Escorts a unit set off on in ``[since, until]``, oldest first, as engagements."""
    return [engagement(e) for e in EscortBook(record).engaged(since, until)]
