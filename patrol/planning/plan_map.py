"""maps/plan-<day>.html: the day's plan on the district's streets, for the lead.

One layer per unit: its route (walk rows of :mod:`.itinerary` as lines kept a few pixels to the right of the
street, each unit in its own lane on every street it shares, so eight routes on one corridor and a route's way out
and way back show side by side; arrows point the way), its stops (check-ins, hot-spot stays, breaks, standing)
numbered in order as on its route sheet from zoom 17, with their start times beside them from zoom 18 (in the
per-walker view: numbers always, times from zoom 16). A team panel lists every unit with its colour, name,
distance, hours and check-ins, a check box to show or hide it and a link to see it alone (``#only=<unit>``: that unit's
route, zoomed, with its day listed in the panel); below it, what every mark means in plain words. Street names show
from zoom 16. Everything is inlined: the page works offline.
"""

from __future__ import annotations

import html
import json
import math
from pathlib import Path
from typing import Any

import folium

from patrol import maps
from patrol.district import District
from patrol.planning.itinerary import RouteGeometry, UnitDay, date_text, shortfall_text, unit_day

__all__ = ["plan_map_data", "write_map"]

e = html.escape

#: Width of the team panel on the right of the map (px); the first view keeps the patrol area clear of it.
PANEL_PX = 380

_CSS = """<style>
.plan-panel{position:fixed;top:10px;right:10px;z-index:1000;width:350px;max-height:calc(100vh - 40px);overflow:auto;
background:rgba(255,255,255,.97);border:1px solid #888;border-radius:4px;padding:8px 10px;font:12px sans-serif}
.plan-panel h2{font-size:14px;margin:0 0 2px}.plan-panel .headline{margin:0 0 6px;color:#333}
.plan-panel table{border-collapse:collapse;width:100%;font-size:11.5px}
.plan-panel th{text-align:left;font-weight:600;color:#333;
border-bottom:1px solid #bbb;padding:2px 3px}.plan-panel td{padding:2px 3px;border-bottom:1px solid #eee}
.plan-panel td.num,.plan-panel th.num{text-align:right;white-space:nowrap}
.plan-panel tr.chosen td{background:#fff7d6}
.plan-panel .ok{color:#1b5e20;font-weight:600}.plan-panel .short{color:#8a1c00;font-weight:600}
.plan-panel details.missed ul{margin:2px 0 4px;padding-left:16px}.plan-panel details.missed li{margin-bottom:3px}
.plan-panel .why{color:#444}.plan-panel td.who{white-space:nowrap}
.plan-panel details{margin-top:6px}.plan-panel summary{font-weight:600;cursor:pointer}
.plan-panel a{color:#0b57d0}
.team-swatch{display:inline-block;width:22px;height:0;border-top:4px solid;vertical-align:middle;margin-right:4px}
#walker-detail{margin-top:6px;border-top:1px solid #bbb;padding-top:4px}
#walker-detail h3{font-size:13px;margin:2px 0}#walker-detail p{margin:2px 0 4px}
table.walker-rows td.time{white-space:nowrap;font-variant-numeric:tabular-nums}
table.walker-rows tr.kind-walk td{color:#444}table.walker-rows tr.kind-break td{background:#fff4cc}
table.walker-rows tr.kind-hotspot td{background:#efe6f5}
table.walker-rows .mark{display:inline-block;min-width:16px;border-radius:8px;text-align:center;font-weight:700}
.plan-stop{position:absolute;left:0;top:0}
.plan-stop .mark{position:absolute;transform:translate(-50%,-50%);width:8px;height:8px;box-sizing:border-box;
background:var(--c);color:var(--ink);border:1px solid #fff;border-radius:50%;display:flex;align-items:center;
justify-content:center;font:bold 10px sans-serif}
.plan-stop .mark .no{display:none}
.z-ge-16 .plan-stop .mark{width:11px;height:11px}
.z-ge-17 .plan-stop .mark,.single-walker .plan-stop .mark{width:18px;height:18px}
.z-ge-17 .plan-stop .mark .no,.single-walker .plan-stop .mark .no{display:inline}
.plan-stop.kind-hotspot .mark{border-radius:2px;transform:translate(-50%,-50%) rotate(45deg)}
.plan-stop.kind-hotspot .mark .no{transform:rotate(-45deg)}
.plan-stop.kind-break .mark{border-radius:2px}
.plan-stop.kind-post .mark{background:#fff;color:#000;border:2px solid var(--c)}
.plan-stop .stop-time{display:none;position:absolute;left:11px;top:-8px;background:#fff;border:1px solid;
padding:0 2px;font:10px sans-serif;white-space:nowrap;border-radius:2px}
.z-ge-18 .plan-stop .stop-time,.single-walker.z-ge-16 .plan-stop .stop-time{display:block}
.hotspot-label span{display:none;position:absolute;left:14px;top:-22px;white-space:nowrap;font:bold 11px sans-serif;
text-shadow:0 0 2px #fff,0 0 2px #fff,0 0 3px #fff}
.z-ge-16 .hotspot-label span{display:block}
.plan-tip .tip-where{color:#444}
.plan-panel .legend-item{display:flex;align-items:center;gap:6px;margin:3px 0}.plan-panel .swatch{flex:none}
.legend-mark{position:relative;display:inline-block;width:26px;height:18px;flex:none}
.legend-mark .plan-stop{left:13px;top:9px}
.legend-mark .plan-stop .mark{width:16px;height:16px}.legend-mark .plan-stop .mark .no{display:inline}
</style>"""


