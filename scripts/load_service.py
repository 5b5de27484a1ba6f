"""Load test of ``patrol serve`` as a real shift: a plan, fresh positions, mixed traffic, answers checked.

Starts the service in a child process on loopback on a fresh record, with today's plan (``--plan``, or
one made with ``patrol plan --day tue``) and its clock set inside shift hours (``--clock-start``,
default Tuesday 2026-06-02 14:00 local: every unit on shift, fresh pings give positions), posts a fix
for every ambassador, checks that a ranking has ranked units with routes, then runs bounded phases
(each ``--seconds`` long) from this process over keep-alive HTTP/1.1 connections:

* ``baseline``: ``GET /api/health`` (no key, no record) as fast as the server answers it with
  ``--concurrency`` in flight: this machine's ceiling for a trivial request, measured in the same
  run; the mixed throughput is printed as a ratio of it;
* ``mixed``: a busy day's mix, closed loop (``--concurrency`` in flight, as fast as answered):
  incident creations (geocode, write, rank every unit, routes for the best three), rankings,
  single pings, batches of 20 pings, interactions, console polls (weights in :data:`MIX`);
* ``target``: the same mix open loop, at the target arrival rates (:data:`TARGET_RATES`: 200 incident
  creations/s and 1,000 pings/s, with rankings, batches, interactions and polls beside them);
  latency is measured from each request's scheduled time, so a server that falls behind shows it;
  ``--scale 1.5`` runs it at 1.5 times those rates (the headroom: a busier day, or a slower machine).

Every answer is checked: a non-2xx status, or an incident or ranking answer without a ranked unit
whose route is a line, counts as an error.  Prints per kind: requests, errors, rate, p50/p99 ms, and the
CPU the server spent per request; the load average before and after (a shared machine: run with
``nice`` and say so)::

    nice .venv/bin/python scripts/load_service.py --seconds 10 --concurrency 64 --workers 2

Fault mode (``--kill-after S``): clients create incidents (each with its own ``Idempotency-Key``) and post
keyed single fixes; the server is killed with SIGKILL after ``S`` seconds and restarted on the same record
and port while the clients keep retrying every unanswered request with its key (and ``--impatient``, 5 % by
default, of first attempts are abandoned after 2 ms, as a phone losing its connection would).  Then every acknowledged
write is looked up, and duplicates counted: incidents per key and pings per fix key (exit code 1 if a
write is missing or duplicated).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import orjson
import uvloop

from patrol.dispatch.clock import local_moment
from patrol.district import load_district
from patrol.service.process import ServiceProcess, create_key

#: Targets of issue 15 (mixed, 2 cores): per second.
TARGETS = {"incidents": 200.0, "pings": 1000.0}
#: A busy day's mix, share of requests (closed loop).
MIX = {"pings": 0.62, "incidents": 0.14, "rank": 0.07, "interactions": 0.08, "batch": 0.02, "state": 0.07}
#: Open loop: requests per second per kind (pings counted per fix: batches add 20 each).
TARGET_RATES = {"pings": 900.0, "batch": 5.0, "incidents": 200.0, "rank": 50.0, "interactions": 50.0, "state": 5.0}
BATCH = 20
PLACES = ["Lake & Hennepin", "Lake & Girard", "Lagoon & Hennepin", "Lake & Lyndale", "Lagoon & Girard",
          "W Lake St & Fremont Ave S", "Hennepin & 31st", "Lyndale & 31st", "Lake & Aldrich", "Lagoon & Fremont"]
AMBASSADORS = ["lead", "amb2", "amb3", "amb4", "amb5", "amb6", "amb7", "amb8"]
LOGS = ["information sharing", "business check-in", "safety escort", "hazard reported", "other"]
# the patrol area box of the embedded district (south, north, west, east)
BOX = (44.9465, 44.9521, -93.3051, -93.2812)
SHIFT_DAY, SHIFT_TIME = "2026-06-02", "14:00"  # a Tuesday, inside the 10:00-18:00 shift


def _run(main):
    """Run a coroutine on uvloop (the event loop the server runs on, installed with uvicorn[standard]): the load
    generator shares the machine's cores with the server, and uvloop needs less CPU per request than asyncio's
    own loop."""
    return uvloop.run(main)


def _point(rng: random.Random) -> tuple[float, float]:
    return rng.uniform(BOX[0], BOX[1]), rng.uniform(BOX[2], BOX[3])


def _request(kind: str, rng: random.Random) -> tuple[str, str, dict | None]:
    if kind == "incidents":
        return "POST", "/api/incidents", {"location": rng.choice(PLACES), "type": "disturbance", "source": "camera",
                                          "notes": "load test"}
    if kind == "rank":
        return "POST", "/api/rank", {"location": rng.choice(PLACES)}
    if kind == "pings":
        lat, lon = _point(rng)
        return "POST", f"/api/ambassadors/{rng.choice(AMBASSADORS)}/pings", {"lat": lat, "lon": lon, "accuracy_m": 8}
    if kind == "batch":
        return "POST", "/api/pings", {"pings": [{"ambassador": rng.choice(AMBASSADORS), "lat": p[0], "lon": p[1]}
                                                for p in (_point(rng) for _ in range(BATCH))]}
    if kind == "interactions":
        lat, lon = _point(rng)
        return "POST", f"/api/ambassadors/{rng.choice(AMBASSADORS)}/interactions", {
            "type": rng.choice(LOGS), "lat": lat, "lon": lon, "business": "Magers & Quinn"}
    if kind == "state":
        return "GET", "/api/state", None
    if kind == "baseline":
        return "GET", "/api/health", None
    raise ValueError(kind)


def ranked_with_route(ranking: dict | None) -> bool:
    """Whether a ranking answer names a ranked unit whose route is a line of at least two points."""
    ranked = [c for c in (ranking or {}).get("candidates", []) if c.get("rank")]
    if not ranked:
        return False
    route = ranked[0].get("route") or {}
    geom = route.get("geometry") or {}
    return geom.get("type") == "LineString" and len(geom.get("coordinates") or []) >= 2


def _answer_ok(kind: str, status: int, data: bytes) -> bool:
    if status not in (200, 201):
        return False
    if kind == "incidents":
        return ranked_with_route(orjson.loads(data).get("ranking"))
    if kind == "rank":
        return ranked_with_route(orjson.loads(data))
    if kind == "batch":
        return orjson.loads(data)["count"] == BATCH
    return True


class _Client(asyncio.Protocol):
    """One keep-alive HTTP/1.1 connection's protocol: a request written, its response cut from the bytes received
    (status line, headers, ``Content-Length`` body) with no stream reader in between."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buf = bytearray()
        self.fut: asyncio.Future | None = None
        self.closed = False

    def connection_made(self, transport) -> None:
        self.transport = transport

    def request(self, message: bytes) -> asyncio.Future:
        self.fut = asyncio.get_running_loop().create_future()
        assert self.transport is not None
        self.transport.write(message)
        return self.fut

    def data_received(self, data: bytes) -> None:
        self.buf += data
        fut = self.fut
        if fut is None or fut.done():
            return
        end = self.buf.find(b"\r\n\r\n")
        if end < 0:
            return
        head = bytes(self.buf[:end]).decode("latin-1").split("\r\n")
        got = {}
        for line in head[1:]:
            name, _, value = line.partition(":")
            got[name.strip().lower()] = value.strip()
        if "content-length" not in got:
            fut.set_exception(ConnectionError(f"a response without Content-Length: {head[0]!r}"))
            return
        total = end + 4 + int(got["content-length"])
        if len(self.buf) < total:
            return
        body = bytes(self.buf[end + 4:total])
        del self.buf[:total]
        self.fut = None
        fut.set_result((int(head[0].split()[1]), got, body))

    def connection_lost(self, exc) -> None:
        self.closed = True
        if self.fut is not None and not self.fut.done():
            self.fut.set_exception(ConnectionError(f"connection closed by the server ({exc})"))


