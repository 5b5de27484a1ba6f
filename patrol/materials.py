"""The district's services and written materials: what ambassadors refer people to and hand out.

List file
    ``materials.toml`` in the district folder (another name: ``district.files.materials``).  Top-level keys
    ``illustrative`` (true when some entries are made up: say so) and ``note``; then one ``[[item]]`` table per
    service or material:

    ================  ========================================================================================
    ``id``            letters, digits, ``-``, ``_`` or ``.`` (1-60 characters), unique: what the record keeps
    ``name``          plain words
    ``kind``          one of :data:`KINDS` (shelter, food, mental health, youth services, business resources,
                      event flyer, ...)
    ``description``   one or two sentences for the ambassador
    ``at``            where it is: anything the geocoder accepts (a business of the district, an intersection);
                      or ``lat``, ``lon``
    ``hours``         opening hours as text (``"Mo-Fr 09:00-17:00"``, ``"24/7"``); empty when not known
    ``phone``, ``web``  how to reach it
    ``source``        where the entry comes from
    ``illustrative``  true for an entry made up for demonstration (shown as such)
    ================  ========================================================================================

    Unknown keys are refused.  The Uptown list takes what the district's own data supports (the library and
    clinics of ``businesses.csv``) and national or city phone lines; the rest is marked illustrative.
Handouts
    An ambassador's referral or information-sharing log may name the materials given (id and count); the
    record keeps them beside the interaction (table ``handouts``, with the kind at the time), and the program
    report counts them by kind.

>>> from patrol.district import load_district
>>> lst = district_materials(load_district())
>>> [m.id for m in lst.for_kind("mental health")][:1]
['988-lifeline']
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from patrol.district import District
from patrol.errors import ConfigError, InputError, PatrolError
from patrol.settings import read_toml_tables
from patrol.vocab import REFERRAL_TYPES

__all__ = ["KINDS", "Material", "MaterialList", "district_materials", "load_materials", "materials_path"]

log = logging.getLogger(__name__)

#: Kinds of services and materials: the program's referral types, then business resources, event flyers and
#: general information.
KINDS: tuple[str, ...] = (*[t for t in REFERRAL_TYPES if t != "other"], "business resources", "event flyer",
                          "information", "other")
_ID = re.compile(r"^[A-Za-z0-9_.-]{1,60}$")
_KEYS = ("id", "name", "kind", "description", "at", "lat", "lon", "hours", "phone", "web", "source", "illustrative")
_TOP = ("illustrative", "note", "item")


@dataclass(frozen=True)
class Material:
    """A service or written material of the district's list (see the module docstring)."""

    id: str
    name: str
    kind: str
    description: str = ""
    at: str = ""
    lat: float | None = None
    lon: float | None = None
    hours: str = ""
    phone: str = ""
    web: str = ""
    source: str = ""
    illustrative: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class MaterialList:
    """A district's list of services and materials."""

    items: tuple[Material, ...] = ()
    illustrative: bool = False
    note: str = ""
    path: str | None = None

    def get(self, material_id: str) -> Material:
        """One item.

        Raises
        ------
        InputError
            For an id not in the list (naming the ids known).
        """
        for m in self.items:
            if m.id == material_id:
                return m
        known = ", ".join(m.id for m in self.items) or "none: the district has no materials.toml"
        raise InputError(f"materials: {material_id!r} is not in the district's list ({known})", field="materials")

    def for_kind(self, kind: str) -> list[Material]:
        """The items of one kind, in list order."""
        return [m for m in self.items if m.kind == kind]

    def handouts(self, given: Iterable[tuple[str, int]]) -> list[tuple[str, str, int]]:
        """``(id, count)`` pairs checked against the list, as the record keeps them: ``(id, kind, count)``.

        Raises
        ------
        InputError
            For an unknown id or a count outside 1-1000.
        """
        out = []
        for mid, count in given:
            m = self.get(str(mid).strip())
            if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= 1000:
                raise InputError(f"materials: count {count!r} of {m.id} must be a whole number from 1 to 1000",
                                 field="materials")
            out.append((m.id, m.kind, count))
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"illustrative": self.illustrative, "note": self.note, "kinds": list(KINDS),
                "items": [m.to_dict() for m in self.items]}


