"""Area tours: the blocks off the corridor shared among the units, each walked as one closed tour.

Every area block is given to one unit, near its round but within the time the unit has left after its
round and its share of stationary work (a minimum-cost flow of tour minutes from blocks to units,
OR-Tools; a block split between units goes to the one with most of it), and only to units that can
reach it there and back within the longest trip their round allows.  Each unit's blocks are then put in one closed walk
from the corner of its round nearest to them by the routing core (:func:`patrol.routing.solve_coverage`
with one walker); the scheduler walks that tour in pieces, as excursions from the round.
"""

from __future__ import annotations

import logging

import numpy as np

__all__ = ["area_tours", "assign_area"]

log = logging.getLogger(__name__)

#: Walking a tour costs about this many times the length of the blocks it covers (links between them).
TOUR_FACTOR = 1.6


def assign_area(blocks: np.ndarray, rounds: list[set[int]], capacity_min: np.ndarray, *, edge_u: np.ndarray,
                edge_v: np.ndarray, edge_length: np.ndarray, dist: np.ndarray, speed_m_min: float,
                max_trip_min: np.ndarray | None = None) -> np.ndarray:
    """Give each area block to a unit.

    Parameters
    ----------
    blocks : ndarray of int
        The blocks to walk.
    rounds : list of set of int
        Per unit, the corners of its round.
    capacity_min : ndarray
        Per unit, the minutes it can spend on its tour.
    max_trip_min : ndarray, optional
        Per unit, the longest trip away from its round it can make; a block farther out than that (there
        and back) goes to a unit that can reach it, the one with the most room to spare when none can.
    edge_u, edge_v, edge_length, dist, speed_m_min
        The street graph (``dist`` all-pairs, metres) and the patrol speed.

    Returns
    -------
    ndarray of int
        Per block (in the order given), its unit.
    """
    n_units = len(rounds)
    out = np.zeros(len(blocks), dtype=np.int64)
    if n_units <= 1 or len(blocks) == 0:
        return out
    near = np.empty((len(blocks), n_units))
    for k, nodes in enumerate(rounds):
        idx = np.array(sorted(nodes))
        near[:, k] = np.minimum(dist[np.ix_(idx, edge_u[blocks])].min(axis=0),
                                dist[np.ix_(idx, edge_v[blocks])].min(axis=0))
    cost = np.ceil(TOUR_FACTOR * edge_length[blocks] / speed_m_min).astype(np.int64)
    trip = (2 * near + edge_length[blocks][:, None]) / speed_m_min
    reach = np.full(n_units, np.inf) if max_trip_min is None else np.asarray(max_trip_min, float)
    cap = np.maximum(np.asarray(capacity_min, float), 0.0)
    # minutes of tour as flow: block -> unit (metres to reach it, per minute), unit -> sink (its capacity),
    # and an overflow arc per unit at a high cost so that every block is placed
    from ortools.graph.python import min_cost_flow

    nb = len(blocks)
    src, sink = 0, 1 + nb + n_units
    f = min_cost_flow.SimpleMinCostFlow()
    arcs = []
    for j in range(nb):
        f.add_arc_with_capacity_and_unit_cost(src, 1 + j, int(cost[j]), 0)
        can = [k for k in range(n_units) if trip[j, k] <= reach[k]] or [int(np.argmax(reach - trip[j]))]
        for k in can:
            arcs.append((f.add_arc_with_capacity_and_unit_cost(1 + j, 1 + nb + k, int(cost[j]),
                                                               int(round(near[j, k]))), j, k))
    for k in range(n_units):
        f.add_arc_with_capacity_and_unit_cost(1 + nb + k, sink, int(cap[k]), 0)
        f.add_arc_with_capacity_and_unit_cost(1 + nb + k, sink, int(cost.sum()), 100_000)
    f.set_node_supply(src, int(cost.sum()))
    f.set_node_supply(sink, -int(cost.sum()))
    if f.solve() != f.OPTIMAL:
        return np.argmin(near, axis=1).astype(np.int64)
    got = np.zeros((nb, n_units))
    for arc, j, k in arcs:
        got[j, k] = f.flow(arc)
    return np.argmax(got - 1e-9 * near, axis=1).astype(np.int64)


def area_tours(n_nodes: int, edge_u: np.ndarray, edge_v: np.ndarray, edge_length: np.ndarray, blocks: np.ndarray,
               owner: np.ndarray, rounds: list[set[int]], dist: np.ndarray, *, seed: int = 0,
               max_iterations: int = 30) -> list[list[tuple[int, int, int]]]:
    """One closed tour per unit over its blocks, from the corner of its round nearest to them.

    Returns
    -------
    list of list of (block, from_node, to_node)
        Per unit, the tour's steps (empty when it has no blocks).
    """
    from patrol.routing import solve_coverage

    tours: list[list[tuple[int, int, int]]] = []
    for k, nodes in enumerate(rounds):
        mine = blocks[owner == k]
        if mine.size == 0:
            tours.append([])
            continue
        req = np.zeros(edge_u.size, dtype=np.int64)
        req[mine] = 1
        depot = min(sorted(nodes), key=lambda x: float(np.minimum(dist[x, edge_u[mine]], dist[x, edge_v[mine]]).sum()))
        sol = solve_coverage(n_nodes, edge_u, edge_v, edge_length, req, 1, int(depot), time_limit_s=10.0,
                             seed=seed, max_iterations=max_iterations)
        nd, ed = sol.walks_nodes[0], sol.walks_edges[0]
        tours.append([(int(e), int(nd[i]), int(nd[i + 1])) for i, e in enumerate(ed)])
        log.debug("unit %d: area tour of %d blocks, %.0f m", k, mine.size, sol.lengths[0])
    return tours
