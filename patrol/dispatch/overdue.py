"""Overdue alerts, found from the record and the clock alone (no timer waits anywhere).

The service asks "what is overdue now?" whenever the console polls (``GET /api/alerts``), with "now" from its
clock; the answer depends only on the record and that moment, so a test moves the clock instead of waiting,
and every alert found is recorded once (:meth:`patrol.dispatch.alerts.SafetyLog.raise_due`, by its ``basis``).
Rules, with ``[alerts]`` of ``district.toml`` (:class:`patrol.settings.Alerts`):

On-scene check-in (``check-in overdue``)
    A unit on scene (its assignment has ``arrived_at`` and is not cleared; assignments made in the last 24 hours)
    is asked "are you OK?" ``checkin_after_min`` after it arrived, or after its latest "I'm OK" since, whichever
    is later (:class:`OnSceneCheck`).  Unanswered ``checkin_answer_min`` after the question, the alert falls due
    (``raised_at``): one alert per question (``basis`` names the assignment and the moment it was asked).
    Answering later starts the next round from the answer.
No ping (``no ping``)
    A unit whose duty status (:mod:`patrol.dispatch.roster`) is not *off duty* and whose latest **sign of life**
    today is ``no_ping_min`` old or older: the alert falls due ``no_ping_min`` after that sign (``basis`` names the
    unit and the sign's time, so a unit that shows life and falls silent again raises a new one).  A sign of life
    is anything the record has from the unit or a member since the local midnight: a position ping (by its fix
    time), a logged interaction, a duty change, a step on an assignment (accepted, on my way, I'm there), an
    "I'm OK", an acknowledged message, an SOS.  A unit with no sign at all today (its phone never came on) raises
    nothing: the console's unit list shows it without a position.

Both alerts carry what is known: the last position (the incident's point when on scene, else where the record
places the unit, :mod:`patrol.dispatch.positions`), the last sign of life and what it was, the plan's activity,
the incident.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from patrol.dispatch.alerts import NewAlert
from patrol.dispatch.clock import day_start, iso, parse_time
from patrol.dispatch.positions import Position, UnitState
from patrol.dispatch.record import Record
from patrol.dispatch.roster import Unit
from patrol.settings import Alerts

__all__ = ["OnSceneCheck", "Sign", "find_overdue", "on_scene_checks", "signs_of_life"]

#: Assignments older than this are not asked about (a forgotten open assignment does not ask for days).
CHECK_WINDOW = timedelta(hours=24)


@dataclass(frozen=True)
class OnSceneCheck:
    """The "are you OK?" round of one unit on scene.

    Attributes
    ----------
    unit : str
    assignment_id, incident_id : int
    arrived_at : datetime
    answered_at : datetime or None
        The unit's latest "I'm OK" since it arrived (up to the moment asked about).
    asked_at : datetime
        When the question is (or was) put: ``checkin_after_min`` after the later of the two.
    due_at : datetime
        When an unanswered question becomes an alert: ``checkin_answer_min`` after ``asked_at``.
    """

    unit: str
    assignment_id: int
    incident_id: int
    arrived_at: datetime
    answered_at: datetime | None
    asked_at: datetime
    due_at: datetime

    def asking(self, moment: datetime) -> bool:
        """Whether the question is put at ``moment``."""
        return self.asked_at <= moment

    def overdue(self, moment: datetime) -> bool:
        """Whether it is unanswered past its time at ``moment``."""
        return self.due_at <= moment

    @property
    def basis(self) -> str:
        """What its alert is about (unique per question)."""
        return f"assignment {self.assignment_id} asked {iso(self.asked_at)}"

    def to_dict(self, moment: datetime) -> dict[str, Any]:
        return {"unit": self.unit, "assignment_id": self.assignment_id, "incident_id": self.incident_id,
                "arrived_at": iso(self.arrived_at),
                "answered_at": None if self.answered_at is None else iso(self.answered_at),
                "asked_at": iso(self.asked_at), "due_at": iso(self.due_at), "asking": self.asking(moment),
                "overdue": self.overdue(moment)}


@dataclass(frozen=True)
class Sign:
    """A sign of life: when, and what it was (plain words)."""

    at: datetime
    what: str


def on_scene_checks(record: Record, moment: datetime, rules: Alerts, *,
                    units: Iterable[str] | None = None) -> list[OnSceneCheck]:
    """The "are you OK?" round of every unit on scene at ``moment`` (of some units), by assignment id."""
    t = iso(moment)
    rows = record.query("SELECT id, incident_id, ambassador, arrived_at FROM assignments WHERE arrived_at IS NOT NULL "
                        "AND arrived_at<=? AND assigned_at>=? AND (cleared_at IS NULL OR cleared_at>?) ORDER BY id",
                        (t, iso(moment - CHECK_WINDOW), t))
    wanted = None if units is None else set(units)
    rows = [r for r in rows if wanted is None or r["ambassador"] in wanted]
    if not rows:
        return []
    names = sorted({str(r["ambassador"]) for r in rows})
    answers: dict[str, list[datetime]] = {n: [] for n in names}
    since = min(str(r["arrived_at"]) for r in rows)
    for r in record.query(f"SELECT unit, at FROM safety_checks WHERE unit IN ({','.join('?' * len(names))}) "
                          "AND at>=? AND at<=? ORDER BY at", (*names, since, t)):
        answers[str(r["unit"])].append(parse_time(r["at"]))
    after, answer = timedelta(minutes=rules.checkin_after_min), timedelta(minutes=rules.checkin_answer_min)
    out = []
    for r in rows:
        arrived = parse_time(r["arrived_at"])
        mine = [a for a in answers[str(r["ambassador"])] if a >= arrived]
        last = mine[-1] if mine else None
        asked = (last or arrived) + after
        out.append(OnSceneCheck(str(r["ambassador"]), int(r["id"]), int(r["incident_id"]), arrived, last, asked,
                                asked + answer))
    return out


#: Where the signs of life are, and how each reads: ``(sql, words)``; each SQL gives ``name, at, what`` rows of
#: the names given (``{names}``) between two times (``?``, ``?``), the latest per name.
_SIGNS: tuple[tuple[str, str], ...] = (
    ("SELECT ambassador AS name, max(t) AS at, '' AS what FROM pings WHERE ambassador IN ({names}) AND t>=? AND t<=? "
     "GROUP BY ambassador", "position ping"),
    ("SELECT ambassador AS name, max(at) AS at, type AS what FROM interactions WHERE ambassador IN ({names}) "
     "AND at>=? AND at<=? GROUP BY ambassador", "logged {what}"),
    ("SELECT ambassador AS name, max(at) AS at, status AS what FROM duty WHERE ambassador IN ({names}) "
     "AND at>=? AND at<=? GROUP BY ambassador", "duty set to {what}"),
    ("SELECT ambassador AS name, max(accepted_at) AS at, '' AS what FROM assignments WHERE ambassador IN ({names}) "
     "AND accepted_at>=? AND accepted_at<=? GROUP BY ambassador", "accepted an assignment"),
    ("SELECT ambassador AS name, max(en_route_at) AS at, '' AS what FROM assignments WHERE ambassador IN ({names}) "
     "AND en_route_at>=? AND en_route_at<=? GROUP BY ambassador", "on the way to an incident"),
    ("SELECT ambassador AS name, max(arrived_at) AS at, '' AS what FROM assignments WHERE ambassador IN ({names}) "
     "AND arrived_at>=? AND arrived_at<=? GROUP BY ambassador", "arrived on scene"),
    ("SELECT ambassador AS name, max(at) AS at, '' AS what FROM safety_checks WHERE ambassador IN ({names}) "
     "AND at>=? AND at<=? GROUP BY ambassador", "answered \"I'm OK\""),
    ("SELECT ambassador AS name, max(acknowledged_at) AS at, '' AS what FROM message_recipients "
     "WHERE ambassador IN ({names}) AND acknowledged_at>=? AND acknowledged_at<=? GROUP BY ambassador",
     "acknowledged a message"),
    ("SELECT ambassador AS name, max(raised_at) AS at, '' AS what FROM alerts WHERE kind='sos' AND "
     "ambassador IN ({names}) AND raised_at>=? AND raised_at<=? GROUP BY ambassador", "pressed SOS"),
)


def signs_of_life(record: Record, names: Sequence[str], since: datetime, until: datetime) -> dict[str, Sign]:
    """Each name's latest sign of life in ``[since, until]`` (names without one are left out)."""
    names = sorted(set(names))
    if not names:
        return {}
    out: dict[str, Sign] = {}
    marks = ",".join("?" * len(names))
    for sql, words in _SIGNS:
        for r in record.query(sql.format(names=marks), (*names, iso(since), iso(until))):
            if r["at"] is None:
                continue
            at = parse_time(r["at"])
            have = out.get(str(r["name"]))
            if have is None or at > have.at:
                out[str(r["name"])] = Sign(at, words.format(what=r["what"]))
    return out


