"""The report's charts (matplotlib, inline SVG) and its presence map (folium, offline).

Each chart function returns an ``<svg>`` element as text (``None`` when there is nothing to draw): the HTML
report embeds it, so the report stays one file, the charts stay sharp when zoomed or printed, and their
legends and axis labels are text a reader (or a test) can find in the page.  Every chart has a title, axis
labels with units and a legend naming every colour drawn.

Colours are colour-blind safe: the Okabe-Ito palette for two or three series, Paul Tol's "muted" palette (with
hatching beyond its nine colours) for the interaction types, and a single-hue yellow-orange-brown ramp for the
presence map.
"""

from __future__ import annotations

import io
import logging
import re
import tempfile
from datetime import date
from html import escape
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from patrol.settings import format_hhmm

__all__ = ["OKABE_ITO", "PRESENCE_COLOURS", "TOL_MUTED", "history_chart", "interactions_chart", "presence_bands",
           "presence_hour_chart", "presence_map_html", "response_chart"]

log = logging.getLogger(__name__)

#: Okabe & Ito (2008), safe for every common colour-vision deficiency.
OKABE_ITO = {"blue": "#0072B2", "orange": "#E69F00", "vermillion": "#D55E00", "sky": "#56B4E9",
             "green": "#009E73", "yellow": "#F0E442", "purple": "#CC79A7", "grey": "#999999"}
#: Paul Tol's "muted" qualitative palette (colour-blind safe), for many categories.
TOL_MUTED = ("#332288", "#88CCEE", "#44AA99", "#117733", "#999933", "#DDCC77", "#CC6677", "#882255", "#AA4499")
_HATCHES = ("", "//", "..", "xx")
#: The presence map's ramp, light to dark (ColorBrewer YlOrBr: one hue, readable with any colour vision).
PRESENCE_COLOURS = ("#FEC44F", "#FB9A29", "#CC4C02", "#662506")
_NO_PRESENCE = "#BDBDBD"

_RC = {"svg.fonttype": "none", "svg.hashsalt": "patrol-report", "font.size": 10, "axes.spines.top": False,
       "axes.spines.right": False}


def _svg(fig, label: str) -> str:
    """The figure as an inline ``<svg>`` (no XML prolog), labelled for screen readers.

    Several charts share one page: the ids matplotlib gives its groups (``figure_1``, ``patch_3``) are
    dropped (nothing refers to them) and the referenced ones (clip paths, hatches) are salted with the
    chart's label, so no id repeats across the page.
    """
    buf = io.StringIO()
    with plt.rc_context({**_RC, "svg.hashsalt": f"patrol-report {label}"}):
        fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None, "Creator": "patrol"})
    plt.close(fig)
    text = buf.getvalue()
    text = re.sub(r'<g id="[^"]*"', "<g", text[text.index("<svg"):])
    return text.replace("<svg ", f'<svg role="img" aria-label="{escape(label)}" ', 1)


def _fig(width: float, height: float):
    with plt.rc_context(_RC):
        return plt.subplots(figsize=(width, height))


def _minutes(v: float) -> str:
    """Minutes as the report prints them (at most two decimals, as the measures round)."""
    return f"{round(float(v), 2):.2f}".rstrip("0").rstrip(".")


def response_chart(rows: list[dict]) -> str | None:
    """Incidents by response time: call -> on scene and assignment -> on scene side by side, per minute bin."""
    if not rows:
        return None
    a = np.array([r["assign_to_scene_min"] for r in rows], float)
    c = np.array([r["call_to_scene_min"] for r in rows], float)
    hi = max(float(c.max()), float(a.max()), 1.0)
    width = max(1, int(np.ceil(hi / 20)))  # whole minutes, at most ~20 bins
    edges = np.arange(0, (np.floor(hi / width) + 1) * width + width, width, dtype=float)
    nc, _ = np.histogram(c, edges)
    na, _ = np.histogram(a, edges)
    left = edges[:-1]
    fig, ax = _fig(7.5, 3.4)
    with plt.rc_context(_RC):
        ax.bar(left + width * 0.3, nc, width=width * 0.38, color=OKABE_ITO["blue"],
               label=f"call to on scene (average {_minutes(c.mean())} min)")
        ax.bar(left + width * 0.7, na, width=width * 0.38, color=OKABE_ITO["orange"], hatch="//", edgecolor="white",
               label=f"assignment to on scene (average {_minutes(a.mean())} min)")
        ax.set_xticks(edges)
        ax.set_xlim(0, edges[-1])
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel("minutes until the first unit is on scene")
        ax.set_ylabel("incidents")
        ax.set_title(f"Response times ({len(rows)} incidents with a unit on scene)")
        ax.legend(bbox_to_anchor=(1.01, 1), loc="upper left", frameon=False, fontsize=8)
    return _svg(fig, "response times")


