#!/usr/bin/env python
"""How the daily plan scales: plan time (CPU and wall) and peak memory against the area and the roster.

Run with ``nice .venv/bin/python scripts/bench_plan_scale.py [--quick] [--json FILE] [--plot FILE.png]``.

Areas: Uptown's patrol area and boxes around it about 2, 5 and 10 times its street length, each built from the
City of Minneapolis street centreline (``../shared/data/minneapolis/``; the script says so and stops when it is
absent) with ``patrol district build --centerline`` and the embedded Uptown settings (the working graph is the
area plus ``area.margin_m`` = 1,000 m).  The boxes keep Uptown's centre and shape; their size is found by
bisection on the street kilometres inside them.  Rosters: 8, 16 and 40 ambassadors (``roster.size``).

Each case runs in a **fresh process** (so peak RSS, ``resource.getrusage(...).ru_maxrss``, is that case's):

* **cold** (every area, ``--cold-roster`` ambassadors, default 16): an empty Numba cache directory
  (``NUMBA_CACHE_DIR`` set to a new temporary directory), so the figures include importing ``patrol``, loading
  the district and compiling the kernels the plan reaches; the plan's own CPU and wall seconds are printed beside
  the process's.  Compiling is not interruptible, so a cold plan can overrun its time limit;
* **warm** (every area and roster): a Numba cache filled once by ``patrol warmup`` (every kernel, not only those
  a cold run happened to reach), the district loaded first; ``plan_day`` timed (CPU ``time.process_time``, wall
  ``time.perf_counter``).

``plan_day(district, "tue", seed=0, time_limit_s=LIMIT)`` (``--time-limit``, default 60 s: every run is
bounded; the plan's wall seconds are printed beside the limit, so the table also shows the limit honoured); the
plans are checked with the independent checker in the warm process (not timed).  Baseline, measured in the same
run: one plan over the whole area (``beats=1``, the planner before beats) with 16 ambassadors and the same time
limit, warm (the Numba cache of that area's cases); the ratios of its CPU seconds and peak memory to the
default's are printed.  ``--factors`` and ``--rosters`` run a subset.  Every figure is written to ``--json``
after each case, so an interrupted run keeps what it measured.

The machine is shared: CPU seconds are what to compare; the load average is printed with every case.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
CITY = ROOT / ".." / "shared" / "data" / "minneapolis" / "street_centerline_full_2018.geojson"
UPTOWN_TOML = ROOT / "data" / "uptown" / "district.toml"
FACTORS = (1, 2, 5, 10)
ROSTERS = (8, 16, 40)


def _settings(path: Path, scale: float, name: str) -> Path:
    """The embedded Uptown settings with the area box scaled about its centre (the base spelled as the
    centreline names its streets)."""
    from patrol.settings import load_settings

    a = load_settings(UPTOWN_TOML).area
    cl, co = (a.south + a.north) / 2, (a.west + a.east) / 2
    hl, hw = (a.north - a.south) / 2 * scale, (a.east - a.west) / 2 * scale
    text = UPTOWN_TOML.read_text(encoding="utf-8")
    for key, value in (("south", cl - hl), ("north", cl + hl), ("west", co - hw), ("east", co + hw)):
        text = re.sub(rf"^{key} = .*$", f"{key} = {value:.6f}", text, flags=re.M)
    text = text.replace('at = "Hennepin Ave S & W Lagoon Ave"', 'at = "Hennepin & Lagoon"')
    text = text.replace('name = "Uptown Business District, Minneapolis"', f'name = "{name}"')
    path.write_text(text, encoding="utf-8")
    return path


def _build(settings: Path, out: Path) -> None:
    import contextlib
    import io

    from patrol.cli import main

    with contextlib.redirect_stdout(io.StringIO()):
        code = main(["district", "build", "--centerline", str(CITY), "--settings", str(settings), "--out", str(out)])
    if code != 0:
        raise SystemExit(f"building {out} failed ({code})")


def build_areas(tmp: Path, factors: tuple[int, ...]) -> list[dict]:
    """Districts of about ``f`` x Uptown's street km in the area, for each factor."""
    from patrol.district import load_district
    from patrol.settings import load_settings

    big = tmp / "big"
    _build(_settings(tmp / "big.toml", 4.6, "scan"), big)  # a box beyond the largest area, to find the scales
    a = load_district(big).arrays
    ar = load_settings(UPTOWN_TOML).area
    cl, co = (ar.south + ar.north) / 2, (ar.west + ar.east) / 2
    hl, hw = (ar.north - ar.south) / 2, (ar.east - ar.west) / 2

    def km(s: float) -> float:
        ins = (a.lat >= cl - hl * s) & (a.lat <= cl + hl * s) & (a.lon >= co - hw * s) & (a.lon <= co + hw * s)
        return float(a.edge_length[ins[a.edge_u] & ins[a.edge_v]].sum()) / 1000

    base_km = km(1.0)
    out = []
    for f in factors:
        lo, hi = 1.0, 4.6
        if f > 1:
            for _ in range(30):
                mid = (lo + hi) / 2
                lo, hi = (mid, hi) if km(mid) < f * base_km else (lo, mid)
        scale = 1.0 if f == 1 else hi
        folder = tmp / f"x{f}"
        _build(_settings(tmp / f"x{f}.toml", scale, f"Uptown x{f}"), folder)
        d = load_district(folder)
        da = d.arrays
        out.append({"factor": f, "scale": round(scale, 4), "folder": str(folder), "nodes": int(da.n_nodes),
                    "blocks": int(da.n_edges), "area_blocks": int(da.edge_in_area.sum()),
                    "area_km": round(float(da.edge_length[da.edge_in_area].sum()) / 1000, 1),
                    "corridor_km": round(float(da.edge_length[da.edge_in_area & da.edge_corridor].sum()) / 1000, 1),
                    "working_km": round(float(da.edge_length.sum()) / 1000, 1)})
    return out


