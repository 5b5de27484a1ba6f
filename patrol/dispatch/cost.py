"""What a dispatch costs the plan: the corridor revisits, check-ins and breaks a unit would miss while busy.

Sending a unit at minute ``t`` keeps it busy until ``t + travel + on scene``: the ETA of the ranking and the
expected minutes on scene for the incident's type (``dispatch.on_scene_min``).  The unit's plan legs in that
window are taken out and the plan judged again on three counts:

* **corridor**: each pass of the unit (:meth:`patrol.timeline.Timeline.passes`: a block walked end to end)
  whose walk overlaps the busy window is lost.  Every corridor block's longest gap is recomputed from the
  passes left (every other unit's, and the unit's own outside the window), measured as the checker measures
  it: from ``shift start + corridor_first_visit_min - corridor_revisit_min``, between passes, to the shift
  end.  A block counts when its gap would exceed ``targets.corridor_revisit_min`` **and** be longer than in
  the plan (a block already over its target in the plan counts only if the dispatch makes it worse).
* **check-ins**: the check-ins the unit's plan has while it is busy (check-in legs overlapping the window).
  The rule is kept simple on purpose: whether one could still be fitted in later that day, in its opening
  hours, is for the re-plan to find out; the business's opening hours are reported beside it.
* **breaks**: a break of the unit overlapping the window is pushed to start when the unit is free again,
  keeping its length.  It is **out of its window** when it would then end after the meal window's end (the
  meal: the unit's first break of at least ``breaks.meal_min`` inside ``breaks.meal_window``), or, for a
  rest break, after the start of the unit's next break (or the shift end).  Every pushed break is listed;
  only those out of their window count.

:attr:`DispatchCost.lost` = corridor blocks + check-ins + breaks out of their window: the one number the
ranking compares (:mod:`patrol.dispatch.ranking`, ``dispatch.cost_tolerance_s``).

A safety escort is costed the same way (:mod:`patrol.dispatch.escort_desk`): busy for the walk to A and then
the walk from A to B at the patrol speed in place of the minutes on scene, from when the unit sets off (for an
escort wanted later: that time minus its walk to A).

Not counted: the walk back from the incident to where the plan resumes (the unit is taken to resume its plan
at the plan's position at the expected return), and hot-spot dwells.  A unit the plan does not know costs it
nothing.

Examples
--------
One unit walks corridor block 0 (100 m) end to end at 10:00-10:02 and 11:00-11:02 of a 10:00-18:00 shift.
Sent at 10:30 for 20 minutes' walk and 15 on scene, it is busy until 11:05: the 11:00 pass is lost, and the
block's longest gap grows from 11:02-18:00 (418 min) to 10:02-18:00 (478 min):

>>> from patrol.timeline import Leg, Timeline
>>> tl = Timeline({"a": [Leg(600, 602, 0, 0.0, 100.0), Leg(660, 662, 0, 100.0, 0.0)]})
>>> rules = PlanRules(shift=(600.0, 1080.0), first_visit_min=60.0, revisit_min=60.0, meal_window=(720.0, 870.0),
...                   meal_min=30.0)
>>> costs = PlanCosts(tl, lengths=[100.0], corridor={0: "W Lake St"}, businesses={}, rules=rules)
>>> c = costs.cost("a", 630.0, 20.0, 15.0)
>>> [(g.block, g.planned_gap_min, g.gap_min) for g in c.corridor], c.lost
([(0, 418.0, 478.0)], 1)
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache
from itertools import accumulate
from typing import NamedTuple

import numpy as np

from patrol.district import District
from patrol.settings import format_hhmm, parse_hhmm
from patrol.timeline import Leg, Timeline

__all__ = ["CorridorGap", "DispatchCost", "MissedCheckin", "PlanCosts", "PlanRules", "PushedBreak"]

_TOL = 1e-3  # minutes
#: :func:`~patrol.settings.format_hhmm` remembered per minute: a ranking formats about a hundred times, mostly the
#: same plan times.
_hhmm = lru_cache(maxsize=4096)(format_hhmm)


@dataclass(frozen=True)
class CorridorGap:
    """A corridor block whose revisit gap the dispatch would push over the target.

    Attributes
    ----------
    block : int
    street : str
    planned_gap_min, gap_min : float
        The block's longest gap in the plan, and with the dispatch.
    from_min, to_min : float
        Where that longest gap would lie (minutes after midnight).
    """

    block: int
    street: str
    planned_gap_min: float
    gap_min: float
    from_min: float
    to_min: float

    def to_dict(self) -> dict:
        return dict(self._json)

    @cached_property
    def _json(self) -> dict:
        """:meth:`to_dict`'s values, worked out once (:class:`PlanCosts` hands out one instance per gap)."""
        return {"block": self.block, "street": self.street, "planned_gap_min": round(self.planned_gap_min, 1),
                "gap_min": round(self.gap_min, 1), "from": _hhmm(self.from_min), "to": _hhmm(self.to_min)}


