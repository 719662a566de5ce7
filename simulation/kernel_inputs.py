"""Scenario + graph -> the kernel's inputs: the one place that builds them.

Below the seeding layer and the engine (both import it; it imports neither): the kernel's graph
with tie strengths, tie probabilities, the rules' parameters, each post's content values, and a
campaign assembled from named pieces (:class:`SeedSetPlan`, :class:`PostPlan`, :class:`AdPlan`,
:class:`CrisisPlan`) into the kernel's arrays.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from simulation.activity import PROFILES, online_cycle, start_phase, window
from simulation.kernel.layout import (
    RULES,
    TH_COUNT,
    TH_FIXED,
    TH_NORMAL,
    TH_UNIFORM,
    Ads,
    BassRule,
    Campaign,
    Crisis,
    Graph,
    Params,
    Posts,
    SeedSets,
    ThresholdRule,
    Timing,
)
from simulation.network import SocialGraph, graph_seed
from simulation.scenario import Scenario

if TYPE_CHECKING:
    from simulation.population import Audience

__all__ = [
    "CONTENT_KEYS",
    "AdPlan",
    "CrisisPlan",
    "PostPlan",
    "SeedSetPlan",
    "activity_table",
    "assemble_campaign",
    "content_values",
    "kernel_graph",
    "kernel_params",
    "spread_inputs",
    "tie_probabilities",
    "tie_strength",
    "timing_inputs",
]

# A post's content values, as the scenario's [content] and [[posts]] name them.
CONTENT_KEYS = (
    "visibility",
    "appeal",
    "stickiness",
    "click_through",
    "conversion",
    "comment_ratio",
)
# An ad with no end runs to the last step.
FOREVER = 2**62


def tie_strength(scenario: Scenario, graph: SocialGraph) -> np.ndarray:
    """``uint8[arcs]``: 1 where a tie is strong under ``[ties]`` (empty without it)."""
    ties = scenario.ties
    if ties is None:
        return np.zeros(0, np.uint8)
    if ties.strong == "weight":
        return (np.asarray(graph.weights) >= ties.weight_threshold).astype(np.uint8)
    source = np.repeat(np.arange(graph.n), np.diff(graph.indptr))
    return (graph.segment_of[source] == graph.segment_of[graph.indices]).astype(np.uint8)


def kernel_graph(scenario: Scenario, graph: SocialGraph) -> Graph:
    """The social graph as the kernel's CSR arrays, with tie strengths under ``[ties]``."""
    return Graph(
        indptr=graph.indptr,
        indices=graph.indices,
        in_indptr=graph.in_indptr,
        in_indices=graph.in_indices,
        segment_of=graph.segment_of,
        tie_strong=tie_strength(scenario, graph),
    )


def affinities(scenario: Scenario) -> np.ndarray:
    """``float64[segments]``: each segment's affinity (one segment of 1 when there are none)."""
    return np.array([s.affinity for s in scenario.segments] or [1.0], dtype=np.float64)


def person_affinity(scenario: Scenario, graph: SocialGraph) -> np.ndarray:
    """``float64[n]``: the brand's ``[content]`` appeal multiplier of each person.

    Their segment's affinity x the content's ``resonance`` multipliers that match them.
    """
    from simulation.population import draw_population, resonance_multipliers

    population = graph.population
    if population is None:
        population = draw_population(scenario, graph.segment_of, graph_seed(scenario))
    per_segment = affinities(scenario)[graph.segment_of]
    return per_segment * resonance_multipliers(population, scenario.content.resonance)


def content_audience(scenario: Scenario, graph: SocialGraph) -> Any:
    """The audience groups of one post of the brand's ``[content]`` (for seed choice)."""
    from simulation.population import audience, draw_population

    population = graph.population
    if population is None:
        population = draw_population(scenario, graph.segment_of, graph_seed(scenario))
    return audience(scenario, population, [("content.resonance", scenario.content.resonance)])


