"""The time-stepped scheduler that turns beats and duties into timed walks.

Before the day starts, fixed *appointments* are made (:mod:`.schedule_corridor`): the corridor is
walked by evenly spaced, timetabled sweeps cut into chunks, and (in one variant) the hot-spot dwells
are placed at seed-varied times; both are handed to units around their planned breaks
(:mod:`.schedule_breaks`).  Then every unit starts at the base at the shift start, and the scheduler
advances the unit that is earliest in time by one *step* (one block walked with any check-ins on it,
a dwell, a break, a sweep chunk or a short wait), decided by priority:

1. its planned break, when due (breaks keep their planned times, so the stagger holds);
2. its next appointment, when it must leave now to be there on time (sweeps are walked on their
   timetable; the pace leaves spare time to check in on the way, and a late unit catches up);
3. a reactive hot-spot dwell when a hot spot's gap gets near its limit (the nearest free unit goes);
4. a corridor block about to exceed its revisit deadline that no sweep will reach in time (backup);
5. the next block of its beat, or else the nearest block still to walk that fits before its next
   commitment;
6. the nearest open business not yet checked in with (claimed, so no two units chase one);
7. otherwise the corridor block with the earliest deadline (extra visible presence), or a wait.

While walking a block a unit checks in with the open, due businesses on it unless it is on an errand
or already did more than its share.  Every step keeps the way home and the next appointment: a unit
turns back to the base in time to arrive by the shift end.  Walking is at exactly the patrol speed
along real blocks.  Deterministic for a given input and seed.
"""

from __future__ import annotations

import heapq
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from scipy.sparse.csgraph import dijkstra

from patrol.routing.schedule_breaks import BreakSlot
from patrol.routing.schedule_corridor import assign_chunks, assign_dwells, corridor_chunks, corridor_tour

__all__ = ["ScheduleInput", "Unit", "run_schedule"]

log = logging.getLogger(__name__)

_EPS = 1e-6


@dataclass
class Unit:
    """A walking unit (one ambassador, or a pair) and its state during scheduling."""

    name: str
    members: list[str]
    role: str  # walker | rover
    beat: list[int]
    breaks: list[BreakSlot]
    node: int = 0
    t: float = 0.0
    steps: list[dict] = field(default_factory=list)
    beat_pos: int = 0
    walk_m: float = 0.0
    checkins: int = 0
    dwell_min: float = 0.0
    claim: tuple | None = None
    claim_t: float = 0.0
    appts: list = field(default_factory=list)
    breaks_taken: set = field(default_factory=set)
    done: bool = False

    @property
    def people(self) -> int:
        return len(self.members)


@dataclass
class ScheduleInput:
    """Everything the scheduler needs, in contiguous indices and minutes."""

    n_nodes: int
    edge_u: np.ndarray
    edge_v: np.ndarray
    edge_length: np.ndarray
    edge_corridor: np.ndarray
    required_visits: np.ndarray  # per block, beat visits required (0 for non-area)
    base: int
    start: float
    end: float
    speed_m_min: float
    corridor_first: float
    corridor_revisit: float
    hotspots: list[int]
    hotspot_revisit: float
    dwell_range: tuple[int, int]
    biz_block: np.ndarray  # per due business
    biz_offset: np.ndarray
    biz_open: np.ndarray
    biz_close: np.ndarray
    biz_ref: list[str]
    checkin_min: float
    seed: int = 0
    corridor_margin: float = 12.0
    chunk_min: float = 45.0
    sweep_lag: float = 6.0
    backup_margin: float = 6.0
    planned_dwells: bool = True
    checkin_slack: int = 2
    hotspot_margin: float = 15.0
    cluster_weight: float = 0.0  # minutes of detour a chase accepts per open business on the block (up to 8)
    weighted_sweeps: bool = False  # sweeps' spare time on the blocks with businesses (else spread evenly)


