"""The scenario file's schema: every table, key, type, range and default.

This module is the one place where the keys of a scenario file are defined: the CLI, the Mesa
model, the sweep engine and the app's controls all read them from here (and the README's
reference is generated from it by :mod:`simulation.scenario.reference`). Every table is a strict
pydantic model; reading files and turning pydantic's errors into problems that name the file,
key and line is :mod:`simulation.scenario.loading`'s job.
"""

from __future__ import annotations

import itertools
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    Discriminator,
    Field,
    Tag,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from simulation.activity import PROFILES, WEEKDAYS
from simulation.errors import Problem
from simulation.inputs import memory_problem, work_problem
from simulation.kernel.layout import RULES
from simulation.network_kinds import KINDS, NetworkTable
from simulation.scenario.audience import (
    AGE_BANDS,
    AgeSpec,
    InterestSpec,
    LabelSpec,
    Resonance,
    Target,
    audience_problems,
)
from simulation.strategies import CASCADE_MODELS, STRATEGIES
from simulation.validation import Table as _Table
from simulation.validation import did_you_mean as _did_you_mean
from simulation.validation import dotted, literal_of, union_of

__all__ = [
    "MAX_AD_IMPRESSIONS",
    "NETWORK_KINDS",
    "SEED_STRATEGIES",
    "Ad",
    "Competitor",
    "Content",
    "Crisis",
    "Diffusion",
    "Market",
    "Money",
    "Network",
    "People",
    "Post",
    "Resonance",
    "Scenario",
    "Seeding",
    "Segment",
    "Target",
    "ThresholdDistribution",
    "Ties",
    "Time",
    "campaign_problems",
    "scenario_warnings",
    "seeding_tables",
]

Probability = Annotated[float, Field(ge=0.0, le=1.0)]
# An activity profile's name (simulation.activity.PROFILES) and its explicit lists.
ProfileName = literal_of(PROFILES)
HourlyActivity = Annotated[list[Probability], Field(min_length=24, max_length=24)]
DailyActivity = Annotated[
    list[Annotated[float, Field(ge=0.0, le=10.0)]], Field(min_length=7, max_length=7)
]


# --------------------------------------------------------------------------- network


# The network kinds' tables and builders live together in simulation.network_kinds; the
# schema's union of them and its list of kind names are derived from its registry.
Network = Annotated[union_of(kind.schema for kind in KINDS.values()), Field(discriminator="kind")]

NETWORK_KINDS: dict[str, type[NetworkTable]] = {name: kind.schema for name, kind in KINDS.items()}

# --------------------------------------------------------------------------- the rest


class Content(_Table):
    """The piece of content and the funnel it runs through (every value a probability)."""

    visibility: Probability = Field(1.0, description="P(a follower sees a share in the feed).")
    appeal: Probability = Field(
        0.3, description="P(engage | seen): like or comment, before segment affinity and decay."
    )
    stickiness: Probability = Field(0.2, description="P(share | engaged); a person shares once.")
    click_through: Probability = Field(0.05, description="P(click through to the site | engaged).")
    conversion: Probability = Field(0.02, description="P(purchase | clicked); once per person.")
    comment_ratio: Probability = Field(
        0.25, description="Share of engagements that are comments (the rest are likes)."
    )
    half_life: float | None = Field(
        None, gt=0.0, description="Steps until appeal halves (novelty decay); omit for none."
    )
    resonance: Resonance | None = Field(
        None,
        description="Whom it resonates with: appeal multipliers by segment, age band, location, "
        "income, job, industry and interest (a table); default: everyone alike.",
    )


class ThresholdDistribution(_Table):
    """Per-person thresholds drawn anew in each replicate, clipped to (0, 1]."""

    distribution: Literal["uniform", "normal"]
    low: float = Field(0.0, ge=0.0, le=1.0, description="Uniform: lowest threshold.")
    high: float = Field(1.0, ge=0.0, le=1.0, description="Uniform: highest threshold.")
    mean: float = Field(0.3, ge=0.0, le=1.0, description="Normal: mean threshold.")
    std: float = Field(0.1, ge=0.0, description="Normal: standard deviation.")

    @model_validator(mode="after")
    def _ordered(self) -> ThresholdDistribution:
        if self.low > self.high:
            raise ValueError(f"low = {self.low} is above high = {self.high}")
        return self


class Diffusion(_Table):
    """How content spreads from person to person."""

    rule: RuleName = Field(
        "cascade", description="`cascade` (independent cascade), `threshold` or `bass`."
    )
    threshold: Annotated[
        Annotated[Annotated[float, Field(gt=0.0, le=1.0)], Tag("fixed")]
        | Annotated[ThresholdDistribution, Tag("distribution")],
        Discriminator(lambda v: "distribution" if isinstance(v, dict | BaseModel) else "fixed"),
    ] = Field(
        0.2,
        description="threshold rule: share of contacts who must have shared (or a distribution).",
    )
    threshold_count: int | None = Field(
        None, ge=1, description="threshold rule: a number of contacts instead of a share."
    )
    innovation: Probability = Field(0.01, description="bass rule: p, P(adopt on one's own) a step.")
    imitation: float = Field(0.3, ge=0.0, le=1.0, description="bass rule: q, the pull of contacts.")

    @model_validator(mode="after")
    def _bass_probability(self) -> Diffusion:
        if self.innovation + self.imitation > 1.0:
            raise ValueError(
                f"innovation + imitation = {self.innovation + self.imitation:g} exceeds 1"
            )
        return self


