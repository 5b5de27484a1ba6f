"""``patrol district info|map|build`` and ``patrol geocode``."""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from patrol.cli._common import add_district_arg, load_district_arg, print_json
from patrol.errors import InputError

__all__ = ["register"]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("district", help="the district: figures, map, build a new one")
    dsub = p.add_subparsers(dest="district_command", metavar="VERB", required=True)

    info = dsub.add_parser("info", help="node and block counts, km of streets, businesses, bounds")
    add_district_arg(info)
    info.add_argument("--json", action="store_true", help="print JSON")
    info.set_defaults(func=_info)

    mp = dsub.add_parser("map", help="write a folium map of the district (maps/district.html)")
    add_district_arg(mp)
    mp.add_argument("--out", default="maps/district.html", help="HTML file to write")
    mp.set_defaults(func=_map)

    build = dsub.add_parser(
        "build", help="build a new district folder from OpenStreetMap (live or XML) or a city centreline")
    src = build.add_mutually_exclusive_group(required=True)
    src.add_argument("--place", help="a place name osmnx can geocode (downloads from OpenStreetMap)")
    src.add_argument("--osm-xml", metavar="FILE", help="an OpenStreetMap XML export")
    src.add_argument("--centerline", metavar="FILE", help="a street-centreline GeoJSON")
    build.add_argument("--settings", metavar="TOML", required=True,
                       help="district.toml with the program settings (area, corridor, base, roster, ...)")
    build.add_argument("--out", metavar="DIR", required=True, help="district folder to write")
    build.add_argument("--json", action="store_true", help="print the new district's figures as JSON")
    build.set_defaults(func=_build)

    gc = sub.add_parser("geocode", help="resolve an intersection, a place or lat,lon onto a street block")
    gc.add_argument("text", help='e.g. "W Lake St & Hennepin Ave S", "Lake & Hennepin", "Walker Library"')
    add_district_arg(gc)
    gc.add_argument("--json", action="store_true", help="print JSON")
    gc.set_defaults(func=_geocode)


def _info(args: argparse.Namespace) -> int:
    info = load_district_arg(args).info()
    if args.json:
        print_json(info)
        return 0
    b = info["area_bounds"]
    print(f"{info['name']}  (source: {info['source']}, {info['crs']})")
    print(f"  nodes              {info['nodes']}")
    print(f"  street blocks      {info['street_blocks']}  ({info['total_km']} km)")
    print(f"  in the patrol area {info['area_blocks']} blocks, {info['area_km']} km")
    print(f"  on the corridor    {info['corridor_blocks']} blocks, {info['corridor_km']} km")
    print(f"  businesses         {info['businesses_in_area']} in the area ({info['businesses']} in the data)")
    print(f"  area bounds        lat {b['south']}..{b['north']}, lon {b['west']}..{b['east']}")
    print(f"  base               {info['base']['at']} (node {info['base']['node']})")
    print(f"  roster / shift     {info['roster']} ambassadors, {info['shift']}")
    return 0


def _map(args: argparse.Namespace) -> int:
    from patrol.maps import write_district_map

    path = write_district_map(load_district_arg(args), args.out)
    print(f"wrote {path}")
    return 0


def _build(args: argparse.Namespace) -> int:
    from patrol.businesses import write_businesses
    from patrol.district import District
    from patrol.settings import load_settings, settings_from_dict, settings_to_dict
    from patrol.sources import graph_from_centerline, write_facts
    from patrol.sources.osm import download_osm, graph_from_osm_xml

    settings = load_settings(args.settings)
    out = Path(args.out)
    if out.exists() and any(out.iterdir()):
        raise InputError(f"{out} exists and is not empty; choose a new folder", field="out")
    name = settings.district.name
    businesses = []
    if args.place:
        graph, businesses = download_osm(args.place, name=name)
    elif args.osm_xml:
        graph, businesses = graph_from_osm_xml(args.osm_xml, name=name)
    else:
        graph = graph_from_centerline(args.centerline, name=name)
    district = District(settings, graph, businesses)  # validates the graph and the settings together
    out.mkdir(parents=True, exist_ok=True)
    write_facts(district.graph, out)
    write_businesses(out / "businesses.csv", businesses)
    data = settings_to_dict(settings_from_dict({"district": {"source": "facts"}}, base=settings))
    (out / "district.toml").write_text(_toml(data), encoding="utf-8")
    src = args.place or args.osm_xml or args.centerline
    (out / "ATTRIBUTION.md").write_text(
        f"Built by `patrol district build` from {src}.\n\n"
        + ("Street and business data © OpenStreetMap contributors, ODbL 1.0.\n"
           if not args.centerline else "Street data: the city's street centreline open data.\n"),
        encoding="utf-8")
    if args.settings and Path(args.settings).resolve() != (out / "district.toml").resolve():
        shutil.copystat(args.settings, out / "district.toml")
    info = district.info()
    if args.json:
        print_json(info)
    else:
        print(f"wrote {out}: {info['nodes']} nodes, {info['street_blocks']} blocks ({info['total_km']} km), "
              f"{info['area_blocks']} in the area, {len(businesses)} businesses")
    return 0


def _toml(data: dict) -> str:
    def value(v) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, int | float):
            return repr(v)
        if isinstance(v, list):
            return "[" + ", ".join(value(x) for x in v) + "]"
        return '"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"'

    lines = []
    for table, keys in data.items():
        scalars = {k: v for k, v in keys.items() if not isinstance(v, dict)}
        lines.append(f"[{table}]")
        lines += [f'"{k}" = {value(v)}' for k, v in scalars.items()]
        for k, v in keys.items():
            if isinstance(v, dict):
                lines.append(f"[{table}.{k}]")
                lines += [f'"{kk}" = {value(vv)}' for kk, vv in v.items()]
        lines.append("")
    return "\n".join(lines)


def _geocode(args: argparse.Namespace) -> int:
    loc = load_district_arg(args).geocode(args.text)
    if args.json:
        print_json(loc.to_dict())
        return 0
    print(f"{loc.matched}: {loc.lat:.6f}, {loc.lon:.6f}  (block {loc.block}, {loc.offset_m:.1f} m along"
          f"{', outside the patrol area' if not loc.in_area else ''})")
    if loc.alternatives:
        print(f"  also: {'; '.join(loc.alternatives)}")
    return 0
