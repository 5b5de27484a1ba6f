"""Numba kernels of shortest paths on the symmetric CSR adjacency of :class:`patrol.arrays.GraphArrays`.

The one home of the compiled searches: a multi-source Dijkstra with an indexed binary heap
(:func:`dijkstra_heap`, with predecessors and a distance limit), the same search with a circular bucket
queue (:func:`dijkstra_buckets`, exact for any bucket width; the coverage response field uses it),
a search from a point on a block (:func:`point_dijkstra`, for dispatch), every node pair within a
distance (:func:`bounded_distances`, for visibility) and every block pair whose midpoints are within a
distance (:func:`blocks_within`, for the demand model's smoothing).  :mod:`patrol.paths` is the Python interface;
:mod:`patrol.path_reference` holds plain twins of the same names that the tests compare against.

This module sees only arrays and numbers; it imports nothing from ``patrol`` but the cache switch.
Heap order is ``(distance, node)``, so ties settle in node order and predecessors are reproducible.
"""

from __future__ import annotations

import numpy as np

from patrol._numba import njit

__all__ = ["POINT_BUCKETS", "blocks_within", "bounded_distances", "dijkstra_buckets", "dijkstra_heap", "point_dijkstra",
           "shortest_tree", "walk_back"]

#: Buckets per longest block in :func:`point_dijkstra`'s queue (4 to 64 measured alike on the city graph).
POINT_BUCKETS = 16


@njit(inline="always")
def _sift_up(heap, pos, dist, i):  # pragma: no cover - numba
    v = heap[i]
    d = dist[v]
    while i > 0:
        p = (i - 1) >> 1
        u = heap[p]
        if dist[u] > d or (dist[u] == d and u > v):
            heap[i] = u
            pos[u] = i
            i = p
        else:
            break
    heap[i] = v
    pos[v] = i


@njit(inline="always")
def _sift_down(heap, pos, dist, size):  # pragma: no cover - numba
    v = heap[0]
    d = dist[v]
    i = 0
    while True:
        a = 2 * i + 1
        if a >= size:
            break
        b = a + 1
        c = a
        if b < size and (dist[heap[b]] < dist[heap[a]] or (dist[heap[b]] == dist[heap[a]] and heap[b] < heap[a])):
            c = b
        u = heap[c]
        if dist[u] < d or (dist[u] == d and u < v):
            heap[i] = u
            pos[u] = i
            i = c
        else:
            break
    heap[i] = v
    pos[v] = i


@njit
def dijkstra_heap(src_node, src_dist, n_src, indptr, indices, weights, csr_edge, limit, dist, pred, pred_edge,
                  heap, pos, settled):  # pragma: no cover - numba
    """Multi-source Dijkstra into ``dist`` with an indexed binary heap.

    Parameters
    ----------
    src_node, src_dist : ndarray
        The first ``n_src`` entries are the sources and their starting distances.
    indptr, indices, weights, csr_edge : ndarray
        Symmetric CSR adjacency (neighbours of ``i`` at ``indices[indptr[i]:indptr[i+1]]``, along block
        ``csr_edge[...]`` of length ``weights[...]``).
    limit : float
        Nodes farther than this stay at ``inf`` (``inf`` for the whole graph).
    dist : ndarray of float64
        Pre-filled with ``inf``; the distances are written here.
    pred, pred_edge : ndarray of int64
        Pre-filled with -1; the previous node and the block to it on a shortest path (-1 at a source).
    heap, pos, settled : ndarray of int64
        Work arrays of ``n_nodes``; ``pos`` pre-filled with -1.  The settled nodes (exactly those with a
        finite distance) are written to ``settled`` in settling order, their ``pos`` set to -2.

    Returns
    -------
    int
        Number of settled nodes.
    """
    size = 0
    n_settled = 0
    for i in range(n_src):
        v = src_node[i]
        d = src_dist[i]
        if d < dist[v] and d <= limit:
            dist[v] = d
            pred[v] = -1
            pred_edge[v] = -1
            if pos[v] < 0:
                heap[size] = v
                pos[v] = size
                size += 1
            _sift_up(heap, pos, dist, pos[v])
    while size > 0:
        v = heap[0]
        pos[v] = -2
        settled[n_settled] = v
        n_settled += 1
        size -= 1
        if size > 0:
            heap[0] = heap[size]
            pos[heap[0]] = 0
            _sift_down(heap, pos, dist, size)
        d = dist[v]
        for k in range(indptr[v], indptr[v + 1]):
            u = indices[k]
            if pos[u] == -2:
                continue
            nd = d + weights[k]
            if nd < dist[u] and nd <= limit:
                dist[u] = nd
                pred[u] = v
                pred_edge[u] = csr_edge[k]
                if pos[u] < 0:
                    heap[size] = u
                    pos[u] = size
                    size += 1
                _sift_up(heap, pos, dist, pos[u])
    return n_settled


