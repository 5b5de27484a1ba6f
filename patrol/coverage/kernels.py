"""Numba kernels of coverage scoring: positions, presence, revisit runs, network distances, dispatch.

The kernels see only arrays and integers (no graphs, no timelines; from ``patrol`` only the compiled
shortest-path searches of :mod:`patrol.path_kernels` and the cache switch of :mod:`patrol._numba`);
:mod:`patrol.coverage.presence`, :mod:`~patrol.coverage.response` and
:mod:`~patrol.coverage.montecarlo` build those arrays and map the results back.  Every kernel has a
plain NumPy / pure Python twin of the same name in :mod:`patrol.coverage.reference`; the tests check
that both agree exactly.

Conventions
-----------
* Timed legs are the flat arrays of :meth:`patrol.timeline.Timeline.to_arrays` (sorted by walker,
  then start time).
* A *position* is ``(block, offset)`` with ``offset`` in metres from the block's ``u`` end;
  ``block = -1`` means "not on the timeline at that time".
* The street network is the symmetric CSR adjacency of :class:`patrol.arrays.GraphArrays`
  (``indptr``, ``indices``, ``weights``), node indices contiguous.

The kernels are single-threaded: on a shared 2-core machine Numba's thread pool cost more than it
gained (the Uptown presence kernel took 18 ms with 2 threads, 0.2 ms with one).
"""

from __future__ import annotations

import numpy as np

from patrol._numba import njit
from patrol.path_kernels import dijkstra_buckets, dijkstra_heap

__all__ = [
    "dispatch_incidents",
    "point_distance",
    "presence_counts",
    "response_field",
    "response_field_apsp",
    "revisit_scan",
    "sample_positions",
]

#: Bucket width of the response field's queue: the longest block / this (edges shorter than a bucket are
#: handled exactly by reprocessing; see :func:`patrol.path_kernels.dijkstra_buckets`).
BUCKETS_PER_BLOCK = 64


@njit
def sample_positions(walker, t0, t1, block, off0, off1, activity, n_walkers, times):  # pragma: no cover - numba
    """Position and activity of every walker at every time step.

    Parameters
    ----------
    walker, t0, t1, block, off0, off1, activity : ndarray
        Flat legs (:meth:`Timeline.to_arrays`), sorted by walker then ``t0``.
    n_walkers : int
    times : ndarray of float64
        Sample times (minutes), ascending.

    Returns
    -------
    pos_block : int64 (n_steps, n_walkers)
        Block of the leg under way (the last leg with ``t0 <= t``, if ``t <= t1 + 1e-9``), else -1.
    pos_off : float64 (n_steps, n_walkers)
        Offset along that block (linear in time within the leg).
    pos_act : int64 (n_steps, n_walkers)
        Activity code, -1 when off the timeline.
    """
    n_steps = times.size
    pos_block = np.full((n_steps, n_walkers), -1, np.int64)
    pos_off = np.zeros((n_steps, n_walkers), np.float64)
    pos_act = np.full((n_steps, n_walkers), -1, np.int64)
    n_legs = walker.size
    start = 0
    for w in range(n_walkers):
        stop = start
        while stop < n_legs and walker[stop] == w:
            stop += 1
        k = start - 1  # last leg with t0 <= t
        for s in range(n_steps):
            t = times[s]
            while k + 1 < stop and t0[k + 1] <= t:
                k += 1
            if k >= start and t <= t1[k] + 1e-9:
                pos_block[s, w] = block[k]
                pos_act[s, w] = activity[k]
                if t1[k] <= t0[k]:
                    pos_off[s, w] = off1[k]
                else:
                    f = (t - t0[k]) / (t1[k] - t0[k])
                    if f < 0.0:
                        f = 0.0
                    elif f > 1.0:
                        f = 1.0
                    pos_off[s, w] = off0[k] + f * (off1[k] - off0[k])
        start = stop
    return pos_block, pos_off, pos_act


@njit
def presence_counts(pos_block, pos_off, pos_ok, nb_indptr, nb_block, nb_du, nb_dv, edge_length, visibility_m,
                    n_blocks):  # pragma: no cover - numba
    """How many walkers are present on (or can see) each block at each step.

    A walker at offset ``o`` of block ``b`` is present on block ``c`` when ``c == b`` or the network
    distance from its point to ``c``, ``min(o + du, len_b - o + dv)``, is at most ``visibility_m``,
    where ``du``/``dv`` are the distances from ``b``'s ``u``/``v`` ends to the nearer end of ``c``
    (the block neighbourhood CSR ``nb_*``, see :func:`patrol.coverage.presence.block_neighbourhoods`).

    Parameters
    ----------
    pos_block, pos_off : (n_steps, n_walkers) arrays
        Positions (:func:`sample_positions`).
    pos_ok : bool (n_steps, n_walkers)
        Whether the walker counts at that step (visible activity).
    nb_indptr, nb_block, nb_du, nb_dv : ndarray
        Block neighbourhoods: for block ``b`` the entries ``nb_indptr[b]:nb_indptr[b+1]``.
    edge_length : float64 (n_blocks,)
    visibility_m : float
    n_blocks : int

    Returns
    -------
    int16 (n_steps, n_blocks)
    """
    n_steps, n_walkers = pos_block.shape
    counts = np.zeros((n_steps, n_blocks), np.int16)
    for s in range(n_steps):
        for w in range(n_walkers):
            b = pos_block[s, w]
            if b < 0 or not pos_ok[s, w]:
                continue
            o = pos_off[s, w]
            rest = edge_length[b] - o
            for k in range(nb_indptr[b], nb_indptr[b + 1]):
                c = nb_block[k]
                if c == b:
                    counts[s, c] += 1
                else:
                    d = min(o + nb_du[k], rest + nb_dv[k])
                    if d <= visibility_m:
                        counts[s, c] += 1
    return counts


