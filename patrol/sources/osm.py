"""OpenStreetMap sources: an XML export (tested offline) and live downloads through osmnx.

Both paths go through :func:`graph_from_osmnx`, which turns an osmnx graph into the normalized
contract: walkable ways only, one-way rules ignored, the largest connected piece kept.  The live
path (:func:`download_osm`) is a thin wrapper that only adds the download.
"""

from __future__ import annotations

import logging
import math
from pathlib import Path

import networkx as nx
from shapely.geometry import LineString, Point

from patrol.businesses import Business
from patrol.errors import DistrictError
from patrol.graph import RawBlock, largest_component, normalize_graph

__all__ = [
    "BUSINESS_KEYS",
    "businesses_from_osm_features",
    "download_osm",
    "graph_from_osm_xml",
    "graph_from_osmnx",
]

log = logging.getLogger(__name__)

BUSINESS_KEYS = ("shop", "amenity", "office", "craft", "leisure", "tourism")
_WALKABLE = {
    "primary", "primary_link", "secondary", "secondary_link", "tertiary", "tertiary_link", "residential",
    "unclassified", "living_street", "pedestrian", "footway", "path", "steps", "service", "cycleway",
    "track", "road", "bridleway", "corridor",
}
_TRAILS = {"footway", "path", "steps", "cycleway", "track", "bridleway", "pedestrian", "corridor"}
_NOT_FOR_WALKING = {"driveway", "parking_aisle", "drive-through", "emergency_access"}


def _first(value):
    if isinstance(value, list):
        return value[0] if value else None
    return value


def _is_walkable(d: dict) -> bool:
    highway = d.get("highway")
    highways = highway if isinstance(highway, list) else [highway]
    if not any(h in _WALKABLE for h in highways):
        return False
    if _first(d.get("service")) in _NOT_FOR_WALKING:
        return False
    if _first(d.get("access")) in ("private", "no") or _first(d.get("foot")) == "no":
        return False
    return True


def graph_from_osmnx(G: nx.MultiDiGraph, *, name: str = "district") -> nx.MultiGraph:
    """Normalize an osmnx graph (from XML or a download) into the street-graph contract.

    Ways that are not walkable (motorways, driveways, private or foot=no) are dropped, reciprocal
    directed edges become one block, unnamed ways are named after their type
    (``unnamed footway``), and only the largest connected piece is kept.
    """
    import osmnx as ox

    keep = [(u, v, k) for u, v, k, d in G.edges(keys=True, data=True) if _is_walkable(d)]
    if not keep:
        raise DistrictError("the OpenStreetMap data holds no walkable ways")
    H = ox.convert.to_undirected(G.edge_subgraph(keep).copy())
    nodes = {int(n): (float(d["x"]), float(d["y"])) for n, d in H.nodes(data=True)}
    blocks: list[RawBlock] = []
    for u, v, d in H.edges(data=True):
        if u == v and float(d.get("length", 0)) <= 0:
            continue
        highway = _first(d.get("highway")) or "way"
        name_ = _first(d.get("name")) or f"unnamed {highway}"
        kind = "trail" if highway in _TRAILS else "parkway" if "parkway" in name_.lower() else "street"
        geom = d.get("geometry")
        if isinstance(geom, LineString):
            coords = list(geom.coords)
            pu = nodes[int(u)]
            if math.dist(coords[0], pu) > math.dist(coords[-1], pu):
                coords.reverse()
        else:
            coords = None
        maxspeed = _first(d.get("maxspeed"))
        try:
            speed = float(str(maxspeed).split()[0]) if maxspeed else None
        except ValueError:
            speed = None
        length = float(d.get("length") or 0.0)
        if length <= 0:
            continue
        blocks.append(RawBlock(int(u), int(v), str(name_), length, kind, coords, speed))
    used = {b.u for b in blocks} | {b.v for b in blocks}
    nodes = {n: p for n, p in nodes.items() if n in used}
    return largest_component(normalize_graph(nodes, blocks, name=name, source="osm"))


def businesses_from_osm_features(features) -> list[Business]:
    """Named shops, amenities, offices, crafts, leisure and tourism places from an osmnx features frame."""
    out: list[Business] = []
    if features is None or len(features) == 0 or "name" not in features.columns:
        return out
    for _, row in features.iterrows():
        name = row.get("name")
        if not isinstance(name, str) or not name.strip():
            continue
        category = ""
        for key in BUSINESS_KEYS:
            value = row.get(key)
            if isinstance(value, str) and value:
                category = f"{key}:{value}"
                break
        if not category:
            continue
        geom = row.geometry
        point = geom if isinstance(geom, Point) else geom.representative_point()
        hours = row.get("opening_hours") if "opening_hours" in features.columns else None
        out.append(Business(name.strip(), category, round(point.y, 7), round(point.x, 7), "OpenStreetMap",
                            hours if isinstance(hours, str) else ""))
    return out


def graph_from_osm_xml(path: str | Path, *, name: str = "district") -> tuple[nx.MultiGraph, list[Business]]:
    """Street graph and businesses from an OpenStreetMap XML export (``.osm``).

    Raises
    ------
    DistrictError
        When the file is missing or not OpenStreetMap XML.
    """
    import osmnx as ox

    path = Path(path)
    if not path.is_file():
        raise DistrictError(f"OpenStreetMap file not found: {path}")
    try:
        raw = ox.graph_from_xml(path, simplify=True, retain_all=True)
        features = ox.features_from_xml(path, tags=dict.fromkeys(BUSINESS_KEYS, True))
    except Exception as exc:  # osmnx raises several types on malformed XML
        raise DistrictError(f"cannot read {path.name} as OpenStreetMap XML: {exc}") from exc
    log.info("read %s: %d nodes, %d ways-edges, %d features", path.name, len(raw), raw.number_of_edges(),
             len(features))
    return graph_from_osmnx(raw, name=name), businesses_from_osm_features(features)


def download_osm(place: str | None = None, *, polygon=None, name: str | None = None
                 ) -> tuple[nx.MultiGraph, list[Business]]:
    """Download a walking network and its businesses from OpenStreetMap (needs internet).

    Give a ``place`` name osmnx can geocode (``"Uptown, Minneapolis, Minnesota"``) or a shapely
    ``polygon`` in WGS84.  This is the documented way to build a new district; see
    ``patrol district build --place``.
    """
    import osmnx as ox

    if (place is None) == (polygon is None):
        raise DistrictError("give exactly one of a place name or a polygon")
    tags = dict.fromkeys(BUSINESS_KEYS, True)
    if place is not None:
        raw = ox.graph_from_place(place, network_type="walk", simplify=True)
        features = ox.features_from_place(place, tags=tags)
    else:
        raw = ox.graph_from_polygon(polygon, network_type="walk", simplify=True)
        features = ox.features_from_polygon(polygon, tags=tags)
    return graph_from_osmnx(raw, name=name or place or "district"), businesses_from_osm_features(features)
