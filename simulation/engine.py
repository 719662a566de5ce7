"""The one path from a scenario to named metrics: prepare once, run replicates, summarise.

``prepare`` builds the graph, the seed plans and the kernel's arrays (the campaign: posts,
brands, ads, crisis) from a validated :class:`~simulation.scenario.Scenario`; ``simulate`` runs
replicates through the compiled kernel in batches across all cores and turns the outputs into
metrics. The CLI, the Mesa model, the sweep engine and the app all come through here.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numba
import numpy as np

from simulation import kernel
from simulation.errors import Problem, ScenarioError
from simulation.metrics import METRICS, needs, resolve_metrics, summarize
from simulation.network import SocialGraph, build_graph
from simulation.scenario import Content, Scenario, Seeding
from simulation.seeding import SeedPlan, plan_seeds

__all__ = ["Layout", "Prepared", "RunResult", "kernel_params", "prepare", "simulate"]

# Replicates per kernel call: progress is reported (and a caller may cancel) between calls.
_BATCH = 1024
# An ad with no end runs to the last step.
_FOREVER = 2**62
_C = kernel.N_COUNTERS


@dataclass(frozen=True)
class Layout:
    """Where each count sits in the kernel's flat tally, and the money around it.

    The tally (see :func:`simulation.kernel.tally`) holds every counter of every brand row, then
    of every post, then the crisis's counts. Brand 0 is the scenario's brand.

    Attributes:
        brands: Brand names: the scenario's brand, then its competitors.
        posts: Post names (brand posts only, in kernel order) and their brand index.
        crisis: Whether there is a crisis (then brand row and post ``len(...)`` are its own).
        crisis_brand: Index of the brand the crisis is about.
        calendar: Whether per-post metrics are reported (the scenario has ``[[posts]]``).
        value: Revenue per conversion, per brand.
        cpm: Price of 1,000 earned impressions, per brand.
        seeding_cost: Seeding fees per brand (every post its seeds publish within the steps).
        ads: Per ad: (brand index, spend per step, first step, last step).
    """

    brands: list[str]
    posts: list[tuple[str, int]]
    crisis: bool
    crisis_brand: int
    calendar: bool
    value: list[float]
    cpm: list[float]
    seeding_cost: list[float]
    ads: list[tuple[int, float, int, int]]

    @property
    def rows(self) -> int:
        """Brand rows in the tally (the crisis has one of its own)."""
        return len(self.brands) + int(self.crisis)

    @property
    def width(self) -> int:
        """Length of the tally."""
        return (self.rows + len(self.posts) + int(self.crisis)) * _C + kernel.N_CRISIS_COUNTERS

    def brand_column(self, brand: int, counter: str) -> int:
        """Column of a brand's counter."""
        return brand * _C + kernel.COUNTERS.index(counter)

    def post_column(self, post: int, counter: str) -> int:
        """Column of a post's counter (post ``len(posts)`` is the crisis)."""
        return (self.rows + post) * _C + kernel.COUNTERS.index(counter)

    def crisis_column(self, counter: str) -> int:
        """Column of one of the crisis's own counts (responses, ...)."""
        return (self.rows + len(self.posts) + 1) * _C + kernel.CRISIS_COUNTERS.index(counter)

    def metric_names(self, segment_names: list[str]) -> list[str]:
        """Every metric of the scenario, in order."""
        return resolve_metrics(None, segment_names, **self.qualifiers())

    def timeline_metrics(self, segment_names: list[str]) -> list[str]:
        """Every metric of the scenario that has a timeline, in order."""
        return [name for name in self.metric_names(segment_names) if _has_timeline(name)]

    def qualifiers(self) -> dict[str, Any]:
        """The keyword arguments of :func:`~simulation.metrics.resolve_metrics` for it."""
        return {
            "posts": [name for name, _ in self.posts] if self.calendar else [],
            "brands": self.brands if len(self.brands) > 1 else [],
            "crisis": self.crisis,
        }

    def ad_spend(self, brand: int, steps: int) -> float:
        """Money the brand's ads spend over a replicate of at most ``steps`` steps.

        Ads keep a replicate running until they end, so this does not vary by replicate.
        """
        return sum(
            spend * max(0, min(end, steps) - start + 1)
            for owner, spend, start, end in self.ads
            if owner == brand
        )

    def values(self, counts: np.ndarray, steps: int) -> dict[str, np.ndarray]:
        """Metrics computed from tallies (``counts[r, column]``), one value per row.

        Includes every counter, derived ratio and money metric, plain (the scenario's brand),
        per post and per brand; tree metrics, steps and peaks are added by :func:`simulate`.
        """
        counts = np.asarray(counts)
        out: dict[str, np.ndarray] = {}
        for b, brand in enumerate(self.brands):
            for name, line in self._brand_values(counts, b, steps).items():
                out[f"{name}[brand:{brand}]"] = line
                if b == 0:
                    out[name] = line
        for p, (post, _) in enumerate(self.posts):
            for name in kernel.COUNTERS:
                out[f"{name}[post:{post}]"] = counts[:, self.post_column(p, name)]
            out[f"earned_impressions[post:{post}]"] = (
                counts[:, self.post_column(p, "impressions")]
                - counts[:, self.post_column(p, "paid_impressions")]
            )
            out[f"earned_conversions[post:{post}]"] = (
                counts[:, self.post_column(p, "conversions")]
                - counts[:, self.post_column(p, "paid_conversions")]
            )
        if self.crisis:
            out.update(self._crisis_values(counts))
        return out

    def _brand_values(self, counts: np.ndarray, b: int, steps: int) -> dict[str, np.ndarray]:
        line = {name: counts[:, self.brand_column(b, name)] for name in kernel.COUNTERS}
        runs = len(counts)
        earned = line["impressions"] - line["paid_impressions"]
        mentions = np.stack(
            [counts[:, self.brand_column(i, "mentions")] for i in range(len(self.brands))]
        ).sum(axis=0)
        posts_of = [p for p, (_, owner) in enumerate(self.posts) if owner == b]
        shared = sum((counts[:, self.post_column(p, "sharers")] for p in posts_of), np.zeros(runs))
        seeded = shared - line["shares"]  # posts by seeds: every post's sharers who were seeds
        ad_spend = self.ad_spend(b, steps)
        cost = self.seeding_cost[b] + ad_spend
        revenue = line["conversions"] * self.value[b]
        return {
            **line,
            "earned_impressions": earned,
            "earned_conversions": line["conversions"] - line["paid_conversions"],
            "engagement_rate": _ratio(line["engagements"], line["impressions"], 0.0),
            "amplification": _ratio(line["shares"], seeded, 0.0),
            "share_of_voice": _ratio(line["mentions"], mentions, math.nan),
            "ad_spend": np.full(runs, ad_spend),
            "seeding_cost": np.full(runs, self.seeding_cost[b]),
            "cost": np.full(runs, cost),
            "revenue": revenue.astype(np.float64),
            "roi": (revenue - cost) / cost if cost > 0 else np.full(runs, math.nan),
            "earned_media_value": earned * self.cpm[b] / 1000.0,
        }

    def _crisis_values(self, counts: np.ndarray) -> dict[str, np.ndarray]:
        post = len(self.posts)
        reach = counts[:, self.post_column(post, "reach")]
        complaints = counts[:, self.post_column(post, "sharers")]
        responses = counts[:, self.crisis_column("responses")]
        neutralized = counts[:, self.crisis_column("neutralized")]
        positive = counts[:, self.brand_column(self.crisis_brand, "engaged_people")]
        negative = reach - neutralized
        return {
            "negative_reach": reach,
            "negative_impressions": counts[:, self.post_column(post, "impressions")],
            "negative_sharers": complaints,
            "responses": responses,
            "response_rate": _ratio(responses, complaints, 0.0),
            "mean_response_time": _ratio(
                counts[:, self.crisis_column("response_time")], responses, math.nan
            ),
            "neutralized": neutralized,
            "net_sentiment": _ratio(positive - negative, positive + negative, 0.0),
        }

    def timelines(self, sums: np.ndarray, runs: int, names: list[str]) -> dict[str, np.ndarray]:
        """Timelines of the named metrics from tallies summed over replicates (``sums[t, :]``).

        Counts are means over replicates; share of voice is pooled (the brand's mentions summed
        over replicates / all brands' mentions summed over replicates).
        """
        sums = np.asarray(sums)
        wanted = [n for n in names if _has_timeline(n)]
        if not wanted:
            return {}
        values = self.values(sums, steps=0)
        out = {}
        for name in wanted:
            if name.split("[", 1)[0] == "share_of_voice":
                out[name] = values[name].astype(np.float64)
            else:
                out[name] = values[name] / runs
        return out