# The names of the seeding strategies, from their registry (their functions load lazily).
SEED_STRATEGIES = tuple(STRATEGIES)
StrategyName = literal_of(STRATEGIES)
RuleName = literal_of(RULES)


class Seeding(_Table):
    """Who posts the content first (the seeds, e.g. influencers the brand pays)."""

    strategy: StrategyName = Field(
        "random",
        description="How seeds are chosen: `nodes` (listed), `random`, the most central "
        "(`degree`, `pagerank`, `kcore`, `betweenness`), or influence maximisation "
        "(`degree_discount`: Chen et al. 2009; `celf`: lazy greedy on simulated spread, "
        "Leskovec et al. 2007; `imm`: reverse-reachable sets, Tang et al. 2015).",
    )
    budget: int = Field(
        10, ge=0, description="Number of seeds (ignored by `nodes`, and when `money` is given)."
    )
    fee_fixed: float = Field(
        0.0,
        ge=0.0,
        allow_inf_nan=False,
        description="Fee every seed is paid, whatever their followers (money units).",
    )
    fee_per_follower: float = Field(
        0.0,
        ge=0.0,
        allow_inf_nan=False,
        description="Fee per follower: a seed's fee is fee_fixed + fee_per_follower x followers.",
    )
    money: float | None = Field(
        None,
        ge=0.0,
        allow_inf_nan=False,
        description="Money for seeding fees, instead of a number of seeds: the strategy picks "
        "people whose fees add up to at most this (by its score, or score per unit of fee, "
        "whichever plan spreads further). `random` draws people until no one else fits, once "
        "per scenario seed.",
    )
    min_followers: int | None = Field(
        None,
        ge=0,
        description="Only people with at least this many followers can be seeds "
        "(e.g. 1000 for micro-influencers).",
    )
    max_followers: int | None = Field(
        None,
        ge=0,
        description="Only people with at most this many followers can be seeds "
        "(e.g. 10000 for micro-influencers).",
    )
    nodes: list[str | int] = Field(
        default_factory=list,
        description="`nodes` strategy: the seeds' labels.",
    )
    segment: str | None = Field(None, description="Choose seeds only within this segment.")
    target: Target | None = Field(
        None,
        description="Choose seeds only among people with these attributes (age range, "
        "locations, interests, ...: a table); default: anyone.",
    )
    propagation: Probability | None = Field(
        None,
        description="Tie probability p that `imm` and `degree_discount` assume (and `celf` "
        "simulates, under rule `cascade`); default per tie: visibility x appeal x affinity of "
        "the receiver's segment x stickiness.",
    )
    mc_runs: int = Field(
        200,
        ge=1,
        le=100_000,
        description="Replicates per spread estimate: `celf`'s marginal gains (every candidate "
        "measured on the same replicates; at 200 it was within 0.9% of a well-run greedy in the "
        "README's measurements, at 100 up to 1.6% below), and the comparison of the two plans a "
        "`money` budget gives.",
    )
    epsilon: float = Field(
        0.1,
        gt=0.0,
        lt=1.0,
        description="`imm`: approximation slack; its seeds reach at least (1 - 1/e - epsilon) "
        "of the best possible spread. Smaller is closer and slower (time ~ 1 / epsilon^2); "
        "at 0.1 it was within 0.5% of a well-run greedy in the README's measurements, at 0.5 "
        "up to 5% below.",
    )
    confidence: float = Field(
        1.0,
        gt=0.0,
        le=100.0,
        allow_inf_nan=False,
        description="`imm`: the exponent l of its guarantee, which holds with probability at "
        "least 1 - n^-l for n people.",
    )
    pivots: int | None = Field(
        None,
        ge=1,
        description="`betweenness`: people sampled as path sources (Brandes & Pich 2007); "
        "default: everyone up to 1,000 people, else 100.",
    )

    @field_validator("money")
    @classmethod
    def _money_needs_fees(cls, money: float | None, info: ValidationInfo) -> float | None:
        fees = (info.data.get("fee_fixed"), info.data.get("fee_per_follower"))
        # A fee that failed its own check is reported there, not again here.
        if money is not None and fees == (0.0, 0.0):
            raise ValueError(
                f"money = {money:g} needs fees: set fee_fixed and/or fee_per_follower "
                "(a seed's fee = fee_fixed + fee_per_follower x followers)"
            )
        return money

    @field_validator("max_followers")
    @classmethod
    def _tier_ordered(cls, most: int | None, info: ValidationInfo) -> int | None:
        least = info.data.get("min_followers")
        if most is not None and least is not None and least > most:
            raise ValueError(f"max_followers = {most} is below min_followers = {least}")
        return most

    @field_validator("nodes")
    @classmethod
    def _nodes_distinct(cls, nodes: list[str | int]) -> list[str | int]:
        labels = [str(label) for label in nodes]
        repeated = sorted({label for label in labels if labels.count(label) > 1})
        if repeated:
            raise ValueError(f"seed labels listed more than once: {', '.join(repeated)}")
        return nodes

    def fee(self, followers: Any) -> Any:
        """The fee of a seed with this many followers (a number or an array of them)."""
        return self.fee_fixed + self.fee_per_follower * followers


