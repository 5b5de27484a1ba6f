"""Sweeps: grid expansion, and Dask results equal to the serial run for the same seeds."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from patrol.coverage.sweep import expand_grid, load_grid, run_serial, run_sweep
from patrol.errors import ConfigError

SCENARIOS = Path(__file__).resolve().parents[1] / "data" / "scenarios"

TINY = {"roster.size": [3, 5], "strategy.kind": ["random_walk", "posts"]}
BASE = {"scenario": {"seeds": 2, "step_min": 5.0}, "incidents": {"per_shift": 5.0}}


def _same(a, b) -> None:
    assert [r.scenario.name for r in a] == [r.scenario.name for r in b]
    for x, y in zip(a, b, strict=True):
        assert json.dumps(x.to_dict(), sort_keys=True) == json.dumps(y.to_dict(), sort_keys=True)
        for sx, sy in zip(x.seeds, y.seeds, strict=True):
            assert sx.seed == sy.seed
            np.testing.assert_array_equal(sx.incident_response_min, sy.incident_response_min)
            np.testing.assert_array_equal(sx.coverage_by_step, sy.coverage_by_step)
            np.testing.assert_array_equal(sx.block_response_min, sy.block_response_min)


def test_expand_grid_names_and_values():
    scns = expand_grid({**TINY, "shift": [{"start": "10:00", "end": "18:00"}, {"start": "12:00", "end": "20:00"}]},
                       BASE, name="g")
    assert len(scns) == 8
    assert scns[0].name == "g-3-random_walk-1000-1800"
    assert {s.settings().roster.size for s in scns} == {3, 5}
    assert {s.settings().shift.start for s in scns} == {"10:00", "12:00"}


@pytest.mark.parametrize(("grid", "field"), [
    ({}, "grid"),
    ({"roster.size": []}, "grid.roster.size"),
    ({"roster.size": [0, 3]}, "roster.size"),
    ({"roster.sizes": [3]}, "roster.sizes"),
    ({"shift": ["10:00"]}, "grid.shift"),
    ({"a.b.c": [1]}, "grid.a.b.c"),
])
def test_bad_grids_name_the_key(grid, field):
    with pytest.raises(ConfigError) as err:
        expand_grid(grid, BASE)
    assert err.value.field == field


def test_shipped_grid_loads():
    scns, seeds = load_grid(SCENARIOS / "grid-staffing.toml")
    assert len(scns) == 12 and seeds == 10
    assert len({s.name for s in scns}) == 12


def test_grid_file_errors(tmp_path):
    p = tmp_path / "g.toml"
    p.write_text("[sweep]\nbase = \"nope.toml\"\n[grid]\n\"roster.size\" = [3]\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"sweep\.base"):
        load_grid(p)
    p.write_text("[sweep]\nseed = 3\n", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_grid(p)
    assert err.value.field == "sweep.seed"


def test_sweep_equals_serial_threads():
    scns = expand_grid(TINY, BASE, name="t")
    serial = run_serial(scns, 2)
    swept = run_sweep(scns, 2, n_workers=2, processes=False)
    _same(serial, swept)


@pytest.mark.slow
def test_sweep_equals_serial_processes():
    scns = expand_grid({"roster.size": [3, 5]}, {**BASE, "strategy": {"kind": "random_walk"}}, name="p")
    _same(run_serial(scns, 2), run_sweep(scns, 2, n_workers=2, processes=True))


@pytest.mark.slow
def test_sweep_with_planned_routes_scores_the_same_plan():
    scns = expand_grid({"roster.size": [4]}, {**BASE, "strategy": {"kind": "planned"}},
                       name="plan")
    _same(run_serial(scns, 2), run_sweep(scns, 2, n_workers=2, processes=False))


def test_sweep_on_a_scheduler_address():
    from dask.distributed import LocalCluster

    scns = expand_grid({"roster.size": [3]}, {**BASE, "strategy": {"kind": "posts"}}, name="addr")
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as cluster:
        swept = run_sweep(scns, 2, scheduler=cluster.scheduler_address)
    _same(run_serial(scns, 2), swept)


def _uptown_copy(tmp_path: Path) -> Path:
    import shutil

    from patrol.district import default_district_path

    folder = tmp_path / "uptown"
    shutil.copytree(default_district_path(), folder)
    return folder


def test_workers_get_the_district_from_the_scheduler_not_from_files(tmp_path):
    """The client reads the district once and scatters it: the sweep still runs (with the serial numbers)
    after the district folder is gone, which a worker opening the client's path could not do."""
    import shutil

    from patrol.coverage.sweep import sweep_data

    folder = _uptown_copy(tmp_path)
    base = {**BASE, "scenario": {**BASE["scenario"], "district": str(folder)}}
    scns = expand_grid({"strategy.kind": ["random_walk", "posts"]}, base, name="files")
    serial = run_serial(scns, 2)
    data = sweep_data(scns)
    shutil.rmtree(folder)
    swept = run_sweep(scns, 2, n_workers=2, processes=True, data=data)
    _same(serial, swept)


@pytest.mark.slow
def test_planning_runs_on_the_workers():
    """A planned strategy is planned by a task on a worker: the client process never builds the scenario's
    context (nor plans), a worker does, and every seed scores that one plan (the numbers of a serial scoring
    of the worker's plan; the planner's own determinism under load is the planner's business)."""
    from dask.distributed import Client, LocalCluster

    from patrol.coverage import scenario

    scns = expand_grid({"roster.size": [4]}, {**BASE, "strategy": {"kind": "planned"}}, name="onworker")
    scenario._CACHE.clear()

    def plans_here() -> list:
        from patrol.coverage import scenario as s

        return [t for c in s._CACHE.values() for t in c.timelines.values()]

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        swept = run_sweep(scns, 2, client=client)
        on_workers = [t for plans in client.run(plans_here).values() for t in plans]
    assert plans_here() == []  # nothing was planned in the client
    assert len(on_workers) == 1  # one plan, made once, on one worker
    scored = scenario.aggregate(scns[0], [scenario.run_seed(scns[0], s, on_workers[0]) for s in range(2)])
    _same([scored], swept)


def test_bad_scheduler_is_a_clear_error(capsys):
    from patrol.cli import main

    code = main(["scenario", "sweep", str(SCENARIOS / "grid-staffing.toml"), "--scheduler", "bogus", "--seeds", "1"])
    err = capsys.readouterr().err
    assert code == 2 and "cannot reach the Dask scheduler 'bogus'" in err and "Traceback" not in err
    code = main(["scenario", "run", str(SCENARIOS / "uptown-8.toml"), "--scheduler", "bogus", "--json"])
    body = json.loads(capsys.readouterr().out)
    assert code == 2 and body["error"]["field"] == "scheduler"


def test_scenario_run_on_dask_matches_in_process(capsys):
    """``scenario run --workers 2`` (a local Dask cluster) prints the numbers of the in-process run."""
    from patrol.cli import main

    path = str(SCENARIOS / "uptown-8-posts.toml")
    assert main(["scenario", "run", path, "--seeds", "2", "--json"]) == 0
    local = json.loads(capsys.readouterr().out)
    assert main(["scenario", "run", path, "--seeds", "2", "--workers", "2", "--json"]) == 0
    dask = json.loads(capsys.readouterr().out)
    assert dask == local
