"""Incident demand per street block, and the hot spots it implies.

Demand says where ambassadors are most needed.  It comes from an incident history when there is one (given
to the call, else the district's own ``incidents.csv``; each incident snapped onto its nearest block),
otherwise from a proxy: business density (businesses per block) plus transit stops (the district's
``transit_stops.csv``, three businesses' worth each), both smoothed along the street network with a
Gaussian kernel so that a busy corner also lends weight to its neighbouring blocks.

The smoothing is bounded: the kernel is below 4e-6 of its peak beyond 5 bandwidths (600 m by default), so
only block pairs within that walking distance are summed (:func:`patrol.paths.blocks_within`).  Memory is
in proportion to the area's blocks times their neighbourhoods, not to blocks x blocks: the dense version
(a block x block matrix) needed 12.3 GB for a whole-city scenario.  On Uptown the weights agree with the
dense sum to 1e-5 of the largest weight and the hot spots are the same (``tests/test_demand.py``).

>>> from patrol.district import load_district
>>> from patrol.demand import block_demand, top_hotspots
>>> d = load_district()
>>> w = block_demand(d)
>>> round(float(w.sum()), 6)
1.0
>>> len(top_hotspots(d, 5))
5

The API is small on purpose (other modules reuse it): :func:`load_incident_history`,
:func:`block_demand`, :func:`top_hotspots`.
"""

from __future__ import annotations

import logging

import numpy as np

from patrol.district import District
from patrol.errors import InputError
from patrol.history import HISTORY_COLUMNS, IncidentHistory, load_incident_history
from patrol.paths import blocks_within

__all__ = ["CUTOFF_BANDWIDTHS", "HISTORY_COLUMNS", "IncidentHistory", "block_demand", "load_incident_history",
           "smooth", "top_hotspots"]

log = logging.getLogger(__name__)

#: The smoothing kernel is cut beyond this many bandwidths (exp(-12.5) = 3.7e-6 of its peak).
CUTOFF_BANDWIDTHS = 5.0
#: Source blocks per bounded search batch (bounds the pair arrays held at once).
_BATCH = 2048


def smooth(district: District, raw: np.ndarray, bandwidth_m: float, *,
           cutoff: float = CUTOFF_BANDWIDTHS) -> np.ndarray:
    """Gaussian smoothing of per-block values along the network (distances between block midpoints).

    ``out[e] = sum over blocks b with raw[b] > 0 of raw[b] * exp(-d(b, e)^2 / (2 bandwidth^2))``, summed over
    the pairs with ``d(b, e) <= cutoff * bandwidth`` (``d(b, b) = 0``).
    """
    a = district.arrays
    src = np.flatnonzero(raw > 0)
    out = np.zeros(a.n_edges)
    for i in range(0, src.size, _BATCH):
        chunk = src[i:i + _BATCH]
        ptr, nbr, dist = blocks_within(a, chunk, cutoff * bandwidth_m)
        weight = np.repeat(raw[chunk], np.diff(ptr)) * np.exp(-0.5 * (dist / bandwidth_m) ** 2)
        out += np.bincount(nbr, weight, minlength=a.n_edges)
    return out


def block_demand(district: District, history: IncidentHistory | None = None, *,
                 bandwidth_m: float = 120.0) -> np.ndarray:
    """Demand weight per street block, normalized to sum to 1 over the patrol area (0 outside it).

    Parameters
    ----------
    district : patrol.district.District
    history : IncidentHistory, optional
        Past incidents (default: the district's own history, if it has one); when there are any, demand is
        incidents per block (snapped), smoothed.  Otherwise businesses per block plus 3 x transit stops per
        block, smoothed.
    bandwidth_m : float
        Standard deviation of the Gaussian kernel along the network, in metres.

    Returns
    -------
    numpy.ndarray
        ``(n_blocks,)`` float weights.
    """
    a = district.arrays
    raw = np.zeros(a.n_edges)
    history = history if history is not None else district.incidents
    if history is not None and len(history):
        block, keep = history.blocks(district)
        if (~keep).any():
            log.info("%d of %d incidents are off the district's streets and were left out",
                     int((~keep).sum()), len(history))
        np.add.at(raw, block[keep], 1.0)
    else:
        if district.businesses:
            bb = district.business_blocks[0]
            np.add.at(raw, bb[district.business_in_area()], 1.0)
        slat = np.array([stop.lat for stop in district.stops])
        slon = np.array([stop.lon for stop in district.stops])
        if slat.size:
            sb, _, sd = district.geocoder.snap_many(slat, slon)
            np.add.at(raw, sb[sd <= district.settings.dispatch.max_snap_m], 3.0)
    raw = np.where(a.edge_in_area, raw, 0.0)
    if raw.sum() <= 0:  # nothing known: uniform over the area, by length
        raw = np.where(a.edge_in_area, a.edge_length, 0.0)
    w = smooth(district, raw, bandwidth_m)
    # short blocks should not win by being short: weight per block, not per metre
    w = np.where(a.edge_in_area, w, 0.0)
    total = w.sum()
    return w / total if total > 0 else w


def top_hotspots(district: District, k: int, history: IncidentHistory | None = None, *,
                 demand: np.ndarray | None = None, min_length_m: float = 20.0) -> np.ndarray:
    """The ``k`` highest-demand blocks of the patrol area, no two touching, highest first.

    Blocks shorter than ``min_length_m`` (slivers at complex intersections) are skipped.

    Returns
    -------
    numpy.ndarray of int64
        Block ids (fewer than ``k`` only if the area has too few blocks).
    """
    if k < 0:
        raise InputError(f"hot spot count must be >= 0, got {k}", field="hotspot_count")
    a = district.arrays
    w = block_demand(district, history) if demand is None else np.asarray(demand, float)
    order = np.lexsort((np.arange(a.n_edges), -w))
    chosen: list[int] = []
    used_nodes: set[int] = set()
    for b in order:
        if len(chosen) >= k:
            break
        if not a.edge_in_area[b] or a.edge_length[b] < min_length_m:
            continue
        ends = {int(a.edge_u[b]), int(a.edge_v[b])}
        if ends & used_nodes:
            continue
        chosen.append(int(b))
        used_nodes |= ends
    return np.asarray(chosen, dtype=np.int64)
