"""The dispatcher's console as the dispatcher sees it, in headless Chromium, with screenshots in out/screens/.

One shift situation is set up through the API: live pings, an old ping, a unit placed only by the plan, units on
break and off duty, two open calls (one waiting 12 minutes, one 6), and the browser's time zone set to Paris
while the district is in Minneapolis.  The page is then checked from its DOM: column headers, the legend,
labelled unit markers (a plan estimate drawn hollow and called "estimated from plan"), the district's clock and
the time-zone warning, the elapsed timers and their colours, clickable close matches shown once, zoom to the
incident and its candidates, the sent unit's route kept after assignment, the warning for a second call at the
same place, and names shown as text (never as HTML).
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from test_service_console import retry

from patrol.service.process import ServiceProcess, create_key

IN_BLOCK = 96  # a long block inside the patrol area (tests/report_record.py)
LIVE = {"lead": (44.9470, -93.3000), "amb2": (44.9500, -93.2880), "amb3": (44.9485, -93.2950)}
BROWSER_ZONE = "Europe/Paris"
LEGEND = ["cultural corridor", "patrol area streets", "other streets", "base (communication center)", "open incident",
          "best route to the selected incident", "next best routes", "route of the unit sent", "on shift", "busy",
          "on break", "off duty", "live ping", "estimated from plan", "old ping"]
HEADERS = ["Rank", "Unit", "Minutes on foot", "Distance", "Position from (age)", ""]


def test_console_files_keep_to_the_policy():
    """Script and style from files only (the Content-Security-Policy of issue 15 and the page's own)."""
    static = Path(__file__).resolve().parents[1] / "patrol" / "service" / "static"
    page = (static / "console.html").read_text(encoding="utf-8")
    assert "script-src 'self'" in page and "style-src 'self'" in page
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page)  # no inline script
    assert not re.search(r"<style|\sstyle=|\son[a-z]+=", page)  # no inline style or handler
    for js in static.glob("*.js"):
        code = js.read_text(encoding="utf-8")
        assert not re.search(r"innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function",
                             code), js.name


def _iso(t: datetime) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


@pytest.fixture
def shift(tmp_path, uptown):
    """A running service with the shift situation described in the module docstring."""
    db = tmp_path / "record.db"
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps({"district": uptown.name, "district_fingerprint": uptown.fingerprint,
                                "district_source": "embedded", "timeline": {"amb5": [
        {"t0": 0, "t1": 1440, "block": IN_BLOCK, "off0": 0.0, "off1": 100.0, "activity": "walk"}]}}))
    key = create_key(db, "dispatcher", "screens-test")
    with ServiceProcess(db, extra=["--plan", str(plan)], log_path=tmp_path / "server.log") as srv:
        api = srv.client(key)
        now = datetime.now(UTC)
        for name, (lat, lon) in LIVE.items():
            api.post(f"/api/ambassadors/{name}/duty", json={"status": "on shift"}).raise_for_status()
            api.post(f"/api/ambassadors/{name}/pings", json={"lat": lat, "lon": lon}).raise_for_status()
        api.post("/api/ambassadors/amb4/duty", json={"status": "on shift"}).raise_for_status()
        api.post("/api/ambassadors/amb4/pings", json={"lat": 44.9490, "lon": -93.2900,
                                                      "t": _iso(now - timedelta(minutes=30))}).raise_for_status()
        for name, status in (("amb6", "on break"), ("amb7", "off duty"), ("amb8", "on shift")):
            api.post(f"/api/ambassadors/{name}/duty", json={"status": status}).raise_for_status()
        api.post("/api/ambassadors/amb6/pings", json={"lat": 44.9480, "lon": -93.2980}).raise_for_status()
        first = api.post("/api/incidents", json={"location": "Lake & Hennepin", "type": "disturbance",
                                                 "received_at": _iso(now - timedelta(minutes=12))}).json()["incident"]
        second = api.post("/api/incidents", json={"location": "W Lagoon Ave & Girard Ave S", "type": "sleeping",
                                                  "received_at": _iso(now - timedelta(minutes=6))}).json()["incident"]
        yield srv, api, key, first, second
        api.close()


