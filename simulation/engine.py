"""The one path from a scenario to named metrics: prepare once, run replicates, summarise.

``prepare`` builds the graph, the seed plan and the kernel's arrays from a validated
:class:`~simulation.scenario.Scenario`; ``simulate`` runs replicates through the compiled kernel
in batches across all cores and turns the outputs into metrics. The CLI, the Mesa model, the
sweep engine and the app all come through here.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numba
import numpy as np

from simulation import kernel
from simulation.metrics import METRICS, needs, resolve_metrics, summarize
from simulation.network import SocialGraph, build_graph
from simulation.scenario import Scenario
from simulation.seeding import SeedPlan, plan_seeds

__all__ = ["Prepared", "RunResult", "kernel_params", "prepare", "simulate"]

# Replicates per kernel call: progress is reported (and a caller may cancel) between calls.
_BATCH = 1024


@dataclass
class Prepared:
    """A scenario made ready for the kernel: graph, seeds and arrays, built once."""

    scenario: Scenario
    graph: SocialGraph
    plan: SeedPlan
    arrays: kernel.Graph


def prepare(scenario: Scenario, graph: SocialGraph | None = None) -> Prepared:
    """Build the scenario's graph (unless given) and seed plan, and the kernel's arrays.

    Raises:
        ScenarioError: a bad edge-list file, unknown seed label or budget above the population.
    """
    graph = graph if graph is not None else build_graph(scenario)
    plan = plan_seeds(scenario, graph)
    arrays = kernel.Graph(
        indptr=graph.indptr,
        indices=graph.indices,
        in_indptr=graph.in_indptr,
        in_indices=graph.in_indices,
        segment_of=graph.segment_of,
    )
    return Prepared(scenario, graph, plan, arrays)


def kernel_params(scenario: Scenario, *, funnel: bool = True) -> kernel.Params:
    """The kernel's parameters for a scenario (``funnel=False``: who shares only)."""
    content = scenario.content
    diffusion = scenario.diffusion
    threshold = diffusion.threshold
    if diffusion.threshold_count is not None:
        th_kind, th_a, th_b = kernel.TH_COUNT, 0.0, 0.0
    elif isinstance(threshold, float):
        th_kind, th_a, th_b = kernel.TH_FIXED, threshold, 0.0
    elif threshold.distribution == "uniform":
        th_kind, th_a, th_b = kernel.TH_UNIFORM, threshold.low, threshold.high
    else:
        th_kind, th_a, th_b = kernel.TH_NORMAL, threshold.mean, threshold.std
    affinity = np.array([s.affinity for s in scenario.segments] or [1.0], dtype=np.float64)
    return kernel.Params(
        rule={"cascade": kernel.CASCADE, "threshold": kernel.THRESHOLD, "bass": kernel.BASS}[
            diffusion.rule
        ],
        visibility=float(content.visibility),
        appeal=float(content.appeal),
        stickiness=float(content.stickiness),
        click_through=float(content.click_through),
        conversion=float(content.conversion),
        comment_ratio=float(content.comment_ratio),
        decay=0.5 ** (1.0 / content.half_life) if content.half_life else 1.0,
        affinity=affinity,
        threshold_kind=th_kind,
        threshold_a=float(th_a),
        threshold_b=float(th_b),
        threshold_count=int(diffusion.threshold_count or 0),
        innovation=float(diffusion.innovation),
        imitation=float(diffusion.imitation),
        funnel=bool(funnel),
    )


@dataclass
class RunResult:
    """Replicates of a scenario, as named metrics.

    Attributes:
        values: Metric name -> one value per replicate, in replicate order.
        timeline: Metric name -> mean over replicates of the cumulative count at the end of each
            step (index 0 = right after seeding), padded to the longest replicate.
        lengths: Steps each replicate took.
    """

    scenario: Scenario
    nodes: int
    edges: int
    runs: int
    seed: int
    first_run: int
    metrics: list[str]
    values: dict[str, np.ndarray]
    timeline: dict[str, np.ndarray]
    lengths: np.ndarray
    warnings: list[str] = field(default_factory=list)

    def summary(self, metric: str) -> dict[str, Any]:
        """Mean, std, 95% interval of the mean (``ci95``), 95% range (``pi95``) and values."""
        return summarize(self.values[metric])

    def to_json(self) -> dict[str, Any]:
        """The ``wom run --json`` document (see the README)."""
        return {
            "scenario": self.scenario.name,
            "runs": self.runs,
            "seed": self.seed,
            "nodes": self.nodes,
            "edges": self.edges,
            "metrics": {m: _finite(self.summary(m)) for m in self.metrics},
            "timeline": {m: [float(x) for x in v] for m, v in self.timeline.items()},
        }


