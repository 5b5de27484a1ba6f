"""Recorded GPS tracks -> :class:`~patrol.timeline.Timeline`, so pings score like plans.

Position pings ``(walker, time, lat, lon)`` are snapped onto street blocks
(:meth:`patrol.geocode.Geocoder.snap_many`) and joined, per walker and in time order, into legs:

* two consecutive pings on the same block give one leg between their offsets: ``walk``, or ``dwell``
  when the walker moved less than ``still_m`` metres;
* pings on different blocks give a *jump*, marked ``walk``: through the shared intersection when the
  blocks meet (split in time by distance), else half the interval on each block;
* pings more than ``max_gap_min`` apart, or snapped farther than ``max_snap_m`` from any street, leave
  the walker off the timeline (GPS off, indoors, off duty).

The result feeds :func:`patrol.coverage.presence.visible_hours` ("hours of visible presence from
position pings") and every other coverage measure.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from patrol.errors import InputError
from patrol.timeline import Leg, Timeline

__all__ = ["minutes_after_midnight", "timeline_from_pings"]


def minutes_after_midnight(times) -> np.ndarray:
    """Minutes after midnight of numbers (already minutes), ``datetime`` objects or ``datetime64`` values."""
    arr = np.asarray(times)
    if arr.dtype.kind in "iuf":
        return arr.astype(float)
    if arr.dtype.kind == "M":
        day = arr.astype("datetime64[D]")
        return (arr - day).astype("timedelta64[ms]").astype(float) / 60000.0
    try:
        return np.array([t.hour * 60 + t.minute + t.second / 60 + t.microsecond / 6e7 for t in arr], float)
    except AttributeError as exc:
        raise InputError("ping times must be minutes after midnight, datetimes or datetime64", field="time") from exc


def timeline_from_pings(district, walkers: Sequence[str], times, lats, lons, *, still_m: float = 10.0,
                        max_gap_min: float = 10.0, max_snap_m: float | None = None) -> Timeline:
    """Build a Timeline from position pings.

    Parameters
    ----------
    district : District
        Its geocoder snaps the pings; its arrays give block ends and lengths.
    walkers : sequence of str
        Walker (ambassador or pair) of each ping.
    times : sequence
        Minutes after midnight, or datetimes (see :func:`minutes_after_midnight`).
    lats, lons : sequence of float
        WGS84 positions.
    still_m : float
        Below this movement between two pings on a block, the leg is a ``dwell``.
    max_gap_min : float
        Pings further apart in time are not joined.
    max_snap_m : float, optional
        Pings farther from every street are dropped (default: the district's ``dispatch.max_snap_m``).

    Returns
    -------
    Timeline

    Raises
    ------
    InputError
        When the arrays differ in length.

    Examples
    --------
    >>> from patrol.district import load_district
    >>> d = load_district()
    >>> lat, lon = d.geocoder.point_on_block(10, 20.0)
    >>> tl = timeline_from_pings(d, ["a", "a"], [600.0, 608.0], [lat, lat], [lon, lon])
    >>> [(leg.activity, leg.t1 - leg.t0) for leg in tl.legs["a"]]
    [('dwell', 8.0)]
    """
    walkers = np.asarray(walkers, dtype=object)
    t = minutes_after_midnight(times)
    lats = np.asarray(lats, float)
    lons = np.asarray(lons, float)
    if not (walkers.size == t.size == lats.size == lons.size):
        raise InputError("walkers, times, lats and lons must have the same length", field="pings")
    limit = district.settings.dispatch.max_snap_m if max_snap_m is None else float(max_snap_m)
    legs: dict[str, list[Leg]] = {}
    if t.size == 0:
        return Timeline(legs)
    blocks, offs, dist = district.geocoder.snap_many(lats, lons)
    a = district.arrays
    for w in sorted(set(walkers.tolist()), key=str):
        idx = np.flatnonzero((walkers == w) & (dist <= limit))
        idx = idx[np.argsort(t[idx], kind="stable")]
        out: list[Leg] = []
        for i, j in zip(idx, idx[1:], strict=False):
            t0, t1 = float(t[i]), float(t[j])
            if t1 <= t0 or t1 - t0 > max_gap_min:
                continue
            b0, b1, o0, o1 = int(blocks[i]), int(blocks[j]), float(offs[i]), float(offs[j])
            if b0 == b1:
                act = "dwell" if abs(o1 - o0) < still_m else "walk"
                out.append(Leg(t0, t1, b0, o0, o1, act))
                continue
            ends0 = {int(a.edge_u[b0]): 0.0, int(a.edge_v[b0]): float(a.edge_length[b0])}
            ends1 = {int(a.edge_u[b1]): 0.0, int(a.edge_v[b1]): float(a.edge_length[b1])}
            shared = [n for n in ends0 if n in ends1]
            if shared:
                n = min(shared, key=lambda x: abs(ends0[x] - o0) + abs(ends1[x] - o1))
                d0, d1 = abs(ends0[n] - o0), abs(ends1[n] - o1)
                tm = t0 + (t1 - t0) * (d0 / (d0 + d1) if d0 + d1 > 0 else 0.5)
                out.append(Leg(t0, tm, b0, o0, ends0[n], "walk"))
                out.append(Leg(tm, t1, b1, ends1[n], o1, "walk"))
            else:
                tm = (t0 + t1) / 2
                out.append(Leg(t0, tm, b0, o0, o0, "walk"))
                out.append(Leg(tm, t1, b1, o1, o1, "walk"))
        legs[str(w)] = out
    return Timeline(legs)
