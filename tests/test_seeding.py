"""Seeding strategies (simulation.seeding): candidates, money budgets, determinism, and errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from simulation import influence
from simulation.cli import main
from simulation.engine import prepare
from simulation.errors import ScenarioError
from simulation.kernel_inputs import spread_inputs
from simulation.scenario import SEED_STRATEGIES, Scenario, parse_scenario
from simulation.seeding import seed_fees

COMPUTED = [s for s in SEED_STRATEGIES if s != "nodes"]
FIXED_SET = [s for s in COMPUTED if s != "random"]

NETWORK = {"kind": "barabasi_albert", "n": 600, "m": 3}
SEGMENTS = [
    {"name": "runners", "share": 0.3, "affinity": 1.5},
    {"name": "others", "share": 0.7, "affinity": 0.8},
]
FEES = {"fee_fixed": 100.0, "fee_per_follower": 5.0}


def scenario(seeding: dict, **tables) -> Scenario:
    """A 600-person launch with two segments; ``seeding`` is the [seeding] table."""
    data = {
        "name": "t",
        "seed": 3,
        "steps": 50,
        "network": NETWORK,
        "content": {"visibility": 0.8, "appeal": 0.4, "stickiness": 0.2},
        "segments": SEGMENTS,
        "seeding": {"mc_runs": 20, **seeding},
    }
    data.update(tables)
    return parse_scenario(data)


@pytest.mark.parametrize("strategy", COMPUTED)
def test_every_strategy_seeds_only_people_of_the_segment(strategy):
    s = scenario({"strategy": strategy, "budget": 8, "segment": "runners"})
    prepared = prepare(s)
    plan, graph = prepared.plan, prepared.graph
    people = plan.fixed if strategy != "random" else plan.pool
    runners = graph.segment_names.index("runners")
    assert plan.size == 8
    assert len(set(people.tolist())) == len(people)
    assert np.all(graph.segment_of[people] == runners)
    if strategy == "random":
        assert len(people) == np.count_nonzero(graph.segment_of == runners)


@pytest.mark.parametrize("strategy", COMPUTED)
def test_a_follower_tier_restricts_the_candidates(strategy):
    s = scenario({"strategy": strategy, "budget": 5, "min_followers": 6, "max_followers": 12})
    prepared = prepare(s)
    people = prepared.plan.fixed if strategy != "random" else prepared.plan.pool
    followers = prepared.graph.out_degree[people]
    assert len(people) >= 5
    assert np.all((followers >= 6) & (followers <= 12))


@pytest.mark.parametrize("strategy", COMPUTED)
def test_money_buys_seeds_within_it_and_the_plan_counts_their_fees(strategy):
    s = scenario({"strategy": strategy, "money": 2500.0, **FEES})
    prepared = prepare(s)
    fees = seed_fees(s, prepared.graph)
    seeds = prepared.plan.fixed
    assert len(seeds) >= 1
    assert prepared.plan.random_budget == 0
    assert prepared.plan.cost <= 2500.0
    assert prepared.plan.cost == pytest.approx(fees[seeds].sum())
    # Maximal: no candidate left out would still fit in the money left.
    left = 2500.0 - prepared.plan.cost
    others = np.setdiff1d(np.arange(prepared.graph.n), seeds)
    assert fees[others].min() > left


@pytest.mark.parametrize("strategy", COMPUTED)
def test_money_equal_to_one_macro_fee_stays_within_that_fee(strategy):
    graph = prepare(scenario({"strategy": "degree", "budget": 1})).graph
    macro_fee = FEES["fee_fixed"] + FEES["fee_per_follower"] * int(graph.out_degree.max())
    s = scenario({"strategy": strategy, "money": macro_fee, **FEES})
    plan = prepare(s).plan
    assert len(plan.fixed) >= 1
    assert plan.cost <= macro_fee


def test_unit_cost_buys_the_macro_influencer_when_it_spreads_further():
    # On a star, the hub reaches everyone; leaves reach little: one macro beats many micros.
    base = {"name": "t", "network": {"kind": "star", "n": 200}, "steps": 10}
    hub_fee = 100.0 + 1.0 * 199
    s = parse_scenario(
        {
            **base,
            "content": {"visibility": 1.0, "appeal": 1.0, "stickiness": 0.5},
            "seeding": {
                "strategy": "degree",
                "money": hub_fee,
                "fee_fixed": 100.0,
                "fee_per_follower": 1.0,
                "mc_runs": 50,
            },
        }
    )
    plan = prepare(s).plan
    assert plan.fixed.tolist() == [0]
    assert plan.cost == hub_fee


def test_random_with_a_count_budget_costs_the_expected_fee():
    s = scenario({"strategy": "random", "budget": 7, **FEES})
    prepared = prepare(s)
    fees = seed_fees(s, prepared.graph)
    assert prepared.plan.random_budget == 7
    assert prepared.plan.cost == pytest.approx(7 * fees.mean())


def test_random_with_money_is_one_set_fixed_by_the_scenario_seed():
    plans = [
        prepare(scenario({"strategy": "random", "money": 3000.0, **FEES}, seed=seed)).plan
        for seed in (1, 1, 2)
    ]
    np.testing.assert_array_equal(plans[0].fixed, plans[1].fixed)
    assert not np.array_equal(plans[0].fixed, plans[2].fixed)


@pytest.mark.parametrize("strategy", ["imm", "celf", "betweenness", "degree_discount"])
def test_the_same_scenario_names_the_same_seeds(strategy):
    s = scenario({"strategy": strategy, "budget": 6, "pivots": 40})
    first = prepare(s).plan.fixed
    again = prepare(s.with_overrides({})).plan.fixed
    np.testing.assert_array_equal(first, again)


def test_imm_under_another_rule_needs_the_tie_probability():
    threshold = {"rule": "threshold", "threshold": 0.3}
    with pytest.raises(ScenarioError) as caught:
        prepare(scenario({"strategy": "imm", "budget": 3}, diffusion=threshold))
    assert caught.value.problems[0].key == "seeding.strategy"
    plan = prepare(
        scenario({"strategy": "imm", "budget": 3, "propagation": 0.1}, diffusion=threshold)
    ).plan
    assert len(plan.fixed) == 3


def test_celf_optimises_whatever_rule_the_scenario_runs():
    threshold = {"rule": "threshold", "threshold": 0.3}
    plan = prepare(scenario({"strategy": "celf", "budget": 3}, diffusion=threshold)).plan
    assert len(set(plan.fixed.tolist())) == 3


def test_propagation_replaces_every_tie_probability_in_celfs_simulations():
    # With p = 1 the whole (connected) graph shares whoever is seeded.
    s = scenario({"strategy": "celf", "budget": 1, "propagation": 1.0})
    prepared = prepare(s)
    plan = prepared.plan
    spread = influence.kernel_spreads(
        spread_inputs(s, prepared.graph), plan.fixed, np.array([-1]), runs=3, steps=s.steps, seed=1
    )
    assert spread[0] == 600


# --------------------------------------------------------------------------- mistakes


def _toml(seeding: str) -> str:
    return f"""name = "t"
