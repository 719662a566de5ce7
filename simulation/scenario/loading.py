"""Reading a scenario: from a TOML file (or parsed data) to a validated :class:`Scenario`.

The file is read by :func:`simulation.inputs.read_toml` (regular files only, size-capped, binary
and deep nesting refused) and validated by the schema; pydantic's errors are translated by
:func:`simulation.validation.problems_of`, the translator shared with experiment files, into
problems naming the file, the dotted key and its line.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from simulation.errors import Problem, ScenarioError
from simulation.inputs import read_toml
from simulation.scenario.idle import idle_keys as find_idle_keys
from simulation.scenario.schema import Scenario
from simulation.validation import LineFinder, dotted, problems_of

__all__ = ["load_scenario", "parse_scenario", "set_dotted"]

# Fields of Scenario that are not keys of the file: where it came from.
INTERNAL = ("base_dir", "source")


def set_dotted(data: dict[str, Any], dotted: str, value: Any) -> None:
    """Set ``data["a"]["b"] = value`` for ``dotted = "a.b"``, making tables on the way.

    A part ``name[i]`` is row i of an array of tables (``posts[1].start``); the row must exist.
    """
    *tables, last = dotted.split(".")
    node = data
    for part in tables:
        row = re.fullmatch(r"(.+)\[(\d+)\]", part)
        if row is not None:
            rows = node.get(row.group(1))
            index = int(row.group(2))
            if not isinstance(rows, list) or index >= len(rows):
                count = len(rows) if isinstance(rows, list) else 0
                raise ScenarioError.single(
                    f"'{row.group(1)}' has no row {index} (it has {count})", key=dotted
                )
            child = rows[index]
        else:
            child = node.get(part)
            if child is None:
                child = node[part] = {}
        if not isinstance(child, dict):
            raise ScenarioError.single(f"'{part}' is not a table", key=dotted)
        node = child
    node[last] = copy.deepcopy(value)


def load_scenario(path: str | Path, *, idle_keys: bool = True) -> Scenario:
    """Read and validate a scenario TOML file.

    Args:
        path: The file.
        idle_keys: Refuse keys that do nothing under the chosen strategy or rule (see
            :mod:`simulation.scenario.idle`); ``False`` for an experiment's base scenario.

    Raises:
        ScenarioError: the file is missing, unreadable, not TOML, or not a valid scenario;
            every problem names the file, key and (where found) line.
    """
    data, text = read_toml(path, "scenario")
    return parse_scenario(
        data, source=str(path), base_dir=str(Path(path).parent), text=text, idle_keys=idle_keys
    )


def parse_scenario(
    data: dict[str, Any],
    *,
    source: str = "<scenario>",
    base_dir: str = ".",
    text: str | None = None,
    idle_keys: bool | Iterable[str] = False,
) -> Scenario:
    """Validate already-parsed scenario data.

    Args:
        data: The scenario as a dict (as TOML parses it).
        source: Name of where it came from, for messages.
        base_dir: Directory that relative paths in the scenario are resolved from.
        text: The TOML text, used to find the line of a bad key.
        idle_keys: Refuse keys that do nothing under the chosen strategy or rule: ``True`` every
            written key, or only these dotted keys; ``False`` (the default for data built in
            code) none.

    Raises:
        ScenarioError: listing every problem found.
    """
    if not isinstance(data, dict):
        raise ScenarioError.single("a scenario must be a table of keys", source=source)
    finder = LineFinder(text)
    internal = [
        Problem(
            f"unknown key (known keys: {', '.join(_keys())})",
            key=key,
            line=finder.line("", key),
            source=source,
        )
        for key in INTERNAL
        if key in data
    ]
    payload = {k: v for k, v in data.items() if k not in INTERNAL}
    try:
        scenario = Scenario.model_validate({**payload, "base_dir": base_dir, "source": source})
    except ValidationError as exc:
        problems = problems_of(
            exc, root=Scenario, data=payload, source=source, text=text, internal=INTERNAL
        )
        raise ScenarioError(internal + problems) from None
    if internal:
        raise ScenarioError(internal)
    if idle_keys is not False:
        only = None if idle_keys is True else list(idle_keys)
        idle = [
            Problem(message, key=dotted(list(loc)), line=finder.line_of(list(loc)), source=source)
            for loc, message, _ in find_idle_keys(scenario, only)
        ]
        if idle:
            raise ScenarioError(idle)
    return scenario


def _keys() -> list[str]:
    return [name for name, field in Scenario.model_fields.items() if not field.exclude]
