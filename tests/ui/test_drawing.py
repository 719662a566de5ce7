"""What the live view draws: samples, positions, cascade trees and their structural virality."""

from __future__ import annotations

import numpy as np
import pytest

from simulation.engine import simulate
from simulation.network import build_graph
from simulation.scenario import parse_scenario
from simulation.ui.drawing import (
    cascade_tree,
    drawn_people,
    induced_ties,
    layout,
    structural_virality,
    tree_layout,
)
from simulation.ui.live import LiveCascade


def _scenario(n=3000, **content):
    return parse_scenario(
        {
            "name": "t",
            "seed": 3,
            "steps": 40,
            "network": {"kind": "barabasi_albert", "n": n, "m": 3},
            "content": {"visibility": 1.0, "appeal": 0.5, "stickiness": 0.5, **content},
            "seeding": {"strategy": "degree", "budget": 1},
        }
    )


@pytest.mark.parametrize("n", [2, 3, 10, 57])
def test_structural_virality_of_a_star_is_2_n_minus_1_over_n(n):
    parent = np.array([-1] + [0] * (n - 1))
    assert structural_virality(parent) == pytest.approx(2 * (n - 1) / n)


@pytest.mark.parametrize("n", [2, 3, 10, 57])
def test_structural_virality_of_a_chain_is_n_plus_1_over_3(n):
    parent = np.arange(-1, n - 1)
    assert structural_virality(parent) == pytest.approx((n + 1) / 3)


def test_structural_virality_of_a_single_node_is_zero():
    assert structural_virality(np.array([-1])) == 0.0


def test_drawn_people_are_bounded_include_the_seeds_and_are_stable():
    graph = build_graph(_scenario())
    seeds = np.array([5, 17, 2000])
    people = drawn_people(graph, seeds, limit=500)
    assert len(people) == 500
    assert set(seeds) <= set(people.tolist())
    assert np.array_equal(people, drawn_people(graph, seeds, limit=500))
    assert len(drawn_people(graph, seeds, limit=10_000)) == graph.n


def test_layout_is_in_the_unit_square_and_cached():
    graph = build_graph(_scenario(n=400))
    people = drawn_people(graph, np.array([0]), limit=400)
    first = layout(graph, people)
    assert first.xy.shape == (400, 2)
    assert first.xy.min() >= 0.0
    assert first.xy.max() <= 1.0
    assert len(first.ties) == graph.edges
    assert layout(graph, people).xy is first.xy  # computed once per graph


def test_induced_ties_join_only_drawn_people():
    graph = build_graph(_scenario(n=400))
    people = np.arange(0, 400, 2)
    ties = induced_ties(graph, people)
    full = {tuple(sorted(e)) for e in graph.to_networkx().edges}
    assert all(tuple(sorted((people[a], people[b]))) in full for a, b in ties)


def test_tree_of_the_only_seed_matches_the_engines_structural_virality():
    scenario = _scenario()
    live = LiveCascade(scenario, run=0)
    while live.model.running:
        live.step()
    tree = live.tree(int(live.seeds[0]))
    engine = simulate(scenario, runs=1, metrics=["structural_virality", "sharers"])
    assert tree.size == engine.values["sharers"][0]
    assert tree.virality == pytest.approx(engine.values["structural_virality"][0])
    assert tree.parent[0] == -1
    assert np.all(tree.parent[1:] < np.arange(1, tree.size))
    assert np.all(tree.depth[1:] == tree.depth[tree.parent[1:]] + 1)


def test_every_sharer_has_a_root_among_the_seeds():
    live = LiveCascade(_scenario(n=1500).with_overrides({"seeding.budget": 5}), run=1)
    for _ in range(5):
        live.step()
    sharers = [c.person for c in live.model.consumers if c.shared]
    seeds = set(live.seeds.tolist())
    assert all(live.root_of(p) in seeds for p in sharers)
    assert sum(live.tree_sizes().values()) == len(sharers) == live.model.counts()["sharers"]
    unaware = np.flatnonzero(live.model.states() == 0)
    if len(unaware):
        assert live.root_of(int(unaware[0])) is None


def test_tree_layout_puts_children_below_their_parent():
    parent = np.array([-1, 0, 0, 1, 1, 2])
    xy = tree_layout(parent)
    assert np.all(xy[1:, 1] > xy[parent[1:], 1])
    assert xy.min() >= 0
    assert xy.max() <= 1


def test_cascade_tree_of_a_non_sharer_is_just_that_person():
    live = LiveCascade(_scenario(n=300), run=0)
    state = live.model.state
    outsider = int(np.flatnonzero(live.model.states() == 0)[0])
    tree = cascade_tree(state, outsider)
    assert tree.size == 1
    assert tree.virality == 0.0
