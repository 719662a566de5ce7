"""Every key of time and attention is editable in the app's scenario panel (no browser)."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulation.errors import ScenarioError
from simulation.kernel_inputs import kernel_params
from simulation.scenario import Ad, Segment, Time, load_scenario, parse_scenario
from simulation.ui.knobs import (
    OPTIONAL_TABLES,
    parse_numbers,
    problems_by_key,
    put_value,
    scenario_sections,
)

ROOT = Path(__file__).resolve().parents[2]
CALENDAR = ROOT / "scenarios" / "content_calendar.toml"
LAUNCH = ROOT / "scenarios" / "launch.toml"
SEGMENT_KEYS = ("activity", "activity_hours", "activity_days")
AD_KEYS = ("frequency_cap", "frequency_period")


def _knobs(data):
    return {k.key: k for _, _, knobs in scenario_sections(data) for k in knobs}


def test_every_time_key_has_a_knob_of_the_right_kind():
    knobs = _knobs(load_scenario(CALENDAR).to_toml_dict())
    for name in Time.model_fields:
        assert f"time.{name}" in knobs, name
    kinds = {name: knobs[f"time.{name}"].kind for name in Time.model_fields}
    assert kinds == {
        "step": "choice",
        "start_day": "choice",
        "start_hour": "int",
        "activity": "choice",
        "activity_hours": "numbers",
        "activity_days": "numbers",
        "attention": "int",
        "wear_out": "probability",
        "recovery": "float",
    }
    for i in range(2):
        for name in SEGMENT_KEYS:
            assert f"segments[{i}].{name}" in knobs
    for name in AD_KEYS:
        assert f"ads[0].{name}" in knobs
    assert set(SEGMENT_KEYS) <= set(Segment.model_fields)
    assert set(AD_KEYS) <= set(Ad.model_fields)


def test_the_time_table_can_be_added_edited_and_removed():
    data = load_scenario(LAUNCH).to_toml_dict()
    assert "time" not in {prefix for prefix, _, _ in scenario_sections(data)}
    _title, starter = OPTIONAL_TABLES["time"]
    data = put_value(data, "time", starter)
    assert "time" in {prefix for prefix, _, _ in scenario_sections(data)}
    for key, value in {
        "time.step": "day",
        "time.start_day": "friday",
        "time.activity": "weekend",
        "time.activity_days": [1, 1, 1, 1, 1, 0.5, 0.5],
        "time.attention": 4,
        "time.wear_out": 0.2,
        "time.recovery": 3.0,
        "segments[0].activity": "student",
        "segments[1].activity_hours": [0.3] * 24,
    }.items():
        data = put_value(data, key, value)
    scenario = parse_scenario(data, source="app")
    timing = kernel_params(scenario).timing
    assert timing.attention == 4
    assert timing.online.shape == (7, 3)
    assert abs(timing.keep - 0.8) < 1e-12
    # Without [time] the segments' profiles have no clock: said under their keys.
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(put_value(data, "time", None), source="app")
    by_key, _ = problems_by_key(
        caught.value, {"segments[0].activity", "segments[1].activity_hours"}
    )
    assert len(by_key) == 2
    data = put_value(data, "segments[0].activity", None)
    data = put_value(data, "segments[1].activity_hours", None)
    assert parse_scenario(put_value(data, "time", None), source="app").time is None


def test_a_capped_ad_is_edited_in_its_section():
    data = load_scenario(ROOT / "scenarios" / "paid_vs_earned.toml").to_toml_dict()
    data = put_value(data, "ads[0].frequency_cap", 3)
    scenario = parse_scenario(data, source="app")
    assert kernel_params(scenario).timing.ad_cap.tolist() == [3]
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(put_value(data, "ads[0].frequency_period", "day"), source="app")
    by_key, _ = problems_by_key(caught.value, {"ads[0].frequency_period"})
    assert "needs a [time] table" in by_key["ads[0].frequency_period"][0]


def test_typed_hours_become_numbers_and_a_wrong_count_is_said_under_the_key():
    data = load_scenario(CALENDAR).to_toml_dict()
    hours, problem = parse_numbers(", ".join(["0.25"] * 24))
    assert problem is None
    assert hours == [0.25] * 24
    parse_scenario(put_value(data, "segments[0].activity_hours", hours), source="app")
    short, _ = parse_numbers("0.1, 0.2")
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(put_value(data, "segments[0].activity_hours", short), source="app")
    by_key, _ = problems_by_key(caught.value, {"segments[0].activity_hours"})
    assert by_key["segments[0].activity_hours"]
    assert parse_numbers("0.1, lots")[1] is not None
    assert parse_numbers("nan")[1] is not None
    assert parse_numbers("  ") == (None, None)
