"""Security headers on every response: what a browser may load, embed and send for the service's pages.

* ``Content-Security-Policy``: scripts, styles, images and requests from the service itself only;
  **no inline script** (no ``<script>`` blocks, no ``onclick=`` attributes, no ``eval``), so a name
  from district data that reaches the page as HTML cannot run code; no plugins, no ``<base>``, no
  framing.  Inline *style attributes* are allowed (``style-src-attr 'unsafe-inline'``): the console
  sets a few (map legend swatches); ``<style>`` blocks are not.
* ``X-Frame-Options: DENY`` (older browsers; CSP ``frame-ancestors 'none'`` for the others),
  ``X-Content-Type-Options: nosniff``, ``Referrer-Policy: no-referrer``,
  ``Cross-Origin-Opener-Policy`` and ``Cross-Origin-Resource-Policy: same-origin``,
  ``Permissions-Policy``: geolocation for the service's own pages (the ambassador's phone page),
  no camera or microphone.
* ``Cache-Control: no-store`` on ``/api/`` answers: they hold names, positions and incidents.

Pure ASGI (:class:`SecurityHeaders`), outermost, so error answers and static files get them too;
the 500 handler adds :data:`HEADERS` itself (Starlette answers 500s outside the middleware).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

__all__ = ["CSP", "HEADERS", "SecurityHeaders"]

#: The Content-Security-Policy of every response.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; style-src-attr 'unsafe-inline'; "
       "img-src 'self' data:; font-src 'self'; connect-src 'self'; worker-src 'self'; manifest-src 'self'; "
       "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")

#: Headers added to every response.
HEADERS: dict[str, str] = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "geolocation=(self), camera=(), microphone=(), payment=(), usb=()",
}
_RAW = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in HEADERS.items()]
_NO_STORE = (b"cache-control", b"no-store")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]


class SecurityHeaders:
    """ASGI middleware adding :data:`HEADERS` to every HTTP response (and ``no-store`` under ``/api/``)."""

    def __init__(self, app: App):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        api = str(scope.get("path", "")).startswith("/api/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += [(k, v) for k, v in _RAW if k not in present]
                if api and _NO_STORE[0] not in present:
                    headers.append(_NO_STORE)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
