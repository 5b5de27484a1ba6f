"""Helpers shared by the CLI verbs: the ``--district`` option, JSON output, progress."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from patrol._json import to_jsonable

__all__ = ["add_district_arg", "load_district_arg", "print_json", "to_jsonable"]


def add_district_arg(parser: argparse.ArgumentParser) -> None:
    """Add ``--district PATH`` (a district folder or its district.toml; default: embedded Uptown)."""
    parser.add_argument("--district", metavar="PATH", default=None,
                        help="district folder or district.toml (default: the embedded Uptown district)")


def load_district_arg(args: argparse.Namespace):
    """Load the district named by ``--district`` (or the default)."""
    from patrol.district import load_district

    return load_district(getattr(args, "district", None))


def print_json(obj: Any) -> None:
    """Print an object as indented JSON on stdout."""
    json.dump(to_jsonable(obj), sys.stdout, indent=2)
    sys.stdout.write("\n")
