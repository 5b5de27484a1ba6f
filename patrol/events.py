"""Special events: what the lead or the dispatcher enters, where it is on the streets, and when.

An event (a street fair, a concert letting out, a library program) has a name, a place, a start and an end,
an expected crowd, what ambassadors should tell people, and the presence wanted: how many ambassadors, and
whether they stay at the event (``dwell``) or walk around it (``loop``), from set-up (``before_min``) to
dispersal (``after_min``).

Place
    Anything the geocoder accepts (``"Hennepin & Lagoon"``, ``"Walker Library"``, ``"44.9495,-93.2986"``),
    or a list of block ids.  A place is resolved to the blocks of the event's footprint: the block the point
    lies on (every block meeting there, for an intersection) and, with ``radius_m``, every block the walk from
    the point reaches within that many metres along the streets.  ``anchor`` is the point itself (for a list
    of blocks: the middle of the first one), where a ``dwell`` stands.
Record
    Events are kept in the district's record (table ``events``, ``docs/record-schema.md``) by
    :class:`EventBook`; nothing is deleted: removing an event stamps ``removed_at``.
The planner
    :func:`events_on` is what the daily planner calls: the live events of a local date with their blocks
    resolved on the district it plans; :meth:`Event.window_min` gives the presence window in the plan's clock
    (local minutes after midnight of that date); :func:`patrol.planning.event_duty.plan_events` places the
    presence on the day's plan, and the route sheets' first page lists the events and what to tell people.

>>> from datetime import date
>>> from patrol.district import load_district
>>> d = load_district()
>>> ev = new_event(d, name="Art fair", place="Hennepin & Lagoon", start="2026-06-06 12:00", end="2026-06-06 17:00",
...                ambassadors=2, presence="loop", radius_m=120)
>>> ev.window_min(date(2026, 6, 6), d.settings.district.timezone)
(720.0, 1020.0)
>>> len(ev.blocks) > 4
True
"""

from __future__ import annotations

import json
import logging
import math
import re
import sqlite3
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from patrol.dispatch.clock import iso, local_moment, parse_time, zone
from patrol.dispatch.idempotency import Idempotency
from patrol.dispatch.record import Record
from patrol.district import District
from patrol.errors import InputError, NotFoundError, PatrolError, RecordError
from patrol.paths import from_point

__all__ = [
    "PRESENCE_MODES",
    "Event",
    "EventBook",
    "Presence",
    "event_time",
    "events_on",
    "new_event",
    "resolve_place",
]

log = logging.getLogger(__name__)

#: How the wanted presence is kept: stay at the event's anchor, or walk around its blocks.
PRESENCE_MODES: tuple[str, ...] = ("dwell", "loop")
#: Longest event (a multi-day fair is entered one day at a time).
MAX_EVENT_HOURS = 24
_HHMM = re.compile(r"^\d{1,2}:\d{2}$")
_LOCAL = re.compile(r"^(\d{4}-\d{2}-\d{2})[ T](\d{1,2}:\d{2})$")


@dataclass(frozen=True)
class Presence:
    """The presence an event wants.

    Attributes
    ----------
    ambassadors : int
        How many ambassadors at or around the event at every minute of the window.
    mode : str
        ``dwell`` (stay at the anchor) or ``loop`` (walk around the event's blocks).
    before_min, after_min : float
        Set-up and dispersal: the window starts this long before the event and ends this long after it.
    """

    ambassadors: int = 1
    mode: str = "dwell"
    before_min: float = 0.0
    after_min: float = 0.0

    def check(self) -> Presence:
        """Return self when valid.

        Raises
        ------
        InputError
            Naming the field at fault.
        """
        n = self.ambassadors
        if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= 50:
            raise InputError(f"ambassadors: {self.ambassadors!r} must be a whole number from 1 to 50",
                             field="ambassadors")
        if self.mode not in PRESENCE_MODES:
            raise InputError(f"presence: {self.mode!r} is not one of {', '.join(PRESENCE_MODES)}", field="presence")
        for name in ("before_min", "after_min"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v) or not 0 <= v <= 240:
                raise InputError(f"{name}: {v!r} must be minutes from 0 to 240", field=name)
        return self


