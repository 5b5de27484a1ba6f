"""The console's safety escorts, special events and cameras as the dispatcher sees them, in headless Chromium, with
screenshots in out/screens/ (console-escort.png, console-events.png, console-cameras.png).

Set up through the API: three units on shift with live pings, a tiny plan for one more (so the cost column has a
plan), an event today with what to tell people.  In the page: an escort is requested from the form, the ranking
shows who can reach A soonest with the cost to the plan, the walk A->B and the first unit's way are on the map; the
escort is sent, started and finished; an event is added from the form and listed; the illustrative camera registry
says it is illustrative, and an incident seen on a camera is created at the camera's view and selected.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from test_service_console import retry

from patrol.service.process import ServiceProcess, create_key

IN_BLOCK = 96
LIVE = {"lead": (44.9470, -93.3000), "amb2": (44.9500, -93.2880), "amb3": (44.9485, -93.2950)}
NEW_LEGEND = ["escort's walk from A to B", "where to meet (A) and to go (B)", "event's blocks (this week)", "camera",
              "what it can see", "street block it watches"]


@pytest.fixture
def desk(tmp_path, uptown):
    db = tmp_path / "record.db"
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps({"district": uptown.name, "district_fingerprint": uptown.fingerprint,
                                "district_source": "embedded", "timeline": {"amb5": [
        {"t0": 0, "t1": 1440, "block": IN_BLOCK, "off0": 0.0, "off1": 100.0, "activity": "walk"}]}}))
    key = create_key(db, "dispatcher", "program-screens")
    with ServiceProcess(db, extra=["--plan", str(plan)], log_path=tmp_path / "server.log") as srv:
        api = srv.client(key)
        for name, (lat, lon) in LIVE.items():
            api.post(f"/api/ambassadors/{name}/duty", json={"status": "on shift"}).raise_for_status()
            api.post(f"/api/ambassadors/{name}/pings", json={"lat": lat, "lon": lon}).raise_for_status()
        now = datetime.now(ZoneInfo("America/Chicago"))
        start = now - timedelta(hours=1)
        api.post("/api/events", json={
            "name": "Library book fair", "place": "Walker Library", "radius_m": 60, "crowd": 400,
            "start": start.strftime("%Y-%m-%d %H:%M"), "end": (start + timedelta(hours=4)).strftime("%Y-%m-%d %H:%M"),
            "info": "Free books and a story hour at 3 pm; water at the desk", "ambassadors": 1,
            "presence": "dwell"}).raise_for_status()
        yield srv, api, key
        api.close()


def _open(browser, srv, key):
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(browser, 30, ignored_exceptions=(StaleElementReferenceException,))
    browser.get(srv.url + "/console")
    browser.find_element(By.ID, "key").send_keys(key)
    browser.find_element(By.ID, "login-btn").click()
    wait.until(lambda d: not d.find_element(By.ID, "login").is_displayed())
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#cameras li.camera-item"))
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#events li.event-item"))
    return wait


def _text(browser, css: str) -> str:
    from selenium.webdriver.common.by import By

    return retry(lambda: browser.find_element(By.CSS_SELECTOR, css).text)


def _scroll_to(browser, css: str) -> None:
    browser.execute_script("document.querySelector(arguments[0]).scrollIntoView({block: 'start'})", css)


@pytest.mark.slow
def test_escorts_events_and_cameras_in_the_console(desk, browser, screens):
    from selenium.webdriver.common.by import By

    srv, api, key = desk
    wait = _open(browser, srv, key)
    legend = _text(browser, "#legend")
    for entry in NEW_LEGEND:
        assert entry in legend, entry

    # an escort from the form: the walk, who can reach A soonest with the cost, the map zoomed to it
    browser.find_element(By.CSS_SELECTOR, "#esc-new summary").click()
    browser.find_element(By.ID, "esc-from").send_keys("Walker Library")
    browser.find_element(By.ID, "esc-to").send_keys("W Lake St & Lyndale Ave S")
    people = browser.find_element(By.ID, "esc-people")
    people.clear()
    people.send_keys("2")
    browser.find_element(By.ID, "esc-notes").send_keys("two students after the story hour")
    browser.find_element(By.ID, "esc-submit").click()
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#esc-ranking button.send-btn"))
    walk = _text(browser, "#esc-walk")
    assert "Walker Library" in walk and "Lyndale Ave S & W Lake St" in walk and "min at a walking pace" in walk
    heads = retry(lambda: [th.text for th in browser.find_elements(By.CSS_SELECTOR, "#esc-ranking thead th")])
    assert heads == ["Rank", "Unit", "Minutes to A", "Distance", "Cost to the plan", ""]
    assert "not in today's plan" in _text(browser, "#esc-ranking tr[data-ambassador='amb3'] td.cost")
    assert "null" not in _text(browser, "#esc-ranking")
    assert "busy until" in _text(browser, "#esc-ranking tr[data-ambassador='amb5'] td.cost")
    escort = api.get("/api/escorts?open=true").json()["items"][0]
    assert escort["people"] == 2 and escort["status"] == "requested"
    layers = browser.execute_script("return EscortsPanel.layer.getLayers().length")
    assert layers == 4  # the walk, A, B and the first unit's way to A
    wait.until(lambda d: d.execute_script(
        "const b = MapView.map.getBounds(); return b.contains(L.latLng(arguments[0], arguments[1])) && "
        "b.contains(L.latLng(arguments[2], arguments[3]));",
        escort["from_lat"], escort["from_lon"], escort["to_lat"], escort["to_lon"]))
    _scroll_to(browser, "#escorts-panel")
    browser.save_screenshot(str(screens / "console-escort.png"))

    # send the first, then with them, then arrived
    first = browser.find_element(By.CSS_SELECTOR, "#esc-ranking button.send-btn").get_attribute("data-ambassador")
    browser.find_element(By.CSS_SELECTOR, "#esc-ranking button.send-btn").click()
    wait.until(lambda d: api.get(f"/api/escorts/{escort['id']}").json()["escort"]["status"] == "assigned")
    wait.until(lambda d: d.find_elements(By.ID, "esc-start"))
    assert _text(browser, "#esc-message") == f"Sent {first}"
    retry(lambda: browser.find_element(By.ID, "esc-start").click())
    wait.until(lambda d: api.get(f"/api/escorts/{escort['id']}").json()["escort"]["status"] == "under way")
    wait.until(lambda d: "walking with them" in d.find_element(By.ID, "esc-title").text)
    wait.until(lambda d: "busy" in d.find_element(By.CSS_SELECTOR, f"#ambassadors tr[data-unit='{first}']").text)
    retry(lambda: browser.find_element(By.ID, "esc-finish").click())  # the first outcome: arrived
    wait.until(lambda d: api.get(f"/api/escorts/{escort['id']}").json()["escort"]["outcome"] == "arrived")
    # the unit is at B, an estimate the console names as such
    b = (escort["to_lat"], escort["to_lon"])
    wait.until(lambda d: "where its escort ended (estimated)" in
               d.find_element(By.CSS_SELECTOR, f"#ambassadors tr[data-unit='{first}']").text)
    unit = next(u for u in api.get("/api/ambassadors").json()["units"] if u["name"] == first)
    assert (unit["position"]["lat"], unit["position"]["lon"]) == (pytest.approx(b[0], abs=1e-5),
                                                                  pytest.approx(b[1], abs=1e-5))
    retry(lambda: browser.find_element(By.ID, "esc-close").click())
    assert browser.execute_script("return EscortsPanel.layer.getLayers().length") == 0

    # events: today's listed with what to tell people; one more added from the form
    item = _text(browser, "#events li.event-item")
    assert "Library book fair" in item and "Tell people: Free books" in item and "Wants 1 ambassador at it" in item
    browser.find_element(By.CSS_SELECTOR, "#ev-new summary").click()
    browser.find_element(By.ID, "ev-name").send_keys("Lagoon sidewalk sale")
    browser.find_element(By.ID, "ev-place").send_keys("W Lagoon Ave & Girard Ave S")
    later = datetime.now(ZoneInfo("America/Chicago")) + timedelta(hours=1)
    browser.find_element(By.ID, "ev-start").send_keys(later.strftime("%Y-%m-%d %H:%M"))
    browser.find_element(By.ID, "ev-end").send_keys((later + timedelta(hours=2)).strftime("%Y-%m-%d %H:%M"))
    browser.find_element(By.ID, "ev-info").send_keys("Shops open late; the lot on Girard is closed")
    browser.find_element(By.ID, "ev-submit").click()
    wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#events li.event-item")) == 2)
    assert len(api.get("/api/events?days=2").json()["items"]) == 2
    assert browser.execute_script("return EventsPanel.layer.getLayers().length") >= 2
    browser.execute_script("MapView.map.fitBounds(EventsPanel.layer.getLayers().map(l => l.getBounds())"
                           ".reduce((a, b) => a.extend(b)), {padding: [80, 80]})")
    _scroll_to(browser, "#events-panel")
    browser.save_screenshot(str(screens / "console-events.png"))

    # cameras: the registry says it is illustrative; an incident seen on one is placed at its view and selected
    note = _text(browser, "#cam-note")
    assert "Illustrative" in note and "not real" in note
    cams = api.get("/api/cameras").json()["items"]
    cam = cams[0]
    browser.find_element(By.CSS_SELECTOR, f"#cameras li[data-camera='{cam['camera']['id']}'] .cam-show-btn").click()
    retry(lambda: browser.find_element(By.CSS_SELECTOR,
                                       f"#cameras li[data-camera='{cam['camera']['id']}'] .cam-incident-btn").click())
    retry(lambda: browser.find_element(By.CSS_SELECTOR, ".cam-form .cam-notes").send_keys("two people arguing"))
    retry(lambda: browser.find_element(By.CSS_SELECTOR, ".cam-form .cam-create").click())
    wait.until(lambda d: d.execute_script("return S.selected") is not None and
               d.find_element(By.ID, "selected").is_displayed())
    iid = browser.execute_script("return S.selected")
    inc = api.get(f"/api/incidents/{iid}").json()["incident"]
    assert inc["camera_id"] == cam["camera"]["id"] and inc["source"] == "camera"
    assert inc["block"] == cam["point"]["block"]
    assert "in view of camera" in _text(browser, "#sel-meta")
    assert browser.execute_script("return CamerasPanel.layer.getLayers().length") >= len(cams) * 2
    # the incident and the camera's view together, the incident's details beside
    browser.execute_script("const v = CamerasPanel.items[0]; MapView.map.fitBounds(L.latLngBounds("
                           "v.polygon.map(([x, y]) => [y, x])).extend(L.latLng(v.point.lat, v.point.lon)), "
                           "{paddingTopLeft: [40, 40], paddingBottomRight: [260, 40], maxZoom: 18})")
    wait.until(lambda d: d.execute_script("return !MapView.map._animatingZoom"))
    _scroll_to(browser, "#selected")
    browser.save_screenshot(str(screens / "console-cameras.png"))
    _scroll_to(browser, "#cameras-panel")
    browser.save_screenshot(str(screens / "console-camera-list.png"))

    log = browser.get_log("browser")
    assert not [e for e in log if "Content Security Policy" in e.get("message", "") or e["level"] == "SEVERE"], log
