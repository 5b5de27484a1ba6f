"""Numba kernels that price a walker's route given as a sequence of services.

A *service* is one required traversal of an edge ``(su[s], sv[s])`` of length ``sl[s]``.  A route is a
sequence of services; its cost is the served lengths plus shortest-path deadheading from the depot, between
consecutive services and back, with each service's direction (``u -> v`` or ``v -> u``) chosen optimally by
a two-state dynamic program.  Orientation ``o = 0`` walks ``su -> sv`` (ends at ``sv``), ``o = 1`` walks
``sv -> su``.

``forward[i, o]``: cheapest cost from the depot through services ``0..i`` with service ``i`` in
orientation ``o``.  ``backward[i, o]``: cheapest cost of services ``i..n-1`` and the return to the depot,
starting with service ``i`` in orientation ``o``.  With both tables every neighbourhood move of
:mod:`patrol.routing.local_search` is priced in O(1) by :func:`join_cost`.
"""

from __future__ import annotations

import numpy as np

from patrol._numba import njit

__all__ = ["join_cost", "route_cost", "route_orientations", "route_tables"]

INF = np.inf


@njit
def route_cost(seq, n, su, sv, sl, dist, depot):  # pragma: no cover - numba
    """Cost of the route ``seq[:n]`` with optimal service orientations."""
    if n == 0:
        return 0.0
    s = seq[0]
    f0 = dist[depot, su[s]] + sl[s]
    f1 = dist[depot, sv[s]] + sl[s]
    for i in range(1, n):
        p = seq[i - 1]
        s = seq[i]
        a0 = min(f0 + dist[sv[p], su[s]], f1 + dist[su[p], su[s]]) + sl[s]
        a1 = min(f0 + dist[sv[p], sv[s]], f1 + dist[su[p], sv[s]]) + sl[s]
        f0 = a0
        f1 = a1
    s = seq[n - 1]
    return min(f0 + dist[sv[s], depot], f1 + dist[su[s], depot])


@njit
def route_tables(seq, n, su, sv, sl, dist, depot, fwd, bwd):  # pragma: no cover - numba
    """Fill ``fwd[:n]`` and ``bwd[:n]`` (shape ``(>=n, 2)``) for route ``seq[:n]``; return its cost."""
    if n == 0:
        return 0.0
    s = seq[0]
    fwd[0, 0] = dist[depot, su[s]] + sl[s]
    fwd[0, 1] = dist[depot, sv[s]] + sl[s]
    for i in range(1, n):
        p = seq[i - 1]
        s = seq[i]
        fwd[i, 0] = min(fwd[i - 1, 0] + dist[sv[p], su[s]], fwd[i - 1, 1] + dist[su[p], su[s]]) + sl[s]
        fwd[i, 1] = min(fwd[i - 1, 0] + dist[sv[p], sv[s]], fwd[i - 1, 1] + dist[su[p], sv[s]]) + sl[s]
    s = seq[n - 1]
    bwd[n - 1, 0] = sl[s] + dist[sv[s], depot]
    bwd[n - 1, 1] = sl[s] + dist[su[s], depot]
    for i in range(n - 2, -1, -1):
        s = seq[i]
        q = seq[i + 1]
        bwd[i, 0] = sl[s] + min(dist[sv[s], su[q]] + bwd[i + 1, 0], dist[sv[s], sv[q]] + bwd[i + 1, 1])
        bwd[i, 1] = sl[s] + min(dist[su[s], su[q]] + bwd[i + 1, 0], dist[su[s], sv[q]] + bwd[i + 1, 1])
    s = seq[n - 1]
    return min(fwd[n - 1, 0] + dist[sv[s], depot], fwd[n - 1, 1] + dist[su[s], depot])


@njit
def join_cost(seq_a, fwd_a, p, seq_b, bwd_b, q, n_b, mids, n_mid, su, sv, sl, dist, depot):  # pragma: no cover
    """Cost of ``seq_a[:p+1] + mids[:n_mid] + seq_b[q:n_b]`` from the tables of both parts.

    ``p = -1`` means an empty prefix (start at the depot), ``q = n_b`` an empty suffix (end at the depot).
    """
    # Left state: up to two (node, cost) pairs.
    if p < 0:
        n0 = depot
        c0 = 0.0
        n1 = depot
        c1 = INF
    else:
        s = seq_a[p]
        n0 = sv[s]
        c0 = fwd_a[p, 0]
        n1 = su[s]
        c1 = fwd_a[p, 1]
    for i in range(n_mid):
        s = mids[i]
        a0 = min(c0 + dist[n0, su[s]], c1 + dist[n1, su[s]]) + sl[s]
        a1 = min(c0 + dist[n0, sv[s]], c1 + dist[n1, sv[s]]) + sl[s]
        n0 = sv[s]
        c0 = a0
        n1 = su[s]
        c1 = a1
    if q >= n_b:
        if p < 0 and n_mid == 0:
            return 0.0
        return min(c0 + dist[n0, depot], c1 + dist[n1, depot])
    s = seq_b[q]
    r0 = bwd_b[q, 0]
    r1 = bwd_b[q, 1]
    best = c0 + dist[n0, su[s]] + r0
    v = c0 + dist[n0, sv[s]] + r1
    if v < best:
        best = v
    v = c1 + dist[n1, su[s]] + r0
    if v < best:
        best = v
    v = c1 + dist[n1, sv[s]] + r1
    if v < best:
        best = v
    return best


@njit
def route_orientations(seq, n, su, sv, sl, dist, depot):  # pragma: no cover - numba
    """Optimal orientation (0: ``su -> sv``, 1: ``sv -> su``) of each service of ``seq[:n]``."""
    out = np.zeros(n, dtype=np.int64)
    if n == 0:
        return out
    fwd = np.empty((n, 2))
    choice = np.zeros((n, 2), dtype=np.int64)
    s = seq[0]
    fwd[0, 0] = dist[depot, su[s]] + sl[s]
    fwd[0, 1] = dist[depot, sv[s]] + sl[s]
    for i in range(1, n):
        p = seq[i - 1]
        s = seq[i]
        x = fwd[i - 1, 0] + dist[sv[p], su[s]]
        y = fwd[i - 1, 1] + dist[su[p], su[s]]
        fwd[i, 0] = min(x, y) + sl[s]
        choice[i, 0] = 0 if x <= y else 1
        x = fwd[i - 1, 0] + dist[sv[p], sv[s]]
        y = fwd[i - 1, 1] + dist[su[p], sv[s]]
        fwd[i, 1] = min(x, y) + sl[s]
        choice[i, 1] = 0 if x <= y else 1
    s = seq[n - 1]
    o = 0 if fwd[n - 1, 0] + dist[sv[s], depot] <= fwd[n - 1, 1] + dist[su[s], depot] else 1
    for i in range(n - 1, -1, -1):
        out[i] = o
        o = choice[i, o]
    return out
