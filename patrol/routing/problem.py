"""Checked, normalized input of a coverage problem (shared by the solver and the bounds)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from patrol.errors import InfeasibleError, InputError

__all__ = ["CoverageProblem", "make_problem"]


@dataclass(frozen=True)
class CoverageProblem:
    """A min-max k-Chinese-postman (k-rural-postman) instance on plain arrays.

    Attributes
    ----------
    n_nodes : int
    edge_u, edge_v : numpy.ndarray
        int64 end nodes.
    edge_length : numpy.ndarray
        float64 positive lengths.
    required_counts : numpy.ndarray
        int64 number of services of each edge (0 = optional).
    k : int
    depot : int
    integral : bool
        True when every length is an integer (bounds may then be rounded up).
    """

    n_nodes: int
    edge_u: np.ndarray
    edge_v: np.ndarray
    edge_length: np.ndarray
    required_counts: np.ndarray
    k: int
    depot: int
    integral: bool

    @property
    def n_edges(self) -> int:
        """Number of edges."""
        return int(self.edge_u.shape[0])

    def service_edges(self) -> np.ndarray:
        """Edge index of every service (an edge with count ``c`` appears ``c`` times), sorted."""
        return np.repeat(np.arange(self.n_edges, dtype=np.int64), self.required_counts)


def _int_array(values: Sequence[int] | np.ndarray, name: str) -> np.ndarray:
    arr = np.asarray(values)
    if arr.dtype == np.bool_:
        arr = arr.astype(np.int64)
    if arr.ndim != 1:
        raise InputError(f"{name} must be a 1-D array", field=name)
    if arr.size and not np.issubdtype(arr.dtype, np.integer):
        if not np.issubdtype(arr.dtype, np.floating) or not np.all(np.isfinite(arr)) or \
                not np.all(arr == np.round(arr)):
            raise InputError(f"{name} must hold integers", field=name)
    return arr.astype(np.int64)


def make_problem(n_nodes: int, edge_u, edge_v, edge_length, required_counts, k: int, depot: int,
                 *, check_reachable: bool = True) -> CoverageProblem:
    """Check and normalize the arguments of :func:`patrol.routing.solve_coverage`.

    Raises
    ------
    InputError
        For malformed arrays, non-positive lengths, ``k < 1`` or a depot outside the graph.
    InfeasibleError
        When a required edge cannot be reached from the depot (and ``check_reachable``).
    """
    if isinstance(n_nodes, bool) or not isinstance(n_nodes, int | np.integer) or n_nodes < 1:
        raise InputError(f"n_nodes must be a positive integer, got {n_nodes!r}", field="n_nodes")
    n_nodes = int(n_nodes)
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1:
        raise InputError(f"k (number of walkers) must be an integer >= 1, got {k!r}", field="k")
    if isinstance(depot, bool) or not isinstance(depot, int | np.integer) or not 0 <= depot < n_nodes:
        raise InputError(f"depot {depot!r} is not a node of the graph (0..{n_nodes - 1})", field="depot")
    eu = _int_array(edge_u, "edge_u")
    ev = _int_array(edge_v, "edge_v")
    el = np.asarray(edge_length, dtype=np.float64) if np.asarray(edge_length).size else np.zeros(0)
    rc = _int_array(required_counts, "required_counts")
    m = eu.shape[0]
    for name, arr in (("edge_v", ev), ("edge_length", el), ("required_counts", rc)):
        if arr.shape != (m,):
            raise InputError(f"{name} has {arr.shape[0] if arr.ndim else 0} entries, edge_u has {m}",
                             field=name)
    if m and (eu.min() < 0 or ev.min() < 0 or eu.max() >= n_nodes or ev.max() >= n_nodes):
        raise InputError(f"edge end nodes must lie in 0..{n_nodes - 1}", field="edge_u")
    if m and (not np.all(np.isfinite(el)) or el.min() <= 0):
        bad = int(np.flatnonzero(~(np.isfinite(el) & (el > 0)))[0])
        raise InputError(f"edge lengths must be finite and > 0 (edge {bad}: {el[bad]!r})", field="edge_length")
    if m and rc.min() < 0:
        raise InputError("required_counts must be >= 0", field="required_counts")
    problem = CoverageProblem(n_nodes=n_nodes, edge_u=eu, edge_v=ev, edge_length=el, required_counts=rc,
                              k=int(k), depot=int(depot), integral=bool(np.all(el == np.round(el))))
    if check_reachable:
        unreachable = unreachable_required(problem)
        if unreachable.size:
            raise InfeasibleError(
                f"{unreachable.size} required edge(s) cannot be reached from the depot {depot} "
                f"(first: edge {int(unreachable[0])} between nodes {int(eu[unreachable[0]])} and "
                f"{int(ev[unreachable[0]])})",
                field="required_counts", details={"unreachable_edges": unreachable[:50].tolist()})
    return problem


def unreachable_required(problem: CoverageProblem) -> np.ndarray:
    """Indices of required edges in another connected component than the depot."""
    parent = np.arange(problem.n_nodes)

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in zip(problem.edge_u.tolist(), problem.edge_v.tolist(), strict=True):
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[ra] = rb
    root = find(problem.depot)
    req = np.flatnonzero(problem.required_counts > 0)
    return np.asarray([e for e in req.tolist() if find(int(problem.edge_u[e])) != root], dtype=np.int64)
