"""Planners' scenarios: a TOML file of what changes, run over seeds (Monte Carlo days) and scored.

A scenario file has tables of its own, ``[scenario]``, ``[strategy]``, ``[incidents]``, ``[[events]]``
(special events: what they cost in coverage) and ``[cameras]`` (camera-watched blocks, see
:mod:`patrol.coverage.events`), plus any table of ``district.toml`` (``[roster]``, ``[shift]``, ``[area]``,
``[corridor]``, ``[speeds]``, ``[breaks]``, ``[targets]``, ...) overriding the district's settings.  Missing
keys take the district's defaults; unknown tables or keys are refused with a
:class:`~patrol.errors.ConfigError` naming them.  Every key is documented in ``docs/scenario-format.md``.

>>> scn = scenario_from_dict({"scenario": {"name": "six"}, "roster": {"size": 6}, "strategy": {"kind": "posts"}})
>>> scn.settings().roster.size, scn.strategy.name
(6, 'posts')
"""

from __future__ import annotations

import dataclasses
import json
import logging
import math
from collections import OrderedDict
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from patrol.cameras import cameras_path, load_cameras, watched_blocks
from patrol.coverage.events import (
    CameraOptions,
    ScenarioEvent,
    event_extra_weights,
    event_presence_share,
    with_events,
)
from patrol.coverage.montecarlo import BUSY_MIN, IncidentModel, bootstrap_ci, simulate_day
from patrol.coverage.presence import (
    BlockNeighbourhoods,
    block_neighbourhoods,
    hotspot_compliance,
    presence_counts,
    sample_timeline,
)
from patrol.coverage.presence import score_presence as _score_presence
from patrol.coverage.response import response_minutes, score_response
from patrol.coverage.strategies import STRATEGIES, StrategyOptions, build_timeline, unit_names
from patrol.coverage.weights import block_weights, hotspots
from patrol.district import District, default_district_path, load_district
from patrol.errors import ConfigError, InputError
from patrol.events import PRESENCE_MODES, Presence
from patrol.history import IncidentHistory, load_incident_history
from patrol.paths import ShortestPaths, all_pairs, node_distances
from patrol.settings import DAYS, Settings, load_settings, parse_hhmm, read_toml, settings_from_dict
from patrol.timeline import Timeline
from patrol.vocab import DISPATCHABLE_TYPES

__all__ = [
    "Scenario",
    "APSP_MAX_NODES",
    "ScenarioData",
    "ScenarioResult",
    "SeedResult",
    "aggregate",
    "day_timeline",
    "load_scenario",
    "run_scenario",
    "run_seed",
    "run_seeds",
    "scenario_data",
    "scenario_district",
    "scenario_from_dict",
]

log = logging.getLogger(__name__)

OWN_TABLES = ("scenario", "strategy", "incidents", "events", "cameras")
SCENARIO_KEYS = ("name", "description", "district", "day", "seeds", "seed", "visibility_m", "revisit_window_min",
                 "step_min")
STRATEGY_KEYS = ("kind", "posts", "post_radius_min", "time_limit_s", "plan_seed")
INCIDENT_KEYS = ("per_shift", "hourly_profile", "type_weights", "busy_min", "history")
EVENT_KEYS = ("name", "place", "blocks", "radius_m", "start", "end", "crowd", "demand", "ambassadors", "presence",
              "before_min", "after_min", "info")
CAMERA_KEYS = ("file", "watched", "lean")