_CASE = r"""
import json, os, resource, sys, time
c_start, t_start = time.process_time(), time.perf_counter()
from patrol.district import load_district
from patrol.planning.plan import plan_day
from patrol.planning import check_plan
args = json.loads(sys.argv[1])
d = load_district(args["folder"])
d = d.with_settings(d.settings.replace(roster__size=args["roster"]))
_ = d.arrays, d.base_index
rss_loaded = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
c0, t0 = time.process_time(), time.perf_counter()
p = plan_day(d, "tue", seed=0, time_limit_s=args.get("time_limit"), beats=args.get("beats"))
c1, t1 = time.process_time(), time.perf_counter()
out = {"plan_cpu_s": c1 - c0, "plan_wall_s": t1 - t0, "process_cpu_s": c1 - c_start, "process_wall_s": t1 - t_start,
       "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "rss_loaded_mb": rss_loaded,
       "shortfalls": [s.target for s in p.shortfalls], "beats": len(p.design.get("beats", [])) or 1,
       "beat_nodes_max": max([b["graph_nodes"] for b in p.design.get("beats", [])] or [d.arrays.n_nodes]),
       "variants_tried": p.summary["search"]["variants_tried"], "stopped": p.summary["search"]["stopped"],
       "time_limit_reached": p.summary["time_limit_reached"], "load": os.getloadavg()[0]}
if args.get("check"):
    r = check_plan(p.to_dict(), d)
    out["valid"] = r["valid"]
    out["checker_missed"] = [t["target"] for t in r["targets"] if not t["met"] and t["target"] != "ready_p90_min"]
print(json.dumps(out))
"""


