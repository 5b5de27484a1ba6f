"""Issue 17 over HTTP, in process: events, safety escorts, cameras, services and materials, and who may do what
(ambassador keys only for themselves, viewers read only, every write refused without the right key)."""

from __future__ import annotations

import warnings

import pytest

from patrol.dispatch.clock import OffsetClock
from patrol.service import ServiceConfig, create_app

with warnings.catch_warnings():  # starlette's TestClient warns about httpx at import
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

NOW = "2026-06-02T16:20:00Z"  # Tuesday 11:20 in Minneapolis
HERE = (44.94840, -93.29700)  # W Lake St near Girard


@pytest.fixture
def service(tmp_path):
    offset = OffsetClock.starting_at(NOW).offset_s
    app = create_app(ServiceConfig(db_path=str(tmp_path / "r.db"), clock_offset_s=offset))
    store = app.state.patrol.keys
    keys = {"amb2": store.create("ambassador", name="phone 2", ambassador="amb2")[0],
            "amb3": store.create("ambassador", name="phone 3", ambassador="amb3")[0],
            "desk": store.create("dispatcher", name="desk")[0],
            "viewer": store.create("viewer", name="viewer")[0]}
    with TestClient(app) as client:
        yield client, {k: {"X-API-Key": v} for k, v in keys.items()}


def _status(r, code: int) -> dict:
    assert r.status_code == code, r.text
    return r.json()


def test_events_over_http(service):
    client, h = service
    body = {"name": "Art fair", "place": "Hennepin & Lagoon", "start": "2026-06-02 12:00", "end": "17:00",
            "radius_m": 120, "crowd": 900, "info": "Free water at the library", "ambassadors": 2, "presence": "loop",
            "before_min": 30}
    for who in ("viewer", "amb2"):
        _status(client.post("/api/events", json=body, headers=h[who]), 403)
    ev = _status(client.post("/api/events", json=body, headers={**h["desk"], "Idempotency-Key": "ev-1"}), 201)
    again = _status(client.post("/api/events", json=body, headers={**h["desk"], "Idempotency-Key": "ev-1"}), 201)
    assert again["id"] == ev["id"]
    assert ev["local"]["start"] == "2026-06-02 12:00" and ev["presence"]["mode"] == "loop" and ev["lines"]
    assert ev["blocks"][0] == ev["anchor"][0] and ev["matched"] == "Hennepin Ave S & W Lagoon Ave"
    _status(client.post("/api/events", json={**body, "end": "11:00"}, headers=h["desk"]), 422)
    _status(client.post("/api/events", json={**body, "place": "Nowhere St & Nothing Ave"}, headers=h["desk"]), 422)
    _status(client.post("/api/events", json={**body, "colour": "red"}, headers=h["desk"]), 422)
    # every key reads today's events (the phones show what to tell people)
    for who in ("amb3", "viewer", "desk"):
        got = _status(client.get("/api/events", headers=h[who]), 200)
        assert [e["name"] for e in got["items"]] == ["Art fair"] and got["date"] == "2026-06-02"
    assert _status(client.get("/api/events?date=2026-06-03", headers=h["desk"]), 200)["items"] == []
    _status(client.delete(f"/api/events/{ev['id']}", headers=h["viewer"]), 403)
    gone = _status(client.delete(f"/api/events/{ev['id']}?note=rain", headers=h["desk"]), 200)
    assert gone["removed_at"] is not None
    _status(client.delete(f"/api/events/{ev['id']}", headers=h["desk"]), 409)
    assert _status(client.get("/api/events", headers=h["desk"]), 200)["items"] == []
    assert len(_status(client.get("/api/events?removed=true", headers=h["desk"]), 200)["items"]) == 1


