"""JSON answers encoded with orjson: :class:`JSONBody`.

The service's large answers are rankings (8 units, each with its cost to the plan, the best three with
their route's line): about 10 kB.  The standard library's encoder takes about 0.4 ms for one, orjson
about 0.03 ms (``scripts/load_service.py --encoders`` measures both on a real ranking in the same run).
A handler returning a :class:`JSONBody` also skips FastAPI's response-model pass over the answer (a
validation of the whole dict, for a plain ``def`` handler in one more thread hop); the OpenAPI document
keeps the declared ``response_model``.

Encoding rules (where orjson and ``json.dumps`` differ, the service's answers never depend on it): keys
that are not strings are written as strings, numpy numbers and arrays as JSON numbers and lists; NaN and
infinity, which JSON cannot carry and ``starlette``'s encoder refuses, are written as ``null``.
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import JSONResponse

__all__ = ["JSONBody", "dumps"]

_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY


def dumps(content: Any) -> bytes:
    """``content`` as compact UTF-8 JSON (see the module docstring)."""
    return orjson.dumps(content, option=_OPTIONS)


class JSONBody(JSONResponse):
    """A :class:`~starlette.responses.JSONResponse` rendered by orjson."""

    def render(self, content: Any) -> bytes:
        return dumps(content)
