"""What a dispatch costs the plan (patrol.dispatch.cost) on hand-built timelines whose costs are worked out by
hand in the comments, the cost-aware ranking rule, and the cost in the desk's ranking."""

from __future__ import annotations

import pytest

from patrol.dispatch import Desk, Record, rank_units
from patrol.dispatch.cost import CorridorGap, DispatchCost, MissedCheckin, PlanCosts, PlanRules, PushedBreak
from patrol.dispatch.positions import Position, UnitState
from patrol.dispatch.roster import Unit
from patrol.district import load_district
from patrol.timeline import Leg, Timeline

LENGTHS = [100.0, 120.0, 80.0, 60.0]
CORRIDOR = {0: "W Lake St", 1: "Hennepin Ave S"}
BUSINESSES = {7: ("Cafe Seven", 420.0, 1080.0), 9: ("Bar Nine", 900.0, 1439.0)}


@pytest.fixture(scope="module")
def morning() -> PlanCosts:
    """A 10:00-13:00 shift, corridor blocks 0 (100 m) and 1 (120 m), revisit target 60 min.

    Passes (far end reached): block 0 by a at 602 and 652, by b at 702 and 752; block 1 by a at 604 and 654,
    by b at 714 and 762.  Planned longest gaps (from 600 to 780): block 0 max(2, 50, 50, 50, 28) = 50;
    block 1 max(4, 50, 60, 48, 18) = 60 (at the target, not over).
    """
    tl = Timeline({
        "a": [Leg(600, 602, 0, 0.0, 100.0), Leg(602, 604, 1, 0.0, 120.0),
              Leg(640, 645, 2, 40.0, 40.0, "checkin", "Cafe Seven", 7),
              Leg(650, 652, 0, 100.0, 0.0), Leg(652, 654, 1, 120.0, 0.0),
              Leg(660, 665, 3, 10.0, 10.0, "checkin", "Bar Nine", 9), Leg(700, 760, 3, 10.0, 10.0, "post")],
        "b": [Leg(700, 702, 0, 0.0, 100.0), Leg(712, 714, 1, 0.0, 120.0), Leg(750, 752, 0, 100.0, 0.0),
              Leg(760, 762, 1, 120.0, 0.0)],
    })
    rules = PlanRules(shift=(600.0, 780.0), first_visit_min=60.0, revisit_min=60.0, meal_window=(690.0, 780.0),
                      meal_min=30.0)
    return PlanCosts(tl, lengths=LENGTHS, corridor=CORRIDOR, businesses=BUSINESSES, rules=rules)


def test_planned_gaps(morning):
    assert morning.planned_gap(0) == pytest.approx(50.0)
    assert morning.planned_gap(1) == pytest.approx(60.0)


def test_a_dispatch_that_breaks_two_revisits_and_a_checkin(morning):
    # a sent at 10:35 for 5 + 15 min: busy 635-655.  Its passes 650-652 (block 0) and 652-654 (block 1) are
    # lost: block 0 keeps 602, 702, 752 -> gap 702 - 602 = 100; block 1 keeps 604, 714, 762 -> gap 110.
    # Its 10:40 check-in at Cafe Seven falls inside; the 11:00 one at Bar Nine does not.
    c = morning.cost("a", 635.0, 5.0, 15.0)
    assert (c.busy_from_min, c.busy_until_min) == (635.0, 655.0)
    assert c.corridor == (CorridorGap(0, "W Lake St", 50.0, 100.0, 602.0, 702.0),
                          CorridorGap(1, "Hennepin Ave S", 60.0, 110.0, 604.0, 714.0))
    assert c.checkins == (MissedCheckin(7, "Cafe Seven", 640.0, 420.0, 1080.0),)
    assert c.breaks == () and c.lost == 3
    assert c.summary() == "2 blocks over gap, 1 check-in"
    d = c.to_dict()
    assert d["lost"] == 3 and d["busy_until"] == "10:55" and d["checkins"][0]["hours"] == "07:00-18:00"
    assert d["corridor_blocks"][1] == {"block": 1, "street": "Hennepin Ave S", "planned_gap_min": 60.0,
                                       "gap_min": 110.0, "from": "10:04", "to": "11:54"}


