"""``patrol dispatch`` and ``patrol incident ...``: a dispatch scenario from the command line alone."""

from __future__ import annotations

import json

import pytest

from patrol.cli import main
from patrol.district import load_district
from patrol.timeline import Leg, Timeline

DAY = ["--date", "2026-06-02"]  # a Tuesday


@pytest.fixture(scope="module")
def plan_file(tmp_path_factory):
    d = load_district()
    L = d.arrays.edge_length
    area = [i for i in range(d.arrays.n_edges) if d.arrays.edge_in_area[i]]
    legs = {}
    for i, name in enumerate(d.settings.roster.ambassador_names()):
        b = area[(i * 13) % len(area)]
        act = "break" if name == "amb4" else "walk"
        legs[name] = [Leg(600.0, 1080.0, b, 0.0, float(L[b]) if act == "walk" else 0.0, act)]
    path = tmp_path_factory.mktemp("plan") / "plan.json"
    path.write_text(json.dumps({"district": d.name, "district_fingerprint": d.fingerprint,
                                "district_source": "embedded", "timeline": Timeline(legs).to_dict()}))
    return path


def test_a_plan_for_other_streets_is_refused(capsys, plan_file, tmp_path):
    other = json.loads(plan_file.read_text())
    other["district_fingerprint"] = "sha256:" + "0" * 32  # made for other streets
    path = tmp_path / "other.json"
    path.write_text(json.dumps(other))
    code, _, err = run(capsys, "dispatch", "--at", "Lake & Girard", "--time", "14:05", *DAY, "--plan", str(path))
    assert code == 6 and "was made for district" in err


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_dispatch_from_the_plan(capsys, plan_file, tmp_path):
    code, out, err = run(capsys, "dispatch", "--at", "W Lake St & Girard Ave S", "--time", "14:05", *DAY,
                         "--plan", str(plan_file), "--db", str(tmp_path / "none.db"))
    assert code == 2 and "no record" in err  # an explicit --db that does not exist
    mp = tmp_path / "map.html"
    code, out, err = run(capsys, "dispatch", "--at", "W Lake St & Girard Ave S", "--time", "14:05", *DAY,
                         "--plan", str(plan_file), "--json", "--map", str(mp))
    assert code == 0
    ranking = json.loads(out)
    assert len(ranking) == 8
    assert {"ambassador", "status", "eta_min", "distance_m", "estimated", "route"} <= set(ranking[0])
    ranked = [r for r in ranking if r["rank"] is not None]
    assert len(ranked) == 7 and all(r["estimated"] for r in ranked)
    assert [r["eta_min"] for r in ranked] == sorted(r["eta_min"] for r in ranked)
    assert ranking[-1]["ambassador"] == "amb4" and ranking[-1]["status"] == "on break"
    assert ranked[0]["route"]["streets"] and mp.read_text().count("<script>") >= 1
    code, out, _ = run(capsys, "dispatch", "--at", "Lake & Girard", "--time", "14:05", *DAY, "--plan", str(plan_file))
    assert code == 0 and "ETA" in out and "via" in out


def test_dispatch_shows_the_cost_to_the_plan(capsys, plan_file):
    argv = ["dispatch", "--at", "W Lake St & Girard Ave S", "--time", "14:05", *DAY, "--plan", str(plan_file)]
    code, out, _ = run(capsys, *argv, "--type", "Sleeping", "--json")
    assert code == 0
    ranked = [r for r in json.loads(out) if r["rank"] is not None]
    for r in ranked:
        cost = r["cost"]
        assert cost["on_scene_min"] == 20.0 and cost["travel_min"] == pytest.approx(r["eta_min"], abs=0.01)
        assert {"lost", "summary", "corridor_blocks", "checkins", "breaks"} <= set(cost)
    code, out, _ = run(capsys, *argv, "--type", "mental health", "--cost-tolerance", "30")
    assert code == 0 and "cost to the plan" in out and "45 min on scene (mental health)" in out
    assert "within 30 s of the nearest" in out
    code, _, err = run(capsys, *argv, "--type", "jaywalking")
    assert code != 0 and "type" in err


