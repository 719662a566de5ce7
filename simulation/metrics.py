"""Named metrics: what each means, what work it needs, and its summary over replicates.

Metric names are the public vocabulary of the CLI's JSON, the sweep's Parquet columns and the
app. Each metric declares the work it needs (``cascade``: who shares; ``funnel``: every exposure
and interaction; ``tree``: the cascade trees), so ``--metrics`` can skip the rest.
Per-segment metrics are named ``metric[segment]``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.special import stdtrit

from simulation.errors import Problem, ScenarioError
from simulation.scenario import _did_you_mean

__all__ = ["METRICS", "Metric", "resolve_metrics", "summarize"]


@dataclass(frozen=True)
class Metric:
    """A metric's name, plain-language meaning and the work it needs."""

    name: str
    meaning: str
    needs: str  # "cascade", "funnel" or "tree"
    timeline: bool = False  # has a per-step cumulative timeline


METRICS: dict[str, Metric] = {
    m.name: m
    for m in (
        Metric(
            "sharers", "distinct people who shared the content, seeds included", "cascade", True
        ),
        Metric("reach", "distinct people who saw it at least once, seeds included", "funnel", True),
        Metric("impressions", "times it was seen, every exposure counted", "funnel", True),
        Metric("engagements", "likes and comments, each counted when it happens", "funnel", True),
        Metric("likes", "engagements that were likes", "funnel", True),
        Metric("comments", "engagements that were comments", "funnel", True),
        Metric("shares", "shares by people who were not seeds (earned shares)", "cascade", True),
        Metric(
            "clicks", "click-throughs to the brand's site (referrals from shares)", "funnel", True
        ),
        Metric("conversions", "purchases that followed a click (once per person)", "funnel", True),
        Metric("engagement_rate", "engagements per impression (0 when nothing was seen)", "funnel"),
        Metric(
            "amplification",
            "earned shares per seed: how far word of mouth multiplied the first posts",
            "cascade",
        ),
        Metric(
            "structural_virality",
            "mean distance between two people of a cascade tree (Goel et al. 2016): "
            "about 2 for a broadcast, large for a chain of person-to-person shares",
            "tree",
        ),
        Metric("cascade_depth", "longest seed-to-sharer path in any cascade tree", "tree"),
        Metric(
            "peak_step",
            "step with the most new sharers (0 if nobody shared after the seeds)",
            "cascade",
        ),
        Metric("steps", "steps until nothing could change any more (or the step limit)", "cascade"),
    )
}

SEGMENT_METRICS = {
    "sharers": "cascade",
    "reach": "funnel",
    "engagements": "funnel",
    "conversions": "funnel",
}


def resolve_metrics(
    requested: list[str] | None, segment_names: list[str], *, source: str = "--metrics"
) -> list[str]:
    """Check requested metric names (all metrics when ``None``); return them in a fixed order.

    Raises:
        ScenarioError: an unknown metric name, with a did-you-mean.
    """
    segmented = len(segment_names) > 1 or segment_names != ["everyone"]
    available = list(METRICS)
    if segmented:
        available += [f"{m}[{s}]" for m in SEGMENT_METRICS for s in segment_names]
    if requested is None:
        return available
    unknown = [m for m in requested if m not in available]
    if unknown:
        known = ", ".join(METRICS) + (" and per-segment metric[segment]" if segmented else "")
        raise ScenarioError(
            [
                Problem(
                    f"unknown metric {m!r}{_did_you_mean(m, available)}; known: {known}",
                    source=source,
                )
                for m in unknown
            ]
        )
    return [m for m in available if m in set(requested)]


def needs(metric: str) -> str:
    """The work a metric (plain or per-segment) needs."""
    if metric in METRICS:
        return METRICS[metric].needs
    return SEGMENT_METRICS[metric.split("[", 1)[0]]


def summarize(values: np.ndarray) -> dict[str, object]:
    """Mean, std (ddof 1), the 95% confidence interval of the mean (Student t) and the values.

    Also ``pi95``: the 2.5th and 97.5th percentiles of the replicates, the range a single
    campaign's outcome falls in 95% of the time.
    """
    values = np.asarray(values, dtype=np.float64)
    n = len(values)
    mean = float(values.mean()) if n else math.nan
    std = float(values.std(ddof=1)) if n > 1 else 0.0
    half = float(stdtrit(n - 1, 0.975)) * std / math.sqrt(n) if n > 1 else 0.0
    lo, hi = np.percentile(values, [2.5, 97.5]) if n else (math.nan, math.nan)
    return {
        "mean": mean,
        "std": std,
        "ci95": [mean - half, mean + half],
        "pi95": [float(lo), float(hi)],
        "values": values.tolist(),
    }


def reference_markdown() -> str:
    """Every metric and its meaning as a Markdown table (the README's metrics reference)."""
    lines = [
        "<!-- generated by `wom metrics`; do not edit by hand -->",
        "",
        "| metric | meaning | work it needs |",
        "| --- | --- | --- |",
    ]
    lines += [f"| `{m.name}` | {m.meaning} | {m.needs} |" for m in METRICS.values()]
    lines += [
        f"| `{name}[segment]` | {name} within one segment (when segments are defined) | {work} |"
        for name, work in SEGMENT_METRICS.items()
    ]
    return "\n".join(lines)
