"""The people of a scenario: each person's attributes, drawn once from their segment's description.

A segment says who its people are (``age = [18, 24]`` or shares of age bands; ``location``,
``income``, ``job``, ``industry`` as one label or shares; ``interests`` as a list everyone has
or each one's probability). :func:`draw_population` draws every person's values from numpy
``Generator`` s seeded from the graph's seed (``network.seed``, else ``seed``), one stream per
(segment, attribute), so a scenario names one population as it names one graph, and a person's
values do not depend on any other segment's description.

The kernel never sees attributes: people who are alike in everything it distinguishes (their
segment and every post's appeal multiplier, see :func:`audience`) form one audience group, and
the kernel's class index is the group.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from simulation.errors import ScenarioError
from simulation.scenario.audience import (
    LABEL_ATTRIBUTES,
    age_band_names,
    described_values,
    metric_attributes,
    parse_age_band,
)

__all__ = [
    "MAX_GROUPS",
    "Audience",
    "Population",
    "audience",
    "draw_population",
    "resonance_multipliers",
    "target_mask",
]

# The most audience groups the kernel keeps counters and coin thresholds for.
MAX_GROUPS = 2048
_STREAM = 0xA77


@dataclass
class Population:
    """Every person's segment and attributes (one entry per person, in person order).

    Attributes:
        segment_of: ``int32[n]`` segment index.
        segment_names: Segment names in order.
        age: ``int16[n]`` age in years (-1: the segment describes none).
        age_bands: Where age bands start (``[people] age_bands``).
        labels: Attribute (``location``, ``income``, ``job``, ``industry``) -> (``int32[n]``
            codes, -1 for none; the values, in the order the segments describe them).
        interests: ``bool[n, k]``: whether person i has interest j.
        interest_names: The k interests.
    """

    segment_of: np.ndarray
    segment_names: list[str]
    age: np.ndarray
    age_bands: list[int]
    labels: dict[str, tuple[np.ndarray, list[str]]] = field(default_factory=dict)
    interests: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), bool))
    interest_names: list[str] = field(default_factory=list)

    @property
    def n(self) -> int:
        """Number of people."""
        return len(self.segment_of)

    @property
    def band_names(self) -> list[str]:
        """Names of the age bands (``0-17``, ``18-24``, ..., ``65+``)."""
        return age_band_names(self.age_bands)

    def age_band(self) -> np.ndarray:
        """``int32[n]``: each person's age band index (-1: no age)."""
        band = np.searchsorted(np.asarray(self.age_bands), self.age, side="right")
        if self.age_bands[0] <= 0:
            band = band - 1
        return np.where(self.age >= 0, band, -1).astype(np.int32)

    def frame(self) -> Any:
        """One row per person: ``segment``, ``age``, ``age_band``, the labels and ``interests``.

        Missing values are nulls (pandas ``NA``); ``interests`` holds a list per person.
        """
        import pandas as pd

        def coded(codes: np.ndarray, names: list[str]) -> Any:
            return pd.Categorical.from_codes(codes, categories=names) if names else [None] * self.n

        bands = self.age_band()
        columns: dict[str, Any] = {
            "segment": pd.Categorical.from_codes(self.segment_of, categories=self.segment_names),
            "age": pd.array(np.where(self.age >= 0, self.age, 0), dtype="Int16"),
            "age_band": pd.Categorical.from_codes(bands, categories=self.band_names),
        }
        columns["age"][self.age < 0] = pd.NA
        for name in LABEL_ATTRIBUTES:
            codes, names = self.labels[name]
            columns[name] = coded(codes, names)
        names = np.array(self.interest_names, dtype=object)
        columns["interests"] = [list(names[row]) for row in self.interests]
        return pd.DataFrame(columns)


def _rng(seed: int, segment: int, attribute: int) -> np.random.Generator:
    return np.random.default_rng([seed, _STREAM, segment, attribute])


