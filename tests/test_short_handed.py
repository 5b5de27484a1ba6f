"""Short-handed days (patrol.planning with a day's roster): today's roster without editing files, always a
valid plan, targets giving way in the stated order, and every shortfall with its reason."""

from __future__ import annotations

import json
import math

import pytest

from patrol.cli import main
from patrol.errors import InputError
from patrol.planning import check_plan, plan_day
from patrol.planning.breaks import plan_breaks
from patrol.planning.duties import day_roster, unit_specs
from patrol.planning.model import DayRoster


def _failed(check: dict) -> set[str]:
    return {t["target"] for t in check["targets"] if not t["met"]}


def test_the_days_roster_is_checked_and_names_the_problem(uptown):
    s = uptown.settings
    with pytest.raises(InputError, match="not on the roster: amb9"):
        unit_specs(s, DayRoster(absent=("amb9",)))
    with pytest.raises(InputError, match="inside the shift"):
        unit_specs(s, day_roster(s, start={"amb3": "09:00"}))
    with pytest.raises(InputError, match="end after they start"):
        unit_specs(s, day_roster(s, start={"amb3": "15:00"}, end={"amb3": "14:00"}))
    with pytest.raises(InputError, match="not both"):
        unit_specs(s, DayRoster(absent=("amb2",), only=("lead",)))
    with pytest.raises(InputError, match="nobody is working"):
        unit_specs(s, DayRoster(only=()).__class__(absent=tuple(s.roster.ambassador_names())))
    with pytest.raises(InputError, match="HH:MM"):
        day_roster(s, start={"amb3": "noon"})
    units = unit_specs(s, day_roster(s, absent=["amb5"], start={"amb3": "12:00"}, end={"amb6": "16:00"}))
    hours = {u.name: (u.start, u.end) for u in units}
    assert "amb5" not in hours and hours["amb3"] == (720, 1080) and hours["amb6"] == (600, 960)
    assert hours["lead"] == (600, 1080)
    pairs = unit_specs(s, day_roster(s, absent=["amb2"], start={"amb4": "11:00"}, pairs=True))
    assert [u.members for u in pairs] == [("lead", "amb3"), ("amb4", "amb5"), ("amb6", "amb7"), ("amb8",)]
    assert (pairs[1].start, pairs[1].end) == (660, 1080)  # a pair walks the hours both work


FIRST = ("lead", "amb2", "amb3", "amb4", "amb5", "amb6", "amb7", "amb8")
#: The grid of day's rosters: 8 down to 3 people, late starts, early leaves, pairs; and the search's time limit
#: (None: the whole search; a short limit: the best plan found so far, which must be as valid).
GRID = {
    "7": (DayRoster(only=FIRST[:7]), None),
    "6": (DayRoster(only=FIRST[:6]), 3.0),
    "5": (DayRoster(only=FIRST[:5]), None),
    "4": (DayRoster(only=FIRST[:4]), 3.0),
    "3": (DayRoster(only=FIRST[:3]), None),
    "late-start-early-leave": (DayRoster(hours=(("amb3", 720, 1080), ("amb6", 600, 960))), None),
    "7-lead-from-13": (DayRoster(absent=("amb2",), hours=(("lead", 780, 1080),)), None),
    "5-one-from-12": (DayRoster(only=FIRST[:5], hours=(("amb4", 720, 1080),)), 3.0),
    "4-one-until-15": (DayRoster(only=FIRST[:4], hours=(("amb3", 600, 900),)), 3.0),
    "pairs-of-7": (DayRoster(pairs=True, absent=("amb8",)), None),
    "pairs-of-6": (DayRoster(pairs=True, only=FIRST[:6]), 3.0),
}


