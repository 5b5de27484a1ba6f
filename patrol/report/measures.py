"""The program's measures of success, as pure functions over rows (see ``docs/report.md``).

Each function takes plain lists of dicts (what :mod:`patrol.report.queries` returns, or what a test
writes by hand) and returns one or more :class:`Measure`: a value with its unit, ``n`` (the records
it is based on), its ``source`` and, when it cannot be computed, ``value=None`` and a ``needs`` text
naming the missing data.

Counting an event recorded twice
    The same safety escort (or 911 call, referral, ...) may be recorded as an action or outcome on an
    incident *and* as an interaction logged against that incident.  For each incident the count is
    the largest number of matching entries of any one kind (outcomes, actions, referrals, linked
    interactions); interactions not linked to an incident count one each.  ``n`` counts every row read.
"""

from __future__ import annotations

import logging
import math
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from patrol.vocab import LIVABILITY_TYPES, REFERRAL_TYPES

__all__ = [
    "BUSINESS_TYPES",
    "FEW_RECORDS",
    "LABELS",
    "NON_PERSON_TYPES",
    "Measure",
    "business_feels_safer",
    "checkins",
    "community_satisfaction",
    "count_events",
    "deescalation_share",
    "few_records",
    "event_measures",
    "fte",
    "history_change",
    "interactions_by_audience",
    "materials_by_kind",
    "livability_resolved",
    "message_measures",
    "minutes_between",
    "referrals_by_type",
    "response_per_fte",
    "response_times",
    "safety_escorts",
    "safety_measures",
    "summary_stats",
]

log = logging.getLogger(__name__)

#: Interaction types that are with a business even when no business is named.
BUSINESS_TYPES = frozenset({"business check-in", "business engagement"})
#: Interaction types that are not with a person (left out of "interactions with community members").
NON_PERSON_TYPES = frozenset({"graffiti removed", "graffiti reported", "hazard reported"})
_TENSIONS = ("tensions de-escalated", "tensions not de-escalated")

#: A figure based on fewer records than this is shown with a caution.  Below 30 records the 95 % interval of a
#: share is wider than +/- 18 points (1.96 * sqrt(0.25 / 30)), and one record more or less moves an average or a
#: count between periods by a visible step: read such figures as an indication, not a trend.
FEW_RECORDS = 30

#: Plain words for the keys of :attr:`Measure.extra` and the extra columns of :attr:`Measure.breakdown`, in the
#: program's own terms (the report never prints an internal key).
LABELS: dict[str, str] = {
    # presence
    "estimated": "partly estimated from plans",
    "gap_min": "longest gap between two pings still counted as presence (min)",
    "days_measured": "days measured from pings",
    "days_planned": "days taken from plans (estimated)",
    # business check-ins
    "planned": "check-ins planned",
    "planned_source": "planned from",
    "completion_pct": "planned check-ins done (%)",
    "businesses_planned": "businesses with a check-in planned",
    "businesses_visited": "businesses checked in with",
    # de-escalation
    "de_escalated": "incidents where tensions were de-escalated",
    "not_de_escalated": "incidents where tensions were not de-escalated",
    "intervention_without_result": "de-escalation attempts with no result recorded (not counted)",
    # response times
    "mean": "average (min)",
    "median": "median (min)",
    "p90": "9 in 10 incidents within (min)",
    "min": "fastest (min)",
    "max": "slowest (min)",
    "ambassadors": "ambassadors who responded",
    "call_to_scene_min": "call to on scene, average (min)",
    # per FTE
    "scheduled_hours": "scheduled ambassador-hours",
    "shift_weeks": "shift weeks",
    "fte": "full-time equivalents (FTE, 40 h a week)",
    # livability
    "default_target_min": "target for other types (min from the call)",
    "targets_min": "targets by type (min from the call)",
    "within": "resolved within the target (incidents)",
    "target_min": "target (min from the call)",
    # ambassadors' safety
    "acknowledged": "acknowledged",
    "not_acknowledged": "not acknowledged (yet)",
    "backup_sent": "with backup sent",
    "called_911": "with 911 called",
    "resolved": "resolved",
    "recipients": "recipients (one per ambassador and message)",
    "acknowledged_pct": "recipients who acknowledged (%)",
    "ack_median_min": "to acknowledgement, median (min)",
    "ack_p90_min": "9 in 10 acknowledged within (min)",
    # surveys
    "positive": "positive answers",
    "threshold": "lowest rating counted as positive (1 to 5)",
    "feel_safer": "businesses that feel safer",
    "responses": "survey answers (a business's latest answer counts)",
    # safety escorts
    "total_min": "time escorting, in total (min)",
    "mean_min": "time escorting, on average (min)",
    # incident history
    "current": "incidents in this period",
    "previous": "incidents in the previous period",
    "previous_from": "previous period from",
    "previous_to": "previous period to",
    "change_pct": "change (%)",
}


