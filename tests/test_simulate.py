"""The simulated live day (patrol.dispatch.simulate): incidents through the desk and the record, the nearest
unit sent, and the re-plans keeping more of the day's promises than the static plan."""

from __future__ import annotations

import json

import networkx as nx
import pytest

from patrol.dispatch.simulate import SimIncident, draw_incidents, simulate_day
from patrol.errors import InputError, PlanError
from patrol.planning import plan_day

DATE = "2026-06-02"  # a Tuesday
_BUSY = {"break", "respond"}


@pytest.fixture(scope="module")
def plan(uptown) -> dict:
    return json.loads(json.dumps(plan_day(uptown, "tue", date=DATE, seed=0).to_dict()))


@pytest.fixture(scope="module")
def streets(uptown) -> nx.Graph:
    """The district's walking network rebuilt from its block table (not from patrol's path code)."""
    a = uptown.arrays
    g = nx.Graph()
    for b in range(a.n_edges):
        u, v, w = int(a.edge_u[b]), int(a.edge_v[b]), float(a.edge_length[b])
        if not g.has_edge(u, v) or g[u][v]["weight"] > w:
            g.add_edge(u, v, weight=w)
    return g


def _metres(uptown, streets, frm: tuple[int, float], to: tuple[int, float]) -> float:
    """Walking metres between two points on blocks: along the block when on the same one, else through ends."""
    a = uptown.arrays
    if frm[0] == to[0]:
        return abs(frm[1] - to[1])
    best = float("inf")
    for x, ox in ((int(a.edge_u[frm[0]]), frm[1]), (int(a.edge_v[frm[0]]), a.edge_length[frm[0]] - frm[1])):
        d = nx.single_source_dijkstra_path_length(streets, x, weight="weight")
        for y, oy in ((int(a.edge_u[to[0]]), to[1]), (int(a.edge_v[to[0]]), a.edge_length[to[0]] - to[1])):
            best = min(best, ox + d.get(y, float("inf")) + oy)
    return best


def _at(legs: list[dict], t: float) -> tuple[int, float, str] | None:
    """Where a walker is just before minute ``t`` and doing what (its leg under way then; the record keeps times
    to the millisecond, so "just before" is a thousandth of a minute)."""
    t -= 1e-3
    for leg in legs:
        if leg["t0"] <= t < leg["t1"]:
            f = (t - leg["t0"]) / max(leg["t1"] - leg["t0"], 1e-9)
            return leg["block"], leg["off0"] + min(f, 1.0) * (leg["off1"] - leg["off0"]), leg["activity"]
    return None


def test_incidents_are_drawn_by_seed_and_bad_rates_are_refused(uptown):
    a, b = draw_incidents(uptown, 20, 7), draw_incidents(uptown, 20, 7)
    assert a == b and a != draw_incidents(uptown, 20, 8)
    shift = uptown.settings.shift
    assert all(shift.start_min <= x.minute < shift.end_min and uptown.arrays.edge_in_area[x.block] for x in a)
    assert [x.minute for x in a] == sorted(x.minute for x in a)
    for bad in (-1, float("nan")):
        with pytest.raises(InputError, match="incidents per day"):
            draw_incidents(uptown, bad, 0)


def test_a_day_needs_a_known_strategy_and_a_dated_plan(uptown, plan):
    with pytest.raises(InputError, match="unknown strategy"):
        simulate_day(uptown, plan, [], "wishful")
    with pytest.raises(PlanError, match="date"):
        simulate_day(uptown, {**plan, "date": None}, [], "static")


