"""District program settings: the ``district.toml`` schema, its defaults and its validation.

A district folder holds ``district.toml`` plus its street and business facts.  Every table and key
below has a default, a type and a validator; unknown tables or keys are refused with a
:class:`~patrol.errors.ConfigError` naming them, so that a typo never silently falls back to a
default.  Scenario files (planners) reuse :func:`settings_from_dict` with overrides.

Tables
------
district   name, source (facts | osm-xml | centerline), timezone, files (source file names)
area       south, north, west, east (WGS84 box; a block is in the area when both ends are), description,
           margin_m (the working graph: a district built from a larger source, such as a whole city's
           centreline or OpenStreetMap extract, keeps only the streets within this many metres of the box;
           default 1000 m, enough for the shortest walks between points of the area and for ambassadors
           near its edge; the build report says if the clip cut any area block off, then raise it)
corridor   streets (names as in the data, matched by their core name: "Lake" matches "W Lake St")
base       name, at (anything the geocoder accepts; snapped to the nearest intersection)
roster     size, leads, pairs, lead_role (walker | rover), names (optional list)
shift      days (mon..sun), start, end (HH:MM)
speeds     patrol_m_s (default 1.0), response_m_s (default 1.4)
breaks     meal_min, meal_window [start, end], rest_count, rest_min, min_on_street, meal_after_h (a person
           working fewer hours today takes no meal; rest breaks are pro-rated to the hours worked:
           round(rest_count x hours / shift hours))
targets    corridor_first_visit_min, corridor_revisit_min, area_visits_per_shift, checkins_per_week,
           checkin_min, hotspot_count, hotspot_dwell_min [min, max], hotspot_revisit_min,
           balance_ratio_max, priority (the order in which targets give way when not all can be met:
           a list of breaks, corridor, hotspots, checkins, area, on_street, balance, ready; default that
           order; a list without ready gets it last),
           ready_p90_min (the demand-weighted p90 of the nearest available unit's walk, every minute),
           ready_required (whether that target counts in "all targets met" and the planner trades for it in
           its place in the priority; default false: it is reported)
business_hours  category ("amenity:cafe"), key ("shop") or "default" -> "HH:MM-HH:MM"
dispatch   stale_ping_min, max_snap_m, db (SQLite path, relative to the working directory),
           on_scene_min (incident type -> expected minutes on scene, see :data:`ON_SCENE_MIN`),
           cost_tolerance_s (seconds within the nearest unit's ETA where a lower plan cost wins; 0 = off)
alerts     checkin_after_min (an ambassador on scene is asked "are you OK?" this long after arriving or after
           their last answer), checkin_answer_min (an unanswered question raises an alert this much later),
           no_ping_min (an ambassador on duty with no sign of life for this long raises an alert),
           message_radius_m (the default walking distance of a message to those near a point)

Other files of a district folder (issue 17; their names can be changed in ``district.files``):

``cameras.toml``    (``district.files.cameras``) the camera registry: id, position, heading, field of view and range,
                    or the blocks a camera sees; owner, notes (:mod:`patrol.cameras`, ``docs/cameras.md``)
``materials.toml``  (``district.files.materials``) the services and written materials ambassadors refer people
                    to and hand out, with their kind, place and hours (:mod:`patrol.materials`,
                    ``docs/materials.md``)

Special events are not a file: they are kept in the district's record (:mod:`patrol.events`).

A key whose value is a table (``district.files``, ``dispatch.on_scene_min``) is merged into its
default: the entries given replace those of the same name, the others keep their defaults.

``targets.ready_p90_min`` (default 5): the demand-weighted 90th percentile, over the patrol area's
blocks, of the walk at response speed from the nearest available unit, may not exceed it at any minute
of the shift (the checker's ``ready_p90_min`` row, :mod:`patrol.planning.check`).
"""

from __future__ import annotations

import dataclasses
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from patrol.errors import ConfigError
from patrol.vocab import INCIDENT_TYPES

