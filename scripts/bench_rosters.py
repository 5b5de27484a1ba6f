#!/usr/bin/env python
"""Short-handed days: the planner on rosters of 8 down to 3 and other hours, every target as the checker sees it.

Run with ``nice .venv/bin/python scripts/bench_rosters.py [--seeds 0 1 2] [--json FILE] [--plot FILE.png]``.
For each day's roster (the default 8, 7..3 present, a late start and an early leave, a rover lead, pairs) and
seed it plans Tuesday on the embedded Uptown district (``plan_day(..., roster=DayRoster(...))``, as
``patrol plan --absent/--only/--start/--end`` does), checks the plan with the independent checker, and
prints per roster: plans valid, plans meeting every target, per target the worst value over the seeds, the
capacity bound's verdict (targets the roster cannot meet whatever the plan), and CPU seconds per plan (the
process's own CPU time, so other load on the machine does not count; the wall time is printed beside it).
The first plan of the run is a warm-up (Numba caches, imports), not counted.  At the end it prints the same
figures as a Markdown table (achieved / bound per relaxed target) to paste into ``docs/bench/plan.md``.

Bounds: beside each relaxed target, the best any plan could achieve on that roster (:func:`target_bounds`),
derived from the settings, the day's units (:func:`patrol.planning.duties.unit_specs`) and the day's duties
(``prepare_day``: blocks, hot spots, businesses due, walking metres from the base), never from the plan.  A
plan achieving better than its bound would be a wrong bound: the script prints ``BOUND WRONG``.

* **corridor gap** (lower bound, unconditional): a pass counts when the walker reaches the block's far end, so
  with every gap at most ``G`` each corridor block has a pass in every window ``(t, t + G]`` of the judged span
  ``[shift start + first-visit limit - revisit limit, shift end]``, and in a window a unit completes passes of
  at most ``speed x (its minutes on duty in the window) + longest corridor block`` metres.  The bound is the
  largest ``G`` (0.1-min steps, windows every minute) for which some window, or the average over the windows
  overlapping the meal window (each meal, all in that window, takes ``meal x G / (window + G)`` minutes out of
  the average), falls short of the corridor's length.  Weak: the walk from the base, turning back at dead
  ends, the rest breaks, check-ins and dwells are left out.
* **hot-spot gap** (lower bound, with the corridor as achieved): at least the walk from the base to the
  farthest hot spot (the first dwell cannot start earlier); and ``n`` dwells of at least ``d`` min leave
  ``n + 1`` gaps of at most ``H`` in the shift ``T``, so each hot spot needs ``d x (T - H) / (H + d)``
  minutes of dwells; ``H`` is the least gap whose dwells fit in the minutes on the street (hours less the
  breaks the checker requires) left after the corridor's passes at the achieved gap (``ceil(span / gap) - 1``
  passes of every block at patrol speed).
* **businesses not checked in with** (lower bound, with corridor and hot spots as achieved): the check-ins of
  ``checkin_min`` that fit in the minutes left after them.  Weak: walking between businesses is left out; 0
  whenever the minutes left cover every check-in.
* **area blocks not walked** (lower bound, with corridor, hot spots and check-ins as achieved): the shortest
  area blocks walked in the minutes left after them.  Weak in the same way (no walk to reach them).
* **on the street** (people, upper bound on the checker's lowest count): the fewest on duty at any moment,
  and in the meal window the most on duty less ``ceil(units with a meal x meal / window)`` units at their
  meal at some minute of it (by averaging).
* **balance**: no bound beyond 1 (most / least walking per hour can always be equal on paper).
* ready to respond: no bound (not a required target; the checker reports it).

"With ... as achieved" bounds answer "could a plan keeping the targets before this one as they are do better
on this one?"; they use the worst value of the seeds for the targets before, which every seed's plan keeps.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from patrol.settings import parse_hhmm  # noqa: E402

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


# ---------------------------------------------------------------------------------------------- the bounds
#: The relaxed targets given a bound, in the order of ``targets.priority`` (default), and whether the bound is
#: an upper bound (more is better) rather than a lower bound.
BOUNDED = ("corridor_max_gap_min", "hotspot_max_gap_min", "businesses_unchecked", "area_blocks_unvisited",
           "min_on_street", "balance_ratio")
_UPPER = {"min_on_street"}


def _street_minutes(units, settings) -> list[float]:
    """Per unit, the most minutes it can be out of the base's break room: its hours less the breaks the checker
    requires of it (a meal when it works ``meal_after_h`` hours, ``round(rest_count x hours / shift)`` rests)."""
    br, sh = settings.breaks, settings.shift
    out = []
    for u in units:
        h = u.end - u.start
        meal = br.meal_min if br.meal_min > 0 and h / 60.0 >= br.meal_after_h else 0
        rests = int(round(br.rest_count * h / (sh.end_min - sh.start_min))) if br.rest_min > 0 else 0
        out.append(float(h - meal - rests * br.rest_min))
    return out


def corridor_gap_bound(corridor_m: float, longest_m: float, speed: float, lo: float, end: float,
                       hours: list[tuple[float, float]], meal_units: list[bool], meal_min: float,
                       window: tuple[float, float], step: float = 0.1) -> float:
    """The longest corridor gap is at least the largest ``G`` for which no plan can pass every corridor block in
    every window ``(t, t + G]`` of ``[lo, end]`` (see the module docstring: a pass counts when the far end is
    reached, so a unit completes passes of at most ``speed x (its walking minutes in the window) + longest``
    metres in a window).  Two families of windows: each window alone (walking minutes <= the unit's hours in it),
    and the average over the windows that overlap the meal window (every meal, all in the window, takes
    ``meal x G`` out of that average's integral)."""
    gs = np.arange(step, end - lo + step, step)
    worst = 0.0
    ws, we = window
    W = we - ws
    for G in gs:
        ts = np.arange(lo, end - G + 1e-9, 1.0)
        if ts.size == 0:
            continue
        cover = np.zeros_like(ts)
        for a, b in hours:
            over = np.clip(np.minimum(ts + G, b) - np.maximum(ts, a), 0.0, None)
            cover += speed * over + np.where(over > 0, longest_m, 0.0)
        impossible = bool((cover < corridor_m - 1e-6).any())
        if not impossible and ws - G >= lo and we + G <= end and meal_min > 0:
            ts2 = np.linspace(ws - G, we, 2001)  # the windows overlapping the meal window, evenly
            avg = 0.0
            for (a, b), meal in zip(hours, meal_units, strict=True):
                over = np.clip(np.minimum(ts2 + G, b) - np.maximum(ts2, a), 0.0, None)
                avg += speed * (float(np.trapezoid(over, ts2)) / (W + G) - (meal_min * G / (W + G) if meal else 0.0))
                avg += longest_m * float((over > 0).mean())
            impossible = avg < corridor_m - 1e-6
        if impossible:
            worst = float(G)
    return worst


def target_bounds(d, duties, achieved: dict) -> dict[str, tuple[float | None, str]]:
    """Per relaxed target, its bound for this roster and a word on how it is derived (see the module
    docstring); ``achieved`` (the worst over the seeds) gives the targets before it in the priority."""
    inp, units, st = duties.inp, duties.units, duties.settings
    v = inp.speed_m_min
    corr = np.flatnonzero(inp.edge_corridor)
    C = float(inp.edge_length[corr].sum())
    Lmax = float(inp.edge_length[corr].max())
    lo = inp.start + inp.corridor_first - inp.corridor_revisit
    br = st.breaks
    ws, we = (parse_hhmm(t) for t in br.meal_window)
    meals = [br.meal_min > 0 and (u.end - u.start) / 60.0 >= br.meal_after_h for u in units]
    out: dict[str, tuple[float | None, str]] = {}
    g = corridor_gap_bound(C, Lmax, v, lo, inp.end, [(u.start, u.end) for u in units], meals, br.meal_min,
                           (ws, we))
    out["corridor_max_gap_min"] = (round(g, 1), "walking the corridor in every window")
    street = sum(_street_minutes(units, st))
    # the corridor as achieved: ceil((end - lo) / G) - 1 passes of every block, walked at patrol speed
    ga = float(achieved["corridor_max_gap_min"])
    passes = max(0, math.ceil((inp.end - lo) / ga - 1e-9) - 1)
    left = street - C * passes / v
    # hot spots: the walk from the base before the first dwell (and back after the last), and dwell minutes:
    # n dwells of at least d min leave n + 1 gaps of at most H in the shift T, so a hot spot needs at least
    # d x (T - H) / (H + d) minutes of dwells (longer dwells cover more but cost as much)
    d0 = float(st.targets.hotspot_dwell_min[0])
    T = inp.end - inp.start
    reach = max((min(duties.base_dist[inp.edge_u[h]], duties.base_dist[inp.edge_v[h]]) / v for h in inp.hotspots),
                default=0.0)
    n = len(inp.hotspots)
    H = reach
    if n:
        hs = np.arange(0.0, T + 0.05, 0.1)
        need = n * np.maximum(0.0, d0 * (T - hs) / (hs + d0))
        fits = hs[need <= left + 1e-9]
        H = max(H, float(fits[0]) if fits.size else T)
    out["hotspot_max_gap_min"] = (round(H, 1), "reach from the base; dwell minutes left after the corridor")
    ha = float(achieved["hotspot_max_gap_min"])
    left -= n * max(0.0, d0 * (T - ha) / (ha + d0))
    due = len(inp.biz_index)
    can = max(0, int(math.floor(left / inp.checkin_min + 1e-9)))
    out["businesses_unchecked"] = (max(0, due - can), "check-in minutes left after corridor and hot spots")
    left -= (due - int(achieved["businesses_unchecked"])) * inp.checkin_min
    area = np.flatnonzero(inp.required_visits > 0)
    cost = np.sort(inp.edge_length[area] * inp.required_visits[area] / v)
    walked = int(np.searchsorted(np.cumsum(cost), max(left, 0.0) + 1e-9, side="right"))
    out["area_blocks_unvisited"] = (int(area.size - walked), "shortest area blocks in the minutes left")
    # on the street (people): at some minute of the meal window at least ceil(units with a meal x meal / window)
    # units are at their meal; before that, nobody more than those on duty
    cuts = sorted({inp.start, inp.end, *(t for u in units for t in (u.start, u.end))})
    on = [sum(len(u.members) for u in units if u.start <= (x + y) / 2 < u.end)
          for x, y in zip(cuts, cuts[1:], strict=False)]
    most_in_window = max(sum(len(u.members) for u in units if u.start < we and u.end > ws and
                             u.start <= t < u.end) for t in np.arange(ws, we, 1.0))
    ppu = min(len(u.members) for u in units)  # people per unit at a meal, at least
    off = ppu * math.ceil(sum(meals) * br.meal_min / (we - ws) - 1e-9)
    out["min_on_street"] = (min(min(on), most_in_window - off), "meals at one time in the meal window")
    out["balance_ratio"] = (1.0, "none beyond 1 (the definition)")
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--rosters", nargs="+", default=list(ROSTERS), help="names of ROSTERS to run")
    ap.add_argument("--json", default=None, help="also write the figures as JSON")
    ap.add_argument("--plot", default=None, help="also plot corridor gap and check-ins vs roster size (PNG)")
    ap.add_argument("--from", dest="from_json", default=None,
                    help="plan nothing: print the table (and --plot) of a JSON an earlier run wrote")
    args = ap.parse_args()
    if args.from_json:
        done = json.loads(Path(args.from_json).read_text(encoding="utf-8"))
        print("\n".join(table(done)))
        if args.plot:
            _plot(done, args.plot)
        return 0

    from patrol.district import District, load_district
    from patrol.planning import check_plan, plan_day
    from patrol.planning.model import DayRoster
    from patrol.planning.plan import prepare_day

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
        bounds = target_bounds(d, prepare_day(d, "tue", seed=args.seeds[0], roster=DayRoster(**day_kw)),
                               {k: v["worst"] for k, v in worst.items()})
        for k, (b, how) in bounds.items():
            w = worst[k]["worst"]
            worst[k].update(bound=b, bound_how=how)
            if isinstance(w, int | float) and (w > b + 1e-6 if k in _UPPER else w < b - 1e-6):
                print(f"    BOUND WRONG: {k} achieved {w} beats its bound {b}", flush=True)
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
              + ", ".join(held) + " | "
              + " ".join(f"{k}={v['worst']}" + (f" (bound {v['bound']})" if "bound" in v else "")
                         for k, v in worst.items() if k not in held)
              + (f" | impossible: {', '.join(o['impossible'])}" if o["impossible"] else ""), flush=True)
        for p in o["problems"][:3]:
            print(f"    problem: {p}")
    out["load_after"] = os.getloadavg()[0]
    print()
    print("\n".join(table(out)))
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1, default=str), encoding="utf-8")
    if args.plot:
        _plot(out, args.plot)
    return 0


