"""Who may be a seed, and whether the budget can pay for them: checks that need no kernel.

Used by :func:`simulation.seeding.plan_seeds` on a built graph, and by ``wom validate`` on the
people of a scenario before its ties are drawn (:mod:`simulation.precheck`). There, followers
may be unknown (a generated graph's degrees); the checks then use what is certain (a follower
tier can only shrink the segment, the cheapest fee is at least ``fee_fixed`` plus the tier's
least followers times ``fee_per_follower``) so that every problem they report is one the run
would report too.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NoReturn, Protocol

import numpy as np

from simulation.errors import ScenarioError
from simulation.validation import did_you_mean

__all__ = ["People", "candidates", "check_budget", "check_listed", "check_money"]


class People(Protocol):
    """The people of a network: what seed checks need (a ``SocialGraph`` is one)."""

    @property
    def n(self) -> int:
        """Number of people."""

    segment_of: np.ndarray
    segment_names: list[str]
    labels: Sequence[str]
    population: Any  # simulation.population.Population: everyone's attributes

    def index_of(self, label: str) -> int | None:
        """The person with this label, or ``None``."""


def _refuse(message: str, key: str, source: str | None) -> NoReturn:
    raise ScenarioError.single(message, key=key, source=source)


def candidates(
    seeding: Any, people: People, followers: np.ndarray | None
) -> tuple[np.ndarray, str, bool]:
    """The people who may be seeds, how to name them, and whether the set is exact.

    Args:
        seeding: A ``[seeding]`` table.
        people: The network's people.
        followers: Each person's followers, or ``None`` when not known yet (then a follower
            tier is not applied and the set is an upper bound: ``exact`` is false).
    """
    allowed = np.ones(people.n, bool)
    where = "the population"
    if seeding.segment is not None:
        allowed &= people.segment_of == people.segment_names.index(seeding.segment)
        where = f"segment '{seeding.segment}'"
    target = getattr(seeding, "target", None)
    if target is not None:
        from simulation.population import target_mask

        allowed &= target_mask(people.population, target)
        where += f" with {target.describe()}"
    least, most = seeding.min_followers, seeding.max_followers
    exact = True
    if least is not None or most is not None:
        if followers is not None:
            if least is not None:
                allowed &= followers >= least
            if most is not None:
                allowed &= followers <= most
        elif least is not None and least > people.n - 1:
            allowed[:] = False  # nobody can have more followers than there are other people
        else:
            exact = False
        if exact:
            tier = (
                f"{least} to {most}"
                if least is not None and most is not None
                else f"at least {least}"
                if least is not None
                else f"at most {most}"
            )
            where += f" with {tier} followers"
    return np.flatnonzero(allowed).astype(np.int32), where, exact


def check_budget(seeding: Any, pool: np.ndarray, where: str, source: str | None) -> None:
    """A number of seeds must not exceed the candidates.

    Raises:
        ScenarioError: ``seeding.budget`` above the people of ``pool``.
    """
    if seeding.budget > len(pool):
        _refuse(
            f"budget {seeding.budget} is above the {len(pool)} people of {where}",
            "seeding.budget",
            source,
        )


def check_money(
    seeding: Any, pool: np.ndarray, fees: np.ndarray | None, where: str, source: str | None
) -> None:
    """Money must buy someone, and nobody may be free (or the 'budget' buys everyone).

    Args:
        seeding: A ``[seeding]`` table with ``money``.
        pool: The candidates.
        fees: Each person's fee, or ``None`` when followers are not known yet (then only
            what holds for any followers is checked).
        where: How to name the candidates.
        source: The scenario file.

    Raises:
        ScenarioError: no one to pay, free candidates, or money below the cheapest fee.
    """
    if len(pool) == 0:
        if seeding.money:
            _refuse(f"there is no one to pay: {where} holds no people", "seeding.money", source)
        return
    if fees is None:
        if seeding.fee_fixed <= 0.0 and seeding.fee_per_follower <= 0.0:
            _refuse(_FREE.format(free=len(pool)), "seeding.fee_fixed", source)
        cheapest = seeding.fee(seeding.min_followers or 0)
        if 0.0 < seeding.money < cheapest:
            _refuse(
                f"money = {seeding.money:g} buys no one: everyone of {where} costs at least "
                f"{cheapest:,.2f}",
                "seeding.money",
                source,
            )
        return
    free = int(np.count_nonzero(fees[pool] <= 0.0))
    if free:
        _refuse(_FREE.format(free=free), "seeding.fee_fixed", source)
    cheapest = float(fees[pool].min())
    if 0.0 < seeding.money < cheapest:
        _refuse(
            f"money = {seeding.money:g} buys no one: the cheapest of {where} costs {cheapest:,.2f}",
            "seeding.money",
            source,
        )


_FREE = (
    "{free} candidate(s) have no followers, so with fee_fixed = 0 they would be free "
    "seeds; set fee_fixed above 0 or min_followers to 1 or more"
)


def check_listed(
    seeding: Any, people: People, pool: np.ndarray, where: str, source: str | None
) -> np.ndarray:
    """The ``nodes`` strategy's seeds in order (repeats dropped), each checked.

    Raises:
        ScenarioError: a label that is not in the network, or not among the candidates.
    """
    allowed = np.zeros(people.n, bool)
    allowed[pool] = True
    chosen: list[int] = []
    for label in seeding.nodes:
        index = people.index_of(str(label))
        if index is None:
            sample = [str(x) for x in people.labels[: min(people.n, 5000)]]
            _refuse(
                f"seed node {label!r} is not in the network{did_you_mean(str(label), sample)}",
                "seeding.nodes",
                source,
            )
        if not allowed[index]:
            _refuse(f"seed node {label!r} is not in {where}", "seeding.nodes", source)
        if index not in chosen:
            chosen.append(index)
    return np.array(chosen, np.int32)
