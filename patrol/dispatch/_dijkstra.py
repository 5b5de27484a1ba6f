"""Numba kernel: Dijkstra from a point on a block (two seeded ends) over CSR arrays.

This module imports nothing else from ``patrol``: it sees only arrays and numbers.  The pure
Python reference :func:`point_dijkstra_py` computes the same thing with :mod:`heapq`; the tests
compare the two.  ``PATROL_NUMBA_CACHE=0`` in the environment turns the on-disk cache off.
"""

from __future__ import annotations

import heapq
import os

import numpy as np
from numba import njit

__all__ = ["point_dijkstra", "point_dijkstra_py"]

_CACHE = os.environ.get("PATROL_NUMBA_CACHE", "1").strip().lower() not in ("0", "false", "no", "off")


@njit(cache=_CACHE)
def point_dijkstra(indptr, indices, weights, csr_edge, seed_nodes, seed_dist, limit):  # pragma: no cover - jit
    """Shortest network distance from a set of seeded nodes to every node.

    Parameters
    ----------
    indptr, indices, weights, csr_edge : ndarray
        Symmetric CSR adjacency (see ``patrol.arrays.GraphArrays``).
    seed_nodes : ndarray of int64
        Start nodes (for a point on a block: the block's two ends).
    seed_dist : ndarray of float64
        Initial distance of each seed (the point's distance to that end).
    limit : float
        Stop once the settled distance exceeds this (``inf`` for the whole graph).

    Returns
    -------
    dist : ndarray of float64
        Distance per node (``inf`` when unreached within ``limit``).
    pred : ndarray of int64
        Previous node on the shortest path (-1 at a seed or when unreached).
    pred_edge : ndarray of int64
        Block used to reach the node from ``pred`` (-1 likewise).
    """
    n = indptr.size - 1
    dist = np.full(n, np.inf)
    pred = np.full(n, -1, dtype=np.int64)
    pred_edge = np.full(n, -1, dtype=np.int64)
    done = np.zeros(n, dtype=np.bool_)
    # binary heap with lazy deletion: keys and nodes in parallel arrays
    cap = indices.size + seed_nodes.size + 1
    hk = np.empty(cap, dtype=np.float64)
    hn = np.empty(cap, dtype=np.int64)
    size = 0
    for s in range(seed_nodes.size):
        node = seed_nodes[s]
        d0 = seed_dist[s]
        if d0 < dist[node]:
            dist[node] = d0
            pred[node] = -1
            pred_edge[node] = -1
            # push
            i = size
            size += 1
            while i > 0:
                p = (i - 1) >> 1
                if hk[p] <= d0:
                    break
                hk[i] = hk[p]
                hn[i] = hn[p]
                i = p
            hk[i] = d0
            hn[i] = node
    while size > 0:
        d = hk[0]
        x = hn[0]
        # pop
        size -= 1
        lk = hk[size]
        ln = hn[size]
        i = 0
        while True:
            c = 2 * i + 1
            if c >= size:
                break
            if c + 1 < size and hk[c + 1] < hk[c]:
                c += 1
            if hk[c] >= lk:
                break
            hk[i] = hk[c]
            hn[i] = hn[c]
            i = c
        if size > 0:
            hk[i] = lk
            hn[i] = ln
        if done[x] or d > dist[x]:
            continue
        if d > limit:
            break
        done[x] = True
        for k in range(indptr[x], indptr[x + 1]):
            y = indices[k]
            nd = d + weights[k]
            if nd < dist[y]:
                dist[y] = nd
                pred[y] = x
                pred_edge[y] = csr_edge[k]
                i = size
                size += 1
                while i > 0:
                    p = (i - 1) >> 1
                    if hk[p] <= nd:
                        break
                    hk[i] = hk[p]
                    hn[i] = hn[p]
                    i = p
                hk[i] = nd
                hn[i] = y
    for x in range(n):
        if not done[x] and dist[x] > limit:
            dist[x] = np.inf
            pred[x] = -1
            pred_edge[x] = -1
    return dist, pred, pred_edge


def point_dijkstra_py(indptr, indices, weights, csr_edge, seed_nodes, seed_dist, limit=np.inf):
    """Pure Python reference of :func:`point_dijkstra` (same arguments, same results)."""
    n = len(indptr) - 1
    dist = np.full(n, np.inf)
    pred = np.full(n, -1, dtype=np.int64)
    pred_edge = np.full(n, -1, dtype=np.int64)
    heap: list[tuple[float, int]] = []
    for node, d0 in zip(seed_nodes, seed_dist, strict=True):
        if d0 < dist[node]:
            dist[node] = d0
            heapq.heappush(heap, (float(d0), int(node)))
    done = set()
    while heap:
        d, x = heapq.heappop(heap)
        if x in done or d > dist[x]:
            continue
        if d > limit:
            break
        done.add(x)
        for k in range(indptr[x], indptr[x + 1]):
            y = int(indices[k])
            nd = d + float(weights[k])
            if nd < dist[y]:
                dist[y] = nd
                pred[y] = x
                pred_edge[y] = csr_edge[k]
                heapq.heappush(heap, (nd, y))
    for x in range(n):
        if x not in done and dist[x] > limit:
            dist[x], pred[x], pred_edge[x] = np.inf, -1, -1
    return dist, pred, pred_edge
