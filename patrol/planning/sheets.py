"""sheets.html: printable route sheets, a first page with the team's day at a glance, then one sheet per unit.

Each unit's sheet has its header ("amb2 — Tuesday 2 June 2026"), a summary (start, breaks with their times,
distance, check-ins, hot-spot stays, finish), a small map of its route (inline SVG: prints sharp, needs no
network) and its rows (:mod:`.itinerary`): time, minutes, stop number, what to do in plain words, where, and
the distance of walks.  The page is self-contained (no script, no external file) and prints one unit per
page (A4 or Letter).
"""

from __future__ import annotations

import html
import math
from pathlib import Path
from typing import Any

from shapely.geometry import LineString

from patrol import maps
from patrol.district import District
from patrol.planning.itinerary import (
    RouteGeometry,
    UnitDay,
    date_text,
    distance_text,
    minutes_text,
    shortfall_text,
    unit_day,
)
from patrol.settings import format_hhmm

__all__ = ["route_svg", "write_sheets"]

#: Metres of route between two direction arrows on the small maps.
ARROW_EVERY_M = 300.0

e = html.escape

_CSS = """
body{font:13px/1.35 system-ui,sans-serif;color:#111;margin:0;background:#eee}
section{background:#fff;max-width:960px;margin:16px auto;padding:18px 26px;box-shadow:0 1px 3px #999}
h1{font-size:22px;margin:0 0 4px}h2{font-size:19px;margin:0 0 2px}h3{font-size:15px;margin:14px 0 6px}
.sub{color:#444;margin:0 0 10px}
table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid #ccc;padding:3px 6px;text-align:left;
vertical-align:top}th{background:#f0f0f0;font-weight:600}td.num,th.num{text-align:right;white-space:nowrap}
td.time{white-space:nowrap;font-variant-numeric:tabular-nums}
.swatch{display:inline-block;width:14px;height:14px;border-radius:2px;vertical-align:-2px;margin-right:5px}
.top{display:flex;gap:18px;align-items:flex-start;margin-bottom:8px}
dl.summary{display:grid;grid-template-columns:auto 1fr;gap:3px 10px;margin:0;flex:1;min-width:250px}
dl.summary dt{font-weight:600;color:#333}dl.summary dd{margin:0}
figure{margin:0;flex:none}figcaption{font-size:11px;color:#444;max-width:500px}
tr.kind-walk td{color:#333}tr.kind-checkin td.what{font-weight:600}
tr.kind-hotspot td{background:#efe6f5}tr.kind-hotspot td.what{font-weight:600}
tr.kind-break td{background:#fff4cc}tr.kind-break td.what{font-weight:600}tr.kind-post td.what{font-style:italic}
.stopno{display:inline-block;min-width:18px;padding:0 3px;border-radius:9px;color:#fff;text-align:center;
font-size:11px;font-weight:700}
.ok{color:#1b5e20;font-weight:600}.short{color:#8a1c00}.why{color:#444}
ul.short li{margin-bottom:4px}
@page{size:auto;margin:12mm}
@media print{body{background:#fff}section{box-shadow:none;margin:0;max-width:none;padding:0}
section.sheet{break-before:page}tr{break-inside:avoid}}
"""


# ------------------------------------------------------------------------------------------ the small map
class _Frame:
    """Metres east/north of a point, scaled to an SVG box (north up)."""

    def __init__(self, lat0: float, lon0: float, west: float, south: float, east: float, north: float,
                 width: float) -> None:
        self.kx, self.ky = 111_320.0 * math.cos(math.radians(lat0)), 110_540.0
        self.lat0, self.lon0 = lat0, lon0
        self.x0, self.y1 = west, north
        self.scale = width / (east - west)  # px per metre
        self.width, self.height = width, (north - south) * self.scale

    def metres(self, lon: float, lat: float) -> tuple[float, float]:
        return (lon - self.lon0) * self.kx, (lat - self.lat0) * self.ky

    def px(self, x: float, y: float) -> tuple[float, float]:
        return (x - self.x0) * self.scale, (self.y1 - y) * self.scale


def _path(points: list[tuple[float, float]]) -> str:
    return "M" + " L".join(f"{x:.1f},{y:.1f}" for x, y in points)


