"""The fast lane (single pings, incident creations, rankings, interactions without FastAPI's machinery) answers
exactly what the FastAPI endpoints answer: the same request to the service with and without the lane, over one
state and a stopped clock, gets the same status and body (ids aside); whatever it does not take the plain way
reaches the FastAPI app with its body intact."""

from __future__ import annotations

import asyncio
import json
import warnings
from datetime import UTC, datetime

import pytest

from patrol.planning import plan_day
from patrol.service.app import build_state, create_app
from patrol.service.config import ServiceConfig
from patrol.service.lanes import FastLane
from patrol.service.security import HEADERS

with warnings.catch_warnings():  # starlette's TestClient warns about httpx at import
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

#: Tuesday 2026-06-02 14:00 in Minneapolis (CDT, UTC-5): inside the shift.
NOW = datetime(2026, 6, 2, 19, 0, tzinfo=UTC)
PHONES = {"lead": (44.9470, -93.3000), "amb2": (44.9500, -93.2880), "amb3": (44.9485, -93.2950),
          "amb4": (44.9490, -93.2850), "amb5": (44.9510, -93.2990), "amb6": (44.9480, -93.2900),
          "amb7": (44.9470, -93.2830), "amb8": (44.9500, -93.3030)}


@pytest.fixture(scope="module")
def apps(uptown, tmp_path_factory):
    """(with the lane, without it, keys by role, the state): two apps over one state whose clock stands still."""
    d = tmp_path_factory.mktemp("lanes")
    plan = d / "plan.json"
    plan.write_text(json.dumps(plan_day(uptown, "tue", seed=0).to_dict()))
    config = ServiceConfig(db_path=str(d / "record.db"), plan_path=str(plan))
    st = build_state(config)
    st.desk.clock = st.record.clock = lambda: NOW
    keys = {"dispatcher": st.keys.create("dispatcher", name="desk")[0],
            "viewer": st.keys.create("viewer", name="screen")[0],
            "amb3": st.keys.create("ambassador", name="phone 3", ambassador="amb3")[0]}
    fast, plain = create_app(config, service_state=st), create_app(config, service_state=st, fast_lane=False)
    # no lifespan (TestClient without `with`): the two apps share one record, which the first to end would close
    fast_client, plain_client = TestClient(fast), TestClient(plain)
    for name, (lat, lon) in PHONES.items():
        plain_client.post(f"/api/ambassadors/{name}/pings", json={"lat": lat, "lon": lon},
                          headers={"X-API-Key": keys["dispatcher"]}).raise_for_status()
    yield fast_client, plain_client, keys, st
    st.record.close()
    st.keys.close()


def without_ids(value):
    """An answer with the record's ids (which differ between two creations) left out."""
    if isinstance(value, dict):
        return {k: without_ids(v) for k, v in value.items() if k not in ("id", "incident_id", "ping_id")}
    if isinstance(value, list):
        return [without_ids(v) for v in value]
    return value


def both(apps, path: str, *, body=None, content: bytes | None = None, headers: dict | None = None):
    fast, plain = apps[0], apps[1]
    kw = {"content": content} if content is not None else {"json": body}
    return fast.post(path, headers=headers or {}, **kw), plain.post(path, headers=headers or {}, **kw)


def same(a, b) -> dict:
    assert a.status_code == b.status_code, (a.status_code, b.status_code, a.text[:300], b.text[:300])
    assert a.headers["content-type"] == b.headers["content-type"] == "application/json"
    for name, value in HEADERS.items():  # the security headers on both paths
        assert a.headers[name] == b.headers[name] == value
    assert a.headers["cache-control"] == b.headers["cache-control"] == "no-store"
    assert without_ids(a.json()) == without_ids(b.json())
    return a.json()


def test_a_ranking_is_the_same_on_both_paths(apps):
    key = {"X-API-Key": apps[2]["viewer"]}
    for place in ("Lake & Hennepin", "Lagoon & Girard", "W Lake St & Fremont Ave S", "44.9490,-93.2900"):
        got = same(*both(apps, "/api/rank", body={"location": place}, headers=key))
        ranked = [c for c in got["candidates"] if c.get("rank")]
        assert len(ranked) == 8 and all(c["position_source"] == "ping" for c in ranked)
        assert sum(c["route"] is not None for c in ranked) >= 3  # the best three with their route


