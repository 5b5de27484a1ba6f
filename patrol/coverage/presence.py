"""Visible presence from timed walks: per block and minute, how many ambassadors are there.

Any :class:`~patrol.timeline.Timeline` works: a daily plan, a strategy's output
(:mod:`patrol.coverage.strategies`) or recorded GPS tracks (:func:`patrol.coverage.tracks.timeline_from_pings`).

Pipeline: :func:`sample_timeline` (positions per step) -> :func:`block_neighbourhoods` (which blocks a
walker sees within the visibility distance, along the network) -> :func:`presence_counts` (walkers per
step and block) -> :func:`score_presence` (recent-visit share, revisit gaps, demand-weighted coverage,
hours of visible presence).  :func:`visible_hours` and :func:`hotspot_compliance` read the legs directly.

Examples
--------
>>> from patrol.timeline import Leg, Timeline
>>> tl = Timeline({"amb1": [Leg(600, 660, 0, 0.0, 0.0, "post"), Leg(660, 690, 0, 0.0, 0.0, "break")]})
>>> visible_hours(tl)["total"]
1.0
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from patrol import path_kernels, path_reference
from patrol.coverage import kernels, reference
from patrol.errors import InputError
from patrol.timeline import ACTIVITIES, VISIBLE, Timeline

__all__ = [
    "BlockNeighbourhoods",
    "Positions",
    "PresenceScore",
    "block_neighbourhoods",
    "hotspot_compliance",
    "presence_counts",
    "sample_timeline",
    "score_presence",
    "visible_hours",
    "visible_mask",
    "walker_size",
]

log = logging.getLogger(__name__)

#: Activity codes (index) -> visible (True) for the kernels.
VISIBLE_CODES = np.array([name in VISIBLE for name in sorted(ACTIVITIES, key=ACTIVITIES.get)], dtype=bool)
#: Stationary activities that make a hot-spot stop.
STOP_ACTIVITIES = frozenset({"dwell", "post", "checkin"})


@dataclass(frozen=True)
class Positions:
    """Where each walker is at each time step.

    Attributes
    ----------
    times : ndarray
        Sample times, minutes after midnight (the middle of each step).
    start_min, step_min : float
        Start of the first step and step length (minutes).
    walkers : list of str
    block, offset, activity : ndarray (n_steps, n_walkers)
        Block (-1 when off the timeline), offset in metres from the block's ``u`` end, activity code.
    """

    times: np.ndarray
    start_min: float
    step_min: float
    walkers: list[str]
    block: np.ndarray
    offset: np.ndarray
    activity: np.ndarray

    @property
    def n_steps(self) -> int:
        return int(self.times.size)

    def visible(self) -> np.ndarray:
        """Bool (n_steps, n_walkers): on the timeline with a visible activity (walk, check-in, dwell, post)."""
        return visible_mask(self.activity)


def visible_mask(activity: np.ndarray) -> np.ndarray:
    """Bool mask of visible activity codes (``-1``, off the timeline, is not visible)."""
    act = np.asarray(activity)
    return (act >= 0) & VISIBLE_CODES[np.clip(act, 0, VISIBLE_CODES.size - 1)]


def sample_timeline(timeline: Timeline, start_min: float, end_min: float, step_min: float = 1.0, *,
                    use_reference: bool = False) -> Positions:
    """Sample every walker's position at the middle of each step of ``[start_min, end_min)``.

    Parameters
    ----------
    timeline : Timeline
    start_min, end_min : float
        Shift window, minutes after midnight.
    step_min : float
        Step length in minutes (1 by default).
    use_reference : bool
        Use the NumPy reference instead of the Numba kernel (for tests and benchmarks).

    Raises
    ------
    InputError
        When the window is empty or the step is not positive.
    """
    if step_min <= 0:
        raise InputError(f"step_min must be positive, got {step_min}", field="step_min")
    n = int(round((end_min - start_min) / step_min))
    if n <= 0:
        raise InputError(f"empty time window {start_min}..{end_min}", field="end_min")
    times = start_min + (np.arange(n) + 0.5) * step_min
    arr = timeline.to_arrays()
    impl = _impl(use_reference)
    b, o, a = impl.sample_positions(arr["walker"], arr["t0"], arr["t1"], arr["block"], arr["off0"], arr["off1"],
                                    arr["activity"], len(timeline.walkers), times)
    return Positions(times, float(start_min), float(step_min), list(timeline.walkers), b, o, a)


def _impl(use_reference: bool):
    return reference if use_reference else kernels


@dataclass(frozen=True)
class BlockNeighbourhoods:
    """Blocks within a visibility distance of each block, along the network (CSR form).

    For block ``b``: neighbours ``block[indptr[b]:indptr[b+1]]`` (``b`` itself included) with ``du``/``dv``,
    the network distances from ``b``'s ``u``/``v`` end to the nearer end of the neighbour (``inf`` when
    beyond the distance).
    """

    visibility_m: float
    indptr: np.ndarray
    block: np.ndarray
    du: np.ndarray
    dv: np.ndarray


def block_neighbourhoods(arrays, visibility_m: float = 0.0, *, use_reference: bool = False) -> BlockNeighbourhoods:
    """Precompute which blocks a walker on each block can see within ``visibility_m`` metres.

    Parameters
    ----------
    arrays : GraphArrays
        The district's arrays (``district.arrays``) or any object with the same CSR/block fields.
    visibility_m : float
        Visibility distance along the network (0: only the block walked, and the blocks meeting at an
        intersection while standing on it).

    Raises
    ------
    InputError
        When ``visibility_m`` is negative.
    """
    if not visibility_m >= 0:
        raise InputError(f"visibility_m must be >= 0, got {visibility_m}", field="visibility_m")
    paths_impl = path_reference if use_reference else path_kernels
    ptr, nbr, dist = paths_impl.bounded_distances(arrays.indptr, arrays.indices, arrays.weights, float(visibility_m))
    n_nodes = arrays.indptr.size - 1
    m = arrays.edge_u.size
    # (node i, block c, distance from i to the nearer end of c) for every node j within reach of i
    src = np.repeat(np.arange(n_nodes), np.diff(ptr))
    deg = np.diff(arrays.indptr)[nbr]
    i_rep = np.repeat(src, deg)
    d_rep = np.repeat(dist, deg)
    starts = np.repeat(arrays.indptr[nbr], deg)
    within = np.arange(deg.sum()) - np.repeat(np.cumsum(deg) - deg, deg)
    c_rep = arrays.csr_edge[starts + within]
    key = i_rep * m + c_rep
    order = np.lexsort((d_rep, key))
    key, d_rep = key[order], d_rep[order]
    first = np.ones(key.size, bool)
    first[1:] = key[1:] != key[:-1]
    key, d_rep = key[first], d_rep[first]  # min distance per (node, block)
    node_of, blk_of = key // m, key % m
    node_ptr = np.searchsorted(node_of, np.arange(n_nodes + 1))
    # block b: entries of node u (side 0) and node v (side 1)
    parts_b, parts_c, parts_d, parts_side = [], [], [], []
    for side, ends in ((0, arrays.edge_u), (1, arrays.edge_v)):
        cnt = node_ptr[ends + 1] - node_ptr[ends]
        b_rep = np.repeat(np.arange(m), cnt)
        idx = np.repeat(node_ptr[ends], cnt) + (np.arange(cnt.sum()) - np.repeat(np.cumsum(cnt) - cnt, cnt))
        parts_b.append(b_rep)
        parts_c.append(blk_of[idx])
        parts_d.append(d_rep[idx])
        parts_side.append(np.full(idx.size, side))
    b_all = np.concatenate(parts_b + [np.arange(m)])
    c_all = np.concatenate(parts_c + [np.arange(m)])
    d_all = np.concatenate(parts_d + [np.full(m, np.inf)])
    s_all = np.concatenate(parts_side + [np.full(m, 2)])
    pair = b_all * m + c_all
    uniq, inv = np.unique(pair, return_inverse=True)
    du = np.full(uniq.size, np.inf)
    dv = np.full(uniq.size, np.inf)
    np.minimum.at(du, inv[s_all == 0], d_all[s_all == 0])
    np.minimum.at(dv, inv[s_all == 1], d_all[s_all == 1])
    blocks_of = uniq // m
    indptr = np.searchsorted(blocks_of, np.arange(m + 1)).astype(np.int64)
    return BlockNeighbourhoods(float(visibility_m), indptr, (uniq % m).astype(np.int64), du, dv)


def presence_counts(positions: Positions, arrays, neighbourhoods: BlockNeighbourhoods, *,
                    available: np.ndarray | None = None, use_reference: bool = False) -> np.ndarray:
    """Walkers present on each block at each step (on the block or within the visibility distance).

    Parameters
    ----------
    positions : Positions
    arrays : GraphArrays
    neighbourhoods : BlockNeighbourhoods
        From :func:`block_neighbourhoods` with the wanted visibility distance.
    available : bool (n_steps, n_walkers), optional
        Which walkers count; default: those with a visible activity.

    Returns
    -------
    int16 (n_steps, n_blocks)
    """
    ok = positions.visible() if available is None else np.asarray(available, bool)
    nb = neighbourhoods
    return _impl(use_reference).presence_counts(positions.block, positions.offset, ok, nb.indptr, nb.block, nb.du,
                                                nb.dv, arrays.edge_length, nb.visibility_m, arrays.n_edges)


@dataclass
class PresenceScore:
    """Presence measures of one timed day (see :func:`score_presence`).

    Scalars are plain floats (for tables and JSON); per-step and per-block arrays feed plots and maps.
    """

    window_min: float
    corridor_recent_share: float
    area_recent_share: float
    demand_weighted_coverage: float
    corridor_gap_max_min: float
    corridor_gap_mean_min: float
    corridor_blocks_never_visited: int
    visible_hours: float
    coverage_by_step: np.ndarray
    block_recent_share: np.ndarray
    block_gap_max_min: np.ndarray
    corridor_gaps_min: np.ndarray

    def summary(self) -> dict[str, float]:
        """The scalar measures."""
        return {k: v for k, v in vars(self).items() if not isinstance(v, np.ndarray)}


def score_presence(counts: np.ndarray, positions: Positions, arrays, *, window_min: float = 60.0,
                   weights: np.ndarray | None = None, extra_weights: np.ndarray | None = None,
                   use_reference: bool = False) -> PresenceScore:
    """Coverage measures from presence counts.

    Parameters
    ----------
    counts : (n_steps, n_blocks) array
        From :func:`presence_counts`.
    positions : Positions
        For the step length and the hours of visible presence.
    arrays : GraphArrays
        Block lengths and the area / corridor flags.
    window_min : float
        A block-minute is *covered* when the block had presence in the last ``window_min`` minutes
        (the program target ``targets.corridor_revisit_min``, 60).
    weights : ndarray (n_blocks,), optional
        Demand weight per block (:func:`patrol.coverage.weights.block_weights`); default: block length.
    extra_weights : ndarray (n_steps, n_blocks), optional
        Demand added at some steps (a special event's crowd, :mod:`patrol.coverage.events`): the
        demand-weighted coverage then weighs each block-minute by ``weights + extra_weights``.

    Returns
    -------
    PresenceScore
        ``corridor_recent_share`` (share of corridor block-minutes covered), ``area_recent_share``,
        ``demand_weighted_coverage`` (area blocks, weighted), revisit gaps on the corridor (maximal runs
        of minutes without presence, including the run from the shift start to the first visit and the
        run from the last visit to the shift end; max of per-block max, mean over all runs),
        ``visible_hours`` (walker-hours with a visible activity on an area block).
    """
    step = positions.step_min
    window_steps = max(1, int(round(window_min / step)))
    recent, run_block, run_len = _impl(use_reference).revisit_scan(counts, window_steps)
    corridor = np.asarray(arrays.edge_corridor, bool)
    area = np.asarray(arrays.edge_in_area, bool)
    m = counts.shape[1]
    w = np.asarray(arrays.edge_length if weights is None else weights, float)
    block_share = recent.mean(axis=0)
    gap_max = np.zeros(m)
    np.maximum.at(gap_max, run_block, run_len * step)
    on_corr = corridor[run_block]
    corr_gaps = run_len[on_corr] * step
    never = int(np.sum(counts[:, corridor].max(axis=0, initial=0) == 0)) if corridor.any() else 0
    cov_by_step = recent[:, corridor].mean(axis=1) if corridor.any() else np.zeros(counts.shape[0])
    wa = w * area
    if extra_weights is None:
        dwc = float((block_share * wa).sum() / wa.sum()) if wa.sum() > 0 else float("nan")
    else:
        wt = wa[None, :] + np.asarray(extra_weights, float) * area[None, :]
        dwc = float((recent * wt).sum() / wt.sum()) if wt.sum() > 0 else float("nan")
    vis = positions.visible()
    on_area = np.zeros_like(vis)
    onb = positions.block >= 0
    on_area[onb] = area[positions.block[onb]]
    people = np.array([walker_size(w) for w in positions.walkers], float)
    return PresenceScore(
        window_min=float(window_min),
        corridor_recent_share=float(recent[:, corridor].mean()) if corridor.any() else float("nan"),
        area_recent_share=float(recent[:, area].mean()) if area.any() else float("nan"),
        demand_weighted_coverage=dwc,
        corridor_gap_max_min=float(gap_max[corridor].max()) if corridor.any() else float("nan"),
        corridor_gap_mean_min=float(corr_gaps.mean()) if corr_gaps.size else 0.0,
        corridor_blocks_never_visited=never,
        visible_hours=float(((vis & on_area) * people).sum() * step / 60.0),
        coverage_by_step=cov_by_step.astype(float),
        block_recent_share=block_share.astype(float),
        block_gap_max_min=gap_max,
        corridor_gaps_min=corr_gaps.astype(float),
    )


def walker_size(name: str) -> int:
    """Ambassadors in a walker: a pair or group is named ``"a+b"`` (see ``strategies.unit_names``)."""
    return len(str(name).split("+"))


def visible_hours(timeline: Timeline, *, in_area: np.ndarray | None = None, start_min: float | None = None,
                  end_min: float | None = None) -> dict:
    """Hours of visible presence (a program output measure), exactly from the legs.

    Counts the time of legs whose activity is visible (walk, check-in, dwell, post; not breaks or
    responses), optionally only on blocks of the patrol area and within a time window.  A walker named
    ``"a+b"`` (a pair) counts for two ambassadors.

    Parameters
    ----------
    timeline : Timeline
        A plan, a strategy's output or recorded tracks (:func:`patrol.coverage.tracks.timeline_from_pings`).
    in_area : bool ndarray (n_blocks,), optional
        Count only legs on these blocks (e.g. ``district.arrays.edge_in_area``).
    start_min, end_min : float, optional
        Clip the legs to this window (minutes after midnight).

    Returns
    -------
    dict
        ``{"total": ambassador-hours, "per_walker": {walker: hours of that walker (pair: of the pair)}}``.
    """
    lo = -np.inf if start_min is None else float(start_min)
    hi = np.inf if end_min is None else float(end_min)
    per = {}
    for w, legs in timeline.legs.items():
        minutes = 0.0
        for leg in legs:
            if leg.activity not in VISIBLE or (in_area is not None and not in_area[leg.block]):
                continue
            minutes += max(0.0, min(leg.t1, hi) - max(leg.t0, lo))
        per[w] = minutes / 60.0
    return {"total": float(sum(h * walker_size(w) for w, h in per.items())), "per_walker": per}


def hotspot_compliance(timeline: Timeline, hotspots, *, dwell_min: tuple[int, int] = (10, 15),
                       revisit_min: float = 120.0, start_min: float, end_min: float, arrays=None,
                       neighbourhoods: BlockNeighbourhoods | None = None) -> dict:
    """Hot-spot dwell compliance: stops of at least ``dwell_min[0]`` minutes at least every ``revisit_min``.

    A *stop* is a run of back-to-back stationary legs (dwell, post, check-in) of one walker on the
    hot-spot block (or, with ``arrays`` and ``neighbourhoods``, within their visibility distance of it); it
    *qualifies* when it lasts at least ``dwell_min[0]`` minutes.  A hot spot
    complies when no gap without a qualifying stop under way (shift start to the first stop, between
    stops, last stop to shift end) is longer than ``revisit_min``.

    Parameters
    ----------
    timeline : Timeline
    hotspots : sequence of int
        Hot-spot blocks.
    dwell_min : (int, int)
        Target stop length range (the program's 10-15 minutes).
    revisit_min : float
        Longest allowed gap (the program's 2 hours).
    start_min, end_min : float
        Shift window.
    arrays : GraphArrays, optional
    neighbourhoods : BlockNeighbourhoods, optional
        Count stops within ``neighbourhoods.visibility_m`` of the hot spot too.

    Returns
    -------
    dict
        ``share_compliant`` (of the hot spots), ``share_stops_in_range`` (qualifying stops lasting at most
        ``dwell_min[1]``), and ``per_hotspot``: block, stops, max gap, compliant.
    """
    def near(leg, h: int) -> bool:
        if leg.block == h:
            return True
        if neighbourhoods is None or arrays is None:
            return False
        nb = neighbourhoods
        lo, hi = nb.indptr[leg.block], nb.indptr[leg.block + 1]
        k = lo + int(np.searchsorted(nb.block[lo:hi], h))
        if k >= hi or nb.block[k] != h:
            return False
        o = leg.off1
        return min(o + nb.du[k], arrays.edge_length[leg.block] - o + nb.dv[k]) <= nb.visibility_m

    per = []
    n_in_range = n_stops = 0
    for h in hotspots:
        h = int(h)
        stops = []
        for legs in timeline.legs.values():
            cur = None
            for leg in legs:
                if leg.activity in STOP_ACTIVITIES and near(leg, h):
                    if cur is not None and leg.t0 <= cur[1] + 1e-6:
                        cur[1] = leg.t1
                    else:
                        if cur is not None:
                            stops.append(tuple(cur))
                        cur = [leg.t0, leg.t1]
                elif cur is not None:
                    stops.append(tuple(cur))
                    cur = None
            if cur is not None:
                stops.append(tuple(cur))
        good = sorted((a, b) for a, b in stops if b - a >= dwell_min[0] - 1e-6)
        n_stops += len(good)
        n_in_range += sum(1 for a, b in good if b - a <= dwell_min[1] + 1e-6)
        gaps, covered_to = [], float(start_min)
        for a, b in good:
            gaps.append(max(0.0, a - covered_to))
            covered_to = max(covered_to, b)
        gaps.append(max(0.0, float(end_min) - covered_to))
        max_gap = max(gaps)
        per.append({"block": h, "stops": len(good), "max_gap_min": round(max_gap, 1),
                    "compliant": bool(max_gap <= revisit_min + 1e-6)})
    return {
        "share_compliant": float(np.mean([p["compliant"] for p in per])) if per else float("nan"),
        "share_stops_in_range": (n_in_range / n_stops) if n_stops else float("nan"),
        "per_hotspot": per,
    }
