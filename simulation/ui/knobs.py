"""The app's knobs, read from the scenario schema: one :class:`Knob` per scenario key.

Nothing here restates a rule. Ranges, choices, defaults and help texts come from the pydantic
models of :mod:`simulation.scenario` (``model_fields`` and their metadata), so a key added to the
schema shows up in the app with the right control, and validation stays in one place: the
app edits a plain TOML-like ``dict`` and hands it to :func:`~simulation.scenario.parse_scenario`.
"""

from __future__ import annotations

import math
import re
import types
import typing
from dataclasses import dataclass
from typing import Any, Literal, get_args, get_origin

from pydantic import BaseModel

from simulation.errors import Problem, ScenarioError
from simulation.scenario import (
    NETWORK_KINDS,
    Ad,
    Competitor,
    Content,
    Crisis,
    Diffusion,
    Market,
    Money,
    People,
    Post,
    Resonance,
    Scenario,
    Seeding,
    Segment,
    Target,
    ThresholdDistribution,
    Ties,
    Time,
)

__all__ = [
    "NETWORK_STARTERS",
    "OPTIONAL_TABLES",
    "ROW_TABLES",
    "Knob",
    "add_row",
    "get_value",
    "knobs_of",
    "network_kind_change",
    "parse_numbers",
    "parse_shares",
    "problems_by_key",
    "put_value",
    "relevant",
    "remove_row",
    "scenario_sections",
    "shares_text",
]

KnobKind = Literal[
    "probability",
    "float",
    "int",
    "choice",
    "bool",
    "text",
    "list",
    "pair",
    "threshold",
    "shares",
    "numbers",
]

# Keys the app never offers as free text: a path on the server is set only by an upload.
_READ_ONLY = {"path"}

# Starting values for keys a network kind requires when the user switches to that kind. These
# are examples, not rules: whatever the user ends up with is validated by the schema.
NETWORK_STARTERS: dict[str, Any] = {
    "n": 1000,
    "mean_degree": 8.0,
    "m": 3,
    "k": 6,
    "rewire": 0.1,
    "triangle_p": 0.3,
}


# Tables of rows the panel can add to and remove from: key -> (what one row is, a starter row).
# Starters are examples, not rules: the schema validates whatever the user ends up with.
ROW_TABLES: dict[str, tuple[str, dict[str, Any]]] = {
    "segments": ("segment", {"name": "segment", "share": 0.1, "affinity": 1.0}),
    "posts": ("post", {"name": "post", "start": 0}),
    "ads": ("ad", {"spend_per_step": 10.0, "cpm": 8.0}),
    "competitors": ("competitor", {"name": "rival"}),
}
# Tables that are absent unless added: key -> (title, a starter table).
OPTIONAL_TABLES: dict[str, tuple[str, dict[str, Any]]] = {
    "ties": ("strong and weak ties", {"strong": "segment"}),
    "crisis": ("a crisis", {}),
    "time": ("time and attention", {"step": "hour"}),
}
# Which key of a table chooses among alternatives whose own keys matter only for one of them.
_SELECTORS = {"seeding": "strategy", "diffusion": "rule", "ties": "strong"}
# Keys whose description names several alternatives (the rest say "`imm`: ...").
_USED_BY = {
    "propagation": ("strategy", {"imm", "degree_discount", "celf"}),
    "mc_runs": ("strategy", {"celf"}),
    "budget": ("strategy", set(Seeding.model_fields["strategy"].annotation.__args__) - {"nodes"}),
}
_FOR = re.compile(r"^`?([a-z_]+)`?(?: rule| strategy)?: ")


def relevant(knob: Knob, table: dict[str, Any]) -> bool:
    """Whether a key matters under its table's current strategy, rule or kind of strong tie.

    The alternative a key belongs to is read from its description ("`imm`: ...", "bass
    rule: ..."), or for keys shared by several alternatives from a short list. A key that is
    set stays shown, so that it can be removed.
    """
    name = knob.key.rpartition(".")[2]
    if name in table and table[name] != knob.default:
        return True
    prefix = knob.key.rpartition(".")[0]
    selector = next((v for k, v in _SELECTORS.items() if prefix.endswith(k)), None)
    if selector is None or name == selector:
        return True
    fields = {"strategy": Seeding, "rule": Diffusion, "strong": Ties}[selector].model_fields
    current = table.get(selector, fields[selector].default)
    if name in _USED_BY:
        which, values = _USED_BY[name]
        if name == "mc_runs" and table.get("money") is not None:
            return True
        return which != selector or current in values
    match = _FOR.match(knob.help or "")
    if match is None:
        return True
    return match.group(1) == current