def tie_probabilities(scenario: Scenario, graph: SocialGraph) -> np.ndarray:
    """``float64[arcs]``: P(a tie carries a share) under the cascade rule, by ``graph.indices``.

    The kernel's share probability per exposure of a fresh post (no decay): visibility x the
    tie's strength visibility (under ``[ties]``) x appeal x the receiver's affinity (segment and
    ``resonance``, capped at 1) x stickiness; ``seeding.propagation`` replaces it with one p for
    every tie.
    """
    p = scenario.seeding.propagation
    if p is not None:
        return np.full(graph.indices.shape, float(p))
    content = scenario.content
    receiver = person_affinity(scenario, graph)[graph.indices]
    tie_p = content.visibility * np.minimum(content.appeal * receiver, 1.0) * content.stickiness
    ties = scenario.ties
    if ties is not None:
        strong = tie_strength(scenario, graph).astype(bool)
        tie_p *= np.where(strong, ties.strong_visibility, ties.weak_visibility)
    return tie_p


def kernel_params(
    scenario: Scenario, *, funnel: bool = True, audience: Audience | None = None
) -> Params:
    """What holds for every post: affinity, tie visibilities, the funnel, the rule's settings.

    Args:
        scenario: The scenario.
        funnel: Count exposures and the funnel (else who shares only).
        audience: The audience groups the kernel counts by: every post's appeal multiplier
            per group (``audience.affinity``) and each group's segment (``audience.segment``,
            for the groups' activity profiles); default: the groups are the segments, each
            with its segment's affinity for every post (no ``resonance``).
    """
    if audience is None:
        posts = len(scenario.calendar()) + int(scenario.crisis is not None)
        affinity = np.tile(affinities(scenario), (posts, 1))
    else:
        affinity = audience.affinity
    diffusion = scenario.diffusion
    threshold = diffusion.threshold
    if diffusion.threshold_count is not None:
        kind, a, b = TH_COUNT, 0.0, 0.0
    elif isinstance(threshold, float):
        kind, a, b = TH_FIXED, threshold, 0.0
    elif threshold.distribution == "uniform":
        kind, a, b = TH_UNIFORM, threshold.low, threshold.high
    else:
        kind, a, b = TH_NORMAL, threshold.mean, threshold.std
    ties = scenario.ties
    rule = diffusion.rule
    return Params(
        affinity=np.ascontiguousarray(affinity, dtype=np.float64),
        funnel=bool(funnel),
        strong_visibility=float(ties.strong_visibility) if ties is not None else 1.0,
        weak_visibility=float(ties.weak_visibility) if ties is not None else 1.0,
        threshold=(
            ThresholdRule(kind, float(a), float(b), int(diffusion.threshold_count or 0))
            if rule == "threshold"
            else None
        ),
        bass=(
            BassRule(float(diffusion.innovation), float(diffusion.imitation))
            if rule == "bass"
            else None
        ),
        timing=timing_inputs(scenario, None if audience is None else audience.segment),
    )


def _profile(owner: Any, fallback: tuple[list[float], list[float]]) -> tuple[Any, Any]:
    """(hours, days) of a segment or the ``[time]`` table: its named profile, its own lists."""
    hours, days = fallback
    if owner.activity is not None:
        named = PROFILES[owner.activity]
        hours, days = list(named.hours), list(named.days)
    if owner.activity_hours is not None:
        hours = list(owner.activity_hours)
    if owner.activity_days is not None:
        days = list(owner.activity_days)
    return hours, days


def activity_table(scenario: Scenario, class_segment: np.ndarray | None = None) -> np.ndarray:
    """``float64[cycle, classes]``: P(online) of class k's people at each step of the week.

    ``class_segment[k]`` is the segment of the kernel's class k (default: the classes are the
    segments), so a finer division of people into classes needs only its map. A class takes
    its segment's profile, else ``[time]``'s, else ``always``. No rows (shape ``(0, classes)``)
    when everyone is always online, there is no ``[time]`` table, or the rule is not `cascade`.
    """
    segments = scenario.segment_names
    classes = np.arange(len(segments)) if class_segment is None else np.asarray(class_segment)
    time = scenario.time
    if time is None or scenario.diffusion.rule != "cascade":
        return np.zeros((0, len(classes)))
    always = PROFILES["always"]
    everyone = _profile(time, (list(always.hours), list(always.days)))
    columns = []
    for s in range(len(segments)):
        owner = scenario.segments[s] if scenario.segments else None
        hours, days = _profile(owner, everyone) if owner is not None else everyone
        columns.append(online_cycle(time.step, hours, days))
    table = np.stack(columns, axis=1)[:, classes] if columns else np.zeros((0, len(classes)))
    if np.all(table == 1.0):
        return np.zeros((0, len(classes)))
    return np.ascontiguousarray(table, dtype=np.float64)


