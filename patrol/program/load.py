"""A program of several districts: ``program.toml``, read into a typed :class:`Program`.

A city's ambassador program runs several districts (Uptown, Lyn-Lake, downtown ...), each a district folder
(:mod:`patrol.district`) with its own streets, roster, shift and plan, dispatched from one desk and kept in one
record.  The program folder holds ``program.toml``::

    [program]
    name = "Minneapolis safety ambassadors"
    description = "Uptown and Lyn-Lake"      # optional

    [shared]                                  # optional, every key optional
    record = "program.db"                     # the one record of every district (relative to this folder)
    join_tolerance_m = 12.0                   # street corners of two districts this close are one corner
    timezone = "America/Chicago"              # when given, every district must be in it

    [[districts]]
    name = "uptown"                           # the district's name in the program: record, API, folders
    path = "embedded"                         # the embedded Uptown district
    label = "Uptown"                          # optional: a short name for the console (default: name)
    [[districts]]
    name = "lynlake"
    path = "lynlake"                          # a district folder, relative to this folder

What must hold across the districts (each refused with a message naming the districts and the fix):

* district names are unique, lower case ``a-z0-9-_`` (they name folders and go into URLs);
* ambassador and unit names are unique across the program (the record keys pings, duty and logs by them; set
  ``roster.names`` in a district's ``district.toml``);
* one time zone (one dispatch desk, one clock) and one ``speeds.response_m_s`` (walking times are compared
  across the boundary).

Where districts touch, their street graphs are joined (:mod:`patrol.program.joined`): the network the
nearest-responder ranking walks across a boundary.
"""

from __future__ import annotations

import logging
import math
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from patrol.dispatch.roster import roster_units
from patrol.district import District, default_district_path, load_district
from patrol.errors import ConfigError, PatrolError
from patrol.program.joined import JoinedNetwork, join_districts
from patrol.settings import read_toml

__all__ = ["EMBEDDED", "Program", "ProgramDistrict", "load_program"]

log = logging.getLogger(__name__)

#: ``path`` of a district entry that means the district embedded in ``patrol`` (Uptown).
EMBEDDED = "embedded"
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
_KEYS = {"program": {"name", "description"}, "shared": {"record", "join_tolerance_m", "timezone"},
         "districts": {"name", "path", "label"}}


@dataclass(frozen=True)
class ProgramDistrict:
    """One district of a program.

    Attributes
    ----------
    name : str
        Its name in the program (``program.toml``): the record's ``district``, the API's ``district=``, the
        outputs' folder.
    path : str
        As written in ``program.toml`` (``embedded`` or a folder).
    district : District
    label : str
        A short name for the console's badges (``label`` in ``program.toml``, default ``name``).
    """

    name: str
    path: str
    district: District = field(repr=False)
    label: str = ""

    @property
    def title(self) -> str:
        """The district's own name (``district.name`` in its ``district.toml``)."""
        return self.district.name

    @property
    def source(self) -> str:
        """``embedded`` or the district folder (resolved)."""
        return self.district.source or self.path

    def area_km2(self) -> float:
        """Size of the patrol area box, km² (the smaller of two areas holding a point is the point's home)."""
        a = self.district.settings.area
        lat0 = math.radians((a.south + a.north) / 2)
        return abs(a.north - a.south) * 111.32 * abs(a.east - a.west) * 111.32 * math.cos(lat0)


