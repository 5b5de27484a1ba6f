"""Hours ambassadors were visibly present in the patrol area: measured from pings, else planned.

Measured (``source="pings"``)
    The record's pings of each local day become a :class:`~patrol.timeline.Timeline` through
    :func:`patrol.coverage.tracks.timeline_from_pings` (the coverage engineer's reader of GPS tracks):
    two consecutive pings of one ambassador at most ``gap_min`` minutes apart (default 5) join into a
    leg on their snapped block(s); longer gaps, and fixes farther than ``dispatch.max_snap_m`` from
    every street, count for nothing (GPS off, indoors, off duty).  Legs on blocks inside the patrol
    area (``arrays.edge_in_area``) count as visible time.
Planned (``source="plan (estimated)"``)
    For a day without a single ping, the day's plan (``plan.json`` with its ``date`` and
    ``timeline``) gives the time of visible legs (walk, check-in, dwell, post) on in-area blocks.
    Such figures are what was planned, not what happened, and are flagged ``estimated``.

Duty
    Pings taken while the ambassador's duty status (the record's ``duty`` changes earlier the same
    local day) is ``on break`` or ``off duty`` are left out before the legs are built, so a break
    with the phone on is not presence.  ``busy`` (on an incident) stays visible presence.

Hours are split by local hour of day, by block (for the map), by ambassador and by date.  A walker
named ``"a+b"`` (a pair) counts for two ambassadors.
"""

from __future__ import annotations

import bisect
import json
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np

from patrol.coverage.presence import walker_size
from patrol.coverage.tracks import timeline_from_pings
from patrol.errors import PlanError
from patrol.timeline import VISIBLE, Timeline

__all__ = ["Presence", "load_plans", "measure_presence"]

log = logging.getLogger(__name__)


@dataclass
class Presence:
    """Visible presence in a period.

    Attributes
    ----------
    hours : float
        Ambassador-hours of visible presence inside the area.
    by_hour : ndarray (24,)
        Hours by local hour of day.
    by_hour_planned : ndarray (24,)
        The part of ``by_hour`` taken from plans (estimated).
    by_block : ndarray (n_blocks,)
        Hours by street block.
    by_ambassador, by_date : dict
        Hours by walker and by local date (``YYYY-MM-DD``).
    n_pings : int
        Pings the measured part is based on.
    pings_by_ambassador : dict
        Pings per walker (measured days).
    days_measured, days_planned : list of str
        Dates measured from pings, and dates taken from a plan.
    """

    hours: float
    by_hour: np.ndarray
    by_block: np.ndarray
    by_hour_planned: np.ndarray = field(default_factory=lambda: np.zeros(24))
    by_ambassador: dict[str, float] = field(default_factory=dict)
    by_date: dict[str, float] = field(default_factory=dict)
    n_pings: int = 0
    pings_by_ambassador: dict[str, int] = field(default_factory=dict)
    days_measured: list[str] = field(default_factory=list)
    days_planned: list[str] = field(default_factory=list)

    @property
    def source(self) -> str:
        """``pings``, ``plan (estimated)``, ``pings + plan (estimated)`` or ``none``."""
        if self.days_measured and self.days_planned:
            return "pings + plan (estimated)"
        if self.days_planned:
            return "plan (estimated)"
        return "pings" if self.days_measured else "none"

    @property
    def estimated(self) -> bool:
        return bool(self.days_planned)


