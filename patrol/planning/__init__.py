"""The daily patrol plan: one pipeline, its modules named in the order the data flows through them.

``model`` (the records) -> ``duties`` (units, due check-ins, hot spots, the day's input) -> ``breaks``
(staggered break slots) -> ``segments`` (the corridor cut into stretches) -> ``assign`` (check-ins and area
blocks shared among units) -> ``tours`` (each unit's area blocks as one tour) -> ``scheduler`` (the shift,
corner by corner) -> ``repair`` (spare time traded for leftovers and even walking) -> ``score`` (the
planner's own tallies) -> ``variants`` (which schedules are tried) -> ``plan`` (:func:`plan_day`,
:func:`plan_week`) -> ``export`` (plan.json, GeoJSON, GPX, sheets, map) and ``check`` (the independent
checker, which imports nothing from the planner).
"""

from patrol.planning.check import check_plan
from patrol.planning.duties import checkins_due
from patrol.planning.event_duty import plan_events
from patrol.planning.export import write_outputs
from patrol.planning.plan import SCHEMA, DailyPlan, plan_day, plan_week

__all__ = ["SCHEMA", "DailyPlan", "check_plan", "checkins_due", "plan_day", "plan_events", "plan_week", "write_outputs"]
