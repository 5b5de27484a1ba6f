"""The whole City of Minneapolis street centreline (../shared, skipped when absent): build, geocode, dispatch, demand.

One build of the whole city as a district is shared by every test here (about 10 s on a loaded 2-core machine).
"""

from __future__ import annotations

import json
import re
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from patrol.cli import main
from patrol.district import District, default_district_path, load_district

pytestmark = [pytest.mark.shared, pytest.mark.slow]

CITY_BOX = {"south": 44.88, "north": 45.06, "west": -93.34, "east": -93.19}


def _settings(text: str, box: dict[str, float] | None, base: str) -> str:
    lines = []
    for line in text.splitlines():
        key = line.split("=")[0].strip()
        if box and key in box and line.startswith(key):
            line = f"{key} = {box[key]}"
        lines.append(line)
    return "\n".join(lines).replace('at = "Hennepin Ave S & W Lagoon Ave"', f'at = "{base}"')


@pytest.fixture(scope="module")
def centreline(shared_dir) -> Path:
    path = shared_dir / "data" / "minneapolis" / "street_centerline_full_2018.geojson"
    if not path.is_file():
        pytest.skip("the full Minneapolis centreline is not in ../shared")
    return path


@pytest.fixture(scope="module")
def city(centreline, tmp_path_factory) -> District:
    """The whole city as one district (area = the city's box), built through the command line."""
    tmp = tmp_path_factory.mktemp("city")
    settings = tmp / "city.toml"
    settings.write_text(_settings((default_district_path() / "district.toml").read_text(), CITY_BOX,
                                  "Hennepin & Lake"), encoding="utf-8")
    assert main(["district", "build", "--centerline", str(centreline), "--settings", str(settings),
                 "--out", str(tmp / "city")]) == 0
    return load_district(tmp / "city")


def test_every_feature_is_kept_or_counted(city, centreline):
    """Conservation: the file's features = the blocks kept (a split loop counts once) + every counted omission."""
    r = city.build_report
    features = len(json.loads(centreline.read_text())["features"])
    assert r.features == features
    left_out = (r.no_geometry + r.null_features + r.unnamed + sum(r.not_walkable.values()) + r.too_short
                + r.duplicates + r.reversed_duplicates + r.self_loops_dropped + r.islands.blocks
                + r.working.outside_blocks + r.working.cut_off_blocks)
    assert city.arrays.n_edges - r.self_loops_split + left_out == features + r.multi_parts - r.multi_lines
    names = {str(n) for n in city.arrays.edge_name}
    ramp = re.compile(r"\b(I ?\d+W?|HOV|INTERSTATE)\b| TO ", re.IGNORECASE)
    assert not [n for n in names if ramp.search(n) and "grnwy" not in n.lower() and "greenway" not in n.lower()
                and "grwy" not in n.lower()]
    assert r.not_walkable["ramp"] > 200 and r.not_walkable["freeway"] > 100 and r.not_walkable["hov lane"] > 0
    assert r.duplicates + r.reversed_duplicates >= 4 and r.islands.components >= 1
    assert city.arrays.n_edges > 12_000 and city.info()["total_km"] > 1700


def test_uptown_working_graph_matches_the_embedded_district(centreline, tmp_path, uptown):
    """Built from the whole city, the Uptown district keeps only its area plus the margin, and its area holds the
    streets of the compiled Uptown facts (an independent source)."""
    settings = tmp_path / "up.toml"
    settings.write_text(_settings((default_district_path() / "district.toml").read_text(), None,
                                  "Hennepin & Lagoon"), encoding="utf-8")
    assert main(["district", "build", "--centerline", str(centreline), "--settings", str(settings),
                 "--out", str(tmp_path / "up"), "--json"]) == 0
    d = load_district(tmp_path / "up")
    w = d.build_report.working
    assert w.blocks < 0.1 * w.source_blocks and w.area_blocks_cut_off == 0
    assert d.info()["area_km"] == pytest.approx(uptown.info()["area_km"], rel=0.05)
    assert d.info()["corridor_km"] == pytest.approx(uptown.info()["corridor_km"], abs=0.3)


def test_4th_and_hennepin_lists_both_nearest_to_the_hint_first(city, capsys):
    downtown = (44.9779, -93.2650)  # City Hall
    northeast = (44.9892, -93.2540)  # Central & University
    a = city.geocode("4th & Hennepin", near=downtown)
    b = city.geocode("4th & Hennepin", near=northeast)
    assert len(a.matches) == len(b.matches) == 2 and a.ambiguous
    assert a.node != b.node and {a.node, b.node} == {m.node for m in a.matches}
    for loc, hint in ((a, downtown), (b, northeast)):  # the chosen one is the nearer to the hint
        gaps = [np.hypot(m.lat - hint[0], (m.lon - hint[1]) * 0.707) for m in loc.matches]
        assert gaps == sorted(gaps) and loc.matches[0].node == loc.node
    assert main(["geocode", "4th & Hennepin", "--district", str(city.folder), "--near", "Central & University",
                 "--json"]) == 0
    body = json.loads(capsys.readouterr().out)
    assert body["ambiguous"] and body["node"] == b.node and len(body["matches"]) == 2


def test_ranking_on_the_city_graph_equals_scipy(city):
    from scipy.sparse.csgraph import dijkstra

    from patrol.dispatch import Network, Unit, rank_units
    from patrol.dispatch.positions import Position

    a = city.arrays
    net = Network.from_district(city)
    rng = np.random.default_rng(18)
    entries = []
    for i in range(30):
        b = int(rng.integers(a.n_edges))
        o = float(rng.uniform(0, a.edge_length[b]))
        lon, lat = net.point_on_block(b, o)
        unit = Unit(f"a{i:02d}", (f"a{i:02d}",))
        entries.append((unit, "on shift", "shift", Position(b, o, lat, lon, "ping", False)))
    csr = a.scipy_csr()
    for b in rng.integers(a.n_edges, size=5):
        b = int(b)
        o = float(rng.uniform(0, a.edge_length[b]))
        d = dijkstra(csr, directed=False, indices=[int(a.edge_u[b]), int(a.edge_v[b])])
        to_node = np.minimum(d[0] + o, d[1] + a.edge_length[b] - o)
        ranked = rank_units(net, b, o, entries, speed_m_s=1.4)
        for c in ranked:
            p = c.position
            want = min(to_node[a.edge_u[p.block]] + p.offset_m, to_node[a.edge_v[p.block]] + a.edge_length[p.block]
                       - p.offset_m, abs(p.offset_m - o) if p.block == b else np.inf)
            assert c.distance_m == pytest.approx(want, rel=1e-9)
        assert [c.distance_m for c in ranked] == sorted(c.distance_m for c in ranked)
        top = ranked[0].route
        assert top is not None and top.distance_m == pytest.approx(ranked[0].distance_m)


def test_city_demand_memory_is_proportional_to_the_area(city):
    """Uniform demand over the whole city (12,700 source blocks): the dense block x block sum needed 5 GB; the
    bounded one stays within tens of MB."""
    from patrol.demand import block_demand

    tracemalloc.start()
    w = block_demand(city)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 200 * 2**20
    assert w.sum() == pytest.approx(1.0) and (w > 0).sum() > 0.9 * city.arrays.n_edges
