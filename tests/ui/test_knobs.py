"""The app's knobs come from the scenario schema, and editing a draft keeps it a scenario."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulation.errors import Problem, ScenarioError
from simulation.scenario import Content, Seeding, load_scenario, parse_scenario
from simulation.ui.knobs import (
    get_value,
    knobs_of,
    network_kind_change,
    problems_by_key,
    put_value,
    scenario_sections,
)

LAUNCH = Path(__file__).resolve().parents[2] / "scenarios" / "launch.toml"


def test_probability_knobs_take_range_and_default_from_the_schema():
    knobs = {k.key: k for k in knobs_of(Content, "content")}
    for name, info in Content.model_fields.items():
        if name == "half_life":
            continue
        knob = knobs[f"content.{name}"]
        assert knob.kind == "probability"
        assert (knob.minimum, knob.maximum) == (0.0, 1.0)
        assert knob.default == info.default
        assert knob.help == info.description
    assert knobs["content.half_life"].optional
    assert knobs["content.half_life"].exclusive_minimum


def test_choices_are_the_schemas_literals():
    strategy = next(k for k in knobs_of(Seeding, "seeding") if k.key == "seeding.strategy")
    assert strategy.kind == "choice"
    assert strategy.options == Seeding.model_fields["strategy"].annotation.__args__


def test_every_section_of_the_launch_scenario_has_its_keys():
    data = load_scenario(LAUNCH).to_toml_dict()
    sections = {prefix: knobs for prefix, _, knobs in scenario_sections(data)}
    assert {"network.kind", "network.n", "network.m"} <= {k.key for k in sections["network"]}
    assert "segments[2].affinity" in {k.key for k in sections["segments[2]"]}
    keys = {k.key for knobs in sections.values() for k in knobs}
    assert "network.path" not in keys  # server paths are never typed in


def test_knob_check_reports_values_outside_the_range():
    appeal = next(k for k in knobs_of(Content, "content") if k.key == "content.appeal")
    assert appeal.check(0.5) is None
    assert appeal.check(1.5) == "must be <= 1"
    assert appeal.check(-0.1) == "must be >= 0"


def test_put_and_get_dotted_keys_with_list_indices():
    data = load_scenario(LAUNCH).to_toml_dict()
    changed = put_value(data, "segments[1].affinity", 2.5)
    assert get_value(changed, "segments[1].affinity") == 2.5
    assert get_value(data, "segments[1].affinity") == 1.0  # the original is untouched
    assert get_value(changed, "content.missing", "x") == "x"
    removed = put_value(changed, "content.half_life", None)
    assert "half_life" not in removed["content"]
    parse_scenario(removed)


@pytest.mark.parametrize(
    "kind", ["erdos_renyi", "watts_strogatz", "powerlaw_cluster", "complete", "star", "karate"]
)
def test_switching_network_kind_gives_a_valid_scenario(kind):
    data = load_scenario(LAUNCH).to_toml_dict()
    data = put_value(data, "network.n", 500)
    changed = network_kind_change(data, kind)
    scenario = parse_scenario(changed)
    assert scenario.network.kind == kind
    if kind not in ("karate",):
        assert scenario.network.n == 500


def test_problems_go_to_their_knob_and_the_rest_stay_on_top():
    error = ScenarioError(
        [Problem("too big", key="content.appeal"), Problem("file", key=None), Problem("x", "q")]
    )
    by_key, rest = problems_by_key(error, {"content.appeal"})
    assert by_key == {"content.appeal": ["too big"]}
    assert [p.message for p in rest] == ["file", "x"]
