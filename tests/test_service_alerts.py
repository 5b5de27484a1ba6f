"""SOS, overdue alerts and messages over HTTP, in process, on a clock the test moves (never real waiting): who may
do what, an SOS never refused, backup sent as an assignment, alerts at their minute and once, messages to those
within a walking distance (networkx reference), the phone's poll."""

from __future__ import annotations

import warnings
from datetime import timedelta

import pytest
from network_reference import nx_point_distance

from patrol.dispatch.clock import iso, parse_time
from patrol.service import ServiceConfig
from patrol.service.app import build_state, create_app

with warnings.catch_warnings():  # starlette's TestClient warns about httpx at import
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

T0 = parse_time("2026-06-02T16:20:00Z")  # a Tuesday, 11:20 in Minneapolis: inside the shift
PLACES = {"amb2": (44.9485, -93.2880), "amb3": (44.94836, -93.29700), "amb4": (44.9470, -93.3000),
          "amb5": (44.9500, -93.2935)}


class Clock:
    """The service's clock, moved by the test."""

    def __init__(self, t):
        self.t = t

    def __call__(self):
        return self.t

    def move(self, **kw) -> None:
        self.t += timedelta(**kw)


@pytest.fixture
def service(tmp_path):
    clock = Clock(T0)
    cfg = ServiceConfig(db_path=str(tmp_path / "r.db"))
    st = build_state(cfg)
    st.record.clock = clock
    st.desk.clock = clock
    app = create_app(cfg, service_state=st)
    keys = {n: st.keys.create("ambassador", name=f"phone {n}", ambassador=n)[0] for n in PLACES}
    keys["desk"] = st.keys.create("dispatcher", name="desk 1")[0]
    keys["viewer"] = st.keys.create("viewer", name="wall")[0]
    with TestClient(app) as client:
        yield client, {k: {"X-API-Key": v} for k, v in keys.items()}, clock, st


def _on_shift(client, h, names=PLACES, others_off=True):
    for n in names:
        client.post(f"/api/ambassadors/{n}/duty", json={"status": "on shift"}, headers=h[n]).raise_for_status()
        lat, lon = PLACES[n]
        client.post(f"/api/ambassadors/{n}/pings", json={"lat": lat, "lon": lon}, headers=h[n]).raise_for_status()
    if others_off:
        for n in ("lead", "amb6", "amb7", "amb8"):
            client.post(f"/api/ambassadors/{n}/duty", json={"status": "off duty"}, headers=h["desk"]).raise_for_status()


def test_who_may_do_what(service):
    client, h, _, _ = service
    _on_shift(client, h)
    sos = client.post("/api/ambassadors/amb3/sos", json={}, headers=h["amb3"])
    assert sos.status_code == 201
    aid = sos.json()["alert"]["id"]
    msg = {"text": "hi", "to": "all on duty"}
    # an ambassador: its own SOS, "I'm OK" and acknowledgements; never another's, never the desk's part
    assert client.post("/api/ambassadors/amb2/sos", json={}, headers=h["amb3"]).status_code == 403
    assert client.post("/api/ambassadors/amb2/checks", json={}, headers=h["amb3"]).status_code == 403
    for path, body in ((f"/api/alerts/{aid}/acknowledge", {}), (f"/api/alerts/{aid}/resolve", {}),
                       (f"/api/alerts/{aid}/actions", {"action": "note"}), ("/api/messages", msg)):
        for who in ("amb3", "amb2", "viewer"):
            r = client.post(path, json=body, headers=h[who])
            assert r.status_code == 403, (path, who, r.text)
    assert client.get("/api/alerts", headers=h["amb3"]).status_code == 403
    assert client.get("/api/messages", headers=h["amb3"]).status_code == 403
    # a viewer reads
    assert client.get("/api/alerts", headers=h["viewer"]).json()["alerts"][0]["id"] == aid
    assert client.get(f"/api/alerts/{aid}", headers=h["viewer"]).status_code == 200
    assert client.get("/api/messages", headers=h["viewer"]).status_code == 200
    assert client.post("/api/ambassadors/amb3/sos", json={}, headers=h["viewer"]).status_code == 403
    # a message to amb2 is acknowledged by amb2 only
    m = client.post("/api/messages", json={"text": "to you", "to": "one", "ambassador": "amb2"},
                    headers=h["desk"]).json()
    assert client.post(f"/api/ambassadors/amb3/messages/{m['id']}/ack", json={}, headers=h["amb3"]).status_code == 404
    assert client.post(f"/api/ambassadors/amb2/messages/{m['id']}/ack", json={}, headers=h["amb3"]).status_code == 403
    assert client.post(f"/api/ambassadors/amb2/messages/{m['id']}/ack", json={}, headers=h["amb2"]).status_code == 200
    # nothing was recorded by the refused requests
    assert client.get(f"/api/alerts/{aid}", headers=h["desk"]).json()["acknowledged_at"] is None
    assert len(client.get("/api/messages", headers=h["desk"]).json()["items"]) == 1


