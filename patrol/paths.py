"""Shortest walking paths on the street graph: the one home for every package that needs them.

* :func:`all_pairs` / :func:`all_pairs_shortest_paths`: dense distances and predecessors between all
  nodes (SciPy's Dijkstra), with :meth:`ShortestPaths.next_hop`, :meth:`ShortestPaths.path` and
  :func:`path_edges` to walk a shortest path block by block.  Parallel blocks are collapsed to the
  shortest one; paths always use it.  For graphs up to a few thousand nodes (a district, the routing
  core's instances, a scenario's Monte Carlo).
* :func:`node_distances`: the distance matrix alone, or only its rows from some nodes (``sources``), so that
  an area's rows cost ``area nodes x nodes``, not ``nodes x nodes``; :class:`DistanceRows`: the same rows
  computed when asked for and kept up to a memory budget, for a measure that reads the matrix a few rows at a
  time on a graph too big for all pairs.
* :func:`from_point`: one search from a point on a block (its two ends seeded), with predecessors, for
  dispatch (:func:`patrol.path_kernels.point_dijkstra`); :func:`from_node` the same from a node, with the
  path to any node (:class:`SingleSource`).
* :func:`within`: every node pair within a distance, as CSR (:func:`patrol.path_kernels.bounded_distances`).
* :func:`blocks_within`: every block pair whose midpoints are within a distance, from some blocks, as CSR
  (:func:`patrol.path_kernels.blocks_within`): memory in proportion to the neighbourhoods, not to blocks x blocks.

The compiled searches live in :mod:`patrol.path_kernels` (twins in :mod:`patrol.path_reference`); the
multi-source bucket search of the coverage response field calls them from its own kernel.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import dijkstra

from patrol import path_kernels
from patrol.arrays import GraphArrays
from patrol.path_kernels import bounded_distances, point_dijkstra

__all__ = [
    "DistanceRows",
    "ShortestPaths",
    "SingleSource",
    "all_pairs",
    "all_pairs_shortest_paths",
    "blocks_within",
    "from_node",
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


def node_distances(arrays: GraphArrays, sources: np.ndarray | None = None) -> np.ndarray:
    """Shortest walking distances between nodes, metres (``inf`` when unreachable).

    Parameters
    ----------
    arrays : GraphArrays
    sources : ndarray of int, optional
        Only the rows of these nodes (``(len(sources), n)``); default all nodes (``(n, n)``).
    """
    if sources is None:
        return np.asarray(dijkstra(arrays.scipy_csr(), directed=False), dtype=np.float64)
    rows = np.asarray(sources, dtype=np.int64)
    if rows.size == 0:
        return np.zeros((0, arrays.n_nodes))
    return np.asarray(dijkstra(arrays.scipy_csr(), directed=False, indices=rows), dtype=np.float64).reshape(
        rows.size, arrays.n_nodes)


class DistanceRows:
    """Rows of the node-to-node distance matrix, computed when asked for (one Dijkstra per new row, SciPy)
    and kept up to ``max_mb`` megabytes (the least recently used rows go first).

    It stands in for ``ShortestPaths.dist`` where only some rows are read at a time (``rows[nodes]`` gives
    ``(len(nodes), n)`` metres), so memory follows the budget, not ``nodes x nodes``.

    Examples
    --------
    >>> from patrol.district import load_district
    >>> a = load_district().arrays
    >>> rows = DistanceRows(a)
    >>> bool(np.allclose(rows[np.array([3, 5])], node_distances(a, np.array([3, 5]))))
    True
    """

    def __init__(self, arrays: GraphArrays, *, max_mb: float = 64.0):
        self._csr = arrays.scipy_csr()
        self._n = int(arrays.n_nodes)
        self._cache: OrderedDict[int, np.ndarray] = OrderedDict()
        self._max_rows = max(16, int(max_mb * 1e6 / (8.0 * max(self._n, 1))))

    @property
    def shape(self) -> tuple[int, int]:
        return (self._n, self._n)

    def __getitem__(self, nodes: np.ndarray | int) -> np.ndarray:
        idx = np.atleast_1d(np.asarray(nodes, dtype=np.int64))
        missing = [int(x) for x in np.unique(idx) if int(x) not in self._cache]
        if missing:
            got = np.asarray(dijkstra(self._csr, directed=False, indices=np.asarray(missing)), dtype=np.float64)
            for x, row in zip(missing, got.reshape(len(missing), self._n), strict=True):
                self._cache[x] = row
        out = np.empty((idx.size, self._n))
        for i, x in enumerate(idx.tolist()):
            out[i] = self._cache[x]
            self._cache.move_to_end(x)
        while len(self._cache) > max(self._max_rows, idx.size):
            self._cache.popitem(last=False)
        return out[0] if np.ndim(nodes) == 0 else out


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


@dataclass(frozen=True)
class SingleSource:
    """Shortest paths from one node to every node (:func:`from_node`).

    Attributes
    ----------
    source : int
    dist : ndarray of float64
        Metres to each node (``inf`` when unreached).
    pred, pred_edge : ndarray of int64
        Previous node and block on a shortest path from the source (-1 at the source or when unreached).
    """

    source: int
    dist: np.ndarray
    pred: np.ndarray
    pred_edge: np.ndarray

    def path(self, target: int) -> list[tuple[int, int]]:
        """The blocks of a shortest path from the source to ``target`` as ``(block, from_node)``.

        Raises
        ------
        ValueError
            When ``target`` was not reached.
        """
        if not np.isfinite(self.dist[target]):
            raise ValueError(f"node {target} is not reachable from node {self.source}")
        out = []
        x = int(target)
        while x != self.source:
            y = int(self.pred[x])
            out.append((int(self.pred_edge[x]), y))
            x = y
        out.reverse()
        return out


def from_node(arrays: GraphArrays, node: int, *, limit: float = np.inf) -> SingleSource:
    """Shortest paths from one node to every node (one Numba search, :func:`patrol.path_kernels.point_dijkstra`).

    Examples
    --------
    >>> from patrol.district import load_district
    >>> a = load_district().arrays
    >>> sp = from_node(a, 0)
    >>> bool(abs(sum(a.edge_length[b] for b, _ in sp.path(5)) - sp.dist[5]) < 1e-6)
    True
    """
    seeds = np.array([node], dtype=np.int64)
    dist, pred, pred_edge = point_dijkstra(arrays.indptr, arrays.indices, arrays.weights, arrays.csr_edge, seeds,
                                           np.zeros(1), float(limit))
    return SingleSource(int(node), dist, pred, pred_edge)


def blocks_within(arrays: GraphArrays, blocks: np.ndarray, limit_m: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each of ``blocks``, every block whose midpoint is within ``limit_m`` metres of its midpoint (along
    the streets), as CSR ``(ptr, nbr, dist)`` (see :func:`patrol.path_kernels.blocks_within`)."""
    return path_kernels.blocks_within(arrays.indptr, arrays.indices, arrays.weights, arrays.csr_edge, arrays.edge_u,
                                      arrays.edge_v, arrays.edge_length, np.asarray(blocks, dtype=np.int64),
                                      float(limit_m))


def within(arrays: GraphArrays, limit_m: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every node pair within ``limit_m`` metres as CSR ``(ptr, nbr, dist)`` (see
    :func:`patrol.path_kernels.bounded_distances`)."""
    return bounded_distances(arrays.indptr, arrays.indices, arrays.weights, float(limit_m))
