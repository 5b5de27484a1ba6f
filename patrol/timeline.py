"""Timed walks: where each ambassador (or pair) is, minute by minute.

A :class:`Timeline` is the common currency between the daily plan (which produces it), dispatch
(positions estimated from the plan), coverage scoring (presence per block and minute) and the
program report (hours of visible presence).  It is a list of :class:`Leg` per walker: a leg either
walks along one street block from one offset to another at constant speed, or stays at one point
(check-in, hot-spot dwell, break, response).  Times are minutes after midnight of the plan's day.
"""

from __future__ import annotations

import json
from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from patrol.errors import PlanError

__all__ = ["ACTIVITIES", "VISIBLE", "Leg", "Pass", "Timeline", "read_plan_file"]

#: Activity of a leg, and its integer code in :meth:`Timeline.to_arrays`.
ACTIVITIES = {"walk": 0, "checkin": 1, "dwell": 2, "break": 3, "respond": 4, "post": 5}
#: Activities during which the walker is on the street, visible and can be dispatched.
VISIBLE = frozenset({"walk", "checkin", "dwell", "post"})


@dataclass(frozen=True)
class Leg:
    """One timed piece of a walk.

    Attributes
    ----------
    t0, t1 : float
        Start and end, minutes after midnight (``t1 >= t0``).
    block : int
        Street block id.
    off0, off1 : float
        Offsets along the block from its ``u`` end at ``t0`` and ``t1`` (equal for a stationary leg).
    activity : str
        One of :data:`ACTIVITIES`.
    ref : str
        What the activity is about in words (a business name for a check-in, a hot spot, the kind of a
        break), or "".
    business : int
        For a check-in, the business's index in the district's list (``district.businesses``), the id
        the checker matches on (names repeat); -1 otherwise.
    """

    t0: float
    t1: float
    block: int
    off0: float
    off1: float
    activity: str = "walk"
    ref: str = ""
    business: int = -1

    def position(self, t: float) -> float:
        """Offset along the block at time ``t`` (clamped to the leg)."""
        if self.t1 <= self.t0:
            return self.off1
        f = min(max((t - self.t0) / (self.t1 - self.t0), 0.0), 1.0)
        return self.off0 + f * (self.off1 - self.off0)


@dataclass(frozen=True)
class Pass:
    """A walk of one street block from one end to the other (see :meth:`Timeline.passes`).

    Attributes
    ----------
    walker : str
    block : int
    t_start : float
        When the walk onto the block began, minutes after midnight.
    t_end : float
        When the far end was reached: the time of the pass.
    """

    walker: str
    block: int
    t_start: float
    t_end: float


def read_plan_file(path: str | Path) -> dict:
    """The content of a ``plan.json`` (any JSON object with a ``"timeline"`` key).

    Raises
    ------
    PlanError
        When the file is missing, not JSON, or not a plan.
    """
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise PlanError(f"plan file not found: {path}", field="plan") from exc
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PlanError(f"{path} is not a readable JSON file: {exc}", field="plan") from exc
    if not isinstance(data, dict) or "timeline" not in data:
        raise PlanError(f"{path} has no 'timeline' key (is it a patrol plan.json?)", field="timeline")
    return data