@pytest.mark.slow
@pytest.mark.parametrize("name", list(GRID))
def test_every_roster_gets_a_valid_plan(uptown, name):
    """Whatever the roster and hours: real blocks at walking speed, inside each person's hours, from and back
    to the base (the independent checker's validity), and the roster the checker expects."""
    roster, limit = GRID[name]
    p = plan_day(uptown, "tue", seed=1, roster=roster, time_limit_s=limit)
    d = p.to_dict()
    r = check_plan(d, uptown)
    assert r["valid"], r["problems"][:5]
    assert not r["roster_problems"] and not r["settings_differences"], (r["roster_problems"], r["settings_differences"])
    # every shortfall the checker finds is reported, with a reason
    assert all(s.why for s in p.shortfalls)
    # the plan walks exactly the people the grid put on duty, each inside the hours the grid gave them
    names = set(roster.only or FIRST) - set(roster.absent)
    members = {m for w in d["walkers"].values() for m in w["members"]}
    assert members == names
    hours = {n: (a, b) for n, a, b in roster.hours}
    for w, legs in d["timeline"].items():
        for m in d["walkers"][w]["members"]:
            a, b = hours.get(m, (600, 1080))
            assert a - 1e-6 <= legs[0]["t0"] and legs[-1]["t1"] <= b + 1e-6, (w, m)


@pytest.mark.slow
def test_targets_give_way_in_the_stated_order(uptown):
    """Seven people: seven meals cannot keep six on the street (7 x 30 = 210 person-minutes > the 150-min window
    with one off at a time); the corridor and the hot spots, higher in the default order, hold; with check-ins
    put first, fewer check-ins are missed and a target after them in that order is what gives way."""
    seven = DayRoster(absent=("amb5",))
    p = plan_day(uptown, "tue", seed=0, roster=seven)
    r = check_plan(p.to_dict(), uptown)
    assert r["valid"]
    failed = _failed(r)
    assert "corridor_max_gap_min" not in failed and "hotspot_max_gap_min" not in failed and "breaks_ok" not in failed
    assert "min_on_street" in failed
    on = next(s for s in p.shortfalls if s.target == "min_on_street")
    assert "7 meals x 30 min = 210 person-minutes" in on.why and "150-min meal window" in on.why
    order = ("breaks", "checkins", "corridor", "hotspots", "area", "on_street", "balance")
    d2 = type(uptown)(uptown.settings.replace(targets__priority=order), uptown.graph, uptown.businesses,
                      uptown.folder)
    q = plan_day(d2, "tue", seed=0, roster=seven)
    r2 = check_plan(q.to_dict(), d2)
    assert r2["valid"]
    # check-ins first: fewer missed, paid for by a target the new order puts after them
    assert len(r2["businesses_unchecked"]) < len(r["businesses_unchecked"])
    assert r2["hotspot_max_gap_min"] > r["hotspot_max_gap_min"] or r2["corridor_max_gap_min"] > \
        r["corridor_max_gap_min"] or len(r2["area_blocks_unvisited"]) > len(r["area_blocks_unvisited"])


def test_capacity_bound_explains_what_three_people_cannot_do(uptown):
    """Three people have 3 x (480 - 60) = 1260 minutes on the street; the corridor (7 passes of every corridor
    block) and the hot spots (3 dwells of 10 min at 5 hot spots) come first, and with 201 check-ins of 5 min
    the least the targets need is over that: the check-ins are impossible, and the plan says so."""
    a = uptown.arrays
    corridor = float(a.edge_length[a.edge_corridor & a.edge_in_area].sum()) * 7 / 60.0
    need = corridor + 5 * 3 * 10 + 201 * 5
    assert need > 3 * (480 - 60)
    p = plan_day(uptown, "tue", seed=0, roster=DayRoster(only=("lead", "amb2", "amb3")))
    checkins = next(s for s in p.shortfalls if s.target == "checkins")
    assert checkins.why.startswith("impossible with this roster") and "1260 min the 3 units have" in checkins.why
    assert p.summary["capacity"]["available_min"] == pytest.approx(1260)
    assert math.isclose(sum(p.summary["capacity"]["need_min"].values()), need + float(
        a.edge_length[a.edge_in_area & ~a.edge_corridor].sum()) / 60.0, rel_tol=1e-4)


