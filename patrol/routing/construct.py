"""Giant tours of services, the "route-first" half of route-first cluster-second.

* :func:`euler_giant_tour`: an Eulerian circuit from the depot of the required multigraph augmented by a
  minimum T-join (the Chinese-postman tour); services appear in the order the postman walks them.  Only
  when the required edges plus the T-join paths form one connected piece containing the depot.
* :func:`nearest_neighbour_tour`: from the depot, repeatedly serve the nearest unserved service; a random
  pick among the ``width`` nearest gives diverse tours for multi-start.
"""

from __future__ import annotations

import networkx as nx
import numpy as np

from patrol._numba import njit
from patrol.paths import ShortestPaths, path_edges
from patrol.routing.bounds import odd_matching_cost
from patrol.routing.problem import CoverageProblem

__all__ = ["euler_giant_tour", "nearest_neighbour_tour"]


def euler_giant_tour(problem: CoverageProblem, sp: ShortestPaths, svc_edge: np.ndarray,
                     pairs: list[tuple[int, int]] | None = None) -> np.ndarray | None:
    """Service order of a Chinese-postman tour from the depot, or ``None`` if there is none.

    Parameters
    ----------
    problem : CoverageProblem
    sp : ShortestPaths
    svc_edge : numpy.ndarray
        Edge index of each service.
    pairs : list of (int, int), optional
        The odd-node matching (:func:`patrol.routing.bounds.odd_matching_cost`) when the caller has it.

    Returns
    -------
    numpy.ndarray or None
        Service ids in tour order.
    """
    graph = nx.MultiGraph()
    for s, e in enumerate(svc_edge.tolist()):
        graph.add_edge(int(problem.edge_u[e]), int(problem.edge_v[e]), svc=s)
    if pairs is None:
        _, pairs = odd_matching_cost(problem, sp.dist)
    for a, b in pairs:
        nodes, edges = path_edges(sp, a, b)
        for i in range(len(edges)):
            graph.add_edge(nodes[i], nodes[i + 1], svc=-1)
    if problem.depot not in graph or not nx.is_connected(graph) or not nx.is_eulerian(graph):
        return None
    tour = []
    for a, b, key in nx.eulerian_circuit(graph, source=problem.depot, keys=True):
        s = graph.edges[a, b, key]["svc"]
        if s >= 0:
            tour.append(s)
    return np.asarray(tour, dtype=np.int64)


@njit
def nearest_neighbour_tour(su, sv, dist, depot, width, rand):  # pragma: no cover - numba
    """Nearest-neighbour giant tour; ``rand`` holds one uniform number per step (pick among ``width``)."""
    m = su.shape[0]
    done = np.zeros(m, dtype=np.bool_)
    tour = np.empty(m, dtype=np.int64)
    cur = depot
    cand_d = np.empty(width)
    cand_s = np.empty(width, dtype=np.int64)
    for step in range(m):
        nc = 0
        for s in range(m):
            if done[s]:
                continue
            d0 = dist[cur, su[s]]
            d1 = dist[cur, sv[s]]
            d = d0 if d0 < d1 else d1
            if nc < width:
                pos = nc
                nc += 1
            elif d < cand_d[nc - 1]:
                pos = nc - 1
            else:
                continue
            while pos > 0 and cand_d[pos - 1] > d:
                cand_d[pos] = cand_d[pos - 1]
                cand_s[pos] = cand_s[pos - 1]
                pos -= 1
            cand_d[pos] = d
            cand_s[pos] = s
        pick = int(rand[step] * nc)
        if pick >= nc:
            pick = nc - 1
        s = cand_s[pick]
        done[s] = True
        tour[step] = s
        cur = sv[s] if dist[cur, su[s]] <= dist[cur, sv[s]] else su[s]
    return tour
