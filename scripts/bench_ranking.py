"""Benchmark the CPU cost of one dispatcher ranking: ``Desk.rank(...).to_dict()`` and its pieces.

The embedded Uptown district with a Tuesday plan, a record on a file (WAL) holding one fresh ping per
ambassador (8), seeded random incident points on the district's streets, at 14:00 local time.  Measured with
``time.thread_time`` (CPU of this thread, so other processes on a shared machine count little):

* cold: the first ranking in the process (it builds the walking network and the plan's costs);
* warm: the median of ``--n`` rankings (each a millisecond after the last, at another place), and the same for
  the pieces: the situation (duty, positions), the plan costs of the 8 units, ``Ranking.to_dict``; the figures
  take turns in rounds, so a busy spell of a shared machine falls on all of them alike.

Baseline in the same run: the straightforward corridor cost (take the unit's passes overlapping the busy window
out, sort each block's remaining passes, find its longest gap), timed beside ``PlanCosts.cost`` (which also
costs the check-ins and breaks) on the same windows; both must give the same corridor blocks.

Usage::

    nice .venv/bin/python scripts/bench_ranking.py [--plan plan.json] [--n 500] [--seed 1]

Without ``--plan`` the Tuesday plan is made first (``plan_day``, about 40 s).
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from patrol.dispatch import Desk, Ranking, Record
from patrol.dispatch.clock import local_minute, local_moment
from patrol.dispatch.cost import CorridorGap, PlanCosts
from patrol.dispatch.roster import plan_units
from patrol.district import District, load_district
from patrol.geocode import Location
from patrol.planning.plan import plan_day
from patrol.timeline import Pass, Timeline, read_plan_file

TOL = 1e-3  # minutes: the busy-window test of patrol.dispatch.cost


def load_plan(district: District, path: str | None) -> tuple[Timeline, dict[str, list[str]] | None]:
    """The Tuesday plan: read from ``path``, or made now."""
    if path:
        plan = read_plan_file(path)
        return Timeline.from_dict(plan["timeline"]), plan_units(plan)
    made = plan_day(district, "tue", seed=0)
    return made.timeline(), plan_units(made.to_dict())


def brute_corridor(costs: PlanCosts, passes: dict[int, list[Pass]], walker: str, at_min: float,
                   until: float) -> tuple[CorridorGap, ...]:
    """The corridor blocks a dispatch pushes over target, the straightforward way (the baseline)."""
    r = costs.rules
    lo, hi = r.shift[0] + r.first_visit_min - r.revisit_min, r.shift[1]
    lost = [p for b in costs.corridor for p in passes.get(b, [])
            if p.walker == walker and p.t_start < until - TOL and p.t_end > at_min + TOL]
    gone = {id(p) for p in lost}
    out = []
    for b in sorted({p.block for p in lost}):
        pts = [lo, *sorted(p.t_end for p in passes[b] if id(p) not in gone), hi]
        gap, j = max((pts[i + 1] - pts[i], -i) for i in range(len(pts) - 1))
        planned = costs.planned_gap(b)
        if gap > r.revisit_min + TOL and gap > planned + TOL:
            out.append(CorridorGap(b, costs.corridor[b], planned, float(gap), float(pts[-j]), float(pts[1 - j])))
    return tuple(out)


def cpu_ms(jobs: dict[str, Callable[[], object]], n: int, rounds: int = 10) -> dict[str, float]:
    """Median CPU milliseconds of ``n`` calls of each job, the jobs taking turns in ``rounds`` rounds (so a busy
    spell of a shared machine falls on all of them alike), after 20 unmeasured calls each."""
    samples: dict[str, list[float]] = {name: [] for name in jobs}
    for fn in jobs.values():
        for _ in range(20):
            fn()
    for _ in range(rounds):
        for name, fn in jobs.items():
            for _ in range(max(n // rounds, 1)):
                t0 = time.thread_time()
                fn()
                samples[name].append(time.thread_time() - t0)
    return {name: statistics.median(s) * 1000.0 for name, s in samples.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--plan", help="a Tuesday plan.json (default: plan one now)")
    ap.add_argument("--n", type=int, default=500, help="warm calls per figure")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    district = load_district()
    timeline, units = load_plan(district, args.plan)
    tz = district.settings.district.timezone
    moment = local_moment("14:00", tz, on="2026-06-02")  # a Tuesday
    minute = local_minute(moment, tz)
    with tempfile.TemporaryDirectory() as tmp:
        record = Record(str(Path(tmp) / "bench.db"))
        desk = Desk(district, record=record, timeline=timeline, units=units)
        geo = district.geocoder
        a = district.arrays
        blocks = [int(b) for b in range(len(a.edge_length)) if a.edge_in_area[b]]

        def point() -> Location:
            b = rng.choice(blocks)
            off = rng.uniform(0.0, float(a.edge_length[b]))
            lat, lon = geo.point_on_block(b, off)
            return Location(lat=lat, lon=lon, block=b, offset_m=off, matched=f"block {b}", kind="point", in_area=True)

        for name in district.settings.roster.ambassador_names():
            p = point()
            record.add_ping(name, p.lat, p.lon, t=moment.timestamp() - 60.0, block=p.block, offset_m=p.offset_m)
        places = [point() for _ in range(64)]
        k = iter(range(10**9))

        def rank_at_next() -> Ranking:
            """A ranking at the next random place, a millisecond later than the last (the clock moves on; the pings
            stay fresh)."""
            i = next(k)
            return desk.rank(places[i % len(places)], when=moment + timedelta(seconds=0.001 * i))

        t0 = time.thread_time()
        rank_at_next().to_dict()
        cold = (time.thread_time() - t0) * 1000.0
        costs = desk.plan_costs
        assert costs is not None
        ranking = desk.rank(places[0], when=moment)
        jobs = [(desk.plan_walker(desk.unit(c.ambassador)), c.eta_min or 0.0) for c in ranking.ranked]
        walkers = [(w, eta) for w, eta in jobs if w is not None]
        on_scene = desk.settings.dispatch.on_scene(None)
        passes = timeline.passes(a.edge_length)
        windows = [(w, minute + rng.uniform(-240.0, 180.0), eta) for w, eta in walkers for _ in range(25)]
        for w, at, eta in windows:
            assert costs.cost(w, at, eta, on_scene).corridor == brute_corridor(costs, passes, w, at,
                                                                               at + eta + on_scene)
        made = [rank_at_next() for _ in range(200)]
        figures = {"rank + to_dict, cold (first call)": cold}
        figures.update(cpu_ms({
            "rank + to_dict, warm": lambda: rank_at_next().to_dict(),
            "rank (no to_dict)": rank_at_next,
            "situation": lambda: desk.situation(moment + timedelta(seconds=0.001 * next(k))),
            f"plan costs of the {len(walkers)} units": lambda: [costs.cost(w, minute, eta, on_scene)
                                                                 for w, eta in walkers],
            "Ranking.to_dict (200 rankings in turn)": lambda: made[next(k) % len(made)].to_dict(),
            f"baseline: brute-force corridor of the {len(walkers)} units": lambda: [
                brute_corridor(costs, passes, w, minute, minute + eta + on_scene) for w, eta in walkers],
        }, args.n))
        fast, brute = figures[f"plan costs of the {len(walkers)} units"], \
            figures[f"baseline: brute-force corridor of the {len(walkers)} units"]
    print(f"machine: {platform.node()} {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}; load average {os.getloadavg()[0]:.2f}")
    print(f"plan: {args.plan or 'plan_day(uptown, tue, seed=0)'}; {len(windows)} random busy windows: corridor "
          "blocks identical to the brute force")
    for name, ms in figures.items():
        print(f"  {name:55s} {ms:8.3f} ms CPU")
    print(f"  brute-force corridor / PlanCosts.cost (check-ins and breaks too): {brute / fast:.1f}x")


if __name__ == "__main__":
    main()
