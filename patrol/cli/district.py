"""``patrol district info|map|build`` and ``patrol geocode``."""

from __future__ import annotations

import argparse
import logging
import shutil
from pathlib import Path

from patrol.cli._common import add_district_arg, load_district_arg, print_json
from patrol.errors import InputError

__all__ = ["register"]

log = logging.getLogger(__name__)


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
        "build", help="build a new district folder from OpenStreetMap (live or XML) or a city centreline",
        description="Build a district folder: the source's walkable streets (repairs and omissions counted in a "
                    "build report), clipped to the area plus area.margin_m, with businesses, transit stops and "
                    "incident history from the source or from files.")
    src = build.add_mutually_exclusive_group(required=True)
    src.add_argument("--place", help="a place name osmnx can geocode (downloads from OpenStreetMap)")
    src.add_argument("--osm-xml", metavar="FILE", help="an OpenStreetMap XML export")
    src.add_argument("--centerline", metavar="FILE",
                     help="a street-centreline GeoJSON (in the CRS its crs member names; WGS84 without one)")
    build.add_argument("--settings", metavar="TOML", required=True,
                       help="district.toml with the program settings (area, corridor, base, roster, ...)")
    build.add_argument("--out", metavar="DIR", required=True, help="district folder to write")
    extra = build.add_mutually_exclusive_group()
    extra.add_argument("--businesses", metavar="FILE",
                       help="businesses to check in with: a CSV (name, category, lat, lon[, source, hours]) or an "
                            "OpenStreetMap XML export (.osm); replaces the source's own")
    extra.add_argument("--osm-businesses", action="store_true",
                       help="download the area's businesses from live OpenStreetMap (for a centreline district)")
    build.add_argument("--stops", metavar="FILE", help="transit stops CSV (name, lat, lon; or GTFS stops.txt)")
    build.add_argument("--incidents", metavar="FILE", help="incident history CSV (lat, lon, time, type) for the hot "
                                                           "spots")
    build.add_argument("--incident-columns", metavar="MAP", default=None,
                       help="the history's own column names, e.g. lat=centerLat,lon=centerLong,time=reportedDate")
    build.add_argument("--json", action="store_true", help="print the new district's figures as JSON")
    build.set_defaults(func=_build)

    gc = sub.add_parser("geocode", help="resolve an intersection, a place or lat,lon onto a street block")
    gc.add_argument("text", help='e.g. "W Lake St & Hennepin Ave S", "Lake & Hennepin", "Walker Library"')
    gc.add_argument("--near", metavar="WHERE", default=None,
                    help="when two streets meet more than once, the one nearest this place comes first "
                         "(any location text or 'lat,lon'; default: the patrol area's centre)")
    add_district_arg(gc)
    gc.add_argument("--json", action="store_true", help="print JSON")
    gc.set_defaults(func=_geocode)


def _info(args: argparse.Namespace) -> int:
    district = load_district_arg(args)
    info = district.info()
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
    print(f"  transit stops      {info['transit_stops']}")
    print(f"  incident history   {info['incidents']} incidents")
    print(f"  area bounds        lat {b['south']}..{b['north']}, lon {b['west']}..{b['east']}")
    print(f"  base               {info['base']['at']} (node {info['base']['node']})")
    print(f"  roster / shift     {info['roster']} ambassadors, {info['shift']}")
    if district.build_report is not None:
        print("build report")
        for line in district.build_report.lines():
            print(f"  {line}")
    return 0


def _map(args: argparse.Namespace) -> int:
    from patrol.maps import write_district_map

    path = write_district_map(load_district_arg(args), args.out)
    print(f"wrote {path}")
    return 0


def _columns(text: str | None) -> dict[str, str] | None:
    if not text:
        return None
    try:
        return dict(kv.split("=", 1) for kv in text.split(","))
    except ValueError as exc:
        raise InputError("--incident-columns must look like lat=Y,lon=X,time=when,type=kind",
                         field="incident_columns") from exc


