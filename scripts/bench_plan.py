#!/usr/bin/env python
"""Daily-plan benchmark: one day and a week for the default roster, against the 60 s / 5 min targets.

Run with ``nice .venv/bin/python scripts/bench_plan.py [--time-limit S] [--json FILE]``.  Prints, from one
run: the routing core alone on the beat problem (baseline), one planned day (default roster, and pairs
mode), the independent check of that day, and a week; each with its ratio to the baseline and to the
target.  Planner results for the day are checked with ``patrol.plan_check`` and summarized.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def timed(fn, *args, **kw):
    t = time.perf_counter()
    out = fn(*args, **kw)
    return out, time.perf_counter() - t


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--time-limit", type=float, default=5.0, help="routing core budget per day (s)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", default=None, help="also write the figures as JSON")
    args = ap.parse_args()

    from patrol.district import load_district
    from patrol.plan_check import check_plan
    from patrol.routing import solve_coverage
    from patrol.routing.daily_plan import plan_day, plan_week

    d = load_district()
    a = d.arrays
    required = np.where(a.edge_in_area & ~a.edge_corridor, 1, 0)
    k = d.settings.roster.size
    figures: dict = {"machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
                     "time_limit_s": args.time_limit}
    plan_day(d, "tue", seed=args.seed, time_limit_s=0.2)  # warm-up: numba caches, shortest paths

    _, base = timed(solve_coverage, a.n_nodes, a.edge_u, a.edge_v, a.edge_length, required, k, d.base_index,
                    time_limit_s=args.time_limit, seed=args.seed)
    figures["baseline_routing_core_s"] = round(base, 2)

    day, t_day = timed(plan_day, d, "tue", seed=args.seed, time_limit_s=args.time_limit)
    check, t_check = timed(check_plan, day.to_dict(), d)
    pairs, t_pairs = timed(plan_day, d, "tue", seed=args.seed, time_limit_s=args.time_limit, pairs=True)
    pcheck = check_plan(pairs.to_dict(), d)
    week, t_week = timed(plan_week, d, seed=args.seed, time_limit_s=args.time_limit)

    figures.update({
        "day_s": round(t_day, 2), "day_target_s": 60, "day_ratio_to_target": round(t_day / 60, 3),
        "day_ratio_to_baseline": round(t_day / base, 2) if base > 0 else None,
        "check_s": round(t_check, 3),
        "pairs_day_s": round(t_pairs, 2),
        "week_s": round(t_week, 2), "week_target_s": 300, "week_ratio_to_target": round(t_week / 300, 3),
        "day_targets": {r["target"]: r["achieved"] for r in check["targets"]},
        "day_all_targets_met": check["all_targets_met"],
        "pairs_targets": {r["target"]: r["achieved"] for r in pcheck["targets"]},
        "week_days": list(week),
    })
    print(f"machine: {figures['machine']}; routing core budget {args.time_limit} s")
    print(f"{'what':34s} {'seconds':>9s} {'target':>8s} {'ratio':>7s}")
    print(f"{'routing core alone (baseline)':34s} {base:9.2f} {'':>8s} {'1.00':>7s}")
    print(f"{'one day, default roster':34s} {t_day:9.2f} {60:8d} {t_day / base:7.2f}")
    print(f"{'independent check of the day':34s} {t_check:9.3f}")
    print(f"{'one day, pairs mode':34s} {t_pairs:9.2f} {60:8d} {t_pairs / base:7.2f}")
    print(f"{'week (Tue-Sat)':34s} {t_week:9.2f} {300:8d} {t_week / base:7.2f}")
    print("day targets (checker):", json.dumps(figures["day_targets"]))
    print("pairs targets (checker):", json.dumps(figures["pairs_targets"]))
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