class Segment(_Table):
    """A target group of people ("know your target customer")."""

    name: str = Field(min_length=1, description="Segment name, used in metrics as `metric[name]`.")
    share: float = Field(gt=0.0, le=1.0, description="Share of the population in this segment.")
    affinity: float = Field(
        1.0, ge=0.0, description="Multiplies the content's appeal for this segment."
    )
    age: AgeSpec | None = Field(
        None,
        description="Ages: a range drawn uniformly, e.g. [18, 24], or shares of age bands, "
        'e.g. {"18-24" = 0.6, "25-34" = 0.4} (uniform within a band).',
    )
    location: LabelSpec | None = Field(
        None, description="Where they live: one place, or shares, e.g. {Beijing = 0.6, Xian = 0.4}."
    )
    income: LabelSpec | None = Field(None, description="Income band: one label, or shares.")
    job: LabelSpec | None = Field(None, description="Occupation: one label, or shares.")
    industry: LabelSpec | None = Field(
        None, description="Industry they work in: one label, or shares."
    )
    interests: InterestSpec = Field(
        default_factory=list,
        description="Interests: a list everyone has, or each one's probability, "
        "e.g. {games = 0.8, music = 0.3}.",
    )
    activity: ProfileName | None = Field(
        None,
        description="When they are online, a ready-made profile (see [time]); default: "
        "`[time]`'s. Needs a `[time]` table.",
    )
    activity_hours: HourlyActivity | None = Field(
        None,
        description="P(online) in each hour of the day, 0-23 (24 values); replaces the "
        "profile's hours. Needs a `[time]` table.",
    )
    activity_days: DailyActivity | None = Field(
        None,
        description="Factor on those for each weekday, Monday first (7 values); replaces the "
        "profile's. Needs a `[time]` table.",
    )

    @model_validator(mode="after")
    def _age_ordered(self) -> Segment:
        if isinstance(self.age, list) and not 0 <= self.age[0] <= self.age[1] <= 130:
            raise ValueError(f"age range {list(self.age)} must be two ages, low to high")
        return self


# --------------------------------------------------------------------------- campaigns


def _plain_name(name: str) -> str:
    if "[" in name or "]" in name or ":" in name:
        raise ValueError(f"{name!r}: a name cannot contain '[', ']' or ':' (used in metric names)")
    return name


Name = Annotated[str, Field(min_length=1), AfterValidator(_plain_name)]
Step = Annotated[int, Field(ge=0, le=100_000)]
Amount = Annotated[float, Field(ge=0.0, allow_inf_nan=False)]


class Post(_Table):
    """One post of a content calendar; keys left out are the brand's `[content]` values."""

    name: Name = Field(description="Post name, used in metrics as `metric[post:name]`.")
    brand: str | None = Field(
        None, description="Whose post it is: the scenario's `brand` (default) or a competitor."
    )
    start: Step = Field(
        0, description="Step it goes out: its seeds share it then; followers see it the next step."
    )
    visibility: float | None = Field(
        None, ge=0.0, le=1.0, description="Overrides the content's value (a probability)."
    )
    appeal: float | None = Field(
        None, ge=0.0, le=1.0, description="Overrides the content's value (a probability)."
    )
    stickiness: float | None = Field(
        None, ge=0.0, le=1.0, description="Overrides the content's value (a probability)."
    )
    click_through: float | None = Field(
        None, ge=0.0, le=1.0, description="Overrides the content's value (a probability)."
    )
    conversion: float | None = Field(
        None, ge=0.0, le=1.0, description="Overrides the content's value (a probability)."
    )
    comment_ratio: float | None = Field(
        None, ge=0.0, le=1.0, description="Overrides the content's value (a probability)."
    )
    half_life: float | None = Field(
        None,
        gt=0.0,
        allow_inf_nan=False,
        description="Overrides the content's value; a post's age counts from its `start`.",
    )
    seeding: Seeding | None = Field(
        None,
        description="Who posts it (a `[seeding]` table); default: the brand's seeds, drawn once "
        "per replicate, post it again.",
    )
    resonance: Resonance | None = Field(
        None, description="Overrides the content's `resonance` (a table): whom this post speaks to."
    )


class Competitor(_Table):
    """A rival brand: its own content, seeds and money, competing for the same people."""

    name: Name = Field(description="Brand name, used in metrics as `metric[brand:name]`.")
    content: Content = Field(default_factory=Content, description="Its content (a table).")
    seeding: Seeding = Field(default_factory=Seeding, description="Its seeds (a table).")
    start: Step = Field(0, description="Step its content goes out (when no `[[posts]]` name it).")
    value: Amount = Field(0.0, description="Revenue per conversion (money units).")
    cpm: float | None = Field(
        None,
        gt=0.0,
        allow_inf_nan=False,
        description="Price of 1,000 impressions that values its earned media; default: the mean "
        "CPM of its ads, else 0.",
    )


