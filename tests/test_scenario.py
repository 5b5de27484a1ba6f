"""Scenario files: validation with clear errors, runs, the shipped examples, the CLI."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import numpy as np
import pytest

from patrol.cli import main
from patrol.coverage.compare import write_comparison
from patrol.coverage.scenario import ScenarioResult, load_scenario, run_scenario, scenario_from_dict
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


def test_cli_compare_writes_page_table_plots_and_maps(tmp_path, capsys):
    out = tmp_path / "cmp"
    files = [str(SCENARIOS / f"uptown-{n}.toml") for n in (6, 8, 10)]
    assert main(["scenario", "compare", *files, "--out", str(out), "--seeds", "3", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [r["scenario"] for r in data["results"]] == ["uptown-6", "uptown-8", "uptown-10"]
    for name in ("comparison.html", "comparison.csv", "coverage_over_day.png", "revisit_gaps.png",
                 "response_cdf.png", "cost_benefit.png"):
        assert (out / name).stat().st_size > 0
    assert not (out / "comparison.md").exists()  # the page replaced the Markdown table
    for n in (6, 8, 10):
        html = (out / "maps" / f"uptown-{n}-response.html").read_text(encoding="utf-8")
        assert "L.map" in html and "cdn.jsdelivr" not in html  # offline: Leaflet inlined
    for n in (8, 10):  # change maps against the first scenario; none for the first itself
        assert (out / "maps" / f"uptown-{n}-coverage-change.html").is_file()
    assert not (out / "maps" / "uptown-6-coverage-change.html").exists()
    page = (out / "comparison.html").read_text(encoding="utf-8")
    assert "95 % interval over 3 simulated days" in page and "ambassador-hours a day" in page
    with (out / "comparison.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["scenario"] for r in rows] == ["uptown-6", "uptown-8", "uptown-10"]
    # the cost, worked out by hand: 6 / 8 / 10 ambassadors x 8 hours (10:00-18:00)
    assert [r["ambassador-hours a day"] for r in rows] == ["48", "64", "80"]
    assert [r["hot spots visited for 10-15 min every 2 hours (%)"] for r in rows] == ["not applicable"] * 3


def test_cli_run_text_and_errors(tmp_path, capsys):
    assert main(["scenario", "run", str(SCENARIOS / "uptown-8-posts.toml"), "--seeds", "2"]) == 0
    out = capsys.readouterr().out
    assert "uptown-8-posts" in out and "response time, average (min)" in out and "ambassador-hours a day" in out
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


def _result(kind: str, **summary) -> ScenarioResult:
    scn = scenario_from_dict({"scenario": {"name": kind}, "strategy": {"kind": kind}})
    return ScenarioResult(scn, {"ambassadors": 6, "hours": "10:00-18:00", **summary}, [], 600.0, 1.0)


def test_figures_in_plain_numbers():
    """Shares as percentages with their interval, minutes with one decimal, hot-spot compliance not applicable
    where units never stop, the cost in ambassador-hours (values worked out by hand)."""
    from patrol.coverage.compare import MEASURES, ambassador_hours, figure

    m = {x.key: x for x in MEASURES}
    walk = _result("random_walk", corridor_recent_share=0.277, corridor_recent_share_ci=[0.2549, 0.3051],
                   hotspot_compliance=0.0, hotspot_compliance_ci=[0.0, 0.0], response_mean_min=2.06,
                   response_mean_min_ci=[1.99, 2.13], visible_hours=42.0, visible_hours_ci=[42.0, 42.0])
    assert figure(walk, m["corridor_recent_share"]) == ("28 %", "25-31 %")
    assert figure(walk, m["hotspot_compliance"]) == ("not applicable", "")
    assert figure(walk, m["response_mean_min"]) == ("2.1 min", "2.0-2.1 min")
    assert figure(walk, m["visible_hours"]) == ("42.0 h", "the same every day")
    assert figure(walk, m["reach_5min"]) == ("no figure", "")
    posts = _result("posts", hotspot_compliance=0.4, hotspot_compliance_ci=[0.4, 0.4])
    assert figure(posts, m["hotspot_compliance"]) == ("40 %", "the same every day")
    assert ambassador_hours(walk) == 48.0
    assert ambassador_hours(_result("posts", ambassadors=8, hours="12:00-20:00")) == 64.0


@pytest.fixture(scope="module")
def compared(tmp_path_factory):
    out = tmp_path_factory.mktemp("compare")
    results = [run_scenario(load_scenario(SCENARIOS / f"{n}.toml"), 3)
               for n in ("uptown-6", "uptown-8-posts", "uptown-10")]
    write_comparison(results, out)
    return out, results


@pytest.mark.slow
def test_comparison_page_screens(compared, browser, screens):
    """The planners' page, offline: the table with cost beside benefit, percentages and explained intervals,
    "not applicable" where it is, every plot and map shown; the zoomable change map with its colour scale."""
    from selenium.webdriver.common.by import By

    out, results = compared
    page = (out / "comparison.html").read_text(encoding="utf-8")
    assert not re.search(r'(src|href)="https?://', page)  # nothing fetched
    browser.get((out / "comparison.html").as_uri())
    browser.save_screenshot(str(screens / "comparison-page.png"))
    heads = [th.text for th in browser.find_elements(By.CSS_SELECTOR, "table.results thead th")]
    assert heads == ["measure", "uptown-6", "uptown-8-posts", "uptown-10"]
    rows = browser.execute_script(
        "return [...document.querySelectorAll('table.results tbody tr')].filter(r => r.cells.length > 1)"
        ".map(r => [...r.cells].map(c => c.innerText))")
    table = {r[0]: r[1:] for r in rows}
    assert [c.split()[0] for c in table["ambassador-hours a day (ambassadors x shift hours)"]] == ["48", "64", "80"]
    hot = table["hot spots visited for 10-15 min every 2 hours (higher is better)"]
    assert hot[0] == hot[2] == "not applicable" and re.fullmatch(r"\d+ %(\n\(.*\))?", hot[1])
    for label, cells in table.items():
        if "(%)" in label or label.startswith(("corridor covered", "patrol area within", "incidents reached")):
            for c in cells:
                assert re.fullmatch(r"\d+ %\n\((\d+-\d+ %|the same every day)\)", c), (label, c)
    assert "95 % interval over 3 simulated days" in browser.find_element(By.CSS_SELECTOR, "p.note").text
    assert table["days simulated"] == ["3", "3", "3"]
    assert [c.split()[0] for c in table["incidents simulated (all days)"]] == \
        [f"{r.summary['incidents']:.0f}" for r in results]
    assert all("few: response figures are rough" in c for c in table["incidents simulated (all days)"])  # < 30
    loaded = browser.execute_script(
        "return [...document.images].map(i => [i.alt, i.complete && i.naturalWidth > 0])")
    assert len(loaded) == 4 + 3 and all(ok for _, ok in loaded), loaded  # the plots and each scenario's maps
    browser.execute_script("document.querySelector('h2:last-of-type').scrollIntoView()")
    browser.save_screenshot(str(screens / "comparison-maps.png"))

    browser.get((out / "maps" / "uptown-10-coverage-change.html").as_uri())
    assert [e for e in browser.get_log("browser") if e["level"] == "SEVERE"] == []
    legend = browser.find_element(By.CSS_SELECTOR, ".map-legend").text
    assert "Coverage against uptown-6" in legend and "change (percentage points; purple: more)" in legend
    ticks = [t.text for t in browser.find_elements(By.CSS_SELECTOR, ".colour-ticks span")]
    assert len(ticks) == 5 and float(ticks[0]) == -float(ticks[-1]) and float(ticks[2]) == 0  # centred on no change
    assert browser.find_elements(By.CSS_SELECTOR, ".leaflet-control-scale")  # the distance scale
    browser.save_screenshot(str(screens / "comparison-change-map.png"))


def test_scenario_colours_stay_apart_for_colour_blind_eyes():
    from colour_vision import DEFICIENCIES, closest_pair

    from patrol.coverage.compare import SCENARIO_COLOURS

    for deficiency in [None, *DEFICIENCIES]:
        assert closest_pair(SCENARIO_COLOURS[:8], deficiency) > 12, deficiency


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
