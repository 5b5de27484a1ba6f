"""Assemble the program report: read the record and the imports, compute every measure.

:func:`build_report` is what ``patrol report`` calls; it reads the record file read-only
(:mod:`patrol.report.queries`), computes the measures (:mod:`patrol.report.measures`, presence from
:mod:`patrol.report.presence`) and returns a :class:`Report` that :mod:`patrol.report.render` writes
as HTML, CSV and JSON.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from patrol.dispatch.clock import iso, parse_time, zone
from patrol.dispatch.roster import roster_units
from patrol.errors import InputError
from patrol.planning.duties import checkins_due
from patrol.report import measures as M
from patrol.report import queries
from patrol.report.period import Period
from patrol.report.presence import Presence, load_plans, measure_presence
from patrol.settings import DAYS

__all__ = ["Report", "ReportOptions", "ReportScope", "build_report", "planned_checkins"]

log = logging.getLogger(__name__)


@dataclass
class ReportOptions:
    """Choices behind the figures (each is printed in the report).

    Attributes
    ----------
    gap_min : float
        Longest gap between two pings still counted as continuous presence (minutes).
    livability_targets : dict
        Livability incident type -> target minutes from the call to resolved.
    livability_default_min : float
        Target for livability types not in ``livability_targets``.
    satisfied_min_rating : int
        A community survey rating (1-5) at or above this is positive.
    history_types : list of str, optional
        Incident-history types counted as non-emergency crime (default: every row).
    plans : list of path
        ``plan.json`` files or folders: presence fallback and planned check-ins.
    """

    gap_min: float = 5.0
    livability_targets: dict[str, float] = field(default_factory=dict)
    livability_default_min: float = 60.0
    satisfied_min_rating: int = 4
    history_types: list[str] | None = None
    plans: list[str | Path] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"gap_min": self.gap_min, "livability_targets": dict(self.livability_targets),
                "livability_default_min": self.livability_default_min,
                "satisfied_min_rating": self.satisfied_min_rating, "history_types": self.history_types,
                "plans": [str(p) for p in self.plans]}


@dataclass
class Report:
    """The computed report.

    Attributes
    ----------
    district : str
    period : Period
    generated_at : str
    options : ReportOptions
    measures : list of Measure
    presence : Presence
    response_rows : list of dict
        Per incident response times (the histogram).
    interactions_by_day : dict
        Local date -> {interaction type: count} (the "over time" chart).
    shift : (int, int)
        The district's shift, local minutes after midnight (start, end): the presence-by-hour chart spans it.
    previous_period : Period or None
        The period of the same length just before (``None`` when not compared).
    previous : dict
        Measure name -> its value in the previous period (``None`` when it could not be computed there).
    """

    district: str
    period: Period
    generated_at: str
    options: ReportOptions
    measures: list[M.Measure]
    presence: Presence
    response_rows: list[dict] = field(default_factory=list)
    interactions_by_day: dict[str, dict[str, int]] = field(default_factory=dict)
    shift: tuple[int, int] = (0, 24 * 60)
    previous_period: Period | None = None
    previous: dict[str, float | int | None] = field(default_factory=dict)

    def measure(self, name: str) -> M.Measure:
        """The measure called ``name`` (KeyError if none)."""
        for m in self.measures:
            if m.name == name:
                return m
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        pres = self.presence
        return {
            "district": self.district,
            "period": self.period.to_dict(),
            "generated_at": self.generated_at,
            "options": self.options.to_dict(),
            "measures": [m.to_dict() for m in self.measures],
            "not_computable": [{"name": m.name, "needs": m.needs} for m in self.measures if m.value is None],
            "presence_by_block": {str(b): round(float(h), 4) for b, h in enumerate(pres.by_block) if h > 0},
            "response_times": self.response_rows,
            "interactions_by_day": self.interactions_by_day,
            "shift": {"start_min": self.shift[0], "end_min": self.shift[1]},
            "previous_period": None if self.previous_period is None else self.previous_period.to_dict(),
            "previous": dict(self.previous),
        }


def planned_checkins(district, period: Period, plans: dict) -> tuple[dict[str, int], str]:
    """Planned check-ins per business name over the period's shift days, and where they come from.

    A shift day with a plan counts the plan's ``checkin`` legs (their ``ref`` is the business name);
    other shift days take the weekly rotation of ``targets.checkins_per_week``
    (:func:`patrol.planning.duties.checkins_due`).
    """
    planned: Counter = Counter()
    used_plans, used_rotation = 0, 0
    for d in period.shift_dates(district.settings.shift.days):
        tl = plans.get(d.isoformat())
        if tl is not None:
            used_plans += 1
            for legs in tl.legs.values():
                planned.update(leg.ref for leg in legs if leg.activity == "checkin" and leg.ref)
        else:
            used_rotation += 1
            planned.update(district.businesses[int(i)].name for i in checkins_due(district, DAYS[d.weekday()]))
    parts = ([f"plans ({used_plans} days)"] if used_plans else []) + \
            ([f"check-in targets rotation ({used_rotation} days)"] if used_rotation else [])
    return dict(planned), " + ".join(parts) or "nothing (no shift day in the period)"


def _presence_measure(pres: Presence, gap_min: float) -> M.Measure:
    title = "Number of hours ambassadors are visibly present in the district"
    definition = (f"ambassador-hours on blocks inside the patrol area: consecutive pings of one ambassador at most "
                  f"{gap_min:g} min apart, snapped to the street network, not on break or off duty; days without "
                  "pings fall back to the day's plan (visible legs: walk, check-in, dwell, post), flagged as "
                  "estimated; n counts the pings plus one per plan used")
    extra = {"by_hour": [round(float(h), 4) for h in pres.by_hour], "days_measured": pres.days_measured,
             "days_planned": pres.days_planned, "estimated": pres.estimated, "gap_min": gap_min,
             "by_date": {k: round(v, 4) for k, v in sorted(pres.by_date.items())}}
    if pres.source == "none":
        return M.Measure("presence_hours", title, "output", None, "hours", 0, "pings", definition,
                         "position pings in the record for the period (patrol incident ping / the field app), "
                         "or plan.json files with their dates (--plans DIR)", extra=extra)
    n = pres.n_pings + len(pres.days_planned)
    rows = [{"key": k, "value": round(v, 2), "n": pres.pings_by_ambassador.get(k, 0)}
            for k, v in sorted(pres.by_ambassador.items())]
    return M.Measure("presence_hours", title, "output", round(pres.hours, 2), "hours", n, pres.source, definition,
                     breakdown=rows, extra=extra, key_label="ambassador", value_label="hours present")


def _violence_measure() -> M.Measure:
    return M.Measure(
        "violence_prevented", "Percent of interventions that prevented violence", "outcome", None, "%", 0, "record",
        "whether violence occurred after an intervention", needs=(
            "a follow-up result per intervention (e.g. outcomes 'violence prevented' / 'violence occurred', or "
            "police incidents linked to the ambassadors' incidents); the record only has whether tensions were "
            "de-escalated"))


@dataclass(frozen=True)
class ReportScope:
    """The part of a program's shared record a report counts (``patrol report --program DIR [--district NAME]``).

    Attributes
    ----------
    name : str
        What the report is about (a district's name, or the program's).
    districts : dict
        Program name -> District of the districts reported: their streets (presence in their areas), rosters and
        shifts (scheduled FTE), businesses (planned check-ins) add up.
    whole : bool
        The whole program: every row of the record.  Otherwise only the incidents of ``districts`` (the record's
        ``incidents.district``; their assignments, outcomes and resolutions, whoever responded) and the records of
        their ambassadors (interactions, pings, duty, alerts; messages to them), by name (names are unique across a
        program).  Imported surveys and incident history belong to the whole program and count in every report.
    """

    name: str
    districts: dict[str, Any]
    whole: bool = False

    @property
    def ambassadors(self) -> frozenset[str]:
        """Every ambassador and unit name of the reported districts' rosters."""
        out: set[str] = set()
        for d in self.districts.values():
            out.update(d.settings.roster.ambassador_names())
            out.update(u.name for u in roster_units(d.settings))
        return frozenset(out)


