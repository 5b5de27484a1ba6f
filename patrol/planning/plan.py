"""Daily patrol plans: a timed walking route per ambassador (or pair) that meets the program's targets.

:func:`plan_day` runs the pipeline of :mod:`patrol.planning` once:

1. **duties** (:mod:`.duties`, :mod:`.breaks`): the units, the businesses due today, the hot spots, and
   staggered break slots;
2. **variants** (:mod:`.variants`) of the **segment design**: the corridor cut into stretches, one per unit
   but one (:mod:`.segments`); check-ins and area blocks shared out (:mod:`.assign`) and each unit's area
   blocks put in one tour (:mod:`.tours`); the shift scheduled corner by corner (:mod:`.scheduler`),
   each unit taking a stop only when its stretch stays fresh; spare time traded for what is left over
   and for even walking (:mod:`.repair`); each variant scored (:mod:`.score`) until one meets every
   target or the time limit is reached;
3. the result as a :class:`DailyPlan` (plan.json, see ``docs/plan-schema.md``), written out by
   :mod:`.export` and judged independently by :mod:`.check`.

The plan says what it achieved and which targets fell short, by how much (``shortfalls``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from patrol.demand import IncidentHistory
from patrol.district import District
from patrol.errors import InputError
from patrol.paths import DistanceRows, all_pairs, node_distances
from patrol.planning.beats import DENSE_NODES, beat_count, plan_beats
from patrol.planning.breaks import plan_breaks
from patrol.planning.capacity import Capacity, capacity
from patrol.planning.duties import checkins_due, day_input, hotspots, unit_specs
from patrol.planning.model import BreakSlot, DayInput, DayRoster, Shortfall, Unit, UnitSpec
from patrol.planning.ready import Readiness, readiness
from patrol.planning.repair import repair_day
from patrol.planning.score import rank_key, score, summarize, tally
from patrol.planning.variants import IMPOSSIBLE_VARIANTS, Chosen, try_segments
from patrol.settings import DAYS, Settings, format_hhmm, settings_to_dict
from patrol.timeline import Leg, Timeline

__all__ = ["SCHEMA", "DailyPlan", "DayDuties", "plan_day", "plan_week", "prepare_day"]

log = logging.getLogger(__name__)

#: Identifier of the plan.json layout written by :meth:`DailyPlan.to_dict`.
SCHEMA = "patrol.plan/2"


@dataclass
class DailyPlan:
    """One day's plan: timed steps per unit, what it achieves, and its shortfalls.

    Attributes
    ----------
    district : District
        The district planned (its name and fingerprint go into plan.json).
    day, date : str
    seed : int
    settings : dict
        The settings the plan was made with (``settings_to_dict``).
    units : list of UnitSpec
    hotspots, due : list of dict
        The day's hot spots (with their dwells) and the businesses due (with their status).
    steps : dict of str to list of Leg
        Per unit, its timed steps (they are its timeline).
    summary : dict
        The plan's own tallies (see ``docs/plan-schema.md``).
    shortfalls : list of Shortfall
        Every target not met.
    design : dict
        How the plan was made (segments, tours).
    version : int
        1 for the morning's plan, one more for each re-plan (:mod:`.replan`).
    day_roster : dict
        The day's changes to the district's roster (:meth:`DayRoster.to_dict`), which the checker applies.
    hotspot_source : dict
        Where the hot spots came from: ``{"history": None}`` for the demand model of the district's data,
        else the incident-history file, its column mapping and a digest of its incidents.
    made_at : str or None
        When the version was made (ISO).
    events : list of dict
        The special events placed on the plan (:mod:`.event_duty`): window, blocks, point, people wanted, stints.
    """

    district: District
    day: str
    date: str | None
    seed: int
    settings: dict[str, Any]
    units: list[UnitSpec]
    hotspots: list[dict[str, Any]]
    due: list[dict[str, Any]]
    steps: dict[str, list[Leg]]
    summary: dict[str, Any]
    shortfalls: list[Shortfall]
    design: dict[str, Any] = field(default_factory=dict)
    day_roster: dict[str, Any] = field(default_factory=dict)
    hotspot_source: dict[str, Any] = field(default_factory=lambda: {"history": None})
    version: int = 1
    made_at: str | None = None
    events: list[dict[str, Any]] = field(default_factory=list)

    @property
    def all_targets_met(self) -> bool:
        return not self.shortfalls

    def timeline(self) -> Timeline:
        """The plan as a :class:`patrol.timeline.Timeline` (its steps)."""
        return Timeline(self.steps)

    def to_dict(self) -> dict[str, Any]:
        """The plan.json content (see ``docs/plan-schema.md``)."""
        d = self.district
        hot_ids = {int(h["block"]): int(h["id"]) for h in self.hotspots}
        walkers = {}
        for unit in self.units:
            walkers[unit.name] = {"members": list(unit.members), "role": unit.role,
                                  "hours": [format_hhmm(unit.start), format_hhmm(unit.end)],
                                  "steps": [_step_json(d, s, hot_ids) for s in self.steps[unit.name]],
                                  "summary": self.summary["units"][unit.name]}
        return {
            "schema": SCHEMA,
            "version": self.version,
            "made_at": self.made_at,
            "district": d.name,
            "district_fingerprint": d.fingerprint,
            "district_source": d.source,
            "day": self.day,
            "date": self.date,
            "seed": self.seed,
            "shift": {"start": self.settings["shift"]["start"], "end": self.settings["shift"]["end"]},
            "pairs": bool(self.settings["roster"]["pairs"]),
            "settings": self.settings,
            "day_roster": self.day_roster,
            "hotspot_source": self.hotspot_source,
            "hotspots": self.hotspots,
            "checkins_due": self.due,
            "design": self.design,
            "walkers": walkers,
            "summary": {k: v for k, v in self.summary.items() if k != "units"},
            "shortfalls": [s.to_dict() for s in self.shortfalls],
            "events": self.events,
            "all_targets_met": self.all_targets_met,
            "timeline": self.timeline().to_dict(),
        }


def _step_json(district: District, s: Leg, hot_ids: dict[int, int]) -> dict[str, Any]:
    """A step as plan.json writes it: the leg, plus its time, street and corners, and for a stop what it is
    about in plain fields (a check-in's business id and name, a dwell's hot-spot id, a break's kind)."""
    a = district.arrays
    out: dict[str, Any] = {"t0": round(s.t0, 4), "t1": round(s.t1, 4), "activity": s.activity, "block": s.block,
                           "off0": round(s.off0, 3), "off1": round(s.off1, 3), "ref": s.ref,
                           "time": format_hhmm(s.t0), "street": str(a.edge_name[s.block])}
    if s.activity == "walk":
        L = a.edge_length[s.block]
        for key, off in (("from_node", s.off0), ("to_node", s.off1)):
            if abs(off) < 1e-6:
                out[key] = int(a.node_ids[a.edge_u[s.block]])
            elif abs(off - L) < 1e-6:
                out[key] = int(a.node_ids[a.edge_v[s.block]])
        out["length_m"] = round(abs(s.off1 - s.off0), 2)
        if "to_node" in out:
            out["node_label"] = district.graph.nodes[out["to_node"]].get("label", "")
    if s.business >= 0:
        out["business"] = s.business
        out["business_name"] = district.businesses[s.business].name
    if s.activity == "dwell" and s.block in hot_ids:
        out["hotspot"] = hot_ids[s.block]
    if s.activity == "break":
        out["break"] = "meal" if s.ref.startswith("meal") else "rest"
    return out


#: The planner's shortfall names and the targets of ``targets.priority`` they belong to.
_TARGET_OF = {"corridor_revisit": "corridor", "hotspot_revisit": "hotspots", "checkins": "checkins",
              "area_coverage": "area", "balance": "balance", "breaks": "breaks", "min_on_street": "on_street",
              "ready_to_respond": "ready"}


def _merge_on_street(short: list[Shortfall]) -> list[Shortfall]:
    """One on-street shortfall for all the breaks that leave too few on the street (the fewest, each break)."""
    on = [s for s in short if s.target == "min_on_street"]
    if len(on) <= 1:
        return short
    merged = Shortfall("min_on_street", on[0].required, str(min(int(s.achieved) for s in on)),
                       f"{len(on)} breaks leave too few on the street: " + "; ".join(s.detail for s in on),
                       next((s.why for s in on if s.why), ""))
    return [s for s in short if s.target != "min_on_street"] + [merged]


def _explained(short: list[Shortfall], impossible: dict[str, str], best: Chosen, inp: DayInput,
               meal_min: float) -> list[Shortfall]:
    """Each shortfall with why: the bound that makes it impossible (:mod:`.capacity`), or the rounds the
    corridor's walkers need, else how the search ended (the time limit, or the closest of the variants tried)."""
    segments = best.tallies["corridor"].get("segments", [])
    rounds = max((float(x["round_min"]) for x in segments), default=0.0)
    out = []
    for s in short:
        target = _TARGET_OF.get(s.target, s.target)
        if s.why:
            why = s.why
        elif target in impossible:
            why = impossible[target]
        elif target == "corridor" and segments and rounds + meal_min + 5.0 > inp.corridor_revisit:
            why = (f"with {len(segments)} walkers on the corridor all day, the longest stretch takes {rounds:.1f} min "
                   f"out and back and a {meal_min:g}-min meal stops its walker, so a block there waits about "
                   f"{rounds + meal_min:.0f} min; the plan keeps the gap as close to that as it can")
        elif best.stopped == "time limit":
            why = f"the search stopped at the time limit after {best.tried} of {best.total} variants"
        else:
            why = (f"no plan found meets it ({best.tried} of {best.total} variants tried, stopped: {best.stopped}); "
                   "this is the closest found that keeps the targets before it")
        out.append(Shortfall(s.target, s.required, s.achieved, s.detail, why))
    return out


@dataclass(frozen=True)
class DayDuties:
    """The day before any search: its settings and units, break slots, hot spots, businesses due, the
    scheduler's input, the distances from the base and the capacity bounds (:func:`prepare_day`)."""

    settings: Settings
    day_roster: DayRoster
    pairs: bool
    units: list[UnitSpec]
    slots: list[list[BreakSlot]]
    break_short: list[Shortfall]
    hotspots: list[int]
    demand: np.ndarray
    due: np.ndarray
    inp: DayInput
    base_dist: np.ndarray
    capacity: Capacity


def prepare_day(district: District, day: str, *, seed: int = 0, pairs: bool | None = None,
                roster: DayRoster | None = None, checkin_due: np.ndarray | list[int] | None = None,
                history: IncidentHistory | None = None) -> DayDuties:
    """The day's duties and the capacity bounds, in about a second: what :func:`plan_day` starts from, and
    what ``patrol plan staffing`` reads its bounds from (see :func:`plan_day` for the parameters)."""
    settings = district.settings
    day_roster = roster or DayRoster()
    if pairs is not None:
        day_roster = dataclasses.replace(day_roster, pairs=bool(pairs))
    pairs = settings.roster.pairs if day_roster.pairs is None else day_roster.pairs
    if pairs != settings.roster.pairs:
        settings = settings.replace(roster__pairs=pairs)
    a = district.arrays
    tg = settings.targets
    hot, demand = hotspots(district, history)
    due = np.asarray(checkin_due if checkin_due is not None else checkins_due(district, day), dtype=np.int64)
    specs = unit_specs(settings, day_roster)
    slots, break_short = plan_breaks(settings, specs)
    break_short = _merge_on_street(break_short)
    inp = day_input(district, settings, hot, due, seed)
    base_dist = node_distances(a, np.array([inp.base]))[0]
    cap = capacity(inp, specs, slots, area_visits=tg.area_visits_per_shift, dwell_min=float(tg.hotspot_dwell_min[0]),
                   base_dist=base_dist, breaks=settings.breaks, names=a.edge_name)
    return DayDuties(settings, day_roster, bool(pairs), specs, slots, break_short, hot, demand, due, inp, base_dist,
                     cap)


def plan_day(district: District, day: str = "tue", *, date: str | None = None, seed: int = 0,
             time_limit_s: float | None = None, pairs: bool | None = None, roster: DayRoster | None = None,
             checkin_due: np.ndarray | list[int] | None = None, history: IncidentHistory | None = None,
             progress: Callable[[float, str], None] | None = None, verdict: Callable[[Capacity], None] | None = None,
             beats: int | None = None) -> DailyPlan:
    """Plan one shift for the district's roster.

    First, in about a second, the capacity bounds (:mod:`.capacity`): what the roster has against the least each
    target needs, and what no roster can reach; ``verdict`` gets them before the search starts.  When they show
    that a target cannot be met whatever the plan, the search is short (:data:`.variants.IMPOSSIBLE_VARIANTS`
    variants).  A large area is planned in beats (:mod:`.beats`) and joined into one plan; there each beat's
    search is short when its own bounds show that its units cannot meet its own targets.

    Parameters
    ----------
    district : District
        Its settings (roster, shift, speeds, breaks, targets) drive the plan.
    day : str
        A shift day (``tue``...).
    date : str, optional
        ISO date of the day (for GPX times and the sheets).
    seed : int
        Varies hot-spot dwell times.  The plan does not depend on the machine's speed unless the time limit
        cuts the search short (then it is logged and said in the summary).
    time_limit_s : float, optional
        Wall-clock budget of the whole plan, area tours and every beat included (default: none; the search
        stops at the first variant that meets every target, after 50 variants at most).  When it runs out the
        best plan so far is kept; the variant under way when it runs out is finished (its area tours built
        greedily), so a plan may end a few seconds after it.
    pairs : bool, optional
        Units of two (default: the day's roster, else ``roster.pairs``).
    roster : DayRoster, optional
        The day's changes to the district's roster: who is absent, who works other hours, pairs.
    checkin_due : array-like of int, optional
        Business indices due today (default: :func:`patrol.planning.duties.checkins_due`).
    history : patrol.demand.IncidentHistory, optional
        Incident history for the hot spots (default: business density and transit stops).
    progress : callable, optional
        ``progress(fraction, stage)``: how far the plan is, and what it is doing in words.
    verdict : callable, optional
        ``verdict(capacity)``, called once with the :class:`.capacity.Capacity` bounds, before the search.
    beats : int, optional
        Plan the area in this many beats (:mod:`.beats`); default automatic (one plan when the area has at most
        :data:`.beats.BEAT_KM` km of streets and its graph at most :data:`.beats.DENSE_NODES` nodes).

    Returns
    -------
    DailyPlan

    Raises
    ------
    InputError
        Unknown day, bad seed, time limit or beat count.
    """
    t_begin = time.perf_counter()
    if day not in DAYS:
        raise InputError(f"unknown day {day!r}; use {', '.join(DAYS)}", field="day")
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise InputError(f"seed must be a non-negative integer, got {seed!r}", field="seed")
    if time_limit_s is not None and not time_limit_s > 0:
        raise InputError(f"time limit must be > 0 s, got {time_limit_s!r}", field="time_limit_s")
    if beats is not None and (isinstance(beats, bool) or not isinstance(beats, int | np.integer) or beats < 1):
        raise InputError(f"beats must be a whole number >= 1, got {beats!r}", field="beats")
    deadline = math.inf if time_limit_s is None else t_begin + float(time_limit_s)
    report = progress or (lambda f, s: None)
    report(0.0, "duties and capacity bounds")
    day_ = prepare_day(district, day, seed=seed, pairs=pairs, roster=roster, checkin_due=checkin_due,
                       history=history)
    settings, day_roster, pairs, specs, slots = day_.settings, day_.day_roster, day_.pairs, day_.units, day_.slots
    break_short, hot, demand, due, inp, base_dist, cap = (day_.break_short, day_.hotspots, day_.demand, day_.due,
                                                          day_.inp, day_.base_dist, day_.capacity)
    a = district.arrays
    tg = settings.targets
    impossible = cap.impossible(tg.priority)
    if impossible:
        log.info("the roster cannot meet %s whatever the plan: a short search", ", ".join(impossible))
    if verdict is not None:
        verdict(cap)
    max_variants = IMPOSSIBLE_VARIANTS if impossible else None
    n_beats = beat_count(a, inp, specs) if beats is None else int(beats)
    split = n_beats > 1 or a.n_nodes > DENSE_NODES
    dist: Any = DistanceRows(a) if split else None  # the readiness measure's distances, rows when asked for

    def ready_of(units: list[Unit]) -> Readiness:
        return readiness({u.name: u.steps for u in units}, dist=dist, edge_u=a.edge_u, edge_v=a.edge_v,
                         edge_length=a.edge_length, area=a.edge_in_area, weights=demand, start=inp.start,
                         end=inp.end, speed_m_min=settings.speeds.response_m_s * 60.0, limit_min=tg.ready_p90_min)

    beat_reports: list[dict[str, Any]] = []
    best: Chosen | None
    if split:
        report(0.05, f"planning in {n_beats} beat{'s' if n_beats != 1 else ''}")
        res = plan_beats(district, settings, inp, specs, slots, n_beats, seed=seed, deadline=deadline,
                         progress=lambda f, w: report(0.05 + 0.9 * f, w), base_dist=base_dist)
        best, beat_reports = res.chosen, res.beats
    else:
        report(0.02, "shortest paths")
        net = all_pairs(a)
        dist = net.dist

        def evaluate(units: list[Unit], tallies: dict) -> tuple[tuple[int, ...], float]:
            summary, short = summarize(district, settings, inp, units, tallies["checked"], tallies["corridor"],
                                       break_short, ready_of(units) if tg.ready_required else None)
            return rank_key(summary, short, tg), score(summary, short, tg)

        def repair(units: list[Unit], tallies: dict, vin: DayInput) -> None:
            tallies["filled"] = repair_day(vin, units, tallies["checked"], net, tg.balance_ratio_max)

        report(0.05, "segments")
        best = try_segments(inp, net, specs, slots, a.edge_name, float(settings.breaks.meal_min), evaluate, seed,
                            repair=repair, progress=lambda f, w: report(0.05 + 0.9 * f, w), deadline=deadline,
                            max_variants=max_variants, corridor_rank=tg.priority.index("corridor"))
    if best is None:
        raise InputError("the roster has no walking unit", field="roster")
    units, tallies, var = best.units, best.tallies, best.variant

    report(0.95, "summary")
    dwells_by_block = tally(units, a.edge_length).dwells
    summary, short = summarize(district, settings, inp, units, tallies["checked"], tallies["corridor"], break_short,
                               ready_of(units))
    short = _explained(short, impossible, best, inp, float(settings.breaks.meal_min))
    summary["seconds"] = round(time.perf_counter() - t_begin, 2)
    if beat_reports:
        summary["variant"] = {"beats": [r["variant"] for r in beat_reports]}
    else:
        summary["variant"] = {k: v for k, v in var.items() if k != "seed"} | {"schedule_seed": int(var["seed"])}
    summary["search"] = {"variants_tried": best.tried, "variants": best.total, "stopped": best.stopped,
                         "priority": list(tg.priority)}
    if time_limit_s is not None:
        summary["search"]["time_limit_s"] = float(time_limit_s)
    if beat_reports:
        summary["search"]["beats"] = [{k: r[k] for k in ("beat", "variants_tried", "variants", "stopped", "seconds")}
                                      for r in beat_reports]
    summary["capacity"] = cap.to_dict()
    # the clock ran out: the search stopped for it, or the area tours had only what was left of it (the plan then
    # depends on the machine's speed, even when its first variant met every target)
    summary["time_limit_reached"] = best.stopped == "time limit" or time.perf_counter() > deadline
    if pairs:
        summary["note"] = ("pairs mode: a pair walks, checks in and takes its breaks together; the on-street "
                           "minimum is counted in people (2 per pair)")
    bb, off, _ = district.business_blocks
    hot_list = []
    for r, b in enumerate(hot):
        lat, lon = district.geocoder.point_on_block(b, a.edge_length[b] / 2)
        hot_list.append({"id": r + 1, "block": b, "street": str(a.edge_name[b]), "demand": round(float(demand[b]), 5),
                         "lat": round(lat, 6), "lon": round(lon, 6),
                         "dwells": [[round(x, 2), round(y, 2)] for x, y in dwells_by_block.get(b, [])]})
    due_list = []
    for j, i in enumerate(due.tolist()):
        o, c, from_data = district.business_hours(i)
        due_list.append({"index": i, "name": district.businesses[i].name, "block": int(bb[i]),
                         "offset_m": round(float(off[i]), 2), "hours": f"{format_hhmm(o)}-{format_hhmm(c)}",
                         "hours_from_data": bool(from_data), "checked": bool(tallies["checked"][j])})
    design = {"method": "corridor segments + area tours",
              "segments": tallies["corridor"].get("segments", []),
              "tours_m": [round(float(sum(a.edge_length[b] for b, _, _ in t)), 1) for t in tallies["tours"]]}
    if beat_reports:
        design["method"] = f"{len(beat_reports)} beats, each: corridor segments + area tours"
        design["beats"] = [{k: v for k, v in r.items() if k not in ("variants_tried", "variants", "stopped",
                                                                     "seconds")} for r in beat_reports]
    report(1.0, "done")
    log.info("plan %s: %d units, %d shortfalls, %.1fs", day, len(units), len(short), summary["seconds"])
    source: dict[str, Any] = {"history": None}
    if history is not None:
        source = {"history": history.source, "columns": dict(history.columns), "digest": history.digest}
    return DailyPlan(district, day, date, int(seed), settings_to_dict(settings), specs, hot_list, due_list,
                     {u.name: u.steps for u in units}, summary, short, design, day_roster.to_dict(), source)


def plan_week(district: District, *, seed: int = 0, time_limit_s: float | None = None, pairs: bool | None = None,
              history: IncidentHistory | None = None, progress: Callable[[float, str], None] | None = None,
              week_start: str | None = None) -> dict[str, DailyPlan]:
    """Plans for every shift day, with the check-in rotation; days differ (seed + day index).

    Parameters
    ----------
    time_limit_s : float, optional
        Budget of each day's plan.
    week_start : str, optional
        ISO date of the week's Monday; each day's date follows from it.

    Returns
    -------
    dict
        Day -> :class:`DailyPlan`, in shift-day order.
    """
    days = list(district.settings.shift.days)
    out = {}
    for j, day in enumerate(days):
        date = None
        if week_start:
            date = (dt.date.fromisoformat(week_start) + dt.timedelta(days=DAYS.index(day))).isoformat()
        sub = None if progress is None else (lambda f, s, j=j, day=day: progress((j + f) / len(days), f"{day} {s}"))
        out[day] = plan_day(district, day, date=date, seed=seed + 1000 * j, time_limit_s=time_limit_s, pairs=pairs,
                            history=history, progress=sub)
    return out
