"""Safety escorts: the record's own kind (life cycle, refusals, nothing deleted), the walk from A to B, the unit
busy for the escort and moved along it to B (positions checked against networkx), a scheduled escort, and what it
costs the plan (busy for the walk to A plus the escort)."""

from __future__ import annotations

import sqlite3
from datetime import timedelta

import pytest
from desk_helpers import T0, at, ping_on, state
from network_reference import nx_point_distance

from patrol.dispatch import Desk
from patrol.dispatch.clock import local_minute, parse_time
from patrol.dispatch.escort_desk import EscortDesk
from patrol.errors import InputError, NotFoundError, TransitionError
from patrol.timeline import Leg, Timeline

A = "Walker Library"                  # Hennepin Ave S, south of Lagoon
B = "Lyndale Ave S & W 28th St"       # the north-east corner of the area, about 1.5 km away
ELSEWHERE = "W Lagoon Ave & Fremont Ave S"


def _pt(loc) -> tuple[int, float]:
    return loc.block, loc.offset_m


def test_the_walk_from_a_to_b(uptown, record):
    desk = Desk(uptown, record=record)
    w = EscortDesk(desk).walk(A, B)
    a, b = uptown.geocode(A), uptown.geocode(B)
    want = nx_point_distance(uptown.graph, _pt(a), _pt(b))
    assert w.distance_m == pytest.approx(want, abs=1e-6)
    assert w.duration_min == pytest.approx(want / uptown.settings.speeds.patrol_m_s / 60.0)
    # the route's line starts at A and ends at B
    (x0, y0), (x1, y1) = w.route.coordinates[0], w.route.coordinates[-1]
    assert (y0, x0) == (pytest.approx(a.lat, abs=2e-5), pytest.approx(a.lon, abs=2e-5))
    assert (y1, x1) == (pytest.approx(b.lat, abs=2e-5), pytest.approx(b.lon, abs=2e-5))
    with pytest.raises(InputError, match="same place"):
        EscortDesk(desk).walk(A, A)


def test_life_cycle_refusals_and_nothing_deleted(uptown, record):
    ed = EscortDesk(Desk(uptown, record=record))
    e = ed.request(A, B, people=2, notes="two students", when=at(0))
    assert (e.status, e.people, e.unit, e.step) == ("requested", 2, None, "requested")
    with pytest.raises(TransitionError):
        ed.book.start(e.id, at=at(1))           # nobody was sent yet
    with pytest.raises(InputError):
        ed.book.finish(e.id, "finished", at=at(1))  # not an outcome
    e = ed.book.assign(e.id, "amb3", eta_min=3.0, at=at(1))
    e = ed.book.assign(e.id, "amb4", eta_min=2.0, at=at(2))  # another unit before the start
    assert (e.status, e.unit, e.depart_at) == ("assigned", "amb4", at(2))
    with pytest.raises(TransitionError, match="amb4's"):
        ed.book.step(e.id, "accepted", unit="amb3", at=at(2))
    assert ed.book.step(e.id, "en route", unit="amb4", at=at(2)).accepted_at == at(2)  # earlier steps stamped too
    with pytest.raises(TransitionError, match="already"):
        ed.book.step(e.id, "accepted", at=at(3))
    with pytest.raises(InputError, match="never started"):
        ed.book.finish(e.id, "arrived", at=at(3))
    e = ed.book.start(e.id, at=at(4))
    assert (e.status, e.started_at, e.step) == ("under way", at(4), "under way")
    with pytest.raises(TransitionError):
        ed.book.assign(e.id, "amb3", at=at(5))  # under way: no other unit
    e = ed.book.finish(e.id, "arrived", note="at the door", at=at(20.5))
    assert (e.status, e.outcome, e.provided, e.escort_min) == ("done", "arrived", True, 16.5)
    with pytest.raises(TransitionError):
        ed.book.cancel(e.id, at=at(21))
    declined = ed.request(A, ELSEWHERE, when=at(30))
    ed.book.assign(declined.id, "amb3", at=at(30))
    declined = ed.book.finish(declined.id, "person declined", at=at(33))
    assert declined.provided is False and declined.escort_min is None
    with pytest.raises(NotFoundError):
        ed.book.get(99)
    actions = [x.action for x in record.audit(entity="escort", entity_id=e.id)]
    assert actions == ["create", "assign", "assign", "step", "step", "finish"]
    with pytest.raises(sqlite3.DatabaseError, match="nothing is deleted"):
        record._conn.execute("DELETE FROM escorts")
    assert [x.id for x in ed.book.find(open_only=True)] == []
    assert {x.id for x in ed.book.find(status="done")} == {e.id, declined.id}