def test_a_later_dispatch_misses_only_a_checkin(morning):
    # a sent at 10:55 for 2 + 10: busy 655-667; the passes ended at 652 and 654; Bar Nine (11:00) is missed
    c = morning.cost("a", 655.0, 2.0, 10.0)
    assert c.corridor == () and c.checkins == (MissedCheckin(9, "Bar Nine", 660.0, 900.0, 1439.0),)
    assert c.lost == 1


def test_other_units_passes_count_and_edges_are_exclusive(morning):
    # b sent at 11:45 for 3 + 10: busy 705-718: its block 1 pass (712-714) is lost: 604, 654, 762 -> 108
    c = morning.cost("b", 705.0, 3.0, 10.0)
    assert c.corridor == (CorridorGap(1, "Hennepin Ave S", 60.0, 108.0, 654.0, 762.0),) and c.lost == 1
    # a pass that ends at the dispatch minute, and one that starts after the return, are kept
    assert morning.cost("b", 702.0, 0.0, 5.0).lost == 0
    # a unit the plan does not have costs nothing
    none = morning.cost("zz", 640.0, 5.0, 20.0)
    assert none.lost == 0 and none.summary() == "none"


@pytest.fixture(scope="module")
def breaks() -> PlanCosts:
    """One unit with breaks only: rest 640-655, meal 760-790 (window 720-870, 30 min), rests 900-915, 925-940."""
    tl = Timeline({"c": [Leg(640, 655, 2, 0.0, 0.0, "break", "rest break"),
                         Leg(760, 790, 2, 0.0, 0.0, "break", "meal break"),
                         Leg(900, 915, 2, 0.0, 0.0, "break", "rest break"),
                         Leg(925, 940, 2, 0.0, 0.0, "break", "rest break")]})
    rules = PlanRules(shift=(600.0, 1080.0), first_visit_min=60.0, revisit_min=60.0, meal_window=(720.0, 870.0),
                      meal_min=30.0)
    return PlanCosts(tl, lengths=LENGTHS, corridor={}, businesses={}, rules=rules)


def test_breaks_pushed_and_out_of_their_window(breaks):
    # busy 630-660: the rest break moves to 660-675, before the meal at 760: pushed, still in its window
    c = breaks.cost("c", 630.0, 10.0, 20.0)
    assert c.breaks == (PushedBreak("rest", 640.0, 15.0, 660.0, 760.0, False),) and c.lost == 0
    # busy 750-840: the meal moves to 840-870, ending with its window (14:30): kept
    assert breaks.cost("c", 750.0, 40.0, 50.0).breaks == (PushedBreak("meal", 760.0, 30.0, 840.0, 870.0, False),)
    # busy 750-841: 841-871 ends after 14:30: out of its window
    c = breaks.cost("c", 750.0, 41.0, 50.0)
    assert c.breaks == (PushedBreak("meal", 760.0, 30.0, 841.0, 870.0, True),) and c.lost == 1
    assert c.summary() == "meal break out of window"
    # busy 895-920: the 15:00 rest moves to 920-935, into the next break at 925: out of its window
    c = breaks.cost("c", 895.0, 5.0, 20.0)
    assert c.breaks == (PushedBreak("rest", 900.0, 15.0, 920.0, 925.0, True),) and c.lost == 1


def _cost(lost: int) -> DispatchCost:
    gaps = tuple(CorridorGap(i, "x", 10.0, 90.0, 600.0, 690.0) for i in range(lost))
    return DispatchCost("u", 600.0, 620.0, 1.0, 19.0, corridor=gaps)