def _position(pos: Position | None, moment: datetime) -> dict[str, Any] | None:
    if pos is None:
        return None
    at = moment if pos.age_min is None or pos.source not in ("ping", "stale ping") else \
        moment - timedelta(minutes=pos.age_min)
    return {"lat": pos.lat, "lon": pos.lon, "block": pos.block, "offset_m": pos.offset_m, "at": iso(at),
            "source": pos.source}


def find_overdue(record: Record, situation: Sequence[UnitState], moment: datetime, rules: Alerts, tz: str
                 ) -> list[NewAlert]:
    """The overdue alerts at ``moment`` (recorded or not: :meth:`SafetyLog.raise_due` keeps the new ones).

    Parameters
    ----------
    record : Record
    situation : list of UnitState
        Every unit's duty status and position at ``moment`` (:meth:`patrol.dispatch.desk.Desk.situation`).
    moment : datetime
    rules : Alerts
    tz : str
        The district's time zone (a sign of life counts from the local midnight).
    """
    units: dict[str, UnitState] = {s.unit.name: s for s in situation}
    names = [n for s in situation for n in s.unit.names()]
    signs = signs_of_life(record, names, day_start(moment, tz), moment)
    out: list[NewAlert] = []
    for chk in on_scene_checks(record, moment, rules, units=units):
        if not chk.overdue(moment):
            continue
        state = units[chk.unit]
        inc = record.get_incident(chk.incident_id)
        last = _latest(state.unit, signs)
        detail = {"incident": {"id": inc.id, "type": inc.type, "where": inc.matched or inc.location_text},
                  "arrived_at": iso(chk.arrived_at), "asked_at": iso(chk.asked_at),
                  "answered_at": None if chk.answered_at is None else iso(chk.answered_at),
                  "status": state.status,
                  "last_sign": None if last is None else {"at": iso(last.at), "what": last.what}}
        where = {"lat": inc.lat, "lon": inc.lon, "block": inc.block, "offset_m": inc.offset_m,
                 "at": iso(chk.arrived_at), "source": "on scene"} if inc.lat is not None else \
            _position(state.position, moment)
        out.append(NewAlert("check-in overdue", chk.unit, chk.unit, iso(chk.due_at), chk.basis, inc.id, where,
                            detail))
    silence = timedelta(minutes=rules.no_ping_min)
    for state in situation:
        if state.status == "off duty":
            continue
        last = _latest(state.unit, signs)
        if last is None or moment - last.at < silence:
            continue
        pos = state.position
        detail = {"last_sign": {"at": iso(last.at), "what": last.what}, "status": state.status,
                  "status_source": state.status_source,
                  "activity": None if pos is None else pos.activity}
        out.append(NewAlert("no ping", state.unit.name, state.unit.name, iso(last.at + silence),
                            f"{state.unit.name} silent since {iso(last.at)}",
                            None if pos is None else pos.incident_id, _position(pos, moment), detail))
    return out


def _latest(unit: Unit, signs: dict[str, Sign]) -> Sign | None:
    found = [signs[n] for n in unit.names() if n in signs]
    return max(found, key=lambda s: s.at) if found else None
