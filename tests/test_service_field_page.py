"""End to end in headless Chromium: an ambassador's shift on the phone page (``/field``).

A phone-sized browser with emulated geolocation logs in with an ambassador key, sees what to do now,
receives an assignment made from the dispatcher's console (a second browser), walks it through to closed
with an outcome, logs three interactions, goes offline (network emulation), logs two more while its
position pings queue up, comes back online and sends everything; the same entries are then sent again (a
phone that died after sending, before hearing back). The record must hold each exactly once, in order,
and the program report must count them. A second test re-plans (the page follows without a reload), then
stops the service: the page opens from the service worker's cache, keeps what is logged and sends it when the
service is back.

The service runs on its own clock (``--clock-start``: Tuesday 2026-06-02, 11:20 in Minneapolis) with a
committed plan of one ambassador's day (``tests/data/field/plan-amb3-tue.json``, cut from ``patrol plan
--day tue``). Screenshots of each screen are saved under ``out/screens/`` (phone-sized, 390 x 844 CSS px
at 2x).
"""

from __future__ import annotations

import json
import math
import shutil
import struct
from pathlib import Path

import pytest
from conftest import CHROMEDRIVER, CHROMIUM

from patrol.dispatch import Record
from patrol.report import Period, build_report
from patrol.service.process import ServiceProcess, create_key

pytestmark = pytest.mark.slow

CLOCK = "2026-06-02T16:20:00Z"  # a Tuesday, 11:20 CDT: amb3 walks to Amore Uptown (11:10-11:33 in the plan)
PLAN = Path(__file__).parent / "data" / "field" / "plan-amb3-tue.json"
SCREENS = Path(__file__).resolve().parents[1] / "out" / "screens"
PHONE = {"width": 390, "height": 844, "pixelRatio": 2.0}
START = (44.94836, -93.29700)  # on W Lake St between Girard and Hennepin
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
QUEUE = "patrol.field.amb3.queue"


@pytest.fixture
def phone(tmp_path):
    """Headless Chromium emulating a phone (390 x 844, touch), with its console log kept."""
    if not (shutil.which(CHROMIUM) and shutil.which(CHROMEDRIVER)):
        pytest.skip("needs chromium and chromedriver (Debian packages chromium, chromium-driver)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for flag in [*FLAGS, f"--user-data-dir={tmp_path / 'phone-profile'}"]:
        opts.add_argument(flag)
    opts.add_experimental_option("mobileEmulation", {"deviceMetrics": PHONE})
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


def _wait(driver, condition, timeout: float = 30):
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout, poll_frequency=0.1,
                         ignored_exceptions=(StaleElementReferenceException,)).until(condition)


def metres(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine), to find the nearest business independently of the page."""
    p1, p2, dl = math.radians(lat1), math.radians(lat2), math.radians(lon2 - lon1)
    h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371008.8 * math.asin(math.sqrt(h))


def tap(driver, css: str) -> None:
    """Tap the element a selector finds now (the page redraws parts of itself while polling)."""
    found = driver.execute_script("const e = document.querySelector(arguments[0]); if (!e) return false; "
                                  "e.scrollIntoView({block: 'center'}); e.click(); return true;", css)
    assert found, f"nothing to tap at {css}"


def text(driver, css: str) -> str:
    return driver.execute_script("const e = document.querySelector(arguments[0]); return e ? e.textContent : null;",
                                 css) or ""


def queued(driver) -> list[dict]:
    return json.loads(driver.execute_script(f"return localStorage.getItem('{QUEUE}') || '[]'"))


def shot(driver, name: str) -> Path:
    """Save a screenshot under out/screens/ and check it has the phone's size."""
    SCREENS.mkdir(parents=True, exist_ok=True)
    path = SCREENS / f"field-{name}.png"
    driver.save_screenshot(str(path))
    w, h = struct.unpack(">II", path.read_bytes()[16:24])  # PNG IHDR
    assert (w, h) == (PHONE["width"] * 2, PHONE["height"] * 2), (name, w, h)
    return path


