"""Cut the corridor into segments, one per walking unit, each walked as a closed round.

A segment is a connected stretch of one corridor street (or, with fewer units than streets, whole
streets put together), and its *round* is a closed walk that passes every block of it twice (out and
back along a street).  A unit that keeps walking its round passes each of its blocks at least once per
round, so a round shorter than the revisit limit keeps the whole segment fresh, and the time left in
each hour is the unit's to spend on check-ins, dwells, breaks and excursions.

Segments are balanced on *load*: the minutes a block asks for in a day (walking it twice per hour
plus the check-ins and dwells on it).  Each street gets segments in proportion to its load (largest
piece first, at least one each while there are units enough), and a street is cut into contiguous
pieces minimizing the largest piece (a small dynamic programme), with rounds kept short enough to
leave time for a meal break inside the revisit limit where the street allows it.
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
import numpy as np

from patrol.planning.model import DayInput

__all__ = ["Segment", "corridor_segments", "segment_load", "segment_of"]


@dataclass
class Segment:
    """One unit's stretch of the corridor.

    Attributes
    ----------
    blocks : list of int
        The corridor blocks the segment keeps fresh.
    route : list of (block, from_node, to_node)
        One closed round, starting and ending at ``route[0][1]``.
    minutes : float
        Walking time of one round.
    load : float
        The segment's share of the day's work, in minutes (see the module docstring).
    """

    blocks: list[int]
    route: list[tuple[int, int, int]]
    minutes: float
    load: float

    def rotate_to(self, node: int) -> None:
        """Start the round at ``node`` (a node the round passes)."""
        for i, (_, x, _) in enumerate(self.route):
            if x == node:
                self.route = self.route[i:] + self.route[:i]
                return
        raise ValueError(f"node {node} is not on the segment's round")

    @property
    def nodes(self) -> set[int]:
        return {x for _, x, _ in self.route}


def _chains(blocks: list[int], edge_u: np.ndarray, edge_v: np.ndarray, names: np.ndarray) -> list[list[int]]:
    """Blocks grouped by street and connected piece, each in walking order from one end."""
    out = []
    for name in sorted({str(names[b]) for b in blocks}):
        g = nx.MultiGraph()
        for b in blocks:
            if str(names[b]) == name:
                g.add_edge(int(edge_u[b]), int(edge_v[b]), key=int(b))
        for comp in sorted(nx.connected_components(g), key=min):
            sub = g.subgraph(comp)
            ends = sorted(n for n in sub if sub.degree(n) % 2 == 1) or sorted(sub)
            order, seen = [], set()
            for _u, _v, k in nx.edge_dfs(sub, ends[0]):
                if k not in seen:
                    seen.add(k)
                    order.append(int(k))
            out.append(order)
    return out


def _split(chain: list[int], cost: np.ndarray, n: int, length: np.ndarray,
           max_m: float) -> tuple[float, list[list[int]]]:
    """Contiguous pieces of ``chain`` minimizing the largest piece cost, no piece longer than ``max_m`` metres
    unless a single block is (dynamic programme over cut points)."""
    m = len(chain)
    n = max(1, min(n, m))
    c = np.concatenate([[0.0], np.cumsum(cost[chain])])
    ln = np.concatenate([[0.0], np.cumsum(length[chain])])

    def piece(i: int, j: int) -> float:
        over = ln[j] - ln[i] > max_m and j - i > 1
        return float(c[j] - c[i]) + (1e9 if over else 0.0)

    best = np.full((n + 1, m + 1), np.inf)
    cut = np.zeros((n + 1, m + 1), dtype=np.int64)
    best[0, 0] = 0.0
    for p in range(1, n + 1):
        for j in range(p, m + 1):
            for i in range(p - 1, j):
                val = max(best[p - 1, i], piece(i, j))
                if val < best[p, j]:
                    best[p, j], cut[p, j] = val, i
    pieces, j = [], m
    for p in range(n, 0, -1):
        i = int(cut[p, j])
        pieces.append(chain[i:j])
        j = i
    return float(best[n, m]), pieces[::-1]


def _round(blocks: list[int], edge_u: np.ndarray, edge_v: np.ndarray, net) -> list[tuple[int, int, int]]:
    """A closed walk passing every block twice (an Euler circuit of the doubled blocks, joined by
    shortest paths when the blocks are not connected)."""
    g = nx.MultiGraph()
    for b in blocks:
        u, v = int(edge_u[b]), int(edge_v[b])
        g.add_edge(u, v, key=(b, 0), block=b)
        g.add_edge(u, v, key=(b, 1), block=b)
    comps = [sorted(c) for c in nx.connected_components(g)]
    for c0, c1 in zip(comps, comps[1:], strict=False):
        x, y = min(((x, y) for x in c0 for y in c1), key=lambda p: net.dist[p[0], p[1]])
        node = y
        while node != x:
            blk, nxt = net.next_hop(node, x)
            for j in (0, 1):
                g.add_edge(node, nxt, key=(blk, 2 + j), block=blk)
            node = nxt
    start = min(g.nodes, key=lambda n: (g.degree(n), n))
    return [(int(g.edges[u, v, k]["block"]), int(u), int(v)) for u, v, k in nx.eulerian_circuit(g, start, keys=True)]


def corridor_segments(corridor: list[int], k: int, *, edge_u: np.ndarray, edge_v: np.ndarray,
                      edge_length: np.ndarray, names: np.ndarray, load: np.ndarray, speed_m_min: float,
                      net, max_round_min: float = np.inf) -> list[Segment]:
    """Cut the corridor blocks into ``k`` segments of balanced load.

    Parameters
    ----------
    corridor : list of int
        The corridor blocks to keep fresh.
    k : int
        Number of segments (walking units).
    edge_u, edge_v, edge_length, names : ndarray
        Block ends, lengths (m) and street names.
    load : ndarray
        Minutes of work per block in a day.
    speed_m_min : float
        Patrol speed.
    net
        Shortest paths (``dist``, ``next_hop``), used to join disconnected blocks.
    max_round_min : float
        Longest round wanted (a piece of a street is cut shorter than this when it can be).

    Returns
    -------
    list of Segment
        At most ``k`` (fewer only when there are fewer corridor blocks than units).
    """
    if k < 1 or not corridor:
        return []
    chains = _chains(corridor, edge_u, edge_v, names)
    max_round_m = max_round_min * speed_m_min
    loads = [float(load[c].sum()) for c in chains]
    if k < len(chains):  # fewer units than streets: whole streets into k bins, largest first
        bins: list[list[int]] = [[] for _ in range(k)]
        binload = np.zeros(k)
        for j in sorted(range(len(chains)), key=lambda j: -loads[j]):
            i = int(np.argmin(binload))
            bins[i] += chains[j]
            binload[i] += loads[j]
        pieces = [b for b in bins if b]
    else:
        share = [1] * len(chains)
        split = [_split(c, load, 1, edge_length, max_round_m / 2) for c in chains]
        while sum(share) < k:
            grow = [j for j, c in enumerate(chains) if share[j] < len(c)]
            if not grow:
                break
            j = max(grow, key=lambda j: (split[j][0], -j))
            share[j] += 1
            split[j] = _split(chains[j], load, share[j], edge_length, max_round_m / 2)
        pieces = [p for _, ps in split for p in ps]
    out = _segments(pieces, edge_u, edge_v, edge_length, load, speed_m_min, net)
    if out and max(s.minutes for s in out) > max_round_min + 1e-9:
        # too few units to keep every round short: the shortest longest round instead, pieces of streets
        # balanced by length and packed together (a unit may walk two stretches), when that is shorter
        short = _by_length(chains, k, edge_u, edge_v, edge_length, load, speed_m_min, net)
        if max(s.minutes for s in short) < max(s.minutes for s in out) - 1e-9:
            return short
    return out


def segment_of(blocks: list[int], *, edge_u: np.ndarray, edge_v: np.ndarray, edge_length: np.ndarray,
               load: np.ndarray, speed_m_min: float, net) -> Segment:
    """The segment of these blocks (a re-plan rebuilds a unit's stretch from the plan's ``design``)."""
    return _segments([list(blocks)], edge_u, edge_v, edge_length, load, speed_m_min, net)[0]


def _segments(pieces: list[list[int]], edge_u: np.ndarray, edge_v: np.ndarray, edge_length: np.ndarray,
              load: np.ndarray, speed_m_min: float, net) -> list[Segment]:
    out = []
    for p in pieces:
        route = _round(p, edge_u, edge_v, net)
        minutes = float(sum(edge_length[b] for b, _, _ in route)) / speed_m_min
        out.append(Segment(sorted(p), route, minutes, float(load[p].sum())))
    return out


def _by_length(chains: list[list[int]], k: int, edge_u: np.ndarray, edge_v: np.ndarray, edge_length: np.ndarray,
               load: np.ndarray, speed_m_min: float, net) -> list[Segment]:
    """``k`` segments whose longest round is as short as this finds: for ``m`` = k .. 2k pieces, the streets
    cut into pieces of near equal length (each street's share in proportion to its length), the pieces packed
    into ``k`` units longest first; the best ``m`` kept."""
    lengths = [float(edge_length[c].sum()) for c in chains]
    best: list[Segment] = []
    for m in range(len(chains), max(2 * k, len(chains)) + 1):
        share = [1] * len(chains)
        while sum(share) < m:
            grow = [j for j, c in enumerate(chains) if share[j] < len(c)]
            if not grow:
                break
            j = max(grow, key=lambda j: (lengths[j] / share[j], -j))
            share[j] += 1
        pieces = [p for c, n in zip(chains, share, strict=True) for p in _split(c, edge_length, n, edge_length,
                                                                               np.inf)[1]]
        bins: list[list[int]] = [[] for _ in range(k)]
        size = np.zeros(k)
        for p in sorted(pieces, key=lambda p: -float(edge_length[p].sum())):
            i = int(np.argmin(size))
            bins[i] += p
            size[i] += float(edge_length[p].sum())
        segs = _segments([b for b in bins if b], edge_u, edge_v, edge_length, load, speed_m_min, net)
        if not best or max(s.minutes for s in segs) < max(s.minutes for s in best) - 1e-9:
            best = segs
    return best


def segment_load(inp: DayInput) -> np.ndarray:
    """Minutes of work per block in a day: walking it twice an hour, its check-ins and hot-spot dwells."""
    load = 2 * inp.edge_length / inp.speed_m_min * (inp.end - inp.start) / 60.0
    np.add.at(load, inp.biz_block.astype(np.int64), inp.checkin_min)
    n_dwells = np.ceil((inp.end - inp.start) / inp.hotspot_revisit) + 1
    for h in inp.hotspots:
        load[h] += inp.dwell_range[0] * n_dwells
    return load