@dataclass(frozen=True)
class MissedCheckin:
    """A check-in the unit's plan has while it would be busy.

    Attributes
    ----------
    business : int
        Index in the district's business list (-1 when the leg names none).
    name : str
    planned_min : float
        When the plan has it.
    opens_min, closes_min : float or None
        The business's opening hours (``None`` when unknown).
    """

    business: int
    name: str
    planned_min: float
    opens_min: float | None
    closes_min: float | None

    def to_dict(self) -> dict:
        return dict(self._json)

    @cached_property
    def _json(self) -> dict:
        """:meth:`to_dict`'s values, worked out once (:class:`PlanCosts` hands out one instance per check-in)."""
        hours = None if self.opens_min is None or self.closes_min is None else \
            f"{_hhmm(self.opens_min)}-{_hhmm(self.closes_min)}"
        return {"business": self.business, "name": self.name, "planned": _hhmm(self.planned_min),
                "hours": hours}


@dataclass(frozen=True)
class PushedBreak:
    """A break of the unit the dispatch would push later.

    Attributes
    ----------
    kind : str
        ``meal`` or ``rest``.
    planned_min, length_min : float
    pushed_to_min : float
        Its new start: when the unit is free again.
    window_end_min : float
        By when it has to end (the meal window's end; for a rest break the unit's next break or the shift end).
    out_of_window : bool
    """

    kind: str
    planned_min: float
    length_min: float
    pushed_to_min: float
    window_end_min: float
    out_of_window: bool

    def to_dict(self) -> dict:
        return {"kind": self.kind, "planned": _hhmm(self.planned_min), "length_min": round(self.length_min, 1),
                "pushed_to": _hhmm(self.pushed_to_min), "window_end": _hhmm(self.window_end_min),
                "out_of_window": self.out_of_window}


@dataclass(frozen=True)
class DispatchCost:
    """What sending one unit would cost the plan (see the module docstring).

    Attributes
    ----------
    walker : str
        The unit's name in the plan.
    busy_from_min, busy_until_min : float
        The busy window, minutes after midnight.
    travel_min, on_scene_min : float
    corridor : tuple of CorridorGap
    checkins : tuple of MissedCheckin
    breaks : tuple of PushedBreak
        Every break pushed later (only those out of their window count in :attr:`lost`).
    """

    walker: str
    busy_from_min: float
    busy_until_min: float
    travel_min: float
    on_scene_min: float
    corridor: tuple[CorridorGap, ...] = ()
    checkins: tuple[MissedCheckin, ...] = ()
    breaks: tuple[PushedBreak, ...] = ()

    @property
    def breaks_out(self) -> int:
        """Breaks pushed out of their window."""
        return sum(1 for b in self.breaks if b.out_of_window)

    @property
    def lost(self) -> int:
        """Corridor blocks over target + check-ins missed + breaks out of their window."""
        return len(self.corridor) + len(self.checkins) + self.breaks_out

    def summary(self) -> str:
        """In words, for a table: ``2 blocks over gap, 1 check-in, meal break out of window`` or ``none``."""
        parts = []
        if self.corridor:
            parts.append(f"{len(self.corridor)} block{'s' if len(self.corridor) > 1 else ''} over gap")
        if self.checkins:
            parts.append(f"{len(self.checkins)} check-in{'s' if len(self.checkins) > 1 else ''}")
        for b in self.breaks:
            if b.out_of_window:
                parts.append(f"{b.kind} break out of window")
        return ", ".join(parts) or "none"

    def to_dict(self) -> dict:
        return {"walker": self.walker, "busy_from": _hhmm(self.busy_from_min),
                "busy_until": _hhmm(self.busy_until_min), "travel_min": round(self.travel_min, 2),
                "on_scene_min": round(self.on_scene_min, 1), "lost": self.lost, "summary": self.summary(),
                "corridor_blocks": [g.to_dict() for g in self.corridor],
                "checkins": [c.to_dict() for c in self.checkins],
                "breaks": [b.to_dict() for b in self.breaks]}


