"""Write a :class:`~patrol.report.build.Report` as HTML (one self-contained file), CSV and JSON.

``report.html``
    For a program manager, in the program's own words: headline cards (each with its change against the
    previous period of the same length, up or down, and a caution when based on few records), the outputs
    and outcomes tables (this period, previous period, change, records, where from), what the record cannot
    tell, a section per measure (how it is counted, breakdown, details), the charts as inline SVG (legend,
    axis labels and units on each), the presence map inline, and the options used.  Internal names
    (``de_escalated``, ``completion_pct``) never appear: every key has a label (:data:`~patrol.report.measures.LABELS`).
    ``presence-map.html`` is the map on its own.
``measures.csv``
    One row per measure (``key`` empty) and one per breakdown entry: ``measure, key, value, unit, n, source,
    kind, needs, detail, previous`` (``detail``: the entry's other numbers as JSON; ``previous``: the measure's
    value in the previous period).
``response_times.csv``, ``presence_by_block.csv``, ``presence_by_hour.csv``
    The data behind the charts and the map.
``report.json``
    Everything above in one document.
"""

from __future__ import annotations

import csv
import html
import json
import logging
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from patrol._json import to_jsonable
from patrol.errors import InputError
from patrol.report import charts
from patrol.report.measures import FEW_RECORDS, LABELS, few_records

__all__ = ["BETTER", "FORMATS", "KPI_CARDS", "Change", "change", "render_html", "write_report"]

log = logging.getLogger(__name__)

FORMATS = ("html", "csv", "json")

#: The headline cards: measure name and a short label in the program's words.
KPI_CARDS: tuple[tuple[str, str], ...] = (
    ("community_interactions", "Interactions with community members"),
    ("business_interactions", "Interactions with businesses"),
    ("presence_hours", "Hours visibly present in the district"),
    ("referrals", "Referrals made"),
    ("response_call_to_scene", "Average response time (call to on scene)"),
    ("deescalation_share", "Interventions that de-escalated tensions"),
    ("livability_resolved", "Livability issues resolved in time"),
    ("business_checkins", "Business check-ins done"),
)
#: Which way a measure is better (others are counts of events whose rise is neither good nor bad).
BETTER: dict[str, str] = {
    "community_interactions": "higher", "business_interactions": "higher", "presence_hours": "higher",
    "referrals": "higher", "business_checkins": "higher", "safety_escorts": "higher", "materials": "higher",
    "deescalation_share": "higher", "livability_resolved": "higher", "community_satisfaction": "higher",
    "business_feels_safer": "higher", "response_assign_to_scene": "lower", "response_call_to_scene": "lower",
    "response_per_fte": "lower", "alert_ack_min": "lower", "message_ack_min": "lower",
}
#: Measures whose value is already a change between this period and the previous one.
CHANGE_MEASURES = frozenset({"history_change"})
#: Where a figure comes from, in words.
SOURCE_WORDS = {
    "record": "incident record",
    "pings": "position pings",
    "plan (estimated)": "plans (estimated)",
    "pings + plan (estimated)": "position pings, and plans on days without pings (estimated)",
    "survey": "survey import",
    "history": "incident history import",
    "record + settings": "incident record and program settings",
}
_UNIT_WORDS = {"incidents/FTE": "incidents per FTE", "hours": "hours"}
_OPTION_LABELS = {
    "gap_min": "longest gap between two pings still counted as presence (min)",
    "livability_targets": "livability targets by type (min from the call)",
    "livability_default_min": "livability target for other types (min from the call)",
    "satisfied_min_rating": "lowest survey rating counted as positive (1 to 5)",
    "history_types": "incident history types counted",
    "plans": "plans used where no ping exists",
}


# ---------------------------------------------------------------------------------------- numbers in words
def _num(v: Any) -> str:
    """A number for reading: thousands separated, at most two decimals, no trailing zeros."""
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, float):
        return f"{v:,.2f}".rstrip("0").rstrip(".") if abs(v) < 1e6 else f"{v:,.0f}"
    return str(v)


