"""What the ambassador's phone page reads and writes, in process: my day from the plan, my assignments and
their steps, backup, and what an ambassador key may not do (act for another, read others' notes)."""

from __future__ import annotations

import json
import re
import warnings
from html.parser import HTMLParser

import pytest

from patrol.dispatch import Network, Record
from patrol.dispatch.clock import OffsetClock
from patrol.service import ServiceConfig, create_app
from patrol.service.field_page import SHELL, shell_version
from patrol.service.today import PlanFile, checkin_status, find_walker, unit_tasks

with warnings.catch_warnings():  # starlette's TestClient warns about httpx at import
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

#: A Tuesday at 11:20 in Minneapolis (CDT, UTC-5): inside the shift, inside the hand plan's day.
NOW = "2026-06-02T16:20:00Z"
LAKE_HENNEPIN = (44.9485, -93.2950)


def hand_plan(uptown) -> dict:
    """A few steps on blocks 109 (W Lagoon Ave, nodes 92-93) and 245 (Girard Ave S, nodes 93-102)."""
    cyclebar = [b.name for b in uptown.businesses].index("CycleBar")
    steps = [
        {"t0": 600.0, "t1": 601.7, "activity": "walk", "block": 109, "off0": 0.0, "off1": 100.0, "ref": "",
         "street": "W Lagoon Ave", "node_label": "W Lagoon Ave & Girard Ave S"},
        {"t0": 601.7, "t1": 602.1, "activity": "walk", "block": 245, "off0": 0.0, "off1": 24.0, "ref": "",
         "street": "Girard Ave S"},
        {"t0": 602.1, "t1": 607.1, "activity": "checkin", "block": 245, "off0": 24.0, "off1": 24.0,
         "ref": "CycleBar", "street": "Girard Ave S", "business": cyclebar, "business_name": "CycleBar"},
        {"t0": 607.1, "t1": 607.3, "activity": "walk", "block": 245, "off0": 24.0, "off1": 40.0, "ref": "",
         "street": "Girard Ave S"},
        {"t0": 607.3, "t1": 617.3, "activity": "dwell", "block": 245, "off0": 40.0, "off1": 40.0,
         "ref": "hotspot 2", "street": "Girard Ave S", "hotspot": 2},
        {"t0": 617.3, "t1": 647.3, "activity": "break", "block": 245, "off0": 40.0, "off1": 40.0, "ref": "meal",
         "street": "Girard Ave S", "break": "meal"},
        {"t0": 647.3, "t1": 650.0, "activity": "walk", "block": 245, "off0": 40.0, "off1": 99.0, "ref": "",
         "street": "Girard Ave S", "node_label": "Girard Ave S & W Lake St"},
        {"t0": 650.0, "t1": 700.0, "activity": "post", "block": 245, "off0": 99.0, "off1": 99.0,
         "ref": "waiting for opening time", "street": "Girard Ave S"},
    ]
    legs = [{k: s[k] for k in ("t0", "t1", "block", "off0", "off1", "activity", "ref")} for s in steps]
    return {"schema": "patrol.plan/2", "district": uptown.name, "district_fingerprint": uptown.fingerprint,
            "district_source": "embedded", "day": "tue", "date": None,
            "hotspots": [{"id": 2, "block": 245, "street": "Girard Ave S", "lat": 44.9488, "lon": -93.2970}],
            "checkins_due": [{"index": cyclebar, "name": "CycleBar"}],
            "walkers": {"amb2": {"role": "walker", "steps": steps}}, "timeline": {"amb2": legs}}


