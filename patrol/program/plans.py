"""The day's plans of every district of a program, planned in parallel on Dask and each checked.

``patrol plan --program DIR --day D`` calls :func:`plan_program`: every district whose shift includes the day is
planned on a worker of a Dask cluster (a local one of one worker per district by default, or a running
scheduler's with ``--scheduler tcp://HOST:8786``; :func:`patrol.coverage.sweep.connect`).  The client scatters
each district to the workers (they never read its folder, as for sweeps), a worker plans it
(:func:`patrol.planning.plan_day`) and then judges the plan with the independent checker
(:func:`patrol.planning.check_plan`, which shares no code with the planner, against the district's own settings,
roster and streets); the client writes each plan into ``OUT/<district>/`` (plan.json, routes, GPX, sheets, map)
and ``OUT/program.json`` with every district's result.

A district **misses** when its plan has shortfalls or the checker finds a target not met; the command's exit code
is then 1 (:attr:`ProgramPlans.all_met`).  Plans are independent: one district's plan does not wait for another's,
and the same seeds give the same plans whatever the number of workers.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from patrol.coverage.sweep import connect
from patrol.district import District, check_plan_district
from patrol.planning import check_plan, plan_day, write_outputs
from patrol.program.load import Program
from patrol.settings import DAYS

__all__ = ["DistrictPlan", "ProgramPlans", "day_seed", "plan_program"]

log = logging.getLogger(__name__)


def day_seed(date: str | None, day: str) -> int:
    """The seed ``patrol plan`` derives from the date (else the day) when none is given."""
    return int.from_bytes(hashlib.sha256((date or day).encode()).digest()[:4], "big") % 1_000_000


@dataclass(frozen=True)
class DistrictPlan:
    """One district's plan of the day and the checker's verdict.

    Attributes
    ----------
    district : str
    out : Path or None
        Where its files were written (``None`` when the day is not one of its shift days).
    summary, shortfalls : dict, list
        The plan's own summary and shortfalls.
    check : dict
        :func:`patrol.planning.check_plan`'s result.
    seconds : float
        Planning time on the worker.
    skipped : str
        Why the district was not planned ("" when it was).
    """

    district: str
    out: Path | None
    summary: dict = field(default_factory=dict)
    shortfalls: list = field(default_factory=list)
    check: dict = field(default_factory=dict)
    seconds: float = 0.0
    skipped: str = ""

    @property
    def met(self) -> bool:
        """Every target met, by the plan and by the checker (a skipped district counts as met)."""
        return bool(self.skipped) or (not self.shortfalls and bool(self.check.get("all_targets_met")))

    def missed(self) -> list[str]:
        """The targets the checker found not met, of those that count (readiness only when required)."""
        return [row["target"] for row in self.check.get("targets", []) if row["counted"] and not row["met"]]

    def to_dict(self) -> dict[str, Any]:
        return {"district": self.district, "out": None if self.out is None else str(self.out), "met": self.met,
                "skipped": self.skipped, "seconds": round(self.seconds, 2), "summary": self.summary,
                "shortfalls": self.shortfalls, "checker": {"all_targets_met": self.check.get("all_targets_met"),
                                                           "missed": self.missed(),
                                                           "judged_against": self.check.get("judged_against")}}


@dataclass(frozen=True)
class ProgramPlans:
    """Every district's plan of one day."""

    program: str
    day: str
    date: str | None
    plans: list[DistrictPlan]
    workers: int
    seconds: float

    @property
    def all_met(self) -> bool:
        return all(p.met for p in self.plans)

    def to_dict(self) -> dict[str, Any]:
        return {"program": self.program, "day": self.day, "date": self.date, "all_met": self.all_met,
                "workers": self.workers, "seconds": round(self.seconds, 2),
                "districts": [p.to_dict() for p in self.plans]}


