"""What a roster can do on an area at most: lower bounds on the work each target needs, against the time
the roster has.  Computed in milliseconds to a second, before any search, so a plan can say at once why a
target cannot be met, and how many people it would take (``patrol plan staffing``, :mod:`.staffing`).

Every figure is a *lower bound* (a pair walks together, so it is one unit):

* **time on the street**: each unit's hours less its breaks (:func:`unit_minutes`);
* **corridor, over the day**: keeping every corridor block's gap within the revisit limit over
  ``[start + first-visit - revisit, end]`` takes at least ``ceil(span / revisit) - 1`` passes of each block,
  each a walk of the block's length;
* **corridor, per revisit period**: in any window of ``revisit`` minutes every corridor block has a pass that
  ends in it, so the walkers walk the whole corridor in ``revisit`` minutes plus the longest block's walk:
  ``corridor_m <= units x (speed x revisit + longest block)``;
* **area**: every other area block walked ``area_visits_per_shift`` times;
* **check-ins**: ``checkin_min`` per business due;
* **hot spots**: ``n`` dwells of the minimum length per hot spot, the fewest with ``n x dwell + (n + 1) x revisit
  >= shift``;
* **on the street** (people): breaks come first; at every moment at least ``min_on_street`` people stay out,
  so the meals (``meal_min`` each, all in the meal window) and all the breaks fit only when
  ``people x meal <= (people - min_on_street) x window`` and ``people x breaks <= (people - min_on_street) x shift``;
* **reach** (with the distances from the base): units leave from the base at their start and are back by their
  end, so a corridor block whose first pass cannot end within the first-visit limit, an area block that cannot
  be walked there and back within the shift, a hot spot farther than its revisit limit, or a business whose
  opening hours leave no check-in between the walk there and the walk back, cannot be served *by any roster*.

Walking between duties is left out, so the real need is larger: when a bound already exceeds what the roster
has, the target is impossible with this roster (:meth:`Capacity.impossible`); when it does not, only a plan can
tell.  :meth:`Capacity.needed` turns the same bounds into the fewest units per target.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from patrol.planning.model import BreakSlot, DayInput, UnitSpec
from patrol.settings import Breaks, parse_hhmm

__all__ = ["WORK", "Capacity", "capacity", "unit_minutes"]

#: Targets whose work is added up in unit-minutes, in the order their lines are printed.
WORK = ("corridor", "hotspots", "checkins", "area")
_WORDS = {"corridor": "corridor", "hotspots": "hot spots", "checkins": "check-ins", "area": "area"}


@dataclass(frozen=True)
class Capacity:
    """Unit-minutes the roster has, the least each target needs, and the figures behind them.

    Attributes
    ----------
    available_min : float
        The roster's minutes on the street (hours less breaks).
    units : int
        Units (a pair is one).
    need_min : dict of str to float
        Least unit-minutes per target of :data:`WORK`.
    detail : dict of str to str
        Per target of :data:`WORK`, the figures in words.
    people : int
        People in the roster.
    people_per_unit : int
        2 in pairs mode, else 1.
    corridor_km, corridor_period_min, longest_block_m : float
        The corridor, the revisit limit, and its longest block.
    speed_m_min : float
        Patrol speed.
    never : dict of str to str
        Targets no roster can meet (out of reach of the base), with the figures.
    on_street_people : int or None
        The fewest people with whom the breaks keep the on-street minimum (``None``: never; 0: no rule).
    on_street_detail : str
    """

    available_min: float
    units: int
    need_min: dict[str, float]
    detail: dict[str, str]
    people: int = 0
    people_per_unit: int = 1
    corridor_km: float = 0.0
    corridor_period_min: float = 60.0
    longest_block_m: float = 0.0
    speed_m_min: float = 60.0
    never: dict[str, str] = field(default_factory=dict)
    on_street_people: int | None = 0
    on_street_detail: str = ""

    @property
    def per_unit_min(self) -> float:
        """A unit's average minutes on the street."""
        return self.available_min / max(self.units, 1)

    def period_km(self, units: int | None = None) -> float:
        """Kilometres ``units`` (default: the roster's) can walk in one revisit period."""
        n = self.units if units is None else units
        return n * self.speed_m_min * self.corridor_period_min / 1000.0

    def _period_units(self) -> int:
        """The fewest units that can pass every corridor block once per revisit period."""
        if self.corridor_km <= 0:
            return 0
        per = self.speed_m_min * self.corridor_period_min + self.longest_block_m
        return int(math.ceil(self.corridor_km * 1000.0 / per - 1e-9))

    def impossible(self, priority: tuple[str, ...]) -> dict[str, str]:
        """Targets that cannot be met with this roster, whatever the plan, once the ones before them in
        ``priority`` are kept: target -> the figures that show it."""
        out, used, before = {}, 0.0, False
        units = f"{self.units} unit{'s' if self.units != 1 else ''}"
        for t in priority:
            if t in self.never:
                out[t] = f"impossible whatever the roster: {self.never[t]}"
            if t not in self.need_min:
                continue
            used += self.need_min[t]
            if t in out:
                pass
            elif t == "corridor" and self.units < self._period_units():
                out[t] = (f"impossible with this roster: {self.corridor_km:.1f} km of corridor to pass every "
                          f"{self.corridor_period_min:g} min, more than the {self.period_km():.1f} km the {units} "
                          f"walk in {self.corridor_period_min:g} min (at least {self._period_units()} units)")
            elif used > self.available_min + 1e-6:
                out[t] = (f"impossible with this roster: {self.detail[t]}"
                          + (f", {used:.0f} min with the targets kept before it" if before else "")
                          + f", more than the {self.available_min:.0f} min the {units} have on the street")
            before = True
        return out

    def needed(self, priority: tuple[str, ...] | None = None) -> dict[str, int | None]:
        """The fewest units of this roster's kind (its average minutes on the street) each target's bound
        allows, and ``"all"`` for every target together; ``None`` when no roster can meet it."""
        per = max(self.per_unit_min, 1e-9)
        out: dict[str, int | None] = {}
        for t in WORK:
            n = int(math.ceil(self.need_min[t] / per - 1e-9))
            if t == "corridor":
                n = max(n, self._period_units())
            out[t] = None if t in self.never else n
        ppu = max(self.people_per_unit, 1)
        out["on_street"] = None if self.on_street_people is None else int(math.ceil(self.on_street_people / ppu))
        together = int(math.ceil(sum(self.need_min.values()) / per - 1e-9))
        values = [v for v in out.values()]
        out["all"] = None if any(v is None for v in values) else max([together, 1, *(v or 0 for v in values)])
        if priority is not None:
            out = {t: out[t] for t in (*priority, "all") if t in out}
        return out

    def units_needed(self) -> int | None:
        """The fewest units whose time covers every target's least need (a lower bound on the staffing; a
        plan tells whether it is enough); ``None`` when some target is out of reach whatever the roster."""
        return self.needed()["all"]

    def lines(self, priority: tuple[str, ...]) -> list[str]:
        """The verdict in plain words, one line per figure (``patrol plan`` prints them before the search)."""
        n = self.units
        ppl = f" ({self.people} people)" if self.people != n else ""
        out = [f"{n} unit{'s' if n != 1 else ''}{ppl} have {self.available_min:.0f} min on the street "
               f"({self.per_unit_min:.0f} each after breaks)"]
        if self.corridor_km > 0:
            out.append(f"corridor: {self.corridor_km:.1f} km to pass every {self.corridor_period_min:g} min; "
                       f"{n} unit{'s' if n != 1 else ''} walk at most {self.period_km():.1f} km in "
                       f"{self.corridor_period_min:g} min; over the day {self.detail['corridor']}")
        for t in ("hotspots", "checkins", "area"):
            out.append(f"{_WORDS[t]}: {self.detail[t]}")
        total = sum(self.need_min.values())
        out.append(f"together at least {total:.0f} min of the {self.available_min:.0f} min "
                   f"({100 * total / max(self.available_min, 1e-9):.0f} %), walking between duties left out")
        if self.on_street_detail:
            out.append(f"on the street: {self.on_street_detail}")
        for t, why in self.impossible(priority).items():
            out.append(f"NOT POSSIBLE: {t}: {why}")
        need = self.units_needed()
        if need is None:
            out.append("no roster can meet every target on this area (see above)")
        elif need > n:
            out.append(f"every target needs at least {need} units (the bounds); this roster has {n}")
        else:
            out.append(f"the bounds allow every target with {need} units or more: only a plan can tell")
        return out

    def to_dict(self) -> dict[str, object]:
        return {"available_min": round(self.available_min, 1), "units": self.units,
                "need_min": {k: round(v, 1) for k, v in self.need_min.items()}, "detail": dict(self.detail),
                "units_needed_at_least": self.units_needed(), "people": self.people,
                "corridor_km": round(self.corridor_km, 3), "corridor_period_km": round(self.period_km(), 2),
                "never": dict(self.never), "on_street_people": self.on_street_people,
                "needed": self.needed()}


