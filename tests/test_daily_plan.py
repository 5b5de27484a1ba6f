"""Daily plans (patrol.planning.plan): structure, targets met and shortfalls reported honestly (as the
independent checker sees them), pairs, other rosters and hours, the week, the time limit."""

from __future__ import annotations

import json

import numpy as np
import pytest

from patrol.district import District
from patrol.errors import InputError
from patrol.planning import check_plan, checkins_due, plan_day, plan_week
from patrol.timeline import Timeline

#: The planner's shortfall names and the checker's rows that judge the same target.
SAME_TARGET = {"corridor_revisit": "corridor_max_gap_min", "area_coverage": "area_blocks_unvisited",
               "checkins": "businesses_unchecked", "hotspot_revisit": "hotspot_max_gap_min",
               "balance": "balance_ratio", "breaks": "breaks_ok", "min_on_street": "min_on_street",
               "ready_to_respond": "ready_p90_min"}


@pytest.fixture(scope="module")
def day(uptown):
    """The default day (``patrol plan --day tue --seed 0``)."""
    return plan_day(uptown, "tue", seed=0)


@pytest.fixture(scope="module")
def day_check(day, uptown):
    return check_plan(day.to_dict(), uptown)


def assert_honest(plan, check: dict) -> None:
    """The planner reports a shortfall exactly for the targets the independent checker finds missed."""
    failed = {r["target"] for r in check["targets"] if not r["met"]}
    if not plan.settings["targets"]["ready_required"]:  # reported, not a target the plan must meet
        failed.discard("ready_p90_min")
    reported = {SAME_TARGET[s.target] for s in plan.shortfalls}
    assert reported == failed & set(SAME_TARGET.values()), (plan.shortfalls, check["targets"])


def test_every_unit_starts_and_ends_at_the_base_inside_the_shift(day, uptown):
    tl = day.timeline()
    assert isinstance(tl, Timeline) and len(tl.walkers) == 8
    base = uptown.base_index
    a = uptown.arrays
    for w in tl.walkers:
        legs = tl.legs[w]
        assert legs[0].t0 == pytest.approx(600) and legs[-1].t1 <= 1080 + 1e-6
        for leg, off in ((legs[0], legs[0].off0), (legs[-1], legs[-1].off1)):
            node = a.edge_u[leg.block] if abs(off) < 1e-6 else a.edge_v[leg.block]
            assert node == base


def test_dispatch_reads_the_same_plan_back_from_plan_json(day):
    """What dispatch, coverage and the report read from disk is where the planner put each walker."""
    back = Timeline.from_dict(json.loads(json.dumps(day.to_dict()))["timeline"])
    mine = day.timeline()
    for t in np.arange(600.0, 1080.0, 7.3):
        for w in mine.walkers:
            a, b = mine.position(w, t), back.position(w, t)
            assert (a is None) == (b is None)
            if a is not None:
                assert a[0] == b[0] and a[2] == b[2] and a[1] == pytest.approx(b[1], abs=1e-3)


#: Targets the checker reports that the district does not require by default: "ready to respond"
#: (``targets.ready_required``; the default Tuesday: worst minute 11.8 min against 5, everyone walking out from
#: the base at 10:00 and back at 18:00).
NOT_REQUIRED = {"ready_p90_min"}


def test_default_day_meets_every_target(day_check):
    failed = [t for t in day_check["targets"] if not t["met"] and t["target"] not in NOT_REQUIRED]
    assert not failed, failed
    assert day_check["all_targets_met"]  # readiness is reported, not required, by default (targets.ready_required)
    assert {t["target"] for t in day_check["targets"] if not t["counted"]} == NOT_REQUIRED


@pytest.mark.slow
def test_ready_to_respond_when_required_is_traded_and_reported(uptown):
    """With ``targets.ready_required`` the planner ranks its variants on the minutes over the ready-to-respond
    limit too (last in the default priority, so nothing above it gives way): seed 2's plan then has fewer such
    minutes than without, every other target still met; the limit cannot be met at every minute (everyone
    leaves from and returns to the base), so the plan reports the shortfall the checker finds."""
    required = uptown.with_settings(uptown.settings.replace(targets__ready_required=True))
    free = plan_day(uptown, "tue", seed=2)
    traded = plan_day(required, "tue", seed=2)
    r = check_plan(traded.to_dict(), required)
    assert r["valid"] and all(t["met"] for t in r["targets"] if t["target"] not in NOT_REQUIRED)
    assert traded.summary["ready"]["minutes_over"] == r["ready"]["minutes_over"]
    assert traded.summary["ready"]["minutes_over"] < free.summary["ready"]["minutes_over"]
    assert free.summary["ready"]["required"] is False and traded.summary["ready"]["required"] is True
    assert not r["all_targets_met"] and not _row_met(r, "ready_p90_min")
    assert all(t["counted"] for t in r["targets"])  # required: the row counts, and is missed
    assert_honest(traded, r)
    assert "ready_to_respond" not in {s.target for s in free.shortfalls}


