"""The stages of the daily plan (patrol.planning): corridor segments, check-in and area assignment, area
tours, the scheduler's corridor promise, and the repairs of spare time."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from patrol.paths import all_pairs
from patrol.planning.assign import assign_area, assign_checkins
from patrol.planning.breaks import plan_breaks
from patrol.planning.duties import checkins_due, day_input, hotspots, unit_specs
from patrol.planning.model import Unit
from patrol.planning.repair import _walked, even_out, fill_leftovers
from patrol.planning.scheduler import run_segments
from patrol.planning.score import tally
from patrol.planning.segments import _split, corridor_segments, segment_load
from patrol.planning.tours import area_tours
from patrol.timeline import Leg


@pytest.fixture(scope="module")
def day(uptown):
    hot, _ = hotspots(uptown)
    inp = day_input(uptown, uptown.settings, hot, checkins_due(uptown, "tue"), seed=0)
    return inp, all_pairs(uptown.arrays)


def _segments(uptown, inp, net, k):
    a = uptown.arrays
    corr = [int(b) for b in np.flatnonzero(inp.edge_corridor)]
    return corridor_segments(corr, k, edge_u=a.edge_u, edge_v=a.edge_v, edge_length=a.edge_length, names=a.edge_name,
                             load=segment_load(inp), speed_m_min=inp.speed_m_min, net=net, max_round_min=25.0)


@pytest.mark.parametrize("k", [1, 2, 7, 8, 12])
def test_segments_cover_the_corridor_once_with_closed_rounds(uptown, day, k):
    inp, net = day
    segs = _segments(uptown, inp, net, k)
    assert 1 <= len(segs) <= k
    blocks = sorted(b for s in segs for b in s.blocks)
    assert blocks == sorted(int(b) for b in np.flatnonzero(inp.edge_corridor))  # each block in exactly one
    for s in segs:
        route = s.route
        assert route[0][1] == route[-1][2]  # closed
        for (_, _, y), (_, x, _) in zip(route, route[1:], strict=False):
            assert x == y  # consecutive steps meet
        for b, x, y in route:
            assert {x, y} == {int(inp.edge_u[b]), int(inp.edge_v[b])}
        assert set(s.blocks) <= {b for b, _, _ in route}
        assert s.minutes == pytest.approx(sum(inp.edge_length[b] for b, _, _ in route) / inp.speed_m_min)


def test_eight_segments_keep_rounds_short_enough_for_a_meal_break(uptown, day):
    inp, net = day
    segs = _segments(uptown, inp, net, 7)
    assert max(s.minutes for s in segs) <= 25.0  # 60 - 30 (meal) - 5, so a meal fits inside the revisit limit


def test_split_minimizes_the_largest_piece():
    cost = np.array([5.0, 1.0, 1.0, 7.0, 2.0, 2.0, 3.0])
    length = np.ones(7)
    chain = list(range(7))
    for n in (1, 2, 3, 4):
        best, pieces = _split(chain, cost, n, length, np.inf)
        assert [b for p in pieces for b in p] == chain and len(pieces) == n
        brute = min(max(cost[list(range(i, j))].sum() for i, j in zip((0, *cuts), (*cuts, 7), strict=True))
                    for cuts in itertools.combinations(range(1, 7), n - 1))
        assert best == pytest.approx(brute)


def test_checkins_go_to_the_unit_passing_them_in_equal_shares(uptown, day):
    inp, net = day
    segs = _segments(uptown, inp, net, 4)
    own = [set(s.blocks) for s in segs]
    fixed = np.zeros(4)
    got = assign_checkins(inp.biz_block, inp.biz_offset, [s.nodes for s in segs], own, fixed, edge_u=inp.edge_u,
                          edge_v=inp.edge_v, edge_length=inp.edge_length, dist=net.dist, base=inp.base,
                          checkin_min=inp.checkin_min)
    counts = np.bincount(got, minlength=4)
    assert counts.sum() == len(inp.biz_ref)
    assert counts.max() - counts.min() <= 2  # equal shares (rounding)
    # a unit with stationary work already (dwells) gets fewer check-ins
    fixed2 = np.array([60.0, 0, 0, 0])
    got2 = assign_checkins(inp.biz_block, inp.biz_offset, [s.nodes for s in segs], own, fixed2, edge_u=inp.edge_u,
                           edge_v=inp.edge_v, edge_length=inp.edge_length, dist=net.dist, base=inp.base,
                           checkin_min=inp.checkin_min)
    assert np.bincount(got2, minlength=4)[0] < counts[0]
    # no unit takes a business on another's segment while it has room for ones on its own (least detour)
    for i, k in enumerate(got):
        b = int(inp.biz_block[i])
        mine = [j for j in range(4) if b in own[j]]
        if mine and k != mine[0]:
            assert counts[mine[0]] >= round(len(inp.biz_ref) / 4) - 1


def test_checkins_beyond_a_units_reach_go_to_one_that_can_reach_them(uptown, day):
    inp, net = day
    segs = _segments(uptown, inp, net, 3)
    reach = np.array([0.0, 0.0, np.inf])  # only the third unit can leave its round
    got = assign_checkins(inp.biz_block, inp.biz_offset, [s.nodes for s in segs], [set(s.blocks) for s in segs],
                          np.zeros(3), edge_u=inp.edge_u, edge_v=inp.edge_v, edge_length=inp.edge_length,
                          dist=net.dist, base=inp.base, checkin_min=inp.checkin_min, max_trip_min=reach)
    for i, k in enumerate(got):
        if k in (0, 1):
            assert int(inp.biz_block[i]) in segs[k].blocks


def test_area_blocks_are_shared_within_reach_and_toured(uptown, day):
    inp, net = day
    segs = _segments(uptown, inp, net, 4)
    blocks = np.flatnonzero(inp.required_visits > 0)
    rounds = [s.nodes for s in segs]
    reach = np.array([20.0, 20.0, 20.0, np.inf])
    owner = assign_area(blocks, rounds, np.full(4, 120.0), edge_u=inp.edge_u, edge_v=inp.edge_v,
                        edge_length=inp.edge_length, dist=net.dist, speed_m_min=inp.speed_m_min, max_trip_min=reach)
    assert owner.shape == blocks.shape and set(owner.tolist()) <= {0, 1, 2, 3}
    for b, k in zip(blocks, owner, strict=True):
        if k < 3:
            idx = sorted(rounds[k])
            near = min(net.dist[idx, inp.edge_u[b]].min(), net.dist[idx, inp.edge_v[b]].min())
            assert (2 * near + inp.edge_length[b]) / inp.speed_m_min <= 20.0 + 1e-9
    tours = area_tours(inp.n_nodes, inp.edge_u, inp.edge_v, inp.edge_length, blocks, owner, rounds, net.dist)
    for k, tour in enumerate(tours):
        mine = set(blocks[owner == k].tolist())
        assert mine <= {b for b, _, _ in tour}
        if tour:
            assert tour[0][1] == tour[-1][2] and tour[0][1] in rounds[k]
            assert all(y == x for (_, _, y), (_, x, _) in zip(tour, tour[1:], strict=False))


def _schedule(uptown, inp, net, k_segments=7, **kw):
    units_info = unit_specs(uptown.settings)
    slots, _ = plan_breaks(uptown.settings, units_info)
    segs = _segments(uptown, inp, net, k_segments) + [None] * (len(units_info) - k_segments)
    units = [Unit(u.name, list(u.members), u.role, slots[i], u.start, u.end, inp.base)
             for i, u in enumerate(units_info)]
    tallies = run_segments(inp, units, net, segs, **kw)
    return units, segs, tallies


def _gaps(times, lo, hi):
    pts = [lo, *sorted(times), hi]
    return max(b - a for a, b in zip(pts, pts[1:], strict=False))


def test_segment_units_keep_their_corridor_fresh_by_construction(uptown, day):
    inp, net = day
    units, segs, tallies = _schedule(uptown, inp, net)
    passes = tally(units, inp.edge_length).passes
    for s in segs:
        if s is None:
            continue
        for b in s.blocks:
            assert _gaps(passes.get(b, []), inp.start, inp.end) <= inp.corridor_revisit
    # breaks at their planned times, everyone home at the base by the shift end
    for u in units:
        taken = [(st.t0, st.t1) for st in u.steps if st.activity == "break"]
        assert taken == [(float(b.start), float(b.end)) for b in u.breaks]
        assert u.steps[-1].t1 <= inp.end + 1e-6
        for s0, s1 in zip(u.steps, u.steps[1:], strict=False):
            assert s1.t0 == pytest.approx(s0.t1)
    # every check-in inside opening hours, and only once
    seen = []
    for u in units:
        for st in u.steps:
            if st.activity == "checkin":
                i = int(np.flatnonzero(inp.biz_index == st.business)[0])
                assert inp.biz_open[i] <= st.t0 + 1e-6 and st.t1 <= inp.biz_close[i] + 1e-6
                seen.append(i)
    assert len(seen) == len(set(seen)) == int(tallies["checked"].sum())


def test_hotspot_dwells_depend_on_the_seed(uptown, day):
    import dataclasses

    inp, net = day
    _, _, t0 = _schedule(uptown, inp, net)
    _, _, t1 = _schedule(uptown, dataclasses.replace(inp, seed=5), net)
    _, _, again = _schedule(uptown, inp, net)
    assert t0["hotspot_dwells"] != t1["hotspot_dwells"]
    assert t0["hotspot_dwells"] == again["hotspot_dwells"]


def _corner_post_day(inp, net, x, t0, t1):
    """One unit standing at corner ``x`` from ``t0`` to ``t1`` (a hand-made day for the repairs)."""
    blocks = np.flatnonzero((inp.edge_u == x) | (inp.edge_v == x))
    b = int(blocks[0])
    off = 0.0 if inp.edge_u[b] == x else float(inp.edge_length[b])
    return [Leg(t0, t1, b, off, off, "post", "standing post")]


def test_spare_time_is_traded_for_a_leftover_checkin_only_when_accepted(day):
    inp, net = day
    i = int(np.flatnonzero(inp.biz_open <= 660)[0])
    x = int(inp.edge_u[inp.biz_block[i]])
    u = Unit("u", ["u"], "walker", [], 600.0, 1080.0, inp.base)
    u.steps = _corner_post_day(inp, net, x, 700.0, 760.0)
    before = list(u.steps)
    checked = np.zeros(len(inp.biz_ref), dtype=bool)
    checked[np.arange(len(checked)) != i] = True
    walked = inp.required_visits.copy()
    assert fill_leftovers(inp, [u], net, checked, walked, lambda units, changed, edit: False) == 0
    assert u.steps == before and not checked[i]
    assert fill_leftovers(inp, [u], net, checked, walked, lambda units, changed, edit: True) == 1
    assert checked[i]
    acts = [s for s in u.steps if s.activity == "checkin"]
    assert len(acts) == 1 and acts[0].business == inp.biz_index[i] and acts[0].t1 - acts[0].t0 == inp.checkin_min
    assert u.steps[0].t0 == 700.0 and u.steps[-1].t1 == pytest.approx(760.0)
    for s0, s1 in zip(u.steps, u.steps[1:], strict=False):
        assert s1.t0 == pytest.approx(s0.t1)
    for s in u.steps:
        if s.activity == "walk":
            assert abs(s.off1 - s.off0) <= inp.speed_m_min * (s.t1 - s.t0) * (1 + 1e-9)


def test_even_out_brings_walking_distances_closer(day):
    inp, _net = day
    x = inp.base
    walker = Unit("w", ["w"], "walker", [], 600.0, 1080.0, inp.base)
    stander = Unit("s", ["s"], "walker", [], 600.0, 1080.0, inp.base)
    b = int(np.flatnonzero((inp.edge_u == x) | (inp.edge_v == x))[0])
    L = float(inp.edge_length[b])
    fwd = inp.edge_u[b] == x
    t = 600.0
    for _ in range(20):  # the walker goes up and down one block for a while
        for o0, o1 in ((0.0, L), (L, 0.0)) if fwd else ((L, 0.0), (0.0, L)):
            walker.steps.append(Leg(t, t + L / inp.speed_m_min, b, o0, o1, "walk"))
            t += L / inp.speed_m_min
    x_off = 0.0 if fwd else L
    far = L - x_off
    t_back = 600.0 + 2 * L / inp.speed_m_min
    stander.steps = [
        Leg(600.0, 600.0 + L / inp.speed_m_min, b, x_off, far, "walk"),
        Leg(600.0 + L / inp.speed_m_min, t_back, b, far, x_off, "walk"),
        Leg(t_back, t, b, x_off, x_off, "post", "standing post"),
    ]
    ratio0 = _walked(walker.steps) / _walked(stander.steps)
    ratio = even_out(inp, [walker, stander], 1.25, lambda units, changed, edit: True)
    assert ratio < ratio0 and ratio <= 1.25 + 1e-9
    for u in (walker, stander):
        assert u.steps[0].t0 == 600.0 and u.steps[-1].t1 == pytest.approx(t)
        for s0, s1 in zip(u.steps, u.steps[1:], strict=False):
            assert s1.t0 == pytest.approx(s0.t1)
            assert (s1.block, s1.off0) == (s0.block, s0.off1) or s1.block != s0.block