@dataclass
class _Rows:
    """What a report reads from the record and its imports for a period."""

    incidents: list[dict]
    assignments: list[dict]
    outcomes: list[dict]
    interactions: list[dict]
    escorts: list[dict]
    handouts: list[dict]
    resolved: dict[int, str]
    pings: list[dict]
    duty: list[dict]
    community: list[dict]
    business: list[dict]
    history: list[dict] | None
    alerts: list[dict]
    messages: list[dict]

    def only(self, scope: ReportScope) -> _Rows:
        """The rows of one part of a program (see :class:`ReportScope`)."""
        if scope.whole:
            return self
        keys = set(scope.districts)
        names = scope.ambassadors
        incidents = [r for r in self.incidents if r.get("district") in keys]
        ids = {int(r["id"]) for r in incidents}
        messages = []
        for m in self.messages:
            mine = [x for x in m["recipients"] if x["ambassador"] in names]
            if mine:
                messages.append({**m, "recipients": mine})
        return _Rows(incidents, [r for r in self.assignments if int(r["incident_id"]) in ids],
                     [r for r in self.outcomes if int(r["incident_id"]) in ids],
                     [r for r in self.interactions if r["ambassador"] in names],
                     [r for r in self.escorts if r["unit"] in names],
                     [r for r in self.handouts if r["ambassador"] in names],
                     {k: v for k, v in self.resolved.items() if k in ids},
                     [r for r in self.pings if r["ambassador"] in names],
                     [r for r in self.duty if r["ambassador"] in names], self.community, self.business, self.history,
                     [r for r in self.alerts if r["unit"] in names or r["ambassador"] in names], messages)


