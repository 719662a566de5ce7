"""The Mesa agents: people on the network space who act in their own step, and what they report."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from helpers import ROOT, make_scenario, wom
from mesa.discrete_space import CellAgent
from mesa.visualization.solara_viz import _check_model_params

from simulation import WordOfMouthModel, kernel
from simulation.agents import Consumer
from simulation.engine import prepare, simulate
from simulation.errors import ScenarioError
from simulation.model import KEYWORDS, PERSON_REPORTERS
from simulation.scenario import load_scenario

SCENARIOS = ROOT / "scenarios"


def shipped(name: str, n: int | None = None):
    """A shipped scenario, its network shrunk to n people (the agents step in Python)."""
    scenario = load_scenario(SCENARIOS / f"{name}.toml")
    return scenario if n is None else scenario.with_overrides({"network.n": n})


def run_to_end(model: WordOfMouthModel) -> WordOfMouthModel:
    while model.running:
        model.step()
    return model


@pytest.mark.usefixtures("kernel_path")
@pytest.mark.parametrize(
    ("name", "n", "seed", "run"),
    [
        ("classroom", None, 3, 0),
        ("launch", 2000, 11, 1),  # funnel (clicks, purchases)
        ("competing_brands", 2000, 5, 2),  # rival brands in an exclusive market
        ("paid_vs_earned", 2000, 7, 0),  # ads
        ("crisis_response", 1500, 2, 3),  # crisis, repeat posts, answers
        ("segment_targeting", 1500, 4, 0),  # segments
    ],
)
def test_agents_stepping_equals_the_monte_carlo_replicate_on_every_metric(name, n, seed, run):
    scenario = shipped(name, n)
    prepared = prepare(scenario)
    result = simulate(scenario, runs=1, seed=seed, first_run=run, prepared=prepared)
    model = WordOfMouthModel(scenario, seed=seed, run=run, prepared=prepared, space=False)
    for _ in range(scenario.steps):
        model.step()
    frame = model.datacollector.get_model_vars_dataframe()
    assert set(frame.columns) == set(result.timeline)
    for metric, line in result.timeline.items():
        padded = np.pad(line, (0, scenario.steps + 1 - len(line)), mode="edge")
        np.testing.assert_array_equal(frame[metric].to_numpy(), padded, err_msg=metric)


def test_consumers_are_cell_agents_on_the_social_network():
    model = WordOfMouthModel(seed=1)
    graph = model.prepared.graph.to_networkx()
    for consumer in model.consumers[:50]:
        assert isinstance(consumer, CellAgent)
        assert consumer.cell.coordinate == consumer.person
        assert consumer in consumer.cell.agents
        neighbours = {c.coordinate for c in consumer.cell.neighborhood}
        assert neighbours == set(graph.neighbors(consumer.person))
    assert len(model.agents_by_type[Consumer]) == model.prepared.graph.n


def test_a_consumer_steps_once_per_turn_and_not_between_steps():
    model = WordOfMouthModel(seed=1)
    before = model.market.counters[0].copy()
    model.agents.do("step")  # between steps: nobody has a turn
    np.testing.assert_array_equal(model.market.counters[0], before)
    seed = model.brand.seeds[0]
    model.phase, model.post = "share_with_followers", 0
    seed.step()
    once = model.market.counters[0].copy()
    impressions = kernel.COUNTERS.index("impressions")
    assert once[impressions] > before[impressions]
    seed.step()  # the same turn again: the share already reached the followers
    np.testing.assert_array_equal(model.market.counters[0], once)


def test_the_sharers_step_in_the_kernel_frontier_order():
    model = WordOfMouthModel(seed=3)
    turns: list[tuple[str, list[int]]] = []
    original = model._turn

    def spy(phase, post, people):
        turns.append((phase, [a.person for a in people]))
        original(phase, post, people)

    model._turn = spy
    for _ in range(6):
        lo, hi = model.market.cursor[0, kernel.C_LO], model.market.cursor[0, kernel.C_HI]
        frontier = model.market.order[0, lo:hi].tolist()
        turns.clear()
        model.step()
        assert turns == [("share_with_followers", frontier)]
    assert len(frontier) > 1  # the order was tested on a real frontier


def test_person_reporters_agree_with_the_counts_every_step():
    model = run_to_end(WordOfMouthModel(seed=3))
    people = model.datacollector.get_agenttype_vars_dataframe(Consumer)
    assert set(PERSON_REPORTERS) <= set(people.columns)
    timeline = model.datacollector.get_model_vars_dataframe()
    per_step = people.groupby(level="Step")
    np.testing.assert_array_equal(per_step["shared"].sum().to_numpy(), timeline["sharers"])
    np.testing.assert_array_equal(
        per_step["posts_seen"].apply(lambda s: (s > 0).sum()).to_numpy(), timeline["reach"]
    )
    np.testing.assert_array_equal(per_step["purchased"].sum().to_numpy(), timeline["conversions"])


def test_each_sharer_was_referred_by_someone_who_shared_a_step_earlier():
    model = run_to_end(WordOfMouthModel(seed=3))
    people = model.people().set_index("label")
    sharers = people[people["shared"]]
    referred = sharers[sharers["parent"].notna()]
    assert len(referred) == len(sharers) - sharers["seed"].sum() > 100
    parents = people.loc[referred["parent"]]
    assert parents["shared"].all()
    np.testing.assert_array_equal(
        parents["shared_step"].to_numpy() + 1, referred["shared_step"].to_numpy()
    )
    timeline = model.datacollector.get_model_vars_dataframe()["sharers"].to_numpy()
    by_step = [int((people["shared_step"] <= t).sum()) for t in range(len(timeline))]
    assert by_step == timeline.tolist()


def test_keywords_set_scenario_keys_and_bad_values_name_the_key():
    model = WordOfMouthModel(
        scenario=SCENARIOS / "classroom.toml", stickiness=0.3, n=500, rule="cascade", seed=1
    )
    assert model.prepared.scenario.content.stickiness == 0.3
    assert model.prepared.graph.n == 500
    assert int(model.seed_value) == 1
    default = WordOfMouthModel(seed=1)  # the classroom demo
    assert default.prepared.scenario.name == "Classroom"
    same = WordOfMouthModel(
        scenario=default.prepared.scenario, settings={"content.stickiness": 0.3}
    )
    assert same.scenario.content.stickiness == 0.3
    with pytest.raises(ScenarioError, match=r"content\.stickiness"):
        WordOfMouthModel(stickiness=1.5)
    with pytest.raises(ScenarioError, match=r"diffusion\.rule"):
        WordOfMouthModel(rule="gossip")
    with pytest.raises(TypeError):
        WordOfMouthModel(sticky=0.3)
    assert all(key.count(".") <= 1 for key in KEYWORDS.values())


def test_solara_viz_accepts_the_keywords_as_model_params():
    params = dict.fromkeys(("stickiness", "n", "rule", "seed", "appeal", "steps"), 1)
    _check_model_params(WordOfMouthModel.__init__, params)  # raises on an unknown name


def test_people_export_is_one_row_per_person_of_the_replicate(tmp_path):
    path = tmp_path / "people.parquet"
    done = wom(
        "run", str(SCENARIOS / "classroom.toml"), "--runs", "1", "--seed", "5",
        "--replicate", "2", "--people", str(path), "--json",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    people = pd.read_parquet(path)
    scenario = load_scenario(SCENARIOS / "classroom.toml")
    assert len(people) == scenario.network.n
    expected = simulate(scenario, runs=1, seed=5, first_run=2).values
    assert people["shared"].sum() == expected["sharers"][0]
    assert (people["posts_seen"] > 0).sum() == expected["reach"][0]
    assert people["purchased"].sum() == expected["conversions"][0]
    for column in ("label", "segment", "state", "posts_seen", "posts_engaged", "shared",
                   "shared_step", "parent", "purchased"):  # fmt: skip
        assert column in people.columns
    assert people.loc[people["seed"], "label"].tolist() == ["0"]


def test_people_export_refuses_bad_paths_before_running(tmp_path):
    scenario = str(SCENARIOS / "classroom.toml")
    kept = tmp_path / "notes.parquet"
    kept.write_text("my notes")
    for bad in (tmp_path / "people.csv", tmp_path, kept, SCENARIOS / "classroom.toml"):
        done = wom("run", scenario, "--runs", "1", "--people", str(bad))
        assert done.returncode == 2, bad
        assert "--people" in done.stderr
        assert "Traceback" not in done.stderr
    assert kept.read_text() == "my notes"
    done = wom("run", scenario, "--runs", "1", "--replicate", "1")
    assert done.returncode == 2
    assert "--people" in done.stderr


def test_model_on_a_tiny_threshold_scenario_steps_every_rule_phase():
    scenario = make_scenario(
        {"kind": "erdos_renyi", "n": 40, "mean_degree": 4.0, "seed": 1},
        diffusion={"rule": "threshold", "threshold": 0.2},
        seeding={"strategy": "degree", "budget": 3},
        steps=10,
    )
    result = simulate(scenario, runs=1, seed=9)
    model = run_to_end(WordOfMouthModel(scenario, seed=9))
    assert model.counts()["sharers"] == result.values["sharers"][0]


def test_attributes_join_the_people_in_one_place():
    # Prepared.population (a frame per person) is where attributes come from; the model,
    # its agents and the export read it through WordOfMouthModel.attributes.
    from simulation.person_export import people_frame

    scenario = shipped("audience_targeting", n=1500)
    prepared = prepare(scenario)
    population = prepared.population.frame()
    model = WordOfMouthModel(scenario, prepared=prepared)
    pd.testing.assert_frame_equal(model.attributes, population)
    for person in (0, 7, 1499):
        attributes = model.consumers[person].attributes
        assert attributes["location"] == population["location"][person]
        assert attributes["interests"] == population["interests"][person]
    frame = people_frame(model)
    assert frame["location"].tolist() == population["location"].tolist()
    assert frame["age"].tolist() == population["age"].tolist()
    assert frame["segment"].tolist() == population["segment"].astype(str).tolist()
    assert list(frame.columns).count("segment") == 1  # the model's own column is kept
