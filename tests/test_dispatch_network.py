"""Point-to-point walking distances and routes (patrol.dispatch.network)."""

from __future__ import annotations

import numpy as np
import pytest
from network_reference import nx_point_distance
from numpy.testing import assert_allclose

from patrol.dispatch.network import Network
from patrol.district import load_district
from patrol.errors import InputError


@pytest.fixture(scope="module")
def district():
    return load_district()


@pytest.fixture(scope="module")
def net(district):
    return Network.from_district(district)


def test_distances_equal_networkx_with_offsets(district, net):
    rng = np.random.default_rng(11)
    G = district.graph
    L = net.arrays.edge_length
    pairs = []
    for _ in range(40):
        b1, b2 = (int(x) for x in rng.integers(net.arrays.n_edges, size=2))
        pairs.append(((b1, float(rng.uniform(0, L[b1]))), (b2, float(rng.uniform(0, L[b2])))))
    b = 5  # the same block, and the block ends
    pairs += [((b, 3.0), (b, L[b] - 2.0)), ((b, 0.0), (b, float(L[b]))), ((17, 0.0), (40, float(L[40])))]
    for p1, p2 in pairs:
        want = nx_point_distance(G, p1, p2)
        fld = net.field(*p1)
        assert fld.distance_to(*p2) == pytest.approx(want, abs=1e-6)
        assert net.distance(*p2, *p1) == pytest.approx(want, abs=1e-6)  # symmetric
        assert fld.distances_to(np.array([p2[0]]), np.array([p2[1]]))[0] == pytest.approx(want, abs=1e-6)


def test_route_length_streets_and_ends(district, net):
    rng = np.random.default_rng(3)
    L = net.arrays.edge_length
    names = net.arrays.edge_name
    for _ in range(25):
        b1, b2 = (int(x) for x in rng.integers(net.arrays.n_edges, size=2))
        o1, o2 = float(rng.uniform(0, L[b1])), float(rng.uniform(0, L[b2]))
        fld = net.field(b1, o1)
        route = fld.route_to(b2, o2)
        assert route is not None
        assert route.distance_m == pytest.approx(fld.distance_to(b2, o2))
        # walked length rebuilt from the blocks: partial ends + whole blocks in between
        if len(route.blocks) >= 2:
            inner = sum(L[e] for e in route.blocks[1:-1])
            assert inner <= route.distance_m + 1e-6
        # street names: in walking order, no consecutive duplicates, all from the blocks walked
        assert all(a != b for a, b in zip(route.streets, route.streets[1:], strict=False))
        assert set(route.streets) <= {names[e] for e in route.blocks}
        # geometry starts at the responder and ends at the incident
        start = net.point_on_block(b2, o2)
        end = net.point_on_block(b1, o1)
        assert_allclose(route.coordinates[0], start, atol=1e-7)
        assert_allclose(route.coordinates[-1], end, atol=1e-7)
        gj = route.geojson()
        assert gj["type"] == "LineString" and len(gj["coordinates"]) >= 2


def test_point_along_lies_on_a_shortest_route_at_the_distance_walked(district, net):
    # networkx reference: the point Q reached after w metres from P towards S is w from P and D - w from S
    rng = np.random.default_rng(21)
    L = net.arrays.edge_length
    G = district.graph
    checked = 0
    for _ in range(12):
        b1, b2 = (int(x) for x in rng.integers(net.arrays.n_edges, size=2))
        src, start = (b1, float(rng.uniform(0, L[b1]))), (b2, float(rng.uniform(0, L[b2])))
        fld = net.field(*src)
        total = nx_point_distance(G, start, src)
        for w in (0.0, 0.25 * total, 0.5 * total, 0.9 * total, total, total + 50.0):
            q = fld.point_along(*start, w)
            assert 0.0 - 1e-9 <= q[1] <= L[q[0]] + 1e-9
            walked = min(w, total)
            assert nx_point_distance(G, start, q) == pytest.approx(walked, abs=1e-6)
            assert nx_point_distance(G, q, src) == pytest.approx(total - walked, abs=1e-6)
            checked += 1
    assert checked == 72
    # the same block: straight along it
    assert net.field(5, 30.0).point_along(5, 10.0, 15.0) == (5, pytest.approx(25.0))
    assert net.field(5, 10.0).point_along(5, 30.0, 15.0) == (5, pytest.approx(15.0))


def test_route_same_block_is_direct(net):
    fld = net.field(5, 10.0)
    r = fld.route_to(5, 30.0)
    assert r.blocks == [5] and r.distance_m == pytest.approx(20.0)


def test_bad_points_are_refused(net):
    with pytest.raises(InputError):
        net.field(10_000, 0.0)
    with pytest.raises(InputError):
        net.field(3, float("nan"))
    # offsets beyond the block are clamped, not an error
    assert net.field(3, -5.0).offset_m == 0.0
