"""A simulated live day: incidents dispatched through the desk and the record, under three strategies.

The day runs on the same code the service runs: a :class:`~patrol.dispatch.record.Record` (in memory),
a :class:`~patrol.dispatch.desk.Desk` ranking from it, and the re-plan of
:func:`~patrol.dispatch.diversions.replan_from_record`.  What the simulation adds is the street: the
ambassadors' phones (a fresh ping of every unit's true position before each ranking) and the incidents
(drawn from the demand model, :func:`draw_incidents`).

Each incident goes, at its minute, to the unit the desk ranks first (the nearest available one on foot; with
``cost_tolerance_s`` > 0, a unit within that many seconds of the nearest wins on a lower cost to the plan,
:mod:`patrol.dispatch.ranking`).  When nobody is available (everyone busy or on a break) it waits for the
first unit to come free.  The unit walks there at the response speed, stays the type's minutes on scene
(``dispatch.on_scene_min``), and the incident is resolved.  Then, by strategy:

``static``
    Nobody re-plans.  A unit back from an incident walks to the first point of its planned route it can
    reach in time (the start of a planned step), waits there for the step's time if early, and goes on with
    the plan; what the plan had it do meanwhile is not done.
``replan``
    The lead re-plans the rest of the day at every dispatch (the units the dispatch touched get new steps,
    everyone else keeps theirs).
``replan-cost``
    As ``replan``, and the desk ranks with the cost to the plan (``cost_tolerance_s`` seconds).

The day that happened (the units' true legs) is judged by the independent checker
(:func:`patrol.planning.check.check_plan`) over the whole shift.  Deterministic for a plan and its incidents.
"""

from __future__ import annotations

import heapq
import logging
import math
import time
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

import numpy as np

from patrol.coverage.montecarlo import IncidentModel
from patrol.coverage.montecarlo import draw_incidents as _draw
from patrol.demand import block_demand
from patrol.dispatch.clock import local_moment
from patrol.dispatch.desk import Desk
from patrol.dispatch.diversions import replan_from_record
from patrol.dispatch.record import Record
from patrol.dispatch.roster import plan_units
from patrol.district import District
from patrol.errors import InputError, PlanError
from patrol.paths import all_pairs
from patrol.planning.check import check_plan
from patrol.planning.replan import rejoin, walk_legs
from patrol.timeline import Leg, Timeline

__all__ = ["STRATEGIES", "SimDay", "SimDispatch", "SimIncident", "draw_incidents", "simulate_day"]

log = logging.getLogger(__name__)

#: The strategies :func:`simulate_day` compares (module docstring).
STRATEGIES: tuple[str, ...] = ("static", "replan", "replan-cost")

_EPS = 1e-6


@dataclass(frozen=True)
class SimIncident:
    """An incident of a simulated day: its minute (after midnight), type and point on the network."""

    minute: float
    type: str
    block: int
    offset_m: float


@dataclass(frozen=True)
class SimDispatch:
    """One dispatch of a simulated day: the incident (1-based, in call order), when the unit was sent, which
    unit (the plan's name) and its ETA (minutes at response speed)."""

    incident: int
    called: float
    sent: float
    unit: str
    eta_min: float


