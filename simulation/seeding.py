"""Seeding strategies: who posts the content first, and what they are paid.

A strategy turns the scenario's ``[seeding]`` table and the graph into a :class:`SeedPlan`:
either a fixed seed set (computed once, e.g. the highest-degree people or IMM's choice) or a
pool that the kernel draws ``budget`` random seeds from in every replicate (``random``), so the
uncertainty of a random choice is part of the result.

Candidates are everyone, or the people of ``segment``, or of a follower tier
(``min_followers`` .. ``max_followers``). The budget is a number of seeds, or ``money``: each
person's fee is ``fee_fixed + fee_per_follower x followers``, and a strategy buys seeds by its
score (unit cost) and by its score per unit of fee (cost-benefit), keeping whichever plan
spreads further in ``mc_runs`` kernel replicates (Leskovec et al. 2007); ``celf`` and ``imm``
compare the two with their own spread estimates. With money, ``random`` draws people in a random
order fixed by the scenario seed until no one else fits, so its plan is one fixed set.

Every strategy's randomness (IMM's RR sets, CELF's replicates, sampled betweenness, random order
under money) comes from :func:`strategy_seed`, so a scenario names one seed set.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import networkx as nx
import numpy as np

from simulation import influence
from simulation.errors import ScenarioError
from simulation.influence import Budget, degree_discount
from simulation.inputs import spread_inputs, tie_probabilities
from simulation.network import SocialGraph
from simulation.scenario import Scenario, _did_you_mean

__all__ = [
    "SeedPlan",
    "degree_discount",
    "plan_seeds",
    "seed_fees",
    "strategy_seed",
    "tie_probabilities",
]

# Distinct streams of randomness per use, all derived from the scenario seed.
_STREAMS = {"random": 1, "betweenness": 2, "celf": 3, "imm": 4, "compare": 5}
# Betweenness is exact up to this many people, else sampled from DEFAULT_PIVOTS sources.
EXACT_BETWEENNESS = 500
DEFAULT_PIVOTS = 50


@dataclass(frozen=True)
class SeedPlan:
    """The seeds of every replicate.

    Attributes:
        fixed: ``int32`` people seeded in every replicate (empty when random).
        pool: ``int32`` people random seeds are drawn from.
        random_budget: Seeds drawn from ``pool`` anew in each replicate (0 = use ``fixed``).
        cost: Seeding fees: the sum of the fixed seeds' fees, or for seeds drawn at random in
            each replicate the expected sum (``random_budget`` x the pool's mean fee).
        strategy: The ``[seeding]`` strategy that made the plan.
        fees: ``float64``: each fixed seed's fee (aligned with ``fixed``).
        gains: ``float64``: the strategy's estimate of the expected sharers each fixed seed adds
            to those chosen before it (aligned with ``fixed``; NaN where the strategy has none).
    """

    fixed: np.ndarray
    pool: np.ndarray
    random_budget: int
    cost: float = 0.0
    strategy: str = ""
    fees: np.ndarray | None = None
    gains: np.ndarray | None = None

    @property
    def size(self) -> int:
        """Number of seeds per replicate."""
        return self.random_budget or len(self.fixed)


def strategy_seed(scenario: Scenario, use: str) -> int:
    """A seed for one use of randomness by a strategy, derived from the scenario's ``seed``."""
    return int(np.random.default_rng([scenario.seed, 0x5EED, _STREAMS[use]]).integers(2**63))


def seed_fees(scenario: Scenario, graph: SocialGraph) -> np.ndarray:
    """``float64[n]``: what each person would be paid to seed (fixed + per follower)."""
    return np.asarray(scenario.seeding.fee(graph.out_degree.astype(np.float64)), np.float64)


def plan_seeds(scenario: Scenario, graph: SocialGraph) -> SeedPlan:
    """Choose the seeds the scenario's strategy asks for, with each one's fee and gain.

    Raises:
        ScenarioError: an unknown seed label or one outside the candidates, a budget above the
            people available, money that buys no one (or free seeds), or a strategy that needs
            the cascade rule's tie probability under another rule.
    """
    plan = _plan(scenario, graph)
    fees = seed_fees(scenario, graph)[plan.fixed]
    gains = np.full(len(plan.fixed), np.nan) if plan.gains is None else plan.gains
    return replace(plan, strategy=scenario.seeding.strategy, fees=fees, gains=gains)


def _plan(scenario: Scenario, graph: SocialGraph) -> SeedPlan:
    """The seed plan, with gains where the strategy estimates them."""
    seeding = scenario.seeding
    source = scenario.source
    pool, where = _candidates(scenario, graph)
    fees = seed_fees(scenario, graph)
    empty = np.zeros(0, np.int32)

    if seeding.strategy == "nodes":
        chosen = _listed(scenario, graph, pool, where)
        cost = _cost(chosen, fees)
        if seeding.money is not None and cost > seeding.money:
            raise ScenarioError.single(
                f"the listed seeds' fees add up to {cost:,.2f}, above money = {seeding.money:g}",
                key="seeding.money",
                source=source,
            )
        return SeedPlan(chosen, empty, 0, cost)

    if seeding.money is None:
        if seeding.budget > len(pool):
            raise ScenarioError.single(
                f"budget {seeding.budget} is above the {len(pool)} people of {where}",
                key="seeding.budget",
                source=source,
            )
        budget = Budget(count=seeding.budget)
        if seeding.budget == 0:
            return SeedPlan(empty, empty, 0)
        if seeding.strategy == "random":
            return SeedPlan(empty, pool, seeding.budget, seeding.budget * float(fees[pool].mean()))
    else:
        _check_money(scenario, pool, fees, where)
        if seeding.money == 0.0:
            return SeedPlan(empty, empty, 0)
        budget = Budget(count=None, fees=fees, money=seeding.money)
        if seeding.strategy == "random":
            order = np.random.default_rng(strategy_seed(scenario, "random")).permutation(pool)
            chosen = influence.buy_in_order(order, budget)
            return SeedPlan(chosen, empty, 0, _cost(chosen, fees))

    seeds, gains = _choose(scenario, graph, pool, budget)
    return SeedPlan(seeds, empty, 0, _cost(seeds, fees), gains=gains)


def _candidates(scenario: Scenario, graph: SocialGraph) -> tuple[np.ndarray, str]:
    """(people who may be seeds, how to name them in a message)."""
    seeding = scenario.seeding
    allowed = np.ones(graph.n, bool)
    where = "the population"
    if seeding.segment is not None:
        allowed &= graph.segment_of == graph.segment_names.index(seeding.segment)
        where = f"segment '{seeding.segment}'"
    least, most = seeding.min_followers, seeding.max_followers
    if least is not None or most is not None:
        followers = graph.out_degree
        if least is not None:
            allowed &= followers >= least
        if most is not None:
            allowed &= followers <= most
        tier = (
            f"{least} to {most}"
            if least is not None and most is not None
            else f"at least {least}"
            if least is not None
            else f"at most {most}"
        )
        where += f" with {tier} followers"
    return np.flatnonzero(allowed).astype(np.int32), where


def _listed(scenario: Scenario, graph: SocialGraph, pool: np.ndarray, where: str) -> np.ndarray:
    """The ``nodes`` strategy's seeds, each checked to exist and to be a candidate."""
    seeding = scenario.seeding
    allowed = np.zeros(graph.n, bool)
    allowed[pool] = True
    chosen: list[int] = []
    for label in seeding.nodes:
        index = graph.index_of(str(label))
        if index is None:
            sample = [str(x) for x in graph.labels[: min(graph.n, 5000)]]
            raise ScenarioError.single(
                f"seed node {label!r} is not in the network{_did_you_mean(str(label), sample)}",
                key="seeding.nodes",
                source=scenario.source,
            )
        if not allowed[index]:
            raise ScenarioError.single(
                f"seed node {label!r} is not in {where}",
                key="seeding.nodes",
                source=scenario.source,
            )
        if index not in chosen:
            chosen.append(index)
    return np.array(chosen, np.int32)


def _check_money(scenario: Scenario, pool: np.ndarray, fees: np.ndarray, where: str) -> None:
    """Money must buy someone, and nobody may be free (or the 'budget' buys everyone)."""
    seeding = scenario.seeding
    if len(pool) == 0:
        if seeding.money:
            raise ScenarioError.single(
                f"there is no one to pay: {where} holds no people",
                key="seeding.money",
                source=scenario.source,
            )
        return
    free = int(np.count_nonzero(fees[pool] <= 0.0))
    if free:
        raise ScenarioError.single(
            f"{free} candidate(s) have no followers, so with fee_fixed = 0 they would be free "
            "seeds; set fee_fixed above 0 or min_followers to 1 or more",
            key="seeding.fee_fixed",
            source=scenario.source,
        )
    cheapest = float(fees[pool].min())
    if 0.0 < seeding.money < cheapest:
        raise ScenarioError.single(
            f"money = {seeding.money:g} buys no one: the cheapest of {where} costs {cheapest:,.2f}",
            key="seeding.money",
            source=scenario.source,
        )


def _cost(seeds: np.ndarray, fees: np.ndarray) -> float:
    """Fees summed in the order the seeds were chosen (as the budget check summed them)."""
    total = 0.0
    for v in seeds.tolist():
        total += float(fees[v])
    return total


def _choose(
    scenario: Scenario, graph: SocialGraph, pool: np.ndarray, budget: Budget
) -> tuple[np.ndarray, np.ndarray | None]:
    """Seeds of a strategy that computes one fixed set, and its gains (``None``: none)."""
    seeding = scenario.seeding
    strategy = seeding.strategy
    variants = [False, True] if budget.priced else [False]
    if strategy in ("degree", "pagerank", "kcore", "betweenness"):
        score = _centrality(scenario, graph)
        plans = [influence.budgeted_by_score(score, pool, budget, cost_benefit=b) for b in variants]
        return _better(scenario, graph, plans), None
    if strategy == "degree_discount":
        p = _cascade_probabilities(scenario, graph)
        plans = [
            degree_discount(
                graph,
                budget.count,
                p,
                pool,
                fees=budget.fees,
                money=budget.money,
                cost_benefit=b,
            )
            for b in variants
        ]
        return _better(scenario, graph, plans), None
    if strategy == "imm":
        p = _cascade_probabilities(scenario, graph)
        try:
            selection = influence.imm(
                graph,
                p,
                pool,
                budget,
                epsilon=seeding.epsilon,
                ell=seeding.confidence,
                seed=strategy_seed(scenario, "imm"),
            )
        except influence.RRSampleTooLargeError as exc:
            raise ScenarioError.single(
                f"imm would need about {exc.sets:,} reverse-reachable sets ({exc.gigabytes:.1f} "
                f"GB) for epsilon = {seeding.epsilon:g}; raise seeding.epsilon (the work grows "
                "as 1 / epsilon^2) or use degree_discount",
                key="seeding.epsilon",
                source=scenario.source,
            ) from None
        return selection.seeds, selection.gains
    if strategy == "celf":
        selection = influence.celf(
            spread_inputs(scenario, graph),
            pool,
            budget,
            runs=seeding.mc_runs,
            steps=scenario.steps,
            seed=strategy_seed(scenario, "celf"),
        )
        return selection.seeds, selection.gains
    raise AssertionError(strategy)  # pragma: no cover - the schema admits only the above


def _centrality(scenario: Scenario, graph: SocialGraph) -> np.ndarray:
    """Score of each person under a centrality strategy (higher = seeded first)."""
    strategy = scenario.seeding.strategy
    if strategy == "degree":
        return graph.out_degree.astype(np.float64)
    if strategy == "pagerank":
        # Influence flows along follower ties, so rank on the reversed graph.
        ranks = nx.pagerank(
            graph.to_networkx().reverse() if graph.directed else graph.to_networkx()
        )
        return np.array([ranks[i] for i in range(graph.n)])
    if strategy == "kcore":
        undirected = (
            graph.to_networkx().to_undirected(as_view=True)
            if graph.directed
            else graph.to_networkx()
        )
        core = nx.core_number(undirected)
        # Core number first, degree to break ties within a shell.
        degree = graph.out_degree
        return np.array([core[i] for i in range(graph.n)], np.float64) + degree / (
            degree.max(initial=0) + 1.0
        )
    pivots = scenario.seeding.pivots
    if pivots is None and graph.n > EXACT_BETWEENNESS:
        pivots = DEFAULT_PIVOTS
    return influence.betweenness(graph, pivots, strategy_seed(scenario, "betweenness"))


def _cascade_probabilities(scenario: Scenario, graph: SocialGraph) -> np.ndarray:
    """Tie probabilities for strategies that model the cascade rule (imm, degree_discount)."""
    rule = scenario.diffusion.rule
    if rule != "cascade" and scenario.seeding.propagation is None:
        raise ScenarioError.single(
            f"{scenario.seeding.strategy} models the independent cascade; with rule = '{rule}' "
            "set seeding.propagation to the tie probability it should assume, or use celf, "
            "which simulates any rule",
            key="seeding.strategy",
            source=scenario.source,
        )
    return tie_probabilities(scenario, graph)


def _better(scenario: Scenario, graph: SocialGraph, plans: list[np.ndarray]) -> np.ndarray:
    """The plan with the larger mean sharers over ``mc_runs`` kernel replicates (ties: first)."""
    if len(plans) == 1 or all(np.array_equal(plans[0], other) for other in plans[1:]):
        return plans[0]
    model = spread_inputs(scenario, graph)
    spreads = [
        influence.kernel_spreads(
            model,
            plan,
            np.array([-1], np.int32),
            runs=scenario.seeding.mc_runs,
            steps=scenario.steps,
            seed=strategy_seed(scenario, "compare"),
        )[0]
        for plan in plans
    ]
    return plans[int(np.argmax(spreads))]
