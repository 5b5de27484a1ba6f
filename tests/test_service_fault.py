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
        client = httpx.Client(base_url=again.url, headers={"X-API-Key": key}, timeout=30)
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