def _finite(summary: dict[str, Any]) -> dict[str, Any]:
    """Replace NaN by None so the JSON is standard."""

    def clean(x: Any) -> Any:
        if isinstance(x, float) and not math.isfinite(x):
            return None
        if isinstance(x, list):
            return [clean(y) for y in x]
        return x

    return {k: clean(v) for k, v in summary.items()}


def simulate(
    scenario: Scenario,
    *,
    runs: int | None = None,
    seed: int | None = None,
    metrics: list[str] | None = None,
    first_run: int = 0,
    prepared: Prepared | None = None,
    progress: Callable[[int, int], None] | None = None,
    workers: int | None = None,
) -> RunResult:
    """Run replicates ``first_run .. first_run + runs - 1`` of a scenario.

    Args:
        scenario: A validated scenario.
        runs: Replicates (default: the scenario's ``runs``).
        seed: Seed (default: the scenario's ``seed``); replicate r is a pure function of
            (scenario, seed, r).
        metrics: Metric names to compute (default: all); work the others need is skipped.
        first_run: Index of the first replicate (sweeps run slices of a replicate range).
        prepared: A :func:`prepare` d scenario to reuse (must be built from ``scenario``).
        progress: Called with (replicates done, total) after each batch.
        workers: Threads (default: numba's thread count, i.e. every core).

    Raises:
        ScenarioError: unknown metric names, or what :func:`prepare` raises.
    """
    runs = scenario.runs if runs is None else runs
    seed = scenario.seed if seed is None else seed
    prepared = prepared if prepared is not None else prepare(scenario)
    graph, plan = prepared.graph, prepared.plan
    names = resolve_metrics(metrics, graph.segment_names)
    funnel = any(needs(m) == "funnel" for m in names)
    tree = any(needs(m) == "tree" for m in names)
    params = kernel_params(scenario, funnel=funnel)
    steps = scenario.steps
    workers = workers or numba.get_num_threads()
    n_seg = len(graph.segment_names)

    finals = np.zeros((runs, kernel.N_COUNTERS), np.int64)
    segment_finals = np.zeros((runs, n_seg, kernel.N_SEGMENT_COUNTERS), np.int64)
    lengths = np.zeros(runs, np.int64)
    peak = np.zeros(runs, np.int64)
    virality = np.zeros(runs)
    depth = np.zeros(runs, np.int64)
    timeline_sum = np.zeros((workers, 2, steps + 2, kernel.N_COUNTERS), np.int64)

    done = 0
    while done < runs:
        size = min(_BATCH, runs - done)
        part = slice(done, done + size)
        kernel.run_replicates(
            prepared.arrays,
            params,
            plan.fixed,
            plan.pool,
            plan.random_budget,
            np.uint64(seed),
            first_run + done,
            size,
            steps,
            min(workers, size),
            tree,
            finals[part],
            segment_finals[part],
            lengths[part],
            peak[part],
            virality[part],
            depth[part],
            timeline_sum,
        )
        done += size
        if progress is not None:
            progress(done, runs)

    counter = {name: finals[:, i] for i, name in enumerate(kernel.COUNTERS)}
    seeds = plan.size
    derived = {
        "engagement_rate": lambda: np.divide(
            counter["engagements"],
            counter["impressions"],
            out=np.zeros(runs),
            where=counter["impressions"] > 0,
        ),
        "amplification": lambda: counter["shares"] / seeds if seeds else np.zeros(runs),
        "structural_virality": lambda: virality,
        "cascade_depth": lambda: depth,
        "peak_step": lambda: peak,
        "steps": lambda: lengths,
    }
    values: dict[str, np.ndarray] = {}
    for name in names:
        if name in counter:
            values[name] = counter[name]
        elif name in derived:
            values[name] = derived[name]()
        else:
            base, segment = name[:-1].split("[", 1)
            column = kernel.SEGMENT_COUNTERS.index(base)
            values[name] = segment_finals[:, graph.segment_names.index(segment), column]
    longest = int(lengths.max()) if runs else 0
    totals = timeline_sum.sum(axis=0)
    padded = totals[0] + np.cumsum(totals[1], axis=0)  # each replicate padded with its final value
    timelines = {
        name: padded[: longest + 1, kernel.COUNTERS.index(name)] / runs
        for name in names
        if name in METRICS and METRICS[name].timeline
    }
    return RunResult(
        scenario=scenario,
        nodes=graph.n,
        edges=graph.edges,
        runs=runs,
        seed=seed,
        first_run=first_run,
        metrics=names,
        values=values,
        timeline=timelines,
        lengths=lengths,
        warnings=list(graph.warnings),
    )
