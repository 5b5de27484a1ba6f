"""The program report as its reader sees it, in headless Chromium, with screenshots in out/screens/.

The report of the hand-built week (tests/report_record.py, Tue 2 to Sat 6 June 2026, compared with Thu 28 May to
Mon 1 June) is opened offline and checked from its DOM: the program's words instead of internal names, headline
cards with their change against the previous period (worked out by hand below), cautions on small numbers,
labelled breakdown columns, and every chart with its legend entries, axis labels and units.
"""

from __future__ import annotations

import re

import pytest
from report_record import build_record

from patrol.report import Period, build_report, write_report
from patrol.report.measures import FEW_RECORDS, Measure, few_records
from patrol.report.render import change

# The previous period (Thu 28 May .. Mon 1 June) of the test record holds: the incident "before" (Mon 1 June,
# 10:00 local: assigned 10:01, on scene 10:03, tensions not de-escalated), one interaction (amb2, information
# sharing, Mon 23:59 local), one community survey answer (30 May, satisfied) and no pings.  So, by hand:
CARDS = {
    "community_interactions": ("9", "▲ up 8 from 1 (better)"),  # 9 this week (test_report), 1 before
    "business_interactions": ("4", "▲ up 4 from 0 (better)"),
    "presence_hours": ("0.18", "no figure for the previous period"),  # no pings before
    "referrals": ("3", "▲ up 3 from 0 (better)"),
    "response_call_to_scene": ("7.5", "▲ up 4.5 min from 3 (worse)"),  # 7.5 vs the 3 minutes of "before"
    "deescalation_share": ("50", "▲ up 50 points from 0 % (better)"),  # 1 of 2 vs 0 of 1
    "livability_resolved": ("50", "no figure for the previous period"),
    "business_checkins": ("3", "▲ up 3 from 0 (better)"),
}
# Interaction types logged in the week (test_report.test_outputs): every one must be in the chart's legend.
TYPES = ["311 report", "911 call", "business check-in", "business engagement", "community check-in",
         "graffiti removed", "graffiti reported", "hazard reported", "information sharing", "referral", "safety escort"]
# amb3 walked 7 minutes and amb4 4 minutes on the same block: 11 minutes at the top, quarters of it per band.
BANDS = ["up to 2.8 min", "2.8 to 5.5 min", "5.5 to 8.2 min", "8.2 to 11 min", "no presence"]
INTERNAL = re.compile(r"\b[a-z0-9]+_[a-z0-9_]+\b|\b(?:True|False|None|nan)\b")


@pytest.fixture(scope="module")
def written(tmp_path_factory, uptown):
    out = tmp_path_factory.mktemp("report-screens")
    build_record(out / "rec.db", uptown)
    period = Period.from_dates("2026-06-02", "2026-06-06", uptown.settings.district.timezone)
    report = build_report(uptown, out / "rec.db", period)
    write_report(report, out / "report", ("html",), district=uptown)
    return out / "report" / "report.html", report


def test_previous_period_values(written):
    _, report = written
    assert report.previous_period.first == "2026-05-28" and report.previous_period.last == "2026-06-01"
    assert {k: report.previous[k] for k in ("community_interactions", "response_call_to_scene", "deescalation_share",
                                            "community_satisfaction", "presence_hours", "business_feels_safer")} == \
        {"community_interactions": 1, "response_call_to_scene": 3.0, "deescalation_share": 0.0,
         "community_satisfaction": 100.0, "presence_hours": None, "business_feels_safer": None}


def test_change_words():
    m = Measure("response_call_to_scene", "t", "outcome", 6.0, "min", 40, "record")
    assert (change(m, 9.0).direction, change(m, 9.0).text, change(m, 9.0).verdict) == \
        ("down", "down 3 min from 9", "better")
    share = Measure("deescalation_share", "t", "outcome", 40.0, "%", 40, "record")
    assert change(share, 55.5).text == "down 15.5 points from 55.5 %" and change(share, 55.5).verdict == "worse"
    calls = Measure("calls_911", "t", "output", 2, "calls", 2, "record")
    assert (change(calls, 2).direction, change(calls, 2).text) == ("same", "no change from 2 calls")
    assert change(calls, 1).verdict == ""  # more 911 calls is neither better nor worse
    assert change(calls, None).text == "no figure for the previous period"


def test_few_records_threshold():
    assert FEW_RECORDS == 30
    assert few_records(Measure("x", "t", "output", 1, "calls", FEW_RECORDS - 1, "record"))
    assert not few_records(Measure("x", "t", "output", 1, "calls", FEW_RECORDS, "record"))
    assert not few_records(Measure("x", "t", "output", None, "calls", 0, "record"))  # nothing to caution


