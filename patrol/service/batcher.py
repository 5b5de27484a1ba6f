"""Writes of the requests in flight made together: :class:`WriteBatcher`, and :class:`PingBatcher` on top of it.

A request that writes waits for the disk (a durable commit).  Handing each one to a thread of its own costs
a thread hop, a wake-up and a turn of the interpreter's lock per request, more than an incident's insert;
at hundreds of writes per second that is most of a core.  :class:`WriteBatcher` queues the writes of the
requests in flight on the event loop; one flusher at a time hands everything queued to one thread, which
makes them in one transaction (:meth:`patrol.dispatch.Record.batch`, each request's writes in a savepoint of
their own, so one request's error undoes its writes alone), and answers each request once the commit holding
its writes is on disk.  While a flush waits for the disk, the next requests queue up: the batch grows with the
load and a lone request waits for no one.  Each event loop has its own queue and flusher (a server runs one loop
per worker; test clients may run several, one after another or side by side), and each request is answered on
its own loop, whichever thread made its write.

:class:`PingBatcher` groups single fixes per key into one :meth:`Desk.ping_many` call (vectorized snap, one
audit row per key) and makes those calls through the write batcher, beside the other requests' writes.

Durability is unchanged: a request is answered only after the commit holding its write.  Like
:meth:`Desk.ping_many`, a fix farther than ``dispatch.max_snap_m`` from every street is stored unsnapped
(no position) rather than refused; names are checked before queueing (:meth:`Desk.unit`) so one bad
request cannot fail the others.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import weakref
from collections import defaultdict
from collections.abc import Callable
from typing import Any, TypeVar

from starlette.concurrency import run_in_threadpool

from patrol.dispatch.rows import FixResult
from patrol.errors import RecordUnavailableError

__all__ = ["PingBatcher", "WriteBatcher"]

log = logging.getLogger(__name__)

T = TypeVar("T")


class WriteBatcher:
    """Make the writes queued on the event loop in one thread hop and one transaction (the module docstring).

    Parameters
    ----------
    record : Record
        Where the writes go (:meth:`Record.batch`).
    max_batch : int
        Most writes in one transaction.
    """

    def __init__(self, record, *, max_batch: int = 256):
        self.record = record
        self.max_batch = int(max_batch)
        # per event loop (a server has one; tests may run several, one after the other or side by side): the
        # writes queued on it and the task flushing them
        self._loops: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Queue] = weakref.WeakKeyDictionary()
        self.flushes = 0

    async def run(self, call: Callable[[], T]) -> T:
        """``call()`` (a function making writes to the record and returning the answer) run in the next batch;
        its value, or its exception, once the batch is committed.

        Raises
        ------
        RecordUnavailableError
            When the batch's transaction cannot begin or commit (nothing of it is stored).
        """
        loop = asyncio.get_running_loop()
        q = self._loops.get(loop)
        if q is None:
            q = self._loops[loop] = _Queue()
        fut = loop.create_future()
        q.pending.append((call, fut))
        if q.flusher is None or q.flusher.done():
            q.flusher = loop.create_task(self._flush(q))
        return await fut

    async def _flush(self, q: _Queue) -> None:
        while q.pending:
            batch, q.pending = q.pending[:self.max_batch], q.pending[self.max_batch:]
            self.flushes += 1
            try:
                outcomes = await run_in_threadpool(self._commit, [call for call, _ in batch])
            except Exception as exc:  # the transaction did not begin or commit: every write of the batch
                outcomes = [_Failed(exc)] * len(batch)
            except BaseException:  # cancelled (the loop is closing): the writes waiting are cancelled with it
                for _, fut in batch + q.pending:
                    fut.cancel()
                q.pending = []
                raise
            for (_, fut), out in zip(batch, outcomes, strict=True):
                _resolve(fut, out)

    def _commit(self, calls: list[Callable[[], Any]]) -> list[Any]:
        """In the worker thread: every call in one transaction, each in a savepoint of its own (a call that raises
        leaves nothing of its writes); each call's value or its error."""
        out: list[Any] = []
        with self.record.batch():
            for call in calls:
                try:
                    out.append(self.record.write(lambda _conn, call=call: call()))
                except Exception as exc:
                    out.append(_Failed(exc))
        return out


