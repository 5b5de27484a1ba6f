#!/usr/bin/env python
"""Rosters benchmark: the daily planner on other rosters and hours, every target as the checker sees it.

Run with ``nice .venv/bin/python scripts/bench_rosters.py [--seeds 0 1 2] [--json FILE]``.  For each roster
(the default 8, a rover lead, pairs, 7 down to 3 ambassadors, other hours) and seed it plans Tuesday on the
embedded Uptown district, checks the plan with the independent checker against the roster it was made for,
and prints per roster: plans valid, plans meeting every target, and per target the worst value over the
seeds, with the seconds per plan.  The first plan of the run is a warm-up (not timed).
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

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

#: name -> settings replacements (``table__key``) of the roster and shift
ROSTERS: dict[str, dict] = {
    "8 (default)": {},
    "8, rover lead": {"roster__lead_role": "rover"},
    "4 pairs": {"roster__pairs": True},
    "7": {"roster__size": 7},
    "6": {"roster__size": 6},
    "5": {"roster__size": 5},
    "4": {"roster__size": 4},
    "3": {"roster__size": 3},
    "6 on 12:00-20:00": {"roster__size": 6, "shift__start": "12:00", "shift__end": "20:00"},
    "1 on 10:00-14:00": {"roster__size": 1, "shift__start": "10:00", "shift__end": "14:00"},
}

#: worst value over seeds: the larger is worse for these, the smaller for the rest
_LARGER_IS_WORSE = {"corridor_first_visit_min", "corridor_max_gap_min", "area_blocks_unvisited",
                    "businesses_unchecked", "checkins_outside_hours", "hotspot_max_gap_min", "balance_ratio"}


def _planner():
    try:  # the planning package
        from patrol.planning import check_plan, plan_day
    except ImportError:  # the layout before it
        from patrol.plan_check import check_plan
        from patrol.routing.daily_plan import plan_day
    return plan_day, check_plan


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--rosters", nargs="+", default=list(ROSTERS), help="names of ROSTERS to run")
    ap.add_argument("--json", default=None, help="also write the figures as JSON")
    args = ap.parse_args()

    from patrol.district import District, load_district

    plan_day, check_plan = _planner()
    base = load_district()
    plan_day(base, "tue", seed=0)  # warm-up: Numba caches, imports
    out: dict = {"machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
                 "seeds": args.seeds, "rosters": {}}
    for name in args.rosters:
        s = base.settings.replace(**ROSTERS[name]) if ROSTERS[name] else base.settings
        d = District(s, base.graph, base.businesses, base.folder)
        rows = []
        for seed in args.seeds:
            t = time.perf_counter()
            plan = plan_day(d, "tue", seed=seed)
            secs = time.perf_counter() - t
            chk = check_plan(plan.to_dict(), d)
            rows.append({"seed": seed, "seconds": round(secs, 2), "check": chk})
        worst: dict = {}
        for r in rows[0]["check"]["targets"]:
            key = r["target"]
            vals = [next(x for x in row["check"]["targets"] if x["target"] == key) for row in rows]
            nums = [v["achieved"] for v in vals if isinstance(v["achieved"], int | float)
                    and not isinstance(v["achieved"], bool)]
            if nums:
                w = max(nums) if key in _LARGER_IS_WORSE else min(nums)
            else:
                w = vals[0]["achieved"]
            worst[key] = {"worst": w, "met": sum(v["met"] for v in vals), "required": vals[0]["required"]}
        secs = [r["seconds"] for r in rows]
        out["rosters"][name] = {
            "valid": sum(r["check"]["valid"] for r in rows), "all_met": sum(r["check"]["all_targets_met"]
                                                                           for r in rows),
            "seconds_median": round(statistics.median(secs), 2), "seconds_max": max(secs), "targets": worst,
            "problems": [p for r in rows for p in r["check"]["problems"][:3]],
        }
        o = out["rosters"][name]
        print(f"{name:18s} valid {o['valid']}/{len(rows)} all met {o['all_met']}/{len(rows)} "
              f"{o['seconds_median']:5.1f} s (max {o['seconds_max']:.1f}) | "
              + " ".join(f"{k}={v['worst']}" for k, v in worst.items() if k not in ("valid",)), flush=True)
        for p in o["problems"][:3]:
            print(f"    problem: {p}")
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
