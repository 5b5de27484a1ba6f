"""End to end in headless Chromium: SOS, the on-scene check-in and messages, between phones and the console.

1. An ambassador holds SOS on the phone page while the phone is offline (network emulation): it waits in the
   page's queue; the phone comes back online and the console (a second browser) shows the SOS on top with the
   nearest available units ranked as backup (the order checked against networkx walking distances), sounds,
   is acknowledged, sends backup (the unit gets the assignment), records 911 called and resolves it; the phone
   follows each step.
2. An ambassador on scene is asked "are you OK?" and does not answer: with the service's clock moved (three
   runs of the service on one record, ``--clock-start``, never real waiting) the console shows nothing before
   the configured minute and raises the alert at it, with what is known; "I'm OK" from the phone shows there.
3. A message to all on duty reaches two phones; each acknowledges; the console lists both acknowledgements.

Screenshots: ``out/screens/field-sos-*.png``, ``field-check-*.png``, ``field-message.png`` (phone-sized) and
``console-sos.png``, ``console-overdue.png``, ``console-messages.png``.
"""

from __future__ import annotations

import shutil
from datetime import timedelta

import httpx
import pytest
from conftest import CHROMEDRIVER, CHROMIUM, SCREENS
from network_reference import nx_point_distance
from test_service_field_page import FLAGS, PHONE, _wait, move, offline, shot, tap, text

from patrol.dispatch import Record
from patrol.dispatch.clock import iso, local_minute, parse_time
from patrol.service.process import ServiceProcess, create_key
from patrol.settings import format_hhmm

pytestmark = pytest.mark.slow

CLOCK = "2026-06-02T16:20:00Z"  # a Tuesday, 11:20 in Minneapolis: inside the shift
AMB3 = (44.94836, -93.29700)     # on W Lake St between Girard and Hennepin
OTHERS = {"amb2": (44.9485, -93.2880), "amb4": (44.9470, -93.3000), "amb5": (44.9500, -93.2935)}


def _phone(profile):
    """Headless Chromium emulating a phone (390 x 844, touch) with its own profile (its own key and queue)."""
    if not (shutil.which(CHROMIUM) and shutil.which(CHROMEDRIVER)):
        pytest.skip("needs chromium and chromedriver (Debian packages chromium, chromium-driver)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for flag in [*FLAGS, f"--user-data-dir={profile}"]:
        opts.add_argument(flag)
    opts.add_experimental_option("mobileEmulation", {"deviceMetrics": PHONE})
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    driver.set_page_load_timeout(60)
    return driver


@pytest.fixture
def phone(tmp_path):
    driver = _phone(tmp_path / "phone-profile")
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def phone2(tmp_path):
    driver = _phone(tmp_path / "phone2-profile")
    try:
        yield driver
    finally:
        driver.quit()


def console_shot(driver, name: str) -> None:
    SCREENS.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(SCREENS / f"console-{name}.png"))


def open_console(driver, url: str, key: str) -> None:
    from selenium.webdriver.common.by import By

    driver.get(url + "/console")
    driver.find_element(By.ID, "key").send_keys(key)
    driver.find_element(By.ID, "login-btn").click()
    _wait(driver, lambda d: not d.find_element(By.ID, "login").is_displayed())
    _wait(driver, lambda d: text(d, "#alert-status") == "" and d.execute_script("return SAFETY.data !== null"))


def open_phone(driver, url: str, key: str, at: tuple[float, float], name: str) -> None:
    driver.execute_cdp_cmd("Browser.grantPermissions", {"origin": url, "permissions": ["geolocation"]})
    move(driver, *at)
    driver.get(url + "/field#key=" + key)
    _wait(driver, lambda d: text(d, "#me-name") == name and d.execute_script("return F.now !== null"))


def queued_kinds(driver, name: str) -> list[str]:
    return driver.execute_script(f"return JSON.parse(localStorage.getItem('patrol.field.{name}.queue') || '[]')"
                                 ".map((x) => x.kind)")


def hold_sos(driver) -> None:
    """Press and hold the SOS control until the page takes it (a condition, not a pause), then let go."""
    from selenium.webdriver.common.action_chains import ActionChains

    button = driver.find_element("id", "sos-btn")
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", button)
    ActionChains(driver).click_and_hold(button).perform()
    _wait(driver, lambda d: d.find_element("id", "sos-btn").get_attribute("data-state") == "sent", timeout=10)
    ActionChains(driver).release().perform()


