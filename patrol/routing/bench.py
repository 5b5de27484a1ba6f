"""Benchmark helpers for the min-max k-CPP: run one CARPLIB instance, format result tables."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from patrol.routing.carplib import read_carplib
from patrol.routing.solver import SearchOptions, solve_coverage, warm_up
from patrol.routing.validate import validate_solution

__all__ = ["bench_instance", "format_table"]


def bench_instance(path: str | Path, k: int, *, time_limit_s: float = 10.0, seed: int = 0,
                   max_iterations: int | None = None, options: SearchOptions | None = None) -> dict[str, Any]:
    """Solve one CARPLIB instance (all edges required, the file's depot) and validate the answer.

    Returns
    -------
    dict
        ``name, k, max_route, lower_bound, gap_pct, seconds, valid, method`` (and ``problems`` if invalid).
    """
    inst = read_carplib(path)
    warm_up()  # compile the kernels before the clock starts (the solve's budget never pays for it)
    t0 = time.perf_counter()
    sol = solve_coverage(**inst.arrays(), k=k, time_limit_s=time_limit_s, seed=seed,
                         max_iterations=max_iterations, options=options)
    seconds = time.perf_counter() - t0
    problems = validate_solution(sol, **inst.arrays(), k=k)
    row: dict[str, Any] = {"name": inst.name, "k": k, "max_route": sol.max_route, "lower_bound": sol.lower_bound,
                           "gap_pct": 100.0 * sol.gap, "seconds": round(seconds, 3), "valid": not problems,
                           "method": sol.method}
    if problems:
        row["problems"] = problems[:10]
    return row


def _fmt(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "NO"
    if isinstance(value, float):
        return f"{value:.0f}" if value == int(value) and abs(value) >= 10 else f"{value:.2f}"
    return str(value)


def format_table(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> str:
    """A plain fixed-width text table of ``rows`` restricted to ``columns``."""
    cells = [[_fmt(r.get(c, "")) for c in columns] for r in rows]
    widths = [max([len(c)] + [len(row[i]) for row in cells]) for i, c in enumerate(columns)]
    lines = ["  ".join(c.rjust(w) for c, w in zip(columns, widths, strict=True))]
    lines += ["  ".join(v.rjust(w) for v, w in zip(row, widths, strict=True)) for row in cells]
    return "\n".join(lines)
