"""Special events: checked, stored, listed, removed (never deleted) and resolved to blocks (checked against the graph
with networkx); what the planner reads (:func:`patrol.events.events_on`) and the route sheets' block."""

from __future__ import annotations

import sqlite3
from datetime import date

import networkx as nx
import pytest

from patrol.dispatch import Record
from patrol.dispatch.clock import parse_time
from patrol.errors import GeocodeError, InputError, NotFoundError, RecordError
from patrol.events import EventBook, event_time, events_on, new_event, resolve_place

TZ = "America/Chicago"
CORNER = "Hennepin Ave S & W Lagoon Ave"


def _node(uptown, label: str) -> int:
    loc = uptown.geocode(label)
    assert loc.node is not None
    return loc.node


def test_a_place_is_resolved_to_the_blocks_around_it(uptown):
    node = _node(uptown, CORNER)
    meeting = sorted(d["block"] for _, _, d in uptown.graph.edges(node, data=True))
    blocks, anchor, matched, _, _ = resolve_place(uptown, CORNER)
    assert sorted(blocks) == meeting and blocks[0] == anchor[0] and matched == CORNER
    # with a radius: every block with an end within that walk of the corner (networkx from the corner node)
    radius = 150.0
    near = nx.single_source_dijkstra_path_length(uptown.graph, node, cutoff=radius + 1e-6, weight="length")
    want = sorted({d["block"] for u, v, d in uptown.graph.edges(data=True) if u in near or v in near})
    blocks, *_ = resolve_place(uptown, CORNER, radius_m=radius)
    assert sorted(blocks) == want and len(want) > len(meeting)
    # a point in the middle of a block: that block only
    a = uptown.arrays
    lat, lon = uptown.geocoder.point_on_block(96, float(a.edge_length[96]) / 2)
    assert resolve_place(uptown, f"{lat},{lon}")[0] == (96,)
    # listed blocks: kept in order, without repeats, the anchor in the middle of the first
    blocks, anchor, matched, *_ = resolve_place(uptown, None, [17, 16, 17])
    assert blocks == (17, 16) and anchor == (17, pytest.approx(float(a.edge_length[17]) / 2)) and matched is None
    for bad, field in (({"place": None, "blocks": None}, "place"), ({"place": CORNER, "blocks": [1]}, "place"),
                       ({"place": None, "blocks": [a.n_edges]}, "blocks"), ({"place": CORNER, "radius_m": -1},
                                                                             "radius_m")):
        with pytest.raises(InputError) as exc:
            resolve_place(uptown, **bad)
        assert exc.value.field == field
    with pytest.raises(GeocodeError):
        resolve_place(uptown, "Nowhere St & Nothing Ave")


def test_times_and_checks(uptown):
    assert event_time("2026-06-06 12:00", TZ) == parse_time("2026-06-06T17:00:00Z")  # CDT, UTC-5
    assert event_time("2026-12-05T12:00", TZ) == parse_time("2026-12-05T18:00:00Z")  # CST, UTC-6
    assert event_time("2026-06-06T17:00:00Z", TZ) == parse_time("2026-06-06T17:00:00Z")
    assert event_time("18:30", TZ, on="2026-06-06") == parse_time("2026-06-06T23:30:00Z")
    with pytest.raises(InputError):
        event_time("18:30", TZ)
    ev = new_event(uptown, name=" Art fair ", place=CORNER, start="2026-06-06 12:00", end="17:00", crowd=800,
                   info="Free water at the library", ambassadors=2, presence="Loop", before_min=30, after_min=45)
    assert (ev.name, ev.presence.mode, ev.presence.ambassadors, ev.crowd) == ("Art fair", "loop", 2, 800)
    assert ev.window_min("2026-06-06", TZ) == (690.0, 1065.0)             # 11:30-17:45: set-up to dispersal
    assert ev.window_min("2026-06-06", TZ, presence=False) == (720.0, 1020.0)
    assert ev.window_min("2026-06-07", TZ) is None
    late = new_event(uptown, name="Late show", place=CORNER, start="2026-06-06 22:00", end="2026-06-07 01:30")
    assert late.window_min(date(2026, 6, 6), TZ) == (1320.0, 1440.0)
    assert late.window_min(date(2026, 6, 7), TZ) == (0.0, 90.0)
    for kw, field in (({"end": "11:00"}, "end"), ({"end": "2026-06-08 12:00"}, "end"), ({"ambassadors": 0},
                      "ambassadors"), ({"presence": "stand"}, "presence"), ({"crowd": -5}, "crowd"),
                      ({"name": " "}, "name"), ({"before_min": 500}, "before_min")):
        args = {"name": "x", "place": CORNER, "start": "2026-06-06 12:00", "end": "17:00", **kw}
        with pytest.raises(InputError) as exc:
            new_event(uptown, **args)
        assert exc.value.field == field, kw


