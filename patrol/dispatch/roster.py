"""Who responds, and their duty status at a moment.

A *unit* responds as one: an ambassador alone, or a pair (``roster.pairs``).  Unit names follow the
plan: roster names (``lead``, ``amb2``, ...) when walking alone; in pairs mode the plan's ``units``
mapping (``team1 -> [lead, amb2]``) when it has one, else consecutive roster names paired up
(``team1`` = first two names, ...; an odd one out walks alone as its own unit).

Duty status of a unit at a moment, first rule that applies:

1. **busy** when the record has an assignment under way for the unit or a member;
2. the latest explicit duty change of the day in the record, for the unit or any of its members
   (for a pair, the least available member counts: off duty, then busy, then on break);
3. the plan timeline at that minute: a ``break`` leg is **on break**, a ``respond`` leg **busy**,
   any other leg **on shift**;
4. otherwise **on shift** on a shift day within the unit's hours (its first to last minute in the day's plan: a late
   start or an early leave counts; the district's shift for a unit the plan does not have), else **off duty**.

Only **on shift** units are available to dispatch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from patrol.settings import Settings
from patrol.timeline import read_plan_file

__all__ = ["AVAILABLE", "Unit", "duty_status", "plan_units", "roster_units"]

#: The one duty status that can be dispatched.
AVAILABLE = "on shift"
_SEVERITY = {"off duty": 3, "busy": 2, "on break": 1, "on shift": 0}


@dataclass(frozen=True)
class Unit:
    """A responding unit: its name and its members (one ambassador, or a pair)."""

    name: str
    members: tuple[str, ...]
    _names: tuple[str, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_names", (self.name, *[m for m in self.members if m != self.name]))

    def names(self) -> tuple[str, ...]:
        """The unit's name and its members (the keys its pings and status changes may use)."""
        return self._names


def plan_units(plan: str | Path | dict | None) -> dict[str, list[str]] | None:
    """The units (unit -> members) of a ``plan.json`` (its path or content): its ``walkers[name].members``
    (docs/plan-schema.md), or a top-level ``units`` mapping; ``None`` when the plan names none."""
    if plan is None:
        return None
    data = plan if isinstance(plan, dict) else read_plan_file(plan)
    units = data.get("units")
    if not isinstance(units, dict) and isinstance(data.get("walkers"), dict):
        units = {name: w.get("members") for name, w in data["walkers"].items() if isinstance(w, dict)}
    if not isinstance(units, dict):
        return None
    out = {}
    for name, members in units.items():
        if isinstance(members, list | tuple) and members and all(isinstance(m, str) for m in members):
            out[str(name)] = [str(m) for m in members]
    return out or None


def roster_units(settings: Settings, units: dict[str, list[str]] | None = None) -> list[Unit]:
    """The responding units of a district's roster (see the module docstring)."""
    if units:
        return [Unit(name, tuple(members)) for name, members in units.items()]
    names = settings.roster.ambassador_names()
    if not settings.roster.pairs:
        return [Unit(n, (n,)) for n in names]
    out = []
    for i in range(0, len(names), 2):
        group = tuple(names[i:i + 2])
        out.append(Unit(f"team{i // 2 + 1}" if len(group) == 2 else group[0], group))
    return out


def duty_status(unit: Unit, *, minute: float, busy: set[str] | dict, explicit: dict[str, str],
                plan_activity: str | None, in_plan: bool, on_shift_day: bool, shift: tuple[float, float]
                ) -> tuple[str, str]:
    """A unit's duty status and where it came from (``record``, ``plan`` or ``shift``).

    Parameters
    ----------
    unit : Unit
    minute : float
        Local minutes after midnight.
    busy : set or dict
        Names with an assignment under way.
    explicit : dict
        Name -> latest explicit duty status of the day.
    plan_activity : str or None
        The plan leg's activity at that minute (``None`` when off the timeline).
    in_plan : bool
        Whether the plan has the unit at all.
    on_shift_day : bool
    shift : (start_min, end_min)
        The unit's hours: its first and last minute in the day's plan when the plan has it (a late start, an
        early leave), else the district's shift.
    """
    names = unit.names()
    if any(n in busy for n in names):
        return "busy", "record"
    stated = [explicit[n] for n in names if n in explicit]
    if stated:
        return max(stated, key=lambda s: _SEVERITY.get(s, 0)), "record"
    if plan_activity is not None:
        if plan_activity == "break":
            return "on break", "plan"
        if plan_activity == "respond":
            return "busy", "plan"
        return "on shift", "plan"
    working = on_shift_day and shift[0] <= minute < shift[1]
    return ("on shift" if working else "off duty"), ("plan" if in_plan else "shift")
