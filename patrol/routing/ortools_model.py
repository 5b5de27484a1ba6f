"""OR-Tools routing model of the min-max k-CPP over services (benchmarked alternative start).

Every service becomes two routing nodes, one per walking direction, joined in a mandatory disjunction
(exactly one is visited).  The transit of arc ``i -> j`` is the shortest deadhead from the end of ``i`` to
the start of ``j`` plus the length of ``j``; the arc cost is that transit (total length) and a global span
cost on the cumulative length dimension pushes down the longest route.  Lengths are scaled to integers.
Searched with ``PATH_CHEAPEST_ARC`` then guided local search (or only the first solution).

Its maintainers note that the global span cost is no min-max guarantee; on gdb it balances clearly worse
than split + iterated local search (see :mod:`patrol.routing.solver` and ``BENCHMARKS.md``).
"""

from __future__ import annotations

import logging

import numpy as np
from ortools.constraint_solver import pywrapcp, routing_enums_pb2

__all__ = ["ortools_routes"]

logger = logging.getLogger(__name__)


def ortools_routes(su: np.ndarray, sv: np.ndarray, sl: np.ndarray, dist: np.ndarray, depot: int, k: int, *,
                   time_limit_s: float, span_coefficient: int = 100, scale: float = 1.0,
                   guided_local_search: bool = True, seed_routes: list[np.ndarray] | None = None,
                   ) -> list[np.ndarray] | None:
    """Solve the service-routing model with OR-Tools.

    Parameters
    ----------
    su, sv, sl : numpy.ndarray
        Service end nodes and lengths.
    dist : numpy.ndarray
        All-pairs shortest-path distances.
    depot, k : int
    time_limit_s : float
        Search time limit (at least the first solution is always built).
    span_coefficient : int
        Weight of the global span (longest route) against the total length.
    scale : float
        Multiplier applied to lengths before rounding to integers.
    guided_local_search : bool
        Improve the first solution with guided local search until the time limit.
    seed_routes : list of numpy.ndarray, optional
        Service sequences to start from instead of the first-solution heuristic.

    Returns
    -------
    list of numpy.ndarray or None
        Service ids per route (``None`` when OR-Tools found no solution).
    """
    m = su.shape[0]
    n_nodes = 1 + 2 * m
    start = np.concatenate(([depot], np.column_stack((su, sv)).ravel()))
    end = np.concatenate(([depot], np.column_stack((sv, su)).ravel()))
    length = np.concatenate(([0.0], np.repeat(sl, 2)))
    transit = np.rint((dist[np.ix_(end, start)] + length[None, :]) * scale).astype(np.int64)
    manager = pywrapcp.RoutingIndexManager(n_nodes, k, 0)
    routing = pywrapcp.RoutingModel(manager)
    table = transit.tolist()

    def cost(i: int, j: int) -> int:
        return table[manager.IndexToNode(i)][manager.IndexToNode(j)]

    cb = routing.RegisterTransitCallback(cost)
    routing.SetArcCostEvaluatorOfAllVehicles(cb)
    horizon = int(transit.max() * (m + 2))
    routing.AddDimension(cb, 0, horizon, True, "length")
    routing.GetDimensionOrDie("length").SetGlobalSpanCostCoefficient(span_coefficient)
    for s in range(m):
        routing.AddDisjunction([manager.NodeToIndex(1 + 2 * s), manager.NodeToIndex(2 + 2 * s)])
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PATH_CHEAPEST_ARC
    if guided_local_search:
        params.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    params.time_limit.FromMilliseconds(max(1, int(1000 * time_limit_s)))
    if seed_routes is not None:
        routing.CloseModelWithParameters(params)
        init = routing.ReadAssignmentFromRoutes([[1 + 2 * int(s) for s in r] for r in seed_routes], True)
        solution = routing.SolveFromAssignmentWithParameters(init, params)
    else:
        solution = routing.SolveWithParameters(params)
    if solution is None:
        logger.warning("OR-Tools found no solution (status %s)", routing.status())
        return None
    routes = []
    for v in range(k):
        idx = routing.Start(v)
        seq = []
        while not routing.IsEnd(idx):
            node = manager.IndexToNode(idx)
            if node > 0:
                seq.append((node - 1) // 2)
            idx = solution.Value(routing.NextVar(idx))
        routes.append(np.asarray(seq, dtype=np.int64))
    return routes
