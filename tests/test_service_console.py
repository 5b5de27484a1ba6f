"""End to end in headless Chromium: the dispatcher's console against a real server process.

Open the console, log in with a dispatcher key, create an incident at "Lake & Hennepin", see the
recommendation with ETAs and the route, assign with one click, and check the record changed.
"""

from __future__ import annotations

import pytest

from patrol.dispatch import Record
from patrol.service.process import ServiceProcess, create_key

pytestmark = pytest.mark.slow

PINGS = {"lead": (44.9470, -93.3000), "amb2": (44.9500, -93.2880), "amb3": (44.9485, -93.2950)}
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--window-size=1400,900"]


def retry(action, attempts: int = 5):
    """Run a browser action, again if the page replaced its element meanwhile (polling redraws)."""
    from selenium.common.exceptions import StaleElementReferenceException

    for k in range(attempts):
        try:
            return action()
        except StaleElementReferenceException:
            if k == attempts - 1:
                raise
    return None


def test_dispatch_from_the_console(tmp_path, browser):
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select, WebDriverWait

    db = tmp_path / "record.db"
    key = create_key(db, "dispatcher", "console-test")
    with ServiceProcess(db, log_path=tmp_path / "server.log") as srv:
        api = srv.client(key)
        actor = api.get("/api/me").json()["actor"]
        for name, (lat, lon) in PINGS.items():
            api.post(f"/api/ambassadors/{name}/duty", json={"status": "on shift"}).raise_for_status()
            api.post(f"/api/ambassadors/{name}/pings", json={"lat": lat, "lon": lon}).raise_for_status()
        expected = api.post("/api/rank", json={"location": "Lake & Hennepin"}).json()
        top = next(c for c in expected["candidates"] if c["rank"] == 1)["ambassador"]

        wait = WebDriverWait(browser, 30, ignored_exceptions=(StaleElementReferenceException,))
        browser.get(srv.url + "/console")
        browser.find_element(By.ID, "key").send_keys(key)
        browser.find_element(By.ID, "login-btn").click()
        wait.until(lambda d: not d.find_element(By.ID, "login").is_displayed())
        # the street network is drawn (no tiles) and the roster is listed with position freshness
        wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#ambassadors tbody tr")) == 8)
        assert len(browser.find_elements(By.CSS_SELECTOR, "#map path.leaflet-interactive")) > 0 or \
            browser.execute_script("return document.querySelector('#map canvas') !== null")
        assert "ping" in retry(lambda: browser.find_element(By.CSS_SELECTOR, "#ambassadors tr[data-unit='amb3']").text)

        browser.find_element(By.ID, "f-location").send_keys("Lake & Hennepin")
        browser.find_element(By.ID, "f-submit").click()
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#ranking button.assign-btn"))
        def first_row():
            row = browser.find_elements(By.CSS_SELECTOR, "#ranking tr.candidate")[0]
            return row.get_attribute("data-ambassador"), row.find_element(By.CSS_SELECTOR, "td.eta").text

        first = retry(first_row)
        assert first[0] == top and first[1].endswith("min")
        assert browser.execute_script("return S.layers.routes.getLayers().length") >= 1  # the route is drawn
        assert retry(lambda: browser.find_element(By.ID, "sel-status").text) == "new"
        iid = browser.execute_script("return S.selected")

        retry(lambda: browser.find_element(By.CSS_SELECTOR,
                                           f"#ranking button.assign-btn[data-ambassador='{top}']").click())
        wait.until(lambda d: d.find_element(By.ID, "sel-status").text == "assigned")
        assert f"Assigned {top}" in retry(lambda: browser.find_element(By.ID, "sel-message").text)
        # the next poll shows the unit busy on the incident, without a reload
        wait.until(lambda d: f"#{iid}" in d.find_element(By.CSS_SELECTOR, f"#ambassadors tr[data-unit='{top}']").text)
        assert api.get("/api/incidents/" + str(iid)).json()["incident"]["status"] == "assigned"

        # the rest of the shift from the console: duty status, life cycle, outcome and close
        # the table is redrawn every poll: retry an element replaced between finding and using it
        retry(lambda: Select(browser.find_element(By.CSS_SELECTOR, "select.duty[data-unit='amb4']"))
              .select_by_value("on break"))
        wait.until(lambda d: "on break" in d.find_element(By.CSS_SELECTOR, "#ambassadors tr[data-unit='amb4']").text)
        for status in ("en route", "on scene"):
            retry(lambda s=status: browser.find_element(By.CSS_SELECTOR,
                                                        f"#sel-actions button[data-status='{s}']").click())
            wait.until(lambda d, s=status: d.find_element(By.ID, "sel-status").text == s)
        Select(browser.find_element(By.ID, "outcome")).select_by_value("tensions de-escalated")
        Select(browser.find_element(By.ID, "action")).select_by_value("de-escalations")
        browser.find_element(By.ID, "close-btn").click()
        wait.until(lambda d: d.find_element(By.ID, "sel-status").text == "closed")
        wait.until(lambda d: not d.find_elements(By.CSS_SELECTOR, f"#incidents li[data-id='{iid}']"))
        api.close()

    rec = Record(db)
    try:
        inc = rec.get_incident(iid)
        assert inc.status == "closed" and inc.location_text == "Lake & Hennepin" and inc.created_by == actor
        [assignment] = rec.assignments(iid)
        assert assignment.ambassador == top and assignment.actor == actor and assignment.eta_min > 0
        assert assignment.arrived_at and assignment.cleared_reason == "resolved"
        assert [h.to_status for h in rec.history(iid)] == ["new", "assigned", "en route", "on scene", "resolved",
                                                           "closed"]
        assert {o.value for o in rec.outcomes(iid)} == {"tensions de-escalated", "de-escalations"}
        assert rec.duty_at()["amb4"].status == "on break" and rec.duty_at()["amb4"].actor == actor
        assert {e.actor for e in rec.audit(entity="incident", entity_id=iid)} == {actor}
    finally:
        rec.close()