@dataclass
class Measure:
    """One figure of the report.

    Attributes
    ----------
    name : str
        Stable identifier (CSV/JSON key).
    title : str
        The program's wording.
    kind : str
        ``output`` or ``outcome``.
    value : float, int or None
        ``None`` when it cannot be computed (see ``needs``).
    unit : str
    n : int
        How many records the value is based on.
    source : str
        ``record``, ``pings``, ``plan (estimated)``, ``survey``, ``history``, ...
    definition : str
        How it is computed, in one or two sentences (printed in the report).
    needs : str or None
        What data would make it computable.
    breakdown : list of dict
        Rows ``{"key": ..., "value": ..., "n": ...}`` (and extra columns) by type, business, ...
    extra : dict
        Further numbers (median, planned total, counts behind a share, ...).
    key_label, value_label : str
        Headings of the breakdown's ``key`` and ``value`` columns in plain words (other columns: :data:`LABELS`).
    """

    name: str
    title: str
    kind: str
    value: float | int | None
    unit: str
    n: int
    source: str
    definition: str = ""
    needs: str | None = None
    breakdown: list[dict[str, Any]] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    key_label: str = ""
    value_label: str = ""

    @property
    def computed(self) -> bool:
        return self.value is not None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def few_records(m: Measure) -> bool:
    """Whether a computed figure rests on fewer than :data:`FEW_RECORDS` records (shown with a caution)."""
    return m.value is not None and m.n < FEW_RECORDS


def _missing(name: str, title: str, kind: str, unit: str, source: str, needs: str, definition: str = "",
             n: int = 0, **extra) -> Measure:
    return Measure(name, title, kind, None, unit, n, source, definition, needs, extra=extra)


def _pct(num: float, den: float) -> float:
    return round(100.0 * num / den, 2)


def minutes_between(t0: str, t1: str) -> float:
    """Minutes from ``t0`` to ``t1`` (ISO-8601 texts, the record's ``Z`` form accepted)."""
    a = datetime.fromisoformat(t0.replace("Z", "+00:00"))
    b = datetime.fromisoformat(t1.replace("Z", "+00:00"))
    return (b - a).total_seconds() / 60.0


def summary_stats(values: Iterable[float]) -> dict[str, float | int | None]:
    """``n, mean, median, p90, min, max`` of a list (rounded to 0.01; ``None`` when empty)."""
    v = sorted(float(x) for x in values)
    if not v:
        return {"n": 0, "mean": None, "median": None, "p90": None, "min": None, "max": None}
    def q(p: float) -> float:  # linear interpolation, like numpy's default
        pos = p * (len(v) - 1)
        lo = math.floor(pos)
        hi = min(lo + 1, len(v) - 1)
        return v[lo] + (v[hi] - v[lo]) * (pos - lo)
    return {"n": len(v), "mean": round(sum(v) / len(v), 2), "median": round(q(0.5), 2), "p90": round(q(0.9), 2),
            "min": round(v[0], 2), "max": round(v[-1], 2)}


def _in(at: str, since: str, until: str) -> bool:
    return since <= at < until


# ---------------------------------------------------------------------------------------- outputs
def count_events(interactions: list[dict], outcomes: list[dict]) -> tuple[int, int]:
    """``(events, records)`` from matching interaction and outcome rows (see the module docstring)."""
    unlinked = 0
    per: dict[int, Counter] = defaultdict(Counter)
    for r in interactions:
        if r.get("incident_id") is None:
            unlinked += 1
        else:
            per[int(r["incident_id"])]["interaction"] += 1
    for r in outcomes:
        per[int(r["incident_id"])][r["kind"]] += 1
    return unlinked + sum(max(c.values()) for c in per.values()), len(interactions) + len(outcomes)


def _select(interactions, outcomes, types: set[str], items: set[tuple[str, str]], since: str, until: str):
    ints = [r for r in interactions if r["type"] in types and _in(r["at"], since, until)]
    outs = [r for r in outcomes if (r["kind"], r["value"]) in items and _in(r["at"], since, until)]
    return ints, outs


#: Output measures counted from interactions and incident actions/outcomes:
#: name -> (title, unit, {key: (interaction types, {(outcome kind, value)})}).
_EVENTS: dict[str, tuple[str, str, dict[str, tuple[set[str], set[tuple[str, str]]]]]] = {
    "graffiti": ("Number of graffiti tags removed/reported", "entries",
                 {"removed": ({"graffiti removed"}, {("action", "graffiti removed")}),
                  "reported": ({"graffiti reported"}, {("action", "graffiti reported")})}),
    "calls_911": ("Number of emergency calls to 911", "calls",
                  {"911 calls": ({"911 call"}, {("action", "calls to 911")})}),
    "reports_311": ("Number of 311 reports facilitated by Safety Ambassadors", "reports",
                    {"311 reports": ({"311 report"}, {("action", "calls to 311")})}),
    "hazards_reported": ("Number of hazards reported to the City by Safety Ambassadors", "reports",
                         {"hazards": ({"hazard reported"}, {("action", "hazard reported")})}),
}


