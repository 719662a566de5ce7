"""The shortlist: ``wom run --json``'s ``"seeds"`` and ``wom seeds`` name exactly who is seeded."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest
from helpers import wom

from simulation import influence
from simulation.engine import prepare
from simulation.kernel_inputs import spread_inputs
from simulation.scenario import load_scenario
from simulation.seeding import seed_fees, strategy_seed

BASE = """
name = "shortlist"
runs = 20
seed = 5
steps = 30

[network]
kind = "barabasi_albert"
n = 400
m = 2
seed = 3

[[segments]]
name = "fans"
share = 0.4

[[segments]]
name = "others"
share = 0.6

[content]
visibility = 0.9
appeal = 0.5
stickiness = 0.3

[seeding]
strategy = "{strategy}"
budget = 6
fee_fixed = 20.0
fee_per_follower = 1.5
{mc_runs}"""


def _write(write, strategy: str, extra: str = ""):
    # mc_runs only where it does something (a scenario file may not hold idle keys).
    mc_runs = "mc_runs = 50\n" if strategy == "celf" else ""
    return write("s.toml", BASE.format(strategy=strategy, mc_runs=mc_runs) + extra)


def _run_json(path, *args: str) -> dict:
    result = wom("run", str(path), "--json", *args)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.parametrize("strategy", ["celf", "imm", "degree", "degree_discount"])
def test_run_json_lists_each_seed_the_plan_pays_in_the_order_chosen(write, strategy):
    path = _write(write, strategy)
    document = _run_json(path, "--runs", "3")
    prepared = prepare(load_scenario(path))
    graph, plan = prepared.graph, prepared.plan
    fees = seed_fees(prepared.scenario, graph)
    seeds = document["seeds"]
    assert [row["label"] for row in seeds] == [str(graph.labels[v]) for v in plan.fixed]
    assert len(seeds) == 6
    for row, v in zip(seeds, plan.fixed.tolist(), strict=True):
        assert set(row) == {"brand", "post", "label", "segment", "followers", "fee", "gain"}
        assert (row["brand"], row["post"]) == ("brand", None)
        assert row["followers"] == int(graph.out_degree[v])
        assert row["segment"] == graph.segment_names[graph.segment_of[v]]
        assert row["fee"] == pytest.approx(20.0 + 1.5 * graph.out_degree[v])
        assert row["fee"] == pytest.approx(fees[v])
    gains = [row["gain"] for row in seeds]
    if strategy in ("celf", "imm"):
        assert all(g is not None and g >= 0 for g in gains)
        if strategy == "imm":  # greedy coverage: each seed newly covers no more than the last
            assert gains == sorted(gains, reverse=True)
    else:
        assert gains == [None] * 6
    assert document["seeding"] == [
        {
            "brand": "brand",
            "post": None,
            "strategy": strategy,
            "random": False,
            "seeds": 6,
            "pool": None,
            "cost": pytest.approx(sum(row["fee"] for row in seeds)),
        }
    ]


def test_celfs_gains_are_its_own_marginal_estimates_and_add_up_to_its_spread(write):
    path = _write(write, "celf")
    scenario = load_scenario(path)
    prepared = prepare(scenario)
    gains = prepared.plan.gains
    # Recompute each gain from the definition: the kernel's mean sharers of the first i + 1
    # seeds minus those of the first i, on CELF's own replicates.
    model = spread_inputs(scenario, prepared.graph)
    seed = strategy_seed(scenario, "celf")
    fixed = prepared.plan.fixed
    totals = [
        influence.kernel_spreads(
            model, fixed[:i], np.array([-1]), runs=50, steps=scenario.steps, seed=seed
        )[0]
        for i in range(len(fixed) + 1)
    ]
    np.testing.assert_allclose(gains, np.diff(totals), rtol=1e-9, atol=1e-9)


def test_the_people_listed_are_exactly_the_people_the_run_seeds(write):
    # Content nobody shares: each replicate's sharers are exactly its seeds, so the per-segment
    # counts of the run must match the segments of the people listed.
    path = _write(write, "imm", "propagation = 0.2\n")
    text = path.read_text().replace("stickiness = 0.3", "stickiness = 0.0")
    path.write_text(text)
    document = _run_json(path, "--runs", "5", "--metrics", "sharers,sharers[fans],sharers[others]")
    seeds = document["seeds"]
    metrics = document["metrics"]
    assert metrics["sharers"]["values"] == [len(seeds)] * 5
    for segment in ("fans", "others"):
        listed = sum(row["segment"] == segment for row in seeds)
        assert metrics[f"sharers[{segment}]"]["values"] == [listed] * 5
    # And the kernel's seed sets hold exactly the listed labels.
    prepared = prepare(load_scenario(path))
    people = prepared.campaign.seed_sets.people
    graph = prepared.graph
    assert sorted(str(graph.labels[v]) for v in people) == sorted(r["label"] for r in seeds)


def test_random_seeding_has_no_list_and_says_so(write):
    path = _write(write, "random")
    document = _run_json(path, "--runs", "2")
    assert document["seeds"] == []
    (entry,) = document["seeding"]
    assert entry["random"] is True
    assert (entry["seeds"], entry["pool"], entry["strategy"]) == (6, 400, "random")
    result = wom("seeds", str(path))
    assert result.returncode == 0, result.stderr
    assert "random seeding" in result.stdout
    assert "drawn anew in each replicate" in result.stdout


def test_a_competitor_and_a_post_with_its_own_seeding_get_their_own_rows(write):
    extra = """
