"""The compiled-facts format: ``intersections.csv`` + ``street_segments.csv`` (the embedded default).

It is also the format every other source is saved in (:func:`write_facts`), so a district built
once from OpenStreetMap or a city centreline loads offline afterwards.
"""

from __future__ import annotations

import csv
import json
import logging
from pathlib import Path

import networkx as nx

from patrol.errors import DistrictError
from patrol.graph import RawBlock, normalize_graph

__all__ = ["graph_from_facts", "write_facts"]

log = logging.getLogger(__name__)

_PRECISION_M = 0.1


def _rows(path: Path, required: set[str]) -> list[dict[str, str]]:
    try:
        with open(path, newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            missing = required - set(reader.fieldnames or [])
            if missing:
                raise DistrictError(f"{path.name}: missing column(s) {sorted(missing)}", field=sorted(missing)[0])
            return list(reader)
    except FileNotFoundError as exc:
        raise DistrictError(f"street data file not found: {path}") from exc


def graph_from_facts(intersections: Path, segments: Path, *, name: str = "district") -> nx.MultiGraph:
    """Build the normalized graph from the compiled-facts CSVs.

    ``street_segments.csv`` may carry an optional ``geometry`` column (JSON list of ``[lon, lat]``),
    written by :func:`write_facts` for sources with curved blocks.

    Raises
    ------
    DistrictError
        Naming the file, line and column of a bad value.
    """
    nodes: dict[int, tuple[float, float]] = {}
    labels: dict[int, str] = {}
    for i, row in enumerate(_rows(intersections, {"node", "lat", "lon"}), start=2):
        try:
            nid = int(row["node"])
            nodes[nid] = (float(row["lon"]), float(row["lat"]))
        except ValueError as exc:
            raise DistrictError(f"{intersections.name} line {i}: node/lat/lon must be numbers",
                                field="node") from exc
        labels[nid] = (row.get("streets") or "").strip()
    blocks = []
    for i, row in enumerate(_rows(segments, {"from_node", "to_node", "street", "length_m"}), start=2):
        try:
            u, v, length = int(row["from_node"]), int(row["to_node"]), float(row["length_m"])
        except ValueError as exc:
            raise DistrictError(f"{segments.name} line {i}: from_node/to_node/length_m must be numbers",
                                field="length_m") from exc
        if 0 <= length < _PRECISION_M:
            # Lengths are recorded to 0.1 m; 0.0 means "below the precision" (a degenerate jog of a
            # street at an intersection).  Keep the block, with the precision as its length.
            log.info("%s line %d: %s %d-%d has length %.1f m; using %.1f m", segments.name, i,
                        row["street"], u, v, length, _PRECISION_M)
            length = _PRECISION_M
        coords = json.loads(row["geometry"]) if row.get("geometry") else None
        speed = row.get("speed_limit_mph")
        blocks.append(RawBlock(u, v, row["street"].strip(), length, (row.get("kind") or "street").strip(),
                               [tuple(c) for c in coords] if coords else None,
                               float(speed) if speed else None))
    return normalize_graph(nodes, blocks, name=name, source="facts", labels=labels)


def write_facts(G: nx.MultiGraph, folder: Path) -> None:
    """Save a normalized graph in the compiled-facts format (with block geometries)."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "intersections.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["node", "lat", "lon", "streets"])
        for n, d in sorted(G.nodes(data=True)):
            w.writerow([n, f"{d['lat']:.7f}", f"{d['lon']:.7f}", d.get("label", "")])
    with open(folder / "street_segments.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["from_node", "to_node", "street", "length_m", "kind", "speed_limit_mph", "geometry"])
        for _, _, d in sorted(G.edges(data=True), key=lambda e: e[2]["block"]):
            geom = json.dumps([[round(x, 7), round(y, 7)] for x, y in d["geometry"].coords])
            speed = d.get("speed_limit_mph")
            w.writerow([d["u"], d["v"], d["name"], f"{d['length']:.1f}", d["kind"],
                        "" if speed is None else speed, geom])
