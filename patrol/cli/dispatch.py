"""``patrol dispatch`` (who is nearest?) and ``patrol incident ...`` (the incident record).

Both are thin shells over :class:`patrol.dispatch.Desk` and :class:`patrol.dispatch.Record`.
Times given as ``HH:MM`` are local to the district (``district.timezone``) on ``--date`` (default
today); an ISO-8601 time is taken as given.  Writes are attributed to ``--actor`` (default
``cli:<user>``).
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from patrol.cli._common import add_district_arg, load_district_arg, print_json
from patrol.errors import InputError

__all__ = ["register"]

_HHMM = re.compile(r"^\d{1,2}:\d{2}$")


# ---------------------------------------------------------------------------------------- parsers
def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("dispatch", help="rank the available ambassadors by walking time to an incident location")
    p.add_argument("--at", required=True, metavar="TEXT",
                   help='incident location: "W Lake St & Girard Ave S", "Lake & Girard", a place, or "lat,lon"')
    _add_time(p)
    p.add_argument("--plan", metavar="PLAN.json", help="the day's plan (positions when pings are missing or stale)")
    _add_db(p, help_extra=" (read only; used when the file exists)")
    p.add_argument("--type", dest="incident_type", metavar="TYPE",
                   help="incident type: its expected minutes on scene (dispatch.on_scene_min) size the cost to the "
                        "plan (default: the 'other' entry)")
    p.add_argument("--cost-tolerance", type=float, metavar="S",
                   help="seconds within the nearest ETA where a unit costing the plan less ranks first "
                        "(default dispatch.cost_tolerance_s; 0 = by ETA only)")
    p.add_argument("--top", type=int, default=3, metavar="N", help="routes for the best N (default 3)")
    p.add_argument("--map", metavar="FILE", help="also write a folium map of the recommendation")
    add_district_arg(p)
    p.add_argument("--json", action="store_true", help="print the ranking as a JSON list")
    p.set_defaults(func=_dispatch)

    inc = sub.add_parser("incident", help="the incident record: new, assign, update, close, list, show, ...")
    isub = inc.add_subparsers(dest="incident_command", metavar="VERB", required=True)

    new = _verb(isub, "new", "record a new incident (geocoded)")
    new.add_argument("--at", required=True, metavar="TEXT", help="location text (anything the geocoder accepts)")
    new.add_argument("--type", required=True, help="incident type (the program's list, or 'other')")
    new.add_argument("--source", default="phone", help="phone, camera, 911, 311, walk-up, patrol (default phone)")
    new.add_argument("--priority", default="normal", help="low, normal, high, urgent (default normal)")
    new.add_argument("--notes", default="", help="free text")
    new.add_argument("--received", metavar="TIME", help="when the call came in (default: --time)")
    new.set_defaults(func=_new)

    asg = _verb(isub, "assign", "assign a unit (default: the top of the ranking) and record its ETA")
    asg.add_argument("id", type=int, help="incident id")
    asg.add_argument("ambassador", nargs="?", help="ambassador or unit (default: the nearest available)")
    asg.add_argument("--plan", metavar="PLAN.json", help="the day's plan (positions when pings are stale)")
    asg.add_argument("--eta", type=float, metavar="MIN", help="ETA given, minutes (default: computed)")
    asg.add_argument("--note", default="")
    asg.set_defaults(func=_assign)

    upd = _verb(isub, "update", "move an incident along its life cycle, record outcomes, add notes")
    upd.add_argument("id", type=int, help="incident id")
    upd.add_argument("--status", help="new, en route, on scene, resolved, closed ('assigned': use assign)")
    upd.add_argument("--note", default="", help="note on the status change (or appended to the notes)")
    upd.add_argument("--priority")
    upd.add_argument("--type")
    _add_outcome_args(upd)
    upd.set_defaults(func=_update)

    cls = _verb(isub, "close", "record outcomes/actions and close (on scene goes through resolved)")
    cls.add_argument("id", type=int, help="incident id")
    cls.add_argument("--note", default="")
    _add_outcome_args(cls)
    cls.set_defaults(func=_close)

    ls = _verb(isub, "list", "list incidents, newest first")
    ls.add_argument("--status")
    ls.add_argument("--open", action="store_true", help="only open incidents (new .. on scene)")
    ls.add_argument("--limit", type=int, default=50)
    ls.set_defaults(func=_list)

    show = _verb(isub, "show", "one incident with assignments, status history, outcomes and audit trail")
    show.add_argument("id", type=int, help="incident id")
    show.set_defaults(func=_show)

    ping = _verb(isub, "ping", "record a position ping of an ambassador (snapped to the streets)")
    ping.add_argument("ambassador")
    ping.add_argument("latlon", metavar="LAT,LON")
    ping.add_argument("--accuracy", type=float, metavar="M", help="GPS accuracy in metres")
    ping.set_defaults(func=_ping)

    duty = _verb(isub, "duty", "record a duty status change: on-shift, break, busy, off")
    duty.add_argument("ambassador")
    duty.add_argument("status", help="on-shift | break | busy | off")
    duty.add_argument("--note", default="")
    duty.set_defaults(func=_duty)

    log = _verb(isub, "log", "log an ambassador's interaction (business check-in, referral, hazard ...)")
    log.add_argument("ambassador")
    log.add_argument("type", help="interaction type (patrol.vocab.INTERACTION_TYPES)")
    log.add_argument("--referral", metavar="TYPE", help="referral type, for type 'referral'")
    log.add_argument("--business")
    log.add_argument("--incident", type=int, metavar="ID")
    log.add_argument("--where", metavar="TEXT", help="location (geocoded)")
    log.add_argument("--notes", default="")
    log.add_argument("--material", action="append", default=[], metavar="ID[:COUNT]",
                     help="a written material handed out (the district's materials.toml; repeatable)")
    log.set_defaults(func=_log)

    aud = _verb(isub, "audit", "the audit trail (oldest first)")
    aud.add_argument("--entity", help="incident, assignment, outcome, interaction, ping, duty")
    aud.add_argument("--entity-id", type=int)
    aud.add_argument("--limit", type=int)
    aud.set_defaults(func=_audit)


def _verb(isub, name: str, help: str) -> argparse.ArgumentParser:
    p = isub.add_parser(name, help=help)
    _add_db(p)
    _add_time(p)
    p.add_argument("--actor", help="who makes the change (default cli:<user>)")
    add_district_arg(p)
    p.add_argument("--json", action="store_true", help="print JSON")
    return p


def _add_db(p: argparse.ArgumentParser, help_extra: str = "") -> None:
    p.add_argument("--db", metavar="PATH", help=f"the record's SQLite file (default: the district's dispatch.db)"
                   f"{help_extra}")


def _add_time(p: argparse.ArgumentParser) -> None:
    p.add_argument("--time", metavar="HH:MM", help="local time (default now), or an ISO-8601 time")
    p.add_argument("--date", metavar="YYYY-MM-DD", help="local date for --time (default today)")


def _add_outcome_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--outcome", action="append", default=[], help="an outcome (repeatable)")
    p.add_argument("--action", action="append", default=[], help="an action taken (repeatable)")
    p.add_argument("--referral", action="append", default=[], metavar="TYPE", help="a referral by type (repeatable)")


# ---------------------------------------------------------------------------------------- helpers
def _moment(args, district):
    from patrol.dispatch.clock import local_moment, parse_time

    text = getattr(args, "time", None)
    if text and not _HHMM.match(text.strip()):
        return parse_time(text, field="time")
    return local_moment(text, district.settings.district.timezone, on=getattr(args, "date", None))


def _db_path(args, district) -> Path:
    return Path(args.db or district.settings.dispatch.db)


def _open_record(args, district, *, read_only: bool = False):
    from patrol.dispatch.record import Record

    return Record(_db_path(args, district), actor=getattr(args, "actor", None), must_exist=read_only)


def _district_and_plan(args):
    """The district (``--district``, else the plan's own) and the plan's content (``--plan``), refusing a plan
    made for other streets."""
    from patrol.district import district_for_plan
    from patrol.timeline import read_plan_file

    path = getattr(args, "plan", None)
    if not path:
        return load_district_arg(args), None
    plan = read_plan_file(path)
    return district_for_plan(plan, getattr(args, "district", None)), plan


def _plan_of(args, district):
    """The content of ``--plan`` (None without it), refused when made for another district's streets."""
    from patrol.district import check_plan_district
    from patrol.timeline import read_plan_file

    if not getattr(args, "plan", None):
        return None
    plan = read_plan_file(args.plan)
    check_plan_district(plan, district)
    return plan


def _desk(district, record, plan):
    from patrol.dispatch.desk import Desk
    from patrol.dispatch.roster import plan_units
    from patrol.timeline import Timeline

    if plan is None:
        return Desk(district, record=record)
    return Desk(district, record=record, timeline=Timeline.from_dict(plan["timeline"]), units=plan_units(plan))


def _fmt(v, digits=1):
    return "-" if v is None else f"{v:.{digits}f}"


# ---------------------------------------------------------------------------------------- dispatch
def _dispatch(args: argparse.Namespace) -> int:
    from patrol.dispatch.record import Record

    district, plan = _district_and_plan(args)
    when = _moment(args, district)
    db = _db_path(args, district)
    record = None
    if db.is_file():
        record = Record(db, actor=None)
    elif args.db:
        raise InputError(f"no record at {db}", field="db")
    if record is None and not args.plan:
        raise InputError("no positions: no record of pings (--db, default "
                         f"{district.settings.dispatch.db}) and no plan (--plan PLAN.json)", field="positions")
    try:
        desk = _desk(district, record, plan)
        kind = None
        if args.incident_type:
            from patrol.vocab import INCIDENT_TYPES, check_choice

            kind = check_choice(args.incident_type, INCIDENT_TYPES, "type")
        ranking = desk.rank(args.at, when=when, top_routes=max(args.top, 0), incident_type=kind,
                            cost_tolerance_s=args.cost_tolerance)
    finally:
        if record is not None:
            record.close()
    if args.map:
        _write_map(district, ranking, args.map)
    if args.json:
        print_json(ranking.to_list())
        if ranking.message:
            print(f"patrol: {ranking.message}", file=sys.stderr)
        return 0
    loc = ranking.location
    from patrol.settings import format_hhmm

    print(f"Incident at {loc['matched']} (block {loc['block']}, {loc['offset_m']:.0f} m)  "
          f"{format_hhmm(ranking.minute)} local" + ("" if ranking.in_area else "  [OUTSIDE the patrol area]"))
    if ranking.message:
        print(f"  note: {ranking.message}")
    with_cost = any(c.cost is not None for c in ranking.candidates)
    if with_cost:
        rule = (f"a unit within {ranking.cost_tolerance_s:g} s of the nearest ranks first when it costs less"
                if ranking.cost_tolerance_s > 0 else "ranked by ETA")
        print(f"  cost to the plan: busy for the walk + {ranking.on_scene_min:g} min on scene "
              f"({ranking.incident_type or 'other'}); {rule}")
    wide = max([8, *(len(c.ambassador) for c in ranking.candidates)])
    costs = [("-" if c.cost is None else c.cost.summary()) for c in ranking.candidates]
    cwide = max([len("cost to the plan"), *(len(x) for x in costs)]) if with_cost else 0
    head = f" {'cost to the plan':<{cwide}}" if with_cost else ""
    print(f"  {'#':>2}  {'unit':<{wide}} {'status':<9} {'ETA min':>7} {'metres':>7}{head}  position")
    for c, cost in zip(ranking.candidates, costs, strict=True):
        pos = "-" if c.position is None else (c.position.source + (f", {c.position.age_min:.0f} min old"
                                                                  if c.position.age_min is not None else ""))
        if c.incident_id is not None:
            pos += f", incident {c.incident_id}"
        extra = f"  ({c.reason})" if c.reason and c.reason != c.status else ""
        col = f" {cost:<{cwide}}" if with_cost else ""
        print(f"  {c.rank or '':>2}  {c.ambassador:<{wide}} {c.status:<9} {_fmt(c.eta_min):>7} "
              f"{_fmt(c.distance_m, 0):>7}{col}  {pos}{extra}")
        if c.route is not None:
            print(f"      via {' -> '.join(c.route.streets)}")
    if args.map:
        print(f"  map: {args.map}")
    return 0


def _write_map(district, ranking, path: str) -> None:
    import folium

    from patrol.maps import PALETTE, add_base, add_streets, new_map, save_map

    m = new_map(district, title=f"Dispatch: {ranking.location['matched']}")
    add_streets(m, district, highlight_corridor=False)
    add_base(m, district)
    for i, c in enumerate(ranking.ranked):
        if c.route is not None:
            folium.PolyLine([(lat, lon) for lon, lat in c.route.coordinates], color=PALETTE[i % len(PALETTE)],
                            weight=6 - min(i, 3), opacity=0.85,
                            tooltip=f"#{c.rank} {c.ambassador}: {c.eta_min:.1f} min").add_to(m)
    for c in ranking.candidates:
        if c.position is None:
            continue
        color = "#2e7d32" if c.rank is not None else "#9e9e9e"
        label = f"#{c.rank} " if c.rank else ""
        eta = f"{c.eta_min:.1f} min" if c.eta_min is not None else "unreachable"
        folium.CircleMarker([c.position.lat, c.position.lon], radius=7, color=color, fill=True, fill_opacity=0.9,
                            tooltip=f"{label}{c.ambassador} ({c.status}, {c.position.source}): {eta}").add_to(m)
    loc = ranking.location
    folium.CircleMarker([loc["lat"], loc["lon"]], radius=10, color="#b71c1c", weight=3, fill=True,
                        fill_color="#f44336", fill_opacity=1, tooltip=f"incident: {loc['matched']}").add_to(m)
    save_map(m, path)


# ---------------------------------------------------------------------------------------- incident verbs
def _with_record(args, fn, *, read_only: bool = False):
    """``fn(district, record)`` with the record open; a read-only command refuses a missing record."""
    district = _district_and_plan(args)[0] if getattr(args, "plan", None) else load_district_arg(args)
    record = _open_record(args, district, read_only=read_only)
    try:
        return fn(district, record)
    finally:
        record.close()


def _print_incident(inc, as_json: bool) -> None:
    if as_json:
        print_json(inc.to_dict())
        return
    where = inc.matched or inc.location_text
    flag = "" if inc.in_area in (None, True) else " [outside the patrol area]"
    print(f"incident {inc.id}: {inc.status}  {inc.type} ({inc.priority}, {inc.source})  at {where}{flag}")


def _new(args: argparse.Namespace) -> int:
    def run(district, record):
        from patrol.dispatch.desk import Desk

        when = _moment(args, district)
        received = None
        if args.received:
            args_time = argparse.Namespace(time=args.received, date=args.date)
            received = _moment(args_time, district)
        inc = Desk(district, record=record).new_incident(
            args.at, type=args.type, source=args.source, priority=args.priority, notes=args.notes,
            received_at=received, when=when)
        _print_incident(inc, args.json)
        return 0

    return _with_record(args, run)


def _assign(args: argparse.Namespace) -> int:
    def run(district, record):
        desk = _desk(district, record, _plan_of(args, district))
        a = desk.assign(args.id, args.ambassador, when=_moment(args, district), note=args.note, eta_min=args.eta)
        if args.json:
            print_json(a.to_dict())
        else:
            eta = "" if a.eta_min is None else f", ETA {a.eta_min:.1f} min"
            if a.distance_m is not None:
                eta += f" ({a.distance_m:.0f} m" + (", estimated position)" if a.estimated else ")")
            print(f"incident {a.incident_id}: assigned {a.ambassador}{eta}")
        return 0

    return _with_record(args, run)


def _update(args: argparse.Namespace) -> int:
    def run(district, record):
        when = _moment(args, district)
        did = False
        if args.priority or args.type or (args.note and not args.status):
            record.update_incident(args.id, notes=None if args.status else args.note, priority=args.priority,
                                   type=args.type, at=when)
            did = True
        if args.outcome or args.action or args.referral:
            record.add_outcome(args.id, outcomes=args.outcome, actions=args.action, referrals=args.referral,
                               note=args.note, at=when)
            did = True
        if args.status:
            record.set_status(args.id, args.status, note=args.note, at=when)
            did = True
        if not did:
            raise InputError("nothing to update: give --status, --outcome/--action/--referral, --note, --priority "
                             "or --type", field="update")
        _print_incident(record.get_incident(args.id), args.json)
        return 0

    return _with_record(args, run)


def _close(args: argparse.Namespace) -> int:
    def run(district, record):
        inc = record.close_incident(args.id, outcomes=args.outcome, actions=args.action, referrals=args.referral,
                                    note=args.note, at=_moment(args, district))
        _print_incident(inc, args.json)
        return 0

    return _with_record(args, run)


def _list(args: argparse.Namespace) -> int:
    def run(district, record):
        items = record.list_incidents(status=args.status, open_only=args.open, limit=args.limit)
        if args.json:
            print_json([i.to_dict() for i in items])
            return 0
        if not items:
            print("no incidents")
        for inc in items:
            print(f"{inc.id:>5}  {inc.received_at[:16].replace('T', ' ')}Z  {inc.status:<9} {inc.type:<24} "
                  f"{inc.priority:<7} {inc.matched or inc.location_text}")
        return 0

    return _with_record(args, run, read_only=True)


def _show(args: argparse.Namespace) -> int:
    def run(district, record):
        detail = record.incident_detail(args.id)
        if args.json:
            print_json(detail)
            return 0
        inc = record.get_incident(args.id)
        _print_incident(inc, False)
        print(f"  received {inc.received_at}  by {inc.created_by}")
        if inc.notes:
            print(f"  notes: {inc.notes}")
        for a in detail["assignments"]:
            print(f"  assignment {a['ambassador']}: at {a['assigned_at']}, ETA {_fmt(a['eta_min'])} min, "
                  f"arrived {a['arrived_at'] or '-'}, cleared {a['cleared_at'] or '-'}")
        for o in detail["outcomes"]:
            print(f"  {o['kind']}: {o['value']}")
        print("  audit trail:")
        for e in detail["audit"]:
            print(f"    {e['at']}  {e['actor']:<18} {e['action']:<7} {e['entity']} {e['entity_id']}  {e['data']}")
        return 0

    return _with_record(args, run, read_only=True)


def _ping(args: argparse.Namespace) -> int:
    def run(district, record):
        from patrol.dispatch.desk import Desk

        try:
            lat, lon = (float(x) for x in args.latlon.split(","))
        except ValueError as exc:
            raise InputError(f"{args.latlon!r} is not LAT,LON", field="latlon") from exc
        desk = Desk(district, record=record)
        pid = desk.ping(args.ambassador, lat, lon, t=_moment(args, district), accuracy_m=args.accuracy)
        [p] = [x for x in record.pings(ambassador=args.ambassador.strip()) if x.id == pid]
        if args.json:
            print_json(p.to_dict())
        else:
            print(f"ping {pid}: {p.ambassador} at block {p.block} ({p.offset_m:.0f} m), {p.t}")
        return 0

    return _with_record(args, run)


def _duty(args: argparse.Namespace) -> int:
    def run(district, record):
        from patrol.dispatch.desk import Desk

        d = Desk(district, record=record).set_duty(args.ambassador, args.status, at=_moment(args, district),
                                                   note=args.note)
        if args.json:
            print_json(d.to_dict())
        else:
            print(f"{d.ambassador}: {d.status} from {d.at}")
        return 0

    return _with_record(args, run)


def _log(args: argparse.Namespace) -> int:
    def run(district, record):
        kw = {}
        if args.where:
            loc = district.geocode(args.where)
            kw = {"lat": loc.lat, "lon": loc.lon, "block": loc.block, "offset_m": loc.offset_m}
        given = []
        if args.material:
            from patrol.materials import district_materials

            pairs = []
            for text in args.material:
                mid, _, count = text.partition(":")
                if count and not count.isdigit():
                    raise InputError(f"--material {text!r}: the count after ':' must be a whole number",
                                     field="materials")
                pairs.append((mid, int(count) if count else 1))
            given = district_materials(district).handouts(pairs)
        it = record.log_interaction(args.ambassador, args.type, referral_type=args.referral, business=args.business,
                                    incident_id=args.incident, notes=args.notes, handouts=given,
                                    at=_moment(args, district), **kw)
        if args.json:
            print_json(it.to_dict())
        else:
            print(f"interaction {it.id}: {it.ambassador} {it.type}" + (f" ({it.referral_type})" if it.referral_type
                                                                       else ""))
        return 0

    return _with_record(args, run)


def _audit(args: argparse.Namespace) -> int:
    def run(district, record):
        entries = record.audit(entity=args.entity, entity_id=args.entity_id, limit=args.limit)
        if args.json:
            print_json([e.to_dict() for e in entries])
        else:
            for e in entries:
                print(f"{e.id:>6}  {e.at}  {e.actor:<18} {e.action:<7} {e.entity} {e.entity_id}  {e.data}")
        return 0

    return _with_record(args, run, read_only=True)


