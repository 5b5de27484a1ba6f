"""Parameter sweeps: a grid of scenarios x seeds, run serially or on Dask.

A grid file (TOML) names a base scenario and the values to vary::

    [sweep]
    name = "staffing"            # prefix of the scenario names
    base = "uptown-8.toml"       # scenario file the grid varies (relative to this file; optional)
    seeds = 10                   # Monte Carlo days per scenario (default: the base scenario's)

    [grid]
    "roster.size" = [6, 8, 10]                  # table.key = list of values
    "strategy.kind" = ["posts", "random_walk"]
    shift = [{start = "10:00", end = "18:00"}, {start = "12:00", end = "20:00"}]   # whole-table variants

Every combination (Cartesian product, in file order) is one scenario, validated like a scenario file.
:func:`run_sweep` runs them on a Dask cluster (a local one by default, or the scheduler at an address):

* the client reads each scenario's district and incident history once (:func:`sweep_data`) and
  scatters them to every worker (``broadcast``): workers get the data from the scheduler and never open
  the client's files, so a cluster on other machines needs ``patrol`` installed, not the data;
* a planned strategy is planned by one task on a worker (the planner runs where the CPU is), and every
  seed's task takes that plan as its input, so all seeds score the same plan;
* a task scores a run of days of one scenario (:func:`days_per_task`: about four tasks per worker), so that a
  worker builds each scenario's scoring context once rather than once per day.

Results are keyed by (scenario, seed), sorted and aggregated exactly like :func:`run_serial`, so the two
agree number for number.  The daily planner is deterministic unless its time limit cuts the search short
(``strategy.time_limit_s``): with a limit that is reached, a plan made on a worker may differ from one made
in the client.
"""

from __future__ import annotations

import copy
import itertools
import logging
from pathlib import Path
from typing import Any

from patrol.coverage.scenario import (
    Scenario,
    ScenarioData,
    ScenarioResult,
    aggregate,
    day_timeline,
    run_scenario,
    run_seeds,
    scenario_data,
    scenario_from_dict,
)
from patrol.errors import ConfigError, InputError
from patrol.settings import read_toml, settings_from_dict

__all__ = ["connect", "expand_grid", "load_grid", "run_serial", "run_sweep", "sweep_data"]

log = logging.getLogger(__name__)

SWEEP_KEYS = ("name", "base", "seeds")


def _label(value: Any) -> str:
    if isinstance(value, dict):
        return "-".join(f"{v}" for v in value.values()).replace(":", "")
    return str(value).lower() if isinstance(value, bool) else str(value).replace(":", "")


def expand_grid(grid: dict[str, list], base: dict[str, Any], *, name: str = "sweep",
                base_dir: str | Path | None = None) -> list[Scenario]:
    """Every combination of the grid's values applied to the base scenario tables.

    Parameters
    ----------
    grid : dict
        ``"table.key" -> [values]`` or ``"table" -> [partial tables]``.
    base : dict
        The base scenario's tables (parsed TOML).
    name : str
        Prefix of the generated scenario names (``name-v1-v2...``).

    Raises
    ------
    ConfigError
        For an empty or malformed grid, or a combination that is not a valid scenario (naming the key).
    """
    if not isinstance(grid, dict) or not grid:
        raise ConfigError("[grid] must hold at least one 'table.key' = [values] entry", field="grid")
    axes = []
    for key, values in grid.items():
        if not isinstance(values, list) or not values:
            raise ConfigError(f"grid.{key} must be a non-empty list of values", field=f"grid.{key}")
        parts = key.split(".")
        if len(parts) > 2:
            raise ConfigError(f"grid key {key!r} must be 'table.key' or 'table'", field=f"grid.{key}")
        if len(parts) == 1 and not all(isinstance(v, dict) for v in values):
            raise ConfigError(f"grid.{key}: a whole-table axis needs a list of tables", field=f"grid.{key}")
        axes.append((parts, values))
    scenarios = []
    for combo in itertools.product(*[v for _, v in axes]):
        data = copy.deepcopy(base)
        labels = []
        for (parts, _), value in zip(axes, combo, strict=True):
            table = data.setdefault(parts[0], {})
            if not isinstance(table, dict):
                raise ConfigError(f"[{parts[0]}] must be a table", field=parts[0])
            if len(parts) == 1:
                table.update(value)
            else:
                table[parts[1]] = value
            labels.append(_label(value))
        scn_name = "-".join([name, *labels])
        data.setdefault("scenario", {})["name"] = scn_name
        try:
            scenarios.append(scenario_from_dict(data, name=scn_name, base_dir=base_dir))
        except ConfigError as exc:
            raise ConfigError(f"grid combination {scn_name}: {exc.message}", field=exc.field) from exc
    return scenarios


