"""Load test of ``patrol serve`` on loopback: incident creations/s and position pings/s, with errors.

Starts the service in a child process on a fresh record (or uses ``--url`` with ``--key``), then runs
bounded phases (each stops at ``--seconds`` or ``--max-requests``, whichever comes first) from this
process with an async httpx client and ``--concurrency`` requests in flight:

* ``incidents``: ``POST /api/incidents`` at intersections of the district (geocoded, ranked, with
  routes for the best three: the full dispatcher call);
* ``pings``: ``POST /api/ambassadors/{name}/pings``, one fix per request (a phone each);
* ``batch``: ``POST /api/pings`` with ``--batch`` fixes per request (phones uploading buffered fixes).

Prints measured figures beside the targets (200 incident creations/s, 1,000 pings/s, zero errors on
2 cores).  Loopback only; run it with ``nice`` on a shared machine::

    nice .venv/bin/python scripts/load_service.py --seconds 10 --concurrency 64 --workers 2

Fault mode (``--kill-after S``): incidents and pings run together, the server is killed with SIGKILL
after ``S`` seconds, restarted on the same record, and every acknowledged incident and ping is looked
up in it (exit code 1 if one is missing).  ``tests/test_service_fault.py`` does the same in CI.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from patrol.service.process import ServiceProcess, create_key

TARGETS = {"incidents": 200.0, "pings": 1000.0, "batch": 1000.0}
PLACES = ["Lake & Hennepin", "Lake & Girard", "Lagoon & Hennepin", "Lake & Lyndale", "Lagoon & Girard",
          "W Lake St & Fremont Ave S", "Hennepin & 31st", "Lyndale & 31st", "Lake & Aldrich", "Lagoon & Fremont"]
AMBASSADORS = ["lead", "amb2", "amb3", "amb4", "amb5", "amb6", "amb7", "amb8"]
# the patrol area box of the embedded district (south, north, west, east)
BOX = (44.9465, 44.9521, -93.3051, -93.2812)


def _request(kind: str, rng: random.Random, batch: int) -> tuple[str, dict]:
    if kind == "incidents":
        return "/api/incidents", {"location": rng.choice(PLACES), "type": "disturbance", "source": "camera",
                                  "notes": "load test"}
    if kind == "pings":
        return f"/api/ambassadors/{rng.choice(AMBASSADORS)}/pings", {
            "lat": rng.uniform(BOX[0], BOX[1]), "lon": rng.uniform(BOX[2], BOX[3]), "accuracy_m": 10}
    return "/api/pings", {"pings": [{"ambassador": rng.choice(AMBASSADORS), "lat": rng.uniform(BOX[0], BOX[1]),
                                     "lon": rng.uniform(BOX[2], BOX[3])} for _ in range(batch)]}


class _Conn:
    """A minimal HTTP/1.1 keep-alive client connection (the load generator must cost less than the server).

    httpx spends 3-5 ms of CPU per request here, more than the service; this sends a prepared request
    and reads the status line, headers and ``Content-Length`` body.
    """

    def __init__(self, host: str, port: int, key: str):
        self.host, self.port = host, port
        self.head = f"Host: {host}:{port}\r\nAuthorization: Bearer {key}\r\nContent-Type: application/json\r\n"
        self.reader = self.writer = None

    async def post(self, path: str, body: dict) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        data = json.dumps(body).encode()
        self.writer.write(f"POST {path} HTTP/1.1\r\n{self.head}Content-Length: {len(data)}\r\n\r\n".encode() + data)
        try:
            status_line = await self.reader.readline()
            if not status_line:
                raise ConnectionError("connection closed by the server")
            status, length = int(status_line.split()[1]), 0
            while True:
                line = await self.reader.readline()
                if line in (b"\r\n", b""):
                    break
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            return status, await self.reader.readexactly(length)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


async def run_phase(url: str, key: str, kind: str, *, seconds: float, max_requests: int, concurrency: int,
                    batch: int, seed: int, acked: list | None = None) -> dict:
    """Run one bounded phase; return counts, rate and latencies (``acked`` collects acknowledged ids)."""
    rng = random.Random(seed)
    host, port = url.split("//", 1)[1].rsplit(":", 1)
    lat: list[float] = []
    errors: dict[str, int] = {}
    sent = 0
    deadline = time.perf_counter() + seconds

    async def worker():
        nonlocal sent
        conn = _Conn(host, int(port), key)
        try:
            while sent < max_requests and time.perf_counter() < deadline:
                sent += 1
                path, body = _request(kind, rng, batch)
                t0 = time.perf_counter()
                try:
                    status, data = await conn.post(path, body)
                except (OSError, ConnectionError, asyncio.IncompleteReadError) as exc:
                    errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1
                    await asyncio.sleep(0.05)
                    continue
                if status != 201:
                    errors[str(status)] = errors.get(str(status), 0) + 1
                    continue
                lat.append(time.perf_counter() - t0)
                if acked is not None:
                    out = json.loads(data)
                    acked.append((kind, out["incident"]["id"] if kind == "incidents" else out.get("id", out.get("ids"))
                                  ))
        finally:
            conn.close()

    t0 = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - t0
    per = batch if kind == "batch" else 1
    done = len(lat)
    return {"phase": kind, "requests_ok": done, "errors": errors, "error_count": sum(errors.values()),
            "seconds": round(elapsed, 2), "requests_per_s": round(done / elapsed, 1),
            "items_per_s": round(done * per / elapsed, 1), "per_request": per,
            "latency_ms_p50": round(statistics.median(lat) * 1000, 1) if lat else None,
            "latency_ms_p95": round(sorted(lat)[int(0.95 * (len(lat) - 1))] * 1000, 1) if lat else None,
            "target_per_s": TARGETS[kind]}


def _server_cpu(srv) -> float | None:
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


async def _fault_run(srv, key: str, kill_after: float, concurrency: int, seed: int) -> list:
    acked: list = []

    async def killer():
        await asyncio.sleep(kill_after)
        srv.kill()

    await asyncio.gather(killer(), *(run_phase(srv.url, key, kind, seconds=kill_after + 1.0, max_requests=100_000,
                                               concurrency=concurrency // 2, batch=1, seed=seed + i, acked=acked)
                                     for i, kind in enumerate(("incidents", "pings"))))
    return acked


def fault(args, folder: Path) -> int:
    """Kill the server mid-run, restart it, and look up every acknowledged write."""
    from patrol.dispatch import Record

    db = str(folder / "fault.db")
    key = create_key(db, "dispatcher", "fault-test")
    srv = ServiceProcess(db, extra=["--workers", str(args.workers)], log_path=folder / "server.log").start()
    try:
        acked = asyncio.run(_fault_run(srv, key, args.kill_after, args.concurrency, args.seed))
    finally:
        srv.stop()
    incidents = {i for kind, i in acked if kind == "incidents"}
    pings = {i for kind, i in acked if kind == "pings"}
    with ServiceProcess(db, log_path=folder / "server2.log"):  # the restarted service opens the record cleanly
        pass
    rec = Record(db)
    try:
        integrity = rec.integrity_check()
        missing_i = incidents - {i.id for i in rec.list_incidents()}
        missing_p = pings - {p.id for p in rec.pings()}
    finally:
        rec.close()
    print(f"killed after {args.kill_after} s: acknowledged {len(incidents)} incidents and {len(pings)} pings; "
          f"missing after restart: {len(missing_i)} incidents, {len(missing_p)} pings; integrity {integrity}")
    return 1 if missing_i or missing_p or integrity != "ok" else 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--url", help="use a running service (loopback) instead of starting one")
    ap.add_argument("--key", help="dispatcher key for --url")
    ap.add_argument("--db", help="record file for the started service (default: a fresh temporary file)")
    ap.add_argument("--workers", type=int, default=1, help="uvicorn worker processes of the started service")
    ap.add_argument("--phases", default="incidents,pings,batch", help="comma-separated: incidents, pings, batch")
    ap.add_argument("--seconds", type=float, default=10.0, help="length of each phase (bound)")
    ap.add_argument("--max-requests", type=int, default=50_000, help="requests per phase (bound)")
    ap.add_argument("--concurrency", type=int, default=64, help="requests in flight")
    ap.add_argument("--batch", type=int, default=50, help="pings per request in the batch phase")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--json", action="store_true", help="print the results as JSON")
    ap.add_argument("--kill-after", type=float, metavar="S", help="fault mode: SIGKILL the server after S seconds")
    args = ap.parse_args(argv)
    if args.url and not args.url.startswith(("http://127.0.0.1", "http://localhost")):
        ap.error("loopback only: --url must be http://127.0.0.1:PORT")
    if args.seconds > 120 or args.max_requests > 1_000_000:
        ap.error("keep the run bounded: --seconds <= 120, --max-requests <= 1,000,000")

    if args.kill_after is not None:
        if args.url:
            ap.error("--kill-after starts its own server: leave out --url")
        return fault(args, Path(tempfile.mkdtemp(prefix="patrol-fault-")))

    srv = None
    url, key = args.url, args.key
    if url is None:
        folder = Path(tempfile.mkdtemp(prefix="patrol-load-"))
        db = args.db or str(folder / "load.db")
        key = create_key(db, "dispatcher", "load-test")
        srv = ServiceProcess(db, extra=["--workers", str(args.workers)], log_path=folder / "server.log").start()
        url = srv.url
    results = []
    try:
        for i, kind in enumerate(p.strip() for p in args.phases.split(",") if p.strip()):
            if kind not in TARGETS:
                ap.error(f"unknown phase {kind!r}")
            server0, client0 = _server_cpu(srv), time.process_time()
            r = asyncio.run(run_phase(url, key, kind, seconds=args.seconds, max_requests=args.max_requests,
                                      concurrency=args.concurrency, batch=args.batch, seed=args.seed + i))
            n = max(r["requests_ok"] + r["error_count"], 1)
            server1 = _server_cpu(srv)
            r["server_cpu_ms_per_request"] = None if server0 is None else round((server1 - server0) * 1000 / n, 3)
            r["client_cpu_ms_per_request"] = round((time.process_time() - client0) * 1000 / n, 3)
            results.append(r)
    finally:
        if srv is not None:
            srv.stop()
    machine = {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
               "workers": args.workers, "concurrency": args.concurrency, "load": os.getloadavg()}
    if args.json:
        print(json.dumps({"machine": machine, "results": results}, indent=2))
        return 0
    print(f"machine: {machine['cpus']} cpus, Python {machine['python']}, {machine['platform']}; "
          f"load average {', '.join(f'{x:.1f}' for x in machine['load'])}")
    print(f"service: {args.workers} worker(s); client: this process, {args.concurrency} in flight")
    print(f"{'phase':<10} {'ok req':>8} {'errors':>7} {'req/s':>8} {'items/s':>9} {'target/s':>9} {'p50 ms':>7} "
          f"{'p95 ms':>7} {'srv cpu ms/req':>15} {'client cpu ms/req':>18}")
    for r in results:
        print(f"{r['phase']:<10} {r['requests_ok']:>8} {r['error_count']:>7} {r['requests_per_s']:>8} "
              f"{r['items_per_s']:>9} {r['target_per_s']:>9.0f} {r['latency_ms_p50']!s:>7} {r['latency_ms_p95']!s:>7}"
              f" {r['server_cpu_ms_per_request']!s:>15} {r['client_cpu_ms_per_request']!s:>18}"
              + (f"  errors: {r['errors']}" if r["errors"] else ""))
    print("CPU per request is what the figures on 2 dedicated cores follow from: a shared machine's other "
          "processes take the rest (see the load average).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
