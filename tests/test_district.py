import json
import re
import shutil
import subprocess
import sys

import networkx as nx
import numpy as np
import pytest

from patrol.businesses import read_businesses
from patrol.district import District, default_district_path, load_district
from patrol.errors import ConfigError, DistrictError, GraphValidationError
from patrol.graph import validate_graph


def test_embedded_uptown_figures(uptown):
    info = uptown.info()
    assert (info["nodes"], info["street_blocks"], info["total_km"]) == (163, 266, 34.4)
    assert (info["area_blocks"], info["area_km"]) == (167, 20.3)
    assert (info["corridor_blocks"], info["corridor_km"]) == (34, 4.0)
    assert info["businesses_in_area"] == 201
    assert info["base"]["node"] == 92 and "Lagoon" in info["base"]["at"]


#: What title-casing the City's all-capitals inspection records wrote: "Jersey Mike'S", "Mcdonald'S", an
#: article moved to the end ("Beat Coffeehouse The"), an acronym in lower case ("Vfw").
TITLE_CASE_ARTIFACTS = re.compile(r"[a-z]'S\b|\bMc[a-z]|\sThe$|\bVfw\b")


def test_business_names_are_spelled_as_the_businesses_spell_them():
    """Names are shown to the lead, the dispatcher and the ambassadors (sheets, console, phone)."""
    assert all(TITLE_CASE_ARTIFACTS.search(n) for n in
               ["Jersey Mike'S", "Mcdonald'S", "Beat Coffeehouse The", "James Ballentine Vfw Post 246"])
    assert not any(TITLE_CASE_ARTIFACTS.search(n) for n in
                   ["Jersey Mike's", "McDonald's", "The Beat Coffeehouse", "It's Greek To Me", "Theatre"])
    names = [b.name for b in read_businesses(default_district_path() / "businesses.csv")]
    assert len(names) == 211
    assert [n for n in names if TITLE_CASE_ARTIFACTS.search(n)] == []


def test_area_and_corridor_flags_follow_the_rules(uptown):
    area = uptown.settings.area
    for u, v, d in uptown.graph.edges(data=True):
        both = all(area.contains(uptown.graph.nodes[n]["lat"], uptown.graph.nodes[n]["lon"]) for n in (u, v))
        assert d["in_area"] == both
        if d["corridor"]:
            assert d["in_area"] and d["name"] in uptown.settings.corridor.streets
    assert validate_graph(uptown.graph) == []


def test_walking_ignores_one_way_and_keeps_every_block(uptown):
    assert not uptown.graph.is_directed()
    assert sorted(d["block"] for _, _, d in uptown.graph.edges(data=True)) == list(range(266))
    assert all(d["length"] > 0 for _, _, d in uptown.graph.edges(data=True))
    assert {d["kind"] for _, _, d in uptown.graph.edges(data=True)} == {"street", "parkway", "trail"}


def test_default_load_never_touches_osmnx_or_the_network():
    """The embedded default is built from the compiled facts alone (fresh interpreter, sockets disabled)."""
    code = (
        "import socket, sys\n"
        "def refuse(*a, **k): raise RuntimeError('network used')\n"
        "socket.socket.connect = refuse\n"
        "from patrol.district import load_district\n"
        "info = load_district().info()\n"
        "assert info['street_blocks'] == 266, info\n"
        "print('osmnx' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_district_folder_errors(tmp_path, uptown):
    with pytest.raises(DistrictError, match=r"no district\.toml"):
        load_district(tmp_path)
    folder = tmp_path / "d"
    shutil.copytree(uptown.folder, folder)
    (folder / "street_segments.csv").write_text("from_node,to_node,street,length_m\n1,2,A St,abc\n")
    with pytest.raises(DistrictError, match="line 2"):
        load_district(folder)
    (folder / "street_segments.csv").unlink()
    with pytest.raises(DistrictError, match="not found"):
        load_district(folder)


def test_disconnected_facts_fail_validation(tmp_path, uptown):
    folder = tmp_path / "d"
    shutil.copytree(uptown.folder, folder)
    with open(folder / "intersections.csv", "a") as fh:
        fh.write("999,44.95,-93.29,Nowhere\n")
    with pytest.raises(GraphValidationError, match="not connected"):
        load_district(folder)


def test_base_not_in_district_is_a_config_error(uptown):
    s = uptown.settings.replace(base={"name": "b", "at": "Lake & Nicollet"})
    d = District(s, uptown.graph.copy(), uptown.businesses)
    with pytest.raises(ConfigError, match=r"base\.at"):
        _ = d.base_node


def test_works_from_an_installed_copy_of_the_data(tmp_path, uptown, monkeypatch):
    # the wheel ships data/uptown as patrol/_data/uptown; the loader must find it there too
    import patrol.district as mod

    fake_pkg = tmp_path / "site" / "patrol"
    shutil.copytree(uptown.folder, fake_pkg / "_data" / "uptown")
    monkeypatch.setattr(mod, "__file__", str(fake_pkg / "district.py"))
    monkeypatch.setattr(mod.resources, "files", lambda _name: fake_pkg)
    assert mod.default_district_path() == fake_pkg / "_data" / "uptown"
    assert load_district(mod.default_district_path()).info()["street_blocks"] == 266


def test_csr_arrays_match_networkx_shortest_paths(uptown):
    from scipy.sparse.csgraph import dijkstra

    a = uptown.arrays
    assert a.indptr[-1] == 2 * a.n_edges and a.indices.size == 2 * a.n_edges
    for i in range(a.n_nodes):
        for j in range(a.indptr[i], a.indptr[i + 1]):
            e = a.csr_edge[j]
            assert {a.edge_u[e], a.edge_v[e]} == {i, a.indices[j]} and a.weights[j] == a.edge_length[e]
    dist = dijkstra(a.scipy_csr(), indices=[uptown.base_index, 0, 100])
    for row, src in zip(dist, [uptown.base_index, 0, 100], strict=True):
        ref = nx.single_source_dijkstra_path_length(uptown.graph, int(a.node_ids[src]), weight="length")
        expected = np.array([ref[int(n)] for n in a.node_ids])
        np.testing.assert_allclose(row, expected, rtol=1e-12)


def test_info_is_json_serializable(uptown):
    json.dumps(uptown.info())
