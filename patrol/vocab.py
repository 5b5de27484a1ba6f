"""The program's vocabularies: incident types, sources, outcomes, actions, interactions.

Taken from the Community Safety Ambassador Pilot description (City of Minneapolis): its "Top 10
Incident Types", "Top 10 Outcomes" and "Top 10 Actions Taken" of the Lake St / Franklin Ave
ambassadors (14,094 incidents, 25,345 interactions), and its list of success measures.  The counts
are kept: the coverage Monte Carlo draws its incident type mix from them.
"""

from __future__ import annotations

__all__ = [
    "INCIDENT_TYPE_COUNTS",
    "INCIDENT_TYPES",
    "DISPATCHABLE_TYPES",
    "ROUTINE_TYPES",
    "LIVABILITY_TYPES",
    "SOURCES",
    "PRIORITIES",
    "STATUSES",
    "OUTCOMES",
    "ACTIONS",
    "REFERRAL_TYPES",
    "INTERACTION_TYPES",
    "check_choice",
]

#: Incident types and their counts in the program's early results (Lake St and Franklin Ave).
INCIDENT_TYPE_COUNTS: dict[str, int] = {
    "disturbance": 51,
    "mental health": 17,
    "neighborhood support": 13891,
    "non-permitted solicitation": 16,
    "obstruction": 48,
    "open substance use": 16,
    "safety and wellness": 152,
    "sleeping": 52,
    "traffic incidents": 18,
    "verbal aggression": 25,
}
#: Every incident type accepted by the record ("other" for anything else).
INCIDENT_TYPES: tuple[str, ...] = (*INCIDENT_TYPE_COUNTS, "other")
#: Routine neighbourhood support: logged during patrol, not dispatched.
ROUTINE_TYPES: frozenset[str] = frozenset({"neighborhood support"})
#: Types a dispatcher sends an ambassador to.
DISPATCHABLE_TYPES: tuple[str, ...] = tuple(t for t in INCIDENT_TYPES if t not in ROUTINE_TYPES)
#: Livability issues (the outcome "share resolved within a target time" is about these).
LIVABILITY_TYPES: frozenset[str] = frozenset(
    {"obstruction", "sleeping", "open substance use", "non-permitted solicitation", "traffic incidents"}
)

SOURCES: tuple[str, ...] = ("phone", "camera", "911", "311", "walk-up", "patrol")
PRIORITIES: tuple[str, ...] = ("low", "normal", "high", "urgent")
#: Incident life cycle, in order.
STATUSES: tuple[str, ...] = ("new", "assigned", "en route", "on scene", "resolved", "closed")

#: Outcomes (the program's "Top 10 Outcomes", plus de-escalation results and "other").
OUTCOMES: tuple[str, ...] = (
    "assessing current wellbeing",
    "check-in with neighborhood",
    "engage with merchants",
    "help residents with directions",
    "information sharing",
    "provide assistance",
    "referral to shelter",
    "safety escorts",
    "share outreach material",
    "will need a follow-up",
    "tensions de-escalated",
    "tensions not de-escalated",
    "resolved",
    "unable to locate",
    "other",
)
#: Actions taken (the program's "Top 10 Actions Taken", plus graffiti, hazards and referrals by type).
ACTIONS: tuple[str, ...] = (
    "basic first aid",
    "business checks",
    "calls to 311",
    "calls to 911",
    "de-escalations",
    "directions and wayfinding",
    "overdose response",
    "safety escorts",
    "service referrals",
    "wellness checks",
    "graffiti removed",
    "graffiti reported",
    "hazard reported",
    "other",
)
#: Referral types (outputs: "number of referrals made by ambassadors, by type").
REFERRAL_TYPES: tuple[str, ...] = (
    "shelter", "mental health", "substance use", "food", "medical", "youth services", "social services", "other",
)
#: Ambassadors' logged interactions (outputs: interactions with community members and businesses by type).
INTERACTION_TYPES: tuple[str, ...] = (
    "business check-in",
    "business engagement",
    "community check-in",
    "information sharing",
    "directions and wayfinding",
    "outreach material shared",
    "referral",
    "safety escort",
    "wellness check",
    "graffiti removed",
    "graffiti reported",
    "hazard reported",
    "911 call",
    "311 report",
    "other",
)


def check_choice(value: str, choices: tuple[str, ...] | frozenset[str], field: str) -> str:
    """Return ``value`` normalized (stripped, lower case) if it is one of ``choices``.

    Raises
    ------
    InputError
        Naming the field and the accepted values.
    """
    from patrol.errors import InputError

    v = str(value).strip().lower()
    if v not in choices:
        raise InputError(f"{field}: {value!r} is not one of: {', '.join(sorted(choices))}", field=field)
    return v
