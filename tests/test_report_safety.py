"""The program report's safety figures (issue 19): SOS events, overdue alerts and their time to acknowledgement,
messages and their acknowledgement times, from a hand-made day whose figures are worked out below; and the
report's safety section as its reader sees it (headless Chromium, ``out/screens/report-safety.png``)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from patrol.dispatch import Record
from patrol.dispatch.alerts import NewAlert, SafetyLog
from patrol.dispatch.clock import iso, parse_time
from patrol.report import Period, build_report, write_report

DAY = parse_time("2026-06-02T00:00:00Z")
INTERNAL = re.compile(r"\b[a-z0-9]+_[a-z0-9_]+\b|\b(?:True|False|None|nan)\b")


def t(hhmm: str, seconds: int = 0):
    h, m = (int(x) for x in hhmm.split(":"))
    return DAY + timedelta(hours=h, minutes=m, seconds=seconds)


@pytest.fixture(scope="module")
def report(tmp_path_factory, uptown):
    """Tue 2 June 2026 (UTC times; the local day runs 05:00Z to 05:00Z):

    * SOS: amb3 at 16:00 (acknowledged 16:01:30, 1.5 min; backup sent, 911 called, resolved), amb5 at 17:00
      (acknowledged 17:00:30, 0.5 min), amb3 at 18:00 (never acknowledged); amb3 on 3 June 06:00 (next day: out);
    * overdue: amb2's check-in at 16:30 (acknowledged 16:34, 4 min), no ping from amb4 at 19:00 (acknowledged
      19:10, 10 min), from amb6 at 19:30 (never);
    * messages: to all on duty at 16:00 (amb2 +1 min, amb3 +3 min, amb4 never), to amb5 at 17:00 (+2 min).
    """
    d = tmp_path_factory.mktemp("report-safety")
    rec = Record(d / "rec.db", actor="test")
    log = SafetyLog(rec)
    first = log.raise_sos("amb3", "amb3", at=t("16:00"))
    log.acknowledge(first.id, at=t("16:01", 30))
    inc = rec.new_incident(type="safety and wellness", source="patrol", location_text="Lake & Girard", at=t("16:02"))
    log.add_action(first.id, "backup sent", unit="amb2", incident_id=inc.id, at=t("16:02"))
    log.add_action(first.id, "911 called", at=t("16:03"))
    log.close(first.id, at=t("16:20"))
    log.acknowledge(log.raise_sos("amb5", "amb5", at=t("17:00")).id, at=t("17:00", 30))
    log.raise_sos("amb3", "amb3", at=t("18:00"))
    log.raise_sos("amb3", "amb3", at=parse_time("2026-06-03T06:00:00Z"))
    due = [NewAlert("check-in overdue", "amb2", "amb2", iso(t("16:30")), "a"),
           NewAlert("no ping", "amb4", "amb4", iso(t("19:00")), "b"),
           NewAlert("no ping", "amb6", "amb6", iso(t("19:30")), "c")]
    ids = {a.unit: a.id for a in log.raise_due(due)}
    log.acknowledge(ids["amb2"], at=t("16:34"))
    log.acknowledge(ids["amb4"], at=t("19:10"))
    m1 = log.send_message("Event at the Lagoon", "all on duty", [(n, n, None) for n in ("amb2", "amb3", "amb4")],
                          at=t("16:00"))
    log.acknowledge_message(m1.id, "amb2", at=t("16:01"))
    log.acknowledge_message(m1.id, "amb3", at=t("16:03"))
    m2 = log.send_message("Come to the base", "one", [("amb5", "amb5", None)], target="amb5", at=t("17:00"))
    log.acknowledge_message(m2.id, "amb5", at=t("17:02"))
    rec.close()
    period = Period.from_dates("2026-06-02", "2026-06-02", uptown.settings.district.timezone)
    rep = build_report(uptown, d / "rec.db", period)
    write_report(rep, d / "out", ("html",), district=uptown)
    return rep, d / "out" / "report.html"


def test_sos_and_overdue_alerts(report):
    rep, _ = report
    sos = rep.measure("sos_events")
    assert (sos.value, sos.n, sos.kind) == (3, 3, "safety")
    assert [(r["key"], r["value"], r["acknowledged"]) for r in sos.breakdown] == [("amb3", 2, 1), ("amb5", 1, 1)]
    assert {k: sos.extra[k] for k in ("acknowledged", "not_acknowledged", "backup_sent", "called_911", "resolved")} \
        == {"acknowledged": 2, "not_acknowledged": 1, "backup_sent": 1, "called_911": 1, "resolved": 1}
    assert (sos.extra["ack_median_min"], sos.extra["ack_p90_min"]) == (1.0, 1.4)  # of 0.5 and 1.5 min
    over = rep.measure("overdue_alerts")
    assert (over.value, over.extra["not_acknowledged"]) == (3, 1)
    assert [(r["key"], r["value"], r["acknowledged"], r["ack_median_min"]) for r in over.breakdown] == [
        ("on-scene check-in not answered", 1, 1, 4.0), ("no ping", 2, 1, 10.0)]
    ack = rep.measure("alert_ack_min")
    assert (ack.value, ack.n, ack.extra["not_acknowledged"]) == (4.0, 4, 2)  # (1.5 + 0.5 + 4 + 10) / 4
    assert [(r["key"], r["value"]) for r in ack.breakdown] == [("SOS", 1.0), ("on-scene check-in not answered", 4.0),
                                                               ("no ping", 10.0)]


def test_messages_and_their_acknowledgements(report):
    rep, _ = report
    sent = rep.measure("messages_sent")
    assert (sent.value, sent.extra["recipients"]) == (2, 4)
    assert [(r["key"], r["value"]) for r in sent.breakdown] == [("all on duty", 1), ("one", 1)]
    ack = rep.measure("message_ack_min")
    assert (ack.value, ack.n) == (2.0, 3)  # (1 + 3 + 2) / 3
    assert {k: ack.extra[k] for k in ("acknowledged", "not_acknowledged", "acknowledged_pct", "ack_median_min",
                                      "ack_p90_min")} == {"acknowledged": 3, "not_acknowledged": 1,
                                                          "acknowledged_pct": 75.0, "ack_median_min": 2.0,
                                                          "ack_p90_min": 2.8}


@pytest.mark.slow
def test_the_safety_section_in_plain_words(report, browser, screens):
    from selenium.webdriver.common.by import By

    _, path = report
    browser.get(path.as_uri())
    summary = browser.find_element(By.CSS_SELECTOR, "table.summary.safety").text
    for words in ("SOS events 3 events", "Overdue alerts (check-in not answered, no ping) 3 alerts",
                  "Average time from an alert to its acknowledgement 4 min", "Messages sent to ambassadors 2 messages",
                  "Average time from a message to its acknowledgement 2 min"):
        assert words in summary, words
    section = browser.find_element(By.ID, "safety")
    text = section.text
    assert not INTERNAL.findall(text), INTERNAL.findall(text)[:10]
    assert "recipients who acknowledged (%) 75" in text and "not acknowledged (yet) 1" in text
    browser.execute_script("arguments[0].scrollIntoView()", section)
    section.screenshot(str(screens / "report-safety.png"))