#: the table's columns: target, header
_COLUMNS = (("corridor_max_gap_min", "corridor max gap (min, <= 60)"),
            ("hotspot_max_gap_min", "hot-spot max gap (min, <= 120)"),
            ("businesses_unchecked", "businesses not checked in with (of 201)"),
            ("area_blocks_unvisited", "area blocks not walked (of 133)"),
            ("min_on_street", "fewest on the street (>= 6)"),
            ("balance_ratio", "balance (<= 1.25)"))


def table(out: dict) -> list[str]:
    """The figures as a Markdown table: per target the worst over the seeds, its bound after a slash (``/ >=``
    or ``/ <=``: what no plan can better), bold when the target is not met on every seed."""
    head = ["roster", "valid", "all targets met", *(h for _, h in _COLUMNS), "CPU s per plan (median, max)",
            "wall s (median)"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * 3 + "---:|" * len(_COLUMNS) + "---:|---:|"]
    for name, o in out["rosters"].items():
        n = o["plans"]
        cells = []
        for key, _ in _COLUMNS:
            t = o["targets"][key]
            w = "-" if t["worst"] is None else str(t["worst"])
            w = w if t["met"] == n else (f"**{w}**" if t["met"] == 0 else f"{w} ({t['met']}/{n})")
            if "bound" in t:
                w += f" / {'<=' if key in _UPPER else '>='} {t['bound']}"
            cells.append(w)
        lines.append(f"| {name} | {o['valid']}/{n} | {o['all_met']}/{n} | " + " | ".join(cells)
                     + f" | {o['cpu_s_median']:.1f}, {o['cpu_s_max']:.1f} | {o['wall_s_median']:.1f} |")
    return lines


