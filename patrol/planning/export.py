"""Writers for a daily plan: plan.json, routes.geojson, GPX tracks, printable route sheets, folium map.

All writers take the plan.json content (``DailyPlan.to_dict()``) and the district, so they also work on
a plan read back from disk.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import logging
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from patrol._json import to_jsonable
from patrol.district import District

__all__ = ["write_geojson", "write_gpx", "write_map", "write_outputs", "write_plan_json", "write_sheets"]

log = logging.getLogger(__name__)


def _hhmm(t: float) -> str:
    m = int(round(t))
    return f"{m // 60:02d}:{m % 60:02d}"


def write_plan_json(plan: dict, path: str | Path) -> Path:
    """Write plan.json (see ``docs/plan-schema.md``)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(to_jsonable(plan), indent=1), encoding="utf-8")
    return path


def _leg_coords(district, leg: dict) -> list[tuple[float, float]]:
    """(lon, lat) points of a walk leg, following the block's geometry between the offsets."""
    from shapely.geometry import LineString
    from shapely.ops import substring

    a = district.arrays
    b = leg["block"]
    L = float(a.edge_length[b])
    geom: LineString = _geoms(district)[b]
    f0, f1 = (leg["off0"] / L, leg["off1"] / L) if L > 0 else (0.0, 0.0)
    part = substring(geom, min(f0, f1), max(f0, f1), normalized=True)
    coords = list(part.coords) if part.geom_type == "LineString" else [part.coords[0], part.coords[0]]
    if f1 < f0:
        coords.reverse()
    return [(float(x), float(y)) for x, y in coords]


_GEOM_CACHE: dict[int, dict[int, Any]] = {}


def _geoms(district) -> dict[int, Any]:
    key = id(district)
    if key not in _GEOM_CACHE:
        _GEOM_CACHE[key] = {int(d["block"]): d["geometry"] for _, _, d in district.graph.edges(data=True)}
    return _GEOM_CACHE[key]


def write_geojson(plan: dict, district: District, path: str | Path) -> Path:
    """routes.geojson: a LineString per walk step and a Point per check-in, dwell, break and post.

    Properties: ``walker``, ``activity``, ``t0``/``t1`` (HH:MM), ``street``, ``ref``.
    """
    _geoms(district)
    feats = []
    for w, info in plan["walkers"].items():
        for s in info["steps"]:
            props = {"walker": w, "activity": s["activity"], "t0": _hhmm(s["t0"]), "t1": _hhmm(s["t1"]),
                     "street": s.get("street", ""), "ref": s.get("ref", "")}
            geom: dict[str, Any]
            if s["activity"] == "walk":
                coords = _leg_coords(district, s)
                if len(coords) < 2:
                    continue
                geom = {"type": "LineString", "coordinates": coords}
            else:
                lat, lon = district.geocoder.point_on_block(s["block"], s["off0"])
                geom = {"type": "Point", "coordinates": [lon, lat]}
            feats.append({"type": "Feature", "geometry": geom, "properties": props})
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"type": "FeatureCollection", "features": feats}), encoding="utf-8")
    return path


def _when(plan: dict, district: District, minutes: float) -> dt.datetime:
    date = dt.date.fromisoformat(plan["date"]) if plan.get("date") else dt.date.today()
    tz = ZoneInfo(district.settings.district.timezone)
    local = dt.datetime.combine(date, dt.time()) + dt.timedelta(minutes=minutes)
    return local.replace(tzinfo=tz).astimezone(dt.UTC)


def write_gpx(plan: dict, district: District, folder: str | Path) -> list[Path]:
    """``gpx/<walker>.gpx``: a GPX 1.1 track with times, and a waypoint per check-in and dwell."""
    import gpxpy.gpx

    _geoms(district)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for w, info in plan["walkers"].items():
        g = gpxpy.gpx.GPX()
        g.creator = "patrol"
        trk = gpxpy.gpx.GPXTrack(name=f"{w} {plan['day']}")
        seg = gpxpy.gpx.GPXTrackSegment()
        trk.segments.append(seg)
        g.tracks.append(trk)
        for s in info["steps"]:
            if s["activity"] == "walk":
                coords = _leg_coords(district, s)
                n = len(coords)
                for j, (lon, lat) in enumerate(coords):
                    if seg.points and j == 0:
                        continue
                    t = s["t0"] + (s["t1"] - s["t0"]) * (j / (n - 1) if n > 1 else 1.0)
                    seg.points.append(gpxpy.gpx.GPXTrackPoint(lat, lon, time=_when(plan, district, t)))
            else:
                lat, lon = district.geocoder.point_on_block(s["block"], s["off0"])
                seg.points.append(gpxpy.gpx.GPXTrackPoint(lat, lon, time=_when(plan, district, s["t1"])))
                if s["activity"] in ("checkin", "dwell"):
                    g.waypoints.append(gpxpy.gpx.GPXWaypoint(
                        lat, lon, time=_when(plan, district, s["t0"]),
                        name=f"{_hhmm(s['t0'])} {s['activity']}: {s.get('ref', '')}"[:60], type=s["activity"]))
        path = folder / f"{w.replace('/', '_')}.gpx"
        path.write_text(g.to_xml(version="1.1"), encoding="utf-8")
        out.append(path)
    return out


