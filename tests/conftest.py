"""Shared fixtures: the embedded district (loaded once) and the path to ../shared."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from patrol.cli import main as cli_main
from patrol.district import District, load_district

SHARED = Path(__file__).resolve().parents[1] / ".." / "shared"
#: Screenshots of the pages, kept by CI as artifacts for a reviewer to look at.
SCREENS = Path(__file__).resolve().parents[1] / "out" / "screens"


@pytest.fixture(scope="session")
def uptown() -> District:
    """The embedded Uptown district (do not mutate)."""
    return load_district()


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """``../shared`` beside the checkout; tests using it skip when it is absent."""
    if not SHARED.is_dir():
        pytest.skip("../shared is not present")
    return SHARED.resolve()


@pytest.fixture(scope="session")
def screens() -> Path:
    """``out/screens/`` of the checkout: where browser tests save their screenshots."""
    SCREENS.mkdir(parents=True, exist_ok=True)
    return SCREENS


EXAMPLE_PROGRAM = Path(__file__).resolve().parents[1] / "data" / "programs" / "uptown-lynlake"


@pytest.fixture(scope="session")
def program_dir(shared_dir, tmp_path_factory) -> Path:
    """The example program, with Lyn-Lake built from the OSM extract (as program.toml says to)."""
    osm = shared_dir / "data" / "uptown" / "osm_lynlake_2018.osm"
    if not osm.is_file():
        pytest.skip("the Lyn-Lake OSM extract is not in ../shared/data/uptown")
    folder = tmp_path_factory.mktemp("program")
    shutil.copy(EXAMPLE_PROGRAM / "program.toml", folder / "program.toml")
    assert cli_main(["district", "build", "--osm-xml", str(osm), "--settings", str(EXAMPLE_PROGRAM / "lynlake.toml"),
                 "--out", str(folder / "lynlake")]) == 0
    return folder



CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--window-size=1400,900"]


@pytest.fixture
def browser(tmp_path):
    """Headless Debian Chromium driven by Selenium, with the browser console log kept (skips without it)."""
    if not (shutil.which(CHROMIUM) and shutil.which(CHROMEDRIVER)):
        pytest.skip("needs chromium and chromedriver (Debian packages chromium, chromium-driver)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for flag in [*CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}"]:
        opts.add_argument(flag)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def record():
    """An in-memory record (a test module may define its own)."""
    from patrol.dispatch import Record

    rec = Record(":memory:", actor="test")
    yield rec
    rec.close()
