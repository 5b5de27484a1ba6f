"""Special events in the day's plan (issue 17 §1): the presence each event wants is kept at every minute of its
window, measured here from the steps (not from what the plan says of its stints); what it costs is reported
against the plan without the event; a window nobody can keep is an honest shortfall."""

from __future__ import annotations

import json

import numpy as np
import pytest

from patrol.cli import main
from patrol.dispatch import Record
from patrol.events import EventBook, events_on, new_event
from patrol.planning import check_plan, plan_day, plan_events
from patrol.planning.duties import day_roster

DATE = "2026-06-06"  # a Saturday
FAIR = dict(name="Art fair", place="Hennepin & Lagoon", radius_m=120, start=f"{DATE} 12:00", end="15:00",
            ambassadors=2, before_min=30, after_min=30, crowd=900, info="Free water at the library")


def people_on(plan: dict, blocks: set[int], minute: float) -> tuple[int, set[str]]:
    """The people whose step at ``minute`` is on one of ``blocks`` and not a break (members from the plan's
    walkers; the checker takes them from the roster)."""
    n, who = 0, set()
    for name, w in plan["walkers"].items():
        for s in w["steps"]:
            if s["t0"] <= minute < s["t1"] and s["block"] in blocks and s["activity"] != "break":
                n += len(w["members"])
                who.add(name)
    return n, who


@pytest.fixture(scope="module")
def base(uptown):
    return plan_day(uptown, "sat", date=DATE, seed=0)


@pytest.fixture(scope="module")
def fair_day(uptown, tmp_path_factory):
    """The Art fair put in a record and the day planned from the command line (the lead's way)."""
    folder = tmp_path_factory.mktemp("fair")
    db = folder / "record.db"
    EventBook(Record(db, actor="lead"), uptown).add(new_event(uptown, **FAIR))
    code = main(["plan", "--day", "sat", "--date", DATE, "--seed", "0", "--db", str(db), "--out",
                 str(folder / "plan"), "--maps", str(folder / "maps"), "--json"])
    plan = json.loads((folder / "plan" / "plan.json").read_text())
    return code, plan, db, folder


@pytest.mark.slow
def test_an_event_day_keeps_presence_at_the_event(uptown, base, fair_day):
    code, plan, db, _ = fair_day
    ev = plan["events"][0]
    blocks = set(ev["blocks"])
    assert ev["window"] == ["11:30", "15:30"] and ev["ambassadors"] == 2
    # every minute of set-up, the fair and dispersal: at least two people on the fair's blocks
    for minute in np.arange(11 * 60 + 30 + 0.5, 15 * 60 + 30, 1.0):
        n, _ = people_on(plan, blocks, minute)
        assert n >= 2, minute
    # stints of at most 2 hours, two different units in each, covering the window
    stints = sorted((s["from_min"], s["to_min"], s["unit"]) for s in ev["stints"])
    assert all(t1 - t0 <= 120 + 1e-6 for t0, t1, _ in stints)
    for t0 in {s[0] for s in stints}:
        assert len({u for a, _, u in stints if a == t0}) == 2
    assert min(s[0] for s in stints) == 690 and max(s[1] for s in stints) == 930
    # the units that keep no stint walk exactly their morning plan (the lead's sheets do not change for them)
    base_json = base.to_dict()
    away = {u for *_, u in stints}
    def walk(steps):
        return [(round(s["t0"], 2), round(s["t1"], 2), s["block"], round(s["off0"], 1), round(s["off1"], 1),
                 s["activity"], s["ref"]) for s in steps]

    for name in set(plan["walkers"]) - away:
        assert walk(plan["walkers"][name]["steps"]) == walk(base_json["walkers"][name]["steps"]), name
    # the cost: "without" is the plan without the event, "with" what the checker measures on the new plan
    cost = plan["summary"]["events"]["cost"]
    checked = check_plan(plan, uptown)
    for figure in ("corridor_max_gap_min", "hotspot_max_gap_min", "balance_ratio"):
        assert cost[figure]["without"] == pytest.approx(base.summary[figure])
        assert cost[figure]["with"] == pytest.approx(checked[figure], abs=0.01)
    assert cost["businesses_unchecked"]["with"] == len(checked["businesses_unchecked"])
    # the checker measures the presence itself, from the record's events too
    assert checked["event_presence"] == [{"name": "Art fair", "window": ["11:30", "15:30"], "required": 2,
                                          "least_present": checked["event_presence"][0]["least_present"],
                                          "minutes_short": 0}]
    assert checked["valid"] and not checked["problems"]
    from_record = check_plan(plan, uptown, events=events_on(uptown, db, DATE))
    assert from_record["event_presence"] == checked["event_presence"]
    # the planner's shortfalls are the checker's failures (nothing hidden by the event)
    failed = {t["target"] for t in checked["targets"] if not t["met"]} - {"ready_p90_min"}
    names = {"corridor_revisit": "corridor_max_gap_min", "checkins": "businesses_unchecked",
             "hotspot_revisit": "hotspot_max_gap_min", "balance": "balance_ratio", "breaks": "breaks_ok",
             "min_on_street": "min_on_street", "area_coverage": "area_blocks_unvisited"}
    assert {names[s["target"]] for s in plan["shortfalls"]} == failed
    assert code == (0 if not plan["shortfalls"] else 1)


