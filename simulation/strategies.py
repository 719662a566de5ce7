"""Seeding strategies: one function per strategy, and the registry the schema is derived from.

A strategy is a function of a :class:`~simulation.seeding.Choice` (the scenario, the graph, the
candidates, their fees and the budget, already checked) that returns the
:class:`~simulation.seeding.SeedPlan`. Every strategy but those in :data:`LISTED` is given a
budget (a number of seeds, or money) that buys at least one person.
:data:`STRATEGIES` maps each name of ``seeding.strategy`` to its function; the schema's allowed
values are its keys. Adding a strategy is one function here, one line in :data:`STRATEGIES`, and
its description in the schema's ``strategy`` key.

This module imports nothing heavy: the influence-maximisation algorithms (and the compiled
kernel under them) are loaded when a strategy runs, so reading a scenario stays fast.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from simulation.seeding import Choice, SeedPlan

__all__ = ["CASCADE_MODELS", "CENTRALITIES", "LISTED", "STRATEGIES", "Strategy"]

Strategy = Callable[["Choice"], "SeedPlan"]


def nodes(choice: Choice) -> SeedPlan:
    """``nodes``: the listed people (no budget; money must cover their fees)."""
    return choice.listed()


def random(choice: Choice) -> SeedPlan:
    """``random``: ``budget`` people drawn anew in every replicate, or bought in a random order.

    With ``money``, people are taken in an order fixed by the scenario seed until no one else
    fits, so the plan is one fixed set.
    """
    budget = choice.budget
    if budget.count is not None:
        return choice.drawn()
    from simulation import influence

    order = np.random.default_rng(choice.stream("random")).permutation(choice.pool)
    return choice.fixed(influence.buy_in_order(order, budget))


def degree(choice: Choice) -> SeedPlan:
    """``degree``: the people with the most followers."""
    return choice.by_score(choice.graph.out_degree.astype(np.float64))


def pagerank(choice: Choice) -> SeedPlan:
    """``pagerank``: PageRank on the graph of influence (follower ties reversed)."""
    import networkx as nx

    graph = choice.graph
    # Influence flows along follower ties, so rank on the reversed graph.
    ranks = nx.pagerank(graph.to_networkx().reverse() if graph.directed else graph.to_networkx())
    return choice.by_score(np.array([ranks[i] for i in range(graph.n)]))


def kcore(choice: Choice) -> SeedPlan:
    """``kcore``: core number first, followers breaking ties within a shell."""
    import networkx as nx

    graph = choice.graph
    undirected = (
        graph.to_networkx().to_undirected(as_view=True) if graph.directed else graph.to_networkx()
    )
    core = nx.core_number(undirected)
    degree = graph.out_degree
    return choice.by_score(
        np.array([core[i] for i in range(graph.n)], np.float64)
        + degree / (degree.max(initial=0) + 1.0)
    )


# Betweenness is exact up to this many people, else sampled from DEFAULT_PIVOTS sources.
EXACT_BETWEENNESS = 500
DEFAULT_PIVOTS = 50


def betweenness(choice: Choice) -> SeedPlan:
    """``betweenness``: Brandes' betweenness, sampled from ``pivots`` sources on large graphs."""
    from simulation import influence

    pivots = choice.scenario.seeding.pivots
    if pivots is None and choice.graph.n > EXACT_BETWEENNESS:
        pivots = DEFAULT_PIVOTS
    return choice.by_score(
        influence.betweenness(choice.graph, pivots, choice.stream("betweenness"))
    )


def degree_discount(choice: Choice) -> SeedPlan:
    """``degree_discount``: Chen, Wang & Yang (2009) under the cascade's tie probabilities."""
    from simulation.influence import degree_discount as discount

    budget = choice.budget
    p = choice.cascade_probabilities()
    plans = [
        discount(
            choice.graph,
            budget.count,
            p,
            choice.pool,
            fees=budget.fees,
            money=budget.money,
            cost_benefit=benefit,
        )
        for benefit in choice.variants(budget)
    ]
    return choice.fixed(choice.better(plans))


def imm(choice: Choice) -> SeedPlan:
    """``imm``: reverse-reachable sets (Tang, Shi & Xiao 2015)."""
    from simulation import influence

    seeding = choice.scenario.seeding
    p = choice.cascade_probabilities()
    try:
        selection = influence.imm(
            choice.graph,
            p,
            choice.pool,
            choice.budget,
            epsilon=seeding.epsilon,
            ell=seeding.confidence,
            seed=choice.stream("imm"),
        )
    except influence.RRSampleTooLargeError as exc:
        choice.refuse(
            f"imm would need about {exc.sets:,} reverse-reachable sets ({exc.gigabytes:.1f} "
            f"GB) for epsilon = {seeding.epsilon:g}; raise seeding.epsilon (the work grows "
            "as 1 / epsilon^2) or use degree_discount",
            key="seeding.epsilon",
        )
    return choice.fixed(selection.seeds, selection.gains)


def celf(choice: Choice) -> SeedPlan:
    """``celf``: lazy greedy on simulated spread (Leskovec et al. 2007), under any rule."""
    from simulation import influence

    selection = influence.celf(
        choice.spread_inputs(),
        choice.pool,
        choice.budget,
        runs=choice.scenario.seeding.mc_runs,
        steps=choice.scenario.steps,
        seed=choice.stream("celf"),
    )
    return choice.fixed(selection.seeds, selection.gains)


# Strategies whose seeds are listed by the user: they take no budget.
LISTED = ("nodes",)
# Strategies that assume the independent cascade's tie probabilities (under another rule they
# need seeding.propagation).
CASCADE_MODELS = ("degree_discount", "imm")
# Strategies that rank people by a centrality score.
CENTRALITIES = ("degree", "pagerank", "kcore", "betweenness")

STRATEGIES: dict[str, Strategy] = {
    "nodes": nodes,
    "random": random,
    "degree": degree,
    "pagerank": pagerank,
    "kcore": kcore,
    "betweenness": betweenness,
    "degree_discount": degree_discount,
    "celf": celf,
    "imm": imm,
}
