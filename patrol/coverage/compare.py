"""Scenario comparison outputs for planners: one HTML page, a CSV table, plots and maps.

:func:`write_comparison` writes, into one folder:

* ``comparison.html``: the page planners read, offline and self-contained (plots and maps inlined): what each
  scenario is, its cost (ambassador-hours a day) beside its benefits in one table (shares as percentages, each
  figure with its 95 % interval over the simulated days, hot-spot compliance "not applicable" where units never
  stop), the plots, and per scenario four maps (coverage, response time, and their change against the first
  scenario), each with its colour scale and a scale bar;
* ``comparison.csv``: the same table for spreadsheets (one row per scenario);
* ``coverage_over_day.png``, ``revisit_gaps.png``, ``response_cdf.png``, ``cost_benefit.png``: the plots;
* ``maps/<scenario>-coverage.html`` and ``maps/<scenario>-response.html`` (and ``-coverage-change`` /
  ``-response-change`` against the first scenario): the same maps to zoom into (folium, offline).

Colours are colour-blind safe: scenarios in the Okabe-Ito colours, values in viridis, changes in purple-orange
(never red against green).
"""

from __future__ import annotations

import base64
import csv
import html
import logging
import math
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from patrol.coverage.scenario import ScenarioResult, scenario_district

__all__ = ["MEASURES", "Measure", "comparison_rows", "plot_comparison", "write_comparison", "write_maps"]

log = logging.getLogger(__name__)

e = html.escape

#: Scenario colours (Okabe-Ito, yellow left out: it vanishes on white).
SCENARIO_COLOURS = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#56B4E9", "#000000", "#882255",
                    "#999933", "#332288"]
SCENARIO_LINES = ["-", "--", "-.", ":"]
#: Strategies whose units never stop (so no stay at a hot spot can count): compliance is "not applicable".
NO_STOPS = {"random_walk"}
#: Incidents over all simulated days below which response figures carry a caution.
FEW_INCIDENTS = 30
STRATEGY_WORDS = {"planned": "the daily plan's routes", "posts": "fixed posts",
                  "random_walk": "random walk on the corridor"}


@dataclass(frozen=True)
class Measure:
    """A row of the comparison table: the summary key, its label in plain words, its unit and decimals; ``share``
    for a 0-1 share shown as a percentage; ``better`` is ``"higher"`` or ``"lower"`` (or ``""``)."""

    key: str
    label: str
    group: str
    unit: str = ""
    digits: int = 0
    share: bool = False
    better: str = ""


MEASURES = (
    Measure("corridor_recent_share", "corridor covered: block-minutes walked in the last {window} min", "Presence",
            "%", 0, True, "higher"),
    Measure("demand_weighted_coverage", "patrol area covered, weighted by demand", "Presence", "%", 0, True, "higher"),
    Measure("corridor_gap_max_min", "longest wait of a corridor block between two visits", "Presence", "min", 0,
            better="lower"),
    Measure("corridor_gap_mean_min", "average wait of a corridor block between two visits", "Presence", "min", 1,
            better="lower"),
    Measure("visible_hours", "visible presence a day, in ambassador-hours", "Presence", "h", 1,
            better="higher"),
    Measure("hotspot_compliance", "hot spots visited for 10-15 min every 2 hours", "Hot spots", "%", 0, True,
            "higher"),
    Measure("reach_3min", "patrol area within 3 min's walk of an ambassador", "Reach", "%", 0, True, "higher"),
    Measure("reach_5min", "patrol area within 5 min's walk of an ambassador", "Reach", "%", 0, True, "higher"),
    Measure("reach_10min", "patrol area within 10 min's walk of an ambassador", "Reach", "%", 0, True, "higher"),
    Measure("response_mean_min", "response time, average", "Response to incidents", "min", 1, better="lower"),
    Measure("response_median_min", "response time, median", "Response to incidents", "min", 1, better="lower"),
    Measure("response_p90_min", "response time, 9 in 10 incidents within", "Response to incidents", "min", 1,
            better="lower"),
    Measure("response_share_under_5", "incidents reached within 5 min", "Response to incidents", "%", 0, True,
            "higher"),
    Measure("response_mean_per_fte_min", "average response time per ambassador (the program's per-FTE measure)",
            "Response to incidents", "min", 1, better="lower"),
    Measure("incidents_per_fte_shift", "incidents answered per ambassador and shift", "Response to incidents", "",
            2),
)