@dataclass(frozen=True)
class Event:
    """A special event (see the module docstring).

    Attributes
    ----------
    name : str
    start, end : datetime
        Aware UTC times of the event itself.
    blocks : tuple of int
        The event's footprint on the district's streets (block ids, the anchor's block first).
    anchor : (int, float)
        ``(block, offset_m)``: where a ``dwell`` stands.
    place : str or None
        The place as entered (``None`` when the blocks were listed).
    radius_m : float
    crowd : int or None
        Expected people.
    info : str
        What ambassadors should tell people.
    presence : Presence
    id : int or None
        Its id in the record (``None`` before it is stored).
    district : str
    matched : str or None
        What the geocoder matched the place to.
    lat, lon : float
        The anchor's coordinates.
    created_at, created_by, removed_at, removed_by : str or None
    """

    name: str
    start: datetime
    end: datetime
    blocks: tuple[int, ...]
    anchor: tuple[int, float]
    place: str | None = None
    radius_m: float = 0.0
    crowd: int | None = None
    info: str = ""
    presence: Presence = field(default_factory=Presence)
    id: int | None = None
    district: str = ""
    matched: str | None = None
    lat: float = 0.0
    lon: float = 0.0
    created_at: str | None = None
    created_by: str | None = None
    removed_at: str | None = None
    removed_by: str | None = None

    @property
    def presence_start(self) -> datetime:
        """When the wanted presence starts (set-up)."""
        return self.start - timedelta(minutes=self.presence.before_min)

    @property
    def presence_end(self) -> datetime:
        """When the wanted presence ends (dispersal)."""
        return self.end + timedelta(minutes=self.presence.after_min)

    def window_min(self, day: date | str, tz: str, *, presence: bool = True) -> tuple[float, float] | None:
        """The window in the plan's clock: local minutes after midnight of ``day``, clipped to that day.

        Parameters
        ----------
        day : date or str
            The local date (``YYYY-MM-DD``).
        tz : str
            The district's time zone.
        presence : bool
            The presence window (set-up to dispersal, the default) or the event's own start and end.

        Returns
        -------
        (float, float) or None
            ``None`` when the window does not touch that day.
        """
        d = _date(day)
        z = zone(tz)
        lo = datetime(d.year, d.month, d.day, tzinfo=z).astimezone(UTC)
        nxt = d + timedelta(days=1)
        hi = datetime(nxt.year, nxt.month, nxt.day, tzinfo=z).astimezone(UTC)
        a, b = (self.presence_start, self.presence_end) if presence else (self.start, self.end)
        a, b = max(a, lo), min(b, hi)
        if b <= a:
            return None
        return (a - lo).total_seconds() / 60.0, (b - lo).total_seconds() / 60.0

    def local_text(self, tz: str) -> str:
        """``Sat 6 Jun 12:00-17:00`` in the district's time."""
        z = zone(tz)
        a, b = self.start.astimezone(z), self.end.astimezone(z)
        day = f"{a:%a} {a.day} {a:%b}"
        end = f"{b:%H:%M}" if b.date() == a.date() else f"{b:%a} {b.day} {b:%b} {b:%H:%M}"
        return f"{day} {a:%H:%M}-{end}"

    def to_dict(self, tz: str | None = None) -> dict[str, Any]:
        """JSON-ready; with ``tz`` also the local times (``local``: ``"2026-06-06 12:00"``)."""
        d = asdict(self)
        d["start"], d["end"] = iso(self.start), iso(self.end)
        d["blocks"], d["anchor"] = list(self.blocks), [self.anchor[0], round(self.anchor[1], 2)]
        d["presence_start"], d["presence_end"] = iso(self.presence_start), iso(self.presence_end)
        if tz is not None:
            z = zone(tz)
            d["local"] = {"start": f"{self.start.astimezone(z):%Y-%m-%d %H:%M}",
                          "end": f"{self.end.astimezone(z):%Y-%m-%d %H:%M}", "text": self.local_text(tz)}
        return d


