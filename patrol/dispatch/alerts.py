"""Ambassadors' safety in the record: SOS and overdue alerts, "I'm OK" answers, and the desk's messages.

Tables of schema version 4 (``docs/record-schema.md``), written through the record's own transactions (its
lock, group commit, idempotency keys and audit trail: :class:`SafetyLog` extends a
:class:`~patrol.dispatch.record.Record` with these writes and reads):

alerts
    An **SOS** pressed on a phone (with the last position known), or an **overdue alert** the service found from
    the record and its clock (:mod:`patrol.dispatch.overdue`): an on-scene check-in unanswered
    (``check-in overdue``) or no sign of life from a unit on duty (``no ping``).  An overdue alert carries its
    ``basis`` (what it is about, e.g. the assignment and the moment the question was asked): the pair
    ``(kind, basis)`` is unique, so however many requests evaluate the same moment, each alert is recorded once.
    The facts of an alert are never changed; it is stamped once when **acknowledged** and once when **closed**
    (triggers refuse anything else).  Any step of the desk on an alert acknowledges it first.
alert_actions
    What the desk did about an alert: ``backup sent`` (the unit, and the incident it was assigned to),
    ``911 called``, ``note``.
safety_checks
    An ambassador's "I'm OK" (on scene, or at any time): it answers the on-scene question and is a sign of life.
messages, message_recipients
    A message from the desk to one ambassador or unit, to everyone on duty, or to the units within a walking
    distance of a point.  The recipients are chosen when it is sent (ambassadors, so each phone acknowledges for
    itself) and each is stamped once when it acknowledges; acknowledging again answers the first stamp.

Every write has its audit row (entities ``alert``, ``alert_action``, ``safety_check``, ``message``,
``message_recipient``) and takes ``idem`` like every other write of the record.

>>> from patrol.dispatch.record import Record
>>> log = SafetyLog(Record(":memory:"))
>>> sos = log.raise_sos("amb3", "amb3", at="2026-06-02T16:20:00Z", position={"lat": 44.9485, "lon": -93.295})
>>> (sos.kind, sos.open, sos.acknowledged_at)
('sos', True, None)
>>> log.acknowledge(sos.id, at="2026-06-02T16:20:40Z", actor="desk").acknowledged_at
'2026-06-02T16:20:40.000Z'
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from patrol.dispatch.clock import iso
from patrol.dispatch.idempotency import Idempotency
from patrol.dispatch.record import Record
from patrol.dispatch.rows import _float_or_none, _id, _name, _Row, _text
from patrol.errors import InputError, NotFoundError, TransitionError

__all__ = [
    "ALERT_ACTIONS",
    "ALERT_KINDS",
    "AUDIENCES",
    "OVERDUE_KINDS",
    "Alert",
    "AlertAction",
    "Message",
    "NewAlert",
    "Recipient",
    "SafetyCheck",
    "SafetyLog",
]

#: Kinds of alert: an SOS pressed on a phone, and the two overdue alerts.
ALERT_KINDS: tuple[str, ...] = ("sos", "check-in overdue", "no ping")
#: The alerts the service finds itself (:mod:`patrol.dispatch.overdue`).
OVERDUE_KINDS: tuple[str, ...] = ("check-in overdue", "no ping")
#: What the desk records doing about an alert (acknowledging and closing are stamps on the alert).
ALERT_ACTIONS: tuple[str, ...] = ("backup sent", "911 called", "note")
#: Who a message goes to.
AUDIENCES: tuple[str, ...] = ("one", "all on duty", "near")
#: Longest message (characters): a few lines on a phone.
MAX_MESSAGE = 1000


def _alert_id(value: Any) -> int:
    try:
        return _id(value)
    except InputError as exc:
        raise InputError(f"{value!r} is not an alert id", field="alert_id") from exc


@dataclass(frozen=True)
class Alert(_Row):
    """One alert as stored (times are ISO-8601 UTC text); ``detail`` is what else was known when raised."""

    id: int
    kind: str
    unit: str
    ambassador: str
    raised_at: str
    recorded_at: str
    basis: str | None
    incident_id: int | None
    lat: float | None
    lon: float | None
    block: int | None
    offset_m: float | None
    position_at: str | None
    position_source: str | None
    detail: dict
    acknowledged_at: str | None
    acknowledged_by: str | None
    closed_at: str | None
    closed_by: str | None
    actor: str

    @property
    def open(self) -> bool:
        """Not closed yet."""
        return self.closed_at is None

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Alert:
        d = {k: row[k] for k in row.keys()}
        d["detail"] = json.loads(d["detail"] or "{}")
        return cls(**d)


@dataclass(frozen=True)
class AlertAction(_Row):
    """A step of the desk on an alert: ``backup sent`` (``unit``, ``incident_id``), ``911 called``, ``note``."""

    id: int
    alert_id: int
    action: str
    at: str
    unit: str | None
    incident_id: int | None
    note: str
    actor: str


@dataclass(frozen=True)
class SafetyCheck(_Row):
    """An ambassador's "I'm OK" (``incident_id``: the incident they were on scene at, if any)."""

    id: int
    unit: str
    ambassador: str
    incident_id: int | None
    at: str
    lat: float | None
    lon: float | None
    actor: str


