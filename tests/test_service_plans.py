"""The day's plan in the service: plan the day with today's roster, re-plan after a dispatch, the versions;
dispatch follows the version served."""

from __future__ import annotations

import json
import warnings

import pytest

from patrol.dispatch.clock import OffsetClock
from patrol.planning import check_plan, plan_day
from patrol.service import ServiceConfig, create_app

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

NOW = "2026-06-02T19:00:00Z"  # a Tuesday, 14:00 in Minneapolis


@pytest.fixture(scope="module")
def morning(uptown) -> dict:
    return json.loads(json.dumps(plan_day(uptown, "tue", date="2026-06-02", seed=0).to_dict()))


@pytest.fixture
def service(tmp_path, morning):
    folder = tmp_path / "plans" / "2026-06-02"
    folder.mkdir(parents=True)
    (folder / "plan.json").write_text(json.dumps(morning))
    app = create_app(ServiceConfig(db_path=str(tmp_path / "r.db"), plan_path=str(folder / "plan.json"),
                                   clock_offset_s=OffsetClock.starting_at(NOW).offset_s))
    store = app.state.patrol.keys
    keys = {"desk": store.create("dispatcher", name="desk")[0], "viewer": store.create("viewer", name="v")[0],
            "amb4": store.create("ambassador", name="phone 4", ambassador="amb4")[0]}
    with TestClient(app) as client:
        yield client, {k: {"X-API-Key": v} for k, v in keys.items()}, folder


def test_replan_after_a_dispatch_is_served_and_kept(service, uptown, morning):
    client, h, folder = service
    inc = client.post("/api/incidents", json={"location": "Lake & Hennepin", "type": "disturbance"},
                      headers=h["desk"]).json()["incident"]
    assert client.post(f"/api/incidents/{inc['id']}/assign", json={"ambassador": "amb4"},
                       headers=h["desk"]).status_code == 201
    assert client.post("/api/plan/replan", json={"why": "x"}, headers=h["viewer"]).status_code == 403
    assert client.post("/api/plan/replan", json={"why": "x"}, headers=h["amb4"]).status_code == 403
    r = client.post("/api/plan/replan", json={"at": "14:05", "why": "disturbance at Lake & Hennepin"},
                    headers=h["desk"])
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["version"]["version"] == 2 and body["summary"]["replan"]["changed_units"] == ["amb4"]
    served = client.get("/api/plan", headers=h["viewer"]).json()
    assert served["version"] == 2 and json.loads((folder / "plan.v2.json").read_text()) == served
    assert check_plan(served, uptown)["valid"]
    versions = client.get("/api/plan/versions", headers=h["viewer"]).json()
    assert [(v["version"], v["why"]) for v in versions["versions"]] == [
        (1, "the plan re-planned from"), (2, "disturbance at Lake & Hennepin")]
    assert versions["current"] == 2
    audit = client.get("/api/audit", params={"entity": "plan_version"}, headers=h["viewer"]).json()["items"]
    assert [a["actor"].split(":")[-1] for a in audit] == ["desk", "desk"]
    # the desk follows the new version: amb4 is placed at its incident, not where the morning's plan had it
    units = {u["name"]: u for u in client.get("/api/ambassadors", headers=h["viewer"]).json()["units"]}
    assert units["amb4"]["position"]["source"] in ("en route", "on scene", "ping")


def test_plan_the_day_with_todays_roster(service, uptown):
    client, h, _ = service
    r = client.post("/api/plan/day", json={"absent": ["amb5"], "start": {"amb3": "12:00"}, "seed": 3,
                                           "why": "amb5 called in sick"}, headers=h["desk"])
    assert r.status_code == 201, r.text
    served = client.get("/api/plan", headers=h["viewer"]).json()
    assert "amb5" not in served["walkers"] and served["walkers"]["amb3"]["hours"] == ["12:00", "18:00"]
    assert served["day_roster"]["absent"] == ["amb5"] and served["version"] == 1
    assert check_plan(served, uptown)["valid"]
    bad = client.post("/api/plan/day", json={"absent": ["amb9"]}, headers=h["desk"])
    assert bad.status_code == 422 and "amb9" in bad.json()["error"]["message"]


