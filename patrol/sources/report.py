"""What a builder repaired, left out and clipped: the build report of a district.

Real street data is never clean.  A city centreline holds null coordinates, multi-part lines, duplicate
and reversed-duplicate segments, closed loops, freeway ramps and HOV lanes, and small islands cut off from
the network; an OpenStreetMap extract holds motorways, driveways and private ways.  The builders repair
what can be repaired, leave out what is not walkable, keep the largest connected network and clip it to
the patrol area plus a margin (the *working graph*).  Every such decision is counted here, so a user sees
what happened to the data:

* ``patrol district build`` prints the report and saves it beside the district as ``build_report.json``;
* ``patrol district info`` shows it again (:attr:`patrol.district.District.build_report`);
* :func:`log_report` logs data problems (null coordinates, missing geometries, islands, area blocks cut
  off by the clip) at WARNING, so they show at the default log level, and the rest at INFO.

>>> r = BuildReport(source="city.geojson", builder="centerline", features=3, null_vertices=1)
>>> r.lines()[0]
'source: city.geojson (centerline, EPSG:4326), 3 features'
>>> BuildReport.from_dict(r.to_dict()) == r
True
"""

from __future__ import annotations

import dataclasses
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from patrol.errors import DistrictError

__all__ = ["REPORT_FILE", "BuildReport", "Islands", "WorkingArea", "log_report", "read_report"]

#: The build report's file name in a district folder.
REPORT_FILE = "build_report.json"


@dataclass(frozen=True)
class Islands:
    """Pieces of the source network not connected to its largest piece (left out)."""

    components: int = 0
    nodes: int = 0
    blocks: int = 0
    km: float = 0.0


@dataclass(frozen=True)
class WorkingArea:
    """The clip of the source network to the patrol area plus a margin (the working graph).

    Attributes
    ----------
    margin_m : float
        The margin around the area box (``area.margin_m``).
    source_blocks, source_km : int, float
        The source network before the clip.
    outside_blocks : int
        Blocks with an end beyond the margin (left out).
    cut_off_blocks : int
        Blocks inside the margin but in pieces that the clip disconnected from the area's network (left out).
    area_blocks_cut_off : int
        Of those, blocks of the patrol area itself (a sign that the margin is too small).
    blocks, km : int, float
        The working graph.
    """

    margin_m: float
    source_blocks: int
    source_km: float
    outside_blocks: int
    cut_off_blocks: int
    area_blocks_cut_off: int
    blocks: int
    km: float


