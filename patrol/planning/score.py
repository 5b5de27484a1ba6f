"""How a scheduled day does against its targets: the planner's own tallies, summary, shortfalls and score.

The planner uses this to choose among variants and to report its shortfalls honestly; the independent
judge of a written plan is :mod:`patrol.planning.check`, which shares none of this code.

* a **pass** of a block is a walk from one end of it to the other (stops on the block allowed), counted
  when the far end is reached; blocks shorter than a metre count when walked at all;
* the **corridor gap** of a block is the longest of: its first pass after (shift start + first-visit
  limit - revisit limit), the time between passes, and the shift end after its last pass;
* the **hot-spot gap** is the longest time within the shift with no dwell of at least the minimum length;
* **balance** is the most walking per hour on duty over the least (rovers left out; with everyone on the
  shift's hours, the longest walking distance over the shortest).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from patrol.district import District
from patrol.planning.model import DayInput, Shortfall, Unit
from patrol.planning.passes import Run, advance
from patrol.planning.ready import Readiness
from patrol.settings import Settings, Targets, format_hhmm

__all__ = ["Tally", "gap", "rank_key", "score", "summarize", "tally"]


@dataclass(frozen=True)
class Tally:
    """From the scheduled steps: pass times per block, dwell intervals per block, metres walked per unit."""

    passes: dict[int, list[float]]
    dwells: dict[int, list[tuple[float, float]]]
    walked: dict[str, float]


def gap(times: list[float], start: float, end: float) -> float:
    """The longest interval between ``start``, the sorted ``times`` and ``end``."""
    pts = [start, *sorted(times), end]
    return float(max(b - a for a, b in zip(pts, pts[1:], strict=False)))


def _dwell_gap(dwells: list[tuple[float, float]], start: float, end: float) -> float:
    cur, worst = start, 0.0
    for t0, t1 in sorted(dwells):
        worst = max(worst, t0 - cur)
        cur = max(cur, t1)
    return float(max(worst, end - cur))


def tally(units: list[Unit], edge_length: np.ndarray) -> Tally:
    """Passes, dwells and walking of the units' steps (see the module docstring)."""
    passes: dict[int, list[float]] = {}
    dwells: dict[int, list[tuple[float, float]]] = {}
    walked: dict[str, float] = {}
    lengths = edge_length.tolist()  # plain floats: this runs for every plan and variant
    for u in units:
        total = 0.0
        run: Run = None
        for s in u.steps:
            if s.activity == "walk":
                total += abs(s.off1 - s.off0)
            elif s.activity == "dwell":
                dwells.setdefault(s.block, []).append((s.t0, s.t1))
            run, passed = advance(run, s, lengths[s.block])
            if passed:
                passes.setdefault(s.block, []).append(s.t1)
        walked[u.name] = total
    return Tally(passes, dwells, walked)


