"""Daily patrol plans: a timed walking route per ambassador (or pair) that meets the program's targets.

``plan_day`` builds one shift in three stages:

1. **Duties.**  Hot spots from :mod:`patrol.demand`, the businesses due for a check-in today (the weekly
   rotation of ``targets.checkins_per_week`` over the shift days), and staggered break slots
   (:mod:`.schedule_breaks`).
2. **Segment design** (:mod:`.segment_plan`).  The corridor is cut into stretches, one per unit but one
   (:mod:`.corridor_segments`); each unit walks its stretch out and back again and again and takes a stop
   (a check-in, a dwell, a break, an excursion off its round) only when its no-stop continuation still
   passes every block of its stretch within the revisit limit, so the corridor target holds by
   construction (:mod:`.schedule_segments`).  The unit without a stretch is free to go far.  Check-ins are
   shared out by a minimum-cost flow that gives each unit an equal share of standing time at the least
   detour (:mod:`.checkin_assign`; equal standing time is what makes walking distances equal), the area's
   other blocks by a flow of tour minutes, each unit's walked as one routing-core tour in pieces
   (:mod:`.area_tours`).  Spare time is then traded for what is left over and for evening out walking
   (:mod:`.segment_repair`).  A fixed list of variants (which unit is free, excursion length, pacing,
   sub-seed of the hot-spot times) is tried in order until one meets every target.
3. **Sweep design**, only when no segment variant meets every target: beats from the base by the routing
   core (:mod:`.beats`, a fixed number of iterations, :data:`BEAT_ITERATIONS`), timetabled corridor sweeps
   and the step scheduler (:mod:`.schedule`, :mod:`.plan_repair`).  The plan closest to the targets of
   both designs is kept.

The result says what it achieved and which targets fell short, by how much (``shortfalls``); the
independent check is :func:`patrol.plan_check.check_plan`.  The plan.json schema is documented in
``docs/plan-schema.md``.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from patrol.errors import InputError
from patrol.routing.beats import plan_beats
from patrol.routing.plan_repair import repair_day
from patrol.routing.schedule import ScheduleInput, Unit, _Net, run_schedule
from patrol.routing.schedule_breaks import plan_breaks
from patrol.routing.segment_plan import try_segments
from patrol.routing.segment_repair import even_out, fill_leftovers
from patrol.settings import DAYS, format_hhmm, settings_to_dict
from patrol.timeline import Leg, Timeline

__all__ = ["BEAT_ITERATIONS", "SCHEMA", "DailyPlan", "checkins_due", "plan_day", "plan_week", "schedule_input"]

log = logging.getLogger(__name__)

#: Identifier of the plan.json layout written by :meth:`DailyPlan.to_dict`.
SCHEMA = "patrol.plan/1"
#: Improvement iterations of the routing core for the beats (about 2 s on the Uptown district).
BEAT_ITERATIONS = 200


def checkins_due(district, day: str) -> np.ndarray:
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


@dataclass
class DailyPlan:
    """One day's plan: timed steps per unit, what it achieves, and its shortfalls.

    Attributes
    ----------
    day, date : str
    seed : int
    units : list of dict
        ``name``, ``members``, ``role`` per walking unit.
    steps : dict of str to list of dict
        Per unit, its timed steps (``steps[w][i]`` is leg ``i`` of the timeline, with extra fields).
    summary : dict
        The plan's own tallies (see ``docs/plan-schema.md``).
    shortfalls : list of dict
        ``target``, ``required``, ``achieved``, ``detail`` of every target not met.
    """

    district_name: str
    day: str
    date: str | None
    seed: int
    settings: dict[str, Any]
    units: list[dict]
    hotspots: list[dict]
    due: list[dict]
    steps: dict[str, list[dict]]
    summary: dict[str, Any]
    shortfalls: list[dict]
    beats: dict[str, Any] = field(default_factory=dict)

    def timeline(self) -> Timeline:
        """The plan as a :class:`patrol.timeline.Timeline` (one leg per step)."""
        return Timeline({w: [Leg(s["t0"], s["t1"], s["block"], s["off0"], s["off1"], s["activity"], s["ref"])
                             for s in seq] for w, seq in self.steps.items()})

    def to_dict(self) -> dict[str, Any]:
        """The plan.json content (see ``docs/plan-schema.md``)."""
        walkers = {}
        for unit in self.units:
            w = unit["name"]
            walkers[w] = {"members": unit["members"], "role": unit["role"], "steps": self.steps[w],
                          "summary": self.summary["units"][w]}
        return {
            "schema": SCHEMA,
            "district": self.district_name,
            "day": self.day,
            "date": self.date,
            "seed": self.seed,
            "shift": {"start": self.settings["shift"]["start"], "end": self.settings["shift"]["end"]},
            "pairs": bool(self.settings["roster"]["pairs"]),
            "settings": self.settings,
            "hotspots": self.hotspots,
            "checkins_due": self.due,
            "beats": self.beats,
            "walkers": walkers,
            "summary": {k: v for k, v in self.summary.items() if k != "units"},
            "shortfalls": self.shortfalls,
            "all_targets_met": not self.shortfalls,
            "timeline": self.timeline().to_dict(),
        }


def _units(settings, pairs: bool) -> list[dict]:
    names = settings.roster.ambassador_names()
    leads = set(names[: settings.roster.leads])
    if pairs:
        groups = [names[i: i + 2] for i in range(0, len(names), 2)]
    else:
        groups = [[n] for n in names]
    units = []
    for g in groups:
        role = "rover" if (not pairs and settings.roster.lead_role == "rover" and g[0] in leads) else "walker"
        units.append({"name": "+".join(g), "members": g, "role": role})
    if all(u["role"] == "rover" for u in units):
        for u in units:
            u["role"] = "walker"
    return units


def _gaps(times: list[float], start: float, end: float) -> float:
    pts = [start] + sorted(times) + [end]
    return float(max(b - a for a, b in zip(pts, pts[1:], strict=False)))


def _summarize(district, settings, inp: ScheduleInput, units: list[Unit], tallies: dict, due: np.ndarray,
               break_short: list[dict]) -> tuple[dict, list[dict]]:
    a = district.arrays
    t = settings.targets
    start, end = inp.start, inp.end
    passes, dwells, walked = _tally_steps(units, inp.edge_length)
    for u in units:
        u.walk_m = walked[u.name]
    corr = np.flatnonzero(a.edge_corridor)
    corr_gaps = {int(b): _gaps(passes.get(int(b), []), start + t.corridor_first_visit_min - t.corridor_revisit_min,
                               end) for b in corr}
    first = float(max((min(passes.get(int(b), [end])) - start for b in corr), default=0.0))
    area_need = np.flatnonzero(inp.required_visits > 0)
    unvisited = [int(b) for b in area_need if len(passes.get(int(b), [])) < inp.required_visits[b]]
    unchecked = [int(due[i]) for i in np.flatnonzero(~tallies["checked"])]
    dmin = inp.dwell_range[0]
    hs_gap = max((_dwell_gap([d for d in dwells.get(h, []) if d[1] - d[0] >= dmin - 1e-6], start, end)
                  for h in inp.hotspots), default=0.0)
    per_unit = {}
    for u in units:
        per_unit[u.name] = {
            "walk_km": round(u.walk_m / 1000, 3),
            "checkins": u.checkins,
            "dwell_min": round(u.dwell_min, 1),
            "break_min": round(sum(b.end - b.start for b in u.breaks), 1),
            "start": format_hhmm(u.steps[0]["t0"]) if u.steps else None,
            "end": format_hhmm(u.steps[-1]["t1"]) if u.steps else None,
        }
    walkers = [u for u in units if u.role != "rover"] or units
    dists = [u.walk_m for u in walkers]
    ratio = float(max(dists) / min(dists)) if dists and min(dists) > 0 else float("inf")
    corr_max = max(corr_gaps.values(), default=0.0)
    summary = {
        "corridor_max_gap_min": round(corr_max, 2),
        "corridor_first_visit_min": round(first, 2),
        "area_blocks_unvisited": len(unvisited),
        "businesses_due": int(due.size),
        "businesses_checked": int(tallies["checked"].sum()),
        "businesses_unchecked": len(unchecked),
        "hotspot_max_gap_min": round(hs_gap, 2),
        "balance_ratio": round(ratio, 3) if np.isfinite(ratio) else None,
        "total_walk_km": round(sum(u.walk_m for u in units) / 1000, 2),
        "corridor": tallies.get("corridor", {}),
        "units": per_unit,
    }
    short: list[dict] = []
    if corr_max > t.corridor_revisit_min + 1e-6:
        worst = max(corr_gaps, key=corr_gaps.get)
        short.append({"target": "corridor_revisit", "required": f"<= {t.corridor_revisit_min} min",
                      "achieved": f"{corr_max:.1f} min",
                      "detail": f"worst block {worst} ({a.edge_name[worst]}); "
                                f"{sum(g > t.corridor_revisit_min + 1e-6 for g in corr_gaps.values())} "
                                f"corridor blocks over the limit"})
    if unvisited:
        short.append({"target": "area_coverage", "required": f"{area_need.size} blocks walked",
                      "achieved": f"{area_need.size - len(unvisited)}",
                      "detail": f"{len(unvisited)} blocks not walked: {unvisited[:20]}"})
    if unchecked:
        short.append({"target": "checkins", "required": f"{due.size} businesses",
                      "achieved": f"{due.size - len(unchecked)}",
                      "detail": f"{len(unchecked)} not checked in with: "
                                + ", ".join(district.businesses[i].name for i in unchecked[:15])})
    if inp.hotspots and hs_gap > t.hotspot_revisit_min + 1e-6:
        short.append({"target": "hotspot_revisit", "required": f"<= {t.hotspot_revisit_min} min",
                      "achieved": f"{hs_gap:.1f} min", "detail": "longest time a hot spot went without a dwell"})
    if len(walkers) > 1 and ratio > t.balance_ratio_max + 1e-9:
        short.append({"target": "balance", "required": f"<= {t.balance_ratio_max}", "achieved": f"{ratio:.2f}",
                      "detail": "longest / shortest walking distance"})
    short.extend(break_short)
    return summary, short


def _tally_steps(units: list[Unit], edge_length: np.ndarray) -> tuple[dict, dict, dict]:
    """From the scheduled steps: pass times per block, dwell intervals per block, metres walked per unit.

    A pass is a walk from one end of a block to the other (stops on the block allowed), counted when the
    far end is reached; blocks shorter than a metre count when walked at all.
    """
    passes: dict[int, list[float]] = {}
    dwells: dict[int, list[tuple[float, float]]] = {}
    walked: dict[str, float] = {}
    for u in units:
        total = 0.0
        run = None
        for s in u.steps:
            b, o0, o1 = s["block"], s["off0"], s["off1"]
            L = float(edge_length[b])
            if s["activity"] == "walk":
                total += abs(o1 - o0)
                if L < 1.0:
                    passes.setdefault(b, []).append(s["t1"])
                    run = None
                    continue
                if abs(o1 - o0) <= 0.5:  # a sliver of a walk does not continue a pass (as in the checker)
                    run = None
                    continue
                if run is not None and run[0] == b and abs(run[2] - o0) < 1e-6 and (o1 - o0) * run[3] > 0:
                    run[2] = o1
                else:
                    run = [b, o0, o1, 1 if o1 > o0 else -1]
                if min(run[1], run[2]) < 1e-6 and max(run[1], run[2]) > L - 1e-6:
                    passes.setdefault(b, []).append(s["t1"])
                    run = None
            elif run is not None and run[0] != b:
                run = None
            if s["activity"] == "dwell":
                dwells.setdefault(b, []).append((s["t0"], s["t1"]))
        walked[u.name] = total
    return passes, dwells, walked


def _score(summary: dict, short: list[dict], tg, n_due: int) -> float:
    """How far a plan is from its targets (0 when all are met); used to pick among scheduling variants."""
    def over(x, limit):
        return max(0.0, (x - limit) / limit) if x is not None else 1.0

    return (3 * over(summary["corridor_max_gap_min"], tg.corridor_revisit_min)
            + summary["area_blocks_unvisited"] / 50
            + summary["businesses_unchecked"] / max(n_due, 1)
            + over(summary["hotspot_max_gap_min"], tg.hotspot_revisit_min)
            + over(summary["balance_ratio"], tg.balance_ratio_max)
            + 0.5 * sum(1 for s in short if s["target"] in ("breaks", "min_on_street")))


def _variants(seed: int) -> list[dict]:
    """The scheduling variants tried for one day (a fixed list, so a seed always gives the same plan)."""
    out = []
    for r in range(3):
        for pd in (True, False):
            for cm in (45.0, 70.0):
                for cw in (0.0, 3.0):
                    out.append({"planned_dwells": pd, "chunk_min": cm, "cluster_weight": cw, "weighted_sweeps": True,
                                "seed": seed + 7919 * r})
    return out


def _dwell_gap(dwells: list[tuple[float, float]], start: float, end: float) -> float:
    cur, worst = start, 0.0
    for t0, t1 in sorted(dwells):
        worst = max(worst, t0 - cur)
        cur = max(cur, t1)
    return float(max(worst, end - cur))


def schedule_input(district, settings, hotspots: list[int], due: np.ndarray, seed: int = 0) -> ScheduleInput:
    """The scheduler's view of a day: blocks, targets, hot spots and the due businesses (in minutes)."""
    a = district.arrays
    tg = settings.targets
    bb, off, _ = district.business_blocks
    hours = [district.business_hours(int(i)) for i in due]
    required = np.where(a.edge_in_area & ~a.edge_corridor, tg.area_visits_per_shift, 0).astype(np.int64)
    return ScheduleInput(
        n_nodes=a.n_nodes, edge_u=a.edge_u, edge_v=a.edge_v, edge_length=a.edge_length,
        edge_corridor=a.edge_corridor & a.edge_in_area, required_visits=required, base=district.base_index,
        start=float(settings.shift.start_min), end=float(settings.shift.end_min),
        speed_m_min=settings.speeds.patrol_m_s * 60.0, corridor_first=float(tg.corridor_first_visit_min),
        corridor_revisit=float(tg.corridor_revisit_min), hotspots=list(hotspots),
        hotspot_revisit=float(tg.hotspot_revisit_min), dwell_range=tuple(tg.hotspot_dwell_min),
        biz_block=bb[due] if due.size else np.zeros(0, np.int64), biz_offset=off[due] if due.size else np.zeros(0),
        biz_open=np.array([h[0] for h in hours], float), biz_close=np.array([h[1] for h in hours], float),
        biz_ref=[district.businesses[int(i)].name for i in due], checkin_min=float(tg.checkin_min), seed=seed,
    )


