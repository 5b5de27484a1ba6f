"""``patrol warmup`` (run once by ``make run``): every Numba kernel of the package is compiled (or loaded from the
disk cache) by it, in a fresh process, so the first plan, dispatch or scenario starts warm."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_after_the_warmup_a_plan_and_a_dispatch_compile_nothing_more():
    """In a fresh process: the warm-up gives the kernels their compiled code; a day plan, a ranking and a coverage
    scenario after it add no compiled signature (the first real work starts warm)."""
    code = """
import json
from patrol.warmup import warm_up, compiled_kernels
before = compiled_kernels()
seconds = warm_up()
warm = compiled_kernels()
from patrol.district import load_district
from patrol.dispatch import Desk
from patrol.planning import plan_day
from patrol.coverage.scenario import run_scenario, load_scenario
d = load_district()
plan = plan_day(d, "tue", seed=0)
Desk(d).rank("Lake & Hennepin")
run_scenario(load_scenario("data/scenarios/uptown-8.toml"), seeds=1)
print(json.dumps([before, warm, compiled_kernels(), seconds]))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=900, check=True,
                         cwd=ROOT)
    before, warm, after, seconds = json.loads(out.stdout.strip().splitlines()[-1])
    assert len(warm) >= 10 and not any(before.values())  # nothing compiled at import
    assert sum(warm.values()) > 0
    assert {k: n for k, n in after.items() if n != warm[k]} == {}  # nothing compiled by the real work
    assert set(seconds) == {"routing", "paths", "coverage"}


def test_the_warmup_command_reports_what_it_did(capsys):
    from patrol.cli import main

    assert main(["warmup", "--json"]) == 0
    assert set(json.loads(capsys.readouterr().out)) == {"routing", "paths", "coverage"}
