"""Every SQL statement of the program report: read-only reads of the record, and the import tables.

Reads open the record's SQLite file read-only (``mode=ro``) and return plain dicts, so the measures
(:mod:`patrol.report.measures`) are pure functions over lists that a test can write by hand.  Record
times are ISO-8601 UTC text (:mod:`patrol.dispatch.clock`), compared as text with the period's
``since`` / ``until``.

The report's own tables live in the same file beside the record's and are created by the first
import (:func:`ensure_import_tables`); the record's schema version is not touched:

``report_imports``
    one row per imported file: ``kind``, ``file``, ``sha256`` (the same file is not imported twice),
    ``rows``, ``at``, ``actor``.
``report_community_survey``
    ``import_id, row, date, respondent_type, satisfied`` (1/0 or NULL), ``rating`` (1-5 or NULL), ``comment``.
``report_business_survey``
    ``import_id, row, date, business, feels_safer`` (1/0), ``comment``.
``report_incident_history``
    ``import_id, row, time`` (local ``YYYY-MM-DDTHH:MM:SS``), ``type, lat, lon, block, in_area``.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from patrol.errors import InputError, RecordError

__all__ = [
    "IMPORT_TABLES",
    "alerts",
    "assignments",
    "business_survey",
    "community_survey",
    "connect",
    "connect_read_only",
    "count_by_actor",
    "duty",
    "ensure_import_tables",
    "history",
    "import_seen",
    "incident_ids",
    "incidents",
    "insert_import",
    "insert_rows",
    "interactions",
    "messages",
    "outcomes",
    "pings",
    "resolutions",
]

#: Import kind -> (table, its data columns in insert order).
IMPORT_TABLES: dict[str, tuple[str, tuple[str, ...]]] = {
    "community-survey": ("report_community_survey", ("row", "date", "respondent_type", "satisfied", "rating",
                                                     "comment")),
    "business-survey": ("report_business_survey", ("row", "date", "business", "feels_safer", "comment")),
    "incident-history": ("report_incident_history", ("row", "time", "type", "lat", "lon", "block", "in_area")),
}

_DDL = """
CREATE TABLE IF NOT EXISTS report_imports (
    id      INTEGER PRIMARY KEY,
    kind    TEXT NOT NULL,
    file    TEXT NOT NULL,
    sha256  TEXT NOT NULL,
    rows    INTEGER NOT NULL,
    at      TEXT NOT NULL,
    actor   TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS report_community_survey (
    id               INTEGER PRIMARY KEY,
    import_id        INTEGER NOT NULL REFERENCES report_imports(id),
    row              INTEGER NOT NULL,
    date             TEXT NOT NULL,
    respondent_type  TEXT NOT NULL DEFAULT '',
    satisfied        INTEGER,
    rating           INTEGER,
    comment          TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS report_business_survey (
    id           INTEGER PRIMARY KEY,
    import_id    INTEGER NOT NULL REFERENCES report_imports(id),
    row          INTEGER NOT NULL,
    date         TEXT NOT NULL,
    business     TEXT NOT NULL,
    feels_safer  INTEGER NOT NULL,
    comment      TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS report_incident_history (
    id         INTEGER PRIMARY KEY,
    import_id  INTEGER NOT NULL REFERENCES report_imports(id),
    row        INTEGER NOT NULL,
    time       TEXT NOT NULL,
    type       TEXT NOT NULL DEFAULT '',
    lat        REAL NOT NULL,
    lon        REAL NOT NULL,
    block      INTEGER,
    in_area    INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS report_history_time ON report_incident_history(time);
"""


# ---------------------------------------------------------------------------------------- connections
def connect_read_only(path: str | Path) -> sqlite3.Connection:
    """Open a record file for reading only (rows as :class:`sqlite3.Row`).

    Raises
    ------
    InputError
        When the file does not exist.
    RecordError
        When it is not an SQLite file.
    """
    p = Path(path)
    if not p.is_file():
        raise InputError(f"no record at {p} (give --db PATH)", field="db")
    try:
        # read-write but query-only, so that closing the last connection folds the WAL back and removes the
        # -wal/-shm files (a mode=ro connection cannot, and leaves them behind); mode=ro when not writable
        try:
            conn = sqlite3.connect(f"{p.resolve().as_uri()}?mode=rw", uri=True)
        except sqlite3.OperationalError:
            conn = sqlite3.connect(f"{p.resolve().as_uri()}?mode=ro", uri=True)
        conn.execute("PRAGMA query_only=ON")
        conn.row_factory = sqlite3.Row
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.DatabaseError as exc:
        raise RecordError(f"cannot read the record {p}: {exc}", field="db") from exc
    return conn


def connect(path: str | Path, *, timeout: float = 30.0) -> sqlite3.Connection:
    """Open a record file for the report's imports (autocommit; callers use ``BEGIN IMMEDIATE``)."""
    try:
        conn = sqlite3.connect(str(path), timeout=timeout, isolation_level=None)
        conn.row_factory = sqlite3.Row
        conn.execute(f"PRAGMA busy_timeout={int(timeout * 1000)}")
    except sqlite3.DatabaseError as exc:
        raise RecordError(f"cannot open the record {path}: {exc}", field="db") from exc
    return conn


def _rows(conn: sqlite3.Connection, sql: str, params: Iterable = ()) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute(sql, tuple(params)).fetchall()]


def _has(conn: sqlite3.Connection, table: str) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (table,)).fetchone() is not None


# ---------------------------------------------------------------------------------------- the record
def incidents(conn: sqlite3.Connection, since: str, until: str) -> list[dict[str, Any]]:
    """Incidents received in ``[since, until)``: id, received_at, type, source, priority, status, in_area, block and
    district (a program's district; NULL in a one-district record or one written before schema version 6)."""
    if not _has(conn, "incidents"):
        return []
    columns = {r[1] for r in conn.execute("PRAGMA table_info(incidents)").fetchall()}
    district = "district" if "district" in columns else "NULL AS district"
    return _rows(conn, f"SELECT id, received_at, type, source, priority, status, in_area, block, {district} "
                       "FROM incidents WHERE received_at>=? AND received_at<? ORDER BY received_at, id", (since, until))


def assignments(conn: sqlite3.Connection, since: str, until: str) -> list[dict[str, Any]]:
    """Assignments of the incidents received in ``[since, until)`` (``members`` decoded), oldest first."""
    if not _has(conn, "assignments"):
        return []
    rows = _rows(conn, "SELECT a.id, a.incident_id, a.ambassador, a.members, a.assigned_at, a.arrived_at, "
                       "a.cleared_at, i.received_at FROM assignments a JOIN incidents i ON i.id=a.incident_id "
                       "WHERE i.received_at>=? AND i.received_at<? ORDER BY a.assigned_at, a.id", (since, until))
    for r in rows:
        r["members"] = json.loads(r["members"] or "[]") or [r["ambassador"]]
    return rows


def incident_ids(conn: sqlite3.Connection, ids: Iterable[int]) -> set[int]:
    """The ids among ``ids`` that are incidents of the record."""
    ids = sorted({int(i) for i in ids})
    if not ids or not _has(conn, "incidents"):
        return set()
    found: set[int] = set()
    for k in range(0, len(ids), 500):
        chunk = ids[k:k + 500]
        found |= {int(r[0]) for r in conn.execute(
            f"SELECT id FROM incidents WHERE id IN ({','.join('?' * len(chunk))})", chunk).fetchall()}
    return found


def count_by_actor(conn: sqlite3.Connection, actor: str) -> int:
    """Interactions written by one actor (an import's rows already in the record)."""
    if not _has(conn, "interactions"):
        return 0
    return int(conn.execute("SELECT count(*) FROM interactions WHERE actor=?", (actor,)).fetchone()[0])


def resolutions(conn: sqlite3.Connection, since: str, until: str) -> dict[int, str]:
    """Incident id -> first time it became ``resolved`` or ``closed``, for incidents received in the range."""
    if not _has(conn, "status_history"):
        return {}
    rows = conn.execute("SELECT h.incident_id, MIN(h.at) FROM status_history h JOIN incidents i ON i.id=h.incident_id "
                        "WHERE h.to_status IN ('resolved','closed') AND i.received_at>=? AND i.received_at<? "
                        "GROUP BY h.incident_id", (since, until)).fetchall()
    return {int(r[0]): r[1] for r in rows}


def outcomes(conn: sqlite3.Connection, since: str, until: str) -> list[dict[str, Any]]:
    """Outcome / action / referral entries recorded in the range *or* on incidents received in it.

    Each row: ``id, incident_id, kind, value, at, received_at`` (the incident's).
    """
    if not _has(conn, "outcomes"):
        return []
    return _rows(conn, "SELECT o.id, o.incident_id, o.kind, o.value, o.at, i.received_at FROM outcomes o "
                       "JOIN incidents i ON i.id=o.incident_id WHERE (o.at>=? AND o.at<?) OR "
                       "(i.received_at>=? AND i.received_at<?) ORDER BY o.at, o.id", (since, until, since, until))


def interactions(conn: sqlite3.Connection, since: str, until: str) -> list[dict[str, Any]]:
    """Interactions logged in ``[since, until)``: id, at, ambassador, type, referral_type, business, incident_id."""
    if not _has(conn, "interactions"):
        return []
    return _rows(conn, "SELECT id, at, ambassador, type, referral_type, business, incident_id, block "
                       "FROM interactions WHERE at>=? AND at<? ORDER BY at, id", (since, until))


def escorts(conn: sqlite3.Connection, since: str, until: str) -> list[dict[str, Any]]:
    """Escorts started in ``[since, until)``: id, status, unit, started_at, ended_at, outcome, distance_m."""
    if not _has(conn, "escorts"):
        return []
    return _rows(conn, "SELECT id, status, unit, started_at, ended_at, outcome, distance_m FROM escorts "
                       "WHERE started_at>=? AND started_at<? ORDER BY started_at, id", (since, until))


def handouts(conn: sqlite3.Connection, since: str, until: str) -> list[dict[str, Any]]:
    """Written materials handed out in ``[since, until)``: at, ambassador, material, kind, count."""
    if not _has(conn, "handouts"):
        return []
    return _rows(conn, "SELECT at, ambassador, material, kind, count FROM handouts WHERE at>=? AND at<? "
                       "ORDER BY at, id", (since, until))


def pings(conn: sqlite3.Connection, since: str, until: str) -> list[dict[str, Any]]:
    """Position pings with a fix time in ``[since, until)``: ambassador, t, lat, lon, block (NULL: not snapped)."""
    if not _has(conn, "pings"):
        return []
    return _rows(conn, "SELECT ambassador, t, lat, lon, block FROM pings WHERE t>=? AND t<? "
                       "ORDER BY ambassador, t, id", (since, until))


def duty(conn: sqlite3.Connection, since: str, until: str) -> list[dict[str, Any]]:
    """Duty status changes (ambassador, status, at) from a day before ``since`` to ``until``, oldest first."""
    if not _has(conn, "duty"):
        return []
    return _rows(conn, "SELECT ambassador, status, at FROM duty "
                       "WHERE at>=strftime('%Y-%m-%dT%H:%M:%fZ', ?, '-1 day') AND at<? ORDER BY at, id", (since, until))


# ambassadors' safety (issue 19): alerts and messages, tables of record schema version 4
def alerts(conn: sqlite3.Connection, since: str, until: str) -> list[dict[str, Any]]:
    """Alerts raised in ``[since, until)``: id, kind, unit, ambassador, raised_at, acknowledged_at, closed_at, and
    ``actions`` (the desk's steps: backup sent, 911 called, note)."""
    if not _has(conn, "alerts"):
        return []
    rows = _rows(conn, "SELECT id, kind, unit, ambassador, raised_at, acknowledged_at, closed_at FROM alerts "
                       "WHERE raised_at>=? AND raised_at<? ORDER BY raised_at, id", (since, until))
    steps: dict[int, list[str]] = {}
    for r in conn.execute("SELECT x.alert_id, x.action FROM alert_actions x JOIN alerts a ON a.id=x.alert_id "
                          "WHERE a.raised_at>=? AND a.raised_at<? ORDER BY x.id", (since, until)).fetchall():
        steps.setdefault(int(r[0]), []).append(str(r[1]))
    for r in rows:
        r["actions"] = steps.get(int(r["id"]), [])
    return rows


def messages(conn: sqlite3.Connection, since: str, until: str) -> list[dict[str, Any]]:
    """Messages sent in ``[since, until)``: id, at, audience, and ``recipients`` (ambassador, acknowledged_at)."""
    if not _has(conn, "messages"):
        return []
    rows = _rows(conn, "SELECT id, at, audience FROM messages WHERE at>=? AND at<? ORDER BY at, id", (since, until))
    who: dict[int, list[dict[str, Any]]] = {}
    for r in conn.execute("SELECT r.message_id, r.ambassador, r.acknowledged_at FROM message_recipients r JOIN "
                          "messages m ON m.id=r.message_id WHERE m.at>=? AND m.at<? ORDER BY r.ambassador",
                          (since, until)).fetchall():
        who.setdefault(int(r[0]), []).append({"ambassador": r[1], "acknowledged_at": r[2]})
    for r in rows:
        r["recipients"] = who.get(int(r["id"]), [])
    return rows


# ---------------------------------------------------------------------------------------- imported data
def community_survey(conn: sqlite3.Connection, first: str, last: str) -> list[dict[str, Any]]:
    """Community survey responses dated ``first..last`` (local dates, both included)."""
    if not _has(conn, "report_community_survey"):
        return []
    return _rows(conn, "SELECT date, respondent_type, satisfied, rating FROM report_community_survey "
                       "WHERE date>=? AND date<=? ORDER BY date, id", (first, last))


def business_survey(conn: sqlite3.Connection, first: str, last: str) -> list[dict[str, Any]]:
    """Business survey responses dated ``first..last`` (local dates, both included)."""
    if not _has(conn, "report_business_survey"):
        return []
    return _rows(conn, "SELECT date, business, feels_safer FROM report_business_survey "
                       "WHERE date>=? AND date<=? ORDER BY date, id", (first, last))


def history(conn: sqlite3.Connection) -> list[dict[str, Any]] | None:
    """Every imported incident-history row (time, type, in_area), or ``None`` when none was ever imported."""
    if not _has(conn, "report_incident_history"):
        return None
    return _rows(conn, "SELECT time, type, in_area FROM report_incident_history ORDER BY time, id")


# ---------------------------------------------------------------------------------------- imports (writes)
def ensure_import_tables(conn: sqlite3.Connection) -> None:
    """Create the report's import tables when missing (inside the caller's transaction)."""
    for stmt in _DDL.split(";"):
        if stmt.strip():
            conn.execute(stmt)


def import_seen(conn: sqlite3.Connection, kind: str, sha256: str) -> dict[str, Any] | None:
    """The earlier import of the same file content, if any."""
    if not _has(conn, "report_imports"):
        return None
    row = conn.execute("SELECT id, file, at, rows FROM report_imports WHERE kind=? AND sha256=?",
                       (kind, sha256)).fetchone()
    return None if row is None else dict(row)


def insert_import(conn: sqlite3.Connection, *, kind: str, file: str, sha256: str, rows: int, at: str,
                  actor: str) -> int:
    """Register one imported file; returns its id."""
    cur = conn.execute("INSERT INTO report_imports(kind, file, sha256, rows, at, actor) VALUES (?,?,?,?,?,?)",
                       (kind, file, sha256, rows, at, actor))
    return int(cur.lastrowid)


def insert_rows(conn: sqlite3.Connection, kind: str, import_id: int, rows: list[dict[str, Any]]) -> None:
    """Insert validated rows of one import kind (see :data:`IMPORT_TABLES`)."""
    table, cols = IMPORT_TABLES[kind]
    sql = f"INSERT INTO {table}(import_id, {', '.join(cols)}) VALUES (?{', ?' * len(cols)})"
    conn.executemany(sql, [(import_id, *(r.get(c) for c in cols)) for r in rows])
