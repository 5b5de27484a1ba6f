"""Compile every Numba kernel of ``patrol`` ahead of use (or load it from the on-disk cache).

A fresh installation compiles the kernels the first time they run (about 20 s on 2 cores); ``patrol
warmup`` (which ``make run`` runs once) does it on tiny inputs with the argument types of real calls, so
the first plan, dispatch or scenario starts warm.  The routing core also warms itself before its clock
starts (:func:`patrol.routing.solver.warm_up`), so a search budget never pays for compilation.
"""

from __future__ import annotations

import logging
import time

import numpy as np

from patrol import path_kernels
from patrol.coverage import kernels
from patrol.coverage.montecarlo import IncidentModel, simulate_day
from patrol.coverage.presence import block_neighbourhoods, presence_counts, sample_timeline
from patrol.coverage.response import response_minutes
from patrol.coverage.synthetic import grid_arrays, random_walkers
from patrol.paths import blocks_within, from_node, from_point, node_distances, within
from patrol.routing.solver import warm_up as warm_up_routing

__all__ = ["compiled_kernels", "warm_up"]

log = logging.getLogger(__name__)


def warm_up() -> dict[str, float]:
    """Compile (or load) every kernel; seconds spent per group (routing core, shortest paths, coverage)."""
    out = {}
    t = time.perf_counter()
    warm_up_routing()
    out["routing"] = time.perf_counter() - t

    t = time.perf_counter()
    grid = grid_arrays(3, spacing_m=100.0)
    from_point(grid, 0, 10.0)
    from_point(grid, 0, 10.0, limit=150.0)
    within(grid, 150.0)
    blocks_within(grid, np.arange(grid.n_edges), 150.0)
    from_node(grid, 0)
    out["paths"] = time.perf_counter() - t

    t = time.perf_counter()
    tl = random_walkers(grid, 2, start_min=600.0, end_min=620.0, speed_m_min=60.0, seed=0)
    pos = sample_timeline(tl, 600.0, 620.0, 1.0)
    counts = presence_counts(pos, grid, block_neighbourhoods(grid, 50.0))
    response_minutes(pos, grid, 1.4)
    nd = node_distances(grid)
    response_minutes(pos, grid, 1.4, node_dist=nd)
    kernels.revisit_scan(counts, 2)  # the int16 counts presence_counts gives, as in a scenario
    simulate_day(pos, grid, np.ones(grid.n_edges), IncidentModel(per_shift=20.0), 1.4, np.random.default_rng(0))
    out["coverage"] = time.perf_counter() - t
    log.info("kernels ready: %s", ", ".join(f"{k} {v:.1f} s" for k, v in out.items()))
    return out


def compiled_kernels() -> dict[str, int]:
    """Every Numba kernel of the package and how many type signatures it has compiled in this process."""
    from patrol.routing import construct, evaluate, local_search, split

    out = {}
    for mod in (kernels, path_kernels, construct, evaluate, local_search, split):
        for name in dir(mod):
            obj = getattr(mod, name)
            if hasattr(obj, "signatures") and getattr(obj, "__module__", "") == mod.__name__:
                out[f"{mod.__name__}.{name}"] = len(obj.signatures)
    return out
