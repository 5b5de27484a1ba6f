"""The service's unit list and incident ranking follow the record and carry the cost to the plan (in process)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from patrol.dispatch.clock import iso, utc_now
from patrol.service.app import build_state
from patrol.service.config import ServiceConfig
from patrol.service.field import ambassadors_now
from patrol.service.incidents import rank_incident
from patrol.timeline import Leg, Timeline


@pytest.fixture
def state(uptown, tmp_path):
    """A service over a plan in which everyone posts on one block around the clock."""
    names = uptown.settings.roster.ambassador_names()
    legs = {n: [Leg(0.0, 1440.0, 85, 0.0, 0.0, "post")] for n in names}
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps({"district": uptown.name, "district_fingerprint": uptown.fingerprint,
                                "district_source": "embedded", "timeline": Timeline(legs).to_dict()}))
    st = build_state(ServiceConfig(db_path=str(tmp_path / "record.db"), plan_path=str(plan)))
    yield st
    st.record.close()


def test_units_and_rankings_follow_the_record_with_the_cost(state):
    now = utc_now()
    desk = state.desk
    lat, lon = desk.district.geocoder.point_on_block(40, 50.0)
    desk.ping("amb3", lat, lon, t=iso(now - timedelta(minutes=3)))
    inc = desk.new_incident("Lyndale Ave S & W 28th St", type="sleeping", source="phone",
                            when=iso(now - timedelta(minutes=2)))
    desk.assign(inc.id, "amb3", when=iso(now - timedelta(minutes=2)))
    units = {u["name"]: u for u in ambassadors_now(state)["units"]}
    assert units["amb3"]["status"] == "busy" and units["amb3"]["incident_id"] == inc.id
    assert units["amb3"]["position"]["source"] == "en route" and units["amb3"]["position"]["estimated"]
    assert units["amb2"]["position"]["source"] == "plan"
    ranking = rank_incident(state, state.record.get_incident(inc.id))
    assert ranking["incident_type"] == "sleeping" and ranking["on_scene_min"] == 20.0
    rows = {c["ambassador"]: c for c in ranking["candidates"]}
    assert rows["amb3"]["rank"] is None and rows["amb3"]["incident_id"] == inc.id and rows["amb3"]["cost"] is None
    ranked = [c for c in ranking["candidates"] if c["rank"] is not None]
    assert len(ranked) == 7
    for c in ranked:
        assert c["cost"]["on_scene_min"] == 20.0 and c["cost"]["lost"] == 0 and c["cost"]["summary"] == "none"