def route_svg(day: UnitDay, steps: list[dict[str, Any]], geometry: RouteGeometry, colour: str, *,
              labels: list[maps.StreetLabel] | None = None, width: float = 500.0) -> str:
    """A small map of a unit's route: streets, the corridor, the route (kept to the right of the street, arrows
    every ~300 m), check-ins as dots, hot-spot stays and breaks numbered as on the sheet, the base, a few street
    names and a 200 m scale bar."""
    district = geometry.district
    area = district.settings.area
    lat0, lon0 = (area.south + area.north) / 2, (area.west + area.east) / 2
    kx, ky = 111_320.0 * math.cos(math.radians(lat0)), 110_540.0
    lines: list[list[tuple[float, float]]] = []
    for r in day.rows:
        if r.kind == "walk":
            pts = [((x - lon0) * kx, (y - lat0) * ky) for x, y in geometry.row_line(r, steps)]
            if len(pts) >= 2:
                lines.append(pts)
    base = ((district.base.lon - lon0) * kx, (district.base.lat - lat0) * ky)
    stops = []
    for r in day.stops:
        lat, lon = geometry.point(r.block, r.offset_m)
        stops.append((r, ((lon - lon0) * kx, (lat - lat0) * ky)))
    xs = [p[0] for ln in lines for p in ln] + [base[0]] + [p[0] for _, p in stops]
    ys = [p[1] for ln in lines for p in ln] + [base[1]] + [p[1] for _, p in stops]
    pad = 60.0
    west, east, south, north = min(xs) - pad, max(xs) + pad, min(ys) - pad, max(ys) + pad
    if east - west < 400:
        mid = (east + west) / 2
        west, east = mid - 200, mid + 200
    max_h = width * 0.9
    if (north - south) * width / (east - west) > max_h:  # too tall: widen to keep the aspect
        half = (north - south) * width / max_h / 2
        mid = (east + west) / 2
        west, east = mid - half, mid + half
    elif (north - south) * width / (east - west) < width * 0.45:
        half = (east - west) * 0.45 / 2
        mid = (north + south) / 2
        south, north = mid - half, mid + half
    f = _Frame(lat0, lon0, west, south, east, north, width)
    parts: list[str] = []
    box = LineString([(west, south), (east, south), (east, north), (west, north), (west, south)]).envelope
    street_d: list[str] = []
    corridor_d: list[str] = []
    for _, _, d in district.graph.edges(data=True):
        pts = [((x - lon0) * kx, (y - lat0) * ky) for x, y in d["geometry"].coords]
        if not LineString(pts).intersects(box):
            continue
        path = _path([f.px(*p) for p in pts])
        (corridor_d if d["corridor"] else street_d).append(path)
    parts.append(f'<path d="{" ".join(street_d)}" fill="none" stroke="#aaa" stroke-width="1.2"/>')
    parts.append(f'<path d="{" ".join(corridor_d)}" fill="none" stroke="{maps.CORRIDOR_COLOUR}" stroke-opacity="0.22"'
                 f' stroke-width="7" stroke-linecap="round"/>')
    # street names: each name once, where the page has room for it
    seen: set[str] = set()
    for lb in labels or []:
        x, y = f.px(*f.metres(lb.lon, lb.lat))
        if lb.name in seen or not (30 < x < f.width - 30 and 12 < y < f.height - 12):
            continue
        seen.add(lb.name)
        parts.append(f'<text x="{x:.1f}" y="{y:.1f}" transform="rotate({lb.angle} {x:.1f} {y:.1f}) translate(0 -5)"'
                     f' font-size="8.5" font-style="italic" fill="#555" text-anchor="middle" stroke="#fff"'
                     f' stroke-width="2.5" paint-order="stroke">{e(lb.name)}</text>')
    # the route, kept 2.5 px to the right of the street so the way out and the way back show apart
    right = 2.5 / f.scale
    arrows: list[str] = []
    carry = 150.0  # metres walked since the last arrow (the first comes after 150 m)
    for pts in lines:
        ln = LineString(pts)
        off = ln.offset_curve(-right) if ln.length > 0 else ln
        if off.is_empty or off.geom_type != "LineString":
            off = ln
        parts.append(f'<path d="{_path([f.px(*p) for p in off.coords])}" fill="none" stroke="{colour}" '
                     f'stroke-width="1.8" stroke-linejoin="round"/>')
        pos = ARROW_EVERY_M - carry
        while pos < off.length:
            a, b = off.interpolate(max(0.0, pos - 5)), off.interpolate(min(off.length, pos + 5))
            (ax, ay), (bx, by) = f.px(a.x, a.y), f.px(b.x, b.y)
            ang = math.degrees(math.atan2(by - ay, bx - ax))
            cx, cy = f.px(*off.interpolate(pos).coords[0])
            arrows.append(f'<path d="M3.5,0 L-3,-3 L-1.5,0 L-3,3 Z" fill="{colour}" '
                          f'transform="translate({cx:.1f} {cy:.1f}) rotate({ang:.0f})"/>')
            pos += ARROW_EVERY_M
        carry = off.length - (pos - ARROW_EVERY_M)
    parts += arrows
    for r, p in stops:
        x, y = f.px(*p)
        if r.kind == "checkin":
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.6" fill="{colour}" stroke="#fff" '
                         'stroke-width="0.8"/>')
    for r, p in stops:  # numbered marks on top of the check-in dots
        x, y = f.px(*p)
        if r.kind == "hotspot":
            parts.append(f'<rect x="{x - 5:.1f}" y="{y - 5:.1f}" width="10" height="10" fill="#fff" stroke="{colour}" '
                         f'stroke-width="1.6" transform="rotate(45 {x:.1f} {y:.1f})"/>')
        elif r.kind == "break":
            parts.append(f'<rect x="{x - 5.5:.1f}" y="{y - 5.5:.1f}" width="11" height="11" rx="1.5" fill="#fff" '
                         f'stroke="{colour}" stroke-width="1.6"/>')
        else:
            continue
        parts.append(f'<text x="{x:.1f}" y="{y + 2.6:.1f}" font-size="7" font-weight="bold" text-anchor="middle" '
                     f'fill="#000">{r.stop}</text>')
    bx, by = f.px(*base)  # the base on top of everything
    parts.append(f'<circle cx="{bx:.1f}" cy="{by:.1f}" r="5" fill="{maps.BASE_FILL}" stroke="#000" '
                 f'stroke-width="1.8" fill-opacity="0.9"/>')
    # a 200 m scale bar, bottom left
    sx, sy, sl = 8.0, f.height - 8.0, 200.0 * f.scale
    parts.append(f'<path d="M{sx},{sy - 4} V{sy} H{sx + sl:.1f} V{sy - 4}" fill="none" stroke="#000" '
                 'stroke-width="1.2"/>'
                 f'<text x="{sx + sl / 2:.1f}" y="{sy - 3}" font-size="8" text-anchor="middle">200 m</text>')
    parts.append(f'<text x="{f.width - 6:.1f}" y="12" font-size="9" text-anchor="end" fill="#333">N ↑</text>')
    return (f'<svg class="route-map" width="{f.width:.0f}" height="{f.height:.0f}" viewBox="0 0 {f.width:.1f} '
            f'{f.height:.1f}" role="img" aria-label="map of the route of {e(day.name)}" '
            f'style="border:1px solid #bbb;background:#fafaf8">{"".join(parts)}</svg>')


