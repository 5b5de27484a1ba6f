"""Presence, response field, strategies, Monte Carlo and tracks on small fixtures and on Uptown."""

from __future__ import annotations

import numpy as np
import pytest

from patrol.coverage.montecarlo import IncidentModel, bootstrap_ci, draw_incidents, simulate_day
from patrol.coverage.presence import (
    block_neighbourhoods,
    hotspot_compliance,
    presence_counts,
    sample_timeline,
    score_presence,
    visible_hours,
)
from patrol.coverage.response import response_minutes, score_response
from patrol.coverage.strategies import (
    StrategyOptions,
    choose_posts,
    posts_timeline,
    random_walk_timeline,
    shift_breaks,
    unit_names,
)
from patrol.coverage.synthetic import grid_arrays
from patrol.coverage.tracks import minutes_after_midnight, timeline_from_pings
from patrol.coverage.weights import block_weights, top_blocks
from patrol.district import District, load_district
from patrol.errors import ConfigError, InputError
from patrol.paths import node_distances
from patrol.timeline import Leg, Timeline


@pytest.fixture(scope="module")
def uptown():
    return load_district()


@pytest.fixture(scope="module")
def weights(uptown):
    return block_weights(uptown)


# ------------------------------------------------------------------------------------------- presence
def test_visible_hours_counts_visible_legs_in_area_and_pairs():
    tl = Timeline({
        "a": [Leg(600, 660, 0, 0, 50, "walk"), Leg(660, 690, 0, 50, 50, "break"), Leg(690, 720, 1, 0, 0, "post")],
        "b+c": [Leg(600, 630, 2, 0, 0, "dwell"), Leg(630, 640, 2, 0, 0, "respond")],
    })
    h = visible_hours(tl)
    assert h["per_walker"] == {"a": 1.5, "b+c": 0.5}
    assert h["total"] == pytest.approx(1.5 + 2 * 0.5)  # a pair counts twice
    in_area = np.array([True, False, True])
    assert visible_hours(tl, in_area=in_area)["total"] == pytest.approx(1.0 + 1.0)
    assert visible_hours(tl, start_min=650, end_min=700)["per_walker"]["a"] == pytest.approx(20 / 60)


def test_score_presence_on_a_hand_made_day():
    g = grid_arrays(3, spacing_m=100.0)
    corridor = np.zeros(g.n_edges, bool)
    corridor[[0, 1]] = True
    g = g.__class__(**{**vars(g), "edge_corridor": corridor})
    # walker on block 0 for minutes 0-9, then on block 1 for minutes 10-19, then breaks until minute 40
    tl = Timeline({"w": [Leg(0, 10, 0, 50, 50, "post"), Leg(10, 20, 1, 50, 50, "post"),
                         Leg(20, 40, 1, 50, 50, "break")]})
    pos = sample_timeline(tl, 0, 40)
    counts = presence_counts(pos, g, block_neighbourhoods(g, 0.0))
    assert counts[:10, 0].tolist() == [1] * 10 and counts[10:, 0].sum() == 0
    sc = score_presence(counts, pos, g, window_min=5)
    # "visited in the last 5 minutes": block 0 at steps 0-13, block 1 at steps 10-23 -> 28 of 80 block-minutes
    assert sc.corridor_recent_share == pytest.approx(28 / 80)
    assert sc.corridor_gap_max_min == 30  # block 0: absent minutes 10..39
    assert sorted(sc.corridor_gaps_min.tolist()) == [10, 20, 30]
    assert sc.visible_hours == pytest.approx(20 / 60)
    assert sc.corridor_blocks_never_visited == 0


def test_hotspot_compliance():
    legs = [Leg(600, 612, 7, 5, 5, "dwell"), Leg(612, 700, 3, 0, 80, "walk"), Leg(700, 705, 7, 5, 5, "dwell"),
            Leg(705, 714, 7, 5, 5, "checkin"), Leg(714, 800, 3, 0, 80, "walk"), Leg(830, 850, 7, 5, 5, "dwell")]
    tl = Timeline({"a": legs})
    res = hotspot_compliance(tl, [7, 9], dwell_min=(10, 15), revisit_min=120, start_min=600, end_min=960)
    h7, h9 = res["per_hotspot"]
    assert h7["stops"] == 3 and h7["compliant"]  # 12 min, 5+9 merged = 14 min, 20 min; gaps 88, 116, 110
    assert h7["max_gap_min"] == pytest.approx(116)
    assert not h9["compliant"] and h9["stops"] == 0
    assert res["share_compliant"] == 0.5
    assert res["share_stops_in_range"] == pytest.approx(2 / 3)  # the 20-minute stop is too long
    late = hotspot_compliance(tl, [7], revisit_min=100, start_min=600, end_min=960)
    assert not late["per_hotspot"][0]["compliant"]