def draw_population(scenario: Any, segment_of: np.ndarray, seed: int) -> Population:
    """Draw every person's attributes from their segment's description.

    Args:
        scenario: The validated scenario (its ``segments`` and ``[people]``).
        segment_of: Each person's segment index.
        seed: The graph's seed.
    """
    segment_of = np.asarray(segment_of, np.int32)
    n = len(segment_of)
    segments = scenario.segments
    known = described_values(segments)
    age = np.full(n, -1, np.int16)
    labels = {name: np.full(n, -1, np.int32) for name in LABEL_ATTRIBUTES}
    interests = np.zeros((n, len(known["interests"])), bool)
    for s, segment in enumerate(segments):
        members = np.flatnonzero(segment_of == s)
        m = len(members)
        if m == 0:
            continue
        if segment.age is not None:
            age[members] = _draw_ages(segment.age, m, _rng(seed, s, 0))
        for a, name in enumerate(LABEL_ATTRIBUTES, start=1):
            spec = getattr(segment, name)
            if spec is None:
                continue
            values = known[name]
            if isinstance(spec, str):
                labels[name][members] = values.index(spec)
            else:
                codes = np.array([values.index(v) for v in spec], np.int32)
                p = np.array(list(spec.values()))
                labels[name][members] = codes[_rng(seed, s, a).choice(len(p), m, p=p / p.sum())]
        spec = segment.interests
        if isinstance(spec, list):
            for value in spec:
                interests[members, known["interests"].index(value)] = True
        else:
            draws = _rng(seed, s, 5).random((m, len(spec)))
            for j, (value, p) in enumerate(spec.items()):
                interests[members, known["interests"].index(value)] = draws[:, j] < p
    return Population(
        segment_of=segment_of,
        segment_names=list(scenario.segment_names),
        age=age,
        age_bands=list(scenario.people.age_bands),
        labels={name: (labels[name], known[name]) for name in LABEL_ATTRIBUTES},
        interests=interests,
        interest_names=known["interests"],
    )


def _draw_ages(spec: Any, m: int, rng: np.random.Generator) -> np.ndarray:
    """Ages uniform over a range ``[low, high]``, or over a band drawn by its share."""
    if isinstance(spec, list):
        return rng.integers(spec[0], spec[1] + 1, m)
    bands = [parse_age_band(band) for band in spec]
    p = np.array(list(spec.values()))
    chosen = rng.choice(len(bands), m, p=p / p.sum())
    low = np.array([lo for lo, _ in bands])[chosen]
    high = np.array([hi for _, hi in bands])[chosen]
    return low + np.floor(rng.random(m) * (high - low + 1)).astype(np.int64)


def resonance_multipliers(population: Population, resonance: Any) -> np.ndarray:
    """``float64[n]``: each person's appeal multiplier under a ``resonance`` table (or None)."""
    out = np.ones(population.n)
    if resonance is None:
        return out

    def apply(codes: np.ndarray, names: list[str], table: dict[str, float]) -> None:
        if not table:
            return
        lookup = np.ones(len(names) + 1)  # code -1 (no value) reads the last entry: 1
        for value, multiplier in table.items():
            if value in names:
                lookup[names.index(value)] = multiplier
        out[:] *= lookup[codes]

    apply(population.segment_of, population.segment_names, resonance.segments)
    apply(population.age_band(), population.band_names, resonance.age)
    for name in LABEL_ATTRIBUTES:
        apply(*population.labels[name], getattr(resonance, name))
    for value, multiplier in resonance.interests.items():
        if value in population.interest_names:
            has = population.interests[:, population.interest_names.index(value)]
            out[has] *= multiplier
    return out


def target_mask(population: Population, target: Any) -> np.ndarray:
    """``bool[n]``: who a ``target`` table aims at (every key given must match)."""
    match = np.ones(population.n, bool)
    if target is None:
        return match
    if target.age is not None:
        match &= (population.age >= target.age[0]) & (population.age <= target.age[1])
    for name in LABEL_ATTRIBUTES:
        wanted = getattr(target, name)
        if wanted:
            codes, names = population.labels[name]
            allowed = np.zeros(len(names) + 1, bool)
            allowed[[names.index(v) for v in wanted if v in names]] = True
            match &= allowed[codes]
    if target.interests:
        columns = [population.interest_names.index(v) for v in target.interests]
        match &= population.interests[:, columns].any(axis=1)
    return match


@dataclass
class Audience:
    """The audience groups the kernel counts by, and each post's appeal multiplier per group.

    Attributes:
        group_of: ``int32[n]``: each person's group (the kernel's ``Graph.segment_of``).
        segment: ``int64[groups]``: each group's segment.
        affinity: ``float64[posts, groups]``: segment affinity x the post's resonance.
        attributes: Attribute (``age``, ``location``, ``income``, ``job``, ``industry``,
            ``interest``) -> value -> ``bool[groups]``: the groups whose people have it (the
            attributes metrics break down by; those that did not fit are left out).
        warnings: Attributes left out of the metrics (too many groups).
    """

    group_of: np.ndarray
    segment: np.ndarray
    affinity: np.ndarray
    attributes: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def members(self, attribute: str, value: str) -> np.ndarray:
        """``bool[groups]``: the groups of people with this value (``segment``: a segment name)."""
        return self.attributes[attribute][value]

    def metric_values(self) -> dict[str, list[str]]:
        """Attribute -> its values, for metric names such as ``reach[age:18-24]``."""
        return {name: list(values) for name, values in self.attributes.items()}

    @property
    def groups(self) -> int:
        """Number of groups."""
        return len(self.segment)


