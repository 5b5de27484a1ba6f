"""Passes of a unit's steps (a walk of a block from one end to the other), kept up to date as a run of its
steps is replaced: the repairs (:mod:`.repair`) try hundreds of such edits per plan, and each is judged on the
passes it changes, not on a count of the whole day again.

The rule is the planner's own (:func:`.score.tally` counts with :func:`advance`): a pass is counted when the
far end of a block is reached by walks in one direction on it, stops on the block allowed; a sliver of a walk
(half a metre or less) does not continue one; a block shorter than a metre is passed when walked at all.

:class:`UnitPasses` keeps, per step, the pass it ends (if any) and the walk under way after it.  An edit that
replaces ``steps[start:old_end]`` by new steps is rescanned from ``start``, through its new steps and on into
the steps after it only until the walk under way is the one the old scan had there: from then on, every pass is
the same as before.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from patrol.timeline import Leg

__all__ = ["Edit", "Run", "UnitPasses", "advance", "scan"]

#: The walk under way on a block: ``(block, offset where it began, offset reached, direction +1/-1)``, or
#: ``None``.
Run = tuple[int, float, float, int] | None


@dataclass(frozen=True)
class Edit:
    """``steps[start:old_end]`` of a unit were replaced by what is now ``steps[start:new_end]``."""

    start: int
    old_end: int
    new_end: int


def advance(run: Run, s: Leg, length: float) -> tuple[Run, bool]:
    """The walk under way after step ``s`` (on a block of ``length`` metres), and whether ``s`` ends a pass."""
    b = s.block
    if s.activity == "walk":
        o0, o1 = s.off0, s.off1
        if length < 1.0:
            return None, True
        d = o1 - o0
        if -0.5 <= d <= 0.5:  # a sliver of a walk does not continue a pass (as in the checker)
            return None, False
        if run is not None and run[0] == b and abs(run[2] - o0) < 1e-6 and d * run[3] > 0:
            run = (b, run[1], o1, run[3])
        else:
            run = (b, o0, o1, 1 if o1 > o0 else -1)
        if min(run[1], run[2]) < 1e-6 and max(run[1], run[2]) > length - 1e-6:
            return None, True
        return run, False
    if run is not None and run[0] != b:
        return None, False
    return run, False


def scan(steps: Sequence[Leg], lengths: Sequence[float], run: Run = None) -> tuple[list[int], list[Run]]:
    """Per step from ``run`` on: the block it ends a pass of (-1 when none), and the walk under way after it."""
    passed: list[int] = []
    runs: list[Run] = []
    for s in steps:
        run, p = advance(run, s, lengths[s.block])
        passed.append(s.block if p else -1)
        runs.append(run)
    return passed, runs


class UnitPasses:
    """The passes of one unit's steps as they were last :meth:`commit` ted (or at the start).

    Parameters
    ----------
    steps : sequence of Leg
    lengths : sequence of float
        Metres per block.
    """

    def __init__(self, steps: Sequence[Leg], lengths: Sequence[float]):
        self.lengths = lengths
        self.steps = list(steps)
        self.passed, self.runs = scan(self.steps, lengths)
        self._pending: tuple[list[Leg], int, int, list[int], list[Run]] | None = None

    def passes(self) -> dict[int, list[float]]:
        """Block -> the times its passes end, in step order."""
        out: dict[int, list[float]] = {}
        for s, b in zip(self.steps, self.passed, strict=True):
            if b >= 0:
                out.setdefault(b, []).append(s.t1)
        return out

    def follows(self, steps: Sequence[Leg], edit: Edit) -> bool:
        """Whether ``steps`` are the committed ones with ``edit`` made, and nothing else changed."""
        a, oe, ne = edit.start, edit.old_end, edit.new_end
        old = self.steps
        return (0 <= a <= oe <= len(old) and a <= ne <= len(steps) and len(steps) - ne == len(old) - oe
                and steps[:a] == old[:a] and steps[ne:] == old[oe:])

    def propose(self, steps: Sequence[Leg], edit: Edit) -> tuple[list[tuple[int, float]], list[tuple[int, float]]]:
        """The passes ``edit`` removes and adds, as ``(block, time)``, for ``steps`` that :meth:`follows` it; the
        rescan is kept for :meth:`commit`."""
        a, oe, ne = edit.start, edit.old_end, edit.new_end
        old_runs, lengths = self.runs, self.lengths
        run = old_runs[a - 1] if a > 0 else None
        passed: list[int] = []
        runs: list[Run] = []
        shift = oe - ne  # a step after the edit at i was at i + shift
        i, n = a, len(steps)
        while i < n:
            if i >= ne:
                j = i + shift
                if run == (old_runs[j - 1] if j > 0 else None):  # the same walk under way: the rest is as before
                    break
            s = steps[i]
            run, p = advance(run, s, lengths[s.block])
            passed.append(s.block if p else -1)
            runs.append(run)
            i += 1
        end_old = i + shift
        removed = [(b, self.steps[k].t1) for k, b in enumerate(self.passed[a:end_old], start=a) if b >= 0]
        added = [(b, steps[k].t1) for k, b in enumerate(passed, start=a) if b >= 0]
        self._pending = (list(steps), a, end_old, passed, runs)
        return removed, added

    def commit(self) -> None:
        """Keep the edit last proposed."""
        if self._pending is None:
            return
        steps, a, end_old, passed, runs = self._pending
        self.steps = steps
        self.passed[a:end_old] = passed
        self.runs[a:end_old] = runs
        self._pending = None
