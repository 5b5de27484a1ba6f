"""Beats: a large area cut into parts, each planned with the units its share of the work asks for, and the
parts joined into one day.

One plan over a large area does not scale: the planner keeps dense all-pairs distances over its graph
(``nodes x nodes``), and the segment design's scheduling, area tours and check-in assignment grow with the
area's blocks times the units.  So when the area has more than :data:`BEAT_KM` km of streets, or its working
graph more than :data:`DENSE_NODES` nodes, :func:`plan_beats` plans it in beats:

1. **cut** (:func:`beat_parts`): the segment design keeps the corridor fresh with walkers on rounds and walks
   the area near it on excursions from them, so the area is first cut into the **corridor band** (the corridor
   and the area blocks within :data:`BAND_M` of it) and the **area beyond**; each is cut into beats of at most
   :data:`BEAT_KM` km (:func:`split_blocks`: in two along the longer side of the box at the weighted median of
   the blocks' work, what the segment design spends on each block (:func:`block_work`), again and again), so a
   band beat holds
   a stretch of the corridor with the area around it, and a beat beyond it only area blocks, walked by units
   without a corridor segment;
2. **share** (:func:`share_units`): every beat gets one walker on duty all day, a beat with a corridor stretch
   the walkers its rounds need, and each further unit goes to the beat with the most work per unit-minute it
   has, the walk from the base and back counted against the beat;
3. **graph** (:func:`beat_graph`): each beat is planned on its own working graph, the streets within
   :data:`BEAT_MARGIN_M` of its blocks plus the shortest walk from the base (units leave from the base and come
   back to it), so the dense distances are ``beat nodes x beat nodes``;
4. **plan**: the segment design (:func:`.variants.try_segments`) on the beat, with its corridor blocks, area
   blocks, hot spots and businesses, its units and their break slots (staggered for the whole team first, so
   the on-street minimum holds for the day), within the beat's share of the time limit (a short search when the
   capacity bounds show that its units cannot meet its targets whatever the plan);
5. **join**: every unit's steps back in the district's block ids, one plan for the day, which the planner
   summarizes and the independent checker judges as any other.

Beats are planned one after another in a fixed order, so the joined plan does not depend on the machine
unless the time limit cuts a beat's search short.
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
from scipy.sparse.csgraph import connected_components, dijkstra

from patrol.arrays import GraphArrays
from patrol.district import District
from patrol.paths import all_pairs_shortest_paths, from_node
from patrol.planning.assign import TOUR_FACTOR
from patrol.planning.capacity import capacity, unit_minutes
from patrol.planning.model import BreakSlot, DayInput, Unit, UnitSpec
from patrol.planning.repair import repair_day
from patrol.planning.score import rank_key, score, summarize, tally
from patrol.planning.variants import IMPOSSIBLE_VARIANTS, PACE, Chosen, full_day_walkers, try_segments
from patrol.settings import Settings
from patrol.timeline import Leg

__all__ = ["AREA_SLACK", "BAND_M", "BEAT_KM", "BEAT_MARGIN_M", "DENSE_NODES", "BeatsResult", "beat_count", "beat_graph",
           "beat_input", "beat_parts", "block_work", "plan_beats", "share_units", "split_blocks"]

log = logging.getLogger(__name__)

#: Streets in the area (corridor and area blocks) per beat, at most, km.  Uptown's area (20 km) stays one plan;
#: figures for larger areas, in beats and in one plan, in docs/bench/plan_scale.md.
BEAT_KM = 25.0
#: Nodes of a working graph above which no dense all-pairs matrix is built over it (2,500 nodes: 75 MB).
DENSE_NODES = 2500
#: Streets kept around a beat's blocks for walking between them, metres.
BEAT_MARGIN_M = 400.0
#: A beat beyond the band gets units whose minutes cover its work (:func:`block_work`) this many times.
AREA_SLACK = 1.2
#: Area blocks within this walk of the corridor are planned with it (the corridor band), metres.
BAND_M = 500.0


@dataclass(frozen=True)
class BeatsResult:
    """The joined day: the units' steps in district ids, as :class:`.variants.Chosen`, and per beat what it was
    and how its search went (plan.json ``design.beats``)."""

    chosen: Chosen
    beats: list[dict[str, Any]]


def _band(arrays: GraphArrays, inp: DayInput) -> tuple[np.ndarray, np.ndarray]:
    """The area's blocks (corridor and area) in the corridor band and beyond it."""
    blocks = np.flatnonzero(inp.edge_corridor | (inp.required_visits > 0))
    corr = np.flatnonzero(inp.edge_corridor)
    if corr.size == 0:
        return np.zeros(0, np.int64), blocks
    src = np.unique(np.concatenate([inp.edge_u[corr], inp.edge_v[corr]]))
    d = np.asarray(dijkstra(arrays.scipy_csr(), directed=False, indices=src, min_only=True, limit=BAND_M))
    near = inp.edge_corridor | (np.minimum(d[inp.edge_u], d[inp.edge_v]) <= BAND_M)
    return blocks[near[blocks]], blocks[~near[blocks]]


