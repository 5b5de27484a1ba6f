"""The variants of a day tried in order: :func:`.scheduler.run_segments` with other knobs, for one roster.

A fixed list of variants (how many units own a corridor segment and which one is free, the longest
excursion, whether walking is paced, a sub-seed for the hot-spot times) is scheduled in order; each is
scored by the caller and the first that meets every target ends the search.  A roster that stays far
from the targets after a few variants (pairs, very short rosters) stops early.  Pacing needs the distances of its
unpaced twin: a paced variant stands a unit still when it is ahead of 1.2 x the shortest distance
walked in the twin (so the longest walk comes closer to the shortest).
"""

from __future__ import annotations

import dataclasses
import logging
import math
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from patrol.paths import ShortestPaths
from patrol.planning.model import BreakSlot, DayInput, Unit, UnitSpec
from patrol.planning.scheduler import run_segments
from patrol.planning.segments import Segment, corridor_segments

__all__ = ["GIVE_UP_AFTER", "GIVE_UP_SCORE", "PACE", "segment_variants", "try_segments"]

log = logging.getLogger(__name__)

#: A paced unit keeps its walking under this multiple of the shortest walk (per hour on duty) of the unpaced
#: plan.
PACE = 1.2
#: Variants tried before giving up on a roster that stays far from the targets (pairs, a short roster).
GIVE_UP_AFTER = 6
#: ... "far": a score (see :func:`.score.score`) above this.
GIVE_UP_SCORE = 0.5


