"""The report of a program of two districts sharing one record: each district's report and the city-wide one.

The record is built here by hand: Uptown (the embedded district, program name ``uptown``) and a second district on
the same streets with its own roster (``east``: e-lead, e2, e3).  Every expected figure below is counted from the
rows inserted, not taken from the report code; the city-wide counts are checked to be the sum of the districts'.
"""

from __future__ import annotations

import dataclasses
import json

import pytest
from report_record import IN_BLOCK

from patrol.cli import main
from patrol.dispatch.record import Record
from patrol.errors import InputError
from patrol.report import Period, ReportOptions, ReportScope, build_report

DAY = "2026-06-02T"  # a Tuesday; the shift is 10:00-18:00 CDT = 15:00-23:00 UTC


@pytest.fixture(scope="module")
def east(uptown):
    s = uptown.settings
    settings = dataclasses.replace(
        s, district=dataclasses.replace(s.district, name="East district"),
        roster=dataclasses.replace(s.roster, size=3, leads=1, names=("e-lead", "e2", "e3")))
    return uptown.with_settings(settings)


def _pings(district, who, minutes):
    out = []
    for i, m in enumerate(minutes):
        lat, lon = district.geocoder.point_on_block(IN_BLOCK, 40.0 + 5 * i)
        out.append({"ambassador": who, "lat": lat, "lon": lon, "t": f"{DAY}16:{m:02d}:00Z", "block": IN_BLOCK,
                    "offset_m": 40.0 + 5 * i})
    return out


@pytest.fixture(scope="module")
def record(tmp_path_factory, uptown, east):
    path = tmp_path_factory.mktemp("program-report") / "program.db"
    rec = Record(path, actor="test")

    def incident(district, type_, minute, who, on_scene_after, outcome):
        inc = rec.new_incident(type=type_, source="phone", location_text="Lake & Girard",
                               received_at=f"{DAY}15:{minute:02d}:00Z", district=district)
        rec.assign(inc.id, who, at=f"{DAY}15:{minute:02d}:00Z")
        rec.set_status(inc.id, "on scene", at=f"{DAY}15:{minute + on_scene_after:02d}:00Z")
        rec.add_outcome(inc.id, outcomes=[outcome], at=f"{DAY}15:{minute + 20:02d}:00Z")

    # Uptown: two disturbances, both de-escalated (on scene 4 and 6 min after the call); East: one, not de-escalated
    incident("uptown", "disturbance", 0, "amb3", 4, "tensions de-escalated")
    incident("uptown", "disturbance", 10, "amb2", 6, "tensions de-escalated")
    incident("east", "disturbance", 5, "e2", 8, "tensions not de-escalated")
    log = rec.log_interaction
    log("amb3", "referral", referral_type="shelter", at=f"{DAY}17:00:00Z")
    log("amb4", "safety escort", at=f"{DAY}17:10:00Z")
    log("amb4", "community check-in", at=f"{DAY}17:20:00Z")
    log("e2", "referral", referral_type="food", at=f"{DAY}17:30:00Z")
    log("e3", "referral", referral_type="shelter", at=f"{DAY}17:40:00Z")
    # presence: amb3 pings 16:00..16:06 every 2 min (6 min), e2 16:00..16:04 (4 min); both inside the area
    rec.add_pings(_pings(uptown, "amb3", [0, 2, 4, 6]) + _pings(east, "e2", [0, 2, 4]))
    rec.close()
    return path


@pytest.fixture(scope="module")
def reports(record, uptown, east):
    week = Period.from_dates("2026-06-02", "2026-06-06", uptown.settings.district.timezone)
    both = {"uptown": uptown, "east": east}
    return {name: build_report(None, record, week, scope=scope, compare=False) for name, scope in (
        ("uptown", ReportScope("Uptown", {"uptown": uptown})),
        ("east", ReportScope("East district", {"east": east})),
        ("city", ReportScope("City", both, whole=True)))}


def _v(report, name):
    return report.measure(name).value


