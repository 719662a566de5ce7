"""Output paths of ``wom run --out`` and ``wom report --out``: checked first, written whole.

Table-driven: each case is a command and what must come of it: exit 2 with a message that
names the problem (and the input left as it was), or exit 0 with the right output; never a
traceback, always within a time bound. Faults: a read-only folder, a full disk (a real small
tmpfs where mounting is allowed, and a write monkeypatched to fail with ENOSPC everywhere).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from fault_helpers import enospc, fill, read_only_folder, small_disk

from simulation.cli import main

pytestmark = pytest.mark.timeout(300)

# Seconds any one case may take (a small scenario: the run itself is a fraction of this).
TIME_BOUND = 60

SCENARIO = """\
name = "outputs"
steps = 20
runs = 4
seed = 3

[network]
kind = "watts_strogatz"
n = 100
k = 4
rewire = 0.1

[seeding]
strategy = "degree"
budget = 3
"""

EDGE_SCENARIO = """\
name = "edges"
steps = 10
runs = 3
seed = 1

[network]
kind = "edge_list"
path = "ties.csv"

[seeding]
strategy = "degree"
budget = 1
"""


def invoke(*args: str):
    """Run ``wom ARGS`` in this process; return the result and the seconds it took."""
    started = time.monotonic()
    result = CliRunner().invoke(main, list(args))
    return result, time.monotonic() - started


def assert_clean(result, seconds: float) -> None:
    """No traceback, no internal error, within the time bound."""
    assert "Traceback" not in result.output
    assert result.exit_code in (0, 2), (result.exit_code, result.output, result.exception)
    if result.exit_code == 2:
        assert isinstance(result.exception, SystemExit), result.exception
    assert seconds < TIME_BOUND


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "s.toml").write_text(SCENARIO, encoding="utf-8")
    (tmp_path / "e.toml").write_text(EDGE_SCENARIO, encoding="utf-8")
    (tmp_path / "ties.csv").write_text("a b\nb c\nc d\nd a\n", encoding="utf-8")
    return tmp_path


@dataclass
class Case:
    """One ``wom run --out`` case: how to set it up, the scenario, and what must happen."""

    name: str
    out: Callable[[Path], Path]
    expect: int
    message: str = ""
    scenario: str = "s.toml"


def _symlink_to_dev_null(folder: Path) -> Path:
    link = folder / "null.json"
    link.symlink_to("/dev/null")
    return link


def _fifo(folder: Path) -> Path:
    path = folder / "pipe.csv"
    os.mkfifo(path)
    return path


def _unrelated(folder: Path) -> Path:
    path = folder / "notes.json"
    path.write_text('{"mine": true}\n', encoding="utf-8")
    return path


def _earlier_result(folder: Path) -> Path:
    path = folder / "earlier.csv"
    path.write_text("run,seed,sharers\n0,1,2\n", encoding="utf-8")
    return path


def _folder_named_json(folder: Path) -> Path:
    path = folder / "results.json"
    path.mkdir()
    return path


def _hard_link_of_scenario(folder: Path) -> Path:
    path = folder / "same.json"
    os.link(folder / "s.toml", path)
    return path


CASES = [
    Case("scenario file itself", lambda f: f / "s.toml", 2, "input of the run"),
    Case("edge list", lambda f: f / "ties.csv", 2, "input of the run", scenario="e.toml"),
    Case("hard link of the scenario", _hard_link_of_scenario, 2, "input of the run"),
    Case("unknown suffix", lambda f: f / "out.txt", 2, "unknown file type '.txt'"),
    Case("no suffix", lambda f: f / "out", 2, "unknown file type '(no suffix)'"),
    Case("device via a symlink", _symlink_to_dev_null, 2, "not a regular file"),
    Case("FIFO with no reader", _fifo, 2, "not a regular file"),
    Case("a folder", _folder_named_json, 2, "is a directory"),
    Case("an unrelated file", _unrelated, 2, "not overwritten"),
    Case("an earlier result", _earlier_result, 0),
    Case("a new folder", lambda f: f / "new" / "deeper" / "r.json", 0),
    Case("json", lambda f: f / "r.json", 0),
    Case("csv", lambda f: f / "r.csv", 0),
    Case("parquet", lambda f: f / "r.parquet", 0),
    Case("upper-case suffix", lambda f: f / "R.CSV", 0),
]


def _snapshot(folder: Path) -> dict[str, bytes | str]:
    state: dict[str, bytes | str] = {}
    for path in sorted(folder.rglob("*")):
        if path.is_symlink():
            state[str(path)] = f"link to {os.readlink(path)}"
        elif path.is_file() and not _is_fifo(path):
            state[str(path)] = path.read_bytes()
        else:
            state[str(path)] = "other"
    return state


def _is_fifo(path: Path) -> bool:
    import stat

    return stat.S_ISFIFO(path.stat().st_mode)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_run_out(case: Case, folder: Path):
    out = case.out(folder)
    before = _snapshot(folder)
    result, seconds = invoke("run", str(folder / case.scenario), "--out", str(out))
    assert_clean(result, seconds)
    assert result.exit_code == case.expect, result.output
    if case.expect == 2:
        assert case.message in result.output
        assert "error:" in result.output.lower()
        assert _snapshot(folder) == before, "a refused --out must change nothing"
        return
    runs = 4
    suffix = out.suffix.lower()
    if suffix == ".json":
        document = json.loads(out.read_text(encoding="utf-8"))
        assert document["runs"] == runs
        assert len(document["metrics"]["sharers"]["values"]) == runs
    else:
        frame = pd.read_parquet(out) if suffix == ".parquet" else pd.read_csv(out)
        assert frame["run"].tolist() == list(range(runs))
        assert (frame["seed"] == 3).all()
        assert "sharers" in frame.columns
    assert not list(out.parent.glob(".*.tmp")), "no temporary file may be left"


def test_the_same_numbers_in_every_format(folder: Path):
    for name in ("r.json", "r.csv", "r.parquet"):
        result, _ = invoke("run", str(folder / "s.toml"), "--out", str(folder / name))
        assert result.exit_code == 0, result.output
    values = json.loads((folder / "r.json").read_text())["metrics"]["reach"]["values"]
    assert pd.read_csv(folder / "r.csv")["reach"].tolist() == values
    assert pd.read_parquet(folder / "r.parquet")["reach"].tolist() == values


def test_run_out_into_a_read_only_folder(folder: Path):
    with read_only_folder(folder / "locked") as locked:
        for name in ("r.json", "r.csv", "r.parquet"):
            result, seconds = invoke("run", str(folder / "s.toml"), "--out", str(locked / name))
            assert_clean(result, seconds)
            assert result.exit_code == 2
            assert "cannot write in" in result.output
            assert any(reason in result.output for reason in ("read-only", "permission denied")), (
                result.output
            )
            assert "runs, seed" not in result.output  # refused before the run


@pytest.mark.parametrize("name", ["r.json", "r.csv", "r.parquet"])
def test_run_out_on_a_full_disk_keeps_the_earlier_file(folder: Path, monkeypatch, name):
    out = folder / name
    first, _ = invoke("run", str(folder / "s.toml"), "--out", str(out), "--seed", "1")
    assert first.exit_code == 0
    earlier = out.read_bytes()
    # Every way the three formats write: Python files, pandas and pyarrow.
    import pyarrow.parquet as pq

    real_write_text = Path.write_text

    def full_write_text(self, *args, **kwargs):
        if self.name.endswith(".tmp"):
            enospc()
        return real_write_text(self, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", full_write_text)
    monkeypatch.setattr(pq, "write_table", enospc)
    result, seconds = invoke("run", str(folder / "s.toml"), "--out", str(out), "--seed", "2")
    assert_clean(result, seconds)
    assert result.exit_code == 2
    assert "no space left on the device" in result.output
    assert "earlier file is unchanged" in result.output
    assert "4 runs, seed 2" in result.output  # the results were shown before the write failed
    assert out.read_bytes() == earlier
    assert not list(folder.glob(".*.tmp"))


def test_run_out_on_a_real_full_disk(folder: Path, tmp_path_factory):
    disk = tmp_path_factory.mktemp("disk")
    with small_disk(disk, "256k"):
        fill(disk, leave=0)
        out = disk / "r.json"
        result, seconds = invoke("run", str(folder / "s.toml"), "--out", str(out))
        assert_clean(result, seconds)
        assert result.exit_code == 2
        assert "no space left on the device" in result.output
        assert not out.exists()
        assert [p.name for p in disk.iterdir()] == [".filler"]


# --------------------------------------------------------------------------- wom report --out


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> Path:
    from distributed import Client, LocalCluster
    from sweep_helpers import write_experiment

    from experiments.design import load_experiment
    from experiments.sweep import run_sweep

    folder = tmp_path_factory.mktemp("report-out")
    design = load_experiment(
        write_experiment(
            folder, 'name = "r"\nruns = 6\n[grid]\n"content.stickiness" = [0.2, 0.5]\n'
        )
    )
    with (
        LocalCluster(
            processes=False, n_workers=1, threads_per_worker=1, dashboard_address=":0"
        ) as cluster,
        Client(cluster) as client,
    ):
        run_sweep(design, folder / "results", client=client)
    return folder / "results"


def test_report_out_cases(results: Path, tmp_path: Path):
    (tmp_path / "a-file").write_text("x")
    cases = [
        (tmp_path / "a-file", 2, "Error"),  # click: not a folder
        (results, 2, "starts with '_'"),
        (results / "report", 2, "starts with '_'"),
        (results / "_mine", 0, ""),
        (tmp_path / "new" / "report", 0, ""),
    ]
    for out, expect, message in cases:
        result, seconds = invoke("report", str(results), "--out", str(out))
        assert_clean(result, seconds)
        assert result.exit_code == expect, (out, result.output)
        assert message in result.output
        if expect == 0:
            assert (out / "summary.csv").is_file()
            assert list(out.glob("*.png"))
            assert not list(out.glob(".*.tmp"))
    # The results are still readable as one table: nothing was written among the parts.
    assert len(pd.read_parquet(results)) == 12


def test_report_out_read_only(results: Path, tmp_path: Path):
    with read_only_folder(tmp_path / "locked") as locked:
        result, seconds = invoke("report", str(results), "--out", str(locked))
        assert_clean(result, seconds)
        assert result.exit_code == 2
        assert "cannot write in" in result.output


def test_report_out_full_disk_keeps_the_earlier_summary(results: Path, tmp_path: Path, monkeypatch):
    out = tmp_path / "report"
    assert invoke("report", str(results), "--out", str(out))[0].exit_code == 0
    earlier = (out / "summary.csv").read_bytes()
    monkeypatch.setattr(pd.DataFrame, "to_csv", enospc)
    result, seconds = invoke("report", str(results), "--out", str(out))
    assert_clean(result, seconds)
    assert result.exit_code == 2
    assert "no space left on the device" in result.output
    assert (out / "summary.csv").read_bytes() == earlier
    assert not list(out.glob(".*.tmp"))