class _Conn:
    """A minimal HTTP/1.1 keep-alive client connection (the load generator must cost less than the server).

    httpx spends 3-5 ms of CPU per request here, more than the service; this writes a prepared request and cuts
    the response from the bytes received (:class:`_Client`); with orjson for the checks, 0.20 ms of client CPU per
    request in the target mix, against 0.29 ms with a stream reader and the standard library's json.
    """

    def __init__(self, host: str, port: int, key: str):
        self.host, self.port = host, port
        self.head = f"Host: {host}:{port}\r\nAuthorization: Bearer {key}\r\n"
        self.proto: _Client | None = None

    async def send(self, method: str, path: str, body: dict | None, headers: dict | None = None
                   ) -> tuple[int, dict[str, str], bytes]:
        if self.proto is None or self.proto.closed:
            _, self.proto = await asyncio.get_running_loop().create_connection(_Client, self.host, self.port)
        data = b"" if body is None else orjson.dumps(body)
        extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
        ctype = "Content-Type: application/json\r\n" if body is not None else ""
        try:
            return await self.proto.request(
                f"{method} {path} HTTP/1.1\r\n{self.head}{ctype}{extra}Content-Length: {len(data)}\r\n\r\n".encode()
                + data)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        if self.proto is not None and self.proto.transport is not None:
            self.proto.transport.close()
        self.proto = None


