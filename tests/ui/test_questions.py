"""Questions, not knobs: fair cards, combinations, paired differences, goals, money, sweeps.

Also the caps on what a visitor may ask for.
"""

from __future__ import annotations

import time
from pathlib import Path

import ipyvuetify as v
import numpy as np
import pytest
import solara

from simulation.engine import simulate
from simulation.errors import ScenarioError
from simulation.scenario import load_scenario, parse_scenario
from simulation.ui import compare_view, dose_view
from simulation.ui.compare_view import (
    DEFAULT_VARIANTS,
    CompareView,
    combinations,
    difference_rows,
    parse_values,
    start_comparison,
    variant_knobs,
)
from simulation.ui.comparison import Goal, Variant, goal_probability, run_comparison
from simulation.ui.dose import DoseSpec, points, run_dose, steepest
from simulation.ui.dose_view import SweepView, sweep_problem
from simulation.ui.jobs import JobState
from simulation.ui.limits import MAX_RUNS, MAX_VARIANTS, estimate_bytes, too_big
from simulation.ui.plots import line_style
from simulation.ui.widgets import parse_number

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
BASE = parse_scenario(
    {
        "name": "q",
        "seed": 4,
        "steps": 25,
        "network": {"kind": "erdos_renyi", "n": 900, "mean_degree": 6.0},
        "content": {"visibility": 0.9, "appeal": 0.5, "stickiness": 0.3, "conversion": 0.3},
        "seeding": {"strategy": "degree", "budget": 6, "fee_fixed": 20.0},
        "money": {"value": 15.0},
        "segments": [
            {"name": "students", "share": 0.5, "affinity": 1.3},
            {"name": "parents", "share": 0.5, "affinity": 0.6},
        ],
    }
)


def test_default_cards_are_copies_of_the_scenario():
    assert all(v.overrides == {} for v in DEFAULT_VARIANTS)
    assert len({v.name for v in DEFAULT_VARIANTS}) == len(DEFAULT_VARIANTS)


def test_a_variant_may_change_network_money_and_seeding_keys():
    knobs = variant_knobs(BASE)
    for key in ("steps", "network.n", "network.mean_degree", "money.value", "seeding.fee_fixed"):
        assert key in knobs
    assert "network.m" not in knobs  # not a key of this network kind


def test_combinations_make_every_pair_of_values():
    knobs = variant_knobs(BASE)
    segments, error = parse_values(knobs["seeding.segment"], "students, parents", BASE)
    assert error is None
    sticky, error = parse_values(knobs["content.stickiness"], "0.1, 0.3", BASE)
    assert error is None
    made = combinations(("seeding.segment", segments), ("content.stickiness", sticky))
    assert [v.overrides for v in made] == [
        {"seeding.segment": "students", "content.stickiness": 0.1},
        {"seeding.segment": "students", "content.stickiness": 0.3},
        {"seeding.segment": "parents", "content.stickiness": 0.1},
        {"seeding.segment": "parents", "content.stickiness": 0.3},
    ]
    assert len({v.name for v in made}) == 4
    assert combinations(("seeding.segment", segments), ("content.stickiness", [])) == [
        Variant("students", {"seeding.segment": "students"}),
        Variant("parents", {"seeding.segment": "parents"}),
    ]


@pytest.mark.parametrize(
    ("key", "text", "fragment"),
    [
        ("content.stickiness", "0.1, lots", "'lots' is not a number"),
        ("content.stickiness", "0.1, 2", "must be <= 1"),
        ("seeding.budget", "3.5", "not a whole number"),
        ("seeding.segment", "gamers", "not one of students, parents"),
        ("seeding.strategy", "psychic", "not one of"),
        ("content.appeal", "nan", "not a finite number"),
    ],
)
def test_combination_values_are_checked_before_run(key, text, fragment):
    values, error = parse_values(variant_knobs(BASE)[key], text, BASE)
    assert values == []
    assert fragment in error


def test_paired_differences_of_the_comparison_match_the_engine():
    chosen = [
        Variant("base", {}),
        Variant("same", {}),
        Variant("sticky", {"content.stickiness": 0.6}),
    ]
    result = run_comparison(BASE, chosen, runs=40, batches=4)
    table = result.differences("base", ["sharers", "cost", "roi"])
    same = table[table["variant"] == "same"]
    assert (same["difference"] == 0).all()
    assert (same["ci95_low"] == 0).all()
    assert (same["p_better"] == 0.5).all()
    sticky = table[(table["variant"] == "sticky") & (table["metric"] == "sharers")].iloc[0]
    direct = simulate(BASE.with_overrides({"content.stickiness": 0.6}), runs=40)
    alone = simulate(BASE, runs=40)
    assert sticky["difference"] == pytest.approx(
        (direct.values["sharers"] - alone.values["sharers"]).mean()
    )
    assert sticky["ci95_low"] > 0
    shown = difference_rows(result, "base", ["sharers", "cost"])
    assert list(shown.columns)[:3] == ["strategy", "metric", "mean"]
    assert "(less is better)" in shown[shown["metric"] == "cost"]["P(better)"].iloc[0]


