"""Units, duty status rules, plan files and the record's clock (roster.py, clock.py)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from patrol.dispatch.clock import day_start, iso, local_minute, local_moment, parse_time
from patrol.dispatch.desk import Desk
from patrol.dispatch.roster import Unit, duty_status, plan_units
from patrol.errors import InputError, PlanError
from patrol.planning import plan_day
from patrol.timeline import Timeline

PAIR = Unit("team1", ("lead", "amb2"))
KW = {"minute": 14 * 60, "on_shift_day": True, "shift": (600, 1080), "in_plan": False}


def test_duty_rules_in_order():
    assert duty_status(PAIR, busy={"amb2": 3}, explicit={"lead": "on break"}, plan_activity="walk", **KW) == \
        ("busy", "record")
    assert duty_status(PAIR, busy={}, explicit={"lead": "on shift", "amb2": "on break"}, plan_activity="walk",
                       **KW) == ("on break", "record")
    assert duty_status(PAIR, busy={}, explicit={"team1": "off duty"}, plan_activity=None, **KW)[0] == "off duty"
    assert duty_status(PAIR, busy={}, explicit={}, plan_activity="break", **KW) == ("on break", "plan")
    assert duty_status(PAIR, busy={}, explicit={}, plan_activity="respond", **KW) == ("busy", "plan")
    assert duty_status(PAIR, busy={}, explicit={}, plan_activity="checkin", **KW) == ("on shift", "plan")
    assert duty_status(PAIR, busy={}, explicit={}, plan_activity=None, **KW) == ("on shift", "shift")
    late = {**KW, "minute": 1080}
    assert duty_status(PAIR, busy={}, explicit={}, plan_activity=None, **late) == ("off duty", "shift")
    sunday = {**KW, "on_shift_day": False}
    assert duty_status(PAIR, busy={}, explicit={}, plan_activity=None, **sunday)[0] == "off duty"


def test_plan_units_read_defensively(tmp_path):
    p = tmp_path / "plan.json"
    p.write_text(json.dumps({"timeline": {}, "units": {"team1": ["lead", "amb2"], "bad": "amb3", "empty": []}}))
    assert plan_units(p) == {"team1": ["lead", "amb2"]}
    p.write_text(json.dumps({"timeline": {}, "units": ["team1"]}))
    assert plan_units(p) is None
    assert plan_units(None) is None
    p.write_text("{not json")
    with pytest.raises(PlanError):
        plan_units(p)


def test_clock():
    assert iso("2026-06-02T14:05:00-05:00") == "2026-06-02T19:05:00.000Z"
    assert iso(datetime(2026, 6, 2, 19, 5, 0, 123456)) == "2026-06-02T19:05:00.123Z"
    assert parse_time(0) == datetime(1970, 1, 1, tzinfo=UTC)
    with pytest.raises(InputError):
        parse_time("yesterday-ish")
    tz = "America/Chicago"
    assert local_moment("14:05", tz, on="2026-06-02") == datetime(2026, 6, 2, 19, 5, tzinfo=UTC)  # CDT
    assert local_moment("14:05", tz, on="2026-12-01") == datetime(2026, 12, 1, 20, 5, tzinfo=UTC)  # CST
    assert local_minute(datetime(2026, 6, 2, 19, 5, tzinfo=UTC), tz) == pytest.approx(845.0)
    assert day_start(datetime(2026, 6, 3, 3, 0, tzinfo=UTC), tz) == datetime(2026, 6, 2, 5, 0, tzinfo=UTC)
    with pytest.raises(InputError):
        local_moment("14:05", tz, on="June 2")
    with pytest.raises(InputError):
        local_moment("14:05", "Mars/Olympus")


def test_pairs_plan_from_the_planner_dispatches_pairs(tmp_path, uptown):
    """The planner's plan.json (walkers[name].members) gives dispatch its units, in pairs mode too."""
    plan = plan_day(uptown, "tue", seed=0, pairs=True).to_dict()
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan))
    units = plan_units(path)
    assert units and all(len(m) == 2 for m in units.values())
    assert sorted(m for ms in units.values() for m in ms) == sorted(uptown.settings.roster.ambassador_names())
    desk = Desk(uptown, timeline=Timeline.from_plan_file(path), units=units)
    ranking = desk.rank("W Lake St & Girard Ave S", when="2026-12-01T14:05:00-06:00")
    names = {c.ambassador for c in ranking.candidates}
    assert names == set(units)  # pairs respond as one unit
