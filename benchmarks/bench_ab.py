"""Paired A/B of two checkouts of the project on the kernel benchmark's workload.

    python benchmarks/bench_ab.py ../other-checkout                  # every metric, 2 rounds
    python benchmarks/bench_ab.py ../other-checkout --workload pure --replicates 512 --rounds 3

A is this checkout, B the one named. Both run the same workload as ``bench_kernel.py`` (the
Barabasi-Albert graph of 100,000 people, p = 0.1, the same 50 seeds) at the same time, each in
a process of its own on one core (``taskset``) with one thread, best of 3 timed runs after a
warm-up; then again with the cores swapped, for each round. Each pair thus shares the machine's
background load, which on a shared machine moves single runs by a third: unpaired runs minutes
apart cannot show a change of 10-20%, paired ones can. The ratio B / A of each pair is printed,
and their median.

Workloads: ``pure`` (sharers only), ``trees`` (sharers, structural virality and depth),
``funnel`` (every metric but the trees) and ``every`` (every metric).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
WORKLOADS = ("pure", "trees", "funnel", "every")
TREES = ("structural_virality", "cascade_depth")


def measure(checkout: Path, workload: str, replicates: int) -> float:
    """Replicates per second of ``workload`` with the ``simulation`` of ``checkout``."""
    import simulation
    from simulation.engine import prepare, simulate
    from simulation.metrics import resolve_metrics

    if not Path(simulation.__file__).resolve().is_relative_to(checkout):
        raise SystemExit(f"{simulation.__file__} is not from {checkout}")
    sys.path.insert(1, str(HERE))
    import bench_kernel  # after simulation: its sys.path entries must not pick the package

    scenario = bench_kernel._scenario(bench_kernel._seeds())
    prepared = prepare(scenario)
    every = resolve_metrics(None, prepared.graph.segment_names, **prepared.layout.qualifiers())
    metrics = {
        "pure": ["sharers"],
        "trees": ["sharers", *TREES],
        "funnel": [name for name in every if name not in TREES],
        "every": None,
    }[workload]
    simulate(scenario, runs=64, prepared=prepared, metrics=metrics, workers=1)  # warm up
    best = 0.0
    for _ in range(3):
        start = time.perf_counter()
        simulate(scenario, runs=replicates, prepared=prepared, metrics=metrics, workers=1)
        best = max(best, replicates / (time.perf_counter() - start))
    return best


def start_child(checkout: Path, core: int | None, workload: str, replicates: int):
    """One measurement of ``checkout`` in a child process, on ``core`` when given."""
    command = [sys.executable, str(Path(__file__).resolve()), "--child", str(checkout)]
    command += ["--workload", workload, "--replicates", str(replicates)]
    if core is not None:
        command = ["taskset", "-c", str(core), *command]
    env = {**os.environ, "NUMBA_NUM_THREADS": "1", "PYTHONPATH": str(checkout)}
    return subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env)


def result(child) -> float:
    out, _ = child.communicate()
    if child.returncode != 0:
        raise SystemExit(f"a child failed (exit status {child.returncode})")
    return json.loads(out.strip().splitlines()[-1])["per_second"]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("other", nargs="?", help="the checkout to compare with this one (B)")
    parser.add_argument("--workload", choices=WORKLOADS, default="every")
    parser.add_argument(
        "--replicates", type=int, help="per timed run (default: 512 pure, 256 trees, else 128)"
    )
    parser.add_argument("--rounds", type=int, default=2, help="pairs, each run on both cores")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        rate = measure(Path(args.child).resolve(), args.workload, args.replicates)
        print(json.dumps({"per_second": rate}))
        return
    if not args.other:
        parser.error("name the other checkout")
    args.replicates = args.replicates or {"pure": 512, "trees": 256}.get(args.workload, 128)
    a, b = HERE.parent, Path(args.other).resolve()
    if not (b / "simulation" / "engine.py").is_file():
        parser.error(f"{b} is not a checkout of this project (no simulation/engine.py)")
    paired = shutil.which("taskset") is not None and (os.cpu_count() or 1) >= 2
    if not paired:
        print("no taskset or a single core: the two run one after the other", file=sys.stderr)
    print(f"A = {a}\nB = {b}\nworkload {args.workload}, {args.replicates} replicates, one thread")
    ratios = []
    for round_ in range(args.rounds):
        for core_a, core_b in ((0, 1), (1, 0)):
            if paired:
                children = [
                    start_child(a, core_a, args.workload, args.replicates),
                    start_child(b, core_b, args.workload, args.replicates),
                ]
                rate_a, rate_b = (result(child) for child in children)
            else:
                rate_a = result(start_child(a, None, args.workload, args.replicates))
                rate_b = result(start_child(b, None, args.workload, args.replicates))
            ratios.append(rate_b / rate_a)
            print(
                f"round {round_ + 1}, A on core {core_a}: A {rate_a:8.1f} rep/s, "
                f"B {rate_b:8.1f} rep/s, B/A {rate_b / rate_a:.3f}",
                flush=True,
            )
    print(
        f"B/A: median {statistics.median(ratios):.3f} "
        f"(from {min(ratios):.3f} to {max(ratios):.3f}, {len(ratios)} pairs)"
    )


if __name__ == "__main__":
    main()
