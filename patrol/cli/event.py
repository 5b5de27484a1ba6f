"""``patrol event add|list|remove``: the district's special events, kept in its record (:mod:`patrol.events`).

Times: ``--start "YYYY-MM-DD HH:MM"`` in the district's time (or ISO-8601), ``--end`` the same or ``HH:MM`` on the
start's date.  ``--place`` is anything the geocoder accepts; ``--blocks 12,13`` lists block ids instead.
"""

from __future__ import annotations

import argparse
from datetime import date, datetime, timedelta

from patrol.cli._common import print_json
from patrol.cli.dispatch import _moment, _verb, _with_record

__all__ = ["register"]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("event", help="special events: add, list, remove (kept in the district's record)")
    esub = p.add_subparsers(dest="event_command", metavar="VERB", required=True)

    add = _verb(esub, "add", "add a special event (its place resolved to the district's blocks)")
    add.add_argument("--name", required=True)
    where = add.add_mutually_exclusive_group(required=True)
    where.add_argument("--place", metavar="TEXT", help="anything the geocoder accepts")
    where.add_argument("--blocks", metavar="IDS", help="comma-separated block ids")
    add.add_argument("--radius", type=float, default=0.0, metavar="M",
                     help="with --place: the blocks within this walk belong to the event too (default 0)")
    add.add_argument("--start", required=True, metavar='"YYYY-MM-DD HH:MM"', help="in the district's time")
    add.add_argument("--end", required=True, metavar="HH:MM", help="HH:MM the same day, or a full time")
    add.add_argument("--crowd", type=int, metavar="N", help="expected people")
    add.add_argument("--info", default="", metavar="TEXT", help="what ambassadors tell people")
    add.add_argument("--ambassadors", type=int, default=1, metavar="N", help="ambassadors wanted (default 1)")
    add.add_argument("--presence", default="dwell", choices=("dwell", "loop"),
                     help="stay at the event (dwell, default) or walk round it (loop)")
    add.add_argument("--before", type=float, default=0.0, metavar="MIN", help="set-up: presence from MIN before")
    add.add_argument("--after", type=float, default=0.0, metavar="MIN", help="dispersal: presence until MIN after")
    add.set_defaults(func=_add)

    ls = _verb(esub, "list", "events from a local date (default today) for some days")
    ls.add_argument("--days", type=int, default=1, metavar="N", help="how many days (default 1)")
    ls.add_argument("--removed", action="store_true", help="removed events too")
    ls.set_defaults(func=_list)

    rm = _verb(esub, "remove", "remove an event (it stays in the record, marked removed)")
    rm.add_argument("id", type=int, help="event id")
    rm.add_argument("--note", default="", help="why")
    rm.set_defaults(func=_remove)


def _show(ev, tz: str, as_json: bool) -> None:
    if as_json:
        print_json(ev.to_dict(tz))
    else:
        print(_line(ev, tz))


def _line(ev, tz: str) -> str:
    where = ev.matched or ev.place or f"blocks {', '.join(map(str, ev.blocks))}"
    crowd = f", ~{ev.crowd:,} people" if ev.crowd else ""
    gone = f"  [removed {ev.removed_at}]" if ev.removed_at else ""
    want = f"{ev.presence.ambassadors} x {ev.presence.mode}"
    info = f"\n      tell people: {ev.info}" if ev.info else ""
    return f"event {ev.id}: {ev.name}  {ev.local_text(tz)} at {where}{crowd}; wants {want}{gone}{info}"


def _add(args: argparse.Namespace) -> int:
    from patrol.errors import InputError
    from patrol.events import EventBook, new_event

    def run(district, record):
        blocks = None
        if args.blocks:
            try:
                blocks = [int(x) for x in args.blocks.split(",") if x.strip()]
            except ValueError as exc:
                raise InputError(f"--blocks: {args.blocks!r} is not a list of block ids", field="blocks") from exc
        ev = new_event(district, name=args.name, place=args.place, blocks=blocks, radius_m=args.radius,
                       start=args.start, end=args.end, crowd=args.crowd, info=args.info,
                       ambassadors=args.ambassadors, presence=args.presence, before_min=args.before,
                       after_min=args.after)
        ev = EventBook(record, district).add(ev)
        tz = district.settings.district.timezone
        _show(ev, tz, args.json)
        return 0

    return _with_record(args, run)


def _list(args: argparse.Namespace) -> int:
    from patrol.dispatch.clock import zone
    from patrol.events import EventBook

    def run(district, record):
        tz = district.settings.district.timezone
        z = zone(tz)
        first = date.fromisoformat(args.date) if args.date else _moment(args, district).astimezone(z).date()
        last = first + timedelta(days=max(args.days, 1))
        items = EventBook(record, district).find(since=datetime(first.year, first.month, first.day, tzinfo=z),
                                                 until=datetime(last.year, last.month, last.day, tzinfo=z),
                                                 include_removed=args.removed)
        if args.json:
            print_json([e.to_dict(tz) for e in items])
        elif not items:
            print(f"no events from {first} for {args.days} day(s)")
        else:
            for e in items:
                print(_line(e, tz))
        return 0

    return _with_record(args, run, read_only=True)


def _remove(args: argparse.Namespace) -> int:
    from patrol.events import EventBook

    def run(district, record):
        ev = EventBook(record, district).remove(args.id, note=args.note)
        tz = district.settings.district.timezone
        _show(ev, tz, args.json)
        return 0

    return _with_record(args, run)
