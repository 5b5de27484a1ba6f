"""Independent checker of a daily plan: recompute every target from plan.json and the district.

Shares no code with the planner (the rest of :mod:`patrol.planning`): it reads the plan's ``timeline``
(the legs dispatch, coverage and the report use), rebuilds block adjacency from ``district.graph``, does its
own time arithmetic, and takes every rule from the **district**, never from the plan under check:

* **settings**: the district's (``district.toml``), with only the day's roster changes the plan declares
  (``day_roster``: pairs, absent, only, hours) applied; any other difference between the plan's recorded
  settings and the district's is listed and fails the check, unless ``own_settings=True`` (a what-if judged
  against its own settings; the result says so in ``judged_against``);
* **roster**: the walking units follow from the district's roster and the day's changes (names, pairs, the
  lead's role, each person's hours); a plan with a unit missing, an unknown one, other members or another role
  fails;
* **hot spots**: recomputed from the district's data (:mod:`patrol.demand`, or the incident history the plan
  names, whose digest must match); the gap is measured on them, not on the plan's list;
* **check-ins**: matched by business id (the leg's ``business``, an index into the district's list) and
  its place; the businesses due come from the weekly rotation of the settings.

Definitions (also in ``docs/plan-schema.md``):

* **valid**: every leg is on a real block with offsets inside it; each walker's legs are contiguous in
  time; each leg starts where the previous one ended (same block and offset, or the same street
  corner); walking is never faster than the patrol speed (1 % tolerance); stationary legs do not move;
  the first leg starts at the base at or after the unit's start, the last ends at the base at or before
  its end (the shift, unless the day's roster gives other hours); the plan's ``steps`` agree with its
  timeline.
* **a pass** of a block: consecutive legs on the block that walk it from one end to the other
  (stationary legs in between allowed); it happens at the time the far end is reached.
* **corridor gap**: per corridor block, the longest of (first pass - (shift start + first-visit limit
  - revisit limit)), time between consecutive passes, and (shift end - last pass).
* **hot-spot gap**: per hot spot, the longest time within the shift with no dwell of at least the
  minimum length in progress on it.
* **breaks**: per unit, one break leg of at least ``meal_min`` inside the meal window when it works at least
  ``meal_after_h`` hours, and ``round(rest_count x hours / shift hours)`` further break legs of at least
  ``rest_min``.
* **on street**: people on walk/checkin/dwell/post legs, at every moment of the shift, at least
  ``min_on_street`` or everyone then on duty.
* **balance**: most / least walking per hour on duty, rovers (by the district's roster) excluded.
* **ready to respond**: at the middle of every minute of the shift, the walk at response speed
  (``speeds.response_m_s``) from the nearest *available* unit (of the roster; on a walk, check-in, dwell or
  post leg: not on a break, not responding, not off the timeline) to the middle of each patrol-area block
  (network distance: through the block's ends, or straight along the block for a unit on it; shortest
  paths from :func:`patrol.paths.node_distances`); then the demand-weighted 90th percentile over the area's
  blocks (weights :func:`patrol.demand.block_demand`, from the incident history the plan names, else the
  district's proxy): the least time within which 90 % of the demand weight is reached.  The target
  ``targets.ready_p90_min`` holds when the worst minute's value is at most it.  It counts in
  ``all_targets_met`` only with ``targets.ready_required = true`` (default false: the planner does not yet
  trade for it, and with everyone leaving from and returning to the base at the shift's ends no plan meets
  5 min at every minute); it is always reported.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from patrol.demand import IncidentHistory, block_demand, load_incident_history, top_hotspots
from patrol.district import District
from patrol.errors import PatrolError, PlanError
from patrol.events import Event
from patrol.paths import node_distances
from patrol.settings import Settings, format_hhmm, parse_hhmm, settings_from_dict, settings_to_dict
from patrol.timeline import read_plan_file

__all__ = ["check_plan", "ready_p90"]

_TOL_M = 0.5
_TOL_T = 1e-3


def _load(plan: dict | str | Path) -> dict:
    return plan if isinstance(plan, dict) else read_plan_file(plan)


def _blocks(district: District) -> dict[int, tuple[int, int, float, bool, bool, str]]:
    return {int(d["block"]): (d["u"], d["v"], float(d["length"]), bool(d["in_area"]), bool(d["corridor"]),
                              d["name"]) for _, _, d in district.graph.edges(data=True)}


def _node_at(blk: tuple, off: float) -> int | None:
    if abs(off) <= _TOL_M:
        return blk[0]
    if abs(off - blk[2]) <= _TOL_M:
        return blk[1]
    return None


def _max_gap(events: list[float], lo: float, hi: float, after: float = -math.inf) -> float:
    """The longest interval between ``lo``, the sorted events and ``hi`` that ends after ``after``."""
    pts = [lo, *sorted(events), hi]
    return float(max((b - a for a, b in zip(pts, pts[1:], strict=False) if b > after), default=0.0))


#: Settings a plan may change for its day without leaving the district's rules: the day's roster.
DAY_ROSTER_KEYS = ("pairs", "absent", "only", "hours")


def _settings(data: dict, district: District, own: bool) -> tuple[Settings, str, list[str]]:
    """The settings to judge by, in words which ones, and every difference between the plan's and the
    district's (the day's roster changes applied first)."""
    day = data.get("day_roster") or {}
    unknown = sorted(set(day) - set(DAY_ROSTER_KEYS))
    expected = district.settings
    if "pairs" in day:
        expected = expected.replace(roster__pairs=bool(day["pairs"]))
    recorded = data.get("settings")
    differences = [f"day_roster.{k}: not a change a day's plan may make" for k in unknown]
    if not isinstance(recorded, dict):
        differences.append("the plan does not record the settings it was made with")
    else:
        want = settings_to_dict(expected)
        for table in sorted(set(want) | set(recorded)):
            got_t, want_t = recorded.get(table, {}), want.get(table, {})
            if not isinstance(got_t, dict) or not isinstance(want_t, dict):
                if got_t != want_t:
                    differences.append(f"{table}: plan {got_t!r}, district {want_t!r}")
                continue
            for key in sorted(set(want_t) | set(got_t)):
                if _norm(got_t.get(key)) != _norm(want_t.get(key)):
                    differences.append(f"{table}.{key}: plan {got_t.get(key)!r}, district {want_t.get(key)!r}")
    if own and isinstance(recorded, dict):
        try:
            own_settings = settings_from_dict(recorded, base=district.settings)
        except PatrolError as exc:
            raise PlanError(f"the plan's own settings are not valid: {exc.message}", field="settings") from exc
        return own_settings, "the plan's own settings (a what-if), not the district's", differences
    name = f"the settings of district {district.name!r}"
    if day:
        name += " with the day's roster (" + ", ".join(f"{k}={day[k]!r}" for k in sorted(day)) + ")"
    return expected, name, differences


@dataclass(frozen=True)
class _Expected:
    """A unit the district's roster gives for the day: its members, role and hours (minutes)."""

    members: list[str]
    role: str
    start: int
    end: int


