"""``wom compare``: paired differences from common random numbers, and its mistakes (exit 2)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from helpers import wom, wom_process
from scipy import stats

from simulation.compare import (
    Variant,
    better_direction,
    compare,
    paired_difference,
    parse_vary,
)
from simulation.errors import ScenarioError
from simulation.scenario import parse_scenario

BASE = """
name = "compare test"
runs = 40
seed = 7
steps = 30

[network]
kind = "barabasi_albert"
n = 600
m = 2

[content]
visibility = 0.8
appeal = 0.5
stickiness = 0.2
click_through = 0.1
conversion = 0.2

[seeding]
strategy = "degree"
budget = 5
fee_fixed = 10.0

[money]
value = 30.0

[[segments]]
name = "young"
share = 0.5
affinity = 1.4

[[segments]]
name = "old"
share = 0.5
affinity = 0.7
"""


def assert_user_error(result, *fragments: str) -> None:
    """Exit 2, a message naming what is wrong on stderr, no traceback, nothing on stdout."""
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    for fragment in fragments:
        assert fragment in result.stderr, (fragment, result.stderr)


def _json(*args: str) -> dict:
    result = wom("compare", *args, "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_identical_variants_differ_by_exactly_zero(write):
    path = write("s.toml", BASE)
    document = _json(
        str(path),
        "--vary",
        "same: content.stickiness=0.2",
        "--vary",
        "copy:",
        "--runs",
        "30",
    )
    assert document["baseline"] == "baseline"
    assert set(document["variants"]) == {"baseline", "same", "copy"}
    for name in ("same", "copy"):
        differences = document["differences"][name]
        assert "sharers" in differences
        assert "roi" in differences
        for metric, d in differences.items():
            if d["mean"] is None:  # undefined in every replicate (none here but roi-like)
                continue
            assert d["mean"] == 0.0, metric
            assert d["ci95"] == [0.0, 0.0], metric
            assert d["p_better"] == 0.5, metric
    assert (
        document["variants"]["same"]["metrics"]["sharers"]["values"]
        == (document["variants"]["baseline"]["metrics"]["sharers"]["values"])
    )


def test_the_baseline_is_wom_run_of_the_same_seed(write):
    path = write("s.toml", BASE)
    compared = _json(str(path), "--vary", "x: content.appeal=0.6", "--runs", "12", "--seed", "5")
    run = wom("run", str(path), "--json", "--runs", "12", "--seed", "5")
    alone = json.loads(run.stdout)
    assert (
        compared["variants"]["baseline"]["metrics"]["sharers"]["values"]
        == (alone["metrics"]["sharers"]["values"])
    )
    changed = wom(
        "run", str(path), "--json", "--runs", "12", "--seed", "5", "--set", "content.appeal=0.6"
    )
    assert (
        compared["variants"]["x"]["metrics"]["sharers"]["values"]
        == (json.loads(changed.stdout)["metrics"]["sharers"]["values"])
    )


def test_stickier_content_has_more_sharers_with_the_interval_above_zero(write):
    path = write("s.toml", BASE)
    document = _json(
        str(path), "--vary", "sticky: content.stickiness=0.45", "--metrics", "sharers,cost"
    )
    d = document["differences"]["sticky"]["sharers"]
    assert d["mean"] > 0
    assert d["ci95"][0] > 0
    assert d["p_better"] > 0.5
    assert set(document["differences"]["sticky"]) == {"sharers", "cost"}
    # The paired interval is the t interval of the replicate differences.
    a = np.array(document["variants"]["sticky"]["metrics"]["sharers"]["values"])
    b = np.array(document["variants"]["baseline"]["metrics"]["sharers"]["values"])
    diff = a - b
    low, high = stats.t.interval(0.95, len(diff) - 1, diff.mean(), stats.sem(diff))
    assert d["ci95"] == pytest.approx([low, high])
    assert d["mean"] == pytest.approx(diff.mean())
    assert d["p_better"] == pytest.approx(((diff > 0).sum() + 0.5 * (diff == 0).sum()) / len(diff))


def test_a_named_baseline_and_more_than_one_change_per_variant(write):
    path = write("s.toml", BASE)
    document = _json(
        str(path),
        "--vary",
        "young: seeding.segment=young, seeding.strategy=random",
        "--vary",
        "old: seeding.segment=old, seeding.strategy=random",
        "--baseline",
        "old",
        "--runs",
        "20",
        "--metrics",
        "sharers,sharers[young]",
    )
    assert document["baseline"] == "old"
    assert set(document["variants"]) == {"young", "old"}
    assert set(document["differences"]) == {"young"}
    assert document["variants"]["young"]["changes"] == {
        "seeding.segment": "young",
        "seeding.strategy": "random",
    }


def test_table_output_names_the_variants_and_columns(write):
    path = write("s.toml", BASE)
    result = wom("compare", str(path), "--vary", "sticky: content.stickiness=0.4", "--runs", "5")
    assert result.returncode == 0, result.stderr
    assert "sticky vs baseline" in result.stdout
    assert "P(better)" in result.stdout
    assert "cost (lower is better)" in result.stdout


@pytest.mark.parametrize(
    ("vary", "fragments"),
    [
        ("no colon here", ["--vary", "NAME: KEY=VALUE"]),
        (": content.appeal=0.5", ["--vary", "NAME: KEY=VALUE"]),
        ("bold: content.appeal", ["--vary 'bold'", "expected KEY=VALUE", "content.appeal"]),
        ("bold: =0.5", ["--vary 'bold'", "expected KEY=VALUE"]),
        ("bold: content.apeal=0.5", ["--vary 'bold'", "content.apeal", "did you mean 'appeal'"]),
        ("bold: content.appeal=7", ["--vary 'bold'", "content.appeal", "less than or equal to 1"]),
        ("bold: seeding.segment=teens", ["--vary 'bold'", "seeding.segment", "teens"]),
    ],
)
def test_bad_vary_is_a_user_error_naming_the_variant_and_key(write, vary, fragments):
    path = write("s.toml", BASE)
    assert_user_error(wom("compare", str(path), "--vary", vary, "--runs", "3"), *fragments)


def test_other_mistakes_are_user_errors(write):
    path = write("s.toml", BASE)
    assert_user_error(wom("compare", str(path)), "nothing to compare")
    assert_user_error(
        wom("compare", str(path), "--vary", "a: content.appeal=0.1", "--baseline", "zzz"),
        "--baseline",
        "zzz",
    )
    assert_user_error(
        wom("compare", str(path), "--vary", "a: content.appeal=0.1", "--vary", "a:"),
        "two variants are named 'a'",
    )
    assert_user_error(
        wom("compare", str(path), "--vary", "a: content.appeal=0.1", "--metrics", "sharerz"),
        "sharerz",
    )
    assert_user_error(wom("compare", str(path.with_name("nope.toml")), "--vary", "a:"), "nope")


def test_a_real_process_has_no_traceback(write):
    path = write("s.toml", BASE)
    result = wom_process("compare", str(path), "--vary", "x: content.nope=1")
    assert_user_error(result, "--vary 'x'", "content.nope")


def test_parse_vary_keeps_commas_inside_values():
    variant = parse_vary('list: seeding.nodes=["1", "2"], seeding.strategy=nodes, name="a, b"')
    assert variant == Variant(
        "list", {"seeding.nodes": ["1", "2"], "seeding.strategy": "nodes", "name": "a, b"}
    )
    assert parse_vary("as is:") == Variant("as is", {})
    with pytest.raises(ScenarioError, match="expected KEY=VALUE"):
        parse_vary("x: a=1,, b")


def test_paired_difference_direction_and_ties():
    assert better_direction("sharers") == "higher"
    assert better_direction("cost") == "lower"
    assert better_direction("cost[brand:rival]") == "lower"
    assert better_direction("negative_sharers") == "lower"
    cheaper = paired_difference(
        np.array([5.0, 6.0, 7.0, 8.0]), np.array([6.0, 6.0, 9.0, 9.0]), "cost"
    )
    assert cheaper["mean"] == -1.0
    assert cheaper["p_better"] == (3 + 0.5) / 4
    more = paired_difference(
        np.array([5.0, 6.0, 7.0, 8.0]), np.array([6.0, 6.0, 9.0, 9.0]), "reach"
    )
    assert more["p_better"] == 0.5 / 4
    undefined = paired_difference(np.array([math.nan, 1.0]), np.array([2.0, math.nan]), "roi")
    assert undefined["mean"] is None
    assert undefined["runs"] == 0
    partial = paired_difference(np.array([math.nan, 1.0, 3.0]), np.array([2.0, 0.0, 1.0]), "roi")
    assert partial["runs"] == 2
    assert partial["mean"] == 1.5


def test_compare_in_python_shares_one_graph_and_pairs_replicates():
    scenario = parse_scenario(
        {
            "name": "p",
            "runs": 10,
            "seed": 1,
            "network": {"kind": "erdos_renyi", "n": 300, "mean_degree": 4},
            "seeding": {"strategy": "random", "budget": 3},
        }
    )
    result = compare(
        scenario,
        [Variant("a"), Variant("b", {"content.stickiness": 0.5})],
        baseline="a",
        metrics=["sharers"],
    )
    assert result.metrics == ["sharers"]
    assert len(result.values["a"]["sharers"]) == 10
    assert result.differences()["b"]["sharers"]["mean"] > 0
