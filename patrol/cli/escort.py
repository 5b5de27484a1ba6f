"""``patrol escort new|list|show|assign|step|finish|cancel``: safety escorts in the district's record.

``new`` resolves A and B, prints the walk from A to B and who can reach A soonest, with what sending each costs
the plan (``--plan``); ``assign`` sends a unit (default: the first).  Thin shells over
:class:`patrol.dispatch.escort_desk.EscortDesk`.
"""

from __future__ import annotations

import argparse

from patrol.cli._common import print_json
from patrol.cli.dispatch import _desk, _fmt, _moment, _plan_of, _verb, _with_record

__all__ = ["register"]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("escort", help="safety escorts: new, list, show, assign, step, finish, cancel")
    esub = p.add_subparsers(dest="escort_command", metavar="VERB", required=True)

    new = _verb(esub, "new", "request an escort from A to B: the walk and who can reach A soonest")
    new.add_argument("--from", dest="start", required=True, metavar="A", help="anything the geocoder accepts")
    new.add_argument("--to", required=True, metavar="B")
    new.add_argument("--at", metavar="HH:MM", help="when they want to leave A (default now; --date for the day)")
    new.add_argument("--people", type=int, default=1)
    new.add_argument("--source", default="phone", help="phone, walk-up, patrol, ... (default phone)")
    new.add_argument("--notes", default="")
    new.add_argument("--plan", metavar="PLAN.json", help="the day's plan (positions; the cost of each unit)")
    new.set_defaults(func=_new)

    ls = _verb(esub, "list", "escorts, newest first")
    ls.add_argument("--open", action="store_true", help="only requested, assigned or under way")
    ls.set_defaults(func=_list)

    show = _verb(esub, "show", "one escort, its walk, and (open) who can reach A soonest")
    show.add_argument("id", type=int)
    show.add_argument("--plan", metavar="PLAN.json")
    show.set_defaults(func=_show)

    asg = _verb(esub, "assign", "send a unit (default: the first who can reach A)")
    asg.add_argument("id", type=int)
    asg.add_argument("ambassador", nargs="?")
    asg.add_argument("--plan", metavar="PLAN.json")
    asg.add_argument("--note", default="")
    asg.set_defaults(func=_assign)

    step = _verb(esub, "step", "the unit's step: accepted, en-route, under-way (walking with the person(s))")
    step.add_argument("id", type=int)
    step.add_argument("status", help="accepted | en-route | under-way")
    step.add_argument("--note", default="")
    step.set_defaults(func=_step)

    fin = _verb(esub, "finish", "how it ended: arrived, ended-early, handed-over, person-declined, person-not-found")
    fin.add_argument("id", type=int)
    fin.add_argument("outcome")
    fin.add_argument("--note", default="")
    fin.set_defaults(func=_finish)

    cancel = _verb(esub, "cancel", "cancel an escort")
    cancel.add_argument("id", type=int)
    cancel.add_argument("--note", default="")
    cancel.set_defaults(func=_cancel)


def _words(text: str) -> str:
    return text.replace("-", " ").strip()


def _print_escort(e) -> None:
    unit = f", {e.unit}" if e.unit else ""
    took = f", {e.escort_min:.1f} min with them" if e.escort_min is not None else ""
    out = f", {e.outcome}" if e.outcome else ""
    print(f"escort {e.id}: {e.status}{unit}{out}  {e.from_matched or e.from_text} -> {e.to_matched or e.to_text}"
          f"  ({e.distance_m:.0f} m, {e.duration_min:.1f} min walk){took}")


def _print_options(opts: dict) -> None:
    w = opts["walk"]
    print(f"walk: {w['from']['matched']} -> {w['to']['matched']}, {w['distance_m']:.0f} m, {w['duration_min']:.1f} "
          f"min, via {' -> '.join(w['route']['streets'])}")
    if opts.get("be_at_a_by"):
        print(f"to be at A by {opts['be_at_a_by']}")
    r = opts["ranking"]
    print(f"{'rank':>4}  {'unit':<8} {'min':>6} {'metres':>7}  cost to the plan")
    for c in r["candidates"]:
        cost = (c["cost"] or {}).get("summary", "-") if c["cost"] else "-"
        why = "" if c["rank"] else f"  ({c['reason']})"
        print(f"{c['rank'] or '':>4}  {c['ambassador']:<8} {_fmt(c['eta_min']):>6} {_fmt(c['distance_m'], 0):>7}"
              f"  {cost}{why}")
    if r["message"]:
        print(r["message"])


def _escort_desk(args, district, record):
    from patrol.dispatch.escort_desk import EscortDesk

    return EscortDesk(_desk(district, record, _plan_of(args, district)))


def _new(args: argparse.Namespace) -> int:
    def run(district, record):
        ed = _escort_desk(args, district, record)
        now = _moment(args, district)
        wanted = _moment(argparse.Namespace(time=args.at, date=args.date), district) if args.at else None
        e = ed.request(args.start, args.to, wanted_at=wanted, people=args.people, source=args.source,
                       notes=args.notes, when=now)
        opts = ed.options(e, when=now)
        if args.json:
            print_json(opts)
        else:
            _print_escort(e)
            _print_options(opts)
        return 0

    return _with_record(args, run)


def _list(args: argparse.Namespace) -> int:
    from patrol.dispatch.escorts import EscortBook

    def run(district, record):
        items = EscortBook(record).find(open_only=args.open)
        if args.json:
            print_json([e.to_dict() for e in items])
        elif not items:
            print("no escorts")
        for e in [] if args.json else items:
            _print_escort(e)
        return 0

    return _with_record(args, run, read_only=True)


def _show(args: argparse.Namespace) -> int:
    def run(district, record):
        ed = _escort_desk(args, district, record)
        e = ed.book.get(args.id)
        opts = ed.options(e, when=_moment(args, district)) if e.status in ("requested", "assigned") else \
            {"escort": e.to_dict(), "walk": ed.walk_of(e).to_dict()}
        if args.json:
            print_json(opts)
        else:
            _print_escort(e)
            if "ranking" in opts:
                _print_options(opts)
        return 0

    return _with_record(args, run, read_only=True)


def _write(args: argparse.Namespace, fn) -> int:
    def run(district, record):
        e = fn(_escort_desk(args, district, record), _moment(args, district))
        if args.json:
            print_json(e.to_dict())
        else:
            _print_escort(e)
        return 0

    return _with_record(args, run)


def _assign(args: argparse.Namespace) -> int:
    return _write(args, lambda ed, t: ed.assign(args.id, args.ambassador, when=t, note=args.note))


def _step(args: argparse.Namespace) -> int:
    return _write(args, lambda ed, t: ed.book.step(args.id, _words(args.status), note=args.note, at=t))


def _finish(args: argparse.Namespace) -> int:
    return _write(args, lambda ed, t: ed.book.finish(args.id, _words(args.outcome), note=args.note, at=t))


def _cancel(args: argparse.Namespace) -> int:
    return _write(args, lambda ed, t: ed.book.cancel(args.id, note=args.note, at=t))