def unit_minutes(unit: UnitSpec, breaks: list[BreakSlot]) -> float:
    """A unit's minutes on the street: its hours less its breaks."""
    return float(unit.end - unit.start - sum(b.end - b.start for b in breaks))


def _on_street(breaks: Breaks, start: float, end: float, people: int) -> tuple[int | None, str]:
    """The fewest people whose breaks keep ``min_on_street`` out (see the module docstring), in words."""
    m = int(breaks.min_on_street)
    total = float(breaks.meal_min + breaks.rest_count * breaks.rest_min)
    if m <= 0 or total <= 0:
        return 0, ""
    span = end - start
    ws, we = (parse_hhmm(t) for t in breaks.meal_window)
    window = max(0.0, min(we, end) - max(ws, start))
    need = [float(m) + 1]
    if breaks.meal_min > 0 and span / 60.0 >= breaks.meal_after_h:
        if window <= breaks.meal_min:
            return None, f"no meal of {breaks.meal_min} min fits the {window:.0f}-min meal window"
        need.append(m * window / (window - breaks.meal_min))
    if total < span:
        need.append(m * span / (span - total))
    fewest = int(math.ceil(max(need) - 1e-9))
    text = (f"{m} must stay out while each person takes a {breaks.meal_min}-min meal in the {window:.0f}-min "
            f"window and {total:g} min of breaks in all: at least {fewest} people"
            + (f" (the roster has {people})" if people < fewest else ""))
    return fewest, text


