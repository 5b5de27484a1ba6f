"""Rank the available units by walking time to an incident.

For an incident point one Dijkstra runs from the point (:meth:`Network.field`); each unit's ETA is
then O(1): network distance from its position (offsets included) divided by the response speed.
Routes are read back for the top ``top_routes`` units only.

Ordering (deterministic)
    1. ETA in seconds rounded to 0.1 s (so float noise never decides),
    2. a position from a fresh ping before an estimated one (``estimated`` False first),
    3. unit name (alphabetical).

Available units come first, ranked 1, 2, ...; units on break, busy, off duty, without a position
or unreachable follow with ``rank = None`` and a ``reason`` (their ETA is still given when known, from
where the record places them: a unit en route or on scene is found along its route or at its incident,
:mod:`patrol.dispatch.positions`).

The cost to the plan (:mod:`patrol.dispatch.cost`)
    Each available unit also gets the cost of sending it (``cost``), when a plan is known.  The ranking
    stays by ETA unless a tolerance ``cost_tolerance_s`` > 0 is set (``dispatch.cost_tolerance_s``; 0, the
    default, is off): then the units whose ETA is within that many seconds of the nearest unit's are
    ordered first by their cost (:attr:`~patrol.dispatch.cost.DispatchCost.lost`, fewest first; a unit
    without a cost counts 0), then by the order above; the units farther away follow by ETA.  So a unit up
    to N seconds farther wins when sending it costs the plan less.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from patrol.dispatch.cost import DispatchCost
from patrol.dispatch.network import Network, Route
from patrol.dispatch.positions import Position, UnitState
from patrol.dispatch.roster import AVAILABLE

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
    cost: DispatchCost | None = None

    @property
    def incident_id(self) -> int | None:
        """The incident whose assignment places the unit (en route, on scene, just resolved), if any."""
        return None if self.position is None else self.position.incident_id

    @property
    def escort_id(self) -> int | None:
        """The safety escort that places the unit (on its way to A, walking it, just ended), if any."""
        return None if self.position is None else self.position.escort_id

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
            "incident_id": self.incident_id,
            "escort_id": self.escort_id,
            "cost": None if self.cost is None else self.cost.to_dict(),
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
    incident_type: str | None = None
    on_scene_min: float | None = None
    cost_tolerance_s: float = 0.0

    @property
    def ranked(self) -> list[Candidate]:
        """The available units, best first."""
        return [c for c in self.candidates if c.rank is not None]

    def to_list(self) -> list[dict]:
        """Candidates as JSON-ready dicts (the CLI's ``--json`` output)."""
        return [c.to_dict() for c in self.candidates]

    def to_dict(self) -> dict:
        return {"location": self.location, "in_area": self.in_area, "moment": self.moment,
                "minute": round(self.minute, 2), "message": self.message, "incident_type": self.incident_type,
                "on_scene_min": self.on_scene_min, "cost_tolerance_s": self.cost_tolerance_s,
                "candidates": self.to_list()}


def tie_key(eta_s: float, estimated: bool, name: str) -> tuple:
    """The sort key of an available unit (see the module docstring)."""
    return (round(eta_s, 1) if math.isfinite(eta_s) else math.inf, bool(estimated), name)


def rank_units(network: Network, block: int, offset_m: float, entries: Sequence[UnitState], *, speed_m_s: float,
               top_routes: int = 3, limit_m: float = math.inf,
               cost_of: Callable[[Candidate], DispatchCost | None] | None = None,
               cost_tolerance_s: float = 0.0, route_also: frozenset[str] = frozenset()) -> list[Candidate]:
    """Rank units by walking time to the point ``(block, offset_m)``.

    Parameters
    ----------
    network : Network
    block, offset_m : int, float
        The incident point.
    entries : list of UnitState
        ``(unit, status, status_source, Position or None)`` per unit.
    speed_m_s : float
        Response walking speed.
    top_routes : int
        Routes are computed for this many of the best available units.
    limit_m : float
        Search radius (units farther away are reported unreachable); ``inf`` for the whole network.
    cost_of : callable, optional
        The cost to the plan of sending an available candidate (its ETA is set), or ``None``.
    cost_tolerance_s : float
        Seconds within the nearest ETA where a lower cost wins (see the module docstring); 0 is off.
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
    def key(c: Candidate) -> tuple:
        return tie_key((c.eta_min or 0.0) * 60.0, bool(c.estimated), c.ambassador)

    ok = sorted((c for c in cands if c.available), key=key)
    if cost_of is not None:
        for c in ok:
            c.cost = cost_of(c)
    if cost_tolerance_s > 0 and ok:
        limit = key(ok[0])[0] + cost_tolerance_s + 1e-9
        near = sum(1 for c in ok if key(c)[0] <= limit)
        ok[:near] = sorted(ok[:near], key=lambda c: (0 if c.cost is None else c.cost.lost, key(c)))
    rest = sorted((c for c in cands if not c.available), key=lambda c: c.ambassador)
    for i, c in enumerate(ok):
        c.rank = i + 1
        if i < top_routes and c.position is not None:
            c.route = fld.route_to(c.position.block, c.position.offset_m)
    for c in rest:
        if c.ambassador in route_also and c.position is not None and c.distance_m is not None:
            c.route = fld.route_to(c.position.block, c.position.offset_m)
    return ok + rest
