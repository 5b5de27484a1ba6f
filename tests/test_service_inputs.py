"""Hostile and broken inputs: bad GPS fixes are refused one by one, no input gets a 5xx.

Issue 15 items 1 and 2.  In process (TestClient over the real app and a record file) except the
concurrency and keep-alive checks, which need a real server.
"""

from __future__ import annotations

import json
import socket
import threading
import warnings

import pytest

from patrol.dispatch.record import Record
from patrol.service.app import create_app
from patrol.service.config import ServiceConfig
from patrol.service.process import ServiceProcess, create_key

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

GOOD = [(44.9485, -93.2950), (44.9500, -93.2880), (44.9470, -93.3000)]
BIG = 2**63


@pytest.fixture(scope="module")
def svc(tmp_path_factory, uptown):
    d = tmp_path_factory.mktemp("inputs")
    db = str(d / "record.db")
    app = create_app(ServiceConfig(db_path=db))
    token = app.state.patrol.keys.create("dispatcher", name="desk")[0]
    with TestClient(app) as client:
        client.headers["X-API-Key"] = token
        yield client, db, uptown


def test_a_poisoned_batch_stores_its_good_fixes(svc):
    client, db, uptown = svc
    good = [{"ambassador": "amb2", "lat": lat, "lon": lon, "accuracy_m": 8} for lat, lon in GOOD]
    bad = {
        "null island": {"ambassador": "amb2", "lat": 0.0, "lon": 0.0},
        "near null island": {"ambassador": "amb2", "lat": 0.0001, "lon": -0.0002},
        "no position": {"ambassador": "amb2", "lat": None, "lon": None},
        "out of range": {"ambassador": "amb2", "lat": 95.0, "lon": -93.29},
        "other continent": {"ambassador": "amb2", "lat": 48.8566, "lon": 2.3522},
        "absurd accuracy": {"ambassador": "amb2", "lat": 44.9485, "lon": -93.295, "accuracy_m": 1e6},
        "negative accuracy": {"ambassador": "amb2", "lat": 44.9485, "lon": -93.295, "accuracy_m": -3},
        "year 9999": {"ambassador": "amb2", "lat": 44.9485, "lon": -93.295, "t": "9999-12-31T23:59:59Z"},
        "year 1": {"ambassador": "amb2", "lat": 44.9485, "lon": -93.295, "t": "0001-01-01T00:00:00Z"},
        "extreme offset": {"ambassador": "amb2", "lat": 44.9485, "lon": -93.295, "t": "0001-01-01T00:00:00+23:59"},
        "unknown name": {"ambassador": "amb99", "lat": 44.9485, "lon": -93.295},
    }
    # good fixes first, last and between the bad ones; NaN and Infinity as Python's JSON writes them
    fixes = [good[0], *bad.values(), good[1], good[2]]
    text = json.dumps({"pings": fixes})[:-2] + ', {"ambassador": "amb2", "lat": NaN, "lon": Infinity}]}'
    before = len(Record(db).pings())
    r = client.post("/api/pings", content=text.encode(), headers={"Content-Type": "application/json"})
    assert r.status_code == 201, r.text
    out = r.json()
    statuses = [x["status"] for x in out["results"]]
    assert statuses == ["stored"] + ["refused"] * len(bad) + ["stored", "stored", "refused"]
    assert out["count"] == 3 and out["refused"] == len(bad) + 1 and out["ids"][1:1 + len(bad)] == [None] * len(bad)
    reasons = dict(zip(["good", *bad], [x["reason"] for x in out["results"]], strict=False))
    assert "null island" in reasons["null island"] and "null island" in reasons["near null island"]
    assert "km from the district" in reasons["other continent"] and "amb99" in reasons["unknown name"]
    assert "accuracy" in reasons["absurd accuracy"] and "ahead" in reasons["year 9999"]
    assert "old" in reasons["year 1"] and "out of the range" in reasons["extreme offset"]
    assert "not a position" in out["results"][-1]["reason"]
    rec = Record(db)
    stored = {p.id: p for p in rec.pings()}
    rec.close()
    assert len(stored) == before + 3
    for i, (lat, lon) in zip((0, len(bad) + 1, len(bad) + 2), GOOD, strict=True):
        p = stored[out["ids"][i]]
        snap = uptown.geocoder.snap(lat, lon)  # the same fix snapped alone
        assert (p.lat, p.lon, p.block) == (lat, lon, snap.block) and p.accuracy_m == 8


def test_a_fix_off_the_streets_but_near_is_kept_unsnapped_with_a_reason(svc):
    client, _, _ = svc
    r = client.post("/api/ambassadors/amb8/pings", json={"lat": 45.05, "lon": -93.10})  # ~20 km away
    assert r.status_code == 201 and r.json()["snapped"] is False and "nearest street" in r.json()["reason"]
    for body in ({"lat": 0.0, "lon": 0.0}, {"lat": 44.9485, "lon": -93.295, "accuracy_m": 20000},
                 {"lat": 44.9485, "lon": -93.295, "t": "2000-01-01T00:00:00Z"}):
        r = client.post("/api/ambassadors/amb8/pings", json=body)
        assert r.status_code == 422 and r.json()["error"]["details"]["reason"], r.text


