"""The one path from a scenario to named metrics: prepare once, run replicates, summarise.

``prepare`` builds the graph, the seed plans and the kernel's arrays (the campaign: posts,
brands, ads, crisis) from a validated :class:`~simulation.scenario.Scenario`; ``simulate`` runs
replicates through the compiled kernel in batches across all cores and turns the outputs into
metrics. The CLI, the Mesa model, the sweep engine and the app all come through here.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from simulation import kernel, kernel_inputs, shortlist
from simulation._jit import threads
from simulation.errors import Problem, ScenarioError
from simulation.inputs import memory_problem
from simulation.kernel_inputs import kernel_params
from simulation.metrics import Layout, needs, resolve_metrics, summarize
from simulation.network import SocialGraph, build_graph, graph_seed
from simulation.population import Audience, Population, audience, draw_population, target_mask
from simulation.scenario import Content, Scenario, Seeding
from simulation.seeding import SeedPlan, plan_seeds

__all__ = ["Layout", "Prepared", "RunResult", "kernel_params", "prepare", "simulate"]

# Replicates per kernel call: progress is reported (and a caller may cancel) between calls.
_BATCH = 1024


@dataclass
class Prepared:
    """A scenario made ready for the kernel: graph, seeds and arrays, built once.

    Attributes:
        plan: The scenario's brand's seed plan (``[seeding]``).
        arrays: The graph as the kernel's arrays (with tie strengths under ``[ties]``).
        campaign: Posts, brands, seed sets, ads and crisis as the kernel's arrays.
        layout: Names and money around the kernel's counts.
        plans: Every seed set's plan, in the campaign's order (brands, posts', crisis's).
        owners: Whose each plan is, aligned with ``plans``: (brand or ``"crisis"``, the post's
            name for a post's own ``seeding``, else ``None``).
        population: Every person's segment and attributes (``population.frame()``: a table).
        audience: The kernel's audience groups (``arrays.segment_of`` holds each person's) and
            every post's appeal multiplier per group.
    """

    scenario: Scenario
    graph: SocialGraph
    plan: SeedPlan
    arrays: kernel.Graph
    campaign: kernel.Campaign | None = None
    layout: Layout | None = None
    plans: list[SeedPlan] = field(default_factory=list)
    owners: list[tuple[str, str | None]] = field(default_factory=list)
    population: Population | None = None
    audience: Audience | None = None

    def params(self, *, funnel: bool = True) -> kernel.Params:
        """The kernel's parameters, with every post's appeal multiplier per audience group."""
        return kernel_params(self.scenario, funnel=funnel, audience=self.audience)

    @property
    def groups(self) -> int:
        """Audience groups the kernel counts by (the segments without ``resonance``)."""
        return self.audience.groups if self.audience is not None else len(self.graph.segment_names)


def prepare(scenario: Scenario, graph: SocialGraph | None = None) -> Prepared:
    """Build the scenario's graph (unless given), seed plans, and the kernel's arrays.

    Raises:
        ScenarioError: a bad edge-list file, unknown seed label, budget above the population,
            or an ad aimed at an empty segment.
    """
    graph = graph if graph is not None else build_graph(scenario)
    if graph.population is None:
        graph.population = draw_population(scenario, graph.segment_of, graph_seed(scenario))
    plan = plan_seeds(scenario, graph)
    campaign, layout, calendar = _campaign(scenario, graph, plan)
    groups = audience(scenario, graph.population, calendar.resonances)
    return Prepared(
        scenario,
        graph,
        plan,
        kernel_inputs.kernel_graph(scenario, graph)._replace(segment_of=groups.group_of),
        campaign,
        replace(layout, attributes=groups.metric_values()),
        calendar.plans,
        calendar.owners,
        graph.population,
        groups,
    )


def _variant_plan(
    scenario: Scenario, graph: SocialGraph, content: Content, seeding: Seeding, key: str
) -> SeedPlan:
    """The seed plan of another ``[seeding]``-like table, its problems named under ``key``."""
    variant = scenario.model_copy(update={"content": content, "seeding": seeding})
    try:
        return plan_seeds(variant, graph)
    except ScenarioError as error:
        raise ScenarioError(
            [
                Problem(
                    p.message,
                    key=f"{key}.{p.key.removeprefix('seeding.')}" if p.key else key,
                    line=p.line,
                    source=p.source,
                )
                for p in error.problems
            ]
        ) from None


def _seed_set(plan: SeedPlan) -> kernel_inputs.SeedSetPlan:
    return kernel_inputs.SeedSetPlan(
        np.asarray(plan.fixed), np.asarray(plan.pool), int(plan.random_budget)
    )


class _Calendar:
    """The campaign's pieces as they are planned: seed sets (with their fees) and posts."""

    def __init__(self) -> None:
        self.plans: list[SeedPlan] = []
        self.owners: list[tuple[str, str | None]] = []
        self.posts: list[kernel_inputs.PostPlan] = []
        # Per post: (the key of its resonance table, the table or None), as the posts.
        self.resonances: list[tuple[str, Any]] = []

    def add_seeds(self, plan: SeedPlan, brand: str, post: str | None = None) -> int:
        self.plans.append(plan)
        self.owners.append((brand, post))
        return len(self.plans) - 1

    def cost(self, s: int) -> float:
        return float(getattr(self.plans[s], "cost", 0.0))


