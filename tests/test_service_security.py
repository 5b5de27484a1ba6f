"""Security headers on every answer (and the console working under its CSP), the key checked before the body,
the audit trail paged, the OpenAPI document declaring the error answers.  Issue 15 item 5."""

from __future__ import annotations

import warnings

import httpx
import pytest

from patrol.service.app import create_app
from patrol.service.config import ServiceConfig
from patrol.service.process import ServiceProcess, create_key

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

PINGS = {"lead": (44.9470, -93.3000), "amb2": (44.9500, -93.2880), "amb3": (44.9485, -93.2950)}


@pytest.fixture(scope="module")
def svc(tmp_path_factory):
    d = tmp_path_factory.mktemp("security")
    app = create_app(ServiceConfig(db_path=str(d / "record.db"), max_page_size=100))
    keys = app.state.patrol.keys
    tok = {role: keys.create(role, name=f"{role}-test")[0] for role in ("dispatcher", "viewer", "admin")}
    with TestClient(app) as client:
        yield client, tok


def _secured(r: httpx.Response) -> None:
    csp = r.headers.get("content-security-policy", "")
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "object-src 'none'" in csp, r.url
    assert "unsafe-inline" not in csp.split("script-src", 1)[1].split(";", 1)[0]  # no inline script
    assert r.headers["x-frame-options"] == "DENY" and r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "no-referrer"


def test_every_kind_of_answer_carries_the_security_headers(svc):
    client, tok = svc
    d = {"X-API-Key": tok["dispatcher"]}
    answers = [
        client.get("/api/health"), client.get("/api/me", headers=d), client.get("/api/me"),  # 200, 401
        client.get("/api/keys", headers=d), client.get("/api/incidents/99", headers=d),  # 403, 404
        client.get("/api/incidents", params={"limit": 0}, headers=d),  # 422
        client.post("/api/incidents", content=b"x" * 70_000, headers={**d, "Content-Type": "application/json"}),  # 413
        client.delete("/api/incidents/1", headers=d), client.get("/nowhere"),  # 405, 404
        client.get("/console"), client.get("/static/console.js"), client.get("/static/leaflet/leaflet.js"),
        client.get("/", follow_redirects=False), client.get("/api/streets", headers=d),
    ]
    assert [r.status_code for r in answers] == [200, 200, 401, 403, 404, 422, 413, 405, 404, 200, 200, 200, 307, 200]
    for r in answers:
        _secured(r)
    api = [r for r in answers if r.url.path.startswith("/api/")]
    assert all(r.headers["cache-control"] == "no-store" for r in api)
    assert answers[10].headers["content-type"].startswith(("text/javascript", "application/javascript"))


def test_the_key_is_checked_before_the_body(svc):
    client, tok = svc
    broken = {"Content-Type": "application/json"}
    r = client.post("/api/incidents", content=b"{not json", headers=broken)
    assert r.status_code == 401 and r.json()["error"]["type"] == "AuthError"
    r = client.post("/api/incidents", content=b"{not json", headers={**broken, "X-API-Key": "patrol_0000_x"})
    assert r.status_code == 401
    r = client.post("/api/incidents", content=b"{not json", headers={**broken, "X-API-Key": tok["viewer"]})
    assert r.status_code == 403 and r.json()["error"]["details"]["needs"] == "dispatch"
    r = client.post("/api/incidents", content=b"{not json", headers={**broken, "X-API-Key": tok["dispatcher"]})
    assert r.status_code == 422 and r.json()["error"]["type"] == "ValidationError"
    r = client.post("/api/pings", content=b"[1,", headers=broken)
    assert r.status_code == 401