def _rows_json(day: UnitDay) -> list[list[Any]]:
    return [[r.start, r.end, r.minutes, r.kind, r.text, r.where, r.stop] for r in day.rows]


def _bearing(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Compass bearing (degrees clockwise from north) from ``a`` to ``b``, both ``(lon, lat)``."""
    dx = (b[0] - a[0]) * math.cos(math.radians((a[1] + b[1]) / 2))
    return math.degrees(math.atan2(dx, b[1] - a[1])) % 360.0


def plan_map_data(plan: dict[str, Any], district: District, geometry: RouteGeometry | None = None) -> dict[str, Any]:
    """What the page's script draws: per unit its colour, totals, rows, route lines and stops; the hot spots with the
    stays planned there.

    A line is ``[row, [[lat, lon], ...], lane]`` (one per walk row) and a stop ``[row, lat, lon, lane, bearing]``
    (the bearing it was walked to, or ``None``).  Lanes are counted per street: the units walking a street take lanes
    0, 1, 2, ... on it in the team's order, so a street walked by one unit has its route close beside it and the
    corridor, walked by many, has them side by side; a stop is drawn in its unit's lane too.
    """
    geometry = geometry or RouteGeometry(district)
    names = list(plan["walkers"])
    days = {name: unit_day(plan, name, district) for name in names}
    users: dict[str, list[str]] = {}
    for name in names:
        for r in days[name].rows:
            street = plan["walkers"][name]["steps"][r.steps[-1]].get("street", "")
            if r.kind == "walk" and name not in users.setdefault(street, []):
                users[street].append(name)
    walkers = []
    stays: dict[str, list[str]] = {}
    for j, name in enumerate(names):
        day = days[name]
        steps = plan["walkers"][name]["steps"]
        colour = maps.PALETTE[j % len(maps.PALETTE)]
        lines: list[list[Any]] = []
        stops: list[list[Any]] = []
        heading: float | None = None
        for k, r in enumerate(day.rows):
            street = str(steps[r.steps[-1]].get("street", ""))
            lane = users[street].index(name) if name in users.get(street, []) else 0
            if r.kind == "walk":
                pts = geometry.row_line(r, steps)
                if len(pts) >= 2:
                    lines.append([k, [[round(lat, 6), round(lon, 6)] for lon, lat in pts], lane])
                    heading = round(_bearing(pts[-2], pts[-1]), 1)
            else:
                lat, lon = geometry.point(r.block, r.offset_m)
                stops.append([k, round(lat, 6), round(lon, 6), lane, heading])
                if r.kind == "hotspot":
                    stays.setdefault(r.subject, []).append(f"{r.start} {name}")
        walkers.append({"name": name, "colour": colour, "ink": maps.ink_on(colour), "km": round(day.walk_km, 3),
                        "hours": f"{day.hours[0]}-{day.hours[1]}", "checkins": day.checkins,
                        "breaks": [b.text for b in day.breaks], "rows": _rows_json(day), "lines": lines,
                        "stops": stops})
    hotspots = [{"id": int(h["id"]), "lat": float(h["lat"]), "lon": float(h["lon"]), "street": str(h.get("street", "")),
                 "stays": ", ".join(sorted(stays.get(str(h["id"]), [])))} for h in plan.get("hotspots", [])]
    return {"when": date_text(plan), "walkers": walkers, "hotspots": hotspots}


def _mark(kind: str, colour: str, ink: str, number: str) -> str:
    return (f'<span class="legend-mark"><span class="plan-stop kind-{kind}"><span class="mark" '
            f'style="--c:{colour};--ink:{ink}"><b class="no">{number}</b></span></span></span>')


def _panel(plan: dict[str, Any], data: dict[str, Any], district: District) -> str:
    shortfalls = plan.get("shortfalls") or []
    total_km = sum(w["km"] for w in data["walkers"])
    total_ci = sum(w["checkins"] for w in data["walkers"])
    people = sum(len(plan["walkers"][w["name"]].get("members") or [w["name"]]) for w in data["walkers"])
    missed = ""
    if shortfalls:
        targets = f'<span class="short">{len(shortfalls)} target{"s" if len(shortfalls) != 1 else ""} not met</span>'
        notes = []
        for sf in shortfalls:
            what, why = shortfall_text(sf)
            notes.append(f"<li>{e(what)}" + (f'<br><span class="why">Why: {e(why)}</span>' if why else "") + "</li>")
        missed = f'<details class="missed"><summary>which, and why</summary><ul>{"".join(notes)}</ul></details>'
    else:
        targets = '<span class="ok">every target met</span>'
    rows = []
    for w in data["walkers"]:
        name = e(w["name"])
        rows.append(f'<tr class="team-row" data-walker="{name}"><td><input type="checkbox" checked '
                    f'data-walker="{name}" aria-label="show {name}"></td>'
                    f'<td class="who"><span class="team-swatch" style="border-color:{w["colour"]}"></span>'
                    f'<span class="team-name">{name}</span></td><td class="num km">{w["km"]:.1f} km</td>'
                    f'<td class="num">{e(w["hours"])}</td><td class="num">{w["checkins"]}</td>'
                    f'<td><a class="only" href="#only={e(w["name"])}">alone</a></td></tr>')
    grey = "#555"
    items = [
        ('<span class="legend-mark"><svg width="26" height="18"><line x1="1" y1="9" x2="25" y2="9" stroke="#0072B2" '
         'stroke-width="3"/><path d="M19,9 L13,5 L15,9 L13,13 Z" fill="#0072B2"/></svg></span>',
         "a unit's route, in its colour; arrows point the way. Each unit keeps to its own lane right of the street "
         "centre, so routes on one street, and the way out and back, show side by side"),
        (_mark("checkin", grey, "#fff", "3"), "check-in with a business; stops are numbered in order as on the "
                                              "route sheet (numbers from zoom 17, start times from zoom 18 or "
                                              "with one unit alone)"),
        (_mark("hotspot", grey, "#fff", "5"), "stay at a hot spot (10-15 min)"),
        (_mark("break", grey, "#fff", "9"), "meal or rest break"),
        (_mark("post", grey, "#fff", "8"), "standing at a corner, visible (or waiting at the base)"),
        ('<span class="legend-mark"><svg width="26" height="18"><circle cx="13" cy="9" r="7.5" fill="none" '
         'stroke="#000" stroke-width="2"/></svg></span>',
         "hot spot: a block with the most demand, to visit for 10-15 min every 2 hours"),
    ]
    base_items = [maps.LegendItem(f"base: {district.settings.base.name}", maps.BASE_FILL, "dot",
                                  border=maps.BASE_OUTLINE),
                  maps.LegendItem("cultural corridor", maps.CORRIDOR_COLOUR, "band", fill_opacity=0.25),
                  maps.LegendItem("patrol area", maps.AREA_COLOUR, "box", dash="4 3", fill_opacity=0.15),
                  maps.LegendItem(f"street names (from zoom {maps.LABEL_ZOOM})", "#333", "text")]
    legend = "".join(f'<div class="legend-item">{sw}<span class="legend-label">{e(text)}</span></div>'
                     for sw, text in items)
    legend += "".join(f'<div class="legend-item">{maps.swatch_svg(it)}<span class="legend-label">{e(it.label)}'
                      f"</span></div>" for it in base_items)
    return (f'<div id="plan-panel" class="plan-panel"><h2>Team on {e(data["when"])}</h2>'
            f'<p class="headline">{people} ambassadors, {total_km:.1f} km walked, {total_ci} check-ins; {targets}</p>'
            f"{missed}"
            '<table class="team"><thead><tr><th></th><th>Unit</th><th class="num">Walk</th><th class="num">Hours</th>'
            '<th class="num">Check-ins</th><th>View</th></tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table>'
            '<p><a id="show-everyone" href="#">show everyone</a> · tick or untick a unit, or see one "alone"</p>'
            '<div id="walker-detail" hidden></div>'
            f'<details open><summary>What the marks mean</summary><div class="marks">{legend}</div></details></div>')


def write_map(plan: dict[str, Any], district: District, path: str | Path) -> Path:
    """Write the plan map (see the module docstring); offline (Leaflet and the scripts inlined)."""
    geometry = RouteGeometry(district)
    data = plan_map_data(plan, district, geometry)
    m = maps.new_map(district, title=f"{district.name}: patrol plan for {data['when']}", panel_px=PANEL_PX)
    maps.add_streets(m, district, corridor_style={"color": maps.CORRIDOR_COLOUR, "weight": 14, "opacity": 0.18,
                                                          "lineCap": "butt"})
    maps.add_area(m, district)
    maps.add_zoom_classes(m)
    maps.add_head(m, _CSS)
    maps.add_html(m, _panel(plan, data, district))
    payload = json.dumps(data, separators=(",", ":")).replace("</", "<\\/")
    m.add_child(maps.MapScript(maps.map_script("offset_line") + "\n" + maps.map_script("plan_map")
                               + f"\npatrolPlanMap(__MAP__, {payload});"))
    maps.add_street_labels(m, district)
    maps.add_base(m, district)
    folium.LayerControl(position="bottomleft", collapsed=True).add_to(m)
    return maps.save_map(m, path)