def test_dispatch_clear_answers(capsys, plan_file, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no patrol.db here
    code, _, err = run(capsys, "dispatch", "--at", "Lake & Girard", "--time", "14:05")
    assert code == 2 and "no positions" in err
    code, out, _ = run(capsys, "dispatch", "--at", "45.10,-93.00", "--plan", str(plan_file), "--json")
    assert code == 4 and json.loads(out)["error"]["type"] == "OutsideDistrictError"
    code, out, _ = run(capsys, "dispatch", "--at", "Lake & Girard", "--time", "20:00", *DAY, "--plan",
                       str(plan_file))
    assert code == 0 and "nobody is on shift" in out


def test_incident_scenario(capsys, tmp_path):
    db = ["--db", str(tmp_path / "rec.db")]
    assert run(capsys, "incident", "ping", "amb3", "44.9485,-93.2950", "--time", "14:03", *DAY, *db)[0] == 0
    assert run(capsys, "incident", "ping", "amb6", "44.9490,-93.2870", "--time", "14:04", *DAY, *db)[0] == 0
    assert run(capsys, "incident", "duty", "amb6", "break", "--time", "14:04", *DAY, *db)[0] == 0
    code, out, _ = run(capsys, "incident", "new", "--at", "Lake & Girard", "--type", "verbal aggression",
                       "--source", "camera", "--time", "14:05", *DAY, *db, "--json", "--actor", "dispatcher:ana")
    assert code == 0
    inc = json.loads(out)
    assert inc["status"] == "new" and inc["matched"] == "Girard Ave S & W Lake St"
    code, out, _ = run(capsys, "dispatch", "--at", "Lake & Girard", "--time", "14:05", *DAY, *db, "--json")
    ranked = [r for r in json.loads(out) if r["rank"]]
    assert [r["ambassador"] for r in ranked] == ["amb3"] and ranked[0]["estimated"] is False
    code, out, _ = run(capsys, "incident", "assign", str(inc["id"]), "--time", "14:05", *DAY, *db, "--json")
    asg = json.loads(out)
    assert code == 0 and asg["ambassador"] == "amb3" and asg["eta_min"] == pytest.approx(ranked[0]["eta_min"], abs=0.01)
    code, _, err = run(capsys, "incident", "update", str(inc["id"]), "--status", "closed", "--time", "14:06", *DAY,
                       *db)
    assert code == 0  # assigned -> closed (cancel) is legal
    code, out, _ = run(capsys, "incident", "update", str(inc["id"]), "--status", "on scene", *db, "--json")
    assert code == 7 and json.loads(out)["error"]["type"] == "TransitionError"
    code, out, _ = run(capsys, "incident", "new", "--at", "Walker Library", "--type", "sleeping", "--source", "311",
                       *db, "--json")
    second = json.loads(out)["id"]
    for argv in (["assign", str(second), "amb2", "--eta", "4"], ["update", str(second), "--status", "en route"],
                 ["update", str(second), "--status", "on scene", "--action", "wellness checks"],
                 ["close", str(second), "--outcome", "referral to shelter", "--referral", "shelter"],
                 ["log", "amb2", "business check-in", "--business", "Walker Library", "--where", "Walker Library"]):
        code, out, err = run(capsys, "incident", *argv, *db)
        assert code == 0, (argv, err)
    code, out, _ = run(capsys, "incident", "show", str(second), *db, "--json")
    detail = json.loads(out)
    assert detail["incident"]["status"] == "closed"
    assert [h["to_status"] for h in detail["history"]] == ["new", "assigned", "en route", "on scene", "resolved",
                                                           "closed"]
    assert all(e["actor"].startswith("cli:") for e in detail["audit"])
    first = json.loads(run(capsys, "incident", "show", str(inc["id"]), *db, "--json")[1])
    assert first["audit"][0]["actor"] == "dispatcher:ana" and first["assignments"][0]["cleared_reason"] == "closed"
    code, out, _ = run(capsys, "incident", "list", *db, "--json")
    assert [i["id"] for i in json.loads(out)] == [second, inc["id"]]
    code, out, _ = run(capsys, "incident", "list", "--open", *db)
    assert out.strip() == "no incidents"
    code, out, _ = run(capsys, "incident", "show", "99", *db, "--json")
    assert code == 7 and json.loads(out)["error"]["type"] == "NotFoundError"
    code, out, _ = run(capsys, "incident", "audit", *db, "--json")
    assert len(json.loads(out)) >= 15
    code, _, err = run(capsys, "incident", "new", "--at", "Lake & Girard", "--type", "spaceship", *db)
    assert code == 2 and "type" in err
