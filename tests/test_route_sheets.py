"""Route sheets and the plan map read a plan in the program's words: checked on a small hand-built plan whose rows
are worked out by hand below, from the Uptown graph's corners (node 92 is the base, Hennepin Ave S & W Lagoon Ave;
W Lagoon Ave runs 92 - 93 (Girard Ave S) - 94 (Fremont Ave S); block 190 is Fremont Ave S from 94 north to 75,
W 29th St, 87.3 m)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from patrol.planning.itinerary import date_text, distance_text, unit_day, unit_rows
from patrol.planning.plan_map import plan_map_data
from patrol.planning.sheets import write_sheets

SPEED = 60.0  # m/min in the hand-built plan, so that times are easy to check


def _walk(t0: float, block: int, off0: float, off1: float, street: str, a: int | None, b: int | None,
          label: str = "") -> dict:
    step = {"t0": t0, "t1": t0 + abs(off1 - off0) / SPEED, "activity": "walk", "block": block, "off0": off0,
            "off1": off1, "ref": "", "street": street, "length_m": abs(off1 - off0)}
    if a is not None:
        step["from_node"] = a
    if b is not None:
        step["to_node"], step["node_label"] = b, label
    return step


def _stop(t0: float, minutes: float, activity: str, block: int, off: float, street: str, **extra) -> dict:
    return {"t0": t0, "t1": t0 + minutes, "activity": activity, "block": block, "off0": off, "off1": off,
            "street": street, **extra}


def _amb2() -> list[dict]:
    """Out along W Lagoon Ave, a check-in 20 m up Fremont Ave S, back to the base, a hot-spot stay, a rest break."""
    s = [_walk(600.0, 109, 100.7, 0.0, "W Lagoon Ave", 92, 93),  # 10:00.0-10:01.7
         ]
    s.append(_walk(s[-1]["t1"], 85, 100.6, 0.0, "W Lagoon Ave", 93, 94))  # -10:03.4, joins the first
    s.append(_walk(s[-1]["t1"], 190, 0.0, 20.0, "Fremont Ave S", 94, None))  # 20 s: folded into the walk before
    s.append(_stop(s[-1]["t1"], 5.0, "checkin", 190, 20.0, "Fremont Ave S", ref="Café <Olé> & Co", business=7,
                   business_name="Café <Olé> & Co"))  # -10:08.7
    s.append(_walk(s[-1]["t1"], 190, 20.0, 0.0, "Fremont Ave S", None, 94))  # 20 s: folded into the walk after
    s.append(_walk(s[-1]["t1"], 85, 0.0, 100.6, "W Lagoon Ave", 94, 93))
    s.append(_walk(s[-1]["t1"], 109, 0.0, 100.7, "W Lagoon Ave", 93, 92))  # -10:12.4
    s.append(_stop(s[-1]["t1"], 10.0, "dwell", 109, 100.7, "W Lagoon Ave", ref="hot spot 1", hotspot=1))
    s.append(_stop(s[-1]["t1"], 15.0, "break", 109, 100.7, "W Lagoon Ave", ref="rest break", **{"break": "rest"}))
    s.append(_stop(s[-1]["t1"], 0.2, "post", 109, 100.7, "W Lagoon Ave", ref="at the base"))  # folded, last
    return s


def _pair() -> list[dict]:
    """To Girard Ave S and straight back: a turn back makes two walks."""
    s = [_walk(600.0, 109, 100.7, 0.0, "W Lagoon Ave", 92, 93)]
    s.append(_walk(s[-1]["t1"], 109, 0.0, 100.7, "W Lagoon Ave", 93, 92))
    return s


@pytest.fixture(scope="module")
def hand_plan(uptown) -> dict:
    return {"district": uptown.name, "day": "tue", "date": "2026-06-02", "shift": {"start": "10:00", "end": "18:00"},
            "walkers": {
                "amb2": {"members": ["amb2"], "role": "walker", "hours": ["10:00", "18:00"], "steps": _amb2(),
                         "summary": {"walk_km": 0.4226, "checkins": 1}},
                "amb3+amb4": {"members": ["amb3", "amb4"], "role": "walker", "hours": ["10:00", "18:00"],
                              "steps": _pair(), "summary": {"walk_km": 0.2014, "checkins": 0}}},
            "hotspots": [{"id": 1, "block": 109, "street": "W Lagoon Ave", "lat": 44.94926, "lon": -93.2977}],
            "shortfalls": [{"target": "checkins", "required": "201 businesses", "achieved": "1",
                            "detail": "200 not checked in with: X", "why": "impossible with this roster: 201 check-ins "
                                                                           "x 5 min = 1005 min"}]}


# Worked out by hand from the steps above: (start, end, minutes, stop, text, where, distance)
EXPECTED_AMB2 = [
    ("10:00", "10:03", 3, 0, "Walk W Lagoon Ave from the base to Fremont Ave S", "", "220 m"),  # 201.3 + 20 m
    ("10:03", "10:08", 5, 1, "Check in with Café <Olé> & Co", "Fremont Ave S between W Lagoon Ave and W 29th St", ""),
    ("10:08", "10:12", 4, 0, "Walk W Lagoon Ave from Fremont Ave S to the base", "", "220 m"),  # 20 + 201.3 m
    ("10:12", "10:22", 10, 2, "Stay at hot spot 1 for 10 min: be seen, talk to people",
     "the base (Hennepin Ave S & W Lagoon Ave)", ""),
    ("10:22", "10:37", 15, 3, "Rest break", "the base (Hennepin Ave S & W Lagoon Ave)", ""),
]
EXPECTED_PAIR = [
    ("10:00", "10:01", 1, 0, "Walk W Lagoon Ave from the base to Girard Ave S", "", "100 m"),
    ("10:01", "10:03", 2, 0, "Walk W Lagoon Ave from Girard Ave S to the base", "", "100 m"),
]


def _as_tuples(rows) -> list[tuple]:
    return [(r.start, r.end, r.minutes, r.stop, r.text, r.where, distance_text(r.length_m) if r.kind == "walk" else "")
            for r in rows]


def test_rows_in_plain_words(uptown, hand_plan):
    rows = unit_rows(hand_plan["walkers"]["amb2"]["steps"], uptown)
    assert _as_tuples(rows) == EXPECTED_AMB2
    # every step is accounted for, once, in order
    assert [i for r in rows for i in r.steps] == list(range(len(hand_plan["walkers"]["amb2"]["steps"])))
    assert _as_tuples(unit_rows(hand_plan["walkers"]["amb3+amb4"]["steps"], uptown)) == EXPECTED_PAIR


def test_unit_day_totals_and_breaks(uptown, hand_plan):
    day = unit_day(hand_plan, "amb2", uptown)
    assert (day.start, day.end, day.checkins, len(day.hotspot_stays)) == ("10:00", "10:37", 1, 1)
    assert [b.text for b in day.breaks] == ["rest 10:22-10:37"]
    pair = unit_day(hand_plan, "amb3+amb4", uptown)
    assert pair.who == "amb3 and amb4"
    assert date_text(hand_plan) == "Tuesday 2 June 2026" and date_text({"day": "sat"}) == "Saturday"


class _Tables(HTMLParser):
    """Text of every table cell, by table, and of every h2."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self.h2: list[str] = []
        self._cell: list[str] | None = None
        self._h2: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "h2":
            self._h2 = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1][-1].append("".join(self._cell).strip())
            self._cell = None
        elif tag == "h2" and self._h2 is not None:
            self.h2.append("".join(self._h2).strip())
            self._h2 = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)
        if self._h2 is not None:
            self._h2.append(data)


