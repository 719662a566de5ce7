"""Networks: every kind builds, seeded; edge lists parse; segments and homophily."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import make_scenario

from simulation.errors import ScenarioError
from simulation.network import build_graph, read_edge_list

KINDS = [
    {"kind": "erdos_renyi", "n": 500, "mean_degree": 4.0},
    {"kind": "barabasi_albert", "n": 500, "m": 3},
    {"kind": "watts_strogatz", "n": 500, "k": 6, "rewire": 0.1},
    {"kind": "powerlaw_cluster", "n": 500, "m": 3, "triangle_p": 0.5},
    {"kind": "stochastic_block", "n": 500, "mean_degree": 6.0, "homophily": 0.8},
    {"kind": "complete", "n": 40},
    {"kind": "path", "n": 50},
    {"kind": "star", "n": 50},
    {"kind": "karate"},
    {"kind": "les_miserables"},
    {"kind": "florentine_families"},
    {"kind": "davis_southern_women"},
    {"kind": "closed_circles", "n": 500},
    {"kind": "public_followers", "n": 500, "audience": "mutual"},
]


@pytest.mark.parametrize("network", KINDS, ids=[k["kind"] for k in KINDS])
def test_every_kind_builds_a_symmetric_csr_graph(network):
    graph = build_graph(make_scenario(network))
    assert graph.indptr[0] == 0
    assert graph.indptr[-1] == len(graph.indices)
    assert np.all(np.diff(graph.indptr) >= 0)
    src = np.repeat(np.arange(graph.n), np.diff(graph.indptr))
    arcs = set(zip(src.tolist(), graph.indices.tolist(), strict=True))
    assert all((v, u) in arcs for u, v in arcs)  # undirected: both directions
    assert all(u != v for u, v in arcs)
    assert len(graph.labels) == graph.n


@pytest.mark.parametrize("network", KINDS[:5], ids=[k["kind"] for k in KINDS[:5]])
def test_generated_graphs_are_named_by_the_seed(network):
    same = [build_graph(make_scenario(network, seed=4)) for _ in range(2)]
    other = build_graph(make_scenario(network, seed=5))
    np.testing.assert_array_equal(same[0].indices, same[1].indices)
    assert not np.array_equal(same[0].indices, other.indices)
    pinned = build_graph(make_scenario({**network, "seed": 4}, seed=99))
    np.testing.assert_array_equal(pinned.indices, same[0].indices)


def test_classic_graphs_keep_their_labels():
    graph = build_graph(make_scenario({"kind": "les_miserables"}))
    assert graph.index_of("Valjean") is not None
    star = build_graph(make_scenario({"kind": "star", "n": 6}))
    assert star.out_degree[0] == 5


def test_segments_get_exact_shares():
    scenario = make_scenario(
        {"kind": "erdos_renyi", "n": 1001, "mean_degree": 3.0},
        segments=[{"name": "a", "share": 0.25}, {"name": "b", "share": 0.75}],
    )
    graph = build_graph(scenario)
    assert np.bincount(graph.segment_of).tolist() == [250, 751]
    assert graph.segment_names == ["a", "b"]


def test_stochastic_block_is_homophilous():
    scenario = make_scenario(
        {"kind": "stochastic_block", "n": 4000, "mean_degree": 8.0, "homophily": 0.9},
        segments=[
            {"name": "a", "share": 0.5},
            {"name": "b", "share": 0.3},
            {"name": "c", "share": 0.2},
        ],
    )
    graph = build_graph(scenario)
    src = np.repeat(np.arange(graph.n), np.diff(graph.indptr))
    within = np.mean(graph.segment_of[src] == graph.segment_of[graph.indices])
    arcs = len(graph.indices)
    se = np.sqrt(0.9 * 0.1 / (arcs / 2))
    assert abs(within - 0.9) < 4 * se + 0.01  # 0.01: blocks of unequal size shift p_out
    assert abs(arcs / graph.n - 8.0) < 0.5


def test_edge_list_formats_comments_weights_and_labels(tmp_path):
    path = tmp_path / "ties.csv"
    path.write_text(
        "# who follows whom\n"
        "alice, bob\n"
        "bob carol 2.5   # strong tie\n"
        "\n"
        "carol,alice,0.5\n"
        "dave\teve\n",
        encoding="utf-8",
    )
    labels, src, dst, weights, warnings = read_edge_list(path)
    assert labels.tolist() == ["alice", "bob", "carol", "dave", "eve"]
    assert list(zip(src.tolist(), dst.tolist(), strict=True)) == [(0, 1), (1, 2), (2, 0), (3, 4)]
    assert weights.tolist() == [1.0, 2.5, 0.5, 1.0]
    assert warnings == []


def test_edge_list_self_loops_and_duplicates_are_dropped_and_reported(tmp_path):
    path = tmp_path / "ties.txt"
    path.write_text("a b\na a\nb a\nc c\na b\n", encoding="utf-8")
    _labels, src, _dst, _w, warnings = read_edge_list(path)
    assert len(src) == 1
    assert "2 self-loop(s) (first at line 2)" in warnings[0]
    assert "2 repeated tie(s) (first at line 3)" in warnings[1]
    _labels, src, _dst, _w, warnings = read_edge_list(path, directed=True)
    assert len(src) == 2  # a->b and b->a are different ties when directed


def test_directed_edge_list_spreads_one_way(tmp_path):
    (tmp_path / "ties.txt").write_text("hub a\nhub b\nc hub\n", encoding="utf-8")
    scenario = make_scenario(
        {"kind": "edge_list", "path": "ties.txt", "directed": True},
        content={"visibility": 1.0, "appeal": 1.0, "stickiness": 1.0},
        seeding={"strategy": "nodes", "nodes": ["hub"]},
    ).model_copy(update={"base_dir": str(tmp_path)})
    from simulation.engine import simulate

    assert simulate(scenario, runs=1).values["sharers"][0] == 3  # hub, a, b; not c


@pytest.mark.parametrize(
    ("text", "fragment", "line"),
    [
        ("a b\nb\n", "found 1 fields", 2),
        ("a b 1 2\n", "found 4 fields", 1),
        ("a b -1\n", "positive", 1),
        ("a b nan\n", "positive", 1),
        ("# only comments\n\n", "no ties", None),
    ],
)
def test_malformed_edge_lists(tmp_path, text, fragment, line):
    path = tmp_path / "ties.txt"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        read_edge_list(path)
    problem = info.value.problems[0]
    assert fragment in problem.message
    assert problem.line == line
    assert problem.source == str(path)


def test_edge_list_not_utf8_names_the_line(tmp_path):
    path = tmp_path / "ties.txt"
    path.write_bytes(b"a b\nc \xff\n")
    with pytest.raises(ScenarioError) as info:
        read_edge_list(path)
    assert info.value.problems[0].line == 2
