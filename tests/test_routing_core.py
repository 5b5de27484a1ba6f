"""Tests of the street-coverage routing core (min-max k-Chinese-postman) in ``patrol.routing``."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from patrol.errors import InfeasibleError, InputError, SolverError
from patrol.routing import (
    CoverageSolution,
    check_solution,
    lower_bounds,
    read_carplib,
    solve_coverage,
    validate_solution,
    validate_walks,
)

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "bench" / "mmkcpp"


def needs_shared():
    if not (SHARED / "gdb1.dat").exists():
        pytest.skip(f"benchmark folder {SHARED} absent")


def solve_checked(n, eu, ev, el, req, k, depot, **kw) -> CoverageSolution:
    """Solve and pass the result through the independent validator."""
    kw.setdefault("time_limit_s", 5.0)
    kw.setdefault("max_iterations", 300)
    sol = solve_coverage(n, eu, ev, el, req, k, depot, **kw)
    problems = validate_solution(sol, n, eu, ev, el, req, k, depot)
    assert problems == []
    assert len(sol.walks_nodes) == k
    assert sol.max_route >= sol.lower_bound - 1e-9
    return sol


def carp_args(inst, k):
    """Positional arguments of :func:`solve_checked` for a CARPLIB instance."""
    return inst.n_nodes, inst.edge_u, inst.edge_v, inst.edge_length, inst.required_counts, k, inst.depot


# --- small hand-checkable graphs ------------------------------------------------------------------------
# triangle 0-1-2 (lengths 1, 2, 3): all degrees even, postman tour 6
TRI = (3, [0, 1, 2], [1, 2, 0], [1.0, 2.0, 3.0])
# star: centre 0, leaves 1, 2, 3 with lengths 1, 2, 3
STAR = (4, [0, 0, 0], [1, 2, 3], [1.0, 2.0, 3.0])
# path 0-1-2-3, unit lengths
PATH = (4, [0, 1, 2], [1, 2, 3], [1.0, 1.0, 1.0])


class TestBounds:
    def test_triangle(self):
        n, eu, ev, el = TRI
        assert lower_bounds(n, eu, ev, el, [1, 1, 1], 1, 0) == (6.0, 6.0, 6.0)
        # k = 2: cpp 6 / 2 = 3, farthest block: 0-1-2-0 = 6
        assert lower_bounds(n, eu, ev, el, [1, 1, 1], 2, 0) == (6.0, 3.0, 6.0)

    def test_path_matching(self):
        n, eu, ev, el = PATH
        # odd nodes 0 and 3 matched by the path of length 3: postman 6; farthest block 2-3: 2+1+3 = 6
        lb, cpp, far = lower_bounds(n, eu, ev, el, [1, 1, 1], 4, 0)
        assert (cpp, far, lb) == (2.0, 6.0, 6.0)  # 6 / 4 = 1.5 rounded up (integer lengths)

    def test_star_k3(self):
        n, eu, ev, el = STAR
        assert lower_bounds(n, eu, ev, el, [1, 1, 1], 3, 0) == (6.0, 4.0, 6.0)

    def test_optional_edges_and_counts(self):
        n, eu, ev, el = PATH
        # only the block 2-3 required, twice: degrees 2 at nodes 2 and 3 (even), cpp = 2; farthest 2+1+3
        assert lower_bounds(n, eu, ev, el, [0, 0, 2], 1, 0) == (6.0, 2.0, 6.0)
        # required 3 times: odd at 2 and 3, matching 1 -> cpp 4
        assert lower_bounds(n, eu, ev, el, [0, 0, 3], 1, 0) == (6.0, 4.0, 6.0)

    def test_float_lengths_not_rounded(self):
        lb, cpp, far = lower_bounds(2, [0], [1], [2.5], [1], 2, 0)
        assert cpp == pytest.approx(2.5) and far == pytest.approx(5.0) and lb == pytest.approx(5.0)

    def test_nothing_required(self):
        n, eu, ev, el = TRI
        assert lower_bounds(n, eu, ev, el, [0, 0, 0], 2, 0) == (0.0, 0.0, 0.0)

    @pytest.mark.shared
    def test_certified_gdb_bounds(self):
        needs_shared()
        with open(SHARED / "lower_bounds.csv", newline="") as fh:
            ref = list(csv.DictReader(fh))
        for row in ref:
            inst = read_carplib(SHARED / f"{row['instance']}.dat")
            lb, cpp, far = lower_bounds(**inst.arrays(), k=int(row["k"]))
            assert (lb, cpp, far) == (float(row["lower_bound"]), float(row["lb_cpp_over_k"]),
                                      float(row["lb_spt"])), row


class TestValidator:
    # triangle walked once by one walker: 0 -e0- 1 -e1- 2 -e2- 0
    nodes = [np.array([0, 1, 2, 0])]
    edges = [np.array([0, 1, 2])]
    serves = [np.array([0, 1, 2])]
    steps = [np.array([0, 1, 2])]

    def problems(self, **over):
        n, eu, ev, el = TRI
        args = {"walks_nodes": self.nodes, "walks_edges": self.edges, "serves": self.serves,
                "serve_steps": self.steps, "lengths": [6.0], "k": 1}
        args.update(over)
        req = args.pop("req", [1, 1, 1])
        return validate_walks(n, eu, ev, el, req, 0, **args)

    def test_valid(self):
        assert self.problems() == []
        assert self.problems(serves=None, serve_steps=None) == []

    def test_not_closed(self):
        out = self.problems(walks_nodes=[np.array([1, 2, 0, 1])], walks_edges=[np.array([1, 2, 0])],
                            serve_steps=[np.array([2, 0, 1])], serves=[np.array([0, 1, 2])])
        assert any("not closed" in p for p in out)

    def test_step_on_wrong_edge(self):
        out = self.problems(walks_edges=[np.array([0, 2, 1])], serves=None, serve_steps=None)
        assert any("joins" in p for p in out)

    def test_edge_does_not_exist(self):
        assert any("does not exist" in p for p in self.problems(walks_edges=[np.array([0, 1, 7])]))

    def test_missing_coverage(self):
        out = self.problems(serves=[np.array([0, 1])], serve_steps=[np.array([0, 1])])
        assert any("edge 2" in p and "served 0" in p for p in out)
        out = self.problems(req=[1, 1, 2], serves=None, serve_steps=None)
        assert any("walked 1 times, required 2" in p for p in out)

    def test_service_on_wrong_step(self):
        out = self.problems(serve_steps=[np.array([0, 2, 1])])
        assert any("does not walk that edge" in p for p in out)

    def test_double_service_of_one_step(self):
        out = self.problems(req=[2, 1, 1], serves=[np.array([0, 0, 1, 2])], serve_steps=[np.array([0, 0, 1, 2])])
        assert any("serves twice" in p for p in out)

    def test_wrong_length_and_count(self):
        assert any("recomputed 6" in p for p in self.problems(lengths=[5.0]))
        assert any("expected 2 walks" in p for p in self.problems(k=2))

    def test_check_solution_raises(self):
        n, eu, ev, el = TRI
        sol = solve_checked(n, eu, ev, el, [1, 1, 1], 1, 0)
        bad = CoverageSolution(**{**sol.__dict__, "lengths": sol.lengths + 1.0})
        with pytest.raises(SolverError) as err:
            check_solution(bad, n, eu, ev, el, [1, 1, 1], 1, 0)
        assert err.value.details["problems"]
        bad = CoverageSolution(**{**sol.__dict__, "lower_bound": sol.max_route + 1})
        assert any("exceeds" in p for p in validate_solution(bad, n, eu, ev, el, [1, 1, 1], 1, 0))


class TestSolverKnownOptima:
    def test_triangle_one_walker(self):
        sol = solve_checked(*TRI, [1, 1, 1], 1, 0)
        assert sol.max_route == 6.0 and sol.gap == 0.0 and sol.method.endswith("+optimal")

    def test_star_one_leaf_each(self):
        sol = solve_checked(*STAR, [1, 1, 1], 3, 0)
        assert sol.max_route == 6.0
        assert sorted(sol.lengths.tolist()) == [2.0, 4.0, 6.0]

    def test_star_two_walkers(self):
        # best split: {3} and {1, 2}: max(6, 2 + 4) = 6
        sol = solve_checked(*STAR, [1, 1, 1], 2, 0)
        assert sol.max_route == 6.0

    def test_path_with_optional_edges_and_counts(self):
        # block 2-3 required three times, 0-1-2 optional: best for one walker is 0-1-2-3-2-3-2-1-0 = 8?
        # no: serve 2-3 three times then walk back: 2 + 3 (three traversals) + 1 + 2 = 8
        sol = solve_checked(*PATH, [0, 0, 3], 1, 0)
        assert sol.max_route == 8.0
        assert sorted(np.concatenate(sol.serves).tolist()) == [2, 2, 2]
        # two walkers: one serves it twice (2+2+2 = 6), the other once (6): max 6
        sol = solve_checked(*PATH, [0, 0, 3], 2, 0)
        assert sol.max_route == 6.0

    def test_parallel_edges_and_loop(self):
        # nodes 0, 1: two parallel edges (2 and 3) and a loop at 1 (length 1): one walker walks all = 6
        sol = solve_checked(2, [0, 0, 1], [1, 1, 1], [2.0, 3.0, 1.0], [1, 1, 1], 1, 0)
        assert sol.max_route == 6.0
        assert sorted(sol.walks_edges[0].tolist()) == [0, 1, 2]

    def test_idle_walkers_and_nothing_required(self):
        sol = solve_checked(2, [0], [1], [4.0], [1], 3, 0)
        assert sol.max_route == 8.0 and sorted(sol.lengths.tolist()) == [0.0, 0.0, 8.0]
        assert any(len(w) == 1 for w in sol.walks_nodes)
        sol = solve_checked(*TRI, [0, 0, 0], 2, 1)
        assert sol.max_route == 0.0 and sol.gap == 0.0

    def test_grid_balanced(self):
        # 3x3 grid of unit blocks (12 edges), depot at a corner, k = 2; checked against the bound
        idx = lambda r, c: 3 * r + c  # noqa: E731
        eu, ev = [], []
        for r in range(3):
            for c in range(3):
                if c < 2:
                    eu.append(idx(r, c))
                    ev.append(idx(r, c + 1))
                if r < 2:
                    eu.append(idx(r, c))
                    ev.append(idx(r + 1, c))
        el = [1.0] * len(eu)
        sol = solve_checked(9, eu, ev, el, [1] * len(eu), 2, 0)
        # postman tour 12 + matching of the 4 odd mid-side nodes (2 * 2) = 16 -> bound 8, reachable
        assert sol.lower_bound == 8.0
        assert sol.max_route == 8.0

    def test_reproducible_for_a_seed(self):
        rng = np.random.default_rng(3)
        n, eu, ev, el = random_graph(rng, 12, 26)
        a = solve_coverage(n, eu, ev, el, [1] * len(eu), 3, 0, seed=5, max_iterations=50, time_limit_s=60)
        b = solve_coverage(n, eu, ev, el, [1] * len(eu), 3, 0, seed=5, max_iterations=50, time_limit_s=60)
        assert [w.tolist() for w in a.walks_edges] == [w.tolist() for w in b.walks_edges]

    def test_max_route_length_and_progress(self):
        calls = []
        sol = solve_checked(*STAR, [1, 1, 1], 3, 0, max_route_length=6.0, progress=lambda f, m: calls.append((f, m)))
        assert sol.max_route <= 6.0 and calls[-1] == (1.0, 6.0)
        with pytest.raises(InfeasibleError):
            solve_coverage(*STAR, [1, 1, 1], 3, 0, max_route_length=5.0)

    def test_to_dict_is_json(self):
        sol = solve_checked(*TRI, [1, 1, 1], 2, 0)
        body = json.loads(json.dumps(sol.to_dict()))
        assert body["max_route"] == 6.0 and len(body["walks_edges"]) == 2


def random_graph(rng, n, m):
    """A connected random multigraph with integer lengths (spanning tree + random extra edges)."""
    eu, ev = [], []
    for v in range(1, n):
        eu.append(int(rng.integers(v)))
        ev.append(v)
    while len(eu) < m:
        eu.append(int(rng.integers(n)))
        ev.append(int(rng.integers(n)))
    el = rng.integers(1, 20, size=len(eu)).astype(float)
    return n, np.asarray(eu), np.asarray(ev), el


@pytest.mark.parametrize("case", range(6))
def test_random_instances_valid(case):
    rng = np.random.default_rng(100 + case)
    n, eu, ev, el = random_graph(rng, int(rng.integers(5, 25)), int(rng.integers(25, 60)))
    req = rng.integers(0, 3, size=len(eu))
    k = int(rng.integers(1, 6))
    sol = solve_checked(n, eu, ev, el, req, k, int(rng.integers(n)), seed=case, max_iterations=100)
    served = np.bincount(np.concatenate(sol.serves).astype(np.int64), minlength=len(eu))
    assert np.array_equal(served, req)


class TestBadInputs:
    def test_k_below_one(self):
        with pytest.raises(InputError, match="k"):
            solve_coverage(*TRI, [1, 1, 1], 0, 0)

    def test_depot_not_in_graph(self):
        with pytest.raises(InputError, match="depot"):
            solve_coverage(*TRI, [1, 1, 1], 2, 3)
        with pytest.raises(InputError, match="depot"):
            lower_bounds(*TRI, [1, 1, 1], 2, -1)

    def test_disconnected_required(self):
        # edge 2-3 in another component than the depot
        with pytest.raises(InfeasibleError, match="cannot be reached"):
            solve_coverage(4, [0, 2], [1, 3], [1.0, 1.0], [1, 1], 1, 0)
        # optional, it is fine
        sol = solve_checked(4, [0, 2], [1, 3], [1.0, 1.0], [1, 0], 1, 0)
        assert sol.max_route == 2.0

    def test_bool_required_counts(self):
        sol = solve_checked(*TRI, np.array([True, False, True]), 1, 0)
        assert sorted(np.concatenate(sol.serves).tolist()) == [0, 2]

    def test_bad_arrays(self):
        with pytest.raises(InputError):
            solve_coverage(*TRI, [1, 1], 1, 0)
        with pytest.raises(InputError):
            solve_coverage(3, [0, 1, 2], [1, 2, 0], [1.0, -2.0, 3.0], [1, 1, 1], 1, 0)
        with pytest.raises(InputError):
            solve_coverage(3, [0, 1, 5], [1, 2, 0], [1.0, 2.0, 3.0], [1, 1, 1], 1, 0)
        with pytest.raises(InputError):
            solve_coverage(*TRI, [1, -1, 1], 1, 0)

    def test_unreadable_files(self, tmp_path):
        with pytest.raises(InputError, match="cannot read"):
            read_carplib(tmp_path / "missing.dat")
        bad = tmp_path / "bad.dat"
        bad.write_text("hello world\n")
        with pytest.raises(InputError, match="not a CARPLIB line"):
            read_carplib(bad)
        bad.write_text(" NOMBRE : x\n VERTICES : 2\n LISTA_ARISTAS_REQ :\n ( 1, 3)  coste 2 demanda 1\n"
                       " DEPOSITO : 1\n")
        with pytest.raises(InputError, match="outside"):
            read_carplib(bad)


def test_read_carplib_small(tmp_path):
    f = tmp_path / "tiny.dat"
    f.write_text(" NOMBRE : tiny\n VERTICES : 3\n ARISTAS_REQ : 2\n ARISTAS_NOREQ : 1\n LISTA_ARISTAS_REQ :\n"
                 " ( 1, 2)  coste 4 demanda 1\n ( 2, 3)  coste 5 demanda 1\n LISTA_ARISTAS_NOREQ :\n"
                 " ( 1, 3)  coste 7\n DEPOSITO :   2\n")
    inst = read_carplib(f)
    assert inst.name == "tiny" and inst.n_nodes == 3 and inst.depot == 1
    assert inst.edge_u.tolist() == [0, 1, 0] and inst.edge_v.tolist() == [1, 2, 2]
    assert inst.edge_length.tolist() == [4.0, 5.0, 7.0] and inst.required_counts.tolist() == [1, 1, 1]


@pytest.mark.shared
def test_gdb_reaches_known_optima():
    """gdb1 k=2, 3 and gdb23 k=2 have optimum = certified lower bound (HGS-CARP reaches it)."""
    needs_shared()
    for name, k, opt in (("gdb1", 2, 147), ("gdb1", 3, 98), ("gdb23", 2, 112)):
        inst = read_carplib(SHARED / f"{name}.dat")
        sol = solve_checked(*carp_args(inst, k), seed=0, max_iterations=2000, time_limit_s=30)
        assert sol.max_route == opt, (name, k, sol.max_route)


@pytest.mark.shared
@pytest.mark.slow
def test_gdb_all_valid_small_gap():
    needs_shared()
    gaps = []
    for i in range(1, 24):
        inst = read_carplib(SHARED / f"gdb{i}.dat")
        for k in (2, 3, 5):
            sol = solve_checked(*carp_args(inst, k), seed=0, max_iterations=150, time_limit_s=30)
            gaps.append(sol.gap)
    assert np.mean(gaps) < 0.03


@pytest.mark.shared
def test_cli_bench(capsys):
    needs_shared()
    from patrol.cli import main

    code = main(["bench", "mmkcpp", str(SHARED / "gdb1.dat"), "-k", "2", "--time-limit", "2", "--json"])
    assert code == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows[0]["name"] == "gdb1" and rows[0]["k"] == 2 and rows[0]["valid"] is True
    assert set(rows[0]) >= {"name", "k", "max_route", "lower_bound", "gap_pct", "seconds", "valid"}
    assert main(["bench", "mmkcpp", str(SHARED / "gdb1.dat"), "-k", "3", "--time-limit", "1"]) == 0
    out = capsys.readouterr().out
    assert "max_route" in out and "gdb1" in out


def test_cli_bench_missing_file(tmp_path, capsys):
    from patrol.cli import main

    assert main(["bench", "mmkcpp", str(tmp_path / "nope.dat"), "-k", "2"]) == 2
    assert "cannot read" in capsys.readouterr().err


@pytest.mark.slow
def test_uptown_corridor_three_times(uptown):
    """The Uptown case of the daily plan: corridor blocks walked 3 times, other area blocks once, k = 8."""
    a = uptown.arrays
    req = np.where(a.edge_in_area & a.edge_corridor, 3, np.where(a.edge_in_area, 1, 0))
    sol = solve_checked(a.n_nodes, a.edge_u, a.edge_v, a.edge_length, req, 8, uptown.base_index,
                        time_limit_s=5.0, max_iterations=None)
    assert sol.gap < 0.25  # (its speed is shown by scripts/bench_mmkcpp.py, not asserted here)
    served = np.bincount(np.concatenate(sol.serves), minlength=a.n_edges)
    assert np.array_equal(served, req)


def brute_force_minmax(n, eu, ev, el, req, k, depot):
    """Exact min-max by enumeration (tiny instances only): assignments x orders x directions."""
    import itertools

    import networkx as nx

    g = nx.Graph()
    g.add_nodes_from(range(n))
    for a, b, w in zip(eu, ev, el, strict=True):
        if a != b and (not g.has_edge(a, b) or g[a][b]["weight"] > w):
            g.add_edge(int(a), int(b), weight=float(w))
    d = dict(nx.all_pairs_dijkstra_path_length(g))
    services = [e for e in range(len(eu)) for _ in range(int(req[e]))]
    best_route: dict[tuple[int, ...], float] = {}

    def route(subset):
        if subset in best_route:
            return best_route[subset]
        best = 0.0 if not subset else float("inf")
        for perm in itertools.permutations(subset):
            for dirs in itertools.product((0, 1), repeat=len(perm)):
                cur, cost = depot, 0.0
                for e, o in zip(perm, dirs, strict=True):
                    a, b = (int(eu[e]), int(ev[e])) if o == 0 else (int(ev[e]), int(eu[e]))
                    cost += d[cur][a] + el[e]
                    cur = b
                best = min(best, cost + d[cur][depot])
        best_route[subset] = best
        return best

    best = float("inf")
    for labels in itertools.product(range(k), repeat=len(services)):
        if labels and labels[0] != 0:
            continue  # symmetry
        parts = [tuple(sorted(services[i] for i in range(len(services)) if labels[i] == w)) for w in range(k)]
        best = min(best, max(route(p) for p in parts))
    return best


@pytest.mark.parametrize("case", range(4))
def test_matches_brute_force_on_tiny_instances(case):
    rng = np.random.default_rng(7 + case)
    n, eu, ev, el = random_graph(rng, 6, 9)
    req = np.zeros(len(eu), dtype=np.int64)
    req[rng.choice(len(eu), size=4, replace=False)] = 1
    req[int(np.flatnonzero(req)[0])] = 2  # one block walked twice: 5 services
    k = 2
    depot = int(rng.integers(n))
    opt = brute_force_minmax(n, eu, ev, el, req, k, depot)
    sol = solve_checked(n, eu, ev, el, req, k, depot, seed=case, max_iterations=200)
    assert sol.max_route == pytest.approx(opt)