@dataclass(frozen=True)
class Scenario:
    """A validated scenario (see :func:`scenario_from_dict` and docs/scenario-format.md)."""

    name: str
    description: str = ""
    district: str | None = None
    overrides: dict[str, Any] = field(default_factory=dict)
    strategy: StrategyOptions = field(default_factory=StrategyOptions)
    incidents: IncidentModel = field(default_factory=IncidentModel)
    seeds: int = 20
    seed: int = 0
    visibility_m: float = 30.0
    revisit_window_min: float | None = None
    step_min: float = 1.0
    path: str | None = None
    events: tuple[ScenarioEvent, ...] = ()
    cameras: CameraOptions | None = None

    def base_settings(self) -> Settings:
        """The district's own settings (its ``district.toml``)."""
        return _base_settings(self.district)

    def settings(self) -> Settings:
        """District settings with this scenario's overrides."""
        return settings_from_dict(self.overrides, base=self.base_settings())

    @property
    def window_min(self) -> float:
        return float(self.revisit_window_min or self.settings().targets.corridor_revisit_min)

    def replace_settings(self, **tables: Any) -> Scenario:
        """A copy with district-table values replaced: ``replace_settings(roster={"size": 6})``."""
        merged = {k: dict(v) for k, v in self.overrides.items()}
        for t, values in tables.items():
            merged.setdefault(t, {}).update(values)
        settings_from_dict(merged, base=self.base_settings())
        return dataclasses.replace(self, overrides=merged)


@lru_cache(maxsize=8)
def _base_settings(district: str | None) -> Settings:
    folder = Path(district) if district else default_district_path()
    if folder.is_file():
        folder = folder.parent
    return load_settings(folder / "district.toml")


# ------------------------------------------------------------------------------------------ parsing
def _num(table: dict, name: str, key: str, default, *, kind=float, lo=None, hi=None, integer=False):
    where = f"{name}.{key}"
    if key not in table:
        return default
    v = table[key]
    if isinstance(v, bool) or not isinstance(v, int | float) or (integer and not isinstance(v, int)):
        raise ConfigError(f"{where} must be {'an integer' if integer else 'a number'}, got {v!r}", field=where)
    if not math.isfinite(v) or (lo is not None and v < lo) or (hi is not None and v > hi):
        rng = f"between {lo} and {hi}" if lo is not None and hi is not None else (
            f"at least {lo}" if lo is not None else f"at most {hi}")
        raise ConfigError(f"{where} = {v!r} is out of range: must be {rng}", field=where)
    return kind(v)


def _text(table: dict, name: str, key: str, default):
    where = f"{name}.{key}"
    if key not in table:
        return default
    if not isinstance(table[key], str):
        raise ConfigError(f"{where} must be a text, got {table[key]!r}", field=where)
    return table[key]


def _check_keys(table: Any, name: str, known: tuple[str, ...]) -> dict:
    if not isinstance(table, dict):
        raise ConfigError(f"[{name}] must be a table", field=name)
    for key in table:
        if key not in known:
            raise ConfigError(f"unknown key {name}.{key}; known in [{name}]: {', '.join(known)}", field=f"{name}.{key}")
    return table


def _type_table(table: dict, where: str, *, positive: bool) -> dict[str, float]:
    if not isinstance(table, dict):
        raise ConfigError(f"{where} must be a table of incident type = number", field=where)
    out = {}
    for k, v in table.items():
        if k not in DISPATCHABLE_TYPES:
            raise ConfigError(f"{where}: {k!r} is not a dispatchable incident type; use one of "
                              f"{', '.join(DISPATCHABLE_TYPES)}", field=f"{where}.{k}")
        if isinstance(v, bool) or not isinstance(v, int | float) or v < 0 or (positive and v <= 0):
            raise ConfigError(f"{where}.{k} must be a {'positive' if positive else 'non-negative'} number, "
                              f"got {v!r}", field=f"{where}.{k}")
        out[k] = float(v)
    return out