def _plan_and_check(district: District, day: str, date: str | None, seed: int,
                    time_limit_s: float | None) -> tuple[dict, dict, float]:
    """On a worker: plan the district's day, then judge the plan with the independent checker."""
    t0 = time.perf_counter()
    data = plan_day(district, day, date=date, seed=seed, time_limit_s=time_limit_s).to_dict()
    seconds = time.perf_counter() - t0
    check_plan_district(data, district)
    return data, check_plan(data, district), seconds


def plan_program(program: Program, day: str, out: str | Path, *, date: str | None = None, seed: int | None = None,
                 time_limit_s: float | None = None, scheduler: str | None = None, n_workers: int | None = None,
                 processes: bool = True, client: Any = None, progress: bool = False) -> ProgramPlans:
    """Plan the day of every district of the program in parallel (see the module docstring).

    Parameters
    ----------
    program : Program
    day : str
        ``mon`` ... ``sun``.
    out : path
        Each district's files go into ``out/<district>/``; ``out/program.json`` sums up.
    date : str, optional
        ISO date of the day (GPX times, the seed).
    seed : int, optional
        Default: derived from the date, else the day (as ``patrol plan``).
    time_limit_s : float, optional
        Each district's planning budget.
    scheduler : str, optional
        A running Dask scheduler (``tcp://HOST:8786``); default a local cluster.
    n_workers : int, optional
        Workers of the local cluster (default: one per district planned).
    processes : bool
        Local workers as processes (default) or threads.
    client : distributed.Client, optional
        Use this client (left open).
    progress : bool
        A line on stderr per district planned.

    Raises
    ------
    InputError
        An unknown day, or a Dask scheduler that cannot be reached.
    """
    from patrol.errors import InputError

    if day not in DAYS:
        raise InputError(f"--day {day!r} is not a day ({', '.join(DAYS)})", field="day")
    seed = day_seed(date, day) if seed is None else int(seed)
    out = Path(out)
    todo = [k for k, d in program.districts.items() if day in d.district.settings.shift.days]
    skipped = {k: f"{day} is not one of its shift days ({', '.join(d.district.settings.shift.days)})"
               for k, d in program.districts.items() if k not in todo}
    t0 = time.perf_counter()
    results: dict[str, tuple[dict, dict, float]] = {}
    workers = 0
    if todo:
        own = client is None
        cluster = None
        if own:
            client, cluster = connect(scheduler, n_workers=n_workers or len(todo), processes=processes)
        try:
            from dask.distributed import as_completed

            workers = len(client.scheduler_info()["workers"])
            futures = {}
            for k in todo:
                shared = client.scatter(program.districts[k].district, hash=False)
                futures[client.submit(_plan_and_check, shared, day, date, seed, time_limit_s, pure=False)] = k
            for fut in as_completed(list(futures)):
                results[futures[fut]] = fut.result()
                if progress:
                    import sys

                    data, check, secs = results[futures[fut]]
                    verdict = "every target met" if check["all_targets_met"] and not data["shortfalls"] else \
                        "targets missed"
                    print(f"  {futures[fut]}: planned in {secs:.1f} s, {verdict}", file=sys.stderr, flush=True)
        finally:
            if own:
                client.close()
                if cluster is not None:
                    cluster.close()
    plans = []
    for k, d in program.districts.items():
        if k in skipped:
            plans.append(DistrictPlan(k, None, skipped=skipped[k]))
            continue
        data, check, secs = results[k]
        folder = out / k
        write_outputs(data, d.district, folder, map_path=folder / "map.html")
        plans.append(DistrictPlan(k, folder, data["summary"], data["shortfalls"], check, secs))
    result = ProgramPlans(program.name, day, date, plans, workers, time.perf_counter() - t0)
    out.mkdir(parents=True, exist_ok=True)
    (out / "program.json").write_text(json.dumps(result.to_dict(), indent=2, default=str), encoding="utf-8")
    log.info("program %s, %s: %d districts planned on %d workers in %.1f s, %s", program.name, day, len(todo),
             workers, result.seconds, "every target met" if result.all_met else "targets missed")
    return result
