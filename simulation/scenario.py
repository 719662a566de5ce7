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

from simulation.errors import Problem, ScenarioError

__all__ = [
    "NETWORK_KINDS",
    "SEED_STRATEGIES",
    "Content",
    "Diffusion",
    "Scenario",
    "Seeding",
    "Segment",
    "ThresholdDistribution",
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
        100,
        ge=1,
        le=100_000,
        description="Replicates per spread estimate: `celf`'s marginal gains, and the "
        "comparison of the two plans a `money` budget gives.",
    )
    epsilon: float = Field(
        0.5,
        gt=0.0,
        lt=1.0,
        description="`imm`: approximation slack; its seeds reach at least (1 - 1/e - epsilon) "
        "of the best possible spread. Smaller is closer and slower (time ~ 1 / epsilon^2).",
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


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario TOML file.

    Raises:
        ScenarioError: the file is missing, unreadable, not TOML, or not a valid scenario;
            every problem names the file, key and (where found) line.
    """
    path = Path(path)
    source = str(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ScenarioError.single("file not found", source=source) from None
    except OSError as exc:
        raise ScenarioError.single(f"cannot read file: {exc.strerror}", source=source) from None
    if b"\0" in raw:
        raise ScenarioError.single("this is a binary file, not a TOML scenario", source=source)
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
    return parse_scenario(data, source=source, base_dir=str(path.parent), text=text)


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
    return "\n".join(out)
