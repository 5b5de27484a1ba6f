"""Min-max k-Chinese-postman solver: ``solve_coverage``.

Method (chosen by benchmark on gdb x k in {2, 3, 5}, full table in ``BENCHMARKS.md``):

1. **Model.**  Each required traversal is a *service*; a walker's route is a sequence of services priced
   by shortest-path deadheading with the best direction of each service (DP, :mod:`.evaluate`).
2. **Start.**  Route-first cluster-second: giant tours (the Chinese-postman Euler tour and randomized
   nearest-neighbour tours) split optimally for min-max (:mod:`.split`), each improved by local search
   (:mod:`.local_search`); the best is kept.
3. **Improve.**  Iterated local search: ruin-and-recreate (related, random or longest-route removals of up
   to 25 % of the services) or a concatenate-and-re-split of the current routes, then local search;
   plateau moves (same longest route) accepted, restart from the best after ``patience`` idle iterations.
4. **Exact-bound check.**  Stop at the time limit, at ``max_iterations``, or as soon as the longest route
   meets the lower bound of :mod:`.bounds` (the answer is then proven optimal; ``method`` ends ``+optimal``).

What was tried (gdb x {2, 3, 5}, 2 s per solve, mean gap to our lower bound; HGS = mean / worst ratio to
HGS-CARP on its 12 reference cases):

=========================================================================  ========  =============
method                                                                     gap       HGS
=========================================================================  ========  =============
OR-Tools routing model (removed), first solution only                      87.6 %    -
OR-Tools routing + guided local search 2 s                                 10.2 %    -
  ... then our local search                                                5.3 %     -
split of giant tours + local search (no ILS, ~0.05 s)                      3.05 %    1.025 / 1.063
**split + local search + ILS (default)**                                   **1.39 %** **1.000 / 1.000**
OR-Tools GLS 1 s as an extra start + split + ILS (2 s in all)              1.47 %    1.002 / 1.013
=========================================================================  ========  =============

At 10 s: mean gap 1.35 %, 50/69 proven optimal, equal to HGS-CARP on all 12 reference cases.  OR-Tools'
global span cost balances poorly, and as an extra start it cost quality at equal time, so the OR-Tools
routing model was removed (git history: ``patrol/routing/ortools_model.py``).  On Uptown (235 services,
k = 8) a 25 % largest ruin beat 5, 10 and 40 %; skipping relocations into the longer route of a pair (they
can be free when the target already walks the block) made results worse.  CP-SAT was not used: no part of
the search needed an exact sub-model at these sizes.

Results are reproducible for a fixed seed when the search stops on the bound or on ``max_iterations``;
when it stops on ``time_limit_s`` the number of iterations done, hence the result, depends on the machine.
The first call in a process compiles the Numba kernels, or loads them from the on-disk cache
(:func:`warm_up`, on a tiny instance) *before* the search's clock starts, so compilation never eats into
``time_limit_s``; ``patrol warmup`` fills the cache ahead of the first real run.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from patrol.errors import InfeasibleError, InputError, SolverError
from patrol.paths import ShortestPaths, all_pairs_shortest_paths, path_edges
from patrol.routing.bounds import odd_matching_cost, problem_bounds
from patrol.routing.construct import euler_giant_tour, nearest_neighbour_tour
from patrol.routing.evaluate import route_orientations
from patrol.routing.local_search import local_search, refresh, ruin_recreate
from patrol.routing.problem import CoverageProblem, make_problem
from patrol.routing.solution import CoverageSolution
from patrol.routing.split import split_tour
from patrol.routing.validate import validate_walks

__all__ = ["SearchOptions", "solve_coverage", "warm_up"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SearchOptions:
    """Tuning knobs of the search (defaults chosen by benchmark).

    Attributes
    ----------
    n_starts : int
        Randomized nearest-neighbour giant tours tried besides the Euler tour.
    ils : bool
        Run the iterated local search after the start (False: start only).
    p_resplit : float
        Probability that an ILS perturbation is a concatenate-and-re-split.
    max_ruin_frac : float
        Largest share of services removed by one ruin.
    patience : int
        Non-improving iterations before the search restarts from the best solution.
    """

    n_starts: int = 8
    ils: bool = True
    p_resplit: float = 0.1
    max_ruin_frac: float = 0.25
    patience: int = 200


class _Search:
    """Mutable search state over services (arrays shared with the numba kernels)."""

    def __init__(self, problem: CoverageProblem, sp: ShortestPaths, svc_edge: np.ndarray):
        self.k = problem.k
        self.depot = problem.depot
        self.dist = sp.dist
        self.svc_edge = svc_edge
        self.su = problem.edge_u[svc_edge].copy()
        self.sv = problem.edge_v[svc_edge].copy()
        self.sl = problem.edge_length[svc_edge].copy()
        self.m = svc_edge.shape[0]
        self.euler_tour: np.ndarray | None = None

    def state_from_split(self, tour: np.ndarray) -> dict[str, np.ndarray]:
        routes, lens = split_tour(tour, self.k, self.su, self.sv, self.sl, self.dist, self.depot)
        return self.make_state(routes, lens)

    def make_state(self, routes: np.ndarray, lens: np.ndarray) -> dict[str, np.ndarray]:
        cap = self.m + 4
        full = np.zeros((self.k, cap), dtype=np.int64)
        full[:, : routes.shape[1]] = routes[:, : min(routes.shape[1], cap)]
        st = {"routes": full, "lens": lens.astype(np.int64).copy(), "costs": np.zeros(self.k),
              "fwd": np.zeros((self.k, cap, 2)), "bwd": np.zeros((self.k, cap, 2))}
        for r in range(self.k):
            refresh(st["routes"], st["lens"], st["costs"], st["fwd"], st["bwd"], r, self.su, self.sv, self.sl,
                    self.dist, self.depot)
        return st

    def improve(self, st: dict[str, np.ndarray]) -> None:
        local_search(st["routes"], st["lens"], st["costs"], st["fwd"], st["bwd"], self.su, self.sv, self.sl,
                     self.dist, self.depot, 1_000_000)

    def giant_tour_of(self, st: dict[str, np.ndarray], rng: np.random.Generator) -> np.ndarray:
        parts = []
        for r in rng.permutation(self.k):
            seq = st["routes"][r, : st["lens"][r]]
            parts.append(seq[::-1] if rng.random() < 0.5 else seq)
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)


def _key(st: dict[str, np.ndarray]) -> tuple[float, float]:
    return float(st["costs"].max()), float(st["costs"].sum())


def _copy(st: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {name: arr.copy() for name, arr in st.items()}


def _service_neighbours(search: _Search) -> np.ndarray:
    d = search.dist
    su, sv = search.su, search.sv
    sd = np.minimum(np.minimum(d[np.ix_(su, su)], d[np.ix_(su, sv)]),
                    np.minimum(d[np.ix_(sv, su)], d[np.ix_(sv, sv)]))
    return np.argsort(sd, axis=1, kind="stable")


def _run_search(search: _Search, lb: float, integral: bool, *, time_limit_s: float, seed: int,
                max_iterations: int | None, options: SearchOptions,
                progress: Callable[[float, float], None] | None, t0: float,
                initial_routes: list[np.ndarray] | None = None) -> tuple[dict[str, np.ndarray], str, int]:
    rng = np.random.default_rng(seed)
    target = lb + (1e-9 if integral else lb * 1e-9)
    deadline = t0 + time_limit_s
    starts: list[tuple[str, dict[str, np.ndarray]]] = []
    if initial_routes is not None:
        lens = np.asarray([len(r) for r in initial_routes], dtype=np.int64)
        routes = np.zeros((search.k, max(search.m, 1)), dtype=np.int64)
        for r, seq in enumerate(initial_routes):
            routes[r, : len(seq)] = seq
        starts.append(("given", search.make_state(routes, lens)))
    if search.euler_tour is not None:
        starts.append(("euler-split", search.state_from_split(search.euler_tour)))
    for i in range(options.n_starts + (1 if search.euler_tour is None else 0)):
        width = 1 if i == 0 else 3
        tour = nearest_neighbour_tour(search.su, search.sv, search.dist, search.depot, width, rng.random(search.m))
        starts.append(("nn-split", search.state_from_split(tour)))
    best = None
    method = ""
    for name, st in starts:
        search.improve(st)
        if best is None or _key(st) < _key(best):
            best, method = st, name
        if _key(best)[0] <= target or time.perf_counter() > deadline:
            break
    if best is None:  # pragma: no cover - at least one start always exists
        raise SolverError("no start solution")
    logger.debug("start %s: max %.3f", method, _key(best)[0])
    iterations = 0
    if not options.ils or _key(best)[0] <= target:
        return best, method, iterations
    method += "+ils"
    neighbours = _service_neighbours(search)
    cur = _copy(best)
    stale = 0
    last_report = time.perf_counter()
    m = search.m
    qmax = max(2, min(m, int(math.ceil(options.max_ruin_frac * m))))
    while True:
        if max_iterations is not None and iterations >= max_iterations:
            break
        now = time.perf_counter()
        if now > deadline:
            break
        if progress is not None and now - last_report > 0.5:
            progress(min(1.0, (now - t0) / time_limit_s) if time_limit_s > 0 else 1.0, _key(best)[0])
            last_report = now
        iterations += 1
        cand = _copy(cur)
        u = rng.random()
        if u < options.p_resplit and search.k > 1:
            tour = search.giant_tour_of(cand, rng)
            cand = search.state_from_split(tour)
        else:
            q = int(rng.integers(1, qmax + 1))
            kind = rng.random()
            if kind < 0.4:
                center = int(rng.integers(m))
                removed = neighbours[center, :q].copy()
            elif kind < 0.7:
                removed = rng.choice(m, size=q, replace=False).astype(np.int64)
            else:
                r = int(np.argmax(cand["costs"]))
                seq = cand["routes"][r, : cand["lens"][r]]
                if seq.size == 0:
                    removed = rng.choice(m, size=q, replace=False).astype(np.int64)
                else:
                    removed = rng.choice(seq, size=min(q, seq.size), replace=False).astype(np.int64)
            rng.shuffle(removed)
            ruin_recreate(cand["routes"], cand["lens"], cand["costs"], cand["fwd"], cand["bwd"], removed,
                          search.su, search.sv, search.sl, search.dist, search.depot)
        search.improve(cand)
        kc, kb, ku = _key(cand), _key(best), _key(cur)
        if kc < kb:
            best = _copy(cand)
            stale = 0
            if kc[0] <= target:
                break
        else:
            stale += 1
        if kc[0] <= ku[0] + 1e-9:
            cur = cand
        if stale >= options.patience:
            cur = _copy(best)
            stale = 0
    return best, method, iterations


def _expand(problem: CoverageProblem, sp: ShortestPaths, search: _Search, st: dict[str, np.ndarray]):
    walks_nodes, walks_edges, serves, serve_steps, lengths = [], [], [], [], []
    for r in range(problem.k):
        seq = st["routes"][r, : st["lens"][r]].copy()
        orient = route_orientations(seq, seq.size, search.su, search.sv, search.sl, search.dist, problem.depot)
        nodes = [problem.depot]
        edges: list[int] = []
        served: list[int] = []
        steps: list[int] = []
        cur = problem.depot
        for s, o in zip(seq.tolist(), orient.tolist(), strict=True):
            a, b = (int(search.su[s]), int(search.sv[s])) if o == 0 else (int(search.sv[s]), int(search.su[s]))
            pn, pe = path_edges(sp, cur, a)
            nodes.extend(pn[1:])
            edges.extend(pe)
            steps.append(len(edges))
            served.append(int(search.svc_edge[s]))
            edges.append(int(search.svc_edge[s]))
            nodes.append(b)
            cur = b
        pn, pe = path_edges(sp, cur, problem.depot)
        nodes.extend(pn[1:])
        edges.extend(pe)
        walks_nodes.append(np.asarray(nodes, dtype=np.int64))
        walks_edges.append(np.asarray(edges, dtype=np.int64))
        serves.append(np.asarray(served, dtype=np.int64))
        serve_steps.append(np.asarray(steps, dtype=np.int64))
        lengths.append(float(problem.edge_length[edges].sum()) if edges else 0.0)
    return walks_nodes, walks_edges, serves, serve_steps, np.asarray(lengths, dtype=np.float64)


_warm = False


def warm_up() -> float:
    """Compile the search's Numba kernels, or load them from the disk cache, on a tiny instance.

    Called by :func:`solve_coverage` before its clock starts (so compilation is never counted in a time
    limit) and by ``patrol warmup``.  Runs once per process.

    Returns
    -------
    float
        Seconds spent (0 after the first call).
    """
    global _warm
    if _warm:
        return 0.0
    _warm = True
    t = time.perf_counter()
    # a 3 x 3 grid of blocks of uneven lengths, every block required, 3 walkers from a corner: no start is
    # optimal, so the iterated local search runs and every kernel is compiled with the argument types of
    # real calls (int64 ids, float64 lengths)
    nodes = np.arange(16).reshape(4, 4)
    u = np.concatenate([nodes[:, :-1].ravel(), nodes[:-1, :].ravel()]).astype(np.int64)
    v = np.concatenate([nodes[:, 1:].ravel(), nodes[1:, :].ravel()]).astype(np.int64)
    length = 100.0 + 37.0 * ((np.arange(u.size) * 7) % 5)
    solve_coverage(16, u, v, length, np.ones(u.size, dtype=np.int64), 3, 0, time_limit_s=60.0, max_iterations=20)
    seconds = time.perf_counter() - t
    logger.debug("routing kernels ready in %.2f s", seconds)
    return seconds


def solve_coverage(n_nodes: int, edge_u, edge_v, edge_length, required_counts, k: int, depot: int, *,
                   max_route_length: float | None = None, time_limit_s: float = 10.0, seed: int = 0,
                   progress: Callable[[float, float], None] | None = None,
                   max_iterations: int | None = None,
                   options: SearchOptions | None = None) -> CoverageSolution:
    """Split the required street blocks among ``k`` walkers, minimizing the longest closed walk.

    Parameters
    ----------
    n_nodes : int
        Nodes are ``0..n_nodes-1``.
    edge_u, edge_v : array-like of int
        Undirected edges as parallel arrays (edge index = position; parallel edges and loops allowed).
    edge_length : array-like of float
        Positive edge lengths.
    required_counts : array-like of int
        Services required per edge (0 = optional, usable for walking between services).
    k : int
        Number of walkers (>= 1); some walks may stay empty (``[depot]``) if that is optimal.
    depot : int
        Start and end node of every walk.
    max_route_length : float, optional
        Longest admissible walk; :class:`~patrol.errors.InfeasibleError` if the lower bound already
        exceeds it, :class:`~patrol.errors.SolverError` if the best walk found does.
    time_limit_s : float
        Wall-clock budget of the search (the start solution is always completed).
    seed : int
        Seed of the search's random generator.
    progress : callable, optional
        Called about twice a second as ``progress(fraction_of_time_used, best_max_route)``.
    max_iterations : int, optional
        Cap on improvement iterations; with it the result does not depend on machine speed.
    options : SearchOptions, optional
        Tuning knobs (benchmarks only).

    Returns
    -------
    CoverageSolution

    Raises
    ------
    InputError
        Malformed arrays, ``k < 1``, depot not in the graph, non-positive lengths.
    InfeasibleError
        Required edges unreachable from the depot, or a lower bound above ``max_route_length``.
    SolverError
        No walk set within ``max_route_length`` found, or an internal inconsistency.
    """
    warm_up()
    t0 = time.perf_counter()
    if not isinstance(time_limit_s, int | float) or not time_limit_s >= 0:
        raise InputError(f"time_limit_s must be >= 0, got {time_limit_s!r}", field="time_limit_s")
    problem = make_problem(n_nodes, edge_u, edge_v, edge_length, required_counts, k, depot)
    sp = all_pairs_shortest_paths(problem.n_nodes, problem.edge_u, problem.edge_v, problem.edge_length)
    matching, pairs = odd_matching_cost(problem, sp.dist)  # once: for the bound and for the Euler tour
    lb, lb_cpp, lb_far = problem_bounds(problem, sp.dist, matching)
    if max_route_length is not None and lb > max_route_length * (1 + 1e-9):
        raise InfeasibleError(
            f"no plan can keep every walk within {max_route_length:g}: the longest walk is at least {lb:g}",
            field="max_route_length", details={"lower_bound": lb})
    svc_edge = problem.service_edges()
    search = _Search(problem, sp, svc_edge)
    opts = options or SearchOptions()
    if search.m == 0:
        st = search.make_state(np.zeros((problem.k, 1), dtype=np.int64), np.zeros(problem.k, dtype=np.int64))
        method, iterations = "empty", 0
    else:
        search.euler_tour = euler_giant_tour(problem, sp, svc_edge, pairs)
        st, method, iterations = _run_search(search, lb, problem.integral, time_limit_s=float(time_limit_s),
                                             seed=seed, max_iterations=max_iterations, options=opts,
                                             progress=progress, t0=t0)
    walks_nodes, walks_edges, serves, serve_steps, lengths = _expand(problem, sp, search, st)
    max_route = float(lengths.max()) if lengths.size else 0.0
    if max_route <= lb * (1 + 1e-9) + 1e-9 and search.m:
        method += "+optimal"
    gap = (max_route - lb) / lb if lb > 0 else 0.0
    problems = validate_walks(problem.n_nodes, problem.edge_u, problem.edge_v, problem.edge_length,
                              problem.required_counts, problem.depot, walks_nodes, walks_edges, serves,
                              serve_steps, lengths, k=problem.k)
    if problems:
        raise SolverError(f"internal error, invalid walks: {problems[0]}", details={"problems": problems[:20]})
    seconds = time.perf_counter() - t0
    logger.info("k=%d services=%d max_route=%.3f lb=%.3f gap=%.2f%% iterations=%d %.2fs (%s)", problem.k,
                search.m, max_route, lb, 100 * gap, iterations, seconds, method)
    if progress is not None:
        progress(1.0, max_route)
    if max_route_length is not None and max_route > max_route_length * (1 + 1e-9):
        raise SolverError(
            f"best plan found has a walk of {max_route:g}, above the limit {max_route_length:g} "
            f"(lower bound {lb:g}); allow more time, more walkers or a longer limit",
            field="max_route_length", details={"max_route": max_route, "lower_bound": lb})
    return CoverageSolution(walks_nodes=walks_nodes, walks_edges=walks_edges, serves=serves,
                            serve_steps=serve_steps, lengths=lengths, max_route=max_route, lower_bound=lb,
                            lb_cpp=lb_cpp, lb_farthest=lb_far, gap=gap, seconds=seconds, method=method)
