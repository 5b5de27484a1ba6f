"""Exact walking distances and routes between points on street blocks.

A point on the network is ``(block, offset_m)``: ``offset_m`` metres along the block from its
``u`` end.  The distance between two points is the minimum of

* the direct walk along a shared block, ``|o1 - o2|`` (when both are on the same block), and
* over the four end combinations: the walk from the first point to an end of its block, the
  shortest node-to-node path, and the walk from an end of the second block to the second point.

:meth:`Network.field` runs one Dijkstra from a point (its block's two ends seeded with their
distance to the point; :func:`patrol.paths.from_point`), after which the distance
to any other point is O(1) (:meth:`DistanceField.distance_to`) and the route is read back from the
predecessors (:meth:`DistanceField.route_to`).  The graph is undirected (walking ignores one-way
rules), so the route *to* the source point is the reverse of the path *from* it.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass, field

import numpy as np
import shapely

from patrol.arrays import GraphArrays
from patrol.district import District
from patrol.errors import InputError
from patrol.path_kernels import walk_back
from patrol.paths import from_point

__all__ = ["DistanceField", "Network", "Route"]

_EARTH_M = 6_371_008.8


@dataclass(frozen=True)
class Route:
    """A walking route from one point on the network to another.

    Attributes
    ----------
    distance_m : float
        Network length of the route.
    blocks : list of int
        Blocks walked, in order (partial blocks at both ends included).
    streets : list of str
        Street names in walking order, consecutive duplicates merged.
    coordinates : list of (lon, lat)
        The route's line, partial blocks cut at the two points.
    """

    distance_m: float
    blocks: list[int]
    streets: list[str]
    coordinates: list[tuple[float, float]] = field(repr=False)

    def geojson(self) -> dict:
        """The route as a GeoJSON ``LineString`` geometry."""
        coords = self.coordinates if len(self.coordinates) >= 2 else self.coordinates * 2
        return {"type": "LineString", "coordinates": [[round(x, 7), round(y, 7)] for x, y in coords]}

    def to_dict(self) -> dict:
        return {"distance_m": round(self.distance_m, 1), "streets": list(self.streets), "blocks": list(self.blocks),
                "geometry": self.geojson()}


class Network:
    """Point-to-point walking distances and routes over a district's street blocks.

    Parameters
    ----------
    arrays : GraphArrays
        CSR arrays of the street graph (block ``e`` is edge ``e``).
    geometries : list of array-like, optional
        Per block, its ``(lon, lat)`` coordinates from ``u`` to ``v`` (for route geometry); straight
        lines between the end nodes when omitted.
    """

    def __init__(self, arrays: GraphArrays, geometries: list | None = None):
        self.arrays = arrays
        self._u = arrays.edge_u
        self._v = arrays.edge_v
        self._len = arrays.edge_length
        self._names = [str(s) for s in arrays.edge_name]
        if geometries is None:
            geometries = [np.array([[arrays.lon[a], arrays.lat[a]], [arrays.lon[b], arrays.lat[b]]])
                          for a, b in zip(arrays.edge_u, arrays.edge_v, strict=True)]
        # every block's vertices and cumulative drawn length, computed at once (a whole city in milliseconds);
        # each block's lists are cut from these on first use
        sizes = np.array([len(g) for g in geometries], dtype=np.int64)
        flat = np.concatenate([np.asarray(g, dtype=np.float64).reshape(-1, 2) for g in geometries]) \
            if len(geometries) else np.zeros((0, 2))
        owner = np.repeat(np.arange(sizes.size), sizes)
        self._start = np.concatenate([[0], np.cumsum(sizes)]).tolist()
        lat0 = np.bincount(owner, flat[:, 1], sizes.size) / np.maximum(sizes, 1)
        seg = np.hypot(np.diff(flat[:, 0]) * np.cos(np.radians(lat0[owner[:-1]])), np.diff(flat[:, 1]))
        seg[owner[1:] != owner[:-1]] = 0.0
        cum = np.concatenate([[0.0], np.cumsum(seg)]) if flat.size else np.zeros(0)
        self._flat_cum = cum - cum[np.repeat(np.asarray(self._start[:-1], dtype=np.int64), sizes)]
        self._flat_x = flat[:, 0]
        self._flat_y = flat[:, 1]
        self._cum: list[list[float] | None] = [None] * int(sizes.size)
        self._coords: list[list[tuple[float, float]] | None] = [None] * int(sizes.size)
        self._n_edges = int(arrays.n_edges)
        self._u_list = arrays.edge_u.tolist()
        self._v_list = arrays.edge_v.tolist()
        self._len_list = arrays.edge_length.tolist()

    @classmethod
    def from_graph(cls, graph, arrays: GraphArrays) -> Network:
        """A network with block geometries taken from a normalized street graph."""
        lines: list = [None] * arrays.n_edges
        for _, _, d in graph.edges(data=True):
            lines[d["block"]] = d["geometry"]
        coords, owner = shapely.get_coordinates(lines, return_index=True)
        cuts = np.searchsorted(owner, np.arange(1, len(lines)))
        return cls(arrays, np.split(coords, cuts))

    @classmethod
    def from_district(cls, district: District) -> Network:
        """The network of a :class:`patrol.district.District`."""
        return cls.from_graph(district.graph, district.arrays)

    # ------------------------------------------------------------------ checks
    def check_point(self, block: int, offset_m: float) -> tuple[int, float]:
        """Validate a point; the offset is clamped to the block's length.

        Raises
        ------
        InputError
            When the block id does not exist or the offset is not a number.
        """
        b = int(block)
        if not 0 <= b < self._n_edges:
            raise InputError(f"block {block} does not exist (0..{self._n_edges - 1})", field="block")
        o = float(offset_m)
        if not math.isfinite(o):
            raise InputError(f"offset {offset_m!r} is not a number", field="offset_m")
        return b, min(max(o, 0.0), self._len_list[b])

    # ------------------------------------------------------------------ distances
    def field(self, block: int, offset_m: float, *, limit: float = math.inf) -> DistanceField:
        """Shortest walking distances from a point to every node (one Dijkstra).

        Parameters
        ----------
        block, offset_m : int, float
            The source point.
        limit : float
            Stop the search beyond this many metres (nodes farther away get ``inf``).
        """
        b, o = self.check_point(block, offset_m)
        dist, pred, pred_edge = from_point(self.arrays, b, o, limit=limit)
        return DistanceField(self, b, o, dist, pred, pred_edge)

    def distance(self, block_a: int, offset_a: float, block_b: int, offset_b: float) -> float:
        """Walking distance in metres between two points (``inf`` when not connected)."""
        return self.field(block_a, offset_a).distance_to(block_b, offset_b)

    # ------------------------------------------------------------------ geometry
    def _cumlen(self, b: int) -> tuple[list[float], list[tuple[float, float]]]:
        """Cumulative drawn length along block ``b`` at each vertex, and the vertices (cached)."""
        c, g = self._cum[b], self._coords[b]
        if c is None or g is None:
            s, e = self._start[b], self._start[b + 1]
            c = self._flat_cum[s:e].tolist()
            g = list(zip(self._flat_x[s:e].tolist(), self._flat_y[s:e].tolist(), strict=True))
            self._cum[b], self._coords[b] = c, g
        return c, g

    def point_on_block(self, block: int, offset_m: float) -> tuple[float, float]:
        """Approximate ``(lon, lat)`` of a point (fraction of the block's drawn line)."""
        return self.block_piece(block, offset_m, offset_m)[0]

    def block_piece(self, block: int, off0: float, off1: float) -> list[tuple[float, float]]:
        """Coordinates of a block from offset ``off0`` to ``off1`` (reversed when ``off1 < off0``)."""
        c, g = self._cumlen(block)
        length = self._len_list[block]
        if length <= 0 or c[-1] <= 0:
            return [g[0], g[0]]
        if off0 <= 0 and off1 >= length:
            return list(g)
        if off1 <= 0 and off0 >= length:
            return g[::-1]
        total = c[-1]
        f0 = min(max(off0 / length, 0.0), 1.0) * total
        f1 = min(max(off1 / length, 0.0), 1.0) * total
        lo, hi = (f0, f1) if f0 <= f1 else (f1, f0)

        def at(s: float) -> tuple[float, float]:
            i = min(max(bisect.bisect_right(c, s) - 1, 0), len(g) - 2)
            seg = c[i + 1] - c[i]
            t = 0.0 if seg <= 0 else (s - c[i]) / seg
            (x0, y0), (x1, y1) = g[i], g[i + 1]
            return x0 + t * (x1 - x0), y0 + t * (y1 - y0)

        inner = [p for p, s in zip(g, c, strict=True) if lo < s < hi]
        pts = [at(lo), *inner, at(hi)]
        return pts if f0 <= f1 else pts[::-1]


class DistanceField:
    """Distances from one source point to every node, and from there to any point (O(1)).

    Attributes
    ----------
    block, offset_m : int, float
        The source point.
    dist : ndarray
        Walking metres from the source point to each node (``inf`` when unreached).
    """

    def __init__(self, network: Network, block: int, offset_m: float, dist: np.ndarray, pred: np.ndarray,
                 pred_edge: np.ndarray):
        self.network = network
        self.block = block
        self.offset_m = offset_m
        self.dist = dist
        self.pred = pred
        self.pred_edge = pred_edge
        self._dist = dist.tolist() if dist.size <= 4096 else dist

    def _best(self, block: int, offset_m: float) -> tuple[float, str]:
        net = self.network
        b, o = net.check_point(block, offset_m)
        via_u = self._dist[net._u_list[b]] + o
        via_v = self._dist[net._v_list[b]] + (net._len_list[b] - o)
        best, how = (via_u, "u") if via_u <= via_v else (via_v, "v")
        if b == self.block:
            direct = abs(o - self.offset_m)
            if direct <= best:
                best, how = direct, "direct"
        return float(best), how

    def distance_to(self, block: int, offset_m: float) -> float:
        """Walking metres from the source point to ``(block, offset_m)``."""
        return self._best(block, offset_m)[0]

    def distances_to(self, blocks: np.ndarray, offsets: np.ndarray) -> np.ndarray:
        """Vectorized :meth:`distance_to` (offsets clamped to the blocks)."""
        net = self.network
        b = np.asarray(blocks, dtype=np.int64)
        if b.size and (b.min() < 0 or b.max() >= net.arrays.n_edges):
            raise InputError("block id out of range", field="block")
        o = np.clip(np.asarray(offsets, dtype=np.float64), 0.0, net._len[b])
        d = np.minimum(self.dist[net._u[b]] + o, self.dist[net._v[b]] + (net._len[b] - o))
        same = b == self.block
        if same.any():
            d[same] = np.minimum(d[same], np.abs(o[same] - self.offset_m))
        return d

    def point_along(self, block: int, offset_m: float, walked_m: float) -> tuple[int, float]:
        """The point reached after walking ``walked_m`` metres from ``(block, offset_m)`` towards the source
        point along :meth:`route_to`'s route (the source point itself once the route is walked).

        The route is a shortest path, so the point at ``walked_m`` is the point of the route whose distance
        to the source is ``total - walked_m``: it lies on the first predecessor block whose far end is no
        farther than that from the source.

        Raises
        ------
        InputError
            When the point is not on the network, or the source cannot be reached from it.
        """
        net = self.network
        b, o = net.check_point(block, offset_m)
        total, how = self._best(b, o)
        if not math.isfinite(total):
            raise InputError(f"block {b} cannot reach the source point on the street network", field="block")
        w = min(max(float(walked_m), 0.0), total)
        if how == "direct":
            return b, o + math.copysign(w, self.offset_m - o)
        first = o if how == "u" else net._len_list[b] - o
        if w <= first:
            return b, (o - w) if how == "u" else (o + w)
        left = total - w  # the point's distance to the source
        x = net._u_list[b] if how == "u" else net._v_list[b]
        while self.pred[x] >= 0:
            e, y = int(self.pred_edge[x]), int(self.pred[x])
            dy = float(self.dist[y])
            if dy <= left:
                along = left - dy  # metres from y towards x on block e
                return e, along if net._u_list[e] == y else net._len_list[e] - along
            x = y
        # x is a seeded end of the source block: the point lies between it and the source point
        sb = self.block
        at_u = net._u_list[sb] == x
        if at_u and net._v_list[sb] == x:  # a loop block: the end whose seed distance matches
            at_u = abs(float(self.dist[x]) - self.offset_m) <= abs(float(self.dist[x]) - (net._len_list[sb]
                                                                                             - self.offset_m))
        return sb, (self.offset_m - left) if at_u else (self.offset_m + left)

    def route_to(self, block: int, offset_m: float) -> Route | None:
        """The walking route from ``(block, offset_m)`` to the source point (``None`` if unreachable)."""
        net = self.network
        b, o = net.check_point(block, offset_m)
        total, how = self._best(b, o)
        if not math.isfinite(total):
            return None
        if how == "direct":
            return Route(total, [b], [net._names[b]], net.block_piece(b, o, self.offset_m))
        # walk from the point to the chosen end of its block
        end = int(net._u[b] if how == "u" else net._v[b])
        first_part = o if how == "u" else float(net._len[b]) - o
        blocks = [b] if first_part > 0 else []
        coords = net.block_piece(b, o, 0.0 if how == "u" else float(net._len[b]))
        # follow predecessors back towards the source block's seeded end (the chain read in compiled code)
        chain, chain_edges = walk_back(self.pred, self.pred_edge, end)
        nodes, edges = chain.tolist(), chain_edges.tolist()
        for x, y, e in zip(nodes, nodes[1:], edges, strict=False):
            blocks.append(e)
            length = net._len_list[e]
            fwd = net._u_list[e] == x and net._v_list[e] == y
            coords.extend(net.block_piece(e, 0.0, length)[1:] if fwd else net.block_piece(e, length, 0.0)[1:])
        x = nodes[-1]
        # x is a seed: an end of the source block
        sb = self.block
        at_u = int(net._u[sb]) == x
        at_v = int(net._v[sb]) == x
        if at_u and at_v:  # a loop block: pick the end whose seed distance matches
            at_u = abs(self.dist[x] - self.offset_m) <= abs(self.dist[x] - (net._len[sb] - self.offset_m))
        start = 0.0 if at_u else float(net._len[sb])
        if abs(self.offset_m - start) > 0 or not blocks:
            blocks.append(sb)
        coords.extend(net.block_piece(sb, start, self.offset_m)[1:])
        streets: list[str] = []
        for e in blocks:
            name = net._names[e]
            if not streets or streets[-1] != name:
                streets.append(name)
        return Route(total, blocks, streets, coords)
