"""``wom report``: the summary per design point, its CSV, the plots, and its mistakes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from sweep_helpers import write_experiment

from experiments import report as report_module
from experiments.design import load_experiment
from experiments.report import make_report
from experiments.sweep import MANIFEST, run_sweep
from simulation.cli import main
from simulation.metrics import summarize

PNG = b"\x89PNG\r\n\x1a\n"

EXPERIMENT = """\
name = "report"
runs = 12
seed = 2

[grid]
"content.stickiness" = [0.2, 0.4, 0.6]
"network" = [
    {kind = "watts_strogatz", n = 100, k = 4, rewire = 0.1},
    {kind = "barabasi_albert", n = 100, m = 2},
]
"seeding.budget" = [2, 4]

[report]
metrics = ["sharers", "reach"]
by = "network"
"""


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> Path:
    from distributed import Client, LocalCluster

    folder = tmp_path_factory.mktemp("report")
    design = load_experiment(write_experiment(folder, EXPERIMENT))
    # Threads in this process: a cheap cluster for tests that are about the report.
    with (
        LocalCluster(
            processes=False, n_workers=1, threads_per_worker=2, dashboard_address=":0"
        ) as cluster,
        Client(cluster) as client,
    ):
        run_sweep(design, folder / "results", client=client)
    return folder / "results"


def test_summary_has_mean_and_intervals_of_every_metric_at_every_point(results, tmp_path):
    made = make_report(results, out=tmp_path)
    frame = pd.read_parquet(results)
    manifest = json.loads((results / MANIFEST).read_text())
    # One row per point and metric, but not for a metric with no value there (roi without cost).
    defined = frame.groupby("point")[manifest["metrics"]].count().gt(0).sum().sum()
    assert len(made.summary) == defined
    assert set(made.summary["metric"]) <= set(manifest["metrics"])
    for _, row in made.summary.iterrows():
        values = frame.loc[frame["point"] == row["point"], row["metric"]].to_numpy(np.float64)
        expected = summarize(values)
        assert row["runs"] == 12
        assert row["mean"] == pytest.approx(expected["mean"], rel=1e-12, abs=1e-12)
        assert [row["ci95_low"], row["ci95_high"]] == pytest.approx(expected["ci95"], abs=1e-9)
        assert [row["pi95_low"], row["pi95_high"]] == pytest.approx(expected["pi95"], abs=1e-9)
        point_rows = frame[frame["point"] == row["point"]]
        assert row["network"] == point_rows["network"].iloc[0]
    written = pd.read_csv(made.csv)
    assert list(written.columns) == list(made.summary.columns)
    assert len(written) == len(made.summary)


def test_plots_use_the_experiments_report_defaults(results, tmp_path):
    made = make_report(results, out=tmp_path)
    assert made.metrics == ["sharers", "reach"]
    assert [p.name for p in made.plots] == [
        "sharers-vs-content.stickiness-by-network.png",
        "reach-vs-content.stickiness-by-network.png",
    ]
    for path in made.plots:
        assert path.read_bytes().startswith(PNG)


def test_options_choose_the_metric_and_the_axes(results, tmp_path):
    made = make_report(
        results, metrics=["cascade_depth"], x="network", by="seeding.budget", out=tmp_path
    )
    assert [p.name for p in made.plots] == ["cascade_depth-vs-network-by-seeding.budget.png"]
    assert made.plots[0].read_bytes().startswith(PNG)
    assert made.notes == []


def test_too_many_panels_are_averaged_over_and_the_plot_says_so(results, tmp_path, monkeypatch):
    monkeypatch.setattr(report_module, "MAX_PANELS", 1)
    made = make_report(results, metrics=["sharers"], out=tmp_path)
    assert made.notes == ["sharers: averaged over seeding.budget (2 combinations)"]


def test_the_report_is_not_read_back_as_results(results):
    make_report(results)  # writes RESULTS/_report
    assert len(pd.read_parquet(results)) == 12 * 12


def test_an_unfinished_sweep_is_reported_with_a_note(results, tmp_path):
    partial = tmp_path / "partial"
    shutil.copytree(results, partial, ignore=shutil.ignore_patterns("_report"))
    manifest = json.loads((partial / MANIFEST).read_text())
    manifest["complete"] = False
    (partial / MANIFEST).write_text(json.dumps(manifest))
    next(partial.glob("part-*.parquet")).unlink()
    made = make_report(partial, out=tmp_path / "report")
    assert "the sweep is not finished" in made.notes[0]
    assert made.summary["runs"].min() < 12


def test_wom_report_prints_the_table_and_names_its_files(results, tmp_path):
    result = CliRunner().invoke(
        main, ["report", str(results), "--metric", "reach", "--out", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    assert "content.stickiness" in result.output
    assert "reach" in result.output
    assert f"summary: {tmp_path / 'summary.csv'}" in result.output
    assert "plot: " in result.output


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--metric", "reech"], "unknown metric 'reech' (did you mean 'reach'?)"),
        (["--x", "content.stickyness"], "did you mean 'content.stickiness'?"),
        (["--x", "network", "--by", "network"], "--x and --by are both 'network'"),
    ],
)
def test_report_mistakes_exit_2_with_a_message(results, tmp_path, args, expected):
    result = CliRunner().invoke(main, ["report", str(results), *args, "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert expected in result.output
    assert "Traceback" not in result.output


def test_a_folder_without_results_exits_2(tmp_path):
    for folder, expected in (
        (tmp_path / "none", "results folder not found"),
        (tmp_path, "no _manifest.json"),
    ):
        result = CliRunner().invoke(main, ["report", str(folder)])
        assert result.exit_code == 2
        assert expected in result.output


def test_report_reads_one_metric_at_a_time_not_the_whole_table(results, tmp_path, monkeypatch):
    """The report reads named columns only (the point and keys, or one metric).

    Only the check of a part (one part at a time) reads a whole part.
    """
    import sys

    calls = []
    real = report_module.pq.read_table

    def spy(path, *args, columns=None, **kwargs):
        if sys._getframe(1).f_code.co_filename == report_module.__file__:
            calls.append(columns)
        return real(path, *args, columns=columns, **kwargs)

    monkeypatch.setattr(report_module.pq, "read_table", spy)
    made = make_report(results, out=tmp_path / "r")
    assert calls
    assert all(c is not None for c in calls), calls
    metric_reads = [
        c
        for c in calls
        if c[0] == "point" and len(c) == 2 and c[1] in made.summary["metric"].values
    ]
    assert metric_reads
    assert max(len(c) for c in calls) <= 1 + len(made.columns)
