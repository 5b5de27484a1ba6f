"""Special events in the day's plan: someone at or around each event from set-up to dispersal.

An event (:class:`patrol.events.Event`) wants ``presence.ambassadors`` people at its point (``dwell``: a post
at the anchor) or walking round its blocks (``loop``) at every minute of its presence window.  The planner
plans the day first (:func:`patrol.planning.plan.plan_day`), then places each event's presence on it:

1. the window (clipped to the shift) is cut into **stints** of at most ``stint_max_min`` minutes, equal in
   length, so that nobody misses a break or stands for hours; a unit hands over to the next at the stint's end;
2. for each stint and each person wanted, every unit on duty for the whole stint and not already there is
   tried: it leaves its plan in time to walk to the event at the patrol speed, keeps the presence until the
   stint's end, and goes back on its plan or has its corridor stretch scheduled again (the re-plan's own
   machinery, :func:`patrol.planning.replan.replan`, with an ``event`` :class:`~patrol.planning.replan.Diversion`);
3. the unit whose day then misses the targets least (:func:`patrol.planning.score.rank_key`, the targets in
   their priority order; then the earlier arrival, then the name) takes the stint.

The plan keeps the event (``plan["events"]``: the window, blocks, point, people wanted and the stints), its
summary says what the events cost (``summary["events"]``: each target's figure without and with them), and a
window nobody can keep (too few units on duty, a window outside the shift) is an ``event_presence`` shortfall
naming the minutes.  The independent checker (:mod:`patrol.planning.check`) measures the presence again from
the steps.  Deterministic for a plan and its events.
"""

from __future__ import annotations

import dataclasses
import logging
import math
from collections.abc import Sequence
from typing import Any

from patrol.district import District
from patrol.errors import PlanError
from patrol.events import Event
from patrol.paths import all_pairs
from patrol.planning.model import Shortfall
from patrol.planning.plan import DailyPlan
from patrol.planning.replan import EVENT_REF, Diversion, point_metres, replan
from patrol.planning.score import rank_key
from patrol.settings import format_hhmm, parse_hhmm, settings_from_dict
from patrol.timeline import Leg, Timeline

__all__ = ["STINT_MAX_MIN", "plan_events"]

log = logging.getLogger(__name__)

#: The longest stint one unit keeps at an event before the next takes over (minutes).
STINT_MAX_MIN = 120.0
#: Steps a unit leaving for an event does not cut short (it leaves before them).
_WHOLE = ("checkin", "dwell", "break")
#: Minutes a unit means to arrive before its stint starts.
_EARLY_MIN = 2.0
#: The summary figures compared without and with the events (``summary["events"]["cost"]``).
_COST_FIGURES = ("corridor_max_gap_min", "hotspot_max_gap_min", "businesses_unchecked", "area_blocks_unvisited",
                 "balance_ratio")


def _stints(lo: float, hi: float, most: float) -> list[tuple[float, float]]:
    """``[lo, hi]`` cut into equal stints of at most ``most`` minutes."""
    n = max(1, math.ceil((hi - lo) / most - 1e-9))
    step = (hi - lo) / n
    return [(lo + i * step, lo + (i + 1) * step) for i in range(n)]


def _position(legs: list[Leg], t: float) -> tuple[int, float] | None:
    """Where a unit's steps have it at minute ``t`` (the last point before ``t`` if it has none then)."""
    last = None
    for x in legs:
        if x.t0 <= t < x.t1:
            return x.block, x.position(t)
        if x.t1 <= t:
            last = (x.block, x.off1)
    return last