def _brand_posts(
    scenario: Scenario, graph: SocialGraph, calendar: _Calendar, brand_sets: list[int]
) -> list[float]:
    """Every brand post of the calendar into ``calendar.posts``; returns seeding fees by brand."""
    brands = scenario.brand_names
    contents = [scenario.content] + [c.content for c in scenario.competitors]
    crisis = scenario.crisis
    target = brands.index(crisis.brand or scenario.brand) if crisis is not None else -1
    listed = {p.name: (i, p) for i, p in enumerate(scenario.posts)}
    seeding_cost = [0.0] * len(brands)
    for name, brand_name, start in scenario.calendar():
        b = brands.index(brand_name)
        index, post = listed.get(name, (None, None))
        s = brand_sets[b]
        if post is not None and post.seeding is not None:
            content = contents[b].model_copy(
                update={
                    k: getattr(post, k)
                    for k in ("visibility", "appeal", "stickiness", "click_through", "conversion")
                    if getattr(post, k) is not None
                }
            )
            key = f"posts[{index}].seeding"
            s = calendar.add_seeds(
                _variant_plan(scenario, graph, content, post.seeding, key), brand_name, name
            )
        if start <= scenario.steps:
            seeding_cost[b] += calendar.cost(s)
        if post is not None and post.resonance is not None:
            calendar.resonances.append((f"posts[{index}].resonance", post.resonance))
        else:
            key = "content" if b == 0 else f"competitors[{b - 1}].content"
            calendar.resonances.append((f"{key}.resonance", contents[b].resonance))
        calendar.posts.append(
            kernel_inputs.PostPlan(
                name=name,
                brand=b,
                start=start,
                seed_set=s,
                rule=scenario.diffusion.rule,
                content=kernel_inputs.content_values(contents[b], post),
                impact=float(crisis.impact) if crisis is not None and b == target else 1.0,
            )
        )
    several = {b: sum(p.brand == b for p in calendar.posts) > 1 for b in range(len(brands))}
    for post in calendar.posts:
        post.track = several[post.brand] or bool(scenario.market.exclusive)
    return seeding_cost


def _crisis(
    scenario: Scenario, graph: SocialGraph, calendar: _Calendar
) -> kernel_inputs.CrisisPlan | None:
    """The crisis's post (appended to the calendar) and how its brand answers."""
    crisis = scenario.crisis
    if crisis is None:
        return None
    negative = Content(
        visibility=crisis.visibility,
        appeal=crisis.appeal,
        stickiness=crisis.stickiness,
        click_through=0.0,
        conversion=0.0,
        comment_ratio=crisis.comment_ratio,
        half_life=crisis.half_life,
    )
    s = calendar.add_seeds(
        _variant_plan(scenario, graph, negative, crisis.seeding, "crisis.seeding"),
        "crisis",
        "crisis",
    )
    brands = scenario.brand_names
    calendar.posts.append(
        kernel_inputs.PostPlan(
            name="crisis",
            brand=len(brands),
            start=crisis.start,
            seed_set=s,
            rule="cascade",  # negative content spreads as a cascade whatever the rule
            content=kernel_inputs.content_values(negative),
            persistence=float(crisis.persistence),
        )
    )
    calendar.resonances.append(("crisis.resonance", crisis.resonance))
    return kernel_inputs.CrisisPlan(
        post=len(calendar.posts) - 1,
        brand=brands.index(crisis.brand or scenario.brand),
        delay=crisis.response_time,
        capacity=-1 if crisis.response_capacity is None else crisis.response_capacity,
        rate=crisis.response_rate,
        neutralize=crisis.neutralize,
    )


