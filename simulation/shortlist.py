"""The shortlist: whom a scenario's seed plans pay, as rows a strategist can contract.

One row per person a plan seeds in every replicate: the brand (and the post, for a post with its
own ``seeding``), the person's label, segment, followers, fee, and the strategy's estimate of the
expected sharers that person adds to those chosen before them (``gain``: ``None`` for strategies
that estimate none, such as ``degree`` or ``nodes``). The crisis's seeds are not on it (no one
pays them). A ``random`` plan draws its seeds anew in each replicate, so it has no rows; its
entry in :func:`seed_sets` says so (``"random": true``).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from simulation.engine import Prepared

__all__ = ["COLUMNS", "rows", "seed_sets"]

# The shortlist's columns, in order (the CSV header of ``wom seeds --out``).
COLUMNS = ("brand", "post", "label", "segment", "followers", "fee", "gain")


def _number(x: float) -> float | None:
    return float(x) if math.isfinite(x) else None


def rows(prepared: Prepared) -> list[dict[str, Any]]:
    """One row per fixed seed of every brand's (and post's) plan, in the order chosen."""
    graph = prepared.graph
    out: list[dict[str, Any]] = []
    for plan, (brand, post) in zip(prepared.plans, prepared.owners, strict=True):
        if brand == "crisis" or plan.random_budget:
            continue
        fees = plan.fees if plan.fees is not None else [math.nan] * len(plan.fixed)
        gains = plan.gains if plan.gains is not None else [math.nan] * len(plan.fixed)
        for v, fee, gain in zip(plan.fixed.tolist(), fees, gains, strict=True):
            out.append(
                {
                    "brand": brand,
                    "post": post,
                    "label": str(graph.labels[v]),
                    "segment": graph.segment_names[int(graph.segment_of[v])],
                    "followers": int(graph.out_degree[v]),
                    "fee": _number(float(fee)),
                    "gain": _number(float(gain)),
                }
            )
    return out


def seed_sets(prepared: Prepared) -> list[dict[str, Any]]:
    """One entry per brand's (and post's) plan: strategy, whether random, seeds, pool, cost.

    ``seeds`` is the number of seeds per replicate; ``pool`` the number of people random seeds
    are drawn from (``None`` for a fixed plan).
    """
    out: list[dict[str, Any]] = []
    for plan, (brand, post) in zip(prepared.plans, prepared.owners, strict=True):
        if brand == "crisis":
            continue
        random = plan.random_budget > 0
        out.append(
            {
                "brand": brand,
                "post": post,
                "strategy": plan.strategy,
                "random": random,
                "seeds": int(plan.size),
                "pool": len(plan.pool) if random else None,
                "cost": _number(float(plan.cost)),
            }
        )
    return out
