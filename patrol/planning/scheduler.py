"""The segment scheduler: each unit keeps its corridor segment fresh and works from it.

A walking unit with a corridor segment (:mod:`.segments`) walks its round again and again.  A
stop of any kind (a check-in on the block it is walking, a hot-spot dwell, a break, an *excursion* off
the round that ends at one of its corners) is taken only when the unit's *no-stop continuation* still
passes every block of its segment before the block's deadline (its last pass plus the revisit limit,
less a margin), through the next planned break and one round after it.  The continuation is simulated
exactly (block by block, waiting for the break at its planned start), so the corridor target holds by
construction as long as a round fits in the revisit limit.

Before the day: hot spots go to the unit whose segment holds them (else the nearest), check-ins to units
by :func:`.assign.assign_checkins` (equal standing time, least detour, within reach), area
blocks to units and into one tour each by :mod:`.tours`.

At each corner, in order:

1. its planned break, at its planned time (a unit waits at the corner for it rather than start a block
   it cannot finish before), so the on-street minimum of :mod:`.breaks` holds;
2. home, when the next block would not leave time to walk back to the base by the shift end;
3. a hot-spot dwell when one of its hot spots is due (at the seed's drawn time, or at the latest a
   round's walk before a break in the way); hot spots off the segment by an excursion;
4. an excursion, when the next block has none of its businesses open: the next piece of its area tour
   (first in the morning, when few businesses are open) or a trip to its businesses off the segment;
   once its own work is done, anyone's (and anyone's area block or business near the end of the day);
5. a short stand, when pacing is on and it has walked more than its pace;
6. the next block of the round, checking in on the way with its open businesses on it.

A unit without a segment (the free unit, or a rover) walks its tour first, checking in on the way also
with businesses another unit would need a trip for, and makes open excursions (not back to a corner).
Deterministic for a given input and seed.
"""

from __future__ import annotations

import heapq
import logging
from collections.abc import Callable

import numpy as np

from patrol.paths import ShortestPaths
from patrol.planning.assign import assign_area, assign_checkins
from patrol.planning.model import BreakSlot, DayInput, Unit
from patrol.planning.segments import Segment
from patrol.planning.tours import area_tours
from patrol.timeline import Leg

__all__ = ["run_segments"]

log = logging.getLogger(__name__)

_EPS = 1e-6


