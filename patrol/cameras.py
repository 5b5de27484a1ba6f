"""The district's cameras: the registry (a file in the district folder, edited through the record), what each camera
sees of the streets, and incidents seen on a camera.

Registry file
    ``cameras.toml`` in the district folder (another name: ``district.files.cameras``).  Top-level keys:
    ``illustrative`` (true when the cameras are made up for demonstration: say so) and ``note``; then one
    ``[[camera]]`` table per camera with

    =============  ===========================================================================================
    ``id``         letters, digits, ``-``, ``_`` or ``.`` (1-60 characters), unique
    ``name``       plain words for people (optional)
    ``lat, lon``   where the camera is (WGS84)
    ``heading_deg``  where it looks, degrees clockwise from north (0-360)
    ``fov_deg``    its field of view, degrees (1-360)
    ``range_m``    how far it sees usefully, metres (1-500)
    ``blocks``     or simply the blocks it sees (block ids); ``lat, lon`` are then optional
    ``owner``      who runs it; ``notes``
    =============  ===========================================================================================

    Unknown keys are refused.  The embedded Uptown district ships an **illustrative** file: its cameras are
    made up (no real camera's position is known to this project).
Edits
    Through the API (``PUT``/``DELETE /api/cameras/{id}``) or :class:`CameraBook`: each edit is a new row of the
    record's ``camera_edits`` (``set`` with the camera's fields, or ``remove``), audited; the registry is the
    file with the latest edit of each id applied.  The file itself is never written.
What a camera sees
    The sector of ``range_m`` around ``heading_deg`` +/- ``fov_deg / 2`` (in a local metric projection around
    the camera); each street block's seen length is the length of its line inside the sector (shapely).  A
    block is *watched* when at least :data:`MIN_SHARE` of it is seen (or when it is listed in ``blocks``).
    Walls and trees are not modelled: the sector is what the camera could see in the open.
The camera's view point
    Where an incident seen on the camera is placed when no location is given: the point of a watched block
    nearest to the middle of the sector (at half the range along the heading); for a camera given by its
    blocks, the middle of its first block.

>>> from patrol.district import load_district
>>> d = load_district()
>>> cam = camera_from_dict({"id": "demo", "lat": 44.9485, "lon": -93.2985, "heading_deg": 90, "fov_deg": 60,
...                         "range_m": 90})
>>> v = camera_view(d, cam)
>>> sorted({str(d.arrays.edge_name[b]) for b in v.blocks})
['W Lake St']
"""

from __future__ import annotations

import json
import logging
import math
import re
import sqlite3
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from shapely.geometry import LineString, Point, Polygon

from patrol.dispatch.idempotency import Idempotency
from patrol.dispatch.record import Incident, Record
from patrol.district import District
from patrol.errors import ConfigError, InputError, NotFoundError
from patrol.geocode import Location
from patrol.settings import read_toml_tables

__all__ = [
    "MIN_SHARE",
    "Camera",
    "CameraBook",
    "CameraFile",
    "CameraView",
    "camera_from_dict",
    "camera_view",
    "cameras_path",
    "load_cameras",
    "new_camera_incident",
    "view_location",
    "watched_blocks",
]

log = logging.getLogger(__name__)

#: A block is watched when at least this share of its length is inside a camera's sector.
MIN_SHARE = 0.5
_EARTH_M = 6_371_008.8
_ID = re.compile(r"^[A-Za-z0-9_.-]{1,60}$")
_KEYS = ("id", "name", "lat", "lon", "heading_deg", "fov_deg", "range_m", "blocks", "owner", "notes")
_TOP = ("illustrative", "note", "camera")


@dataclass(frozen=True)
class Camera:
    """One camera of the registry (see the module docstring)."""

    id: str
    name: str = ""
    lat: float | None = None
    lon: float | None = None
    heading_deg: float | None = None
    fov_deg: float | None = None
    range_m: float | None = None
    blocks: tuple[int, ...] = ()
    owner: str = ""
    notes: str = ""

    @property
    def sector(self) -> bool:
        """Whether the camera is given by a position, heading, field of view and range (else by its blocks)."""
        return not self.blocks

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["blocks"] = list(self.blocks)
        return d


def _number(d: dict[str, Any], key: str, lo: float, hi: float, where: str) -> float | None:
    v = d.get(key)
    if v is None:
        return None
    if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v) or not lo <= v <= hi:
        raise InputError(f"{where}{key}: {v!r} must be a number from {lo:g} to {hi:g}", field=key)
    return float(v)


