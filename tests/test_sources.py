"""Every builder's output passes the validator; the same settings apply whatever the source."""

import numpy as np
import pytest

from patrol.district import District, load_district
from patrol.errors import DistrictError
from patrol.graph import validate_graph
from patrol.sources import graph_from_centerline, graph_from_osm_xml, write_facts
from patrol.sources import osm as osm_mod

pytestmark = pytest.mark.shared


def test_facts_round_trip_through_the_writer(tmp_path, uptown):
    write_facts(uptown.graph, tmp_path)
    (tmp_path / "district.toml").write_text((uptown.folder / "district.toml").read_text())
    again = load_district(tmp_path)
    assert again.info()["street_blocks"] == 266
    np.testing.assert_allclose(np.sort(again.arrays.edge_length), np.sort(uptown.arrays.edge_length), atol=0.05)


@pytest.mark.parametrize(("name", "corner"), [("osm_calhoun_square_2018.osm", "Lake & Hennepin"),
                                              ("osm_lynlake_2018.osm", "Lake & Lyndale")])
def test_osm_xml_builder(shared_dir, uptown, name, corner):
    G, businesses = graph_from_osm_xml(shared_dir / "data" / "uptown" / name, name="x")
    assert validate_graph(G) == []
    assert G.graph["crs"] == "EPSG:32615"
    assert not G.is_directed()
    settings = uptown.settings.replace(base={"name": "base", "at": corner})
    d = District(settings, G, businesses)
    info = d.info()
    assert info["corridor_blocks"] > 0 and info["area_blocks"] > info["corridor_blocks"]
    assert len(businesses) > 20 and all(":" in b.category for b in businesses)
    keys = {b.category.split(":")[0] for b in businesses}
    assert keys <= set(osm_mod.BUSINESS_KEYS) and {"shop", "amenity"} <= keys
    loc = d.geocode(corner)
    assert loc.kind == "intersection"
    assert abs(loc.lat - uptown.geocode(corner).lat) < 0.0002  # same corner as the compiled facts
    assert {d_["kind"] for _, _, d_ in G.edges(data=True)} <= {"street", "parkway", "trail"}


def test_centerline_builder_matches_the_facts_in_the_area(shared_dir, uptown):
    G = graph_from_centerline(shared_dir / "data" / "uptown" / "street_centerline_2018_clip.geojson")
    assert validate_graph(G) == []
    d = District(uptown.settings, G, uptown.businesses)
    info = d.info()
    assert info["corridor_km"] == pytest.approx(uptown.info()["corridor_km"], abs=0.2)
    assert info["area_km"] == pytest.approx(uptown.info()["area_km"], rel=0.05)
    assert not any("35W" in d_["name"] for _, _, d_ in G.edges(data=True))
    assert d.geocode("Lake & Hennepin").lat == pytest.approx(44.94836, abs=5e-5)


def test_bad_source_files(tmp_path):
    with pytest.raises(DistrictError, match="not found"):
        graph_from_osm_xml(tmp_path / "none.osm")
    bad = tmp_path / "bad.osm"
    bad.write_text("this is not xml")
    with pytest.raises(DistrictError, match="OpenStreetMap XML"):
        graph_from_osm_xml(bad)
    bad_geojson = tmp_path / "bad.geojson"
    bad_geojson.write_text('{"type": "Feature"}')
    with pytest.raises(DistrictError, match="FeatureCollection"):
        graph_from_centerline(bad_geojson)
    empty = tmp_path / "empty.geojson"
    empty.write_text('{"type": "FeatureCollection", "features": []}')
    with pytest.raises(DistrictError, match="no walkable"):
        graph_from_centerline(empty)


def test_live_download_is_a_thin_wrapper_over_the_xml_path(shared_dir, monkeypatch):
    """The live path cannot reach OpenStreetMap here: feed osmnx's answers from the XML file instead."""
    import osmnx as ox

    xml = shared_dir / "data" / "uptown" / "osm_lynlake_2018.osm"
    calls = []

    def fake_graph(place, network_type, simplify):
        calls.append((place, network_type))
        return ox.graph_from_xml(xml, simplify=simplify)

    def fake_features(place, tags):
        return ox.features_from_xml(xml, tags=tags)

    monkeypatch.setattr(ox, "graph_from_place", fake_graph)
    monkeypatch.setattr(ox, "features_from_place", fake_features)
    G, businesses = osm_mod.download_osm("Lyn-Lake, Minneapolis", name="lynlake")
    assert calls == [("Lyn-Lake, Minneapolis", "walk")]
    assert validate_graph(G) == [] and businesses
    with pytest.raises(DistrictError, match="exactly one"):
        osm_mod.download_osm()
