"""Topology repairs shared by the builders: closed loops split in two, duplicate blocks kept once.

Both work on :class:`patrol.graph.RawBlock` lists before normalization, in WGS84, measuring with a local
equirectangular projection (metres; within 0.5 % over a city, plenty for a 3 m tolerance and for finding
the middle of a loop).

* A **closed loop** (a block whose two ends are one intersection: a cul-de-sac ring, a drawn-around
  roundabout) gets a new node at the middle of its line and becomes two blocks of half its length, so
  that every block has two distinct ends; a loop shorter than 10 m is an artefact and is left out.
* A **duplicate** is a block between the same two intersections as an earlier one whose line stays within
  3 m of it everywhere (Hausdorff distance): the city file drew the segment twice, the same way or
  reversed.  The second copy is left out; a parallel block that really differs (the other side of a
  crescent, a divided road's other carriageway) is kept.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import shapely

from patrol.graph import RawBlock

__all__ = ["DUPLICATE_M", "MIN_LOOP_M", "drop_duplicates", "split_loops"]

#: A loop shorter than this (metres) is left out.
MIN_LOOP_M = 10.0
#: Two blocks between the same intersections within this Hausdorff distance (metres) are one.
DUPLICATE_M = 3.0
_M_PER_DEG = 111_320.0

Point = tuple[float, float]


def _coords(b: RawBlock, nodes: dict[int, Point]) -> list[Point]:
    return [(float(x), float(y)) for x, y in b.coords] if b.coords else [nodes[b.u], nodes[b.v]]


def _metres(coords: Sequence[Point], origin: Point) -> np.ndarray:
    """East and north metres from ``origin`` (local equirectangular projection)."""
    a = np.asarray(coords, dtype=np.float64)
    return np.column_stack([(a[:, 0] - origin[0]) * _M_PER_DEG * math.cos(math.radians(origin[1])),
                            (a[:, 1] - origin[1]) * _M_PER_DEG])


def split_loops(blocks: Sequence[RawBlock], nodes: dict[int, Point]) -> tuple[list[RawBlock], int, int]:
    """Split every closed loop at the middle of its line (new nodes are added to ``nodes`` in place).

    Returns
    -------
    blocks : list of RawBlock
        In the same order, each split loop replaced by its two halves.
    split, dropped : int
        Loops split, and loops shorter than :data:`MIN_LOOP_M` left out.

    Examples
    --------
    >>> nodes = {0: (-93.0, 45.0)}
    >>> ring = [(-93.0, 45.0), (-93.0, 45.001), (-92.999, 45.001), (-92.999, 45.0), (-93.0, 45.0)]
    >>> out, split, dropped = split_loops([RawBlock(0, 0, "Ring", 400.0, coords=ring)], nodes)
    >>> [(b.u, b.v, b.length) for b in out], split, nodes[1]
    ([(0, 1, 200.0), (1, 0, 200.0)], 1, (-92.999, 45.001))
    """
    out: list[RawBlock] = []
    split = dropped = 0
    next_id = max(nodes) + 1 if nodes else 0
    for b in blocks:
        if b.u != b.v:
            out.append(b)
            continue
        if b.length < MIN_LOOP_M:
            dropped += 1
            continue
        coords = _coords(b, nodes)
        xy = _metres(coords, coords[0])
        cum = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(xy, axis=0).T))])
        half = cum[-1] / 2
        j = min(max(int(np.searchsorted(cum, half)), 1), len(coords) - 1)
        t = (half - cum[j - 1]) / max(cum[j] - cum[j - 1], 1e-12)
        (x0, y0), (x1, y1) = coords[j - 1], coords[j]
        mid = (float(x0 + t * (x1 - x0)), float(y0 + t * (y1 - y0)))
        m = next_id
        next_id += 1
        nodes[m] = mid
        length = round(b.length / 2, 1)
        first = [*coords[:j], mid] if t > 0 else [*coords[:j - 1], mid]
        second = [mid, *coords[j:]] if t < 1 else [mid, *coords[j + 1:]]
        out.append(RawBlock(b.u, m, b.name, length, b.kind, first, b.speed_limit_mph))
        out.append(RawBlock(m, b.u, b.name, length, b.kind, second, b.speed_limit_mph))
        split += 1
    return out, split, dropped


def drop_duplicates(blocks: Sequence[RawBlock], nodes: dict[int, Point]) -> tuple[list[RawBlock], int, int]:
    """Blocks with second copies left out (see the module docstring).

    Returns
    -------
    blocks : list of RawBlock
        The kept blocks, in their order.
    duplicates, reversed_duplicates : int
        Second copies left out, drawn the same way or reversed.

    Examples
    --------
    >>> nodes = {0: (-93.0, 45.0), 1: (-93.0, 45.001)}
    >>> a = RawBlock(0, 1, "A", 111.3)
    >>> kept, dup, rev = drop_duplicates([a, a, RawBlock(1, 0, "A", 111.3)], nodes)
    >>> len(kept), dup, rev
    (1, 1, 1)
    """
    by_ends: dict[tuple[int, int], list[int]] = {}
    kept: list[RawBlock] = []
    lines: dict[int, shapely.LineString] = {}
    dup = rev = 0
    origin = next(iter(nodes.values()), (0.0, 0.0))  # one projection for every line, so they compare

    def line(i: int) -> shapely.LineString:
        if i not in lines:
            lines[i] = shapely.LineString(_metres(_coords(blocks[i], nodes), origin))
        return lines[i]

    for i, b in enumerate(blocks):
        same = by_ends.setdefault((min(b.u, b.v), max(b.u, b.v)), [])
        twin = next((j for j in same if shapely.hausdorff_distance(line(i), line(j)) <= DUPLICATE_M), None)
        if twin is None:
            same.append(i)
            kept.append(b)
        elif blocks[twin].u == b.u:
            dup += 1
        else:
            rev += 1
    return kept, dup, rev
