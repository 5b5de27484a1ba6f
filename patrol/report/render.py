"""Write a :class:`~patrol.report.build.Report` as HTML (one self-contained file), CSV and JSON.

``report.html``
    Summary table of every measure (value, unit, n, source), a section per measure with its
    definition and breakdown, the charts (response-time distribution, presence by hour, interactions
    by type over time, incident history by month) as embedded PNGs, the presence map inline, and a
    plain list of what the record cannot tell and the data it would need.  ``presence-map.html`` is
    the same map on its own.
``measures.csv``
    One row per measure (``key`` empty) and one per breakdown entry: ``measure, key, value, unit, n,
    source, kind, needs, detail`` (``detail``: the entry's other numbers as JSON).
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
from pathlib import Path
from typing import Any

from patrol._json import to_jsonable
from patrol.errors import InputError
from patrol.report import charts

__all__ = ["FORMATS", "render_html", "write_report"]

log = logging.getLogger(__name__)

FORMATS = ("html", "csv", "json")


def _fmt(v: Any) -> str:
    if v is None:
        return "&mdash;"
    if isinstance(v, float):
        return f"{v:,.2f}".rstrip("0").rstrip(".") if abs(v) < 1e6 else f"{v:,.0f}"
    if isinstance(v, int):
        return f"{v:,}"
    return html.escape(str(v))


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
        w.writerow(["measure", "key", "value", "unit", "n", "source", "kind", "needs", "detail"])
        for m in report.measures:
            w.writerow([m.name, "", m.value, m.unit, m.n, m.source, m.kind, m.needs or "",
                        json.dumps(to_jsonable(m.extra), sort_keys=True) if m.extra else ""])
            for row in m.breakdown:
                rest = {k: v for k, v in row.items() if k not in ("key", "value", "n")}
                w.writerow([m.name, row["key"], row["value"], m.unit, row.get("n"), m.source, m.kind, "",
                            json.dumps(to_jsonable(rest), sort_keys=True) if rest else ""])
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
        w.writerow(["hour", "hours"])
        for k, h in enumerate(report.presence.by_hour):
            w.writerow([k, round(float(h), 4)])
    files.append(p)
    return files


_CSS = """
body{font:14px/1.45 system-ui,sans-serif;max-width:1100px;margin:1.5em auto;padding:0 1em;color:#222}
h1{font-size:1.5em}h2{margin-top:1.6em;border-bottom:2px solid #1565c0;padding-bottom:.2em}h3{margin-bottom:.2em}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}
td.num{text-align:right;font-variant-numeric:tabular-nums}th{background:#f0f4fa}
.missing{color:#b71c1c}.estimated{color:#e65100}.def{color:#555;font-size:.92em;margin:.2em 0 .5em}
img{max-width:100%;border:1px solid #ddd;margin:.5em 0}iframe{width:100%;height:520px;border:1px solid #ccc}
.meta{color:#555}
"""


def _table(headers: list[str], rows: list[list[Any]], *, cls: str = "") -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(
        f'<td class="num">{_fmt(c)}</td>' if isinstance(c, int | float) and not isinstance(c, bool) else
        f"<td>{c if isinstance(c, _Raw) else _fmt(c)}</td>" for c in r) + "</tr>" for r in rows)
    return f'<table class="{cls}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


class _Raw(str):
    """Already-escaped HTML inside a table cell."""


def _img(b64: str | None, alt: str) -> str:
    if b64 is None:
        return f'<p class="missing">No data for the chart "{html.escape(alt)}".</p>'
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{b64}">'


def _value_cell(m) -> _Raw:
    if m.value is None:
        return _Raw('<span class="missing">cannot compute</span>')
    v = _fmt(m.value)
    if m.extra.get("planned") is not None and m.name == "business_checkins":
        pct = m.extra.get("completion_pct")
        v += f" of {_fmt(m.extra['planned'])} planned" + ("" if pct is None else f" ({_fmt(pct)}%)")
    if m.source.startswith("plan") or "estimated" in m.source:
        v += ' <span class="estimated">(planned, estimated)</span>'
    return _Raw(v)


def _section(m) -> str:
    parts = [f'<h3 id="{m.name}">{html.escape(m.title)}</h3>',
             f'<p class="def"><b>Definition:</b> {html.escape(m.definition)}. <b>Source:</b> {html.escape(m.source)}'
             f"; <b>based on</b> {m.n:,} records.</p>"]
    if m.value is None:
        parts.append(f'<p class="missing"><b>Cannot compute:</b> needs {html.escape(m.needs or "")}.</p>')
    else:
        parts.append(f"<p><b>{_fmt(m.value)} {html.escape(m.unit)}</b></p>")
        if m.needs:
            parts.append(f'<p class="missing">{html.escape(m.needs)}</p>')
    if m.breakdown:
        extra_cols = [k for k in m.breakdown[0] if k not in ("key", "value", "n")]
        table = _table(["", m.unit, *extra_cols, "n (records)"],
                       [[r["key"], r["value"], *[r.get(c) for c in extra_cols], r.get("n")] for r in m.breakdown])
        if len(m.breakdown) > 15:  # e.g. every business: folded
            table = f"<details><summary>{len(m.breakdown)} rows</summary>{table}</details>"
        parts.append(table)
    scalars = {k: v for k, v in m.extra.items() if isinstance(v, int | float | str | bool) or v is None}
    if m.name == "presence_hours":
        scalars = {k: v for k, v in scalars.items() if k in ("estimated", "gap_min")}
        scalars["days measured from pings"] = len(m.extra.get("days_measured", []))
        scalars["days taken from plans"] = len(m.extra.get("days_planned", []))
    if scalars:
        parts.append(_table(["detail", "value"], [[k, v if not isinstance(v, bool) else str(v)]
                                                  for k, v in scalars.items()]))
    return "\n".join(parts)


def render_html(report, *, map_html: str | None = None) -> str:
    """The report as one self-contained HTML page (charts inline as PNG, the map in an ``iframe srcdoc``)."""
    p = report.period
    ms = report.measures
    summary = _table(["measure", "kind", "value", "unit", "n (records)", "source"],
                     [[_Raw(f'<a href="#{m.name}">{html.escape(m.title)}</a>'), m.kind, _value_cell(m), m.unit, m.n,
                       m.source] for m in ms])
    missing = [m for m in ms if m.value is None]
    missing_html = ("<ul>" + "".join(f"<li><b>{html.escape(m.title)}</b>: needs {html.escape(m.needs or '')}</li>"
                                     for m in missing) + "</ul>") if missing else "<p>Every measure was computed.</p>"
    pres = report.presence
    hist = next((m for m in ms if m.name == "history_change"), None)
    charts_html = [
        "<h3>Response time distribution</h3>", _img(charts.response_png(report.response_rows), "response times"),
        "<h3>Visible presence by hour</h3>", _img(charts.presence_hour_png(pres.by_hour, estimated=pres.estimated),
                                                  "presence by hour"),
        "<h3>Interactions by type over time</h3>", _img(charts.interactions_png(report.interactions_by_day),
                                                        "interactions by type over time"),
    ]
    if hist is not None and hist.extra.get("by_month"):
        charts_html += ["<h3>Incident history by month (in the area)</h3>",
                        _img(charts.history_png(hist.extra["by_month"], p.first, hist.extra["previous_from"]),
                             "incident history by month")]
    if map_html is not None:
        charts_html += ["<h3>Visible presence by block</h3>",
                        f'<iframe title="presence map" srcdoc="{html.escape(map_html, quote=True)}"></iframe>']
    outputs = "\n".join(_section(m) for m in ms if m.kind == "output")
    outcomes = "\n".join(_section(m) for m in ms if m.kind == "outcome")
    opts = report.options.to_dict()
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Program report {p.first} to {p.last}</title>
<style>{_CSS}</style></head><body>
<h1>Community Safety Ambassador program report</h1>
<p class="meta">{html.escape(report.district)} &middot; {p.first} to {p.last} ({p.days} days, {html.escape(p.tz)})
&middot; generated {html.escape(report.generated_at)}</p>
<section id="summary"><h2>Summary</h2>
<p>Every figure lists how many records it is based on (n) and where it comes from: <i>record</i> (the incident
record), <i>pings</i> (position pings), <i>plan (estimated)</i> (the day's plan where no ping exists: planned,
not measured), <i>survey</i> (imported survey CSVs), <i>history</i> (imported incident history).</p>
{summary}</section>
<section id="cannot"><h2>What the record cannot tell (yet)</h2>{missing_html}</section>
<section id="outputs"><h2>Outputs</h2>{outputs}</section>
<section id="outcomes"><h2>Outcomes</h2>{outcomes}</section>
<section id="charts"><h2>Charts</h2>{''.join(charts_html)}</section>
<section id="definitions"><h2>Definitions and options</h2>
<p><b>Per FTE.</b> FTE = scheduled hours in the period (roster size x shift length x shift days in the period) /
(40 h x shift weeks in the period, i.e. shift days / shift days per week). <i>Average response time per FTE</i>
is the mean, over responding ambassadors, of each ambassador's mean minutes from assignment to on scene;
<i>incidents responded to per FTE</i> divides the incidents with a unit on scene by the FTE.</p>
<p><b>Counting once.</b> An escort, call, report or referral recorded both as an incident action/outcome and as an
interaction linked to that incident counts once.</p>
{_table(["option", "value"], [[k, json.dumps(v)] for k, v in opts.items()])}
</section></body></html>
"""