@dataclass(frozen=True)
class Program:
    """A program of several districts sharing one record and, where they touch, one street network.

    Attributes
    ----------
    name, description : str
    folder : Path
        The program folder (``program.toml`` is in it).
    districts : dict
        Name -> :class:`ProgramDistrict`, in the file's order (the first is the default district).
    record_path : Path
        The shared record (``shared.record``, default ``program.db`` in the folder).
    join_tolerance_m : float
        Corners of two districts at most this far apart, each the other's nearest, are one corner.
    timezone : str
    """

    name: str
    folder: Path
    districts: dict[str, ProgramDistrict]
    record_path: Path
    join_tolerance_m: float = 12.0
    timezone: str = "UTC"
    description: str = ""

    def __getitem__(self, name: str) -> ProgramDistrict:
        return self.get(name)

    def get(self, name: str) -> ProgramDistrict:
        """The district called ``name`` in the program.

        Raises
        ------
        ConfigError
            Naming the program's districts.
        """
        found = self.districts.get(str(name).strip())
        if found is None:
            raise ConfigError(f"no district {name!r} in the program {self.name!r}; its districts: "
                               f"{', '.join(self.districts)}", field="district",
                               details={"districts": list(self.districts)})
        return found

    @property
    def names(self) -> list[str]:
        return list(self.districts)

    @property
    def default(self) -> str:
        """The first district of ``program.toml``."""
        return next(iter(self.districts))

    @cached_property
    def ambassadors(self) -> dict[str, str]:
        """Ambassador and unit name -> the district whose roster has it."""
        out: dict[str, str] = {}
        for d in self.districts.values():
            for n in _roster_names(d.district):
                out[n] = d.name
        return out

    def district_of(self, ambassador: str) -> str | None:
        """The district of an ambassador or unit name (``None`` when no roster has it)."""
        return self.ambassadors.get(str(ambassador).strip())

    @cached_property
    def joined(self) -> JoinedNetwork:
        """The districts' street graphs joined where they touch (built on first use)."""
        return join_districts({k: d.district for k, d in self.districts.items()}, self.join_tolerance_m)

    def home_of(self, candidates: dict[str, bool]) -> str:
        """The home district among those that placed a point: ``{district: point in its patrol area}``.

        The districts whose patrol area holds the point come first, the smallest area first (a district nested in
        another one is the more specific); then the others; each in the file's order.
        """
        inside = [k for k in self.districts if candidates.get(k)]
        if inside:
            return min(inside, key=lambda k: (self.districts[k].area_km2(), self.names.index(k)))
        return next(k for k in self.districts if k in candidates)

    def info(self) -> dict[str, Any]:
        """The program as JSON: its districts (area, base, roster, shift) and the joined network's figures."""
        out = []
        for d in self.districts.values():
            s = d.district.settings
            a = s.area
            out.append({"name": d.name, "title": d.title, "label": d.label or d.name, "source": d.source,
                        "area_bounds": {"south": a.south, "north": a.north, "west": a.west, "east": a.east},
                        "area_km2": round(d.area_km2(), 3),
                        "base": {"name": s.base.name, "at": d.district.base.matched, "lat": d.district.base.lat,
                                 "lon": d.district.base.lon},
                        "roster": _roster_names(d.district),
                        "shift": {"days": list(s.shift.days), "start": s.shift.start, "end": s.shift.end}})
        return {"name": self.name, "description": self.description, "timezone": self.timezone,
                "record": str(self.record_path), "join_tolerance_m": self.join_tolerance_m, "districts": out,
                "default": self.default}


def _roster_names(district: District) -> list[str]:
    """Every name the district's desk answers to: its ambassadors, and its units' names in pairs mode."""
    names = list(district.settings.roster.ambassador_names())
    return names + [u.name for u in roster_units(district.settings) if u.name not in names]


def _refuse_unknown(table: dict[str, Any], allowed: set[str], where: str, path: Path) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise ConfigError(f"{path}: unknown key(s) in {where}: {', '.join(unknown)} (known: "
                           f"{', '.join(sorted(allowed))})", field=f"{where}.{unknown[0]}")