def plan_day(district, day: str = "tue", *, date: str | None = None, seed: int = 0,
             time_limit_s: float | None = None, pairs: bool | None = None,
             checkin_due: np.ndarray | list[int] | None = None, history=None,
             progress: Callable[[float, str], None] | None = None,
             max_iterations: int | None = BEAT_ITERATIONS) -> DailyPlan:
    """Plan one shift for the district's roster.

    Parameters
    ----------
    district : patrol.district.District
        Its settings (roster, shift, speeds, breaks, targets) drive the plan.
    day : str
        A shift day (``tue``...).
    date : str, optional
        ISO date of the day (for GPX times and the sheets).
    seed : int
        Varies hot-spot dwell times (and the routing core's search).
    time_limit_s : float, optional
        Safety cap on the routing core's time for the beats (default 5 s).  The beats' search stops
        after ``max_iterations`` iterations, so a plan does not depend on machine speed unless this cap
        is reached first (then the plan logs it).
    max_iterations : int or None
        Improvement iterations of the routing core for the beats (default :data:`BEAT_ITERATIONS`);
        ``None`` lets the time limit alone decide (not reproducible).
    pairs : bool, optional
        Units of two (default: ``roster.pairs``).
    checkin_due : array-like of int, optional
        Business indices due today (default: :func:`checkins_due`).
    history : patrol.demand.IncidentHistory, optional
        Incident history for the hot spots (default: business density and transit stops).
    progress : callable, optional
        ``progress(fraction, stage)``.

    Returns
    -------
    DailyPlan

    Raises
    ------
    InputError
        Unknown day, bad seed or time limit.
    """
    from patrol.demand import block_demand, top_hotspots

    t_begin = time.perf_counter()
    if day not in DAYS:
        raise InputError(f"unknown day {day!r}; use {', '.join(DAYS)}", field="day")
    if not isinstance(seed, int | np.integer) or seed < 0:
        raise InputError(f"seed must be a non-negative integer, got {seed!r}", field="seed")
    if time_limit_s is not None and not time_limit_s >= 0:
        raise InputError(f"time limit must be >= 0 s, got {time_limit_s!r}", field="time_limit_s")
    settings = district.settings
    pairs = settings.roster.pairs if pairs is None else bool(pairs)
    if pairs != settings.roster.pairs:
        settings = settings.replace(roster__pairs=pairs)
    a = district.arrays
    tg = settings.targets
    start, end = settings.shift.start_min, settings.shift.end_min
    report = progress or (lambda f, s: None)

    report(0.0, "duties")
    demand = block_demand(district, history)
    hot = [int(b) for b in top_hotspots(district, tg.hotspot_count, demand=demand)]
    due = np.asarray(checkin_due if checkin_due is not None else checkins_due(district, day), dtype=np.int64)
    units_info = _units(settings, pairs)
    slots, break_short = plan_breaks(settings, [len(u["members"]) for u in units_info], start=start, end=end)

    bb, off, _ = district.business_blocks
    hours = [district.business_hours(int(i)) for i in due]
    inp = schedule_input(district, settings, hot, due, seed)
    required = inp.required_visits
    net = _Net(inp)

    def evaluate(units: list[Unit], tallies: dict, vin: ScheduleInput = inp) -> float:
        summary, short = _summarize(district, settings, vin, units, tallies, due, break_short)
        return _score(summary, short, tg, due.size)

    corr_blocks = np.flatnonzero(inp.edge_corridor)
    area_blocks = np.flatnonzero(required > 0)
    lo = start + tg.corridor_first_visit_min - tg.corridor_revisit_min

    def repair(units: list[Unit], tallies: dict, vin: ScheduleInput) -> None:
        """Spare time first to check-ins left over, then to evening out walking (segment_repair)."""
        cache = {u.name: _tally_steps([u], a.edge_length)[0] for u in units}

        def accept(units: list[Unit], changed: Unit) -> bool:
            mine = _tally_steps([changed], a.edge_length)[0]
            merged: dict[int, list[float]] = {}
            for u in units:
                for b, ts in (mine if u is changed else cache[u.name]).items():
                    merged.setdefault(b, []).extend(ts)
            ok = all(_gaps(merged.get(int(b), []), lo, end) <= tg.corridor_revisit_min - 0.05 for b in corr_blocks) \
                and all(len(merged.get(int(b), [])) >= required[b] for b in area_blocks)
            if ok:
                cache[changed.name] = mine
            return ok

        walked = np.zeros(a.edge_u.size, dtype=np.int64)
        for b, ts in _tally_steps(units, a.edge_length)[0].items():
            walked[b] = len(ts)
        tallies["filled"] = fill_leftovers(vin, units, net, tallies["checked"], walked, accept)
        even_out(vin, units, tg.balance_ratio_max, accept)

    # 1. the segment design: every unit keeps a stretch of the corridor fresh and works from it
    report(0.05, "segments")
    best = try_segments(inp, net, units_info, slots, a.edge_name, float(settings.breaks.meal_min), evaluate, seed,
                        repair=repair, progress=lambda f: report(0.05 + 0.45 * f, "segments"))
    beats_info: dict[str, Any] = {}
    if best is not None:
        beats_info = {"method": "corridor segments + area tours",
                      "segments": best[2]["corridor"].get("segments", []),
                      "tours_m": [round(float(sum(a.edge_length[b] for b, _, _ in t)), 1) for t in best[2]["tours"]]}
    # 2. when it falls short: the sweep design (beats from the base, timetabled corridor sweeps)
    if best is None or best[0] > 0:
        report(0.5, "beats")
        beat_units = [i for i, u in enumerate(units_info) if u["role"] != "rover"]
        limit = 5.0 if time_limit_s is None else float(time_limit_s)
        beats = plan_beats(district, len(beat_units), required, time_limit_s=limit, seed=seed,
                           max_iterations=max_iterations, progress=lambda f, _best: report(0.5 + 0.2 * f, "beats"))
        if max_iterations is not None and beats.seconds >= 0.98 * limit:
            log.warning("the beats' search reached its time cap (%.1f s) before %d iterations: the plan may differ "
                        "between runs with the same seed", limit, max_iterations)

        def fresh_units() -> list[Unit]:
            return [Unit(u["name"], list(u["members"]), u["role"],
                         beats.blocks[beat_units.index(i)] if i in beat_units else [], slots[i])
                    for i, u in enumerate(units_info)]

        def corridor_ok(units: list[Unit]) -> bool:
            passes, _, _ = _tally_steps(units, a.edge_length)
            return all(_gaps(passes.get(int(b), []), lo, end) <= tg.corridor_revisit_min - 0.05 for b in corr_blocks)

        variants = _variants(seed)
        for j, var in enumerate(variants):
            units = fresh_units()
            vin = dataclasses.replace(inp, **var)
            tallies = run_schedule(vin, units, progress=lambda f, j=j: report(0.7 + 0.25 * (j + f) / len(variants),
                                                                            "schedule"))
            passes, _, _ = _tally_steps(units, a.edge_length)
            tallies["repair"] = repair_day(vin, units, net, tallies["checked"], {b: len(x) for b, x in passes.items()},
                                           balance_ratio_max=tg.balance_ratio_max, accept=corridor_ok)
            score = evaluate(units, tallies, vin)
            log.debug("sweep variant %s: score %.3f", var, score)
            if best is None or score < best[0]:
                best = (score, units, tallies, dict(var, design="sweeps"))
                beats_info = {"method": beats.method, "lengths_m": [round(x, 1) for x in beats.lengths_m],
                              "lower_bound_m": round(beats.lower_bound_m, 1), "seconds": round(beats.seconds, 2)}
    _, units, tallies, var = best

    report(0.95, "summary")
    _, dwells_by_block, _ = _tally_steps(units, a.edge_length)
    steps = {u.name: [_describe(district, s, due) for s in u.steps] for u in units}
    summary, short = _summarize(district, settings, inp, units, tallies, due, break_short)
    summary["seconds"] = round(time.perf_counter() - t_begin, 2)
    summary["variant"] = {k: v for k, v in var.items() if k != "seed"} | {"schedule_seed": int(var["seed"])}
    if pairs:
        summary["note"] = ("pairs mode: a pair walks, checks in and takes its breaks together; the on-street "
                           "minimum is counted in people (2 per pair)")
    hotspots = []
    for r, b in enumerate(hot):
        lat, lon = district.geocoder.point_on_block(b, a.edge_length[b] / 2)
        hotspots.append({"id": r + 1, "block": b, "street": str(a.edge_name[b]), "demand": round(float(demand[b]), 5),
                         "lat": round(lat, 6), "lon": round(lon, 6),
                         "dwells": [[round(x, 2), round(y, 2)] for x, y in dwells_by_block.get(b, [])]})
    due_list = []
    for j, i in enumerate(due.tolist()):
        o, c, from_data = hours[j]
        due_list.append({"index": i, "name": district.businesses[i].name, "block": int(bb[i]),
                         "offset_m": round(float(off[i]), 2), "hours": f"{format_hhmm(o)}-{format_hhmm(c)}",
                         "hours_from_data": bool(from_data), "checked": bool(tallies["checked"][j])})
    report(1.0, "done")
    log.info("plan %s: %d units, %d shortfalls, %.1fs", day, len(units), len(short), summary["seconds"])
    return DailyPlan(district.name, day, date, int(seed), settings_to_dict(settings), units_info, hotspots,
                     due_list, steps, summary, short, beats_info)