@pytest.mark.slow
def test_report_screens(written, browser, screens):
    from selenium.webdriver.common.by import By

    path, _ = written
    page = path.read_text(encoding="utf-8")
    assert not re.search(r'(src|href)=(["\']|&quot;)https?://(?!leafletjs\.com)', page)  # offline: nothing fetched
    browser.get(path.as_uri())
    height = browser.execute_script("return document.documentElement.scrollHeight")
    browser.set_window_size(1200, min(height + 120, 16000))
    body = browser.find_element(By.TAG_NAME, "body").text

    # the program's words only: no internal key, no Python value
    assert not INTERNAL.findall(body), INTERNAL.findall(body)[:10]

    # headline cards: value, change against the previous period (arrow and words), caution on few records
    for name, (value, words) in CARDS.items():
        card = browser.find_element(By.CSS_SELECTOR, f".kpi[data-measure='{name}']")
        assert card.find_element(By.CSS_SELECTOR, ".kpi-value").text.split()[0] == value, name
        assert card.find_element(By.CSS_SELECTOR, ".kpi-change").text == words, name
        assert "few records" in card.text  # every figure of a 5-day test week rests on fewer than 30 records
    assert "28 May to 1 Jun 2026" in body

    # the percentage change says up or down, and the history breakdown's columns hold what they say
    hist = browser.find_element(By.CSS_SELECTOR, "table.summary.outcome").text
    assert "up 50 %" in hist and "3 incidents in this period, 2 in the previous one" in hist
    table = browser.find_element(By.XPATH, "//h3[@id='history_change']/following-sibling::table[1]")
    assert [th.text for th in table.find_elements(By.TAG_NAME, "th")] == [
        "incident type", "incidents in this period", "incidents in the previous period", "change (%)",
        "based on (records)"]
    rows = [[td.text for td in tr.find_elements(By.TAG_NAME, "td")] for tr in table.find_elements(By.CSS_SELECTOR,
                                                                                                  "tbody tr")]
    assert rows == [["theft", "2", "1", "100", "3"], ["vandalism", "1", "1", "0", "2"]]
    detail = browser.find_element(By.XPATH, "//h3[@id='deescalation_share']/following-sibling::table[1]").text
    assert "incidents where tensions were de-escalated 1" in detail

    def texts(fid):
        return browser.execute_script(
            f"return [...document.querySelectorAll('#{fid} svg text')].map(t => t.textContent.trim())")

    # every chart: title, axis labels with units, a legend naming each series
    resp = texts("chart-response")
    assert {"minutes until the first unit is on scene", "incidents", "call to on scene (average 7.5 min)",
            "assignment to on scene (average 6.75 min)"} <= set(resp)
    hour = texts("chart-presence-hour")
    assert [f"{h:02d}:00" for h in range(10, 19)] == [t for t in hour if re.fullmatch(r"\d\d:00", t)]  # the shift
    assert {"measured from pings", "shift (10:00 to 18:00)", "ambassador-hours",
            "hour of day (America/Chicago time)"} <= set(hour)
    inter = texts("chart-interactions")
    assert set(TYPES) <= set(inter) and {"interactions logged", "day"} <= set(inter)
    assert [t for t in inter if re.fullmatch(r"\w{3} \d{1,2} \w{3}", t)] == [
        "Tue 2 Jun", "Wed 3 Jun", "Thu 4 Jun", "Fri 5 Jun", "Sat 6 Jun"]  # every day of the period
    hist_chart = texts("chart-history")
    assert {"this period", "previous period (compared)", "earlier periods", "incidents in the patrol area"} <= \
        set(hist_chart)
    assert "2 Jun to 6 Jun" in hist_chart and "28 May to 1 Jun" in hist_chart

    # response-time bars side by side: nothing blends into a colour the legend does not show
    bars = browser.execute_script("""
        const out = [];
        for (const p of document.querySelectorAll('#chart-response svg path')) {
          const fill = p.style.fill || '';
          if (!(fill.startsWith('rgb(0, 114, 178)') || fill.startsWith('url'))) continue;
          const b = p.getBBox();
          if (b.height > 0 && b.width > 0 && b.width < 100)
            out.push([b.x, b.x + b.width, b.y, b.y + b.height, getComputedStyle(p).opacity]);
        }
        return out;""")
    assert len(bars) >= 2 + 4  # the legend's two swatches; 4 incidents make at least 4 bars
    assert all(float(b[4]) == 1.0 for b in bars)
    for i, a in enumerate(bars):  # no two rectangles share any area
        for b in bars[i + 1:]:
            assert min(a[1], b[1]) - max(a[0], b[0]) <= 1e-3 or min(a[3], b[3]) - max(a[2], b[2]) <= 1e-3, (a, b)

    browser.save_screenshot(str(screens / "report.png"))
    browser.find_element(By.ID, "headline").screenshot(str(screens / "report-headline.png"))
    browser.find_element(By.ID, "charts").screenshot(str(screens / "report-charts.png"))

    # the presence map: a legend with distinct bands (minutes here), offline
    browser.switch_to.frame(browser.find_element(By.CSS_SELECTOR, "#presence-map iframe"))
    legend = browser.find_element(By.ID, "presence-legend").text.splitlines()
    assert legend[0] == "Ambassador-time on the block" and legend[1:6] == BANDS
    assert len(set(legend)) == len(legend)
    browser.switch_to.default_content()
    assert not [e for e in browser.get_log("browser") if e.get("level") == "SEVERE"]
