"""An ambassador's day for the phone page: the plan's steps of one unit as tasks, check-ins and their status.

The page asks "what should I be doing now and next?".  The plan (``plan.json``, see
``docs/plan-schema.md``) answers with up to ~200 timed steps per unit, most of them one street block
of walking.  :func:`unit_tasks` groups consecutive ``walk`` steps into one task that ends at the next
stop or corner ("Walk to W Lake St & Girard Ave S", with the corners passed and their times) and turns
every other step into a task in plain words ("Check in with CycleBar", "Stay at hot spot 2 on Girard
Ave S", "Meal break").  Times stay in the plan's clock (local minutes after midnight); the page turns
them into ``HH:MM`` and finds the task under way from the local day's start the service sends, so it
keeps working offline and whatever time zone the phone is set to.

Only the plan file's keys are read (``walkers[name].steps`` and ``members``, ``checkins_due``,
``hotspots``, ``day``, ``date``), never the planner's modules.  :class:`PlanFile` re-reads the file
when it changes on disk and names each content by a short hash (:attr:`PlanFile.version`): the
``ETag`` of ``/api/plan`` and the ``plan_version`` the page polls, so a new plan shows without a reload.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
from dataclasses import asdict, dataclass, field
from pathlib import Path

from patrol.errors import PlanError
from patrol.settings import format_hhmm

__all__ = ["CheckinStatus", "PlanFile", "PlanSnapshot", "Task", "checkin_status", "find_walker", "unit_tasks"]

log = logging.getLogger(__name__)

#: Walks shorter than this (minutes) that lead to a stop are folded into the stop.
_SHORT_WALK_MIN = 0.5


@dataclass(frozen=True)
class PlanSnapshot:
    """One content of the plan file: its bytes' short hash and the parsed JSON."""

    version: str
    data: dict
    body: bytes = field(repr=False)


class PlanFile:
    """The service's ``plan.json``, re-read when the file changes (size, mtime or inode).

    Parameters
    ----------
    path : str or Path
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._lock = threading.Lock()
        self._stat: tuple[int, int, int] | None = None
        self._snap: PlanSnapshot | None = None

    def current(self) -> PlanSnapshot:
        """The plan as it is on disk now (parsed again only when the file changed).

        Raises
        ------
        PlanError
            When the file is missing, not JSON, or has no ``timeline``.
        """
        try:
            st = os.stat(self.path)
        except OSError as exc:
            raise PlanError(f"the plan {self.path} cannot be read: {exc}", field="plan") from exc
        key = (st.st_size, st.st_mtime_ns, st.st_ino)
        with self._lock:
            if self._snap is not None and key == self._stat:
                return self._snap
            try:
                body = self.path.read_bytes()
                data = json.loads(body)
            except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
                raise PlanError(f"the plan {self.path} cannot be read: {exc}", field="plan") from exc
            if not isinstance(data, dict) or "timeline" not in data:
                raise PlanError(f"{self.path} has no 'timeline' key (is it a patrol plan.json?)", field="plan")
            self._snap = PlanSnapshot(hashlib.sha256(body).hexdigest()[:16], data, body)
            self._stat = key
            log.info("plan %s: version %s", self.path, self._snap.version)
            return self._snap

    def version(self) -> str:
        """The short hash of the plan file's current content."""
        return self.current().version


@dataclass(frozen=True)
class Task:
    """One thing to do in the plan's clock, in plain words.

    Attributes
    ----------
    kind : str
        ``walk``, ``checkin``, ``dwell``, ``break`` or ``post`` (the plan's activities).
    t0, t1 : float
        Start and end, local minutes after midnight.
    title : str
        What to do ("Walk to W Lake St & Girard Ave S", "Check in with CycleBar").
    detail : str
        Streets to take, opening hours, why to stand somewhere.
    street : str
        The street the task ends on.
    lat, lon : float or None
        Where the task ends.
    business : str or None
        The business of a check-in.
    closes : str or None
        ``HH:MM`` closing time of that business.
    hotspot : int or None
        The hot spot of a dwell.
    length_m : float
        Metres walked.
    corners : list of (float, str)
        Corners reached on a walk, with the minute each is reached.
    streets_at : list of (float, str)
        The streets of a walk in order, with the minute each is entered.
    path : list of (lon, lat)
        The walk's line (empty for a stop).
    """

    kind: str
    t0: float
    t1: float
    title: str
    detail: str = ""
    street: str = ""
    lat: float | None = None
    lon: float | None = None
    business: str | None = None
    closes: str | None = None
    hotspot: int | None = None
    length_m: float = 0.0
    corners: list[tuple[float, str]] = field(default_factory=list)
    streets_at: list[tuple[float, str]] = field(default_factory=list)
    path: list[tuple[float, float]] = field(default_factory=list)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["t0"], d["t1"], d["length_m"] = round(self.t0, 2), round(self.t1, 2), round(self.length_m, 1)
        d["corners"] = [[round(t, 2), label] for t, label in self.corners]
        d["streets_at"] = [[round(t, 2), name] for t, name in self.streets_at]
        d["path"] = [[round(x, 6), round(y, 6)] for x, y in self.path]
        for k in ("lat", "lon"):
            d[k] = None if d[k] is None else round(d[k], 6)
        return d


