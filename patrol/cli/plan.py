"""``patrol plan``: daily patrol plans (``--day``, ``--week``), the independent ``patrol plan check``, re-plans
and ``patrol plan staffing``.

Before the search ``patrol plan`` prints the capacity bounds (what the roster has against the least each target
needs, and what no plan can do with it); while it plans it shows on stderr what it is doing in plain words and
how far it is (a line at least every :data:`HEARTBEAT_S` seconds when stderr is not a terminal).

Exit codes: 0 when every target is met, 1 when the plan was written (or checked) but a target is missed
(``staffing``: 0 when a roster meeting every target was found, 1 when none up to the largest tried does or a
target is out of reach of any roster), and the error's own code (:mod:`patrol.errors`) when nothing could be
planned or checked.  ``--program DIR`` plans every district of a program
(:mod:`patrol.cli.program`): 1 when any district misses a target.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from patrol.cli._common import add_district_arg, load_district_arg, print_json
from patrol.cli.program import plan_command, program_arg
from patrol.errors import InputError

if TYPE_CHECKING:
    from patrol.demand import IncidentHistory
    from patrol.planning.capacity import Capacity

__all__ = ["HEARTBEAT_S", "Progress", "register"]

#: Seconds without a word after which the progress says again what it is doing.
HEARTBEAT_S = 10.0

log = logging.getLogger(__name__)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("plan", help="plan the day's foot patrols, check a plan (patrol plan check FILE), "
                                    "or find the staffing the targets need (patrol plan staffing)",
                       description="Plan a shift: `patrol plan --day tue [--out DIR]`; a week: `patrol plan --week`; "
                                   "check a plan: `patrol plan check DIR/plan.json [--json]`; the smallest roster "
                                   "meeting every target: `patrol plan staffing [--confirm]`.")
    p.add_argument("action", nargs="?", choices=["check", "replan", "staffing"],
                   help="'check' to check a plan file; 'replan' to re-plan the rest of the day after dispatches; "
                        "'staffing' for the smallest roster meeting each target")
    p.add_argument("file", nargs="?", help="plan.json to check (with 'check')")
    rp = p.add_argument_group("re-plan (patrol plan replan --plan PLAN.json --db RECORD --at HH:MM)")
    rp.add_argument("--plan", default=None, metavar="PLAN.json", help="the day's current plan version")
    rp.add_argument("--db", default=None, metavar="RECORD",
                    help="the record (default: the district's, dispatch.db): the dispatches a re-plan starts from; "
                         "the special events a day plan places (of --date) and a check measures")
    rp.add_argument("--at", default=None, metavar="HH:MM", help="the re-plan's minute (default now)")
    rp.add_argument("--why", default="", help="why the day is re-planned (kept with the version)")
    rp.add_argument("--actor", default=None, help="who re-plans (kept with the version and in the audit trail)")
    add_district_arg(p)
    p.add_argument("--day", default=None, help="shift day (mon..sun; default: the first shift day)")
    p.add_argument("--date", default=None, help="ISO date of the day (GPX times; with --week: the week's Monday)")
    p.add_argument("--week", action="store_true", help="plan every shift day with the check-in rotation")
    p.add_argument("--out", default=None, help="output folder (default plans/<day>)")
    p.add_argument("--maps", default="maps", help="folder for the map (default maps/)")
    p.add_argument("--seed", type=int, default=None,
                   help="seed (varies hot-spot dwell times); default: derived from --date, else from the day, so "
                        "plans differ day to day and the same date always gives the same plan")
    p.add_argument("--time-limit", type=float, default=None,
                   help="wall-clock budget of each day's plan in seconds, area tours and every beat included "
                        "(default: none; the search stops at the first variant meeting every target); with "
                        "'staffing', of each confirming plan")
    p.add_argument("--beats", type=int, default=None,
                   help="plan the area in this many beats, joined into one plan (default: automatic, one plan up "
                        "to 25 km of streets in the area)")
    st = p.add_argument_group("staffing (patrol plan staffing [--day D] [--confirm] [--max N])")
    st.add_argument("--confirm", action=argparse.BooleanOptionalAction, default=None,
                    help="confirm the bounds' answer with plans, stepping up until one meets every target (default: "
                         "on when the area is planned in one piece, as Uptown; off for an area planned in beats)")
    st.add_argument("--max", type=int, default=None, dest="max_units", metavar="N",
                    help="the largest roster tried, in units (default: 4 x the bounds' answer, at least it + 10)")
    p.add_argument("--pairs", action="store_true", help="units of two ambassadors")
    roster = p.add_argument_group("today's roster (without editing district.toml)")
    roster.add_argument("--absent", default="", metavar="NAMES", help="ambassadors out today, e.g. amb5,amb7")
    roster.add_argument("--only", default="", metavar="NAMES", help="the only ones working today, e.g. lead,amb2,amb3")
    roster.add_argument("--start", action="append", default=[], metavar="NAME=HH:MM",
                        help="a late start, e.g. amb3=12:00 (repeat for several)")
    roster.add_argument("--end", action="append", default=[], metavar="NAME=HH:MM",
                        help="an early leave, e.g. amb6=16:00 (repeat for several)")
    roster.add_argument("--roster", default=None, metavar="FILE",
                        help="a day-roster file (TOML: absent = [...] or only = [...], pairs, [start], [end])")
    p.add_argument("--history", default=None, help="incident-history CSV for the hot spots (lat, lon, time, type)")
    p.add_argument("--history-columns", default=None,
                   help="column mapping, e.g. lat=centerLat,lon=centerLong,time=reportedDate,type=offense")
    p.add_argument("--own-settings", action="store_true",
                   help="with 'check': judge a what-if plan against the settings it was made with, not the "
                        "district's (the output says so)")
    p.add_argument("--json", action="store_true", help="print JSON")
    prog = p.add_argument_group("a program of several districts (patrol plan --program DIR --day DAY)")
    prog.add_argument("--program", type=program_arg, metavar="DIR",
                      help="plan every district of the program (program.toml) for the day, in parallel on Dask, "
                           "into OUT/<district>/, each checked; exit code 1 when any district misses a target")
    prog.add_argument("--workers", type=int, default=None, metavar="N",
                      help="local Dask workers (default: one per district)")
    prog.add_argument("--scheduler", default=None, metavar="tcp://HOST:8786", help="a running Dask scheduler")
    p.set_defaults(func=_run)


class Progress:
    """What the planner is doing, on stderr, in plain words and percent.

    On a terminal one line redrawn in place; otherwise (a log file, a pipe) a line when the words before the first
    ``:`` change or the percent has moved 5 points, and, from a watcher thread, the last words again with the
    seconds so far whenever :data:`HEARTBEAT_S` seconds pass without a line, so that no minute goes silent.
    """

    def __init__(self, stream: TextIO | None = None, *, heartbeat_s: float = HEARTBEAT_S):
        self.stream = stream if stream is not None else sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.heartbeat_s = float(heartbeat_s)
        self.started = self.last_line = time.perf_counter()
        self.words, self.percent, self.shown = "", 0, -100
        self.head: str | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._watch = threading.Thread(target=self._heartbeat, name="plan-progress", daemon=True)
        self._watch.start()

    def _emit(self, text: str) -> None:
        if self.tty:
            self.stream.write("\r" + text[:110].ljust(110))
        else:
            self.stream.write(text + "\n")
        self.stream.flush()
        self.last_line = time.perf_counter()

    def __call__(self, fraction: float, words: str) -> None:
        pct = int(100 * min(max(fraction, 0.0), 1.0))
        head = words.split(":")[0]
        with self._lock:
            self.words, self.percent = words, pct
            if self.tty or head != self.head or pct >= self.shown + 5:
                self.head, self.shown = head, pct
                self._emit(f"  {words} ({pct}%)")

    def _heartbeat(self) -> None:
        while not self._stop.wait(1.0):
            with self._lock:
                now = time.perf_counter()
                if self.words and now - self.last_line >= self.heartbeat_s:
                    self._emit(f"  {self.words} ({self.percent}%), {now - self.started:.0f} s so far")

    def close(self) -> None:
        self._stop.set()
        self._watch.join(timeout=5)
        if self.tty:
            with self._lock:
                self.stream.write("\r" + " " * 110 + "\r")
                self.stream.flush()


def _verdict_printer(enabled: bool, priority: tuple[str, ...] | None = None):
    """A ``verdict`` callback of :func:`plan_day` printing the capacity bounds before the search."""
    if not enabled:
        return None

    def show(cap: Capacity) -> None:
        print("capacity (bounds before the search):")
        for line in cap.lines(priority or ()):
            print(f"  {line}")
        if cap.impossible(priority or ()):
            print("  a short search follows: the roster cannot meet every target whatever the plan")
        sys.stdout.flush()

    return show


def _seed(args, day: str) -> int:
    """The explicit ``--seed``, else one derived from the date (or the day) so that the pattern varies."""
    if args.seed is not None:
        return int(args.seed)
    key = (args.date or day).encode()
    return int.from_bytes(hashlib.sha256(key).digest()[:4], "big") % 1_000_000


def _history(args: argparse.Namespace) -> IncidentHistory | None:
    if not args.history:
        return None
    from patrol.demand import load_incident_history  # the CLI imports what a verb needs when it runs

    cols = None
    if args.history_columns:
        try:
            cols = dict(kv.split("=", 1) for kv in args.history_columns.split(","))
        except ValueError as exc:
            raise InputError("--history-columns must look like lat=Y,lon=X,time=when,type=kind",
                             field="history_columns") from exc
    return load_incident_history(args.history, cols)


def _names(text: str) -> list[str]:
    return [n.strip() for n in text.split(",") if n.strip()]


def _times(items: list[str], flag: str) -> dict[str, str]:
    out = {}
    for item in items:
        name, sep, hhmm = item.partition("=")
        if not sep or not name.strip() or not hhmm.strip():
            raise InputError(f"--{flag} takes NAME=HH:MM (e.g. amb3=12:00), got {item!r}", field=flag)
        out[name.strip()] = hhmm.strip()
    return out


def _day_roster(args: argparse.Namespace, settings):
    """The day's roster from --roster FILE and the flags (the flags win), or None when nothing changes."""
    from patrol.planning.duties import day_roster, read_day_roster

    given = read_day_roster(args.roster) if args.roster else {}
    absent = _names(args.absent) or list(given.get("absent", []))
    only = _names(args.only) or list(given.get("only", []))
    start = {**given.get("start", {}), **_times(args.start, "start")}
    end = {**given.get("end", {}), **_times(args.end, "end")}
    pairs = True if args.pairs else given.get("pairs")
    if not (absent or only or start or end) and pairs is None:
        return None
    return day_roster(settings, absent=absent, only=only, start=start, end=end, pairs=pairs)


