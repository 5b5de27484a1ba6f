"""Folium map building blocks shared by every map ``patrol`` writes (district, plans, coverage).

Maps must stay legible without internet: the street network is drawn as a vector layer (tiles
are an optional background layer, off by default), markers are circle markers or small HTML marks
(no icon fonts), and :func:`save_map` inlines Leaflet's JavaScript and CSS from the ``xstatic-leaflet``
package and drops the other CDN assets, so the HTML file is self-contained.

Every map gets a legend (:func:`add_legend`, whose swatches draw each thing as the map draws it: a line, a
filled box, a marker) and, with :func:`add_street_labels`, street names that appear from zoom 16 on.  The
scripts these need (``patrol/map_scripts/*.js``) are inlined too.
"""

from __future__ import annotations

import base64
import html as html_lib
import json
import logging
import math
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import folium
from branca.element import MacroElement
from folium.template import Template
from shapely.geometry import LineString, MultiLineString
from shapely.ops import linemerge

__all__ = [
    "AREA_COLOUR",
    "AREA_FILL_OPACITY",
    "BASE_FILL",
    "BASE_OUTLINE",
    "BUSINESS_COLOUR",
    "CORRIDOR_COLOUR",
    "KIND_STYLE",
    "PALETTE",
    "LegendItem",
    "MapScript",
    "StreetLabel",
    "add_area",
    "add_base",
    "add_businesses",
    "add_head",
    "add_html",
    "add_legend",
    "add_street_labels",
    "add_streets",
    "legend_html",
    "leaflet_assets",
    "ink_on",
    "map_script",
    "new_map",
    "save_map",
    "street_labels",
    "swatch_svg",
    "write_district_map",
]

log = logging.getLogger(__name__)

KIND_STYLE = {
    "street": {"color": "#555555", "weight": 2},
    "parkway": {"color": "#2e7d32", "weight": 2},
    "trail": {"color": "#8d6e63", "weight": 2, "dashArray": "4 4"},
}
#: Colours of the walkers' routes: the Okabe-Ito colours (told apart with every common colour-vision
#: deficiency) without their yellow, which vanishes on white, then dark ones from Paul Tol's sets.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#56B4E9", "#000000", "#882255",
           "#999933", "#332288", "#44AA99", "#AA4499"]
CORRIDOR_COLOUR = "#d32f2f"
AREA_COLOUR = "#1565c0"  # the patrol area's dashed border and its light fill
AREA_FILL_OPACITY = 0.06
BASE_FILL = "#ffeb3b"  # the base: a yellow circle with a black border
BASE_OUTLINE = "#000000"
BUSINESS_COLOUR = "#6a1b9a"
#: Street names show from this zoom on (at 15 a block is ~30 px: names would cover the map).
LABEL_ZOOM = 16

_SCRIPTS = Path(__file__).resolve().parent / "map_scripts"


def ink_on(colour: str) -> str:
    """Black or white, whichever reads better on ``colour`` (``#rrggbb``), by its relative luminance.

    >>> ink_on("#E69F00"), ink_on("#0072B2"), ink_on("#000000")
    ('#000', '#fff', '#fff')
    """
    r, g, b = (int(colour[k:k + 2], 16) / 255 for k in (1, 3, 5))
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in (r, g, b)]
    lum = 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]
    return "#000" if (lum + 0.05) / 0.05 > 1.05 / (lum + 0.05) else "#fff"


def add_head(m: folium.Map, html: str) -> None:
    """Put ``html`` (a ``<style>`` block) into the page's head."""
    root: Any = m.get_root()
    root.header.add_child(folium.Element(html))


def add_html(m: folium.Map, html: str) -> None:
    """Put ``html`` (a panel, a legend) into the page's body."""
    root: Any = m.get_root()
    root.html.add_child(folium.Element(html))


def map_script(name: str) -> str:
    """The JavaScript of ``patrol/map_scripts/<name>.js`` (inlined into the pages that use it)."""
    return (_SCRIPTS / f"{name}.js").read_text(encoding="utf-8")


