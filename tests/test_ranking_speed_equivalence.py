"""The fast paths of a ranking give exactly what the straightforward computations give.

* :class:`~patrol.dispatch.cost.PlanCosts` (corridor gaps from the runs of passes taken out, overlaps found by
  bisection, breaks' windows worked out once) against a brute force of the module's rules: take the unit's
  passes overlapping the busy window out, sort each block's remaining pass times, take the first longest gap;
  every check-in and break leg tested;
* :meth:`Record.latest_pings` (one query) against the latest ping per name picked from all the pings;
* :meth:`Timeline.leg_at` (bisection) against a scan of the legs;
* the desk's ranking on Uptown with pings, duty changes and assignments in the record: every ranked unit's
  cost as the brute force works it out for its busy window.
"""

from __future__ import annotations

import math
import random
from datetime import timedelta

import pytest

from patrol.dispatch import Desk, Record
from patrol.dispatch.clock import local_moment, parse_time
from patrol.dispatch.cost import CorridorGap, MissedCheckin, PlanCosts, PlanRules, PushedBreak
from patrol.district import District
from patrol.geocode import Location
from patrol.timeline import Leg, Pass, Timeline

TOL = 1e-3  # minutes: the busy-window test of patrol.dispatch.cost's docstring
LENGTHS = [120.0, 80.0, 0.5, 200.0, 60.0, 150.0, 90.0, 110.0, 70.0, 130.0]
CORRIDOR = {b: f"street {b}" for b in range(7)}
BUSINESSES = {3: ("Three", 600.0, 1020.0), 5: ("Five", 660.0, 1080.0)}
RULES = PlanRules(shift=(600.0, 1080.0), first_visit_min=60.0, revisit_min=30.0, meal_window=(690.0, 870.0),
                  meal_min=30.0)


def random_legs(rng: random.Random, start: float) -> list[Leg]:
    """A walker's day of whole-minute legs (so pass times tie): blocks walked end to end in one leg or two,
    partial walks (no pass), check-ins, breaks and idle gaps."""
    legs: list[Leg] = []
    t = start
    while t < 1090.0:
        b = rng.randrange(len(LENGTHS))
        length = LENGTHS[b]
        d = float(rng.randint(0, 4))
        kind = rng.random()
        if kind < 0.5:  # end to end, either way
            fwd = rng.random() < 0.5
            legs.append(Leg(t, t + d, b, 0.0 if fwd else length, length if fwd else 0.0))
        elif kind < 0.6:  # end to end in two legs with a check-in on the block between them
            legs += [Leg(t, t + d, b, 0.0, length / 2), Leg(t + d, t + d + 2, b, length / 2, length / 2, "checkin",
                                                              "Shop", rng.choice([3, 5, -1])),
                     Leg(t + d + 2, t + 2 * d + 2, b, length / 2, length)]
            d = 2 * d + 2
        elif kind < 0.7:  # part of a block: no pass
            legs.append(Leg(t, t + d, b, 0.0, length / 3))
        elif kind < 0.85:
            legs.append(Leg(t, t + d + 1, b, 5.0, 5.0, "checkin", rng.choice(["", "Corner shop"]),
                            rng.choice([3, 5, -1, 8])))
            d += 1
        elif kind < 0.92:
            d = rng.choice([15.0, 30.0])
            legs.append(Leg(t, t + d, b, 0.0, 0.0, "break", "rest" if d < 30 else "meal"))
        t += d + rng.choice([0.0, 0.0, 1.0, 3.0])
    return legs


def brute_gap(points: list[float], rules: PlanRules = RULES) -> tuple[float, float, float]:
    """The first longest gap between ``lo``, the sorted points and the shift end."""
    pts = [rules.shift[0] + rules.first_visit_min - rules.revisit_min, *sorted(points), rules.shift[1]]
    best = max(pts[i + 1] - pts[i] for i in range(len(pts) - 1))
    i = next(i for i in range(len(pts) - 1) if pts[i + 1] - pts[i] == best)
    return best, pts[i], pts[i + 1]


def brute_corridor(passes: dict[int, list[Pass]], corridor: dict[int, str], walker: str, at: float,
                   until: float, rules: PlanRules = RULES) -> tuple[CorridorGap, ...]:
    lost = [p for b in corridor for p in passes.get(b, []) if p.walker == walker and p.t_start < until - TOL
            and p.t_end > at + TOL]
    out = []
    for b in sorted({p.block for p in lost}):
        planned = brute_gap([p.t_end for p in passes[b]], rules)[0]
        gap, g0, g1 = brute_gap([p.t_end for p in passes[b] if all(p is not q for q in lost)], rules)
        if gap > rules.revisit_min + TOL and gap > planned + TOL:
            out.append(CorridorGap(b, corridor[b], planned, gap, g0, g1))
    return tuple(out)


def brute_checkins(legs: list[Leg], businesses: dict, at: float, until: float) -> tuple[MissedCheckin, ...]:
    out = []
    for leg in legs:
        if leg.activity == "checkin" and leg.t0 < until - TOL and leg.t1 > at + TOL:
            known = businesses.get(leg.business)
            out.append(MissedCheckin(leg.business, known[0] if known else (leg.ref or "a business"), leg.t0,
                                     known[1] if known else None, known[2] if known else None))
    return tuple(out)


