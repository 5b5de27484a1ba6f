"""Ready to respond: how fast the nearest free walker reaches the patrol area's demand, minute by minute.

Where the walkers are decides how fast anyone can reach an incident.  At the middle of every minute of the
shift (or from a re-plan's minute on), the walk at response speed from the nearest *available* unit (on a
walk, check-in, dwell or post step: not on a break, not responding, not off duty) to the middle of each patrol-area
block; then the demand-weighted 90th percentile over the blocks: the least time within which 90 % of the
demand weight is reached.  The target ``targets.ready_p90_min`` holds at a minute when that value is at most it.

The same definition as the checker's ``ready_p90_min`` (:func:`patrol.planning.check.ready_p90`), computed
here for the planner from the scheduler's steps and the all-pairs distances it already has; the checker's
own computation shares none of this code.  Minutes are worked in chunks, so a city-sized graph needs
chunk x units x nodes numbers at a time, not minutes x units x nodes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from patrol.timeline import Leg

__all__ = ["Readiness", "readiness"]

_AVAILABLE = frozenset({"walk", "checkin", "dwell", "post"})
_CHUNK = 60


@dataclass(frozen=True)
class Readiness:
    """The ready-to-respond measure over the minutes judged.

    Attributes
    ----------
    worst_min : float
        The largest per-minute p90 (``inf`` when some minute reaches less than 90 % of the demand).
    minutes_over : int
        Minutes whose p90 exceeds the limit.
    median_min : float
        The median over the minutes.
    limit_min : float
    """

    worst_min: float
    minutes_over: int
    median_min: float
    limit_min: float

    def to_dict(self) -> dict:
        return {"p90_worst_min": round(self.worst_min, 2) if np.isfinite(self.worst_min) else None,
                "minutes_over": self.minutes_over,
                "median_min": round(self.median_min, 2) if np.isfinite(self.median_min) else None,
                "limit_min": self.limit_min}


def readiness(steps: Mapping[str, Sequence[Leg]], *, dist: np.ndarray, edge_u: np.ndarray, edge_v: np.ndarray,
              edge_length: np.ndarray, area: np.ndarray, weights: np.ndarray, start: float, end: float,
              speed_m_min: float, limit_min: float, from_min: float | None = None) -> Readiness:
    """The measure for a day's steps (see the module docstring).

    Parameters
    ----------
    steps : mapping of str to sequence of Leg
        Per unit, its timed steps.
    dist : ndarray
        Node-to-node walking metres (``ShortestPaths.dist``).
    edge_u, edge_v, edge_length : ndarray
        The blocks.
    area : ndarray of bool
        The patrol area's blocks.
    weights : ndarray
        Demand weight per block (only the area's count).
    start, end : float
        The shift, minutes after midnight.
    speed_m_min : float
        Response speed, metres per minute.
    limit_min : float
        ``targets.ready_p90_min``.
    from_min : float, optional
        Judge from this minute on (a re-plan); default the shift start.

    Returns
    -------
    Readiness
    """
    lo = start if from_min is None else max(start, float(from_min))
    times = np.floor(lo - start) + start + 0.5 + np.arange(max(int(np.ceil(end - lo)), 0), dtype=np.float64)
    times = times[times < end]
    blocks = np.flatnonzero(area)
    if times.size == 0 or blocks.size == 0:
        return Readiness(0.0, 0, 0.0, limit_min)
    w = np.asarray(weights, float)[blocks]
    length = np.asarray(edge_length, float)
    col = np.full(length.size, -1, dtype=np.int64)
    col[blocks] = np.arange(blocks.size)
    # per unit, its position (block, offset) at every minute when it is available, else block -1
    pos_b = np.full((len(steps), times.size), -1, dtype=np.int64)
    pos_o = np.zeros((len(steps), times.size))
    for k, legs in enumerate(steps.values()):
        if not legs:
            continue
        t0 = np.fromiter((x.t0 for x in legs), float, len(legs))
        t1 = np.fromiter((x.t1 for x in legs), float, len(legs))
        i = np.searchsorted(t0, times, side="right") - 1
        ok = i >= 0
        j = np.clip(i, 0, None)
        ok &= times <= t1[j] + 1e-9
        avail = np.fromiter((x.activity in _AVAILABLE for x in legs), bool, len(legs))
        ok &= avail[j]
        b = np.fromiter((x.block for x in legs), np.int64, len(legs))[j]
        o0 = np.fromiter((x.off0 for x in legs), float, len(legs))[j]
        o1 = np.fromiter((x.off1 for x in legs), float, len(legs))[j]
        span = t1[j] - t0[j]
        f = np.where(span > 0, np.clip((times - t0[j]) / np.where(span > 0, span, 1.0), 0.0, 1.0), 1.0)
        pos_b[k] = np.where(ok, b, -1)
        pos_o[k] = np.clip(o0 + (o1 - o0) * f, 0.0, length[b])
    p90 = np.empty(times.size)
    total = float(w.sum())
    u_area, v_area, half = edge_u[blocks], edge_v[blocks], length[blocks] / 2.0
    for c0 in range(0, times.size, _CHUNK):
        c1 = min(c0 + _CHUNK, times.size)
        best = np.full((c1 - c0, dist.shape[0]), np.inf)
        direct = np.full((c1 - c0, blocks.size), np.inf)
        for k in range(pos_b.shape[0]):
            on = np.flatnonzero(pos_b[k, c0:c1] >= 0)
            if on.size == 0:
                continue
            b = pos_b[k, c0 + on]
            o = pos_o[k, c0 + on]
            here = np.minimum(o[:, None] + dist[edge_u[b]], (length[b] - o)[:, None] + dist[edge_v[b]])
            best[on] = np.minimum(best[on], here)
            inside = col[b] >= 0
            rows, cols = on[inside], col[b[inside]]
            direct[rows, cols] = np.minimum(direct[rows, cols], np.abs(o[inside] - length[b[inside]] / 2.0))
        reach = np.minimum(np.minimum(best[:, u_area], best[:, v_area]) + half, direct) / speed_m_min
        order = np.argsort(reach, axis=1, kind="stable")
        cum = np.cumsum(w[order], axis=1)
        first = np.argmax(cum >= 0.9 * total - 1e-12, axis=1)
        p90[c0:c1] = np.take_along_axis(reach, order, axis=1)[np.arange(c1 - c0), first]
    return Readiness(float(p90.max()), int((p90 > limit_min + 1e-3).sum()), float(np.median(p90)), float(limit_min))
