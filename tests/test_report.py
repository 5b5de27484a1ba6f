"""The program report: every measure on a small hand-built record, checked against hand-computed values.

The record (``built`` fixture) covers Tue 2026-06-02 .. Sat 2026-06-06 in Minneapolis (CDT, UTC-5), with
one incident the day before and one the day after (both left out), pings, interactions logged directly
and through a field-log import, and imported surveys and incident history.
"""

from __future__ import annotations

import json
import shutil

import pytest
from numpy.testing import assert_allclose
from report_record import IN_BLOCK, OUT_BLOCK, build_record

from patrol.dispatch.record import Record
from patrol.report import Period, ReportOptions, build_report
from patrol.report import measures as M


@pytest.fixture(scope="module")
def built(tmp_path_factory, uptown):
    path = tmp_path_factory.mktemp("report") / "rec.db"
    ids = build_record(path, uptown)
    return path, ids


@pytest.fixture(scope="module")
def week(uptown):
    return Period.from_dates("2026-06-02", "2026-06-06", uptown.settings.district.timezone)


@pytest.fixture(scope="module")
def report(built, week, uptown):
    return build_report(uptown, built[0], week)


def test_period_bounds(week):
    assert (week.since, week.until, week.days) == ("2026-06-02T05:00:00.000Z", "2026-06-07T05:00:00.000Z", 5)
    assert (week.previous().first, week.previous().last) == ("2026-05-28", "2026-06-01")


def _breakdown(m):
    return {r["key"]: r["value"] for r in m.breakdown}


def test_outputs(report):
    ref = report.measure("referrals")
    assert (ref.value, ref.n) == (3, 4)
    assert {k: v for k, v in _breakdown(ref).items() if v} == {"shelter": 1, "food": 1, "unspecified": 1}
    com = report.measure("community_interactions")
    assert (com.value, com.n) == (9, 9)
    assert _breakdown(com) == {"community check-in": 2, "information sharing": 1, "referral": 2, "safety escort": 2,
                               "911 call": 1, "311 report": 1}
    biz = report.measure("business_interactions")
    assert (biz.value, _breakdown(biz)) == (4, {"business check-in": 3, "business engagement": 1})
    assert (report.measure("safety_escorts").value, report.measure("safety_escorts").n) == (2, 3)
    graffiti = report.measure("graffiti")
    assert (graffiti.value, _breakdown(graffiti)) == (3, {"removed": 2, "reported": 1})
    assert (report.measure("calls_911").value, report.measure("calls_911").n) == (2, 2)
    assert (report.measure("reports_311").value, report.measure("reports_311").n) == (1, 1)
    assert (report.measure("hazards_reported").value, report.measure("hazards_reported").n) == (2, 2)


def test_checkins_done_vs_planned(report, uptown):
    m = report.measure("business_checkins")
    assert m.value == 3
    rows = {r["key"]: (r["value"], r["planned"]) for r in m.breakdown}
    # checkins_per_week = 5 = shift days: all 201 in-area businesses are due every one of the 5 days
    assert rows["The Beat Coffeehouse"] == (2, 5) and rows["Running Room"] == (1, 5)
    assert m.extra["planned"] == 1005 and m.extra["businesses_visited"] == 2
    assert m.extra["completion_pct"] == pytest.approx(0.3)


def test_presence_from_pings(report):
    m = report.measure("presence_hours")
    # amb3: 4 + 3 minutes (a 16-minute gap is not presence); amb4: 4 minutes in the area (2 outside do not count)
    assert m.source == "pings" and m.n == 9
    assert_allclose(m.value, round(11 / 60, 2))
    pres = report.presence
    assert_allclose(pres.by_hour[10:13], [7 / 60, 2 / 60, 2 / 60], atol=1e-9)
    assert_allclose(pres.by_block[IN_BLOCK], 11 / 60, atol=1e-9)
    assert pres.by_block[OUT_BLOCK] == 0
    assert pres.days_measured == ["2026-06-02", "2026-06-03"] and not pres.estimated
    assert {r["key"]: (r["value"], r["n"]) for r in m.breakdown} == {"amb3": (0.12, 5), "amb4": (0.07, 4)}


def test_presence_gap_option(built, week, uptown):
    rep = build_report(uptown, built[0], week, ReportOptions(gap_min=20))
    assert_allclose(rep.presence.hours, 27 / 60, atol=1e-9)  # amb3's 16-minute gap now counts


def test_presence_leaves_out_breaks(built, week, uptown, tmp_path):
    copy = tmp_path / "copy.db"
    shutil.copy(built[0], copy)
    rec = Record(copy)
    rec.set_duty("amb3", "break", at="2026-06-02T15:10:00Z")  # amb3's pings at 15:20 and 15:23 are on break
    rec.set_duty("amb3", "on-shift", at="2026-06-02T15:30:00Z")
    rec.set_duty("amb4", "off", at="2026-06-02T22:00:00Z")  # the day before amb4's pings: no effect
    rec.close()
    rep = build_report(uptown, copy, week)
    assert_allclose(rep.presence.hours, (4 + 4) / 60, atol=1e-9)
    assert rep.measure("presence_hours").n == 7


