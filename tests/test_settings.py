import pytest

from patrol.errors import ConfigError
from patrol.settings import load_settings, parse_hhmm, settings_from_dict, settings_to_dict


def test_embedded_settings_hold_the_program(uptown):
    s = uptown.settings
    assert s.roster.size == 8 and s.roster.leads == 1
    assert s.shift.days == ("tue", "wed", "thu", "fri", "sat")
    assert (s.shift.start_min, s.shift.end_min) == (600, 1080)
    assert (s.speeds.patrol_m_s, s.speeds.response_m_s) == (1.0, 1.4)
    assert s.corridor.streets == ("W Lake St", "W Lagoon Ave", "Hennepin Ave S", "Lyndale Ave S")
    assert (s.area.south, s.area.north, s.area.west, s.area.east) == (44.9465, 44.9521, -93.3051, -93.2812)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"roster": {"sise": 3}}, "roster.sise"),
        ({"rosters": {}}, "rosters"),
        ({"roster": {"size": "eight"}}, "roster.size"),
        ({"roster": {"size": 0}}, "roster.size"),
        ({"shift": {"start": "25:00"}}, "shift.start"),
        ({"shift": {"start": "18:00", "end": "10:00"}}, "shift.start"),
        ({"shift": {"days": ["tue", "someday"]}}, "shift.days"),
        ({"speeds": {"patrol_m_s": 40.0}}, "speeds.patrol_m_s"),
        ({"area": {"south": 45.0, "north": 44.0}}, "area.south"),
        ({"business_hours": {"shop": "9-5"}}, "business_hours.shop"),
        ({"targets": {"hotspot_dwell_min": [15, 10]}}, "targets.hotspot_dwell_min"),
    ],
)
def test_bad_settings_name_the_key(uptown, data, field):
    with pytest.raises(ConfigError) as info:
        settings_from_dict(data, base=uptown.settings)
    assert info.value.field == field
    assert field.split(".")[-1] in info.value.message


def test_missing_keys_take_the_base_and_round_trip(uptown):
    s = settings_from_dict({"roster": {"size": 6}}, base=uptown.settings)
    assert s.roster.size == 6 and s.roster.leads == 1 and s.shift == uptown.settings.shift
    assert settings_from_dict(settings_to_dict(s)) == s
    assert uptown.settings.replace(roster__size=10).roster.ambassador_names()[-1] == "amb10"


def test_load_settings_errors(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_settings(tmp_path / "none.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[roster\nsize=3")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(bad)
    assert parse_hhmm("24:00") == 1440
