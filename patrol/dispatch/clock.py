"""Time in the record and on the dispatch desk.

The record stores every timestamp as ISO-8601 UTC text with milliseconds and a ``Z`` suffix
(``2026-06-02T19:05:00.000Z``): it sorts as text, reads as text, and SQLite's date functions
(``julianday``, ``strftime``) understand it.  The plan speaks in local minutes after midnight of the
district's time zone (``district.timezone``); :func:`local_minute` and :func:`local_moment` convert.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from patrol.errors import InputError
from patrol.settings import parse_hhmm

__all__ = ["day_start", "iso", "local_minute", "local_moment", "parse_time", "utc_now", "zone"]


def utc_now() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


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
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(float(value), UTC)
    if isinstance(value, str):
        text = value.strip()
        try:
            dt = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text)
        except ValueError as exc:
            raise InputError(f"{field}: {value!r} is not an ISO-8601 time", field=field) from exc
        return parse_time(dt)
    raise InputError(f"{field}: {value!r} is not a time", field=field)


def iso(value=None) -> str:
    """The record's text form of a time: ISO-8601 UTC with milliseconds and ``Z``."""
    dt = parse_time(value)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


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