# ------------------------------------------------------------------------------------------ the page
def _summary(day: UnitDay, base_at: str, stints: list[str] | None = None) -> str:
    breaks = "; ".join(f"{b.kind} {format_hhmm(b.t0)}-{format_hhmm(b.t1)} at {e(b.where)}" for b in day.breaks)
    stays = day.hotspot_stays
    stays_text = (f"{len(stays)}, {minutes_text(sum(r.t1 - r.t0 for r in stays))} in all: "
                  + ", ".join(f"{r.start} (hot spot {e(r.subject)})" for r in stays)
                  if stays else "none")
    items = [("Start", f"{e(day.start)} at the base ({e(base_at)})"),
             ("Breaks", breaks or "none"),
             ("Walk", f"{day.walk_km:.1f} km"),
             ("Check-ins", f"{day.checkins} businesses"),
             ("Hot-spot stays", stays_text),
             *([("Events", "; ".join(e(x) for x in stints))] if stints else []),
             ("Finish", f"{e(day.end)} at the base")]
    return '<dl class="summary">' + "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in items) + "</dl>"


def _rows_table(day: UnitDay, colour: str) -> str:
    out = ['<table class="rows"><thead><tr><th>Time</th><th>Until</th><th class="num">Min</th><th>Stop</th>'
           '<th>What to do</th><th>Where</th><th class="num">Distance</th></tr></thead><tbody>']
    for r in day.rows:
        stop = f'<span class="stopno" style="background:{colour}">{r.stop}</span>' if r.stop else ""
        dist = distance_text(r.length_m) if r.kind == "walk" else ""
        out.append(f'<tr class="kind-{r.kind}"><td class="time">{r.start}</td><td class="time">{r.end}</td>'
                   f'<td class="num">{r.minutes}</td><td>{stop}</td><td class="what">{e(r.text)}</td>'
                   f'<td class="where">{e(r.where)}</td><td class="num">{dist}</td></tr>')
    out.append("</tbody></table>")
    return "".join(out)


