"""A damaged, empty or read-only record is refused at startup; a write that cannot be stored is a 503.

Issue 15 item 3, and the private file modes of item 5.
"""

from __future__ import annotations

import os
import random
import shutil
import sqlite3
import stat
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from patrol.dispatch.record import Record
from patrol.errors import RecordError, RecordUnavailableError
from patrol.service.app import build_state, create_app
from patrol.service.config import ServiceConfig, keys_path_for
from patrol.service.process import create_key

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient


def _filled(path: Path, n: int = 400) -> None:
    rec = Record(path, actor="test")
    for i in range(n):
        rec.new_incident(type="other", source="phone", location_text=f"place {i}", notes="x" * 300)
    rec.checkpoint()  # everything in the main file, the WAL empty
    rec.close()


def _damage(path: Path, seed: int) -> None:
    """Random bytes over two pages in the middle of the file (not the header)."""
    rng = random.Random(seed)
    size = path.stat().st_size
    page = 4096
    with open(path, "r+b") as f:
        for _ in range(2):
            f.seek(page * rng.randrange(2, size // page - 1))
            f.write(bytes(rng.randrange(256) for _ in range(page)))


def _damage_table(path: Path, table: str) -> None:
    """Random bytes over two leaf pages of one table (found with SQLite's ``dbstat``), whatever the file's layout."""
    conn = sqlite3.connect(path)
    try:
        pages = [int(r[0]) for r in conn.execute("SELECT pageno FROM dbstat WHERE name=? AND pagetype='leaf' "
                                                 "ORDER BY pageno", (table,))]
    finally:
        conn.close()
    rng = random.Random(4)
    with open(path, "r+b") as f:
        for pageno in pages[len(pages) // 2:len(pages) // 2 + 2]:
            f.seek(4096 * (pageno - 1))
            f.write(bytes(rng.randrange(256) for _ in range(4096)))


def _integrity(path: Path) -> str:
    conn = sqlite3.connect(path)
    try:
        return "; ".join(r[0] for r in conn.execute("PRAGMA integrity_check(5)"))
    except sqlite3.DatabaseError as exc:
        return str(exc)
    finally:
        conn.close()


def _serve(db: Path) -> subprocess.CompletedProcess:
    """``patrol serve`` on a record that must be refused: it exits at once (bounded by the timeout)."""
    return subprocess.run([sys.executable, "-m", "patrol", "serve", "--host", "127.0.0.1", "--port", "0",
                           "--db", str(db)], capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("seed", [1, 2])
def test_a_damaged_record_is_refused_at_startup(tmp_path, seed):
    db = tmp_path / "record.db"
    _filled(db)
    _damage(db, seed)
    assert _integrity(db) != "ok"  # the damage is real, seen by SQLite itself
    before = db.read_bytes()
    with pytest.raises(RecordError) as exc:
        build_state(ServiceConfig(db_path=str(db)))
    assert "damaged" in exc.value.message and str(db) in exc.value.message
    assert db.read_bytes() == before  # nothing was changed


@pytest.mark.slow
def test_patrol_serve_refuses_a_damaged_record_with_a_clear_message(tmp_path):
    db = tmp_path / "record.db"
    _filled(db)
    _damage(db, 3)
    r = _serve(db)
    assert r.returncode == 7 and "damaged" in r.stderr and str(db) in r.stderr, r.stderr[-2000:]
    assert "Traceback" not in r.stderr


def test_an_empty_record_file_beside_its_keys_is_refused(tmp_path):
    db = tmp_path / "record.db"
    create_key(db, "admin", "boss")  # the keys of a record that was there
    db.write_bytes(b"")
    with pytest.raises(RecordError, match="empty file"):
        build_state(ServiceConfig(db_path=str(db)))
    assert db.stat().st_size == 0  # not silently started afresh
    with pytest.raises(RecordError, match="directory"):
        Record(tmp_path)


def _make_read_only(path: Path) -> bool:
    """Read-only even for root (``chattr +i``); False when that is not possible here."""
    if os.geteuid() != 0:
        path.chmod(0o444)
        return True
    if not shutil.which("chattr"):
        return False
    return subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode == 0


def _undo_read_only(path: Path) -> None:
    if os.geteuid() == 0:
        subprocess.run(["chattr", "-i", str(path)], capture_output=True)
    path.chmod(0o600)


def test_a_read_only_record_is_refused_at_startup(tmp_path):
    db = tmp_path / "record.db"
    _filled(db, 5)
    if not _make_read_only(db):
        pytest.skip("cannot make a file read-only for root here (chattr)")
    try:
        with pytest.raises(RecordError, match="cannot be written"):
            build_state(ServiceConfig(db_path=str(db)))
    finally:
        _undo_read_only(db)


def test_a_damaged_page_read_later_is_a_503_not_a_500(tmp_path):
    db = tmp_path / "record.db"
    _filled(db)
    rec = Record(db)  # opened while sound (reads only the schema)
    _damage_table(db, "incidents")
    try:
        with pytest.raises(RecordUnavailableError) as exc:
            for _ in range(3):
                rec.list_incidents()
                rec.query("SELECT count(*) FROM incidents WHERE notes LIKE '%y%'")
        assert exc.value.http_status == 503 and "cannot be read" in exc.value.message
        assert rec.last_error is not None
    finally:
        rec.close()


def test_a_write_that_cannot_be_stored_is_a_503_and_health_says_so(tmp_path):
    db = tmp_path / "record.db"
    app = create_app(ServiceConfig(db_path=str(db)))
    token = app.state.patrol.keys.create("dispatcher", name="desk")[0]
    h = {"X-API-Key": token}
    app.state.patrol.record._conn.execute("PRAGMA busy_timeout=200")  # wait 0.2 s for the lock, not 30 s
    with TestClient(app) as client:
        assert client.get("/api/health").json()["record"] == {"integrity": "ok", "checked_at": client.get(
            "/api/health").json()["record"]["checked_at"], "writable": True, "last_error": None}
        other = sqlite3.connect(db, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
        try:
            n = len(client.get("/api/incidents", headers=h).json()["items"])
            for path, body in (("/api/incidents", {"location": "Lake & Hennepin", "type": "other"}),
                               ("/api/ambassadors/amb2/duty", {"status": "break"}),
                               ("/api/ambassadors/amb2/pings", {"lat": 44.9485, "lon": -93.295})):
                r = client.post(path, json=body, headers=h)
                assert r.status_code == 503, r.text
                e = r.json()["error"]
                assert e["type"] == "RecordUnavailableError" and "locked" in e["message"]
            health = client.get("/api/health")
            assert health.status_code == 503 and health.json()["status"] == "degraded"
            assert "locked" in health.json()["record"]["last_error"]["message"]
            assert len(client.get("/api/incidents", headers=h).json()["items"]) == n  # reads go on
        finally:
            other.execute("ROLLBACK")
            other.close()
        assert client.post("/api/incidents", json={"location": "Lake & Hennepin", "type": "other"},
                           headers=h).status_code == 201
        assert client.get("/api/health").json()["status"] == "ok"


def test_record_and_key_files_are_private(tmp_path):
    db = tmp_path / "record.db"
    app = create_app(ServiceConfig(db_path=str(db)))
    token = app.state.patrol.keys.create("dispatcher", name="desk")[0]
    with TestClient(app) as client:
        assert client.post("/api/incidents", json={"location": "Lake & Hennepin", "type": "other"},
                           headers={"X-API-Key": token}).status_code == 201
        files = [db, keys_path_for(db), Path(f"{db}-wal"), Path(f"{db}-shm")]
        for f in files:
            assert f.exists(), f
            assert stat.S_IMODE(f.stat().st_mode) == 0o600, (f, oct(f.stat().st_mode))
