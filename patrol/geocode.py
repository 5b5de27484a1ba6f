"""Offline geocoding and snapping: what a dispatcher types, as a point on a street block.

Accepted inputs
---------------
* an intersection: ``"W Lake St & Hennepin Ave S"``, ``"Lake & Hennepin"``, ``"hennepin and lake"``,
  ``"Lake/Girard"`` (separators ``&``, ``and``, ``at``, ``/``, ``@``);
* a business or place name from the district's data: ``"Walker Library"``, typed in any case and with or
  without its apostrophes and punctuation (``"jersey mikes"`` is Jersey Mike's), or a part of it that names
  one place only;
* coordinates ``"lat,lon"``: ``"44.9484, -93.2983"``.

Every answer is snapped onto the nearest street block: block id and offset in metres from the
block's ``u`` end (offsets follow the block's stored length, so curved blocks are measured along
the street).  Unknown streets raise :class:`~patrol.errors.GeocodeError` naming close matches;
streets that never meet and points too far from the network raise clear errors too.

Two streets may meet more than once in a city (Minneapolis' centreline names ``4th`` both 4th St S
downtown and 4th St SE across the river, and both cross ``Hennepin``).  :meth:`Geocoder.intersections`
returns every intersection of the two (nodes closer than 60 m, the two carriageways of a divided road,
count as one), nearest to a hint first: the ``near`` point given, else the patrol area's centre with the
intersections in the area first.  The chosen :class:`Location` lists them all in ``matches`` and says
``ambiguous``, so the command line and the JSON can show the choice instead of hiding it.
"""

from __future__ import annotations

import difflib
import math
import re
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import shapely
from pyproj import Transformer
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree
from shapely.geometry import Point

from patrol.businesses import Business
from patrol.errors import GeocodeError, OutsideDistrictError
from patrol.streetnames import core_name

__all__ = ["SAME_INTERSECTION_M", "Geocoder", "Location", "Match"]

#: Nodes where the same two streets meet closer than this (metres) are one intersection (divided roads).
SAME_INTERSECTION_M = 60.0

_LATLON = re.compile(r"^\s*\(?\s*(-?\d{1,3}(?:\.\d+)?)\s*[,; ]\s*(-?\d{1,3}(?:\.\d+)?)\s*\)?\s*$")
_SEPARATOR = re.compile(r"\s*(?:&|\+|/|@|\band\b|\bat\b)\s*", re.IGNORECASE)
_APOSTROPHES = re.compile(r"['\u2019`]")
_NOT_WORD = re.compile(r"[\W_]+")


def name_key(text: str) -> str:
    """A place name as a dispatcher may type it: case, apostrophes and other punctuation ignored, "&" read "and".

    Examples
    --------
    >>> name_key("Jersey Mike's"), name_key("jersey mikes"), name_key("Lyn-Lake  Barbershop")
    ('jersey mikes', 'jersey mikes', 'lyn lake barbershop')
    >>> name_key("Hammer & Sickle") == name_key("hammer and sickle")
    True
    """
    return " ".join(_NOT_WORD.sub(" ", _APOSTROPHES.sub("", text.casefold()).replace("&", " and ")).split())


@dataclass(frozen=True)
class Match:
    """One intersection of two streets, among all the places where they meet.

    Attributes
    ----------
    label : str
        The streets that meet there.
    lat, lon : float
    node : int
        Its graph node.
    in_area : bool
        Whether a block of the patrol area starts there.
    distance_m : float
        Straight-line metres from the hint (the ``near`` point, else the area's centre).
    bearing : str
        Compass direction from the hint (``N``, ``NE``, ...; ``""`` within 50 m).
    """

    label: str
    lat: float
    lon: float
    node: int
    in_area: bool
    distance_m: float
    bearing: str

    def describe(self, hint: str = "the hint") -> str:
        """``"4th & Hennepin at 44.98045,-93.27134 (1.2 km NE of the area's centre)"``."""
        away = f"{self.distance_m / 1000:.1f} km {self.bearing} of {hint}" if self.bearing else f"at {hint}"
        return f"{self.label} at {self.lat:.5f},{self.lon:.5f} ({away})"


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
    alternatives : list of str
        The other candidates, described (other intersections of the same streets, other places of the name).
    matches : list of Match
        For an intersection: every place where the two streets meet, this one first.
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
    matches: list[Match] = field(default_factory=list)

    @property
    def ambiguous(self) -> bool:
        """Whether the text named several places (two streets that meet more than once, a shared name)."""
        return bool(self.alternatives)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ambiguous": self.ambiguous}


