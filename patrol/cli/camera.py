"""``patrol camera list|show|incident``: the district's camera registry (its ``cameras.toml`` with the record's
edits) and incidents seen on a camera (placed at the camera's view)."""

from __future__ import annotations

import argparse

from patrol.cli._common import print_json
from patrol.cli.dispatch import _moment, _print_incident, _verb, _with_record

__all__ = ["register"]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("camera", help="cameras: list, show, incident (seen on a camera)")
    csub = p.add_subparsers(dest="camera_command", metavar="VERB", required=True)
    ls = _verb(csub, "list", "the registry and the blocks each camera watches")
    ls.set_defaults(func=_list)
    show = _verb(csub, "show", "one camera: what it sees and its edits")
    show.add_argument("id")
    show.set_defaults(func=_show)
    inc = _verb(csub, "incident", "record an incident seen on a camera (placed at its view, or --at a place)")
    inc.add_argument("id", help="camera id")
    inc.add_argument("--type", required=True, help="incident type (the program's list)")
    inc.add_argument("--priority", default="normal")
    inc.add_argument("--notes", default="")
    inc.add_argument("--at", metavar="TEXT", help="a place in the picture (default: the camera's view point)")
    inc.set_defaults(func=_incident)


def _line(district, view) -> str:
    c = view.camera
    names = sorted({str(district.arrays.edge_name[b]) for b in view.blocks})
    how = f"{c.heading_deg:g} deg, {c.fov_deg:g} deg wide, {c.range_m:g} m" if c.sector else "by its blocks"
    return (f"{c.id:<22} {how:<28} watches {len(view.blocks)} block(s): {', '.join(names) or 'none'}"
            f"  [{c.owner or 'owner unknown'}]")


def _list(args: argparse.Namespace) -> int:
    from patrol.cameras import CameraBook, camera_view

    def run(district, record):
        book = CameraBook(record, district)
        views = [camera_view(district, c) for c in book.cameras()]
        if args.json:
            print_json({"illustrative": book.file.illustrative, "note": book.file.note,
                        "items": [v.to_dict() for v in views]})
            return 0
        if book.file.illustrative:
            print(f"ILLUSTRATIVE registry ({book.file.path}): {book.file.note}")
        for v in views:
            print(_line(district, v))
        if not views:
            print("no cameras (the district has no cameras.toml and none was added)")
        return 0

    return _with_record(args, run)


def _show(args: argparse.Namespace) -> int:
    from patrol.cameras import CameraBook, camera_view

    def run(district, record):
        book = CameraBook(record, district)
        view = camera_view(district, book.get(args.id))
        if args.json:
            print_json({**view.to_dict(), "edits": book.edits(args.id)})
        else:
            print(_line(district, view))
            for b in view.blocks:
                print(f"  block {b:>4}  {district.arrays.edge_name[b]:<24} {view.seen_m[b]:6.1f} m seen of "
                      f"{district.arrays.edge_length[b]:.1f}")
            print(f"  view point: block {view.point[0]} at {view.point[1]:.1f} m ({view.lat:.6f},{view.lon:.6f})")
        return 0

    return _with_record(args, run)


def _incident(args: argparse.Namespace) -> int:
    from patrol.cameras import CameraBook, camera_view, new_camera_incident

    def run(district, record):
        view = camera_view(district, CameraBook(record, district).get(args.id))
        where = district.geocode(args.at) if args.at else None
        inc = new_camera_incident(record, district, view, type=args.type, priority=args.priority, notes=args.notes,
                                  location=where, at=_moment(args, district))
        _print_incident(inc, args.json)
        return 0

    return _with_record(args, run)
