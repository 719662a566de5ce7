"""Network kinds: each kind's table in the scenario file beside the function that builds it.

A network kind is three things in this module: a schema class (the keys of its ``[network]``
table, a pydantic model whose ``kind`` literal names it), a builder (the ties it makes, given the
table and a :class:`BuildContext`), and one line in :data:`KINDS`. The scenario schema's
``network`` union and its list of known kinds are derived from :data:`KINDS`, and
:func:`simulation.network.build_graph` dispatches through it.

Builders return :class:`Ties`: people ``0 .. n - 1`` and each tie once. Random graphs are drawn
by the compiled generators of :mod:`simulation.generators` from ``numpy.random.default_rng(seed)``
(imported when a graph is built, so reading a scenario never loads numba), so a scenario names
one graph.
"""

from __future__ import annotations

import math
import typing
from array import array
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal

import numpy as np
from pydantic import Field, ValidationInfo, field_validator, model_validator

from simulation.errors import ScenarioError
from simulation.inputs import decode_text, memory_limit, read_user_file
from simulation.validation import Table, literal_of

__all__ = [
    "KINDS",
    "BuildContext",
    "NetworkKind",
    "NetworkTable",
    "Ties",
    "for_audience",
    "random_segments",
    "read_edge_list",
    "segment_sizes",
]

# Largest edge-list file read (the parser holds every tie in Python objects while reading).
MAX_EDGE_LIST_BYTES = 2 * 1024**3
# Generated graphs cost about 50 bytes of memory per tie while being built: 5 GB at this cap.
MAX_TIES = 100_000_000

# The classic networks of networkx, by kind name -> networkx function name.
CLASSICS = {
    "karate": "karate_club_graph",
    "les_miserables": "les_miserables_graph",
    "florentine_families": "florentine_families_graph",
    "davis_southern_women": "davis_southern_women_graph",
}
ClassicName = literal_of(CLASSICS)


@dataclass
class Ties:
    """What a builder makes: people ``0 .. n - 1`` and their ties, each listed once.

    Attributes:
        n: Number of people.
        src, dst: ``int32`` tie end points (for a directed network, ``src`` -> ``dst``: ``dst``
            follows ``src``).
        labels: People's labels (``None``: person ``i`` is ``str(i)``).
        weights: ``float64`` tie weights aligned with ``src`` (``None``: all 1).
        directed: Whether ties are one-way.
        segment_of: Each person's segment (``None``: assigned at random in exact shares).
        warnings: Things worth telling the user.
    """

    n: int
    src: np.ndarray
    dst: np.ndarray
    labels: np.ndarray | None = None
    weights: np.ndarray | None = None
    directed: bool = False
    segment_of: np.ndarray | None = None
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class BuildContext:
    """What a builder may need besides its table.

    Attributes:
        seed: The graph's seed (``network.seed``, else the scenario's ``seed``).
        shares: The segments' shares of the population (``[1.0]`` without segments).
        base_dir: Folder that relative paths (``network.path``) are resolved from.
        source: The scenario file, for messages.
        people: Draws everyone's attributes given their segments (for kinds that tie people
            by who they are; ``None`` when there is no scenario).
    """

    seed: int
    shares: list[float]
    base_dir: str = "."
    source: str = "<scenario>"
    people: Callable[[np.ndarray], Any] | None = None


# --------------------------------------------------------------------------- the tables


class NetworkTable(Table):
    """The keys every ``[network]`` table has; each kind's class adds its ``kind`` and its own."""

    # Whether ``wom validate`` builds it (quick, without the compiled generators) to check seeds.
    validate_by_building: ClassVar[bool] = False

    seed: int | None = Field(
        None, ge=0, description="Seed of the generated graph; defaults to the scenario's `seed`."
    )

    @classmethod
    def kind_names(cls) -> tuple[str, ...]:
        """The names of the kind(s) this table describes (its ``kind`` literal)."""
        return typing.get_args(cls.model_fields["kind"].annotation)

    def people(self) -> int | None:
        """Number of people, when known before building (``None`` for an edge list)."""
        return getattr(self, "n", None)

    def expected_ties(self) -> tuple[float, str]:
        """The expected number of ties, and the keys that set it (for limits and messages)."""
        n = self.people() or 0
        return max(n - 1, 0), "n - 1"

    def followers(self) -> np.ndarray | None:
        """Each person's followers when known without building the ties (else ``None``)."""
        return None

    def segments(self, shares: list[float]) -> np.ndarray | None:
        """Each person's segment when the kind decides it (else ``None``: drawn at random)."""
        return None


