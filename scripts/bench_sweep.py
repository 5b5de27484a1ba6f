"""Benchmark a scenario sweep on a local Dask cluster of N workers against one process (run with ``nice``).

The sweep: Uptown, ``roster.size`` x ``strategy.kind`` (posts, random walk, planned routes), ``--seeds`` Monte
Carlo days each.  Measured in the same run:

* **one process** (the baseline): :func:`patrol.coverage.sweep.run_serial` in a fresh interpreter, cold (imports,
  districts, plans, everything from scratch) then warm (the same sweep again in that process: districts,
  neighbourhoods and plans cached);
* **Dask**: a new ``LocalCluster`` of N single-threaded worker processes on loopback, cold (cluster start,
  worker imports, the client scattering the district, plans made on the workers) then warm (the same sweep
  again on the same cluster).

It prints seconds, the speed-up (one process / Dask) cold and warm, and whether every number agrees: each
scenario's summary as JSON, every seed's incident response times and coverage.  Planned routes are made once per
scenario on a worker; the daily planner is deterministic unless a time limit cuts its search short (possible on a
loaded machine), and then a planned scenario can differ for that reason alone (the script names it).

Usage::

    nice .venv/bin/python scripts/bench_sweep.py [--workers 2] [--seeds 8] [--quick] [--json out.json]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def grid(quick: bool) -> tuple[dict, dict]:
    axes = {"roster.size": [6, 8] if quick else [6, 8, 10],
            "strategy.kind": ["posts", "random_walk"] if quick else ["posts", "random_walk", "planned"]}
    base = {"scenario": {"step_min": 2.0}, "incidents": {"per_shift": 6.0}}
    return axes, base


def digest(results: list) -> dict:
    """Per scenario: a digest of its summary and of every seed's response times and coverage."""
    out = {}
    for r in results:
        h = hashlib.sha256(json.dumps(r.to_dict(), sort_keys=True).encode())
        for s in r.seeds:
            h.update(s.incident_response_min.tobytes())
            h.update(s.coverage_by_step.tobytes())
        out[r.scenario.name] = h.hexdigest()[:16]
    return out


SERIAL = """
import json, sys, time
t0 = time.perf_counter()
from patrol.coverage.sweep import expand_grid, run_serial
sys.path.insert(0, {scripts!r})
from bench_sweep import digest, grid
axes, base = grid({quick!r})
scns = expand_grid(axes, base, name="bench")
t1 = time.perf_counter()
cold = run_serial(scns, {seeds})
t2 = time.perf_counter()
warm = run_serial(scns, {seeds})
t3 = time.perf_counter()
print(json.dumps({{"import_s": t1 - t0, "cold_s": t2 - t0, "warm_s": t3 - t2, "digest": digest(cold),
                  "digest_warm": digest(warm)}}))
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--workers", type=int, default=2, help="local cluster worker processes")
    ap.add_argument("--seeds", type=int, default=8, help="Monte Carlo days per scenario")
    ap.add_argument("--quick", action="store_true", help="a 2 x 2 grid without planned routes")
    ap.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    args = ap.parse_args()
    from dask.distributed import Client, LocalCluster

    from patrol.coverage.sweep import expand_grid, run_sweep

    machine = {"python": platform.python_version(), "cpus": os.cpu_count(), "loadavg_start": os.getloadavg()}
    print(f"machine: {machine}")
    axes, base = grid(args.quick)
    scns = expand_grid(axes, base, name="bench")
    print(f"sweep: {len(scns)} scenarios x {args.seeds} days ({', '.join(f'{k} {v}' for k, v in axes.items())})")
    code = SERIAL.format(scripts=str(ROOT / "scripts"), quick=args.quick, seeds=args.seeds)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    serial = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"\none process: cold {serial['cold_s']:.1f} s (imports {serial['import_s']:.1f} s), warm "
          f"{serial['warm_s']:.1f} s")
    t0 = time.perf_counter()
    cluster = LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True, dashboard_address=None,
                           host="127.0.0.1")
    client = Client(cluster)
    t1 = time.perf_counter()
    cold = run_sweep(scns, args.seeds, client=client)
    t2 = time.perf_counter()
    warm = run_sweep(scns, args.seeds, client=client)
    t3 = time.perf_counter()
    client.close()
    cluster.close()
    dask = {"start_s": t1 - t0, "cold_s": t2 - t0, "warm_s": t3 - t2, "digest": digest(cold),
            "digest_warm": digest(warm)}
    print(f"Dask, {args.workers} workers: cold {dask['cold_s']:.1f} s (cluster start {dask['start_s']:.1f} s), warm "
          f"{dask['warm_s']:.1f} s")
    print(f"speed-up: cold x{serial['cold_s'] / dask['cold_s']:.2f}, warm x{serial['warm_s'] / dask['warm_s']:.2f} "
          f"(ideal x{args.workers})")
    same = {name: serial["digest"][name] == dask["digest"][name] for name in serial["digest"]}
    print(f"identical numbers (every summary, every seed's response times and coverage): "
          f"{sum(same.values())}/{len(same)} scenarios" + ("" if all(same.values()) else
                                                          f"; differ: {[k for k, v in same.items() if not v]}"))
    print(f"warm runs repeat the cold numbers: one process {serial['digest'] == serial['digest_warm']}, "
          f"Dask {dask['digest'] == dask['digest_warm']}")
    machine["loadavg_end"] = os.getloadavg()
    print(f"load average at the end: {machine['loadavg_end']}")
    if args.json:
        Path(args.json).write_text(json.dumps({"machine": machine, "serial": serial, "dask": dask, "same": same,
                                               "workers": args.workers, "seeds": args.seeds,
                                               "scenarios": len(scns)}, indent=2))


if __name__ == "__main__":
    main()