# ---------------------------------------------------------------------------------------- inputs
def _date(day: date | str) -> date:
    if isinstance(day, datetime):
        return day.date()
    if isinstance(day, date):
        return day
    try:
        return date.fromisoformat(str(day).strip())
    except ValueError as exc:
        raise InputError(f"date: {day!r} is not YYYY-MM-DD", field="date") from exc


def event_time(value: datetime | str, tz: str, *, on: date | str | None = None, field: str = "start") -> datetime:
    """An event time as an aware UTC time.

    Accepted: an aware datetime; ISO-8601 text with a zone (``2026-06-06T17:00:00Z``); a local
    ``YYYY-MM-DD HH:MM`` (or with ``T``) or naive ISO text in the district's time; ``HH:MM`` on the local
    date ``on``.

    Raises
    ------
    InputError
        Naming ``field``.
    """
    if isinstance(value, datetime):
        if value.tzinfo is None:
            return value.replace(tzinfo=zone(tz)).astimezone(UTC)
        return parse_time(value, field=field)
    text = str(value).strip()
    if _HHMM.match(text):
        if on is None:
            raise InputError(f"{field}: {text!r} needs a date (YYYY-MM-DD HH:MM)", field=field)
        return local_moment(text, tz, on=_date(on))
    m = _LOCAL.match(text)
    if m:
        return local_moment(m.group(2), tz, on=_date(m.group(1)))
    try:
        dt = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text)
    except ValueError as exc:
        raise InputError(f"{field}: {text!r} is not a time (YYYY-MM-DD HH:MM in the district's time, or "
                         "ISO-8601)", field=field) from exc
    return event_time(dt, tz, field=field)


def resolve_place(district: District, place: str | None = None, blocks: Sequence[int] | None = None, *,
                  radius_m: float = 0.0) -> tuple[tuple[int, ...], tuple[int, float], str | None, float, float]:
    """An event's footprint on the district's streets.

    Parameters
    ----------
    district : District
    place : str, optional
        Anything the geocoder accepts.
    blocks : sequence of int, optional
        Block ids (instead of a place).
    radius_m : float
        With a place: also every block the walk from the point reaches within this many metres.

    Returns
    -------
    blocks, anchor, matched, lat, lon
        Block ids (the anchor's block first, then by walking distance from the point, or as listed),
        the anchor ``(block, offset_m)``, the geocoder's match and the anchor's coordinates.

    Raises
    ------
    InputError
        With neither or both of ``place`` and ``blocks``, an unknown block or a bad radius.
    GeocodeError
        When the place cannot be resolved.
    """
    if not isinstance(radius_m, int | float) or isinstance(radius_m, bool) or not 0 <= radius_m <= 2000:
        raise InputError(f"radius_m: {radius_m!r} must be metres from 0 to 2000", field="radius_m")
    has_place = place is not None and str(place).strip() != ""
    if has_place == bool(blocks):
        raise InputError("give the event's place (what the geocoder accepts) or its blocks, one of the two",
                         field="place")
    arrays = district.arrays
    if not has_place:
        out: list[int] = []
        for b in blocks or ():
            if isinstance(b, bool) or not isinstance(b, int | np.integer) or not 0 <= int(b) < arrays.n_edges:
                raise InputError(f"blocks: {b!r} is not a block of this district (0..{arrays.n_edges - 1})",
                                 field="blocks")
            if int(b) not in out:
                out.append(int(b))
        first = out[0]
        off = float(arrays.edge_length[first]) / 2.0
        lat, lon = district.geocoder.point_on_block(first, off)
        return tuple(out), (first, off), None, float(lat), float(lon)
    loc = district.geocode(str(place))
    dist, _, _ = from_point(arrays, int(loc.block), float(loc.offset_m), limit=float(radius_m) + 1e-6)
    reach = np.minimum(dist[arrays.edge_u], dist[arrays.edge_v])
    near = np.flatnonzero(reach <= radius_m + 1e-6)
    ordered = sorted((int(b) for b in near if int(b) != int(loc.block)), key=lambda b: (float(reach[b]), b))
    return ((int(loc.block), *ordered), (int(loc.block), float(loc.offset_m)), loc.matched, float(loc.lat),
            float(loc.lon))