def test_cli_takes_todays_roster_and_the_checker_judges_by_it(uptown, tmp_path, capsys):
    out = tmp_path / "tue"
    rc = main(["plan", "--day", "tue", "--seed", "2", "--absent", "amb5", "--start", "amb3=12:00", "--end",
               "amb6=16:00", "--out", str(out), "--maps", str(tmp_path / "maps"), "--json"])
    body = json.loads(capsys.readouterr().out)
    plan = json.loads((out / "plan.json").read_text())
    assert plan["day_roster"] == {"absent": ["amb5"], "hours": {"amb3": ["12:00", "18:00"], "amb6": ["10:00", "16:00"]}}
    assert "amb5" not in plan["walkers"] and plan["walkers"]["amb3"]["hours"] == ["12:00", "18:00"]
    starts = {w: legs[0]["t0"] for w, legs in plan["timeline"].items()}
    ends = {w: legs[-1]["t1"] for w, legs in plan["timeline"].items()}
    assert starts["amb3"] >= 720 and ends["amb6"] <= 960
    rc_check = main(["plan", "check", str(out / "plan.json"), "--json"])
    r = json.loads(capsys.readouterr().out)
    assert r["valid"] and not r["roster_problems"] and not r["settings_differences"]
    # the planner's exit code says what the independent checker finds: 1 when a target is missed
    assert rc == rc_check == (0 if r["all_targets_met"] else 1)
    assert bool(body["shortfalls"]) == (not r["all_targets_met"])
    # a plan that says amb5 is off but still walks amb5 is refused
    bad = dict(plan, timeline={**plan["timeline"], "amb5": plan["timeline"]["amb2"]},
               walkers={**plan["walkers"], "amb5": plan["walkers"]["amb2"] | {"members": ["amb5"]}})
    r = check_plan(bad, uptown)
    assert any("amb5" in p for p in r["roster_problems"])
    # a roster file works as the flags do; bad flags name the problem
    roster = tmp_path / "today.toml"
    roster.write_text('absent = ["amb5"]\n[start]\namb3 = "12:00"\n[end]\namb6 = "16:00"\n')
    assert main(["plan", "--day", "tue", "--seed", "2", "--roster", str(roster), "--out", str(tmp_path / "f"),
                 "--maps", str(tmp_path / "maps"), "--json"]) == rc
    capsys.readouterr()
    assert json.loads((tmp_path / "f" / "plan.json").read_text())["timeline"] == plan["timeline"]
    assert main(["plan", "--day", "tue", "--start", "amb3", "--json"]) == 2
    assert "NAME=HH:MM" in capsys.readouterr().out
    roster.write_text('absent = ["amb5"]\nlunch = "12:00"\n')
    assert main(["plan", "--day", "tue", "--roster", str(roster)]) == 2
    assert "unknown key(s) lunch" in capsys.readouterr().err


def test_per_person_hours_are_kept_by_the_checker(uptown):
    """A late starter walking before its hours, or leaving after them, is invalid (by the day's roster)."""
    p = plan_day(uptown, "tue", seed=5, roster=DayRoster(hours=(("amb3", 720, 1080),)))
    d = p.to_dict()
    assert check_plan(d, uptown)["valid"]
    legs = d["timeline"]["amb3"]
    shift = 720 - 60 - legs[0]["t0"]  # move amb3's whole day an hour before its start
    for seq in (d["timeline"]["amb3"], d["walkers"]["amb3"]["steps"]):
        for x in seq:
            x["t0"] += shift
            x["t1"] += shift
    r = check_plan(d, uptown)
    assert not r["valid"] and any("before its hours (12:00-18:00)" in x for x in r["problems"])



@pytest.mark.parametrize("present", [3, 4, 5, 6, 7])
def test_breaks_keep_as_many_on_the_street_as_the_meals_allow(uptown, present):
    """When the on-street minimum cannot hold, breaks still stagger: n meals of m minutes in a w-minute window
    need at least ceil(n x m / w) people off at once at some minute, and no more is needed (back to back
    meals), so the worst minute has n - ceil(n x m / w) people on the street (6 people: 4, not 0)."""
    s = uptown.settings
    br = s.breaks
    names = s.roster.ambassador_names()[:present]
    units = unit_specs(s, DayRoster(only=tuple(names)))
    slots, shortfalls = plan_breaks(s, units)
    ws, we = (int(t[:2]) * 60 + int(t[3:]) for t in br.meal_window)
    expected = present - math.ceil(present * br.meal_min / (we - ws))
    off = [0] * (24 * 60)
    for unit_slots in slots:
        assert sum(b.kind == "meal" for b in unit_slots) == 1
        for b in unit_slots:
            for t in range(b.start, b.end):
                off[t] += 1
    shift = range(s.shift.start_min, s.shift.end_min)
    assert min(present - off[t] for t in shift) == min(expected, present)
    assert not [x for x in shortfalls if x.target == "breaks"]