def _expected_units(settings: Settings, day: dict) -> tuple[dict[str, _Expected], list[str]]:
    """The walking units the roster gives for the day, stated here independently of the planner, and the
    problems of the day's roster itself.

    Ambassadors are ``roster.names`` (else ``lead``, ``amb2``, ...), the leads first, minus the day's
    ``absent`` ones (or only its ``only`` ones), each on the shift's hours unless ``hours`` gives theirs
    (inside the shift); in pairs mode consecutive working ambassadors walk together on the hours both work;
    with ``lead_role = "rover"`` (not in pairs mode) a unit led by a lead is a rover, unless every unit would
    be one.
    """
    r = settings.roster
    roster = r.ambassador_names()
    start, end = settings.shift.start_min, settings.shift.end_min
    problems = []
    absent = [str(n) for n in day.get("absent", [])]
    only = [str(n) for n in day.get("only", [])]
    hours_in = day.get("hours", {}) if isinstance(day.get("hours", {}), dict) else {}
    for n in [*absent, *only, *hours_in]:
        if n not in roster:
            problems.append(f"the day's roster names {n!r}, who is not on the district's roster")
    working = [n for n in roster if n not in absent and (not only or n in only)]
    hours = {n: (start, end) for n in working}
    for n, span in hours_in.items():
        try:
            a, b = parse_hhmm(span[0]), parse_hhmm(span[1])
        except (PatrolError, IndexError, TypeError):
            problems.append(f"the day's hours of {n!r} are not [HH:MM, HH:MM]")
            continue
        if n in hours and start <= a < b <= end:
            hours[n] = (a, b)
        elif n in hours:
            problems.append(f"the day's hours of {n} ({span[0]}-{span[1]}) are not inside the shift")
    leads = set(roster[: r.leads])
    groups = [working[i: i + 2] for i in range(0, len(working), 2)] if r.pairs else [[n] for n in working]
    roles = ["rover" if (not r.pairs and r.lead_role == "rover" and g[0] in leads) else "walker" for g in groups]
    if all(x == "rover" for x in roles):
        roles = ["walker"] * len(groups)
    out = {}
    for g, role in zip(groups, roles, strict=True):
        a, b = max(hours[n][0] for n in g), min(hours[n][1] for n in g)
        out["+".join(g)] = _Expected(list(g), role, a, b)
    return out, problems


def _norm(value: Any) -> Any:
    """Settings values compared as JSON would hold them (tuples as lists)."""
    if isinstance(value, tuple | list):
        return [_norm(v) for v in value]
    if isinstance(value, dict):
        return {k: _norm(v) for k, v in value.items()}
    return value


