"""A content calendar: several posts, each with its own content and start step.

A post spreads the same way whenever it starts (its age counts from its start); the brand's
metrics count distinct people across its posts; each post has its own metrics.
"""

from __future__ import annotations

import math

import numpy as np
from helpers import make_scenario
from scipy import stats

from simulation.engine import simulate

NETWORK = {"kind": "barabasi_albert", "n": 1500, "m": 3, "seed": 2}
SEEDS = {"strategy": "nodes", "nodes": ["1", "40", "300", "777"]}
CONTENT = {"visibility": 0.8, "appeal": 0.6, "stickiness": 0.3, "half_life": 3.0}


def calendar(*posts, **tables):
    return make_scenario(
        NETWORK, content=CONTENT, seeding=SEEDS, posts=list(posts), steps=60, **tables
    )


def test_a_later_post_spreads_like_the_same_post_at_step_zero():
    scenario = calendar({"name": "early"}, {"name": "late", "start": 7})
    values = simulate(scenario, runs=400, seed=1, metrics=None).values
    x, y = values["sharers[post:early]"], values["sharers[post:late]"]
    se = math.sqrt(x.var(ddof=1) / len(x) + y.var(ddof=1) / len(y))
    assert abs(x.mean() - y.mean()) < 4 * se
    assert stats.ks_2samp(x, y).pvalue > 1e-3


def test_a_post_goes_out_at_its_start_step():
    scenario = calendar({"name": "early"}, {"name": "late", "start": 7})
    line = simulate(scenario, runs=20, seed=2).timeline["sharers[post:late]"]
    assert np.all(line[:7] == 0)
    assert line[7] == len(SEEDS["nodes"])  # its seeds share it at step 7


def test_the_brand_counts_distinct_people_across_its_posts():
    scenario = calendar({"name": "a"}, {"name": "b", "start": 2}, {"name": "c", "start": 4})
    values = simulate(scenario, runs=30, seed=3).values
    for name in ("sharers", "reach", "engaged_people", "earned_reach"):
        posts = np.stack([values[f"{name}[post:{p}]"] for p in "abc"])
        assert np.all(values[name] >= posts.max(axis=0)), name
        assert np.all(values[name] <= posts.sum(axis=0)), name
    for name in ("impressions", "engagements", "shares", "clicks", "conversions", "mentions"):
        total = sum(values[f"{name}[post:{p}]"] for p in "abc")
        np.testing.assert_array_equal(values[name], total, err_msg=name)
    assert np.all(values["sharers"] < sum(values[f"sharers[post:{p}]"] for p in "abc"))


def test_a_post_overrides_the_content_it_names():
    scenario = calendar({"name": "dull", "appeal": 0.0}, {"name": "fine"})
    values = simulate(scenario, runs=10, seed=4).values
    assert np.all(values["sharers[post:dull]"] == len(SEEDS["nodes"]))
    assert values["sharers[post:fine]"].mean() > len(SEEDS["nodes"])


def test_a_post_with_its_own_seeding_is_posted_by_those_people():
    own = {"strategy": "nodes", "nodes": ["5", "6"]}
    scenario = calendar({"name": "main"}, {"name": "guest", "seeding": own, "stickiness": 0.0})
    values = simulate(scenario, runs=5, seed=5).values
    assert values["sharers[post:guest]"].tolist() == [2] * 5


def test_without_posts_there_are_no_per_post_metrics():
    values = simulate(make_scenario(NETWORK, seeding=SEEDS), runs=2, seed=6).values
    assert not any("[post:" in name for name in values)
