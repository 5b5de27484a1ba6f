"""Helpers of the dispatch tests: a unit pinged at a point of a block, a unit's state at the desk."""

from __future__ import annotations

from patrol.dispatch import Desk


def ping_on(desk: Desk, name: str, block: int, offset: float, t: str) -> tuple[int, float]:
    """Ping a unit at a point of a block; returns where the record snapped it."""
    lat, lon = desk.district.geocoder.point_on_block(block, offset)
    desk.ping(name, lat, lon, t=t)
    p = desk.record.latest_pings(t, names=[name])[name]
    return int(p.block), float(p.offset_m)


def state(desk: Desk, name: str, when: str):
    """The unit's situation at the desk at ``when``."""
    return next(s for s in desk.situation(when) if s.unit.name == name)
