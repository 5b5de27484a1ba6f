#!/usr/bin/env python
"""Short-handed days: the planner on rosters of 8 down to 3 and other hours, every target as the checker sees it.

Run with ``nice .venv/bin/python scripts/bench_rosters.py [--seeds 0 1 2] [--json FILE] [--plot FILE.png]``.
For each day's roster (the default 8, 7..3 present, a late start and an early leave, a rover lead, pairs) and
seed it plans Tuesday on the embedded Uptown district (``plan_day(..., roster=DayRoster(...))``, as
``patrol plan --absent/--only/--start/--end`` does), checks the plan with the independent checker, and
prints per roster: plans valid, plans meeting every target, per target the worst value over the seeds, the
capacity bound's verdict (targets the roster cannot meet whatever the plan), and CPU seconds per plan (the
process's own CPU time, so other load on the machine does not count; the wall time is printed beside it).
The first plan of the run is a warm-up (Numba caches, imports), not counted.
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

NAMES = ["lead", "amb2", "amb3", "amb4", "amb5", "amb6", "amb7", "amb8"]
#: name -> (day's roster keyword arguments of DayRoster, district settings replacements)
ROSTERS: dict[str, tuple[dict, dict]] = {
    "8 (default)": ({}, {}),
    "7": ({"only": tuple(NAMES[:7])}, {}),
    "6": ({"only": tuple(NAMES[:6])}, {}),
    "5": ({"only": tuple(NAMES[:5])}, {}),
    "4": ({"only": tuple(NAMES[:4])}, {}),
    "3": ({"only": tuple(NAMES[:3])}, {}),
    "8, one from 12:00": ({"hours": (("amb3", 720, 1080),)}, {}),
    "7, one from 12:00": ({"only": tuple(NAMES[:7]), "hours": (("amb3", 720, 1080),)}, {}),
    "6, one from 12:00": ({"only": tuple(NAMES[:6]), "hours": (("amb3", 720, 1080),)}, {}),
    "5, one from 12:00": ({"only": tuple(NAMES[:5]), "hours": (("amb3", 720, 1080),)}, {}),
    "4, one from 12:00": ({"only": tuple(NAMES[:4]), "hours": (("amb3", 720, 1080),)}, {}),
    "8, one until 16:00": ({"hours": (("amb6", 600, 960),)}, {}),
    "8, rover lead": ({}, {"roster__lead_role": "rover"}),
    "4 pairs": ({"pairs": True}, {}),
}

#: worst value over seeds: the larger is worse for these, the smaller for the rest
_LARGER_IS_WORSE = {"corridor_first_visit_min", "corridor_max_gap_min", "area_blocks_unvisited",
                    "businesses_unchecked", "checkins_outside_hours", "hotspot_max_gap_min", "balance_ratio",
                    "ready_p90_min"}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--rosters", nargs="+", default=list(ROSTERS), help="names of ROSTERS to run")
    ap.add_argument("--json", default=None, help="also write the figures as JSON")
    ap.add_argument("--plot", default=None, help="also plot corridor gap and check-ins vs roster size (PNG)")
    args = ap.parse_args()

    from patrol.district import District, load_district
    from patrol.planning import check_plan, plan_day
    from patrol.planning.model import DayRoster

    base = load_district()
    plan_day(base, "tue", seed=99)  # warm-up
    out: dict = {"machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
                 "load_before": os.getloadavg()[0], "seeds": args.seeds, "rosters": {}}
    for name in args.rosters:
        day_kw, settings_kw = ROSTERS[name]
        d = District(base.settings.replace(**settings_kw), base.graph, base.businesses, base.folder) \
            if settings_kw else base
        rows = []
        for seed in args.seeds:
            t, w = time.process_time(), time.perf_counter()
            plan = plan_day(d, "tue", seed=seed, roster=DayRoster(**day_kw))
            cpu, wall = time.process_time() - t, time.perf_counter() - w
            chk = check_plan(plan.to_dict(), d)
            rows.append({"seed": seed, "cpu_s": round(cpu, 2), "wall_s": round(wall, 2), "check": chk,
                         "impossible": sorted(s.target for s in plan.shortfalls
                                              if s.why.startswith("impossible")),
                         "capacity": plan.summary["capacity"]})
        worst: dict = {}
        for r in rows[0]["check"]["targets"]:
            key = r["target"]
            vals = [next(x for x in row["check"]["targets"] if x["target"] == key) for row in rows]
            nums = [v["achieved"] for v in vals if isinstance(v["achieved"], int | float)
                    and not isinstance(v["achieved"], bool)]
            w = (max(nums) if key in _LARGER_IS_WORSE else min(nums)) if nums else vals[0]["achieved"]
            worst[key] = {"worst": w, "met": sum(v["met"] for v in vals), "required": vals[0]["required"]}
        cpus = [r["cpu_s"] for r in rows]
        out["rosters"][name] = {
            "valid": sum(r["check"]["valid"] for r in rows),
            "all_met": sum(r["check"]["all_targets_met"] for r in rows), "plans": len(rows),
            "cpu_s_median": round(statistics.median(cpus), 2), "cpu_s_max": max(cpus),
            "wall_s_median": round(statistics.median(r["wall_s"] for r in rows), 2),
            "targets": worst, "impossible": sorted({t for r in rows for t in r["impossible"]}),
            "units_needed_at_least": rows[0]["capacity"]["units_needed_at_least"],
            "problems": [p for r in rows for p in r["check"]["problems"][:3]],
        }
        o = out["rosters"][name]
        held = [k for k, v in worst.items() if v["met"] == len(rows)]
        print(f"{name:20s} valid {o['valid']}/{len(rows)} all met {o['all_met']}/{len(rows)} "
              f"cpu {o['cpu_s_median']:5.1f} s (max {o['cpu_s_max']:.1f}, wall {o['wall_s_median']:.1f}) | held: "
              + ", ".join(held) + " | " + " ".join(f"{k}={v['worst']}" for k, v in worst.items() if k not in held)
              + (f" | impossible: {', '.join(o['impossible'])}" if o["impossible"] else ""), flush=True)
        for p in o["problems"][:3]:
            print(f"    problem: {p}")
    out["load_after"] = os.getloadavg()[0]
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1, default=str), encoding="utf-8")
    if args.plot:
        _plot(out, args.plot)
    return 0


def _plot(out: dict, path: str) -> None:
    """Worst corridor gap and businesses not checked in with against the number of people, with and without a
    late start."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
    for label, fmt, names in (("everyone 10:00-18:00", "o-", ["8 (default)", "7", "6", "5", "4", "3"]),
                              ("one of them from 12:00", "s--", ["8, one from 12:00", "7, one from 12:00",
                                                                "6, one from 12:00", "5, one from 12:00",
                                                                "4, one from 12:00"])):
        pts = [(int(n.split()[0].rstrip(",")), out["rosters"][n]) for n in names if n in out["rosters"]]
        if not pts:
            continue
        x = [p for p, _ in pts]
        ax1.plot(x, [r["targets"]["corridor_max_gap_min"]["worst"] for _, r in pts], fmt, label=label)
        ax2.plot(x, [r["targets"]["businesses_unchecked"]["worst"] for _, r in pts], fmt, label=label)
    ax1.axhline(60, color="0.5", lw=1, ls=":", label="target (60 min)")
    ax1.set(xlabel="ambassadors on duty", ylabel="longest corridor gap (min, worst of the seeds)",
            title="Corridor revisits")
    ax2.axhline(0, color="0.5", lw=1, ls=":", label="target (all 201)")
    ax2.set(xlabel="ambassadors on duty", ylabel="businesses not checked in with (of 201)", title="Check-ins")
    for ax in (ax1, ax2):
        ax.invert_xaxis()
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle("Short-handed days on Uptown: what gives way first (targets.priority: corridor before check-ins)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


if __name__ == "__main__":
    sys.exit(main())