def _has_timeline(name: str) -> bool:
    """Whether a metric has a timeline (per-segment metrics do not)."""
    base, _, qualifier = name.partition("[")
    if qualifier and ":" not in qualifier:
        return False
    return base in METRICS and METRICS[base].timeline


def _ratio(top: np.ndarray, bottom: np.ndarray, empty: float) -> np.ndarray:
    """The ratio top / bottom elementwise, ``empty`` where bottom is 0."""
    top = np.asarray(top, dtype=np.float64)
    bottom = np.asarray(bottom, dtype=np.float64)
    out = np.full(np.broadcast(top, bottom).shape, empty)
    np.divide(top, bottom, out=out, where=bottom != 0)
    return out


@dataclass
class Prepared:
    """A scenario made ready for the kernel: graph, seeds and arrays, built once.

    Attributes:
        plan: The scenario's brand's seed plan (``[seeding]``).
        arrays: The graph as the kernel's arrays (with tie strengths under ``[ties]``).
        campaign: Posts, brands, seed sets, ads and crisis as the kernel's arrays.
        layout: Names and money around the kernel's counts.
    """

    scenario: Scenario
    graph: SocialGraph
    plan: SeedPlan
    arrays: kernel.Graph
    campaign: kernel.Campaign | None = None
    layout: Layout | None = None


