"""Influence maximisation against the exact optimum on small graphs, and against a plain greedy.

On graphs of at most 16 people every seed set of size k is enumerated and its expected spread
under the independent cascade computed exactly: the sum over every live-edge world (each tie
live or not, 2^ties worlds) of the people the seeds reach, weighted by the world's probability
(Kempe, Kleinberg & Tardos 2003). Where a graph has too many ties to list every world, the
spread is averaged over 200,000 live-edge worlds drawn with numpy (not the kernel): its standard
error is computed and stays below 0.2% of the spreads compared, far inside the margins tested.

The greedy on exact spreads is at least (1 - 1/e) of the optimum (Nemhauser, Wolsey & Fisher
1978); CELF, IMM and degree discount are held to the guarantee they carry (CELF and IMM: within
(1 - 1/e) and (1 - 1/e - epsilon) up to their sampling error) and to the closeness measured
here (recorded in the README's seeding section). A larger graph checks CELF and IMM against a
plain-Python greedy written from the definition, with its own Monte Carlo.
"""

from __future__ import annotations

import math
import random
from itertools import combinations
from pathlib import Path

import numpy as np
import pytest

from simulation import influence
from simulation.engine import prepare, simulate
from simulation.kernel_inputs import spread_inputs, tie_probabilities
from simulation.network import SocialGraph, build_graph
from simulation.scenario import Scenario, parse_scenario

E1 = 1.0 - 1.0 / math.e
MAX_EXACT_TIES = 18
SAMPLED_WORLDS = 200_000


def _scenario(path: Path, p: float, directed: bool, **tables) -> Scenario:
    return parse_scenario(
        {
            "name": "exact",
            "steps": 1000,
            "network": {"kind": "edge_list", "path": path.name, "directed": directed},
            "content": {"visibility": 1.0, "appeal": 1.0, "stickiness": p},
            **tables,
        },
        base_dir=str(path.parent),
    )


def _reach(graph: SocialGraph, live: np.ndarray) -> np.ndarray:
    """``int64[worlds, n]``: bitmask of the people each person reaches in each world.

    ``live[w, a]``: whether tie ``a`` (as ``graph.indices``: sender -> follower) is live.
    """
    n = graph.n
    senders = np.repeat(np.arange(n), graph.out_degree)
    reach = np.broadcast_to(np.int64(1) << np.arange(n, dtype=np.int64), (len(live), n)).copy()
    for _ in range(n):  # n rounds reach every path's end
        before = reach.copy()
        for a, (u, v) in enumerate(zip(senders.tolist(), graph.indices.tolist(), strict=True)):
            reach[:, u] |= np.where(live[:, a], reach[:, v], 0)
        if np.array_equal(before, reach):
            break
    return reach


def expected_spreads(
    graph: SocialGraph, p: float, k: int, seed: int = 0
) -> tuple[dict[tuple[int, ...], float], float]:
    """Expected spread of every seed set of size k, and the standard error (0 when exact)."""
    arcs = len(graph.indices)
    if arcs <= MAX_EXACT_TIES:
        worlds = np.arange(2**arcs, dtype=np.int64)
        live = ((worlds[:, None] >> np.arange(arcs)) & 1).astype(bool)
        lives = live.sum(axis=1)
        weight = p**lives * (1 - p) ** (arcs - lives)
    else:
        live = np.random.default_rng(seed).random((SAMPLED_WORLDS, arcs)) < p
        weight = np.full(SAMPLED_WORLDS, 1.0 / SAMPLED_WORLDS)
    reach = _reach(graph, live)
    spreads: dict[tuple[int, ...], float] = {}
    worst = 0.0
    for seeds in combinations(range(graph.n), k):
        union = np.bitwise_or.reduce(reach[:, list(seeds)], axis=1)
        counts = np.bitwise_count(union).astype(np.float64)
        spreads[seeds] = float(weight @ counts)
        if arcs > MAX_EXACT_TIES:
            worst = max(worst, float(counts.std(ddof=1) / math.sqrt(SAMPLED_WORLDS)))
    return spreads, worst


def exact_greedy(spread_of, n: int, k: int) -> tuple[int, ...]:
    """The greedy on exact spreads (ties: the lower index)."""
    chosen: tuple[int, ...] = ()
    for _ in range(k):
        best = max((v for v in range(n) if v not in chosen), key=lambda v: spread_of((*chosen, v)))
        chosen = (*chosen, best)
    return chosen