def _with_unit(v: float | int, unit: str) -> str:
    """``"50 %"``, ``"6.75 min"``, ``"1 report"``, ``"3 reports"``, ``"0.18 hours (11 min)"``."""
    if unit == "%":
        return f"{_num(v)} %"
    word = _UNIT_WORDS.get(unit, unit)
    if v == 1 and word.endswith("ies"):
        word = word[:-3] + "y"
    elif v == 1 and word.endswith("s") and "/" not in unit and " per " not in word:
        word = word[:-1]
    text = f"{_num(v)} {word}"
    if unit == "hours" and 0 < v < 2:
        text += f" ({round(float(v) * 60):d} min)"
    return text


def _day(text: str) -> str:
    d = date.fromisoformat(text)
    return f"{d:%a} {d.day} {d:%B %Y}"


def _span(first: str, last: str) -> str:
    a, b = date.fromisoformat(first), date.fromisoformat(last)
    return f"{a.day} {a:%b} to {b.day} {b:%b %Y}"


def value_text(m) -> str:
    """A measure's value in words (``"50 %"``, ``"6.75 min"``, ``"up 50 %"`` for a change)."""
    if m.value is None:
        return "cannot compute"
    if m.name in CHANGE_MEASURES:
        v = float(m.value)
        return "no change" if v == 0 else f"{'up' if v > 0 else 'down'} {_num(abs(v))} %"
    text = _with_unit(m.value, m.unit)
    if m.name == "business_checkins" and m.extra.get("planned"):
        pct = m.extra.get("completion_pct")
        text = f"{_num(m.value)} of {_num(m.extra['planned'])} planned" + ("" if pct is None else f" ({_num(pct)} %)")
    return text


@dataclass(frozen=True)
class Change:
    """A measure against the previous period.

    Attributes
    ----------
    direction : str
        ``up``, ``down``, ``same`` or ``none`` (no figure in one of the periods, or not comparable).
    text : str
        In words: ``"up 8 from 1"``, ``"down 4.5 min from 12 min"``, ``"up 50 points from 0 %"``.
    verdict : str
        ``better``, ``worse`` or ``""`` (see :data:`BETTER`).
    """

    direction: str
    text: str
    verdict: str = ""

    @property
    def arrow(self) -> str:
        return {"up": "▲", "down": "▼", "same": "="}.get(self.direction, "")


def change(m, previous: float | int | None) -> Change:
    """How a measure moved since the previous period, in words."""
    if m.name in CHANGE_MEASURES:
        cur, prev = m.extra.get("current"), m.extra.get("previous")
        if cur is None:
            return Change("none", "no incident history imported")
        return Change("none", f"{_num(cur)} incidents in this period, {_num(prev)} in the previous one")
    if m.value is None and previous is None:
        return Change("none", "no figure in either period")
    if previous is None:
        return Change("none", "no figure for the previous period")
    if m.value is None:
        return Change("none", "no figure for this period")
    diff = round(float(m.value) - float(previous), 2)
    if diff == 0:
        return Change("same", f"no change from {_with_unit(previous, m.unit)}")
    direction = "up" if diff > 0 else "down"
    better = BETTER.get(m.name)
    verdict = "" if better is None else ("better" if (diff > 0) == (better == "higher") else "worse")
    if m.unit == "%":
        return Change(direction, f"{direction} {_num(abs(diff))} points from {_num(previous)} %", verdict)
    if m.unit in ("min", "hours", "incidents/FTE"):
        unit = _UNIT_WORDS.get(m.unit, m.unit)
        return Change(direction, f"{direction} {_num(abs(diff))} {unit} from {_num(previous)}", verdict)
    return Change(direction, f"{direction} {_num(abs(diff))} from {_num(previous)}", verdict)  # counts