def test_the_audit_trail_is_paged_like_the_other_lists(svc):
    client, tok = svc
    d = {"X-API-Key": tok["dispatcher"]}
    for i in range(7):
        client.post("/api/ambassadors/amb2/duty", json={"status": "break" if i % 2 else "on shift",
                                                         "note": f"audit {i}"}, headers=d).raise_for_status()
    seen, offset, pages = [], 0, 0
    while offset is not None:
        r = client.get("/api/audit", params={"limit": 3, "offset": offset}, headers=d).json()
        assert len(r["items"]) <= 3 and r["offset"] == offset
        seen += [e["id"] for e in r["items"]]
        offset, pages = r["next_offset"], pages + 1
    assert seen == sorted(seen) and len(seen) == len(set(seen)) >= 7 and pages >= 3
    newest = client.get("/api/audit", params={"limit": 100}, headers=d).json()
    assert newest["next_offset"] is None and newest["items"][-1]["id"] == seen[-1]  # the newest row is reachable
    notes = [e["data"]["note"] for e in newest["items"] if e["entity"] == "duty"]
    assert notes[-7:] == [f"audit {i}" for i in range(7)]
    since = newest["items"][-3]["at"]
    later = client.get("/api/audit", params={"since": since, "limit": 100}, headers=d).json()["items"]
    assert later and all(e["at"] >= since for e in later) and later[-1]["id"] == seen[-1]
    r = client.get("/api/audit", params={"since": "soon"}, headers=d)
    assert r.status_code == 422 and r.json()["error"]["field"] == "query.since"


def test_openapi_declares_the_error_answers_and_their_body(svc):
    client, tok = svc
    doc = client.get("/api/openapi.json", headers={"X-API-Key": tok["viewer"]}).json()
    for path, method in (("/api/incidents", "post"), ("/api/incidents/{incident_id}/assign", "post"),
                         ("/api/pings", "post"), ("/api/audit", "get")):
        responses = doc["paths"][path][method]["responses"]
        for code in ("401", "403", "404", "409", "413", "422", "503"):
            schema = responses[code]["content"]["application/json"]["schema"]
            assert schema == {"$ref": "#/components/schemas/ErrorBody"}, (path, code, schema)
    body = doc["components"]["schemas"]["ErrorBody"]
    assert body["required"] == ["error"]
    detail = doc["components"]["schemas"]["ErrorDetail"]
    assert set(detail["properties"]) == {"type", "message", "field", "details"}
    assert "401" not in doc["paths"]["/api/health"]["get"]["responses"]
    params = {p["name"] for p in doc["paths"]["/api/audit"]["get"]["parameters"]}
    assert {"limit", "offset", "since"} <= params


@pytest.mark.slow
def test_the_console_works_under_its_content_security_policy(tmp_path, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    db = tmp_path / "record.db"
    key = create_key(db, "dispatcher", "csp-test")
    with ServiceProcess(db, log_path=tmp_path / "server.log") as srv:
        with srv.client(key) as api:
            for name, (lat, lon) in PINGS.items():
                api.post(f"/api/ambassadors/{name}/duty", json={"status": "on shift"}).raise_for_status()
                api.post(f"/api/ambassadors/{name}/pings", json={"lat": lat, "lon": lon}).raise_for_status()
        wait = WebDriverWait(browser, 30)
        browser.get(srv.url + "/console")
        browser.find_element(By.ID, "key").send_keys(key)
        browser.find_element(By.ID, "login-btn").click()
        wait.until(lambda b: not b.find_element(By.ID, "login").is_displayed())
        wait.until(lambda b: len(b.find_elements(By.CSS_SELECTOR, "#ambassadors tbody tr")) == 8)
        browser.find_element(By.ID, "f-location").send_keys("Lake & Hennepin")
        browser.find_element(By.ID, "f-submit").click()
        wait.until(lambda b: b.find_elements(By.CSS_SELECTOR, "#ranking button.assign-btn"))
        assert browser.execute_script("return S.layers.routes.getLayers().length") >= 1  # the route is drawn
        assert browser.execute_script("return S.layers.streets.getLayers().length") > 0  # the streets are drawn
        # the legend's swatches (colours from console.css) are drawn
        swatch = browser.execute_script(
            "return getComputedStyle(document.querySelector('#legend .sw-corridor')).backgroundColor")
        assert swatch not in ("", "rgba(0, 0, 0, 0)"), swatch
        browser.save_screenshot(str(tmp_path / "console-csp.png"))
        violations = [e["message"] for e in browser.get_log("browser") if "Content Security Policy" in e["message"]]
        assert not violations, violations[:3]
        # a name from district data inserted as HTML cannot run script: inline handlers are refused
        browser.execute_script(
            "document.body.insertAdjacentHTML('beforeend', '<img src=\"/nope.png\" onerror=\"window.pwned=1\">')")
        wait.until(lambda b: any("Content Security Policy" in e["message"] for e in b.get_log("browser")))
        assert browser.execute_script("return window.pwned === undefined")
