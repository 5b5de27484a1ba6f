"""The incident record: life cycle, assignments, outcomes, interactions, pings, duty, audit trail."""

from __future__ import annotations

import sqlite3

import pytest

from patrol.dispatch.lifecycle import TRANSITIONS, check_transition, next_statuses
from patrol.dispatch.record import Record, normalize_duty
from patrol.dispatch.schema import SCHEMA_VERSION, TABLES
from patrol.errors import InputError, NotFoundError, RecordError, TransitionError
from patrol.vocab import STATUSES


@pytest.fixture
def rec(tmp_path):
    r = Record(tmp_path / "rec.db", actor="dispatcher:ana")
    yield r
    r.close()


def _new(rec, **kw):
    args = {"type": "disturbance", "source": "phone", "location_text": "Lake & Girard", "at": "2026-06-02T19:00:00Z"}
    args.update(kw)
    return rec.new_incident(**args)


def test_open_sets_wal_full_and_schema(tmp_path):
    path = tmp_path / "r.db"
    rec = Record(path)
    assert rec.schema_version == SCHEMA_VERSION
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("SELECT version FROM schema_version").fetchall() == [(v,) for v in range(1, SCHEMA_VERSION + 1)]
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert set(TABLES) <= tables
    assert rec._query("PRAGMA synchronous")[0][0] == 2  # FULL
    rec.close()
    Record(path).close()  # reopening does not migrate twice
    assert sqlite3.connect(path).execute("SELECT count(*) FROM schema_version").fetchone()[0] == SCHEMA_VERSION
    conn.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    conn.commit()
    with pytest.raises(RecordError):
        Record(path)


def test_full_life_cycle_and_audit(rec):
    inc = _new(rec, priority="high", notes="two people shouting", received_at="2026-06-02T18:59:30Z")
    assert inc.status == "new" and inc.received_at == "2026-06-02T18:59:30.000Z"
    a = rec.assign(inc.id, "amb3", eta_min=3.5, distance_m=294.0, estimated=False, at="2026-06-02T19:01:00Z")
    assert rec.get_incident(inc.id).status == "assigned"
    rec.set_status(inc.id, "en route", at="2026-06-02T19:01:10Z")
    rec.set_status(inc.id, "on scene", at="2026-06-02T19:04:40Z")
    rec.add_outcome(inc.id, actions=["de-escalations", "service referrals"], referrals=["shelter"],
                    at="2026-06-02T19:10:00Z")
    rec.set_status(inc.id, "resolved", at="2026-06-02T19:12:00Z")
    closed = rec.close_incident(inc.id, outcomes=["tensions de-escalated"], at="2026-06-02T19:15:00Z",
                                actor="lead:maya")
    assert closed.status == "closed"
    [asg] = rec.assignments(inc.id)
    assert asg.id == a.id and asg.eta_min == 3.5 and asg.estimated is False
    assert asg.en_route_at == "2026-06-02T19:01:10.000Z" and asg.arrived_at == "2026-06-02T19:04:40.000Z"
    assert asg.cleared_at == "2026-06-02T19:12:00.000Z" and asg.cleared_reason == "resolved"
    hist = [(h.from_status, h.to_status) for h in rec.history(inc.id)]
    assert hist == [(None, "new"), ("new", "assigned"), ("assigned", "en route"), ("en route", "on scene"),
                    ("on scene", "resolved"), ("resolved", "closed")]
    kinds = sorted((o.kind, o.value) for o in rec.outcomes(inc.id))
    assert kinds == [("action", "de-escalations"), ("action", "service referrals"),
                     ("outcome", "tensions de-escalated"), ("referral", "shelter")]
    # the audit trail: every change, who and when
    detail = rec.incident_detail(inc.id)
    actions = [(e["action"], e["entity"]) for e in detail["audit"]]
    assert actions.count(("status", "incident")) == 5  # new->assigned ... resolved->closed
    assert ("create", "incident") in actions and ("assign", "assignment") in actions
    assert actions.count(("create", "outcome")) == 4
    assert actions.count(("update", "assignment")) == 2 and ("clear", "assignment") in actions
    assert {e["actor"] for e in detail["audit"]} == {"dispatcher:ana", "lead:maya"}
    assert all(e["at"].endswith("Z") for e in detail["audit"])
    last = detail["audit"][-1]
    assert last["data"] == {"from": "resolved", "to": "closed", "note": ""} and last["actor"] == "lead:maya"