def load_grid(path: str | Path) -> tuple[list[Scenario], int | None]:
    """Read a grid file: its scenarios and its ``sweep.seeds`` (``None`` when not set).

    Raises
    ------
    ConfigError
        When the file or its base scenario is missing or invalid, naming the key.
    """
    path = Path(path)
    data = read_toml(path, what="grid", field="sweep")
    try:
        for table in data:
            if table not in ("sweep", "grid"):
                raise ConfigError(f"unknown table [{table}] in a grid file; known: sweep, grid", field=table)
        sw = data.get("sweep", {})
        for key in sw:
            if key not in SWEEP_KEYS:
                raise ConfigError(f"unknown key sweep.{key}; known in [sweep]: {', '.join(SWEEP_KEYS)}",
                                  field=f"sweep.{key}")
        base: dict[str, Any] = {}
        base_dir = path.parent
        if "base" in sw:
            bp = (path.parent / str(sw["base"])).resolve()
            base = read_toml(bp, what="sweep.base: scenario", field="sweep.base")
            base_dir = bp.parent
        seeds = sw.get("seeds")
        if seeds is not None and (isinstance(seeds, bool) or not isinstance(seeds, int) or seeds < 1):
            raise ConfigError(f"sweep.seeds must be a positive integer, got {seeds!r}", field="sweep.seeds")
        scenarios = expand_grid(data.get("grid", {}), base, name=str(sw.get("name", path.stem)), base_dir=base_dir)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc.message}", field=exc.field, details=exc.details) from exc
    return scenarios, seeds


def run_serial(scenarios: list[Scenario], seeds: int | None = None, *, progress: bool = False) -> list[ScenarioResult]:
    """Run each scenario over seeds ``0 .. n-1`` in this process."""
    return [run_scenario(s, seeds, progress=progress) for s in scenarios]


def _data_key(scn: Scenario) -> tuple[str | None, str | None]:
    return scn.district, scn.incidents.history


def sweep_data(scenarios: list[Scenario]) -> dict[tuple[str | None, str | None], ScenarioData]:
    """Each distinct (district, incident history) of the scenarios, read once (what :func:`run_sweep` scatters).

    Raises
    ------
    PatrolError
        When a district or a history file cannot be read.
    """
    out: dict[tuple[str | None, str | None], ScenarioData] = {}
    for scn in scenarios:
        if _data_key(scn) not in out:
            out[_data_key(scn)] = scenario_data(scn)
    return out


def connect(scheduler: str | None = None, *, n_workers: int = 2, processes: bool = True) -> tuple[Any, Any]:
    """A Dask client: on the scheduler at ``scheduler`` (``tcp://host:8786``), else on a new local cluster.

    Returns
    -------
    (client, cluster)
        ``cluster`` is the local cluster to close after the client (``None`` with a scheduler address).

    Raises
    ------
    InputError
        When Dask is not installed, or the scheduler address is malformed or cannot be reached (naming it).
    """
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError as exc:
        raise InputError("Dask runs need dask[distributed]: pip install 'patrol[sweep]'", field="scheduler") from exc
    if scheduler is not None:
        try:
            return Client(scheduler, timeout="20s"), None
        except Exception as exc:  # distributed raises ValueError, OSError, TimeoutError, AssertionError here
            reason = str(exc) or type(exc).__name__
            raise InputError(f"cannot reach the Dask scheduler {scheduler!r}: {reason}; start one with "
                             f"`dask scheduler` (then `dask worker tcp://HOST:8786` on each machine) and give its "
                             f"tcp://HOST:8786 address", field="scheduler") from exc
    if n_workers < 1:
        raise InputError(f"--workers must be at least 1, got {n_workers}", field="workers")
    # the dashboard on a free loopback port (None would mean Dask's fixed default, 8787 on every interface)
    cluster = LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=processes,
                           dashboard_address="127.0.0.1:0")
    return Client(cluster), cluster


