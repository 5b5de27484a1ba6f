"""The independent plan checker (patrol.planning.check): it accepts the planner's plan, and judges every
plan against the district, so plans tampered with or made for something else fail."""

from __future__ import annotations

import ast
import copy
import json
from pathlib import Path

import networkx as nx
import numpy as np
import pytest

import patrol.planning.check as check_module
from patrol.demand import block_demand
from patrol.district import District, district_for_plan
from patrol.errors import PlanError
from patrol.paths import all_pairs
from patrol.planning import checkins_due, plan_day
from patrol.planning.check import _due_today, check_plan, ready_p90
from patrol.planning.ready import readiness
from patrol.timeline import Timeline


@pytest.fixture(scope="module")
def plan(uptown) -> dict:
    p = plan_day(uptown, "tue", seed=0)
    return json.loads(json.dumps(p.to_dict()))


@pytest.fixture(scope="module")
def result(plan, uptown) -> dict:
    return check_plan(plan, uptown)


def _row(result: dict, name: str) -> dict:
    return next(t for t in result["targets"] if t["target"] == name)


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


def test_the_checker_imports_nothing_from_the_planner():
    tree = ast.parse(Path(check_module.__file__).read_text())
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)} | \
        {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert not {m for m in imported if m and m.startswith("patrol.planning")}, imported


def test_planner_output_is_valid_and_judged_by_the_district(result):
    assert result["valid"], result["problems"][:5]
    assert result["breaks_ok"], result["break_problems"]
    assert result["checkins_outside_hours"] == [] and result["min_on_street"] >= 6
    assert not result["settings_differences"] and not result["roster_problems"] and not result["hotspot_problems"]
    assert "Uptown" in result["judged_against"]


def test_rejects_a_jump_between_blocks_that_do_not_touch(plan, uptown):
    w, i = _first(plan, "walk")
    a = uptown.arrays
    leg = plan["timeline"][w][i]
    ends = {int(a.edge_u[leg["block"]]), int(a.edge_v[leg["block"]])}
    far = next(b for b in range(a.n_edges) if not ends & {int(a.edge_u[b]), int(a.edge_v[b])}
               and a.edge_length[b] >= leg["off1"] and a.edge_length[b] >= leg["off0"]
               and abs(a.edge_length[b] - a.edge_length[leg["block"]]) < 30)
    r = check_plan(_broken(plan, w, i, block=far), uptown)
    assert not r["valid"] and any("do not touch" in p for p in r["problems"]) and not r["all_targets_met"]


def test_rejects_a_checkin_outside_opening_hours(plan, uptown):
    w, i = _first(plan, "checkin")
    leg = plan["timeline"][w][i]
    bad = copy.deepcopy(plan)
    shift = 300 - leg["t0"]  # move the whole walker to 05:00: every check-in is before opening
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
    bad = _broken(plan, w, i, t1=leg["t0"] + dist / 60.0 / 3)  # three times the patrol speed
    r = check_plan(bad, uptown)
    assert not r["valid"] and any("faster than" in p for p in r["problems"])


def test_rejects_a_missing_break(plan, uptown):
    w, i = _first(plan, "break")
    r = check_plan(_broken(plan, w, i, activity="post", ref=""), uptown)
    assert not r["breaks_ok"] and any(p.startswith(w) for p in r["break_problems"]) and not r["all_targets_met"]


def test_rejects_steps_that_disagree_with_the_timeline(plan, uptown):
    bad = copy.deepcopy(plan)
    w = next(iter(bad["walkers"]))
    bad["walkers"][w]["steps"][3]["t0"] += 5
    assert not check_plan(bad, uptown)["valid"]


def test_not_a_plan(tmp_path, uptown):
    p = tmp_path / "x.json"
    p.write_text("{}")
    with pytest.raises(PlanError):
        check_plan(p, uptown)


# ---------------------------------------------------------------------------------------- tampered plans
def test_relaxed_settings_fail_unless_the_what_if_flag_is_given(plan, uptown):
    bad = copy.deepcopy(plan)
    bad["settings"]["targets"]["corridor_revisit_min"] = 600
    bad["settings"]["targets"]["balance_ratio_max"] = 9.0
    bad["settings"]["targets"]["ready_p90_min"] = 60.0  # not met by the default plan at 5 (the planner's to trade)
    r = check_plan(bad, uptown)
    assert not _row(r, "settings")["met"] and not r["all_targets_met"]
    assert any("corridor_revisit_min: plan 600, district 60" in d for d in r["settings_differences"])
    own = check_plan(bad, uptown, own_settings=True)
    assert own["all_targets_met"] and "what-if" in own["judged_against"]
    assert own["settings_differences"] == r["settings_differences"]  # still listed


def test_one_walker_standing_at_the_base_all_day_fails(uptown):
    """The smallest cheat: one unit, posted at the base from start to end, with settings to match."""
    s = uptown.settings.replace(roster__size=1, targets__corridor_revisit_min=600, targets__hotspot_count=0,
                                targets__checkins_per_week=0, targets__area_visits_per_shift=0,
                                breaks__meal_min=0, breaks__rest_count=0, breaks__min_on_street=1)
    a = uptown.arrays
    b = int(np.flatnonzero((a.edge_u == uptown.base_index) | (a.edge_v == uptown.base_index))[0])
    off = 0.0 if a.edge_u[b] == uptown.base_index else float(a.edge_length[b])
    leg = {"t0": 600.0, "t1": 1080.0, "block": b, "off0": off, "off1": off, "activity": "post", "ref": ""}
    from patrol.settings import settings_to_dict

    cheat = {"district": uptown.name, "day": "tue", "settings": settings_to_dict(s), "hotspots": [],
             "walkers": {"lead": {"members": ["lead"], "role": "walker", "steps": [leg]}},
             "timeline": {"lead": [leg]}}
    r = check_plan(cheat, uptown)
    assert r["valid"]  # it is a real walk (it just does nothing)
    assert not r["all_targets_met"]
    for row in ("settings", "roster", "corridor_max_gap_min", "businesses_unchecked", "hotspots"):
        assert not _row(r, row)["met"], row
    assert any("amb8 is on the roster but has no route" in p for p in r["roster_problems"])


def test_fewer_walkers_fail(plan, uptown):
    bad = copy.deepcopy(plan)
    for key in ("timeline", "walkers"):
        del bad[key]["amb8"]
    r = check_plan(bad, uptown)
    assert not _row(r, "roster")["met"] and any("amb8" in p for p in r["roster_problems"])


def test_inflated_members_fail_and_count_nobody_extra(plan, uptown, result):
    bad = copy.deepcopy(plan)
    bad["walkers"]["amb2"]["members"] = ["amb2", "amb9", "amb10"]
    r = check_plan(bad, uptown)
    assert not _row(r, "roster")["met"]
    assert r["min_on_street"] == result["min_on_street"]  # people counted from the roster, not the plan


def test_a_walker_relabelled_as_rover_to_escape_the_balance_fails(plan, uptown, result):
    bad = copy.deepcopy(plan)
    longest = max(result["walk_km"], key=result["walk_km"].get)
    bad["walkers"][longest]["role"] = "rover"
    r = check_plan(bad, uptown)
    assert not _row(r, "roster")["met"]
    assert r["balance_ratio"] == result["balance_ratio"]  # roles come from the roster


def test_invented_hot_spots_fail_and_the_gap_is_measured_on_the_real_ones(plan, uptown, result):
    bad = copy.deepcopy(plan)
    dwelt = sorted({leg["block"] for legs in bad["timeline"].values() for leg in legs if leg["activity"] == "post"})
    bad["hotspots"] = [{"id": j + 1, "block": b} for j, b in enumerate(dwelt[:5])]
    r = check_plan(bad, uptown)
    assert not _row(r, "hotspots")["met"] and r["hotspot_problems"]
    assert r["hotspot_max_gap_min"] == result["hotspot_max_gap_min"]
    assert r["hotspots"] == result["hotspots"]


def test_dropped_hot_spots_fail(plan, uptown):
    bad = copy.deepcopy(plan)
    bad["hotspots"] = bad["hotspots"][:2]
    r = check_plan(bad, uptown)
    assert not _row(r, "hotspots")["met"] and not r["all_targets_met"]


def test_teleporting_steps_fail(plan, uptown):
    bad = copy.deepcopy(plan)
    w = "amb3"
    legs = bad["timeline"][w]
    j = next(i for i, leg in enumerate(legs) if leg["activity"] == "walk" and i > 5)
    far = max(range(len(legs)), key=lambda i: abs(legs[i]["block"] - legs[j]["block"]))
    for seq in (bad["timeline"][w], bad["walkers"][w]["steps"]):
        seq[j] = dict(seq[j], block=legs[far]["block"], off0=legs[far]["off0"], off1=legs[far]["off1"])
    r = check_plan(bad, uptown)
    assert not r["valid"] and any(w in p for p in r["problems"])


def test_checkins_are_matched_by_business_id_and_place(plan, uptown):
    w, i = _first(plan, "checkin")
    leg = plan["timeline"][w][i]
    # the same leg with another business's name still counts for its own business (ids, not names) ...
    renamed = _broken(plan, w, i, ref="A name shared by many shops")
    assert check_plan(renamed, uptown)["checkins_outside_hours"] == []
    # ... and an id of a business elsewhere is not a check-in with it
    bb = uptown.business_blocks[0]
    other = next(j for j in range(len(uptown.businesses)) if int(bb[j]) != leg["block"])
    r = check_plan(_broken(plan, w, i, business=other), uptown)
    assert any(c["problem"] == "not at that business" for c in r["checkins_outside_hours"])
    r = check_plan(_broken(plan, w, i, business=None), uptown)
    assert any("no business id" in c["problem"] for c in r["checkins_outside_hours"])


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
    district = District(s, uptown.graph.copy(), uptown.businesses)
    assert [list(checkins_due(district, d)) for d in s.shift.days] == per_day


# ---------------------------------------------------------------------------------------- whose district
def test_a_plan_names_its_district_and_another_one_is_refused(plan, uptown, tmp_path):
    assert plan["district_source"] == "embedded" and plan["district_fingerprint"] == uptown.fingerprint
    assert district_for_plan(plan).fingerprint == uptown.fingerprint
    # the same district folder with one street renamed is another district's data
    folder = tmp_path / "renamed"
    import shutil

    shutil.copytree(uptown.folder, folder)
    seg = folder / "street_segments.csv"
    text = seg.read_text()
    seg.write_text(text.replace("Hennepin Ave S", "Hennepin Avenue South", 1))
    with pytest.raises(PlanError, match="was made for district") as edited:
        district_for_plan(plan, folder)
    # the same district's name: the message says its data changed and what to do, not "another district"
    assert "have changed since" in str(edited.value) and "make the plan again" in str(edited.value)
    (folder / "district.toml").write_text((folder / "district.toml").read_text().replace(
        f'name = "{uptown.name}"', 'name = "Lyn-Lake"', 1))
    with pytest.raises(PlanError, match="not for 'Lyn-Lake'"):
        district_for_plan(plan, folder)
    moved = dict(plan, district_source=str(tmp_path / "gone"))
    with pytest.raises(PlanError, match="not there"):
        district_for_plan(moved)
    old = {k: v for k, v in plan.items() if k != "district_fingerprint"}
    with pytest.raises(PlanError, match="fingerprint"):
        district_for_plan(old)


# ---------------------------------------------------------------------------------------- ready to respond
def _midpoint_distances(G, source: tuple[int, float], area: list[int]) -> dict[int, float]:
    """Brute force: networkx over the street graph with every area block cut at its middle and the source
    point cut into its block; the walking metres from the source to each area block's middle."""
    H = nx.Graph()
    for _, _, d in G.edges(data=True):
        b = d["block"]
        stops = [(0.0, d["u"]), (d["length"], d["v"])]
        if b in area:
            stops.append((d["length"] / 2.0, f"M{b}"))
        if b == source[0]:
            stops.append((source[1], "S"))
        stops.sort(key=lambda x: x[0])
        for (o0, n0), (o1, n1) in zip(stops, stops[1:], strict=False):
            if n0 != n1 and (not H.has_edge(n0, n1) or H[n0][n1]["w"] > o1 - o0):
                H.add_edge(n0, n1, w=o1 - o0)
    got = nx.single_source_dijkstra_path_length(H, "S", weight="w")
    return {b: got.get(f"M{b}", np.inf) for b in area}


def _brute_ready(timeline: dict, units: set[str], district: District) -> tuple[np.ndarray, np.ndarray]:
    s = district.settings
    a = district.arrays
    area = [int(b) for b in np.flatnonzero(a.edge_in_area)]
    w = block_demand(district)[area]
    cache: dict[tuple[int, float], dict[int, float]] = {}
    times = np.arange(s.shift.start_min, s.shift.end_min) + 0.5
    out = []
    for t in times:
        best = dict.fromkeys(area, np.inf)
        for name, legs in timeline.items():
            if name not in units:
                continue
            leg = next((x for x in legs if x["t0"] <= t <= x["t1"]), None)
            if leg is None or leg["activity"] not in ("walk", "checkin", "dwell", "post"):
                continue
            f = (t - leg["t0"]) / (leg["t1"] - leg["t0"])
            point = (leg["block"], round(leg["off0"] + f * (leg["off1"] - leg["off0"]), 9))
            if point not in cache:
                cache[point] = _midpoint_distances(district.graph, point, area)
            for b, dist in cache[point].items():
                best[b] = min(best[b], dist)
        minutes = [best[b] / s.speeds.response_m_s / 60.0 for b in area]
        acc, value = 0.0, np.inf
        for m, weight in sorted(zip(minutes, w, strict=True), key=lambda x: x[0]):
            acc += weight
            if acc >= 0.9 * w.sum() - 1e-12:
                value = m
                break
        out.append(value)
    return times, np.array(out)


def _leg(t0, t1, block, off0, off1, activity):
    return {"t0": float(t0), "t1": float(t1), "block": int(block), "off0": float(off0), "off1": float(off1),
            "activity": activity, "ref": ""}


def test_ready_to_respond_equals_a_brute_force(uptown):
    a = uptown.arrays
    area = np.flatnonzero(a.edge_in_area)
    b1, b2, b3, b4 = (int(area[i]) for i in (3, 40, 90, 140))
    L2 = float(a.edge_length[b2])
    tl = {
        # posts, walks a block in 5 minutes, takes a break (not available), posts; nothing at 16:40-16:50
        "lead": [_leg(600, 700, b1, 20.0, 20.0, "post"), _leg(700, 705, b2, 0.0, L2, "walk"),
                 _leg(705, 735, b2, L2, L2, "break"), _leg(735, 1000, b3, 5.0, 5.0, "post"),
                 _leg(1010, 1080, b3, 5.0, 5.0, "checkin")],
        # dwells, responds to an incident (not available) at 16:35-16:55, dwells again
        "amb2": [_leg(600, 995, b4, 10.0, 10.0, "dwell"), _leg(995, 1015, b4, 10.0, 10.0, "respond"),
                 _leg(1015, 1080, b4, 10.0, 10.0, "dwell")],
        # not a unit of the roster: counts nobody
        "stranger": [_leg(600, 1080, b2, 1.0, 1.0, "post")],
    }
    Timeline.from_dict(tl)  # a well-formed timeline
    units = {"lead", "amb2"}
    times, got = ready_p90(tl, units, uptown, uptown.settings)
    want_t, want = _brute_ready(tl, units, uptown)
    np.testing.assert_allclose(times, want_t)
    nobody = (times > 1000) & (times < 1010)
    assert np.isinf(got[nobody]).all() and np.isinf(want[nobody]).all()
    np.testing.assert_allclose(got[~nobody], want[~nobody], rtol=0, atol=1e-9)
    # the lead's break leaves amb2 alone: the measure is worse than with both out
    assert got[(times > 705) & (times < 735)].min() > got[(times > 600) & (times < 700)].max()
    # the checker reports the worst minute as a target row: never reached 90 % at 16:41 -> no value, not met
    r = check_plan({"district": uptown.name, "day": "tue", "timeline": tl, "walkers": {}}, uptown)
    assert r["ready_p90_min"] is None and not _row(r, "ready_p90_min")["met"]
    assert r["ready"]["minutes_over"] == int((got > 5.0).sum())
    # filled, the worst minute is the brute force's maximum
    tl["lead"][3] = _leg(735, 1010, b3, 5.0, 5.0, "post")
    tl["amb2"][1] = _leg(995, 1015, b4, 10.0, 10.0, "dwell")
    _, want = _brute_ready(tl, units, uptown)
    r = check_plan({"district": uptown.name, "day": "tue", "timeline": tl, "walkers": {}}, uptown)
    assert r["ready_p90_min"] == pytest.approx(round(float(want.max()), 2))
    row = _row(r, "ready_p90_min")
    assert row["required"] == "<= 5" and row["met"] == (float(want.max()) <= 5.0)


def test_the_planners_readiness_equals_the_brute_force_too(uptown):
    """The planner's own measure (patrol.planning.ready, chunked NumPy on all-pairs distances) against the same
    brute force, over the whole shift and from a re-plan's minute on."""
    a = uptown.arrays
    area = np.flatnonzero(a.edge_in_area)
    b1, b3 = int(area[3]), int(area[90])
    tl = {"lead": [_leg(600, 800, b1, 20.0, 20.0, "post"), _leg(800, 830, b1, 20.0, 20.0, "break"),
                   _leg(830, 1080, b3, 5.0, 5.0, "dwell")],
          "amb2": [_leg(600, 1080, b3, 0.0, 0.0, "post")]}
    times, want = _brute_ready(tl, set(tl), uptown)
    s = uptown.settings
    steps = Timeline.from_dict(tl).legs
    kw = dict(dist=all_pairs(a).dist, edge_u=a.edge_u, edge_v=a.edge_v, edge_length=a.edge_length,
              area=a.edge_in_area, weights=block_demand(uptown), start=s.shift.start_min, end=s.shift.end_min,
              speed_m_min=s.speeds.response_m_s * 60.0, limit_min=3.0)
    r = readiness(steps, **kw)
    assert r.worst_min == pytest.approx(float(want.max()), abs=1e-9)
    assert r.minutes_over == int((want > 3.0 + 1e-3).sum()) and r.median_min == pytest.approx(float(np.median(want)))
    later = readiness(steps, **kw, from_min=815.5)
    assert later.minutes_over == int((want[times > 815] > 3.0 + 1e-3).sum())


def test_the_default_plan_reports_ready_to_respond(result, plan, uptown):
    row = _row(result, "ready_p90_min")
    assert result["ready_p90_min"] is not None and row["achieved"] == result["ready_p90_min"]
    assert row["met"] == (result["ready_p90_min"] <= uptown.settings.targets.ready_p90_min)
    # the threshold is a setting (here a what-if's own)
    loose = copy.deepcopy(plan)
    loose["settings"]["targets"]["ready_p90_min"] = 60.0
    own = check_plan(loose, uptown, own_settings=True)
    assert _row(own, "ready_p90_min")["required"] == "<= 60" and _row(own, "ready_p90_min")["met"]
    assert own["ready_p90_min"] == result["ready_p90_min"]


def test_timeline_passes_agree_with_the_checker(plan, uptown, result):
    """The passes dispatch costs are worked out from (Timeline.passes) give the checker's corridor gap."""
    a = uptown.arrays
    tl = Timeline.from_dict(plan["timeline"])
    passes = tl.passes(a.edge_length)
    s = uptown.settings
    lo = s.shift.start_min + s.targets.corridor_first_visit_min - s.targets.corridor_revisit_min
    worst = 0.0
    for b in np.flatnonzero(a.edge_in_area & a.edge_corridor):
        pts = [lo, *sorted(p.t_end for p in passes.get(int(b), [])), s.shift.end_min]
        worst = max(worst, float(np.max(np.diff(pts))))
    assert worst == pytest.approx(result["corridor_max_gap_min"], abs=0.01)