def presence_hour_chart(by_hour, by_hour_planned=None, *, shift: tuple[int, int] = (0, 24 * 60),
                        tz: str = "local") -> str | None:
    """Ambassador-hours of visible presence by hour of day, over the whole shift (and any hour outside it).

    Hours measured from pings and hours taken from plans (estimated) are stacked and told apart; the shift
    is shaded.
    """
    h = np.asarray(by_hour, float)
    p = np.zeros(24) if by_hour_planned is None else np.asarray(by_hour_planned, float)
    if h.sum() <= 0:
        return None
    used = np.flatnonzero(h > 0)
    s0, s1 = shift[0] // 60, -(-shift[1] // 60)
    lo, hi = min(s0, int(used.min())), max(s1, int(used.max()) + 1)
    hours = np.arange(lo, hi)
    measured = np.clip(h - p, 0, None)[lo:hi]
    fig, ax = _fig(7.5, 3.2)
    with plt.rc_context(_RC):
        ax.axvspan(shift[0] / 60, shift[1] / 60, color="#EEEEEE", zorder=0)
        ax.bar(hours + 0.5, measured, width=0.85, color=OKABE_ITO["blue"], zorder=2)
        handles = [Patch(facecolor=OKABE_ITO["blue"], label="measured from pings")]
        if p.sum() > 0:
            ax.bar(hours + 0.5, p[lo:hi], bottom=measured, width=0.85, color=OKABE_ITO["sky"], hatch="//",
                   edgecolor="white", zorder=2)
            handles.append(Patch(facecolor=OKABE_ITO["sky"], hatch="//", edgecolor="white",
                                 label="taken from plans (estimated)"))
        handles.append(Patch(facecolor="#EEEEEE", edgecolor="#999999",
                             label=f"shift ({format_hhmm(shift[0])} to {format_hhmm(shift[1])})"))
        ax.set_xticks(np.arange(lo, hi + 1))
        ax.set_xticklabels([f"{k:02d}:00" for k in range(lo, hi + 1)], rotation=45, ha="right", fontsize=8)
        ax.set_xlim(lo, hi)
        ax.set_xlabel(f"hour of day ({tz} time)")
        ax.set_ylabel("ambassador-hours")
        ax.set_title("Visible presence by hour of day")
        ax.legend(handles=handles, bbox_to_anchor=(1.01, 1), loc="upper left", frameon=False, fontsize=8)
    return _svg(fig, "visible presence by hour of day")