def test_a_day_in_plain_words(uptown):
    plan = hand_plan(uptown)
    tasks = unit_tasks(plan, find_walker(plan, "amb2", ("amb2",)), Network.from_district(uptown), uptown)
    got = [(t.kind, t.t0, t.t1, t.title) for t in tasks]
    # the two walk steps are one task ending at the business; the 0.2-minute shuffle to the hot spot is no task
    assert got == [
        ("walk", 600.0, 602.1, "Walk to CycleBar on Girard Ave S"),
        ("checkin", 602.1, 607.1, "Check in with CycleBar"),
        ("dwell", 607.3, 617.3, "Stay at hot spot 2 on Girard Ave S"),
        ("break", 617.3, 647.3, "Meal break"),
        ("walk", 647.3, 650.0, "Walk to Girard Ave S & W Lake St"),
        ("post", 650.0, 700.0, "Stand visible on Girard Ave S"),
    ]
    walk, checkin = tasks[0], tasks[1]
    assert walk.detail == "via W Lagoon Ave → Girard Ave S" and walk.corners == [(601.7, "W Lagoon Ave & Girard Ave S")]
    assert walk.streets_at == [(600.0, "W Lagoon Ave"), (601.7, "Girard Ave S")]
    assert walk.length_m == pytest.approx(124.0)
    assert len(walk.path) >= 3  # block 109 from its u end, then the first 24 m of block 245
    # CycleBar is leisure:fitness_centre without hours in the data: district.toml's "leisure" span, 06:00-22:00
    assert checkin.closes == "22:00" and "open 06:00-22:00" in checkin.detail
    assert tasks[-1].detail == "waiting for opening time"
    # who checked in, whatever the case of the name; the first one counts
    done = [{"business": "cyclebar", "at": "2026-06-02T15:05:00.000Z", "ambassador": "amb5"},
            {"business": "CycleBar", "at": "2026-06-02T15:30:00.000Z", "ambassador": "amb2"}]
    [status] = checkin_status(tasks, done)
    assert (status.business, status.done_at, status.done_by) == ("CycleBar", "2026-06-02T15:05:00.000Z", "amb5")
    assert checkin_status(tasks, [])[0].done_at is None


def test_plan_file_version_follows_the_file(tmp_path, uptown):
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(hand_plan(uptown)))
    pf = PlanFile(path)
    first = pf.current()
    assert pf.current() is first  # not parsed again while the file is unchanged
    data = hand_plan(uptown)
    data["walkers"]["amb2"]["steps"][0]["street"] = "Lagoon"
    path.write_text(json.dumps(data))
    assert pf.version() != first.version and pf.current().data["walkers"]["amb2"]["steps"][0]["street"] == "Lagoon"


@pytest.fixture
def service(tmp_path, uptown):
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps(hand_plan(uptown)))
    offset = OffsetClock.starting_at(NOW).offset_s
    app = create_app(ServiceConfig(db_path=str(tmp_path / "r.db"), plan_path=str(plan), clock_offset_s=offset))
    store = app.state.patrol.keys
    keys = {"amb2": store.create("ambassador", name="phone 2", ambassador="amb2")[0],
            "amb3": store.create("ambassador", name="phone 3", ambassador="amb3")[0],
            "desk": store.create("dispatcher", name="desk")[0],
            "viewer": store.create("viewer", name="viewer")[0]}
    with TestClient(app) as client:
        yield client, {k: {"X-API-Key": v} for k, v in keys.items()}, plan, tmp_path / "r.db"


def _incident(client, h, notes="two men shouting", assign=("amb2",)):
    inc = client.post("/api/incidents", json={"location": "Lake & Hennepin", "type": "disturbance", "notes": notes},
                      headers=h["desk"]).json()["incident"]
    for unit in assign:
        r = client.post(f"/api/incidents/{inc['id']}/assign", json={"ambassador": unit}, headers=h["desk"])
        assert r.status_code == 201, r.text
    return inc["id"]


def test_my_day_and_its_version(service):
    client, h, plan, _ = service
    r = client.get("/api/ambassadors/amb2/today", headers=h["amb2"])
    assert r.status_code == 200
    day = r.json()
    assert day["message"] == "" and day["plan"]["walker"] == "amb2" and day["date"] == "2026-06-02"
    assert day["day_start"] == "2026-06-02T05:00:00.000Z" and day["minute"] == pytest.approx(680, abs=1)
    assert [t["title"] for t in day["tasks"]][:2] == ["Walk to CycleBar on Girard Ave S", "Check in with CycleBar"]
    assert day["checkins"][0]["business"] == "CycleBar" and day["checkins"][0]["done_at"] is None
    assert {b["name"] for b in day["businesses"] if b["due"]} == {"CycleBar"}
    assert day["hotspots"] == [{"id": 2, "street": "Girard Ave S", "lat": 44.9488, "lon": -93.297}]
    tag = r.headers["etag"]
    assert tag == day["version"] == client.get("/api/ambassadors/amb2/now", headers=h["amb2"]).json()["today_version"]
    assert client.get("/api/ambassadors/amb2/today", headers={**h["amb2"], "If-None-Match": tag}).status_code == 304
    # a check-in by anyone changes the day (the business is done), so does a new plan
    client.post("/api/ambassadors/amb3/checkins", json={"business": "CYCLEBAR"}, headers=h["amb3"]).raise_for_status()
    r2 = client.get("/api/ambassadors/amb2/today", headers={**h["amb2"], "If-None-Match": tag})
    assert r2.status_code == 200 and r2.json()["checkins"][0]["done_by"] == "amb3"
    data = json.loads(plan.read_text())
    data["walkers"]["amb2"]["steps"][2]["business_name"] = "Lagoon Cinema"
    plan.write_text(json.dumps(data))
    now = client.get("/api/ambassadors/amb2/now", headers=h["amb2"]).json()
    assert now["today_version"] not in (tag, r2.headers["etag"])
    assert client.get("/api/ambassadors/amb2/today", headers=h["amb2"]).json()["tasks"][1]["title"] == \
        "Check in with Lagoon Cinema"
    # the plan endpoint answers 304 to its ETag too
    p = client.get("/api/plan", headers=h["viewer"])
    again = client.get("/api/plan", headers={**h["viewer"], "If-None-Match": p.headers["etag"]})
    assert p.status_code == 200 and again.status_code == 304
    # an ambassador without a route in the plan is told so, with the businesses to pick from
    other = client.get("/api/ambassadors/amb3/today", headers=h["amb3"]).json()
    assert other["tasks"] == [] and "no route for amb3" in other["message"] and len(other["businesses"]) == 211


