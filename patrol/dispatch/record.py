"""The incident record: one SQLite file, durable, versioned, append-only audited.

What it holds: incidents (source, type, priority, location, notes, status), assignments (who,
when, ETA given, en route, arrived, cleared), the status history, outcomes / actions / referrals,
ambassadors' logged interactions, position pings (snapped to blocks), duty status changes, and
an audit trail of every change (who, when, what).  Nothing is ever deleted (triggers refuse it);
audit rows are never changed either.

Durability
    ``journal_mode=WAL`` and ``synchronous=FULL``: a write method returns only once its transaction
    is on disk, and a process killed at any moment loses no committed change.  Each write call is
    atomic (``BEGIN IMMEDIATE`` ... ``COMMIT``), its audit rows included.
Group commit
    Calls from several threads share commits: writers that arrive while a commit is in progress are
    committed together by the next one, each in its own savepoint (one writer's error undoes only
    its own work and is raised in its own thread).  A single sequential writer is bounded by the
    disk's fsync rate; concurrent writers (the HTTP service) are not (``docs/bench/dispatch.md``).
    One thread may also gather many callers' writes into one transaction itself (:meth:`Record.batch`,
    the service's write batcher); worker processes writing all the time take turns (``writers_lock``).
Time
    ISO-8601 UTC text with milliseconds and ``Z`` (see :mod:`patrol.dispatch.clock`).  Every write
    method takes ``at`` (default: now) and ``actor`` (default: the record's ``actor``, ``cli:<user>``).
Threads
    A :class:`Record` may be shared between threads.  Writes go through one connection, guarded by a
    lock, group-committed.  Reads go through a pool of read-only connections (``PRAGMA query_only``),
    one per read in flight: WAL lets them run beside the writer, so a read never waits for a commit
    (an fsync) in progress, and it sees every write that returned before it began.  Several processes
    may open the same file: writers wait up to ``timeout`` seconds.  (An in-memory record, ``":memory:"``,
    is one database per connection: its reads share the writer's connection and lock.)
Pings
    :meth:`Record.add_pings` writes a batch in one transaction with one audit row for the batch
    (telemetry at ~1,000/s would otherwise double the write load); every other change has its own
    audit row.  A fix may carry its client's own ``key``: a fix whose key the same actor already
    stored is answered as a duplicate and not stored again.
Idempotency
    Every write method takes ``idem`` (:class:`~patrol.dispatch.idempotency.Idempotency`): the
    write, its key and the response it answers are stored in one transaction; a repeat of the key
    raises :class:`~patrol.dispatch.idempotency.Replayed` with the stored response and writes
    nothing (see :mod:`patrol.dispatch.idempotency`).

Examples
--------
>>> rec = Record(":memory:")
>>> inc = rec.new_incident(type="disturbance", source="phone", location_text="Lake & Girard")
>>> rec.assign(inc.id, "amb3", eta_min=4.2).ambassador
'amb3'
>>> rec.set_status(inc.id, "on scene").status
'on scene'
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import queue
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from patrol.dispatch.clock import Clock, iso, utc_now
from patrol.dispatch.idempotency import Idempotency, Replayed, StoredResponse, check_key
from patrol.dispatch.lifecycle import ACTIVE_STATUSES, OPEN_STATUSES, check_transition
from patrol.dispatch.rows import (
    DUTY_STATUSES,
    Assignment,
    AuditEntry,
    DutyChange,
    FixResult,
    Incident,
    Interaction,
    OutcomeEntry,
    Ping,
    PlanVersion,
    StatusChange,
    _float_or_none,
    _id,
    _name,
    _text,
    default_actor,
    normalize_duty,
)
from patrol.dispatch.schema import SCHEMA_VERSION, TABLES, migrate
from patrol.errors import (
    IdempotencyError,
    InputError,
    NotFoundError,
    RecordError,
    RecordUnavailableError,
    TransitionError,
)
from patrol.vocab import (
    ACTIONS,
    INCIDENT_TYPES,
    INTERACTION_TYPES,
    OUTCOMES,
    PRIORITIES,
    REFERRAL_TYPES,
    SOURCES,
    STATUSES,
    check_choice,
)

__all__ = [
    "DUTY_STATUSES",
    "Assignment",
    "AuditEntry",
    "DutyChange",
    "FixResult",
    "Handout",
    "Incident",
    "Interaction",
    "OutcomeEntry",
    "Ping",
    "Record",
    "RecordCheck",
    "StatusChange",
    "UNIT_STEPS",
    "default_actor",
    "normalize_duty",
]

log = logging.getLogger(__name__)

#: The columns of a ping row in the order of :class:`Ping`'s fields.
_PING_COLUMNS = ", ".join(f"p.{f.name}" for f in fields(Ping))

#: A unit's own steps on its assignment (:meth:`Record.unit_status`), in order, and the column each stamps.
UNIT_STEPS: dict[str, str] = {"accepted": "accepted_at", "en route": "en_route_at", "on scene": "arrived_at"}
#: Longest client key of one fix (characters).
MAX_FIX_KEY = 100

# ---------------------------------------------------------------------------------------- record
def _prepare_file(path: Path, *, must_exist: bool) -> bool:
    """Refuse a missing (``must_exist``), empty or non-file record path; whether the record is new."""
    if path.is_dir():
        raise RecordError(f"the record {path} is a directory, not a file", field="db")
    if not path.exists():
        if must_exist:
            raise RecordError(f"no record at {path}: it was expected there (give --db PATH, or the district's "
                              "dispatch.db; a command that records something creates it)", field="db")
        path.parent.mkdir(parents=True, exist_ok=True)
        return True
    wal = path.with_name(path.name + "-wal")
    if path.stat().st_size == 0 and not (wal.exists() and wal.stat().st_size > 0):
        raise RecordError(f"the record {path} is an empty file (0 bytes): it was lost or truncated. Restore it from "
                          "a backup, or move it away to start a new record", field="db")
    return False


class _Job:
    """One writer's work waiting for a group commit."""

    __slots__ = ("done", "error", "value", "work")

    def __init__(self, work):
        self.work = work
        self.value: Any = None
        self.error: BaseException | None = None
        self.done = False

    def finish(self, error: BaseException | None = None) -> None:
        if error is not None:
            self.error, self.value = error, None
        self.done = True

    def result(self) -> Any:
        if self.error is not None:
            raise self.error
        return self.value


#: The open incidents' condition, written as the ``incidents_open`` index's (schema version 8) so that SQLite can
#: use it.
OPEN_CONDITION = f"status IN ({', '.join(repr(s) for s in sorted(OPEN_STATUSES))})"


def _filtered(table: str, time_col: str, *, equal: dict[str, Any] | None = None, since=None, until=None,
              extra: list[tuple[str, list]] | None = None) -> tuple[str, list]:
    """``SELECT * FROM table WHERE ...`` with equality filters (``None`` skipped) and a time window."""
    where: list[str] = []
    params: list[Any] = []
    for col, val in (equal or {}).items():
        if val is not None:
            where.append(f"{col}=?")
            params.append(val)
    for clause, values in extra or []:
        where.append(clause)
        params.extend(values)
    if since is not None:
        where.append(f"{time_col}>=?")
        params.append(iso(since))
    if until is not None:
        where.append(f"{time_col}<?")
        params.append(iso(until))
    return f"SELECT * FROM {table}" + (" WHERE " + " AND ".join(where) if where else ""), params


def _rowid(cur: sqlite3.Cursor) -> int:
    """The id of the row an ``INSERT`` just wrote."""
    rowid = cur.lastrowid
    if rowid is None:  # pragma: no cover - an INSERT always sets it
        raise RecordError("SQLite gave no id for the row just written")
    return int(rowid)


def _paged(sql: str, limit: int | None, offset: int = 0) -> str:
    """Append ``LIMIT``/``OFFSET`` (validated integers) to a query."""
    if limit is None and not offset:
        return sql
    if (limit is not None and int(limit) < 0) or int(offset) < 0:
        raise InputError("limit and offset must not be negative", field="limit" if (limit or 0) < 0 else "offset")
    return sql + f" LIMIT {-1 if limit is None else int(limit)} OFFSET {int(offset)}"