def new_map(district, *, title: str | None = None, panel_px: int = 0) -> folium.Map:
    """An empty map centred on the patrol area, with an optional (off) tile background and a scale bar.

    ``panel_px``: width of a panel fixed on the right of the page, which the first view keeps the area clear of.
    """
    a = district.settings.area
    m = folium.Map(location=[(a.south + a.north) / 2, (a.west + a.east) / 2], zoom_start=15, tiles=None,
                   control_scale=True, prefer_canvas=True, zoom_snap=0.25, zoom_delta=0.5)
    add_head(m, "<style>.leaflet-container.leaflet-container{background:#f7f7f5}</style>")
    folium.TileLayer("OpenStreetMap", name="background tiles (needs internet)", show=False).add_to(m)
    if title:
        add_html(m, f'<div class="map-title" style="position:fixed;top:8px;left:50px;z-index:1000;background:white;'
                    f'padding:4px 8px;font:14px sans-serif;border:1px solid #888">{html_lib.escape(title)}</div>')
    m.fit_bounds([[a.south, a.west], [a.north, a.east]], padding_top_left=(10, 40),
                 padding_bottom_right=(panel_px + 10, 10))
    return m


def _block_feature(d: dict, props: dict) -> dict:
    return {"type": "Feature", "geometry": d["geometry"].__geo_interface__, "properties": props}


def add_streets(m: folium.Map, district, *, highlight_corridor: bool = True, name: str = "streets",
                corridor_style: dict[str, Any] | None = None) -> None:
    """Draw every street block as a vector layer, styled by kind, the corridor highlighted.

    ``corridor_style`` replaces the corridor's default style (a thick red line): the plan map draws it as a
    pale band under the routes.
    """
    group = folium.FeatureGroup(name=name)
    for kind, style in KIND_STYLE.items():
        feats = [_block_feature(d, {"name": d["name"], "block": d["block"], "length_m": round(d["length"], 1)})
                 for _, _, d in district.graph.edges(data=True) if d["kind"] == kind]
        if feats:
            folium.GeoJson({"type": "FeatureCollection", "features": feats}, name=kind,
                           style_function=lambda _f, s=style: s,
                           tooltip=folium.GeoJsonTooltip(["name", "block", "length_m"],
                                                         aliases=["street", "block", "length (m)"])).add_to(group)
    group.add_to(m)
    if highlight_corridor:
        feats = [_block_feature(d, {"name": d["name"], "block": d["block"]})
                 for _, _, d in district.graph.edges(data=True) if d["corridor"]]
        style = corridor_style or {"color": CORRIDOR_COLOUR, "weight": 5, "opacity": 0.8}
        if feats:
            folium.GeoJson({"type": "FeatureCollection", "features": feats}, name="cultural corridor",
                           style_function=lambda _f: style,
                           tooltip=folium.GeoJsonTooltip(["name", "block"], aliases=["corridor", "block"])
                           ).add_to(m)


def add_area(m: folium.Map, district) -> None:
    """The patrol area: a lightly filled box with a dashed border (not clickable, so streets keep their tips)."""
    a = district.settings.area
    folium.Rectangle([[a.south, a.west], [a.north, a.east]], color=AREA_COLOUR, weight=2, fill=True,
                     fill_color=AREA_COLOUR, fill_opacity=AREA_FILL_OPACITY, dash_array="6 6", interactive=False,
                     name="patrol area").add_to(m)


def add_base(m: folium.Map, district) -> None:
    """Mark the base (safety communication center), in a pane of its own above every other mark."""
    done: set[str] = m.__dict__.setdefault("_patrol_once", set())
    if "base-pane" not in done:
        folium.map.CustomPane("base", z_index=640, pointer_events=True).add_to(m)
        done.add("base-pane")
    b = district.base
    mark = folium.CircleMarker([b.lat, b.lon], radius=9, color=BASE_OUTLINE, weight=3, fill=True,
                               fill_color=BASE_FILL, fill_opacity=1,
                               tooltip=f"{district.settings.base.name}: {b.matched}")
    mark.options["pane"] = "base"  # folium's path options leave ``pane`` out
    mark.add_to(m)


