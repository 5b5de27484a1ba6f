"""``patrol report import``: whole files or nothing, with the bad row and column named."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from patrol.dispatch.record import Record
from patrol.dispatch.schema import SCHEMA_VERSION
from patrol.errors import InputError
from patrol.report import import_csv

DATA = Path(__file__).parent / "data" / "report"


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "rec.db"
    Record(path).close()
    return path


def _count(db, table):
    conn = sqlite3.connect(db)
    try:
        if not conn.execute("SELECT 1 FROM sqlite_master WHERE name=?", (table,)).fetchone():
            return 0
        return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    finally:
        conn.close()


def _refused(kind, name, db, uptown, **kw) -> InputError:
    with pytest.raises(InputError) as err:
        import_csv(kind, DATA / name if isinstance(name, str) else name, district=uptown, db=db, **kw)
    return err.value


def test_field_log_goes_into_the_record(db, uptown):
    res = import_csv("field-log", DATA / "field_log.csv", district=uptown, db=db, actor="ana")
    assert (res.rows, res.skipped) == (7, 0)
    rec = Record(db)
    rows = rec.interactions()
    rec.close()
    assert len(rows) == 7
    first = min(rows, key=lambda r: r.at)
    assert first.at == "2026-06-02T15:30:00.000Z"  # 10:30 local (CDT) is 15:30 UTC
    graffiti = next(r for r in rows if r.notes == "tag on the bus shelter")
    assert graffiti.block == 96 and graffiti.actor.startswith("ana|import:")
    again = _refused("field-log", "field_log.csv", db, uptown)
    assert "already imported" in again.message
    assert _count(db, "interactions") == 7


def test_field_log_bad_type_refused_whole(db, uptown):
    err = _refused("field-log", "field_log_bad_type.csv", db, uptown)
    assert err.field == "type" and err.details["row"] == 2 and err.details["column"] == "type"
    assert "row 2" in err.message and "nothing was imported" in err.message
    assert err.to_dict()["error"]["details"]["line"] == 3
    assert _count(db, "interactions") == 0


def test_field_log_unknown_incident_refused_whole(db, uptown):
    err = _refused("field-log", "field_log_bad_incident.csv", db, uptown)
    assert (err.details["row"], err.details["column"]) == (3, "incident_id")
    assert _count(db, "interactions") == 0


def test_field_log_resumes_an_interrupted_import(db, uptown, tmp_path):
    src = (DATA / "field_log.csv").read_text()
    res = import_csv("field-log", DATA / "field_log.csv", district=uptown, db=db, actor="ana")
    # simulate a crash after 7 rows but before the import was registered: a copy with the same content
    conn = sqlite3.connect(db)
    conn.execute("DROP TABLE report_imports")
    conn.commit()
    conn.close()
    copy = tmp_path / "again.csv"
    copy.write_text(src)
    res = import_csv("field-log", copy, district=uptown, db=db, actor="ana")
    assert (res.rows, res.skipped) == (0, 7)
    assert _count(db, "interactions") == 7


@pytest.mark.parametrize("kind, name, row, column", [
    ("community-survey", "community_survey_bad.csv", 3, "rating"),
    ("incident-history", "incident_history_bad.csv", 2, "lon"),
])
def test_bad_rows_refused_whole(db, uptown, kind, name, row, column):
    err = _refused(kind, name, db, uptown)
    assert (err.details["row"], err.details["column"]) == (row, column)
    assert err.exit_code == 2
    for table in ("report_community_survey", "report_incident_history", "report_imports"):
        assert _count(db, table) == 0


def test_bad_header_and_values(db, uptown, tmp_path):
    f = tmp_path / "s.csv"
    f.write_text("date,business\n2026-06-02,Subway\n")
    err = _refused("business-survey", f, db, uptown)
    assert err.field == "feels_safer" and err.details["row"] == 0
    f.write_text("date,business,feels_safer,mood\n2026-06-02,Subway,yes,ok\n")
    assert _refused("business-survey", f, db, uptown).field == "mood"
    f.write_text("date,business,feels_safer\n2026-06-02,Subway,yes\n2026-13-02,Subway,yes\n")
    err = _refused("business-survey", f, db, uptown)
    assert (err.details["row"], err.field) == (2, "date")
    f.write_text("date,business,feels_safer\n2026-06-02,Subway,maybe\n")
    assert _refused("business-survey", f, db, uptown).field == "feels_safer"
    f.write_text("date,respondent_type,satisfied,rating\n2026-06-02,resident,,\n")
    assert _refused("community-survey", f, db, uptown).field == "satisfied"
    f.write_text("lat,lon,time,type\n44.949,-93.295,,theft\n")
    err = _refused("incident-history", f, db, uptown)
    assert (err.details["row"], err.field) == (1, "time")
    assert _count(db, "report_imports") == 0


def test_surveys_and_history_imported(db, uptown):
    assert import_csv("community-survey", DATA / "community_survey.csv", district=uptown, db=db).rows == 5
    assert import_csv("business-survey", DATA / "business_survey.csv", district=uptown, db=db).rows == 4
    res = import_csv("incident-history", DATA / "incident_history.csv", district=uptown, db=db)
    assert res.rows == 7
    conn = sqlite3.connect(db)
    in_area = conn.execute("SELECT sum(in_area) FROM report_incident_history").fetchone()[0]
    conn.close()
    assert in_area == 6
    assert _count(db, "report_imports") == 3
    rec = Record(db)
    assert rec.schema_version == SCHEMA_VERSION  # the record's own schema is untouched
    rec.close()


def test_history_column_mapping(db, uptown, tmp_path):
    f = tmp_path / "open_data.csv"
    f.write_text("Y,X,reportedDateTime,offense\n44.949,-93.295,2026-06-02 13:00,theft\n")
    res = import_csv("incident-history", f, district=uptown, db=db,
                     columns={"lat": "Y", "lon": "X", "time": "reportedDateTime", "type": "offense"})
    assert res.rows == 1