def interactions_chart(by_day: dict[str, dict[str, int]], days: list[date] | None = None) -> str | None:
    """Stacked bars of interactions by type for every day of the period (per ISO week beyond 45 days)."""
    if not by_day:
        return None
    days = [d.isoformat() for d in days] if days else sorted(by_day)
    weekly = (date.fromisoformat(days[-1]) - date.fromisoformat(days[0])).days > 45
    buckets: dict[str, dict[str, int]] = {}
    for d in days:
        dd = date.fromisoformat(d)
        if weekly:
            y, w, _ = dd.isocalendar()
            key = f"{y} week {w}"
        else:
            key = f"{dd:%a} {dd.day} {dd:%b}"
        b = buckets.setdefault(key, {})
        for t, n in by_day.get(d, {}).items():
            b[t] = b.get(t, 0) + n
    types = sorted({t for b in buckets.values() for t in b})
    keys = list(buckets)
    fig, ax = _fig(8.5, 3.8)
    with plt.rc_context(_RC):
        bottom = np.zeros(len(keys))
        x = np.arange(len(keys))
        for i, t in enumerate(types):
            v = np.array([buckets[k].get(t, 0) for k in keys], float)
            ax.bar(x, v, bottom=bottom, width=0.7, label=t, color=TOL_MUTED[i % len(TOL_MUTED)],
                   hatch=_HATCHES[(i // len(TOL_MUTED)) % len(_HATCHES)], edgecolor="white", linewidth=0.5)
            bottom += v
        ax.set_xticks(x)
        ax.set_xticklabels(keys, rotation=45 if len(keys) > 8 else 0, ha="right" if len(keys) > 8 else "center",
                           fontsize=8)
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel("ISO week" if weekly else "day")
        ax.set_ylabel("interactions logged")
        ax.set_title("Interactions by type, " + ("per week" if weekly else "per day"))
        ax.legend(fontsize=8, bbox_to_anchor=(1.01, 1), loc="upper left", frameon=False, title="interaction type",
                  title_fontsize=8)
    return _svg(fig, "interactions by type over time")


def history_chart(by_period: list[dict]) -> str | None:
    """In-area incidents of the imported history per period of the report's length, the last two compared."""
    if not by_period:
        return None
    n = len(by_period)
    colours = [OKABE_ITO["grey"]] * (n - 2) + [OKABE_ITO["blue"], OKABE_ITO["vermillion"]][-min(n, 2):]
    labels = []
    for p in by_period:
        a, b = date.fromisoformat(p["from"]), date.fromisoformat(p["to"])
        labels.append(f"{a.day} {a:%b}" if a == b else f"{a.day} {a:%b} to {b.day} {b:%b}")
    counts = [p["incidents"] for p in by_period]
    days = (date.fromisoformat(by_period[-1]["to"]) - date.fromisoformat(by_period[-1]["from"])).days + 1
    fig, ax = _fig(7.5, 3.4)
    with plt.rc_context(_RC):
        bars = ax.bar(np.arange(n), counts, color=colours, width=0.7)
        ax.bar_label(bars, fontsize=8)
        ax.set_xticks(np.arange(n))
        ax.set_xticklabels(labels, rotation=45 if n > 4 else 0, ha="right" if n > 4 else "center", fontsize=8)
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel(f"periods of {days} day{'s' if days != 1 else ''}, the same length as the report's")
        ax.set_ylabel("incidents in the patrol area")
        ax.set_title("Non-emergency incidents in the area (imported history)")
        handles = [Patch(color=OKABE_ITO["vermillion"], label="this period"),
                   Patch(color=OKABE_ITO["blue"], label="previous period (compared)")]
        if n > 2:
            handles.append(Patch(color=OKABE_ITO["grey"], label="earlier periods"))
        ax.legend(handles=handles, bbox_to_anchor=(1.01, 1), loc="upper left", frameon=False, fontsize=8)
    return _svg(fig, "incident history by period")


def presence_bands(top_hours: float) -> list[tuple[float, float, str]]:
    """The map's bands: ``(low, high, label)`` in hours, quarters of the highest block's time, labels distinct.

    Minutes below two hours at the top, hours above; the precision grows until no two labels repeat.

    Examples
    --------
    >>> [b[2] for b in presence_bands(11 / 60)]
    ['up to 2.8 min', '2.8 to 5.5 min', '5.5 to 8.2 min', '8.2 to 11 min']
    """
    top = max(float(top_hours), 1e-9)
    scale, unit = (60.0, "min") if top < 2 else (1.0, "h")
    edges = [top * k / 4 for k in range(5)]
    for digits in range(1, 6):
        def f(v: float, d: int = digits) -> str:
            return f"{v * scale:.{d}f}".rstrip("0").rstrip(".")
        labels = [f"up to {f(edges[1])} {unit}"] + [f"{f(edges[k])} to {f(edges[k + 1])} {unit}" for k in (1, 2, 3)]
        texts = [f(e) for e in edges[1:]]
        if len(set(texts)) == len(texts):
            break
    return [(edges[k], edges[k + 1], labels[k]) for k in range(4)]


def presence_map_html(district, by_block, *, title: str = "Visible presence by block") -> str:
    """A self-contained folium map: blocks coloured by ambassador-time of presence, with its legend."""
    import folium

    from patrol.maps import add_area, add_base, new_map, save_map

    hours = np.asarray(by_block, float)
    top = float(hours.max()) if hours.size and hours.max() > 0 else 1.0
    bands = presence_bands(top)

    def colour(v: float) -> str:
        if v <= 0:
            return _NO_PRESENCE
        return next((PRESENCE_COLOURS[k] for k, (_, hi, _) in enumerate(bands) if v <= hi * (1 + 1e-9)),
                    PRESENCE_COLOURS[-1])

    m = new_map(district, title=title)
    feats = []
    for _, _, d in district.graph.edges(data=True):
        h = float(hours[d["block"]]) if d["block"] < hours.size else 0.0
        feats.append({"type": "Feature", "geometry": d["geometry"].__geo_interface__,
                      "properties": {"street": d["name"], "block": int(d["block"]), "minutes": round(h * 60, 1),
                                     "colour": colour(h), "weight": 5 if h > 0 else 1.5}})
    folium.GeoJson({"type": "FeatureCollection", "features": feats}, name="presence",
                   style_function=lambda f: {"color": f["properties"]["colour"], "weight": f["properties"]["weight"],
                                             "opacity": 0.95},
                   tooltip=folium.GeoJsonTooltip(["street", "block", "minutes"],
                                                 aliases=["street", "block", "ambassador-minutes"])).add_to(m)
    add_area(m, district)
    add_base(m, district)
    rows = "".join(f'<div><span class="sw" style="background:{c}"></span>{escape(label)}</div>'
                   for c, (_, _, label) in zip(PRESENCE_COLOURS, bands, strict=True))
    rows += f'<div><span class="sw thin" style="background:{_NO_PRESENCE}"></span>no presence</div>'
    rows += '<div><span class="sw area"></span>patrol area</div><div><span class="sw base"></span>base</div>'
    m.get_root().html.add_child(folium.Element(
        '<style>#presence-legend{position:fixed;bottom:30px;right:10px;z-index:1000;background:#fff;'
        'padding:6px 10px;font:12px sans-serif;border:1px solid #888}#presence-legend .sw{display:inline-block;'
        'width:22px;height:5px;margin:0 6px 3px 0;vertical-align:middle}#presence-legend .thin{height:2px}'
        '#presence-legend .area{height:0;border-top:2px dashed #1565c0}#presence-legend .base{width:12px;'
        'height:12px;border-radius:50%;background:#ffeb3b;border:3px solid #000}</style>'
        f'<div id="presence-legend"><b>Ambassador-time on the block</b>{rows}</div>'))
    with tempfile.TemporaryDirectory() as tmp:
        path = save_map(m, Path(tmp) / "map.html")
        return path.read_text(encoding="utf-8")