@njit
def dijkstra_buckets(src_node, src_dist, n_src, indptr, indices, weights, delta, n_buckets, dist, head, nxt,
                     node_of, label_of, limit):  # pragma: no cover - numba
    """Multi-source shortest distances with a circular bucket queue (delta-stepping, one thread).

    Bucket ``k`` holds labels in ``[k delta, (k+1) delta)``.  A bucket is emptied repeatedly: a node whose
    label drops again while its bucket is processed (through an edge shorter than ``delta``) is simply
    processed again, so any positive ``delta`` is exact.  Each final label is ``min(dist[u] + w)`` over
    the final labels of its neighbours, the same floating-point numbers as :func:`dijkstra_heap` gives.
    ``head`` (``n_buckets``, all -1) and the entry pool ``nxt``/``node_of``/``label_of`` are work arrays;
    ``dist`` is pre-filled with inf; nodes farther than ``limit`` stay at inf.  Returns False when the pool
    ran out (the caller then resets ``head`` and redoes the search with the heap).
    """
    cap = nxt.size
    n_entries = 0
    free = -1
    live = 0
    for i in range(n_src):
        v = src_node[i]
        d = src_dist[i]
        if d < dist[v] and d <= limit:
            dist[v] = d
            if free >= 0:
                e = free
                free = nxt[e]
            elif n_entries < cap:
                e = n_entries
                n_entries += 1
            else:
                return False
            bb = int(d / delta) % n_buckets
            node_of[e] = v
            label_of[e] = d
            nxt[e] = head[bb]
            head[bb] = e
            live += 1
    k = 0
    while live > 0:
        b = k % n_buckets
        while head[b] >= 0:
            e = head[b]
            head[b] = nxt[e]
            live -= 1
            v = node_of[e]
            d = label_of[e]
            nxt[e] = free
            free = e
            if d != dist[v]:  # stale: v got a lower label since
                continue
            for j in range(indptr[v], indptr[v + 1]):
                u = indices[j]
                nd = d + weights[j]
                if nd < dist[u] and nd <= limit:
                    dist[u] = nd
                    if free >= 0:
                        f = free
                        free = nxt[f]
                    elif n_entries < cap:
                        f = n_entries
                        n_entries += 1
                    else:
                        return False
                    bb = int(nd / delta) % n_buckets
                    node_of[f] = u
                    label_of[f] = nd
                    nxt[f] = head[bb]
                    head[bb] = f
                    live += 1
        k += 1
    return True


@njit
def shortest_tree(indptr, indices, weights, csr_edge, seed_nodes, seed_dist, dist, pred,
                  pred_edge):  # pragma: no cover - numba
    """Predecessors of final distances: the shortest-path tree :func:`dijkstra_heap` builds, from ``dist`` alone.

    Each reached node's predecessor is the neighbour ``u`` with ``dist[u] + w == dist[v]`` that is smallest in
    ``(dist[u], u)`` order (the first one a heap settles), along the first such block in ``u``'s adjacency; a
    seed whose distance is its seed distance keeps -1.  Distances from :func:`dijkstra_buckets` are the
    heap's floating-point numbers, so the tree is the heap's, node for node.
    """
    n = indptr.size - 1
    seed_min = np.full(n, np.inf)
    for i in range(seed_nodes.size):
        seed_min[seed_nodes[i]] = min(seed_min[seed_nodes[i]], seed_dist[i])
    for v in range(n):
        pred[v] = -1
        pred_edge[v] = -1
        d = dist[v]
        if d == np.inf or d == seed_min[v]:
            continue
        best = -1
        best_d = np.inf
        for k in range(indptr[v], indptr[v + 1]):
            u = indices[k]
            if u == v or dist[u] + weights[k] != d:
                continue
            if dist[u] < best_d or (dist[u] == best_d and u < best):
                best = u
                best_d = dist[u]
                pred_edge[v] = csr_edge[k]
        pred[v] = best