class Market(_Table):
    """How the brands compete."""

    exclusive: bool = Field(
        False,
        description="If true, a person who shared one brand's content never shares a rival's "
        "(competitive cascade: the first brand to reach them wins; within a step the brands go "
        "in a random order).",
    )


class Ad(_Table):
    """A paid campaign: impressions bought every step and shown to people of a segment."""

    brand: str | None = Field(None, description="Who pays: the scenario's `brand` (default).")
    post: str | None = Field(
        None, description="The post it promotes; default: the brand's latest post at each step."
    )
    spend_per_step: float = Field(
        gt=0.0, allow_inf_nan=False, description="Money spent each step it runs."
    )
    cpm: float = Field(
        gt=0.0, allow_inf_nan=False, description="Cost per 1,000 impressions (money units)."
    )
    segment: str | None = Field(None, description="Show it only to people of this segment.")
    target: Target | None = Field(
        None,
        description="Show it only to people with these attributes (age range, locations, "
        "interests, ...: a table), within `segment` if given.",
    )
    start: Step = Field(0, description="First step it runs.")
    end: Step | None = Field(None, description="Last step it runs; default: to the end.")
    frequency_cap: int | None = Field(
        None,
        ge=1,
        le=100_000,
        description="Most impressions of this ad a person gets per `frequency_period`; an "
        "impression for a capped person goes to another person of the audience (dropped, still "
        "paid, after 32 capped draws). Default: no cap.",
    )
    frequency_period: Literal["campaign", "day", "week"] = Field(
        "campaign",
        description="The cap's window: the whole campaign, a calendar day or a week (from "
        "Monday; `day` and `week` need a `[time]` table).",
    )

    @model_validator(mode="after")
    def _bounded(self) -> Ad:
        if self.end is not None and self.end < self.start:
            raise ValueError(f"end = {self.end} is before start = {self.start}")
        per_step = self.spend_per_step / self.cpm * 1000.0
        if per_step > MAX_AD_IMPRESSIONS:
            raise ValueError(
                f"spend_per_step / cpm x 1000 = {per_step:,.0f} impressions a step; at most "
                f"{MAX_AD_IMPRESSIONS:,} are allowed"
            )
        return self


MAX_AD_IMPRESSIONS = 10_000_000


class Ties(_Table):
    """Strong and weak ties, each with its own visibility (Goldenberg, Libai & Muller 2001)."""

    strong: Literal["segment", "weight"] = Field(
        "segment",
        description="Which ties are strong: `segment` (both people in the same segment) or "
        "`weight` (edge-list weight at least `weight_threshold`).",
    )
    weight_threshold: float | None = Field(
        None, allow_inf_nan=False, description="`weight`: the least weight of a strong tie."
    )
    strong_visibility: Probability = Field(
        1.0, description="P(a share is seen over a strong tie), times the post's `visibility`."
    )
    weak_visibility: Probability = Field(
        1.0, description="P(a share is seen over a weak tie), times the post's `visibility`."
    )

    @model_validator(mode="after")
    def _threshold_given(self) -> Ties:
        if self.strong == "weight" and self.weight_threshold is None:
            raise ValueError("strong = 'weight' needs weight_threshold")
        return self


Weekday = literal_of(WEEKDAYS)


class Time(_Table):
    """What a step is, when people are online, how much they read, and how repetition wears.

    Without this table a step has no unit and everyone is online every step. People's activity
    profile (their segment's, else this table's) multiplies the visibility of what reaches
    them: a share at step t is seen with P = visibility x P(online at t).
    """

    step: Literal["hour", "day"] = Field(
        "hour", description="What a step is: an `hour` or a `day`."
    )
    start_day: Weekday = Field("monday", description="Weekday of step 0.")
    start_hour: int = Field(
        0, ge=0, le=23, description="Hour of day of step 0 (0-23); hourly steps only."
    )
    activity: ProfileName | None = Field(
        None,
        description="Everyone's activity profile unless their segment names one: "
        + ", ".join(f"`{name}` ({p.description})" for name, p in PROFILES.items())
        + ". Default: `always`.",
    )
    activity_hours: HourlyActivity | None = Field(
        None,
        description="P(online) in each hour of the day, 0-23 (24 values), for everyone whose "
        "segment gives none; replaces the profile's hours.",
    )
    activity_days: DailyActivity | None = Field(
        None,
        description="Factor on those for each weekday, Monday first (7 values; with daily "
        "steps, P(online that day)); replaces the profile's.",
    )
    attention: int | None = Field(
        None,
        ge=1,
        le=100,
        description="Most feed items (shares by people they follow, of every post and brand) a "
        "person reads a step; which ones is random. Default: no limit. Rule `cascade` only.",
    )
    wear_out: Probability | None = Field(
        None,
        description="Fatigue: share of a brand's appeal lost per recent exposure to the brand "
        "(shares seen, ad impressions): appeal x (1 - wear_out) ^ recent exposures. Default: "
        "none. Rule `cascade` only.",
    )
    recovery: float | None = Field(
        None,
        gt=0.0,
        le=100_000,
        allow_inf_nan=False,
        description="Fatigue: steps until a past exposure counts half (half-life of wear-out); "
        "default: exposures never stop counting.",
    )

    @model_validator(mode="after")
    def _recovery_needs_wear(self) -> Time:
        if self.recovery is not None and self.wear_out is None:
            raise ValueError("recovery needs wear_out (the fatigue it recovers from)")
        return self


