"""The one Numba switch of ``patrol``: every compiled kernel is decorated with :func:`njit` from here.

Compiled kernels are cached on disk (next to their module, in ``__pycache__``) unless the environment
variable ``PATROL_NUMBA_CACHE`` is ``0``, ``false``, ``no`` or ``off``; it is read once, at import.  This
module imports nothing from ``patrol``, so kernel modules can import it and still see only arrays.
"""

from __future__ import annotations

import os
from typing import Any

from numba import njit as _numba_njit

__all__ = ["CACHE", "njit"]

#: Whether compiled kernels are cached on disk (``PATROL_NUMBA_CACHE``, default on).
CACHE: bool = os.environ.get("PATROL_NUMBA_CACHE", "1").strip().lower() not in ("0", "false", "no", "off")


def njit(*args: Any, **kwargs: Any) -> Any:
    """:func:`numba.njit` with the project's cache switch (``@njit`` or ``@njit(inline="always")``)."""
    kwargs.setdefault("cache", CACHE)
    return _numba_njit(*args, **kwargs)
