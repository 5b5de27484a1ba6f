"""Helpers of the dispatch tests: the day's clock, a unit pinged at a point of a block, a
unit's state at the desk."""

from __future__ import annotations

from datetime import timedelta

from patrol.dispatch import Desk
from patrol.dispatch.clock import iso, parse_time

#: Tuesday 2 June 2026, 14:00 local (CDT, UTC-5).
T0 = parse_time("2026-06-02T19:00:00Z")


def at(minutes: float) -> str:
    """``T0`` plus some minutes, as ISO text."""
    return iso(T0 + timedelta(minutes=minutes))


def ping_on(desk: Desk, name: str, block: int, offset: float, t: str) -> tuple[int, float]:
    """Ping a unit at a point of a block; returns where the record snapped it."""
    lat, lon = desk.district.geocoder.point_on_block(block, offset)
    desk.ping(name, lat, lon, t=t)
    p = desk.record.latest_pings(t, names=[name])[name]
    return int(p.block), float(p.offset_m)


def state(desk: Desk, name: str, when: str):
    """The unit's situation at the desk at ``when``."""
    return next(s for s in desk.situation(when) if s.unit.name == name)