def test_an_assignment_step_by_step(service):
    client, h, _, db = service
    client.post("/api/ambassadors/amb2/pings", json={"lat": LAKE_HENNEPIN[0], "lon": LAKE_HENNEPIN[1] + 0.004},
                headers=h["amb2"]).raise_for_status()
    iid = _incident(client, h, assign=("amb2", "amb3"))
    [mine] = client.get("/api/ambassadors/amb2/now", headers=h["amb2"]).json()["assignments"]
    assert mine["incident"]["notes"] == "two men shouting" and mine["step"] == "assigned" and mine["next"] == "accepted"
    assert mine["with"] == ["amb3"] and mine["route"]["distance_m"] > 250 and mine["route"]["streets"]
    base = f"/api/ambassadors/amb2/assignments/{iid}/status"
    for step, incident_status in (("accepted", "assigned"), ("en route", "en route"), ("on scene", "on scene")):
        r = client.post(base, json={"status": step}, headers=h["amb2"])
        assert r.status_code == 201, r.text
        assert r.json()["incident"]["status"] == incident_status
    r = client.post(base, json={"status": "en route"}, headers=h["amb2"])
    assert r.status_code == 409 and "already reported 'on scene'" in r.json()["error"]["message"]
    # the backup unit keeps its own times: amb3 was not stamped by amb2's steps, and arrives later itself
    rec = Record(db)
    try:
        a2, a3 = sorted(rec.assignments(iid), key=lambda a: a.ambassador)
        assert a2.accepted_at and a2.en_route_at and a2.arrived_at and not (a3.accepted_at or a3.arrived_at)
    finally:
        rec.close()
    r = client.post(f"/api/ambassadors/amb3/assignments/{iid}/status", json={"status": "on scene"}, headers=h["amb3"])
    assert r.status_code == 201 and r.json()["assignment"]["accepted_at"] == r.json()["assignment"]["arrived_at"]
    # closed from the phone with the outcome: both units are cleared, the incident went through resolved
    r = client.post(f"/api/ambassadors/amb2/assignments/{iid}/close",
                    json={"outcomes": ["tensions de-escalated"], "actions": ["de-escalations"],
                          "referrals": ["shelter"]}, headers=h["amb2"])
    assert r.status_code == 200 and r.json()["status"] == "closed"
    detail = client.get(f"/api/incidents/{iid}", headers=h["viewer"]).json()
    assert [s["to_status"] for s in detail["history"]] == ["new", "assigned", "en route", "on scene", "resolved",
                                                             "closed"]
    assert sorted((o["kind"], o["value"]) for o in detail["outcomes"]) == [
        ("action", "de-escalations"), ("outcome", "tensions de-escalated"), ("referral", "shelter")]
    assert client.get("/api/ambassadors/amb2/now", headers=h["amb2"]).json()["assignments"] == []
    r = client.post(base, json={"status": "on scene"}, headers=h["amb2"])
    assert r.status_code == 409 and "no longer on incident" in r.json()["error"]["message"]