def event_measures(interactions: list[dict], outcomes: list[dict], since: str, until: str) -> list[Measure]:
    """Graffiti removed/reported, 911 calls, 311 reports and hazards reported (safety escorts: :func:`safety_escorts`).

    Interactions of the matching type logged in ``[since, until)`` plus the matching actions (and the
    outcome ``safety escorts``) recorded on incidents in that range, counted once per incident.
    """
    out = []
    for name, (title, unit, keys) in _EVENTS.items():
        rows, total, n = [], 0, 0
        for key, (types, items) in keys.items():
            ints, outs = _select(interactions, outcomes, types, items, since, until)
            c, k = count_events(ints, outs)
            rows.append({"key": key, "value": c, "n": k})
            total, n = total + c, n + k
        definition = ("interactions logged as " + " / ".join(sorted(t for v in keys.values() for t in v[0])) +
                      ", plus incident actions " + " / ".join(sorted({v for x in keys.values() for _, v in x[1]})) +
                      "; an event recorded both ways on one incident counts once")
        if name == "graffiti":
            definition += "; counts logged entries (the record has no tag count per entry)"
        out.append(Measure(name, title, "output", total, unit, n, "record", definition,
                           breakdown=rows if len(rows) > 1 else [], key_label="graffiti tags", value_label=unit))
    return out


def safety_escorts(interactions: list[dict], outcomes: list[dict], escorts: list[dict], since: str,
                   until: str) -> Measure:
    """Safety escort services provided: the record's escorts, plus escorts logged in words.

    An escort of the record (table ``escorts``) counts when it was provided (started and done) with its start in
    ``[since, until)``; its time is ``ended_at - started_at``.  Escorts recorded only as words count too:
    interactions ``safety escort`` and incident actions/outcomes ``safety escorts``, once per incident (see the
    module docstring).  ``extra``: the recorded escorts' total and average minutes.
    """
    done = [r for r in escorts if r.get("status") == "done" and r.get("started_at") and r.get("ended_at")
            and _in(r["started_at"], since, until)]
    minutes = [minutes_between(r["started_at"], r["ended_at"]) for r in done]
    ints, outs = _select(interactions, outcomes, {"safety escort"},
                         {("action", "safety escorts"), ("outcome", "safety escorts")}, since, until)
    logged, k = count_events(ints, outs)
    total = round(sum(minutes), 2)
    rows = [{"key": "escorts recorded (dispatched or walk-up)", "value": len(done), "n": len(done),
             "total_min": total},
            {"key": "logged as interactions or incident actions", "value": logged, "n": k}]
    extra: dict[str, Any] = {"total_min": total, "mean_min": round(total / len(done), 2) if done else None}
    return Measure("safety_escorts", "Number of safety escort services provided", "output", len(done) + logged,
                   "escorts", len(done) + k, "record",
                   "escorts recorded as escorts that were started and finished (their time: start to end), plus "
                   "interactions 'safety escort' and incident actions/outcomes 'safety escorts' (once per incident); "
                   "an escort both recorded and logged in words counts twice",
                   breakdown=rows, extra=extra, key_label="recorded as", value_label="escorts")


def materials_by_kind(handouts: list[dict], since: str, until: str) -> Measure:
    """Written materials handed out, by kind: the counts given with logged interactions in ``[since, until)``."""
    rows = [r for r in handouts if _in(r["at"], since, until)]
    counts: Counter = Counter()
    entries: Counter = Counter()
    for r in rows:
        counts[r["kind"]] += int(r["count"])
        entries[r["kind"]] += 1
    breakdown = [{"key": k, "value": counts[k], "n": entries[k]} for k in sorted(counts, key=lambda k: (-counts[k], k))]
    return Measure("materials", "Written materials handed out by ambassadors, by kind", "output",
                   sum(counts.values()), "materials", len(rows), "record",
                   "materials named when ambassadors logged a referral or information sharing (the count given), "
                   "by the kind in the district's list (materials.toml)", breakdown=breakdown,
                   key_label="kind of material", value_label="handed out")