def _team(plan: dict[str, Any], days: list[UnitDay], colours: dict[str, str], when: str) -> str:
    pairs = any(len(d.members) > 1 for d in days)
    head = ("<tr><th>Unit</th>" + ("<th>Who</th>" if pairs else "") + "<th>Hours</th><th>Breaks</th>"
            "<th class='num'>Walk</th><th class='num'>Check-ins</th><th>Hot-spot stays</th></tr>")
    body = []
    for d in days:
        role = f" ({d.role_text})" if d.role_text else ""
        breaks = "<br>".join(e(b.text) for b in d.breaks) or "none"
        stays = ", ".join(r.start for r in d.hotspot_stays) or "none"
        body.append(f"<tr><td><span class='swatch' style='background:{colours[d.name]}'></span>"
                    f"<a href='#sheet-{e(d.name)}'>{e(d.name)}</a>{e(role)}</td>"
                    + (f"<td>{e(d.who)}</td>" if pairs else "")
                    + f"<td class='time'>{e(d.hours[0])}-{e(d.hours[1])}</td><td class='time'>{breaks}</td>"
                    f"<td class='num'>{d.walk_km:.1f} km</td><td class='num'>{d.checkins}</td><td>{stays}</td></tr>")
    total_km = sum(d.walk_km for d in days)
    total_ci = sum(d.checkins for d in days)
    total_stays = sum(len(d.hotspot_stays) for d in days)
    body.append("<tr><th>All</th>" + ("<th></th>" if pairs else "") + "<th></th><th></th>"
                f"<th class='num'>{total_km:.1f} km</th><th class='num'>{total_ci}</th>"
                f"<th>{total_stays} stays</th></tr>")
    people = sum(len(d.members) for d in days)
    shift = plan.get("shift") or {}
    out = [f"<h1>{e(str(plan.get('district', '')))}: patrol plan for {e(when)}</h1>",
           f"<p class='sub'>{people} ambassador{'s' if people != 1 else ''}"
           + (f" in {len(days)} units ({sum(len(d.members) > 1 for d in days)} of them pairs)" if pairs else "")
           + f", shift {e(str(shift.get('start', '')))}-{e(str(shift.get('end', '')))}; every unit starts and "
           "finishes at the base. One page per unit follows.</p>",
           "<h3>The team's day at a glance</h3>",
           f"<table class='team'><thead>{head}</thead><tbody>{''.join(body)}</tbody></table>"]
    shortfalls = plan.get("shortfalls") or []
    out.append("<h3>Targets</h3>")
    if not shortfalls:
        out.append("<p class='ok'>Every target of the day is met by this plan.</p>")
    else:
        out.append(f"<p class='short'><b>{len(shortfalls)} target{'s' if len(shortfalls) != 1 else ''} not met"
                   "</b> (the plan does the most it can with the people on the roster):</p><ul class='short'>")
        for sf in shortfalls:
            what, why = shortfall_text(sf)
            out.append(f"<li>{e(what)}." + (f"<br><span class='why'>Why: {e(why)}.</span>" if why else "") + "</li>")
        out.append("</ul>")
    hot = plan.get("hotspots") or []
    if hot:
        who: dict[str, list[str]] = {}
        for d in days:
            for r in d.hotspot_stays:
                who.setdefault(r.subject, []).append(f"{r.start} {d.name}")
        out.append("<h3>Hot spots (the blocks with the most demand; a 10-15 minute stay every 2 hours)</h3>"
                   "<table class='hotspots'><thead><tr><th>Hot spot</th><th>Street</th><th>Stays planned</th></tr>"
                   "</thead><tbody>")
        for h in hot:
            stays = ", ".join(sorted(who.get(str(h["id"]), []))) or "none"
            out.append(f"<tr><td>{int(h['id'])}</td><td>{e(str(h.get('street', '')))}</td><td>{e(stays)}</td></tr>")
        out.append("</tbody></table>")
    return "<section class='team'>" + "".join(out) + "</section>"


