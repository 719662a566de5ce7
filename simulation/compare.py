"""Compare variants of a scenario by paired replicates (common random numbers).

``wom compare`` and the app's strategy comparison share this module. A variant is the scenario
with some dotted keys changed (``content.stickiness=0.3``), set by the same machinery as
``wom run --set`` (:func:`simulation.cli.parse_settings`, :meth:`Scenario.with_overrides`).

Every variant runs the same replicate indices ``0 .. runs-1`` with the same seed. A replicate
is a pure function of (scenario, seed, replicate index), and every random decision is a
function of what is decided, so replicate r of two variants shares its random numbers wherever
the variants agree: the paired difference ``d_r = variant_r - baseline_r`` is free of most of
the campaign-to-campaign noise, and its interval is much narrower than that of two independent
means. For each metric and variant:

- ``mean``: the mean of ``d_r``;
- ``ci95``: its 95% confidence interval, ``mean ± t(0.975, n-1) · sd(d) / sqrt(n)``;
- ``p_better``: the share of replicates in which the variant did better than the baseline,
  ties counted half: ``(#better + #tied / 2) / n``, an estimate of the probability that one
  campaign run with the variant beats the same campaign run with the baseline. Identical
  variants give 0.5; a sure improvement gives 1.

"Better" is larger, except for metrics where less is better (:data:`LOWER_IS_BETTER`: money
spent, the app's cost per conversion, and the harm of a crisis); a metric's own ``better``
attribute wins where the metric metadata has one. Replicates where either value is
undefined (``roi`` when nothing was spent) are left out of that metric's difference.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.special import stdtrit

from simulation.errors import ScenarioError
from simulation.metrics import METRICS, summarize
from simulation.scenario import Scenario

__all__ = [
    "LOWER_IS_BETTER",
    "Comparison",
    "Variant",
    "better_direction",
    "compare",
    "paired_difference",
    "parse_vary",
    "print_table",
    "run_variants",
]

# Metrics where a smaller value is the better outcome.
LOWER_IS_BETTER = frozenset(
    {
        "cost",
        "ad_spend",
        "seeding_cost",
        "cost_per_conversion",
        "negative_reach",
        "negative_impressions",
        "negative_sharers",
        "mean_response_time",
    }
)


def better_direction(metric: str) -> str:
    """``"higher"`` or ``"lower"``: which way a metric (plain or qualified) improves."""
    base = metric.split("[", 1)[0]
    declared = getattr(METRICS.get(base), "better", None)
    if declared in ("higher", "lower"):
        return declared
    return "lower" if base in LOWER_IS_BETTER else "higher"


@dataclass(frozen=True)
class Variant:
    """A named change of the scenario: dotted keys to values (empty: the scenario as it is)."""

    name: str
    overrides: dict[str, Any] = field(default_factory=dict)

    def scenario(self, base: Scenario) -> Scenario:
        """The scenario with this variant's changes, validated.

        Raises:
            ScenarioError: naming the key, with ``--vary 'NAME'`` as the source.
        """
        return base.with_overrides(self.overrides, source=f"--vary {self.name!r}")


def _split_top_level(text: str) -> list[str]:
    """Split on commas that are not inside brackets, braces or quotes."""
    parts, depth, quote, current = [], 0, "", []
    for char in text:
        if quote:
            if char == quote:
                quote = ""
        elif char in "\"'":
            quote = char
        elif char in "[{":
            depth += 1
        elif char in "]}":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
    parts.append("".join(current))
    return parts


def parse_vary(text: str) -> Variant:
    """Parse ``"NAME: KEY=VALUE[, KEY=VALUE ...]"`` (values are TOML; bare words are strings).

    ``"NAME:"`` alone is the scenario unchanged under that name.

    Raises:
        ScenarioError: naming the variant and the setting that is malformed.
    """
    from simulation.cli import parse_settings

    name, sep, rest = text.partition(":")
    name = name.strip()
    if not sep or not name:
        raise ScenarioError.single(
            f'expected "NAME: KEY=VALUE[, KEY=VALUE ...]", got {text!r}', source="--vary"
        )
    settings = tuple(s.strip() for s in _split_top_level(rest) if s.strip())
    source = f"--vary {name!r}"
    for setting in settings:
        if "=" not in setting or not setting.partition("=")[0].strip():
            raise ScenarioError.single(f"expected KEY=VALUE, got {setting!r}", source=source)
    try:
        overrides = parse_settings(settings)
    except ScenarioError as exc:
        raise ScenarioError(
            [type(p)(p.message, p.key, p.line, source) for p in exc.problems]
        ) from None
    return Variant(name, overrides)


def paired_difference(variant: np.ndarray, baseline: np.ndarray, metric: str) -> dict[str, Any]:
    """Mean paired difference, its 95% CI (Student t) and P(variant better); see the module.

    Args:
        variant: The variant's value per replicate.
        baseline: The baseline's value for the same replicates.
        metric: The metric's name (for its direction).

    Returns:
        ``{"mean", "ci95": [lo, hi], "p_better", "better", "runs"}``; numbers are ``None`` when
        no replicate has both values defined.
    """
    a = np.asarray(variant, dtype=np.float64)
    b = np.asarray(baseline, dtype=np.float64)
    both = np.isfinite(a) & np.isfinite(b)
    d = a[both] - b[both]
    n = len(d)
    direction = better_direction(metric)
    if n == 0:
        return {
            "mean": None,
            "ci95": [None, None],
            "p_better": None,
            "better": direction,
            "runs": 0,
        }
    mean = float(d.mean())
    std = float(d.std(ddof=1)) if n > 1 else 0.0
    half = float(stdtrit(n - 1, 0.975)) * std / math.sqrt(n) if n > 1 and std > 0 else 0.0
    wins = d > 0 if direction == "higher" else d < 0
    ties = d == 0
    p_better = (float(wins.sum()) + 0.5 * float(ties.sum())) / n
    return {
        "mean": mean,
        "ci95": [mean - half, mean + half],
        "p_better": p_better,
        "better": direction,
        "runs": n,
    }


@dataclass(eq=False)
class Comparison:
    """Every variant's replicate values, and their paired differences from the baseline.

    Attributes:
        baseline: Name of the variant the others are compared with.
        variants: Name -> (variant, its scenario).
        values: Name -> metric -> one value per replicate (replicates ``0 .. runs-1``).
    """

    scenario: Scenario
    baseline: str
    runs: int
    seed: int
    variants: dict[str, tuple[Variant, Scenario]]
    values: dict[str, dict[str, np.ndarray]]

    @property
    def metrics(self) -> list[str]:
        """Metrics every variant has, in the engine's order."""
        names = list(self.values[self.baseline])
        return [m for m in names if all(m in v for v in self.values.values())]

    def differences(self) -> dict[str, dict[str, dict[str, Any]]]:
        """Variant name -> metric -> :func:`paired_difference` against the baseline."""
        base = self.values[self.baseline]
        return {
            name: {m: paired_difference(values[m], base[m], m) for m in self.metrics}
            for name, values in self.values.items()
            if name != self.baseline
        }

    def to_json(self) -> dict[str, Any]:
        """The ``wom compare --json`` document (see the README)."""
        return {
            "scenario": self.scenario.name,
            "runs": self.runs,
            "seed": self.seed,
            "baseline": self.baseline,
            "variants": {
                name: {
                    "changes": variant.overrides,
                    "metrics": {m: _finite(summarize(self.values[name][m])) for m in self.metrics},
                }
                for name, (variant, _) in self.variants.items()
            },
            "differences": {
                name: {m: _finite(d) for m, d in metrics.items()}
                for name, metrics in self.differences().items()
            },
        }