def _ads(
    scenario: Scenario, graph: SocialGraph, post_names: list[str]
) -> list[kernel_inputs.AdPlan]:
    """The paid campaigns, each with its audience."""
    brands = scenario.brand_names
    ads = []
    for i, ad in enumerate(scenario.ads):
        shown = target_mask(graph.population, ad.target)
        if ad.segment is not None:
            shown &= graph.segment_of == graph.segment_names.index(ad.segment)
        audience = np.flatnonzero(shown).astype(np.int32)
        if len(audience) == 0:
            where = f"segment {ad.segment!r}" if ad.segment is not None else "the population"
            if ad.target is not None:
                where += f" with {ad.target.describe()}"
            raise ScenarioError.single(
                f"{where} has nobody in it to show the ad to",
                key=f"ads[{i}].target" if ad.target is not None else f"ads[{i}].segment",
                source=scenario.source,
            )
        ads.append(
            kernel_inputs.AdPlan(
                brand=brands.index(ad.brand or scenario.brand),
                post=post_names.index(ad.post) if ad.post is not None else -1,
                start=ad.start,
                end=kernel_inputs.FOREVER if ad.end is None else ad.end,
                rate=ad.spend_per_step / ad.cpm * 1000.0,
                audience=audience,
            )
        )
    return ads


def _campaign(
    scenario: Scenario, graph: SocialGraph, plan: SeedPlan
) -> tuple[kernel.Campaign, Layout, _Calendar]:
    """The scenario's posts, brands, seed sets, ads and crisis as the kernel's arrays."""
    brands = scenario.brand_names
    calendar = _Calendar()
    brand_sets = [calendar.add_seeds(plan, brands[0])]
    for i, competitor in enumerate(scenario.competitors):
        key = f"competitors[{i}].seeding"
        brand_sets.append(
            calendar.add_seeds(
                _variant_plan(scenario, graph, competitor.content, competitor.seeding, key),
                brands[i + 1],
            )
        )
    seeding_cost = _brand_posts(scenario, graph, calendar, brand_sets)
    names = [post.name for post in calendar.posts]
    crisis = _crisis(scenario, graph, calendar)
    ads = _ads(scenario, graph, names)
    campaign = kernel_inputs.assemble_campaign(
        calendar.posts,
        [_seed_set(p) for p in calendar.plans],
        ads,
        crisis,
        brands=len(brands),
        exclusive=bool(scenario.market.exclusive),
    )
    money = [scenario.money, *scenario.competitors]
    cpm = []
    for b, owner in enumerate(money):
        own_ads = [ad.cpm for ad in scenario.ads if brands.index(ad.brand or scenario.brand) == b]
        cpm.append(
            float(owner.cpm)
            if owner.cpm is not None
            else float(np.mean(own_ads))
            if own_ads
            else 0.0
        )
    layout = Layout(
        brands=brands,
        posts=[(post.name, post.brand) for post in calendar.posts[: len(names)]],
        crisis=crisis is not None,
        crisis_brand=crisis.brand if crisis is not None else 0,
        calendar=bool(scenario.posts),
        value=[float(owner.value) for owner in money],
        cpm=cpm,
        seeding_cost=seeding_cost,
        ads=[
            (ad.brand, float(sa.spend_per_step), ad.start, ad.end)
            for ad, sa in zip(ads, scenario.ads, strict=True)
        ],
    )
    return campaign, layout, calendar


