"""Deployment strategies to compare: planned routes, fixed posts, random walk on the corridor.

Each strategy turns a district (with the scenario's roster, shift, area, corridor and speeds in its
settings) and a seed into a :class:`~patrol.timeline.Timeline` of the day:

``planned``
    The daily plan (:func:`patrol.planning.plan_day`).
``posts``
    Ambassadors stationed at the best ``k`` points of the walking network: a maximal-coverage choice
    (demand weight of area blocks whose midpoint is within ``post_radius_min`` minutes at response
    speed; ties broken by the weighted distance), greedy then improved by one-for-one swaps.  Each
    unit walks from the base to its post and stays there (activity ``post``) but for its breaks.
``random_walk``
    Each unit walks from the base to the corridor, then at every intersection takes a random corridor
    block (no U-turn unless at a dead end), at patrol speed.

Units are ambassadors, or pairs when ``roster.pairs`` is set (``size // 2`` units).  Breaks
(``breaks.meal_min`` within ``breaks.meal_window``, ``breaks.rest_count`` rests of ``breaks.rest_min``)
are staggered across units and taken where the unit is.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from patrol.errors import ConfigError, PlanError
from patrol.paths import SingleSource, from_node, node_distances
from patrol.planning.plan import plan_day
from patrol.settings import parse_hhmm
from patrol.timeline import Leg, Timeline

__all__ = [
    "STRATEGIES",
    "StrategyOptions",
    "build_timeline",
    "choose_posts",
    "planned_timeline",
    "posts_timeline",
    "random_walk_legs",
    "random_walk_timeline",
    "shift_breaks",
    "unit_names",
]

log = logging.getLogger(__name__)

STRATEGIES = ("planned", "posts", "random_walk")


@dataclass(frozen=True)
class StrategyOptions:
    """Strategy options of a scenario (the ``[strategy]`` table, see docs/scenario-format.md)."""

    name: str = "planned"
    posts: int = 0
    post_radius_min: float = 5.0
    time_limit_s: float | None = None
    plan_seed: int | None = None
    day: str = "tue"


def unit_names(settings) -> list[str]:
    """Walker names: ambassadors, or ``"a+b"`` pairs when ``roster.pairs`` (an odd one out joins the last pair)."""
    names = settings.roster.ambassador_names()
    if not settings.roster.pairs or len(names) < 2:
        return names
    pairs = [names[i:i + 2] for i in range(0, len(names) - 1, 2)]
    if len(names) % 2:
        pairs[-1].append(names[-1])
    return ["+".join(p) for p in pairs]


def shift_breaks(settings, n_units: int) -> list[list[tuple[float, float]]]:
    """Staggered breaks per unit: ``[(t0, t1), ...]`` in minutes after midnight, sorted, inside the shift.

    The meal starts are spread evenly over the meal window (or the middle of the shift when the window
    is outside it); the rests aim at equal spacing over the shift, are staggered by unit and pushed
    after the meal when they would overlap it.
    """
    s0, s1 = settings.shift.start_min, settings.shift.end_min
    br = settings.breaks
    w0, w1 = (parse_hhmm(t) for t in br.meal_window)
    w0, w1 = max(w0, s0), min(w1, s1)
    if w1 - w0 < br.meal_min:
        w0 = max(s0, (s0 + s1 - br.meal_min) // 2)
        w1 = min(s1, w0 + br.meal_min)
    out = []
    for i in range(n_units):
        items: list[tuple[float, float]] = []
        if br.meal_min > 0 and w1 - w0 >= br.meal_min:
            span = (w1 - w0) - br.meal_min
            m0 = w0 + (round(i * span / (n_units - 1)) if n_units > 1 else span // 2)
            items.append((float(m0), float(m0 + br.meal_min)))
        for j in range(br.rest_count):
            if br.rest_min <= 0:
                break
            target = s0 + (j + 1) * (s1 - s0) / (br.rest_count + 1) + ((i % 3) - 1) * br.rest_min
            t0 = float(round(target))
            for a, b in sorted(items):
                if t0 < b and a < t0 + br.rest_min:
                    t0 = b
            t0 = min(t0, s1 - br.rest_min)
            if t0 >= s0 and all(t0 >= b or t0 + br.rest_min <= a for a, b in items):
                items.append((t0, t0 + br.rest_min))
        out.append(sorted(items))
    return out


# ---------------------------------------------------------------------------------------------- paths
def _path_legs(arrays, sp: SingleSource, dst: int, t: float, speed_m_min: float) -> tuple[list[Leg], float]:
    """Walk legs along a shortest path from the search's source node to node ``dst``, starting at ``t``."""
    try:
        steps = sp.path(dst)
    except ValueError as exc:
        raise PlanError(f"node {dst} is not reachable from node {sp.source}", field="strategy") from exc
    legs = []
    for e, a in steps:
        length = float(arrays.edge_length[e])
        fwd = int(arrays.edge_u[e]) == a
        dt = length / speed_m_min
        legs.append(Leg(t, t + dt, e, 0.0 if fwd else length, length if fwd else 0.0, "walk"))
        t += dt
    return legs, t


