"""The service's four most frequent requests without FastAPI's per-request machinery: :class:`FastLane`.

A busy day is mostly single pings (about 900 a second at the load targets of ``docs/bench/service.md``),
incident creations (200), rankings (50) and logged interactions (50).  Through FastAPI each one is matched
against every route, its dependencies solved, its body parsed into Python objects and then validated, and it
passes five more layers of middleware: a ping costs 0.58-0.70 ms of CPU that way and 0.26-0.33 ms on the lane, a
ranking about 0.7 ms more (in process; ``scripts/bench_lanes.py`` measures both paths over one state in
one run).

:class:`FastLane` answers exactly these requests when they take the plain way:

* ``POST /api/ambassadors/{name}/pings``, ``POST /api/incidents``, ``POST /api/rank``,
  ``POST /api/ambassadors/{name}/interactions``;
* a JSON body (``Content-Type: application/json``) without an ``Idempotency-Key`` header;
* a valid key with the endpoint's right, a body its model accepts (pydantic, parsing the JSON itself).

It calls the very functions the FastAPI endpoints call (:func:`~patrol.service.field.accept_ping`,
:func:`~patrol.service.incidents.create`, :func:`~patrol.service.incidents.ranked`,
:func:`~patrol.service.field.log_interaction`): same checks, same
writes, same answers; a :class:`~patrol.errors.PatrolError` they raise is answered by
:func:`~patrol.service.handlers.refusal`, as the service's error handler does.  Everything else (a
missing or weak key, a body the model refuses, an idempotency key, another path) goes on to the
FastAPI app with the body as it came, so every refusal has the one shape of
:mod:`patrol.service.handlers` and the OpenAPI document stays the FastAPI app's.

It sits inside the other middleware (plan following, body limit, security headers): their work applies
to its answers as to any other.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError
from starlette.responses import Response

from patrol.errors import PatrolError
from patrol.service.auth import Principal
from patrol.service.deps import ServiceState, key_text
from patrol.service.field import accept_ping, log_interaction
from patrol.service.handlers import refusal
from patrol.service.idempotent import Once
from patrol.service.incidents import create, ranked
from patrol.service.schemas import IncidentCreate, InteractionBody, PingBody, RankBody
from patrol.service.security import App, Message, Receive, Scope, Send

__all__ = ["LANES", "FastLane", "Lane"]

#: A lane's answer: ``(state, caller, body, the path's match) -> response``.
Answer = Callable[[ServiceState, Principal, Any, re.Match], Awaitable[Response]]


@dataclass(frozen=True)
class Lane:
    """One request answered on the fast lane.

    Attributes
    ----------
    path : re.Pattern
        The whole path (``POST`` only), with the groups the answer reads.
    body : type of pydantic model
        The endpoint's body model.
    capability : str
        What the caller's key must allow (as the endpoint's dependency).
    answer : callable
        ``answer(state, principal, body, match)``: the same function the FastAPI endpoint calls.
    """

    path: re.Pattern
    body: type[BaseModel]
    capability: str
    answer: Answer


async def _ping(st: ServiceState, p: Principal, body: PingBody, m: re.Match) -> Response:
    return await accept_ping(st, p, m.group(1), body, Once(st, None, p, body, status=201))


async def _incident(st: ServiceState, p: Principal, body: IncidentCreate, _m: re.Match) -> Response:
    return await create(st, p, body, Once(st, None, p, body, status=201))


async def _interaction(st: ServiceState, p: Principal, body: InteractionBody, m: re.Match) -> Response:
    return await log_interaction(st, p, m.group(1), body, Once(st, None, p, body, status=201))


async def _rank(st: ServiceState, _p: Principal, body: RankBody, _m: re.Match) -> Response:
    return ranked(st, body)


#: The requests on the fast lane (the path parameter's limits are the endpoint's: 1-100 characters).
LANES: tuple[Lane, ...] = (
    Lane(re.compile(r"/api/ambassadors/([^/]{1,100})/pings"), PingBody, "field", _ping),
    Lane(re.compile(r"/api/incidents"), IncidentCreate, "dispatch", _incident),
    Lane(re.compile(r"/api/rank"), RankBody, "read", _rank),
    Lane(re.compile(r"/api/ambassadors/([^/]{1,100})/interactions"), InteractionBody, "field", _interaction),
)


def _headers(scope: Scope) -> dict[bytes, bytes]:
    """The request's headers by lowercase name, the first of repeated ones (as Starlette reads them)."""
    out: dict[bytes, bytes] = {}
    for name, value in scope.get("headers", ()):
        out.setdefault(name.lower(), value)
    return out


class FastLane:
    """ASGI middleware answering :data:`LANES` without the FastAPI app behind it (see the module docstring).

    Parameters
    ----------
    app : ASGI app
        The FastAPI app: every request the lane does not answer.
    state : ServiceState
    lanes : tuple of Lane
    """

    def __init__(self, app: App, state: ServiceState, lanes: tuple[Lane, ...] = LANES):
        self.app = app
        self.state = state
        self.lanes = lanes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        found = self._lane(scope)
        if found is None:
            await self.app(scope, receive, send)
            return
        lane, match = found
        headers = _headers(scope)
        if b"idempotency-key" in headers or headers.get(b"content-type", b"").split(b";")[0].strip().lower() \
                != b"application/json":
            await self.app(scope, receive, send)
            return
        body = b""
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away (or the body limit answered)
                return
            body += message.get("body", b"")
            if not message.get("more_body", False):
                break
        try:
            x_api_key, authorization = headers.get(b"x-api-key"), headers.get(b"authorization")
            p = self.state.keys.verify(key_text(None if x_api_key is None else x_api_key.decode("latin-1"),
                                                None if authorization is None else authorization.decode("latin-1")))
            p.require(lane.capability)
            parsed = lane.body.model_validate_json(body)
        except (PatrolError, ValidationError):  # the FastAPI app answers it, in the service's one error shape
            await self.app(scope, _replay(body, receive), send)
            return
        try:
            response = await lane.answer(self.state, p, parsed, match)
        except PatrolError as exc:
            response = refusal(exc)
        await response(scope, receive, send)

    def _lane(self, scope: Scope) -> tuple[Lane, re.Match] | None:
        if scope["type"] != "http" or scope.get("method") != "POST":
            return None
        path = str(scope.get("path", ""))
        for lane in self.lanes:
            if (m := lane.path.fullmatch(path)) is not None:
                return lane, m
        return None


def _replay(body: bytes, receive: Receive) -> Receive:
    """``receive`` for the app behind: the body already read, then the client's own messages (a disconnect)."""
    sent = False

    async def again() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return again
