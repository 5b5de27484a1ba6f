"""CLI paper cuts (issue 15 item 7): JSON argument errors, no files left or created by reading commands,
``--district`` errors that name what is wrong."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from patrol.cli import main
from patrol.dispatch.record import Record

README = Path(__file__).resolve().parents[1] / "README.md"


def test_argument_errors_with_json_give_the_json_error_body(capsys):
    assert main(["dispatch", "--json"]) == 2
    out = capsys.readouterr()
    body = json.loads(out.out)
    assert body["error"]["type"] == "UsageError" and body["error"]["field"] == "--at"
    assert "--at" in body["error"]["message"] and body["error"]["details"]["usage"].startswith("usage: patrol dispatch")
    assert out.err == ""
    assert main(["incident", "list", "--limit", "many", "--json"]) == 2
    e = json.loads(capsys.readouterr().out)["error"]
    assert e["field"] == "--limit" and "many" in e["message"]
    # without --json: argparse's usage and message on stderr, as before
    assert main(["dispatch"]) == 2
    out = capsys.readouterr()
    assert out.out == "" and out.err.startswith("usage: patrol dispatch") and \
        "patrol dispatch: error: the following arguments are required: --at" in out.err


def test_read_only_commands_refuse_a_missing_record_and_create_nothing(tmp_path, capsys):
    db = tmp_path / "nowhere" / "record.db"
    for verb in (["incident", "list"], ["incident", "show", "1"], ["incident", "audit"]):
        assert main([*verb, "--db", str(db), "--json"]) == 7
        e = json.loads(capsys.readouterr().out)["error"]
        assert e["field"] == "db" and str(db) in e["message"] and "expected" in e["message"]
    assert main(["keys", "list", "--db", str(db)]) == 7
    assert "no key file" in capsys.readouterr().err
    assert not (tmp_path / "nowhere").exists()  # neither the record nor its folder was made
    assert main(["incident", "new", "--at", "Lake & Hennepin", "--type", "other", "--db", str(db)]) == 0
    capsys.readouterr()
    assert main(["incident", "list", "--db", str(db), "--json"]) == 0  # a write made it; reading works
    assert len(json.loads(capsys.readouterr().out)) == 1


@pytest.mark.slow
def test_report_leaves_no_wal_or_shm_files(tmp_path, capsys):
    db = tmp_path / "record.db"
    rec = Record(db)
    rec.new_incident(type="other", source="phone", location_text="Lake & Hennepin", at="2026-06-02T19:00:00Z")
    rec.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["record.db"]
    assert main(["report", "--from", "2026-06-01", "--to", "2026-06-07", "--db", str(db), "--out",
                 str(tmp_path / "out"), "--format", "json", "--json"]) == 0
    capsys.readouterr()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "record.db"]


def test_district_errors_name_what_is_wrong_with_the_path(tmp_path, capsys):
    cases = {"/nonexistent/district": "no such file or folder", str(README): "is a file but not a district.toml",
             str(tmp_path): "is a folder without a district.toml"}
    for path, words in cases.items():
        assert main(["district", "info", "--district", path, "--json"]) == 2
        e = json.loads(capsys.readouterr().out)["error"]
        assert e["field"] == "--district" and words in e["message"] and path in e["message"], e
    assert main(["district", "info", "--district", "/nonexistent/district"]) == 2
    assert "no such file or folder" in capsys.readouterr().err