def prepare(scenario: Scenario, graph: SocialGraph | None = None) -> Prepared:
    """Build the scenario's graph (unless given), seed plans, and the kernel's arrays.

    Raises:
        ScenarioError: a bad edge-list file, unknown seed label, budget above the population,
            or an ad aimed at an empty segment.
    """
    graph = graph if graph is not None else build_graph(scenario)
    plan = plan_seeds(scenario, graph)
    arrays = kernel.Graph(
        indptr=graph.indptr,
        indices=graph.indices,
        in_indptr=graph.in_indptr,
        in_indices=graph.in_indices,
        segment_of=graph.segment_of,
        tie_strong=_tie_strength(scenario, graph),
    )
    campaign, layout = _campaign(scenario, graph, plan)
    return Prepared(scenario, graph, plan, arrays, campaign, layout)


def _tie_strength(scenario: Scenario, graph: SocialGraph) -> np.ndarray:
    """``uint8[arcs]``: 1 where a tie is strong under ``[ties]`` (empty without it)."""
    ties = scenario.ties
    if ties is None:
        return np.zeros(0, np.uint8)
    if ties.strong == "weight":
        return (np.asarray(graph.weights) >= ties.weight_threshold).astype(np.uint8)
    source = np.repeat(np.arange(graph.n), np.diff(graph.indptr))
    return (graph.segment_of[source] == graph.segment_of[graph.indices]).astype(np.uint8)


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


def _post_values(content: Content, post: Any = None) -> list[float]:
    """A post's V_* values: the content's, overridden by the post's own keys."""

    def pick(key: str) -> float:
        own = getattr(post, key, None) if post is not None else None
        return float(own if own is not None else getattr(content, key))

    half_life = getattr(post, "half_life", None) if post is not None else None
    half_life = half_life if half_life is not None else content.half_life
    values = [0.0] * kernel.N_POST_VALUES
    values[kernel.V_VISIBILITY] = pick("visibility")
    values[kernel.V_APPEAL] = pick("appeal")
    values[kernel.V_STICKINESS] = pick("stickiness")
    values[kernel.V_CLICK] = pick("click_through")
    values[kernel.V_CONVERSION] = pick("conversion")
    values[kernel.V_COMMENT] = pick("comment_ratio")
    values[kernel.V_DECAY] = 0.5 ** (1.0 / half_life) if half_life else 1.0
    values[kernel.V_IMPACT] = 1.0
    return values