def _run(args: argparse.Namespace) -> int:
    if args.program:
        return plan_command(args)
    if args.action == "check":
        return _check(args)
    if args.action == "replan":
        return _replan(args)
    if args.action == "staffing":
        return _staffing(args)
    if args.file:
        raise InputError(f"unexpected argument {args.file!r} (did you mean `patrol plan check FILE`?)", field="file")
    from patrol.planning import plan_day, plan_week, write_outputs

    district = load_district_arg(args)
    history = _history(args)
    roster = _day_roster(args, district.settings)
    if args.week and roster is not None and not (roster.pairs and not roster.changes_people):
        raise InputError("today's roster (--absent, --only, --start, --end, --roster) is for one day: use --day",
                         field="week")
    report = None if args.json else Progress()
    verdict = _verdict_printer(not args.json and not args.week, district.settings.targets.priority)
    try:
        if args.week:
            plans = plan_week(district, seed=_seed(args, "week"), time_limit_s=args.time_limit,
                              pairs=args.pairs or None, history=history, progress=report, week_start=args.date)
        else:
            day = args.day or district.settings.shift.days[0]
            plans = {day: plan_day(district, day, date=args.date, seed=_seed(args, day), time_limit_s=args.time_limit,
                                   roster=roster, history=history, progress=report, verdict=verdict,
                                   beats=args.beats)}
    finally:
        if report is not None:
            report.close()
    plans = _with_events(args, district, plans)
    results = {}
    for day, plan in plans.items():
        out = Path(args.out) / day if (args.out and args.week) else Path(args.out or f"plans/{day}")
        data = plan.to_dict()
        paths = write_outputs(data, district, out, map_path=Path(args.maps) / f"plan-{day}.html")
        results[day] = {"out": str(out), "summary": data["summary"], "shortfalls": data["shortfalls"],
                        "events": data["events"],
                        "files": {k: [str(x) for x in v] if isinstance(v, list) else str(v) for k, v in paths.items()}}
    met = all(not r["shortfalls"] for r in results.values())
    if args.json:
        print_json(results if args.week else next(iter(results.values())))
        return 0 if met else 1
    for day, r in results.items():
        s = r["summary"]
        print(f"{day}: wrote {r['out']}/plan.json, routes.geojson, gpx/, sheets.html and {r['files'].get('map')}")
        print(f"  corridor max gap {s['corridor_max_gap_min']} min, area blocks unwalked {s['area_blocks_unvisited']}, "
              f"check-ins {s['businesses_checked']}/{s['businesses_due']}, hot-spot max gap "
              f"{s['hotspot_max_gap_min']} min, balance {s['balance_ratio']}, {s['seconds']} s")
        for ev in r["events"]:
            who = ", ".join(f"{x['unit']} {x['from']}-{x['to']}" for x in ev["stints"]) or "nobody"
            print(f"  event {ev['name']} ({ev['window'][0]}-{ev['window'][1]}, {ev['ambassadors']} wanted, "
                  f"{ev['mode']}): {who}")
        if r["shortfalls"]:
            print("  targets not met:")
            for x in r["shortfalls"]:
                print(f"   - {x['target']}: required {x['required']}, achieved {x['achieved']} ({x['detail']})")
        else:
            print("  all targets met (confirm with `patrol plan check`)")
    return 0 if met else 1


