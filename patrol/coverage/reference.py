"""Plain NumPy / pure Python twins of the Numba kernels in :mod:`patrol.coverage.kernels`.

Same names, same arguments, same results (the tests check exact agreement); written for clarity,
not speed.  They are the baseline of ``scripts/bench_coverage.py``.
"""

from __future__ import annotations

import numpy as np

from patrol.path_reference import dijkstra

__all__ = [
    "dispatch_incidents",
    "point_distance",
    "presence_counts",
    "response_field",
    "revisit_scan",
    "sample_positions",
]


def sample_positions(walker, t0, t1, block, off0, off1, activity, n_walkers, times):
    """Reference of :func:`patrol.coverage.kernels.sample_positions` (``searchsorted`` per walker)."""
    times = np.asarray(times, np.float64)
    n_steps = times.size
    pos_block = np.full((n_steps, n_walkers), -1, np.int64)
    pos_off = np.zeros((n_steps, n_walkers), np.float64)
    pos_act = np.full((n_steps, n_walkers), -1, np.int64)
    for w in range(n_walkers):
        idx = np.flatnonzero(walker == w)
        if idx.size == 0:
            continue
        k = np.searchsorted(t0[idx], times, side="right") - 1
        ok = k >= 0
        legs = idx[np.maximum(k, 0)]
        ok &= times <= t1[legs] + 1e-9
        a, b = t0[legs], t1[legs]
        moving = b > a
        f = np.where(moving, (times - a) / np.where(moving, b - a, 1.0), 1.0)
        f = np.clip(f, 0.0, 1.0)
        off = np.where(moving, off0[legs] + f * (off1[legs] - off0[legs]), off1[legs])
        pos_block[ok, w] = block[legs][ok]
        pos_act[ok, w] = activity[legs][ok]
        pos_off[ok, w] = off[ok]
    return pos_block, pos_off, pos_act


def presence_counts(pos_block, pos_off, pos_ok, nb_indptr, nb_block, nb_du, nb_dv, edge_length, visibility_m,
                    n_blocks):
    """Reference of :func:`patrol.coverage.kernels.presence_counts` (one ``np.add.at`` per step)."""
    n_steps, _ = pos_block.shape
    counts = np.zeros((n_steps, n_blocks), np.int16)
    sizes = np.diff(nb_indptr)
    for s in range(n_steps):
        sel = (pos_block[s] >= 0) & pos_ok[s]
        b = pos_block[s][sel]
        o = pos_off[s][sel]
        if b.size == 0:
            continue
        rep = sizes[b]
        ks = np.concatenate([np.arange(nb_indptr[x], nb_indptr[x + 1]) for x in b])
        bb = np.repeat(b, rep)
        oo = np.repeat(o, rep)
        c = nb_block[ks]
        d = np.minimum(oo + nb_du[ks], edge_length[bb] - oo + nb_dv[ks])
        hit = (c == bb) | (d <= visibility_m)
        np.add.at(counts[s], c[hit], 1)
    return counts


def revisit_scan(counts, window_steps):
    """Reference of :func:`patrol.coverage.kernels.revisit_scan` (cumulative sums and run lengths)."""
    n_steps, n_blocks = counts.shape
    present = counts > 0
    csum = np.vstack([np.zeros((1, n_blocks), np.int64), np.cumsum(present, axis=0)])
    lo = np.maximum(np.arange(n_steps) - window_steps + 1, 0)
    recent = ((csum[1:] - csum[lo]) > 0).astype(np.uint8)
    run_block, run_len = [], []
    for b in range(n_blocks):
        padded = np.concatenate([[True], present[:, b], [True]])
        starts = np.flatnonzero(padded[:-1] & ~padded[1:])
        ends = np.flatnonzero(~padded[:-1] & padded[1:])
        run_block.extend([b] * starts.size)
        run_len.extend((ends - starts).tolist())
    return recent, np.array(run_block, np.int64), np.array(run_len, np.int64)


def response_field(pos_block, pos_off, pos_ok, edge_u, edge_v, edge_length, indptr, indices, weights, n_nodes):
    """Reference of :func:`patrol.coverage.kernels.response_field` (pure Python heap Dijkstra per step)."""
    n_steps, n_walkers = pos_block.shape
    out = np.empty((n_steps, n_nodes), np.float32)
    no_edge = np.full(len(indices), -1, np.int64)
    for s in range(n_steps):
        sources = []
        for w in range(n_walkers):
            b = int(pos_block[s, w])
            if b < 0 or not pos_ok[s, w]:
                continue
            sources.append((int(edge_u[b]), float(pos_off[s, w])))
            sources.append((int(edge_v[b]), float(edge_length[b] - pos_off[s, w])))
        out[s] = dijkstra(sources, indptr, indices, weights, no_edge, n_nodes)[0]
    return out


def point_distance(b, o, inc_block, inc_off, field, edge_u, edge_v, edge_length):
    """Reference of :func:`patrol.coverage.kernels.point_distance`."""
    d = min(o + field[edge_u[b]], (edge_length[b] - o) + field[edge_v[b]])
    if b == inc_block:
        d = min(d, abs(o - inc_off))
    return d


def dispatch_incidents(inc_step, inc_frac, inc_block, inc_off, inc_busy, pos_block, pos_off, pos_ok, step_min,
                       inc_field, edge_u, edge_v, edge_length, speed_m_min):
    """Reference of :func:`patrol.coverage.kernels.dispatch_incidents` (plain loops)."""
    n_steps, n_walkers = pos_block.shape
    busy_until = [-np.inf] * n_walkers
    n = len(inc_step)
    response = np.full(n, np.nan)
    who = np.full(n, -1, np.int64)
    dist_m = np.full(n, np.nan)
    for i in range(n):
        t_inc = (inc_step[i] + inc_frac[i]) * step_min
        for s in range(int(inc_step[i]), n_steps):
            t = max(s * step_min, t_inc)
            cands = [(point_distance(pos_block[s, w], pos_off[s, w], inc_block[i], inc_off[i], inc_field[i], edge_u,
                                     edge_v, edge_length), w)
                     for w in range(n_walkers)
                     if pos_block[s, w] >= 0 and pos_ok[s, w] and busy_until[w] <= t]
            if cands:
                d, w = min(cands, key=lambda c: (c[0], c[1]))
                travel = d / speed_m_min
                response[i] = (t - t_inc) + travel
                who[i] = w
                dist_m[i] = d
                busy_until[w] = t + travel + inc_busy[i]
                break
    return response, who, dist_m
