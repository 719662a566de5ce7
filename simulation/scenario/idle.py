"""Keys that do nothing under the strategy or rule a scenario chose.

``epsilon`` under ``strategy = "degree"``, threshold keys under ``rule = "cascade"``, ``nodes``
under ``random``: such a key is accepted by its table's schema but ignored by the run, which
usually means the user meant something else. A scenario *file* (``wom run``, ``wom validate``)
and a command-line ``--set`` are refused when they write one (see
:func:`simulation.scenario.loading.parse_scenario`); scenarios built in code, the base of an
experiment (which holds keys for every strategy or rule its points vary) and its points are not.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from simulation.scenario.schema import seeding_tables
from simulation.strategies import CASCADE_MODELS, CENTRALITIES
from simulation.validation import dotted

__all__ = ["idle_keys"]

# Strategies that compare a by-score plan with a score-per-fee plan when given money.
_COMPARED = (*CENTRALITIES, "degree_discount")

# [seeding] key -> (is it used, given the table and the rule; which strategies use it).
_SEEDING: dict[str, tuple[Callable[[Any, str], bool], str]] = {
    "nodes": (lambda s, rule: s.strategy == "nodes", "strategy 'nodes'"),
    "budget": (
        lambda s, rule: s.strategy != "nodes" and s.money is None,
        "every strategy but 'nodes', when no money is given",
    ),
    "epsilon": (lambda s, rule: s.strategy == "imm", "strategy 'imm'"),
    "confidence": (lambda s, rule: s.strategy == "imm", "strategy 'imm'"),
    "pivots": (lambda s, rule: s.strategy == "betweenness", "strategy 'betweenness'"),
    "mc_runs": (
        lambda s, rule: s.strategy == "celf" or (s.money is not None and s.strategy in _COMPARED),
        "strategy 'celf', and the plans compared under money (strategies "
        + ", ".join(f"'{x}'" for x in _COMPARED)
        + ")",
    ),
    "propagation": (
        lambda s, rule: (
            s.strategy in CASCADE_MODELS
            or (
                rule == "cascade"
                and (s.strategy == "celf" or (s.money is not None and s.strategy in _COMPARED))
            )
        ),
        "strategies 'imm' and 'degree_discount', and under rule 'cascade' 'celf' and the plans "
        "compared under money",
    ),
}

# [diffusion] key -> (is it used, given the table; which rule uses it).
_DIFFUSION: dict[str, tuple[Callable[[Any], bool], str]] = {
    "threshold": (
        lambda d: d.rule == "threshold" and d.threshold_count is None,
        "rule 'threshold', when threshold_count is not given",
    ),
    "threshold_count": (lambda d: d.rule == "threshold", "rule 'threshold'"),
    "innovation": (lambda d: d.rule == "bass", "rule 'bass'"),
    "imitation": (lambda d: d.rule == "bass", "rule 'bass'"),
}

# Keys of time and attention that act on the exposures of the independent cascade only.
_EXPOSURE_KEYS = (
    "activity",
    "activity_hours",
    "activity_days",
    "attention",
    "wear_out",
    "recovery",
)

_DISTRIBUTION = {"low": "uniform", "high": "uniform", "mean": "normal", "std": "normal"}


def idle_keys(
    scenario: Any, only: Iterable[str] | None = None, *, written: bool = True
) -> list[tuple[tuple[Any, ...], str, Any]]:
    """Keys written in the scenario that do nothing, as (key path, message, value).

    Args:
        scenario: A validated scenario; a key counts as written if its table's
            ``model_fields_set`` holds it.
        only: Dotted keys to consider (e.g. the ``--set`` keys); default: every written key.
        written: Only keys the scenario wrote (``False``: every key, defaults included, as
            :meth:`~simulation.scenario.schema.Scenario.to_toml_dict` would write them).
    """

    def keys(table: Any) -> set[str]:
        return set(table.model_fields_set if written else type(table).model_fields)

    found: list[tuple[tuple[Any, ...], str, Any]] = []
    rule = scenario.diffusion.rule
    for loc, seeding in seeding_tables(scenario):
        for key in sorted(keys(seeding) & set(_SEEDING)):
            used, users = _SEEDING[key]
            if not used(seeding, rule):
                context = f"strategy '{seeding.strategy}'"
                if key == "budget" and seeding.money is not None:
                    context += " with money"
                found.append(((*loc, key), _message(key, context, users), getattr(seeding, key)))
    diffusion = scenario.diffusion
    for key in sorted(keys(diffusion) & set(_DIFFUSION)):
        used, users = _DIFFUSION[key]
        if not used(diffusion):
            context = (
                "threshold_count"
                if key == "threshold" and diffusion.rule == "threshold"
                else f"rule '{diffusion.rule}'"
            )
            found.append(
                (("diffusion", key), _message(key, context, users), getattr(diffusion, key))
            )
    threshold = diffusion.threshold
    if not isinstance(threshold, float) and "threshold" in keys(diffusion):
        for key in sorted(keys(threshold) & set(_DISTRIBUTION)):
            if _DISTRIBUTION[key] != threshold.distribution:
                found.append(
                    (
                        ("diffusion", "threshold", key),
                        _message(
                            key,
                            f"distribution '{threshold.distribution}'",
                            f"distribution '{_DISTRIBUTION[key]}'",
                        ),
                        getattr(threshold, key),
                    )
                )
    ties = scenario.ties
    if ties is not None and "weight_threshold" in keys(ties) and ties.strong != "weight":
        found.append(
            (
                ("ties", "weight_threshold"),
                _message("weight_threshold", f"strong = '{ties.strong}'", "strong = 'weight'"),
                ties.weight_threshold,
            )
        )
    time = scenario.time
    if time is not None and rule != "cascade":
        exposures = [("time", key, time) for key in _EXPOSURE_KEYS if key in keys(time)] + [
            (("segments", i), key, segment)
            for i, segment in enumerate(scenario.segments)
            for key in _EXPOSURE_KEYS
            if key in keys(segment)
        ]
        for loc, key, table in exposures:
            value = getattr(table, key)
            if written or value is not None:
                path = (loc, key) if isinstance(loc, str) else (*loc, key)
                found.append((path, _message(key, f"rule '{rule}'", "rule 'cascade'"), value))
    if time is not None and "start_hour" in keys(time) and time.step != "hour":
        found.append(
            (
                ("time", "start_hour"),
                _message("start_hour", f"step = '{time.step}'", "step = 'hour'"),
                time.start_hour,
            )
        )
    for i, ad in enumerate(scenario.ads):
        if "frequency_period" in keys(ad) and ad.frequency_cap is None:
            found.append(
                (
                    ("ads", i, "frequency_period"),
                    _message("frequency_period", "no frequency_cap", "a frequency_cap"),
                    ad.frequency_period,
                )
            )
    if only is not None:
        wanted = set(only)
        found = [item for item in found if dotted(list(item[0])) in wanted]
    return found


def _message(key: str, context: str, users: str) -> str:
    return (
        f"{key} does nothing under {context}; only {users} uses it (remove it; an experiment's "
        "base scenario may keep it for the points that vary it)"
    )
