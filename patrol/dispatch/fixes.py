"""Whether a GPS fix from a phone can be stored: checked one fix at a time, with the reason.

A phone sends what its GPS gives, and GPS gives nonsense now and then: ``0,0`` ("null island", no
fix yet), ``NaN``, a fix on another continent, an accuracy of 50 km, a clock years off.  Each such
fix is refused on its own, with a reason, so it never costs the other fixes of its upload (or
other phones' fixes written in the same transaction) and never reaches the projection onto the
district's streets (which has no answer for a point half a world away).

A usable fix farther than ``dispatch.max_snap_m`` from every street is still stored, unsnapped
(:meth:`patrol.dispatch.desk.Desk.ping_many`).

>>> policy = FixPolicy()
>>> from datetime import UTC, datetime
>>> now = datetime(2026, 6, 2, 19, 0, tzinfo=UTC)
>>> bounds = (44.94, -93.31, 44.96, -93.27)
>>> policy.refusal(44.9485, -93.295, now=now, bounds=bounds) is None
True
>>> policy.refusal(0.0, 0.0, now=now, bounds=bounds)
'0.000000,0.000000 is "null island": the phone had no fix'
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime

from patrol.dispatch.clock import TimeWindow

__all__ = ["FixPolicy", "km_outside"]

_EARTH_KM = 6371.0088


def km_outside(lat: float, lon: float, bounds: tuple[float, float, float, float]) -> float:
    """Great-circle km from a point to a ``(south, west, north, east)`` box (0 inside it)."""
    south, west, north, east = bounds
    qlat, qlon = min(max(lat, south), north), min(max(lon, west), east)
    p1, p2 = math.radians(lat), math.radians(qlat)
    a = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(qlon - lon) / 2) ** 2
    return 2 * _EARTH_KM * math.asin(min(1.0, math.sqrt(a)))


@dataclass(frozen=True)
class FixPolicy:
    """The limits a fix must meet to be stored.

    Attributes
    ----------
    max_km : float
        Farther than this from the district's streets (their bounding box): refused.
    max_accuracy_m : float
        A reported accuracy worse than this: refused (it tells nothing about which block).
    window : TimeWindow
        Fix times accepted around now (default: 7 days back to 10 minutes ahead).
    """

    max_km: float = 50.0
    max_accuracy_m: float = 5000.0
    window: TimeWindow = field(default_factory=TimeWindow)

    def refusal(self, lat: float | None, lon: float | None, *, accuracy_m: float | None = None, t=None,
                now: datetime, bounds: tuple[float, float, float, float]) -> str | None:
        """Why a fix cannot be stored, or ``None`` when it can."""
        if lat is None or lon is None:
            return "no position (lat and lon are needed)"
        if not (math.isfinite(lat) and math.isfinite(lon)):
            return f"{lat},{lon} is not a position (not a finite number)"
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            return f"{lat},{lon} is not a latitude,longitude (latitude -90..90, longitude -180..180)"
        if abs(lat) < 0.5 and abs(lon) < 0.5:
            return f'{lat:.6f},{lon:.6f} is "null island": the phone had no fix'
        km = km_outside(lat, lon, bounds)
        if km > self.max_km:
            return f"{lat:.6f},{lon:.6f} is {km:,.0f} km from the district (the limit is {self.max_km:g} km)"
        if accuracy_m is not None:
            if not math.isfinite(accuracy_m) or accuracy_m < 0:
                return f"accuracy_m {accuracy_m} is not a distance"
            if accuracy_m > self.max_accuracy_m:
                return f"accuracy {accuracy_m:,.0f} m is worse than {self.max_accuracy_m:,.0f} m: no use for a position"
        if t is not None:
            reason = self.window.refusal(t, now=now, field="t")
            if reason is not None:
                return f"fix time {reason}"
        return None