def test_presence_falls_back_to_plan(built, week, uptown, tmp_path):
    plan = {"date": "2026-06-04", "timeline": {"amb2": [
        {"t0": 600, "t1": 630, "block": IN_BLOCK, "off0": 0, "off1": 30, "activity": "walk"},
        {"t0": 630, "t1": 660, "block": IN_BLOCK, "off0": 30, "off1": 30, "activity": "break"},
        {"t0": 660, "t1": 690, "block": OUT_BLOCK, "off0": 0, "off1": 30, "activity": "walk"},
        {"t0": 690, "t1": 695, "block": IN_BLOCK, "off0": 30, "off1": 30, "activity": "checkin",
         "ref": "The Beat Coffeehouse"}]}}
    (tmp_path / "plan.json").write_text(json.dumps(plan))
    rep = build_report(uptown, built[0], week, ReportOptions(plans=[tmp_path]))
    m = rep.measure("presence_hours")
    assert m.source == "pings + plan (estimated)" and m.extra["estimated"]
    assert m.extra["days_planned"] == ["2026-06-04"]
    assert_allclose(rep.presence.hours, (11 + 35) / 60, atol=1e-9)
    c = rep.measure("business_checkins")
    assert c.extra["planned"] == 4 * 201 + 1
    assert {r["key"]: r["planned"] for r in c.breakdown}["The Beat Coffeehouse"] == 5
    assert "plans (1 days)" in c.extra["planned_source"]


def test_outcomes(report):
    d = report.measure("deescalation_share")
    assert (d.value, d.n, d.extra["intervention_without_result"]) == (50.0, 2, 1)
    a = report.measure("response_assign_to_scene")
    c = report.measure("response_call_to_scene")
    assert (a.value, a.n, a.extra["median"]) == (6.75, 4, 6.5)  # 5, 10, 4, 8
    assert (c.value, c.n) == (7.5, 4)  # 7, 11, 4, 8
    per = report.measure("response_per_fte")
    assert {r["key"]: r["value"] for r in per.breakdown} == {"amb2": 8.0, "amb3": 4.5, "amb4": 10.0, "amb5": 5.0}
    assert_allclose(per.value, (8 + 4.5 + 10 + 5) / 4, atol=0.006)
    assert per.n == 5
    ipf = report.measure("incidents_per_fte")
    assert (ipf.value, ipf.extra["fte"], ipf.extra["scheduled_hours"]) == (0.5, 8.0, 320.0)
    liv = report.measure("livability_resolved")
    assert (liv.value, liv.n) == (50.0, 2)
    assert {r["key"]: r["value"] for r in liv.breakdown} == {"sleeping": 100.0, "obstruction": 0.0}
    assert (report.measure("community_satisfaction").value, report.measure("community_satisfaction").n) == (50.0, 4)
    b = report.measure("business_feels_safer")
    assert (b.value, b.n) == (66.67, 3)
    h = report.measure("history_change")
    assert (h.value, h.n, h.extra["current"], h.extra["previous"]) == (50.0, 5, 3, 2)
    # in-area rows per 5-day period back to the first row (05-10): 05-08..12: 1, then 0, 0, 0, previous 2, this 3
    assert [(p["from"], p["incidents"]) for p in h.extra["by_period"]] == [
        ("2026-05-08", 1), ("2026-05-13", 0), ("2026-05-18", 0), ("2026-05-23", 0), ("2026-05-28", 2),
        ("2026-06-02", 3)]
    assert {r["key"]: (r["value"], r["previous"], r["change_pct"]) for r in h.breakdown} == {
        "theft": (2, 1, 100.0), "vandalism": (1, 1, 0.0)}
    v = report.measure("violence_prevented")
    assert v.value is None and "follow-up" in v.needs


def test_options_change_outcomes(built, week, uptown):
    rep = build_report(uptown, built[0], week, ReportOptions(livability_targets={"sleeping": 30},
                                                             satisfied_min_rating=3, history_types=["theft"]))
    assert rep.measure("livability_resolved").value == 0.0
    assert rep.measure("community_satisfaction").value == 75.0
    h = rep.measure("history_change")
    assert (h.extra["current"], h.extra["previous"], h.value) == (2, 1, 100.0)


def test_every_measure_is_traceable(report):
    names = [m.name for m in report.measures]
    assert len(names) == len(set(names)) == 26  # 25 before issue 17, and the materials handed out
    for m in report.measures:
        assert m.unit and m.source and m.definition and m.kind in ("output", "outcome", "safety")
        assert isinstance(m.n, int) and m.n >= 0
        assert (m.value is None) == bool(m.needs)


def test_empty_record_says_what_is_missing(tmp_path, uptown, week):
    Record(tmp_path / "empty.db").close()
    rep = build_report(uptown, tmp_path / "empty.db", week)
    missing = {m.name for m in rep.measures if m.value is None}
    assert missing == {"presence_hours", "deescalation_share", "violence_prevented", "response_assign_to_scene",
                       "response_call_to_scene", "response_per_fte", "livability_resolved", "community_satisfaction",
                       "business_feels_safer", "history_change", "alert_ack_min", "message_ack_min"}
    for m in rep.measures:
        if m.value is None:
            assert m.needs and m.n == 0
    assert rep.measure("referrals").value == 0 and rep.measure("incidents_per_fte").value == 0.0


def test_count_events_once_per_incident():
    ints = [{"incident_id": 1}, {"incident_id": None}, {"incident_id": 2}, {"incident_id": 2}]
    outs = [{"incident_id": 1, "kind": "action"}, {"incident_id": 1, "kind": "outcome"},
            {"incident_id": 3, "kind": "action"}]
    assert M.count_events(ints, outs) == (1 + 1 + 2 + 1, 7)
    assert M.summary_stats([4, 5, 8, 10])["p90"] == pytest.approx(9.4)
    assert M.fte(8, 8.0, 22, 5)["fte"] == 8.0


def test_report_does_not_write_the_record(built, week, uptown, tmp_path):
    copy = tmp_path / "copy.db"
    shutil.copy(built[0], copy)
    before = copy.read_bytes()
    build_report(uptown, copy, week)
    assert copy.read_bytes() == before