@njit
def revisit_scan(counts, window_steps):  # pragma: no cover - numba
    """Recent-visit flags and every run of absence, per block.

    Parameters
    ----------
    counts : (n_steps, n_blocks) integer array
        Presence counts (:func:`presence_counts`).
    window_steps : int
        A block is *recently visited* at step ``s`` when it had presence at one of the steps
        ``s - window_steps + 1 .. s``.

    Returns
    -------
    recent : uint8 (n_steps, n_blocks)
    run_block, run_len : int64 arrays
        Every maximal run of steps without presence (leading and trailing runs included; a block
        never visited has one run of ``n_steps``), in block order then time order.
    """
    n_steps, n_blocks = counts.shape
    recent = np.zeros((n_steps, n_blocks), np.uint8)
    n_runs = 0
    for b in range(n_blocks):
        prev = 1
        for s in range(n_steps):
            here = 1 if counts[s, b] > 0 else 0
            if here == 0 and prev == 1:
                n_runs += 1
            prev = here
    run_block = np.empty(n_runs, np.int64)
    run_len = np.empty(n_runs, np.int64)
    r = -1
    for b in range(n_blocks):
        prev = 1
        last = -1  # last step with presence
        for s in range(n_steps):
            here = 1 if counts[s, b] > 0 else 0
            if here == 1:
                last = s
            elif prev == 1:
                r += 1
                run_block[r] = b
                run_len[r] = 0
            if here == 0:
                run_len[r] += 1
            if last >= 0 and s - last < window_steps:
                recent[s, b] = 1
            prev = here
    return recent, run_block, run_len


@njit
def response_field(pos_block, pos_off, pos_ok, edge_u, edge_v, edge_length, indptr, indices, weights,
                   n_nodes):  # pragma: no cover - numba
    """Network distance (m) from the nearest available walker to every node, at every step.

    Each available walker at offset ``o`` on block ``b`` seeds the block's ends with ``o`` (``u``)
    and ``len_b - o`` (``v``); a multi-source shortest-path search over the CSR adjacency does the rest
    (a bucket queue, :func:`patrol.path_kernels.dijkstra_buckets`; a binary heap if its entry pool runs out;
    both exact).

    Parameters
    ----------
    pos_block, pos_off : (n_steps, n_walkers) arrays
    pos_ok : bool (n_steps, n_walkers)
        Available walkers (visible activity, not busy).
    edge_u, edge_v, edge_length : block arrays
    indptr, indices, weights : CSR adjacency
    n_nodes : int

    Returns
    -------
    float32 (n_steps, n_nodes)
        Distances in metres, ``inf`` where no walker is available or the node is unreachable.
    """
    n_steps, n_walkers = pos_block.shape
    out = np.empty((n_steps, n_nodes), np.float32)
    dist = np.empty(n_nodes, np.float64)
    heap = np.empty(n_nodes, np.int64)
    pos = np.empty(n_nodes, np.int64)
    settled = np.empty(n_nodes, np.int64)
    pred = np.empty(n_nodes, np.int64)
    pred_edge = np.empty(n_nodes, np.int64)
    no_edge = np.full(indices.size, -1, np.int64)
    src_node = np.empty(2 * n_walkers, np.int64)
    src_dist = np.empty(2 * n_walkers, np.float64)
    w_max = 0.0
    for j in range(weights.size):
        w_max = max(w_max, weights[j])
    for b in range(edge_length.size):
        w_max = max(w_max, edge_length[b])
    delta = w_max / BUCKETS_PER_BLOCK if w_max > 0 else 1.0
    n_buckets = BUCKETS_PER_BLOCK + 2
    head = np.full(n_buckets, -1, np.int64)
    pool = 2 * (indices.size + 2 * n_walkers) + 16
    nxt = np.empty(pool, np.int64)
    node_of = np.empty(pool, np.int64)
    label_of = np.empty(pool, np.float64)
    for s in range(n_steps):
        dist[:] = np.inf
        n_src = 0
        for w in range(n_walkers):
            b = pos_block[s, w]
            if b < 0 or not pos_ok[s, w]:
                continue
            src_node[n_src] = edge_u[b]
            src_dist[n_src] = pos_off[s, w]
            src_node[n_src + 1] = edge_v[b]
            src_dist[n_src + 1] = edge_length[b] - pos_off[s, w]
            n_src += 2
        if not dijkstra_buckets(src_node, src_dist, n_src, indptr, indices, weights, delta, n_buckets, dist, head,
                                nxt, node_of, label_of, np.inf):
            head[:] = -1
            dist[:] = np.inf
            pos[:] = -1
            pred[:] = -1
            pred_edge[:] = -1
            dijkstra_heap(src_node, src_dist, n_src, indptr, indices, weights, no_edge, np.inf, dist, pred, pred_edge,
                          heap, pos, settled)
        for v in range(n_nodes):
            out[s, v] = dist[v]
    return out


