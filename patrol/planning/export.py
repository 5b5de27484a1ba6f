"""Writers for a daily plan: plan.json, routes.geojson, GPX tracks, and (from :mod:`.sheets` and
:mod:`.plan_map`) the printable route sheets and the map.

All writers take the plan.json content (``DailyPlan.to_dict()``) and the district, so they also work on
a plan read back from disk.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from patrol._json import to_jsonable
from patrol.district import District
from patrol.planning.itinerary import RouteGeometry, unit_rows
from patrol.planning.plan_map import write_map
from patrol.planning.sheets import write_sheets
from patrol.settings import format_hhmm

__all__ = ["write_geojson", "write_gpx", "write_map", "write_outputs", "write_plan_json", "write_sheets"]

log = logging.getLogger(__name__)


def write_plan_json(plan: dict, path: str | Path) -> Path:
    """Write plan.json (see ``docs/plan-schema.md``)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(to_jsonable(plan), indent=1), encoding="utf-8")
    return path


def write_geojson(plan: dict, district: District, path: str | Path) -> Path:
    """routes.geojson: a LineString per walk step and a Point per check-in, dwell, break and post.

    Properties: ``walker``, ``activity``, ``t0``/``t1`` (HH:MM), ``street``, ``ref``.
    """
    geometry = RouteGeometry(district)
    feats = []
    for w, info in plan["walkers"].items():
        for s in info["steps"]:
            props = {"walker": w, "activity": s["activity"], "t0": format_hhmm(s["t0"]), "t1": format_hhmm(s["t1"]),
                     "street": s.get("street", ""), "ref": s.get("ref", "")}
            geom: dict[str, Any]
            if s["activity"] == "walk":
                coords = geometry.leg(s)
                if len(coords) < 2:
                    continue
                geom = {"type": "LineString", "coordinates": coords}
            else:
                lat, lon = geometry.point(s["block"], s["off0"])
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

    geometry = RouteGeometry(district)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for w, info in plan["walkers"].items():
        g = gpxpy.gpx.GPX()
        g.creator = "patrol"
        trk = gpxpy.gpx.GPXTrack(name=f"{w} {plan['day']}")
        # waypoint names in the route sheet's words ("10:14 Check in with ECig Crib"), one per check-in and stay
        said = {i: r.text for r in unit_rows(info["steps"], district) for i in r.steps
                if info["steps"][i]["activity"] in ("checkin", "dwell")}
        seg = gpxpy.gpx.GPXTrackSegment()
        trk.segments.append(seg)
        g.tracks.append(trk)
        for i, s in enumerate(info["steps"]):
            if s["activity"] == "walk":
                coords = geometry.leg(s)
                n = len(coords)
                for j, (lon, lat) in enumerate(coords):
                    if seg.points and j == 0:
                        continue
                    t = s["t0"] + (s["t1"] - s["t0"]) * (j / (n - 1) if n > 1 else 1.0)
                    seg.points.append(gpxpy.gpx.GPXTrackPoint(lat, lon, time=_when(plan, district, t)))
            else:
                lat, lon = geometry.point(s["block"], s["off0"])
                seg.points.append(gpxpy.gpx.GPXTrackPoint(lat, lon, time=_when(plan, district, s["t1"])))
                if s["activity"] in ("checkin", "dwell"):
                    g.waypoints.append(gpxpy.gpx.GPXWaypoint(
                        lat, lon, time=_when(plan, district, s["t0"]),
                        name=f"{format_hhmm(s['t0'])} {said.get(i, s.get('ref', ''))}"[:60], type=s["activity"]))
        path = folder / f"{w.replace('/', '_')}.gpx"
        path.write_text(g.to_xml(version="1.1"), encoding="utf-8")
        out.append(path)
    return out


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