class _Tally:
    """Latencies and errors per kind."""

    def __init__(self) -> None:
        self.lat: dict[str, list[float]] = defaultdict(list)
        self.err: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))

    def ok(self, kind: str, seconds: float) -> None:
        self.lat[kind].append(seconds)

    def error(self, kind: str, what: str) -> None:
        self.err[kind][what] += 1

    def rows(self, elapsed: float) -> list[dict]:
        out = []
        for kind in sorted(set(self.lat) | set(self.err)):
            lat = sorted(self.lat.get(kind, []))
            per = BATCH if kind == "batch" else 1
            out.append({"kind": kind, "ok": len(lat), "errors": sum(self.err[kind].values()),
                        "error_kinds": dict(self.err[kind]), "per_s": round(len(lat) / elapsed, 1),
                        "items_per_s": round(len(lat) * per / elapsed, 1),
                        "p50_ms": round(statistics.median(lat) * 1000, 1) if lat else None,
                        "p99_ms": round(lat[min(len(lat) - 1, int(0.99 * len(lat)))] * 1000, 1) if lat else None})
        return out


async def _one(conn: _Conn, kind: str, rng: random.Random, tally: _Tally, t0: float) -> None:
    method, path, body = _request(kind, rng)
    try:
        status, _, data = await conn.send(method, path, body)
    except (OSError, ConnectionError, asyncio.IncompleteReadError) as exc:
        tally.error(kind, type(exc).__name__)
        return
    if _answer_ok(kind, status, data):
        tally.ok(kind, time.perf_counter() - t0)
    else:
        tally.error(kind, str(status) if status not in (200, 201) else "answer without a ranked unit and route")


async def closed_loop(url: str, key: str, mix: dict[str, float], *, seconds: float, concurrency: int,
                      seed: int) -> tuple[_Tally, float]:
    """``concurrency`` connections sending as fast as answered, kinds drawn from ``mix``."""
    host, port = url.split("//", 1)[1].rsplit(":", 1)
    tally = _Tally()
    kinds, weights = list(mix), list(mix.values())
    deadline = time.perf_counter() + seconds

    async def worker(k: int) -> None:
        rng = random.Random(seed * 1000 + k)
        conn = _Conn(host, int(port), key)
        try:
            while time.perf_counter() < deadline:
                await _one(conn, rng.choices(kinds, weights)[0], rng, tally, time.perf_counter())
        finally:
            conn.close()

    t0 = time.perf_counter()
    await asyncio.gather(*(worker(k) for k in range(concurrency)))
    return tally, time.perf_counter() - t0


