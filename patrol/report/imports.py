"""CSV imports for the report: field logs, community and business surveys, incident history.

Every file is validated whole before anything is written; the first bad value raises an
:class:`~patrol.errors.InputError` whose ``details`` name the ``row`` (data row, 1 = the first
after the header), the file ``line`` and the ``column``.  Nothing of a refused file is written.
The same file content is not imported twice (its SHA-256 is kept in ``report_imports``).
Formats are documented in ``docs/report.md``.

Field logs
    go into the record's ``interactions`` through
    :meth:`patrol.dispatch.record.Record.log_interactions` (the record's API) in one transaction once
    every row has passed validation: all rows or none.  The rows carry the import's actor
    (``<actor>|import:<sha256 prefix>``), so that a crash between that transaction and the import's
    own bookkeeping is noticed and the rows are not written twice.
Surveys and incident history
    go into the report's own tables (:mod:`patrol.report.queries`), one transaction per file.
"""

from __future__ import annotations

import csv
import hashlib
import io
import logging
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np

from patrol.dispatch.clock import iso, zone
from patrol.errors import InputError
from patrol.report import queries
from patrol.vocab import INTERACTION_TYPES, REFERRAL_TYPES

__all__ = ["FORMATS", "ImportResult", "import_csv", "read_rows"]

log = logging.getLogger(__name__)

#: Import kind -> (required columns, optional columns).
FORMATS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "field-log": (("time", "ambassador", "type"),
                  ("business", "referral_type", "incident_id", "lat", "lon", "notes")),
    "community-survey": (("date",), ("respondent_type", "satisfied", "rating", "comment")),
    "business-survey": (("date", "business", "feels_safer"), ("comment",)),
    "incident-history": (("lat", "lon", "time"), ("type",)),
}
_YES = {"yes", "y", "true", "1"}
_NO = {"no", "n", "false", "0"}


@dataclass(frozen=True)
class ImportResult:
    """What an import wrote: ``kind``, ``file``, ``rows`` written, ``skipped`` (already there), ``import_id``."""

    kind: str
    file: str
    rows: int
    skipped: int = 0
    import_id: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "file": self.file, "rows": self.rows, "skipped": self.skipped,
                "import_id": self.import_id}


def _bad(path: Path, row: int, column: str, message: str) -> InputError:
    return InputError(f"{path.name} row {row} (line {row + 1}), column {column!r}: {message}; nothing was imported",
                      field=column, details={"row": row, "line": row + 1, "column": column, "file": str(path)})


def read_rows(path: str | Path, kind: str, *, columns: dict[str, str] | None = None
              ) -> tuple[list[dict[str, str]], bytes]:
    """Read a CSV file of an import kind: rows with standard column names, and the raw bytes.

    Parameters
    ----------
    columns : dict, optional
        Standard name -> the file's own column name.

    Raises
    ------
    InputError
        For an unknown kind, a missing file, a missing required column or an unknown column.
    """
    if kind not in FORMATS:
        raise InputError(f"unknown import kind {kind!r}; use {', '.join(FORMATS)}", field="kind")
    path = Path(path)
    try:
        raw = path.read_bytes()
        text = raw.decode("utf-8-sig")
    except FileNotFoundError:
        raise InputError(f"no such file: {path}", field="file") from None
    except UnicodeDecodeError:
        raise InputError(f"{path.name} is not a UTF-8 CSV file", field="file") from None
    required, optional = FORMATS[kind]
    rename = {v: k for k, v in (columns or {}).items()}
    reader = csv.DictReader(io.StringIO(text))
    header = [rename.get(h.strip(), h.strip()) for h in (reader.fieldnames or [])]
    for col in required:
        if col not in header:
            raise InputError(f"{path.name}: no column {col!r} (columns: {', '.join(header) or 'none'}); "
                             f"{kind} needs {', '.join(required)}", field=col,
                             details={"row": 0, "line": 1, "column": col, "file": str(path)})
    if kind != "incident-history":
        unknown = [h for h in header if h not in required + optional]
        if unknown:
            raise InputError(f"{path.name}: unknown column {unknown[0]!r}; {kind} columns are "
                             f"{', '.join(required + optional)}", field=unknown[0],
                             details={"row": 0, "line": 1, "column": unknown[0], "file": str(path)})
    rows = list(csv.reader(io.StringIO(text)))
    while len(rows) > 1 and not any(v.strip() for v in rows[-1]):  # trailing blank lines
        rows.pop()
    body = []
    for k, values in enumerate(rows[1:], start=1):
        if not any(v.strip() for v in values):
            raise _bad(path, k, header[0] if header else "", "empty row")
        if len(values) > len(header):
            raise _bad(path, k, header[-1], f"{len(values)} values for {len(header)} columns")
        body.append({h: (values[i].strip() if i < len(values) else "") for i, h in enumerate(header)})
    return body, raw