def test_a_unit_within_the_tolerance_wins_on_lower_cost(uptown):
    # three units on the incident's own block, 10, 30 and 80 m away: ETAs 7.1, 21.4 and 57.1 s at 1.4 m/s
    net = Desk(uptown).network
    b = next(i for i in range(uptown.arrays.n_edges) if uptown.arrays.edge_length[i] > 120)
    units = {"near": (10.0, 3), "mid": (30.0, 1), "far": (80.0, 0)}
    entries = [UnitState(Unit(n, (n,)), "on shift", "shift", Position(b, off, 0.0, 0.0, "ping", False))
               for n, (off, _) in units.items()]

    def order(tol: float) -> list[str]:
        cands = rank_units(net, b, 0.0, entries, speed_m_s=1.4, cost_of=lambda c: _cost(units[c.ambassador][1]),
                           cost_tolerance_s=tol)
        assert [c.rank for c in cands] == [1, 2, 3] and all(c.cost is not None for c in cands)
        return [c.ambassador for c in cands]

    assert order(0.0) == ["near", "mid", "far"]  # off: by ETA, costs shown
    assert order(10.0) == ["near", "mid", "far"]  # mid is 14.3 s behind: outside
    assert order(20.0) == ["mid", "near", "far"]  # mid within 20 s and costs 1 < 3; far (50 s) by ETA
    assert order(60.0) == ["far", "mid", "near"]


@pytest.fixture(scope="module")
def plan_desk(uptown):
    """amb2 walks one W Lake St corridor block back and forth all day; everyone else posts on it; a district
    expecting 70 minutes on scene for a mental health call."""
    district = load_district(settings=uptown.settings.replace(dispatch__on_scene_min={"mental health": 70.0}))
    a = district.arrays
    lake = [int(b) for b in range(a.n_edges) if a.edge_corridor[b] and a.edge_in_area[b]
            and str(a.edge_name[b]) == "W Lake St"][:1]
    b = lake[0]
    L = float(a.edge_length[b])
    dt = L / 60.0  # 1 m/s
    legs, t, fwd = [], 600.0, True
    while t + dt <= 1080.0:
        legs.append(Leg(t, t + dt, b, 0.0 if fwd else L, L if fwd else 0.0))
        t, fwd = t + dt, not fwd
    plan = {"amb2": legs}
    for name in district.settings.roster.ambassador_names():
        if name != "amb2":
            plan[name] = [Leg(600.0, 1080.0, b, 0.0, 0.0, "post")]
    return Desk(district, record=Record(":memory:"), timeline=Timeline(plan)), b


def test_the_desk_ranking_carries_the_cost(plan_desk):
    desk, block = plan_desk
    ranking = desk.rank("W Lake St & Girard Ave S", when="2026-06-02T19:05:00Z", incident_type="mental health")
    assert ranking.on_scene_min == 70.0 and ranking.incident_type == "mental health"
    costs = desk.plan_costs
    for c in ranking.ranked:
        assert c.cost is not None and c.cost.on_scene_min == 70.0
        assert c.cost.busy_until_min == pytest.approx(ranking.minute + c.eta_min + 70.0)
    amb2 = next(c for c in ranking.ranked if c.ambassador == "amb2")
    # nobody else walks that block: without amb2 from 14:05 for over 70 min its gap grows past 60 min
    assert [g.block for g in amb2.cost.corridor] == [block] and costs.planned_gap(block) < 60.0
    assert all(c.cost.lost == 0 for c in ranking.ranked if c.ambassador != "amb2")
    d = ranking.to_dict()
    assert d["on_scene_min"] == 70.0 and d["cost_tolerance_s"] == 0.0
    row = next(r for r in d["candidates"] if r["ambassador"] == "amb2")
    assert row["cost"]["lost"] == 1 and row["cost"]["corridor_blocks"][0]["block"] == block
    # a tolerance wide enough lets a unit at no cost win over amb2
    wide = desk.rank("W Lake St & Girard Ave S", when="2026-06-02T19:05:00Z", cost_tolerance_s=600)
    assert wide.ranked[0].cost.lost == 0 and wide.ranked[-1].ambassador == "amb2"
    # a recorded incident's type sets the minutes on scene
    inc = desk.new_incident("W Lake St & Girard Ave S", type="non-permitted solicitation", source="phone",
                            when="2026-06-02T19:05:00Z")
    assert desk.rank_incident(inc.id, when="2026-06-02T19:05:00Z").on_scene_min == 15.0
