"""The working graph: the source's largest connected network, clipped to the patrol area plus a margin.

A whole city's centreline (7,700 intersections, 12,800 blocks) is far more than a district patrols: every
all-pairs table, plan and scenario on it costs memory and time in proportion to the city, not to the area.
So a district keeps only the streets within ``area.margin_m`` metres of its area box (1,000 m by default:
a shortest walk between two points of the area rarely leaves the box by more than a few blocks, and
dispatch only ranks ambassadors who are in or near the area).  What the clip leaves out is counted in the
build report (:class:`patrol.sources.report.WorkingArea`), including any block *of the area* that the clip
cut off from the area's network, a sign that the margin is too small for that area.

Both steps keep node ids and renumber blocks ``0..m-1`` in their old order.
"""

from __future__ import annotations

import logging
import math

import networkx as nx

from patrol.errors import DistrictError
from patrol.settings import Area
from patrol.sources.report import Islands, WorkingArea

__all__ = ["keep_largest", "margin_box", "working_graph"]

log = logging.getLogger(__name__)

_M_PER_DEG_LAT = 111_320.0


def _km(G: nx.MultiGraph) -> float:
    return sum(float(d["length"]) for _, _, d in G.edges(data=True)) / 1000.0


def _renumbered(G: nx.MultiGraph, keep: set[int]) -> nx.MultiGraph:
    H = G.subgraph(keep).copy()
    edges = sorted(H.edges(keys=True, data=True), key=lambda e: e[3]["block"])
    for i, (_, _, _, d) in enumerate(edges):
        d["block"] = i
    return H


def keep_largest(G: nx.MultiGraph) -> tuple[nx.MultiGraph, Islands]:
    """The largest connected piece of a normalized graph, and what was left out.

    Examples
    --------
    >>> G = nx.MultiGraph()
    >>> G.add_edge(1, 2, block=0, length=100.0); G.add_edge(2, 3, block=1, length=50.0)
    0
    0
    >>> G.add_edge(7, 8, block=2, length=20.0)
    0
    >>> H, islands = keep_largest(G)
    >>> sorted(H.nodes), islands
    ([1, 2, 3], Islands(components=1, nodes=2, blocks=1, km=0.02))
    """
    comps = sorted(nx.connected_components(G), key=lambda c: (-len(c), min(c)))
    if len(comps) <= 1:
        return G, Islands()
    keep = comps[0]
    H = _renumbered(G, keep)
    lost_km = _km(G) - _km(H)
    islands = Islands(len(comps) - 1, G.number_of_nodes() - len(keep), G.number_of_edges() - H.number_of_edges(),
                      round(lost_km, 2))
    return H, islands


def margin_box(area: Area, margin_m: float) -> tuple[float, float, float, float]:
    """``(south, north, west, east)`` of the area box grown by ``margin_m`` metres on every side.

    Examples
    --------
    >>> s, n, w, e = margin_box(Area(south=44.9, north=45.0, west=-93.3, east=-93.2), 1113.2)
    >>> round(s, 4), round(n, 4)
    (44.89, 45.01)
    """
    lat_mid = (area.south + area.north) / 2
    dlat = margin_m / _M_PER_DEG_LAT
    dlon = margin_m / (_M_PER_DEG_LAT * max(math.cos(math.radians(lat_mid)), 1e-6))
    return area.south - dlat, area.north + dlat, area.west - dlon, area.east + dlon


def working_graph(G: nx.MultiGraph, area: Area, margin_m: float) -> tuple[nx.MultiGraph, WorkingArea]:
    """Clip a normalized graph to the area box grown by ``margin_m`` metres.

    Blocks with both ends inside the grown box are kept; of what remains, the connected piece holding the
    most blocks of the area (ties: the most blocks) is the working graph.

    Raises
    ------
    DistrictError
        When no street of the source lies in the patrol area (naming the area and the source's extent).
    """
    south, north, west, east = margin_box(area, margin_m)
    nd = G.nodes
    inside = {n for n, d in nd(data=True) if south <= d["lat"] <= north and west <= d["lon"] <= east}
    in_area = {n for n, d in nd(data=True) if area.contains(d["lat"], d["lon"])}
    clipped = nx.MultiGraph(G.edge_subgraph([(u, v, k) for u, v, k in G.edges(keys=True)
                                             if u in inside and v in inside]))
    outside = G.number_of_edges() - clipped.number_of_edges()

    def area_blocks(nodes: set[int]) -> int:
        return sum(1 for u, v in clipped.subgraph(nodes).edges() if u in in_area and v in in_area)

    comps = [(area_blocks(c), clipped.subgraph(c).number_of_edges(), c) for c in nx.connected_components(clipped)]
    best = max(comps, key=lambda t: (t[0], t[1], -min(t[2])), default=None)
    if best is None or best[0] == 0:
        lats = [d["lat"] for _, d in nd(data=True)]
        lons = [d["lon"] for _, d in nd(data=True)]
        raise DistrictError(
            f"no street of the source lies in the patrol area (lat {area.south}..{area.north}, lon {area.west}.."
            f"{area.east}); the source covers lat {min(lats):.4f}..{max(lats):.4f}, lon {min(lons):.4f}.."
            f"{max(lons):.4f}", field="area")
    H = _renumbered(G, set(best[2]))  # every block between these nodes has both ends inside the grown box
    cut_off = clipped.number_of_edges() - H.number_of_edges()
    area_cut = sum(c[0] for c in comps if c is not best)
    stats = WorkingArea(float(margin_m), G.number_of_edges(), round(_km(G), 2), outside, cut_off, area_cut,
                        H.number_of_edges(), round(_km(H), 2))
    if area_cut:
        log.warning("%d block(s) of the patrol area are cut off from its network by the %.0f m margin; raise "
                    "area.margin_m", area_cut, margin_m)
    log.info("working graph: %d of %d blocks within %.0f m of the area", H.number_of_edges(), G.number_of_edges(),
             margin_m)
    return H, stats
