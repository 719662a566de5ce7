"""Paid media: impressions bought per step, shown to a segment, entering the same funnel.

With word of mouth switched off, the share of the targeted people an ad campaign has reached
after t steps is 1 - (1 - alpha)^t with alpha = 1 - (1 - 1/N)^I for I impressions a step over N
people (Goldenberg, Libai & Muller 2001); tolerances are four standard errors of the mean over
replicates.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from helpers import make_scenario

from simulation.engine import simulate

N = 600


def ads_only(*, steps: int, stickiness: float = 0.0, visibility: float = 0.0, **tables):
    """N people, no seeds, an ad campaign; word of mouth off unless asked for."""
    tables.setdefault("ads", [{"spend_per_step": 3.0, "cpm": 10.0, "start": 1}])
    return make_scenario(
        {"kind": "erdos_renyi", "n": N, "mean_degree": 6.0, "seed": 4},
        content={"visibility": visibility, "appeal": 0.6, "stickiness": stickiness},
        seeding={"strategy": "random", "budget": 0},
        steps=steps,
        **tables,
    )


def within(values: np.ndarray, expected: float, slack: float = 1e-9) -> bool:
    se = values.std(ddof=1) / math.sqrt(len(values))
    return abs(values.mean() - expected) <= 4 * se + slack


@pytest.mark.parametrize("t", [1, 2, 3, 5, 8, 13])
def test_informed_share_follows_goldenberg_closed_form(t):
    impressions = 300  # 3 / 10 x 1,000 a step
    alpha = 1 - (1 - 1 / N) ** impressions
    result = simulate(ads_only(steps=t), runs=300, seed=1, metrics=["paid_reach", "reach"])
    informed = result.values["paid_reach"] / N
    assert within(informed, 1 - (1 - alpha) ** t)
    np.testing.assert_array_equal(result.values["reach"], result.values["paid_reach"])


def test_targeted_ads_reach_only_their_segment_at_the_closed_form_rate():
    segments = [{"name": "runners", "share": 0.25}, {"name": "others", "share": 0.75}]
    targeted = int(N * 0.25)
    scenario = ads_only(
        steps=4,
        segments=segments,
        ads=[{"spend_per_step": 1.0, "cpm": 10.0, "start": 1, "segment": "runners"}],
    )
    result = simulate(scenario, runs=300, seed=2)
    assert np.all(result.values["reach[others]"] == 0)
    alpha = 1 - (1 - 1 / targeted) ** 100
    assert within(result.values["paid_reach"] / targeted, 1 - (1 - alpha) ** 4)


@pytest.mark.parametrize("metrics", [["sharers"], None])
def test_ad_driven_sharers_match_the_exact_probability(metrics):
    # No word of mouth (visibility 0): a person shares when one of their impressions leads to
    # a share, P = appeal x affinity x stickiness each, so E[sharers] = sum over segments of
    # N_s (1 - (1 - p_s / N)^(I T)). Two affinities exercise the thinning across classes.
    segments = [
        {"name": "fans", "share": 0.5, "affinity": 1.5},
        {"name": "rest", "share": 0.5, "affinity": 0.5},
    ]
    steps = 5
    scenario = ads_only(steps=steps, stickiness=0.5, segments=segments)
    result = simulate(scenario, runs=300, seed=3, metrics=metrics)
    shown = 300 * steps
    expected = sum(
        N / 2 * (1 - (1 - min(1.0, 0.6 * affinity) * 0.5 / N) ** shown) for affinity in (1.5, 0.5)
    )
    assert within(result.values["sharers"].astype(float), expected)


def test_paid_engagements_follow_appeal_times_affinity():
    segments = [
        {"name": "fans", "share": 0.5, "affinity": 1.2},
        {"name": "rest", "share": 0.5, "affinity": 0.4},
    ]
    steps = 3
    result = simulate(ads_only(steps=steps, segments=segments), runs=200, seed=4)
    shown = 300 * steps
    expected = shown * (0.5 * min(1.0, 0.6 * 1.2) + 0.5 * 0.6 * 0.4)
    assert within(result.values["engagements"].astype(float), expected)
    assert np.all(result.values["paid_impressions"] == shown)
    assert np.all(result.values["earned_impressions"] == 0)
    assert np.all(result.values["conversions"] == result.values["paid_conversions"])


def test_fractional_impressions_carry_over_between_steps():
    # 7 / 3 x 1,000 = 2,333.3 impressions a step: floor(k x 2,333.3) after k steps.
    scenario = ads_only(steps=5, ads=[{"spend_per_step": 7.0, "cpm": 3.0, "start": 1}])
    result = simulate(scenario, runs=3, seed=5)
    assert result.values["paid_impressions"].tolist() == [11666] * 3
    rate = 7.0 / 3.0 * 1000
    expected = [math.floor(rate * k + 1e-9) for k in range(6)]
    np.testing.assert_allclose(result.timeline["paid_impressions"], expected)


def test_ads_run_only_within_their_schedule():
    scenario = ads_only(steps=12, ads=[{"spend_per_step": 1.0, "cpm": 10.0, "start": 3, "end": 5}])
    result = simulate(scenario, runs=2, seed=6)
    np.testing.assert_array_equal(
        result.timeline["paid_impressions"], [0, 0, 0, 100, 200, 300]
    )  # the replicate ends once the ad is over and nothing spreads
    assert result.values["steps"].tolist() == [5, 5]
    assert result.values["ad_spend"].tolist() == [3.0, 3.0]


def test_shares_caused_by_ads_start_cascades_of_their_own():
    scenario = ads_only(steps=30, stickiness=0.4, visibility=1.0)
    result = simulate(scenario, runs=50, seed=7)
    assert result.values["sharers"].mean() > 0
    # No seeds: every sharer is an earned share, and word of mouth reached people beyond ads.
    np.testing.assert_array_equal(result.values["shares"], result.values["sharers"])
    assert result.values["earned_impressions"].sum() > 0
    assert result.values["cascade_depth"].max() >= 1


def test_an_ad_without_a_post_promotes_the_brands_latest_post():
    scenario = ads_only(
        steps=8,
        posts=[{"name": "first"}, {"name": "second", "start": 5}],
        ads=[{"spend_per_step": 1.0, "cpm": 10.0, "start": 1, "end": 8}],
    )
    result = simulate(scenario, runs=2, seed=8)
    assert result.values["paid_impressions[post:first]"].tolist() == [400, 400]
    assert result.values["paid_impressions[post:second]"].tolist() == [400, 400]
    named = scenario.with_overrides(
        {"ads": [{"spend_per_step": 1.0, "cpm": 10.0, "start": 1, "end": 8, "post": "first"}]}
    )
    result = simulate(named, runs=2, seed=8)
    assert result.values["paid_impressions[post:first]"].tolist() == [800, 800]
    assert result.values["paid_impressions[post:second]"].tolist() == [0, 0]
