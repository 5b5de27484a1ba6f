"""Offline geocoding and snapping: what a dispatcher types, as a point on a street block.

Accepted inputs
---------------
* an intersection: ``"W Lake St & Hennepin Ave S"``, ``"Lake & Hennepin"``, ``"hennepin and lake"``,
  ``"Lake/Girard"`` (separators ``&``, ``and``, ``at``, ``/``, ``@``);
* a business or place name from the district's data: ``"Walker Library"``;
* coordinates ``"lat,lon"``: ``"44.9484, -93.2983"``.

Every answer is snapped onto the nearest street block: block id and offset in metres from the
block's ``u`` end (offsets follow the block's stored length, so curved blocks are measured along
the street).  Unknown streets raise :class:`~patrol.errors.GeocodeError` naming close matches;
streets that never meet and points too far from the network raise clear errors too.
"""

from __future__ import annotations

import difflib
import math
import re
from dataclasses import asdict, dataclass, field

import numpy as np
import shapely
from pyproj import Transformer
from shapely.geometry import LineString, Point

from patrol.businesses import Business
from patrol.errors import GeocodeError, OutsideDistrictError
from patrol.streetnames import core_name

__all__ = ["Geocoder", "Location"]

_LATLON = re.compile(r"^\s*\(?\s*(-?\d{1,3}(?:\.\d+)?)\s*[,; ]\s*(-?\d{1,3}(?:\.\d+)?)\s*\)?\s*$")
_SEPARATOR = re.compile(r"\s*(?:&|\+|/|@|\band\b|\bat\b)\s*", re.IGNORECASE)


@dataclass(frozen=True)
class Location:
    """A resolved location snapped onto the street network.

    Attributes
    ----------
    lat, lon : float
        The snapped point on the block (WGS84).
    block : int
        Street block id.
    offset_m : float
        Distance along the block from its ``u`` end, in metres.
    matched : str
        What the text was matched to (intersection label, business name, or the coordinates).
    kind : str
        ``intersection``, ``business`` or ``point``.
    node : int or None
        The graph node for an intersection.
    snap_distance_m : float
        Straight distance from the input point to the snapped point.
    in_area : bool
        Whether the block is in the patrol area.
    """

    lat: float
    lon: float
    block: int
    offset_m: float
    matched: str
    kind: str
    node: int | None = None
    snap_distance_m: float = 0.0
    in_area: bool = True
    alternatives: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


