"""Platforms: public follower graphs and closed circles, their structure and who sees shares.

Structure is checked against the models' theory with tolerances from standard errors: the share
of connected pairs who follow each other is the follow-back probability; followers have a
power-law tail whose exponent the attachment sets, heavier than that of the people one follows;
closed circles cluster far above a random graph of the same degree, and disjoint circles of
density 1 are cliques of the drawn sizes. Mutual-only audiences are checked exactly through the
kernel. Generators are pure functions of the seed; bad keys are scenario errors naming the key.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from helpers import make_scenario, wom

from simulation import generators
from simulation.engine import simulate
from simulation.errors import ScenarioError
from simulation.network import build_graph

Z = 4.5  # two-sided tail 7e-6 per comparison


def rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def arc_set(src: np.ndarray, dst: np.ndarray, n: int) -> np.ndarray:
    return np.unique(src.astype(np.int64) * n + dst)


def tail_exponent(degrees: np.ndarray, k_min: int) -> tuple[float, float]:
    """Clauset, Shalizi & Newman (2009) discrete power-law MLE above k_min, and its SE."""
    tail = degrees[degrees >= k_min]
    alpha = 1 + len(tail) / np.sum(np.log(tail / (k_min - 0.5)))
    return alpha, (alpha - 1) / np.sqrt(len(tail))


# --------------------------------------------------------------------------- public followers


def test_newcomers_follow_distinct_earlier_accounts_and_are_followed_back_only_by_them():
    n, follows = 3000, 4
    src, dst = generators.public_followers(n, follows, 0.8, 0.3, rng(1))
    assert src.dtype == dst.dtype == np.int32
    assert not np.any(src == dst)
    assert len(arc_set(src, dst, n)) == len(src)  # no arc twice
    newcomer_follows = src < dst  # a newcomer (dst) follows someone who joined before (src)
    per_newcomer = np.bincount(dst[newcomer_follows], minlength=n)
    np.testing.assert_array_equal(per_newcomer, np.minimum(np.arange(n), follows))
    arcs = set(arc_set(src, dst, n).tolist())
    back = ~newcomer_follows  # src joined later: a follow-back of the newcomer src
    assert all(int(d) * n + int(s) in arcs for s, d in zip(src[back], dst[back], strict=True))


@pytest.mark.parametrize("reciprocity", [0.0, 0.2, 0.6, 1.0])
def test_the_share_of_connected_pairs_following_each_other_is_the_reciprocity(reciprocity):
    n = 20_000
    src, dst = generators.public_followers(n, 5, 0.9, reciprocity, rng(2))
    mutual_arcs = len(src) - np.sum(src < dst)  # each follow-back makes one pair mutual
    pairs = np.sum(src < dst)  # each newcomer's follow starts one connected pair
    share = mutual_arcs / pairs
    se = np.sqrt(reciprocity * (1 - reciprocity) / pairs)
    assert abs(share - reciprocity) <= Z * se + 1e-12
    graph = nx.DiGraph(zip(src.tolist(), dst.tolist(), strict=True))
    # networkx counts arcs, not pairs: 2r / (1 + r) of the arcs have their reverse.
    assert nx.overall_reciprocity(graph) == pytest.approx(2 * share / (1 + share))


def test_followers_have_a_heavier_tail_than_following():
    n = 100_000
    src, dst = generators.public_followers(n, 11, 0.9, 0.2, rng(3))
    followers = np.bincount(src, minlength=n)
    following = np.bincount(dst, minlength=n)
    assert followers.mean() == following.mean()
    for k in (100, 300, 1000):
        many_followers = np.sum(followers >= k)
        many_following = np.sum(following >= k)
        # counts of rare events: Poisson standard errors
        assert many_followers - many_following > Z * np.sqrt(many_followers + many_following)
    assert followers.max() > 3 * following.max()


def test_the_followers_tail_exponent_is_set_by_attachment_and_reciprocity():
    """Rate equation: dk/dt = A k / t + ..., A = attachment / (1 + r): exponent 1 + 1 / A."""
    n = 200_000
    measured = {}
    for attachment in (0.9, 0.6):
        src, _ = generators.public_followers(n, 11, attachment, 0.2, rng(4))
        measured[attachment] = tail_exponent(np.bincount(src, minlength=n), 200)
    alpha, se = measured[0.9]
    # The MLE above k_min = 200 sits ~0.05 below the asymptotic exponent at this n (the
    # uniform share bends the distribution near k_min); the tolerance adds that bias to Z SE.
    assert abs(alpha - (1 + 1.2 / 0.9)) < Z * se + 0.05
    steeper, se_steeper = measured[0.6]
    assert steeper - alpha > Z * np.hypot(se, se_steeper)


def test_public_followers_scenario_is_directed_and_reaches_followers_only():
    scenario = make_scenario({"kind": "public_followers", "n": 2000, "follows": 3})
    graph = build_graph(scenario)
    assert graph.directed
    src, dst = generators.public_followers(2000, 3, 0.9, 0.2, rng(scenario.seed))
    # a person's shares reach their followers; they see the shares of those they follow
    np.testing.assert_array_equal(graph.out_degree, np.bincount(src, minlength=2000))
    np.testing.assert_array_equal(np.diff(graph.in_indptr), np.bincount(dst, minlength=2000))


# --------------------------------------------------------------------------- closed circles


def test_closed_circles_are_simple_and_cluster_far_above_a_random_graph():
    n = 20_000
    src, dst = generators.closed_circles(n, 2, 7.0, 0.9, 1.0, rng(5))
    assert src.dtype == dst.dtype == np.int32
    assert np.all(src < dst)
    assert len(arc_set(src, dst, n)) == len(src)
    graph = nx.Graph()
    graph.add_nodes_from(range(n))
    graph.add_edges_from(zip(src.tolist(), dst.tolist(), strict=True))
    mean_degree = 2 * len(src) / n
    clustering = nx.average_clustering(graph)
    random_clustering = mean_degree / (n - 1)  # expected clustering of G(n, p), same degree
    assert clustering > 100 * random_clustering
    # Theory for 2 circles of size s = 7 at density 0.9, ignoring overlaps, bridges and the
    # spread of sizes: 0.9 (s - 2) / (2 (s - 1) - 1) = 0.41; bridges and size spread lower it.
    assert 0.3 < clustering < 0.45
    local = np.array(list(nx.clustering(graph).values()))
    assert abs(clustering - 0.41) < 0.11 + Z * local.std() / np.sqrt(n)


def test_disjoint_circles_of_density_one_are_cliques_of_the_drawn_sizes():
    n, size = 30_000, 6.0
    src, dst = generators.closed_circles(n, 1, size, 1.0, 0.0, rng(6))
    graph = nx.Graph()
    graph.add_nodes_from(range(n))
    graph.add_edges_from(zip(src.tolist(), dst.tolist(), strict=True))
    components = [graph.subgraph(c) for c in nx.connected_components(graph)]
    sizes = np.array([c.number_of_nodes() for c in components])
    edges = np.array([c.number_of_edges() for c in components])
    np.testing.assert_array_equal(edges, sizes * (sizes - 1) // 2)  # every circle a clique
    # circles hold 2 + Poisson(size - 2) people (the last one what is left)
    full = sizes[:-1] if len(sizes) > 1 else sizes
    assert abs(full.mean() - size) < Z * np.sqrt((size - 2) / len(full)) + 1 / len(full)


def test_closed_circles_scenario_ties_are_mutual():
    graph = build_graph(make_scenario({"kind": "closed_circles", "n": 500}))
    assert not graph.directed
    np.testing.assert_array_equal(graph.indptr, graph.in_indptr)


# --------------------------------------------------------------------------- mutual audience


def test_a_share_never_travels_an_arc_that_is_not_followed_back(tmp_path):
    # a <-> b mutual; c follows b (b -> c) but b does not follow c; c <-> d mutual.
    (tmp_path / "follows.txt").write_text("a b\nb a\nb c\nc d\nd c\n", encoding="utf-8")
    results = {}
    for audience in ("followers", "mutual"):
        scenario = make_scenario(
            {"kind": "edge_list", "path": "follows.txt", "directed": True, "audience": audience},
            content={"visibility": 1.0, "appeal": 1.0, "stickiness": 1.0},
            seeding={"strategy": "nodes", "nodes": ["a"]},
        ).model_copy(update={"base_dir": str(tmp_path)})
        values = simulate(scenario, runs=20).values
        results[audience] = (set(values["sharers"]), set(values["reach"]))
    assert results["followers"] == ({4}, {4})  # a -> b -> c -> d
    assert results["mutual"] == ({2}, {2})  # a <-> b only: b -> c is not reciprocated


def test_a_mutual_audience_keeps_exactly_the_reciprocated_follows():
    network = {"kind": "public_followers", "n": 3000, "follows": 5, "reciprocity": 0.3}
    public = build_graph(make_scenario(network))
    closed = build_graph(make_scenario({**network, "audience": "mutual"}))
    assert not closed.directed
    n = public.n
    src = np.repeat(np.arange(n), np.diff(public.indptr))
    arcs = set((src.astype(np.int64) * n + public.indices).tolist())
    mutual = {a for a in arcs if (a % n) * n + a // n in arcs}
    src = np.repeat(np.arange(n), np.diff(closed.indptr))
    assert set((src.astype(np.int64) * n + closed.indices).tolist()) == mutual
    assert closed.edges == len(mutual) // 2


def test_a_mutual_audience_keeps_the_first_weight_of_each_pair(tmp_path):
    (tmp_path / "w.txt").write_text("a b 2\nb a 5\nb c 3\n", encoding="utf-8")
    scenario = make_scenario(
        {"kind": "edge_list", "path": "w.txt", "directed": True, "audience": "mutual"}
    ).model_copy(update={"base_dir": str(tmp_path)})
    graph = build_graph(scenario)
    assert graph.edges == 1
    np.testing.assert_array_equal(graph.weights, [2.0, 2.0])


# --------------------------------------------------------------------------- seeds and errors


@pytest.mark.parametrize(
    "generate",
    [
        lambda r: generators.public_followers(2000, 5, 0.8, 0.3, r),
        lambda r: generators.closed_circles(2000, 2, 6.0, 0.8, 1.0, r),
    ],
    ids=["public_followers", "closed_circles"],
)
def test_a_seed_names_one_platform_graph(generate):
    first, again, other = generate(rng(11)), generate(rng(11)), generate(rng(12))
    np.testing.assert_array_equal(first[0], again[0])
    np.testing.assert_array_equal(first[1], again[1])
    assert not (np.array_equal(first[0], other[0]) and np.array_equal(first[1], other[1]))


@pytest.mark.parametrize(
    "network", [{"kind": "public_followers", "n": 800}, {"kind": "closed_circles", "n": 800}]
)
def test_platform_scenarios_are_drawn_from_the_network_seed(network):
    same = [build_graph(make_scenario(network, seed=4)) for _ in range(2)]
    other = build_graph(make_scenario(network, seed=5))
    np.testing.assert_array_equal(same[0].indices, same[1].indices)
    assert not np.array_equal(same[0].indices, other.indices)
    pinned = build_graph(make_scenario({**network, "seed": 4}, seed=99))
    np.testing.assert_array_equal(pinned.indices, same[0].indices)


def test_the_smallest_platforms_build():
    tiny = build_graph(make_scenario({"kind": "public_followers", "n": 2, "follows": 1}))
    assert tiny.out_degree[0] == 1  # person 1 follows person 0
    pair = build_graph(
        make_scenario({"kind": "closed_circles", "n": 2, "circles": 1, "circle_size": 2.0})
    )
    assert pair.n == 2


@pytest.mark.parametrize(
    ("network", "key", "fragment"),
    [
        ({"kind": "public_followers", "n": 5, "follows": 5}, "network.follows", "follows = 5"),
        ({"kind": "public_followers", "n": 1}, "network.n", "greater than or equal to 2"),
        ({"kind": "public_followers", "n": 50, "reciprocity": 1.5}, "network.reciprocity", "1"),
        ({"kind": "closed_circles", "n": 4}, "network.circle_size", "7 exceeds n = 4"),
        ({"kind": "closed_circles", "n": 9, "bridges": 9}, "network.bridges", "bridges = 9"),
        ({"kind": "closed_circles", "n": 50, "circle_size": 1}, "network.circle_size", "2"),
        (
            {"kind": "closed_circles", "n": 5_000_000, "circles": 100, "density": 0.0},
            "network.circles",
            "500,000,000 memberships",
        ),
        ({"kind": "edge_list", "path": "x", "audience": "friends"}, "network.audience", "mutual"),
    ],
)
def test_bad_platform_keys_are_scenario_errors_naming_the_key(network, key, fragment):
    with pytest.raises(ScenarioError) as caught:
        make_scenario(network)
    problem = caught.value.problems[0]
    assert problem.key == key
    assert fragment in problem.message


def test_wom_validate_names_the_platform_key_and_exits_2(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text(
        'name = "x"\n[network]\nkind = "public_followers"\nn = 3\nfollows = 3\n',
        encoding="utf-8",
    )
    result = wom("validate", str(path))
    assert result.returncode == 2
    assert "key 'network.follows'" in result.stderr
    assert "follows = 3 must be smaller than n = 3" in result.stderr
    assert "Traceback" not in result.stderr


def test_wom_keys_lists_the_platforms_and_their_keys():
    result = wom("keys")
    assert result.returncode == 0
    for text in ("kind = `public_followers`", "kind = `closed_circles`", "Weibo", "WeChat"):
        assert text in result.stdout
    for key in ("follows", "attachment", "reciprocity", "audience", "circle_size", "bridges"):
        assert f"| `{key}` |" in result.stdout


@pytest.mark.parametrize(
    "network",
    [
        {"kind": "public_followers", "n": 50_000_000, "follows": 10},
        {"kind": "closed_circles", "n": 10_000_000, "circles": 10, "circle_size": 20.0},
    ],
    ids=lambda network: network["kind"],
)
def test_a_platform_too_large_to_build_is_a_scenario_error(network):
    with pytest.raises(ScenarioError, match="ties") as caught:
        build_graph(make_scenario(network))
    assert caught.value.problems[0].key == "network"