# ---------------------------------------------------------------------------------------- writing
def write_report(report, out: str | Path, formats=FORMATS, *, district=None) -> list[Path]:
    """Write the report in the given formats into a folder; returns the files written.

    Raises
    ------
    InputError
        For an unknown format.
    """
    bad = [f for f in formats if f not in FORMATS]
    if bad:
        raise InputError(f"unknown report format {bad[0]!r}; use {', '.join(FORMATS)}", field="format")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    if "json" in formats:
        p = out / "report.json"
        p.write_text(json.dumps(to_jsonable(report.to_dict()), indent=2), encoding="utf-8")
        written.append(p)
    if "csv" in formats:
        written += _write_csv(report, out)
    if "html" in formats:
        map_html = charts.presence_map_html(district, report.presence.by_block) if district is not None else None
        if map_html is not None:
            p = out / "presence-map.html"
            p.write_text(map_html, encoding="utf-8")
            written.append(p)
        p = out / "report.html"
        p.write_text(render_html(report, map_html=map_html), encoding="utf-8")
        written.append(p)
    for p in written:
        log.info("wrote %s", p)
    return written


def _write_csv(report, out: Path) -> list[Path]:
    p = out / "measures.csv"
    with open(p, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["measure", "key", "value", "unit", "n", "source", "kind", "needs", "detail", "previous"])
        for m in report.measures:
            w.writerow([m.name, "", m.value, m.unit, m.n, m.source, m.kind, m.needs or "",
                        json.dumps(to_jsonable(m.extra), sort_keys=True) if m.extra else "",
                        report.previous.get(m.name, "")])
            for row in m.breakdown:
                rest = {k: v for k, v in row.items() if k not in ("key", "value", "n")}
                w.writerow([m.name, row["key"], row["value"], m.unit, row.get("n"), m.source, m.kind, "",
                            json.dumps(to_jsonable(rest), sort_keys=True) if rest else "", ""])
    files = [p]
    p = out / "response_times.csv"
    with open(p, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["incident_id", "type", "assign_to_scene_min", "call_to_scene_min"])
        for r in report.response_rows:
            w.writerow([r["incident_id"], r["type"], r["assign_to_scene_min"], r["call_to_scene_min"]])
    files.append(p)
    p = out / "presence_by_block.csv"
    with open(p, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["block", "hours"])
        for b, h in enumerate(report.presence.by_block):
            if h > 0:
                w.writerow([b, round(float(h), 4)])
    files.append(p)
    p = out / "presence_by_hour.csv"
    with open(p, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["hour", "hours", "hours_from_plans"])
        for k, (h, hp) in enumerate(zip(report.presence.by_hour, report.presence.by_hour_planned, strict=True)):
            w.writerow([k, round(float(h), 4), round(float(hp), 4)])
    files.append(p)
    return files


# ---------------------------------------------------------------------------------------- HTML
_CSS = """
body{font:14px/1.45 system-ui,sans-serif;max-width:1100px;margin:1.5em auto;padding:0 1em;color:#222}
h1{font-size:1.5em;margin-bottom:.2em}h2{margin-top:1.6em;border-bottom:2px solid #0072b2;padding-bottom:.2em}
h3{margin-bottom:.2em}table{border-collapse:collapse;margin:.5em 0}
td,th{border:1px solid #ccc;padding:3px 8px;text-align:left;vertical-align:top}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}th{background:#eef3f8}
.missing{color:#b00020}.def{color:#555;font-size:.92em;margin:.2em 0 .5em}.meta{color:#555}
.caution{display:inline-block;color:#6b4300;background:#ffe9b3;border-radius:3px;padding:0 5px;font-size:.85em;
 font-weight:normal;margin-left:.3em}
.up,.down,.same{white-space:nowrap}.better{color:#005a8c}.worse{color:#a33f00}
.kpis{display:grid;grid-template-columns:repeat(auto-fill,minmax(250px,1fr));gap:10px;margin:.8em 0}
.kpi{border:1px solid #c9d6e3;border-radius:6px;padding:8px 10px;background:#f8fbfe}
.kpi-title{font-size:.9em;color:#444}.kpi-value{font-size:1.6em;font-weight:bold;margin:.1em 0}
.kpi-value .unit{font-size:.55em;font-weight:normal;color:#444}.kpi-change{font-size:.9em}
.kpi-n{font-size:.8em;color:#666}
figure{margin:1em 0}figure svg{max-width:100%;height:auto}figcaption{color:#555;font-size:.9em}
iframe{width:100%;height:520px;border:1px solid #ccc}
details summary{cursor:pointer;color:#0057a8}
"""


