"""``patrol warmup``: compile every Numba kernel once, ahead of the first plan (``make run`` runs it)."""

from __future__ import annotations

import argparse

from patrol.cli._common import print_json

__all__ = ["register"]


def _run(args: argparse.Namespace) -> int:
    from patrol.warmup import warm_up

    seconds = warm_up()
    if args.json:
        print_json({k: round(v, 2) for k, v in seconds.items()})
    else:
        print("kernels compiled (or loaded from the cache): "
              + ", ".join(f"{k} {v:.1f} s" for k, v in seconds.items()))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("warmup", help="compile the Numba kernels ahead of the first run (cached on disk)",
                       description="Compile every Numba kernel on tiny inputs so the first plan, dispatch or "
                                   "scenario starts warm; the compiled code is cached on disk "
                                   "(PATROL_NUMBA_CACHE=0 turns the cache off).")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=_run)
