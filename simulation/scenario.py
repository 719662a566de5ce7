"""The scenario file: its schema, defaults, loading and validation.

A scenario is a TOML file (see the README's reference, generated from this module by
``wom keys``). This module is the one place where keys, types, ranges and defaults are
defined: the CLI, the Mesa model, the sweep engine and the app's controls all read them from
here. Validation is done by pydantic; every problem becomes a :class:`~simulation.errors.Problem`
naming the file, the dotted key and (where it can be found) the line.
"""

from __future__ import annotations

import copy
import difflib
import re
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from simulation.errors import Problem, ScenarioError

__all__ = [
    "NETWORK_KINDS",
    "SEED_STRATEGIES",
    "Ad",
    "Competitor",
    "Content",
    "Crisis",
    "Diffusion",
    "Market",
    "Money",
    "Post",
    "Scenario",
    "Seeding",
    "Segment",
    "ThresholdDistribution",
    "Ties",
    "load_scenario",
    "parse_scenario",
]

Probability = Annotated[float, Field(ge=0.0, le=1.0)]


class _Table(BaseModel):
    """A TOML table: strict types (no "3" for 3), unknown keys rejected."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


# --------------------------------------------------------------------------- network


class _NetworkBase(_Table):
    seed: int | None = Field(
        None, ge=0, description="Seed of the generated graph; defaults to the scenario's `seed`."
    )


class ErdosRenyi(_NetworkBase):
    """G(n, p) random graph with p = mean_degree / (n - 1)."""

    kind: Literal["erdos_renyi"]
    n: int = Field(ge=1, le=50_000_000, description="Number of people.")
    mean_degree: float = Field(ge=0.0, description="Expected number of contacts per person.")

    @model_validator(mode="after")
    def _degree_below_n(self) -> ErdosRenyi:
        if self.n > 1 and self.mean_degree > self.n - 1:
            raise ValueError(f"mean_degree {self.mean_degree} exceeds n - 1 = {self.n - 1}")
        return self


class BarabasiAlbert(_NetworkBase):
    """Preferential attachment (Barabasi & Albert 1999): each newcomer links to m people."""

    kind: Literal["barabasi_albert"]
    n: int = Field(ge=2, le=50_000_000, description="Number of people.")
    m: int = Field(ge=1, description="Ties each newcomer makes.")

    @model_validator(mode="after")
    def _m_below_n(self) -> BarabasiAlbert:
        if self.m >= self.n:
            raise ValueError(f"m = {self.m} must be smaller than n = {self.n}")
        return self


class WattsStrogatz(_NetworkBase):
    """Small world (Watts & Strogatz 1998): a ring lattice with rewired ties."""

    kind: Literal["watts_strogatz"]
    n: int = Field(ge=3, le=50_000_000, description="Number of people.")
    k: int = Field(ge=2, description="Each person is tied to the k nearest in the ring (even).")
    rewire: float = Field(ge=0.0, le=1.0, description="Probability a tie is rewired at random.")

    @model_validator(mode="after")
    def _k_below_n(self) -> WattsStrogatz:
        if self.k >= self.n:
            raise ValueError(f"k = {self.k} must be smaller than n = {self.n}")
        return self


class PowerlawCluster(_NetworkBase):
    """Holme & Kim (2002): preferential attachment with triangle closure."""

    kind: Literal["powerlaw_cluster"]
    n: int = Field(ge=2, le=50_000_000, description="Number of people.")
    m: int = Field(ge=1, description="Ties each newcomer makes.")
    triangle_p: float = Field(ge=0.0, le=1.0, description="Probability of closing a triangle.")

    @model_validator(mode="after")
    def _m_below_n(self) -> PowerlawCluster:
        if self.m >= self.n:
            raise ValueError(f"m = {self.m} must be smaller than n = {self.n}")
        return self


class StochasticBlock(_NetworkBase):
    """Segments as blocks: a share ``homophily`` of each person's ties stay in their segment."""

    kind: Literal["stochastic_block"]
    n: int = Field(ge=2, le=50_000_000, description="Number of people.")
    mean_degree: float = Field(ge=0.0, description="Expected number of contacts per person.")
    homophily: float = Field(
        0.8, ge=0.0, le=1.0, description="Expected share of a person's ties within their segment."
    )