@dataclass(frozen=True)
class RecordCheck:
    """What :meth:`Record.check` found.

    Attributes
    ----------
    integrity : str
        ``ok``, the integrity check's first problems, or ``not checked``.
    schema_version : int
    writable : bool
    problems : tuple of str
        Empty when the record can be used.
    """

    integrity: str
    schema_version: int
    writable: bool
    problems: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "integrity": self.integrity, "schema_version": self.schema_version,
                "writable": self.writable, "problems": list(self.problems)}


class Record:
    """The incident record over one SQLite file (created and migrated on open).

    Parameters
    ----------
    path : str or Path
        The SQLite file (``":memory:"`` for a throw-away record).
    actor : str, optional
        Default actor of writes (default ``cli:<user>``).
    timeout : float
        Seconds a writer waits for another writer's lock.
    clock : callable, optional
        Where "now" comes from (default: the real time; tests and benchmarks give an
        :class:`~patrol.dispatch.clock.OffsetClock`).
    must_exist : bool
        Refuse to create a new record (read-only commands: a missing file is a mistake, not a new record).
    writers_lock : bool
        Processes writing all the time (the service's workers) take turns through an OS lock on the file
        ``<path>-writers`` (``flock``, created 0600, released by the OS if a process dies) before SQLite's own
        write lock: a process waiting for it is woken the moment the other one is done, where SQLite's busy
        handler sleeps 1, 2, 5 ... 100 ms between tries (measured under the service's load test: a write's wait
        for the other worker at the 99th percentile 54-86 ms that way, ``docs/bench/service.md``).  Other
        processes (the command line) need not take it: SQLite's lock still orders every write.  A process
        stopped in the middle of a write holds the others' writes until it goes on or is killed.

    A new file is created readable and writable by its owner only (0600).  An existing file of 0 bytes
    is refused rather than silently started afresh: it is a record that was lost or truncated.

    Raises
    ------
    RecordError
        When the file cannot be opened as a record, is empty, or is missing with ``must_exist``.
    """

    def __init__(self, path: str | Path, *, actor: str | None = None, timeout: float = 30.0,
                 clock: Clock | None = None, must_exist: bool = False, writers_lock: bool = False):
        self.path = str(path)
        self.actor = actor or default_actor()
        self.clock: Clock = clock or utc_now
        self.last_error: tuple[str, str] | None = None
        self._lock = threading.RLock()
        self._cv = threading.Condition()
        self._queue: list[_Job] = []
        self._leader = False
        self._timeout = float(timeout)
        # read-only connections not in use (None: an in-memory record, read through the writer's connection)
        self._readers: queue.SimpleQueue[sqlite3.Connection] | None = (
            None if self.path == ":memory:" else queue.SimpleQueue())
        self._closed = False
        self._writing: int | None = None  # the thread running a write transaction (its reads see its changes)
        self._batching: int | None = None  # the thread inside :meth:`batch` (its writes are savepoints)
        new = self.path != ":memory:" and _prepare_file(Path(self.path), must_exist=must_exist)
        try:
            self._conn = sqlite3.connect(self.path, timeout=timeout, isolation_level=None,
                                         check_same_thread=False)
            if new:  # before anything is written; SQLite gives its -wal and -shm files the same mode
                os.chmod(self.path, 0o600)
            self._conn.row_factory = sqlite3.Row
            mode = self._conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            self._conn.execute("PRAGMA synchronous=FULL")
            self._conn.execute("PRAGMA foreign_keys=ON")
            self._conn.execute(f"PRAGMA busy_timeout={int(timeout * 1000)}")
            migrate(self._conn, self._iso(None))
        except sqlite3.DatabaseError as exc:
            raise RecordError(f"cannot open the record {self.path}: {exc}", field="db") from exc
        if mode.lower() != "wal" and self.path != ":memory:":
            log.warning("record %s: journal mode is %s, not WAL", self.path, mode)
        self._turns: int | None = None  # the file descriptor of the writers' lock (writers_lock)
        if writers_lock and self.path != ":memory:":
            try:
                self._turns = os.open(self.path + "-writers", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            except OSError as exc:
                self._conn.close()
                raise RecordError(f"cannot open the writers' lock of {self.path}: {exc}", field="db") from exc
        log.debug("opened record %s (schema %d)", self.path, SCHEMA_VERSION)

    # ------------------------------------------------------------------ plumbing
    def close(self) -> None:
        """Close the connections (a read in flight closes its own when it ends)."""
        with self._lock:
            self._closed = True
            self._conn.close()
            if self._turns is not None:
                os.close(self._turns)
                self._turns = None
            while self._readers is not None:
                try:
                    self._readers.get_nowait().close()
                except queue.Empty:
                    break

    def _reader(self) -> sqlite3.Connection:
        """A read-only connection from the pool (a new one when every one is in use)."""
        assert self._readers is not None
        try:
            return self._readers.get_nowait()
        except queue.Empty:
            pass
        conn = sqlite3.connect(self.path, timeout=self._timeout, isolation_level=None, check_same_thread=False)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA query_only=1")
        conn.execute(f"PRAGMA busy_timeout={int(self._timeout * 1000)}")
        return conn

    def _done_reading(self, conn: sqlite3.Connection) -> None:
        assert self._readers is not None
        if self._closed:
            conn.close()
        else:
            self._readers.put(conn)

    @contextmanager
    def _reading(self) -> Iterator[sqlite3.Connection]:
        """A connection to read with, for the ``with`` block (SQLite's errors raised as they are): the writer's
        inside a write transaction of this thread (an answer rendered in the transaction reads its changes)."""
        if self._readers is None or self._writing == threading.get_ident():
            with self._lock:
                yield self._conn
            return
        conn = self._reader()
        try:
            yield conn
        finally:
            self._done_reading(conn)

    def __enter__(self) -> Record:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _write(self, work: Callable[[sqlite3.Connection], Any], *, idem: Idempotency | None = None,
               actor: str | None = None) -> Any:
        """Run ``work(conn)`` atomically and durably; return its result once committed.

        Group commit: writers arriving while another thread commits queue up; the next leader runs
        the whole queue in one ``BEGIN IMMEDIATE`` ... ``COMMIT``, each writer's work inside its own
        savepoint (an error rolls back that writer's work only and is raised in its thread).  Every
        caller returns only after the commit holding its work is on disk.

        With ``idem``, the key of ``actor`` is looked up inside the same transaction first: a stored
        key raises :class:`Replayed` (same fingerprint) or :class:`IdempotencyError` (another one)
        without running ``work``; otherwise the rendered response is stored beside the work.
        """
        if idem is not None:
            work = self._once(work, idem, actor or self.actor)
        if self._batching is not None and self._batching == threading.get_ident():
            return self._in_batch(work)
        job = _Job(work)
        with self._cv:
            self._queue.append(job)
            while not job.done and self._leader:
                self._cv.wait()
            if job.done:
                return self._result(job)
            self._leader = True
        try:
            while True:
                with self._cv:
                    batch, self._queue = self._queue, []
                if not batch:
                    break
                self._commit_batch(batch)
                with self._cv:
                    self._cv.notify_all()
                if job.done:
                    break
        finally:
            with self._cv:
                self._leader = False
                self._cv.notify_all()
        return self._result(job)

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Every write of this thread in the ``with`` block goes into one transaction, committed at its end.

        Each write runs in its own savepoint, as in a group commit: a write that raises is undone alone and its
        error raised to its caller, who may go on with the next one.  What the writes returned is durable only
        once the block has ended without an error: an error leaving the block (or the commit failing, raised as
        :class:`RecordUnavailableError`) undoes them all.  Other threads' writes wait for the block (the
        writer's lock) and are committed together after it.  For an event loop that collects the writes of many
        requests and makes them in one thread hop and one commit (:class:`patrol.service.batcher.WriteBatcher`).

        Raises
        ------
        RecordUnavailableError
            When the transaction cannot begin or commit (nothing of the block is stored).
        """
        with self._lock, self._turn():
            conn = self._conn
            try:
                conn.execute("BEGIN IMMEDIATE")
            except sqlite3.DatabaseError as exc:
                raise self._unavailable(exc, "written") from exc
            self._writing = self._batching = threading.get_ident()
            try:
                yield
                conn.execute("COMMIT")
            except BaseException as exc:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                if isinstance(exc, sqlite3.DatabaseError) and not isinstance(exc, sqlite3.IntegrityError):
                    raise self._unavailable(exc, "written") from exc
                raise
            finally:
                self._writing = self._batching = None
        self.last_error = None

    @contextmanager
    def _turn(self) -> Iterator[None]:
        """This process's turn among the writers (``writers_lock``; under the write lock, around a transaction)."""
        if self._turns is None:
            yield
            return
        fcntl.flock(self._turns, fcntl.LOCK_EX)  # waits without the interpreter's lock
        try:
            yield
        finally:
            fcntl.flock(self._turns, fcntl.LOCK_UN)

    def _in_batch(self, work: Callable[[sqlite3.Connection], Any]) -> Any:
        """``work`` in a savepoint of the transaction of :meth:`batch` (undone alone when it raises)."""
        conn = self._conn
        conn.execute("SAVEPOINT w")
        try:
            value = work(conn)
        except BaseException as exc:
            if conn.in_transaction:  # (a failure may have ended the whole transaction: then the batch fails)
                conn.execute("ROLLBACK TO w")
                conn.execute("RELEASE w")
            if isinstance(exc, sqlite3.DatabaseError) and not isinstance(exc, sqlite3.IntegrityError):
                raise self._unavailable(exc, "written") from exc
            raise
        conn.execute("RELEASE w")
        return value

    def _result(self, job: _Job) -> Any:
        """A committed job's value; a database failure becomes :class:`RecordUnavailableError` (503)."""
        try:
            value = job.result()
        except sqlite3.IntegrityError:
            raise  # a broken constraint is a bug, not the record's state
        except sqlite3.DatabaseError as exc:
            raise self._unavailable(exc, "written") from exc
        self.last_error = None
        return value

    def _unavailable(self, exc: sqlite3.DatabaseError, what: str) -> RecordUnavailableError:
        message = f"the record cannot be {what} now: {exc}"
        self.last_error = (iso(utc_now()), message)
        log.error("record %s: %s", self.path, message)
        return RecordUnavailableError(message + (" (nothing was stored)" if what == "written" else ""), field="db",
                                      details={"reason": str(exc)})

    def _commit_batch(self, batch: list[_Job]) -> None:
        """The queued jobs in one transaction (:meth:`batch`, each job in its own savepoint); each job finished
        with its value or its error (a failed commit: every job's)."""
        try:
            with self.batch():
                for j in batch:
                    try:
                        j.value = self._in_batch(j.work)
                    except Exception as exc:
                        j.error = exc
        except BaseException as exc:
            for j in batch:
                j.finish(error=j.error or exc)
            if not isinstance(exc, Exception):
                raise
            return
        for j in batch:
            j.finish()

    def _once(self, work: Callable[[sqlite3.Connection], Any], idem: Idempotency, actor: str
              ) -> Callable[[sqlite3.Connection], Any]:
        """``work`` made idempotent under ``idem`` (see :meth:`_write`)."""

        def run(c: sqlite3.Connection) -> Any:
            stored = self._stored(c, actor, idem.key, idem.fingerprint)
            if stored is not None:
                idem.response = stored
                raise Replayed(stored)
            value = work(c)
            body = idem.render(value)
            c.execute("INSERT INTO idempotency(actor, key, fingerprint, at, status, response) VALUES (?,?,?,?,?,?)",
                      (actor, idem.key, idem.fingerprint, self._iso(None), idem.status,
                       json.dumps(body, separators=(",", ":"), allow_nan=False)))
            idem.response = StoredResponse(idem.status, body)
            return value

        return run

    @staticmethod
    def _stored(c: sqlite3.Connection, actor: str, key: str, fingerprint: str) -> StoredResponse | None:
        # fetchall (one row at most): a statement left half-read would hold a read connection's snapshot open
        rows = c.execute("SELECT fingerprint, status, response, at FROM idempotency WHERE actor=? AND key=?",
                         (actor, key)).fetchall()
        if not rows:
            return None
        row = rows[0]
        if row["fingerprint"] != fingerprint:
            raise IdempotencyError(
                f"the idempotency key {key!r} was already used at {row['at']} for another request: send a new key "
                "for a new request, or repeat the first request unchanged", field="idempotency_key",
                details={"key": key, "first_used_at": row["at"]})
        return StoredResponse(int(row["status"]), json.loads(row["response"]), replayed=True)

    def stored_response(self, key: str, fingerprint: str, *, actor: str | None = None) -> StoredResponse | None:
        """The response stored under an actor's key (``None`` when the key is new).

        Raises
        ------
        IdempotencyError
            When the key was stored with another fingerprint.
        """
        try:
            with self._reading() as conn:
                return self._stored(conn, actor or self.actor, key, fingerprint)
        except sqlite3.DatabaseError as exc:
            raise self._unavailable(exc, "read") from exc

    def _iso(self, at) -> str:
        """The record's text of a time; ``None`` is now by the record's clock."""
        return iso(self.clock() if at is None else at)

    # ------------------------------------------------------------------ for the record's other books
    # Escorts, events, camera edits (patrol.dispatch.escorts, patrol.events, patrol.cameras) keep their own SQL
    # in their own modules and write through these, so every write keeps the record's guarantees (one durable
    # transaction with its audit rows, group commit, idempotency keys).
    def write(self, work: Callable[[sqlite3.Connection], Any], *, idem: Idempotency | None = None,
              actor: str | None = None) -> Any:
        """Run ``work(conn)`` in one durable transaction (see :meth:`_write`) and return its result."""
        return self._write(work, idem=idem, actor=actor)

    def add_audit(self, conn: sqlite3.Connection, at: str, actor: str, action: str, entity: str,
                  entity_id: int | None, data: dict) -> None:
        """Append an audit row inside a :meth:`write`'s transaction."""
        self._audit(conn, at, actor, action, entity, entity_id, data)

    def stamp(self, at=None) -> str:
        """The record's text of a time (``None``: now by the record's clock)."""
        return self._iso(at)

    def _audit(self, conn: sqlite3.Connection, at: str, actor: str, action: str, entity: str,
               entity_id: int | None, data: dict) -> None:
        conn.execute("INSERT INTO audit(at, actor, action, entity, entity_id, data) VALUES (?,?,?,?,?,?)",
                     (at, actor, action, entity, entity_id, json.dumps(data, sort_keys=True, default=str)))

    def _query(self, sql: str, params: Iterable = ()) -> list[sqlite3.Row]:
        try:
            with self._reading() as conn:
                return conn.execute(sql, tuple(params)).fetchall()
        except sqlite3.IntegrityError:
            raise
        except sqlite3.DatabaseError as exc:
            raise self._unavailable(exc, "read") from exc

    def check(self, *, integrity: bool = True) -> RecordCheck:
        """Whether the record can be used: its integrity, schema and tables, and whether it can be written.

        The write probe takes the write lock and rolls back (nothing is written); ``integrity`` runs
        ``PRAGMA integrity_check``, which reads the whole file.
        """
        problems: list[str] = []
        result = "not checked"
        with self._lock:
            conn = self._conn
            try:
                version = int(conn.execute("PRAGMA user_version").fetchone()[0])
                if integrity:
                    rows = [r[0] for r in conn.execute("PRAGMA integrity_check(10)").fetchall()]
                    result = "ok" if rows == ["ok"] else "; ".join(rows)
                    if result != "ok":
                        problems.append(f"the file is damaged (integrity check: {result})")
                names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            except sqlite3.DatabaseError as exc:
                return RecordCheck(str(exc), -1, False, (f"the file is damaged: {exc}",))
            if version != SCHEMA_VERSION:
                problems.append(f"schema version {version}, expected {SCHEMA_VERSION}")
            missing = [t for t in TABLES if t not in names]
            if missing:
                problems.append(f"tables missing: {', '.join(missing)}")
            writable = True
            try:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    conn.execute(f"PRAGMA user_version = {version}")  # writes the header page: a real write probe
                finally:
                    conn.execute("ROLLBACK")
            except sqlite3.DatabaseError as exc:
                writable = False
                problems.append(f"it cannot be written: {exc}")
        return RecordCheck(result, version, writable, tuple(problems))

    @property
    def schema_version(self) -> int:
        return int(self._query("PRAGMA user_version")[0][0])

    def integrity_check(self) -> str:
        """``PRAGMA integrity_check`` (``"ok"`` for a sound file)."""
        return str(self._query("PRAGMA integrity_check")[0][0])

    def checkpoint(self) -> None:
        """Fold the WAL into the main file (optional housekeeping)."""
        self._query("PRAGMA wal_checkpoint(TRUNCATE)")

    # ------------------------------------------------------------------ incidents
    def new_incident(self, *, type: str, source: str, location_text: str, priority: str = "normal",
                     notes: str = "", lat: float | None = None, lon: float | None = None,
                     block: int | None = None, offset_m: float | None = None, in_area: bool | None = None,
                     matched: str | None = None, received_at=None, camera_id: str | None = None, at=None,
                     actor: str | None = None, idem: Idempotency | None = None,
                     district: str | None = None) -> Incident:
        """Record a new incident (status ``new``).

        Parameters
        ----------
        type, source, priority : str
            From :data:`patrol.vocab.INCIDENT_TYPES`, :data:`~patrol.vocab.SOURCES`,
            :data:`~patrol.vocab.PRIORITIES`.
        location_text : str
            What the caller said; ``matched``/``lat``/``lon``/``block``/``offset_m``/``in_area`` are
            the geocoded point (see :meth:`patrol.dispatch.desk.Desk.new_incident`).
        received_at : time, optional
            When the call came in (default: ``at``).
        camera_id : str, optional
            The camera the incident was seen on (:mod:`patrol.cameras`).
        district : str, optional
            The program's name of the district the incident belongs to (its point is on that district's
            streets); ``None`` in a one-district record.

        Raises
        ------
        InputError
            For a type, source or priority not in the program's lists, or an empty location.
        """
        type_ = check_choice(type, INCIDENT_TYPES, "type")
        source_ = check_choice(source, SOURCES, "source")
        priority_ = check_choice(priority, PRIORITIES, "priority")
        loc = _text(location_text, "location_text", required=True, max_len=500)
        now = self._iso(at)
        received = iso(received_at) if received_at is not None else now
        actor = actor or self.actor
        row = (received, now, now, source_, type_, priority_, "new", loc, matched, _float_or_none(lat, "lat"),
               _float_or_none(lon, "lon"), None if block is None else int(block),
               _float_or_none(offset_m, "offset_m"), None if in_area is None else int(bool(in_area)),
               _text(notes, "notes", max_len=10000), actor, _text(camera_id, "camera_id", max_len=100) or None,
               None if district is None else _name(district, "district"))

        def work(c: sqlite3.Connection):
            cur = c.execute(
                "INSERT INTO incidents(received_at, created_at, updated_at, source, type, priority, status, "
                "location_text, matched, lat, lon, block, offset_m, in_area, notes, created_by, camera_id, district) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", row)
            iid = _rowid(cur)
            c.execute("INSERT INTO status_history(incident_id, at, from_status, to_status, actor, note) "
                      "VALUES (?,?,?,?,?,?)", (iid, now, None, "new", actor, ""))
            self._audit(c, now, actor, "create", "incident", iid,
                        {"type": type_, "source": source_, "priority": priority_, "location_text": loc,
                         "matched": matched, "lat": lat, "lon": lon, "block": block, "offset_m": offset_m,
                         "in_area": in_area, "received_at": received, "notes": notes, "camera_id": row[-2],
                         **({} if district is None else {"district": district})})
            return self._incident(c, iid)

        return self._write(work, idem=idem, actor=actor)

    def get_incident(self, incident_id: int) -> Incident:
        """One incident.

        Raises
        ------
        NotFoundError
            When there is no incident with that id.
        """
        rows = self._query("SELECT * FROM incidents WHERE id=?", (_id(incident_id),))
        if not rows:
            raise NotFoundError(f"no incident {incident_id}", field="incident_id")
        return Incident.from_row(rows[0])

    def list_incidents(self, *, status: str | None = None, open_only: bool = False, since=None, until=None,
                       limit: int | None = None, offset: int = 0, district: str | None = None) -> list[Incident]:
        """Incidents by ``received_at`` (newest first), filtered by status, time and (a program's) district."""
        # the open ones from their own index (schema version 8): SQLite, without statistics, would rather find
        # them by status and sort them all (ten times slower with thousands open)
        sql, params = _filtered(
            "incidents INDEXED BY incidents_open" if open_only else "incidents", "received_at", since=since,
            until=until,
            equal={"status": None if status is None else check_choice(status, STATUSES, "status"),
                   "district": district},
            extra=[(OPEN_CONDITION, [])] if open_only else [],
        )
        sql += " ORDER BY received_at DESC, id DESC"
        sql = _paged(sql, limit, offset)
        return Incident.from_rows(self._query(sql, params))

    def update_incident(self, incident_id: int, *, notes: str | None = None, priority: str | None = None,
                        type: str | None = None, at=None, actor: str | None = None,
                        idem: Idempotency | None = None) -> Incident:
        """Change an incident's priority or type, or append to its notes (audited)."""
        now, actor = self._iso(at), actor or self.actor
        changes: dict[str, Any] = {}
        if priority is not None:
            changes["priority"] = check_choice(priority, PRIORITIES, "priority")
        if type is not None:
            changes["type"] = check_choice(type, INCIDENT_TYPES, "type")

        def work(c: sqlite3.Connection):
            inc = self._incident(c, incident_id)
            if notes:
                add = _text(notes, "notes", max_len=10000)
                changes["notes"] = (inc.notes + "\n" if inc.notes else "") + add
            if not changes:
                raise InputError("nothing to update: give notes, priority or type", field="incident")
            sets = ", ".join(f"{k}=?" for k in changes)
            c.execute(f"UPDATE incidents SET {sets}, updated_at=? WHERE id=?", (*changes.values(), now, inc.id))
            self._audit(c, now, actor, "update", "incident", inc.id,
                        {k: {"from": getattr(inc, k), "to": v} for k, v in changes.items()})
            return self._incident(c, inc.id)

        return self._write(work, idem=idem, actor=actor)

    def set_status(self, incident_id: int, status: str, *, note: str = "", at=None,
                   actor: str | None = None, idem: Idempotency | None = None) -> Incident:
        """Move an incident along its life cycle (see :mod:`patrol.dispatch.lifecycle`).

        ``en route`` and ``on scene`` stamp the active assignments; ``resolved``, ``closed`` and
        ``new`` (unassign) clear them.  ``assigned`` is reached through :meth:`assign` only.

        Raises
        ------
        TransitionError
            For an illegal transition.
        NotFoundError
            For an unknown incident.
        """
        new = check_choice(status, STATUSES, "status")
        now, actor = self._iso(at), actor or self.actor

        def work(c: sqlite3.Connection):
            inc = self._incident(c, incident_id)
            if new == "assigned":
                raise TransitionError("an incident becomes 'assigned' through an assignment (incident assign)",
                                      field="status", details={"from": inc.status, "to": new})
            check_transition(inc.status, new)
            self._move(c, inc, new, now, actor, note)
            return self._incident(c, inc.id)

        return self._write(work, idem=idem, actor=actor)

    def unit_status(self, incident_id: int, unit: str, status: str, *, note: str = "", at=None,
                    actor: str | None = None, idem: Idempotency | None = None) -> Assignment:
        """One unit's own progress on its assignment: ``accepted``, ``en route`` or ``on scene``.

        Stamps the unit's open assignment (``accepted_at``, ``en_route_at``, ``arrived_at``; reporting a
        later step stamps ``accepted_at`` too when it is missing) and moves the incident forward when
        the unit is ahead of it (``assigned`` -> ``en route`` -> ``on scene``), without stamping other
        units on the incident (a backup arriving later keeps its own times).

        Raises
        ------
        InputError
            For a step that is not one of :data:`UNIT_STEPS`.
        TransitionError
            When the unit has no open assignment on the incident, or already reported this step or a
            later one.
        NotFoundError
            For an unknown incident.
        """
        step = check_choice(status, tuple(UNIT_STEPS), "status")
        name = _name(unit, "ambassador")
        now, actor = self._iso(at), actor or self.actor
        order = list(UNIT_STEPS)

        def work(c: sqlite3.Connection):
            inc = self._incident(c, incident_id)
            row = c.execute("SELECT * FROM assignments WHERE incident_id=? AND ambassador=? AND cleared_at IS NULL "
                            "ORDER BY id DESC LIMIT 1", (inc.id, name)).fetchone()
            if row is None:
                raise TransitionError(f"{name} has no open assignment on incident {inc.id} (it is {inc.status})",
                                      field="ambassador", details={"incident_status": inc.status})
            done = [s for s in order if row[UNIT_STEPS[s]] is not None]
            if done and order.index(done[-1]) >= order.index(step):
                raise TransitionError(f"{name} already reported {done[-1]!r} on incident {inc.id}", field="status",
                                      details={"from": done[-1], "to": step})
            stamps = {UNIT_STEPS[step]: now}
            if row["accepted_at"] is None:
                stamps["accepted_at"] = now
            sets = ", ".join(f"{k}=?" for k in stamps)
            c.execute(f"UPDATE assignments SET {sets} WHERE id=?", (*stamps.values(), row["id"]))
            self._audit(c, now, actor, "update", "assignment", int(row["id"]), {**stamps, "note": note})
            if step != "accepted" and STATUSES.index(inc.status) < STATUSES.index(step):
                self._set_incident_status(c, inc, step, now, actor, note or f"{name} {step}")
            return Assignment.from_row(c.execute("SELECT * FROM assignments WHERE id=?", (row["id"],)).fetchone())

        return self._write(work, idem=idem, actor=actor)

    def _set_incident_status(self, c: sqlite3.Connection, inc: Incident, new: str, now: str, actor: str,
                             note: str) -> None:
        c.execute("UPDATE incidents SET status=?, updated_at=? WHERE id=?", (new, now, inc.id))
        c.execute("INSERT INTO status_history(incident_id, at, from_status, to_status, actor, note) "
                  "VALUES (?,?,?,?,?,?)", (inc.id, now, inc.status, new, actor, _text(note, "note")))
        self._audit(c, now, actor, "status", "incident", inc.id, {"from": inc.status, "to": new, "note": note})

    def _move(self, c: sqlite3.Connection, inc: Incident, new: str, now: str, actor: str, note: str) -> None:
        self._set_incident_status(c, inc, new, now, actor, note)
        stamp = {"en route": "en_route_at", "on scene": "arrived_at"}.get(new)
        open_rows = c.execute("SELECT id FROM assignments WHERE incident_id=? AND cleared_at IS NULL",
                              (inc.id,)).fetchall()
        for (aid,) in open_rows:
            if stamp:
                cur = c.execute(f"UPDATE assignments SET {stamp}=? WHERE id=? AND {stamp} IS NULL", (now, aid))
                if cur.rowcount:
                    self._audit(c, now, actor, "update", "assignment", aid, {stamp: now})
            elif new in ("resolved", "closed", "new"):
                reason = "unassigned" if new == "new" else new
                c.execute("UPDATE assignments SET cleared_at=?, cleared_reason=? WHERE id=?", (now, reason, aid))
                self._audit(c, now, actor, "clear", "assignment", aid, {"cleared_at": now, "reason": reason})

    def assign(self, incident_id: int, ambassador: str, *, members: Iterable[str] | None = None,
               eta_min: float | None = None, distance_m: float | None = None, estimated: bool | None = None,
               note: str = "", at=None, actor: str | None = None, idem: Idempotency | None = None) -> Assignment:
        """Send a unit to an incident.

        A ``new`` incident becomes ``assigned``; an incident already assigned, en route or on scene
        gets an extra (backup) unit and keeps its status.

        Raises
        ------
        TransitionError
            When the incident is resolved or closed, or the unit is already on it.
        """
        unit = _name(ambassador)
        mem = [_name(m) for m in (members or [unit])]
        now, actor = self._iso(at), actor or self.actor

        def work(c: sqlite3.Connection):
            inc = self._incident(c, incident_id)
            if inc.status not in ("new", *ACTIVE_STATUSES):
                raise TransitionError(f"incident {inc.id} is {inc.status}: it cannot be assigned",
                                      field="status", details={"from": inc.status, "to": "assigned"})
            dup = c.execute("SELECT 1 FROM assignments WHERE incident_id=? AND ambassador=? AND cleared_at IS NULL",
                            (inc.id, unit)).fetchone()
            if dup:
                raise TransitionError(f"{unit} is already assigned to incident {inc.id}", field="ambassador")
            cur = c.execute(
                "INSERT INTO assignments(incident_id, ambassador, members, assigned_at, eta_min, distance_m, "
                "estimated, actor) VALUES (?,?,?,?,?,?,?,?)",
                (inc.id, unit, json.dumps(mem), now, _float_or_none(eta_min, "eta_min"),
                 _float_or_none(distance_m, "distance_m"), None if estimated is None else int(bool(estimated)),
                 actor))
            aid = _rowid(cur)
            self._audit(c, now, actor, "assign", "assignment", aid,
                        {"incident_id": inc.id, "ambassador": unit, "members": mem, "eta_min": eta_min,
                         "distance_m": distance_m, "estimated": estimated, "note": note})
            if inc.status == "new":
                self._move(c, inc, "assigned", now, actor, note or f"assigned {unit}")
            return Assignment.from_row(c.execute("SELECT * FROM assignments WHERE id=?", (aid,)).fetchone())

        return self._write(work, idem=idem, actor=actor)

    def add_outcome(self, incident_id: int, *, outcomes: Iterable[str] = (), actions: Iterable[str] = (),
                    referrals: Iterable[str] = (), note: str = "", at=None, actor: str | None = None,
                    idem: Idempotency | None = None) -> list[OutcomeEntry]:
        """Record outcomes, actions taken and referrals (by type) on an incident.

        Raises
        ------
        InputError
            For a value not in :data:`~patrol.vocab.OUTCOMES`, :data:`~patrol.vocab.ACTIONS` or
            :data:`~patrol.vocab.REFERRAL_TYPES`.
        """
        items = _outcome_items(outcomes, actions, referrals)
        now, actor = self._iso(at), actor or self.actor

        def work(c: sqlite3.Connection):
            inc = self._incident(c, incident_id)
            if not items:
                return []
            ids = []
            for kind, value in items:
                cur = c.execute("INSERT INTO outcomes(incident_id, kind, value, at, actor, note) VALUES (?,?,?,?,?,?)",
                                (inc.id, kind, value, now, actor, _text(note, "note")))
                ids.append(_rowid(cur))
                self._audit(c, now, actor, "create", "outcome", ids[-1],
                            {"incident_id": inc.id, "kind": kind, "value": value, "note": note})
            c.execute("UPDATE incidents SET updated_at=? WHERE id=?", (now, inc.id))
            rows = c.execute(f"SELECT * FROM outcomes WHERE id IN ({','.join('?' * len(ids))}) ORDER BY id",
                             ids).fetchall()
            return OutcomeEntry.from_rows(rows)

        return self._write(work, idem=idem, actor=actor)

    def close_incident(self, incident_id: int, *, outcomes: Iterable[str] = (), actions: Iterable[str] = (),
                       referrals: Iterable[str] = (), note: str = "", at=None, actor: str | None = None,
                       idem: Idempotency | None = None) -> Incident:
        """Record the outcome and close: ``on scene`` goes through ``resolved``; one transaction.

        Raises
        ------
        TransitionError
            When the incident cannot be closed from its status.
        InputError
            For an outcome, action or referral type not in the program's lists.
        """
        items = _outcome_items(outcomes, actions, referrals)
        now, actor = self._iso(at), actor or self.actor

        def work(c: sqlite3.Connection):
            inc = self._incident(c, incident_id)
            if inc.status == "on scene":
                self._move(c, inc, "resolved", now, actor, note)
                inc = self._incident(c, incident_id)
            check_transition(inc.status, "closed")
            for kind, value in items:
                cur = c.execute("INSERT INTO outcomes(incident_id, kind, value, at, actor, note) VALUES (?,?,?,?,?,?)",
                                (inc.id, kind, value, now, actor, _text(note, "note")))
                self._audit(c, now, actor, "create", "outcome", _rowid(cur),
                            {"incident_id": inc.id, "kind": kind, "value": value, "note": note})
            self._move(c, inc, "closed", now, actor, note)
            return self._incident(c, inc.id)

        return self._write(work, idem=idem, actor=actor)

    def _incident(self, c: sqlite3.Connection, incident_id: int) -> Incident:
        row = c.execute("SELECT * FROM incidents WHERE id=?", (_id(incident_id),)).fetchone()
        if row is None:
            raise NotFoundError(f"no incident {incident_id}", field="incident_id")
        return Incident.from_row(row)

    def assignments(self, incident_id: int | None = None, *, active_at=None) -> list[Assignment]:
        """Assignments of one incident, or (``active_at``) those under way at a moment."""
        if active_at is not None:
            t = iso(active_at)
            rows = self._query("SELECT * FROM assignments WHERE assigned_at<=? AND (cleared_at IS NULL OR "
                               "cleared_at>?) ORDER BY id", (t, t))
        elif incident_id is not None:
            rows = self._query("SELECT * FROM assignments WHERE incident_id=? ORDER BY id", (_id(incident_id),))
        else:
            rows = self._query("SELECT * FROM assignments ORDER BY id")
        return Assignment.from_rows(rows)

    def busy(self, at=None) -> dict[str, int]:
        """Ambassadors (members and unit names) busy with an incident at a moment -> incident id."""
        out: dict[str, int] = {}
        for a in self.assignments(active_at=self._iso(at)):
            for name in {a.ambassador, *a.members}:
                out.setdefault(name, a.incident_id)
        return out

    def history(self, incident_id: int) -> list[StatusChange]:
        rows = self._query("SELECT * FROM status_history WHERE incident_id=? ORDER BY id", (_id(incident_id),))
        return StatusChange.from_rows(rows)

    def outcomes(self, incident_id: int | None = None) -> list[OutcomeEntry]:
        if incident_id is None:
            rows = self._query("SELECT * FROM outcomes ORDER BY id")
        else:
            rows = self._query("SELECT * FROM outcomes WHERE incident_id=? ORDER BY id", (_id(incident_id),))
        return OutcomeEntry.from_rows(rows)

    def incident_detail(self, incident_id: int) -> dict[str, Any]:
        """Everything about one incident: the row, assignments, status history, outcomes, audit."""
        inc = self.get_incident(incident_id)
        aids = [a.id for a in self.assignments(inc.id)]
        audit = [e for e in self.audit(entity="incident", entity_id=inc.id)]
        audit += [e for a in aids for e in self.audit(entity="assignment", entity_id=a)]
        audit += [e for o in self.outcomes(inc.id) for e in self.audit(entity="outcome", entity_id=o.id)]
        return {
            "incident": inc.to_dict(),
            "assignments": [a.to_dict() for a in self.assignments(inc.id)],
            "history": [h.to_dict() for h in self.history(inc.id)],
            "outcomes": [o.to_dict() for o in self.outcomes(inc.id)],
            "audit": [e.to_dict() for e in sorted(audit, key=lambda e: e.id)],
        }

    # ------------------------------------------------------------------ pings and duty
    def add_ping(self, ambassador: str, lat: float, lon: float, *, t=None, accuracy_m: float | None = None,
                 block: int | None = None, offset_m: float | None = None, key: str | None = None,
                 actor: str | None = None) -> int:
        """Record one position ping; returns its id (for a duplicate ``key``: the ping stored first)."""
        res = self.add_pings([{"ambassador": ambassador, "lat": lat, "lon": lon, "t": t, "accuracy_m": accuracy_m,
                               "block": block, "offset_m": offset_m, "key": key}], actor=actor)
        pid = res[0].id
        if pid is None:  # pragma: no cover - add_pings refuses nothing: it raises
            raise RecordError("the ping was not stored")
        return pid

    def add_pings(self, pings: Iterable[dict], *, actor: str | None = None, at=None,
                  idem: Idempotency | None = None) -> list[FixResult]:
        """Record a batch of pings in one transaction, with one audit row for the batch.

        Each ping is a dict with ``ambassador``, ``lat``, ``lon`` and optionally ``t`` (fix time,
        default now), ``accuracy_m``, ``block``, ``offset_m`` (its snap onto the network) and ``key``
        (the client's own id of the fix).  A fix whose key this actor already stored (or that repeats a
        key earlier in the batch) is not stored again: its result is ``duplicate`` with the first id.

        Returns
        -------
        list of FixResult
            One per ping, in order: ``stored`` or ``duplicate``.

        Raises
        ------
        InputError
            When a ping lacks a name or has an impossible coordinate or key (nothing is written).
        """
        now, actor = self._iso(at), actor or self.actor
        rows: list[tuple] = []
        keys: list[str | None] = []
        for p in pings:
            lat, lon = _float_or_none(p.get("lat"), "lat"), _float_or_none(p.get("lon"), "lon")
            if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
                raise InputError(f"ping: {p.get('lat')},{p.get('lon')} is not a latitude,longitude", field="lat")
            key = None if p.get("key") is None else check_key(p["key"], field="key", max_len=MAX_FIX_KEY)
            keys.append(key)
            rows.append((_name(p.get("ambassador")), iso(p.get("t")) if p.get("t") is not None else now, lat, lon,
                         _float_or_none(p.get("accuracy_m"), "accuracy_m"),
                         None if p.get("block") is None else int(p["block"]),
                         _float_or_none(p.get("offset_m"), "offset_m"), now, actor, key))
        if not rows:
            return []

        def work(c: sqlite3.Connection) -> list[FixResult]:
            out: list[FixResult] = []
            ids: list[int] = []
            names: set[str] = set()
            seen: dict[str, tuple[int, bool]] = {}
            for i, (r, key) in enumerate(zip(rows, keys, strict=True)):
                if key is not None:
                    first = seen.get(key)
                    if first is None:
                        hit = c.execute("SELECT id, block FROM pings WHERE actor=? AND client_key=?",
                                        (actor, key)).fetchone()
                        first = None if hit is None else (int(hit[0]), hit[1] is not None)
                    if first is not None:
                        out.append(FixResult(i, "duplicate", first[0], first[1], "already stored under this key",
                                             key))
                        continue
                cur = c.execute("INSERT INTO pings(ambassador, t, lat, lon, accuracy_m, block, offset_m, received_at, "
                                "actor, client_key) VALUES (?,?,?,?,?,?,?,?,?,?)", r)
                pid = _rowid(cur)
                ids.append(pid)
                names.add(r[0])
                if key is not None:
                    seen[key] = (pid, r[5] is not None)
                out.append(FixResult(i, "stored", pid, r[5] is not None, None, key))
            if ids:
                self._audit(c, now, actor, "ping", "ping", ids[0],
                            {"count": len(ids), "ids": [ids[0], ids[-1]], "ambassadors": sorted(names)})
            return out

        return self._write(work, idem=idem, actor=actor)

    def latest_pings(self, at=None, names: Iterable[str] | None = None) -> dict[str, Ping]:
        """Each ambassador's latest ping at or before ``at`` (default now)."""
        t = self._iso(at)
        if names is None:
            names = [r[0] for r in self._query("SELECT DISTINCT ambassador FROM pings")]
        names = list(names)
        if not names:
            return {}
        # one query: each name's latest ping id by the (ambassador, t) index, joined to its row (the columns in
        # the order of Ping's fields)
        latest = (f"SELECT {_PING_COLUMNS} FROM (VALUES {{}}) AS n JOIN pings AS p ON p.id = (SELECT id FROM pings "
                  "WHERE ambassador=n.column1 AND t<=? ORDER BY t DESC, id DESC LIMIT 1)")
        found: dict[str, Ping] = {}
        for k in range(0, len(names), 200):  # older SQLite allow 500 rows in a VALUES list
            chunk = names[k:k + 200]
            for r in self._query(latest.format(",".join(["(?)"] * len(chunk))), [*chunk, t]):
                p = Ping(*r)
                found[p.ambassador] = p
        return {n: found[n] for n in names if n in found}

    def pings(self, *, ambassador: str | None = None, since=None, until=None, limit: int | None = None,
              offset: int = 0) -> list[Ping]:
        """Pings by fix time (for presence reports)."""
        sql, params = _filtered("pings", "t", equal={"ambassador": ambassador}, since=since, until=until)
        return Ping.from_rows(self._query(_paged(sql + " ORDER BY t, id", limit, offset), params))

    def set_duty(self, ambassador: str, status: str, *, note: str = "", at=None, actor: str | None = None,
                 idem: Idempotency | None = None) -> DutyChange:
        """Record a duty status change (on shift, on break, busy, off duty) of an ambassador or unit."""
        name, st = _name(ambassador), normalize_duty(status)
        now, actor = self._iso(at), actor or self.actor

        def work(c: sqlite3.Connection):
            cur = c.execute("INSERT INTO duty(ambassador, status, at, actor, note) VALUES (?,?,?,?,?)",
                            (name, st, now, actor, _text(note, "note")))
            did = _rowid(cur)
            self._audit(c, now, actor, "duty", "duty", did, {"ambassador": name, "status": st, "note": note})
            return DutyChange.from_row(c.execute("SELECT * FROM duty WHERE id=?", (did,)).fetchone())

        return self._write(work, idem=idem, actor=actor)

    def duty_at(self, at=None, *, since=None) -> dict[str, DutyChange]:
        """Each ambassador's latest duty change in ``[since, at]`` (``since``: e.g. the local day's start)."""
        t = self._iso(at)
        params: list = [t]
        sql = "SELECT * FROM duty WHERE at<=?"
        if since is not None:
            sql += " AND at>=?"
            params.append(iso(since))
        out: dict[str, DutyChange] = {}
        for r in self._query(sql + " ORDER BY at, id", params):
            out[r["ambassador"]] = DutyChange.from_row(r)
        return out

    def duty_changes(self, *, since=None, until=None) -> list[DutyChange]:
        sql, params = _filtered("duty", "at", since=since, until=until)
        sql += " ORDER BY at, id"
        return DutyChange.from_rows(self._query(sql, params))

    # ------------------------------------------------------------------ plan versions
    def add_plan_version(self, plan: dict, *, minute: float | None = None, why: str = "", path: str = "",
                         at=None, actor: str | None = None, district: str = "") -> PlanVersion:
        """Keep a version of a day's plan (``plan["version"]``; the day is ``plan["date"]`` or ``plan["day"]``).

        ``district`` is the program's name of the plan's district (``""`` in a one-district record): each district
        of a program keeps its own versions of the same day.

        Raises
        ------
        RecordError
            When that version of that day is already kept (versions are never replaced).
        """
        day = str(plan.get("date") or plan.get("day") or "")
        version = int(plan.get("version", 1))
        now, actor = self._iso(at), actor or self.actor
        where = f" of {district}" if district else ""

        def work(c: sqlite3.Connection) -> PlanVersion:
            if c.execute("SELECT 1 FROM plan_versions WHERE district=? AND day=? AND version=?",
                         (district, day, version)).fetchone():
                raise RecordError(f"version {version} of the plan{where} for {day} is already kept", field="version")
            cur = c.execute("INSERT INTO plan_versions(district, day, version, made_at, minute, actor, why, path, "
                            "plan) VALUES (?,?,?,?,?,?,?,?,?)",
                            (district, day, version, now, minute, actor, _text(why, "why"), str(path),
                             json.dumps(plan, default=str)))
            pid = _rowid(cur)
            data = {"day": day, "version": version, "minute": minute, "why": why, "path": str(path)}
            self._audit(c, now, actor, "plan version", "plan_version", pid,
                        {**data, "district": district} if district else data)
            return PlanVersion.from_row(c.execute("SELECT * FROM plan_versions WHERE id=?", (pid,)).fetchone())

        return self._write(work, actor=actor)

    def plan_versions(self, day: str, *, district: str = "") -> list[PlanVersion]:
        """The versions kept of a day's plan (of one district of a program), oldest first."""
        return PlanVersion.from_rows(self._query(
            "SELECT * FROM plan_versions WHERE district=? AND day=? ORDER BY version", (district, day)))

    def plan_version(self, day: str, version: int | None = None, *, district: str = "") -> dict:
        """The plan.json content of a version of a day's plan (the latest when ``version`` is None).

        Raises
        ------
        NotFoundError
            When no such version is kept.
        """
        rows = self._query("SELECT plan FROM plan_versions WHERE district=? AND day=? "
                           + ("AND version=? " if version else "") + "ORDER BY version DESC LIMIT 1",
                           (district, day, version) if version else (district, day))
        if not rows:
            raise NotFoundError(f"no plan version {version or ''} kept for {day}".replace("  ", " "),
                                field="version")
        return json.loads(rows[0]["plan"])

    # ------------------------------------------------------------------ interactions
    def log_interaction(self, ambassador: str, type: str, *, referral_type: str | None = None,
                        business: str | None = None, incident_id: int | None = None, lat: float | None = None,
                        lon: float | None = None, block: int | None = None, offset_m: float | None = None,
                        notes: str = "", handouts: Iterable[Handout] = (), at=None, actor: str | None = None,
                        idem: Idempotency | None = None) -> Interaction:
        """Log an ambassador's interaction (:data:`~patrol.vocab.INTERACTION_TYPES`).

        ``handouts`` are the written materials given with it (``(material id, kind, count)``, checked
        against the district's list by :mod:`patrol.materials`), stored in the same transaction.

        Raises
        ------
        InputError
            For an unknown type or referral type, or a referral without its type.
        NotFoundError
            For an unknown ``incident_id``.
        """
        values = self._interaction_values(ambassador, type, referral_type=referral_type, business=business,
                                          incident_id=incident_id, lat=lat, lon=lon, block=block,
                                          offset_m=offset_m, notes=notes, at=at)
        given = [_handout(h) for h in handouts]
        actor = actor or self.actor

        def work(c: sqlite3.Connection) -> Interaction:
            row = self._insert_interaction(c, values, actor)
            for material, kind, count in given:
                cur = c.execute("INSERT INTO handouts(interaction_id, at, ambassador, material, kind, count, actor) "
                                "VALUES (?,?,?,?,?,?,?)", (row["id"], values["at"], values["ambassador"], material,
                                                           kind, count, actor))
                self._audit(c, values["at"], actor, "create", "handout", _rowid(cur),
                            {"interaction_id": row["id"], "material": material, "kind": kind, "count": count})
            return Interaction.from_row(row)

        return self._write(work, idem=idem, actor=actor)

    def handouts(self, *, since=None, until=None, interaction_id: int | None = None) -> list[dict[str, Any]]:
        """Written materials handed out (oldest first): ``id, interaction_id, at, ambassador, material, kind,
        count``."""
        sql, params = _filtered("handouts", "at", equal={"interaction_id": interaction_id}, since=since, until=until)
        return [dict(r) for r in self._query(sql + " ORDER BY at, id", params)]

    def log_interactions(self, rows: Iterable[dict], *, actor: str | None = None) -> list[Interaction]:
        """Log many interactions in ONE transaction: all are written or none (field-log imports).

        Each row is a dict of :meth:`log_interaction`'s arguments.  Every row is validated before
        anything is written; each interaction gets its own audit entry.

        Raises
        ------
        InputError
            Naming the row (``details["row"]``, 1-based) and the field of the first bad value.
        NotFoundError
            For an unknown ``incident_id`` (nothing is written).
        """
        values = []
        for i, row in enumerate(rows, start=1):
            try:
                values.append(self._interaction_values(**row))
            except TypeError as exc:
                raise InputError(f"row {i}: {exc}", details={"row": i}) from exc
            except InputError as exc:
                raise InputError(f"row {i}: {exc.message}", field=exc.field, details={**exc.details, "row": i}) from exc
        actor = actor or self.actor
        if not values:
            return []
        out = self._write(lambda c: [self._insert_interaction(c, v, actor) for v in values])
        return Interaction.from_rows(out)

    def _interaction_values(self, ambassador: str, type: str, *, referral_type: str | None = None,
                            business: str | None = None, incident_id: int | None = None, lat: float | None = None,
                            lon: float | None = None, block: int | None = None, offset_m: float | None = None,
                            notes: str = "", at=None) -> dict[str, Any]:
        kind = check_choice(type, INTERACTION_TYPES, "type")
        ref = None if referral_type is None else check_choice(referral_type, REFERRAL_TYPES, "referral_type")
        if kind == "referral" and ref is None:
            raise InputError("a referral needs its referral_type", field="referral_type")
        return {
            "at": self._iso(at), "ambassador": _name(ambassador), "type": kind, "referral_type": ref,
            "business": _text(business, "business") or None,
            "incident_id": None if incident_id is None else _id(incident_id),
            "lat": _float_or_none(lat, "lat"), "lon": _float_or_none(lon, "lon"),
            "block": None if block is None else int(block), "offset_m": _float_or_none(offset_m, "offset_m"),
            "notes": _text(notes, "notes", max_len=10000),
        }

    def _insert_interaction(self, c: sqlite3.Connection, v: dict[str, Any], actor: str) -> sqlite3.Row:
        if v["incident_id"] is not None:
            self._incident(c, v["incident_id"])
        cur = c.execute(
            "INSERT INTO interactions(at, ambassador, type, referral_type, business, incident_id, lat, lon, "
            "block, offset_m, notes, actor) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            (v["at"], v["ambassador"], v["type"], v["referral_type"], v["business"], v["incident_id"], v["lat"],
             v["lon"], v["block"], v["offset_m"], v["notes"], actor))
        iid = _rowid(cur)
        self._audit(c, v["at"], actor, "create", "interaction", iid,
                    {k: v[k] for k in ("ambassador", "type", "referral_type", "business", "incident_id", "notes")})
        return c.execute("SELECT * FROM interactions WHERE id=?", (iid,)).fetchone()

    def interactions(self, *, since=None, until=None, ambassador: str | None = None,
                     type: str | None = None, limit: int | None = None, offset: int = 0) -> list[Interaction]:
        sql, params = _filtered("interactions", "at", equal={"ambassador": ambassador, "type": type},
                                since=since, until=until)
        return Interaction.from_rows(self._query(_paged(sql + " ORDER BY at, id", limit, offset), params))

    # ------------------------------------------------------------------ for reports
    def response_times(self, *, since=None, until=None) -> list[dict[str, Any]]:
        """Per incident received in ``[since, until)`` with an arrival: response times in minutes.

        Returns
        -------
        list of dict
            ``incident_id, type, priority, received_at, assigned_at`` (first assignment),
            ``arrived_at`` (first arrival), ``assign_to_scene_min``, ``call_to_scene_min`` and
            ``ambassadors`` (units assigned), oldest first.
        """
        where, params = ["a.arrived_at IS NOT NULL"], []
        if since is not None:
            where.append("i.received_at>=?")
            params.append(iso(since))
        if until is not None:
            where.append("i.received_at<?")
            params.append(iso(until))
        sql = (
            "SELECT i.id AS incident_id, i.type, i.priority, i.received_at, MIN(a.assigned_at) AS assigned_at, "
            "MIN(a.arrived_at) AS arrived_at, group_concat(DISTINCT a.ambassador) AS ambassadors, "
            "(julianday(MIN(a.arrived_at)) - julianday(MIN(a.assigned_at))) * 1440.0 AS assign_to_scene_min, "
            "(julianday(MIN(a.arrived_at)) - julianday(i.received_at)) * 1440.0 AS call_to_scene_min "
            "FROM incidents i JOIN assignments a ON a.incident_id = i.id WHERE " + " AND ".join(where) +
            " GROUP BY i.id ORDER BY i.received_at, i.id")
        out = []
        for r in self._query(sql, params):
            d = {k: r[k] for k in r.keys()}
            d["ambassadors"] = sorted((d["ambassadors"] or "").split(","))
            for k in ("assign_to_scene_min", "call_to_scene_min"):
                d[k] = round(d[k], 3)
            out.append(d)
        return out

    def query(self, sql: str, params: Iterable = ()) -> list[dict[str, Any]]:
        """A read-only SQL query (``SELECT`` / ``WITH``) for reports; rows as dicts.

        Raises
        ------
        InputError
            For anything but a read.
        """
        head = sql.lstrip().split(None, 1)[0].upper() if sql.strip() else ""
        if head not in ("SELECT", "WITH"):
            raise InputError("Record.query runs SELECT/WITH statements only", field="sql")
        with self._reading() as conn:
            # the writer's connection (an in-memory record, or inside a write) made read-only for the caller's text;
            # the read connections are
            guard = conn is self._conn
            if guard:
                conn.execute("PRAGMA query_only=1")
            try:
                rows = conn.execute(sql, tuple(params)).fetchall()
            except sqlite3.DatabaseError as exc:
                raise RecordError(f"query failed: {exc}", field="sql") from exc
            finally:
                if guard:
                    conn.execute("PRAGMA query_only=0")
        return [{k: r[k] for k in r.keys()} for r in rows]

    def read(self, sql: str, params: Iterable = ()) -> list[sqlite3.Row]:
        """Rows of a read the dispatch package writes itself (the books' own ``SELECT``, never a caller's text).

        :meth:`query` refuses anything but ``SELECT``/``WITH`` and reports a failing statement as the caller's
        (``RecordError`` naming the SQL); this reads as the record's own reads do (a record that cannot be read
        is :class:`~patrol.errors.RecordUnavailableError`).

        Raises
        ------
        RecordUnavailableError
            When the record cannot be read now.
        """
        return self._query(sql, params)

    # ------------------------------------------------------------------ audit
    def audit(self, *, entity: str | None = None, entity_id: int | None = None, actor: str | None = None,
              since=None, limit: int | None = None, offset: int = 0) -> list[AuditEntry]:
        """The audit trail, oldest first, optionally filtered and paged."""
        sql, params = _filtered("audit", "at", equal={"entity": entity, "entity_id": entity_id, "actor": actor},
                                since=since)
        return AuditEntry.from_rows(self._query(_paged(sql + " ORDER BY id", limit, offset), params))


#: A written material given with an interaction: ``(material id, kind, count)``.
Handout = tuple[str, str, int]


def _handout(h: Handout) -> Handout:
    """A handout checked for shape (the material's id and kind are the district list's, see patrol.materials)."""
    try:
        material, kind, count = h
    except (TypeError, ValueError) as exc:
        raise InputError(f"a handout is (material, kind, count), not {h!r}", field="materials") from exc
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= 1000:
        raise InputError(f"materials: count {count!r} must be a whole number from 1 to 1000", field="materials")
    return _text(material, "materials", required=True, max_len=100), _text(kind, "materials", required=True,
                                                                            max_len=100), count


def _outcome_items(outcomes, actions, referrals) -> list[tuple[str, str]]:
    """``(kind, value)`` pairs, each value checked against the program's list (a lone string is one value)."""
    def seq(v):
        return [v] if isinstance(v, str) else list(v or ())

    items = [("outcome", check_choice(v, OUTCOMES, "outcome")) for v in seq(outcomes)]
    items += [("action", check_choice(v, ACTIONS, "action")) for v in seq(actions)]
    items += [("referral", check_choice(v, REFERRAL_TYPES, "referral")) for v in seq(referrals)]
    return items