@dataclass
class RunResult:
    """Replicates of a scenario, as named metrics.

    Attributes:
        values: Metric name -> one value per replicate, in replicate order.
        timeline: Metric name -> mean over replicates of the cumulative count at the end of each
            step (index 0 = right after seeding), padded to the longest replicate.
        lengths: Steps each replicate took.
        seeds: The shortlist: one row per person a plan pays (:func:`simulation.shortlist.rows`).
        seeding: One row per seed set: strategy, random or fixed, size, cost.
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
    seeds: list[dict[str, Any]] = field(default_factory=list)
    seeding: list[dict[str, Any]] = field(default_factory=list)

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
            "timeline": {
                m: [_finite_number(float(x)) for x in v] for m, v in self.timeline.items()
            },
            "seeds": self.seeds,
            "seeding": self.seeding,
        }


def _finite_number(x: float) -> float | None:
    return x if math.isfinite(x) else None


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
        workers: Threads (default: ``NUMBA_NUM_THREADS``, else every usable core).

    Raises:
        ScenarioError: unknown metric names, or what :func:`prepare` raises.
    """
    runs = scenario.runs if runs is None else runs
    seed = scenario.seed if seed is None else seed
    prepared = prepared if prepared is not None else prepare(scenario)
    if prepared.campaign is None or prepared.layout is None:
        prepared = prepare(scenario, prepared.graph)
    graph, layout = prepared.graph, prepared.layout
    names = resolve_metrics(metrics, graph.segment_names, **layout.qualifiers())
    funnel = any(needs(m) == "funnel" for m in names)
    tree = any(needs(m) == "tree" for m in names)
    params = prepared.params(funnel=funnel)
    steps = scenario.steps
    workers = workers or threads()
    n_seg = prepared.groups
    too_much = memory_problem(
        float(runs) * n_seg * kernel.N_SEGMENT_COUNTERS * 8,
        f"the per-group counts of {runs:,} runs ({n_seg:,} audience groups)",
    )
    if too_much:
        raise ScenarioError.single(too_much, key="runs", source=scenario.source)
    width = layout.width

    finals = np.zeros((runs, width), np.int64)
    segment_finals = np.zeros((runs, n_seg, kernel.N_SEGMENT_COUNTERS), np.int64)
    lengths = np.zeros(runs, np.int64)
    peak = np.zeros(runs, np.int64)
    virality = np.zeros(runs)
    depth = np.zeros(runs, np.int64)
    timeline_sum = np.zeros((workers, 2, steps + 2, width), np.int64)

    from simulation.kernel import batched as batched_path  # loads numba: only when simulating

    batched = batched_path.supports(params, prepared.campaign)
    tie_classes = batched_path.classes_of_ties(prepared.arrays, params) if batched else None
    done = 0
    while done < runs:
        size = min(_BATCH, runs - done)
        part = slice(done, done + size)
        if batched:  # 64 replicates per traversal, bit-identical to the scalar path
            batched_path.run_batched(
                prepared.arrays,
                params,
                prepared.campaign,
                np.uint64(seed),
                first_run + done,
                size,
                steps,
                workers,
                tree,
                finals[part],
                segment_finals[part],
                lengths[part],
                peak[part],
                virality[part],
                depth[part],
                timeline_sum,
                tie_classes,
            )
        else:
            kernel.run_replicates(
                prepared.arrays,
                params,
                prepared.campaign,
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

    computed = layout.values(finals, steps)
    computed.update(
        {
            "structural_virality": virality,
            "cascade_depth": depth,
            "peak_step": peak,
            "steps": lengths,
        }
    )
    values: dict[str, np.ndarray] = {}
    for name in names:
        if name in computed:
            values[name] = computed[name]
        else:
            base, qualifier = name[:-1].split("[", 1)
            column = kernel.SEGMENT_COUNTERS.index(base)
            if ":" in qualifier:
                groups = prepared.audience.members(*qualifier.split(":", 1))
            else:
                groups = _segment_groups(prepared, graph.segment_names.index(qualifier))
            values[name] = segment_finals[:, groups, column].sum(axis=1)
    longest = int(lengths.max()) if runs else 0
    totals = timeline_sum.sum(axis=0)
    padded = totals[0] + np.cumsum(totals[1], axis=0)  # each replicate padded with its final value
    timelines = layout.timelines(padded[: longest + 1], runs, names)
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
        warnings=list(graph.warnings)
        + (prepared.audience.warnings if prepared.audience is not None else []),
        seeds=shortlist.rows(prepared),
        seeding=shortlist.seed_sets(prepared),
    )


def _segment_groups(prepared: Prepared, segment: int) -> np.ndarray:
    """The audience groups of one segment (the kernel counts per group)."""
    if prepared.audience is None:
        return np.array([segment])
    return np.flatnonzero(prepared.audience.segment == segment)
