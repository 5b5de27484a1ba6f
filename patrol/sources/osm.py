"""OpenStreetMap sources: an XML export (tested offline) and live downloads through osmnx.

Both paths go through :func:`graph_from_osmnx`, which turns an osmnx graph into the normalized
contract: walkable ways only, one-way rules ignored, the largest connected piece kept.  The live
path (:func:`download_osm`) is a thin wrapper that only adds the download.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import networkx as nx
from shapely.geometry import LineString, Point

from patrol.businesses import Business
from patrol.errors import DistrictError
from patrol.graph import RawBlock, normalize_graph
from patrol.sources.repair import drop_duplicates, split_loops
from patrol.sources.report import BuildReport
from patrol.sources.working import keep_largest

__all__ = [
    "BUSINESS_KEYS",
    "businesses_from_osm_features",
    "businesses_from_osm_xml",
    "download_businesses",
    "download_osm",
    "graph_from_osm_xml",
    "graph_from_osmnx",
    "way_class",
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


def _first(value: Any) -> Any:
    if isinstance(value, list):
        return value[0] if value else None
    return value


def way_class(d: dict[str, Any]) -> str | None:
    """Why a way is not walkable (``highway=motorway``, ``access=private``, ...), or ``None`` when it is.

    Examples
    --------
    >>> way_class({"highway": "residential"}) is None
    True
    >>> way_class({"highway": "motorway_link"}), way_class({"highway": "service", "service": "driveway"})
    ('highway=motorway_link', 'service=driveway')
    """
    highway = d.get("highway")
    highways = highway if isinstance(highway, list) else [highway]
    if not any(h in _WALKABLE for h in highways):
        return f"highway={_first(highways)}"
    if _first(d.get("service")) in _NOT_FOR_WALKING:
        return f"service={_first(d.get('service'))}"
    if _first(d.get("access")) in ("private", "no"):
        return f"access={_first(d.get('access'))}"
    if _first(d.get("foot")) == "no":
        return "foot=no"
    return None


def graph_from_osmnx(G: nx.MultiDiGraph, *, name: str = "district", source: str = "OpenStreetMap",
                     builder: str = "osm") -> nx.MultiGraph:
    """Normalize an osmnx graph (from XML or a download) into the street-graph contract.

    Ways that are not walkable (motorways, driveways, private or foot=no) are left out, reciprocal
    directed edges become one block, unnamed ways are named after their type (``unnamed footway``),
    closed loops are split in two and drawn-twice ways kept once (:mod:`patrol.sources.repair`), and
    only the largest connected piece is kept.  The counts are in ``graph.graph["build_report"]``.

    Raises
    ------
    DistrictError
        When the data holds no walkable way.
    """
    import osmnx as ox

    U = ox.convert.to_undirected(G)
    not_walkable: dict[str, int] = {}
    examples: dict[str, list[str]] = {}
    keep = []
    for u, v, k, d in U.edges(keys=True, data=True):
        cls = way_class(d)
        if cls is None:
            keep.append((u, v, k))
            continue
        not_walkable[cls] = not_walkable.get(cls, 0) + 1
        label = str(_first(d.get("name")) or "")
        if label and len(examples.setdefault(cls, [])) < 3 and label not in examples[cls]:
            examples[cls].append(label)
    report = BuildReport(source=source, builder=builder, input_crs="EPSG:4326", features=U.number_of_edges(),
                         not_walkable=not_walkable, examples={k: v for k, v in examples.items() if v})
    if not keep:
        raise DistrictError("the OpenStreetMap data holds no walkable ways")
    H = U.edge_subgraph(keep)
    nodes = {int(n): (float(d["x"]), float(d["y"])) for n, d in H.nodes(data=True)}
    blocks: list[RawBlock] = []
    too_short = 0
    for u, v, d in H.edges(data=True):
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
        if not length > 0:
            too_short += 1
            continue
        blocks.append(RawBlock(int(u), int(v), str(name_), length, kind, coords, speed))
    blocks, split, dropped = split_loops(blocks, nodes)
    blocks, dup, rev = drop_duplicates(blocks, nodes)
    used = {b.u for b in blocks} | {b.v for b in blocks}
    nodes = {n: p for n, p in nodes.items() if n in used}
    graph, islands = keep_largest(normalize_graph(nodes, blocks, name=name, source="osm"))
    graph.graph["build_report"] = report.replace(too_short=too_short, self_loops_split=split,
                                                 self_loops_dropped=dropped, duplicates=dup,
                                                 reversed_duplicates=rev, islands=islands)
    return graph


def businesses_from_osm_features(features: Any) -> list[Business]:
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


def _features_or_none(fetch: Callable[[], Any], where: str) -> Any:
    """An osmnx features frame, or ``None`` when the data holds no business (osmnx raises then)."""
    from osmnx._errors import InsufficientResponseError

    try:
        return fetch()
    except InsufficientResponseError:
        log.warning("%s: no shops, amenities or offices in the OpenStreetMap data; no businesses", where)
        return None


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
        features = _features_or_none(lambda: ox.features_from_xml(path, tags=dict.fromkeys(BUSINESS_KEYS, True)),
                                     path.name)
    except DistrictError:
        raise
    except Exception as exc:  # osmnx raises several types on malformed XML
        raise DistrictError(f"cannot read {path.name} as OpenStreetMap XML: {exc}") from exc
    log.info("read %s: %d nodes, %d ways-edges", path.name, len(raw), raw.number_of_edges())
    return (graph_from_osmnx(raw, name=name, source=str(path), builder="osm-xml"),
            businesses_from_osm_features(features))


def businesses_from_osm_xml(path: str | Path) -> list[Business]:
    """Named shops, amenities, offices, ... of an OpenStreetMap XML export (for a district of another source).

    Raises
    ------
    DistrictError
        When the file is missing or not OpenStreetMap XML.
    """
    import osmnx as ox

    path = Path(path)
    if not path.is_file():
        raise DistrictError(f"OpenStreetMap file not found: {path}", field="businesses")
    try:
        features = _features_or_none(lambda: ox.features_from_xml(path, tags=dict.fromkeys(BUSINESS_KEYS, True)),
                                     path.name)
    except Exception as exc:  # osmnx raises several types on malformed XML
        raise DistrictError(f"cannot read {path.name} as OpenStreetMap XML: {exc}", field="businesses") from exc
    return businesses_from_osm_features(features)


def _download(what: str, fetch: Callable[[], Any]) -> Any:
    """Run an osmnx download, turning its failures into errors that name the problem."""
    import requests
    from osmnx._errors import InsufficientResponseError, ResponseStatusCodeError

    try:
        return fetch()
    except requests.RequestException as exc:
        raise DistrictError(f"cannot download {what} from OpenStreetMap (no internet connection?): {exc}",
                            field="place") from exc
    except ResponseStatusCodeError as exc:
        raise DistrictError(f"OpenStreetMap refused the request for {what}: {exc}", field="place") from exc
    except (InsufficientResponseError, ValueError, TypeError) as exc:
        raise DistrictError(f"OpenStreetMap has no walking network for {what}: {exc}", field="place") from exc


def download_osm(place: str | None = None, *, polygon: Any = None, name: str | None = None
                 ) -> tuple[nx.MultiGraph, list[Business]]:
    """Download a walking network and its businesses from OpenStreetMap (needs internet).

    Give a ``place`` name osmnx can geocode (``"Uptown, Minneapolis, Minnesota"``) or a shapely
    ``polygon`` in WGS84.  This is the documented way to build a new district; see
    ``patrol district build --place``.

    Raises
    ------
    DistrictError
        When OpenStreetMap cannot be reached, does not know the place, or has no walking network there
        (the message names the place and the reason).
    """
    import osmnx as ox

    if (place is None) == (polygon is None):
        raise DistrictError("give exactly one of a place name or a polygon")
    tags = dict.fromkeys(BUSINESS_KEYS, True)
    what = repr(place) if place is not None else "the polygon"
    if place is not None:
        raw = _download(what, lambda: ox.graph_from_place(place, network_type="walk", simplify=True))
        features = _download(what, lambda: _features_or_none(lambda: ox.features_from_place(place, tags=tags), what))
    else:
        raw = _download(what, lambda: ox.graph_from_polygon(polygon, network_type="walk", simplify=True))
        features = _download(what, lambda: _features_or_none(lambda: ox.features_from_polygon(polygon, tags=tags),
                                                             what))
    if raw.number_of_edges() == 0:
        raise DistrictError(f"OpenStreetMap has no walking network for {what}", field="place")
    return (graph_from_osmnx(raw, name=name or place or "district", source=f"OpenStreetMap: {place or 'polygon'}"),
            businesses_from_osm_features(features))


def download_businesses(south: float, north: float, west: float, east: float) -> list[Business]:
    """Shops, amenities, offices, ... of a WGS84 box from live OpenStreetMap (for a centreline district).

    Raises
    ------
    DistrictError
        When OpenStreetMap cannot be reached.
    """
    import osmnx as ox

    tags = dict.fromkeys(BUSINESS_KEYS, True)
    what = f"the box lat {south:.4f}..{north:.4f}, lon {west:.4f}..{east:.4f}"
    features = _download(what, lambda: _features_or_none(
        lambda: ox.features_from_bbox((west, south, east, north), tags=tags), what))
    return businesses_from_osm_features(features)