@dataclass(frozen=True)
class PlanRules:
    """The targets a dispatch's cost is measured against (the district's settings, minutes after midnight).

    Attributes
    ----------
    shift : (float, float)
    first_visit_min, revisit_min : float
        ``targets.corridor_first_visit_min`` and ``targets.corridor_revisit_min``.
    meal_window : (float, float)
    meal_min : float
    """

    shift: tuple[float, float]
    first_visit_min: float
    revisit_min: float
    meal_window: tuple[float, float]
    meal_min: float


def _first_longest(pts: Sequence[float]) -> tuple[float, float, float]:
    """The longest gap ``(length, from, to)`` between consecutive points (the first one on ties)."""
    best, j = -1.0, 0
    for i in range(len(pts) - 1):
        if pts[i + 1] - pts[i] > best:
            best, j = pts[i + 1] - pts[i], i
    return float(best), float(pts[j]), float(pts[j + 1])


def _longest_merged(pts: Sequence[float], gone: Sequence[int]) -> tuple[int, int]:
    """The first longest of the gaps merged when the points ``gone`` (sorted indices, never the first or last)
    are taken out: each run of consecutive points taken out merges the gaps around it into one.  Returns the
    indices of its two ends."""
    best, j0, j1 = -1.0, 0, 0
    k = 0
    while k < len(gone):
        first = gone[k]
        while k + 1 < len(gone) and gone[k + 1] == gone[k] + 1:
            k += 1
        a, z = first - 1, gone[k] + 1
        if pts[z] - pts[a] > best:
            best, j0, j1 = pts[z] - pts[a], a, z
        k += 1
    return j0, j1


class _Overlaps:
    """Items of one unit's plan (legs or passes) sorted by start, to find those a busy window overlaps.

    :meth:`hits` is the test of :meth:`PlanCosts.cost` (``t0 < until - tol`` and ``t1 > at + tol``) without
    testing every item: the starts are sorted (every item before the first start at or after ``until - tol``
    passes the first half), and the running maximum of the ends bounds the first item that can end after ``at``.
    """

    def __init__(self, spans: Sequence[tuple[float, float]]):
        self._t0 = [float(a) for a, _ in spans]
        self._t1 = [float(b) for _, b in spans]
        self._reach = list(accumulate(self._t1, max))

    def hits(self, at_min: float, until: float) -> list[int]:
        """Indices of the items overlapping the busy window ``(at_min, until)``, in order."""
        after, t1 = at_min + _TOL, self._t1
        return [k for k in range(bisect_right(self._reach, after), bisect_left(self._t0, until - _TOL))
                if t1[k] > after]


class _Unit(NamedTuple):
    """One unit's plan, sorted for :meth:`PlanCosts.cost`: its corridor passes as ``(block, index of the pass
    in the block's points)``, its check-ins (each one missed) and its breaks as ``(leg, kind, by when it has to
    end)`` (plan order)."""

    passes: list[tuple[int, int]]
    pass_spans: _Overlaps
    checkins: list[MissedCheckin]
    checkin_spans: _Overlaps
    breaks: list[tuple[Leg, str, float]]
    break_spans: _Overlaps