def run_case(folder: str, roster: int, cache: str, *, beats: int | None = None, time_limit: float | None = None,
             check: bool = False) -> dict:
    env = dict(os.environ, NUMBA_CACHE_DIR=cache)
    args = {"folder": folder, "roster": roster, "beats": beats, "time_limit": time_limit, "check": check}
    done = subprocess.run([sys.executable, "-c", _CASE, json.dumps(args)], capture_output=True, text=True, cwd=ROOT,
                          env=env)
    if done.returncode != 0:
        raise SystemExit(f"case {args} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _row(r: dict) -> str:
    return (f"{r['plan_cpu_s']:7.1f} {r['plan_wall_s']:7.1f} {r['peak_rss_mb']:6.0f} {r['beats']:3d} "
            f"{r['beat_nodes_max']:5d} {r['variants_tried']:4d}  {','.join(r['shortfalls']) or 'all met'}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="areas 1x and 2x, rosters 8 and 16, no baseline")
    ap.add_argument("--factors", default=",".join(map(str, FACTORS)), help="area factors (default 1,2,5,10)")
    ap.add_argument("--rosters", default=",".join(map(str, ROSTERS)), help="roster sizes (default 8,16,40)")
    ap.add_argument("--time-limit", type=float, default=60.0, help="seconds per plan (default 60)")
    ap.add_argument("--cold-roster", type=int, default=16, help="the roster of the cold runs (default 16)")
    ap.add_argument("--json", default=None, help="write every figure to this JSON file")
    ap.add_argument("--plot", default=None, help="write the plot (PNG) here")
    args = ap.parse_args()
    if not CITY.is_file():
        print(f"skipped: the city centreline is not at {CITY} (third-party data, read from ../shared)")
        return 0
    factors = (1, 2) if args.quick else tuple(int(x) for x in args.factors.split(","))
    rosters = (8, 16) if args.quick else tuple(int(x) for x in args.rosters.split(","))
    limit = args.time_limit

    def save() -> None:
        if args.json:
            Path(args.json).write_text(json.dumps(result, indent=1), encoding="utf-8")

    result: dict = {"machine": {"platform": platform.platform(), "python": platform.python_version(),
                                "cpus": os.cpu_count(), "load_start": os.getloadavg()},
                    "started": time.strftime("%Y-%m-%d %H:%M:%S"), "time_limit_s": args.time_limit}
    print(f"plan scaling; {platform.platform()}, {os.cpu_count()} CPUs, load average "
          f"{'/'.join(f'{x:.1f}' for x in os.getloadavg())} (1/5/15 min) at the start")
    with tempfile.TemporaryDirectory(prefix="bench-plan-scale-") as tmpdir:
        tmp = Path(tmpdir)
        areas = build_areas(tmp, factors)
        result["areas"] = areas
        print("\nareas (built from the centreline, area + 1,000 m margin):")
        print(f"  {'area':6s} {'area km':>8s} {'blocks':>7s} {'corridor km':>11s} {'graph nodes':>11s} "
              f"{'graph km':>9s}")
        for a in areas:
            print(f"  x{a['factor']:<5d} {a['area_km']:8.1f} {a['area_blocks']:7d} {a['corridor_km']:11.1f} "
                  f"{a['nodes']:11d} {a['working_km']:9.1f}")
        cases = []
        save()
        print(f"\nplan_day(tue, seed 0), time limit {limit:g} s; CPU and wall seconds of the plan, peak RSS (MB) of "
              "the process")
        print(f"  {'area':5s} {'roster':>6s} {'run':5s} {'CPU s':>7s} {'wall s':>7s} {'RSS':>6s} {'bts':>3s} "
              f"{'nodes':>5s} {'vars':>4s}  shortfalls (planner)   | process CPU s  load")
        warm_cache = tempfile.mkdtemp(prefix="numba-warm-", dir=tmp)
        subprocess.run([sys.executable, "-m", "patrol", "warmup"], check=True, capture_output=True, cwd=ROOT,
                       env=dict(os.environ, NUMBA_CACHE_DIR=warm_cache))
        ru = resource.getrusage(resource.RUSAGE_CHILDREN)
        result["warmup_cpu_s"] = round(ru.ru_utime + ru.ru_stime, 1)
        print(f"  patrol warmup (every kernel compiled into the warm cache): {result['warmup_cpu_s']:.1f} s CPU")
        for a in areas:
            for n in rosters:
                cold = None
                if n == args.cold_roster:
                    cold = run_case(a["folder"], n, tempfile.mkdtemp(prefix="numba-", dir=tmp), time_limit=limit)
                warm = run_case(a["folder"], n, warm_cache, time_limit=limit, check=True)
                cases.append({"factor": a["factor"], "area_km": a["area_km"], "roster": n, "cold": cold, "warm": warm})
                result["cases"] = cases
                save()
                for name, r in (("cold", cold), ("warm", warm)):
                    if r is None:
                        continue
                    print(f"  x{a['factor']:<4d} {n:6d} {name:5s} {_row(r):60s} | {r['process_cpu_s']:6.1f} "
                          f"{r['load']:5.1f}", flush=True)
                if not warm.get("valid", True):
                    print("  !! the checker finds the plan NOT VALID")
        if not args.quick and 16 in rosters:
            print(f"\nbaseline: one plan over the whole area (beats=1), 16 ambassadors, {limit:g} s time limit (warm)")
            base = []
            for a in areas:
                ours = next(c for c in cases if c["factor"] == a["factor"] and c["roster"] == 16)
                r = run_case(a["folder"], 16, warm_cache, beats=1, time_limit=limit, check=True)
                ratio = r["plan_cpu_s"] / max(ours["warm"]["plan_cpu_s"], 1e-9)
                mem = r["peak_rss_mb"] / max(ours["warm"]["peak_rss_mb"], 1e-9)
                base.append({"factor": a["factor"], "one_plan": r, "ratio_cpu": ratio, "ratio_rss": mem})
                result["baseline"] = base
                save()
                print(f"  x{a['factor']:<4d} {_row(r):60s} | one plan / default: CPU {ratio:.2f}, RSS {mem:.2f}; "
                      f"valid: {r.get('valid')}", flush=True)
    result["machine"]["load_end"] = os.getloadavg()
    print(f"\nload average at the end {'/'.join(f'{x:.1f}' for x in os.getloadavg())}")
    save()
    if args.plot:
        plot(result, Path(args.plot))
    return 0


def plot(result: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.2))
    rosters = sorted({c["roster"] for c in result["cases"]})
    colours = dict(zip(rosters, ["tab:blue", "tab:orange", "tab:green", "tab:red"], strict=False))
    for n in rosters:
        rows = sorted((c for c in result["cases"] if c["roster"] == n), key=lambda c: c["area_km"])
        km = [c["area_km"] for c in rows]
        ax1.plot(km, [c["warm"]["plan_cpu_s"] for c in rows], "o-", color=colours[n], label=f"{n} ambassadors, warm")
        cold = [(c["area_km"], c["cold"]["process_cpu_s"]) for c in rows if c["cold"]]
        if cold:
            ax1.plot([x for x, _ in cold], [y for _, y in cold], "s--", color=colours[n], alpha=0.6,
                     label=f"{n}, cold process (import + compile + plan)")
        ax2.plot(km, [c["warm"]["peak_rss_mb"] for c in rows], "o-", color=colours[n], label=f"{n} ambassadors")
    if result.get("baseline"):
        rows = sorted(result["baseline"], key=lambda b: b["factor"])
        km = [next(a["area_km"] for a in result["areas"] if a["factor"] == b["factor"]) for b in rows]
        ax1.plot(km, [b["one_plan"]["plan_cpu_s"] for b in rows], "x:", color="black",
                 label=f"16, one plan over the area ({result['time_limit_s']:g} s limit)")
    ax1.set_xlabel("streets in the patrol area (km)")
    ax1.set_ylabel("CPU seconds")
    ax1.set_title("Plan time")
    ax1.grid(alpha=0.3)
    ax1.legend(fontsize=7)
    ax2.set_xlabel("streets in the patrol area (km)")
    ax2.set_ylabel("peak RSS of the process (MB)")
    ax2.set_title("Peak memory (warm run)")
    ax2.set_ylim(bottom=0)
    ax2.grid(alpha=0.3)
    ax2.legend(fontsize=7)
    fig.suptitle(f"patrol plan on Uptown and larger areas (centreline), {result['started']}", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


if __name__ == "__main__":
    raise SystemExit(main())
