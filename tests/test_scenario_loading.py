"""Reading scenarios: registries behind the schema, lines of problems, validate = a run's checks."""

from __future__ import annotations

import typing

import pytest

from simulation.errors import ScenarioError
from simulation.network_kinds import KINDS
from simulation.scenario import (
    NETWORK_KINDS,
    SEED_STRATEGIES,
    Scenario,
    Seeding,
    load_scenario,
    parse_scenario,
)
from simulation.strategies import STRATEGIES
from tests.helpers import ROOT, wom


def test_the_schema_takes_network_kinds_and_strategies_from_the_registries():
    assert list(NETWORK_KINDS) == list(KINDS)
    assert all(NETWORK_KINDS[name] is kind.schema for name, kind in KINDS.items())
    assert typing.get_args(Seeding.model_fields["strategy"].annotation) == tuple(STRATEGIES)
    assert tuple(STRATEGIES) == SEED_STRATEGIES
    union = typing.get_args(Scenario.model_fields["network"].annotation)
    assert set(union) == {kind.schema for kind in KINDS.values()}


def test_every_registered_kind_names_itself_in_its_schema():
    for name, kind in KINDS.items():
        assert name in kind.schema.kind_names()


def _problems(text: str, tmp_path) -> list[str]:
    path = tmp_path / "s.toml"
    path.write_text(text, encoding="utf-8")
    result = wom("validate", str(path))
    assert result.returncode == 2
    return result.stderr.splitlines()


def test_a_problem_in_an_array_of_tables_names_the_line_of_that_table(tmp_path):
    text = (
        'name = "x"\n[network]\nkind = "karate"\n'
        '[[posts]]\nname = "a"\nstart = 1\n'
        '[[posts]]\nname = "b"\nstart = -1\n'
        '[[posts]]\nname = "c"\n[posts.seeding]\nbudgt = 3\n'
    )
    lines = _problems(text, tmp_path)
    assert any("line 9, key 'posts[1].start'" in line for line in lines), lines
    assert any("line 13, key 'posts[2].seeding.budgt'" in line for line in lines), lines


def test_internal_field_names_are_not_keys(tmp_path):
    lines = _problems('source = "x"\nname = "x"\n[network]\nkind = "karate"\n', tmp_path)
    assert any("line 1, key 'source': unknown key" in line for line in lines)


def test_scenarios_built_in_code_may_hold_keys_of_other_rules():
    data = {"name": "x", "network": {"kind": "karate"}, "diffusion": {"threshold_count": 2}}
    assert parse_scenario(data).diffusion.threshold_count == 2
    with pytest.raises(ScenarioError, match="rule 'threshold'"):
        parse_scenario(data, idle_keys=True)


def test_an_override_that_does_nothing_is_named_only_when_asked():
    base = parse_scenario({"name": "x", "network": {"kind": "karate"}})
    assert base.with_overrides({"seeding.epsilon": 0.2}).seeding.epsilon == 0.2
    with pytest.raises(ScenarioError, match=r"seeding\.epsilon.*strategy 'imm'"):
        base.with_overrides({"seeding.epsilon": 0.2}, idle_keys=True)
    # Whole tables replaced (as sweeps and the app do) are not second-guessed.
    table = {"rule": "cascade", "threshold": 0.5}
    assert base.with_overrides({"diffusion": table}, idle_keys=True).diffusion.threshold == 0.5


BODY = 'name = "x"\nsteps = 5\nruns = 2\n'
PREPARE_PROBLEMS = {
    "unknown seed label": BODY
    + '[network]\nkind = "karate"\n[seeding]\nstrategy = "nodes"\nnodes = [3, 99]\n',
    "budget above a segment": BODY + '[network]\nkind = "barabasi_albert"\nn = 50\nm = 2\n'
    '[seeding]\nbudget = 30\nsegment = "a"\n'
    '[[segments]]\nname = "a"\nshare = 0.5\n[[segments]]\nname = "b"\nshare = 0.5\n',
    "ad to an empty segment": BODY + '[network]\nkind = "star"\nn = 3\n'
    '[[segments]]\nname = "a"\nshare = 0.01\n[[segments]]\nname = "b"\nshare = 0.99\n'
    '[[ads]]\nspend_per_step = 1.0\ncpm = 10.0\nsegment = "a"\n',
    "money below the cheapest": BODY + '[network]\nkind = "complete"\nn = 20\n'
    "[seeding]\nmoney = 5.0\nfee_per_follower = 1.0\n",
    "a competitor's budget": BODY + '[network]\nkind = "path"\nn = 4\n'
    '[seeding]\nbudget = 1\n[[competitors]]\nname = "r"\nseeding = {budget = 9}\n',
    "a listed seed outside the tier": BODY + '[network]\nkind = "karate"\n'
    '[seeding]\nstrategy = "nodes"\nnodes = [11]\nmin_followers = 2\n',
}


@pytest.mark.parametrize("name", list(PREPARE_PROBLEMS))
def test_validate_finds_what_a_run_finds_without_running(name, tmp_path):
    path = tmp_path / "s.toml"
    path.write_text(PREPARE_PROBLEMS[name], encoding="utf-8")
    checked = wom("validate", str(path))
    ran = wom("run", str(path), "--metrics", "sharers")
    assert checked.returncode == ran.returncode == 2
    assert ran.stderr.strip()
    for line in ran.stderr.splitlines():
        assert line in checked.stderr.splitlines(), (line, checked.stderr)


@pytest.mark.parametrize("name", sorted(p.name for p in (ROOT / "scenarios").glob("*.toml")))
@pytest.mark.parametrize("strategy", ["degree", "imm", "nodes"])
@pytest.mark.parametrize("rule", ["cascade", "threshold", "bass"])
def test_a_scenario_written_out_is_a_valid_file_with_the_same_meaning(
    tmp_path, name, strategy, rule
):
    """``to_toml_dict`` (the app's download, ``wom fit``'s fitted.toml) never writes idle keys."""
    import tomli_w

    scenario = load_scenario(ROOT / "scenarios" / name)
    seeding = {"strategy": strategy, "nodes": []} if strategy == "nodes" else {"strategy": strategy}
    if strategy == "imm" and rule != "cascade":
        seeding["propagation"] = 0.05
    scenario = scenario.with_overrides(
        {"diffusion.rule": rule, **{f"seeding.{k}": v for k, v in seeding.items()}}
    )
    path = tmp_path / name
    path.write_text(tomli_w.dumps(scenario.to_toml_dict()), encoding="utf-8")
    again = load_scenario(path)
    # Everything that matters is kept (idle keys, which do nothing, may fall back to defaults).
    assert again.to_toml_dict() == scenario.to_toml_dict()
