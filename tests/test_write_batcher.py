"""The service's write batcher: the writes of requests in flight made in one thread hop and one transaction, each
answered only once its commit is on disk, one write's error its own, a failed commit every write's of its batch."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest

from patrol.dispatch.record import Record
from patrol.errors import InputError, RecordUnavailableError
from patrol.service.batcher import WriteBatcher


@pytest.fixture
def rec(tmp_path):
    r = Record(tmp_path / "w.db", actor="svc", timeout=0.2)
    yield r
    r.close()


def stored(path: str, notes: str) -> int:
    """Incidents with these notes as another connection sees them (committed)."""
    with sqlite3.connect(path) as c:
        return c.execute("SELECT count(*) FROM incidents WHERE notes=?", (notes,)).fetchone()[0]


def test_concurrent_writes_share_commits_and_each_is_committed_when_answered(rec):
    writes = WriteBatcher(rec)
    seen_when_answered = []

    async def one(k: int) -> int:
        inc = await writes.run(lambda: rec.new_incident(type="other", source="phone", location_text=f"{k}",
                                                        notes=f"n{k}"))
        seen_when_answered.append(stored(rec.path, f"n{k}"))  # durable before its caller hears of it
        return inc.id

    async def main() -> list[int]:
        return await asyncio.gather(*(one(k) for k in range(60)))

    ids = asyncio.run(main())
    assert len(set(ids)) == 60 and seen_when_answered == [1] * 60
    assert writes.flushes < 60  # requests in flight together were made together
    assert {i.id for i in rec.list_incidents()} == set(ids) and len(rec.audit(entity="incident")) == 60


def test_one_writes_error_is_its_own(rec):
    writes = WriteBatcher(rec)
    done = rec.new_incident(type="other", source="phone", location_text="x")
    rec.set_status(done.id, "resolved")

    def bad():
        rec.new_incident(type="other", source="phone", location_text="half", notes="half")  # undone with it
        raise InputError("refused", field="body")

    async def main():
        return await asyncio.gather(
            writes.run(lambda: rec.new_incident(type="other", source="phone", location_text="a", notes="a")),
            writes.run(bad),
            writes.run(lambda: rec.set_status(done.id, "on scene")),  # an illegal transition
            writes.run(lambda: rec.new_incident(type="other", source="phone", location_text="b", notes="b")),
            return_exceptions=True)

    a, err, illegal, b = asyncio.run(main())
    assert isinstance(err, InputError) and type(illegal).__name__ == "TransitionError"
    assert a.notes == "a" and b.notes == "b" and writes.flushes == 1
    assert (stored(rec.path, "a"), stored(rec.path, "half"), stored(rec.path, "b")) == (1, 0, 1)
    assert rec.get_incident(done.id).status == "resolved"


def test_a_batch_that_cannot_commit_fails_every_write_in_it_and_stores_none(rec):
    writes = WriteBatcher(rec)
    blocker = sqlite3.connect(rec.path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")  # another process holds the write lock past the record's timeout

    async def main():
        return await asyncio.gather(*(writes.run(lambda k=k: rec.new_incident(
            type="other", source="phone", location_text="x", notes=f"blocked{k}")) for k in range(5)),
            return_exceptions=True)

    out = asyncio.run(main())
    assert all(isinstance(e, RecordUnavailableError) and e.http_status == 503 for e in out), out
    blocker.execute("ROLLBACK")
    blocker.close()
    assert sum(stored(rec.path, f"blocked{k}") for k in range(5)) == 0
    again = asyncio.run(writes.run(lambda: rec.new_incident(type="other", source="phone", location_text="y",
                                                            notes="after")))
    assert again.notes == "after" and stored(rec.path, "after") == 1


def _fix(name: str, k: int) -> dict:
    return {"ambassador": name, "lat": 44.9480 + k * 1e-5, "lon": -93.2950, "t": None, "accuracy_m": 8.0, "key": None}


def test_single_pings_join_the_writes_in_flight_and_each_gets_its_own_result(uptown, rec):
    """Pings of two keys and incident creations in flight together: every fix stored once and answered with its own
    row, each key's fixes of a take in one ``ping_many`` (one audit row), all in few commits."""
    from patrol.dispatch.desk import Desk
    from patrol.service.batcher import PingBatcher

    desk = Desk(uptown, record=rec)
    writes = WriteBatcher(rec)
    pings = PingBatcher(desk, writes)

    async def main():
        return await asyncio.gather(
            *(pings.submit(_fix("amb3", k), "phone:amb3") for k in range(40)),
            *(pings.submit(_fix("amb4", k), "phone:amb4") for k in range(40)),
            *(writes.run(lambda k=k: rec.new_incident(type="other", source="phone", location_text="x",
                                                      notes=f"i{k}")) for k in range(10)))

    out = asyncio.run(main())
    fixes, incidents = out[:80], out[80:]
    assert all(r.status == "stored" and r.snapped for r in fixes)
    rows = {p.id: p for p in rec.pings(limit=1000)}
    assert len(rows) == 80 and {r.id for r in fixes} == set(rows)
    for k, r in enumerate(fixes):  # each request got the row of its own fix
        name = "amb3" if k < 40 else "amb4"
        assert rows[r.id].ambassador == name and rows[r.id].lat == pytest.approx(44.9480 + (k % 40) * 1e-5)
    assert len({i.id for i in incidents}) == 10
    audit = [e for e in rec.audit(limit=1000) if e.entity == "ping"]  # one row per key and take
    assert {e.actor for e in audit} == {"phone:amb3", "phone:amb4"} and len(audit) <= 2 * pings.flushes
    assert pings.flushes <= 3 and writes.flushes <= 3


