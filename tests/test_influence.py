"""Influence maximisation (simulation.influence) against theory and against each other.

Spreads are measured by the project's kernel (``simulate``) on replicates the algorithms never
saw (the strategies draw their randomness from streams derived from the scenario seed, apart from
the replicates'). Comparisons use the paired standard error of the per-replicate difference, as
every strategy is run on the same replicate indices and seed.
"""

from __future__ import annotations

import math
from pathlib import Path

import numba
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulation import influence
from simulation.engine import simulate
from simulation.kernel_inputs import spread_inputs, tie_probabilities
from simulation.network import build_graph
from simulation.scenario import Scenario, parse_scenario
from simulation.seeding import seed_fees


def scenario(network: dict, base_dir: Path | str = ".", **tables) -> Scenario:
    """A validated scenario built in code."""
    return parse_scenario({"name": "t", "network": network, **tables}, base_dir=str(base_dir))


def cascade(p: float) -> dict:
    """Content whose share probability per exposure is p (an independent cascade)."""
    return {"visibility": 1.0, "appeal": 1.0, "stickiness": p}


def paired_difference(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """(mean of a - b, its standard error) for replicates paired by index."""
    d = np.asarray(a, float) - np.asarray(b, float)
    return float(d.mean()), float(d.std(ddof=1) / math.sqrt(len(d)))


def sharers(s: Scenario, runs: int) -> np.ndarray:
    return simulate(s, runs=runs, metrics=["sharers"]).values["sharers"].astype(float)


# --------------------------------------------------------------------------- RR sets


@pytest.mark.parametrize("p", [0.1, 0.4])
def test_rr_sets_estimate_the_star_hub_spread_one_plus_n_minus_one_p(p):
    n, count = 301, 60_000
    s = scenario({"kind": "star", "n": n}, content=cascade(p))
    graph = build_graph(s)
    sets = influence.rr_sets(graph, tie_probabilities(s, graph), count, seed=11)
    share = sets.coverage(np.array([0])) / count
    expected = (1 + (n - 1) * p) / n
    se = math.sqrt(expected * (1 - expected) / count)
    assert abs(share - expected) < 4 * se
    # n x (share of RR sets holding v) estimates v's spread: a leaf reaches itself, the hub
    # with p, and through it each other leaf with p^2.
    leaf = sets.coverage(np.array([5])) / count
    leaf_expected = (1 + p + (n - 2) * p * p) / n
    assert abs(leaf - leaf_expected) < 4 * math.sqrt(leaf_expected * (1 - leaf_expected) / count)


def test_rr_sets_use_the_tie_probability_of_the_receivers_segment():
    n, count = 401, 80_000
    s = scenario(
        {"kind": "star", "n": n},
        content={"visibility": 0.8, "appeal": 0.5, "stickiness": 0.5},
        segments=[
            {"name": "fans", "share": 0.5, "affinity": 2.0},
            {"name": "others", "share": 0.5, "affinity": 0.5},
        ],
    )
    graph = build_graph(s)
    p = tie_probabilities(s, graph)
    # Per exposure: visibility x min(1, appeal x affinity) x stickiness, by the receiver.
    receivers = graph.segment_of[graph.indices]
    np.testing.assert_allclose(p, np.where(receivers == 0, 0.4, 0.1))
    expected = (1 + p[graph.indptr[0] : graph.indptr[1]].sum()) / n
    share = influence.rr_sets(graph, p, count, seed=3).coverage(np.array([0])) / count
    assert abs(share - expected) < 4 * math.sqrt(expected * (1 - expected) / count)


def test_rr_sets_follow_ties_the_way_shares_travel(tmp_path):
    # a -> b -> c: b follows a, c follows b. Spread of {a} is 1 + p + p^2, of {c} just 1.
    (tmp_path / "chain.txt").write_text("a b\nb c\n")
    p, count = 0.5, 90_000
    s = scenario(
        {"kind": "edge_list", "path": "chain.txt", "directed": True},
        tmp_path,
        content=cascade(p),
    )
    graph = build_graph(s)
    sets = influence.rr_sets(graph, tie_probabilities(s, graph), count, seed=5)
    for label, spread in [("a", 1 + p + p * p), ("b", 1 + p), ("c", 1.0)]:
        share = sets.coverage(np.array([graph.index_of(label)])) / count
        mu = spread / 3
        assert abs(share - mu) < 4 * math.sqrt(mu * (1 - mu) / count), label


def test_rr_estimates_agree_with_the_kernels_single_seed_spreads():
    # Visibility below 1 and two segments: the RR sampler must use the kernel's per-tie p.
    network = {"kind": "barabasi_albert", "n": 400, "m": 2, "seed": 4}
    tables = {
        "content": {"visibility": 0.7, "appeal": 0.4, "stickiness": 0.6},
        "segments": [
            {"name": "a", "share": 0.3, "affinity": 2.0},
            {"name": "b", "share": 0.7, "affinity": 0.8},
        ],
        "steps": 400,
    }
    base = scenario(network, **tables)
    graph = build_graph(base)
    count, runs = 200_000, 3000
    sets = influence.rr_sets(graph, tie_probabilities(base, graph), count, seed=9)
    for v in (0, 1, 7, 150, 399):
        share = sets.coverage(np.array([v])) / count
        rr_spread, rr_se = graph.n * share, graph.n * math.sqrt(share * (1 - share) / count)
        seeded = base.with_overrides({"seeding": {"strategy": "nodes", "nodes": [str(v)]}})
        mc = sharers(seeded, runs)
        mc_se = mc.std(ddof=1) / math.sqrt(runs)
        assert abs(rr_spread - mc.mean()) < 4 * math.hypot(rr_se, mc_se), v


def _random_follower_graph(path: Path, n: int, ties: int, seed: int) -> None:
    """A directed edge list with random weights 1..3 (no self-loops or repeats)."""
    rng = np.random.default_rng(seed)
    pairs = {(int(u), int(v)) for u, v in rng.integers(0, n, (ties, 2)) if u != v}
    path.write_text("".join(f"{u} {v} {rng.integers(1, 4)}\n" for u, v in sorted(pairs)))


def test_rr_estimates_agree_with_the_kernel_under_strong_and_weak_ties(tmp_path):
    # Directed ties, strong ones by weight: each tie has its own probability, read along
    # in-ties through in_arc_order and thinned from the largest one into each person.
    _random_follower_graph(tmp_path / "follows.txt", 300, 1500, seed=2)
    base = scenario(
        {"kind": "edge_list", "path": "follows.txt", "directed": True},
        tmp_path,
        content={"visibility": 1.0, "appeal": 0.6, "stickiness": 0.5},
        ties={
            "strong": "weight",
            "weight_threshold": 3.0,
            "strong_visibility": 0.9,
            "weak_visibility": 0.25,
        },
        steps=300,
    )
    graph = build_graph(base)
    p = tie_probabilities(base, graph)
    assert set(np.round(p, 12)) == {0.27, 0.075}
    count, runs = 200_000, 3000
    sets = influence.rr_sets(graph, p, count, seed=4)
    for v in np.argsort(-graph.out_degree)[[0, 5, 50, 200]].tolist():
        share = sets.coverage(np.array([v])) / count
        rr_spread, rr_se = graph.n * share, graph.n * math.sqrt(share * (1 - share) / count)
        seeded = {"seeding": {"strategy": "nodes", "nodes": [str(graph.labels[v])]}}
        mc = sharers(base.with_overrides(seeded), runs)
        mc_se = mc.std(ddof=1) / math.sqrt(runs)
        assert abs(rr_spread - mc.mean()) < 4 * math.hypot(rr_se, mc_se), v


def test_in_arc_order_finds_each_in_tie_among_the_out_ties(tmp_path):
    _random_follower_graph(tmp_path / "follows.txt", 50, 300, seed=1)
    s = scenario({"kind": "edge_list", "path": "follows.txt", "directed": True}, tmp_path)
    graph = build_graph(s)
    order = influence.in_arc_order(graph)
    senders = np.repeat(np.arange(graph.n), graph.out_degree)
    receivers = np.repeat(np.arange(graph.n), np.diff(graph.in_indptr))
    np.testing.assert_array_equal(senders[order], graph.in_indices)
    np.testing.assert_array_equal(graph.indices[order], receivers)


def test_rr_sets_do_not_depend_on_the_number_of_threads():
    s = scenario({"kind": "barabasi_albert", "n": 2000, "m": 3}, content=cascade(0.1))
    graph = build_graph(s)
    p = tie_probabilities(s, graph)
    threads = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = influence.rr_sets(graph, p, 5000, seed=2, first=100)
    finally:
        numba.set_num_threads(threads)
    many = influence.rr_sets(graph, p, 5000, seed=2, first=100)
    np.testing.assert_array_equal(one.indptr, many.indptr)
    np.testing.assert_array_equal(one.nodes, many.nodes)


# --------------------------------------------------------------------------- strategies


def _overlap_graph(path: Path) -> None:
    """Influencers with overlapping audiences (a directed follower graph of 4,650 people).

    Ten "macro" influencers share one audience of 600 people; forty "micro" influencers have
    100 followers each of their own; every follower follows one other follower at random. Degree
    seeding buys the ten macros, whose audiences are the same people.
    """
    rng = np.random.default_rng(1)
    lines = [f"M{i} s{j}" for i in range(10) for j in range(600)]
    followers = [f"s{j}" for j in range(600)]
    for i in range(40):
        own = [f"f{i}_{j}" for j in range(100)]
        lines += [f"m{i} {f}" for f in own]
        followers += own
    for a in followers:
        b = followers[int(rng.integers(len(followers)))]
        if b != a:
            lines.append(f"{b} {a}")
    path.write_text("\n".join(lines) + "\n")


def test_imm_is_within_5_percent_of_celf_and_both_beat_degree_and_random(tmp_path):
    _overlap_graph(tmp_path / "overlap.txt")
    base = scenario(
        {"kind": "edge_list", "path": "overlap.txt", "directed": True},
        tmp_path,
        content=cascade(0.3),
        steps=200,
        seed=7,
        seeding={"budget": 10, "mc_runs": 100},
    )
    runs = 2000
    spread = {
        strategy: sharers(base.with_overrides({"seeding.strategy": strategy}), runs)
        for strategy in ("imm", "celf", "degree", "random")
    }
    diff, se = paired_difference(spread["imm"], spread["celf"])
    assert abs(diff) < 0.05 * spread["celf"].mean() + 3 * se
    for better in ("imm", "celf"):
        for worse in ("degree", "random"):
            diff, se = paired_difference(spread[better], spread[worse])
            assert diff > 3 * se, (better, worse, diff, se)


def test_degree_discount_is_at_least_as_good_as_degree_on_barabasi_albert():
    base = scenario(
        {"kind": "barabasi_albert", "n": 3000, "m": 2, "seed": 3},
        content=cascade(0.1),
        steps=300,
        seeding={"budget": 20},
    )
    runs = 3000
    dd = sharers(base.with_overrides({"seeding.strategy": "degree_discount"}), runs)
    degree = sharers(base.with_overrides({"seeding.strategy": "degree"}), runs)
    diff, se = paired_difference(dd, degree)
    assert diff > -3 * se


def _paper_discount(graph, chosen: list[int], p: float) -> np.ndarray:
    """Chen, Wang & Yang's dd_v = d_v - 2 t_v - (d_v - t_v) t_v p, computed from scratch."""
    degree = graph.out_degree.astype(float)
    t = np.zeros(graph.n)
    for u in chosen:
        t[graph.indices[graph.indptr[u] : graph.indptr[u + 1]]] += 1
    return degree - 2 * t - (degree - t) * t * p


@settings(max_examples=25, deadline=None)
@given(
    n=st.integers(5, 60),
    mean_degree=st.floats(1.0, 6.0),
    p=st.floats(0.0, 0.5),
    k=st.integers(1, 10),
    graph_seed=st.integers(0, 1000),
)
def test_each_degree_discount_pick_maximises_the_papers_discounted_degree(
    n, mean_degree, p, k, graph_seed
):
    s = scenario(
        {"kind": "erdos_renyi", "n": n, "mean_degree": min(mean_degree, n - 1), "seed": graph_seed}
    )
    graph = build_graph(s)
    seeds = influence.degree_discount(graph, min(k, n), p).tolist()
    assert len(seeds) == min(k, n) == len(set(seeds))
    for i, v in enumerate(seeds):
        dd = _paper_discount(graph, seeds[:i], p)
        dd[seeds[:i]] = -np.inf
        assert dd[v] >= dd.max() - 1e-9


@settings(max_examples=60, deadline=None)
@given(
    fees=st.lists(st.floats(0.5, 100.0), min_size=1, max_size=40),
    money=st.floats(0.0, 500.0),
    count=st.none() | st.integers(0, 40),
    data=st.data(),
)
def test_buying_in_order_never_exceeds_the_money_and_skips_only_who_does_not_fit(
    fees, money, count, data
):
    fees = np.array(fees)
    order = data.draw(st.permutations(range(len(fees))))
    chosen = influence.buy_in_order(np.array(order), influence.Budget(count, fees, money)).tolist()
    assert chosen == [v for v in order if v in chosen]  # taken in order
    if count is not None:
        assert len(chosen) <= count
    spent = 0.0
    for v in order:
        if v in chosen:
            spent += fees[v]
        elif count is None or len(chosen) < count:
            # Passed over only if it did not fit in what was left at its turn.
            assert spent + fees[v] > money
    assert spent <= money


def test_imm_with_money_stays_within_money_and_counts_the_fees():
    s = scenario(
        {"kind": "barabasi_albert", "n": 3000, "m": 3},
        content=cascade(0.05),
        seeding={"fee_fixed": 50.0, "fee_per_follower": 2.0, "money": 1000.0},
    )
    graph = build_graph(s)
    fees = seed_fees(s, graph)
    budget = influence.Budget(None, fees, 1000.0)
    selection = influence.imm(
        graph,
        tie_probabilities(s, graph),
        np.arange(graph.n),
        budget,
        epsilon=0.5,
        ell=1.0,
        seed=1,
    )
    assert len(selection.seeds) >= 1
    assert selection.cost == pytest.approx(fees[selection.seeds].sum())
    assert selection.cost <= 1000.0
    assert selection.variant in ("unit-cost", "cost-benefit")


def test_imm_refuses_a_sample_larger_than_its_memory_limit():
    s = scenario({"kind": "barabasi_albert", "n": 500, "m": 2}, content=cascade(0.05))
    graph = build_graph(s)
    with pytest.raises(influence.RRSampleTooLargeError):
        influence.imm(
            graph,
            tie_probabilities(s, graph),
            np.arange(graph.n),
            influence.Budget(5),
            epsilon=0.05,
            ell=1.0,
            seed=1,
            max_bytes=1e6,
        )


def test_celfs_spread_is_the_kernels_estimate_for_its_seed_set():
    s = scenario(
        {"kind": "barabasi_albert", "n": 300, "m": 2},
        content={"visibility": 0.9, "appeal": 0.5, "stickiness": 0.3, "half_life": 3.0},
        steps=30,
    )
    model = spread_inputs(s, build_graph(s))
    selection = influence.celf(
        model, np.arange(300), influence.Budget(4), runs=50, steps=30, seed=8
    )
    direct = influence.kernel_spreads(
        model, selection.seeds, np.array([-1]), runs=50, steps=30, seed=8
    )[0]
    assert len(set(selection.seeds.tolist())) == 4
    assert selection.spread == pytest.approx(direct, rel=1e-12)


def test_betweenness_from_every_source_is_the_exact_value():
    s = scenario({"kind": "karate"})
    graph = build_graph(s)
    exact = influence.betweenness(graph, None, seed=1)
    assert int(np.argmax(exact)) == 0  # the instructor bridges the two factions
    np.testing.assert_allclose(influence.betweenness(graph, graph.n, seed=1), exact)
    sampled = influence.betweenness(graph, 10, seed=1)
    np.testing.assert_array_equal(sampled, influence.betweenness(graph, 10, seed=1))


def test_imm_draws_the_papers_number_of_rr_sets(monkeypatch):
    # Tang, Shi & Xiao 2015, Algorithms 2-3 with l scaled by 1 + log 2 / log n, and phase 2
    # drawn afresh (Chen 2018): phase 1 grows its sample to lambda' / x for x = n / 2^i until
    # the greedy covers (1 + eps') x / n of it, then LB = n x coverage / (1 + eps'); phase 2
    # draws lambda* / LB new sets. The formulas are written out here from the paper.
    s = scenario({"kind": "barabasi_albert", "n": 2000, "m": 3, "seed": 5}, content=cascade(0.05))
    graph = build_graph(s)
    n, k, eps, ell = graph.n, 10, 0.3, 1.0
    targets: list[tuple[int, int]] = []  # (first set index, sample size asked for)
    coverages: list[float] = []
    grow, select = influence._Collection.grow_to, influence._Collection.select

    def recording_grow(self, target, max_bytes):
        targets.append((self.first, target))
        return grow(self, target, max_bytes)

    def recording_select(self, *args):
        seeds, newly, variant = select(self, *args)
        coverages.append(float(newly.sum()))
        return seeds, newly, variant

    monkeypatch.setattr(influence._Collection, "grow_to", recording_grow)
    monkeypatch.setattr(influence._Collection, "select", recording_select)
    selection = influence.imm(
        graph,
        tie_probabilities(s, graph),
        np.arange(n),
        influence.Budget(k),
        epsilon=eps,
        ell=ell,
        seed=3,
    )
    ell = ell * (1 + math.log(2) / math.log(n))
    log_nk = math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)
    eps1 = math.sqrt(2) * eps
    lam1 = (2 + 2 * eps1 / 3) * (log_nk + ell * math.log(n) + math.log(math.log2(n))) * n / eps1**2
    phase1, (first2, theta) = targets[:-1], targets[-1]
    lower = None
    for i, ((first, size), coverage) in enumerate(zip(phase1, coverages, strict=False), start=1):
        x = n / 2**i
        assert first == 0
        assert size == math.ceil(lam1 / x)
        if n * coverage >= (1 + eps1) * x:
            lower = n * coverage / (1 + eps1)
            assert i == len(phase1)  # stops at the first x the coverage clears
    assert lower is not None
    e1 = 1 - 1 / math.e
    alpha = math.sqrt(ell * math.log(n) + math.log(2))
    beta = math.sqrt(e1 * (log_nk + ell * math.log(n) + math.log(2)))
    lam_star = 2 * n * (e1 * alpha + beta) ** 2 / eps**2
    assert first2 == phase1[-1][1]  # phase 2's sets follow phase 1's: fresh, independent
    assert theta == math.ceil(lam_star / lower)
    # LB (the phase-1 greedy's coverage shrunk by 1 + eps') is below the kernel's estimate of
    # the chosen seeds' spread, itself at most OPT.
    model = spread_inputs(s, graph)
    spread = influence.kernel_spreads(
        model, selection.seeds, np.array([-1]), runs=2000, steps=s.steps, seed=11
    )[0]
    assert lower <= spread
    assert selection.spread == pytest.approx(n * coverages[-1])
