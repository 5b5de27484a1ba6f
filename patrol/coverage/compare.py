"""Scenario comparison outputs: a table (CSV and Markdown), plots (PNG) and folium maps (HTML).

:func:`write_comparison` writes, into one folder:

* ``comparison.csv`` / ``comparison.md``: one row per scenario (:data:`COLUMNS`), with 95 % intervals;
* ``coverage_over_day.png``: share of corridor blocks visited in the last window, minute by minute;
* ``revisit_gaps.png``: distribution of corridor revisit gaps;
* ``response_cdf.png``: response-time CDF of the Monte Carlo incidents;
* ``maps/<scenario>-coverage.html`` and ``maps/<scenario>-response.html``: per block, the share of
  minutes recently visited and the mean response time from the field.
"""

from __future__ import annotations

import csv
import logging
from pathlib import Path

import numpy as np

from patrol.coverage.scenario import ScenarioResult, scenario_district

__all__ = ["COLUMNS", "comparison_rows", "plot_comparison", "write_comparison", "write_maps"]

log = logging.getLogger(__name__)

#: (column, summary key, format) of the comparison table; ``_ci`` keys add "[lo, hi]".
COLUMNS = (
    ("scenario", "scenario", "{}"),
    ("strategy", "strategy", "{}"),
    ("ambassadors", "ambassadors", "{}"),
    ("units", "units", "{}"),
    ("hours", "hours", "{}"),
    ("seeds", "seeds", "{}"),
    ("corridor covered (share)", "corridor_recent_share", "{:.3f}"),
    ("demand-weighted coverage", "demand_weighted_coverage", "{:.3f}"),
    ("corridor max gap (min)", "corridor_gap_max_min", "{:.0f}"),
    ("corridor mean gap (min)", "corridor_gap_mean_min", "{:.1f}"),
    ("visible hours", "visible_hours", "{:.1f}"),
    ("hot-spot compliance", "hotspot_compliance", "{:.2f}"),
    ("area within 3 min", "reach_3min", "{:.3f}"),
    ("area within 5 min", "reach_5min", "{:.3f}"),
    ("area within 10 min", "reach_10min", "{:.3f}"),
    ("incidents", "incidents", "{:.0f}"),
    ("response mean (min)", "response_mean_min", "{:.2f}"),
    ("response median (min)", "response_median_min", "{:.2f}"),
    ("response p90 (min)", "response_p90_min", "{:.2f}"),
    ("share under 5 min", "response_share_under_5", "{:.3f}"),
    ("mean response per FTE (min)", "response_mean_per_fte_min", "{:.2f}"),
    ("incidents / FTE / shift", "incidents_per_fte_shift", "{:.3f}"),
)


def _fmt(fmt: str, v) -> str:
    if v is None or (isinstance(v, float) and not np.isfinite(v)):
        return ""
    return fmt.format(v)


def comparison_rows(results: list[ScenarioResult], *, with_ci: bool = True) -> list[dict[str, str]]:
    """One row per scenario: the table columns as texts (intervals as ``[lo, hi]`` columns)."""
    rows = []
    for r in results:
        s = r.summary
        row = {}
        for col, key, fmt in COLUMNS:
            row[col] = _fmt(fmt, s.get(key))
            ci = s.get(f"{key}_ci")
            if with_ci and ci is not None and key not in ("incidents",):
                lo, hi = (_fmt(fmt, c) for c in ci)
                row[f"{col} 95% CI"] = f"[{lo}, {hi}]" if lo and hi else ""
        rows.append(row)
    return rows


def _write_table(rows: list[dict[str, str]], out: Path) -> tuple[Path, Path]:
    cols = list(rows[0]) if rows else [c for c, _, _ in COLUMNS]
    csv_path = out / "comparison.csv"
    with csv_path.open("w", newline="", encoding="utf-8") as fh:
        wr = csv.DictWriter(fh, fieldnames=cols)
        wr.writeheader()
        wr.writerows(rows)
    # Markdown: scenarios as columns (the table is wide), measures as rows
    md_path = out / "comparison.md"
    lines = ["| measure | " + " | ".join(r["scenario"] for r in rows) + " |",
             "|---|" + "---|" * len(rows)]
    for c in cols[1:]:
        if c.endswith("95% CI"):
            continue
        cells = []
        for r in rows:
            ci = r.get(f"{c} 95% CI", "")
            cells.append(f"{r[c]} {ci}".strip())
        lines.append(f"| {c} | " + " | ".join(cells) + " |")
    md_path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return csv_path, md_path