def plan_events(district: District, plan: DailyPlan, events: Sequence[Event], *,
                stint_max_min: float = STINT_MAX_MIN) -> DailyPlan:
    """The day's plan with each event's presence placed on it (see the module docstring).

    Parameters
    ----------
    district : District
        The plan's district.
    plan : DailyPlan
        The day's plan without the events (:func:`patrol.planning.plan.plan_day`); it needs its ``date``.
    events : sequence of Event
        The day's events (:func:`patrol.events.events_on`), resolved on ``district``.
    stint_max_min : float
        The longest stint of one unit at an event (minutes).

    Returns
    -------
    DailyPlan
        The same version, with ``events``, ``summary["events"]`` and any ``event_presence`` shortfall.

    Raises
    ------
    PlanError
        The plan has no date while there are events to place.
    """
    if not events:
        return plan
    if not plan.date:
        raise PlanError("events need the plan's date (plan the day with a date)", field="date")
    if not stint_max_min >= 15:
        raise PlanError(f"an event stint must be at least 15 min, got {stint_max_min!r}", field="stint_max_min")
    settings = settings_from_dict(plan.settings, base=district.settings)
    tz = settings.district.timezone
    tg = settings.targets
    a = district.arrays
    net = all_pairs(a)
    walk_speed = settings.speeds.patrol_m_s * 60.0
    day0, short0 = dict(plan.summary), list(plan.shortfalls)
    cur = plan.to_dict()
    kept: list[dict[str, Any]] = []
    lost: list[Shortfall] = []
    for ev in sorted(events, key=lambda e: (e.presence_start, e.name)):
        window = ev.window_min(plan.date, tz)
        label = f"{EVENT_REF}{ev.name}"
        entry: dict[str, Any] = {
            "id": ev.id, "name": ev.name, "place": ev.matched or ev.place, "info": ev.info, "crowd": ev.crowd,
            "blocks": list(ev.blocks),
            "anchor": {"block": ev.anchor[0], "offset_m": round(ev.anchor[1], 2), "lat": ev.lat, "lon": ev.lon},
            "ambassadors": ev.presence.ambassadors, "mode": ev.presence.mode, "ref": label,
            "window": None if window is None else [format_hhmm(window[0]), format_hhmm(window[1])],
            "window_min": None if window is None else [round(window[0], 2), round(window[1], 2)], "stints": []}
        kept.append(entry)
        if window is None:
            continue
        lo, hi = max(window[0], float(settings.shift.start_min)), min(window[1], float(settings.shift.end_min))
        outside = (lo - window[0]) + (window[1] - hi) if hi > lo else window[1] - window[0]
        if outside > 1e-6:
            lost.append(Shortfall("event_presence", f"{ev.presence.ambassadors} at {ev.name} "
                                  f"{entry['window'][0]}-{entry['window'][1]}", "outside the shift",
                                  f"{outside:.0f} min of the window are outside the shift "
                                  f"{format_hhmm(settings.shift.start_min)}-{format_hhmm(settings.shift.end_min)}",
                                  "nobody is on duty then"))
        if hi <= lo:
            continue
        loop = tuple(ev.blocks) if ev.presence.mode == "loop" else ()
        for s0, s1 in _stints(lo, hi, stint_max_min):
            here: set[str] = set()
            for _ in range(ev.presence.ambassadors):
                best: tuple[tuple, DailyPlan, str, float] | None = None
                timeline = Timeline.from_dict(cur["timeline"])
                for name, info in cur["walkers"].items():
                    start, end = (float(parse_hhmm(x)) for x in info["hours"])
                    if name in here or start > s0 or end < s1:
                        continue
                    legs = timeline.legs[name]
                    depart = max(start, s0 - _EARLY_MIN)
                    for _it in range(8):  # sets off earlier by what it would be late (it moves meanwhile)
                        pos = _position(legs, depart) or ev.anchor
                        late = depart + point_metres(net, a, pos, ev.anchor) / walk_speed - (s0 - _EARLY_MIN)
                        if late <= 1e-6 or depart <= start:
                            break
                        depart = max(start, depart - late)
                    under = next((x for x in legs if x.t0 < depart < x.t1 and x.activity in _WHOLE), None)
                    if under is not None:  # it leaves before a check-in, a dwell or a break rather than cut it short
                        depart = max(start, under.t0)
                    arrive = depart + point_metres(net, a, _position(legs, depart) or ev.anchor, ev.anchor) / walk_speed
                    if _busy_at_event(legs, depart, s1):
                        continue
                    d = Diversion(name, depart, s1, int(ev.anchor[0]), float(ev.anchor[1]), kind="event",
                                  label=label, loop=loop)
                    cand = replan(district, cur, depart, [d], why=f"event {ev.name}")
                    key = (rank_key(cand.summary, cand.shortfalls, tg), max(0.0, arrive - s0), name)
                    if best is None or key < best[0]:
                        best = (key, cand, name, arrive)
                if best is None:
                    lost.append(Shortfall("event_presence", f"{ev.presence.ambassadors} at {ev.name} "
                                          f"{format_hhmm(s0)}-{format_hhmm(s1)}", f"{len(here)}",
                                          f"no other unit is on duty for the whole {format_hhmm(s0)}-"
                                          f"{format_hhmm(s1)}", "too few units on duty"))
                    break
                _, cand, name, arrive = best
                if arrive > s0 + 0.5:  # the unit starts too late, or too far, to be there at the stint's start
                    lost.append(Shortfall("event_presence", f"{ev.presence.ambassadors} at {ev.name} from "
                                          f"{format_hhmm(s0)}", f"{name} there at {format_hhmm(arrive)}",
                                          f"{arrive - s0:.0f} min late at the start of its stint",
                                          "the walk there from where it is (or from the base at its start)"))
                here.add(name)
                cur = cand.to_dict()
                entry["stints"].append({"unit": name, "from": format_hhmm(s0), "to": format_hhmm(s1),
                                        "from_min": round(s0, 2), "to_min": round(s1, 2),
                                        "arrives": format_hhmm(arrive)})
                log.info("event %s %s-%s: %s", ev.name, format_hhmm(s0), format_hhmm(s1), name)
    out = _as_version_of(plan, cur)
    out.events = kept
    cost = {k: {"without": day0.get(k), "with": out.summary.get(k)} for k in _COST_FIGURES}
    cost["targets_not_met"] = {"without": sorted({s.target for s in short0}),
                               "with": sorted({s.target for s in out.shortfalls} | {s.target for s in lost})}
    out.summary["events"] = {"count": len(kept), "stint_max_min": stint_max_min, "cost": cost,
                             "stints": sum(len(e["stints"]) for e in kept)}
    out.shortfalls = list(out.shortfalls) + lost
    return out


def _busy_at_event(legs: list[Leg], t0: float, t1: float) -> bool:
    """Whether a unit's steps keep another event's presence in ``[t0, t1)``."""
    return any(x.ref.startswith(EVENT_REF) and x.t0 < t1 and x.t1 > t0 for x in legs)


def _as_version_of(plan: DailyPlan, data: dict[str, Any]) -> DailyPlan:
    """The placed plan as the same version as the morning's (the re-plans made to place it are not versions)."""
    steps = Timeline.from_dict(data["timeline"]).legs
    summary = {k: v for k, v in data["summary"].items() if k != "replan"}
    summary["units"] = {n: w["summary"] for n, w in data["walkers"].items()}
    for k in ("seconds", "variant", "search", "capacity", "time_limit_reached", "note"):
        if k in plan.summary:
            summary[k] = plan.summary[k]
    shortfalls = [Shortfall(**s) for s in data["shortfalls"]]
    return dataclasses.replace(plan, steps=steps, summary=summary, shortfalls=shortfalls, hotspots=data["hotspots"],
                               due=data["checkins_due"])
