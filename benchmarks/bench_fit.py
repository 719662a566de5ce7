"""How long `wom fit` takes: three keys of scenarios/launch.toml (10,000 people), 30 steps.

A synthetic campaign is simulated from the launch scenario with known appeal, stickiness and
half-life; its sharers, reach, engagements and clicks at every step 0..30 are the observation.
The fit then learns the three keys back with the default budget (4,000 simulations) on a local
Dask cluster of one worker per core, the way `wom fit` runs. The clock covers what a user waits
for: starting the cluster, the inference, and the posterior predictive draws. Goal: at most 2
minutes on the project's 2-core machine. The machine is shared: the benchmark prints the load
average beside the time. It also prints the recovered keys against the truth.

    python benchmarks/bench_fit.py
    python benchmarks/bench_fit.py --budget 2000 --workers 1
    python benchmarks/bench_fit.py --coverage 100     # coverage of the Bass test, more trials
"""

from __future__ import annotations

import argparse
import math
import os
import time
import tomllib
from pathlib import Path

import numpy as np

from simulation.calibration import DEFAULT_BUDGET, fit, parse_observed, parse_prior
from simulation.engine import simulate
from simulation.scenario import load_scenario, parse_scenario

ROOT = Path(__file__).resolve().parents[1]
TRUTH = {"content.appeal": 0.35, "content.stickiness": 0.2, "content.half_life": 8.0}
PRIORS = [
    "content.appeal=0.05..0.8",
    "content.stickiness=0.05..0.6",
    "content.half_life=2..48:log",
]
METRICS = ["sharers", "reach", "engagements", "clicks"]
STEPS = 30

# The coverage test's campaign (tests/test_calibration.py): Bass on a complete graph of 50.
BASS_TOML = """
name = "bass"
steps = 20
seed = 7
[network]
kind = "complete"
n = 50
[diffusion]
rule = "bass"
innovation = 0.02
imitation = 0.35
[seeding]
strategy = "nodes"
nodes = []
"""


def observed_csv(scenario, seed: int, metrics: list[str], steps: range) -> str:
    timeline = simulate(scenario, runs=1, seed=seed, metrics=metrics).timeline
    rows = ["step," + ",".join(metrics)]
    for step in steps:
        cells = [f"{timeline[m][min(step, len(timeline[m]) - 1)]:g}" for m in metrics]
        rows.append(f"{step}," + ",".join(cells))
    return "\n".join(rows) + "\n"


def bench_launch(budget: int, workers: int | None, seed: int) -> None:
    scenario = load_scenario(ROOT / "scenarios" / "launch.toml")
    campaign = scenario.with_overrides(TRUTH)
    observed = parse_observed(observed_csv(campaign, 2026, METRICS, range(STEPS + 1)))
    priors = [parse_prior(p) for p in PRIORS]
    load = os.getloadavg()[0]
    started = time.perf_counter()
    result = fit(scenario, observed, priors, budget=budget, workers=workers, seed=seed)
    seconds = time.perf_counter() - started
    print(
        f"3-key fit of launch.toml ({scenario.network.n:,} people, {STEPS} steps, "
        f"{len(METRICS)} metrics): {seconds:.1f} s wall, {result.simulations:,} simulations, "
        f"{result.generations} generations, population {result.population}, "
        f"workers {workers or os.cpu_count()}; load average before: {load:.2f}"
    )
    print(f"goal: at most 120 s -> {'met' if seconds <= 120 else 'NOT met'}")
    for key, stats in result.summary().items():
        low, high = stats["ci90"]
        inside = "inside" if low <= TRUTH[key] <= high else "OUTSIDE"
        print(
            f"  {key}: true {TRUTH[key]:g}, median {stats['median']:.3g}, "
            f"90% interval {low:.3g} - {high:.3g} ({inside})"
        )


def bench_coverage(trials: int) -> None:
    """The coverage test of tests/test_calibration.py with more trials (a tighter estimate)."""
    base = parse_scenario(tomllib.loads(BASS_TOML), source="<bass>")
    prior = parse_prior("diffusion.imitation=0.05..0.8")
    rng = np.random.default_rng(7)
    hits = 0
    started = time.perf_counter()
    for trial in range(trials):
        truth = float(rng.uniform(prior.low, prior.high))
        campaign = base.with_overrides({"diffusion.imitation": truth})
        csv = observed_csv(campaign, 5000 + trial, ["sharers"], range(0, 21, 2))
        result = fit(
            base, parse_observed(csv), [prior], budget=1000, population=100, seed=trial, workers=1
        )
        low, high = result.summary()["diffusion.imitation"]["ci90"]
        hits += low <= truth <= high
    coverage = hits / trials
    se = math.sqrt(coverage * (1 - coverage) / trials)
    print(
        f"coverage of the 90% interval over {trials} Bass trials: {coverage:.3f} "
        f"(standard error {se:.3f}); {time.perf_counter() - started:.0f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=int, default=DEFAULT_BUDGET)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--coverage", type=int, metavar="TRIALS", help="Measure coverage instead.")
    args = parser.parse_args()
    if args.coverage:
        bench_coverage(args.coverage)
    else:
        bench_launch(args.budget, args.workers, args.seed)


if __name__ == "__main__":
    main()
