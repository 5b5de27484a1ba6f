"""Response-time field: per minute and node, the walk from the nearest available ambassador.

Positions come from :func:`patrol.coverage.presence.sample_timeline`; walkers on a break, responding, or
off the timeline are not available (nor, optionally, those busy with an incident).  A multi-source
Dijkstra per step (Numba, :func:`patrol.coverage.kernels.response_field`) gives the network distance,
divided by the response speed (``speeds.response_m_s``) for minutes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from patrol.coverage.presence import Positions, _impl

__all__ = ["THRESHOLDS_MIN", "ResponseScore", "area_nodes", "response_minutes", "score_response"]

#: Response-time thresholds (minutes) for the "share of the area reachable within" measures.
THRESHOLDS_MIN = (3.0, 5.0, 10.0)


def response_minutes(positions: Positions, arrays, response_m_s: float, *, available: np.ndarray | None = None,
                     node_dist: np.ndarray | None = None, use_reference: bool = False) -> np.ndarray:
    """Walking time (minutes) from the nearest available ambassador, per step and node.

    Parameters
    ----------
    positions : Positions
    arrays : GraphArrays
    response_m_s : float
        Response walking speed (m/s).
    available : bool (n_steps, n_walkers), optional
        Who can respond; default: walkers with a visible activity.
    node_dist : ndarray (n_nodes, n_nodes), optional
        All-pairs node distances: when given (small networks), the field is the minimum over walkers of
        the distances through the block ends (:func:`patrol.coverage.kernels.response_field_apsp`, ~10x
        faster than a Dijkstra per step; equal to it up to rounding, < 1e-6 m).
    use_reference : bool
        The pure Python reference (a heap Dijkstra per step) instead of Numba.

    Returns
    -------
    float32 (n_steps, n_nodes)
        ``inf`` when nobody is available.
    """
    ok = positions.visible() if available is None else np.asarray(available, bool)
    if node_dist is not None and not use_reference:
        from patrol.coverage import kernels

        dist = kernels.response_field_apsp(positions.block, positions.offset, ok, arrays.edge_u, arrays.edge_v,
                                           arrays.edge_length, np.ascontiguousarray(node_dist, dtype=np.float64))
        dist /= np.float32(response_m_s * 60.0)
        return dist
    dist = _impl(use_reference).response_field(positions.block, positions.offset, ok, arrays.edge_u, arrays.edge_v,
                                               arrays.edge_length, arrays.indptr, arrays.indices, arrays.weights,
                                               arrays.n_nodes)
    dist /= np.float32(response_m_s * 60.0)
    return dist


def area_nodes(arrays) -> np.ndarray:
    """Bool mask of nodes at an end of a block in the patrol area."""
    mask = np.zeros(arrays.n_nodes, bool)
    mask[arrays.edge_u[arrays.edge_in_area]] = True
    mask[arrays.edge_v[arrays.edge_in_area]] = True
    return mask


@dataclass
class ResponseScore:
    """Response-time field measures over a shift (see :func:`score_response`)."""

    share_within: dict[str, float]
    mean_min: float
    share_within_by_step: dict[str, np.ndarray]
    block_mean_min: np.ndarray

    def summary(self) -> dict[str, float]:
        out = {f"reach_{k}min": v for k, v in self.share_within.items()}
        out["field_mean_min"] = self.mean_min
        return out


def score_response(minutes: np.ndarray, arrays, *, thresholds=THRESHOLDS_MIN) -> ResponseScore:
    """Share of the area reachable within each threshold, over the shift.

    Parameters
    ----------
    minutes : (n_steps, n_nodes) array
        From :func:`response_minutes`.
    arrays : GraphArrays
    thresholds : sequence of float

    Returns
    -------
    ResponseScore
        ``share_within["5"]``: share of (area node, minute) pairs within 5 minutes; ``mean_min``: mean over
        those pairs (finite ones; a minute with nobody available counts as 60 minutes, capped);
        ``block_mean_min``: per block, the mean over the shift of the nearer end's time (capped at 60).
    """
    mask = area_nodes(arrays)
    sub = minutes[:, mask]
    capped = np.minimum(sub, 60.0)
    share = {f"{t:g}": float((sub <= t).mean()) for t in thresholds}
    by_step = {f"{t:g}": (sub <= t).mean(axis=1) for t in thresholds}
    node_mean = np.minimum(minutes, 60.0).mean(axis=0)
    block_mean = np.minimum(node_mean[arrays.edge_u], node_mean[arrays.edge_v])
    return ResponseScore(share, float(capped.mean()), by_step, block_mean.astype(float))
