"""Positions follow the record (patrol.dispatch.positions via Desk.situation and the ranking): a unit on scene
is at its incident, one en route walks its route at response speed, a fresh ping wins, a resolved one stays at
the incident until a ping or a newer plan."""

from __future__ import annotations

import pytest
from desk_helpers import at, ping_on, state
from network_reference import nx_point_distance

from patrol.dispatch import Desk, Record
from patrol.timeline import Leg, Timeline

FAR = "Lyndale Ave S & W 28th St"  # the incident: the north-east corner of the area
ELSEWHERE = "W Lagoon Ave & Fremont Ave S"


def test_a_unit_on_scene_is_ranked_from_the_incident(uptown, record):
    desk = Desk(uptown, record=record)
    start = ping_on(desk, "amb3", 40, 50.0, at(-1))  # W Lake St near Knox, 1.7 km from the incident
    inc = desk.new_incident(FAR, type="disturbance", source="phone", when=at(0))
    desk.assign(inc.id, "amb3", when=at(0))
    record.set_status(inc.id, "on scene", at=at(3))  # reported on scene (faster than walking: the record wins)
    s = state(desk, "amb3", at(4))
    assert s.status == "busy" and s.position.source == "on scene" and s.position.estimated is False
    assert (s.position.block, s.position.offset_m) == (inc.block, pytest.approx(inc.offset_m))
    assert s.position.incident_id == inc.id
    # a backup ranking at its own incident: the unit is there (ETA 0), busy, not ranked
    backup = desk.rank_incident(inc.id, when=at(4))
    c = next(c for c in backup.candidates if c.ambassador == "amb3")
    assert c.rank is None and c.status == "busy" and c.eta_min == pytest.approx(0.0, abs=1e-9)
    assert c.to_dict()["incident_id"] == inc.id
    # ranked for another place from the incident's location, not from where it was pinged
    loc = uptown.geocode(ELSEWHERE)
    other = next(c for c in desk.rank(ELSEWHERE, when=at(4)).candidates if c.ambassador == "amb3")
    want = nx_point_distance(uptown.graph, (inc.block, inc.offset_m), (loc.block, loc.offset_m))
    assert other.distance_m == pytest.approx(want, abs=1e-6)
    assert other.distance_m != pytest.approx(nx_point_distance(uptown.graph, start, (loc.block, loc.offset_m)))
    # resolved: available again, and ranked from the incident until a ping says otherwise
    record.set_status(inc.id, "resolved", at=at(20))
    c = next(c for c in desk.rank(ELSEWHERE, when=at(21)).candidates if c.ambassador == "amb3")
    assert c.rank is not None and c.position.source == "after incident" and c.estimated is True
    assert c.distance_m == pytest.approx(want, abs=1e-6)
    moved = ping_on(desk, "amb3", 85, 30.0, at(25))
    c = next(c for c in desk.rank(ELSEWHERE, when=at(26)).candidates if c.ambassador == "amb3")
    assert c.position.source == "ping"
    assert (c.position.block, c.position.offset_m) == (moved[0], pytest.approx(moved[1]))
    assert c.position.incident_id is None


def test_an_en_route_unit_moves_along_its_route(uptown, record):
    desk = Desk(uptown, record=record)
    speed = uptown.settings.speeds.response_m_s
    start = ping_on(desk, "amb5", 40, 50.0, at(-0.5))
    inc = desk.new_incident(FAR, type="sleeping", source="camera", when=at(0))
    a = desk.assign(inc.id, "amb5", when=at(0))
    target = (inc.block, inc.offset_m)
    total = nx_point_distance(uptown.graph, start, target)
    assert a.distance_m == pytest.approx(total, abs=1e-6)
    record.set_status(inc.id, "en route", at=at(0.5))
    for k in (1.0, 6.0, 12.5):  # the 14:00 ping is stale after 5 min: the estimate walks on regardless
        s = state(desk, "amb5", at(k))
        assert s.status == "busy" and s.position.source == "en route" and s.position.estimated
        q = (s.position.block, s.position.offset_m)
        walked = k * 60.0 * speed
        assert nx_point_distance(uptown.graph, start, q) == pytest.approx(walked, abs=1e-6)
        assert nx_point_distance(uptown.graph, q, target) == pytest.approx(total - walked, abs=1e-6)
        # the backup ranking of its incident shows the walk still to go
        c = next(c for c in desk.rank_incident(inc.id, when=at(k)).candidates if c.ambassador == "amb5")
        assert c.distance_m == pytest.approx(total - walked, abs=1e-6) and c.incident_id == inc.id
    # once the walk would be done, it is at the incident (no arrival reported yet)
    s = state(desk, "amb5", at(total / speed / 60.0 + 1.0))
    assert nx_point_distance(uptown.graph, (s.position.block, s.position.offset_m), target) == pytest.approx(0.0)


