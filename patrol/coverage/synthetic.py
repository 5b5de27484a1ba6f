"""Synthetic street grids and walkers, for scale benchmarks and kernel tests (no district data needed).

>>> g = grid_arrays(3, spacing_m=100.0)
>>> g.n_nodes, g.n_edges
(9, 12)
"""

from __future__ import annotations

import numpy as np

from patrol.arrays import GraphArrays
from patrol.timeline import Timeline

__all__ = ["grid_arrays", "random_walkers"]


def grid_arrays(n_side: int, *, spacing_m: float = 100.0, jitter: float = 0.0, seed: int = 0) -> GraphArrays:
    """A square ``n_side x n_side`` street grid as :class:`~patrol.arrays.GraphArrays`.

    Parameters
    ----------
    n_side : int
        Intersections per side (``n_side**2`` nodes, ``2 n_side (n_side - 1)`` blocks).
    spacing_m : float
        Block length.
    jitter : float
        Relative random variation of block lengths (0: all equal), so that shortest paths are unique.
    seed : int
        Seed of the jitter.
    """
    idx = np.arange(n_side * n_side).reshape(n_side, n_side)
    h = np.column_stack([idx[:, :-1].ravel(), idx[:, 1:].ravel()])
    v = np.column_stack([idx[:-1, :].ravel(), idx[1:, :].ravel()])
    uv = np.vstack([h, v])
    m = uv.shape[0]
    rng = np.random.default_rng(seed)
    length = spacing_m * (1.0 + jitter * rng.random(m))
    eu, ev = uv[:, 0].astype(np.int64), uv[:, 1].astype(np.int64)
    src = np.concatenate([eu, ev])
    dst = np.concatenate([ev, eu])
    eid = np.concatenate([np.arange(m), np.arange(m)])
    order = np.lexsort((dst, src))
    src, dst, eid = src[order], dst[order], eid[order]
    n = n_side * n_side
    indptr = np.zeros(n + 1, np.int64)
    np.add.at(indptr, src + 1, 1)
    indptr = np.cumsum(indptr)
    yy, xx = np.divmod(np.arange(n), n_side)
    x, y = xx * spacing_m, yy * spacing_m
    in_area = np.ones(m, bool)
    corridor = (uv[:, 0] // n_side == n_side // 2) & (uv[:, 1] // n_side == n_side // 2)
    return GraphArrays(
        node_ids=np.arange(n, dtype=np.int64), index_of={i: i for i in range(n)}, x=x.astype(float),
        y=y.astype(float), lon=x / 78000.0, lat=y / 111000.0, edge_u=eu, edge_v=ev, edge_length=length,
        edge_in_area=in_area, edge_corridor=corridor, edge_name=np.array([f"s{i}" for i in range(m)], dtype=object),
        indptr=indptr, indices=dst.astype(np.int64), weights=length[eid], csr_edge=eid.astype(np.int64),
    )


def random_walkers(arrays: GraphArrays, n_walkers: int, *, start_min: float = 600.0, end_min: float = 1080.0,
                   speed_m_min: float = 60.0, seed: int = 0) -> Timeline:
    """``n_walkers`` random walks over the whole grid from random start nodes (no breaks)."""
    from patrol.coverage.strategies import random_walk_legs

    rng = np.random.default_rng(seed)
    starts = rng.integers(arrays.n_nodes, size=n_walkers)
    walks = random_walk_legs(arrays, np.ones(arrays.n_edges, bool), starts, start_min, end_min, speed_m_min, rng)
    return Timeline({f"w{i}": legs for i, legs in enumerate(walks)})