def parse_numbers(text: str | None) -> tuple[list[float] | None, str | None]:
    """A ``numbers`` knob's text (comma- or line-separated) as numbers, or a message.

    Empty text is ``None`` (the key left out); the schema checks how many and their range.
    """
    items = [x.strip() for x in re.split(r"[,\n]", text or "") if x.strip()]
    if not items:
        return None, None
    try:
        values = [float(x) for x in items]
    except ValueError:
        bad = next(x for x in items if not _is_number(x))
        return None, f"{bad!r} is not a number; numbers separated by commas, e.g. 0.1, 0.2"
    if not all(math.isfinite(v) for v in values):
        return None, "numbers must be finite"
    # Whole numbers as integers (ages, age bands); the schema takes them for floats too.
    return [int(v) if v.is_integer() else v for v in values], None


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def add_row(data: dict[str, Any], table: str) -> dict[str, Any]:
    """A copy of a draft with a starter row appended to a table of rows (a unique name)."""
    import copy

    out = copy.deepcopy(data)
    rows = out.get(table) if isinstance(out.get(table), list) else []
    row = copy.deepcopy(ROW_TABLES[table][1])
    if "name" in row:
        names = {r.get("name") for r in rows if isinstance(r, dict)}
        stem = row["name"]
        row["name"] = next(
            f"{stem}{i}"
            for i in range(len(rows) + 1, len(rows) + 1000)
            if f"{stem}{i}" not in names
        )
    out[table] = [*rows, row]
    return out


def remove_row(data: dict[str, Any], table: str, index: int) -> dict[str, Any]:
    """A copy of a draft without row ``index`` of a table (the table dropped when empty)."""
    import copy

    out = copy.deepcopy(data)
    rows = out.get(table) if isinstance(out.get(table), list) else []
    rows = [r for i, r in enumerate(rows) if i != index]
    if rows:
        out[table] = rows
    else:
        out.pop(table, None)
    return out


@dataclass(frozen=True)
class Knob:
    """One editable scenario key and the control that edits it.

    Attributes:
        key: Dotted key into the scenario (``content.appeal``, ``segments[1].share``).
        label: Short label for the control.
        kind: Which control: ``probability`` (slider 0..1), ``float``, ``int``, ``choice``,
            ``bool``, ``text``, ``list`` (comma-separated), ``numbers`` (comma-separated
            numbers), ``pair`` (two integers) or
            ``threshold`` (a share, or a table of a distribution).
        help: The schema's description of the key.
        default: The schema's default (``None`` when the key is required or defaults to none).
        minimum: Lowest allowed value (numbers), from ``ge`` or ``gt``.
        maximum: Highest allowed value (numbers), from ``le`` or ``lt``.
        exclusive_minimum: Whether ``minimum`` itself is excluded (``gt``).
        options: Allowed values of a ``choice``.
        optional: Whether the key may be left out (its value may be ``None``).
        required: Whether the schema requires the key.
    """

    key: str
    label: str
    kind: KnobKind
    help: str
    default: Any = None
    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: bool = False
    options: tuple[Any, ...] = ()
    optional: bool = False
    required: bool = False

    def check(self, value: Any) -> str | None:
        """A message if ``value`` is outside the schema's range (else ``None``); for hints."""
        if value is None or self.kind not in ("probability", "float", "int"):
            return None
        if self.minimum is not None and (
            value <= self.minimum if self.exclusive_minimum else value < self.minimum
        ):
            sign = ">" if self.exclusive_minimum else ">="
            return f"must be {sign} {self.minimum:g}"
        if self.maximum is not None and value > self.maximum:
            return f"must be <= {self.maximum:g}"
        return None


def _label(name: str) -> str:
    return name.replace("_", " ").capitalize()


def _bounds(metadata: list[Any]) -> tuple[float | None, float | None, bool]:
    low = high = None
    exclusive = False
    for meta in metadata:
        inner = getattr(meta, "metadata", None)
        if isinstance(inner, list):  # a FieldInfo inside Annotated[...]
            lo, hi, ex = _bounds(inner)
            low, high, exclusive = low if lo is None else lo, high if hi is None else hi, ex
            continue
        if getattr(meta, "ge", None) is not None:
            low = meta.ge
        if getattr(meta, "gt", None) is not None:
            low, exclusive = meta.gt, True
        if getattr(meta, "le", None) is not None:
            high = meta.le
        if getattr(meta, "lt", None) is not None:
            high = meta.lt
    return low, high, exclusive