steps = 20

[network]
kind = "barabasi_albert"
n = 300
m = 2

[[segments]]
name = "fans"
share = 0.5

[[segments]]
name = "others"
share = 0.5

[seeding]
{seeding}
"""


MISTAKES = [
    ('strategy = "imn"', "seeding.strategy", "did you mean 'imm'"),
    ("money = -5.0\nfee_fixed = 1.0", "seeding.money", "greater than or equal to 0"),
    ("money = inf\nfee_fixed = 1.0", "seeding.money", "finite"),
    ('money = "lots"\nfee_fixed = 1.0', "seeding.money", "valid number"),
    ("money = 1000.0", "seeding.money", "needs fees"),
    ("fee_per_follower = -0.1", "seeding.fee_per_follower", "greater than or equal to 0"),
    ("fee_fixed = nan", "seeding.fee_fixed", "finite"),
    ("min_followers = 50\nmax_followers = 10", "seeding.max_followers", "below min_followers"),
    ("min_followers = -1", "seeding.min_followers", "greater than or equal to 0"),
    ("epsilon = 1.0", "seeding.epsilon", "less than 1"),
    ("epsilon = 0.0", "seeding.epsilon", "greater than 0"),
    ("confidence = 0.0", "seeding.confidence", "greater than 0"),
    ("mc_runs = 0", "seeding.mc_runs", "greater than or equal to 1"),
    ("pivots = 0", "seeding.pivots", "greater than or equal to 1"),
    ("[seeding.fee]\nfixed = 1.0", "seeding.fee", "unknown key"),
    # Found when the plan is made (wom validate makes it too):
    ("money = 50.0\nfee_fixed = 100.0", "seeding.money", "buys no one"),
    ("budget = 400", "seeding.budget", "above the 300 people"),
    ('budget = 5\nsegment = "fans"\nmin_followers = 10000', "seeding.budget", "followers"),
    (
        'strategy = "nodes"\nnodes = ["0", "1"]\nmoney = 10.0\nfee_fixed = 6.0',
        "seeding.money",
        "above money",
    ),
    ('strategy = "nodes"\nnodes = ["0"]\nmin_followers = 1000', "seeding.nodes", "not in"),
    ('strategy = "imm"\n[diffusion]\nrule = "bass"', "seeding.strategy", "set seeding.propagation"),
]


# Found only once a generated graph is drawn (its followers): by `wom run`, not `wom validate`.
DRAWN_MISTAKES = [
    ("money = 500.0\nfee_per_follower = 1.0\nmax_followers = 1", "seeding.money", "no one"),
]


@pytest.mark.parametrize(
    ("seeding", "key", "phrase", "command"),
    [(*m, ["validate"]) for m in MISTAKES]
    + [(*m, ["run", "--runs", "1", "--metrics", "sharers"]) for m in DRAWN_MISTAKES],
)
def test_a_bad_seeding_value_exits_2_naming_the_key(tmp_path: Path, seeding, key, phrase, command):
    path = tmp_path / "bad.toml"
    path.write_text(_toml(seeding))
    result = CliRunner().invoke(main, [*command, str(path)])
    assert result.exit_code == 2, result.output
    assert f"key '{key}'" in result.stderr
    assert phrase in result.stderr
    assert "Traceback" not in result.output


def test_free_seeds_are_refused(tmp_path: Path):
    # An isolated person has no followers: with only a per-follower fee they would cost nothing.
    (tmp_path / "ties.txt").write_text("a b\nb c\nd d\ne f\n")
    path = tmp_path / "free.toml"
    path.write_text(
        'name = "t"\n[network]\nkind = "edge_list"\npath = "ties.txt"\ndirected = true\n'
        "[seeding]\nmoney = 10.0\nfee_per_follower = 1.0\n"
    )
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 2
    assert "key 'seeding.fee_fixed'" in result.stderr
    assert "free" in result.stderr


def test_imm_beyond_its_memory_limit_is_a_user_error_naming_epsilon(monkeypatch, tmp_path: Path):
    monkeypatch.setattr(influence, "RR_MEMORY_LIMIT", 1000)
    path = tmp_path / "big.toml"
    path.write_text(_toml('strategy = "imm"\nepsilon = 0.05'))
    # IMM's sample size depends on the drawn graph: found by a run (validate draws no graph).
    result = CliRunner().invoke(main, ["run", "--runs", "1", "--metrics", "sharers", str(path)])
    assert result.exit_code == 2
    assert "key 'seeding.epsilon'" in result.stderr
    assert "raise seeding.epsilon" in result.stderr
