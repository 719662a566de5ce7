"""People with attributes and time of day together: audience groups keep their segment's hours.

The kernel's classes are audience groups (a segment split by the attributes metrics break down
by and by every post's resonance); activity profiles are set per segment, so each group must
read its own segment's hours. Splitting a segment into groups without resonance changes no
number; resonance with the hours on changes them.
"""

from __future__ import annotations

import numpy as np
import pytest
from helpers import ROOT

from simulation.engine import prepare, simulate
from simulation.scenario import load_scenario, parse_scenario

CALENDAR = ROOT / "scenarios" / "content_calendar.toml"


def _with_locations(data: dict, resonance: dict | None = None) -> dict:
    data = {**data, "runs": 24, "network": {**data["network"], "n": 1500}}
    data["segments"] = [
        {**segment, "location": {"Xian": 0.5, "Chengdu": 0.5}} for segment in data["segments"]
    ]
    if resonance is not None:
        data["content"] = {**data["content"], "resonance": {"location": resonance}}
    return data


def _values(data: dict) -> dict[str, np.ndarray]:
    scenario = parse_scenario(data, source="<test>")
    result = simulate(scenario, metrics=["sharers", "reach", "engagements"])
    return result.values


@pytest.mark.slow
def test_groups_split_by_location_keep_their_segments_hours():
    base = load_scenario(CALENDAR).to_toml_dict()
    plain = {**base, "runs": 24, "network": {**base["network"], "n": 1500}}
    split = _with_locations(base)
    scenario = parse_scenario(split, source="<test>")
    prepared = prepare(scenario)
    segments = len(scenario.segments)
    assert prepared.groups > segments  # the location breakdown splits every segment
    # Each group's hours are its segment's: the same numbers as without the split.
    a, b = _values(plain), _values(split)
    for metric in ("sharers", "reach", "engagements"):
        np.testing.assert_array_equal(a[metric], b[metric])
    # The groups really carry the segments' different hours: one profile for all changes them.
    same_hours = {**split, "segments": [{**s, "activity": "office"} for s in split["segments"]]}
    assert not np.array_equal(_values(same_hours)["sharers"], b["sharers"])


def test_resonance_by_location_changes_who_shares_with_the_hours_on():
    base = load_scenario(CALENDAR).to_toml_dict()
    flat = _values(_with_locations(base, {"Xian": 1.0}))
    loud = _values(_with_locations(base, {"Xian": 2.0}))
    diff = loud["sharers"] - flat["sharers"]  # paired: the same replicates' random numbers
    assert diff.mean() > 4 * diff.std(ddof=1) / np.sqrt(len(diff))
