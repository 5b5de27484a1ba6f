"""Every API request sees the plan file's current version: :class:`FollowPlan`, a pure ASGI middleware.

A re-plan (or a new day's plan) may be written by any worker process; each worker's desk takes the file's
current version (:meth:`patrol.service.deps.ServiceState.follow_plan`: one ``stat`` of the file, parsed
again only when it changed) before an ``/api/`` request other than ``/api/health`` runs.

Pure ASGI rather than Starlette's ``@app.middleware("http")`` (``BaseHTTPMiddleware``): that one runs the rest
of the app in a task group with memory streams for the body, several times the CPU of a small request
(``docs/bench/service.md``).  A plan file that cannot be read answers the shared error body
(:class:`~patrol.errors.PlanError`, as ``GET /api/plan`` does), never a 500.
"""

from __future__ import annotations

from collections.abc import Callable

from patrol.errors import PatrolError
from patrol.service.handlers import refusal
from patrol.service.security import App, Receive, Scope, Send

__all__ = ["FollowPlan"]

#: The only ``/api/`` path that does not follow the plan: liveness answers without touching the desk.
UNFOLLOWED = "/api/health"


class FollowPlan:
    """ASGI middleware calling ``follow()`` before each HTTP request under ``/api/`` (but ``/api/health``).

    Parameters
    ----------
    app : ASGI app
    follow : callable
        Brings the desk(s) to the plan file's current version; may raise a :class:`~patrol.errors.PatrolError`
        (answered with its status and the shared error body).
    """

    def __init__(self, app: App, follow: Callable[[], None]):
        self.app = app
        self.follow = follow

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path = scope.get("path", "")
            if path.startswith("/api/") and path != UNFOLLOWED:
                try:
                    self.follow()
                except PatrolError as exc:
                    await refusal(exc)(scope, receive, send)
                    return
        await self.app(scope, receive, send)

