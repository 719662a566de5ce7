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
    parse_shares,
    problems_by_key,
    put_value,
    scenario_sections,
    shares_text,
)

LAUNCH = Path(__file__).resolve().parents[2] / "scenarios" / "launch.toml"


def test_probability_knobs_take_range_and_default_from_the_schema():
    knobs = {k.key: k for k in knobs_of(Content, "content")}
    for name, info in Content.model_fields.items():
        if name in ("half_life", "resonance"):  # resonance is a table: a section of its own
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
    "kind",
    [
        "erdos_renyi",
        "watts_strogatz",
        "powerlaw_cluster",
        "complete",
        "star",
        "karate",
        "public_followers",
        "closed_circles",
    ],
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


def test_only_the_chosen_strategys_and_rules_keys_are_shown():
    from simulation.ui.knobs import relevant

    seeding = {k.key: k for k in knobs_of(Seeding, "seeding")}
    assert relevant(seeding["seeding.epsilon"], {"strategy": "imm"})
    assert not relevant(seeding["seeding.epsilon"], {"strategy": "degree"})
    assert relevant(seeding["seeding.nodes"], {"strategy": "nodes"})
    assert not relevant(seeding["seeding.nodes"], {"strategy": "random"})
    assert not relevant(seeding["seeding.budget"], {"strategy": "nodes"})
    assert relevant(seeding["seeding.propagation"], {"strategy": "celf"})
    assert not relevant(seeding["seeding.mc_runs"], {"strategy": "degree"})
    assert relevant(seeding["seeding.mc_runs"], {"strategy": "degree", "money": 100.0})
    assert relevant(seeding["seeding.pivots"], {"strategy": "betweenness"})
    # A key that is set stays shown (so that it can be removed), whatever the strategy.
    assert relevant(seeding["seeding.epsilon"], {"strategy": "degree", "epsilon": 0.2})
    sections = {
        p: [k.key for k in ks]
        for p, _, ks in scenario_sections(
            {"name": "x", "network": {"kind": "path", "n": 5}, "diffusion": {"rule": "bass"}}
        )
    }
    assert "diffusion.imitation" in sections["diffusion"]
    assert "diffusion.threshold_count" not in sections["diffusion"]


def test_every_table_of_a_campaign_has_a_section_and_rows_can_be_added_and_removed():
    from simulation.ui.knobs import add_row, remove_row

    root = LAUNCH.parent
    for name, prefixes in {
        "paid_vs_earned": {"ads[0]", "money"},
        "crisis_response": {"crisis", "crisis.seeding", "posts[0]"},
        "competing_brands": {"competitors[0]", "competitors[0].content", "market"},
    }.items():
        data = load_scenario(root / f"{name}.toml").to_toml_dict()
        assert prefixes <= {p for p, _, _ in scenario_sections(data)}, name
    data = load_scenario(LAUNCH).to_toml_dict()
    for table in ("posts", "ads", "competitors"):
        grown = add_row(add_row(data, table), table)
        assert len(grown[table]) == 2
        if "name" in grown[table][0]:
            assert grown[table][0]["name"] != grown[table][1]["name"]
        assert f"{table}[1]" in {p for p, _, _ in scenario_sections(grown)}
        parse_scenario(grown, source="t")  # the starter rows are valid as they are
        assert table not in remove_row(remove_row(grown, table, 0), table, 0)
    more = add_row(data, "segments")
    assert len(more["segments"]) == 4
    with pytest.raises(ScenarioError, match="share"):
        parse_scenario(more, source="t")  # shares no longer add up: said under the field
    assert len(remove_row(data, "segments", 1)["segments"]) == 2


def test_the_platforms_are_kinds_with_their_preset_keys_editable():
    data = load_scenario(LAUNCH.with_name("platforms.toml")).to_toml_dict()
    sections = {prefix: knobs for prefix, _, knobs in scenario_sections(data)}
    network = {k.key: k for k in sections["network"]}
    assert {"public_followers", "closed_circles"} <= set(network["network.kind"].options)
    assert network["network.reciprocity"].kind == "probability"
    assert network["network.attachment"].kind == "probability"
    assert network["network.follows"].kind == "int"
    assert network["network.audience"].options == ("followers", "mutual")
    circles = network_kind_change(data, "closed_circles")
    assert circles["network"] == {"kind": "closed_circles", "n": 10_000}  # the preset's defaults
    knobs = {k.key: k for _, _, ks in scenario_sections(circles) for k in ks}
    assert knobs["network.circle_size"].default == 7.0
    assert knobs["network.density"].kind == "probability"
    edited = put_value(circles, "network.circles", 3)
    assert parse_scenario(edited).network.circles == 3
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(put_value(circles, "network.circle_size", 20_000.0))
    assert caught.value.problems[0].key == "network.circle_size"


AUDIENCE = LAUNCH.parent / "audience_targeting.toml"


@pytest.mark.parametrize(
    ("text", "plain", "expected"),
    [
        ("Beijing: 0.6, Xian: 0.4", "text", {"Beijing": 0.6, "Xian": 0.4}),
        ("Beijing", "text", "Beijing"),
        ("games, music", "list", ["games", "music"]),
        ("18, 24", "pair", [18, 24]),
        ('"18-24": 0.5, 25-34: 0.5', "pair", {"18-24": 0.5, "25-34": 0.5}),
        ("", None, None),
    ],
)
def test_a_table_of_shares_is_typed_as_name_number_pairs(text, plain, expected):
    assert parse_shares(text, plain) == (expected, None)
    if expected is not None:
        assert parse_shares(shares_text(expected), plain) == (expected, None)


def test_a_table_of_shares_that_is_not_one_is_a_message():
    value, message = parse_shares("games: lots", None)
    assert value is None
    assert "name: number" in message
    assert parse_shares("games", None)[1] is not None  # resonance needs multipliers


def test_every_audience_key_has_a_control_and_edits_keep_a_scenario():
    data = load_scenario(AUDIENCE).to_toml_dict()
    sections = {prefix: knobs for prefix, _, knobs in scenario_sections(data)}
    keys = {k.key: k for knobs in sections.values() for k in knobs}
    for key in (
        "segments[0].age",
        "segments[0].location",
        "segments[0].interests",
        "segments[1].industry",
        "content.resonance.interests",
        "content.resonance.age",
        "competitors[0].content.resonance.industry",
        "seeding.target.age",
        "seeding.target.interests",
        "ads[0].target.location",
        "competitors[0].seeding.target.location",
        "people.age_bands",
    ):
        assert key in keys, key
    edits = {
        "segments[0].location": parse_shares("Beijing: 0.5, Xian: 0.5", "text")[0],
        "segments[0].age": parse_shares("18, 30", "pair")[0],
        "content.resonance.location": parse_shares("Xian: 3", None)[0],
        "seeding.target.location": ["Xian"],
        "people.age_bands": [18, 25, 40],
    }
    for key, value in edits.items():
        data = put_value(data, key, value)
    scenario = parse_scenario(data)
    assert scenario.content.resonance.location == {"Xian": 3.0}
    assert scenario.seeding.target.location == ["Xian"]
    assert scenario.people.age_bands == [18, 25, 40]
    bad = put_value(data, "content.resonance.location", {"Bejing": 2.0})
    with pytest.raises(ScenarioError) as error:
        parse_scenario(bad)
    by_key, _ = problems_by_key(error.value, set(keys))
    assert "content.resonance.location" in by_key
