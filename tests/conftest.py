"""Shared fixtures: the embedded district (loaded once) and the path to ../shared."""

from __future__ import annotations

from pathlib import Path

import pytest

from patrol.district import District, load_district

SHARED = Path(__file__).resolve().parents[1] / ".." / "shared"


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