def _events(tables: Any, units: int) -> tuple[ScenarioEvent, ...]:
    """The ``[[events]]`` tables, checked (places are resolved on the district when the scenario runs)."""
    if not isinstance(tables, list):
        raise ConfigError("events must be [[events]] tables", field="events")
    out = []
    for i, raw in enumerate(tables, start=1):
        where = f"events[{i}]"
        t = _check_keys(raw, where, EVENT_KEYS)
        name = _text(t, where, "name", f"event {i}").strip() or f"event {i}"
        start, end = (_text(t, where, k, None) for k in ("start", "end"))
        if start is None or end is None:
            raise ConfigError(f"{where}: give start and end (HH:MM on the scenario's day)",
                              field=f"{where}.{'start' if start is None else 'end'}")
        t0, t1 = parse_hhmm(start, field_name=f"{where}.start"), parse_hhmm(end, field_name=f"{where}.end")
        if t1 <= t0:
            raise ConfigError(f"{where}.end ({end}) must be after its start ({start})", field=f"{where}.end")
        place = _text(t, where, "place", None)
        blocks = t.get("blocks", [])
        if not isinstance(blocks, list) or any(isinstance(b, bool) or not isinstance(b, int) for b in blocks):
            raise ConfigError(f"{where}.blocks must be a list of block ids", field=f"{where}.blocks")
        if (place is None) == (not blocks):
            raise ConfigError(f"{where}: give its place or its blocks, one of the two", field=f"{where}.place")
        mode = _text(t, where, "presence", "dwell").strip().lower()
        if mode not in PRESENCE_MODES:
            raise ConfigError(f"{where}.presence: {mode!r} is not one of {', '.join(PRESENCE_MODES)}",
                              field=f"{where}.presence")
        crowd = _num(t, where, "crowd", None, kind=int, lo=0, integer=True)
        want = Presence(_num(t, where, "ambassadors", 1, kind=int, lo=0, hi=units, integer=True) or 0, mode,
                        _num(t, where, "before_min", 0.0, lo=0, hi=240), _num(t, where, "after_min", 0.0, lo=0, hi=240))
        _text(t, where, "info", "")
        out.append(ScenarioEvent(name, float(t0), float(t1), place, tuple(int(b) for b in blocks),
                                 _num(t, where, "radius_m", 0.0, lo=0, hi=2000), crowd,
                                 _num(t, where, "demand", 0.25, lo=0, hi=100), want))
    names = [e.name for e in out]
    if len(set(names)) != len(names):
        raise ConfigError("events: names must differ", field="events.name")
    return tuple(out)


def _cameras(table: Any, base_dir: Path) -> CameraOptions:
    t = _check_keys(table, "cameras", CAMERA_KEYS)
    file = _text(t, "cameras", "file", None)
    if file:
        fp = (base_dir / file).resolve()
        if not fp.is_file():
            raise ConfigError(f"cameras.file: file not found: {fp}", field="cameras.file")
        file = str(fp)
    watched = t.get("watched", False)
    if not isinstance(watched, bool):
        raise ConfigError(f"cameras.watched must be true or false, got {watched!r}", field="cameras.watched")
    return CameraOptions(file, watched, _num(t, "cameras", "lean", 0.0, lo=0, hi=1))


