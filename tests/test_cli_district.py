import json
import re

import pytest

from patrol.cli import main


def test_district_info_json(capsys):
    assert main(["district", "info", "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    for key in ("nodes", "street_blocks", "total_km", "area_blocks", "area_km", "corridor_blocks", "corridor_km",
                "businesses_in_area"):
        assert key in info
    assert (info["nodes"], info["street_blocks"], info["total_km"]) == (163, 266, 34.4)


def test_district_info_text(capsys):
    assert main(["district", "info"]) == 0
    assert "266" in capsys.readouterr().out


def test_geocode_json_and_errors(capsys):
    assert main(["geocode", "W Lake St & Hennepin Ave S", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert {"lat", "lon", "block", "offset_m", "matched"} <= set(out)
    assert abs(out["lat"] - 44.94836) < 5e-5 and abs(out["lon"] + 93.29828) < 5e-5
    code = main(["geocode", "Hennepn & Lake"])
    err = capsys.readouterr().err
    assert code != 0 and "Hennepin Ave S" in err and "Traceback" not in err
    code = main(["geocode", "Hennepn & Lake", "--json"])
    body = json.loads(capsys.readouterr().out)
    assert code != 0 and body["error"]["type"] == "GeocodeError"


def test_district_map_is_offline_and_vector(tmp_path, capsys):
    out = tmp_path / "district.html"
    assert main(["district", "map", "--out", str(out)]) == 0
    html = out.read_text()
    assert "L.map" in html or "L.map(" in html
    assert not re.search(r'<script[^>]+src="https?://', html)  # Leaflet is inlined, no CDN script needed
    assert "W Lake St" in html and "Walker Library" in html  # streets and businesses as vector data


def test_bad_district_path_is_a_clean_error(tmp_path, capsys):
    code = main(["district", "info", "--district", str(tmp_path)])
    assert code != 0 and "district.toml" in capsys.readouterr().err


@pytest.mark.shared
def test_district_build_from_osm_xml(tmp_path, shared_dir, capsys):
    from patrol.district import default_district_path

    settings = tmp_path / "settings.toml"
    text = (default_district_path() / "district.toml").read_text()
    settings.write_text(text.replace('at = "Hennepin Ave S & W Lagoon Ave"', 'at = "Lake & Lyndale"'))
    out = tmp_path / "lynlake"
    xml = shared_dir / "data" / "uptown" / "osm_lynlake_2018.osm"
    assert main(["district", "build", "--osm-xml", str(xml), "--settings", str(settings), "--out", str(out),
                 "--json"]) == 0
    built = json.loads(capsys.readouterr().out)
    assert main(["district", "info", "--district", str(out), "--json"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert again["street_blocks"] == built["street_blocks"] and again["businesses"] == built["businesses"]
    assert (out / "ATTRIBUTION.md").is_file()
    # refuses to overwrite
    assert main(["district", "build", "--osm-xml", str(xml), "--settings", str(settings), "--out", str(out)]) != 0