async def open_loop(url: str, key: str, rates: dict[str, float], *, seconds: float, connections: int,
                    seed: int) -> tuple[_Tally, float]:
    """Requests at fixed arrival rates (evenly spaced, seeded phase); latency from the scheduled time."""
    host, port = url.split("//", 1)[1].rsplit(":", 1)
    rng = random.Random(seed)
    schedule = sorted((rng.random() / r + i / r, kind) for kind, r in rates.items() for i in range(int(r * seconds)))
    queue: asyncio.Queue = asyncio.Queue()
    tally = _Tally()

    async def feeder(start: float) -> None:
        for t, kind in schedule:
            delay = start + t - time.perf_counter()
            if delay > 0:  # woken at most every 2 ms (each request's wait from its scheduled time counts)
                await asyncio.sleep(max(delay, 0.002))
            queue.put_nowait((start + t, kind))
        for _ in range(connections):
            queue.put_nowait(None)

    async def worker(k: int) -> None:
        wrng = random.Random(seed * 1000 + k)
        conn = _Conn(host, int(port), key)
        try:
            while (item := await queue.get()) is not None:
                await _one(conn, item[1], wrng, tally, item[0])
        finally:
            conn.close()

    start = time.perf_counter() + 0.2
    await asyncio.gather(feeder(start), *(worker(k) for k in range(connections)))
    return tally, time.perf_counter() - start


def _server_cpu(srv: ServiceProcess | None) -> float | None:
    """CPU seconds used so far by the started service and its worker processes (``None`` without psutil)."""
    if srv is None or srv.proc is None:
        return None
    try:
        import psutil
    except ImportError:
        return None
    procs = [psutil.Process(srv.proc.pid)]
    procs += procs[0].children(recursive=True)
    total = 0.0
    for p in procs:
        try:
            t = p.cpu_times()
            total += t.user + t.system
        except psutil.NoSuchProcess:
            pass
    return total


def _plan(args: argparse.Namespace, folder: Path) -> str:
    if args.plan:
        return args.plan
    out = folder / "plan"
    subprocess.run([sys.executable, "-m", "patrol", "plan", "--day", "tue", "--out", str(out)], check=True,
                   capture_output=True)
    return str(out / "plan.json")


def _clock_start(args: argparse.Namespace) -> str:
    if args.clock_start:
        return args.clock_start
    tz = load_district().settings.district.timezone
    return local_moment(SHIFT_TIME, tz, on=SHIFT_DAY).strftime("%Y-%m-%dT%H:%M:%SZ")


async def _warm_up(url: str, key: str, seed: int) -> dict:
    """A fresh fix for every ambassador; then a ranking must name ranked units with routes from pings."""
    host, port = url.split("//", 1)[1].rsplit(":", 1)
    conn = _Conn(host, int(port), key)
    rng = random.Random(seed)
    try:
        for name in AMBASSADORS:
            lat, lon = _point(rng)
            status, _, data = await conn.send("POST", f"/api/ambassadors/{name}/pings", {"lat": lat, "lon": lon})
            if status != 201:
                raise SystemExit(f"warm-up ping refused: {status} {data[:300]!r}")
        status, _, data = await conn.send("POST", "/api/rank", {"location": "Lake & Hennepin"})
        ranking = json.loads(data)
    finally:
        conn.close()
    ranked = [c for c in ranking["candidates"] if c.get("rank")]
    if not ranked_with_route(ranking) or any(c["position_source"] != "ping" for c in ranked):
        raise SystemExit(f"the service does not rank units from fresh pings: {ranking.get('message')!r}")
    return {"moment": ranking["moment"], "ranked": len(ranked), "with_route": sum(bool(c["route"]) for c in ranked)}


async def _encoders(url: str, key: str, repeat: int = 300) -> dict:
    """The service's JSON encoder (orjson, :mod:`patrol.service.jsonbody`) against the standard library's (what
    Starlette's ``JSONResponse`` uses), on a real ranking answer fetched from the service: ms per answer."""
    from starlette.responses import JSONResponse

    from patrol.service.jsonbody import dumps

    host, port = url.split("//", 1)[1].rsplit(":", 1)
    conn = _Conn(host, int(port), key)
    try:
        status, _, data = await conn.send("POST", "/api/rank", {"location": "Lake & Hennepin"})
    finally:
        conn.close()
    answer = json.loads(data)
    if status != 200 or not ranked_with_route(answer):
        raise SystemExit(f"no ranking to encode: {status} {data[:200]!r}")
    stdlib = JSONResponse(answer)  # the library's own rendering
    if json.loads(dumps(answer)) != json.loads(stdlib.body):
        raise SystemExit("orjson and the standard library encode the ranking differently")
    out = {"bytes": len(stdlib.body)}
    for name, encode in (("stdlib json (JSONResponse.render)", stdlib.render), ("orjson (JSONBody)", dumps)):
        t0 = time.process_time()
        for _ in range(repeat):
            encode(answer)
        out[name] = round((time.process_time() - t0) * 1000 / repeat, 4)
    return out