@dataclass(frozen=True)
class Recipient(_Row):
    """One ambassador a message went to, and when they acknowledged it (``None``: not yet)."""

    message_id: int
    ambassador: str
    unit: str
    distance_m: float | None
    acknowledged_at: str | None
    acknowledged_by: str | None


@dataclass(frozen=True)
class Message(_Row):
    """A message from the desk, with its recipients."""

    id: int
    at: str
    text: str
    audience: str
    target: str | None
    location_text: str | None
    lat: float | None
    lon: float | None
    block: int | None
    offset_m: float | None
    radius_m: float | None
    actor: str
    recipients: tuple[Recipient, ...] = ()


@dataclass(frozen=True)
class NewAlert:
    """An alert to record: what :func:`patrol.dispatch.overdue.find_overdue` finds, or an SOS.

    Attributes
    ----------
    kind : str
        One of :data:`ALERT_KINDS`.
    unit, ambassador : str
    raised_at : str
        When it was pressed, or fell due (ISO-8601).
    basis : str or None
        What an overdue alert is about (unique per kind); ``None`` for an SOS.
    incident_id : int or None
    position : dict
        ``lat, lon, block, offset_m, at, source`` of the last position known (any may be missing).
    detail : dict
        What else is known (JSON-able).
    """

    kind: str
    unit: str
    ambassador: str
    raised_at: str
    basis: str | None = None
    incident_id: int | None = None
    position: dict[str, Any] | None = None
    detail: dict[str, Any] | None = None