@dataclass
class SimDay:
    """What a simulated day did.

    Attributes
    ----------
    strategy : str
    incidents : int
    response_min : list of float
        Per incident, minutes from the call to the unit's arrival (waiting for a free unit included).
    waited : int
        Incidents that waited for a unit to come free.
    replan_s, replan_cpu_s : list of float
        Wall-clock and CPU seconds (this process's) of each re-plan (``replan_from_record``).
    versions : int
        Plan versions at the end of the day (1 for ``static``).
    check : dict
        The checker's verdict on the day that happened (:func:`~patrol.planning.check.check_plan`, whole
        shift).
    unchanged_share : list of float
        Per re-plan, the share of remaining steps kept.
    plan : dict
        The day that happened, as a plan (its timeline is the units' true legs).
    dispatches : list of SimDispatch
    """

    strategy: str
    incidents: int
    response_min: list[float] = field(default_factory=list)
    waited: int = 0
    replan_s: list[float] = field(default_factory=list)
    replan_cpu_s: list[float] = field(default_factory=list)
    versions: int = 1
    check: dict = field(default_factory=dict)
    unchanged_share: list[float] = field(default_factory=list)
    plan: dict = field(default_factory=dict)
    dispatches: list[SimDispatch] = field(default_factory=list)

    def summary(self) -> dict:
        """The figures the benchmark reports (see ``docs/bench/liveday.md``)."""
        c = self.check
        rt = np.asarray(self.response_min, float)
        rp = np.asarray(self.replan_s, float)
        units = len(c.get("walk_km", {}))
        broken = {p.split(":")[0] for p in c.get("break_problems", [])}
        n = c.get("counts", {})
        hot_limit = float(self.plan.get("settings", {}).get("targets", {}).get("hotspot_revisit_min", math.inf))
        kept = {"corridor blocks within the revisit limit": (n.get("corridor_blocks", 0)
                                                              - len(c.get("corridor_blocks_over", [])),
                                                              n.get("corridor_blocks", 0)),
                "area blocks walked": (n.get("area_blocks", 0) - len(c.get("area_blocks_unvisited", [])),
                                       n.get("area_blocks", 0)),
                "businesses checked in with": (n.get("businesses_due", 0) - len(c.get("businesses_unchecked", [])),
                                               n.get("businesses_due", 0)),
                "hot spots within the revisit limit": (sum(1 for g in c.get("hotspot_gaps_min", [])
                                                           if g <= hot_limit + 1e-3), n.get("hotspots", 0)),
                "units with their breaks": (units - len(broken), units)}
        return {
            "strategy": self.strategy,
            "promises_kept": sum(k for k, _ in kept.values()),
            "promises": sum(t for _, t in kept.values()),
            "kept": {k: list(v) for k, v in kept.items()},
            "incidents": self.incidents,
            "valid": bool(c.get("valid")),
            "targets_met": sum(1 for t in c.get("targets", []) if t["met"] and t["target"] != "ready_p90_min"),
            "targets": sum(1 for t in c.get("targets", []) if t["target"] != "ready_p90_min"),
            "corridor_max_gap_min": c.get("corridor_max_gap_min"),
            "corridor_blocks_over": len(c.get("corridor_blocks_over", [])),
            "area_blocks_unvisited": len(c.get("area_blocks_unvisited", [])),
            "checkins_missed": len(c.get("businesses_unchecked", [])) + len(c.get("checkins_outside_hours", [])),
            "hotspot_max_gap_min": c.get("hotspot_max_gap_min"),
            "breaks_kept": f"{units - len(broken)}/{units}",
            "units_with_breaks_kept": units - len(broken),
            "units": units,
            "response_median_min": round(float(np.median(rt)), 2) if rt.size else None,
            "response_p90_min": round(float(np.percentile(rt, 90)), 2) if rt.size else None,
            "waited": self.waited,
            "replan_median_s": round(float(np.median(rp)), 3) if rp.size else None,
            "replan_p95_s": round(float(np.percentile(rp, 95)), 3) if rp.size else None,
            "replan_cpu_median_s": round(float(np.median(self.replan_cpu_s)), 3) if self.replan_cpu_s else None,
            "replan_cpu_p95_s": round(float(np.percentile(self.replan_cpu_s, 95)), 3) if self.replan_cpu_s else None,
            "unchanged_share_median": round(float(np.median(self.unchanged_share)), 3)
            if self.unchanged_share else None,
            "ready_p90_min": c.get("ready_p90_min"),
        }


def draw_incidents(district: District, per_day: float, seed: int) -> list[SimIncident]:
    """A day's dispatchable incidents from the demand model.

    Poisson count with mean ``per_day`` over the district's shift (the hourly profile of
    :class:`~patrol.coverage.montecarlo.IncidentModel` shapes the times), types by the program's mix,
    places by demand weight (:func:`patrol.demand.block_demand`), a uniform offset on the block.

    Parameters
    ----------
    district : District
    per_day : float
        Expected incidents in the shift.
    seed : int

    Returns
    -------
    list of SimIncident
        Sorted by minute.
    """
    if not (math.isfinite(per_day) and per_day >= 0):
        raise InputError(f"incidents per day must be a number >= 0, not {per_day!r}", field="per_day")
    shift = district.settings.shift
    model = IncidentModel(per_shift=1.0)
    model = replace(model, per_shift=per_day / max(model.expected_count(shift.start_min, shift.end_min), 1e-12))
    t, types, blocks, offsets, _ = _draw(model, shift.start_min, shift.end_min, block_demand(district),
                                         district.arrays.edge_length, np.random.default_rng(seed))
    return [SimIncident(float(m), k, int(b), float(o)) for m, k, b, o in
            zip(t.tolist(), types, blocks.tolist(), offsets.tolist(), strict=True)]


