import networkx as nx
import numpy as np
import pytest
from shapely.geometry import LineString

from patrol.errors import GraphValidationError
from patrol.graph import RawBlock, normalize_graph, utm_crs, validate_graph


def _small():
    nodes = {1: (-93.30, 44.95), 2: (-93.299, 44.95), 3: (-93.299, 44.951)}
    blocks = [RawBlock(1, 2, "A St", 79.0), RawBlock(2, 3, "B Ave", 111.0), RawBlock(3, 1, "C Path", 140.0, "trail")]
    return normalize_graph(nodes, blocks, name="t", source="test")


def test_normalized_graph_passes_and_projects_to_utm():
    G = _small()
    assert validate_graph(G) == []
    assert G.graph["crs"] == "EPSG:32615"
    assert utm_crs(2.35, 48.85).to_epsg() == 32631 and utm_crs(151.2, -33.9).to_epsg() == 32756
    x1, x2 = G.nodes[1]["x"], G.nodes[2]["x"]
    assert 75 < x2 - x1 < 82  # 0.001 degree of longitude at 44.95 N is about 78.8 m


@pytest.mark.parametrize(
    ("breakage", "message"),
    [
        (lambda G: G[1][2][0].update(length=0.0), "length must be > 0"),
        (lambda G: G[1][2][0].update(length=float("nan")), "length must be > 0"),
        (lambda G: G[2][3][0].update(name=" "), "street name missing"),
        (lambda G: G[2][3][0].update(kind="highway"), "kind"),
        (lambda G: G.nodes[1].update(lat=123.0), "implausible coordinates"),
        (lambda G: G.nodes[1].update(x=float("inf")), "projected x/y"),
        (lambda G: G.add_node(9, lon=-93.3, lat=44.9, x=0.0, y=0.0), "not connected"),
        (lambda G: G[1][2][0].update(block=7), "contiguous"),
        (lambda G: G[1][2][0].update(geometry=None), "geometry missing"),
        (lambda G: G.graph.pop("crs"), "crs"),
    ],
)
def test_validator_rejects_broken_graphs(breakage, message):
    G = _small()
    breakage(G)
    with pytest.raises(GraphValidationError) as info:
        validate_graph(G)
    assert any(message in p for p in info.value.problems)
    assert validate_graph(G, raise_on_error=False)


def test_validator_rejects_directed_or_empty_graphs():
    assert validate_graph(nx.MultiDiGraph(crs="x"), raise_on_error=False)
    with pytest.raises(GraphValidationError, match="no nodes"):
        normalize_graph({}, [], name="e", source="t")


def test_unknown_node_in_a_block_is_refused():
    with pytest.raises(GraphValidationError, match="unknown node"):
        normalize_graph({1: (-93.3, 44.95)}, [RawBlock(1, 5, "X", 10.0)], name="t", source="t")


def test_geometry_runs_from_u_to_v():
    G = _small()
    for _, _, d in G.edges(data=True):
        assert isinstance(d["geometry"], LineString)
        start = d["geometry"].coords[0]
        assert np.allclose(start, (G.nodes[d["u"]]["lon"], G.nodes[d["u"]]["lat"]))