def _unwrap(annotation: Any) -> tuple[Any, list[Any], bool]:
    """(bare type, metadata found in Annotated, optional) of an annotation."""
    metadata: list[Any] = []
    optional = False
    while True:
        origin = get_origin(annotation)
        if origin is typing.Annotated:
            annotation, *extra = get_args(annotation)
            metadata.extend(extra)
            continue
        if origin in (typing.Union, types.UnionType):
            args = [a for a in get_args(annotation) if a is not type(None)]
            if len(args) < len(get_args(annotation)):
                optional = True
            if len(args) == 1:
                annotation = args[0]
                continue
        return annotation, metadata, optional


def _knob(name: str, info: Any, prefix: str) -> Knob | None:
    annotation, metadata, optional = _unwrap(info.annotation)
    low, high, exclusive = _bounds(list(info.metadata) + metadata)
    key = f"{prefix}.{name}" if prefix else name
    default = None if info.is_required() else info.get_default(call_default_factory=True)
    common = {
        "key": key,
        "label": _label(name),
        "help": info.description or "",
        "default": default,
        "optional": optional,
        "required": info.is_required(),
    }
    origin = get_origin(annotation)
    args = get_args(annotation)
    if origin is Literal:
        return Knob(kind="choice", options=args, **common)
    if origin is dict:
        return Knob(kind="shares", **common)
    if origin in (typing.Union, types.UnionType) and any(
        get_origin(_unwrap(a)[0]) is dict for a in args
    ):
        # One value or a table of shares: the plain form is a label, a list or an age range.
        plain = [_unwrap(a)[0] for a in args if get_origin(_unwrap(a)[0]) is not dict]
        form = "text" if str in plain else "list"
        if any(get_args(p) == (int,) for p in plain):
            form = "pair"
        return Knob(kind="shares", options=(form,), **common)
    if origin in (typing.Union, types.UnionType):
        tables = [a for a in (_unwrap(x)[0] for x in args) if isinstance(a, type)]
        if float in tables and any(issubclass(t, BaseModel) for t in tables if t is not float):
            return Knob(kind="threshold", minimum=low, maximum=high, **common)
        if set(tables) <= {str, int}:
            return Knob(kind="text", **common)
        return None
    if annotation is bool:
        return Knob(kind="bool", **common)
    if annotation is int:
        return Knob(kind="int", minimum=low, maximum=high, exclusive_minimum=exclusive, **common)
    if annotation is float:
        kind: KnobKind = "probability" if (low, high) == (0.0, 1.0) else "float"
        return Knob(kind=kind, minimum=low, maximum=high, exclusive_minimum=exclusive, **common)
    if annotation is str:
        return Knob(kind="text", **common)
    if origin is list:
        item = _unwrap(args[0])[0] if args else str
        if item is int and any(getattr(m, "max_length", None) == 2 for m in info.metadata):
            return Knob(kind="pair", **common)
        if item is float:
            return Knob(kind="numbers", **common)
        if isinstance(item, type) and issubclass(item, BaseModel):
            return None  # tables of tables (segments) get a section each
        if item is int:
            return Knob(kind="numbers", **common)
        return Knob(kind="list", **common)
    return None


def knobs_of(model: type[BaseModel], prefix: str = "") -> list[Knob]:
    """Knobs for the keys of one table of the schema (internal and read-only keys left out).

    Args:
        model: A table of the schema (``Content``, ``Seeding``, a network kind, ...).
        prefix: Dotted key of the table (``"content"``, ``"segments[0]"``).
    """
    knobs = []
    for name, info in model.model_fields.items():
        if info.exclude or name == "kind" or name in _READ_ONLY:
            continue
        knob = _knob(name, info, prefix)
        if knob is not None:
            knobs.append(knob)
    return knobs


