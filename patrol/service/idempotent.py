"""The ``Idempotency-Key`` request header on every create or change (IETF draft httpapi-idempotency-key-header).

A client that does not know whether its request was stored (the connection dropped) sends it again
with the same key:

* same key, same request (method, path and body, compared after validation, so key order and
  spacing do not matter): the first response is answered again, same status and body, with the
  header ``Idempotent-Replayed: true``; nothing is written;
* same key, another request: 422 ``IdempotencyError`` naming the key;
* keys are per API key (the write's actor), kept with the record for good (``idempotency`` table),
  stored in the same transaction as the write (see :mod:`patrol.dispatch.idempotency`).

A key is 1-255 printable ASCII characters; the draft's quoted form (``"8e03978e-..."``) is accepted.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import Request
from pydantic import BaseModel

from patrol.dispatch.idempotency import Idempotency, Replayed, StoredResponse, check_key, fingerprint
from patrol.errors import InputError
from patrol.service.auth import Principal
from patrol.service.deps import ServiceState
from patrol.service.jsonbody import JSONBody

__all__ = ["HEADER", "REPLAYED_HEADER", "Once", "request_key"]

#: The request header carrying the client's key.
HEADER = "Idempotency-Key"
#: Response header set on a replayed response.
REPLAYED_HEADER = "Idempotent-Replayed"

T = TypeVar("T")


def request_key(request: Request) -> str | None:
    """The request's idempotency key (``None`` without the header).

    Raises
    ------
    InputError
        (422) For a malformed key, naming the header.
    """
    raw = request.headers.get(HEADER)
    if raw is None:
        return None
    text = raw.strip()
    if len(text) >= 2 and text[0] == text[-1] == '"':
        text = text[1:-1]
    try:
        return check_key(text, field=f"header.{HEADER}")
    except InputError as exc:
        raise InputError(exc.message, field=f"header.{HEADER}") from exc


def _answer(resp: StoredResponse) -> JSONBody:
    headers = {REPLAYED_HEADER: "true"} if resp.replayed else None
    return JSONBody(resp.body, status_code=resp.status, headers=headers)


class Once:
    """One write request, made at most once per key::

        once = Once(st, request, principal, body, status=201)
        return once.replay() or once.run(lambda idem: desk.set_duty(..., idem=idem), lambda d: d.to_dict())

    Parameters
    ----------
    st : ServiceState
    request : Request or None
        The request (its ``Idempotency-Key`` header); ``None``: a request without one.
    principal : Principal
        The caller: keys are scoped to its actor.
    body : pydantic model or None
        The validated body (part of the fingerprint).
    status : int
        The status of a first response.
    """

    def __init__(self, st: ServiceState, request: Request | None, principal: Principal, body: BaseModel | None, *,
                 status: int):
        self.record = st.record
        self.actor = principal.actor
        self.status = int(status)
        self.key = None if request is None else request_key(request)
        self.fingerprint = "" if self.key is None else fingerprint(
            [request.method, request.url.path, None if body is None else body.model_dump(mode="json")])

    def replay(self) -> JSONBody | None:
        """The stored response when the key was seen (before doing any work), else ``None``.

        Raises
        ------
        IdempotencyError
            When the key was used for another request.
        """
        if self.key is None:
            return None
        stored = self.record.stored_response(self.key, self.fingerprint, actor=self.actor)
        return None if stored is None else _answer(stored)

    def run(self, call: Callable[[Idempotency | None], T], render: Callable[[T], Any]) -> JSONBody:
        """Make the write ``call(idem)`` and answer ``render(value)`` (rendered in the write's transaction)."""
        if self.key is None:
            return JSONBody(render(call(None)), status_code=self.status)
        idem = Idempotency(self.key, self.fingerprint, status=self.status, render=render)
        try:
            value = call(idem)
        except Replayed as r:  # a concurrent repeat was stored first
            return _answer(r.response)
        return _answer(idem.response or StoredResponse(self.status, render(value)))