def _one_random_seed() -> Seeding:
    return Seeding(strategy="random", budget=1)


class Crisis(_Table):
    """Negative content about a brand (a false "this product harms you" video) and the answer.

    It spreads as a cascade; people who complain (share it) may post it again each step until
    the brand answers them; people who saw it engage less with the brand's content.
    """

    brand: str | None = Field(None, description="The brand it hurts: `brand` (default).")
    start: Step = Field(0, description="Step it is first posted.")
    seeding: Seeding = Field(
        default_factory=_one_random_seed,
        description="Who posts it first (a `[seeding]` table); default: one random person.",
    )
    visibility: Probability = Field(1.0, description="P(a follower sees a complaint).")
    appeal: Probability = Field(0.3, description="P(engage | seen) with the negative content.")
    stickiness: Probability = Field(
        0.2, description="P(complain, i.e. share it | engaged); complaints are what is answered."
    )
    comment_ratio: Probability = Field(0.25, description="Share of engagements that are comments.")
    half_life: float | None = Field(
        None, gt=0.0, allow_inf_nan=False, description="Steps until its appeal halves."
    )
    resonance: Resonance | None = Field(
        None, description="Whom the negative content resonates with (a table, as `[content]`'s)."
    )
    persistence: Probability = Field(
        0.0,
        description="P(a complainer posts it again) each step until answered; 0 = a plain cascade.",
    )
    impact: Probability = Field(
        0.5,
        description="People who saw it (and were not won back) engage with the brand's content "
        "with its appeal times this.",
    )
    response_rate: Probability = Field(0.0, description="Share of complaints the brand answers.")
    response_time: int = Field(
        1, ge=1, le=100_000, description="Steps from a complaint until the brand answers it."
    )
    response_capacity: int | None = Field(
        None,
        ge=0,
        description="Most answers a step (first come, first served); default: no limit.",
    )
    neutralize: Probability = Field(
        0.0, description="P(an answered person turns neutral: the impact on them is removed)."
    )


class People(_Table):
    """How people's attributes are grouped in metrics and resonance."""

    age_bands: list[int] = Field(
        default=list(AGE_BANDS),
        min_length=1,
        max_length=20,
        description="Where age bands start (ages 0-17, 18-24, ..., 65+ by default): used by "
        "`resonance.age` and metrics such as `reach[age:18-24]`.",
    )

    @field_validator("age_bands")
    @classmethod
    def _increasing(cls, edges: list[int]) -> list[int]:
        if any(b <= a for a, b in itertools.pairwise(edges)) or not (
            edges[0] >= 1 and edges[-1] <= 130
        ):
            raise ValueError(f"{edges} must be increasing ages between 1 and 130")
        return edges


class Money(_Table):
    """What the scenario's brand earns per sale and how its earned media is priced."""

    value: Amount = Field(0.0, description="Revenue per conversion (money units).")
    cpm: float | None = Field(
        None,
        gt=0.0,
        allow_inf_nan=False,
        description="Price of 1,000 impressions that values earned media; default: the mean CPM "
        "of the brand's ads, else 0.",
    )


def seeding_tables(scenario: Scenario) -> list[tuple[tuple[Any, ...], Seeding]]:
    """Every ``[seeding]``-like table (the brand's, posts', competitors', crisis'), by key path."""
    found: list[tuple[tuple[Any, ...], Seeding | None]] = [(("seeding",), scenario.seeding)]
    found += [(("posts", i, "seeding"), p.seeding) for i, p in enumerate(scenario.posts)]
    found += [
        (("competitors", i, "seeding"), c.seeding) for i, c in enumerate(scenario.competitors)
    ]
    if scenario.crisis is not None:
        found.append((("crisis", "seeding"), scenario.crisis.seeding))
    return [(loc, seeding) for loc, seeding in found if seeding is not None]


