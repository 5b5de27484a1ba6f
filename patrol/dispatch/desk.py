"""The dispatch desk: district + record + day's plan, answering the dispatcher's questions.

:class:`Desk` is what the CLI and the HTTP service call: it geocodes, snaps pings, works out who is
where and on what duty (:mod:`~patrol.dispatch.roster`, :mod:`~patrol.dispatch.positions`), ranks
(:mod:`~patrol.dispatch.ranking`) and writes to the record (:mod:`~patrol.dispatch.record`).

>>> from patrol.district import load_district
>>> from patrol.dispatch import Desk, Record
>>> desk = Desk(load_district(), record=Record(":memory:"))
>>> _ = desk.ping("amb3", 44.9485, -93.2950, t="2026-06-02T19:00:00Z")
>>> r = desk.rank("W Lake St & Girard Ave S", when="2026-06-02T19:02:00Z")
>>> r.ranked[0].ambassador
'amb3'
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from functools import cached_property

import numpy as np

from patrol.dispatch.clock import Clock, day_start, iso, local_minute, parse_time, utc_now, zone
from patrol.dispatch.cost import DispatchCost, PlanCosts
from patrol.dispatch.escorts import escort_engagements
from patrol.dispatch.fixes import FixPolicy
from patrol.dispatch.idempotency import Idempotency
from patrol.dispatch.network import DistanceField, Network, Route
from patrol.dispatch.positions import (
    Engagement,
    Position,
    UnitState,
    engagements,
    on_own_streets,
    snapper,
    unit_position,
)
from patrol.dispatch.ranking import Candidate, Ranking, rank_units
from patrol.dispatch.record import Assignment, FixResult, Incident, Record
from patrol.dispatch.roster import AVAILABLE, Unit, duty_status, roster_units
from patrol.errors import InputError, NotFoundError, PlanError
from patrol.geocode import Location
from patrol.settings import DAYS, format_hhmm
from patrol.timeline import Timeline

__all__ = ["NO_POINT", "Desk", "chosen", "record_assignment"]

#: Why an incident without a point needs its unit named.
NO_POINT = "name the ambassador: the incident has no point to rank from"

log = logging.getLogger(__name__)


class Desk:
    """Dispatch questions and record writes for one district.

    A desk may be shared by threads (an HTTP service): rankings only read, its caches are
    append-only, and writes go through the :class:`Record`'s lock and group commit.

    Parameters
    ----------
    district : District
    record : Record, optional
        Where pings, duty changes and incidents live; without it positions come from the plan only.
    timeline : Timeline, optional
        The day's plan (positions when pings are stale, breaks as duty status).
    units : dict, optional
        Unit -> members (a plan's ``units`` mapping, pairs mode); default from the roster.
    fix_policy : FixPolicy, optional
        Which GPS fixes :meth:`ping_many` refuses (default: :class:`~patrol.dispatch.fixes.FixPolicy`).
    clock : callable, optional
        Where "now" comes from (default: the record's clock, else the real time).
    plan_made_at : datetime or str, optional
        When the plan was made (a re-plan's moment): a unit whose assignment ended before it is placed by
        the plan again (:mod:`~patrol.dispatch.positions`, rule 3).
    district_key : str, optional
        The district's name in a program of several districts sharing one record (:mod:`patrol.program`):
        the incidents this desk records are stamped with it, and an incident of another district (a unit of
        this one sent across the boundary) has its point snapped onto this district's streets
        (:func:`~patrol.dispatch.positions.on_own_streets`).  ``None`` (one district): neither.
    """

    def __init__(self, district, *, record: Record | None = None, timeline: Timeline | None = None,
                 units: dict[str, list[str]] | None = None, network: Network | None = None,
                 fix_policy: FixPolicy | None = None, clock: Clock | None = None,
                 plan_made_at: datetime | str | None = None, district_key: str | None = None):
        self.district = district
        self.district_key = district_key
        self.fix_policy = fix_policy or FixPolicy()
        self.clock: Clock = clock or (record.clock if record is not None else utc_now)
        self.settings = district.settings
        self.record = record
        self.timeline = timeline
        self.plan_made_at = None if plan_made_at is None else parse_time(plan_made_at, field="plan_made_at")
        self.units: list[Unit] = roster_units(self.settings, units)
        if timeline is not None and not any(n in timeline.legs for u in self.units for n in u.names()):
            raise PlanError("the plan's walkers match no ambassador or unit of this district's roster "
                            f"(plan: {', '.join(timeline.walkers[:8])})", field="plan")
        if network is not None:
            self.__dict__["network"] = network
        shift = self.settings.shift
        self._shift = (shift.start_min, shift.end_min)
        self._shift_days = frozenset(shift.days)
        self._tz = self.settings.district.timezone
        self._geocoded: dict[str, Location] = {}
        self._fields: dict[tuple[int, float], DistanceField] = {}

    def use_plan(self, timeline: Timeline | None, units: dict[str, list[str]] | None,
                 plan_made_at: datetime | str | None = None) -> None:
        """Follow a new plan version (the service swaps it in when the plan file changes)."""
        self.timeline = timeline
        self.plan_made_at = None if plan_made_at is None else parse_time(plan_made_at, field="plan_made_at")
        self.units = roster_units(self.settings, units)
        self.__dict__.pop("plan_costs", None)  # cached for the old timeline

    def moment(self, when=None) -> datetime:
        """``when`` as an aware UTC time; ``None`` is now by the desk's clock."""
        return self.clock() if when is None else parse_time(when)

    @cached_property
    def network(self) -> Network:
        """The district's point-to-point walking network."""
        return Network.from_district(self.district)

    @cached_property
    def _names(self) -> dict[str, Unit]:
        return {n: u for u in self.units for n in u.names()}

    def unit(self, name: str) -> Unit:
        """The unit a name (unit or member) belongs to.

        Raises
        ------
        NotFoundError
            Naming the known ambassadors and units.
        """
        u = self._names.get(str(name).strip())
        if u is None:
            raise NotFoundError(f"unknown ambassador or unit {name!r}; known: {', '.join(self._names)}",
                                field="ambassador")
        return u

    # ------------------------------------------------------------------ where and on what duty
    def locate(self, at: str | Location) -> Location:
        """A location from a dispatcher's text (or an already resolved one)."""
        if isinstance(at, Location):
            return at
        key = str(at)
        loc = self._geocoded.get(key)
        if loc is None:
            loc = self.district.geocode(key)
            if len(self._geocoded) > 4096:
                self._geocoded.clear()
            self._geocoded[key] = loc
        return loc

    def situation(self, when: str | datetime | None = None) -> list[UnitState]:
        """Every unit's duty status, its source and its position at a moment (default now).

        Positions follow the record (:mod:`~patrol.dispatch.positions`): a unit on scene is at its incident,
        one en route is estimated along its route, one whose incident ended stays there until a ping or a
        newer plan places it; a unit on a safety escort is busy from when it sets off to A until the escort
        ended, and walks it from A to B.
        """
        moment = self.moment(when)
        tz = self._tz
        minute = local_minute(moment, tz)
        local = moment.astimezone(zone(tz))
        on_day = DAYS[local.weekday()] in self._shift_days
        busy: set[str] = set()
        explicit: dict[str, str] = {}
        pings: dict = {}
        engaged: list[Engagement] = []
        if self.record is not None:
            today = day_start(moment, tz)
            explicit = {k: v.status for k, v in self.record.duty_at(moment, since=today).items()}
            pings = self.record.latest_pings(moment, names=list(self._names))
            # assignments and escorts of the last 24 h not ended before today's local midnight (so across
            # midnight too), oldest first
            since = moment - timedelta(hours=24)
            engaged = on_own_streets(sorted((e for e in [*engagements(self.record, since, moment),
                                                         *escort_engagements(self.record, since, moment)]
                                             if e.cleared_at is None or e.cleared_at >= today),
                                            key=lambda e: e.assigned_at), self.district_key, self.snap)
            busy = set(self.record.busy(moment))
            busy.update(n for e in engaged if e.escort is not None and e.phase(moment) != "ended" for n in e.names)
        out: list[UnitState] = []
        for unit in self.units:
            activity, in_plan, hours = None, False, self._shift
            if self.timeline is not None:
                for n in unit.names():
                    if n in self.timeline.legs:
                        in_plan = True
                        legs = self.timeline.legs[n]
                        if legs:  # its own hours in the day's plan (a late start, an early leave)
                            hours = (legs[0].t0, legs[-1].t1)
                        pos = self.timeline.position(n, minute)
                        if pos is not None:
                            activity = pos[2]
                            break
            status, src = duty_status(unit, minute=minute, busy=busy, explicit=explicit, plan_activity=activity,
                                      in_plan=in_plan, on_shift_day=on_day, shift=hours)
            mine = [e for e in engaged if not set(unit.names()).isdisjoint(e.names)] if engaged else []
            out.append(UnitState(unit, status, src, self._position(unit, moment, minute, pings, mine)))
        return out

    def _position(self, unit: Unit, moment: datetime, minute: float, pings: dict,
                  mine: list[Engagement]) -> Position | None:
        """The unit's position by the rules of :mod:`~patrol.dispatch.positions`; ``mine`` are its assignments
        of the day made at or before ``moment``, oldest first (the position at the latest one's assignment is
        worked out the same way from the earlier ones)."""
        eng = mine[-1] if mine else None
        start, walk, escort_walk = None, None, None
        if eng is not None and eng.block is not None:
            phase = eng.phase(moment)
            if phase == "en route" or (phase == "ended" and eng.cleared_at is not None
                                       and not eng.arrived_by(eng.cleared_at)):
                at = eng.assigned_at
                then = {} if self.record is None else self.record.latest_pings(at, names=list(unit.names()))
                start = self._position(unit, at, local_minute(at, self._tz), then, mine[:-1])
                walk = self._walk_to(eng.block, eng.offset_m)
            if eng.escort is not None and phase in ("escorting", "ended"):
                escort_walk = self._walk_to(eng.escort.to_block, eng.escort.to_offset_m)
        return unit_position(unit, moment=moment, minute=minute, pings=pings, timeline=self.timeline,
                             stale_min=self.settings.dispatch.stale_ping_min, locate=self._locate_point,
                             engagement=eng, start=start, walk=walk, speed_m_s=self.settings.speeds.response_m_s,
                             plan_made_at=self.plan_made_at, escort_walk=escort_walk,
                             patrol_m_s=self.settings.speeds.patrol_m_s)

    def _walk_to(self, block: int, offset_m: float):
        """``walk(block, offset_m, metres)`` towards a point: along the shortest route (one search per point,
        cached); a start that cannot reach the point stays where it is."""
        key = (int(block), round(float(offset_m), 3))
        fld = self._fields.get(key)
        if fld is None:
            fld = self.network.field(key[0], key[1])
            if len(self._fields) > 256:
                self._fields.clear()
            self._fields[key] = fld

        def walk(b: int, o: float, metres: float) -> tuple[int, float]:
            try:
                return fld.point_along(b, o, metres)
            except InputError:
                return b, o

        return walk

    def snap(self, lat: float, lon: float) -> tuple[int, float] | None:
        """``(block, offset_m)`` of a point on the district's streets, ``None`` when it is farther than
        ``dispatch.max_snap_m`` from them."""
        return snapper(self.district.geocoder)(lat, lon)

    def incident_point(self, incident: Incident) -> tuple[int, float] | None:
        """An incident's point on this district's streets: as recorded, or for an incident of another district
        of the program its ``lat``/``lon`` snapped onto these streets (``None`` without a point or off them)."""
        if incident.block is None:
            return None
        if self.district_key is None or incident.district is None or incident.district == self.district_key:
            return incident.block, incident.offset_m or 0.0
        return None if incident.lat is None or incident.lon is None else self.snap(incident.lat, incident.lon)

    def _locate_point(self, block: int, offset_m: float) -> tuple[float, float]:
        return self.district.geocoder.point_on_block(block, offset_m)

    # ------------------------------------------------------------------ the ranking
    @cached_property
    def plan_costs(self) -> PlanCosts | None:
        """The cost of a dispatch to the day's plan (``None`` without a plan)."""
        return None if self.timeline is None else PlanCosts.from_district(self.timeline, self.district)

    def plan_walker(self, unit: Unit) -> str | None:
        """The unit's name in the day's plan (``None`` when the plan does not have it)."""
        if self.timeline is None:
            return None
        return next((n for n in unit.names() if n in self.timeline.legs), None)

    def rank(self, at: str | Location, *, when=None, top_routes: int = 3, incident_type: str | None = None,
             cost_tolerance_s: float | None = None, route_also: frozenset[str] = frozenset(),
             exclude: frozenset[str] = frozenset(), on_scene_min: float | None = None,
             arrive_by: bool = False) -> Ranking:
        """Rank the available units for an incident location at a moment (default now).

        With a plan, each available unit also gets the cost to the plan of sending it
        (:mod:`~patrol.dispatch.cost`): busy for its ETA plus the expected minutes on scene of
        ``incident_type`` (``dispatch.on_scene_min``; its ``other`` entry when no type is given), or
        ``on_scene_min`` when given (a safety escort: the walk from A to B).  With ``arrive_by`` the moment is
        when the unit must be there, so it is busy from the moment minus its ETA (a scheduled escort).

        Parameters
        ----------
        at : str or Location
        when : time, optional
        top_routes : int
        incident_type : str, optional
        cost_tolerance_s : float, optional
            Seconds within the nearest ETA where a lower cost wins (default ``dispatch.cost_tolerance_s``).
        route_also : frozenset of str
            Units that get a route whatever their rank (those already sent).
        exclude : frozenset of str
            Units left out of the ranking (the ambassador who pressed SOS is not their own backup).

        Raises
        ------
        GeocodeError, OutsideDistrictError
            When the location cannot be resolved or is off the district's streets.
        """
        loc = self.locate(at)
        moment = self.moment(when)
        entries = [e for e in self.situation(moment) if e.unit.name not in exclude]
        minute = local_minute(moment, self._tz)
        dispatch = self.settings.dispatch
        on_scene = dispatch.on_scene(incident_type) if on_scene_min is None else float(on_scene_min)
        tolerance = dispatch.cost_tolerance_s if cost_tolerance_s is None else float(cost_tolerance_s)
        costs = self.plan_costs

        def cost_of(c: Candidate) -> DispatchCost | None:
            walker = self.plan_walker(self.unit(c.ambassador))
            if costs is None or walker is None or c.eta_min is None:
                return None
            return costs.cost(walker, minute - c.eta_min if arrive_by else minute, c.eta_min, on_scene)

        cands = rank_units(self.network, loc.block, loc.offset_m, entries,
                           speed_m_s=self.settings.speeds.response_m_s, top_routes=top_routes,
                           cost_of=cost_of if costs is not None else None, cost_tolerance_s=tolerance,
                           route_also=route_also)
        location = {"text": at if isinstance(at, str) else loc.matched, "matched": loc.matched, "kind": loc.kind,
                    "lat": loc.lat, "lon": loc.lon, "block": loc.block, "offset_m": loc.offset_m,
                    "in_area": loc.in_area}
        ranking = Ranking(location, bool(loc.in_area), iso(moment), minute, cands, incident_type=incident_type,
                          on_scene_min=on_scene, cost_tolerance_s=tolerance)
        ranking.message = self._message(ranking, entries, minute)
        return ranking

    @staticmethod
    def _message(ranking: Ranking, entries, minute: float) -> str:
        notes = []
        if not ranking.in_area:
            notes.append("the location is outside the patrol area (on the district's streets)")
        on_shift = [e for e in entries if e[1] == AVAILABLE]
        if not ranking.ranked:
            if not entries or all(e[1] == "off duty" for e in entries):
                notes.append(f"nobody is on shift at {format_hhmm(minute)}")
            elif on_shift and all(e[3] is None for e in on_shift):
                notes.append("no positions: no recent pings in the record and no plan (give --plan or --db)")
            else:
                counts: dict[str, int] = {}
                for c in ranking.candidates:
                    counts[c.reason] = counts.get(c.reason, 0) + 1
                notes.append("nobody available (" + ", ".join(f"{n} {k}" for k, n in sorted(counts.items())) + ")")
        return "; ".join(notes)

    def rank_incident(self, incident: int | Incident, *, when=None, top_routes: int = 3,
                      route_also: frozenset[str] = frozenset()) -> Ranking:
        """:meth:`rank` for a recorded incident's point (give the incident or its id).

        Raises
        ------
        NotFoundError
            For an unknown incident.
        InputError
            When the incident has no point on the network.
        """
        inc = incident if isinstance(incident, Incident) else self._need_record().get_incident(incident)
        point = self.incident_point(inc)
        if point is None or inc.lat is None or inc.lon is None:
            raise InputError(f"incident {inc.id} has no point on the street network", field="incident_id")
        loc = Location(lat=inc.lat, lon=inc.lon, block=point[0], offset_m=point[1],
                       matched=inc.matched or inc.location_text, kind="point", in_area=bool(inc.in_area))
        return self.rank(loc, when=when, top_routes=top_routes, incident_type=inc.type, route_also=route_also)

    def route_to(self, position: Position, incident: Incident) -> Route | None:
        """The walking route from a unit's position to an incident's point (``None`` without a point or path)."""
        point = self.incident_point(incident)
        if point is None:
            return None
        return self.network.field(point[0], point[1]).route_to(position.block, position.offset_m)

    # ------------------------------------------------------------------ record writes
    def _need_record(self) -> Record:
        if self.record is None:
            raise InputError("this needs the incident record (--db)", field="db")
        return self.record

    def ping(self, ambassador: str, lat: float, lon: float, *, t=None, accuracy_m: float | None = None,
             actor: str | None = None) -> int:
        """Snap a GPS fix onto the street network and record it; returns the ping id.

        Raises
        ------
        NotFoundError
            For a name not on the roster.
        OutsideDistrictError
            When the fix is farther than ``dispatch.max_snap_m`` from every street.
        """
        rec = self._need_record()
        self.unit(ambassador)
        loc = self.district.geocoder.snap(float(lat), float(lon))
        return rec.add_ping(str(ambassador).strip(), float(lat), float(lon), t=t, accuracy_m=accuracy_m,
                            block=loc.block, offset_m=loc.offset_m, actor=actor)

    def ping_many(self, pings: list[dict], *, actor: str | None = None,
                  idem: Idempotency | None = None) -> list[FixResult]:
        """Check each fix, snap the good ones (vectorized) and record them in one transaction.

        Each ping is a dict with ``ambassador``, ``lat``, ``lon`` and optionally ``t``,
        ``accuracy_m`` and ``key`` (the client's id of the fix: see :meth:`Record.add_pings`).
        Every fix is judged on its own, so one bad fix never costs the others:

        * refused (not stored, ``reason`` says why): a name not on the roster, or a fix the
          :class:`~patrol.dispatch.fixes.FixPolicy` refuses (0,0, NaN, out of range, far outside the
          district, absurd accuracy, a time far from now);
        * stored unsnapped (``block`` NULL: it counts for no block and gives no position, ``reason``
          says so): farther than ``dispatch.max_snap_m`` from every street;
        * a duplicate of a fix stored under the same ``key`` (see :meth:`Record.add_pings`).

        Returns
        -------
        list of FixResult
            One per fix, in order.
        """
        rec = self._need_record()
        if not pings:
            return []
        now = self.clock()
        results: dict[int, FixResult] = {}
        good: list[int] = []
        for i, p in enumerate(pings):
            key = p.get("key")
            name = str(p.get("ambassador") or "").strip()
            reason = None if name in self._names else f"unknown ambassador or unit {name!r}"
            reason = reason or self.fix_refusal(p.get("lat"), p.get("lon"), accuracy_m=p.get("accuracy_m"),
                                                t=p.get("t"), now=now)
            if reason is None:
                good.append(i)
            else:
                results[i] = FixResult(i, "refused", None, False, reason, key)
        if good:
            lats = np.array([float(pings[i]["lat"]) for i in good])
            lons = np.array([float(pings[i]["lon"]) for i in good])
            blocks, offsets, dist = self.district.geocoder.snap_many(lats, lons)
            limit = self.settings.dispatch.max_snap_m
            rows = []
            far: dict[int, str] = {}
            for k, (i, b, o, d) in enumerate(zip(good, blocks.tolist(), offsets.tolist(), dist.tolist(), strict=True)):
                near = d <= limit
                if not near:
                    far[k] = f"{d:,.0f} m from the nearest street (limit {limit:g} m): stored without a block"
                rows.append({**pings[i], "ambassador": str(pings[i]["ambassador"]).strip(),
                             "block": b if near else None, "offset_m": round(o, 2) if near else None})

            def merged(stored: list[FixResult]) -> list[FixResult]:
                out = dict(results)
                for res in stored:
                    i = good[res.index]
                    out[i] = replace(res, index=i, reason=far.get(res.index) if res.status == "stored" else res.reason)
                return [out[i] for i in range(len(pings))]

            return merged(rec.add_pings(rows, actor=actor, idem=None if idem is None else idem.through(merged)))
        return [results[i] for i in range(len(pings))]  # every fix refused: nothing to write (no key stored)

    def fix_refusal(self, lat: float | None, lon: float | None, *, accuracy_m: float | None = None, t=None,
                    now=None) -> str | None:
        """Why a GPS fix cannot be stored (see :class:`~patrol.dispatch.fixes.FixPolicy`), or ``None``."""
        return self.fix_policy.refusal(lat, lon, accuracy_m=accuracy_m, t=t, now=self.moment(now),
                                       bounds=self._bounds)

    @cached_property
    def _bounds(self) -> tuple[float, float, float, float]:
        """``(south, west, north, east)`` of the district's street nodes."""
        lats = [d["lat"] for _, d in self.district.graph.nodes(data=True)]
        lons = [d["lon"] for _, d in self.district.graph.nodes(data=True)]
        return min(lats), min(lons), max(lats), max(lons)

    def set_duty(self, ambassador: str, status: str, *, at=None, note: str = "", actor: str | None = None,
                 idem: Idempotency | None = None):
        """Record a duty status change of a known ambassador or unit."""
        self.unit(ambassador)
        return self._need_record().set_duty(str(ambassador).strip(), status, at=at, note=note, actor=actor,
                                            idem=idem)

    def new_incident(self, at: str, *, type: str, source: str, priority: str = "normal", notes: str = "",
                     received_at=None, when=None, actor: str | None = None,
                     idem: Idempotency | None = None) -> Incident:
        """Geocode a location text and record a new incident there."""
        loc = self.locate(at)
        return self._need_record().new_incident(
            type=type, source=source, priority=priority, notes=notes, location_text=str(at), matched=loc.matched,
            lat=loc.lat, lon=loc.lon, block=loc.block, offset_m=loc.offset_m, in_area=loc.in_area,
            received_at=received_at, at=when, actor=actor, idem=idem, district=self.district_key)

    def assign(self, incident_id: int, ambassador: str | None = None, *, when=None, note: str = "",
               actor: str | None = None, eta_min: float | None = None,
               idem: Idempotency | None = None) -> Assignment:
        """Assign a unit to an incident (default: the top of the ranking), recording the ETA given.

        Raises
        ------
        InputError
            When nobody is available and no unit was named.
        """
        rec = self._need_record()
        inc = rec.get_incident(incident_id)
        moment = self.moment(when)
        unit = None if ambassador is None else self.unit(ambassador)
        cand: Candidate | None = None
        if self.incident_point(inc) is not None:
            ranking = self.rank_incident(inc.id, when=moment, top_routes=0)
            unit, cand = chosen(ranking.ranked, ranking.candidates, ranking.message, unit, self.unit)
        elif unit is None:
            raise InputError(NO_POINT, field="ambassador")
        return record_assignment(rec, inc.id, unit, cand, eta_min=eta_min, note=note, at=moment, actor=actor,
                                 idem=idem)


def chosen(ranked: list[Candidate], candidates: list[Candidate], message: str, named: Unit | None,
           unit_of: Callable[[str], Unit]) -> tuple[Unit, Candidate | None]:
    """The unit to send and the candidate its ETA comes from: the named unit with its candidate (``None`` when it
    is not ranked), or the top of the ranking (``unit_of`` finds its unit) when no unit is named.

    Raises
    ------
    InputError
        When no unit is named and nobody is available.
    """
    if named is not None:
        return named, next((c for c in candidates if c.ambassador == named.name), None)
    if not ranked:
        raise InputError(f"nobody to assign: {message or 'nobody available'}", field="ambassador")
    return unit_of(ranked[0].ambassador), ranked[0]


def record_assignment(rec: Record, incident_id: int, unit: Unit, cand: Candidate | None, *,
                      eta_min: float | None, note: str, at: datetime, actor: str | None,
                      idem: Idempotency | None) -> Assignment:
    """Record ``unit`` sent to the incident with the ETA given, or else the candidate's (a warning when the
    candidate was not available)."""
    if cand is not None and not cand.available:
        log.warning("assigning %s although %s", unit.name, cand.reason)
    return rec.assign(incident_id, unit.name, members=list(unit.members),
                      eta_min=eta_min if eta_min is not None else (None if cand is None else cand.eta_min),
                      distance_m=None if cand is None else cand.distance_m,
                      estimated=None if cand is None else cand.estimated, note=note, at=at, actor=actor,
                      idem=idem)
