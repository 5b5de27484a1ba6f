"""A unit's day in plain words: the rows of its route sheet, its stops in order, its breaks and totals.

The route sheets (:mod:`.sheets`) and the plan map (:mod:`.plan_map`) both read a plan (the plan.json content,
``docs/plan-schema.md``) through :func:`unit_day`, so a stop has the same number and the same words on paper and
on the map.  Rows are made from the plan's steps in three passes:

1. consecutive walk steps along one street in one direction become one row ("Walk W Lake St from Hennepin
   Ave S to Girard Ave S"); a turn into another street or a turn back starts a new row;
2. a row that would read as zero minutes (its start and end show the same ``HH:MM``, or it lasts under half a
   minute: a few metres to the next door, a moment at a corner) is folded into a neighbour: a short walk
   followed by a walk into that walk, anything else into the row before, so the times still run on without a
   gap and a stop (a check-in in opening hours, a break) keeps its own start time;
3. walks that now follow each other along one street are joined again.

Words are the program's, not the planner's: "Check in with X", "Stay at hot spot 4", "Meal break",
"Stand at W Lake St & Girard Ave S"; places are corners named by their cross streets (the district graph's node
labels, "A & B"), or "Girard Ave S between W Lake St and W 31st St" for a point along a block.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass, field
from typing import Any

from shapely.geometry import LineString
from shapely.ops import substring

from patrol.district import District
from patrol.settings import format_hhmm

__all__ = [
    "BreakTime",
    "Row",
    "RouteGeometry",
    "UnitDay",
    "date_text",
    "distance_text",
    "minutes_text",
    "shortfall_text",
    "unit_day",
]

#: Full day names of plan.json's ``day``.
DAY_NAMES = {"mon": "Monday", "tue": "Tuesday", "wed": "Wednesday", "thu": "Thursday", "fri": "Friday",
             "sat": "Saturday", "sun": "Sunday"}
#: Rows shorter than this (minutes) are folded into their neighbour.
SHORTEST_ROW_MIN = 0.5
#: Plain names of the planner's targets (``shortfalls[].target``).
TARGET_WORDS = {
    "corridor_revisit": "Longest wait of a corridor block between two walks",
    "hotspot_revisit": "Longest time a hot spot goes without a 10-15 minute stay",
    "checkins": "Businesses checked in with",
    "area_coverage": "Other blocks of the patrol area walked",
    "balance": "Walking shared evenly (most / least walking per hour)",
    "breaks": "Meal and rest breaks",
    "min_on_street": "People on the street during breaks",
}


def date_text(plan: dict[str, Any]) -> str:
    """"Tuesday 2 June 2026" (the plan's date), or just the weekday when the plan has no date."""
    if plan.get("date"):
        d = dt.date.fromisoformat(str(plan["date"]))
        return f"{d:%A} {d.day} {d:%B %Y}"
    return DAY_NAMES.get(str(plan.get("day", "")), str(plan.get("day", "")))


def distance_text(metres: float) -> str:
    """A walking distance as people say it: tenths of a kilometre from 1 km on, else tens of metres.

    >>> distance_text(17494), distance_text(996), distance_text(987), distance_text(342), distance_text(4.4)
    ('17.5 km', '1.0 km', '990 m', '340 m', '10 m')
    """
    tens = round(metres, -1)
    if tens >= 1000:
        return f"{metres / 1000:.1f} km"
    return f"{max(10, int(tens))} m"


def minutes_text(minutes: float) -> str:
    """"25 min", "1 h", "1 h 5 min".

    >>> minutes_text(25), minutes_text(60), minutes_text(65.2)
    ('25 min', '1 h', '1 h 5 min')
    """
    m = int(round(minutes))
    if m < 60:
        return f"{m} min"
    return f"{m // 60} h" + (f" {m % 60} min" if m % 60 else "")


def _minute(t: float) -> int:
    return int((t + 1e-6) // 1)  # the minute format_hhmm shows


@dataclass(frozen=True)
class Row:
    """One line of a route sheet.

    Attributes
    ----------
    t0, t1 : float
        Minutes after midnight (the steps folded in included).
    kind : str
        ``walk``, ``checkin``, ``hotspot``, ``break`` or ``post``.
    text : str
        What to do, in plain words.
    where : str
        Where (a corner, or a street between two corners); empty for walks (the text says it).
    length_m : float
        Metres walked (walk rows).
    stop : int
        Number of the stop in the unit's day (1, 2, ...; 0 for walks).
    steps : tuple of int
        Indices of the plan's steps this row stands for.
    block, offset_m : int, float
        Where a stop is (its block and offset from the block's ``u`` end); -1 for walks.
    subject : str
        What a stop is about: the business's name (check-ins), the hot spot's id, ``meal`` or ``rest``
        (breaks), the planner's reason (posts); empty for walks.
    """

    t0: float
    t1: float
    kind: str
    text: str
    where: str = ""
    length_m: float = 0.0
    stop: int = 0
    steps: tuple[int, ...] = ()
    block: int = -1
    offset_m: float = 0.0
    subject: str = ""

    @property
    def start(self) -> str:
        return format_hhmm(self.t0)

    @property
    def end(self) -> str:
        return format_hhmm(self.t1)

    @property
    def minutes(self) -> int:
        """Minutes between the start and end shown (so a column of them adds up with the times)."""
        return _minute(self.t1) - _minute(self.t0)


@dataclass(frozen=True)
class BreakTime:
    """A break: ``meal`` or ``rest``, when and where."""

    kind: str
    t0: float
    t1: float
    where: str

    @property
    def text(self) -> str:
        return f"{self.kind} {format_hhmm(self.t0)}-{format_hhmm(self.t1)}"


@dataclass(frozen=True)
class UnitDay:
    """A unit's day as its route sheet shows it."""

    name: str
    members: tuple[str, ...]
    role: str
    hours: tuple[str, str]
    rows: tuple[Row, ...]
    walk_km: float
    breaks: tuple[BreakTime, ...]
    start: str
    end: str

    @property
    def stops(self) -> list[Row]:
        return [r for r in self.rows if r.stop]

    @property
    def checkins(self) -> int:
        return sum(r.kind == "checkin" for r in self.rows)

    @property
    def hotspot_stays(self) -> list[Row]:
        return [r for r in self.rows if r.kind == "hotspot"]

    @property
    def who(self) -> str:
        """The unit's people: its name, or "amb3 and amb4" for a pair whose members the name does not list."""
        if len(self.members) <= 1:
            return self.members[0] if self.members else self.name
        return ", ".join(self.members[:-1]) + f" and {self.members[-1]}"

    @property
    def role_text(self) -> str:
        return "roving supervisor" if self.role == "rover" else ""


# ------------------------------------------------------------------------------------------ places
def _cross(label: str, street: str) -> str:
    """The other streets at a corner: "W Lake St & Girard Ave S" seen from W Lake St is "Girard Ave S"."""
    others = [n for n in label.split(" & ") if n and n != street]
    return " & ".join(others)


class _Places:
    """Names of corners and of points along blocks, from the district's graph."""

    def __init__(self, district: District) -> None:
        self.district = district
        self.a = district.arrays
        self.graph = district.graph
        self.base_node = int(district.base_node)

    def label(self, node: int) -> str:
        return str(self.graph.nodes[node].get("label", ""))

    def ends(self, block: int) -> tuple[int, int]:
        return int(self.a.node_ids[self.a.edge_u[block]]), int(self.a.node_ids[self.a.edge_v[block]])

    def street(self, block: int) -> str:
        return str(self.a.edge_name[block])

    def corner_from(self, node: int, street: str) -> str:
        """A corner as seen walking ``street``: its cross streets ("the dead end", or "the end of the block" where
        the street only changes block)."""
        if node == self.base_node:
            return "the base"
        return _cross(self.label(node), street) or ("the dead end" if self.graph.degree(node) == 1
                                                    else "the end of the block")

    def point(self, block: int, offset: float) -> str:
        """A corner's label when ``offset`` is at an end of the block, else "Street between A and B"."""
        u, v = self.ends(block)
        length = float(self.a.edge_length[block])
        street = self.street(block)
        if offset <= 1.0:
            return self.corner(u)
        if offset >= length - 1.0:
            return self.corner(v)
        a, b = _cross(self.label(u), street), _cross(self.label(v), street)
        return f"{street} between {a} and {b}" if a and b else street

    def corner(self, node: int) -> str:
        label = self.label(node)
        return f"the base ({label})" if node == self.base_node else label


# ------------------------------------------------------------------------------------------ rows
@dataclass
class _Group:
    kind: str  # walk | checkin | hotspot | break | post
    t0: float
    t1: float
    steps: list[int]
    street: str = ""
    start_node: int | None = None
    end_node: int | None = None
    first_block: int = -1
    last_block: int = -1
    length_m: float = 0.0
    step: dict[str, Any] = field(default_factory=dict)  # the stop's step (stops)

    @property
    def short(self) -> bool:
        return self.t1 - self.t0 < SHORTEST_ROW_MIN or _minute(self.t1) == _minute(self.t0)


_KIND = {"walk": "walk", "checkin": "checkin", "dwell": "hotspot", "break": "break", "post": "post"}


def _continues(g: _Group, s: dict[str, Any], prev: dict[str, Any]) -> bool:
    """Whether walk step ``s`` goes on along ``g``'s street in the same direction (no turn, no turning back)."""
    if s.get("street", "") != g.street:
        return False
    if prev.get("to_node") is not None and prev.get("to_node") == s.get("from_node"):
        return int(s["block"]) != int(prev["block"]) and s.get("to_node") != prev.get("from_node")
    same_block = int(s["block"]) == int(prev["block"]) and abs(float(s["off0"]) - float(prev["off1"])) < 1e-3
    return same_block and (float(s["off1"]) - float(s["off0"])) * (float(prev["off1"]) - float(prev["off0"])) > 0


def _groups(steps: list[dict[str, Any]]) -> list[_Group]:
    out: list[_Group] = []
    for i, s in enumerate(steps):
        kind = _KIND.get(str(s["activity"]), "post")
        t0, t1 = float(s["t0"]), float(s["t1"])
        g = out[-1] if out else None
        if kind == "walk":
            if g is not None and g.kind == "walk" and _continues(g, s, steps[g.steps[-1]]):
                g.t1, g.end_node, g.last_block = t1, s.get("to_node"), int(s["block"])
                g.steps.append(i)
                g.length_m += float(s.get("length_m", abs(float(s["off1"]) - float(s["off0"]))))
                continue
            out.append(_Group("walk", t0, t1, [i], str(s.get("street", "")), s.get("from_node"), s.get("to_node"),
                              int(s["block"]), int(s["block"]),
                              float(s.get("length_m", abs(float(s["off1"]) - float(s["off0"]))))))
        elif kind == "post" and g is not None and g.kind == "post" and g.step.get("ref") == s.get("ref"):
            g.t1 = t1
            g.steps.append(i)
        else:
            out.append(_Group(kind, t0, t1, [i], str(s.get("street", "")), step=s))
    return out


def _fold_short(groups: list[_Group]) -> list[_Group]:
    """Fold rows that would read as zero minutes into a neighbour: a short walk before another walk into that walk,
    anything else into the row before (so a stop's start time is never moved), the first row into the next."""
    out = list(groups)
    k = 0
    while k < len(out):
        g = out[k]
        if not g.short or len(out) == 1:
            k += 1
            continue
        nxt = out[k + 1] if k + 1 < len(out) else None
        if nxt is not None and (k == 0 or g.kind == nxt.kind == "walk"):
            nxt.t0 = g.t0
            nxt.steps = g.steps + nxt.steps
            if g.kind == nxt.kind == "walk":
                nxt.length_m += g.length_m
                if g.street == nxt.street:
                    nxt.start_node, nxt.first_block = g.start_node, g.first_block
            del out[k]  # the row it went into, now at k, is looked at next
        else:
            prev = out[k - 1]
            prev.t1 = g.t1
            prev.steps = prev.steps + g.steps
            if g.kind == prev.kind == "walk":
                prev.length_m += g.length_m
                if g.street == prev.street:
                    prev.end_node, prev.last_block = g.end_node, g.last_block
            del out[k]
    return out


def _join_walks(groups: list[_Group]) -> list[_Group]:
    out: list[_Group] = []
    for g in groups:
        p = out[-1] if out else None
        if (p is not None and p.kind == g.kind == "walk" and p.street == g.street and p.end_node is not None
                and p.end_node == g.start_node and p.last_block != g.first_block):
            p.t1, p.end_node, p.last_block = g.t1, g.end_node, g.last_block
            p.steps += g.steps
            p.length_m += g.length_m
        else:
            out.append(g)
    return out


def _stop_name(g: _Group | None) -> str:
    """How a walk row names the stop it leaves from or walks to."""
    if g is None:
        return ""
    if g.kind == "checkin":
        return str(g.step.get("business_name") or g.step.get("ref") or "the business")
    if g.kind == "hotspot":
        return f"hot spot {_hotspot_id(g.step)}"
    return ""


def _hotspot_id(step: dict[str, Any]) -> str:
    if step.get("hotspot") is not None:
        return str(step["hotspot"])
    ref = str(step.get("ref", ""))
    return ref.rsplit(" ", 1)[-1] if ref.startswith("hot spot") else "?"


def _describe(groups: list[_Group], places: _Places) -> list[Row]:
    rows: list[Row] = []
    stop = 0
    for k, g in enumerate(groups):
        prev = groups[k - 1] if k > 0 else None
        nxt = groups[k + 1] if k + 1 < len(groups) else None
        if g.kind == "walk":
            street = g.street or "the path"
            if g.start_node is not None:
                start = places.corner_from(int(g.start_node), g.street)
            else:
                start = _stop_name(prev) or "where you are"
            if g.end_node is not None:
                end = places.corner_from(int(g.end_node), g.street)
            else:
                end = _stop_name(nxt) or "the middle of the block"
            text = f"Walk {street} from {start} to {end}" if start != end else f"Walk {street} and back to {end}"
            rows.append(Row(g.t0, g.t1, "walk", text, "", round(g.length_m, 1), 0, tuple(g.steps)))
            continue
        stop += 1
        s = g.step
        block, off = int(s["block"]), float(s["off0"])
        where = places.point(block, off)
        ref = str(s.get("ref", ""))
        if g.kind == "checkin":
            subject = str(s.get("business_name") or ref or "the business")
            text = f"Check in with {subject}"
        elif g.kind == "hotspot":
            subject = _hotspot_id(s)
            text = f"Stay at hot spot {subject} for {minutes_text(g.t1 - g.t0)}: be seen, talk to people"
        elif g.kind == "break":
            subject = str(s.get("break") or ("meal" if ref.startswith("meal") else "rest"))
            text = f"{subject.capitalize()} break"
        else:
            subject = ref
            if ref == "at the base":
                text = "Back at the base: end of the shift" if nxt is None else "Wait at the base"
                where = places.corner(places.base_node)
            elif ref.startswith("event: "):
                subject = ref[len("event: "):]
                text = f"At the event {subject}: be seen, tell people what is on"
            elif ref in ("standing post", ""):
                text = "Stand at the corner, visible" if where and "between" not in where else "Stand here, visible"
            else:
                text = f"Stand here, visible ({ref})"
        rows.append(Row(g.t0, g.t1, g.kind, text, where, 0.0, stop, tuple(g.steps), block, off, subject))
    return rows


def unit_rows(steps: list[dict[str, Any]], district: District) -> list[Row]:
    """The route-sheet rows of one unit's steps (see the module docstring for the three passes)."""
    if not steps:
        return []
    groups = _join_walks(_fold_short(_groups(steps)))
    return _describe(groups, _Places(district))


def unit_day(plan: dict[str, Any], name: str, district: District) -> UnitDay:
    """A unit's day: its rows, totals and breaks (from ``plan["walkers"][name]``)."""
    info = plan["walkers"][name]
    steps = list(info["steps"])
    rows = tuple(unit_rows(steps, district))
    km = info.get("summary", {}).get("walk_km")
    walk_km = float(km) if km is not None else sum(float(s.get("length_m", 0.0)) for s in steps) / 1000.0
    breaks = tuple(BreakTime(r.subject, r.t0, r.t1, r.where) for r in rows if r.kind == "break")
    shift = plan.get("shift") or {}
    hours = info.get("hours") or [shift.get("start", ""), shift.get("end", "")]
    start = format_hhmm(float(steps[0]["t0"])) if steps else ""
    end = format_hhmm(float(steps[-1]["t1"])) if steps else ""
    return UnitDay(name, tuple(info.get("members") or [name]), str(info.get("role", "walker")),
                   (str(hours[0]), str(hours[1])), rows, walk_km, breaks, start, end)


def _plain(text: str) -> str:
    """The planner's figures in words: "<= 60 min" as "at most 60 min", no lists of block ids, streets not ids."""
    text = text.replace("<=", "at most").replace(">=", "at least")
    text = re.sub(r":\s*\[[\d,\s]*\]", "", text)  # "109 blocks not walked: [0, 2, ...]"
    return re.sub(r"\bblock \d+ \(([^)]*)\)", r"on \1", text)  # "worst block 14 (W Lake St)": "worst on W Lake St"


def shortfall_text(sf: dict[str, Any]) -> tuple[str, str]:
    """A shortfall in plain words: ``(what, why)``.

    >>> shortfall_text({"target": "area_coverage", "required": "133 blocks walked", "achieved": "24",
    ...                 "detail": "109 blocks not walked: [0, 2, 10]", "why": "impossible with this roster"})
    ('Other blocks of the patrol area walked: needed 133 blocks walked, planned 24 (109 blocks not walked)', \
'impossible with this roster')
    >>> shortfall_text({"target": "corridor_revisit", "required": "<= 60 min", "achieved": "84.8 min",
    ...                 "detail": "worst block 14 (W Lake St)"})[0].split(": ", 1)[1]
    'needed at most 60 min, planned 84.8 min (worst on W Lake St)'
    """
    target = str(sf.get("target", ""))
    name = TARGET_WORDS.get(target, target.replace("_", " "))
    what = f"{name}: needed {_plain(str(sf.get('required', '')))}, planned {_plain(str(sf.get('achieved', '')))}"
    if sf.get("detail"):
        what += f" ({_plain(str(sf['detail']))})"
    return what, _plain(str(sf.get("why") or ""))


# ------------------------------------------------------------------------------------------ geometry
class RouteGeometry:
    """Lines and points of a plan's steps on the district's streets (``(lon, lat)`` pairs)."""

    def __init__(self, district: District) -> None:
        self.district = district
        self.geoms: dict[int, LineString] = {int(d["block"]): d["geometry"]
                                             for _, _, d in district.graph.edges(data=True)}

    def leg(self, step: dict[str, Any]) -> list[tuple[float, float]]:
        """A walk step's ``(lon, lat)`` points, following the block's geometry between its offsets."""
        b = int(step["block"])
        length = float(self.district.arrays.edge_length[b])
        geom = self.geoms[b]
        off0, off1 = float(step["off0"]), float(step["off1"])
        f0, f1 = (off0 / length, off1 / length) if length > 0 else (0.0, 0.0)
        part = substring(geom, min(f0, f1), max(f0, f1), normalized=True)
        coords = list(part.coords) if part.geom_type == "LineString" else [part.coords[0], part.coords[0]]
        if f1 < f0:
            coords.reverse()
        return [(float(x), float(y)) for x, y in coords]

    def row_line(self, row: Row, steps: list[dict[str, Any]]) -> list[tuple[float, float]]:
        """The walk steps of a row as one line (``(lon, lat)``), repeated points dropped."""
        out: list[tuple[float, float]] = []
        for i in row.steps:
            if steps[i]["activity"] != "walk":
                continue
            for p in self.leg(steps[i]):
                if not out or math.dist(out[-1], p) > 1e-9:
                    out.append(p)
        return out

    def point(self, block: int, offset_m: float) -> tuple[float, float]:
        """``(lat, lon)`` of a point along a block."""
        lat, lon = self.district.geocoder.point_on_block(block, offset_m)
        return float(lat), float(lon)

