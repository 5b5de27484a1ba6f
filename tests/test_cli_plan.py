"""The plan CLI's default seed: reproducible for one date, different from day to day."""

import argparse

from patrol.cli.plan import _seed


def _args(seed=None, date=None):
    return argparse.Namespace(seed=seed, date=date)


def test_default_seed_varies_by_day_and_date_and_is_reproducible():
    assert _seed(_args(), "tue") != _seed(_args(), "wed")
    assert _seed(_args(date="2026-12-01"), "tue") != _seed(_args(date="2026-12-08"), "tue")
    assert _seed(_args(date="2026-12-01"), "tue") == _seed(_args(date="2026-12-01"), "tue")
    assert _seed(_args(seed=7, date="2026-12-01"), "tue") == 7