def add_businesses(m: folium.Map, district, *, only_in_area: bool = True) -> None:
    """Businesses as small circle markers with name and category."""
    group = folium.FeatureGroup(name="businesses")
    mask = district.business_in_area()
    for b, inside in zip(district.businesses, mask, strict=True):
        if only_in_area and not inside:
            continue
        folium.CircleMarker([b.lat, b.lon], radius=3, color=BUSINESS_COLOUR, fill=True, fill_opacity=0.8,
                            tooltip=f"{b.name} ({b.category})").add_to(group)
    group.add_to(m)


# ---------------------------------------------------------------------------------------------- legend
Shape = Literal["line", "box", "dot", "ring", "band", "text"]


@dataclass(frozen=True)
class LegendItem:
    """One legend entry, its swatch drawn as the map draws the thing.

    ``shape``: ``line`` (``dash`` for a dashed one), ``band`` (a wide pale line), ``box`` (a filled box with a
    border, ``dash`` for a dashed border), ``dot`` (a filled marker, ``border`` its outline), ``ring`` (an
    outline only) or ``text`` (a sample of the map's lettering).
    """

    label: str
    colour: str = "#000"
    shape: Shape = "line"
    dash: str = ""
    border: str = ""
    fill_opacity: float = 1.0


def swatch_svg(item: LegendItem, *, width: int = 26, height: int = 14) -> str:
    """An inline SVG swatch for ``item`` (``width`` x ``height`` px)."""
    w, h = width, height
    c = html_lib.escape(item.colour)
    dash = f' stroke-dasharray="{html_lib.escape(item.dash)}"' if item.dash else ""
    if item.shape == "line":
        body = f'<line x1="1" y1="{h / 2}" x2="{w - 1}" y2="{h / 2}" stroke="{c}" stroke-width="3"{dash}/>'
    elif item.shape == "band":
        body = f'<line x1="1" y1="{h / 2}" x2="{w - 1}" y2="{h / 2}" stroke="{c}" stroke-width="{h - 2}"' \
               f' stroke-opacity="{item.fill_opacity}"/>'
    elif item.shape == "box":
        border = html_lib.escape(item.border or item.colour)
        body = f'<rect x="1.5" y="1.5" width="{w - 3}" height="{h - 3}" fill="{c}" fill-opacity="{item.fill_opacity}"' \
               f' stroke="{border}" stroke-width="2"{dash}/>'
    elif item.shape == "dot":
        border = html_lib.escape(item.border or item.colour)
        r = h / 2 - 2
        body = f'<circle cx="{w / 2}" cy="{h / 2}" r="{r}" fill="{c}" fill-opacity="{item.fill_opacity}" ' \
               f'stroke="{border}" stroke-width="2"/>'
    elif item.shape == "ring":
        body = f'<circle cx="{w / 2}" cy="{h / 2}" r="{h / 2 - 1.5}" fill="none" stroke="{c}" stroke-width="2"/>'
    else:  # text
        body = f'<text x="{w / 2}" y="{h - 3}" text-anchor="middle" font-size="10" font-family="sans-serif" ' \
               f'fill="{c}">Abc</text>'
    return f'<svg class="swatch" width="{w}" height="{h}" viewBox="0 0 {w} {h}" aria-hidden="true">{body}</svg>'


def legend_html(items: list[LegendItem], *, title: str = "Legend") -> str:
    """A legend block: a title and one row per item (``.legend-item`` with ``.legend-label``)."""
    rows = "".join(
        f'<div class="legend-item">{swatch_svg(it)}<span class="legend-label">{html_lib.escape(it.label)}</span></div>'
        for it in items)
    return f'<div class="legend-title">{html_lib.escape(title)}</div>{rows}'


_LEGEND_CSS = (
    "<style>.map-legend{position:fixed;z-index:1000;background:rgba(255,255,255,.95);padding:6px 10px;"
    "font:12px sans-serif;border:1px solid #888;border-radius:4px;max-width:330px}"
    ".map-legend .legend-title{font-weight:bold;margin:2px 0 4px}"
    ".legend-item{display:flex;align-items:center;gap:6px;margin:2px 0}"
    ".legend-item .swatch{flex:none}</style>"
)