class ErdosRenyi(NetworkTable):
    """G(n, p) random graph with p = mean_degree / (n - 1)."""

    kind: Literal["erdos_renyi"]
    n: int = Field(ge=1, le=50_000_000, description="Number of people.")
    mean_degree: float = Field(ge=0.0, description="Expected number of contacts per person.")

    @model_validator(mode="after")
    def _degree_below_n(self) -> ErdosRenyi:
        if self.n > 1 and self.mean_degree > self.n - 1:
            raise ValueError(f"mean_degree {self.mean_degree} exceeds n - 1 = {self.n - 1}")
        return self

    def expected_ties(self) -> tuple[float, str]:
        """The expected number of ties, and the keys that set it."""
        return self.n * self.mean_degree / 2, "n x mean_degree / 2"


class BarabasiAlbert(NetworkTable):
    """Preferential attachment (Barabasi & Albert 1999): each newcomer links to m people."""

    kind: Literal["barabasi_albert"]
    n: int = Field(ge=2, le=50_000_000, description="Number of people.")
    m: int = Field(ge=1, description="Ties each newcomer makes.")

    @model_validator(mode="after")
    def _m_below_n(self) -> BarabasiAlbert:
        if self.m >= self.n:
            raise ValueError(f"m = {self.m} must be smaller than n = {self.n}")
        return self

    def expected_ties(self) -> tuple[float, str]:
        """The expected number of ties, and the keys that set it."""
        return self.m * (self.n - self.m), "m x (n - m)"