class _SegmentScheduler:
    def __init__(self, inp: DayInput, units: list[Unit], net: ShortestPaths, segments: list[Segment | None], *,
                 margin: float, excursion_cap: float, dwell_window: tuple[float, float], release_min: float,
                 tour_first_min: float, area_release_min: float, walk_target: dict[str, float] | None,
                 progress: Callable[[float], None] | None, tour_cache: dict | None, tour_time_s: float,
                 keep_walking: bool = False):
        self.inp, self.units, self.net, self.seg = inp, units, net, segments
        self.keep_walking = keep_walking
        self.idle_pos = [0] * len(units)
        self.tour_cache, self.tour_time_s = tour_cache, tour_time_s
        self.v = inp.speed_m_min
        self.margin = margin
        self.excursion_cap = excursion_cap
        self.progress = progress
        self.rng = np.random.default_rng(inp.seed)
        m = inp.edge_u.size
        self.minutes = inp.edge_length / self.v
        self.home = net.dist[:, inp.base] / self.v
        self.last = np.full(m, -np.inf)
        corr = np.flatnonzero(inp.edge_corridor)
        self.last[corr] = inp.start + inp.corridor_first - inp.corridor_revisit
        if inp.corridor_last is not None:  # a re-plan: the passes made before it
            self.last[corr] = np.maximum(self.last[corr], inp.corridor_last[corr])
        # plain-float copies for the continuation simulated at every stop (:meth:`_fits`)
        self._last: list[float] = self.last.tolist()
        self._home: list[float] = self.home.tolist()
        self.passes: dict[int, list[float]] = {}
        self.walked = np.zeros(m, dtype=np.int64)  # passes per block (any unit)
        self.need = inp.required_visits.copy()
        self.checked = np.zeros(len(inp.biz_ref), dtype=bool)
        self.biz_on_block: dict[int, list[int]] = {}
        for i, b in enumerate(inp.biz_block.tolist()):
            self.biz_on_block.setdefault(int(b), []).append(i)
        self.pos = [0] * len(units)
        self.own = [set(sg.blocks) if sg is not None else set() for sg in segments]
        # per unit with a segment: from every node, minutes back to the nearest corner of its round and that
        # corner (a unit without a segment never goes back: zero minutes, to where it is)
        self.ret_min: list[np.ndarray] = []
        self.ret_node: list[np.ndarray] = []
        for sg in segments:
            if sg is None:
                self.ret_min.append(np.zeros(inp.n_nodes))
                self.ret_node.append(np.arange(inp.n_nodes))
                continue
            nodes = np.array(sorted(sg.nodes))
            d = net.dist[:, nodes]
            self.ret_min.append(d.min(axis=1) / self.v)
            self.ret_node.append(nodes[d.argmin(axis=1)])
        self.blocks_of_interest = sorted({int(b) for b in np.flatnonzero(self.need > 0)} | set(self.biz_on_block))
        self._boi = np.asarray(self.blocks_of_interest, dtype=np.int64)
        self._own_mask = [np.isin(np.arange(m), sorted(o)) for o in self.own]
        self._biz_due_by = np.minimum(inp.biz_close, inp.end) - release_min  # anyone's after this (see _mine)
        # the rounds as plain Python lists, for the continuation simulated at every stop (:meth:`_fits`): per
        # step of the round, its minutes, the minutes home from its end and the place of its block among the
        # segment's own blocks (-1: a block it only walks through); and those blocks
        self._rounds: list[tuple[list[float], list[float], list[int], list[int]] | None] = []
        for sg in segments:
            if sg is None:
                self._rounds.append(None)
                continue
            own = list(dict.fromkeys(sg.blocks))
            place = {b: i for i, b in enumerate(own)}
            self._rounds.append(([float(self.minutes[b]) for b, _, _ in sg.route],
                                 [float(self.home[y]) for _, _, y in sg.route],
                                 [place.get(b, -1) for b, _, _ in sg.route], own))
        self._latest_cache: dict[int, tuple[tuple[int, int], dict[int, float]]] = {}
        self._dwells_done = 0
        self.release_min = release_min
        self.walk_target = walk_target
        self.post_min = 3.0
        self.tour_first_min = tour_first_min
        self.area_release = inp.end - area_release_min
        self._piece_end = 0
        self.tour_pos = [0] * len(units)
        self.dwell_lead = 15.0
        # hot spots: owner, last dwell end, next target time (seed-varied)
        self.dwell_window = dwell_window
        self.hs_owner: dict[int, int] = {}
        self.hs_last: dict[int, float] = {}
        self.hs_target: dict[int, float] = {}
        self.hs_lead: dict[int, float] = {}
        self.hs_dwells: dict[int, list[tuple[float, float]]] = {h: [] for h in inp.hotspots}
        owners = [i for i, s in enumerate(segments) if s is not None] or list(range(len(units)))
        for h in inp.hotspots:
            on = [i for i in owners if h in self.own[i]]
            if on:
                self.hs_owner[h] = on[0]
            else:
                self.hs_owner[h] = min(owners, key=lambda i: (self._seg_dist(i, h), i))
            self.hs_last[h] = inp.start
            self.hs_target[h] = inp.start + self._draw(first=True)
            if inp.hotspot_last is not None and h in inp.hotspot_last:  # a re-plan: its last dwell before it
                self.hs_last[h] = inp.hotspot_last[h]
                self.hs_target[h] = inp.hotspot_last[h] + self._draw()
            self.hs_lead[h] = self._draw_lead()
        for u in units:
            u.node, u.t = u.start_node, u.start
        n_dwells = np.ceil((inp.end - inp.start) / inp.hotspot_revisit)
        fixed = np.array([sum(n_dwells * self._dwell_minutes() for h in inp.hotspots if self.hs_owner[h] == k)
                          for k in range(len(units))], float)
        # a unit on duty for part of the day gets a part of a share: it stands for the hours it is away
        sharers = [k for k, u in enumerate(units) if u.role != "rover"]
        share = len(inp.biz_ref) * inp.checkin_min / max(len(sharers), 1)
        for k in sharers:
            fixed[k] += (1.0 - (units[k].end - units[k].start) / max(inp.end - inp.start, 1.0)) * share
        fixed[[k for k, u in enumerate(units) if u.role == "rover"]] = np.inf  # rovers: no share
        anywhere = set().union(*(s.nodes for s in segments if s is not None)) or {inp.base}
        self.assign = assign_checkins(
            inp.biz_block, inp.biz_offset, [s.nodes if s is not None else anywhere for s in segments], self.own, fixed,
            edge_u=inp.edge_u, edge_v=inp.edge_v, edge_length=inp.edge_length, dist=net.dist, base=inp.base,
            checkin_min=inp.checkin_min, speed_m_min=self.v, max_trip_min=self._reach(segments))
        self.tours = self._plan_tours(segments, fixed)

    def _reach(self, segments: list[Segment | None]) -> np.ndarray:
        """Per unit, the longest trip off its round that its round leaves room for (minutes)."""
        inp = self.inp
        reach = np.array([inp.corridor_revisit - self.margin - s.minutes - 3.0 if s is not None
                          else inp.end - inp.start for s in segments])
        return np.minimum(reach, self.excursion_cap)

    def _plan_tours(self, segments: list[Segment | None], fixed: np.ndarray) -> list[list[tuple[int, int, int]]]:
        inp, net = self.inp, self.net
        blocks = np.flatnonzero(self.need > 0)
        self.area_owner: dict[int, int] = {}
        if blocks.size == 0:
            return [[] for _ in segments]
        rounds = [s.nodes if s is not None else {inp.base} for s in segments]
        # a unit without a segment can be anywhere: its distance to a block is from the nearest corridor corner
        anywhere = set().union(*(s.nodes for s in segments if s is not None)) or {inp.base}
        near_sets = [s.nodes if s is not None else anywhere for s in segments]
        street = np.array([u.end - u.start - sum(b.end - b.start for b in u.breaks) for u in self.units])
        cycles = (inp.end - inp.start) / max(inp.corridor_revisit - self.margin, 1.0)
        rnd = np.array([s.minutes * cycles if s is not None else 0.0 for s in segments])
        mine = np.bincount(self.assign, minlength=len(segments)) * inp.checkin_min
        fx = np.where(np.isfinite(fixed), fixed, 0.0)
        cap = np.maximum(street - rnd - mine - fx, 0.0)
        cap[[k for k, u in enumerate(self.units) if u.role == "rover"]] *= 0.5
        owner = assign_area(blocks, near_sets, cap, edge_u=inp.edge_u, edge_v=inp.edge_v, edge_length=inp.edge_length,
                            dist=net.dist, speed_m_min=self.v, max_trip_min=self._reach(segments))
        self.area_owner = {int(b): int(k) for b, k in zip(blocks.tolist(), owner.tolist(), strict=True)}
        return area_tours(inp.n_nodes, inp.edge_u, inp.edge_v, inp.edge_length, blocks, owner, rounds, net.dist,
                          seed=inp.seed, cache=self.tour_cache, time_limit_s=self.tour_time_s, net=net)

    # ------------------------------------------------------------------ helpers
    def _draw(self, first: bool = False) -> float:
        lo, hi = self.dwell_window
        rev = self.inp.hotspot_revisit
        return float(self.rng.uniform(0.2 * rev if first else lo * rev, hi * rev))

    def _draw_lead(self) -> float:
        """Minutes before its latest start at which a dwell is forced (drawn, so forced dwells vary too)."""
        return float(self.rng.uniform(self.dwell_lead, 2 * self.dwell_lead))

    def _seg_dist(self, i: int, h: int) -> float:
        s = self.seg[i]
        a, c = int(self.inp.edge_u[h]), int(self.inp.edge_v[h])
        nodes = s.nodes if s is not None else {self.inp.base}
        return min(min(self.net.dist[x, a], self.net.dist[x, c]) for x in nodes)

    def _pending_break_min(self, u: Unit) -> float:
        """Minutes of the unit's breaks still to take (each is taken in full, at the base at the latest)."""
        return float(sum(b.end - b.start for j, b in enumerate(u.breaks) if j not in u.breaks_taken))

    def _late(self, u: Unit, t: float, node: int) -> bool:
        """Whether a unit at ``node`` at ``t`` could no longer walk home and take its remaining breaks by the
        shift end: the one rule that keeps every plan inside each unit's hours."""
        return t + self.home[node] + self._pending_break_min(u) > u.end + _EPS

    def _next_break(self, u: Unit) -> BreakSlot | None:
        return next((b for j, b in enumerate(u.breaks) if j not in u.breaks_taken), None)

    def _add(self, u: Unit, activity: str, t1: float, block: int, off0: float, off1: float, ref: str = "",
             business: int = -1) -> None:
        """Append a step; ``business`` is a position in the day's due list (stored as the district's index)."""
        biz = int(self.inp.biz_index[business]) if business >= 0 else -1
        u.steps.append(Leg(u.t, t1, int(block), float(off0), float(off1), activity, ref, biz))
        if activity == "walk":
            u.walk_m += abs(off1 - off0)
        u.t = t1

    def _stand(self, u: Unit) -> tuple[int, float]:
        if u.steps:
            return u.steps[-1].block, u.steps[-1].off1
        inp = self.inp
        blocks = np.flatnonzero((inp.edge_u == u.node) | (inp.edge_v == u.node))
        b = int(blocks[0])
        return b, (0.0 if inp.edge_u[b] == u.node else float(inp.edge_length[b]))

    def _stay(self, u: Unit, activity: str, t1: float, ref: str = "") -> None:
        if t1 <= u.t + _EPS:
            return
        b, off = self._stand(u)
        self._add(u, activity, t1, b, off, off, ref)

    def _passed(self, u: Unit, b: int, own: bool) -> None:
        self.passes.setdefault(b, []).append(u.t)
        self.walked[b] += 1
        if own:
            self.last[b] = max(self.last[b], u.t)
            self._last[b] = max(self._last[b], u.t)

    def _open(self, i: int, t: float) -> bool:
        return self.inp.biz_open[i] <= t + _EPS and t + self.inp.checkin_min <= self.inp.biz_close[i] + _EPS

    def _walk_block(self, u: Unit, b: int, frm: int, stops: list[tuple[float, int]], own: bool) -> None:
        """Walk ``b`` from ``frm`` to its other end, checking in at ``stops`` ((offset, business) in walking
        order)."""
        inp = self.inp
        L = float(inp.edge_length[b])
        forward = int(inp.edge_u[b]) == frm
        pos, goal = (0.0, L) if forward else (L, 0.0)
        for off, i in stops:
            if abs(off - pos) > 0.5:
                self._add(u, "walk", u.t + abs(off - pos) / self.v, b, pos, off)
                pos = off
            self._add(u, "checkin", u.t + inp.checkin_min, b, pos, pos, inp.biz_ref[i], business=i)
            self.checked[i] = True
            u.checkins += 1
        self._add(u, "walk", u.t + abs(goal - pos) / self.v, b, pos, goal)
        u.node = int(inp.edge_v[b]) if forward else int(inp.edge_u[b])
        self._passed(u, b, own)

    def _checkin_plan(self, k: int, b: int, frm: int, t: float, budget: float, free: bool = False,
                      passing: bool = False) -> list[tuple[float, int]]:
        """Businesses due on ``b`` that are open when reached (walking from ``frm`` at ``t``), in walking
        order, as many as ``budget`` minutes of stops allow."""
        inp = self.inp
        cand = [(float(inp.biz_offset[i]), i) for i in self.biz_on_block.get(b, []) if not self.checked[i]]
        if not cand:
            return []
        forward = int(inp.edge_u[b]) == frm
        cand.sort(reverse=not forward)
        L = float(inp.edge_length[b])
        out, used = [], 0.0
        for off, i in cand:
            if used + inp.checkin_min > budget + _EPS:
                break
            arrive = t + used + abs(off - (0.0 if forward else L)) / self.v
            if self._open(i, arrive) and (free or self._mine(k, i, arrive)
                                          or (passing and self._on_the_way(k, i, arrive))):
                out.append((off, i))
                used += inp.checkin_min
        return out

    # ------------------------------------------------------------------ the corridor promise
    def _fits(self, k: int, extra: float, pos: int | None = None, node: int | None = None) -> bool:
        """Whether unit ``k`` can stop ``extra`` minutes here and still keep its segment fresh (going on with
        its round at ``pos``, by default where it is)."""
        u, s = self.units[k], self.seg[k]
        t = u.t + extra
        node = u.node if node is None else node
        first = None  # the next break, and the minutes of all those still to take
        pending_int = 0
        taken = u.breaks_taken
        for j, br in enumerate(u.breaks):
            if j not in taken:
                pending_int += br.end - br.start
                if first is None:
                    first = br
        if first is not None and t > first.start + _EPS:
            return False
        pending = float(pending_int)
        if t + self._home[node] + pending > u.end + _EPS:  # as :meth:`_late`
            return False
        if s is None:
            return True
        rev, end, mg = self.inp.corridor_revisit, self.inp.end, self.margin  # the corridor's end: the shift's
        rdur, rhome, rplace, own = self._rounds[k]  # type: ignore[misc]
        known = self._last
        last = [known[b] for b in own]
        left = len(own)  # own blocks not yet passed (since the break)
        seen = [False] * left
        n, p = len(rdur), self.pos[k] if pos is None else pos
        first_break = (float(first.start), float(first.end - first.start)) if first is not None else None
        nb = 0
        for _ in range(6 * n + 20):
            dur = rdur[p]
            if nb == 0 and first_break is not None and t + dur > first_break[0] + _EPS:
                t = max(t, first_break[0]) + first_break[1]
                nb = 1
                pending -= first_break[1]  # the real unit heads home when the rest no longer fit (see _late)
                left = len(own)
                seen = [False] * left
                continue
            if t + dur + rhome[p] + pending > u.end + _EPS:  # heads home from here
                return all(x + rev - mg >= end - _EPS for x in last)
            t += dur
            i = rplace[p]
            if i >= 0:
                dl = last[i] + rev - mg
                if dl < end and t > dl + _EPS:
                    return False
                last[i] = t
                if not seen[i]:
                    seen[i] = True
                    left -= 1
            if not left and (nb >= 1 or first is None):
                return True
            p = (p + 1) % n
        return True

    def _slack(self, k: int, cap: float) -> float:
        """Longest stop (to 0.25 min, at most ``cap``) that :meth:`_fits`."""
        if cap <= 0 or not self._fits(k, 0.0):
            return 0.0
        if self._fits(k, cap):
            return cap
        lo, hi = 0.0, cap
        while hi - lo > 0.25:
            mid = (lo + hi) / 2
            if self._fits(k, mid):
                lo = mid
            else:
                hi = mid
        return lo

    # ------------------------------------------------------------------ duties
    def _latest(self, k: int) -> dict[int, float]:
        """Per hot spot of unit ``k`` still needing dwells, the latest time its next dwell may start: before
        the revisit limit, before a break in the way, and early enough for the unit's other hot spots due
        after it (a dwell and a short walk each)."""
        u, inp = self.units[k], self.inp
        state = (len(u.breaks_taken), self._dwells_done)  # what it depends on that changes in the day
        cached = self._latest_cache.get(k)
        if cached is not None and cached[0] == state:
            return cached[1]
        d = self._dwell_minutes()
        nb = self._next_break(u)
        out = {}
        for h in inp.hotspots:
            if self.hs_owner[h] != k or self.hs_last[h] + inp.hotspot_revisit >= inp.end:
                continue
            latest = self.hs_last[h] + inp.hotspot_revisit - 2.0 - d
            if nb is not None and nb.start < latest + d and nb.end > latest:
                # before the break, with a round's walk to spare (the round has to be walked between them)
                seg = self.seg[k]
                latest = min(latest, nb.start - d - (seg.minutes + 2.0 if seg is not None else 0.0))
            out[h] = latest
        nxt = np.inf
        for h in sorted(out, key=lambda h: (-out[h], h)):
            out[h] = min(out[h], nxt - d - 5.0)
            nxt = out[h]
        self._latest_cache[k] = (state, out)
        return out

    def _due_hotspot(self, k: int) -> int | None:
        """The owned hot spot to dwell on now: its drawn time has come, or its latest start is near."""
        u = self.units[k]
        best = None
        for h, latest in self._latest(k).items():
            if u.t + _EPS >= min(self.hs_target[h], latest - self.hs_lead[h]) and (best is None or latest < best[0]):
                best = (latest, h)
        return None if best is None else best[1]

    def _dwell_by(self, k: int) -> float:
        """Latest start of the next dwell among the unit's hot spots (inf when none is needed)."""
        return float(min(self._latest(k).values(), default=np.inf))

    def _next_target(self, k: int) -> float:
        """The earliest drawn dwell time among the unit's hot spots still needing dwells (inf when none)."""
        return float(min((self.hs_target[h] for h in self._latest(k)), default=np.inf))

    def _to_hotspot(self, k: int) -> float:
        """Minutes from the unit's corner to the nearest of its hot spots still needing dwells."""
        inp, x = self.inp, self.units[k].node
        out = [min(self.net.dist[x, int(inp.edge_u[h])], self.net.dist[x, int(inp.edge_v[h])]) / self.v
               for h in inp.hotspots if self.hs_owner[h] == k and self.hs_last[h] + inp.hotspot_revisit < inp.end]
        return float(min(out, default=0.0))

    def _dwell_minutes(self) -> float:
        return float(self.inp.dwell_range[0])

    def _do_dwell(self, k: int, h: int, path: list[tuple[int, int]], back: bool) -> None:
        u = self.units[k]
        inp = self.inp
        for b, frm in path:
            self._walk_block(u, b, frm, [], own=False)
        a = int(inp.edge_u[h])
        off = 0.0 if u.node == a else float(inp.edge_length[h])
        t0 = u.t
        self._add(u, "dwell", u.t + self._dwell_minutes(), h, off, off, f"hot spot {inp.hotspots.index(h) + 1}")
        u.dwell_min += self._dwell_minutes()
        self.hs_dwells[h].append((t0, u.t))
        self.hs_last[h] = u.t
        self._dwells_done += 1
        self.hs_target[h] = u.t + self._draw()
        self.hs_lead[h] = self._draw_lead()
        if back:
            for b, frm in self.net.path(u.node, path[0][1] if path else u.node):
                self._walk_block(u, b, frm, [], own=False)

    def _try_dwell(self, k: int) -> bool:
        u = self.units[k]
        h = self._due_hotspot(k)
        if h is None:
            return False
        inp = self.inp
        a, c = int(inp.edge_u[h]), int(inp.edge_v[h])
        d = self._dwell_minutes()
        if u.node in (a, c):
            if self._fits(k, d):
                self._do_dwell(k, h, [], back=False)
                return True
            return False
        near = a if self.net.dist[u.node, a] <= self.net.dist[u.node, c] else c
        metres = self.net.dist[u.node, near]
        urgent = u.t >= self._dwell_by(k) - self.dwell_lead
        if self.seg[k] is not None and metres > self._seg_dist(k, h) + 150 and not urgent:
            return False
        back = self.seg[k] is not None
        cost = (2 if back else 1) * metres / self.v + d
        if self._fits(k, cost, node=None if back else near):  # without a round to go back to, it stays there
            self._do_dwell(k, h, self.net.path(u.node, near), back=back)
            return True
        return False

    # ------------------------------------------------------------------ excursions
    def _ahead_of_pace(self, u: Unit) -> bool:
        """Whether the unit has walked more than its pace allows so far (then it stands a while when it has
        nothing else to do, which evens out walking distances)."""
        if self.walk_target is None:
            return False
        frac = (u.t - u.start) / max(u.end - u.start, 1.0)
        return u.walk_m > self.walk_target.get(u.name, np.inf) * frac

    def _on_the_way(self, k: int, i: int, t: float) -> bool:
        """Whether unit ``k``, passing business ``i`` off its own segment, checks in: it is its own, or the
        unit it was given to would have to make a trip for it too."""
        j = int(self.assign[i])
        return self._mine(k, i, t) or int(self.inp.biz_block[i]) not in self.own[j]

    def _mine(self, k: int, i: int, t: float) -> bool:
        """Whether unit ``k`` checks in with business ``i`` at ``t``: its own by the assignment, or anyone's
        once the business is near closing (or the shift near its end) and still not visited."""
        return bool(self.assign[i] == k or t >= min(self.inp.biz_close[i], self.inp.end) - self.release_min)

    def _idle(self, k: int) -> bool:
        """Whether unit ``k`` has nothing of its own left (its tour walked, its businesses visited); then
        it may take any other unit's work."""
        tour = self.tours[k]
        if any(self.need[b] > self.walked[b] for b, _, _ in tour[self.tour_pos[k]:]):
            return False
        return not any(self.assign[i] == k and not self.checked[i] for i in range(len(self.checked)))

    def _useful_blocks(self, k: int, free: bool) -> list[int]:
        """The blocks of interest worth an excursion for unit ``k`` now, in their order: an area block still to
        walk (when it is the unit's turn: idle, the end of the day near, or no tour of its own), or a block with
        a business still due that is the unit's (:meth:`_mine`, within the hour) or anyone's when ``free``;
        never a block of its own segment for the businesses (it passes them anyway)."""
        t = self.units[k].t
        walk = (self.need > self.walked) & (free or t >= self.area_release or not self.tours[k])
        ok = ~self.checked & (free | (self.assign == k) | (t + 60.0 >= self._biz_due_by))
        biz = np.zeros(self.need.size, dtype=bool)
        biz[self.inp.biz_block[ok]] = True
        if self.seg[k] is not None:
            biz &= ~self._own_mask[k]
        useful = (walk | biz)[self._boi]
        return self._boi[useful].tolist()

    def _excursion(self, k: int, budget: float) -> tuple[list[tuple[int, int, list[tuple[float, int]]]], int]:
        """Greedy walk from the unit's corner: ``(block, from_node, check-ins)`` to traverse, within
        ``budget`` minutes including the way back to the nearest corner of its round; the farthest useful
        block that fits first, then the nearest.  Returns the plan and the corner it ends at."""
        u, inp = self.units[k], self.inp
        s = self.seg[k]
        free = self._idle(k)
        cands = self._useful_blocks(k, free)
        cur = u.node
        used = 0.0
        plan: list[tuple[int, int, list[tuple[float, int]]]] = []
        taken: set[int] = set()
        for step in range(30):
            best = None
            for b in cands:
                if b in taken:
                    continue
                a, c = int(inp.edge_u[b]), int(inp.edge_v[b])
                walk_needed = self.need[b] > self.walked[b]
                for frm, to in ((a, c), (c, a)):
                    go = self.net.dist[cur, frm] / self.v
                    ret = self.ret_min[k][to] if s is not None else 0.0
                    if used + go + self.minutes[b] + ret > budget + _EPS:
                        continue
                    key = -go if (step == 0 and walk_needed) else go
                    if best is None or key < best[0]:
                        best = (key, go, b, frm, to, ret)
            if best is None:
                break
            _, go, b, frm, to, ret = best
            room = budget - used - go - self.minutes[b] - ret
            stops = self._checkin_plan(k, b, frm, u.t + used + go, room, free)
            if not stops and self.need[b] <= self.walked[b]:
                taken.add(b)
                continue
            plan += [(hb, hf, []) for hb, hf in self.net.path(cur, frm)]
            plan.append((b, frm, stops))
            taken.add(b)
            used += go + self.minutes[b] + len(stops) * inp.checkin_min
            cur = to
        if s is not None and plan:
            y = int(self.ret_node[k][cur])
            plan += [(hb, hf, []) for hb, hf in self.net.path(cur, y)]
            cur = y
        return plan, cur

    def _plan_minutes(self, plan: list[tuple[int, int, list]]) -> float:
        return float(sum(self.minutes[b] + len(st) * self.inp.checkin_min for b, _, st in plan))

    def _resume(self, k: int, extra: float, node: int) -> int | None:
        """Where on its round unit ``k`` can go on after ``extra`` minutes away, ending at ``node``."""
        s = self.seg[k]
        if s is None:
            return 0 if self._fits(k, extra, node=node) else None
        n, p = len(s.route), self.pos[k]
        occ = sorted((j for j, (_, x, _) in enumerate(s.route) if x == node), key=lambda j: (j - p) % n)
        for j in occ:
            if self._fits(k, extra, pos=j, node=node):
                return j
        return None

    def _tour_piece(self, k: int, budget: float) -> tuple[list[tuple[int, int, list[tuple[float, int]]]], int]:
        """The next piece of the unit's area tour that fits ``budget`` minutes, from its corner and back to
        the nearest corner of its round (with check-ins on the way at its open businesses)."""
        u, tour, j = self.units[k], self.tours[k], self.tour_pos[k]
        while j < len(tour) and self.need[tour[j][0]] <= self.walked[tour[j][0]] and \
                not any(self.need[b] > self.walked[b] for b, _, _ in tour[j:]):
            j = len(tour)
        if j >= len(tour):
            return [], u.node
        plan: list[tuple[int, int, list[tuple[float, int]]]] = [(hb, hf, []) for hb, hf in
                                                                 self.net.path(u.node, tour[j][1])]
        used = self._plan_minutes(plan)
        useful = False
        back = self.seg[k] is not None
        while j < len(tour):
            b, frm, to = tour[j]
            ret = self.ret_min[k][to] if back else 0.0
            if used + self.minutes[b] + ret > budget + _EPS:
                break
            stops = self._checkin_plan(k, b, frm, u.t + used, budget - used - self.minutes[b] - ret,
                                       passing=not back)
            plan.append((b, frm, stops))
            used += self.minutes[b] + len(stops) * self.inp.checkin_min
            useful = useful or self.need[b] > self.walked[b]
            j += 1
        if not useful:
            return [], u.node
        cur = tour[j - 1][2]
        if back:
            y = int(self.ret_node[k][cur])
            plan += [(hb, hf, []) for hb, hf in self.net.path(cur, y)]
            cur = y
        self._piece_end = j
        return plan, cur

    def _try_excursion(self, k: int, reserve: float, kind: str) -> bool:
        """An excursion of ``kind`` (``tour``: the next piece of the area tour; ``trip``: check-ins off
        the segment), when one fits."""
        u = self.units[k]
        nb = self._next_break(u)
        cap = self.excursion_cap if self.seg[k] is not None else 2 * self.excursion_cap
        if nb is not None:
            cap = min(cap, nb.start - u.t)
        due_by = min(self._dwell_by(k), max(self._next_target(k), u.t + self.excursion_cap / 3))
        cap = min(cap, u.end - u.t - self.home[u.node] - self._pending_break_min(u),
                  due_by - u.t - self._to_hotspot(k)) - reserve
        budget = self._slack(k, cap) if self.seg[k] is not None else cap
        build = self._tour_piece if kind == "tour" else self._excursion
        while budget >= 3.0:
            plan, end_node = build(k, budget)
            if not plan:
                return False
            pos = self._resume(k, self._plan_minutes(plan) + reserve, end_node)
            if pos is not None:
                break
            budget *= 0.75
        else:
            return False
        for b, frm, stops in plan:
            stops = [(o, i) for o, i in stops if not self.checked[i] and self._open(i, u.t)]
            self._walk_block(u, b, frm, stops, own=False)
        self.pos[k] = pos
        if kind == "tour":
            self.tour_pos[k] = self._piece_end
        return True

    def _excursions(self, k: int, reserve: float) -> bool:
        """Area tour first in the morning (few businesses open), check-in trips first afterwards."""
        first = self.units[k].t < self.inp.start + self.tour_first_min or self.seg[k] is None
        order = ("tour", "trip") if first else ("trip", "tour")
        return any(self._try_excursion(k, reserve, kind) for kind in order)

    # ------------------------------------------------------------------ the unit's next step
    def _go_home(self, u: Unit) -> None:
        """Walk to the base, take the breaks still due there (at their planned time, or at once when that has
        passed), and stand at the base until the shift ends."""
        for b, frm in self.net.path(u.node, self.inp.base):
            self._walk_block(u, b, frm, [], own=False)
        for j, br in enumerate(u.breaks):
            if j in u.breaks_taken:
                continue
            t0 = min(max(u.t, float(br.start)), u.end - (br.end - br.start))
            self._stay(u, "post", t0, "at the base")
            self._stay(u, "break", u.t + (br.end - br.start), f"{br.kind} break")
            u.breaks_taken.add(j)
        self._stay(u, "post", u.end, "at the base")
        u.done = True

    def decide(self, k: int) -> None:
        u, s, inp = self.units[k], self.seg[k], self.inp
        nb = self._next_break(u)
        if nb is not None and u.t >= nb.start - _EPS:
            t0 = max(u.t, float(nb.start))
            self._stay(u, "post", t0, "standing post")
            self._stay(u, "break", t0 + (nb.end - nb.start), f"{nb.kind} break")
            u.breaks_taken.add(u.breaks.index(nb))
            return
        if s is None:
            self._decide_free(k, nb)
            return
        b, x, y = s.route[self.pos[k]]
        dur = self.minutes[b]
        if self._late(u, u.t + dur, y):
            self._go_home(u)
            return
        if u.node != x:  # first steps of the day: walk to the segment
            nxt_b, _ = self.net.next_hop(u.node, x)
            if nb is not None and u.t + self.minutes[nxt_b] > nb.start + _EPS:
                self._stay(u, "post", float(nb.start), "standing post")
                return
            self._walk_block(u, nxt_b, u.node, [], own=False)
            return
        if nb is not None and u.t + dur > nb.start + _EPS:
            self._stay(u, "post", float(nb.start), "standing post")
            return
        if self._try_dwell(k):
            return
        soon = self._next_target(k) < u.t + 20.0
        reserve = self._dwell_minutes() if soon or self._dwell_by(k) < u.t + self.excursion_cap + 30.0 else 0.0
        ahead = [i for i in self.biz_on_block.get(b, []) if not self.checked[i] and self._open(i, u.t)
                 and self._mine(k, i, u.t)]
        if not ahead and self._excursions(k, reserve):
            return
        t_post = u.t + self.post_min
        if not ahead and self._ahead_of_pace(u) and t_post + dur + self.home[y] <= u.end and \
                (nb is None or t_post + dur <= nb.start + _EPS) and self._fits(k, self.post_min + reserve) \
                and t_post + dur <= self._dwell_by(k) - reserve:
            self._stay(u, "post", u.t + self.post_min, "standing post")
            return
        budget = self._slack(k, 60.0) - reserve
        if nb is not None:
            budget = min(budget, nb.start - u.t - dur)
        budget = min(budget, self._dwell_by(k) - u.t - dur)
        stops = self._checkin_plan(k, b, x, u.t, budget) if budget >= inp.checkin_min else []
        while stops and (not self._fits(k, len(stops) * inp.checkin_min + reserve)
                         or u.t + len(stops) * inp.checkin_min + dur + self.home[y] > u.end + _EPS):
            stops = stops[:-1]
        self._walk_block(u, b, x, stops, own=True)
        self.pos[k] = (self.pos[k] + 1) % len(s.route)

    def _walk_on(self, k: int, nb: BreakSlot | None) -> bool:
        """With ``keep_walking``: a unit without a segment and nothing left to do walks its area tour again,
        block by block (towards the tour first when it is elsewhere), when the block ends before its next break
        and leaves it time to get home, and it is not ahead of its pace."""
        u, tour = self.units[k], self.tours[k]
        if not self.keep_walking or not tour or self._ahead_of_pace(u):
            return False
        j = self.idle_pos[k] % len(tour)
        b, frm, _ = tour[j]
        if u.node != frm:
            b, _ = self.net.next_hop(u.node, frm)
        else:
            self.idle_pos[k] = j + 1
        to = int(self.inp.edge_v[b]) if int(self.inp.edge_u[b]) == u.node else int(self.inp.edge_u[b])
        t1 = u.t + self.minutes[b]
        if self._late(u, t1, to) or (nb is not None and t1 > nb.start + _EPS):
            return False
        self._walk_block(u, b, u.node, [], own=False)
        return True

    def _decide_free(self, k: int, nb: BreakSlot | None) -> None:
        u = self.units[k]
        if self._try_dwell(k) or self._excursions(k, 0.0) or self._walk_on(k, nb):
            return
        lim = float(nb.start) if nb is not None else u.end - self.home[u.node]
        if u.node != self.inp.base and self._late(u, u.t + 2.0, u.node):
            self._go_home(u)
            return
        if u.node != self.inp.base and (nb is None or lim - u.t < 2):
            self._go_home(u) if nb is None else self._stay(u, "post", lim, "standing post")
            return
        self._stay(u, "post", min(lim, u.t + 5.0) if lim > u.t + _EPS else u.end, "standing post")
        if u.t >= u.end - _EPS:
            u.done = True

    def run(self) -> None:
        heap = [(u.t, k) for k, u in enumerate(self.units)]
        heapq.heapify(heap)
        span = self.inp.end - self.inp.start
        last_report = self.inp.start
        for _ in range(200000):
            if not heap:
                break
            _, k = heapq.heappop(heap)
            u = self.units[k]
            before = (u.t, len(u.steps))
            self.decide(k)
            if (u.t, len(u.steps)) == before and not u.done:
                log.error("segment scheduler: unit %s made no progress at %.1f; sending it home", u.name, u.t)
                self._go_home(u)
            if not u.done:
                heapq.heappush(heap, (u.t, k))
            if self.progress is not None and u.t - last_report >= 15:
                self.progress(min(1.0, (u.t - self.inp.start) / span))
                last_report = u.t


