"""Plan outputs open: GPX parses, GeoJSON loads in geopandas, sheets and map render; the CLI works."""

from __future__ import annotations

import json
import shutil

import pytest

from patrol.cli import main
from patrol.planning import plan_day, write_outputs


@pytest.fixture(scope="module")
def outputs(uptown, tmp_path_factory):
    out = tmp_path_factory.mktemp("plan")
    plan = plan_day(uptown, "tue", date="2026-06-02").to_dict()
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
        assert f"{w} — Tuesday 2 June 2026" in html  # one sheet per unit, headed by its name and the date
    assert "The team's day at a glance" in html
    page = paths["map"].read_text()
    assert "L.map" in page and "unpkg.com/leaflet" not in page


def test_plan_json_round_trips(outputs):
    plan, paths = outputs
    assert json.loads(paths["plan"].read_text())["timeline"] == json.loads(json.dumps(plan["timeline"]))


@pytest.mark.slow
def test_cli_plan_then_check_exit_zero_when_every_target_is_met(tmp_path, capsys):
    rc = main(["plan", "--day", "tue", "--seed", "0", "--out", str(tmp_path / "tue"), "--maps",
               str(tmp_path / "maps"), "--json"])
    out = json.loads(capsys.readouterr().out)
    assert rc == 0 and out["shortfalls"] == [] and out["files"]["plan"].endswith("plan.json")
    rc = main(["plan", "check", str(tmp_path / "tue" / "plan.json"), "--json"])
    result = json.loads(capsys.readouterr().out)
    # "ready to respond" is reported (the default Tuesday's worst minute is over 5 min) but not required by
    # default (targets.ready_required = false, the planner does not trade for it yet): every required target met
    failed = {t["target"] for t in result["targets"] if not t["met"]}
    assert rc == 0 and result["valid"] and result["all_targets_met"] and failed <= {"ready_p90_min"}


@pytest.mark.slow
def test_cli_plan_and_check_exit_one_when_a_target_is_missed(uptown, tmp_path, capsys):
    """Two ambassadors cannot walk 4 km of corridor every hour and check in with 201 businesses: the plan is
    written, and both `patrol plan` and `patrol plan check` exit 1 so scripts can tell."""
    folder = tmp_path / "two"
    shutil.copytree(uptown.folder, folder)
    toml = folder / "district.toml"
    toml.write_text(toml.read_text().replace("size = 8", "size = 2").replace("min_on_street = 6",
                                                                              "min_on_street = 1"))
    rc = main(["plan", "--district", str(folder), "--day", "tue", "--out", str(tmp_path / "out"), "--maps",
               str(tmp_path / "maps"), "--json"])
    out = json.loads(capsys.readouterr().out)
    assert rc == 1 and {s["target"] for s in out["shortfalls"]} >= {"corridor_revisit", "checkins"}
    assert (tmp_path / "out" / "plan.json").is_file()
    rc = main(["plan", "check", str(tmp_path / "out" / "plan.json"), "--json"])  # finds its district itself
    result = json.loads(capsys.readouterr().out)
    assert rc == 1 and result["valid"] and not result["all_targets_met"]
    # judged against the embedded Uptown (same streets, another roster), the roster is what differs
    rc = main(["plan", "check", str(tmp_path / "out" / "plan.json"), "--district", str(uptown.folder), "--json"])
    result = json.loads(capsys.readouterr().out)
    assert rc == 1 and any(d.startswith("roster.size: plan 2, district 8") for d in result["settings_differences"])


def test_cli_check_needs_a_file(capsys):
    assert main(["plan", "check"]) == 2
    assert "give the plan" in capsys.readouterr().err
