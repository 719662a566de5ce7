"""The kernel agrees in distribution with an independent plain-Python cascade.

The reference below is written from the README's definition of the ``cascade`` rule, tie by
tie, with Python's ``random`` and none of the kernel's tricks (bit-sliced coins, batches,
conditional funnel draws, stamps). The two are compared metric by metric: means within four
standard errors of their difference and a two-sample Kolmogorov-Smirnov test.
"""

from __future__ import annotations

import math
import random

import numpy as np
import pytest
from helpers import make_scenario
from scipy import stats

from simulation.engine import prepare, simulate


def reference_cascade(graph, seeds, content, affinity, steps, rng):
    """One replicate of the cascade rule, plainly; returns the final counts."""
    followers = [
        graph.indices[graph.indptr[u] : graph.indptr[u + 1]].tolist() for u in range(graph.n)
    ]
    segment = graph.segment_of.tolist()
    seen = set(seeds)
    shared = set(seeds)
    converted = set()
    counts = dict.fromkeys(
        ["impressions", "engagements", "likes", "comments", "clicks", "conversions"], 0
    )
    frontier = list(seeds)
    t = 0
    while frontier and t < steps:
        t += 1
        decay = 0.5 ** ((t - 1) / content["half_life"]) if content.get("half_life") else 1.0
        new = []
        before = set(shared)  # a step is decided from the state at its start
        for u in frontier:
            for v in followers[u]:
                if rng.random() >= content["visibility"]:
                    continue
                counts["impressions"] += 1
                seen.add(v)
                if v in before:
                    continue
                appeal = min(1.0, content["appeal"] * affinity[segment[v]] * decay)
                if rng.random() >= appeal:
                    continue
                counts["engagements"] += 1
                counts["comments" if rng.random() < content["comment_ratio"] else "likes"] += 1
                if rng.random() < content["click_through"]:
                    counts["clicks"] += 1
                    if v not in converted and rng.random() < content["conversion"]:
                        converted.add(v)
                        counts["conversions"] += 1
                if rng.random() < content["stickiness"] and v not in shared:
                    shared.add(v)
                    new.append(v)
        frontier = new
    counts["sharers"] = len(shared)
    counts["reach"] = len(seen)
    return counts


CONTENT = {
    "visibility": 0.7,
    "appeal": 0.5,
    "stickiness": 0.4,
    "click_through": 0.3,
    "conversion": 0.4,
    "comment_ratio": 0.3,
    "half_life": 4.0,
}


@pytest.mark.usefixtures("kernel_path")
@pytest.mark.parametrize(
    "network",
    [
        {"kind": "barabasi_albert", "n": 400, "m": 3, "seed": 5},
        {"kind": "watts_strogatz", "n": 300, "k": 6, "rewire": 0.1, "seed": 2},
    ],
)
def test_kernel_matches_plain_python_cascade_in_distribution(network):
    runs = 600
    scenario = make_scenario(
        network,
        content=CONTENT,
        seeding={"strategy": "degree", "budget": 3},
        segments=[
            {"name": "fans", "share": 0.3, "affinity": 1.6},
            {"name": "others", "share": 0.7, "affinity": 0.7},
        ],
        steps=50,
    )
    prepared = prepare(scenario)
    kernel = simulate(scenario, runs=runs, seed=11, prepared=prepared)
    rng = random.Random(2024)
    seeds = prepared.plan.fixed.tolist()
    reference = [
        reference_cascade(prepared.graph, seeds, CONTENT, [1.6, 0.7], 50, rng) for _ in range(runs)
    ]
    for metric in (
        "sharers",
        "reach",
        "impressions",
        "engagements",
        "likes",
        "clicks",
        "conversions",
    ):
        ours = np.asarray(kernel.values[metric], dtype=float)
        theirs = np.array([r[metric] for r in reference], dtype=float)
        se = math.sqrt(ours.var(ddof=1) / runs + theirs.var(ddof=1) / runs)
        assert abs(ours.mean() - theirs.mean()) <= 4 * se + 1e-9, metric
        assert stats.ks_2samp(ours, theirs).pvalue > 1e-4, metric
