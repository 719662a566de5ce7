"""The Mesa model stepped agent by agent against the kernel's loop, on one replicate.

Workload: a shipped scenario (default ``scenarios/launch.toml``, 10,000 people), replicate 0,
run to its end three ways: the compiled Monte Carlo loop (``simulate(runs=1)``), the Mesa model
without per-person reporters, and with them. Prints seconds per replicate and per step, and
the ratios to the kernel, measured in the same run (best of ``--repeat``; compiled code warmed
first).

    python benchmarks/bench_agents.py [--scenario FILE] [--repeat 3]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from simulation.engine import prepare, simulate
from simulation.model import WordOfMouthModel
from simulation.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]


def _best(job, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        job()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    """Measure and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", type=Path, default=ROOT / "scenarios" / "launch.toml")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    scenario = load_scenario(args.scenario)
    prepared = prepare(scenario)

    def kernel() -> None:
        simulate(scenario, runs=1, prepared=prepared, workers=1)

    def agents(reporters: bool) -> int:
        model = WordOfMouthModel(scenario, prepared=prepared, space=False, reporters=reporters)
        while model.running:
            model.step()
        return model.step_count

    kernel()
    steps = agents(True)  # warm: compiles the per-person functions
    rows = [
        ("kernel loop (simulate, 1 replicate)", _best(kernel, args.repeat)),
        ("Mesa agents, no per-person reporters", _best(lambda: agents(False), args.repeat)),
        ("Mesa agents, per-person reporters", _best(lambda: agents(True), args.repeat)),
    ]
    base = rows[0][1]
    print(f"{scenario.name}: {prepared.graph.n} people, {steps} steps, replicate 0\n")
    print("| path | s per replicate | ms per step | x kernel |")
    print("| --- | --- | --- | --- |")
    for name, seconds in rows:
        print(f"| {name} | {seconds:.4f} | {1000 * seconds / steps:.1f} | {seconds / base:.1f} |")


if __name__ == "__main__":
    main()