class Geocoder:
    """Resolve texts and points against one district's street graph and businesses.

    Parameters
    ----------
    graph : networkx.MultiGraph
        A normalized street graph (see :mod:`patrol.graph`).
    businesses : list of Business
    max_snap_m : float
        Points farther than this from every block are outside the district.
    """

    def __init__(self, graph, businesses: list[Business], *, max_snap_m: float = 250.0):
        self.graph = graph
        self.businesses = businesses
        self.max_snap_m = float(max_snap_m)
        self._to_xy = Transformer.from_crs("EPSG:4326", graph.graph["crs"], always_xy=True)
        self._to_ll = Transformer.from_crs(graph.graph["crs"], "EPSG:4326", always_xy=True)
        edges = sorted(graph.edges(data=True), key=lambda e: e[2]["block"])
        self._blocks = [d for _, _, d in edges]
        self._lines = []
        for d in self._blocks:
            lon, lat = np.asarray(d["geometry"].coords).T
            x, y = self._to_xy.transform(lon, lat)
            self._lines.append(LineString(np.column_stack([x, y])))
        self._tree = shapely.STRtree(self._lines)
        self._cores: dict[str, set[str]] = {}
        self._node_cores: dict[int, set[str]] = {n: set() for n in graph.nodes}
        for d in self._blocks:
            c = core_name(d["name"])
            self._cores.setdefault(c, set()).add(d["name"])
            self._node_cores[d["u"]].add(c)
            self._node_cores[d["v"]].add(c)
        self._business_index = {}
        for i, b in enumerate(businesses):
            self._business_index.setdefault(b.name.lower(), []).append(i)

    # ------------------------------------------------------------------ public API
    def geocode(self, text: str) -> Location:
        """Resolve a dispatcher's text to a :class:`Location` (see the module docstring)."""
        text = (text or "").strip()
        if not text:
            raise GeocodeError("empty location: give an intersection, a place name or 'lat,lon'", field="location")
        m = _LATLON.match(text)
        if m:
            lat, lon = float(m.group(1)), float(m.group(2))
            if not (-90 <= lat <= 90 and -180 <= lon <= 180):
                raise GeocodeError(f"{text!r}: not a latitude,longitude pair", field="location")
            return self.snap(lat, lon, matched=f"{lat:.6f},{lon:.6f}")
        parts = [p for p in _SEPARATOR.split(text) if p.strip()]
        if len(parts) == 2 and not self._is_business(text):
            return self.intersection(parts[0], parts[1])
        if len(parts) > 2:
            raise GeocodeError(f"{text!r}: an intersection names two streets", field="location")
        return self.place(text)

    def intersection(self, street_a: str, street_b: str) -> Location:
        """The intersection of two streets (the one in the patrol area first, if they meet twice)."""
        a, b = self.resolve_street(street_a), self.resolve_street(street_b)
        if a == b:
            raise GeocodeError(f"{street_a!r} and {street_b!r} are the same street", field="location")
        nodes = sorted(n for n, cores in self._node_cores.items() if a in cores and b in cores)
        if not nodes:
            raise GeocodeError(
                f"{self._label(a)} and {self._label(b)} never meet in this district", field="location",
                details={"streets": [self._label(a), self._label(b)]},
            )
        nodes.sort(key=lambda n: (not self._node_in_area(n), n))
        node = nodes[0]
        return self._at_node(node, alternatives=[self.graph.nodes[n]["label"] for n in nodes[1:]])

    def place(self, text: str) -> Location:
        """A business or place by name (exact, then a unique partial match)."""
        key = text.strip().lower()
        hits = self._business_index.get(key, [])
        if not hits:
            partial = sorted({b.name for b in self.businesses if key in b.name.lower()})
            if len(partial) == 1:
                hits = self._business_index[partial[0].lower()]
            elif len(partial) > 1:
                raise GeocodeError(f"{text!r} matches several places: {', '.join(partial[:8])}",
                                   field="location", details={"close_matches": partial[:8], "unknown": text.strip()})
        if not hits:
            names = [b.name for b in self.businesses]
            close = difflib.get_close_matches(text, names, n=4, cutoff=0.6)
            close += [self._label(c) for c in difflib.get_close_matches(core_name(text), list(self._cores),
                                                                         n=3, cutoff=0.7)]
            raise GeocodeError(
                f"unknown location {text!r}: not an intersection ('A & B'), a known place, or 'lat,lon'",
                field="location", details={"close_matches": close, "unknown": text.strip()},
            )
        biz = self.businesses[hits[0]]
        loc = self.snap(biz.lat, biz.lon, matched=biz.name)
        others = [f"{self.businesses[i].name} ({self.businesses[i].lat:.5f},{self.businesses[i].lon:.5f})"
                  for i in hits[1:]]
        return Location(**{**asdict(loc), "kind": "business", "alternatives": others})

    def resolve_street(self, text: str) -> str:
        """The core name of the street a text names; errors name close matches."""
        c = core_name(text)
        if c in self._cores:
            return c
        starts = sorted(k for k in self._cores if k.startswith(c + " ") or k.split(" ")[0] == c)
        if len(starts) == 1:
            return starts[0]
        close = difflib.get_close_matches(c, list(self._cores), n=4, cutoff=0.6)
        if len(starts) > 1:
            close = starts + [x for x in close if x not in starts]
        labels = [self._label(x) for x in close]
        hint = f"; close matches: {', '.join(labels)}" if labels else ""
        raise GeocodeError(f"unknown street {text.strip()!r}{hint}", field="location",
                           details={"close_matches": labels, "unknown": text.strip()})

    def snap(self, lat: float, lon: float, *, matched: str | None = None) -> Location:
        """Snap a WGS84 point onto the nearest block.

        Raises
        ------
        OutsideDistrictError
            When the nearest block is farther than ``max_snap_m``.
        """
        x, y = self._to_xy.transform(lon, lat)
        if not (math.isfinite(x) and math.isfinite(y)):  # e.g. 0,0: no answer in the district's projection
            raise OutsideDistrictError(f"{lat},{lon} is far outside the district (it has no place on its map)",
                                       field="location")
        p = Point(x, y)
        idx = int(self._tree.nearest(p))
        line = self._lines[idx]
        dist = float(line.distance(p))
        if dist > self.max_snap_m:
            raise OutsideDistrictError(
                f"{lat:.6f},{lon:.6f} is {dist:.0f} m from the nearest street of the district "
                f"(limit {self.max_snap_m:.0f} m)", field="location", details={"distance_m": round(dist, 1)},
            )
        return self._on_block(idx, float(line.project(p)), matched or f"{lat:.6f},{lon:.6f}", "point", dist)

    def snap_many(self, lats: np.ndarray, lons: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Vectorized snapping: ``(block, offset_m, distance_m)`` arrays (no distance limit; a point the
        district's projection cannot place, such as 0,0, gets an infinite distance)."""
        xs, ys = self._to_xy.transform(np.asarray(lons, float), np.asarray(lats, float))
        bad = ~(np.isfinite(xs) & np.isfinite(ys))
        if bad.any():
            x0, y0 = self._lines[0].coords[0]
            xs, ys = np.where(bad, x0, xs), np.where(bad, y0, ys)
        pts = shapely.points(xs, ys)
        idx = self._tree.nearest(pts)
        lines = np.asarray(self._lines, dtype=object)[idx]
        along = shapely.line_locate_point(lines, pts)
        dist = shapely.distance(lines, pts)
        lengths = np.array([self._blocks[i]["length"] for i in idx])
        geom_len = np.array([ln.length for ln in lines])
        offset = np.where(geom_len > 0, along / np.maximum(geom_len, 1e-9) * lengths, 0.0)
        return idx.astype(np.int64), offset, np.where(bad, np.inf, np.asarray(dist, float))

    def point_on_block(self, block: int, offset_m: float) -> tuple[float, float]:
        """WGS84 ``(lat, lon)`` of the point ``offset_m`` metres along a block from its ``u`` end."""
        d = self._blocks[block]
        line = self._lines[block]
        frac = min(max(offset_m / d["length"], 0.0), 1.0) if d["length"] > 0 else 0.0
        q = line.interpolate(frac * line.length)
        lon, lat = self._to_ll.transform(q.x, q.y)
        return float(lat), float(lon)

    # ------------------------------------------------------------------ helpers
    def _is_business(self, text: str) -> bool:
        return text.strip().lower() in self._business_index

    def _label(self, core: str) -> str:
        return " / ".join(sorted(self._cores.get(core, {core})))

    def _node_in_area(self, node: int) -> bool:
        return any(d["in_area"] for _, _, d in self.graph.edges(node, data=True))

    def _at_node(self, node: int, alternatives: list[str]) -> Location:
        d = self.graph.nodes[node]
        incident = sorted(
            (e for _, _, e in self.graph.edges(node, data=True)), key=lambda e: (not e["in_area"], e["block"])
        )
        e = incident[0]
        offset = 0.0 if e["u"] == node else float(e["length"])
        return Location(lat=d["lat"], lon=d["lon"], block=int(e["block"]), offset_m=offset, matched=d["label"],
                        kind="intersection", node=int(node), in_area=bool(e["in_area"]),
                        alternatives=alternatives)

    def _on_block(self, idx: int, along: float, matched: str, kind: str, dist: float) -> Location:
        d = self._blocks[idx]
        line = self._lines[idx]
        frac = along / line.length if line.length > 0 else 0.0
        lat, lon = self.point_on_block(idx, frac * d["length"])
        return Location(lat=lat, lon=lon, block=idx, offset_m=round(frac * d["length"], 2), matched=matched,
                        kind=kind, snap_distance_m=round(dist, 2), in_area=bool(d["in_area"]))