def _staffing(args: argparse.Namespace) -> int:
    """The smallest roster meeting each target: the bounds at once, then (with --confirm) plans to confirm."""
    from patrol.planning.staffing import plans_in_one_piece, staffing

    if args.file:
        raise InputError(f"unexpected argument {args.file!r}: patrol plan staffing [--day D] [--confirm]",
                         field="file")
    district = load_district_arg(args)
    day = args.day or district.settings.shift.days[0]
    confirm = args.confirm if args.confirm is not None else plans_in_one_piece(district, day)
    history = _history(args)
    report = None if args.json else Progress()
    try:
        st = staffing(district, day, confirm=confirm, max_units=args.max_units, seed=_seed(args, day),
                      time_limit_s=args.time_limit, history=history, progress=report)
    finally:
        if report is not None:
            report.close()
    code = 0 if st.answer is not None else 1
    if args.json:
        print_json(st.to_dict())
        return code
    unit = "pairs" if st.people_per_unit == 2 else "ambassadors"
    cap = st.capacity
    print(f"staffing for {day} on {district.name} (the roster now: {st.roster_units} {unit})")
    print("  the bounds (seconds, no plan; walking between duties left out): at least")
    names = {"corridor": "corridor", "hotspots": "hot spots", "checkins": "check-ins", "area": "area",
             "on_street": "on the street", "all": "every target together"}
    for target, n in st.needed.items():
        if target not in names:
            continue
        why = cap.never.get(target, "")
        print(f"    {names[target]:22s} {'no roster: ' + why if n is None else f'{n} {unit if n != 1 else unit[:-1]}'}")
    for line in cap.lines(district.settings.targets.priority)[1:-1]:
        print(f"      {line}")
    if st.trials:
        print("  plans to confirm (each judged by the independent checker):")
        for t in st.trials:
            print(f"    {t.units:3d} {unit}: {'every target met' if t.met else 'missed ' + ', '.join(t.missed)}"
                  f"{'' if t.valid else ' (NOT VALID)'}{f', {t.beats} beats' if t.beats > 1 else ''}"
                  f" ({t.cpu_s:.0f} s CPU)")
    if st.answer is None:
        if st.needed["all"] is None:
            print("  answer: no roster meets every target on this area (a target is out of reach of the base)")
        else:
            print(f"  answer: no roster up to {st.max_units} {unit} met every target in a plan")
    elif st.confirmed:
        print(f"  answer: {st.answer} {unit} (a plan meets every target; the bounds say at least {st.needed['all']})")
    else:
        print(f"  answer: at least {st.answer} {unit} by the bounds; add --confirm to plan at that size and step "
              "up until a plan meets every target")
    return code


