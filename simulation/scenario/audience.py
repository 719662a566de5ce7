"""The audience's keys: who people in a segment are, whom content speaks to, whom seeds reach.

A segment describes its people's attributes (age, location, income, job, industry, interests)
as one value for everyone or as a table of shares; :mod:`simulation.population` draws each
person's values from it. Content says whom it resonates with (:class:`Resonance`: appeal
multipliers by attribute value), and seeding and ads can aim at people by attribute
(:class:`Target`), as ad platforms do.
"""

from __future__ import annotations

import itertools
import re
from typing import Annotated, Any

from pydantic import AfterValidator, Field, model_validator

from simulation.validation import Table
from simulation.validation import did_you_mean as _did_you_mean

__all__ = [
    "AGE_BANDS",
    "LABEL_ATTRIBUTES",
    "AgeSpec",
    "InterestSpec",
    "LabelSpec",
    "Resonance",
    "Target",
    "age_band_names",
    "audience_problems",
    "described_values",
    "metric_attributes",
    "parse_age_band",
]

# Default age bands (the lower edges of the bands after the first), as ad platforms report them.
AGE_BANDS = (18, 25, 35, 45, 55, 65)
# Attributes given as a label or a table of label shares.
LABEL_ATTRIBUTES = ("location", "income", "job", "industry")
_BAND = re.compile(r"^(\d{1,3})-(\d{1,3})$")


def _plain(name: str) -> str:
    if "[" in name or "]" in name or ":" in name or "," in name:
        raise ValueError(f"{name!r}: a value cannot contain '[', ']', ':' or ',' (metric names)")
    return name


def _adds_up(shares: dict[str, float]) -> dict[str, float]:
    total = sum(shares.values())
    if abs(total - 1.0) > 1e-6:
        raise ValueError(f"shares add up to {total:g}, not 1")
    return shares


def parse_age_band(text: str) -> tuple[int, int]:
    """``"18-24"`` -> ``(18, 24)`` (inclusive ages).

    Raises:
        ValueError: not two ages, low to high, written ``low-high``.
    """
    match = _BAND.match(text)
    if not match or int(match.group(1)) > int(match.group(2)) or int(match.group(2)) > 130:
        raise ValueError(f"{text!r} is not an age band: write 'low-high', e.g. '18-24'")
    return int(match.group(1)), int(match.group(2))


def _age_bands(shares: dict[str, float]) -> dict[str, float]:
    for band in shares:
        parse_age_band(band)
    return _adds_up(shares)


Label = Annotated[str, Field(min_length=1, max_length=80), AfterValidator(_plain)]
Share = Annotated[float, Field(gt=0.0, le=1.0)]
Probability = Annotated[float, Field(ge=0.0, le=1.0)]
Multiplier = Annotated[float, Field(ge=0.0, le=1000.0)]

LabelSpec = Label | Annotated[dict[Label, Share], Field(min_length=1), AfterValidator(_adds_up)]
AgeSpec = (
    Annotated[list[int], Field(min_length=2, max_length=2)]
    | Annotated[dict[str, Share], Field(min_length=1), AfterValidator(_age_bands)]
)
InterestSpec = list[Label] | dict[Label, Probability]


def age_band_names(edges: tuple[int, ...] | list[int]) -> list[str]:
    """Names of the bands the edges cut ages into: ``0-17``, ``18-24``, ..., ``65+``."""
    names = [f"0-{edges[0] - 1}"] if edges and edges[0] > 0 else []
    names += [f"{lo}-{hi - 1}" for lo, hi in itertools.pairwise(edges)]
    return [*names, f"{edges[-1]}+"] if edges else ["0+"]


class Resonance(Table):
    """Whom content resonates with: appeal multipliers by who a person is (1 for the rest).

    A person's appeal is the content's appeal x their segment's affinity x every multiplier
    here that matches them (their segment, age band, location, income, job, industry, and each
    of their interests); the product is capped so that P(engage) stays at most 1.
    """

    segments: dict[str, Multiplier] = Field(
        default_factory=dict, description="Multiplier by segment name, e.g. {gamers = 2.0}."
    )
    age: dict[str, Multiplier] = Field(
        default_factory=dict,
        description='Multiplier by age band (`[people] age_bands`), e.g. {"18-24" = 1.5}.',
    )
    location: dict[str, Multiplier] = Field(
        default_factory=dict, description="Multiplier by location, e.g. {Beijing = 1.3}."
    )
    income: dict[str, Multiplier] = Field(
        default_factory=dict, description="Multiplier by income band."
    )
    job: dict[str, Multiplier] = Field(default_factory=dict, description="Multiplier by job.")
    industry: dict[str, Multiplier] = Field(
        default_factory=dict, description="Multiplier by industry."
    )
    interests: dict[str, Multiplier] = Field(
        default_factory=dict,
        description="Multiplier per interest a person has (several multiply), e.g. {games = 2}.",
    )

    def is_neutral(self) -> bool:
        """Whether every multiplier is 1 (the content speaks to everyone alike)."""
        return all(
            value == 1.0
            for name in type(self).model_fields
            for value in getattr(self, name).values()
        )