def plot_comparison(results: list[ScenarioResult], out: Path) -> list[Path]:
    """The three comparison plots (PNG, matplotlib Agg)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    paths = []
    # coverage over the day
    fig, ax = plt.subplots(figsize=(8, 4))
    for r in results:
        cov = np.mean([s.coverage_by_step for s in r.seeds], axis=0)
        t = (r.start_min + (np.arange(cov.size) + 0.5) * r.step_min) / 60.0
        ax.plot(t, cov, label=r.scenario.name)
    ax.set_xlabel("hour of day")
    ax.set_ylabel(f"corridor blocks visited in last {results[0].scenario.window_min:.0f} min")
    ax.set_ylim(0, 1.02)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    ax.set_title("Corridor coverage over the day (mean over seeds)")
    fig.tight_layout()
    paths.append(out / "coverage_over_day.png")
    fig.savefig(paths[-1], dpi=110)
    plt.close(fig)
    # revisit gaps
    fig, ax = plt.subplots(figsize=(8, 4))
    data = [np.concatenate([s.corridor_gaps_min for s in r.seeds]) for r in results]
    data = [d if d.size else np.zeros(1) for d in data]
    ax.boxplot(data, showfliers=True)
    ax.set_xticks(range(1, len(results) + 1), [r.scenario.name for r in results], rotation=20, fontsize=8)
    ax.set_ylabel("corridor revisit gap (min)")
    ax.set_title("Revisit gaps on the corridor (all seeds)")
    ax.grid(alpha=0.3, axis="y")
    fig.tight_layout()
    paths.append(out / "revisit_gaps.png")
    fig.savefig(paths[-1], dpi=110)
    plt.close(fig)
    # response-time CDF
    fig, ax = plt.subplots(figsize=(8, 4))
    for r in results:
        rt = np.sort(r.response_times())
        if rt.size:
            ax.step(rt, np.arange(1, rt.size + 1) / rt.size, where="post", label=f"{r.scenario.name} (n={rt.size})")
    ax.axvline(5, color="grey", ls="--", lw=1)
    ax.set_xlabel("response time (min)")
    ax.set_ylabel("share of incidents")
    ax.set_title("Response-time CDF (Monte Carlo incidents)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    paths.append(out / "response_cdf.png")
    fig.savefig(paths[-1], dpi=110)
    plt.close(fig)
    return paths


def _colour(x: float, lo: float, hi: float, reverse: bool = False) -> str:
    import matplotlib

    f = 0.0 if hi <= lo else min(max((x - lo) / (hi - lo), 0.0), 1.0)
    cmap = matplotlib.colormaps["RdYlGn_r" if reverse else "RdYlGn"]
    return matplotlib.colors.to_hex(cmap(f))


def write_maps(result: ScenarioResult, out: Path) -> list[Path]:
    """Coverage and response-time heat maps of one scenario (blocks coloured, offline HTML)."""
    import folium

    from patrol.maps import add_area, add_base, new_map, save_map

    district = scenario_district(result.scenario)
    share = np.mean([s.block_recent_share for s in result.seeds], axis=0)
    resp = np.mean([s.block_response_min for s in result.seeds], axis=0)
    name = result.scenario.name
    paths = []
    for kind, values, lo, hi, rev, label in (
        ("coverage", share, 0.0, 1.0, False, f"share of minutes visited in the last {result.scenario.window_min:.0f}"),
        ("response", resp, 0.0, 10.0, True, "mean response time (min)"),
    ):
        m = new_map(district, title=f"{name}: {label}")
        feats = []
        for _, _, d in district.graph.edges(data=True):
            b = d["block"]
            feats.append({"type": "Feature", "geometry": d["geometry"].__geo_interface__,
                          "properties": {"name": d["name"], "block": b, "value": round(float(values[b]), 3),
                                         "colour": _colour(float(values[b]), lo, hi, rev),
                                         "weight": 5 if d["in_area"] else 2}})
        folium.GeoJson({"type": "FeatureCollection", "features": feats}, name=kind,
                       style_function=lambda f: {"color": f["properties"]["colour"],
                                                 "weight": f["properties"]["weight"], "opacity": 0.9},
                       tooltip=folium.GeoJsonTooltip(["name", "block", "value"], aliases=["", "block", label])
                       ).add_to(m)
        add_area(m, district)
        add_base(m, district)
        folium.LayerControl().add_to(m)
        paths.append(save_map(m, out / "maps" / f"{name}-{kind}.html"))
    return paths


def write_comparison(results: list[ScenarioResult], out_dir: str | Path, *, maps: bool = True) -> dict[str, list]:
    """Write the table, plots and maps of a comparison into ``out_dir``.

    Returns
    -------
    dict
        ``{"table": [csv, md], "plots": [...], "maps": [...]}`` paths.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rows = comparison_rows(results)
    table = list(_write_table(rows, out))
    plots = plot_comparison(results, out) if results else []
    map_paths = [p for r in results for p in write_maps(r, out)] if maps else []
    log.info("comparison of %d scenarios written to %s", len(results), out)
    return {"table": table, "plots": plots, "maps": map_paths}