def referrals_by_type(interactions: list[dict], outcomes: list[dict], since: str, until: str) -> Measure:
    """Referrals by type: ``referral`` interactions and incident referrals, once per incident and type.

    An incident's ``service referrals`` actions beyond its typed referrals count as ``unspecified``.
    """
    rows, total, n = [], 0, 0
    typed_per_incident: Counter = Counter()
    for t in REFERRAL_TYPES:
        ints = [r for r in interactions if r["type"] == "referral" and r.get("referral_type") == t
                and _in(r["at"], since, until)]
        outs = [r for r in outcomes if r["kind"] == "referral" and r["value"] == t and _in(r["at"], since, until)]
        c, k = count_events(ints, outs)
        per: dict[int, Counter] = defaultdict(Counter)
        for r in ints:
            if r.get("incident_id") is not None:
                per[int(r["incident_id"])]["i"] += 1
        for r in outs:
            per[int(r["incident_id"])]["o"] += 1
        for iid, cnt in per.items():
            typed_per_incident[iid] += max(cnt.values())
        rows.append({"key": t, "value": c, "n": k})
        total, n = total + c, n + k
    actions = Counter(int(r["incident_id"]) for r in outcomes
                      if r["kind"] == "action" and r["value"] == "service referrals" and _in(r["at"], since, until))
    unspecified = sum(max(0, c - typed_per_incident.get(iid, 0)) for iid, c in actions.items())
    if actions:
        rows.append({"key": "unspecified", "value": unspecified, "n": sum(actions.values())})
        total, n = total + unspecified, n + sum(actions.values())
    return Measure("referrals", "Number of referrals made by ambassadors, by type", "output", total, "referrals",
                   n, "record",
                   "interactions of type 'referral' (with their referral type) plus referrals recorded on incidents, "
                   "once per incident and type; 'service referrals' actions without a typed referral count as "
                   "'unspecified'", breakdown=rows, key_label="referral type", value_label="referrals")


def interactions_by_audience(interactions: list[dict], since: str, until: str) -> list[Measure]:
    """Interactions with community members and with businesses, by type.

    With a business: a business is named, or the type is a business check-in/engagement.  With
    community members: every other interaction except graffiti and hazard reports (not with a person).
    """
    rows = [r for r in interactions if _in(r["at"], since, until)]
    biz = [r for r in rows if (r.get("business") or "").strip() or r["type"] in BUSINESS_TYPES]
    com = [r for r in rows if not ((r.get("business") or "").strip() or r["type"] in BUSINESS_TYPES)
           and r["type"] not in NON_PERSON_TYPES]
    out = []
    for name, title, sel, definition in (
        ("community_interactions", "Number of interactions ambassadors have with community members by type", com,
         "logged interactions without a business, except graffiti and hazard reports"),
        ("business_interactions", "Number of interactions ambassadors have with businesses by type", biz,
         "logged interactions naming a business, or of type business check-in / business engagement"),
    ):
        counts = Counter(r["type"] for r in sel)
        out.append(Measure(name, title, "output", len(sel), "interactions", len(sel), "record", definition,
                           breakdown=[{"key": k, "value": v, "n": v} for k, v in sorted(counts.items())],
                           key_label="interaction type", value_label="interactions"))
    return out


def checkins(interactions: list[dict], planned: dict[str, int], since: str, until: str, *,
             planned_source: str = "targets") -> Measure:
    """Business check-ins done (``business check-in`` interactions) vs planned, per business.

    Names are matched case-insensitively; a checked-in business with no plan shows ``planned`` 0.
    The value is the number done; ``extra`` has the planned total and the completion share
    (per business, done capped at planned, over planned).
    """
    canon = {k.strip().lower(): k for k in planned}
    done: Counter = Counter()
    n = 0
    for r in interactions:
        if r["type"] != "business check-in" or not _in(r["at"], since, until):
            continue
        n += 1
        name = (r.get("business") or "").strip() or "(no business named)"
        done[canon.get(name.lower(), name)] += 1
    keys = sorted(set(planned) | set(done), key=lambda k: (-planned.get(k, 0), -done[k], k))
    rows = [{"key": k, "value": done[k], "planned": planned.get(k, 0), "n": done[k]} for k in keys]
    total_planned = sum(planned.values())
    met = sum(min(done[k], planned.get(k, 0)) for k in keys)
    extra = {"planned": total_planned, "planned_source": planned_source,
             "completion_pct": _pct(met, total_planned) if total_planned else None,
             "businesses_planned": sum(1 for v in planned.values() if v > 0),
             "businesses_visited": sum(1 for k in keys if done[k] > 0)}
    return Measure("business_checkins", "Business check-ins done vs planned, per business", "output",
                   sum(done.values()), "check-ins", n, "record",
                   f"business check-in interactions per business; planned from the {planned_source}; completion = "
                   "sum over businesses of min(done, planned) / planned", breakdown=rows, extra=extra,
                   key_label="business", value_label="check-ins done")


