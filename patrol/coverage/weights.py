"""Per-block demand weights and hot spots for coverage scoring and incident locations.

The district demand model :func:`patrol.demand.block_demand` gives the weights (incident history when
given, else business density and transit stops, smoothed along the network) and
:func:`patrol.demand.top_hotspots` the hot spots, so that scenarios score the same hot spots the daily
plan dwells at.  Without that module (older installations) a fallback is used: incident history when
given, else business density, ``businesses snapped onto the block + floor * block length / mean area
block length`` on area blocks, 0 elsewhere (the floor, 0.25, keeps blocks without businesses from never
seeing an incident); hot spots are then simply the highest-weight blocks.
"""

from __future__ import annotations

import csv
import logging
from pathlib import Path

import numpy as np

from patrol.errors import InputError

__all__ = ["block_weights", "history_weights", "hotspots", "top_blocks"]

log = logging.getLogger(__name__)

FLOOR = 0.25


def _floor(arrays) -> np.ndarray:
    area = np.asarray(arrays.edge_in_area, bool)
    mean_len = arrays.edge_length[area].mean() if area.any() else 1.0
    return np.where(area, FLOOR * arrays.edge_length / mean_len, 0.0)


def block_weights(district, *, history: str | Path | None = None) -> np.ndarray:
    """Demand weight per block (``n_blocks`` floats, 0 outside the patrol area).

    Parameters
    ----------
    district : District
    history : path, optional
        Incident history CSV (columns ``lat``, ``lon``; see :func:`history_weights`).

    Returns
    -------
    ndarray of float64
    """
    demand = _demand_model_weights(district, history)
    if demand is not None:
        return demand
    if history is not None:
        return history_weights(district, history)
    arrays = district.arrays
    w = _floor(arrays)
    if district.businesses:
        blocks, _, _ = district.business_blocks
        inside = district.business_in_area()
        np.add.at(w, blocks[inside], 1.0)
    return w * np.asarray(arrays.edge_in_area, bool)


def history_weights(district, path: str | Path) -> np.ndarray:
    """Block weights from an incident history CSV: incidents snapped per area block, plus the floor.

    Raises
    ------
    InputError
        When the file is missing or lacks ``lat``/``lon`` columns or numbers.
    """
    path = Path(path)
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
    except FileNotFoundError as exc:
        raise InputError(f"incident history file not found: {path}", field="incidents.history") from exc
    if not rows or not {"lat", "lon"} <= set(rows[0]):
        raise InputError(f"{path}: needs 'lat' and 'lon' columns", field="incidents.history")
    try:
        lat = np.array([float(r["lat"]) for r in rows])
        lon = np.array([float(r["lon"]) for r in rows])
    except ValueError as exc:
        raise InputError(f"{path}: bad coordinate ({exc})", field="incidents.history") from exc
    blocks, _, dist = district.geocoder.snap_many(lat, lon)
    keep = dist <= district.settings.dispatch.max_snap_m
    w = _floor(district.arrays)
    np.add.at(w, blocks[keep], 1.0)
    return w * np.asarray(district.arrays.edge_in_area, bool)


def _demand_model_weights(district, history) -> np.ndarray | None:
    try:
        from patrol.demand import block_demand, load_incident_history  # the district demand model
    except ImportError:
        return None
    hist = load_incident_history(history) if history is not None else None
    w = np.asarray(block_demand(district, hist), float)
    if w.shape != (district.arrays.n_edges,) or not np.isfinite(w).all() or w.sum() <= 0:
        log.warning("patrol.demand.block_demand gave unusable weights; using business density")
        return None
    return w


def hotspots(district, weights: np.ndarray, k: int) -> np.ndarray:
    """The ``k`` hot-spot blocks: :func:`patrol.demand.top_hotspots` (as the daily plan), else :func:`top_blocks`."""
    try:
        from patrol.demand import top_hotspots
    except ImportError:
        return top_blocks(weights, k)
    return np.asarray(top_hotspots(district, int(k), demand=weights), dtype=np.int64)


def top_blocks(weights: np.ndarray, k: int) -> np.ndarray:
    """The ``k`` blocks with the largest weight (ties by block id), highest first."""
    order = np.lexsort((np.arange(weights.size), -np.asarray(weights)))
    return order[: max(0, int(k))].astype(np.int64)