@dataclass(frozen=True)
class CheckinStatus:
    """A business check-in planned for the unit, and whether (and when, by whom) it was done today."""

    business: str
    t0: float
    closes: str | None
    lat: float | None
    lon: float | None
    done_at: str | None = None
    done_by: str | None = None

    def to_dict(self) -> dict:
        return {**asdict(self), "t0": round(self.t0, 2)}


def find_walker(plan: dict, unit: str, members: tuple[str, ...] | list[str]) -> str | None:
    """The plan's unit (``walkers`` key) of a unit name or one of its members, or ``None``."""
    walkers = plan.get("walkers") or {}
    if unit in walkers:
        return unit
    for name, w in walkers.items():
        listed = w.get("members") if isinstance(w, dict) else None
        if isinstance(listed, list) and (unit in listed or any(m in listed for m in members)):
            return name
    for name in members:
        if name in walkers:
            return name
    return None


def _steps(plan: dict, walker: str) -> list[dict]:
    w = (plan.get("walkers") or {}).get(walker)
    if isinstance(w, dict) and isinstance(w.get("steps"), list):
        return w["steps"]
    # a plan without walkers (hand-made, or an older layout): the bare timeline legs
    legs = (plan.get("timeline") or {}).get(walker)
    if not isinstance(legs, list):
        raise PlanError(f"the plan has no steps for {walker!r}", field="plan")
    return legs


def _place(step: dict) -> str:
    """Where a stop is, for "Walk to ...": the business, the hot spot or the street."""
    street = step.get("street") or ""
    on = f" on {street}" if street else ""
    if step.get("activity") == "checkin" and (step.get("business_name") or step.get("ref")):
        return (step.get("business_name") or step.get("ref")) + on
    if step.get("activity") == "dwell" and step.get("hotspot") is not None:
        return f"hot spot {step['hotspot']}{on}"
    return street


def _stop_words(step: dict, hotspot_streets: dict[int, str], events: dict[str, dict] | None = None
                ) -> tuple[str, str]:
    """Title and detail of a non-walk step (``events``: the plan's special events by the ``ref`` of their steps)."""
    act, street, ref = step.get("activity"), step.get("street") or "", step.get("ref") or ""
    if ref.startswith("event: "):
        ev = (events or {}).get(ref, {})
        tell = f"tell people: {ev['info']}" if ev.get("info") else "be seen, tell people what is on"
        return f"At the event {ref[len('event: '):]}" + (f" on {street}" if street else ""), tell
    if act == "checkin":
        name = step.get("business_name") or ref
        return f"Check in with {name}", street
    if act == "dwell":
        hid = step.get("hotspot")
        where = hotspot_streets.get(int(hid), street) if hid is not None else street
        return (f"Stay at hot spot {hid}" if hid is not None else "Stay at the hot spot") + \
            (f" on {where}" if where else ""), "be visible, talk with people"
    if act == "break":
        kind = step.get("break") or ref
        return ("Meal break" if kind == "meal" else "Rest break" if kind == "rest" else "Break"), \
            "where you are" + (f" ({street})" if street else "")
    if act == "respond":
        return "Respond to an incident", ref
    return "Stand visible" + (f" on {street}" if street else ""), ref