def test_pings_waiting_for_a_batch_that_cannot_commit_fail_with_it_and_the_next_are_stored(uptown, rec):
    from patrol.dispatch.desk import Desk
    from patrol.service.batcher import PingBatcher

    desk = Desk(uptown, record=rec)
    writes = WriteBatcher(rec)
    pings = PingBatcher(desk, writes)
    blocker = sqlite3.connect(rec.path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")

    async def main():
        return await asyncio.gather(*(pings.submit(_fix("amb3", k), "phone:amb3") for k in range(5)),
                                    return_exceptions=True)

    out = asyncio.run(main())
    assert all(isinstance(e, RecordUnavailableError) for e in out), out
    blocker.execute("ROLLBACK")
    blocker.close()
    assert rec.pings(limit=10) == []
    again = asyncio.run(main())
    assert all(r.status == "stored" for r in again) and len(rec.pings(limit=10)) == 5


def _in_thread(fn, timeout: float = 60.0):
    """``fn()`` in a thread of its own; its value, failing the test if it has not returned in ``timeout`` s."""
    import threading

    out: list = []
    t = threading.Thread(target=lambda: out.append(fn()), daemon=True)
    t.start()
    t.join(timeout)
    assert not t.is_alive(), f"no answer in {timeout} s"
    return out[0]


def test_event_loops_side_by_side_each_get_their_answers(uptown, rec):
    """Two event loops in two threads (two test clients of one app, say) writing through one batcher at once:
    every write and every fix is answered, on its own loop, and stored once."""
    import threading

    from patrol.dispatch.desk import Desk
    from patrol.service.batcher import PingBatcher

    desk = Desk(uptown, record=rec)
    writes = WriteBatcher(rec)
    pings = PingBatcher(desk, writes)
    start = threading.Barrier(2)

    def side(tag: str):
        async def main():
            return await asyncio.gather(
                *(writes.run(lambda k=k: rec.new_incident(type="other", source="phone", location_text="x",
                                                          notes=f"{tag}{k}")) for k in range(30)),
                *(pings.submit(_fix("amb3" if tag == "a" else "amb4", k), f"phone:{tag}") for k in range(20)))

        start.wait(10)
        return asyncio.run(main())

    results: dict[str, list] = {}
    threads = [threading.Thread(target=lambda t=t: results.__setitem__(t, side(t)), daemon=True) for t in "ab"]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not any(t.is_alive() for t in threads), "a loop waited for ever for an answer"
    for tag in "ab":
        incidents, fixes = results[tag][:30], results[tag][30:]
        assert [i.notes for i in incidents] == [f"{tag}{k}" for k in range(30)]
        assert all(r.status == "stored" for r in fixes)
    assert sum(stored(rec.path, f"{tag}{k}") for tag in "ab" for k in range(30)) == 60
    rows = rec.pings(limit=1000)
    assert sorted(p.ambassador for p in rows) == ["amb3"] * 20 + ["amb4"] * 20


@pytest.mark.filterwarnings("ignore:coroutine 'PingBatcher._send' was never awaited")  # the dropped loop's task
@pytest.mark.parametrize("cancelled", [True, False])
def test_a_loop_closed_before_its_fixes_were_taken_does_not_hold_up_the_next(uptown, rec, cancelled):
    """A fix queued on an event loop that closed before the write taking it ran (its tasks cancelled, or the loop
    simply dropped): fixes sent afterwards on another loop are still taken and stored."""
    from patrol.dispatch.desk import Desk
    from patrol.service.batcher import PingBatcher

    desk = Desk(uptown, record=rec)
    pings = PingBatcher(desk, WriteBatcher(rec))
    loop = asyncio.new_event_loop()

    async def queue_only():  # the fix is queued and its writing task created, then the loop stops
        asyncio.get_running_loop().create_task(pings.submit(_fix("amb3", 0), "phone:amb3"))

    loop.run_until_complete(queue_only())
    if cancelled:  # as asyncio.run does on leaving
        pending = asyncio.all_tasks(loop)
        for task in pending:
            task.cancel()
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
    loop.close()
    later = _in_thread(lambda: asyncio.run(pings.submit(_fix("amb4", 1), "phone:amb4")))
    assert later.status == "stored" and rec.pings(ambassador="amb4", limit=10)[0].id == later.id