def _yes_no(value: str, path: Path, row: int, column: str) -> int:
    v = value.strip().lower()
    if v in _YES:
        return 1
    if v in _NO:
        return 0
    raise _bad(path, row, column, f"{value!r} is not yes/no")


def _date(value: str, path: Path, row: int, column: str) -> str:
    try:
        return date.fromisoformat(value.strip()).isoformat()
    except ValueError:
        raise _bad(path, row, column, f"{value!r} is not a date (YYYY-MM-DD)") from None


def _local_time(value: str, tz: str, path: Path, row: int, column: str) -> str:
    """Record UTC text of a time: with an offset or ``Z`` as given, else local to the district."""
    text = value.strip()
    try:
        dt = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text)
    except ValueError:
        raise _bad(path, row, column, f"{value!r} is not a time (YYYY-MM-DD HH:MM, local)") from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=zone(tz))
    return iso(dt)


def _float(value: str, path: Path, row: int, column: str, limit: float) -> float:
    try:
        v = float(value)
    except ValueError:
        raise _bad(path, row, column, f"{value!r} is not a number") from None
    if not -limit <= v <= limit:
        raise _bad(path, row, column, f"{v} is out of range")
    return v


# ---------------------------------------------------------------------------------------- validation per kind
def _check_field_log(rows, path, district, conn) -> list[dict[str, Any]]:
    names = district.settings.roster.ambassador_names()
    known = set(names)
    tz = district.settings.district.timezone
    out = []
    for k, r in enumerate(rows, start=1):
        name = r["ambassador"]
        if not name or not all(part in known for part in name.split("+")):
            raise _bad(path, k, "ambassador", f"{name!r} is not on the roster ({', '.join(names)})")
        kind = r["type"].lower()
        if kind not in INTERACTION_TYPES:
            raise _bad(path, k, "type", f"{r['type']!r} is not one of: {', '.join(INTERACTION_TYPES)}")
        ref = (r.get("referral_type") or "").lower() or None
        if ref is not None and ref not in REFERRAL_TYPES:
            raise _bad(path, k, "referral_type", f"{ref!r} is not one of: {', '.join(REFERRAL_TYPES)}")
        if kind == "referral" and ref is None:
            raise _bad(path, k, "referral_type", "a referral needs its referral_type")
        iid = None
        if r.get("incident_id"):
            try:
                iid = int(r["incident_id"])
            except ValueError:
                raise _bad(path, k, "incident_id", f"{r['incident_id']!r} is not an incident id") from None
        lat_t, lon_t = r.get("lat", ""), r.get("lon", "")
        if bool(lat_t) != bool(lon_t):
            raise _bad(path, k, "lon" if lat_t else "lat", "give both lat and lon, or neither")
        lat = _float(lat_t, path, k, "lat", 90) if lat_t else None
        lon = _float(lon_t, path, k, "lon", 180) if lon_t else None
        if len(r.get("notes", "")) > 10000 or len(r.get("business", "")) > 2000:
            raise _bad(path, k, "notes", "longer than the record accepts")
        out.append({"row": k, "at": _local_time(r["time"], tz, path, k, "time"), "ambassador": name, "type": kind,
                    "referral_type": ref, "business": r.get("business") or None, "incident_id": iid,
                    "lat": lat, "lon": lon, "notes": r.get("notes", "")})
    wanted = {r["incident_id"] for r in out if r["incident_id"] is not None}
    missing = wanted - queries.incident_ids(conn, wanted)
    for r in out:
        if r["incident_id"] in missing:
            raise _bad(path, r["row"], "incident_id", f"no incident {r['incident_id']} in the record")
    located = [r for r in out if r["lat"] is not None]
    if located:
        blocks, offs, dist = district.geocoder.snap_many(np.array([r["lat"] for r in located]),
                                                         np.array([r["lon"] for r in located]))
        limit = district.settings.dispatch.max_snap_m
        for r, b, o, d in zip(located, blocks.tolist(), offs.tolist(), dist.tolist(), strict=True):
            if d <= limit:
                r["block"], r["offset_m"] = int(b), round(float(o), 2)
    return out


def _check_community(rows, path, district, conn) -> list[dict[str, Any]]:
    out = []
    for k, r in enumerate(rows, start=1):
        sat = _yes_no(r["satisfied"], path, k, "satisfied") if r.get("satisfied") else None
        rating = None
        if r.get("rating"):
            try:
                rating = int(r["rating"])
            except ValueError:
                raise _bad(path, k, "rating", f"{r['rating']!r} is not a whole number 1-5") from None
            if not 1 <= rating <= 5:
                raise _bad(path, k, "rating", f"{rating} is not 1-5")
        if sat is None and rating is None:
            raise _bad(path, k, "satisfied", "give satisfied (yes/no) or rating (1-5)")
        out.append({"row": k, "date": _date(r["date"], path, k, "date"), "satisfied": sat, "rating": rating,
                    "respondent_type": r.get("respondent_type", "").lower(), "comment": r.get("comment", "")})
    return out