def _row_met(check: dict, name: str) -> bool:
    return next(t["met"] for t in check["targets"] if t["target"] == name)


def test_shortfalls_match_the_independent_check(day, day_check):
    assert_honest(day, day_check)


def test_same_seed_gives_the_same_plan(uptown, day):
    again = plan_day(uptown, "tue", seed=0)
    assert again.to_dict()["timeline"] == day.to_dict()["timeline"]


def test_hotspot_dwells_vary_with_the_seed(uptown, day):
    other = plan_day(uptown, "tue", seed=7)
    first = [h["dwells"][:1] for h in day.hotspots]
    second = [h["dwells"][:1] for h in other.hotspots]
    assert first != second


def test_checkin_rotation_spreads_the_week(uptown):
    s = uptown.settings.replace(targets__checkins_per_week=2)
    d2 = District(s, uptown.graph, uptown.businesses, uptown.folder)
    per_day = {day: set(checkins_due(d2, day).tolist()) for day in s.shift.days}
    counts = np.zeros(len(uptown.businesses), int)
    for due in per_day.values():
        counts[list(due)] += 1
    area = np.flatnonzero(uptown.business_in_area())
    assert np.all(counts[area] == 2)
    assert len({frozenset(v) for v in per_day.values()}) == 5
    assert len(checkins_due(uptown, "tue")) == len(area)


def test_unknown_day_and_bad_limits_are_refused(uptown):
    with pytest.raises(InputError):
        plan_day(uptown, "sun")
    with pytest.raises(InputError):
        checkins_due(uptown, "mon")
    for bad in (0, -1.0, float("nan")):
        with pytest.raises(InputError, match="time limit"):
            plan_day(uptown, "tue", time_limit_s=bad)


@pytest.mark.slow
def test_pairs_mode_plans_pairs_validly_and_reports_what_it_misses(uptown):
    p = plan_day(uptown, "tue", pairs=True)
    names = uptown.settings.roster.ambassador_names()
    assert [list(u.members) for u in p.units] == [names[i:i + 2] for i in range(0, len(names), 2)]
    r = check_plan(p.to_dict(), uptown)
    assert r["valid"] and not r["roster_problems"] and not r["settings_differences"], r["problems"][:5]
    assert r["min_on_street"] >= 6
    assert_honest(p, r)


@pytest.mark.slow
@pytest.mark.parametrize(("size", "start", "end"),
                         [(1, "10:00", "14:00"), (6, "12:00", "20:00"), (20, "10:00", "18:00")])
def test_other_rosters_and_hours_plan_validly_and_honestly(uptown, size, start, end):
    s = uptown.settings.replace(roster__size=size, roster__leads=1, shift__start=start, shift__end=end)
    d = District(s, uptown.graph, uptown.businesses, uptown.folder)
    p = plan_day(d, "tue")
    r = check_plan(p.to_dict(), d)
    assert r["valid"], r["problems"][:5]
    assert len(p.units) == size and not r["roster_problems"]
    assert_honest(p, r)


@pytest.mark.slow
def test_rover_lead_is_left_out_of_the_balance(uptown):
    s = uptown.settings.replace(roster__lead_role="rover")
    d = District(s, uptown.graph, uptown.businesses, uptown.folder)
    p = plan_day(d, "tue")
    assert p.units[0].role == "rover" and all(u.role == "walker" for u in p.units[1:])
    r = check_plan(p.to_dict(), d)
    assert r["valid"] and not r["roster_problems"]
    km = r["walk_km"]
    walkers = [km[u.name] for u in p.units[1:]]
    assert r["balance_ratio"] == pytest.approx(max(walkers) / min(walkers), abs=2e-3)
    assert_honest(p, r)


@pytest.mark.slow
def test_week_days_differ(uptown):
    week = plan_week(uptown)
    assert list(week) == list(uptown.settings.shift.days)
    firsts = {tuple(tuple(h["dwells"][0]) if h["dwells"] else () for h in p.hotspots) for p in week.values()}
    assert len(firsts) > 1


def test_a_short_time_limit_still_gives_a_valid_plan_and_says_so(uptown):
    p = plan_day(uptown, "tue", seed=3, time_limit_s=0.01)
    assert p.summary["time_limit_reached"]
    r = check_plan(p.to_dict(), uptown)
    assert r["valid"], r["problems"][:5]
    assert_honest(p, r)