def load_plans(paths) -> dict[str, Timeline]:
    """Plans by local date from ``plan.json`` files or folders of them (searched recursively).

    Plans without a ``date`` are skipped with a warning (they cannot be placed in the period).

    Raises
    ------
    PlanError
        For a file that is not a plan.
    """
    files: list[Path] = []
    for p in paths or ():
        p = Path(p)
        files += sorted(p.rglob("*.json")) if p.is_dir() else [p]
    out: dict[str, Timeline] = {}
    for f in files:
        try:
            data = json.loads(f.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise PlanError(f"cannot read the plan {f}: {exc}", field="plans") from exc
        if not isinstance(data, dict) or "timeline" not in data:
            if f.name == "plan.json":
                raise PlanError(f"{f} has no 'timeline' key (is it a patrol plan.json?)", field="plans")
            continue
        if not data.get("date"):
            log.warning("plan %s has no date: left out of the report", f)
            continue
        out[str(data["date"])[:10]] = Timeline.from_dict(data["timeline"])
    return out


def _accumulate(tl: Timeline, in_area: np.ndarray, day: str, acc: Presence, *, planned: bool = False) -> None:
    for walker, legs in tl.legs.items():
        k = walker_size(walker)
        for leg in legs:
            if leg.activity not in VISIBLE or not in_area[leg.block] or leg.t1 <= leg.t0:
                continue
            minutes = (leg.t1 - leg.t0) * k
            acc.by_block[leg.block] += minutes / 60.0
            acc.by_ambassador[walker] = acc.by_ambassador.get(walker, 0.0) + minutes / 60.0
            acc.by_date[day] = acc.by_date.get(day, 0.0) + minutes / 60.0
            t = leg.t0
            while t < leg.t1 - 1e-9:  # split over local clock hours
                h = int(t // 60)
                end = min(leg.t1, (h + 1) * 60.0)
                acc.by_hour[h % 24] += (end - t) * k / 60.0
                if planned:
                    acc.by_hour_planned[h % 24] += (end - t) * k / 60.0
                t = end


def _off_duty(walkers, days, times, duty: list[dict], tz: str) -> np.ndarray:
    """Bool mask of pings taken on break or off duty (latest duty change of the walker, same local day)."""
    import pandas as pd

    mask = np.zeros(len(walkers), bool)
    if not duty:
        return mask
    local = pd.to_datetime([r["at"] for r in duty], utc=True).tz_convert(tz)
    per: dict[str, list[tuple[pd.Timestamp, str, str]]] = defaultdict(list)
    for r, t, day in zip(duty, local, local.strftime("%Y-%m-%d"), strict=True):
        per[r["ambassador"]].append((t, day, r["status"]))
    for i, (w, day, t) in enumerate(zip(walkers, days, times, strict=True)):
        changes = per.get(w)
        if not changes:
            continue
        k = bisect.bisect_right([c[0] for c in changes], t) - 1
        mask[i] = k >= 0 and changes[k][1] == day and changes[k][2] in ("on break", "off duty")
    return mask


def measure_presence(district, pings: list[dict], dates: list[date], *, plans: dict[str, Timeline] | None = None,
                     gap_min: float = 5.0, duty: list[dict] | None = None) -> Presence:
    """Visible presence over ``dates`` from pings, falling back to plans for days without pings.

    Parameters
    ----------
    district : District
    pings : list of dict
        ``ambassador, t`` (record UTC text), ``lat, lon`` (from :func:`patrol.report.queries.pings`).
    dates : list of date
        The local dates of the period.
    plans : dict, optional
        Local date -> planned Timeline (:func:`load_plans`).
    gap_min : float
        Longest time between two pings still counted as continuous presence.
    duty : list of dict, optional
        The record's duty changes (``ambassador, status, at``): pings on break or off duty are left out.

    Returns
    -------
    Presence
    """
    a = district.arrays
    in_area = np.asarray(a.edge_in_area, bool)
    acc = Presence(0.0, np.zeros(24), np.zeros(a.n_edges))
    by_day: dict[str, list[tuple[str, float, float, float]]] = defaultdict(list)
    if pings:
        import pandas as pd

        tz = district.settings.district.timezone
        local = pd.to_datetime([p["t"] for p in pings], utc=True).tz_convert(tz)
        minutes = (local.hour * 60 + local.minute + local.second / 60 + local.microsecond / 6e7).to_numpy(float)
        days = local.strftime("%Y-%m-%d")
        off = _off_duty([p["ambassador"] for p in pings], days, local, duty or [], tz)
        if off.any():
            log.info("%d pings taken on break or off duty are not presence", int(off.sum()))
        for p, day, minute, skip in zip(pings, days, minutes, off, strict=True):
            if not skip:
                by_day[day].append((p["ambassador"], float(minute), float(p["lat"]), float(p["lon"])))
    plans = plans or {}
    for d in dates:
        day = d.isoformat()
        rows = by_day.get(day)
        if rows:
            walkers, minutes, lats, lons = zip(*rows, strict=True)
            tl = timeline_from_pings(district, list(walkers), np.array(minutes), np.array(lats), np.array(lons),
                                     max_gap_min=gap_min)
            _accumulate(tl, in_area, day, acc)
            acc.days_measured.append(day)
            acc.n_pings += len(rows)
            for w in walkers:
                acc.pings_by_ambassador[w] = acc.pings_by_ambassador.get(w, 0) + 1
        elif day in plans:
            _accumulate(plans[day], in_area, day, acc, planned=True)
            acc.days_planned.append(day)
    acc.hours = float(acc.by_block.sum())
    return acc
