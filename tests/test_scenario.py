"""Scenario files: validation with clear errors, runs, the shipped examples, the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from patrol.cli import main
from patrol.coverage.scenario import load_scenario, run_scenario, scenario_from_dict
from patrol.errors import ConfigError

SCENARIOS = Path(__file__).resolve().parents[1] / "data" / "scenarios"


def _write(tmp_path: Path, text: str, name: str = "s.toml") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_defaults_come_from_the_district():
    scn = scenario_from_dict({})
    st = scn.settings()
    assert st.roster.size == 8 and st.shift.start == "10:00"
    assert scn.strategy.name == "planned" and scn.strategy.day == "tue"
    assert scn.window_min == st.targets.corridor_revisit_min
    assert scn.incidents.per_shift == pytest.approx(1.6)


def test_replace_settings_validates():
    scn = scenario_from_dict({"roster": {"size": 6}})
    assert scn.replace_settings(shift={"start": "12:00", "end": "20:00"}).settings().shift.start == "12:00"
    assert scn.replace_settings(roster={"pairs": True}).settings().roster.size == 6
    with pytest.raises(ConfigError):
        scn.replace_settings(roster={"size": -1})


def test_overrides_and_own_tables(tmp_path):
    p = _write(tmp_path, """
[scenario]
name = "x"
seeds = 3
visibility_m = 0
[roster]
size = 10
pairs = true
[shift]
start = "12:00"
end = "20:00"
[strategy]
kind = "posts"
posts = 3
[incidents]
per_shift = 4
busy_min = { "disturbance" = 60 }
""")
    scn = load_scenario(p)
    st = scn.settings()
    assert (st.roster.size, st.roster.pairs, st.shift.start_min) == (10, True, 720)
    assert scn.strategy.posts == 3 and scn.incidents.busy_min["disturbance"] == 60
    assert scn.incidents.busy_min["sleeping"] == 20  # other types keep their defaults


@pytest.mark.parametrize(("text", "key", "words"), [
    ("[roster]\nsize = 0\n", "roster.size", "at least 1"),
    ("[roster]\nsizes = 6\n", "roster.sizes", "unknown key"),
    ("[rooster]\nsize = 6\n", "rooster", "unknown table"),
    ("[shift]\nstart = \"25:00\"\n", "shift.start", "HH:MM"),
    ("[roster]\nsize = \"six\"\n", "roster.size", "must be a int"),
    ("[scenario]\nseeds = 0\n", "scenario.seeds", "out of range"),
    ("[scenario]\nvisibility = 30\n", "scenario.visibility", "unknown key"),
    ("[scenario]\nday = \"funday\"\n", "scenario.day", "not one of"),
    ("[strategy]\nkind = \"teleport\"\n", "strategy.kind", "not one of"),
    ("[strategy]\nposts = 20\n", "strategy.posts", "out of range"),
    ("[incidents]\nper_shift = -1\n", "incidents.per_shift", "out of range"),
    ("[incidents]\nper_shift = true\n", "incidents.per_shift", "must be a number"),
    ("[incidents]\nhourly_profile = [1, 2]\n", "incidents.hourly_profile", "24"),
    ("[incidents]\nbusy_min = { \"jaywalking\" = 5 }\n", "incidents.busy_min.jaywalking", "not a dispatchable"),
    ("[incidents]\nbusy_min = { \"neighborhood support\" = 5 }\n", "incidents.busy_min.neighborhood support",
     "not a dispatchable"),
    ("[incidents]\nhistory = \"nope.csv\"\n", "incidents.history", "not found"),
    ("[scenario]\ndistrict = \"nowhere\"\n", "scenario.district", "no district.toml"),
    ("[speeds]\nresponse_m_s = 9\n", "speeds.response_m_s", "walking speed"),
])
def test_bad_files_name_the_key_and_the_problem(tmp_path, text, key, words):
    p = _write(tmp_path, text)
    with pytest.raises(ConfigError) as err:
        load_scenario(p)
    assert err.value.field == key
    assert words in err.value.message
    assert str(p) in err.value.message
    assert err.value.to_dict()["error"]["field"] == key


def test_not_toml_and_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_scenario(_write(tmp_path, "[roster\nsize = 3"))
    with pytest.raises(ConfigError, match="not found"):
        load_scenario(tmp_path / "missing.toml")


def test_every_shipped_scenario_loads():
    files = sorted(SCENARIOS.glob("uptown-*.toml"))
    assert len(files) >= 9
    names = [load_scenario(f).name for f in files]
    assert len(set(names)) == len(names)


def test_run_is_reproducible_and_seeds_differ():
    scn = scenario_from_dict({"roster": {"size": 4}, "strategy": {"kind": "random_walk"},
                              "incidents": {"per_shift": 6}})
    a = run_scenario(scn, 3)
    b = run_scenario(scn, 3)
    assert json.dumps(a.to_dict()) == json.dumps(b.to_dict())
    r0, r1 = a.seeds[0], a.seeds[1]
    assert not np.array_equal(r0.coverage_by_step, r1.coverage_by_step)
    s = a.summary
    assert s["incidents"] > 0 and s["seeds"] == 3
    assert 0 <= s["corridor_recent_share"] <= 1 and s["response_mean_min"] > 0
    assert s["response_mean_min_ci"][0] <= s["response_mean_min"] <= s["response_mean_min_ci"][1]
    assert s["visible_hours"] == pytest.approx(4 * 7.0)  # 8 h shift minus 1 h of breaks
    assert set(s["per_unit"]) == {"lead", "amb2", "amb3", "amb4"}


def test_more_ambassadors_shorter_response_and_more_presence():
    """The shipped 6 / 8 / 10 scenarios move the way common sense expects."""
    res = [run_scenario(load_scenario(SCENARIOS / f"uptown-{n}.toml"), 30) for n in (6, 8, 10)]
    s6, s8, s10 = (r.summary for r in res)
    assert s6["visible_hours"] < s8["visible_hours"] < s10["visible_hours"]
    assert s6["field_mean_min"] > s8["field_mean_min"] > s10["field_mean_min"]
    assert s6["reach_5min"] < s8["reach_5min"] < s10["reach_5min"]
    assert s6["response_mean_min"] > s8["response_mean_min"] > s10["response_mean_min"]
    assert s6["corridor_gap_max_min"] > s10["corridor_gap_max_min"]
    assert s6["corridor_recent_share"] < s10["corridor_recent_share"]


def test_cli_compare_writes_table_plots_and_maps(tmp_path, capsys):
    out = tmp_path / "cmp"
    files = [str(SCENARIOS / f"uptown-{n}.toml") for n in (6, 8, 10)]
    assert main(["scenario", "compare", *files, "--out", str(out), "--seeds", "3", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [r["scenario"] for r in data["results"]] == ["uptown-6", "uptown-8", "uptown-10"]
    for name in ("comparison.csv", "comparison.md", "coverage_over_day.png", "revisit_gaps.png",
                 "response_cdf.png"):
        assert (out / name).stat().st_size > 0
    assert (out / "comparison.png").exists() is False
    for n in (6, 8, 10):
        html = (out / "maps" / f"uptown-{n}-response.html").read_text(encoding="utf-8")
        assert "L.map" in html and "cdn.jsdelivr" not in html  # offline: Leaflet inlined
    md = (out / "comparison.md").read_text(encoding="utf-8")
    assert "response mean (min)" in md and "uptown-10" in md
    assert len((out / "comparison.csv").read_text(encoding="utf-8").splitlines()) == 4


def test_cli_run_text_and_errors(tmp_path, capsys):
    assert main(["scenario", "run", str(SCENARIOS / "uptown-8-posts.toml"), "--seeds", "2"]) == 0
    out = capsys.readouterr().out
    assert "uptown-8-posts" in out and "response mean" in out
    bad = _write(tmp_path, "[roster]\nsize = 0\n")
    assert main(["scenario", "run", str(bad)]) == 2
    assert "roster.size" in capsys.readouterr().err
    assert main(["scenario", "run", str(bad), "--json"]) == 2
    body = json.loads(capsys.readouterr().out)
    assert body["error"]["field"] == "roster.size"


def test_planned_strategy_uses_the_daily_plan():
    scn = load_scenario(SCENARIOS / "uptown-8-planned.toml")
    r = run_scenario(scn, 2)
    assert r.summary["visible_hours"] > 0
    assert r.summary["corridor_recent_share"] > 0.5


def test_field_without_all_pairs_gives_the_same_scores(monkeypatch):
    """Above APSP_MAX_NODES the response field is searched per step instead of read from all-pairs distances
    (memory nodes, not nodes x nodes): the scores agree with the all-pairs run."""
    from patrol.coverage import scenario as sc

    scn = scenario_from_dict({"scenario": {"seeds": 2, "step_min": 5.0}, "strategy": {"kind": "posts"},
                              "incidents": {"per_shift": 8.0}})
    sc._CACHE.clear()
    dense = run_scenario(scn, 2)
    assert sc._context(scn).node_dist is not None
    monkeypatch.setattr(sc, "APSP_MAX_NODES", 0)
    sc._CACHE.clear()
    searched = run_scenario(scn, 2)
    assert sc._context(scn).node_dist is None
    sc._CACHE.clear()
    for a, b in zip(dense.seeds, searched.seeds, strict=True):
        np.testing.assert_allclose(a.block_response_min, b.block_response_min, rtol=1e-6)
        np.testing.assert_allclose(a.incident_response_min, b.incident_response_min, rtol=1e-9)
        assert a.scalars == pytest.approx(b.scalars, rel=1e-6)