class _Failed:
    """A call of a batch that raised (its value could itself be an exception object)."""

    __slots__ = ("error",)

    def __init__(self, error: Exception):
        self.error = error


class _Queue:
    """The writes queued on one event loop and the task flushing them."""

    __slots__ = ("flusher", "pending")

    def __init__(self) -> None:
        self.pending: list[tuple[Callable[[], Any], asyncio.Future]] = []
        self.flusher: asyncio.Task | None = None


def _resolve(fut: asyncio.Future, outcome: Any) -> None:
    """Answer a waiting request with its outcome (a :class:`_Failed` is raised to it), from any thread: a future of
    another event loop than the running one is answered through that loop; one whose caller went away, or whose
    loop has closed, is left alone."""
    loop = fut.get_loop()
    if loop.is_closed():
        return
    try:
        running = asyncio.get_running_loop()
    except RuntimeError:
        running = None
    if running is loop:
        _settle(fut, outcome)
    else:
        try:
            loop.call_soon_threadsafe(_settle, fut, outcome)
        except RuntimeError:  # closed in the meantime
            pass


def _settle(fut: asyncio.Future, outcome: Any) -> None:
    if fut.done():  # the client went away
        return
    if isinstance(outcome, _Failed):
        fut.set_exception(outcome.error)
    else:
        fut.set_result(outcome)


class PingBatcher:
    """Batch single-ping requests (see the module docstring).

    A fix is queued here; the first one queued after the last take puts one call into the write batcher's next
    batch, which, run in the writer thread, takes every fix queued by then (so fixes arriving while the batch
    ahead commits still join it) and makes one :meth:`Desk.ping_many` per key.

    Parameters
    ----------
    desk : Desk
    writes : WriteBatcher
        Makes the desk's ``ping_many`` calls (with the other requests' writes).
    """

    def __init__(self, desk, writes: WriteBatcher):
        self.desk = desk
        self.writes = writes
        self._lock = threading.Lock()  # the queue is taken in the writer thread
        self._pending: list[tuple[dict, str, asyncio.Future]] = []
        # the task whose call is in the write batcher's queue and has not taken the fixes yet (None: no such call)
        self._queued: asyncio.Task | None = None
        self.flushes = 0

    async def submit(self, ping: dict, actor: str) -> FixResult:
        """Queue one fix (``ambassador``, ``lat``, ``lon``, ``t``, ``accuracy_m``, ``key``); what became of it,
        once committed."""
        loop = asyncio.get_running_loop()
        fut = loop.create_future()
        with self._lock:
            self._pending.append((ping, actor, fut))
            q = self._queued
            if q is None or q.done() or q.get_loop().is_closed():  # (ended, or its loop closed, before taking)
                self._queued = loop.create_task(self._send())
        return await fut

    async def _send(self) -> None:
        taken: list[tuple[dict, str, asyncio.Future]] = []
        try:
            outcomes = await self.writes.run(lambda: self._write(taken))
        except BaseException as exc:  # the batch's transaction did not commit (or this task was cancelled)
            if not taken:  # it failed before this call ran: the fixes waiting for it fail with it
                with self._lock:
                    taken.extend(self._pending)
                    self._pending, self._queued = [], None
            if not isinstance(exc, Exception):
                for _, _, fut in taken:
                    _resolve(fut, _Failed(RecordUnavailableError(
                        "the service stopped before this fix's write was answered: send it again", field="db")))
                raise
            outcomes = [_Failed(exc)] * len(taken)
        for (_, _, fut), out in zip(taken, outcomes, strict=True):
            _resolve(fut, _Failed(out) if isinstance(out, Exception) else out)

    def _write(self, taken: list) -> list:
        """In the writer thread: take the fixes queued, one ``ping_many`` per key; each fix's result or its key's
        error, in the order taken."""
        with self._lock:
            taken.extend(self._pending)
            self._pending, self._queued = [], None
        self.flushes += 1
        groups: dict[str, list[int]] = defaultdict(list)
        for k, (_, actor, _) in enumerate(taken):
            groups[actor].append(k)
        out: list[Any] = [None] * len(taken)
        for actor, ks in groups.items():
            try:
                res = self.desk.ping_many([taken[k][0] for k in ks], actor=actor)
            except Exception as exc:  # this key's fixes only
                res = [exc] * len(ks)
            for k, r in zip(ks, res, strict=True):
                out[k] = r
        return out