@njit
def point_dijkstra(indptr, indices, weights, csr_edge, seed_nodes, seed_dist, limit):  # pragma: no cover - numba
    """Shortest distances from seeded nodes (a point on a block: its two ends) to every node.

    A bucket-queue search (:func:`dijkstra_buckets`, 16 buckets per longest block; 2.5x faster than the heap
    on a whole city's graph) then the shortest-path tree read back from the distances (:func:`shortest_tree`);
    the heap search when the bucket pool runs out.  The same numbers and tree as :func:`dijkstra_heap`.

    Returns
    -------
    dist : ndarray of float64
        Distance per node (``inf`` when unreached within ``limit``).
    pred, pred_edge : ndarray of int64
        Previous node and the block to it on a shortest path (-1 at a seed or when unreached).
    """
    n = indptr.size - 1
    dist = np.full(n, np.inf)
    pred = np.full(n, -1, np.int64)
    pred_edge = np.full(n, -1, np.int64)
    w_max = 0.0
    for k in range(weights.size):
        w_max = max(w_max, weights[k])
    n_buckets = POINT_BUCKETS + 2
    head = np.full(n_buckets, -1, np.int64)
    pool = 2 * (indices.size + seed_nodes.size) + 16
    nxt = np.empty(pool, np.int64)
    node_of = np.empty(pool, np.int64)
    label_of = np.empty(pool, np.float64)
    delta = w_max / POINT_BUCKETS if w_max > 0 else 1.0
    if dijkstra_buckets(seed_nodes, seed_dist, seed_nodes.size, indptr, indices, weights, delta, n_buckets, dist,
                        head, nxt, node_of, label_of, limit):
        shortest_tree(indptr, indices, weights, csr_edge, seed_nodes, seed_dist, dist, pred, pred_edge)
        return dist, pred, pred_edge
    dist[:] = np.inf
    heap = np.empty(n, np.int64)
    pos = np.full(n, -1, np.int64)
    settled = np.empty(n, np.int64)
    dijkstra_heap(seed_nodes, seed_dist, seed_nodes.size, indptr, indices, weights, csr_edge, limit, dist, pred,
                  pred_edge, heap, pos, settled)
    return dist, pred, pred_edge


@njit
def walk_back(pred, pred_edge, start):  # pragma: no cover - numba
    """The chain of predecessors from ``start`` back to a seed: nodes ``[start, ..., seed]`` and the blocks
    between them (one fewer)."""
    n_steps = 0
    x = start
    while pred[x] >= 0:
        n_steps += 1
        x = pred[x]
    nodes = np.empty(n_steps + 1, np.int64)
    edges = np.empty(n_steps, np.int64)
    x = start
    nodes[0] = x
    for i in range(n_steps):
        edges[i] = pred_edge[x]
        x = pred[x]
        nodes[i + 1] = x
    return nodes, edges


@njit
def bounded_distances(indptr, indices, weights, limit):  # pragma: no cover - numba
    """Every node pair within ``limit`` metres on the network, as CSR.

    Returns
    -------
    ptr : int64 (n_nodes + 1,)
    nbr : int64
        For node ``i``, the reached nodes ``nbr[ptr[i]:ptr[i+1]]`` in increasing index order
        (``i`` itself included, at distance 0).
    dist : float64
        Their distances.
    """
    n = indptr.size - 1
    counts = np.zeros(n + 1, np.int64)
    dist = np.full(n, np.inf)
    pred = np.full(n, -1, np.int64)
    pred_edge = np.full(n, -1, np.int64)
    no_edge = np.full(indices.size, -1, np.int64)
    heap = np.empty(n, np.int64)
    pos = np.full(n, -1, np.int64)
    src = np.zeros(1, np.int64)
    sd = np.zeros(1, np.float64)
    settled = np.empty(n, np.int64)
    for i in range(n):
        src[0] = i
        c = dijkstra_heap(src, sd, 1, indptr, indices, weights, no_edge, limit, dist, pred, pred_edge, heap, pos,
                          settled)
        counts[i + 1] = c
        for j in range(c):
            dist[settled[j]] = np.inf
            pos[settled[j]] = -1
    ptr = np.cumsum(counts)
    nbr = np.empty(ptr[n], np.int64)
    out = np.empty(ptr[n], np.float64)
    for i in range(n):
        src[0] = i
        c = dijkstra_heap(src, sd, 1, indptr, indices, weights, no_edge, limit, dist, pred, pred_edge, heap, pos,
                          settled)
        order = np.sort(settled[:c])
        j = ptr[i]
        for v in order:
            nbr[j] = v
            out[j] = dist[v]
            j += 1
        for v in order:
            dist[v] = np.inf
            pos[v] = -1
    return ptr, nbr, out


