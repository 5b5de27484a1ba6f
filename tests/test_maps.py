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
