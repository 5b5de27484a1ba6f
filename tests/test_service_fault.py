"""Fault test: SIGKILL the server during a load run, restart it, and find every acknowledged write."""

from __future__ import annotations

import random
import threading
import time

import httpx
import pytest

from patrol.dispatch import Record
from patrol.service.process import ServiceProcess, create_key

pytestmark = pytest.mark.slow

PLACES = ["Lake & Hennepin", "Lake & Girard", "Lagoon & Hennepin", "Lake & Lyndale"]
NAMES = ["lead", "amb2", "amb3", "amb4", "amb5", "amb6", "amb7", "amb8"]


def _load(url: str, key: str, seed: int, stop: threading.Event, acked: dict, errors: list) -> None:
    rng = random.Random(seed)
    with httpx.Client(base_url=url, headers={"X-API-Key": key}, timeout=10) as client:
        i = 0
        while not stop.is_set() and i < 5000:  # bounded
            i += 1
            try:
                if i % 4 == 0:
                    r = client.post("/api/incidents", json={"location": rng.choice(PLACES), "type": "obstruction",
                                                            "notes": f"fault {seed}-{i}"})
                    if r.status_code == 201:
                        acked["incidents"].append(r.json()["incident"]["id"])
                elif i % 4 == 1:
                    r = client.post("/api/pings", json={"pings": [
                        {"ambassador": rng.choice(NAMES), "lat": 44.9485 + rng.uniform(-0.002, 0.002),
                         "lon": -93.295 + rng.uniform(-0.01, 0.01)} for _ in range(5)]})
                    if r.status_code == 201:
                        acked["pings"].extend(r.json()["ids"])
                else:
                    r = client.post(f"/api/ambassadors/{rng.choice(NAMES)}/pings",
                                    json={"lat": 44.9485 + rng.uniform(-0.002, 0.002),
                                          "lon": -93.295 + rng.uniform(-0.01, 0.01)})
                    if r.status_code == 201:
                        acked["pings"].append(r.json()["id"])
                if r.status_code != 201:
                    errors.append(r.text)
            except httpx.HTTPError:
                if stop.is_set():
                    return
                time.sleep(0.01)  # the server is gone: keep trying until told to stop


@pytest.mark.parametrize(("seed", "workers"), [(1, 1), (2, 2)])
def test_kill_during_load_loses_no_acknowledged_write(tmp_path, seed, workers):
    db = tmp_path / "record.db"
    key = create_key(db, "dispatcher", "fault-test")
    acked: dict[str, list[int]] = {"incidents": [], "pings": []}
    errors: list[str] = []
    stop = threading.Event()
    srv = ServiceProcess(db, extra=["--workers", str(workers)], log_path=tmp_path / "server.log").start()
    # worker processes take turns at writing through an OS lock on <record>-writers; a lone worker takes none
    assert (tmp_path / "record.db-writers").exists() == (workers > 1)
    threads = [threading.Thread(target=_load, args=(srv.url, key, seed * 10 + k, stop, acked, errors))
               for k in range(6)]
    try:
        for t in threads:
            t.start()
        time.sleep(random.Random(seed).uniform(1.5, 3.0))
        srv.kill()  # SIGKILL, mid-run
        snapshot = {k: list(v) for k, v in acked.items()}
        time.sleep(0.3)
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=30)
        srv.stop()
    assert not errors, errors[:3]
    assert len(snapshot["incidents"]) > 5 and len(snapshot["pings"]) > 20, snapshot
    acked_incidents, acked_pings = set(acked["incidents"]), set(acked["pings"])

    with ServiceProcess(db, log_path=tmp_path / "server2.log") as again:
        client = again.client(key)
        for iid in sorted(acked_incidents):
            r = client.get(f"/api/incidents/{iid}")
            assert r.status_code == 200, (iid, r.text)
            assert r.json()["history"][0]["to_status"] == "new"
        # still writable after the crash
        assert client.post("/api/incidents", json={"location": "Lake & Hennepin", "type": "other"}).status_code == 201
        client.close()
    rec = Record(db)
    try:
        assert rec.integrity_check() == "ok"
        stored_pings = {p.id for p in rec.pings()}
        assert acked_pings <= stored_pings, sorted(acked_pings - stored_pings)[:10]
        assert acked_incidents <= {i.id for i in rec.list_incidents()}
    finally:
        rec.close()


def _retrying_creates(url: str, key: str, tag: str, n: int, stop: threading.Event, acked: dict,
                      replays: list, failures: list) -> None:
    """Create ``n`` incidents, each with its own idempotency key, retrying each until it is acknowledged.

    Every 5th request first gives up after 2 ms (a connection dropped before the answer): the server
    stores it anyway, and the retry must get the first answer rather than create a second incident.
    """
    with httpx.Client(base_url=url, headers={"X-API-Key": key}, timeout=10) as client:
        for i in range(n):
            body = {"location": PLACES[i % len(PLACES)], "type": "obstruction", "notes": f"{tag}-{i}"}
            impatient = i % 5 == 0
            while not stop.is_set():
                timeout = httpx.Timeout(10.0, read=0.002) if impatient else httpx.Timeout(10.0)
                impatient = False
                try:
                    r = client.post("/api/incidents", json=body, headers={"Idempotency-Key": f"{tag}-{i}"},
                                    timeout=timeout)
                except httpx.HTTPError:
                    time.sleep(0.05)  # no answer (the server is down, or we gave up): try again, same key
                    continue
                if r.status_code == 201:
                    acked[f"{tag}-{i}"] = r.json()["incident"]["id"]
                    if r.headers.get("idempotent-replayed") == "true":
                        replays.append(f"{tag}-{i}")
                else:
                    failures.append(r.text)
                break


@pytest.mark.parametrize("seed", [3])
def test_retried_creates_through_a_kill_make_one_incident_each(tmp_path, seed):
    db = tmp_path / "record.db"
    key = create_key(db, "dispatcher", "retry-test")
    srv = ServiceProcess(db, log_path=tmp_path / "server.log").start()
    acked: dict[str, int] = {}
    replays: list[str] = []
    failures: list[str] = []
    stop = threading.Event()
    per_client = 60
    threads = [threading.Thread(target=_retrying_creates, args=(srv.url, key, f"c{k}", per_client, stop, acked,
                                                                replays, failures)) for k in range(4)]
    again = None
    try:
        for t in threads:
            t.start()
        deadline = time.monotonic() + 60
        while len(acked) < 20 and time.monotonic() < deadline:  # some creates are through before the kill
            time.sleep(0.05)
        time.sleep(random.Random(seed).uniform(0.0, 0.3))
        srv.kill()
        killed_at = len(acked)
        again = ServiceProcess(db, port=srv.port, log_path=tmp_path / "server2.log").start()  # same address
        for t in threads:
            t.join(timeout=120)
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=30)
        srv.stop()
        if again is not None:
            again.stop()
    assert not failures, failures[:3]
    assert 20 <= killed_at < 4 * per_client and len(acked) == 4 * per_client
    assert len(replays) >= 10  # most of the 48 abandoned first attempts were stored, and answered again
    rec = Record(db)
    try:
        incidents = rec.list_incidents()
        per_tag: dict[str, int] = {}
        for inc in incidents:
            per_tag[inc.notes] = per_tag.get(inc.notes, 0) + 1
        assert per_tag == dict.fromkeys(acked, 1)  # every request stored exactly once, none twice
        assert {inc.id for inc in incidents} == set(acked.values())
        assert rec.integrity_check() == "ok"
    finally:
        rec.close()