def ambassador_hours(result: ScenarioResult) -> float:
    """The scenario's cost: ambassadors on the roster x hours of the shift, per day."""
    start, end = (int(x[:2]) * 60 + int(x[3:5]) for x in str(result.summary["hours"]).split("-"))
    return float(result.summary["ambassadors"]) * ((end - start) % 1440) / 60.0


def applicable(result: ScenarioResult, m: Measure) -> bool:
    """Whether the measure means anything for the scenario (hot-spot compliance needs units that stop)."""
    return not (m.key == "hotspot_compliance" and result.scenario.strategy.name in NO_STOPS)


def _label(m: Measure, result: ScenarioResult) -> str:
    return m.label.format(window=f"{result.scenario.window_min:g}")


def _scaled(m: Measure, v: Any) -> float | None:
    if v is None or not isinstance(v, int | float | np.floating) or not math.isfinite(float(v)):
        return None
    return float(v) * (100.0 if m.share else 1.0)


def _num(m: Measure, v: float | None) -> str:
    if v is None:
        return ""
    return f"{v:.{m.digits}f}"


def figure(result: ScenarioResult, m: Measure) -> tuple[str, str]:
    """``(value, interval)`` texts of a measure, e.g. ``("28 %", "25-31 %")``, ``("not applicable", "")``."""
    if not applicable(result, m):
        return "not applicable", ""
    v = _scaled(m, result.summary.get(m.key))
    if v is None:
        return "no figure", ""
    unit = f" {m.unit}" if m.unit else ""
    ci = result.summary.get(f"{m.key}_ci")
    interval = ""
    if ci is not None:
        lo, hi = _scaled(m, ci[0]), _scaled(m, ci[1])
        if lo is not None and hi is not None:
            interval = f"{_num(m, lo)}-{_num(m, hi)}{unit}" if _num(m, lo) != _num(m, hi) else "the same every day"
    return f"{_num(m, v)}{unit}", interval


def comparison_rows(results: list[ScenarioResult], *, with_ci: bool = True) -> list[dict[str, str]]:
    """One row per scenario (the CSV and the terminal table): what it is, its cost, each measure (and its 95 %
    interval over the simulated days as ``"lo-hi"``)."""
    rows = []
    for r in results:
        s = r.summary
        row = {"scenario": r.scenario.name, "strategy": STRATEGY_WORDS.get(r.scenario.strategy.name,
                                                                           r.scenario.strategy.name),
               "ambassadors": str(s["ambassadors"]), "units": str(s["units"]), "hours": str(s["hours"]),
               "days simulated": str(s["seeds"]), "ambassador-hours a day": f"{ambassador_hours(r):g}",
               "incidents simulated": f"{s.get('incidents', 0):.0f}"}
        for m in MEASURES:
            label = _label(m, r) + (f" ({m.unit})" if m.unit else "")
            value, interval = figure(r, m)
            row[label] = value.removesuffix(f" {m.unit}") if m.unit else value
            if with_ci:
                row[f"{label} 95% interval"] = interval.removesuffix(f" {m.unit}") if m.unit else interval
        rows.append(row)
    return rows


def _write_csv(rows: list[dict[str, str]], out: Path) -> Path:
    path = out / "comparison.csv"
    cols = list(rows[0]) if rows else ["scenario"]
    with path.open("w", newline="", encoding="utf-8") as fh:
        wr = csv.DictWriter(fh, fieldnames=cols)
        wr.writeheader()
        wr.writerows(rows)
    return path


