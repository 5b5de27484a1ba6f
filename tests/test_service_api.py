"""The HTTP API over a real server process on loopback: auth per role, every 4xx path, the life cycle."""

from __future__ import annotations

import httpx
import pytest

from patrol.service.process import ServiceProcess, create_key

pytestmark = pytest.mark.slow

# Positions near Lake & Hennepin (W Lake St / Hennepin Ave S) and farther away.
PINGS = {"amb3": (44.9485, -93.2950), "amb2": (44.9500, -93.2880), "lead": (44.9470, -93.3000)}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    d = tmp_path_factory.mktemp("svc")
    db = d / "record.db"
    keys = {role: create_key(db, role, f"{role}-test") for role in ("admin", "dispatcher", "viewer")}
    keys["amb3"] = create_key(db, "ambassador", "phone-3", ambassador="amb3")
    srv = ServiceProcess(db, log_path=d / "server.log", extra=["--max-page-size", "100"]).start()
    client = srv.client()
    try:
        yield srv, client, keys
    finally:
        client.close()
        srv.stop()


def h(key: str) -> dict:
    return {"Authorization": f"Bearer {key}"}


def err(r: httpx.Response, status: int, type_: str | None = None, field: str | None = None) -> dict:
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"error"} and {"type", "message"} <= set(body["error"]), body
    assert body["error"]["message"]
    if type_ is not None:
        assert body["error"]["type"] == type_, body
    if field is not None:
        assert body["error"].get("field") == field, body
    return body["error"]


def _on_shift(client, key, names=("lead", "amb2", "amb3")):
    for n in names:
        assert client.post(f"/api/ambassadors/{n}/duty", json={"status": "on-shift"}, headers=h(key)).status_code == 201
    for n, (lat, lon) in PINGS.items():
        assert client.post(f"/api/ambassadors/{n}/pings", json={"lat": lat, "lon": lon},
                           headers=h(key)).status_code == 201


# ---------------------------------------------------------------------------------------- access
def test_only_health_answers_without_a_key(server):
    _, client, keys = server
    assert client.get("/api/health").json()["status"] == "ok"
    gets = ["/api/me", "/api/vocab", "/api/district", "/api/streets", "/api/state", "/api/ambassadors",
            "/api/incidents", "/api/incidents/1", "/api/incidents/1/ranking", "/api/plan", "/api/audit",
            "/api/interactions", "/api/keys", "/api/openapi.json", "/api/ambassadors/amb2/pings"]
    for path in gets:
        e = err(client.get(path), 401, "AuthError", "authorization")
        assert "API key" in e["message"]
    posts = {"/api/incidents": {"location": "Lake & Hennepin", "type": "disturbance"},
             "/api/rank": {"location": "Lake & Hennepin"}, "/api/incidents/1/assign": {},
             "/api/incidents/1/status": {"status": "closed"},
             "/api/ambassadors/amb3/pings": {"lat": 44.9, "lon": -93.3},
             "/api/pings": {"pings": []}, "/api/ambassadors/amb3/interactions": {"type": "other"},
             "/api/keys": {"role": "admin", "name": "x"}}
    for path, body in posts.items():
        err(client.post(path, json=body), 401, "AuthError")
    assert client.get("/api/me", headers={"X-API-Key": keys["viewer"]}).json()["role"] == "viewer"
    err(client.get("/api/me", headers=h("patrol_00000000_" + "x" * 43)), 401, "AuthError")
    err(client.get("/api/me", headers=h("not-a-key")), 401, "AuthError")
    good = keys["viewer"]
    err(client.get("/api/me", headers=h(good[:-2] + ("AA" if not good.endswith("AA") else "BB"))), 401)


