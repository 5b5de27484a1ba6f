"""Independent validator of coverage walks.

Deliberately shares no code with the solver: it re-reads the raw arrays, rebuilds the graph with
networkx, re-walks every step and recomputes every length.  Checks:

* each walk is closed at the depot and every step follows an existing edge between its two nodes;
* the services (``serves`` / ``serve_steps``) sit on steps that walk the served edge, and together serve
  each edge exactly ``required_counts[e]`` times (without ``serves``: each required edge is walked at least
  that often);
* reported lengths, the longest walk and the farthest-block bound match recomputed values, and the
  reported lower bound does not exceed the longest walk.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

import networkx as nx
import numpy as np

from patrol.errors import SolverError

__all__ = ["check_solution", "validate_solution", "validate_walks"]


def _close(a: float, b: float, rtol: float) -> bool:
    return abs(float(a) - float(b)) <= rtol * max(1.0, abs(float(a)), abs(float(b)))


def validate_walks(n_nodes: int, edge_u, edge_v, edge_length, required_counts, depot: int,
                   walks_nodes: Sequence[Any], walks_edges: Sequence[Any],
                   serves: Sequence[Any] | None = None, serve_steps: Sequence[Any] | None = None,
                   lengths: Sequence[float] | None = None, *, k: int | None = None,
                   rtol: float = 1e-6) -> list[str]:
    """List the problems of a set of walks (empty list = valid).

    Parameters
    ----------
    n_nodes, edge_u, edge_v, edge_length, required_counts, depot
        The problem, as given to :func:`patrol.routing.solve_coverage`.
    walks_nodes, walks_edges : sequence of array-like
        Per walk, the node sequence and the edge index of each step.
    serves, serve_steps : sequence of array-like, optional
        Per walk, the served edges and the step index of each service.
    lengths : sequence of float, optional
        Reported walk lengths, compared with recomputed ones.
    k : int, optional
        Expected number of walks.
    rtol : float
        Relative tolerance on lengths.

    Returns
    -------
    list of str
    """
    problems: list[str] = []
    eu = [int(x) for x in np.asarray(edge_u).tolist()]
    ev = [int(x) for x in np.asarray(edge_v).tolist()]
    el = [float(x) for x in np.asarray(edge_length, dtype=float).tolist()]
    req = [int(x) for x in np.asarray(required_counts).tolist()]
    n_edges = len(eu)
    if k is not None and len(walks_nodes) != k:
        problems.append(f"expected {k} walks, got {len(walks_nodes)}")
    if len(walks_edges) != len(walks_nodes):
        problems.append(f"{len(walks_nodes)} node sequences but {len(walks_edges)} edge sequences")
        return problems
    walked: Counter[int] = Counter()
    served: Counter[int] = Counter()
    recomputed: list[float] = []
    for w, (nodes_raw, edges_raw) in enumerate(zip(walks_nodes, walks_edges, strict=True)):
        nodes = [int(x) for x in np.asarray(nodes_raw).tolist()]
        edges = [int(x) for x in np.asarray(edges_raw).tolist()]
        total = 0.0
        if not nodes:
            problems.append(f"walk {w}: empty node sequence")
            recomputed.append(0.0)
            continue
        if nodes[0] != depot or nodes[-1] != depot:
            problems.append(f"walk {w}: not closed at the depot {depot} (starts {nodes[0]}, ends {nodes[-1]})")
        if any(not 0 <= x < n_nodes for x in nodes):
            problems.append(f"walk {w}: node outside 0..{n_nodes - 1}")
        if len(edges) != len(nodes) - 1:
            problems.append(f"walk {w}: {len(nodes)} nodes but {len(edges)} steps")
        for step, e in enumerate(edges[: len(nodes) - 1]):
            if not 0 <= e < n_edges:
                problems.append(f"walk {w} step {step}: edge {e} does not exist")
                continue
            a, b = nodes[step], nodes[step + 1]
            if {a, b} != {eu[e], ev[e]}:
                problems.append(f"walk {w} step {step}: edge {e} joins {eu[e]}-{ev[e]}, not {a}-{b}")
            walked[e] += 1
            total += el[e]
        recomputed.append(total)
        if serves is not None:
            if serve_steps is None or w >= len(serves) or w >= len(serve_steps):
                problems.append(f"walk {w}: serves/serve_steps missing")
                continue
            sv = [int(x) for x in np.asarray(serves[w]).tolist()]
            st = [int(x) for x in np.asarray(serve_steps[w]).tolist()]
            if len(sv) != len(st):
                problems.append(f"walk {w}: {len(sv)} services but {len(st)} service steps")
                continue
            if len(set(st)) != len(st):
                problems.append(f"walk {w}: a step serves twice")
            if st != sorted(st):
                problems.append(f"walk {w}: services not in walking order")
            for e, step in zip(sv, st, strict=True):
                if not 0 <= step < len(edges) or edges[step] != e:
                    problems.append(f"walk {w}: service of edge {e} at step {step} does not walk that edge")
                served[e] += 1
    if serves is not None and len(serves) != len(walks_nodes):
        problems.append(f"{len(walks_nodes)} walks but {len(serves)} service lists")
    for e in range(n_edges):
        if serves is not None and served[e] != req[e]:
            problems.append(f"edge {e} ({eu[e]}-{ev[e]}) served {served[e]} times, required {req[e]}")
        elif walked[e] < req[e]:
            problems.append(f"edge {e} ({eu[e]}-{ev[e]}) walked {walked[e]} times, required {req[e]}")
    if lengths is not None:
        lengths_list = [float(x) for x in np.asarray(lengths, dtype=float).tolist()]
        if len(lengths_list) != len(recomputed):
            problems.append(f"{len(lengths_list)} lengths for {len(recomputed)} walks")
        for w, (got, want) in enumerate(zip(lengths_list, recomputed, strict=False)):
            if not _close(got, want, rtol):
                problems.append(f"walk {w}: reported length {got:g}, recomputed {want:g}")
    return problems


def _farthest_block(n_nodes, eu, ev, el, req, depot) -> float:
    graph = nx.Graph()
    graph.add_nodes_from(range(n_nodes))
    for a, b, w in zip(eu, ev, el, strict=True):
        if a != b and (not graph.has_edge(a, b) or graph[a][b]["weight"] > w):
            graph.add_edge(a, b, weight=w)
    dist = nx.single_source_dijkstra_path_length(graph, depot, weight="weight")
    best = 0.0
    for a, b, w, r in zip(eu, ev, el, req, strict=True):
        if r > 0 and a in dist and b in dist:
            best = max(best, dist[a] + w + dist[b])
    return best


def validate_solution(solution: Any, n_nodes: int, edge_u, edge_v, edge_length, required_counts, k: int,
                      depot: int, *, rtol: float = 1e-6) -> list[str]:
    """Validate a :class:`patrol.routing.CoverageSolution` (walks, lengths, max_route and bounds).

    Returns
    -------
    list of str
        Problems found (empty = valid).
    """
    problems = validate_walks(n_nodes, edge_u, edge_v, edge_length, required_counts, depot,
                              solution.walks_nodes, solution.walks_edges, solution.serves,
                              solution.serve_steps, solution.lengths, k=k, rtol=rtol)
    lengths = [float(x) for x in np.asarray(solution.lengths, dtype=float)]
    if lengths and not _close(max(lengths), solution.max_route, rtol):
        problems.append(f"max_route {solution.max_route:g} is not the longest walk {max(lengths):g}")
    if solution.lower_bound > solution.max_route * (1 + rtol) + rtol:
        problems.append(f"lower bound {solution.lower_bound:g} exceeds the longest walk {solution.max_route:g}")
    eu = [int(x) for x in np.asarray(edge_u).tolist()]
    ev = [int(x) for x in np.asarray(edge_v).tolist()]
    el = [float(x) for x in np.asarray(edge_length, dtype=float).tolist()]
    req = [int(x) for x in np.asarray(required_counts).tolist()]
    far = _farthest_block(n_nodes, eu, ev, el, req, depot)
    if not _close(far, solution.lb_farthest, rtol):
        problems.append(f"farthest-block bound {solution.lb_farthest:g}, recomputed {far:g}")
    return problems


def check_solution(solution: Any, n_nodes: int, edge_u, edge_v, edge_length, required_counts, k: int,
                   depot: int, *, rtol: float = 1e-6) -> None:
    """Raising variant of :func:`validate_solution`.

    Raises
    ------
    SolverError
        With the list of problems in ``details["problems"]``.
    """
    problems = validate_solution(solution, n_nodes, edge_u, edge_v, edge_length, required_counts, k, depot,
                                 rtol=rtol)
    if problems:
        raise SolverError(f"invalid coverage walks: {problems[0]}"
                          + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""),
                          details={"problems": problems[:50]})