class Complete(_NetworkBase):
    """Everyone knows everyone."""

    kind: Literal["complete"]
    n: int = Field(ge=1, le=20_000, description="Number of people.")


class PathGraph(_NetworkBase):
    """People 0..n-1 in a line."""

    kind: Literal["path"]
    n: int = Field(ge=1, le=50_000_000, description="Number of people.")


class Star(_NetworkBase):
    """Node 0 is the hub, tied to everyone else."""

    kind: Literal["star"]
    n: int = Field(ge=1, le=50_000_000, description="Number of people, hub included.")


class Classic(_NetworkBase):
    """A small classic social network from networkx."""

    kind: Literal["karate", "les_miserables", "florentine_families", "davis_southern_women"]


class EdgeList(_NetworkBase):
    """A network read from a file: one tie per line, ``u v [weight]``."""

    kind: Literal["edge_list"]
    path: str = Field(min_length=1, description="Edge-list file, relative to the scenario file.")
    directed: bool = Field(
        False, description="If true, a line `u v` means v follows u (u's shares reach v)."
    )


Network = Annotated[
    ErdosRenyi
    | BarabasiAlbert
    | WattsStrogatz
    | PowerlawCluster
    | StochasticBlock
    | Complete
    | PathGraph
    | Star
    | Classic
    | EdgeList,
    Field(discriminator="kind"),
]

