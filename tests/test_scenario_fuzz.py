"""Fuzzing the scenario loader: whatever a file holds, the answer is a scenario or a ScenarioError.

Hypothesis writes TOML documents from the schema's own keys (with values of every TOML type,
non-finite numbers, deep nesting and unknown keys mixed in), raw and mutated text, and edge
lists, and reads each the way ``wom validate`` does (:func:`load_scenario`, then
:func:`~simulation.precheck.check_scenario`). The only exception allowed out is
:class:`ScenarioError`, and every one of its problems names the file.
"""

from __future__ import annotations

import copy
import math
import os
import tempfile
import tomllib
from pathlib import Path
from typing import Any

import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulation.errors import Problem, ScenarioError
from simulation.network_kinds import KINDS
from simulation.precheck import check_scenario
from simulation.scenario import Content, Diffusion, Scenario, Seeding, Segment, load_scenario
from simulation.strategies import STRATEGIES

# A few seconds in CI; WOM_FUZZ_EXAMPLES=2000 for a longer hunt.
FUZZ = settings(
    max_examples=int(os.environ.get("WOM_FUZZ_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)

names = st.sampled_from(
    sorted(
        {*Scenario.model_fields, *Content.model_fields, *Seeding.model_fields}
        | {*Diffusion.model_fields, *Segment.model_fields, "base_dir", "source", "x", "kind"}
    )
)
scalars = st.one_of(
    st.integers(-(2**63), 2**63 - 1),
    st.integers(-3, 30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, 0.5, 1.0, math.inf, -math.inf]),
    st.text(max_size=12),
    st.sampled_from([*KINDS, "nodes", "random", "degree", "imm", "threshold", "bass", "[/]"]),
    st.booleans(),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(names, inner, max_size=4)),
    max_leaves=12,
)


@st.composite
def networks(draw) -> dict[str, Any]:
    kind = draw(st.sampled_from([k for k in KINDS if k != "edge_list"]))
    table: dict[str, Any] = {"kind": kind}
    for key in draw(
        st.lists(
            st.sampled_from(
                ["n", "m", "k", "mean_degree", "rewire", "triangle_p", "homophily", "seed"]
            ),
            max_size=5,
        )
    ):
        table[key] = draw(st.one_of(st.integers(-2, 60), st.floats(-1, 70), values))
    return table


@st.composite
def documents(draw) -> dict[str, Any]:
    doc: dict[str, Any] = {"name": draw(st.text(max_size=10)), "network": draw(networks())}
    for table in ("content", "diffusion", "seeding"):
        if draw(st.booleans()):
            doc[table] = draw(st.dictionaries(names, values, max_size=5))
    if draw(st.booleans()):
        doc["segments"] = draw(st.lists(st.dictionaries(names, values, max_size=4), max_size=3))
    doc.update(draw(st.dictionaries(names, values, max_size=3)))
    return doc


SHIPPED = [
    tomllib.loads(path.read_text(encoding="utf-8"))
    for path in sorted((Path(__file__).resolve().parents[1] / "scenarios").glob("*.toml"))
]


def _tables(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """The path of every table in a parsed document (tables of arrays by index)."""
    found = [path] if isinstance(node, dict) else []
    children = node.items() if isinstance(node, dict) else enumerate(node)
    for key, child in children:
        if isinstance(child, dict | list):
            found += _tables(child, (*path, key))
    return found


def _at(node: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        node = node[key]
    return node


@st.composite
def perturbed(draw) -> dict[str, Any]:
    """A shipped scenario with one to three keys set to other values (valid or not)."""
    doc = copy.deepcopy(draw(st.sampled_from(SHIPPED)))
    for _ in range(draw(st.integers(1, 3))):
        table = _at(doc, draw(st.sampled_from(_tables(doc))))
        key = draw(st.one_of(st.sampled_from(sorted(table) or ["x"]), names))
        table[key] = draw(st.one_of(_like(table.get(key)), _like(table.get(key)), values))
    return doc


def _like(value: Any) -> st.SearchStrategy:
    """Values of the same kind as ``value``, mostly plausible."""
    if isinstance(value, bool):
        return st.booleans()
    if isinstance(value, int):
        return st.integers(0, max(5, 2 * value + 5))
    if isinstance(value, float):
        return st.floats(0.0, max(1.0, 2 * value) if math.isfinite(value) else 1.0)
    if isinstance(value, str):
        return st.sampled_from([value, *STRATEGIES, "threshold", "bass", "cascade", "a"])
    return scalars


def _read(text: str | bytes, edges: str | bytes | None = None) -> None:
    """Load and pre-check a scenario file; only ScenarioError may come out, naming the file."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "s.toml"
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8", errors="surrogatepass")
        if edges is not None:
            edge_path = Path(folder) / "e.txt"
            if isinstance(edges, bytes):
                edge_path.write_bytes(edges)
            else:
                edge_path.write_text(edges, encoding="utf-8", errors="surrogatepass")
        try:
            check_scenario(load_scenario(path))
        except ScenarioError as error:
            problems = error.problems
        else:
            problems = [Problem("accepted", source=str(path))]
        assert problems
        for problem in problems:
            assert problem.source, problem
            assert problem.message


def _dump(doc: dict[str, Any]) -> str | None:
    try:
        return tomli_w.dumps(doc)
    except (TypeError, ValueError):  # not representable in TOML (e.g. a key path clash)
        return None


@FUZZ
@given(documents())
def test_generated_documents_load_or_fail_cleanly(doc):
    text = _dump(doc)
    if text is not None:
        _read(text)


@FUZZ
@given(perturbed())
def test_changed_shipped_scenarios_load_or_fail_cleanly(doc):
    text = _dump(doc)
    if text is not None:
        _read(text)


@FUZZ
@given(documents(), st.data())
def test_mutated_documents_load_or_fail_cleanly(doc, data):
    text = _dump(doc) or 'name = "x"\n[network]\nkind = "karate"\n'
    at = data.draw(st.integers(0, len(text)))
    junk = data.draw(st.sampled_from(["[", "]", "{", "}", '"', "'''", "=", "\n", "#", "\0", "\\"]))
    _read(text[:at] + junk * data.draw(st.integers(1, 40)) + text[at:])


@FUZZ
@given(st.one_of(st.text(max_size=200), st.binary(max_size=200)))
def test_arbitrary_text_loads_or_fails_cleanly(text):
    _read(text)


edge_lines = st.lists(
    st.one_of(
        st.tuples(st.text(min_size=1, max_size=4), st.text(min_size=1, max_size=4)).map(" ".join),
        st.tuples(st.integers(0, 20), st.integers(0, 20), st.floats()).map(
            lambda t: f"{t[0]},{t[1]},{t[2]}"
        ),
        st.text(max_size=20),
    ),
    max_size=30,
).map("\n".join)


@FUZZ
@given(
    st.one_of(edge_lines, st.binary(max_size=100)),
    st.booleans(),
    st.sampled_from(["random", "degree", "nodes"]),
    st.lists(st.one_of(st.text(max_size=3), st.integers(-1, 30)), max_size=3),
)
def test_edge_lists_load_or_fail_cleanly(edges, directed, strategy, nodes):
    seeding: dict[str, Any] = {"strategy": strategy, "budget": 2}
    if strategy == "nodes":
        seeding = {"strategy": strategy, "nodes": nodes}
    doc = {
        "name": "edges",
        "network": {"kind": "edge_list", "path": "e.txt", "directed": directed},
        "seeding": seeding,
    }
    _read(tomli_w.dumps(doc), edges)