def _e(text: Any) -> str:
    return html.escape(str(text))


def _caution(m) -> str:
    if not few_records(m):
        return ""
    return (f'<span class="caution" title="based on {m.n:,} records, fewer than {FEW_RECORDS}: read with care">'
            "&#9888; few records</span>")


def _change_html(ch: Change) -> str:
    cls = " ".join(x for x in (ch.direction, ch.verdict) if x)
    verdict = f" ({ch.verdict})" if ch.verdict else ""
    arrow = f"{ch.arrow} " if ch.arrow else ""
    return f'<span class="{cls}">{arrow}{_e(ch.text)}{verdict}</span>'


def _table(headers: list[str], rows: list[list[Any]], *, numeric: set[int] = frozenset(), cls: str = "") -> str:
    head = "".join(f'<th class="num">{_e(h)}</th>' if i in numeric else f"<th>{_e(h)}</th>"
                   for i, h in enumerate(headers))
    body = "".join("<tr>" + "".join(
        f'<td class="num">{c}</td>' if i in numeric else f"<td>{c}</td>" for i, c in enumerate(r)) + "</tr>"
        for r in rows)
    return f'<table class="{cls}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _cell(v: Any) -> str:
    """A table cell's escaped text: numbers for reading, yes/no, a dash for nothing."""
    if v is None:
        return "&mdash;"
    if isinstance(v, dict):
        return _e(", ".join(f"{k} {_num(x)}" for k, x in v.items()) or "none")
    if isinstance(v, list):
        return _e(_num(len(v)))
    return _e(_num(v))


def _kpis(report) -> str:
    cards = []
    for name, label in KPI_CARDS:
        try:
            m = report.measure(name)
        except KeyError:
            continue
        ch = change(m, report.previous.get(name))
        if m.value is None:
            value = '<span class="missing">cannot compute</span>'
        elif m.name == "business_checkins":
            value = f'{_e(_num(m.value))} <span class="unit">{_e(value_text(m).split(" ", 1)[1])}</span>'
        else:
            value = f'{_e(_num(m.value))} <span class="unit">{_e(_UNIT_WORDS.get(m.unit, m.unit))}</span>'
        cards.append(f'<div class="kpi" data-measure="{_e(name)}"><div class="kpi-title">{_e(label)}</div>'
                     f'<div class="kpi-value">{value}</div><div class="kpi-change">{_change_html(ch)}</div>'
                     f'<div class="kpi-n">based on {m.n:,} records{_caution(m)}</div></div>')
    return f'<div class="kpis">{"".join(cards)}</div>'


def _summary(report, kind: str) -> str:
    rows = []
    for m in report.measures:
        if m.kind != kind:
            continue
        prev = report.previous.get(m.name)
        this = ('<span class="missing">cannot compute</span>' if m.value is None else _e(value_text(m))) + _caution(m)
        before = "&mdash;" if m.name in CHANGE_MEASURES or prev is None else _e(_with_unit(prev, m.unit))
        rows.append([f'<a href="#{_e(m.name)}">{_e(m.title)}</a>', this, before,
                     _change_html(change(m, prev)), _e(f"{m.n:,}"), _e(SOURCE_WORDS.get(m.source, m.source))])
    p = report.previous_period
    prev_head = "previous period" + (f" ({_span(p.first, p.last)})" if p is not None else "")
    return _table(["measure", "this period", prev_head, "change", "based on (records)", "from"], rows,
                  numeric={4}, cls=f"summary {kind}")


