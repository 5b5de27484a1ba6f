#!/usr/bin/env python
"""Daily-plan benchmark (warm): one day and a week for the default roster, against the targets.

Run with ``nice .venv/bin/python scripts/bench_plan.py [--matrix N] [--json FILE]``.  Prints, from one run:
the routing core alone on the area's blocks for 8 walkers (baseline, 200 iterations), one planned day
(default roster, and pairs mode), the independent check of that day, and a week; each with its ratio to the
baseline.  With ``--matrix N`` it plans every shift day for seeds 0..N-1 and the CLI's default seed of the
day, checks each plan with ``patrol.planning.check`` and counts the targets met; with ``--ready SEED ...`` it
plans Tuesday with and without ``targets.ready_required`` (the readiness trade); every time is given as the
process's CPU seconds (other load on a shared machine does not count) and as wall seconds.  Cold first runs:
``scripts/bench_cold.py``; other rosters: ``scripts/bench_rosters.py``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
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


def matrix(d, n_seeds: int) -> dict:
    """Plan every shift day for seeds ``0..n_seeds-1`` and the CLI's default seed of the day; per target, how
    many plans meet it and the range."""
    import hashlib

    from patrol.planning import check_plan, plan_day

    rows = []
    for day in d.settings.shift.days:
        # seeds 0..N-1, and the seed `patrol plan --day DAY` uses when none is given (derived from the day)
        cli_seed = int.from_bytes(hashlib.sha256(day.encode()).digest()[:4], "big") % 1_000_000
        for seed in [*range(n_seeds), cli_seed]:
            cpu = time.process_time()
            plan, secs = timed(plan_day, d, day, seed=seed)
            cpu = time.process_time() - cpu
            check = check_plan(plan.to_dict(), d)
            rows.append({"day": day, "seed": seed, "seconds": round(secs, 2), "cpu_s": round(cpu, 2),
                         "all": check["all_targets_met"], "variants": plan.summary["search"]["variants_tried"],
                         "targets": {r["target"]: (r["achieved"], r["met"]) for r in check["targets"]}})
            print(f"{day} seed {seed}: {cpu:5.1f} s CPU ({secs:5.1f} s wall), {rows[-1]['variants']} variants, "
                  f"all targets met: {check['all_targets_met']}", flush=True)
    out = {"plans": len(rows), "all_targets_met": sum(r["all"] for r in rows),
           "seconds_max": max(r["seconds"] for r in rows), "cpu_s_median": statistics.median(r["cpu_s"] for r in rows),
           "cpu_s_max": max(r["cpu_s"] for r in rows), "seconds_median": statistics.median(r["seconds"] for r in rows),
           "targets": {}}
    print(f"{'target':28s} {'met':>7s} {'range':>18s}")
    for name in rows[0]["targets"]:
        vals = [r["targets"][name][0] for r in rows]
        met = sum(r["targets"][name][1] for r in rows)
        nums = [v for v in vals if isinstance(v, int | float) and not isinstance(v, bool)]
        rng = f"{min(nums)}-{max(nums)}" if nums else ""
        out["targets"][name] = {"met": met, "range": rng}
        print(f"{name:28s} {met:3d}/{len(rows):<3d} {rng:>18s}")
    print(f"all targets met: {out['all_targets_met']}/{len(rows)}; CPU median {out['cpu_s_median']:.1f} s, "
          f"max {out['cpu_s_max']:.1f} s; wall median {out['seconds_median']:.1f} s, max {out['seconds_max']:.1f} s")
    out["rows"] = rows
    return out


def ready_trade(d, seeds: list[int]) -> list[dict]:
    """Ready to respond traded or not: per seed, Tuesday planned with ``targets.ready_required`` false (the
    default: reported only) and true (ranked on minutes over the limit, last in the priority); the checker's
    readiness and whether every other target is met, and the CPU the longer search costs."""
    from patrol.planning import check_plan, plan_day

    rows = []
    for required in (False, True):
        dd = d.with_settings(d.settings.replace(targets__ready_required=required))
        for seed in seeds:
            cpu = time.process_time()
            plan = plan_day(dd, "tue", seed=seed)
            cpu = time.process_time() - cpu
            c = check_plan(plan.to_dict(), dd)
            rows.append({"required": required, "seed": seed, "cpu_s": round(cpu, 2),
                         "variants": plan.summary["search"]["variants_tried"],
                         "ready_worst_min": c["ready_p90_min"], "minutes_over": c["ready"]["minutes_over"],
                         "median_min": c["ready"]["median_min"],
                         "others_met": all(t["met"] for t in c["targets"] if t["target"] != "ready_p90_min")})
            r = rows[-1]
            print(f"ready required {required!s:5}  seed {seed}: worst {r['ready_worst_min']} min, "
                  f"{r['minutes_over']} minutes over {d.settings.targets.ready_p90_min:g}, median {r['median_min']} "
                  f"min; every other target met: {r['others_met']}; {r['variants']} variants, {cpu:.1f} s CPU",
                  flush=True)
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", default=None, help="also write the figures as JSON")
    ap.add_argument("--matrix", type=int, default=0, metavar="N",
                    help="also plan every shift day for seeds 0..N-1 and count the targets met per target")
    ap.add_argument("--ready", type=int, nargs="*", default=None, metavar="SEED",
                    help="also plan Tuesday for these seeds with and without targets.ready_required")
    args = ap.parse_args()

    from patrol.district import load_district
    from patrol.planning import check_plan, plan_day, plan_week
    from patrol.routing import solve_coverage

    d = load_district()
    a = d.arrays
    required = np.where(a.edge_in_area & ~a.edge_corridor, 1, 0)
    k = d.settings.roster.size
    figures: dict = {"machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"}
    plan_day(d, "tue", seed=99)  # warm-up: numba caches, shortest paths

    _, base = timed(solve_coverage, a.n_nodes, a.edge_u, a.edge_v, a.edge_length, required, k, d.base_index,
                    time_limit_s=60.0, seed=args.seed, max_iterations=200)
    figures["baseline_routing_core_s"] = round(base, 2)

    day, t_day = timed(plan_day, d, "tue", seed=args.seed)
    check, t_check = timed(check_plan, day.to_dict(), d)
    pairs, t_pairs = timed(plan_day, d, "tue", seed=args.seed, pairs=True)
    pcheck = check_plan(pairs.to_dict(), d)
    week, t_week = timed(plan_week, d, seed=args.seed)

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
    print(f"machine: {figures['machine']}; load {os.getloadavg()[0]:.1f}")
    print(f"{'what':34s} {'seconds':>9s} {'target':>8s} {'ratio':>7s}")
    print(f"{'routing core alone (baseline)':34s} {base:9.2f} {'':>8s} {'1.00':>7s}")
    print(f"{'one day, default roster':34s} {t_day:9.2f} {60:8d} {t_day / base:7.2f}")
    print(f"{'independent check of the day':34s} {t_check:9.3f}")
    print(f"{'one day, pairs mode':34s} {t_pairs:9.2f} {60:8d} {t_pairs / base:7.2f}")
    print(f"{'week (Tue-Sat)':34s} {t_week:9.2f} {300:8d} {t_week / base:7.2f}")
    print("day targets (checker):", json.dumps(figures["day_targets"]))
    print("pairs targets (checker):", json.dumps(figures["pairs_targets"]))
    if args.matrix:
        figures["matrix"] = matrix(d, args.matrix)
    if args.ready:
        figures["ready_trade"] = ready_trade(d, args.ready)
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
