"""CPU seconds a new user waits: the first compile, and the CLI's start-up.

    python benchmarks/bench_startup.py            # all, as a table
    python benchmarks/bench_startup.py --json

Each command runs in a fresh child process and is measured by its own CPU time (user + system,
from ``getrusage`` of the children), so other work on the machine hardly changes the numbers:

* ``compile``: ``wom run scenarios/launch.toml --runs 50`` with an empty compiled-code cache
  (``NUMBA_CACHE_DIR`` pointed at a new folder): imports, compiling every kernel function the
  scenario uses, building the graph and 50 replicates;
* ``run-karate``: ``wom run`` on the karate club (34 people), 100 replicates, once compiled;
* ``help``, ``keys``, ``validate``: the commands that must not import numba, Dask, Solara or pandas.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
KARATE = """name = "Karate club"
runs = 100
seed = 1
[network]
kind = "karate"
[seeding]
strategy = "degree"
budget = 2
"""
# Goals of the Kernel v2 issue, in CPU seconds.
GOALS = {"compile": 30.0, "run-karate": 1.5, "help": 0.5, "keys": 0.5, "validate": 0.5}


def cpu_of(args: list[str], env: dict[str, str] | None = None) -> float:
    """CPU seconds (user + system) of one child process running ``python -m simulation ARGS``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(
        [sys.executable, "-m", "simulation", *args],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=True,
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def measure() -> list[dict]:
    """Every start-up measurement, each with its goal."""
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        cold = cpu_of(
            ["run", "scenarios/launch.toml", "--runs", "50", "--json"],
            {"NUMBA_CACHE_DIR": str(Path(tmp) / "numba")},
        )
        rows.append({"what": "compile", "cpu_s": cold})
        karate = Path(tmp) / "karate.toml"
        karate.write_text(KARATE, encoding="utf-8")
        cpu_of(["run", str(karate), "--json"])  # compile (or load) what karate uses
        rows.append(
            {
                "what": "run-karate",
                "cpu_s": min(cpu_of(["run", str(karate), "--json"]) for _ in range(3)),
            }
        )
    for what, args in (
        ("help", ["--help"]),
        ("keys", ["keys"]),
        ("validate", ["validate", "scenarios/launch.toml"]),
    ):
        rows.append({"what": what, "cpu_s": min(cpu_of(args) for _ in range(3))})
    for row in rows:
        row["goal_s"] = GOALS[row["what"]]
        row["met"] = row["cpu_s"] <= row["goal_s"]
    return rows


def main(argv: list[str] | None = None) -> None:
    """Measure and print the start-up table (or JSON)."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    args = parser.parse_args(argv)
    rows = measure()
    if args.json:
        print(json.dumps(rows, indent=1))
        return
    print("| command | CPU s | goal | met |\n| --- | ---: | ---: | --- |")
    for row in rows:
        met = "yes" if row["met"] else "**no**"
        print(f"| {row['what']} | {row['cpu_s']:.2f} | <= {row['goal_s']:g} | {met} |")


if __name__ == "__main__":
    main()
