"""The lead plans today again from the console with today's roster, in headless Chromium (issue 20).

A real server process on its own clock (a Tuesday, 09:40 in Minneapolis, before the shift) and no plan yet.  The
lead opens "Re-plan or plan again", types one ambassador absent and one starting at 12:00, and submits; the page
says the new version is served and lists the units of the day's plan.  What the lead relies on is then checked
against what was typed in the form, not against the planner: the plan the API now serves walks nobody who is
absent, and nothing of the late starter before 12:00.  Bad input first: a name not on the roster and a time that
is no time of day each get an error naming the problem, next to the field it is in, and no plan is made.
Screenshots in ``out/screens/``: ``console_dayplan_error.png`` (a refusal), ``console_dayplan.png`` (the plan
made) and ``console_dayplan_units.png`` (the units listed after it).
"""

from __future__ import annotations

import pytest
from test_service_console import retry

from patrol.service.process import ServiceProcess, create_key

pytestmark = pytest.mark.slow

CLOCK = "2026-06-02T14:40:00Z"  # a Tuesday, 09:40 CDT: the morning, before the 10:00-18:00 shift
ROSTER = ["lead", "amb2", "amb3", "amb4", "amb5", "amb6", "amb7", "amb8"]
ABSENT, LATE, LATE_AT = "amb5", "amb3", "12:00"


def _fill(browser, field: str, text: str) -> None:
    from selenium.webdriver.common.by import By

    box = browser.find_element(By.ID, field)
    box.clear()
    box.send_keys(text)


def test_the_lead_plans_today_with_one_absent_and_one_late(tmp_path, browser, screens):
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    db = tmp_path / "record.db"
    key = create_key(db, "dispatcher", "lead-console")
    with ServiceProcess(db, extra=["--clock-start", CLOCK], log_path=tmp_path / "server.log") as srv:
        api = srv.client(key)
        wait = WebDriverWait(browser, 30, ignored_exceptions=(StaleElementReferenceException,))
        browser.get(srv.url + "/console")
        browser.find_element(By.ID, "key").send_keys(key)
        browser.find_element(By.ID, "login-btn").click()
        wait.until(lambda d: not d.find_element(By.ID, "login").is_displayed())
        wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#ambassadors tbody tr")) == len(ROSTER))
        wait.until(lambda d: "No plan is served" in d.find_element(By.ID, "plan-summary").text)

        browser.find_element(By.CSS_SELECTOR, "#plan-actions > summary").click()
        form = browser.find_element(By.ID, "dayplan-form")
        browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", form)
        # every box has a label the lead can read (not only a placeholder that goes away when typing)
        labels = {b: browser.find_element(By.CSS_SELECTOR, f"label[for='{b}']").text
                  for b in ("dayplan-absent", "dayplan-late", "dayplan-early")}
        assert "Absent" in labels["dayplan-absent"] and "Starting late" in labels["dayplan-late"] \
            and "Leaving early" in labels["dayplan-early"], labels
        hint = browser.find_element(By.ID, "dayplan-hint").text
        assert all(n in hint for n in ROSTER) and "10:00-18:00" in hint, hint

        # bad input: the error names the problem and the box it is in; no plan is made
        def refused(box: str, text: str, *words: str) -> None:
            for b in ("dayplan-absent", "dayplan-late", "dayplan-early"):
                _fill(browser, b, text if b == box else "")
            browser.find_element(By.ID, "dayplan-btn").click()
            wait.until(lambda d: d.find_element(By.ID, "plan-error").text)
            err = browser.find_element(By.ID, "plan-error").text
            assert all(w in err for w in words), err
            assert browser.find_element(By.ID, box).get_attribute("aria-invalid") == "true"
            assert api.get("/api/plan").status_code == 404

        refused("dayplan-absent", "amb99", "Absent", "amb99", "not on the roster")
        refused("dayplan-late", f"{LATE}=25:00", "Starting late", "25:00", "not a time of day")
        refused("dayplan-early", "amb6 16:00", "Leaving early", "amb6 16:00", "name=HH:MM")
        browser.save_screenshot(str(screens / "console_dayplan_error.png"))

        # the lead's morning: one off sick, one starting at noon
        _fill(browser, "dayplan-absent", ABSENT)
        _fill(browser, "dayplan-late", f"{LATE}={LATE_AT}")
        _fill(browser, "dayplan-early", "")
        browser.find_element(By.ID, "dayplan-btn").click()
        wait.until(lambda d: d.find_element(By.ID, "dayplan-btn").get_attribute("disabled"))  # no second submit
        assert "Planning today" in browser.find_element(By.ID, "plan-message").text
        WebDriverWait(browser, 300, ignored_exceptions=(StaleElementReferenceException,)).until(
            lambda d: "Version 1 is served" in d.find_element(By.ID, "plan-message").text)
        message = browser.find_element(By.ID, "plan-message").text
        # what was asked, and each target not met in plain words with its figure, as the API says
        assert f"({ABSENT} absent; {LATE} from {LATE_AT})" in message, message
        assert not browser.find_element(By.ID, "plan-error").text
        assert browser.find_element(By.ID, "dayplan-absent").get_attribute("aria-invalid") != "true"
        wait.until(lambda d: d.find_element(By.ID, "plan-version").text == "version 1")
        # the units listed are the day's: the absent one is gone, the others are there
        wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#ambassadors tbody tr")) == len(ROSTER) - 1)
        listed = retry(lambda: [r.get_attribute("data-unit")
                                for r in browser.find_elements(By.CSS_SELECTOR, "#ambassadors tbody tr")])
        assert sorted(listed) == sorted(n for n in ROSTER if n != ABSENT)
        summary = browser.find_element(By.ID, "plan-summary").text
        assert "planned again from the console" in summary
        browser.execute_script("arguments[0].scrollIntoView({block: 'center'})",
                               browser.find_element(By.ID, "plan-panel"))
        browser.save_screenshot(str(screens / "console_dayplan.png"))
        browser.execute_script("arguments[0].scrollIntoView({block: 'start'})",
                               browser.find_element(By.ID, "ambassadors"))
        browser.save_screenshot(str(screens / "console_dayplan_units.png"))

        # what the phones, the sheets and dispatch now read: GET /api/plan
        plan = api.get("/api/plan").json()
        api.close()
    for short in plan["shortfalls"]:
        assert f"{short['achieved']} (target {short['required']})" in message
    assert "_" not in message.split("Not met:")[-1]  # no code names
    assert ABSENT not in plan["timeline"] and ABSENT not in plan["walkers"]
    assert all(ABSENT not in w["members"] for w in plan["walkers"].values())
    assert set(plan["timeline"]) == {n for n in ROSTER if n != ABSENT}
    late = plan["timeline"][LATE]
    assert late and min(leg["t0"] for leg in late) >= 12 * 60
    assert plan["walkers"][LATE]["hours"][0] == LATE_AT
    assert plan["day_roster"]["absent"] == [ABSENT] and plan["day_roster"]["hours"][LATE][0] == LATE_AT
    # everyone else starts at the shift's start
    assert all(legs[0]["t0"] < 12 * 60 for w, legs in plan["timeline"].items() if w != LATE)