def test_phone_times_are_kept_within_the_assignment(service):
    client, h, _, _ = service
    iid = _incident(client, h, assign=())
    client.app.state.patrol.record.assign(iid, "amb2", at="2026-06-02T16:10:00Z")  # ten minutes ago
    # a queued "accepted" made 2 minutes after the assignment keeps its time ...
    r = client.post(f"/api/ambassadors/amb2/assignments/{iid}/status",
                    json={"status": "accepted", "at": "2026-06-02T16:12:00Z"}, headers=h["amb2"])
    assert r.json()["assignment"]["accepted_at"] == "2026-06-02T16:12:00.000Z"
    # ... a phone clock behind the service does not put "on scene" before the assignment was made ...
    r = client.post(f"/api/ambassadors/amb2/assignments/{iid}/status",
                    json={"status": "on scene", "at": "2026-06-02T16:00:00Z"}, headers=h["amb2"])
    assert r.json()["assignment"]["arrived_at"] == "2026-06-02T16:10:00.000Z"
    # ... and one ahead of it (within the 10 minutes allowed) does not put it in the future
    r = client.post(f"/api/ambassadors/amb2/assignments/{iid}/close",
                    json={"outcomes": ["resolved"], "at": "2026-06-02T16:28:00Z"}, headers=h["amb2"])
    assert "2026-06-02T16:20:00" <= r.json()["updated_at"] < "2026-06-02T16:21:00"
    r = client.post("/api/ambassadors/amb2/interactions", json={"type": "other", "at": "2026-05-01T12:00:00Z"},
                    headers=h["amb2"])
    assert r.status_code == 422 and r.json()["error"]["field"] == "body.at" and "7 days" in r.json()["error"]["message"]
    r = client.post("/api/ambassadors/amb2/interactions", json={"type": "information sharing",
                                                               "at": "2026-06-02T16:05:00Z"}, headers=h["amb2"])
    assert r.status_code == 201 and r.json()["at"] == "2026-06-02T16:05:00.000Z"


def test_an_ambassador_key_acts_and_reads_for_itself_only(service):
    client, h, _, _ = service
    iid = _incident(client, h, notes="caller's phone number 612-555-0100", assign=("amb3",))
    amb2 = h["amb2"]
    # others' day, assignments and log
    for path in ("/api/ambassadors/amb3/today", "/api/ambassadors/amb3/now", "/api/ambassadors/amb3/interactions",
                 "/api/interactions", f"/api/incidents/{iid}", "/api/incidents", "/api/state", "/api/plan"):
        r = client.get(path, headers=amb2)
        assert r.status_code == 403, path
        assert "612-555" not in r.text
    assert "612-555" not in client.get("/api/ambassadors/amb2/now", headers=amb2).text
    # acting on another's incident, or for another ambassador
    posts = {f"/api/ambassadors/amb2/assignments/{iid}/status": {"status": "accepted"},
             f"/api/ambassadors/amb2/assignments/{iid}/close": {"outcomes": ["resolved"]},
             "/api/ambassadors/amb2/backup": {"incident_id": iid},
             "/api/ambassadors/amb2/interactions": {"type": "other", "incident_id": iid},
             f"/api/ambassadors/amb3/assignments/{iid}/status": {"status": "accepted"},
             "/api/ambassadors/amb3/duty": {"status": "off duty"},
             "/api/ambassadors/amb3/interactions": {"type": "other"},
             "/api/ambassadors/amb3/backup": {"lat": LAKE_HENNEPIN[0], "lon": LAKE_HENNEPIN[1]}}
    for path, body in posts.items():
        r = client.post(path, json=body, headers=amb2)
        assert r.status_code == 403 and r.json()["error"]["type"] == "AuthError", (path, r.text)
    detail = client.get(f"/api/incidents/{iid}", headers=h["viewer"]).json()
    assert detail["incident"]["status"] == "assigned" and detail["incident"]["priority"] == "normal"
    assert detail["assignments"][0]["accepted_at"] is None
    # its own duty status, its own log; a viewer reads anybody's, and cannot write
    assert client.post("/api/ambassadors/amb2/duty", json={"status": "on break"}, headers=amb2).status_code == 201
    client.post("/api/ambassadors/amb2/interactions", json={"type": "wellness check", "notes": "mine"},
                headers=amb2).raise_for_status()
    assert [i["notes"] for i in client.get("/api/ambassadors/amb2/interactions", headers=amb2).json()["items"]] == \
        ["mine"]
    assert client.get("/api/ambassadors/amb2/today", headers=h["viewer"]).status_code == 200
    r = client.post("/api/ambassadors/amb2/duty", json={"status": "on shift"}, headers=h["viewer"])
    assert r.status_code == 403


