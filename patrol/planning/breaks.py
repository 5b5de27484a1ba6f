"""Staggered break times: a meal break in its window and rest breaks, never too many off the street.

Breaks are placed on a one-minute grid, unit by unit: meals first (inside ``breaks.meal_window`` and
the shift), then rest breaks near evenly spaced ideal times in the stretches before and after the
meal.  At every minute the people on break may not exceed ``people - min_on_street``; a unit's own
breaks stay ``min_gap`` minutes apart.  What cannot be placed is returned as a shortfall, never
dropped silently.
"""

from __future__ import annotations

import numpy as np

from patrol.planning.model import BreakSlot, Shortfall
from patrol.settings import Settings, format_hhmm, parse_hhmm

__all__ = ["plan_breaks"]


def _place(occ: np.ndarray, t0: int, dur: int, people: int, cap: int, lo: int, hi: int, ideal: float,
           own: list[BreakSlot], min_gap: int) -> int | None:
    """Feasible start in ``[lo, hi - dur]`` nearest to ``ideal`` (grid relative to the shift start)."""
    cands = np.arange(lo, hi - dur + 1)
    if cands.size == 0:
        return None
    for s in cands[np.argsort(np.abs(cands - ideal), kind="stable")]:
        s = int(s)
        if any(s < b.end + min_gap and b.start < s + dur + min_gap for b in own):
            continue
        if occ[s - t0: s - t0 + dur].max(initial=0) + people <= cap:
            return s
    return None


def plan_breaks(settings: Settings, people: list[int], *, start: int, end: int, min_gap: int = 30
                ) -> tuple[list[list[BreakSlot]], list[Shortfall]]:
    """Break slots per unit.

    Parameters
    ----------
    settings : patrol.settings.Settings
    people : list of int
        People per unit (1, or 2 in pairs mode).
    start, end : int
        Shift, minutes after midnight.
    min_gap : int
        Minutes between two breaks of the same unit.

    Returns
    -------
    slots : list of list of BreakSlot
        Per unit, sorted by time.
    shortfalls : list of Shortfall
        Breaks that could not be placed within the rules (then placed ignoring the on-street
        minimum if possible, and said so).
    """
    br = settings.breaks
    total = int(sum(people))
    min_street = min(br.min_on_street, total)
    cap = total - min_street
    occ = np.zeros(max(end - start, 1), dtype=np.int64)
    slots: list[list[BreakSlot]] = [[] for _ in people]
    shortfalls: list[Shortfall] = []
    ws, we = (parse_hhmm(t) for t in br.meal_window)
    ws, we = max(ws, start), min(we, end)
    order = list(range(len(people)))

    def put(u: int, dur: int, lo: int, hi: int, ideal: float, kind: str) -> bool:
        s = _place(occ, start, dur, people[u], cap, lo, hi, ideal, slots[u], min_gap)
        relaxed = False
        if s is None:  # keep the break, accept fewer people on the street, and say so
            s = _place(occ, start, dur, people[u], total, lo, hi, ideal, slots[u], min_gap // 2)
            relaxed = s is not None
        if s is None:
            return False
        occ[s - start: s - start + dur] += people[u]
        slots[u].append(BreakSlot(s, s + dur, kind))
        if relaxed:
            shortfalls.append(Shortfall(
                "min_on_street", f">= {min_street} people", f"{total - int(occ[s - start: s - start + dur].max())}",
                f"{kind} break of unit {u + 1} at {format_hhmm(s)} leaves fewer than {min_street} on the street"))
        return True

    if br.meal_min > 0:
        for u in order:
            if we - ws < br.meal_min or not put(u, br.meal_min, ws, we, ws, "meal"):
                shortfalls.append(Shortfall(
                    "breaks", f"{br.meal_min}-min meal in {br.meal_window[0]}-{br.meal_window[1]}", "none",
                    f"no room for the meal break of unit {u + 1} in the window and shift"))
    if br.rest_count > 0 and br.rest_min > 0:
        for u in order:
            meal = next((b for b in slots[u] if b.kind == "meal"), None)
            stretches = [(start + 30, meal.start), (meal.end, end - 30)] if meal else [(start + 30, end - 30)]
            stretches = [(a, b) for a, b in stretches if b - a >= br.rest_min]
            lengths = np.array([b - a for a, b in stretches], float)
            ideals: list[tuple[float, int, int]] = []
            if lengths.size:
                share = np.floor(br.rest_count * lengths / lengths.sum()).astype(int)
                while share.sum() < br.rest_count:
                    share[int(np.argmax(lengths / (share + 1)))] += 1
                for (a, b), n in zip(stretches, share, strict=True):
                    for j in range(n):
                        ideals.append((a + (b - a) * (j + 1) / (n + 1) - br.rest_min / 2, a, b))
            for j in range(br.rest_count):
                ok = j < len(ideals) and put(u, br.rest_min, start + 15, end - 15, ideals[j][0], "rest")
                if not ok:
                    shortfalls.append(Shortfall("breaks", f"{br.rest_count} x {br.rest_min}-min rest", f"{j}",
                                                     f"no room for rest break {j + 1} of unit {u + 1}"))
    for s in slots:
        s.sort(key=lambda b: b.start)
    return slots, shortfalls