def _build(args: argparse.Namespace) -> int:
    from patrol.businesses import (
        Business,
        TransitStop,
        read_businesses,
        read_transit_stops,
        write_businesses,
        write_transit_stops,
    )
    from patrol.district import District
    from patrol.history import load_incident_history, subset, write_incident_history
    from patrol.settings import load_settings, settings_from_dict, settings_to_dict
    from patrol.sources import graph_from_centerline, write_facts
    from patrol.sources.osm import businesses_from_osm_xml, download_businesses, download_osm, graph_from_osm_xml
    from patrol.sources.report import log_report
    from patrol.sources.working import margin_box, working_graph

    settings = load_settings(args.settings)
    out = Path(args.out)
    if out.exists() and any(out.iterdir()):
        raise InputError(f"{out} exists and is not empty; choose a new folder", field="out")
    name = settings.district.name
    businesses: list[Business] = []
    if args.place:
        graph, businesses = download_osm(args.place, name=name)
    elif args.osm_xml:
        graph, businesses = graph_from_osm_xml(args.osm_xml, name=name)
    else:
        graph = graph_from_centerline(args.centerline, name=name)
    area = settings.area
    graph, working = working_graph(graph, area, area.margin_m)
    report = graph.graph["build_report"].replace(working=working)
    log_report(report, log)
    south, north, west, east = margin_box(area, area.margin_m)

    def near(lat: float, lon: float) -> bool:
        return south <= lat <= north and west <= lon <= east

    if args.businesses:
        path = Path(args.businesses)
        businesses = businesses_from_osm_xml(path) if path.suffix.lower() in (".osm", ".xml") else \
            read_businesses(path)
    elif args.osm_businesses:
        businesses = download_businesses(south, north, west, east)
    businesses = [b for b in businesses if near(b.lat, b.lon)]
    stops: list[TransitStop] = [s for s in read_transit_stops(Path(args.stops)) if near(s.lat, s.lon)] \
        if args.stops else []
    history = None
    if args.incidents:
        history = load_incident_history(args.incidents, _columns(args.incident_columns))
        history = subset(history, (history.lat >= south) & (history.lat <= north) & (history.lon >= west)
                         & (history.lon <= east))
    district = District(settings, graph, businesses, stops=stops, incidents=history, build_report=report)
    info = district.info()  # validates the graph, the settings and the base together, before anything is written
    out.mkdir(parents=True, exist_ok=True)
    write_facts(district.graph, out)
    write_businesses(out / "businesses.csv", businesses)
    if stops:
        write_transit_stops(out / "transit_stops.csv", stops)
    if history is not None and len(history):
        write_incident_history(out / "incidents.csv", history)
    report.save(out)
    data = settings_to_dict(settings_from_dict({"district": {"source": "facts"}}, base=settings))
    (out / "district.toml").write_text(_toml(data), encoding="utf-8")
    src = args.place or args.osm_xml or args.centerline
    attribution = (f"Built by `patrol district build` from {src}.\n\n"
                   + ("Street data © OpenStreetMap contributors, ODbL 1.0.\n" if not args.centerline
                      else "Street data: the city's street centreline open data.\n"))
    if args.osm_businesses or (args.businesses and Path(args.businesses).suffix.lower() in (".osm", ".xml")):
        attribution += "Business data © OpenStreetMap contributors, ODbL 1.0.\n"
    for flag, what in ((args.businesses, "Businesses"), (args.stops, "Transit stops"),
                       (args.incidents, "Incident history")):
        if flag:
            attribution += f"{what}: {flag}.\n"
    (out / "ATTRIBUTION.md").write_text(attribution, encoding="utf-8")
    if args.settings and Path(args.settings).resolve() != (out / "district.toml").resolve():
        shutil.copystat(args.settings, out / "district.toml")
    if args.json:
        print_json(info)
        return 0
    for line in report.lines():
        print(line)
    print(f"wrote {out}: {info['nodes']} nodes, {info['street_blocks']} blocks ({info['total_km']} km), "
          f"{info['area_blocks']} in the area, {len(businesses)} businesses, {len(stops)} transit stops, "
          f"{info['incidents']} incidents")
    if not businesses:
        print("  no businesses: check-ins are empty and the hot spots follow street length; add --businesses FILE "
              "(CSV or .osm) or --osm-businesses")
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
    district = load_district_arg(args)
    hint = None
    hint_text, (hint_lat, hint_lon) = "the patrol area's centre", district.geocoder.near or (None, None)
    if args.near:
        at = district.geocode(args.near)
        hint, hint_text, hint_lat, hint_lon = (at.lat, at.lon), at.matched, at.lat, at.lon
    loc = district.geocode(args.text, near=hint)
    if args.json:
        print_json({**loc.to_dict(), "near": {"text": hint_text, "lat": hint_lat, "lon": hint_lon}})
        return 0
    print(f"{loc.matched}: {loc.lat:.6f}, {loc.lon:.6f}  (block {loc.block}, {loc.offset_m:.1f} m along"
          f"{', outside the patrol area' if not loc.in_area else ''})")
    if loc.matches and len(loc.matches) > 1:
        print(f"  ambiguous: these streets meet at {len(loc.matches)} places; nearest to {hint_text} first:")
        for i, m in enumerate(loc.matches, start=1):
            chosen = "  <- chosen" if i == 1 else ""
            area = "" if m.in_area else ", outside the area"
            away = f"{m.distance_m / 1000:.1f} km {m.bearing} of" if m.bearing else "at"
            print(f"  {i:>3}. {m.lat:.6f}, {m.lon:.6f}  {away} {hint_text}{area}{chosen}")
        print("  give --near PLACE to put another first")
    elif loc.alternatives:
        print(f"  also: {'; '.join(loc.alternatives)}")
    return 0