def _read(db: str | Path, period: Period) -> _Rows:
    conn = queries.connect_read_only(db)
    try:
        since, until = period.since, period.until
        return _Rows(queries.incidents(conn, since, until), queries.assignments(conn, since, until),
                     queries.outcomes(conn, since, until), queries.interactions(conn, since, until),
                     queries.escorts(conn, since, until), queries.handouts(conn, since, until),
                     queries.resolutions(conn, since, until), queries.pings(conn, since, until),
                     queries.duty(conn, since, until), queries.community_survey(conn, period.first, period.last),
                     queries.business_survey(conn, period.first, period.last), queries.history(conn),
                     queries.alerts(conn, since, until), queries.messages(conn, since, until))
    finally:
        conn.close()


def _presence(parts: list, rows: _Rows, period: Period, plans: dict, opts: ReportOptions) -> Presence:
    """Presence in each district's area from its ambassadors' pings, added up over the districts reported."""
    if len(parts) == 1:
        return measure_presence(parts[0], rows.pings, period.dates(), plans=plans, gap_min=opts.gap_min,
                                duty=rows.duty)
    total = Presence(0.0, np.zeros(24), np.zeros(0))  # blocks of several districts: no one map
    for d in parts:
        names = ReportScope(d.name, {d.name: d}).ambassadors
        one = measure_presence(d, [p for p in rows.pings if p["ambassador"] in names], period.dates(),
                               gap_min=opts.gap_min, duty=[x for x in rows.duty if x["ambassador"] in names])
        total.hours += one.hours
        total.by_hour = total.by_hour + one.by_hour
        total.by_hour_planned = total.by_hour_planned + one.by_hour_planned
        total.n_pings += one.n_pings
        for hours, into in ((one.by_ambassador, total.by_ambassador), (one.by_date, total.by_date)):
            for k, h in hours.items():
                into[k] = into.get(k, 0.0) + h
        for k, n in one.pings_by_ambassador.items():
            total.pings_by_ambassador[k] = total.pings_by_ambassador.get(k, 0) + n
        total.days_measured = sorted(set(total.days_measured) | set(one.days_measured))
        total.days_planned = sorted(set(total.days_planned) | set(one.days_planned))
    return total


