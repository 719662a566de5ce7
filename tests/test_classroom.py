"""The classroom scenario shows a teacher a cascade on the first Play (replicate 0)."""

from __future__ import annotations

from helpers import ROOT

from simulation.engine import simulate
from simulation.model import WordOfMouthModel
from simulation.scenario import load_scenario


def test_the_first_replicates_of_the_classroom_demo_go_viral():
    scenario = load_scenario(ROOT / "scenarios" / "classroom.toml")
    first = simulate(scenario, runs=3, metrics=["sharers"]).values["sharers"]
    # A third of the school or more in each of the first three runs a teacher presses Play on.
    assert (first >= 100).all(), first
    model = WordOfMouthModel(scenario, run=0, space=False)
    while model.running:
        model.step()
    assert model.counts()["sharers"] == first[0]