def test_a_fresh_ping_overrides_the_estimate(uptown, record):
    desk = Desk(uptown, record=record)
    speed = uptown.settings.speeds.response_m_s
    ping_on(desk, "amb6", 40, 50.0, at(-0.5))
    inc = desk.new_incident(FAR, type="obstruction", source="phone", when=at(0))
    desk.assign(inc.id, "amb6", when=at(0))
    # the phone says it went another way: block 85 (Lagoon & Fremont), 2 min after the assignment
    fix = ping_on(desk, "amb6", 85, 20.0, at(2))
    s = state(desk, "amb6", at(3))
    assert s.position.source == "ping" and s.position.estimated is False
    assert (s.position.block, s.position.offset_m) == (fix[0], pytest.approx(fix[1]))
    assert s.position.incident_id == inc.id
    # when that ping is stale, the estimate walks on from it (not from the start)
    s = state(desk, "amb6", at(9))
    assert s.position.source == "en route"
    q = (s.position.block, s.position.offset_m)
    target = (inc.block, inc.offset_m)
    rest = nx_point_distance(uptown.graph, fix, target)
    walked = min(7 * 60.0 * speed, rest)
    assert nx_point_distance(uptown.graph, fix, q) == pytest.approx(walked, abs=1e-6)
    assert nx_point_distance(uptown.graph, q, target) == pytest.approx(rest - walked, abs=1e-6)
    # a ping from before the assignment does not override the walk
    desk2 = Desk(uptown, record=Record(":memory:"))
    ping_on(desk2, "amb6", 40, 50.0, at(-0.5))
    inc2 = desk2.new_incident(FAR, type="obstruction", source="phone", when=at(0))
    desk2.assign(inc2.id, "amb6", when=at(0))
    assert state(desk2, "amb6", at(2)).position.source == "en route"


def test_called_off_stays_where_the_walk_stopped_and_a_newer_plan_places_it_again(uptown, record):
    speed = uptown.settings.speeds.response_m_s
    plan = Timeline({"amb7": [Leg(600.0, 1080.0, 85, 0.0, 0.0, "post")]})
    desk = Desk(uptown, record=record, timeline=plan)
    start = ping_on(desk, "amb7", 40, 50.0, at(-0.5))
    inc = desk.new_incident(FAR, type="other", source="phone", when=at(0))
    desk.assign(inc.id, "amb7", when=at(0))
    record.set_status(inc.id, "new", at=at(4), note="called off")  # unassigned after 4 minutes
    s = state(desk, "amb7", at(10))
    assert s.status == "on shift" and s.position.source == "after incident"
    q = (s.position.block, s.position.offset_m)
    assert nx_point_distance(uptown.graph, start, q) == pytest.approx(4 * 60.0 * speed, abs=1e-6)
    # a plan made after the unassignment says where it is now
    newer = Desk(uptown, record=record, timeline=plan, plan_made_at=at(5))
    s = state(newer, "amb7", at(10))
    assert s.position.source == "plan" and s.position.block == 85
    older = Desk(uptown, record=record, timeline=plan, plan_made_at=at(3))
    assert state(older, "amb7", at(10)).position.source == "after incident"