def _counts(band_km: float, rest_km: float, n: int | None, walkers: int) -> tuple[int, int]:
    """Beats in the band and beyond it: one per :data:`BEAT_KM` of each (the area beyond the band gets its own
    beats only for half a beat's streets or more; else its blocks join the band's), or ``n`` in all shared by km;
    at most one per walker on duty all day."""
    total = band_km + rest_km
    if n is None:
        if total <= BEAT_KM + 1e-9:
            return (1, 0) if band_km > 0 else (0, 1)
        nr = int(math.floor(rest_km / BEAT_KM + 0.5))
        nb = math.ceil((band_km + (rest_km if nr == 0 else 0.0)) / BEAT_KM - 1e-9) if band_km > 0 else 0
    else:
        nr = int(math.floor(n * rest_km / max(total, 1e-9) + 0.5)) if band_km > 0 else n
        nr = min(nr, n - 1) if band_km > 0 else nr
        nb = n - nr
    nb, nr = max(nb, 0), max(nr, 0)
    while nb + nr > max(walkers, 1) and nb + nr > 1:
        if nb >= nr:
            nb -= 1
        else:
            nr -= 1
    if nb == 0 and band_km > 0:  # the corridor needs a beat: the area beyond joins it
        nb, nr = max(nr, 1), 0
    return nb, nr


@dataclass(frozen=True)
class _BeatPlan:
    """One beat planned: the variant kept (its units in district ids), its graph, its businesses (positions in
    the day's due list), its units' walking (metres per hour on duty), the cap it was planned with, seconds."""

    chosen: Chosen
    nodes: np.ndarray
    edges: np.ndarray
    biz: np.ndarray
    rates: dict[str, float]
    cap: float | None
    seconds: float


def beat_count(arrays: GraphArrays, inp: DayInput, units: list[UnitSpec]) -> int:
    """How many beats the area needs: one per :data:`BEAT_KM` of the corridor band's streets and one per
    :data:`BEAT_KM` of the area's streets beyond it, at most one per walker on duty all day (each beat needs one);
    1 means one plan over the whole area."""
    band, rest = _band(arrays, inp)
    nb, nr = _counts(float(inp.edge_length[band].sum()) / 1000, float(inp.edge_length[rest].sum()) / 1000, None,
                     len(full_day_walkers(inp, units)))
    return nb + nr


def beat_parts(arrays: GraphArrays, inp: DayInput, work: np.ndarray, n: int, walkers: int) -> list[np.ndarray]:
    """The area's blocks in ``n`` beats: the corridor band's beats first, then those beyond it (the beats shared
    between the two by their km), each part cut at equal work (:func:`split_blocks`).

    Returns
    -------
    list of ndarray of int
        Per beat, its blocks (district ids), sorted.
    """
    band, rest = _band(arrays, inp)
    nb, nr = _counts(float(inp.edge_length[band].sum()) / 1000, float(inp.edge_length[rest].sum()) / 1000, n,
                     walkers)
    if nr == 0:  # no beats of their own beyond the band: its blocks are cut with the band's
        band, rest = np.sort(np.concatenate([band, rest])), np.zeros(0, np.int64)
    out = []
    for blocks, k in ((band, nb), (rest, nr)):
        if k <= 0 or blocks.size == 0:
            continue
        mx = (arrays.x[arrays.edge_u[blocks]] + arrays.x[arrays.edge_v[blocks]]) / 2
        my = (arrays.y[arrays.edge_u[blocks]] + arrays.y[arrays.edge_v[blocks]]) / 2
        out += [np.sort(blocks[q]) for q in split_blocks(mx, my, work[blocks], k)]
    return out