def camera_from_dict(d: dict[str, Any], *, n_blocks: int | None = None, where: str = "") -> Camera:
    """A checked camera from a table of the file or an API body.

    Raises
    ------
    InputError
        Naming the key at fault (unknown keys too).
    """
    if not isinstance(d, dict):
        raise InputError(f"{where}a camera must be a table of keys", field="camera")
    for k in d:
        if k not in _KEYS:
            raise InputError(f"{where}unknown camera key {k!r}; known: {', '.join(_KEYS)}", field=k)
    cid = d.get("id")
    if not isinstance(cid, str) or not _ID.match(cid):
        raise InputError(f"{where}id: {cid!r} must be 1-60 letters, digits, '-', '_' or '.'", field="id")
    text = {}
    for k, n in (("name", 200), ("owner", 200), ("notes", 2000)):
        v = d.get(k, "")
        if not isinstance(v, str) or len(v) > n:
            raise InputError(f"{where}{k} must be a text of at most {n} characters", field=k)
        text[k] = v.strip()
    lat, lon = _number(d, "lat", -90, 90, where), _number(d, "lon", -180, 180, where)
    if (lat is None) != (lon is None):
        raise InputError(f"{where}give both lat and lon", field="lat" if lat is None else "lon")
    heading, fov, rng = (_number(d, "heading_deg", 0, 360, where), _number(d, "fov_deg", 1, 360, where),
                         _number(d, "range_m", 1, 500, where))
    raw = d.get("blocks") or []
    if not isinstance(raw, list) or any(isinstance(b, bool) or not isinstance(b, int) for b in raw):
        raise InputError(f"{where}blocks must be a list of block ids", field="blocks")
    if n_blocks is not None:
        for b in raw:
            if not 0 <= b < n_blocks:
                raise InputError(f"{where}blocks: {b} is not a block of this district (0..{n_blocks - 1})",
                                 field="blocks")
    blocks = tuple(dict.fromkeys(int(b) for b in raw))
    if not blocks:
        missing = [k for k, v in (("lat", lat), ("heading_deg", heading), ("fov_deg", fov), ("range_m", rng))
                   if v is None]
        if missing:
            raise InputError(f"{where}camera {cid}: give lat, lon, heading_deg, fov_deg and range_m, or the blocks "
                             f"it sees (missing: {', '.join(missing)})", field=missing[0])
    return Camera(cid, text["name"], lat, lon, heading, fov, rng, blocks, text["owner"], text["notes"])


@dataclass(frozen=True)
class CameraFile:
    """A registry file: its cameras, and whether they are illustrative."""

    cameras: tuple[Camera, ...] = ()
    illustrative: bool = False
    note: str = ""
    path: str | None = None


def cameras_path(district: District) -> Path | None:
    """The district's registry file (``district.files.cameras``, default ``cameras.toml``), ``None`` when absent."""
    if district.folder is None:
        return None
    p = Path(district.folder) / district.settings.district.files.get("cameras", "cameras.toml")
    return p if p.is_file() else None


def load_cameras(path: str | Path | None, *, n_blocks: int | None = None) -> CameraFile:
    """Read a registry file (``None``: an empty registry).

    Raises
    ------
    ConfigError
        Naming the file, the camera and the key at fault.
    """
    if path is None:
        return CameraFile()
    p = Path(path)
    data, tables = read_toml_tables(p, what="camera registry", field="cameras", keys=_TOP, table="camera")
    cams: list[Camera] = []
    for i, t in enumerate(tables, start=1):
        try:
            cams.append(camera_from_dict(t, n_blocks=n_blocks, where=f"camera {i}: "))
        except InputError as exc:
            raise ConfigError(f"{p.name}: {exc.message}", field=exc.field) from exc
    ids = [c.id for c in cams]
    dup = sorted({x for x in ids if ids.count(x) > 1})
    if dup:
        raise ConfigError(f"{p.name}: camera ids must be unique ({', '.join(dup)} repeated)", field="id")
    if not isinstance(data.get("illustrative", False), bool) or not isinstance(data.get("note", ""), str):
        raise ConfigError(f"{p.name}: illustrative is true or false, note a text", field="illustrative")
    return CameraFile(tuple(cams), bool(data.get("illustrative", False)), str(data.get("note", "")), str(p))


# ---------------------------------------------------------------------------------------- what a camera sees
@dataclass(frozen=True)
class CameraView:
    """What one camera sees of the district's streets.

    Attributes
    ----------
    camera : Camera
    blocks : tuple of int
        Watched blocks (at least :data:`MIN_SHARE` seen, or listed), most seen first.
    seen_m : dict
        Block -> metres of it inside the sector (every block touched).
    point : (int, float)
        The view point ``(block, offset_m)``: where an incident seen on the camera is placed.
    lat, lon : float
        The view point's coordinates.
    polygon : list of (lon, lat)
        The sector's outline (empty for a camera given by its blocks).
    """

    camera: Camera
    blocks: tuple[int, ...]
    seen_m: dict[int, float]
    point: tuple[int, float]
    lat: float
    lon: float
    polygon: list[tuple[float, float]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"camera": self.camera.to_dict(), "blocks": list(self.blocks),
                "seen_m": {str(b): round(m, 1) for b, m in sorted(self.seen_m.items())},
                "point": {"block": self.point[0], "offset_m": round(self.point[1], 1), "lat": round(self.lat, 6),
                          "lon": round(self.lon, 6)},
                "polygon": [[round(x, 6), round(y, 6)] for x, y in self.polygon]}


