"""A patrol district: its settings, street graph, businesses and derived lookups.

>>> from patrol.district import load_district
>>> d = load_district()                 # the embedded Uptown default, offline
>>> d.info()["street_blocks"]
266
"""

from __future__ import annotations

import hashlib
import logging
from functools import cached_property
from importlib import resources
from pathlib import Path

import networkx as nx
import numpy as np

from patrol.arrays import GraphArrays, graph_arrays
from patrol.businesses import Business, TransitStop, opening_minutes, read_businesses, read_transit_stops
from patrol.errors import ConfigError, DistrictError, GeocodeError, PlanError
from patrol.geocode import Geocoder, Location
from patrol.graph import annotate_graph, validate_graph
from patrol.history import IncidentHistory, load_incident_history
from patrol.settings import Settings, load_settings
from patrol.sources import graph_from_centerline, graph_from_facts, graph_from_osm_xml
from patrol.sources.report import BuildReport, log_report, read_report
from patrol.sources.working import working_graph

__all__ = ["District", "check_plan_district", "default_district_path", "district_for_plan", "load_district"]

log = logging.getLogger(__name__)


def default_district_path() -> Path:
    """Folder of the embedded Uptown district (the checkout's ``data/uptown`` or the wheel's copy)."""
    checkout = Path(__file__).resolve().parents[1] / "data" / "uptown"
    if (checkout / "district.toml").is_file():
        return checkout
    packaged = Path(str(resources.files("patrol") / "_data" / "uptown"))
    if (packaged / "district.toml").is_file():
        return packaged
    raise DistrictError("the embedded Uptown district data is missing from this installation")