def days_per_task(total_days: int, n_workers: int) -> int:
    """Days a task scores: enough tasks for 4 per worker (load balance), no more (each task of a scenario finds
    its district, weights and neighbourhoods in its worker's cache only if it is not evicted between tasks).

    Examples
    --------
    >>> days_per_task(72, 2), days_per_task(20, 8), days_per_task(0, 2)
    (9, 1, 1)
    """
    return max(1, total_days // max(1, 4 * n_workers))


def run_sweep(scenarios: list[Scenario], seeds: int | None = None, *, scheduler: str | None = None,
              n_workers: int = 2, processes: bool = True, progress: bool = False, client: Any = None,
              data: dict[tuple[str | None, str | None], ScenarioData] | None = None) -> list[ScenarioResult]:
    """Run scenarios x seeds as Dask tasks; same results as :func:`run_serial` (see the module docstring).

    Parameters
    ----------
    scenarios : list of Scenario
    seeds : int, optional
        Seeds per scenario (default: each scenario's ``seeds``).
    scheduler : str, optional
        Address of a running Dask scheduler (``tcp://host:8786``); its workers need ``patrol`` installed.
        Default: a local cluster of ``n_workers`` single-threaded workers.
    n_workers : int
    processes : bool
        Local cluster with worker processes (``True``) or threads.
    progress : bool
        A tqdm progress bar on stderr.
    client : distributed.Client, optional
        Use this client (and its cluster) instead of connecting; it is left open.
    data : dict, optional
        The scenarios' data as :func:`sweep_data` gives it (read here when omitted).

    Raises
    ------
    InputError
        When Dask is not installed or the scheduler cannot be reached.
    """
    data = data if data is not None else sweep_data(scenarios)
    own = client is None
    cluster = None
    if own:
        client, cluster = connect(scheduler, n_workers=n_workers, processes=processes)
    try:
        from dask.distributed import as_completed

        shared = {key: client.scatter(value, broadcast=True, hash=False) for key, value in data.items()}
        workers = sorted(client.scheduler_info()["workers"])
        n_planned = 0
        total = sum(int(seeds or scn.seeds) for scn in scenarios)
        chunk = days_per_task(total, len(workers))
        futures = {}
        for i, scn in enumerate(scenarios):
            d = shared[_data_key(scn)]
            plan = None
            if scn.strategy.name == "planned":
                # planned once, on a worker; every seed scores that plan.  Plans go round the workers in a fixed
                # order, so a sweep run again on the same cluster finds each plan in its worker's cache.
                home = [workers[n_planned % len(workers)]] if workers else None
                n_planned += 1
                plan = client.submit(day_timeline, scn, 0, d, pure=False, workers=home, allow_other_workers=True)
            days = list(range(int(seeds or scn.seeds)))
            for k in range(0, len(days), chunk):
                futures[client.submit(run_seeds, scn, days[k:k + chunk], plan, d, pure=False)] = i
        done: dict[tuple[int, int], Any] = {}
        bar = None
        if progress:
            from tqdm import tqdm

            bar = tqdm(total=total, desc="sweep", unit="day", disable=None)
        for fut in as_completed(list(futures)):
            for r in fut.result():
                done[(futures[fut], r.seed)] = r
            if bar is not None:
                bar.update(len(fut.result()))
        if bar is not None:
            bar.close()
    finally:
        if own:
            client.close()
            if cluster is not None:
                cluster.close()
    out = []
    for i, scn in enumerate(scenarios):
        keys = sorted(k for k in done if k[0] == i)
        base = data[_data_key(scn)].district.settings
        out.append(aggregate(scn, [done[k] for k in keys], settings_from_dict(scn.overrides, base=base)))
    return out
