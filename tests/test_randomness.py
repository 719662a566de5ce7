"""Counter-based randomness: fair, coupled coins; a replicate is a function of its index."""

from __future__ import annotations

import math

import numpy as np
import pytest
from helpers import independent_cascade, make_scenario
from hypothesis import given, settings
from hypothesis import strategies as st

from simulation import influence
from simulation.engine import prepare, simulate
from simulation.kernel.random import block_key, coin, coin_bar, replicate_key, uniform
from simulation.kernel_inputs import spread_inputs

LANES = 64


@pytest.mark.parametrize("p", [0.0, 1e-3, 0.1, 0.3, 0.5, 0.77, 0.999, 1.0])
def test_coins_succeed_with_their_probability(p):
    key = np.uint64(block_key(np.uint64(7), np.uint64(0)))
    bar = np.uint64(coin_bar(p))
    trials = 400 * LANES
    hits = sum(
        coin(key, np.uint64(lane), index, bar) for index in range(400) for lane in range(LANES)
    )
    se = math.sqrt(p * (1 - p) / trials)
    assert abs(hits / trials - p) <= 5 * se + 1e-12


def test_replicates_in_one_block_get_independent_coins():
    # Lanes of one hash are different replicates: their outcomes must not agree more than chance.
    key = np.uint64(block_key(np.uint64(3), np.uint64(0)))
    bar = np.uint64(coin_bar(0.5))
    a = np.array([coin(key, np.uint64(0), i, bar) for i in range(4000)])
    b = np.array([coin(key, np.uint64(1), i, bar) for i in range(4000)])
    agree = float(np.mean(a == b))
    assert abs(agree - 0.5) <= 5 * math.sqrt(0.25 / 4000)


def test_uniforms_are_uniform():
    key = np.uint64(replicate_key(np.uint64(11), np.uint64(2)))
    u = np.array([uniform(key, i) for i in range(20000)])
    assert u.min() >= 0.0
    assert u.max() < 1.0
    assert abs(u.mean() - 0.5) <= 5 * math.sqrt(1 / 12 / len(u))
    counts, _ = np.histogram(u, bins=10, range=(0, 1))
    chi2 = float(((counts - 2000) ** 2 / 2000).sum())
    assert chi2 < 40  # 9 degrees of freedom: P(chi2 > 40) < 1e-5


@settings(max_examples=200, deadline=None)
@given(
    st.floats(0, 1),
    st.floats(0, 1),
    st.integers(0, 2**40),
    st.integers(0, 63),
    st.integers(0, 2**62),
)
def test_a_coin_is_coupled_across_probabilities(p, q, index, lane, seed):
    """The same decision never succeeds at p and fails at a larger q: U < p implies U < q."""
    low, high = sorted((p, q))
    key = np.uint64(block_key(np.uint64(seed), np.uint64(0)))
    if coin(key, np.uint64(lane), index, np.uint64(coin_bar(low))):
        assert coin(key, np.uint64(lane), index, np.uint64(coin_bar(high)))


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10**6), st.integers(1, 6), st.floats(0.05, 0.6))
def test_adding_a_seed_never_removes_a_sharer(graph_seed, budget, p):
    """Under the independent cascade, replicate r's sharers only grow with the seed set."""
    network = {"kind": "erdos_renyi", "n": 80, "mean_degree": 3.0, "seed": graph_seed}
    base = independent_cascade(
        network, p, steps=50, seeding={"strategy": "degree", "budget": budget}
    )
    more = base.with_overrides({"seeding.budget": budget + 1})
    fewer = simulate(base, runs=64, seed=graph_seed, metrics=["sharers"])
    bigger = simulate(more, runs=64, seed=graph_seed, metrics=["sharers"])
    assert np.all(bigger.values["sharers"] >= fewer.values["sharers"])


def test_celf_marginal_gains_are_never_negative_replicate_by_replicate():
    s = independent_cascade({"kind": "barabasi_albert", "n": 400, "m": 2, "seed": 3}, 0.15)
    prepared = prepare(s)
    model = spread_inputs(s, prepared.graph)
    graph, params, campaign = model
    from simulation import kernel

    base = np.array([0, 5, 9], np.int32)
    extra = np.arange(30, dtype=np.int32)
    with_extra = kernel.seeded_spreads(
        graph, params, campaign, base, extra, seed=4, runs=50, steps=100, workers=2
    )
    alone = kernel.seeded_spreads(
        graph,
        params,
        campaign,
        base,
        np.array([-1], np.int32),
        seed=4,
        runs=50,
        steps=100,
        workers=1,
    )
    assert np.all(with_extra >= alone)
    # Strongly coupled estimates: the gain's noise is far below the spread's own.
    gains = with_extra - alone
    assert gains.std(axis=1).mean() < 0.5 * alone.std()
    means = influence.kernel_spreads(model, base, extra, runs=50, steps=100, seed=4)
    np.testing.assert_allclose(means, with_extra.mean(axis=1))


def test_a_replicate_is_recomputed_alone_from_its_index():
    s = make_scenario(
        {"kind": "watts_strogatz", "n": 300, "k": 4, "rewire": 0.1},
        content={"visibility": 0.8, "appeal": 0.5, "stickiness": 0.5, "half_life": 6.0},
        seeding={"strategy": "random", "budget": 4},
    )
    batch = simulate(s, runs=150, seed=21)
    for r in (0, 63, 64, 149):
        alone = simulate(s, runs=1, seed=21, first_run=r, workers=1)
        for name in batch.metrics:
            np.testing.assert_array_equal(
                alone.values[name][:1], batch.values[name][r : r + 1], err_msg=f"{name} {r}"
            )
