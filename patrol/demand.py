"""Incident demand per street block, and the hot spots it implies.

Demand says where ambassadors are most needed.  It comes from an incident-history CSV when one is
given (each incident snapped onto its nearest block), otherwise from a proxy: business density
(businesses per block) plus transit stops (``transit_stops.csv`` in the district folder, optional),
both smoothed along the street network with a Gaussian kernel so that a busy corner also lends
weight to its neighbouring blocks.

>>> from patrol.district import load_district
>>> from patrol.demand import block_demand, top_hotspots
>>> d = load_district()
>>> w = block_demand(d)
>>> round(float(w.sum()), 6)
1.0
>>> len(top_hotspots(d, 5))
5

The API is small on purpose (other modules reuse it): :func:`load_incident_history`,
:func:`block_demand`, :func:`top_hotspots`.
"""

from __future__ import annotations

import csv
import hashlib
import logging
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np

from patrol.district import District
from patrol.errors import InputError
from patrol.paths import node_distances

__all__ = ["IncidentHistory", "block_demand", "load_incident_history", "load_transit_stops", "top_hotspots"]

log = logging.getLogger(__name__)

#: Standard column names of an incident history; ``columns=`` maps them to a file's own names.
HISTORY_COLUMNS = ("lat", "lon", "time", "type")
_TIME_FORMATS = ("%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M",
                 "%Y/%m/%d %H:%M:%S", "%m/%d/%Y %H:%M:%S", "%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %H:%M",
                 "%Y-%m-%d")


@dataclass(frozen=True)
class IncidentHistory:
    """Past incidents as parallel arrays.

    Attributes
    ----------
    lat, lon : numpy.ndarray of float
    time : numpy.ndarray of datetime64[s]
        ``NaT`` where the file had no time.
    type : numpy.ndarray of object (str)
    source : str
        The file it came from.
    columns : dict
        The column mapping it was read with (standard name -> the file's name).
    """

    lat: np.ndarray
    lon: np.ndarray
    time: np.ndarray
    type: np.ndarray
    source: str = ""
    columns: dict[str, str] = field(default_factory=dict)

    def __len__(self) -> int:
        return int(self.lat.size)

    @property
    def digest(self) -> str:
        """A digest of the incidents' places (what the hot spots depend on)."""
        h = hashlib.sha256(np.ascontiguousarray(self.lat, dtype=np.float64).tobytes())
        h.update(np.ascontiguousarray(self.lon, dtype=np.float64).tobytes())
        return "sha256:" + h.hexdigest()[:32]

    def blocks(self, district: District) -> tuple[np.ndarray, np.ndarray]:
        """``(block, keep)``: nearest block per incident and the mask of those within ``max_snap_m``."""
        if len(self) == 0:
            return np.zeros(0, np.int64), np.zeros(0, bool)
        block, _, dist = district.geocoder.snap_many(self.lat, self.lon)
        return block, dist <= district.settings.dispatch.max_snap_m


def _parse_time(text: str) -> np.datetime64 | None:
    text = text.strip()
    if not text:
        return None
    try:
        return np.datetime64(datetime.fromisoformat(text.replace("Z", "+00:00")).replace(tzinfo=None), "s")
    except ValueError:
        pass
    for fmt in _TIME_FORMATS:
        try:
            return np.datetime64(datetime.strptime(text, fmt), "s")
        except ValueError:
            continue
    raise ValueError(text)


def load_incident_history(path: str | Path, columns: dict[str, str] | None = None) -> IncidentHistory:
    """Read an incident-history CSV (columns ``lat``, ``lon``, ``time``, ``type``).

    Parameters
    ----------
    path : str or Path
    columns : dict, optional
        Standard name -> the file's column name, e.g. ``{"lat": "centerLat", "lon": "centerLong",
        "time": "reportedDateTime", "type": "offense"}`` for a city open-data export.  ``time`` and
        ``type`` are optional in the file.

    Returns
    -------
    IncidentHistory

    Raises
    ------
    InputError
        When the file is missing, a needed column is absent (naming it), or a value is bad (naming
        the line and the column).

    Examples
    --------
    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "h.csv")
    >>> _ = open(p, "w").write("Y,X,when\\n44.948,-93.298,2024-05-01 13:05\\n")
    >>> len(load_incident_history(p, columns={"lat": "Y", "lon": "X", "time": "when"}))
    1
    """
    path = Path(path)
    cols = {c: c for c in HISTORY_COLUMNS}
    for key, name in (columns or {}).items():
        if key not in HISTORY_COLUMNS:
            raise InputError(f"unknown history column key {key!r}; use {', '.join(HISTORY_COLUMNS)}", field=key)
        cols[key] = name
    lat, lon, times, types = [], [], [], []
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            header = set(reader.fieldnames or [])
            for key in ("lat", "lon"):
                if cols[key] not in header:
                    raise InputError(f"{path.name}: no column {cols[key]!r} for {key} (columns: "
                                     f"{', '.join(sorted(header))}); map it with columns={{'{key}': '...'}}",
                                     field=cols[key])
            for line, row in enumerate(reader, start=2):
                for key, store in (("lat", lat), ("lon", lon)):
                    raw = (row.get(cols[key]) or "").strip()
                    try:
                        value = float(raw)
                    except ValueError:
                        raise InputError(f"{path.name} line {line}, column {cols[key]!r}: {raw!r} is not a number",
                                         field=cols[key], details={"line": line}) from None
                    limit = 90 if key == "lat" else 180
                    if not -limit <= value <= limit:
                        raise InputError(f"{path.name} line {line}, column {cols[key]!r}: {value} is not a {key}",
                                         field=cols[key], details={"line": line})
                    store.append(value)
                raw_t = row.get(cols["time"]) or ""
                try:
                    t = _parse_time(raw_t)
                except ValueError:
                    raise InputError(f"{path.name} line {line}, column {cols['time']!r}: {raw_t!r} is not a date/time",
                                     field=cols["time"], details={"line": line}) from None
                times.append(np.datetime64("NaT", "s") if t is None else t)
                types.append((row.get(cols["type"]) or "").strip())
    except FileNotFoundError as exc:
        raise InputError(f"incident history not found: {path}", field="history") from exc
    except UnicodeDecodeError as exc:
        raise InputError(f"{path.name} is not a UTF-8 CSV file", field="history") from exc
    log.info("read %d incidents from %s", len(lat), path)
    return IncidentHistory(np.asarray(lat, float), np.asarray(lon, float),
                           np.asarray(times, dtype="datetime64[s]"), np.asarray(types, dtype=object), str(path),
                           dict(columns or {}))