def test_roles(server):
    _, client, keys = server
    v, d, a, amb = (h(keys[k]) for k in ("viewer", "dispatcher", "admin", "amb3"))
    new = {"location": "Lake & Hennepin", "type": "disturbance"}
    # viewer: reads only
    assert client.get("/api/incidents", headers=v).status_code == 200
    assert client.get("/api/district", headers=v).json()["timezone"] == "America/Chicago"  # data/uptown/district.toml
    assert client.post("/api/rank", json={"location": "Lake & Hennepin"}, headers=v).status_code == 200
    e = err(client.post("/api/incidents", json=new, headers=v), 403, "AuthError", "authorization")
    assert e["details"] == {"role": "viewer", "needs": "dispatch"}
    err(client.post("/api/ambassadors/amb3/pings", json={"lat": 44.9485, "lon": -93.295}, headers=v), 403)
    err(client.get("/api/keys", headers=v), 403)
    # ambassador: own pings and logs only, reads nothing
    r = client.post("/api/ambassadors/amb3/pings", json={"lat": 44.9485, "lon": -93.295, "accuracy_m": 8}, headers=amb)
    assert r.status_code == 201 and r.json()["ambassador"] == "amb3"
    err(client.post("/api/ambassadors/amb2/pings", json={"lat": 44.95, "lon": -93.288}, headers=amb),
        403, "AuthError", "ambassador")
    err(client.post("/api/pings", json={"pings": [{"ambassador": "amb3", "lat": 44.95, "lon": -93.29},
                                                  {"ambassador": "amb2", "lat": 44.95, "lon": -93.29}]},
                    headers=amb), 403, "AuthError", "ambassador")
    assert client.post("/api/pings", json={"pings": [{"ambassador": "amb3", "lat": 44.95, "lon": -93.29}]},
                       headers=amb).json()["count"] == 1
    it = client.post("/api/ambassadors/amb3/interactions", json={"type": "information sharing", "notes": "map"},
                     headers=amb)
    assert it.status_code == 201 and it.json()["actor"].startswith("key:") and it.json()["actor"].endswith(":phone-3")
    ci = client.post("/api/ambassadors/amb3/checkins", json={"business": "Magers & Quinn", "lat": 44.9485,
                                                              "lon": -93.2950}, headers=amb)
    assert ci.status_code == 201 and ci.json()["type"] == "business check-in" and ci.json()["block"] is not None
    err(client.post("/api/ambassadors/amb2/interactions", json={"type": "other"}, headers=amb), 403)
    err(client.post("/api/ambassadors/amb2/checkins", json={"business": "x"}, headers=amb), 403)
    for path in ("/api/incidents", "/api/state", "/api/ambassadors", "/api/interactions"):
        err(client.get(path, headers=amb), 403, "AuthError")
    assert client.get("/api/streets", headers=amb).status_code == 200  # the phone page's map
    err(client.post("/api/incidents", json=new, headers=amb), 403)
    # its own duty status from the phone, nobody else's
    own = client.post("/api/ambassadors/amb3/duty", json={"status": "break"}, headers=amb)
    assert own.status_code == 201 and own.json()["status"] == "on break"
    err(client.post("/api/ambassadors/amb2/duty", json={"status": "break"}, headers=amb), 403, "AuthError",
        "ambassador")
    assert client.get("/api/me", headers=amb).json()["ambassador"] == "amb3"
    # dispatcher: incidents, duty, relays positions for anyone; no keys
    assert client.post("/api/ambassadors/amb2/pings", json={"lat": 44.95, "lon": -93.288}, headers=d).status_code == 201
    err(client.get("/api/keys", headers=d), 403)
    err(client.post("/api/keys", json={"role": "viewer", "name": "x"}, headers=d), 403)
    # admin: keys (shown once, hashed), revocation
    r = client.post("/api/keys", json={"role": "ambassador", "name": "phone-5", "ambassador": "amb5"}, headers=a)
    assert r.status_code == 201
    token, kid = r.json()["key"], r.json()["id"]
    listed = client.get("/api/keys", headers=a).json()["items"]
    assert kid in [k["id"] for k in listed] and all("key" not in k and "hash" not in k for k in listed)
    assert client.post("/api/ambassadors/amb5/pings", json={"lat": 44.95, "lon": -93.29},
                       headers=h(token)).status_code == 201
    assert client.post(f"/api/keys/{kid}/revoke", headers=a).json()["revoked_at"]
    err(client.post("/api/ambassadors/amb5/pings", json={"lat": 44.95, "lon": -93.29}, headers=h(token)), 401,
        "AuthError")
    err(client.post("/api/keys", json={"role": "ambassador", "name": "p"}, headers=a), 422, "InputError", "ambassador")
    err(client.post("/api/keys", json={"role": "ambassador", "name": "p", "ambassador": "amb99"}, headers=a), 422)
    err(client.post("/api/keys", json={"role": "root", "name": "p"}, headers=a), 422, "ValidationError", "body.role")
    err(client.post("/api/keys/zzzz/revoke", headers=a), 422, "ValidationError", "path.key_id")
    err(client.post("/api/keys/0123abcd/revoke", headers=a), 404, "NotFoundError")


