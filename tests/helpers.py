"""Helpers for tests: small scenarios built in code, and a runner for the ``wom`` command."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from simulation.scenario import Scenario, parse_scenario

ROOT = Path(__file__).resolve().parents[1]


def make_scenario(network: dict[str, Any], **tables: Any) -> Scenario:
    """A validated scenario from a network table and any other tables or top-level keys."""
    data: dict[str, Any] = {"name": "test", "network": network}
    data.update(tables)
    return parse_scenario(data, source="<test>")


def independent_cascade(network: dict[str, Any], p: float, **tables: Any) -> Scenario:
    """A pure independent cascade with tie probability p (visibility = appeal = 1)."""
    return make_scenario(
        network,
        content={"visibility": 1.0, "appeal": 1.0, "stickiness": p},
        **tables,
    )


def wom(*args: str) -> subprocess.CompletedProcess[str]:
    """Run ``wom ARGS`` in this process (click's runner) and capture its output.

    An exception escaping the command (an internal error) is re-raised, so a test of user
    input can never pass on a crash.
    """
    from click.testing import CliRunner

    from simulation.cli import main

    result = CliRunner().invoke(main, list(args), prog_name="wom")
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return subprocess.CompletedProcess(args, result.exit_code, result.stdout, result.stderr)


def wom_process(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``python -m simulation ARGS`` in a new process and capture its output."""
    return subprocess.run(
        [sys.executable, "-m", "simulation", *args],
        capture_output=True,
        text=True,
        cwd=cwd or ROOT,
        timeout=600,
    )
