"""Group concurrent ping requests into one :meth:`Desk.ping_many` call per key and flush.

A phone posts one fix per request; at hundreds of requests per second, one thread hop, one snap and
one transaction per fix cost more than the fix.  :class:`PingBatcher` queues the fixes of the
requests in flight on the event loop; one flusher at a time hands everything queued to
:meth:`patrol.dispatch.Desk.ping_many` (vectorized snap, one transaction with one audit row per key)
in the thread pool, and answers each request with its ping id once the transaction is committed.
While a flush waits for the disk, the next requests queue up: the batch grows with the load and a
lone request waits for no one.

Durability is unchanged: a request is answered only after the commit holding its fix.  Like
:meth:`Desk.ping_many`, a fix farther than ``dispatch.max_snap_m`` from every street is stored
unsnapped (no position) rather than refused; names are checked before queueing
(:meth:`Desk.unit`) so one bad request cannot fail the others.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict

from starlette.concurrency import run_in_threadpool

from patrol.dispatch.rows import FixResult

__all__ = ["PingBatcher"]

log = logging.getLogger(__name__)


class PingBatcher:
    """Batch single-ping requests (see the module docstring).

    Parameters
    ----------
    desk : Desk
    max_batch : int
        Most fixes handed to one flush.
    """

    def __init__(self, desk, *, max_batch: int = 1000):
        self.desk = desk
        self.max_batch = int(max_batch)
        self._pending: list[tuple[dict, str, asyncio.Future]] = []
        self._flusher: asyncio.Task | None = None
        self.flushes = 0

    async def submit(self, ping: dict, actor: str) -> FixResult:
        """Queue one fix (``ambassador``, ``lat``, ``lon``, ``t``, ``accuracy_m``, ``key``); what became of it,
        once committed."""
        loop = asyncio.get_running_loop()
        fut = loop.create_future()
        self._pending.append((ping, actor, fut))
        if self._flusher is None or self._flusher.done():
            self._flusher = loop.create_task(self._flush())
        return await fut

    async def _flush(self) -> None:
        while self._pending:
            batch, self._pending = self._pending[:self.max_batch], self._pending[self.max_batch:]
            groups: dict[str, list[tuple[dict, asyncio.Future]]] = defaultdict(list)
            for ping, actor, fut in batch:
                groups[actor].append((ping, fut))
            self.flushes += 1
            results = await asyncio.gather(
                *(run_in_threadpool(self.desk.ping_many, [p for p, _ in items], actor=actor)
                  for actor, items in groups.items()), return_exceptions=True)
            for items, res in zip(groups.values(), results, strict=True):
                for k, (_, fut) in enumerate(items):
                    if fut.done():  # the client went away
                        continue
                    if isinstance(res, BaseException):
                        fut.set_exception(res)
                    else:
                        fut.set_result(res[k])
