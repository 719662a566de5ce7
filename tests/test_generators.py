"""Compiled generators: the same random graphs as networkx's, simple, and named by the seed.

Faithfulness is checked two ways: on tiny graphs, how often each pair of people is tied (the
whole distribution of graphs, pair by pair) against networkx's generator; on graphs of a few
thousand people, degree and clustering statistics over independent graphs, with tolerances
from their standard errors. Also the CSR builder against numpy's lexsort and the lazy labels.
"""

from __future__ import annotations

import random

import networkx as nx
import numpy as np
import pytest
from helpers import make_scenario
from scipy import stats

from simulation import generators
from simulation.errors import ScenarioError
from simulation.network import IntegerLabels, build_graph

Z = 4.5  # two-sided tail 7e-6 per comparison: a faithful generator fails once in ~10^4 runs


def rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def to_networkx(ties: tuple[np.ndarray, np.ndarray], n: int) -> nx.Graph:
    graph = nx.empty_graph(n)
    graph.add_edges_from(zip(ties[0].tolist(), ties[1].tolist(), strict=True))
    return graph


def assert_simple(ties: tuple[np.ndarray, np.ndarray], n: int) -> None:
    """int32 ends within 0..n-1, no self-loops, no tie listed twice (in either direction)."""
    src, dst = ties
    assert src.dtype == np.int32
    assert dst.dtype == np.int32
    assert len(src) == len(dst)
    if len(src):
        assert min(src.min(), dst.min()) >= 0
        assert max(src.max(), dst.max()) < n
    assert not np.any(src == dst)
    keys = np.minimum(src, dst).astype(np.int64) * n + np.maximum(src, dst)
    assert len(np.unique(keys)) == len(keys)


def pair_frequencies(graphs: list[nx.Graph], n: int) -> np.ndarray:
    """Fraction of the graphs in which each pair (u < v) is tied."""
    counts = np.zeros((n, n))
    for graph in graphs:
        for u, v in graph.edges():
            counts[min(u, v), max(u, v)] += 1
    return counts[np.triu_indices(n, 1)] / len(graphs)


def assert_same_pair_frequencies(ours: list[nx.Graph], theirs: list[nx.Graph], n: int) -> None:
    """Two-sample test per pair of people: tied equally often in both samples of graphs."""
    a = pair_frequencies(ours, n)
    b = pair_frequencies(theirs, n)
    pooled = (a * len(ours) + b * len(theirs)) / (len(ours) + len(theirs))
    se = np.sqrt(pooled * (1 - pooled) * (1 / len(ours) + 1 / len(theirs)))
    exact = se == 0  # a pair tied always or never in both samples
    assert np.array_equal(a[exact], b[exact])
    z = np.abs(a - b)[~exact] / se[~exact]
    assert z.max() < Z, f"pair frequencies differ: {np.round(a, 3)} vs {np.round(b, 3)}"


def graph_statistics(graph: nx.Graph) -> np.ndarray:
    degrees = np.array([d for _, d in graph.degree()])
    return np.array(
        [
            graph.number_of_edges(),
            degrees.max(),
            np.mean(degrees == degrees.min()),
            degrees.var(),
            nx.average_clustering(graph),
            nx.transitivity(graph),
        ]
    )


STATISTICS = (
    "ties",
    "max degree",
    "share at min degree",
    "degree variance",
    "clustering",
    "transitivity",
)


def assert_same_statistics(ours: list[nx.Graph], theirs: list[nx.Graph]) -> None:
    """Means over independent graphs agree within Z standard errors, statistic by statistic."""
    a = np.array([graph_statistics(g) for g in ours])
    b = np.array([graph_statistics(g) for g in theirs])
    se = np.sqrt(a.var(axis=0, ddof=1) / len(a) + b.var(axis=0, ddof=1) / len(b))
    for name, x, y, s in zip(STATISTICS, a.mean(axis=0), b.mean(axis=0), se, strict=True):
        assert abs(x - y) <= Z * s, f"{name}: {x:.4g} vs networkx {y:.4g} (s.e. {s:.2g})"


def assert_same_degree_distribution(ours: list[nx.Graph], theirs: list[nx.Graph]) -> None:
    """Kolmogorov-Smirnov on the pooled degree sequences (discrete, so the test is conservative)."""
    a = np.concatenate([[d for _, d in g.degree()] for g in ours])
    b = np.concatenate([[d for _, d in g.degree()] for g in theirs])
    assert stats.ks_2samp(a, b).pvalue > 1e-4