def _cut(legs: list[Leg], t: float) -> tuple[list[Leg], list[Leg]]:
    """Legs before and after minute ``t`` (the one under way split at ``t``)."""
    before, after = [], []
    for leg in legs:
        if leg.t1 <= t + _EPS:
            before.append(leg)
        elif leg.t0 >= t - _EPS:
            after.append(leg)
        else:
            x = leg.position(t)
            before.append(replace(leg, t1=t, off1=x))
            after.append(replace(leg, t0=t, off0=x))
    return before, after


def simulate_day(district: District, plan: dict, incidents: list[SimIncident], strategy: str, *,
                 cost_tolerance_s: float = 60.0) -> SimDay:
    """Run one simulated day (see the module docstring).

    Parameters
    ----------
    district : District
        The plan's district.
    plan : dict
        The morning plan (plan.json content, with its ``date``).
    incidents : list of SimIncident
    strategy : str
        One of :data:`STRATEGIES`.
    cost_tolerance_s : float
        Seconds within the nearest ETA where a lower cost wins (``replan-cost`` only).

    Returns
    -------
    SimDay

    Raises
    ------
    InputError
        An unknown strategy.
    PlanError
        A plan without a date.
    """
    if strategy not in STRATEGIES:
        raise InputError(f"unknown strategy {strategy!r}; use one of {', '.join(STRATEGIES)}", field="strategy")
    if not plan.get("date"):
        raise PlanError("the simulated day needs a plan with a date (patrol plan --date)", field="date")
    settings = district.settings
    tz = settings.district.timezone
    midnight = local_moment("00:00", tz, on=plan["date"])

    def at(minute: float) -> datetime:
        return midnight + timedelta(minutes=minute)

    tolerance = cost_tolerance_s if strategy == "replan-cost" else 0.0
    desk_district = district.with_settings(replace(settings, dispatch=replace(settings.dispatch,
                                                                              cost_tolerance_s=tolerance)))
    a = district.arrays
    sp = all_pairs(a)
    walk_speed = settings.speeds.patrol_m_s * 60.0
    resp_speed = settings.speeds.response_m_s * 60.0
    record = Record(":memory:", actor="simulation")
    current = dict(plan)
    current.setdefault("made_at", at(settings.shift.start_min - 1).isoformat())
    desk = Desk(desk_district, record=record, timeline=Timeline.from_dict(current["timeline"]),
                units=plan_units(current), plan_made_at=current["made_at"])
    true_legs = {w: list(v) for w, v in Timeline.from_dict(plan["timeline"]).legs.items()}
    day = SimDay(strategy, len(incidents))
    waiting: list[tuple[int, SimIncident]] = []
    events: list[tuple[float, int, str, int, str]] = []  # (minute, order, kind, incident id, unit)
    seq = 0
    for inc in incidents:
        rec = record.new_incident(type=inc.type, source="phone", location_text=f"block {inc.block}",
                                  lat=district.geocoder.point_on_block(inc.block, inc.offset_m)[0],
                                  lon=district.geocoder.point_on_block(inc.block, inc.offset_m)[1],
                                  block=inc.block, offset_m=inc.offset_m,
                                  in_area=bool(a.edge_in_area[inc.block]), at=at(inc.minute))
        heapq.heappush(events, (inc.minute, seq, "call", rec.id, ""))
        seq += 1
    by_id = {i + 1: inc for i, inc in enumerate(incidents)}

    def phones(minute: float) -> None:
        """Every unit's phone reports where it truly is."""
        pings = []
        tl = Timeline(true_legs)
        for u in desk.units:
            w = desk.plan_walker(u)
            pos = tl.position(w, minute) if w is not None else None
            if pos is None:
                continue
            lat, lon = district.geocoder.point_on_block(pos[0], pos[1])
            pings.append({"ambassador": u.name, "lat": lat, "lon": lon, "t": at(minute), "block": pos[0],
                          "offset_m": pos[1], "accuracy_m": 5.0})
        if pings:
            record.add_pings(pings, at=at(minute))

    def dispatch(incident_id: int, minute: float) -> bool:
        nonlocal current, seq
        inc = by_id[incident_id]
        phones(minute)
        try:
            asg = desk.assign(incident_id, when=at(minute))
        except InputError:
            return False
        eta = float(asg.eta_min or 0.0)
        on_scene = settings.dispatch.on_scene(inc.type)
        day.response_min.append(minute - inc.minute + eta)
        heapq.heappush(events, (minute + eta, seq, "arrive", incident_id, asg.ambassador))
        heapq.heappush(events, (minute + eta + on_scene, seq + 1, "resolve", incident_id, asg.ambassador))
        seq += 2
        walker = desk.plan_walker(desk.unit(asg.ambassador))
        if walker is None:
            return True
        day.dispatches.append(SimDispatch(incident_id, inc.minute, minute, walker, eta))
        if strategy == "static":
            before, after = _cut(true_legs[walker], minute)
            here = (before[-1].block, before[-1].off1) if before else (after[0].block, after[0].off0)
            go, t = walk_legs(sp, a, here, (inc.block, inc.offset_m), minute, resp_speed, "respond")
            free = minute + eta + on_scene
            scene = [Leg(t, free, inc.block, inc.offset_m, inc.offset_m, "respond", f"incident {incident_id}")]
            planned = [leg for leg in true_legs[walker] if leg.t0 >= free - _EPS]
            home = (true_legs[walker][-1].block, true_legs[walker][-1].off1)
            true_legs[walker] = before + go + scene + rejoin(sp, a, planned, (inc.block, inc.offset_m), free,
                                                             walk_speed, [], home)
        else:
            t0, c0 = time.perf_counter(), time.process_time()
            new = replan_from_record(record, district, current, at(minute), by="simulation",
                                     why=f"incident {incident_id}")
            day.replan_s.append(time.perf_counter() - t0)
            day.replan_cpu_s.append(time.process_time() - c0)
            current = new.to_dict()
            day.unchanged_share.append(float(current["summary"]["replan"]["unchanged_share"]))
            record.add_plan_version(current, minute=minute, why=f"incident {incident_id}")
            desk.use_plan(Timeline.from_dict(current["timeline"]), plan_units(current), current["made_at"])
            true_legs.clear()
            true_legs.update({w: list(v) for w, v in Timeline.from_dict(current["timeline"]).legs.items()})
        return True

    end = float(settings.shift.end_min)
    while events:
        minute, _, kind, incident_id, unit = heapq.heappop(events)
        if kind == "call":
            waiting.append((incident_id, by_id[incident_id]))
        elif kind == "arrive":
            record.unit_status(incident_id, unit, "on scene", at=at(minute))
        elif kind == "resolve":
            record.set_status(incident_id, "resolved", at=at(minute))
        # the calls waiting, oldest first: to whoever is free now; else try again in a minute (breaks end, too);
        # after the shift nobody is sent
        while waiting and minute < end and dispatch(waiting[0][0], minute):
            if waiting[0][1].minute < minute - _EPS:
                day.waited += 1
            waiting.pop(0)
        if waiting and minute + 1.0 < end and not any(e[2] == "retry" for e in events):
            heapq.heappush(events, (minute + 1.0, seq, "retry", 0, ""))
            seq += 1
    for incident_id, inc in waiting:  # never reached: nobody came free before the end of the shift
        log.warning("incident %d at %.0f: nobody came free before the end of the shift", incident_id, inc.minute)
        day.response_min.append(math.inf)

    done = dict(current)
    done["timeline"] = Timeline(true_legs).to_dict()
    done["walkers"] = {w: {k: v for k, v in info.items() if k != "steps"} for w, info in plan["walkers"].items()}
    day.plan = done
    day.versions = int(current.get("version", 1))
    day.check = check_plan(done, district, from_minute=settings.shift.start_min)
    record.close()
    return day