def test_an_sos_is_never_refused_for_its_position_or_time(service):
    client, h, clock, _ = service
    _on_shift(client, h)
    # a fix at 0,0 and a phone clock two days ahead: the record's last position and the time received are used
    r = client.post("/api/ambassadors/amb3/sos", json={"lat": 0.0, "lon": 0.0, "at": iso(T0 + timedelta(days=2))},
                    headers=h["amb3"])
    assert r.status_code == 201, r.text
    a = r.json()["alert"]
    assert a["raised_at"] == iso(T0) and a["position_source"] == "ping"
    assert (a["lat"], a["lon"]) == pytest.approx(PLACES["amb3"], abs=1e-6)
    assert len(a["detail"]["problems"]) == 2 and "not used" in a["detail"]["problems"][0]
    # no position at all (an ambassador never seen): recorded, said so, no ranking
    r = client.post("/api/ambassadors/amb8/sos", json={}, headers=h["desk"])  # relayed by radio
    assert r.status_code == 201 and r.json()["alert"]["lat"] is None
    view = client.get(f"/api/alerts/{r.json()['alert']['id']}", headers=h["desk"]).json()
    assert view["where"] == "position unknown" and view["ranking"] is None
    # the phone's queue retries with the same key: one SOS
    key = {"Idempotency-Key": "sos-1"}
    first = client.post("/api/ambassadors/amb2/sos", json={"at": iso(T0)}, headers={**h["amb2"], **key})
    clock.move(seconds=30)
    again = client.post("/api/ambassadors/amb2/sos", json={"at": iso(T0)}, headers={**h["amb2"], **key})
    assert again.headers.get("Idempotent-Replayed") == "true" and again.json() == first.json()
    assert len([x for x in client.get("/api/alerts", headers=h["desk"]).json()["alerts"] if x["unit"] == "amb2"]) == 1


