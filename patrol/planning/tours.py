"""Area tours: each unit's share of the area's blocks (:func:`patrol.planning.assign.assign_area`) put in
one closed walk from the corner of its round nearest to them by the routing core
(:func:`patrol.routing.solve_coverage` with one walker); the scheduler walks that tour in pieces, as
excursions from the round.

Time: the tours of a variant share its budget (what is left of the plan's time limit).  With no time left a
unit's tour is built greedily (the nearest of its blocks next, along shortest paths), in milliseconds, so the
time limit holds whatever the area.  On a graph of more than :data:`TOUR_MAX_NODES` nodes the routing core is
given only the streets within :data:`TOUR_MARGIN_M` of the unit's blocks and the shortest walks to them from
its corner (the core's own all-pairs distances and matching then follow the unit's share, not the graph).
"""

from __future__ import annotations

import logging
import time

import numpy as np

from patrol.paths import ShortestPaths
from patrol.routing import solve_coverage

__all__ = ["TOUR_MARGIN_M", "TOUR_MAX_NODES", "area_tours", "greedy_tour"]

log = logging.getLogger(__name__)

#: Graphs with more nodes than this are cut down to the unit's blocks and their surroundings for its tour.
TOUR_MAX_NODES = 800
#: ... the streets kept around the unit's blocks, metres.
TOUR_MARGIN_M = 500.0
#: Seconds below which a unit's share of the budget is too short for the routing core.
_MIN_SOLVE_S = 0.05


def _other_end(edge_u: np.ndarray, edge_v: np.ndarray, b: int, frm: int) -> int:
    return int(edge_v[b]) if int(edge_u[b]) == frm else int(edge_u[b])


def greedy_tour(mine: np.ndarray, depot: int, edge_u: np.ndarray, edge_v: np.ndarray,
                net: ShortestPaths) -> list[tuple[int, int, int]]:
    """A closed walk from ``depot`` over the blocks ``mine``: always the nearest block not yet walked next
    (blocks walked on the way count), along shortest paths, and back.

    Returns
    -------
    list of (block, from_node, to_node)
    """
    left = {int(b) for b in mine}
    steps: list[tuple[int, int, int]] = []
    cur = int(depot)
    while left:
        cand = np.array(sorted(left), dtype=np.int64)
        du, dv = net.dist[cur, edge_u[cand]], net.dist[cur, edge_v[cand]]
        j = int(np.argmin(np.minimum(du, dv)))
        b = int(cand[j])
        frm = int(edge_u[b]) if du[j] <= dv[j] else int(edge_v[b])
        for hb, hf in net.path(cur, frm):
            steps.append((hb, hf, _other_end(edge_u, edge_v, hb, hf)))
            left.discard(hb)
        to = _other_end(edge_u, edge_v, b, frm)
        steps.append((b, frm, to))
        left.discard(b)
        cur = to
    for hb, hf in net.path(cur, int(depot)):
        steps.append((hb, hf, _other_end(edge_u, edge_v, hb, hf)))
    return steps


def _around(mine: np.ndarray, depot: int, edge_u: np.ndarray, edge_v: np.ndarray, dist: np.ndarray,
            net: ShortestPaths) -> tuple[np.ndarray, np.ndarray]:
    """Nodes within :data:`TOUR_MARGIN_M` of the blocks' ends, with the shortest walks from the depot to them
    (so the part is connected), and the blocks with both ends among them."""
    ends = np.unique(np.concatenate([edge_u[mine], edge_v[mine], [depot]]))
    keep = dist[ends].min(axis=0) <= TOUR_MARGIN_M
    for x in ends.tolist():
        for _, node in net.path(int(depot), int(x)):
            keep[node] = True
        keep[int(x)] = True
    nodes = np.flatnonzero(keep)
    return nodes, np.flatnonzero(keep[edge_u] & keep[edge_v])


def area_tours(n_nodes: int, edge_u: np.ndarray, edge_v: np.ndarray, edge_length: np.ndarray, blocks: np.ndarray,
               owner: np.ndarray, rounds: list[set[int]], dist: np.ndarray, *, seed: int = 0,
               max_iterations: int = 30, time_limit_s: float = 10.0,
               cache: dict[tuple, list[tuple[int, int, int]]] | None = None,
               net: ShortestPaths | None = None) -> list[list[tuple[int, int, int]]]:
    """One closed tour per unit over its blocks, from the corner of its round nearest to them.

    Each tour's search stops after ``max_iterations`` improvement iterations (so a plan does not depend on
    the machine's speed) or when the tours together have used ``time_limit_s`` of wall-clock time; with
    ``net`` (the shortest paths behind ``dist``) a tour whose share of that time is gone is built greedily
    (:func:`greedy_tour`), and on a graph of more than :data:`TOUR_MAX_NODES` nodes the search runs on the
    streets around the unit's blocks.  With ``cache`` (a dict kept across calls, e.g. the variants of one
    day) a tour already found for the same blocks, corner and seed is reused.

    Returns
    -------
    list of list of (block, from_node, to_node)
        Per unit, the tour's steps (empty when it has no blocks).
    """
    tours: list[list[tuple[int, int, int]]] = []
    deadline = time.perf_counter() + time_limit_s
    for k, nodes in enumerate(rounds):
        mine = blocks[owner == k]
        if mine.size == 0:
            tours.append([])
            continue
        req = np.zeros(edge_u.size, dtype=np.int64)
        req[mine] = 1
        depot = min(sorted(nodes), key=lambda x: float(np.minimum(dist[x, edge_u[mine]], dist[x, edge_v[mine]]).sum()))
        key = (tuple(int(b) for b in mine), int(depot), int(seed), max_iterations)
        if cache is not None and key in cache:
            tours.append(list(cache[key]))
            continue
        budget = max(0.0, (deadline - time.perf_counter()) / max(1, len(rounds) - k))
        if net is not None and budget < _MIN_SOLVE_S:
            log.info("unit %d: no time left for its area tour's search: nearest block next (%d blocks)", k, mine.size)
            tours.append(greedy_tour(mine, int(depot), edge_u, edge_v, net))
            continue  # not cached: a later variant with time may search it
        if net is not None and n_nodes > TOUR_MAX_NODES:
            sub_nodes, sub_edges = _around(mine, int(depot), edge_u, edge_v, dist, net)
            node_map = np.full(n_nodes, -1, dtype=np.int64)
            node_map[sub_nodes] = np.arange(sub_nodes.size)
            sol = solve_coverage(sub_nodes.size, node_map[edge_u[sub_edges]], node_map[edge_v[sub_edges]],
                                 edge_length[sub_edges], req[sub_edges], 1, int(node_map[depot]), time_limit_s=budget,
                                 seed=seed, max_iterations=max_iterations)
            nd, ed = sub_nodes[sol.walks_nodes[0]], sub_edges[sol.walks_edges[0]]
        else:
            sol = solve_coverage(n_nodes, edge_u, edge_v, edge_length, req, 1, int(depot), time_limit_s=budget,
                                 seed=seed, max_iterations=max_iterations)
            nd, ed = sol.walks_nodes[0], sol.walks_edges[0]
        tours.append([(int(e), int(nd[i]), int(nd[i + 1])) for i, e in enumerate(ed)])
        if cache is not None:
            cache[key] = list(tours[-1])
        log.debug("unit %d: area tour of %d blocks, %.0f m", k, mine.size, sol.lengths[0])
    return tours