@pytest.mark.slow
def test_the_check_finds_an_event_the_plan_left_out(uptown, base, fair_day, tmp_path, capsys):
    """`patrol plan check --db` judges against the record's events: the morning plan made without them fails."""
    _, plan, db, folder = fair_day
    assert main(["plan", "check", str(folder / "plan"), "--db", str(db)]) in (0, 1)
    assert "Art fair 11:30-15:30: 2 wanted" in capsys.readouterr().out
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(base.to_dict()))
    assert main(["plan", "check", str(path), "--db", str(db), "--json"]) == 1
    out = json.loads(capsys.readouterr().out)
    (presence,) = out["event_presence"]
    # minutes without two people there, counted here from the steps
    short = sum(people_on(base.to_dict(), set(plan["events"][0]["blocks"]), m)[0] < 2
                for m in np.arange(690.5, 930, 1.0))
    assert presence["minutes_short"] == short > 0
    assert not next(t for t in out["targets"] if t["target"] == "event_presence")["met"]


@pytest.mark.slow
def test_a_loop_walks_round_the_event_and_never_leaves_it(uptown, base):
    ev = new_event(uptown, **{**FAIR, "presence": "loop", "start": f"{DATE} 13:00", "end": "14:00",
                              "before_min": 0, "after_min": 0, "ambassadors": 1})
    plan = plan_events(uptown, base, [ev]).to_dict()
    (stint,) = plan["events"][0]["stints"]
    steps = [s for s in plan["walkers"][stint["unit"]]["steps"] if s["t1"] > 780 and s["t0"] < 840]
    assert steps[0]["t0"] <= 780 and steps[-1]["t1"] >= 840
    assert all(s["block"] in ev.blocks for s in steps)  # every step of the hour on the event's blocks
    walked = {s["block"] for s in steps if s["activity"] == "walk" and abs(s["off1"] - s["off0"]) > 1}
    assert walked == set(ev.blocks)  # round all of them
    assert all(b - a < 1e-6 for a, b in zip([s["t1"] for s in steps], [s["t0"] for s in steps[1:]], strict=False))
    # on the phone: one task, walking round the event until 14:00
    from patrol.dispatch.network import Network
    from patrol.service.today import unit_tasks

    tasks = unit_tasks(plan, stint["unit"], Network.from_district(uptown), uptown)
    (loop,) = [t for t in tasks if t.title == "Walk round the event Art fair"]
    assert loop.t1 == pytest.approx(840) and loop.detail == "tell people: Free water at the library"


@pytest.mark.slow
def test_a_window_nobody_can_keep_is_a_shortfall(uptown):
    """Three people wanted from a day of two units, and minutes before the shift: both said, in minutes."""
    two = plan_day(uptown, "sat", date=DATE, seed=0, roster=day_roster(uptown.settings, only=["lead", "amb2"]))
    ev = new_event(uptown, **{**FAIR, "place": "Lyndale & Lake", "radius_m": 0, "start": f"{DATE} 09:40",
                              "end": "10:10", "before_min": 0, "after_min": 0, "ambassadors": 3})
    out = plan_events(uptown, two, [ev])
    lost = [s for s in out.shortfalls if s.target == "event_presence"]
    assert lost[0].achieved == "outside the shift" and "20 min of the window are outside the shift" in lost[0].detail
    assert any(s.achieved == "2" and "no other unit" in s.detail for s in lost)
    # both leave the base (Hennepin & Lagoon) at 10:00: each is said to be late, by its walk there
    late = [s for s in lost if "late" in s.detail]
    assert {s.achieved.split()[0] for s in late} == {"lead", "amb2"}
    checked = check_plan(out.to_dict(), uptown)
    # 20 minutes before the shift (nobody there) and 10 with at most two of three: all 30 short
    assert checked["event_presence"][0]["minutes_short"] == 30
    assert not checked["all_targets_met"]


@pytest.mark.slow
def test_the_route_sheets_list_the_event_and_the_stints(uptown, fair_day, browser, screens):
    _, plan, _, folder = fair_day
    html = (folder / "plan" / "sheets.html").read_text()
    browser.get((folder / "plan" / "sheets.html").as_uri())
    shown = browser.execute_script("const s = document.querySelector('section.events'); s.scrollIntoView(); "
                                   "return s.offsetParent !== null && s.innerText")
    assert shown.startswith("Events today") and "Tell people: Free water at the library" in shown
    browser.save_screenshot(str(screens / "sheets-events.png"))
    assert "<h3>Events today</h3>" in html
    assert ("<b>Art fair</b> at Hennepin Ave S &amp; W Lagoon Ave, 11:30-15:30 (set-up to dispersal), about 900 "
            "people: 2 ambassadors at it") in html
    assert "Tell people: Free water at the library" in html
    stints = plan["events"][0]["stints"]
    for a, b in zip(stints[::2], stints[1::2], strict=True):  # two at a time
        assert f"{a['unit']} and {b['unit']} {a['from']}-{a['to']}" in html
    assert "At the event Art fair: be seen, tell people what is on" in html
    for s in stints:  # each unit's summary names its stint
        sheet = html[html.index(f"id='sheet-{s['unit']}'"):]
        assert f"<dt>Events</dt><dd>Art fair {s['from']}-{s['to']}</dd>" in sheet[:sheet.index("</dl>")]


def test_the_phone_says_where_to_be_and_what_to_tell_people(uptown, fair_day):
    """On the phone's day (the service's task list), a stint is one task: at the event from the unit's arrival to
    the stint's end, with what to tell people."""
    from patrol.dispatch.network import Network
    from patrol.service.today import unit_tasks

    _, plan, _, _ = fair_day
    net = Network.from_district(uptown)
    for s in plan["events"][0]["stints"]:
        tasks = unit_tasks(plan, s["unit"], net, uptown)
        at = [t for t in tasks if t.title.startswith("At the event Art fair")]
        assert len(at) == 1 and at[0].detail == "tell people: Free water at the library"
        assert at[0].t1 == pytest.approx(s["to_min"]) and at[0].t0 <= s["from_min"]