def test_sos_from_a_phone_offline_reaches_the_console(tmp_path, phone, browser, uptown):
    db = tmp_path / "record.db"
    amb3 = create_key(db, "ambassador", "phone amb3", ambassador="amb3")
    desk = create_key(db, "dispatcher", "desk 1")
    viewer = create_key(db, "viewer", "wall screen")
    extra = ["--clock-start", CLOCK, "--field-poll-s", "1", "--field-ping-s", "5"]
    with ServiceProcess(db, extra=extra, log_path=tmp_path / "server.log") as srv:
        api = srv.client(desk)
        for name, (lat, lon) in OTHERS.items():
            api.post(f"/api/ambassadors/{name}/duty", json={"status": "on shift"}).raise_for_status()
            api.post(f"/api/ambassadors/{name}/pings", json={"lat": lat, "lon": lon}).raise_for_status()
        for name in ("lead", "amb6", "amb7", "amb8"):
            api.post(f"/api/ambassadors/{name}/duty", json={"status": "off duty"}).raise_for_status()
        open_console(browser, srv.url, desk)
        assert not browser.find_element("id", "alert-bar").is_displayed()

        open_phone(phone, srv.url, amb3, AMB3, "amb3")
        tap(phone, "#duty-buttons [data-duty='on shift']")
        _wait(phone, lambda d: api.get("/api/ambassadors/amb3/pings").json()["items"])
        # a tap is not an SOS: only a press held for two seconds is
        tap(phone, "#sos-btn")
        assert "sos" not in queued_kinds(phone, "amb3")

        offline(phone, True)
        hold_sos(phone)
        assert queued_kinds(phone, "amb3")[0] == "sos"  # first in line
        _wait(phone, lambda d: text(d, "#sos-banner").startswith("SOS WAITING FOR SIGNAL"))
        shot(phone, "sos-1-waiting")
        assert api.get("/api/alerts").json()["alerts"] == []  # nothing reached the desk

        offline(phone, False)  # signal: the queued SOS goes at once
        card = "#alert-bar .alert-card[data-kind='sos']"
        _wait(browser, lambda d: d.find_elements("css selector", f"{card} .send-btn"), timeout=20)
        assert "SOS from amb3" in text(browser, card) and browser.title.startswith("⚠ SOS")
        assert browser.execute_script("return document.body.dataset.alarmAt !== undefined")  # the alarm sounded
        [alert] = api.get("/api/alerts").json()["alerts"]
        assert (alert["kind"], alert["position_source"], alert["acknowledged_at"]) == ("sos", "phone", None)
        assert alert["raised_at"] < iso(parse_time(CLOCK) + timedelta(minutes=10))
        # the backup: the available units by walking distance (networkx reference) from the SOS point
        point = (alert["block"], alert["offset_m"])
        g = uptown.graph
        walk = {}
        for name, (lat, lon) in OTHERS.items():
            loc = uptown.geocoder.snap(lat, lon)
            walk[name] = nx_point_distance(g, point, (loc.block, loc.offset_m))
        expected = sorted(walk, key=walk.get)
        shown = browser.execute_script("return [...document.querySelectorAll(arguments[0])].map((r) => "
                                       "r.dataset.ambassador)", f"{card} .backup-table tbody tr")
        assert shown == expected and "amb3" not in shown
        distances = [c["distance_m"] for c in alert["ranking"]["candidates"] if c["rank"]]
        assert distances == pytest.approx([walk[n] for n in expected], abs=0.5)
        assert text(browser, f"{card} .backup-table tbody tr:first-child .way")  # the way there, in streets
        assert browser.execute_script("return SAFETY.layer.getLayers().length") >= 2  # marker and routes
        console_shot(browser, "sos")

        # a viewer sees it and cannot act; an ambassador key cannot acknowledge
        for key in (viewer, amb3):
            other = srv.client(key)
            assert other.post(f"/api/alerts/{alert['id']}/acknowledge", json={}).status_code == 403
            other.close()

        tap(browser, f"{card} .ack-btn")
        _wait(browser, lambda d: d.find_element("css selector", card).get_attribute("data-acked") == "yes")
        _wait(phone, lambda d: text(d, "#sos-banner").startswith("SOS SEEN BY THE DESK"))
        assert "desk 1" in text(phone, "#sos-banner")
        tap(browser, f"{card} .send-btn[data-ambassador='{expected[0]}']")
        _wait(browser, lambda d: text(d, f"{card} .sent-badge") == "sent")
        _wait(phone, lambda d: f"Backup on the way: {expected[0]}" in text(d, "#sos-banner"))
        shot(phone, "sos-2-seen")
        sent_to = [a for a in api.get(f"/api/ambassadors/{expected[0]}/now").json()["assignments"]]
        assert len(sent_to) == 1 and sent_to[0]["incident"]["priority"] == "urgent"
        tap(browser, f"{card} .call911-btn")
        _wait(phone, lambda d: "The desk called 911." in text(d, "#sos-banner"))
        tap(browser, f"{card} .resolve-btn")
        _wait(browser, lambda d: not d.find_element("id", "alert-bar").is_displayed())
        _wait(phone, lambda d: text(d, "#sos-banner").startswith("SOS RESOLVED"))
        logs = [e for e in browser.get_log("browser") + phone.get_log("browser") if e["level"] == "SEVERE"
                and "/api/" not in e["message"] and "navigator.vibrate" not in e["message"]]  # no tap in a test
        assert logs == []
        api.close()

    rec = Record(db)
    try:
        steps = [(e.action, e.entity) for e in rec.audit() if e.entity.startswith("alert")]
        assert steps == [("create", "alert"), ("acknowledge", "alert"), ("update", "alert"),
                         ("create", "alert_action"), ("create", "alert_action"), ("close", "alert")]
    finally:
        rec.close()