# ------------------------------------------------------------------------------------------ plots
def _style(j: int) -> dict[str, Any]:
    return {"color": SCENARIO_COLOURS[j % len(SCENARIO_COLOURS)],
            "linestyle": SCENARIO_LINES[(j // len(SCENARIO_COLOURS)) % len(SCENARIO_LINES)]}


def _hhmm_ticks(ax, t0: float, t1: float) -> None:
    hours = np.arange(math.ceil(t0 / 60), math.floor(t1 / 60) + 1)
    ax.set_xticks(hours * 60.0, [f"{h % 24:02d}:00" for h in hours])


def plot_comparison(results: list[ScenarioResult], out: Path) -> list[Path]:
    """The comparison plots (PNG, matplotlib Agg): coverage over the day, revisit gaps, response times, cost and
    benefit."""
    import matplotlib
    import matplotlib.ticker

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    days = results[0].summary["seeds"] if results else 0
    paths = []
    # coverage over the day
    fig, ax = plt.subplots(figsize=(8.5, 4))
    t_all: list[float] = []
    for j, r in enumerate(results):
        cov = np.mean([s.coverage_by_step for s in r.seeds], axis=0) * 100.0
        t = r.start_min + (np.arange(cov.size) + 0.5) * r.step_min
        t_all += [float(t[0]), float(t[-1])]
        ax.plot(t, cov, label=r.scenario.name, lw=1.8, **_style(j))
    if t_all:
        _hhmm_ticks(ax, min(t_all), max(t_all))
    ax.set_xlabel("time of day")
    ax.set_ylabel(f"corridor blocks walked\nin the last {results[0].scenario.window_min:g} min (%)")
    ax.set_ylim(0, 102)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, title="scenario", title_fontsize=8)
    ax.set_title(f"Corridor coverage through the day (average of {days} simulated days)")
    fig.tight_layout()
    paths.append(out / "coverage_over_day.png")
    fig.savefig(paths[-1], dpi=110)
    plt.close(fig)
    # revisit gaps
    fig, ax = plt.subplots(figsize=(8.5, 4))
    data = [np.concatenate([s.corridor_gaps_min for s in r.seeds]) for r in results]
    data = [d if d.size else np.zeros(1) for d in data]
    box = ax.boxplot(data, showfliers=True, patch_artist=True, medianprops={"color": "black"},
                     flierprops={"markersize": 3, "alpha": 0.5})
    for j, patch in enumerate(box["boxes"]):
        patch.set_facecolor(SCENARIO_COLOURS[j % len(SCENARIO_COLOURS)])
        patch.set_alpha(0.6)
    ax.set_xticks(range(1, len(results) + 1), [r.scenario.name for r in results], rotation=15, fontsize=8)
    ax.set_ylabel("minutes between two visits\nof a corridor block")
    ax.set_title(f"Waits between visits on the corridor (all blocks, {days} simulated days)\n"
                 "box: middle half of the waits, line: median, whiskers: 1.5 x the box, dots: longer waits",
                 fontsize=10)
    ax.grid(alpha=0.3, axis="y")
    fig.tight_layout()
    paths.append(out / "revisit_gaps.png")
    fig.savefig(paths[-1], dpi=110)
    plt.close(fig)
    # response times
    fig, ax = plt.subplots(figsize=(8.5, 4))
    for j, r in enumerate(results):
        rt = np.sort(r.response_times())
        if rt.size:
            ax.step(rt, np.arange(1, rt.size + 1) / rt.size * 100.0, where="post", lw=1.8,
                    label=f"{r.scenario.name} ({rt.size} incidents)", **_style(j))
    ax.axvline(5, color="grey", ls="--", lw=1)
    ax.text(5.1, 3, "5 min", color="grey", fontsize=8)
    ax.set_xlabel("minutes from the call to an ambassador on scene")
    ax.set_ylabel("incidents reached\nwithin that time (%)")
    ax.set_ylim(0, 102)
    ax.set_xlim(left=0)
    ax.set_title(f"Response times (simulated incidents of {days} days)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, title="scenario", title_fontsize=8)
    fig.tight_layout()
    paths.append(out / "response_cdf.png")
    fig.savefig(paths[-1], dpi=110)
    plt.close(fig)
    # cost and benefit
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    panels = ((axes[0], MEASURES[0]), (axes[1], next(m for m in MEASURES if m.key == "response_mean_min")))
    for ax, m in panels:
        for j, r in enumerate(results):
            v = _scaled(m, r.summary.get(m.key))
            if v is None:
                continue
            ci = r.summary.get(f"{m.key}_ci") or [None, None]
            lo, hi = _scaled(m, ci[0]), _scaled(m, ci[1])
            err = [[v - lo], [hi - v]] if lo is not None and hi is not None else None
            x = ambassador_hours(r)
            ax.errorbar([x], [v], yerr=err, fmt="o", ms=7, capsize=4, color=SCENARIO_COLOURS[j % 10],
                        label=r.scenario.name)
            ax.annotate(r.scenario.name, (x, v), textcoords="offset points", xytext=(6, 4), fontsize=7)
        ax.set_xlabel("cost: ambassador-hours a day")
        ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
        ax.set_ylabel(f"{_label(m, results[0])} ({m.unit})" if results else m.label, fontsize=8)
        ax.grid(alpha=0.3)
        ax.margins(x=0.2)
    axes[0].set_title("Coverage against cost (higher is better)", fontsize=10)
    axes[1].set_title("Response against cost (lower is better)", fontsize=10)
    fig.suptitle(f"bars: 95 % interval over {days} simulated days", fontsize=8, y=0.02)
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    paths.append(out / "cost_benefit.png")
    fig.savefig(paths[-1], dpi=110)
    plt.close(fig)
    return paths


# ------------------------------------------------------------------------------------------ maps
@dataclass(frozen=True)
class _Layer:
    """One map: the values per block, how to colour them and what the scale says."""

    kind: str
    values: np.ndarray
    cmap: str
    vmin: float
    vmax: float
    title: str
    scale_label: str
    extend: str = "neither"


def _block_values(result: ScenarioResult) -> tuple[np.ndarray, np.ndarray]:
    share = np.mean([s.block_recent_share for s in result.seeds], axis=0) * 100.0
    resp = np.mean([s.block_response_min for s in result.seeds], axis=0)
    return share, resp


def _nice(x: float, step: float) -> float:
    return max(step, math.ceil(x / step) * step)


def _layers(results: list[ScenarioResult]) -> dict[str, list[_Layer]]:
    """The four maps of each scenario; change maps only where the streets are the first scenario's."""
    values = {r.scenario.name: _block_values(r) for r in results}
    first = results[0]
    fp0 = scenario_district(first.scenario).fingerprint
    same = {r.scenario.name: scenario_district(r.scenario).fingerprint == fp0 for r in results}
    # a change map's scale reaches the 95th percentile of the scenario's changes over the patrol area's blocks
    # (larger ones show in the end colours): most blocks are told apart, one extreme block does not wash the map out
    area = np.array([bool(d["in_area"]) for _, _, d in sorted(scenario_district(first.scenario).graph.edges(data=True),
                                                              key=lambda t: t[2]["block"])])

    def limit(change: np.ndarray, step: float) -> float:
        finite = np.abs(change[area])
        finite = finite[np.isfinite(finite)]
        return _nice(float(np.percentile(finite, 95)) if finite.size else step, step)

    out: dict[str, list[_Layer]] = {}
    for r in results:
        name, window = r.scenario.name, f"{r.scenario.window_min:g}"
        cov, resp = values[name]
        layers = [_Layer("coverage", cov, "viridis", 0.0, 100.0, "Coverage",
                         f"minutes with an ambassador within the last {window} min (%)"),
                  _Layer("response", resp, "viridis_r", 0.0, 10.0, "Response time",
                         "average walk of the nearest free ambassador (min)", "max")]
        if r is not first and same[name]:
            c0, r0 = values[first.scenario.name]
            cov_lim, resp_lim = limit(cov - c0, 5.0), limit(resp - r0, 0.5)
            layers += [_Layer("coverage-change", cov - c0, "PuOr", -cov_lim, cov_lim,
                              f"Coverage against {first.scenario.name}",
                              "change (percentage points; purple: more)", "both"),
                       _Layer("response-change", resp - r0, "PuOr_r", -resp_lim, resp_lim,
                              f"Response time against {first.scenario.name}",
                              "change (min; purple: faster)", "both")]
        out[name] = layers
    return out


def _map_figure(result: ScenarioResult, layers: list[_Layer], extent: tuple[float, float, float, float],
                path: Path, note: str, panels: int) -> Path:
    """A row of ``panels`` small maps of one scenario, each with its colour scale, a 500 m scale bar and the patrol
    area (``note`` in the places of change maps it has not)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.collections import LineCollection
    from matplotlib.colors import Normalize

    district = scenario_district(result.scenario)
    area = district.settings.area
    lat0, lon0 = (area.south + area.north) / 2, (area.west + area.east) / 2
    kx, ky = 111_320.0 * math.cos(math.radians(lat0)), 110_540.0
    segs, blocks, inside = [], [], []
    for _, _, d in district.graph.edges(data=True):
        segs.append([((x - lon0) * kx, (y - lat0) * ky) for x, y in d["geometry"].coords])
        blocks.append(int(d["block"]))
        inside.append(bool(d["in_area"]))
    widths = np.where(inside, 2.4, 0.9)
    n = max(len(layers), panels, 2)
    w0, w1, s0, s1 = extent
    fig, axes = plt.subplots(1, n, figsize=(4.1 * n, 4.0 * (s1 - s0) / (w1 - w0) + 1.1))
    for ax, layer in zip(axes, layers, strict=False):
        norm = Normalize(layer.vmin, layer.vmax)
        cmap = matplotlib.colormaps[layer.cmap]
        vals = np.array([layer.values[b] if b < layer.values.size else np.nan for b in blocks], float)
        colours = [cmap(norm(v)) if np.isfinite(v) else (0.75, 0.75, 0.75, 1.0) for v in vals]
        ax.add_collection(LineCollection(segs, colors="#8a8a8a", linewidths=widths + 1.0, capstyle="round"))
        ax.add_collection(LineCollection(segs, colors=colours, linewidths=widths, capstyle="round"))
        ax.plot([(area.west - lon0) * kx, (area.east - lon0) * kx, (area.east - lon0) * kx, (area.west - lon0) * kx,
                 (area.west - lon0) * kx],
                [(area.south - lat0) * ky, (area.south - lat0) * ky, (area.north - lat0) * ky,
                 (area.north - lat0) * ky, (area.south - lat0) * ky], ls="--", lw=0.8, color="#1565c0")
        bx, by = (district.base.lon - lon0) * kx, (district.base.lat - lat0) * ky
        ax.plot([bx], [by], "o", ms=6, mfc="#ffeb3b", mec="black", mew=1.2)
        ax.set_xlim(w0, w1)
        ax.set_ylim(s0, s1)
        ax.set_aspect("equal")
        ax.set_axis_off()
        ax.set_title(layer.title, fontsize=10)
        x0, y0 = w0 + 0.04 * (w1 - w0), s0 + 0.05 * (s1 - s0)
        ax.plot([x0, x0 + 500], [y0, y0], color="black", lw=2)
        ax.text(x0 + 250, y0 + 0.02 * (s1 - s0), "500 m", ha="center", va="bottom", fontsize=7)
        ax.text(w1 - 0.02 * (w1 - w0), s1 - 0.04 * (s1 - s0), "N ↑", ha="right", va="top", fontsize=8)
        bar = fig.colorbar(plt.cm.ScalarMappable(norm=norm, cmap=cmap), ax=ax, orientation="horizontal",
                           fraction=0.06, pad=0.02, extend=layer.extend)
        bar.set_label(layer.scale_label, fontsize=7)
        bar.ax.tick_params(labelsize=7)
    empty = list(axes[len(layers):])
    for ax in empty:
        ax.set_axis_off()
    if empty and note:  # once, in the middle of the free places
        empty[0].text(len(empty) / 2, 0.5, textwrap.fill(note, 45), ha="center", va="center", fontsize=10,
                      color="#333", transform=empty[0].transAxes)
    fig.suptitle(f"{result.scenario.name}: thick lines are patrol-area streets, dashed box the patrol area, "
                 "yellow dot the base", fontsize=9)
    fig.tight_layout(rect=(0, 0, 1, 0.95))
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def _extent(results: list[ScenarioResult]) -> tuple[float, float, float, float]:
    """West, east, south, north (metres from the first scenario's area centre) covering every scenario's area."""
    a0 = scenario_district(results[0].scenario).settings.area
    lat0, lon0 = (a0.south + a0.north) / 2, (a0.west + a0.east) / 2
    kx, ky = 111_320.0 * math.cos(math.radians(lat0)), 110_540.0
    areas = [scenario_district(r.scenario).settings.area for r in results]
    pad = 150.0
    return (min((a.west - lon0) * kx for a in areas) - pad, max((a.east - lon0) * kx for a in areas) + pad,
            min((a.south - lat0) * ky for a in areas) - pad, max((a.north - lat0) * ky for a in areas) + pad)


def _hex(cmap: str, f: float) -> str:
    import matplotlib

    return str(matplotlib.colors.to_hex(matplotlib.colormaps[cmap](min(max(f, 0.0), 1.0))))


def write_maps(result: ScenarioResult, out: Path, layers: list[_Layer] | None = None) -> list[Path]:
    """The maps of one scenario to zoom into (folium, offline): blocks coloured, with a colour scale, a scale bar,
    the patrol area and the base."""
    import folium

    from patrol import maps

    layers = layers if layers is not None else _layers([result])[result.scenario.name]
    district = scenario_district(result.scenario)
    name = result.scenario.name
    paths = []
    for layer in layers:
        m = maps.new_map(district, title=f"{name}: {layer.title.lower()}, {layer.scale_label}")
        span = layer.vmax - layer.vmin
        feats = []
        for _, _, d in district.graph.edges(data=True):
            b = d["block"]
            v = float(layer.values[b])
            feats.append({"type": "Feature", "geometry": d["geometry"].__geo_interface__,
                          "properties": {"name": d["name"], "value": round(v, 1),
                                         "colour": _hex(layer.cmap, (v - layer.vmin) / span) if np.isfinite(v)
                                         else "#bbbbbb", "weight": 5 if d["in_area"] else 2}})
        casing = {"color": "#8a8a8a", "weight": 7, "opacity": 0.9, "interactive": False}
        folium.GeoJson({"type": "FeatureCollection", "features": feats}, name="street edges",
                       style_function=lambda f, c=casing: {**c, "weight": f["properties"]["weight"] + 2},
                       control=False).add_to(m)
        folium.GeoJson({"type": "FeatureCollection", "features": feats}, name=layer.title,
                       style_function=lambda f: {"color": f["properties"]["colour"],
                                                 "weight": f["properties"]["weight"], "opacity": 0.95},
                       tooltip=folium.GeoJsonTooltip(["name", "value"], aliases=["street", layer.scale_label])
                       ).add_to(m)
        maps.add_area(m, district)
        maps.add_base(m, district)
        maps.add_street_labels(m, district)
        ticks = "".join(f"<span>{t:g}</span>" for t in np.linspace(layer.vmin, layer.vmax, 5))
        gradient = ", ".join(_hex(layer.cmap, f) for f in np.linspace(0, 1, 9))
        more = {"max": f"; {layer.vmax:g} or more at the right end",
                "both": f"; {layer.vmin:g} or less and {layer.vmax:g} or more at the ends"}.get(layer.extend, "")
        scale = (f'<div class="colour-scale"><div class="legend-label">{html.escape(layer.scale_label)}</div>'
                 f'<div style="width:220px;height:12px;background:linear-gradient(to right, {gradient})"></div>'
                 f'<div class="colour-ticks" style="display:flex;justify-content:space-between;width:220px">{ticks}'
                 f'</div><div style="color:#444">light grey: no figure{more}; distance scale bottom left</div></div>')
        maps.add_legend(m, [maps.LegendItem("patrol area", maps.AREA_COLOUR, "box", dash="4 3", fill_opacity=0.15),
                            maps.LegendItem("base", maps.BASE_FILL, "dot", border=maps.BASE_OUTLINE)],
                        title=layer.title, extra=scale)
        folium.LayerControl().add_to(m)
        paths.append(maps.save_map(m, out / "maps" / f"{name}-{layer.kind}.html"))
    return paths


# ------------------------------------------------------------------------------------------ the page
_CSS = """
body{font:14px/1.4 system-ui,sans-serif;color:#111;max-width:1300px;margin:0 auto;padding:16px 24px}
h1{font-size:24px;margin:0 0 6px}h2{font-size:19px;margin:26px 0 8px}h3{font-size:15px;margin:16px 0 6px}
.note{color:#333;background:#f3f6fb;border-left:4px solid #0072B2;padding:6px 10px;margin:8px 0}
.caution{color:#8a4b00}
table{border-collapse:collapse}th,td{border-bottom:1px solid #ccc;padding:4px 8px;vertical-align:top}
th{background:#f0f0f0;text-align:left}td.num,th.num{text-align:right}
td .ci{display:block;color:#555;font-size:12px;white-space:nowrap}
tr.group th{background:#e4e9f2;text-align:left}tr.cost td,tr.cost th{background:#fff7e0}
.na{color:#666;font-style:italic}
.swatch{display:inline-block;width:12px;height:12px;border-radius:2px;margin-right:5px;vertical-align:-1px}
img{max-width:100%;height:auto;border:1px solid #ddd}
figure{margin:10px 0}figcaption{font-size:12px;color:#444}
"""


def _img(path: Path, alt: str) -> str:
    data = base64.b64encode(path.read_bytes()).decode()
    return f'<img src="data:image/png;base64,{data}" alt="{e(alt)}">'


def _table(results: list[ScenarioResult]) -> str:
    days = results[0].summary["seeds"]
    head = "".join(f'<th class="num"><span class="swatch" style="background:{SCENARIO_COLOURS[j % 10]}"></span>'
                   f"{e(r.scenario.name)}</th>" for j, r in enumerate(results))
    rows = [f"<thead><tr><th>measure</th>{head}</tr></thead><tbody>",
            '<tr class="group"><th colspan="99">Cost</th></tr>',
            '<tr class="cost"><th>ambassador-hours a day (ambassadors x shift hours)</th>'
            + "".join(f'<td class="num">{ambassador_hours(r):g} h<span class="ci">{r.summary["ambassadors"]} x '
                      f'{e(str(r.summary["hours"]))}</span></td>' for r in results) + "</tr>"]
    group = ""
    for m in MEASURES:
        if m.group != group:
            group = m.group
            rows.append(f'<tr class="group"><th colspan="99">{e(group)}</th></tr>')
        cells = []
        for r in results:
            value, interval = figure(r, m)
            if value == "not applicable":
                cells.append('<td class="num na" title="units on a random walk never stop, so no stay at a hot spot '
                             'can count">not applicable</td>')
                continue
            ci = f'<span class="ci">({e(interval)})</span>' if interval else ""
            cells.append(f'<td class="num">{e(value)}{ci}</td>')
        hint = {"higher": " (higher is better)", "lower": " (lower is better)"}.get(m.better, "")
        rows.append(f"<tr><th>{e(_label(m, results[0]))}{hint}</th>{''.join(cells)}</tr>")
    rows.append('<tr class="group"><th colspan="99">Simulation</th></tr>')
    rows.append("<tr><th>days simulated</th>" + "".join(f'<td class="num">{r.summary["seeds"]}</td>'
                                                       for r in results) + "</tr>")
    rows.append("<tr><th>incidents simulated (all days)</th>" + "".join(
        f'<td class="num">{r.summary.get("incidents", 0):.0f}'
        + ('<span class="ci caution">few: response figures are rough</span>'
           if r.summary.get("incidents", 0) < FEW_INCIDENTS else "") + "</td>" for r in results) + "</tr>")
    rows.append("</tbody>")
    return (f'<table class="results">{"".join(rows)}</table><p class="note">In brackets: the <b>95 % interval over '
            f"{days} simulated days</b>: the range in which the scenario's true average lies with 95 % confidence "
            "(for presence, coverage and reach: the mean over days plus or minus 1.96 standard errors; for response "
            "times: a bootstrap over days of the incidents they pooled). Scenarios face the same incidents on the "
            "same day, so their differences are fairer than the intervals suggest. \"The same every day\": the "
            "figure did not vary from day to day (units at fixed posts, or one plan kept every day).</p>")


def write_page(results: list[ScenarioResult], out: Path, plots: list[Path],
               figures: dict[str, Path], map_files: dict[str, list[Path]]) -> Path:
    """comparison.html (see the module docstring)."""
    days = results[0].summary["seeds"] if results else 0
    scen = ["<table class='scenarios'><thead><tr><th>scenario</th><th>what it is</th><th>deployment</th>"
            "<th class='num'>ambassadors</th><th class='num'>units</th><th>hours</th></tr></thead><tbody>"]
    for j, r in enumerate(results):
        s = r.summary
        units = f"{s['units']} pairs" if s.get("pairs") else str(s["units"])
        scen.append(f"<tr><td><span class='swatch' style='background:{SCENARIO_COLOURS[j % 10]}'></span>"
                    f"{e(r.scenario.name)}</td><td>{e(r.scenario.description)}</td>"
                    f"<td>{e(STRATEGY_WORDS.get(r.scenario.strategy.name, r.scenario.strategy.name))}</td>"
                    f"<td class='num'>{s['ambassadors']}</td><td class='num'>{units}</td><td>{e(str(s['hours']))}</td>"
                    "</tr>")
    scen.append("</tbody></table>")
    captions = {
        "coverage_over_day": "Share of corridor blocks walked recently, minute by minute.",
        "revisit_gaps": "How long corridor blocks wait between two visits.",
        "response_cdf": "Of all simulated incidents, the share reached within each number of minutes "
                        "(further left and higher is better).",
        "cost_benefit": "Each scenario's cost (ambassador-hours a day) against its corridor coverage and its "
                        "average response time, with their 95 % intervals.",
    }
    figs = "".join(f"<figure>{_img(p, p.stem)}<figcaption>{e(captions.get(p.stem, ''))}</figcaption></figure>"
                   for p in plots)
    map_parts = []
    for r in results:
        name = r.scenario.name
        if name not in figures:
            continue
        links = " · ".join(f'<a href="maps/{e(p.name)}">{e(p.stem.removeprefix(name + "-").replace("-", " "))}</a>'
                           for p in map_files.get(name, []))
        map_parts.append(f"<h3>{e(name)}</h3>{_img(figures[name], f'maps of {name}')}"
                         + (f"<p>To zoom in: {links}</p>" if links else ""))
    first = results[0].scenario.name if results else ""
    maps_html = (f"<h2>Maps</h2><p>Per scenario: coverage and response time on each street block, then their change "
                 f"against the first scenario, <b>{e(first)}</b> (purple: better, orange: worse). Coverage and "
                 "response time have the same colour scale in every scenario; a change map's scale reaches the 95th "
                 "percentile of that scenario's changes (larger ones take the end colours). Values are averages "
                 f"over {days} simulated days.</p>"
                 + "".join(map_parts)) if map_parts else ""
    names = ", ".join(r.scenario.name for r in results)
    page = (f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Scenario comparison: {e(names)}"
            f"</title><meta name='viewport' content='width=device-width, initial-scale=1'><style>{_CSS}</style>"
            f"</head><body><h1>Scenario comparison</h1><p>{len(results)} scenarios, each scored over <b>{days} "
            "simulated days</b> (Monte Carlo: the same incidents for every scenario on the same day).</p>"
            f"<h2>The scenarios</h2>{''.join(scen)}<h2>Cost and benefit</h2>{_table(results) if results else ''}"
            f"<h2>Plots</h2>{figs}{maps_html}</body></html>")
    path = out / "comparison.html"
    path.write_text(page, encoding="utf-8")
    return path


def write_comparison(results: list[ScenarioResult], out_dir: str | Path, *, maps: bool = True) -> dict[str, list]:
    """Write the page, the CSV, the plots and (with ``maps``) the maps of a comparison into ``out_dir``.

    Returns
    -------
    dict
        ``{"page": [comparison.html], "table": [comparison.csv], "plots": [...], "maps": [...]}`` paths.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    table = [_write_csv(comparison_rows(results), out)]
    plots = plot_comparison(results, out) if results else []
    figures: dict[str, Path] = {}
    map_files: dict[str, list[Path]] = {}
    if maps and results:
        layers = _layers(results)
        extent = _extent(results)
        fp0 = scenario_district(results[0].scenario).fingerprint
        for j, r in enumerate(results):
            name = r.scenario.name
            note = ("the reference: the other scenarios' changes are measured against it" if j == 0 else
                    "no change maps: other streets than the first scenario's"
                    if scenario_district(r.scenario).fingerprint != fp0 else "")
            figures[name] = _map_figure(r, layers[name], extent, out / "maps" / f"{name}.png", note,
                                        4 if len(results) > 1 else 2)
            map_files[name] = write_maps(r, out, layers[name])
    page = write_page(results, out, plots, figures, map_files)
    log.info("comparison of %d scenarios written to %s", len(results), out)
    return {"page": [page], "table": table, "plots": plots,
            "maps": [p for v in map_files.values() for p in v]}
