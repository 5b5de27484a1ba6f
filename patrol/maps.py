"""Folium map building blocks shared by every map ``patrol`` writes (district, plans, coverage).

Maps must stay legible without internet: the street network is drawn as a vector layer (tiles
are an optional background layer, off by default), markers are circle markers (no icon fonts),
and :func:`save_map` inlines Leaflet's JavaScript and CSS from the ``xstatic-leaflet`` package
and drops the other CDN assets, so the HTML file is self-contained.
"""

from __future__ import annotations

import base64
import logging
import re
from pathlib import Path

import folium

__all__ = [
    "KIND_STYLE",
    "PALETTE",
    "add_area",
    "add_base",
    "add_businesses",
    "add_streets",
    "leaflet_assets",
    "new_map",
    "save_map",
]

log = logging.getLogger(__name__)

KIND_STYLE = {
    "street": {"color": "#555555", "weight": 2},
    "parkway": {"color": "#2e7d32", "weight": 2},
    "trail": {"color": "#8d6e63", "weight": 2, "dashArray": "4 4"},
}
PALETTE = ["#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#46f0f0", "#f032e6", "#bcf60c",
           "#008080", "#9a6324", "#800000", "#000075", "#808000", "#ffd8b1", "#e6beff", "#aaffc3"]


def new_map(district, *, title: str | None = None) -> folium.Map:
    """An empty map centred on the patrol area, with an optional (off) tile background."""
    a = district.settings.area
    m = folium.Map(location=[(a.south + a.north) / 2, (a.west + a.east) / 2], zoom_start=15, tiles=None,
                   control_scale=True, prefer_canvas=True)
    folium.TileLayer("OpenStreetMap", name="background tiles (needs internet)", show=False).add_to(m)
    if title:
        m.get_root().html.add_child(folium.Element(
            f'<div style="position:fixed;top:8px;left:50px;z-index:1000;background:white;padding:4px 8px;'
            f'font:14px sans-serif;border:1px solid #888">{title}</div>'))
    m.fit_bounds([[a.south, a.west], [a.north, a.east]])
    return m


def _block_feature(d: dict, props: dict) -> dict:
    return {"type": "Feature", "geometry": d["geometry"].__geo_interface__, "properties": props}


def add_streets(m: folium.Map, district, *, highlight_corridor: bool = True, name: str = "streets") -> None:
    """Draw every street block as a vector layer, styled by kind, the corridor highlighted."""
    group = folium.FeatureGroup(name=name)
    for kind, style in KIND_STYLE.items():
        feats = [_block_feature(d, {"name": d["name"], "block": d["block"], "length_m": round(d["length"], 1)})
                 for _, _, d in district.graph.edges(data=True) if d["kind"] == kind]
        if feats:
            folium.GeoJson({"type": "FeatureCollection", "features": feats}, name=kind,
                           style_function=lambda _f, s=style: s,
                           tooltip=folium.GeoJsonTooltip(["name", "block", "length_m"])).add_to(group)
    group.add_to(m)
    if highlight_corridor:
        feats = [_block_feature(d, {"name": d["name"], "block": d["block"]})
                 for _, _, d in district.graph.edges(data=True) if d["corridor"]]
        if feats:
            folium.GeoJson({"type": "FeatureCollection", "features": feats}, name="corridor",
                           style_function=lambda _f: {"color": "#d32f2f", "weight": 5, "opacity": 0.8},
                           tooltip=folium.GeoJsonTooltip(["name", "block"])).add_to(m)


def add_area(m: folium.Map, district) -> None:
    """Outline the patrol area box."""
    a = district.settings.area
    folium.Rectangle([[a.south, a.west], [a.north, a.east]], color="#1565c0", weight=2, fill=False,
                     dash_array="6 6", tooltip=f"patrol area: {a.description}", name="patrol area").add_to(m)


def add_base(m: folium.Map, district) -> None:
    """Mark the base (safety communication center)."""
    b = district.base
    folium.CircleMarker([b.lat, b.lon], radius=9, color="black", weight=3, fill=True, fill_color="#ffeb3b",
                        fill_opacity=1, tooltip=f"{district.settings.base.name}: {b.matched}").add_to(m)


def add_businesses(m: folium.Map, district, *, only_in_area: bool = True) -> None:
    """Businesses as small circle markers with name and category."""
    group = folium.FeatureGroup(name="businesses")
    mask = district.business_in_area()
    for b, inside in zip(district.businesses, mask, strict=True):
        if only_in_area and not inside:
            continue
        folium.CircleMarker([b.lat, b.lon], radius=3, color="#6a1b9a", fill=True, fill_opacity=0.8,
                            tooltip=f"{b.name} ({b.category})").add_to(group)
    group.add_to(m)


def add_legend(m: folium.Map, items: list[tuple[str, str]], *, title: str = "Legend") -> None:
    """A fixed legend box: ``items`` are ``(css colour, label)`` pairs."""
    rows = "".join(
        f'<div><span style="display:inline-block;width:18px;height:4px;margin:0 6px 3px 0;background:{colour}">'
        f"</span>{label}</div>" for colour, label in items
    )
    m.get_root().html.add_child(folium.Element(
        f'<div style="position:fixed;bottom:40px;right:10px;z-index:1000;background:white;padding:6px 10px;'
        f'font:12px sans-serif;border:1px solid #888"><b>{title}</b>{rows}</div>'))


def leaflet_assets() -> tuple[str, str] | None:
    """Leaflet's ``(javascript, css)`` from the installed ``xstatic-leaflet`` package, or ``None``."""
    try:
        from xstatic.pkg import leaflet
    except ImportError:
        return None
    base = Path(leaflet.BASE_DIR)
    css = (base / "leaflet.css").read_text(encoding="utf-8")

    def inline(match: re.Match) -> str:  # images/layers.png etc. as data: URIs, so nothing is fetched
        image = base / match.group(1)
        if not image.is_file():
            return match.group(0)
        return f"url(data:image/png;base64,{base64.b64encode(image.read_bytes()).decode()})"

    css = re.sub(r"url\((images/[\w.-]+\.png)\)", inline, css)
    return (base / "leaflet.js").read_text(encoding="utf-8"), css


# folium builds popup contents with jQuery's ``$(`<div>...</div>`)[0]``; offline, jQuery is not loaded, so
# this one use is served by a minimal stand-in (an HTML string to its first element).
_JQUERY_SHIM = (
    "<script>if (typeof window.$ === 'undefined') { window.$ = function (h) { var t = "
    "document.createElement('template'); t.innerHTML = String(h).trim(); return [t.content.firstChild]; }; }"
    "</script>"
)
_SCRIPT = re.compile(r'<script src="(https?://[^"]+)"></script>')
_LINK = re.compile(r'<link rel="stylesheet" href="(https?://[^"]+)"/?>')


def save_map(m: folium.Map, path: str | Path, *, offline: bool = True) -> Path:
    """Write the map to HTML; with ``offline`` inline Leaflet and drop other CDN assets."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    html = m.get_root().render()
    if offline:
        assets = leaflet_assets()
        if assets is None:
            log.warning("xstatic-leaflet is not installed: %s needs internet to display", path)
        else:
            js, css = assets
            html = _SCRIPT.sub(
                lambda mt: f"<script>{js}</script>{_JQUERY_SHIM}" if mt.group(1).endswith("/leaflet.js") else "", html
            )
            html = _LINK.sub(lambda mt: f"<style>{css}</style>" if mt.group(1).endswith("/leaflet.css") else "",
                             html)
    path.write_text(html, encoding="utf-8")
    log.info("wrote %s", path)
    return path
