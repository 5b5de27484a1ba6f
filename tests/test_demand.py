"""Tests of patrol.demand: incident history loading, block demand and hot spots."""

from __future__ import annotations

import numpy as np
import pytest

from patrol.demand import block_demand, load_incident_history, top_hotspots
from patrol.errors import InputError


def test_proxy_demand_is_normalized_and_inside_the_area(uptown):
    w = block_demand(uptown)
    a = uptown.arrays
    assert w.shape == (a.n_edges,)
    np.testing.assert_allclose(w.sum(), 1.0)
    assert np.all(w[~a.edge_in_area] == 0)


def test_hotspots_are_distinct_non_touching_area_blocks(uptown):
    hs = top_hotspots(uptown, 5)
    a = uptown.arrays
    assert len(hs) == 5 and len(set(hs.tolist())) == 5
    assert a.edge_in_area[hs].all()
    ends = [{int(a.edge_u[b]), int(a.edge_v[b])} for b in hs]
    for i in range(5):
        for j in range(i + 1, 5):
            assert not ends[i] & ends[j]


def test_history_drives_the_hotspots(uptown, tmp_path):
    # 30 incidents on one block far from the busiest corner: it must become hot spot 1
    a = uptown.arrays
    target = int(np.flatnonzero(a.edge_in_area & ~a.edge_corridor & (a.edge_length > 60))[0])
    lat, lon = uptown.geocoder.point_on_block(target, a.edge_length[target] / 2)
    rows = "\n".join(f"{lat},{lon},2024-05-0{1 + i % 9} 12:00,disturbance" for i in range(30))
    p = tmp_path / "h.csv"
    p.write_text("Y,X,when,kind\n" + rows + "\n")
    hist = load_incident_history(p, columns={"lat": "Y", "lon": "X", "time": "when", "type": "kind"})
    assert len(hist) == 30
    assert int(top_hotspots(uptown, 3, hist)[0]) == target


def test_bad_value_names_line_and_column(tmp_path):
    p = tmp_path / "h.csv"
    p.write_text("lat,lon,time,type\n44.95,-93.29,2024-01-01 10:00,x\n44.95,abc,2024-01-01 10:00,x\n")
    with pytest.raises(InputError) as err:
        load_incident_history(p)
    assert "line 3" in err.value.message and "'lon'" in err.value.message


def test_missing_column_is_named(tmp_path):
    p = tmp_path / "h.csv"
    p.write_text("latitude,lon\n1,2\n")
    with pytest.raises(InputError, match="no column 'lat'"):
        load_incident_history(p)


def test_bad_time_is_refused(tmp_path):
    p = tmp_path / "h.csv"
    p.write_text("lat,lon,time\n44.95,-93.29,yesterday\n")
    with pytest.raises(InputError, match="line 2"):
        load_incident_history(p)


def test_bounded_smoothing_matches_the_dense_sum_on_uptown(uptown):
    """The demand model cuts its Gaussian at 5 bandwidths: against the dense block x block sum (all-pairs
    distances from SciPy, the former implementation) the weights agree and the hot spots do not move."""
    from scipy.sparse.csgraph import dijkstra

    from patrol.demand import smooth

    a = uptown.arrays
    d = dijkstra(a.scipy_csr(), directed=False)
    u, v, half = a.edge_u, a.edge_v, a.edge_length / 2
    mid = np.minimum.reduce([d[np.ix_(u, u)], d[np.ix_(u, v)], d[np.ix_(v, u)], d[np.ix_(v, v)]])
    mid = mid + half[:, None] + half[None, :]
    np.fill_diagonal(mid, 0.0)
    raw = np.zeros(a.n_edges)
    np.add.at(raw, uptown.business_blocks[0][uptown.business_in_area()], 1.0)
    raw = np.where(a.edge_in_area, raw, 0.0)
    dense = raw @ np.exp(-0.5 * (mid / 120.0) ** 2)
    bounded = smooth(uptown, raw, 120.0)
    assert np.abs(bounded - dense).max() <= 1e-5 * dense.max()
    assert np.abs(bounded - dense).max() > 0  # the cut is real: far pairs are left out
    dense_w = np.where(a.edge_in_area, dense, 0.0)
    dense_w /= dense_w.sum()
    np.testing.assert_allclose(block_demand(uptown), dense_w, rtol=0, atol=1e-5 * dense_w.max())
    assert top_hotspots(uptown, 5).tolist() == top_hotspots(uptown, 5, demand=dense_w).tolist()
    # a cut at one bandwidth is not negligible: the test can tell
    assert np.abs(smooth(uptown, raw, 120.0, cutoff=1.0) - dense).max() > 1e-3 * dense.max()
