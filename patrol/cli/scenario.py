"""``patrol scenario run|compare|sweep``: planners' what-if scenarios (see docs/scenario-format.md)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from patrol.cli._common import print_json, to_jsonable

__all__ = ["register"]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("scenario", help="score staffing / hours / area / strategy scenarios (coverage, response)")
    ssub = p.add_subparsers(dest="scenario_command", metavar="VERB", required=True)

    run = ssub.add_parser("run", help="run one scenario file over Monte Carlo days and print its scores")
    run.add_argument("scenario", metavar="S.toml", help="scenario file")
    run.add_argument("--seeds", type=int, default=None, help="Monte Carlo days (default: scenario.seeds)")
    run.add_argument("--out", metavar="DIR", default=None,
                     help="also write the comparison page (comparison.html), table, plots and maps here")
    run.add_argument("--json", action="store_true", help="print JSON")
    _dask_args(run, default_workers=1)
    run.set_defaults(func=_run)

    cmp_ = ssub.add_parser("compare", help="run several scenarios; write a comparison page, table, plots and maps")
    cmp_.add_argument("scenarios", metavar="S.toml", nargs="+", help="scenario files")
    cmp_.add_argument("--out", metavar="DIR", required=True,
                      help="folder for comparison.html (the page to read), comparison.csv, PNGs, maps/")
    cmp_.add_argument("--seeds", type=int, default=None, help="Monte Carlo days per scenario")
    cmp_.add_argument("--no-maps", action="store_true", help="skip the folium maps")
    cmp_.add_argument("--json", action="store_true", help="print JSON")
    _dask_args(cmp_, default_workers=1)
    cmp_.set_defaults(func=_compare)

    sw = ssub.add_parser("sweep", help="expand a parameter grid and run scenarios x seeds on Dask")
    sw.add_argument("grid", metavar="GRID.toml", help="grid file ([sweep] base/name/seeds, [grid] values)")
    _dask_args(sw, default_workers=2)
    sw.add_argument("--seeds", type=int, default=None, help="Monte Carlo days per scenario")
    sw.add_argument("--serial", action="store_true", help="run in this process instead of on Dask")
    sw.add_argument("--out", metavar="DIR", default=None,
                    help="write the comparison page, table and plots here (no maps)")
    sw.add_argument("--json", action="store_true", help="print JSON")
    sw.set_defaults(func=_sweep)


def _dask_args(p: argparse.ArgumentParser, *, default_workers: int) -> None:
    where = "a local cluster" if default_workers > 1 else "this process"
    p.add_argument("--scheduler", metavar="ADDRESS", default=None,
                   help=f"run on the Dask scheduler at tcp://HOST:8786 (default: {where})")
    p.add_argument("--workers", type=int, default=default_workers,
                   help=f"local Dask cluster of N worker processes (default {default_workers}"
                        + (": in this process, no Dask)" if default_workers == 1 else ")"))


def _on_dask(args: argparse.Namespace) -> bool:
    return bool(args.scheduler) or args.workers != 1


def _run_all(args: argparse.Namespace, scenarios: list, progress: bool) -> list:
    """Scenarios over seeds: on Dask with --scheduler or --workers N > 1, else in this process."""
    from patrol.coverage.scenario import run_scenario
    from patrol.coverage.sweep import run_sweep

    if _on_dask(args):
        return run_sweep(scenarios, args.seeds, scheduler=args.scheduler, n_workers=args.workers, progress=progress)
    return [run_scenario(scn, args.seeds, progress=progress) for scn in scenarios]


def _check_seeds(args: argparse.Namespace) -> None:
    from patrol.errors import InputError

    if args.seeds is not None and args.seeds < 1:
        raise InputError("--seeds must be at least 1", field="seeds")


def _print_table(results) -> None:
    from patrol.coverage.compare import comparison_rows

    rows = comparison_rows(results, with_ci=False)
    cols = list(rows[0])
    width = max(len(c) for c in cols)
    for c in cols:
        print(f"{c:<{width}}  " + "  ".join(f"{r[c]:>14}" for r in rows))


def _outputs(results, out, maps: bool = True) -> dict:
    from patrol.coverage.compare import write_comparison

    written = write_comparison(results, out, maps=maps)
    return {k: [str(p) for p in v] for k, v in written.items()}


def _run(args: argparse.Namespace) -> int:
    from patrol.coverage.scenario import load_scenario

    _check_seeds(args)
    scn = load_scenario(args.scenario)
    result = _run_all(args, [scn], progress=not args.json)[0]
    files = _outputs([result], args.out) if args.out else {}
    if args.json:
        print_json({**result.to_dict(), "files": files})
        return 0
    print(f"scenario {scn.name}: {scn.description}".rstrip(": "))
    _print_table([result])
    if files:
        print(f"wrote {files['page'][0]} (with {', '.join(files['table'])}, {len(files['plots'])} plots, "
              f"{len(files['maps'])} maps)")
    return 0


def _compare(args: argparse.Namespace) -> int:
    from patrol.coverage.scenario import load_scenario

    _check_seeds(args)
    scenarios = [load_scenario(p) for p in args.scenarios]
    names = [s.name for s in scenarios]
    if len(set(names)) != len(names):
        from patrol.errors import ConfigError

        raise ConfigError(f"scenario names must differ to compare them: {', '.join(names)}", field="scenario.name")
    results = _run_all(args, scenarios, progress=not args.json)
    files = _outputs(results, args.out, maps=not args.no_maps)
    if args.json:
        print_json({"results": [r.to_dict() for r in results], "files": files})
        return 0
    _print_table(results)
    print(f"wrote {Path(args.out) / 'comparison.html'} (open it in a browser), comparison.csv, "
          f"{len(files['plots'])} plots and {len(files['maps'])} maps")
    return 0


def _sweep(args: argparse.Namespace) -> int:
    from patrol.coverage.sweep import load_grid, run_serial, run_sweep

    _check_seeds(args)
    scenarios, grid_seeds = load_grid(args.grid)
    seeds = args.seeds or grid_seeds
    if args.serial:
        results = run_serial(scenarios, seeds, progress=not args.json)
    else:
        results = run_sweep(scenarios, seeds, scheduler=args.scheduler, n_workers=args.workers,
                            progress=not args.json)
    files = _outputs(results, args.out, maps=False) if args.out else {}
    if args.out:
        (Path(args.out) / "sweep.json").write_text(
            json.dumps(to_jsonable([r.to_dict() for r in results]), indent=2), encoding="utf-8")
    if args.json:
        print_json({"results": [r.to_dict() for r in results], "files": files})
        return 0
    _print_table(results)
    return 0