def _describe(district, s: dict, due: np.ndarray) -> dict:
    a = district.arrays
    out = {"t0": round(s["t0"], 4), "t1": round(s["t1"], 4), "activity": s["activity"], "block": s["block"],
           "off0": round(s["off0"], 3), "off1": round(s["off1"], 3), "ref": s["ref"],
           "time": format_hhmm(s["t0"] + 1e-6), "street": str(a.edge_name[s["block"]])}
    if s["activity"] == "walk":
        L = a.edge_length[s["block"]]
        for key, off in (("from_node", s["off0"]), ("to_node", s["off1"])):
            if abs(off) < 1e-6:
                out[key] = int(a.node_ids[a.edge_u[s["block"]]])
            elif abs(off - L) < 1e-6:
                out[key] = int(a.node_ids[a.edge_v[s["block"]]])
        out["length_m"] = round(abs(s["off1"] - s["off0"]), 2)
        if "to_node" in out:
            out["node_label"] = district.graph.nodes[out["to_node"]].get("label", "")
    if "business" in s:
        out["business_index"] = int(due[s["business"]])
        out["business"] = s["ref"]
    if "hotspot" in s:
        out["hotspot"] = s["hotspot"]
    if "kind" in s:
        out["break"] = s["kind"]
    return out


def plan_week(district, *, seed: int = 0, time_limit_s: float | None = None, pairs: bool | None = None,
              history=None, progress: Callable[[float, str], None] | None = None,
              week_start: str | None = None) -> dict[str, DailyPlan]:
    """Plans for every shift day, with the check-in rotation; days differ (seed + day index).

    Parameters
    ----------
    week_start : str, optional
        ISO date of the week's Monday; each day's date follows from it.

    Returns
    -------
    dict
        Day -> :class:`DailyPlan`, in shift-day order.
    """
    import datetime as dt

    days = list(district.settings.shift.days)
    out = {}
    for j, day in enumerate(days):
        date = None
        if week_start:
            date = (dt.date.fromisoformat(week_start) + dt.timedelta(days=DAYS.index(day))).isoformat()
        sub = None if progress is None else (lambda f, s, j=j, day=day: progress((j + f) / len(days), f"{day} {s}"))
        out[day] = plan_day(district, day, date=date, seed=seed + 1000 * j, time_limit_s=time_limit_s, pairs=pairs,
                            history=history, progress=sub)
    return out