def _roster_problems(data: dict, timeline: dict, expected: dict[str, _Expected]) -> list[str]:
    out = []
    walkers = data.get("walkers")
    if not isinstance(walkers, dict):
        return ["the plan has no 'walkers' table"]
    for w in sorted(set(timeline) - set(expected)):
        out.append(f"{w} walks in the plan but is not a unit of the roster ({', '.join(expected)})")
    for w in sorted(set(expected) - set(timeline)):
        out.append(f"{w} is on the roster but has no route in the plan")
    for w in sorted(set(walkers) ^ set(timeline)):
        out.append(f"{w}: in {'walkers' if w in walkers else 'the timeline'} only")
    for w, info in walkers.items():
        if w not in expected or not isinstance(info, dict):
            continue
        exp = expected[w]
        if list(info.get("members", [])) != exp.members:
            out.append(f"{w}: members {info.get('members')!r}, the roster says {exp.members!r}")
        if info.get("role", "walker") != exp.role:
            out.append(f"{w}: role {info.get('role')!r}, the roster says {exp.role!r}")
    return out


def _history(data: dict) -> tuple[IncidentHistory | None, str | None]:
    """The incident history the plan names (``None`` when it names none), and why it cannot be used."""
    source = data.get("hotspot_source") or {"history": None}
    if not source.get("history"):
        return None, None
    try:
        history = load_incident_history(source["history"], source.get("columns") or None)
    except PatrolError as exc:
        return None, f"the plan's hot spots come from {source['history']}, which cannot be read: {exc.message}"
    if history.digest != source.get("digest"):
        return None, f"{source['history']} has changed since the plan was made (digest differs)"
    return history, None


def _hotspots(district: District, settings: Settings, history: IncidentHistory | None, why: str | None
              ) -> tuple[list[int], str | None]:
    """The day's hot spots recomputed from the district's data (or the history file the plan names), and why
    they could not be when that is the case."""
    if why is not None:
        return [], why
    return [int(b) for b in top_hotspots(district, settings.targets.hotspot_count, history)], None


#: Activities during which a unit can be sent (breaks, responses and gaps in the timeline cannot).
_READY = frozenset({"walk", "checkin", "dwell", "post"})


