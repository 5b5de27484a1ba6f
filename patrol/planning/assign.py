"""Who does what away from the corridor: check-ins and area blocks shared by minimum-cost flows (OR-Tools).

**Check-ins** (:func:`assign_checkins`).  Most businesses sit on a few corridor blocks, so the unit whose
segment holds a dense block cannot do all of its check-ins and still walk as much as the others (walking
distance is what the balance target compares, and every minute not spent standing is spent walking).
Each unit is given an equal share of the day's stationary work (check-ins plus its hot-spot dwells), and
the businesses are assigned to units at the least total detour: a business on a unit's own segment costs
nothing (it is passed anyway), any other costs the walk there and back from the nearest corner of the
unit's round.  Shares may be exceeded, at a high cost, only when the total does not fit.

**Area blocks** (:func:`assign_area`).  Every area block is given to one unit, near its round but within
the time the unit has left after its round and its share of stationary work (a flow of tour minutes from
blocks to units; a block split between units goes to the one with most of it), and only to units that
can reach it there and back within the longest trip their round allows.  :mod:`patrol.planning.tours`
then walks each unit's blocks as one tour.
"""

from __future__ import annotations

import numpy as np
from ortools.graph.python import min_cost_flow

__all__ = ["TOUR_FACTOR", "assign_area", "assign_checkins"]

#: Walking a tour costs about this many times the length of the blocks it covers (links between them).
TOUR_FACTOR = 1.6
_OVER = 1_000_000  # cost of a check-in beyond a unit's share (per business)


def assign_checkins(biz_block: np.ndarray, biz_offset: np.ndarray, rounds: list[set[int] | None],
                    own_blocks: list[set[int]], fixed_min: np.ndarray, *, edge_u: np.ndarray, edge_v: np.ndarray,
                    edge_length: np.ndarray, dist: np.ndarray, base: int, checkin_min: float,
                    max_trip_min: np.ndarray | None = None, speed_m_min: float = 60.0) -> np.ndarray:
    """Assign every due business to one unit.

    Parameters
    ----------
    biz_block, biz_offset : ndarray
        Block and offset (m from the block's ``u`` end) of each due business.
    rounds : list of set of int or None
        Per unit, the corners of its round (``None``: no segment; the base stands in).
    own_blocks : list of set of int
        Per unit, the blocks of its segment.
    fixed_min : ndarray
        Per unit, stationary minutes it already has (hot-spot dwells); ``inf`` for a unit with no share
        (a rover: it takes check-ins only when the others cannot).
    edge_u, edge_v, edge_length : ndarray
        The blocks.
    dist : ndarray
        All-pairs shortest distances between nodes, metres.
    base : int
        The base node.
    checkin_min : float
        Minutes per check-in.
    max_trip_min, speed_m_min : ndarray, float, optional
        Per unit, the longest trip off its round it can make: a business farther than that (there, the
        check-in, and back) goes to a unit that can reach it, when one can.

    Returns
    -------
    ndarray of int
        Per business, the index of its unit.
    """
    n_biz, n_units = len(biz_block), len(rounds)
    out = np.zeros(n_biz, dtype=np.int64)
    if n_biz == 0 or n_units == 0:
        return out
    if n_units == 1:
        return out
    fixed = np.asarray(fixed_min, float)
    sharing = np.isfinite(fixed)
    if not sharing.any():
        sharing[:] = True
        fixed = np.zeros(n_units)
    share = (n_biz * checkin_min + float(fixed[sharing].sum())) / int(sharing.sum())
    caps = np.where(sharing, np.maximum(0, np.round((share - np.where(sharing, fixed, 0)) / checkin_min)), 0)
    caps = caps.astype(np.int64)
    cost = np.zeros((n_biz, n_units), dtype=np.int64)
    for k in range(n_units):
        r = rounds[k]
        nodes = np.array(sorted(r)) if r else np.array([base])
        for i in range(n_biz):
            b = int(biz_block[i])
            if b in own_blocks[k]:
                continue
            off = float(biz_offset[i])
            d = min(float(dist[nodes, int(edge_u[b])].min()) + off,
                    float(dist[nodes, int(edge_v[b])].min()) + float(edge_length[b]) - off)
            cost[i, k] = int(round(2 * d))
    # nodes: 0 source, 1..n_biz businesses, then units, then sink
    src, sink = 0, 1 + n_biz + n_units
    f = min_cost_flow.SimpleMinCostFlow()
    reach = np.full(n_units, np.inf) if max_trip_min is None else np.asarray(max_trip_min, float)
    for i in range(n_biz):
        f.add_arc_with_capacity_and_unit_cost(src, 1 + i, 1, 0)
        can = [k for k in range(n_units) if cost[i, k] / speed_m_min + checkin_min <= reach[k]] or list(range(n_units))
        for k in can:
            f.add_arc_with_capacity_and_unit_cost(1 + i, 1 + n_biz + k, 1, int(cost[i, k]))
    for k in range(n_units):
        f.add_arc_with_capacity_and_unit_cost(1 + n_biz + k, sink, int(caps[k]), 0)
        f.add_arc_with_capacity_and_unit_cost(1 + n_biz + k, sink, n_biz, _OVER)
    f.set_node_supply(src, n_biz)
    f.set_node_supply(sink, -n_biz)
    status = f.solve()
    if status != f.OPTIMAL:  # cannot happen with the overflow arcs; keep the nearest unit then
        return np.argmin(cost, axis=1).astype(np.int64)
    for arc in range(f.num_arcs()):
        t, h = f.tail(arc), f.head(arc)
        if 1 <= t <= n_biz and f.flow(arc) > 0:
            out[t - 1] = h - 1 - n_biz
    return out