def unit_tasks(plan: dict, walker: str, network, district) -> list[Task]:
    """The unit's day as tasks (see the module docstring).

    Parameters
    ----------
    plan : dict
        The content of ``plan.json``.
    walker : str
        The plan's unit name (:func:`find_walker`).
    network : patrol.dispatch.Network
        Block geometry (``block_piece``, ``point_on_block``: ``(lon, lat)``).
    district : District
        Business opening hours (``business_hours``) of check-ins.

    Raises
    ------
    PlanError
        When the plan has no steps for the walker.
    """
    steps = sorted(_steps(plan, walker), key=lambda s: (float(s["t0"]), float(s["t1"])))
    names = {b.name.strip().lower(): i for i, b in enumerate(district.businesses)}
    hotspot_streets = {int(h["id"]): h.get("street", "") for h in plan.get("hotspots") or [] if "id" in h}
    events = {str(e.get("ref")): e for e in plan.get("events") or [] if isinstance(e, dict)}
    tasks: list[Task] = []
    i = 0
    while i < len(steps):
        s = steps[i]
        if s.get("activity") == "walk":
            j = i
            path: list[tuple[float, float]] = []
            streets_at: list[tuple[float, str]] = []
            corners: list[tuple[float, str]] = []
            length = 0.0
            ref = str(s.get("ref") or "")
            at_event = ref.startswith("event: ")  # walks round an event: a task of their own
            while j < len(steps) and steps[j].get("activity") == "walk" and \
                    str(steps[j].get("ref") or "").startswith("event: ") == at_event:
                w = steps[j]
                piece = network.block_piece(int(w["block"]), float(w["off0"]), float(w["off1"]))
                path.extend(piece if not path else piece[1:])
                street = w.get("street") or ""
                if street and (not streets_at or streets_at[-1][1] != street):
                    streets_at.append((float(w["t0"]), street))
                if w.get("node_label"):
                    corners.append((float(w["t1"]), w["node_label"]))
                length += abs(float(w["off1"]) - float(w["off0"]))
                j += 1
            last = steps[j - 1]
            nxt = steps[j] if j < len(steps) else None
            if float(last["t1"]) - float(s["t0"]) < _SHORT_WALK_MIN and nxt is not None:
                i = j  # a few steps to the next stop on the same block: not a task of its own
                continue
            ends_at_corner = bool(last.get("node_label"))
            to = last.get("node_label") or "" if ends_at_corner or nxt is None else _place(nxt)
            to = to or last.get("street") or ""
            detail = "via " + " → ".join(name for _, name in streets_at) if streets_at else ""
            end = path[-1] if path else (None, None)
            title = f"Walk to {to}" if to else "Walk"
            if at_event:
                title, tell = _stop_words({**s, "activity": "post", "street": ""}, hotspot_streets, events)
                title, detail = title.replace("At the event", "Walk round the event", 1), tell
            tasks.append(Task("walk", float(s["t0"]), float(last["t1"]), title,
                              detail, last.get("street") or "", end[1], end[0], length_m=length,
                              corners=corners, streets_at=streets_at, path=path))
            i = j
            continue
        title, detail = _stop_words(s, hotspot_streets, events)
        lon, lat = network.point_on_block(int(s["block"]), float(s.get("off1", s.get("off0", 0.0))))
        business = closes = None
        hotspot = None
        if s.get("activity") == "checkin":
            business = s.get("business_name") or s.get("ref") or None
            idx = s.get("business")
            if not isinstance(idx, int) and business:
                idx = names.get(business.strip().lower())
            if idx is not None and 0 <= int(idx) < len(district.businesses):
                open_min, close_min, _ = district.business_hours(int(idx))
                closes = format_hhmm(close_min)
                detail = f"{detail} · open {format_hhmm(open_min)}-{closes}" if detail else \
                    f"open {format_hhmm(open_min)}-{closes}"
        elif s.get("activity") == "dwell" and s.get("hotspot") is not None:
            hotspot = int(s["hotspot"])
        tasks.append(Task(str(s.get("activity")), float(s["t0"]), float(s["t1"]), title, detail,
                          s.get("street") or "", lat, lon, business, closes, hotspot))
        i += 1
    return tasks


def checkin_status(tasks: list[Task], done: list[dict]) -> list[CheckinStatus]:
    """The unit's planned check-ins with the first check-in logged today at each business.

    Parameters
    ----------
    tasks : list of Task
    done : list of dict
        Today's ``business check-in`` interactions (``business``, ``at``, ``ambassador``), oldest first.
        Business names match case-insensitively, whoever logged them.
    """
    first: dict[str, dict] = {}
    for r in done:
        name = (r.get("business") or "").strip().lower()
        if name and name not in first:
            first[name] = r
    out = []
    for t in tasks:
        if t.kind != "checkin" or not t.business:
            continue
        hit = first.get(t.business.strip().lower())
        out.append(CheckinStatus(t.business, t.t0, t.closes, t.lat, t.lon, hit["at"] if hit else None,
                                 hit["ambassador"] if hit else None))
    return out