def test_each_incident_goes_to_the_nearest_available_unit(uptown, plan, streets):
    """Brute force over the day that happened: at each dispatch, every unit's true position and whether it was
    free (not on a break, not on another incident); the unit sent is the nearest free one on foot, and its
    ETA is that walk at the response speed."""
    incidents = draw_incidents(uptown, 10, 3)
    day = simulate_day(uptown, plan, incidents, "replan")
    assert day.dispatches and len(day.dispatches) == len(incidents)
    speed = uptown.settings.speeds.response_m_s * 60.0
    timeline = day.plan["timeline"]
    for d in day.dispatches:
        inc = incidents[d.incident - 1]
        free = {}
        for w, legs in timeline.items():
            pos = _at(legs, d.sent)
            if pos is not None and pos[2] not in _BUSY:
                free[w] = _metres(uptown, streets, pos[:2], (inc.block, inc.offset_m))
        assert d.unit in free, f"incident {d.incident}: {d.unit} was not free"
        assert free[d.unit] <= min(free.values()) + 1.0
        assert d.eta_min == pytest.approx(free[d.unit] / speed, abs=0.02)
    assert day.response_min == pytest.approx([d.sent - d.called + d.eta_min for d in day.dispatches])


def test_a_static_day_is_the_plan_less_what_incidents_took(uptown, plan):
    """One incident: the unit sent walks there at the response speed, stays the type's minutes on scene, then
    walks back onto its planned route and follows it; everyone else does exactly what the plan says."""
    a = uptown.arrays
    block = next(b for b in range(a.n_edges) if a.edge_in_area[b] and a.edge_corridor[b])
    inc = SimIncident(700.0, "sleeping", block, float(a.edge_length[block]) / 2)
    day = simulate_day(uptown, plan, [inc], "static")
    (d,) = day.dispatches
    tl = day.plan["timeline"]
    for w in plan["timeline"]:
        if w != d.unit:
            assert tl[w] == plan["timeline"][w]
    legs = tl[d.unit]
    scene = [x for x in legs if x["activity"] == "respond" and x["off0"] == x["off1"]]
    assert len(scene) == 1 and scene[0]["block"] == block
    assert scene[0]["t0"] == pytest.approx(700.0 + d.eta_min, abs=1e-6)
    assert scene[0]["t1"] - scene[0]["t0"] == pytest.approx(uptown.settings.dispatch.on_scene("sleeping"))
    # back on the plan: from some planned step on, the rest of its day is the plan's
    rest = plan["timeline"][d.unit]
    tail = next(i for i in range(len(legs)) if legs[i:] == rest[len(rest) - len(legs) + i:])
    assert legs[tail]["t0"] >= scene[0]["t1"] - 1e-6
    assert day.check["valid"], day.check["problems"][:5]


@pytest.mark.slow
def test_replanning_keeps_more_promises_than_the_static_plan_at_20_incidents_a_day(uptown, plan):
    """The same 20-a-day incidents under both strategies; the promises counted here from the checker's own
    findings over the district's blocks, businesses, hot spots and units."""
    a = uptown.arrays
    incidents = draw_incidents(uptown, 20, 1)
    corridor = int((a.edge_in_area & a.edge_corridor).sum())
    area = int((a.edge_in_area & ~a.edge_corridor).sum())
    limit = uptown.settings.targets.hotspot_revisit_min
    kept = {}
    for strategy in ("static", "replan"):
        day = simulate_day(uptown, plan, incidents, strategy)
        c = day.check
        units_broken = {p.split(":")[0] for p in c["break_problems"]}
        kept[strategy] = (corridor - len(c["corridor_blocks_over"]) + area - len(c["area_blocks_unvisited"])
                          + len(plan["checkins_due"]) - len(c["businesses_unchecked"])
                          + sum(g <= limit for g in c["hotspot_gaps_min"]) + len(c["walk_km"]) - len(units_broken))
        if strategy == "replan":
            # every re-plan changed only the unit sent: most of the remaining steps stay as they were
            assert day.versions == len(day.dispatches) + 1
            assert min(day.unchanged_share) > 0.5
            assert not [p for p in c["problems"] if "after its hours" not in p and "end at the base" not in p]
    assert kept["replan"] > kept["static"], kept
