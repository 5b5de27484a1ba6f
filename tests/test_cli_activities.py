"""The command line of issue 17: ``patrol event``, ``patrol escort``, ``patrol camera`` and ``incident log
--material``, on a record in a temporary folder (JSON output checked, errors with their exit code)."""

from __future__ import annotations

import json

import pytest

from patrol.cli import main
from patrol.dispatch import Record


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_events_from_the_command_line(tmp_path, capsys):
    db = str(tmp_path / "r.db")
    code, out, _ = run(capsys, "event", "add", "--db", db, "--name", "Art fair", "--place", "Hennepin & Lagoon",
                       "--start", "2026-06-06 12:00", "--end", "17:00", "--crowd", "900", "--info", "Water at the "
                       "library", "--ambassadors", "2", "--presence", "loop", "--before", "30", "--json")
    assert code == 0
    ev = json.loads(out)
    assert ev["local"]["start"] == "2026-06-06 12:00" and ev["presence"] == {"ambassadors": 2, "mode": "loop",
                                                                               "before_min": 30.0, "after_min": 0.0}
    code, out, _ = run(capsys, "event", "list", "--db", db, "--date", "2026-06-06")
    assert code == 0 and "Art fair" in out and "tell people: Water at the library" in out
    code, _, err = run(capsys, "event", "add", "--db", db, "--name", "x", "--place", "Hennepin & Lagoon", "--start",
                       "2026-06-06 12:00", "--end", "11:00")
    assert code == 2 and "end" in err
    code, out, _ = run(capsys, "event", "remove", str(ev["id"]), "--db", db, "--note", "rain")
    assert code == 0 and "removed" in out
    code, out, _ = run(capsys, "event", "list", "--db", db, "--date", "2026-06-06", "--json")
    assert json.loads(out) == []


def test_an_escort_from_the_command_line(tmp_path, capsys):
    db = str(tmp_path / "r.db")
    when = ["--date", "2026-06-02", "--time"]
    assert run(capsys, "incident", "ping", "amb3", "44.9484,-93.2970", "--db", db, *when, "13:59")[0] == 0
    code, out, _ = run(capsys, "escort", "new", "--from", "Walker Library", "--to", "Lake & Lyndale", "--people", "2",
                       "--db", db, *when, "14:00", "--json")
    assert code == 0
    opts = json.loads(out)
    assert opts["escort"]["status"] == "requested" and opts["ranking"]["candidates"][0]["ambassador"] == "amb3"
    eid = str(opts["escort"]["id"])
    code, out, _ = run(capsys, "escort", "assign", eid, "--db", db, *when, "14:01")
    assert code == 0 and "assigned, amb3" in out
    assert run(capsys, "escort", "step", eid, "under-way", "--db", db, *when, "14:05")[0] == 0
    code, out, _ = run(capsys, "escort", "finish", eid, "arrived", "--db", db, *when, "14:20", "--json")
    done = json.loads(out)
    assert code == 0 and done["provided"] and done["escort_min"] == pytest.approx(15.0)
    code, _, err = run(capsys, "escort", "finish", eid, "arrived", "--db", db)
    assert code == 7 and "done" in err  # a TransitionError: the record's exit code
    code, out, _ = run(capsys, "escort", "list", "--db", db)
    assert code == 0 and f"escort {eid}: done, amb3, arrived" in out


def test_cameras_and_materials_from_the_command_line(tmp_path, capsys):
    db = str(tmp_path / "r.db")
    code, out, _ = run(capsys, "camera", "list", "--db", db)
    assert code == 0 and out.startswith("ILLUSTRATIVE") and "demo-lake-hennepin" in out
    code, out, _ = run(capsys, "camera", "incident", "demo-lake-hennepin", "--type", "sleeping", "--db", db, "--json")
    inc = json.loads(out)
    assert code == 0 and inc["camera_id"] == "demo-lake-hennepin" and inc["source"] == "camera"
    code, _, err = run(capsys, "camera", "incident", "nope", "--type", "sleeping", "--db", db)
    assert code == 7 and "known" in err
    code, out, _ = run(capsys, "incident", "log", "amb3", "referral", "--referral", "shelter", "--material",
                       "demo-shelter-card:2", "--material", "988-lifeline", "--db", db)
    assert code == 0
    rec = Record(db, must_exist=True)
    assert [(h["material"], h["kind"], h["count"]) for h in rec.handouts()] == [
        ("demo-shelter-card", "shelter", 2), ("988-lifeline", "mental health", 1)]
    rec.close()
    code, _, err = run(capsys, "incident", "log", "amb3", "information sharing", "--material", "nope", "--db", db)
    assert code == 2 and "not in the district's list" in err
