"""The sweep engine on real Dask clusters: same numbers anywhere, resumable, survives workers.

The clusters are real: a scheduler and workers started as separate processes on 127.0.0.1,
local clusters started by the sweep, and ``wom sweep`` run as a subprocess and killed.
"""

from __future__ import annotations

import json
import signal
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from sweep_helpers import (
    SLOW_SCENARIO,
    dask_cluster,
    kill_group,
    sorted_results,
    wom,
    write_experiment,
)

from experiments.design import load_experiment
from experiments.sweep import (
    MANIFEST,
    MAX_TASK_RUNS,
    Task,
    default_task_runs,
    plan_tasks,
    read_manifest,
    run_sweep,
)
from simulation.cli import main
from simulation.engine import simulate
from simulation.errors import ScenarioError

pytestmark = pytest.mark.timeout(600)

IDENTITY = """\
name = "identity"
runs = 24
seed = 5

[grid]
"content.stickiness" = [0.2, 0.6]
"network" = [
    {kind = "watts_strogatz", n = 120, k = 4, rewire = 0.1},
    {kind = "barabasi_albert", n = 120, m = 2},
]
"""

SLOW = """\
name = "slow"
runs = 200
seed = 9
task_runs = 10

[grid]
"content.stickiness" = [0.5, 0.6]
"""


@pytest.fixture(scope="module")
def warm_kernel(tmp_path_factory) -> None:
    """Compile (or load) the kernel here first, so worker processes load it from the cache."""
    design = load_experiment(write_experiment(tmp_path_factory.mktemp("warm"), IDENTITY))
    simulate(design.points[0].scenario, runs=2)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory, warm_kernel):
    with dask_cluster(tmp_path_factory.mktemp("dask")) as running:
        yield running


@pytest.fixture(scope="module")
def identity(tmp_path_factory) -> Path:
    return write_experiment(tmp_path_factory.mktemp("identity"), IDENTITY)