def add_legend(m: folium.Map, items: list[LegendItem], *, title: str = "Legend",
               position: Literal["bottomright", "bottomleft", "topright"] = "bottomright", extra: str = "") -> None:
    """A fixed legend box (``.map-legend``) with a swatch per item; ``extra`` is HTML put under the rows."""
    place = {"bottomright": "bottom:30px;right:10px", "bottomleft": "bottom:30px;left:10px",
             "topright": "top:10px;right:10px"}[position]
    _once(m, "legend-css", _LEGEND_CSS)
    add_html(m, f'<div class="map-legend" style="{place}">{legend_html(items, title=title)}{extra}</div>')


# ------------------------------------------------------------------------------------------ scripts
class MapScript(MacroElement):
    """JavaScript run once the map exists; ``__MAP__`` in ``code`` stands for the map's variable."""

    _template = Template("{% macro script(this, kwargs) %}{{ this.code }}{% endmacro %}")

    def __init__(self, code: str) -> None:
        super().__init__()
        self._name = "MapScript"
        self.raw = code
        self.code = code

    def render(self, **kwargs: Any) -> None:
        self.code = self.raw.replace("__MAP__", self._parent.get_name())
        super().render(**kwargs)


def _once(m: folium.Map, key: str, html: str) -> None:
    """``add_head(m, html)`` the first time ``key`` is asked for on this map."""
    done: set[str] = m.__dict__.setdefault("_patrol_once", set())
    if key not in done:
        add_head(m, html)
        done.add(key)


def add_zoom_classes(m: folium.Map) -> None:
    """Classes ``z-ge-N`` on the map's container for every zoom level N reached, so CSS can show things by zoom."""
    done: set[str] = m.__dict__.setdefault("_patrol_once", set())
    if "zoom-js" in done:
        return
    done.add("zoom-js")
    # (".leaflet-container" outweighs Leaflet's own ".leaflet-marker-icon{display:block}", inlined after this)
    _once(m, "zoom-css", "<style>.leaflet-container .street-label{display:none}"
                         f".z-ge-{LABEL_ZOOM} .street-label{{display:block}}"
                         ".leaflet-container .street-label.closer{display:none}"
                         f".z-ge-{LABEL_ZOOM + 1} .street-label.closer{{display:block}}</style>")
    m.add_child(MapScript(map_script("zoom_classes") + "\npatrolZoomClasses(__MAP__);"))


# ------------------------------------------------------------------------------------------ street names
@dataclass(frozen=True)
class StreetLabel:
    """Where to write a street's name: a point on the street, the text's angle (degrees, clockwise on screen,
    within -90..90 so it never reads upside down) and the zoom from which it shows."""

    name: str
    lat: float
    lon: float
    angle: float
    min_zoom: int = LABEL_ZOOM


