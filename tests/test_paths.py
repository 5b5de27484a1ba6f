"""Shortest paths (patrol.paths and its kernels): against networkx and SciPy, kernels against their twins."""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy.sparse.csgraph import dijkstra

from patrol import path_kernels, path_reference, paths
from patrol.coverage.synthetic import grid_arrays


@pytest.fixture(scope="module")
def grid():
    return grid_arrays(12, spacing_m=80.0, jitter=0.3, seed=3)


def test_all_pairs_equal_networkx_and_paths_add_up(uptown):
    a = uptown.arrays
    sp = paths.all_pairs(a)
    G = nx.MultiGraph()
    for e in range(a.n_edges):
        G.add_edge(int(a.edge_u[e]), int(a.edge_v[e]), key=e, w=float(a.edge_length[e]))
    for src in (uptown.base_index, 0, 57):
        ref = nx.single_source_dijkstra_path_length(G, src, weight="w")
        assert_allclose(sp.dist[src], [ref.get(i, np.inf) for i in range(a.n_nodes)], rtol=1e-12)
    rng = np.random.default_rng(5)
    for x, y in rng.integers(a.n_nodes, size=(40, 2)):
        x, y = int(x), int(y)
        steps = sp.path(x, y)
        node, total = x, 0.0
        for b, frm in steps:  # each step starts where the previous ended, on a real block
            assert frm == node and node in (a.edge_u[b], a.edge_v[b])
            node = int(a.edge_v[b] if a.edge_u[b] == node else a.edge_u[b])
            total += a.edge_length[b]
        assert node == y and total == pytest.approx(sp.dist[x, y])
        nodes, edges = paths.path_edges(sp, x, y)  # the same length (ties may take other blocks)
        assert nodes[0] == x and nodes[-1] == y and len(edges) == len(nodes) - 1
        for b, p, q in zip(edges, nodes, nodes[1:], strict=False):
            assert {p, q} == {int(a.edge_u[b]), int(a.edge_v[b])}
        assert sum(a.edge_length[b] for b in edges) == pytest.approx(sp.dist[x, y])
    assert_allclose(paths.node_distances(a), sp.dist)


def test_point_search_kernel_matches_its_twin(uptown):
    a = uptown.arrays
    rng = np.random.default_rng(7)
    for _ in range(20):
        b = int(rng.integers(a.n_edges))
        o = float(rng.uniform(0, a.edge_length[b]))
        seeds = np.array([a.edge_u[b], a.edge_v[b]], dtype=np.int64)
        sd = np.array([o, a.edge_length[b] - o])
        limit = float(rng.choice([np.inf, 400.0]))
        d1, p1, e1 = path_kernels.point_dijkstra(a.indptr, a.indices, a.weights, a.csr_edge, seeds, sd, limit)
        d2, p2, e2 = path_reference.point_dijkstra(a.indptr, a.indices, a.weights, a.csr_edge, seeds, sd, limit)
        assert_allclose(d1, d2)
        np.testing.assert_array_equal(p1, p2)  # both settle ties in (distance, node) order
        np.testing.assert_array_equal(e1, e2)
        for x in np.flatnonzero((p1 >= 0) & np.isfinite(d1)):  # each predecessor is consistent with distances
            assert d1[p1[x]] + a.edge_length[e1[x]] == pytest.approx(d1[x])
        if math.isfinite(limit):
            assert np.all(~np.isfinite(d1) | (d1 <= limit))
            whole = paths.from_point(a, b, o)[0]
            assert_allclose(d1[np.isfinite(d1)], whole[np.isfinite(d1)])
            assert np.all(whole[~np.isfinite(d1)] > limit)


def test_within_agrees_with_scipy_and_its_twin(grid):
    for limit in (0.0, 150.0, 400.0):
        ptr, nbr, dist = paths.within(grid, limit)
        rptr, rnbr, rdist = path_reference.bounded_distances(grid.indptr, grid.indices, grid.weights, limit)
        np.testing.assert_array_equal(ptr, rptr)
        np.testing.assert_array_equal(nbr, rnbr)
        np.testing.assert_array_equal(dist, rdist)
        full = dijkstra(grid.scipy_csr(), directed=False, limit=limit)
        i = np.repeat(np.arange(grid.n_nodes), np.diff(ptr))
        np.testing.assert_allclose(full[i, nbr], dist, rtol=1e-12)
        assert np.isfinite(full).sum() == nbr.size


