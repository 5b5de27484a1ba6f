"""Per-block demand weights and hot spots for coverage scoring and incident locations.

Scenarios use the district demand model: :func:`patrol.demand.block_demand` gives the weights (incident
history when there is one, else business density and transit stops, smoothed along the network) and
:func:`patrol.demand.top_hotspots` the hot spots, so that scenarios score the same hot spots the daily plan
dwells at.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from patrol.demand import block_demand, load_incident_history, top_hotspots
from patrol.history import IncidentHistory

__all__ = ["block_weights", "hotspots", "top_blocks"]

log = logging.getLogger(__name__)


def block_weights(district, *, history: str | Path | IncidentHistory | None = None) -> np.ndarray:
    """Demand weight per block (``n_blocks`` floats summing to 1 over the patrol area, 0 outside it).

    Parameters
    ----------
    district : District
    history : path or IncidentHistory, optional
        Incident history (a CSV with ``lat``, ``lon`` columns, or one already read); default the district's own.

    Raises
    ------
    InputError
        When a history file is missing or malformed.
    """
    hist = load_incident_history(history) if isinstance(history, str | Path) else history
    return np.asarray(block_demand(district, hist), float)


def hotspots(district, weights: np.ndarray, k: int) -> np.ndarray:
    """The ``k`` hot-spot blocks, as the daily plan picks them (:func:`patrol.demand.top_hotspots`)."""
    return np.asarray(top_hotspots(district, int(k), demand=weights), dtype=np.int64)


def top_blocks(weights: np.ndarray, k: int) -> np.ndarray:
    """The ``k`` blocks with the largest weight (ties by block id), highest first."""
    order = np.lexsort((np.arange(weights.size), -np.asarray(weights)))
    return order[: max(0, int(k))].astype(np.int64)
