"""What ``wom validate`` checks beyond the schema, without drawing a graph or compiling anything.

A run (:func:`simulation.engine.prepare`) builds the graph and chooses the seeds, and reports
problems only then: an unreadable edge list, seed labels not in the network, a budget above the
candidates, money that buys no one, an ad aimed at an empty segment. This module finds the same
problems from the people alone: their number and segments (known exactly without the ties:
segments are given in exact shares, at random from the graph's seed or as blocks), and their
followers where these are known without drawing a random graph (edge lists and classic networks
are read or built, which is quick; ``complete``, ``path`` and ``star`` are known by formula).
Where followers are unknown (a generated graph), follower tiers and fees are checked only as far
as they must hold for any graph; the run checks the rest.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from simulation.candidates import candidates, check_budget, check_listed, check_money
from simulation.errors import Problem, ScenarioError
from simulation.inputs import check_run_work
from simulation.network_kinds import (
    KINDS,
    BuildContext,
    check_ties,
    random_segments,
    segment_sizes,
)
from simulation.scenario import Scenario
from simulation.scenario.schema import seeding_tables
from simulation.strategies import LISTED
from simulation.validation import dotted

__all__ = ["Population", "check_scenario", "population"]


@dataclass
class Population:
    """The people of a scenario's network, without its ties.

    Attributes:
        n: Number of people.
        segment_names: Segment names in order.
        shares: The segments' shares of the population.
        seed: The graph's seed (segments are given at random from it).
        labels_given: Labels read or built (``None``: person ``i`` is ``str(i)``).
        blocks: Segments decided by the network kind (``None``: given at random).
        followers: Each person's followers, or ``None`` when unknown before the ties are drawn.
        warnings: What reading the network found worth telling (dropped self-loops, ...).
    """

    n: int
    segment_names: list[str]
    shares: list[float]
    seed: int
    labels_given: np.ndarray | None = None
    blocks: np.ndarray | None = None
    followers: np.ndarray | None = None
    warnings: list[str] = field(default_factory=list)
    scenario: Any = None

    @cached_property
    def population(self) -> Any:
        """Everyone's attributes, as the run will draw them."""
        from simulation.population import draw_population

        return draw_population(self.scenario, self.segment_of, self.seed)

    @cached_property
    def segment_of(self) -> np.ndarray:
        """Each person's segment, as the graph will have it."""
        if self.blocks is not None:
            return self.blocks
        return random_segments(self.n, self.shares, self.seed)

    @property
    def sizes(self) -> np.ndarray:
        """People per segment."""
        return segment_sizes(self.n, self.shares)

    @property
    def labels(self) -> Sequence[str]:
        """Each person's label."""
        if self.labels_given is not None:
            return self.labels_given
        from simulation.network import IntegerLabels

        return IntegerLabels(self.n)

    @cached_property
    def _index(self) -> dict[str, int] | None:
        if self.labels_given is None:
            return None
        return {str(label): i for i, label in enumerate(self.labels_given)}

    def index_of(self, label: str) -> int | None:
        """The person with this label, or ``None``."""
        if self._index is None:
            from simulation.network import IntegerLabels

            return IntegerLabels(self.n).index_of(label)
        return self._index.get(str(label))


def population(scenario: Scenario) -> Population:
    """The scenario's people: built for an edge list or classic network, else by formula.

    Raises:
        ScenarioError: a bad edge-list file, or a generated graph with too many ties.
    """
    spec = scenario.network
    seed = spec.seed if spec.seed is not None else scenario.seed
    shares = [s.share for s in scenario.segments] or [1.0]
    common = {
        "segment_names": scenario.segment_names,
        "shares": shares,
        "seed": seed,
        "scenario": scenario,
    }
    if not spec.validate_by_building:
        check_ties(spec, scenario.source)
        return Population(
            n=spec.n, blocks=spec.segments(shares), followers=spec.followers(), **common
        )
    context = BuildContext(seed, shares, scenario.base_dir, scenario.source)
    ties = KINDS[spec.kind].build(spec, context)
    if spec.people() is None:
        check_run_work(scenario.runs, scenario.steps, ties.n, source=scenario.source)
    followers = np.bincount(ties.src, minlength=ties.n)
    if not ties.directed:
        followers = followers + np.bincount(ties.dst, minlength=ties.n)
    return Population(
        n=ties.n,
        labels_given=ties.labels,
        blocks=ties.segment_of,
        followers=followers,
        warnings=list(ties.warnings),
        **common,
    )


def check_scenario(scenario: Scenario) -> list[str]:
    """Every problem a run would find before its first step, found without running.

    Returns:
        Warnings (e.g. self-loops dropped from an edge list).

    Raises:
        ScenarioError: listing every problem found.
    """
    people = population(scenario)
    problems: list[Problem] = []
    for loc, seeding in seeding_tables(scenario):
        key = dotted(list(loc))
        try:
            _check_seeding(scenario, people, seeding)
        except ScenarioError as error:
            problems += [_under(p, key) for p in error.problems]
    sizes = people.sizes
    for i, ad in enumerate(scenario.ads):
        if ad.target is not None:
            from simulation.population import target_mask

            shown = target_mask(people.population, ad.target)
            if ad.segment is not None:
                shown &= people.segment_of == scenario.segment_names.index(ad.segment)
            if not shown.any():
                problems.append(
                    Problem(
                        f"nobody matches {ad.target.describe()} to show the ad to",
                        key=f"ads[{i}].target",
                        source=scenario.source,
                    )
                )
        elif ad.segment is not None and sizes[scenario.segment_names.index(ad.segment)] == 0:
            problems.append(
                Problem(
                    f"segment {ad.segment!r} has nobody in it to show the ad to",
                    key=f"ads[{i}].segment",
                    source=scenario.source,
                )
            )
    if problems:
        raise ScenarioError(list(dict.fromkeys(problems)))
    return people.warnings


def _under(problem: Problem, key: str) -> Problem:
    """A ``seeding.x`` problem renamed to ``key.x`` (as a run names a variant's problems)."""
    if key == "seeding" or not problem.key:
        return problem
    renamed = f"{key}.{problem.key.removeprefix('seeding.')}"
    return Problem(problem.message, key=renamed, line=problem.line, source=problem.source)


def _check_seeding(scenario: Scenario, people: Population, seeding: Any) -> None:
    """The checks :func:`simulation.seeding.plan_seeds` makes before choosing anyone."""
    source = scenario.source
    pool, where, exact = candidates(seeding, people, people.followers)
    if exact and people.followers is not None:
        fees = seeding.fee(people.followers.astype(np.float64))
    elif seeding.fee_per_follower == 0.0:
        fees = np.full(people.n, seeding.fee_fixed)  # the same for everyone, followers or not
    else:
        fees = None
    if seeding.strategy in LISTED:
        chosen = check_listed(seeding, people, pool, where, source)
        if fees is not None and seeding.money is not None:
            cost = sum(float(fees[v]) for v in chosen.tolist())
            if cost > seeding.money:
                raise ScenarioError.single(
                    f"the listed seeds' fees add up to {cost:,.2f}, above money = "
                    f"{seeding.money:g}",
                    key="seeding.money",
                    source=source,
                )
        return
    if seeding.money is None:
        check_budget(seeding, pool, where, source)
    else:
        check_money(seeding, pool, fees, where, source)
