"""Where each unit is: what the record says it is doing, its latest ping, else the day's plan.

Rules, first that applies (``stale`` is ``dispatch.stale_ping_min``; for a pair, the freshest ping of the
unit or any member counts; only pings snapped onto a block count):

1. **On scene** (the unit's latest assignment has arrived and is not cleared): at the incident
   (``source="on scene"``, not estimated).  Pings are not used: the incident's point is the better fix.
2. **Assigned / en route** (not arrived, not cleared): a ping taken since the assignment and younger than
   ``stale`` gives the position (``source="ping"``).  Otherwise the unit is estimated along its walking
   route to the incident at the response speed (``speeds.response_m_s``), from its position at the
   assignment (these same rules at that moment) or from a stale ping taken since the assignment, whichever
   is later (``source="en route"``, estimated).  Once the walk would have arrived it is at the incident.
3. **After the assignment ended** (cleared: resolved, closed, unassigned): at the incident when it had
   arrived, else where its walk had reached when it was called off (``source="after incident"``,
   estimated), until a ping taken after the clearing (fresh: ``ping``; stale: ``stale ping``) or a plan
   made after the clearing (a re-plan's ``plan_made_at``) says otherwise.
4. **Otherwise**: a ping younger than ``stale`` (``source="ping"``, not estimated); else the day's plan at
   that minute (``source="plan"``, estimated); else a stale ping (``source="stale ping"``, estimated); else
   no position.

**Safety escorts** (:mod:`patrol.dispatch.escorts`) follow the same rules from the moment the unit sets off to A
(``depart_at``), with A as the incident: en route to A as in rule 2 (``source="en route"``); once the escort is
started (walking with the person(s)), a ping taken since the start and younger than ``stale`` gives the position,
else the unit is estimated along the walk from A to B at the patrol speed (``speeds.patrol_m_s``), from A or from
a stale ping taken since the start, whichever is later, and at B once that walk is done (``source="escorting"``,
estimated); after it ended, at B when it ended with ``arrived``, else where that walk had reached (or, never
started, where the walk to A had reached), until a ping taken after the end or a newer plan
(``source="after escort"``, estimated).  Positions under an escort carry its ``escort_id``.

Rules 1-3 follow the unit's latest assignment among those made in the last 24 hours and not ended before the
local day began (so an assignment under way at midnight counts, and one resolved the evening before does not
hold a unit at its incident the next morning).  Each position under rules 1-3 carries the ``incident_id`` it
follows.  The assignments come from the record
(:func:`engagements`); the walk along the route is :meth:`patrol.dispatch.network.DistanceField.point_along`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from typing import NamedTuple

from patrol.dispatch.clock import iso, parse_time
from patrol.dispatch.record import Ping, Record
from patrol.dispatch.roster import Unit
from patrol.errors import OutsideDistrictError
from patrol.timeline import Timeline

__all__ = ["SOURCES", "Engagement", "EscortLeg", "Position", "UnitState", "engagements", "on_own_streets",
           "snapper", "unit_position"]

#: Where a position came from (:attr:`Position.source`).
SOURCES: tuple[str, ...] = ("ping", "plan", "stale ping", "en route", "on scene", "after incident", "escorting",
                            "after escort")

#: ``walk(block, offset_m, metres) -> (block, offset_m)``: the point reached walking from a point towards an
#: engagement's incident along the shortest route.
Walk = Callable[[int, float, float], tuple[int, float]]
#: ``locate(block, offset_m) -> (lat, lon)``.
Locate = Callable[[int, float], tuple[float, float]]
#: ``snap(lat, lon) -> (block, offset_m)`` on a district's streets, or ``None`` when the point is off them.
Snap = Callable[[float, float], "tuple[int, float] | None"]


@dataclass(frozen=True)
class Position:
    """A unit's position on the network at a moment.

    Attributes
    ----------
    block, offset_m : int, float
        The point on the network.
    lat, lon : float
    source : str
        One of :data:`SOURCES` (see the module docstring).
    estimated : bool
        False for a fresh ping and for a unit on scene; True otherwise.
    age_min : float or None
        Age of the ping used (or of the latest ping when something else placed the unit), minutes.
    accuracy_m : float or None
    activity : str or None
        The plan leg's activity when the plan gave the position.
    incident_id : int or None
        The incident whose assignment placed the unit (rules 1-3), or whose assignment it is on.
    escort_id : int or None
        The safety escort that placed the unit, or that it is on.
    """

    block: int
    offset_m: float
    lat: float
    lon: float
    source: str
    estimated: bool
    age_min: float | None = None
    accuracy_m: float | None = None
    activity: str | None = None
    incident_id: int | None = None
    escort_id: int | None = None

    def to_dict(self) -> dict:
        return asdict(self)


class UnitState(NamedTuple):
    """A unit at a moment: its duty status, where that status came from, and its position."""

    unit: Unit
    status: str
    status_source: str
    position: Position | None


@dataclass(frozen=True)
class EscortLeg:
    """The walk of a safety escort from A (the engagement's point) to B.

    Attributes
    ----------
    escort_id : int
    to_block, to_offset_m, to_lat, to_lon
        B on the network.
    arrived : bool
        Whether it ended at B (outcome ``arrived``).
    """

    escort_id: int
    to_block: int
    to_offset_m: float
    to_lat: float
    to_lon: float
    arrived: bool = False


@dataclass(frozen=True)
class Engagement:
    """A unit's assignment to an incident, or its safety escort, as the record tells it (times are aware UTC).

    Attributes
    ----------
    assignment_id : int
        The assignment (for an escort: the escort's id).
    incident_id : int or None
        ``None`` for an escort.
    incident_type : str
        ``safety escort`` for an escort.
    names : tuple of str
        The assigned unit's name and its members.
    block : int or None
        The incident's point on the network, or the escort's A (``None`` when it has none).
    offset_m, lat, lon : float
    assigned_at : datetime
        For an escort: when the unit sets off to A (``depart_at``).
    arrived_at, cleared_at : datetime or None
        For an escort: started (walking with the person(s) from A), and ended or cancelled.
    cleared_reason : str or None
        ``resolved``, ``closed`` or ``unassigned``; for an escort ``done`` or ``cancelled``.
    escort : EscortLeg or None
        The walk from A to B of an escort.
    district : str or None
        The program's name of the incident's district (``None`` in a one-district record and for escorts):
        ``block`` and ``offset_m`` are on that district's streets.
    """

    assignment_id: int
    incident_id: int | None
    incident_type: str
    names: tuple[str, ...]
    block: int | None
    offset_m: float
    lat: float
    lon: float
    assigned_at: datetime
    arrived_at: datetime | None
    cleared_at: datetime | None
    cleared_reason: str | None
    escort: EscortLeg | None = None
    district: str | None = None

    @property
    def escort_id(self) -> int | None:
        return None if self.escort is None else self.escort.escort_id

    def phase(self, moment: datetime) -> str:
        """``en route`` (assigned, not arrived), ``on scene`` (``escorting`` for an escort), or ``ended``
        (cleared) at ``moment``."""
        if self.cleared_at is not None and self.cleared_at <= moment:
            return "ended"
        if self.arrived_at is not None and self.arrived_at <= moment:
            return "on scene" if self.escort is None else "escorting"
        return "en route"

    def arrived_by(self, moment: datetime) -> bool:
        """Whether the arrival was recorded at or before ``moment``."""
        return self.arrived_at is not None and self.arrived_at <= moment


_ENGAGEMENTS_SQL = (
    "SELECT a.id, a.incident_id, a.ambassador, a.members, a.assigned_at, a.arrived_at, a.cleared_at, "
    "a.cleared_reason, i.type, i.block, i.offset_m, i.lat, i.lon, i.district FROM assignments a "
    "JOIN incidents i ON i.id = a.incident_id WHERE a.assigned_at >= ? AND a.assigned_at <= ? "
    "ORDER BY a.assigned_at, a.id")


def engagements(record: Record, since: datetime, until: datetime) -> list[Engagement]:
    """Assignments made in ``[since, until]``, oldest first, with their incident's type and point."""
    out = []
    for r in record.read(_ENGAGEMENTS_SQL, (iso(since), iso(until))):
        out.append(Engagement(
            int(r["id"]), int(r["incident_id"]), str(r["type"]),
            (str(r["ambassador"]), *[str(m) for m in json.loads(r["members"] or "[]")]),
            None if r["block"] is None else int(r["block"]), float(r["offset_m"] or 0.0),
            float(r["lat"] or 0.0), float(r["lon"] or 0.0), parse_time(r["assigned_at"]),
            None if r["arrived_at"] is None else parse_time(r["arrived_at"]),
            None if r["cleared_at"] is None else parse_time(r["cleared_at"]), r["cleared_reason"],
            district=r["district"]))
    return out


def snapper(geocoder) -> Snap:
    """``snap(lat, lon)`` onto a district's streets with its :class:`~patrol.geocode.Geocoder` (``None`` when the
    point is farther than its ``max_snap_m`` from them)."""

    def snap(lat: float, lon: float) -> tuple[int, float] | None:
        try:
            loc = geocoder.snap(float(lat), float(lon))
        except OutsideDistrictError:
            return None
        return loc.block, loc.offset_m

    return snap


def on_own_streets(engaged: list[Engagement], district: str | None, snap: Snap) -> list[Engagement]:
    """The engagements with their incident's point on the streets of ``district`` (a program's district name).

    An incident of another district of the program (a unit sent across the boundary) has its point on that
    district's streets: its ``lat``/``lon`` is snapped onto these streets instead (``block`` ``None`` when it is
    off them: the unit is then placed by its pings or the plan).  With ``district`` ``None`` (a one-district
    desk) or an incident of no district or of this one, the recorded point is kept.
    """
    if district is None:
        return engaged
    out = []
    for e in engaged:
        if e.district is not None and e.district != district and e.block is not None:
            point = snap(e.lat, e.lon)
            e = replace(e, block=None if point is None else point[0], offset_m=0.0 if point is None else point[1])
        out.append(e)
    return out


def _freshest(unit: Unit, pings: Mapping[str, Ping], moment: datetime) -> tuple[Ping | None, float, datetime | None]:
    """The unit's freshest snapped ping, its age in minutes and its time."""
    best, best_age, best_t = None, math.inf, None
    for name in unit.names():
        p = pings.get(name)
        if p is None or p.block is None:
            continue
        t = parse_time(p.t)
        age = (moment - t).total_seconds() / 60.0
        if age < best_age:
            best, best_age, best_t = p, age, t
    return best, best_age, best_t


def _ping_position(p: Ping, age: float, source: str, estimated: bool, incident_id: int | None = None,
                   escort_id: int | None = None) -> Position:
    return Position(int(p.block or 0), float(p.offset_m or 0.0), p.lat, p.lon, source, estimated, round(age, 2),
                    p.accuracy_m, None, incident_id, escort_id)


def unit_position(unit: Unit, *, moment: datetime, minute: float, pings: Mapping[str, Ping],
                  timeline: Timeline | None, stale_min: float, locate: Locate,
                  engagement: Engagement | None = None, start: Position | None = None, walk: Walk | None = None,
                  speed_m_s: float = 1.4, plan_made_at: datetime | None = None, escort_walk: Walk | None = None,
                  patrol_m_s: float = 1.0) -> Position | None:
    """The position of a unit (see the module docstring for the rules).

    Parameters
    ----------
    unit : Unit
    moment : datetime
        The moment asked about (aware).
    minute : float
        The same moment in the plan's clock (local minutes after midnight).
    pings : dict
        Name -> latest :class:`~patrol.dispatch.record.Ping` at or before ``moment`` (only pings snapped
        to a block are used).
    timeline : Timeline or None
    stale_min : float
    locate : callable
        ``locate(block, offset_m) -> (lat, lon)``.
    engagement : Engagement, optional
        The unit's latest assignment of the day made at or before ``moment``.
    start : Position, optional
        The unit's position at the engagement's assignment (these rules at that moment, with the earlier
        engagements); needed to estimate a walk under way.
    walk : callable, optional
        ``walk(block, offset_m, metres) -> (block, offset_m)`` towards the engagement's incident.
    speed_m_s : float
        Response walking speed.
    plan_made_at : datetime, optional
        When the plan was made (a re-plan's moment): after an ended engagement, a plan made later places
        the unit again.
    escort_walk : callable, optional
        For an escort: ``walk(block, offset_m, metres)`` from A towards B along the shortest route.
    patrol_m_s : float
        Walking speed with the person(s) escorted (``speeds.patrol_m_s``).
    """
    best, best_age, best_t = _freshest(unit, pings, moment)
    eng = engagement
    if eng is not None and eng.block is not None:
        phase = eng.phase(moment)
        inc_block, inc_off, iid, eid = eng.block, eng.offset_m, eng.incident_id, eng.escort_id
        age = None if best is None else round(best_age, 2)
        after = "after incident" if eng.escort is None else "after escort"
        if phase == "on scene":
            return Position(inc_block, inc_off, eng.lat, eng.lon, "on scene", False, age, None, None, iid)
        if phase == "escorting":
            if best is not None and best_t is not None and eng.arrived_at is not None and best_t >= eng.arrived_at \
                    and best_age <= stale_min:
                return _ping_position(best, best_age, "ping", False, None, eid)
            return _escorted(eng, moment, best, best_age, best_t, escort_walk, patrol_m_s, locate, "escorting")
        if phase == "en route":
            since = eng.assigned_at
            if best is not None and best_t is not None and best_t >= since and best_age <= stale_min:
                return _ping_position(best, best_age, "ping", False, iid, eid)
            return _walked(eng, moment, best, best_age, best_t, start, walk, speed_m_s, locate)
        cleared = eng.cleared_at if eng.cleared_at is not None else moment  # phase "ended": cleared
        new_plan = plan_made_at is not None and plan_made_at >= cleared
        if not new_plan:
            if best is not None and best_t is not None and best_t >= cleared:
                fresh = best_age <= stale_min
                return _ping_position(best, best_age, "ping" if fresh else "stale ping", not fresh)
            if eng.escort is not None and eng.arrived_by(cleared):
                if eng.escort.arrived:
                    x = eng.escort
                    return Position(x.to_block, x.to_offset_m, x.to_lat, x.to_lon, after, True, age, None, None,
                                    None, eid)
                return _escorted(eng, cleared, best, best_age, best_t, escort_walk, patrol_m_s, locate, after)
            if eng.arrived_by(cleared):
                return Position(inc_block, inc_off, eng.lat, eng.lon, after, True, age, None, None, iid, eid)
            stop = _walked(eng, cleared, best, best_age, best_t, start, walk, speed_m_s, locate)
            if stop is not None:
                return Position(stop.block, stop.offset_m, stop.lat, stop.lon, after, True, age, None, None, iid,
                                eid)
    if best is not None and best_age <= stale_min:
        return _ping_position(best, best_age, "ping", False)
    if timeline is not None:
        for name in unit.names():
            if name in timeline.legs:
                pos = timeline.position(name, minute)
                if pos is not None:
                    block, off, activity = pos
                    lat, lon = locate(int(block), float(off))
                    return Position(int(block), float(off), lat, lon, "plan", True,
                                    None if best is None else round(best_age, 2), None, activity)
    if best is not None:
        return _ping_position(best, best_age, "stale ping", True)
    return None


def _walked(eng: Engagement, moment: datetime, best: Ping | None, best_age: float, best_t: datetime | None,
            start: Position | None, walk: Walk | None, speed_m_s: float, locate: Locate) -> Position | None:
    """The estimate along the route to the engagement's incident at ``moment`` (rule 2), ``None`` when the
    unit's start is unknown."""
    if best is not None and best_t is not None and eng.assigned_at <= best_t <= moment:
        origin: tuple[int, float] | None = (int(best.block or 0), float(best.offset_m or 0.0))
        t0 = best_t
    else:
        origin = None if start is None else (start.block, start.offset_m)
        t0 = eng.assigned_at
    if origin is None or walk is None:
        return None
    metres = speed_m_s * max((moment - t0).total_seconds(), 0.0)
    block, off = walk(origin[0], origin[1], metres)
    lat, lon = locate(block, off)
    return Position(block, off, lat, lon, "en route", True, None if best is None else round(best_age, 2), None,
                    None, eng.incident_id, eng.escort_id)


def _escorted(eng: Engagement, moment: datetime, best: Ping | None, best_age: float, best_t: datetime | None,
              walk: Walk | None, speed_m_s: float, locate: Locate, source: str) -> Position | None:
    """The estimate along an escort's walk from A to B at ``moment`` (A, or a stale ping taken since the start,
    whichever is later, walked on at ``speed_m_s``); ``None`` without the walk."""
    started = eng.arrived_at
    if walk is None or started is None or eng.block is None:
        return None
    if best is not None and best_t is not None and started <= best_t <= moment:
        origin, t0 = (int(best.block or 0), float(best.offset_m or 0.0)), best_t
    else:
        origin, t0 = (eng.block, eng.offset_m), started
    metres = speed_m_s * max((moment - t0).total_seconds(), 0.0)
    block, off = walk(origin[0], origin[1], metres)
    lat, lon = locate(block, off)
    return Position(block, off, lat, lon, source, True, None if best is None else round(best_age, 2), None, None,
                    None, eng.escort_id)