def test_illegal_transitions_are_refused(rec):
    inc = _new(rec)
    for bad in ("en route", "on scene", "new"):
        with pytest.raises(TransitionError):
            rec.set_status(inc.id, bad)
    with pytest.raises(TransitionError):
        rec.set_status(inc.id, "assigned")  # only through an assignment
    rec.assign(inc.id, "amb2")
    with pytest.raises(TransitionError):
        rec.assign(inc.id, "amb2")  # already on it
    rec.assign(inc.id, "amb4")  # a backup keeps the status
    assert rec.get_incident(inc.id).status == "assigned"
    rec.set_status(inc.id, "on scene")
    with pytest.raises(TransitionError) as err:
        rec.set_status(inc.id, "closed")  # on scene -> resolved first
    assert err.value.to_dict()["error"]["details"]["allowed"] == ["resolved"]
    rec.set_status(inc.id, "resolved")
    rec.set_status(inc.id, "closed")
    for status in STATUSES:
        with pytest.raises(TransitionError):
            rec.set_status(inc.id, status)
    with pytest.raises(TransitionError):
        rec.assign(inc.id, "amb5")
    n_hist = len(rec.history(inc.id))
    assert n_hist == 5  # refused changes left nothing behind
    with pytest.raises(InputError):
        rec.set_status(inc.id, "vanished")


def test_lifecycle_table():
    assert set(TRANSITIONS) == set(STATUSES)
    assert next_statuses("closed") == []
    assert next_statuses("new") == ["assigned", "resolved", "closed"]
    check_transition("assigned", "new")  # unassign
    with pytest.raises(TransitionError):
        check_transition("resolved", "on scene")


def test_unassign_and_cancel(rec):
    inc = _new(rec)
    rec.assign(inc.id, "amb2", at="2026-06-02T19:01:00Z")
    rec.set_status(inc.id, "new", note="amb2 needed elsewhere", at="2026-06-02T19:02:00Z")
    assert rec.assignments(inc.id)[0].cleared_reason == "unassigned"
    assert rec.busy("2026-06-02T19:01:30Z") == {"amb2": inc.id}
    assert rec.busy("2026-06-02T19:03:00Z") == {}
    rec.assign(inc.id, "team1", members=["lead", "amb2"], at="2026-06-02T19:03:00Z")
    assert set(rec.busy("2026-06-02T19:04:00Z")) == {"team1", "lead", "amb2"}
    rec.close_incident(inc.id, note="duplicate of an earlier call", at="2026-06-02T19:05:00Z")
    assert rec.get_incident(inc.id).status == "closed"
    assert rec.list_incidents(open_only=True) == []


def test_validation_and_lookup(rec):
    with pytest.raises(InputError):
        _new(rec, type="alien landing")
    with pytest.raises(InputError):
        _new(rec, source="pigeon")
    with pytest.raises(InputError):
        _new(rec, location_text="  ")
    with pytest.raises(NotFoundError):
        rec.get_incident(99)
    with pytest.raises(NotFoundError):
        rec.set_status(99, "resolved")
    a = _new(rec, type="Sleeping", source="311", at="2026-06-02T19:00:00Z")
    b = _new(rec, type="other", source="walk-up", at="2026-06-02T20:00:00Z")
    assert a.type == "sleeping"
    assert [i.id for i in rec.list_incidents()] == [b.id, a.id]
    assert [i.id for i in rec.list_incidents(since="2026-06-02T19:30:00Z")] == [b.id]
    rec.update_incident(a.id, notes="still there", priority="low")
    assert rec.get_incident(a.id).priority == "low"
    assert rec.audit(entity="incident", entity_id=a.id)[-1].data["priority"] == {"from": "normal", "to": "low"}
    with pytest.raises(InputError):
        rec.add_outcome(a.id, actions=["magic"])