def campaign_problems(scenario: Scenario) -> list[tuple[tuple[Any, ...], str, Any]]:
    """Cross-references between campaign tables that do not hold, as (key path, message, value).

    Brands, posts, segments and ads name each other; each name must exist and be unique.
    """
    problems: list[tuple[tuple[Any, ...], str, Any]] = []
    brands = scenario.brand_names
    segments = [s.name for s in scenario.segments]

    def unknown(loc: tuple[Any, ...], what: str, name: str, known: list[str]) -> None:
        hint = _did_you_mean(name, known) or (f"; known: {', '.join(known)}" if known else "")
        problems.append((loc, f"{name!r} is not a {what}{hint}", name))

    repeated = sorted({b for b in brands if brands.count(b) > 1})
    if repeated:
        problems.append(
            (
                ("competitors",),
                f"brand names must differ from each other and from `brand`; "
                f"repeated: {', '.join(repeated)}",
                None,
            )
        )
    for i, post in enumerate(scenario.posts):
        if post.brand is not None and post.brand not in brands:
            unknown(("posts", i, "brand"), "brand", post.brand, brands)
    names = [name for name, _, _ in scenario.calendar()]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated and len(set(brands)) == len(brands):  # else reported as repeated brands
        problems.append(
            (
                ("posts",),
                f"post names must be unique (a brand without [[posts]] has one post "
                f"named after it); repeated: {', '.join(repeated)}",
                None,
            )
        )
    seedings = seeding_tables(scenario)
    for loc, seeding in seedings[1:]:  # [seeding] itself is checked with the segments
        if seeding is not None and seeding.segment is not None and seeding.segment not in segments:
            unknown((*loc, "segment"), "segment", seeding.segment, segments)
    rule = scenario.diffusion.rule
    for loc, seeding in seedings:
        if (
            seeding is not None
            and seeding.strategy in CASCADE_MODELS
            and rule != "cascade"
            and seeding.propagation is None
        ):
            problems.append(
                (
                    (*loc, "strategy"),
                    f"{seeding.strategy} models the independent cascade; with rule = '{rule}' "
                    "set seeding.propagation to the tie probability it should assume, or use "
                    "celf, which simulates any rule",
                    seeding.strategy,
                )
            )
    calendar = scenario.calendar()
    for i, ad in enumerate(scenario.ads):
        brand = ad.brand or scenario.brand
        if brand not in brands:
            unknown(("ads", i, "brand"), "brand", brand, brands)
            continue
        own = [(name, start) for name, owner, start in calendar if owner == brand]
        if ad.post is not None:
            own_names = [name for name, _ in own]
            if ad.post not in own_names:
                hint = _did_you_mean(ad.post, own_names)
                problems.append(
                    (
                        ("ads", i, "post"),
                        f"{ad.post!r} is not a post of brand {brand!r}{hint}; "
                        f"its posts: {', '.join(own_names)}",
                        ad.post,
                    )
                )
                continue
            first = dict(own)[ad.post]
        else:
            first = min(start for _, start in own)
        if ad.start < first:
            problems.append(
                (
                    ("ads", i, "start"),
                    f"start = {ad.start} is before the post it promotes goes out (step {first})",
                    ad.start,
                )
            )
        if ad.segment is not None and ad.segment not in segments:
            unknown(("ads", i, "segment"), "segment", ad.segment, segments)
    crisis = scenario.crisis
    if crisis is not None and crisis.brand is not None and crisis.brand not in brands:
        unknown(("crisis", "brand"), "brand", crisis.brand, brands)
    ties = scenario.ties
    if ties is not None and ties.strong == "weight" and scenario.network.kind != "edge_list":
        problems.append(
            (
                ("ties", "strong"),
                "strong = 'weight' needs tie weights: a network of kind "
                "'edge_list' with a weight column",
                "weight",
            )
        )
    return problems


def time_problems(scenario: Scenario) -> list[tuple[tuple[Any, ...], str, Any]]:
    """Keys of time and attention that cannot work where they are, as (key path, message, value).

    Activity profiles and day or week frequency caps need ``[time]`` (what a step is). (That
    activity, attention and fatigue act on the independent cascade only is said by
    :mod:`simulation.scenario.idle`.)
    """
    problems: list[tuple[tuple[Any, ...], str, Any]] = []
    time = scenario.time
    profiled = [
        (("segments", i, key), getattr(segment, key))
        for i, segment in enumerate(scenario.segments)
        for key in ("activity", "activity_hours", "activity_days")
        if getattr(segment, key) is not None
    ]
    if time is None:
        problems += [
            (loc, f"{loc[-1]} needs a [time] table (what a step is: step = 'hour' or 'day')", v)
            for loc, v in profiled
        ]
        problems += [
            (
                ("ads", i, "frequency_period"),
                f"frequency_period = '{ad.frequency_period}' needs a [time] table (what a step "
                "is: step = 'hour' or 'day')",
                ad.frequency_period,
            )
            for i, ad in enumerate(scenario.ads)
            if ad.frequency_period != "campaign"
        ]
        return problems
    return problems


