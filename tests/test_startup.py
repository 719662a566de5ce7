"""The commands that only read scenarios start without the heavy libraries.

``wom --help``, ``wom keys`` and ``wom validate`` must not import numba (nor compile anything),
Dask, Solara, pandas or mesa: each runs in a fresh interpreter here, and the modules it loaded
are listed at exit.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("numba", "dask", "distributed", "solara", "pandas", "mesa", "llvmlite")

# Runs `python -m simulation ARGS`, then prints the loaded top-level packages on stderr.
WRAPPER = textwrap.dedent(
    """
    import json, runpy, sys
    sys.argv = ["wom", *sys.argv[1:]]
    try:
        runpy.run_module("simulation", run_name="__main__", alter_sys=True)
    except SystemExit as exc:
        code = exc.code
    else:
        code = 0
    sys.stderr.write("\\nMODULES " + json.dumps(sorted({m.split(".")[0] for m in sys.modules})))
    sys.exit(code)
    """
)


def _run(*args: str, cwd: Path = ROOT) -> tuple[subprocess.CompletedProcess, set[str]]:
    done = subprocess.run(
        [sys.executable, "-c", WRAPPER, *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
        check=False,
    )
    marker = done.stderr.rindex("MODULES ")
    return done, set(json.loads(done.stderr[marker + len("MODULES ") :]))


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("--help",), "Usage: wom"),
        (("keys",), "| `name` |"),
        (("validate", "scenarios/launch.toml"), "ok"),
        (("validate", "scenarios/paid_vs_earned.toml"), "ok"),
        (("validate", "scenarios/classroom.toml"), "ok"),
    ],
)
def test_reading_commands_load_no_heavy_library(args, expected):
    done, modules = _run(*args)
    assert done.returncode == 0, done.stderr
    assert expected in done.stdout
    assert not modules & set(HEAVY), sorted(modules & set(HEAVY))


def test_validate_reports_seed_problems_without_the_kernel(tmp_path):
    (tmp_path / "ties.txt").write_text("ann bob\nbob cy\ncy ann\n", encoding="utf-8")
    (tmp_path / "s.toml").write_text(
        textwrap.dedent(
            """
            name = "x"
            [network]
            kind = "edge_list"
            path = "ties.txt"
            [seeding]
            strategy = "nodes"
            nodes = ["ann", "bo"]
            """
        ),
        encoding="utf-8",
    )
    done, modules = _run("validate", str(tmp_path / "s.toml"))
    assert done.returncode == 2
    assert "key 'seeding.nodes': seed node 'bo' is not in the network (did you mean 'bob'?)" in (
        done.stderr
    )
    assert "Traceback" not in done.stderr
    assert not modules & set(HEAVY)


def test_importing_the_package_loads_nothing_heavy():
    code = "import json, sys, simulation; print(json.dumps(sorted(sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    modules = {m.split(".")[0] for m in json.loads(done.stdout)}
    assert not modules & set(HEAVY)
    assert "pydantic" not in modules