def _at_node(arrays, node: int, weights: np.ndarray | None = None) -> tuple[int, float]:
    """A (block, offset) standing point at a node: its incident block of highest weight (else the first)."""
    ks = np.arange(arrays.indptr[node], arrays.indptr[node + 1])
    blocks = arrays.csr_edge[ks]
    e = int(blocks[int(np.argmax(weights[blocks]))] if weights is not None else blocks[0])
    return e, (0.0 if int(arrays.edge_u[e]) == node else float(arrays.edge_length[e]))


def _insert_stationary(legs: list[Leg], breaks: list[tuple[float, float]], t_end: float,
                       activity: str, block: int, offset: float, t_from: float) -> list[Leg]:
    """Fill ``[t_from, t_end)`` with ``activity`` at one point, cut by ``breaks``."""
    t = t_from
    for a, b in breaks:
        if b <= t:
            continue
        a = max(a, t)
        if a > t:
            legs.append(Leg(t, a, block, offset, offset, activity))
        legs.append(Leg(a, min(b, t_end), block, offset, offset, "break"))
        t = min(b, t_end)
    if t < t_end:
        legs.append(Leg(t, t_end, block, offset, offset, activity))
    return legs


# ---------------------------------------------------------------------------------------------- posts
def choose_posts(arrays, weights: np.ndarray, k: int, radius_m: float, *, node_dist: np.ndarray | None = None,
                 candidates: np.ndarray | None = None) -> np.ndarray:
    """Maximal-coverage choice of ``k`` post nodes on the walking network.

    Maximizes the demand weight of blocks whose midpoint is within ``radius_m`` of a post (network
    distance), then minimizes the weighted distance to the nearest post: greedy, then one-for-one swaps
    until no swap improves.  Deterministic.

    Parameters
    ----------
    arrays : GraphArrays
    weights : ndarray (n_blocks,)
        Demand weight per block (0 for blocks that do not matter).
    k : int
        Number of posts (at least 1).
    radius_m : float
        Coverage radius along the network.
    node_dist : ndarray, optional
        Node distances with a row per candidate (``(len(candidates), n_nodes)``; computed when omitted, from
        the candidates only, so memory is candidates x nodes).
    candidates : ndarray of int, optional
        Candidate nodes; default: the ends of blocks with a positive weight.

    Returns
    -------
    ndarray of int
        ``k`` node indices (fewer when there are fewer candidates).

    Raises
    ------
    ConfigError
        When ``k < 1`` or no block has a positive weight.
    """
    if k < 1:
        raise ConfigError(f"need at least one post, got {k}", field="strategy.posts")
    w = np.asarray(weights, float)
    dem = np.flatnonzero(w > 0)
    if dem.size == 0:
        raise ConfigError("no block with demand inside the area to place posts on", field="area")
    if candidates is None:
        candidates = np.unique(np.concatenate([arrays.edge_u[dem], arrays.edge_v[dem]]))
    if node_dist is None:
        node_dist = node_distances(arrays, candidates)
    half = arrays.edge_length[dem] / 2
    d = np.minimum(node_dist[:, arrays.edge_u[dem]], node_dist[:, arrays.edge_v[dem]]) + half  # (cand, demand)
    wd = w[dem]

    def score(sel: list[int]) -> tuple[float, float]:
        m = d[sel].min(axis=0)
        return float(wd[m <= radius_m].sum()), -float((wd * m).sum())

    chosen: list[int] = []
    k = min(k, candidates.size)
    for _ in range(k):
        best = max((c for c in range(candidates.size) if c not in chosen), key=lambda c: score([*chosen, c]))
        chosen.append(best)
    improved = True
    current = score(chosen)
    while improved:
        improved = False
        for i in range(len(chosen)):
            for c in range(candidates.size):
                if c in chosen:
                    continue
                trial = chosen[:i] + [c] + chosen[i + 1:]
                s = score(trial)
                if s > current:
                    chosen, current, improved = trial, s, True
    return candidates[np.array(chosen, dtype=np.int64)]


def posts_timeline(district, weights: np.ndarray, options: StrategyOptions) -> Timeline:
    """Fixed posts: each unit walks from the base to its post and stays there but for its breaks."""
    st = district.settings
    arrays = district.arrays
    names = unit_names(st)
    k = options.posts or len(names)
    radius = st.speeds.response_m_s * 60.0 * options.post_radius_min
    posts = choose_posts(arrays, weights, k, radius)
    speed = st.speeds.patrol_m_s * 60.0
    sp = from_node(arrays, district.base_index)
    breaks = shift_breaks(st, len(names))
    t_end = float(st.shift.end_min)
    legs = {}
    for i, name in enumerate(names):
        node = int(posts[i % posts.size])
        walk, t = _path_legs(arrays, sp, node, float(st.shift.start_min), speed)
        walk = [leg for leg in walk if leg.t0 < t_end]
        block, off = _at_node(arrays, node, np.asarray(weights, float) + arrays.edge_in_area)
        todo = [(a, b) for a, b in breaks[i] if b > t]
        legs[name] = _insert_stationary(walk, todo, t_end, "post", block, off, min(t, t_end))
    log.info("posts at nodes %s", [int(arrays.node_ids[p]) for p in posts])
    return Timeline(legs)


