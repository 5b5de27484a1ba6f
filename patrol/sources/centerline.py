"""City street-centreline GeoJSON (segments ending at intersections, e.g. Minneapolis open data).

A whole city's file is read as it is published, broken features included, and every repair or omission
is counted in the build report (:class:`patrol.sources.report.BuildReport`), never a traceback:

* **CRS.**  The file's ``crs`` member is honoured (``urn:ogc:def:crs:EPSG::26915``, ``EPSG:26915``, CRS84);
  projected coordinates are reprojected to WGS84 with pyproj.  Without a member the coordinates must be
  longitude/latitude (RFC 7946); a file whose numbers are not degrees is refused, naming the problem.
* **Geometry.**  Null, empty or non-line geometries are left out; null or non-finite vertices are removed
  (a line left with fewer than two points is left out); MultiLineStrings are split into their parts.
* **Walkability.**  Freeways (interstates, highways, speed limit >= 55 mph), HOV lanes, ramps (the data's
  ``"EB I394 TO PENN AVE S"`` connectors; a connector to a greenway is a trail and is kept) and garage or
  bus exits are left out, counted by class with example names (:func:`road_class`); so are unnamed segments.
* **Topology.**  Segment ends closer than ``snap_m`` metres become one intersection; segments shorter than
  0.5 m are left out; a segment drawn twice between the same intersections (the same way or reversed,
  within 3 m everywhere) is kept once; a closed loop is split at its middle into two blocks (left out
  when shorter than 10 m); only the largest connected piece is kept (:func:`patrol.sources.working.keep_largest`).

The build command then clips the result to the patrol area plus a margin (:mod:`patrol.sources.working`).
"""

from __future__ import annotations

import json
import logging
import math
import re
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from patrol.errors import DistrictError
from patrol.graph import RawBlock, normalize_graph, utm_crs
from patrol.sources.repair import drop_duplicates, split_loops
from patrol.sources.report import BuildReport
from patrol.sources.working import keep_largest
from patrol.streetnames import display_name

__all__ = ["WALKABLE_CLASSES", "graph_from_centerline", "road_class", "source_crs"]

log = logging.getLogger(__name__)

#: Road classes that are walked (the rest are left out and counted in the build report).
WALKABLE_CLASSES = ("street", "parkway", "trail")
_MIN_LENGTH_M = 0.5
_TRAIL_WORDS = re.compile(r"GREENWAY|GRNWY|GRWY|TRAIL")
_INTERSTATE = re.compile(r"\b(INTERSTATE|FREEWAY|EXPRESSWAY)\b|\bI ?\d{1,3}[A-Z]?\b")
_HIGHWAY = re.compile(r"^(HIGHWAY|HWY|TH) ?\d+[A-Z]?$")
_EXIT = re.compile(r"\bGARAGE\b|\b(EXIT|RAMP)$")


def road_class(name: str, speed_mph: float | None = None) -> str:
    """The class of a centreline segment from its name and speed limit.

    Walkable: ``street``, ``parkway``, ``trail``.  Left out: ``freeway``, ``hov lane``, ``ramp``, ``driveway``.

    Examples
    --------
    >>> road_class("LAKE", 30), road_class("MIDTOWN GREENWAY W", 10), road_class("DEAN PKWY", 25)
    ('street', 'trail', 'parkway')
    >>> road_class("EB I394 TO PENN AVE S"), road_class("394 HOV"), road_class("INTERSTATE 94")
    ('ramp', 'hov lane', 'freeway')
    >>> road_class("31ST ST W TO MIDTOWN GRNWY W"), road_class("HIAWATHA", 55), road_class("GARAGE B RAMP")
    ('trail', 'freeway', 'driveway')
    """
    upper = " ".join(name.upper().split())
    if re.search(r"\bHOV\b", upper):
        return "hov lane"
    if " TO " in upper:
        return "trail" if _TRAIL_WORDS.search(upper) else "ramp"
    if _INTERSTATE.search(upper) or _HIGHWAY.match(upper) or (speed_mph is not None and speed_mph >= 55):
        return "freeway"
    if _EXIT.search(upper) or upper == "BUS EXIT":
        return "driveway"
    if _TRAIL_WORDS.search(upper) or (speed_mph is not None and speed_mph <= 10):
        return "trail"
    if "PKWY" in upper or "PARKWAY" in upper or "LAKE CALHOUN" in upper or "LAKE OF THE ISLES" in upper:
        return "parkway"
    return "street"