class Scenario(_Table):
    """A complete what-if: audience (network and segments), content, rule and strategy."""

    name: str = Field(min_length=1, description="Scenario name (required).")
    description: str = Field("", description="Free text.")
    steps: int = Field(100, ge=1, le=100_000, description="Most steps a replicate runs.")
    runs: int = Field(100, ge=1, le=10_000_000, description="Replicates; `--runs` overrides.")
    seed: int = Field(0, ge=0, le=2**63 - 1, description="Seed; `--seed` overrides.")
    network: Network = Field(description="The social graph (required).")
    content: Content = Field(default_factory=Content)
    diffusion: Diffusion = Field(default_factory=Diffusion)
    seeding: Seeding = Field(default_factory=Seeding)
    segments: list[Segment] = Field(default_factory=list, description="Target segments.")
    brand: Name = Field(
        "brand", description="Name of the scenario's brand, in metrics as `metric[brand:name]`."
    )
    posts: list[Post] = Field(
        default_factory=list,
        description="Content calendar (`[[posts]]`); default: one post, `[content]` at step 0.",
    )
    competitors: list[Competitor] = Field(
        default_factory=list, description="Rival brands (`[[competitors]]`)."
    )
    market: Market = Field(default_factory=Market, description="How brands compete (a table).")
    ads: list[Ad] = Field(default_factory=list, description="Paid media (`[[ads]]`).")
    ties: Ties | None = Field(None, description="Strong and weak ties (a table); default: none.")
    crisis: Crisis | None = Field(None, description="Negative content (a table); default: none.")
    time: Time | None = Field(
        None,
        description="What a step is, when people are online, attention and fatigue (a table); "
        "default: none (a step has no unit, everyone is online).",
    )
    money: Money = Field(default_factory=Money, description="Revenue and media prices (a table).")
    people: People = Field(
        default_factory=People, description="How people's attributes are grouped (a table)."
    )

    # Where relative paths (edge lists) are resolved from; not a TOML key.
    base_dir: str = Field(".", exclude=True, description="internal")
    source: str = Field("<scenario>", exclude=True, description="internal")

    @model_validator(mode="after")
    def _consistent(self) -> Scenario:
        names = [s.name for s in self.segments]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"segment names must be unique; repeated: {', '.join(duplicates)}")
        if self.segments:
            total = sum(s.share for s in self.segments)
            if abs(total - 1.0) > 1e-6:
                raise ValueError(f"segment shares add up to {total:g}, not 1")
        if self.seeding.segment is not None and self.seeding.segment not in names:
            hint = _did_you_mean(self.seeding.segment, names)
            raise ValueError(f"seeding.segment '{self.seeding.segment}' is not a segment{hint}")
        return self

    @model_validator(mode="after")
    def _campaign_consistent(self) -> Scenario:
        _refuse(campaign_problems(self))
        return self

    @model_validator(mode="after")
    def _audience_consistent(self) -> Scenario:
        _refuse(audience_problems(self))
        return self

    @model_validator(mode="after")
    def _time_consistent(self) -> Scenario:
        _refuse(time_problems(self))
        return self

    @model_validator(mode="after")
    def _within_limits(self) -> Scenario:
        _refuse(limit_problems(self))
        return self

    @property
    def warnings(self) -> list[Problem]:
        """What is allowed but probably not meant (see :func:`scenario_warnings`)."""
        return scenario_warnings(self)

    @property
    def brand_names(self) -> list[str]:
        """The scenario's brand, then its competitors."""
        return [self.brand] + [c.name for c in self.competitors]

    def calendar(self) -> list[tuple[str, str, int]]:
        """Every post as (post name, brand name, start), brand by brand in file order.

        A brand's posts are the ``[[posts]]`` naming it; a brand with none has one post named
        after the brand: ``[content]`` at step 0, or a competitor's content at its ``start``.
        """
        posts = []
        for brand, start in [(self.brand, 0)] + [(c.name, c.start) for c in self.competitors]:
            listed = [
                (p.name, brand, p.start) for p in self.posts if (p.brand or self.brand) == brand
            ]
            posts += listed or [(brand, brand, start)]
        return posts

    @property
    def segment_names(self) -> list[str]:
        """Segment names in order; one implicit segment ``everyone`` when none are given."""
        return [s.name for s in self.segments] or ["everyone"]

    def to_toml_dict(self) -> dict[str, Any]:
        """The scenario as plain TOML-ready data, rerunnable as is.

        Leaves out ``None`` values and the keys that do nothing under the chosen strategies and
        rule (which a scenario file may not hold, see :mod:`simulation.scenario.idle`).
        """
        from simulation.scenario.idle import idle_keys

        data = self.model_dump(mode="json", exclude_none=True)
        for path, _, _ in idle_keys(self, written=False):
            table = data
            for part in path[:-1]:
                table = table[part]
            table.pop(path[-1], None)
        return data

    def with_overrides(
        self, overrides: dict[str, Any], *, source: str | None = None, idle_keys: bool = False
    ) -> Scenario:
        """Return a validated copy with dotted keys replaced (``{"content.appeal": 0.5}``).

        Args:
            overrides: Dotted key -> value.
            source: Where the overrides come from, for messages (default: the scenario's file).
            idle_keys: Refuse an override that does nothing under the resulting strategy or
                rule (``wom run --set``); sweeps vary such keys together, so default ``False``.

        Raises:
            ScenarioError: naming the dotted key if the result is not a valid scenario.
        """
        from simulation.scenario.loading import parse_scenario, set_dotted

        data = self.to_toml_dict()
        for key, value in overrides.items():
            set_dotted(data, key, value)

        return parse_scenario(
            data,
            source=source or self.source,
            base_dir=self.base_dir,
            idle_keys=list(overrides) if idle_keys else False,
        )


