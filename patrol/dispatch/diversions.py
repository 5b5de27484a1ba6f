"""The units the record says incidents took off the day's plan, and the re-plan made from them.

For each assignment made after the current plan version was made (``plan["made_at"]``: that version already
took the assignments up to its moment in; else from the start of the plan's day) and up to the re-plan's
moment: the unit left its plan at the assignment and is free again at the
incident's point when the incident was cleared; while it is not, when it is expected to end: the arrival plus
the expected minutes on scene of its type (``dispatch.on_scene_min``; before the arrival, the re-plan walks
it there at response speed first), and never before the re-plan's moment.  Only a unit's first assignment
counts (it is scheduled again from that one on; later ones keep it busy and are part of the next re-plan).

:func:`replan_from_record` is the one way the CLI (``patrol plan replan``), the service
(``POST /api/plan/replan``) and the simulated day (:mod:`patrol.dispatch.simulate`) re-plan.
"""

from __future__ import annotations

from datetime import datetime

from patrol.dispatch.clock import day_start, iso, local_minute, local_moment, parse_time
from patrol.dispatch.positions import engagements, on_own_streets, snapper
from patrol.dispatch.record import Record
from patrol.dispatch.roster import plan_units
from patrol.district import District
from patrol.planning.plan import DailyPlan
from patrol.planning.replan import Diversion, replan

__all__ = ["diversions", "logged_checkins", "replan_from_record"]


def diversions(record: Record, district: District, plan: dict, moment: datetime | str, *,
               district_key: str | None = None) -> list[Diversion]:
    """The plan's units taken away by incidents between the plan version's making and ``moment``.

    ``district_key``: the district's name in a program sharing the record; an incident of another district
    of the program is placed on this district's streets by its ``lat``/``lon`` (and left out when it is off
    them: :func:`~patrol.dispatch.positions.on_own_streets`).
    """
    tz = district.settings.district.timezone
    now = parse_time(moment)
    made = parse_time(plan["made_at"]) if plan.get("made_at") else None
    since = made if made is not None else day_start(now, tz)
    units = plan_units(plan) or {}
    unit_of = {m: u for u, members in units.items() for m in [u, *members]}
    out: dict[str, Diversion] = {}
    for e in on_own_streets(engagements(record, since, now), district_key, snapper(district.geocoder)):
        unit = next((unit_of[n] for n in e.names if n in unit_of), None)
        if unit is None or unit in out or e.block is None or (made is not None and e.assigned_at <= made):
            continue
        start = local_minute(e.assigned_at, tz)
        on_scene = district.settings.dispatch.on_scene(e.incident_type)
        if e.cleared_at is not None and e.cleared_at <= now:
            free, after_walk = local_minute(e.cleared_at, tz), 0.0
        elif e.arrived_at is not None and e.arrived_at <= now:
            free, after_walk = max(local_minute(now, tz), local_minute(e.arrived_at, tz) + on_scene), 0.0
        else:
            free, after_walk = local_minute(now, tz), on_scene
        out[unit] = Diversion(unit, start, free, e.block, e.offset_m, e.incident_id, after_walk)
    return list(out.values())


def logged_checkins(record: Record, district: District, plan: dict, moment: datetime | str) -> set[int]:
    """The businesses (district indices) the record has a check-in logged with on the plan's day, up to ``moment``."""
    tz = district.settings.district.timezone
    names = {b.name.strip().lower(): i for i, b in enumerate(district.businesses)}
    start = local_moment("00:00", tz, on=plan.get("date")) if plan.get("date") else day_start(parse_time(moment), tz)
    return {names[x.business.strip().lower()] for x in record.interactions(since=start, until=parse_time(moment),
                                                                           type="business check-in")
            if x.business and x.business.strip().lower() in names}


def replan_from_record(record: Record, district: District, plan: dict, moment: datetime | str, *, by: str = "",
                       why: str = "", district_key: str | None = None) -> DailyPlan:
    """A new version of ``plan`` from ``moment`` on, after the dispatches and check-ins the record holds.

    Parameters
    ----------
    record : Record
    district : District
        The plan's district.
    plan : dict
        The current version (plan.json content).
    moment : datetime or str
        The re-plan's moment (inside the plan's shift).
    by, why : str
        Who re-plans and why (kept with the version).
    district_key : str, optional
        The district's name in a program sharing the record (see :func:`diversions`).

    Returns
    -------
    DailyPlan
        The new version, ``made_at`` the moment (see :func:`patrol.planning.replan.replan`).

    Raises
    ------
    PlanError
        A time outside the shift.
    """
    now = parse_time(moment)
    tz = district.settings.district.timezone
    gone = diversions(record, district, plan, now, district_key=district_key)
    new = replan(district, plan, local_minute(now, tz), gone,
                 logged=logged_checkins(record, district, plan, now), by=by, why=why)
    new.made_at = iso(now)
    return new
