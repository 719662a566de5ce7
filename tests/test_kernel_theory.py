"""The kernel against theory: percolation, Bass, the star, structural virality.

Tolerances come from standard errors of the replicates (4 standard errors unless said), plus a
stated allowance where a finite network departs from the infinite-size formula.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from helpers import independent_cascade, make_scenario
from scipy.optimize import brentq

from simulation.engine import prepare, simulate


def _percolation_size(c: float, t: float) -> float:
    """Giant share s of bond percolation on G(n, c/n): s = 1 - exp(-c T s) (Newman 2002)."""
    return brentq(lambda s: s - (1 - math.exp(-c * t * s)), 1e-9, 1.0)


@pytest.mark.usefixtures("kernel_path")
@pytest.mark.parametrize(("mean_degree", "p"), [(4.0, 0.5), (6.0, 0.3)])
def test_cascade_on_erdos_renyi_matches_percolation_final_size(mean_degree, p):
    n = 20_000
    s = _percolation_size(mean_degree, p)
    large_shares, large_flags = [], []
    for graph_seed in range(6):
        scenario = independent_cascade(
            {"kind": "erdos_renyi", "n": n, "mean_degree": mean_degree, "seed": graph_seed},
            p,
            seeding={"strategy": "random", "budget": 1},
            steps=10_000,
        )
        sharers = simulate(scenario, runs=60, seed=graph_seed, metrics=["sharers"]).values[
            "sharers"
        ]
        large = sharers > 0.05 * n
        large_flags.append(large.mean())
        large_shares.append((sharers[large] / n).mean())
    # Graph-to-graph variation is included: the standard error is over the six graphs.
    shares = np.array(large_shares)
    se = shares.std(ddof=1) / math.sqrt(len(shares))
    assert abs(shares.mean() - s) < 4 * se + 2 / math.sqrt(n)
    # A single seed starts a large cascade with probability s too (undirected percolation).
    flags = np.array(large_flags)
    flag_se = math.sqrt(s * (1 - s) / (6 * 60))
    assert abs(flags.mean() - s) < 4 * flag_se


def test_bass_on_complete_graph_follows_discrete_bass_recursion():
    n, innovation, imitation, steps, runs = 2000, 0.02, 0.4, 25, 60
    scenario = make_scenario(
        {"kind": "complete", "n": n},
        diffusion={"rule": "bass", "innovation": innovation, "imitation": imitation},
        seeding={"strategy": "random", "budget": 0},
        steps=steps,
    )
    prepared = prepare(scenario)
    curves = []
    for run in range(runs):
        line = simulate(scenario, runs=1, first_run=run, prepared=prepared, metrics=["sharers"])
        curve = line.timeline["sharers"] / n
        curves.append(np.pad(curve, (0, steps + 1 - len(curve)), mode="edge"))
    curves = np.array(curves)
    expected = [0.0]
    for _ in range(steps):
        f = expected[-1]
        # A non-adopter sees adopters among its n - 1 contacts: q * A / (n - 1).
        expected.append(f + (1 - f) * (innovation + imitation * f * n / (n - 1)))
    se = curves.std(axis=0, ddof=1) / math.sqrt(runs)
    # 1 / n allows for the recursion being a mean-field (E[F^2] = E[F]^2) approximation.
    assert np.all(np.abs(curves.mean(axis=0) - np.array(expected)) < 4 * se + 1 / n)


@pytest.mark.usefixtures("kernel_path")
@pytest.mark.parametrize("p", [0.1, 0.35, 0.8])
def test_star_seeded_at_hub_spreads_one_plus_n_minus_one_p(p):
    n, runs = 1001, 400
    scenario = independent_cascade(
        {"kind": "star", "n": n}, p, seeding={"strategy": "nodes", "nodes": ["0"]}
    )
    sharers = simulate(scenario, runs=runs, seed=3, metrics=["sharers"]).values["sharers"]
    se = math.sqrt((n - 1) * p * (1 - p)) / math.sqrt(runs)
    assert abs(sharers.mean() - (1 + (n - 1) * p)) < 4 * se


@pytest.mark.usefixtures("kernel_path")
@pytest.mark.parametrize("n", [2, 3, 10, 101])
def test_structural_virality_of_a_path_is_n_plus_one_over_three(n):
    scenario = independent_cascade(
        {"kind": "path", "n": n}, 1.0, seeding={"strategy": "nodes", "nodes": ["0"]}, steps=1000
    )
    result = simulate(scenario, runs=2, metrics=["structural_virality", "cascade_depth", "sharers"])
    assert result.values["sharers"].tolist() == [n, n]
    assert result.values["structural_virality"] == pytest.approx((n + 1) / 3)
    assert result.values["cascade_depth"].tolist() == [n - 1, n - 1]


@pytest.mark.usefixtures("kernel_path")
@pytest.mark.parametrize("n", [2, 5, 50])
def test_structural_virality_of_a_star_is_two_n_minus_one_over_n(n):
    scenario = independent_cascade(
        {"kind": "star", "n": n}, 1.0, seeding={"strategy": "nodes", "nodes": ["0"]}
    )
    result = simulate(scenario, runs=1, metrics=["structural_virality", "cascade_depth"])
    assert result.values["structural_virality"][0] == pytest.approx(2 * (n - 1) / n)
    assert result.values["cascade_depth"][0] == 1


@pytest.mark.usefixtures("kernel_path")
def test_structural_virality_with_several_seeds_is_size_weighted_over_real_trees():
    # Seeds at both ends of the path 0..8 spread toward each other with p = 1.
    scenario = independent_cascade(
        {"kind": "path", "n": 9}, 1.0, seeding={"strategy": "nodes", "nodes": ["0", "8"]}
    )
    result = simulate(scenario, runs=1, metrics=["structural_virality", "sharers"])
    # Trees: 0-1-2-3-4 (node 4 is reached at step 4 by seed 0 first, being processed first)
    # and 8-7-6-5: sizes 5 and 4, path virality (N + 1) / 3.
    expected = (5 * 6 / 3 + 4 * 5 / 3) / 9
    assert result.values["sharers"][0] == 9
    assert result.values["structural_virality"][0] == pytest.approx(expected)