def materials_path(district: District) -> Path | None:
    """The district's list file (``district.files.materials``, default ``materials.toml``), ``None`` when absent."""
    if district.folder is None:
        return None
    p = Path(district.folder) / district.settings.district.files.get("materials", "materials.toml")
    return p if p.is_file() else None


def _item(t: Any, where: str, district: District | None) -> Material:
    if not isinstance(t, dict):
        raise ConfigError(f"{where}an item is a table of keys", field="item")
    for k in t:
        if k not in _KEYS:
            raise ConfigError(f"{where}unknown key {k!r}; known: {', '.join(_KEYS)}", field=k)
    mid = t.get("id")
    if not isinstance(mid, str) or not _ID.match(mid):
        raise ConfigError(f"{where}id: {mid!r} must be 1-60 letters, digits, '-', '_' or '.'", field="id")
    kind = t.get("kind")
    if kind not in KINDS:
        raise ConfigError(f"{where}kind: {kind!r} is not one of {', '.join(KINDS)}", field="kind")
    text: dict[str, str] = {}
    for k in ("name", "description", "at", "hours", "phone", "web", "source"):
        v = t.get(k, "")
        if not isinstance(v, str) or len(v) > 2000:
            raise ConfigError(f"{where}{k} must be a text", field=k)
        text[k] = v.strip()
    if not text["name"]:
        raise ConfigError(f"{where}name must not be empty", field="name")
    lat, lon = t.get("lat"), t.get("lon")
    for k, v, lo, hi in (("lat", lat, -90, 90), ("lon", lon, -180, 180)):
        if v is not None and (isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v)
                              or not lo <= v <= hi):
            raise ConfigError(f"{where}{k}: {v!r} is not a coordinate", field=k)
    if (lat is None) != (lon is None):
        raise ConfigError(f"{where}give both lat and lon", field="lat")
    if lat is None and text["at"] and district is not None:
        try:
            loc = district.geocode(text["at"])
        except PatrolError as exc:
            raise ConfigError(f"{where}at: {exc.message}", field="at") from exc
        lat, lon = loc.lat, loc.lon
    if not isinstance(t.get("illustrative", False), bool):
        raise ConfigError(f"{where}illustrative is true or false", field="illustrative")
    return Material(mid, text["name"], kind, text["description"], text["at"], None if lat is None else float(lat),
                    None if lon is None else float(lon), text["hours"], text["phone"], text["web"], text["source"],
                    bool(t.get("illustrative", False)))


def load_materials(path: str | Path | None, *, district: District | None = None) -> MaterialList:
    """Read a list file (``None``: an empty list); ``at`` texts are geocoded on ``district`` when given.

    Raises
    ------
    ConfigError
        Naming the file, the item and the key at fault.
    """
    if path is None:
        return MaterialList()
    p = Path(path)
    data, tables = read_toml_tables(p, what="materials list", field="materials", keys=_TOP, table="item")
    items = [_item(t, f"{p.name}: item {i}: ", district) for i, t in enumerate(tables, start=1)]
    ids = [m.id for m in items]
    dup = sorted({x for x in ids if ids.count(x) > 1})
    if dup:
        raise ConfigError(f"{p.name}: item ids must be unique ({', '.join(dup)} repeated)", field="id")
    if not isinstance(data.get("illustrative", False), bool) or not isinstance(data.get("note", ""), str):
        raise ConfigError(f"{p.name}: illustrative is true or false, note a text", field="illustrative")
    return MaterialList(tuple(items), bool(data.get("illustrative", False)), str(data.get("note", "")), str(p))


def district_materials(district: District) -> MaterialList:
    """The district's list (empty when it has no file)."""
    return load_materials(materials_path(district), district=district)
