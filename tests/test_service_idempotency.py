"""Idempotency keys: a repeated create or change answers the first response and writes nothing.

In process (FastAPI's TestClient over the real app and a record file); the kill -9 case is in
``test_service_fault.py`` and ``test_record_crash.py``.
"""

from __future__ import annotations

import sqlite3
import threading
import warnings

import pytest

from patrol.dispatch.idempotency import Idempotency, Replayed, fingerprint
from patrol.dispatch.record import Record
from patrol.errors import IdempotencyError, InputError
from patrol.service.app import create_app
from patrol.service.config import ServiceConfig

with warnings.catch_warnings():  # starlette's TestClient warns about httpx at import
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

NEAR = {"amb3": (44.9485, -93.2950), "amb2": (44.9500, -93.2880), "lead": (44.9470, -93.3000)}


@pytest.fixture(scope="module")
def svc(tmp_path_factory):
    d = tmp_path_factory.mktemp("idem")
    db = d / "record.db"
    app = create_app(ServiceConfig(db_path=str(db)))
    keys = app.state.patrol.keys
    tokens = {"d1": keys.create("dispatcher", name="desk 1")[0], "d2": keys.create("dispatcher", name="desk 2")[0],
              "amb3": keys.create("ambassador", name="phone 3", ambassador="amb3")[0]}
    with TestClient(app) as client:
        for name, (lat, lon) in NEAR.items():
            client.post(f"/api/ambassadors/{name}/duty", json={"status": "on shift"},
                        headers={"X-API-Key": tokens["d1"]}).raise_for_status()
            client.post(f"/api/ambassadors/{name}/pings", json={"lat": lat, "lon": lon},
                        headers={"X-API-Key": tokens["d1"]}).raise_for_status()
        yield client, tokens, str(db)


def h(token: str, key: str | bytes | None = None) -> dict:
    out = {"X-API-Key": token}
    if key is not None:
        out["Idempotency-Key"] = key
    return out


def count(db: str, table: str) -> int:
    conn = sqlite3.connect(db)
    try:
        return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
    finally:
        conn.close()


def twice(client, method: str, path: str, body: dict | None, headers: dict, table: str, db: str, *,
          status: int = 201):
    """Send a request twice with one key: the same answer, one row written, the repeat flagged as replayed."""
    before = count(db, table)
    first = client.request(method, path, json=body, headers=headers)
    assert first.status_code == status, first.text
    assert "idempotent-replayed" not in first.headers
    assert count(db, table) == before + 1
    again = client.request(method, path, json=body, headers=headers)
    assert again.status_code == status and again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert count(db, table) == before + 1
    return first.json()


def test_every_write_endpoint_answers_a_repeat_with_the_first_response(svc):
    client, tok, db = svc
    d = tok["d1"]
    created = twice(client, "POST", "/api/incidents", {"location": "Lake & Hennepin", "type": "disturbance"},
                    h(d, "create-1"), "incidents", db)
    assert created["ranking"]["candidates"] and created["incident"]["status"] == "new"
    iid = created["incident"]["id"]
    assigned = twice(client, "POST", f"/api/incidents/{iid}/assign", {}, h(d, "assign-1"), "assignments", db)
    assert assigned["incident"]["status"] == "assigned" and assigned["assignment"]["incident_id"] == iid
    # a status change: one history row; the repeat does not try the (now illegal) transition again
    twice(client, "POST", f"/api/incidents/{iid}/status", {"status": "en route"}, h(d, "status-1"),
          "status_history", db, status=200)
    twice(client, "PATCH", f"/api/incidents/{iid}", {"notes": "caller called back"}, h(d, "patch-1"), "audit", db,
          status=200)
    assert client.get(f"/api/incidents/{iid}", headers=h(d)).json()["incident"]["notes"] == "caller called back"
    twice(client, "POST", f"/api/incidents/{iid}/outcomes", {"outcomes": ["information sharing"]},
          h(d, "outcome-1"), "outcomes", db)
    closed = twice(client, "POST", f"/api/incidents/{iid}/close", {"note": "done"}, h(d, "close-1"),
                   "status_history", db, status=200)
    assert closed["status"] == "closed"
    twice(client, "POST", "/api/ambassadors/amb4/duty", {"status": "break"}, h(d, "duty-1"), "duty", db)
    single = twice(client, "POST", "/api/ambassadors/amb3/pings", {"lat": 44.9485, "lon": -93.2950},
                   h(tok["amb3"], "ping-1"), "pings", db)
    assert single["status"] == "stored" and single["snapped"] is True
    batch = twice(client, "POST", "/api/pings", {"pings": [{"ambassador": "amb3", "lat": 44.9486, "lon": -93.2951}]},
                  h(tok["amb3"], "batch-1"), "pings", db)
    assert batch["count"] == 1 and batch["ids"] == [batch["results"][0]["id"]]
    twice(client, "POST", "/api/ambassadors/amb3/interactions", {"type": "information sharing"},
          h(tok["amb3"], "log-1"), "interactions", db)
    twice(client, "POST", "/api/ambassadors/amb3/checkins", {"business": "Magers & Quinn"},
          h(tok["amb3"], "checkin-1"), "interactions", db)


