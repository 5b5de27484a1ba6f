"""The record's rows as the service answers them: ``to_dict`` is :func:`dataclasses.asdict` of the row (taken as
the reference), for rows of plain values (answered without the deep copy) and rows holding lists or dicts."""

from __future__ import annotations

import dataclasses

from patrol.dispatch import Desk, Record


def test_rows_to_dict_are_their_asdict(uptown, tmp_path):
    record = Record(tmp_path / "r.db", actor="test")
    desk = Desk(uptown, record=record)
    try:
        inc = desk.new_incident("Lake & Hennepin", type="disturbance", source="camera", notes="a & b", actor="t")
        desk.assign(inc.id, desk.units[0].name, note="go", actor="t")
        record.add_pings([{"ambassador": "amb2", "lat": 44.9485, "lon": -93.295, "accuracy_m": 8.0}], actor="t")
        record.set_duty("amb3", "on break", note="lunch", actor="t")
        rows = [*record.list_incidents(), *record.assignments(inc.id), *record.pings(), *record.duty_changes(),
                *record.history(inc.id), *record.audit()]
        kinds = {type(r).__name__ for r in rows}
        assert {"Incident", "Assignment", "Ping", "DutyChange", "StatusChange", "AuditEntry"} <= kinds
        for row in rows:
            got, want = row.to_dict(), dataclasses.asdict(row)
            assert got == want and list(got) == list(want), type(row).__name__
        # a row holding a dict (the audit's data) is still a copy: changing the answer leaves the row as it was
        entry = next(r for r in rows if type(r).__name__ == "AuditEntry" and isinstance(r.data, dict) and r.data)
        answer = entry.to_dict()
        answer["data"].clear()
        assert entry.data
        # the incident's in_area is a bool (SQLite stores an integer)
        assert isinstance(record.get_incident(inc.id).to_dict()["in_area"], bool)
    finally:
        record.close()