def scenario_sections(
    data: dict[str, Any], *, only_relevant: bool = True
) -> list[tuple[str, str, list[Knob]]]:
    """The knobs of a scenario draft, grouped as the scenario file is: (key, title, knobs).

    The network section follows the draft's ``network.kind``; there is one section per segment
    and, for a threshold given as a distribution, one for ``diffusion.threshold``. With
    ``only_relevant`` (the default), keys of other strategies and rules are left out
    (:func:`relevant`).
    """
    top = [
        k for k in knobs_of(Scenario) if k.key in ("name", "description", "steps", "runs", "seed")
    ]
    network = data.get("network") if isinstance(data.get("network"), dict) else {}
    kind_cls = NETWORK_KINDS.get(str(network.get("kind")))
    kind_knob = Knob(
        key="network.kind",
        label="Kind",
        kind="choice",
        help=Scenario.model_fields["network"].description or "",
        options=tuple(NETWORK_KINDS),
        required=True,
    )
    sections = [
        ("", "Scenario", top),
        ("network", "Network", [kind_knob, *(knobs_of(kind_cls, "network") if kind_cls else [])]),
        ("content", "Content", knobs_of(Content, "content")),
        ("diffusion", "Diffusion", knobs_of(Diffusion, "diffusion")),
    ]
    diffusion = data.get("diffusion") if isinstance(data.get("diffusion"), dict) else {}
    if isinstance(diffusion.get("threshold"), dict):
        sections.append(
            (
                "diffusion.threshold",
                "Threshold distribution",
                knobs_of(ThresholdDistribution, "diffusion.threshold"),
            )
        )
    sections.append(("content.resonance", "Content: whom it resonates with", _resonance("content")))
    sections.append(("seeding", "Seeding", knobs_of(Seeding, "seeding")))
    sections.append(("seeding.target", "Seeding: target", knobs_of(Target, "seeding.target")))
    for i, segment in enumerate(_rows(data, "segments")):
        name = segment.get("name", i + 1)
        sections.append((f"segments[{i}]", f"Segment: {name}", knobs_of(Segment, f"segments[{i}]")))
    for i, post in enumerate(_rows(data, "posts")):
        title = f"Post: {post.get('name', i + 1)}"
        sections += [
            (f"posts[{i}]", title, knobs_of(Post, f"posts[{i}]")),
            (f"posts[{i}].resonance", f"{title}: resonance", _resonance(f"posts[{i}]")),
        ]
    for i, ad in enumerate(_rows(data, "ads")):
        where = f" ({ad['segment']})" if ad.get("segment") else ""
        sections += [
            (f"ads[{i}]", f"Ad {i + 1}{where}", knobs_of(Ad, f"ads[{i}]")),
            (f"ads[{i}].target", f"Ad {i + 1}: target", knobs_of(Target, f"ads[{i}].target")),
        ]
    for i, rival in enumerate(_rows(data, "competitors")):
        name = rival.get("name", i + 1)
        key = f"competitors[{i}]"
        sections += [
            (key, f"Competitor: {name}", knobs_of(Competitor, key)),
            (f"{key}.content", f"Competitor {name}: content", knobs_of(Content, f"{key}.content")),
            (
                f"{key}.content.resonance",
                f"Competitor {name}: resonance",
                _resonance(f"{key}.content"),
            ),
            (f"{key}.seeding", f"Competitor {name}: seeds", knobs_of(Seeding, f"{key}.seeding")),
            (
                f"{key}.seeding.target",
                f"Competitor {name}: seeds' target",
                knobs_of(Target, f"{key}.seeding.target"),
            ),
        ]
    if _rows(data, "competitors"):
        sections.append(("market", "Market", knobs_of(Market, "market")))
    if isinstance(data.get("ties"), dict):
        sections.append(("ties", "Ties: strong and weak", knobs_of(Ties, "ties")))
    if isinstance(data.get("crisis"), dict):
        sections += [
            ("crisis", "Crisis", knobs_of(Crisis, "crisis")),
            ("crisis.resonance", "Crisis: whom it resonates with", _resonance("crisis")),
            ("crisis.seeding", "Crisis: who posts it first", knobs_of(Seeding, "crisis.seeding")),
        ]
    if isinstance(data.get("time"), dict):
        sections.append(("time", "Time and attention", knobs_of(Time, "time")))
    sections.append(("money", "Money", knobs_of(Money, "money")))
    sections.append(("people", "People: age bands", knobs_of(People, "people")))
    return [
        (
            prefix,
            title,
            [k for k in knobs if not only_relevant or relevant(k, _table(data, prefix))],
        )
        for prefix, title, knobs in sections
    ]


