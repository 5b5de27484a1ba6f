"""Re-plan the rest of a day after dispatches: the units that incidents took away get new steps from the
moment they are free again; everyone else keeps the plan.

A re-plan starts from the state at its minute:

* **who was taken away** (:class:`Diversion`): a unit sent to an incident left its plan at the assignment,
  walked to the incident at response speed, and is free again where the incident is, when it is expected to
  end (``dispatch.on_scene_min`` of its type) or when it ended; the caller reads these from the record
  (:func:`patrol.dispatch.positions.engagements`);
* **what is done**: the plan's steps up to the moment each unit left it (corridor passes, check-ins, dwells,
  breaks), and the check-ins logged in the record;
* **what is still due**: the due check-ins not done and not in the remaining steps of the units that keep
  their plan, the area blocks not yet walked, the hot spots the diverted units held, their breaks not taken.

Units that no incident touched keep their remaining steps exactly (stability: the lead and the phones see no
change for them).  The diverted units are scheduled again by the same scheduler (:mod:`.scheduler`) on their
own corridor stretches, from where and when they are free, with the corridor's last passes and the hot
spots' last dwells of the day so far; a target the history already broke (a corridor block left longer than
the limit while its walker was away) is *lost*, and the re-plan says so.  Deterministic for a plan and its
diversions.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from typing import Any

import numpy as np

from patrol.district import District
from patrol.errors import PlanError
from patrol.paths import ShortestPaths, all_pairs
from patrol.planning.duties import day_input
from patrol.planning.model import BreakSlot, Unit, UnitSpec
from patrol.planning.plan import DailyPlan
from patrol.planning.repair import repair_day
from patrol.planning.scheduler import run_segments
from patrol.planning.score import summarize, tally
from patrol.planning.segments import Segment, segment_load, segment_of
from patrol.settings import settings_from_dict
from patrol.timeline import Leg, Timeline

__all__ = ["Diversion", "replan"]

log = logging.getLogger(__name__)

_EPS = 1e-6


@dataclass(frozen=True)
class Diversion:
    """A unit taken off its plan by an incident.

    Attributes
    ----------
    unit : str
        The plan's unit name.
    start : float
        Minute it left the plan (the assignment).
    free : float
        Minute it is free again (the incident's expected or recorded end).
    block, offset_m : int, float
        The incident's point, where it is free again.
    incident_id : int or None
    """

    unit: str
    start: float
    free: float
    block: int
    offset_m: float
    incident_id: int | None = None


def _cut(legs: list[Leg], t: float) -> list[Leg]:
    """The legs before minute ``t`` (the one under way cut at ``t``)."""
    out = []
    for leg in legs:
        if leg.t1 <= t + _EPS:
            out.append(leg)
        elif leg.t0 < t - _EPS:
            out.append(dataclasses.replace(leg, t1=t, off1=leg.position(t)))
    return out


def _walk(sp: ShortestPaths, a: Any, frm: tuple[int, float], to: tuple[int, float], t: float,
          speed: float, activity: str) -> tuple[list[Leg], float]:
    """Legs walking the shortest way from point ``frm`` to point ``to`` (block, offset) at ``speed`` m/min."""
    (b0, o0), (b1, o1) = frm, to
    if b0 == b1:
        return ([Leg(t, t + abs(o1 - o0) / speed, b0, o0, o1, activity)] if abs(o1 - o0) > _EPS else []), \
            t + abs(o1 - o0) / speed
    L0, L1 = float(a.edge_length[b0]), float(a.edge_length[b1])
    ends0 = ((int(a.edge_u[b0]), 0.0), (int(a.edge_v[b0]), L0))
    ends1 = ((int(a.edge_u[b1]), 0.0), (int(a.edge_v[b1]), L1))
    (x, ox), (y, oy) = min(((e0, e1) for e0 in ends0 for e1 in ends1),
                           key=lambda p: abs(o0 - p[0][1]) + sp.dist[p[0][0], p[1][0]] + abs(o1 - p[1][1]))
    legs: list[Leg] = []

    def go(b: int, p: float, q: float) -> None:
        nonlocal t
        if abs(q - p) > _EPS:
            legs.append(Leg(t, t + abs(q - p) / speed, b, p, q, activity))
            t = legs[-1].t1

    go(b0, o0, ox)
    for b, node in sp.path(x, y):
        L = float(a.edge_length[b])
        fwd = int(a.edge_u[b]) == node
        go(b, 0.0 if fwd else L, L if fwd else 0.0)
    go(b1, oy, o1)
    return legs, t


def _specs(plan: dict, settings_start: int, settings_end: int) -> list[UnitSpec]:
    out = []
    for name, w in plan["walkers"].items():
        hours = w.get("hours") or []
        a = int(round(_minute(hours[0]))) if hours else settings_start
        b = int(round(_minute(hours[1]))) if hours else settings_end
        out.append(UnitSpec(name, tuple(w.get("members", [name])), w.get("role", "walker"), a, b))
    return out


def _minute(hhmm: str) -> float:
    h, m = hhmm.split(":")
    return int(h) * 60 + int(m)


def _legs(plan: dict) -> dict[str, list[Leg]]:
    return Timeline.from_dict(plan["timeline"]).legs


def replan(district: District, plan: dict, at: float, diversions: list[Diversion], *,
           logged: set[int] | frozenset[int] = frozenset(), by: str = "", why: str = "") -> DailyPlan:
    """A new version of ``plan`` from minute ``at`` (see the module docstring).

    Parameters
    ----------
    district : District
        The plan's district (:func:`patrol.district.district_for_plan`).
    plan : dict
        The current version's plan.json content.
    at : float
        The re-plan's minute (minutes after midnight).
    diversions : list of Diversion
        The units incidents took away (one per unit: its first diversion since the plan was made).
    logged : set of int
        Businesses (district indices) the record says were checked in with today.
    by, why : str
        Who re-plans and why (kept with the version).

    Returns
    -------
    DailyPlan
        The new version: ``version`` one more, ``replan`` saying when, who, why, the units changed, the share
        of remaining steps kept, and the targets the day had already lost.

    Raises
    ------
    PlanError
        A diversion names a unit the plan does not have, or a time outside the day.
    """
    settings = settings_from_dict(plan["settings"], base=district.settings)
    a = district.arrays
    net = all_pairs(a)
    old = _legs(plan)
    specs = _specs(plan, settings.shift.start_min, settings.shift.end_min)
    by_name = {s.name: s for s in specs}
    div: dict[str, Diversion] = {}
    for d in sorted(diversions, key=lambda d: d.start):
        if d.unit not in by_name:
            raise PlanError(f"the plan has no unit {d.unit!r} (it has {', '.join(by_name)})", field="unit")
        if d.unit in div or d.start >= by_name[d.unit].end:
            continue
        div[d.unit] = d
    if not settings.shift.start_min <= at <= settings.shift.end_min:
        raise PlanError(f"the re-plan's minute {at:.0f} is outside the shift", field="at")

    # the diverted units: their plan up to the assignment, the walk to the incident, on scene until free
    speed = settings.speeds.response_m_s * 60.0
    head: dict[str, list[Leg]] = {}
    join: dict[str, tuple[float, int]] = {}
    for name, d in div.items():
        before = _cut(old[name], max(d.start, by_name[name].start))
        here = (before[-1].block, before[-1].off1) if before else (int(a.edge_u[0]), 0.0)
        t0 = before[-1].t1 if before else d.start
        legs, t = _walk(net, a, here, (d.block, d.offset_m), t0, speed, "respond")
        free = min(max(d.free, t), float(by_name[name].end))
        if free > t + _EPS:
            legs.append(Leg(t, free, d.block, d.offset_m, d.offset_m, "respond", "incident" if d.incident_id is None
                            else f"incident {d.incident_id}"))
        # free at the incident's point: go on from the nearer end of its block
        end_u, end_v, L = int(a.edge_u[d.block]), int(a.edge_v[d.block]), float(a.edge_length[d.block])
        end_node, end_off = (end_u, 0.0) if d.offset_m <= L / 2 else (end_v, L)
        to_end, t_end = _walk(net, a, (d.block, d.offset_m), (d.block, end_off), free, settings.speeds.patrol_m_s * 60,
                              "walk")
        head[name] = before + legs + to_end
        join[name] = (t_end, end_node)

    # what is done, and what the units keeping their plan will still do
    keep = [s.name for s in specs if s.name not in div]
    history = [Unit(n, [], "walker", [], 0.0, 0.0, 0, steps=list(head[n])) for n in div]
    history += [Unit(n, [], "walker", [], 0.0, 0.0, 0, steps=_cut(old[n], min(j[0] for j in join.values())
                                                                    if join else at)) for n in keep]
    kept = [Unit(n, [], "walker", [], 0.0, 0.0, 0, steps=list(old[n])) for n in keep]
    done = tally(history, a.edge_length)
    future = tally(kept, a.edge_length)
    due = np.array([int(x["index"]) for x in plan.get("checkins_due", [])], dtype=np.int64)
    checked_by = {leg.business for u in history + kept for leg in u.steps if leg.activity == "checkin"}
    taken = set(logged) | checked_by
    hot = [int(h["block"]) for h in plan.get("hotspots", [])]
    held = {leg.block for n in div for leg in old[n] if leg.activity == "dwell"}  # hot spots the diverted held

    replanned: dict[str, list[Leg]] = {}
    if div:
        names = list(div)
        base_inp = day_input(district, settings, [h for h in hot if h in held], due[[i not in taken for i in due]]
                             if due.size else due, int(plan.get("seed", 0)))
        need = base_inp.required_visits.copy()
        for b, ts in list(done.passes.items()) + list(future.passes.items()):
            need[b] = max(0, need[b] - len(ts))
        corridor_last = np.full(a.n_edges, -np.inf)
        for b, ts in done.passes.items():
            corridor_last[b] = max(ts)
        hot_last = {h: max((t1 for _, t1 in done.dwells.get(h, [])), default=float(settings.shift.start_min))
                    for h in base_inp.hotspots}
        inp = dataclasses.replace(base_inp, required_visits=need, corridor_last=corridor_last,
                                  hotspot_last=hot_last)
        segs: list[Segment | None] = []
        load = segment_load(inp)
        blocks_of = {s["unit"]: s["blocks"] for s in plan.get("design", {}).get("segments", [])}
        for n in names:
            blocks = blocks_of.get(n)
            segs.append(None if not blocks else segment_of(blocks, edge_u=a.edge_u, edge_v=a.edge_v,
                                                           edge_length=a.edge_length, load=load,
                                                           speed_m_min=inp.speed_m_min, net=net))
        units = []
        for n in names:
            t_join, node = join[n]
            breaks: list[BreakSlot] = []  # its breaks not taken before it left, at their time or when free
            for leg in old[n]:
                if leg.activity == "break" and leg.t0 >= div[n].start - _EPS:
                    s0 = int(np.ceil(max(leg.t0, t_join, breaks[-1].end if breaks else 0)))
                    breaks.append(BreakSlot(s0, s0 + int(round(leg.t1 - leg.t0)),
                                            "meal" if leg.ref.startswith("meal") else "rest"))
            spec = by_name[n]
            units.append(Unit(n, list(spec.members), spec.role, breaks, float(t_join), float(spec.end), node))
        tallies = run_segments(inp, units, net, segs, tour_cache={})
        repair_day(inp, units, tallies["checked"], net, settings.targets.balance_ratio_max)
        for u in units:
            replanned[u.name] = u.steps

    steps = {s.name: (head[s.name] + replanned.get(s.name, []) if s.name in div else list(old[s.name]))
             for s in specs}
    return _version(district, plan, settings, specs, steps, at, div, by, why, old)


def _version(district: District, plan: dict, settings: Any, specs: list[UnitSpec], steps: dict[str, list[Leg]],
             at: float, div: dict[str, Diversion], by: str, why: str, old: dict[str, list[Leg]]) -> DailyPlan:
    """The new version as a :class:`DailyPlan`, its summary recomputed, and what changed."""
    a = district.arrays
    due = [int(x["index"]) for x in plan.get("checkins_due", [])]
    hot = [int(h["block"]) for h in plan.get("hotspots", [])]
    inp = day_input(district, settings, hot, np.asarray(due, dtype=np.int64), int(plan.get("seed", 0)))
    done = {leg.business for legs in steps.values() for leg in legs if leg.activity == "checkin"}
    checked = np.array([i in done for i in due], dtype=bool)
    units = [Unit(s.name, list(s.members), s.role, [BreakSlot(int(leg.t0), int(leg.t1), "rest") for leg in
                                                   steps[s.name] if leg.activity == "break"],
                  float(s.start), float(s.end), district.base_index, steps=steps[s.name]) for s in specs]
    for u in units:
        u.checkins = sum(1 for leg in u.steps if leg.activity == "checkin")
        u.dwell_min = float(sum(leg.t1 - leg.t0 for leg in u.steps if leg.activity == "dwell"))
    summary, short = summarize(district, settings, inp, units, checked, plan.get("summary", {}).get("corridor", {}),
                               [])
    remaining_old = sum(1 for legs in old.values() for leg in legs if leg.t1 > at + _EPS)
    kept = sum(1 for n, legs in old.items() if n not in div for leg in legs if leg.t1 > at + _EPS)
    dwells = tally(units, a.edge_length).dwells
    hotspots = [dict(h, dwells=[[round(x, 2), round(y, 2)] for x, y in dwells.get(int(h["block"]), [])])
                for h in plan.get("hotspots", [])]
    due_list = [dict(x, checked=bool(x["index"] in done)) for x in plan.get("checkins_due", [])]
    version = int(plan.get("version", 1)) + 1
    summary["replan"] = {
        "version": version, "previous_version": version - 1, "at": at, "by": by, "why": why,
        "changed_units": sorted(div),
        "unchanged_share": round(kept / remaining_old, 3) if remaining_old else 1.0,
        "lost": [s.to_dict() for s in short if s.target not in {x.get("target") for x in plan.get("shortfalls", [])}],
        "diversions": [dataclasses.asdict(d) for d in div.values()],
    }
    return DailyPlan(district, plan["day"], plan.get("date"), int(plan.get("seed", 0)), plan["settings"], specs,
                     hotspots, due_list, steps, summary, short, plan.get("design", {}),
                     dict(plan.get("day_roster", {})), plan.get("hotspot_source", {"history": None}), version)