def solve(f, target: float, guess: float) -> list[float]:
    """``x`` near ``guess`` (a few ulps away) with ``f(x) == target`` exactly, and the float just below it."""
    x = guess
    for _ in range(16):
        if f(x) == target:
            return [x, math.nextafter(x, -math.inf)]
        x = math.nextafter(x, math.inf if f(x) < target else -math.inf)
    return []


def brute_breaks(legs: list[Leg], rules: PlanRules, at: float, until: float) -> tuple[PushedBreak, ...]:
    """The module's rule: a break overlapping the window starts when the unit is free, keeping its length; out of
    its window when it then ends after the meal window (the meal: the first break of at least ``meal_min`` inside
    the meal window) or, for a rest break, after the unit's next break starts (or the shift ends)."""
    breaks = [leg for leg in legs if leg.activity == "break"]
    ws, we = rules.meal_window
    meals = [leg for leg in breaks if leg.t1 - leg.t0 >= rules.meal_min - TOL and ws - TOL <= leg.t0
             and leg.t1 <= we + TOL]
    meal = meals[0] if meals and rules.meal_min > 0 else None
    out = []
    for i, leg in enumerate(breaks):
        if leg.t0 < until - TOL and leg.t1 > at + TOL:
            nxt = next((x.t0 for x in breaks[i + 1:] if x.t0 >= leg.t1 - TOL), rules.shift[1])
            kind, end = ("meal", min(we, rules.shift[1])) if leg is meal else ("rest", min(nxt, rules.shift[1]))
            start = max(leg.t0, until)
            out.append(PushedBreak(kind, leg.t0, leg.t1 - leg.t0, start, end,
                                   start + (leg.t1 - leg.t0) > end + TOL))
    return tuple(out)


def windows(rng: random.Random, tl: Timeline, n: int) -> list[tuple[str, float, float, float]]:
    """Random ``(walker, at, travel, on scene)``; some start exactly where ``at + tol`` is a leg's end, some end
    exactly where ``until - tol`` is a leg's start (the edges of the busy-window test), and the floats beside."""
    ends = [leg.t1 for legs in tl.legs.values() for leg in legs]
    starts = [leg.t0 for legs in tl.legs.values() for leg in legs]
    out = []
    for _ in range(n):
        walker = rng.choice([*tl.legs, "nobody"])
        travel, scene = rng.choice([rng.uniform(-2.0, 30.0), 0.0]), rng.choice([rng.uniform(0.0, 90.0), 20.0])
        out.append((walker, rng.choice([rng.uniform(560.0, 1100.0), float(rng.randint(580, 1090))]), travel, scene))
        e, s = rng.choice(ends), rng.choice(starts)
        out += [(walker, at, travel, scene) for at in solve(lambda x: x + TOL, e, e - TOL)]
        out += [(walker, at, 0.0, 20.0) for at in solve(lambda x: x + 0.0 + 20.0 - TOL, s, s - 20.0 + TOL)]
    return out


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_costs_equal_the_brute_force_on_random_plans(seed):
    rng = random.Random(seed)
    tl = Timeline({w: random_legs(rng, rng.choice([560.0, 600.0, 640.0])) for w in ("a", "b", "c", "d")})
    costs = PlanCosts(tl, lengths=LENGTHS, corridor=CORRIDOR, businesses=BUSINESSES, rules=RULES)
    passes = tl.passes(LENGTHS)
    counted = edges = pushed = 0
    for walker, at, travel, scene in windows(rng, tl, 1000):
        edges += any(abs(at + TOL - p.t_end) < 1e-9 or abs(at + max(travel, 0.0) + scene - TOL - p.t_start) < 1e-9
                     for ps in passes.values() for p in ps)
        c = costs.cost(walker, at, travel, scene)
        until = at + max(travel, 0.0) + max(scene, 0.0)
        assert c.busy_until_min == until
        assert c.corridor == brute_corridor(passes, CORRIDOR, walker, at, until), (walker, at, until)
        assert c.checkins == brute_checkins(tl.legs.get(walker, []), BUSINESSES, at, until), (walker, at, until)
        assert c.breaks == brute_breaks(tl.legs.get(walker, []), RULES, at, until), (walker, at, until)
        counted += len(c.corridor)
        pushed += len(c.breaks)
    assert counted > 500 and edges > 1000 and pushed > 100  # the windows do push blocks over their gap
    for b in CORRIDOR:
        assert costs.planned_gap(b) == brute_gap([p.t_end for p in passes.get(b, [])])[0]