def test_the_service_refuses_a_plan_made_for_other_streets(uptown, morning, tmp_path):
    """A service started with a plan and a district whose streets differ (one street renamed) does not start: it
    names the mismatch; with the plan's own district it starts."""
    import shutil

    from patrol.errors import PlanError

    folder = tmp_path / "renamed"
    shutil.copytree(uptown.folder, folder)
    seg = folder / "street_segments.csv"
    seg.write_text(seg.read_text().replace("Hennepin Ave S", "Hennepin Avenue South", 1))
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(morning))
    with pytest.raises(PlanError, match="was made for district"):
        create_app(ServiceConfig(db_path=str(tmp_path / "r.db"), plan_path=str(path), district_path=str(folder)))
    app = create_app(ServiceConfig(db_path=str(tmp_path / "r2.db"), plan_path=str(path)))
    assert app.state.patrol.district.fingerprint == uptown.fingerprint


def test_a_plan_written_by_another_worker_is_followed(tmp_path, morning):
    """Two workers (two apps on one record and plan file): the plan one of them writes is the one the other's
    desk ranks with on its next API request; ``/api/health`` does not touch the desk; a plan file that became
    unreadable is answered with the shared error body, not a 500."""
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(morning))
    config = ServiceConfig(db_path=str(tmp_path / "r.db"), plan_path=str(path),
                           clock_offset_s=OffsetClock.starting_at(NOW).offset_s)
    one, other = create_app(config), create_app(config)
    key = {"X-API-Key": one.state.patrol.keys.create("dispatcher", name="desk")[0]}
    with TestClient(one) as a, TestClient(other) as b:
        assert "amb5" in {u["name"] for u in a.get("/api/vocab", headers=key).json()["units"]}
        # what the other worker writes: the day's plan without amb5 (walkers and timeline)
        later = json.loads(json.dumps(morning))
        later["walkers"].pop("amb5")
        later["timeline"].pop("amb5")
        tmp = tmp_path / "plan.tmp"
        tmp.write_text(json.dumps(later))
        tmp.replace(path)
        assert b.get("/api/health").status_code == 200
        assert "amb5" in [u.name for u in one.state.patrol.desk.units]  # no API request yet
        assert "amb5" not in {u["name"] for u in a.get("/api/vocab", headers=key).json()["units"]}
        ranked = a.post("/api/rank", json={"location": "Lake & Hennepin"}, headers=key).json()
        assert {c["ambassador"] for c in ranked["candidates"]} == set(later["walkers"])
        path.write_text("{not json")
        broken = a.get("/api/ambassadors", headers=key)
        assert broken.status_code == 422 and broken.json()["error"]["type"] == "PlanError"
        assert "plan" in broken.json()["error"]["message"]
        assert broken.headers["x-content-type-options"] == "nosniff"  # inside the security headers
        assert a.get("/api/health").json()["status"] == "ok"


def test_the_start_up_objects_are_frozen_while_serving_only(tmp_path, morning):
    """While the app serves, what it built at start-up is out of the cyclic collector's way (gc.freeze);
    after shutdown nothing stays frozen (an app dropped by a test leaves no uncollectable cycle)."""
    import gc

    path = tmp_path / "plan.json"
    path.write_text(json.dumps(morning))
    app = create_app(ServiceConfig(db_path=str(tmp_path / "r.db"), plan_path=str(path)))
    gc.unfreeze()
    with TestClient(app) as client:
        assert client.get("/api/health").status_code == 200
        assert gc.get_freeze_count() > 10_000  # the district, the plan, the routes: many objects
    assert gc.get_freeze_count() == 0
