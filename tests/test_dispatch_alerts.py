"""Ambassadors' safety in the record: schema version 5 and its guards, alerts recorded once, the overdue rules at
their exact minutes (hand-computed from the rules given), signs of life, acknowledgements and messages."""

from __future__ import annotations

import sqlite3
import threading
from datetime import timedelta

import pytest

from patrol.dispatch import Desk, Record
from patrol.dispatch.alerts import NewAlert, SafetyLog
from patrol.dispatch.clock import iso, parse_time
from patrol.dispatch.overdue import find_overdue, on_scene_checks, signs_of_life
from patrol.dispatch.schema import MIGRATIONS, SCHEMA_VERSION, TABLES, _statements
from patrol.errors import ConfigError, InputError, NotFoundError, TransitionError
from patrol.settings import Alerts, settings_from_dict

#: Odd numbers, so that no rule can pass by using another's value.
RULES = Alerts(checkin_after_min=12, checkin_answer_min=3, no_ping_min=10, message_radius_m=300)
T0 = parse_time("2026-06-02T16:00:00Z")  # a Tuesday, 11:00 in Minneapolis: on shift


def at(minutes: float):
    return T0 + timedelta(minutes=minutes)


@pytest.fixture
def rec(tmp_path):
    r = Record(tmp_path / "r.db", actor="test")
    yield r
    r.close()


def _overdue(uptown, rec, moment, kind):
    desk = Desk(uptown, record=rec, clock=lambda: moment)
    found = find_overdue(rec, desk.situation(moment), moment, RULES, uptown.settings.district.timezone)
    return sorted((a.unit, a.raised_at, a.basis) for a in found if a.kind == kind)