def test_interactions_pings_duty(rec):
    it = rec.log_interaction("amb3", "business check-in", business="Magers & Quinn", at="2026-06-02T16:00:00Z")
    assert it.type == "business check-in"
    rec.log_interaction("amb3", "referral", referral_type="food", at="2026-06-02T16:10:00Z")
    with pytest.raises(InputError):
        rec.log_interaction("amb3", "referral")
    with pytest.raises(InputError):
        rec.log_interaction("amb3", "juggling")
    assert [i.type for i in rec.interactions(ambassador="amb3")] == ["business check-in", "referral"]
    ids = rec.add_pings([{"ambassador": "amb2", "lat": 44.95, "lon": -93.29, "t": f"2026-06-02T19:0{i}:00Z",
                          "block": 4, "offset_m": 10.0 * i} for i in range(5)], actor="device:amb2")
    assert len(ids) == 5
    latest = rec.latest_pings("2026-06-02T19:02:30Z")
    assert latest["amb2"].t == "2026-06-02T19:02:00.000Z" and latest["amb2"].offset_m == 20.0
    assert len(rec.pings(ambassador="amb2", since="2026-06-02T19:01:00Z")) == 4
    ping_audit = rec.audit(entity="ping")
    assert len(ping_audit) == 1 and ping_audit[0].data["count"] == 5 and ping_audit[0].actor == "device:amb2"
    with pytest.raises(InputError):
        rec.add_ping("amb2", 95.0, 0.0)
    rec.set_duty("amb2", "break", at="2026-06-02T18:00:00Z")
    rec.set_duty("amb2", "on-shift", at="2026-06-02T18:30:00Z")
    assert rec.duty_at("2026-06-02T18:10:00Z")["amb2"].status == "on break"
    assert rec.duty_at("2026-06-02T19:00:00Z")["amb2"].status == "on shift"
    assert rec.duty_at("2026-06-02T19:00:00Z", since="2026-06-02T18:45:00Z") == {}
    assert normalize_duty("Off") == "off duty"
    with pytest.raises(InputError):
        normalize_duty("asleep")


def test_nothing_is_deleted_and_audit_is_append_only(rec):
    inc = _new(rec)
    rec.add_ping("amb2", 44.95, -93.29)
    conn = rec._conn
    for sql in ("DELETE FROM audit", "UPDATE audit SET actor='x'", f"DELETE FROM incidents WHERE id={inc.id}",
                "DELETE FROM status_history", "UPDATE status_history SET note='x'", "DELETE FROM pings",
                "UPDATE pings SET lat=0"):
        with pytest.raises(sqlite3.DatabaseError):
            conn.execute(sql)
    assert len(rec.audit()) == 2


def test_shared_between_threads(tmp_path):
    import threading

    rec = Record(tmp_path / "t.db", actor="svc")
    errors = []

    def work(k):
        try:
            for i in range(10):
                rec.new_incident(type="other", source="phone", location_text=f"t{k}-{i}")
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(rec.list_incidents()) == 40 and len(rec.audit()) == 40
    rec.close()


def test_group_commit_isolates_each_writers_failure(tmp_path):
    import threading

    rec = Record(tmp_path / "g.db", actor="svc")
    base = rec.new_incident(type="other", source="phone", location_text="base")
    rec.set_status(base.id, "resolved")
    ok, refused = [], []
    barrier = threading.Barrier(8)

    def work(k):
        barrier.wait()
        for i in range(15):
            if (k + i) % 5 == 0:
                try:
                    rec.set_status(base.id, "on scene")  # illegal: resolved -> on scene
                except Exception as exc:
                    refused.append(exc)
            else:
                ok.append(rec.new_incident(type="other", source="phone", location_text=f"{k}-{i}").id)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(refused) == 24 and all(type(e).__name__ == "TransitionError" for e in refused)
    stored = {i.id for i in rec.list_incidents()}
    assert set(ok) <= stored and len(stored) == len(ok) + 1 == len(set(ok)) + 1
    assert rec.get_incident(base.id).status == "resolved" and len(rec.history(base.id)) == 2
    assert len(rec.audit(entity="incident")) == len(ok) + 2
    rec.close()


