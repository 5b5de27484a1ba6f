"""Builders on broken real-world input: every repair and omission counted, the CRS honoured, the working graph.

The fixture is a small street centreline written here, in the Minneapolis open-data format (``streetname``,
``speed_lim``, LineStrings in CRS84): a 6 x 6 grid of 100 m blocks plus one of each broken feature a whole
city's file holds.  The expected counts follow from how the fixture is drawn, not from the builder.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
from pyproj import Geod, Transformer

from patrol.cli import main
from patrol.district import load_district
from patrol.errors import DistrictError
from patrol.graph import RawBlock, normalize_graph, validate_graph
from patrol.settings import Area
from patrol.sources import graph_from_centerline
from patrol.sources.report import BuildReport, read_report
from patrol.sources.working import working_graph

LAT0, LON0 = 44.9460, -93.3040
DLAT = 100.0 / 111_132.0  # about 100 m
DLON = 100.0 / (111_320.0 * math.cos(math.radians(LAT0)))
AVES = ["KNOX", "JAMES", "IRVING", "HUMBOLDT", "HENNEPIN", "GIRARD"]  # north-south
STREETS = ["31ST", "LAKE", "LAGOON", "29TH", "28TH", "27TH"]  # east-west


def P(i: float, j: float) -> list[float]:
    """Grid point: column i (west to east), row j (south to north)."""
    return [LON0 + i * DLON, LAT0 + j * DLAT]


def F(name: str | None, coords, speed: int = 30, kind: str = "LineString") -> dict:
    return {"type": "Feature", "properties": {"streetname": name, "speed_lim": speed},
            "geometry": {"type": kind, "coordinates": coords}}


def grid_features() -> list[dict]:
    out = []
    for j, street in enumerate(STREETS):
        out += [F(street, [P(i, j), P(i + 1, j)]) for i in range(5)]
    for i, ave in enumerate(AVES):
        out += [F(ave, [P(i, j), P(i, j + 1)]) for j in range(5)]
    return out


def broken_features() -> list[dict]:
    ring = [P(0, 0), P(0, -0.6), P(-0.6, -0.6), P(-0.6, 0), P(0, 0)]  # a 240 m loop at the south-west corner
    tiny = [P(5, 5), [P(5, 5)[0] + 2e-5, P(5, 5)[1]], [P(5, 5)[0] + 2e-5, P(5, 5)[1] + 2e-5], P(5, 5)]
    return [
        {"type": "Feature", "properties": {"streetname": "BRYANT"}, "geometry": None},  # no geometry
        F("BRYANT", P(1, 1), kind="Point"),  # not a line
        F("DUPONT", [P(0, 0), [None, None], P(1, 1)]),  # a null vertex inside a good diagonal
        F("EMERSON", [[None, None], P(2, 2)]),  # one good point left: left out
        F("FREMONT", [[P(5, 2), P(6, 2)], [P(6, 2), P(7, 2)]], kind="MultiLineString"),  # a spur in two parts
        F("LAKE", [P(1, 1), P(2, 1)]),  # duplicate of a grid block
        F("LAKE", [P(3, 1), P(2, 1)]),  # reversed duplicate
        F("THOMAS", ring),  # closed loop: split in two
        F("THOMAS", tiny),  # a 6 m loop: left out
        F("EB I394 TO PENN AVE S", [P(0, 5), P(1, 4)], speed=40),  # ramp
        F("394 HOV", [P(2, 5), P(3, 4)], speed=55),  # HOV lane
        F("INTERSTATE 94", [P(4, 5), P(5, 4)], speed=55),  # freeway
        F(None, [P(1, 3), P(2, 4)]),  # unnamed
        F("ISLAND", [P(30, 30), P(31, 30)]),  # an island of two blocks, 3 km away
        F("ISLAND", [P(31, 30), P(32, 30)]),
        F("SLIVER", [P(4, 0), [P(4, 0)[0] + 3e-6, P(4, 0)[1]]]),  # 0.2 m: left out
    ]


def write_geojson(path: Path, features: list[dict], crs: dict | None = None) -> Path:
    data = {"type": "FeatureCollection", "features": features}
    if crs is not None:
        data["crs"] = crs
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def broken(tmp_path_factory) -> Path:
    return write_geojson(tmp_path_factory.mktemp("centerline") / "broken.geojson",
                         grid_features() + broken_features())


@pytest.fixture(scope="module")
def built(broken):
    return graph_from_centerline(broken, name="fixture")


def test_every_broken_feature_is_repaired_or_counted(built):
    G = built
    assert validate_graph(G) == []
    r: BuildReport = G.graph["build_report"]
    assert r.features == 60 + 16
    assert (r.no_geometry, r.null_vertices, r.null_features) == (2, 2, 1)
    assert (r.multi_lines, r.multi_parts) == (1, 2)
    assert (r.duplicates, r.reversed_duplicates) == (1, 1)
    assert (r.self_loops_split, r.self_loops_dropped) == (1, 1)
    assert r.not_walkable == {"ramp": 1, "hov lane": 1, "freeway": 1}
    assert r.examples["ramp"] == ["Eb I394 To Penn Ave S"]
    assert (r.unnamed, r.too_short) == (1, 1)
    assert (r.islands.components, r.islands.nodes, r.islands.blocks) == (1, 3, 2)
    # 60 grid blocks + the repaired diagonal + the two spur parts + the loop's two halves
    assert G.number_of_edges() == 65
    assert G.number_of_nodes() == 36 + 2 + 1
    # conservation: every line of the file is a kept block (a split loop counts once) or a counted omission
    left_out = (r.no_geometry + r.null_features + r.unnamed + sum(r.not_walkable.values()) + r.too_short
                + r.duplicates + r.reversed_duplicates + r.self_loops_dropped + r.islands.blocks)
    assert G.number_of_edges() - r.self_loops_split + left_out == r.features - r.multi_lines + r.multi_parts
    names = [d["name"] for _, _, d in G.edges(data=True)]
    assert names.count("Lake") == 5 and names.count("Thomas") == 2 and "Dupont" in names
    assert not {"Island", "Sliver", "394 Hov", "Interstate 94"} & set(names)
    assert all(u != v for u, v in G.edges())  # no loop left
    # the loop's halves: half its length each, between the corner and a new node
    halves = [d for _, _, d in G.edges(data=True) if d["name"] == "Thomas"]
    assert {halves[0]["u"], halves[0]["v"]} == {halves[1]["u"], halves[1]["v"]}
    ring_m = sum(Geod(ellps="WGS84").inv(*a, *b)[2] for a, b in zip(broken_features()[7]["geometry"]["coordinates"],
                                                                    broken_features()[7]["geometry"]["coordinates"][1:],
                                                                    strict=False))
    assert halves[0]["length"] == pytest.approx(ring_m / 2, rel=2e-3)
    # the diagonal kept its two good points: its length is the geodesic one
    diag = next(d for _, _, d in G.edges(data=True) if d["name"] == "Dupont")
    assert diag["length"] == pytest.approx(Geod(ellps="WGS84").inv(*P(0, 0), *P(1, 1))[2], rel=2e-3)


def test_report_round_trips_and_names_the_problems(built):
    r = built.graph["build_report"]
    assert BuildReport.from_dict(json.loads(json.dumps(r.to_dict()))) == r
    problems = " ".join(r.problems())
    assert "2 null or non-finite coordinate(s)" in problems and "1 island(s)" in problems
    text = "\n".join(r.lines())
    assert "not walkable (ramp)" in text and "reversed duplicate" in text and "split at their middle" in text


def test_projected_crs_is_honoured(tmp_path, built):
    """The same streets given in UTM 15N (NAD83, EPSG:26915) with a crs member build the same graph."""
    to_utm = Transformer.from_crs("EPSG:4326", "EPSG:26915", always_xy=True)

    def project(coords):
        if coords is None or (coords and not isinstance(coords[0], list)):
            return None if coords is None else list(to_utm.transform(*coords)) if None not in coords else coords
        return [project(c) for c in coords]

    feats = json.loads(json.dumps(grid_features() + broken_features()))
    for f in feats:
        if f["geometry"] is not None and f["geometry"]["type"] != "Point":
            f["geometry"]["coordinates"] = project(f["geometry"]["coordinates"])
    path = write_geojson(tmp_path / "utm.geojson", feats,
                         {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::26915"}})
    G = graph_from_centerline(path)
    assert G.graph["build_report"].input_crs == "EPSG:26915"
    assert G.number_of_edges() == built.number_of_edges() and G.number_of_nodes() == built.number_of_nodes()
    from scipy.spatial import cKDTree

    ours = np.array([(d["lat"], d["lon"]) for _, d in G.nodes(data=True)])
    ref = np.array([(d["lat"], d["lon"]) for _, d in built.nodes(data=True)])
    gap, nearest = cKDTree(ref).query(ours)
    assert gap.max() < 1e-6 and len(set(nearest.tolist())) == len(ref)  # NAD83 and WGS84 agree within 0.1 m here
    np.testing.assert_allclose(sorted(d["length"] for _, _, d in G.edges(data=True)),
                               sorted(d["length"] for _, _, d in built.edges(data=True)), atol=0.2)


def test_projected_numbers_without_a_crs_member_are_refused(tmp_path):
    to_utm = Transformer.from_crs("EPSG:4326", "EPSG:26915", always_xy=True)
    feats = [F("LAKE", [list(to_utm.transform(*P(0, 0))), list(to_utm.transform(*P(1, 0)))])]
    with pytest.raises(DistrictError, match=r"not longitude/latitude degrees.*crs member") as err:
        graph_from_centerline(write_geojson(tmp_path / "nocrs.geojson", feats))
    assert err.value.field == "crs"
    with pytest.raises(DistrictError, match="not a coordinate reference system"):
        graph_from_centerline(write_geojson(tmp_path / "bad.geojson", feats, {"type": "name",
                                                                               "properties": {"name": "EPSG:0"}}))


def _line_graph(n: int, *, detour: bool) -> nx.MultiGraph:
    """Nodes 0..n-1 east along a street 100 m apart; with ``detour``, the last two are joined only through a
    loop 2 km north (so a small margin cuts them off)."""
    nodes = {i: (LON0 + i * DLON, LAT0) for i in range(n)}
    blocks = [RawBlock(i, i + 1, "Lake", 100.0) for i in range(n - 2)]
    if detour:
        nodes[100] = (LON0 + (n - 2) * DLON, LAT0 + 20 * DLAT)
        nodes[101] = (LON0 + (n - 1) * DLON, LAT0 + 20 * DLAT)
        blocks += [RawBlock(n - 2, 100, "Up", 2000.0), RawBlock(100, 101, "Over", 100.0),
                   RawBlock(101, n - 1, "Down", 2000.0)]
    else:
        blocks.append(RawBlock(n - 2, n - 1, "Lake", 100.0))
    return normalize_graph(nodes, blocks, name="line", source="test")


def test_working_graph_keeps_the_area_plus_margin_and_reports_what_it_cut():
    area = Area(south=LAT0 - 0.0005, north=LAT0 + 0.0005, west=LON0 - 0.0001, east=LON0 + 3.5 * DLON)
    G = _line_graph(40, detour=False)
    H, w = working_graph(G, area, 250.0)
    # nodes 0..6 lie within 3.5 blocks + 250 m of the west end: blocks 0-1 .. 5-6
    assert sorted(H.nodes) == list(range(7)) and H.number_of_edges() == 6
    assert (w.source_blocks, w.outside_blocks, w.cut_off_blocks, w.area_blocks_cut_off) == (39, 33, 0, 0)
    assert sorted(d["block"] for _, _, d in H.edges(data=True)) == list(range(6))
    # an area whose two ends meet only far outside the margin: the smaller piece is cut off and reported
    wide = Area(south=LAT0 - 0.0005, north=LAT0 + 0.0005, west=LON0 - 0.0001, east=LON0 + 10 * DLON)
    G = _line_graph(10, detour=True)
    H, w = working_graph(G, wide, 300.0)
    assert sorted(H.nodes) == list(range(9)) and w.area_blocks_cut_off == 0 and w.outside_blocks == 3
    H, w = working_graph(G, wide, 3000.0)
    assert H.number_of_edges() == G.number_of_edges() and w.outside_blocks == 0
    far = Area(south=LAT0 + 1, north=LAT0 + 1.01, west=LON0, east=LON0 + 0.01)
    with pytest.raises(DistrictError, match="no street of the source lies in the patrol area"):
        working_graph(G, far, 100.0)


def _settings_text(base: str = "Lake & Hennepin", margin: float = 300.0) -> str:
    from patrol.district import default_district_path

    text = (default_district_path() / "district.toml").read_text()
    text = text.replace('at = "Hennepin Ave S & W Lagoon Ave"', f'at = "{base}"')
    south, north = LAT0 + 0.5 * DLAT, LAT0 + 4.5 * DLAT
    west, east = LON0 + 0.5 * DLON, LON0 + 4.5 * DLON
    for key, value in (("south", south), ("north", north), ("west", west), ("east", east)):
        text = "\n".join(f"{key} = {value}" if line.startswith(f"{key} = ") else line for line in text.splitlines())
    return text.replace('description = "Knox', f'margin_m = {margin}\ndescription = "Knox')


def test_district_build_with_businesses_stops_and_incidents(tmp_path, broken, capsys, caplog):
    settings = tmp_path / "district.toml"
    settings.write_text(_settings_text(), encoding="utf-8")
    biz = tmp_path / "biz.csv"
    lat, lon = P(4.5, 1)[1], P(4.5, 1)[0]
    biz.write_text(f"name,category,lat,lon,source\nCafe,amenity:cafe,{lat},{lon},test\n"
                   f"Far away,shop:bakery,{LAT0 + 1},{LON0},test\n", encoding="utf-8")
    stops = tmp_path / "stops.txt"  # GTFS columns
    stops.write_text(f"stop_id,stop_name,stop_lat,stop_lon\n1,Lake & Girard,{P(5, 1)[1]},{P(5, 1)[0]}\n")
    hot_lat, hot_lon = P(1.5, 3)[1], P(1.5, 3)[0]  # the middle of 29th St between Knox+1 and Knox+2
    inc = tmp_path / "incidents.csv"
    inc.write_text("Y,X,when,what\n" + "".join(f"{hot_lat},{hot_lon},2024-05-0{1 + i},disturbance\n"
                                               for i in range(6)), encoding="utf-8")
    out = tmp_path / "district"
    code = main(["district", "build", "--centerline", str(broken), "--settings", str(settings), "--out", str(out),
                 "--businesses", str(biz), "--stops", str(stops), "--incidents", str(inc),
                 "--incident-columns", "lat=Y,lon=X,time=when,type=what"])
    printed = capsys.readouterr()
    assert code == 0, printed.err
    assert "not walkable (ramp)" in printed.out and "working graph" in printed.out
    warned = " ".join(r.getMessage() for r in caplog.records if r.levelname == "WARNING")
    assert "island" in warned and "null" in warned  # data problems: WARNING, seen at the default log level
    for name in ("district.toml", "intersections.csv", "street_segments.csv", "businesses.csv", "transit_stops.csv",
                 "incidents.csv", "build_report.json", "ATTRIBUTION.md"):
        assert (out / name).is_file(), name
    d = load_district(out)
    assert [b.name for b in d.businesses] == ["Cafe"]  # the one beyond the margin is left out
    assert len(d.stops) == 1 and d.incidents is not None and len(d.incidents) == 6
    assert d.build_report == read_report(out) and d.build_report.working.margin_m == 300.0
    info = d.info()
    assert info["build"]["duplicates"] == 1 and info["transit_stops"] == 1 and info["incidents"] == 6
    # the district's own history places the first hot spot where the incidents are
    from patrol.demand import top_hotspots

    hot = int(top_hotspots(d, 1)[0])
    assert d.arrays.edge_name[hot] == "29th"
    mid_lat, mid_lon = d.geocoder.point_on_block(hot, d.arrays.edge_length[hot] / 2)
    assert abs(mid_lat - hot_lat) < 1e-5 and abs(mid_lon - hot_lon) < 1e-5
    assert main(["district", "info", "--district", str(out)]) == 0
    text = capsys.readouterr().out
    assert "build report" in text and "transit stops      1" in text and "incident history   6" in text


def test_build_refuses_a_base_beyond_the_working_graph(tmp_path, broken, capsys):
    settings = tmp_path / "district.toml"
    settings.write_text(_settings_text(base="Knox & Lake", margin=20.0), encoding="utf-8")  # Knox: 50 m west
    code = main(["district", "build", "--centerline", str(broken), "--settings", str(settings),
                 "--out", str(tmp_path / "d")])
    err = capsys.readouterr().err
    assert code == 2 and "base.at 'Knox & Lake'" in err and "area.margin_m = 20 m" in err and "Traceback" not in err
    assert not (tmp_path / "d").exists()  # nothing written


@pytest.mark.parametrize(("raised", "words"), [
    ("insufficient", "has no walking network for 'Nowhere, Atlantis'"),
    ("offline", "cannot download 'Nowhere, Atlantis' from OpenStreetMap (no internet connection?)"),
])
def test_place_without_a_network_is_a_clear_error(tmp_path, monkeypatch, capsys, raised, words):
    import osmnx as ox
    import requests
    from osmnx._errors import InsufficientResponseError

    def fake(place, network_type, simplify):
        if raised == "insufficient":
            raise InsufficientResponseError("Nominatim geocoder returned 0 results for query 'Nowhere, Atlantis'")
        raise requests.ConnectionError("Failed to establish a new connection")

    monkeypatch.setattr(ox, "graph_from_place", fake)
    settings = tmp_path / "district.toml"
    settings.write_text(_settings_text(), encoding="utf-8")
    code = main(["district", "build", "--place", "Nowhere, Atlantis", "--settings", str(settings),
                 "--out", str(tmp_path / "d")])
    err = capsys.readouterr().err
    assert code == 2 and words in err and "Traceback" not in err


def test_a_centreline_source_folder_loads_clipped_with_its_report(tmp_path, broken):
    """A district folder that names the raw centreline (source = "centerline") is clipped at load time too."""
    import shutil

    shutil.copy(broken, tmp_path / "streets.geojson")
    text = _settings_text(margin=20.0).replace('source = "facts"', 'source = "centerline"')
    text = text.replace('timezone = "America/Chicago"', 'timezone = "America/Chicago"\n'
                                                        '[district.files]\ncenterline = "streets.geojson"')
    (tmp_path / "district.toml").write_text(text, encoding="utf-8")
    d = load_district(tmp_path)
    r = d.build_report
    assert r is not None and r.working is not None and r.working.margin_m == 20.0
    # the grown box holds the 4 x 4 inner intersections: 2 x 4 x 3 blocks between them
    assert r.duplicates == 1 and d.arrays.n_edges == r.working.blocks == 24
    assert r.working.outside_blocks == 65 - 24


@pytest.mark.shared
def test_osm_businesses_for_a_centreline_district(tmp_path, broken, shared_dir, monkeypatch, capsys):
    """--osm-businesses asks live OpenStreetMap for the working graph's box (west, south, east, north) and keeps
    what lies in it; here osmnx's answer is the Lyn-Lake export's features."""
    import osmnx as ox

    from patrol.sources.working import margin_box

    xml = shared_dir / "data" / "uptown" / "osm_lynlake_2018.osm"
    asked = []

    def fake_bbox(bbox, tags):
        asked.append(bbox)
        return ox.features_from_xml(xml, tags=tags)

    monkeypatch.setattr(ox, "features_from_bbox", fake_bbox)
    settings = tmp_path / "district.toml"
    settings.write_text(_settings_text(margin=2000.0), encoding="utf-8")
    out = tmp_path / "d"
    assert main(["district", "build", "--centerline", str(broken), "--settings", str(settings), "--out", str(out),
                 "--osm-businesses"]) == 0
    capsys.readouterr()
    d = load_district(out)
    south, north, west, east = margin_box(d.settings.area, 2000.0)
    assert asked == [(west, south, east, north)]
    assert d.businesses and all(south <= b.lat <= north and west <= b.lon <= east for b in d.businesses)
    assert "OpenStreetMap" in (out / "ATTRIBUTION.md").read_text()
