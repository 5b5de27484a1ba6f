"""Plain Python twins of :mod:`patrol.path_kernels` (same names, same arguments, same results).

Written with :mod:`heapq` and loops, without Numba, for the tests to compare the kernels against.
"""

from __future__ import annotations

import heapq

import numpy as np

__all__ = ["blocks_within", "bounded_distances", "dijkstra", "point_dijkstra", "walk_back"]


def dijkstra(sources, indptr, indices, weights, csr_edge, n_nodes: int, limit: float = np.inf):
    """Multi-source Dijkstra from ``[(node, start distance), ...]``.

    Returns
    -------
    dist : ndarray of float64
        ``inf`` beyond ``limit`` or when unreached.
    pred, pred_edge : ndarray of int64
        Previous node and block on a shortest path (-1 at a source or when unreached).
    """
    dist = np.full(n_nodes, np.inf)
    pred = np.full(n_nodes, -1, dtype=np.int64)
    pred_edge = np.full(n_nodes, -1, dtype=np.int64)
    heap: list[tuple[float, int]] = []
    for v, d in sources:
        if d < dist[v] and d <= limit:
            dist[v] = d
            heapq.heappush(heap, (float(d), int(v)))
    done: set[int] = set()
    while heap:
        d, v = heapq.heappop(heap)
        if v in done or d > dist[v]:
            continue
        done.add(v)
        for k in range(indptr[v], indptr[v + 1]):
            u = int(indices[k])
            nd = d + float(weights[k])
            if u not in done and nd < dist[u] and nd <= limit:
                dist[u] = nd
                pred[u] = v
                pred_edge[u] = int(csr_edge[k])
                heapq.heappush(heap, (nd, u))
    return dist, pred, pred_edge


def point_dijkstra(indptr, indices, weights, csr_edge, seed_nodes, seed_dist, limit=np.inf):
    """Twin of :func:`patrol.path_kernels.point_dijkstra`."""
    sources = [(int(x), float(d)) for x, d in zip(seed_nodes, seed_dist, strict=True)]
    return dijkstra(sources, indptr, indices, weights, csr_edge, len(indptr) - 1, limit)


def bounded_distances(indptr, indices, weights, limit):
    """Twin of :func:`patrol.path_kernels.bounded_distances`."""
    n = len(indptr) - 1
    no_edge = np.full(len(indices), -1, dtype=np.int64)
    ptr = [0]
    nbr: list[int] = []
    out: list[float] = []
    for i in range(n):
        d, _, _ = dijkstra([(i, 0.0)], indptr, indices, weights, no_edge, n, limit)
        hit = np.flatnonzero(d <= limit)
        nbr.extend(hit.tolist())
        out.extend(d[hit].tolist())
        ptr.append(len(nbr))
    return np.array(ptr, np.int64), np.array(nbr, np.int64), np.array(out, np.float64)


def blocks_within(indptr, indices, weights, csr_edge, edge_u, edge_v, edge_length, sources, limit):
    """Twin of :func:`patrol.path_kernels.blocks_within`."""
    n = len(indptr) - 1
    ptr = [0]
    nbr: list[int] = []
    out: list[float] = []
    for b in sources:
        b = int(b)
        half = float(edge_length[b]) / 2
        d, _, _ = dijkstra([(int(edge_u[b]), half), (int(edge_v[b]), half)], indptr, indices, weights, csr_edge, n,
                           limit)
        best = {b: 0.0}
        for v in np.flatnonzero(np.isfinite(d)):
            for k in range(indptr[v], indptr[v + 1]):
                e = int(csr_edge[k])
                cand = float(d[v]) + float(edge_length[e]) / 2
                if cand <= limit and cand < best.get(e, np.inf):
                    best[e] = cand
        for e in sorted(best):
            nbr.append(e)
            out.append(best[e])
        ptr.append(len(nbr))
    return np.array(ptr, np.int64), np.array(nbr, np.int64), np.array(out, np.float64)


def walk_back(pred, pred_edge, start):
    """Twin of :func:`patrol.path_kernels.walk_back`."""
    nodes, edges = [int(start)], []
    while pred[nodes[-1]] >= 0:
        edges.append(int(pred_edge[nodes[-1]]))
        nodes.append(int(pred[nodes[-1]]))
    return np.array(nodes, np.int64), np.array(edges, np.int64)