# --------------------------------------------------------------------------- Barabasi-Albert


def test_barabasi_albert_ties_each_pair_as_often_as_networkx():
    n, m, graphs = 7, 2, 3000
    ours = [to_networkx(generators.barabasi_albert(n, m, rng(i)), n) for i in range(graphs)]
    theirs = [nx.barabasi_albert_graph(n, m, seed=i) for i in range(graphs)]
    assert_same_pair_frequencies(ours, theirs, n)


def test_barabasi_albert_degrees_and_clustering_match_networkx():
    n, m, graphs = 2000, 3, 30
    ours = [to_networkx(generators.barabasi_albert(n, m, rng(i)), n) for i in range(graphs)]
    theirs = [nx.barabasi_albert_graph(n, m, seed=i) for i in range(graphs)]
    assert_same_statistics(ours, theirs)
    assert_same_degree_distribution(ours, theirs)


def test_barabasi_albert_has_m_ties_per_newcomer_and_is_connected():
    for n, m in [(2, 1), (4, 3), (50, 1), (300, 4)]:
        ties = generators.barabasi_albert(n, m, rng(n))
        assert_simple(ties, n)
        assert len(ties[0]) == m * (n - m)
        assert nx.is_connected(to_networkx(ties, n))
    star = to_networkx(generators.barabasi_albert(6, 5, rng(0)), 6)  # n = m + 1: the star
    assert dict(star.degree()) == {0: 5, 1: 1, 2: 1, 3: 1, 4: 1, 5: 1}


# --------------------------------------------------------------------------- Erdos-Renyi


def test_erdos_renyi_ties_each_pair_independently_with_probability_p():
    n, p, graphs = 7, 0.3, 4000
    counts = np.zeros((n, n))
    ties_per_graph = []
    for i in range(graphs):
        src, dst = generators.erdos_renyi(n, p, rng(i))
        np.add.at(counts, (np.minimum(src, dst), np.maximum(src, dst)), 1)
        ties_per_graph.append(len(src))
    frequency = counts[np.triu_indices(n, 1)] / graphs
    se = np.sqrt(p * (1 - p) / graphs)
    assert np.abs(frequency - p).max() < Z * se
    pairs = n * (n - 1) // 2  # ties ~ Binomial(pairs, p): check the spread too
    assert abs(np.var(ties_per_graph) - pairs * p * (1 - p)) < Z * pairs * p * (1 - p) * np.sqrt(
        2 / graphs
    )


def test_erdos_renyi_degrees_match_networkx():
    n, graphs = 3000, 30
    p = 4.0 / (n - 1)
    ours = [to_networkx(generators.erdos_renyi(n, p, rng(i)), n) for i in range(graphs)]
    theirs = [nx.fast_gnp_random_graph(n, p, seed=i) for i in range(graphs)]
    assert_same_statistics(ours, theirs)
    assert_same_degree_distribution(ours, theirs)
    for graph in ours[:3]:
        src, dst = np.array(graph.edges()).T
        assert_simple((src.astype(np.int32), dst.astype(np.int32)), n)


def test_erdos_renyi_edge_cases():
    assert len(generators.erdos_renyi(1, 0.0, rng(0))[0]) == 0
    assert len(generators.erdos_renyi(50, 0.0, rng(0))[0]) == 0
    complete = generators.erdos_renyi(9, 1.0, rng(0))
    assert_simple(complete, 9)
    assert len(complete[0]) == 36
    tiny = generators.erdos_renyi(1_000_000, 1e-300, rng(0))  # jumps beyond every pair
    assert len(tiny[0]) == 0


# --------------------------------------------------------------------------- Watts-Strogatz


def test_watts_strogatz_without_rewiring_is_networkx_ring_lattice():
    for n, k in [(10, 2), (30, 6), (31, 5)]:
        ours = to_networkx(generators.watts_strogatz(n, k, 0.0, rng(1)), n)
        assert nx.utils.graphs_equal(ours, nx.watts_strogatz_graph(n, k, 0.0, seed=1))


def test_watts_strogatz_ties_each_pair_as_often_as_networkx():
    n, k, rewire, graphs = 7, 4, 0.4, 3000
    ours = [to_networkx(generators.watts_strogatz(n, k, rewire, rng(i)), n) for i in range(graphs)]
    theirs = [nx.watts_strogatz_graph(n, k, rewire, seed=i) for i in range(graphs)]
    assert_same_pair_frequencies(ours, theirs, n)