def test_backup_for_an_sos_is_an_assignment(service, uptown):
    client, h, clock, _ = service
    _on_shift(client, h)
    lat, lon = PLACES["amb3"]
    a = client.post("/api/ambassadors/amb3/sos", json={"lat": lat, "lon": lon, "accuracy_m": 8},
                    headers=h["amb3"]).json()["alert"]
    view = client.get("/api/alerts", headers=h["desk"]).json()["alerts"][0]
    ranked = [c["ambassador"] for c in view["ranking"]["candidates"] if c["rank"]]
    # the order by walking distance from the SOS point (networkx), the one who pressed it left out
    walk = {}
    for n in ("amb2", "amb4", "amb5"):
        loc = uptown.geocoder.snap(*PLACES[n])
        walk[n] = nx_point_distance(uptown.graph, (a["block"], a["offset_m"]), (loc.block, loc.offset_m))
    assert ranked == sorted(walk, key=walk.get)
    assert sum(1 for c in view["ranking"]["candidates"] if c["route"]) == 3
    assert client.post(f"/api/alerts/{a['id']}/actions", json={"action": "backup sent", "ambassador": "amb3"},
                       headers=h["desk"]).status_code == 422  # not their own backup
    clock.move(seconds=40)
    r = client.post(f"/api/alerts/{a['id']}/actions", json={"action": "backup sent", "ambassador": ranked[0]},
                    headers=h["desk"])
    assert r.status_code == 201, r.text
    out = r.json()
    assert out["alert"]["acknowledged_at"] == iso(T0 + timedelta(seconds=40))  # a step acknowledges
    iid = out["actions"][0]["incident_id"]
    detail = client.get(f"/api/incidents/{iid}", headers=h["desk"]).json()
    assert detail["incident"]["priority"] == "urgent" and detail["incident"]["status"] == "on scene"
    assert "SOS from amb3" in detail["incident"]["notes"] and detail["incident"]["matched"] == \
        view["where"][0].upper() + view["where"][1:]  # in words: "At Girard Ave S & W Lake St"
    assert [(x["ambassador"], x["arrived_at"] is not None) for x in detail["assignments"]] == [("amb3", True),
                                                                                             (ranked[0], False)]
    mine = client.get(f"/api/ambassadors/{ranked[0]}/now", headers=h[ranked[0]]).json()["assignments"]
    assert [x["incident"]["id"] for x in mine] == [iid] and mine[0]["route"] is not None
    # a second unit joins the same incident; the ranking keeps the sent unit with its route
    client.post(f"/api/alerts/{a['id']}/actions", json={"action": "backup sent", "ambassador": ranked[1]},
                headers=h["desk"]).raise_for_status()
    assert len(client.get(f"/api/incidents/{iid}", headers=h["desk"]).json()["assignments"]) == 3
    view = client.get(f"/api/alerts/{a['id']}", headers=h["desk"]).json()
    assert view["sent"] == sorted(ranked[:2]) and view["incident_id"] == iid
    phone = client.get("/api/ambassadors/amb3/now", headers=h["amb3"]).json()["sos"]
    assert phone[0]["backup"] == ranked[:2] and phone[0]["acknowledged_by"] == "desk 1"
    client.post(f"/api/alerts/{a['id']}/resolve", json={"note": "all safe"}, headers=h["desk"]).raise_for_status()
    assert client.post(f"/api/alerts/{a['id']}/actions", json={"action": "note"},
                       headers=h["desk"]).status_code == 409


def test_overdue_alerts_at_their_minute_and_once(service, uptown):
    client, h, clock, st = service
    rules = uptown.settings.alerts
    _on_shift(client, h, names=["amb3"])
    iid = client.post("/api/incidents", json={"location": "Lake & Hennepin", "type": "disturbance"},
                      headers=h["desk"]).json()["incident"]["id"]
    client.post(f"/api/incidents/{iid}/assign", json={"ambassador": "amb3"}, headers=h["desk"]).raise_for_status()
    client.post(f"/api/ambassadors/amb3/assignments/{iid}/status", json={"status": "on scene"},
                headers=h["amb3"]).raise_for_status()
    asked = T0 + timedelta(minutes=rules.checkin_after_min)
    due = asked + timedelta(minutes=rules.checkin_answer_min)

    def ping():  # the phone pings every minute: only the question goes unanswered
        client.post("/api/ambassadors/amb3/pings", json={"lat": 44.94836, "lon": -93.29828}, headers=h["amb3"])

    def alerts():
        return [a for a in client.get("/api/alerts", headers=h["desk"]).json()["alerts"] if a["unit"] == "amb3"]

    while clock.t + timedelta(minutes=1) < due:
        clock.move(minutes=1)
        ping()
        assert alerts() == []
        checks = client.get("/api/ambassadors/amb3/now", headers=h["amb3"]).json()["checks"]
        assert checks[0]["asking"] == (clock.t >= asked)
    clock.t = due - timedelta(milliseconds=1)
    assert alerts() == []
    clock.t = due
    [a] = alerts()
    assert (a["kind"], a["raised_at"], a["incident_id"]) == ("check-in overdue", iso(due), iid)
    assert "has not answered" in a["title"] and a["since"] is None
    for _ in range(3):  # polled again and again: recorded once
        clock.move(seconds=5)
        assert [x["id"] for x in alerts()] == [a["id"]]
    assert st.record.query("SELECT count(*) AS n FROM alerts")[0]["n"] == 1
    # "I'm OK" later: shown with the alert; the next round starts from it
    client.post("/api/ambassadors/amb3/checks", json={"incident_id": iid}, headers=h["amb3"]).raise_for_status()
    answered = clock.t
    assert alerts()[0]["since"]["what"] == "answered \"I'm OK\""
    client.post(f"/api/alerts/{a['id']}/resolve", json={}, headers=h["desk"]).raise_for_status()
    assert alerts() == []
    # silence: no ping, nothing at all, for no_ping_min after the answer (the last sign)
    clock.t = answered + timedelta(minutes=rules.no_ping_min)
    got = alerts()
    assert [(x["kind"], x["raised_at"]) for x in got] == [("no ping", iso(answered + timedelta(
        minutes=rules.no_ping_min)))]
    assert got[0]["detail"]["last_sign"]["what"] == "answered \"I'm OK\""
    assert f"No ping from amb3 for {rules.no_ping_min:g} min" in got[0]["title"]