def block_work(inp: DayInput, *, dwell_min: float, design: bool = False) -> np.ndarray:
    """Per block, the minutes it needs in the day: the least (the bounds of :mod:`.capacity`, block by block),
    or with ``design`` what the segment design spends on it: a corridor block walked twice a round, a round
    every revisit period, and an area block's walk times :data:`.assign.TOUR_FACTOR` (links between blocks)."""
    v = inp.speed_m_min
    span, R = inp.end - inp.start, inp.hotspot_revisit
    if design:
        passes = 2.0 * span / inp.corridor_revisit
    else:
        lo = inp.start + inp.corridor_first - inp.corridor_revisit
        passes = max(0, math.ceil((inp.end - lo) / inp.corridor_revisit - 1e-9) - 1)
    work = np.where(inp.edge_corridor, inp.edge_length * passes / v, 0.0)
    work = work + inp.required_visits * inp.edge_length / v * (TOUR_FACTOR if design else 1.0)
    dwells = max(0, math.ceil((span - R) / (R + dwell_min) - 1e-9)) if span > R else 0
    for h in inp.hotspots:
        work[h] += dwells * dwell_min
    np.add.at(work, inp.biz_block.astype(np.int64), inp.checkin_min)
    return work


def split_blocks(x: np.ndarray, y: np.ndarray, weight: np.ndarray, n: int) -> list[np.ndarray]:
    """Cut points (block midpoints) into ``n`` parts of near equal weight: recursive bisection along the longer
    side of the box at the weighted quantile ``floor(n / 2) / n``.

    Returns
    -------
    list of ndarray of int
        Positions into ``x`` per part, each sorted; every part non-empty when there are ``n`` points or more.

    Examples
    --------
    >>> parts = split_blocks(np.arange(8.0), np.zeros(8), np.ones(8), 2)
    >>> [p.tolist() for p in parts]
    [[0, 1, 2, 3], [4, 5, 6, 7]]
    """
    pos = np.arange(x.size)

    def cut(p: np.ndarray, k: int) -> list[np.ndarray]:
        if k <= 1 or p.size <= 1:
            return [np.sort(p)]
        k1 = k // 2
        xs, ys = x[p], y[p]
        axis = xs if np.ptp(xs) >= np.ptp(ys) else ys
        order = p[np.argsort(axis, kind="stable")]
        cum = np.cumsum(weight[order])
        at = int(np.searchsorted(cum, cum[-1] * k1 / k, side="left")) + 1
        at = min(max(at, k1), order.size - (k - k1))  # leave points enough for both sides
        return cut(order[:at], k1) + cut(order[at:], k - k1)

    return [q for q in cut(pos, n) if q.size]


def share_units(units: list[UnitSpec], slots: list[list[BreakSlot]], inp: DayInput, work: list[float],
                travel_min: list[float], rounds: list[int]) -> list[list[int]]:
    """Units per beat.

    Walking is what the balance target compares, and a walker on a corridor round walks all day whatever the
    rest of its beat asks, so a beat beyond the band should have as many units as its work needs and no more:

    1. every beat gets one walker on duty all day (beats of most work first);
    2. each beat with a corridor stretch gets walkers until it has the ``rounds[b]`` its corridor needs for
       rounds short enough (the beat furthest from its need first), as far as the walkers go;
    3. each beat beyond the band gets units until their minutes (less the walk from the base and back) cover
       its work with :data:`AREA_SLACK` to spare;
    4. each further unit (walkers on duty all day first, in roster order) goes to the band beat (any beat when
       there is none) with the most work per minute its units have.
    """
    n = len(work)
    walkers = full_day_walkers(inp, units)
    queue = list(walkers) + [i for i in range(len(units)) if i not in walkers]
    out: list[list[int]] = [[] for _ in range(n)]
    have = np.zeros(n)
    band = [b for b in range(n) if rounds[b] > 0] or list(range(n))

    def give(i: int, b: int) -> None:
        out[b].append(i)
        have[b] += max(unit_minutes(units[i], slots[i]) - travel_min[b], 1.0)

    for b in sorted(range(n), key=lambda b: (-work[b], b))[: len(queue)]:
        give(queue.pop(0), b)
    while queue and queue[0] in walkers:
        short = [b for b in range(n) if len(out[b]) < rounds[b]]
        if not short:
            break
        give(queue.pop(0), max(short, key=lambda b: ((rounds[b] - len(out[b])) / rounds[b], -b)))
    for b in range(n):
        while queue and rounds[b] == 0 and have[b] < AREA_SLACK * work[b]:
            give(queue.pop(0), b)
    for i in queue:
        give(i, max(band, key=lambda b: (work[b] / max(float(have[b]), 1e-9), -b)))
    return out