def run_load(args: argparse.Namespace) -> int:
    folder = Path(tempfile.mkdtemp(prefix="patrol-load-"))
    db = args.db or str(folder / "load.db")
    key = create_key(db, "dispatcher", "load-test")
    plan = _plan(args, folder)
    load_before = os.getloadavg()
    srv = ServiceProcess(db, extra=["--workers", str(args.workers), "--plan", plan, "--clock-start",
                                    _clock_start(args)], log_path=folder / "server.log").start()
    results: dict[str, dict] = {}
    encoders = None
    try:
        warm = _run(_warm_up(srv.url, key, args.seed))
        for phase in [p.strip() for p in args.phases.split(",") if p.strip()]:
            cpu0, own0 = _server_cpu(srv), time.process_time()
            if phase == "baseline":
                tally, elapsed = _run(closed_loop(srv.url, key, {"baseline": 1.0}, seconds=args.seconds,
                                                         concurrency=args.concurrency, seed=args.seed))
            elif phase == "mixed":
                tally, elapsed = _run(closed_loop(srv.url, key, MIX, seconds=args.seconds,
                                                         concurrency=args.concurrency, seed=args.seed + 1))
            elif phase == "target":
                rates = {k: v * args.scale for k, v in TARGET_RATES.items()}
                tally, elapsed = _run(open_loop(srv.url, key, rates, seconds=args.seconds,
                                                       connections=args.connections, seed=args.seed + 2))
            elif phase in MIX:  # one kind alone, closed loop (to compare with the figures of issue 7)
                tally, elapsed = _run(closed_loop(srv.url, key, {phase: 1.0}, seconds=args.seconds,
                                                         concurrency=args.concurrency, seed=args.seed + 3))
            else:
                raise SystemExit(f"unknown phase {phase!r} (baseline, mixed, target, or one of {', '.join(MIX)})")
            cpu1, own1 = _server_cpu(srv), time.process_time()
            rows = tally.rows(elapsed)
            n = sum(r["ok"] + r["errors"] for r in rows)
            lat = sorted(x for v in tally.lat.values() for x in v)
            results[phase] = {
                "seconds": round(elapsed, 2), "requests": n, "errors": sum(r["errors"] for r in rows),
                "per_s": round(n / elapsed, 1), "kinds": rows,
                "p99_ms": round(lat[min(len(lat) - 1, int(0.99 * len(lat)))] * 1000, 1) if lat else None,
                "server_cpu_ms_per_request": None if cpu0 is None else round((cpu1 - cpu0) * 1000 / max(n, 1), 3),
                "server_cpu_s_per_s": None if cpu0 is None else round((cpu1 - cpu0) / elapsed, 2),
                "client_cpu_ms_per_request": round((own1 - own0) * 1000 / max(n, 1), 3)}
        encoders = _run(_encoders(srv.url, key)) if args.encoders else None
    finally:
        srv.stop()
    load_after = os.getloadavg()
    machine = {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
               "workers": args.workers, "concurrency": args.concurrency, "connections": args.connections,
               "scale": args.scale,
               "load_before": [round(x, 2) for x in load_before], "load_after": [round(x, 2) for x in load_after],
               "niceness": os.nice(0)}
    need = budget(results)
    if args.json:
        print(json.dumps({"machine": machine, "warm_up": warm, "results": results, "budget": need,
                          "encoders": encoders}, indent=2))
        return 0
    _print(machine, warm, results, need, encoders)
    return 0


