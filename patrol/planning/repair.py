"""Repairs of a scheduled day that only trade *spare* time: check-ins left over, and walking evened out.

A *window* is a run of a unit's steps made only of walking and standing that starts and ends at the
same corner.  Its time can be spent otherwise as long as the plan still keeps what it promised,
which the caller's ``accept(units, unit, edit)`` decides (``unit`` is the one changed, ``edit`` which of its
steps, a :class:`.passes.Edit`; corridor gaps and area blocks walked are what can suffer, as the repairs never
touch check-ins, dwells or breaks):

* :func:`fill_leftovers`: a business not yet checked in with, or an area block not yet walked, gets
  a trip in a window (from its corner there and back, in the same time), and the unit stands at the
  corner for what is left;
* :func:`even_out`: the unit that walks most stands still for a window instead (its longest first),
  and the one that walks least walks up and down its block while it would have stood.

:func:`repair_day` judges each change on the passes it changes (:class:`.passes.UnitPasses`), so a try costs
a few steps' rescan, not a count of the whole day.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable

import numpy as np

from patrol.paths import ShortestPaths
from patrol.planning.model import DayInput, Unit
from patrol.planning.passes import Edit, UnitPasses
from patrol.planning.score import gap
from patrol.timeline import Leg

__all__ = ["Accept", "even_out", "fill_leftovers", "repair_day"]

log = logging.getLogger(__name__)

_EPS = 1e-6
_MOVABLE = ("walk", "post")

#: ``accept(units, unit, edit)``: whether the change ``edit`` just made to ``unit``'s steps is kept.
Accept = Callable[[list[Unit], Unit, Edit], bool]


def _windows(inp: DayInput, steps: list[Leg], longest: float) -> list[tuple[int, int, int, int]]:
    """``(first, last + 1, corner, corner)`` of every run of walk/post steps from a corner back to it, up to
    ``longest`` minutes, shortest first for each start."""
    n = len(steps)
    if n == 0:
        return []
    blocks = np.fromiter((s.block for s in steps), np.int64, n)
    length = inp.edge_length[blocks]
    u, v = inp.edge_u[blocks], inp.edge_v[blocks]

    def corner(off: np.ndarray) -> list[int]:  # the corner at an offset (an end of the block), else -1
        return np.where(np.abs(off) <= 1e-6, u, np.where(np.abs(off - length) <= 1e-6, v, -1)).tolist()

    first = corner(np.fromiter((s.off0 for s in steps), float, n))
    last = corner(np.fromiter((s.off1 for s in steps), float, n))
    movable = [s.activity in _MOVABLE for s in steps]
    t0 = [s.t0 for s in steps]
    t1 = [s.t1 for s in steps]
    out = []
    for i in range(n):
        x = first[i]
        if not movable[i] or x < 0:
            continue
        ti = t0[i]
        for j in range(i, n):
            if not movable[j] or t1[j] - ti > longest + _EPS:
                break
            if last[j] == x and t1[j] - ti > _EPS:
                out.append((i, j + 1, x, x))
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
                   accept: Accept, *, longest: float = 60.0, max_tries: int = 300, max_total: int = 600) -> int:
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
    # per unit, its windows and walking: they change only when a trip is kept
    wins: dict[str, list[tuple[int, int, int, int]]] = {}
    dist = {u.name: _walked(u.steps) for u in units}
    for target in todo:
        if total >= max_total:
            log.info("leftover repair: stopped after %d tries, %d items left", total, len(todo))
            break
        tries = 0
        done = False
        for u in sorted(units, key=lambda u: (-dist[u.name], u.name)):
            if done or tries >= max_tries:
                break
            if u.name not in wins:
                wins[u.name] = _windows(inp, u.steps, longest)
            for a, b, x, y in wins[u.name]:
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
                if accept(units, u, Edit(a, b, a + len(legs))):
                    if target[0] == "biz":
                        checked[target[1]] = True
                        u.checkins += 1
                    else:
                        walked[target[1]] += 1
                    added += 1
                    done = True
                    del wins[u.name]
                    dist[u.name] = _walked(u.steps)
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


def even_out(inp: DayInput, units: list[Unit], ratio_max: float, accept: Accept, *, longest: float = 25.0,
             max_rounds: int = 60) -> float:
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
                if accept(units, hi_u, Edit(a, b, a + 1)):
                    changed = True
                    break
                hi_u.steps[a:a + 1] = old
        if not changed:
            break
    for u in units:
        u.walk_m = _walked(u.steps)
    dists = [u.walk_m for u in walkers]
    return float(max(dists) / min(dists)) if min(dists) > 0 else float("inf")


class _Promises:
    """The corridor gaps and area passes a repair must keep: :meth:`__call__` is the ``accept`` of the repairs.

    What already fails when the repairs start may not fail less than it does: a change is kept only when it
    leaves no corridor block over the limit (less a margin) and no area block short of its passes, or, while
    some already were, when it mends them all.  Passes are counted per unit as last kept
    (:class:`.passes.UnitPasses`), so a change is judged on the blocks whose passes it changes.
    """

    def __init__(self, inp: DayInput, units: list[Unit]):
        self.inp = inp
        self.lo = inp.start + inp.corridor_first - inp.corridor_revisit
        self.corr = set(np.flatnonzero(inp.edge_corridor).tolist())
        self.area = set(np.flatnonzero(inp.required_visits > 0).tolist())
        self.watch = self.corr | self.area
        self.lengths = inp.edge_length.tolist()
        self.units = {u.name: UnitPasses(u.steps, self.lengths) for u in units}
        self.times: dict[int, list[float]] = {b: [] for b in self.watch}  # every unit's passes, as kept
        for up in self.units.values():
            for b, ts in up.passes().items():
                if b in self.watch:
                    self.times[b] += ts
        self.bad = {b for b in self.watch if self._fails(b, self.times[b])}

    def _fails(self, b: int, times: list[float]) -> bool:
        inp = self.inp
        return ((b in self.corr and gap(times, self.lo, inp.end) > inp.corridor_revisit - 0.05)
                or (b in self.area and len(times) < inp.required_visits[b]))

    def passes_per_block(self) -> dict[int, int]:
        """Passes per block of the units' steps as kept."""
        out: dict[int, int] = {}
        for up in self.units.values():
            for b, ts in up.passes().items():
                out[b] = out.get(b, 0) + len(ts)
        return out

    def __call__(self, units: list[Unit], changed: Unit, edit: Edit) -> bool:
        up = self.units[changed.name]
        if up.follows(changed.steps, edit):
            removed, added = up.propose(changed.steps, edit)
            fresh = None
        else:  # its steps changed otherwise since (walking paced): all of its passes, against those kept
            fresh = UnitPasses(changed.steps, self.lengths)
            removed = [(b, t) for b, ts in up.passes().items() for t in ts]
            added = [(b, t) for b, ts in fresh.passes().items() for t in ts]
        out: dict[int, list[float]] = {}
        into: dict[int, list[float]] = {}
        for b, t in removed:
            if b in self.watch:
                out.setdefault(b, []).append(t)
        for b, t in added:
            if b in self.watch:
                into.setdefault(b, []).append(t)
        touched = {b for b in out.keys() | into.keys() if sorted(out.get(b, ())) != sorted(into.get(b, ()))}
        if self.bad - touched:
            return False
        new_times = {}
        for b in touched:
            times = list(self.times[b])
            for t in out.get(b, ()):
                times.remove(t)
            times += into.get(b, [])
            if self._fails(b, times):
                return False
            new_times[b] = times
        self.times.update(new_times)
        if fresh is None:
            up.commit()
        else:
            self.units[changed.name] = fresh
        self.bad = set()
        return True


def repair_day(inp: DayInput, units: list[Unit], checked: np.ndarray, net: ShortestPaths, balance_max: float) -> int:
    """Spare time first to what is left over, then to evening out walking (:mod:`.repair`); a change is kept
    only when every corridor gap and area pass still holds.  Returns the number of items added."""
    promises = _Promises(inp, units)
    walked = np.zeros(inp.edge_u.size, dtype=np.int64)
    for b, n in promises.passes_per_block().items():
        walked[b] = n
    added = fill_leftovers(inp, units, net, checked, walked, promises)
    even_out(inp, units, balance_max, promises)
    return added
