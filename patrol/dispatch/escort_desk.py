"""The dispatcher's side of a safety escort: where A and B are, the walk between them, who can reach A soonest and
what sending them costs the plan, and the record writes (:mod:`patrol.dispatch.escorts`).

The walk from A to B is the shortest route along the streets (:meth:`patrol.dispatch.network.Network.field`),
walked at the patrol speed (``speeds.patrol_m_s``: a person is escorted at a walking pace, not the response
speed).  The ranking is the desk's ranking at A (:meth:`patrol.dispatch.desk.Desk.rank`): the nearest available
units by walking time at the response speed, each with the cost to the plan of being busy for the walk to A
plus the escort (:mod:`patrol.dispatch.cost`).  For an escort wanted now the ranking is at now; for one wanted
later it is at that time (where the units will be by then, from the plan when pings are stale by then), and the
unit is busy from that time minus its walk to A.

>>> from patrol.district import load_district
>>> from patrol.dispatch import Desk, Record
>>> desk = Desk(load_district(), record=Record(":memory:"))
>>> w = EscortDesk(desk).walk("W Lake St & Girard Ave S", "W Lagoon Ave & Girard Ave S")
>>> w.route.streets, round(w.distance_m)
(['Girard Ave S'], 99)
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from patrol.dispatch.clock import iso, parse_time
from patrol.dispatch.desk import Desk
from patrol.dispatch.escorts import Escort, EscortBook, EscortPoint
from patrol.dispatch.idempotency import Idempotency
from patrol.dispatch.network import Route
from patrol.dispatch.ranking import Ranking
from patrol.dispatch.record import Record
from patrol.errors import InputError
from patrol.geocode import Location

__all__ = ["EscortDesk", "EscortWalk"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EscortWalk:
    """The walk of an escort: A and B resolved, the route from A to B and how long it takes.

    Attributes
    ----------
    start, end : Location
        A and B.
    route : Route
        From A to B along the streets.
    distance_m : float
    duration_min : float
        At the patrol speed.
    """

    start: Location
    end: Location
    route: Route
    distance_m: float
    duration_min: float

    def to_dict(self) -> dict[str, Any]:
        def loc(x: Location) -> dict[str, Any]:
            return {"matched": x.matched, "lat": round(x.lat, 6), "lon": round(x.lon, 6), "block": x.block,
                    "offset_m": round(x.offset_m, 1), "in_area": x.in_area}

        return {"from": loc(self.start), "to": loc(self.end), "distance_m": round(self.distance_m, 1),
                "duration_min": round(self.duration_min, 1), "route": self.route.to_dict()}


def _point(loc: Location) -> EscortPoint:
    return int(loc.block), float(loc.offset_m), float(loc.lat), float(loc.lon)


class EscortDesk:
    """Escort requests, rankings and assignments over a :class:`~patrol.dispatch.desk.Desk` with a record.

    Parameters
    ----------
    desk : Desk
        Its record keeps the escorts.

    Raises
    ------
    InputError
        When the desk has no record.
    """

    def __init__(self, desk: Desk):
        if desk.record is None:
            raise InputError("escorts need the record (--db)", field="db")
        self.desk = desk
        self.record: Record = desk.record
        self.book = EscortBook(desk.record)

    # ------------------------------------------------------------------ the walk
    def walk(self, start: str | Location, end: str | Location) -> EscortWalk:
        """A and B resolved (anything the geocoder accepts) and the walk between them.

        Raises
        ------
        GeocodeError, OutsideDistrictError
            When A or B cannot be resolved.
        InputError
            When B cannot be reached from A on foot, or A and B are the same point.
        """
        a, b = self.desk.locate(start), self.desk.locate(end)
        route = self.desk.network.field(b.block, b.offset_m).route_to(a.block, a.offset_m)
        if route is None:
            raise InputError(f"{b.matched} cannot be reached on foot from {a.matched}", field="to")
        if route.distance_m < 1.0:
            raise InputError(f"A and B are the same place ({a.matched})", field="to")
        minutes = route.distance_m / self.desk.settings.speeds.patrol_m_s / 60.0
        return EscortWalk(a, b, route, float(route.distance_m), float(minutes))

    def walk_of(self, esc: Escort) -> EscortWalk:
        """The walk of a recorded escort (from its stored points)."""
        a = Location(lat=esc.from_lat, lon=esc.from_lon, block=esc.from_block, offset_m=esc.from_offset_m,
                     matched=esc.from_matched or esc.from_text, kind="point")
        b = Location(lat=esc.to_lat, lon=esc.to_lon, block=esc.to_block, offset_m=esc.to_offset_m,
                     matched=esc.to_matched or esc.to_text, kind="point")
        return self.walk(a, b)

    # ------------------------------------------------------------------ who can go
    def moment(self, esc: Escort, when=None) -> tuple[datetime, bool]:
        """The ranking's moment for an escort (now, or its wanted time when later) and whether it is a time to
        be at A by."""
        now = self.desk.moment(when)
        wanted = parse_time(esc.wanted_at)
        return (wanted, True) if wanted > now else (now, False)

    def rank(self, esc: Escort | int, *, when=None, top_routes: int = 3) -> Ranking:
        """Who can reach A soonest, each with the cost to the plan of the walk there and the escort."""
        e = esc if isinstance(esc, Escort) else self.book.get(esc)
        at, by = self.moment(e, when)
        a = Location(lat=e.from_lat, lon=e.from_lon, block=e.from_block, offset_m=e.from_offset_m,
                     matched=e.from_matched or e.from_text, kind="point",
                     in_area=bool(self.desk.district.settings.area.contains(e.from_lat, e.from_lon)))
        sent = frozenset({e.unit} if e.unit and e.status in ("assigned", "under way") else ())
        ranking = self.desk.rank(a, when=at, top_routes=top_routes, incident_type="other",
                                 on_scene_min=e.duration_min, arrive_by=by, route_also=sent)
        ranking.incident_type = "safety escort"
        ranking.location["text"] = e.from_text
        return ranking

    def options(self, esc: Escort | int, *, when=None, top_routes: int = 3) -> dict[str, Any]:
        """What the dispatcher sees: the escort, its walk from A to B and the ranking at A (JSON-ready)."""
        e = esc if isinstance(esc, Escort) else self.book.get(esc)
        at, by = self.moment(e, when)
        return {"escort": e.to_dict(), "walk": self.walk_of(e).to_dict(),
                "ranking": self.rank(e, when=when, top_routes=top_routes).to_dict(),
                "ranked_at": iso(at), "be_at_a_by": iso(at) if by else None}

    # ------------------------------------------------------------------ writes
    def request(self, start: str | Location, end: str | Location, *, wanted_at=None, people: int = 1,
                source: str = "phone", notes: str = "", requested_at=None, when=None, unit: str | None = None,
                started: bool = False, actor: str | None = None, idem: Idempotency | None = None) -> Escort:
        """Resolve A and B, work out the walk and record the request (see :meth:`EscortBook.request`).

        ``unit`` takes it on the spot (a walk-up; ``started``: already walking with the person(s)).

        Raises
        ------
        GeocodeError, InputError
            When A or B cannot be resolved or B cannot be reached from A.
        NotFoundError
            For a unit not on the roster.
        """
        w = self.walk(start, end)
        members = None
        if unit is not None:
            u = self.desk.unit(unit)
            unit, members = u.name, list(u.members)
        return self.book.request(
            from_text=start if isinstance(start, str) else w.start.matched, from_point=_point(w.start),
            to_text=end if isinstance(end, str) else w.end.matched, to_point=_point(w.end),
            distance_m=w.distance_m, duration_min=w.duration_min, wanted_at=wanted_at, people=people,
            source=source, notes=notes, from_matched=w.start.matched, to_matched=w.end.matched,
            requested_at=requested_at, unit=unit, members=members, started=started, at=when, actor=actor, idem=idem)

    def assign(self, escort_id: int, unit: str | None = None, *, when=None, note: str = "",
               actor: str | None = None, idem: Idempotency | None = None) -> Escort:
        """Send a unit (default: the top of the ranking at A), recording its walk to A and when it sets off.

        Raises
        ------
        InputError
            When nobody is available and no unit was named.
        TransitionError
            When the escort is under way, done or cancelled.
        """
        esc = self.book.get(escort_id)
        ranking = self.rank(esc, when=when, top_routes=0)
        if unit is None:
            if not ranking.ranked:
                raise InputError(f"nobody to send: {ranking.message or 'nobody available'}", field="ambassador")
            cand = ranking.ranked[0]
        else:
            name = self.desk.unit(unit).name
            cand = next(c for c in ranking.candidates if c.ambassador == name)
            if not cand.available:
                log.warning("sending %s on escort %d although %s", name, esc.id, cand.reason)
        u = self.desk.unit(cand.ambassador)
        return self.book.assign(esc.id, u.name, members=list(u.members), eta_min=cand.eta_min,
                                travel_m=cand.distance_m, note=note, at=self.desk.moment(when), actor=actor,
                                idem=idem)