def _details(m) -> list[tuple[str, Any]]:
    """The measure's further numbers, labelled (charts' series and chart-only keys left out)."""
    out = []
    for k, v in m.extra.items():
        if k in ("by_hour", "by_date", "by_period") or (k == "planned_source" and m.value is None):
            continue
        if k in ("previous_from", "previous_to"):
            v = _day(v)
        out.append((LABELS.get(k, k.replace("_", " ")), v))
    return out


def _section(m, report) -> str:
    parts = [f'<h3 id="{_e(m.name)}">{_e(m.title)}</h3>']
    if m.value is None:
        parts.append(f'<p class="missing"><b>Cannot compute:</b> needs {_e(m.needs or "")}.</p>')
    else:
        ch = change(m, report.previous.get(m.name))
        parts.append(f"<p><b>{_e(value_text(m))}</b>{_caution(m)} &middot; {_change_html(ch)}</p>")
        if m.needs:
            parts.append(f'<p class="missing">{_e(m.needs)}</p>')
    parts.append(f'<p class="def"><b>How it is counted:</b> {_e(m.definition)}. <b>From:</b> '
                 f'{_e(SOURCE_WORDS.get(m.source, m.source))}; <b>based on</b> {m.n:,} records.</p>')
    if m.breakdown:
        extra_cols = [k for k in m.breakdown[0] if k not in ("key", "value", "n")]
        headers = [m.key_label or "", m.value_label or m.unit, *[LABELS.get(c, c.replace("_", " "))
                                                                 for c in extra_cols], "based on (records)"]
        rows = [[_e(r["key"]), _cell(r["value"]), *[_cell(r.get(c)) for c in extra_cols], _cell(r.get("n"))]
                for r in m.breakdown]
        table = _table(headers, rows, numeric=set(range(1, len(headers))))
        if len(m.breakdown) > 15:  # e.g. every business: folded
            table = f"<details><summary>show all {len(m.breakdown):,} rows</summary>{table}</details>"
        parts.append(table)
    details = _details(m)
    if details:
        parts.append(_table(["detail", "value"], [[_e(k), _cell(v)] for k, v in details], numeric={1}))
    return "\n".join(parts)


def _figure(fid: str, title: str, svg: str | None, caption: str) -> str:
    if svg is None:
        return f'<figure id="{fid}"><h3>{_e(title)}</h3><p class="missing">No data for this chart.</p></figure>'
    return f'<figure id="{fid}"><h3>{_e(title)}</h3>{svg}<figcaption>{_e(caption)}</figcaption></figure>'