def ready_p90(timeline: dict, units: set[str], district: District, settings: Settings,
              history: IncidentHistory | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The "ready to respond" measure at the middle of every minute of the shift (module docstring).

    Parameters
    ----------
    timeline : dict
        Walker -> legs, as in plan.json.
    units : set of str
        The walkers that count (the roster's units).
    district : District
    settings : Settings
        Shift, response speed.
    history : IncidentHistory, optional
        The demand weights' incident history.

    Returns
    -------
    times : ndarray
        Minutes after midnight (the middle of each minute of the shift).
    p90 : ndarray
        Per minute, the demand-weighted 90th percentile of the walk (minutes) from the nearest available
        unit to the area's blocks (``inf`` when fewer than 90 % of the weight can be reached).
    """
    a = district.arrays
    start, end = settings.shift.start_min, settings.shift.end_min
    times = start + 0.5 + np.arange(max(end - start, 0), dtype=np.float64)
    area = np.flatnonzero(a.edge_in_area)
    weights = block_demand(district, history)[area]
    length = np.asarray(a.edge_length, dtype=np.float64)
    half = length[area] / 2.0
    col = np.full(a.n_edges, -1, dtype=np.int64)
    col[area] = np.arange(area.size)
    dist = node_distances(a)
    best_node = np.full((times.size, a.n_nodes), np.inf)
    direct = np.full((times.size, area.size), np.inf)
    for w, legs in timeline.items():
        if w not in units or not isinstance(legs, list):
            continue
        rows = []
        for leg in legs:
            try:
                rows.append((float(leg["t0"]), float(leg["t1"]), int(leg["block"]), float(leg["off0"]),
                             float(leg["off1"]), str(leg["activity"]) in _READY))
            except (KeyError, TypeError, ValueError):
                continue
        rows = sorted((r for r in rows if 0 <= r[2] < a.n_edges and math.isfinite(r[0]) and math.isfinite(r[1])),
                      key=lambda r: (r[0], r[1]))
        if not rows:
            continue
        t0 = np.array([r[0] for r in rows])
        t1 = np.array([r[1] for r in rows])
        i = np.searchsorted(t0, times, side="right") - 1
        on = (i >= 0) & (times <= t1[np.clip(i, 0, None)] + 1e-9)
        on[on] = np.array([rows[k][5] for k in i[on]], dtype=bool)
        for s in np.flatnonzero(on):
            t_a, t_b, b, o0, o1, _ = rows[i[s]]
            o = o1 if t_b <= t_a else o0 + (o1 - o0) * min(max((times[s] - t_a) / (t_b - t_a), 0.0), 1.0)
            o = min(max(o, 0.0), length[b])
            np.minimum(best_node[s], np.minimum(o + dist[a.edge_u[b]], length[b] - o + dist[a.edge_v[b]]),
                       out=best_node[s])
            if col[b] >= 0:
                direct[s, col[b]] = min(direct[s, col[b]], abs(o - length[b] / 2.0))
    to_block = np.minimum(np.minimum(best_node[:, a.edge_u[area]], best_node[:, a.edge_v[area]]) + half, direct)
    minutes = to_block / (settings.speeds.response_m_s * 60.0)
    order = np.argsort(minutes, axis=1, kind="stable")
    sorted_min = np.take_along_axis(minutes, order, axis=1)
    cum = np.cumsum(weights[order], axis=1)
    k = np.argmax(cum >= 0.9 * float(weights.sum()) - 1e-12, axis=1)
    return times, sorted_min[np.arange(times.size), k]


def _event_presence(data: dict, timeline: dict, members: dict[str, list[str]], events: Sequence[Event] | None,
                    tz: str, n_edges: int) -> list[dict[str, Any]]:
    """Each special event's presence measured from the steps: at every minute of its window, the people (the
    roster's members) whose step then is on one of its blocks and is not a break.  The events are the record's
    when given, else those the plan lists (their window, blocks and people wanted; never its stints)."""
    wanted: list[tuple[str, float, float, set[int], int]] = []
    if events is not None:
        for ev in events:
            w = ev.window_min(str(data.get("date")), tz)
            if w is not None:
                wanted.append((ev.name, w[0], w[1], set(ev.blocks), ev.presence.ambassadors))
    else:
        for e in data.get("events") or []:
            try:
                lo, hi = (float(x) for x in e["window_min"])
                wanted.append((str(e["name"]), lo, hi, {int(b) for b in e["blocks"]}, int(e["ambassadors"])))
            except (KeyError, TypeError, ValueError):
                continue
    out = []
    for name, lo, hi, blocks, need in wanted:
        minutes = np.arange(lo + 0.5, hi, 1.0)
        count = np.zeros(minutes.size)
        for w, legs in timeline.items():
            if not isinstance(legs, list):
                continue
            here = np.zeros(minutes.size, dtype=bool)
            for leg in legs:
                try:
                    t0, t1, b, act = float(leg["t0"]), float(leg["t1"]), int(leg["block"]), str(leg["activity"])
                except (KeyError, TypeError, ValueError):
                    continue
                if b in blocks and act != "break" and 0 <= b < n_edges:
                    here |= (minutes >= t0) & (minutes < t1)
            count += len(members.get(w, [])) * here
        short = int(np.sum(count < need))
        out.append({"name": name, "window": [format_hhmm(lo), format_hhmm(hi)], "required": need,
                    "least_present": int(count.min()) if count.size else 0, "minutes_short": short})
    return out


def check_plan(plan: dict | str | Path, district: District, *, own_settings: bool = False,
               from_minute: float | None = None, events: Sequence[Event] | None = None) -> dict[str, Any]:
    """Recompute every target of a plan against the district's rules.

    Parameters
    ----------
    plan : dict, str or Path
        plan.json content or its path.
    district : District
        The district the plan is for (see :func:`patrol.district.district_for_plan`): its streets,
        businesses, settings and roster are the rules.
    own_settings : bool
        Judge a what-if plan against the settings it records instead of the district's (the result's
        ``judged_against`` says so; the differences are still listed).
    from_minute : float, optional
        Judge the corridor and hot-spot gaps from this minute on (a re-plan: the gaps that ended before it are
        the day's history, not the re-plan's doing); default: a re-plan's own minute (``summary.replan.at``),
        else the whole day.  Validity, breaks and check-ins are judged over the whole day.
    events : sequence of Event, optional
        The day's special events (:func:`patrol.events.events_on`); default: those the plan lists.  Each wants its
        people on its blocks at every minute of its presence window (``event_presence``).

    Returns
    -------
    dict
        ``valid``, ``problems`` (first 50), ``judged_against``, ``settings_differences``, ``roster_problems``,
        ``hotspots`` (recomputed blocks), ``hotspot_problems``, ``hotspot_gaps_min`` (per hot spot), ``counts``
        (corridor blocks, area blocks, businesses due, hot spots, units: what the targets are counted over),
        ``corridor_max_gap_min``, ``corridor_first_visit_min``, ``corridor_worst_gaps``,
        ``corridor_blocks_over`` (the corridor blocks whose gap exceeds the revisit limit),
        ``area_blocks_unvisited`` (list),
        ``businesses_unchecked`` (list of names), ``checkins_outside_hours`` (list), ``hotspot_max_gap_min``,
        ``breaks_ok``, ``break_problems``, ``min_on_street``, ``ready_p90_min`` (the worst minute's value,
        ``None`` when some minute reaches less than 90 % of the demand), ``ready`` (``worst_at``,
        ``minutes_over`` the target, ``median_min`` over the minutes), ``balance_ratio``, ``walk_km``,
        ``event_presence`` (per event: ``required``, ``least_present``, ``minutes_short``),
        ``targets`` (table of target vs achieved) and ``all_targets_met``.

    Raises
    ------
    PlanError
        When the file is not a plan, or its own settings are asked for and are not valid.
    """
    data = _load(plan)
    settings, judged, differences = _settings(data, district, own_settings)
    if from_minute is None:
        from_minute = (data.get("summary", {}).get("replan") or {}).get("at")
    after = -math.inf if from_minute is None else float(from_minute)
    if from_minute is not None:
        judged += f", gaps from {format_hhmm(float(from_minute))} on (a re-plan)"
    tg, br = settings.targets, settings.breaks
    start, end = settings.shift.start_min, settings.shift.end_min
    speed = settings.speeds.patrol_m_s * 60.0
    blocks = _blocks(district)
    base = district.base_node
    timeline = data.get("timeline")
    if not isinstance(timeline, dict) or not timeline:
        raise PlanError("plan has an empty or malformed 'timeline'", field="timeline")
    expected, day_problems = _expected_units(settings, data.get("day_roster") or {})
    roster_problems = day_problems + _roster_problems(data, timeline, expected)
    # people, roles and hours from the roster, never from the plan: a unit the roster does not know counts nobody
    members = {w: expected[w].members if w in expected else [] for w in timeline}
    roles = {w: expected[w].role if w in expected else "walker" for w in timeline}
    hours = {w: (expected[w].start, expected[w].end) if w in expected else (start, end) for w in timeline}
    problems: list[str] = []
    passes: dict[int, list[float]] = {}
    dwells: dict[int, list[tuple[float, float]]] = {}
    checkins: list[tuple[str, int, float, float, float, str, int]] = []
    breaks: dict[str, list[tuple[float, float]]] = {}
    walk_m: dict[str, float] = {}
    visible: list[tuple[float, float, int]] = []

    for w, legs in timeline.items():
        walk_m[w] = 0.0
        breaks[w] = []
        if not legs:
            problems.append(f"{w}: no legs")
            continue
        prev = None
        run: dict | None = None  # current pass candidate on one block
        for i, leg in enumerate(legs):
            try:
                t0, t1, b = float(leg["t0"]), float(leg["t1"]), int(leg["block"])
                o0, o1, act = float(leg["off0"]), float(leg["off1"]), str(leg["activity"])
            except (KeyError, TypeError, ValueError):
                problems.append(f"{w} leg {i}: malformed")
                continue
            if not all(math.isfinite(x) for x in (t0, t1, o0, o1)):
                problems.append(f"{w} leg {i}: times and offsets must be finite numbers")
                continue
            blk = blocks.get(b)
            if blk is None:
                problems.append(f"{w} leg {i}: block {b} does not exist")
                prev = None
                continue
            if not (-_TOL_M <= o0 <= blk[2] + _TOL_M and -_TOL_M <= o1 <= blk[2] + _TOL_M):
                problems.append(f"{w} leg {i}: offset outside block {b} (length {blk[2]:.1f} m)")
            if t1 < t0 - _TOL_T:
                problems.append(f"{w} leg {i}: ends before it starts")
            if act == "walk":
                dt = t1 - t0
                dist = abs(o1 - o0)
                if dist > _TOL_M and (dt <= 0 or dist / dt > speed * 1.01):
                    problems.append(f"{w} leg {i} ({format_hhmm(t0)}): {dist:.0f} m in {dt:.2f} min is faster than "
                                    f"{settings.speeds.patrol_m_s} m/s")
                walk_m[w] += dist
            elif act == "respond":  # on the way to an incident: at the response speed at most
                dt, dist = t1 - t0, abs(o1 - o0)
                if dist > _TOL_M and (dt <= 0 or dist / dt > settings.speeds.response_m_s * 60.0 * 1.01):
                    problems.append(f"{w} leg {i} ({format_hhmm(t0)}): responds {dist:.0f} m in {dt:.2f} min, faster "
                                    f"than {settings.speeds.response_m_s} m/s")
            elif abs(o1 - o0) > _TOL_M:
                problems.append(f"{w} leg {i}: a {act} leg moves")
            if prev is None and i == 0:
                if _node_at(blk, o0) != base:
                    problems.append(f"{w}: does not start at the base")
                if t0 < hours[w][0] - _TOL_T:
                    problems.append(f"{w}: starts at {format_hhmm(t0)}, before its hours "
                                    f"({format_hhmm(hours[w][0])}-{format_hhmm(hours[w][1])})")
            if prev is not None:
                pb, po, pt = prev
                if abs(t0 - pt) > _TOL_T:
                    problems.append(f"{w} leg {i}: starts at {format_hhmm(t0)} but the previous leg ended at "
                                    f"{format_hhmm(pt)}")
                same_point = pb == b and abs(po - o0) <= _TOL_M
                pn, n0 = _node_at(blocks[pb], po), _node_at(blk, o0)
                if not same_point and (pn is None or pn != n0):
                    problems.append(f"{w} leg {i} ({format_hhmm(t0)}): jumps from block {pb} to block {b}, "
                                    f"which do not touch there")
            # passes (a block shorter than a metre counts when walked at all)
            if act == "walk" and blk[2] < 1.0:
                passes.setdefault(b, []).append(t1)
                run = None
            elif act == "walk" and abs(o1 - o0) > _TOL_M:
                if run is not None and run["block"] == b and abs(run["pos"] - o0) <= _TOL_M and \
                        (o1 - o0) * run["dir"] > 0:
                    run["pos"] = o1
                else:
                    run = {"block": b, "start": o0, "pos": o1, "dir": 1 if o1 > o0 else -1}
                if _node_at(blk, run["start"]) is not None and _node_at(blk, run["pos"]) is not None and \
                        abs(run["pos"] - run["start"]) >= blk[2] - _TOL_M:
                    passes.setdefault(b, []).append(t1)
                    run = None
            elif act == "walk" or (run is not None and run["block"] != b):
                run = None
            if act == "dwell":
                dwells.setdefault(b, []).append((t0, t1))
            if act == "checkin":
                biz = leg.get("business")
                checkins.append((w, b, o0, t0, t1, str(leg.get("ref", "")),
                                 int(biz) if isinstance(biz, int) and not isinstance(biz, bool) else -1))
            if act == "break":
                breaks[w].append((t0, t1))
            elif act in ("walk", "checkin", "dwell", "post", "respond"):  # on the street (responding too)
                visible.append((t0, t1, len(members[w])))
            prev = (b, o1, t1)
        if prev is not None:
            if _node_at(blocks[prev[0]], prev[1]) != base:
                problems.append(f"{w}: does not end at the base")
            if prev[2] > hours[w][1] + _TOL_T:
                problems.append(f"{w}: ends at {format_hhmm(prev[2])}, after its hours "
                                f"({format_hhmm(hours[w][0])}-{format_hhmm(hours[w][1])})")
    problems += _steps_agree(data, timeline)

    # corridor and area
    corr = [b for b, v in blocks.items() if v[3] and v[4]]
    lo = start + tg.corridor_first_visit_min - tg.corridor_revisit_min
    corr_gap = {b: _max_gap(passes.get(b, []), lo, end, after) for b in corr}
    corridor_max = max(corr_gap.values(), default=0.0)
    worst_gaps = []
    for b in sorted(corr_gap, key=lambda x: corr_gap[x], reverse=True)[:5]:
        pts = [lo, *sorted(passes.get(b, [])), end]
        j = int(np.argmax(np.diff(pts)))
        worst_gaps.append({"block": b, "street": blocks[b][5], "gap_min": round(corr_gap[b], 1),
                           "from": format_hhmm(pts[j]), "to": format_hhmm(pts[j + 1])})
    first = max((min(passes.get(b, [end])) - start for b in corr), default=0.0)
    area = [b for b, v in blocks.items() if v[3] and not v[4]]
    unvisited = sorted(b for b in area if len(passes.get(b, [])) < tg.area_visits_per_shift)

    # check-ins, by business id and place
    # What is due is derived here from the settings, not taken from the plan, so a plan cannot leave out work.
    due_idx = _due_today(district, settings, str(data.get("day", "")))
    bb, boff, _ = district.business_blocks
    checked: set[int] = set()
    outside: list[dict] = []
    for w, b, off, t0, t1, ref, i in checkins:
        if not 0 <= i < len(district.businesses):
            outside.append({"walker": w, "business": ref, "time": format_hhmm(t0),
                            "problem": "no business id of this district"})
            continue
        if int(bb[i]) != b or abs(float(boff[i]) - off) > 2 * _TOL_M + 1.0:
            outside.append({"walker": w, "business": district.businesses[i].name, "time": format_hhmm(t0),
                            "problem": "not at that business"})
            continue
        o, c, _ = district.business_hours(i)
        if t1 - t0 < tg.checkin_min - _TOL_T:
            outside.append({"walker": w, "business": ref, "time": format_hhmm(t0), "problem": "shorter than required"})
            continue
        if t0 < o - _TOL_T or t1 > c + _TOL_T:
            outside.append({"walker": w, "business": ref, "time": format_hhmm(t0),
                            "problem": f"outside opening hours {format_hhmm(o)}-{format_hhmm(c)}"})
            continue
        checked.add(i)
    unchecked = [district.businesses[i].name for i in due_idx if i not in checked]

    # hot spots: the district's, recomputed; the plan's list only has to agree
    history, why_history = _history(data)
    hs, why = _hotspots(district, settings, history, why_history)
    hotspot_problems = [why] if why else []
    try:
        declared = [int(h["block"]) for h in data.get("hotspots", [])]
    except (KeyError, TypeError, ValueError):
        declared = []
        hotspot_problems.append("the plan's hot-spot list is malformed")
    if why is None and sorted(declared) != sorted(hs):
        hotspot_problems.append(f"the plan declares hot spots on blocks {sorted(declared)}, the district's data "
                                f"gives {sorted(hs)}")
    hs_gap = 0.0
    hs_gaps: list[float] = []
    for h in hs:
        ok = sorted((t0, t1) for t0, t1 in dwells.get(h, []) if t1 - t0 >= tg.hotspot_dwell_min[0] - _TOL_T)
        cur, worst = float(start), 0.0
        for t0, t1 in ok:
            if t0 > after:
                worst = max(worst, t0 - cur)
            cur = max(cur, t1)
        hs_gaps.append(max(worst, end - cur))
        hs_gap = max(hs_gap, hs_gaps[-1])

    # breaks, by each unit's hours: no meal under meal_after_h hours, rest breaks pro-rated to the hours
    ws, we = (parse_hhmm(t) for t in br.meal_window)
    break_problems = []
    for w, items in breaks.items():
        a, b = hours[w]
        need_meal = br.meal_min > 0 and (b - a) / 60.0 >= br.meal_after_h
        need_rest = int(round(br.rest_count * (b - a) / (end - start))) if br.rest_min > 0 else 0
        meal = next(((t0, t1) for t0, t1 in items if t1 - t0 >= br.meal_min - _TOL_T and t0 >= ws - _TOL_T
                     and t1 <= we + _TOL_T), None) if need_meal else None
        rest = [x for x in items if x is not meal and x[1] - x[0] >= br.rest_min - _TOL_T]
        if need_meal and meal is None:
            break_problems.append(f"{w}: no {br.meal_min}-min meal break in {br.meal_window[0]}-{br.meal_window[1]}")
        if len(rest) < need_rest:
            break_problems.append(f"{w}: {len(rest)} of {need_rest} rest breaks of {br.rest_min} min")

    # on street: at every moment, the minimum or everyone then on duty (by the roster's hours)
    duty = [(hours[w][0], hours[w][1], len(members[w])) for w in timeline]
    cuts = sorted({start, end} | {t for t0, t1, _ in visible + duty for t in (t0, t1) if start <= t <= end})
    min_on, short_on = None, 0
    for x, y in zip(cuts, cuts[1:], strict=False):
        if y - x <= _TOL_T:
            continue
        mid = (x + y) / 2
        on = sum(n for t0, t1, n in visible if t0 <= mid < t1)
        need = min(br.min_on_street, sum(n for t0, t1, n in duty if t0 <= mid < t1))
        min_on = on if min_on is None else min(min_on, on)
        short_on = max(short_on, need - on)
    min_on = int(min_on or 0)
    need_on = min(br.min_on_street, sum(len(m) for m in members.values()))

    # ready to respond
    ready_t, ready = ready_p90(timeline, set(expected), district, settings, history)
    ready_worst = float(ready.max()) if ready.size else math.inf
    ready_at = format_hhmm(float(ready_t[int(np.argmax(ready))])) if ready.size else None
    ready_over = int((ready > tg.ready_p90_min + _TOL_T).sum())

    # balance: walking per hour on duty, rovers (by the roster) left out
    rates = {w: walk_m[w] * 60.0 / max(hours[w][1] - hours[w][0], 1e-9) for w in timeline}
    dists = [rates[w] for w in timeline if roles[w] != "rover"] or list(rates.values())
    ratio = float(max(dists) / min(dists)) if dists and min(dists) > 0 else float("inf")

    valid = not problems
    rows = [
        ("valid", "walks on real blocks, speed, shift, base", "ok" if valid else f"{len(problems)} problems", valid),
        ("settings", "the district's" if not own_settings else "the plan's own (what-if)",
         "same" if not differences else f"{len(differences)} differ", own_settings or not differences),
        ("roster", "the district's units, members and roles", "ok" if not roster_problems
         else f"{len(roster_problems)} problems", not roster_problems),
        ("corridor_first_visit_min", f"<= {tg.corridor_first_visit_min}", round(first, 1),
         first <= tg.corridor_first_visit_min + _TOL_T),
        ("corridor_max_gap_min", f"<= {tg.corridor_revisit_min}", round(corridor_max, 1),
         corridor_max <= tg.corridor_revisit_min + _TOL_T),
        ("area_blocks_unvisited", 0, len(unvisited), not unvisited),
        ("businesses_unchecked", 0, len(unchecked), not unchecked),
        ("checkins_outside_hours", 0, len(outside), not outside),
        ("hotspots", "those of the district's data", "same" if not hotspot_problems else "differ",
         not hotspot_problems),
        ("hotspot_max_gap_min", f"<= {tg.hotspot_revisit_min}", round(hs_gap, 1),
         why is None and (not hs or hs_gap <= tg.hotspot_revisit_min + _TOL_T)),
        ("breaks_ok", True, not break_problems, not break_problems),
        ("min_on_street", f">= {need_on} (or all on duty)", min_on, short_on <= 0),
        ("ready_p90_min", f"<= {tg.ready_p90_min:g}", round(ready_worst, 2) if math.isfinite(ready_worst) else None,
         ready_worst <= tg.ready_p90_min + _TOL_T),
        ("balance_ratio", f"<= {tg.balance_ratio_max}", round(ratio, 3) if np.isfinite(ratio) else None,
         len(dists) < 2 or ratio <= tg.balance_ratio_max + 1e-9),
    ]
    presence = _event_presence(data, timeline, members, events, settings.district.timezone, district.arrays.n_edges)
    if presence:
        short_min = sum(e["minutes_short"] for e in presence)
        rows.append(("event_presence", "the people each event wants, all its window", f"{short_min} min short",
                     short_min == 0))
    # readiness is reported always, and counts only when the district requires it (targets.ready_required)
    targets = [{"target": n, "required": r, "achieved": v, "met": bool(m),
                "counted": n != "ready_p90_min" or tg.ready_required} for n, r, v, m in rows]
    return {
        "valid": valid,
        "problems": problems[:50],
        "event_presence": presence,
        "problem_count": len(problems),
        "judged_against": judged,
        "settings_differences": differences,
        "roster_problems": roster_problems,
        "hotspots": hs,
        "hotspot_problems": hotspot_problems,
        "corridor_max_gap_min": round(corridor_max, 2),
        "corridor_first_visit_min": round(first, 2),
        "corridor_worst_gaps": worst_gaps,
        "corridor_blocks_over": sorted(b for b, g in corr_gap.items() if g > tg.corridor_revisit_min + _TOL_T),
        "area_blocks_unvisited": unvisited,
        "businesses_unchecked": unchecked,
        "checkins_outside_hours": outside,
        "hotspot_max_gap_min": round(hs_gap, 2),
        "hotspot_gaps_min": [round(g, 2) for g in hs_gaps],
        "counts": {"corridor_blocks": len(corr), "area_blocks": len(area), "businesses_due": len(due_idx),
                   "hotspots": len(hs), "units": len(timeline)},
        "breaks_ok": not break_problems,
        "break_problems": break_problems,
        "min_on_street": min_on,
        "ready_p90_min": round(ready_worst, 2) if math.isfinite(ready_worst) else None,
        "ready": {"worst_at": ready_at, "minutes_over": ready_over,
                  "median_min": round(float(np.median(ready)), 2) if ready.size and np.isfinite(ready).all()
                  else None},
        "balance_ratio": round(ratio, 3) if np.isfinite(ratio) else None,
        "walk_km": {w: round(m / 1000, 3) for w, m in walk_m.items()},
        "targets": targets,
        "all_targets_met": all(t["met"] for t in targets if t["counted"]),
    }


def _steps_agree(data: dict, timeline: dict) -> list[str]:
    out = []
    for w, info in data.get("walkers", {}).items():
        steps = info.get("steps")
        legs = timeline.get(w)
        if steps is None or legs is None:
            continue
        if len(steps) != len(legs):
            out.append(f"{w}: {len(steps)} steps but {len(legs)} timeline legs")
            continue
        for i, (s, leg) in enumerate(zip(steps, legs, strict=True)):
            if s.get("block") != leg.get("block") or s.get("activity") != leg.get("activity") or \
                    abs(float(s.get("t0", 0)) - float(leg.get("t0", 0))) > 0.01 or \
                    abs(float(s.get("t1", 0)) - float(leg.get("t1", 0))) > 0.01:
                out.append(f"{w} step {i}: differs from the timeline")
                break
    return out


def _due_today(district: District, settings: Settings, day: str) -> list[int]:
    """In-area businesses due for a check-in on ``day`` under the weekly rotation (docs/plan-schema.md).

    Stated again here, independently of the planner: every business every shift day when
    ``checkins_per_week`` >= the number of shift days; otherwise business ``j`` (j-th in the area, data
    order) is due on shift days ``(j + floor(r * D / c)) mod D`` for ``r < c``.
    """
    area = [int(i) for i in np.flatnonzero(district.business_in_area())]
    days = list(settings.shift.days)
    c, n_days = settings.targets.checkins_per_week, len(days)
    if c >= n_days or day not in days:
        return area
    d = days.index(day)
    return [i for j, i in enumerate(area) if d in {(j + (r * n_days) // c) % n_days for r in range(c)}]
