"""Who is nearest: positions, duty status, ranking (patrol.dispatch.desk / ranking / roster / positions)."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from patrol.dispatch import Desk, parse_time, rank_units
from patrol.dispatch.positions import Position
from patrol.dispatch.roster import Unit, roster_units
from patrol.district import load_district
from patrol.errors import GeocodeError, InputError, NotFoundError, OutsideDistrictError, PlanError
from patrol.timeline import Leg, Timeline

# Tuesday 2 June 2026; Minneapolis is on CDT (UTC-5): 14:05 local = 19:05 UTC.
T = "2026-06-02T19:05:00Z"
AT = "W Lake St & Girard Ave S"


@pytest.fixture(scope="module")
def district():
    return load_district()


def _nx_eta_min(district, p_block, p_off, q_block, q_off):
    """networkx reference: node-to-node Dijkstra plus the offsets at both ends, / response speed."""
    G = nx.Graph()
    for _, _, d in district.graph.edges(data=True):
        if d["u"] != d["v"] and (not G.has_edge(d["u"], d["v"]) or G[d["u"]][d["v"]]["w"] > d["length"]):
            G.add_edge(d["u"], d["v"], w=d["length"])
    edges = {d["block"]: d for _, _, d in district.graph.edges(data=True)}
    a, b = edges[p_block], edges[q_block]
    best = abs(p_off - q_off) if p_block == q_block else np.inf
    for ea, da in ((a["u"], p_off), (a["v"], a["length"] - p_off)):
        lengths = nx.single_source_dijkstra_path_length(G, ea, weight="w")
        for eb, db in ((b["u"], q_off), (b["v"], b["length"] - q_off)):
            best = min(best, da + lengths[eb] + db)
    return best / district.settings.speeds.response_m_s / 60.0


def _ping_all(desk, rng, t="2026-06-02T19:03:00Z"):
    a = desk.district.settings.area
    placed = {}
    for unit in desk.units:
        lat = rng.uniform(a.south, a.north)
        lon = rng.uniform(a.west, a.east)
        desk.ping(unit.name, lat, lon, t=t, accuracy_m=8.0)
        placed[unit.name] = (lat, lon)
    return placed


def test_ranking_eta_equals_networkx_and_is_sorted(district, record):
    desk = Desk(district, record=record)
    _ping_all(desk, np.random.default_rng(5))
    r = desk.rank(AT, when=T)
    assert r.in_area and r.message == ""
    assert [c.rank for c in r.ranked] == list(range(1, 9))
    loc = district.geocode(AT)
    etas = [c.eta_min for c in r.ranked]
    assert etas == sorted(etas)
    for c in r.ranked:
        assert c.estimated is False and c.position.source == "ping"
        want = _nx_eta_min(district, loc.block, loc.offset_m, c.position.block, c.position.offset_m)
        assert c.eta_min == pytest.approx(want, rel=1e-9)
        assert c.distance_m / district.settings.speeds.response_m_s / 60 == pytest.approx(c.eta_min)
    # routes for the top three only, ending at the incident
    assert all(c.route is not None for c in r.ranked[:3]) and all(c.route is None for c in r.ranked[3:])
    assert r.ranked[0].route.distance_m == pytest.approx(r.ranked[0].distance_m)
    out = r.to_list()[0]
    assert {"ambassador", "status", "eta_min", "distance_m", "estimated", "route"} <= set(out)
    assert out["route"]["geometry"]["type"] == "LineString" and out["route"]["streets"]


def test_break_and_busy_are_excluded(district, record):
    desk = Desk(district, record=record)
    _ping_all(desk, np.random.default_rng(5))
    first = desk.rank(AT, when=T).ranked
    top, second = first[0].ambassador, first[1].ambassador
    desk.set_duty(top, "break", at="2026-06-02T19:00:00Z")
    inc = desk.new_incident("Lake & Hennepin", type="disturbance", source="phone", when="2026-06-02T19:01:00Z")
    a = desk.assign(inc.id, second, when="2026-06-02T19:04:00Z")
    assert a.eta_min is not None and a.estimated is False
    r = desk.rank(AT, when=T)
    names = [c.ambassador for c in r.ranked]
    assert top not in names and second not in names and len(names) == 6
    by_name = {c.ambassador: c for c in r.candidates}
    assert by_name[top].status == "on break" and by_name[top].rank is None
    assert by_name[second].status == "busy" and by_name[second].reason == "busy"
    # back on shift, and the incident resolved: available again
    desk.set_duty(top, "on-shift", at="2026-06-02T19:06:00Z")
    record.set_status(inc.id, "on scene", at="2026-06-02T19:07:00Z")
    record.close_incident(inc.id, outcomes=["tensions de-escalated"], at="2026-06-02T19:08:00Z")
    later = [c.ambassador for c in desk.rank(AT, when="2026-06-02T19:09:00Z").ranked]
    assert top in later and second in later  # stale pings, no plan: used, flagged estimated
    # a duty change of an earlier day does not count
    desk.set_duty("amb8", "off", at="2026-06-01T19:00:00Z")
    assert desk.situation(T)[-1][1] == "on shift"


def test_units_sent_keep_their_route(district, record):
    desk = Desk(district, record=record)
    _ping_all(desk, np.random.default_rng(5))
    inc = desk.new_incident(AT, type="disturbance", source="phone", when="2026-06-02T19:01:00Z")
    sent = desk.rank_incident(inc, when=T).ranked[-1].ambassador  # the farthest: no route among the top three
    desk.assign(inc.id, sent, when="2026-06-02T19:04:00Z")
    plain = {c.ambassador: c for c in desk.rank_incident(inc, when=T).candidates}
    assert plain[sent].status == "busy" and plain[sent].route is None
    r = {c.ambassador: c for c in desk.rank_incident(inc, when=T, route_also=frozenset({sent})).candidates}
    c = r[sent]
    want_m = _nx_eta_min(district, inc.block, inc.offset_m, c.position.block, c.position.offset_m) * \
        district.settings.speeds.response_m_s * 60.0
    assert c.rank is None and c.route is not None and c.route.distance_m == pytest.approx(want_m, rel=1e-9)
    end = c.route.coordinates[-1]  # the route runs from the unit to the incident
    assert end == pytest.approx(district.geocoder.point_on_block(inc.block, inc.offset_m)[::-1], abs=1e-6)


def _plan(district, legs_for):
    return Timeline({name: legs_for(name, i) for i, name in enumerate(district.settings.roster.ambassador_names())})


def test_stale_pings_fall_back_to_the_plan(district, record):
    # everyone walks block 10+i from 13:00 to 15:00 local (780..900 min); amb2 is on a break leg
    def legs(name, i):
        b = 10 + 7 * i
        L = float(district.arrays.edge_length[b])
        act = "break" if name == "amb2" else "walk"
        return [Leg(780, 900, b, 0.0, L if act == "walk" else 0.0, act)]

    tl = _plan(district, legs)
    desk = Desk(district, record=record, timeline=tl)
    desk.ping("lead", 44.9490, -93.2960, t="2026-06-02T18:50:00Z")  # 15 min old at 14:05: stale
    desk.ping("amb3", 44.9490, -93.2960, t="2026-06-02T19:04:00Z")  # fresh
    r = desk.rank(AT, when=T)
    by = {c.ambassador: c for c in r.candidates}
    assert by["lead"].position.source == "plan" and by["lead"].estimated is True
    assert by["lead"].position.block == 10 and by["lead"].position.activity == "walk"
    minute = 14 * 60 + 5
    assert by["lead"].position.offset_m == pytest.approx(tl.position("lead", minute)[1])
    assert by["lead"].position.age_min == pytest.approx(15.0)
    assert by["amb3"].position.source == "ping" and by["amb3"].estimated is False
    assert by["amb2"].status == "on break" and by["amb2"].status_source == "plan" and by["amb2"].rank is None
    loc = district.geocode(AT)
    want = _nx_eta_min(district, loc.block, loc.offset_m, 10, by["lead"].position.offset_m)
    assert by["lead"].eta_min == pytest.approx(want)


def test_stale_ping_without_plan_is_used_but_flagged(district, record):
    desk = Desk(district, record=record)
    desk.ping("amb4", 44.9490, -93.2960, t="2026-06-02T18:30:00Z")
    c = next(c for c in desk.rank(AT, when=T).candidates if c.ambassador == "amb4")
    assert c.rank == 1 and c.estimated is True and c.position.source == "stale ping"


def test_ties_are_broken_predictably(district):
    net = Desk(district).network
    units = [Unit(n, (n,)) for n in ("amb5", "amb3", "amb4")]
    p = Position(20, 15.0, 0.0, 0.0, "ping", False)
    pe = Position(20, 15.0, 0.0, 0.0, "plan", True)
    entries = [(units[0], "on shift", "shift", p), (units[1], "on shift", "shift", pe),
               (units[2], "on shift", "shift", p)]
    order = [c.ambassador for c in rank_units(net, 40, 10.0, entries, speed_m_s=1.4)]
    assert order == ["amb4", "amb5", "amb3"]  # same ETA: fresh ping first, then by name
    # float noise below 0.1 s does not decide
    p2 = Position(20, 15.0 + 1e-9, 0.0, 0.0, "ping", False)
    entries[0] = (units[0], "on shift", "shift", p2)
    assert [c.ambassador for c in rank_units(net, 40, 10.0, entries, speed_m_s=1.4)][:2] == ["amb4", "amb5"]


def test_nobody_on_shift_available_or_located(district, record):
    desk = Desk(district, record=record)
    sunday = "2026-06-07T19:05:00Z"
    r = desk.rank(AT, when=sunday)
    assert r.ranked == [] and "nobody is on shift" in r.message
    assert all(c.status == "off duty" for c in r.candidates)
    night = desk.rank(AT, when="2026-06-03T03:00:00Z")  # Tuesday 22:00 local
    assert "nobody is on shift" in night.message
    r = desk.rank(AT, when=T)
    assert r.ranked == [] and "no positions" in r.message
    _ping_all(desk, np.random.default_rng(1))
    for unit in desk.units:
        desk.set_duty(unit.name, "break", at="2026-06-02T19:04:00Z")
    r = desk.rank(AT, when=T)
    assert r.ranked == [] and "nobody available" in r.message and "8 on break" in r.message


def test_locations_outside(district, record):
    desk = Desk(district, record=record)
    _ping_all(desk, np.random.default_rng(2))
    with pytest.raises(OutsideDistrictError):
        desk.rank("45.0500,-93.1000", when=T)
    with pytest.raises(GeocodeError):
        desk.rank("Nowhere St & Atlantis Ave", when=T)
    # a block of the graph outside the patrol area: answered, and flagged
    b = int(np.flatnonzero(~district.arrays.edge_in_area)[0])
    lat, lon = district.geocoder.point_on_block(b, float(district.arrays.edge_length[b]) / 2)
    r = desk.rank(f"{lat:.6f},{lon:.6f}", when=T)
    assert not r.in_area and "outside the patrol area" in r.message and len(r.ranked) == 8


def test_pairs_respond_as_one(district, record):
    pd = load_district(settings=district.settings.replace(roster__pairs=True))
    units = roster_units(pd.settings)
    assert [u.name for u in units] == ["team1", "team2", "team3", "team4"]
    assert units[0].members == ("lead", "amb2")
    desk = Desk(pd, record=record)
    desk.ping("amb2", 44.9484, -93.2975, t="2026-06-02T19:04:00Z")  # a member's ping places the unit
    desk.ping("team3", 44.9490, -93.2900, t="2026-06-02T19:04:00Z")
    r = desk.rank(AT, when=T)
    assert [c.ambassador for c in r.ranked] == ["team1", "team3"]
    assert r.ranked[0].members == ["lead", "amb2"]
    desk.set_duty("lead", "break", at="2026-06-02T19:04:30Z")  # one member on break: the pair is
    assert [c.ambassador for c in desk.rank(AT, when=T).ranked] == ["team3"]
    # a plan's units mapping wins over the default pairing
    desk2 = Desk(pd, units={"north": ["lead", "amb3"], "south": ["amb2", "amb4"]})
    assert [u.name for u in desk2.units] == ["north", "south"]


def test_desk_input_errors(district, record):
    desk = Desk(district, record=record)
    with pytest.raises(NotFoundError):
        desk.ping("nobody", 44.949, -93.29)
    with pytest.raises(OutsideDistrictError):
        desk.ping("amb2", 45.2, -93.0)
    with pytest.raises(InputError):
        Desk(district).ping("amb2", 44.949, -93.29)  # no record
    with pytest.raises(PlanError):
        Desk(district, timeline=Timeline({"stranger": [Leg(600, 700, 1, 0.0, 1.0)]}))
    inc = desk.new_incident(AT, type="sleeping", source="camera", when=T)
    with pytest.raises(InputError, match="nobody to assign"):
        desk.assign(inc.id, when=T)  # nobody has a position
    # an incident with no point (a phone call giving no place): no ranking, the unit must be named, no ETA
    pointless = record.new_incident(type="sleeping", source="phone", location_text="somewhere", at=T)
    with pytest.raises(InputError, match="no point to rank from"):
        desk.assign(pointless.id, when=T)
    sent = desk.assign(pointless.id, "amb4", when=T)
    assert (sent.ambassador, sent.eta_min, sent.distance_m) == ("amb4", None, None)
    with pytest.raises(NotFoundError):
        desk.assign(pointless.id, "amb99", when=T)


def test_ping_batches_are_snapped_and_far_fixes_kept_unsnapped(district, record):
    desk = Desk(district, record=record, clock=lambda: parse_time(T))  # fix times are checked against now
    ids = [r.id for r in desk.ping_many([
        {"ambassador": "amb2", "lat": 44.9485, "lon": -93.2950, "t": "2026-06-02T19:00:00Z"},
        {"ambassador": "amb3", "lat": 45.2000, "lon": -93.0000, "t": "2026-06-02T19:00:00Z", "accuracy_m": 30}])]
    near, far = (next(p for p in record.pings() if p.id == i) for i in ids)
    single = record.pings()[0]
    assert near.block is not None and far.block is None and far.accuracy_m == 30
    one = desk.district.geocoder.snap(44.9485, -93.2950)
    assert near.block == one.block and near.offset_m == pytest.approx(one.offset_m, abs=0.01)
    assert single.id == near.id
    [ghost] = desk.ping_many([{"ambassador": "ghost", "lat": 44.9485, "lon": -93.2950}])
    assert ghost.status == "refused" and "ghost" in ghost.reason  # refused alone: not the whole batch
    r = desk.rank(AT, when=T)
    assert [c.ambassador for c in r.ranked] == ["amb2"]  # the unsnapped fix gives no position


def test_rank_incident_uses_the_recorded_point(district, record):
    desk = Desk(district, record=record)
    _ping_all(desk, np.random.default_rng(9))
    inc = desk.new_incident(AT, type="obstruction", source="311", when=T)
    by_id = desk.rank_incident(inc.id, when=T)
    by_text = desk.rank(AT, when=T)
    assert [(c.ambassador, c.eta_min) for c in by_id.ranked] == [(c.ambassador, c.eta_min) for c in by_text.ranked]
    with pytest.raises(NotFoundError):
        desk.rank_incident(999, when=T)
    bare = record.new_incident(type="other", source="phone", location_text="somewhere", at=T)
    with pytest.raises(InputError):
        desk.rank_incident(bare.id, when=T)
