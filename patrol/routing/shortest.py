"""All-pairs shortest paths on a small undirected multigraph, with edge-level path recovery.

The routing core works on graphs of at most a few hundred nodes, so a dense distance matrix is cheap.
Parallel edges are collapsed to the shortest one for distances; :func:`path_edges` expands a shortest
path back into edge indices of the original multigraph (always using the shortest parallel edge).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import dijkstra

__all__ = ["ShortestPaths", "all_pairs_shortest_paths", "path_edges"]


@dataclass(frozen=True)
class ShortestPaths:
    """Dense all-pairs shortest paths.

    Attributes
    ----------
    dist : numpy.ndarray
        ``(n, n)`` float64 distances (``inf`` when unreachable).
    pred : numpy.ndarray
        ``(n, n)`` int32 predecessor matrix as returned by :func:`scipy.sparse.csgraph.dijkstra`
        (``pred[i, j]`` is the node before ``j`` on a shortest path from ``i``; ``-9999`` if none).
    best_edge : dict
        ``(a, b) -> edge index`` of the shortest edge between nodes ``a`` and ``b`` (both orders).
    """

    dist: np.ndarray
    pred: np.ndarray
    best_edge: dict[tuple[int, int], int]


def all_pairs_shortest_paths(n_nodes: int, edge_u: np.ndarray, edge_v: np.ndarray,
                             edge_length: np.ndarray) -> ShortestPaths:
    """Compute all-pairs shortest paths with Dijkstra (scipy) on the undirected multigraph.

    Parameters
    ----------
    n_nodes : int
        Number of nodes (ids ``0..n_nodes-1``).
    edge_u, edge_v : numpy.ndarray
        Edge end nodes (parallel arrays).
    edge_length : numpy.ndarray
        Positive edge lengths.

    Returns
    -------
    ShortestPaths
    """
    best: dict[tuple[int, int], int] = {}
    for e, (a, b) in enumerate(zip(edge_u.tolist(), edge_v.tolist(), strict=True)):
        if a == b:
            continue
        key = (a, b) if a < b else (b, a)
        old = best.get(key)
        if old is None or edge_length[e] < edge_length[old]:
            best[key] = e
    best_edge: dict[tuple[int, int], int] = {}
    rows, cols, vals = [], [], []
    for (a, b), e in best.items():
        best_edge[(a, b)] = e
        best_edge[(b, a)] = e
        rows.append(a)
        cols.append(b)
        vals.append(float(edge_length[e]))
    mat = coo_matrix((np.asarray(vals, dtype=np.float64), (np.asarray(rows, dtype=np.int64),
                      np.asarray(cols, dtype=np.int64))), shape=(n_nodes, n_nodes)).tocsr()
    dist, pred = dijkstra(mat, directed=False, return_predecessors=True)
    return ShortestPaths(dist=np.ascontiguousarray(dist, dtype=np.float64), pred=pred, best_edge=best_edge)


def path_edges(sp: ShortestPaths, a: int, b: int) -> tuple[list[int], list[int]]:
    """Nodes and edges of a shortest path from ``a`` to ``b``.

    Returns
    -------
    nodes : list of int
        ``[a, ..., b]`` (just ``[a]`` when ``a == b``).
    edges : list of int
        Edge indices, ``len(nodes) - 1`` of them.
    """
    if a == b:
        return [a], []
    nodes = [b]
    cur = b
    while cur != a:
        prev = int(sp.pred[a, cur])
        if prev < 0:
            raise ValueError(f"node {b} is not reachable from node {a}")
        nodes.append(prev)
        cur = prev
    nodes.reverse()
    edges = [sp.best_edge[(nodes[i], nodes[i + 1])] for i in range(len(nodes) - 1)]
    return nodes, edges