__all__ = [
    "DAYS",
    "TARGET_PRIORITY",
    "ON_SCENE_MIN",
    "Settings",
    "format_hhmm",
    "load_settings",
    "parse_hhmm",
    "parse_hours",
    "settings_from_dict",
    "settings_to_dict",
]

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_HHMM = re.compile(r"^(\d{1,2}):(\d{2})$")


def parse_hhmm(text: str, *, field_name: str = "time") -> int:
    """Minutes after midnight of an ``HH:MM`` text (``24:00`` allowed as the end of a day).

    Raises
    ------
    ConfigError
        When the text is not a valid ``HH:MM`` time.

    Examples
    --------
    >>> parse_hhmm("10:30")
    630
    """
    m = _HHMM.match(str(text).strip())
    if not m or int(m.group(2)) >= 60 or int(m.group(1)) * 60 + int(m.group(2)) > 24 * 60:
        raise ConfigError(f"{field_name}: {text!r} is not a time of day HH:MM", field=field_name)
    return int(m.group(1)) * 60 + int(m.group(2))


def format_hhmm(minutes: float) -> str:
    """``HH:MM`` of minutes after midnight, rounded down to the minute (within 1e-6 min, so that a time
    computed as 629.9999999 reads 10:30): the one time formatter of plans, sheets, checks and dispatch.

    Examples
    --------
    >>> format_hhmm(630.7)
    '10:30'
    >>> format_hhmm(629.99999999)
    '10:30'
    """
    m = int((minutes + 1e-6) // 1)
    return f"{m // 60:02d}:{m % 60:02d}"


@dataclass(frozen=True)
class DistrictInfo:
    name: str = "district"
    source: str = "facts"
    timezone: str = "UTC"
    files: dict[str, str] = field(
        default_factory=lambda: {
            "intersections": "intersections.csv",
            "street_segments": "street_segments.csv",
            "businesses": "businesses.csv",
        }
    )

    def check(self) -> None:
        if self.source not in ("facts", "osm-xml", "centerline"):
            raise ConfigError(
                f"district.source must be facts, osm-xml or centerline, not {self.source!r}",
                field="district.source",
            )


@dataclass(frozen=True)
class Area:
    south: float = 0.0
    north: float = 0.0
    west: float = 0.0
    east: float = 0.0
    description: str = ""
    margin_m: float = 1000.0

    def check(self) -> None:
        if not (-90 <= self.south < self.north <= 90):
            raise ConfigError("area: need -90 <= south < north <= 90", field="area.south")
        if not (-180 <= self.west < self.east <= 180):
            raise ConfigError("area: need -180 <= west < east <= 180", field="area.west")
        if not 0 <= self.margin_m <= 100_000:
            raise ConfigError(f"area.margin_m = {self.margin_m} must be between 0 and 100000 metres",
                              field="area.margin_m")

    def contains(self, lat: float, lon: float) -> bool:
        """Whether a WGS84 point lies inside the box (edges included)."""
        return self.south <= lat <= self.north and self.west <= lon <= self.east


@dataclass(frozen=True)
class Corridor:
    streets: tuple[str, ...] = ()


@dataclass(frozen=True)
class Base:
    name: str = "base"
    at: str = ""

    def check(self) -> None:
        if not self.at.strip():
            raise ConfigError("base.at must name a location (intersection, place or 'lat,lon')", field="base.at")


@dataclass(frozen=True)
class Roster:
    size: int = 8
    leads: int = 1
    pairs: bool = False
    lead_role: str = "walker"
    names: tuple[str, ...] = ()

    def check(self) -> None:
        if self.size < 1:
            raise ConfigError("roster.size must be at least 1", field="roster.size")
        if not 0 <= self.leads <= self.size:
            raise ConfigError("roster.leads must be between 0 and roster.size", field="roster.leads")
        if self.lead_role not in ("walker", "rover"):
            raise ConfigError("roster.lead_role must be walker or rover", field="roster.lead_role")
        if self.names and len(self.names) != self.size:
            raise ConfigError(
                f"roster.names has {len(self.names)} names for a roster of {self.size}", field="roster.names"
            )
        if len(set(self.names)) != len(self.names):
            raise ConfigError("roster.names must be unique", field="roster.names")

    def ambassador_names(self) -> list[str]:
        """Names of the roster, the lead(s) first: given ones, else ``lead``, ``amb2``, ..."""
        if self.names:
            return list(self.names)
        names = ["lead" if self.leads == 1 else f"lead{i + 1}" for i in range(self.leads)]
        return names + [f"amb{i + 1}" for i in range(self.leads, self.size)]


@dataclass(frozen=True)
class Shift:
    days: tuple[str, ...] = ("tue", "wed", "thu", "fri", "sat")
    start: str = "10:00"
    end: str = "18:00"

    def check(self) -> None:
        bad = [d for d in self.days if d not in DAYS]
        if bad or not self.days:
            raise ConfigError(f"shift.days: unknown day(s) {bad}; use {', '.join(DAYS)}", field="shift.days")
        if self.start_min >= self.end_min:
            raise ConfigError("shift.start must be before shift.end", field="shift.start")

    @property
    def start_min(self) -> int:
        return parse_hhmm(self.start, field_name="shift.start")

    @property
    def end_min(self) -> int:
        return parse_hhmm(self.end, field_name="shift.end")


@dataclass(frozen=True)
class Speeds:
    patrol_m_s: float = 1.0
    response_m_s: float = 1.4

    def check(self) -> None:
        for name in ("patrol_m_s", "response_m_s"):
            v = getattr(self, name)
            if not 0.2 <= v <= 5.0:
                raise ConfigError(f"speeds.{name} = {v} is not a walking speed (0.2-5 m/s)", field=f"speeds.{name}")


#: The targets a plan can miss, in the default order in which they give way (first kept longest); validity
#: (real blocks, walking speed, each person's hours, from and back to the base) never gives way.
#: ``ready`` (ready to respond) is traded only when ``targets.ready_required`` is true; a list without it gets it
#: last.
TARGET_PRIORITY = ("breaks", "corridor", "hotspots", "checkins", "area", "on_street", "balance", "ready")


@dataclass(frozen=True)
class Breaks:
    meal_min: int = 30
    meal_window: tuple[str, str] = ("12:00", "14:30")
    rest_count: int = 2
    rest_min: int = 15
    min_on_street: int = 6
    meal_after_h: float = 5.0

    def check(self) -> None:
        if len(self.meal_window) != 2:
            raise ConfigError("breaks.meal_window needs [start, end]", field="breaks.meal_window")
        a, b = (parse_hhmm(t, field_name="breaks.meal_window") for t in self.meal_window)
        if b - a < self.meal_min:
            raise ConfigError("breaks.meal_window is shorter than breaks.meal_min", field="breaks.meal_window")
        for name in ("meal_min", "rest_count", "rest_min", "min_on_street", "meal_after_h"):
            if getattr(self, name) < 0:
                raise ConfigError(f"breaks.{name} must not be negative", field=f"breaks.{name}")


@dataclass(frozen=True)
class Targets:
    corridor_first_visit_min: int = 60
    corridor_revisit_min: int = 60
    area_visits_per_shift: int = 1
    checkins_per_week: int = 5
    checkin_min: int = 5
    hotspot_count: int = 5
    hotspot_dwell_min: tuple[int, int] = (10, 15)
    hotspot_revisit_min: int = 120
    balance_ratio_max: float = 1.25
    priority: tuple[str, ...] = TARGET_PRIORITY
    ready_p90_min: float = 5.0
    ready_required: bool = False

    def __post_init__(self) -> None:
        if "ready" not in self.priority:  # written before readiness was a target: it gives way first
            object.__setattr__(self, "priority", (*tuple(self.priority), "ready"))

    def check(self) -> None:
        if sorted(self.priority) != sorted(TARGET_PRIORITY):
            raise ConfigError(f"targets.priority must list each of {', '.join(TARGET_PRIORITY)} once, got "
                              f"{list(self.priority)}", field="targets.priority")
        if len(self.hotspot_dwell_min) != 2 or not 0 < self.hotspot_dwell_min[0] <= self.hotspot_dwell_min[1]:
            raise ConfigError("targets.hotspot_dwell_min needs [min, max] with 0 < min <= max",
                              field="targets.hotspot_dwell_min")
        if not 0 <= self.checkins_per_week <= 7:
            raise ConfigError("targets.checkins_per_week must be 0-7", field="targets.checkins_per_week")
        if self.balance_ratio_max < 1:
            raise ConfigError("targets.balance_ratio_max must be >= 1", field="targets.balance_ratio_max")
        for name in ("corridor_first_visit_min", "corridor_revisit_min", "hotspot_revisit_min", "ready_p90_min"):
            if getattr(self, name) <= 0:
                raise ConfigError(f"targets.{name} must be positive", field=f"targets.{name}")


#: Expected minutes on scene by incident type (``dispatch.on_scene_min``): what a dispatch keeps a unit
#: busy after the walk there, for the cost of a dispatch to the plan (:mod:`patrol.dispatch.cost`) and the
#: coverage Monte Carlo.  Defaults chosen for the program's dispatchable types (15-45 min: a quick move-on
#: for solicitation, longer for mental health and wellness calls); the program publishes no durations.
#: ``other`` applies to every type without an entry.
ON_SCENE_MIN: dict[str, float] = {
    "disturbance": 30.0,
    "mental health": 45.0,
    "non-permitted solicitation": 15.0,
    "obstruction": 20.0,
    "open substance use": 30.0,
    "safety and wellness": 30.0,
    "sleeping": 20.0,
    "traffic incidents": 20.0,
    "verbal aggression": 25.0,
    "other": 20.0,
}


@dataclass(frozen=True)
class Dispatch:
    stale_ping_min: float = 5.0
    max_snap_m: float = 250.0
    db: str = "patrol.db"
    on_scene_min: dict[str, float] = field(default_factory=lambda: dict(ON_SCENE_MIN))
    cost_tolerance_s: float = 0.0

    def check(self) -> None:
        if self.stale_ping_min <= 0:
            raise ConfigError("dispatch.stale_ping_min must be positive", field="dispatch.stale_ping_min")
        if self.max_snap_m <= 0:
            raise ConfigError("dispatch.max_snap_m must be positive", field="dispatch.max_snap_m")
        for kind, minutes in self.on_scene_min.items():
            if kind not in INCIDENT_TYPES:
                raise ConfigError(f"dispatch.on_scene_min: {kind!r} is not an incident type; use one of "
                                  f"{', '.join(INCIDENT_TYPES)}", field=f"dispatch.on_scene_min.{kind}")
            if not 0 < minutes <= 480:
                raise ConfigError(f"dispatch.on_scene_min.{kind} = {minutes} must be more than 0 and at most 480 "
                                  "minutes", field=f"dispatch.on_scene_min.{kind}")
        if "other" not in self.on_scene_min:
            raise ConfigError("dispatch.on_scene_min needs an 'other' entry (types without their own)",
                              field="dispatch.on_scene_min.other")
        if not 0 <= self.cost_tolerance_s <= 600:
            raise ConfigError(f"dispatch.cost_tolerance_s = {self.cost_tolerance_s} must be 0 (off) to 600 seconds",
                              field="dispatch.cost_tolerance_s")

    def on_scene(self, incident_type: str | None) -> float:
        """Expected minutes on scene for an incident type (the ``other`` entry when it has none)."""
        table = self.on_scene_min
        return float(table.get(str(incident_type or "other"), table["other"]))


@dataclass(frozen=True)
class Alerts:
    """``[alerts]``: when the service raises an overdue alert (:mod:`patrol.dispatch.overdue`), and messages.

    The defaults follow lone-worker practice (a check every 15-30 minutes, a few minutes to answer) and the phone
    page's position every 30 s: 15 minutes without a sign of life is some 30 missed pings, never a short tunnel.
    """

    checkin_after_min: float = 20.0
    checkin_answer_min: float = 5.0
    no_ping_min: float = 15.0
    message_radius_m: float = 400.0

    def check(self) -> None:
        limits = {"checkin_after_min": (1.0, 240.0), "checkin_answer_min": (1.0, 60.0), "no_ping_min": (2.0, 240.0),
                  "message_radius_m": (25.0, 5000.0)}
        for name, (lo, hi) in limits.items():
            v = getattr(self, name)
            if not lo <= v <= hi:
                unit = "metres" if name.endswith("_m") else "minutes"
                raise ConfigError(f"alerts.{name} = {v:g} must be {lo:g} to {hi:g} {unit}", field=f"alerts.{name}")


@dataclass(frozen=True)
class Settings:
    """All program settings of a district (see the module docstring for every key)."""

    district: DistrictInfo = field(default_factory=DistrictInfo)
    area: Area = field(default_factory=Area)
    corridor: Corridor = field(default_factory=Corridor)
    base: Base = field(default_factory=Base)
    roster: Roster = field(default_factory=Roster)
    shift: Shift = field(default_factory=Shift)
    speeds: Speeds = field(default_factory=Speeds)
    breaks: Breaks = field(default_factory=Breaks)
    targets: Targets = field(default_factory=Targets)
    business_hours: dict[str, str] = field(default_factory=lambda: {"default": "10:00-18:00"})
    dispatch: Dispatch = field(default_factory=Dispatch)
    alerts: Alerts = field(default_factory=Alerts)

    def check(self) -> None:
        """Validate every table; raise :class:`ConfigError` naming the first bad key."""
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if hasattr(value, "check"):
                value.check()
        for key, span in self.business_hours.items():
            parse_hours(span, field_name=f"business_hours.{key}")
        if "default" not in self.business_hours:
            raise ConfigError("business_hours needs a 'default' entry", field="business_hours.default")

    def replace(self, **tables: Any) -> Settings:
        """A copy with whole tables or ``table__key`` values replaced (validated)."""
        data = settings_to_dict(self)
        for name, value in tables.items():
            if "__" in name:
                table, key = name.split("__", 1)
                data.setdefault(table, {})[key] = value
            else:
                data[name] = value
        return settings_from_dict(data)


def parse_hours(span: str, *, field_name: str = "hours") -> tuple[int, int]:
    """Opening minutes ``(open, close)`` of an ``HH:MM-HH:MM`` text.

    Examples
    --------
    >>> parse_hours("09:00-17:30")
    (540, 1050)
    """
    parts = str(span).split("-")
    if len(parts) != 2:
        raise ConfigError(f"{field_name}: {span!r} is not HH:MM-HH:MM", field=field_name)
    a, b = (parse_hhmm(p, field_name=field_name) for p in parts)
    if a >= b:
        raise ConfigError(f"{field_name}: {span!r} closes before it opens", field=field_name)
    return a, b


_TYPES = {int: (int,), float: (int, float), str: (str,), bool: (bool,)}


def _coerce(value: Any, annotation: Any, where: str) -> Any:
    text = str(annotation)
    if text.startswith("tuple"):
        if not isinstance(value, list | tuple):
            raise ConfigError(f"{where} must be a list", field=where)
        inner = int if "int" in text else str
        return tuple(_coerce(v, inner, where) for v in value)
    if text.startswith("dict"):
        if not isinstance(value, dict):
            raise ConfigError(f"{where} must be a table", field=where)
        inner_value = float if text.replace(" ", "").endswith(",float]") else str
        return {str(k): _coerce(v, inner_value, f"{where}.{k}") for k, v in value.items()}
    kind = {"int": int, "float": float, "str": str, "bool": bool}.get(text, annotation)
    ok = _TYPES.get(kind, (kind,))
    if isinstance(value, bool) and kind is not bool:
        raise ConfigError(f"{where} must be a {kind.__name__}, not a boolean", field=where)
    if not isinstance(value, ok):
        raise ConfigError(f"{where} must be a {kind.__name__}, got {value!r}", field=where)
    return float(value) if kind is float else value


def settings_from_dict(data: dict[str, Any], *, base: Settings | None = None) -> Settings:
    """Build validated :class:`Settings` from nested dicts; missing keys take ``base`` (or defaults).

    Raises
    ------
    ConfigError
        Naming the unknown table or key, or the key with a bad value.
    """
    base = base or Settings()
    tables: dict[str, Any] = {}
    known = {f.name: f for f in dataclasses.fields(Settings)}
    for name, value in data.items():
        if name not in known:
            raise ConfigError(f"unknown table [{name}]; known: {', '.join(known)}", field=name)
        current = getattr(base, name)
        if not isinstance(value, dict):
            raise ConfigError(f"[{name}] must be a table", field=name)
        if isinstance(current, dict):
            merged = dict(current)
            merged.update(_coerce(value, dict[str, str], name))
            tables[name] = merged
            continue
        sub = {f.name: f for f in dataclasses.fields(current)}
        updates = {}
        for key, v in value.items():
            if key not in sub:
                raise ConfigError(
                    f"unknown key {name}.{key}; known in [{name}]: {', '.join(sub)}", field=f"{name}.{key}"
                )
            updates[key] = _coerce(v, sub[key].type, f"{name}.{key}")
            if isinstance(updates[key], dict):  # a table value: merged into the default
                updates[key] = {**getattr(current, key), **updates[key]}
        tables[name] = dataclasses.replace(current, **updates)
    settings = dataclasses.replace(base, **tables)
    settings.check()
    return settings


def settings_to_dict(settings: Settings) -> dict[str, Any]:
    """Plain nested dict of the settings (tuples as lists), for JSON and round trips."""
    out: dict[str, Any] = {}
    for f in dataclasses.fields(settings):
        value = getattr(settings, f.name)
        if dataclasses.is_dataclass(value):
            out[f.name] = {
                k: list(v) if isinstance(v, tuple) else (dict(v) if isinstance(v, dict) else v)
                for k, v in dataclasses.asdict(value).items()
            }
        else:
            out[f.name] = dict(value)
    return out


def load_settings(path: str | Path) -> Settings:
    """Read and validate a ``district.toml``.

    Raises
    ------
    ConfigError
        When the file is missing, is not TOML, or has an unknown key or a bad value.
    """
    return settings_from_dict(read_toml(path, what="settings", field="district"))


def read_toml(path: str | Path, *, what: str, field: str) -> dict[str, Any]:
    """Read a TOML file (district settings, scenario, sweep grid) with errors a user can act on.

    Raises
    ------
    ConfigError
        ``"<what> file not found: <path>"`` or ``"<path>: not valid TOML: ..."``, with ``field``.
    """
    path = Path(path)
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"{what} file not found: {path}", field=field) from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}", field=field) from exc


def read_toml_tables(path: str | Path, *, what: str, field: str, keys: tuple[str, ...],
                     table: str) -> tuple[dict[str, Any], list[Any]]:
    """Read a TOML list file (a district's cameras, materials): top-level ``keys`` only, the entries as ``[[table]]``.

    Returns
    -------
    data : dict
        The whole file.
    tables : list
        Its ``[[table]]`` entries (empty when there are none).

    Raises
    ------
    ConfigError
        The file missing or not TOML (:func:`read_toml`), an unknown top-level key (named, with the known ones), or
        ``table`` not an array of tables.
    """
    p = Path(path)
    data = read_toml(p, what=what, field=field)
    for k in data:
        if k not in keys:
            raise ConfigError(f"{p.name}: unknown key {k!r}; known: {', '.join(keys)}", field=k)
    tables = data.get(table, [])
    if not isinstance(tables, list):
        raise ConfigError(f"{p.name}: entries are [[{table}]] tables", field=table)
    return data, tables
