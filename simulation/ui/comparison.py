"""Side-by-side strategies: variants of one scenario, run replicate batches, summarised.

A variant is the base scenario with some keys changed (``{"seeding.strategy": "random"}``).
Each variant runs in batches through :func:`simulation.engine.simulate`, so the run can report
progress and stop between batches; a replicate is a pure function of (scenario, seed, replicate
index), so batching changes no number. Metric summaries (mean, 95% interval of the mean) come
from :func:`simulation.metrics.summarize` over the replicates. The timeline's band is the 95%
interval of the mean by batch means: the batches are independent and equal in size, so their
means vary around the overall mean with a spread that estimates its standard error.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from simulation import shortlist
from simulation.compare import paired_difference
from simulation.engine import Prepared, prepare, simulate
from simulation.errors import ScenarioError
from simulation.metrics import METRICS, describe, summarize
from simulation.scenario import Scenario

__all__ = [
    "HEADLINE_METRICS",
    "MONEY_METRICS",
    "Comparison",
    "Goal",
    "StoppedError",
    "Variant",
    "VariantResult",
    "apply_overrides",
    "run_comparison",
]

# Metrics shown first (bar charts); every metric is in the table.
HEADLINE_METRICS = (
    "reach",
    "sharers",
    "engagements",
    "conversions",
    "structural_virality",
    "peak_step",
)
# Money, charted when the scenario has any: cost_per_conversion is added per replicate here.
MONEY_METRICS = (
    "cost",
    "revenue",
    "roi",
    "cost_per_conversion",
    "seeding_cost",
    "ad_spend",
)
# Timelines drawn for each variant.
TIMELINE_METRICS = ("sharers", "reach", "engagements", "conversions")


class StoppedError(Exception):
    """Raised inside a comparison when the user cancels it."""


@dataclass
class Variant:
    """A named change of the base scenario (dotted keys to values)."""

    name: str
    overrides: dict[str, Any] = field(default_factory=dict)

    def scenario(self, base: Scenario) -> Scenario:
        """The base scenario with this variant's changes, validated.

        Raises:
            ScenarioError: naming the key, with the variant's name as the source.
        """
        return apply_overrides(base, self.overrides, source=f"variant '{self.name}'")


def apply_overrides(base: Scenario, overrides: dict[str, Any], *, source: str) -> Scenario:
    """The base scenario with dotted keys set, rows of tables included (``ads[0].cpm``).

    Like :meth:`Scenario.with_overrides`, whose keys cannot index a table's rows.

    Raises:
        ScenarioError: naming the key, with ``source`` as the source.
    """
    from simulation.scenario import parse_scenario
    from simulation.ui.knobs import get_value, put_value

    data = base.to_toml_dict()
    for key, value in overrides.items():
        parent = key.rpartition(".")[0]
        if parent and "[" in parent and get_value(data, parent) is None:
            raise ScenarioError.single(f"the scenario has no {parent}", key=key, source=source)
        data = put_value(data, key, value)
    return parse_scenario(data, source=source, base_dir=base.base_dir)


@dataclass(frozen=True)
class Goal:
    """A campaign goal: at least ``target`` of ``metric`` by step ``step`` (``None``: the end)."""

    metric: str = "conversions"
    target: float = 0.0
    step: int | None = None

    def describe(self) -> str:
        """The goal in words."""
        when = f"by step {self.step}" if self.step is not None else "by the end"
        return f"at least {self.target:,.6g} {self.metric.replace('_', ' ')} {when}"


def goal_probability(values: np.ndarray, target: float) -> dict[str, float]:
    """Share of replicates reaching ``target``, with its 95% Wilson interval.

    Returns:
        ``{"p", "low", "high", "runs"}`` (undefined replicates are left out).
    """
    values = np.asarray(values, dtype=np.float64)
    values = values[np.isfinite(values)]
    n = len(values)
    if n == 0:
        return {"p": math.nan, "low": math.nan, "high": math.nan, "runs": 0}
    p = float((values >= target).mean())
    z = 1.959963984540054
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return {"p": p, "low": max(0.0, centre - half), "high": min(1.0, centre + half), "runs": n}


# Results compare by identity: their numpy arrays have no truth value, and Solara compares a
# task's old and new results when it stores them.
@dataclass(eq=False)
class VariantResult:
    """One variant's replicates.

    Attributes:
        values: Metric -> one value per replicate.
        timeline: Metric -> mean cumulative count per step.
        band: Metric -> (low, high) per step, the 95% interval of the mean (batch means).
        seeds: People seeded (bought) per campaign.
        shortlist: Whom the seeding pays: one row per fixed seed (see
            :func:`simulation.shortlist.rows`); empty when the seeds are drawn at random.
        random_seeds: Whether some seeds are drawn anew in every campaign (no fixed list).
        goal_values: The goal's metric per replicate at the goal's step (when it has one
            before the end; else the goal is read from ``values``).
    """

    variant: Variant
    scenario: Scenario
    values: dict[str, np.ndarray]
    timeline: dict[str, np.ndarray]
    band: dict[str, tuple[np.ndarray, np.ndarray]]
    seeds: int = 0
    goal_values: np.ndarray | None = None
    shortlist: list[dict[str, Any]] = field(default_factory=list)
    random_seeds: bool = False

    def summary(self, metric: str) -> dict[str, Any]:
        """Mean, std, ``ci95`` and ``pi95`` of a metric (see :func:`summarize`)."""
        return summarize(self.values[metric])


@dataclass(eq=False)
class Comparison:
    """Every variant's results, in the order given."""

    results: list[VariantResult]
    runs: int
    seed: int
    goal: Goal | None = None

    def result(self, name: str) -> VariantResult:
        """The named variant's results."""
        return next(r for r in self.results if r.variant.name == name)

    def shortlist_table(self) -> pd.DataFrame:
        """Whom each strategy pays: a row per fixed seed (its strategy, then the shortlist)."""
        rows = [{"strategy": r.variant.name, **row} for r in self.results for row in r.shortlist]
        return pd.DataFrame(rows, columns=["strategy", *shortlist.COLUMNS])

    def differences(self, baseline: str, metrics: list[str]) -> pd.DataFrame:
        """Paired differences from the baseline (common random numbers), one row each.

        Columns: variant, metric, mean (the variant's), pi95 (the range one campaign falls
        in), difference, its ci95, p_better (see :func:`simulation.compare.paired_difference`).
        """
        base = self.result(baseline)
        rows = []
        for result in self.results:
            if result.variant.name == baseline:
                continue
            for metric in metrics:
                if metric not in result.values or metric not in base.values:
                    continue
                d = paired_difference(result.values[metric], base.values[metric], metric)
                s = result.summary(metric)
                rows.append(
                    {
                        "variant": result.variant.name,
                        "metric": metric,
                        "mean": s["mean"],
                        "range95_low": s["pi95"][0],
                        "range95_high": s["pi95"][1],
                        "difference": d["mean"],
                        "ci95_low": d["ci95"][0],
                        "ci95_high": d["ci95"][1],
                        "p_better": d["p_better"],
                        "better": d["better"],
                    }
                )
        return pd.DataFrame(rows)

    def goal_table(self, goal: Goal | None = None) -> pd.DataFrame:
        """P(reaching the goal) per variant with its 95% interval (empty without a goal).

        A goal whose step is before the end is read from the replicates run to that step
        (the run's own goal); otherwise from the final values.
        """
        goal = goal or self.goal
        rows = []
        if goal is None:
            return pd.DataFrame(rows)
        for result in self.results:
            if goal.step is not None and goal.step < result.scenario.steps:
                if (
                    self.goal is None
                    or self.goal.step != goal.step
                    or self.goal.metric != (goal.metric)
                ):
                    continue  # this step was not run: run again
                values = result.goal_values
            else:
                values = result.values.get(goal.metric)
            if values is None:
                continue
            rows.append({"variant": result.variant.name, **goal_probability(values, goal.target)})
        return pd.DataFrame(rows)

    @property
    def metrics(self) -> list[str]:
        """Metrics every variant has, in the engine's order."""
        names = list(self.results[0].values) if self.results else []
        return [m for m in names if all(m in r.values for r in self.results)]

    def table(self) -> pd.DataFrame:
        """Long table: one row per (variant, metric) with mean, 95% CI and 95% range."""
        rows = []
        for result in self.results:
            for metric in self.metrics:
                s = result.summary(metric)
                rows.append(
                    {
                        "variant": result.variant.name,
                        "metric": metric,
                        "mean": s["mean"],
                        "ci95_low": s["ci95"][0],
                        "ci95_high": s["ci95"][1],
                        "range95_low": s["pi95"][0],
                        "range95_high": s["pi95"][1],
                        "runs": len(result.values[metric]),
                    }
                )
        return pd.DataFrame(rows)

    def wide_table(self) -> pd.DataFrame:
        """Readable table: a row per metric, a column per variant, "mean (low - high)"."""
        rows = []
        for metric in self.metrics:
            row = {"metric": metric}
            for result in self.results:
                s = result.summary(metric)
                row[result.variant.name] = (
                    f"{_fmt(s['mean'])} ({_fmt(s['ci95'][0])} – {_fmt(s['ci95'][1])}); "
                    f"one campaign: {_fmt(s['pi95'][0])} – {_fmt(s['pi95'][1])}"
                )
            row["meaning"] = describe(metric) or (
                METRICS[metric].meaning if metric in METRICS else ""
            )
            rows.append(row)
        return pd.DataFrame(rows)


