#!/usr/bin/env python
"""Coverage benchmarks: Numba kernels vs their NumPy references, city scale, Monte Carlo days.

Run with ``nice .venv/bin/python scripts/bench_coverage.py [--quick]``.  Prints, from one run:

1. Uptown (8 walkers x 480 one-minute steps): presence and response-field kernels, Numba vs the plain
   NumPy / pure Python reference (speed ratio, results checked equal); the first call's time (compile or
   on-disk cache load) reported apart.  The response field is also timed against SciPy's C Dijkstra.
2. A synthetic city grid (142 x 142 = 20,164 nodes, 100 walkers, 480 steps): positions + presence +
   response field, seconds and peak RSS; the reference on a slice of steps for the ratio.
3. One Uptown scenario (``data/scenarios/uptown-8.toml``) with 100 Monte Carlo days, seconds.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def peak_rss_mb() -> float:
    """Peak resident set size of this process (MB)."""
    r = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return r / 1024.0 if sys.platform != "darwin" else r / 1024.0 / 1024.0


def timed(fn, *args, repeat: int = 1, **kw):
    best = np.inf
    out = None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn(*args, **kw)
        best = min(best, time.perf_counter() - t)
    return best, out


def bench_uptown_kernels(repeat: int) -> None:
    from scipy.sparse.csgraph import dijkstra

    from patrol.coverage import kernels, reference
    from patrol.coverage.presence import block_neighbourhoods, sample_timeline
    from patrol.coverage.strategies import random_walk_timeline
    from patrol.district import load_district

    d = load_district()
    a = d.arrays
    tl = random_walk_timeline(d, 1)
    pos = sample_timeline(tl, 600, 1080)
    nb = block_neighbourhoods(a, 30.0)
    ok = pos.visible()
    print("\n## 1. Uptown kernels (8 walkers x 480 steps, visibility 30 m)")
    print(f"blocks {a.weights.min():.1f}-{a.weights.max():.0f} m (bucket width {a.weights.max() / 64:.1f} m)")
    print(f"{'kernel':<18}{'first call s':>14}{'numba s':>12}{'reference s':>14}{'ratio':>10}")
    cases = {
        "presence_counts": (
            (pos.block, pos.offset, ok, nb.indptr, nb.block, nb.du, nb.dv, a.edge_length, 30.0, a.n_edges)),
        "response_field": (
            (pos.block, pos.offset, ok, a.edge_u, a.edge_v, a.edge_length, a.indptr, a.indices, a.weights, a.n_nodes)),
        "sample_positions": None,
    }
    arr = tl.to_arrays()
    cases["sample_positions"] = (arr["walker"], arr["t0"], arr["t1"], arr["block"], arr["off0"], arr["off1"],
                                 arr["activity"], len(tl.walkers), pos.times)
    for name, args in cases.items():
        first, _ = timed(getattr(kernels, name), *args)
        fast, out = timed(getattr(kernels, name), *args, repeat=repeat)
        slow, ref = timed(getattr(reference, name), *args)
        same = all(np.array_equal(x, y) for x, y in zip(out, ref, strict=True)) if isinstance(out, tuple) \
            else np.array_equal(out, ref)
        print(f"{name:<18}{first:>14.3f}{fast:>12.5f}{slow:>14.3f}{slow / fast:>9.0f}x  equal={same}")
    node_dist = dijkstra(a.scipy_csr(), directed=False)
    args_apsp = (pos.block, pos.offset, ok, a.edge_u, a.edge_v, a.edge_length, node_dist)
    first, _ = timed(kernels.response_field_apsp, *args_apsp)
    fast, out = timed(kernels.response_field_apsp, *args_apsp, repeat=repeat)
    slow, ref = timed(reference.response_field, *cases["response_field"])
    diff = np.nanmax(np.abs(np.where(np.isinf(ref), 0, out.astype(float) - ref)))
    print(f"{'response (APSP)':<18}{first:>14.3f}{fast:>12.5f}{slow:>14.3f}{slow / fast:>9.0f}x  "
          f"max |diff| = {diff:.1e} m (used by scenarios on small districts)")
    # SciPy C baseline for the field: one dijkstra per step from a virtual source
    from scipy.sparse import coo_array

    def scipy_field():
        out = np.empty((pos.n_steps, a.n_nodes))
        base = a.scipy_csr().tocoo()
        for s in range(pos.n_steps):
            sel = (pos.block[s] >= 0) & ok[s]
            b, o = pos.block[s][sel], pos.offset[s][sel]
            n = a.n_nodes
            seed = np.full(n, np.inf)  # virtual source -> block ends (duplicates would be summed: keep the min)
            np.minimum.at(seed, a.edge_u[b], o)
            np.minimum.at(seed, a.edge_v[b], a.edge_length[b] - o)
            hit = np.flatnonzero(np.isfinite(seed))
            rows = np.concatenate([base.row, np.full(hit.size, n)])
            cols = np.concatenate([base.col, hit])
            w = np.concatenate([base.data, np.maximum(seed[hit], 1e-9)])  # scipy drops explicit zeros
            g = coo_array((w, (rows, cols)), shape=(n + 1, n + 1)).tocsr()
            out[s] = dijkstra(g, directed=True, indices=n)[:n]
        return out

    t_scipy, f_scipy = timed(scipy_field)
    fast, f_numba = timed(kernels.response_field, *cases["response_field"], repeat=repeat)
    print(f"{'response vs SciPy':<18}{'':>14}{fast:>12.5f}{t_scipy:>14.3f}{t_scipy / fast:>9.0f}x  "
          f"max |diff| = {np.nanmax(np.abs(np.where(np.isinf(f_numba), 0, f_numba - f_scipy))):.2e} m")


def bench_city(n_side: int, n_walkers: int, ref_steps: int) -> None:
    from patrol.coverage import kernels, reference
    from patrol.coverage.presence import block_neighbourhoods, presence_counts, sample_timeline
    from patrol.coverage.response import response_minutes
    from patrol.coverage.synthetic import grid_arrays, random_walkers

    g = grid_arrays(n_side, spacing_m=100.0, jitter=0.2, seed=1)  # blocks 100-120 m
    t = time.perf_counter()
    tl = random_walkers(g, n_walkers, seed=2)
    t_walks = time.perf_counter() - t
    rss0 = peak_rss_mb()
    print(f"\n## 2. City grid: {g.n_nodes} nodes, {g.n_edges} blocks, {n_walkers} walkers x 480 steps")
    print(f"random walks built in {t_walks:.2f} s (not counted), peak RSS before: {rss0:.0f} MB")
    t0 = time.perf_counter()
    pos = sample_timeline(tl, 600, 1080)
    t1 = time.perf_counter()
    nb = block_neighbourhoods(g, 30.0)
    t2 = time.perf_counter()
    counts = presence_counts(pos, g, nb)
    t3 = time.perf_counter()
    field = response_minutes(pos, g, 1.4)
    t4 = time.perf_counter()
    total = t4 - t0
    print(f"positions {t1 - t0:.2f} s, neighbourhoods {t2 - t1:.2f} s, presence {t3 - t2:.2f} s, "
          f"response field {t4 - t3:.2f} s -> total {total:.2f} s (target < 10 s); peak RSS {peak_rss_mb():.0f} MB")
    print(f"  presence array {counts.nbytes / 1e6:.0f} MB, field array {field.nbytes / 1e6:.0f} MB")
    # references: presence on every step, the (slow) response reference on a slice of steps
    ok = pos.visible()
    sl = slice(0, ref_steps)
    args_p = (pos.block, pos.offset, ok, nb.indptr, nb.block, nb.du, nb.dv, g.edge_length, 30.0, g.n_edges)
    args_r = (pos.block[sl], pos.offset[sl], ok[sl], g.edge_u, g.edge_v, g.edge_length, g.indptr, g.indices,
              g.weights, g.n_nodes)
    for name, args, steps in (("presence_counts", args_p, pos.n_steps), ("response_field", args_r, ref_steps)):
        fast, out = timed(getattr(kernels, name), *args, repeat=3)
        slow, ref = timed(getattr(reference, name), *args)
        print(f"  {name} on {steps} steps: numba {fast:.4f} s, reference {slow:.2f} s, "
              f"ratio {slow / fast:.0f}x, equal={np.array_equal(out, ref)}")


def bench_compile() -> None:
    """Compile time of every kernel, in a fresh process with the on-disk cache off."""
    import subprocess

    code = (
        "import time, numpy as np\n"
        "t = time.perf_counter()\n"
        "from patrol.coverage import kernels\n"
        "from patrol.coverage.synthetic import grid_arrays, random_walkers\n"
        "from patrol.coverage.presence import sample_timeline, block_neighbourhoods, presence_counts\n"
        "from patrol.coverage.response import response_minutes\n"
        "from patrol.paths import node_distances\n"
        "g = grid_arrays(4); tl = random_walkers(g, 2, end_min=610)\n"
        "t0 = time.perf_counter(); pos = sample_timeline(tl, 600, 610)\n"
        "nb = block_neighbourhoods(g, 30.0); presence_counts(pos, g, nb)\n"
        "kernels.revisit_scan(np.zeros((3, 3), np.int16), 2)\n"
        "response_minutes(pos, g, 1.4); response_minutes(pos, g, 1.4, node_dist=node_distances(g))\n"
        "z = np.zeros(0, np.int64); f = np.zeros(0)\n"
        "kernels.dispatch_incidents(z, f, z, f, f, pos.block, pos.offset, pos.visible(), 1.0, np.zeros((0, g.n_nodes)),"
        " g.edge_u, g.edge_v, g.edge_length, 84.0)\n"
        "print(f'{time.perf_counter() - t0:.1f}')\n"
    )
    env = {**os.environ, "PATROL_NUMBA_CACHE": "0"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    print(f"\n## 0. Compile time of all kernels (fresh process, PATROL_NUMBA_CACHE=0): {out.stdout.strip()} s")


def bench_montecarlo(days: int) -> None:
    from patrol.coverage.scenario import load_scenario, run_scenario

    scn = load_scenario(ROOT / "data" / "scenarios" / "uptown-8.toml")
    t = time.perf_counter()
    r = run_scenario(scn, days)
    dt = time.perf_counter() - t
    s = r.summary
    print(f"\n## 3. Monte Carlo: {scn.name}, {days} days in {dt:.1f} s (target < 30 s; includes district load)")
    print(f"  incidents {s['incidents']:.0f}, response mean {s['response_mean_min']:.2f} min "
          f"[{s['response_mean_min_ci'][0]:.2f}, {s['response_mean_min_ci'][1]:.2f}], "
          f"p90 {s['response_p90_min']:.2f}, under 5 min {s['response_share_under_5']:.3f}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smaller grid and fewer days (smoke run)")
    args = ap.parse_args()
    import numba

    print("# bench_coverage")
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
          f"Python {platform.python_version()}, numpy {np.__version__}, numba {numba.__version__}, "
          f"numba threads {numba.get_num_threads()}, PATROL_NUMBA_CACHE={os.environ.get('PATROL_NUMBA_CACHE', '1')}")
    bench_compile()
    bench_uptown_kernels(repeat=3)
    if args.quick:
        bench_city(40, 20, 5)
        bench_montecarlo(20)
    else:
        bench_city(142, 100, 10)
        bench_montecarlo(100)
    print(f"\npeak RSS of the whole run: {peak_rss_mb():.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