def timing_inputs(scenario: Scenario, class_segment: np.ndarray | None = None) -> Timing | None:
    """The kernel's time and attention (``Params.timing``); ``None`` when none is in use.

    Activity (:func:`activity_table`), the attention limit, fatigue (``keep = 1 - wear_out``,
    ``recovery = 0.5 ** (1 / half-life)``) and each ad's frequency cap and window.
    """
    time = scenario.time
    online = activity_table(scenario, class_segment)
    caps = np.array([ad.frequency_cap or 0 for ad in scenario.ads], np.int64)
    # Activity, attention and fatigue act on the independent cascade's exposures only.
    cascade = time is not None and scenario.diffusion.rule == "cascade"
    attention = int(time.attention or 0) if cascade else 0
    wear_out = float(time.wear_out or 0.0) if cascade else 0.0
    if online.shape[0] == 0 and attention == 0 and wear_out == 0.0 and not caps.any():
        return None
    windows = [
        window(time.step, ad.frequency_period, time.start_day, time.start_hour)
        if time is not None
        else (0, 0)
        for ad in scenario.ads
    ]
    return Timing(
        online=online,
        phase0=start_phase(time.step, time.start_day, time.start_hour) if time is not None else 0,
        attention=attention,
        keep=1.0 - wear_out,
        recovery=0.5 ** (1.0 / time.recovery) if time is not None and time.recovery else 1.0,
        ad_cap=caps,
        ad_window=np.array([w for w, _ in windows], np.int64),
        ad_offset=np.array([o for _, o in windows], np.int64),
    )


def content_values(content: Any, post: Any = None) -> dict[str, float]:
    """A post's content: ``[content]``'s values, overridden by the post's own keys.

    Returns the :data:`CONTENT_KEYS` probabilities and ``decay`` (per step, from ``half_life``).
    """

    def pick(key: str) -> Any:
        own = getattr(post, key, None) if post is not None else None
        return own if own is not None else getattr(content, key)

    values = {key: float(pick(key)) for key in CONTENT_KEYS}
    half_life = pick("half_life")
    values["decay"] = 0.5 ** (1.0 / half_life) if half_life else 1.0
    return values


@dataclass
class SeedSetPlan:
    """Who posts: fixed people, or ``random_budget`` people drawn per replicate from ``pool``."""

    fixed: np.ndarray
    pool: np.ndarray
    random_budget: int = 0


@dataclass
class PostPlan:
    """One post: whose, when, posted by which seed set, under which rule, with what content."""

    name: str
    brand: int
    start: int
    seed_set: int
    rule: str
    content: dict[str, float]
    track: bool = False  # its brand counts distinct people across posts
    impact: float = 1.0  # appeal x impact for people who saw the crisis (1: not affected)
    persistence: float = 0.0


@dataclass
class AdPlan:
    """An ad: who pays, the post it promotes (-1: the brand's latest), when, how many, to whom."""

    brand: int
    post: int
    start: int
    end: int
    rate: float  # impressions a step
    audience: np.ndarray


@dataclass
class CrisisPlan:
    """The crisis: its post's index, the brand it hurts, and how that brand answers."""

    post: int
    brand: int
    delay: int
    capacity: int  # -1: no limit
    rate: float
    neutralize: float


def _concatenate(parts: list[np.ndarray]) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """Arrays end to end as int32, and each one's (lo, hi) in the result."""
    bounds = []
    lo = 0
    for part in parts:
        bounds.append((lo, lo + len(part)))
        lo += len(part)
    people = np.concatenate(parts).astype(np.int32) if parts else np.zeros(0, np.int32)
    return people, bounds


