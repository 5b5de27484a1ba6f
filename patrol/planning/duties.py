"""The day's duties, first stage of the plan: who walks (units), what is due (check-ins, hot spots), and
the day's input to the scheduler.

* :func:`unit_specs`: the roster as walking units (one ambassador each, or pairs; a rover lead).
* :func:`checkins_due`: the businesses due for a check-in today under the weekly rotation.
* :func:`hotspots`: the day's hot spots from the demand model (:mod:`patrol.demand`).
* :func:`day_input`: all of it, with the district's blocks and targets, as a :class:`DayInput`.

Breaks are placed by :mod:`patrol.planning.breaks`.
"""

from __future__ import annotations

import numpy as np

from patrol.demand import IncidentHistory, block_demand, top_hotspots
from patrol.district import District
from patrol.errors import InputError
from patrol.planning.model import DayInput, UnitSpec
from patrol.settings import Settings

__all__ = ["checkins_due", "day_input", "hotspots", "unit_specs"]


def unit_specs(settings: Settings, pairs: bool) -> list[UnitSpec]:
    """The roster's walking units, the lead(s) first.

    In pairs mode consecutive ambassadors walk together.  With ``roster.lead_role = "rover"`` the leads are
    rovers (free to respond, no share of the walking), unless every unit would be one.
    """
    names = settings.roster.ambassador_names()
    leads = set(names[: settings.roster.leads])
    groups = [names[i: i + 2] for i in range(0, len(names), 2)] if pairs else [[n] for n in names]
    rover = not pairs and settings.roster.lead_role == "rover"
    units = [UnitSpec("+".join(g), tuple(g), "rover" if rover and g[0] in leads else "walker") for g in groups]
    if all(u.role == "rover" for u in units):
        units = [UnitSpec(u.name, u.members, "walker") for u in units]
    return units


def checkins_due(district: District, day: str) -> np.ndarray:
    """Indices of the in-area businesses due for a check-in on ``day``.

    With ``checkins_per_week`` at least the number of shift days every business is due every day;
    otherwise business ``j`` (j-th in the area, data order) is due on the shift days
    ``(j + floor(r * D / c)) mod D`` for ``r < c`` (``D`` shift days, ``c`` check-ins a week), which
    spreads the work evenly over the week.

    Raises
    ------
    InputError
        When ``day`` is not a shift day.
    """
    days = list(district.settings.shift.days)
    if day not in days:
        raise InputError(f"{day!r} is not a shift day ({', '.join(days)})", field="day")
    area = np.flatnonzero(district.business_in_area())
    c, n_days = district.settings.targets.checkins_per_week, len(days)
    if c >= n_days:
        return area
    d = days.index(day)
    due = [i for j, i in enumerate(area) if any((j + (r * n_days) // c) % n_days == d for r in range(c))]
    return np.asarray(due, dtype=np.int64)


def hotspots(district: District, history: IncidentHistory | None = None) -> tuple[list[int], np.ndarray]:
    """The day's hot spots (``targets.hotspot_count`` blocks, highest demand first) and the demand per block."""
    demand = block_demand(district, history)
    return [int(b) for b in top_hotspots(district, district.settings.targets.hotspot_count, demand=demand)], demand


def day_input(district: District, settings: Settings, hot: list[int], due: np.ndarray, seed: int = 0) -> DayInput:
    """The scheduler's view of a day: blocks, targets, hot spots and the due businesses (in minutes)."""
    a = district.arrays
    tg = settings.targets
    bb, off, _ = district.business_blocks
    hours = [district.business_hours(int(i)) for i in due]
    required = np.where(a.edge_in_area & ~a.edge_corridor, tg.area_visits_per_shift, 0).astype(np.int64)
    return DayInput(
        n_nodes=a.n_nodes, edge_u=a.edge_u, edge_v=a.edge_v, edge_length=a.edge_length,
        edge_corridor=a.edge_corridor & a.edge_in_area, required_visits=required, base=district.base_index,
        start=float(settings.shift.start_min), end=float(settings.shift.end_min),
        speed_m_min=settings.speeds.patrol_m_s * 60.0, corridor_first=float(tg.corridor_first_visit_min),
        corridor_revisit=float(tg.corridor_revisit_min), hotspots=list(hot),
        hotspot_revisit=float(tg.hotspot_revisit_min),
        dwell_range=(int(tg.hotspot_dwell_min[0]), int(tg.hotspot_dwell_min[1])),
        biz_index=np.asarray(due, dtype=np.int64),
        biz_block=bb[due] if due.size else np.zeros(0, np.int64), biz_offset=off[due] if due.size else np.zeros(0),
        biz_open=np.array([h[0] for h in hours], float), biz_close=np.array([h[1] for h in hours], float),
        biz_ref=[district.businesses[int(i)].name for i in due], checkin_min=float(tg.checkin_min), seed=seed,
    )
