"""The normalized street graph: one contract for every data source, and its validator.

Whatever the source (compiled facts, OpenStreetMap, a city centreline), a builder returns a
:class:`networkx.MultiGraph` (walking ignores one-way rules) with

graph attributes
    ``name``, ``crs`` (the projected CRS of ``x``/``y``, a UTM zone picked from the data), ``source``.
node attributes
    ``lon``, ``lat`` (WGS84), ``x``, ``y`` (metres in ``crs``), ``label`` (the streets that meet).
edge attributes (one edge per street block; the edge key is 0)
    ``block`` (contiguous id 0..m-1), ``u``/``v`` (the block's ends as stored, so offsets along the
    block are measured from ``u``), ``length`` (metres, > 0), ``name``, ``kind`` (street, parkway,
    trail), ``geometry`` (a WGS84 :class:`shapely.LineString` from ``u`` to ``v``), ``in_area``
    (both ends inside the patrol area), ``corridor`` (in the area and on a corridor street).

:func:`normalize_graph` turns raw nodes and blocks into that contract and :func:`validate_graph`
checks it.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import networkx as nx
import numpy as np
from pyproj import CRS, Transformer
from shapely.geometry import LineString

from patrol.errors import GraphValidationError
from patrol.settings import Settings
from patrol.streetnames import core_name

__all__ = ["KINDS", "RawBlock", "annotate_graph", "normalize_graph", "utm_crs", "validate_graph"]

log = logging.getLogger(__name__)

KINDS = ("street", "parkway", "trail")


@dataclass(frozen=True)
class RawBlock:
    """One street block as a builder reads it, before normalization."""

    u: int
    v: int
    name: str
    length: float
    kind: str = "street"
    coords: Sequence[tuple[float, float]] | None = None  # (lon, lat) from u to v; straight if None
    speed_limit_mph: float | None = None


def utm_crs(lon: float, lat: float) -> CRS:
    """The UTM zone CRS (WGS84 datum) holding a point.

    Examples
    --------
    >>> utm_crs(-93.29, 44.95).to_epsg()
    32615
    """
    zone = int(math.floor((lon + 180.0) / 6.0)) % 60 + 1
    return CRS.from_epsg((32600 if lat >= 0 else 32700) + zone)


def normalize_graph(
    nodes: dict[int, tuple[float, float]],
    blocks: Iterable[RawBlock],
    *,
    name: str,
    source: str,
    labels: dict[int, str] | None = None,
) -> nx.MultiGraph:
    """Build the normalized graph from nodes ``{id: (lon, lat)}`` and raw blocks.

    Node ids are kept; blocks get contiguous ``block`` ids in the order given.  Projected
    coordinates use the UTM zone of the nodes' mean position.
    """
    if not nodes:
        raise GraphValidationError("the street graph has no nodes", problems=["no nodes"])
    lons = np.array([p[0] for p in nodes.values()])
    lats = np.array([p[1] for p in nodes.values()])
    crs = utm_crs(float(lons.mean()), float(lats.mean()))
    to_xy = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    xs, ys = to_xy.transform(lons, lats)
    G = nx.MultiGraph(name=name, crs=crs.to_string(), source=source)
    for (nid, (lon, lat)), x, y in zip(nodes.items(), xs, ys, strict=True):
        G.add_node(int(nid), lon=float(lon), lat=float(lat), x=float(x), y=float(y), label="")
    names_at: dict[int, set[str]] = {n: set() for n in G.nodes}
    for i, b in enumerate(blocks):
        if b.u not in G or b.v not in G:
            raise GraphValidationError(f"block {i} ({b.name}) ends at an unknown node",
                                       problems=[f"block {i}: unknown node {b.u if b.u not in G else b.v}"])
        coords = list(b.coords) if b.coords else [nodes[b.u], nodes[b.v]]
        if len(coords) < 2:
            coords = [nodes[b.u], nodes[b.v]]
        G.add_edge(
            b.u, b.v, key=0 if not G.has_edge(b.u, b.v) else len(G[b.u][b.v]),
            block=i, u=int(b.u), v=int(b.v), length=float(b.length), name=b.name, kind=b.kind,
            geometry=LineString(coords), in_area=False, corridor=False, speed_limit_mph=b.speed_limit_mph,
        )
        names_at[b.u].add(b.name)
        names_at[b.v].add(b.name)
    for n in G.nodes:
        G.nodes[n]["label"] = (labels or {}).get(n) or " & ".join(sorted(names_at[n])) or f"node {n}"
    return G


def annotate_graph(G: nx.MultiGraph, settings: Settings) -> nx.MultiGraph:
    """Set ``in_area`` and ``corridor`` on every block from the district settings (in place)."""
    area = settings.area
    corridor = {core_name(s) for s in settings.corridor.streets}
    inside = {n: area.contains(d["lat"], d["lon"]) for n, d in G.nodes(data=True)}
    for u, v, d in G.edges(data=True):
        d["in_area"] = bool(inside[u] and inside[v])
        d["corridor"] = bool(d["in_area"] and core_name(d["name"]) in corridor)
    G.graph["district"] = settings.district.name
    return G


def validate_graph(G: nx.MultiGraph, *, raise_on_error: bool = True) -> list[str]:
    """Check the normalized-graph contract.

    Checks: at least one node and block; connected; every block has ``length`` > 0 and finite, a
    non-empty ``name``, a known ``kind``, a geometry and contiguous unique ``block`` ids; every node
    has plausible WGS84 ``lon``/``lat`` and finite projected ``x``/``y``; a ``crs`` is set.

    Returns
    -------
    list of str
        The problems found (empty when the graph is valid).

    Raises
    ------
    GraphValidationError
        When ``raise_on_error`` and any problem was found.
    """
    problems: list[str] = []
    if not isinstance(G, nx.MultiGraph) or G.is_directed():
        problems.append("the graph must be an undirected networkx.MultiGraph")
    if G.number_of_nodes() == 0:
        problems.append("no nodes")
    if G.number_of_edges() == 0:
        problems.append("no street blocks")
    if not G.graph.get("crs"):
        problems.append("graph attribute 'crs' is missing")
    for n, d in G.nodes(data=True):
        lon, lat = d.get("lon"), d.get("lat")
        if lon is None or lat is None or not (-180 <= lon <= 180 and -90 <= lat <= 90):
            problems.append(f"node {n}: implausible coordinates lon={lon}, lat={lat}")
        if not (np.isfinite(d.get("x", np.nan)) and np.isfinite(d.get("y", np.nan))):
            problems.append(f"node {n}: projected x/y missing or not finite")
    seen: list[int] = []
    for u, v, d in G.edges(data=True):
        bid = d.get("block", "?")
        length = d.get("length")
        if length is None or not np.isfinite(length) or length <= 0:
            problems.append(f"block {bid} ({u}-{v}): length must be > 0, got {length}")
        if not str(d.get("name") or "").strip():
            problems.append(f"block {bid} ({u}-{v}): street name missing")
        if d.get("kind") not in KINDS:
            problems.append(f"block {bid} ({u}-{v}): kind {d.get('kind')!r} not in {KINDS}")
        if d.get("geometry") is None:
            problems.append(f"block {bid} ({u}-{v}): geometry missing")
        if {d.get("u"), d.get("v")} != {u, v}:
            problems.append(f"block {bid}: stored ends {d.get('u')}-{d.get('v')} differ from edge {u}-{v}")
        if isinstance(bid, int):
            seen.append(bid)
    if sorted(seen) != list(range(G.number_of_edges())):
        problems.append("block ids must be unique and contiguous 0..m-1")
    if G.number_of_nodes() and not nx.is_connected(G):
        comps = sorted((len(c) for c in nx.connected_components(G)), reverse=True)
        problems.append(f"not connected: {len(comps)} components of sizes {comps[:5]}")
    if problems and raise_on_error:
        raise GraphValidationError(
            f"street graph breaks the contract ({len(problems)} problem(s)): {problems[0]}", problems=problems
        )
    return problems