def test_backup(service):
    client, h, _, _ = service
    iid = _incident(client, h)
    r = client.post("/api/ambassadors/amb2/backup", json={"incident_id": iid, "note": "crowd growing"},
                    headers=h["amb2"])
    assert r.status_code == 201 and r.json()["created"] is False
    inc = client.get(f"/api/incidents/{iid}", headers=h["viewer"]).json()["incident"]
    assert inc["priority"] == "urgent" and inc["notes"].endswith("BACKUP requested by amb2: crowd growing")
    # where I am, with no incident: a new urgent incident there, with me on it and on scene
    r = client.post("/api/ambassadors/amb3/backup", json={"lat": LAKE_HENNEPIN[0], "lon": LAKE_HENNEPIN[1]},
                    headers=h["amb3"])
    assert r.status_code == 201 and r.json()["created"] is True
    new = client.get(f"/api/incidents/{r.json()['incident']['id']}", headers=h["viewer"]).json()
    assert new["incident"]["status"] == "on scene" and new["incident"]["priority"] == "urgent"
    assert new["incident"]["source"] == "patrol" and new["incident"]["in_area"] is True
    assert [(a["ambassador"], a["arrived_at"] is not None) for a in new["assignments"]] == [("amb3", True)]
    # no fix and no position: a clear refusal, nothing written
    n = len(client.get("/api/incidents", headers=h["viewer"]).json()["items"])
    r = client.post("/api/ambassadors/amb5/backup", json={}, headers=h["desk"])
    assert r.status_code == 422 and "no position" in r.json()["error"]["message"]
    assert len(client.get("/api/incidents", headers=h["viewer"]).json()["items"]) == n


def test_a_retried_step_is_recorded_once(service):
    client, h, _, db = service
    iid = _incident(client, h)
    key = {**h["amb2"], "Idempotency-Key": "0f8a6c1e-step-1"}
    path = f"/api/ambassadors/amb2/assignments/{iid}/status"
    first = client.post(path, json={"status": "en route", "at": "2026-06-02T16:21:00Z"}, headers=key)
    again = client.post(path, json={"status": "en route", "at": "2026-06-02T16:21:00Z"}, headers=key)
    assert first.status_code == again.status_code == 201 and again.json() == first.json()
    assert again.headers.get("Idempotent-Replayed") == "true"
    close = {**h["amb2"], "Idempotency-Key": "0f8a6c1e-close-1"}
    body = {"outcomes": ["resolved"], "at": "2026-06-02T16:25:00Z"}
    assert client.post(f"/api/ambassadors/amb2/assignments/{iid}/close", json=body, headers=close).status_code == 200
    assert client.post(f"/api/ambassadors/amb2/assignments/{iid}/close", json=body, headers=close).status_code == 200
    rec = Record(db)
    try:
        assert [s.to_status for s in rec.history(iid)] == ["new", "assigned", "en route", "closed"]
        assert [(o.kind, o.value) for o in rec.outcomes(iid)] == [("outcome", "resolved")]
    finally:
        rec.close()


class _Inline(HTMLParser):
    """Inline script, inline event handlers and style attributes in a page (what a strict CSP blocks)."""

    def __init__(self):
        super().__init__()
        self.found: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        names = {k for k, _ in attrs}
        self.found += [f"<{tag} {k}>" for k in names if k.startswith("on") or k == "style"]
        self._in_script = tag == "script" and "src" not in names
        if tag == "style":
            self.found.append("<style>")

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.found.append("inline <script>")


def test_the_page_shell(service):
    client, _, _, _ = service
    page = client.get("/field")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    parser = _Inline()
    parser.feed(page.text)
    assert parser.found == []
    scripts = re.findall(r'<script src="([^"]+)"', page.text)
    assert scripts == ["/static/leaflet/leaflet.js", "/static/field.js", "/static/field-alerts.js",
                       "/static/field-activities.js"]
    for src in scripts:
        assert client.get(src).status_code == 200
    for src in scripts[1:]:
        js = client.get(src).text
        assert not re.search(r"innerHTML|eval\(|new Function|setAttribute\(\s*['\"](style|on)", js), src
    worker = client.get("/field-sw.js")
    assert worker.status_code == 200 and "__SHELL_VERSION__" not in worker.text
    assert f'"{shell_version()}"' in worker.text
    cached = json.loads(re.search(r"const SHELL = (\[.*?\]);", worker.text, re.S).group(1))
    for url in cached:  # everything the worker keeps for offline is served
        assert client.get(url).status_code == 200, url
    assert {f"/static/{n}" for n in SHELL if n not in ("field.html", "field-sw.js", "field.webmanifest")} <= set(cached)
    manifest = client.get("/field.webmanifest").json()
    assert manifest["start_url"] == "/field" and manifest["display"] == "standalone"