def budget(results: dict) -> dict | None:
    """The server CPU the target rates need, from each kind's CPU per request measured alone in this run.

    For every kind of :data:`TARGET_RATES` run as a phase of its own (closed loop): server CPU ms per request
    (a batch: per request of 20 fixes) times its target rate; their sum is the CPU-seconds per second the
    server needs at the targets, to compare with the machine's cores (the load generator needs its own share:
    its CPU ms per request is printed too).  ``None`` when no such phase ran.
    """
    kinds = {k: results[k] for k in TARGET_RATES if k in results and results[k]["server_cpu_ms_per_request"]}
    if not kinds:
        return None
    rows = {k: {"server_cpu_ms": r["server_cpu_ms_per_request"], "client_cpu_ms": r["client_cpu_ms_per_request"],
                "target_per_s": TARGET_RATES[k],
                "server_cpu_s_per_s": round(r["server_cpu_ms_per_request"] * TARGET_RATES[k] / 1000, 3)}
            for k, r in kinds.items()}
    return {"kinds": rows, "missing": [k for k in TARGET_RATES if k not in kinds],
            "server_cpu_s_per_s": round(sum(r["server_cpu_s_per_s"] for r in rows.values()), 2),
            "client_cpu_s_per_s": round(sum(r["client_cpu_ms"] * r["target_per_s"] / 1000 for r in rows.values()), 2),
            "cores": os.cpu_count()}


def _print(machine: dict, warm: dict, results: dict, need: dict | None = None, encoders: dict | None = None
           ) -> None:
    print(f"machine: {machine['cpus']} cpus, Python {machine['python']}, {machine['platform']}, nice "
          f"{machine['niceness']}; load average before {machine['load_before']}, after {machine['load_after']}")
    print(f"service: {machine['workers']} worker(s), a plan, clock at {warm['moment']} (shift hours); "
          f"warm-up ranking: {warm['ranked']} ranked units, {warm['with_route']} with routes")
    base = results.get("baseline")
    for phase, res in results.items():
        how = (f"closed loop, {machine['concurrency']} in flight" if phase != "target" else
               f"open loop at {rates_of(machine['scale'])}, {machine['connections']} connections")
        print(f"\n{phase} ({how}): {res['requests']} requests in {res['seconds']} s = {res['per_s']}/s, "
              f"{res['errors']} errors, p99 {res['p99_ms']} ms, "
              f"server CPU {res['server_cpu_ms_per_request']} ms/request ({res['server_cpu_s_per_s']} CPU-s/s), "
              f"load generator {res['client_cpu_ms_per_request']} ms/request")
        print(f"  {'kind':<13}{'ok':>8}{'errors':>8}{'req/s':>9}{'items/s':>9}{'target/s':>10}{'ratio':>7}"
              f"{'p50 ms':>9}{'p99 ms':>9}")
        for r in res["kinds"]:
            target = TARGETS.get(r["kind"]) if phase != "baseline" else None
            items = r["items_per_s"]
            if r["kind"] == "pings":  # batches carry pings too
                items += next((b["items_per_s"] for b in res["kinds"] if b["kind"] == "batch"), 0.0)
            ratio = f"{items / target:.2f}" if target else ""
            print(f"  {r['kind']:<13}{r['ok']:>8}{r['errors']:>8}{r['per_s']:>9}{round(items, 1):>9}"
                  f"{target or '':>10}{ratio:>7}{r['p50_ms']!s:>9}{r['p99_ms']!s:>9}"
                  + (f"  {r['error_kinds']}" if r["errors"] else ""))
        if base and phase != "baseline":
            print(f"  vs baseline (GET /api/health, same run): {res['per_s'] / base['per_s']:.2f} of its "
                  f"{base['per_s']}/s; p99 x{res['p99_ms'] / base['p99_ms']:.1f}" if base["p99_ms"] else "")
    if need is not None:
        print("\nserver CPU the target rates need, from each kind measured alone above (ms per request x target/s):")
        for k, r in need["kinds"].items():
            print(f"  {k:<13}{r['server_cpu_ms']:>8.3f} ms x {r['target_per_s']:>6.0f}/s = "
                  f"{r['server_cpu_s_per_s']:.3f} CPU-s/s   (client {r['client_cpu_ms']:.3f} ms/request)")
        missing = f"; not measured: {', '.join(need['missing'])}" if need["missing"] else ""
        print(f"  total: server {need['server_cpu_s_per_s']} + load generator {need['client_cpu_s_per_s']} CPU-s/s, "
              f"on {need['cores']} cores{missing}")
    if encoders is not None:
        print(f"\nJSON of a ranking answer ({encoders['bytes']} bytes), ms per answer: "
              + ", ".join(f"{k} {v}" for k, v in encoders.items() if k != "bytes"))
    print("\npings/s counts single pings plus the fixes of batches; an answer without a ranked unit and route "
          "counts as an error.  On a shared machine the load average says how much of the 2 cores the run had.")


