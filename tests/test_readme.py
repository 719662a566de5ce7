"""The README's generated references are current, and its commands exist."""

from __future__ import annotations

import subprocess
import sys

from helpers import ROOT


def test_readme_references_match_the_schema_and_metrics():
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "update_readme.py"), "--check"], check=False
    )
    assert result.returncode == 0, "README.md is stale: run python scripts/update_readme.py"


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "bash scripts/test.sh" in readme
    assert "scripts/test.sh" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "wom run scenarios/launch.toml" in readme
    assert (ROOT / "scenarios" / "launch.toml").exists()