def test_latest_pings_equal_the_latest_of_all_pings(tmp_path):
    rng = random.Random(7)
    rec = Record(str(tmp_path / "p.db"))
    t0 = parse_time("2026-06-02T15:00:00Z")
    names = ["lead", "amb2", "amb3", "amb4", "amb5"]
    for _ in range(400):  # whole seconds, so several pings of one name share a time (the latest id wins)
        rec.add_ping(rng.choice(names[:4]), 44.95, -93.29, t=t0 + timedelta(seconds=rng.randint(0, 600)),
                     block=rng.choice([None, rng.randrange(50)]), offset_m=rng.uniform(0, 50))
    everything = rec.pings()
    for k in range(60):
        at = t0 + timedelta(seconds=rng.randint(-10, 620))
        asked = rng.sample([*names, "nobody"], rng.randint(0, 6))
        want = {}
        for n in asked:
            mine = [p for p in everything if p.ambassador == n and parse_time(p.t) <= at]
            if mine:
                want[n] = max(mine, key=lambda p: (p.t, p.id))
        got = rec.latest_pings(at, names=asked)
        assert got == want and list(got) == list(want), k


def test_the_leg_under_way_equals_a_scan_of_the_legs():
    rng = random.Random(3)
    tl = Timeline({w: random_legs(rng, 600.0) for w in ("a", "b")})
    times = [leg.t0 for leg in tl.legs["a"]] + [leg.t1 for leg in tl.legs["a"]]
    for t in [*times, *(rng.uniform(550.0, 1120.0) for _ in range(2000))]:
        for w, legs in tl.legs.items():
            started = [leg for leg in legs if leg.t0 <= t]
            want = started[-1] if started and t <= started[-1].t1 + 1e-9 else None
            assert tl.leg_at(w, t) is want, (w, t)


def corridor_plan(district: District, rng: random.Random) -> Timeline:
    """Every roster member walking random corridor blocks of Uptown end to end at 1 m/s, with check-ins at
    businesses and a meal break."""
    a = district.arrays
    corridor = [int(b) for b in range(len(a.edge_length)) if a.edge_in_area[b] and a.edge_corridor[b]]
    plan = {}
    for name in district.settings.roster.ambassador_names():
        legs, t = [], 600.0
        while t < 1070.0:
            b = rng.choice(corridor)
            length = float(a.edge_length[b])
            if rng.random() < 0.15:
                legs.append(Leg(t, t + 5.0, b, 0.0, 0.0, "checkin", "", rng.randrange(len(district.businesses))))
                t += 5.0
            elif 720.0 <= t < 760.0 and not any(leg.activity == "break" for leg in legs):
                legs.append(Leg(t, t + 30.0, b, 0.0, 0.0, "break", "meal"))
                t += 30.0
            else:
                legs.append(Leg(t, t + length / 60.0, b, 0.0, length))
                t += length / 60.0
        plan[name] = legs
    return Timeline(plan)


def test_the_desk_ranking_costs_equal_the_brute_force(uptown, tmp_path):
    rng = random.Random(11)
    tl = corridor_plan(uptown, rng)
    record = Record(str(tmp_path / "r.db"))
    desk = Desk(uptown, record=record, timeline=tl)
    costs = desk.plan_costs
    assert costs is not None
    passes = tl.passes(uptown.arrays.edge_length)
    tz = uptown.settings.district.timezone
    names = uptown.settings.roster.ambassador_names()
    a = uptown.arrays
    blocks = [int(b) for b in range(len(a.edge_length)) if a.edge_in_area[b]]
    t = local_moment("10:30", tz, on="2026-06-02")
    checked = 0
    for _ in range(160):
        t += timedelta(seconds=rng.uniform(20.0, 200.0))
        b = rng.choice(blocks)
        off = rng.uniform(0.0, float(a.edge_length[b]))
        lat, lon = uptown.geocoder.point_on_block(b, off)
        here = Location(lat=lat, lon=lon, block=b, offset_m=off, matched="here", kind="point", in_area=True)
        r = rng.random()
        if r < 0.5:
            desk.ping(rng.choice(names), lat, lon, t=t)
        elif r < 0.55:
            desk.set_duty(rng.choice(names), rng.choice(["on break", "on shift", "off duty"]), at=t)
        elif r < 0.6:
            inc = record.new_incident(type="disturbance", source="phone", location_text="here", matched="here",
                                      lat=lat, lon=lon, block=b, offset_m=off, in_area=True, at=t)
            desk.assign(inc.id, rng.choice(names), when=t)
        arrive_by = rng.random() < 0.2
        ranking = desk.rank(here, when=t, incident_type=rng.choice([None, "mental health"]), arrive_by=arrive_by)
        for c in ranking.ranked:
            assert c.cost is not None and c.eta_min is not None
            at = ranking.minute - c.eta_min if arrive_by else ranking.minute
            until = at + c.eta_min + (ranking.on_scene_min or 0.0)
            assert c.cost.busy_from_min == at and c.cost.busy_until_min == until
            assert c.cost.corridor == brute_corridor(passes, costs.corridor, c.ambassador, at, until, costs.rules)
            assert c.cost.checkins == brute_checkins(tl.legs[c.ambassador], costs.businesses, at, until)
            assert c.cost.breaks == brute_breaks(tl.legs[c.ambassador], costs.rules, at, until)
            checked += 1 + len(c.cost.corridor)
    assert checked > 600