def test_messages_to_one_all_and_those_near(service, uptown):
    client, h, clock, _ = service
    _on_shift(client, h)
    client.post("/api/ambassadors/amb5/duty", json={"status": "on break"}, headers=h["amb5"]).raise_for_status()
    send = lambda body: client.post("/api/messages", json=body, headers=h["desk"])  # noqa: E731
    everyone = send({"text": "Event at the Lagoon at 14:00", "to": "all on duty"})
    assert everyone.status_code == 201
    assert [r["ambassador"] for r in everyone.json()["recipients"]] == ["amb2", "amb3", "amb4", "amb5"]
    # near: the units not off duty within 300 m on foot of Lake & Hennepin (networkx walking distances)
    point = uptown.geocode("Lake & Hennepin")
    walk = {n: nx_point_distance(uptown.graph, (point.block, point.offset_m),
                                 (uptown.geocoder.snap(*PLACES[n]).block, uptown.geocoder.snap(*PLACES[n]).offset_m))
            for n in PLACES}
    r = send({"text": "Suspect: red jacket", "to": "near", "location": "Lake & Hennepin", "radius_m": 300})
    assert r.status_code == 201, r.text
    got = {x["ambassador"]: x["distance_m"] for x in r.json()["recipients"]}
    assert set(got) == {n for n, d in walk.items() if d <= 300} and got
    assert all(got[n] == pytest.approx(walk[n], abs=0.5) for n in got)
    far = send({"text": "x", "to": "near", "location": "Lake & Hennepin", "radius_m": 25})
    assert far.status_code == 422 and "nobody on duty is within 25 m" in far.json()["error"]["message"]
    assert send({"text": "x", "to": "near"}).status_code == 422
    assert send({"text": "x", "to": "one"}).status_code == 422
    assert send({"text": "x", "to": "one", "ambassador": "nobody"}).status_code == 404
    assert send({"text": "", "to": "all on duty"}).status_code == 422
    # the phone: unacknowledged messages, newest first; acknowledged once
    clock.move(seconds=20)
    for n in PLACES:
        mine = client.get(f"/api/ambassadors/{n}/now", headers=h[n]).json()["messages"]
        expected = (["Suspect: red jacket"] if n in got else []) + ["Event at the Lagoon at 14:00"]
        assert [m["text"] for m in mine] == expected and all(m["acknowledged_at"] is None for m in mine)
    mid = everyone.json()["id"]
    ack = client.post(f"/api/ambassadors/amb2/messages/{mid}/ack", json={}, headers=h["amb2"]).json()["recipient"]
    assert ack["acknowledged_at"] == iso(clock.t)
    clock.move(seconds=20)
    assert client.post(f"/api/ambassadors/amb2/messages/{mid}/ack", json={},
                       headers=h["amb2"]).json()["recipient"] == ack
    listed = client.get(f"/api/messages/{mid}", headers=h["viewer"]).json()
    assert listed["acknowledged"] == 1 and listed["waiting"] == ["amb3", "amb4", "amb5"]
