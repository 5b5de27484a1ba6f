"""Scenarios with special events and cameras, against figures derived by hand.

* cameras counted as presence: every watched block is covered at every minute, so each coverage share is the
  plain one with the watched blocks' shares set to 1 (worked out from the plain run's per-block shares);
* cameras with ``lean = 1``: the post moves off the watched blocks, to where the unwatched demand within the post
  radius (networkx distances) is larger than at the plain post;
* an event: the unit sent is there for the whole window (presence share 1), its post block is left longer than
  the revisit window (its share drops), and the event's demand moves the demand-weighted coverage by the exact
  formula (c0 n + nw D) / (n + nw D) when the event's one block is covered throughout its window.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from patrol.coverage import day_timeline, run_scenario, scenario_district, scenario_from_dict
from patrol.coverage.events import with_events
from patrol.coverage.weights import block_weights
from patrol.errors import ConfigError
from patrol.paths import all_pairs

BASE = {"scenario": {"name": "two", "seeds": 1}, "roster": {"size": 2}, "strategy": {"kind": "posts"},
        "incidents": {"per_shift": 0.0}}


def _scn(extra: dict | None = None, name: str = "two", base_dir=None):
    data = {k: dict(v) for k, v in BASE.items()}
    data["scenario"]["name"] = name
    for k, v in (extra or {}).items():
        data[k] = v
    return scenario_from_dict(data, base_dir=base_dir)


def _run(scn):
    res = run_scenario(scn, seeds=1)
    return res.summary, res.seeds[0]


def test_cameras_counted_as_presence(tmp_path, uptown):
    plain, seed = _run(_scn())
    a = uptown.arrays
    area, corridor = np.asarray(a.edge_in_area, bool), np.asarray(a.edge_corridor, bool)
    share = seed.block_recent_share
    # watch the four corridor blocks the posts cover least (and one block outside the area, which counts for none)
    low = [int(b) for b in np.argsort(share + 2 * ~(corridor & area))[:4]]
    outside = int(np.flatnonzero(~area)[0])
    assert all(share[b] < 1 for b in low)
    (tmp_path / "cams.toml").write_text(f'[[camera]]\nid = "t"\nblocks = {[*low, outside]}\n')
    cam, _ = _run(_scn({"cameras": {"file": "cams.toml", "watched": True}}, "cams", base_dir=tmp_path))
    expected = share.copy()
    expected[[*low, outside]] = 1.0
    assert cam["area_recent_share"] == pytest.approx(expected[area].mean(), abs=1e-12)
    assert cam["corridor_recent_share"] == pytest.approx(expected[corridor].mean(), abs=1e-12)
    assert cam["area_recent_share"] > plain["area_recent_share"]
    assert cam["corridor_recent_share"] > plain["corridor_recent_share"]
    assert cam["demand_weighted_coverage"] >= plain["demand_weighted_coverage"]
    # cameras are not people: hours of visible presence and the walk to incidents do not change
    assert cam["visible_hours"] == pytest.approx(plain["visible_hours"])
    assert cam["reach_5min"] == pytest.approx(plain["reach_5min"])
    assert cam["camera_watched_blocks"] == 5 and cam["cameras_count_as_presence"] is True
    # the option off: the same figures as without cameras
    off, _ = _run(_scn({"cameras": {"file": "cams.toml"}}, "cams-off", base_dir=tmp_path))
    assert off["area_recent_share"] == pytest.approx(plain["area_recent_share"])


def test_lean_moves_the_post_away_from_watched_blocks(tmp_path, uptown):
    one = {"roster": {"size": 1}, "strategy": {"kind": "posts", "posts": 1, "post_radius_min": 2.0}}
    plain = _scn(one, "one")
    district = scenario_district(plain)
    a = district.arrays
    weights = np.asarray(block_weights(district), float)
    post_block = day_timeline(plain, 0).legs[plain.settings().roster.ambassador_names()[0]][-1].block
    radius = 1.4 * 60 * 2.0
    # demand blocks whose midpoint is within the radius of a node, by networkx
    G = nx.Graph()
    for e in range(a.n_edges):
        G.add_edge(int(a.edge_u[e]), int(a.edge_v[e]), weight=float(a.edge_length[e]))

    def covered(node: int) -> set[int]:
        d = nx.single_source_dijkstra_path_length(G, node, weight="weight")
        return {e for e in range(a.n_edges) if weights[e] > 0 and min(d.get(int(a.edge_u[e]), np.inf),
                d.get(int(a.edge_v[e]), np.inf)) + a.edge_length[e] / 2 <= radius + 1e-9}

    nodes = [int(a.edge_u[post_block]), int(a.edge_v[post_block])]
    p = max(nodes, key=lambda n: sum(weights[list(covered(n))]))
    watched = sorted(covered(p) | {post_block})
    (tmp_path / "cams.toml").write_text(f'[[camera]]\nid = "near-the-post"\nblocks = {watched}\n')
    lean = _scn({**one, "cameras": {"file": "cams.toml", "lean": 1.0}}, "lean", base_dir=tmp_path)
    new_block = day_timeline(lean, 0).legs[lean.settings().roster.ambassador_names()[0]][-1].block
    new_nodes = [int(a.edge_u[new_block]), int(a.edge_v[new_block])]
    unwatched = np.asarray(weights).copy()
    unwatched[watched] = 0.0
    at_plain = sum(unwatched[list(covered(p))])
    at_new = max(sum(unwatched[list(covered(n))]) for n in new_nodes)
    assert at_plain == 0.0 and at_new > 0.0  # the plain post's neighbourhood is all watched; the new one is not
    assert new_block not in watched


def test_an_event_costs_coverage_and_gets_its_presence(tmp_path, uptown):
    plain = _scn()
    district = scenario_district(plain)
    a = district.arrays
    timeline = day_timeline(plain, 0)
    names = list(timeline.legs)
    posts = {w: timeline.legs[w][-1].block for w in names}
    # the event on one block of the area as far as can be from both posts: 15:00-16:00
    sp = all_pairs(a)
    far = max((int(e) for e in np.flatnonzero(a.edge_in_area) if e not in posts.values()),
              key=lambda e: (min(sp.dist[a.edge_u[e], a.edge_u[p]] for p in posts.values()), -e))
    lat, lon = district.geocoder.point_on_block(far, float(a.edge_length[far]) / 2)
    event = {"name": "fair", "place": f"{lat},{lon}", "start": "15:00", "end": "16:00", "ambassadors": 1,
             "presence": "dwell"}
    resolved = [e.resolve(district) for e in _scn({"events": [event]}, "x").events]
    assert resolved[0].resolved == (far,)
    with_ev, seed = _run(_scn({"events": [{**event, "demand": 0.0}]}, "fair"))
    assert with_ev["event_presence_share"] == 1.0
    _, sent = with_events(timeline, district, resolved, sp, shift=(600.0, 1080.0))
    who = sent["fair"][0]
    _, plain_seed = _run(plain)
    assert seed.block_recent_share[posts[who]] < plain_seed.block_recent_share[posts[who]]
    assert seed.block_recent_share[far] > plain_seed.block_recent_share[far]
    # the event's demand: (c0 n + nw D) / (n + nw D), n = 480 one-minute steps, nw = 60 in the window
    c0 = with_ev["demand_weighted_coverage"]
    for demand in (0.5, 2.0):
        got, _ = _run(_scn({"events": [{**event, "demand": demand}]}, f"fair-{demand}"))
        assert got["demand_weighted_coverage"] == pytest.approx((c0 * 480 + 60 * demand) / (480 + 60 * demand),
                                                                abs=1e-12)
        assert got["visible_hours"] == pytest.approx(with_ev["visible_hours"])


def test_event_and_camera_tables_are_checked(tmp_path):
    bad = {
        "events[1].place": {"events": [{"name": "x", "start": "12:00", "end": "13:00"}]},
        "events[1].end": {"events": [{"name": "x", "place": "Lake & Hennepin", "start": "12:00", "end": "11:00"}]},
        "events[1].colour": {"events": [{"name": "x", "place": "Lake & Hennepin", "start": "12:00", "end": "13:00",
                                          "colour": "red"}]},
        "events[1].ambassadors": {"events": [{"name": "x", "place": "Lake & Hennepin", "start": "12:00",
                                              "end": "13:00", "ambassadors": 9}]},
        "cameras.lean": {"cameras": {"lean": 2}},
        "cameras.file": {"cameras": {"file": "missing.toml"}},
    }
    for field, extra in bad.items():
        with pytest.raises(ConfigError) as exc:
            _scn(extra, base_dir=tmp_path)
        assert exc.value.field == field, (field, exc.value.field)
    nowhere = _scn({"events": [{"name": "x", "place": "Nowhere St & Nothing Ave", "start": "12:00",
                                "end": "13:00"}]}, "nowhere")
    with pytest.raises(ConfigError, match="event 'x'"):
        run_scenario(nowhere, seeds=1)
