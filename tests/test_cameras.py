"""Cameras: the registry file (the shipped Uptown one is illustrative), what a camera sees (checked by sampling
points along the streets with great-circle distances and bearings), edits kept in the record, and an incident seen
on a camera placed at the camera's view."""

from __future__ import annotations

import math
import sqlite3

import numpy as np
import pytest

from patrol.cameras import (
    MIN_SHARE,
    CameraBook,
    camera_from_dict,
    camera_view,
    cameras_path,
    load_cameras,
    new_camera_incident,
    watched_blocks,
)
from patrol.dispatch import Record
from patrol.errors import ConfigError, InputError, NotFoundError


def _dist_bearing(lat1: float, lon1: float, lat2: float, lon2: float) -> tuple[float, float]:
    """Great-circle metres and initial bearing (degrees clockwise from north) from point 1 to point 2."""
    p1, p2, dl = math.radians(lat1), math.radians(lat2), math.radians(lon2 - lon1)
    h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    d = 2 * 6371008.8 * math.asin(math.sqrt(h))
    y = math.sin(dl) * math.cos(p2)
    x = math.cos(p1) * math.sin(p2) - math.sin(p1) * math.cos(p2) * math.cos(dl)
    return d, math.degrees(math.atan2(y, x)) % 360


def _samples(uptown, block: int, step_m: float = 0.5) -> list[tuple[float, float, float]]:
    """Points every ``step_m`` metres along a block: (offset_m, lat, lon)."""
    length = float(uptown.arrays.edge_length[block])
    n = max(2, int(length / step_m) + 1)
    out = []
    for i in range(n):
        off = length * i / (n - 1)
        lat, lon = uptown.geocoder.point_on_block(block, off)
        out.append((off, lat, lon))
    return out


def _seen_by_sampling(uptown, cam, block: int) -> float:
    length = float(uptown.arrays.edge_length[block])
    pts = _samples(uptown, block)
    inside = 0
    for _, lat, lon in pts:
        d, brg = _dist_bearing(cam.lat, cam.lon, lat, lon)
        off_axis = abs((brg - cam.heading_deg + 180) % 360 - 180)
        inside += d <= cam.range_m and (off_axis <= cam.fov_deg / 2 or d < 1e-6)
    return length * inside / len(pts)


def test_the_shipped_uptown_registry_is_illustrative(uptown):
    path = cameras_path(uptown)
    assert path is not None and path.name == "cameras.toml"
    reg = load_cameras(path, n_blocks=uptown.arrays.n_edges)
    assert reg.illustrative and "not real" in reg.note.lower()
    text = path.read_text(encoding="utf-8")
    assert "ILLUSTRATIVE" in text and "NOT real cameras" in text
    assert all("illustrative" in c.owner for c in reg.cameras) and len(reg.cameras) >= 3


def test_bad_registries_are_refused(tmp_path, uptown):
    cases = {
        "unknown top key": ('colour = "red"\n', "colour"),
        "unknown camera key": ('[[camera]]\nid = "a"\nblocks = [1]\nzoom = 3\n', "zoom"),
        "missing range": ('[[camera]]\nid = "a"\nlat = 44.95\nlon = -93.29\nheading_deg = 0\nfov_deg = 40\n',
                          "range_m"),
        "bad id": ('[[camera]]\nid = "a b"\nblocks = [1]\n', "id"),
        "repeated id": ('[[camera]]\nid = "a"\nblocks = [1]\n[[camera]]\nid = "a"\nblocks = [2]\n', "id"),
        "not a block": (f'[[camera]]\nid = "a"\nblocks = [{uptown.arrays.n_edges}]\n', "blocks"),
        "fov out of range": ('[[camera]]\nid = "a"\nlat = 44.95\nlon = -93.29\nheading_deg = 0\nfov_deg = 400\n'
                             'range_m = 50\n', "fov_deg"),
    }
    for name, (text, field) in cases.items():
        p = tmp_path / f"{name}.toml"
        p.write_text(text)
        with pytest.raises(ConfigError) as exc:
            load_cameras(p, n_blocks=uptown.arrays.n_edges)
        assert exc.value.field == field, name
        assert p.name in exc.value.message


