"""What a special event costs a day's plan (docs/events.md): the Art fair example placed on Saturday's plan.

Plans Saturday 6 June 2026 on the embedded Uptown district (seed 0), places the example event (Hennepin &
Lagoon, 120 m, 12:00-15:00 with 30 min set-up and dispersal, 2 ambassadors; ``--presence dwell|loop``) with
:func:`patrol.planning.plan_events`, and prints each figure without and with the event, the stints, the
event's presence as the independent checker measures it, and the CPU seconds of the plan and of placing the
event (``time.process_time``).

    .venv/bin/python scripts/bench_events.py [--presence loop] [--seed 0] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import time

from patrol.district import load_district
from patrol.events import new_event
from patrol.planning import check_plan, plan_day, plan_events

DATE = "2026-06-06"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--presence", choices=["dwell", "loop"], default="dwell")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", default=None, metavar="FILE")
    args = ap.parse_args()
    district = load_district()
    load = os.getloadavg()
    t = time.process_time()
    day = plan_day(district, "sat", date=DATE, seed=args.seed)
    plan_s = time.process_time() - t
    event = new_event(district, name="Art fair", place="Hennepin & Lagoon", radius_m=120, start=f"{DATE} 12:00",
                      end="15:00", ambassadors=2, presence=args.presence, before_min=30, after_min=30, crowd=900,
                      info="Free water at the library")
    t = time.process_time()
    placed = plan_events(district, day, [event])
    events_s = time.process_time() - t
    data = placed.to_dict()
    checked = check_plan(data, district)
    out = {"seed": args.seed, "presence": args.presence, "plan_cpu_s": round(plan_s, 2),
           "events_cpu_s": round(events_s, 2), "load_before": [round(x, 2) for x in load],
           "cost": data["summary"]["events"]["cost"], "stints": data["events"][0]["stints"],
           "checker_event_presence": checked["event_presence"]}
    print(f"{'figure':28s} {'without':>10s} {'with':>10s}")
    for k, v in out["cost"].items():
        if k != "targets_not_met":
            print(f"{k:28s} {v['without']!s:>10s} {v['with']!s:>10s}")
    print("targets not met with the event:", ", ".join(out["cost"]["targets_not_met"]["with"]) or "none")
    print("stints:", "; ".join(f"{s['unit']} {s['from']}-{s['to']}" for s in out["stints"]))
    print("presence by the checker:", out["checker_event_presence"])
    print(f"CPU: plan {plan_s:.1f} s, placing the event {events_s:.1f} s (load average before {load[0]:.2f})")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