def _with_events(args: argparse.Namespace, district, plans: dict) -> dict:
    """The plans with the special events of their dates placed on them: the events of ``--db`` (default: the
    district's record, when it exists); a plan without a date has none."""
    from patrol.events import events_on
    from patrol.planning.event_duty import plan_events

    path = Path(args.db or district.settings.dispatch.db)
    if args.db is None and not path.exists():
        return plans
    out = {}
    for day, plan in plans.items():
        events = events_on(district, path, plan.date) if plan.date else []
        if not plan.date and args.db is not None:
            log.warning("%s: no --date, so no events from %s are placed", day, path)
        out[day] = plan_events(district, plan, events) if events else plan
    return out


def _check(args: argparse.Namespace) -> int:
    if not args.file:
        raise InputError("give the plan to check: patrol plan check DIR/plan.json", field="file")
    path = Path(args.file)
    if path.is_dir():
        path = path / "plan.json"
    from patrol.district import district_for_plan
    from patrol.planning import check_plan
    from patrol.timeline import read_plan_file

    plan = read_plan_file(path)
    district = district_for_plan(plan, args.district)
    events = None
    if args.db is not None:  # the record's events of the plan's date, not those the plan lists
        from patrol.events import events_on

        events = events_on(district, args.db, plan["date"]) if plan.get("date") else []
    result = check_plan(plan, district, own_settings=args.own_settings, events=events)
    if args.json:
        print_json(result)
    else:
        print(f"{path}: {'all targets met' if result['all_targets_met'] else 'targets NOT all met'}")
        print(f"  judged against {result['judged_against']}")
        for d in result["settings_differences"][:10]:
            print(f"  setting: {d}")
        for p in result["roster_problems"][:10]:
            print(f"  roster: {p}")
        print(f"  {'target':28s} {'required':>24s} {'achieved':>12s}")
        for row in result["targets"]:
            mark = "ok " if row["met"] else "NO " if row["counted"] else "-- "
            note = "" if row["counted"] else "   reported, not required (targets.ready_required)"
            print(f"  {mark}{row['target']:25s} {row['required']!s:>24s} {row['achieved']!s:>12s}{note}")
        for p in result["problems"][:10]:
            print(f"  problem: {p}")
        for p in result["break_problems"][:10]:
            print(f"  break: {p}")
        for c in result["checkins_outside_hours"][:10]:
            print(f"  check-in: {c['walker']} {c['time']} {c['business']}: {c['problem']}")
        for e in result["event_presence"]:
            print(f"  event: {e['name']} {e['window'][0]}-{e['window'][1]}: {e['required']} wanted, at least "
                  f"{e['least_present']} there, {e['minutes_short']} min short")
    return 0 if result["all_targets_met"] else 1


