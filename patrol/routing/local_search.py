"""Local search and ruin-and-recreate for min-max routes of services (numba).

A solution is ``routes`` (``(k, cap)`` service ids), ``lens`` (services per route), ``costs`` (route
lengths) and the dynamic-programming tables ``fwd``/``bwd`` of :mod:`patrol.routing.evaluate`.

Acceptance is *leximax*: a move that changes routes ``a`` and ``b`` is improving when the sorted-descending
vector of all route costs decreases lexicographically, which for a two-route move reduces to comparing
``(max, min)`` of the pair before and after.  It lowers the longest route first and otherwise balances the
others, which leaves slack for later moves off the longest route.

Moves, all priced in O(1) with :func:`patrol.routing.evaluate.join_cost`:

* relocate a chain of 1-3 consecutive services (either order) from route ``a`` into any position of ``b``;
* swap one service of ``a`` with one of ``b``;
* 2-opt* (exchange the tails of ``a`` and ``b``);
* inside one route (priced by a full re-evaluation): relocate a chain of 1-3 services, reverse a segment.
"""

from __future__ import annotations

import numpy as np

from patrol._numba import njit
from patrol.routing.evaluate import join_cost, route_tables

__all__ = ["local_search", "refresh", "ruin_recreate"]

EPS = 1e-7


@njit
def _pair_better(ca, cb, na, nb):  # pragma: no cover - numba
    om = max(ca, cb)
    nm = max(na, nb)
    if nm < om - EPS:
        return True
    if nm <= om + EPS and min(na, nb) < min(ca, cb) - EPS:
        return True
    return False


@njit
def refresh(routes, lens, costs, fwd, bwd, r, su, sv, sl, dist, depot):  # pragma: no cover - numba
    """Recompute the cost and tables of route ``r``."""
    costs[r] = route_tables(routes[r], lens[r], su, sv, sl, dist, depot, fwd[r], bwd[r])


@njit
def _apply_intra(seq, p, mids, n_mid):  # pragma: no cover - numba
    """Overwrite ``seq[p+1 : p+1+n_mid]`` with ``mids`` (the rewritten middle of a same-length route)."""
    for x in range(n_mid):
        seq[p + 1 + x] = mids[x]


@njit
def _intra(routes, lens, costs, fwd, bwd, a, tmp, su, sv, sl, dist, depot):  # pragma: no cover
    """First improving segment reversal or chain relocation inside route ``a``.

    Each candidate is ``prefix + middle + suffix`` with prefix and suffix priced by the tables, so a
    candidate costs O(len(middle)).
    """
    n = lens[a]
    seq = routes[a]
    base = costs[a]
    fa = fwd[a]
    ba = bwd[a]
    # segment reversal: seq[:i] + reversed(seq[i:j+1]) + seq[j+1:]
    for i in range(n - 1):
        for j in range(i + 1, n):
            for t in range(j - i + 1):
                tmp[t] = seq[j - t]
            c = join_cost(seq, fa, i - 1, seq, ba, j + 1, n, tmp, j - i + 1, su, sv, sl, dist, depot)
            if c < base - EPS:
                _apply_intra(seq, i - 1, tmp, j - i + 1)
                refresh(routes, lens, costs, fwd, bwd, a, su, sv, sl, dist, depot)
                return True
    # chain relocation (chain of 1-3, either direction)
    for length in range(1, 4):
        for i in range(n - length + 1):
            for rev in range(2 if length > 1 else 1):
                # forward: seq[:i] + seq[i+L:t+1] + chain + seq[t+1:]
                for t in range(i + length, n):
                    w = 0
                    for x in range(i + length, t + 1):
                        tmp[w] = seq[x]
                        w += 1
                    for x in range(length):
                        tmp[w] = seq[i + x] if rev == 0 else seq[i + length - 1 - x]
                        w += 1
                    c = join_cost(seq, fa, i - 1, seq, ba, t + 1, n, tmp, w, su, sv, sl, dist, depot)
                    if c < base - EPS:
                        _apply_intra(seq, i - 1, tmp, w)
                        refresh(routes, lens, costs, fwd, bwd, a, su, sv, sl, dist, depot)
                        return True
                # backward: seq[:t] + chain + seq[t:i] + seq[i+L:]
                for t in range(i):
                    w = 0
                    for x in range(length):
                        tmp[w] = seq[i + x] if rev == 0 else seq[i + length - 1 - x]
                        w += 1
                    for x in range(t, i):
                        tmp[w] = seq[x]
                        w += 1
                    c = join_cost(seq, fa, t - 1, seq, ba, i + length, n, tmp, w, su, sv, sl, dist, depot)
                    if c < base - EPS:
                        _apply_intra(seq, t - 1, tmp, w)
                        refresh(routes, lens, costs, fwd, bwd, a, su, sv, sl, dist, depot)
                        return True
    return False