def beat_graph(arrays: GraphArrays, blocks: np.ndarray, base: int, *, margin_m: float = BEAT_MARGIN_M,
               from_base=None) -> tuple[np.ndarray, np.ndarray]:
    """A beat's working graph: the streets within ``margin_m`` of its blocks, joined to the base by shortest
    walks (every piece that is not connected to the base in it gets the walk from the base to its nearest
    node), so that every node of it is reachable from the base inside it.

    Returns
    -------
    nodes, edges : ndarray of int
        District node indices and the blocks with both ends among them, sorted.
    """
    src = np.unique(np.concatenate([arrays.edge_u[blocks], arrays.edge_v[blocks]]))
    csr = arrays.scipy_csr()
    d = dijkstra(csr, directed=False, indices=src, min_only=True, limit=float(margin_m))
    keep = np.isfinite(np.asarray(d))
    keep[base] = True
    sp = from_base if from_base is not None else from_node(arrays, base)
    while True:
        sub = csr[keep][:, keep]
        n_comp, label = connected_components(sub, directed=False)
        idx = np.flatnonzero(keep)
        home = label[int(np.searchsorted(idx, base))]
        if n_comp == 1:
            break
        for c in range(n_comp):
            if c == home:
                continue
            members = idx[label == c]
            target = int(members[np.argmin(sp.dist[members])])
            if not np.isfinite(sp.dist[target]):
                keep[members] = False  # not reachable from the base at all: the district's own problem
                continue
            for _, node in sp.path(target):
                keep[node] = True
            keep[target] = True
    nodes = np.flatnonzero(keep)
    edges = np.flatnonzero(keep[arrays.edge_u] & keep[arrays.edge_v])
    return nodes, edges


def beat_input(inp: DayInput, nodes: np.ndarray, edges: np.ndarray, mine: np.ndarray,
               biz: np.ndarray) -> DayInput:
    """The day's input of one beat on its working graph (its own node and block numbering): its corridor and
    area blocks (``mine``: a mask over the district's blocks), the hot spots on them and its businesses
    (``biz``: positions in ``inp``'s due list)."""
    node_map = np.full(inp.n_nodes, -1, dtype=np.int64)
    node_map[nodes] = np.arange(nodes.size)
    edge_map = np.full(inp.edge_u.size, -1, dtype=np.int64)
    edge_map[edges] = np.arange(edges.size)
    return dataclasses.replace(
        inp, n_nodes=int(nodes.size), edge_u=node_map[inp.edge_u[edges]], edge_v=node_map[inp.edge_v[edges]],
        edge_length=inp.edge_length[edges], edge_corridor=(inp.edge_corridor & mine)[edges],
        required_visits=np.where(mine, inp.required_visits, 0)[edges], base=int(node_map[inp.base]),
        hotspots=[int(edge_map[h]) for h in inp.hotspots if mine[h]],
        biz_index=inp.biz_index[biz], biz_block=edge_map[inp.biz_block[biz].astype(np.int64)],
        biz_offset=inp.biz_offset[biz], biz_open=inp.biz_open[biz], biz_close=inp.biz_close[biz],
        biz_ref=[inp.biz_ref[int(i)] for i in biz], corridor_last=None, hotspot_last=None)