def test_sheet_page(uptown, hand_plan, tmp_path):
    page = write_sheets(hand_plan, uptown, tmp_path / "sheets.html").read_text(encoding="utf-8")
    assert "<Olé>" not in page and "Café &lt;Olé&gt; &amp; Co" in page  # names are text, not markup
    assert "<script" not in page and "http" not in page  # nothing to fetch, nothing to run: prints anywhere
    parsed = _Tables()
    parsed.feed(page)
    assert parsed.h2 == ["amb2 — Tuesday 2 June 2026", "amb3+amb4 — Tuesday 2 June 2026"]
    team, _hot, amb2, pair = parsed.tables
    assert team[0] == ["Unit", "Who", "Hours", "Breaks", "Walk", "Check-ins", "Hot-spot stays"]
    assert team[1] == ["amb2", "amb2", "10:00-18:00", "rest 10:22-10:37", "0.4 km", "1", "10:12"]
    assert team[2][:2] == ["amb3+amb4", "amb3 and amb4"] and team[3][0] == "All"
    assert amb2[0] == ["Time", "Until", "Min", "Stop", "What to do", "Where", "Distance"]
    assert [tuple(r) for r in amb2[1:]] == [(a, b, str(m), str(s) if s else "", t, w, d)
                                           for a, b, m, s, t, w, d in EXPECTED_AMB2]
    assert len(pair) == 1 + len(EXPECTED_PAIR)
    text = re.sub(r"<[^>]+>", " ", page)
    assert "Businesses checked in with: needed 201 businesses, planned 1" in text
    assert "Why: impossible with this roster" in text
    assert page.count("<svg class=\"route-map\"") == 2  # a small map per unit


def test_map_data_numbers_stops_as_the_sheet(uptown, hand_plan):
    data = plan_map_data(hand_plan, uptown)
    amb2 = data["walkers"][0]
    assert amb2["name"] == "amb2" and amb2["km"] == pytest.approx(0.42, abs=0.005)
    stops = [amb2["rows"][s[0]][6] for s in amb2["stops"]]
    assert stops == [1, 2, 3]  # the check-in, the hot-spot stay, the break: numbered as on the sheet
    assert len(amb2["lines"]) == 2  # one line per walk row
    # lanes per street: both units walk W Lagoon Ave (amb2 first, the pair beside it); Fremont Ave S is amb2's own
    pair = data["walkers"][1]
    assert [ln[2] for ln in amb2["lines"]] == [0, 0] and [ln[2] for ln in pair["lines"]] == [1, 1]
    assert [s[3] for s in amb2["stops"]] == [0, 0, 0]  # the check-in on Fremont Ave S, the others on W Lagoon Ave
    heading = amb2["stops"][0][4]  # the check-in is reached walking north, its last 20 m up Fremont Ave S
    assert min(heading, 360 - heading) < 3
    assert amb2["stops"][1][4] == pytest.approx(270, abs=3)  # the stay: reached walking west along W Lagoon Ave
    assert data["hotspots"][0]["stays"] == "10:12 amb2"
