"""The incident status life cycle: which transitions are legal.

::

    new ──> assigned ──> en route ──> on scene ──> resolved ──> closed
     │  <──────┘ (unassign)  │             │                       ^
     │  <────────────────────┘             │                       │
     ├──────────> resolved (handled without dispatch, e.g. by phone)│
     └── new / assigned / en route ──> closed (cancelled, duplicate; a note is expected)
    assigned ──> on scene (arrival reported without "en route")

``assigned`` is entered only through an assignment (:meth:`patrol.dispatch.record.Record.assign`);
``closed`` is final.  Everything else raises :class:`~patrol.errors.TransitionError`.
"""

from __future__ import annotations

from patrol.errors import TransitionError
from patrol.vocab import STATUSES

__all__ = ["ACTIVE_STATUSES", "OPEN_STATUSES", "TRANSITIONS", "check_transition", "next_statuses"]

#: Legal transitions: current status -> statuses it may move to.
TRANSITIONS: dict[str, frozenset[str]] = {
    "new": frozenset({"assigned", "resolved", "closed"}),
    "assigned": frozenset({"en route", "on scene", "new", "resolved", "closed"}),
    "en route": frozenset({"on scene", "new", "resolved", "closed"}),
    "on scene": frozenset({"resolved"}),
    "resolved": frozenset({"closed"}),
    "closed": frozenset(),
}
#: Statuses of an incident still needing attention.
OPEN_STATUSES: frozenset[str] = frozenset({"new", "assigned", "en route", "on scene"})
#: Statuses in which assigned ambassadors are busy with the incident.
ACTIVE_STATUSES: frozenset[str] = frozenset({"assigned", "en route", "on scene"})


def next_statuses(status: str) -> list[str]:
    """The statuses an incident in ``status`` may move to, in life-cycle order."""
    allowed = TRANSITIONS.get(status, frozenset())
    return [s for s in STATUSES if s in allowed]


def check_transition(current: str, new: str) -> None:
    """Refuse an illegal status change.

    Raises
    ------
    TransitionError
        When ``current -> new`` is not in :data:`TRANSITIONS` (the message lists the legal ones).

    Examples
    --------
    >>> check_transition("new", "assigned")
    >>> check_transition("closed", "new")
    Traceback (most recent call last):
    ...
    patrol.errors.TransitionError: cannot go from 'closed' to 'new' (closed is final)
    """
    if new in TRANSITIONS.get(current, frozenset()):
        return
    allowed = next_statuses(current)
    hint = f"allowed: {', '.join(allowed)}" if allowed else f"{current} is final"
    raise TransitionError(f"cannot go from {current!r} to {new!r} ({hint})", field="status",
                          details={"from": current, "to": new, "allowed": allowed})