def test_the_start_of_a_walk_follows_the_earlier_incident(uptown, record):
    # resolved at incident 1 (no ping since), then sent to incident 2: the walk starts at incident 1
    desk = Desk(uptown, record=record)
    speed = uptown.settings.speeds.response_m_s
    ping_on(desk, "amb8", 40, 50.0, at(-30))
    first = desk.new_incident(ELSEWHERE, type="sleeping", source="phone", when=at(-29))
    desk.assign(first.id, "amb8", when=at(-29))
    record.set_status(first.id, "on scene", at=at(-20))
    record.set_status(first.id, "resolved", at=at(-5))
    second = desk.new_incident(FAR, type="sleeping", source="phone", when=at(0))
    desk.assign(second.id, "amb8", when=at(0))
    s = state(desk, "amb8", at(2))
    q = (s.position.block, s.position.offset_m)
    origin = (first.block, first.offset_m)
    assert s.position.source == "en route" and s.position.incident_id == second.id
    assert nx_point_distance(uptown.graph, origin, q) == pytest.approx(2 * 60.0 * speed, abs=1e-6)


def test_an_assignment_under_way_at_midnight_still_places_the_unit(uptown, record):
    # assigned at 23:58 local (04:58 UTC), on scene at 00:02: at 00:05 it is at the incident; resolved at 00:06,
    # it stays there that day (no ping, no newer plan) but not the day after
    desk = Desk(uptown, record=record)
    ping_on(desk, "amb2", 40, 50.0, "2026-06-03T04:57:00Z")
    inc = desk.new_incident(FAR, type="disturbance", source="phone", when="2026-06-03T04:58:00Z")
    desk.assign(inc.id, "amb2", when="2026-06-03T04:58:00Z")
    record.set_status(inc.id, "on scene", at="2026-06-03T05:02:00Z")
    s = state(desk, "amb2", "2026-06-03T05:05:00Z")
    assert s.position.source == "on scene" and s.position.incident_id == inc.id
    record.set_status(inc.id, "resolved", at="2026-06-03T05:06:00Z")
    assert state(desk, "amb2", "2026-06-03T05:07:00Z").position.source == "after incident"
    next_day = Desk(uptown, record=record, timeline=Timeline({"amb2": [Leg(0.0, 1440.0, 85, 0.0, 0.0, "post")]}))
    assert state(next_day, "amb2", "2026-06-03T15:00:00Z").position.source == "after incident"
    assert state(next_day, "amb2", "2026-06-04T15:00:00Z").position.source == "plan"


def test_a_late_starter_and_an_early_leaver_are_off_duty_outside_their_hours(uptown, record):
    """The day's plan has amb3 from 12:00 and amb6 until 16:00 (a short-handed day): outside those hours each is
    off duty and not ranked, even with a fresh ping; inside them, on shift (T0 is a Tuesday, 14:00 local)."""
    plan = Timeline({"amb3": [Leg(720.0, 1080.0, 85, 0.0, 0.0, "post")],
                     "amb6": [Leg(600.0, 960.0, 40, 0.0, 0.0, "post")],
                     "amb7": [Leg(600.0, 1080.0, 16, 0.0, 0.0, "post")]})
    desk = Desk(uptown, record=record, timeline=plan)
    morning, evening = -210.0, 180.0  # 10:30 and 17:00
    for t in (morning, evening):
        ping_on(desk, "amb3", 85, 10.0, at(t - 1))
        ping_on(desk, "amb6", 40, 10.0, at(t - 1))
    assert (state(desk, "amb3", at(morning)).status, state(desk, "amb6", at(morning)).status) == \
        ("off duty", "on shift")
    assert (state(desk, "amb3", at(evening)).status, state(desk, "amb6", at(evening)).status) == \
        ("on shift", "off duty")
    assert state(desk, "amb7", at(evening)).status == "on shift"
    inc = desk.new_incident(FAR, type="disturbance", source="phone", when=at(evening))
    ranked = [c.ambassador for c in desk.rank_incident(inc.id, when=at(evening)).ranked]
    assert "amb6" not in ranked and "amb3" in ranked