# Small graphs (at most 16 people): name -> (edge list, directed, p).
SMALL = {
    # Two stars joined by a path: the best pair is the two hubs, not the two best-connected.
    "two-stars": (
        "h1 a1\nh1 a2\nh1 a3\nh1 b\nb c\nc h2\nh2 d1\nh2 d2\n",
        False,
        0.4,
    ),
    # A directed follower graph where the top follower counts overlap (a trap for degree).
    "overlap": (
        "A x1\nA x2\nA x3\nA x4\nB x1\nB x2\nB x3\nB x4\nC y1\nC y2\nC y3\nx1 z\ny1 z\nz w\n",
        True,
        0.6,
    ),
    # 16 people, 30 ties: too many worlds to list, so sampled (standard error reported).
    "sixteen": (None, False, 0.2),
}


def _small_graph(tmp_path: Path, name: str) -> tuple[Scenario, SocialGraph, float]:
    text, directed, p = SMALL[name]
    if text is None:
        rng = np.random.default_rng(16)
        pairs = set()
        while len(pairs) < 30:
            u, v = sorted(rng.choice(16, 2, replace=False).tolist())
            pairs.add((u, v))
        text = "".join(f"n{u} n{v}\n" for u, v in sorted(pairs))
    (tmp_path / "g.txt").write_text(text)
    s = _scenario(tmp_path / "g.txt", p, directed)
    return s, build_graph(s), p


def test_exact_spread_of_a_chain_is_one_plus_p_plus_p_squared(tmp_path):
    (tmp_path / "g.txt").write_text("a b\nb c\n")
    s = _scenario(tmp_path / "g.txt", 0.3, True)
    graph = build_graph(s)
    spreads, se = expected_spreads(graph, 0.3, 1)
    assert se == 0.0
    a, b, c = (graph.index_of(x) for x in "abc")
    assert spreads[(a,)] == pytest.approx(1 + 0.3 + 0.09)
    assert spreads[(b,)] == pytest.approx(1.3)
    assert spreads[(c,)] == pytest.approx(1.0)


def _kernel_spread(s: Scenario, graph: SocialGraph, seeds, runs: int) -> tuple[float, float]:
    labels = [str(graph.labels[v]) for v in seeds]
    listed = s.with_overrides({"seeding": {"strategy": "nodes", "nodes": labels}})
    values = simulate(
        listed, runs=runs, seed=99, metrics=["sharers"], prepared=prepare(listed, graph)
    ).values["sharers"]
    return float(values.mean()), float(values.std(ddof=1) / math.sqrt(runs))


@pytest.mark.parametrize("name", list(SMALL))
def test_the_kernels_spread_is_the_exact_expected_spread(tmp_path, name):
    s, graph, p = _small_graph(tmp_path, name)
    spreads, se = expected_spreads(graph, p, 2)
    for seeds in [(0, 1), (2, graph.n - 1)]:
        mean, kernel_se = _kernel_spread(s, graph, seeds, 20_000)
        assert abs(mean - spreads[seeds]) <= 4 * math.hypot(kernel_se, se) + 1e-9, seeds


@pytest.mark.parametrize("name", list(SMALL))
@pytest.mark.parametrize("k", [1, 2, 3])
def test_greedy_celf_imm_and_degree_discount_against_the_exact_optimum(tmp_path, name, k):
    s, graph, p = _small_graph(tmp_path, name)
    spreads, se = expected_spreads(graph, p, k)
    best = max(spreads.values())
    chosen = exact_greedy(lambda S: expected_spreads_of(graph, p, S, spreads), graph.n, k)
    greedy = spreads[tuple(sorted(chosen))]
    assert greedy >= E1 * best - 3 * se  # Nemhauser, Wolsey & Fisher
    everyone = np.arange(graph.n)
    celf = influence.celf(
        spread_inputs(s, graph), everyone, influence.Budget(k), runs=2000, steps=1000, seed=3
    )
    imm = influence.imm(
        graph,
        tie_probabilities(s, graph),
        everyone,
        influence.Budget(k),
        epsilon=0.1,
        ell=1.0,
        seed=4,
    )
    dd = influence.degree_discount(graph, k, p)
    ratio = {
        "celf": spreads[tuple(sorted(celf.seeds.tolist()))] / best,
        "imm": spreads[tuple(sorted(imm.seeds.tolist()))] / best,
        "degree_discount": spreads[tuple(sorted(dd.tolist()))] / best,
    }
    slack = 3 * se / best
    assert ratio["celf"] >= E1 - slack
    assert ratio["imm"] >= E1 - 0.1 - slack
    # Measured: on these graphs CELF (2,000 runs) and IMM (epsilon 0.1) find a set within 2%
    # of the optimum (0.983 at worst, where sets within 2% of each other are hard to tell apart
    # by sampling); held to 97%.
    assert ratio["celf"] >= min(0.97, greedy / best) - slack, ratio
    assert ratio["imm"] >= min(0.97, greedy / best) - slack, ratio
    # Degree discount is a one-hop heuristic with no guarantee; it stays within 80% here.
    assert ratio["degree_discount"] >= 0.8 - slack, ratio