def segment_variants(n_walkers: int, seed: int, rover: bool = False) -> list[dict[str, Any]]:
    """The variants tried, best first on the Uptown benchmark (docs/bench/plan.md): one unit free of a
    segment (which one varies: the break times differ), then every unit with a segment.

    With a rover on the roster the rover is the free unit: every walker gets a segment first (the default
    roster's shape), with and without pacing and with three sub-seeds, then the other variants.
    """
    out: list[dict[str, Any]] = []
    if rover or n_walkers == 0:
        for r in range(3):
            for cap in (45.0, 35.0):
                out.append({"segments": n_walkers, "free": -1, "excursion_cap": cap, "pace": False,
                            "seed": seed + 7919 * r})
                out.append(dict(out[-1], pace=True))
    if n_walkers > 1:
        for r in range(3):
            for free in range(3):
                for cap in (45.0, 35.0):
                    who = (n_walkers - 1 - free * (n_walkers // 3)) % n_walkers
                    out.append({"segments": n_walkers - 1, "free": who, "excursion_cap": cap, "pace": False,
                                "seed": seed + 7919 * r})
                    out.append(dict(out[-1], pace=True))
    for cap in (45.0, 35.0):
        out.append({"segments": n_walkers, "free": -1, "excursion_cap": cap, "pace": False, "seed": seed})
    return out


def _segment_load(inp: DayInput) -> np.ndarray:
    """Minutes of work per block in a day: walking it twice an hour, its check-ins and hot-spot dwells."""
    load = 2 * inp.edge_length / inp.speed_m_min * (inp.end - inp.start) / 60.0
    np.add.at(load, inp.biz_block.astype(np.int64), inp.checkin_min)
    n_dwells = np.ceil((inp.end - inp.start) / inp.hotspot_revisit) + 1
    for h in inp.hotspots:
        load[h] += inp.dwell_range[0] * n_dwells
    return load


def try_segments(inp: DayInput, net: ShortestPaths, units_info: list[UnitSpec], slots: list[list[BreakSlot]],
                 names: np.ndarray,
                 meal_min: float, evaluate: Callable[[list[Unit], dict], float], seed: int,
                 repair: Callable[[list[Unit], dict, DayInput], None] | None = None,
                 progress: Callable[[float], None] | None = None, deadline: float = math.inf,
                 ) -> tuple[float, list[Unit], dict, dict] | None:
    """Schedule the segment variants in order and keep the best.

    Parameters
    ----------
    inp : DayInput
    net : ShortestPaths
    units_info : list of UnitSpec
    slots : list of list of BreakSlot
        Per unit, its breaks.
    names : ndarray
        Street name per block.
    meal_min : float
        Length of the meal break (rounds are kept short enough to take it inside the revisit limit).
    evaluate : callable
        ``evaluate(units, tallies)`` -> score (0 when every target is met).
    seed : int
    repair : callable, optional
        ``repair(units, tallies, inp)``, applied to each variant before it is scored.
    progress : callable, optional
        ``progress(fraction)``.
    deadline : float
        :func:`time.perf_counter` value after which no further variant is started (the best so far is kept).

    Returns
    -------
    (score, units, tallies, variant) or None
        The best variant; ``None`` when there are no units.
    """
    # only walkers on duty all day hold a corridor segment; a rover or a unit on other hours is free
    walkers = [i for i, u in enumerate(units_info) if u.role != "rover" and u.start <= inp.start and u.end >= inp.end]
    if not units_info:
        return None
    corr = [int(b) for b in np.flatnonzero(inp.edge_corridor)]
    load = _segment_load(inp)
    max_round = inp.corridor_revisit - meal_min - 5.0
    cache: dict[int, list[Segment]] = {}
    variants = segment_variants(len(walkers), seed, rover=len(walkers) < len(units_info))
    best = None
    min_walk: dict[tuple, float] = {}
    tours: dict[tuple, list[tuple[int, int, int]]] = {}
    for j, var in enumerate(variants):
        k = var["segments"]
        if k not in cache:
            cache[k] = [] if k == 0 else corridor_segments(
                corr, k, edge_u=inp.edge_u, edge_v=inp.edge_v, edge_length=inp.edge_length, names=names, load=load,
                speed_m_min=inp.speed_m_min, net=net, max_round_min=max_round)
        segs: list[Segment | None] = [None] * len(units_info)
        holders = [w for j, w in enumerate(walkers) if j != var["free"]]
        for i, s in zip(holders, cache[k], strict=False):
            segs[i] = dataclasses.replace(s, route=list(s.route))
        units = [Unit(u.name, list(u.members), u.role, slots[i], float(u.start), float(u.end), inp.base)
                 for i, u in enumerate(units_info)]
        twin = (k, var["free"], var["excursion_cap"], var["seed"])
        target = None
        if var["pace"]:
            if twin not in min_walk:
                continue
            target = {u.name: PACE * min_walk[twin] * (u.end - u.start) / 60.0 for u in units_info}
        vin = dataclasses.replace(inp, seed=var["seed"])
        tallies = run_segments(vin, units, net, segs, excursion_cap=var["excursion_cap"], walk_target=target,
                               tour_cache=tours, tour_time_s=max(0.5, min(10.0, deadline - time.perf_counter())))
        if not var["pace"]:  # the slowest walker's metres per hour on duty
            rates = [u.walk_m * 60.0 / max(u.end - u.start, 1.0) for u in units if u.role != "rover"] or \
                [u.walk_m * 60.0 / max(u.end - u.start, 1.0) for u in units]
            min_walk[twin] = float(min(rates))
        if repair is not None:
            repair(units, tallies, vin)
        score = evaluate(units, tallies)
        log.debug("segment variant %s: score %.3f", var, score)
        if best is None or score < best[0]:
            best = (score, units, tallies, dict(var, design="segments"))
        if progress is not None:
            progress((j + 1) / len(variants))
        if score <= 0:
            break
        if j + 1 >= GIVE_UP_AFTER and best[0] > GIVE_UP_SCORE:
            log.info("segment design: best score %.2f after %d variants; not trying the rest", best[0], j + 1)
            break
        if time.perf_counter() >= deadline:
            log.info("time limit reached after %d of %d variants (best score %.2f)", j + 1, len(variants), best[0])
            break
    return best
