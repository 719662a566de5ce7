"""Server-side cost of the app: one live step (2,000 people) and a 3 x 200 comparison.

Run: ``python benchmarks/bench_app.py``. Goals: a live step, with the drawing data recomputed,
under 100 ms; comparing 3 strategies x 200 replicates on 10,000 people under 5 s.
"""

from __future__ import annotations

import time

import numpy as np

from simulation.scenario import parse_scenario
from simulation.ui.comparison import Variant, run_comparison
from simulation.ui.live import LiveCascade


def _scenario(n: int):
    return parse_scenario(
        {
            "name": "bench",
            "seed": 1,
            "steps": 60,
            "network": {"kind": "barabasi_albert", "n": n, "m": 4},
            "content": {"visibility": 0.6, "appeal": 0.3, "stickiness": 0.25},
            "seeding": {"strategy": "degree", "budget": 20},
        }
    )


def live_step(n: int = 2000, steps: int = 30) -> float:
    live = LiveCascade(_scenario(n))
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        frame = live.step()
        live.timeline()
        assert len(frame.states) == len(live.drawing.people)
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def comparison(n: int = 10_000, runs: int = 200) -> float:
    base = _scenario(n)
    variants = [Variant(s, {"seeding.strategy": s}) for s in ("degree", "random", "pagerank")]
    run_comparison(base, variants, runs=4)  # warm up the compiled kernel
    start = time.perf_counter()
    run_comparison(base, variants, runs=runs)
    return time.perf_counter() - start


if __name__ == "__main__":
    step = live_step()
    print(
        f"live step, 2,000 people (median of 30, drawing data included): {step * 1000:.1f} ms"
        f"  (goal 100 ms: {100 / (step * 1000):.0f}x under)"
    )
    total = comparison()
    print(
        f"compare 3 strategies x 200 runs, 10,000 people: {total:.2f} s"
        f"  (goal 5 s: {5 / total:.1f}x under)"
    )