@dataclass(frozen=True)
class BuildReport:
    """Counts of every repair and omission of one build (see the module docstring).

    Attributes
    ----------
    source, builder, input_crs : str
        The file or place, the builder (``centerline``, ``osm-xml``, ``osm``) and the CRS the file declared.
    features : int
        Features (centreline) or ways (OpenStreetMap) read.
    no_geometry : int
        Features without a line geometry (null, empty, or not a LineString / MultiLineString): left out.
    null_vertices : int
        Vertices with a null or non-finite coordinate, removed from their line.
    null_features : int
        Lines left with fewer than two good vertices after that: left out.
    multi_lines, multi_parts : int
        MultiLineString features, and the separate segments they were split into.
    unnamed : int
        Segments without a street name: left out.
    not_walkable : dict
        Segments left out by class (``freeway``, ``ramp``, ``hov lane``, ``driveway``, OpenStreetMap
        ``highway=motorway`` ...), with :attr:`examples` of their names.
    too_short : int
        Segments shorter than 0.5 m once their ends were merged: left out.
    duplicates, reversed_duplicates : int
        Segments drawn twice between the same intersections (the second copy left out), the same way or
        reversed.
    self_loops_split, self_loops_dropped : int
        Closed loops (both ends at one intersection): split at their middle into two blocks, or left out
        when shorter than 10 m.
    islands : Islands
    working : WorkingArea or None
        The clip to the patrol area (``None`` when the graph was not clipped).
    """

    source: str
    builder: str
    input_crs: str = "EPSG:4326"
    features: int = 0
    no_geometry: int = 0
    null_vertices: int = 0
    null_features: int = 0
    multi_lines: int = 0
    multi_parts: int = 0
    unnamed: int = 0
    not_walkable: dict[str, int] = field(default_factory=dict)
    examples: dict[str, list[str]] = field(default_factory=dict)
    too_short: int = 0
    duplicates: int = 0
    reversed_duplicates: int = 0
    self_loops_split: int = 0
    self_loops_dropped: int = 0
    islands: Islands = field(default_factory=Islands)
    working: WorkingArea | None = None

    def replace(self, **changes: Any) -> BuildReport:
        """A copy with fields replaced."""
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict (the ``build_report.json`` file and ``district info --json``)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BuildReport:
        """The report saved by :meth:`to_dict`.

        Raises
        ------
        DistrictError
            When a key is unknown or a value has the wrong shape.
        """
        try:
            values = dict(data)
            values["islands"] = Islands(**values.get("islands", {}))
            if values.get("working") is not None:
                values["working"] = WorkingArea(**values["working"])
            return cls(**values)
        except TypeError as exc:
            raise DistrictError(f"{REPORT_FILE}: not a build report ({exc})", field="build_report") from exc

    def problems(self) -> list[str]:
        """Data problems worth a warning: what was broken or cut off, not what was filtered by design."""
        out = []
        if self.no_geometry:
            out.append(f"{self.no_geometry} feature(s) without a line geometry left out")
        if self.null_vertices:
            lost = f", {self.null_features} line(s) left with < 2 points left out" if self.null_features else ""
            out.append(f"{self.null_vertices} null or non-finite coordinate(s) removed{lost}")
        if self.islands.components:
            i = self.islands
            out.append(f"{i.components} island(s) not connected to the main network left out "
                       f"({i.blocks} blocks, {i.km:.1f} km)")
        if self.working is not None and self.working.area_blocks_cut_off:
            out.append(f"{self.working.area_blocks_cut_off} block(s) of the patrol area cut off from its network by "
                       f"the {self.working.margin_m:.0f} m margin; raise area.margin_m")
        return out

    def lines(self) -> list[str]:
        """The report as lines of text for the command line."""
        out = [f"source: {self.source} ({self.builder}, {self.input_crs}), {self.features} features"]

        def add(count: int, text: str) -> None:
            if count:
                out.append(f"  {count:>6}  {text}")

        add(self.no_geometry, "without a line geometry: left out")
        add(self.null_vertices, "null or non-finite coordinates: removed from their lines")
        add(self.null_features, "lines with < 2 good points: left out")
        add(self.multi_lines, f"multi-line features: split into {self.multi_parts} segments")
        add(self.unnamed, "segments without a street name: left out")
        for cls, n in sorted(self.not_walkable.items()):
            ex = self.examples.get(cls, [])
            add(n, f"not walkable ({cls}): left out" + (f", e.g. {'; '.join(ex)}" if ex else ""))
        add(self.too_short, "segments shorter than 0.5 m: left out")
        add(self.duplicates, "duplicate segments: second copy left out")
        add(self.reversed_duplicates, "reversed duplicate segments: second copy left out")
        add(self.self_loops_split, "closed loops: split at their middle into two blocks")
        add(self.self_loops_dropped, "closed loops shorter than 10 m: left out")
        i = self.islands
        add(i.components, f"islands not connected to the main network: left out ({i.nodes} nodes, "
                          f"{i.blocks} blocks, {i.km:.1f} km)")
        w = self.working
        if w is not None:
            out.append(f"  working graph: the area plus a {w.margin_m:.0f} m margin: {w.blocks} of {w.source_blocks} "
                       f"blocks ({w.km:.1f} of {w.source_km:.1f} km)")
            add(w.outside_blocks, "blocks beyond the margin: left out")
            add(w.cut_off_blocks, "blocks inside the margin cut off from the area's network: left out")
            add(w.area_blocks_cut_off, "of them in the patrol area: raise area.margin_m")
        return out

    def save(self, folder: Path) -> Path:
        """Write ``build_report.json`` into a district folder."""
        path = Path(folder) / REPORT_FILE
        path.write_text(json.dumps(self.to_dict(), indent=2) + "\n", encoding="utf-8")
        return path


def read_report(folder: Path) -> BuildReport | None:
    """The build report saved in a district folder, or ``None`` when there is none.

    Raises
    ------
    DistrictError
        When the file is there but is not a build report.
    """
    path = Path(folder) / REPORT_FILE
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise DistrictError(f"{path}: not JSON ({exc})", field="build_report") from exc
    if not isinstance(data, dict):
        raise DistrictError(f"{path}: not a build report", field="build_report")
    return BuildReport.from_dict(data)


def log_report(report: BuildReport, log: logging.Logger) -> None:
    """Log the report: data problems at WARNING (seen at the default level), the rest at INFO."""
    for problem in report.problems():
        log.warning("%s: %s", report.source, problem)
    for line in report.lines():
        log.info("%s", line)