def build_report(district, db: str | Path, period: Period, options: ReportOptions | None = None, *,
                 compare: bool = True, scope: ReportScope | None = None) -> Report:
    """Compute every measure of the program for a period (and, to compare, for the period before it).

    Parameters
    ----------
    district : District
        The district reported (with ``scope``: unused, ``None`` is fine).
    db : str or Path
        The record's SQLite file (read only).
    period : Period
    options : ReportOptions, optional
    compare : bool
        Also compute every measure for the period of the same length just before (:attr:`Report.previous`).
    scope : ReportScope, optional
        One district of a program sharing the record, or the whole program (:class:`ReportScope`).  With several
        districts, presence, scheduled FTE and planned check-ins add up over them; plans (``options.plans``) are
        for one district's report only.

    Returns
    -------
    Report

    Raises
    ------
    InputError
        When the record file does not exist, or plans are given for a report of several districts.
    """
    opts = options or ReportOptions()
    parts = [district] if scope is None else list(scope.districts.values())
    if len(parts) > 1 and opts.plans:
        raise InputError("plans (--plans) are one district's: report one district of the program (--district NAME)",
                         field="plans")
    rows = _read(db, period)
    if scope is not None:
        rows = rows.only(scope)
    log.info("report %s..%s: %d incidents, %d interactions, %d outcome entries, %d pings", period.first,
             period.last, len(rows.incidents), len(rows.interactions), len(rows.outcomes), len(rows.pings))
    since, until = period.since, period.until
    plans = load_plans(opts.plans) if opts.plans else {}
    pres = _presence(parts, rows, period, plans, opts)
    planned: Counter = Counter()
    sources = []
    for d in parts:
        counts, src = planned_checkins(d, period, plans)
        planned.update(counts)
        sources.append(src if len(parts) == 1 else f"{d.name}: {src}")
    interactions, outcomes = rows.interactions, rows.outcomes

    out: list[M.Measure] = [M.referrals_by_type(interactions, outcomes, since, until),
                            _presence_measure(pres, opts.gap_min)]
    out += M.interactions_by_audience(interactions, since, until)
    out.append(M.checkins(interactions, dict(planned), since, until, planned_source="; ".join(sources)))
    out.append(M.safety_escorts(interactions, outcomes, rows.escorts, since, until))
    out += M.event_measures(interactions, outcomes, since, until)
    out.append(M.materials_by_kind(rows.handouts, since, until))

    out.append(M.deescalation_share(rows.incidents, outcomes))
    out.append(_violence_measure())
    rt_rows, rt = M.response_times(rows.incidents, rows.assignments)
    out += rt
    ftes = [M.fte(d.settings.roster.size, (d.settings.shift.end_min - d.settings.shift.start_min) / 60.0,
                  len(period.shift_dates(d.settings.shift.days)), len(d.settings.shift.days)) for d in parts]
    fte = ftes[0] if len(ftes) == 1 else {"scheduled_hours": round(sum(f["scheduled_hours"] for f in ftes), 2),
                                          "fte": round(sum(f["fte"] for f in ftes), 4), "districts": len(ftes)}
    out += M.response_per_fte(rows.assignments, len(rt_rows), fte)
    out.append(M.livability_resolved(rows.incidents, rows.resolved, opts.livability_targets,
                                     opts.livability_default_min))
    out.append(M.community_satisfaction(rows.community, opts.satisfied_min_rating))
    out.append(M.business_feels_safer(rows.business))
    out.append(M.history_change(rows.history, period, period.previous(), types=opts.history_types))
    out += M.safety_measures(rows.alerts) + M.message_measures(rows.messages)  # ambassadors' safety (issue 19)

    tz = zone(parts[0].settings.district.timezone)
    by_day: dict[str, Counter] = defaultdict(Counter)
    for r in interactions:
        by_day[parse_time(r["at"]).astimezone(tz).date().isoformat()][r["type"]] += 1
    shifts = [(d.settings.shift.start_min, d.settings.shift.end_min) for d in parts]
    report = Report(parts[0].name if scope is None else scope.name, period, iso(), opts, out, pres, rt_rows,
                    {d: dict(sorted(c.items())) for d, c in sorted(by_day.items())},
                    shift=(min(a for a, _ in shifts), max(b for _, b in shifts)))
    if compare:
        before = build_report(district, db, period.previous(), opts, compare=False, scope=scope)
        report.previous_period = before.period
        report.previous = {m.name: m.value for m in before.measures}
    return report
