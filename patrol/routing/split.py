"""Route-first cluster-second: optimal min-max split of a giant tour of services into k routes.

``segment_costs`` prices every contiguous piece ``tour[i:j]`` as one closed route from the depot
(orientations optimal, by the dynamic program of :mod:`patrol.routing.evaluate`) in O(m^2); ``split_tour``
then chooses at most ``k`` pieces minimizing the longest, ties broken by the total length (O(k m^2)).
"""

from __future__ import annotations

import numpy as np

from patrol._numba import njit

__all__ = ["segment_costs", "split_tour"]


@njit
def segment_costs(tour, su, sv, sl, dist, depot):  # pragma: no cover - numba
    """``C[i, j]`` = cost of one route serving ``tour[i:j]`` (``C[i, i] = 0``)."""
    m = tour.shape[0]
    c = np.full((m + 1, m + 1), np.inf)
    for i in range(m + 1):
        c[i, i] = 0.0
    for i in range(m):
        s = tour[i]
        f0 = dist[depot, su[s]] + sl[s]
        f1 = dist[depot, sv[s]] + sl[s]
        c[i, i + 1] = min(f0 + dist[sv[s], depot], f1 + dist[su[s], depot])
        for j in range(i + 1, m):
            p = tour[j - 1]
            s = tour[j]
            a0 = min(f0 + dist[sv[p], su[s]], f1 + dist[su[p], su[s]]) + sl[s]
            a1 = min(f0 + dist[sv[p], sv[s]], f1 + dist[su[p], sv[s]]) + sl[s]
            f0 = a0
            f1 = a1
            c[i, j + 1] = min(f0 + dist[sv[s], depot], f1 + dist[su[s], depot])
    return c


@njit
def split_tour(tour, k, su, sv, sl, dist, depot):  # pragma: no cover - numba
    """Split ``tour`` into ``k`` consecutive routes (some possibly empty) minimizing (max, total).

    Returns
    -------
    routes : numpy.ndarray
        ``(k, m)`` service ids, route ``r`` in ``routes[r, :lens[r]]``.
    lens : numpy.ndarray
        ``(k,)`` route lengths in services.
    """
    m = tour.shape[0]
    c = segment_costs(tour, su, sv, sl, dist, depot)
    vmax = np.full((k + 1, m + 1), np.inf)
    vsum = np.full((k + 1, m + 1), np.inf)
    arg = np.zeros((k + 1, m + 1), dtype=np.int64)
    vmax[0, 0] = 0.0
    vsum[0, 0] = 0.0
    for r in range(1, k + 1):
        for j in range(m + 1):
            bm = np.inf
            bs = np.inf
            bi = j
            for i in range(j + 1):
                if vmax[r - 1, i] == np.inf:
                    continue
                cc = c[i, j]
                mm = max(vmax[r - 1, i], cc)
                ss = vsum[r - 1, i] + cc
                if mm < bm - 1e-9 or (mm <= bm + 1e-9 and ss < bs - 1e-9):
                    bm = mm
                    bs = ss
                    bi = i
            vmax[r, j] = bm
            vsum[r, j] = bs
            arg[r, j] = bi
    routes = np.zeros((k, max(m, 1)), dtype=np.int64)
    lens = np.zeros(k, dtype=np.int64)
    j = m
    for r in range(k, 0, -1):
        i = arg[r, j]
        lens[r - 1] = j - i
        for t in range(i, j):
            routes[r - 1, t - i] = tour[t]
        j = i
    return routes, lens