def _replan(args: argparse.Namespace) -> int:
    """A new version of the day's plan from ``--at`` on, after the dispatches the record holds."""
    from patrol.dispatch.clock import local_minute, local_moment
    from patrol.dispatch.diversions import replan_from_record
    from patrol.dispatch.record import Record
    from patrol.district import district_for_plan
    from patrol.planning import write_outputs
    from patrol.timeline import read_plan_file

    if not args.plan:
        raise InputError("give the day's plan: patrol plan replan --plan PLAN.json --db RECORD --at HH:MM",
                         field="plan")
    plan = read_plan_file(args.plan)
    district = district_for_plan(plan, args.district)
    tz = district.settings.district.timezone
    moment = local_moment(args.at, tz, on=plan.get("date"))
    record = Record(Path(args.db or district.settings.dispatch.db), actor=args.actor, must_exist=True)
    try:
        day = str(plan.get("date") or plan.get("day"))
        if not record.plan_versions(day):  # keep the version re-planned from, once
            record.add_plan_version(plan, path=str(Path(args.plan).resolve()), why="the plan re-planned from")
        new = replan_from_record(record, district, plan, moment, by=record.actor, why=args.why)
        data = new.to_dict()
        out = Path(args.out) if args.out else Path(args.plan).parent
        out.mkdir(parents=True, exist_ok=True)
        (out / f"plan.v{data['version']}.json").write_text(json.dumps(data, default=str), encoding="utf-8")
        write_outputs(data, district, out, map_path=Path(args.maps) / f"plan-{data['day']}.html")
        record.add_plan_version(data, minute=local_minute(moment, tz), why=args.why, path=str((out / "plan.json")
                                                                                              .resolve()))
    finally:
        record.close()
    rp = data["summary"]["replan"]
    if args.json:
        print_json({"out": str(out), "version": data["version"], "replan": rp, "shortfalls": data["shortfalls"]})
    else:
        print(f"version {data['version']} of the plan for {data.get('date') or data['day']} from {args.at or 'now'}: "
              f"{out}/plan.json")
        print(f"  changed: {', '.join(rp['changed_units']) or 'nobody (no dispatch since the last version)'}; "
              f"{rp['unchanged_share']:.0%} of the remaining steps kept")
        for s in data["shortfalls"]:
            print(f"   - {s['target']}: required {s['required']}, achieved {s['achieved']} ({s['why']})")
    return 0 if not data["shortfalls"] else 1
