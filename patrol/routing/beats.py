"""Beats: the patrol area's blocks split into balanced loops from the base, one per walking unit.

A beat is the ordered list of blocks a unit is responsible for walking once (or
``area_visits_per_shift`` times) during the shift.  Beats come from the routing core
(:func:`patrol.routing.solve_coverage`, the min-max k-Chinese-postman); the scheduler then walks each
beat in order, between its timed duties (corridor passes, hot-spot dwells, check-ins, breaks).
If the routing core cannot be imported or fails, a simple sector split around the base is used and
the plan says so (``method``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

__all__ = ["Beats", "plan_beats"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Beats:
    """Blocks to walk per unit, in the order the routing core found.

    Attributes
    ----------
    blocks : list of list of int
        Per unit, the block ids it serves, in service order (with multiplicity).
    lengths_m : list of float
        Per unit, the length of the closed walk from the base (deadheading included).
    method : str
        ``"routing-core:<solver method>"`` or ``"sectors"`` (fallback).
    lower_bound_m, seconds : float
    """

    blocks: list[list[int]]
    lengths_m: list[float]
    method: str
    lower_bound_m: float = 0.0
    seconds: float = 0.0
    info: dict = field(default_factory=dict)


def _sectors(district, required: np.ndarray, k: int) -> Beats:
    a = district.arrays
    b0 = district.base_index
    blocks = np.flatnonzero(required > 0)
    mx = (a.x[a.edge_u[blocks]] + a.x[a.edge_v[blocks]]) / 2 - a.x[b0]
    my = (a.y[a.edge_u[blocks]] + a.y[a.edge_v[blocks]]) / 2 - a.y[b0]
    order = blocks[np.argsort(np.arctan2(my, mx), kind="stable")]
    cum = np.cumsum(a.edge_length[order])
    total = cum[-1] if cum.size else 0.0
    out: list[list[int]] = [[] for _ in range(k)]
    for b, c in zip(order, cum, strict=True):
        r = min(k - 1, int((c - 1e-9) / total * k)) if total > 0 else 0
        out[r].extend([int(b)] * int(required[b]))
    return Beats(out, [float(a.edge_length[o].sum()) for o in out], "sectors")


def plan_beats(district, k: int, required: np.ndarray, *, time_limit_s: float = 5.0, seed: int = 0,
               max_iterations: int | None = None,
               progress: Callable[[float, float], None] | None = None) -> Beats:
    """Split the required blocks among ``k`` units (min-max closed walks from the base).

    Parameters
    ----------
    district : patrol.district.District
    k : int
        Number of units with a beat (>= 1).
    required : numpy.ndarray of int
        Services required per block.
    time_limit_s : float
        Budget of the routing core.
    seed : int
    max_iterations : int, optional
        Cap on the routing core's improvement iterations; with it (and a time limit that is not
        reached) the beats do not depend on machine speed or load.
    progress : callable, optional
        Passed to the routing core.

    Returns
    -------
    Beats
    """
    a = district.arrays
    k = max(1, int(k))
    if int(np.sum(required)) == 0:
        return Beats([[] for _ in range(k)], [0.0] * k, "empty")
    try:
        from patrol.routing import solve_coverage
    except ImportError as exc:  # the routing core is not installed in this checkout
        log.warning("routing core unavailable (%s): beats by sectors", exc)
        return _sectors(district, required, k)
    from patrol.errors import PatrolError

    try:
        sol = solve_coverage(a.n_nodes, a.edge_u, a.edge_v, a.edge_length, required, k, district.base_index,
                             time_limit_s=time_limit_s, seed=seed, max_iterations=max_iterations,
                             progress=progress)
    except PatrolError as exc:
        log.warning("routing core failed (%s): beats by sectors", exc.message)
        return _sectors(district, required, k)
    blocks = [[int(b) for b in s] for s in sol.serves]
    return Beats(blocks, [float(x) for x in sol.lengths], f"routing-core:{sol.method}",
                 float(sol.lower_bound), float(sol.seconds), {"gap": float(sol.gap)})