def test_watts_strogatz_degrees_and_clustering_match_networkx():
    n, k, rewire, graphs = 2000, 6, 0.2, 30
    ours = [to_networkx(generators.watts_strogatz(n, k, rewire, rng(i)), n) for i in range(graphs)]
    theirs = [nx.watts_strogatz_graph(n, k, rewire, seed=i) for i in range(graphs)]
    assert_same_statistics(ours, theirs)
    assert_same_degree_distribution(ours, theirs)


def test_watts_strogatz_keeps_ties_simple_and_skips_people_tied_to_everyone():
    for n, k, rewire in [(500, 10, 1.0), (12, 10, 0.7), (3, 2, 1.0)]:
        ties = generators.watts_strogatz(n, k, rewire, rng(n))
        assert_simple(ties, n)
        assert len(ties[0]) == n * (k // 2)
    # each person is tied to the other four: nothing can be rewired, the graph stays complete
    full = to_networkx(generators.watts_strogatz(5, 4, 1.0, rng(0)), 5)
    assert nx.utils.graphs_equal(full, nx.complete_graph(5))


# --------------------------------------------------------------------------- Holme-Kim


def holme_kim_reference(
    n: int, m: int, triangle_p: float, seed: int, order=lambda candidates: candidates
) -> nx.Graph:
    """The code of networkx's ``powerlaw_cluster_graph``, candidates taken in the order drawn.

    networkx keeps the m preferential-attachment candidates in a ``set`` and pops them in hash
    order, which for small integers favours the oldest people (person 0 is popped first whenever
    it is a candidate). The model (Holme & Kim 2002) makes each attachment step a fresh
    preferential draw, i.e. the candidates in the order they are drawn, as the compiled
    generator does; apart from that order this is networkx's code. ``order`` rearranges each
    newcomer's candidates before they are taken (by default they stay in the order drawn).
    """
    draw = random.Random(seed)
    graph = nx.empty_graph(m)
    repeated = list(graph)
    for source in range(m, n):
        candidates: list[int] = []
        while len(candidates) < m:
            x = draw.choice(repeated)
            if x not in candidates:
                candidates.append(x)
        candidates = order(candidates)
        target = candidates.pop(0)
        graph.add_edge(source, target)
        repeated.append(target)
        count = 1
        while count < m:
            if draw.random() < triangle_p:
                nearby = [
                    w
                    for w in graph.neighbors(target)
                    if not graph.has_edge(source, w) and w != source
                ]
                if nearby:
                    w = draw.choice(nearby)
                    graph.add_edge(source, w)
                    repeated.append(w)
                    count += 1
                    continue
            target = candidates.pop(0)
            graph.add_edge(source, target)
            repeated.append(target)
            count += 1
        repeated.extend([source] * m)
    return graph


def test_powerlaw_cluster_ties_each_pair_as_often_as_the_model():
    n, m, triangle_p, graphs = 8, 3, 0.8, 3000
    ours = [
        to_networkx(generators.powerlaw_cluster(n, m, triangle_p, rng(i)), n) for i in range(graphs)
    ]
    theirs = [holme_kim_reference(n, m, triangle_p, i) for i in range(graphs)]
    assert_same_pair_frequencies(ours, theirs, n)


def test_powerlaw_cluster_degrees_and_clustering_match_the_model():
    n, m, triangle_p, graphs = 1500, 3, 0.7, 25
    ours = [
        to_networkx(generators.powerlaw_cluster(n, m, triangle_p, rng(i)), n) for i in range(graphs)
    ]
    theirs = [holme_kim_reference(n, m, triangle_p, i) for i in range(graphs)]
    assert_same_statistics(ours, theirs)
    assert_same_degree_distribution(ours, theirs)


def test_powerlaw_cluster_without_triangles_matches_networkx():
    # with triangle_p = 0 every candidate is tied, so the order they are taken in is moot
    n, m, graphs = 1500, 3, 25
    ours = [to_networkx(generators.powerlaw_cluster(n, m, 0.0, rng(i)), n) for i in range(graphs)]
    theirs = [nx.powerlaw_cluster_graph(n, m, 0.0, seed=i) for i in range(graphs)]
    assert_same_statistics(ours, theirs)
    assert_same_degree_distribution(ours, theirs)


def test_reference_is_networkx_code_but_for_the_candidate_order():
    # taking the candidates in CPython's set order gives networkx's very graph for the seed
    for seed in range(5):
        ours = holme_kim_reference(200, 3, 0.6, seed, order=lambda c: list(set(c)))
        assert nx.utils.graphs_equal(ours, nx.powerlaw_cluster_graph(200, 3, 0.6, seed=seed))


def test_powerlaw_cluster_edge_cases():
    for n, m, triangle_p in [(2, 1, 1.0), (5, 4, 1.0), (60, 1, 1.0), (300, 5, 1.0), (300, 5, 0.0)]:
        ties = generators.powerlaw_cluster(n, m, triangle_p, rng(n))
        assert_simple(ties, n)
        assert len(ties[0]) <= m * (n - m)
        assert nx.is_connected(to_networkx(ties, n))
    # without triangles every newcomer ties to m distinct people: exactly m (n - m) ties
    assert len(generators.powerlaw_cluster(300, 5, 0.0, rng(3))[0]) == 5 * 295


# --------------------------------------------------------------------------- stochastic block


def test_stochastic_block_ties_within_and_between_blocks_like_networkx():
    sizes = np.array([300, 500, 200])
    probs = np.array([[0.02, 0.002, 0.004], [0.002, 0.01, 0.001], [0.004, 0.001, 0.03]])
    starts = np.concatenate([[0], np.cumsum(sizes)])
    block = np.repeat(np.arange(3), sizes)
    graphs = 20
    counts = np.zeros((graphs, 3, 3))
    for i in range(graphs):
        src, dst = generators.stochastic_block(sizes, probs, rng(i))
        assert_simple((src, dst), int(sizes.sum()))
        np.add.at(counts[i], (block[src], block[dst]), 1)
    counts = counts + counts.transpose(0, 2, 1) - counts * np.eye(3)  # ties between i, j as one
    for i in range(3):
        for j in range(i, 3):
            pairs = sizes[i] * (sizes[i] - 1) / 2 if i == j else sizes[i] * sizes[j]
            mean = pairs * probs[i, j]
            se = np.sqrt(pairs * probs[i, j] * (1 - probs[i, j]) / graphs)
            assert abs(counts[:, i, j].mean() - mean) < Z * se
    n = int(starts[-1])
    ours = [
        to_networkx(generators.stochastic_block(sizes, probs, rng(i)), n) for i in range(graphs)
    ]
    theirs = [
        nx.stochastic_block_model(sizes.tolist(), probs.tolist(), seed=i) for i in range(graphs)
    ]
    assert_same_statistics(ours, theirs)


# --------------------------------------------------------------------------- seeds


GENERATORS = {
    "erdos_renyi": lambda r: generators.erdos_renyi(500, 0.01, r),
    "barabasi_albert": lambda r: generators.barabasi_albert(500, 3, r),
    "watts_strogatz": lambda r: generators.watts_strogatz(500, 6, 0.3, r),
    "powerlaw_cluster": lambda r: generators.powerlaw_cluster(500, 3, 0.5, r),
    "stochastic_block": lambda r: generators.stochastic_block(
        np.array([200, 300]), np.array([[0.03, 0.002], [0.002, 0.02]]), r
    ),
}


@pytest.mark.parametrize("name", GENERATORS)
def test_a_seed_names_one_graph(name):
    generate = GENERATORS[name]
    first, again, other = generate(rng(11)), generate(rng(11)), generate(rng(12))
    np.testing.assert_array_equal(first[0], again[0])
    np.testing.assert_array_equal(first[1], again[1])
    assert not (np.array_equal(first[0], other[0]) and np.array_equal(first[1], other[1]))


def test_scenario_graph_is_drawn_from_the_network_seed():
    graph = build_graph(make_scenario({"kind": "barabasi_albert", "n": 400, "m": 2, "seed": 9}))
    src, dst = generators.barabasi_albert(400, 2, rng(9))
    indptr, indices, _ = generators.csr_from_arcs(400, src, dst, True)
    np.testing.assert_array_equal(graph.indptr, indptr)
    np.testing.assert_array_equal(graph.indices, indices)


def test_scenario_rejects_as_many_ties_as_people():
    for network in (
        {"kind": "barabasi_albert", "n": 3, "m": 3},
        {"kind": "powerlaw_cluster", "n": 4, "m": 5, "triangle_p": 0.5},
        {"kind": "watts_strogatz", "n": 4, "k": 4, "rewire": 0.1},
    ):
        with pytest.raises(ScenarioError):
            make_scenario(network)


@pytest.mark.parametrize(
    "network",
    [
        {"kind": "erdos_renyi", "n": 1_000_000, "mean_degree": 500_000},
        {"kind": "barabasi_albert", "n": 50_000_000, "m": 10},
        {"kind": "watts_strogatz", "n": 40_000_000, "k": 6, "rewire": 0.1},
        {"kind": "powerlaw_cluster", "n": 30_000_000, "m": 4, "triangle_p": 0.1},
        {"kind": "stochastic_block", "n": 200_000, "mean_degree": 1001.0, "homophily": 0.5},
    ],
    ids=lambda network: network["kind"],
)
def test_a_graph_too_large_to_build_is_a_scenario_error(network):
    with pytest.raises(ScenarioError, match="ties") as error:
        build_graph(make_scenario(network))
    assert error.value.problems[0].key == "network"


# --------------------------------------------------------------------------- CSR


@pytest.mark.parametrize("both_ways", [True, False])
def test_csr_rows_are_sorted_and_hold_every_arc(both_ways):
    generator = rng(5)
    n = 300
    src = generator.integers(0, n, 20_000).astype(np.int32)
    dst = generator.integers(0, n, 20_000).astype(np.int32)
    src[:500] = 7  # one long row, out of order, to take the merge-sort path
    indptr, indices, order = generators.csr_from_arcs(n, src, dst, both_ways)
    all_src = np.concatenate([src, dst]) if both_ways else src
    all_dst = np.concatenate([dst, src]) if both_ways else dst
    expected = np.lexsort((all_dst, all_src))
    np.testing.assert_array_equal(indices, all_dst[expected])
    np.testing.assert_array_equal(all_src[order], all_src[expected])
    np.testing.assert_array_equal(all_dst[order], indices)
    np.testing.assert_array_equal(
        indptr, np.concatenate([[0], np.cumsum(np.bincount(all_src, minlength=n))])
    )
    assert np.array_equal(np.sort(order), np.arange(len(all_src)))


def test_csr_of_an_edge_list_carries_the_weights(write):
    path = write("ties.txt", "c a 3\na b 1\nb c 2\n")
    graph = build_graph(make_scenario({"kind": "edge_list", "path": str(path)}))
    src = np.repeat(np.arange(graph.n), np.diff(graph.indptr))
    weight = {
        (graph.labels[u], graph.labels[v]): w
        for u, v, w in zip(src, graph.indices, graph.weights, strict=True)
    }
    assert weight == {
        ("c", "a"): 3.0,
        ("a", "c"): 3.0,
        ("a", "b"): 1.0,
        ("b", "a"): 1.0,
        ("b", "c"): 2.0,
        ("c", "b"): 2.0,
    }


# --------------------------------------------------------------------------- labels


def test_integer_labels_act_like_a_list_of_strings():
    labels = IntegerLabels(12)
    assert len(labels) == 12
    assert labels[0] == "0"
    assert labels[np.int64(11)] == "11"
    assert labels[-1] == "11"
    assert list(labels) == [str(i) for i in range(12)]
    assert labels[2:5].tolist() == ["2", "3", "4"]
    assert labels.tolist() == [str(i) for i in range(12)]
    assert np.asarray(labels).tolist() == [str(i) for i in range(12)]
    assert "7" in labels
    assert labels.index("7") == 7
    with pytest.raises(IndexError):
        labels[12]


@pytest.mark.parametrize(
    "label", ["12", "-1", "007", " 3", "3 ", "+3", "3.0", "١", "", "x", "9" * 40]
)
def test_integer_labels_find_only_the_exact_decimal_name(label):
    assert IntegerLabels(12).index_of(label) is None
    assert label not in IntegerLabels(12)


def test_generated_graph_labels_and_index_of():
    graph = build_graph(make_scenario({"kind": "barabasi_albert", "n": 50, "m": 2}))
    assert isinstance(graph.labels, IntegerLabels)
    assert graph.index_of("49") == 49
    assert graph.index_of(3) == 3
    assert graph.index_of("50") is None
    assert graph.index_of("03") is None
