"""The result type of :func:`patrol.routing.solve_coverage`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["CoverageSolution"]


@dataclass(frozen=True)
class CoverageSolution:
    """k closed walks from the depot covering every required edge, with their quality.

    Attributes
    ----------
    walks_nodes : list of numpy.ndarray
        Per walker, the closed node sequence (first = last = depot; ``[depot]`` for an idle walker).
    walks_edges : list of numpy.ndarray
        Per walker, the edge index of each step (``len(walks_nodes[w]) - 1`` entries).
    serves : list of numpy.ndarray
        Per walker, the edge indices it *serves*, with multiplicity, in order of service.
    serve_steps : list of numpy.ndarray
        Per walker, the step index (into ``walks_edges[w]``) of each service in ``serves[w]``.
    lengths : numpy.ndarray
        ``(k,)`` float walk lengths (deadheading included).
    max_route : float
        The longest walk.
    lower_bound, lb_cpp, lb_farthest : float
        ``lower_bound = max(lb_cpp, lb_farthest)``, see :mod:`patrol.routing.bounds`.
    gap : float
        ``(max_route - lower_bound) / lower_bound`` (0 when both are 0).
    seconds : float
        Wall-clock solve time.
    method : str
        What produced the answer (e.g. ``"split+ils"``; ``"+optimal"`` when the bound was reached).
    """

    walks_nodes: list[np.ndarray]
    walks_edges: list[np.ndarray]
    serves: list[np.ndarray]
    serve_steps: list[np.ndarray]
    lengths: np.ndarray
    max_route: float
    lower_bound: float
    lb_cpp: float
    lb_farthest: float
    gap: float
    seconds: float
    method: str

    @property
    def k(self) -> int:
        """Number of walkers."""
        return len(self.walks_nodes)

    @property
    def total_length(self) -> float:
        """Sum of the walk lengths."""
        return float(np.sum(self.lengths))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (plain lists and floats)."""
        return {
            "k": self.k,
            "max_route": float(self.max_route),
            "total_length": self.total_length,
            "lower_bound": float(self.lower_bound),
            "lb_cpp": float(self.lb_cpp),
            "lb_farthest": float(self.lb_farthest),
            "gap": float(self.gap),
            "seconds": float(self.seconds),
            "method": self.method,
            "lengths": [float(x) for x in self.lengths],
            "walks_nodes": [w.tolist() for w in self.walks_nodes],
            "walks_edges": [w.tolist() for w in self.walks_edges],
            "serves": [w.tolist() for w in self.serves],
            "serve_steps": [w.tolist() for w in self.serve_steps],
        }
