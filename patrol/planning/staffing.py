"""Staffing: the smallest roster that meets each target on the district's area (``patrol plan staffing``).

Two steps:

1. **bounds** (:func:`staffing`, seconds): the capacity bounds of :mod:`.capacity` for the district's roster,
   turned into the fewest units per target (:meth:`.capacity.Capacity.needed`): the corridor (its passes over
   the day, and the corridor km against the walkers' km per revisit period), the hot spots, the check-ins, the
   area, the on-street minimum through the breaks; and for every target together.  A lower bound: walking
   between duties is left out.  A target out of reach of the base (a block too far to pass in time) cannot be met
   by any roster, and the answer says so.
2. **confirm** (``confirm=True``): a plan at the size the bounds give (:func:`.plan.plan_day`, beats and all),
   judged by the independent checker (:func:`.check.check_plan`) against a district with that roster; while it
   misses a target, the next size is a quarter more (at least one more), up to ``max_units``; once a size meets
   every target after one that did not, the sizes in between are halved until the smallest that meets them is
   found.  Plans are heuristic, so the answer is the smallest size *found* to work (sizes below it missed a
   target, or are below the bound).

Sizes count units (a pair is one in pairs mode, two people); a roster of ``n`` units keeps the district's
leads, its names (``amb<i>`` added when it has fewer) and every other setting.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from patrol.demand import IncidentHistory
from patrol.district import District
from patrol.errors import InputError
from patrol.planning.beats import DENSE_NODES, beat_count
from patrol.planning.capacity import Capacity
from patrol.planning.check import check_plan
from patrol.planning.plan import plan_day, prepare_day
from patrol.settings import DAYS

__all__ = ["GROW", "Staffing", "Trial", "district_with_units", "plans_in_one_piece", "staffing"]

log = logging.getLogger(__name__)

#: While a plan misses a target, the next size tried is this many times the last (at least one more).
GROW = 1.25


@dataclass(frozen=True)
class Trial:
    """One confirming plan: its size, whether the checker finds every target met, the targets it misses."""

    units: int
    people: int
    met: bool
    missed: tuple[str, ...]
    valid: bool
    beats: int
    cpu_s: float
    wall_s: float

    def to_dict(self) -> dict[str, Any]:
        return {"units": self.units, "people": self.people, "met": self.met, "missed": list(self.missed),
                "valid": self.valid, "beats": self.beats, "cpu_s": round(self.cpu_s, 2),
                "wall_s": round(self.wall_s, 2)}


@dataclass(frozen=True)
class Staffing:
    """The answer: the bounds per target, the plans tried, and the smallest size.

    Attributes
    ----------
    day : str
    people_per_unit : int
        2 in pairs mode.
    roster_units : int
        The district's own roster, in units.
    capacity : Capacity
        The bounds for the district's own roster (their figures).
    needed : dict of str to int or None
        The fewest units per target, and ``"all"`` (``None``: no roster can meet it).
    trials : tuple of Trial
        The confirming plans, in the order tried (empty without ``confirm``).
    answer : int or None
        The smallest size found to meet every target (confirmed by a plan when ``trials``), else the bounds' size;
        ``None`` when no size up to ``max_units`` does, or a target is out of reach of any roster.
    confirmed : bool
        Whether ``answer`` comes from a plan the checker accepts.
    max_units : int
    """

    day: str
    people_per_unit: int
    roster_units: int
    capacity: Capacity
    needed: dict[str, int | None]
    trials: tuple[Trial, ...] = field(default_factory=tuple)
    answer: int | None = None
    confirmed: bool = False
    max_units: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"day": self.day, "people_per_unit": self.people_per_unit, "roster_units": self.roster_units,
                "needed": dict(self.needed), "never": dict(self.capacity.never),
                "answer_units": self.answer,
                "answer_people": None if self.answer is None else self.answer * self.people_per_unit,
                "confirmed": self.confirmed, "max_units": self.max_units,
                "trials": [t.to_dict() for t in self.trials], "capacity": self.capacity.to_dict()}


def district_with_units(district: District, units: int) -> District:
    """The district with a roster of ``units`` units (people: twice that in pairs mode), all else unchanged."""
    r = district.settings.roster
    people = units * (2 if r.pairs else 1)
    names: tuple[str, ...] = ()
    if r.names:
        names = tuple(r.names[:people])
        taken = set(names)
        i = len(names)
        while len(names) < people:
            i += 1
            if f"amb{i}" not in taken:
                names = (*names, f"amb{i}")
    return district.with_settings(district.settings.replace(roster__size=people, roster__names=names,
                                                            roster__leads=min(r.leads, people)))


def staffing(district: District, day: str | None = None, *, confirm: bool = False, max_units: int | None = None,
             seed: int = 0, time_limit_s: float | None = None, history: IncidentHistory | None = None,
             progress: Callable[[float, str], None] | None = None) -> Staffing:
    """The smallest roster that meets each target (see the module docstring).

    Parameters
    ----------
    district : District
    day : str, optional
        A shift day (default the first).
    confirm : bool
        Plan at the bounds' size and step up until a plan meets every target (else the bounds only).
    max_units : int, optional
        The largest size tried (default: 4 x the bounds' size, at least the bounds' size + 10).
    seed : int
        Seed of the confirming plans.
    time_limit_s : float, optional
        Budget of each confirming plan.
    history : IncidentHistory, optional
        Incident history for the hot spots.
    progress : callable, optional
        ``progress(fraction, words)`` while confirming.

    Returns
    -------
    Staffing

    Raises
    ------
    InputError
        Not a shift day, or a bad ``max_units``.
    """
    day = day or district.settings.shift.days[0]
    if day not in DAYS or day not in district.settings.shift.days:
        raise InputError(f"{day!r} is not a shift day ({', '.join(district.settings.shift.days)})", field="day")
    if max_units is not None and (isinstance(max_units, bool) or not isinstance(max_units, int) or max_units < 1):
        raise InputError(f"the largest roster must be a whole number >= 1, got {max_units!r}", field="max_units")
    prep = prepare_day(district, day, seed=seed, history=history)  # the roster on the whole shift, no day changes
    cap = prep.capacity
    needed = cap.needed(district.settings.targets.priority)
    ppu = 2 if prep.pairs else 1
    out = Staffing(day, ppu, len(prep.units), cap, needed, answer=needed["all"])
    n0 = needed["all"]
    if n0 is None or not confirm:
        return out
    top = max_units if max_units is not None else max(4 * n0, n0 + 10)
    tried: dict[int, Trial] = {}
    trials: list[Trial] = []
    report = progress or (lambda f, s: None)

    def attempt(n: int) -> Trial:
        d = district_with_units(district, n)
        c0, t0 = time.process_time(), time.perf_counter()

        def sub(f: float, words: str) -> None:
            report(f, f"{n} units: {words}")

        plan = plan_day(d, day, seed=seed, time_limit_s=time_limit_s, history=history, progress=sub)
        sub(1.0, "the independent check")
        r = check_plan(plan.to_dict(), d)
        missed = tuple(str(row["target"]) for row in r["targets"] if row["counted"] and not row["met"])
        t = Trial(n, n * ppu, bool(r["all_targets_met"]) and bool(r["valid"]), missed, bool(r["valid"]),
                  len(plan.design.get("beats", [])) or 1, time.process_time() - c0, time.perf_counter() - t0)
        log.info("staffing: %d units: %s", n, "every target met" if t.met else f"missed {', '.join(missed)}")
        tried[n] = t
        trials.append(t)
        return t

    n, last_fail, first_ok = max(1, n0), n0 - 1, None
    while n <= top:
        if attempt(n).met:
            first_ok = n
            break
        last_fail = n
        if n == top:
            break
        n = min(top, max(n + 1, math.ceil(n * GROW)))
    if first_ok is not None:
        lo, hi = last_fail, first_ok  # lo missed (or is below the bounds), hi meets every target
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if attempt(mid).met:
                hi = mid
            else:
                lo = mid
        first_ok = hi
    return Staffing(day, ppu, len(prep.units), cap, needed, tuple(trials), first_ok, first_ok is not None, top)


def plans_in_one_piece(district: District, day: str | None = None) -> bool:
    """Whether the district's roster plans the area in one piece (no beats): then confirming is quick enough
    to be the default of ``patrol plan staffing``."""
    prep = prepare_day(district, day or district.settings.shift.days[0])
    return beat_count(district.arrays, prep.inp, prep.units) == 1 and district.arrays.n_nodes <= DENSE_NODES
