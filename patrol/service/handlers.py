"""One error body for every refusal: ``{"error": {"type", "message", "field"?, "details"?}}``.

The same body the CLI prints with ``--json`` (:meth:`patrol.errors.PatrolError.to_dict`):

* a :class:`~patrol.errors.PatrolError` answers its ``http_status`` (401 for a missing or invalid
  key, 403 for a role without the right, 404 unknown id, 409 illegal transition, 422 bad value);
* a request that fails validation answers 422 with ``type`` ``ValidationError`` and ``field`` the
  location of the first problem (``body.location``, ``query.limit``, ``path.incident_id``), every
  problem listed in ``details.problems``;
* unknown routes and methods answer 404 / 405 in the same shape, a body over the size limit 413
  (:class:`BodyLimit`), anything unexpected 500 without internals.
"""

from __future__ import annotations

import json
import logging
import math
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from patrol.errors import PatrolError
from patrol.service.deps import KeyGuard
from patrol.service.security import HEADERS

__all__ = ["BodyLimit", "error_body", "install_handlers", "refusal"]

log = logging.getLogger(__name__)

_HTTP_TYPES = {400: "BadRequest", 401: "AuthError", 403: "AuthError", 404: "NotFound", 405: "MethodNotAllowed",
               413: "PayloadTooLarge", 415: "UnsupportedMediaType"}


def error_body(type_: str, message: str, *, field: str | None = None, details: dict | None = None) -> dict:
    """An error body in the shared shape."""
    body: dict[str, Any] = {"type": type_, "message": message}
    if field is not None:
        body["field"] = field
    if details:
        body["details"] = details
    return {"error": body}


def _field(loc: tuple | list) -> str:
    return ".".join(str(p) for p in loc) if loc else "body"


def _validation_body(exc: RequestValidationError) -> dict:
    problems = []
    for e in exc.errors():
        loc = list(e.get("loc", ()))
        problems.append({"field": _field(loc), "problem": str(e.get("msg", "invalid")), "type": e.get("type")})
    first = problems[0] if problems else {"field": "body", "problem": "invalid request"}
    message = f"{first['field']}: {first['problem']}"
    if len(problems) > 1:
        message += f" (and {len(problems) - 1} more)"
    return error_body("ValidationError", message, field=first["field"], details={"problems": problems})


def _jsonable(obj: Any) -> Any:
    """``obj`` with what JSON cannot carry (infinite or NaN numbers, other objects) written as text."""
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, float) and not math.isfinite(obj):
        return str(obj)
    if obj is None or isinstance(obj, str | int | float | bool):
        return obj
    return str(obj)


def refusal(exc: PatrolError) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if exc.http_status == 401 else None
    return JSONResponse(_jsonable(exc.to_dict()), status_code=exc.http_status, headers=headers)


async def _key_first(request: Request) -> JSONResponse | None:
    """The 401/403 answer when the request's route needs a key the request does not carry, else ``None``."""
    dependant = getattr(request.scope.get("route"), "dependant", None)
    for dep in getattr(dependant, "dependencies", ()):
        if isinstance(dep.call, KeyGuard):
            try:
                await dep.call(request)
            except PatrolError as exc:
                return refusal(exc)
    return None


def install_handlers(app: FastAPI) -> None:
    """Map every error to the shared body."""

    @app.exception_handler(PatrolError)
    async def _patrol(_request: Request, exc: PatrolError) -> JSONResponse:
        return refusal(exc)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        # FastAPI parses a JSON body before it checks the key: answer 401/403 first, so a caller without the
        # right key learns nothing about the endpoint's body
        refused = await _key_first(request)
        return refused or JSONResponse(_validation_body(exc), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        status = exc.status_code
        message = str(exc.detail) if exc.detail else "error"
        if status == 404 and message == "Not Found":
            message = f"no such endpoint: {request.method} {request.url.path}"
        return JSONResponse(error_body(_HTTP_TYPES.get(status, "HTTPError"), message), status_code=status,
                            headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return JSONResponse(error_body("InternalError", "internal error (see the service log)"), status_code=500,
                            headers=HEADERS)  # Starlette answers 500s outside the middleware


class BodyLimit:
    """ASGI middleware refusing request bodies over ``max_bytes`` with 413 (declared or streamed)."""

    def __init__(self, app, max_bytes: int):
        self.app = app
        self.max_bytes = int(max_bytes)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    return await self._refuse(send, 400, "BadRequest", "the Content-Length header is not a number")
                if declared > self.max_bytes:
                    return await self._refuse(send, 413, "PayloadTooLarge", self._message(declared))
                break
        seen = 0
        refused = False

        async def limited_receive():
            nonlocal seen, refused
            if refused:
                return {"type": "http.disconnect"}
            msg = await receive()
            if msg["type"] == "http.request":
                seen += len(msg.get("body", b""))
                if seen > self.max_bytes:
                    # answer now; the app sees a disconnected client and whatever it sends is dropped
                    refused = True
                    await self._refuse(send, 413, "PayloadTooLarge", self._message(seen))
                    return {"type": "http.disconnect"}
            return msg

        async def guarded_send(msg):
            if not refused:
                await send(msg)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except Exception:
            if not refused:
                raise

    def _message(self, n: int) -> str:
        return f"the request body ({n} bytes) is larger than the limit of {self.max_bytes} bytes"

    @staticmethod
    async def _refuse(send, status: int, type_: str, message: str) -> None:
        body = json.dumps(error_body(type_, message, field="body")).encode()
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})