# ---------------------------------------------------------------------------------------- outcomes
def deescalation_share(incidents: list[dict], outcomes: list[dict]) -> Measure:
    """Share of incidents with an intervention result where tensions were de-escalated.

    Incidents received in the period whose outcomes include ``tensions de-escalated`` or ``tensions not
    de-escalated``; the latest such outcome decides.  ``de-escalations`` actions without a result are
    counted in ``extra`` but not in the share.
    """
    ids = {int(r["id"]) for r in incidents}
    last: dict[int, tuple[str, int, str]] = {}
    action_only: set[int] = set()
    for r in outcomes:
        iid = int(r["incident_id"])
        if iid not in ids:
            continue
        if r["kind"] == "outcome" and r["value"] in _TENSIONS:
            key = (r["at"], int(r["id"]), r["value"])
            if iid not in last or key > last[iid]:
                last[iid] = key
        elif r["kind"] == "action" and r["value"] == "de-escalations":
            action_only.add(iid)
    action_only -= set(last)
    yes = sum(1 for v in last.values() if v[2] == _TENSIONS[0])
    title = ("Percent of incidents where ambassadors intervened that were successful in de-escalating tensions")
    definition = ("incidents received in the period with an outcome 'tensions de-escalated' over those with "
                  "'tensions de-escalated' or 'tensions not de-escalated' (the latest result of each incident)")
    extra = {"de_escalated": yes, "not_de_escalated": len(last) - yes, "intervention_without_result": len(action_only)}
    if not last:
        return _missing("deescalation_share", title, "outcome", "%", "record",
                        "incidents received in the period closed with the outcome 'tensions de-escalated' or "
                        "'tensions not de-escalated'", definition, **extra)
    return Measure("deescalation_share", title, "outcome", _pct(yes, len(last)), "%", len(last), "record", definition,
                   extra=extra)


def response_times(incidents: list[dict], assignments: list[dict]) -> tuple[list[dict], list[Measure]]:
    """Per-incident response times and the two averages (assignment -> on scene, call -> on scene).

    For each incident received in the period with an arrival: first assignment time, first arrival
    (any unit, backups included) and the call time (``received_at``).

    Returns
    -------
    rows : list of dict
        ``incident_id, type, assign_to_scene_min, call_to_scene_min`` per incident.
    measures : list of Measure
    """
    by_inc: dict[int, list[dict]] = defaultdict(list)
    for a in assignments:
        by_inc[int(a["incident_id"])].append(a)
    rows = []
    for inc in incidents:
        asg = by_inc.get(int(inc["id"]), [])
        arrived = [a["arrived_at"] for a in asg if a.get("arrived_at")]
        if not arrived:
            continue
        first_assigned = min(a["assigned_at"] for a in asg)
        first_arrival = min(arrived)
        rows.append({"incident_id": int(inc["id"]), "type": inc["type"],
                     "assign_to_scene_min": round(minutes_between(first_assigned, first_arrival), 3),
                     "call_to_scene_min": round(minutes_between(inc["received_at"], first_arrival), 3)})
    out = []
    for key, name, what in (("assign_to_scene_min", "response_assign_to_scene", "assignment to on scene"),
                            ("call_to_scene_min", "response_call_to_scene", "call to on scene")):
        st = summary_stats(r[key] for r in rows)
        title = f"Average response time per incident ({what})"
        definition = (f"mean minutes from the incident's {'first assignment' if key.startswith('assign') else 'call'}"
                      " to the first unit on scene, over incidents received in the period with an arrival")
        if not rows:
            out.append(_missing(name, title, "outcome", "min", "record",
                                "incidents received in the period with an assignment and an 'on scene' time",
                                definition))
        else:
            out.append(Measure(name, title, "outcome", st["mean"], "min", st["n"], "record", definition,
                               extra={k: v for k, v in st.items() if k != "n"}))
    return rows, out


def fte(roster_size: int, shift_hours: float, shift_dates: int, days_per_week: int) -> dict[str, float]:
    """Full-time equivalents scheduled in a period.

    ``scheduled_hours = roster_size * shift_hours * shift_dates`` (the shift days in the period) and
    ``FTE = scheduled_hours / (40 * weeks)`` with ``weeks = shift_dates / days_per_week`` (shift weeks in
    the period; 40 hours a week is one FTE).  Uptown: 8 x 8 h x 5 days = 320 h a week = 8 FTE.
    """
    hours = float(roster_size) * float(shift_hours) * int(shift_dates)
    weeks = shift_dates / float(days_per_week) if days_per_week else 0.0
    return {"scheduled_hours": round(hours, 2), "shift_weeks": round(weeks, 4),
            "fte": round(hours / (40.0 * weeks), 4) if weeks > 0 else 0.0}