class _Net:
    """Shortest paths on the block graph (minutes are metres / speed)."""

    def __init__(self, inp: ScheduleInput):
        from scipy.sparse import coo_array

        n = inp.n_nodes
        best: dict[tuple[int, int], int] = {}
        for e, (u, v, w) in enumerate(zip(inp.edge_u.tolist(), inp.edge_v.tolist(), inp.edge_length.tolist(),
                                          strict=True)):
            if u == v:
                continue
            for key in ((u, v), (v, u)):
                if key not in best or w < inp.edge_length[best[key]]:
                    best[key] = e
        self.best = best
        rows = np.array([k[0] for k in best], dtype=np.int64)
        cols = np.array([k[1] for k in best], dtype=np.int64)
        wts = inp.edge_length[[best[k] for k in best]]
        mat = coo_array((np.maximum(wts, 1e-6), (rows, cols)), shape=(n, n)).tocsr()
        self.dist, self.pred = dijkstra(mat, directed=True, return_predecessors=True)

    def next_hop(self, x: int, target: int) -> tuple[int, int]:
        """``(block, node)`` of the first block on a shortest path from ``x`` to ``target``."""
        y = int(self.pred[target, x])
        return self.best[(x, y)], y


def _hhmm(t: float) -> str:
    m = int(round(t))
    return f"{m // 60:02d}:{m % 60:02d}"