def _plot(out: dict, path: str) -> None:
    """Worst corridor gap and businesses not checked in with against the number of people, with and without a
    late start."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 5.4))
    for label, fmt, colour, names in (("everyone 10:00-18:00", "o-", "C0", ["8 (default)", "7", "6", "5", "4", "3"]),
                                      ("one of them from 12:00", "s--", "C1", ["8, one from 12:00", "7, one from 12:00",
                                                                        "6, one from 12:00", "5, one from 12:00",
                                                                        "4, one from 12:00"])):
        pts = [(int(n.split()[0].rstrip(",")), out["rosters"][n]) for n in names if n in out["rosters"]]
        if not pts:
            continue
        x = [p for p, _ in pts]
        for ax, key in ((ax1, "corridor_max_gap_min"), (ax2, "businesses_unchecked")):
            ax.plot(x, [r["targets"][key]["worst"] for _, r in pts], fmt, color=colour, label=f"{label}: achieved")
            if all("bound" in r["targets"][key] for _, r in pts):
                ax.plot(x, [r["targets"][key]["bound"] for _, r in pts], fmt[0] + ":", color=colour, alpha=0.6,
                        mfc="none", label=f"{label}: bound (no plan does better)")
    ax1.axhline(60, color="0.5", lw=1, ls=":", label="target (60 min)")
    ax1.set(xlabel="ambassadors on duty", ylabel="longest corridor gap (min, worst of the seeds)",
            title="Corridor revisits (bound: any plan)")
    ax2.axhline(0, color="0.5", lw=1, ls=":", label="target (all 201)")
    ax2.set(xlabel="ambassadors on duty", ylabel="businesses not checked in with (of 201)",
            title="Check-ins (bound: with corridor and hot spots as achieved)")
    ax1.set_ylim(bottom=0)
    for ax in (ax1, ax2):
        ax.invert_xaxis()
        ax.grid(alpha=0.3)
    handles, labels = ax1.get_legend_handles_labels()
    series = [(h, lab) for h, lab in zip(handles, labels, strict=True) if not lab.startswith("target")]
    fig.legend([h for h, _ in series], [lab for _, lab in series], loc="lower center", ncol=2, fontsize=8,
               frameon=False)
    for ax in (ax1, ax2):
        h, lab = ax.get_legend_handles_labels()
        ax.legend([x for x, t in zip(h, lab, strict=True) if t.startswith("target")],
                  [t for t in lab if t.startswith("target")], fontsize=8, loc="upper left")
    fig.suptitle("Short-handed days on Uptown: what gives way first (targets.priority: corridor before check-ins)")
    fig.tight_layout(rect=(0, 0.1, 1, 1))
    fig.savefig(path, dpi=110)


if __name__ == "__main__":
    sys.exit(main())
