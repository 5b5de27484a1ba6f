"""The variants of a day tried in order: :func:`.scheduler.run_segments` with other knobs, for one roster.

A fixed list of variants (how many units own a corridor segment and which one is free, the longest
excursion, whether walking is paced, a sub-seed for the hot-spot times) is scheduled in order; each is
scored by the caller and the first that meets every target ends the search.  A roster that stays far
from the targets after a few variants (pairs, very short rosters) stops early.  A variant whose longest round
leaves no time for a meal within the revisit limit gives way on the corridor by its design (its units keep the
gap their rounds allow): once a plan meets every target up to the corridor, such a variant cannot rank better
and is not scheduled (a short-handed day: the walkers on duty all day hold the corridor, and one walker fewer
on it leaves rounds too long).  Pacing needs the distances of its
unpaced twin: a paced variant stands a unit still when it is ahead of 1.2 x the shortest distance
walked in the twin (so the longest walk comes closer to the shortest).
"""

from __future__ import annotations

import dataclasses
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from patrol.paths import ShortestPaths
from patrol.planning.model import BreakSlot, DayInput, Unit, UnitSpec
from patrol.planning.scheduler import run_segments
from patrol.planning.segments import Segment, corridor_segments, segment_load

__all__ = ["GIVE_UP_AFTER", "GIVE_UP_SCORE", "IMPOSSIBLE_VARIANTS", "PACE", "PATIENCE", "Chosen", "full_day_walkers",
           "segment_variants", "try_segments"]

log = logging.getLogger(__name__)

#: A paced unit keeps its walking under this multiple of the shortest walk (per hour on duty) of the unpaced
#: plan.
PACE = 1.2
#: Variants tried before giving up on a roster that stays far from the targets (pairs, a short roster).
GIVE_UP_AFTER = 6
#: ... "far": a score (see :func:`.score.score`) above this.
GIVE_UP_SCORE = 0.5
#: Wall-clock cap of one variant's area tours when the plan has no time limit: far above what their iteration
#: count takes (under 1 s), so plans do not depend on the machine's load.
TOUR_CAP_S = 300.0
#: Variants tried at most when the capacity bounds (:mod:`.capacity`) already show that the roster cannot meet a
#: target whatever the plan: a short search for the best of what can be done, not minutes spent on the impossible.
IMPOSSIBLE_VARIANTS = 2
#: Variants tried without a better plan before stopping, unless the best misses its targets by a step or two
#: (then the search goes on: the next variant may meet them all).
PATIENCE = 12


@dataclass(frozen=True)
class Chosen:
    """The variant kept: its rank key, scheduled units and tallies, its knobs, how many variants were tried of
    how many, and why the search stopped."""

    key: tuple[int, ...]
    units: list[Unit]
    tallies: dict
    variant: dict[str, Any]
    tried: int
    total: int
    stopped: str


def full_day_walkers(inp: DayInput, units: list[UnitSpec]) -> list[int]:
    """The units that can hold a corridor segment: walkers (not rovers) on duty all day."""
    return [i for i, u in enumerate(units) if u.role != "rover" and u.start <= inp.start and u.end >= inp.end]


