"""The day's duties, first stage of the plan: who walks (units), what is due (check-ins, hot spots), and
the day's input to the scheduler.

* :func:`unit_specs`: the roster as walking units (one ambassador each, or pairs; a rover lead).
* :func:`checkins_due`: the businesses due for a check-in today under the weekly rotation.
* :func:`hotspots`: the day's hot spots from the demand model (:mod:`patrol.demand`).
* :func:`day_input`: all of it, with the district's blocks and targets, as a :class:`DayInput`.

Breaks are placed by :mod:`patrol.planning.breaks`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from patrol.demand import IncidentHistory, block_demand, top_hotspots
from patrol.district import District
from patrol.errors import ConfigError, InputError
from patrol.planning.model import DayInput, DayRoster, UnitSpec
from patrol.settings import Settings, format_hhmm, parse_hhmm, read_toml

__all__ = ["checkins_due", "day_input", "day_roster", "hotspots", "read_day_roster", "unit_specs"]

#: Keys of a day-roster file (``patrol plan --roster FILE``).
ROSTER_FILE_KEYS = ("absent", "only", "start", "end", "pairs")


def day_roster(settings: Settings, *, absent: tuple[str, ...] | list[str] = (), only: tuple[str, ...] | list[str] = (),
               start: dict[str, str] | None = None, end: dict[str, str] | None = None,
               pairs: bool | None = None) -> DayRoster:
    """The day's roster from what the lead says in the morning: who is absent (or the only ones working), who
    starts late or leaves early (``HH:MM`` per name), pairs.

    Raises
    ------
    InputError
        A time that is not ``HH:MM`` (naming the ambassador); the names are checked by :func:`unit_specs`.
    """
    hours: dict[str, list[int]] = {}
    for key, given in (("start", start or {}), ("end", end or {})):
        for name, text in given.items():
            try:
                minute = parse_hhmm(text, field_name=f"{key}.{name}")
            except ConfigError as exc:
                raise InputError(exc.message, field=key) from exc
            pair = hours.setdefault(name, [settings.shift.start_min, settings.shift.end_min])
            pair[0 if key == "start" else 1] = minute
    return DayRoster(pairs=pairs, absent=tuple(absent), only=tuple(only),
                     hours=tuple((n, a, b) for n, (a, b) in hours.items()))


def read_day_roster(path: str | Path) -> dict[str, object]:
    """A day-roster file (TOML): ``absent = [...]`` or ``only = [...]``, ``pairs = true|false``, and tables
    ``[start]`` / ``[end]`` of ``name = "HH:MM"``; unknown keys refused.  Returns the keyword arguments of
    :func:`day_roster`."""
    data = read_toml(path, what="day roster", field="roster")
    unknown = sorted(set(data) - set(ROSTER_FILE_KEYS))
    if unknown:
        raise InputError(f"{path}: unknown key(s) {', '.join(unknown)}; use {', '.join(ROSTER_FILE_KEYS)}",
                         field=unknown[0])
    for key in ("absent", "only"):
        if not isinstance(data.get(key, []), list) or not all(isinstance(n, str) for n in data.get(key, [])):
            raise InputError(f"{path}: {key} must be a list of names", field=key)
    for key in ("start", "end"):
        if not isinstance(data.get(key, {}), dict):
            raise InputError(f"{path}: [{key}] must be a table of name = \"HH:MM\"", field=key)
    if "pairs" in data and not isinstance(data["pairs"], bool):
        raise InputError(f"{path}: pairs must be true or false", field="pairs")
    return {k: data[k] for k in ROSTER_FILE_KEYS if k in data}


def unit_specs(settings: Settings, day: DayRoster | None = None) -> list[UnitSpec]:
    """The day's walking units, the lead(s) first.

    The roster's ambassadors (``roster.names``, else ``lead``, ``amb2``, ...) minus the day's absent ones
    (or only the day's ``only`` ones), each on the shift's hours unless the day's roster gives theirs.  In
    pairs mode consecutive working ambassadors walk together, on the hours both work.  With
    ``roster.lead_role = "rover"`` the leads are rovers (free to respond, no share of the walking), unless
    every unit would be one.

    Raises
    ------
    InputError
        Naming an ambassador not on the roster, hours outside the shift or backwards, or a day with nobody.
    """
    day = day or DayRoster()
    roster = settings.roster.ambassador_names()
    start, end = settings.shift.start_min, settings.shift.end_min
    for field_name, names in (("absent", day.absent), ("only", day.only), ("hours", [h[0] for h in day.hours])):
        unknown = [n for n in names if n not in roster]
        if unknown:
            raise InputError(f"not on the roster: {', '.join(unknown)} (the roster: {', '.join(roster)})",
                             field=field_name)
    if day.absent and day.only:
        raise InputError("give the absent ones or the only ones working, not both", field="only")
    working = [n for n in roster if n not in day.absent and (not day.only or n in day.only)]
    if not working:
        raise InputError("nobody is working today: the day's roster leaves no ambassador", field="absent")
    hours = {n: (start, end) for n in working}
    for n, a, b in day.hours:
        if n not in hours:
            raise InputError(f"{n} is not working today but has hours", field="hours")
        if not start <= a < b <= end:
            raise InputError(f"{n}: hours {format_hhmm(a)}-{format_hhmm(b)} must lie inside the shift "
                             f"{settings.shift.start}-{settings.shift.end} and end after they start", field="hours")
        hours[n] = (a, b)
    pairs = settings.roster.pairs if day.pairs is None else day.pairs
    leads = set(roster[: settings.roster.leads])
    groups = [working[i: i + 2] for i in range(0, len(working), 2)] if pairs else [[n] for n in working]
    rover = not pairs and settings.roster.lead_role == "rover"
    units = []
    for g in groups:
        a, b = max(hours[n][0] for n in g), min(hours[n][1] for n in g)
        if a >= b:
            raise InputError(f"the pair {' and '.join(g)} has no hours in common", field="hours")
        units.append(UnitSpec("+".join(g), tuple(g), "rover" if rover and g[0] in leads else "walker", a, b))
    if all(u.role == "rover" for u in units):
        units = [UnitSpec(u.name, u.members, "walker", u.start, u.end) for u in units]
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
