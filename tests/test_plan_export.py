"""Plan outputs open: GPX parses, GeoJSON loads in geopandas, sheets and map render; the CLI works."""

from __future__ import annotations

import json

import pytest

from patrol.cli import main
from patrol.plan_export import write_outputs
from patrol.routing.daily_plan import plan_day


@pytest.fixture(scope="module")
def outputs(uptown, tmp_path_factory):
    out = tmp_path_factory.mktemp("plan")
    plan = plan_day(uptown, "tue", date="2026-06-02", time_limit_s=0.5).to_dict()
    paths = write_outputs(plan, uptown, out / "tue", map_path=out / "maps" / "plan-tue.html")
    return plan, paths


def test_gpx_parses_with_times_and_waypoints(outputs):
    import gpxpy

    plan, paths = outputs
    assert len(paths["gpx"]) == len(plan["walkers"])
    g = gpxpy.parse(paths["gpx"][0].read_text())
    pts = g.tracks[0].segments[0].points
    assert len(pts) > 50 and all(p.time is not None for p in pts)
    assert all(a.time <= b.time for a, b in zip(pts, pts[1:], strict=False))
    assert any(w.type == "checkin" for gg in (gpxpy.parse(p.read_text()) for p in paths["gpx"]) for w in gg.waypoints)


def test_geojson_loads_in_geopandas(outputs):
    import geopandas as gpd

    plan, paths = outputs
    gdf = gpd.read_file(paths["geojson"])
    assert set(gdf["walker"]) == set(plan["walkers"])
    assert {"LineString", "Point"} <= set(gdf.geom_type)


def test_sheets_and_map_render(outputs):
    plan, paths = outputs
    html = paths["sheets"].read_text()
    for w in plan["walkers"]:
        assert w in html
    assert "Businesses to visit" in html
    page = paths["map"].read_text()
    assert "L.map" in page and "unpkg.com/leaflet" not in page


def test_plan_json_round_trips(outputs):
    plan, paths = outputs
    assert json.loads(paths["plan"].read_text())["timeline"] == json.loads(json.dumps(plan["timeline"]))


@pytest.mark.slow
def test_cli_plan_then_check(tmp_path, capsys):
    rc = main(["plan", "--day", "tue", "--out", str(tmp_path / "tue"), "--maps", str(tmp_path / "maps"),
               "--time-limit", "0.5", "--json"])
    assert rc == 0
    out = json.loads(capsys.readouterr().out)
    assert out["files"]["plan"].endswith("plan.json")
    rc = main(["plan", "check", str(tmp_path / "tue" / "plan.json"), "--json"])
    result = json.loads(capsys.readouterr().out)
    assert result["valid"] and rc == (0 if result["all_targets_met"] else 1)


def test_cli_check_needs_a_file(capsys):
    assert main(["plan", "check"]) == 2
    assert "give the plan" in capsys.readouterr().err