def source_crs(data: dict[str, Any], *, where: str = "the file") -> CRS:
    """The CRS a GeoJSON document declares in its ``crs`` member (WGS84 longitude/latitude without one).

    Raises
    ------
    DistrictError
        When the member is not a CRS pyproj knows.

    Examples
    --------
    >>> source_crs({"crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::26915"}}}).to_epsg()
    26915
    >>> source_crs({}).to_epsg()
    4326
    """
    member = data.get("crs")
    if member is None:
        return CRS.from_epsg(4326)
    text = member
    if isinstance(member, dict):
        props = member.get("properties") or {}
        text = props.get("name") or props.get("href") or props.get("code")
    if not isinstance(text, str | int) or not str(text).strip():
        raise DistrictError(f"{where}: its crs member {member!r} names no coordinate reference system", field="crs")
    try:
        return CRS.from_user_input(text)
    except CRSError as exc:
        raise DistrictError(f"{where}: crs {text!r} is not a coordinate reference system pyproj knows ({exc})",
                            field="crs") from exc


def _vertices(coords: Any) -> tuple[list[tuple[float, float]], int]:
    """Good ``(x, y)`` vertices of a GeoJSON position list and the number of null/non-finite ones removed."""
    out: list[tuple[float, float]] = []
    bad = 0
    for c in coords if isinstance(coords, list) else []:
        try:
            x, y = float(c[0]), float(c[1])
        except (TypeError, ValueError, IndexError):
            bad += 1
            continue
        if not (math.isfinite(x) and math.isfinite(y)):
            bad += 1
            continue
        if not out or out[-1] != (x, y):
            out.append((x, y))
    return out, bad


def _examples(found: dict[str, list[str]], cls: str, name: str) -> None:
    names = found.setdefault(cls, [])
    if len(names) < 3 and name not in names:
        names.append(name)


def graph_from_centerline(
    path: str | Path, *, name: str = "district", name_field: str = "streetname",
    speed_field: str = "speed_lim", snap_m: float = 2.0,
) -> nx.MultiGraph:
    """Build the normalized street graph from a street-centreline GeoJSON file (see the module docstring).

    The build report is attached as ``graph.graph["build_report"]`` (a :class:`BuildReport`).

    Raises
    ------
    DistrictError
        When the file is missing, not GeoJSON, declares an unknown CRS, holds coordinates that are not
        degrees without declaring a CRS, or has no usable walkable line.
    """
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        features = data["features"]
        if not isinstance(features, list):
            raise TypeError("features is not a list")
    except FileNotFoundError as exc:
        raise DistrictError(f"centreline file not found: {path}") from exc
    except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError) as exc:
        raise DistrictError(f"{path.name} is not a GeoJSON FeatureCollection: {exc}") from exc
    crs = source_crs(data, where=path.name)
    counts = dict.fromkeys(("no_geometry", "null_vertices", "null_features", "multi_lines", "multi_parts",
                            "unnamed", "too_short"), 0)
    not_walkable: dict[str, int] = {}
    examples: dict[str, list[str]] = {}
    parts: list[list[tuple[float, float]]] = []
    attrs: list[tuple[str, str, float | None]] = []  # display name, class, speed
    for f in features:
        f = f if isinstance(f, dict) else {}
        geom = f.get("geometry") or {}
        props = f.get("properties")
        props = props if isinstance(props, dict) else {}
        gtype = geom.get("type") if isinstance(geom, dict) else None
        if gtype == "LineString":
            lines = [geom.get("coordinates")]
        elif gtype == "MultiLineString" and isinstance(geom.get("coordinates"), list):
            lines = list(geom["coordinates"])
            counts["multi_lines"] += 1
        else:
            counts["no_geometry"] += 1
            continue
        raw_name = " ".join(str(props.get(name_field) or "").split())
        speed = props.get(speed_field)
        speed = float(speed) if isinstance(speed, int | float) and not isinstance(speed, bool) else None
        good = []
        for coords in lines:
            pts, bad = _vertices(coords)
            counts["null_vertices"] += bad
            if len(pts) < 2:  # nothing left but one point: of null coordinates, or of one point drawn twice
                counts["null_features" if bad else "too_short"] += 1
                continue
            good.append(pts)
        if gtype == "MultiLineString":
            counts["multi_parts"] += len(lines)
        if not good:
            continue
        if not raw_name:
            counts["unnamed"] += len(good)
            continue
        cls = road_class(raw_name, speed)
        if cls not in WALKABLE_CLASSES:
            not_walkable[cls] = not_walkable.get(cls, 0) + len(good)
            _examples(examples, cls, display_name(raw_name))
            continue
        for pts in good:
            parts.append(pts)
            attrs.append((display_name(raw_name), cls, speed))
    report = BuildReport(source=str(path), builder="centerline", input_crs=crs.to_string(), features=len(features),
                         not_walkable=not_walkable, examples=examples, **counts)
    if not parts:
        raise DistrictError(f"{path.name}: no walkable LineString features with a '{name_field}'", field=name_field)
    G = _build(parts, attrs, crs, report, name=name, snap_m=snap_m, where=path.name)
    log.info("read %s: %d features, %d blocks kept", path.name, len(features), G.number_of_edges())
    return G