def _refuse(problems: list[tuple[tuple[Any, ...], str, Any]]) -> None:
    """Raise the problems as pydantic errors at their own keys (for the translator)."""
    if problems:
        raise ValidationError.from_exception_data(
            "Scenario",
            [
                InitErrorDetails(
                    type=PydanticCustomError("value_error", message), loc=loc, input=value
                )
                for loc, message, value in problems
            ],
        )


# Memory while a generated graph is built and held: per tie (both directions' arcs, weights,
# the generator's arrays) and per person (segments, degrees, labels' index).
GRAPH_BYTES_PER_TIE = 50
GRAPH_BYTES_PER_PERSON = 50
# Per replicate, in 8-byte values: the kernel's tally per brand, post and crisis row, segment
# counts, and every metric's value (about 40 per brand or post).
_VALUES_PER_ROW = 16
_VALUES_PER_METRIC_ROW = 40


def replicate_bytes(scenario: Scenario) -> int:
    """Estimated memory of one replicate's results (tallies and metric values)."""
    rows = len(scenario.brand_names) + len(scenario.calendar()) + 2
    segments = len(scenario.segment_names)
    values = _VALUES_PER_ROW * rows + 8 * segments + 8 + _VALUES_PER_METRIC_ROW * (rows - 1)
    return 8 * values


def timing_bytes(scenario: Scenario, people: int) -> int:
    """Memory of one worker's rooms for attention, fatigue and frequency caps."""
    time = scenario.time
    per_person = 0
    if time is not None and scenario.diffusion.rule == "cascade":
        per_person += 8 * (time.attention or 0) + (12 if time.attention else 0)
        per_person += 20 * len(scenario.brand_names) if time.wear_out else 0
    per_person += 12 * sum(ad.frequency_cap is not None for ad in scenario.ads)
    return per_person * people


def limit_problems(scenario: Scenario) -> list[tuple[tuple[Any, ...], str, Any]]:
    """The scenario's estimated memory and work against the limits of :mod:`simulation.inputs`.

    A generated graph's memory comes from its expected ties (an edge list is bounded by its
    file's size when read); the work of a run is at most runs x steps x people person-steps;
    its results hold :func:`replicate_bytes` per replicate.
    """
    problems = []
    network = scenario.network
    people = network.people()
    ties, keys = network.expected_ties()
    graph = ties * GRAPH_BYTES_PER_TIE + (people or 0) * GRAPH_BYTES_PER_PERSON
    message = memory_problem(graph, f"the network ({ties:,.0f} ties: {keys})")
    if message:
        problems.append((("network",), message, None))
    timing = timing_bytes(scenario, people or 0)
    if timing > 0:
        from simulation._jit import threads  # numba only for scenarios that need the estimate

        message = memory_problem(
            timing * threads(),
            f"time and attention's working state ({threads()} threads x {people:,} people)",
        )
        if message:
            problems.append((("time",), message, None))
    results = scenario.runs * replicate_bytes(scenario)
    message = memory_problem(results, f"the results of {scenario.runs:,} runs")
    if message:
        problems.append((("runs",), message, scenario.runs))
    if people is not None:
        message = work_problem(
            float(scenario.runs) * scenario.steps * people,
            f"runs x steps x people = {scenario.runs:,} x {scenario.steps:,} x {people:,}",
        )
        if message:
            problems.append((("runs",), message, scenario.runs))
    return problems


def scenario_warnings(scenario: Scenario) -> list[Problem]:
    """What is allowed but probably not meant (late content, no listed seeds).

    Content that starts after the last step, and ``strategy = "nodes"`` with no nodes.

    Warnings, not errors: a sweep that varies ``steps`` may cut off a late post, whose counts
    are then simply zero (and whose seeds are not paid); an empty ``nodes`` list is part of the
    public contract (no seeds, e.g. a ``bass`` market that starts by innovation alone).
    """
    steps = scenario.steps
    starts = [(f"posts[{i}].start", "post", p.start) for i, p in enumerate(scenario.posts)]
    starts += [
        (f"competitors[{i}].start", "competitor's content", c.start)
        for i, c in enumerate(scenario.competitors)
    ]
    starts += [(f"ads[{i}].start", "ad", ad.start) for i, ad in enumerate(scenario.ads)]
    if scenario.crisis is not None:
        starts.append(("crisis.start", "crisis", scenario.crisis.start))
    found = [
        Problem(
            f"start = {start} is after the last step (steps = {steps}): the {what} never goes out",
            key=key,
            source=scenario.source,
        )
        for key, what, start in starts
        if start > steps
    ]
    found += [
        Problem(
            "strategy 'nodes' with no nodes listed: there are no seeds",
            key=dotted([*loc, "nodes"]),
            source=scenario.source,
        )
        for loc, seeding in seeding_tables(scenario)
        if seeding.strategy == "nodes" and not seeding.nodes
    ]
    return found
