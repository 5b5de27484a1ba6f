"""Businesses and public places of a district: records, opening hours and reading/writing CSV.

A district folder may hold ``businesses.csv`` (name, category, lat, lon, source[, hours]) and
``transit_stops.csv`` (name, lat, lon); both feed the demand model (:mod:`patrol.demand`), businesses also
the check-ins of the daily plan.  ``patrol district build --businesses / --stops`` adds them to any district.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

from patrol.errors import DistrictError
from patrol.settings import parse_hours

__all__ = ["Business", "TransitStop", "opening_minutes", "read_businesses", "read_transit_stops", "write_businesses",
           "write_transit_stops"]


@dataclass(frozen=True)
class Business:
    """A business or public place to check in with.

    ``category`` is an OpenStreetMap-style ``key:value`` (``amenity:cafe``); ``hours`` is an
    ``HH:MM-HH:MM`` span when the data knows it, else empty (the district default then applies).
    """

    name: str
    category: str
    lat: float
    lon: float
    source: str = ""
    hours: str = ""


@dataclass(frozen=True)
class TransitStop:
    """A bus or rail stop (the demand model counts a stop as three businesses)."""

    name: str
    lat: float
    lon: float


_OSM_SIMPLE_HOURS = re.compile(r"^(?:Mo-Su|Mo-Sa|Tu-Sa|Mo-Fr)?\s*(\d{1,2}:\d{2})\s*-\s*(\d{1,2}:\d{2})$")


def opening_minutes(business: Business, defaults: dict[str, str]) -> tuple[int, int, bool]:
    """Opening ``(open_min, close_min, from_data)`` of a business on a shift day.

    Uses the business's own ``hours`` when they parse (a plain ``HH:MM-HH:MM`` or a simple OSM
    ``opening_hours`` such as ``Mo-Su 07:00-20:00``), else ``defaults[category]``, then
    ``defaults[key]`` (the part before ``:``), then ``defaults["default"]``.
    """
    text = (business.hours or "").strip()
    if text:
        m = _OSM_SIMPLE_HOURS.match(text)
        if m:
            try:
                a, b = parse_hours(f"{m.group(1)}-{m.group(2)}")
                return a, b, True
            except Exception:
                pass
    key = business.category.split(":", 1)[0]
    span = defaults.get(business.category) or defaults.get(key) or defaults["default"]
    a, b = parse_hours(span)
    return a, b, False


def read_businesses(path: Path) -> list[Business]:
    """Read ``businesses.csv`` (columns name, category, lat, lon, source[, hours]).

    Raises
    ------
    DistrictError
        Naming the row and column of a bad value.
    """
    out: list[Business] = []
    try:
        with open(path, newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            missing = {"name", "category", "lat", "lon"} - set(reader.fieldnames or [])
            if missing:
                raise DistrictError(f"{path.name}: missing column(s) {sorted(missing)}", field=sorted(missing)[0])
            for i, row in enumerate(reader, start=2):
                try:
                    lat, lon = float(row["lat"]), float(row["lon"])
                except (TypeError, ValueError) as exc:
                    raise DistrictError(f"{path.name} line {i}: lat/lon not numbers", field="lat") from exc
                if not row["name"].strip():
                    raise DistrictError(f"{path.name} line {i}: empty name", field="name")
                out.append(Business(row["name"].strip(), row["category"].strip(), lat, lon,
                                    (row.get("source") or "").strip(), (row.get("hours") or "").strip()))
    except FileNotFoundError as exc:
        raise DistrictError(f"businesses file not found: {path}") from exc
    return out


def write_businesses(path: Path, businesses: list[Business]) -> None:
    """Write businesses in the ``businesses.csv`` format (with an ``hours`` column)."""
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["name", "category", "lat", "lon", "source", "hours"])
        for b in businesses:
            w.writerow([b.name, b.category, f"{b.lat:.6f}", f"{b.lon:.6f}", b.source, b.hours])


def read_transit_stops(path: Path) -> list[TransitStop]:
    """Read ``transit_stops.csv`` (columns lat, lon[, name]; GTFS ``stops.txt`` columns stop_lat, stop_lon,
    stop_name are accepted too).

    Raises
    ------
    DistrictError
        When the file is missing, lacks the coordinate columns, or has a bad value (naming the line).
    """
    out: list[TransitStop] = []
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            cols = set(reader.fieldnames or [])
            lat_c, lon_c, name_c = ("stop_lat", "stop_lon", "stop_name") if {"stop_lat", "stop_lon"} <= cols \
                else ("lat", "lon", "name")
            if not {lat_c, lon_c} <= cols:
                raise DistrictError(f"{Path(path).name}: needs columns lat, lon (or GTFS stop_lat, stop_lon); "
                                    f"has {', '.join(sorted(cols))}", field="lat")
            for i, row in enumerate(reader, start=2):
                try:
                    lat, lon = float(row[lat_c]), float(row[lon_c])
                except (TypeError, ValueError) as exc:
                    raise DistrictError(f"{Path(path).name} line {i}: {lat_c}/{lon_c} not numbers",
                                        field=lat_c) from exc
                if not (-90 <= lat <= 90 and -180 <= lon <= 180):
                    raise DistrictError(f"{Path(path).name} line {i}: {lat},{lon} is not a latitude,longitude",
                                        field=lat_c)
                out.append(TransitStop((row.get(name_c) or "").strip(), lat, lon))
    except FileNotFoundError as exc:
        raise DistrictError(f"transit stops file not found: {path}", field="stops") from exc
    except UnicodeDecodeError as exc:
        raise DistrictError(f"{Path(path).name} is not a UTF-8 CSV file", field="stops") from exc
    return out


def write_transit_stops(path: Path, stops: list[TransitStop]) -> None:
    """Write stops in the ``transit_stops.csv`` format."""
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["name", "lat", "lon"])
        for s in stops:
            w.writerow([s.name, f"{s.lat:.6f}", f"{s.lon:.6f}"])