class _Scheduler:
    def __init__(self, inp: ScheduleInput, units: list[Unit], progress: Callable[[float], None] | None):
        self.inp = inp
        self.units = units
        self.net = _Net(inp)
        self.rng = np.random.default_rng(inp.seed)
        self.v = inp.speed_m_min
        m = inp.edge_u.size
        self.last = np.full(m, -np.inf)
        self.visits = np.zeros(m, dtype=np.int64)
        self.passes: dict[int, list[float]] = {}
        self.corr = np.flatnonzero(inp.edge_corridor)
        self.last[self.corr] = inp.start + inp.corridor_first - inp.corridor_revisit
        self.claims: dict[tuple, int] = {}
        self.checked = np.zeros(len(inp.biz_ref), dtype=bool)
        self.biz_on_block: dict[int, list[int]] = {}
        for i, b in enumerate(inp.biz_block.tolist()):
            self.biz_on_block.setdefault(int(b), []).append(i)
        self._leg_limit: float | None = None
        self._no_cap = False
        self.hs_last = {h: inp.start for h in inp.hotspots}
        self.hs_target = {h: inp.start + float(self.rng.uniform(0.25, 0.7)) * inp.hotspot_revisit
                          for h in inp.hotspots}
        self.hs_dwells: dict[int, list[tuple[float, float]]] = {h: [] for h in inp.hotspots}
        checkers = [u for u in units if u.role != "rover"] or units
        self.share = int(np.ceil(len(inp.biz_ref) / max(len(checkers), 1)))
        self.progress = progress
        for u in units:
            u.node, u.t = inp.base, inp.start
        tour = corridor_tour(inp.n_nodes, inp.edge_u, inp.edge_v, inp.edge_length, inp.edge_corridor, inp.base,
                             self.net.dist, self.net.pred, self.net.best)
        free = sum(1 for u in units if u.role != "rover") - 1
        chunks, self.corridor_info = corridor_chunks(
            tour, inp.edge_length, self.net.dist, inp.base, start=inp.start, end=inp.end, speed=self.v,
            first=inp.corridor_first, revisit=inp.corridor_revisit, max_sweeps=max(1, free + (len(units) - free - 1)),
            margin=inp.corridor_margin, chunk_min=inp.chunk_min, spare_units=len(units),
            leg_weight=self.leg_weight() if inp.weighted_sweeps else None)
        chunks = assign_chunks(chunks, [u.breaks for u in units], [u.role for u in units], self.net.dist, self.v,
                               inp.base)
        self.chunks = chunks
        self.dwell_appts = [] if not inp.planned_dwells else assign_dwells(
            inp.hotspots, inp.edge_u, inp.edge_v, inp.edge_length, chunks, [u.breaks for u in units],
            [u.role for u in units], self.net.dist, self.v, self.rng, start=inp.start, end=inp.end,
            revisit=inp.hotspot_revisit, dwell_range=inp.dwell_range, margin=inp.hotspot_margin)
        for c in self.dwell_appts:
            units[c.unit].appts.append(c)
        self.planned: dict[int, list] = {}
        for c in chunks:
            if c.unit >= 0:
                units[c.unit].appts.append(c)
                for b, _x, _y, _t0, t1 in c.legs:
                    self.planned.setdefault(int(b), []).append((t1, c))
        for u in units:
            u.appts.sort(key=lambda c: c.start)

    def leg_weight(self) -> np.ndarray:
        """Per block, its share of a sweep's spare time: the due businesses on it, plus a little per minute
        of walking (so a late unit can catch up anywhere)."""
        inp = self.inp
        w = 0.15 * inp.edge_length / self.v
        if inp.biz_block.size:
            w = w + np.bincount(inp.biz_block, minlength=inp.edge_length.size)[: inp.edge_length.size]
        return w

    # ------------------------------------------------------------------ small helpers
    def home_ok(self, t: float, node: int) -> bool:
        return t + self.net.dist[node, self.inp.base] / self.v <= self.inp.end + _EPS

    def next_break(self, u: Unit) -> BreakSlot | None:
        return next((b for j, b in enumerate(u.breaks) if j not in u.breaks_taken), None)

    def next_appt(self, u: Unit):
        return next((c for c in u.appts if not c.done), None)

    def limit(self, u: Unit) -> float:
        nb = self.next_break(u)
        lim = min(nb.start, self.inp.end) if nb else self.inp.end
        if self._leg_limit is not None:
            lim = min(lim, self._leg_limit)
        ap = self.next_appt(u)
        return min(lim, ap.start) if ap is not None else lim

    def reach_ok(self, u: Unit, t: float, node: int) -> bool:
        """Whether from ``node`` at ``t`` the unit still makes its next appointment and gets home in time."""
        if not self.home_ok(t, node):
            return False
        ap = self.next_appt(u)
        if ap is None:
            return True
        pause = sum(b.end - b.start for b in u.breaks if b.start >= t - _EPS and b.end <= ap.start + _EPS)
        return t + pause + self.net.dist[node, ap.start_node] / self.v <= ap.start + _EPS

    def to_block(self, x: int, b: int) -> tuple[float, int]:
        """Metres from ``x`` to the nearer end of block ``b``, and that end."""
        a, c = int(self.inp.edge_u[b]), int(self.inp.edge_v[b])
        da, dc = self.net.dist[x, a], self.net.dist[x, c]
        return (da, a) if da <= dc else (dc, c)

    def add(self, u: Unit, activity: str, t1: float, block: int, off0: float, off1: float, ref: str = "",
            **extra) -> None:
        step = {"t0": u.t, "t1": t1, "activity": activity, "block": int(block), "off0": float(off0),
                "off1": float(off1), "ref": ref}
        step.update(extra)
        u.steps.append(step)
        u.t = t1

    def stand_block(self, node: int) -> tuple[int, float]:
        """A block touching ``node`` and the offset of ``node`` on it (to place stationary legs)."""
        blocks = np.flatnonzero((self.inp.edge_u == node) | (self.inp.edge_v == node))
        b = int(blocks[0])
        return b, (0.0 if self.inp.edge_u[b] == node else float(self.inp.edge_length[b]))

    def stationary(self, u: Unit, activity: str, t1: float, ref: str = "", **extra) -> None:
        """Stay where the unit is (the end of its last step, or the base) until ``t1``."""
        if t1 <= u.t + _EPS:
            return
        if u.steps:
            b, off = u.steps[-1]["block"], u.steps[-1]["off1"]
        else:
            b, off = self.stand_block(u.node)
        self.add(u, activity, t1, b, off, off, ref, **extra)

    # ------------------------------------------------------------------ walking
    def walk(self, u: Unit, b: int, frm: int, *, checkins: bool, stop_at: float | None = None) -> None:
        """Walk block ``b`` from node ``frm`` to its other end (checking in on the way if allowed).

        With ``stop_at`` (an offset) the walk stops there (used for dwells); the caller finishes it.
        """
        inp = self.inp
        L = float(inp.edge_length[b])
        forward = int(inp.edge_u[b]) == frm
        to = int(inp.edge_v[b]) if forward else int(inp.edge_u[b])
        pos = 0.0 if forward else L
        goal = L if forward else 0.0
        if stop_at is not None:
            goal = stop_at
        stops: list[tuple[float, int]] = []
        if checkins and b in self.biz_on_block:
            cand = [(float(inp.biz_offset[i]), i) for i in self.biz_on_block[b] if not self.checked[i]]
            cand.sort(reverse=not forward)
            stops = cand
        t = u.t
        lim = self.limit(u)
        for off, i in stops:
            if stop_at is not None and (off - goal) * (1 if forward else -1) > 0:
                continue
            if abs(off - pos) <= 0.5:  # within half a metre: check in from here (no sliver of a walk)
                off = pos
            arrive = t + abs(off - pos) / self.v
            done = arrive + inp.checkin_min
            remaining = abs(goal - off) / self.v
            if not (inp.biz_open[i] <= arrive + _EPS and done <= inp.biz_close[i] + _EPS):
                continue
            if done + remaining > lim + _EPS or not self.reach_ok(u, done + remaining, to if stop_at is None else frm):
                continue
            on_round = u.claim is not None and u.claim[0] == "biz" and int(inp.biz_block[u.claim[1]]) == b
            if not self._no_cap and not on_round and u.checkins >= self.share + self.inp.checkin_slack and \
                    t < inp.start + 0.7 * (inp.end - inp.start):
                continue
            claim = self.claims.get(("biz", i))
            if claim is not None and claim != id(u):
                continue
            if abs(off - pos) > _EPS:
                self.add(u, "walk", arrive, b, pos, off, street=True)
            self.add(u, "checkin", done, b, off, off, inp.biz_ref[i], business=i)
            self.checked[i] = True
            self.claims.pop(("biz", i), None)
            u.checkins += 1
            u.walk_m += abs(off - pos)
            pos, t = off, done
        if abs(goal - pos) > _EPS or stop_at is None:
            arrive = t + abs(goal - pos) / self.v
            self.add(u, "walk", arrive, b, pos, goal)
            u.walk_m += abs(goal - pos)
        if stop_at is None:
            u.node = to
            self.passed(b, u.t)

    def passed(self, b: int, t: float) -> None:
        self.last[b] = t
        self.visits[b] += 1
        self.passes.setdefault(b, []).append(t)

    def step_toward_block(self, u: Unit, b: int, *, checkins: bool) -> bool:
        """One step toward traversing ``b``: walk it if at an end, else the next block on the way."""
        inp = self.inp
        if u.node in (int(inp.edge_u[b]), int(inp.edge_v[b])):
            nb, frm = b, u.node
        else:
            _, end = self.to_block(u.node, b)
            nb, _ = self.net.next_hop(u.node, end)
            frm = u.node
        return self.try_walk(u, nb, frm, checkins=checkins)

    def try_walk(self, u: Unit, b: int, frm: int, *, checkins: bool) -> bool:
        inp = self.inp
        to = int(inp.edge_v[b]) if int(inp.edge_u[b]) == frm else int(inp.edge_u[b])
        t1 = u.t + inp.edge_length[b] / self.v
        if t1 > self.limit(u) + _EPS or not self.reach_ok(u, t1, to):
            return False
        self.walk(u, b, frm, checkins=checkins)
        return True

    # ------------------------------------------------------------------ duties
    def free_units(self, exclude: Unit) -> list[Unit]:
        return [w for w in self.units if w is not exclude and not w.done and
                not (w.claim and w.claim[0] in ("hot", "corr"))]

    def arrival(self, w: Unit, metres: float) -> float:
        return w.t + metres / self.v

    def hotspot_duty(self, u: Unit) -> int | None:
        inp = self.inp
        if u.claim and u.claim[0] == "hot":
            return u.claim[1]
        best = None
        for h in inp.hotspots:
            if ("hot", h) in self.claims:
                continue
            last = self.hs_last[h]
            if last + inp.hotspot_revisit >= inp.end:
                continue
            d, _ = self.to_block(u.node, h)
            metres = d + inp.edge_length[h] / 2
            arrive = self.arrival(u, metres)
            latest = last + inp.hotspot_revisit - inp.hotspot_margin
            dwell_end = arrive + inp.dwell_range[1] + inp.edge_length[h] / 2 / self.v
            if dwell_end > self.limit(u) + _EPS:
                continue
            forced = arrive >= latest - 3
            if not forced and arrive < self.hs_target[h] - 2:
                continue
            if not forced:
                mine = arrive + u.dwell_min * 0.15
                better = False
                for w in self.free_units(u):
                    dw, _ = self.to_block(w.node, h)
                    aw = self.arrival(w, dw + inp.edge_length[h] / 2)
                    if aw + inp.dwell_range[1] <= self.limit(w) and aw + w.dwell_min * 0.15 < mine - 1:
                        better = True
                        break
                if better:
                    continue
            key = latest - arrive
            if best is None or key < best[0]:
                best = (key, h)
        if best is None:
            return None
        h = best[1]
        self.claim(u, ("hot", h))
        return h

    def do_hotspot(self, u: Unit, h: int, dwell: int | None = None, force: bool = False) -> bool:
        inp = self.inp
        a, c = int(inp.edge_u[h]), int(inp.edge_v[h])
        if u.node not in (a, c):
            return self.step_toward_block(u, h, checkins=False)
        L = float(inp.edge_length[h])
        if dwell is None:
            dwell = int(self.rng.integers(inp.dwell_range[0], inp.dwell_range[1] + 1))
        t_end = u.t + L / self.v + dwell
        if not force and (t_end > self.limit(u) + _EPS or not self.reach_ok(u, t_end, a if u.node == c else c)):
            return False
        self.walk(u, h, u.node, checkins=False, stop_at=L / 2)
        t0 = u.t
        self.add(u, "dwell", u.t + dwell, h, L / 2, L / 2, f"hotspot {inp.hotspots.index(h) + 1}",
                 hotspot=inp.hotspots.index(h) + 1)
        u.dwell_min += dwell
        self.hs_dwells[h].append((t0, u.t))
        self.hs_last[h] = u.t
        self.hs_target[h] = u.t + float(self.rng.uniform(0.45, 0.8)) * inp.hotspot_revisit
        # finish the block from the middle to the far end
        far = c if u.node == a else a
        off_far = L if far == c else 0.0
        self.add(u, "walk", u.t + L / 2 / self.v, h, L / 2, off_far)
        u.walk_m += L / 2
        u.node = far
        self.passed(h, u.t)
        self.release(u)
        return True

    def eta_block(self, w: Unit, b: int) -> float:
        """When unit ``w`` could finish walking block ``b`` if it went now."""
        inp = self.inp
        d = min(self.net.dist[w.node, inp.edge_u[b]], self.net.dist[w.node, inp.edge_v[b]])
        return w.t + (d + inp.edge_length[b]) / self.v

    def corridor_duty(self, u: Unit, *, filler: bool = False) -> int | None:
        """The corridor block ``u`` should walk next, if any.

        Urgent blocks (deadline minus earliest completion within the margin) are assigned greedily,
        most urgent first, each to the free unit that can complete it first; ``u`` gets what falls to
        it.  In ``filler`` mode ``u`` takes the unclaimed block with the earliest deadline (by distance).
        """
        inp = self.inp
        if u.claim and u.claim[0] == "corr":
            b = u.claim[1]
            if self.last[b] < u.claim_t:
                return b
            self.release(u)
        if self.corr.size == 0:
            return None
        cb = np.array([b for b in self.corr.tolist() if ("corr", b) not in self.claims], dtype=np.int64)
        if cb.size == 0:
            return None
        deadline = self.last[cb] + inp.corridor_revisit
        if filler:
            dist = np.minimum(self.net.dist[u.node, inp.edge_u[cb]], self.net.dist[u.node, inp.edge_v[cb]])
            j = int(np.argmin(deadline + dist / self.v))
            self.claim(u, ("corr", int(cb[j])))
            return int(cb[j])
        keep = deadline < inp.end + _EPS
        for j, b in enumerate(cb.tolist()):  # a sweep will pass in time: leave it to the sweep
            if keep[j] and any(not c.done and t1 + 1.0 <= deadline[j] and t1 > u.t
                               for t1, c in self.planned.get(b, [])):
                keep[j] = False
        cb, deadline = cb[keep], deadline[keep]
        if cb.size == 0:
            return None
        free = [u] + self.free_units(u)
        nodes = np.array([w.node for w in free])
        ts = np.array([w.t for w in free])
        lims = np.array([self.limit(w) for w in free])
        dist = np.minimum(self.net.dist[np.ix_(nodes, inp.edge_u[cb])], self.net.dist[np.ix_(nodes, inp.edge_v[cb])])
        eta = ts[:, None] + (dist + inp.edge_length[cb][None, :]) / self.v
        adjacent = (inp.edge_u[cb][None, :] == nodes[:, None]) | (inp.edge_v[cb][None, :] == nodes[:, None])
        eff = deadline[None, :] - eta
        eff = np.where(eta <= lims[:, None] + _EPS, eff, np.inf)
        best_eff = eff.min(axis=0)
        order = np.argsort(best_eff, kind="stable")
        taken = np.zeros(len(free), dtype=bool)
        for j in order:
            if best_eff[j] > inp.backup_margin:
                break
            col = np.where(taken | ~np.isfinite(eff[:, j]), np.inf, eta[:, j] - np.where(adjacent[:, j], 5.0, 0.0))
            w = int(np.argmin(col))
            if not np.isfinite(col[w]):
                continue
            if w == 0:
                self.claim(u, ("corr", int(cb[j])))
                return int(cb[j])
            taken[w] = True
        return None

    def claim(self, u: Unit, key: tuple) -> None:
        self.release(u)
        self.claims[key] = id(u)
        u.claim = key
        u.claim_t = u.t

    def fits_block(self, u: Unit, b: int) -> bool:
        """Whether ``u`` can go and walk block ``b`` now and still make its next break, appointment and home."""
        inp = self.inp
        a, c = int(inp.edge_u[b]), int(inp.edge_v[b])
        da, dc = self.net.dist[u.node, a], self.net.dist[u.node, c]
        near_far = (a, c) if da <= dc else (c, a)
        t_done = u.t + (min(da, dc) + inp.edge_length[b]) / self.v
        return t_done <= self.limit(u) + _EPS and self.reach_ok(u, t_done, near_far[1])

    def beat_duty(self, u: Unit) -> int | None:
        """The next block of ``u``'s beat; when it does not fit before the next commitment (or the beat is
        done), the nearest block still to walk that does fit."""
        need = self.inp.required_visits
        if u.claim and u.claim[0] == "beat" and self.visits[u.claim[1]] < need[u.claim[1]]:
            return u.claim[1]
        while u.beat_pos < len(u.beat) and self.visits[u.beat[u.beat_pos]] >= need[u.beat[u.beat_pos]]:
            u.beat_pos += 1
        if u.beat_pos < len(u.beat) and self.fits_block(u, u.beat[u.beat_pos]):
            return u.beat[u.beat_pos]
        left = [int(b) for b in np.flatnonzero(self.visits < need) if ("beat", int(b)) not in self.claims]
        left.sort(key=lambda b: self.to_block(u.node, b)[0])
        for b in left[:12]:
            if self.fits_block(u, b):
                self.claim(u, ("beat", b))
                return b
        return None

    def chase_duty(self, u: Unit) -> int | None:
        inp = self.inp
        if u.claim and u.claim[0] == "biz":
            i = u.claim[1]
            if not self.checked[i]:
                return i
            u.claim = None
        best = None
        open_on: dict[int, int] = {}  # per block, due businesses open now (a round of check-ins there)
        for i in np.flatnonzero(~self.checked):
            if inp.biz_open[i] <= u.t + 10 and u.t + 15 < inp.biz_close[i]:
                open_on[int(inp.biz_block[i])] = open_on.get(int(inp.biz_block[i]), 0) + 1
        for i in np.flatnonzero(~self.checked):
            i = int(i)
            if ("biz", i) in self.claims:
                continue
            b = int(inp.biz_block[i])
            d, _ = self.to_block(u.node, b)
            arrive = u.t + (d + min(inp.biz_offset[i], inp.edge_length[b] - inp.biz_offset[i])) / self.v
            if arrive < inp.biz_open[i] - 20 or arrive + inp.checkin_min > inp.biz_close[i]:
                continue
            key = d / self.v - inp.cluster_weight * min(open_on.get(b, 0), 8)
            if best is None or key < best[0]:
                best = (key, i)
        if best is None:
            return None
        i = best[1]
        self.claim(u, ("biz", i))
        return i

    # ------------------------------------------------------------------ one decision
    def release(self, u: Unit) -> None:
        if u.claim:
            self.claims.pop(u.claim, None)
            u.claim = None

    def decide(self, u: Unit) -> None:
        inp = self.inp
        nb = self.next_break(u)
        ap = self.next_appt(u)
        if nb is not None and u.t >= nb.start - _EPS:
            self.release(u)
            u.breaks_taken.add(u.breaks.index(nb))
            if not self.home_ok(u.t + (nb.end - nb.start), u.node):
                log.info("%s: break at %s dropped, it would keep the unit from getting home", u.name, _hhmm(nb.start))
                return
            # a unit held up past the planned start still takes the full break (a late start shows in the check)
            self.stationary(u, "break", max(nb.end, u.t + (nb.end - nb.start)), nb.kind, kind=nb.kind)
            return
        if ap is not None and u.t + self.net.dist[u.node, ap.start_node] / self.v >= ap.start - 0.5:
            self.release(u)
            if u.node == ap.start_node:
                if ap.sweep == -2:
                    self.run_dwell(u, ap)
                else:
                    self.run_chunk(u, ap)
                return
            blk, nxt = self.net.next_hop(u.node, ap.start_node)
            t1 = u.t + self.inp.edge_length[blk] / self.v
            if nb is not None and t1 > nb.start + _EPS:  # breaks keep their planned time (staggering)
                self.stationary(u, "post", nb.start, "standing post")
                return
            if self.home_ok(t1, nxt):
                self.walk(u, blk, u.node, checkins=False)
                return
            ap.done = True  # too late to reach it and still get home: the corridor gap will show it
        if u.t >= inp.end - _EPS:
            u.done = True
            return
        rover = u.role == "rover"
        h = None
        if not (u.claim and u.claim[0] == "corr"):
            h = self.hotspot_duty(u)
        if h is not None and self.do_hotspot(u, h):
            return
        if h is not None:
            self.release(u)
        b = self.corridor_duty(u)  # backup for the sweeps: a corridor block about to exceed its deadline
        if b is not None:
            if self.step_toward_block(u, b, checkins=False):
                return
            self.release(u)
        if not rover:
            b = self.beat_duty(u)
            if b is not None and self.step_toward_block(u, b, checkins=True):
                return
            if b is not None:
                self.release(u)
            i = self.chase_duty(u)
            if i is not None:
                bb = int(inp.biz_block[i])
                if u.node in (int(inp.edge_u[bb]), int(inp.edge_v[bb])) and inp.biz_open[i] > u.t + 0.5:
                    self.stationary(u, "post", min(inp.biz_open[i], self.limit(u)), "waiting to open")
                    return
                if self.step_toward_block(u, bb, checkins=True):
                    return
                self.release(u)
        b = self.corridor_duty(u, filler=True)
        if b is not None and self.step_toward_block(u, b, checkins=not rover):
            return
        self.release(u)
        self.fallback(u)

    def run_dwell(self, u: Unit, c) -> None:
        """A planned hot-spot dwell: walk to the middle of the block, dwell, walk on to the far end."""
        inp = self.inp
        h = c.extra["block"]
        self.stationary(u, "post", c.start, "hot spot ahead")
        c.done = True
        L = float(inp.edge_length[h])
        dwell = c.extra["dwell"]
        lim = self.limit(u)
        dwell = max(inp.dwell_range[0], min(dwell, int(lim - u.t - L / self.v)))  # late: shorter, not skipped
        nb = self.next_break(u)
        t_end = u.t + L / self.v + dwell
        if (nb is not None and t_end > nb.start + _EPS) or not self.home_ok(t_end, c.end_node):
            return
        self.claim(u, ("hot", h))
        self.do_hotspot(u, h, dwell=dwell, force=True)

    def run_chunk(self, u: Unit, c) -> None:
        """Walk a corridor sweep chunk on its timetable (late by however late the unit arrived).

        The timetable's pace leaves spare time: the unit checks in with open businesses on the way
        (no per-unit cap) and waits at a corner when more than two minutes ahead of the timetable.
        """
        self.stationary(u, "post", c.start, "corridor sweep start")
        c.done = True
        self._no_cap = True
        try:
            nb = self.next_break(u)
            pause = nb.start if nb is not None else np.inf
            for b, x, y, _t0, t1 in c.legs:
                if not self.home_ok(u.t + self.inp.edge_length[b] / self.v, y) or \
                        u.t + self.inp.edge_length[b] / self.v > pause + _EPS:
                    break
                self._leg_limit = t1 + self.inp.sweep_lag  # a late unit catches up (no stops until on time)
                if u.t + self.inp.edge_length[b] / self.v > self._leg_limit + _EPS:
                    self._leg_limit = None
                self.walk(u, b, x, checkins=u.role != "rover" and self._leg_limit is not None)
                self._leg_limit = None
                if u.t < t1 - 2.0 and self.home_ok(t1, u.node):
                    self.stationary(u, "post", min(t1, pause), "corridor presence")
        finally:
            self._leg_limit = None
            self._no_cap = False

    def fallback(self, u: Unit) -> None:
        """Nothing fits before the next break or the way home: wait (visible) or head to the base."""
        inp = self.inp
        nb = self.next_break(u)
        ap = self.next_appt(u)
        if ap is not None and u.node != ap.start_node:  # head for the next sweep start
            blk, nxt = self.net.next_hop(u.node, ap.start_node)
            t1 = u.t + inp.edge_length[blk] / self.v
            if (nb is None or t1 <= nb.start + _EPS) and self.home_ok(t1, nxt):
                self.walk(u, blk, u.node, checkins=False)
                return
            if nb is None or ap.start < nb.start:
                ap.done = True  # cannot make it and still get home in time
        if ap is not None and u.node == ap.start_node and (nb is None or ap.start < nb.start):
            self.stationary(u, "post", ap.start, "corridor sweep start")
            return
        if nb is not None and nb.start < inp.end:
            self.stationary(u, "post", nb.start, "standing post")
            return
        if u.node != inp.base:
            blk, _ = self.net.next_hop(u.node, inp.base)
            if u.t + inp.edge_length[blk] / self.v <= inp.end + _EPS:
                self.walk(u, blk, u.node, checkins=u.role != "rover")
                return
        if inp.end <= u.t + _EPS:
            u.done = True
            return
        self.stationary(u, "post", inp.end, "at the base" if u.node == inp.base else "standing post")

    # ------------------------------------------------------------------ main loop
    def run(self) -> None:
        heap = [(u.t, i) for i, u in enumerate(self.units)]
        heapq.heapify(heap)
        span = self.inp.end - self.inp.start
        last_report = self.inp.start
        guard = 0
        while heap:
            t, i = heapq.heappop(heap)
            u = self.units[i]
            if u.done:
                continue
            before = (u.t, len(u.steps))
            self.decide(u)
            guard += 1
            if (u.t, len(u.steps)) == before and not u.done:
                # no progress possible: wait a minute (visible), never past the time needed to get home
                home = self.inp.end - self.net.dist[u.node, self.inp.base] / self.v
                t1 = min(u.t + 1, max(self.limit(u), u.t + 0.1), home)
                if t1 > u.t + _EPS:
                    self.stationary(u, "post", t1, "standing post")
                elif u.node != self.inp.base:
                    blk, _ = self.net.next_hop(u.node, self.inp.base)
                    self.walk(u, blk, u.node, checkins=False)
                else:
                    u.done = True
            if u.t >= self.inp.end - _EPS and u.node == self.inp.base:
                u.done = True
            if not u.done:
                heapq.heappush(heap, (u.t, i))
            if self.progress is not None and t - last_report >= 15:
                self.progress(min(1.0, (t - self.inp.start) / span))
                last_report = t
            if guard > 200000:
                log.error("scheduler stopped after %d steps", guard)
                break


def run_schedule(inp: ScheduleInput, units: list[Unit], progress: Callable[[float], None] | None = None) -> dict:
    """Schedule the shift for every unit (in place: ``unit.steps``) and return the scheduler's own tallies.

    Returns
    -------
    dict
        ``corridor_last`` (last pass per block), ``visits`` (passes per block), ``checked`` (per due
        business), ``hotspot_dwells`` ({block: [(t0, t1), ...]}).
    """
    s = _Scheduler(inp, units, progress)
    s.run()
    return {"visits": s.visits, "checked": s.checked, "hotspot_dwells": s.hs_dwells, "passes": s.passes,
            "corridor": {**s.corridor_info, "chunks": len(s.chunks),
                         "unassigned_chunks": sum(1 for c in s.chunks if c.unit < 0)}}
