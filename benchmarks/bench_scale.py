"""Scale: a million-person network, and small cascades on a large one.

Two workloads, each measured in a child process of its own so that its peak memory
(``ru_maxrss``) is its own:

* ``million``: Barabasi-Albert n = 1,000,000, m = 5 (5 million ties), tie probability
  p = 0.1 (visibility = appeal = 1, stickiness = 0.1), the 50 best-connected people as seeds.
  Times, in one fresh process: start-up (imports, loading the compiled kernel), building the
  scenario (graph, CSR arrays, seeds: ``prepare``), and 100 replicates (``simulate``), with every
  metric (``--metrics`` left out) or ``--metrics sharers`` only. Goal: build + 100 replicates
  under 60 s, peak memory under 3 GiB.
* ``small``: Barabasi-Albert n = 100,000, m = 5, p = 0.01, three fixed seeds: cascades of a
  handful of sharers. Times many replicates once the graph is built and the kernel warm, and
  reports microseconds per replicate. Goal: microseconds, not milliseconds.
  ``small-cascade-scalar`` is ``small-cascade`` with the batched path turned off (one replicate
  per traversal), to compare the engine's two paths where both apply.

    python benchmarks/bench_scale.py                      # both, as a table
    python benchmarks/bench_scale.py --workload million --json
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

WORKLOADS = (
    "million-funnel",
    "million-cascade",
    "small-cascade",
    "small-funnel",
    "small-cascade-scalar",
)
SMALL_REPLICATES = 100_000


def _scenario(n: int, p: float, seeding: dict):
    from simulation.scenario import parse_scenario

    return parse_scenario(
        {
            "name": "benchmark",
            "steps": 10_000,
            "network": {"kind": "barabasi_albert", "n": n, "m": 5, "seed": 1},
            "content": {"visibility": 1.0, "appeal": 1.0, "stickiness": p},
            "seeding": seeding,
        },
        source="<benchmark>",
    )


def measure(workload: str, replicates: int | None = None) -> dict:
    """Run one workload in this (fresh) process and return its measurements."""
    begin = time.perf_counter()
    import numpy as np

    from simulation.engine import prepare, simulate

    metrics = ["sharers"] if "cascade" in workload else None
    if workload.endswith("-scalar"):  # one replicate per traversal (no batched path)
        import simulation.kernel.batched

        simulation.kernel.batched.supports = lambda *_: False
    # Load the compiled kernel (from numba's cache) on a tiny scenario, and time that apart.
    warm = _scenario(100, 0.1, {"strategy": "degree", "budget": 2})
    simulate(warm, runs=2, metrics=metrics)
    startup = time.perf_counter() - begin

    if workload.startswith("million"):
        replicates = replicates or 100
        scenario = _scenario(1_000_000, 0.1, {"strategy": "degree", "budget": 50})
    else:
        replicates = replicates or SMALL_REPLICATES
        seeds = np.random.default_rng(7).choice(100_000, 3, replace=False)
        scenario = _scenario(100_000, 0.01, {"strategy": "nodes", "nodes": [str(s) for s in seeds]})
    start = time.perf_counter()
    prepared = prepare(scenario)
    build = time.perf_counter() - start
    if workload.startswith("small"):
        simulate(scenario, runs=64, prepared=prepared, metrics=metrics)  # warm caches
    start = time.perf_counter()
    result = simulate(scenario, runs=replicates, prepared=prepared, metrics=metrics)
    run = time.perf_counter() - start
    sharers = result.values["sharers"]
    return {
        "workload": workload,
        "nodes": result.nodes,
        "edges": result.edges,
        "replicates": replicates,
        "startup_s": startup,
        "build_s": build,
        "run_s": run,
        "total_s": build + run,
        "per_second": replicates / run,
        "us_per_replicate": 1e6 * run / replicates,
        "mean_sharers": float(sharers.mean()),
        "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def run_child(workload: str, replicates: int | None = None) -> dict | None:
    """Measure a workload in a fresh child process; ``None`` (and a note on stderr) if it failed."""
    command = [sys.executable, str(Path(__file__)), "--child", workload]
    if replicates:
        command += ["--replicates", str(replicates)]
    child = subprocess.run(
        command,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=False,
    )
    if child.returncode != 0:
        print(f"  {workload} failed: {child.stderr.strip().splitlines()[-1:]}", file=sys.stderr)
        return None
    return json.loads(child.stdout.strip().splitlines()[-1])


def table(rows: list[dict]) -> str:
    """The measurements as a plain-text table."""
    lines = [
        f"{'workload':<17}{'people':>11}{'ties':>11}{'replicates':>12}{'build s':>9}"
        f"{'run s':>8}{'total s':>9}{'µs/replicate':>14}{'peak MiB':>10}"
    ]
    for row in rows:
        lines.append(
            f"{row['workload']:<17}{row['nodes']:>11,}{row['edges']:>11,}{row['replicates']:>12,}"
            f"{row['build_s']:>9.2f}{row['run_s']:>8.2f}{row['total_s']:>9.2f}"
            f"{row['us_per_replicate']:>14,.1f}{row['peak_mib']:>10.0f}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """Measure the requested workloads, each in its own child process, and print them."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument(
        "--workload", default=",".join(WORKLOADS), help=f"comma-separated: {', '.join(WORKLOADS)}"
    )
    parser.add_argument("--json", action="store_true", help="print the rows as JSON")
    parser.add_argument("--child", choices=WORKLOADS, help=argparse.SUPPRESS)
    parser.add_argument("--replicates", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(measure(args.child, args.replicates)))
        return
    rows = []
    for workload in [w.strip() for w in args.workload.split(",") if w.strip()]:
        print(f"running {workload} ...", file=sys.stderr, flush=True)
        row = run_child(workload)
        if row:
            rows.append(row)
    print(json.dumps(rows, indent=1) if args.json else table(rows))


if __name__ == "__main__":
    main()
