"""Monte Carlo days: incidents drawn by hour, type and place, dispatched to the nearest available ambassador.

Incident model (every figure is a scenario key, see docs/scenario-format.md):

* **Rate.**  The program's early results (Lake St and Franklin Ave) count 14,094 incidents, of which
  13,891 are routine "neighborhood support" logged during patrol and 203 are dispatchable (all other
  types).  The description gives no reporting period; assuming about six months of Tuesday-Saturday
  shifts (26 weeks x 5 = 130 shifts), that is 203 / 130 = 1.56, rounded to **1.6 dispatchable
  incidents per 10:00-18:00 shift** (:data:`PER_SHIFT`).  Other hours scale with the hourly profile.
* **Hour of day.**  :data:`HOURLY_PROFILE`, relative weights per hour (quiet mornings, busier
  afternoons and evenings); the count in a shift is Poisson with mean
  ``per_shift * profile mass of the shift / profile mass of 10:00-18:00``.
* **Type mix.**  The program's counts of the dispatchable types (:data:`patrol.vocab.INCIDENT_TYPE_COUNTS`
  without :data:`patrol.vocab.ROUTINE_TYPES`).
* **Busy time.**  :data:`BUSY_MIN`, minutes on scene by type (15-45), after the walk there.
* **Place.**  A block drawn by demand weight (:func:`patrol.coverage.weights.block_weights`, i.e.
  :func:`patrol.demand.block_demand`: incident history when given, else business density and transit
  stops), a uniform offset on it.

Each incident goes to the nearest available ambassador (visible activity, not busy), who walks there at
``speeds.response_m_s``, stays busy for the type's time, then resumes the timeline.  Distances come from one
shortest-path search per incident (:func:`incident_fields`), never from an all-pairs table, so a whole
city's Monte Carlo day needs incidents x nodes numbers, not nodes x nodes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from patrol import path_kernels, path_reference
from patrol.coverage.presence import Positions, _impl
from patrol.settings import ON_SCENE_MIN
from patrol.vocab import DISPATCHABLE_TYPES, INCIDENT_TYPE_COUNTS

__all__ = [
    "BUSY_MIN",
    "HOURLY_PROFILE",
    "PER_SHIFT",
    "DayIncidents",
    "IncidentModel",
    "bootstrap_ci",
    "draw_incidents",
    "incident_fields",
    "simulate_day",
]

#: Dispatchable incidents in a 10:00-18:00 shift (derivation in the module docstring).
PER_SHIFT = 1.6
#: Relative incident weight per hour of the day (0-23).
HOURLY_PROFILE: tuple[float, ...] = (
    0.3, 0.2, 0.2, 0.1, 0.1, 0.1, 0.2, 0.3, 0.5, 0.6,  # 00-09
    0.7, 0.9, 1.1, 1.1, 1.0, 1.1, 1.2, 1.3, 1.4, 1.4,  # 10-19
    1.3, 1.1, 0.8, 0.5,  # 20-23
)
#: Minutes an ambassador is busy on scene, by incident type: the district settings' default table
#: (``dispatch.on_scene_min``, :data:`patrol.settings.ON_SCENE_MIN`), one table for dispatch and simulation.
BUSY_MIN: dict[str, float] = dict(ON_SCENE_MIN)


def _default_type_weights() -> dict[str, float]:
    return {t: float(INCIDENT_TYPE_COUNTS[t]) for t in DISPATCHABLE_TYPES if INCIDENT_TYPE_COUNTS.get(t, 0) > 0}


@dataclass(frozen=True)
class IncidentModel:
    """Dispatchable incident model (the ``[incidents]`` table of a scenario)."""

    per_shift: float = PER_SHIFT
    hourly_profile: tuple[float, ...] = HOURLY_PROFILE
    type_weights: dict[str, float] = field(default_factory=_default_type_weights)
    busy_min: dict[str, float] = field(default_factory=lambda: dict(BUSY_MIN))
    history: str | None = None

    def expected_count(self, start_min: float, end_min: float) -> float:
        """Expected dispatchable incidents in ``[start_min, end_min)``."""
        ref = self._mass(600.0, 1080.0)
        return self.per_shift * self._mass(start_min, end_min) / ref if ref > 0 else 0.0

    def _mass(self, a: float, b: float) -> float:
        minutes = np.arange(int(a), int(np.ceil(b)))
        return float(np.asarray(self.hourly_profile)[(minutes // 60) % 24].sum())


@dataclass
class DayIncidents:
    """One Monte Carlo day's incidents and their dispatch."""

    time_min: np.ndarray
    types: list[str]
    block: np.ndarray
    offset: np.ndarray
    busy_min: np.ndarray
    response_min: np.ndarray
    walker: np.ndarray
    distance_m: np.ndarray