def test_an_escort_moves_the_unit_to_b(uptown, record):
    desk = Desk(uptown, record=record)
    ed = EscortDesk(desk)
    response, patrol = uptown.settings.speeds.response_m_s, uptown.settings.speeds.patrol_m_s
    start = ping_on(desk, "amb3", 40, 50.0, at(-0.5))  # W Lake St near Knox
    a, b = _pt(uptown.geocode(A)), _pt(uptown.geocode(B))
    to_a = nx_point_distance(uptown.graph, start, a)
    a_to_b = nx_point_distance(uptown.graph, a, b)
    esc = ed.request(A, B, when=at(0))
    opts = ed.options(esc.id, when=at(0))
    c = next(c for c in opts["ranking"]["candidates"] if c["ambassador"] == "amb3")
    assert c["distance_m"] == pytest.approx(to_a, abs=0.1) and c["rank"] == 1
    esc = ed.assign(esc.id, "amb3", when=at(0))
    assert esc.travel_m == pytest.approx(to_a, abs=1e-6) and esc.eta_min == pytest.approx(to_a / response / 60)
    # on its way to A: busy, walked along its route at the response speed
    s = state(desk, "amb3", at(3))
    assert s.status == "busy" and s.position.source == "en route" and s.position.escort_id == esc.id
    q = (s.position.block, s.position.offset_m)
    assert nx_point_distance(uptown.graph, start, q) == pytest.approx(3 * 60 * response, abs=1e-6)
    assert nx_point_distance(uptown.graph, q, a) == pytest.approx(to_a - 3 * 60 * response, abs=1e-6)
    # with the person(s): walked from A towards B at the patrol speed
    t_start = to_a / response / 60.0 + 1.0
    ed.book.start(esc.id, at=at(t_start))
    for k in (2.0, 9.0):
        s = state(desk, "amb3", at(t_start + k))
        assert s.status == "busy" and s.position.source == "escorting" and s.position.estimated
        q = (s.position.block, s.position.offset_m)
        assert nx_point_distance(uptown.graph, a, q) == pytest.approx(k * 60 * patrol, abs=1e-6)
        assert nx_point_distance(uptown.graph, q, b) == pytest.approx(a_to_b - k * 60 * patrol, abs=1e-6)
    # it arrives (reported before the estimate gets there): at B, available again, ranked from B
    ed.book.finish(esc.id, "arrived", at=at(t_start + 12.0))
    s = state(desk, "amb3", at(t_start + 13.0))
    assert s.status == "on shift" and s.position.source == "after escort" and s.position.escort_id == esc.id
    assert nx_point_distance(uptown.graph, (s.position.block, s.position.offset_m), b) == pytest.approx(0.0, abs=1e-6)
    other = uptown.geocode(ELSEWHERE)
    c = next(c for c in desk.rank(ELSEWHERE, when=at(t_start + 13.0)).candidates if c.ambassador == "amb3")
    assert c.rank is not None and c.distance_m == pytest.approx(nx_point_distance(uptown.graph, b, _pt(other)),
                                                                abs=1e-6)
    assert c.to_dict()["escort_id"] == esc.id
    # a ping after the end places it again
    moved = ping_on(desk, "amb3", 85, 30.0, at(t_start + 20.0))
    s = state(desk, "amb3", at(t_start + 21.0))
    assert s.position.source == "ping" and (s.position.block, s.position.offset_m) == (moved[0],
                                                                                      pytest.approx(moved[1]))


def test_a_fresh_ping_wins_while_escorting_and_a_cancel_stops_the_walk(uptown, record):
    desk = Desk(uptown, record=record)
    ed = EscortDesk(desk)
    patrol = uptown.settings.speeds.patrol_m_s
    esc = ed.request(A, B, when=at(0), unit="amb5", started=True)  # a walk-up, started at A
    assert (esc.status, esc.unit, esc.started_at, esc.depart_at) == ("under way", "amb5", at(0), at(0))
    a, b = _pt(uptown.geocode(A)), _pt(uptown.geocode(B))
    fix = ping_on(desk, "amb5", 85, 20.0, at(2))  # the phone says it is elsewhere
    s = state(desk, "amb5", at(3))
    assert s.position.source == "ping" and s.position.escort_id == esc.id and s.status == "busy"
    # the ping is stale by 8: the estimate walks on from the ping towards B
    s = state(desk, "amb5", at(8))
    q = (s.position.block, s.position.offset_m)
    rest = nx_point_distance(uptown.graph, fix, b)
    assert s.position.source == "escorting"
    assert nx_point_distance(uptown.graph, q, b) == pytest.approx(rest - 6 * 60 * patrol, abs=1e-6)
    # cancelled at 10 (the person took a bus): it stays where that walk had reached
    ed.book.cancel(esc.id, note="took the bus", at=at(10))
    s = state(desk, "amb5", at(12))
    q = (s.position.block, s.position.offset_m)
    assert s.status == "on shift" and s.position.source == "after escort"
    assert nx_point_distance(uptown.graph, q, b) == pytest.approx(rest - 8 * 60 * patrol, abs=1e-6)
    assert a != q


