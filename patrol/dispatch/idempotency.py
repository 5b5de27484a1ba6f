"""Writes made at most once per client key: the first response is stored with the write.

A client that retries a request after a dropped connection cannot know whether the first attempt
was stored.  It sends the same key with both attempts (the HTTP service reads it from the
``Idempotency-Key`` header, IETF draft *httpapi-idempotency-key-header*); the record then

* stores the write, the key, a fingerprint of the request and the response it answered, in the
  **same transaction** (``idempotency`` table, ``docs/record-schema.md``): a process killed at any
  moment leaves either both or neither;
* answers a repeat with the same key and the same fingerprint with the stored response, writing
  nothing (:class:`Replayed` carries it out of the write call);
* refuses a repeat with the same key and another fingerprint (:class:`~patrol.errors.IdempotencyError`).

Keys are scoped by the write's actor: the service's actor names one API key
(``key:<id>:<role>:<name>``), so two callers never see each other's keys.

>>> idem = Idempotency("a1", fingerprint(["POST", "/x", {"n": 1}]), status=201, render=lambda v: {"v": v})
>>> len(idem.fingerprint)
64
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from patrol.errors import InputError

__all__ = ["MAX_KEY_LENGTH", "Idempotency", "Replayed", "StoredResponse", "check_key", "fingerprint"]

#: Longest key accepted (characters).
MAX_KEY_LENGTH = 255


def check_key(key: str, *, field: str = "idempotency_key", max_len: int = MAX_KEY_LENGTH) -> str:
    """A client key: 1-``max_len`` printable ASCII characters (no spaces around it).

    Raises
    ------
    InputError
        For an empty, too long or non-printable key.
    """
    k = str(key).strip()
    if not k or len(k) > max_len or not all(33 <= ord(ch) <= 126 for ch in k):
        raise InputError(f"{field}: a key is 1-{max_len} printable ASCII characters without spaces (got {key!r:.60})",
                         field=field)
    return k


def fingerprint(request: Any) -> str:
    """SHA-256 (hex) of a JSON-able description of a request (canonical: sorted keys, no spaces)."""
    text = json.dumps(request, sort_keys=True, separators=(",", ":"), ensure_ascii=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class StoredResponse:
    """The response stored with an idempotent write.

    Attributes
    ----------
    status : int
        The HTTP status first answered.
    body : object
        Its JSON body.
    replayed : bool
        True when this answers a repeat (nothing was written this time).
    """

    status: int
    body: Any
    replayed: bool = False


class Idempotency:
    """One request's key, handed to a write method of :class:`~patrol.dispatch.record.Record`.

    Parameters
    ----------
    key : str
        The client's key (checked with :func:`check_key`).
    fingerprint : str
        Of the request (:func:`fingerprint`): a repeat must carry the same one.
    status : int
        The status the response will have.
    render : callable
        ``render(value) -> body``: the JSON body answered for the write method's return value.
        It runs inside the write's transaction, on the record's connection (it may read the
        record, which shows the write; it must not write).

    Attributes
    ----------
    response : StoredResponse or None
        Set by the write: the response stored (or replayed).
    """

    def __init__(self, key: str, fingerprint: str, *, status: int, render: Callable[[Any], Any]):
        self.key = check_key(key)
        self.fingerprint = str(fingerprint)
        self.status = int(status)
        self.render = render
        self.response: StoredResponse | None = None

    def through(self, convert: Callable[[Any], Any]) -> Idempotency:
        """This key, for a write whose value ``convert`` turns into what :attr:`render` takes.

        For a caller that builds its answer from the write's value (the desk merging refused fixes
        into a batch's results): the stored answer is the caller's, and :attr:`response` is set here.
        """
        return _Through(self, convert)


class _Through(Idempotency):
    """:meth:`Idempotency.through`: renders through a conversion, and sets the response on the original."""

    def __init__(self, outer: Idempotency, convert: Callable[[Any], Any]):
        self._outer = outer
        super().__init__(outer.key, outer.fingerprint, status=outer.status,
                         render=lambda value: outer.render(convert(value)))

    @property  # type: ignore[override]
    def response(self) -> StoredResponse | None:
        return self._outer.response

    @response.setter
    def response(self, value: StoredResponse | None) -> None:
        self._outer.response = value


class Replayed(Exception):
    """Raised out of a write call whose key was already stored: nothing was written.

    Attributes
    ----------
    response : StoredResponse
        The stored response (``replayed`` True).
    """

    def __init__(self, response: StoredResponse):
        super().__init__("the request was already stored under its idempotency key")
        self.response = response