def test_stored_listed_removed_and_read_by_the_planner(uptown, tmp_path):
    db = tmp_path / "record.db"
    rec = Record(db, actor="test")
    book = EventBook(rec, uptown)
    fair = book.add(new_event(uptown, name="Art fair", place=CORNER, start="2026-06-06 12:00", end="17:00",
                              radius_m=120, ambassadors=2, presence="loop", info="Maps at the library"),
                    at="2026-06-01T15:00:00Z")
    talk = book.add(new_event(uptown, name="Library talk", place="Walker Library", start="2026-06-06 18:00",
                              end="19:00", crowd=60), at="2026-06-01T15:01:00Z")
    other_day = book.add(new_event(uptown, name="Market", blocks=[17, 16], start="2026-06-09 10:00", end="14:00"))
    assert fair.id and talk.id and other_day.id and fair.created_by == "test"
    assert [e.id for e in book.find()] == [fair.id, talk.id, other_day.id]
    assert [e.id for e in book.on("2026-06-06")] == [fair.id, talk.id]
    assert book.get(other_day.id).blocks == (17, 16)
    # the planner's call, from the record or its file (read only), with the blocks resolved on the district
    for source in (rec, db, str(db)):
        got = events_on(uptown, source, "2026-06-06")
        assert [e.name for e in got] == ["Art fair", "Library talk"]
        assert got[0].blocks == resolve_place(uptown, CORNER, radius_m=120)[0]
        assert got[0].window_min("2026-06-06", TZ) == (720.0, 1020.0) and got[0].presence.mode == "loop"
    # removed: out of the planner's list, still in the record; removed only once; never deleted
    gone = book.remove(talk.id, note="cancelled by the library", actor="lead")
    assert gone.removed_by == "lead" and gone.removed_at is not None
    assert [e.name for e in events_on(uptown, db, "2026-06-06")] == ["Art fair"]
    assert [e.id for e in book.find(include_removed=True)] == [fair.id, talk.id, other_day.id]
    with pytest.raises(RecordError, match="already removed"):
        book.remove(talk.id)
    with pytest.raises(NotFoundError):
        book.remove(999)
    with pytest.raises(sqlite3.DatabaseError, match="nothing is deleted"):
        rec._conn.execute("DELETE FROM events")
    with pytest.raises(sqlite3.DatabaseError, match="never changed"):
        rec._conn.execute("UPDATE events SET name='x'")
    assert [a.action for a in rec.audit(entity="event", entity_id=talk.id)] == ["create", "remove"]
    rec.close()
    # another district's events are its own; a record from before events has none; a missing file is an error
    assert events_on(uptown, db, "2026-06-09")[0].name == "Market"
    old = tmp_path / "old.db"
    sqlite3.connect(old).execute("CREATE TABLE incidents (id INTEGER)").connection.commit()
    assert events_on(uptown, old, "2026-06-06") == []
    with pytest.raises(InputError):
        events_on(uptown, tmp_path / "missing.db", "2026-06-06")