class SafetyLog:
    """Alerts, safety checks and messages in one :class:`~patrol.dispatch.record.Record` (its file and lock).

    Parameters
    ----------
    record : Record
    """

    def __init__(self, record: Record):
        self.record = record

    # ------------------------------------------------------------------ alerts
    def raise_sos(self, unit: str, ambassador: str, *, position: dict[str, Any] | None = None,
                  incident_id: int | None = None, detail: dict[str, Any] | None = None, at=None,
                  actor: str | None = None, idem: Idempotency | None = None) -> Alert:
        """Record an SOS pressed by ``ambassador`` (of ``unit``) at ``at``, with the last position known."""
        new = NewAlert("sos", _name(unit, "unit"), _name(ambassador), self.record._iso(at), None,
                       incident_id, position, detail)
        actor = actor or self.record.actor
        return self.record._write(lambda c: self._insert_alert(c, new, actor), idem=idem, actor=actor)

    def raise_due(self, alerts: Sequence[NewAlert], *, actor: str = "service") -> list[Alert]:
        """Record the overdue alerts not recorded yet (by ``(kind, basis)``); return the new ones.

        Nothing is written when every alert is already recorded (the console polls this every few seconds).
        """
        todo = [a for a in alerts if a.basis is not None]
        if any(a.kind not in OVERDUE_KINDS for a in todo):
            raise InputError("only overdue alerts are raised by the service", field="kind")
        missing = [a for a in todo if not self._known(a.kind, str(a.basis))]
        if not missing:
            return []

        def work(c: sqlite3.Connection) -> list[Alert]:
            out = []
            for a in missing:
                if c.execute("SELECT 1 FROM alerts WHERE kind=? AND basis=?", (a.kind, a.basis)).fetchone() is None:
                    out.append(self._insert_alert(c, a, actor))  # another request may have recorded it meanwhile
            return out

        return self.record._write(work, actor=actor)

    def _known(self, kind: str, basis: str) -> bool:
        return bool(self.record._query("SELECT 1 FROM alerts WHERE kind=? AND basis=?", (kind, basis)))

    def _insert_alert(self, c: sqlite3.Connection, a: NewAlert, actor: str) -> Alert:
        if a.kind not in ALERT_KINDS:
            raise InputError(f"alert kind {a.kind!r} is not one of: {', '.join(ALERT_KINDS)}", field="kind")
        pos = a.position or {}
        lat, lon = _float_or_none(pos.get("lat"), "lat"), _float_or_none(pos.get("lon"), "lon")
        if (lat is None) != (lon is None) or (lat is not None and lon is not None
                                              and not (-90 <= lat <= 90 and -180 <= lon <= 180)):
            raise InputError(f"{lat},{lon} is not a latitude,longitude", field="lat")
        if a.incident_id is not None:
            self.record._incident(c, a.incident_id)
        now = self.record._iso(None)
        detail = json.dumps(a.detail or {}, sort_keys=True, default=str)
        cur = c.execute(
            "INSERT INTO alerts(kind, unit, ambassador, raised_at, recorded_at, basis, incident_id, lat, lon, block, "
            "offset_m, position_at, position_source, detail, actor) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (a.kind, a.unit, a.ambassador, iso(a.raised_at), now, a.basis, a.incident_id, lat, lon,
             None if pos.get("block") is None else int(pos["block"]), _float_or_none(pos.get("offset_m"), "offset_m"),
             None if pos.get("at") is None else iso(pos["at"]), pos.get("source"), detail, actor))
        aid = int(cur.lastrowid or 0)
        self.record._audit(c, now, actor, "create", "alert", aid,
                           {"kind": a.kind, "unit": a.unit, "ambassador": a.ambassador, "raised_at": a.raised_at,
                            "basis": a.basis, "incident_id": a.incident_id, "position": pos})
        return self._alert(c, aid)

    def _alert(self, c: sqlite3.Connection, alert_id: int) -> Alert:
        row = c.execute("SELECT * FROM alerts WHERE id=?", (_alert_id(alert_id),)).fetchone()
        if row is None:
            raise NotFoundError(f"no alert {alert_id}", field="alert_id")
        return Alert.from_row(row)

    def get(self, alert_id: int) -> Alert:
        """One alert.

        Raises
        ------
        NotFoundError
            When there is no alert with that id.
        """
        rows = self.record._query("SELECT * FROM alerts WHERE id=?", (_alert_id(alert_id),))
        if not rows:
            raise NotFoundError(f"no alert {alert_id}", field="alert_id")
        return Alert.from_row(rows[0])

    def alerts(self, *, open_only: bool = False, kind: str | None = None, unit: str | None = None, since=None,
               until=None, limit: int | None = None) -> list[Alert]:
        """Alerts by ``raised_at``, newest first (``open_only``: not closed)."""
        where, params = [], []
        if open_only:
            where.append("closed_at IS NULL")
        for col, val in (("kind", kind), ("unit", unit)):
            if val is not None:
                where.append(f"{col}=?")
                params.append(val)
        if since is not None:
            where.append("raised_at>=?")
            params.append(iso(since))
        if until is not None:
            where.append("raised_at<?")
            params.append(iso(until))
        sql = "SELECT * FROM alerts" + (" WHERE " + " AND ".join(where) if where else "") + \
            " ORDER BY raised_at DESC, id DESC"
        if limit is not None:
            sql += f" LIMIT {max(0, int(limit))}"
        return Alert.from_rows(self.record._query(sql, params))

    def actions(self, alert_ids: Iterable[int]) -> dict[int, list[AlertAction]]:
        """The desk's steps on each alert, oldest first."""
        ids = sorted({int(i) for i in alert_ids})
        out: dict[int, list[AlertAction]] = {i: [] for i in ids}
        for k in range(0, len(ids), 500):
            chunk = ids[k:k + 500]
            rows = self.record._query(f"SELECT * FROM alert_actions WHERE alert_id IN ({','.join('?' * len(chunk))}) "
                                      "ORDER BY id", chunk)
            for r in rows:
                out[int(r["alert_id"])].append(AlertAction.from_row(r))
        return out

    def _stamp_ack(self, c: sqlite3.Connection, al: Alert, now: str, actor: str, note: str) -> Alert:
        if al.acknowledged_at is not None:
            return al
        c.execute("UPDATE alerts SET acknowledged_at=?, acknowledged_by=? WHERE id=?", (now, actor, al.id))
        self.record._audit(c, now, actor, "acknowledge", "alert", al.id, {"note": note})
        return self._alert(c, al.id)

    def acknowledge(self, alert_id: int, *, note: str = "", at=None, actor: str | None = None,
                    idem: Idempotency | None = None) -> Alert:
        """Stamp an alert acknowledged.

        Raises
        ------
        TransitionError
            When it was acknowledged already (naming by whom and when).
        """
        now, actor = self.record._iso(at), actor or self.record.actor
        note = _text(note, "note")

        def work(c: sqlite3.Connection) -> Alert:
            al = self._alert(c, alert_id)
            if al.acknowledged_at is not None:
                raise TransitionError(f"alert {al.id} was acknowledged already, at {al.acknowledged_at} by "
                                      f"{al.acknowledged_by}", field="alert_id",
                                      details={"acknowledged_at": al.acknowledged_at,
                                               "acknowledged_by": al.acknowledged_by})
            return self._stamp_ack(c, al, now, actor, note)

        return self.record._write(work, idem=idem, actor=actor)

    def close(self, alert_id: int, *, note: str = "", at=None, actor: str | None = None,
              idem: Idempotency | None = None) -> Alert:
        """Close an alert (resolved), acknowledging it first when it was not.

        Raises
        ------
        TransitionError
            When it is closed already.
        """
        now, actor = self.record._iso(at), actor or self.record.actor
        note = _text(note, "note")

        def work(c: sqlite3.Connection) -> Alert:
            al = self._open_alert(c, alert_id)
            al = self._stamp_ack(c, al, now, actor, note)
            c.execute("UPDATE alerts SET closed_at=?, closed_by=? WHERE id=?", (now, actor, al.id))
            self.record._audit(c, now, actor, "close", "alert", al.id, {"note": note})
            return self._alert(c, al.id)

        return self.record._write(work, idem=idem, actor=actor)

    def _open_alert(self, c: sqlite3.Connection, alert_id: int) -> Alert:
        al = self._alert(c, alert_id)
        if al.closed_at is not None:
            raise TransitionError(f"alert {al.id} was closed at {al.closed_at} by {al.closed_by}", field="alert_id",
                                  details={"closed_at": al.closed_at, "closed_by": al.closed_by})
        return al

    def add_action(self, alert_id: int, action: str, *, unit: str | None = None, incident_id: int | None = None,
                   note: str = "", at=None, actor: str | None = None, idem: Idempotency | None = None) -> AlertAction:
        """Record a step of the desk on an open alert (:data:`ALERT_ACTIONS`), acknowledging it first if needed.

        Raises
        ------
        InputError
            For an unknown action, or ``backup sent`` without its unit.
        TransitionError
            When the alert is closed.
        """
        if action not in ALERT_ACTIONS:
            raise InputError(f"action {action!r} is not one of: {', '.join(ALERT_ACTIONS)}", field="action")
        if action == "backup sent" and not unit:
            raise InputError("backup sent: name the unit sent", field="ambassador")
        name = None if unit is None else _name(unit, "ambassador")
        now, actor = self.record._iso(at), actor or self.record.actor
        note = _text(note, "note")

        def work(c: sqlite3.Connection) -> AlertAction:
            al = self._stamp_ack(c, self._open_alert(c, alert_id), now, actor, "")
            if incident_id is not None:
                self.record._incident(c, incident_id)
            cur = c.execute("INSERT INTO alert_actions(alert_id, action, at, unit, incident_id, note, actor) "
                            "VALUES (?,?,?,?,?,?,?)", (al.id, action, now, name, incident_id, note, actor))
            xid = int(cur.lastrowid or 0)
            self.record._audit(c, now, actor, "create", "alert_action", xid,
                               {"alert_id": al.id, "action": action, "unit": name, "incident_id": incident_id,
                                "note": note})
            return AlertAction.from_row(c.execute("SELECT * FROM alert_actions WHERE id=?", (xid,)).fetchone())

        return self.record._write(work, idem=idem, actor=actor)

    def link_incident(self, alert_id: int, incident_id: int, *, at=None, actor: str | None = None) -> Alert:
        """Link the incident opened for an alert (once: an alert already linked keeps its incident)."""
        now, actor = self.record._iso(at), actor or self.record.actor

        def work(c: sqlite3.Connection) -> Alert:
            al = self._alert(c, alert_id)
            if al.incident_id is not None:
                return al
            self.record._incident(c, incident_id)
            c.execute("UPDATE alerts SET incident_id=? WHERE id=?", (int(incident_id), al.id))
            self.record._audit(c, now, actor, "update", "alert", al.id, {"incident_id": int(incident_id)})
            return self._alert(c, al.id)

        return self.record._write(work, actor=actor)

    # ------------------------------------------------------------------ safety checks
    def check_in(self, unit: str, ambassador: str, *, incident_id: int | None = None, lat: float | None = None,
                 lon: float | None = None, at=None, actor: str | None = None,
                 idem: Idempotency | None = None) -> SafetyCheck:
        """Record an ambassador's "I'm OK"."""
        row = (_name(unit, "unit"), _name(ambassador), None if incident_id is None else _id(incident_id),
               self.record._iso(at), _float_or_none(lat, "lat"), _float_or_none(lon, "lon"))
        actor = actor or self.record.actor

        def work(c: sqlite3.Connection) -> SafetyCheck:
            if row[2] is not None:
                self.record._incident(c, row[2])
            cur = c.execute("INSERT INTO safety_checks(unit, ambassador, incident_id, at, lat, lon, actor) "
                            "VALUES (?,?,?,?,?,?,?)", (*row, actor))
            sid = int(cur.lastrowid or 0)
            self.record._audit(c, row[3], actor, "create", "safety_check", sid,
                               {"unit": row[0], "ambassador": row[1], "incident_id": row[2]})
            return SafetyCheck.from_row(c.execute("SELECT * FROM safety_checks WHERE id=?", (sid,)).fetchone())

        return self.record._write(work, idem=idem, actor=actor)

    def checks(self, *, units: Iterable[str] | None = None, since=None, until=None) -> list[SafetyCheck]:
        """Safety checks by time, oldest first (of some units)."""
        where, params = ["1=1"], []
        if units is not None:
            names = list(units)
            where.append(f"unit IN ({','.join('?' * len(names))})" if names else "0")
            params += names
        if since is not None:
            where.append("at>=?")
            params.append(iso(since))
        if until is not None:
            where.append("at<=?")
            params.append(iso(until))
        rows = self.record._query("SELECT * FROM safety_checks WHERE " + " AND ".join(where) + " ORDER BY at, id",
                                  params)
        return SafetyCheck.from_rows(rows)

    # ------------------------------------------------------------------ messages
    def send_message(self, text: str, audience: str, recipients: Sequence[tuple[str, str, float | None]], *,
                     target: str | None = None, location_text: str | None = None,
                     point: dict[str, Any] | None = None, radius_m: float | None = None, at=None,
                     actor: str | None = None, idem: Idempotency | None = None) -> Message:
        """Record a message and its recipients ``(ambassador, unit, distance_m)``.

        Raises
        ------
        InputError
            For an empty or too long text, an unknown audience, or no recipient.
        """
        body = _text(text, "text", required=True, max_len=MAX_MESSAGE)
        if audience not in AUDIENCES:
            raise InputError(f"audience {audience!r} is not one of: {', '.join(AUDIENCES)}", field="to")
        people: dict[str, tuple[str, str, float | None]] = {}
        for amb, unit, dist in recipients:
            people.setdefault(_name(amb), (_name(amb), _name(unit, "unit"), _float_or_none(dist, "distance_m")))
        if not people:
            raise InputError("the message has nobody to go to", field="to")
        pt = point or {}
        now, actor = self.record._iso(at), actor or self.record.actor

        def work(c: sqlite3.Connection) -> Message:
            cur = c.execute(
                "INSERT INTO messages(at, text, audience, target, location_text, lat, lon, block, offset_m, radius_m, "
                "actor) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (now, body, audience, target, location_text, _float_or_none(pt.get("lat"), "lat"),
                 _float_or_none(pt.get("lon"), "lon"), None if pt.get("block") is None else int(pt["block"]),
                 _float_or_none(pt.get("offset_m"), "offset_m"), _float_or_none(radius_m, "radius_m"), actor))
            mid = int(cur.lastrowid or 0)
            c.executemany("INSERT INTO message_recipients(message_id, ambassador, unit, distance_m) VALUES (?,?,?,?)",
                          [(mid, *p) for p in people.values()])
            self.record._audit(c, now, actor, "create", "message", mid,
                               {"text": body, "audience": audience, "target": target, "location_text": location_text,
                                "radius_m": radius_m, "recipients": sorted(people)})
            return self._message(c, mid)

        return self.record._write(work, idem=idem, actor=actor)

    def _message(self, c: sqlite3.Connection, message_id: int) -> Message:
        row = c.execute("SELECT * FROM messages WHERE id=?", (_id(message_id),)).fetchone()
        if row is None:
            raise NotFoundError(f"no message {message_id}", field="message_id")
        rec = c.execute("SELECT * FROM message_recipients WHERE message_id=? ORDER BY ambassador", (row["id"],))
        return Message(**{k: row[k] for k in row.keys()},
                       recipients=tuple(Recipient.from_row(r) for r in rec.fetchall()))

    def message(self, message_id: int) -> Message:
        """One message with its recipients.

        Raises
        ------
        NotFoundError
        """
        rows = self.record._query("SELECT * FROM messages WHERE id=?", (_id(message_id),))
        if not rows:
            raise NotFoundError(f"no message {message_id}", field="message_id")
        who = self.record._query("SELECT * FROM message_recipients WHERE message_id=? ORDER BY ambassador",
                                 (rows[0]["id"],))
        return Message(**{k: rows[0][k] for k in rows[0].keys()},
                       recipients=tuple(Recipient.from_row(r) for r in who))

    def messages(self, *, since=None, ambassador: str | None = None, limit: int | None = None,
                 offset: int = 0) -> list[Message]:
        """Messages, newest first, with their recipients (``ambassador``: only those sent to that ambassador)."""
        where, params = ["1=1"], []
        if since is not None:
            where.append("m.at>=?")
            params.append(iso(since))
        if ambassador is not None:
            where.append("EXISTS (SELECT 1 FROM message_recipients r WHERE r.message_id=m.id AND r.ambassador=?)")
            params.append(ambassador)
        sql = "SELECT m.* FROM messages m WHERE " + " AND ".join(where) + " ORDER BY m.at DESC, m.id DESC"
        if limit is not None or offset:
            sql += f" LIMIT {-1 if limit is None else max(0, int(limit))} OFFSET {max(0, int(offset))}"
        rows = self.record._query(sql, params)
        if not rows:
            return []
        ids = [int(r["id"]) for r in rows]
        who: dict[int, list[Recipient]] = {i: [] for i in ids}
        marks = ",".join("?" * len(ids))
        for r in self.record._query(f"SELECT * FROM message_recipients WHERE message_id IN ({marks}) "
                                    "ORDER BY ambassador", ids):
            who[int(r["message_id"])].append(Recipient.from_row(r))
        return [Message(**{k: r[k] for k in r.keys()}, recipients=tuple(who[int(r["id"])])) for r in rows]

    def acknowledge_message(self, message_id: int, ambassador: str, *, at=None, actor: str | None = None,
                            idem: Idempotency | None = None) -> Recipient:
        """Stamp a recipient's acknowledgement (acknowledging again answers the first stamp, unchanged).

        Raises
        ------
        NotFoundError
            For an unknown message, or one not sent to ``ambassador``.
        """
        name = _name(ambassador)
        now, actor = self.record._iso(at), actor or self.record.actor

        def work(c: sqlite3.Connection) -> Recipient:
            msg = self._message(c, message_id)
            mine = next((r for r in msg.recipients if r.ambassador == name), None)
            if mine is None:
                raise NotFoundError(f"message {msg.id} was not sent to {name}", field="message_id")
            if mine.acknowledged_at is not None:
                return mine
            stamp = max(now, msg.at)  # never before it was sent (a phone's clock may be behind)
            c.execute("UPDATE message_recipients SET acknowledged_at=?, acknowledged_by=? WHERE message_id=? AND "
                      "ambassador=?", (stamp, actor, msg.id, name))
            self.record._audit(c, stamp, actor, "acknowledge", "message_recipient", msg.id, {"ambassador": name})
            row = c.execute("SELECT * FROM message_recipients WHERE message_id=? AND ambassador=?",
                            (msg.id, name)).fetchone()
            return Recipient.from_row(row)

        return self.record._write(work, idem=idem, actor=actor)
