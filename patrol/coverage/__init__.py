"""Coverage scoring and planners' scenarios.

Presence from timed walks, the response-time field, Monte Carlo days of dispatched incidents, deployment
strategies (planned routes, fixed posts, random walk on the corridor), scenario files (with special events and
cameras: :mod:`patrol.coverage.events`), sweeps on Dask and comparison outputs.  The hot loops are Numba kernels
(:mod:`patrol.coverage.kernels`) with plain NumPy twins (:mod:`patrol.coverage.reference`).

Reusable entry points
---------------------
* :func:`visible_hours` -- hours of visible presence from any :class:`~patrol.timeline.Timeline`;
* :func:`timeline_from_pings` -- recorded GPS pings -> Timeline;
* :func:`sample_timeline`, :func:`presence_counts`, :func:`score_presence` -- presence per block and minute;
* :func:`response_minutes`, :func:`score_response` -- the response-time field;
* :func:`load_scenario`, :func:`run_scenario`, :func:`run_sweep`, :func:`write_comparison`.
"""

from patrol.coverage.compare import comparison_rows, write_comparison
from patrol.coverage.montecarlo import IncidentModel, simulate_day
from patrol.coverage.presence import (
    Positions,
    PresenceScore,
    block_neighbourhoods,
    hotspot_compliance,
    presence_counts,
    sample_timeline,
    score_presence,
    visible_hours,
    walker_size,
)
from patrol.coverage.response import ResponseScore, response_minutes, score_response
from patrol.coverage.scenario import (
    Scenario,
    ScenarioData,
    ScenarioResult,
    SeedResult,
    aggregate,
    day_timeline,
    load_scenario,
    run_scenario,
    run_seed,
    scenario_data,
    scenario_district,
    scenario_from_dict,
)
from patrol.coverage.strategies import STRATEGIES, StrategyOptions, build_timeline, choose_posts
from patrol.coverage.sweep import connect, expand_grid, load_grid, run_serial, run_sweep, sweep_data
from patrol.coverage.tracks import timeline_from_pings
from patrol.coverage.weights import block_weights, hotspots, top_blocks

__all__ = [
    "IncidentModel",
    "Positions",
    "PresenceScore",
    "ResponseScore",
    "STRATEGIES",
    "Scenario",
    "ScenarioData",
    "ScenarioResult",
    "SeedResult",
    "StrategyOptions",
    "aggregate",
    "block_neighbourhoods",
    "block_weights",
    "build_timeline",
    "choose_posts",
    "comparison_rows",
    "connect",
    "day_timeline",
    "expand_grid",
    "hotspot_compliance",
    "hotspots",
    "load_grid",
    "load_scenario",
    "presence_counts",
    "response_minutes",
    "run_scenario",
    "run_seed",
    "run_serial",
    "run_sweep",
    "sample_timeline",
    "scenario_data",
    "scenario_district",
    "scenario_from_dict",
    "score_presence",
    "score_response",
    "simulate_day",
    "sweep_data",
    "timeline_from_pings",
    "top_blocks",
    "visible_hours",
    "walker_size",
    "write_comparison",
]