@njit
def blocks_within(indptr, indices, weights, csr_edge, edge_u, edge_v, edge_length, sources,
                  limit):  # pragma: no cover - numba
    """For each source block, every block whose midpoint is within ``limit`` metres of its midpoint.

    The distance between two block midpoints is the shortest walk from one to the other through their
    ends: ``min over ends a of b, c of e of (dist(a, c) + len_b / 2 + len_e / 2)``, and 0 from a block to
    itself.  One search per source, seeded at its two ends with half its length and cut at ``limit``.

    Parameters
    ----------
    indptr, indices, weights, csr_edge : ndarray
        Symmetric CSR adjacency.
    edge_u, edge_v, edge_length : ndarray
        Block ends and lengths.
    sources : ndarray of int64
        Source block ids.
    limit : float

    Returns
    -------
    ptr : int64 (n_sources + 1,)
    nbr : int64
        For source ``i``, the blocks ``nbr[ptr[i]:ptr[i+1]]`` in increasing id order (itself included).
    dist : float64
        Their midpoint distances.
    """
    n = indptr.size - 1
    m = edge_length.size
    dist = np.full(n, np.inf)
    pred = np.full(n, -1, np.int64)
    pred_edge = np.full(n, -1, np.int64)
    no_edge = np.full(indices.size, -1, np.int64)
    heap = np.empty(n, np.int64)
    pos = np.full(n, -1, np.int64)
    settled = np.empty(n, np.int64)
    best = np.full(m, np.inf)
    touched = np.empty(m, np.int64)
    src = np.empty(2, np.int64)
    sd = np.empty(2, np.float64)
    ptr = np.zeros(sources.size + 1, np.int64)
    cap = max(16, 8 * sources.size)
    nbr = np.empty(cap, np.int64)
    out = np.empty(cap, np.float64)
    size = 0
    for i in range(sources.size):
        b = sources[i]
        half = edge_length[b] / 2
        src[0] = edge_u[b]
        src[1] = edge_v[b]
        sd[0] = half
        sd[1] = half
        c = dijkstra_heap(src, sd, 2, indptr, indices, weights, no_edge, limit, dist, pred, pred_edge, heap, pos,
                          settled)
        n_touched = 0
        best[b] = 0.0
        touched[n_touched] = b
        n_touched += 1
        for j in range(c):
            v = settled[j]
            d = dist[v]
            for k in range(indptr[v], indptr[v + 1]):
                e = csr_edge[k]
                cand = d + edge_length[e] / 2
                if cand <= limit and cand < best[e]:
                    if best[e] == np.inf:
                        touched[n_touched] = e
                        n_touched += 1
                    best[e] = cand
        for j in range(c):
            dist[settled[j]] = np.inf
            pos[settled[j]] = -1
        if size + n_touched > cap:
            while size + n_touched > cap:
                cap *= 2
            grown = np.empty(cap, np.int64)
            grown[:size] = nbr[:size]
            nbr = grown
            grown_d = np.empty(cap, np.float64)
            grown_d[:size] = out[:size]
            out = grown_d
        order = np.sort(touched[:n_touched])
        for e in order:
            nbr[size] = e
            out[size] = best[e]
            size += 1
            best[e] = np.inf
        ptr[i + 1] = size
    return ptr, nbr[:size].copy(), out[:size].copy()