def scenario_from_dict(data: dict[str, Any], *, name: str = "scenario", base_dir: str | Path | None = None,
                       path: str | None = None) -> Scenario:
    """Build a validated :class:`Scenario` from parsed TOML.

    Parameters
    ----------
    data : dict
        The file's tables.
    name : str
        Name used when ``scenario.name`` is missing (the file stem).
    base_dir : path, optional
        Folder that relative paths (``scenario.district``, ``incidents.history``) are relative to.

    Raises
    ------
    ConfigError
        Naming the unknown table or key, or the key with a bad value and why.
    """
    if not isinstance(data, dict):
        raise ConfigError("a scenario must be a TOML document of tables")
    base_dir = Path(base_dir) if base_dir is not None else Path.cwd()
    sc = _check_keys(data.get("scenario", {}), "scenario", SCENARIO_KEYS)
    stt = _check_keys(data.get("strategy", {}), "strategy", STRATEGY_KEYS)
    inc = _check_keys(data.get("incidents", {}), "incidents", INCIDENT_KEYS)

    district = _text(sc, "scenario", "district", None)
    if district:
        folder = (base_dir / district).resolve()
        if not ((folder / "district.toml").is_file() or (folder.is_file() and folder.suffix == ".toml")):
            raise ConfigError(f"scenario.district: no district.toml in {folder}", field="scenario.district")
        district = str(folder)
    overrides = {k: v for k, v in data.items() if k not in OWN_TABLES}
    try:
        settings = settings_from_dict(overrides, base=_base_settings(district))
    except ConfigError as exc:
        raise ConfigError(exc.message, field=exc.field, details=exc.details) from exc

    day = _text(sc, "scenario", "day", settings.shift.days[0]).strip().lower()
    if day not in DAYS:
        raise ConfigError(f"scenario.day: {day!r} is not one of {', '.join(DAYS)}", field="scenario.day")

    kind = _text(stt, "strategy", "kind", "planned")
    if kind not in STRATEGIES:
        raise ConfigError(f"strategy.kind: {kind!r} is not one of {', '.join(STRATEGIES)}", field="strategy.kind")
    units = len(unit_names(settings))
    posts = _num(stt, "strategy", "posts", 0, kind=int, lo=0, hi=units, integer=True)
    plan_seed = _num(stt, "strategy", "plan_seed", 0, kind=int, lo=0, integer=True)
    strategy = StrategyOptions(
        name=kind, posts=posts,
        post_radius_min=_num(stt, "strategy", "post_radius_min", 5.0, lo=0.5, hi=60),
        time_limit_s=_num(stt, "strategy", "time_limit_s", None, lo=0.1, hi=3600),
        plan_seed=plan_seed, day=day,
    )

    profile = inc.get("hourly_profile", None)
    if profile is None:
        profile = IncidentModel().hourly_profile
    elif (not isinstance(profile, list) or len(profile) != 24
          or any(isinstance(v, bool) or not isinstance(v, int | float) or v < 0 for v in profile)
          or sum(profile) <= 0):
        raise ConfigError("incidents.hourly_profile must be a list of 24 non-negative numbers (hours 0-23), "
                          "not all zero", field="incidents.hourly_profile")
    type_weights = IncidentModel().type_weights
    if "type_weights" in inc:
        type_weights = _type_table(inc["type_weights"], "incidents.type_weights", positive=False)
        if sum(type_weights.values()) <= 0:
            raise ConfigError("incidents.type_weights: at least one weight must be positive",
                              field="incidents.type_weights")
    busy = dict(BUSY_MIN)
    if "busy_min" in inc:
        busy.update(_type_table(inc["busy_min"], "incidents.busy_min", positive=True))
    history = _text(inc, "incidents", "history", None)
    if history:
        hp = (base_dir / history).resolve()
        if not hp.is_file():
            raise ConfigError(f"incidents.history: file not found: {hp}", field="incidents.history")
        history = str(hp)
    model = IncidentModel(per_shift=_num(inc, "incidents", "per_shift", IncidentModel().per_shift, lo=0, hi=1000),
                          hourly_profile=tuple(float(v) for v in profile), type_weights=type_weights,
                          busy_min=busy, history=history)
    window = sc.get("revisit_window_min")
    events = _events(data.get("events", []), units)
    cameras = _cameras(data["cameras"], base_dir) if "cameras" in data else None
    return Scenario(
        name=_text(sc, "scenario", "name", name),
        description=_text(sc, "scenario", "description", ""),
        district=district,
        overrides=overrides,
        strategy=strategy,
        incidents=model,
        seeds=_num(sc, "scenario", "seeds", 20, kind=int, lo=1, hi=100000, integer=True),
        seed=_num(sc, "scenario", "seed", 0, kind=int, lo=0, integer=True),
        visibility_m=_num(sc, "scenario", "visibility_m", 30.0, lo=0, hi=2000),
        revisit_window_min=(None if window is None
                            else _num(sc, "scenario", "revisit_window_min", None, lo=1, hi=24 * 60)),
        step_min=_num(sc, "scenario", "step_min", 1.0, lo=0.25, hi=15),
        path=path,
        events=events,
        cameras=cameras,
    )


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario TOML file.

    Raises
    ------
    ConfigError
        When the file is missing or not TOML, or has an unknown key or a bad value (the message starts
        with the file name and names the key).
    """
    path = Path(path)
    data = read_toml(path, what="scenario", field="scenario")
    try:
        return scenario_from_dict(data, name=path.stem, base_dir=path.parent, path=str(path))
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc.message}", field=exc.field, details=exc.details) from exc


# ------------------------------------------------------------------------------------------ running
#: Below this many nodes the response field uses all-pairs distances (at most 72 MB; ~10x faster per step);
#: above it, one bounded-memory search per step (a whole city's 7,700 nodes would need 0.5 GB of all-pairs).
APSP_MAX_NODES = 3000


@dataclass(frozen=True)
class ScenarioData:
    """What a scenario reads from files, read once: its base district and its incident history.

    A Dask sweep builds it in the client (:func:`scenario_data`) and scatters it to the workers, which never
    open the client's files.  A district pickles as data (its derived lookups are rebuilt where used).
    """

    district: District
    history: IncidentHistory | None = None


@lru_cache(maxsize=4)
def _load_data(district: str | None, history: str | None) -> ScenarioData:
    return ScenarioData(load_district(district), load_incident_history(history) if history else None)


def scenario_data(scn: Scenario) -> ScenarioData:
    """The scenario's base district and history, loaded once per process.

    Raises
    ------
    PatrolError
        When the district or the history file cannot be read.
    """
    return _load_data(scn.district, scn.incidents.history)


@dataclass
class _Context:
    """What does not change between a scenario's seeds (built once per process).

    ``deploy_weights`` are the weights deployment and hot spots use (``weights`` leaned away from camera-watched
    blocks, :mod:`patrol.coverage.events`); ``watched`` the camera-watched blocks; ``events`` the scenario's events
    resolved on the district, with ``paths`` to walk to them.
    """

    district: District
    weights: np.ndarray
    node_dist: np.ndarray | None
    nbhd: BlockNeighbourhoods
    hotspots: np.ndarray
    window_min: float
    timelines: dict[str, Timeline] = field(default_factory=dict)
    deploy_weights: np.ndarray | None = None
    watched: np.ndarray | None = None
    events: tuple[ScenarioEvent, ...] = ()
    paths: ShortestPaths | None = None


_CACHE: OrderedDict[str, _Context] = OrderedDict()


def _context(scn: Scenario, data: ScenarioData | None = None) -> _Context:
    """Per-process cache of the district with the scenario's settings, weights, neighbourhoods, ..."""
    key = json.dumps({"d": scn.district, "o": scn.overrides, "v": scn.visibility_m, "w": scn.revisit_window_min,
                      "h": scn.incidents.history, "e": [asdict(e) for e in scn.events],
                      "c": None if scn.cameras is None else asdict(scn.cameras)}, sort_keys=True, default=str)
    ctx = _CACHE.get(key)
    if ctx is None:
        data = data if data is not None else scenario_data(scn)
        settings = settings_from_dict(scn.overrides, base=data.district.settings)
        district = data.district.with_settings(settings)
        arrays = district.arrays
        weights = block_weights(district, history=data.history)
        if weights.sum() <= 0:
            raise ConfigError("the scenario's area holds no street block with demand", field="area")
        watched = None
        deploy = weights
        if scn.cameras is not None:
            try:
                registry = load_cameras(scn.cameras.file or cameras_path(district), n_blocks=arrays.n_edges)
            except InputError as exc:
                raise ConfigError(f"cameras: {exc.message}", field="cameras.file") from exc
            watched = watched_blocks(district, registry.cameras)
            deploy = weights * (1.0 - scn.cameras.lean * watched)
        if scn.events and arrays.n_nodes > APSP_MAX_NODES:
            raise ConfigError(f"events in scenarios need a district of at most {APSP_MAX_NODES} street nodes "
                              f"(this one has {arrays.n_nodes}): narrow the area", field="events")
        ctx = _Context(district, weights, node_distances(arrays) if arrays.n_nodes <= APSP_MAX_NODES else None,
                       block_neighbourhoods(arrays, scn.visibility_m),
                       hotspots(district, deploy, settings.targets.hotspot_count),
                       float(scn.revisit_window_min or settings.targets.corridor_revisit_min),
                       deploy_weights=deploy, watched=watched,
                       events=tuple(e.resolve(district) for e in scn.events),
                       paths=all_pairs(arrays) if scn.events else None)
        _CACHE[key] = ctx
        while len(_CACHE) > 6:
            _CACHE.popitem(last=False)
    return ctx


