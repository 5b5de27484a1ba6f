#!/usr/bin/env python
"""Cold and warm first runs: what a fresh installation pays for Numba compilation, and whether time limits hold.

Run with ``nice .venv/bin/python scripts/bench_cold.py [--json FILE]``.  Each step runs the real command in a
fresh process; "cold" uses an empty Numba cache directory (``NUMBA_CACHE_DIR`` pointed at a new temporary
folder, as on a fresh install), "warm" the same folder again.  Steps:

1. ``patrol bench mmkcpp gdb1.dat -k 2 --time-limit 10`` (when ``../shared/bench`` is present): the wall time
   of the process and the solve's own ``seconds`` (compilation happens before the solve's clock starts, so the
   solve stays within its limit whatever the cache);
2. ``patrol warmup`` (what ``make run`` runs once);
3. ``patrol plan --day tue``: cold right after the warm-up (the plan step of ``make run``), and warm;
4. ``patrol plan --day tue --seed 4 --time-limit T`` for T in 2 and 4 s (seed 4 needs about 19 variants
   without a limit): the plan's own ``seconds`` against T.

The baseline is the cold ``patrol warmup`` (all compilation, nothing else); ratios are printed to it.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PATROL = str(Path(sys.executable).parent / "patrol")
GDB1 = ROOT / ".." / "shared" / "bench" / "mmkcpp" / "gdb1.dat"


def run(args: list[str], cache: str, cwd: str) -> tuple[float, str, int]:
    env = dict(os.environ, NUMBA_CACHE_DIR=cache)
    t = time.perf_counter()
    p = subprocess.run([PATROL, *args], capture_output=True, text=True, env=env, cwd=cwd)
    return time.perf_counter() - t, p.stdout, p.returncode


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", default=None)
    a = ap.parse_args()
    out: dict = {"load_before": os.getloadavg()[0]}
    with tempfile.TemporaryDirectory() as cache, tempfile.TemporaryDirectory() as work:
        if GDB1.is_file():
            for label in ("cold", "warm"):
                wall, text, _ = run(["bench", "mmkcpp", str(GDB1), "-k", "2", "--time-limit", "10", "--json"],
                                    cache, work)
                row = json.loads(text)[0]
                out[f"mmkcpp_{label}"] = {"process_s": round(wall, 2), "solve_s": row["seconds"],
                                          "max_route": row["max_route"], "lower_bound": row["lower_bound"]}
        fresh = tempfile.mkdtemp(dir=work)  # a second empty cache: the plan step of `make run`
        out["warmup_cold_s"] = round(run(["warmup"], fresh, work)[0], 2)
        out["plan_after_warmup_s"] = round(run(["plan", "--day", "tue", "--out", "p1", "--maps", "m"], fresh,
                                               work)[0], 2)
        out["plan_warm_s"] = round(run(["plan", "--day", "tue", "--out", "p2", "--maps", "m"], fresh, work)[0], 2)
        nothing = tempfile.mkdtemp(dir=work)
        out["plan_cold_without_warmup_s"] = round(run(["plan", "--day", "tue", "--out", "p3", "--maps", "m"],
                                                      nothing, work)[0], 2)
        for limit in (2, 4):
            wall, text, _ = run(["plan", "--day", "tue", "--seed", "4", "--time-limit", str(limit), "--out",
                                 f"l{limit}", "--maps", "m", "--json"], fresh, work)
            s = json.loads(text)["summary"]
            out[f"limit_{limit}s"] = {"plan_s": s["seconds"], "process_s": round(wall, 2),
                                      "variants_tried": s["search"]["variants_tried"],
                                      "stopped": s["search"]["stopped"]}
    out["load_after"] = os.getloadavg()[0]
    base = out["warmup_cold_s"]
    print(f"{'step':44s} {'seconds':>8s} {'ratio to cold warmup':>21s}")
    for k, v in out.items():
        if isinstance(v, float) and k.endswith("_s"):
            print(f"{k:44s} {v:8.2f} {v / base:21.2f}")
        elif isinstance(v, dict):
            print(f"{k:44s} {json.dumps(v)}")
    print(f"machine load (1-min average) before {out['load_before']:.1f}, after {out['load_after']:.1f}")
    if a.json:
        Path(a.json).write_text(json.dumps(out, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
