#!/usr/bin/env python
"""The live day simulated: static plan vs re-planning after each dispatch vs re-planning with cost-aware dispatch.

Run with ``nice .venv/bin/python scripts/bench_liveday.py [--rates 10 20 40] [--seeds 0 1 2 3 4] [--json FILE]
[--plot FILE.png]``.  For each rate (expected dispatchable incidents per 10:00-18:00 shift) and seed: the
morning plan of a Tuesday on the embedded Uptown district (``plan_day``, that seed), a day of incidents drawn
from the demand model (:func:`patrol.dispatch.simulate.draw_incidents`, that seed), then the same incidents under
each strategy of :func:`patrol.dispatch.simulate.simulate_day`: dispatched through the desk and an in-memory
record, the nearest available unit sent each time (``replan-cost``: a unit up to ``--tolerance`` seconds farther
wins on a lower cost to the plan).  The day that happened is judged by the independent checker.

Printed per rate and strategy (means over the seeds, unless said): the promises kept (corridor blocks within the
revisit limit, area blocks walked, due businesses checked in with, hot spots within the revisit limit, units
with their breaks: a count over the day's items, recomputed by the checker), the corridor's longest gap and the
blocks over the limit, check-ins missed, the hot spots' longest gap, breaks kept, the response time (median
and 90th percentile over all the incidents of the seeds: call to arrival, waiting for a free unit included),
and the re-plan time (median and 95th percentile of ``replan_from_record`` over all re-plans: the process's CPU
seconds, and wall-clock seconds beside them; the machine is shared, so the load average is printed too).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

COLUMNS = ("promises_kept", "corridor_max_gap_min", "corridor_blocks_over", "checkins_missed", "hotspot_max_gap_min",
           "units_with_breaks_kept")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rates", type=float, nargs="+", default=[10, 20, 40])
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    ap.add_argument("--tolerance", type=float, default=60.0, help="replan-cost: seconds within the nearest ETA")
    ap.add_argument("--json", default=None, help="also write the figures as JSON")
    ap.add_argument("--plot", default=None, help="also plot the promises kept and the response times (PNG)")
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)

    from patrol.dispatch.simulate import STRATEGIES, draw_incidents, simulate_day
    from patrol.district import load_district
    from patrol.planning import plan_day
    from patrol.warmup import warm_up

    warm_up()
    district = load_district()
    plans = {}
    for seed in args.seeds:
        plans[seed] = plan_day(district, "tue", date="2026-06-02", seed=seed).to_dict()
    load = os.getloadavg()
    print(f"# {platform.node()} {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
          f"load average {load[0]:.1f} at the start")
    rows: dict = {}
    for rate in args.rates:
        for strategy in STRATEGIES:
            days = []
            for seed in args.seeds:
                incidents = draw_incidents(district, rate, seed)
                t0 = time.perf_counter()
                day = simulate_day(district, plans[seed], incidents, strategy, cost_tolerance_s=args.tolerance)
                days.append((day, time.perf_counter() - t0))
            rows[(rate, strategy)] = _aggregate([d for d, _ in days], [s for _, s in days])
            r = rows[(rate, strategy)]
            print(f"{rate:>4g}/day {strategy:<12} incidents {r['incidents_mean']:.1f}  promises kept "
                  f"{r['promises_kept']:.1f}/{r['promises']}  corridor gap {r['corridor_max_gap_min']:.0f} min, "
                  f"{r['corridor_blocks_over']:.1f} blocks over  check-ins missed {r['checkins_missed']:.1f}  "
                  f"hot-spot gap {r['hotspot_max_gap_min']:.0f} min  breaks kept {r['units_with_breaks_kept']:.1f}/"
                  f"{r['units']}  response median {r['response_median_min']} p90 {r['response_p90_min']} min  "
                  f"re-plan CPU median {r['replan_cpu_median_s']} p95 {r['replan_cpu_p95_s']} s "
                  f"(wall {r['replan_median_s']}, {r['replan_p95_s']})  ({r['day_s']:.1f} s a day)",
                  flush=True)
    load = os.getloadavg()
    print(f"# load average {load[0]:.1f} at the end")
    out = {"rates": args.rates, "seeds": args.seeds, "tolerance_s": args.tolerance, "machine": platform.node(),
           "cpus": os.cpu_count(), "load_end": load[0],
           "rows": [{"rate": rate, "strategy": s, **r} for (rate, s), r in rows.items()]}
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1), encoding="utf-8")
    if args.plot:
        _plot(out, Path(args.plot))
    return 0


def _aggregate(days, seconds) -> dict:
    sums = [d.summary() for d in days]
    resp = np.array([x for d in days for x in d.response_min], float)
    rp = np.array([x for d in days for x in d.replan_s], float)
    out = {k: statistics.fmean(float(s[k]) for s in sums) for k in COLUMNS}
    out["promises"] = sums[0]["promises"]
    out["units"] = sums[0]["units"]
    out["incidents_mean"] = statistics.fmean(d.incidents for d in days)
    out["kept"] = {k: statistics.fmean(s["kept"][k][0] for s in sums) for k in sums[0]["kept"]}
    out["kept_of"] = {k: sums[0]["kept"][k][1] for k in sums[0]["kept"]}
    out["response_median_min"] = round(float(np.median(resp)), 2) if resp.size else None
    out["response_p90_min"] = round(float(np.percentile(resp, 90)), 2) if resp.size else None
    out["waited"] = sum(d.waited for d in days)
    out["replan_median_s"] = round(float(np.median(rp)), 3) if rp.size else None
    out["replan_p95_s"] = round(float(np.percentile(rp, 95)), 3) if rp.size else None
    cpu = np.array([x for d in days for x in d.replan_cpu_s], float)
    out["replan_cpu_median_s"] = round(float(np.median(cpu)), 3) if cpu.size else None
    out["replan_cpu_p95_s"] = round(float(np.percentile(cpu, 95)), 3) if cpu.size else None
    out["replans"] = int(rp.size)
    out["per_seed_promises_kept"] = [s["promises_kept"] for s in sums]
    out["day_s"] = statistics.fmean(seconds)
    return out


def _plot(out: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = out["rows"]
    rates = out["rates"]
    strategies = list(dict.fromkeys(r["strategy"] for r in rows))
    fig, axes = plt.subplots(1, 3, figsize=(14, 4.4))
    width = 0.8 / len(strategies)
    x = np.arange(len(rates))
    panels = (("promises_kept", "promises kept (of {n})", "higher is better"),
              ("corridor_blocks_over", "corridor blocks over the 60-min revisit limit", "lower is better"),
              ("response_p90_min", "90th percentile response time (min)", "lower is better"))
    for ax, (key, title, note) in zip(axes, panels, strict=True):
        for j, s in enumerate(strategies):
            vals = [next(r[key] for r in rows if r["rate"] == rate and r["strategy"] == s) or 0 for rate in rates]
            ax.bar(x + (j - (len(strategies) - 1) / 2) * width, vals, width, label=s)
        ax.set_xticks(x, [f"{r:g} incidents/day" for r in rates])
        ax.set_title(title.format(n=rows[0]["promises"]) + f"\n({note})", fontsize=10)
        ax.grid(axis="y", alpha=0.3)
    axes[0].set_ylim(min(r["promises_kept"] for r in rows) * 0.95, rows[0]["promises"])
    axes[0].legend(title="strategy", fontsize=9)
    fig.suptitle(f"Simulated days on Uptown (8 ambassadors, Tuesday 10:00-18:00), means over seeds "
                 f"{', '.join(map(str, out['seeds']))}", fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


if __name__ == "__main__":
    raise SystemExit(main())
