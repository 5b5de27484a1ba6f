"""Request bodies of the safety endpoints (SOS, "I'm OK", alerts, messages): :mod:`patrol.service.alerts` and
:mod:`patrol.service.messages`.  Like every body of the API (:mod:`patrol.service.schemas`), unknown keys are
refused and choices are listed in the OpenAPI document."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from patrol.dispatch.alerts import ALERT_ACTIONS, AUDIENCES, MAX_MESSAGE
from patrol.dispatch.rows import MAX_ID
from patrol.service.schemas import _AT, _Body

__all__ = ["AlertActionBody", "AlertNoteBody", "MessageAckBody", "MessageBody", "SafetyCheckBody", "SosBody"]

AlertAction = Literal[ALERT_ACTIONS]
Audience = Literal[AUDIENCES]


class SosBody(_Body):
    """An SOS from an ambassador's phone: its latest GPS fix if it has one (never refused for a bad fix: the last
    position the record knows is used instead)."""

    lat: float | None = Field(None, ge=-90, le=90)
    lon: float | None = Field(None, ge=-180, le=180)
    accuracy_m: float | None = Field(None, ge=0, le=100000)
    fix_at: datetime | None = Field(None, description="when the phone got that fix")
    note: str = Field("", max_length=2000)
    at: datetime | None = Field(None, description="when SOS was pressed, on the phone (queued presses keep it; a "
                                                  "time outside the service's window is replaced by the time received)")


class SafetyCheckBody(_Body):
    """An ambassador's "I'm OK" (the answer to the on-scene question, or at any time)."""

    incident_id: int | None = Field(None, ge=1, le=MAX_ID, description="the incident I am on scene at")
    lat: float | None = Field(None, ge=-90, le=90)
    lon: float | None = Field(None, ge=-180, le=180)
    at: datetime | None = Field(None, description=_AT)


class MessageAckBody(_Body):
    """An ambassador acknowledges a message."""

    at: datetime | None = Field(None, description=_AT)


class AlertNoteBody(_Body):
    """Acknowledge or resolve an alert, with an optional note."""

    note: str = Field("", max_length=2000)


class AlertActionBody(_Body):
    """A step of the desk on an alert."""

    action: AlertAction = Field(description="backup sent (assigns the unit to the alert's incident, opened at the "
                                            "SOS position when there is none), 911 called, note")
    ambassador: str | None = Field(None, min_length=1, max_length=100, description="backup sent: the unit to send")
    note: str = Field("", max_length=2000)


class MessageBody(_Body):
    """A message from the desk to ambassadors' phones."""

    text: str = Field(min_length=1, max_length=MAX_MESSAGE, examples=["Suspect: tall man, red jacket, heading "
                                                                      "west on Lake St from Hennepin"])
    to: Audience = Field(description="one (an ambassador or unit: `ambassador`), all on duty, or near (the units on "
                                     "duty within `radius_m` on foot of `location`)")
    ambassador: str | None = Field(None, min_length=1, max_length=100, description="to one: the ambassador or unit")
    location: str | None = Field(None, min_length=1, max_length=500, examples=["Lake & Hennepin"],
                                 description="near: the point (intersection, place, or 'lat,lon')")
    radius_m: float | None = Field(None, ge=25, le=5000, description="near: walking distance in metres "
                                                                     "(default alerts.message_radius_m)")