def _fmt(x: float) -> str:
    if not math.isfinite(x):
        return "–"
    if abs(x) >= 100:
        return f"{x:,.0f}"
    return f"{x:.3g}"


def _batches(runs: int, count: int) -> list[int]:
    count = max(1, min(count, runs))
    return [runs // count + (1 if i < runs % count else 0) for i in range(count)]


def _padded(series: list[np.ndarray]) -> np.ndarray:
    """Stack per-batch timelines, each padded with its final value to the longest."""
    longest = max(len(s) for s in series)
    return np.stack([np.pad(s, (0, longest - len(s)), mode="edge") for s in series])


def run_comparison(
    base: Scenario,
    variants: list[Variant],
    *,
    runs: int,
    seed: int | None = None,
    batches: int = 10,
    progress: Callable[[int, int], None] | None = None,
    stop: Callable[[], bool] | None = None,
    goal: Goal | None = None,
) -> Comparison:
    """Run ``runs`` replicates of every variant, in ``batches`` batches each.

    Args:
        base: The scenario the variants change.
        variants: Two to four variants.
        runs: Replicates per variant.
        seed: Seed (default: the base scenario's); every variant uses the same replicates'
            random streams, so differences come from the strategies (common random numbers).
        batches: Batches per variant (at least 2 for a timeline band).
        progress: Called with (replicates done, total) over all variants.
        stop: Polled between batches; when it returns true the run raises :class:`StoppedError`.
        goal: A goal; when it has a step before the end, each variant's replicates also run to
            that step (same seed and replicate indices) for the goal's metric.

    Raises:
        ScenarioError: a variant is not a valid scenario (the problem names the variant).
        StoppedError: ``stop()`` returned true.
    """
    seed = base.seed if seed is None else seed
    scenarios = [v.scenario(base) for v in variants]
    early = goal is not None and goal.step is not None
    total = runs * len(variants) * (2 if early else 1)
    done = 0
    graphs: dict[str, Any] = {}
    results = []
    for variant, scenario in zip(variants, scenarios, strict=True):
        prepared = _prepare_sharing_graph(scenario, graphs)
        values: dict[str, list[np.ndarray]] = {}
        timelines: dict[str, list[np.ndarray]] = {}
        first = 0
        for size in _batches(runs, batches):
            if stop is not None and stop():
                raise StoppedError
            result = simulate(scenario, runs=size, seed=seed, first_run=first, prepared=prepared)
            for name, array in result.values.items():
                values.setdefault(name, []).append(np.asarray(array))
            for name in TIMELINE_METRICS:
                if name in result.timeline:
                    timelines.setdefault(name, []).append(np.asarray(result.timeline[name]))
            first += size
            done += size
            if progress is not None:
                progress(done, total)
        sizes = np.array(_batches(runs, batches), dtype=np.float64)
        timeline, band = {}, {}
        for name, series in timelines.items():
            stacked = _padded(series)
            mean = (stacked * sizes[:, None]).sum(axis=0) / sizes.sum()
            k = len(series)
            if k > 1:
                half = stats.t.ppf(0.975, k - 1) * stacked.std(axis=0, ddof=1) / math.sqrt(k)
            else:
                half = np.zeros_like(mean)
            timeline[name] = mean
            band[name] = (mean - half, mean + half)
        merged = {name: np.concatenate(parts) for name, parts in values.items()}
        if "cost" in merged and "conversions" in merged:
            with np.errstate(divide="ignore", invalid="ignore"):
                merged["cost_per_conversion"] = np.where(
                    merged["conversions"] > 0, merged["cost"] / merged["conversions"], np.nan
                )
        goal_values = None
        if early and goal.step < scenario.steps:
            if stop is not None and stop():
                raise StoppedError
            short = scenario.with_overrides({"steps": goal.step}, source=f"goal ({variant.name})")
            goal_values = simulate(
                short,
                runs=runs,
                seed=seed,
                metrics=[goal.metric],
                prepared=prepare(short, graph=prepared.graph),
            ).values[goal.metric]
        if early:
            done += runs
            if progress is not None:
                progress(done, total)
        results.append(
            VariantResult(
                variant=variant,
                scenario=scenario,
                values=merged,
                timeline=timeline,
                band=band,
                seeds=int(prepared.plan.size),
                goal_values=goal_values,
                shortlist=shortlist.rows(prepared),
                random_seeds=any(s["random"] for s in shortlist.seed_sets(prepared)),
            )
        )
    return Comparison(results=results, runs=runs, seed=seed, goal=goal)


def _prepare_sharing_graph(scenario: Scenario, graphs: dict[str, Any]) -> Prepared:
    """Prepare a variant, reusing the graph of an earlier variant with the same network."""
    key = repr((scenario.network, scenario.segments, scenario.seed, scenario.base_dir))
    prepared = prepare(scenario, graph=graphs.get(key))
    graphs[key] = prepared.graph
    return prepared


def validate_variants(base: Scenario, variants: list[Variant]) -> dict[str, ScenarioError]:
    """Variant name -> its error, for every variant that is not a valid scenario."""
    errors = {}
    for variant in variants:
        try:
            variant.scenario(base)
        except ScenarioError as exc:
            errors[variant.name] = exc
    return errors