# ---------------------------------------------------------------------------------------- fault mode
async def _retrying(url: str, key: str, tag: str, n: int, acked: dict, replays: list, retries: list,
                    deadline: float, impatient: float) -> None:
    """Create ``n`` incidents and ``n`` keyed fixes, retrying each unanswered request with its key.

    A share ``impatient`` of first attempts gives up after 2 ms (a phone losing its connection before the
    answer): the server stores them all the same, and the retry must not store them twice.
    """
    host, port = url.split("//", 1)[1].rsplit(":", 1)
    conn = _Conn(host, int(port), key)
    rng = random.Random(tag)
    try:
        for i in range(n):
            lat, lon = _point(rng)
            for kind, method, path, body, headers in (
                    ("incidents", "POST", "/api/incidents", {"location": rng.choice(PLACES), "type": "obstruction",
                                                             "notes": f"{tag}-{i}"}, {"Idempotency-Key": f"{tag}-{i}"}),
                    ("pings", "POST", f"/api/ambassadors/{rng.choice(AMBASSADORS)}/pings",
                     {"lat": lat, "lon": lon, "key": f"{tag}-fix-{i}"}, None)):
                give_up = rng.random() < impatient
                while time.monotonic() < deadline:
                    try:
                        if give_up:
                            give_up = False
                            status, got, data = await asyncio.wait_for(conn.send(method, path, body, headers), 0.002)
                        else:
                            status, got, data = await conn.send(method, path, body, headers)
                    except (OSError, ConnectionError, asyncio.IncompleteReadError, TimeoutError):
                        conn.close()
                        retries.append(f"{kind}:{tag}-{i}")
                        await asyncio.sleep(0.05)  # no answer: the same request again, same key
                        continue
                    if status == 201:
                        out = json.loads(data)
                        if kind == "incidents":
                            acked["incidents"][f"{tag}-{i}"] = out["incident"]["id"]
                            if got.get("idempotent-replayed") == "true":
                                replays.append(f"{tag}-{i}")
                        else:
                            acked["pings"][f"{tag}-fix-{i}"] = out["id"]
                            if out["status"] == "duplicate":
                                replays.append(f"{tag}-fix-{i}")
                    else:
                        acked["errors"].append(f"{status} {data[:200]!r}")
                    break
    finally:
        conn.close()


async def _fault_run(srv: ServiceProcess, key: str, args: argparse.Namespace) -> tuple[dict, list, list]:
    acked: dict = {"incidents": {}, "pings": {}, "errors": []}
    replays: list[str] = []
    retries: list[str] = []
    deadline = time.monotonic() + args.kill_after + 120  # bounded

    async def killer() -> None:
        await asyncio.sleep(args.kill_after)
        srv.kill()
        print(f"killed after {args.kill_after} s: {len(acked['incidents'])} incidents and {len(acked['pings'])} "
              "fixes acknowledged so far; restarting on the same record and port", file=sys.stderr)
        await asyncio.to_thread(ServiceProcess.start, srv)  # same port: the clients keep their address

    await asyncio.gather(killer(), *(_retrying(srv.url, key, f"c{k}", args.fault_requests, acked, replays, retries,
                                               deadline, args.impatient) for k in range(args.concurrency)))
    return acked, replays, retries