[[competitors]]
name = "Rival"

[competitors.seeding]
strategy = "degree"
budget = 2

[[posts]]
name = "teaser"
start = 0

[posts.seeding]
strategy = "nodes"
nodes = ["7", "9"]
"""
    path = _write(write, "degree", extra)
    document = _run_json(path, "--runs", "2")
    owners = [(row["brand"], row["post"]) for row in document["seeds"]]
    assert owners.count(("brand", None)) == 6
    assert owners.count(("Rival", None)) == 2
    teaser = [row["label"] for row in document["seeds"] if row["post"] == "teaser"]
    assert teaser == ["7", "9"]
    assert [e["brand"] for e in document["seeding"]].count("Rival") == 1


def test_wom_seeds_prints_and_writes_the_same_shortlist_as_run(write, tmp_path):
    path = _write(write, "celf")
    document = _run_json(path, "--runs", "2")
    out = tmp_path / "shortlist.csv"
    result = wom("seeds", str(path), "--out", str(out))
    assert result.returncode == 0, result.stderr
    for row in document["seeds"]:
        assert row["label"] in result.stdout
    with out.open() as handle:
        table = list(csv.DictReader(handle))
    assert list(table[0]) == ["brand", "post", "label", "segment", "followers", "fee", "gain"]
    assert [r["label"] for r in table] == [r["label"] for r in document["seeds"]]
    for got, want in zip(table, document["seeds"], strict=True):
        assert float(got["gain"]) == pytest.approx(want["gain"])
        assert float(got["fee"]) == pytest.approx(want["fee"])
        assert int(got["followers"]) == want["followers"]
        assert got["post"] == ""
    as_json = tmp_path / "shortlist.json"
    assert wom("seeds", str(path), "--out", str(as_json)).returncode == 0
    saved = json.loads(as_json.read_text())
    assert saved == {"seeds": document["seeds"], "seeding": document["seeding"]}


def test_wom_seeds_takes_settings(write):
    path = _write(write, "celf")
    result = wom(
        "seeds", str(path), "--set", "seeding.strategy=degree", "--set", "seeding.budget=2"
    )
    assert result.returncode == 0, result.stderr
    assert "degree, 2 seeds" in result.stdout


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (["--out", "{dir}/list.xlsx"], ["--out", ".csv or .json"]),
        (["--set", "seeding.budget=401"], ["seeding.budget", "above the 400 people"]),
        (["--set", "seeding.strategy=imn"], ["seeding.strategy", "did you mean 'imm'"]),
        (["--set", "nonsense"], ["expected KEY=VALUE"]),
    ],
)
def test_wom_seeds_bad_input_exits_2_naming_it(write, tmp_path, args, fragments):
    path = _write(write, "degree")
    args = [a.format(dir=tmp_path) for a in args]
    result = wom("seeds", str(path), *args)
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    for fragment in fragments:
        assert fragment in result.stderr, (fragment, result.stderr)
    assert not (tmp_path / "list.xlsx").exists()


def test_wom_seeds_on_a_missing_file_exits_2(tmp_path):
    result = wom("seeds", str(tmp_path / "nope.toml"))
    assert result.returncode == 2
    assert "nope.toml" in result.stderr
    assert "Traceback" not in result.stderr