def _in_district(units: list[Unit], nodes: np.ndarray, edges: np.ndarray, base: int) -> None:
    """Units scheduled on a beat's graph, put back in the district's ids (in place)."""
    for u in units:
        u.steps = [Leg(s.t0, s.t1, int(edges[s.block]), s.off0, s.off1, s.activity, s.ref, s.business)
                   for s in u.steps]
        u.node = int(nodes[u.node])
        u.start_node = base


def _owner_of_businesses(arrays: GraphArrays, inp: DayInput, owner: np.ndarray, parts: list[np.ndarray]
                         ) -> np.ndarray:
    """Per due business, its beat: the beat of its block, else the beat with the block midpoint nearest it."""
    out = np.zeros(inp.biz_index.size, dtype=np.int64)
    if not inp.biz_index.size:
        return out
    mx = (arrays.x[arrays.edge_u] + arrays.x[arrays.edge_v]) / 2
    my = (arrays.y[arrays.edge_u] + arrays.y[arrays.edge_v]) / 2
    every = np.concatenate(parts)
    for i, b in enumerate(inp.biz_block.astype(np.int64).tolist()):
        if owner[b] >= 0:
            out[i] = owner[b]
        else:
            j = int(np.argmin((mx[every] - mx[b]) ** 2 + (my[every] - my[b]) ** 2))
            out[i] = owner[int(every[j])]
    return out


