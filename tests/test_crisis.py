"""A crisis: negative content spreading from a step, complaints and the brand's answers.

Faster or broader answers give lower negative reach (differences beyond four standard errors);
with no persistence the crisis is a plain cascade; answers come exactly ``response_time`` steps
after a complaint unless a capacity makes complaints wait.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from helpers import make_scenario
from scipy import stats

from simulation import WordOfMouthModel
from simulation.agents import STATES
from simulation.engine import simulate

NETWORK = {"kind": "barabasi_albert", "n": 2000, "m": 3, "seed": 8}


def crisis(**keys):
    """A brand with ordinary content, and a persistent crisis from three random people."""
    table = {
        "start": 0,
        "visibility": 1.0,
        "appeal": 0.5,
        "stickiness": 0.3,
        "persistence": 0.5,
        "response_rate": 0.9,
        "response_time": 2,
        "seeding": {"strategy": "random", "budget": 3},
        **keys,
    }
    return make_scenario(
        NETWORK,
        content={"visibility": 0.8, "appeal": 0.4, "stickiness": 0.2},
        seeding={"strategy": "random", "budget": 5},
        crisis=table,
        steps=25,
    )


def lower(better: np.ndarray, worse: np.ndarray) -> bool:
    """Whether ``better`` has a lower mean by more than four standard errors of the difference."""
    se = math.sqrt(better.var(ddof=1) / len(better) + worse.var(ddof=1) / len(worse))
    return worse.mean() - better.mean() > 4 * se


def negative_reach(scenario, seed):
    return (
        simulate(scenario, runs=150, seed=seed, metrics=["negative_reach"])
        .values["negative_reach"]
        .astype(float)
    )


def test_a_faster_response_gives_lower_negative_reach():
    assert lower(
        negative_reach(crisis(response_time=1), 1), negative_reach(crisis(response_time=6), 2)
    )


def test_a_broader_response_gives_lower_negative_reach():
    assert lower(
        negative_reach(crisis(response_rate=0.9), 3), negative_reach(crisis(response_rate=0.2), 4)
    )


def test_without_persistence_the_crisis_spreads_like_a_plain_cascade():
    seeds = {"strategy": "nodes", "nodes": ["3", "70", "900"]}
    content = {"visibility": 0.9, "appeal": 0.6, "stickiness": 0.3}
    negative = crisis(persistence=0.0, seeding=seeds, response_rate=1.0, **content)
    plain = make_scenario(NETWORK, content=content, seeding=seeds, steps=25)
    x = simulate(negative, runs=400, seed=5, metrics=["negative_sharers"]).values[
        "negative_sharers"
    ]
    y = simulate(plain, runs=400, seed=6, metrics=["sharers"]).values["sharers"]
    se = math.sqrt(x.var(ddof=1) / len(x) + y.var(ddof=1) / len(y))
    assert abs(x.mean() - y.mean()) < 4 * se
    assert stats.ks_2samp(x, y).pvalue > 1e-3


def test_answers_come_response_time_steps_after_each_complaint():
    result = simulate(crisis(response_time=3), runs=40, seed=7)
    answered = result.values["responses"] > 0
    assert answered.all()
    assert np.all(result.values["mean_response_time"] == 3.0)


def test_with_a_capacity_complaints_wait_and_at_most_that_many_are_answered_a_step():
    capacity = 2
    model = WordOfMouthModel(
        crisis(response_capacity=capacity, response_time=1), seed=8, space=False
    )
    while model.running:
        model.step()
    answered = model.datacollector.get_model_vars_dataframe()["responses"].to_numpy()
    assert np.all(np.diff(answered) <= capacity)
    limited = simulate(crisis(response_capacity=capacity, response_time=1), runs=30, seed=9)
    assert np.all(limited.values["mean_response_time"] >= 1.0)
    assert limited.values["mean_response_time"].mean() > 1.5


def test_the_realised_response_rate_is_the_response_rate():
    # No persistence: cascades end, every complaint falls due and is answered with P(rate).
    rate = 0.6
    result = simulate(crisis(persistence=0.0, response_rate=rate), runs=200, seed=10)
    answered = result.values["responses"].sum()
    complaints = result.values["negative_sharers"].sum()
    se = math.sqrt(rate * (1 - rate) / complaints)
    assert abs(answered / complaints - rate) < 4 * se


@pytest.mark.parametrize(("neutralize", "share"), [(0.0, 0.0), (1.0, 1.0)])
def test_answered_people_are_won_back_with_probability_neutralize(neutralize, share):
    result = simulate(crisis(neutralize=neutralize), runs=20, seed=11)
    np.testing.assert_array_equal(result.values["neutralized"], share * result.values["responses"])


def test_people_who_saw_the_crisis_engage_less_with_the_brand():
    # The crisis reaches many people first; the brand's post goes out at step 3.
    def brand_sharers(impact, seed):
        scenario = crisis(impact=impact, persistence=0.0, appeal=0.9, stickiness=0.6)
        scenario = scenario.with_overrides({"posts": [{"name": "late", "start": 3}]})
        return (
            simulate(scenario, runs=200, seed=seed, metrics=["sharers"])
            .values["sharers"]
            .astype(float)
        )

    assert lower(brand_sharers(0.1, 12), brand_sharers(1.0, 13))


def test_net_sentiment_is_a_balance_between_minus_one_and_one():
    result = simulate(crisis(neutralize=0.5), runs=30, seed=14)
    sentiment = result.values["net_sentiment"]
    assert np.all((sentiment >= -1) & (sentiment <= 1))
    assert sentiment.mean() < 0  # a persistent crisis outweighs the brand here


def test_the_model_shows_people_who_saw_the_crisis_as_negative():
    model = WordOfMouthModel(crisis(), seed=15, space=False)
    for _ in range(5):
        model.step()
    states = model.states()
    negative = int(np.sum(states == STATES.index("negative")))
    assert negative > 0
    person = int(np.flatnonzero(states == STATES.index("negative"))[0])
    assert model.consumers[person].state == "negative"
    assert model.consumers[person].negative


def test_crisis_metrics_exist_only_with_a_crisis():
    plain = make_scenario(NETWORK)
    assert "negative_reach" not in simulate(plain, runs=1).values
    assert "negative_reach" in simulate(crisis(), runs=1).values