def _open_console(browser, srv, key):
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.execute_cdp_cmd("Emulation.setTimezoneOverride", {"timezoneId": BROWSER_ZONE})
    wait = WebDriverWait(browser, 30, ignored_exceptions=(StaleElementReferenceException,))
    browser.get(srv.url + "/console")
    browser.find_element(By.ID, "key").send_keys(key)
    browser.find_element(By.ID, "login-btn").click()
    wait.until(lambda d: not d.find_element(By.ID, "login").is_displayed())
    wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#ambassadors tbody tr")) == 8)
    # every unit with a position: lead, amb2, amb3 (live), amb4 (old ping), amb5 (plan), amb6 (on break)
    wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, ".leaflet-marker-pane .unit-marker")) == 6)
    return wait


def _text(browser, css):
    from selenium.webdriver.common.by import By

    return retry(lambda: browser.find_element(By.CSS_SELECTOR, css).text)


@pytest.mark.slow
def test_console_screens(shift, browser, screens):
    from selenium.webdriver.common.by import By

    srv, api, key, first, second = shift
    wait = _open_console(browser, srv, key)

    # the district's clock, and a warning that this computer's zone is another one
    wait.until(lambda d: re.search(r"\d\d:\d\d:\d\d", d.find_element(By.ID, "clock").text))
    district_now = datetime.now(ZoneInfo("America/Chicago"))
    clock = _text(browser, "#clock")
    assert "America/Chicago" in clock
    shown = re.search(r"(\d\d):(\d\d):\d\d", clock)
    minutes = int(shown.group(1)) * 60 + int(shown.group(2))
    assert min(abs(minutes - (district_now.hour * 60 + district_now.minute)) % 1440,
               1440 - abs(minutes - (district_now.hour * 60 + district_now.minute)) % 1440) <= 1
    warning = browser.find_element(By.ID, "tz-warning")
    assert warning.is_displayed() and BROWSER_ZONE in warning.text and "America/Chicago" in warning.text

    # today's plan: its version, and the re-plan and plan-again forms a dispatcher may use
    wait.until(lambda d: _text(d, "#plan-version") == "version 1")
    assert "morning's plan" in _text(browser, "#plan-summary")
    assert not browser.find_element(By.ID, "replan-btn").get_attribute("disabled")

    # the legend names every colour and symbol on the map, units included
    legend = _text(browser, "#legend")
    for entry in LEGEND:
        assert entry in legend, entry
    assert len(browser.find_elements(By.CSS_SELECTOR, "#legend .legend-status .unit-marker")) == 4

    # unit markers: name, status colour, freshness; the plan estimate hollow and said to be one
    def marker(name):
        return browser.find_element(By.CSS_SELECTOR, f".leaflet-marker-pane .unit-marker[data-unit='{name}']")

    for name in LIVE:
        m = retry(lambda n=name: (marker(n).get_attribute("class"), marker(n).text))
        assert "live" in m[0] and "c-on-shift" in m[0] and m[1].startswith(name)
    amb5 = retry(lambda: (marker("amb5").get_attribute("class"), marker("amb5").text))
    assert "est" in amb5[0].split() and amb5[1] == "amb5 plan"
    dot = browser.execute_script(
        "const d = document.querySelector(\".leaflet-marker-pane .unit-marker[data-unit='amb5'] .dot\");"
        "const s = getComputedStyle(d); return [s.borderTopStyle, s.backgroundColor];")
    assert dot == ["dashed", "rgb(255, 255, 255)"]  # hollow, dashed outline
    amb4 = retry(lambda: marker("amb4").get_attribute("class"))
    assert "stale" in amb4.split()
    assert "c-on-break" in retry(lambda: marker("amb6").get_attribute("class"))
    assert "estimated from plan" in _text(browser, "#ambassadors tr[data-unit='amb5']")
    assert re.search(r"old ping, 3[01] min ago", _text(browser, "#ambassadors tr[data-unit='amb4']"))
    headers = [th.text for th in browser.find_elements(By.CSS_SELECTOR, "#ambassadors thead th")]
    assert headers == ["Unit", "Status", "Position from", "Set duty"]

    # elapsed timers from the call: 12 minutes is overdue (red), 6 is a warning (amber)
    def timer(iid):  # the list is redrawn at every poll: read class and text of one element, again if replaced
        def read():
            t = browser.find_element(By.CSS_SELECTOR, f"#incidents li[data-id='{iid}'] .timer")
            return t.get_attribute("class"), t.text
        return retry(read)

    (c1, t1), (c2, t2) = timer(first["id"]), timer(second["id"])
    assert "t-overdue" in c1 and re.fullmatch(r"1[23]:\d\d", t1)
    assert "t-warn" in c2 and re.fullmatch(r"[67]:\d\d", t2)
    browser.save_screenshot(str(screens / "console-overview.png"))

    # a misspelt street: the close match is offered once, as a button that uses it
    zoom0 = browser.execute_script("return MapView.map.getZoom()")
    loc = browser.find_element(By.ID, "f-location")
    loc.send_keys("Lake & Girad")
    browser.find_element(By.ID, "f-notes").send_keys("<img src=x id=injected> caller: \"Bob's\" shop")
    browser.find_element(By.ID, "f-submit").click()
    wait.until(lambda d: d.find_element(By.ID, "suggestions").is_displayed())
    form = _text(browser, "#incident-form")
    assert form.count("Girard Ave S") == 1
    browser.save_screenshot(str(screens / "console-suggestions.png"))
    browser.find_element(By.CSS_SELECTOR, "#suggestions button.suggestion").click()
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#ranking button.assign-btn"))
    iid = browser.execute_script("return S.selected")
    assert api.get(f"/api/incidents/{iid}").json()["incident"]["location_text"] == "Lake & Girard Ave S"

    # the notes are shown as text: no element was made from them
    assert "<img src=x id=injected>" in _text(browser, "#sel-meta")
    assert not browser.find_elements(By.ID, "injected")

    # the recommendation: plain column headers, estimates marked, the map zoomed to the incident and candidates
    assert retry(lambda: [th.text for th in browser.find_elements(By.CSS_SELECTOR, "#ranking thead th")]) == HEADERS
    ranking = api.get(f"/api/incidents/{iid}/ranking").json()["ranking"]
    top3 = [c for c in ranking["candidates"] if c["rank"] and c["rank"] <= 3]
    points = [[ranking["location"]["lat"], ranking["location"]["lon"]]] + \
        [[c["position"]["lat"], c["position"]["lon"]] for c in top3]
    wait.until(lambda d: d.execute_script(  # once the zoom animation is over: closer in, everything in view
        "const m = MapView.map, b = m.getBounds();"
        "return m.getZoom() > arguments[1] && arguments[0].every(p => b.contains(L.latLng(p[0], p[1])));",
        points, zoom0))
    row5 = retry(lambda: browser.find_element(By.CSS_SELECTOR, "#ranking tr[data-ambassador='amb5']")
                 .get_attribute("class"))
    assert "estimated" in row5.split()
    assert _text(browser, "#ranking tr[data-ambassador='amb5'] td.eta").startswith("≈")
    assert "estimated from plan" in _text(browser, "#ranking tr[data-ambassador='amb5'] td.pos")
    assert "live ping" in _text(browser, "#ranking tr[data-ambassador='amb3'] td.pos")
    browser.save_screenshot(str(screens / "console-ranking.png"))

    # assign the best: its route stays on the map, drawn in the "sent" colour, the unit marked sent
    top = top3[0]["ambassador"]
    retry(lambda: browser.find_element(By.CSS_SELECTOR, f"#ranking button.assign-btn[data-ambassador='{top}']").click())
    wait.until(lambda d: d.find_element(By.ID, "sel-status").text == "assigned")
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, f"#ranking tr.sent[data-ambassador='{top}']"))
    colours = browser.execute_script("return S.layers.routes.getLayers().map(l => l.options.color)")
    assert "#e69f00" in colours  # the sent unit's route (legend: "route of the unit sent")
    browser.save_screenshot(str(screens / "console-assigned.png"))

    # a second call at the place of an open incident: warned, nothing written until the dispatcher decides
    n_before = len(api.get("/api/incidents?open=true").json()["items"])
    loc.clear()
    loc.send_keys("W Lake St & Hennepin Ave S")
    browser.find_element(By.ID, "f-submit").click()
    wait.until(lambda d: d.find_element(By.ID, "dup-warning").is_displayed())
    assert f"#{first['id']} disturbance" in _text(browser, "#dup-warning")
    assert len(api.get("/api/incidents?open=true").json()["items"]) == n_before
    browser.save_screenshot(str(screens / "console-duplicate.png"))
    browser.find_element(By.ID, "dup-create").click()
    wait.until(lambda d: len(api.get("/api/incidents?open=true").json()["items"]) == n_before + 1)
    wait.until(lambda d: f"#{first['id']}" in d.find_element(By.ID, "sel-same-place").text)

    # scripts and styles only from files: the page's Content-Security-Policy refused nothing
    log = browser.get_log("browser")
    assert not [e for e in log if "Content Security Policy" in e.get("message", "")], log