def test_same_key_with_another_body_is_refused_and_writes_nothing(svc):
    client, tok, db = svc
    d = tok["d1"]
    body = {"location": "Lake & Girard", "type": "sleeping"}
    first = client.post("/api/incidents", json=body, headers=h(d, "conflict-1"))
    assert first.status_code == 201
    before = count(db, "incidents")
    for other in ({**body, "type": "disturbance"}, {**body, "notes": "more"}):
        r = client.post("/api/incidents", json=other, headers=h(d, "conflict-1"))
        assert r.status_code == 422, r.text
        e = r.json()["error"]
        assert e["type"] == "IdempotencyError" and e["field"] == "idempotency_key" and "conflict-1" in e["message"]
        assert e["details"]["key"] == "conflict-1"
    # the same key on another endpoint is another request too
    r = client.post("/api/ambassadors/amb2/duty", json={"status": "busy"}, headers=h(d, "conflict-1"))
    assert r.status_code == 422 and r.json()["error"]["type"] == "IdempotencyError"
    assert count(db, "incidents") == before
    # the same body with the fields in another order, spacing or case is the same request
    same = client.post("/api/incidents", content=b'{ "type" : "Sleeping",  "location": "Lake & Girard"}',
                       headers={**h(d, "conflict-1"), "Content-Type": "application/json"})
    assert same.status_code == 201 and same.json() == first.json()


def test_keys_are_per_api_key_and_checked(svc):
    client, tok, db = svc
    body = {"location": "Lagoon & Hennepin", "type": "obstruction"}
    a = client.post("/api/incidents", json=body, headers=h(tok["d1"], "shared-key"))
    b = client.post("/api/incidents", json=body, headers=h(tok["d2"], "shared-key"))
    assert a.status_code == b.status_code == 201 and a.json()["incident"]["id"] != b.json()["incident"]["id"]
    # the draft's quoted form names the same key
    c = client.post("/api/incidents", json=body, headers=h(tok["d1"], '"shared-key"'))
    assert c.json() == a.json() and c.headers["idempotent-replayed"] == "true"
    before = count(db, "incidents")
    for bad in ("", "with space", "x" * 256, "\u00e9t\u00e9".encode("latin-1")):
        r = client.post("/api/incidents", json=body, headers=h(tok["d1"], bad))
        assert r.status_code == 422, (bad, r.text)
        assert r.json()["error"]["field"] == "header.Idempotency-Key"
    assert count(db, "incidents") == before
    # a failed request stores no key: the same key may then carry the corrected request
    bad = client.post("/api/incidents", json={"location": "Lake & Hennepn", "type": "other"},
                      headers=h(tok["d1"], "retry-after-error"))
    assert bad.status_code == 422 and bad.json()["error"]["type"] == "GeocodeError"
    good = client.post("/api/incidents", json={"location": "Lake & Hennepin", "type": "other"},
                       headers=h(tok["d1"], "retry-after-error"))
    assert good.status_code == 201


def test_fix_keys_acknowledge_duplicates_in_a_batch(svc):
    client, tok, db = svc
    amb = tok["amb3"]
    fix = {"ambassador": "amb3", "lat": 44.9485, "lon": -93.2950}
    first = client.post("/api/pings", json={"pings": [{**fix, "key": "f1"}, {**fix, "key": "f2"}]}, headers=h(amb))
    assert first.status_code == 201 and first.json()["count"] == 2
    ids = first.json()["ids"]
    before = count(db, "pings")
    # the phone re-uploads its buffer with one more fix: only the new fix is stored
    again = client.post("/api/pings", json={"pings": [{**fix, "key": "f2"}, {**fix, "key": "f3"}, {**fix, "key": "f3"},
                                                       fix]}, headers=h(amb)).json()
    assert [r["status"] for r in again["results"]] == ["duplicate", "stored", "duplicate", "stored"]
    assert again["results"][0]["id"] == ids[1] and again["results"][2]["id"] == again["results"][1]["id"]
    assert again["count"] == 2 and again["duplicates"] == 2 and again["refused"] == 0
    assert [r["index"] for r in again["results"]] == [0, 1, 2, 3] and again["results"][1]["key"] == "f3"
    assert count(db, "pings") == before + 2
    # a single ping with a fix key, and a dispatcher's fix keys are its own
    one = client.post("/api/ambassadors/amb3/pings", json={"lat": 44.9485, "lon": -93.2950, "key": "f1"},
                      headers=h(amb)).json()
    assert one["status"] == "duplicate" and one["id"] == ids[0]
    other = client.post("/api/pings", json={"pings": [{**fix, "key": "f1"}]}, headers=h(tok["d1"])).json()
    assert other["results"][0]["status"] == "stored"
    r = client.post("/api/pings", json={"pings": [{**fix, "key": "k" * 101}]}, headers=h(amb))
    assert r.status_code == 422 and r.json()["error"]["field"] == "body.pings.0.key"


def test_record_keys_concurrent_repeats_write_once(tmp_path):
    rec = Record(tmp_path / "r.db", actor="test")
    fp = fingerprint(["POST", "/x", {"a": 1}])
    outcomes: list[object] = []

    def create() -> None:
        idem = Idempotency("same", fp, status=201, render=lambda inc: {"id": inc.id})
        try:
            rec.new_incident(type="other", source="phone", location_text="x", idem=idem)
            outcomes.append(("stored", idem.response))
        except Replayed as r:
            outcomes.append(("replayed", r.response))

    threads = [threading.Thread(target=create) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    kinds = sorted(k for k, _ in outcomes)
    assert kinds == ["replayed"] * 7 + ["stored"]
    assert len(rec.list_incidents()) == 1
    assert {resp.body["id"] for _, resp in outcomes} == {rec.list_incidents()[0].id}
    with pytest.raises(IdempotencyError):
        rec.new_incident(type="other", source="phone", location_text="y",
                         idem=Idempotency("same", fingerprint(["other"]), status=201, render=lambda i: {}))
    with pytest.raises(InputError):
        Idempotency("", fp, status=201, render=lambda i: {})
    # the key row is never changed or deleted
    for sql in ("DELETE FROM idempotency", "UPDATE idempotency SET status=500"):
        with pytest.raises(sqlite3.DatabaseError):
            rec._conn.execute(sql)
    rec.close()