def test_logs_and_places_at_null_island_are_refused_with_a_reason(svc):
    client, _, _ = svc
    for path, body in (("/api/ambassadors/amb3/interactions", {"type": "other", "lat": 0.0, "lon": 0.0}),
                       ("/api/ambassadors/amb3/checkins", {"business": "Magers & Quinn", "lat": 0.0, "lon": 0.0}),
                       ("/api/ambassadors/amb3/interactions", {"type": "other", "lat": 40.0, "lon": 116.0})):
        r = client.post(path, json=body)
        assert r.status_code == 422 and r.json()["error"]["field"] == "body.lat", r.text
    near = client.post("/api/ambassadors/amb3/interactions", json={"type": "other", "lat": 45.05, "lon": -93.1})
    assert near.status_code == 201 and near.json()["block"] is None and near.json()["lat"] == 45.05
    for path, body in (("/api/incidents", {"location": "0,0", "type": "other"}), ("/api/rank", {"location": "0,0"}),
                       ("/api/incidents", {"location": "0.00001,-0.00001", "type": "other"})):
        r = client.post(path, json=body)
        assert r.status_code == 422 and r.json()["error"]["type"] == "OutsideDistrictError", r.text


def test_huge_ids_and_times_out_of_range_are_4xx(svc):
    client, db, _ = svc
    for method, path in (("GET", f"/api/incidents/{BIG}"), ("GET", f"/api/incidents/{BIG}/ranking"),
                         ("POST", f"/api/incidents/{BIG}/assign"), ("POST", f"/api/incidents/{10**30}/close"),
                         ("PATCH", f"/api/incidents/{BIG}")):
        r = client.request(method, path, json={})
        assert r.status_code == 422 and r.json()["error"]["field"] == "path.incident_id", (path, r.text)
    r = client.get("/api/audit", params={"entity": "incident", "entity_id": BIG})
    assert r.status_code == 422 and r.json()["error"]["field"] == "query.entity_id"
    r = client.post("/api/ambassadors/amb3/interactions", json={"type": "other", "incident_id": BIG})
    assert r.status_code == 422 and r.json()["error"]["field"] == "body.incident_id"
    for when in ("9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+23:59", "9999-01-01T00:00:00Z",
                 "0001-01-01T00:00:00Z", "2001-01-01T00:00:00Z"):
        r = client.post("/api/incidents", json={"location": "Lake & Hennepin", "type": "other", "received_at": when})
        assert r.status_code == 422 and r.json()["error"]["field"] == "body.received_at", (when, r.text)
        r = client.post("/api/ambassadors/amb2/pings", json={"lat": 44.9485, "lon": -93.295, "t": when})
        assert r.status_code == 422, (when, r.text)
    for path in ("/api/incidents", "/api/interactions", "/api/ambassadors/amb2/pings"):
        for since in ("0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00", "yesterday"):
            r = client.get(path, params={"since": since})
            assert r.status_code == 422 and r.json()["error"]["field"] == "query.since", (path, since, r.text)
        assert client.get(path, params={"since": "0001-01-01T00:00:00Z"}).status_code == 200
    rec = Record(db)
    assert all(len(i.received_at) == 24 and i.received_at[:2] == "20" for i in rec.list_incidents())
    rec.close()


# ---------------------------------------------------------------------------------------- a real server
@pytest.fixture(scope="module")
def server(tmp_path_factory):
    d = tmp_path_factory.mktemp("inputs-srv")
    key = create_key(d / "record.db", "dispatcher", "inputs")
    with ServiceProcess(d / "record.db", log_path=d / "server.log") as srv:
        yield srv, key


@pytest.mark.slow
def test_bad_single_pings_never_fail_other_requests(server):
    srv, key = server
    results: list[tuple[str, int]] = []
    lock = threading.Lock()

    def send(kind: str, body: dict) -> None:
        with srv.client(key) as c:
            r = c.post("/api/ambassadors/amb5/pings", json=body)
            with lock:
                results.append((kind, r.status_code))

    jobs = []
    for i in range(60):
        lat, lon = GOOD[i % 3]
        jobs.append(("good", {"lat": lat, "lon": lon, "accuracy_m": 5}))
        if i % 6 == 0:
            jobs.append(("bad", {"lat": 0.0, "lon": 0.0}))
    threads = [threading.Thread(target=send, args=job) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(s for k, s in results if k == "good") == [201] * 60
    assert sorted(s for k, s in results if k == "bad") == [422] * 10


@pytest.mark.slow
def test_the_connection_stays_usable_after_errors(server):
    srv, key = server

    def request(sock: socket.socket, method: str, path: str, body: bytes = b"") -> int:
        head = (f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-API-Key: {key}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n").encode()
        sock.sendall(head + body)
        f = sock.makefile("rb")
        status = int(f.readline().split()[1])
        length = 0
        while (line := f.readline()) not in (b"\r\n", b""):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        f.read(length)
        return status

    with socket.create_connection(("127.0.0.1", srv.port), timeout=30) as sock:
        assert request(sock, "GET", f"/api/incidents/{BIG}") == 422
        assert request(sock, "POST", "/api/incidents", b"{not json") == 422
        assert request(sock, "POST", "/api/ambassadors/amb2/pings", b'{"lat": 0, "lon": 0}') == 422
        assert request(sock, "GET", "/api/incidents/424242") == 404
        assert request(sock, "POST", "/api/incidents", b'{"location": "Lake & Hennepin", "type": "other", '
                                                       b'"received_at": "0001-01-01T00:00:00+23:59"}') == 422
        assert request(sock, "GET", "/api/incidents?limit=1") == 200  # same connection, still answering
