"""``patrol report`` and ``patrol report import`` from the command line; the HTML report renders."""

from __future__ import annotations

import csv
import json
from html.parser import HTMLParser
from pathlib import Path

import pytest
from report_record import build_record

from patrol.cli import main
from patrol.dispatch.record import Record

DATA = Path(__file__).parent / "data" / "report"


class _Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids, self.images, self.iframes, self.tags = set(), [], [], []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append(tag)
        if "id" in a:
            self.ids.add(a["id"])
        if tag == "img":
            self.images.append(a.get("src", ""))
        if tag == "iframe":
            self.iframes.append(a.get("srcdoc", ""))


@pytest.fixture(scope="module")
def record(tmp_path_factory, uptown):
    path = tmp_path_factory.mktemp("cli") / "rec.db"
    build_record(path, uptown)
    return path


def test_report_writes_html_csv_json(record, tmp_path, capsys):
    out = tmp_path / "out"
    code = main(["report", "--from", "2026-06-02", "--to", "2026-06-06", "--db", str(record), "--out", str(out),
                 "--target", "sleeping=30"])
    assert code == 0
    text = capsys.readouterr()
    assert "response_assign_to_scene  6.75 min  [n=4, record]" in text.out
    assert "violence_prevented needs" in text.err
    page = _Page()
    page.feed((out / "report.html").read_text(encoding="utf-8"))
    assert {"summary", "cannot", "outputs", "outcomes", "charts", "definitions", "presence_hours",
            "response_per_fte"} <= page.ids
    # response times, presence by hour, interactions over time, history by period: inline SVG
    assert {"chart-response", "chart-presence-hour", "chart-interactions", "chart-history"} <= page.ids
    assert page.tags.count("svg") == 4
    assert len(page.iframes) == 1 and "leaflet" in page.iframes[0].lower()
    assert '<script src="http' not in (out / "presence-map.html").read_text(encoding="utf-8")  # offline
    doc = json.loads((out / "report.json").read_text())
    byname = {m["name"]: m for m in doc["measures"]}
    assert byname["livability_resolved"]["value"] == 0.0  # sleeping resolved in 40 min > 30
    assert [m["name"] for m in doc["measures"] if m["value"] is None] == ["violence_prevented", "alert_ack_min",
                                                                            "message_ack_min"]  # no alert, no message
    with open(out / "measures.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    top = {r["measure"]: r for r in rows if r["key"] == ""}
    assert set(top) == set(byname)
    assert float(top["response_call_to_scene"]["value"]) == 7.5 and top["response_call_to_scene"]["n"] == "4"
    graffiti = {r["key"]: r["value"] for r in rows if r["measure"] == "graffiti" and r["key"]}
    assert graffiti == {"removed": "2", "reported": "1"}


def test_report_formats_and_errors(record, tmp_path, capsys):
    out = tmp_path / "j"
    assert main(["report", "--from", "2026-06-02", "--to", "2026-06-06", "--db", str(record), "--out", str(out),
                 "--format", "json", "--json"]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["report.json"]
    assert json.loads(capsys.readouterr().out)["files"] == [str(out / "report.json")]
    assert main(["report", "--to", "2026-06-06", "--db", str(record)]) == 2
    assert "--from" in capsys.readouterr().err
    assert main(["report", "--from", "2026-06-06", "--to", "2026-06-02", "--db", str(record)]) == 2
    assert main(["report", "--from", "2026-06-02", "--to", "2026-06-06", "--db", str(tmp_path / "none.db")]) == 2
    assert main(["report", "--from", "2026-06-02", "--to", "2026-06-06", "--db", str(record),
                 "--format", "pdf", "--out", str(out)]) == 2
    assert main(["report", "--from", "2026-06-02", "--to", "2026-06-06", "--db", str(record),
                 "--target", "disturbance=5", "--out", str(out)]) == 2


def test_report_import_verb(tmp_path, capsys):
    db = tmp_path / "rec.db"
    Record(db).close()
    assert main(["report", "import", "business-survey", str(DATA / "business_survey.csv"), "--db", str(db)]) == 0
    assert "imported 4 business-survey rows" in capsys.readouterr().out
    code = main(["report", "import", "community-survey", str(DATA / "community_survey_bad.csv"), "--db", str(db),
                 "--json"])
    assert code == 2
    err = json.loads(capsys.readouterr().out)["error"]
    assert err["field"] == "rating" and err["details"]["row"] == 3 and err["details"]["column"] == "rating"


@pytest.mark.slow
def test_html_report_renders_in_a_browser(record, tmp_path):
    import shutil
    import subprocess

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("no chromium")
    out = tmp_path / "out"
    assert main(["report", "--from", "2026-06-02", "--to", "2026-06-06", "--db", str(record), "--out", str(out),
                 "--format", "html"]) == 0
    shot = tmp_path / "shot.png"
    subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                    "--disable-background-networking", f"--user-data-dir={tmp_path / 'profile'}",
                    "--window-size=1200,3000", f"--screenshot={shot}", (out / "report.html").as_uri()],
                   check=True, capture_output=True, timeout=120)
    import numpy as np
    from PIL import Image

    img = np.asarray(Image.open(shot).convert("L").resize((60, 150)))
    assert img.shape == (150, 60)
    assert np.unique(img).size > 20  # text, tables and charts, not a blank page