def test_an_incident_created_on_either_path_is_stored_the_same(apps):
    keys, st = apps[2], apps[3]
    body = {"location": "Lake & Girard", "type": "disturbance", "source": "camera", "priority": "high",
            "notes": "two people arguing"}
    a, b = both(apps, "/api/incidents", body=body, headers={"X-API-Key": keys["dispatcher"]})
    got = same(a, b)
    assert a.status_code == 201 and got["ranking"]["candidates"][0]["rank"] == 1
    ids = a.json()["incident"]["id"], b.json()["incident"]["id"]
    stored = [st.record.get_incident(i) for i in ids]
    assert {i.location_text for i in stored} == {"Lake & Girard"} and {i.priority for i in stored} == {"high"}
    assert stored[0].block == stored[1].block and stored[0].received_at == stored[1].received_at
    assert stored[0].received_at == "2026-06-02T19:00:00.000Z"  # the clock stood still


def test_a_ping_is_stored_the_same_on_both_paths(apps):
    keys, st = apps[2], apps[3]
    a, b = both(apps, "/api/ambassadors/amb3/pings", body={"lat": 44.9486, "lon": -93.2951, "accuracy_m": 8},
                headers={"X-API-Key": keys["amb3"]})
    got = same(a, b)
    assert a.status_code == 201 and got["ambassador"] == "amb3" and got["snapped"]
    rows = {q.id: q for q in st.record.pings(ambassador="amb3", limit=100)}
    for r in (a, b):
        q = rows[r.json()["id"]]
        assert (q.lat, q.lon, q.accuracy_m) == (44.9486, -93.2951, 8) and q.actor.endswith(":ambassador:phone 3")


def test_an_interaction_is_logged_the_same_on_both_paths(apps):
    keys, st = apps[2], apps[3]
    body = {"type": "business check-in", "business": "Magers & Quinn", "lat": 44.9486, "lon": -93.2951,
            "notes": "all quiet"}
    a, b = both(apps, "/api/ambassadors/amb3/interactions", body=body, headers={"X-API-Key": keys["amb3"]})
    got = same(a, b)
    assert a.status_code == 201 and got["type"] == "business check-in" and got["ambassador"] == "amb3"
    rows = {i.id: i for i in st.record.interactions(ambassador="amb3", limit=100)}
    for r in (a, b):
        i = rows[r.json()["id"]]
        assert (i.business, i.notes, i.at) == ("Magers & Quinn", "all quiet", "2026-06-02T19:00:00.000Z")
        assert i.block is not None and i.actor.endswith(":ambassador:phone 3")  # snapped onto the streets


@pytest.mark.parametrize("case", [
    "no key", "unknown key", "viewer creates", "other ambassador", "unknown ambassador", "null island",
    "latitude out of range", "unknown place", "place off the streets", "received long ago", "malformed JSON",
    "extra field", "form body", "name too long", "interaction for another", "interaction of no type",
    "interaction on an unknown incident", "interaction long ago",
])
def test_a_refusal_is_the_same_on_both_paths(apps, case):
    """Every refusal of the four endpoints: the same status and body whether the lane or FastAPI answers."""
    keys = apps[2]
    dispatcher = {"X-API-Key": keys["dispatcher"]}
    ping = {"lat": 44.9486, "lon": -93.2951}
    incident = {"location": "Lake & Girard", "type": "disturbance"}
    path, body, headers, content, status = {
        "no key": ("/api/rank", {"location": "Lake & Girard"}, {}, None, 401),
        "unknown key": ("/api/rank", {"location": "Lake & Girard"}, {"X-API-Key": "patrol_x_y"}, None, 401),
        "viewer creates": ("/api/incidents", incident, {"X-API-Key": keys["viewer"]}, None, 403),
        "other ambassador": ("/api/ambassadors/amb2/pings", ping, {"X-API-Key": keys["amb3"]}, None, 403),
        "unknown ambassador": ("/api/ambassadors/amb99/pings", ping, dispatcher, None, 404),
        "null island": ("/api/ambassadors/amb2/pings", {"lat": 0.0, "lon": 0.0}, dispatcher, None, 422),
        "latitude out of range": ("/api/ambassadors/amb2/pings", {"lat": 91, "lon": 0}, dispatcher, None, 422),
        "unknown place": ("/api/incidents", {**incident, "location": "Nowhere & Nothing"}, dispatcher, None, None),
        "place off the streets": ("/api/rank", {"location": "44.98,-93.27"}, dispatcher, None, None),
        "received long ago": ("/api/incidents", {**incident, "received_at": "2020-01-01T00:00:00Z"}, dispatcher,
                              None, 422),
        "malformed JSON": ("/api/rank", None, {**dispatcher, "Content-Type": "application/json"}, b'{"location": ',
                           422),
        "extra field": ("/api/rank", {"location": "Lake & Girard", "radius": 5}, dispatcher, None, 422),
        "form body": ("/api/rank", None, {**dispatcher, "Content-Type": "application/x-www-form-urlencoded"},
                      b"location=Lake", 422),
        "name too long": ("/api/ambassadors/" + "a" * 101 + "/pings", ping, dispatcher, None, 422),
        "interaction for another": ("/api/ambassadors/amb2/interactions", {"type": "other"},
                                    {"X-API-Key": keys["amb3"]}, None, 403),
        "interaction of no type": ("/api/ambassadors/amb3/interactions", {"type": "picnic"},
                                   {"X-API-Key": keys["amb3"]}, None, 422),
        "interaction on an unknown incident": ("/api/ambassadors/amb3/interactions",
                                               {"type": "other", "incident_id": 999_999},
                                               {"X-API-Key": keys["amb3"]}, None, 404),
        "interaction long ago": ("/api/ambassadors/amb3/interactions", {"type": "other", "at": "2020-01-01T00:00:00Z"},
                                 {"X-API-Key": keys["amb3"]}, None, 422),
    }[case]
    a, b = both(apps, path, body=body, content=content, headers=headers)
    got = same(a, b)
    assert a.status_code >= 400 and set(got) == {"error"} and got["error"]["message"]
    if status is not None:
        assert a.status_code == status