def _text(value: Any, field: str, *, required: bool = False, max_len: int = 2000) -> str:
    v = "" if value is None else str(value).strip()
    if required and not v:
        raise InputError(f"{field} must not be empty", field=field)
    if len(v) > max_len:
        raise InputError(f"{field} is longer than {max_len} characters", field=field)
    return v


def new_event(district: District, *, name: str, start: datetime | str, end: datetime | str,
              place: str | None = None, blocks: Sequence[int] | None = None, radius_m: float = 0.0,
              crowd: int | None = None, info: str = "", ambassadors: int = 1, presence: str = "dwell",
              before_min: float = 0.0, after_min: float = 0.0) -> Event:
    """A checked event with its footprint resolved on the district (not stored: see :meth:`EventBook.add`).

    ``start`` and ``end`` are read by :func:`event_time` (``end`` may be a bare ``HH:MM`` on the start's
    local date).

    Raises
    ------
    InputError
        Naming the field at fault (an end not after the start, an event over 24 hours, a crowd below 0 ...).
    GeocodeError
        When the place cannot be resolved.
    """
    tz = district.settings.district.timezone
    title = _text(name, "name", required=True, max_len=200)
    t0 = event_time(start, tz, field="start")
    t1 = event_time(end, tz, on=t0.astimezone(zone(tz)).date(), field="end")
    if t1 <= t0:
        raise InputError(f"end ({iso(t1)}) must be after start ({iso(t0)})", field="end")
    if t1 - t0 > timedelta(hours=MAX_EVENT_HOURS):
        raise InputError(f"an event lasts at most {MAX_EVENT_HOURS} hours: enter a longer one day by day",
                         field="end")
    if crowd is not None and (isinstance(crowd, bool) or not isinstance(crowd, int) or not 0 <= crowd <= 10**7):
        raise InputError(f"crowd: {crowd!r} must be a whole number of people", field="crowd")
    want = Presence(ambassadors, str(presence).strip().lower(), before_min, after_min).check()
    fp, anchor, matched, lat, lon = resolve_place(district, place, blocks, radius_m=radius_m)
    return Event(title, t0, t1, fp, anchor, _text(place, "place", max_len=500) or None, float(radius_m), crowd,
                 _text(info, "info", max_len=4000), want, district=district.name, matched=matched, lat=lat, lon=lon)


# ---------------------------------------------------------------------------------------- the record
_COLUMNS = ("district", "name", "place", "blocks", "radius_m", "start_at", "end_at", "crowd", "info", "ambassadors",
            "presence", "before_min", "after_min", "created_at", "created_by")


def _from_row(row: dict[str, Any], district: District | None = None) -> Event:
    """An event as stored; with ``district``, its footprint resolved again on that district."""
    blocks = tuple(int(b) for b in json.loads(row["blocks"]))
    want = Presence(int(row["ambassadors"]), str(row["presence"]), float(row["before_min"]), float(row["after_min"]))
    ev = Event(str(row["name"]), parse_time(row["start_at"]), parse_time(row["end_at"]), blocks, (blocks[0], 0.0),
               row["place"], float(row["radius_m"]), None if row["crowd"] is None else int(row["crowd"]),
               str(row["info"]), want, int(row["id"]), str(row["district"]), None, 0.0, 0.0, row["created_at"],
               row["created_by"], row["removed_at"], row["removed_by"])
    if district is not None:
        fp, anchor, matched, lat, lon = resolve_place(district, ev.place, None if ev.place else list(blocks),
                                                      radius_m=ev.radius_m)
        ev = replace(ev, blocks=fp, anchor=anchor, matched=matched, lat=lat, lon=lon)
    return ev


