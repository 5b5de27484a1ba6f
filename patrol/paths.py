"""Shortest walking paths on the street graph: the one home for every package that needs them.

* :func:`all_pairs` / :func:`all_pairs_shortest_paths`: dense distances and predecessors between all
  nodes (SciPy's Dijkstra), with :meth:`ShortestPaths.next_hop`, :meth:`ShortestPaths.path` and
  :func:`path_edges` to walk a shortest path block by block.  Parallel blocks are collapsed to the
  shortest one; paths always use it.  For graphs up to a few thousand nodes (a district, the routing
  core's instances, a scenario's Monte Carlo).
* :func:`node_distances`: the distance matrix alone.
* :func:`from_point`: one search from a point on a block (its two ends seeded), with predecessors, for
  dispatch (:func:`patrol.path_kernels.point_dijkstra`).
* :func:`within`: every node pair within a distance, as CSR (:func:`patrol.path_kernels.bounded_distances`).

The compiled searches live in :mod:`patrol.path_kernels` (twins in :mod:`patrol.path_reference`); the
multi-source bucket search of the coverage response field calls them from its own kernel.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import dijkstra

from patrol.arrays import GraphArrays
from patrol.path_kernels import bounded_distances, point_dijkstra

__all__ = [
    "ShortestPaths",
    "all_pairs",
    "all_pairs_shortest_paths",
    "from_point",
    "node_distances",
    "path_edges",
    "within",
]


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

    def next_hop(self, x: int, target: int) -> tuple[int, int]:
        """``(block, node)`` of the first block on a shortest path from node ``x`` to node ``target``.

        Raises
        ------
        ValueError
            When ``x == target`` or ``target`` cannot be reached.
        """
        y = int(self.pred[target, x])
        if y < 0:
            raise ValueError(f"node {target} is not reachable from node {x}")
        return self.best_edge[(x, y)], y

    def path(self, x: int, y: int) -> list[tuple[int, int]]:
        """The blocks of a shortest path from node ``x`` to node ``y`` as ``(block, from_node)``."""
        out = []
        while x != y:
            b, nxt = self.next_hop(x, y)
            out.append((b, x))
            x = nxt
        return out


def all_pairs_shortest_paths(n_nodes: int, edge_u: np.ndarray, edge_v: np.ndarray,
                             edge_length: np.ndarray) -> ShortestPaths:
    """All-pairs shortest paths with Dijkstra (SciPy) on an undirected multigraph given as arrays.

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

    Examples
    --------
    >>> sp = all_pairs_shortest_paths(3, np.array([0, 1]), np.array([1, 2]), np.array([2.0, 3.0]))
    >>> float(sp.dist[0, 2]), sp.path(0, 2)
    (5.0, [(0, 0), (1, 1)])
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


def all_pairs(arrays: GraphArrays) -> ShortestPaths:
    """:func:`all_pairs_shortest_paths` of a district's street graph."""
    return all_pairs_shortest_paths(arrays.n_nodes, arrays.edge_u, arrays.edge_v, arrays.edge_length)


def node_distances(arrays: GraphArrays) -> np.ndarray:
    """All-pairs shortest walking distances between nodes, metres (``(n, n)``, ``inf`` when unreachable)."""
    return np.asarray(dijkstra(arrays.scipy_csr(), directed=False), dtype=np.float64)


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


def from_point(arrays: GraphArrays, block: int, offset_m: float, *,
               limit: float = np.inf) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Shortest distances from a point ``offset_m`` metres along ``block`` (from its ``u`` end) to every node.

    Returns
    -------
    dist : ndarray of float64
        ``inf`` beyond ``limit`` or when unreached.
    pred, pred_edge : ndarray of int64
        Previous node and block on a shortest path towards the point (-1 at the block's ends).
    """
    seeds = np.array([arrays.edge_u[block], arrays.edge_v[block]], dtype=np.int64)
    seed_d = np.array([offset_m, arrays.edge_length[block] - offset_m], dtype=np.float64)
    return point_dijkstra(arrays.indptr, arrays.indices, arrays.weights, arrays.csr_edge, seeds, seed_d,
                          float(limit))


def within(arrays: GraphArrays, limit_m: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every node pair within ``limit_m`` metres as CSR ``(ptr, nbr, dist)`` (see
    :func:`patrol.path_kernels.bounded_distances`)."""
    return bounded_distances(arrays.indptr, arrays.indices, arrays.weights, float(limit_m))
