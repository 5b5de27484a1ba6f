"""Helpers shared by the CLI verbs: the ``--district`` option, JSON output, progress."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from patrol._json import to_jsonable

__all__ = ["add_district_arg", "district_path", "load_district_arg", "print_json", "to_jsonable"]


def district_path(text: str) -> str:
    """``--district``'s value: a district folder or its ``district.toml``, with what is wrong named.

    Raises
    ------
    argparse.ArgumentTypeError
        For a path that does not exist, a file that is not a ``.toml``, a folder without ``district.toml``.
    """
    p = Path(text)
    if not p.exists():
        raise argparse.ArgumentTypeError(f"{text}: no such file or folder")
    if p.is_file():
        if p.suffix != ".toml":
            raise argparse.ArgumentTypeError(f"{text} is a file but not a district.toml: give the district's folder "
                                             "or its district.toml")
        if not (p.parent / "district.toml").is_file():
            raise argparse.ArgumentTypeError(f"{text}: the folder {p.parent} has no district.toml")
    elif not (p / "district.toml").is_file():
        raise argparse.ArgumentTypeError(f"{text} is a folder without a district.toml (a district folder holds "
                                         "district.toml and its data)")
    return text


def add_district_arg(parser: argparse.ArgumentParser) -> None:
    """Add ``--district PATH`` (a district folder or its district.toml; default: embedded Uptown)."""
    parser.add_argument("--district", metavar="PATH", default=None, type=district_path,
                        help="district folder or district.toml (default: the embedded Uptown district)")


def load_district_arg(args: argparse.Namespace):
    """Load the district named by ``--district`` (or the default)."""
    from patrol.district import load_district

    return load_district(getattr(args, "district", None))


def print_json(obj: Any) -> None:
    """Print an object as indented JSON on stdout."""
    json.dump(to_jsonable(obj), sys.stdout, indent=2)
    sys.stdout.write("\n")
