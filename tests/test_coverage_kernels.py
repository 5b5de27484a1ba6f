"""Every Numba kernel of patrol.coverage.kernels against its reference in patrol.coverage.reference."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.sparse import coo_array
from scipy.sparse.csgraph import dijkstra

from patrol.coverage import kernels, reference
from patrol.coverage.presence import block_neighbourhoods, sample_timeline
from patrol.coverage.synthetic import grid_arrays, random_walkers
from patrol.paths import node_distances
from patrol.timeline import Leg, Timeline


@pytest.fixture(scope="module")
def grid():
    return grid_arrays(12, spacing_m=80.0, jitter=0.3, seed=3)


@pytest.fixture(scope="module")
def walk(grid):
    tl = random_walkers(grid, 7, start_min=600, end_min=720, speed_m_min=60.0, seed=4)
    # add a break and a post to exercise activity codes
    legs = dict(tl.legs)
    legs["poster"] = [Leg(600, 640, 5, 10.0, 10.0, "post"), Leg(640, 655, 5, 10.0, 10.0, "break"),
                      Leg(655, 700, 5, 10.0, 80.0, "walk")]
    return Timeline(legs)


def _arrays_of(tl):
    a = tl.to_arrays()
    return a["walker"], a["t0"], a["t1"], a["block"], a["off0"], a["off1"], a["activity"], len(tl.walkers)


def test_sample_positions_agree_and_match_timeline(walk):
    times = 600 + np.arange(130) * 0.93
    got = kernels.sample_positions(*_arrays_of(walk), times)
    ref = reference.sample_positions(*_arrays_of(walk), times)
    for g, r in zip(got, ref, strict=True):
        np.testing.assert_array_equal(g, r)
    block, off, _ = got
    for wi, w in enumerate(walk.walkers):
        for s in (0, 17, 60, 99, 129):
            p = walk.position(w, times[s])
            if p is None:
                assert block[s, wi] == -1
            else:
                assert block[s, wi] == p[0]
                assert off[s, wi] == pytest.approx(p[1])


def test_presence_counts_agree(grid, walk):
    pos = sample_timeline(walk, 600, 720)
    for vis in (0.0, 45.0, 200.0):
        nb = block_neighbourhoods(grid, vis)
        nbr = block_neighbourhoods(grid, vis, use_reference=True)
        for name in ("indptr", "block", "du", "dv"):
            np.testing.assert_array_equal(getattr(nb, name), getattr(nbr, name))
        args = (pos.block, pos.offset, pos.visible(), nb.indptr, nb.block, nb.du, nb.dv, grid.edge_length, vis,
                grid.n_edges)
        got = kernels.presence_counts(*args)
        np.testing.assert_array_equal(got, reference.presence_counts(*args))
        assert got.sum() >= pos.visible().sum()  # each visible walker at least on its own block


def test_presence_visibility_is_along_the_network():
    # a path 0 -100- 1 -100- 2: a walker at 30 m on block 0 sees block 1 within 70 m, not within 69 m
    g = grid_arrays(3, spacing_m=100.0)
    pos_block = np.array([[0]])
    pos_off = np.array([[30.0]])
    ok = np.array([[True]])
    for vis, expect in ((69.0, False), (70.0, True)):
        nb = block_neighbourhoods(g, vis)
        c = kernels.presence_counts(pos_block, pos_off, ok, nb.indptr, nb.block, nb.du, nb.dv, g.edge_length, vis,
                                    g.n_edges)
        assert c[0, 0] == 1
        # block 1 joins node 1 to node 2 (the v end of block 0 is node 1)
        assert g.edge_u[1] == 1 and g.edge_v[0] == 1
        assert bool(c[0, 1]) is expect


def test_revisit_scan_agrees_and_counts_runs():
    rng = np.random.default_rng(5)
    counts = (rng.random((50, 9)) < 0.2).astype(np.int16)
    counts[:, 3] = 0  # never visited
    counts[:, 4] = 1  # always
    for window in (1, 7, 60):
        got = kernels.revisit_scan(counts, window)
        ref = reference.revisit_scan(counts, window)
        for g, r in zip(got, ref, strict=True):
            np.testing.assert_array_equal(g, r)
    recent, rb, rl = kernels.revisit_scan(counts, 7)
    assert rl[rb == 3].tolist() == [50]
    assert (rb == 4).sum() == 0
    # absent minutes = sum of runs, per block
    np.testing.assert_array_equal(np.bincount(rb, weights=rl, minlength=9), (counts == 0).sum(axis=0))
    assert recent[:, 4].all() and not recent[:, 3].any()


def _scipy_field(pos_block, pos_off, ok, a):
    base = a.scipy_csr().tocoo()
    n = a.n_nodes
    out = np.empty(pos_block.shape[0:1] + (n,))
    for s in range(pos_block.shape[0]):
        sel = (pos_block[s] >= 0) & ok[s]
        b, o = pos_block[s][sel], pos_off[s][sel]
        seed = np.full(n, np.inf)
        np.minimum.at(seed, a.edge_u[b], o)
        np.minimum.at(seed, a.edge_v[b], a.edge_length[b] - o)
        hit = np.flatnonzero(np.isfinite(seed))
        g = coo_array((np.concatenate([base.data, np.maximum(seed[hit], 1e-12)]),
                       (np.concatenate([base.row, np.full(hit.size, n)]), np.concatenate([base.col, hit]))),
                      shape=(n + 1, n + 1)).tocsr()
        out[s] = dijkstra(g, directed=True, indices=n)[:n]
    return out


def test_response_field_agrees_with_reference_and_scipy(grid, walk):
    pos = sample_timeline(walk, 600, 720, 3.0)
    ok = pos.visible()
    ok[5] = False  # a step where nobody is available
    args = (pos.block, pos.offset, ok, grid.edge_u, grid.edge_v, grid.edge_length, grid.indptr, grid.indices,
            grid.weights, grid.n_nodes)
    got = kernels.response_field(*args)
    ref = reference.response_field(*args)
    np.testing.assert_array_equal(got, ref)  # exact
    assert np.isinf(got[5]).all()
    sp = _scipy_field(pos.block, pos.offset, ok, grid)
    fin = np.isfinite(sp)
    np.testing.assert_array_equal(fin, np.isfinite(got))
    np.testing.assert_allclose(got[fin], sp[fin], rtol=1e-6, atol=1e-6)  # float32 output
    # the all-pairs variant: equal up to rounding of the path sums (stated tolerance 1e-6 m before float32)
    apsp = kernels.response_field_apsp(pos.block, pos.offset, ok, grid.edge_u, grid.edge_v, grid.edge_length,
                                       node_distances(grid))
    np.testing.assert_allclose(apsp[fin], got[fin], rtol=1e-6, atol=1e-6)
    assert np.isinf(apsp[5]).all()


def test_point_distance_and_dispatch_agree(grid):
    """Kernels against their twins (exactly), and against the all-pairs formula they replaced (SciPy distances)."""
    from patrol.coverage.montecarlo import incident_fields

    nd = node_distances(grid)
    rng = np.random.default_rng(8)
    for _ in range(30):
        b1, b2 = rng.integers(grid.n_edges, size=2)
        o1, o2 = rng.random(2) * grid.edge_length[[b1, b2]]
        field = incident_fields(grid, np.array([b2]), np.array([o2]))[0]
        args = (b1, o1, b2, o2, field, grid.edge_u, grid.edge_v, grid.edge_length)
        assert kernels.point_distance(*args) == reference.point_distance(*args)
        ends1 = ((grid.edge_u[b1], o1), (grid.edge_v[b1], grid.edge_length[b1] - o1))
        ends2 = ((grid.edge_u[b2], o2), (grid.edge_v[b2], grid.edge_length[b2] - o2))
        apsp = min(a + nd[x, y] + c for x, a in ends1 for y, c in ends2)
        if b1 == b2:
            apsp = min(apsp, abs(o1 - o2))
        assert kernels.point_distance(*args) == pytest.approx(apsp, rel=1e-12, abs=1e-9)
    field = incident_fields(grid, np.array([3]), np.array([50.0]))[0]
    assert kernels.point_distance(3, 10.0, 3, 50.0, field, grid.edge_u, grid.edge_v, grid.edge_length) == 40.0
    n_steps, n_w = 40, 4
    pos_block = rng.integers(grid.n_edges, size=(n_steps, n_w))
    pos_off = rng.random((n_steps, n_w)) * grid.edge_length[pos_block]
    ok = rng.random((n_steps, n_w)) < 0.7
    ok[20:26] = False  # nobody: incidents wait
    n_inc = 15
    inc = (np.sort(rng.integers(n_steps, size=n_inc)), rng.random(n_inc), rng.integers(grid.n_edges, size=n_inc))
    inc_off = rng.random(n_inc) * grid.edge_length[inc[2]]
    busy = rng.uniform(3, 12, n_inc)
    fields = incident_fields(grid, inc[2], inc_off)
    np.testing.assert_array_equal(fields, incident_fields(grid, inc[2], inc_off, use_reference=True))
    args = (inc[0], inc[1], inc[2], inc_off, busy, pos_block, pos_off, ok, 1.0, fields, grid.edge_u, grid.edge_v,
            grid.edge_length, 84.0)
    got = kernels.dispatch_incidents(*args)
    ref = reference.dispatch_incidents(*args)
    for g, r in zip(got, ref, strict=True):
        np.testing.assert_array_equal(g, r)
    assert (got[1] >= 0).any()


def test_response_field_light_edges_and_heap_fallback_agree(grid, walk, monkeypatch):
    """Very short blocks (shorter than a bucket) are reprocessed exactly; a tiny entry pool falls back to the heap."""
    w = grid.weights.copy()
    w[grid.csr_edge == 0] = 0.5
    w[grid.csr_edge == 7] = 0.0
    el = grid.edge_length.copy()
    el[0], el[7] = 0.5, 0.0
    pos = sample_timeline(walk, 600, 720, 4.0)
    pos_off = np.minimum(pos.offset, el[np.maximum(pos.block, 0)])
    args = (pos.block, pos_off, pos.visible(), grid.edge_u, grid.edge_v, el, grid.indptr, grid.indices, w,
            grid.n_nodes)
    ref = reference.response_field(*args)
    np.testing.assert_array_equal(kernels.response_field(*args), ref)
    # heap fallback (taken when the bucket queue's entry pool runs out): run the kernel's Python code with
    # the bucket queue reporting an overflow on every step
    monkeypatch.setattr(kernels, "dijkstra_buckets", lambda *a: False)
    got = kernels.response_field.py_func(pos.block[:3], pos_off[:3], pos.visible()[:3], grid.edge_u, grid.edge_v,
                                         el, grid.indptr, grid.indices, w, grid.n_nodes)
    np.testing.assert_array_equal(got, ref[:3])