# ------------------------------------------------------------------------------------------- response
def test_response_field_on_uptown_more_walkers_is_faster(uptown, weights):
    st = uptown.settings
    out = {}
    for size in (4, 10):
        d = District(st.replace(roster__size=size), uptown.graph.copy(), uptown.businesses)
        tl = posts_timeline(d, weights, StrategyOptions(name="posts"))
        pos = sample_timeline(tl, st.shift.start_min, st.shift.end_min, 5.0)
        field = response_minutes(pos, d.arrays, st.speeds.response_m_s)
        field_apsp = response_minutes(pos, d.arrays, st.speeds.response_m_s, node_dist=node_distances(d.arrays))
        np.testing.assert_allclose(field_apsp, field, rtol=1e-6)
        out[size] = score_response(field, d.arrays)
    assert out[10].mean_min < out[4].mean_min
    assert out[10].share_within["5"] > out[4].share_within["5"]
    assert 0 < out[4].share_within["3"] <= out[4].share_within["5"] <= out[4].share_within["10"] <= 1


# ------------------------------------------------------------------------------------------ strategies
def test_breaks_are_staggered_and_inside_the_shift(uptown):
    st = uptown.settings
    br = shift_breaks(st, 8)
    meals = [next(a for a, b in items if b - a == st.breaks.meal_min) for items in br]
    assert len(set(meals)) == 8  # staggered meal starts
    for items in br:
        assert sum(b - a for a, b in items) == st.breaks.meal_min + st.breaks.rest_count * st.breaks.rest_min
        for (_, b), (c, _) in zip(items, items[1:], strict=False):
            assert b <= c
        assert all(st.shift.start_min <= a and b <= st.shift.end_min for a, b in items)


def test_unit_names_pairs(uptown):
    st = uptown.settings.replace(roster__pairs=True, roster__size=7)
    assert unit_names(st) == ["lead+amb2", "amb3+amb4", "amb5+amb6+amb7"]


def test_choose_posts_maximal_coverage_on_a_line():
    g = grid_arrays(2, spacing_m=100.0)  # a square: 4 nodes, 4 blocks
    w = np.array([1.0, 0.0, 0.0, 5.0])
    posts = choose_posts(g, w, 1, radius_m=60.0)
    # the heavy block 3 (nodes 2-3) must be covered: the post is one of its ends
    assert int(posts[0]) in (int(g.edge_u[3]), int(g.edge_v[3]))
    assert len(choose_posts(g, w, 2, radius_m=60.0)) == 2
    with pytest.raises(ConfigError):
        choose_posts(g, np.zeros(4), 1, radius_m=60.0)


def test_posts_timeline_is_valid_and_stationary(uptown, weights):
    tl = posts_timeline(uptown, weights, StrategyOptions(name="posts"))
    assert len(tl.walkers) == uptown.settings.roster.size
    for legs in tl.legs.values():
        assert legs[-1].t1 == uptown.settings.shift.end_min
        posts = [leg for leg in legs if leg.activity == "post"]
        assert len({(leg.block, leg.off0) for leg in posts}) == 1
        assert uptown.arrays.edge_in_area[posts[0].block]


def test_random_walk_stays_on_the_corridor_and_is_seeded(uptown):
    a = random_walk_timeline(uptown, 11)
    b = random_walk_timeline(uptown, 11)
    c = random_walk_timeline(uptown, 12)
    assert a.to_dict() == b.to_dict() and a.to_dict() != c.to_dict()
    corridor = uptown.arrays.edge_corridor
    for legs in a.legs.values():
        walk = [leg for leg in legs[5:] if leg.activity == "walk"]
        assert np.mean([corridor[leg.block] for leg in walk]) > 0.9
        assert legs[-1].t1 == pytest.approx(uptown.settings.shift.end_min)


# ----------------------------------------------------------------------------------------- Monte Carlo
def test_incident_model_rate_and_mix(uptown, weights):
    m = IncidentModel()
    assert m.expected_count(600, 1080) == pytest.approx(1.6)
    assert m.expected_count(720, 1200) > m.expected_count(600, 1080)  # busier evenings
    assert "neighborhood support" not in m.type_weights
    rng = np.random.default_rng(0)
    big = IncidentModel(per_shift=400.0)
    t, types, blocks, offs, busy = draw_incidents(big, 600, 1080, weights, uptown.arrays.edge_length, rng)
    assert 300 < t.size < 500 and np.all(np.diff(t) >= 0) and t.min() >= 600 and t.max() < 1080
    assert weights[blocks].min() > 0
    assert np.all(offs <= uptown.arrays.edge_length[blocks])
    assert types.count("safety and wellness") > types.count("mental health")
    assert set(busy) <= set(m.busy_min.values())


