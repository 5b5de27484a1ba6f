"""Time in the record and on the dispatch desk.

The record stores every timestamp as ISO-8601 UTC text with milliseconds and a ``Z`` suffix
(``2026-06-02T19:05:00.000Z``): it sorts as text, reads as text, and SQLite's date functions
(``julianday``, ``strftime``) understand it.  The plan speaks in local minutes after midnight of the
district's time zone (``district.timezone``); :func:`local_minute` and :func:`local_moment` convert.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from patrol.errors import InputError
from patrol.settings import parse_hhmm

__all__ = ["Clock", "OffsetClock", "TimeWindow", "day_start", "iso", "local_minute", "local_moment", "parse_time",
           "utc_now", "zone"]

#: What the record and the desk read "now" from: the real time (:func:`utc_now`) unless a test or a
#: benchmark hands them another clock (:class:`OffsetClock`).
Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


class OffsetClock:
    """The real time shifted by a fixed offset: it runs at real speed from another moment.

    A benchmark or a test runs the service "inside shift hours" whatever the hour: all its
    processes get the same offset (``ServiceConfig.clock_offset_s``), so they agree on the time.

    >>> c = OffsetClock.starting_at("2026-06-02T19:00:00Z")
    >>> abs((c() - parse_time("2026-06-02T19:00:00Z")).total_seconds()) < 5
    True
    """

    def __init__(self, offset_s: float):
        self.offset_s = float(offset_s)
        self._offset = timedelta(seconds=self.offset_s)

    @classmethod
    def starting_at(cls, moment) -> OffsetClock:
        """A clock that reads ``moment`` now."""
        return cls((parse_time(moment) - utc_now()).total_seconds())

    def __call__(self) -> datetime:
        return utc_now() + self._offset

    def __repr__(self) -> str:
        return f"OffsetClock({self.offset_s:.3f})"


def parse_time(value, *, field: str = "time") -> datetime:
    """An aware UTC datetime from a datetime (naive = UTC), ISO-8601 text or epoch seconds.

    Raises
    ------
    InputError
        When the value is not a time.
    """
    if value is None:
        return utc_now()
    if isinstance(value, datetime):
        try:
            return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        except (OverflowError, ValueError) as exc:  # year 1 at +05:00, year 9999 at -05:00
            raise InputError(f"{field}: {value.isoformat()} is out of the range of times ({exc})", field=field) from exc
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(float(value), UTC)
        except (OverflowError, OSError, ValueError) as exc:
            raise InputError(f"{field}: {value!r} is not a time in epoch seconds ({exc})", field=field) from exc
    if isinstance(value, str):
        text = value.strip()
        try:
            dt = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text)
        except ValueError as exc:
            raise InputError(f"{field}: {value!r} is not an ISO-8601 time", field=field) from exc
        return parse_time(dt, field=field)
    raise InputError(f"{field}: {value!r} is not a time", field=field)


@dataclass(frozen=True)
class TimeWindow:
    """The times accepted from a client around now: a phone's clock or a typed time may be far off.

    >>> w = TimeWindow()
    >>> now = datetime(2026, 6, 2, 19, 0, tzinfo=UTC)
    >>> w.refusal("2026-06-02T18:00:00Z", now=now) is None
    True
    >>> w.refusal("9999-01-01T00:00:00Z", now=now)
    "'9999-01-01T00:00:00Z' is more than 10 minutes ahead of the server's clock"
    """

    max_age: timedelta = timedelta(days=7)
    max_ahead: timedelta = timedelta(minutes=10)

    def refusal(self, value, *, now: datetime, field: str = "time") -> str | None:
        """Why ``value`` is not accepted (not a time, too old, too far ahead), or ``None``."""
        try:
            moment = parse_time(value, field=field)
        except InputError as exc:
            return exc.message
        shown = value if isinstance(value, str) else moment.isoformat()
        if moment < now - self.max_age:
            return f"{shown!r} is more than {_span(self.max_age)} old"
        if moment > now + self.max_ahead:
            return f"{shown!r} is more than {_span(self.max_ahead)} ahead of the server's clock"
        return None

    def check(self, value, *, now: datetime, field: str = "time") -> datetime:
        """``value`` as an aware UTC time.

        Raises
        ------
        InputError
            Naming ``field`` and why, when it is outside the window.
        """
        reason = self.refusal(value, now=now, field=field)
        if reason is not None:
            raise InputError(f"{field}: {reason}" if not reason.startswith(field) else reason, field=field)
        return parse_time(value, field=field)


def _span(d: timedelta) -> str:
    s = d.total_seconds()
    return f"{s / 86400:g} days" if s >= 86400 else f"{s / 3600:g} hours" if s >= 3600 else f"{s / 60:g} minutes"


def iso(value=None) -> str:
    """The record's text form of a time: ISO-8601 UTC with milliseconds and ``Z``."""
    dt = parse_time(value)
    # not strftime("%Y"): it writes year 1 as "1", which no longer sorts or parses as ISO-8601
    return (f"{dt.year:04d}-{dt.month:02d}-{dt.day:02d}T{dt.hour:02d}:{dt.minute:02d}:{dt.second:02d}."
            f"{dt.microsecond // 1000:03d}Z")


@lru_cache(maxsize=32)
def zone(name: str) -> ZoneInfo:
    """The :class:`~zoneinfo.ZoneInfo` of a district time zone name."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InputError(f"unknown time zone {name!r}", field="district.timezone") from exc


def local_minute(moment: datetime, tz: str) -> float:
    """Minutes after local midnight (the plan's clock) of an aware moment."""
    t = parse_time(moment).astimezone(zone(tz))
    return t.hour * 60 + t.minute + t.second / 60 + t.microsecond / 60e6


def local_moment(hhmm: str | None, tz: str, *, on: date | str | None = None) -> datetime:
    """The UTC moment of local ``HH:MM`` on a local date (default today); ``None`` gives now.

    Raises
    ------
    InputError
        When the time or the date cannot be read.
    """
    if hhmm is None and on is None:
        return utc_now()
    z = zone(tz)
    if on is None:
        d = utc_now().astimezone(z).date()
    elif isinstance(on, str):
        try:
            d = date.fromisoformat(on.strip())
        except ValueError as exc:
            raise InputError(f"date: {on!r} is not YYYY-MM-DD", field="date") from exc
    else:
        d = on
    minutes = parse_hhmm(hhmm, field_name="time") if hhmm is not None else 0
    local = datetime(d.year, d.month, d.day, tzinfo=z) + timedelta(minutes=minutes)
    return local.astimezone(UTC)


def day_start(moment: datetime, tz: str) -> datetime:
    """UTC moment of the local midnight starting the day of ``moment``."""
    t = parse_time(moment).astimezone(zone(tz))
    return datetime(t.year, t.month, t.day, tzinfo=zone(tz)).astimezone(UTC)
