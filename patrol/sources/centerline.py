"""City street-centreline GeoJSON (segments ending at intersections, e.g. Minneapolis open data).

Segment ends closer than ``snap_m`` metres are merged into one intersection node; freeways and
their ramps are left out (not walkable); the largest connected piece is kept.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import networkx as nx
import numpy as np
from pyproj import Transformer
from scipy.spatial import cKDTree
from shapely.geometry import LineString

from patrol.errors import DistrictError
from patrol.graph import RawBlock, largest_component, normalize_graph, utm_crs
from patrol.streetnames import display_name

__all__ = ["graph_from_centerline"]

log = logging.getLogger(__name__)

_NOT_WALKABLE = ("INTERSTATE", "I35W", "I94", "I 35W", "I 94", "HIGHWAY", "FREEWAY")


def _kind(name: str, speed: float | None) -> str:
    upper = name.upper()
    if "GREENWAY" in upper or "TRAIL" in upper or (speed is not None and speed <= 10):
        return "trail"
    if "PKWY" in upper or "PARKWAY" in upper or "LAKE CALHOUN" in upper or "LAKE OF THE ISLES" in upper:
        return "parkway"
    return "street"


def graph_from_centerline(
    path: str | Path, *, name: str = "district", name_field: str = "streetname",
    speed_field: str = "speed_lim", snap_m: float = 2.0,
) -> nx.MultiGraph:
    """Build the normalized street graph from a street-centreline GeoJSON file.

    Raises
    ------
    DistrictError
        When the file is missing, not GeoJSON, or has no usable LineString features.
    """
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        features = data["features"]
    except FileNotFoundError as exc:
        raise DistrictError(f"centreline file not found: {path}") from exc
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        raise DistrictError(f"{path.name} is not a GeoJSON FeatureCollection: {exc}") from exc
    lines: list[tuple[list[tuple[float, float]], str, float | None]] = []
    for f in features:
        geom = f.get("geometry") or {}
        props = f.get("properties") or {}
        raw_name = str(props.get(name_field) or "").strip()
        speed = props.get(speed_field)
        speed = float(speed) if isinstance(speed, int | float) else None
        if not raw_name or any(w in raw_name.upper() for w in _NOT_WALKABLE) or (speed or 0) >= 55:
            continue
        parts = [geom.get("coordinates")] if geom.get("type") == "LineString" else (
            geom.get("coordinates") if geom.get("type") == "MultiLineString" else [])
        for coords in parts:
            if coords and len(coords) >= 2:
                lines.append(([(float(c[0]), float(c[1])) for c in coords], raw_name, speed))
    if not lines:
        raise DistrictError(f"{path.name}: no walkable LineString features with a '{name_field}'",
                            field=name_field)
    ends = np.array([line[0][0] for line in lines] + [line[0][-1] for line in lines])
    crs = utm_crs(float(ends[:, 0].mean()), float(ends[:, 1].mean()))
    to_xy = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    ex, ey = to_xy.transform(ends[:, 0], ends[:, 1])
    pts = np.column_stack([ex, ey])
    # union-find over ends closer than snap_m
    parent = np.arange(len(pts))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return int(i)

    for i, j in cKDTree(pts).query_pairs(snap_m):
        ri, rj = find(i), find(j)
        if ri != rj:
            parent[max(ri, rj)] = min(ri, rj)
    roots = np.array([find(i) for i in range(len(pts))])
    uniq, node_of = np.unique(roots, return_inverse=True)
    nodes = {int(k): (float(ends[roots == r][:, 0].mean()), float(ends[roots == r][:, 1].mean()))
             for k, r in enumerate(uniq)}
    n_lines = len(lines)
    blocks = []
    for i, (coords, raw_name, speed) in enumerate(lines):
        u, v = int(node_of[i]), int(node_of[n_lines + i])
        xs, ys = to_xy.transform([c[0] for c in coords], [c[1] for c in coords])
        length = float(LineString(list(zip(xs, ys, strict=True))).length)
        if length <= 0.5:
            continue
        blocks.append(RawBlock(u, v, display_name(raw_name), round(length, 1), _kind(raw_name, speed),
                               coords, speed))
    log.info("read %s: %d segments, %d intersections", path.name, len(blocks), len(nodes))
    G = normalize_graph(nodes, blocks, name=name, source="centerline")
    return largest_component(G)