def test_response_times_and_read_only_queries(rec):
    a = _new(rec, received_at="2026-06-02T19:00:00Z", at="2026-06-02T19:00:30Z")
    rec.assign(a.id, "amb3", at="2026-06-02T19:01:00Z")
    rec.assign(a.id, "amb5", at="2026-06-02T19:02:00Z")
    rec.set_status(a.id, "on scene", at="2026-06-02T19:05:00Z")
    b = _new(rec, received_at="2026-06-02T19:10:00Z")
    rec.assign(b.id, "amb2", at="2026-06-02T19:11:00Z")  # never arrives
    [row] = rec.response_times(since="2026-06-02T00:00:00Z")
    assert row["incident_id"] == a.id and row["ambassadors"] == ["amb3", "amb5"]
    assert row["assign_to_scene_min"] == pytest.approx(4.0) and row["call_to_scene_min"] == pytest.approx(5.0)
    assert rec.query("SELECT count(*) AS n FROM incidents")[0]["n"] == 2
    with pytest.raises(InputError):
        rec.query("DELETE FROM incidents")
    with pytest.raises(RecordError):
        rec.query("WITH x AS (SELECT 1) INSERT INTO audit(at, actor, action, entity) SELECT 'a','b','c','d' FROM x")
    rec.new_incident(type="other", source="phone", location_text="still writable")


def test_every_row_has_its_audit_entry(rec):
    a = _new(rec)
    b = _new(rec, type="sleeping", source="311")
    rec.assign(a.id, "amb2")
    rec.assign(a.id, "amb3")
    rec.set_status(a.id, "en route")
    rec.set_status(a.id, "on scene")
    rec.close_incident(a.id, outcomes=["resolved"], actions=["calls to 311"])
    rec.update_incident(b.id, notes="caller called back")
    rec.close_incident(b.id, note="gone on arrival")
    rec.log_interaction("amb4", "hazard reported", notes="broken glass")
    rec.set_duty("amb4", "break")
    ping_ids = [r.id for r in rec.add_pings([{"ambassador": "amb5", "lat": 44.95, "lon": -93.29} for _ in range(3)])]
    audited = {(e.entity, e.entity_id) for e in rec.audit()}
    for table, entity in (("incidents", "incident"), ("assignments", "assignment"), ("outcomes", "outcome"),
                          ("interactions", "interaction"), ("duty", "duty")):
        for row in rec.query(f"SELECT id FROM {table}"):
            assert (entity, row["id"]) in audited, (table, row["id"])
    [batch] = rec.audit(entity="ping")
    assert batch.data["ids"] == [ping_ids[0], ping_ids[-1]] and batch.data["count"] == 3
    # one audit row per status change (the first 'new' is the incident's creation)
    history = rec.query("SELECT count(*) AS n FROM status_history WHERE from_status IS NOT NULL")[0]["n"]
    assert history == len(rec.audit(entity="incident")) - 2 - 1  # minus 2 creations, minus 1 notes update
    # assignment stamps (en route, arrival, clearing) are each audited
    stamps = [e for e in rec.audit(entity="assignment") if e.action in ("update", "clear")]
    assert len(stamps) == 2 * 3  # two assignments x (en route, arrived, cleared)


def test_bulk_interactions_are_all_or_nothing(rec):
    rows = [{"ambassador": "amb2", "type": "business check-in", "business": "Walker Library"},
            {"ambassador": "amb3", "type": "referral", "referral_type": "shelter"}]
    bad = [*rows, {"ambassador": "amb4", "type": "no such type"}]
    with pytest.raises(InputError) as info:
        rec.log_interactions(bad)
    assert info.value.details["row"] == 3 and info.value.field == "type"
    assert rec.interactions() == []
    with pytest.raises(NotFoundError):
        rec.log_interactions([*rows, {"ambassador": "amb4", "type": "information sharing", "incident_id": 999}])
    assert rec.interactions() == []
    written = rec.log_interactions(rows)
    assert [i.type for i in rec.interactions()] == ["business check-in", "referral"] == [w.type for w in written]
    audited = [a for a in rec.audit(entity="interaction")]
    assert sorted(a.entity_id for a in audited) == sorted(w.id for w in written)