@njit
def response_field_apsp(pos_block, pos_off, pos_ok, edge_u, edge_v, edge_length, node_dist):  # pragma: no cover
    """:func:`response_field` from all-pairs node distances (small networks: ``n_nodes**2`` floats).

    Per step and node, the minimum over available walkers of ``o + D[u, v]`` and ``len - o + D[v_b, v]``.
    Equal to :func:`response_field` up to floating-point rounding of the path sums (well below 1e-6 m).
    """
    n_steps, n_walkers = pos_block.shape
    n_nodes = node_dist.shape[0]
    out = np.empty((n_steps, n_nodes), np.float32)
    dist = np.empty(n_nodes, np.float64)
    for s in range(n_steps):
        dist[:] = np.inf
        for w in range(n_walkers):
            b = pos_block[s, w]
            if b < 0 or not pos_ok[s, w]:
                continue
            o = pos_off[s, w]
            r = edge_length[b] - o
            du = node_dist[edge_u[b]]
            dv = node_dist[edge_v[b]]
            for v in range(n_nodes):
                d = min(o + du[v], r + dv[v])
                if d < dist[v]:
                    dist[v] = d
        for v in range(n_nodes):
            out[s, v] = dist[v]
    return out


@njit
def point_distance(b, o, inc_block, inc_off, field, edge_u, edge_v, edge_length):  # pragma: no cover - numba
    """Network distance from a walker at ``(b, o)`` to an incident, given the incident's distance field.

    ``field`` holds the distance from the incident point to every node (one search from the point,
    :func:`patrol.path_kernels.point_dijkstra`); the walker reaches it through an end of its own block,
    or directly along the block when both are on the same one.
    """
    d = min(o + field[edge_u[b]], (edge_length[b] - o) + field[edge_v[b]])
    if b == inc_block:
        d = min(d, abs(o - inc_off))
    return d


@njit
def dispatch_incidents(inc_step, inc_frac, inc_block, inc_off, inc_busy, pos_block, pos_off, pos_ok, step_min,
                       inc_field, edge_u, edge_v, edge_length, speed_m_min):  # pragma: no cover - numba
    """Send each incident, in time order, to the nearest available walker.

    An incident at step ``inc_step`` (plus ``inc_frac`` of a step) goes to the walker with the
    shortest network distance among those available at that step (``pos_ok``) and not busy.  When
    nobody is available it waits for the first step where somebody is.  The chosen walker is busy
    from dispatch until ``travel + inc_busy`` minutes later, then resumes its own timeline (at the
    position the timeline has for it then).  ``inc_field[i]`` is incident ``i``'s distance field
    (metres from its point to every node): one search per incident, so memory is incidents x nodes
    instead of the nodes x nodes of all-pairs distances.

    Returns
    -------
    response_min : float64 (n_incidents,)
        Waiting plus travel time in minutes (``nan`` when nobody was available before the end).
    who : int64 (n_incidents,)
        Walker index, -1 when unanswered.
    distance_m : float64 (n_incidents,)
    """
    n_inc = inc_step.size
    n_steps, n_walkers = pos_block.shape
    busy_until = np.full(n_walkers, -np.inf)
    response = np.full(n_inc, np.nan)
    who = np.full(n_inc, -1, np.int64)
    dist_m = np.full(n_inc, np.nan)
    for i in range(n_inc):
        t_inc = (inc_step[i] + inc_frac[i]) * step_min
        s = inc_step[i]
        while s < n_steps:
            t = max(s * step_min, t_inc)
            best = -1
            best_d = np.inf
            for w in range(n_walkers):
                b = pos_block[s, w]
                if b < 0 or not pos_ok[s, w] or busy_until[w] > t:
                    continue
                d = point_distance(b, pos_off[s, w], inc_block[i], inc_off[i], inc_field[i], edge_u, edge_v,
                                   edge_length)
                if d < best_d:
                    best_d = d
                    best = w
            if best >= 0:
                travel = best_d / speed_m_min
                response[i] = (t - t_inc) + travel
                who[i] = best
                dist_m[i] = best_d
                busy_until[best] = t + travel + inc_busy[i]
                break
            s += 1
    return response, who, dist_m