def test_simulate_day_busy_ambassador_is_not_sent_again():
    from patrol.coverage.montecarlo import incident_fields

    g = grid_arrays(5, spacing_m=100.0)
    # one walker standing all day: two incidents a minute apart, long busy time -> second waits
    tl = Timeline({"w": [Leg(0, 120, 0, 0, 0, "post")]})
    pos = sample_timeline(tl, 0, 120)
    model = IncidentModel(per_shift=1.0, busy_min={"disturbance": 30.0}, type_weights={"disturbance": 1.0},
                          hourly_profile=(1.0,) * 24)
    from patrol.coverage import kernels

    step = np.array([10, 11])
    frac = np.zeros(2)
    blk = np.array([0, 0])
    off = np.array([50.0, 50.0])
    busy = np.array([30.0, 30.0])
    resp, who, _ = kernels.dispatch_incidents(step, frac, blk, off, busy, pos.block, pos.offset, pos.visible(),
                                                 1.0, incident_fields(g, blk, off), g.edge_u, g.edge_v,
                                                 g.edge_length, 50.0)
    assert who.tolist() == [0, 0]
    assert resp[0] == pytest.approx(1.0)  # 50 m at 50 m/min
    assert resp[1] == pytest.approx((41 - 11) + 1.0)  # waits until 10 + 1 + 30 = 41
    day = simulate_day(pos, g, np.ones(g.n_edges), model, 1.4, np.random.default_rng(1))
    assert day.response_min.size == day.walker.size


def test_bootstrap_ci_is_deterministic_and_brackets():
    per = [np.array([1.0, 2.0]), np.array([3.0]), np.array([]), np.array([4.0, 6.0])]
    a = bootstrap_ci(per, np.mean, seed=3)
    assert a == bootstrap_ci(per, np.mean, seed=3)
    assert a[1] <= a[0] <= a[2]
    assert np.isnan(bootstrap_ci([], np.mean)[0])


# ------------------------------------------------------------------------------------------------ tracks
def test_timeline_from_pings_dwell_walk_jump_and_gaps(uptown):
    a = uptown.arrays
    geo = uptown.geocoder
    # block 10 then a block sharing its v end
    b0 = 10
    v = int(a.edge_v[b0])
    nxt = next(int(a.csr_edge[k]) for k in range(a.indptr[v], a.indptr[v + 1]) if a.csr_edge[k] != b0)
    L0 = float(a.edge_length[b0])
    pts = [geo.point_on_block(b0, 0.3 * L0), geo.point_on_block(b0, 0.3 * L0), geo.point_on_block(b0, 0.8 * L0),
           geo.point_on_block(nxt, 0.5 * float(a.edge_length[nxt])), geo.point_on_block(nxt, 0.5)]
    times = [600.0, 605.0, 607.0, 609.0, 640.0]  # last ping 31 min later: not joined
    tl = timeline_from_pings(uptown, ["x"] * 5, times, [p[0] for p in pts], [p[1] for p in pts])
    legs = tl.legs["x"]
    assert [leg.activity for leg in legs] == ["dwell", "walk", "walk", "walk"]
    assert legs[0].block == b0 and legs[0].t1 - legs[0].t0 == 5
    assert legs[2].block == b0 and legs[3].block == nxt  # the jump goes through the shared end
    assert legs[2].off1 == pytest.approx(L0) if int(a.edge_v[b0]) == v else True
    assert legs[-1].t1 == 609.0
    h = visible_hours(tl)["total"]
    assert h == pytest.approx(9 / 60)
    with pytest.raises(InputError):
        timeline_from_pings(uptown, ["x"], [1.0, 2.0], [0.0], [0.0])


def test_minutes_after_midnight():
    import datetime as dt

    assert minutes_after_midnight([dt.datetime(2026, 5, 1, 10, 30, 30)])[0] == pytest.approx(630.5)
    assert minutes_after_midnight(np.array(["2026-05-01T12:00"], dtype="datetime64[m]"))[0] == 720.0


def test_weights_and_hotspots(uptown, weights):
    assert weights.shape == (uptown.arrays.n_edges,)
    assert np.all(weights[~uptown.arrays.edge_in_area] == 0)
    top = top_blocks(weights, 5)
    assert len(top) == 5 and weights[top[0]] == weights.max()


def test_weights_from_incident_history(uptown, tmp_path):
    a = uptown.arrays
    b = int(np.flatnonzero(a.edge_in_area)[10])
    lat, lon = uptown.geocoder.point_on_block(b, float(a.edge_length[b]) / 2)
    path = tmp_path / "history.csv"
    path.write_text("lat,lon,type\n" + "".join(f"{lat},{lon},disturbance\n" for _ in range(5)), encoding="utf-8")
    w = block_weights(uptown, history=path)
    assert int(np.argmax(w)) == b
    with pytest.raises(InputError):
        block_weights(uptown, history=tmp_path / "missing.csv")