def draw_incidents(model: IncidentModel, start_min: float, end_min: float, weights: np.ndarray, edge_length,
                   rng: np.random.Generator) -> tuple[np.ndarray, list[str], np.ndarray, np.ndarray, np.ndarray]:
    """Draw one day's dispatchable incidents.

    Returns
    -------
    times, types, blocks, offsets, busy
        Sorted by time (minutes after midnight).
    """
    n = int(rng.poisson(model.expected_count(start_min, end_min)))
    minutes = np.arange(int(start_min), int(np.ceil(end_min)))
    pm = np.asarray(model.hourly_profile, float)[(minutes // 60) % 24]
    t = rng.choice(minutes, size=n, p=pm / pm.sum()) + rng.random(n)
    t = np.sort(np.clip(t, start_min, np.nextafter(end_min, start_min)))
    names = sorted(model.type_weights)
    tw = np.array([model.type_weights[k] for k in names], float)
    types = [names[i] for i in rng.choice(len(names), size=n, p=tw / tw.sum())]
    w = np.asarray(weights, float)
    blocks = rng.choice(w.size, size=n, p=w / w.sum()).astype(np.int64)
    offsets = rng.random(n) * np.asarray(edge_length)[blocks]
    busy = np.array([model.busy_min.get(k, BUSY_MIN["other"]) for k in types], float)
    return t, types, blocks, offsets, busy


def incident_fields(arrays, blocks: np.ndarray, offsets: np.ndarray, *, use_reference: bool = False) -> np.ndarray:
    """Distance (m) from each incident point to every node: one search per incident, ``(n_incidents, n_nodes)``.

    A day holds a few incidents, so this costs incidents x nodes, where all-pairs distances cost nodes x nodes
    (0.5 GB for a whole city's 7,700 intersections).
    """
    impl = path_reference if use_reference else path_kernels
    out = np.empty((len(blocks), arrays.n_nodes))
    for i, (b, o) in enumerate(zip(np.asarray(blocks).tolist(), np.asarray(offsets).tolist(), strict=True)):
        seeds = np.array([arrays.edge_u[b], arrays.edge_v[b]], dtype=np.int64)
        seed_d = np.array([o, arrays.edge_length[b] - o], dtype=np.float64)
        out[i] = impl.point_dijkstra(arrays.indptr, arrays.indices, arrays.weights, arrays.csr_edge, seeds, seed_d,
                                     np.inf)[0]
    return out


def simulate_day(positions: Positions, arrays, weights: np.ndarray, model: IncidentModel,
                 response_m_s: float, rng: np.random.Generator, *, use_reference: bool = False) -> DayIncidents:
    """Draw a day's incidents and dispatch each to the nearest available ambassador.

    Parameters
    ----------
    positions : Positions
        The day's timeline sampled per step (available = visible activity).
    arrays : GraphArrays
    weights : ndarray
        Demand weight per block.
    model : IncidentModel
    response_m_s : float
    rng : numpy.random.Generator

    Returns
    -------
    DayIncidents
        Response times in minutes (waiting for a free ambassador included; ``nan`` when nobody was free
        before the end of the shift).
    """
    start = positions.start_min
    end = start + positions.n_steps * positions.step_min
    t, types, blocks, offsets, busy = draw_incidents(model, start, end, weights, arrays.edge_length, rng)
    rel = (t - start) / positions.step_min
    step = np.minimum(np.floor(rel).astype(np.int64), positions.n_steps - 1)
    frac = rel - step
    fields = incident_fields(arrays, blocks, offsets, use_reference=use_reference)
    resp, who, dist = _impl(use_reference).dispatch_incidents(
        step, frac, blocks, offsets, busy, positions.block, positions.offset, positions.visible(),
        positions.step_min, fields, arrays.edge_u, arrays.edge_v, arrays.edge_length, response_m_s * 60.0)
    return DayIncidents(t, types, blocks, offsets, busy, resp, who, dist)


def bootstrap_ci(per_seed: list[np.ndarray], stat, *, n_boot: int = 400, seed: int = 0,
                 level: float = 0.95) -> tuple[float, float, float]:
    """Point estimate and percentile bootstrap interval of ``stat`` over pooled values, resampling seeds (days).

    Parameters
    ----------
    per_seed : list of ndarray
        Values (e.g. response times) per seed.
    stat : callable
        Pooled array -> float.

    Returns
    -------
    (estimate, low, high)
        ``nan`` when there are no values.
    """
    pooled = np.concatenate(per_seed) if per_seed else np.zeros(0)
    if pooled.size == 0:
        return float("nan"), float("nan"), float("nan")
    est = float(stat(pooled))
    if len(per_seed) < 2:
        return est, float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    vals = []
    for _ in range(n_boot):
        pick = rng.integers(len(per_seed), size=len(per_seed))
        sample = np.concatenate([per_seed[i] for i in pick])
        if sample.size:
            vals.append(stat(sample))
    lo, hi = np.quantile(vals, [(1 - level) / 2, 1 - (1 - level) / 2])
    return est, float(lo), float(hi)
