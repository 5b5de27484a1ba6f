"""Incident history: past incidents as parallel arrays, read from a CSV with a column mapping.

A district may carry its own history (``incidents.csv`` in its folder, ``patrol district build --incidents``);
the demand model (:mod:`patrol.demand`) then places hot spots where incidents happened.  A plan or a scenario
may also name a history file of its own.
"""

from __future__ import annotations

import csv
import hashlib
import logging
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from patrol.errors import InputError

if TYPE_CHECKING:  # a district holds its history; the history only needs the district to snap onto it
    from patrol.district import District

__all__ = ["HISTORY_COLUMNS", "IncidentHistory", "load_incident_history", "subset", "write_incident_history"]

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


def write_incident_history(path: str | Path, history: IncidentHistory) -> None:
    """Write a history in the standard columns (``lat``, ``lon``, ``time``, ``type``)."""
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(HISTORY_COLUMNS)
        for lat, lon, t, kind in zip(history.lat.tolist(), history.lon.tolist(), history.time, history.type,
                                     strict=True):
            w.writerow([f"{lat:.7f}", f"{lon:.7f}", "" if np.isnat(t) else str(t), kind])


def subset(history: IncidentHistory, keep: np.ndarray) -> IncidentHistory:
    """The incidents selected by a boolean mask (same source and column mapping)."""
    return IncidentHistory(history.lat[keep], history.lon[keep], history.time[keep], history.type[keep],
                           history.source, dict(history.columns))