@njit
def _inter(routes, lens, costs, fwd, bwd, a, b, tmp, mids, su, sv, sl, dist, depot):  # pragma: no cover
    sa = routes[a]
    sb = routes[b]
    la = lens[a]
    lb = lens[b]
    ca = costs[a]
    cb = costs[b]
    empty = mids[:0]
    # relocate chains a -> b
    for length in range(1, 4):
        for i in range(la - length + 1):
            na = join_cost(sa, fwd[a], i - 1, sa, bwd[a], i + length, la, empty, 0, su, sv, sl, dist, depot)
            if na > max(ca, cb) + EPS:
                continue
            for rev in range(2 if length > 1 else 1):
                for x in range(length):
                    mids[x] = sa[i + x] if rev == 0 else sa[i + length - 1 - x]
                for j in range(lb + 1):
                    nb = join_cost(sb, fwd[b], j - 1, sb, bwd[b], j, lb, mids, length, su, sv, sl, dist, depot)
                    if _pair_better(ca, cb, na, nb):
                        # apply: b = b[:j] + mids + b[j:]
                        for t in range(lb - 1, j - 1, -1):
                            sb[t + length] = sb[t]
                        for x in range(length):
                            sb[j + x] = mids[x]
                        lens[b] = lb + length
                        for t in range(i, la - length):
                            sa[t] = sa[t + length]
                        lens[a] = la - length
                        refresh(routes, lens, costs, fwd, bwd, a, su, sv, sl, dist, depot)
                        refresh(routes, lens, costs, fwd, bwd, b, su, sv, sl, dist, depot)
                        return True
    # swap one service of a with one of b
    for i in range(la):
        for j in range(lb):
            mids[0] = sb[j]
            na = join_cost(sa, fwd[a], i - 1, sa, bwd[a], i + 1, la, mids, 1, su, sv, sl, dist, depot)
            if na >= max(ca, cb) + EPS:
                continue
            mids[0] = sa[i]
            nb = join_cost(sb, fwd[b], j - 1, sb, bwd[b], j + 1, lb, mids, 1, su, sv, sl, dist, depot)
            if _pair_better(ca, cb, na, nb):
                t = sa[i]
                sa[i] = sb[j]
                sb[j] = t
                refresh(routes, lens, costs, fwd, bwd, a, su, sv, sl, dist, depot)
                refresh(routes, lens, costs, fwd, bwd, b, su, sv, sl, dist, depot)
                return True
    # 2-opt*: a[:i+1] + b[j+1:], b[:j+1] + a[i+1:]
    for i in range(-1, la):
        for j in range(-1, lb):
            if (i == la - 1 and j == lb - 1) or (i == -1 and j == -1):
                continue
            na = join_cost(sa, fwd[a], i, sb, bwd[b], j + 1, lb, empty, 0, su, sv, sl, dist, depot)
            if na >= max(ca, cb) + EPS:
                continue
            nb = join_cost(sb, fwd[b], j, sa, bwd[a], i + 1, la, empty, 0, su, sv, sl, dist, depot)
            if _pair_better(ca, cb, na, nb):
                w = 0
                for t in range(j + 1, lb):
                    tmp[w] = sb[t]
                    w += 1
                tail_b = w
                for t in range(i + 1, la):
                    tmp[w] = sa[t]
                    w += 1
                # new a = a[:i+1] + old b tail ; new b = b[:j+1] + old a tail
                for t in range(tail_b):
                    sa[i + 1 + t] = tmp[t]
                for t in range(w - tail_b):
                    sb[j + 1 + t] = tmp[tail_b + t]
                lens[a] = i + 1 + tail_b
                lens[b] = j + 1 + (w - tail_b)
                refresh(routes, lens, costs, fwd, bwd, a, su, sv, sl, dist, depot)
                refresh(routes, lens, costs, fwd, bwd, b, su, sv, sl, dist, depot)
                return True
    return False