def _iso_local(uptown, t: str) -> str:
    return format_hhmm(local_minute(parse_time(t), uptown.settings.district.timezone))


def test_an_unanswered_check_in_raises_the_alert_at_its_minute(tmp_path, phone, browser, uptown):
    rules = uptown.settings.alerts
    db = tmp_path / "record.db"
    amb3 = create_key(db, "ambassador", "phone amb3", ambassador="amb3")
    desk = create_key(db, "dispatcher", "desk 1")
    base = ["--field-poll-s", "1", "--field-ping-s", "5"]
    log = tmp_path / "server.log"
    with ServiceProcess(db, extra=[*base, "--clock-start", CLOCK], log_path=log) as srv:
        api = srv.client(desk)
        me = srv.client(amb3)
        me.post("/api/ambassadors/amb3/duty", json={"status": "on shift"}).raise_for_status()
        iid = api.post("/api/incidents", json={"location": "Lake & Hennepin", "type": "disturbance"}).json()[
            "incident"]["id"]
        api.post(f"/api/incidents/{iid}/assign", json={"ambassador": "amb3"}).raise_for_status()
        for step in ("accepted", "en route", "on scene"):
            me.post(f"/api/ambassadors/amb3/assignments/{iid}/status", json={"status": step}).raise_for_status()
        arrived = parse_time(api.get(f"/api/incidents/{iid}").json()["assignments"][0]["arrived_at"])
        api.close()
        me.close()
    asked = arrived + timedelta(minutes=rules.checkin_after_min)
    due = asked + timedelta(minutes=rules.checkin_answer_min)

    def pings_until(client: httpx.Client, end) -> None:
        """The phone pinged every minute on scene (so only the question is unanswered)."""
        t = arrived + timedelta(minutes=1)
        batch = []
        while t <= end:
            batch.append({"ambassador": "amb3", "lat": 44.94836, "lon": -93.29828, "t": iso(t)})
            t += timedelta(minutes=1)
        client.post("/api/pings", json={"pings": batch}).raise_for_status()

    # asked, not yet due: the phone asks "are you OK?"; the console has nothing for it
    before = asked + timedelta(minutes=2)
    with ServiceProcess(db, extra=[*base, "--clock-start", iso(before)], log_path=log) as srv:
        me = srv.client(amb3)
        pings_until(me, before)
        open_phone(phone, srv.url, amb3, (44.94836, -93.29828), "amb3")
        _wait(phone, lambda d: d.find_elements("css selector", f"#safety .ask[data-incident='{iid}']"))
        assert "ARE YOU OK?" in text(phone, "#safety .ask") and "desk has been alerted" not in text(phone, "#safety")
        shot(phone, "check-1-asked")
        open_console(browser, srv.url, desk)
        polls = browser.execute_script("return SAFETY.data.at")
        _wait(browser, lambda d: d.execute_script("return SAFETY.data.at") != polls)  # polled again
        assert not browser.find_elements("css selector", "#alert-bar .alert-card")
        desk_api = srv.client(desk)
        assert desk_api.get("/api/alerts").json()["alerts"] == []
        desk_api.close()
        me.close()

    # the configured minute: the console raises it, stamped with that minute
    with ServiceProcess(db, extra=[*base, "--clock-start", iso(due + timedelta(seconds=2))], log_path=log) as srv:
        me = srv.client(amb3)
        pings_until(me, due)
        open_console(browser, srv.url, desk)
        card = "#alert-bar .alert-card[data-kind='check-in overdue']"
        _wait(browser, lambda d: d.find_elements("css selector", card))
        words = text(browser, card)
        assert "amb3 has not answered" in words and f"incident #{iid}" in words
        assert f"on scene since {_iso_local(uptown, iso(arrived))}" in words and "Lake" in words
        desk_api = srv.client(desk)
        [alert] = desk_api.get("/api/alerts").json()["alerts"]
        assert alert["raised_at"] == iso(due) and alert["incident_id"] == iid and alert["unit"] == "amb3"
        assert alert["detail"]["asked_at"] == iso(asked)
        console_shot(browser, "overdue")
        # the phone says the desk was told; "I'm OK" shows at the console
        open_phone(phone, srv.url, amb3, (44.94836, -93.29828), "amb3")
        _wait(phone, lambda d: "the desk has been alerted" in text(d, "#safety .ask"))
        shot(phone, "check-2-overdue")
        tap(phone, f"#safety .ok-btn[data-incident='{iid}']")
        _wait(browser, lambda d: "answered \"I'm OK\"" in text(d, card))
        tap(browser, f"{card} .ack-btn")
        _wait(browser, lambda d: d.find_element("css selector", card).get_attribute("data-acked") == "yes")
        tap(browser, f"{card} .resolve-btn")
        _wait(browser, lambda d: not d.find_elements("css selector", card))
        again = desk_api.get("/api/alerts").json()
        assert again["alerts"] == [] and [a["id"] for a in again["recent"]] == [alert["id"]]  # recorded once
        desk_api.close()
        me.close()


