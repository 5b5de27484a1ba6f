#!/usr/bin/env python
"""Benchmark the routing core (min-max k-Chinese-postman) on the gdb instances and the Uptown district.

Runs every ``gdb*.dat`` of ``../shared/bench/mmkcpp/`` (relative to the repository) for k = 2, 3, 5 with a
10 s limit per solve, validates every result, and prints a table with the gap to our lower bound and the
ratio to the HGS-CARP reference (``reference_hgs_carp.csv``), the mean of each column, the targets of issue 3,
then the Uptown case (167 blocks, corridor walked 3 times, k = 8 from the base).

Usage::

    nice python scripts/bench_mmkcpp.py [--time-limit 10] [--k 2 3 5] [--seed 0] [--json out.json]
"""

from __future__ import annotations

import argparse
import csv
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from patrol.routing import solve_coverage, validate_solution  # noqa: E402
from patrol.routing.bench import bench_instance, format_table  # noqa: E402

DEFAULT_DIR = ROOT.parent / "shared" / "bench" / "mmkcpp"
CORRIDOR = ("W Lake St", "W Lagoon Ave", "Hennepin Ave S", "Lyndale Ave S")


def uptown_arrays():
    """Arrays of the Uptown case: (n_nodes, edge_u, edge_v, edge_length, required_counts, depot)."""
    try:
        from patrol.district import load_district

        d = load_district()
        a = d.arrays
        eu, ev, el = a.edge_u, a.edge_v, a.edge_length
        in_area, corridor, n, base = a.edge_in_area, a.edge_corridor, a.n_nodes, d.base_index
    except ImportError:
        data = ROOT / "data" / "uptown"
        with open(data / "intersections.csv", newline="") as fh:
            nodes = {int(r["node"]): (float(r["lat"]), float(r["lon"])) for r in csv.DictReader(fh)}
        with open(data / "street_segments.csv", newline="") as fh:
            segs = list(csv.DictReader(fh))
        ids = sorted(nodes)
        index = {v: i for i, v in enumerate(ids)}
        eu = np.asarray([index[int(s["from_node"])] for s in segs])
        ev = np.asarray([index[int(s["to_node"])] for s in segs])
        el = np.asarray([float(s["length_m"]) for s in segs])

        def inside(node: int) -> bool:
            lat, lon = nodes[node]
            return 44.9465 <= lat <= 44.9521 and -93.3051 <= lon <= -93.2812

        in_area = np.asarray([inside(int(s["from_node"])) and inside(int(s["to_node"])) for s in segs])
        corridor = np.asarray([s["street"] in CORRIDOR for s in segs])
        n, base = len(ids), index[92]
    req = np.where(in_area & corridor, 3, np.where(in_area, 1, 0)).astype(np.int64)
    return int(n), np.asarray(eu), np.asarray(ev), np.asarray(el, dtype=float), req, int(base)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, default=DEFAULT_DIR, help="folder with gdb*.dat and the CSVs")
    parser.add_argument("--k", type=int, nargs="+", default=[2, 3, 5])
    parser.add_argument("--time-limit", type=float, default=10.0, help="seconds per gdb solve (default 10)")
    parser.add_argument("--uptown-time-limit", type=float, default=25.0, help="seconds for Uptown (default 25)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--instances", nargs="*", help="instance names (default: gdb1..gdb23)")
    parser.add_argument("--no-uptown", action="store_true")
    parser.add_argument("--json", type=Path, help="also write all rows to this JSON file")
    args = parser.parse_args(argv)

    if not args.dir.is_dir():
        print(f"benchmark folder not found: {args.dir}", file=sys.stderr)
        return 2
    names = args.instances or [f"gdb{i}" for i in range(1, 24)]
    ref = {}
    ref_path = args.dir / "reference_hgs_carp.csv"
    if ref_path.exists():
        with open(ref_path, newline="") as fh:
            ref = {(r["instance"], int(r["k"])): float(r["hgs_carp_max_route_5s"]) for r in csv.DictReader(fh)}
    print(f"# machine: {platform.node()} {platform.processor() or platform.machine()}, "
          f"python {platform.python_version()}; time limit {args.time_limit:g}s, seed {args.seed}", flush=True)
    rows = []
    for name in names:
        for k in args.k:
            row = bench_instance(args.dir / f"{name}.dat", k, time_limit_s=args.time_limit, seed=args.seed)
            hgs = ref.get((row["name"], k))
            row["hgs"] = hgs if hgs is not None else ""
            row["ratio_hgs"] = row["max_route"] / hgs if hgs else ""
            rows.append(row)
            print(f"  {row['name']} k={k}: {row['max_route']:g} (lb {row['lower_bound']:g}, "
                  f"gap {row['gap_pct']:.2f}%, {row['seconds']:.1f}s, valid={row['valid']})", file=sys.stderr,
                  flush=True)
    cols = ["name", "k", "max_route", "lower_bound", "gap_pct", "hgs", "ratio_hgs", "seconds", "valid"]
    ratios = [r["ratio_hgs"] for r in rows if r["ratio_hgs"] != ""]
    mean_row = {"name": "mean", "k": "", "max_route": float(np.mean([r["max_route"] for r in rows])),
                "lower_bound": float(np.mean([r["lower_bound"] for r in rows])),
                "gap_pct": float(np.mean([r["gap_pct"] for r in rows])),
                "hgs": float(np.mean([r["hgs"] for r in rows if r["hgs"] != ""])) if ratios else "",
                "ratio_hgs": float(np.mean(ratios)) if ratios else "",
                "seconds": float(np.mean([r["seconds"] for r in rows])), "valid": all(r["valid"] for r in rows)}
    shown = [{**r, "ratio_hgs": f"{r['ratio_hgs']:.3f}" if r["ratio_hgs"] != "" else "",
              "gap_pct": f"{r['gap_pct']:.2f}", "seconds": f"{r['seconds']:.2f}"} for r in [*rows, mean_row]]
    print(format_table(shown, cols))
    mean_gap = mean_row["gap_pct"]
    print(f"\nall valid: {mean_row['valid']}   mean gap: {mean_gap:.3f}% (target <= 3%)   "
          f"optimal (gap 0): {sum(r['gap_pct'] < 1e-9 for r in rows)}/{len(rows)}")
    if ratios:
        print(f"HGS-CARP ratio over {len(ratios)} cases: mean {np.mean(ratios):.4f} (target <= 1.02), "
              f"max {np.max(ratios):.4f} (target <= 1.05)")
    out = {"gdb": rows}
    if not args.no_uptown:
        n, eu, ev, el, req, base = uptown_arrays()
        t0 = time.perf_counter()
        sol = solve_coverage(n, eu, ev, el, req, 8, base, time_limit_s=args.uptown_time_limit, seed=args.seed)
        seconds = time.perf_counter() - t0
        problems = validate_solution(sol, n, eu, ev, el, req, 8, base)
        print(f"\nUptown: {int((req > 0).sum())} blocks, {int(req.sum())} services, k=8: max_route "
              f"{sol.max_route:.1f} m, lower bound {sol.lower_bound:.1f} m (cpp {sol.lb_cpp:.1f}, farthest "
              f"{sol.lb_farthest:.1f}), gap {100 * sol.gap:.2f}%, {seconds:.1f}s (target < 30 s), "
              f"valid: {not problems}, method {sol.method}")
        out["uptown"] = {"max_route": sol.max_route, "lower_bound": sol.lower_bound, "gap_pct": 100 * sol.gap,
                         "seconds": seconds, "valid": not problems, "lengths": sol.lengths.tolist()}
    if args.json:
        args.json.write_text(json.dumps(out, indent=2))
    ok = mean_row["valid"] and (out.get("uptown", {}).get("valid", True))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
