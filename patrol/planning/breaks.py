"""Staggered break times: a meal break in its window and rest breaks, never too many off the street.

Breaks are placed on a one-minute grid, unit by unit: meals first (inside ``breaks.meal_window`` and
the unit's hours), then rest breaks near evenly spaced ideal times in the stretches before and after the
meal.  At every minute the people on break may not exceed the people on duty then less ``min_on_street``;
a unit's own breaks stay ``min_gap`` minutes apart.  What cannot be placed is returned as a shortfall, with
the count that makes it impossible when there is one, never dropped silently.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from patrol.planning.model import BreakSlot, Shortfall, UnitSpec
from patrol.settings import Breaks, Settings, format_hhmm, parse_hhmm

__all__ = ["plan_breaks"]


def plan_breaks(settings: Settings, units: list[UnitSpec], *, min_gap: int = 30
                ) -> tuple[list[list[BreakSlot]], list[Shortfall]]:
    """Break slots per unit, inside each unit's hours.

    A unit working fewer than ``breaks.meal_after_h`` hours takes no meal; rest breaks are pro-rated to the
    hours worked (``round(rest_count x hours / shift hours)``).  At every minute, the people on break may not
    exceed the people on duty then less ``min_on_street`` (all of them when fewer are on duty).

    Parameters
    ----------
    settings : patrol.settings.Settings
    units : list of UnitSpec
        The day's units with their hours and members (a pair breaks together and counts as 2 people).
    min_gap : int
        Minutes between two breaks of the same unit.

    Returns
    -------
    slots : list of list of BreakSlot
        Per unit, sorted by time.
    shortfalls : list of Shortfall
        Breaks that could not be placed within the rules (then placed where the fewest people fall short of
        the on-street minimum, if possible), each with the reason when a count shows it cannot be done.
    """
    br = settings.breaks
    start, end = settings.shift.start_min, settings.shift.end_min
    people = [len(u.members) for u in units]
    duty = np.zeros(max(end - start, 1), dtype=np.int64)
    for spec, n in zip(units, people, strict=True):
        duty[spec.start - start: spec.end - start] += n
    cap = duty - np.minimum(br.min_on_street, duty)  # people allowed off the street, minute by minute
    occ = np.zeros_like(duty)
    slots: list[list[BreakSlot]] = [[] for _ in units]
    shortfalls: list[Shortfall] = []
    ws0, we0 = (parse_hhmm(t) for t in br.meal_window)
    shift_h = (end - start) / 60.0

    def starts(u: int, dur: int, lo: int, hi: int, ideal: float, gap: int) -> Iterator[int]:
        """Starts in ``[lo, hi - dur]`` nearest ``ideal`` first, ``gap`` minutes clear of the unit's breaks."""
        cands = np.arange(lo, hi - dur + 1)
        for t in cands[np.argsort(np.abs(cands - ideal), kind="stable")]:
            t = int(t)
            if not any(t < b.end + gap and b.start < t + dur + gap for b in slots[u]):
                yield t

    def place(u: int, dur: int, lo: int, hi: int, ideal: float, limit: np.ndarray, gap: int) -> int | None:
        return next((t for t in starts(u, dur, lo, hi, ideal, gap)
                     if np.all(occ[t - start: t - start + dur] + people[u] <= limit[t - start: t - start + dur])),
                    None)

    def least_short(u: int, dur: int, lo: int, hi: int, ideal: float, gap: int) -> int | None:
        """The start leaving the fewest people short of the minimum at its worst minute (nearest the ideal
        among equals): when the minimum cannot hold, as many stay on the street as the breaks allow."""
        best, best_short = None, None
        for t in starts(u, dur, lo, hi, ideal, gap):
            off = occ[t - start: t - start + dur] + people[u]
            if np.any(off > duty[t - start: t - start + dur]):
                continue
            short = int((off - cap[t - start: t - start + dur]).max())
            if best_short is None or short < best_short:
                best, best_short = t, short
        return best

    def put(u: int, dur: int, lo: int, hi: int, ideal: float, kind: str) -> bool:
        t = place(u, dur, lo, hi, ideal, cap, min_gap)
        relaxed = t is None
        if relaxed:  # keep the break, with as few people short of the minimum as can be, and say so
            t = least_short(u, dur, lo, hi, ideal, min_gap // 2)
        if t is None:
            return False
        occ[t - start: t - start + dur] += people[u]
        slots[u].append(BreakSlot(t, t + dur, kind))
        if relaxed:
            on = duty[t - start: t - start + dur] - occ[t - start: t - start + dur]
            need = np.minimum(br.min_on_street, duty[t - start: t - start + dur])
            shortfalls.append(Shortfall(
                "min_on_street", f">= {br.min_on_street} people (or all on duty)", f"{int(on.min())}",
                f"{kind} break of {units[u].name} at {format_hhmm(t)} leaves {int((need - on).max())} fewer on "
                f"the street than required", _meal_reason(units, people, br, ws0, we0, duty, cap, start)))
        return True

    if br.meal_min > 0:
        for u, unit in enumerate(units):
            if (unit.end - unit.start) / 60.0 < br.meal_after_h:
                continue
            ws, we = max(ws0, unit.start), min(we0, unit.end)
            if we - ws < br.meal_min or not put(u, br.meal_min, ws, we, ws, "meal"):
                shortfalls.append(Shortfall(
                    "breaks", f"{br.meal_min}-min meal in {br.meal_window[0]}-{br.meal_window[1]}", "none",
                    f"no room for the meal break of {unit.name} in the window and its hours"))
    if br.rest_count > 0 and br.rest_min > 0:
        for u, unit in enumerate(units):
            count = int(round(br.rest_count * (unit.end - unit.start) / 60.0 / shift_h))
            meal = next((b for b in slots[u] if b.kind == "meal"), None)
            a0, b0 = unit.start + 30, unit.end - 30
            stretches = [(a0, meal.start), (meal.end, b0)] if meal else [(a0, b0)]
            stretches = [(a, b) for a, b in stretches if b - a >= br.rest_min]
            lengths = np.array([b - a for a, b in stretches], float)
            ideals: list[float] = []
            if lengths.size and count:
                share = np.floor(count * lengths / lengths.sum()).astype(int)
                while share.sum() < count:
                    share[int(np.argmax(lengths / (share + 1)))] += 1
                for (a, b), n in zip(stretches, share, strict=True):
                    ideals += [a + (b - a) * (j + 1) / (n + 1) - br.rest_min / 2 for j in range(n)]
            for j in range(count):
                ok = j < len(ideals) and put(u, br.rest_min, unit.start + 15, unit.end - 15, ideals[j], "rest")
                if not ok:
                    shortfalls.append(Shortfall("breaks", f"{count} x {br.rest_min}-min rest", f"{j}",
                                                f"no room for rest break {j + 1} of {unit.name} in its hours"))
    for sl in slots:
        sl.sort(key=lambda b: b.start)
    return slots, shortfalls


def _meal_reason(units: list[UnitSpec], people: list[int], br: Breaks, ws: int, we: int, duty: np.ndarray,
                 cap: np.ndarray, start: int) -> str:
    """Why meals cannot all keep the on-street minimum, when a count shows it: people x meal minutes against
    the window's minutes x people allowed off the street at a time."""
    eating = sum(n for spec, n in zip(units, people, strict=True) if (spec.end - spec.start) / 60.0 >= br.meal_after_h)
    lo, hi = max(ws - start, 0), max(we - start, 0)
    room = int(cap[lo:hi].sum())
    need = eating * br.meal_min
    if need <= room:
        return ""
    at_once = int(cap[lo:hi].max()) if hi > lo else 0
    return (f"breaks come before the on-street minimum, and {eating} meals x {br.meal_min} min = {need} "
            f"person-minutes do not fit the {we - ws}-min meal window with {at_once} off the street at a time "
            f"({room} person-minutes)")
