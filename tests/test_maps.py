"""Maps written by patrol open without internet: Leaflet inlined, no script errors, layers drawn."""

import re
import time

import folium
import pytest

from patrol import maps


def _district_map(district, path):
    m = maps.new_map(district, title="test")
    maps.add_streets(m, district)
    maps.add_area(m, district)
    maps.add_base(m, district)
    # a popup with HTML content: folium builds it with jQuery's $(...), which is not loaded offline
    folium.PolyLine([(44.948, -93.298), (44.949, -93.297)], popup="walker: 10:00-10:05 W Lake St").add_to(m)
    folium.LayerControl().add_to(m)
    return maps.save_map(m, path)


def test_saved_map_is_self_contained(uptown, tmp_path):
    html = _district_map(uptown, tmp_path / "m.html").read_text()
    assert not re.search(r'<script[^>]+src="https?://', html)  # Leaflet inlined, no CDN script
    assert not re.search(r'<link[^>]+href="https?://', html)
    assert "L.map(" in html and "$(`" in html
    assert "window.$ = function" in html  # the stand-in for folium's one jQuery use


@pytest.mark.slow
def test_saved_map_renders_offline_without_errors(uptown, tmp_path, browser):
    path = _district_map(uptown, tmp_path / "m.html")
    browser.get(path.as_uri())
    time.sleep(1.0)
    errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == []
    drawn = browser.execute_script(
        "const m = Object.values(window).find(v => v instanceof L.Map); let n = 0;"
        "m.eachLayer(l => { if (l instanceof L.Path) n += 1; }); return n;")
    assert drawn > 250  # every street block plus corridor, area, base and the test line
    assert browser.execute_script("return document.querySelectorAll('canvas.leaflet-zoom-animated').length") >= 1
    assert browser.execute_script("return document.querySelectorAll('.leaflet-control-layers').length") == 1


def test_street_labels_lie_on_their_streets(uptown):
    """Every named street gets a name from zoom 16, written on the street itself, never upside down."""
    from shapely.geometry import Point

    labels = maps.street_labels(uptown)
    names = {d["name"] for _, _, d in uptown.graph.edges(data=True) if d["name"]}
    assert {lb.name for lb in labels if lb.min_zoom == maps.LABEL_ZOOM} == names
    for lb in labels:
        assert -90 < lb.angle <= 90
        on = min(d["geometry"].distance(Point(lb.lon, lb.lat))
                 for _, _, d in uptown.graph.edges(data=True) if d["name"] == lb.name)
        assert on < 1e-5  # about a metre
    # W Lake St runs east-west: its names are written (nearly) level; Hennepin Ave S runs north-south
    assert all(abs(lb.angle) < 15 for lb in labels if lb.name == "W Lake St")
    assert all(abs(lb.angle) > 75 for lb in labels if lb.name == "Hennepin Ave S")


DISTRICT_LEGEND = ["street", "parkway", "trail (Midtown Greenway)", "cultural corridor",
                   "patrol area (Knox Ave S to Pillsbury Ave S, W 31st St to W 28th St)", "business",
                   "base: Safety communication center", "street names (from zoom 16)"]


@pytest.mark.slow
def test_district_map_screen(uptown, tmp_path, browser, screens):
    """The district map: a legend drawing each thing as the map does (the area a filled box with a dashed border,
    the base its yellow marker), and street names from zoom 16 that never overlap."""
    path = maps.write_district_map(uptown, tmp_path / "district.html")
    browser.get(path.as_uri())
    find = "const m = Object.values(window).find(v => v instanceof L.Map);"
    assert browser.execute_script(f"{find} return !!m")
    assert [e for e in browser.get_log("browser") if e["level"] == "SEVERE"] == []
    items = browser.execute_script(
        "return [...document.querySelectorAll('.map-legend .legend-item')].map(i => "
        "[i.querySelector('.legend-label').textContent, ...[...i.querySelectorAll('svg > *')].map(e => "
        "[e.tagName, e.getAttribute('fill'), e.getAttribute('fill-opacity'), e.getAttribute('stroke'), "
        "e.getAttribute('stroke-dasharray')])])")
    assert [i[0] for i in items] == DISTRICT_LEGEND
    swatch = {i[0]: i[1] for i in items}
    area = swatch[DISTRICT_LEGEND[4]]
    assert area[0] == "rect" and float(area[2]) > 0 and area[4]  # a filled box, dashed border
    assert swatch["base: Safety communication center"][:2] == ["circle", maps.BASE_FILL]
    assert swatch["street"][0] == "line" and swatch["trail (Midtown Greenway)"][4]  # lines; the trail dashed

    def shown():
        return browser.execute_script(
            "return [...document.querySelectorAll('.street-label span')].filter(s => s.offsetParent && "
            "s.style.visibility !== 'hidden').map(s => { const r = s.getBoundingClientRect(); "
            "return [s.textContent, r.left, r.top, r.right, r.bottom]; })")

    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(browser, 20)
    # Leaflet ignores a new view while a zoom animation (the page's first fit) is still running: ask until it holds
    def view(centre: str, zoom: int) -> bool:
        return browser.execute_script(f"{find} if (m.getZoom() !== {zoom}) m.setView({centre}, {zoom}, "
                                      f"{{animate: false}}); return m.getZoom() === {zoom}")

    wait.until(lambda d: view("m.getCenter()", 15))
    assert shown() == []  # at 15 a block is ~30 px: no names
    wait.until(lambda d: view("[44.9484, -93.2920]", 16) and len(shown()) > 10)
    names = shown()
    assert {"W Lake St", "Hennepin Ave S", "Lyndale Ave S", "W 28th St"} <= {n[0] for n in names}
    for j, a in enumerate(names):
        for b in names[j + 1:]:
            assert a[3] <= b[1] or b[3] <= a[1] or a[4] <= b[2] or b[4] <= a[2], (a[0], b[0])  # no overlap
    browser.save_screenshot(str(screens / "district-map.png"))


def test_walker_colours_stay_apart_for_colour_blind_eyes():
    """Eight walkers' colours stay plainly different with each common colour-vision deficiency; a red-green pair,
    as the old palette had, does not."""
    from colour_vision import DEFICIENCIES, closest_pair

    for deficiency in [None, *DEFICIENCIES]:
        assert closest_pair(maps.PALETTE[:8], deficiency) > 12, deficiency
    assert closest_pair(["#e6194b", "#3cb44b"], "deuteranopia") < closest_pair(["#e6194b", "#3cb44b"]) / 2