class PlanCosts:
    """The cost of dispatching any unit of one plan (the plan's passes and gaps worked out once).

    Each corridor block's gaps are measured between its points: ``lo``, the ends of its passes in time order, the
    shift end.  A dispatch takes some passes out; every gap it does not touch is at most the block's planned
    longest gap, so the block can only count when one of the gaps merged over the passes taken out is longer
    than that: only those are measured (no sorting, no walk over the block's other passes).

    Parameters
    ----------
    timeline : Timeline
        The plan.
    lengths : sequence of float
        Block id -> length in metres.
    corridor : dict
        Corridor block id -> street name (the blocks whose revisit gap is a target).
    businesses : dict
        Business index -> ``(name, opens_min, closes_min)``, for the check-ins' names and hours.
    rules : PlanRules
    """

    def __init__(self, timeline: Timeline, *, lengths: Sequence[float] | np.ndarray, corridor: Mapping[int, str],
                 businesses: Mapping[int, tuple[str, float, float]], rules: PlanRules):
        self.timeline = timeline
        self.rules = rules
        self.corridor = dict(corridor)
        self.businesses = dict(businesses)
        passes = timeline.passes(lengths)
        lo = rules.shift[0] + rules.first_visit_min - rules.revisit_min
        # block -> [lo, the ends of its passes (sorted: Timeline.passes sorts them), shift end]
        self._points: dict[int, list[float]] = {}
        self._planned: dict[int, float] = {}
        mine: dict[str, list[tuple[float, float, int, int]]] = {}
        for b in self.corridor:
            ps = passes.get(b, [])
            self._points[b] = [lo, *[p.t_end for p in ps], rules.shift[1]]
            self._planned[b] = _first_longest(self._points[b])[0]
            for i, p in enumerate(ps):
                mine.setdefault(p.walker, []).append((p.t_start, p.t_end, b, i + 1))
        self._units: dict[str, _Unit] = {}
        for w, legs in timeline.legs.items():
            own = sorted(mine.get(w, []))
            checkins = [leg for leg in legs if leg.activity == "checkin"]
            breaks = [leg for leg in legs if leg.activity == "break"]
            self._units[w] = _Unit([(b, i) for _, _, b, i in own], _Overlaps([(a, e) for a, e, _, _ in own]),
                                   [self._missed(leg) for leg in checkins],
                                   _Overlaps([(leg.t0, leg.t1) for leg in checkins]),
                                   self._break_windows(breaks), _Overlaps([(leg.t0, leg.t1) for leg in breaks]))
        # (block, from point, to point) -> the gap if it counts (:meth:`_judged`): a pure function of the plan, kept
        # with its dict
        self._gaps: dict[tuple[int, int, int], CorridorGap | None] = {}

    @classmethod
    def from_district(cls, timeline: Timeline, district: District) -> PlanCosts:
        """Costs of a plan judged by a district's corridor, businesses and settings."""
        s = district.settings
        a = district.arrays
        corridor = {int(b): str(a.edge_name[b]) for b in np.flatnonzero(a.edge_in_area & a.edge_corridor)}
        used = {leg.business for legs in timeline.legs.values() for leg in legs
                if leg.activity == "checkin" and 0 <= leg.business < len(district.businesses)}
        businesses = {}
        for i in sorted(used):
            opens, closes, _ = district.business_hours(i)
            businesses[i] = (district.businesses[i].name, float(opens), float(closes))
        ws, we = (parse_hhmm(t, field_name="breaks.meal_window") for t in s.breaks.meal_window)
        rules = PlanRules((float(s.shift.start_min), float(s.shift.end_min)), float(s.targets.corridor_first_visit_min),
                          float(s.targets.corridor_revisit_min), (float(ws), float(we)), float(s.breaks.meal_min))
        return cls(timeline, lengths=a.edge_length, corridor=corridor, businesses=businesses, rules=rules)

    def planned_gap(self, block: int) -> float:
        """A corridor block's longest gap in the plan, minutes."""
        return self._planned[block]

    def cost(self, walker: str, at_min: float, travel_min: float, on_scene_min: float) -> DispatchCost:
        """The cost of sending ``walker`` at minute ``at_min`` for ``travel_min + on_scene_min`` minutes.

        Parameters
        ----------
        walker : str
            The unit's name in the plan (a unit the plan does not know costs nothing).
        at_min : float
            The dispatch moment, minutes after midnight.
        travel_min, on_scene_min : float
        """
        until = at_min + max(travel_min, 0.0) + max(on_scene_min, 0.0)
        unit = self._units.get(walker)
        if unit is None or not self.timeline.legs[walker]:
            return DispatchCost(walker, at_min, until, travel_min, on_scene_min)
        return DispatchCost(walker, at_min, until, travel_min, on_scene_min, self._corridor(unit, at_min, until),
                            self._checkins(unit, at_min, until), self._breaks(unit, at_min, until))

    def _corridor(self, unit: _Unit, at_min: float, until: float) -> tuple[CorridorGap, ...]:
        lost: dict[int, list[int]] = {}
        for k in unit.pass_spans.hits(at_min, until):
            b, i = unit.passes[k]
            lost.setdefault(b, []).append(i)
        out = []
        for b in sorted(lost):
            gone = lost[b]
            if len(gone) == 1:  # the common case: one pass of the block taken out
                j0, j1 = gone[0] - 1, gone[0] + 1
            else:
                j0, j1 = _longest_merged(self._points[b], sorted(gone))
            key = (b, j0, j1)
            if key in self._gaps:
                gap = self._gaps[key]
            else:
                gap = self._gaps[key] = self._judged(b, j0, j1)
            if gap is not None:
                out.append(gap)
        return tuple(out)

    def _judged(self, b: int, j0: int, j1: int) -> CorridorGap | None:
        """Block ``b``'s gap from its point ``j0`` to its point ``j1`` (the longest a dispatch leaves it) when it is
        over the target and longer than the block's longest gap in the plan, else ``None``."""
        pts, planned = self._points[b], self._planned[b]
        gap = pts[j1] - pts[j0]
        if gap > self.rules.revisit_min + _TOL and gap > planned + _TOL:
            return CorridorGap(b, self.corridor[b], planned, float(gap), float(pts[j0]), float(pts[j1]))
        return None

    def _missed(self, leg: Leg) -> MissedCheckin:
        """A check-in leg, missed."""
        known = self.businesses.get(leg.business)
        name = known[0] if known else (leg.ref or "a business")
        return MissedCheckin(leg.business, name, leg.t0, None if known is None else known[1],
                             None if known is None else known[2])

    def _checkins(self, unit: _Unit, at_min: float, until: float) -> tuple[MissedCheckin, ...]:
        return tuple(unit.checkins[k] for k in unit.checkin_spans.hits(at_min, until))

    def _break_windows(self, breaks: list[Leg]) -> list[tuple[Leg, str, float]]:
        """A unit's break legs (plan order) with their kind and by when each has to end."""
        r = self.rules
        ws, we = r.meal_window
        meal = next((leg for leg in breaks if leg.t1 - leg.t0 >= r.meal_min - _TOL and leg.t0 >= ws - _TOL
                     and leg.t1 <= we + _TOL), None) if r.meal_min > 0 else None
        out = []
        for i, leg in enumerate(breaks):
            if leg is meal:
                out.append((leg, "meal", min(we, r.shift[1])))
            else:
                later = [x.t0 for x in breaks[i + 1:] if x.t0 >= leg.t1 - _TOL]
                out.append((leg, "rest", min([*later, r.shift[1]])))
        return out

    def _breaks(self, unit: _Unit, at_min: float, until: float) -> tuple[PushedBreak, ...]:
        out = []
        for k in unit.break_spans.hits(at_min, until):
            leg, kind, end = unit.breaks[k]
            length = leg.t1 - leg.t0
            start = max(leg.t0, until)
            out.append(PushedBreak(kind, leg.t0, length, start, end, start + length > end + _TOL))
        return tuple(out)