def expected_spreads_of(graph, p, seeds, table) -> float:
    """The expected spread of any set, from the table of size-k sets or computed for smaller."""
    key = tuple(sorted(seeds))
    if key in table:
        return table[key]
    spreads, _ = expected_spreads(graph, p, len(key))
    table.update(spreads)
    return table[key]


# --------------------------------------------------------------------------- plain greedy


def plain_greedy(followers: list[list[int]], p: float, k: int, worlds: int, seed: int) -> list:
    """Greedy from the definition: sample live-edge worlds, pick the largest mean reach gain."""
    rng = random.Random(seed)
    live = [[[v for v in out if rng.random() < p] for out in followers] for _ in range(worlds)]
    reached: list[set[int]] = [set() for _ in range(worlds)]

    def reach(world: int, start: int) -> set[int]:
        seen, stack = {start}, [start]
        while stack:
            for v in live[world][stack.pop()]:
                if v not in seen:
                    seen.add(v)
                    stack.append(v)
        return seen

    cache: list[dict[int, set[int]]] = [{} for _ in range(worlds)]
    chosen: list[int] = []
    for _ in range(k):
        best, best_gain = -1, -1.0
        for v in range(len(followers)):
            if v in chosen:
                continue
            gain = 0
            for w in range(worlds):
                if v not in cache[w]:
                    cache[w][v] = reach(w, v)
                gain += len(cache[w][v] - reached[w])
            if gain > best_gain:
                best, best_gain = v, gain
        chosen.append(best)
        for w in range(worlds):
            reached[w] |= cache[w][best]
    return chosen


def test_celf_and_imm_match_a_plain_python_greedy_on_a_larger_graph():
    p, k = 0.1, 5
    s = parse_scenario(
        {
            "name": "plain",
            "steps": 1000,
            "network": {"kind": "powerlaw_cluster", "n": 300, "m": 3, "triangle_p": 0.3, "seed": 2},
            "content": {"visibility": 1.0, "appeal": 1.0, "stickiness": p},
        }
    )
    graph = build_graph(s)
    followers = [graph.indices[graph.indptr[u] : graph.indptr[u + 1]].tolist() for u in range(300)]
    plain = plain_greedy(followers, p, k, worlds=400, seed=1)
    everyone = np.arange(graph.n)
    celf = influence.celf(
        spread_inputs(s, graph), everyone, influence.Budget(k), runs=400, steps=1000, seed=5
    ).seeds
    imm = influence.imm(
        graph,
        tie_probabilities(s, graph),
        everyone,
        influence.Budget(k),
        epsilon=0.1,
        ell=1.0,
        seed=6,
    ).seeds
    runs = 6000
    spread = {
        name: _kernel_values(s, graph, seeds, runs)
        for name, seeds in [("plain", plain), ("celf", celf), ("imm", imm)]
    }
    for name in ("celf", "imm"):
        d = spread[name] - spread["plain"]
        se = d.std(ddof=1) / math.sqrt(runs)
        # Equal up to sampling error and 2% of the spread (both greedy on noisy estimates).
        assert abs(d.mean()) < 0.02 * spread["plain"].mean() + 3 * se, (name, d.mean(), se)


def _kernel_values(s: Scenario, graph: SocialGraph, seeds, runs: int) -> np.ndarray:
    labels = [str(graph.labels[v]) for v in np.asarray(seeds).tolist()]
    listed = s.with_overrides({"seeding": {"strategy": "nodes", "nodes": labels}})
    return (
        simulate(listed, runs=runs, seed=77, metrics=["sharers"], prepared=prepare(listed, graph))
        .values["sharers"]
        .astype(float)
    )