class WattsStrogatz(NetworkTable):
    """Small world (Watts & Strogatz 1998): a ring lattice with rewired ties."""

    kind: Literal["watts_strogatz"]
    n: int = Field(ge=3, le=50_000_000, description="Number of people.")
    k: int = Field(ge=2, description="Each person is tied to the k nearest in the ring (even).")
    rewire: float = Field(ge=0.0, le=1.0, description="Probability a tie is rewired at random.")

    @model_validator(mode="after")
    def _k_below_n(self) -> WattsStrogatz:
        if self.k >= self.n:
            raise ValueError(f"k = {self.k} must be smaller than n = {self.n}")
        if self.k % 2:
            raise ValueError(
                f"k = {self.k} must be even: each person is tied to k / 2 neighbours on either "
                "side of the ring"
            )
        return self

    def expected_ties(self) -> tuple[float, str]:
        """The expected number of ties, and the keys that set it."""
        return self.n * (self.k // 2), "n x k / 2"


class PowerlawCluster(NetworkTable):
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

    def expected_ties(self) -> tuple[float, str]:
        """The expected number of ties, and the keys that set it."""
        return self.m * (self.n - self.m), "m x (n - m)"


class StochasticBlock(NetworkTable):
    """Segments as blocks: a share ``homophily`` of each person's ties stay in their segment."""

    kind: Literal["stochastic_block"]
    n: int = Field(ge=2, le=50_000_000, description="Number of people.")
    mean_degree: float = Field(ge=0.0, description="Expected number of contacts per person.")
    homophily: float = Field(
        0.8, ge=0.0, le=1.0, description="Expected share of a person's ties within their segment."
    )

    def expected_ties(self) -> tuple[float, str]:
        """The expected number of ties, and the keys that set it."""
        return self.n * self.mean_degree / 2, "n x mean_degree / 2"

    def segments(self, shares: list[float]) -> np.ndarray:
        """The segments as blocks of consecutive people, in exact shares."""
        sizes = segment_sizes(self.n, shares)
        return np.repeat(np.arange(len(sizes)), sizes)


class AttributeHomophily(NetworkTable):
    """People tie mostly to people like them: same location, close in age, a shared interest."""

    kind: Literal["homophily"]
    n: int = Field(ge=2, le=50_000_000, description="Number of people.")
    mean_degree: float = Field(ge=0.0, description="Expected number of contacts per person.")
    homophily: float = Field(
        0.8,
        ge=0.0,
        le=1.0,
        description="Share of ties made to someone alike (in one attribute of `similar_by`, "
        "drawn per tie); the rest go to anyone.",
    )
    similar_by: list[Literal["location", "age", "interests"]] = Field(
        default=["location", "age", "interests"],
        min_length=1,
        description="What makes people alike: the same `location`, an `age` within "
        "`age_window` years, a shared interest (`interests`).",
    )
    age_window: int = Field(
        3, ge=0, le=130, description="`age`: most years between two people alike in age."
    )

    def expected_ties(self) -> tuple[float, str]:
        """The expected number of ties, and the keys that set it."""
        return self.n * self.mean_degree / 2, "n x mean_degree / 2"


class Complete(NetworkTable):
    """Everyone knows everyone."""

    kind: Literal["complete"]
    n: int = Field(ge=1, le=20_000, description="Number of people.")

    def expected_ties(self) -> tuple[float, str]:
        """The expected number of ties, and the keys that set it."""
        return self.n * (self.n - 1) / 2, "n x (n - 1) / 2"

    def followers(self) -> np.ndarray:
        """Everyone follows everyone else."""
        return np.full(self.n, self.n - 1, np.int64)


class PathGraph(NetworkTable):
    """People 0..n-1 in a line."""

    kind: Literal["path"]
    n: int = Field(ge=1, le=50_000_000, description="Number of people.")

    def followers(self) -> np.ndarray:
        """Two neighbours each, one at the ends."""
        followers = np.full(self.n, 2, np.int64)
        followers[[0, -1]] = 1 if self.n > 1 else 0
        return followers


class Star(NetworkTable):
    """Node 0 is the hub, tied to everyone else."""

    kind: Literal["star"]
    n: int = Field(ge=1, le=50_000_000, description="Number of people, hub included.")

    def followers(self) -> np.ndarray:
        """The hub is followed by everyone; each other person by the hub."""
        followers = np.ones(self.n, np.int64)
        followers[0] = self.n - 1
        return followers


class Classic(NetworkTable):
    """A small classic social network from networkx."""

    validate_by_building: ClassVar[bool] = True

    kind: ClassicName

    def expected_ties(self) -> tuple[float, str]:
        """A few hundred ties at most (the largest classic has 254)."""
        return 254.0, "kind"


Audience = Literal["followers", "mutual"]
AUDIENCE_HELP = (
    "Who sees a person's shares: `followers` (everyone who follows them) or `mutual` (only "
    "people they follow back, as in closed circles: a tie that is not reciprocated carries no "
    "share)."
)


class PublicFollowers(NetworkTable):
    """A public follower graph (resembles a microblog such as Weibo or Twitter/X): one-way follows.

    People join one at a time and follow ``follows`` earlier accounts, chosen mostly by how many
    followers they have (``attachment``), the rest at random; a followed account follows back
    with probability ``reciprocity``. A share reaches the sharer's followers only. The defaults
    give about 13 followers on average, a few accounts with thousands (a power-law tail of
    exponent about 2.3, as measured for Twitter's followers by Kwak et al. 2010), and 20% of
    connected pairs following each other (Kwak et al. found 22%). Not modelled: a feed
    algorithm, retweets reaching non-followers (search, trends), celebrities following back
    less than others, accounts that follow more people over time.
    """

    kind: Literal["public_followers"]
    n: int = Field(ge=2, le=50_000_000, description="Number of people (accounts).")
    follows: int = Field(
        11, ge=1, validate_default=True, description="Accounts each newcomer follows."
    )
    attachment: float = Field(
        0.9,
        ge=0.0,
        le=1.0,
        description=(
            "Share of follows chosen by follower count (the rest uniformly at random): the "
            "followers' tail exponent is about 1 + (1 + reciprocity) / attachment."
        ),
    )
    reciprocity: float = Field(
        0.2, ge=0.0, le=1.0, description="Probability that a followed account follows back."
    )
    audience: Audience = Field("followers", description=AUDIENCE_HELP)

    @field_validator("follows")
    @classmethod
    def _follows_below_n(cls, follows: int, info: ValidationInfo) -> int:
        n = info.data.get("n")
        if n is not None and follows >= n:
            raise ValueError(
                f"follows = {follows} must be smaller than n = {n} (a newcomer follows people "
                "who joined before)"
            )
        return follows

    def expected_ties(self) -> tuple[float, str]:
        """The expected number of follows, and the keys that set it."""
        return self.n * self.follows * (1 + self.reciprocity), "n x follows x (1 + reciprocity)"


class ClosedCircles(NetworkTable):
    """Closed circles (resembles a messenger's friend circles such as WeChat Moments): mutual ties.

    Everyone belongs to ``circles`` small overlapping circles (family, friends, colleagues) of
    about ``circle_size`` people; two members of a circle know each other with probability
    ``density``, and each person has ``bridges`` acquaintances outside their circles on average.
    Ties are mutual (friends both ways), so a share is seen by friends only. The defaults give
    about 13 contacts and a clustering of 0.38 (a random graph of the same degree: 0.0013 at
    10,000 people). Not modelled: group chats (one share reaching a whole circle at once),
    official accounts, forwarding to strangers, friends' comments visible only to shared friends.
    """

    kind: Literal["closed_circles"]
    n: int = Field(ge=2, le=50_000_000, description="Number of people.")
    circles: int = Field(
        2, ge=1, le=100, validate_default=True, description="Circles each person belongs to."
    )
    circle_size: float = Field(
        7.0,
        ge=2.0,
        validate_default=True,
        description="Mean number of people in a circle (at least 2; 2 + Poisson).",
    )
    density: float = Field(
        0.9, ge=0.0, le=1.0, description="Probability that two members of a circle are tied."
    )
    bridges: float = Field(
        1.0,
        ge=0.0,
        validate_default=True,
        description="Expected ties per person to people outside their circles.",
    )

    @field_validator("circles")
    @classmethod
    def _memberships_fit(cls, circles: int, info: ValidationInfo) -> int:
        n = info.data.get("n")
        if n is not None and n * circles > MAX_TIES:  # each membership is held while cutting
            raise ValueError(
                f"n x circles = {n * circles:,} memberships; at most {MAX_TIES:,} can be built"
            )
        return circles

    @field_validator("circle_size")
    @classmethod
    def _circle_size_within_n(cls, circle_size: float, info: ValidationInfo) -> float:
        n = info.data.get("n")
        if n is not None and circle_size > n:
            raise ValueError(f"circle_size = {circle_size:g} exceeds n = {n}")
        return circle_size

    @field_validator("bridges")
    @classmethod
    def _bridges_below_n(cls, bridges: float, info: ValidationInfo) -> float:
        n = info.data.get("n")
        if n is not None and bridges > n - 1:
            raise ValueError(f"bridges = {bridges:g} exceeds n - 1 = {n - 1}")
        return bridges

    def expected_ties(self) -> tuple[float, str]:
        """An upper bound on the expected ties, and the keys that set it."""
        lam = self.circle_size - 2.0
        size_biased = (lam + self.circle_size**2) / self.circle_size  # a member's circle
        inside = self.n * self.circles * (size_biased - 1) * self.density / 2
        return inside + self.n * self.bridges / 2, "n, circles, circle_size, density, bridges"


class EdgeList(NetworkTable):
    """A network read from a file: one tie per line, ``u v [weight]``."""

    validate_by_building: ClassVar[bool] = True

    kind: Literal["edge_list"]
    path: str = Field(min_length=1, description="Edge-list file, relative to the scenario file.")
    directed: bool = Field(
        False, description="If true, a line `u v` means v follows u (u's shares reach v)."
    )
    audience: Audience = Field(
        "followers", description=AUDIENCE_HELP + " Matters only when `directed` is true."
    )

    def expected_ties(self) -> tuple[float, str]:
        """Unknown until the file is read (its size is checked then)."""
        return 0.0, "path"


# --------------------------------------------------------------------------- the builders


def _generated(spec: Any) -> Any:
    """The compiled generators, and a refusal of more ties than can be built."""
    check_ties(spec)
    from simulation import generators  # numba: loaded only when a graph is built

    return generators


def check_ties(spec: Any, source: str | None = None) -> None:
    """Refuse a generated graph with more ties than can be built in memory.

    Raises:
        ScenarioError: naming the keys that set the number of ties.
    """
    ties, keys = spec.expected_ties()
    if ties > MAX_TIES:
        raise ScenarioError.single(
            f"asks for about {ties:,.0f} ties ({keys}); at most {MAX_TIES:,} can be built",
            key="network",
            source=source,
        )


def erdos_renyi(spec: ErdosRenyi, context: BuildContext) -> Ties:
    """G(n, p) with p = mean_degree / (n - 1) (as networkx's ``fast_gnp_random_graph``)."""
    generators = _generated(spec)
    p = spec.mean_degree / (spec.n - 1) if spec.n > 1 else 0.0
    return Ties(spec.n, *generators.erdos_renyi(spec.n, p, np.random.default_rng(context.seed)))


def barabasi_albert(spec: BarabasiAlbert, context: BuildContext) -> Ties:
    """Preferential attachment (as networkx's ``barabasi_albert_graph``)."""
    generators = _generated(spec)
    rng = np.random.default_rng(context.seed)
    return Ties(spec.n, *generators.barabasi_albert(spec.n, spec.m, rng))


def watts_strogatz(spec: WattsStrogatz, context: BuildContext) -> Ties:
    """Rewired ring lattice (as networkx's ``watts_strogatz_graph``)."""
    generators = _generated(spec)
    rng = np.random.default_rng(context.seed)
    return Ties(spec.n, *generators.watts_strogatz(spec.n, spec.k, spec.rewire, rng))


def powerlaw_cluster(spec: PowerlawCluster, context: BuildContext) -> Ties:
    """Holme-Kim growth (as networkx's ``powerlaw_cluster_graph``)."""
    generators = _generated(spec)
    rng = np.random.default_rng(context.seed)
    return Ties(spec.n, *generators.powerlaw_cluster(spec.n, spec.m, spec.triangle_p, rng))


def stochastic_block(spec: StochasticBlock, context: BuildContext) -> Ties:
    """Segments as blocks, in exact shares; a share ``homophily`` of the ties inside them."""
    generators = _generated(spec)
    sizes = segment_sizes(spec.n, context.shares)
    n = int(sizes.sum())
    k = len(sizes)
    probs = np.zeros((k, k))
    between_pairs = float(np.sum(sizes * (n - sizes)))  # ordered pairs across blocks
    p_out = (1 - spec.homophily) * spec.mean_degree * n / between_pairs if between_pairs else 0.0
    for i in range(k):
        probs[i, i] = (
            spec.homophily * spec.mean_degree / max(sizes[i] - 1, 1)
            if k > 1
            else (spec.mean_degree / max(n - 1, 1))
        )
        for j in range(k):
            if i != j:
                probs[i, j] = p_out
    warnings = []
    if probs.max() > 1.0:
        warnings.append(
            "stochastic_block: mean_degree and homophily ask for more ties than a segment holds; "
            "tie probabilities were capped at 1"
        )
        probs = np.minimum(probs, 1.0)
    src, dst = generators.stochastic_block(sizes, probs, np.random.default_rng(context.seed))
    return Ties(spec.n, src, dst, segment_of=spec.segments(context.shares), warnings=warnings)


def public_followers(spec: PublicFollowers, context: BuildContext) -> Ties:
    """A grown follower graph (see :func:`simulation.generators.public_followers`)."""
    generators = _generated(spec)
    rng = np.random.default_rng(context.seed)
    src, dst = generators.public_followers(
        spec.n, spec.follows, spec.attachment, spec.reciprocity, rng
    )
    return for_audience(Ties(spec.n, src, dst, directed=True), spec.audience)


def closed_circles(spec: ClosedCircles, context: BuildContext) -> Ties:
    """Overlapping circles of mutual ties (see :func:`simulation.generators.closed_circles`)."""
    generators = _generated(spec)
    rng = np.random.default_rng(context.seed)
    ties = generators.closed_circles(
        spec.n, spec.circles, spec.circle_size, spec.density, spec.bridges, rng
    )
    return Ties(spec.n, *ties)


def for_audience(ties: Ties, audience: str) -> Ties:
    """The ties that carry shares to ``audience``: all of them, or the reciprocated ones.

    With ``audience = "mutual"`` a directed network keeps only the pairs who follow each other,
    as undirected ties (each once, with the weight of the arc listed first), so a share never
    travels along an arc that is not followed back. Undirected ties are mutual already.
    """
    if audience != "mutual" or not ties.directed:
        return ties
    n = np.int64(ties.n)
    src = ties.src.astype(np.int64)
    dst = ties.dst.astype(np.int64)
    arcs = src * n + dst
    reverse = dst * n + src
    # Arcs are distinct, so each reverse is found at most once; the searches go in sorted
    # order (fast: each starts where the last ended).
    order = np.argsort(arcs)
    sorted_arcs = arcs[order]
    queries = np.argsort(reverse)
    where = np.searchsorted(sorted_arcs, reverse[queries])
    where = np.minimum(where, len(arcs) - 1)
    partner = np.empty_like(order)
    partner[queries] = order[where]
    keep = (arcs[partner] == reverse) & (src < dst)  # each mutual pair once
    first = np.minimum(np.flatnonzero(keep), partner[keep])  # its arc listed first
    low, high = src[keep], dst[keep]
    return Ties(
        ties.n,
        low.astype(np.int32),
        high.astype(np.int32),
        labels=ties.labels,
        weights=None if ties.weights is None else ties.weights[first],
        directed=False,
        segment_of=ties.segment_of,
        warnings=ties.warnings,
    )


def attribute_homophily(spec: AttributeHomophily, context: BuildContext) -> Ties:
    """Ties by who people are: each tie's end is, with P(homophily), someone alike.

    n x mean_degree / 2 ties are drawn, each from a uniformly drawn person u. With probability
    ``homophily`` the other end is drawn uniformly among the people alike to u in one attribute
    of ``similar_by`` (drawn per tie): the same location, an age within ``age_window`` years, or
    an interest of u's (one of theirs drawn); else (or when u has no value for it) among
    everyone. Self-ties and repeated ties are dropped. Vectorised numpy, seeded from the graph's
    seed. Segments are drawn first (at random, in exact shares), then everyone's attributes.

    References:
        McPherson, M., Smith-Lovin, L. and Cook, J. M. (2001). Birds of a feather: homophily in
        social networks. Annual Review of Sociology 27, 415-444.
    """
    check_ties(spec)
    n = spec.n
    segment_of = random_segments(n, context.shares, context.seed)
    if context.people is None:
        raise ScenarioError.single(
            "kind 'homophily' needs the scenario's segments", key="network", source=context.source
        )
    people = context.people(segment_of)
    rng = np.random.default_rng([context.seed, 0x40B])
    m = round(n * spec.mean_degree / 2)
    src = rng.integers(0, n, m)
    dst = rng.integers(0, n, m)
    alike = rng.random(m) < spec.homophily
    by = rng.integers(0, len(spec.similar_by), m)
    pick = rng.random(m)
    for d, attribute in enumerate(spec.similar_by):
        ties = np.flatnonzero(alike & (by == d))
        if attribute == "location":
            values = people.labels["location"][0]
            found = _alike_by_value(values, src[ties], pick[ties])
        elif attribute == "age":
            found = _alike_by_age(people.age, spec.age_window, src[ties], pick[ties])
        else:
            found = _alike_by_interest(people.interests, src[ties], pick[ties], rng)
        dst[ties] = np.where(found >= 0, found, dst[ties])
    keep = src != dst
    low, high = np.minimum(src, dst)[keep], np.maximum(src, dst)[keep]
    pairs = np.unique(low.astype(np.int64) * n + high)
    return Ties(
        n, (pairs // n).astype(np.int32), (pairs % n).astype(np.int32), segment_of=segment_of
    )


def _alike_by_value(values: np.ndarray, u: np.ndarray, pick: np.ndarray) -> np.ndarray:
    """For each u, a uniformly drawn person with u's value (-1 where u has none)."""
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    lo = np.searchsorted(ordered, values[u], side="left")
    hi = np.searchsorted(ordered, values[u], side="right")
    found = order[np.minimum(lo + (pick * (hi - lo)).astype(np.int64), len(order) - 1)]
    return np.where(values[u] >= 0, found, -1)


def _alike_by_age(age: np.ndarray, window: int, u: np.ndarray, pick: np.ndarray) -> np.ndarray:
    """For each u, a uniformly drawn person within ``window`` years of u's age (-1: no age)."""
    order = np.argsort(age, kind="stable")
    ordered = age[order].astype(np.int64)
    own = age[u].astype(np.int64)
    lo = np.searchsorted(ordered, np.maximum(own - window, 0), side="left")
    hi = np.searchsorted(ordered, own + window, side="right")
    found = order[np.minimum(lo + (pick * (hi - lo)).astype(np.int64), len(order) - 1)]
    return np.where(own >= 0, found, -1)


def _alike_by_interest(
    interests: np.ndarray, u: np.ndarray, pick: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """For each u, a uniformly drawn person sharing one of u's interests (drawn; -1: none)."""
    if interests.shape[1] == 0:
        return np.full(len(u), -1)
    person, interest = np.nonzero(interests)  # row-major: each person's interests together
    count = interests.sum(axis=1)
    start = np.concatenate([[0], np.cumsum(count)])[:-1]
    own = count[u]
    chosen = interest[
        np.minimum(start[u] + (rng.random(len(u)) * own).astype(np.int64), len(interest) - 1)
    ]
    by_interest = np.argsort(interest, kind="stable")
    ordered = interest[by_interest]
    lo = np.searchsorted(ordered, chosen, side="left")
    hi = np.searchsorted(ordered, chosen, side="right")
    found = person[
        by_interest[np.minimum(lo + (pick * (hi - lo)).astype(np.int64), len(ordered) - 1)]
    ]
    return np.where(own > 0, found, -1)


def complete(spec: Complete, context: BuildContext) -> Ties:
    """Every pair of people tied."""
    src, dst = np.triu_indices(spec.n, 1)
    return Ties(spec.n, src.astype(np.int32), dst.astype(np.int32))


def path(spec: PathGraph, context: BuildContext) -> Ties:
    """People ``i`` and ``i + 1`` tied."""
    n = spec.n
    return Ties(n, np.arange(n - 1, dtype=np.int32), np.arange(1, n, dtype=np.int32))


def star(spec: Star, context: BuildContext) -> Ties:
    """Person 0 tied to everyone else."""
    n = spec.n
    return Ties(n, np.zeros(n - 1, dtype=np.int32), np.arange(1, n, dtype=np.int32))


def classic(spec: Classic, context: BuildContext) -> Ties:
    """A classic network of networkx, its node names kept as labels (self-loops dropped)."""
    import networkx as nx

    graph = nx.Graph(getattr(nx, CLASSICS[spec.kind])())
    n = graph.number_of_nodes()
    nodes = list(graph.nodes)
    labels = None
    if nodes != list(range(n)):
        labels = np.array([str(v) for v in nodes], dtype=object)
        graph = nx.convert_node_labels_to_integers(graph, ordering="default")
    edges = np.fromiter(
        (x for e in graph.edges() for x in e), dtype=np.int32, count=2 * graph.number_of_edges()
    ).reshape(-1, 2)
    keep = edges[:, 0] != edges[:, 1]
    return Ties(n, edges[keep, 0], edges[keep, 1], labels=labels)


def edge_list(spec: EdgeList, context: BuildContext) -> Ties:
    """The ties of the edge-list file (see :func:`read_edge_list`)."""
    path = Path(context.base_dir) / spec.path
    labels, src, dst, weights, warnings = read_edge_list(path, directed=spec.directed)
    ties = Ties(
        len(labels),
        src,
        dst,
        labels=labels,
        weights=weights,
        directed=spec.directed,
        warnings=warnings,
    )
    return for_audience(ties, spec.audience)


# --------------------------------------------------------------------------- the registry


@dataclass(frozen=True)
class NetworkKind:
    """A network kind: the table that describes it and the function that builds it."""

    schema: type[NetworkTable]
    build: Callable[[Any, BuildContext], Ties]


def _registry(*kinds: NetworkKind) -> dict[str, NetworkKind]:
    """Each kind under every name of its schema's ``kind`` literal, in this order."""
    return {name: kind for kind in kinds for name in kind.schema.kind_names()}


KINDS: dict[str, NetworkKind] = _registry(
    NetworkKind(ErdosRenyi, erdos_renyi),
    NetworkKind(BarabasiAlbert, barabasi_albert),
    NetworkKind(WattsStrogatz, watts_strogatz),
    NetworkKind(PowerlawCluster, powerlaw_cluster),
    NetworkKind(StochasticBlock, stochastic_block),
    NetworkKind(PublicFollowers, public_followers),
    NetworkKind(ClosedCircles, closed_circles),
    NetworkKind(AttributeHomophily, attribute_homophily),
    NetworkKind(Complete, complete),
    NetworkKind(PathGraph, path),
    NetworkKind(Star, star),
    NetworkKind(Classic, classic),
    NetworkKind(EdgeList, edge_list),
)


# --------------------------------------------------------------------------- helpers


def random_segments(n: int, shares: list[float], seed: int) -> np.ndarray:
    """Segments given at random in exact shares (largest remainder), seeded by the graph's seed."""
    rng = np.random.default_rng([seed, 0x5E6])
    return rng.permutation(np.repeat(np.arange(len(shares)), segment_sizes(n, shares)))


def segment_sizes(n: int, shares: list[float]) -> np.ndarray:
    """Split n people into segments by share, exactly (largest remainder)."""
    raw = np.asarray(shares, dtype=np.float64) * n
    sizes = np.floor(raw).astype(np.int64)
    remainder = n - sizes.sum()
    sizes[np.argsort(-(raw - sizes), kind="stable")[:remainder]] += 1
    return sizes


# Reading an edge list and building its graph costs about this many bytes of memory per byte of
# the file (labels, tie arrays, then the graph's arrays); the file's size is capped accordingly.
EDGE_LIST_MEMORY_PER_BYTE = 10
# Lines are parsed a chunk of about this many characters at a time (bounded temporary memory).
_CHUNK = 1 << 20


def edge_list_limit() -> int:
    """The largest edge-list file read: what the memory limit allows, at most 2 GiB."""
    return min(MAX_EDGE_LIST_BYTES, memory_limit() // EDGE_LIST_MEMORY_PER_BYTE)


def read_edge_list(
    path: Path, *, directed: bool = False
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """Read an edge list: one tie per line ``u v [weight]``.

    Fields are separated by whitespace or a comma; ``#`` starts a comment; labels are the strings
    as written. Self-loops are dropped and repeated ties merged (the first weight is kept); both
    are reported as warnings. The file must be a regular text file no larger than
    :func:`edge_list_limit` (set by ``WOM_MAX_MEMORY``); it is checked before it is read.

    Returns:
        ``(labels, src, dst, weights, warnings)`` with people indexed in order of appearance.

    Raises:
        ScenarioError: naming the file and line for anything malformed.
    """
    source = str(path)
    limit = edge_list_limit()
    try:
        raw = read_user_file(path, "edge-list file", max_bytes=limit, key="network.path")
    except ScenarioError as error:
        raise _with_memory_hint(error, limit) from None
    text = decode_text(raw, source)
    del raw
    index: dict[str, int] = {}
    ends = array("l")  # u, v of every tie line, in file order
    lines = array("l")
    weights = array("d")
    for number, line in _numbered_lines(text):
        fields = line.split()
        if not fields:
            continue
        if len(fields) not in (2, 3):
            body = " ".join(fields)
            raise ScenarioError.single(
                f"expected 'u v' or 'u v weight', found {len(fields)} fields: {body[:60]!r}",
                source=source,
                line=number,
            )
        weight = 1.0
        if len(fields) == 3:
            weight = _weight(fields[2], source, number)
        ends.append(index.setdefault(fields[0], len(index)))
        ends.append(index.setdefault(fields[1], len(index)))
        lines.append(number)
        weights.append(weight)
    if not index:
        raise ScenarioError.single("edge list has no ties", source=source)
    del text
    return _merged(index, ends, lines, weights, directed, source)


def _with_memory_hint(error: ScenarioError, limit: int) -> ScenarioError:
    """A size refusal that says where the limit comes from and how to raise it."""
    problems = []
    for problem in error.problems:
        message = problem.message
        if "above the limit" in message or "larger than the limit" in message:
            message += (
                f" (reading and building a network costs about {EDGE_LIST_MEMORY_PER_BYTE} bytes "
                f"of memory per byte of its edge list; raise the limit with the environment "
                "variable WOM_MAX_MEMORY, e.g. WOM_MAX_MEMORY=16G, up to a 2 GiB file)"
            )
        problems.append(type(problem)(message, problem.key, problem.line, problem.source))
    return ScenarioError(problems)


def _numbered_lines(text: str):
    """``(line number, the line without comment, commas as spaces)``, a chunk at a time."""
    position = 0
    number = 1
    while position < len(text):
        end = text.find("\n", min(position + _CHUNK, len(text)))
        end = len(text) if end < 0 else end + 1
        chunk = text[position:end]
        position = end
        if "," in chunk:
            chunk = chunk.replace(",", " ")
        comments = "#" in chunk
        for line in chunk.splitlines():
            yield number, (line.split("#", 1)[0] if comments else line)
            number += 1


def _weight(text: str, source: str, line: int) -> float:
    try:
        weight = float(text)
    except ValueError:
        raise ScenarioError.single(
            f"weight {text[:30]!r} is not a number", source=source, line=line
        ) from None
    if not math.isfinite(weight) or weight <= 0:
        raise ScenarioError.single(
            f"weight {text[:30]} must be a positive number", source=source, line=line
        )
    return weight


def _merged(
    index: dict[str, int],
    ends: array,
    lines: array,
    weights: array,
    directed: bool,
    source: str,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """The ties without self-loops and repeats (the first of each kept), and what was dropped."""
    pairs = np.frombuffer(ends, dtype=np.int_).reshape(-1, 2).astype(np.int64)
    line_of = np.frombuffer(lines, dtype=np.int_)
    u, v = pairs[:, 0], pairs[:, 1]
    loop = u == v
    n = np.int64(len(index))
    low, high = (u, v) if directed else (np.minimum(u, v), np.maximum(u, v))
    key = np.where(loop, -1, low * n + high)
    _, first = np.unique(key, return_index=True)
    keep = np.zeros(len(key), bool)
    keep[first] = True
    keep &= ~loop
    repeated = ~keep & ~loop
    warnings = []
    if loop.any():
        warnings.append(
            f"{source}: dropped {int(loop.sum())} self-loop(s) (first at line "
            f"{int(line_of[loop][0])})"
        )
    if repeated.any():
        warnings.append(
            f"{source}: merged {int(repeated.sum())} repeated tie(s) (first at line "
            f"{int(line_of[repeated][0])}); the first weight is kept"
        )
    labels = np.array(list(index), dtype=object)
    tie_weights = np.frombuffer(weights, dtype=np.float64)[keep].copy()
    return labels, u[keep], v[keep], tie_weights, warnings