def response_per_fte(assignments: list[dict], responded: int, fte_info: dict[str, float]) -> list[Measure]:
    """Average response time per FTE (mean of each ambassador's own mean) and incidents responded per FTE.

    Every assignment with an arrival gives each of its members one response (assignment -> on scene,
    and call -> on scene).  The per-FTE average is the mean over ambassadors of their own mean, so each
    ambassador (each FTE) weighs the same whatever the number of calls.
    """
    per: dict[str, list[tuple[float, float]]] = defaultdict(list)
    n_rows = 0
    for a in assignments:
        if not a.get("arrived_at"):
            continue
        n_rows += 1
        t_assign = minutes_between(a["assigned_at"], a["arrived_at"])
        t_call = minutes_between(a["received_at"], a["arrived_at"])
        for m in a["members"]:
            per[m].append((t_assign, t_call))
    rows = [{"key": k, "value": round(sum(x for x, _ in v) / len(v), 2), "n": len(v),
             "call_to_scene_min": round(sum(y for _, y in v) / len(v), 2)} for k, v in sorted(per.items())]
    title = "Average response time per FTE"
    definition = ("each responding ambassador's mean minutes from assignment to on scene, averaged over ambassadors "
                  "(each FTE weighs the same); breakdown per ambassador")
    if rows:
        m1 = Measure("response_per_fte", title, "outcome", round(sum(r["value"] for r in rows) / len(rows), 2), "min",
                     n_rows, "record", definition, breakdown=rows, extra={"ambassadors": len(rows)},
                     key_label="ambassador", value_label="assignment to on scene, average (min)")
    else:
        m1 = _missing("response_per_fte", title, "outcome", "min", "record",
                      "assignments with an 'on scene' time for incidents received in the period", definition)
    f = fte_info.get("fte", 0.0)
    title2 = "Incidents responded to per FTE"
    definition2 = ("incidents received in the period with a unit on scene, divided by the scheduled FTE "
                   "(roster x shift hours x shift days in the period / (40 h x shift weeks in the period))")
    if f > 0:
        m2 = Measure("incidents_per_fte", title2, "outcome", round(responded / f, 2), "incidents/FTE", responded,
                     "record + settings", definition2, extra=dict(fte_info))
    else:
        m2 = _missing("incidents_per_fte", title2, "outcome", "incidents/FTE", "record + settings",
                      "shift days in the period (district shift.days)", definition2, **fte_info)
    return [m1, m2]


def livability_resolved(incidents: list[dict], resolved_at: dict[int, str], targets: dict[str, float],
                        default_target: float) -> Measure:
    """Share of livability issues resolved within their target time (minutes from the call, per type).

    Resolved = the first status change to ``resolved`` or ``closed``; an issue never resolved counts as
    not within target.
    """
    rows = [r for r in incidents if r["type"] in LIVABILITY_TYPES]
    per: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for r in rows:
        target = float(targets.get(r["type"], default_target))
        t = resolved_at.get(int(r["id"]))
        ok = t is not None and minutes_between(r["received_at"], t) <= target
        per[r["type"]][0] += int(ok)
        per[r["type"]][1] += 1
    title = "Percentage of identified livability issues resolved within a specified time frame"
    definition = ("livability incidents (" + ", ".join(sorted(LIVABILITY_TYPES)) + ") received in the period, "
                  "resolved or closed within the target minutes after the call, over all of them")
    breakdown = [{"key": k, "value": _pct(v[0], v[1]), "n": v[1], "within": v[0],
                  "target_min": float(targets.get(k, default_target))} for k, v in sorted(per.items())]
    extra = {"default_target_min": float(default_target), "targets_min": {k: float(v) for k, v in targets.items()}}
    if not rows:
        return _missing("livability_resolved", title, "outcome", "%", "record",
                        "livability incidents received in the period", definition, **extra)
    within = sum(v[0] for v in per.values())
    return Measure("livability_resolved", title, "outcome", _pct(within, len(rows)), "%", len(rows), "record",
                   definition, breakdown=breakdown, extra={**extra, "within": within}, key_label="incident type",
                   value_label="resolved within the target (%)")


def community_satisfaction(rows: list[dict], threshold: int = 4) -> Measure:
    """Share of community survey responses that are positive (``satisfied`` yes, or ``rating >= threshold``)."""
    title = "Percent of positive satisfaction rating from the community"
    definition = (f"community survey responses dated in the period answering satisfied = yes, or rating >= {threshold}"
                  " on 1-5, over all responses")
    if not rows:
        return _missing("community_satisfaction", title, "outcome", "%", "survey",
                        "a community survey (patrol report import community-survey FILE) with responses dated in "
                        "the period", definition, threshold=threshold)
    def positive(r: dict) -> bool:
        if r.get("satisfied") is not None:
            return bool(r["satisfied"])
        return r.get("rating") is not None and int(r["rating"]) >= threshold
    per: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for r in rows:
        k = (r.get("respondent_type") or "").strip() or "(not given)"
        per[k][0] += int(positive(r))
        per[k][1] += 1
    yes = sum(v[0] for v in per.values())
    return Measure("community_satisfaction", title, "outcome", _pct(yes, len(rows)), "%", len(rows), "survey",
                   definition, breakdown=[{"key": k, "value": _pct(v[0], v[1]), "n": v[1], "positive": v[0]}
                                          for k, v in sorted(per.items())],
                   extra={"positive": yes, "threshold": threshold}, key_label="respondent",
                   value_label="positive (%)")


