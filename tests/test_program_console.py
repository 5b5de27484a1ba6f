"""``patrol serve --program``: both districts of the example program (Uptown + Lyn-Lake, ``program_dir`` in
conftest.py, skipped without ../shared) served from one console, in headless Chromium, screenshots in out/screens/.

Uptown's amb2 is pinged on W Lake St about 100 m west of a call at Lake & Aldrich (Lyn-Lake's), Lyn-Lake's three
units 200 m or more east and south of it: the console shows every unit of both districts, the call's ranking
puts amb2 first with the badge of its district (a unit of another district), and the district selector narrows
the page to Lyn-Lake's units.
"""

from __future__ import annotations

import pytest

from patrol.service.process import ServiceProcess, create_key

PINGS = {"amb2": (44.94836, -93.29065), "ll-lead": (44.94838, -93.28684), "ll2": (44.94661, -93.28685),
         "ll3": (44.94661, -93.28685)}


@pytest.mark.slow
def test_one_console_for_both_districts(program_dir, tmp_path, browser, screens):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select, WebDriverWait

    db = tmp_path / "program.db"
    key = create_key(db, "dispatcher", "program-test")
    with ServiceProcess(db, extra=["--program", str(program_dir)], log_path=tmp_path / "server.log") as srv:
        api = srv.client(key)
        for name, (lat, lon) in PINGS.items():
            api.post(f"/api/ambassadors/{name}/duty", json={"status": "on shift"}).raise_for_status()
            api.post(f"/api/ambassadors/{name}/pings", json={"lat": lat, "lon": lon}).raise_for_status()
        made = api.post("/api/incidents", json={"location": "Lake & Aldrich", "type": "disturbance"})
        made.raise_for_status()
        body = made.json()
        assert body["incident"]["district"] == "lynlake"
        first = body["ranking"]["candidates"][0]
        assert (first["ambassador"], first["district"], first["neighbour"]) == ("amb2", "uptown", True)
        api.close()

        wait = WebDriverWait(browser, 60)
        browser.get(srv.url + "/console")
        browser.find_element(By.ID, "key").send_keys(key)
        browser.find_element(By.ID, "login-btn").click()
        wait.until(lambda d: not d.find_element(By.ID, "login").is_displayed())
        wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#ambassadors tbody tr")) == 11)  # 8 + 3
        pick = Select(browser.find_element(By.ID, "district-select"))
        assert [o.text for o in pick.options] == ["All districts (2)", "Uptown Business District, Minneapolis",
                                                  "Lyn-Lake Business District, Minneapolis"]
        browser.save_screenshot(str(screens / "program-console-all.png"))

        # (the console redraws its lists while polling: find, click and read in one step each)
        item = f'#incidents li[data-id="{body["incident"]["id"]}"]'
        wait.until(lambda d: d.execute_script("const e = document.querySelector(arguments[0]); "
                                              "if (e) e.click(); return !!e", item))
        first_row = wait.until(lambda d: d.execute_script(
            "const r = document.querySelector('#ranking tbody tr'); return r && r.querySelector('.neighbour') "
            "&& r.innerText"))
        assert "amb2" in first_row and "Uptown" in first_row  # first, with its district's badge
        assert "another district" in browser.find_element(By.ID, "recommendation").text
        browser.save_screenshot(str(screens / "program-console-ranking.png"))

        pick.select_by_value("lynlake")
        shown = wait.until(lambda d: d.execute_script(
            "const rows = [...document.querySelectorAll('#ambassadors tbody tr')]; "
            "return rows.length === 3 && rows.map(r => r.innerText.trim().split(/\\s+/)[0])"))
        assert set(shown) == {"ll-lead", "ll2", "ll3"}
        browser.save_screenshot(str(screens / "program-console-lynlake.png"))
        # no plan is served (none was made): the plan panel says so; its 404 is the only failed request
        assert browser.find_element(By.ID, "plan-summary").text == "No plan is served today."
        errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"
                  and not ("/api/plan/versions" in e["message"] and "404" in e["message"])]
        assert not errors, errors
