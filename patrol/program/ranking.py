"""Dispatch across the districts of a program: who is nearest, whatever district they belong to.

:class:`ProgramDesk` holds one :class:`~patrol.dispatch.Desk` per district, all on the program's one record.
Each desk places its own units by the usual rules (:mod:`patrol.dispatch.positions`: the record, pings, the
district's plan) on its own streets; the program's ranking then puts every unit of every district on the joined
network (:mod:`patrol.program.joined`) and ranks them by walking time from the incident's point with the same
function and the same order as one district's desk (:func:`patrol.dispatch.ranking.rank_units`).

The rule, in words a dispatcher can check
    An incident belongs to one district, its **home**: the district named by the dispatcher, else the district
    whose patrol area holds the place (the smaller area when two do), else the first district whose streets
    know the place.  Every available unit of every district is ranked by its walking time on the joined
    network; a unit of another district that is nearer than the home district's units ranks above them and is
    flagged (``neighbour: true`` with its ``district``).  The cost to the plan is each unit's own district's plan;
    the time on scene and the cost tolerance are the home district's (``dispatch`` settings).

Walking times are exact on the joined network: a neighbour's unit reaches the incident along any street of any
district, and the route shown is that walk.  A unit sent across the boundary stays its own district's: its
phone, its plan and its pings are its district's; the incident's point is snapped onto that district's streets
for its "on the way" estimate (:func:`patrol.dispatch.positions.on_own_streets`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from patrol.dispatch.clock import iso, local_minute
from patrol.dispatch.cost import DispatchCost
from patrol.dispatch.desk import NO_POINT, Desk, chosen, record_assignment
from patrol.dispatch.idempotency import Idempotency
from patrol.dispatch.network import Route
from patrol.dispatch.positions import Position, UnitState
from patrol.dispatch.ranking import Candidate, Ranking, rank_units
from patrol.dispatch.record import Assignment, Incident, Record
from patrol.dispatch.roster import Unit
from patrol.errors import GeocodeError, InputError, NotFoundError
from patrol.geocode import Location
from patrol.program.load import Program

__all__ = ["ProgramDesk", "ProgramRanking"]


@dataclass
class ProgramRanking:
    """A ranking across the districts of a program.

    Attributes
    ----------
    ranking : Ranking
        Candidates of every district; positions as each unit's district places them (its own blocks); routes on
        the joined network (their ``blocks`` are joined ids).
    district : str
        The incident's home district.
    owners : dict
        Unit name -> its district.
    """

    ranking: Ranking
    district: str
    owners: dict[str, str]

    @property
    def ranked(self) -> list[Candidate]:
        return self.ranking.ranked

    @property
    def candidates(self) -> list[Candidate]:
        return self.ranking.candidates

    def neighbour(self, c: Candidate) -> bool:
        """Whether a candidate is a unit of another district than the incident's."""
        return self.owners.get(c.ambassador) != self.district

    def to_dict(self) -> dict[str, Any]:
        out = self.ranking.to_dict()
        out["district"] = self.district
        out["network"] = "joined"
        for c, d in zip(self.ranking.candidates, out["candidates"], strict=True):
            d["district"] = self.owners.get(c.ambassador)
            d["neighbour"] = self.neighbour(c)
        out["location"]["district"] = self.district
        return out


