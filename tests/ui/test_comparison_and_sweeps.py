"""Strategy comparison and sweep results: the numbers the app shows, and where it may read."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from simulation.engine import simulate
from simulation.errors import ScenarioError
from simulation.scenario import parse_scenario
from simulation.ui.analytic import bass_curve, overlay_for, percolation_share
from simulation.ui.comparison import StoppedError, Variant, run_comparison
from simulation.ui.sweeps import find_sweeps, load_sweep, metric_by_key

BASE = parse_scenario(
    {
        "name": "base",
        "seed": 9,
        "steps": 30,
        "network": {"kind": "erdos_renyi", "n": 800, "mean_degree": 6.0},
        "content": {"visibility": 1.0, "appeal": 0.5, "stickiness": 0.5},
        "seeding": {"strategy": "degree", "budget": 5},
    }
)
VARIANTS = [Variant("hubs", {}), Variant("random", {"seeding.strategy": "random"})]


def test_batches_change_no_number_and_match_the_engine():
    one = run_comparison(BASE, VARIANTS, runs=30, batches=1)
    many = run_comparison(BASE, VARIANTS, runs=30, batches=7)
    direct = simulate(BASE.with_overrides({"seeding.strategy": "random"}), runs=30)
    for a, b in zip(one.results, many.results, strict=True):
        for metric in a.values:
            # A metric can be undefined in a run (NaN: roi without costs); that is a number too.
            assert np.array_equal(a.values[metric], b.values[metric], equal_nan=True)
    assert np.array_equal(many.results[1].values["reach"], direct.values["reach"])
    assert np.allclose(many.results[1].timeline["sharers"], direct.timeline["sharers"])


def test_each_strategy_lists_whom_it_pays_and_random_seeding_says_it_has_no_list():
    from simulation.engine import prepare

    result = run_comparison(BASE, VARIANTS, runs=4)
    hubs, drawn = result.results
    plan = prepare(BASE).plan
    labels = [str(prepare(BASE).graph.labels[v]) for v in plan.fixed]
    assert [row["label"] for row in hubs.shortlist] == labels
    assert all(row["followers"] >= 0 and row["segment"] == "everyone" for row in hubs.shortlist)
    assert not hubs.random_seeds
    assert drawn.shortlist == []
    assert drawn.random_seeds
    table = result.shortlist_table()
    assert list(table["strategy"]) == ["hubs"] * 5
    assert list(table.columns)[:4] == ["strategy", "brand", "post", "label"]


def test_timeline_band_surrounds_the_mean_and_table_has_intervals():
    result = run_comparison(BASE, VARIANTS, runs=40, batches=8)
    for variant in result.results:
        low, high = variant.band["sharers"]
        assert np.all(low <= variant.timeline["sharers"] + 1e-9)
        assert np.all(high >= variant.timeline["sharers"] - 1e-9)
    table = result.table()
    assert set(table["variant"]) == {"hubs", "random"}
    defined = table.dropna(subset=["mean"])
    assert np.all(defined["ci95_low"] <= defined["mean"])
    assert np.all(defined["mean"] <= defined["ci95_high"])
    assert list(result.wide_table().columns) == ["metric", "hubs", "random", "meaning"]


def test_progress_reaches_the_total_and_stop_interrupts():
    seen = []
    run_comparison(BASE, VARIANTS, runs=10, batches=5, progress=lambda d, t: seen.append((d, t)))
    assert seen[-1] == (20, 20)
    assert seen == sorted(seen)
    with pytest.raises(StoppedError):
        run_comparison(BASE, VARIANTS, runs=10, batches=5, stop=lambda: True)


def test_an_invalid_variant_is_a_scenario_error_naming_it():
    with pytest.raises(ScenarioError) as caught:
        run_comparison(BASE, [Variant("bad", {"content.appeal": 3.0})], runs=2)
    problem = caught.value.problems[0]
    assert problem.key == "content.appeal"
    assert "bad" in str(problem.source)


def test_bass_curve_follows_the_recursion_and_saturates():
    curve = bass_curve(0.03, 0.4, 0.0, 200)
    assert curve[1] == pytest.approx(0.03)
    assert curve[2] == pytest.approx(0.03 + 0.97 * (0.03 + 0.4 * 0.03))
    assert np.all(np.diff(curve) >= 0)
    assert curve[-1] == pytest.approx(1.0)


def test_percolation_share_solves_its_equation_and_is_zero_below_threshold():
    s = percolation_share(6.0, 0.25)
    assert s == pytest.approx(1 - np.exp(-6.0 * 0.25 * s))
    assert percolation_share(4.0, 0.2) == 0.0


def test_overlays_apply_only_where_the_theory_is_exact():
    overlay = overlay_for(BASE)
    assert overlay is not None
    assert overlay.final == pytest.approx(800 * percolation_share(6.0, 0.25))
    assert overlay_for(BASE.with_overrides({"content.half_life": 5.0})) is None
    bass = BASE.with_overrides(
        {"network": {"kind": "complete", "n": 100}, "diffusion.rule": "bass"}
    )
    assert overlay_for(bass).timeline is not None
    assert overlay_for(BASE.with_overrides({"diffusion.rule": "bass"})) is None


def _sweep(folder, manifest_name="manifest.json"):
    folder.mkdir(parents=True)
    rows = [
        {"content.stickiness": s, "seeding.strategy": k, "run": r, "seed": 1, "reach": s * 100 + r}
        for s in (0.1, 0.2)
        for k in ("random", "degree")
        for r in range(4)
    ]
    pd.DataFrame(rows).to_parquet(folder / "part-0.parquet")
    grid = {"content.stickiness": [0.1, 0.2], "seeding.strategy": ["random", "degree"]}
    (folder / manifest_name).write_text(json.dumps({"experiment": {"grid": grid}}))


def test_sweeps_are_found_under_the_root_and_plotted_by_key(tmp_path):
    _sweep(tmp_path / "results" / "a")
    _sweep(tmp_path / "results" / "b", "_manifest.json")
    assert find_sweeps(tmp_path) == ["results/a", "results/b"]
    sweep = load_sweep(tmp_path, "results/a")
    assert sweep.grid_keys == ["content.stickiness", "seeding.strategy"]
    assert sweep.metrics == ["reach"]
    table = metric_by_key(sweep.frame, "reach", "content.stickiness", "seeding.strategy")
    assert len(table) == 4
    row = table.iloc[0]
    assert row["mean"] == pytest.approx(10 + 1.5)
    assert row["low"] < row["mean"] < row["high"]


@pytest.mark.parametrize("where", ["../outside", "/etc", "results/../../outside"])
def test_sweeps_outside_the_root_cannot_be_opened(tmp_path, where):
    root = tmp_path / "root"
    root.mkdir()
    _sweep(tmp_path / "outside")
    with pytest.raises(ScenarioError, match="under the results folder"):
        load_sweep(root, where)


def test_a_sweep_opens_on_its_report_settings_and_never_on_the_point_index(tmp_path):
    from simulation.ui.sweeps import Sweep

    frame = pd.DataFrame(
        {
            "point": [0, 0, 1, 1, 2, 2, 3, 3],
            "content.appeal": [0.1, 0.1, 0.2, 0.2, 0.1, 0.1, 0.2, 0.2],
            "seeding.strategy": ["a"] * 4 + ["b"] * 4,
            "run": [0, 1] * 4,
            "seed": 1,
            "reach": np.arange(8.0),
            "sharers": np.arange(8.0),
            "steps": np.arange(8.0),
        }
    )
    plain = Sweep(frame, {"grid": {"content.appeal": [], "seeding.strategy": []}})
    assert "point" not in plain.metrics
    assert plain.defaults()["metric"] == "sharers"
    reported = Sweep(
        frame,
        {
            "experiment": {
                "grid": {"content.appeal": [], "seeding.strategy": []},
                "report": {
                    "metrics": ["steps"],
                    "x": "seeding.strategy",
                    "by": "content.appeal",
                    "log_y": True,
                },
            }
        },
    )
    assert reported.defaults() == {
        "metric": "steps",
        "x": "seeding.strategy",
        "line": "content.appeal",
        "log_x": False,
        "log_y": True,
    }
