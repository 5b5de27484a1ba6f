import math

import pytest

from patrol.errors import GeocodeError, OutsideDistrictError
from patrol.streetnames import core_name


def _metres(lat1, lon1, lat2, lon2):
    dy = (lat2 - lat1) * 111_195
    dx = (lon2 - lon1) * 111_195 * math.cos(math.radians(lat1))
    return math.hypot(dx, dy)


@pytest.mark.parametrize("text", ["W Lake St & Hennepin Ave S", "Lake & Hennepin", "hennepin and lake",
                                  "Hennepin / Lake", "West Lake Street at Hennepin Avenue South"])
def test_intersection_spellings_land_on_lake_and_hennepin(uptown, text):
    loc = uptown.geocode(text)
    assert _metres(loc.lat, loc.lon, 44.94836, -93.29828) < 5
    assert loc.kind == "intersection" and loc.node == 108
    block = next(d for _, _, d in uptown.graph.edges(data=True) if d["block"] == loc.block)
    assert loc.node in (block["u"], block["v"])
    assert loc.offset_m == (0.0 if block["u"] == loc.node else block["length"])


def test_business_name_and_latlon(uptown):
    lib = uptown.geocode("Walker Library")
    assert lib.kind == "business" and lib.matched == "Walker Library" and lib.in_area
    assert lib.snap_distance_m < 60
    pt = uptown.geocode("44.9484, -93.2983")
    assert pt.kind == "point" and pt.snap_distance_m < 5
    block = next(d for _, _, d in uptown.graph.edges(data=True) if d["block"] == pt.block)
    assert 0 <= pt.offset_m <= block["length"]
    lat, lon = uptown.geocoder.point_on_block(pt.block, pt.offset_m)
    assert _metres(lat, lon, pt.lat, pt.lon) < 0.5


@pytest.mark.parametrize("text", ["Jersey Mike's", "jersey mikes", "JERSEY MIKE'S", "Jersey Mike\u2019s",
                                  "jersey mike"])
def test_a_business_as_a_dispatcher_types_it(uptown, text):
    loc = uptown.geocode(text)
    assert loc.kind == "business" and loc.matched == "Jersey Mike's"
    assert _metres(loc.lat, loc.lon, 44.94865, -93.3012) < 60  # its row in businesses.csv, snapped onto its street


def test_and_or_ampersand_name_the_same_place(uptown):
    assert uptown.geocode("Hammer and Sickle").matched == uptown.geocode("hammer & sickle").matched == "Hammer & Sickle"
    assert uptown.geocode("Lake and Hennepin").kind == "intersection"  # two streets stay an intersection


def test_a_misspelt_place_names_its_close_matches(uptown):
    with pytest.raises(GeocodeError) as info:
        uptown.geocode("Jersy Mikes")
    assert "Jersey Mike's" in info.value.details["close_matches"] and "close matches: Jersey Mike's" in str(info.value)


def test_unknown_street_names_close_matches(uptown):
    with pytest.raises(GeocodeError) as info:
        uptown.geocode("Hennepn & Lake")
    assert "Hennepin Ave S" in info.value.details["close_matches"]
    assert "Hennepn" in info.value.message


def test_streets_that_never_meet(uptown):
    with pytest.raises(GeocodeError, match="never meet"):
        uptown.geocode("W Lake St & W 28th St")


def test_point_outside_the_district(uptown):
    with pytest.raises(OutsideDistrictError) as info:
        uptown.geocode("44.99, -93.20")
    assert info.value.details["distance_m"] > 250
    assert isinstance(info.value, GeocodeError)


@pytest.mark.parametrize("text", ["", "   ", "Nowhere Special Plaza", "Lake & Hennepin & Lagoon", "91.0, 10.0"])
def test_bad_texts_are_clear_errors(uptown, text):
    with pytest.raises(GeocodeError):
        uptown.geocode(text)


def test_ambiguous_place_lists_candidates(uptown):
    with pytest.raises(GeocodeError) as info:
        uptown.geocode("Lake")
    assert len(info.value.details["close_matches"]) > 1


def test_every_crossing_of_two_streets_once_per_group_closer_than_60_m(uptown):
    """For every two streets of the district that meet: one match per group of their shared nodes, nodes joined
    when closer than 60 m (a divided road's two carriageways), found here by brute force over node pairs."""
    names: dict[str, set[str]] = {}
    nodes_of: dict[str, set[int]] = {}
    for u, v, d in uptown.graph.edges(data=True):
        c = core_name(d["name"])
        names.setdefault(c, set()).add(d["name"])
        nodes_of.setdefault(c, set()).update((u, v))
    nd = uptown.graph.nodes
    cores = sorted(names)
    checked = several = 0
    for i, a in enumerate(cores):
        for b in cores[i + 1:]:
            shared = sorted(nodes_of[a] & nodes_of[b])
            if not shared:
                continue
            group = {n: n for n in shared}  # union-find over every pair closer than 60 m

            def root(n, group=group):
                while group[n] != n:
                    n = group[n]
                return n

            for x in shared:
                for y in shared:
                    if x < y and math.hypot(nd[x]["x"] - nd[y]["x"], nd[x]["y"] - nd[y]["y"]) < 60.0:
                        group[root(y)] = root(x)
            expected = {root(n) for n in shared}
            matches = uptown.geocoder.intersections(min(names[a]), min(names[b]))
            assert len(matches) == len(expected), (a, b)
            assert {root(m.node) for m in matches} == expected, (a, b)
            checked += 1
            several += len(shared) > 1
    assert checked > 100 and several >= 5  # the district's grid, and the streets that meet more than once


def test_snap_many_agrees_with_snap(uptown):
    import numpy as np

    lats = np.array([b.lat for b in uptown.businesses[:20]])
    lons = np.array([b.lon for b in uptown.businesses[:20]])
    blocks, offsets, _ = uptown.geocoder.snap_many(lats, lons)
    for lat, lon, b, o in zip(lats, lons, blocks, offsets, strict=True):
        loc = uptown.geocoder.snap(lat, lon)
        assert loc.block == b and abs(loc.offset_m - o) < 0.05


@pytest.mark.parametrize(("a", "b"), [("W Lake St", "LAKE"), ("West Lake Street", "lake"), ("W 28th St", "28TH"),
                                      ("Hennepin Ave S", "HENNEPIN"), ("W 31st St", "31")])
def test_core_names_match_across_sources(a, b):
    assert core_name(a) == core_name(b)