class ProgramDesk:
    """The dispatch desk of a program: one :class:`Desk` per district, ranking on the joined network.

    Parameters
    ----------
    program : Program
    desks : dict
        District name -> its desk (``district_key`` set to that name, all on one record).
    """

    def __init__(self, program: Program, desks: dict[str, Desk]):
        missing = [k for k in program.districts if k not in desks]
        if missing:
            raise InputError(f"no desk for district(s) {', '.join(missing)}", field="district")
        self.program = program
        self.desks = {k: desks[k] for k in program.districts}
        first = next(iter(self.desks.values()))
        self.record: Record | None = first.record
        self.clock = first.clock

    def moment(self, when=None) -> datetime:
        return next(iter(self.desks.values())).moment(when)

    def desk(self, district: str) -> Desk:
        """The desk of a district (:class:`~patrol.errors.ConfigError` naming the program's districts)."""
        return self.desks[self.program.get(district).name]

    def unit(self, name: str) -> tuple[str, Unit]:
        """``(district, unit)`` of an ambassador or unit name, in any district.

        Raises
        ------
        NotFoundError
            Naming every district's ambassadors.
        """
        for key, desk in self.desks.items():
            try:
                return key, desk.unit(name)
            except NotFoundError:
                continue
        known = "; ".join(f"{k}: {', '.join(u.name for u in d.units)}" for k, d in self.desks.items())
        raise NotFoundError(f"unknown ambassador or unit {name!r}; known: {known}", field="ambassador")

    # ------------------------------------------------------------------ where
    def locate(self, at: str | Location, district: str | None = None) -> tuple[str, Location]:
        """The home district of a place and the place on its streets (see the module docstring).

        Raises
        ------
        GeocodeError, OutsideDistrictError
            The first district's answer when no district knows the place.
        ConfigError
            For an unknown ``district``.
        """
        if district is not None:
            key = self.program.get(district).name
            return key, self.desks[key].locate(at)
        found: dict[str, Location] = {}
        first_error: GeocodeError | None = None
        for key, desk in self.desks.items():
            try:
                found[key] = desk.locate(at)
            except GeocodeError as exc:
                first_error = first_error or exc
        if not found:
            raise first_error or GeocodeError(f"no district knows {at!r}", field="location")
        home = self.program.home_of({k: bool(loc.in_area) for k, loc in found.items()})
        return home, found[home]

    def situation(self, when=None, *, district: str | None = None) -> list[tuple[str, UnitState]]:
        """Every unit of every district (or of one) with its duty status and position, as its desk places it."""
        moment = self.moment(when)
        keys = [self.program.get(district).name] if district is not None else list(self.desks)
        return [(k, s) for k in keys for s in self.desks[k].situation(moment)]

    # ------------------------------------------------------------------ ranking
    def rank(self, at: str | Location, *, district: str | None = None, when=None, top_routes: int = 3,
             incident_type: str | None = None, cost_tolerance_s: float | None = None,
             route_also: frozenset[str] = frozenset(), exclude: frozenset[str] = frozenset()) -> ProgramRanking:
        """Rank every district's available units for a place (see the module docstring).

        Parameters mean what they mean for :meth:`patrol.dispatch.Desk.rank`; ``district`` names the home district
        (default: found from the place).
        """
        home, loc = self.locate(at, district)
        desk = self.desks[home]
        joined = self.program.joined
        moment = self.moment(when)
        minute = local_minute(moment, self.program.timezone)
        dispatch = desk.settings.dispatch
        on_scene = dispatch.on_scene(incident_type)
        tolerance = dispatch.cost_tolerance_s if cost_tolerance_s is None else float(cost_tolerance_s)
        owners: dict[str, str] = {}
        placed: dict[str, Position | None] = {}
        entries: list[UnitState] = []
        for key, s in self.situation(moment):
            if s.unit.name in exclude:
                continue
            owners[s.unit.name] = key
            placed[s.unit.name] = s.position
            pos = None if s.position is None else replace(s.position, block=joined.block(key, s.position.block))
            entries.append(UnitState(s.unit, s.status, s.status_source, pos))
        with_costs = any(d.plan_costs is not None for d in self.desks.values())

        def cost_of(c: Candidate) -> DispatchCost | None:
            own = self.desks[owners[c.ambassador]]
            walker = own.plan_walker(own.unit(c.ambassador))
            if own.plan_costs is None or walker is None or c.eta_min is None:
                return None
            return own.plan_costs.cost(walker, minute, c.eta_min, on_scene)

        cands = rank_units(joined.network, joined.block(home, loc.block), loc.offset_m, entries,
                           speed_m_s=desk.settings.speeds.response_m_s, top_routes=top_routes,
                           cost_of=cost_of if with_costs else None, cost_tolerance_s=tolerance, route_also=route_also)
        for c in cands:  # positions as the unit's own district places them (its own blocks)
            c.position = placed[c.ambassador]
        location = {"text": at if isinstance(at, str) else loc.matched, "matched": loc.matched, "kind": loc.kind,
                    "lat": loc.lat, "lon": loc.lon, "block": loc.block, "offset_m": loc.offset_m,
                    "in_area": loc.in_area}
        ranking = Ranking(location, bool(loc.in_area), iso(moment), minute, cands, incident_type=incident_type,
                          on_scene_min=on_scene, cost_tolerance_s=tolerance)
        ranking.message = Desk._message(ranking, entries, minute)
        return ProgramRanking(ranking, home, owners)

    def incident_home(self, incident: Incident) -> str:
        """The district an incident belongs to (the first district for an incident the record gives none)."""
        if incident.district is None:
            return self.program.default
        return self.program.get(incident.district).name

    def rank_incident(self, incident: int | Incident, *, when=None, top_routes: int = 3,
                      route_also: frozenset[str] = frozenset()) -> ProgramRanking:
        """:meth:`rank` at a recorded incident's point, in its home district.

        Raises
        ------
        InputError
            When the incident has no point on the street network.
        """
        inc = incident if isinstance(incident, Incident) else self._record().get_incident(incident)
        if inc.block is None or inc.lat is None or inc.lon is None:
            raise InputError(f"incident {inc.id} has no point on the street network", field="incident_id")
        loc = Location(lat=inc.lat, lon=inc.lon, block=inc.block, offset_m=inc.offset_m or 0.0,
                       matched=inc.matched or inc.location_text, kind="point", in_area=bool(inc.in_area))
        return self.rank(loc, district=self.incident_home(inc), when=when, top_routes=top_routes,
                         incident_type=inc.type, route_also=route_also)

    def route_to(self, district: str, position: Position, incident: Incident) -> Route | None:
        """The walk on the joined network from a unit's position (on ``district``'s streets) to an incident of
        any district (``None`` without a point or a path)."""
        if incident.block is None:
            return None
        joined = self.program.joined
        fld = joined.network.field(joined.block(self.incident_home(incident), incident.block), incident.offset_m or 0.0)
        return fld.route_to(joined.block(district, position.block), position.offset_m)

    # ------------------------------------------------------------------ record writes
    def _record(self) -> Record:
        if self.record is None:
            raise InputError("this needs the incident record (--db)", field="db")
        return self.record

    def new_incident(self, at: str, *, district: str | None = None, type: str, source: str,
                     priority: str = "normal", notes: str = "", received_at=None, when=None,
                     actor: str | None = None, idem: Idempotency | None = None) -> Incident:
        """Record an incident in its home district (found from the place unless ``district`` is given)."""
        home, _ = self.locate(at, district)
        return self.desks[home].new_incident(at, type=type, source=source, priority=priority, notes=notes,
                                             received_at=received_at, when=when, actor=actor, idem=idem)

    def assign(self, incident_id: int, ambassador: str | None = None, *, when=None, note: str = "",
               actor: str | None = None, eta_min: float | None = None,
               idem: Idempotency | None = None) -> Assignment:
        """Assign a unit of any district (default: the top of the program's ranking), recording its ETA.

        Raises
        ------
        InputError
            When nobody is available and no unit was named.
        NotFoundError
            For an unknown incident or unit.
        """
        rec = self._record()
        inc = rec.get_incident(incident_id)
        moment = self.moment(when)
        unit = None if ambassador is None else self.unit(ambassador)[1]
        cand: Candidate | None = None
        if inc.block is not None:
            ranking = self.rank_incident(inc, when=moment, top_routes=0)
            unit, cand = chosen(ranking.ranked, ranking.candidates, ranking.ranking.message, unit,
                                lambda name: self.unit(name)[1])
        elif unit is None:
            raise InputError(NO_POINT, field="ambassador")
        return record_assignment(rec, inc.id, unit, cand, eta_min=eta_min, note=note, at=moment, actor=actor,
                                 idem=idem)