def _overlap_sql(district: str, lo: datetime | None, hi: datetime | None, removed: bool) -> tuple[str, list[Any]]:
    """Events of a district whose presence window overlaps ``[lo, hi)`` (a window is at most 24 h + 8 h)."""
    where, params = ["district=?"], [district]
    if not removed:
        where.append("removed_at IS NULL")
    if hi is not None:
        where.append("start_at<?")
        params.append(iso(hi + timedelta(minutes=240)))
    if lo is not None:
        where.append("end_at>?")
        params.append(iso(lo - timedelta(minutes=240)))
    return "SELECT * FROM events WHERE " + " AND ".join(where) + " ORDER BY start_at, id", params


class EventBook:
    """A district's events in its record: add, list, remove (nothing is deleted).

    Parameters
    ----------
    record : Record
    district : District
        Places are resolved on its streets; events are kept under its name.
    """

    def __init__(self, record: Record, district: District):
        self.record = record
        self.district = district
        self.tz = district.settings.district.timezone

    def add(self, event: Event, *, actor: str | None = None, at=None, idem: Idempotency | None = None) -> Event:
        """Store an event made by :func:`new_event`; returns it with its id."""
        now, actor = self.record.stamp(at), actor or self.record.actor
        values = (self.district.name, event.name, event.place, json.dumps(list(event.blocks)), event.radius_m,
                  iso(event.start), iso(event.end), event.crowd, event.info, event.presence.ambassadors,
                  event.presence.mode, event.presence.before_min, event.presence.after_min, now, actor)

        def work(c: sqlite3.Connection) -> Event:
            cur = c.execute(f"INSERT INTO events({', '.join(_COLUMNS)}) VALUES ({','.join('?' * len(_COLUMNS))})",
                            values)
            eid = int(cur.lastrowid or 0)
            self.record.add_audit(c, now, actor, "create", "event", eid, dict(zip(_COLUMNS[:-2], values[:-2],
                                                                                   strict=True)))
            return replace(event, id=eid, district=self.district.name, created_at=now, created_by=actor)

        return self.record.write(work, idem=idem, actor=actor)

    def get(self, event_id: int) -> Event:
        """One event (removed ones too).

        Raises
        ------
        NotFoundError
            When the district has no event with that id.
        """
        rows = self.record.query("SELECT * FROM events WHERE id=? AND district=?", (int(event_id), self.district.name))
        if not rows:
            raise NotFoundError(f"no event {event_id} in {self.district.name}", field="event_id")
        return self._stored(rows[0])

    def _stored(self, row: dict[str, Any]) -> Event:
        """A stored event with its anchor and match for display (its blocks stay as they were resolved)."""
        ev = _from_row(row)
        if ev.place is not None:
            try:
                loc = self.district.geocode(ev.place)
            except PatrolError as exc:  # a place the geocoder no longer resolves is still listed, at its blocks
                log.warning("event %s: %s", ev.id, exc.message)
            else:
                return replace(ev, anchor=(int(loc.block), float(loc.offset_m)), matched=loc.matched,
                               lat=float(loc.lat), lon=float(loc.lon))
        b = ev.blocks[0]
        off = float(self.district.arrays.edge_length[b]) / 2.0
        lat, lon = self.district.geocoder.point_on_block(b, off)
        return replace(ev, anchor=(b, off), lat=float(lat), lon=float(lon))

    def find(self, *, since: datetime | str | None = None, until: datetime | str | None = None,
             include_removed: bool = False) -> list[Event]:
        """Events whose presence window overlaps ``[since, until)``, by start."""
        lo = None if since is None else parse_time(since, field="since")
        hi = None if until is None else parse_time(until, field="until")
        sql, params = _overlap_sql(self.district.name, lo, hi, include_removed)
        out = [self._stored(r) for r in self.record.query(sql, params)]
        return [e for e in out if (lo is None or e.presence_end > lo) and (hi is None or e.presence_start < hi)]

    def on(self, day: date | str) -> list[Event]:
        """The live events whose presence window touches a local date."""
        d = _date(day)
        z = zone(self.tz)
        lo = datetime(d.year, d.month, d.day, tzinfo=z)
        nxt = d + timedelta(days=1)
        return self.find(since=lo, until=datetime(nxt.year, nxt.month, nxt.day, tzinfo=z))

    def remove(self, event_id: int, *, note: str = "", actor: str | None = None, at=None,
               idem: Idempotency | None = None) -> Event:
        """Remove an event (it stays in the record, stamped ``removed_at``).

        Raises
        ------
        NotFoundError
            For an unknown event.
        RecordError
            (409) When it was already removed.
        """
        now, actor = self.record.stamp(at), actor or self.record.actor
        name = self.district.name

        def work(c: sqlite3.Connection) -> int:
            row = c.execute("SELECT removed_at FROM events WHERE id=? AND district=?", (int(event_id), name)).fetchone()
            if row is None:
                raise NotFoundError(f"no event {event_id} in {name}", field="event_id")
            if row[0] is not None:
                raise RecordError(f"event {event_id} was already removed at {row[0]}", field="event_id")
            c.execute("UPDATE events SET removed_at=?, removed_by=? WHERE id=?", (now, actor, int(event_id)))
            self.record.add_audit(c, now, actor, "remove", "event", int(event_id), {"note": note})
            return int(event_id)

        return self.get(self.record.write(work, idem=idem, actor=actor))


