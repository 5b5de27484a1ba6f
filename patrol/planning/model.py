"""The planner's records: a day's input in contiguous indices and minutes, the walking units, their steps.

Every stage of :mod:`patrol.planning` reads a :class:`DayInput` (built once by
:func:`patrol.planning.duties.day_input`) and writes :class:`Unit` state; a unit's steps are
:class:`patrol.timeline.Leg` records (a check-in carries its business's district index), so the plan's
steps *are* its timeline.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from patrol.timeline import Leg

__all__ = ["BreakSlot", "DayInput", "DayRoster", "Shortfall", "Unit", "UnitSpec"]


@dataclass(frozen=True)
class DayRoster:
    """The day's changes to the district's roster (who is out, who comes late or leaves early, pairs).

    Attributes
    ----------
    pairs : bool or None
        Units of two today (``None``: as ``roster.pairs`` says).
    absent : tuple of str
        Ambassadors not working today.
    only : tuple of str
        When given, the only ambassadors working today (in roster order).
    hours : tuple of (name, start, end)
        Ambassadors working other hours than the shift: minutes after midnight, inside the shift.
    """

    pairs: bool | None = None
    absent: tuple[str, ...] = ()
    only: tuple[str, ...] = ()
    hours: tuple[tuple[str, int, int], ...] = ()

    @property
    def changes(self) -> bool:
        return self.changes_people or self.pairs is not None

    @property
    def changes_people(self) -> bool:
        """Whether someone is out or on other hours today."""
        return bool(self.absent or self.only or self.hours)

    def to_dict(self) -> dict[str, object]:
        """As plan.json's ``day_roster`` (times as ``HH:MM``)."""
        out: dict[str, object] = {}
        if self.pairs is not None:
            out["pairs"] = self.pairs
        if self.absent:
            out["absent"] = list(self.absent)
        if self.only:
            out["only"] = list(self.only)
        if self.hours:
            out["hours"] = {n: [f"{a // 60:02d}:{a % 60:02d}", f"{b // 60:02d}:{b % 60:02d}"] for n, a, b in self.hours}
        return out


@dataclass(frozen=True)
class BreakSlot:
    """One planned break: ``start`` and ``end`` in minutes after midnight, ``kind`` meal or rest."""

    start: int
    end: int
    kind: str


@dataclass(frozen=True)
class UnitSpec:
    """A walking unit of the day's roster: one ambassador, or a pair.

    Attributes
    ----------
    name : str
        ``amb3``, or ``amb3+amb4`` for a pair.
    members : tuple of str
        The ambassadors in it.
    role : str
        ``walker``, or ``rover`` (a lead who stays free to respond; left out of the balance).
    start, end : int
        The unit's hours today, minutes after midnight (the shift, unless the day's roster says otherwise).
    """

    name: str
    members: tuple[str, ...]
    role: str
    start: int
    end: int

    def to_dict(self) -> dict[str, object]:
        return {"name": self.name, "members": list(self.members), "role": self.role}


@dataclass
class Unit:
    """A walking unit while it is scheduled: where it is, its clock, and the steps so far."""

    name: str
    members: list[str]
    role: str
    breaks: list[BreakSlot]
    start: float
    end: float
    start_node: int
    node: int = 0
    t: float = 0.0
    steps: list[Leg] = field(default_factory=list)
    walk_m: float = 0.0
    checkins: int = 0
    dwell_min: float = 0.0
    breaks_taken: set[int] = field(default_factory=set)
    done: bool = False

    @property
    def people(self) -> int:
        return len(self.members)


@dataclass(frozen=True)
class DayInput:
    """Everything the scheduler needs about one day, in contiguous node/block indices and minutes.

    The due businesses are listed in one order (``biz_*`` arrays, position ``i``); ``biz_index[i]`` is
    the business's index in the district's list.
    """

    n_nodes: int
    edge_u: np.ndarray
    edge_v: np.ndarray
    edge_length: np.ndarray
    edge_corridor: np.ndarray  # corridor blocks inside the area
    required_visits: np.ndarray  # per block, passes required (area blocks off the corridor), else 0
    base: int
    start: float
    end: float
    speed_m_min: float
    corridor_first: float
    corridor_revisit: float
    hotspots: list[int]
    hotspot_revisit: float
    dwell_range: tuple[int, int]
    biz_index: np.ndarray
    biz_block: np.ndarray
    biz_offset: np.ndarray
    biz_open: np.ndarray
    biz_close: np.ndarray
    biz_ref: list[str]
    checkin_min: float
    seed: int = 0
    #: a re-plan's history: per block, its last corridor pass before the units start (else none)
    corridor_last: np.ndarray | None = None
    #: ... per hot spot, the end of its last dwell before the units start
    hotspot_last: dict[int, float] | None = None


@dataclass(frozen=True)
class Shortfall:
    """A target the plan does not meet: what was required, what it achieves, and why.

    Attributes
    ----------
    target : str
        ``corridor_revisit``, ``area_coverage``, ``checkins``, ``hotspot_revisit``, ``balance``, ``breaks``
        or ``min_on_street``.
    required, achieved : str
        In words with units (``<= 60 min``, ``61.1 min``).
    detail : str
        Which blocks, businesses, units or breaks.
    why : str
        Why it is not met: the bound that makes it impossible, the time limit, or the search's best.
    """

    target: str
    required: str
    achieved: str
    detail: str
    why: str = ""

    def to_dict(self) -> dict[str, str]:
        return {"target": self.target, "required": self.required, "achieved": self.achieved, "detail": self.detail,
                "why": self.why}
