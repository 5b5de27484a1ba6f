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
import math
from dataclasses import dataclass
from typing import Any

import networkx as nx
import numpy as np

from patrol.demand import block_demand
from patrol.district import District
from patrol.errors import PlanError
from patrol.paths import ShortestPaths, all_pairs
from patrol.planning.duties import day_input
from patrol.planning.model import BreakSlot, Shortfall, Unit, UnitSpec
from patrol.planning.plan import DailyPlan
from patrol.planning.ready import Readiness, readiness
from patrol.planning.repair import repair_day
from patrol.planning.scheduler import run_segments
from patrol.planning.score import summarize, tally
from patrol.planning.segments import segment_load, segment_of
from patrol.settings import format_hhmm, parse_hhmm, settings_from_dict
from patrol.timeline import Leg, Timeline

__all__ = ["EVENT_REF", "Diversion", "point_metres", "presence_legs", "rejoin", "replan", "walk_legs"]

log = logging.getLogger(__name__)

_EPS = 1e-6
#: Minutes a diverted unit's first pending break may be put off, tried in turn (module docstring).
_DELAYS = (15.0, 30.0, 45.0, 60.0, 90.0)
#: Minutes over a revisit limit are compared in steps of this many (:func:`_after`).
_STEP_MIN = 15.0
_ON_STREET = frozenset({"walk", "checkin", "dwell", "post", "respond"})
#: The ``ref`` of the legs that keep a special event's presence (a post at its point, or walks round its blocks).
EVENT_REF = "event: "


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
    on_scene_min : float
        Minutes on scene after the walk there, when it has not arrived yet (it is free at the later of
        ``free`` and its arrival plus these minutes; the walk is the re-plan's own, at response speed).
    kind : str
        ``incident`` (the walk at response speed, then on scene) or ``event`` (a special event's presence: the
        walk at patrol speed, then a post at the point, or walks round ``loop``; :mod:`.event_duty`).
    label : str
        The presence legs' ``ref`` for an event (``"event: <name>"``).
    loop : tuple of int
        For an event walked round: its blocks.
    """

    unit: str
    start: float
    free: float
    block: int
    offset_m: float
    incident_id: int | None = None
    on_scene_min: float = 0.0
    kind: str = "incident"
    label: str = ""
    loop: tuple[int, ...] = ()


def _cut(legs: list[Leg], t: float) -> list[Leg]:
    """The legs before minute ``t`` (the one under way cut at ``t``)."""
    out = []
    for leg in legs:
        if leg.t1 <= t + _EPS:
            out.append(leg)
        elif leg.t0 < t - _EPS:
            out.append(dataclasses.replace(leg, t1=t, off1=leg.position(t)))
    return out


def walk_legs(sp: ShortestPaths, a: Any, frm: tuple[int, float], to: tuple[int, float], t: float,
          speed: float, activity: str) -> tuple[list[Leg], float]:
    """Legs walking the shortest way from point ``frm`` to point ``to`` at ``speed`` m/min.

    Parameters
    ----------
    sp : ShortestPaths
        All-pairs shortest paths of the district (:func:`patrol.paths.all_pairs`).
    a : DistrictArrays
    frm, to : tuple of (int, float)
        Points as (block, offset in metres from the block's ``u`` end).
    t : float
        Minute the walk starts.
    speed : float
        Metres per minute.
    activity : str
        The legs' activity (``walk``, ``respond``).

    Returns
    -------
    legs : list of Leg
        The walk (empty when the points coincide).
    t_end : float
        Minute it arrives.
    """
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
        a = parse_hhmm(hours[0]) if hours else settings_start
        b = parse_hhmm(hours[1]) if hours else settings_end
        out.append(UnitSpec(name, tuple(w.get("members", [name])), w.get("role", "walker"), a, b))
    return out


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
    walk_speed = settings.speeds.patrol_m_s * 60.0
    head: dict[str, list[Leg]] = {}
    join: dict[str, tuple[float, int]] = {}
    rest: dict[str, list[Leg]] = {}  # its planned steps from when it is free on
    point: dict[str, tuple[int, float]] = {}  # where it is free
    for name, d in div.items():
        before = _cut(old[name], max(d.start, by_name[name].start))
        here = (before[-1].block, before[-1].off1) if before else (int(a.edge_u[0]), 0.0)
        t0 = before[-1].t1 if before else d.start
        if d.kind == "event":
            legs, t = walk_legs(net, a, here, (d.block, d.offset_m), t0, walk_speed, "walk")
            free = max(d.free, t)
            legs += presence_legs(net, a, (d.block, d.offset_m), d.loop, t, free, walk_speed, d.label)
        else:
            legs, t = walk_legs(net, a, here, (d.block, d.offset_m), t0, speed, "respond")
            free = max(d.free, t + d.on_scene_min)  # an incident may keep it past its hours
            if free > t + _EPS:
                legs.append(Leg(t, free, d.block, d.offset_m, d.offset_m, "respond",
                                "incident" if d.incident_id is None else f"incident {d.incident_id}"))
        head[name] = before + legs
        where = (legs[-1].block, legs[-1].off1) if legs else (d.block, d.offset_m)
        join[name] = (free, -1)
        point[name] = where
        rest[name] = [x for x in old[name] if x.t0 >= free - _EPS]

    # what is done, and what the units keeping their plan will still do
    keep = [s.name for s in specs if s.name not in div]
    history = [Unit(n, [], "walker", [], 0.0, 0.0, 0, steps=list(head[n])) for n in div]
    history += [Unit(n, [], "walker", [], 0.0, 0.0, 0, steps=_cut(old[n], min(j[0] for j in join.values())
                                                                    if join else at)) for n in keep]
    kept = [Unit(n, [], "walker", [], 0.0, 0.0, 0, steps=list(old[n])) for n in keep]
    done = tally(history, a.edge_length)
    future = tally(kept, a.edge_length)
    due = np.array([int(x["index"]) for x in plan.get("checkins_due", [])], dtype=np.int64)
    tg = settings.targets
    hot = [int(h["block"]) for h in plan.get("hotspots", [])]

    def full_checkins(legs: list[Leg]) -> set[int]:
        """Businesses checked in with in full (a check-in an incident cut short is still due)."""
        return {x.business for x in legs if x.activity == "checkin" and x.t1 - x.t0 >= tg.checkin_min - _EPS}

    # each diverted unit in turn (the first free first) gets the best of: back on its plan (walking to the first
    # planned step it can reach in time, taking the breaks the incident pushed there first, or not), or its
    # stretch scheduled again from where it is free, its first pending break at once or put off (a unit back
    # from an incident may walk its overdue corridor first and eat later, inside the meal window); "best" is
    # what misses the targets least from the re-plan's minute on (:func:`_after`), back on the plan on a tie
    names = sorted(div, key=lambda n: (join[n][0], n))
    home = {n: (old[n][-1].block, old[n][-1].off1) for n in names}
    decided: dict[str, list[Leg]] = {n: rejoin(net, a, rest[n], point[n], join[n][0],
                                               walk_speed, _missed(old[n], div[n].start, join[n][0]), home[n])
                                     for n in names}
    blocks_of = {s["unit"]: s["blocks"] for s in plan.get("design", {}).get("segments", [])}
    we = parse_hhmm(settings.breaks.meal_window[1])
    cache: dict = {}

    def key(choice: dict[str, list[Leg]]) -> tuple[float, ...]:
        return _after(settings, district, plan, at, {s.name: head[s.name] + choice[s.name] if s.name in div
                                                     else old[s.name] for s in specs}, specs)

    for n in names:
        d, spec = div[n], by_name[n]
        options = [decided[n], rejoin(net, a, rest[n], point[n], join[n][0], walk_speed, [], home[n])]
        best_key = key(decided)
        best = decided[n]
        if not any(best_key):
            continue
        # scheduled again: from the nearer end of the block it is free on, with what the others leave undone
        # (not when an event's presence is still ahead in its plan: its stretch scheduled again would drop it)
        fb, fo = point[n]
        L = float(a.edge_length[fb])
        end_off = 0.0 if fo <= L / 2 else L
        node = int(a.edge_u[fb]) if end_off == 0.0 else int(a.edge_v[fb])
        to_end, t_join = walk_legs(net, a, (fb, fo), (fb, end_off), join[n][0], walk_speed, "walk")
        if any(x.ref.startswith(EVENT_REF) for x in rest[n]):
            to_end, t_join = [], math.inf
        others = [x for m in names if m != n for x in decided[m]]
        taken = set(logged) | full_checkins([x for u in history + kept for x in u.steps] + others)
        held = sorted({x.block for x in old[n] if x.activity == "dwell"} & set(hot))
        pending = [(x.t0, int(round(x.t1 - x.t0)), "meal" if x.ref.startswith("meal") else "rest")
                   for x in old[n] if x.activity == "break" and x.t1 > d.start + _EPS]
        if t_join + float(net.dist[node, district.base_index]) / walk_speed + sum(p[1] for p in pending) \
                < spec.end - _EPS:
            inp = _unit_input(district, settings, plan, held, due, taken, done, future, tally(
                [Unit(m, [], "walker", [], 0.0, 0.0, 0, steps=decided[m]) for m in names if m != n], a.edge_length))
            blocks = blocks_of.get(n)
            seg = None if not blocks else segment_of(blocks, edge_u=a.edge_u, edge_v=a.edge_v,
                                                     edge_length=a.edge_length, load=segment_load(inp),
                                                     speed_m_min=inp.speed_m_min, net=net)
            first = max(pending[0][0], t_join) if pending else t_join
            for put_off in (0.0, *_DELAYS):
                if pending and put_off and ((pending[0][2] == "meal" and first + put_off + pending[0][1] > we)
                                            or first + put_off + pending[0][1] > spec.end):
                    break
                if not pending and put_off:
                    break
                breaks: list[BreakSlot] = []  # at their time, or when free (the first one ``put_off`` later)
                for j, (b0, dur, kind) in enumerate(pending):
                    s0 = int(np.ceil(max(b0, t_join, breaks[-1].end if breaks else 0) + (put_off if j == 0 else 0.0)))
                    breaks.append(BreakSlot(s0, s0 + dur, kind))
                unit = Unit(n, list(spec.members), spec.role, breaks, float(t_join), float(spec.end), node)
                tallies = run_segments(inp, [unit], net, [seg], tour_cache=cache)
                repair_day(inp, [unit], tallies["checked"], net, tg.balance_ratio_max)
                options.append(to_end + unit.steps)
        for legs in options[1:]:
            k = key({**decided, n: legs})
            if k < best_key:
                best_key, best = k, legs
        decided[n] = best

    steps = {s.name: (head[s.name] + decided[s.name] if s.name in div else list(old[s.name])) for s in specs}
    return _version(district, plan, settings, specs, steps, at, div, by, why, old)


def _missed(legs: list[Leg], left: float, free: float) -> list[tuple[float, str]]:
    """The breaks a unit's plan had it take (or finish) while an incident kept it away: (minutes, what)."""
    return [(x.t1 - x.t0, x.ref or "break") for x in legs
            if x.activity == "break" and x.t1 > left + _EPS and x.t0 < free - _EPS]


def presence_legs(sp: ShortestPaths, a: Any, at: tuple[int, float], loop: tuple[int, ...], t: float, until: float,
                  speed: float, label: str) -> list[Leg]:
    """A special event's presence from minute ``t`` to ``until``: a post at point ``at``, or, with ``loop``, walks
    round those blocks (each walked end to end in turn, joined by the shortest way, again and again), cut at
    ``until`` and ending with a post where the last walk stops.

    Parameters
    ----------
    sp : ShortestPaths
    a : DistrictArrays
    at : tuple of (int, float)
        The event's point (block, offset): where a post stands and a loop starts.
    loop : tuple of int
        The blocks walked round (empty: a post).
    t, until : float
        Minutes.
    speed : float
        Walking metres per minute.
    label : str
        Every leg's ``ref``.

    Returns
    -------
    list of Leg
        Legs covering ``t`` to ``until`` without a gap.
    """
    out: list[Leg] = []
    where = at
    tour = _round(a, loop, at) if loop else []
    if tour:
        b0, fwd0 = tour[0]
        start = (b0, 0.0 if fwd0 else float(a.edge_length[b0]))
        out, t = walk_legs(sp, a, at, start, t, speed, "walk")
        k = 0
        while t < until - _EPS:
            b, fwd = tour[k % len(tour)]
            L = float(a.edge_length[b])
            p, q = (0.0, L) if fwd else (L, 0.0)
            if t + L / speed > until:  # cut at the end of the presence
                q = p + (q - p) * (until - t) * speed / max(L, _EPS)
            out.append(Leg(t, min(t + L / speed, until), b, p, q, "walk"))
            t = out[-1].t1
            k += 1
        where = (out[-1].block, out[-1].off1) if out else at
    begin = out[0].t0 if out else t
    out = [dataclasses.replace(x, ref=label) for x in out]
    if until > (out[-1].t1 if out else begin) + _EPS:
        b, o = where
        out.append(Leg(out[-1].t1 if out else begin, until, b, o, o, "post", label))
    return out


def _round(a: Any, blocks: tuple[int, ...], at: tuple[int, float]) -> list[tuple[int, bool]]:
    """A closed walk over ``blocks`` that never leaves them: an Euler circuit of their graph, made Eulerian by
    walking some blocks twice (:func:`networkx.eulerize`), from the end of the point's block nearer the point.
    (block, forward) in order; empty when the blocks are not connected or have no length."""
    g = nx.MultiGraph()
    for b in dict.fromkeys(int(x) for x in blocks):
        g.add_edge(int(a.edge_u[b]), int(a.edge_v[b]), block=b)
    if g.number_of_edges() == 0 or not nx.is_connected(g) or not sum(float(a.edge_length[b]) for b in blocks) > 0:
        return []
    if not nx.is_eulerian(g):
        g = nx.eulerize(g)
    b0, o0 = at
    first = int(a.edge_u[b0]) if o0 <= float(a.edge_length[b0]) / 2 else int(a.edge_v[b0])
    source = first if first in g else next(iter(g.nodes))
    tour = []
    for u, v, k in nx.eulerian_circuit(g, source=source, keys=True):
        b = g.edges[u, v, k].get("block")
        if b is None:  # a block walked again (eulerize's copy): the shortest of the event's blocks there
            b = min((d["block"] for d in g.get_edge_data(u, v).values() if "block" in d),
                    key=lambda x: float(a.edge_length[x]))
        tour.append((int(b), int(a.edge_u[b]) == u))
    return tour


def point_metres(sp: ShortestPaths, a: Any, frm: tuple[int, float], to: tuple[int, float]) -> float:
    """Walking metres between two points (block, offset): along the block when both are on it, else through the
    nearer ends of their blocks."""
    if frm[0] == to[0]:
        return abs(frm[1] - to[1])
    ends0 = ((int(a.edge_u[frm[0]]), 0.0), (int(a.edge_v[frm[0]]), float(a.edge_length[frm[0]])))
    ends1 = ((int(a.edge_u[to[0]]), 0.0), (int(a.edge_v[to[0]]), float(a.edge_length[to[0]])))
    return min(abs(frm[1] - p) + float(sp.dist[x, y]) + abs(to[1] - q) for x, p in ends0 for y, q in ends1)


def rejoin(sp: ShortestPaths, a: Any, legs: list[Leg], where: tuple[int, float], free: float, speed: float,
           breaks: list[tuple[float, str]], home: tuple[int, float]) -> list[Leg]:
    """A unit free at ``where`` at minute ``free`` goes back on its plan: it walks to the first planned step it can
    reach in time (the start of one of ``legs``), takes ``breaks`` there first, stands there if early, and goes
    on with the plan; what the plan had it do meanwhile is not done.  When no planned step can be reached in
    time, it walks to ``home`` (where its plan ends: the base), late if it must.

    Parameters
    ----------
    sp : ShortestPaths
    a : DistrictArrays
    legs : list of Leg
        Its planned steps from ``free`` on (the last one ends at the base).
    where : tuple of (int, float)
        Its point (block, offset).
    free : float
        The minute it is free.
    speed : float
        Walking metres per minute.
    breaks : list of (float, str)
        Breaks to take on arrival, before the plan goes on: (minutes, what).
    home : tuple of (int, float)
        Where its plan ends.

    Returns
    -------
    list of Leg
        Its steps from ``free`` on.
    """
    pause = sum(m for m, _ in breaks)
    goals = [(x.t0, (x.block, x.off0), i) for i, x in enumerate(legs) if x.t0 >= free - _EPS]
    if legs:
        goals.append((legs[-1].t1, home, len(legs)))
    for t, point, i in goals:
        if free + point_metres(sp, a, where, point) / speed + pause <= t + _EPS:
            out, now = walk_legs(sp, a, where, point, free, speed, "walk")
            for minutes, what in breaks:
                out.append(Leg(now, now + minutes, point[0], point[1], point[1], "break", what))
                now += minutes
            if t > now + _EPS:
                out.append(Leg(now, t, point[0], point[1], point[1], "post", "back on the plan"))
            return out + legs[i:]
    return walk_legs(sp, a, where, home, free, speed, "walk")[0]


def _unit_input(district: District, settings: Any, plan: dict, held: list[int], due: np.ndarray, taken: set[int],
                done: Any, future: Any, others: Any) -> Any:
    """The scheduler's input for one diverted unit: its hot spots, the due check-ins nobody else makes, the area
    blocks nobody walks, the corridor's and its hot spots' last passes and dwells so far."""
    a = district.arrays
    tg = settings.targets
    inp = day_input(district, settings, held, due[[i not in taken for i in due]] if due.size else due,
                    int(plan.get("seed", 0)))
    need = inp.required_visits.copy()
    for b, ts in [*done.passes.items(), *future.passes.items(), *others.passes.items()]:
        need[b] = max(0, need[b] - len(ts))
    corridor_last = np.full(a.n_edges, -np.inf)
    for b, ts in done.passes.items():
        corridor_last[b] = max(ts)
    hot_last = {h: max((t1 for t0, t1 in done.dwells.get(h, []) if t1 - t0 >= tg.hotspot_dwell_min[0] - _EPS),
                       default=float(settings.shift.start_min)) for h in inp.hotspots}
    return dataclasses.replace(inp, required_visits=need, corridor_last=corridor_last, hotspot_last=hot_last)


def _after(settings: Any, district: District, plan: dict, at: float, steps: dict[str, list[Leg]],
           specs: list[UnitSpec]) -> tuple[float, ...]:
    """How far a day's steps miss the targets from minute ``at`` on, in the order of ``targets.priority``.

    The gaps that ended before ``at`` are history and do not count.  Amounts: breaks missing (a meal
    inside its window, the rest breaks' count, per unit as planned), corridor minutes over the revisit limit
    (summed over blocks, in 15-minute steps), hot-spot minutes over the limit (summed, in 15-minute steps), due
    businesses without a full check-in,
    area blocks not walked, minutes with fewer people on the street than the minimum, minutes over the
    ready-to-respond limit (only with ``targets.ready_required``); balance is not compared (a re-plan moves
    few units).
    """
    tg = settings.targets
    a = district.arrays
    start, end = float(settings.shift.start_min), float(settings.shift.end_min)
    units = [Unit(n, [], "walker", [], 0.0, 0.0, 0, steps=legs) for n, legs in steps.items()]
    tl = tally(units, a.edge_length)

    def over(points: list[float], lo: float, limit: float) -> float:
        pts = [lo, *sorted(points), end]
        return float(sum(max(0.0, y - x - limit) for x, y in zip(pts, pts[1:], strict=False) if y > at + _EPS))

    corr = np.flatnonzero(a.edge_in_area & a.edge_corridor)
    lo = start + tg.corridor_first_visit_min - tg.corridor_revisit_min
    corridor = sum(over(tl.passes.get(int(b), []), lo, tg.corridor_revisit_min) for b in corr)
    hot = 0.0
    for h in (int(x["block"]) for x in plan.get("hotspots", [])):
        ok = sorted(d for d in tl.dwells.get(h, []) if d[1] - d[0] >= tg.hotspot_dwell_min[0] - _EPS)
        cur, worst = start, 0.0
        for t0, t1 in ok:
            if t0 > at + _EPS:
                worst += max(0.0, t0 - cur - tg.hotspot_revisit_min)
            cur = max(cur, t1)
        hot += worst + max(0.0, end - cur - tg.hotspot_revisit_min)
    done = {leg.business for legs in steps.values() for leg in legs
            if leg.activity == "checkin" and leg.t1 - leg.t0 >= tg.checkin_min - _EPS}
    checkins = sum(1 for x in plan.get("checkins_due", []) if int(x["index"]) not in done)
    area = int(np.sum(a.edge_in_area & ~a.edge_corridor & np.array([len(tl.passes.get(b, [])) < tg.area_visits_per_shift
                                                                    for b in range(a.n_edges)])))
    breaks = sum(int(meal) + short for _, meal, short, _ in _break_misses(settings, specs, steps))
    _, on, need = _on_street(settings, specs, steps, max(at, start))
    on_street = int(np.sum(on < need))
    # minutes over in steps of _STEP_MIN, so that a few minutes' difference does not outweigh the targets after
    amounts = {"breaks": breaks, "corridor": math.ceil(corridor / _STEP_MIN - 1e-9),
               "hotspots": math.ceil(hot / _STEP_MIN - 1e-9), "checkins": checkins,
               "area": area, "on_street": on_street, "balance": 0,
               "ready": _ready(settings, district, steps, at).minutes_over if tg.ready_required else 0}
    return tuple(float(amounts[t]) for t in tg.priority)


def _break_misses(settings: Any, specs: list[UnitSpec], steps: dict[str, list[Leg]]
                  ) -> list[tuple[str, bool, int, int]]:
    """Per unit short of breaks: (unit, its meal is missing from the meal window, breaks short of the number it
    needs, that number) (the meal counts among them; a unit with all its breaks is not listed)."""
    br = settings.breaks
    ws, we = (parse_hhmm(x) for x in br.meal_window)
    start, end = float(settings.shift.start_min), float(settings.shift.end_min)
    out = []
    for spec in specs:
        legs = [leg for leg in steps[spec.name] if leg.activity == "break"]
        has_meal = br.meal_min > 0 and (spec.end - spec.start) / 60.0 >= br.meal_after_h
        no_meal = has_meal and not any(leg.t1 - leg.t0 >= br.meal_min - _EPS and leg.t0 >= ws - _EPS
                                       and leg.t1 <= we + _EPS for leg in legs)
        need = int(round(br.rest_count * (spec.end - spec.start) / max(end - start, 1.0))) + int(has_meal)
        if no_meal or len(legs) < need:
            out.append((spec.name, no_meal, max(0, need - len(legs)), need))
    return out


def _on_street(settings: Any, specs: list[UnitSpec], steps: dict[str, list[Leg]], from_min: float
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """At every minute from ``from_min`` to the shift's end (their middles): the people on the street (on a step of
    :data:`_ON_STREET`) and the least wanted (the minimum, or everyone on duty when fewer are)."""
    br = settings.breaks
    minutes = np.arange(from_min + 0.5, float(settings.shift.end_min), 1.0)
    on = np.zeros(minutes.size)
    duty = np.zeros(minutes.size)
    for spec in specs:
        legs = steps[spec.name]
        duty += len(spec.members) * ((minutes >= spec.start) & (minutes < spec.end))
        if not legs:
            continue
        starts = np.array([leg.t0 for leg in legs])
        ends = np.array([leg.t1 for leg in legs])
        seen = np.array([leg.activity in _ON_STREET for leg in legs])
        i = np.searchsorted(starts, minutes, side="right") - 1
        ok = (i >= 0) & (minutes < ends[np.clip(i, 0, None)]) & seen[np.clip(i, 0, None)]
        on += len(spec.members) * ok
    return minutes, on, np.minimum(br.min_on_street, duty)


def _breaks_and_street(settings: Any, specs: list[UnitSpec], steps: dict[str, list[Leg]]) -> list[Shortfall]:
    """The breaks and on-street shortfalls of a day's steps (the morning's planner keeps them by construction; a
    re-plan may not): a unit without its meal inside the meal window or short of rest breaks, and the minutes
    with fewer people on the street than the minimum (or everyone on duty)."""
    br = settings.breaks
    missing = []
    for name, no_meal, short, need in _break_misses(settings, specs, steps):
        if no_meal:
            missing.append(f"{name}: no {br.meal_min}-min meal in {br.meal_window[0]}-{br.meal_window[1]}")
        if short:
            missing.append(f"{name}: {need - short} of {need} breaks")
    out = []
    if missing:
        out.append(Shortfall("breaks", "every unit's breaks", f"{len(missing)} missing", "; ".join(missing)))
    minutes, on, need_on = _on_street(settings, specs, steps, float(settings.shift.start_min))
    under = np.flatnonzero(on < need_on)
    if under.size:
        out.append(Shortfall("min_on_street", f">= {br.min_on_street} on the street",
                             f"{int(on[under].min())} at worst",
                             f"{under.size} minutes under the minimum, the first at "
                             f"{format_hhmm(minutes[under[0]] - 0.5)}"))
    return out


def _ready(settings: Any, district: District, steps: dict[str, list[Leg]], at: float) -> Readiness:
    """The ready-to-respond measure of a day's steps from minute ``at`` on (:mod:`.ready`)."""
    a = district.arrays
    return readiness(steps, dist=all_pairs(a).dist, edge_u=a.edge_u, edge_v=a.edge_v, edge_length=a.edge_length,
                     area=a.edge_in_area, weights=block_demand(district), start=float(settings.shift.start_min),
                     end=float(settings.shift.end_min), speed_m_min=settings.speeds.response_m_s * 60.0,
                     limit_min=settings.targets.ready_p90_min, from_min=at)


def _version(district: District, plan: dict, settings: Any, specs: list[UnitSpec], steps: dict[str, list[Leg]],
             at: float, div: dict[str, Diversion], by: str, why: str, old: dict[str, list[Leg]]) -> DailyPlan:
    """The new version as a :class:`DailyPlan`, its summary recomputed, and what changed."""
    a = district.arrays
    due = [int(x["index"]) for x in plan.get("checkins_due", [])]
    hot = [int(h["block"]) for h in plan.get("hotspots", [])]
    inp = day_input(district, settings, hot, np.asarray(due, dtype=np.int64), int(plan.get("seed", 0)))
    done = {leg.business for legs in steps.values() for leg in legs
            if leg.activity == "checkin" and leg.t1 - leg.t0 >= settings.targets.checkin_min - _EPS}
    checked = np.array([i in done for i in due], dtype=bool)
    units = [Unit(s.name, list(s.members), s.role, [BreakSlot(int(leg.t0), int(leg.t1), "rest") for leg in
                                                   steps[s.name] if leg.activity == "break"],
                  float(s.start), float(s.end), district.base_index, steps=steps[s.name]) for s in specs]
    for u in units:
        u.checkins = sum(1 for leg in u.steps if leg.activity == "checkin")
        u.dwell_min = float(sum(leg.t1 - leg.t0 for leg in u.steps if leg.activity == "dwell"))
    summary, short = summarize(district, settings, inp, units, checked, plan.get("summary", {}).get("corridor", {}),
                               _breaks_and_street(settings, specs, steps), _ready(settings, district, steps, at))
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
                     dict(plan.get("day_roster", {})), plan.get("hotspot_source", {"history": None}), version,
                     events=list(plan.get("events", [])))