def fault(args: argparse.Namespace) -> int:
    """Kill the server mid-run and restart it while clients retry with their keys; count losses and duplicates."""
    from patrol.dispatch import Record

    folder = Path(tempfile.mkdtemp(prefix="patrol-fault-"))
    db = str(folder / "fault.db")
    key = create_key(db, "dispatcher", "fault-test")
    srv = ServiceProcess(db, extra=["--workers", str(args.workers)], log_path=folder / "server.log").start()
    try:
        acked, replays, retries = _run(_fault_run(srv, key, args))
    finally:
        srv.stop()
    rec = Record(db)
    try:
        integrity = rec.integrity_check()
        incidents = rec.list_incidents()
        per_key: dict[str, int] = defaultdict(int)
        for inc in incidents:
            per_key[inc.notes] += 1
        pings = rec.query("SELECT client_key, count(*) AS n FROM pings WHERE client_key IS NOT NULL "
                          "GROUP BY client_key")
    finally:
        rec.close()
    ids = {i.id for i in incidents}
    missing_i = [k for k, v in acked["incidents"].items() if v not in ids]
    dup_i = sum(n - 1 for n in per_key.values())
    dup_p = sum(r["n"] - 1 for r in pings)
    stored_fix = {r["client_key"] for r in pings}
    missing_p = [k for k in acked["pings"] if k not in stored_fix]
    print(f"fault: {args.concurrency} clients x {args.fault_requests} incidents and fixes, SIGKILL after "
          f"{args.kill_after} s and restart ({args.workers} worker(s)): acknowledged {len(acked['incidents'])} "
          f"incidents and {len(acked['pings'])} fixes; {len(set(retries))} requests sent again after no answer "
          f"({args.impatient:.0%} of first attempts abandoned after 2 ms, and the kill), {len(replays)} of them "
          "found already stored and answered from their key; "
          f"missing {len(missing_i)} incidents, {len(missing_p)} fixes; duplicates {dup_i} incidents, "
          f"{dup_p} fixes; errors {len(acked['errors'])}; integrity {integrity}")
    bad = missing_i or missing_p or dup_i or dup_p or acked["errors"] or integrity != "ok"
    return 1 if bad else 0


def rates_of(scale: float) -> str:
    """How the target phase was run, in words.

    Examples
    --------
    >>> rates_of(1.0), rates_of(1.5)
    ('the target rates', '1.5 x the target rates')
    """
    return "the target rates" if scale == 1 else f"{scale:g} x the target rates"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", help="record file for the started service (default: a fresh temporary file)")
    ap.add_argument("--plan", help="the plan.json to serve (default: one made with `patrol plan --day tue`)")
    ap.add_argument("--clock-start", help=f"the service's clock (default {SHIFT_DAY} {SHIFT_TIME} local, shift hours)")
    ap.add_argument("--workers", type=int, default=2, help="uvicorn worker processes of the started service")
    ap.add_argument("--phases", default="baseline,mixed,target",
                    help="comma-separated: baseline, mixed, target, or one kind alone (pings, incidents, rank, "
                         "interactions, batch, state: the CPU budget of the targets is computed from these)")
    ap.add_argument("--seconds", type=float, default=10.0, help="length of each phase (bound)")
    ap.add_argument("--concurrency", type=int, default=64, help="requests in flight (closed loop), fault clients")
    ap.add_argument("--connections", type=int, default=128, help="connections of the open-loop phase")
    ap.add_argument("--scale", type=float, default=1.0,
                    help="the target phase's rates times this (1.5: the mix 50 %% busier; the headroom of a machine)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--json", action="store_true", help="print the results as JSON")
    ap.add_argument("--encoders", action="store_true",
                    help="also time the JSON encoding of a ranking answer: orjson against the standard library")
    ap.add_argument("--kill-after", type=float, metavar="S", help="fault mode: SIGKILL the server after S seconds")
    ap.add_argument("--fault-requests", type=int, default=200, help="fault mode: incidents (and fixes) per client")
    ap.add_argument("--impatient", type=float, default=0.05,
                    help="fault mode: share of first attempts abandoned after 2 ms (a dropped connection)")
    args = ap.parse_args(argv)
    if args.seconds > 120:
        ap.error("keep the run bounded: --seconds <= 120")
    if not 0 < args.scale <= 5:
        ap.error(f"--scale must be above 0 and at most 5 (bounded load), got {args.scale:g}")
    if args.kill_after is not None:
        args.concurrency = min(args.concurrency, 16)
        return fault(args)
    return run_load(args)


if __name__ == "__main__":
    sys.exit(main())
