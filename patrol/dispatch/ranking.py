"""Rank the available units by walking time to an incident.

For an incident point one Dijkstra runs from the point (:meth:`Network.field`); each unit's ETA is
then O(1): network distance from its position (offsets included) divided by the response speed.
Routes are read back for the top ``top_routes`` units only.

Ordering (deterministic)
    1. ETA in seconds rounded to 0.1 s (so float noise never decides),
    2. a position from a fresh ping before an estimated one (``estimated`` False first),
    3. unit name (alphabetical).

Available units come first, ranked 1, 2, ...; units on break, busy, off duty, without a position
or unreachable follow with ``rank = None`` and a ``reason`` (their ETA is still given when known).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from patrol.dispatch.network import Network, Route
from patrol.dispatch.positions import Position
from patrol.dispatch.roster import AVAILABLE, Unit

__all__ = ["Candidate", "Ranking", "rank_units", "tie_key"]

_SMALL = 24


@dataclass
class Candidate:
    """One unit in a ranking."""

    ambassador: str
    members: list[str]
    status: str
    status_source: str
    available: bool
    rank: int | None = None
    eta_min: float | None = None
    distance_m: float | None = None
    estimated: bool | None = None
    position: Position | None = None
    route: Route | None = None
    reason: str = ""

    def to_dict(self) -> dict:
        pos = self.position
        return {
            "ambassador": self.ambassador,
            "members": list(self.members),
            "rank": self.rank,
            "status": self.status,
            "status_source": self.status_source,
            "available": self.available,
            "eta_min": None if self.eta_min is None else round(self.eta_min, 2),
            "distance_m": None if self.distance_m is None else round(self.distance_m, 1),
            "estimated": self.estimated,
            "position_source": None if pos is None else pos.source,
            "position_age_min": None if pos is None else pos.age_min,
            "position": None if pos is None else {"lat": round(pos.lat, 6), "lon": round(pos.lon, 6),
                                                   "block": pos.block, "offset_m": round(pos.offset_m, 1),
                                                   "activity": pos.activity},
            "route": None if self.route is None else self.route.to_dict(),
            "reason": self.reason,
        }


@dataclass
class Ranking:
    """The answer to "who is nearest?" for one incident location at one moment."""

    location: dict
    in_area: bool
    moment: str
    minute: float
    candidates: list[Candidate] = field(default_factory=list)
    message: str = ""

    @property
    def ranked(self) -> list[Candidate]:
        """The available units, best first."""
        return [c for c in self.candidates if c.rank is not None]

    def to_list(self) -> list[dict]:
        """Candidates as JSON-ready dicts (the CLI's ``--json`` output)."""
        return [c.to_dict() for c in self.candidates]

    def to_dict(self) -> dict:
        return {"location": self.location, "in_area": self.in_area, "moment": self.moment,
                "minute": round(self.minute, 2), "message": self.message, "candidates": self.to_list()}


def tie_key(eta_s: float, estimated: bool, name: str) -> tuple:
    """The sort key of an available unit (see the module docstring)."""
    return (round(eta_s, 1) if math.isfinite(eta_s) else math.inf, bool(estimated), name)


def rank_units(network: Network, block: int, offset_m: float,
               entries: list[tuple[Unit, str, str, Position | None]], *, speed_m_s: float,
               top_routes: int = 3, limit_m: float = math.inf,
               route_also: frozenset[str] = frozenset()) -> list[Candidate]:
    """Rank units by walking time to the point ``(block, offset_m)``.

    Parameters
    ----------
    network : Network
    block, offset_m : int, float
        The incident point.
    entries : list of (Unit, status, status_source, Position or None)
    speed_m_s : float
        Response walking speed.
    top_routes : int
        Routes are computed for this many of the best available units.
    limit_m : float
        Search radius (units farther away are reported unreachable); ``inf`` for the whole network.
    route_also : frozenset of str
        Units given a route whatever their rank or status (the units already sent to the incident,
        so the dispatcher keeps seeing their way there).

    Returns
    -------
    list of Candidate
        Available and reachable units ranked first, then the others in name order.
    """
    fld = network.field(block, offset_m, limit=limit_m)
    placed = [(i, e[3]) for i, e in enumerate(entries) if e[3] is not None]
    dist: list[float]
    if len(placed) <= _SMALL:  # plain Python beats NumPy's call overhead for a handful of units
        dist = [math.inf] * len(entries)
        for i, p in placed:
            dist[i] = fld.distance_to(p.block, p.offset_m)
    else:
        far = np.full(len(entries), np.inf)
        far[[i for i, _ in placed]] = fld.distances_to(np.array([p.block for _, p in placed], dtype=np.int64),
                                                      np.array([p.offset_m for _, p in placed], dtype=np.float64))
        dist = far.tolist()
    cands: list[Candidate] = []
    for (unit, status, src, pos), d in zip(entries, dist, strict=True):
        c = Candidate(unit.name, list(unit.members), status, src, status == AVAILABLE, position=pos)
        if pos is not None:
            c.estimated = pos.estimated
            if math.isfinite(d):
                c.distance_m = float(d)
                c.eta_min = float(d) / speed_m_s / 60.0
        if not c.available:
            c.reason = status
        elif pos is None:
            c.available, c.reason = False, "no position (no ping and not in the plan)"
        elif c.eta_min is None:
            c.available, c.reason = False, "unreachable on the street network"
        cands.append(c)
    ok = sorted((c for c in cands if c.available),
                key=lambda c: tie_key((c.eta_min or 0.0) * 60.0, bool(c.estimated), c.ambassador))
    rest = sorted((c for c in cands if not c.available), key=lambda c: c.ambassador)
    for i, c in enumerate(ok):
        c.rank = i + 1
        if i < top_routes and c.position is not None:
            c.route = fld.route_to(c.position.block, c.position.offset_m)
    for c in rest:
        if c.ambassador in route_also and c.position is not None and c.distance_m is not None:
            c.route = fld.route_to(c.position.block, c.position.offset_m)
    return ok + rest