def load_transit_stops(district: District) -> tuple[np.ndarray, np.ndarray]:
    """``(lat, lon)`` of the district's transit stops (``transit_stops.csv``: name, lat, lon), or empties."""
    folder = getattr(district, "folder", None)
    path = Path(folder) / "transit_stops.csv" if folder else None
    if path is None or not path.is_file():
        return np.zeros(0), np.zeros(0)
    lat, lon = [], []
    with open(path, newline="", encoding="utf-8") as fh:
        for line, row in enumerate(csv.DictReader(fh), start=2):
            try:
                lat.append(float(row["lat"]))
                lon.append(float(row["lon"]))
            except (KeyError, TypeError, ValueError) as exc:
                raise InputError(f"{path.name} line {line}: lat/lon missing or not numbers", field="lat") from exc
    return np.asarray(lat), np.asarray(lon)


def _smooth(district, raw: np.ndarray, bandwidth_m: float) -> np.ndarray:
    """Gaussian smoothing of per-block values along the network (block midpoint distances)."""
    a = district.arrays
    dist = node_distances(a)
    u, v, half = a.edge_u, a.edge_v, a.edge_length / 2
    src = np.flatnonzero(raw > 0)
    if src.size == 0:
        return raw.copy()
    # distance between block midpoints: through the best pair of ends
    d = np.minimum.reduce([dist[np.ix_(u[src], u)], dist[np.ix_(u[src], v)],
                           dist[np.ix_(v[src], u)], dist[np.ix_(v[src], v)]])
    d = d + half[src][:, None] + half[None, :]
    d[np.arange(src.size), src] = 0.0
    kernel = np.exp(-0.5 * (d / bandwidth_m) ** 2)
    return raw[src] @ kernel


def block_demand(district: District, history: IncidentHistory | None = None, *,
                 bandwidth_m: float = 120.0) -> np.ndarray:
    """Demand weight per street block, normalized to sum to 1 over the patrol area (0 outside it).

    Parameters
    ----------
    district : patrol.district.District
    history : IncidentHistory, optional
        Past incidents; when given, demand is incidents per block (snapped), smoothed.  Otherwise
        businesses per block plus 3 x transit stops per block, smoothed.
    bandwidth_m : float
        Standard deviation of the Gaussian kernel along the network, in metres.

    Returns
    -------
    numpy.ndarray
        ``(n_blocks,)`` float weights.
    """
    a = district.arrays
    raw = np.zeros(a.n_edges)
    if history is not None and len(history):
        block, keep = history.blocks(district)
        if (~keep).any():
            log.info("%d of %d incidents are off the district's streets and were left out",
                     int((~keep).sum()), len(history))
        np.add.at(raw, block[keep], 1.0)
    else:
        if district.businesses:
            bb = district.business_blocks[0]
            np.add.at(raw, bb[district.business_in_area()], 1.0)
        slat, slon = load_transit_stops(district)
        if slat.size:
            sb, _, sd = district.geocoder.snap_many(slat, slon)
            np.add.at(raw, sb[sd <= district.settings.dispatch.max_snap_m], 3.0)
    raw = np.where(a.edge_in_area, raw, 0.0)
    if raw.sum() <= 0:  # nothing known: uniform over the area, by length
        raw = np.where(a.edge_in_area, a.edge_length, 0.0)
    w = _smooth(district, raw, bandwidth_m)
    # short blocks should not win by being short: weight per block, not per metre
    w = np.where(a.edge_in_area, w, 0.0)
    total = w.sum()
    return w / total if total > 0 else w


def top_hotspots(district: District, k: int, history: IncidentHistory | None = None, *,
                 demand: np.ndarray | None = None, min_length_m: float = 20.0) -> np.ndarray:
    """The ``k`` highest-demand blocks of the patrol area, no two touching, highest first.

    Blocks shorter than ``min_length_m`` (slivers at complex intersections) are skipped.

    Returns
    -------
    numpy.ndarray of int64
        Block ids (fewer than ``k`` only if the area has too few blocks).
    """
    if k < 0:
        raise InputError(f"hot spot count must be >= 0, got {k}", field="hotspot_count")
    a = district.arrays
    w = block_demand(district, history) if demand is None else np.asarray(demand, float)
    order = np.lexsort((np.arange(a.n_edges), -w))
    chosen: list[int] = []
    used_nodes: set[int] = set()
    for b in order:
        if len(chosen) >= k:
            break
        if not a.edge_in_area[b] or a.edge_length[b] < min_length_m:
            continue
        ends = {int(a.edge_u[b]), int(a.edge_v[b])}
        if ends & used_nodes:
            continue
        chosen.append(int(b))
        used_nodes |= ends
    return np.asarray(chosen, dtype=np.int64)