@pytest.fixture(scope="module")
def by_address(cluster, identity, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("by-address") / "results"
    run_sweep(load_experiment(identity), out, scheduler=cluster.address)
    return out


@pytest.fixture(scope="module")
def slow(tmp_path_factory) -> Path:
    return write_experiment(tmp_path_factory.mktemp("slow"), SLOW, SLOW_SCENARIO)


@pytest.fixture(scope="module")
def slow_reference(cluster, slow, tmp_path_factory) -> pd.DataFrame:
    """The slow experiment swept without interruption."""
    out = tmp_path_factory.mktemp("slow-reference") / "results"
    run_sweep(load_experiment(slow), out, scheduler=cluster.address)
    return sorted_results(out)


# --------------------------------------------------------------------------- tasks


@settings(deadline=None, max_examples=60)
@given(points=st.integers(1, 30), runs=st.integers(1, 3000), workers=st.integers(1, 64))
def test_default_tasks_cover_every_replicate_once_and_feed_every_worker(points, runs, workers):
    design = SimpleNamespace(points=[SimpleNamespace(index=i) for i in range(points)], runs=runs)
    task_runs = default_task_runs(points, runs, workers)
    tasks = plan_tasks(design, task_runs)
    covered = sorted((t.point, r) for t in tasks for r in range(t.first_run, t.first_run + t.runs))
    assert covered == [(p, r) for p in range(points) for r in range(runs)]
    assert all(1 <= t.runs <= MAX_TASK_RUNS for t in tasks)
    assert len(tasks) >= min(points * runs, workers)


def test_tasks_cut_each_point_into_contiguous_slices(identity):
    design = load_experiment(identity)
    tasks = plan_tasks(design, 7)
    for point in design.points:
        mine = [t for t in tasks if t.point == point.index]
        assert [t.first_run for t in mine] == [0, 7, 14, 21]
        assert [t.runs for t in mine] == [7, 7, 7, 3]
    assert len({t.part for t in tasks}) == len(tasks)
    assert Task(3, 14, 7).part == Task(3, 14, 7).part == "part-00003-0000014-0000020.parquet"


# --------------------------------------------------------------------------- same numbers


def test_external_cluster_local_cluster_and_one_worker_give_identical_results(
    by_address, identity, tmp_path
):
    design = load_experiment(identity)
    run_sweep(design, tmp_path / "local", workers=2)
    run_sweep(design, tmp_path / "one", workers=1)
    reference = sorted_results(by_address)
    # The task sizes differ with the number of workers; the numbers must not.
    assert read_manifest(tmp_path / "one")["task_runs"] != read_manifest(by_address)["task_runs"]
    pd.testing.assert_frame_equal(sorted_results(tmp_path / "local"), reference, check_exact=True)
    pd.testing.assert_frame_equal(sorted_results(tmp_path / "one"), reference, check_exact=True)


def test_every_row_is_the_engines_replicate_with_the_experiment_seed(by_address, identity):
    design = load_experiment(identity)
    frame = sorted_results(by_address)
    for point in design.points:
        expected = simulate(point.scenario, runs=design.runs, seed=design.seed)
        rows = frame[frame["point"] == point.index]
        assert rows["run"].tolist() == list(range(design.runs))
        for metric in design.metric_columns:
            np.testing.assert_array_equal(rows[metric].to_numpy(), expected.values[metric])


def test_results_have_a_row_per_replicate_and_a_column_per_key_and_metric(by_address, identity):
    design = load_experiment(identity)
    frame = pd.read_parquet(by_address)
    assert len(frame) == 4 * 24
    assert not frame.duplicated(["point", "run"]).any()
    assert list(frame.columns[:5]) == ["point", "content.stickiness", "network", "run", "seed"]
    assert list(frame.columns[5:]) == design.metric_columns
    assert frame["content.stickiness"].dtype == np.float64
    assert set(frame["network"]) == {
        "watts_strogatz(n=120, k=4, rewire=0.1)",
        "barabasi_albert(n=120, m=2)",
    }
    assert (frame["seed"] == 5).all()
    assert frame["sharers"].dtype == np.int64


def test_manifest_records_experiment_scenario_versions_and_done_tasks(by_address, identity):
    design = load_experiment(identity)
    manifest = json.loads((by_address / MANIFEST).read_text())
    assert manifest["experiment"]["name"] == "identity"
    assert manifest["experiment"]["grid"]["content.stickiness"] == [0.2, 0.6]
    assert manifest["scenario"] == design.base.to_toml_dict()
    assert manifest["fingerprint"] == design.fingerprint()
    for package in ("python", "numpy", "numba", "mesa", "networkx", "dask", "wom-sim"):
        assert manifest["versions"][package]
    tasks = plan_tasks(design, manifest["task_runs"])
    assert manifest["complete"] is True
    assert manifest["done"] == sorted(t.as_list() for t in tasks)
    assert manifest["points_done"] == [0, 1, 2, 3]
    assert sorted(p.name for p in by_address.glob("part-*.parquet")) == sorted(
        t.part for t in tasks
    )


def test_progress_bar_counts_replicates_when_asked_and_is_quiet_otherwise(
    cluster, identity, tmp_path, capsys
):
    design = load_experiment(identity)
    run_sweep(design, tmp_path / "shown", scheduler=cluster.address, progress=True)
    assert "96/96" in capsys.readouterr().err
    run_sweep(design, tmp_path / "quiet", scheduler=cluster.address)  # stderr is not a terminal
    assert capsys.readouterr().err == ""


# --------------------------------------------------------------------------- results are kept


def test_a_folder_holding_other_results_is_refused_and_left_alone(by_address, identity, tmp_path):
    before = {p.name: p.stat().st_mtime_ns for p in by_address.iterdir()}
    other = identity.parent / "other.toml"
    other.write_text(identity.read_text().replace("seed = 5", "seed = 6"))
    for args in (
        [str(other), "--out", str(by_address), "--resume"],
        [str(identity), "--out", str(by_address)],
    ):
        result = CliRunner().invoke(main, ["sweep", *args])
        assert result.exit_code == 2, result.output
        assert "Traceback" not in result.output
    assert (
        "different experiment"
        in CliRunner()
        .invoke(main, ["sweep", str(other), "--out", str(by_address), "--resume"])
        .output
    )
    assert (
        "--resume"
        in CliRunner().invoke(main, ["sweep", str(identity), "--out", str(by_address)]).output
    )
    (tmp_path / "notes.txt").write_text("mine")
    result = CliRunner().invoke(main, ["sweep", str(identity), "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "holds no sweep results" in result.output
    assert {p.name: p.stat().st_mtime_ns for p in by_address.iterdir()} == before


def test_resuming_a_finished_sweep_runs_nothing(by_address, identity):
    # An unreachable scheduler: resuming must not even need a cluster.
    result = run_sweep(
        load_experiment(identity), by_address, scheduler="tcp://127.0.0.1:9", resume=True
    )
    assert (result.ran, result.skipped) == (0, result.tasks)


def test_a_scenario_error_on_a_worker_names_the_design_point(cluster, tmp_path):
    experiment = write_experiment(
        tmp_path,
        'name = "bad seed"\nruns = 4\n[grid]\n"seeding.strategy" = ["nodes"]\n'
        '"seeding.nodes" = [["1", "2"], ["1", "9999"]]\n',
    )
    with pytest.raises(ScenarioError) as caught:
        run_sweep(load_experiment(experiment), tmp_path / "out", scheduler=cluster.address)
    message = str(caught.value)
    assert "point 1" in message
    assert "'9999'" in message


# --------------------------------------------------------------------------- failures


def _wait_for_parts(folder: Path, count: int, process=None, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while len(list(folder.glob("part-*.parquet"))) < count:
        if process is not None and process.poll() is not None:
            raise AssertionError(f"the sweep ended early: {process.communicate()}")
        assert time.monotonic() < deadline, "no parts appeared"
        time.sleep(0.02)


def test_a_sweep_killed_with_sigkill_resumes_losing_and_repeating_nothing(
    slow, slow_reference, tmp_path
):
    out = tmp_path / "results"
    process = wom("sweep", str(slow), "--out", str(out), "--workers", "1")
    try:
        _wait_for_parts(out, 3, process)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        kill_group(process)  # and the local cluster's worker processes
    parts = {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in out.glob("part-*.parquet")}
    tasks = read_manifest(out)["tasks"]
    assert 3 <= len(parts) < tasks, "the sweep must be killed part-way"
    for name in parts:
        pq.read_table(out / name)  # every part that counts is whole

    resumed = wom("sweep", str(slow), "--out", str(out), "--workers", "1", "--resume")
    try:
        stdout, stderr = resumed.communicate(timeout=300)
    finally:
        kill_group(resumed)
    assert resumed.returncode == 0, stderr
    assert f"{tasks - len(parts)} tasks run, {len(parts)} already done" in stdout
    assert "run/s" not in stderr  # no progress bar when stderr is not a terminal
    for name, identity in parts.items():  # nothing done was redone
        assert ((out / name).stat().st_ino, (out / name).stat().st_mtime_ns) == identity

    frame = sorted_results(out)
    assert frame.groupby(["point", "run"]).size().eq(1).all()
    assert len(frame) == 2 * 200
    pd.testing.assert_frame_equal(frame, slow_reference, check_exact=True)
    assert read_manifest(out)["complete"] is True
    assert not list(out.glob(".*.tmp"))


def test_a_worker_killed_mid_sweep_has_its_tasks_redone(slow, slow_reference, tmp_path):
    out = tmp_path / "results"
    with dask_cluster(tmp_path / "dask", workers=2, nanny=False) as running:
        outcome: dict[str, object] = {}

        def sweep() -> None:
            try:
                outcome["result"] = run_sweep(load_experiment(slow), out, scheduler=running.address)
            except BaseException as exc:  # reported by the assertion below
                outcome["error"] = exc

        thread = threading.Thread(target=sweep)
        thread.start()
        _wait_for_parts(out, 2)
        victim = running.workers[0]
        kill_group(victim)
        done_when_killed = len(list(out.glob("part-*.parquet")))
        thread.join(timeout=300)
    assert victim.returncode == -signal.SIGKILL
    assert not thread.is_alive()
    assert "error" not in outcome, outcome.get("error")
    assert done_when_killed < outcome["result"].tasks
    frame = sorted_results(out)
    assert frame.groupby(["point", "run"]).size().eq(1).all()
    pd.testing.assert_frame_equal(frame, slow_reference, check_exact=True)