def _label_positions(length: float, spacing: float) -> list[float]:
    n = max(1, int(length // spacing))
    return [(j + 0.5) * length / n for j in range(n)]


def street_labels(district, *, spacing_m: float = 450.0, close_spacing_m: float = 150.0,
                  min_length_m: float = 90.0) -> list[StreetLabel]:
    """Label points of every named street: its blocks merged into lines, a label every ``spacing_m`` along them
    from zoom :data:`LABEL_ZOOM` (at least one on each line of ``min_length_m`` or more; a street with only shorter
    lines gets one on its longest), and more, every ``close_spacing_m``, from the zoom after, where a screen shows
    less of the street.  Ordered by zoom, then longest lines first (the page hides a name that would overlap one
    shown before it).
    """
    area = district.settings.area
    lat0, lon0 = (area.south + area.north) / 2, (area.west + area.east) / 2
    kx, ky = 111_320.0 * math.cos(math.radians(lat0)), 110_540.0
    by_name: dict[str, list[LineString]] = defaultdict(list)
    for _, _, d in district.graph.edges(data=True):
        if d["name"]:
            by_name[str(d["name"])].append(d["geometry"])
    ranked: list[tuple[int, float, StreetLabel]] = []
    for name, geoms in sorted(by_name.items()):
        merged = linemerge(MultiLineString(geoms)) if len(geoms) > 1 else geoms[0]
        lines = list(merged.geoms) if hasattr(merged, "geoms") else [merged]
        metric = [LineString([((x - lon0) * kx, (y - lat0) * ky) for x, y in ln.coords]) for ln in lines]
        keep = [k for k, ln in enumerate(metric) if ln.length >= min_length_m] or \
               [max(range(len(metric)), key=lambda k: metric[k].length)]
        for k in keep:
            ln, geo = metric[k], lines[k]
            far = _label_positions(ln.length, spacing_m)
            near = [x for x in _label_positions(ln.length, close_spacing_m)
                    if min(abs(x - y) for y in far) > close_spacing_m * 0.6]
            for zoom, positions in ((LABEL_ZOOM, far), (LABEL_ZOOM + 1, near)):
                for at in positions:
                    p0 = ln.interpolate(max(0.0, at - 15.0))
                    p1 = ln.interpolate(min(ln.length, at + 15.0))
                    angle = round(-math.degrees(math.atan2(p1.y - p0.y, p1.x - p0.x)), 1)
                    if angle > 90:
                        angle -= 180
                    elif angle <= -90:
                        angle += 180
                    q = geo.interpolate(at / ln.length if ln.length > 0 else 0.0, normalized=True)
                    ranked.append((zoom, -ln.length,
                                   StreetLabel(name, round(q.y, 6), round(q.x, 6), angle, zoom)))
    ranked.sort(key=lambda t: (t[0], t[1]))
    return [lb for _, _, lb in ranked]


_LABEL_CSS = (
    "<style>.street-label span{position:absolute;left:0;top:0;white-space:nowrap;font:italic 11px sans-serif;"
    "color:#333;transform-origin:center;pointer-events:none;"
    "text-shadow:0 0 2px #fff,0 0 2px #fff,0 0 3px #fff,1px 1px 0 #fff,-1px -1px 0 #fff}</style>"
)


def add_street_labels(m: folium.Map, district) -> list[StreetLabel]:
    """Street names along the streets, shown from zoom :data:`LABEL_ZOOM` on, more of them from the zoom after
    (``.street-label`` marks, the closer ones ``.street-label.closer``)."""
    labels = street_labels(district)
    add_zoom_classes(m)
    _once(m, "label-css", _LABEL_CSS)
    data = json.dumps([[lb.name, lb.lat, lb.lon, lb.angle, int(lb.min_zoom > LABEL_ZOOM)] for lb in labels])
    m.add_child(MapScript(map_script("street_labels") + f"\npatrolStreetLabels(__MAP__, {data});"))
    return labels


def district_legend(district, *, businesses: bool = True) -> list[LegendItem]:
    """The legend rows of what :func:`write_district_map` draws."""
    items = [LegendItem("street", KIND_STYLE["street"]["color"]),
             LegendItem("parkway", KIND_STYLE["parkway"]["color"]),
             LegendItem("trail (Midtown Greenway)", KIND_STYLE["trail"]["color"], dash="4 4"),
             LegendItem("cultural corridor", CORRIDOR_COLOUR),
             LegendItem(f"patrol area ({district.settings.area.description})", AREA_COLOUR, "box", dash="4 3",
                        fill_opacity=0.15)]
    if businesses:
        items.append(LegendItem("business", BUSINESS_COLOUR, "dot", fill_opacity=0.8))
    items += [LegendItem(f"base: {district.settings.base.name}", BASE_FILL, "dot", border=BASE_OUTLINE),
              LegendItem(f"street names (from zoom {LABEL_ZOOM})", "#333", "text")]
    return items


def write_district_map(district, path: str | Path) -> Path:
    """``maps/district.html``: streets by kind, the corridor, the patrol area, businesses, the base, street names
    and a legend."""
    m = new_map(district, title=f"{district.name}: streets, corridor, patrol area, businesses, base")
    add_streets(m, district)
    add_area(m, district)
    add_businesses(m, district)
    add_base(m, district)
    add_street_labels(m, district)
    add_legend(m, district_legend(district))
    folium.LayerControl(collapsed=False).add_to(m)
    return save_map(m, path)


# ------------------------------------------------------------------------------------------ offline HTML
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