class Geocoder:
    """Resolve texts and points against one district's street graph and businesses.

    Parameters
    ----------
    graph : networkx.MultiGraph
        A normalized street graph (see :mod:`patrol.graph`).
    businesses : list of Business
    max_snap_m : float
        Points farther than this from every block are outside the district.
    near : (lat, lon), optional
        The default hint for ambiguous intersections (a district passes its area's centre).
    """

    def __init__(self, graph: Any, businesses: list[Business], *, max_snap_m: float = 250.0,
                 near: tuple[float, float] | None = None):
        self.graph = graph
        self.businesses = businesses
        self.max_snap_m = float(max_snap_m)
        self.near = near
        self._to_xy = Transformer.from_crs("EPSG:4326", graph.graph["crs"], always_xy=True)
        self._to_ll = Transformer.from_crs(graph.graph["crs"], "EPSG:4326", always_xy=True)
        edges = sorted(graph.edges(data=True), key=lambda e: e[2]["block"])
        self._blocks = [d for _, _, d in edges]
        # every block's line projected at once (one transform and one constructor call for the whole city)
        ll, index = shapely.get_coordinates([d["geometry"] for d in self._blocks], return_index=True)
        x, y = self._to_xy.transform(ll[:, 0], ll[:, 1])
        self._lines = list(shapely.linestrings(np.column_stack([x, y]), indices=index))
        self._tree = shapely.STRtree(self._lines)
        self._cores: dict[str, set[str]] = {}
        self._node_cores: dict[int, set[str]] = {n: set() for n in graph.nodes}
        self._core_nodes: dict[str, set[int]] = {}
        for d in self._blocks:
            c = core_name(d["name"])
            self._cores.setdefault(c, set()).add(d["name"])
            self._node_cores[d["u"]].add(c)
            self._node_cores[d["v"]].add(c)
            self._core_nodes.setdefault(c, set()).update((d["u"], d["v"]))
        self._business_keys = [name_key(b.name) for b in businesses]
        self._business_index = {}
        for i, k in enumerate(self._business_keys):
            self._business_index.setdefault(k, []).append(i)

    # ------------------------------------------------------------------ public API
    def geocode(self, text: str, *, near: tuple[float, float] | None = None) -> Location:
        """Resolve a dispatcher's text to a :class:`Location` (see the module docstring).

        ``near`` (lat, lon) picks among several intersections of the same two streets (default: the
        geocoder's own hint, the area's centre).
        """
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
            return self.intersection(parts[0], parts[1], near=near)
        if len(parts) > 2:
            raise GeocodeError(f"{text!r}: an intersection names two streets", field="location")
        return self.place(text)

    def intersection(self, street_a: str, street_b: str, *, near: tuple[float, float] | None = None) -> Location:
        """The intersection of two streets nearest to the hint, listing every other (see :meth:`intersections`)."""
        matches = self.intersections(street_a, street_b, near=near)
        hint = "the given place" if near is not None else "the area's centre" if self.near is not None else \
            "their middle"
        return self._at_node(matches[0].node, alternatives=[m.describe(hint) for m in matches[1:]], matches=matches)

    def intersections(self, street_a: str, street_b: str, *, near: tuple[float, float] | None = None) -> list[Match]:
        """Every place where two streets meet, nearest to the hint first.

        Parameters
        ----------
        street_a, street_b : str
            Street names as a dispatcher types them (resolved by :meth:`resolve_street`).
        near : (lat, lon), optional
            The hint; default the geocoder's ``near`` (the area's centre) with the intersections of the
            patrol area first.

        Raises
        ------
        GeocodeError
            When a street is unknown, both name one street, or they never meet.
        """
        a, b = self.resolve_street(street_a), self.resolve_street(street_b)
        if a == b:
            raise GeocodeError(f"{street_a!r} and {street_b!r} are the same street", field="location")
        nodes = sorted(self._core_nodes.get(a, set()) & self._core_nodes.get(b, set()))
        if not nodes:
            raise GeocodeError(
                f"{self._label(a)} and {self._label(b)} never meet in this district", field="location",
                details={"streets": [self._label(a), self._label(b)]},
            )
        nd = self.graph.nodes
        xy = np.array([[nd[n]["x"], nd[n]["y"]] for n in nodes])
        if len(nodes) == 1:  # the usual case: one crossing, one group (the sparse graph below costs 0.1 ms)
            group = np.zeros(1, dtype=np.int64)
        else:
            pairs = np.array(sorted(cKDTree(xy).query_pairs(SAME_INTERSECTION_M)), dtype=np.int64).reshape(-1, 2)
            close = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(len(nodes), len(nodes)))
            _, group = connected_components(close, directed=False)
        hint = near if near is not None else self.near
        hx, hy = self._to_xy.transform(hint[1], hint[0]) if hint is not None else (float(xy[:, 0].mean()),
                                                                                     float(xy[:, 1].mean()))
        out = []
        for g in np.unique(group):
            members = [nodes[i] for i in np.flatnonzero(group == g)]
            cx, cy = xy[group == g].mean(axis=0)
            # the representative: in the area first, then nearest the middle of the group
            n = min(members, key=lambda m: (not self._node_in_area(m), math.hypot(nd[m]["x"] - cx, nd[m]["y"] - cy),
                                            m))
            dx, dy = nd[n]["x"] - hx, nd[n]["y"] - hy
            dist = math.hypot(dx, dy)
            out.append(Match(nd[n]["label"], float(nd[n]["lat"]), float(nd[n]["lon"]), int(n),
                             self._node_in_area(n), round(dist, 1), _bearing(dx, dy) if dist > 50 else ""))
        out.sort(key=lambda m: (near is None and not m.in_area, m.distance_m, m.node))
        return out

    def place(self, text: str) -> Location:
        """A business or place by name (the whole name, then a part naming one place only; see :func:`name_key`)."""
        key = name_key(text)
        hits = self._business_index.get(key, []) if key else []
        if not hits and key:
            partial = sorted({b.name for b, k in zip(self.businesses, self._business_keys, strict=True) if key in k})
            if len(partial) == 1:
                hits = self._business_index[name_key(partial[0])]
            elif len(partial) > 1:
                raise GeocodeError(f"{text!r} matches several places: {', '.join(partial[:8])}",
                                   field="location", details={"close_matches": partial[:8], "unknown": text.strip()})
        if not hits:
            by_key = {k: b.name for b, k in zip(self.businesses, self._business_keys, strict=True)}
            close = [by_key[k] for k in difflib.get_close_matches(key, list(by_key), n=4, cutoff=0.6)]
            close += [self._label(c) for c in difflib.get_close_matches(core_name(text), list(self._cores),
                                                                         n=3, cutoff=0.7)]
            hint = f"; close matches: {', '.join(close)}" if close else ""
            raise GeocodeError(
                f"unknown location {text!r}: not an intersection ('A & B'), a known place, or 'lat,lon'{hint}",
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
        return name_key(text) in self._business_index

    def _label(self, core: str) -> str:
        return " / ".join(sorted(self._cores.get(core, {core})))

    def _node_in_area(self, node: int) -> bool:
        return any(d["in_area"] for _, _, d in self.graph.edges(node, data=True))

    def _at_node(self, node: int, alternatives: list[str], matches: list[Match]) -> Location:
        d = self.graph.nodes[node]
        incident = sorted(
            (e for _, _, e in self.graph.edges(node, data=True)), key=lambda e: (not e["in_area"], e["block"])
        )
        e = incident[0]
        offset = 0.0 if e["u"] == node else float(e["length"])
        return Location(lat=d["lat"], lon=d["lon"], block=int(e["block"]), offset_m=offset, matched=d["label"],
                        kind="intersection", node=int(node), in_area=bool(e["in_area"]),
                        alternatives=alternatives, matches=matches)

    def _on_block(self, idx: int, along: float, matched: str, kind: str, dist: float) -> Location:
        d = self._blocks[idx]
        line = self._lines[idx]
        frac = along / line.length if line.length > 0 else 0.0
        lat, lon = self.point_on_block(idx, frac * d["length"])
        return Location(lat=lat, lon=lon, block=idx, offset_m=round(frac * d["length"], 2), matched=matched,
                        kind=kind, snap_distance_m=round(dist, 2), in_area=bool(d["in_area"]))


def _bearing(dx: float, dy: float) -> str:
    """Compass point (8 directions) of a projected offset.

    Examples
    --------
    >>> _bearing(0.0, 10.0), _bearing(10.0, 10.0), _bearing(-10.0, -1.0)
    ('N', 'NE', 'W')
    """
    points = ("N", "NE", "E", "SE", "S", "SW", "W", "NW")
    return points[int(((math.degrees(math.atan2(dx, dy)) + 22.5) % 360) // 45)]