def _finite(document: dict[str, Any]) -> dict[str, Any]:
    """NaN and infinities as ``None`` so the JSON is standard."""

    def clean(x: Any) -> Any:
        if isinstance(x, float) and not math.isfinite(x):
            return None
        if isinstance(x, list):
            return [clean(y) for y in x]
        return x

    return {k: clean(v) for k, v in document.items()}


def compare(
    scenario: Scenario,
    variants: list[Variant],
    *,
    baseline: str | None = None,
    runs: int | None = None,
    seed: int | None = None,
    metrics: list[str] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Comparison:
    """Run replicates ``0 .. runs-1`` of every variant with one seed; pair them.

    Args:
        scenario: The scenario the variants change.
        variants: The variants; the baseline is one of them, or the scenario unchanged (named
            ``"baseline"``) when ``baseline`` is not given and no variant has that name.
        baseline: The variant the others are compared with.
        runs: Replicates per variant (default: the scenario's ``runs``).
        seed: Seed (default: the scenario's).
        metrics: Metric names (default: every metric).
        progress: Called with (replicates done, total) over all variants.

    Raises:
        ScenarioError: a bad variant (naming it and the key), an unknown baseline or metric.
    """
    runs = scenario.runs if runs is None else runs
    seed = scenario.seed if seed is None else seed
    names = [v.name for v in variants]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ScenarioError.single(
            f"two variants are named {duplicates[0]!r}: give each its own name", source="--vary"
        )
    if baseline is None:
        baseline = "baseline"
        if baseline not in names:
            variants = [Variant(baseline), *variants]
    elif baseline not in names:
        raise ScenarioError.single(
            f"no variant is named {baseline!r}; the variants are: {', '.join(names)}",
            source="--baseline",
        )
    if len(variants) < 2:
        raise ScenarioError.single(
            'nothing to compare: give a variant with --vary "NAME: KEY=VALUE"', source="--vary"
        )
    built, problems = {}, []
    for v in variants:
        try:
            built[v.name] = (v, v.scenario(scenario))
        except ScenarioError as exc:
            problems += exc.problems
    if problems:
        raise ScenarioError(problems)
    values = run_variants(
        [s for _, s in built.values()], runs=runs, seed=seed, metrics=metrics, progress=progress
    )
    return Comparison(
        scenario=scenario,
        baseline=baseline,
        runs=runs,
        seed=seed,
        variants=built,
        values=dict(zip(built, values, strict=True)),
    )


def run_variants(
    scenarios: list[Scenario],
    *,
    runs: int,
    seed: int,
    metrics: list[str] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[dict[str, np.ndarray]]:
    """Replicates ``0 .. runs-1`` of each scenario with one seed: metric -> values, per scenario.

    Variants with the same network share one generated graph. ``progress`` is called between
    batches of replicates (never inside the kernel), so it may raise to stop the run.
    """
    from simulation.engine import prepare, simulate

    total = runs * len(scenarios)
    graphs: dict[str, Any] = {}
    out = []
    for index, scenario in enumerate(scenarios):
        key = repr((scenario.network, scenario.segments, scenario.seed, scenario.base_dir))
        prepared = prepare(scenario, graph=graphs.get(key))
        graphs[key] = prepared.graph

        def report(done: int, _runs: int, before: int = index * runs) -> None:
            if progress is not None:
                progress(before + done, total)

        result = simulate(
            scenario, runs=runs, seed=seed, metrics=metrics, prepared=prepared, progress=report
        )
        out.append({m: np.asarray(v) for m, v in result.values.items()})
    return out


def _fmt(x: float | None, signed: bool = False) -> str:
    if x is None or not math.isfinite(x):
        return "-"
    sign = "+" if signed and x > 0 else ""
    if abs(x) >= 1000:
        return f"{sign}{x:,.0f}"
    return f"{sign}{x:.3g}"


def print_table(comparison: Comparison, width: int = 120) -> None:
    """The comparison as readable tables on stdout: one per variant against the baseline."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    console = Console(width=max(100, min(160, width)))
    base = comparison.values[comparison.baseline]
    console.print(
        f"{escape(comparison.scenario.name)}: {comparison.runs} paired runs per variant, seed "
        f"{comparison.seed}; baseline {escape(comparison.baseline)!s}"
    )
    for name, metrics in comparison.differences().items():
        table = Table(
            title=f"{escape(name)} vs {escape(comparison.baseline)}", title_justify="left"
        )
        table.add_column("metric")
        table.add_column(escape(comparison.baseline), justify="right")
        table.add_column(escape(name), justify="right")
        table.add_column("difference", justify="right")
        table.add_column("95% CI of difference", justify="right")
        table.add_column("P(better)", justify="right")
        for metric, d in metrics.items():
            table.add_row(
                escape(metric) + (" (lower is better)" if d["better"] == "lower" else ""),
                _fmt(float(np.nanmean(base[metric])) if np.isfinite(base[metric]).any() else None),
                _fmt(
                    float(np.nanmean(comparison.values[name][metric]))
                    if np.isfinite(comparison.values[name][metric]).any()
                    else None
                ),
                _fmt(d["mean"], signed=True),
                f"{_fmt(d['ci95'][0], True)} to {_fmt(d['ci95'][1], True)}",
                "-" if d["p_better"] is None else f"{d['p_better']:.2f}",
            )
        console.print(table)
