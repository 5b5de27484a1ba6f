"""The test record shared by the report tests: known incidents, outcomes, interactions, pings and imports.

It covers Tue 2026-06-02 .. Sat 2026-06-06 in Minneapolis (CDT, UTC-5), with one incident the day before and
one the day after (both left out of that week's report).
"""

from __future__ import annotations

from pathlib import Path

from patrol.dispatch.record import Record
from patrol.report import import_csv

DATA = Path(__file__).parent / "data" / "report"
IN_BLOCK, OUT_BLOCK = 96, 6  # a long block inside the patrol area, one outside


def _incident(rec, iid_type, received, *, assign=(), en_route=None, on_scene=None, outcomes=(), actions=(),
              referrals=(), outcome_at=None, resolved=None, closed=None):
    inc = rec.new_incident(type=iid_type, source="phone", location_text="Lake & Girard", received_at=received,
                           at=received)
    for who, at in assign:
        rec.assign(inc.id, who, at=at)
    if en_route:
        rec.set_status(inc.id, "en route", at=en_route)
    if on_scene:
        rec.set_status(inc.id, "on scene", at=on_scene)
    if outcomes or actions or referrals:
        rec.add_outcome(inc.id, outcomes=outcomes, actions=actions, referrals=referrals, at=outcome_at)
    if resolved:
        rec.set_status(inc.id, "resolved", at=resolved)
    if closed:
        rec.close_incident(inc.id, at=closed)
    return inc.id


def _pings(uptown, amb, rows):
    out = []
    for t, block, off in rows:
        lat, lon = uptown.geocoder.point_on_block(block, off)
        out.append({"ambassador": amb, "lat": lat, "lon": lon, "t": t, "block": block, "offset_m": off})
    return out


def build_record(path: Path, uptown) -> dict[str, int]:
    """The test record; returns the incident ids by name."""
    rec = Record(path, actor="test")
    ids = {}
    ids["before"] = _incident(rec, "disturbance", "2026-06-01T15:00:00Z", assign=[("amb3", "2026-06-01T15:01:00Z")],
                              on_scene="2026-06-01T15:03:00Z", outcomes=["tensions not de-escalated"],
                              outcome_at="2026-06-01T15:30:00Z")
    # 1: 5 min from assignment, 7 from the call; de-escalated; escort recorded twice; shelter referral twice
    ids["i1"] = _incident(rec, "disturbance", "2026-06-02T15:00:00Z", assign=[("amb3", "2026-06-02T15:02:00Z")],
                          en_route="2026-06-02T15:03:00Z", on_scene="2026-06-02T15:07:00Z",
                          outcomes=["tensions de-escalated"], actions=["de-escalations", "safety escorts"],
                          referrals=["shelter"], outcome_at="2026-06-02T15:30:00Z", resolved="2026-06-02T15:35:00Z",
                          closed="2026-06-02T15:40:00Z")
    # 2: 10 / 11 min; not de-escalated; a 911 call
    ids["i2"] = _incident(rec, "verbal aggression", "2026-06-03T16:00:00Z",
                          assign=[("amb4", "2026-06-03T16:01:00Z")], on_scene="2026-06-03T16:11:00Z",
                          outcomes=["tensions not de-escalated"], actions=["calls to 911"],
                          outcome_at="2026-06-03T16:30:00Z")
    # 3: livability (sleeping), 4 / 4 min, resolved 40 min after the call; an untyped referral and a hazard
    ids["i3"] = _incident(rec, "sleeping", "2026-06-04T17:00:00Z", assign=[("amb3", "2026-06-04T17:00:00Z")],
                          on_scene="2026-06-04T17:04:00Z", actions=["service referrals", "hazard reported"],
                          outcome_at="2026-06-04T17:30:00Z", resolved="2026-06-04T17:40:00Z",
                          closed="2026-06-04T17:45:00Z")
    # 4: livability (obstruction), never on scene, never resolved
    ids["i4"] = _incident(rec, "obstruction", "2026-06-05T15:00:00Z", assign=[("lead", "2026-06-05T15:10:00Z")],
                          en_route="2026-06-05T15:12:00Z")
    # 5: a unit and a backup, both on scene at 18:08: 8 / 8 min for the incident; amb2 8, amb5 5
    ids["i5"] = _incident(rec, "disturbance", "2026-06-05T18:00:00Z",
                          assign=[("amb2", "2026-06-05T18:00:00Z"), ("amb5", "2026-06-05T18:03:00Z")],
                          on_scene="2026-06-05T18:08:00Z", actions=["de-escalations"],
                          outcome_at="2026-06-05T18:30:00Z")
    ids["after"] = _incident(rec, "disturbance", "2026-06-07T15:00:00Z", assign=[("amb3", "2026-06-07T15:01:00Z")],
                             on_scene="2026-06-07T15:20:00Z", outcomes=["tensions de-escalated"],
                             outcome_at="2026-06-07T15:30:00Z")
    log = rec.log_interaction
    log("amb3", "safety escort", incident_id=ids["i1"], at="2026-06-02T15:20:00Z")
    log("amb3", "referral", referral_type="shelter", incident_id=ids["i1"], at="2026-06-02T15:25:00Z")
    log("amb2", "referral", referral_type="food", at="2026-06-03T17:00:00Z")
    log("amb4", "safety escort", at="2026-06-04T18:00:00Z")
    log("amb6", "911 call", at="2026-06-05T16:00:00Z")
    log("amb6", "311 report", at="2026-06-05T16:10:00Z")
    log("amb8", "hazard reported", at="2026-06-05T17:00:00Z")
    log("amb8", "community check-in", at="2026-06-02T19:00:00Z")
    log("amb8", "community check-in", at="2026-06-04T19:00:00Z")
    log("lead", "information sharing", at="2026-06-06T20:00:00Z")
    log("lead", "community check-in", at="2026-06-07T16:00:00Z")  # Sunday: after the period
    log("amb2", "information sharing", at="2026-06-02T04:59:00Z")  # 23:59 local on Monday: before
    day2, day3 = "2026-06-02T", "2026-06-03T"
    pings = _pings(uptown, "amb3", [(day2 + "15:00:00Z", IN_BLOCK, 50.0), (day2 + "15:02:00Z", IN_BLOCK, 60.0),
                                    (day2 + "15:04:00Z", IN_BLOCK, 70.0), (day2 + "15:20:00Z", IN_BLOCK, 80.0),
                                    (day2 + "15:23:00Z", IN_BLOCK, 90.0)])
    pings += _pings(uptown, "amb4", [(day3 + "16:00:00Z", OUT_BLOCK, 40.0), (day3 + "16:02:00Z", OUT_BLOCK, 50.0),
                                     (day3 + "16:58:00Z", IN_BLOCK, 100.0), (day3 + "17:02:00Z", IN_BLOCK, 110.0)])
    pings += _pings(uptown, "amb5", [("2026-06-08T15:00:00Z", IN_BLOCK, 50.0),  # Monday after: left out
                                     ("2026-06-08T15:02:00Z", IN_BLOCK, 60.0)])
    rec.add_pings(pings)
    rec.close()
    for kind, name in (("field-log", "field_log.csv"), ("community-survey", "community_survey.csv"),
                       ("business-survey", "business_survey.csv"), ("incident-history", "incident_history.csv")):
        import_csv(kind, DATA / name, district=uptown, db=path, actor="test")
    return ids
