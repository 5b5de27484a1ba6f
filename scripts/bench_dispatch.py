"""Benchmark the dispatch engine and the incident record (run with ``nice``).

Measures, in one run, against baselines measured in the same run:

1. Uptown, warm: ranking latency for random incident points with 8 pinged ambassadors
   (``rank_units``: one Numba Dijkstra + O(1) ETAs + 3 routes), and the whole desk query
   (``Desk.rank``: geocoding, duty status and pings from an in-memory record, ranking).
   Baseline: networkx single-source Dijkstra from the incident block's two ends per query.
2. A synthetic city grid (>= 20,000 nodes, 100 ambassadors): ``rank_units`` vs the same baseline.
3. The record on a file with WAL + synchronous=FULL: incident writes per second (one transaction
   each, audit rows included), single pings and batched pings per second; baseline: bare
   one-row INSERT+COMMIT transactions on a file with the same settings (the disk's fsync ceiling).

Latency percentiles are wall-clock (``perf_counter``); on a shared machine the p99 includes the
scheduler's preemptions, so the thread CPU-time p99 is printed too.

Usage::

    nice .venv/bin/python scripts/bench_dispatch.py [--quick] [--grid 142] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import sqlite3
import tempfile
import time
from pathlib import Path

import networkx as nx
import numpy as np

from patrol.arrays import graph_arrays
from patrol.dispatch import Desk, Network, Record, Unit, rank_units
from patrol.dispatch.positions import Position
from patrol.district import load_district
from patrol.graph import RawBlock, normalize_graph


def latency_stats(samples_s: list[float]) -> dict:
    """Count, mean, p50, p99 and max of timings in seconds, as milliseconds."""
    a = np.asarray(samples_s) * 1000.0
    return {"n": int(a.size), "mean_ms": float(a.mean()), "p50_ms": float(np.percentile(a, 50)),
            "p99_ms": float(np.percentile(a, 99)), "max_ms": float(a.max())}


def time_calls(fn, n: int) -> tuple[dict, dict]:
    """``n`` calls of ``fn``: wall and thread-CPU :func:`latency_stats`."""
    wall, cpu = [], []
    for _ in range(n):
        c0, t0 = time.thread_time(), time.perf_counter()
        fn()
        wall.append(time.perf_counter() - t0)
        cpu.append(time.thread_time() - c0)
    return latency_stats(wall), latency_stats(cpu)


def _nx_graph(arrays) -> nx.Graph:
    G = nx.Graph()
    G.add_nodes_from(range(arrays.n_nodes))
    for e, (u, v, w) in enumerate(zip(arrays.edge_u.tolist(), arrays.edge_v.tolist(), arrays.edge_length.tolist(),
                                      strict=True)):
        if u != v and (not G.has_edge(u, v) or G[u][v]["weight"] > w):
            G.add_edge(u, v, weight=w, block=e)
    return G


def _nx_rank(G, arrays, block, offset, positions, speed, top=3):
    """Baseline: networkx single-source Dijkstra (distances and paths) from both ends of the incident block."""
    u, v, L = int(arrays.edge_u[block]), int(arrays.edge_v[block]), float(arrays.edge_length[block])
    du, pu = nx.single_source_dijkstra(G, u, weight="weight")
    dv, pv = nx.single_source_dijkstra(G, v, weight="weight")
    out = []
    for name, (b, o) in positions.items():
        bu, bv, bl = int(arrays.edge_u[b]), int(arrays.edge_v[b]), float(arrays.edge_length[b])
        best = abs(o - offset) if b == block else math.inf
        for d_end, dist in ((offset, du), (L - offset, dv)):
            best = min(best, d_end + dist.get(bu, math.inf) + o, d_end + dist.get(bv, math.inf) + bl - o)
        out.append((round(best / speed, 1), name, best))
    out.sort()
    for _, name, _ in out[:top]:
        b = positions[name][0]
        _ = pu.get(int(arrays.edge_u[b])), pv.get(int(arrays.edge_v[b]))
    return out


def bench_uptown(n: int, seed: int) -> dict:
    district = load_district()
    desk = Desk(district, record=Record(":memory:", actor="bench"))
    net = desk.network
    arrays = district.arrays
    rng = np.random.default_rng(seed)
    a = district.settings.area
    when = "2026-06-02T19:05:00Z"  # Tuesday 14:05 in Minneapolis
    for unit in desk.units:
        desk.ping(unit.name, rng.uniform(a.south, a.north), rng.uniform(a.west, a.east), t="2026-06-02T19:03:00Z")
    entries = desk.situation(when)
    speed = district.settings.speeds.response_m_s
    area_blocks = np.flatnonzero(arrays.edge_in_area)
    queries = [(int(b), float(rng.uniform(0, arrays.edge_length[b]))) for b in rng.choice(area_blocks, 64)]
    texts = ["{:.6f},{:.6f}".format(*district.geocoder.point_on_block(b, o)) for b, o in queries]
    # warm up (Numba compile / cache load, geocoder caches)
    for b, o in queries:
        rank_units(net, b, o, entries, speed_m_s=speed)
    for t in texts:
        desk.rank(t, when=when)
    it = iter(range(10**9))

    def engine():
        b, o = queries[next(it) % len(queries)]
        rank_units(net, b, o, entries, speed_m_s=speed)

    def whole():
        desk.rank(texts[next(it) % len(texts)], when=when)

    G = _nx_graph(arrays)
    positions = {e[0].name: (e[3].block, e[3].offset_m) for e in entries}

    def baseline():
        b, o = queries[next(it) % len(queries)]
        _nx_rank(G, arrays, b, o, positions, speed)

    # check the two agree before timing
    for b, o in queries[:16]:
        ours = [(c.ambassador, c.distance_m) for c in rank_units(net, b, o, entries, speed_m_s=speed)]
        ref = _nx_rank(G, arrays, b, o, positions, speed)
        assert all(abs(d - r[2]) < 1e-6 for (_, d), r in zip(ours, ref, strict=True))  # bench self-check
    eng_wall, eng_cpu = time_calls(engine, n)
    desk_wall, desk_cpu = time_calls(whole, n)
    base_wall, _ = time_calls(baseline, max(n // 4, 50))
    return {"nodes": arrays.n_nodes, "blocks": arrays.n_edges, "ambassadors": len(entries),
            "engine": eng_wall, "engine_cpu": eng_cpu, "desk": desk_wall, "desk_cpu": desk_cpu,
            "baseline_networkx": base_wall, "speedup_p50": base_wall["p50_ms"] / eng_wall["p50_ms"],
            "speedup_mean": base_wall["mean_ms"] / eng_wall["mean_ms"]}


def _grid(side: int, spacing_m: float = 100.0):
    lat0, lon0 = 44.90, -93.40
    dlat = spacing_m / 111_320.0
    dlon = spacing_m / (111_320.0 * math.cos(math.radians(lat0)))
    nodes = {r * side + c: (lon0 + c * dlon, lat0 + r * dlat) for r in range(side) for c in range(side)}
    blocks = []
    for r in range(side):
        for c in range(side):
            n = r * side + c
            if c + 1 < side:
                blocks.append(RawBlock(n, n + 1, f"Street {r}", spacing_m))
            if r + 1 < side:
                blocks.append(RawBlock(n, n + side, f"Avenue {c}", spacing_m))
    return normalize_graph(nodes, blocks, name="grid", source="synthetic")


def bench_grid(side: int, n_amb: int, n: int, seed: int) -> dict:
    t0 = time.perf_counter()
    G0 = _grid(side)
    arrays = graph_arrays(G0)
    net = Network.from_graph(G0, arrays)
    build_s = time.perf_counter() - t0
    rng = np.random.default_rng(seed)
    L = arrays.edge_length
    entries = []
    for i in range(n_amb):
        b = int(rng.integers(arrays.n_edges))
        o = float(rng.uniform(0, L[b]))
        lon, lat = net.point_on_block(b, o)
        unit = Unit(f"a{i:03d}", (f"a{i:03d}",))
        entries.append((unit, "on shift", "shift", Position(b, o, lat, lon, "ping", False)))
    queries = [(int(b), float(rng.uniform(0, L[b]))) for b in rng.integers(arrays.n_edges, size=32)]
    speed = 1.4
    for b, o in queries[:3]:
        rank_units(net, b, o, entries, speed_m_s=speed)
    it = iter(range(10**9))

    def engine():
        b, o = queries[next(it) % len(queries)]
        rank_units(net, b, o, entries, speed_m_s=speed)

    G = _nx_graph(arrays)
    positions = {e[0].name: (e[3].block, e[3].offset_m) for e in entries}

    def baseline():
        b, o = queries[next(it) % len(queries)]
        _nx_rank(G, arrays, b, o, positions, speed)

    for b, o in queries[:2]:
        ours = sorted(c.distance_m for c in rank_units(net, b, o, entries, speed_m_s=speed))
        ref = sorted(r[2] for r in _nx_rank(G, arrays, b, o, positions, speed))
        assert np.allclose(ours, ref)  # bench self-check
    eng_wall, eng_cpu = time_calls(engine, n)
    base_wall, _ = time_calls(baseline, max(n // 20, 10))
    return {"nodes": arrays.n_nodes, "blocks": arrays.n_edges, "ambassadors": n_amb, "build_s": build_s,
            "engine": eng_wall, "engine_cpu": eng_cpu, "baseline_networkx": base_wall,
            "speedup_p50": base_wall["p50_ms"] / eng_wall["p50_ms"],
            "speedup_mean": base_wall["mean_ms"] / eng_wall["mean_ms"]}


def bench_record(n: int, folder: Path) -> dict:
    # baseline: the disk's durable-commit ceiling, one tiny row per transaction
    raw = folder / "raw.db"
    conn = sqlite3.connect(raw, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("CREATE TABLE t(a INTEGER)")
    t0 = time.perf_counter()
    for i in range(n):
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO t VALUES (?)", (i,))
        conn.execute("COMMIT")
    raw_rate = n / (time.perf_counter() - t0)
    conn.close()
    rec = Record(folder / "bench.db", actor="bench")
    t0 = time.perf_counter()
    for i in range(n):
        rec.new_incident(type="disturbance", source="phone", location_text=f"Lake & Girard #{i}", lat=44.948,
                         lon=-93.297, block=34, offset_m=0.0, in_area=True, notes="bench")
    inc_rate = n / (time.perf_counter() - t0)
    t0 = time.perf_counter()
    for i in range(n):
        rec.add_ping("amb2", 44.948, -93.297, block=34, offset_m=float(i % 100))
    ping_rate = n / (time.perf_counter() - t0)
    batch = [{"ambassador": f"amb{2 + i % 7}", "lat": 44.948, "lon": -93.297, "block": 34, "offset_m": 1.0}
             for i in range(100)]
    t0 = time.perf_counter()
    for _ in range(max(n // 10, 10)):
        rec.add_pings(batch)
    batch_rate = max(n // 10, 10) * 100 / (time.perf_counter() - t0)
    # concurrent writers (as behind the HTTP service): group commit shares one fsync between them
    import threading

    per = max(n // 16, 10)

    def writer(k):
        for i in range(per):
            rec.new_incident(type="disturbance", source="camera", location_text=f"thread {k} #{i}", notes="bench")

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(16)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    conc_rate = 16 * per / (time.perf_counter() - t0)
    ok = rec.integrity_check()
    rec.close()
    return {"incidents_per_s": inc_rate, "incidents_16_threads_per_s": conc_rate, "pings_single_per_s": ping_rate,
            "pings_batched_100_per_s": batch_rate,
            "baseline_bare_commits_per_s": raw_rate, "incident_vs_bare_commit": inc_rate / raw_rate,
            "integrity": ok, "settings": "journal_mode=WAL, synchronous=FULL, each write durable when its call returns"}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="fewer repetitions")
    ap.add_argument("--grid", type=int, default=142, help="grid side (142 -> 20,164 nodes)")
    ap.add_argument("--ambassadors", type=int, default=100)
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    args = ap.parse_args()
    n = 300 if args.quick else 2000
    machine = {"python": platform.python_version(), "machine": platform.machine(), "cpus": os.cpu_count(),
               "processor": platform.processor() or platform.uname().machine,
               "loadavg": os.getloadavg() if hasattr(os, "getloadavg") else None}
    print(f"machine: {machine}")
    up = bench_uptown(n, args.seed)
    print(f"\nUptown ({up['nodes']} nodes, {up['blocks']} blocks, {up['ambassadors']} ambassadors), warm, n={n}")
    for key in ("engine", "engine_cpu", "desk", "desk_cpu", "baseline_networkx"):
        s = up[key]
        print(f"  {key:<18} mean {s['mean_ms']:.3f} ms  p50 {s['p50_ms']:.3f} ms  p99 {s['p99_ms']:.3f} ms")
    print(f"  speed-up vs networkx: p50 x{up['speedup_p50']:.1f}, mean x{up['speedup_mean']:.1f}")
    gr = bench_grid(args.grid, args.ambassadors, max(n // 4, 100), args.seed)
    print(f"\nGrid ({gr['nodes']} nodes, {gr['blocks']} blocks, {gr['ambassadors']} ambassadors), built in "
          f"{gr['build_s']:.1f} s")
    for key in ("engine", "engine_cpu", "baseline_networkx"):
        s = gr[key]
        print(f"  {key:<18} mean {s['mean_ms']:.3f} ms  p50 {s['p50_ms']:.3f} ms  p99 {s['p99_ms']:.3f} ms")
    print(f"  speed-up vs networkx: p50 x{gr['speedup_p50']:.1f}, mean x{gr['speedup_mean']:.1f}")
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_DIR")) as tmp:
        rc = bench_record(300 if args.quick else 1000, Path(tmp))
    print(f"\nRecord ({rc['settings']})")
    print(f"  incident writes    {rc['incidents_per_s']:.0f} /s (one writer, one after another)")
    print(f"  incident writes    {rc['incidents_16_threads_per_s']:.0f} /s (16 writer threads, group commit)")
    print(f"  single pings       {rc['pings_single_per_s']:.0f} /s")
    print(f"  pings, batch 100   {rc['pings_batched_100_per_s']:.0f} /s")
    print(f"  bare commits       {rc['baseline_bare_commits_per_s']:.0f} /s (baseline; incident/bare = "
          f"{rc['incident_vs_bare_commit']:.2f})")
    if args.json:
        Path(args.json).write_text(json.dumps({"machine": machine, "uptown": up, "grid": gr, "record": rc},
                                              indent=2, default=str))


if __name__ == "__main__":
    main()