def test_version_5_is_added_to_a_version_4_record_and_guards_its_rows(tmp_path):
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path, isolation_level=None)
    for script in MIGRATIONS[:4]:
        for stmt in _statements(script):
            conn.execute(stmt)
    conn.execute("PRAGMA user_version = 4")
    conn.close()
    rec = Record(path)
    assert SCHEMA_VERSION >= 5 and rec.schema_version == SCHEMA_VERSION and rec.check().ok
    names = {r["name"] for r in rec.query("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"alerts", "alert_actions", "safety_checks", "messages", "message_recipients"} <= names
    assert names <= {*TABLES, "schema_version", "sqlite_sequence"}
    log = SafetyLog(rec)
    sos = log.raise_sos("amb3", "amb3", at=at(0), position={"lat": 44.9485, "lon": -93.295})
    log.acknowledge(sos.id, at=at(1))
    msg = log.send_message("hello", "one", [("amb3", "amb3", None)], target="amb3", at=at(0))
    log.acknowledge_message(msg.id, "amb3", at=at(2))
    log.add_action(sos.id, "911 called", at=at(2))
    log.check_in("amb3", "amb3", at=at(3))
    refused = [
        "UPDATE alerts SET kind='no ping'",                      # the facts of an alert never change
        "UPDATE alerts SET raised_at='2026-01-01T00:00:00.000Z'",
        "UPDATE alerts SET acknowledged_at='2026-06-02T17:00:00.000Z'",  # stamped once
        "UPDATE message_recipients SET acknowledged_at='2026-06-02T17:00:00.000Z'",
        "UPDATE message_recipients SET ambassador='amb2'",
        "UPDATE messages SET text='changed'", "UPDATE alert_actions SET note='x'", "UPDATE safety_checks SET at=''",
        *[f"DELETE FROM {t}" for t in ("alerts", "alert_actions", "safety_checks", "messages", "message_recipients")],
    ]
    for sql in refused:
        with pytest.raises(sqlite3.DatabaseError):
            rec._conn.execute(sql)
    assert rec.query("SELECT acknowledged_at FROM alerts")[0]["acknowledged_at"] == iso(at(1))
    rec.close()


def test_an_overdue_alert_is_recorded_once_however_many_ask(rec):
    log = SafetyLog(rec)
    due = NewAlert("no ping", "amb2", "amb2", iso(at(10)), "amb2 silent since x", None,
                   {"lat": 44.9485, "lon": -93.288, "at": iso(at(0)), "source": "ping"}, {"status": "on shift"})
    results: list = []
    threads = [threading.Thread(target=lambda: results.append(log.raise_due([due]))) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(len(r) for r in results) == 1
    assert log.raise_due([due]) == []
    [row] = log.alerts()
    assert (row.kind, row.unit, row.raised_at, row.actor, row.detail) == ("no ping", "amb2", iso(at(10)), "service",
                                                                           {"status": "on shift"})
    assert len(rec.audit(entity="alert")) == 1
    with pytest.raises(InputError):
        log.raise_due([NewAlert("sos", "amb2", "amb2", iso(at(1)), "b")])  # an SOS is pressed, never found


def test_the_on_scene_question_and_its_alert_fall_due_at_their_minutes(uptown, rec):
    inc = rec.new_incident(type="disturbance", source="phone", location_text="Lake & Hennepin", lat=44.94836,
                           lon=-93.29828, block=49, offset_m=197.5, at=at(0))
    rec.assign(inc.id, "amb3", at=at(0))
    rec.unit_status(inc.id, "amb3", "on scene", at=at(2))
    # arrived 16:02: asked at 16:14 (12 min), due at 16:17 (3 min more)
    [chk] = on_scene_checks(rec, at(13), RULES)
    assert (chk.asked_at, chk.due_at, chk.asking(at(13)), chk.asking(at(14))) == (at(14), at(17), False, True)
    assert _overdue(uptown, rec, at(17) - timedelta(milliseconds=1), "check-in overdue") == []
    basis = f"assignment {chk.assignment_id} asked 2026-06-02T16:14:00.000Z"
    assert _overdue(uptown, rec, at(17), "check-in overdue") == [("amb3", "2026-06-02T16:17:00.000Z", basis)]
    # answered at 16:20: the next question at 16:32, its alert at 16:35
    log = SafetyLog(rec)
    log.check_in("amb3", "amb3", incident_id=inc.id, at=at(20))
    assert _overdue(uptown, rec, at(20), "check-in overdue") == []
    assert _overdue(uptown, rec, at(35) - timedelta(milliseconds=1), "check-in overdue") == []
    [(_, raised, _)] = _overdue(uptown, rec, at(35), "check-in overdue")
    assert raised == "2026-06-02T16:35:00.000Z"
    # an answer before the question moves it too (16:40 -> asked 16:52)
    log.check_in("amb3", "amb3", at=at(40))
    assert on_scene_checks(rec, at(41), RULES)[0].asked_at == at(52)
    # what it carries: the incident, when it arrived and was asked, where
    desk = Desk(uptown, record=rec, clock=lambda: at(17))
    [alert] = [a for a in find_overdue(rec, desk.situation(at(17)), at(17), RULES, "America/Chicago")
               if a.kind == "check-in overdue"]
    assert alert.incident_id == inc.id and alert.detail["incident"]["type"] == "disturbance"
    assert alert.detail["arrived_at"] == iso(at(2)) and alert.detail["asked_at"] == iso(at(14))
    assert alert.position is not None and (alert.position["block"], alert.position["source"]) == (49, "on scene")
    # resolved: no more questions
    rec.set_status(inc.id, "resolved", at=at(60))
    assert on_scene_checks(rec, at(61), RULES) == []


def test_no_ping_counts_any_sign_of_life_of_a_unit_on_duty(uptown, rec):
    log = SafetyLog(rec)
    rec.add_ping("amb2", 44.9485, -93.2880, t=at(0), block=18, offset_m=10.0)
    rec.log_interaction("amb2", "community check-in", at=at(5.5))        # amb2: last sign 16:05:30
    rec.set_duty("amb4", "on shift", at=at(1))                           # amb4: 16:01 (no ping at all)
    rec.add_ping("amb5", 44.9500, -93.2935, t=at(0), block=18, offset_m=10.0)
    rec.set_duty("amb5", "off duty", at=at(3))                           # amb5: off duty
    rec.add_ping("amb6", 44.9500, -93.2935, t=at(-60 * 24), block=18, offset_m=10.0)  # amb6: yesterday only
    msg = log.send_message("m", "one", [("amb7", "amb7", None)], target="amb7", at=at(0))
    log.acknowledge_message(msg.id, "amb7", at=at(12))                   # amb7: 16:12
    rec.add_ping("amb8", 44.9500, -93.2935, t=at(30), block=18, offset_m=10.0)  # a fix from the future: no sign yet
    expected = {"amb2": at(15.5), "amb4": at(11), "amb7": at(22)}
    for minute in (10.99, 11, 15.49, 15.5, 21.99, 22):
        moment = at(minute)
        got = {u: r for u, r, _ in _overdue(uptown, rec, moment, "no ping")}
        assert got == {u: iso(t) for u, t in expected.items() if t <= moment}, minute
    signs = signs_of_life(rec, ["amb2", "amb4", "amb7"], at(-600), at(20))
    assert {k: (v.at, v.what) for k, v in signs.items()} == {
        "amb2": (at(5.5), "logged community check-in"), "amb4": (at(1), "duty set to on shift"),
        "amb7": (at(12), "acknowledged a message")}
    # the basis names the silence: a unit heard from again and silent again raises a new alert
    [(_, _, basis)] = [x for x in _overdue(uptown, rec, at(16), "no ping") if x[0] == "amb2"]
    assert basis == "amb2 silent since 2026-06-02T16:05:30.000Z"
    rec.add_ping("amb2", 44.9485, -93.2880, t=at(17), block=18, offset_m=10.0)
    assert [x for x in _overdue(uptown, rec, at(26.99), "no ping") if x[0] == "amb2"] == []
    assert [x[1] for x in _overdue(uptown, rec, at(27), "no ping") if x[0] == "amb2"] == [iso(at(27))]


def test_acknowledge_close_and_the_desks_steps(rec):
    log = SafetyLog(rec)
    sos = log.raise_sos("amb3", "amb3", at=at(0), position={"lat": 44.9485, "lon": -93.295, "block": 18,
                                                           "offset_m": 59.0, "at": iso(at(0)), "source": "phone"})
    step = log.add_action(sos.id, "911 called", note="caller hurt", at=at(1), actor="desk")  # acknowledges first
    assert step.action == "911 called" and log.get(sos.id).acknowledged_at == iso(at(1))
    with pytest.raises(TransitionError, match="acknowledged already"):
        log.acknowledge(sos.id, at=at(2), actor="other desk")
    with pytest.raises(InputError):
        log.add_action(sos.id, "backup sent", at=at(2))  # which unit?
    with pytest.raises(InputError):
        log.add_action(sos.id, "sang a song", at=at(2))
    closed = log.close(sos.id, note="safe", at=at(5), actor="desk")
    assert (closed.closed_at, closed.closed_by, closed.open) == (iso(at(5)), "desk", False)
    with pytest.raises(TransitionError, match="closed"):
        log.add_action(sos.id, "note", at=at(6))
    with pytest.raises(TransitionError):
        log.close(sos.id, at=at(6))
    with pytest.raises(NotFoundError):
        log.get(999)
    assert [e.action for e in rec.audit(entity="alert", entity_id=sos.id)] == ["create", "acknowledge", "close"]
    assert [e.data["action"] for e in rec.audit(entity="alert_action")] == ["911 called"]


def test_a_message_is_acknowledged_once_by_each_recipient(rec):
    log = SafetyLog(rec)
    msg = log.send_message("Event on Lake St at 14:00", "all on duty", [("amb2", "amb2", None),
                                                                       ("amb3", "amb3", None)], at=at(0))
    assert [r.ambassador for r in msg.recipients] == ["amb2", "amb3"]
    first = log.acknowledge_message(msg.id, "amb2", at=at(1), actor="phone 2")
    assert log.acknowledge_message(msg.id, "amb2", at=at(3)) == first  # again: the first answer
    early = log.acknowledge_message(msg.id, "amb3", at=at(-5))        # a phone's clock behind: never before sent
    assert early.acknowledged_at == msg.at
    with pytest.raises(NotFoundError):
        log.acknowledge_message(msg.id, "amb4", at=at(1))
    with pytest.raises(InputError):
        log.send_message("nobody", "all on duty", [], at=at(0))
    with pytest.raises(InputError):
        log.send_message("  ", "one", [("amb2", "amb2", None)], at=at(0))
    assert [m.id for m in log.messages(ambassador="amb3")] == [msg.id] and log.messages(ambassador="amb4") == []
    assert len(rec.audit(entity="message_recipient")) == 2


@pytest.mark.parametrize(("key", "value"), [("checkin_after_min", 0), ("checkin_after_min", 241),
                                            ("checkin_answer_min", 0.5), ("no_ping_min", 1),
                                            ("message_radius_m", 10), ("no_ping_min", "soon")])
def test_alert_settings_are_checked_and_name_the_key(uptown, key, value):
    with pytest.raises(ConfigError) as info:
        settings_from_dict({"alerts": {key: value}}, base=uptown.settings)
    assert info.value.field == f"alerts.{key}" and key in info.value.message


def test_the_embedded_district_states_its_alert_settings(uptown):
    assert uptown.settings.alerts == Alerts()  # district.toml writes the defaults out
    assert settings_from_dict({"alerts": {"no_ping_min": 30}}, base=uptown.settings).alerts.no_ping_min == 30
    with pytest.raises(ConfigError, match=r"unknown key alerts\.no_ping"):
        settings_from_dict({"alerts": {"no_ping": 30}}, base=uptown.settings)
