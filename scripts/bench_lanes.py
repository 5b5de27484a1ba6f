#!/usr/bin/env python
"""The fast lane against FastAPI, in one run: CPU per request of single pings, incident creations, rankings and
logged interactions.

Run with ``nice .venv/bin/python scripts/bench_lanes.py [--requests 2000] [--concurrency 32] [--plan PLAN.json]``.

Builds the service's state once (the embedded Uptown district, Tuesday's plan made by ``patrol plan --day tue``
unless ``--plan`` names one, a fresh record, the clock standing at Tuesday 14:00 local (every unit on shift;
both paths rank the same moment),
a fresh ping for each of the 8 ambassadors) and two apps over it: the service as it runs
(:class:`patrol.service.lanes.FastLane` in front) and the same app without the lane (every request through
FastAPI's routing, dependencies and body parsing: the library's own way).  Each kind of request is sent to
both, in process (raw ASGI calls on one event loop, ``--concurrency`` in flight, so pings are batched as in
the server), alternating which app goes first; every answer is checked (201 for creations and pings, a
ranking with ranked units and routes) and must be the same on both paths.

Prints per kind and path: **cold** (the first request of the kind on that path, CPU ms; the process is fresh
but the state was warmed by start-up as the service is) and **warm** (process CPU ms per request over
``--requests`` requests, the thread pool's work included), and the ratio FastAPI / lane.  The HTTP server
(uvicorn) is not in these figures: ``scripts/load_service.py`` measures the whole service on loopback.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from patrol.dispatch.clock import local_moment
from patrol.district import load_district
from patrol.service.app import build_state, create_app
from patrol.service.config import ServiceConfig

PLACES = ["Lake & Hennepin", "Lake & Girard", "Lagoon & Hennepin", "Lake & Lyndale", "Lagoon & Girard",
          "W Lake St & Fremont Ave S", "Hennepin & 31st", "Lyndale & 31st", "Lake & Aldrich", "Lagoon & Fremont"]
AMBASSADORS = ["lead", "amb2", "amb3", "amb4", "amb5", "amb6", "amb7", "amb8"]
BOX = (44.9465, 44.9521, -93.3051, -93.2812)  # the patrol area of the embedded district (south, north, west, east)
KINDS = ("pings", "incidents", "rank", "interactions")


def _request(kind: str, rng: random.Random) -> tuple[str, dict]:
    if kind == "pings":
        return f"/api/ambassadors/{rng.choice(AMBASSADORS)}/pings", {"lat": rng.uniform(*BOX[:2]),
                                                                     "lon": rng.uniform(*BOX[2:])}
    if kind == "interactions":
        return f"/api/ambassadors/{rng.choice(AMBASSADORS)}/interactions", {
            "type": "information sharing", "lat": rng.uniform(*BOX[:2]), "lon": rng.uniform(*BOX[2:])}
    if kind == "incidents":
        return "/api/incidents", {"location": rng.choice(PLACES), "type": "disturbance", "source": "camera",
                                  "notes": "bench"}
    return "/api/rank", {"location": rng.choice(PLACES)}


async def _post(app, key: str, path: str, body: dict) -> tuple[int, bytes]:
    data = json.dumps(body).encode()
    scope = {"type": "http", "http_version": "1.1", "method": "POST", "path": path, "raw_path": path.encode(),
             "query_string": b"", "scheme": "http", "server": ("127.0.0.1", 80), "client": ("127.0.0.1", 1),
             "root_path": "", "headers": [(b"host", b"bench"), (b"x-api-key", key.encode()),
                                          (b"content-type", b"application/json"),
                                          (b"content-length", str(len(data)).encode())]}
    sent = False
    out: dict = {"body": b""}

    async def receive():
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": data, "more_body": False}
        return {"type": "http.disconnect"}

    async def send(message):
        if message["type"] == "http.response.start":
            out["status"] = message["status"]
        elif message["type"] == "http.response.body":
            out["body"] += message.get("body", b"")

    await app(scope, receive, send)
    return out["status"], out["body"]


def _check(kind: str, status: int, body: bytes) -> None:
    want = 200 if kind == "rank" else 201
    if status != want:
        raise SystemExit(f"{kind}: answered {status}: {body[:300]!r}")
    if kind in ("incidents", "rank"):
        ranking = json.loads(body)
        ranking = ranking.get("ranking", ranking)
        ranked = [c for c in ranking["candidates"] if c.get("rank")]
        if not ranked or not any(c.get("route") for c in ranked):
            raise SystemExit(f"{kind}: a ranking without ranked units and routes: {ranking.get('message')!r}")


async def _run(app, key: str, kind: str, n: int, concurrency: int, seed: int) -> float:
    """Process CPU ms per request over ``n`` requests of ``kind``, ``concurrency`` in flight."""
    rng = random.Random(seed)
    left = n

    async def worker():
        nonlocal left
        while left > 0:
            left -= 1
            path, body = _request(kind, rng)
            _check(kind, *await _post(app, key, path, body))

    t0 = time.process_time()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return (time.process_time() - t0) * 1000 / n


async def _cold(app, key: str, kind: str, seed: int) -> float:
    path, body = _request(kind, random.Random(seed))
    t0 = time.process_time()
    _check(kind, *await _post(app, key, path, body))
    return (time.process_time() - t0) * 1000


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--requests", type=int, default=2000, help="requests per kind and path (warm)")
    ap.add_argument("--concurrency", type=int, default=32)
    ap.add_argument("--plan", help="a plan.json (default: patrol plan --day tue, made here)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="patrol-lanes-"))
    plan = args.plan
    if plan is None:
        subprocess.run([sys.executable, "-m", "patrol", "plan", "--day", "tue", "--out", str(folder / "plan")],
                       check=True, capture_output=True)
        plan = str(folder / "plan" / "plan.json")
    tz = load_district().settings.district.timezone
    now = local_moment("14:00", tz, on="2026-06-02")
    config = ServiceConfig(db_path=str(folder / "bench.db"), plan_path=plan)
    st = build_state(config)
    st.desk.clock = st.record.clock = lambda: now  # the clock stands still: both paths rank the same moment
    key = st.keys.create("dispatcher", name="bench")[0]
    apps = {"lane": create_app(config, service_state=st), "fastapi": create_app(config, service_state=st,
                                                                                 fast_lane=False)}

    async def bench() -> dict:
        rng = random.Random(args.seed)
        for name in AMBASSADORS:  # every unit placed by a fresh ping
            _check("pings", *await _post(apps["fastapi"], key, f"/api/ambassadors/{name}/pings",
                                         {"lat": rng.uniform(*BOX[:2]), "lon": rng.uniform(*BOX[2:])}))
        out: dict = {}
        for i, kind in enumerate(KINDS):
            order = ["lane", "fastapi"] if i % 2 == 0 else ["fastapi", "lane"]
            for path in order:
                out[(kind, path, "cold")] = await _cold(apps[path], key, kind, args.seed)
            for path in order:
                await _run(apps[path], key, kind, min(200, args.requests), args.concurrency, args.seed)  # warm up
                out[(kind, path, "warm")] = await _run(apps[path], key, kind, args.requests, args.concurrency,
                                                       args.seed + 1)
        # the same answer on both paths (a ranking, nothing written)
        for place in PLACES[:3]:
            got = [await _post(apps[p], key, "/api/rank", {"location": place}) for p in ("lane", "fastapi")]
            if got[0] != got[1]:
                raise SystemExit(f"the two paths rank {place!r} differently")
        return out

    out = asyncio.run(bench())
    st.record.close()
    st.keys.close()
    print(f"in process, {args.requests} requests per kind and path, {args.concurrency} in flight; "
          f"process CPU ms per request")
    print(f"  {'kind':<14}{'lane cold':>11}{'FastAPI cold':>14}{'lane warm':>11}{'FastAPI warm':>14}{'ratio':>8}")
    for kind in KINDS:
        lw, fw = out[(kind, "lane", "warm")], out[(kind, "fastapi", "warm")]
        print(f"  {kind:<14}{out[(kind, 'lane', 'cold')]:>11.3f}{out[(kind, 'fastapi', 'cold')]:>14.3f}"
              f"{lw:>11.3f}{fw:>14.3f}{fw / lw:>8.2f}")
    print("ratio = FastAPI warm / lane warm (the CPU the lane saves per request, the HTTP server aside)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
