"""Repairs of a scheduled day that only trade *spare* time: check-ins left over, and walking evened out.

A *window* is a run of a unit's steps made only of walking and standing that starts and ends at the
same corner.  Its time can be spent otherwise as long as the plan still keeps what it promised,
which the caller's ``accept(units, unit)`` decides (``unit`` is the one changed; corridor gaps and
area blocks walked are what can suffer, as the repairs never touch check-ins, dwells or breaks):

* :func:`fill_leftovers`: a business not yet checked in with, or an area block not yet walked, gets
  a trip in a window (from its corner there and back, in the same time), and the unit stands at the
  corner for what is left;
* :func:`even_out`: the unit that walks most stands still for a window instead (its longest first),
  and the one that walks least walks up and down its block while it would have stood.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable

import numpy as np

from patrol.paths import ShortestPaths
from patrol.planning.model import DayInput, Unit
from patrol.planning.score import gap, tally
from patrol.timeline import Leg

__all__ = ["even_out", "fill_leftovers", "repair_day"]

log = logging.getLogger(__name__)

_EPS = 1e-6
_MOVABLE = ("walk", "post")


def _node_at(inp: DayInput, b: int, off: float) -> int | None:
    if abs(off) <= 1e-6:
        return int(inp.edge_u[b])
    if abs(off - inp.edge_length[b]) <= 1e-6:
        return int(inp.edge_v[b])
    return None


def _windows(inp: DayInput, steps: list[Leg], longest: float) -> list[tuple[int, int, int, int]]:
    """``(first, last + 1, corner, corner)`` of every run of walk/post steps from a corner back to it, up to
    ``longest`` minutes, shortest first for each start."""
    out = []
    n = len(steps)
    for i in range(n):
        s = steps[i]
        if s.activity not in _MOVABLE:
            continue
        x = _node_at(inp, s.block, s.off0)
        if x is None:
            continue
        for j in range(i, n):
            e = steps[j]
            if e.activity not in _MOVABLE or e.t1 - s.t0 > longest + _EPS:
                break
            y = _node_at(inp, e.block, e.off1)
            if y == x and e.t1 - s.t0 > _EPS:
                out.append((i, j + 1, x, y))
    return out


def _walk(b: int, off0: float, off1: float, t: float, v: float) -> Leg:
    return Leg(t, t + abs(off1 - off0) / v, int(b), float(off0), float(off1), "walk")


def _path_legs(inp: DayInput, net: ShortestPaths, x: int, y: int, t: float) -> tuple[list[Leg], float]:
    legs = []
    v = inp.speed_m_min
    for b, frm in net.path(x, y):
        L = float(inp.edge_length[b])
        fwd = int(inp.edge_u[b]) == frm
        legs.append(_walk(b, 0.0 if fwd else L, L if fwd else 0.0, t, v))
        t = legs[-1].t1
    return legs, t


def _stand(b: int, off: float, t0: float, t1: float, ref: str = "standing post") -> Leg:
    return Leg(t0, t1, int(b), off, off, "post", ref)


def _trip(inp: DayInput, net: ShortestPaths, x: int, y: int, target: tuple[str, int], t0: float, t_end: float,
          stand_at: tuple[int, float]) -> list[Leg] | None:
    """Steps from corner ``x`` at ``t0`` to corner ``y`` by ``t_end`` that check in with a business
    (``("biz", i)``) or walk a block end to end (``("block", b)``) on the way, standing for what is left."""
    v = inp.speed_m_min
    kind, i = target
    if kind == "biz":
        b, off = int(inp.biz_block[i]), float(inp.biz_offset[i])
    else:
        b, off = int(i), 0.0
    L = float(inp.edge_length[b])
    ends = [(int(inp.edge_u[b]), 0.0, int(inp.edge_v[b]), L), (int(inp.edge_v[b]), L, int(inp.edge_u[b]), 0.0)]
    if kind == "biz":  # in and out by the same end
        e, eoff, _, _ = min(ends, key=lambda p: net.dist[x, p[0]] + net.dist[p[0], y] + 2 * abs(off - p[1]))
        need = (net.dist[x, e] + net.dist[e, y] + 2 * abs(off - eoff)) / v + inp.checkin_min
    else:  # through the block
        e, eoff, f, foff = min(ends, key=lambda p: net.dist[x, p[0]] + net.dist[p[2], y])
        need = (net.dist[x, e] + L + net.dist[f, y]) / v
    if t0 + need > t_end + _EPS:
        return None
    legs, t = _path_legs(inp, net, x, e, t0)
    if kind == "biz":
        if abs(off - eoff) > 0.5:
            legs.append(_walk(b, eoff, off, t, v))
            t = legs[-1].t1
        else:
            off = eoff
        if not (inp.biz_open[i] <= t + _EPS and t + inp.checkin_min <= inp.biz_close[i] + _EPS):
            return None
        legs.append(Leg(t, t + inp.checkin_min, b, off, off, "checkin", inp.biz_ref[i], int(inp.biz_index[i])))
        t += inp.checkin_min
        if abs(off - eoff) > _EPS:
            legs.append(_walk(b, off, eoff, t, v))
            t = legs[-1].t1
        last = e
    else:
        legs.append(_walk(b, eoff, foff, t, v))
        t = legs[-1].t1
        last = f
    back, t = _path_legs(inp, net, last, y, t)
    legs += back
    if legs and legs[-1].activity != "checkin":
        stand_at = (legs[-1].block, legs[-1].off1)
    elif x != y:
        return None  # a check-in at the very corner with nothing after it: keep it simple
    if t_end - t > _EPS:
        legs.append(_stand(stand_at[0], stand_at[1], t, t_end))
    else:
        legs[-1] = dataclasses.replace(legs[-1], t1=t_end)
    return legs


def _walked(steps: list[Leg]) -> float:
    return float(sum(abs(s.off1 - s.off0) for s in steps if s.activity == "walk"))


def fill_leftovers(inp: DayInput, units: list[Unit], net: ShortestPaths, checked: np.ndarray, walked: np.ndarray,
                   accept: Callable[[list[Unit], Unit], bool], *, longest: float = 60.0, max_tries: int = 300,
                   max_total: int = 600) -> int:
    """Check in with the businesses, and walk the area blocks, left over, on trips made in windows of spare
    walking or standing (from a corner there and back, in the same time).

    Units that walk the most are tried first (a trip replaces walking by a check-in).  ``checked`` (per
    business) and ``walked`` (passes per block) are updated in place.  At most ``max_tries`` trips are
    tried per item and ``max_total`` in all (each try is checked by ``accept``).

    Returns
    -------
    int
        Items added.
    """
    added = 0
    todo: list[tuple[str, int]] = [("block", int(b)) for b in np.flatnonzero(inp.required_visits > walked)]
    todo += [("biz", int(i)) for i in sorted(np.flatnonzero(~checked), key=lambda i: (inp.biz_close[i], i))]
    total = 0
    for target in todo:
        if total >= max_total:
            log.info("leftover repair: stopped after %d tries, %d items left", total, len(todo))
            break
        tries = 0
        done = False
        for u in sorted(units, key=lambda u: (-_walked(u.steps), u.name)):
            if done or tries >= max_tries:
                break
            for a, b, x, y in _windows(inp, u.steps, longest):
                t0, t1 = u.steps[a].t0, u.steps[b - 1].t1
                if target[0] == "biz" and (t1 < inp.biz_open[target[1]] or t0 > inp.biz_close[target[1]]):
                    continue
                first = u.steps[a]
                legs = _trip(inp, net, x, y, target, t0, t1, (first.block, first.off0))
                if legs is None:
                    continue
                tries += 1
                total += 1
                old = u.steps[a:b]
                u.steps[a:b] = legs
                if accept(units, u):
                    if target[0] == "biz":
                        checked[target[1]] = True
                        u.checkins += 1
                    else:
                        walked[target[1]] += 1
                    added += 1
                    done = True
                    break
                u.steps[a:a + len(legs)] = old
                if tries >= max_tries:
                    break
    for u in units:
        u.walk_m = _walked(u.steps)
    return added


def _pace_legs(b: int, off: float, L: float, t0: float, t1: float, v: float) -> list[Leg]:
    """Walk up and down block ``b`` from ``off`` and back to it between ``t0`` and ``t1``."""
    far = 0.0 if off > L / 2 else L
    reach = abs(far - off)
    if reach < 1.0 or t1 - t0 < 0.5:
        return [_stand(b, off, t0, t1)]
    legs = []
    t = t0
    while t1 - t > 0.5:
        d = min(reach, (t1 - t) * v / 2)
        tgt = off + (d if far > off else -d)
        legs.append(_walk(b, off, tgt, t, v))
        legs.append(_walk(b, tgt, off, legs[-1].t1, v))
        t = legs[-1].t1
    if t1 - t > _EPS:
        legs.append(_stand(b, off, t, t1))
    return legs


def even_out(inp: DayInput, units: list[Unit], ratio_max: float, accept: Callable[[list[Unit], Unit], bool], *,
             longest: float = 25.0, max_rounds: int = 60) -> float:
    """Bring longest / shortest walking distance under ``ratio_max`` by trading spare time.

    Returns
    -------
    float
        The ratio reached.
    """
    walkers = [u for u in units if u.role != "rover"] or units
    if len(walkers) < 2:
        return 1.0
    v = inp.speed_m_min
    for _ in range(max_rounds):
        dist = {u.name: _walked(u.steps) for u in walkers}
        lo_u = min(walkers, key=lambda u: (dist[u.name], u.name))
        hi_u = max(walkers, key=lambda u: (dist[u.name], u.name))
        if dist[lo_u.name] <= 0 or dist[hi_u.name] <= ratio_max * 0.99 * dist[lo_u.name]:
            break
        changed = False
        # the shortest walker walks while it would stand
        for j, s in enumerate(lo_u.steps):
            if s.activity != "post" or s.t1 - s.t0 < 1.0:
                continue
            legs = _pace_legs(s.block, s.off0, float(inp.edge_length[s.block]), s.t0, s.t1, v)
            lo_u.steps[j:j + 1] = legs
            changed = True
            break
        if not changed:
            # the longest walker stands for a window instead (the largest one that keeps the promises)
            excess = dist[hi_u.name] - ratio_max * 0.99 * dist[lo_u.name]
            wins = sorted(_windows(inp, hi_u.steps, longest),
                          key=lambda w: -_walked(hi_u.steps[w[0]:w[1]]))
            for a, b, _x, _y in wins:
                gain = _walked(hi_u.steps[a:b])
                if gain <= 0 or gain > excess + 0.35 * dist[lo_u.name]:
                    continue
                first = hi_u.steps[a]
                old = hi_u.steps[a:b]
                hi_u.steps[a:b] = [_stand(first.block, first.off0, first.t0, hi_u.steps[b - 1].t1)]
                if accept(units, hi_u):
                    changed = True
                    break
                hi_u.steps[a:a + 1] = old
        if not changed:
            break
    for u in units:
        u.walk_m = _walked(u.steps)
    dists = [u.walk_m for u in walkers]
    return float(max(dists) / min(dists)) if min(dists) > 0 else float("inf")


def repair_day(inp: DayInput, units: list[Unit], checked: np.ndarray, net: ShortestPaths, balance_max: float) -> int:
    """Spare time first to what is left over, then to evening out walking (:mod:`.repair`); a change is kept
    only when every corridor gap and area pass still holds.  Returns the number of items added."""
    lo = inp.start + inp.corridor_first - inp.corridor_revisit
    corr = set(np.flatnonzero(inp.edge_corridor).tolist())
    area = set(np.flatnonzero(inp.required_visits > 0).tolist())
    cache = {u.name: tally([u], inp.edge_length).passes for u in units}

    def failing(blocks: set[int], mine: dict[int, list[float]], changed: str) -> set[int]:
        """The corridor blocks over the limit and the area blocks short of passes, among ``blocks``."""
        out = set()
        for b in blocks:
            times = [t for name, passes in cache.items() for t in (mine if name == changed else passes).get(b, ())]
            if (b in corr and gap(times, lo, inp.end) > inp.corridor_revisit - 0.05) or \
                    (b in area and len(times) < inp.required_visits[b]):
                out.add(b)
        return out

    bad = failing(corr | area, {}, "")  # what already fails: a change must not leave any of it failing

    def accept(units: list[Unit], changed: Unit) -> bool:
        nonlocal bad
        mine = tally([changed], inp.edge_length).passes
        touched = (set(mine) | set(cache[changed.name])) & (corr | area)  # only these blocks can change
        if bad - touched or failing(touched, mine, changed.name):
            return False
        cache[changed.name] = mine
        bad = set()
        return True

    walked = np.zeros(inp.edge_u.size, dtype=np.int64)
    for b, ts in tally(units, inp.edge_length).passes.items():
        walked[b] = len(ts)
    added = fill_leftovers(inp, units, net, checked, walked, accept)
    even_out(inp, units, balance_max, accept)
    return added
