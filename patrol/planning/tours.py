"""Area tours: each unit's share of the area's blocks (:func:`patrol.planning.assign.assign_area`) put in
one closed walk from the corner of its round nearest to them by the routing core
(:func:`patrol.routing.solve_coverage` with one walker); the scheduler walks that tour in pieces, as
excursions from the round.
"""

from __future__ import annotations

import logging
import time

import numpy as np

from patrol.routing import solve_coverage

__all__ = ["area_tours"]

log = logging.getLogger(__name__)


def area_tours(n_nodes: int, edge_u: np.ndarray, edge_v: np.ndarray, edge_length: np.ndarray, blocks: np.ndarray,
               owner: np.ndarray, rounds: list[set[int]], dist: np.ndarray, *, seed: int = 0,
               max_iterations: int = 30, time_limit_s: float = 10.0,
               cache: dict[tuple, list[tuple[int, int, int]]] | None = None) -> list[list[tuple[int, int, int]]]:
    """One closed tour per unit over its blocks, from the corner of its round nearest to them.

    Each tour's search stops after ``max_iterations`` improvement iterations (so a plan does not depend on
    the machine's speed) or when the tours together have used ``time_limit_s`` of wall-clock time.  With
    ``cache`` (a dict kept across calls, e.g. the variants of one day) a tour already found for the same
    blocks, corner and seed is reused.

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
        sol = solve_coverage(n_nodes, edge_u, edge_v, edge_length, req, 1, int(depot), time_limit_s=budget,
                             seed=seed, max_iterations=max_iterations)
        nd, ed = sol.walks_nodes[0], sol.walks_edges[0]
        tours.append([(int(e), int(nd[i]), int(nd[i + 1])) for i, e in enumerate(ed)])
        if cache is not None:
            cache[key] = list(tours[-1])
        log.debug("unit %d: area tour of %d blocks, %.0f m", k, mine.size, sol.lengths[0])
    return tours
