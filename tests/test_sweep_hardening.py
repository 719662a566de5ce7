"""Sweeps that must not blow up, hang or lose results: sizes, addresses, locks, faults.

Table-driven cases (each: exit 2 with a message naming the key and the limit, or exit 0 with
the right results; never a traceback; within a time bound), then fault injection on real Dask
processes: a second sweep into a locked folder, SIGKILL and resume, corrupt parts, a full disk
(a real small tmpfs where mounting is allowed, and a monkeypatched write everywhere), a
read-only folder.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from fault_helpers import enospc, fill, read_only_folder, small_disk
from sweep_helpers import (
    SLOW_SCENARIO,
    dask_cluster,
    kill_group,
    sorted_results,
    wom,
    write_experiment,
)

from experiments.design import load_experiment
from experiments.sweep import LOCK, FolderLock, read_manifest, run_sweep
from simulation.cli import main

pytestmark = pytest.mark.timeout(600)

TIME_BOUND = 60

SMALL = """\
name = "small"
runs = 40
seed = 4
task_runs = 5

[grid]
"content.stickiness" = [0.3, 0.6]
"""


def invoke(*args: str, env: dict[str, str] | None = None):
    """Run ``wom ARGS`` in this process; return the result and the seconds it took."""
    started = time.monotonic()
    result = CliRunner().invoke(main, list(args), env=env)
    return result, time.monotonic() - started


def assert_clean(result, seconds: float) -> None:
    """No traceback, no internal error, within the time bound."""
    assert "Traceback" not in result.output
    assert result.exit_code in (0, 2), (result.exit_code, result.output, result.exception)
    if result.exit_code == 2:
        assert isinstance(result.exception, SystemExit), result.exception
    assert seconds < TIME_BOUND, seconds


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    from simulation.engine import simulate

    design = load_experiment(write_experiment(tmp_path_factory.mktemp("warm"), SMALL))
    simulate(design.points[0].scenario, runs=2)  # compile the kernel here, once
    with dask_cluster(tmp_path_factory.mktemp("dask"), workers=1) as running:
        yield running


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> Path:
    return write_experiment(tmp_path_factory.mktemp("small"), SMALL)


@pytest.fixture(scope="module")
def reference(cluster, small, tmp_path_factory) -> pd.DataFrame:
    out = tmp_path_factory.mktemp("reference") / "results"
    run_sweep(load_experiment(small), out, scheduler=cluster.address)
    return sorted_results(out)


# --------------------------------------------------------------------------- sizes and options


def _experiment(folder: Path, body: str) -> str:
    return str(write_experiment(folder, body))


SIZE_CASES = [
    (
        "grid of 10^10 points",
        'name = "g"\n[grid]\n'
        + "".join(f'"content.appeal" = {[i / 10 for i in range(10)]}\n' for _ in range(1))
        + "".join(
            f'"{k}" = {list(range(1, 11))}\n'
            for k in (
                "seeding.budget",
                "network.k",
                "steps",
                "runs",
                "seed",
                "network.n",
                "content.stickiness",
                "content.visibility",
                "network.rewire",
            )
        ),
        "points",
        "WOM_MAX_DESIGN_POINTS",
    ),
    (
        "[sample] count at the schema maximum",
        'name = "s"\n[sample]\ncount = 1000000\n[sample.ranges]\n"content.appeal" = [0.1, 0.5]\n',
        "key 'sample.count'",
        "at most 10,000",
    ),
    (
        "points x runs",
        'name = "r"\nruns = 10000000\n[grid]\n"content.appeal" = [0.1, 0.2]\n',
        "key 'runs'",
        "20,000,000 replicates",
    ),
    (
        "tasks",
        'name = "t"\nruns = 400000\ntask_runs = 1\n[grid]\n"content.appeal" = [0.1]\n',
        "key 'task_runs'",
        "400,000 tasks",
    ),
]


@pytest.mark.parametrize("case", SIZE_CASES, ids=[c[0] for c in SIZE_CASES])
def test_too_large_a_sweep_is_refused_before_any_work(case, tmp_path):
    _, body, where, message = case
    out = tmp_path / "out"
    result, seconds = invoke("sweep", _experiment(tmp_path, body), "--out", str(out))
    assert_clean(result, seconds)
    assert result.exit_code == 2, result.output
    assert where in result.output, result.output
    assert message in result.output, result.output
    assert not out.exists(), "nothing may be written"


def test_a_limit_can_be_raised_and_a_bad_limit_is_named(tmp_path):
    body = 'name = "s"\n[sample]\ncount = 20\n[sample.ranges]\n"content.appeal" = [0.1, 0.5]\n'
    path = _experiment(tmp_path, body)
    result, _ = invoke(
        "sweep", path, "--out", str(tmp_path / "o"), env={"WOM_MAX_DESIGN_POINTS": "10"}
    )
    assert result.exit_code == 2
    assert "at most 10:" in result.output
    result, _ = invoke(
        "sweep", path, "--out", str(tmp_path / "o"), env={"WOM_MAX_DESIGN_POINTS": "lots"}
    )
    assert result.exit_code == 2
    assert "environment variable WOM_MAX_DESIGN_POINTS" in result.output
    # Within the limits, the same file expands (validated, not run).
    assert len(load_experiment(path).points) == 20


@pytest.mark.parametrize(
    "address",
    ["foo", "tcp://", "tcp://127.0.0.1:notaport", "http://127.0.0.1:8786", "tcp://127.0.0.1:99999"],
)
def test_a_malformed_scheduler_address_is_refused(address, small, tmp_path):
    result, seconds = invoke(
        "sweep", str(small), "--out", str(tmp_path / "o"), "--scheduler", address
    )
    assert_clean(result, seconds)
    assert result.exit_code == 2
    assert "--scheduler" in result.output
    assert "not a Dask scheduler address" in result.output
    assert seconds < 10


def test_a_port_that_is_not_a_scheduler_times_out_with_a_message(silent_port, small, tmp_path):
    out = tmp_path / "o"
    result, seconds = invoke(
        "sweep",
        str(small),
        "--out",
        str(out),
        "--scheduler",
        f"tcp://127.0.0.1:{silent_port}",
        env={"WOM_SCHEDULER_TIMEOUT": "1"},
    )
    assert_clean(result, seconds)
    assert result.exit_code == 2
    assert "no answer within 1 s" in result.output
    assert "WOM_SCHEDULER_TIMEOUT" in result.output
    assert seconds < 15
    assert not out.exists()


def test_a_closed_port_is_refused_with_a_message(small, tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed once the with ends
    result, seconds = invoke(
        "sweep",
        str(small),
        "--out",
        str(tmp_path / "o"),
        "--scheduler",
        f"tcp://127.0.0.1:{port}",
        env={"WOM_SCHEDULER_TIMEOUT": "1"},
    )
    assert_clean(result, seconds)
    assert result.exit_code == 2
    assert "cannot use the Dask scheduler" in result.output


def test_workers_above_the_cores_are_capped_with_a_warning(small, reference, tmp_path):
    import dask.system

    out = tmp_path / "o"
    result, seconds = invoke("sweep", str(small), "--out", str(out), "--workers", "64")
    assert_clean(result, seconds)
    assert result.exit_code == 0, result.output
    cores = dask.system.CPU_COUNT
    assert f"--workers 64 is more than this machine's {cores} cores; using {cores}" in result.output
    assert read_manifest(out)["engine"]["threads"] == cores
    pd.testing.assert_frame_equal(sorted_results(out), reference, check_exact=True)


def test_out_that_is_a_file_or_read_only_is_refused(small, tmp_path):
    (tmp_path / "file").write_text("mine")
    result, seconds = invoke("sweep", str(small), "--out", str(tmp_path / "file"))
    assert_clean(result, seconds)
    assert result.exit_code == 2
    assert (tmp_path / "file").read_text() == "mine"
    with read_only_folder(tmp_path / "locked") as locked:
        for out in (locked, locked / "new"):
            result, seconds = invoke("sweep", str(small), "--out", str(out))
            assert_clean(result, seconds)
            assert result.exit_code == 2
            assert "cannot write in" in result.output


# --------------------------------------------------------------------------- the lock


def _hold_lock(folder: Path) -> subprocess.Popen:
    """Another process holding the folder's lock (as a running sweep does)."""
    code = (
        "import sys, time; from pathlib import Path; from experiments.sweep import FolderLock; "
        "FolderLock(Path(sys.argv[1])).acquire(); print('locked', flush=True); time.sleep(600)"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", code, str(folder)], stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout.readline().strip() == "locked"
    return holder


def test_a_locked_folder_is_refused_and_a_dead_holders_lock_is_taken_over(
    cluster, small, reference, tmp_path
):
    out = tmp_path / "results"
    out.mkdir()
    holder = _hold_lock(out)
    try:
        result, seconds = invoke(
            "sweep", str(small), "--out", str(out), "--scheduler", cluster.address
        )
        assert_clean(result, seconds)
        assert result.exit_code == 2
        assert f"another `wom sweep` (pid {holder.pid} on" in result.output
        assert sorted(p.name for p in out.iterdir()) == [LOCK]
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(30)
    assert (out / LOCK).exists(), "a killed holder leaves its file, not its lock"
    result, _ = invoke("sweep", str(small), "--out", str(out), "--scheduler", cluster.address)
    assert result.exit_code == 0, result.output
    assert not (out / LOCK).exists()
    pd.testing.assert_frame_equal(sorted_results(out), reference, check_exact=True)


def test_the_lock_is_exclusive_within_one_process_too(tmp_path):
    first = FolderLock(tmp_path)
    first.acquire()
    try:
        with pytest.raises(Exception, match="another `wom sweep`"):
            FolderLock(tmp_path).acquire()
    finally:
        first.release()
    with FolderLock(tmp_path):
        pass


SLOW = """\
name = "slow"
runs = 600
seed = 9
task_runs = 10

[grid]
"content.stickiness" = [0.5, 0.6]
"""


def _wait_for_parts(folder: Path, count: int, process, timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    while len(list(folder.glob("part-*.parquet"))) < count:
        if process.poll() is not None:
            raise AssertionError(f"the sweep ended early: {process.communicate()}")
        assert time.monotonic() < deadline, "no parts appeared"
        time.sleep(0.05)


def test_a_second_sweep_is_refused_then_sigkill_and_resume_lose_nothing(cluster, tmp_path):
    slow = write_experiment(tmp_path / "exp", SLOW, SLOW_SCENARIO)
    reference = tmp_path / "reference"
    run_sweep(load_experiment(slow), reference, scheduler=cluster.address)

    out = tmp_path / "results"
    first = wom("sweep", str(slow), "--out", str(out), "--scheduler", cluster.address)
    try:
        _wait_for_parts(out, 2, first)
        second = wom("sweep", str(slow), "--out", str(out), "--scheduler", cluster.address)
        _, stderr = second.communicate(timeout=TIME_BOUND)
        assert second.returncode == 2, stderr
        assert "another `wom sweep`" in stderr
        assert "Traceback" not in stderr
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
    finally:
        kill_group(first)
    kept = {p.name: p.stat().st_mtime_ns for p in out.glob("part-*.parquet")}
    tasks = read_manifest(out)["tasks"]
    assert 2 <= len(kept) < tasks, "the sweep must be killed part-way"

    resumed = wom("sweep", str(slow), "--out", str(out), "--scheduler", cluster.address, "--resume")
    try:
        stdout, stderr = resumed.communicate(timeout=300)
    finally:
        kill_group(resumed)
    assert resumed.returncode == 0, stderr
    assert f"{tasks - len(kept)} tasks run, {len(kept)} already done" in stdout
    for name, mtime in kept.items():
        assert (out / name).stat().st_mtime_ns == mtime
    frame = sorted_results(out)
    assert frame.groupby(["point", "run"]).size().eq(1).all()
    pd.testing.assert_frame_equal(frame, sorted_results(reference), check_exact=True)


def test_resume_refuses_a_folder_of_another_experiment(cluster, small, tmp_path):
    out = tmp_path / "results"
    run_sweep(load_experiment(small), out, scheduler=cluster.address)
    other = write_experiment(tmp_path / "other", SMALL.replace("seed = 4", "seed = 5"))
    result, seconds = invoke(
        "sweep", str(other), "--out", str(out), "--resume", "--scheduler", cluster.address
    )
    assert_clean(result, seconds)
    assert result.exit_code == 2
    assert "different experiment" in result.output


# --------------------------------------------------------------------------- corrupt parts


def _corrupt(out: Path) -> dict[str, str]:
    """Damage five parts in five ways; return part name -> what was done."""
    parts = sorted(out.glob("part-*.parquet"))
    truncated, garbage, schema, rows, values = parts[0], parts[3], parts[5], parts[8], parts[12]
    data = truncated.read_bytes()
    truncated.write_bytes(data[: len(data) // 2])
    garbage.write_bytes(b"junk\n")
    table = pq.read_table(schema)
    pq.write_table(table.drop_columns(["seed"]), schema)
    table = pq.read_table(rows)
    pq.write_table(table.slice(0, 3), rows)
    table = pq.read_table(values)
    run = pa.array(table.column("run").to_numpy() + 1000)
    pq.write_table(table.set_column(table.column_names.index("run"), "run", run), values)
    stray = out / "part-00000-0000000-0000009.parquet"  # a task of another task size
    pq.write_table(pq.read_table(parts[1]), stray)
    return {
        truncated.name: "not a readable Parquet file",
        garbage.name: "not a readable Parquet file",
        schema.name: "columns are not this sweep's",
        rows.name: "has 3 rows; its task has 5 replicates",
        values.name: "replicates are not",
        stray.name: "not a task of this sweep",
    }


def _line(output: str, start: str) -> str:
    lines = [line for line in output.splitlines() if line.startswith(start)]
    assert len(lines) == 1, (start, output)
    return lines[0]


def test_corrupt_parts_are_reported_around_then_moved_aside_and_rerun(
    cluster, small, reference, tmp_path
):
    out = tmp_path / "results"
    run_sweep(load_experiment(small), out, scheduler=cluster.address)
    damaged = _corrupt(out)

    result, seconds = invoke("report", str(out))
    assert_clean(result, seconds)
    assert result.exit_code == 0, result.output
    for name, reason in damaged.items():
        assert reason in _line(result.output, f"warning: {name} is not a whole result (")
    summary = pd.read_csv(out / "_report" / "summary.csv")
    assert summary["runs"].sum() < 2 * 40 * summary["metric"].nunique()

    result, seconds = invoke(
        "sweep", str(small), "--out", str(out), "--resume", "--scheduler", cluster.address
    )
    assert_clean(result, seconds)
    assert result.exit_code == 0, result.output
    for name, reason in damaged.items():
        assert reason in _line(result.output, f"warning: {name} was not a whole result (")
        assert (out / "_corrupt" / name).exists()
    assert "5 tasks run, 11 already done" in result.output
    pd.testing.assert_frame_equal(sorted_results(out), reference, check_exact=True)
    again, _ = invoke("report", str(out))
    assert again.exit_code == 0
    assert "warning" not in again.output


def test_a_report_of_only_damaged_parts_is_a_clear_error(cluster, small, tmp_path):
    out = tmp_path / "results"
    run_sweep(load_experiment(small), out, scheduler=cluster.address)
    for part in out.glob("part-*.parquet"):
        part.write_bytes(b"junk")
    result, seconds = invoke("report", str(out))
    assert_clean(result, seconds)
    assert result.exit_code == 2
    assert "no part of the sweep could be read" in result.output


# --------------------------------------------------------------------------- full disk


def test_a_full_disk_stops_the_sweep_and_resume_finishes_it(
    cluster, small, reference, tmp_path, monkeypatch
):
    out = tmp_path / "results"
    real = pq.write_table
    calls = {"n": 0}

    def fills_up(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] > 6:
            enospc()
        return real(*args, **kwargs)

    monkeypatch.setattr(pq, "write_table", fills_up)
    result, seconds = invoke("sweep", str(small), "--out", str(out), "--scheduler", cluster.address)
    assert_clean(result, seconds)
    assert result.exit_code == 2
    assert "the sweep stopped: could not write part-" in result.output
    assert "no space left on the device" in result.output
    assert "6 of 16 tasks are written" in result.output
    assert "--resume" in result.output
    assert len(list(out.glob("part-*.parquet"))) == 6
    assert not list(out.glob(".*.tmp"))
    assert not (out / LOCK).exists()

    monkeypatch.setattr(pq, "write_table", real)  # space freed
    result, _ = invoke(
        "sweep", str(small), "--out", str(out), "--resume", "--scheduler", cluster.address
    )
    assert result.exit_code == 0, result.output
    assert "10 tasks run, 6 already done" in result.output
    pd.testing.assert_frame_equal(sorted_results(out), reference, check_exact=True)


def test_a_real_full_disk_stops_the_sweep_and_resume_finishes_it(
    cluster, small, reference, tmp_path
):
    disk = tmp_path / "disk"
    with small_disk(disk, "2m"):
        out = disk / "results"
        part = len((next(iter(sorted(_parts_of(cluster, small, tmp_path))))).read_bytes())
        filler = fill(disk, leave=6 * part + 16384)
        result, seconds = invoke(
            "sweep", str(small), "--out", str(out), "--scheduler", cluster.address
        )
        assert_clean(result, seconds)
        assert result.exit_code == 2, result.output
        assert "no space left on the device" in result.output
        written = len(list(out.glob("part-*.parquet")))
        assert 0 < written < 16
        assert not list(out.glob(".*.tmp"))
        filler.unlink()
        result, _ = invoke(
            "sweep", str(small), "--out", str(out), "--resume", "--scheduler", cluster.address
        )
        assert result.exit_code == 0, result.output
        assert f"{16 - written} tasks run, {written} already done" in result.output
        pd.testing.assert_frame_equal(sorted_results(out), reference, check_exact=True)


def _parts_of(cluster, small: Path, tmp_path: Path) -> list[Path]:
    out = tmp_path / "sizes"
    run_sweep(load_experiment(small), out, scheduler=cluster.address)
    return list(out.glob("part-*.parquet"))


def test_manifest_lists_the_part_schema(cluster, small, tmp_path):
    out = tmp_path / "results"
    run_sweep(load_experiment(small), out, scheduler=cluster.address)
    manifest = json.loads((out / "_manifest.json").read_text())
    first = pq.read_schema(next(out.glob("part-*.parquet")))
    assert manifest["schema"] == [str(f.type) for f in first]
    assert os.listdir(out).count(LOCK) == 0
