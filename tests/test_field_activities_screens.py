"""The phone page's safety escorts, today's events and written materials, end to end in headless Chromium (a phone),
with screenshots in out/screens/ (field-escort-*.png, field-events.png, field-materials.png).

The service runs on its own clock (Tuesday 2026-06-02, 11:20 in Minneapolis) with the committed plan of amb3's day.
The desk adds an event today and sends amb3 on an escort; the phone shows the escort's walk, steps it through to
"arrived", shows the event and what to tell people, logs a referral with two written materials picked from the
district's list, and starts a walk-up escort of its own.  The record must hold every step once.
"""

from __future__ import annotations

import pytest
from test_service_field_page import CLOCK, PLAN, START, _wait, move, phone, shot, tap, text  # noqa: F401

from patrol.dispatch import Record
from patrol.dispatch.escorts import EscortBook
from patrol.service.process import ServiceProcess, create_key

pytestmark = pytest.mark.slow


def test_escorts_events_and_materials_on_the_phone(tmp_path, phone):  # noqa: F811 - the fixture
    db = tmp_path / "record.db"
    amb3 = create_key(db, "ambassador", "phone amb3", ambassador="amb3")
    desk = create_key(db, "dispatcher", "desk 1")
    extra = ["--plan", str(PLAN), "--clock-start", CLOCK, "--field-poll-s", "1", "--field-ping-s", "1"]
    with ServiceProcess(db, extra=extra, log_path=tmp_path / "server.log") as srv:
        api = srv.client(desk)
        api.post("/api/events", json={
            "name": "Library book fair", "place": "Walker Library", "start": "2026-06-02 11:00", "end": "15:00",
            "crowd": 400, "info": "Free books, story hour at 3 pm; water at the front desk", "ambassadors": 1,
            "presence": "dwell"}).raise_for_status()
        phone.execute_cdp_cmd("Browser.grantPermissions", {"origin": srv.url, "permissions": ["geolocation"]})
        move(phone, *START)
        phone.get(srv.url + "/field#key=" + amb3)
        _wait(phone, lambda d: text(d, "#now-task") == "Walk to Amore Uptown on Irving Ave S")  # the clock is known
        tap(phone, "#duty-buttons [data-duty='on shift']")
        _wait(phone, lambda d: api.get("/api/ambassadors/amb3/pings").json()["items"])

        # the event on now: on "Now" with what to tell people
        _wait(phone, lambda d: d.find_element("id", "event-now").is_displayed())
        assert "Library book fair" in text(phone, "#event-now")
        assert "Tell people: Free books, story hour at 3 pm" in text(phone, "#event-now")

        # the desk sends amb3 on an escort: the card, its walk, buzz
        phone.execute_script("window.buzzed = []; navigator.vibrate = (p) => { window.buzzed.push(p); return true; };")
        out = api.post("/api/escorts", json={"from": "Walker Library", "to": "W Lake St & Lyndale Ave S",
                                             "people": 2, "notes": "two students, one on crutches"}).json()
        eid = out["escort"]["id"]
        api.post(f"/api/escorts/{eid}/assign", json={"ambassador": "amb3"}).raise_for_status()
        card = f"#escorts .escort-card[data-escort='{eid}']"
        _wait(phone, lambda d: d.find_elements("css selector", card))
        assert phone.execute_script("return window.buzzed.length") >= 1
        words = text(phone, card)
        assert "To Lyndale Ave S & W Lake St" in words and "From Walker Library" in words and "2 people" in words
        assert "two students, one on crutches" in words and "min (" in text(phone, f"{card} .route")
        shot(phone, "escort-1-assigned")
        for step in ("accepted", "en route", "under way"):
            tap(phone, f"{card} .esc-next")
            _wait(phone, lambda d, s=step: api.get(f"/api/escorts/{eid}").json()["escort"]["step"] == s)
        _wait(phone, lambda d: text(d, f"{card} .esc-next") == "Arrived: record how it ended")
        assert next(u for u in api.get("/api/ambassadors").json()["units"] if u["name"] == "amb3")["status"] == "busy"
        shot(phone, "escort-2-walking")
        tap(phone, f"{card} .esc-next")
        _wait(phone, lambda d: d.find_element("id", "escort-end-sheet").is_displayed())
        assert text(phone, "#esc-outcomes label.on") == "arrived"
        shot(phone, "escort-3-ended")
        tap(phone, "#esc-end-go")
        _wait(phone, lambda d: api.get(f"/api/escorts/{eid}").json()["escort"]["status"] == "done")
        _wait(phone, lambda d: not d.find_elements("css selector", card))
        # nothing refused: the phone's queue empties (its badge is redrawn once the answer to the last entry is in,
        # which may come after the server has stored it and the card has gone)
        _wait(phone, lambda d: text(d, "#sync") == "✓ All sent")

        # my day: today's events with what to tell people
        tap(phone, "#tabs [data-tab='day']")
        _wait(phone, lambda d: d.find_element("id", "events-box").is_displayed())
        assert "Library book fair" in text(phone, "#events-list") and "11:00–15:00" in text(phone, "#events-list")
        assert "about 400 people" in text(phone, "#events-list")
        shot(phone, "events")

        # a referral with written materials picked from the district's list
        tap(phone, "#tabs [data-tab='log']")
        _wait(phone, lambda d: d.find_element("id", "materials-box").is_displayed())
        tap(phone, "#materials-box summary")
        tap(phone, "#materials-list li[data-material='demo-shelter-card'] .mat-plus")
        tap(phone, "#materials-list li[data-material='demo-shelter-card'] .mat-plus")
        tap(phone, "#materials-list li[data-material='988-lifeline'] .mat-plus")
        _wait(phone, lambda d: text(d, "#mat-picked") == "(3 picked)")
        phone.execute_script("document.querySelector(\"#materials-list li[data-material='demo-shelter-card']\")"
                             ".scrollIntoView({block: 'center'})")
        shot(phone, "materials")
        tap(phone, ".log-btn[data-type='referral']")
        tap(phone, ".ref-btn[data-referral='shelter']")
        _wait(phone, lambda d: text(d, "#mat-picked") == "")
        # a walk-up escort from where the phone is
        tap(phone, "#tabs [data-tab='now']")
        tap(phone, "#escort-start")
        phone.execute_script("document.getElementById('esc-to').value = 'Walker Library'")
        tap(phone, "#escort-sheet [data-people='2']")
        shot(phone, "escort-4-walk-up")
        tap(phone, "#esc-go")
        _wait(phone, lambda d: len(api.get("/api/escorts?open=true").json()["items"]) == 1)
        walkup = api.get("/api/escorts?open=true").json()["items"][0]
        assert (walkup["unit"], walkup["status"], walkup["people"], walkup["source"]) == ("amb3", "under way", 2,
                                                                                         "walk-up")
        _wait(phone, lambda d: d.find_elements("css selector", f"#escorts .escort-card[data-escort='{walkup['id']}']"))
        api.close()

    rec = Record(db, must_exist=True)
    handed = [(h["material"], h["kind"], h["count"]) for h in rec.handouts()]
    assert handed == [("demo-shelter-card", "shelter", 2), ("988-lifeline", "mental health", 1)]
    ref = [i for i in rec.interactions() if i.type == "referral"]
    assert len(ref) == 1 and ref[0].referral_type == "shelter"
    done = EscortBook(rec).get(eid)
    assert done.provided and done.outcome == "arrived" and done.accepted_at and done.en_route_at
    assert [a.action for a in rec.audit(entity="escort", entity_id=eid)] == ["create", "assign", "step", "step",
                                                                             "step", "finish"]
    rec.close()
