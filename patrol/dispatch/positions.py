"""Where each unit is: its latest ping snapped to the network, else the plan's position.

A ping younger than ``dispatch.stale_ping_min`` minutes gives the position (``source="ping"``,
not estimated).  Otherwise the day's plan places the unit at that minute (``source="plan"``,
``estimated=True``).  With no plan position either, a stale ping is still used
(``source="stale ping"``, estimated); with nothing at all the unit has no position.  For a pair,
the freshest ping of the unit or any member counts.  Only pings snapped onto a block count: a latest
fix too far from every street (stored unsnapped) gives no ping position.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from datetime import datetime

from patrol.dispatch.clock import parse_time
from patrol.dispatch.roster import Unit

__all__ = ["Position", "unit_position"]


@dataclass(frozen=True)
class Position:
    """A unit's position on the network at a moment.

    Attributes
    ----------
    block, offset_m : int, float
        The point on the network.
    lat, lon : float
    source : str
        ``ping``, ``plan`` or ``stale ping``.
    estimated : bool
        True unless a fresh ping gave the position.
    age_min : float or None
        Age of the ping used (or of the latest ping when the plan was used), minutes.
    accuracy_m : float or None
    activity : str or None
        The plan leg's activity when the plan gave the position.
    """

    block: int
    offset_m: float
    lat: float
    lon: float
    source: str
    estimated: bool
    age_min: float | None = None
    accuracy_m: float | None = None
    activity: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)


def unit_position(unit: Unit, *, moment: datetime, minute: float, pings: dict, timeline, stale_min: float,
                  locate) -> Position | None:
    """The position of a unit (see the module docstring).

    Parameters
    ----------
    unit : Unit
    moment : datetime
        The dispatch moment (aware).
    minute : float
        The same moment in the plan's clock (local minutes after midnight).
    pings : dict
        Name -> latest :class:`~patrol.dispatch.record.Ping` at or before ``moment`` (only pings
        snapped to a block are used).
    timeline : Timeline or None
    stale_min : float
    locate : callable
        ``locate(block, offset_m) -> (lat, lon)`` for plan positions.
    """
    best, best_age = None, math.inf
    for name in unit.names():
        p = pings.get(name)
        if p is None or p.block is None:
            continue
        age = (moment - parse_time(p.t)).total_seconds() / 60.0
        if age < best_age:
            best, best_age = p, age
    if best is not None and best_age <= stale_min:
        return Position(int(best.block), float(best.offset_m or 0.0), best.lat, best.lon, "ping", False,
                        round(best_age, 2), best.accuracy_m)
    if timeline is not None:
        for name in unit.names():
            if name in timeline.legs:
                pos = timeline.position(name, minute)
                if pos is not None:
                    block, off, activity = pos
                    lat, lon = locate(int(block), float(off))
                    return Position(int(block), float(off), lat, lon, "plan", True,
                                    None if best is None else round(best_age, 2), None, activity)
    if best is not None:
        return Position(int(best.block), float(best.offset_m or 0.0), best.lat, best.lon, "stale ping", True,
                        round(best_age, 2), best.accuracy_m)
    return None