def write_sheets(plan: dict, district: District, path: str | Path) -> Path:
    """sheets.html: a printable route sheet per walker (timeline, streets in order, businesses to visit)."""
    e = html.escape
    parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>Route sheets {e(plan['day'])}</title>",
             "<style>body{font:12px sans-serif} .sheet{page-break-after:always;margin-bottom:2em} "
             "table{border-collapse:collapse} td,th{border:1px solid #999;padding:2px 6px} "
             ".short{color:#b00}</style></head><body>"]
    parts.append(f"<h1>{e(plan['district'])}: {e(plan['day'])} {e(plan.get('date') or '')}</h1>")
    if plan.get("shortfalls"):
        parts.append("<p class='short'><b>Targets not met:</b></p><ul class='short'>")
        parts += [f"<li>{e(str(s['target']))}: required {e(str(s['required']))}, achieved {e(str(s['achieved']))}"
                  f" ({e(str(s['detail']))})</li>" for s in plan["shortfalls"]]
        parts.append("</ul>")
    for w, info in plan["walkers"].items():
        steps = info["steps"]
        parts.append(f"<div class='sheet'><h2>{e(w)} ({e(', '.join(info['members']))}, {e(info['role'])})</h2>")
        sm = info.get("summary", {})
        parts.append(f"<p>Walk {sm.get('walk_km', '?')} km, {sm.get('checkins', '?')} check-ins, "
                     f"{sm.get('dwell_min', '?')} min at hot spots; start and end at the base.</p>")
        streets: list[str] = []
        for s in steps:
            if s["activity"] == "walk" and (not streets or streets[-1] != s.get("street")):
                streets.append(s.get("street", ""))
        parts.append("<h3>Streets in order</h3><p>" + " &rarr; ".join(e(x) for x in streets) + "</p>")
        biz = [s for s in steps if s["activity"] == "checkin"]
        parts.append("<h3>Businesses to visit</h3><ol>" + "".join(
            f"<li>{_hhmm(s['t0'])} {e(s.get('ref', ''))} ({e(s.get('street', ''))})</li>" for s in biz) + "</ol>")
        parts.append("<h3>Timeline</h3><table><tr><th>from</th><th>to</th><th>activity</th><th>where</th></tr>")
        merged: list[list] = []
        for s in steps:
            what = s["activity"] if s["activity"] != "break" else f"break ({s.get('break', s.get('ref', ''))})"
            where = s.get("street", "") if s["activity"] == "walk" else f"{s.get('ref', '')} ({s.get('street', '')})"
            if merged and merged[-1][2] == what == "walk" and merged[-1][3] == where:
                merged[-1][1] = s["t1"]
            else:
                merged.append([s["t0"], s["t1"], what, where])
        parts += [f"<tr><td>{_hhmm(a)}</td><td>{_hhmm(b)}</td><td>{e(c)}</td><td>{e(d)}</td></tr>"
                  for a, b, c, d in merged]
        parts.append("</table></div>")
    parts.append("</body></html>")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(parts), encoding="utf-8")
    return path


def write_map(plan: dict, district: District, path: str | Path) -> Path:
    """A folium map: one colour and layer per walker, popups with times; offline (Leaflet inlined)."""
    import folium

    from patrol import maps

    _geoms(district)
    m = maps.new_map(district, title=f"{district.name}: plan for {plan['day']}")
    maps.add_streets(m, district, highlight_corridor=True)
    maps.add_area(m, district)
    for j, (w, info) in enumerate(plan["walkers"].items()):
        colour = maps.PALETTE[j % len(maps.PALETTE)]
        group = folium.FeatureGroup(name=w)
        for s in info["steps"]:
            if s["activity"] == "walk":
                coords = _leg_coords(district, s)
                if len(coords) >= 2:
                    folium.PolyLine([(y, x) for x, y in coords], color=colour, weight=3, opacity=0.8,
                                    popup=f"{w}: {_hhmm(s['t0'])}-{_hhmm(s['t1'])} {s.get('street', '')}").add_to(group)
            elif s["activity"] in ("checkin", "dwell", "break"):
                lat, lon = district.geocoder.point_on_block(s["block"], s["off0"])
                folium.CircleMarker([lat, lon], radius=4 if s["activity"] == "checkin" else 7, color=colour,
                                    fill=True, fill_opacity=0.9,
                                    popup=f"{w}: {_hhmm(s['t0'])}-{_hhmm(s['t1'])} {s['activity']} "
                                          f"{html.escape(s.get('ref', ''))}").add_to(group)
        group.add_to(m)
    for h in plan.get("hotspots", []):
        folium.CircleMarker([h["lat"], h["lon"]], radius=12, color="#000", weight=2, fill=False,
                            tooltip=f"hot spot {h['id']}: {h['street']}").add_to(m)
    maps.add_base(m, district)
    folium.LayerControl(collapsed=False).add_to(m)
    return maps.save_map(m, path)


def write_outputs(plan: dict, district: District, out_dir: str | Path, *,
                  map_path: str | Path | None = None) -> dict[str, Any]:
    """Write plan.json, routes.geojson, gpx/, sheets.html into ``out_dir`` and the map; return the paths."""
    out = Path(out_dir)
    paths: dict[str, Any] = {
        "plan": write_plan_json(plan, out / "plan.json"),
        "geojson": write_geojson(plan, district, out / "routes.geojson"),
        "gpx": write_gpx(plan, district, out / "gpx"),
        "sheets": write_sheets(plan, district, out / "sheets.html"),
    }
    if map_path is not None:
        paths["map"] = write_map(plan, district, map_path)
    return paths