def scenario_district(scn: Scenario, data: ScenarioData | None = None) -> District:
    """The district with the scenario's settings (cached per process)."""
    return _context(scn, data).district


@dataclass
class SeedResult:
    """Scores of one Monte Carlo day (one seed) of a scenario."""

    seed: int
    scalars: dict[str, float]
    coverage_by_step: np.ndarray
    reach5_by_step: np.ndarray
    block_recent_share: np.ndarray
    block_response_min: np.ndarray
    corridor_gaps_min: np.ndarray
    incident_response_min: np.ndarray
    incident_walker: np.ndarray
    incident_types: list[str]


def _seeds(scn: Scenario, seed: int) -> tuple[int, np.random.SeedSequence]:
    ss_strategy, ss_incidents = np.random.SeedSequence([int(scn.seed), int(seed)]).spawn(2)
    return int(ss_strategy.generate_state(1)[0]), ss_incidents


def day_timeline(scn: Scenario, seed: int, data: ScenarioData | None = None) -> Timeline:
    """The strategy's timeline for Monte Carlo day ``seed``.

    Random walks depend on the day's seed; fixed posts and planned routes (with a fixed
    ``strategy.plan_seed``) do not and are built once per process, then reused.  ``data`` is the scenario's
    district and history (default: loaded from the scenario's files).
    """
    ctx = _context(scn, data)
    strategy_seed, _ = _seeds(scn, seed)
    random_strategy = scn.strategy.name == "random_walk"
    tkey = json.dumps([asdict(scn.strategy), strategy_seed if random_strategy else None])
    timeline = ctx.timelines.get(tkey)
    if timeline is None:
        timeline = build_timeline(ctx.district, scn.strategy, strategy_seed,
                                  ctx.weights if ctx.deploy_weights is None else ctx.deploy_weights)
        if not random_strategy:
            ctx.timelines[tkey] = timeline
    return timeline