def _build(parts: list[list[tuple[float, float]]], attrs: list[tuple[str, str, float | None]], crs: CRS,
           report: BuildReport, *, name: str, snap_m: float, where: str) -> nx.MultiGraph:
    sizes = np.array([len(p) for p in parts])
    flat = np.array([xy for p in parts for xy in p], dtype=np.float64)
    if crs.equals(CRS.from_epsg(4326), ignore_axis_order=True):
        lon, lat = flat[:, 0], flat[:, 1]
    else:
        lon, lat = Transformer.from_crs(crs, "EPSG:4326", always_xy=True).transform(flat[:, 0], flat[:, 1])
        lon, lat = np.asarray(lon, np.float64), np.asarray(lat, np.float64)
    if not (np.isfinite(lon).all() and np.abs(lon).max() <= 180 and np.abs(lat).max() <= 90):
        raise DistrictError(f"{where}: coordinates such as {flat[0].tolist()} are not longitude/latitude degrees in "
                            f"the declared CRS {crs.to_string()}; give the file a crs member naming its projection "
                            f"(e.g. EPSG:26915)", field="crs")
    utm = utm_crs(float(lon.mean()), float(lat.mean()))
    x, y = Transformer.from_crs("EPSG:4326", utm, always_xy=True).transform(lon, lat)
    xy = np.column_stack([x, y])
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    ends = starts + sizes - 1
    seg = np.hypot(np.diff(x), np.diff(y))
    seg[ends[:-1]] = 0.0  # no length between one part's last vertex and the next part's first
    cum = np.concatenate([[0.0], np.cumsum(seg)])
    lengths = cum[ends] - cum[starts]
    # intersections: ends closer than snap_m merged (connected components of the "close" pairs)
    end_xy = np.vstack([xy[starts], xy[ends]])
    pairs = np.array(sorted(cKDTree(end_xy).query_pairs(snap_m)), dtype=np.int64).reshape(-1, 2)
    k = end_xy.shape[0]
    close = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(k, k))
    n_nodes, node_of = connected_components(close, directed=False)
    end_lon = np.concatenate([lon[starts], lon[ends]])
    end_lat = np.concatenate([lat[starts], lat[ends]])
    cnt = np.bincount(node_of, minlength=n_nodes)
    node_lon = np.bincount(node_of, end_lon, n_nodes) / cnt
    node_lat = np.bincount(node_of, end_lat, n_nodes) / cnt
    nodes = {i: (float(node_lon[i]), float(node_lat[i])) for i in range(n_nodes)}
    n = len(parts)
    blocks: list[RawBlock] = []
    too_short = report.too_short
    for i in range(n):
        if lengths[i] <= _MIN_LENGTH_M:
            too_short += 1
            continue
        s, e = int(starts[i]), int(ends[i]) + 1
        street, kind, speed = attrs[i]
        blocks.append(RawBlock(int(node_of[i]), int(node_of[n + i]), street, round(float(lengths[i]), 1), kind,
                               list(zip(lon[s:e].tolist(), lat[s:e].tolist(), strict=True)), speed))
    blocks, loops_split, loops_dropped = split_loops(blocks, nodes)
    kept, dup, rev = drop_duplicates(blocks, nodes)
    report = report.replace(too_short=too_short, duplicates=dup, reversed_duplicates=rev,
                            self_loops_split=loops_split, self_loops_dropped=loops_dropped)
    if not kept:
        raise DistrictError(f"{where}: no walkable segment longer than {_MIN_LENGTH_M} m", field="geometry")
    used = {b.u for b in kept} | {b.v for b in kept}
    G = normalize_graph({k_: p for k_, p in nodes.items() if k_ in used}, kept, name=name, source="centerline")
    G, islands = keep_largest(G)
    G.graph["build_report"] = report.replace(islands=islands)
    return G