def test_an_escort_over_http(service):
    client, h = service
    for n, (lat, lon) in {"amb3": HERE, "amb2": (44.9500, -93.2880)}.items():
        _status(client.post(f"/api/ambassadors/{n}/duty", json={"status": "on shift"}, headers=h["desk"]), 201)
        _status(client.post(f"/api/ambassadors/{n}/pings", json={"lat": lat, "lon": lon}, headers=h["desk"]), 201)
    req = {"from": "Walker Library", "to": "W Lake St & Lyndale Ave S", "people": 2, "notes": "two students"}
    _status(client.post("/api/escorts", json=req, headers=h["viewer"]), 403)
    _status(client.post("/api/escorts", json=req, headers=h["amb3"]), 403)
    out = _status(client.post("/api/escorts", json=req, headers=h["desk"]), 201)
    esc, walk, ranking = out["escort"], out["walk"], out["ranking"]
    assert esc["status"] == "requested" and esc["people"] == 2
    assert walk["distance_m"] > 500 and walk["route"]["streets"]
    first = ranking["candidates"][0]
    assert first["rank"] == 1 and first["ambassador"] in ("amb3", "amb2")
    assert ranking["incident_type"] == "safety escort" and first["cost"] is None  # no plan: no cost
    eid = esc["id"]
    assigned = _status(client.post(f"/api/escorts/{eid}/assign", json={"ambassador": "amb3"}, headers=h["desk"]),
                       201)["escort"]
    assert assigned["unit"] == "amb3" and assigned["eta_min"] > 0
    # the phone: its own escorts, its own steps only
    mine = _status(client.get("/api/ambassadors/amb3/escorts", headers=h["amb3"]), 200)["items"]
    assert [x["escort"]["id"] for x in mine] == [eid] and mine[0]["walk"]["route"]["streets"]
    _status(client.get("/api/ambassadors/amb3/escorts", headers=h["amb2"]), 403)
    _status(client.post(f"/api/ambassadors/amb2/escorts/{eid}/status", json={"status": "accepted"},
                        headers=h["amb2"]), 403)  # not amb2's escort
    _status(client.post(f"/api/ambassadors/amb3/escorts/{eid}/status", json={"status": "accepted"},
                        headers=h["amb2"]), 403)  # not amb2's key
    step = _status(client.post(f"/api/ambassadors/amb3/escorts/{eid}/status", json={"status": "under way"},
                               headers=h["amb3"]), 200)["escort"]
    assert step["status"] == "under way" and step["started_at"]
    units = {u["name"]: u for u in _status(client.get("/api/ambassadors", headers=h["viewer"]), 200)["units"]}
    assert units["amb3"]["status"] == "busy" and units["amb3"]["escort_id"] == eid
    _status(client.post(f"/api/ambassadors/amb3/escorts/{eid}/finish", json={"outcome": "lost"}, headers=h["amb3"]),
            422)
    done = _status(client.post(f"/api/ambassadors/amb3/escorts/{eid}/finish", json={"outcome": "arrived"},
                               headers=h["amb3"]), 200)["escort"]
    assert done["status"] == "done" and done["provided"] is True
    units = {u["name"]: u for u in _status(client.get("/api/ambassadors", headers=h["desk"]), 200)["units"]}
    assert units["amb3"]["status"] == "on shift" and units["amb3"]["position"]["source"] == "after escort"
    # a walk-up from the phone: from where it is, taken on the spot
    walkup = _status(client.post("/api/ambassadors/amb2/escorts", json={"to": "Walker Library", "lat": 44.95,
                                                                         "lon": -93.288}, headers=h["amb2"]), 201)
    assert walkup["escort"]["status"] == "under way" and walkup["escort"]["unit"] == "amb2"
    assert walkup["escort"]["source"] == "walk-up"
    _status(client.post("/api/ambassadors/amb3/escorts", json={"to": "Walker Library"}, headers=h["amb2"]), 403)
    listed = _status(client.get("/api/escorts?open=true", headers=h["viewer"]), 200)["items"]
    assert [x["id"] for x in listed] == [walkup["escort"]["id"]]
    _status(client.post(f"/api/escorts/{walkup['escort']['id']}/cancel", json={}, headers=h["viewer"]), 403)
    _status(client.post(f"/api/escorts/{walkup['escort']['id']}/cancel", json={"note": "bus came"},
                        headers=h["desk"]), 200)
    _status(client.post("/api/escorts", json={**req, "to": "Nowhere St & Nothing Ave"}, headers=h["desk"]), 422)


