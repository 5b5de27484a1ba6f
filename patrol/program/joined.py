"""The street graphs of a program's districts joined where they touch: one walking network across boundaries.

Each district keeps its own street graph (its plan, its record's points and its pings are on it).  The joined
network holds **every block of every district**, in the program's order: district ``k``'s block ``b`` is joined
block ``offsets[k] + b``, with the same ends (``u`` first), length, name and drawn line, so a point
``(block, offset_m)`` of a district is the point ``(offsets[k] + block, offset_m)`` of the joined network and
back.  Nothing is deduplicated: where two districts' working graphs overlap, both copies of a street are there,
side by side, which changes no shortest walk.

Corners are joined by coordinates: a corner of a later district is the same corner as one already in the network
when they are at most ``tolerance_m`` apart **and each is the other's nearest** (mutual nearest neighbours, in the
first district's projected metres).  The mutual rule keeps a footway's end 9 m from a crossing from being welded to
it when the crossing's own counterpart is 2 m away (Uptown's facts and the Lyn-Lake OpenStreetMap export: their
nine shared crossings are 0.1-2.2 m apart, the nearest other nodes 8-11 m).  Districts that share no corner stay
apart: walks between them are unreachable, and :attr:`JoinedNetwork.components` says so.

The nearest-responder ranking of a program (:mod:`patrol.program.ranking`) runs one Dijkstra from the incident's
point on this network (:class:`patrol.dispatch.network.Network`, the same kernel as a district's).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
import numpy as np
from pyproj import Transformer
from scipy.spatial import cKDTree

from patrol.arrays import GraphArrays, graph_arrays
from patrol.dispatch.network import Network
from patrol.district import District
from patrol.errors import InputError
from patrol.graph import RawBlock, normalize_graph

__all__ = ["JoinedNetwork", "join_districts", "match_corners"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class JoinedNetwork:
    """Every district's blocks on one network, corners shared where districts touch.

    Attributes
    ----------
    names : tuple of str
        The districts, in the program's order.
    offsets : tuple of int
        Joined id of each district's block 0 (then its blocks in order).
    graph : networkx.MultiGraph
        The joined graph (the normalized-graph contract, except that it may have several components).
    arrays : GraphArrays
    network : Network
        Point-to-point walks on the joined graph.
    shared_corners : dict
        ``(earlier district, later district)`` -> corners of the later one joined to a corner of the earlier one.
    components : int
        Connected components of the joined graph (1 when every district touches another).
    tolerance_m : float
    """

    names: tuple[str, ...]
    offsets: tuple[int, ...]
    graph: nx.MultiGraph = field(repr=False)
    arrays: GraphArrays = field(repr=False)
    network: Network = field(repr=False)
    shared_corners: dict[tuple[str, str], int]
    components: int
    tolerance_m: float

    def block(self, district: str, block: int) -> int:
        """The joined id of a district's block.

        Raises
        ------
        InputError
            For an unknown district or a block it does not have.
        """
        try:
            k = self.names.index(district)
        except ValueError:
            raise InputError(f"no district {district!r} in the joined network ({', '.join(self.names)})",
                             field="district") from None
        b = int(block)
        end = self.offsets[k + 1] if k + 1 < len(self.offsets) else self.arrays.n_edges
        if not 0 <= b < end - self.offsets[k]:
            raise InputError(f"district {district!r} has no block {block}", field="block")
        return self.offsets[k] + b

    def local(self, joined: int) -> tuple[str, int]:
        """``(district, block)`` of a joined block."""
        j = int(joined)
        if not 0 <= j < self.arrays.n_edges:
            raise InputError(f"the joined network has no block {joined}", field="block")
        k = int(np.searchsorted(np.asarray(self.offsets), j, side="right")) - 1
        return self.names[k], j - self.offsets[k]

    def info(self) -> dict[str, Any]:
        """Figures of the joined network (nodes, blocks, km, corners shared, components)."""
        a = self.arrays
        return {"districts": list(self.names), "nodes": a.n_nodes, "blocks": a.n_edges,
                "km": round(float(a.edge_length.sum()) / 1000, 1), "tolerance_m": self.tolerance_m,
                "shared_corners": [{"districts": list(k), "corners": v} for k, v in self.shared_corners.items()],
                "components": self.components}


def match_corners(existing_xy: np.ndarray, new_xy: np.ndarray, tolerance_m: float) -> np.ndarray:
    """For each new corner, the index of the existing corner it is (mutual nearest within ``tolerance_m``), else -1.

    Examples
    --------
    >>> old = np.array([[0.0, 0.0], [100.0, 0.0]])
    >>> new = np.array([[1.0, 0.0], [9.0, 0.0], [100.0, 30.0]])
    >>> match_corners(old, new, 12.0).tolist()   # (9, 0) is nearer (0, 0) than 12 m but (1, 0) is nearer still
    [0, -1, -1]
    """
    out = np.full(len(new_xy), -1, dtype=np.int64)
    if not len(existing_xy) or not len(new_xy):
        return out
    d, near = cKDTree(existing_xy).query(new_xy, distance_upper_bound=tolerance_m)
    ok = np.isfinite(d)
    if not ok.any():
        return out
    _, back = cKDTree(new_xy).query(existing_xy[near[ok]])
    mine = np.flatnonzero(ok)
    mutual = back == mine
    out[mine[mutual]] = near[ok][mutual]
    return out


def join_districts(districts: dict[str, District], tolerance_m: float = 12.0) -> JoinedNetwork:
    """Join the districts' street graphs (see the module docstring).

    Parameters
    ----------
    districts : dict
        Name -> District, in the program's order.
    tolerance_m : float
        Largest distance between two districts' corners that are one corner.
    """
    if not districts:
        raise InputError("no district to join", field="districts")
    first = next(iter(districts.values()))
    to_xy = Transformer.from_crs("EPSG:4326", first.graph.graph["crs"], always_xy=True)
    coords: list[tuple[float, float]] = []       # joined corner -> (lon, lat)
    xy = np.zeros((0, 2))
    owner: list[str] = []                        # joined corner -> the district that brought it
    labels: list[str] = []
    blocks: list[RawBlock] = []
    flags: list[tuple[bool, bool]] = []
    offsets: list[int] = []
    shared: dict[tuple[str, str], int] = {}
    for name, d in districts.items():
        a = d.arrays
        here = np.column_stack(to_xy.transform(a.lon, a.lat))
        match = match_corners(xy, here, tolerance_m)
        joined = np.empty(a.n_nodes, dtype=np.int64)
        fresh = np.flatnonzero(match < 0)
        joined[match >= 0] = match[match >= 0]
        joined[fresh] = len(coords) + np.arange(fresh.size)
        for i in match[match >= 0].tolist():
            key = (owner[i], name)
            shared[key] = shared.get(key, 0) + 1
        for i in fresh.tolist():
            coords.append((float(a.lon[i]), float(a.lat[i])))
            owner.append(name)
            labels.append(str(d.graph.nodes[int(a.node_ids[i])].get("label") or ""))
        xy = np.vstack([xy, here[fresh]])
        offsets.append(len(blocks))
        lines: list[Any] = [None] * a.n_edges
        kinds = [""] * a.n_edges
        for _, _, e in d.graph.edges(data=True):
            lines[e["block"]], kinds[e["block"]] = e["geometry"], e["kind"]
        for b in range(a.n_edges):
            u, v = int(joined[a.edge_u[b]]), int(joined[a.edge_v[b]])
            blocks.append(RawBlock(u, v, str(a.edge_name[b]), float(a.edge_length[b]), kind=kinds[b],
                                   coords=list(lines[b].coords)))
            flags.append((bool(a.edge_in_area[b]), bool(a.edge_corridor[b])))
    G = normalize_graph(dict(enumerate(coords)), blocks, name=" + ".join(districts), source="joined",
                        labels=dict(enumerate(labels)))
    for _, _, e in G.edges(data=True):
        e["in_area"], e["corridor"] = flags[e["block"]]
    arrays = graph_arrays(G)
    components = nx.number_connected_components(G)
    if components > 1:
        log.warning("the program's districts make %d separate street networks: no walk crosses between them "
                    "(join_tolerance_m = %g)", components, tolerance_m)
    log.info("joined network: %d corners (%s shared), %d blocks", arrays.n_nodes,
             ", ".join(f"{a}/{b}: {n}" for (a, b), n in shared.items()) or "none", arrays.n_edges)
    return JoinedNetwork(tuple(districts), tuple(offsets), G, arrays, Network.from_graph(G, arrays), shared,
                         components, float(tolerance_m))