# ---------------------------------------------------------------------------------------- the planner's call
def _read_rows(source: Record | str | Path, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    if isinstance(source, Record):
        return source.query(sql, params)
    p = Path(source)
    if not p.is_file():
        raise InputError(f"no record at {p}: the events are kept in the district's record (give its path)",
                         field="db")
    try:
        conn = sqlite3.connect(f"{p.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.DatabaseError as exc:
        raise RecordError(f"cannot read the record {p}: {exc}", field="db") from exc
    try:
        conn.row_factory = sqlite3.Row
        if conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='events'").fetchone() is None:
            return []  # a record from before events: it holds none
        return [dict(r) for r in conn.execute(sql, params).fetchall()]
    except sqlite3.DatabaseError as exc:
        raise RecordError(f"cannot read the events of {p}: {exc}", field="db") from exc
    finally:
        conn.close()


def events_on(district: District, record_or_path: Record | str | Path, day: date | str) -> list[Event]:
    """The live (not removed) events of a local date, each with its blocks resolved on ``district``.

    What the daily planner calls for the day it plans: an event whose presence window (set-up to dispersal)
    touches the date is returned, by start; :meth:`Event.window_min` gives its window in the plan's clock.

    Parameters
    ----------
    district : District
        The district planned (events are kept under its name; places resolved on its streets).
    record_or_path : Record or path
        The district's record, or the path of its SQLite file (read only; a record from before events has
        none).
    day : date or str
        The local date (``YYYY-MM-DD``).

    Raises
    ------
    InputError
        When the path is not a file.
    GeocodeError
        When an event's place no longer resolves on the district's streets.
    """
    d = _date(day)
    z = zone(district.settings.district.timezone)
    lo = datetime(d.year, d.month, d.day, tzinfo=z)
    nxt = d + timedelta(days=1)
    hi = datetime(nxt.year, nxt.month, nxt.day, tzinfo=z)
    sql, params = _overlap_sql(district.name, lo, hi, False)
    out = [_from_row(r, district) for r in _read_rows(record_or_path, sql, params)]
    return [e for e in out if e.presence_end > lo and e.presence_start < hi]

