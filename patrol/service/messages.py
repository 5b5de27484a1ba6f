"""Messages from the desk to ambassadors' phones, acknowledged one by one.

* ``POST /api/messages`` (a key that dispatches): ``{text, to, ambassador?, location?, radius_m?}`` to

  - ``one``: an ambassador, or every member of a unit (whatever their duty status);
  - ``all on duty``: every member of the units whose duty status is not *off duty* now;
  - ``near``: the members of the units on duty whose **walking distance** to the point (the street network,
    from where the record places each unit now: :meth:`patrol.dispatch.desk.Desk.rank`) is at most
    ``radius_m`` (default ``alerts.message_radius_m``).

  The recipients are chosen and recorded when it is sent; nobody to send to is a 422 that says why.
* ``GET /api/messages``, ``GET /api/messages/{id}`` (read): each recipient with the time it acknowledged, or not.
* ``POST /api/ambassadors/{name}/messages/{id}/ack`` (an ambassador key: its own): acknowledged once; again
  answers the first time.  The phone gets its messages with its poll (``/now``,
  :func:`patrol.service.alerts.safety_now`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse

from patrol.dispatch.alerts import Message
from patrol.dispatch.clock import iso, parse_time
from patrol.dispatch.rows import MAX_ID
from patrol.errors import InputError, NotFoundError
from patrol.service.alert_schemas import MessageAckBody, MessageBody
from patrol.service.alerts import actor_name, safety_log
from patrol.service.auth import Principal
from patrol.service.deps import ServiceState, dispatcher, field_writer, reader
from patrol.service.idempotent import Once
from patrol.service.incidents import page

__all__ = ["message_router", "message_view", "recipients_for"]

MessageId = Path(ge=1, le=MAX_ID, description="message id")
AmbassadorName = Path(min_length=1, max_length=100, description="ambassador name")


def message_view(m: Message) -> dict[str, Any]:
    """A message with who has and has not acknowledged it."""
    out = m.to_dict()
    out["from"] = actor_name(m.actor)
    out["acknowledged"] = sum(r.acknowledged_at is not None for r in m.recipients)
    out["waiting"] = [r.ambassador for r in m.recipients if r.acknowledged_at is None]
    return out


def recipients_for(st: ServiceState, body: MessageBody, moment: datetime
                   ) -> tuple[list[tuple[str, str, float | None]], dict[str, Any]]:
    """The recipients ``(ambassador, unit, walking metres)`` of a message, and what to record about its audience.

    Raises
    ------
    InputError
        When the audience's field is missing, or nobody is in it.
    NotFoundError, GeocodeError
        For an unknown ambassador or a location that cannot be found.
    """
    desk = st.desk
    if body.to == "one":
        if not body.ambassador:
            raise InputError("to one: name the ambassador or unit", field="body.ambassador")
        unit = desk.unit(body.ambassador)
        name = body.ambassador.strip()
        people = [name] if name in unit.members else list(unit.members)
        return [(n, unit.name, None) for n in people], {"target": name}
    if body.to == "all on duty":
        on = [s.unit for s in desk.situation(moment) if s.status != "off duty"]
        if not on:
            raise InputError("nobody is on duty now", field="body.to")
        return [(n, u.name, None) for u in on for n in u.members], {}
    if not body.location:
        raise InputError("to those near: give the location", field="body.location")
    radius = body.radius_m if body.radius_m is not None else st.district.settings.alerts.message_radius_m
    ranking = desk.rank(body.location, when=moment, top_routes=0)
    near = [c for c in ranking.candidates
            if c.status != "off duty" and c.distance_m is not None and c.distance_m <= radius]
    loc = ranking.location
    if not near:
        raise InputError(f"nobody on duty is within {radius:g} m on foot of {loc['matched']}", field="body.radius_m",
                         details={"radius_m": radius, "location": loc["matched"]})
    return ([(n, desk.unit(c.ambassador).name, round(float(c.distance_m or 0.0), 1)) for c in near
             for n in desk.unit(c.ambassador).members],
            {"location_text": body.location, "point": loc, "radius_m": radius})


def message_router(st: ServiceState) -> APIRouter:
    """The message endpoints over one service state."""
    r = APIRouter(prefix="/api", tags=["messages"])
    book = safety_log(st)
    cfg = st.config

    @r.post("/messages", status_code=201,
            summary="Send a message to one ambassador, to all on duty, or to those within walking distance of a point")
    def send(body: MessageBody, request: Request, p: Principal = Depends(dispatcher)) -> JSONResponse:
        once = Once(st, request, p, body, status=201)
        if (replayed := once.replay()) is not None:
            return replayed
        moment = st.desk.clock()
        people, where = recipients_for(st, body, moment)
        return once.run(
            lambda idem: book.send_message(body.text, body.to, people, at=moment, actor=p.actor, idem=idem, **where),
            message_view)

    @r.get("/messages", response_model=None, summary="Messages, newest first, with who has and has not acknowledged")
    def messages(since: str | None = Query(None, description="sent at or after (ISO-8601)"),
                 limit: int = Query(cfg.default_page_size, ge=1, le=cfg.max_page_size),
                 offset: int = Query(0, ge=0, le=1_000_000), _p: Principal = Depends(reader)) -> dict:
        start = None if since is None else parse_time(since, field="query.since")
        rows = book.messages(since=start, limit=limit + 1, offset=offset)
        return {**page([message_view(m) for m in rows], limit, offset), "at": iso(st.desk.clock())}

    @r.get("/messages/{message_id}", summary="One message and its acknowledgements")
    def one(message_id: int = MessageId, _p: Principal = Depends(reader)) -> dict:
        return message_view(book.message(message_id))

    @r.post("/ambassadors/{name}/messages/{message_id}/ack",
            summary="Acknowledge a message sent to me (again: the first acknowledgement is answered)")
    def ack(body: MessageAckBody, request: Request, name: str = AmbassadorName, message_id: int = MessageId,
            p: Principal = Depends(field_writer)) -> JSONResponse:
        p.require_ambassador(name)
        st.desk.unit(name)
        once = Once(st, request, p, body, status=200)
        if (replayed := once.replay()) is not None:
            return replayed
        now = st.desk.clock()
        at = now if body.at is None else min(st.desk.fix_policy.window.check(body.at, now=now, field="body.at"), now)
        msg = book.message(message_id)
        if not any(r.ambassador == name.strip() for r in msg.recipients):
            raise NotFoundError(f"message {message_id} was not sent to {name.strip()}", field="message_id")
        return once.run(
            lambda idem: book.acknowledge_message(message_id, name.strip(), at=at, actor=p.actor, idem=idem),
            lambda rec: {"recipient": rec.to_dict()})

    return r