def test_a_message_to_all_on_duty_is_acknowledged_on_two_phones(tmp_path, phone, phone2, browser):
    db = tmp_path / "record.db"
    keys = {n: create_key(db, "ambassador", f"phone {n}", ambassador=n) for n in ("amb2", "amb3")}
    desk = create_key(db, "dispatcher", "desk 1")
    extra = ["--clock-start", CLOCK, "--field-poll-s", "1", "--field-ping-s", "5"]
    with ServiceProcess(db, extra=extra, log_path=tmp_path / "server.log") as srv:
        api = srv.client(desk)
        for name in ("lead", "amb4", "amb5", "amb6", "amb7", "amb8"):
            api.post(f"/api/ambassadors/{name}/duty", json={"status": "off duty"}).raise_for_status()
        phones = {"amb2": phone, "amb3": phone2}
        for (name, driver), at in zip(phones.items(), (OTHERS["amb2"], AMB3), strict=True):
            open_phone(driver, srv.url, keys[name], at, name)
            tap(driver, "#duty-buttons [data-duty='on shift']")
            driver.execute_script("window.buzzed = []; navigator.vibrate = (p) => { window.buzzed.push(p); "
                                  "return true; };")
        for name in phones:
            _wait(phone, lambda d, n=name: next(u for u in api.get("/api/ambassadors").json()["units"]
                                                if u["name"] == n)["status"] == "on shift")
        open_console(browser, srv.url, desk)
        words = "Suspect: tall man, red jacket, heading west on Lake St from Hennepin"
        browser.find_element("id", "m-text").send_keys(words)
        tap(browser, "#m-send")
        _wait(browser, lambda d: text(d, "#m-ok").startswith("Sent to 2"))
        for driver in phones.values():
            _wait(driver, lambda d: words in text(d, "#safety .msg"))
            assert driver.execute_script("return window.buzzed.length") >= 1
        shot(phone, "message")
        for driver in phones.values():
            tap(driver, "#safety .got-btn")
        _wait(browser, lambda d: len(d.find_elements("css selector", "#messages .message .ack")) == 2)
        acked = browser.execute_script("return [...document.querySelectorAll('#messages .message .ack')]"
                                       ".map((e) => e.dataset.ambassador)")
        assert sorted(acked) == ["amb2", "amb3"] and not browser.find_elements("css selector", "#messages .nack")
        console_shot(browser, "messages")
        [m] = api.get("/api/messages").json()["items"]
        assert m["text"] == words and m["audience"] == "all on duty"
        assert all(r["acknowledged_at"] >= m["at"] for r in m["recipients"])
        for driver in phones.values():
            _wait(driver, lambda d: "got it at" in text(d, "#messages-list"))
            assert not driver.find_elements("css selector", "#safety .msg")
        api.close()