class District:
    """Settings + normalized street graph + businesses, transit stops and incident history of one district.

    A district is plain data: it pickles without its derived lookups (arrays, geocoder, ...), which are
    rebuilt on first use, so a Dask scheduler can hand it to workers that never see its folder.

    Parameters
    ----------
    settings : Settings
    graph : networkx.MultiGraph
        A normalized street graph; ``in_area``/``corridor`` flags are (re)computed from settings.
    businesses : list of Business
    folder : Path, optional
        Where the district was loaded from.
    stops : list of TransitStop, optional
        Transit stops (the demand model counts them).
    incidents : IncidentHistory, optional
        The district's own incident history (then the demand model places hot spots by it).
    build_report : BuildReport, optional
        What the builder repaired and left out (default: the graph's ``build_report`` attribute).

    Raises
    ------
    GraphValidationError
        When the graph breaks the contract.
    """

    def __init__(self, settings: Settings, graph: nx.MultiGraph, businesses: list[Business],
                 folder: Path | None = None, *, stops: list[TransitStop] | None = None,
                 incidents: IncidentHistory | None = None, build_report: BuildReport | None = None):
        self.settings = settings
        self.graph = annotate_graph(graph, settings)
        validate_graph(self.graph)
        self.businesses = list(businesses)
        self.folder = folder
        self.stops = list(stops or [])
        self.incidents = incidents if incidents is not None and len(incidents) else None
        self.build_report: BuildReport | None = build_report or self.graph.graph.get("build_report")

    _DERIVED = ("fingerprint", "arrays", "geocoder", "base", "base_node", "business_blocks")

    def __getstate__(self) -> dict:
        """The district's data without its derived lookups (rebuilt on first use after unpickling)."""
        return {k: v for k, v in self.__dict__.items() if k not in self._DERIVED}

    def with_settings(self, settings: Settings) -> District:
        """The same streets, businesses, stops and history under other settings (a what-if)."""
        return District(settings, self.graph.copy(), self.businesses, self.folder, stops=self.stops,
                        incidents=self.incidents, build_report=self.build_report)

    @property
    def name(self) -> str:
        return self.settings.district.name

    @property
    def source(self) -> str | None:
        """Where the district was loaded from: ``"embedded"`` (the packaged Uptown), a folder, or ``None``."""
        if self.folder is None:
            return None
        folder = Path(self.folder).resolve()
        try:
            if folder == default_district_path().resolve():
                return "embedded"
        except DistrictError:
            pass
        return str(folder)

    @cached_property
    def fingerprint(self) -> str:
        """A digest of the district's data: street blocks (ends, length, name) and businesses.

        Plans record it, so a plan is never judged or dispatched on another district's streets.  Settings
        are not part of it (a what-if with other settings runs on the same streets); they are compared
        one by one by the checker.
        """
        h = hashlib.sha256()
        a = self.arrays
        for e in range(a.n_edges):
            h.update(f"{a.node_ids[a.edge_u[e]]}|{a.node_ids[a.edge_v[e]]}|{a.edge_length[e]:.2f}|"
                     f"{a.edge_name[e]}\n".encode())
        for b in self.businesses:
            h.update(f"{b.name}|{b.category}|{b.lat:.6f}|{b.lon:.6f}|{b.hours}\n".encode())
        for stop in self.stops:  # stops and history move the hot spots; a district without them hashes as before
            h.update(f"stop|{stop.lat:.6f}|{stop.lon:.6f}\n".encode())
        if self.incidents is not None:
            h.update(f"incidents|{self.incidents.digest}\n".encode())
        return "sha256:" + h.hexdigest()[:32]

    @cached_property
    def arrays(self) -> GraphArrays:
        """Contiguous CSR arrays of the street graph (see :class:`patrol.arrays.GraphArrays`)."""
        return graph_arrays(self.graph)

    @cached_property
    def geocoder(self) -> Geocoder:
        a = self.settings.area
        return Geocoder(self.graph, self.businesses, max_snap_m=self.settings.dispatch.max_snap_m,
                        near=((a.south + a.north) / 2, (a.west + a.east) / 2))

    def geocode(self, text: str, *, near: tuple[float, float] | None = None) -> Location:
        """Resolve a location text (see :mod:`patrol.geocode`); ``near`` (lat, lon) picks among several
        intersections of the same two streets (default: the patrol area's centre)."""
        return self.geocoder.geocode(text, near=near)

    @cached_property
    def base(self) -> Location:
        """The base (safety communication center) as a location.

        Raises
        ------
        ConfigError
            When ``base.at`` cannot be found on this district's streets.
        """
        try:
            return self.geocode(self.settings.base.at)
        except GeocodeError as exc:
            hint = ""
            if self.build_report is not None and self.build_report.working is not None:
                hint = (f" (the district keeps the streets within area.margin_m = "
                        f"{self.build_report.working.margin_m:.0f} m of the area; a base farther out needs a "
                        f"larger margin)")
            raise ConfigError(f"base.at {self.settings.base.at!r} is not in this district: {exc.message}{hint}",
                              field="base.at", details=exc.details) from exc

    @cached_property
    def base_node(self) -> int:
        """Graph node id of the base (the block end nearest to it when it is not an intersection)."""
        loc = self.base
        if loc.node is not None:
            return loc.node
        d = next(e for _, _, e in self.graph.edges(data=True) if e["block"] == loc.block)
        return d["u"] if loc.offset_m <= d["length"] / 2 else d["v"]

    @property
    def base_index(self) -> int:
        """Contiguous node index of the base."""
        return self.arrays.index_of[self.base_node]

    @cached_property
    def business_blocks(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per business: ``(block, offset_m, distance_m)`` of its snap onto the network."""
        if not self.businesses:
            return np.zeros(0, np.int64), np.zeros(0), np.zeros(0)
        return self.geocoder.snap_many(np.array([b.lat for b in self.businesses]),
                                       np.array([b.lon for b in self.businesses]))

    def business_in_area(self) -> np.ndarray:
        """Boolean mask of businesses whose point lies inside the patrol area box."""
        return np.array([self.settings.area.contains(b.lat, b.lon) for b in self.businesses], dtype=bool)

    def business_hours(self, i: int) -> tuple[int, int, bool]:
        """Opening ``(open_min, close_min, from_data)`` of business ``i`` (district defaults if unknown)."""
        return opening_minutes(self.businesses[i], self.settings.business_hours)

    def info(self) -> dict:
        """Summary figures: nodes, blocks, km of streets, blocks/km in the area and on the corridor."""
        a = self.arrays
        s = self.settings.area
        return {
            "name": self.name,
            "source": self.graph.graph.get("source"),
            "crs": self.graph.graph.get("crs"),
            "nodes": a.n_nodes,
            "street_blocks": a.n_edges,
            "total_km": round(float(a.edge_length.sum()) / 1000, 1),
            "area_blocks": int(a.edge_in_area.sum()),
            "area_km": round(float(a.edge_length[a.edge_in_area].sum()) / 1000, 1),
            "corridor_blocks": int(a.edge_corridor.sum()),
            "corridor_km": round(float(a.edge_length[a.edge_corridor].sum()) / 1000, 1),
            "businesses": len(self.businesses),
            "businesses_in_area": int(self.business_in_area().sum()),
            "transit_stops": len(self.stops),
            "incidents": 0 if self.incidents is None else len(self.incidents),
            "area_bounds": {"south": s.south, "north": s.north, "west": s.west, "east": s.east},
            "base": {"name": self.settings.base.name, "at": self.base.matched, "node": int(self.base_node),
                     "lat": self.base.lat, "lon": self.base.lon},
            "roster": self.settings.roster.size,
            "shift": f"{', '.join(self.settings.shift.days)} {self.settings.shift.start}-{self.settings.shift.end}",
            "build": None if self.build_report is None else self.build_report.to_dict(),
        }


def load_district(path: str | Path | None = None, *, settings: Settings | None = None) -> District:
    """Load a district folder (``district.toml`` + its data); the embedded Uptown default if ``None``.

    ``district.source`` picks the builder: ``facts`` reads ``intersections.csv`` and
    ``street_segments.csv``; ``osm-xml`` reads ``district.files.osm`` with osmnx;
    ``centerline`` reads ``district.files.centerline``.  The last two are clipped to the area plus
    ``area.margin_m`` (the working graph, :mod:`patrol.sources.working`); a facts folder written by
    ``patrol district build`` already is.  Businesses come from ``businesses.csv`` when present (for
    ``osm-xml``, from the XML's features otherwise), transit stops from ``transit_stops.csv`` and the
    incident history from ``incidents.csv`` (columns lat, lon, time, type), each when present; file
    names can be changed in ``district.files`` (keys ``businesses``, ``transit_stops``, ``incidents``).

    Raises
    ------
    DistrictError
        When the folder, its settings or its data cannot be read.
    GraphValidationError
        When the street graph breaks the contract.
    """
    folder = Path(path) if path is not None else default_district_path()
    if folder.is_file() and folder.suffix == ".toml":
        folder = folder.parent
    if not (folder / "district.toml").is_file():
        raise DistrictError(f"no district.toml in {folder}", field="district")
    settings = settings or load_settings(folder / "district.toml")
    files = settings.district.files
    name = settings.district.name

    def need(key: str) -> Path:
        if key not in files:
            raise DistrictError(f"district.files.{key} must name the {key} file for this source",
                                field=f"district.files.{key}")
        return folder / files[key]

    businesses: list[Business] = []
    biz_file = folder / files.get("businesses", "businesses.csv")
    stops_file = folder / files.get("transit_stops", "transit_stops.csv")
    incidents_file = folder / files.get("incidents", "incidents.csv")
    source = settings.district.source
    report = read_report(folder)
    if source == "facts":
        graph = graph_from_facts(need("intersections"), need("street_segments"), name=name)
    else:
        if source == "osm-xml":
            graph, businesses = graph_from_osm_xml(need("osm"), name=name)
        else:
            graph = graph_from_centerline(need("centerline"), name=name)
        graph, working = working_graph(graph, settings.area, settings.area.margin_m)
        report = graph.graph["build_report"].replace(working=working)
        log_report(report, log)
    if biz_file.is_file():
        businesses = read_businesses(biz_file)
    stops = read_transit_stops(stops_file) if stops_file.is_file() else []
    incidents = load_incident_history(incidents_file) if incidents_file.is_file() else None
    district = District(settings, graph, businesses, folder, stops=stops, incidents=incidents, build_report=report)
    log.info("loaded district %s from %s: %d nodes, %d blocks", name, folder, district.arrays.n_nodes,
             district.arrays.n_edges)
    return district


def district_for_plan(plan: dict, path: str | Path | None = None) -> District:
    """The district a plan was made for.

    With ``path`` that district is loaded and must be the plan's (same fingerprint); without it the plan's
    own ``district_source`` is loaded (the embedded district, or the folder it names).

    Raises
    ------
    PlanError
        When the plan names no district, its district cannot be found, or ``path`` holds another one.
    """
    name = plan.get("district")
    if path is None:
        src = plan.get("district_source")
        if src is None:
            raise PlanError(f"the plan does not say where its district ({name!r}) is; give --district",
                            field="district")
        if src != "embedded" and not (Path(src) / "district.toml").is_file():
            raise PlanError(f"the plan was made for district {name!r} at {src}, which is not there; give --district",
                            field="district")
        district = load_district(None if src == "embedded" else src)
    else:
        district = load_district(path)
    check_plan_district(plan, district)
    return district


def check_plan_district(plan: dict, district: District) -> None:
    """Refuse a plan made for other streets than ``district``'s (by the fingerprint the plan records).

    Raises
    ------
    PlanError
        When the plan records no fingerprint or another one.
    """
    name, fingerprint = plan.get("district"), plan.get("district_fingerprint")
    if fingerprint is None:
        raise PlanError("the plan does not record its district's fingerprint (made by an older patrol?); plan again",
                        field="district_fingerprint")
    if district.fingerprint != fingerprint:
        if name == district.name:  # the same district, its data edited since
            why = (f"the plan was made for district {name!r} as its data was then ({fingerprint}); its streets, "
                   f"businesses or history at {district.folder} have changed since ({district.fingerprint}): "
                   f"make the plan again (`patrol plan`)")
        else:
            why = (f"the plan was made for district {name!r} ({fingerprint}), not for {district.name!r} "
                   f"({district.fingerprint}) at {district.folder}")
        raise PlanError(why, field="district",
                        details={"plan_district": name, "plan_fingerprint": fingerprint,
                                 "district": district.name, "district_fingerprint": district.fingerprint})