def run_segments(inp: DayInput, units: list[Unit], net: ShortestPaths, segments: list[Segment | None], *,
                 margin: float = 1.0, excursion_cap: float = 45.0, dwell_window: tuple[float, float] = (0.65, 0.85),
                 release_min: float = 75.0, tour_first_min: float = 120.0, area_release_min: float = 100.0,
                 walk_target: dict[str, float] | None = None, progress: Callable[[float], None] | None = None,
                 tour_cache: dict | None = None, tour_time_s: float = 10.0, keep_walking: bool = False) -> dict:
    """Schedule the shift with one corridor segment per unit (in place: ``unit.steps``).

    Parameters
    ----------
    inp : DayInput
    units : list of Unit
    net : _Net
        Shortest paths on the district.
    segments : list of Segment or None
        Per unit, its segment (``None``: no segment, e.g. a rover).  Each segment's round must start
        at a corner (it is rotated to the corner nearest the base).
    margin : float
        Minutes kept between a pass and the revisit limit.
    excursion_cap : float
        Longest excursion off the round, minutes.
    dwell_window : (float, float)
        Next dwell on a hot spot between these fractions of the revisit limit after the last one
        (drawn from the seed).
    tour_cache : dict, optional
        Area tours already found (kept across the variants of a day; see :func:`.tours.area_tours`).
    keep_walking : bool
        A unit without a segment that has nothing left to do walks its area tour again instead of standing or
        going home early (beats: the balance target is day-wide, :mod:`.beats`).
    tour_time_s : float
        Wall-clock cap of the area tours' search (they stop on an iteration count first; with no time left, a
        unit's tour is its nearest block next, :func:`.tours.area_tours`).

    Returns
    -------
    dict
        ``checked`` (per due business), ``passes`` and ``hotspot_dwells`` per block.
    """
    for s, u in zip(segments, units, strict=True):  # each round starts at its corner nearest the unit's start
        if s is not None:
            s.rotate_to(min(s.nodes, key=lambda x: (net.dist[u.start_node, x], x)))
    sch = _SegmentScheduler(inp, units, net, segments, margin=margin, excursion_cap=excursion_cap,
                            dwell_window=dwell_window, release_min=release_min, tour_first_min=tour_first_min,
                            area_release_min=area_release_min, walk_target=walk_target,
                            progress=progress, tour_cache=tour_cache, tour_time_s=tour_time_s,
                            keep_walking=keep_walking)
    sch.run()
    return {"checked": sch.checked, "passes": sch.passes, "hotspot_dwells": sch.hs_dwells, "assign": sch.assign,
            "tours": sch.tours, "tour_pos": sch.tour_pos,
            "corridor": {"design": "segments", "segments": [
                {"unit": u.name, "blocks": s.blocks, "round_min": round(s.minutes, 1), "load_min": round(s.load, 1)}
                for u, s in zip(units, segments, strict=True) if s is not None]}}
