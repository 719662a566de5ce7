"""Seeding strategies: who posts the content first.

A strategy turns the scenario's ``[seeding]`` table and the graph into a :class:`SeedPlan`:
either a fixed seed set (computed once, e.g. the highest-degree people) or a pool that the kernel
draws ``budget`` random seeds from in every replicate (``random``), so the uncertainty of a random
choice is part of the result. Every strategy can be restricted to a segment.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass

import networkx as nx
import numpy as np

from simulation.errors import ScenarioError
from simulation.network import SocialGraph
from simulation.scenario import Scenario, _did_you_mean

__all__ = ["SeedPlan", "degree_discount", "plan_seeds"]


@dataclass(frozen=True)
class SeedPlan:
    """The seeds of every replicate.

    Attributes:
        fixed: ``int32`` people seeded in every replicate (empty when random).
        pool: ``int32`` people random seeds are drawn from.
        random_budget: Seeds drawn from ``pool`` anew in each replicate (0 = use ``fixed``).
    """

    fixed: np.ndarray
    pool: np.ndarray
    random_budget: int

    @property
    def size(self) -> int:
        """Number of seeds per replicate."""
        return self.random_budget or len(self.fixed)


def plan_seeds(scenario: Scenario, graph: SocialGraph) -> SeedPlan:
    """Choose the seeds the scenario's strategy asks for.

    Raises:
        ScenarioError: an unknown seed label, or a budget above the people available.
    """
    seeding = scenario.seeding
    source = scenario.source
    if seeding.segment is None:
        pool = np.arange(graph.n, dtype=np.int32)
        where = "the population"
    else:
        seg = graph.segment_names.index(seeding.segment)
        pool = np.flatnonzero(graph.segment_of == seg).astype(np.int32)
        where = f"segment '{seeding.segment}'"
    empty = np.zeros(0, np.int32)

    if seeding.strategy == "nodes":
        chosen = []
        for label in seeding.nodes:
            index = graph.index_of(str(label))
            if index is None:
                sample = [str(x) for x in graph.labels[: min(graph.n, 5000)]]
                raise ScenarioError.single(
                    f"seed node {label!r} is not in the network{_did_you_mean(str(label), sample)}",
                    key="seeding.nodes",
                    source=source,
                )
            if seeding.segment is not None and graph.segment_of[index] != graph.segment_names.index(
                seeding.segment
            ):
                raise ScenarioError.single(
                    f"seed node {label!r} is not in {where}", key="seeding.nodes", source=source
                )
            if index not in chosen:
                chosen.append(index)
        return SeedPlan(np.array(chosen, np.int32), empty, 0)

    budget = seeding.budget
    if budget > len(pool):
        raise ScenarioError.single(
            f"budget {budget} is above the {len(pool)} people of {where}",
            key="seeding.budget",
            source=source,
        )
    if budget == 0:
        return SeedPlan(empty, empty, 0)
    if seeding.strategy == "random":
        return SeedPlan(empty, pool, budget)

    if seeding.strategy == "degree":
        score = graph.out_degree.astype(np.float64)
    elif seeding.strategy == "pagerank":
        # Influence flows along follower ties, so rank on the reversed graph.
        ranks = nx.pagerank(
            graph.to_networkx().reverse() if graph.directed else graph.to_networkx()
        )
        score = np.array([ranks[i] for i in range(graph.n)])
    elif seeding.strategy == "kcore":
        undirected = (
            graph.to_networkx().to_undirected(as_view=True)
            if graph.directed
            else graph.to_networkx()
        )
        core = nx.core_number(undirected)
        # Core number first, degree to break ties within a shell.
        score = (
            np.array([core[i] for i in range(graph.n)], np.float64) * (graph.n + 1)
            + graph.out_degree
        )
    elif seeding.strategy == "degree_discount":
        c = scenario.content
        p = seeding.propagation
        if p is None:
            p = c.visibility * c.appeal * c.stickiness
        return SeedPlan(degree_discount(graph, budget, p, pool), empty, 0)
    else:  # pragma: no cover - the schema admits only the strategies above
        raise AssertionError(seeding.strategy)
    return SeedPlan(_top(score, pool, budget), empty, 0)


def _top(score: np.ndarray, pool: np.ndarray, k: int) -> np.ndarray:
    """The k people of ``pool`` with the highest score (ties: lower index first)."""
    order = np.lexsort((pool, -score[pool]))
    return pool[order[:k]].astype(np.int32)


def degree_discount(
    graph: SocialGraph, k: int, p: float, pool: np.ndarray | None = None
) -> np.ndarray:
    """Degree-discount seeding for the independent cascade (Chen, Wang & Yang 2009, KDD).

    Each round picks the person with the highest discounted degree
    ``dd_v = d_v - 2 t_v - (d_v - t_v) t_v p``, where ``t_v`` counts v's contacts already chosen.

    Args:
        graph: The social graph.
        k: Number of seeds.
        p: Tie propagation probability the heuristic assumes.
        pool: People allowed as seeds (default: everyone).

    Returns:
        ``int32`` seeds in the order chosen.

    References:
        W. Chen, Y. Wang, S. Yang. Efficient influence maximization in social networks. KDD 2009.
    """
    degree = graph.out_degree.astype(np.float64)
    allowed = np.zeros(graph.n, bool)
    allowed[np.arange(graph.n) if pool is None else pool] = True
    chosen_count = np.zeros(graph.n, np.int64)
    discounted = degree.copy()
    chosen = np.zeros(graph.n, bool)
    heap = [(-degree[v], v) for v in np.flatnonzero(allowed).tolist()]
    heapq.heapify(heap)
    seeds: list[int] = []
    while len(seeds) < k and heap:
        negative, v = heapq.heappop(heap)
        if chosen[v]:
            continue
        if -negative != discounted[v]:
            heapq.heappush(heap, (-discounted[v], v))  # stale entry: re-queue with its new score
            continue
        chosen[v] = True
        seeds.append(v)
        # v's followers now have one more chosen contact (in-neighbours for a directed graph).
        for w in graph.indices[graph.indptr[v] : graph.indptr[v + 1]].tolist():
            if chosen[w] or not allowed[w]:
                continue
            chosen_count[w] += 1
            t = chosen_count[w]
            discounted[w] = degree[w] - 2 * t - (degree[w] - t) * t * p
    return np.array(seeds, np.int32)
