"""The independent plan checker: accepts the planner's plan, rejects plans broken on purpose."""

from __future__ import annotations

import copy
import json

import numpy as np
import pytest

from patrol.district import District
from patrol.errors import PlanError
from patrol.plan_check import _due_today, check_plan
from patrol.routing.daily_plan import plan_day


@pytest.fixture(scope="module")
def plan(uptown) -> dict:
    p = plan_day(uptown, "tue", seed=0, time_limit_s=1.0)
    return json.loads(json.dumps(p.to_dict()))


@pytest.fixture(scope="module")
def result(plan, uptown) -> dict:
    return check_plan(plan, uptown)


def _broken(plan: dict, walker: str, i: int, **changes) -> dict:
    bad = copy.deepcopy(plan)
    for key, value in changes.items():
        bad["timeline"][walker][i][key] = value
        bad["walkers"][walker]["steps"][i][key] = value
    return bad


def _first(plan: dict, activity: str) -> tuple[str, int]:
    for w, legs in plan["timeline"].items():
        for i, leg in enumerate(legs):
            if leg["activity"] == activity and i > 0:
                return w, i
    raise AssertionError(f"no {activity} leg")


def test_planner_output_is_valid(result):
    assert result["valid"], result["problems"][:5]
    assert result["breaks_ok"], result["break_problems"]
    assert result["checkins_outside_hours"] == []
    assert result["min_on_street"] >= 6


def test_keys_and_target_table(result):
    for key in ("valid", "corridor_max_gap_min", "area_blocks_unvisited", "businesses_unchecked",
                "checkins_outside_hours", "hotspot_max_gap_min", "breaks_ok", "min_on_street", "balance_ratio",
                "all_targets_met"):
        assert key in result
    assert result["all_targets_met"] == all(r["met"] for r in result["targets"])


def test_checker_agrees_with_the_planners_own_shortfalls(plan, result):
    assert result["all_targets_met"] == plan["all_targets_met"] or not result["all_targets_met"]
    assert abs(result["corridor_max_gap_min"] - plan["summary"]["corridor_max_gap_min"]) < 1.0


def test_rejects_a_jump_between_blocks_that_do_not_touch(plan, uptown):
    w, i = _first(plan, "walk")
    a = uptown.arrays
    leg = plan["timeline"][w][i]
    ends = {int(a.edge_u[leg["block"]]), int(a.edge_v[leg["block"]])}
    far = next(b for b in range(a.n_edges) if not ends & {int(a.edge_u[b]), int(a.edge_v[b])}
               and a.edge_length[b] >= leg["off1"] and a.edge_length[b] >= leg["off0"]
               and abs(a.edge_length[b] - a.edge_length[leg["block"]]) < 30)
    r = check_plan(_broken(plan, w, i, block=far), uptown)
    assert not r["valid"] and any("do not touch" in p for p in r["problems"])


def test_rejects_a_checkin_outside_opening_hours(plan, uptown):
    w, i = _first(plan, "checkin")
    leg = plan["timeline"][w][i]
    bad = copy.deepcopy(plan)
    # move the whole timeline of that walker to 05:00: every check-in is before opening
    shift = 300 - leg["t0"]
    for seq in (bad["timeline"][w], bad["walkers"][w]["steps"]):
        for x in seq:
            x["t0"] += shift
            x["t1"] += shift
    r = check_plan(bad, uptown)
    assert any("opening hours" in c["problem"] for c in r["checkins_outside_hours"])
    assert not r["all_targets_met"]


def test_rejects_a_walk_faster_than_the_speed(plan, uptown):
    w, i = _first(plan, "walk")
    leg = plan["timeline"][w][i]
    dist = abs(leg["off1"] - leg["off0"])
    fast_t1 = leg["t0"] + dist / 60.0 / 3  # three times the patrol speed
    bad = _broken(plan, w, i, t1=fast_t1)
    r = check_plan(bad, uptown)
    assert not r["valid"] and any("faster than" in p for p in r["problems"])


def test_rejects_a_missing_break(plan, uptown):
    w, i = _first(plan, "break")
    bad = _broken(plan, w, i, activity="post", ref="")
    r = check_plan(bad, uptown)
    assert not r["breaks_ok"] and any(p.startswith(w) for p in r["break_problems"])
    assert not r["all_targets_met"]


def test_rejects_steps_that_disagree_with_the_timeline(plan, uptown):
    bad = copy.deepcopy(plan)
    w = next(iter(bad["walkers"]))
    bad["walkers"][w]["steps"][3]["t0"] += 5
    r = check_plan(bad, uptown)
    assert not r["valid"]


def test_not_a_plan(tmp_path, uptown):
    p = tmp_path / "x.json"
    p.write_text("{}")
    with pytest.raises(PlanError):
        check_plan(p, uptown)


def test_what_is_due_comes_from_the_settings_not_from_the_plan(plan, uptown, result):
    bad = copy.deepcopy(plan)
    bad["checkins_due"] = bad["checkins_due"][:3]  # a plan that "forgets" most of the day's businesses
    assert len(check_plan(bad, uptown)["businesses_unchecked"]) == len(result["businesses_unchecked"])
    # with one check-in a week, the rotation gives every business exactly one shift day, evenly spread
    s = uptown.settings.replace(targets__checkins_per_week=1)
    per_day = [_due_today(uptown, s, d) for d in s.shift.days]
    assert sorted(i for day in per_day for i in day) == [int(i) for i in np.flatnonzero(uptown.business_in_area())]
    assert max(map(len, per_day)) - min(map(len, per_day)) <= 1
    # and it is the planner's rotation too (stated twice, independently)
    from patrol.routing.daily_plan import checkins_due

    district = District(s, uptown.graph.copy(), uptown.businesses)
    assert [list(checkins_due(district, d)) for d in s.shift.days] == per_day


def test_rejects_a_plan_that_drops_its_hot_spots(plan, uptown):
    bad = copy.deepcopy(plan)
    bad["hotspots"] = bad["hotspots"][:2]
    r = check_plan(bad, uptown)
    row = next(t for t in r["targets"] if t["target"] == "hotspots_declared")
    assert not row["met"] and not r["all_targets_met"]