def _reach(inp: DayInput, base_dist: np.ndarray, units: list[UnitSpec], dwell_min: float,
           names: np.ndarray | None) -> dict[str, str]:
    """Targets out of reach of the base whatever the roster (see the module docstring)."""
    v = inp.speed_m_min
    s0 = min((u.start for u in units), default=inp.start)
    e0 = max((u.end for u in units), default=inp.end)
    du, dv = base_dist[inp.edge_u], base_dist[inp.edge_v]
    near = np.minimum(du, dv)
    far = np.maximum(du, dv)
    L = inp.edge_length
    out: dict[str, str] = {}

    def name(b: int) -> str:
        return f"{names[b]} (block {b})" if names is not None else f"block {b}"

    corr = np.flatnonzero(inp.edge_corridor)
    allowed = inp.start + inp.corridor_first - s0
    late = corr[(near[corr] + L[corr]) / v > allowed + 1e-6]
    if late.size:
        b = int(late[np.argmax(near[late])])
        out["corridor"] = (f"{late.size} corridor block{'s' if late.size != 1 else ''} cannot be passed within the "
                           f"first {inp.corridor_first:g} min from the base at {v * 60 / 1000:.1f} km/h (farthest: "
                           f"{name(b)}, {near[b] / 1000:.1f} km away)")
    area = np.flatnonzero(inp.required_visits > 0)
    away = area[(near[area] + L[area] + far[area]) / v > e0 - s0 + 1e-6]
    if away.size:
        b = int(away[np.argmax(near[away])])
        out["area"] = (f"{away.size} area block{'s' if away.size != 1 else ''} cannot be walked there and back "
                       f"within the {e0 - s0:.0f}-min shift (farthest: {name(b)}, {near[b] / 1000:.1f} km away)")
    hot = [h for h in inp.hotspots if near[h] / v > inp.hotspot_revisit + 1e-6]
    if hot:
        out["hotspots"] = (f"{len(hot)} hot spot{'s' if len(hot) != 1 else ''} more than "
                           f"{inp.hotspot_revisit:g} min from the base (the first dwell comes too late)")
    if inp.biz_index.size:
        bb = inp.biz_block.astype(np.int64)
        off = inp.biz_offset
        d = np.minimum(du[bb] + off, dv[bb] + L[bb] - off) / v
        lo = np.maximum(inp.biz_open, s0 + d)
        hi = np.minimum(inp.biz_close, e0 - d)
        bad = np.flatnonzero(hi - lo < inp.checkin_min - 1e-6)
        if bad.size:
            out["checkins"] = (f"{bad.size} business{'es' if bad.size != 1 else ''} due cannot be checked in with "
                               f"inside their opening hours and the shift, the walk from and back to the base "
                               f"counted (e.g. {inp.biz_ref[int(bad[0])]})")
    return out


