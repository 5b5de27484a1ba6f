"""JSON plumbing: numpy values to plain JSON types (used by the CLI, plan files and reports)."""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["to_jsonable"]


def to_jsonable(obj: Any) -> Any:
    """Convert numpy scalars/arrays (recursively, in dicts, lists and tuples) to plain JSON types.

    Examples
    --------
    >>> to_jsonable({"n": np.int64(3), "xs": np.array([1.5, 2.0])})
    {'n': 3, 'xs': [1.5, 2.0]}
    """
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return to_jsonable(obj.tolist())
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        return float(obj)
    if isinstance(obj, np.bool_):
        return bool(obj)
    return obj