def summarize(district: District, settings: Settings, inp: DayInput, units: list[Unit], checked: np.ndarray,
              corridor: dict[str, Any], break_short: list[Shortfall], ready: Readiness | None = None
              ) -> tuple[dict[str, Any], list[Shortfall]]:
    """The plan's summary (``docs/plan-schema.md``) and its shortfalls, from the units' steps.

    ``checked`` is per due business (the order of ``inp.biz_*``); ``corridor`` the scheduler's description
    of the corridor segments; ``ready`` the ready-to-respond measure (:mod:`.ready`), when computed: a
    shortfall only when ``targets.ready_required``.
    """
    a = district.arrays
    t = settings.targets
    start, end = inp.start, inp.end
    tl = tally(units, inp.edge_length)
    for u in units:
        u.walk_m = tl.walked[u.name]
    corr = np.flatnonzero(inp.edge_corridor)
    corr_gaps = {int(b): gap(tl.passes.get(int(b), []), start + t.corridor_first_visit_min - t.corridor_revisit_min,
                             end) for b in corr}
    first = float(max((min(tl.passes.get(int(b), [end])) - start for b in corr), default=0.0))
    area_need = np.flatnonzero(inp.required_visits > 0)
    unvisited = [int(b) for b in area_need if len(tl.passes.get(int(b), [])) < inp.required_visits[b]]
    unchecked = [int(inp.biz_index[i]) for i in np.flatnonzero(~checked)]
    dmin = inp.dwell_range[0]
    hs_gap = max((_dwell_gap([d for d in tl.dwells.get(h, []) if d[1] - d[0] >= dmin - 1e-6], start, end)
                  for h in inp.hotspots), default=0.0)
    per_unit = {u.name: {
        "walk_km": round(u.walk_m / 1000, 3),
        "checkins": u.checkins,
        "dwell_min": round(u.dwell_min, 1),
        "break_min": round(sum(b.end - b.start for b in u.breaks), 1),
        "start": format_hhmm(u.steps[0].t0) if u.steps else None,
        "end": format_hhmm(u.steps[-1].t1) if u.steps else None,
        "hours": f"{format_hhmm(u.start)}-{format_hhmm(u.end)}",
    } for u in units}
    walkers = [u for u in units if u.role != "rover"] or units
    rates = [u.walk_m / max(u.end - u.start, 1e-9) for u in walkers]
    ratio = float(max(rates) / min(rates)) if rates and min(rates) > 0 else float("inf")
    corr_max = max(corr_gaps.values(), default=0.0)
    summary = {
        "corridor_max_gap_min": round(corr_max, 2),
        "corridor_first_visit_min": round(first, 2),
        "area_blocks_unvisited": len(unvisited),
        "businesses_due": int(inp.biz_index.size),
        "businesses_checked": int(checked.sum()),
        "businesses_unchecked": len(unchecked),
        "hotspot_max_gap_min": round(hs_gap, 2),
        "balance_ratio": round(ratio, 3) if np.isfinite(ratio) else None,
        "total_walk_km": round(sum(u.walk_m for u in units) / 1000, 2),
        "corridor": corridor,
        "units": per_unit,
    }
    if ready is not None:
        summary["ready"] = ready.to_dict() | {"required": bool(t.ready_required)}
    short: list[Shortfall] = []
    if corr_max > t.corridor_revisit_min + 1e-6:
        worst = max(corr_gaps, key=lambda b: corr_gaps[b])
        over = sum(g > t.corridor_revisit_min + 1e-6 for g in corr_gaps.values())
        short.append(Shortfall("corridor_revisit", f"<= {t.corridor_revisit_min} min", f"{corr_max:.1f} min",
                               f"worst block {worst} ({a.edge_name[worst]}); {over} corridor blocks over the limit"))
    if unvisited:
        short.append(Shortfall("area_coverage", f"{area_need.size} blocks walked",
                               f"{area_need.size - len(unvisited)}",
                               f"{len(unvisited)} blocks not walked: {unvisited[:20]}"))
    if unchecked:
        short.append(Shortfall("checkins", f"{inp.biz_index.size} businesses",
                               f"{inp.biz_index.size - len(unchecked)}",
                               f"{len(unchecked)} not checked in with: "
                               + ", ".join(district.businesses[i].name for i in unchecked[:15])))
    if inp.hotspots and hs_gap > t.hotspot_revisit_min + 1e-6:
        short.append(Shortfall("hotspot_revisit", f"<= {t.hotspot_revisit_min} min", f"{hs_gap:.1f} min",
                               "longest time a hot spot went without a dwell"))
    if len(walkers) > 1 and ratio > t.balance_ratio_max + 1e-9:
        short.append(Shortfall("balance", f"<= {t.balance_ratio_max}", f"{ratio:.2f}",
                               "most / least walking per hour on duty"))
    if ready is not None and t.ready_required and ready.minutes_over:
        short.append(Shortfall("ready_to_respond", f"<= {t.ready_p90_min:g} min at every minute",
                               f"{ready.worst_min:.1f} min" if np.isfinite(ready.worst_min) else "unreachable",
                               f"{ready.minutes_over} minutes over the limit (median {ready.median_min:.1f} min)"))
    short.extend(break_short)
    return summary, short


def rank_key(summary: dict[str, Any], short: list[Shortfall], tg: Targets) -> tuple[int, ...]:
    """How far a plan misses each target, in the order ``targets.priority`` gives way (all 0 when every
    target is met); variants are compared on this key, so a higher target is never traded for a lower one.

    Amounts, rounded so that noise does not decide: breaks not placed (count), corridor minutes over the
    limit, hot-spot gap over the limit (5-minute steps), businesses not checked in with, area blocks not
    walked, on-street shortfalls (count), balance over the limit (0.05 steps), minutes over the ready-to-respond
    limit (only with ``targets.ready_required``).
    """
    def over(x: float | None, limit: float, step: float) -> int:
        return 10_000 if x is None else int(math.ceil(max(0.0, x - limit) / step - 1e-9))

    amounts = {
        "breaks": sum(1 for s in short if s.target == "breaks"),
        "corridor": over(summary["corridor_max_gap_min"], tg.corridor_revisit_min, 1.0),
        "hotspots": over(summary["hotspot_max_gap_min"], tg.hotspot_revisit_min, 5.0),
        "checkins": int(summary["businesses_unchecked"]),
        "area": int(summary["area_blocks_unvisited"]),
        "on_street": sum(1 for s in short if s.target == "min_on_street"),
        "balance": over(summary["balance_ratio"], tg.balance_ratio_max, 0.05),
        "ready": int(summary["ready"]["minutes_over"]) if tg.ready_required and "ready" in summary else 0,
    }
    return tuple(amounts[t] for t in tg.priority)


def score(summary: dict[str, Any], short: list[Shortfall], tg: Targets) -> float:
    """How far a plan is from its targets (0 when all are met); used to pick among scheduling variants."""
    def over(x: float | None, limit: float) -> float:
        return max(0.0, (x - limit) / limit) if x is not None else 1.0

    return (3 * over(summary["corridor_max_gap_min"], tg.corridor_revisit_min)
            + summary["area_blocks_unvisited"] / 50
            + summary["businesses_unchecked"] / max(summary["businesses_due"], 1)
            + over(summary["hotspot_max_gap_min"], tg.hotspot_revisit_min)
            + over(summary["balance_ratio"], tg.balance_ratio_max)
            + 0.5 * sum(1 for s in short if s.target in ("breaks", "min_on_street")))