def move(driver, lat: float, lon: float) -> None:
    driver.execute_cdp_cmd("Emulation.setGeolocationOverride", {"latitude": lat, "longitude": lon, "accuracy": 8})


def offline(driver, off: bool) -> None:
    driver.execute_cdp_cmd("Network.enable", {})
    driver.execute_cdp_cmd("Network.emulateNetworkConditions", {"offline": off, "latency": 0,
                                                                "downloadThroughput": -1, "uploadThroughput": -1})


def log_button(driver, type_: str, note: str) -> None:
    tap(driver, "#tabs [data-tab='log']")
    driver.execute_script("document.getElementById('note').value = arguments[0]", note)
    tap(driver, f".log-btn[data-type='{type_}']")


def assign_from_console(driver, url: str, key: str, location: str, notes: str, unit: str) -> int:
    """The dispatcher creates an incident in the console and assigns a unit with one click; its id."""
    from selenium.webdriver.common.by import By

    driver.get(url + "/console")
    driver.find_element(By.ID, "key").send_keys(key)
    driver.find_element(By.ID, "login-btn").click()
    _wait(driver, lambda d: not d.find_element(By.ID, "login").is_displayed())
    driver.find_element(By.ID, "f-location").send_keys(location)
    driver.find_element(By.ID, "f-notes").send_keys(notes)
    driver.find_element(By.ID, "f-submit").click()
    _wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, f"#ranking button.assign-btn[data-ambassador='{unit}']"))
    tap(driver, f"#ranking button.assign-btn[data-ambassador='{unit}']")
    _wait(driver, lambda d: text(d, "#sel-status") == "assigned")
    return int(driver.execute_script("return S.selected"))


def test_plan_fixture_at_the_clock():
    """The committed day at 11:20 (minute 680): walking to the check-in with Amore Uptown on Irving Ave S."""
    steps = json.loads(PLAN.read_text())["walkers"]["amb3"]["steps"]
    now = next(s for s in steps if s["t0"] <= 680 < s["t1"])
    after = next(s for s in steps if s["t0"] >= now["t1"] and s["activity"] != "walk")
    assert now["activity"] == "walk"
    assert (after["activity"], after["business_name"], after["street"]) == ("checkin", "Amore Uptown", "Irving Ave S")


