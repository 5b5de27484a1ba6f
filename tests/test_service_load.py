"""The service's clock override (tests and benchmarks run it inside shift hours) and the load script's day."""

from __future__ import annotations

import json
import subprocess
import sys
import warnings
from datetime import timedelta
from pathlib import Path

import pytest

from patrol.dispatch.clock import OffsetClock, parse_time, utc_now
from patrol.dispatch.record import Record
from patrol.service.app import create_app
from patrol.service.config import ENV_VAR, ServiceConfig

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

ROOT = Path(__file__).resolve().parents[1]
SHIFT = "2026-06-02T19:00:00Z"  # Tuesday 14:00 in Minneapolis: inside the 10:00-18:00 shift


def test_the_clock_override_is_the_service_s_now(tmp_path):
    start = parse_time(SHIFT)
    config = ServiceConfig(db_path=str(tmp_path / "r.db"), clock_offset_s=OffsetClock.starting_at(start).offset_s)
    assert ServiceConfig.from_env({ENV_VAR: config.to_env()}) == config  # worker processes get the same clock
    app = create_app(config)
    token = app.state.patrol.keys.create("dispatcher", name="desk")[0]
    h = {"X-API-Key": token}
    with TestClient(app) as client:
        assert abs(parse_time(client.get("/api/health").json()["time"]) - start) < timedelta(minutes=1)
        client.post("/api/ambassadors/amb3/pings", json={"lat": 44.9485, "lon": -93.2950}, headers=h)
        inc = client.post("/api/incidents", json={"location": "Lake & Hennepin", "type": "other"}, headers=h).json()
        assert abs(parse_time(inc["incident"]["received_at"]) - start) < timedelta(minutes=1)
        ranked = [c for c in inc["ranking"]["candidates"] if c["rank"]]
        # inside shift hours every unit of the roster is on shift; the pinged one is ranked from its fix
        assert [c["ambassador"] for c in ranked] == ["amb3"] and ranked[0]["position_source"] == "ping"
        assert ranked[0]["route"]["geometry"]["type"] == "LineString"
        units = client.get("/api/ambassadors", headers=h).json()["units"]
        assert {u["status"] for u in units} == {"on shift"}
        # fix times are judged by the service's clock: an hour before it is fine (though months old by the real
        # clock), two hours after it is refused
        assert utc_now() - start > timedelta(days=8)
        for hours, status in ((-1, 201), (2, 422)):
            t = (start + timedelta(hours=hours)).isoformat()
            r = client.post("/api/ambassadors/amb3/pings", json={"lat": 44.9485, "lon": -93.295, "t": t}, headers=h)
            assert r.status_code == status, r.text
        assert "ahead" in r.json()["error"]["message"]
    rec = Record(tmp_path / "r.db")
    assert all(abs(parse_time(p.t) - start) < timedelta(minutes=61) for p in rec.pings())
    rec.close()


@pytest.mark.slow
def test_the_load_script_runs_a_day_with_ranked_answers(tmp_path):
    r = subprocess.run([sys.executable, str(ROOT / "scripts" / "load_service.py"), "--seconds", "1.5", "--workers",
                        "1", "--concurrency", "8", "--connections", "16", "--phases", "mixed,incidents,target",
                        "--scale", "0.2", "--encoders", "--json"],
                       capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert r.returncode == 0, r.stderr[-3000:]
    out = json.loads(r.stdout)
    assert out["warm_up"]["ranked"] == 8 and out["warm_up"]["with_route"] == 3
    mixed = out["results"]["mixed"]
    kinds = {k["kind"]: k for k in mixed["kinds"]}
    assert mixed["errors"] == 0
    assert kinds["incidents"]["ok"] > 0 and kinds["rank"]["ok"] > 0 and kinds["pings"]["ok"] > 0
    # the CPU budget of the target rates is computed from the kinds measured alone: here incident creations
    need = out["budget"]
    assert set(need["kinds"]) == {"incidents"} and "pings" in need["missing"]
    inc = need["kinds"]["incidents"]
    assert inc["server_cpu_s_per_s"] == pytest.approx(inc["server_cpu_ms"] * 200 / 1000, abs=1e-3)
    # the target phase at a fifth of the rates (900 single pings, 5 batches, 200 incident creations, 50
    # rankings, 50 interactions, 5 polls a second) for 1.5 s: each kind's count of scheduled requests
    target = {k["kind"]: k["ok"] + k["errors"] for k in out["results"]["target"]["kinds"]}
    assert target == {"pings": 270, "batch": 1, "incidents": 60, "rank": 15, "interactions": 15, "state": 1}
    assert out["machine"]["scale"] == 0.2 and out["results"]["target"]["errors"] == 0
    # both encoders timed on a real ranking answer (the script checks they give the same JSON)
    assert out["encoders"]["bytes"] > 1000 and set(out["encoders"]) == {
        "bytes", "stdlib json (JSONResponse.render)", "orjson (JSONBody)"}