def test_cameras_over_http(service):
    client, h = service
    reg = _status(client.get("/api/cameras", headers=h["viewer"]), 200)
    assert reg["illustrative"] is True and len(reg["items"]) >= 3
    _status(client.get("/api/cameras", headers=h["amb3"]), 403)
    cam = reg["items"][0]
    assert cam["blocks"] and cam["polygon"] and cam["point"]["block"] in cam["blocks"]
    # an incident seen on it: placed at its view point, carrying its id, ranked
    _status(client.post(f"/api/cameras/{cam['camera']['id']}/incidents", json={"type": "disturbance"},
                        headers=h["viewer"]), 403)
    out = _status(client.post(f"/api/cameras/{cam['camera']['id']}/incidents",
                              json={"type": "disturbance", "notes": "shouting"}, headers=h["desk"]), 201)
    inc = out["incident"]
    assert (inc["camera_id"], inc["source"], inc["block"]) == (cam["camera"]["id"], "camera", cam["point"]["block"])
    assert inc["offset_m"] == pytest.approx(cam["point"]["offset_m"], abs=0.1) and "ranking" in out
    _status(client.post(f"/api/cameras/{cam['camera']['id']}/incidents", json={"type": "pizza"},
                        headers=h["desk"]), 422)
    _status(client.post("/api/cameras/nope/incidents", json={"type": "disturbance"}, headers=h["desk"]), 404)
    # edits: kept in the record
    new = {"lat": 44.9490, "lon": -93.2950, "heading_deg": 0, "fov_deg": 90, "range_m": 60, "owner": "a shop"}
    _status(client.put("/api/cameras/shop-1", json=new, headers=h["viewer"]), 403)
    put = _status(client.put("/api/cameras/shop-1", json=new, headers=h["desk"]), 200)
    assert put["camera"]["owner"] == "a shop"
    _status(client.put("/api/cameras/shop-2", json={"lat": 44.949}, headers=h["desk"]), 422)
    _status(client.put("/api/cameras/bad id", json=new, headers=h["desk"]), 422)
    ids = [c["camera"]["id"] for c in _status(client.get("/api/cameras", headers=h["desk"]), 200)["items"]]
    assert ids[-1] == "shop-1"
    _status(client.delete(f"/api/cameras/{ids[0]}", headers=h["desk"]), 200)
    after = [c["camera"]["id"] for c in _status(client.get("/api/cameras", headers=h["desk"]), 200)["items"]]
    assert after == ids[1:]
    edits = _status(client.get("/api/cameras/shop-1", headers=h["desk"]), 200)["edits"]
    assert [e["action"] for e in edits] == ["set"]


def test_materials_with_a_referral(service):
    client, h = service
    lst = _status(client.get("/api/materials", headers=h["amb3"]), 200)
    assert lst["illustrative"] is True and "shelter" in lst["kinds"]
    shelter = next(m for m in lst["items"] if m["kind"] == "shelter")
    r = _status(client.post("/api/ambassadors/amb3/interactions",
                            json={"type": "referral", "referral_type": "shelter",
                                  "materials": [{"id": shelter["id"], "count": 2}]}, headers=h["amb3"]), 201)
    assert r["materials"] == [{"id": shelter["id"], "kind": "shelter", "count": 2}]
    _status(client.post("/api/ambassadors/amb3/interactions",
                        json={"type": "information sharing", "materials": [{"id": "nope"}]}, headers=h["amb3"]), 422)
    _status(client.post("/api/ambassadors/amb3/interactions",
                        json={"type": "information sharing", "materials": [{"id": shelter["id"], "count": 0}]},
                        headers=h["amb3"]), 422)
    _status(client.post("/api/ambassadors/amb2/interactions",
                        json={"type": "information sharing", "materials": [{"id": shelter["id"]}]},
                        headers=h["amb3"]), 403)
    vocab = _status(client.get("/api/vocab", headers=h["amb3"]), 200)
    assert "arrived" in vocab["escort_outcomes"] and "event flyer" in vocab["material_kinds"]