def _campaign(
    scenario: Scenario, graph: SocialGraph, plan: SeedPlan
) -> tuple[kernel.Campaign, Layout]:
    """The scenario's posts, brands, seed sets, ads and crisis as the kernel's arrays."""
    brands = scenario.brand_names
    contents = [scenario.content] + [c.content for c in scenario.competitors]
    crisis = scenario.crisis
    target = brands.index(crisis.brand or scenario.brand) if crisis is not None else -1
    rule = {"cascade": kernel.CASCADE, "threshold": kernel.THRESHOLD, "bass": kernel.BASS}[
        scenario.diffusion.rule
    ]
    people: list[np.ndarray] = []
    sets: list[list[int]] = []
    set_cost: list[float] = []
    size = 0

    def add(seed_plan: SeedPlan) -> int:
        nonlocal size
        slot = sum(s[kernel.S_BUDGET] or s[kernel.S_FIXED_HI] - s[kernel.S_FIXED_LO] for s in sets)
        lo = size
        people.append(np.asarray(seed_plan.fixed, np.int32))
        size += len(seed_plan.fixed)
        pool_lo = size
        if seed_plan.random_budget > 0:
            people.append(np.asarray(seed_plan.pool, np.int32))
            size += len(seed_plan.pool)
        sets.append([lo, pool_lo, pool_lo, size, int(seed_plan.random_budget), slot])
        set_cost.append(float(getattr(seed_plan, "cost", 0.0)))
        return len(sets) - 1

    brand_set = [add(plan)]
    for i, competitor in enumerate(scenario.competitors):
        brand_set.append(
            add(
                _variant_plan(
                    scenario,
                    graph,
                    competitor.content,
                    competitor.seeding,
                    f"competitors[{i}].seeding",
                )
            )
        )
    listed = {p.name: (i, p) for i, p in enumerate(scenario.posts)}
    calendar = scenario.calendar()
    post_rows: list[list[int]] = []
    post_values: list[list[float]] = []
    posts: list[tuple[str, int]] = []
    seeding_cost = [0.0] * len(brands)
    for name, brand_name, start in calendar:
        b = brands.index(brand_name)
        index, post = listed.get(name, (None, None))
        values = _post_values(contents[b], post)
        s = brand_set[b]
        if post is not None and post.seeding is not None:
            content = contents[b].model_copy(
                update={
                    k: getattr(post, k)
                    for k in ("visibility", "appeal", "stickiness", "click_through", "conversion")
                    if getattr(post, k) is not None
                }
            )
            s = add(
                _variant_plan(scenario, graph, content, post.seeding, f"posts[{index}].seeding")
            )
        impacted = int(crisis is not None and b == target and crisis.impact != 1.0)
        if crisis is not None and b == target:
            values[kernel.V_IMPACT] = float(crisis.impact)
        if start <= scenario.steps:
            seeding_cost[b] += set_cost[s]
        post_rows.append([b, start, s, rule, 0, impacted])
        post_values.append(values)
        posts.append((name, b))
    exclusive = bool(scenario.market.exclusive)
    for row in post_rows:
        several = sum(1 for other in post_rows if other[kernel.P_BRAND] == row[kernel.P_BRAND]) > 1
        row[kernel.P_TRACK] = int(several or exclusive)
    crisis_plan = np.array([-1, -1, 1, -1], np.int64)
    crisis_odds = np.zeros(2, np.float64)
    if crisis is not None:
        negative = Content(
            visibility=crisis.visibility,
            appeal=crisis.appeal,
            stickiness=crisis.stickiness,
            click_through=0.0,
            conversion=0.0,
            comment_ratio=crisis.comment_ratio,
            half_life=crisis.half_life,
        )
        s = add(_variant_plan(scenario, graph, negative, crisis.seeding, "crisis.seeding"))
        values = _post_values(negative)
        values[kernel.V_PERSISTENCE] = float(crisis.persistence)
        crisis_plan[:] = [
            len(post_rows),
            target,
            crisis.response_time,
            -1 if crisis.response_capacity is None else crisis.response_capacity,
        ]
        crisis_odds[:] = [crisis.response_rate, crisis.neutralize]
        post_rows.append([len(brands), crisis.start, s, kernel.CASCADE, 0, 0])
        post_values.append(values)
    ad_rows = []
    ad_rates = []
    ad_money = []
    names = [name for name, _ in posts]
    for i, ad in enumerate(scenario.ads):
        b = brands.index(ad.brand or scenario.brand)
        if ad.segment is None:
            audience = np.arange(graph.n, dtype=np.int32)
        else:
            audience = np.flatnonzero(
                graph.segment_of == graph.segment_names.index(ad.segment)
            ).astype(np.int32)
        if len(audience) == 0:
            raise ScenarioError.single(
                f"segment {ad.segment!r} has nobody in it to show the ad to",
                key=f"ads[{i}].segment",
                source=scenario.source,
            )
        lo = size
        people.append(audience)
        size += len(audience)
        end = _FOREVER if ad.end is None else ad.end
        ad_rows.append(
            [b, names.index(ad.post) if ad.post is not None else -1, ad.start, end, lo, size]
        )
        ad_rates.append(ad.spend_per_step / ad.cpm * 1000.0)
        ad_money.append((b, float(ad.spend_per_step), ad.start, end))
    slots = sum(s[kernel.S_BUDGET] or s[kernel.S_FIXED_HI] - s[kernel.S_FIXED_LO] for s in sets)
    campaign = kernel.Campaign(
        posts=np.array(post_rows, np.int64).reshape(-1, 6),
        post_values=np.array(post_values, np.float64).reshape(-1, kernel.N_POST_VALUES),
        seed_sets=np.array(sets, np.int64).reshape(-1, 6),
        people=np.concatenate(people).astype(np.int32) if people else np.zeros(0, np.int32),
        ads=np.array(ad_rows, np.int64).reshape(-1, 6),
        ad_rate=np.array(ad_rates, np.float64),
        crisis=crisis_plan,
        crisis_odds=crisis_odds,
        brands=len(brands) + int(crisis is not None),
        real_brands=len(brands),
        exclusive=exclusive,
        seed_slots=int(slots),
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
        posts=posts,
        crisis=crisis is not None,
        crisis_brand=max(target, 0),
        calendar=bool(scenario.posts),
        value=[float(owner.value) for owner in money],
        cpm=cpm,
        seeding_cost=seeding_cost,
        ads=ad_money,
    )
    return campaign, layout


