"""Corridor sweeps: a timetable that keeps every corridor block walked at least every hour.

The corridor blocks are closed into one tour from the base (a Chinese-postman tour: odd ends paired
by a minimum-weight matching over shortest paths).  ``k`` *sweeps* run along that tour at patrol speed,
evenly spaced, so a block is passed every ``lap / k`` minutes; ``k`` is the smallest number that keeps
this under the revisit limit with a safety margin.  Blocks the sweeps would first reach too late are
covered by an *opening* run that walks the tour backwards from the base at the shift start.  Each sweep's
timetable is cut into chunks (about ``chunk_min`` minutes) that the scheduler hands to units as
appointments, around their breaks and balanced across the team.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field

import networkx as nx
import numpy as np

__all__ = ["Chunk", "assign_chunks", "assign_dwells", "corridor_chunks", "corridor_tour"]

log = logging.getLogger(__name__)


@dataclass
class Chunk:
    """A timed piece of a corridor sweep: ``legs`` are ``(block, from_node, to_node, t0, t1)``."""

    start: float
    end: float
    start_node: int
    end_node: int
    legs: list[tuple[int, int, int, float, float]]
    sweep: int
    unit: int = -1
    done: bool = False
    extra: dict = field(default_factory=dict)


def corridor_tour(n_nodes: int, edge_u: np.ndarray, edge_v: np.ndarray, edge_length: np.ndarray,
                  corridor: np.ndarray, base: int, dist: np.ndarray, pred: np.ndarray,
                  best: dict[tuple[int, int], int]) -> list[tuple[int, int, int]]:
    """A closed walk from (the corridor node nearest to) the base over every corridor block.

    Returns
    -------
    list of (block, from_node, to_node)
        Empty if there is no corridor.
    """
    blocks = np.flatnonzero(corridor)
    if blocks.size == 0:
        return []
    G = nx.MultiGraph()
    for b in blocks.tolist():
        G.add_edge(int(edge_u[b]), int(edge_v[b]), key=b)

    def add_path(a: int, c: int) -> None:
        node = c
        while node != a:
            p = int(pred[a, node])
            blk = best[(p, node)]
            G.add_edge(p, node, key=f"{blk}:{G.number_of_edges()}", block=blk)
            node = p

    start = base if base in G else min(G.nodes, key=lambda n: dist[base, n])
    comps = [list(c) for c in nx.connected_components(G)]
    while len(comps) > 1:  # join the pieces by their closest nodes
        a, c = min(((x, y) for x in comps[0] for comp in comps[1:] for y in comp), key=lambda p: dist[p[0], p[1]])
        add_path(a, c)
        comps = [list(cc) for cc in nx.connected_components(G)]
    odd = [n for n, d in G.degree() if d % 2]
    if odd:
        K = nx.Graph()
        for i, x in enumerate(odd):
            for y in odd[i + 1:]:
                K.add_edge(x, y, weight=float(dist[x, y]))
        for x, y in nx.min_weight_matching(K):
            add_path(x, y)
    tour = []
    for x, y, key in nx.eulerian_circuit(G, source=start, keys=True):
        blk = key if isinstance(key, int | np.integer) else G.edges[x, y, key]["block"]
        tour.append((int(blk), int(x), int(y)))
    return tour


def corridor_chunks(tour: list[tuple[int, int, int]], edge_length: np.ndarray, dist: np.ndarray, base: int, *,
                    start: float, end: float, speed: float, first: float, revisit: float,
                    max_sweeps: int, margin: float = 8.0, chunk_min: float = 55.0,
                    spare_units: int = 0, leg_weight: np.ndarray | None = None) -> tuple[list[Chunk], dict]:
    """Timetabled sweeps along ``tour`` cut into chunks, plus an opening run.

    The lap's spare time (the timetable is slower than walking) is spread evenly over the legs, or, with
    ``leg_weight`` (per block), in proportion to the weights of the tour's legs (e.g. the businesses to
    check in with on each block).

    Returns
    -------
    chunks : list of Chunk
        Sorted by start time.
    info : dict
        ``lap_min``, ``sweeps``, ``period_min`` (expected gap), ``opening_blocks``.
    """
    if not tour:
        return [], {"lap_min": 0.0, "sweeps": 0, "period_min": 0.0}
    walk_lap = float(sum(edge_length[b] for b, _, _ in tour)) / speed
    k = max(1, math.ceil(walk_lap / max(revisit - margin, 1.0)))
    if spare_units >= 4 * k + 2:  # room for one more sweep: slower sweeps with time to check in on the way
        k += 1
    k = min(k, max(1, max_sweeps))
    pace = max(1.0, k * (revisit - margin) / walk_lap)
    if leg_weight is None:
        steps = [(b, x, y, edge_length[b] / speed * pace) for b, x, y in tour]
    else:  # the spare time of a lap goes where it is needed (blocks with check-ins), not evenly
        w = np.array([float(leg_weight[b]) for b, _, _ in tour])
        spare = walk_lap * (pace - 1.0)
        w = w / w.sum() if w.sum() > 0 else np.full(len(tour), 1.0 / len(tour))
        steps = [(b, x, y, edge_length[b] / speed + spare * wj) for (b, x, y), wj in zip(tour, w, strict=True)]
    lap = float(sum(s[3] for s in steps))
    cum = np.concatenate([[0.0], np.cumsum([s[3] for s in steps])])
    chunks: list[Chunk] = []
    first_seen: dict[int, float] = {}
    firsts = [int(np.searchsorted(cum, j * lap / k, side="left")) % len(steps) for j in range(k)]
    t_sync = start + max(dist[base, steps[i][1]] for i in firsts) / speed  # evenly spaced from then on
    for j in range(k):
        i = firsts[j]
        node = steps[i][1]
        t = t_sync - (cum[i] - j * lap / k) if cum[i] > j * lap / k else t_sync
        legs: list[tuple[int, int, int, float, float]] = []
        c_start, c_node = t, node
        while True:
            b, x, y, dt = steps[i]
            if t + dt + dist[y, base] / speed > end - 1.0:
                break
            legs.append((b, x, y, t, t + dt))
            first_seen.setdefault(b, t + dt)
            first_seen[b] = min(first_seen[b], t + dt)
            t += dt
            i = (i + 1) % len(steps)
            if t - c_start >= chunk_min and len(legs) > 0:
                chunks.append(Chunk(c_start, t, c_node, y, legs, j))
                legs, c_start, c_node = [], t, y
        if legs:
            chunks.append(Chunk(c_start, t, c_node, legs[-1][2], legs, j))
    # opening run: walk the tour backwards from the base over blocks first reached too late
    late = {b for b, _, _, _ in steps if first_seen.get(b, np.inf) > start + first - 2.0}
    opening = []
    if late:
        t = start
        for b, x, y, dt in reversed(steps):
            if not late:
                break
            opening.append((b, y, x, t, t + dt))
            late.discard(b)
            t += dt
        chunks.append(Chunk(start, t, opening[0][1], opening[-1][2], opening, -1))
    chunks.sort(key=lambda c: (c.start, c.sweep))
    return chunks, {"lap_min": round(lap, 1), "walk_lap_min": round(walk_lap, 1), "pace": round(pace, 3),
                    "sweeps": k, "period_min": round(lap / k, 1),
                    "tour_km": round(float(sum(edge_length[b] for b, _, _ in tour)) / 1000, 2),
                    "opening_blocks": len(opening)}


def assign_chunks(chunks: list[Chunk], breaks: list[list], roles: list[str], dist: np.ndarray, speed: float,
                  base: int, *, buffer_min: float = 10.0, continue_bonus: float = 30.0) -> list[Chunk]:
    """Give each chunk to a unit: free of breaks around it, reachable from its previous chunk, balanced.

    Rovers are preferred (the roving supervisor keeps the corridor), then the unit continuing its own
    previous chunk, then the unit with the fewest sweep minutes.  Chunks no unit can take keep
    ``unit = -1`` (the plan then reports the corridor shortfall).
    """
    n = len(roles)
    load = np.zeros(n)
    mine: list[list[Chunk]] = [[] for _ in range(n)]
    queue = sorted(chunks, key=lambda c: (c.start, c.sweep))
    out: list[Chunk] = []
    while queue:
        c = queue.pop(0)
        best = None
        for strict in (True, False):
            buf = buffer_min if strict else 0.0
            for u in range(n):
                if any(b.start < c.end + 1 and c.start - buf < b.end for b in breaks[u]):
                    continue
                if any(x.start < c.end and c.start < x.end for x in mine[u]):
                    continue
                prev = max((x for x in mine[u] if x.end <= c.start + 1e-6), key=lambda x: x.end, default=None)
                late = 0.0
                cont = False
                if prev is not None:
                    late = max(0.0, prev.end + dist[prev.end_node, c.start_node] / speed - c.start)
                    if strict and late > 1e-6:
                        continue
                    cont = prev.end_node == c.start_node and abs(prev.end - c.start) < 1e-6
                key = (late, 0 if roles[u] == "rover" else 1, load[u] - (continue_bonus if cont else 0.0), u)
                if best is None or key < best[0]:
                    best = (key, u)
            if best is not None:
                break
        if best is None and len(c.legs) >= 2:  # nobody can take all of it: split it in two and retry
            half = len(c.legs) // 2
            a, b = c.legs[:half], c.legs[half:]
            queue += [Chunk(a[0][3], a[-1][4], a[0][1], a[-1][2], a, c.sweep),
                      Chunk(b[0][3], b[-1][4], b[0][1], b[-1][2], b, c.sweep)]
            queue.sort(key=lambda x: (x.start, x.sweep))
            continue
        out.append(c)
        if best is None:
            log.info("corridor chunk %.0f-%.0f has no free unit", c.start, c.end)
            continue
        u = best[1]
        c.unit = u
        mine[u].append(c)
        load[u] += c.end - c.start
    return out


def _free_unit(breaks: list[list], busy: list[list[Chunk]], roles: list[str], count: np.ndarray, dist: np.ndarray,
               speed: float, a: int, c: int, arrive: float, leave: float) -> int | None:
    """The unit (rovers first, then fewest dwells) free over ``[arrive, leave]`` and able to get there."""
    best = None
    for u in range(len(roles)):
        if any(x.start < leave + 1 and arrive - 3 < x.end for x in breaks[u]):
            continue
        if any(x.start < leave + 3 and arrive - 3 < x.end for x in busy[u]):
            continue
        prev = max((x for x in busy[u] if x.end <= arrive), key=lambda x: x.end, default=None)
        nxt = min((x for x in busy[u] if x.start >= leave), key=lambda x: x.start, default=None)
        if prev is not None and prev.end + min(dist[prev.end_node, a], dist[prev.end_node, c]) / speed > arrive:
            continue
        if nxt is not None and leave + min(dist[a, nxt.start_node], dist[c, nxt.start_node]) / speed > nxt.start:
            continue
        key = (0 if roles[u] == "rover" else 1, count[u], u)
        if best is None or key < best[0]:
            best = (key, u)
    return None if best is None else best[1]


def assign_dwells(hotspots: list[int], edge_u: np.ndarray, edge_v: np.ndarray, edge_length: np.ndarray,
                  chunks: list[Chunk], breaks: list[list], roles: list[str], dist: np.ndarray, speed: float,
                  rng: np.random.Generator, *, start: float, end: float, revisit: float,
                  dwell_range: tuple[int, int], margin: float = 12.0) -> list[Chunk]:
    """Hot-spot dwells at seed-varied times, each given to a unit free around it (appointments).

    Times: the first dwell of a hot spot starts at a random point of the first ``revisit - margin`` minutes,
    each next one a random 55-90 % of ``revisit - margin`` after the previous ended, until the last one
    ends within ``revisit`` of the shift end.  A dwell goes to a unit with no break or sweep around it,
    reachable from its previous appointment and on to its next (rovers first, then the fewest dwells); when
    no unit is free the time is moved by up to 12 minutes.  Returned as :class:`Chunk` with no legs,
    ``sweep = -2`` and ``extra = {"hotspot": id, "block": b, "dwell": minutes}``.
    """
    out: list[Chunk] = []
    n = len(roles)
    busy: list[list[Chunk]] = [[c for c in chunks if c.unit == u] for u in range(n)]
    count = np.zeros(n)
    span = max(revisit - margin, 10.0)
    for hid, b in enumerate(hotspots, start=1):
        a, c, half = int(edge_u[b]), int(edge_v[b]), float(edge_length[b]) / 2 / speed
        t = start + float(rng.uniform(0.25, 0.75)) * span
        latest = start + span
        while True:
            dur = int(rng.integers(dwell_range[0], dwell_range[1] + 1))
            if t + dur + half > end - 1:
                break
            unit = None
            for shift in (0.0, -6.0, 6.0, -12.0, 12.0, -18.0, -24.0, -30.0):
                if t + shift > latest or t + shift - half < start:
                    continue
                unit = _free_unit(breaks, busy, roles, count, dist, speed, a, c, t + shift - half,
                                  t + shift + dur + half)
                if unit is not None:
                    t += shift
                    break
            if unit is not None:
                prev = max((x for x in busy[unit] if x.end <= t - half), key=lambda x: x.end, default=None)
                node = c if prev is not None and dist[prev.end_node, c] < dist[prev.end_node, a] else a
                appt = Chunk(t - half, t + dur + half, node, c if node == a else a, [], -2, unit=unit,
                             extra={"hotspot": hid, "block": int(b), "dwell": dur})
                busy[unit].append(appt)
                count[unit] += 1
                out.append(appt)
            else:  # nobody free: the scheduler's reactive dwells and the shortfall report cover it
                log.info("hot spot %d dwell at %.0f has no free unit", hid, t)
            t_end = t + dur
            if t_end + revisit >= end:
                break
            latest = t_end + span
            t = t_end + float(rng.uniform(0.55, 0.9)) * span
    return out