def plan_beats(district: District, settings: Settings, inp: DayInput, units: list[UnitSpec],
               slots: list[list[BreakSlot]], n_beats: int, *, seed: int, deadline: float = math.inf,
               progress: Callable[[float, str], None] | None = None,
               base_dist: np.ndarray | None = None) -> BeatsResult:
    """Plan the day in ``n_beats`` beats and join them (see the module docstring).

    Parameters
    ----------
    district : District
    settings : Settings
        The day's settings (pairs applied).
    inp : DayInput
        The whole day's input (district ids).
    units : list of UnitSpec
    slots : list of list of BreakSlot
        Per unit, its breaks (staggered for the whole team).
    n_beats : int
    seed : int
    deadline : float
        :func:`time.perf_counter` value by which the search ends (each beat gets its share of what is left, in
        proportion to its work).
    progress : callable, optional
        ``progress(fraction, words)``.
    base_dist : ndarray, optional
        Metres from the base to every node (for the walk to each beat).

    Returns
    -------
    BeatsResult
    """
    a = district.arrays
    tg = settings.targets
    v = inp.speed_m_min
    report = progress or (lambda f, s: None)
    work = block_work(inp, dwell_min=float(tg.hotspot_dwell_min[0]), design=True)
    parts = beat_parts(a, inp, work, n_beats, len(full_day_walkers(inp, units)))
    owner = np.full(a.n_edges, -1, dtype=np.int64)
    for b, p in enumerate(parts):
        owner[p] = b
    biz_owner = _owner_of_businesses(a, inp, owner, parts)
    if base_dist is None:
        base_dist = from_node(a, inp.base).dist
    beat_work = []
    travel = []
    biz_blocks = inp.biz_block.astype(np.int64)
    for b, p in enumerate(parts):
        # its blocks' work (their check-ins included) and the check-ins of its businesses off them
        beat_work.append(float(work[p].sum()) + inp.checkin_min * float(np.sum((biz_owner == b)
                                                                                & (owner[biz_blocks] != b))))
        ends = np.concatenate([a.edge_u[p], a.edge_v[p]])
        travel.append(2.0 * float(np.median(base_dist[ends])) / v)
    # walkers a beat's corridor needs for rounds short enough to take a meal inside the revisit limit
    max_round_m = max(inp.corridor_revisit - float(settings.breaks.meal_min) - 5.0, 5.0) * v
    rounds = [math.ceil(2.0 * float(inp.edge_length[p[inp.edge_corridor[p]]].sum()) / max_round_m - 1e-9)
              for p in parts]
    shares = share_units(units, slots, inp, beat_work, travel, rounds)
    sp = from_node(a, inp.base)
    meal_min = float(settings.breaks.meal_min)
    total_work = max(sum(beat_work), 1e-9)
    plans: dict[int, _BeatPlan] = {}

    def plan_one(b: int, cap: float | None, d_beat: float, base_f: float, share_f: float, again: bool) -> _BeatPlan:
        p = parts[b]
        t_beat = time.perf_counter()
        mine = owner == b
        biz = np.flatnonzero(biz_owner == b)
        nodes, edges = beat_graph(a, np.concatenate([p, biz_blocks[biz]]), inp.base, from_base=sp)
        bin_ = beat_input(inp, nodes, edges, mine, biz)
        spec_b = [units[i] for i in shares[b]]
        net = all_pairs_shortest_paths(bin_.n_nodes, bin_.edge_u, bin_.edge_v, bin_.edge_length)
        # the beat judged in the district's ids: its own blocks, hot spots and businesses
        judge = dataclasses.replace(
            inp, edge_corridor=inp.edge_corridor & mine, required_visits=np.where(mine, inp.required_visits, 0),
            hotspots=[h for h in inp.hotspots if mine[h]], biz_index=inp.biz_index[biz],
            biz_block=inp.biz_block[biz], biz_offset=inp.biz_offset[biz], biz_open=inp.biz_open[biz],
            biz_close=inp.biz_close[biz], biz_ref=[inp.biz_ref[int(i)] for i in biz])

        def evaluate(us: list[Unit], tallies: dict) -> tuple[tuple[int, ...], float]:
            copies = [dataclasses.replace(u, steps=list(u.steps)) for u in us]
            _in_district(copies, nodes, edges, inp.base)
            summary, short = summarize(district, settings, judge, copies, tallies["checked"], tallies["corridor"], [])
            return rank_key(summary, short, tg), score(summary, short, tg)

        def repair(us: list[Unit], tallies: dict, vin: DayInput) -> None:
            tallies["filled"] = repair_day(vin, us, tallies["checked"], net, tg.balance_ratio_max)

        words = (f"beat {b + 1} of {len(parts)}{' again, walking capped' if again else ''} "
                 f"({len(spec_b)} units, {float(a.edge_length[p].sum()) / 1000:.1f} km)")

        def sub(f: float, text: str) -> None:
            report(base_f + share_f * f, f"{words}: {text}")

        sub(0.0, "starting")
        # a short search when the beat's own units cannot meet its own targets whatever the plan
        hopeless = capacity(judge, spec_b, [slots[i] for i in shares[b]], area_visits=tg.area_visits_per_shift,
                            dwell_min=float(tg.hotspot_dwell_min[0]), base_dist=base_dist).impossible(tg.priority)
        best = try_segments(bin_, net, spec_b, [slots[i] for i in shares[b]], a.edge_name[edges], meal_min, evaluate,
                            seed, repair=repair, progress=sub, deadline=d_beat,
                            max_variants=IMPOSSIBLE_VARIANTS if hopeless else None, walk_cap=cap, keep_walking=True,
                            corridor_rank=tg.priority.index("corridor"))
        if best is None:  # cannot happen: every beat has a walker
            raise RuntimeError(f"beat {b + 1} has no unit")
        walked = tally(best.units, bin_.edge_length).walked
        rates = {u.name: walked[u.name] * 60.0 / max(u.end - u.start, 1.0) for u in best.units if u.role != "rover"}
        _in_district(best.units, nodes, edges, inp.base)
        log.info("beat %d of %d: %d units, %d blocks, %d nodes; %d variants (%s)", b + 1, len(parts), len(spec_b),
                 p.size, nodes.size, best.tried, best.stopped)
        return _BeatPlan(best, nodes, edges, biz, rates, cap, time.perf_counter() - t_beat)

    def budget(b: int, left_work: float) -> float:
        now = time.perf_counter()
        return math.inf if math.isinf(deadline) else now + max(deadline - now, 0.0) * beat_work[b] / left_work

    # the beats beyond the band first: their units walk what their blocks ask (and their tours again when done);
    # then the band's, whose walkers on rounds could walk all day, capped at PACE x the least walking so far
    order = sorted(range(len(parts)), key=lambda b: (rounds[b] > 0, b))
    done_work, least = 0.0, math.inf
    share = 0.85  # of the progress for the first pass
    for b in order:
        cap = PACE * least if math.isfinite(least) else None
        plans[b] = plan_one(b, cap, budget(b, max(total_work - done_work, 1e-9)), share * done_work / total_work,
                            share * beat_work[b] / total_work, False)
        done_work += beat_work[b]
        least = min([least, *plans[b].rates.values()])
    # balance is day-wide: a beat whose units walk more than the limit allows over the least walker anywhere is
    # planned again with its walking capped at PACE x that (kept when it does no worse on its own targets)
    least = min((r for bp in plans.values() for r in bp.rates.values()), default=math.inf)
    over = [b for b in order if plans[b].rates and max(plans[b].rates.values()) > tg.balance_ratio_max * least + 1e-9]
    skip = tg.priority.index("balance")

    def others(k: tuple[int, ...]) -> tuple[int, ...]:
        return k[:skip] + k[skip + 1:]

    over_work = max(sum(beat_work[b] for b in over), 1e-9)
    done_again = 0.0
    for b in over:
        if time.perf_counter() >= deadline:
            break
        d_beat = budget(b, max(over_work - done_again, 1e-9))
        redo = plan_one(b, PACE * least, d_beat, share + (1 - share) * done_again / over_work,
                        (1 - share) * beat_work[b] / over_work, True)
        done_again += beat_work[b]
        if all(x <= y for x, y in zip(others(redo.chosen.key), others(plans[b].chosen.key), strict=True)):
            redo = dataclasses.replace(redo, chosen=dataclasses.replace(
                redo.chosen, tried=redo.chosen.tried + plans[b].chosen.tried,
                total=redo.chosen.total + plans[b].chosen.total))
            plans[b] = redo
    joined: list[Unit | None] = [None] * len(units)
    checked = np.zeros(inp.biz_index.size, dtype=bool)
    segments: list[dict[str, Any]] = []
    tours: list[list[tuple[int, int, int]]] = [[] for _ in units]
    reports: list[dict[str, Any]] = []
    tried = total = 0
    stops: list[str] = []
    key: list[int] = []
    for b, bp in sorted(plans.items()):
        best, nodes, edges, p = bp.chosen, bp.nodes, bp.edges, parts[b]
        for i, u in zip(shares[b], best.units, strict=True):
            joined[i] = u
        checked[bp.biz] = np.asarray(best.tallies["checked"], dtype=bool)
        for s in best.tallies["corridor"].get("segments", []):
            segments.append(dict(s, blocks=[int(edges[x]) for x in s["blocks"]], beat=b + 1))
        for i, t in zip(shares[b], best.tallies["tours"], strict=True):
            tours[i] = [(int(edges[x]), int(nodes[y]), int(nodes[z])) for x, y, z in t]
        tried += best.tried
        total += best.total
        stops.append(best.stopped)
        key = [x + y for x, y in zip(key, best.key, strict=True)] if key else list(best.key)
        reports.append({"beat": b + 1, "units": [units[i].name for i in shares[b]],
                        "blocks": int(p.size), "km": round(float(a.edge_length[p].sum()) / 1000, 2),
                        "corridor_km": round(float(a.edge_length[p[inp.edge_corridor[p]]].sum()) / 1000, 2),
                        "work_min": round(beat_work[b], 1), "walk_from_base_min": round(travel[b] / 2, 1),
                        "graph_nodes": int(nodes.size), "graph_blocks": int(edges.size),
                        "walk_cap_m_h": None if bp.cap is None else round(bp.cap, 1),
                        "variant": {k: val for k, val in best.variant.items() if k != "seed"}
                        | {"schedule_seed": int(best.variant["seed"])},
                        "variants_tried": best.tried, "variants": best.total, "stopped": best.stopped,
                        "seconds": round(bp.seconds, 2)})
    missing = [units[i].name for i, u in enumerate(joined) if u is None]
    if missing:  # cannot happen: every unit is in a beat
        raise RuntimeError(f"units without a beat: {missing}")
    if "time limit" in stops:
        stopped = "time limit"
    else:
        counts: dict[str, int] = {}
        for s in stops:
            counts[s] = counts.get(s, 0) + 1
        stopped = "; ".join(f"{n} beat{'s' if n != 1 else ''}: {s}" for s, n in counts.items())
    tallies = {"checked": checked, "corridor": {"design": "segments", "segments": segments}, "tours": tours}
    chosen = Chosen(tuple(key), [u for u in joined if u is not None], tallies, {"beats": len(parts), "seed": seed},
                    tried, total, stopped)
    return BeatsResult(chosen, reports)
