"""Competing brands and share of voice; the exclusive market is a competitive cascade.

Bharathi, Kempe & Salek (2007): with equal probabilities and the first arrival winning, the
total spread of two brands is distributed like one cascade from the union of their seed sets,
and symmetric seeds split the voice in half. Distributions are compared by their means (within
four standard errors of the difference) and a two-sample Kolmogorov-Smirnov test.
"""

from __future__ import annotations

import math

import numpy as np
from helpers import make_scenario
from scipy import stats

from simulation import WordOfMouthModel, kernel
from simulation.engine import simulate

NETWORK = {"kind": "barabasi_albert", "n": 1500, "m": 3, "seed": 21}
CONTENT = {"visibility": 1.0, "appeal": 1.0, "stickiness": 0.15, "comment_ratio": 0.3}


def rivals(seeds_a, seeds_b, *, exclusive=True, content=CONTENT):
    """Brand A against competitor B, the same content, the given seed tables."""
    return make_scenario(
        NETWORK,
        brand="A",
        content=content,
        seeding=seeds_a,
        competitors=[{"name": "B", "content": content, "seeding": seeds_b}],
        market={"exclusive": exclusive},
    )


def same_distribution(x: np.ndarray, y: np.ndarray) -> None:
    x, y = np.asarray(x, float), np.asarray(y, float)
    se = math.sqrt(x.var(ddof=1) / len(x) + y.var(ddof=1) / len(y))
    assert abs(x.mean() - y.mean()) < 4 * se
    assert stats.ks_2samp(x, y).pvalue > 1e-3


def test_two_brands_together_spread_like_one_cascade_from_both_seed_sets():
    people = np.random.default_rng(5).choice(NETWORK["n"], 16, replace=False)
    a, b = [str(v) for v in people[:8]], [str(v) for v in people[8:]]
    duel = rivals({"strategy": "nodes", "nodes": a}, {"strategy": "nodes", "nodes": b})
    union = make_scenario(NETWORK, content=CONTENT, seeding={"strategy": "nodes", "nodes": a + b})
    runs = 500
    metrics = ["sharers[brand:A]", "sharers[brand:B]"]
    both = simulate(duel, runs=runs, seed=1, metrics=metrics).values
    one = simulate(union, runs=runs, seed=2, metrics=["sharers"]).values["sharers"]
    same_distribution(both["sharers[brand:A]"] + both["sharers[brand:B]"], one)


def test_symmetric_seeds_split_the_voice_in_half():
    seeds = {"strategy": "random", "budget": 6}
    result = simulate(rivals(seeds, seeds), runs=400, seed=3)
    voice = result.values["share_of_voice[brand:A]"]
    se = voice.std(ddof=1) / math.sqrt(len(voice))
    assert abs(voice.mean() - 0.5) < 4 * se
    np.testing.assert_allclose(voice + result.values["share_of_voice[brand:B]"], 1.0)
    np.testing.assert_array_equal(voice, result.values["share_of_voice"])


def test_in_an_exclusive_market_nobody_shares_both_brands():
    seeds = {"strategy": "random", "budget": 10}
    certain = {**CONTENT, "stickiness": 1.0}
    for exclusive, overlap in ((True, False), (False, True)):
        scenario = rivals(seeds, seeds, exclusive=exclusive, content=certain)
        model = WordOfMouthModel(scenario, seed=4, space=False)
        while model.running:
            model.step()
        market = model.market
        epoch = market.clock[kernel.K_EPOCH]
        shared = (market.stamp == epoch) & ((market.flags & kernel.SHARED) > 0)
        assert bool(np.any(shared[0] & shared[1])) is overlap


def test_share_of_voice_counts_shares_and_comments_of_every_post():
    result = simulate(
        rivals({"strategy": "random", "budget": 5}, {"strategy": "random", "budget": 2}),
        runs=50,
        seed=6,
    )
    values = result.values
    for brand in ("A", "B"):
        posts = values[f"sharers[brand:{brand}]"]  # one post each: every share is one mention
        np.testing.assert_array_equal(
            values[f"mentions[brand:{brand}]"], posts + values[f"comments[brand:{brand}]"]
        )
    total = values["mentions[brand:A]"] + values["mentions[brand:B]"]
    np.testing.assert_allclose(
        values["share_of_voice[brand:B]"], values["mentions[brand:B]"] / total
    )
    pooled = result.timeline["share_of_voice[brand:A]"]
    assert np.all((pooled >= 0) & (pooled <= 1))


def test_without_competitors_there_is_no_share_of_voice():
    result = simulate(make_scenario(NETWORK, content=CONTENT), runs=2, seed=7)
    assert "share_of_voice" not in result.values
    assert not any("[brand:" in name for name in result.values)