def test_an_idempotency_key_is_honoured_on_the_app_with_the_lane(apps):
    fast, keys, st = apps[0], apps[2], apps[3]
    headers = {"X-API-Key": keys["dispatcher"], "Idempotency-Key": "lane-test-1"}
    body = {"location": "Lake & Lyndale", "type": "mental health", "source": "phone"}
    first = fast.post("/api/incidents", json=body, headers=headers)
    again = fast.post("/api/incidents", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.headers.get("idempotent-replayed") == "true" and again.json() == first.json()
    assert sum(i.location_text == "Lake & Lyndale" for i in st.record.list_incidents(limit=500)) == 1


# ------------------------------------------------------------------ the lane alone, in front of a recording app

class Behind:
    """An ASGI app recording what reaches it (the body read whole) and answering 299."""

    def __init__(self):
        self.calls: list[tuple[str, bytes]] = []

    async def __call__(self, scope, receive, send):
        body = b""
        while True:
            m = await receive()
            body += m.get("body", b"")
            if not m.get("more_body"):
                break
        self.calls.append((scope["path"], body))
        await send({"type": "http.response.start", "status": 299, "headers": []})
        await send({"type": "http.response.body", "body": b""})


def call(app, path: str, chunks: list[bytes], headers: list[tuple[bytes, bytes]]) -> int:
    messages = [{"type": "http.request", "body": c, "more_body": i < len(chunks) - 1} for i, c in enumerate(chunks)]
    status = []

    async def receive():
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(m):
        if m["type"] == "http.response.start":
            status.append(m["status"])

    scope = {"type": "http", "method": "POST", "path": path, "headers": headers, "query_string": b""}
    asyncio.run(app(scope, receive, send))
    return status[0]


def test_the_lane_answers_the_plain_way_and_hands_on_the_rest_with_its_body(apps):
    st, keys = apps[3], apps[2]
    behind = Behind()
    lane = FastLane(behind, st)
    key = (b"x-api-key", keys["dispatcher"].encode())
    json_type = (b"content-type", b"application/json; charset=utf-8")
    # the plain way, the body in two pieces: answered by the lane, nothing reaches the app behind
    assert call(lane, "/api/rank", [b'{"location": "Lake', b' & Hennepin"}'], [key, json_type]) == 200
    assert behind.calls == []
    # an idempotency key, another content type, a missing key, a body the model refuses, another path or
    # method: the app behind gets the request with its whole body
    cases = [("/api/incidents", [b'{"location": "Lake & Girard", "type": "mental health"}'],
              [key, json_type, (b"idempotency-key", b"k1")]),
             ("/api/rank", [b"location=Lake"], [key, (b"content-type", b"text/plain")]),
             ("/api/rank", [b'{"location": "Lake & Hennepin"}'], [json_type]),
             ("/api/rank", [b'{"location": ', b'"Lake & Hennepin", "x": 1}'], [key, json_type]),
             ("/api/ranking", [b'{"location": "Lake & Hennepin"}'], [key, json_type])]
    for path, chunks, headers in cases:
        assert call(lane, path, chunks, headers) == 299
        assert behind.calls[-1] == (path, b"".join(chunks))
    assert len(behind.calls) == len(cases)