def test_every_write_is_attributed_to_its_key(server):
    _, client, keys = server
    d = h(keys["dispatcher"])
    me = client.get("/api/me", headers=d).json()
    inc = client.post("/api/incidents", json={"location": "Lake & Girard", "type": "sleeping"}, headers=d).json()
    iid = inc["incident"]["id"]
    assert inc["incident"]["created_by"] == me["actor"]
    client.post(f"/api/incidents/{iid}/close", json={"note": "duplicate"}, headers=d).raise_for_status()
    audit = client.get("/api/audit", params={"entity": "incident", "entity_id": iid}, headers=d).json()["items"]
    assert audit and {e["actor"] for e in audit} == {me["actor"]}
    amb = client.get("/api/me", headers=h(keys["amb3"])).json()["actor"]
    pings = client.get("/api/audit", params={"entity": "ping", "actor": amb, "limit": 100}, headers=d).json()["items"]
    assert pings and all(e["actor"] == amb for e in pings)


# ---------------------------------------------------------------------------------------- 4xx
def test_validation_errors_name_the_field(server):
    _, client, keys = server
    d = h(keys["dispatcher"])
    cases = [
        ({"type": "disturbance"}, "body.location"),
        ({"location": "", "type": "disturbance"}, "body.location"),
        ({"location": "Lake & Hennepin", "type": "alien landing"}, "body.type"),
        ({"location": "Lake & Hennepin", "type": "disturbance", "source": "pigeon"}, "body.source"),
        ({"location": "Lake & Hennepin", "type": "disturbance", "priority": 3}, "body.priority"),
        ({"location": "Lake & Hennepin", "type": "disturbance", "colour": "red"}, "body.colour"),
        ({"location": "Lake & Hennepin", "type": "disturbance", "received_at": "yesterday"}, "body.received_at"),
        ({"location": "x" * 501, "type": "disturbance"}, "body.location"),
    ]
    for body, field in cases:
        e = err(client.post("/api/incidents", json=body, headers=d), 422, "ValidationError", field)
        assert e["message"].startswith(field) and e["details"]["problems"][0]["field"] == field
    err(client.post("/api/incidents", content=b"{not json", headers={**d, "Content-Type": "application/json"}),
        422, "ValidationError")
    err(client.post("/api/incidents", json=["a"], headers=d), 422, "ValidationError")
    err(client.post("/api/ambassadors/amb2/pings", json={"lat": 95, "lon": -93.29}, headers=d), 422,
        "ValidationError", "body.lat")
    err(client.post("/api/ambassadors/amb2/pings", json={"lat": 44.95}, headers=d), 422, "ValidationError", "body.lon")
    err(client.post("/api/pings", json={"pings": []}, headers=d), 422, "ValidationError", "body.pings")
    err(client.post("/api/ambassadors/amb2/interactions", json={"type": "juggling"}, headers=d), 422,
        "ValidationError", "body.type")
    err(client.post("/api/ambassadors/amb2/interactions", json={"type": "referral"}, headers=d), 422,
        "InputError", "referral_type")
    err(client.post("/api/ambassadors/amb2/interactions", json={"type": "other", "lat": 44.95}, headers=d), 422,
        "InputError", "body.lon")
    err(client.post("/api/ambassadors/amb2/duty", json={"status": "asleep"}, headers=d), 422, "InputError", "status")
    err(client.get("/api/incidents", params={"limit": 101}, headers=d), 422, "ValidationError", "query.limit")
    err(client.get("/api/incidents", params={"limit": 0}, headers=d), 422, "ValidationError", "query.limit")
    err(client.get("/api/incidents", params={"offset": -1}, headers=d), 422, "ValidationError", "query.offset")
    err(client.get("/api/incidents", params={"status": "vanished"}, headers=d), 422, "InputError", "status")
    err(client.get("/api/incidents/abc", headers=d), 422, "ValidationError", "path.incident_id")
    err(client.get("/api/incidents/0", headers=d), 422, "ValidationError", "path.incident_id")