def test_money_seeds_bought_and_cost_per_conversion():
    result = run_comparison(BASE, [Variant("a", {}), Variant("b", {"seeding.budget": 3})], runs=20)
    a, b = result.results
    assert (a.seeds, b.seeds) == (6, 3)
    assert np.allclose(a.values["seeding_cost"], 6 * 20.0)
    converted = a.values["conversions"] > 0
    assert np.allclose(
        a.values["cost_per_conversion"][converted],
        a.values["cost"][converted] / a.values["conversions"][converted],
    )
    assert np.isnan(a.values["cost_per_conversion"][~converted]).all()
    assert compare_view.has_money(result)


def test_a_goal_by_an_earlier_step_uses_the_same_replicates_cut_at_that_step():
    goal = Goal("sharers", 40, 3)
    result = run_comparison(BASE, [Variant("a", {})], runs=30, goal=goal)
    values = result.results[0].goal_values
    assert len(values) == 30
    # The replicates cut at step 3 are the full replicates' state at step 3.
    assert values.mean() == pytest.approx(result.results[0].timeline["sharers"][3])
    table = result.goal_table()
    expected = (values >= 40).mean()
    assert table["p"].iloc[0] == pytest.approx(expected)
    assert table["low"].iloc[0] <= expected <= table["high"].iloc[0]
    # A goal at the end needs no run of its own.
    end = result.goal_table(Goal("sharers", 40, None))
    assert end["p"].iloc[0] == pytest.approx((result.results[0].values["sharers"] >= 40).mean())


def test_goal_probability_has_a_wilson_interval():
    p = goal_probability(np.array([1.0] * 5 + [0.0] * 15), 1.0)
    assert p["p"] == 0.25
    assert 0.08 < p["low"] < 0.12
    assert 0.46 < p["high"] < 0.5
    sure = goal_probability(np.ones(50), 1.0)
    assert sure["p"] == 1.0
    assert sure["high"] == 1.0
    assert sure["low"] > 0.9


def test_a_dose_response_sweep_rises_with_stickiness_and_finds_the_steep_part():
    spec = DoseSpec(
        "content.stickiness",
        0.05,
        0.6,
        6,
        "sharers",
        line_key="seeding.segment",
        line_values=("students", "parents"),
    )
    seen = []
    table = run_dose(BASE, spec, runs=30, report=lambda d, t: seen.append((d, t)))
    assert len(table) == 12
    assert seen[-1] == (360, 360)
    for _line, part in table.groupby("line"):
        part = part.sort_values("x")
        assert part["mean"].iloc[-1] > part["mean"].iloc[0]
        # Far apart, the intervals of the mean do not overlap.
        assert part["ci95_low"].iloc[-1] > part["ci95_high"].iloc[0]
        assert (part["pi95_low"] <= part["mean"]).all()
        assert (part["mean"] <= part["pi95_high"]).all()
    assert {row[0] for row in steepest(table)} == {"students", "parents"}
    # Common random numbers: a point equals the same scenario run alone.
    alone = simulate(
        BASE.with_overrides({"content.stickiness": 0.05, "seeding.segment": "parents"}),
        runs=30,
        metrics=["sharers"],
    )
    row = table[(table["line"] == "parents") & (table["x"] == 0.05)].iloc[0]
    assert row["mean"] == pytest.approx(alone.values["sharers"].mean())


def test_sweep_points_and_caps():
    assert points(0.05, 0.5, 10) == pytest.approx(list(np.linspace(0.05, 0.5, 10)))
    assert points(1, 4, 10, integer=True) == [1, 2, 3, 4]
    too_many = DoseSpec(
        "content.stickiness", 0, 1, 30, line_key="seeding.segment", line_values=("a", "b")
    )
    assert "at most" in sweep_problem(BASE, too_many, 10)
    assert "2 runs" in sweep_problem(BASE, DoseSpec("content.stickiness", 0, 1, 3), 1)


def test_what_a_visitor_may_ask_for_is_capped():
    assert "runs per strategy" in too_big(BASE, MAX_RUNS + 1)
    assert "strategies" in too_big(BASE, 10, MAX_VARIANTS + 1)
    huge = BASE.with_overrides({"network.n": 5_000_000})
    assert "200,000 people" in too_big(huge, 10)
    # Within the scenario schema's memory limit, above the app's per-run budget.
    dense = parse_scenario(
        {"name": "d", "network": {"kind": "complete", "n": 9_000}, "seeding": {"budget": 1}}
    )
    assert "MB" in too_big(dense, 10)
    assert too_big(BASE, 200, 8) is None
    long_run = BASE.with_overrides({"steps": 100_000})
    assert estimate_bytes(long_run, 10) > estimate_bytes(BASE, 10) + 50 * 1024**2
    assert estimate_bytes(BASE, 200, 2) < 50 * 1024**2