def test_what_a_camera_sees(uptown):
    corner = uptown.geocode("W Lake St & Hennepin Ave S")
    a = uptown.arrays
    east = next(d["block"] for _, _, d in uptown.graph.edges(corner.node, data=True)
                if d["name"] == "W Lake St" and uptown.graph.nodes[d["v"] if d["u"] == corner.node else d["u"]]["lon"]
                > corner.lon)
    length = float(a.edge_length[east])
    # looking east along W Lake St, a narrow view reaching 80 % of the block: 80 % of it seen, so it is watched
    cam = camera_from_dict({"id": "t", "lat": corner.lat, "lon": corner.lon, "heading_deg": 90, "fov_deg": 10,
                            "range_m": 0.8 * length})
    view = camera_view(uptown, cam)
    assert view.seen_m[east] == pytest.approx(_seen_by_sampling(uptown, cam, east), abs=1.5)
    assert view.seen_m[east] == pytest.approx(0.8 * length, abs=1.5)
    assert view.blocks == (east,)
    # reaching 40 %: seen, not watched
    short = camera_from_dict({**cam.to_dict(), "range_m": 0.4 * length})
    v2 = camera_view(uptown, short)
    assert v2.seen_m[east] == pytest.approx(0.4 * length, abs=1.5) and east not in v2.blocks
    # a wide camera: every block's seen length agrees with the sampled one, and watched = seen >= MIN_SHARE
    wide = camera_from_dict({"id": "w", "lat": 44.94880, "lon": -93.29500, "heading_deg": 30, "fov_deg": 120,
                             "range_m": 150})
    v3 = camera_view(uptown, wide)
    assert len(v3.seen_m) >= 4
    for b, m in v3.seen_m.items():
        assert m == pytest.approx(_seen_by_sampling(uptown, wide, b), abs=2.0), b
    assert set(v3.blocks) == {b for b, m in v3.seen_m.items() if m >= MIN_SHARE * float(a.edge_length[b])}
    # blocks far outside the range are never touched
    assert all(_dist_bearing(wide.lat, wide.lon, *uptown.geocoder.point_on_block(b, 0.0))[0] < 400 for b in v3.seen_m)
    # given by its blocks: those, and its view point in the middle of the first
    listed = camera_view(uptown, camera_from_dict({"id": "g", "blocks": [131, 117]}))
    assert listed.blocks == (131, 117) and listed.point == (131, pytest.approx(float(a.edge_length[131]) / 2))
    mask = watched_blocks(uptown, [cam, camera_from_dict({"id": "g", "blocks": [131, 117]})])
    assert set(np.flatnonzero(mask)) == {east, 131, 117}


def test_the_view_point_is_the_watched_street_nearest_the_middle_of_the_view(uptown):
    wide = camera_from_dict({"id": "w", "lat": 44.94880, "lon": -93.29500, "heading_deg": 30, "fov_deg": 120,
                             "range_m": 150})
    view = camera_view(uptown, wide)
    # the middle of the view: half the range along the heading (great-circle destination point)
    d, h = 75.0 / 6371008.8, math.radians(30)
    p1, l1 = math.radians(wide.lat), math.radians(wide.lon)
    p2 = math.asin(math.sin(p1) * math.cos(d) + math.cos(p1) * math.sin(d) * math.cos(h))
    l2 = l1 + math.atan2(math.sin(h) * math.sin(d) * math.cos(p1), math.cos(d) - math.sin(p1) * math.sin(p2))
    mid = (math.degrees(p2), math.degrees(l2))
    best = min(((_dist_bearing(*mid, lat, lon)[0], lat, lon) for b in view.blocks for _, lat, lon in
                _samples(uptown, b, 0.25)))
    assert _dist_bearing(view.lat, view.lon, best[1], best[2])[0] < 1.0
    assert view.point[0] in view.blocks


def test_edits_in_the_record_and_a_camera_incident(uptown, tmp_path):
    rec = Record(tmp_path / "r.db", actor="test")
    book = CameraBook(rec, uptown)
    file_ids = [c.id for c in book.file.cameras]
    assert [c.id for c in book.cameras()] == file_ids
    added = book.set(camera_from_dict({"id": "new-1", "blocks": [17], "owner": "a shop"}), actor="dispatcher")
    moved = book.set(camera_from_dict({**book.get(file_ids[0]).to_dict(), "heading_deg": 270}))
    book.remove(file_ids[1])
    ids = [c.id for c in book.cameras()]
    assert ids == [file_ids[0], *file_ids[2:], "new-1"]
    assert book.get(file_ids[0]).heading_deg == 270 and moved.heading_deg == 270
    assert added.owner == "a shop"
    with pytest.raises(NotFoundError, match="known"):
        book.get(file_ids[1])
    with pytest.raises(NotFoundError):
        book.remove(file_ids[1])
    assert [e["action"] for e in book.edits()] == ["set", "set", "remove"]
    assert load_cameras(cameras_path(uptown)).cameras[0].heading_deg != 270  # the file is never written
    with pytest.raises(sqlite3.DatabaseError):
        rec._conn.execute("DELETE FROM camera_edits")
    with pytest.raises(InputError):
        book.set(camera_from_dict({"id": "x", "blocks": [uptown.arrays.n_edges + 5]}))
    # an incident seen on a camera: placed at its view point, carrying its id
    view = camera_view(uptown, book.get("demo-lake-hennepin"))
    inc = new_camera_incident(rec, uptown, view, type="disturbance", notes="two people arguing")
    assert (inc.source, inc.camera_id) == ("camera", "demo-lake-hennepin")
    assert (inc.block, inc.offset_m) == (view.point[0], pytest.approx(view.point[1]))
    assert (inc.lat, inc.lon) == (pytest.approx(view.lat), pytest.approx(view.lon))
    assert inc.block in view.blocks and "in view of camera" in inc.matched
    assert rec.get_incident(inc.id).camera_id == "demo-lake-hennepin"
    # or at a place in the picture the dispatcher names
    spot = uptown.geocode("W Lake St & Girard Ave S")
    inc2 = new_camera_incident(rec, uptown, view, type="sleeping", location=spot)
    assert (inc2.block, inc2.camera_id) == (spot.block, "demo-lake-hennepin")
    rec.close()