def test_geocoding_and_lookup_errors(server):
    _, client, keys = server
    d = h(keys["dispatcher"])
    e = err(client.post("/api/incidents", json={"location": "Lake & Hennepn", "type": "disturbance"}, headers=d),
            422, "GeocodeError", "location")
    assert "Hennepin Ave S" in e["details"]["close_matches"]
    err(client.post("/api/rank", json={"location": "44.0,-90.0"}, headers=d), 422, "OutsideDistrictError")
    err(client.get("/api/incidents/99999", headers=d), 404, "NotFoundError", "incident_id")
    err(client.get("/api/incidents/99999/ranking", headers=d), 404, "NotFoundError")
    err(client.post("/api/incidents/99999/status", json={"status": "closed"}, headers=d), 404, "NotFoundError")
    err(client.post("/api/incidents/99999/assign", json={}, headers=d), 404, "NotFoundError")
    err(client.post("/api/ambassadors/amb99/pings", json={"lat": 44.95, "lon": -93.29}, headers=d), 404,
        "NotFoundError", "ambassador")
    err(client.post("/api/ambassadors/amb99/duty", json={"status": "off"}, headers=d), 404, "NotFoundError")
    err(client.post("/api/ambassadors/amb2/interactions", json={"type": "other", "incident_id": 99999}, headers=d),
        404, "NotFoundError")
    # a GPS fix far from every street is kept, unsnapped (it gives no position), not refused
    far = client.post("/api/ambassadors/amb8/pings", json={"lat": 45.2, "lon": -93.0}, headers=d)
    assert far.status_code == 201
    stored = client.get("/api/ambassadors/amb8/pings", params={"limit": 100}, headers=d).json()["items"]
    assert [p["block"] for p in stored if p["id"] == far.json()["id"]] == [None]
    err(client.get("/api/nowhere", headers=d), 404, "NotFound")
    err(client.delete("/api/incidents/1", headers=d), 405, "MethodNotAllowed")
    e = err(client.get("/api/plan", headers=d), 404, "NotFoundError", "plan")
    assert "--plan" in e["message"]


def test_body_size_limit(server):
    _, client, keys = server
    d = h(keys["dispatcher"])
    big = {"location": "Lake & Hennepin", "type": "disturbance", "notes": "x" * 70_000}
    err(client.post("/api/incidents", json=big, headers=d), 413, "PayloadTooLarge", "body")

    def chunks():  # no Content-Length: counted while streamed
        for _ in range(20):
            yield b" " * 8192

    err(client.post("/api/incidents", content=chunks(), headers={**d, "Content-Type": "application/json"}), 413,
        "PayloadTooLarge")
    batch = {"pings": [{"ambassador": "amb2", "lat": 44.95, "lon": -93.29}] * 501}
    err(client.post("/api/pings", json=batch, headers=d), 422, "InputError", "body.pings")  # count limit


def test_page_sizes(server):
    _, client, keys = server
    d = h(keys["dispatcher"])
    for i in range(5):
        client.post("/api/incidents", json={"location": "Lake & Girard", "type": "other", "notes": f"page {i}"},
                    headers=d).raise_for_status()
    first = client.get("/api/incidents", params={"limit": 2}, headers=d).json()
    assert len(first["items"]) == 2 and first["next_offset"] == 2
    second = client.get("/api/incidents", params={"limit": 2, "offset": 2}, headers=d).json()
    assert {i["id"] for i in first["items"]}.isdisjoint(i["id"] for i in second["items"])
    total = client.get("/api/incidents", params={"limit": 100}, headers=d).json()
    assert total["next_offset"] is None and len(total["items"]) >= 5


