"""Repair of a scheduled day: idle time put to use for the targets the scheduler left short.

After :mod:`.schedule` has run, a unit's *idle* time is its ``post`` legs (standing at a corner waiting
for a sweep, a break or the shift end).  Such a leg starts and ends at one point, so it can be replaced
by any closed walk from that point that takes no longer: everything before and after it stays exactly
as scheduled (times, positions, breaks, sweeps, dwells), and the unit stays visible on the street.

Four repairs, in order:

1. a hot spot whose longest gap without a dwell is over the limit: a detour to it and a dwell placed
   to split that gap, or (when the gap is over by a few minutes) a neighbouring dwell lengthened,
   moving that unit's legs into an idle leg;
2. an area block still unwalked: a detour that walks it end to end and comes back;
3. a due business not yet checked in with: a detour to it and a check-in while it is open;
4. balance of walking distance: the units that walk least walk up and down their block during idle
   time, until the shortest walk is within ``balance_ratio_max`` of the longest.

The repairs are greedy and deterministic.  Walking is at exactly the patrol speed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import numpy as np

__all__ = ["repair_day"]

log = logging.getLogger(__name__)

_EPS = 1e-6


def _path(net, x: int, y: int) -> list[tuple[int, int, int]]:
    """Blocks of a shortest path from node ``x`` to node ``y``: ``(block, from, to)``."""
    out = []
    node = y
    while node != x:
        p = int(net.pred[x, node])
        if p < 0:
            return []
        out.append((net.best[(p, node)], p, node))
        node = p
    return out[::-1]


class _Repair:
    def __init__(self, inp, units, net, checked: np.ndarray, accept=None):
        self.inp, self.units, self.net, self.checked = inp, units, net, checked
        self.accept = accept
        self.v = inp.speed_m_min
        self.eu, self.ev, self.el = inp.edge_u, inp.edge_v, inp.edge_length

    # --------------------------------------------------------------- legs
    def _walk(self, legs: list[dict], t: float, b: int, frm: int, o0: float | None = None,
              o1: float | None = None) -> float:
        L = float(self.el[b])
        if o0 is None:
            o0 = 0.0 if int(self.eu[b]) == frm else L
        if o1 is None:
            o1 = L - o0 if o0 in (0.0, L) else (L if o0 < L / 2 else 0.0)
        t1 = t + abs(o1 - o0) / self.v
        legs.append({"t0": t, "t1": t1, "activity": "walk", "block": int(b), "off0": float(o0), "off1": float(o1),
                     "ref": ""})
        return t1

    def _path_legs(self, legs: list[dict], t: float, x: int, y: int) -> float:
        for b, p, _q in _path(self.net, x, y):
            t = self._walk(legs, t, b, p)
        return t

    def _node_of(self, leg: dict) -> int | None:
        b, off = leg["block"], leg["off1"]
        if abs(off) < 1e-6:
            return int(self.eu[b])
        if abs(off - float(self.el[b])) < 1e-6:
            return int(self.ev[b])
        return None

    def _windows(self, min_len: float) -> list[tuple[float, int, int]]:
        """Idle legs at a street corner: ``(duration, unit, leg index)``, longest first."""
        out = []
        for k, u in enumerate(self.units):
            for j, s in enumerate(u.steps):
                if s["activity"] == "post" and s["t1"] - s["t0"] >= min_len and self._node_of(s) is not None:
                    out.append((s["t1"] - s["t0"], k, j))
        out.sort(key=lambda w: (-w[0], w[1], w[2]))
        return out

    def _replace(self, u, j: int, legs: list[dict]) -> None:
        post = u.steps[j]
        t_end = legs[-1]["t1"] if legs else post["t0"]
        tail = []
        if post["t1"] - t_end > _EPS:
            tail = [dict(post, t0=t_end)]
        u.steps[j: j + 1] = legs + tail
        u.walk_m += sum(abs(x["off1"] - x["off0"]) for x in legs if x["activity"] == "walk")

    # --------------------------------------------------------------- repairs
    def area(self, passes: dict[int, int]) -> int:
        """Walk unwalked area blocks in idle time; returns how many were added."""
        need = self.inp.required_visits
        todo = [int(b) for b in np.flatnonzero(need > 0) if passes.get(int(b), 0) < need[b]]
        done = 0
        for b in todo:
            a, c, L = int(self.eu[b]), int(self.ev[b]), float(self.el[b])
            best = None
            for dur, k, j in self._windows(L / self.v):
                x = self._node_of(self.units[k].steps[j])
                for p, q in ((a, c), (c, a)):
                    cost = (self.net.dist[x, p] + L + self.net.dist[q, x]) / self.v
                    if cost <= dur + _EPS and (best is None or cost < best[0]):
                        best = (cost, k, j, x, p, q)
            if best is None:
                continue
            _, k, j, x, p, q = best
            u = self.units[k]
            legs: list[dict] = []
            t = self._path_legs(legs, u.steps[j]["t0"], x, p)
            t = self._walk(legs, t, b, p)
            self._path_legs(legs, t, q, x)
            self._replace(u, j, legs)
            done += 1
        return done

    def checkins(self) -> int:
        """Check in with due businesses not yet visited, in idle time and opening hours."""
        inp = self.inp
        done = 0
        for i in np.flatnonzero(~self.checked):
            i = int(i)
            b, off = int(inp.biz_block[i]), float(inp.biz_offset[i])
            L = float(self.el[b])
            a, c = int(self.eu[b]), int(self.ev[b])
            best = None
            for _dur, k, j in self._windows(inp.checkin_min):
                s = self.units[k].steps[j]
                x = self._node_of(s)
                for p, o_p in ((a, 0.0), (c, L)):
                    go = (self.net.dist[x, p] + abs(off - o_p)) / self.v
                    t_in = max(s["t0"] + go, float(inp.biz_open[i]))
                    t_out = t_in + inp.checkin_min
                    back = go
                    if t_out > inp.biz_close[i] + _EPS or t_out + back > s["t1"] + _EPS:
                        continue
                    cost = t_out + back - s["t0"]
                    if best is None or cost < best[0]:
                        best = (cost, k, j, x, p, o_p, t_in)
            if best is None:
                continue
            _, k, j, x, p, o_p, t_in = best
            if abs(off - o_p) <= 0.5:
                off = o_p
            u = self.units[k]
            legs: list[dict] = []
            t = self._path_legs(legs, u.steps[j]["t0"], x, p)
            if abs(off - o_p) > _EPS:
                t = self._walk(legs, t, b, p, o_p, off)
            if t_in > t + _EPS:
                legs.append({"t0": t, "t1": t_in, "activity": "post", "block": b, "off0": off, "off1": off,
                             "ref": "waiting to open"})
            legs.append({"t0": t_in, "t1": t_in + inp.checkin_min, "activity": "checkin", "block": b, "off0": off,
                         "off1": off, "ref": inp.biz_ref[i], "business": i})
            t = t_in + inp.checkin_min
            if abs(off - o_p) > _EPS:
                t = self._walk(legs, t, b, p, off, o_p)
            self._path_legs(legs, t, p, x)
            self._replace(u, j, legs)
            self.checked[i] = True
            u.checkins += 1
            done += 1
        return done

    def hotspots(self) -> int:
        """Dwell at a hot spot during idle time near it where its gap is too long; returns dwells added."""
        inp = self.inp
        dmin, dmax = float(inp.dwell_range[0]), float(inp.dwell_range[1])
        added = 0
        for hid, h in enumerate(inp.hotspots, start=1):
            a, c, L = int(self.eu[h]), int(self.ev[h]), float(self.el[h])
            for _ in range(8):
                spans = sorted((s["t0"], s["t1"]) for u in self.units for s in u.steps
                               if s["activity"] == "dwell" and s["block"] == h and s["t1"] - s["t0"] >= dmin - _EPS)
                gaps, cur = [], inp.start
                for t0, t1 in spans:
                    gaps.append((t0 - cur, cur, t0))
                    cur = max(cur, t1)
                gaps.append((inp.end - cur, cur, inp.end))
                g, g0, g1 = max(gaps)
                if g <= inp.hotspot_revisit + _EPS:
                    break
                best = None
                for _dur, k, j in self._windows(dmin):
                    s = self.units[k].steps[j]
                    if s["t1"] <= g0 or s["t0"] >= g1:
                        continue
                    x = self._node_of(s)
                    p, o_p = (a, 0.0) if self.net.dist[x, a] <= self.net.dist[x, c] else (c, L)
                    tau = self.net.dist[x, p] / self.v
                    lo, hi = s["t0"] + tau, s["t1"] - tau
                    if hi - lo < dmin - _EPS:
                        continue
                    length = min(dmax, hi - lo)
                    mid = (g0 + g1 - length) / 2  # the start that splits the gap best
                    st = min(max(mid, lo), hi - length)
                    new_gap = max(st - g0, g1 - (st + length))
                    if new_gap < g - _EPS and (best is None or new_gap < best[0]):
                        best = (new_gap, k, j, x, p, o_p, st, length)
                if best is None:
                    if not self._stretch(h, g0, g1, g - inp.hotspot_revisit + 0.05, dmax):
                        break
                    added += 1
                    continue
                _, k, j, x, p, o_p, st, length = best
                u = self.units[k]
                legs: list[dict] = []
                t = self._path_legs(legs, u.steps[j]["t0"], x, p)
                if st > t + _EPS:
                    legs.append({"t0": t, "t1": st, "activity": "post", "block": h, "off0": o_p, "off1": o_p,
                                 "ref": "hot spot ahead"})
                legs.append({"t0": st, "t1": st + length, "activity": "dwell", "block": h, "off0": o_p, "off1": o_p,
                             "ref": f"hotspot {hid}", "hotspot": hid})
                u.dwell_min += length
                self._path_legs(legs, st + length, p, x)
                self._replace(u, j, legs)
                added += 1
        return added

    def _hs_gap(self, h: int) -> float:
        """Longest time within the shift with no dwell of the minimum length on hot spot ``h``."""
        dmin = float(self.inp.dwell_range[0])
        cur, worst = self.inp.start, 0.0
        for t0, t1 in sorted((s["t0"], s["t1"]) for u in self.units for s in u.steps
                             if s["activity"] == "dwell" and s["block"] == h and s["t1"] - s["t0"] >= dmin - _EPS):
            worst = max(worst, t0 - cur)
            cur = max(cur, t1)
        return max(worst, self.inp.end - cur)

    def _stretch(self, h: int, g0: float, g1: float, delta: float, dmax: float) -> bool:
        """Close a hot-spot gap that is over by a little: lengthen the dwell that ends at ``g0`` (the unit's
        next legs move later into an idle leg) or the one that starts at ``g1`` (its previous legs move
        earlier out of an idle leg).  Only small moves (``delta`` <= 3 min), no break moved, check-ins
        kept inside opening hours, no other hot spot's gap pushed over the limit, and undone when
        :attr:`accept` says no (corridor gaps)."""
        if delta > 3.0:
            return False
        for u in self.units:
            for j, s in enumerate(u.steps):
                if s["activity"] != "dwell" or s["block"] != h:
                    continue
                if abs(s["t1"] - g0) < 1e-6 and s["t1"] - s["t0"] + delta <= dmax + _EPS:
                    idx, sign = range(j + 1, len(u.steps)), 1.0
                elif abs(s["t0"] - g1) < 1e-6 and s["t1"] - s["t0"] + delta <= dmax + _EPS:
                    idx, sign = range(j - 1, -1, -1), -1.0
                else:
                    continue
                moved = []
                for m in idx:
                    leg = u.steps[m]
                    if leg["activity"] == "post" and leg["t1"] - leg["t0"] >= delta + _EPS:
                        break
                    if leg["activity"] == "break":  # breaks keep their planned times
                        moved = None
                        break
                    if leg["activity"] == "checkin":
                        i = leg["business"]
                        if leg["t0"] + sign * delta < self.inp.biz_open[i] - _EPS or \
                                leg["t1"] + sign * delta > self.inp.biz_close[i] + _EPS:
                            moved = None
                            break
                    moved.append(m)
                else:
                    moved = None
                if moved is None:
                    continue
                saved = [dict(x) for x in u.steps]
                before = {o: self._hs_gap(o) for o in self.inp.hotspots}
                post = u.steps[(moved[-1] if moved else j) + int(sign)]
                if sign > 0:
                    s["t1"] += delta
                    post["t0"] += delta
                else:
                    s["t0"] -= delta
                    post["t1"] -= delta
                for m in moved:
                    u.steps[m]["t0"] += sign * delta
                    u.steps[m]["t1"] += sign * delta
                others_ok = all(self._hs_gap(o) <= max(before[o], self.inp.hotspot_revisit) + _EPS
                                for o in self.inp.hotspots if o != h)
                if others_ok and (self.accept is None or self.accept(self.units)):
                    u.dwell_min += delta
                    return True
                u.steps[:] = saved
        return False

    def balance(self, ratio_max: float) -> float:
        """Units walking least walk up and down their block while idle; returns metres added."""
        walkers = [u for u in self.units if u.role != "rover"] or self.units
        if len(walkers) < 2:
            return 0.0
        target = max(u.walk_m for u in walkers) / (ratio_max * 0.995)
        added = 0.0
        for u in walkers:
            j = 0
            while u.walk_m < target and j < len(u.steps):
                s = u.steps[j]
                L = float(self.el[s["block"]])
                room = max(s["off0"], L - s["off0"])
                if s["activity"] != "post" or room < 20.0 or s["t1"] - s["t0"] < 1.0:
                    j += 1
                    continue
                far = 0.0 if s["off0"] >= L - s["off0"] else L
                budget = min((target - u.walk_m) / 2, (s["t1"] - s["t0"]) * self.v / 2)  # metres each way
                legs: list[dict] = []
                t, o = s["t0"], s["off0"]
                while budget > 1.0:
                    step = min(budget, room)
                    nxt = o + step if far > o else o - step
                    t = self._walk(legs, t, s["block"], -1, o, nxt)
                    t = self._walk(legs, t, s["block"], -1, nxt, o)
                    budget -= step
                    added += 2 * step
                self._replace(u, j, legs)
                j += len(legs) + 1
        return added


def repair_day(inp, units, net, checked: np.ndarray, passes: dict[int, int], *, balance_ratio_max: float,
               accept: Callable[[list], bool] | None = None) -> dict:
    """Put idle time to use (hot-spot dwells, area blocks, check-ins, balance), in place on ``units[k].steps``.

    Parameters
    ----------
    inp : patrol.routing.schedule.ScheduleInput
    units : list of patrol.routing.schedule.Unit
        Scheduled units; their ``steps``, ``walk_m`` and ``checkins`` are updated.
    net : object
        Shortest paths (``dist``, ``pred``, ``best``) on the block graph, in metres.
    checked : numpy.ndarray of bool
        Per due business, whether it was checked in with; updated.
    passes : dict
        Passes per block so far.
    balance_ratio_max : float
    accept : callable, optional
        ``accept(units)``: whether a plan whose legs were moved in time is still acceptable (the caller
        checks the corridor gaps); moves it refuses are undone.

    Returns
    -------
    dict
        ``hotspot_dwells``, ``area_blocks``, ``checkins`` added and ``balance_m`` walked to even out
        distances.
    """
    r = _Repair(inp, units, net, checked, accept)
    out = {"hotspot_dwells": r.hotspots(), "area_blocks": r.area(passes), "checkins": r.checkins(),
           "balance_m": 0.0}
    out["balance_m"] = round(float(r.balance(balance_ratio_max)), 1)
    log.debug("repair: %s", out)
    return out
