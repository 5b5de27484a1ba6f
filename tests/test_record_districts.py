"""Record schema version 7 (issue 18: several districts, one record): a version 5 record (before issue 17) and a
version 6 record (issue 17's events, escorts, cameras) both open and upgrade with every row kept; so does a
version 7 one, to version 8 (issue 15: the open incidents' own index)."""

from __future__ import annotations

import json
import sqlite3

import pytest

from patrol.dispatch.record import Record
from patrol.dispatch.schema import MIGRATIONS, SCHEMA_VERSION, _statements
from patrol.errors import RecordError

T = "2026-06-02T15:00:00.000Z"


def _old_record(path, version: int) -> None:
    """A record written by a patrol at schema ``version``, with two incidents and two plan versions of a day."""
    conn = sqlite3.connect(path, isolation_level=None)
    for script in MIGRATIONS[:version]:
        for stmt in _statements(script):
            conn.execute(stmt)
    conn.execute(f"PRAGMA user_version = {version}")
    for i, kind in ((7, "disturbance"), (9, "sleeping")):
        conn.execute("INSERT INTO incidents(id, received_at, created_at, updated_at, source, type, priority, status, "
                     "location_text, block, offset_m, created_by) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                     (i, T, T, T, "phone", kind, "normal", "new", f"Lake & Girard {i}", 96, 10.0 * i, "old"))
    for pid, version_ in ((3, 1), (5, 2)):
        conn.execute("INSERT INTO plan_versions(id, day, version, made_at, minute, actor, why, path, plan) "
                     "VALUES (?,?,?,?,?,?,?,?,?)", (pid, "2026-06-02", version_, T, None if version_ == 1 else 720.0,
                                                    "old", f"v{version_}", "", json.dumps({"version": version_})))
    if version >= 6:
        conn.execute("INSERT INTO events(id, district, name, blocks, start_at, end_at, created_at, created_by) "
                     "VALUES (4, 'Uptown', 'Art fair', '[96]', ?, ?, ?, 'old')", (T, T, T))
        conn.execute("UPDATE incidents SET camera_id='cam-1' WHERE id=9")
    conn.close()


@pytest.mark.parametrize("version", [5, 6, 7])
def test_an_older_record_upgrades_keeping_its_rows(tmp_path, version):
    assert SCHEMA_VERSION == 8
    path = tmp_path / f"v{version}.db"
    _old_record(path, version)
    rec = Record(path, actor="test")
    try:
        assert rec.schema_version == 8 and rec.check().ok
        applied = [r["version"] for r in rec.query("SELECT version FROM schema_version ORDER BY version")]
        assert applied[-(8 - version):] == list(range(version + 1, 9))
        incidents = {i.id: i for i in rec.list_incidents()}
        assert sorted(incidents) == [7, 9]
        # the open incidents written before the index are in it (newest first; the same time: by id)
        assert [i.id for i in rec.list_incidents(open_only=True)] == [9, 7]
        assert (incidents[7].location_text, incidents[9].offset_m, incidents[9].district) == ("Lake & Girard 7",
                                                                                              90.0, None)
        assert incidents[9].camera_id == ("cam-1" if version >= 6 else None)
        if version >= 6:
            assert [r["name"] for r in rec.query("SELECT name FROM events")] == ["Art fair"]
        # plan versions: ids, versions and contents kept, now of the one-district record ('')
        kept = rec.plan_versions("2026-06-02")
        assert [(p.id, p.version, p.why) for p in kept] == [(3, 1, "v1"), (5, 2, "v2")]
        assert rec.plan_version("2026-06-02") == {"version": 2}
        # the rebuilt table keeps its guards, and each district of a program keeps its own versions of the day
        other = sqlite3.connect(path)
        with pytest.raises(sqlite3.DatabaseError, match="nothing is deleted"):
            other.execute("DELETE FROM plan_versions WHERE id=3")
        other.close()
        with pytest.raises(RecordError, match="already kept"):
            rec.add_plan_version({"date": "2026-06-02", "version": 2})
        rec.add_plan_version({"date": "2026-06-02", "version": 1, "x": "lynlake"}, district="lynlake")
        assert rec.plan_version("2026-06-02", district="lynlake")["x"] == "lynlake"
        assert rec.plan_version("2026-06-02") == {"version": 2}
        new = rec.new_incident(type="disturbance", source="phone", location_text="Lake & Lyndale",
                               district="lynlake")
        assert [i.id for i in rec.list_incidents(district="lynlake")] == [new.id]
    finally:
        rec.close()
