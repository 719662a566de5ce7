"""Helpers for the sweep tests: experiment files in a folder, and real Dask processes."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]

SMALL_SCENARIO = """\
name = "small"
steps = 40
runs = 10
seed = 3

[network]
kind = "watts_strogatz"
n = 120
k = 4
rewire = 0.1

[content]
visibility = 0.9
appeal = 0.5
stickiness = 0.4

[seeding]
strategy = "degree"
budget = 3
"""

# Cascades that reach most of 20,000 people: about 15 ms a replicate, so a sweep of a few
# hundred replicates lasts long enough to be killed part-way.
SLOW_SCENARIO = """\
name = "slow"
steps = 60
seed = 1

[network]
kind = "barabasi_albert"
n = 20000
m = 4

[content]
visibility = 1.0
appeal = 0.7
stickiness = 0.6

[seeding]
strategy = "degree"
budget = 20
"""


def write_experiment(folder: Path, body: str, scenario: str = SMALL_SCENARIO) -> Path:
    """Write ``base.toml`` and ``experiment.toml`` (scenario = "base.toml" + body)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "base.toml").write_text(scenario, encoding="utf-8")
    path = folder / "experiment.toml"
    path.write_text(f'scenario = "base.toml"\n{body}', encoding="utf-8")
    return path


def sorted_results(folder: Path) -> pd.DataFrame:
    """The results table in a canonical order (point, then replicate)."""
    frame = pd.read_parquet(folder)
    return frame.sort_values(["point", "run"], kind="stable").reset_index(drop=True)


def wom(*args: str, **kwargs) -> subprocess.Popen:
    """Start ``python -m simulation ARGS`` in its own process group (so it can be killed whole)."""
    return subprocess.Popen(
        [sys.executable, "-m", "simulation", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        **kwargs,
    )


def kill_group(process: subprocess.Popen) -> None:
    """SIGKILL a process and everything in its process group; wait for it."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=30)


@dataclass
class Cluster:
    """A Dask scheduler and workers running as separate processes on 127.0.0.1."""

    address: str
    scheduler: subprocess.Popen
    workers: list[subprocess.Popen] = field(default_factory=list)


def _worker_env() -> dict[str, str]:
    return {**os.environ, "NUMBA_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}


@contextlib.contextmanager
def dask_cluster(folder: Path, workers: int = 2, *, nanny: bool = True) -> Iterator[Cluster]:
    """Start ``dask scheduler`` and ``dask worker`` processes; stop them all afterwards."""
    from distributed import Client

    folder.mkdir(parents=True, exist_ok=True)
    scheduler_file = folder / "scheduler.json"
    logs = open(folder / "dask.log", "w")  # noqa: SIM115 - closed in the finally below
    processes: list[subprocess.Popen] = []
    try:
        scheduler = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "dask",
                "scheduler",
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--no-dashboard",
                "--scheduler-file",
                str(scheduler_file),
            ],
            stdout=logs,
            stderr=logs,
            start_new_session=True,
        )
        processes.append(scheduler)
        deadline = time.monotonic() + 60
        address = None
        while address is None:
            if time.monotonic() > deadline or scheduler.poll() is not None:
                raise RuntimeError(f"the Dask scheduler did not start; see {folder / 'dask.log'}")
            with contextlib.suppress(FileNotFoundError, ValueError, KeyError):
                address = json.loads(scheduler_file.read_text())["address"]
            time.sleep(0.1)
        cluster = Cluster(address, scheduler)
        for i in range(workers):
            worker = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "dask",
                    "worker",
                    address,
                    "--nthreads",
                    "1",
                    "--host",
                    "127.0.0.1",
                    "--no-dashboard",
                    "--nanny" if nanny else "--no-nanny",
                    "--name",
                    f"worker-{i}",
                    "--local-directory",
                    str(folder / f"worker-{i}"),
                ],
                stdout=logs,
                stderr=logs,
                start_new_session=True,
                env=_worker_env(),
            )
            processes.append(worker)
            cluster.workers.append(worker)
        with Client(address, timeout="30s") as client:
            client.wait_for_workers(workers, timeout=120)
            # Import the engine (and load the compiled kernel) on every worker before timing
            # anything, so the tests' sweeps do not race the workers' start-up.
            client.run(exec, "import simulation.engine")
        yield cluster
    finally:
        for process in reversed(processes):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        for process in reversed(processes):
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                kill_group(process)
        logs.close()
