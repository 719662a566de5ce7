"""Strong and weak ties, each with its own visibility (Goldenberg, Libai & Muller 2001).

A star seeded at its hub with n_s strong and n_w weak spokes spreads to
1 + n_s p_s + n_w p_w people in expectation, p = tie visibility x appeal x stickiness.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from helpers import make_scenario

from simulation.engine import prepare, simulate

STRONG, WEAK = 30, 50


@pytest.fixture
def two_class_star(tmp_path):
    """A star: hub h, STRONG spokes of weight 3 and WEAK spokes of weight 1."""
    lines = [f"h s{i} 3" for i in range(STRONG)] + [f"h w{i} 1" for i in range(WEAK)]
    path = tmp_path / "star.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return make_scenario(
        {"kind": "edge_list", "path": str(path)},
        content={"visibility": 1.0, "appeal": 1.0, "stickiness": 0.5},
        seeding={"strategy": "nodes", "nodes": ["h"]},
        ties={
            "strong": "weight",
            "weight_threshold": 2.0,
            "strong_visibility": 0.9,
            "weak_visibility": 0.3,
        },
    )


@pytest.mark.parametrize("metrics", [["sharers"], None])
def test_star_spreads_by_the_mixed_probability(two_class_star, metrics):
    p_strong, p_weak = 0.9 * 0.5, 0.3 * 0.5
    runs = 400
    sharers = simulate(two_class_star, runs=runs, seed=1, metrics=metrics).values["sharers"]
    variance = STRONG * p_strong * (1 - p_strong) + WEAK * p_weak * (1 - p_weak)
    expected = 1 + STRONG * p_strong + WEAK * p_weak
    assert abs(sharers.mean() - expected) < 4 * math.sqrt(variance / runs)


def test_each_class_of_tie_is_seen_with_its_own_visibility(two_class_star):
    runs = 400
    first_step = two_class_star.with_overrides({"steps": 1})  # the hub's exposures only
    impressions = simulate(first_step, runs=runs, seed=2).values["impressions"]
    variance = STRONG * 0.9 * 0.1 + WEAK * 0.3 * 0.7
    assert abs(impressions.mean() - (STRONG * 0.9 + WEAK * 0.3)) < 4 * math.sqrt(variance / runs)


def test_same_segment_ties_are_the_strong_ones():
    scenario = make_scenario(
        {"kind": "stochastic_block", "n": 300, "mean_degree": 6.0, "homophily": 0.6},
        segments=[{"name": "a", "share": 0.4}, {"name": "b", "share": 0.6}],
        ties={"strong": "segment", "strong_visibility": 0.8, "weak_visibility": 0.2},
    )
    prepared = prepare(scenario)
    graph = prepared.graph
    source = np.repeat(np.arange(graph.n), np.diff(graph.indptr))
    same = graph.segment_of[source] == graph.segment_of[graph.indices]
    np.testing.assert_array_equal(prepared.arrays.tie_strong.astype(bool), same)
    assert 0 < same.mean() < 1


def test_without_ties_table_every_tie_has_the_posts_visibility():
    scenario = make_scenario({"kind": "star", "n": 50})
    assert prepare(scenario).arrays.tie_strong.shape == (0,)