def run_seed(scn: Scenario, seed: int, timeline: Timeline | None = None,
             data: ScenarioData | None = None) -> SeedResult:
    """Score one Monte Carlo day: the strategy's timeline, presence, response field and incidents.

    The day's randomness comes from ``SeedSequence([scenario.seed, seed])``: one child seeds the
    strategy (random walks), the other the incidents.

    Parameters
    ----------
    scn : Scenario
    seed : int
        Day index.
    timeline : Timeline, optional
        Use this timeline instead of building the strategy's (:func:`day_timeline`); sweeps pass the
        daily plan made once (on a worker), so that every seed scores the same plan.
    data : ScenarioData, optional
        The scenario's district and history (default: loaded from its files); sweeps pass what the
        client scattered.
    """
    ctx = _context(scn, data)
    district = ctx.district
    arrays = district.arrays
    st = district.settings
    _, ss_incidents = _seeds(scn, seed)
    if timeline is None:
        timeline = day_timeline(scn, seed, data)
    s0, s1 = float(st.shift.start_min), float(st.shift.end_min)
    events = ctx.events
    if events and ctx.paths is not None:
        timeline, _ = with_events(timeline, district, events, ctx.paths, shift=(s0, s1))
    pos = sample_timeline(timeline, s0, s1, scn.step_min)
    counts = presence_counts(pos, arrays, ctx.nbhd)
    if scn.cameras is not None and scn.cameras.watched and ctx.watched is not None:
        counts = counts.copy()
        counts[:, ctx.watched] += 1  # a watched block has presence at every minute
    ps = _score_presence(counts, pos, arrays, window_min=ctx.window_min, weights=ctx.weights,
                         extra_weights=event_extra_weights(arrays, events, pos.times, ctx.weights))
    rs = score_response(response_minutes(pos, arrays, st.speeds.response_m_s, node_dist=ctx.node_dist), arrays)
    hs = hotspot_compliance(timeline, ctx.hotspots, dwell_min=st.targets.hotspot_dwell_min,
                            revisit_min=st.targets.hotspot_revisit_min, start_min=s0, end_min=s1, arrays=arrays,
                            neighbourhoods=ctx.nbhd)
    day = simulate_day(pos, arrays, ctx.weights, scn.incidents, st.speeds.response_m_s,
                       np.random.default_rng(ss_incidents))
    scalars = {**ps.summary(), **rs.summary(), "hotspot_compliance": hs["share_compliant"],
               "incidents": float(day.response_min.size),
               "unanswered": float(np.isnan(day.response_min).sum())}
    scalars.pop("window_min", None)
    if events:
        scalars["event_presence_share"] = event_presence_share(pos, events)
    return SeedResult(
        seed=int(seed), scalars=scalars, coverage_by_step=ps.coverage_by_step,
        reach5_by_step=rs.share_within_by_step["5"],
        block_recent_share=ps.block_recent_share, block_response_min=rs.block_mean_min,
        corridor_gaps_min=ps.corridor_gaps_min, incident_response_min=day.response_min,
        incident_walker=day.walker, incident_types=day.types,
    )