def test_unreachable_target_is_an_error():
    sp = paths.all_pairs_shortest_paths(4, np.array([0, 2]), np.array([1, 3]), np.array([1.0, 1.0]))
    assert math.isinf(sp.dist[0, 3])
    with pytest.raises(ValueError, match="not reachable"):
        sp.path(0, 3)


def _dense_midpoints(a) -> np.ndarray:
    """Block midpoint distances the dense way: all-pairs node distances (SciPy), best pair of ends."""
    d = dijkstra(a.scipy_csr(), directed=False)
    u, v, half = a.edge_u, a.edge_v, a.edge_length / 2
    out = np.minimum.reduce([d[np.ix_(u, u)], d[np.ix_(u, v)], d[np.ix_(v, u)], d[np.ix_(v, v)]])
    out = out + half[:, None] + half[None, :]
    np.fill_diagonal(out, 0.0)
    return out


@pytest.mark.parametrize("limit", [0.0, 120.0, 600.0])
def test_blocks_within_is_the_dense_table_cut_at_the_limit(uptown, limit):
    a = uptown.arrays
    dense = _dense_midpoints(a)
    src = np.arange(0, a.n_edges, 3)
    ptr, nbr, dist = paths.blocks_within(a, src, limit)
    for i, b in enumerate(src):
        want = np.flatnonzero(dense[b] <= limit)
        np.testing.assert_array_equal(nbr[ptr[i]:ptr[i + 1]], want)
        assert_allclose(dist[ptr[i]:ptr[i + 1]], dense[b, want], rtol=1e-12, atol=1e-9)
    twin = path_reference.blocks_within(a.indptr, a.indices, a.weights, a.csr_edge, a.edge_u, a.edge_v,
                                        a.edge_length, src[:20], limit)
    ours = paths.blocks_within(a, src[:20], limit)
    for x, y in zip(ours, twin, strict=True):
        assert_allclose(x, y, rtol=1e-12)


def test_from_node_paths_agree_with_scipy(grid):
    full = dijkstra(grid.scipy_csr(), directed=False, indices=[5])[0]
    sp = paths.from_node(grid, 5)
    assert_allclose(sp.dist, full, rtol=1e-12)
    for target in (0, 77, grid.n_nodes - 1):
        node, total = 5, 0.0
        for b, frm in sp.path(target):
            assert frm == node
            node = int(grid.edge_v[b] if grid.edge_u[b] == node else grid.edge_u[b])
            total += grid.edge_length[b]
        assert node == target and total == pytest.approx(full[target])
    assert_allclose(paths.node_distances(grid, np.array([5, 9])), dijkstra(grid.scipy_csr(), directed=False,
                                                                            indices=[5, 9]))


def test_bucket_point_search_builds_the_heap_tree_even_with_ties():
    """point_dijkstra (bucket queue + tree read back from the distances) against the heap search, on a regular
    grid where most nodes have two equally short predecessors, and walk_back against its twin."""
    g = grid_arrays(15, spacing_m=100.0, jitter=0.0, seed=1)
    n = g.n_nodes
    for b, o, limit in ((0, 0.0, np.inf), (37, 25.0, np.inf), (100, 50.0, 650.0)):
        seeds = np.array([g.edge_u[b], g.edge_v[b]], dtype=np.int64)
        sd = np.array([o, g.edge_length[b] - o])
        d1, p1, e1 = path_kernels.point_dijkstra(g.indptr, g.indices, g.weights, g.csr_edge, seeds, sd, limit)
        d2, p2, e2 = np.full(n, np.inf), np.full(n, -1, np.int64), np.full(n, -1, np.int64)
        path_kernels.dijkstra_heap(seeds, sd, 2, g.indptr, g.indices, g.weights, g.csr_edge, limit, d2, p2, e2,
                                   np.empty(n, np.int64), np.full(n, -1, np.int64), np.empty(n, np.int64))
        np.testing.assert_array_equal(d1, d2)
        np.testing.assert_array_equal(p1, p2)
        np.testing.assert_array_equal(e1, e2)
        far = int(np.flatnonzero(np.isfinite(d1))[-1])
        for x, y in zip(path_kernels.walk_back(p1, e1, far), path_reference.walk_back(p1, e1, far), strict=True):
            np.testing.assert_array_equal(x, y)