def render_html(report, *, map_html: str | None = None) -> str:
    """The report as one self-contained HTML page (charts inline as SVG, the map in an ``iframe srcdoc``)."""
    p = report.period
    ms = report.measures
    missing = [m for m in ms if m.value is None]
    missing_html = ("<ul>" + "".join(f"<li><b>{_e(m.title)}</b>: needs {_e(m.needs or '')}</li>"
                                     for m in missing) + "</ul>") if missing else "<p>Every measure was computed.</p>"
    pres = report.presence
    hist = next((m for m in ms if m.name == "history_change"), None)
    figs = [
        _figure("chart-response", "Response times", charts.response_chart(report.response_rows),
                "Incidents received in the period with a unit on scene, by minutes from the call (and from the "
                "first assignment) to the first unit on scene."),
        _figure("chart-presence-hour", "Visible presence by hour of day",
                charts.presence_hour_chart(pres.by_hour, pres.by_hour_planned, shift=report.shift, tz=p.tz),
                "Ambassador-hours on patrol-area blocks, summed over the period, by hour of the day; the shaded "
                "band is the shift."),
        _figure("chart-interactions", "Interactions by type over time",
                charts.interactions_chart(report.interactions_by_day, p.dates()),
                "Every interaction logged in the period, by day (by week for periods over 45 days)."),
    ]
    if hist is not None and hist.extra.get("by_period"):
        figs.append(_figure("chart-history", "Incident history by period",
                            charts.history_chart(hist.extra["by_period"]),
                            "The last two bars are the two numbers compared by the percentage change."))
    if map_html is not None:
        figs.append('<figure id="presence-map"><h3>Visible presence by block</h3>'
                    f'<iframe title="presence map" srcdoc="{html.escape(map_html, quote=True)}"></iframe>'
                    '<figcaption>Each block coloured by the ambassador-time spent on it in the period.</figcaption>'
                    '</figure>')
    outputs = "\n".join(_section(m, report) for m in ms if m.kind == "output")
    outcomes = "\n".join(_section(m, report) for m in ms if m.kind == "outcome")
    safety = "\n".join(_section(m, report) for m in ms if m.kind == "safety")
    opts = report.options.to_dict()
    prev = report.previous_period
    compared = (f"compared with the previous {p.days} days, {_span(prev.first, prev.last)}" if prev is not None
                else "not compared with an earlier period")
    options = _table(["option", "value"], [[_e(_OPTION_LABELS.get(k, k.replace("_", " "))),
                                           _e("none" if v in (None, [], {}) else
                                              ", ".join(f"{a} {b}" for a, b in v.items()) if isinstance(v, dict)
                                              else ", ".join(map(str, v)) if isinstance(v, list) else _num(v))]
                                          for k, v in opts.items()])
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Program report {_e(p.first)} to {_e(p.last)}</title>
<style>{_CSS}</style></head><body>
<h1>Community Safety Ambassador program report</h1>
<p class="meta">{_e(report.district)} &middot; {_e(_day(p.first))} to {_e(_day(p.last))} ({p.days} days; times in
{_e(p.tz)}) &middot; {_e(compared)} &middot; generated {_e(report.generated_at)}</p>
<section id="headline"><h2>At a glance</h2>{_kpis(report)}
<p class="def">&#9650; up, &#9660; down against the previous period; <span class="better">better</span> or
<span class="worse">worse</span> where the direction is clear. <span class="caution">&#9888; few records</span>
marks a figure based on fewer than {FEW_RECORDS} records.</p></section>
<section id="summary"><h2>Summary</h2>
<p>Every figure says how many records it is based on and where it comes from: the <i>incident record</i>,
<i>position pings</i>, <i>plans</i> (where no ping exists: planned, not measured, marked estimated), the
<i>survey</i> imports, or the <i>incident history</i> import.</p>
<h3>Outputs</h3>{_summary(report, "output")}
<h3>Outcomes</h3>{_summary(report, "outcome")}
<h3>Ambassadors' safety</h3>{_summary(report, "safety")}</section>
<section id="cannot"><h2>What the record cannot tell (yet)</h2>{missing_html}</section>
<section id="outputs"><h2>Outputs</h2>{outputs}</section>
<section id="outcomes"><h2>Outcomes</h2>{outcomes}</section>
<section id="safety"><h2>Ambassadors' safety</h2>{safety}</section>
<section id="charts"><h2>Charts</h2>{''.join(figs)}</section>
<section id="definitions"><h2>Definitions and options</h2>
<p><b>Per FTE.</b> FTE = scheduled hours in the period (roster size x shift length x shift days in the period) /
(40 h x shift weeks in the period, i.e. shift days / shift days per week). <i>Average response time per FTE</i>
is the mean, over responding ambassadors, of each ambassador's mean minutes from assignment to on scene;
<i>incidents responded to per FTE</i> divides the incidents with a unit on scene by the FTE.</p>
<p><b>Counting once.</b> An escort, call, report or referral recorded both as an incident action/outcome and as an
interaction linked to that incident counts once.</p>
<p><b>Few records.</b> A figure based on fewer than {FEW_RECORDS} records carries a caution: below that, one record
more or less moves a share by more than three points and the 95 % interval of a share is wider than
&plusmn;18 points.</p>
{options}
</section></body></html>
"""