# ----------------------------------------------------------------------------------------- random walk
def random_walk_legs(arrays, allowed: np.ndarray, start_nodes, t_start: float, t_end: float, speed_m_min: float,
                     rng: np.random.Generator, breaks=None) -> list[list[Leg]]:
    """Random walks on the ``allowed`` blocks from each start node (which must touch an allowed block).

    At every node the walker takes a uniformly random allowed block other than the one it came along
    (U-turn only at a dead end).  Breaks (per walker ``[(t0, t1), ...]``) are taken at the first node
    reached after their start and last their full length.  The last leg is cut at ``t_end``.
    """
    allowed = np.asarray(allowed, bool)
    indptr, indices, csr_edge = arrays.indptr, arrays.indices, arrays.csr_edge
    out = []
    for i, node in enumerate(start_nodes):
        node = int(node)
        t = float(t_start)
        came = -1
        todo = list(breaks[i]) if breaks is not None else []
        legs: list[Leg] = []
        while t < t_end:
            if todo and t >= todo[0][0]:
                a, b = todo.pop(0)
                blk, off = (came, float(arrays.edge_length[came]) if int(arrays.edge_v[came]) == node else 0.0) \
                    if came >= 0 else _at_node(arrays, node)
                stop = min(t + (b - a), t_end)
                legs.append(Leg(t, stop, blk, off, off, "break"))
                t = stop
                continue
            ks = [k for k in range(indptr[node], indptr[node + 1]) if allowed[csr_edge[k]]]
            if not ks:
                raise PlanError(f"node {node} touches no allowed block", field="corridor")
            options = [k for k in ks if csr_edge[k] != came] or ks
            k = options[int(rng.integers(len(options)))]
            e = int(csr_edge[k])
            length = float(arrays.edge_length[e])
            fwd = int(arrays.edge_u[e]) == node
            dt = length / speed_m_min
            o0, o1 = (0.0, length) if fwd else (length, 0.0)
            if t + dt > t_end:
                f = (t_end - t) / dt
                o1 = o0 + f * (o1 - o0)
                legs.append(Leg(t, t_end, e, o0, o1, "walk"))
                break
            legs.append(Leg(t, t + dt, e, o0, o1, "walk"))
            t += dt
            node = int(indices[k])
            came = e
        out.append(legs)
    return out


def random_walk_timeline(district, seed: int) -> Timeline:
    """Random walk on the corridor (on the area's blocks when there is no corridor), from the base."""
    st = district.settings
    arrays = district.arrays
    allowed = np.asarray(arrays.edge_corridor, bool)
    if not allowed.any():
        allowed = np.asarray(arrays.edge_in_area, bool)
    if not allowed.any():
        raise ConfigError("the scenario's area holds no street block to walk", field="area")
    names = unit_names(st)
    sp = from_node(arrays, district.base_index)
    touch = np.zeros(arrays.n_nodes, bool)
    touch[arrays.edge_u[allowed]] = True
    touch[arrays.edge_v[allowed]] = True
    entry = int(np.flatnonzero(touch)[np.argmin(sp.dist[touch])])
    speed = st.speeds.patrol_m_s * 60.0
    t0, t1 = float(st.shift.start_min), float(st.shift.end_min)
    lead_in, t_entry = _path_legs(arrays, sp, entry, t0, speed)
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), 0x5EED]))
    breaks = shift_breaks(st, len(names))
    walks = random_walk_legs(arrays, allowed, [entry] * len(names), t_entry, t1, speed, rng, breaks)
    return Timeline({n: [leg for leg in lead_in if leg.t0 < t1] + w for n, w in zip(names, walks, strict=True)})


# ------------------------------------------------------------------------------------------------ plan
def planned_timeline(district, options: StrategyOptions, seed: int) -> Timeline:
    """The daily plan's timeline (:func:`patrol.planning.plan_day`)."""
    plan_seed = int(seed if options.plan_seed is None else options.plan_seed)
    plan = plan_day(district, day=options.day, seed=plan_seed, time_limit_s=options.time_limit_s,
                    pairs=district.settings.roster.pairs)
    return plan.timeline()


def build_timeline(district, options: StrategyOptions, seed: int, weights: np.ndarray) -> Timeline:
    """The timeline of one day under a strategy (see the module docstring).

    Raises
    ------
    ConfigError
        For an unknown strategy.
    """
    if options.name == "planned":
        return planned_timeline(district, options, seed)
    if options.name == "posts":
        return posts_timeline(district, weights, options)
    if options.name == "random_walk":
        return random_walk_timeline(district, seed)
    raise ConfigError(f"unknown strategy {options.name!r}; use one of {', '.join(STRATEGIES)}",
                      field="scenario.strategy")
