"""The report counts the record's safety escorts (provided = started and finished, with their time) and the written
materials handed out by kind; hand-built record, hand-computed figures."""

from __future__ import annotations

from patrol.dispatch import Record
from patrol.dispatch.escorts import EscortBook
from patrol.report import Period, build_report

A = (40, 10.0, 44.9484, -93.3030)
B = (85, 20.0, 44.9492, -93.2970)


def _escort(book: EscortBook, *, start: str | None, end: str | None, outcome: str | None, cancel: bool = False,
            asked: str = "2026-06-02T15:00:00Z") -> None:
    e = book.request(from_text="A", from_point=A, to_text="B", to_point=B, distance_m=600.0, duration_min=10.0,
                     at=asked)
    book.assign(e.id, "amb3", eta_min=2.0, at=asked)
    if start is not None:
        book.start(e.id, at=start)
    if cancel:
        book.cancel(e.id, at=end)
    elif outcome is not None:
        book.finish(e.id, outcome, at=end)


def test_escorts_and_materials_in_the_report(tmp_path, uptown):
    db = tmp_path / "r.db"
    rec = Record(db, actor="test")
    book = EscortBook(rec)
    # in the week of Tue 2 June 2026 (CDT): provided 12.5 + 20 min; one declined (never started), one cancelled
    # under way, one still under way, one provided the week before (left out)
    _escort(book, start="2026-06-02T15:10:00Z", end="2026-06-02T15:22:30Z", outcome="arrived")
    _escort(book, start="2026-06-04T20:00:00Z", end="2026-06-04T20:20:00Z", outcome="handed over",
            asked="2026-06-04T19:55:00Z")
    _escort(book, start=None, end="2026-06-03T16:00:00Z", outcome="person declined", asked="2026-06-03T15:55:00Z")
    _escort(book, start="2026-06-05T16:00:00Z", end="2026-06-05T16:05:00Z", outcome=None, cancel=True,
            asked="2026-06-05T15:55:00Z")
    _escort(book, start="2026-06-06T16:00:00Z", end=None, outcome=None, asked="2026-06-06T15:55:00Z")
    _escort(book, start="2026-05-29T16:00:00Z", end="2026-05-29T16:30:00Z", outcome="arrived",
            asked="2026-05-29T15:55:00Z")
    # an escort logged in words only (an interaction) counts too
    rec.log_interaction("amb4", "safety escort", at="2026-06-03T18:00:00Z")
    # materials: 2 shelter cards + 1 food flyer with a referral; 3 event flyers with information sharing;
    # 5 shelter cards the week before (left out)
    rec.log_interaction("amb3", "referral", referral_type="shelter", at="2026-06-02T16:00:00Z",
                        handouts=[("demo-shelter-card", "shelter", 2), ("demo-food-shelf", "food", 1)])
    rec.log_interaction("amb2", "information sharing", at="2026-06-05T17:00:00Z",
                        handouts=[("demo-events-flyer", "event flyer", 3)])
    rec.log_interaction("amb2", "referral", referral_type="shelter", at="2026-05-28T17:00:00Z",
                        handouts=[("demo-shelter-card", "shelter", 5)])
    rec.close()
    week = Period.from_dates("2026-06-02", "2026-06-06", uptown.settings.district.timezone)
    report = build_report(uptown, db, week)
    esc = report.measure("safety_escorts")
    assert esc.value == 3 and esc.n == 3  # 2 recorded and provided + 1 logged interaction
    assert esc.extra == {"total_min": 32.5, "mean_min": 16.25}
    rows = {r["key"]: (r["value"], r["n"]) for r in esc.breakdown}
    assert rows == {"escorts recorded (dispatched or walk-up)": (2, 2), "logged as interactions or incident actions":
                    (1, 1)}
    mat = report.measure("materials")
    assert (mat.value, mat.n, mat.kind) == (6, 3, "output")
    assert [(r["key"], r["value"], r["n"]) for r in mat.breakdown] == [("event flyer", 3, 1), ("shelter", 2, 1),
                                                                        ("food", 1, 1)]
    # the week before: the one escort provided then, the 5 shelter cards
    assert report.previous["safety_escorts"] == 1 and report.previous["materials"] == 5