class Timeline:
    """Legs per walker, each walker's legs sorted by time and non-overlapping.

    Parameters
    ----------
    legs : dict of str to iterable of Leg
        Walker name -> legs.

    Raises
    ------
    PlanError
        When a walker's legs overlap in time or an activity is unknown.
    """

    def __init__(self, legs: Mapping[str, Iterable[Leg]]):
        self.legs: dict[str, list[Leg]] = {}
        for walker, items in legs.items():
            seq = sorted(items, key=lambda leg: (leg.t0, leg.t1))
            for a, b in zip(seq, seq[1:], strict=False):
                if b.t0 < a.t1 - 1e-6:
                    raise PlanError(f"{walker}: legs overlap at {b.t0:.2f} min", field=walker)
            for leg in seq:
                if leg.activity not in ACTIVITIES:
                    raise PlanError(f"{walker}: unknown activity {leg.activity!r}", field=walker)
                if leg.t1 < leg.t0:
                    raise PlanError(f"{walker}: leg ends before it starts at {leg.t0:.2f} min", field=walker)
            self.legs[walker] = seq
        self._starts = {w: [leg.t0 for leg in seq] for w, seq in self.legs.items()}

    @property
    def walkers(self) -> list[str]:
        return list(self.legs)

    def leg_at(self, walker: str, t: float) -> Leg | None:
        """The leg of ``walker`` under way at time ``t`` (``None`` before, after, or in a gap)."""
        seq = self.legs.get(walker, [])
        i = bisect_right(self._starts[walker], t) - 1 if seq else -1
        if i < 0:
            return None
        leg = seq[i]
        return leg if t <= leg.t1 + 1e-9 else None

    def position(self, walker: str, t: float) -> tuple[int, float, str] | None:
        """``(block, offset_m, activity)`` of a walker at time ``t``, or ``None`` when off the timeline."""
        leg = self.leg_at(walker, t)
        return None if leg is None else (leg.block, leg.position(t), leg.activity)

    def passes(self, lengths: Sequence[float] | np.ndarray, *, tol_m: float = 0.5) -> dict[int, list[Pass]]:
        """Every pass of every block: consecutive walk legs of one walker on the block that walk it from one
        end to the other in one direction (stationary legs on the block in between allowed).

        The same definition as the independent checker's (:mod:`patrol.planning.check`, stated there on its
        own): a block shorter than a metre counts when walked at all; offsets match within ``tol_m``.

        Parameters
        ----------
        lengths : sequence of float
            Block id -> length in metres.
        tol_m : float

        Returns
        -------
        dict
            Block id -> its passes in time order.
        """
        out: dict[int, list[Pass]] = {}
        for w, seq in self.legs.items():
            run: tuple[int, float, float, int, float] | None = None  # block, start off, pos, direction, t0
            for leg in seq:
                b = int(leg.block)
                length = float(lengths[b])
                moved = abs(leg.off1 - leg.off0) > tol_m
                if leg.activity == "walk" and length < 1.0:
                    out.setdefault(b, []).append(Pass(w, b, leg.t0, leg.t1))
                    run = None
                elif leg.activity == "walk" and moved:
                    step = 1 if leg.off1 > leg.off0 else -1
                    if run is not None and run[0] == b and abs(run[2] - leg.off0) <= tol_m and step == run[3]:
                        run = (b, run[1], leg.off1, step, run[4])
                    else:
                        run = (b, leg.off0, leg.off1, step, leg.t0)
                    start, pos = run[1], run[2]
                    at_end = (abs(start) <= tol_m or abs(start - length) <= tol_m) and \
                        (abs(pos) <= tol_m or abs(pos - length) <= tol_m)
                    if at_end and abs(pos - start) >= length - tol_m:
                        out.setdefault(b, []).append(Pass(w, b, run[4], leg.t1))
                        run = None
                elif leg.activity == "walk" or (run is not None and run[0] != b):
                    run = None
        for items in out.values():
            items.sort(key=lambda p: (p.t_end, p.walker))
        return out

    def to_arrays(self) -> dict[str, np.ndarray]:
        """Flat arrays for the Numba kernels.

        Returns
        -------
        dict
            ``walker`` (int index into :attr:`walkers`), ``t0``, ``t1``, ``block``, ``off0``, ``off1``
            and ``activity`` (int code of :data:`ACTIVITIES`), all of equal length, sorted by walker
            then time.
        """
        rows = [(wi, leg) for wi, w in enumerate(self.walkers) for leg in self.legs[w]]
        return {
            "walker": np.array([r[0] for r in rows], dtype=np.int64),
            "t0": np.array([r[1].t0 for r in rows], dtype=np.float64),
            "t1": np.array([r[1].t1 for r in rows], dtype=np.float64),
            "block": np.array([r[1].block for r in rows], dtype=np.int64),
            "off0": np.array([r[1].off0 for r in rows], dtype=np.float64),
            "off1": np.array([r[1].off1 for r in rows], dtype=np.float64),
            "activity": np.array([ACTIVITIES[r[1].activity] for r in rows], dtype=np.int64),
        }

    def to_dict(self) -> dict[str, list[dict]]:
        """Walker -> legs as JSON objects (``business`` only on check-ins)."""
        out: dict[str, list[dict]] = {}
        for w, seq in self.legs.items():
            rows = []
            for leg in seq:
                row = {"t0": leg.t0, "t1": leg.t1, "block": leg.block, "off0": leg.off0, "off1": leg.off1,
                       "activity": leg.activity, "ref": leg.ref}
                if leg.business >= 0:
                    row["business"] = leg.business
                rows.append(row)
            out[w] = rows
        return out

    @classmethod
    def from_plan_file(cls, path) -> Timeline:
        """The timeline stored under the ``"timeline"`` key of a ``plan.json`` file.

        Raises
        ------
        PlanError
            When the file is missing, not JSON, or has no timeline.
        """
        return cls.from_dict(read_plan_file(path)["timeline"])

    @classmethod
    def from_dict(cls, data: dict[str, list[dict]]) -> Timeline:
        try:
            return cls({w: [Leg(**leg) for leg in seq] for w, seq in data.items()})
        except TypeError as exc:
            raise PlanError(f"bad timeline leg: {exc}") from exc