class _Local:
    """An equirectangular projection in metres around a point (exact enough over a camera's range)."""

    def __init__(self, lat0: float, lon0: float):
        self.lat0, self.lon0 = lat0, lon0
        self.kx = math.radians(1.0) * _EARTH_M * math.cos(math.radians(lat0))
        self.ky = math.radians(1.0) * _EARTH_M

    def xy(self, lon: float, lat: float) -> tuple[float, float]:
        return (lon - self.lon0) * self.kx, (lat - self.lat0) * self.ky

    def lonlat(self, x: float, y: float) -> tuple[float, float]:
        return self.lon0 + x / self.kx, self.lat0 + y / self.ky


def _sector(cam: Camera) -> list[tuple[float, float]]:
    """The sector's outline in local metres (a circle's polygon for 360 degrees)."""
    r, h, fov = float(cam.range_m or 0.0), float(cam.heading_deg or 0.0), float(cam.fov_deg or 0.0)
    n = max(8, int(math.ceil(fov / 5.0)))
    arc = [math.radians(h - fov / 2 + fov * i / n) for i in range(n + 1)]
    pts = [(r * math.sin(a), r * math.cos(a)) for a in arc]
    return pts if fov >= 360 else [(0.0, 0.0), *pts]


def camera_view(district: District, cam: Camera) -> CameraView:
    """What a camera sees (see the module docstring).

    Raises
    ------
    InputError
        When a listed block is not the district's.
    """
    a = district.arrays
    geoms = {int(d["block"]): d["geometry"] for _, _, d in district.graph.edges(data=True)}
    if not cam.sector:
        for b in cam.blocks:
            if not 0 <= b < a.n_edges:
                raise InputError(f"camera {cam.id}: block {b} is not a block of this district", field="blocks")
        first = cam.blocks[0]
        off = float(a.edge_length[first]) / 2.0
        lat, lon = district.geocoder.point_on_block(first, off)
        return CameraView(cam, tuple(cam.blocks), {b: float(a.edge_length[b]) for b in cam.blocks}, (first, off),
                          float(lat), float(lon))
    if cam.lat is None or cam.lon is None:
        raise InputError(f"camera {cam.id}: give its lat and lon, or the blocks it sees", field="lat")
    proj = _Local(cam.lat, cam.lon)
    outline = _sector(cam)
    poly = Polygon(outline)
    reach = float(cam.range_m or 0.0)
    seen: dict[int, float] = {}
    lines: dict[int, LineString] = {}
    for b, g in geoms.items():
        line = LineString([proj.xy(x, y) for x, y in g.coords])
        if line.distance(Point(0.0, 0.0)) > reach:
            continue
        inside = line.intersection(poly).length
        if inside > 0 and line.length > 0:
            seen[b] = inside / line.length * float(a.edge_length[b])
            lines[b] = line
    watched = sorted((b for b, m in seen.items() if m >= MIN_SHARE * float(a.edge_length[b]) - 1e-9),
                     key=lambda b: (-seen[b], b))
    centre = Point(reach / 2 * math.sin(math.radians(cam.heading_deg or 0.0)),
                   reach / 2 * math.cos(math.radians(cam.heading_deg or 0.0)))
    pool = watched or sorted(seen, key=lambda b: (-seen[b], b))[:1]
    if pool:
        best = min(pool, key=lambda b: (lines[b].distance(centre), b))
        x, y = lines[best].interpolate(lines[best].project(centre)).coords[0]
        lon, lat = proj.lonlat(x, y)
    else:  # the camera sees no street: the nearest street to the middle of its view
        lon, lat = proj.lonlat(centre.x, centre.y)
    loc = district.geocoder.snap(lat, lon)
    return CameraView(cam, tuple(watched), seen, (int(loc.block), float(loc.offset_m)), float(loc.lat),
                      float(loc.lon), [proj.lonlat(x, y) for x, y in outline] + [proj.lonlat(*outline[0])])


def watched_blocks(district: District, cameras: Iterable[Camera]) -> np.ndarray:
    """Bool per block: watched by at least one of the cameras."""
    out = np.zeros(district.arrays.n_edges, dtype=bool)
    for cam in cameras:
        out[list(camera_view(district, cam).blocks)] = True
    return out