class Target(Table):
    """Whom seeds or ads are aimed at, as ad platforms do: every key given must match.

    Within a key, any listed value matches (locations = ["Beijing", "Shanghai"]); people with no
    value for a key given (no age described) do not match it.
    """

    age: list[int] | None = Field(
        None, min_length=2, max_length=2, description="Age range, e.g. [18, 34] (inclusive)."
    )
    location: list[Label] = Field(default_factory=list, description="Any of these locations.")
    income: list[Label] = Field(default_factory=list, description="Any of these income bands.")
    job: list[Label] = Field(default_factory=list, description="Any of these jobs.")
    industry: list[Label] = Field(default_factory=list, description="Any of these industries.")
    interests: list[Label] = Field(
        default_factory=list, description="People with at least one of these interests."
    )

    @model_validator(mode="after")
    def _age_ordered(self) -> Target:
        if self.age is not None and not 0 <= self.age[0] <= self.age[1] <= 130:
            raise ValueError(f"age range {list(self.age)} must be two ages, low to high")
        return self

    def describe(self) -> str:
        """The target in words, for messages ("age 18-34, location Beijing")."""
        parts = [f"age {self.age[0]}-{self.age[1]}"] if self.age is not None else []
        for name in ("location", "income", "job", "industry", "interests"):
            values = getattr(self, name)
            if values:
                parts.append(f"{name} {' or '.join(values)}")
        return ", ".join(parts) or "everyone"


def described_values(segments: list[Any]) -> dict[str, list[str]]:
    """Every value each attribute can take, as the segments describe them, in order.

    Keys: ``location``, ``income``, ``job``, ``industry``, ``interests``.
    """
    out: dict[str, list[str]] = {name: [] for name in (*LABEL_ATTRIBUTES, "interests")}
    for segment in segments:
        for name in out:
            spec = getattr(segment, name)
            values = [spec] if isinstance(spec, str) else list(spec or [])
            out[name] += [v for v in values if v not in out[name]]
    return out


def metric_attributes(scenario: Any) -> dict[str, list[str]]:
    """Attribute -> the values metrics break down by, from the segments' descriptions alone.

    Age bands of ``[people] age_bands`` that some segment's ages fall in, then every described
    location, income, job, industry and interest (``interest``), where any is described.
    """
    edges = list(scenario.people.age_bands)
    names = age_band_names(edges)
    bands: set[int] = set()
    for segment in scenario.segments:
        spec = segment.age
        if spec is None:
            continue
        ranges = [tuple(spec)] if isinstance(spec, list) else [parse_age_band(b) for b in spec]
        for low, high in ranges:
            first = sum(e <= low for e in edges) - (1 if edges[0] <= 0 else 0)
            last = sum(e <= high for e in edges) - (1 if edges[0] <= 0 else 0)
            bands.update(range(first, last + 1))
    out = {"age": [names[b] for b in sorted(bands)]}
    known = described_values(scenario.segments)
    out.update({name: known[name] for name in LABEL_ATTRIBUTES})
    out["interest"] = known["interests"]
    return {name: values for name, values in out.items() if values}


def audience_problems(scenario: Any) -> list[tuple[tuple[Any, ...], str, Any]]:
    """Resonance and target values that name nothing the segments describe, as problems."""
    known = described_values(scenario.segments)
    known["segments"] = [s.name for s in scenario.segments]
    known["age"] = age_band_names(scenario.people.age_bands)
    problems: list[tuple[tuple[Any, ...], str, Any]] = []

    def check(loc: tuple[Any, ...], name: str, values: list[str]) -> None:
        for value in values:
            if value not in known[name]:
                listed = known[name]
                hint = _did_you_mean(value, listed) or (
                    f"; known: {', '.join(listed)}" if listed else "; no segment describes any"
                )
                problems.append(
                    ((*loc, name), f"{value!r} is not a known {name} value{hint}", value)
                )

    for loc, resonance in resonance_tables(scenario):
        for name in type(resonance).model_fields:
            check(loc, name, list(getattr(resonance, name)))
    for loc, target in target_tables(scenario):
        for name in ("location", "income", "job", "industry", "interests"):
            check(loc, name, getattr(target, name))
    return problems


def resonance_tables(scenario: Any) -> list[tuple[tuple[Any, ...], Resonance]]:
    """Every ``resonance`` table, by key path."""
    found = [(("content", "resonance"), scenario.content.resonance)]
    found += [(("posts", i, "resonance"), p.resonance) for i, p in enumerate(scenario.posts)]
    found += [
        (("competitors", i, "content", "resonance"), c.content.resonance)
        for i, c in enumerate(scenario.competitors)
    ]
    if scenario.crisis is not None:
        found.append((("crisis", "resonance"), scenario.crisis.resonance))
    return [(loc, r) for loc, r in found if r is not None]


def target_tables(scenario: Any) -> list[tuple[tuple[Any, ...], Target]]:
    """Every ``target`` table (of seeding tables and ads), by key path."""
    from simulation.scenario.schema import seeding_tables

    found = [((*loc, "target"), s.target) for loc, s in seeding_tables(scenario)]
    found += [(("ads", i, "target"), ad.target) for i, ad in enumerate(scenario.ads)]
    return [(loc, t) for loc, t in found if t is not None]
