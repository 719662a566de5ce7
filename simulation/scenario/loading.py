"""Reading a scenario: from a TOML file (or parsed data) to a validated :class:`Scenario`.

The file is read by :func:`simulation.inputs.read_toml` (regular files only, size-capped, binary
and deep nesting refused) and validated by the schema; pydantic's errors are translated by
:func:`simulation.validation.problems_of`, the translator shared with experiment files, into
problems naming the file, the dotted key and its line.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from simulation.errors import ScenarioError
from simulation.inputs import read_toml
from simulation.scenario.schema import Scenario
from simulation.validation import problems_of

__all__ = ["load_scenario", "parse_scenario", "set_dotted"]

# Fields of Scenario that are not keys of the file: where it came from.
INTERNAL = ("base_dir", "source")


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
    payload = {k: v for k, v in data.items() if k not in INTERNAL}
    try:
        return Scenario.model_validate({**payload, "base_dir": base_dir, "source": source})
    except ValidationError as exc:
        problems = problems_of(
            exc, root=Scenario, data=payload, source=source, text=text, internal=INTERNAL
        )
        raise ScenarioError(problems) from None