def _resonance(prefix: str) -> list[Knob]:
    return knobs_of(Resonance, f"{prefix}.resonance")


def shares_text(value: Any) -> str:
    """A label, list or table of shares as the text a ``shares`` control shows."""
    if isinstance(value, dict):
        return ", ".join(
            f"{k}: {v:g}" if isinstance(v, float) else f"{k}: {v}" for k, v in value.items()
        )
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return "" if value is None else str(value)


def parse_shares(text: str | None, plain: str | None) -> tuple[Any, str | None]:
    """Typed text of a ``shares`` control -> ``(value, None)``, or ``(None, message)``.

    ``"Beijing: 0.6, Xian: 0.4"`` is a table (name -> number); without colons the text is the
    plain form the key allows (``plain``: ``"text"`` a label, ``"list"`` names, ``"pair"`` two
    whole numbers, ``None`` none). Empty text leaves the key out. The schema checks the rest.
    """
    items = [x.strip() for x in re.split(r"[,\n]", text or "") if x.strip()]
    if not items:
        return None, None
    if any(":" in x for x in items):
        table: dict[str, float] = {}
        for item in items:
            name, _, number = item.partition(":")
            try:
                table[name.strip().strip('"')] = float(number)
            except ValueError:
                return None, f"{item!r}: write name: number, e.g. Beijing: 0.6"
        return table, None
    if plain == "text" and len(items) == 1:
        return items[0], None
    if plain == "list":
        return items, None
    if plain == "pair" and len(items) == 2 and all(re.fullmatch(r"\d+", x) for x in items):
        return [int(x) for x in items], None
    return None, "write name: number pairs, e.g. games: 2.0, music: 0.5"


def _rows(data: dict[str, Any], table: str) -> list[dict[str, Any]]:
    rows = data.get(table)
    return [r if isinstance(r, dict) else {} for r in rows] if isinstance(rows, list) else []


def _table(data: dict[str, Any], prefix: str) -> dict[str, Any]:
    value = get_value(data, prefix) if prefix else data
    return value if isinstance(value, dict) else {}


_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def _parts(key: str) -> list[str | int]:
    return [name if name else int(index) for name, index in _PART.findall(key)]


def get_value(data: dict[str, Any], key: str, default: Any = None) -> Any:
    """The value at a dotted key (``segments[0].share``) of a draft, or ``default``."""
    node: Any = data
    for part in _parts(key):
        if isinstance(part, int):
            if not isinstance(node, list) or part >= len(node):
                return default
        elif not isinstance(node, dict) or part not in node:
            return default
        node = node[part]
    return node


def put_value(data: dict[str, Any], key: str, value: Any) -> dict[str, Any]:
    """A copy of a draft with the dotted key set (``None`` removes it), tables made on the way."""
    import copy

    out = copy.deepcopy(data)
    *path, last = _parts(key)
    node: Any = out
    for part in path:
        if isinstance(part, int):
            node = node[part]
        else:
            if not isinstance(node.get(part), dict | list):
                node[part] = {}
            node = node[part]
    if value is None:
        if isinstance(last, str):
            node.pop(last, None)
    else:
        node[last] = value
    return out


def network_kind_change(data: dict[str, Any], kind: str) -> dict[str, Any]:
    """A copy of a draft whose network is of another kind, keeping the keys that still apply.

    Keys the new kind requires and the old one lacks start at :data:`NETWORK_STARTERS`.
    """
    old = data.get("network") if isinstance(data.get("network"), dict) else {}
    cls = NETWORK_KINDS.get(kind)
    network: dict[str, Any] = {"kind": kind}
    if cls is not None:
        for name, info in cls.model_fields.items():
            if name == "kind":
                continue
            if name in old:
                network[name] = old[name]
            elif info.is_required() and name in NETWORK_STARTERS:
                network[name] = NETWORK_STARTERS[name]
    return put_value(data, "network", network)


def problems_by_key(
    error: ScenarioError, keys: set[str]
) -> tuple[dict[str, list[str]], list[Problem]]:
    """Split an error's problems into messages per known key and the rest (shown on top)."""
    by_key: dict[str, list[str]] = {}
    rest: list[Problem] = []
    for problem in error.problems:
        if problem.key in keys:
            by_key.setdefault(problem.key, []).append(problem.message)
        else:
            rest.append(problem)
    return by_key, rest