def test_an_escort_wanted_later(uptown, record):
    desk = Desk(uptown, record=record)
    ed = EscortDesk(desk)
    response = uptown.settings.speeds.response_m_s
    start = ping_on(desk, "amb2", 40, 50.0, at(-0.5))
    a = _pt(uptown.geocode(A))
    # wanted at 14:30 (asked at 14:00); the stale ping is the best guess of where amb2 is then (no plan)
    esc = ed.request(A, B, wanted_at=at(30), when=at(0))
    opts = ed.options(esc, when=at(0))
    assert opts["be_at_a_by"] == at(30) and opts["ranked_at"] == at(30)
    esc = ed.assign(esc.id, "amb2", when=at(0))
    eta = nx_point_distance(uptown.graph, start, a) / response / 60.0
    assert parse_time(esc.depart_at) == pytest.approx(parse_time(at(30 - eta)), abs=timedelta(milliseconds=2))
    assert state(desk, "amb2", at(10)).status == "on shift"  # free until it sets off
    s = state(desk, "amb2", at(30 - eta + 1))
    assert s.status == "busy" and s.position.source == "en route" and s.position.escort_id == esc.id
    # a unit busy on an escort is not sent to an incident
    c = next(c for c in desk.rank(ELSEWHERE, when=at(30)).candidates if c.ambassador == "amb2")
    assert c.rank is None and c.reason == "busy"


def test_what_an_escort_costs_the_plan(uptown, record):
    # amb6 walks corridor block 16 (W Lagoon Ave) end to end at 14:10 and 15:20 (a hand-made plan); the escort
    # keeps it busy from 14:00 for its walk to A plus the walk from A to B (about 18 min)
    blk = 16
    assert uptown.arrays.edge_corridor[blk] and uptown.arrays.edge_in_area[blk]
    length = float(uptown.arrays.edge_length[blk])
    legs = [Leg(840, 850, blk, 0.0, 0.0, "post"), Leg(850, 852, blk, 0.0, length), Leg(852, 920, blk, length, length,
                                                                                          "post"),
            Leg(920, 922, blk, length, 0.0), Leg(922, 1080, blk, 0.0, 0.0, "post")]
    desk = Desk(uptown, record=record, timeline=Timeline({"amb6": legs}))
    ed = EscortDesk(desk)
    esc = ed.request(A, B, when=at(0))
    ranking = ed.rank(esc, when=at(0))
    c = next(c for c in ranking.candidates if c.ambassador == "amb6")
    a, b = _pt(uptown.geocode(A)), _pt(uptown.geocode(B))
    eta = nx_point_distance(uptown.graph, (blk, 0.0), a) / uptown.settings.speeds.response_m_s / 60
    dur = nx_point_distance(uptown.graph, a, b) / uptown.settings.speeds.patrol_m_s / 60
    minute = local_minute(T0, uptown.settings.district.timezone)
    assert minute == 840.0
    assert c.cost.busy_from_min == pytest.approx(840.0)
    assert c.cost.travel_min == pytest.approx(eta) and c.cost.on_scene_min == pytest.approx(dur)
    assert c.cost.busy_until_min == pytest.approx(840.0 + eta + dur)
    assert 852 < 840 + eta + dur < 920  # so the 14:10 pass is lost and the 15:20 one kept
    # the block's longest gap, as the checker measures it (from 10:00 + 60 - 60 = 10:00 to 18:00 through the
    # passes' ends): 10:00-14:12 (252 min) in the plan, 10:00-15:22 (322 min) without the 14:10 pass
    assert [(g.block, g.planned_gap_min, g.gap_min) for g in c.cost.corridor] == [(blk, 252.0, 322.0)]
    assert c.cost.lost == 1
