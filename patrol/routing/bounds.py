"""Lower bounds for the min-max k-Chinese-postman (k-rural-postman) problem.

Two classic bounds, both valid with optional edges and multiple services per edge:

* **Chinese-postman bound** ``lb_cpp``: the union of the k closed walks is an Eulerian multigraph that
  contains every required edge ``required_counts[e]`` times, so its total length is at least the required
  length plus a minimum-cost T-join of the nodes of odd required degree (a minimum-weight perfect
  matching on shortest-path distances).  The longest of k walks is at least a k-th of that.  Rounded up
  when every length is an integer.
* **Farthest-block bound** ``lb_farthest``: the walk serving block ``(u, v)`` is at least
  ``d(depot, u) + len(u, v) + d(v, depot)``; take the farthest block (the "shortest path tour" bound).

The reported bound is the larger.  For a fully required connected graph ``lb_cpp * k`` is exactly the
Chinese-postman tour length, checked against the certified ``lower_bounds.csv`` of the gdb benchmark.
"""

from __future__ import annotations

import math

import networkx as nx
import numpy as np

from patrol.paths import all_pairs_shortest_paths
from patrol.routing.problem import CoverageProblem, make_problem

__all__ = ["lower_bounds", "odd_matching_cost", "problem_bounds"]


def odd_matching_cost(problem: CoverageProblem, dist: np.ndarray) -> tuple[float, list[tuple[int, int]]]:
    """Minimum-cost T-join of the odd-degree nodes of the required multigraph.

    Parameters
    ----------
    problem : CoverageProblem
    dist : numpy.ndarray
        All-pairs shortest-path distances.

    Returns
    -------
    cost : float
        Total length of the matching.
    pairs : list of (int, int)
        Matched node pairs.
    """
    deg = np.zeros(problem.n_nodes, dtype=np.int64)
    np.add.at(deg, problem.edge_u, problem.required_counts)
    np.add.at(deg, problem.edge_v, problem.required_counts)
    odd = np.flatnonzero(deg % 2 == 1).tolist()
    if not odd:
        return 0.0, []
    graph = nx.Graph()
    for i, a in enumerate(odd):
        for b in odd[i + 1:]:
            graph.add_edge(a, b, weight=float(dist[a, b]))
    matching = nx.min_weight_matching(graph)
    pairs = sorted((min(a, b), max(a, b)) for a, b in matching)
    return float(sum(dist[a, b] for a, b in pairs)), pairs


def problem_bounds(problem: CoverageProblem, dist: np.ndarray,
                   matching: float | None = None) -> tuple[float, float, float]:
    """Bounds of a checked problem given its distance matrix: ``(lb, lb_cpp, lb_farthest)``.

    ``matching`` is the cost of :func:`odd_matching_cost` when the caller already has it.
    """
    req = problem.required_counts > 0
    if not np.any(req):
        return 0.0, 0.0, 0.0
    total = float(np.dot(problem.required_counts, problem.edge_length))
    if matching is None:
        matching, _ = odd_matching_cost(problem, dist)
    lb_cpp = (total + matching) / problem.k
    d = problem.depot
    u, v = problem.edge_u[req], problem.edge_v[req]
    lb_far = float(np.max(dist[d, u] + problem.edge_length[req] + dist[v, d]))
    if problem.integral:
        lb_cpp = float(math.ceil(lb_cpp - 1e-9))
        lb_far = float(round(lb_far))
    return max(lb_cpp, lb_far), lb_cpp, lb_far


def lower_bounds(n_nodes: int, edge_u, edge_v, edge_length, required_counts, k: int,
                 depot: int) -> tuple[float, float, float]:
    """Lower bounds on the longest walk of any feasible solution.

    Parameters
    ----------
    n_nodes, edge_u, edge_v, edge_length, required_counts, k, depot
        As for :func:`patrol.routing.solve_coverage`.

    Returns
    -------
    (lb, lb_cpp, lb_farthest) : tuple of float
        ``lb = max(lb_cpp, lb_farthest)``; all three are 0 when nothing is required.

    Raises
    ------
    InputError, InfeasibleError
        As :func:`patrol.routing.solve_coverage`.
    """
    problem = make_problem(n_nodes, edge_u, edge_v, edge_length, required_counts, k, depot)
    sp = all_pairs_shortest_paths(problem.n_nodes, problem.edge_u, problem.edge_v, problem.edge_length)
    return problem_bounds(problem, sp.dist)
