"""Named metrics: what each means, what work it needs, and its summary over replicates.

Metric names are the public vocabulary of the CLI's JSON, the sweep's Parquet columns and the
app. Each metric declares the work it needs (``cascade``: who shares; ``funnel``: every exposure
and interaction; ``tree``: the cascade trees), so ``--metrics`` can skip the rest.

Plain names are about the scenario's brand (all its posts). Qualified names:
``metric[segment]`` within a segment; ``metric[post:name]`` for one post of a content calendar
(when the scenario has ``[[posts]]``); ``metric[brand:name]`` for one brand (when it has
``[[competitors]]``). Crisis metrics exist when the scenario has a ``[crisis]``.

:class:`Layout` holds the arithmetic from the kernel's counts to these metrics (ratios, money,
per post and per brand), beside their names.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.special import stdtrit

from simulation.errors import Problem, ScenarioError
from simulation.kernel.layout import COUNTERS, CRISIS_COUNTERS, N_COUNTERS, N_CRISIS_COUNTERS
from simulation.scenario import Scenario, _did_you_mean

__all__ = [
    "METRICS",
    "Layout",
    "Metric",
    "campaign_qualifiers",
    "describe",
    "needs",
    "resolve_metrics",
    "summarize",
]


@dataclass(frozen=True)
class Metric:
    """A metric's name, plain-language meaning and the work it needs."""

    name: str
    meaning: str
    needs: str  # "cascade", "funnel" or "tree"
    timeline: bool = False  # has a per-step cumulative timeline
    scope: str = "always"  # "always", "competition" (with competitors) or "crisis"
    per: tuple[str, ...] = ()  # qualified forms: "post" (metric[post:x]), "brand" (metric[brand:x])


PB = ("post", "brand")  # metrics that exist per post and per brand

