"""The ``patrol`` command line: a thin shell over the library.

Each verb lives in its own module of this package and exposes ``register(subparsers)``, which adds
its parser and sets ``func`` to a callable taking the parsed namespace and returning an exit code.
User errors (:class:`patrol.errors.PatrolError`) go to stderr (or as a JSON body to stdout with
``--json``) with the error's exit code, never as a traceback.  So do argument errors (a missing
``--at``): argparse's usage and message, or with ``--json`` the JSON body of a ``UsageError``.
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import re
import sys
from collections.abc import Sequence
from typing import NoReturn

from patrol.errors import PatrolError, UsageError

__all__ = ["build_parser", "main"]

# Verb modules, in the order they appear in ``patrol --help``.
_VERB_MODULES = (
    "patrol.cli.district",
    "patrol.cli.bench",
    "patrol.cli.plan",
    "patrol.cli.dispatch",
    "patrol.cli.event",
    "patrol.cli.escort",
    "patrol.cli.camera",
    "patrol.cli.scenario",
    "patrol.cli.serve",
    "patrol.cli.report",
    "patrol.cli.program",
    "patrol.cli.warmup",
)


class _Parser(argparse.ArgumentParser):
    """argparse raising its usage errors as :class:`UsageError` (for ``--json``) instead of exiting.

    Sub-parsers are made with the parser's own class, so every verb's errors come here too.
    """

    def error(self, message: str) -> NoReturn:
        m = re.search(r"required: (\S+?)(?:,|$)", message) or re.match(r"argument (\S+?)(?:/\S+)?:", message)
        raise UsageError(message, field=m.group(1) if m else None,
                         details={"usage": self.format_usage().strip(), "command": self.prog})


def build_parser() -> argparse.ArgumentParser:
    """Build the full argument parser with every available verb."""
    parser = _Parser(
        prog="patrol",
        description="Plan and run foot patrols for community safety ambassador programs.",
    )
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output (-vv for debug)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in _VERB_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:  # a verb not built yet in this checkout
            if exc.name != name:
                raise
            continue
        module.register(sub)
    return parser


def _configure_logging(verbosity: int) -> None:
    level = logging.WARNING if verbosity <= 0 else logging.INFO if verbosity == 1 else logging.DEBUG
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``patrol`` console command."""
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        args = parser.parse_args(argv)
    except UsageError as exc:
        if "--json" in argv:
            print(json.dumps(exc.to_dict(), indent=2))
        else:
            print(exc.details["usage"], file=sys.stderr)
            print(f"{exc.details['command']}: error: {exc.message}", file=sys.stderr)
        return exc.exit_code
    _configure_logging(args.verbose)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return 2
    try:
        return int(args.func(args) or 0)
    except PatrolError as exc:
        if getattr(args, "json", False):
            print(json.dumps(exc.to_dict(), indent=2))
        else:
            print(f"patrol: error: {exc.message}", file=sys.stderr)
            for problem in getattr(exc, "problems", [])[:20]:
                print(f"  - {problem}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("patrol: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
