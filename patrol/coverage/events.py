"""Special events and cameras in planners' scenarios: what an event costs in coverage, and where ambassadors matter
most with cameras.

Events (``[[events]]`` of a scenario, docs/scenario-format.md)
    During its window (set-up to dispersal) an event

    * **draws presence**: the ``ambassadors`` units nearest to it when the window opens (fewest break minutes in
      the window first, then the walk to the event, then the name) leave their day, walk to the event's anchor
      at the patrol speed (arriving when the window opens, or as soon as they can), stay there (``dwell``) or
      walk round its blocks (``loop``: to each block's nearer end in turn, then along it) until the window
      closes, then walk back to where their day has them at that moment and carry on from there (so the part
      of the day spent walking back is skipped).  A unit's break inside the window is lost.  A unit already at
      an earlier event is not taken again while it is there.
    * **adds demand**: the event's blocks in the patrol area carry ``demand`` times the area's total demand
      weight during the window, shared by block length; the demand-weighted coverage weighs every
      block-minute by it (:func:`patrol.coverage.presence.score_presence`, ``extra_weights``).  Monte Carlo
      incidents keep the district's demand (the event's own incidents are not drawn).

    :func:`event_presence_share` measures whether the events got their presence: the share of event-window
    minutes with at least ``ambassadors`` units on the event's blocks.
Cameras (``[cameras]``)
    ``watched = true`` counts the blocks the cameras watch (:mod:`patrol.cameras`) as having presence at every
    minute in the coverage scores (revisit shares, gaps, demand-weighted coverage; not the hours of visible
    presence, not response times); ``lean`` (0-1) multiplies the demand weight of watched blocks by
    ``1 - lean`` where the deployment is chosen (posts and the hot spots scored), so ambassadors go where no
    camera looks.  The demand that incidents are drawn from and that coverage is weighted by stays the
    district's.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from patrol.coverage.presence import Positions, visible_mask
from patrol.district import District
from patrol.errors import ConfigError, PatrolError
from patrol.events import Presence, resolve_place
from patrol.paths import ShortestPaths
from patrol.timeline import Leg, Timeline

__all__ = ["CameraOptions", "ScenarioEvent", "event_extra_weights", "event_presence_share", "with_events"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CameraOptions:
    """The ``[cameras]`` table of a scenario.

    Attributes
    ----------
    file : str or None
        The registry file (default: the district's ``cameras.toml``).
    watched : bool
        Count watched blocks as having presence in the coverage scores.
    lean : float
        0-1: the deployment's demand weight of watched blocks is multiplied by ``1 - lean``.
    """

    file: str | None = None
    watched: bool = False
    lean: float = 0.0


@dataclass(frozen=True)
class ScenarioEvent:
    """An event of a scenario (on the scenario's day; minutes after local midnight).

    Attributes
    ----------
    name : str
    start_min, end_min : float
        The event itself; the presence window adds ``presence.before_min`` / ``after_min``.
    place : str or None
    blocks : tuple of int
        Listed blocks (when no place).
    radius_m : float
    crowd : int or None
    demand : float
        Extra demand during the window, as a share of the area's total demand weight.
    presence : Presence
    resolved : tuple of int
        The footprint on the district (filled by :meth:`resolve`).
    anchor : (int, float)
    """

    name: str
    start_min: float
    end_min: float
    place: str | None = None
    blocks: tuple[int, ...] = ()
    radius_m: float = 0.0
    crowd: int | None = None
    demand: float = 0.25
    presence: Presence = field(default_factory=Presence)
    resolved: tuple[int, ...] = ()
    anchor: tuple[int, float] = (0, 0.0)

    @property
    def window(self) -> tuple[float, float]:
        """The presence window (set-up to dispersal), minutes after midnight."""
        return self.start_min - self.presence.before_min, self.end_min + self.presence.after_min

    def resolve(self, district: District) -> ScenarioEvent:
        """A copy with its footprint resolved on the district.

        Raises
        ------
        ConfigError
            Naming the event when its place or blocks are not the district's.
        """
        try:
            blocks, anchor, *_ = resolve_place(district, self.place, list(self.blocks) or None,
                                               radius_m=self.radius_m)
        except PatrolError as exc:  # a place the geocoder cannot find, a block that is not the district's
            raise ConfigError(f"event {self.name!r}: {exc.message}", field="events.place") from exc
        return replace(self, resolved=blocks, anchor=anchor)


# ---------------------------------------------------------------------------------------------- presence
def _route(arrays, sp: ShortestPaths, frm: tuple[int, float], to: tuple[int, float]
           ) -> tuple[float, int, float, int, float]:
    """The shortest walk between two points on different blocks: ``(metres, node0, end offset0, node1, end
    offset1)`` through the better pair of block ends."""
    b0, o0 = frm
    b1, o1 = to
    length0, length1 = float(arrays.edge_length[b0]), float(arrays.edge_length[b1])
    ends0 = ((int(arrays.edge_u[b0]), o0, 0.0), (int(arrays.edge_v[b0]), length0 - o0, length0))
    ends1 = ((int(arrays.edge_u[b1]), o1, 0.0), (int(arrays.edge_v[b1]), length1 - o1, length1))
    return min(((d0 + float(sp.dist[n0, n1]) + d1, n0, e0, n1, e1) for n0, d0, e0 in ends0 for n1, d1, e1 in ends1),
               key=lambda x: x[0])


def _walk(arrays, sp: ShortestPaths, frm: tuple[int, float], to: tuple[int, float], t: float,
          speed_m_min: float) -> tuple[list[Leg], float]:
    """Walk legs from one point to another along the streets, starting at ``t``; returns them and the arrival."""
    b0, o0 = frm
    b1, o1 = to
    if b0 == b1:
        dt = abs(o1 - o0) / speed_m_min
        return ([Leg(t, t + dt, b0, o0, o1, "walk")] if dt > 0 else []), t + dt
    metres, n0, e0, n1, e1 = _route(arrays, sp, frm, to)
    if not math.isfinite(metres):
        raise ConfigError(f"block {b1} cannot be reached from block {b0}", field="events.place")
    legs: list[Leg] = []
    if abs(o0 - e0) > 0:
        dt = abs(o0 - e0) / speed_m_min
        legs.append(Leg(t, t + dt, b0, o0, e0, "walk"))
        t += dt
    for e, a in sp.path(n0, n1):
        length = float(arrays.edge_length[e])
        fwd = int(arrays.edge_u[e]) == a
        dt = length / speed_m_min
        legs.append(Leg(t, t + dt, e, 0.0 if fwd else length, length if fwd else 0.0, "walk"))
        t += dt
    if abs(o1 - e1) > 0:
        dt = abs(o1 - e1) / speed_m_min
        legs.append(Leg(t, t + dt, b1, e1, o1, "walk"))
        t += dt
    return legs, t


def _cut(legs: list[Leg], t_end: float) -> list[Leg]:
    """Legs cut at ``t_end``."""
    out = []
    for leg in legs:
        if leg.t0 >= t_end:
            break
        if leg.t1 > t_end:
            leg = Leg(leg.t0, t_end, leg.block, leg.off0, leg.position(t_end), leg.activity, leg.ref, leg.business)
        out.append(leg)
    return out


def _at_event(arrays, sp: ShortestPaths, ev: ScenarioEvent, t: float, t_end: float,
              speed_m_min: float) -> list[Leg]:
    """Presence at the event from ``t`` to ``t_end``: a dwell at the anchor, or loops round its blocks."""
    if t >= t_end:
        return []
    b, o = ev.anchor
    if ev.presence.mode == "dwell":
        return [Leg(t, t_end, b, o, o, "dwell", ev.name)]
    legs: list[Leg] = []
    here = (b, o)
    k = 0
    blocks = list(ev.resolved)
    while t < t_end - 1e-9:
        e = blocks[k % len(blocks)]
        length = float(arrays.edge_length[e])
        if here[0] == e:  # on it already: along it to the other end
            start = 0.0 if here[1] <= length / 2 else length
        else:  # to its nearer end first
            start = min((0.0, length), key=lambda off: _route(arrays, sp, here, (e, off))[0])
            move, t = _walk(arrays, sp, here, (e, start), t, speed_m_min)
            legs += move
        end = length - start
        dt = max(length, 1.0) / speed_m_min
        legs.append(Leg(t, t + dt, e, start, end, "walk", ev.name))
        t += dt
        here = (e, end)
        k += 1
    return _cut(legs, t_end)


def with_events(timeline: Timeline, district: District, events: Sequence[ScenarioEvent], sp: ShortestPaths, *,
                shift: tuple[float, float]) -> tuple[Timeline, dict[str, list[str]]]:
    """The day with the events' presence (see the module docstring).

    Returns
    -------
    Timeline, dict
        The new timeline, and per event name the units sent there.
    """
    if not events:
        return timeline, {}
    arrays = district.arrays
    speed = district.settings.speeds.patrol_m_s * 60.0
    legs = {w: list(seq) for w, seq in timeline.legs.items()}
    busy: dict[str, list[tuple[float, float]]] = {w: [] for w in legs}
    sent: dict[str, list[str]] = {}
    for ev in sorted(events, key=lambda e: (e.window[0], e.name)):
        w0, w1 = max(ev.window[0], shift[0]), min(ev.window[1], shift[1])
        if w1 <= w0:
            sent[ev.name] = []
            continue
        work = Timeline(legs)
        options = []
        for w in legs:
            if any(a < w1 and w0 < b for a, b in busy[w]):
                continue
            pos = work.position(w, w0)
            if pos is None:
                continue
            _, t_arr = _walk(arrays, sp, (pos[0], pos[1]), ev.anchor, 0.0, speed)
            breaks = sum(max(0.0, min(leg.t1, w1) - max(leg.t0, w0)) for leg in legs[w] if leg.activity == "break")
            options.append((round(breaks, 6), round(t_arr, 6), w, t_arr))
        chosen = sorted(options)[:ev.presence.ambassadors]
        sent[ev.name] = [c[2] for c in chosen]
        for _, _, w, travel in chosen:
            seq = legs[w]
            t_leave = max(shift[0], w0 - travel)
            start = work.position(w, t_leave)
            if start is None:
                start = (ev.anchor[0], ev.anchor[1], "walk")
            before = _cut(seq, t_leave)
            go, t_there = _walk(arrays, sp, (start[0], start[1]), ev.anchor, t_leave, speed)
            stay = _at_event(arrays, sp, ev, t_there, w1, speed)
            last = stay[-1] if stay else (go[-1] if go else None)
            here = (ev.anchor if last is None else (last.block, last.off1))
            back_to = work.position(w, w1)
            tail: list[Leg] = []
            t_back = max(w1, t_there)
            if back_to is not None:
                walk_back, t_back = _walk(arrays, sp, here, (back_to[0], back_to[1]), t_back, speed)
                tail = walk_back
            after = []
            for leg in seq:
                if leg.t1 <= t_back:
                    continue
                if leg.t0 < t_back:
                    leg = Leg(t_back, leg.t1, leg.block, leg.position(t_back), leg.off1, leg.activity, leg.ref,
                              leg.business)
                after.append(leg)
            legs[w] = [*before, *_cut(go, w1), *stay, *tail, *after]
            busy[w].append((t_leave, t_back))
        log.info("event %s: %s sent", ev.name, ", ".join(sent[ev.name]) or "nobody")
    return Timeline(legs), sent


# ---------------------------------------------------------------------------------------------- scores
def event_extra_weights(arrays, events: Sequence[ScenarioEvent], times: np.ndarray,
                        weights: np.ndarray) -> np.ndarray | None:
    """Extra demand weight per step and block during the events' windows (``None`` without events).

    Each event adds ``demand x`` the area's total weight to its area blocks, shared by length, at every step
    whose middle lies in its window.
    """
    if not events:
        return None
    area = np.asarray(arrays.edge_in_area, bool)
    total = float((np.asarray(weights, float) * area).sum())
    extra = np.zeros((times.size, arrays.n_edges))
    for ev in events:
        blocks = np.array([b for b in ev.resolved if area[b]], dtype=np.int64)
        if blocks.size == 0 or ev.demand <= 0:
            continue
        lengths = np.asarray(arrays.edge_length, float)[blocks]
        share = lengths / lengths.sum() * ev.demand * total
        w0, w1 = ev.window
        on = (times >= w0) & (times < w1)
        extra[np.ix_(on, blocks)] += share
    return extra


def event_presence_share(positions: Positions, events: Sequence[ScenarioEvent]) -> float:
    """Share of event-window steps with at least ``ambassadors`` units on the event's blocks (visible), over all
    events (``nan`` without events or when no window falls in the shift)."""
    hits = steps = 0
    vis = visible_mask(positions.activity)
    for ev in events:
        w0, w1 = ev.window
        on = (positions.times >= w0) & (positions.times < w1)
        if not on.any():
            continue
        there = np.isin(positions.block[on], np.array(ev.resolved, dtype=np.int64)) & vis[on]
        hits += int((there.sum(axis=1) >= ev.presence.ambassadors).sum())
        steps += int(on.sum())
    return hits / steps if steps else float("nan")