def test_each_district_counts_its_own_rows(reports):
    up, ea = reports["uptown"], reports["east"]
    assert (_v(up, "referrals"), _v(ea, "referrals")) == (1, 2)  # amb3 shelter; e2 food + e3 shelter
    assert (_v(up, "community_interactions"), _v(ea, "community_interactions")) == (3, 2)
    assert (_v(up, "safety_escorts"), _v(ea, "safety_escorts")) == (1, 0)
    assert (up.measure("deescalation_share").n, ea.measure("deescalation_share").n) == (2, 1)
    assert (_v(up, "deescalation_share"), _v(ea, "deescalation_share")) == (100.0, 0.0)  # percent
    assert (len(up.response_rows), len(ea.response_rows)) == (2, 1)
    assert _v(up, "presence_hours") == pytest.approx(6 / 60, abs=0.005)  # hours, 2 decimals
    assert _v(ea, "presence_hours") == pytest.approx(4 / 60, abs=0.005)


def test_city_wide_is_the_sum_of_the_districts(reports):
    up, ea, city = reports["uptown"], reports["east"], reports["city"]
    for name in ("referrals", "community_interactions", "safety_escorts"):
        assert _v(city, name) == _v(up, name) + _v(ea, name), name
    assert (_v(city, "referrals"), _v(city, "community_interactions")) == (3, 5)
    assert city.measure("deescalation_share").n == 3
    assert _v(city, "deescalation_share") == pytest.approx(200 / 3, abs=0.05)  # percent: 2 of 3
    assert len(city.response_rows) == 3
    assert _v(city, "presence_hours") == pytest.approx(10 / 60, abs=0.005)
    assert city.presence.n_pings == 7
    # 8 and 3 people, 8 h a day, Tue-Sat: the week's 5 shift days are one full week each, 8 + 3 = 11 FTE
    fte = {k: r.measure("incidents_per_fte").extra.get("fte") for k, r in reports.items()}
    assert fte == pytest.approx({"uptown": 8.0, "east": 3.0, "city": 11.0})
    assert _v(city, "incidents_per_fte") == pytest.approx(3 / 11, abs=0.005)


def test_plans_are_one_districts(reports, record, uptown, east):
    week = Period.from_dates("2026-06-02", "2026-06-06", uptown.settings.district.timezone)
    with pytest.raises(InputError, match="--district NAME"):
        build_report(None, record, week, ReportOptions(plans=["plan.json"]), compare=False,
                     scope=ReportScope("City", {"uptown": uptown, "east": east}, whole=True))


def test_cli_program_report(tmp_path, record, capsys):
    """``patrol report --program DIR [--district NAME]``: a program of Uptown alone (the second district above is not
    a folder) over the two-district record: the whole program counts every row, ``--district uptown`` Uptown's."""
    folder = tmp_path / "prog"
    folder.mkdir()
    (folder / "program.toml").write_text('[program]\nname = "Test"\n[shared]\nrecord = "program.db"\n'
                                         '[[districts]]\nname = "uptown"\npath = "embedded"\n')
    (folder / "program.db").write_bytes(record.read_bytes())
    base = ["report", "--program", str(folder), "--from", "2026-06-02", "--to", "2026-06-06", "--json",
            "--format", "json"]
    assert main([*base, "--out", str(tmp_path / "all")]) == 0
    whole = {m["name"]: m["value"] for m in json.loads(capsys.readouterr().out)["measures"]}
    assert main([*base, "--district", "uptown", "--out", str(tmp_path / "one")]) == 0
    one = {m["name"]: m["value"] for m in json.loads(capsys.readouterr().out)["measures"]}
    assert whole["referrals"] == 3 and one["referrals"] == 1  # the whole record vs Uptown's incidents and people
    assert main([*base, "--district", "nowhere", "--out", str(tmp_path / "x")]) != 0
    assert "no district 'nowhere'" in capsys.readouterr().out  # --json: the error as JSON on stdout
