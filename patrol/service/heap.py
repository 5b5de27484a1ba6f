"""The service's start-up objects out of the garbage collector's way: :func:`frozen_heap`.

A worker holds a few hundred thousand long-lived objects (the district's network and geocoder, the plan and
its timeline, FastAPI's routes and models).  CPython's cyclic collector walks all of them on each full
(generation 2) collection, which the garbage of a few thousand requests triggers: measured on the load test,
about a quarter of a second with the worker stopped, a pause every request in flight waits for
(``docs/bench/service.md``).  :func:`gc.freeze` moves everything alive once the service is built into a
permanent generation the collector skips; objects made afterwards are collected as before, and reference
counting frees frozen objects as usual.  On shutdown :func:`gc.unfreeze` hands them back to the collector, so
an app built and dropped again (tests) leaves no cycle behind.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["frozen_heap"]

log = logging.getLogger(__name__)


@contextmanager
def frozen_heap() -> Iterator[int]:
    """Collect, freeze what is alive for the duration of the block (yields how many objects), unfreeze after."""
    gc.collect()
    gc.freeze()
    try:
        yield gc.get_freeze_count()
    finally:
        gc.unfreeze()
