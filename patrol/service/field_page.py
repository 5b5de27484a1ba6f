"""The ambassador's phone page (``/field``): its shell, service worker and web app manifest.

The page is ``static/field.html`` with ``field.js`` and ``field.css`` (no inline script or style, so a
strict Content-Security-Policy holds) and Leaflet from the ``xstatic-leaflet`` package, like the
console.  Like the console's, these files hold no data and load without a key; the page asks for one
(or takes it from the link ``/field#key=...``, whose fragment never reaches the server).

Offline
    ``/field-sw.js`` is a service worker whose scope is ``/field``: it keeps the page's files in a
    cache named after a hash of their content (computed here, at startup), so the page opens with no
    signal after its first load, and a new version of the files replaces the old cache.  It never
    touches ``/api/`` requests: the page queues its writes itself (``field.js``).
"""

from __future__ import annotations

import hashlib
import logging

from fastapi import APIRouter
from fastapi.responses import FileResponse, Response

from patrol.service.console import STATIC_DIR

__all__ = ["SHELL", "field_page_router", "shell_version"]

log = logging.getLogger(__name__)

#: Files of the page shell (under ``static/``) whose content names the service worker's cache.
SHELL: tuple[str, ...] = ("field.html", "field.js", "field-alerts.js", "field.css", "field-sw.js",
                          "field.webmanifest", "field-icon.svg", "field-activities.js", "field-activities.css")


def shell_version() -> str:
    """A short hash of the shell files' content: it changes whenever one of them does."""
    h = hashlib.sha256()
    for name in SHELL:
        h.update(name.encode() + b"\0" + (STATIC_DIR / name).read_bytes())
    return h.hexdigest()[:12]


def field_page_router() -> APIRouter:
    """``/field``, ``/field-sw.js`` (the shell version filled in) and ``/field.webmanifest``."""
    r = APIRouter(include_in_schema=False)
    version = shell_version()
    worker = (STATIC_DIR / "field-sw.js").read_text(encoding="utf-8").replace("__SHELL_VERSION__", version)

    @r.get("/field")
    def field_page() -> FileResponse:
        return FileResponse(STATIC_DIR / "field.html", media_type="text/html",
                            headers={"Cache-Control": "no-cache"})

    @r.get("/field-sw.js")
    def service_worker() -> Response:
        return Response(worker, media_type="text/javascript", headers={"Cache-Control": "no-cache"})

    @r.get("/field.webmanifest")
    def manifest() -> FileResponse:
        return FileResponse(STATIC_DIR / "field.webmanifest", media_type="application/manifest+json")

    return r