def assemble_campaign(
    posts: list[PostPlan],
    seed_sets: list[SeedSetPlan],
    ads: list[AdPlan],
    crisis: CrisisPlan | None,
    *,
    brands: int,
    exclusive: bool,
) -> Campaign:
    """The kernel's campaign from named pieces (the crisis, if any, must be the last post)."""
    parts = []
    for s in seed_sets:
        parts += [np.asarray(s.fixed), np.asarray(s.pool if s.random_budget > 0 else [])]
    people, bounds = _concatenate(parts)
    sizes = [s.random_budget or len(s.fixed) for s in seed_sets]
    slots = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    seed_arrays = SeedSets(
        fixed_lo=np.array([bounds[2 * i][0] for i in range(len(seed_sets))], np.int64),
        fixed_hi=np.array([bounds[2 * i][1] for i in range(len(seed_sets))], np.int64),
        pool_lo=np.array([bounds[2 * i + 1][0] for i in range(len(seed_sets))], np.int64),
        pool_hi=np.array([bounds[2 * i + 1][1] for i in range(len(seed_sets))], np.int64),
        budget=np.array([s.random_budget for s in seed_sets], np.int64),
        slot=slots[:-1],
        people=people,
    )

    def column(get, dtype) -> np.ndarray:
        return np.array([get(p) for p in posts], dtype)

    post_arrays = Posts(
        brand=column(lambda p: p.brand, np.int64),
        start=column(lambda p: p.start, np.int64),
        seed_set=column(lambda p: p.seed_set, np.int64),
        rule=column(lambda p: RULES[p.rule], np.int64),
        track=column(lambda p: int(p.track), np.int64),
        impacted=column(lambda p: int(p.impact != 1.0), np.int64),
        visibility=column(lambda p: p.content["visibility"], np.float64),
        appeal=column(lambda p: p.content["appeal"], np.float64),
        stickiness=column(lambda p: p.content["stickiness"], np.float64),
        click_through=column(lambda p: p.content["click_through"], np.float64),
        conversion=column(lambda p: p.content["conversion"], np.float64),
        comment_ratio=column(lambda p: p.content["comment_ratio"], np.float64),
        decay=column(lambda p: p.content["decay"], np.float64),
        impact=column(lambda p: p.impact, np.float64),
        persistence=column(lambda p: p.persistence, np.float64),
    )
    audiences, spans = _concatenate([np.asarray(ad.audience) for ad in ads])
    ad_arrays = (
        None
        if not ads
        else Ads(
            brand=np.array([ad.brand for ad in ads], np.int64),
            post=np.array([ad.post for ad in ads], np.int64),
            start=np.array([ad.start for ad in ads], np.int64),
            end=np.array([ad.end for ad in ads], np.int64),
            rate=np.array([ad.rate for ad in ads], np.float64),
            audience_lo=np.array([lo for lo, _ in spans], np.int64),
            audience_hi=np.array([hi for _, hi in spans], np.int64),
            people=audiences,
        )
    )
    crisis_tuple = (
        None
        if crisis is None
        else Crisis(
            int(crisis.post),
            int(crisis.brand),
            int(crisis.delay),
            int(crisis.capacity),
            float(crisis.rate),
            float(crisis.neutralize),
        )
    )
    return Campaign(
        posts=post_arrays,
        seed_sets=seed_arrays,
        ads=ad_arrays,
        crisis=crisis_tuple,
        crisis_post=-1 if crisis is None else int(crisis.post),
        brands=brands + int(crisis is not None),
        real_brands=brands,
        exclusive=bool(exclusive),
        seed_slots=int(slots[-1]),
    )


def spread_inputs(scenario: Scenario, graph: SocialGraph) -> tuple[Graph, Params, Campaign]:
    """The inputs of a bare cascade of the brand's content, for estimating seed sets' spread.

    One post of ``[content]`` under the scenario's rule with no seeds of its own (the caller
    places them), no ads, no crisis; who-shares-only parameters. With ``seeding.propagation``
    and the cascade rule, every tie carries a share with that one probability.
    """
    groups = content_audience(scenario, graph)
    # Seed sets are compared on the bare content, at no particular time (no time and attention).
    params = kernel_params(scenario, funnel=False, audience=groups)._replace(timing=None)
    content = content_values(scenario.content)
    arrays = kernel_graph(scenario, graph)._replace(segment_of=groups.group_of)
    p = scenario.seeding.propagation
    if p is not None and scenario.diffusion.rule == "cascade":
        # One tie probability p: see and share surely, engage with p, no affinity, decay or
        # tie strength.
        content.update(visibility=1.0, appeal=float(p), stickiness=1.0, decay=1.0)
        params = params._replace(
            affinity=np.ones_like(params.affinity), strong_visibility=1.0, weak_visibility=1.0
        )
    empty = np.zeros(0, np.int32)
    post = PostPlan("spread", 0, 0, 0, scenario.diffusion.rule, content)
    campaign = assemble_campaign(
        [post], [SeedSetPlan(empty, empty)], [], None, brands=1, exclusive=False
    )
    return arrays, params, campaign
