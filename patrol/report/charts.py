"""The report's charts (matplotlib, Agg, PNG as base64) and its presence map (folium, offline).

Each chart function returns a PNG as a base64 string (``None`` when there is nothing to draw), so
the HTML report embeds it and stays one file.
"""

from __future__ import annotations

import base64
import io
import logging
import tempfile
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

__all__ = ["history_png", "interactions_png", "presence_hour_png", "presence_map_html", "response_png"]

log = logging.getLogger(__name__)


def _png(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=96, bbox_inches="tight")
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def response_png(rows: list[dict]) -> str | None:
    """Histogram of response times per incident (assignment -> on scene, call -> on scene)."""
    if not rows:
        return None
    a = np.array([r["assign_to_scene_min"] for r in rows])
    c = np.array([r["call_to_scene_min"] for r in rows])
    hi = max(float(c.max()), float(a.max()), 1.0)
    bins = np.linspace(0, np.ceil(hi), min(30, max(5, int(np.ceil(hi)))) + 1)
    fig, ax = plt.subplots(figsize=(7, 3.2))
    ax.hist(c, bins=bins, alpha=0.6, label=f"call to on scene (mean {c.mean():.1f} min)", color="#4363d8")
    ax.hist(a, bins=bins, alpha=0.6, label=f"assignment to on scene (mean {a.mean():.1f} min)", color="#f58231")
    ax.set_xlabel("minutes")
    ax.set_ylabel("incidents")
    ax.set_title(f"Response time distribution ({len(rows)} incidents)")
    ax.legend()
    return _png(fig)


def presence_hour_png(by_hour, *, estimated: bool = False) -> str | None:
    """Bar chart of ambassador-hours of visible presence by local hour of day."""
    h = np.asarray(by_hour, float)
    if h.sum() <= 0:
        return None
    used = np.flatnonzero(h > 0)
    lo, hi = int(used.min()), int(used.max()) + 1
    fig, ax = plt.subplots(figsize=(7, 3.0))
    ax.bar(np.arange(lo, hi), h[lo:hi], color="#3cb44b", hatch="//" if estimated else None, edgecolor="white")
    ax.set_xticks(np.arange(lo, hi))
    ax.set_xticklabels([f"{k:02d}" for k in range(lo, hi)])
    ax.set_xlabel("hour of day (local)")
    ax.set_ylabel("ambassador-hours")
    ax.set_title("Visible presence by hour" + (" (partly planned, estimated)" if estimated else ""))
    return _png(fig)


def interactions_png(by_day: dict[str, dict[str, int]]) -> str | None:
    """Stacked bars of interactions by type per day (per ISO week beyond 45 days)."""
    if not by_day:
        return None
    from datetime import date

    days = sorted(by_day)
    weekly = (date.fromisoformat(days[-1]) - date.fromisoformat(days[0])).days > 45
    buckets: dict[str, dict[str, int]] = {}
    for d in days:
        if weekly:
            y, w, _ = date.fromisoformat(d).isocalendar()
            key = f"{y}-W{w:02d}"
        else:
            key = d[5:]
        b = buckets.setdefault(key, {})
        for t, n in by_day[d].items():
            b[t] = b.get(t, 0) + n
    types = sorted({t for b in buckets.values() for t in b})
    keys = list(buckets)
    fig, ax = plt.subplots(figsize=(8, 3.6))
    bottom = np.zeros(len(keys))
    cmap = plt.get_cmap("tab20")
    for i, t in enumerate(types):
        v = np.array([buckets[k].get(t, 0) for k in keys], float)
        ax.bar(keys, v, bottom=bottom, label=t, color=cmap(i % 20))
        bottom += v
    ax.set_ylabel("interactions")
    ax.set_title("Interactions by type over time (" + ("per week" if weekly else "per day") + ")")
    ax.tick_params(axis="x", rotation=60, labelsize=7)
    ax.legend(fontsize=7, ncol=2, bbox_to_anchor=(1.01, 1), loc="upper left")
    return _png(fig)


def history_png(by_month: dict[str, int], period_first: str, previous_first: str) -> str | None:
    """Monthly counts of in-area history incidents, this period and the previous one marked."""
    if not by_month:
        return None
    keys = sorted(by_month)
    fig, ax = plt.subplots(figsize=(7, 3.0))
    colors = ["#e6194b" if k >= period_first[:7] else "#f58231" if k >= previous_first[:7] else "#999999"
              for k in keys]
    ax.bar(keys, [by_month[k] for k in keys], color=colors)
    ax.set_ylabel("incidents in the area")
    ax.set_title("Incident history by month (red: this period's months, orange: the previous period's)")
    ax.tick_params(axis="x", rotation=60, labelsize=7)
    return _png(fig)


def presence_map_html(district, by_block, *, title: str = "Visible presence by block") -> str:
    """A self-contained folium map: blocks coloured by ambassador-hours of presence."""
    import folium

    from patrol.maps import add_area, add_base, add_legend, new_map, save_map

    hours = np.asarray(by_block, float)
    top = float(hours.max()) if hours.size and hours.max() > 0 else 1.0
    steps = [(0.0, "#bdbdbd"), (1e-9, "#fee391"), (0.25, "#fec44f"), (0.5, "#fe9929"), (0.75, "#d95f0e")]

    def colour(v: float) -> str:
        c = steps[0][1]
        for lim, col in steps:
            if v / top >= lim:
                c = col
        return c

    m = new_map(district, title=title)
    feats = []
    for _, _, d in district.graph.edges(data=True):
        h = float(hours[d["block"]]) if d["block"] < hours.size else 0.0
        feats.append({"type": "Feature", "geometry": d["geometry"].__geo_interface__,
                      "properties": {"name": d["name"], "block": int(d["block"]), "hours": round(h, 2),
                                     "colour": colour(h), "weight": 5 if h > 0 else 2}})
    folium.GeoJson({"type": "FeatureCollection", "features": feats}, name="presence",
                   style_function=lambda f: {"color": f["properties"]["colour"], "weight": f["properties"]["weight"],
                                             "opacity": 0.9},
                   tooltip=folium.GeoJsonTooltip(["name", "block", "hours"])).add_to(m)
    add_area(m, district)
    add_base(m, district)
    add_legend(m, [(col, f">= {lim * top:.1f} h" if lim >= 0.01 else "> 0 h") for lim, col in steps[1:]] +
               [(steps[0][1], "no presence")], title="ambassador-hours")
    folium.LayerControl().add_to(m)
    with tempfile.TemporaryDirectory() as tmp:
        path = save_map(m, Path(tmp) / "map.html")
        return path.read_text(encoding="utf-8")