def test_paging_reads_only_the_page(rec):
    for k in range(7):
        rec.log_interaction("amb2", "information sharing", at=f"2026-06-02T15:0{k}:00Z")
        rec.add_pings([{"ambassador": "amb2", "lat": 44.948, "lon": -93.29, "t": f"2026-06-02T15:0{k}:00Z"}])
    _new(rec)
    _new(rec)
    _new(rec)
    every = rec.interactions()
    assert [i.id for i in rec.interactions(limit=3, offset=2)] == [i.id for i in every[2:5]]
    assert [p.id for p in rec.pings(limit=2, offset=6)] == [p.id for p in rec.pings()[6:8]]
    assert [i.id for i in rec.list_incidents(limit=2, offset=1)] == [i.id for i in rec.list_incidents()[1:3]]
    assert rec.interactions(offset=100) == []
    with pytest.raises(InputError):
        rec.pings(limit=-1)


def test_the_open_list_is_every_open_incident_newest_first(rec):
    """Seeded random incidents walked along their life cycle: the open list (read from its own index) equals the
    whole list filtered by hand to the open statuses, newest first (ties by id), page by page and by district."""
    import random

    rng = random.Random(15)
    for i in range(300):
        minute = rng.randrange(0, 40)  # many incidents share a received_at: the order falls back to the id
        inc = _new(rec, received_at=f"2026-06-02T19:{minute:02d}:00Z", location_text=f"place {i}")
        path = rng.choice([[], ["assigned"], ["assigned", "en route"], ["assigned", "en route", "on scene"],
                           ["assigned", "en route", "on scene", "resolved"], ["closed"]])
        for status in path:
            if status == "assigned":
                rec.assign(inc.id, rng.choice(["amb2", "amb3"]))
            elif status == "closed":
                rec.close_incident(inc.id, note="duplicate")
            else:
                rec.set_status(inc.id, status)
    everything = rec.list_incidents(limit=1000)
    assert len(everything) == 300
    open_by_hand = [i for i in sorted(everything, key=lambda i: (i.received_at, i.id), reverse=True)
                    if i.status in ("new", "assigned", "en route", "on scene")]
    assert 0 < len(open_by_hand) < 300
    assert [i.id for i in rec.list_incidents(open_only=True, limit=1000)] == [i.id for i in open_by_hand]
    pages = [rec.list_incidents(open_only=True, limit=50, offset=k) for k in range(0, 300, 50)]
    assert [i.id for p in pages for i in p] == [i.id for i in open_by_hand]
    since = [i.id for i in open_by_hand if i.received_at >= "2026-06-02T19:20:00.000Z"]
    assert [i.id for i in rec.list_incidents(open_only=True, since="2026-06-02T19:20:00Z", limit=1000)] == since
    assert all(type(i.in_area) is bool or i.in_area is None for i in everything)
    # the query reads the open incidents' own index (no sort of every open incident)
    plan = rec._conn.execute("EXPLAIN QUERY PLAN SELECT * FROM incidents INDEXED BY incidents_open WHERE "
                             "status IN ('assigned', 'en route', 'new', 'on scene') ORDER BY received_at DESC, "
                             "id DESC").fetchall()
    assert any("incidents_open" in str(tuple(r)) for r in plan) and not any("TEMP B-TREE" in str(tuple(r))
                                                                           for r in plan)


def test_reads_do_not_wait_for_a_commit_and_see_every_write_that_returned(rec):
    """A write holds the record's write lock through its transaction (and its fsync): a read from another thread
    meanwhile answers at once, with the state before the write; once the write returned, every read sees it; a
    read inside the transaction (an answer rendered there) sees the transaction's own change."""
    import threading

    inc = _new(rec, notes="first")
    inside, release, seen_inside = threading.Event(), threading.Event(), []

    def slow(c):
        c.execute("UPDATE incidents SET notes='second' WHERE id=?", (inc.id,))
        seen_inside.append(rec.get_incident(inc.id).notes)
        inside.set()
        assert release.wait(20)

    writer = threading.Thread(target=rec.write, args=(slow,))
    writer.start()
    assert inside.wait(20)
    read = []
    reader = threading.Thread(target=lambda: read.append(rec.get_incident(inc.id).notes))
    reader.start()
    reader.join(10)
    finished_during_write = not reader.is_alive()
    release.set()
    writer.join(20)
    reader.join(20)
    assert finished_during_write and read == ["first"] and seen_inside == ["second"]
    assert rec.get_incident(inc.id).notes == "second"
    assert rec.query("SELECT notes FROM incidents WHERE id=?", (inc.id,)) == [{"notes": "second"}]
    with pytest.raises(RecordError, match="query failed"):  # a caller's text runs on a read-only connection
        rec.query("WITH x AS (SELECT 1) DELETE FROM incidents")