def _events(plan: dict[str, Any]) -> str:
    """The first page's "Events today" block: each special event's time, the people wanted and who is there when,
    and what to tell people (every text escaped; empty without events)."""
    items = []
    for ev in plan.get("events") or []:
        window = ev.get("window") or ["", ""]
        n = int(ev.get("ambassadors", 1))
        how = "at it" if ev.get("mode") == "dwell" else "walking around it"
        by_time: dict[tuple[str, str], list[str]] = {}
        for x in ev.get("stints", []):
            by_time.setdefault((x["from"], x["to"]), []).append(x["unit"])
        who = "; ".join(f"{' and '.join(units)} {a}-{b}" for (a, b), units in by_time.items()) or "nobody planned"
        crowd = f", about {int(ev['crowd']):,} people" if ev.get("crowd") else ""
        place = f" at {ev['place']}" if ev.get("place") else ""
        info = f"<div class='event-info'>Tell people: {e(ev['info'])}</div>" if ev.get("info") else ""
        items.append(f"<li><b>{e(ev['name'])}</b>{e(place)}, {e(window[0])}-{e(window[1])} (set-up to dispersal)"
                     f"{e(crowd)}: {n} ambassador{'s' if n > 1 else ''} {how}: {e(who)}{info}</li>")
    if not items:
        return ""
    return "<section class='events'><h3>Events today</h3><ul>" + "".join(items) + "</ul></section>"


def write_sheets(plan: dict[str, Any], district: District, path: str | Path) -> Path:
    """Write sheets.html: the team's day at a glance, then one printable sheet per unit (see the module doc)."""
    geometry = RouteGeometry(district)
    labels = maps.street_labels(district)
    when = date_text(plan)
    names = list(plan["walkers"])
    colours = {w: maps.PALETTE[j % len(maps.PALETTE)] for j, w in enumerate(names)}
    days = [unit_day(plan, w, district) for w in names]
    stints: dict[str, list[str]] = {}  # a unit's stints at special events, for its summary
    for ev in plan.get("events") or []:
        for x in ev.get("stints", []):
            stints.setdefault(x["unit"], []).append(f"{ev['name']} {x['from']}-{x['to']}")
    base_at = district.base.matched
    parts = [f"<!doctype html><html lang='en'><head><meta charset='utf-8'>"
             f"<meta name='viewport' content='width=device-width, initial-scale=1'>"
             f"<title>Route sheets: {e(when)}</title><style>{_CSS}</style></head><body>",
             _team(plan, days, colours, when), _events(plan)]
    for d in days:
        colour = colours[d.name]
        role = f" · {d.role_text}" if d.role_text else ""
        members = f" · {e(d.who)}" if len(d.members) > 1 else ""
        svg = route_svg(d, plan["walkers"][d.name]["steps"], geometry, colour, labels=labels)
        caption = ("Route (kept to the right of the street, arrows show the way), "
                   "<b>●</b> check-in, <b>◆</b> hot-spot stay, <b>■</b> break, numbered as in the table; "
                   "yellow circle: the base.")
        parts.append(
            f"<section class='sheet' id='sheet-{e(d.name)}'>"
            f"<h2><span class='swatch' style='background:{colour}'></span>{e(d.name)} — {e(when)}</h2>"
            f"<p class='sub'>Hours {e(d.hours[0])}-{e(d.hours[1])}{members}{e(role)}</p>"
            f"<div class='top'>{_summary(d, base_at, stints.get(d.name))}"
            f"<figure>{svg}<figcaption>{caption}</figcaption></figure></div>"
            f"{_rows_table(d, colour)}</section>")
    parts.append("</body></html>")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(parts), encoding="utf-8")
    return path