# ---------------------------------------------------------------------------------------- life cycle
def test_full_incident_life_cycle(server):
    _, client, keys = server
    d = h(keys["dispatcher"])
    _on_shift(client, keys["dispatcher"])
    r = client.post("/api/incidents", json={"location": "Lake & Hennepin", "type": "Verbal Aggression",
                                            "source": "camera", "priority": "high", "notes": "two people arguing"},
                    headers=d)
    assert r.status_code == 201
    inc, ranking = r.json()["incident"], r.json()["ranking"]
    iid = inc["id"]
    assert inc["status"] == "new" and inc["type"] == "verbal aggression" and inc["matched"].startswith("Hennepin")
    ranked = [c for c in ranking["candidates"] if c["rank"]]
    assert [c["rank"] for c in ranked] == list(range(1, len(ranked) + 1)) and len(ranked) >= 3
    assert ranked[0]["eta_min"] <= ranked[1]["eta_min"] and ranked[0]["route"]["geometry"]["type"] == "LineString"
    assert ranked[0]["position_source"] == "ping"
    top = ranked[0]["ambassador"]
    listed = client.get("/api/incidents", params={"open": "true"}, headers=d).json()["items"]
    assert iid in [i["id"] for i in listed]
    a = client.post(f"/api/incidents/{iid}/assign", json={}, headers=d)
    assert a.status_code == 201 and a.json()["assignment"]["ambassador"] == top
    assert a.json()["assignment"]["eta_min"] == pytest.approx(ranked[0]["eta_min"], abs=0.5)
    assert a.json()["incident"]["status"] == "assigned"
    e = err(client.post(f"/api/incidents/{iid}/assign", json={"ambassador": top}, headers=d), 409, "TransitionError")
    assert top in e["message"]
    units = {u["name"]: u for u in client.get("/api/ambassadors", headers=d).json()["units"]}
    assert units[top]["status"] == "busy" and units[top]["incident_id"] == iid
    # the unit sent keeps its route in the incident's ranking (the console draws it), though no longer ranked
    now = {c["ambassador"]: c for c in client.get(f"/api/incidents/{iid}/ranking", headers=d).json()["ranking"]
           ["candidates"]}
    assert now[top]["rank"] is None and now[top]["route"]["geometry"]["type"] == "LineString"
    assert units["amb3"]["position"]["source"] == "ping" and units["amb3"]["position"]["age_min"] < 5
    backup = ranked[1]["ambassador"]
    assert client.post(f"/api/incidents/{iid}/assign", json={"ambassador": backup, "eta_min": 4},
                       headers=d).json()["assignment"]["eta_min"] == 4
    err(client.post(f"/api/incidents/{iid}/status", json={"status": "assigned"}, headers=d), 409, "TransitionError",
        "status")
    for status in ("en route", "on scene"):
        r = client.post(f"/api/incidents/{iid}/status", json={"status": status}, headers=d)
        assert r.json()["status"] == status
    e = err(client.post(f"/api/incidents/{iid}/status", json={"status": "closed"}, headers=d), 409, "TransitionError")
    assert e["details"]["allowed"] == ["resolved"]
    out = client.post(f"/api/incidents/{iid}/outcomes", json={"outcomes": ["tensions de-escalated"],
                                                              "actions": ["De-escalations"]}, headers=d)
    assert out.status_code == 201 and len(out.json()["outcomes"]) == 2
    err(client.post(f"/api/incidents/{iid}/outcomes", json={"outcomes": ["magic"]}, headers=d), 422,
        "ValidationError", "body.outcomes.0")
    patched = client.patch(f"/api/incidents/{iid}", json={"notes": "calm now"}, headers=d).json()
    assert patched["notes"].endswith("calm now")
    closed = client.post(f"/api/incidents/{iid}/close", json={"outcomes": ["information sharing"],
                                                               "referrals": ["mental health"], "note": "done"},
                         headers=d)
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    detail = client.get(f"/api/incidents/{iid}", headers=d).json()
    assert [x["to_status"] for x in detail["history"]] == ["new", "assigned", "en route", "on scene", "resolved",
                                                            "closed"]
    assert detail["next_statuses"] == []
    assert all(x["cleared_at"] for x in detail["assignments"]) and detail["assignments"][0]["arrived_at"]
    assert {o["value"] for o in detail["outcomes"]} == {"tensions de-escalated", "de-escalations",
                                                        "information sharing", "mental health"}
    assert {e["actor"] for e in detail["audit"]} == {client.get("/api/me", headers=d).json()["actor"]}
    err(client.post(f"/api/incidents/{iid}/status", json={"status": "new"}, headers=d), 409, "TransitionError")
    err(client.post(f"/api/incidents/{iid}/assign", json={}, headers=d), 409, "TransitionError")
    assert iid not in [i["id"] for i in client.get("/api/state", headers=d).json()["incidents"]]
    units = {u["name"]: u for u in client.get("/api/ambassadors", headers=d).json()["units"]}
    assert units[top]["status"] == "on shift"


def test_openapi_documents_the_api(server):
    _, client, keys = server
    doc = client.get("/api/openapi.json", headers=h(keys["viewer"])).json()
    for path in ("/api/incidents", "/api/incidents/{incident_id}/assign", "/api/ambassadors/{name}/pings",
                 "/api/pings", "/api/plan", "/api/health", "/api/keys", "/api/ambassadors/{name}/checkins"):
        assert path in doc["paths"], path
    schemes = doc["components"]["securitySchemes"]
    assert schemes["ApiKey"]["scheme"] == "bearer" and "X-API-Key" in schemes["ApiKey"]["description"]
    assert "disturbance" in str(doc["components"]["schemas"]["IncidentCreate"])
