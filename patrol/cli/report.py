"""``patrol report``: the program's measures of success for a date range, and ``patrol report import``.

``patrol report --from DATE --to DATE [--out DIR] [--format html,csv,json]`` computes every measure
(:mod:`patrol.report`) from the record (``--db``, default the district's ``dispatch.db``);
``patrol report --program DIR [--district NAME] ...`` reports one district of a program of several districts (its
incidents, its ambassadors' records) or, without ``--district``, the whole program, from the program's record;
``patrol report import KIND FILE`` imports a field-log, community-survey, business-survey or
incident-history CSV (validated whole: a bad row is refused with its row and column, nothing written).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from patrol.cli._common import add_district_arg, district_path, load_district_arg, print_json
from patrol.cli.program import program_arg, report_scope
from patrol.errors import InputError

__all__ = ["register"]

_KINDS = ("field-log", "community-survey", "business-survey", "incident-history")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("report", help="program report: outputs and outcomes for a date range (and CSV imports)",
                       description="Compute every measure of success the record supports for a date range. "
                                   "Use 'patrol report import KIND FILE' to import field logs, surveys and "
                                   "incident history.")
    p.add_argument("--from", dest="date_from", metavar="DATE", help="first local date, YYYY-MM-DD")
    p.add_argument("--to", dest="date_to", metavar="DATE", help="last local date (included), YYYY-MM-DD")
    p.add_argument("--out", metavar="DIR", default="report", help="output folder (default ./report)")
    p.add_argument("--format", default="html,csv,json", metavar="LIST", help="html,csv,json (default all three)")
    _add_db(p)
    p.add_argument("--plans", nargs="+", default=[], metavar="PATH",
                   help="plan.json files or folders: presence where pings are missing (flagged), planned check-ins")
    p.add_argument("--gap", type=float, default=5.0, metavar="MIN",
                   help="pings at most MIN minutes apart count as continuous presence (default 5)")
    p.add_argument("--target", action="append", default=[], metavar="TYPE=MIN",
                   help="livability target: minutes from the call to resolved for a type (repeatable)")
    p.add_argument("--target-default", type=float, default=60.0, metavar="MIN",
                   help="livability target for types without --target (default 60)")
    p.add_argument("--satisfied-min", type=int, default=4, metavar="R",
                   help="community survey ratings (1-5) >= R are positive (default 4)")
    p.add_argument("--history-types", metavar="LIST", default=None,
                   help="comma-separated incident-history types counted as non-emergency crime (default: all)")
    p.add_argument("--district", metavar="PATH|NAME", default=None,
                   help="district folder or district.toml (default: the embedded Uptown district); with --program, "
                        "the name of one of the program's districts (default: the whole program)")
    p.add_argument("--program", metavar="DIR", type=program_arg, default=None,
                   help="a program of several districts (folder with program.toml): report from its record")
    p.add_argument("--json", action="store_true", help="print the measures as JSON")
    p.set_defaults(func=_report)

    rsub = p.add_subparsers(dest="report_command", metavar="import")
    imp = rsub.add_parser("import", help="import a field-log, survey or incident-history CSV (all rows or none)")
    imp.add_argument("kind", choices=_KINDS, help="what the file holds")
    imp.add_argument("file", help="the CSV file")
    _add_db(imp)
    imp.add_argument("--column", action="append", default=[], metavar="NAME=FILECOL",
                     help="map a standard column to the file's own column name (repeatable)")
    imp.add_argument("--actor", help="who imports (default cli:<user>)")
    add_district_arg(imp)
    imp.add_argument("--json", action="store_true", help="print the result as JSON")
    imp.set_defaults(func=_import)


def _add_db(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", metavar="PATH", help="the record's SQLite file (default: the district's dispatch.db)")


def _pairs(items: list[str], field: str) -> dict[str, str]:
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise InputError(f"{field}: {item!r} is not NAME=VALUE", field=field)
        out[key.strip()] = value.strip()
    return out


def _report(args: argparse.Namespace) -> int:
    from patrol.report import Period, ReportOptions, ReportScope, build_report, write_report
    from patrol.vocab import LIVABILITY_TYPES

    if not args.date_from or not args.date_to:
        raise InputError("give the period: patrol report --from YYYY-MM-DD --to YYYY-MM-DD "
                         "(or 'patrol report import KIND FILE')", field="from" if not args.date_from else "to")
    formats = [f.strip().lower() for f in args.format.split(",") if f.strip()]
    targets = {}
    for k, v in _pairs(args.target, "target").items():
        if k.lower() not in LIVABILITY_TYPES:
            raise InputError(f"--target: {k!r} is not a livability type ({', '.join(sorted(LIVABILITY_TYPES))})",
                             field="target")
        try:
            targets[k.lower()] = float(v)
        except ValueError:
            raise InputError(f"--target {k}: {v!r} is not minutes", field="target") from None
    scope = None
    if args.program:
        program, name = report_scope(args)
        parts = {k: program[k].district for k in ([name] if name else program.names)}
        scope = ReportScope(program[name].title if name else program.name, parts, whole=name is None)
        district = next(iter(parts.values()))
        default_db = program.record_path
    else:
        if args.district is not None:
            try:
                district_path(args.district)
            except argparse.ArgumentTypeError as exc:
                raise InputError(f"--district {exc}", field="district") from None
        district = load_district_arg(args)
        default_db = Path(district.settings.dispatch.db)
    period = Period.from_dates(args.date_from, args.date_to, district.settings.district.timezone)
    opts = ReportOptions(gap_min=args.gap, livability_targets=targets, livability_default_min=args.target_default,
                         satisfied_min_rating=args.satisfied_min,
                         history_types=[t for t in args.history_types.split(",") if t.strip()]
                         if args.history_types else None, plans=list(args.plans))
    db = Path(args.db) if args.db else default_db
    report = build_report(district, db, period, opts, scope=scope)
    one = scope is None or len(scope.districts) == 1  # the presence map is one district's streets
    files = write_report(report, args.out, formats, district=district if one else None)
    if args.json:
        print_json({"measures": [m.to_dict() for m in report.measures], "files": [str(f) for f in files]})
        return 0
    width = max(len(m.name) for m in report.measures)
    for m in report.measures:
        value = "cannot compute" if m.value is None else f"{m.value} {m.unit}"
        flag = " (estimated)" if "estimated" in m.source else ""
        if m.name == "business_checkins" and m.extra.get("planned") is not None:
            flag += f" of {m.extra['planned']} planned"
        print(f"{m.name:<{width}}  {value}{flag}  [n={m.n}, {m.source}]")
    missing = [m for m in report.measures if m.value is None]
    for m in missing:
        print(f"  - {m.name} needs {m.needs}", file=sys.stderr)
    for f in files:
        print(f"wrote {f}", file=sys.stderr)
    return 0


def _import(args: argparse.Namespace) -> int:
    from patrol.report import import_csv

    district = load_district_arg(args)
    db = Path(args.db or district.settings.dispatch.db)
    result = import_csv(args.kind, args.file, district=district, db=db, actor=args.actor,
                        columns=_pairs(args.column, "column") or None)
    if args.json:
        print_json(result.to_dict())
    else:
        extra = f" ({result.skipped} already there from an interrupted import)" if result.skipped else ""
        print(f"imported {result.rows} {result.kind} rows from {result.file} into {db}{extra}")
    return 0
