"""``patrol bench``: benchmarks of the routing core against published instances.

``patrol bench mmkcpp FILE... -k K [--time-limit S] [--seed N] [--json]`` solves each CARPLIB file as a
min-max k-Chinese-postman instance (every edge required, the file's depot) and prints, per instance:
name, k, max_route, lower_bound, gap_pct, seconds, valid.
"""

from __future__ import annotations

import argparse
import json

__all__ = ["register"]

_COLUMNS = ("name", "k", "max_route", "lower_bound", "gap_pct", "seconds", "valid")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from exc
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1: {value}")
    return value


def _non_negative_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from exc
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"must be >= 0: {value}")
    return value


def _row_text(row: dict) -> str:
    return (f"{row['name']:>10} {row['k']:>3} {row['max_route']:>11.6g} {row['lower_bound']:>11.6g} "
            f"{row['gap_pct']:>7.2f} {row['seconds']:>8.2f} {'yes' if row['valid'] else 'NO':>5}")


def _run_mmkcpp(args: argparse.Namespace) -> int:
    from patrol.routing.bench import bench_instance

    rows = []
    if not args.json:
        print(f"{'name':>10} {'k':>3} {'max_route':>11} {'lower_bound':>11} {'gap_pct':>7} {'seconds':>8} "
              f"{'valid':>5}", flush=True)
    for path in args.files:
        for k in args.k:
            row = bench_instance(path, k, time_limit_s=args.time_limit, seed=args.seed)
            rows.append(row)
            if not args.json:
                print(_row_text(row), flush=True)
    if args.json:
        print(json.dumps([{c: r[c] for c in (*_COLUMNS, "method")} for r in rows], indent=2))
    return 0 if all(r["valid"] for r in rows) else 1


def register(subparsers) -> None:
    """Add the ``bench`` verb (sub-verb ``mmkcpp``) to the ``patrol`` parser."""
    parser = subparsers.add_parser("bench", help="benchmark the routing core on published instances")
    sub = parser.add_subparsers(dest="bench_command", metavar="BENCHMARK")
    mm = sub.add_parser("mmkcpp", help="min-max k-Chinese-postman on CARPLIB files (e.g. gdb*.dat)",
                        description="Solve CARPLIB instances as min-max k-CPP (all edges required) and "
                                    "print name, k, max_route, lower_bound, gap_pct, seconds, valid.")
    mm.add_argument("files", nargs="+", metavar="FILE", help="CARPLIB .dat files")
    mm.add_argument("-k", type=_positive_int, nargs="+", required=True, metavar="K",
                    help="number of walkers (several values allowed)")
    mm.add_argument("--time-limit", type=_non_negative_float, default=10.0, metavar="S",
                    help="seconds per solve (default 10)")
    mm.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    mm.add_argument("--json", action="store_true", help="print a JSON list instead of a table")
    mm.set_defaults(func=_run_mmkcpp)
    parser.set_defaults(func=lambda args: (parser.print_help(), 2)[1])