# ---------------------------------------------------------------------------------------- the record's edits
class CameraBook:
    """The district's registry: its file with the record's edits applied (see the module docstring).

    Parameters
    ----------
    record : Record
    district : District
    path : path, optional
        The registry file (default: :func:`cameras_path`).
    """

    def __init__(self, record: Record, district: District, path: str | Path | None = None):
        self.record = record
        self.district = district
        self.file = load_cameras(path if path is not None else cameras_path(district), n_blocks=district.arrays.n_edges)

    def edits(self, camera_id: str | None = None) -> list[dict[str, Any]]:
        """The record's edits, oldest first: ``id, camera_id, action, data, at, actor``."""
        sql = "SELECT * FROM camera_edits WHERE district=?"
        params: list[Any] = [self.district.name]
        if camera_id is not None:
            sql += " AND camera_id=?"
            params.append(camera_id)
        rows = self.record.query(sql + " ORDER BY id", params)
        return [{**r, "data": json.loads(r["data"])} for r in rows]

    def cameras(self) -> list[Camera]:
        """The registry now: the file's cameras (in file order) with every edit applied, then added ones."""
        cams: dict[str, Camera | None] = {c.id: c for c in self.file.cameras}
        for e in self.edits():
            cams[e["camera_id"]] = None if e["action"] == "remove" else camera_from_dict(e["data"])
        return [c for c in cams.values() if c is not None]

    def get(self, camera_id: str) -> Camera:
        """One camera of the registry.

        Raises
        ------
        NotFoundError
            Naming the cameras known.
        """
        for c in self.cameras():
            if c.id == camera_id:
                return c
        known = ", ".join(c.id for c in self.cameras()) or "none"
        raise NotFoundError(f"no camera {camera_id!r} (known: {known})", field="camera_id")

    def _edit(self, camera_id: str, action: str, data: dict[str, Any], *, actor: str | None, at,
              idem: Idempotency | None) -> None:
        now, actor = self.record.stamp(at), actor or self.record.actor

        def work(c: sqlite3.Connection) -> None:
            values = (self.district.name, camera_id, action, json.dumps(data, sort_keys=True), now, actor)
            cur = c.execute("INSERT INTO camera_edits(district, camera_id, action, data, at, actor) "
                            "VALUES (?,?,?,?,?,?)", values)
            self.record.add_audit(c, now, actor, action, "camera", int(cur.lastrowid or 0),
                                  {"camera_id": camera_id, **data})

        self.record.write(work, idem=idem, actor=actor)

    def set(self, camera: Camera, *, actor: str | None = None, at=None, idem: Idempotency | None = None) -> Camera:
        """Add a camera or replace one (every field given)."""
        cam = camera_from_dict(camera.to_dict(), n_blocks=self.district.arrays.n_edges)
        self._edit(cam.id, "set", cam.to_dict(), actor=actor, at=at, idem=idem)
        return cam

    def remove(self, camera_id: str, *, actor: str | None = None, at=None, idem: Idempotency | None = None) -> Camera:
        """Take a camera out of the registry (the edit is kept).

        Raises
        ------
        NotFoundError
            For a camera not in the registry.
        """
        cam = self.get(camera_id)
        self._edit(cam.id, "remove", {}, actor=actor, at=at, idem=idem)
        return cam


def view_location(district: District, view: CameraView) -> Location:
    """The camera's view point as a location (``"W Lake St, in view of camera A"``)."""
    b, off = view.point
    street = str(district.arrays.edge_name[b])
    return Location(lat=view.lat, lon=view.lon, block=b, offset_m=off, kind="point",
                    matched=f"{street}, in view of camera {view.camera.name or view.camera.id}",
                    in_area=bool(district.arrays.edge_in_area[b]))


def new_camera_incident(record: Record, district: District, view: CameraView, *, type: str, priority: str = "normal",
                        notes: str = "", location: Location | None = None, received_at=None, at=None,
                        actor: str | None = None, idem: Idempotency | None = None) -> Incident:
    """Record an incident seen on a camera (source ``camera``, its id on the incident), placed at the camera's view
    point (:func:`view_location`), or at ``location`` when the dispatcher names a place in the picture."""
    cam = view.camera
    if location is None:
        location = view_location(district, view)
        text = f"camera {cam.id}"
    else:
        text = f"camera {cam.id}: {location.matched}"
    return record.new_incident(type=type, source="camera", location_text=text, priority=priority, notes=notes,
                               lat=location.lat, lon=location.lon, block=location.block, offset_m=location.offset_m,
                               in_area=location.in_area, matched=location.matched, received_at=received_at,
                               camera_id=cam.id, at=at, actor=actor, idem=idem)