def audience(
    scenario: Any,
    population: Population,
    resonances: list[tuple[str, Any]],
) -> Audience:
    """Group people alike in segment and every post's appeal multiplier (:data:`MAX_GROUPS`).

    Without any resonance the groups are the segments themselves (group index = segment index).

    Args:
        scenario: The scenario (segment affinities).
        population: Its people.
        resonances: Per kernel post, (the key of its resonance table, the table or ``None``).

    Raises:
        ScenarioError: more than :data:`MAX_GROUPS` groups, naming the resonance keys.
    """
    affinity = np.array([s.affinity for s in scenario.segments] or [1.0], np.float64)
    segment_of = population.segment_of
    active = [(key, r) for key, r in resonances if r is not None and not r.is_neutral()]
    if not active:
        group_of = segment_of.astype(np.int64)
        per_post = np.ones((population.n, len(resonances)))
    else:
        per_post = np.stack([resonance_multipliers(population, r) for _, r in resonances], axis=1)
        rows = np.column_stack([segment_of.astype(np.int64), per_post.view(np.int64)])
        group_of = np.unique(rows, axis=0, return_inverse=True)[1].reshape(-1)
    if group_of.max(initial=0) + 1 > MAX_GROUPS:
        keys = ", ".join(dict.fromkeys(key for key, _ in active))
        raise ScenarioError.single(
            f"people fall into {group_of.max() + 1:,} audience groups (segment x every post's "
            "appeal "
            f"multiplier); at most {MAX_GROUPS:,} are allowed: use fewer distinct multipliers "
            f"in {keys}",
            key=active[0][0],
            source=scenario.source,
        )
    group_of, first, kept, warnings = _split_by_attributes(population, group_of)
    segment = segment_of[first].astype(np.int64)
    described = metric_attributes(scenario)
    attributes: dict[str, dict[str, np.ndarray]] = {}
    for name, codes, names in kept:
        if name.startswith("interest:"):
            attributes.setdefault("interest", {})[names[1]] = codes[first] == 1
            continue
        attributes[name] = {
            value: codes[first] == names.index(value) for value in described.get(name, [])
        }
    return Audience(
        group_of.astype(np.int32),
        segment,
        (affinity[segment][:, None] * per_post[first]).T.copy(),
        attributes,
        warnings,
    )


def _split_by_attributes(
    population: Population, group_of: np.ndarray
) -> tuple[np.ndarray, np.ndarray, list[tuple[str, np.ndarray, list[str]]], list[str]]:
    """Split groups further by each attribute that metrics break down by, while they fit.

    Attributes are tried in order (age band, location, income, job, industry, then each
    interest); one that would make more than :data:`MAX_GROUPS` groups is left out (its
    metrics then do not exist), with a warning. Returns the groups, each one's first person,
    the attributes kept as (metric name, codes per person, value names), and the warnings.
    """
    dims = [("age", population.age_band(), population.band_names)]
    dims += [(name, *population.labels[name]) for name in LABEL_ATTRIBUTES]
    for j, interest in enumerate(population.interest_names):
        has = population.interests[:, j].astype(np.int32)
        dims.append((f"interest:{interest}", has, ["", interest]))
    group_of = np.unique(group_of, return_inverse=True)[1].reshape(-1).astype(np.int64)
    kept, left_out = [], []
    for name, codes, names in dims:
        if not (codes >= 0).any() or not names:
            continue
        split = np.unique(group_of * (len(names) + 1) + codes + 1, return_inverse=True)[1]
        if split.max(initial=0) + 1 > MAX_GROUPS:
            left_out.append(name)
            continue
        group_of = split.reshape(-1)
        kept.append((name, codes, names))
    _, first = np.unique(group_of, return_index=True)
    warnings = []
    if left_out:
        warnings.append(
            "metrics by " + ", ".join(left_out) + " left out: with them people would fall into "
            f"more than {MAX_GROUPS:,} audience groups"
        )
    return group_of, first, kept, warnings