def business_feels_safer(rows: list[dict]) -> Measure:
    """Share of businesses that feel safer (each business's latest answer in the period counts once)."""
    title = "Percentage of businesses that feel safer as a result of ambassador presence"
    definition = ("businesses answering the business survey in the period; each business's latest answer "
                  "(feels safer: yes or no) counts once")
    latest: dict[str, tuple[str, int]] = {}
    for r in rows:  # in date order: a later answer replaces an earlier one
        key = r["business"].strip().lower()
        if key not in latest or r["date"] >= latest[key][0]:
            latest[key] = (r["date"], int(r["feels_safer"]))
    if not latest:
        return _missing("business_feels_safer", title, "outcome", "%", "survey",
                        "a business survey (patrol report import business-survey FILE) with answers dated in the "
                        "period", definition)
    yes = sum(v[1] for v in latest.values())
    return Measure("business_feels_safer", title, "outcome", _pct(yes, len(latest)), "%", len(latest), "survey",
                   definition, extra={"feel_safer": yes, "responses": len(rows)})


def history_change(rows: list[dict] | None, period, previous, *, types: Iterable[str] | None = None,
                   periods: int = 12) -> Measure:
    """Percentage change of in-area incidents of the history between the previous period and this one.

    Parameters
    ----------
    rows : list of dict or None
        ``time`` (local ``YYYY-MM-DD...``), ``type``, ``in_area``; ``None`` when nothing was imported.
    period, previous : Period
        This period and the one of the same length before it.
    types : iterable of str, optional
        Count only these incident types (case-insensitive); default every row of the history.
    periods : int
        ``extra["by_period"]`` counts the incidents of this period and of up to ``periods - 1`` periods of the
        same length before it (back to the first incident of the history), so the chart drawn from it shows
        exactly the two counts compared.
    """
    title = "Percentage change in non-emergency crime incidents in the area over time"
    wanted = None if types is None else {t.strip().lower() for t in types}
    definition = ("incidents of the imported history inside the patrol area in this period vs the period of the "
                  "same length before it: (this - previous) / previous" +
                  ("" if wanted is None else "; types: " + ", ".join(sorted(wanted))))
    needs = ("an incident-history CSV (patrol report import incident-history FILE) covering this period and the "
             f"previous one ({previous.first} to {previous.last}), with non-emergency incidents")
    if rows is None:
        return _missing("history_change", title, "outcome", "%", "history", needs, definition)
    sel = [r for r in rows if r["in_area"] and (wanted is None or (r["type"] or "").strip().lower() in wanted)]
    cur = [r for r in sel if period.contains_date(r["time"])]
    prev = [r for r in sel if previous.contains_date(r["time"])]
    first_date = min((r["time"][:10] for r in sel), default=period.first)
    chain = [period]
    while len(chain) < periods and (len(chain) < 2 or chain[-1].first > first_date):
        chain.append(chain[-1].previous())
    by_period = [{"from": p.first, "to": p.last, "incidents": sum(1 for r in sel if p.contains_date(r["time"]))}
                 for p in reversed(chain)]
    by_type = defaultdict(lambda: [0, 0])
    for r in cur:
        by_type[r["type"] or "(none)"][0] += 1
    for r in prev:
        by_type[r["type"] or "(none)"][1] += 1
    extra = {"current": len(cur), "previous": len(prev), "previous_from": previous.first,
             "previous_to": previous.last, "by_period": by_period}
    breakdown = [{"key": k, "value": v[0], "previous": v[1], "change_pct": _pct(v[0] - v[1], v[1]) if v[1] else None,
                  "n": v[0] + v[1]} for k, v in sorted(by_type.items())]
    labels = {"key_label": "incident type", "value_label": "incidents in this period"}
    if not prev:
        return Measure("history_change", title, "outcome", None, "%", len(cur), "history", definition,
                       needs + "; the previous period has no incident in the area", breakdown, extra, **labels)
    return Measure("history_change", title, "outcome", _pct(len(cur) - len(prev), len(prev)), "%",
                   len(cur) + len(prev), "history", definition, breakdown=breakdown, extra=extra, **labels)


# ---------------------------------------------------------------------------------------- ambassadors' safety
#: Alert kinds in words (the record's ``alerts.kind``).
ALERT_WORDS = {"sos": "SOS", "check-in overdue": "on-scene check-in not answered", "no ping": "no ping"}


def _ack_minutes(rows: Iterable[dict], start: str) -> list[float]:
    return [minutes_between(r[start], r["acknowledged_at"]) for r in rows if r.get("acknowledged_at")]


