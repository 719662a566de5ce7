"""Each browser session's state: the scenario being edited and where its uploads go.

Solara keeps a module-level ``solara.reactive`` per browser session (per kernel), so these values
are never shared between users. The only things shared across sessions are read-only: the
ready-made scenario files and cached drawing positions.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

import solara

from simulation.errors import Problem, ScenarioError
from simulation.scenario import Scenario, load_scenario, parse_scenario

__all__ = [
    "MAX_EDGE_LIST_BYTES",
    "MAX_SCENARIO_BYTES",
    "base_dir",
    "draft",
    "load_ready_made",
    "ready_made",
    "scenario_dirs",
    "session_dir",
    "source",
    "validate_draft",
]

# Upload limits: a scenario is a short text file; an edge list of ~1M ties fits in 20 MB.
MAX_SCENARIO_BYTES = 256 * 1024
MAX_EDGE_LIST_BYTES = 20 * 1024**2

# The scenario being edited, as TOML-like data; where relative paths resolve; where it came from.
draft: solara.Reactive[dict[str, Any]] = solara.reactive({})
base_dir: solara.Reactive[str] = solara.reactive(".")
source: solara.Reactive[str] = solara.reactive("")
# This session's upload folder (made on first upload, removed when the session ends).
_session_dir: solara.Reactive[str | None] = solara.reactive(None)


def scenario_dirs() -> list[Path]:
    """Folders holding ready-made scenarios: the repository's ``scenarios/`` and the cwd's."""
    here = Path(__file__).resolve().parents[2] / "scenarios"
    dirs = [d.resolve() for d in (Path.cwd() / "scenarios", here) if d.is_dir()]
    return list(dict.fromkeys(dirs))


def ready_made() -> dict[str, Path]:
    """Ready-made scenarios: "file name: scenario name" -> path, sorted."""
    found: dict[str, Path] = {}
    for folder in scenario_dirs():
        for path in sorted(folder.glob("*.toml")):
            try:
                name = load_scenario(path).name
            except ScenarioError:
                continue
            found.setdefault(f"{path.stem}: {name}", path)
    return dict(sorted(found.items(), key=lambda item: (not item[0].startswith("launch"), item[0])))


def load_ready_made(path: Path) -> None:
    """Make a ready-made scenario file the session's draft."""
    scenario = load_scenario(path)
    draft.set(scenario.to_toml_dict())
    base_dir.set(str(path.parent))
    source.set(path.name)


def session_dir() -> Path:
    """The session's private upload folder (created on first use)."""
    if _session_dir.value is None or not Path(_session_dir.value).is_dir():
        _session_dir.set(tempfile.mkdtemp(prefix="wom-upload-"))
    return Path(_session_dir.value)


def remove_session_dir() -> None:
    """Delete this session's upload folder (when the session ends)."""
    if _session_dir.value is not None:
        shutil.rmtree(_session_dir.value, ignore_errors=True)
        _session_dir.set(None)


def _allowed_dirs() -> list[Path]:
    allowed = list(scenario_dirs())
    if _session_dir.value is not None:
        allowed.append(Path(_session_dir.value).resolve())
    return allowed


def _check_budgets(scenario: Scenario, name: str) -> None:
    """Budgets above the population, found before Run, for a network of known size.

    The engine finds them only when it builds the network; every seeding table is checked.

    Raises:
        ScenarioError: naming the budget's key.
    """
    people = getattr(scenario.network, "n", None)
    if not isinstance(people, int):
        return
    tables = [("seeding", scenario.seeding)]
    tables += [(f"competitors[{i}].seeding", c.seeding) for i, c in enumerate(scenario.competitors)]
    if scenario.crisis is not None:
        tables.append(("crisis.seeding", scenario.crisis.seeding))
    problems = [
        Problem(
            f"budget {seeding.budget:,} is above the {people:,} people of the population",
            key=f"{key}.budget",
            source=name or "scenario",
        )
        for key, seeding in tables
        if seeding.strategy != "nodes" and seeding.money is None and seeding.budget > people
    ]
    if problems:
        raise ScenarioError(problems)


def validate_draft(data: dict[str, Any], folder: str, name: str) -> Scenario:
    """Validate a draft; an edge list must be one the session uploaded or a shipped one.

    Raises:
        ScenarioError: naming the key of every problem.
    """
    scenario = parse_scenario(
        json.loads(json.dumps(data)), source=name or "scenario", base_dir=folder
    )
    _check_budgets(scenario, name)
    if scenario.network.kind == "edge_list":
        path = (Path(folder) / scenario.network.path).resolve()
        if not any(path.is_relative_to(d) for d in _allowed_dirs()):
            raise ScenarioError.single(
                "in the app, an edge list must be uploaded (it cannot name a file on the server)",
                key="network.path",
                source=name,
            )
        if not path.is_file():
            raise ScenarioError.single(
                f"edge list {scenario.network.path!r} not found: upload it (Upload an edge list)",
                key="network.path",
                source=name,
            )
    return scenario
