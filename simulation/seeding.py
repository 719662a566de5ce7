"""Seeding strategies: who posts the content first, and what they are paid.

A strategy (one function each in :mod:`simulation.strategies`, found by name in its registry
:data:`~simulation.strategies.STRATEGIES`) turns the scenario's ``[seeding]`` table and the
graph into a :class:`SeedPlan`:
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
from typing import NoReturn

import numpy as np

from simulation import influence, kernel
from simulation.candidates import candidates, check_budget, check_listed, check_money
from simulation.errors import ScenarioError
from simulation.influence import Budget, degree_discount
from simulation.kernel_inputs import spread_inputs, tie_probabilities
from simulation.network import SocialGraph
from simulation.scenario import Scenario
from simulation.strategies import LISTED, STRATEGIES

__all__ = [
    "STRATEGIES",
    "Choice",
    "SeedPlan",
    "degree_discount",
    "plan_seeds",
    "seed_fees",
    "strategy_seed",
    "tie_probabilities",
]

# Distinct streams of randomness per use, all derived from the scenario seed.
_STREAMS = {"random": 1, "betweenness": 2, "celf": 3, "imm": 4, "compare": 5}


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

    See :data:`STRATEGIES`.

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
    pool, where, _ = candidates(seeding, graph, graph.out_degree)
    choice = Choice(scenario, graph, pool, where, seed_fees(scenario, graph))
    if seeding.strategy not in LISTED:
        budget = _budget(choice)
        if budget is None:
            return choice.nobody()
        choice.budget = budget
    return STRATEGIES[seeding.strategy](choice)


@dataclass
class Choice:
    """What a seeding strategy chooses from, and the tools it chooses with.

    Attributes:
        scenario: The scenario (its ``[seeding]`` table says how).
        graph: The social graph.
        pool: ``int32`` people who may be seeds (segment and follower tier applied).
        where: How to name the pool in a message ("segment 'runners'").
        fees: ``float64[n]`` each person's fee.
        budget: Seeds or money to spend (checked to buy someone; ``None`` for listed seeds).
    """

    scenario: Scenario
    graph: SocialGraph
    pool: np.ndarray
    where: str
    fees: np.ndarray
    budget: Budget | None = None

    def stream(self, use: str) -> int:
        """The seed of one use of randomness (see :func:`strategy_seed`)."""
        return strategy_seed(self.scenario, use)

    def nobody(self) -> SeedPlan:
        """No seeds."""
        empty = np.zeros(0, np.int32)
        return SeedPlan(empty, empty, 0)

    def fixed(self, seeds: np.ndarray, gains: np.ndarray | None = None) -> SeedPlan:
        """These seeds in every replicate, at their fees (with the strategy's gains, if any)."""
        return SeedPlan(seeds, np.zeros(0, np.int32), 0, _cost(seeds, self.fees), gains=gains)

    def drawn(self) -> SeedPlan:
        """``budget.count`` seeds drawn from the pool anew in each replicate."""
        count = self.budget.count
        empty = np.zeros(0, np.int32)
        return SeedPlan(empty, self.pool, count, count * float(self.fees[self.pool].mean()))

    def listed(self) -> SeedPlan:
        """The ``nodes`` the user listed, each checked, their fees within ``money``."""
        chosen = check_listed(
            self.scenario.seeding, self.graph, self.pool, self.where, self.scenario.source
        )
        plan = self.fixed(chosen)
        money = self.scenario.seeding.money
        if money is not None and plan.cost > money:
            self.refuse(
                f"the listed seeds' fees add up to {plan.cost:,.2f}, above money = {money:g}",
                key="seeding.money",
            )
        return plan

    def variants(self, budget: Budget) -> list[bool]:
        """Cost-benefit off, and on when seeds have prices (the better plan is kept)."""
        return [False, True] if budget.priced else [False]

    def by_score(self, score: np.ndarray) -> SeedPlan:
        """The highest scores the budget buys (by score, and by score per fee when priced)."""
        plans = [
            influence.budgeted_by_score(score, self.pool, self.budget, cost_benefit=benefit)
            for benefit in self.variants(self.budget)
        ]
        return self.fixed(self.better(plans))

    def better(self, plans: list[np.ndarray]) -> np.ndarray:
        """The plan that spreads further in ``mc_runs`` replicates (see :func:`_better`)."""
        return _better(self.scenario, self.graph, plans)

    def cascade_probabilities(self) -> np.ndarray:
        """Tie probabilities for strategies that model the independent cascade."""
        return _cascade_probabilities(self.scenario, self.graph)

    def spread_inputs(self) -> tuple[kernel.Graph, kernel.Params, kernel.Campaign]:
        """The kernel's bare cascade of the brand's content, for estimating spreads."""
        return spread_inputs(self.scenario, self.graph)

    def refuse(self, message: str, *, key: str) -> NoReturn:
        """Stop with a problem of the scenario's ``key``."""
        raise ScenarioError.single(message, key=key, source=self.scenario.source)


def _budget(choice: Choice) -> Budget | None:
    """The budget of a strategy that takes one, checked against the pool (``None``: zero)."""
    seeding = choice.scenario.seeding
    source = choice.scenario.source
    if seeding.money is None:
        check_budget(seeding, choice.pool, choice.where, source)
        return Budget(count=seeding.budget) if seeding.budget else None
    check_money(seeding, choice.pool, choice.fees, choice.where, source)
    if seeding.money == 0.0:
        return None
    return Budget(count=None, fees=choice.fees, money=seeding.money)


def _cost(seeds: np.ndarray, fees: np.ndarray) -> float:
    """Fees summed in the order the seeds were chosen (as the budget check summed them)."""
    total = 0.0
    for v in seeds.tolist():
        total += float(fees[v])
    return total


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
