"""A program of several districts on the command line: ``patrol program info``, and the ``--program`` runs of
``patrol plan`` and ``patrol report`` (``patrol serve --program`` is in :mod:`patrol.cli.serve`).

``patrol plan --program DIR --day D [--date DATE] [--out OUT] [--workers N | --scheduler tcp://HOST:8786]`` plans
every district of the day in parallel on Dask, each plan checked by the independent checker, into
``OUT/<district>/`` (:mod:`patrol.program.plans`).  Exit code 0 when every district meets every target, 1 when
any misses one (its plan is still written; ``OUT/program.json`` says which).

``patrol report --program DIR [--district NAME] --from DATE --to DATE`` reports one district of the program (the
incidents of that district, the records of its ambassadors) or, without ``--district``, the whole program.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import sys
from pathlib import Path

from patrol.cli._common import print_json
from patrol.errors import InputError

__all__ = ["plan_command", "program_arg", "register", "report_scope"]


def program_arg(text: str) -> str:
    """``--program``'s value: a program folder (with ``program.toml``) or the file itself."""
    p = Path(text)
    if p.is_dir() and not (p / "program.toml").is_file():
        raise argparse.ArgumentTypeError(f"{text} is a folder without a program.toml (a program folder holds "
                                         "program.toml and lists its districts)")
    if not p.exists():
        raise argparse.ArgumentTypeError(f"{text}: no such file or folder")
    return text


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("program", help="a program of several districts: its districts and their joined streets")
    psub = p.add_subparsers(dest="program_command", metavar="VERB", required=True)
    info = psub.add_parser("info", help="the program's districts, rosters and the streets they share")
    info.add_argument("program", type=program_arg, metavar="DIR", help="program folder (program.toml)")
    info.add_argument("--json", action="store_true", help="print JSON")
    info.set_defaults(func=_info)


def _info(args: argparse.Namespace) -> int:
    from patrol.program import load_program

    program = load_program(args.program)
    out = {**program.info(), "joined": program.joined.info()}
    if args.json:
        print_json(out)
        return 0
    print(f"{out['name']}: {len(out['districts'])} districts, time zone {out['timezone']}, record {out['record']}")
    for d in out["districts"]:
        print(f"  {d['name']:<12} {d['title']} ({d['source']}): {len(d['roster'])} ambassadors "
              f"({', '.join(d['roster'])}), {', '.join(d['shift']['days'])} {d['shift']['start']}-{d['shift']['end']}, "
              f"base {d['base']['at']}")
    j = out["joined"]
    shared = "; ".join(f"{'/'.join(s['districts'])}: {s['corners']} corners" for s in j["shared_corners"]) or "none"
    print(f"  joined streets: {j['nodes']} corners, {j['blocks']} blocks, {j['km']} km; shared "
          f"({j['tolerance_m']:g} m): {shared}; {j['components']} connected network(s)")
    return 0


def plan_command(args: argparse.Namespace) -> int:
    """``patrol plan --program DIR --day D``: every district's plan of the day (see the module docstring)."""
    from patrol.program import load_program
    from patrol.program.plans import plan_program

    if args.district:
        raise InputError("give --program or --district, not both (a program lists its districts)", field="district")
    if args.action or args.file or args.week:
        raise InputError("--program plans one day of every district: patrol plan --program DIR --day DAY",
                         field="program")
    if not args.verbose:  # Dask's scheduler and workers log every step at INFO: the result lines say what matters
        with contextlib.suppress(ImportError):  # distributed sets its loggers' levels when imported: quiet them after
            import distributed  # noqa: F401
        logging.getLogger("distributed").setLevel(logging.WARNING)
    program = load_program(args.program)
    day = args.day or next(iter(program.districts.values())).district.settings.shift.days[0]
    out = Path(args.out or f"plans/{day}")
    result = plan_program(program, day, out, date=args.date, seed=args.seed, time_limit_s=args.time_limit,
                          scheduler=args.scheduler, n_workers=args.workers, progress=not args.json)
    if args.json:
        print_json(result.to_dict())
        return 0 if result.all_met else 1
    print(f"{program.name}, {day}{' ' + args.date if args.date else ''}: {len(result.plans)} districts on "
          f"{result.workers} Dask workers in {result.seconds:.1f} s; {out}/program.json")
    for p in result.plans:
        if p.skipped:
            print(f"  {p.district}: not planned ({p.skipped})")
            continue
        s = p.summary
        verdict = "every target met (checked)" if p.met else \
            "targets NOT met: " + ", ".join([x["target"] for x in p.shortfalls] or p.missed())
        print(f"  {p.district}: {p.out}/plan.json ({p.seconds:.1f} s): corridor max gap "
              f"{s['corridor_max_gap_min']} min, area blocks unwalked {s['area_blocks_unvisited']}, check-ins "
              f"{s['businesses_checked']}/{s['businesses_due']}; {verdict}")
    if not result.all_met:
        print("patrol: a district misses a target (exit code 1); see its shortfalls in program.json", file=sys.stderr)
    return 0 if result.all_met else 1


def report_scope(args: argparse.Namespace):
    """``(program, district name or None)`` of ``patrol report --program DIR [--district NAME]``."""
    from patrol.program import load_program

    program = load_program(args.program)
    name = args.district
    if name is not None:
        name = program.get(name).name
    return program, name