def run_seeds(scn: Scenario, seeds: list[int], timeline: Timeline | None = None,
              data: ScenarioData | None = None) -> list[SeedResult]:
    """:func:`run_seed` for several days of one scenario (a sweep task)."""
    return [run_seed(scn, s, timeline, data) for s in seeds]


@dataclass
class ScenarioResult:
    """A scenario's scores over its seeds (see :func:`aggregate`)."""

    scenario: Scenario
    summary: dict[str, Any]
    seeds: list[SeedResult]
    start_min: float
    step_min: float

    def response_times(self) -> np.ndarray:
        """Every answered incident's response time (minutes), pooled over seeds."""
        r = np.concatenate([s.incident_response_min for s in self.seeds]) if self.seeds else np.zeros(0)
        return r[np.isfinite(r)]

    def to_dict(self) -> dict[str, Any]:
        """Name, path, number of seeds and the summary (non-finite numbers as ``None``), for JSON."""
        return {"scenario": self.scenario.name, "path": self.scenario.path, "seeds": len(self.seeds),
                "summary": _finite(self.summary)}


def _finite(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_finite(v) for v in obj]
    if isinstance(obj, float | np.floating) and not math.isfinite(obj):
        return None
    return obj


def _mean_ci(values: np.ndarray) -> tuple[float, float, float]:
    v = np.asarray(values, float)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return float("nan"), float("nan"), float("nan")
    m = float(v.mean())
    if v.size < 2:
        return m, float("nan"), float("nan")
    half = 1.96 * float(v.std(ddof=1)) / math.sqrt(v.size)
    return m, m - half, m + half


