"""The generated reference (``wom keys``, the README) names every key's type as TOML does."""

from __future__ import annotations

import re

import pytest

from simulation.scenario import Ad, Diffusion, Seeding, field_rows, reference_markdown
from simulation.scenario.reference import type_name

TOML_TYPES = re.compile(
    r"^(string|integer|number|boolean|table|array of (strings|integers|numbers|tables)"
    r"( or (strings|integers|numbers|tables))?)( or (number|table|string|integer))*$"
)


def _row(model, key):
    return next(row for row in field_rows(model) if row[0] == key)


@pytest.mark.parametrize(
    ("model", "key", "kind", "allowed"),
    [
        (Seeding, "propagation", "number", ">= 0.0, <= 1.0"),
        (Ad, "end", "integer", ">= 0, <= 100000"),
        (Diffusion, "threshold", "number or table", "> 0.0, <= 1.0"),
        (Seeding, "strategy", "string", "`nodes` / `random`"),
        (Seeding, "nodes", "array of strings or integers", ""),
    ],
)
def test_numbers_are_numbers_not_tables(model, key, kind, allowed):
    _, shown, _, shown_allowed, _ = _row(model, key)
    assert shown == kind
    assert shown_allowed.startswith(allowed)


def test_every_type_in_the_reference_is_a_toml_type():
    rows = [line.split("|") for line in reference_markdown().splitlines() if line.startswith("| `")]
    assert len(rows) > 100
    for row in rows:
        assert TOML_TYPES.match(row[2].strip()), row


def test_type_names_follow_the_annotation_not_its_text():
    assert type_name(float | None) == "number"
    assert type_name(list[int] | None) == "array of integers"
    assert type_name(dict[str, int]) == "table"
