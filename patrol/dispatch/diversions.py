"""The units the record says incidents took off the day's plan: the input of a re-plan.

For each assignment made since the current plan version (``plan["made_at"]``, else the start of the plan's
day) and up to the re-plan's moment: the unit left its plan at the assignment and is free again at the
incident's point when the incident was cleared, or, while it is not, when it is expected to end: the arrival
(or, before it, the assignment) plus the expected minutes on scene of its type (``dispatch.on_scene_min``),
and never before the re-plan's moment.  Only a unit's first assignment counts (it is scheduled again from
that one on; later ones keep it busy and are part of the next re-plan).
"""

from __future__ import annotations

from datetime import datetime

from patrol.dispatch.clock import day_start, local_minute, parse_time
from patrol.dispatch.positions import engagements
from patrol.dispatch.record import Record
from patrol.dispatch.roster import plan_units
from patrol.district import District
from patrol.planning.replan import Diversion

__all__ = ["diversions"]


def diversions(record: Record, district: District, plan: dict, moment: datetime | str) -> list[Diversion]:
    """The plan's units taken away by incidents between the plan version's making and ``moment``."""
    tz = district.settings.district.timezone
    now = parse_time(moment)
    since = parse_time(plan["made_at"]) if plan.get("made_at") else day_start(now, tz)
    units = plan_units(plan) or {}
    unit_of = {m: u for u, members in units.items() for m in [u, *members]}
    out: dict[str, Diversion] = {}
    for e in engagements(record, since, now):
        unit = next((unit_of[n] for n in e.names if n in unit_of), None)
        if unit is None or unit in out or e.block is None:
            continue
        start = local_minute(e.assigned_at, tz)
        if e.cleared_at is not None and e.cleared_at <= now:
            free = local_minute(e.cleared_at, tz)
        else:
            began = e.arrived_at if e.arrived_at is not None and e.arrived_at <= now else e.assigned_at
            free = max(local_minute(now, tz), local_minute(began, tz) + district.settings.dispatch.on_scene(
                e.incident_type))
        out[unit] = Diversion(unit, start, free, e.block, e.offset_m, e.incident_id)
    return list(out.values())
