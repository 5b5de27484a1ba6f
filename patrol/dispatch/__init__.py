"""Dispatch: who is nearest to an incident, and the incident record.

Modules
-------
network     exact walking distances and routes between points on blocks (Numba Dijkstra)
positions   where each unit is: what the record says (en route, on scene, after an incident), a fresh ping,
            else the day's plan
roster      responding units (ambassadors or pairs) and their duty status
cost        what sending a unit costs the plan (corridor gaps, check-ins, breaks)
escorts     safety escorts in the record: their own kind, life cycle and outcomes; as engagements for positions
escort_desk an escort's walk from A to B, who can reach A soonest (with the cost to the plan), the writes
ranking     rank available units by ETA (optionally cost within a tolerance), with deterministic ties
lifecycle   the incident status life cycle
schema      the versioned SQLite schema
record      the durable incident record (SQLite, WAL, group commit, audit trail)
rows        the record's rows as frozen dataclasses
idempotency writes made at most once per client key, the first answer stored with them
fixes       which GPS fixes can be stored (one by one, with the reason)
clock       timestamps of the record and the plan's local clock; the clock tests and benchmarks shift
desk        district + record + plan: what the CLI and the HTTP service call
alerts      ambassadors' safety in the record: SOS and overdue alerts, "I'm OK", messages and acknowledgements
overdue     the overdue alerts due at a moment, from the record and the clock (on-scene check-in, no ping)
"""

from patrol.dispatch.clock import iso, local_moment, parse_time
from patrol.dispatch.cost import DispatchCost, PlanCosts
from patrol.dispatch.desk import Desk
from patrol.dispatch.lifecycle import OPEN_STATUSES, TRANSITIONS, check_transition
from patrol.dispatch.network import DistanceField, Network, Route
from patrol.dispatch.positions import Engagement, Position, UnitState
from patrol.dispatch.ranking import Candidate, Ranking, rank_units
from patrol.dispatch.record import (
    DUTY_STATUSES,
    Assignment,
    AuditEntry,
    DutyChange,
    Incident,
    Interaction,
    OutcomeEntry,
    Ping,
    Record,
    StatusChange,
)
from patrol.dispatch.roster import Unit, plan_units, roster_units

__all__ = [
    "DUTY_STATUSES", "OPEN_STATUSES", "TRANSITIONS", "Assignment", "AuditEntry", "Candidate", "Desk",
    "DispatchCost", "DistanceField", "DutyChange", "Engagement", "Incident", "Interaction", "Network",
    "OutcomeEntry", "Ping", "PlanCosts", "Position", "Ranking", "Record", "Route", "StatusChange", "Unit",
    "UnitState", "check_transition", "iso", "local_moment", "parse_time", "plan_units", "rank_units",
    "roster_units",
]
