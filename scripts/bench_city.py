"""Benchmark a whole city: build, load, dispatch ranking, geocoding and the demand model (run with ``nice``).

Reads the full City of Minneapolis street centreline (``../shared/data/minneapolis/``, about 13,700 segments;
skipped with a message when absent) and measures, each against a baseline measured in the same run:

1. **Build** (``patrol district build --centerline``) of the whole city as one district and of the Uptown area
   (the working graph: the area plus ``area.margin_m``), each in a fresh process: wall seconds and peak RSS.
   Baseline: reading and parsing the GeoJSON alone (``json.load``), the floor of any build.
2. **Load** of the built whole-city district (what every later command pays): seconds.
3. **Dispatch ranking** on the whole-city graph, warm: 50 ambassadors at random points of the city, random
   incident points; ``rank_units`` (one search from the incident + ETAs + the 3 best routes) and the whole desk
   query (``Desk.rank``: geocoding a ``lat,lon`` text, duty status, pings from an in-memory record, ranking),
   wall and thread-CPU p50 / p99.  Baseline: SciPy's Dijkstra (``scipy.sparse.csgraph.dijkstra`` from the
   incident block's two ends, then the same ETAs, no routes).  The two must agree on every distance.
4. **Geocoding** ``"A & B"`` city-wide: how many street pairs meet more than once, and the warm time to resolve
   an intersection text.
5. **Demand smoothing**: the bounded sum (5 bandwidths) against the dense block x block one it replaced, on the
   Uptown working graph (where the dense one fits): seconds and peak traced memory; then the bounded one on the
   whole city (the dense one would need ``4 x blocks^2`` doubles: the estimate is printed, not run).
6. **A whole-city scenario day** (random walk, 50 ambassadors, uniform demand: a centreline has no businesses)
   in a fresh process: seconds and peak RSS (the issue saw 12.3 GB before the bounded demand model).

Latency percentiles are wall-clock (``perf_counter``); on a shared machine the p99 includes the scheduler's
preemptions, so the thread CPU-time p99 is printed too.  The load average is printed at the start and end.

Usage::

    nice .venv/bin/python scripts/bench_city.py [--quick] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np
from bench_dispatch import latency_stats, time_calls  # scripts/ is on the path of a script

ROOT = Path(__file__).resolve().parents[1]
CITY = ROOT / ".." / "shared" / "data" / "minneapolis" / "street_centerline_full_2018.geojson"
UPTOWN_TOML = ROOT / "data" / "uptown" / "district.toml"


def city_settings(path: Path) -> Path:
    """The embedded Uptown settings with the area grown to the whole city, 50 ambassadors, base at Hennepin & Lake."""
    text = UPTOWN_TOML.read_text(encoding="utf-8")
    lines = []
    for line in text.splitlines():
        key = line.split("=")[0].strip()
        value = {"south": "44.88", "north": "45.06", "west": "-93.34", "east": "-93.19"}.get(key)
        if value and line.startswith(key):
            line = f"{key} = {value}"
        lines.append(line)
    text = "\n".join(lines).replace('name = "Uptown Business District, Minneapolis"', 'name = "Minneapolis"')
    text = text.replace('at = "Hennepin Ave S & W Lagoon Ave"', 'at = "Hennepin & Lake"')
    text = text.replace("size = 8", "size = 50")
    path.write_text(text, encoding="utf-8")
    return path


def uptown_settings(path: Path) -> Path:
    text = UPTOWN_TOML.read_text(encoding="utf-8").replace('at = "Hennepin Ave S & W Lagoon Ave"',
                                                            'at = "Hennepin & Lagoon"')
    path.write_text(text, encoding="utf-8")
    return path


def in_fresh_process(code: str) -> dict:
    """Run code in a new interpreter that prints one JSON line; add its peak RSS (MB)."""
    wrapped = ("import json, resource, time\n" + code
               + "\nout['peak_rss_mb'] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024\n"
               "print(json.dumps(out))\n")
    done = subprocess.run([sys.executable, "-c", wrapped], capture_output=True, text=True, check=True, cwd=ROOT)
    return json.loads(done.stdout.strip().splitlines()[-1])


def bench_build(tmp: Path) -> dict:
    t0 = time.perf_counter()
    json.loads(CITY.read_text(encoding="utf-8"))
    parse_s = time.perf_counter() - t0
    out = {"parse_geojson_s": parse_s}
    for name, settings in (("city", city_settings(tmp / "city.toml")), ("uptown", uptown_settings(tmp / "up.toml"))):
        folder = tmp / name
        code = (
            "from patrol.cli import main\n"
            "import contextlib, io\n"
            "t = time.perf_counter()\n"
            f"with contextlib.redirect_stdout(io.StringIO()):\n"
            f"    code = main(['district', 'build', '--centerline', {str(CITY)!r}, '--settings', {str(settings)!r},"
            f" '--out', {str(folder)!r}])\n"
            "out = {'build_s': time.perf_counter() - t, 'code': code}\n"
        )
        r = in_fresh_process(code)
        report = json.loads((folder / "build_report.json").read_text())
        out[name] = {**r, "blocks": report["working"]["blocks"], "km": report["working"]["km"],
                     "source_blocks": report["working"]["source_blocks"],
                     "not_walkable": report["not_walkable"], "duplicates": report["duplicates"],
                     "reversed_duplicates": report["reversed_duplicates"], "too_short": report["too_short"],
                     "islands": report["islands"], "self_loops_split": report["self_loops_split"]}
    return out


def bench_dispatch(folder: Path, n: int, seed: int) -> dict:
    from scipy.sparse.csgraph import dijkstra

    from patrol.dispatch import Desk, Record, rank_units
    from patrol.district import load_district

    t0 = time.perf_counter()
    district = load_district(folder)
    arrays = district.arrays
    load_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    desk = Desk(district, record=Record(":memory:", actor="bench"))
    net = desk.network
    desk_s = time.perf_counter() - t0
    rng = np.random.default_rng(seed)
    when = "2026-06-02T19:05:00Z"  # Tuesday 14:05 in Minneapolis
    for unit in desk.units:  # each ambassador pinged at a random point of the city
        b = int(rng.integers(arrays.n_edges))
        lat, lon = district.geocoder.point_on_block(b, float(rng.uniform(0, arrays.edge_length[b])))
        desk.ping(unit.name, lat, lon, t="2026-06-02T19:03:00Z")
    entries = desk.situation(when)
    speed = district.settings.speeds.response_m_s
    queries = [(int(b), float(rng.uniform(0, arrays.edge_length[b]))) for b in rng.integers(arrays.n_edges, size=64)]
    texts = ["{:.6f},{:.6f}".format(*district.geocoder.point_on_block(b, o)) for b, o in queries]
    csr = arrays.scipy_csr()
    placed = [(i, e[3]) for i, e in enumerate(entries) if e[3] is not None]
    pb = np.array([p.block for _, p in placed])
    po = np.array([p.offset_m for _, p in placed])

    def scipy_rank(b: int, o: float) -> np.ndarray:
        d = dijkstra(csr, directed=False, indices=[int(arrays.edge_u[b]), int(arrays.edge_v[b])])
        L = arrays.edge_length[b]
        du = np.minimum(d[0] + o, d[1] + (L - o))  # point -> every node
        dist = np.minimum(du[arrays.edge_u[pb]] + po, du[arrays.edge_v[pb]] + (arrays.edge_length[pb] - po))
        same = pb == b
        dist[same] = np.minimum(dist[same], np.abs(po[same] - o))
        order = np.argsort(dist / speed, kind="stable")
        return dist[order]

    for b, o in queries:  # warm up (Numba cache load, geometry and geocoder caches), and check agreement
        ours = sorted(c.distance_m for c in rank_units(net, b, o, entries, speed_m_s=speed) if c.distance_m)
        np.testing.assert_allclose(ours, np.sort(scipy_rank(b, o)), rtol=1e-9)  # bench self-check
    for t in texts:
        desk.rank(t, when=when)
    # the three are timed in turn on the same query, so that they share the machine's load
    samples: dict[str, list[list[float]]] = {k: [[], []] for k in ("engine", "desk", "baseline_scipy")}

    def timed(key: str, fn) -> None:
        c0, t0 = time.thread_time(), time.perf_counter()
        fn()
        samples[key][0].append(time.perf_counter() - t0)
        samples[key][1].append(time.thread_time() - c0)

    for i in range(n):
        b, o = queries[i % len(queries)]
        timed("engine", lambda b=b, o=o: rank_units(net, b, o, entries, speed_m_s=speed))
        timed("desk", lambda i=i: desk.rank(texts[i % len(texts)], when=when))
        timed("baseline_scipy", lambda b=b, o=o: scipy_rank(b, o))
    eng, eng_cpu = latency_stats(samples["engine"][0]), latency_stats(samples["engine"][1])
    dsk, dsk_cpu = latency_stats(samples["desk"][0]), latency_stats(samples["desk"][1])
    base, base_cpu = latency_stats(samples["baseline_scipy"][0]), latency_stats(samples["baseline_scipy"][1])
    return {"load_s": load_s, "desk_setup_s": desk_s, "nodes": arrays.n_nodes, "blocks": arrays.n_edges,
            "ambassadors": len(placed), "engine": eng, "engine_cpu": eng_cpu, "desk": dsk, "desk_cpu": dsk_cpu,
            "baseline_scipy": base, "baseline_scipy_cpu": base_cpu,
            "speedup_p50": base["p50_ms"] / eng["p50_ms"], "speedup_p99": base["p99_ms"] / eng["p99_ms"],
            "speedup_cpu_p99": base_cpu["p99_ms"] / eng_cpu["p99_ms"]}


def bench_geocode(folder: Path, n: int, seed: int) -> dict:
    from patrol.district import load_district
    from patrol.streetnames import core_name

    district = load_district(folder)
    g = district.geocoder
    pairs: dict[tuple[str, str], list[int]] = {}
    cores_at: dict[int, set[str]] = {}
    for _, _, e in district.graph.edges(data=True):
        for end in (e["u"], e["v"]):
            cores_at.setdefault(end, set()).add(core_name(e["name"]))
    for node, cores in cores_at.items():
        cs = sorted(cores)
        for i in range(len(cs)):
            for j in range(i + 1, len(cs)):
                pairs.setdefault((cs[i], cs[j]), []).append(node)
    rng = np.random.default_rng(seed)
    keys = sorted(pairs)
    sample = [keys[i] for i in rng.integers(len(keys), size=200)]
    multi = 0
    places = 0
    for a, b in keys:
        if len(pairs[(a, b)]) > 1:
            k = len(g.intersections(a, b))
            multi += k > 1
            places += k if k > 1 else 0
    texts = [f"{a} & {b}" for a, b in sample]
    for t in texts:
        district.geocode(t)
    it = iter(range(10**9))
    wall, cpu = time_calls(lambda: district.geocode(texts[next(it) % len(texts)]), n)
    four = district.geocode("4th & Hennepin")
    return {"street_pairs": len(keys), "pairs_meeting_more_than_once": multi, "their_intersections": places,
            "geocode": wall, "geocode_cpu": cpu,
            "4th_and_hennepin": [m.describe("the city's centre") for m in four.matches]}


def bench_demand(tmp: Path, city_folder: Path) -> dict:
    from scipy.sparse.csgraph import dijkstra

    from patrol.demand import smooth
    from patrol.district import load_district

    out = {}
    up = load_district(tmp / "uptown")
    a = up.arrays
    raw = np.where(a.edge_in_area, a.edge_length, 0.0)  # uniform demand (a centreline has no businesses)

    def dense() -> np.ndarray:
        d = dijkstra(a.scipy_csr(), directed=False)
        u, v, half = a.edge_u, a.edge_v, a.edge_length / 2
        src = np.flatnonzero(raw > 0)
        m = np.minimum.reduce([d[np.ix_(u[src], u)], d[np.ix_(u[src], v)], d[np.ix_(v[src], u)],
                               d[np.ix_(v[src], v)]])
        m = m + half[src][:, None] + half[None, :]
        m[np.arange(src.size), src] = 0.0
        return raw[src] @ np.exp(-0.5 * (m / 120.0) ** 2)

    for name, fn in (("dense", dense), ("bounded", lambda: smooth(up, raw, 120.0))):
        fn()
        tracemalloc.start()
        t0 = time.perf_counter()
        result = fn()
        secs = time.perf_counter() - t0
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        out[f"uptown_{name}"] = {"s": secs, "peak_mb": peak / 2**20}
        out[f"uptown_{name}_result"] = result
    diff = np.abs(out.pop("uptown_dense_result") - out.pop("uptown_bounded_result")).max()
    out["uptown_blocks"] = a.n_edges
    out["uptown_max_diff_rel"] = float(diff / smooth(up, raw, 120.0).max())
    city = load_district(city_folder)
    c = city.arrays
    raw = np.where(c.edge_in_area, c.edge_length, 0.0)
    smooth(city, raw, 120.0)  # warm: compiled kernels loaded
    tracemalloc.start()
    t0 = time.perf_counter()
    smooth(city, raw, 120.0)
    out["city_bounded"] = {"s": time.perf_counter() - t0, "peak_mb": tracemalloc.get_traced_memory()[1] / 2**20}
    tracemalloc.stop()
    out["city_blocks"] = c.n_edges
    out["city_dense_estimate_gb"] = 4 * c.n_edges**2 * 8 / 1e9
    return out


def bench_scenario_day(city_folder: Path, tmp: Path, seeds: int) -> dict:
    scn = tmp / "city-random.toml"
    scn.write_text(f'[scenario]\nname = "city"\ndistrict = "{city_folder}"\nseeds = {seeds}\nstep_min = 5.0\n'
                   '[strategy]\nkind = "random_walk"\n', encoding="utf-8")
    code = (
        "from patrol.coverage.scenario import load_scenario, run_scenario, scenario_district\n"
        f"scn = load_scenario({str(scn)!r})\n"
        "t = time.perf_counter()\n"
        "r = run_scenario(scn)\n"
        "out = {'run_s': time.perf_counter() - t, 'seeds': len(r.seeds),\n"
        "       'reach_5min': r.summary['reach_5min'], 'incidents': r.summary['incidents'],\n"
        "       'blocks': scenario_district(scn).arrays.n_edges}\n"
    )
    return in_fresh_process(code)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="fewer repetitions")
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    args = ap.parse_args()
    if not CITY.is_file():
        print(f"skipped: {CITY} is not here (the full Minneapolis centreline, third-party data)")
        return
    n = 300 if args.quick else 2000
    machine = {"python": platform.python_version(), "machine": platform.machine(), "cpus": os.cpu_count(),
               "loadavg_start": os.getloadavg()}
    print(f"machine: {machine}")
    results: dict = {"machine": machine}
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_DIR")) as tmp_name:
        tmp = Path(tmp_name)
        b = results["build"] = bench_build(tmp)
        print(f"\n1. Build (fresh process each; baseline: json.load of the file alone {b['parse_geojson_s']:.2f} s)")
        for name in ("city", "uptown"):
            r = b[name]
            print(f"  {name:<7} {r['build_s']:6.2f} s ({r['build_s'] / b['parse_geojson_s']:.1f}x the parse), "
                  f"peak RSS {r['peak_rss_mb']:.0f} MB, {r['blocks']} of {r['source_blocks']} blocks ({r['km']} km)")
        c = b["city"]
        print(f"  left out: {c['not_walkable']}, duplicates {c['duplicates']} + {c['reversed_duplicates']} reversed, "
              f"{c['too_short']} shorter than 0.5 m, islands {c['islands']}; loops split {c['self_loops_split']}")
        d = results["dispatch"] = bench_dispatch(tmp / "city", n, args.seed)
        print(f"\n2. Load the built city district: {d['load_s']:.2f} s; desk (network, geocoder): "
              f"{d['desk_setup_s']:.2f} s")
        print(f"\n3. Dispatch ranking on the city graph ({d['nodes']} nodes, {d['blocks']} blocks, "
              f"{d['ambassadors']} ambassadors), warm, n={n}")
        for key in ("engine", "engine_cpu", "desk", "desk_cpu", "baseline_scipy", "baseline_scipy_cpu"):
            s = d[key]
            print(f"  {key:<20} mean {s['mean_ms']:.3f} ms  p50 {s['p50_ms']:.3f} ms  p99 {s['p99_ms']:.3f} ms")
        print(f"  speed-up vs SciPy: p50 x{d['speedup_p50']:.1f}, p99 x{d['speedup_p99']:.1f} (wall), "
              f"x{d['speedup_cpu_p99']:.1f} (CPU p99) "
              f"(ours includes the 3 best routes, SciPy's does not)")
        g = results["geocode"] = bench_geocode(tmp / "city", n, args.seed)
        print(f"\n4. Geocoding: {g['street_pairs']} street pairs meet; {g['pairs_meeting_more_than_once']} of them "
              f"more than once ({g['their_intersections']} intersections); 'A & B' warm p50 "
              f"{g['geocode']['p50_ms']:.3f} ms, p99 {g['geocode']['p99_ms']:.3f} ms")
        print(f"  4th & Hennepin: {'; '.join(g['4th_and_hennepin'])}")
        m = results["demand"] = bench_demand(tmp, tmp / "city")
        print(f"\n5. Demand smoothing, uniform demand (Uptown working graph, {m['uptown_blocks']} blocks): dense "
              f"{m['uptown_dense']['s']:.2f} s / {m['uptown_dense']['peak_mb']:.0f} MB, bounded "
              f"{m['uptown_bounded']['s']:.2f} s / {m['uptown_bounded']['peak_mb']:.1f} MB (memory "
              f"/{m['uptown_dense']['peak_mb'] / max(m['uptown_bounded']['peak_mb'], 1e-9):.0f}), max difference "
              f"{m['uptown_max_diff_rel']:.1e} of the largest value")
        print(f"  whole city ({m['city_blocks']} blocks): bounded {m['city_bounded']['s']:.2f} s, "
              f"{m['city_bounded']['peak_mb']:.0f} MB; dense would need {m['city_dense_estimate_gb']:.1f} GB "
              f"for its four block x block tables (not run)")
        s = results["scenario"] = bench_scenario_day(tmp / "city", tmp, 2 if args.quick else 3)
        print(f"\n6. Whole-city scenario (random walk, 50 ambassadors, {s['seeds']} days, fresh process): "
              f"{s['run_s']:.1f} s, peak RSS {s['peak_rss_mb']:.0f} MB ({s['blocks']} blocks)")
    results["machine"]["loadavg_end"] = os.getloadavg()
    print(f"\nload average at the end: {results['machine']['loadavg_end']}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2, default=str))


if __name__ == "__main__":
    main()