def segment_variants(n_walkers: int, seed: int, rover: bool = False) -> list[dict[str, Any]]:
    """The variants tried, best first on the Uptown benchmark (docs/bench/plan.md): one unit free of a
    segment (which one varies: the break times differ), then every unit with a segment.

    With ``rover`` (a unit free anyway: a rover lead, someone on other hours; or a roster too short to keep
    rounds short with one walker off the corridor) every walker gets a segment first, with and without
    pacing and with three sub-seeds, then the other variants.
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
    if not (rover or n_walkers == 0):  # (with ``rover`` these were tried first)
        for cap in (45.0, 35.0):
            out.append({"segments": n_walkers, "free": -1, "excursion_cap": cap, "pace": False, "seed": seed})
    return out


def try_segments(inp: DayInput, net: ShortestPaths, units_info: list[UnitSpec], slots: list[list[BreakSlot]],
                 names: np.ndarray,
                 meal_min: float, evaluate: Callable[[list[Unit], dict], tuple[tuple[int, ...], float]], seed: int,
                 repair: Callable[[list[Unit], dict, DayInput], None] | None = None,
                 progress: Callable[[float, str], None] | None = None, deadline: float = math.inf,
                 max_variants: int | None = None, walk_cap: float | None = None,
                 keep_walking: bool = False, corridor_rank: int | None = None) -> Chosen | None:
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
        ``evaluate(units, tallies)`` -> ``(key, score)``: the variant's :func:`.score.rank_key` (all zeros
        when every target is met; the best variant has the smallest) and :func:`.score.score` (how far, as one
        number: a roster far from the targets stops after :data:`GIVE_UP_AFTER` variants).
    seed : int
    repair : callable, optional
        ``repair(units, tallies, inp)``, applied to each variant before it is scored.
    progress : callable, optional
        ``progress(fraction, words)``: how far the search is (of the variants, or of the time limit when that
        comes first) and what it is doing.
    deadline : float
        :func:`time.perf_counter` value after which no variant is started, nor one that would not end by then
        at the pace of those before (the best so far is kept; the first is always scheduled, its area tours
        within what is left: :func:`.tours.area_tours`).
    max_variants : int, optional
        Variants tried at most (:data:`IMPOSSIBLE_VARIANTS` when a target is impossible anyway).
    walk_cap : float, optional
        Metres per hour on duty no unit walks more than, in every variant (a unit stands a while instead, when its
        corridor stays fresh): the balance with units planned elsewhere (:mod:`.beats`).
    keep_walking : bool
        Units without a segment walk their tours again when idle (:func:`.scheduler.run_segments`).
    corridor_rank : int, optional
        Where the corridor target is in ``evaluate``'s key (its place in ``targets.priority``): a variant whose
        longest round, a meal and a 5-minute margin exceed the revisit limit is not scheduled once the best so
        far meets every target up to it (it gives way on the corridor by design, so it cannot rank better).

    Returns
    -------
    Chosen or None
        The best variant; ``None`` when there are no units.
    """
    # only walkers on duty all day hold a corridor segment; a rover or a unit on other hours is free
    walkers = full_day_walkers(inp, units_info)
    if not units_info:
        return None
    corr = [int(b) for b in np.flatnonzero(inp.edge_corridor)]
    load = segment_load(inp)
    max_round = inp.corridor_revisit - meal_min - 5.0
    cache: dict[int, list[Segment]] = {}

    def segments(k: int) -> list[Segment]:
        if k not in cache:
            cache[k] = [] if k == 0 else corridor_segments(
                corr, k, edge_u=inp.edge_u, edge_v=inp.edge_v, edge_length=inp.edge_length, names=names, load=load,
                speed_m_min=inp.speed_m_min, net=net, max_round_min=max_round)
        return cache[k]

    # every walker on a segment first when some unit is free anyway (a rover, someone on other hours), or when
    # one walker fewer on the corridor cannot keep its rounds short enough for a meal inside the revisit limit
    n = len(walkers)
    short_rounds = n > 1 and max((s.minutes for s in segments(n - 1)), default=0.0) <= max_round + 1e-9
    variants = segment_variants(n, seed, rover=n < len(units_info) or not short_rounds)
    best: Chosen | None = None
    tried, best_at, closest, stop, started = 0, 0, math.inf, "", time.perf_counter()
    skipped = 0  # variants left out: their rounds give way on the corridor the best already keeps
    n_var = len(variants) if max_variants is None else min(len(variants), max(1, max_variants))

    def tell(f: float, words: str) -> None:
        if progress is None:
            return
        if math.isfinite(deadline) and deadline > started:
            f = max(f, min(1.0, (time.perf_counter() - started) / (deadline - started)))
        progress(min(f, 1.0), words)
    min_walk: dict[tuple, float] = {}
    tours: dict[tuple, list[tuple[int, int, int]]] = {}
    for j, var in enumerate(variants):
        k = var["segments"]
        # rounds too long for a meal inside the revisit limit: the corridor target must give way, so units keep
        # the gap they can (their longest round, a meal and a margin) and take their other work within it
        longest = max((s.minutes for s in segments(k)), default=0.0)
        revisit = max(inp.corridor_revisit, longest + meal_min + 5.0)
        # ... and once the best keeps every target up to the corridor, such a variant cannot rank better
        if (revisit > inp.corridor_revisit and corridor_rank is not None and best is not None
                and not any(best.key[:corridor_rank + 1])):
            skipped += 1
            continue
        segs: list[Segment | None] = [None] * len(units_info)
        holders = [w for j, w in enumerate(walkers) if j != var["free"]]
        for i, s in zip(holders, segments(k), strict=False):
            segs[i] = dataclasses.replace(s, route=list(s.route))
        units = [Unit(u.name, list(u.members), u.role, slots[i], float(u.start), float(u.end), inp.base)
                 for i, u in enumerate(units_info)]
        twin = (k, var["free"], var["excursion_cap"], var["seed"])
        target = None
        if var["pace"]:
            if twin not in min_walk:
                continue
            target = {u.name: PACE * min_walk[twin] * (u.end - u.start) / 60.0 for u in units_info}
        if walk_cap is not None:  # walking kept level with other parts of the day (:mod:`.beats`)
            capped = {u.name: walk_cap * (u.end - u.start) / 60.0 for u in units_info}
            target = capped if target is None else {k: min(v, capped[k]) for k, v in target.items()}
        vin = dataclasses.replace(inp, seed=var["seed"], corridor_revisit=revisit)
        words = f"variant {tried + 1} of {n_var}"
        tell(tried / n_var, f"{words}: area tours")

        def within(f: float, words: str = words, n: int = tried) -> None:
            tell((n + f) / n_var, f"{words}: scheduling the day")

        tallies = run_segments(vin, units, net, segs, excursion_cap=var["excursion_cap"], walk_target=target,
                               tour_cache=tours, tour_time_s=TOUR_CAP_S if math.isinf(deadline)
                               else max(0.0, deadline - time.perf_counter()),
                               progress=within, keep_walking=keep_walking)
        if not var["pace"]:  # the slowest walker's metres per hour on duty
            rates = [u.walk_m * 60.0 / max(u.end - u.start, 1.0) for u in units if u.role != "rover"] or \
                [u.walk_m * 60.0 / max(u.end - u.start, 1.0) for u in units]
            min_walk[twin] = float(min(rates))
        if repair is not None:
            repair(units, tallies, vin)
        key, score = evaluate(units, tallies)
        log.debug("segment variant %s: %s, score %.3f", var, key, score)
        tried += 1
        closest = min(closest, score)
        if best is None or key < best.key:
            best = Chosen(key, units, tallies, dict(var), 0, len(variants), "")
            best_at = tried
        tell(tried / n_var, f"variant {tried} of {n_var} done")
        now = time.perf_counter()
        if not any(key):
            stop = "every target met"
            break
        if j + 1 >= GIVE_UP_AFTER and closest > GIVE_UP_SCORE:
            log.info("best plan far from the targets after %d variants (%s); not trying the rest", j + 1, best.key)
            stop = f"far from the targets after {j + 1} variants"
            break
        if max_variants is not None and tried >= max_variants:
            stop = (f"a short search ({tried} variant{'s' if tried != 1 else ''}): the roster cannot meet every "
                    "target whatever the plan")
            break
        if tried - best_at >= PATIENCE and sum(best.key) > 2:
            stop = f"no better plan in the last {PATIENCE} variants"
            break
        if now + (now - started) / tried > deadline:  # the next variant would not end in time
            log.info("time limit: %d of %d variants tried (best %s)", j + 1, len(variants), best.key)
            stop = "time limit"
            break
    else:
        stop = "every variant tried" if not skipped else (
            f"every variant that can keep the corridor tried ({skipped} left out: their rounds leave no time for a "
            "meal within the revisit limit)")
    return None if best is None else dataclasses.replace(best, tried=tried, stopped=stop)