def test_typed_numbers_are_checked():
    assert parse_number("2,000", integer=True) == (2000, None)
    assert parse_number("0.25") == (0.25, None)
    assert parse_number("", optional=True) == (None, None)
    assert parse_number("")[1] == "required"
    assert parse_number("abc")[1].startswith("a number")
    assert parse_number("1e309")[1] == "a finite number"
    assert parse_number("5001", integer=True, maximum=5000)[1] == "at most 5,000"


def test_any_number_of_lines_gets_a_distinct_style():
    styles = {tuple(sorted(line_style(i).items())) for i in range(32)}
    assert len(styles) == 32


def _wait(target, timeout=120):
    deadline = time.time() + timeout
    while time.time() < deadline and target.value.busy:
        time.sleep(0.1)
    return target.value


def test_the_compare_view_shows_differences_goal_money_and_marks_stale_results():
    compare_view.compare_job.set(JobState())  # no results of an earlier test
    compare_view.variants.set([Variant("base", {}), Variant("sticky", {"content.stickiness": 0.6})])
    compare_view.baseline.set("base")
    compare_view.goal_target.set(30.0)
    compare_view.goal_metric.set("sharers")
    _box, rc = solara.render(CompareView(BASE), handle_error=False)
    compare_view.runs.set(20)
    start_comparison(BASE, compare_view.variants.value, 20, Goal("sharers", 30.0, None))
    assert _wait(compare_view.compare_job).status == "done"
    rc.find(v.Html, class_="wom-differences").wait_for(timeout=30)
    goal = rc.find(v.Html, class_="wom-goal-result")
    goal.wait_for(timeout=30)
    assert "Goal: at least 30 sharers by the end" in goal.widget.children[0].children[0]
    assert "chance (95% interval" in goal.widget.children[1].children[0]
    seeds = rc.find(v.Html, class_="wom-seeds-bought").widget.children[0]
    assert "base: 6 seeds bought, fees 120" in seeds
    assert rc.find(v.Html, class_="wom-stale").widgets == []
    compare_view.variants.set([Variant("base", {}), Variant("sticky", {"content.stickiness": 0.7})])
    rc.find(v.Html, class_="wom-stale").wait_for(timeout=30)
    rc.close()
    compare_view.variants.set(list(DEFAULT_VARIANTS))
    compare_view.goal_target.set(None)
    compare_view.runs.set(200)


def test_the_sweep_view_runs_and_draws_its_curve():
    dose_view.count.set(3)
    dose_view.runs.set(10)
    _box, rc = solara.render(SweepView(BASE), handle_error=False)
    rc.find(v.Btn, class_="wom-run-sweep").widget.click()
    assert _wait(dose_view.dose_job).status == "done"
    rc.find(v.Sheet, class_="d-flex ma-0 wom-dose").wait_for(timeout=30)
    spec, table = dose_view.dose_job.value.result
    assert spec.key == "content.stickiness"
    assert len(table) == 3
    rc.close()


def test_ready_made_scenarios_fit_the_app():
    for path in SCENARIOS.glob("*.toml"):
        scenario = load_scenario(path)
        assert too_big(scenario, 200, 2) is None, path.name


def test_the_glossary_says_what_each_metric_counts():
    from simulation.metrics import METRICS
    from simulation.ui.glossary import VOCABULARY

    engagement, metric = VOCABULARY["Engagement"]
    assert metric == "engagements"
    assert engagement.startswith("likes and comments")
    assert "likes and comments" in METRICS["engagements"].meaning
    emv, metric = next(v for k, v in VOCABULARY.items() if k.startswith("Earned media value"))
    assert metric == "earned_media_value"
    assert "money.cpm" in emv
    assert "0" in emv


def test_a_variant_may_change_a_row_of_a_table():
    knobs = variant_knobs(BASE)
    assert knobs["segments[1].affinity"].label == "Segment: parents: Affinity"
    assert "seeding.epsilon" in knobs  # a card may switch to imm and set its keys
    changed = Variant("fans", {"segments[1].affinity": 1.5}).scenario(BASE)
    assert changed.segments[1].affinity == 1.5
    assert changed.segments[0].affinity == BASE.segments[0].affinity
    with pytest.raises(ScenarioError, match=r"no ads\[0\]"):
        Variant("ad", {"ads[0].cpm": 3.0}).scenario(BASE)
    spec = DoseSpec("segments[1].affinity", 0.5, 1.5, 2, "sharers")
    table = run_dose(BASE, spec, runs=5)
    assert list(table["x"]) == [0.5, 1.5]