def test_a_shift_on_the_phone(tmp_path, phone, browser, uptown):
    db = tmp_path / "record.db"
    amb3 = create_key(db, "ambassador", "phone amb3", ambassador="amb3")
    amb2 = create_key(db, "ambassador", "phone amb2", ambassador="amb2")
    desk = create_key(db, "dispatcher", "desk 1")
    extra = ["--plan", str(PLAN), "--clock-start", CLOCK, "--field-poll-s", "1", "--field-ping-s", "1"]
    with ServiceProcess(db, extra=extra, log_path=tmp_path / "server.log") as srv:
        api = srv.client(desk)
        phone.execute_cdp_cmd("Browser.grantPermissions", {"origin": srv.url, "permissions": ["geolocation"]})
        move(phone, *START)

        # log in with the link the lead sends: the key leaves the address bar at once
        phone.get(srv.url + "/field#key=" + amb3)
        _wait(phone, lambda d: text(d, "#now-task") == "Walk to Amore Uptown on Irving Ave S")
        assert "key=" not in phone.current_url
        assert text(phone, "#next-task") == "Check in with Amore Uptown"
        assert text(phone, "#me-name") == "amb3" and text(phone, "#clock").startswith("11:2")
        tap(phone, "#duty-buttons [data-duty='on shift']")
        _wait(phone, lambda d: api.get("/api/ambassadors/amb3/pings").json()["items"])
        assert next(u for u in api.get("/api/ambassadors").json()["units"] if u["name"] == "amb3")["status"] == \
            "on shift"
        shot(phone, "1-now")

        # an assignment made from the console: alert (vibration), incident, notes, the way there
        phone.execute_script("window.buzzed = []; navigator.vibrate = (p) => { window.buzzed.push(p); return true; };")
        iid = assign_from_console(browser, srv.url, desk, "Lake & Hennepin", "two men shouting at the bus shelter",
                                  "amb3")
        card = f"#assignments .assignment[data-incident='{iid}']"
        _wait(phone, lambda d: text(d, f"#alerts [data-incident='{iid}']").startswith(f"NEW ASSIGNMENT #{iid}"))
        assert phone.execute_script("return window.buzzed.length") >= 1
        assert "two men shouting at the bus shelter" in text(phone, card)
        assert "Hennepin Ave S & W Lake St" in text(phone, card) and "min (" in text(phone, f"{card} .route")
        shot(phone, "2-assignment")
        for step in ("accepted", "en route", "on scene"):
            tap(phone, f"#asg-next-{iid}[data-step='{step}']")
            _wait(phone, lambda d, s=step: d.execute_script(
                f"const c = document.querySelector(\"{card}\"); return c && c.dataset.step") == s)
            _wait(phone, lambda d, s=step: api.get(f"/api/incidents/{iid}").json()["assignments"][0][
                {"accepted": "accepted_at", "en route": "en_route_at", "on scene": "arrived_at"}[s]])
        assert not text(phone, f"#alerts [data-incident='{iid}']")
        # backup takes two taps (a pocket cannot send it): the incident goes urgent at the console
        tap(phone, f"{card} .backup-btn")
        assert api.get(f"/api/incidents/{iid}").json()["incident"]["priority"] == "normal"
        phone.execute_script("renderAll()")  # the page redraws its cards while polling: the redrawn button stays armed
        assert text(phone, f"{card} .backup-btn") == "Tap again to ask for backup"
        tap(phone, f"{card} .backup-btn")
        _wait(phone, lambda d: api.get(f"/api/incidents/{iid}").json()["incident"]["priority"] == "urgent")
        assert "BACKUP requested by amb3" in api.get(f"/api/incidents/{iid}").json()["incident"]["notes"]
        tap(phone, f"#asg-next-{iid}[data-step='resolved']")
        _wait(phone, lambda d: d.find_element("id", "outcome-sheet").is_displayed())
        tap(phone, "#oc-outcomes input[value='tensions de-escalated']")
        tap(phone, "#oc-actions input[value='de-escalations']")
        shot(phone, "3-outcome")
        tap(phone, "#close-incident-btn")
        _wait(phone, lambda d: api.get(f"/api/incidents/{iid}").json()["incident"]["status"] == "closed")
        _wait(phone, lambda d: not d.find_elements("css selector", card))

        # three interactions with signal (a few steps further on)
        move(phone, START[0], START[1] + 0.0002)
        log_button(phone, "community check-in", "e2e-1")
        tap(phone, ".log-btn[data-type='referral']")
        phone.execute_script("document.getElementById('note').value = 'e2e-2'")
        tap(phone, ".ref-btn[data-referral='shelter']")
        tap(phone, ".log-btn[data-type='business check-in']")
        _wait(phone, lambda d: d.find_elements("css selector", "#biz-list .biz-btn"))
        shot(phone, "4-businesses-near-me")
        nearest = phone.execute_script("return document.querySelector('#biz-list .biz-btn').dataset.business")
        assert nearest == min(uptown.businesses, key=lambda b: metres(START[0], START[1] + 0.0002, b.lat, b.lon)).name
        phone.execute_script("document.getElementById('note').value = 'e2e-3'")
        tap(phone, "#biz-list .biz-btn")
        _wait(phone, lambda d: not queued(d) or all(x["kind"] == "ping" for x in queued(d)))
        shot(phone, "5-log")

        # no signal: two more, and the pings queue up
        offline(phone, True)
        move(phone, START[0] + 0.0004, START[1] + 0.0010)
        log_button(phone, "safety escort", "e2e-4")
        log_button(phone, "911 call", "e2e-5")
        _wait(phone, lambda d: sum(x["kind"] == "ping" for x in queued(d)) >= 3)
        _wait(phone, lambda d: text(d, "#netbar").startswith("No signal.") and "wait on this phone" in
              text(d, "#netbar"))
        assert text(phone, "#sync").endswith("waiting")
        tap(phone, "#tabs [data-tab='now']")
        shot(phone, "6-no-signal")
        snapshot = phone.execute_script(f"return localStorage.getItem('{QUEUE}')")
        offline_items = json.loads(snapshot)
        assert [x["body"].get("notes") for x in offline_items if x["kind"] != "ping"] == ["e2e-4", "e2e-5"]
        notes_now = [i["notes"] for i in api.get("/api/interactions?ambassador=amb3").json()["items"]]
        assert notes_now == ["e2e-1", "e2e-2", "e2e-3"]

        # signal again: everything goes, in order
        offline(phone, False)
        _wait(phone, lambda d: not queued(d))
        # the phone died after sending, before hearing back: the same entries, same ids, go again
        phone.execute_script(f"const now = JSON.parse(localStorage.getItem('{QUEUE}') || '[]');"
                             f"localStorage.setItem('{QUEUE}', JSON.stringify(JSON.parse(arguments[0]).concat(now)));",
                             snapshot)
        tap(phone, "#sync")
        _wait(phone, lambda d: not queued(d))
        refused = phone.execute_script("return JSON.parse(localStorage.getItem('patrol.field.amb3.history'))"
                                       ".filter((e) => e.state === 'failed')")
        assert refused == []
        tap(phone, "#tabs [data-tab='day']")
        shot(phone, "7-my-day")
        tap(phone, "#tabs [data-tab='map']")
        _wait(phone, lambda d: d.execute_script("return F.map !== null && F.layers.day.getLayers().length > 0"))
        shot(phone, "8-map")

        # another ambassador's key sees nothing of amb3 and cannot act for it
        other = srv.client(amb2)
        assert other.get("/api/ambassadors/amb3/now").status_code == 403
        assert other.get(f"/api/incidents/{iid}").status_code == 403
        assert other.get("/api/ambassadors/amb3/interactions").status_code == 403
        assert other.post("/api/ambassadors/amb3/interactions", json={"type": "other"}).status_code == 403
        assert other.post(f"/api/ambassadors/amb2/assignments/{iid}/close", json={}).status_code == 403
        other.close()
        api.close()
        logs = [e for e in phone.get_log("browser") if e["level"] == "SEVERE" and "/api/" not in e["message"]]
        assert logs == []

    rec = Record(db)
    try:
        rows = rec.interactions(ambassador="amb3")
        assert [r.notes for r in rows] == ["e2e-1", "e2e-2", "e2e-3", "e2e-4", "e2e-5"]  # each once, in order
        assert [r.type for r in rows] == ["community check-in", "referral", "business check-in", "safety escort",
                                          "911 call"]
        assert rows[1].referral_type == "shelter" and rows[2].business == nearest
        assert all(r.block is not None and r.at.startswith("2026-06-02T16:") for r in rows)  # where and when
        assert [r.at for r in rows] == sorted(r.at for r in rows)
        pings = rec.query("SELECT id, t, client_key FROM pings WHERE ambassador='amb3' ORDER BY id")
        keys = [p["client_key"] for p in pings]
        assert len(keys) == len(set(keys)) and None not in keys
        sent_offline = [x["id"] for x in offline_items if x["kind"] == "ping"]
        assert [k for k in keys if k in set(sent_offline)] == sent_offline  # each once, in the order made
        assert [p["t"] for p in pings] == sorted(p["t"] for p in pings)
        history = [h.to_status for h in rec.history(iid)]
        assert history == ["new", "assigned", "en route", "on scene", "resolved", "closed"]
        [a] = rec.assignments(iid)
        assert a.accepted_at <= a.en_route_at <= a.arrived_at <= a.cleared_at and a.cleared_reason == "resolved"
        assert sorted((o.kind, o.value) for o in rec.outcomes(iid)) == [("action", "de-escalations"),
                                                                          ("outcome", "tensions de-escalated")]
    finally:
        rec.close()

    # the program report counts what the phone logged (expected values from the five entries above)
    report = build_report(uptown, db, Period.from_dates("2026-06-02", "2026-06-02",
                                                        uptown.settings.district.timezone))
    by_key = lambda m: {r["key"]: r["value"] for r in report.measure(m).breakdown if r["value"]}  # noqa: E731
    assert report.measure("community_interactions").value == 4
    assert by_key("community_interactions") == {"community check-in": 1, "referral": 1, "safety escort": 1,
                                                "911 call": 1}
    assert (report.measure("business_interactions").value, report.measure("business_checkins").value) == (1, 1)
    assert (report.measure("referrals").value, by_key("referrals")) == (1, {"shelter": 1})
    assert report.measure("safety_escorts").value == 1 and report.measure("calls_911").value == 1
    assert (report.measure("deescalation_share").value, report.measure("deescalation_share").n) == (100.0, 1)
    assert report.measure("response_assign_to_scene").n == 1
    assert report.measure("presence_hours").n >= len(sent_offline)