METRICS: dict[str, Metric] = {
    m.name: m
    for m in (
        Metric(
            "sharers",
            "distinct people who shared the content, seeds included",
            "cascade",
            True,
            per=PB,
        ),
        Metric(
            "reach",
            "distinct people who saw it at least once, seeds included",
            "funnel",
            True,
            per=PB,
        ),
        Metric("impressions", "times it was seen, every exposure counted", "funnel", True, per=PB),
        Metric(
            "engagements",
            "likes and comments, each counted when it happens",
            "funnel",
            True,
            per=PB,
        ),
        Metric("likes", "engagements that were likes", "funnel", True, per=PB),
        Metric("comments", "engagements that were comments", "funnel", True, per=PB),
        Metric(
            "shares",
            "shares by people who were not seeds (earned shares)",
            "cascade",
            True,
            per=PB,
        ),
        Metric(
            "clicks",
            "click-throughs to the brand's site (referrals from shares and ads)",
            "funnel",
            True,
            per=PB,
        ),
        Metric(
            "conversions",
            "purchases that followed a click (once per person and post)",
            "funnel",
            True,
            per=PB,
        ),
        Metric("engagement_rate", "engagements per impression (0 when nothing was seen)", "funnel"),
        Metric(
            "amplification",
            "earned shares per seed post: how far word of mouth multiplied the first posts",
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
        Metric("paid_impressions", "impressions bought with ads", "funnel", True, per=PB),
        Metric("paid_reach", "distinct people who saw an ad", "funnel", True, per=PB),
        Metric(
            "paid_conversions",
            "conversions that followed a click on an ad",
            "funnel",
            True,
            per=PB,
        ),
        Metric(
            "earned_impressions",
            "impressions through people's shares (all but the paid ones)",
            "funnel",
            True,
            per=PB,
        ),
        Metric(
            "earned_reach", "distinct people who saw it through a share", "funnel", True, per=PB
        ),
        Metric(
            "earned_conversions",
            "conversions that followed a click on a share (all but the paid ones)",
            "funnel",
            True,
            per=PB,
        ),
        Metric(
            "engaged_people",
            "distinct people who liked or commented at least once",
            "funnel",
            True,
            per=PB,
        ),
        Metric(
            "mentions",
            "posts and comments about the brand: every share of its posts (the seeds' included) "
            "plus every comment",
            "funnel",
            True,
            per=PB,
        ),
        Metric(
            "share_of_voice",
            "the brand's mentions / every brand's mentions (the crisis not counted); "
            "timeline: pooled over replicates; none when nobody mentioned any brand",
            "funnel",
            True,
            scope="competition",
            per=("brand",),
        ),
        Metric(
            "ad_spend",
            "money spent on ads (spend_per_step x steps each ad ran)",
            "cascade",
            per=("brand",),
        ),
        Metric(
            "seeding_cost",
            "seeding fees, paid for every post a seed publishes (expected fees for random seeds)",
            "cascade",
            per=("brand",),
        ),
        Metric("cost", "seeding_cost + ad_spend", "cascade", per=("brand",)),
        Metric("revenue", "conversions x value per conversion", "funnel", per=("brand",)),
        Metric(
            "roi",
            "return on investment, (revenue - cost) / cost; none when cost is 0",
            "funnel",
            per=("brand",),
        ),
        Metric(
            "earned_media_value",
            "earned impressions priced at the CPM: what they would have cost as ads",
            "funnel",
            per=("brand",),
        ),
        Metric(
            "negative_reach",
            "distinct people who saw the crisis content, its first posters included",
            "cascade",
            True,
            scope="crisis",
        ),
        Metric(
            "negative_impressions",
            "times the crisis content was seen",
            "cascade",
            True,
            scope="crisis",
        ),
        Metric(
            "negative_sharers",
            "complaints: distinct people who posted the crisis content, its first posters included",
            "cascade",
            True,
            scope="crisis",
        ),
        Metric("responses", "complaints the brand answered", "cascade", True, scope="crisis"),
        Metric(
            "response_rate",
            "responses / complaints (complaints not yet due at the end are unanswered)",
            "cascade",
            scope="crisis",
        ),
        Metric(
            "mean_response_time",
            "mean steps from a complaint to its answer; none when nothing was answered",
            "cascade",
            scope="crisis",
        ),
        Metric(
            "neutralized",
            "answered complainers won back (the crisis's impact on them removed)",
            "cascade",
            True,
            scope="crisis",
        ),
        Metric(
            "net_sentiment",
            "(P - N) / (P + N), P = people who engaged with the brand the crisis is about, "
            "N = people who saw the crisis and were not won back; 0 when both are 0",
            "funnel",
            scope="crisis",
        ),
    )
}

# Qualifiers of metrics by attribute: metric[age:18-24], metric[interest:games], ...
ATTRIBUTE_KINDS = ("age", "location", "income", "job", "industry", "interest")
SEGMENT_MEANING = {
    "sharers": "distinct people who shared the content",
    "reach": "distinct people who saw it",
    "engagements": "likes and comments",
    "conversions": "purchases that followed a click",
}

SEGMENT_METRICS = {
    "sharers": "cascade",
    "reach": "funnel",
    "engagements": "funnel",
    "conversions": "funnel",
}


def resolve_metrics(
    requested: list[str] | None,
    segment_names: list[str],
    *,
    source: str = "--metrics",
    posts: list[str] | tuple[str, ...] = (),
    brands: list[str] | tuple[str, ...] = (),
    crisis: bool = False,
    scenario: Scenario | None = None,
    attributes: dict[str, list[str]] | None = None,
) -> list[str]:
    """Check requested metric names (all metrics when ``None``); return them in a fixed order.

    Args:
        requested: Metric names, or ``None`` for every metric the scenario has.
        segment_names: The scenario's segments (``metric[segment]`` when there are some).
        source: Where the names came from, for messages.
        posts: Post names of a content calendar (``metric[post:name]``), if any.
        brands: Brand names when there are competitors (``metric[brand:name]``), if any.
        crisis: Whether the scenario has a crisis (its metrics exist).
        scenario: A scenario to take ``posts``, ``brands`` and ``crisis`` from instead.
        attributes: Attribute -> its values (``metric[age:18-24]``, ``metric[interest:games]``),
            as :meth:`simulation.population.Audience.metric_values` gives them.

    Raises:
        ScenarioError: an unknown metric name, with a did-you-mean.
    """
    if scenario is not None:
        from simulation.scenario.audience import metric_attributes

        posts, brands, crisis = campaign_qualifiers(scenario)
        attributes = metric_attributes(scenario)
    segmented = len(segment_names) > 1 or segment_names != ["everyone"]
    competition = len(brands) > 1
    scopes = {"always", *(["competition"] if competition else []), *(["crisis"] if crisis else [])}
    available = [m.name for m in METRICS.values() if m.scope in scopes]
    if segmented:
        available += [f"{m}[{s}]" for m in SEGMENT_METRICS for s in segment_names]
    for attribute, values in (attributes or {}).items():
        available += [f"{m}[{attribute}:{v}]" for m in SEGMENT_METRICS for v in values]
    available += [f"{m.name}[post:{p}]" for p in posts for m in METRICS.values() if "post" in m.per]
    if competition:
        available += [
            f"{m.name}[brand:{b}]" for b in brands for m in METRICS.values() if "brand" in m.per
        ]
    if requested is None:
        return available
    unknown = [m for m in requested if m not in available]
    if unknown:
        known = ", ".join(n for n in available if "[" not in n)
        if segmented:
            known += " and per-segment metric[segment]"
        if attributes:
            known += ", per-attribute metric[age:18-24] (" + ", ".join(attributes) + ")"
        if posts:
            known += ", per-post metric[post:name]"
        if competition:
            known += ", per-brand metric[brand:name]"
        problems = []
        for m in unknown:
            scope = METRICS[m].scope if m in METRICS else None
            why = {
                "crisis": " (crisis metrics need a [crisis] table)",
                "competition": " (it needs [[competitors]])",
            }.get(scope or "", "")
            hint = "" if why else _did_you_mean(m, available)
            problems.append(
                Problem(f"unknown metric {m!r}{why}{hint}; known: {known}", source=source)
            )
        raise ScenarioError(problems)
    return [m for m in available if m in set(requested)]


def campaign_qualifiers(scenario: Scenario) -> tuple[list[str], list[str], bool]:
    """A scenario's (post names, brand names, crisis) as :func:`resolve_metrics` takes them.

    Post names only with a content calendar (``[[posts]]``), brand names only with competitors.
    """
    posts = [name for name, _, _ in scenario.calendar()] if scenario.posts else []
    brands = scenario.brand_names if scenario.competitors else []
    return posts, brands, scenario.crisis is not None


def needs(metric: str) -> str:
    """The work a metric (plain or qualified) needs."""
    base = metric.split("[", 1)[0]
    if metric in METRICS or ":" in metric:
        return METRICS[base].needs
    return SEGMENT_METRICS[base]


def describe(metric: str) -> str:
    """A metric's meaning, qualified names included (``sharers[post:launch]``)."""
    base, _, qualifier = metric.partition("[")
    if base not in METRICS and base not in SEGMENT_METRICS:
        return ""
    meaning = METRICS[base].meaning if base in METRICS else ""
    if not qualifier:
        return meaning
    qualifier = qualifier.rstrip("]")
    kind, _, name = qualifier.partition(":")
    if kind in ("post", "brand") and name:
        return f"{meaning} ({kind} {name})"
    if kind in ATTRIBUTE_KINDS and name:
        return f"{SEGMENT_MEANING.get(base, meaning)} ({kind} {name})"
    return f"{meaning} (segment {qualifier})"


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
    when = {"crisis": " (with a `[crisis]`)", "competition": " (with `[[competitors]]`)"}
    lines += [
        f"| `{m.name}` | {m.meaning}{when.get(m.scope, '')} | {m.needs} |" for m in METRICS.values()
    ]
    lines += [
        f"| `{name}[segment]` | {name} within one segment (when segments are defined) | {work} |"
        for name, work in SEGMENT_METRICS.items()
    ]
    lines.append(
        "| `metric[attribute:value]` | "
        + ", ".join(f"`{m}`" for m in SEGMENT_METRICS)
        + " among people with one attribute value (when segments describe it): `age:18-24` "
        "(an age band of `[people] age_bands`), `location:Beijing`, `income:high`, "
        "`job:student`, `industry:tech`, `interest:games` | as the metric |"
    )
    per_post = ", ".join(f"`{m.name}`" for m in METRICS.values() if "post" in m.per)
    per_brand = ", ".join(f"`{m.name}`" for m in METRICS.values() if "brand" in m.per)
    lines += [
        f"| `metric[post:name]` | one post of a content calendar (with `[[posts]]`), for "
        f"{per_post} | as the metric |",
        f"| `metric[brand:name]` | one brand (with `[[competitors]]`), for {per_brand} "
        "| as the metric |",
    ]
    return "\n".join(lines)


# --------------------------------------------------------------------------- the kernel's counts


@dataclass(frozen=True)
class Layout:
    """Where each count sits in the kernel's flat tally, and the money around it.

    The tally (see :func:`simulation.kernel.campaign.tally`) holds every counter of every brand
    row, then
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
        attributes: Attribute -> values that metrics break down by (``reach[age:18-24]``).
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
    attributes: dict[str, list[str]] = field(default_factory=dict)

    @property
    def rows(self) -> int:
        """Brand rows in the tally (the crisis has one of its own)."""
        return len(self.brands) + int(self.crisis)

    @property
    def width(self) -> int:
        """Length of the tally."""
        return (self.rows + len(self.posts) + int(self.crisis)) * N_COUNTERS + N_CRISIS_COUNTERS

    def brand_column(self, brand: int, counter: str) -> int:
        """Column of a brand's counter."""
        return brand * N_COUNTERS + COUNTERS.index(counter)

    def post_column(self, post: int, counter: str) -> int:
        """Column of a post's counter (post ``len(posts)`` is the crisis)."""
        return (self.rows + post) * N_COUNTERS + COUNTERS.index(counter)

    def crisis_column(self, counter: str) -> int:
        """Column of one of the crisis's own counts (responses, ...)."""
        return (self.rows + len(self.posts) + 1) * N_COUNTERS + CRISIS_COUNTERS.index(counter)

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
            "attributes": self.attributes,
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
            for name in COUNTERS:
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
        line = {name: counts[:, self.brand_column(b, name)] for name in COUNTERS}
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
    if qualifier and qualifier.split(":", 1)[0] not in ("post", "brand"):
        return False
    return base in METRICS and METRICS[base].timeline


def _ratio(top: np.ndarray, bottom: np.ndarray, empty: float) -> np.ndarray:
    """The ratio top / bottom elementwise, ``empty`` where bottom is 0."""
    top = np.asarray(top, dtype=np.float64)
    bottom = np.asarray(bottom, dtype=np.float64)
    out = np.full(np.broadcast(top, bottom).shape, empty)
    np.divide(top, bottom, out=out, where=bottom != 0)
    return out