def _spread(near: np.ndarray, blocks: np.ndarray, rounds: list[set[int]], *, edge_u: np.ndarray,
            edge_v: np.ndarray, dist: np.ndarray) -> None:
    """Units that start from the same corners (units without a corridor segment) are equally near every block,
    so the flow would share the blocks among them at random.  Give each its own part instead: as many anchors
    among the blocks' ends, chosen one by one to shorten the walk from the nearest anchor to every block the most
    (greedy k-median), and each unit's cost of a block is the walk from its anchor (``near``, in place)."""
    groups: dict[frozenset[int], list[int]] = {}
    for k, nodes in enumerate(rounds):
        groups.setdefault(frozenset(nodes), []).append(k)
    if all(len(m) < 2 for m in groups.values()):
        return
    ends = np.unique(np.concatenate([edge_u[blocks], edge_v[blocks]]))
    far = np.minimum(dist[np.ix_(ends, edge_u[blocks])], dist[np.ix_(ends, edge_v[blocks])])  # end x block
    far = np.where(np.isfinite(far), far, 1e12)
    for members in groups.values():
        if len(members) < 2:
            continue
        closest = np.full(blocks.size, np.inf)
        anchors: list[int] = []
        for k in members:
            total = np.minimum(closest[None, :], far).sum(axis=1)
            total[anchors] = np.inf
            j = int(np.argmin(total))
            anchors.append(j)
            closest = np.minimum(closest, far[j])
            near[:, k] = far[j]


def assign_area(blocks: np.ndarray, rounds: list[set[int]], capacity_min: np.ndarray, *, edge_u: np.ndarray,
                edge_v: np.ndarray, edge_length: np.ndarray, dist: np.ndarray, speed_m_min: float,
                max_trip_min: np.ndarray | None = None) -> np.ndarray:
    """Give each area block to a unit.

    Parameters
    ----------
    blocks : ndarray of int
        The blocks to walk.
    rounds : list of set of int
        Per unit, the corners of its round.
    capacity_min : ndarray
        Per unit, the minutes it can spend on its tour.
    max_trip_min : ndarray, optional
        Per unit, the longest trip away from its round it can make; a block farther out than that (there
        and back) goes to a unit that can reach it, the one with the most room to spare when none can.
    edge_u, edge_v, edge_length, dist, speed_m_min
        The street graph (``dist`` all-pairs, metres) and the patrol speed.

    Returns
    -------
    ndarray of int
        Per block (in the order given), its unit.
    """
    n_units = len(rounds)
    out = np.zeros(len(blocks), dtype=np.int64)
    if n_units <= 1 or len(blocks) == 0:
        return out
    near = np.empty((len(blocks), n_units))
    for k, nodes in enumerate(rounds):
        idx = np.array(sorted(nodes))
        near[:, k] = np.minimum(dist[np.ix_(idx, edge_u[blocks])].min(axis=0),
                                dist[np.ix_(idx, edge_v[blocks])].min(axis=0))
    _spread(near, blocks, rounds, edge_u=edge_u, edge_v=edge_v, dist=dist)
    cost = np.ceil(TOUR_FACTOR * edge_length[blocks] / speed_m_min).astype(np.int64)
    trip = (2 * near + edge_length[blocks][:, None]) / speed_m_min
    reach = np.full(n_units, np.inf) if max_trip_min is None else np.asarray(max_trip_min, float)
    cap = np.maximum(np.asarray(capacity_min, float), 0.0)
    # minutes of tour as flow: block -> unit (metres to reach it, per minute), unit -> sink (its capacity),
    # and an overflow arc per unit at a high cost so that every block is placed
    nb = len(blocks)
    src, sink = 0, 1 + nb + n_units
    f = min_cost_flow.SimpleMinCostFlow()
    arcs = []
    for j in range(nb):
        f.add_arc_with_capacity_and_unit_cost(src, 1 + j, int(cost[j]), 0)
        can = [k for k in range(n_units) if trip[j, k] <= reach[k]] or [int(np.argmax(reach - trip[j]))]
        for k in can:
            arcs.append((f.add_arc_with_capacity_and_unit_cost(1 + j, 1 + nb + k, int(cost[j]),
                                                               int(round(near[j, k]))), j, k))
    for k in range(n_units):
        f.add_arc_with_capacity_and_unit_cost(1 + nb + k, sink, int(cap[k]), 0)
        f.add_arc_with_capacity_and_unit_cost(1 + nb + k, sink, int(cost.sum()), 100_000)
    f.set_node_supply(src, int(cost.sum()))
    f.set_node_supply(sink, -int(cost.sum()))
    if f.solve() != f.OPTIMAL:
        return np.argmin(near, axis=1).astype(np.int64)
    got = np.zeros((nb, n_units))
    for arc, j, k in arcs:
        got[j, k] = f.flow(arc)
    return np.argmax(got - 1e-9 * near, axis=1).astype(np.int64)