def test_the_page_opens_without_signal(tmp_path, phone):
    db = tmp_path / "record.db"
    key = create_key(db, "ambassador", "phone amb3", ambassador="amb3")
    plan = tmp_path / "plan.json"
    shutil.copy(PLAN, plan)
    extra = ["--plan", str(plan), "--clock-start", CLOCK, "--field-poll-s", "1", "--field-ping-s", "5"]
    srv = ServiceProcess(db, extra=extra, log_path=tmp_path / "server.log").start()
    try:
        phone.execute_cdp_cmd("Browser.grantPermissions", {"origin": srv.url, "permissions": ["geolocation"]})
        move(phone, *START)
        phone.get(srv.url + "/field#key=" + key)
        _wait(phone, lambda d: text(d, "#now-task") == "Walk to Amore Uptown on Irving Ave S")
        # the lead re-plans: the page shows the new plan at its next poll, without a reload
        data = json.loads(plan.read_text())
        for step in data["walkers"]["amb3"]["steps"]:
            if step.get("business_name") == "Amore Uptown":
                step["business_name"] = step["ref"] = "Lagoon Cinema"
        plan.write_text(json.dumps(data))
        _wait(phone, lambda d: text(d, "#next-task") == "Check in with Lagoon Cinema")
        assert text(phone, "#now-task") == "Walk to Lagoon Cinema on Irving Ave S"
        _wait(phone, lambda d: d.execute_script("return navigator.serviceWorker.controller !== null"))
        srv.stop()  # the service is gone: no answer at all, not just a slow one

        phone.refresh()  # the page itself comes from the service worker's cache, the day from the phone
        _wait(phone, lambda d: text(d, "#now-task") == "Walk to Lagoon Cinema on Irving Ave S")
        assert text(phone, "#me-name") == "amb3"
        log_button(phone, "information sharing", "while the service was down")
        _wait(phone, lambda d: text(d, "#netbar").startswith("No signal."))
        assert [x["body"]["notes"] for x in queued(phone) if x["kind"] == "interaction"] == \
            ["while the service was down"]
        tap(phone, "#tabs [data-tab='now']")
        shot(phone, "9-service-down")

        srv = ServiceProcess(db, port=srv.port, extra=extra, log_path=tmp_path / "server.log").start()
        tap(phone, "#sync")  # "send now"
        _wait(phone, lambda d: not [x for x in queued(d) if x["kind"] != "ping"])
        rec = Record(db)
        try:
            assert [r.notes for r in rec.interactions(ambassador="amb3")] == ["while the service was down"]
        finally:
            rec.close()
    finally:
        srv.stop()