def aggregate(scn: Scenario, results: list[SeedResult], settings: Settings | None = None) -> ScenarioResult:
    """Combine seed results (sorted by seed) into a scenario summary.

    Presence and field measures: mean over seeds with a normal 95 % interval.  Incident response
    times: pooled over seeds (mean, median, p90, share under 5 minutes), with 95 % percentile bootstrap
    intervals resampling seeds (fixed bootstrap seed, so the same seed results give the same numbers).
    """
    results = sorted(results, key=lambda r: r.seed)
    st = settings if settings is not None else scn.settings()
    names = unit_names(st)
    summary: dict[str, Any] = {
        "scenario": scn.name,
        "strategy": scn.strategy.name,
        "ambassadors": st.roster.size,
        "units": len(names),
        "pairs": st.roster.pairs,
        "hours": f"{st.shift.start}-{st.shift.end}",
        "days": ",".join(st.shift.days),
        "seeds": len(results),
        "visibility_m": scn.visibility_m,
        "revisit_window_min": float(scn.revisit_window_min or st.targets.corridor_revisit_min),
    }
    if scn.events:
        summary["events"] = ", ".join(e.name for e in scn.events)
    if scn.cameras is not None:
        watched = _context(scn).watched
        summary["camera_watched_blocks"] = int(watched.sum()) if watched is not None else 0
        summary["cameras_count_as_presence"] = scn.cameras.watched
        summary["camera_lean"] = scn.cameras.lean
    keys = list(results[0].scalars) if results else []
    for k in keys:
        if k in ("incidents", "unanswered"):
            summary[k] = float(sum(r.scalars[k] for r in results))
            continue
        m, lo, hi = _mean_ci(np.array([r.scalars[k] for r in results]))
        summary[k] = m
        summary[f"{k}_ci"] = [lo, hi]
    per_seed = [r.incident_response_min[np.isfinite(r.incident_response_min)] for r in results]
    stats = {"response_mean_min": np.mean, "response_median_min": np.median,
             "response_p90_min": lambda x: np.quantile(x, 0.9),
             "response_share_under_5": lambda x: float(np.mean(x <= 5.0))}
    for k, fn in stats.items():
        est, lo, hi = bootstrap_ci(per_seed, fn, seed=scn.seed)
        summary[k] = est
        summary[f"{k}_ci"] = [lo, hi]
    answered = summary.get("incidents", 0.0) - summary.get("unanswered", 0.0)
    shifts = max(1, len(results))
    summary["incidents_per_fte_shift"] = answered / shifts / st.roster.size
    per_unit = {}
    for i, n in enumerate(names):
        vals = np.concatenate([r.incident_response_min[r.incident_walker == i] for r in results]) if results else []
        per_unit[n] = {"incidents": int(len(vals)), "response_mean_min": float(np.mean(vals)) if len(vals) else None}
    summary["per_unit"] = per_unit
    unit_means = [u["response_mean_min"] for u in per_unit.values() if u["response_mean_min"] is not None]
    # the program's "average response time per FTE": the mean over ambassadors (units) of their own means
    summary["response_mean_per_fte_min"] = float(np.mean(unit_means)) if unit_means else float("nan")
    return ScenarioResult(scn, summary, results, float(st.shift.start_min), float(scn.step_min))


def run_scenario(scn: Scenario, seeds: int | None = None, *, progress: bool = False) -> ScenarioResult:
    """Run a scenario serially over seeds ``0 .. seeds-1`` (default ``scenario.seeds``).

    Raises
    ------
    PatrolError
        From the district, the strategy or the plan (e.g. ConfigError for an empty area).
    """
    n = int(seeds or scn.seeds)
    it = range(n)
    if progress:
        from tqdm import tqdm

        it = tqdm(it, desc=scn.name, unit="day", leave=False, disable=None)
    results = []
    for s in it:
        results.append(run_seed(scn, s))
    return aggregate(scn, results)