def test_a_batch_is_one_transaction_whose_failed_writes_are_undone_alone(rec):
    """Writes in ``batch()`` share one transaction: a write that raises is undone alone (its caller gets its error
    and goes on), the rest are stored together at the end of the block, invisible to other connections before; an
    error leaving the block undoes them all; another thread's write waits for the block and is stored after it."""
    import threading

    done = _new(rec, notes="done")
    rec.set_status(done.id, "resolved")
    other = sqlite3.connect(rec.path)
    before = other.execute("SELECT count(*) FROM incidents").fetchone()[0]
    waiting, late = threading.Event(), []

    def late_writer():
        waiting.set()
        late.append(_new(rec, notes="late").id)

    with rec.batch():
        a = _new(rec, notes="a")
        with pytest.raises(TransitionError):
            rec.set_status(done.id, "on scene")  # resolved -> on scene is refused: undone alone
        b = _new(rec, notes="b")
        assert rec.get_incident(a.id).notes == "a"  # read inside: sees the batch's own writes
        assert other.execute("SELECT count(*) FROM incidents").fetchone()[0] == before  # not committed yet
        t = threading.Thread(target=late_writer)
        t.start()
        assert waiting.wait(10)
        t.join(0.2)
        assert t.is_alive() and not late  # another thread's write waits for the block
    t.join(20)
    assert other.execute("SELECT notes FROM incidents WHERE id IN (?, ?) ORDER BY id", (a.id, b.id)).fetchall() == [
        ("a",), ("b",)]
    assert len(late) == 1 and late[0] > b.id
    assert rec.get_incident(done.id).status == "resolved" and len(rec.history(done.id)) == 2
    assert {e.entity_id for e in rec.audit(entity="incident") if e.action == "create"} >= {a.id, b.id}

    count = other.execute("SELECT count(*) FROM incidents").fetchone()[0]
    with pytest.raises(LookupError), rec.batch():
        _new(rec, notes="undone")
        raise LookupError("an error leaving the block: nothing of it is stored")
    assert other.execute("SELECT count(*) FROM incidents").fetchone()[0] == count
    assert not [i for i in rec.list_incidents() if i.notes == "undone"]
    assert _new(rec, notes="after").notes == "after"  # the record writes on as usual
    other.close()


def _held_up(first: Record, second: Record) -> int | Exception:
    """``second`` writes while ``first`` holds a transaction open (0.4 s at most, less once ``second`` is done):
    the id it stored, or the error it got."""
    import threading

    inside, done, outcome = threading.Event(), threading.Event(), []

    def hold():
        with first.batch():
            _new(first, notes="first")
            inside.set()
            done.wait(0.4)  # held well past the other's timeout, or until it gave up

    def write():
        assert inside.wait(10)
        try:
            outcome.append(_new(second, notes="second").id)
        except RecordError as exc:
            outcome.append(exc)
        done.set()

    threads = [threading.Thread(target=hold), threading.Thread(target=write)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    return outcome[0]


def test_writers_taking_turns_wait_for_their_turn_instead_of_giving_up(tmp_path):
    """With ``writers_lock`` a process waits for the other writer's transaction to end (an OS lock), however long,
    where SQLite's busy handler gives up after the record's timeout: here a write with a 0.05 s timeout, held up
    0.4 s by another connection's transaction, is refused without the lock and waits for its turn with it.  The
    lock's file is the owner's only."""
    path = tmp_path / "turns.db"
    first = Record(path, actor="worker1", writers_lock=True)
    assert oct((tmp_path / "turns.db-writers").stat().st_mode & 0o777) == "0o600"
    plain = Record(path, actor="worker2", timeout=0.05)
    assert isinstance(_held_up(first, plain), RecordError)
    plain.close()
    taking_turns = Record(path, actor="worker2", timeout=0.05, writers_lock=True)
    got = _held_up(first, taking_turns)
    assert isinstance(got, int) and got > max(i.id for i in first.list_incidents() if i.notes == "first")
    taking_turns.close()
    first.close()