NETWORK_KINDS: dict[str, type[_NetworkBase]] = {}
for _cls in (
    ErdosRenyi,
    BarabasiAlbert,
    WattsStrogatz,
    PowerlawCluster,
    StochasticBlock,
    Complete,
    PathGraph,
    Star,
    Classic,
    EdgeList,
):
    for _kind in _cls.model_fields["kind"].annotation.__args__:
        NETWORK_KINDS[_kind] = _cls

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

    rule: Literal["cascade", "threshold", "bass"] = Field(
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


SEED_STRATEGIES = (
    "nodes",
    "random",
    "degree",
    "pagerank",
    "kcore",
    "betweenness",
    "degree_discount",
    "celf",
    "imm",
)


class Seeding(_Table):
    """Who posts the content first (the seeds, e.g. influencers the brand pays)."""

    strategy: Literal[
        "nodes",
        "random",
        "degree",
        "pagerank",
        "kcore",
        "betweenness",
        "degree_discount",
        "celf",
        "imm",
    ] = Field(
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
        default_factory=list, description="`nodes` strategy: the seeds' labels."
    )
    segment: str | None = Field(None, description="Choose seeds only within this segment.")
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
    age: list[int] | None = Field(
        None, min_length=2, max_length=2, description="Age range, e.g. [18, 24]."
    )
    location: str | None = Field(None, description="Where they live.")
    income: str | None = Field(None, description="Income band.")
    job: str | None = Field(None, description="Occupation.")
    industry: str | None = Field(None, description="Industry they work in.")
    interests: list[str] = Field(default_factory=list, description="Interests.")

    @model_validator(mode="after")
    def _age_ordered(self) -> Segment:
        if self.age is not None and not 0 <= self.age[0] <= self.age[1] <= 130:
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
    start: Step = Field(0, description="First step it runs.")
    end: Step | None = Field(None, description="Last step it runs; default: to the end.")

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
    seedings = [(("seeding",), scenario.seeding)]
    seedings += [(("posts", i, "seeding"), p.seeding) for i, p in enumerate(scenario.posts)]
    seedings += [
        (("competitors", i, "seeding"), c.seeding) for i, c in enumerate(scenario.competitors)
    ]
    if scenario.crisis is not None:
        seedings.append((("crisis", "seeding"), scenario.crisis.seeding))
    for loc, seeding in seedings[1:]:  # [seeding] itself is checked with the segments
        if seeding is not None and seeding.segment is not None and seeding.segment not in segments:
            unknown((*loc, "segment"), "segment", seeding.segment, segments)
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
    money: Money = Field(default_factory=Money, description="Revenue and media prices (a table).")

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
        problems = campaign_problems(self)
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
        return self

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
        """The scenario as plain TOML-ready data (no ``None`` values), rerunnable as is."""
        return self.model_dump(mode="json", exclude_none=True)

    def with_overrides(self, overrides: dict[str, Any], *, source: str | None = None) -> Scenario:
        """Return a validated copy with dotted keys replaced (``{"content.appeal": 0.5}``).

        Raises:
            ScenarioError: naming the dotted key if the result is not a valid scenario.
        """
        data = self.to_toml_dict()
        for dotted, value in overrides.items():
            set_dotted(data, dotted, value)
        return parse_scenario(data, source=source or self.source, base_dir=self.base_dir)


# --------------------------------------------------------------------------- loading


def set_dotted(data: dict[str, Any], dotted: str, value: Any) -> None:
    """Set ``data["a"]["b"] = value`` for ``dotted = "a.b"``, making tables on the way."""
    *tables, last = dotted.split(".")
    node = data
    for part in tables:
        child = node.get(part)
        if child is None:
            child = node[part] = {}
        if not isinstance(child, dict):
            raise ScenarioError.single(f"'{part}' is not a table", key=dotted)
        node = child
    node[last] = copy.deepcopy(value)


def read_toml(path: str | Path, what: str = "scenario") -> tuple[dict[str, Any], str]:
    """Read a TOML file a user gave (a scenario or an experiment): its data and its text.

    Raises:
        ScenarioError: the file is missing, unreadable, binary, not UTF-8 or not TOML (with the
            line of a syntax error).
    """
    path = Path(path)
    source = str(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ScenarioError.single(f"{what} file not found", source=source) from None
    except OSError as exc:
        raise ScenarioError.single(f"cannot read file: {exc.strerror}", source=source) from None
    if b"\0" in raw:
        raise ScenarioError.single(f"this is a binary file, not a TOML {what}", source=source)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ScenarioError.single(f"not UTF-8 text (byte {exc.start})", source=source) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"\(at line (\d+), column \d+\)", str(exc))
        line = int(match.group(1)) if match else None
        message = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc))
        raise ScenarioError.single(
            f"TOML syntax error: {message}", line=line, source=source
        ) from None
    return data, text


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario TOML file.

    Raises:
        ScenarioError: the file is missing, unreadable, not TOML, or not a valid scenario;
            every problem names the file, key and (where found) line.
    """
    data, text = read_toml(path, "scenario")
    return parse_scenario(data, source=str(path), base_dir=str(Path(path).parent), text=text)


def parse_scenario(
    data: dict[str, Any],
    *,
    source: str = "<scenario>",
    base_dir: str = ".",
    text: str | None = None,
) -> Scenario:
    """Validate already-parsed scenario data.

    Args:
        data: The scenario as a dict (as TOML parses it).
        source: Name of where it came from, for messages.
        base_dir: Directory that relative paths in the scenario are resolved from.
        text: The TOML text, used to find the line of a bad key.

    Raises:
        ScenarioError: listing every problem found.
    """
    if not isinstance(data, dict):
        raise ScenarioError.single("a scenario must be a table of keys", source=source)
    payload = {k: v for k, v in data.items() if k not in ("base_dir", "source")}
    try:
        return Scenario.model_validate({**payload, "base_dir": base_dir, "source": source})
    except ValidationError as exc:
        problems = [_problem(err, payload, source, text) for err in exc.errors()]
        # One problem per (key, message): unions report the same mistake once per branch.
        unique = list(dict.fromkeys(problems))
        raise ScenarioError(unique) from None


def _did_you_mean(word: str, candidates: list[str] | tuple[str, ...]) -> str:
    close = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _model_at(loc: tuple[Any, ...], data: dict[str, Any]) -> type[BaseModel] | None:
    """The model class that validates the table at ``loc`` (for did-you-mean on unknown keys)."""
    model: type[BaseModel] | None = Scenario
    node: Any = data
    for part in loc:
        if model is None:
            return None
        if isinstance(part, int):
            node = node[part] if isinstance(node, list) and part < len(node) else None
            continue
        if part in NETWORK_KINDS and model is Scenario:
            continue
        field = model.model_fields.get(part)
        node = node.get(part) if isinstance(node, dict) else None
        if field is None:
            return None
        if part == "network":
            kind = node.get("kind") if isinstance(node, dict) else None
            model = NETWORK_KINDS.get(kind) if isinstance(kind, str) else None
        else:
            model = {
                "content": Content,
                "diffusion": Diffusion,
                "seeding": Seeding,
                "segments": Segment,
                "threshold": ThresholdDistribution,
                "posts": Post,
                "competitors": Competitor,
                "market": Market,
                "ads": Ad,
                "ties": Ties,
                "crisis": Crisis,
                "money": Money,
            }.get(part)
    return model


def _problem(err: dict[str, Any], data: dict[str, Any], source: str, text: str | None) -> Problem:
    loc = tuple(err["loc"])
    # Drop pydantic's union-branch tags ('barabasi_albert', 'float', ...) from the key path.
    keys = [
        p
        for p in loc
        if not (isinstance(p, str) and (p in NETWORK_KINDS or p in _TYPE_TAGS or "[" in p))
    ]
    dotted = ".".join(str(p) if not isinstance(p, int) else f"[{p}]" for p in keys).replace(
        ".[", "["
    )
    kind = err["type"]
    value = err.get("input")
    if kind == "extra_forbidden":
        parent = _model_at(tuple(keys[:-1]), data)
        fields = [
            f for f in (parent.model_fields if parent else {}) if f not in ("base_dir", "source")
        ]
        hint = _did_you_mean(str(keys[-1]), fields)
        if not hint and fields:
            hint = f" (known keys: {', '.join(fields)})"
        message = f"unknown key{hint}"
    elif kind == "missing":
        message = "required key is missing"
    elif kind == "union_tag_invalid":
        hint = _did_you_mean(
            str(value.get("kind")) if isinstance(value, dict) else "", list(NETWORK_KINDS)
        )
        message = (
            f"unknown network kind {value.get('kind')!r}{hint}; known: {', '.join(NETWORK_KINDS)}"
        )
        dotted = f"{dotted}.kind" if dotted else "kind"
    elif kind == "union_tag_not_found":
        message = "required key is missing (one of: " + ", ".join(NETWORK_KINDS) + ")"
        dotted = f"{dotted}.kind"
    elif kind == "literal_error":
        expected = err.get("ctx", {}).get("expected", "")
        options = re.findall(r"'([^']*)'", expected)
        hint = _did_you_mean(str(value), options)
        message = f"{value!r} is not one of {expected}{hint}"
    elif kind == "value_error":
        message = str(err["msg"]).removeprefix("Value error, ")
    else:
        message = (
            f"{err['msg']}, got {value!r}"
            if value is not None and not isinstance(value, dict)
            else err["msg"]
        )
    return Problem(message, key=dotted or None, line=_line_of(text, keys), source=source)


_TYPE_TAGS = {"fixed", "distribution", "str", "int"}


def _line_of(text: str | None, keys: list[Any]) -> int | None:
    """Best-effort line of a dotted key in TOML text (the key's line, else its table's)."""
    if not text or not keys:
        return None
    names = [k for k in keys if isinstance(k, str)]
    if not names:
        return None
    table, key = ".".join(names[:-1]), names[-1]
    current = ""
    table_line = None
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        header = re.match(r"^\[\[?\s*([^\]]+?)\s*\]\]?", stripped)
        if header:
            current = header.group(1).strip().strip('"')
            if current == ".".join(names):
                table_line = table_line or number
            continue
        match = re.match(r'^"?([A-Za-z0-9_\-]+)"?\s*=', stripped)
        if match and match.group(1) == key and current == table:
            return number
    return table_line


# --------------------------------------------------------------------------- reference


def _type_name(field_info) -> str:
    text = str(field_info.annotation)
    text = re.sub(r"typing\.|<class '([^']+)'>", r"\1", text)
    text = re.sub(r"Annotated\[(\w+), [^\]]*\]", r"\1", text)
    text = re.sub(r"simulation\.scenario\.", "", text)
    text = text.replace("NoneType", "none")
    if "Literal" in text:
        return "string"
    if re.search(r"\b[A-Z]\w+\b", text.replace("None", "")):
        return "table" if not text.startswith("list") else "array of tables"
    return text.replace(" | ", " or ")


def _default(field_info) -> str:
    if field_info.is_required():
        return "required"
    if field_info.default_factory is not None:
        value = field_info.default_factory()
        return "[]" if isinstance(value, list) else "(table)"
    if field_info.default is None:
        return "none"
    return repr(field_info.default).replace("'", '"')


def _range(field_info) -> str:
    parts = []
    for meta in field_info.metadata:
        for attr, sign in (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<")):
            if getattr(meta, attr, None) is not None:
                parts.append(f"{sign} {getattr(meta, attr)}")
    literal = re.findall(r"'([^']+)'", str(field_info.annotation))
    if "Literal" in str(field_info.annotation) and literal:
        parts.append(" / ".join(f"`{x}`" for x in literal))
    return ", ".join(parts)


def field_rows(model: type[BaseModel]) -> list[tuple[str, str, str, str, str]]:
    """(key, type, default, allowed, meaning) of each key of a table, from the schema."""
    rows = []
    for name, info in model.model_fields.items():
        if info.exclude or name == "kind":
            continue
        rows.append((name, _type_name(info), _default(info), _range(info), info.description or ""))
    return rows


def reference_markdown() -> str:
    """The scenario file's reference (every key, type, default, range, meaning) as Markdown."""
    out = ["<!-- generated by `wom keys`; do not edit by hand -->"]

    def table(title: str, model: type[BaseModel], note: str = "") -> None:
        out.append(f"\n**{title}**{(' ' + note) if note else ''}\n")
        out.append("| key | type | default | allowed | meaning |")
        out.append("| --- | --- | --- | --- | --- |")
        for key, kind, default, allowed, meaning in field_rows(model):
            out.append(f"| `{key}` | {kind} | {default} | {allowed} | {meaning} |")

    table("Top level", Scenario)
    seen: set[type] = set()
    for cls in NETWORK_KINDS.values():
        if cls in seen:
            continue
        seen.add(cls)
        kinds = [k for k, c in NETWORK_KINDS.items() if c is cls]
        names = " / ".join(f"`{k}`" for k in kinds)
        table(f"[network] kind = {names}", cls, f"— {(cls.__doc__ or '').strip()}")
    table("[content]", Content, f"— {Content.__doc__}")
    table("[diffusion]", Diffusion, f"— {Diffusion.__doc__}")
    table(
        "[diffusion.threshold] as a table",
        ThresholdDistribution,
        f"— {ThresholdDistribution.__doc__}",
    )
    table("[seeding]", Seeding, f"— {Seeding.__doc__}")
    table("[[segments]]", Segment, f"— {Segment.__doc__}")
    table("[[posts]]", Post, f"— {Post.__doc__}")
    table("[[competitors]]", Competitor, f"— {Competitor.__doc__}")
    table("[market]", Market, f"— {Market.__doc__}")
    table("[[ads]]", Ad, f"— {Ad.__doc__}")
    table("[ties]", Ties, f"— {Ties.__doc__}")
    table("[crisis]", Crisis, f"— {(Crisis.__doc__ or '').split(chr(10))[0]}")
    table("[money]", Money, f"— {Money.__doc__}")
    return "\n".join(out)