def load_program(path: str | Path) -> Program:
    """Read ``program.toml`` (give the folder or the file) and load every district it lists.

    Raises
    ------
    ConfigError
        When the file is missing or not TOML, has an unknown key or a bad value, lists no district, names a
        district twice or a folder that is not a district, or when districts do not fit together (an ambassador
        on two rosters, two time zones, two response speeds); the message names the problem and the district.
    """
    p = Path(path)
    file = p / "program.toml" if p.is_dir() else p
    folder = file.parent
    try:
        data = read_toml(file, what="program", field="program")
    except ConfigError as exc:
        raise ConfigError(exc.message + (" (a program folder holds program.toml)" if "not found" in exc.message
                                          else ""), field="program") from exc
    _refuse_unknown(data, set(_KEYS), "the file", file)
    head = data.get("program")
    if not isinstance(head, dict) or not str(head.get("name") or "").strip():
        raise ConfigError(f"{file}: [program] needs a name (name = \"...\")", field="program.name")
    _refuse_unknown(head, _KEYS["program"], "[program]", file)
    shared = data.get("shared", {})
    if not isinstance(shared, dict):
        raise ConfigError(f"{file}: [shared] must be a table", field="shared")
    _refuse_unknown(shared, _KEYS["shared"], "[shared]", file)
    tol = shared.get("join_tolerance_m", 12.0)
    if isinstance(tol, bool) or not isinstance(tol, int | float) or not 0 < float(tol) <= 100:
        raise ConfigError(f"{file}: shared.join_tolerance_m must be metres in (0, 100], got {tol!r}",
                           field="shared.join_tolerance_m")
    entries = data.get("districts")
    if not isinstance(entries, list) or not entries:
        raise ConfigError(f"{file}: the program lists no district: add [[districts]] tables with name and path",
                           field="districts")
    districts: dict[str, ProgramDistrict] = {}
    for i, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict):
            raise ConfigError(f"{file}: districts entry {i} must be a table (name, path)", field="districts")
        _refuse_unknown(entry, _KEYS["districts"], f"districts entry {i}", file)
        name, where, label = entry.get("name"), entry.get("path"), entry.get("label", "")
        if not isinstance(name, str) or not _NAME.match(name):
            raise ConfigError(f"{file}: districts entry {i}: name {name!r} must be 1-40 characters a-z, 0-9, - or _,"
                               " starting with a letter or digit (it names folders and goes into URLs)",
                               field="districts.name")
        if name in districts:
            raise ConfigError(f"{file}: district {name!r} is listed twice", field="districts.name")
        if not isinstance(where, str) or not where.strip():
            raise ConfigError(f"{file}: district {name!r} needs a path (a district folder, or \"{EMBEDDED}\")",
                               field="districts.path")
        folder_d = default_district_path() if where == EMBEDDED else (folder / where)
        if not (folder_d / "district.toml").is_file():
            raise ConfigError(f"{file}: district {name!r}: {folder_d} is not a district folder (no district.toml); "
                               "build one with `patrol district build ... --out FOLDER`", field="districts.path",
                               details={"district": name, "path": str(folder_d)})
        try:
            district = load_district(folder_d)
        except PatrolError as exc:
            raise ConfigError(f"district {name!r} ({folder_d}): {exc.message}", field="districts.path",
                               details={"district": name, **exc.details}) from exc
        if not isinstance(label, str) or len(label) > 30:
            raise ConfigError(f"{file}: district {name!r}: label must be a short text (at most 30 characters)",
                               field="districts.label")
        districts[name] = ProgramDistrict(name, where, district, label.strip() or name)
    _check_together(file, districts, shared)
    zone = next(iter(districts.values())).district.settings.district.timezone
    record = folder.resolve() / str(shared.get("record") or "program.db")
    program = Program(str(head["name"]).strip(), folder.resolve(), districts, record, float(tol), zone,
                      str(head.get("description") or ""))
    log.info("program %s: %d districts (%s)", program.name, len(districts), ", ".join(districts))
    return program


def _check_together(file: Path, districts: dict[str, ProgramDistrict], shared: dict[str, Any]) -> None:
    """Refuse districts that cannot share one desk and one record."""
    owner: dict[str, str] = {}
    twice: list[str] = []
    for d in districts.values():
        for n in _roster_names(d.district):
            if n in owner:
                twice.append(f"{n} ({owner[n]} and {d.name})")
            owner.setdefault(n, d.name)
    if twice:
        raise ConfigError(f"{file}: ambassador names must be unique across the program (the record keys pings, duty "
                           f"and logs by name): {', '.join(twice[:8])}; give each district its own names with "
                           "roster.names in its district.toml", field="roster.names",
                           details={"duplicates": twice})
    zones = {k: d.district.settings.district.timezone for k, d in districts.items()}
    want = shared.get("timezone")
    if want is not None and any(z != want for z in zones.values()):
        bad = ", ".join(f"{k}: {z}" for k, z in zones.items() if z != want)
        raise ConfigError(f"{file}: shared.timezone is {want}, but {bad}", field="district.timezone")
    if len(set(zones.values())) > 1:
        raise ConfigError(f"{file}: the districts of one program share one clock, but their time zones differ ("
                           + ", ".join(f"{k}: {z}" for k, z in zones.items()) + ")", field="district.timezone")
    speeds = {k: d.district.settings.speeds.response_m_s for k, d in districts.items()}
    if len(set(speeds.values())) > 1:
        raise ConfigError(f"{file}: walking times are compared across district boundaries at one response speed, "
                           "but speeds.response_m_s differs (" + ", ".join(f"{k}: {v:g} m/s" for k, v in speeds.items())
                           + ")", field="speeds.response_m_s")