def safety_measures(alerts: list[dict]) -> list[Measure]:
    """SOS events, overdue alerts, and the minutes from an alert to its acknowledgement at the desk.

    ``alerts`` are the record's alerts raised in the period (:func:`patrol.report.queries.alerts`): ``kind``,
    ``raised_at`` (an SOS: when pressed; an overdue alert: when it fell due), ``acknowledged_at``,
    ``closed_at``, ``actions``.
    """
    sos = [a for a in alerts if a["kind"] == "sos"]
    overdue = [a for a in alerts if a["kind"] != "sos"]
    out: list[Measure] = []
    title = "SOS events"
    definition = ("SOS pressed by an ambassador (on the phone page, or relayed by the desk) in the period; the "
                  "minutes to acknowledgement run from the press to the desk's acknowledgement")
    per: dict[str, list[dict]] = defaultdict(list)
    for a in sos:
        per[a["ambassador"]].append(a)
    waits = summary_stats(_ack_minutes(sos, "raised_at"))
    out.append(Measure("sos_events", title, "safety", len(sos), "events", len(sos), "record", definition,
                       breakdown=[{"key": k, "value": len(v), "n": len(v),
                                   "acknowledged": sum(1 for a in v if a["acknowledged_at"])}
                                  for k, v in sorted(per.items())],
                       extra={"acknowledged": sum(1 for a in sos if a["acknowledged_at"]),
                              "not_acknowledged": sum(1 for a in sos if not a["acknowledged_at"]),
                              "ack_median_min": waits["median"], "ack_p90_min": waits["p90"],
                              "backup_sent": sum(1 for a in sos if "backup sent" in a["actions"]),
                              "called_911": sum(1 for a in sos if "911 called" in a["actions"]),
                              "resolved": sum(1 for a in sos if a["closed_at"])},
                       key_label="ambassador", value_label="SOS"))
    definition = ("alerts the service raised in the period: an ambassador on scene who did not answer \"are you "
                  "OK?\" in time, or an ambassador on duty with no sign of life for the time the district's settings "
                  "set")
    kinds = [k for k in ALERT_WORDS if k != "sos"]
    rows = []
    for k in kinds:
        mine = [a for a in overdue if a["kind"] == k]
        st = summary_stats(_ack_minutes(mine, "raised_at"))
        rows.append({"key": ALERT_WORDS[k], "value": len(mine), "n": len(mine), "acknowledged": st["n"],
                     "ack_median_min": st["median"]})
    out.append(Measure("overdue_alerts", "Overdue alerts (check-in not answered, no ping)", "safety", len(overdue),
                       "alerts", len(overdue), "record", definition, breakdown=rows,
                       extra={"acknowledged": sum(1 for a in overdue if a["acknowledged_at"]),
                              "not_acknowledged": sum(1 for a in overdue if not a["acknowledged_at"])},
                       key_label="alert", value_label="alerts"))
    title = "Average time from an alert to its acknowledgement"
    definition = ("minutes from an alert (SOS pressed, or an overdue alert falling due) to the desk's "
                  "acknowledgement, over the alerts of the period acknowledged; those never acknowledged are "
                  "counted apart")
    times = _ack_minutes(alerts, "raised_at")
    by_kind = []
    for k, words in ALERT_WORDS.items():
        st = summary_stats(_ack_minutes([a for a in alerts if a["kind"] == k], "raised_at"))
        if st["n"]:
            by_kind.append({"key": words, "value": st["mean"], "n": st["n"], "ack_median_min": st["median"],
                            "ack_p90_min": st["p90"]})
    if not times:
        out.append(_missing("alert_ack_min", title, "safety", "min", "record",
                            "alerts raised in the period and acknowledged at the desk", definition,
                            n=len(alerts), not_acknowledged=len(alerts)))
    else:
        st = summary_stats(times)
        out.append(Measure("alert_ack_min", title, "safety", st["mean"], "min", st["n"], "record", definition,
                           breakdown=by_kind, extra={**{k: v for k, v in st.items() if k != "n"},
                                                     "not_acknowledged": len(alerts) - st["n"]},
                           key_label="alert", value_label="to acknowledgement, average (min)"))
    return out


def message_measures(messages: list[dict]) -> list[Measure]:
    """Messages from the desk to phones, and the minutes each recipient took to acknowledge."""
    recipients = [{**r, "at": m["at"]} for m in messages for r in m["recipients"]]
    per: dict[str, int] = Counter(m["audience"] for m in messages)
    out = [Measure("messages_sent", "Messages sent to ambassadors", "safety", len(messages), "messages",
                   len(messages), "record", "messages from the desk to one ambassador, to all on duty, or to those "
                   "within a walking distance of a point, sent in the period",
                   breakdown=[{"key": k, "value": v, "n": v} for k, v in sorted(per.items())],
                   extra={"recipients": len(recipients)}, key_label="sent to", value_label="messages")]
    title = "Average time from a message to its acknowledgement"
    definition = ("minutes from sending to each recipient's acknowledgement on the phone, over the recipients of "
                  "the period's messages who acknowledged; the share who did is given beside it")
    times = _ack_minutes(recipients, "at")
    acked = len(times)
    if not times:
        out.append(_missing("message_ack_min", title, "safety", "min", "record",
                            "messages sent in the period and acknowledged on a phone", definition,
                            n=len(recipients), recipients=len(recipients)))
    else:
        st = summary_stats(times)
        out.append(Measure("message_ack_min", title, "safety", st["mean"], "min", st["n"], "record", definition,
                           extra={"ack_median_min": st["median"], "ack_p90_min": st["p90"], "max": st["max"],
                                  "recipients": len(recipients), "acknowledged": acked,
                                  "not_acknowledged": len(recipients) - acked,
                                  "acknowledged_pct": _pct(acked, len(recipients))}))
    return out