def kernel_params(scenario: Scenario, *, funnel: bool = True) -> kernel.Params:
    """The kernel's parameters for a scenario (``funnel=False``: who shares only).

    Content values are the ``[content]`` table's (each post of a calendar overrides its own).
    """
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
    ties = scenario.ties
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
        strong_visibility=float(ties.strong_visibility) if ties is not None else 1.0,
        weak_visibility=float(ties.weak_visibility) if ties is not None else 1.0,
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
            "timeline": {
                m: [_finite_number(float(x)) for x in v] for m, v in self.timeline.items()
            },
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
        workers: Threads (default: numba's thread count, i.e. every core).

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
    params = kernel_params(scenario, funnel=funnel)
    steps = scenario.steps
    workers = workers or numba.get_num_threads()
    n_seg = len(graph.segment_names)
    width = layout.width

    finals = np.zeros((runs, width), np.int64)
    segment_finals = np.zeros((runs, n_seg, kernel.N_SEGMENT_COUNTERS), np.int64)
    lengths = np.zeros(runs, np.int64)
    peak = np.zeros(runs, np.int64)
    virality = np.zeros(runs)
    depth = np.zeros(runs, np.int64)
    timeline_sum = np.zeros((workers, 2, steps + 2, width), np.int64)

    done = 0
    while done < runs:
        size = min(_BATCH, runs - done)
        part = slice(done, done + size)
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
            base, segment = name[:-1].split("[", 1)
            column = kernel.SEGMENT_COUNTERS.index(base)
            values[name] = segment_finals[:, graph.segment_names.index(segment), column]
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
        warnings=list(graph.warnings),
    )