def _check_business(rows, path, district, conn) -> list[dict[str, Any]]:
    out = []
    for k, r in enumerate(rows, start=1):
        if not r["business"]:
            raise _bad(path, k, "business", "empty")
        out.append({"row": k, "date": _date(r["date"], path, k, "date"), "business": r["business"],
                    "feels_safer": _yes_no(r["feels_safer"], path, k, "feels_safer"),
                    "comment": r.get("comment", "")})
    return out


def _check_history(rows, path, district, conn, columns=None) -> list[dict[str, Any]]:
    """Through the planner's reader (:func:`patrol.demand.load_incident_history`), its errors re-worded."""
    from patrol.demand import load_incident_history

    try:
        h = load_incident_history(path, columns=columns)
    except InputError as exc:
        line = exc.details.get("line")
        if line is None:
            raise
        raise _bad(path, int(line) - 1, exc.field or "", exc.message.split(": ", 1)[-1]) from None
    time_col = (columns or {}).get("time", "time")
    for i in np.flatnonzero(np.isnat(h.time)).tolist()[:1]:
        raise _bad(path, i + 1, time_col, "a time is needed to compare periods")
    blocks, _, dist = district.geocoder.snap_many(h.lat, h.lon) if len(h) else (np.zeros(0), None, np.zeros(0))
    limit = district.settings.dispatch.max_snap_m
    area = district.settings.area
    out = []
    for i in range(len(h)):
        t = h.time[i].astype("datetime64[s]").item().isoformat()
        out.append({"row": i + 1, "time": t, "type": str(h.type[i]), "lat": float(h.lat[i]), "lon": float(h.lon[i]),
                    "block": int(blocks[i]) if dist[i] <= limit else None,
                    "in_area": int(area.contains(float(h.lat[i]), float(h.lon[i])))})
    return out


_CHECKS = {"field-log": _check_field_log, "community-survey": _check_community, "business-survey": _check_business}


# ---------------------------------------------------------------------------------------- the import
def import_csv(kind: str, path: str | Path, *, district, db: str | Path, actor: str | None = None,
               columns: dict[str, str] | None = None) -> ImportResult:
    """Validate a whole CSV file, then write it (see the module docstring).

    Parameters
    ----------
    kind : str
        ``field-log``, ``community-survey``, ``business-survey`` or ``incident-history``.
    path : str or Path
    district : District
    db : str or Path
        The record's SQLite file (created if missing).
    actor : str, optional
        Who imports (default ``cli:<user>``).
    columns : dict, optional
        Standard column name -> the file's column name.

    Raises
    ------
    InputError
        For the first bad value (``details``: ``row``, ``line``, ``column``) or a file already imported.
    """
    from patrol.dispatch.record import Record, default_actor

    path = Path(path)
    rows, raw = read_rows(path, kind, columns=columns)
    sha = hashlib.sha256(raw).hexdigest()
    actor = actor or default_actor()
    rec = Record(db, actor=actor)  # creates / migrates the record so its tables exist
    conn = queries.connect(db)
    try:
        if kind == "incident-history":
            valid = _check_history(rows, path, district, conn, columns)
        else:
            valid = _CHECKS[kind](rows, path, district, conn)
        seen = queries.import_seen(conn, kind, sha)
        if seen is not None:
            raise InputError(f"{path.name} was already imported (import {seen['id']} at {seen['at']}, "
                             f"{seen['rows']} rows)", field="file", details={"import_id": seen["id"]})
        if kind == "field-log":
            return _write_field_log(rec, conn, valid, path, sha, actor)
        conn.execute("BEGIN IMMEDIATE")
        try:
            queries.ensure_import_tables(conn)
            iid = queries.insert_import(conn, kind=kind, file=str(path), sha256=sha, rows=len(valid), at=iso(),
                                        actor=actor)
            queries.insert_rows(conn, kind, iid, valid)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        log.info("imported %d %s rows from %s", len(valid), kind, path)
        return ImportResult(kind, str(path), len(valid), 0, iid)
    finally:
        conn.close()
        rec.close()


def _write_field_log(rec, conn, valid, path: Path, sha: str, actor: str) -> ImportResult:
    row_actor = f"{actor}|import:{sha[:16]}"
    done = queries.count_by_actor(conn, row_actor)
    if done:
        log.warning("%s: %d rows were written by an interrupted import; writing the other %d", path.name, done,
                    len(valid) - done)
    keys = ("ambassador", "type", "referral_type", "business", "incident_id", "lat", "lon", "block", "offset_m",
            "notes", "at")
    rec.log_interactions([{k: r.get(k) for k in keys} for r in valid[done:]], actor=row_actor)
    conn.execute("BEGIN IMMEDIATE")
    try:
        queries.ensure_import_tables(conn)
        iid = queries.insert_import(conn, kind="field-log", file=str(path), sha256=sha, rows=len(valid), at=iso(),
                                    actor=actor)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    log.info("imported %d field-log rows from %s into the record", len(valid) - done, path)
    return ImportResult("field-log", str(path), len(valid) - done, done, iid)
