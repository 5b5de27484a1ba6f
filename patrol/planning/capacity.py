"""What a roster can do on an area at most: lower bounds on the work each target needs, against the time
the roster has.  Computed in milliseconds, before any search, so a plan can say at once why a target cannot
be met, and how many people it would take.

Every figure is a *lower bound* on unit-minutes (a pair walks together, so it is one unit):

* **time on the street**: each unit's hours less its breaks (:func:`unit_minutes`);
* **corridor**: keeping every corridor block's gap within the revisit limit over
  ``[start + first-visit - revisit, end]`` takes at least ``ceil(span / revisit) - 1`` passes of each block,
  each a walk of the block's length;
* **area**: every other area block walked ``area_visits_per_shift`` times;
* **check-ins**: ``checkin_min`` per business due;
* **hot spots**: ``n`` dwells of the minimum length per hot spot, the fewest with ``n x dwell + (n + 1) x revisit
  >= shift``.

Walking between duties is left out, so the real need is larger: when the bound already exceeds the time, the
target is impossible with this roster (:func:`impossible`); when it does not, only a plan can tell.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from patrol.planning.model import BreakSlot, DayInput, UnitSpec

__all__ = ["Capacity", "capacity", "unit_minutes"]

#: Targets measured here, in the order their work is added up.
_ORDER = ("corridor", "hotspots", "checkins", "area")


@dataclass(frozen=True)
class Capacity:
    """Unit-minutes the roster has, and the least each target needs (see the module docstring)."""

    available_min: float
    units: int
    need_min: dict[str, float]
    detail: dict[str, str]

    def impossible(self, priority: tuple[str, ...]) -> dict[str, str]:
        """Targets that cannot be met with this roster, whatever the plan, once the ones before them in
        ``priority`` are kept: target -> the figures that show it."""
        out, used, before = {}, 0.0, False
        units = f"{self.units} unit{'s' if self.units != 1 else ''}"
        for t in priority:
            if t not in self.need_min:
                continue
            used += self.need_min[t]
            if used > self.available_min + 1e-6:
                out[t] = (f"impossible with this roster: {self.detail[t]}"
                          + (f", {used:.0f} min with the targets kept before it" if before else "")
                          + f", more than the {self.available_min:.0f} min the {units} have on the street")
            before = True
        return out

    def units_needed(self) -> int:
        """The fewest units (of this roster's average time on the street) whose time covers every target's
        least need: a lower bound on the staffing; a plan tells whether it is enough."""
        per_unit = self.available_min / max(self.units, 1)
        return int(math.ceil(sum(self.need_min.values()) / max(per_unit, 1e-9)))

    def to_dict(self) -> dict[str, object]:
        return {"available_min": round(self.available_min, 1), "units": self.units,
                "need_min": {k: round(v, 1) for k, v in self.need_min.items()}, "detail": dict(self.detail),
                "units_needed_at_least": self.units_needed()}


def unit_minutes(unit: UnitSpec, breaks: list[BreakSlot]) -> float:
    """A unit's minutes on the street: its hours less its breaks."""
    return float(unit.end - unit.start - sum(b.end - b.start for b in breaks))


def capacity(inp: DayInput, units: list[UnitSpec], slots: list[list[BreakSlot]], *, area_visits: int,
             dwell_min: float) -> Capacity:
    """The roster's time and each target's least need on the day's input."""
    v = inp.speed_m_min
    avail = float(sum(unit_minutes(u, s) for u, s in zip(units, slots, strict=True)))
    corr = np.flatnonzero(inp.edge_corridor)
    lo = inp.start + inp.corridor_first - inp.corridor_revisit
    passes = max(0, math.ceil((inp.end - lo) / inp.corridor_revisit - 1e-9) - 1)
    corr_km = float(inp.edge_length[corr].sum()) / 1000.0
    area = np.flatnonzero(inp.required_visits > 0)
    area_km = float((inp.edge_length[area] * inp.required_visits[area]).sum()) / 1000.0
    span = inp.end - inp.start
    R = inp.hotspot_revisit
    dwells = max(0, math.ceil((span - R) / (R + dwell_min) - 1e-9)) if span > R else 0
    need = {
        "corridor": corr_km * 1000.0 * passes / v,
        "hotspots": len(inp.hotspots) * dwells * dwell_min,
        "checkins": len(inp.biz_index) * inp.checkin_min,
        "area": area_km * 1000.0 / v,
    }
    detail = {
        "corridor": f"{corr_km:.1f} km of corridor walked at least {passes} times = {need['corridor']:.0f} min",
        "hotspots": f"{len(inp.hotspots)} hot spots x {dwells} dwells x {dwell_min:g} min = {need['hotspots']:.0f} min",
        "checkins": f"{len(inp.biz_index)} check-ins x {inp.checkin_min:g} min = {need['checkins']:.0f} min",
        "area": f"{area_km:.1f} km of area blocks = {need['area']:.0f} min",
    }
    return Capacity(avail, len(units), need, detail)