@njit
def local_search(routes, lens, costs, fwd, bwd, su, sv, sl, dist, depot, max_moves):  # pragma: no cover
    """Apply improving moves until a local optimum (or ``max_moves`` moves); return the move count.

    Whether a move between routes ``a`` and ``b`` improves depends only on those two routes, so a pair
    (or a single route, for intra-route moves) found locally optimal is not searched again until one of
    its routes changes.
    """
    k = routes.shape[0]
    tmp = np.empty(routes.shape[1] + 4, dtype=np.int64)
    mids = np.empty(4, dtype=np.int64)
    version = np.zeros(k, dtype=np.int64)
    intra_seen = np.full(k, -1, dtype=np.int64)
    pair_seen_a = np.full((k, k), -1, dtype=np.int64)
    pair_seen_b = np.full((k, k), -1, dtype=np.int64)
    moves = 0
    improved = True
    while improved and moves < max_moves:
        improved = False
        order = np.argsort(-costs)
        for ia in range(k):
            a = order[ia]
            if intra_seen[a] != version[a]:
                while _intra(routes, lens, costs, fwd, bwd, a, tmp, su, sv, sl, dist, depot):
                    moves += 1
                    version[a] += 1
                intra_seen[a] = version[a]
            for ib in range(k):
                b = order[ib]
                if a == b or (pair_seen_a[a, b] == version[a] and pair_seen_b[a, b] == version[b]):
                    continue
                if _inter(routes, lens, costs, fwd, bwd, a, b, tmp, mids, su, sv, sl, dist, depot):
                    moves += 1
                    version[a] += 1
                    version[b] += 1
                    improved = True
                    break
                pair_seen_a[a, b] = version[a]
                pair_seen_b[a, b] = version[b]
            if improved:
                break
    return moves


@njit
def ruin_recreate(routes, lens, costs, fwd, bwd, removed, su, sv, sl, dist, depot):  # pragma: no cover
    """Remove the services ``removed`` (ids) and reinsert them one by one, in that order.

    Each goes to the position that keeps the longest route shortest, then adds the least length.
    """
    k = routes.shape[0]
    n_rem = removed.shape[0]
    mark = np.zeros(su.shape[0], dtype=np.int64)
    for x in range(n_rem):
        mark[removed[x]] += 1
    for r in range(k):
        w = 0
        for t in range(lens[r]):
            s = routes[r, t]
            if mark[s] > 0:
                mark[s] -= 1
            else:
                routes[r, w] = s
                w += 1
        if w != lens[r]:
            lens[r] = w
            refresh(routes, lens, costs, fwd, bwd, r, su, sv, sl, dist, depot)
    mids = np.empty(1, dtype=np.int64)
    for x in range(n_rem):
        s = removed[x]
        mids[0] = s
        gmax = costs.max()
        best_m = np.inf
        best_d = np.inf
        best_r = 0
        best_j = 0
        for r in range(k):
            lr = lens[r]
            for j in range(lr + 1):
                nc = join_cost(routes[r], fwd[r], j - 1, routes[r], bwd[r], j, lr, mids, 1, su, sv, sl, dist,
                               depot)
                mm = max(nc, gmax)
                d = nc - costs[r]
                if mm < best_m - EPS or (mm <= best_m + EPS and d < best_d - EPS):
                    best_m = mm
                    best_d = d
                    best_r = r
                    best_j = j
        lr = lens[best_r]
        for t in range(lr - 1, best_j - 1, -1):
            routes[best_r, t + 1] = routes[best_r, t]
        routes[best_r, best_j] = s
        lens[best_r] = lr + 1
        refresh(routes, lens, costs, fwd, bwd, best_r, su, sv, sl, dist, depot)
