"""The district's services and written materials: the Uptown list (derived entries named in the district's data,
the rest marked illustrative), refusals naming the key, and handouts checked against the list."""

from __future__ import annotations

import pytest

from patrol.errors import ConfigError, InputError
from patrol.materials import KINDS, district_materials, load_materials, materials_path
from patrol.vocab import REFERRAL_TYPES


def test_the_uptown_list(uptown):
    lst = district_materials(uptown)
    assert materials_path(uptown).name == "materials.toml" and lst.illustrative
    names = {b.name for b in uptown.businesses}
    for m in lst.items:
        assert m.kind in KINDS
        # each entry is a place of the district's own data, a phone line, or says it is made up
        assert (m.at in names and m.source.startswith("businesses.csv")) or m.phone or m.illustrative, m.id
        if m.illustrative:
            assert "illustrative" in m.name.lower() and "PLACEHOLDER" in m.description
        if m.at:
            assert m.lat is not None and uptown.settings.area.contains(m.lat, m.lon)
    # every referral type the field page offers has at least one entry (but "other")
    assert all(lst.for_kind(t) for t in REFERRAL_TYPES if t not in ("other",)), [
        t for t in REFERRAL_TYPES if not lst.for_kind(t)]
    assert lst.handouts([("988-lifeline", 1), ("demo-shelter-card", 3)]) == [("988-lifeline", "mental health", 1),
                                                                             ("demo-shelter-card", "shelter", 3)]
    with pytest.raises(InputError, match="not in the district's list"):
        lst.handouts([("nope", 1)])
    with pytest.raises(InputError, match="count"):
        lst.handouts([("988-lifeline", 0)])


def test_bad_lists_are_refused(tmp_path, uptown):
    cases = {
        "kind": '[[item]]\nid = "a"\nname = "A"\nkind = "pizza"\n',
        "colour": '[[item]]\nid = "a"\nname = "A"\nkind = "food"\ncolour = "red"\n',
        "id": '[[item]]\nid = "a"\nname = "A"\nkind = "food"\n[[item]]\nid = "a"\nname = "B"\nkind = "food"\n',
        "at": '[[item]]\nid = "a"\nname = "A"\nkind = "food"\nat = "Nowhere St & Nothing Ave"\n',
        "name": '[[item]]\nid = "a"\nname = ""\nkind = "food"\n',
    }
    for field, text in cases.items():
        p = tmp_path / f"{field}.toml"
        p.write_text(text)
        with pytest.raises(ConfigError) as exc:
            load_materials(p, district=uptown)
        assert exc.value.field == field and p.name in exc.value.message
    assert load_materials(None).items == ()