def capacity(inp: DayInput, units: list[UnitSpec], slots: list[list[BreakSlot]], *, area_visits: int,
             dwell_min: float, base_dist: np.ndarray | None = None, breaks: Breaks | None = None,
             names: np.ndarray | None = None) -> Capacity:
    """The roster's time and each target's least need on the day's input.

    Parameters
    ----------
    inp : DayInput
    units : list of UnitSpec
    slots : list of list of BreakSlot
        Per unit, its breaks.
    area_visits : int
        Passes of each area block (``targets.area_visits_per_shift``).
    dwell_min : float
        The shortest hot-spot dwell.
    base_dist : ndarray, optional
        Walking metres from the base to every node: adds what is out of reach whatever the roster.
    breaks : Breaks, optional
        The break rules: adds the on-street bound in people.
    names : ndarray, optional
        Street name per block (for the words).
    """
    v = inp.speed_m_min
    avail = float(sum(unit_minutes(u, s) for u, s in zip(units, slots, strict=True)))
    corr = np.flatnonzero(inp.edge_corridor)
    lo = inp.start + inp.corridor_first - inp.corridor_revisit
    passes = max(0, math.ceil((inp.end - lo) / inp.corridor_revisit - 1e-9) - 1)
    corr_km = float(inp.edge_length[corr].sum()) / 1000.0
    area = np.flatnonzero(inp.required_visits > 0)
    area_km = float((inp.edge_length[area] * inp.required_visits[area]).sum()) / 1000.0
    span = inp.end - inp.start
    R = inp.hotspot_revisit
    dwells = max(0, math.ceil((span - R) / (R + dwell_min) - 1e-9)) if span > R else 0
    need = {
        "corridor": corr_km * 1000.0 * passes / v,
        "hotspots": len(inp.hotspots) * dwells * dwell_min,
        "checkins": len(inp.biz_index) * inp.checkin_min,
        "area": area_km * 1000.0 / v,
    }
    detail = {
        "corridor": f"{corr_km:.1f} km of corridor walked at least {passes} times = {need['corridor']:.0f} min",
        "hotspots": f"{len(inp.hotspots)} hot spots x {dwells} dwells x {dwell_min:g} min = {need['hotspots']:.0f} min",
        "checkins": f"{len(inp.biz_index)} check-ins x {inp.checkin_min:g} min = {need['checkins']:.0f} min",
        "area": f"{area_km:.1f} km of area blocks = {need['area']:.0f} min",
    }
    people = sum(len(u.members) for u in units)
    ppu = max((len(u.members) for u in units), default=1)
    on_people, on_text = (0, "") if breaks is None else _on_street(breaks, inp.start, inp.end, people)
    never = {} if base_dist is None else _reach(inp, np.asarray(base_dist, float), units, dwell_min, names)
    return Capacity(avail, len(units), need, detail, people=people, people_per_unit=ppu, corridor_km=corr_km,
                    corridor_period_min=float(inp.corridor_revisit),
                    longest_block_m=float(inp.edge_length[corr].max()) if corr.size else 0.0, speed_m_min=v,
                    never=never, on_street_people=on_people, on_street_detail=on_text)
