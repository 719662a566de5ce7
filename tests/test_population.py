"""People with attributes: draws match their shares, content resonance and targeting act on them."""

from __future__ import annotations

import copy
import subprocess
import sys
import tomllib
from pathlib import Path

import numpy as np
import pytest

from simulation.engine import prepare, simulate
from simulation.errors import ScenarioError
from simulation.population import target_mask
from simulation.scenario import load_scenario, parse_scenario

ROOT = Path(__file__).resolve().parents[1]
AUDIENCE = ROOT / "scenarios" / "audience_targeting.toml"


def _small(**changes):
    data = {
        "name": "people",
        "seed": 3,
        "steps": 30,
        "network": {"kind": "stochastic_block", "n": 1500, "mean_degree": 6.0},
        "content": {"visibility": 0.8, "appeal": 0.25, "stickiness": 0.3},
        "seeding": {"strategy": "random", "budget": 10},
        "segments": [
            {
                "name": "young",
                "share": 0.5,
                "age": [18, 24],
                "location": {"Beijing": 0.7, "Xian": 0.3},
                "interests": {"games": 0.8, "music": 0.2},
            },
            {
                "name": "old",
                "share": 0.5,
                "age": {"40-49": 0.5, "50-64": 0.5},
                "location": "Shanghai",
                "income": {"middle": 0.6, "high": 0.4},
                "interests": ["finance"],
            },
        ],
    }
    data.update(changes)
    return data


def _swapped(data):
    """The same scenario with the two segments' attributes exchanged (names and shares kept)."""
    out = copy.deepcopy(data)
    a, b = out["segments"]
    keys = ("age", "location", "income", "job", "industry", "interests")
    for key in keys:
        a_value, b_value = a.pop(key, None), b.pop(key, None)
        if b_value is not None:
            a[key] = b_value
        if a_value is not None:
            b[key] = a_value
    return out


def _run(data, runs=40):
    result = simulate(parse_scenario(data), runs=runs, metrics=["sharers", "reach", "conversions"])
    return {name: result.values[name] for name in result.metrics}


def test_label_and_interest_draws_match_their_shares_within_four_standard_errors():
    scenario = parse_scenario(_small(network={"kind": "erdos_renyi", "n": 20000, "mean_degree": 2}))
    people = prepare(scenario).population
    young = people.segment_of == 0
    m = int(young.sum())
    codes, names = people.labels["location"]
    for value, p in {"Beijing": 0.7, "Xian": 0.3}.items():
        share = np.mean(codes[young] == names.index(value))
        assert abs(share - p) < 4 * np.sqrt(p * (1 - p) / m)
    for value, p in {"games": 0.8, "music": 0.2}.items():
        share = people.interests[young, people.interest_names.index(value)].mean()
        assert abs(share - p) < 4 * np.sqrt(p * (1 - p) / m)
    assert not people.interests[young, people.interest_names.index("finance")].any()
    assert people.interests[~young, people.interest_names.index("finance")].all()
    ages = people.age[young]
    assert ages.min() >= 18
    assert ages.max() <= 24
    # Uniform on 18..24: mean 21, variance (7^2 - 1) / 12.
    assert abs(ages.mean() - 21) < 4 * np.sqrt(4.0 / m)
    old_ages = people.age[~young]
    assert abs(np.mean(old_ages < 50) - 0.5) < 4 * np.sqrt(0.25 / (~young).sum())


def test_the_population_frame_has_one_row_per_person_with_every_attribute():
    prepared = prepare(parse_scenario(_small()))
    frame = prepared.population.frame()
    assert len(frame) == prepared.graph.n
    assert list(frame.columns) == [
        "segment",
        "age",
        "age_band",
        "location",
        "income",
        "job",
        "industry",
        "interests",
    ]
    assert set(frame.loc[frame.segment == "old", "location"]) == {"Shanghai"}
    assert frame.loc[frame.segment == "young", "income"].isna().all()
    assert all(i == ["finance"] for i in frame.loc[frame.segment == "old", "interests"])
    assert set(frame.loc[frame.segment == "young", "age_band"]) == {"18-24"}


def test_the_population_is_a_function_of_the_scenario():
    first = prepare(parse_scenario(_small())).population.frame()
    again = prepare(parse_scenario(_small())).population.frame()
    assert first.equals(again)


def test_swapping_attributes_changes_nothing_when_no_content_targets_them():
    data = _small()
    plain, swapped = _run(data), _run(_swapped(data))
    for name in plain:
        np.testing.assert_array_equal(plain[name], swapped[name])


def test_swapping_attributes_changes_the_results_when_content_targets_them():
    data = _small(content={"visibility": 0.8, "appeal": 0.25, "stickiness": 0.3})
    data["content"]["resonance"] = {"interests": {"games": 3.0}, "location": {"Beijing": 1.5}}
    data["seeding"]["segment"] = "young"
    plain, swapped = _run(data, runs=60), _run(_swapped(data), runs=60)
    # Seeds stay in segment "young"; with the games lovers moved to "old" the seeds' own
    # segment (where most of their ties are) no longer hears the video as loudly.
    assert plain["sharers"].mean() > swapped["sharers"].mean()
    diff = plain["sharers"] - swapped["sharers"]
    assert diff.mean() > 4 * diff.std(ddof=1) / np.sqrt(len(diff))


def test_resonance_of_one_everywhere_is_the_plain_content():
    data = _small()
    neutral = copy.deepcopy(data)
    neutral["content"]["resonance"] = {"interests": {"games": 1.0}}
    for name, values in _run(data).items():
        np.testing.assert_array_equal(values, _run(neutral)[name])


def test_seeds_and_ads_reach_only_people_who_match_their_target():
    data = _small()
    data["seeding"] = {"strategy": "degree", "budget": 30, "target": {"age": [20, 22]}}
    data["ads"] = [
        {"spend_per_step": 5.0, "cpm": 10.0, "end": 3, "target": {"interests": ["finance"]}},
        {"spend_per_step": 5.0, "cpm": 10.0, "end": 3, "target": {"location": ["Xian"]}},
    ]
    prepared = prepare(parse_scenario(data))
    people = prepared.population
    seeds = prepared.plan.fixed
    assert len(seeds) == 30
    assert ((people.age[seeds] >= 20) & (people.age[seeds] <= 22)).all()
    ads = prepared.campaign.ads
    finance = people.interests[:, people.interest_names.index("finance")]
    codes, names = people.labels["location"]
    for a, wanted in enumerate([finance, codes == names.index("Xian")]):
        shown = ads.people[ads.audience_lo[a] : ads.audience_hi[a]]
        np.testing.assert_array_equal(np.sort(shown), np.flatnonzero(wanted))
        assert target_mask(people, parse_scenario(data).ads[a].target)[shown].all()


@pytest.mark.parametrize(
    ("change", "key", "words"),
    [
        (
            lambda d: d["segments"][0].update(location={"Beijing": 0.7, "Xian": 0.2}),
            "segments[0].location",
            "add up to 0.9",
        ),
        (
            lambda d: d["segments"][0].update(age={"18-x": 1.0}),
            "segments[0].age",
            "not an age band",
        ),
        (
            lambda d: d["content"].update(resonance={"location": {"Bejing": 2.0}}),
            "content.resonance.location",
            "did you mean 'Beijing'",
        ),
        (
            lambda d: d["seeding"].update(target={"interests": ["gaming"]}),
            "seeding.target.interests",
            "not a known interests value",
        ),
        (
            lambda d: d["content"].update(resonance={"age": {"18-25": 2.0}}),
            "content.resonance.age",
            "not a known age value",
        ),
    ],
)
def test_bad_attribute_tables_name_their_key(change, key, words):
    data = _small()
    change(data)
    with pytest.raises(ScenarioError) as error:
        parse_scenario(data)
    assert any(p.key == key and words in p.message for p in error.value.problems), [
        str(p) for p in error.value.problems
    ]


def test_a_bad_attribute_table_in_a_file_is_exit_2_without_a_traceback(tmp_path):
    text = AUDIENCE.read_text().replace("Shanghai = 0.3, Xian = 0.2", "Shanghai = 0.3, Xian = 0.3")
    path = tmp_path / "bad.toml"
    path.write_text(text)
    done = subprocess.run(
        [sys.executable, "-m", "simulation", "validate", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert "segments[0].location" in done.stderr + done.stdout
    assert "Traceback" not in done.stderr


def test_the_audience_scenario_is_valid_and_its_target_is_nobody_when_nobody_matches():
    scenario = load_scenario(AUDIENCE)
    assert scenario.content.resonance.interests == {"games": 2.5}
    data = tomllib.loads(AUDIENCE.read_text())
    data["ads"][0]["target"] = {"location": ["Xian"], "interests": ["finance"]}
    with pytest.raises(ScenarioError) as error:
        prepare(parse_scenario(data))
    assert error.value.problems[0].key == "ads[0].target"


def test_metrics_by_attribute_sum_to_the_totals():
    result = simulate(load_scenario(AUDIENCE), runs=20)
    values = result.values
    for metric in ("sharers", "reach", "engagements", "conversions"):
        for attribute in ("age", "location", "job"):
            parts = [n for n in result.metrics if n.startswith(f"{metric}[{attribute}:")]
            assert parts, (metric, attribute)
            np.testing.assert_array_equal(sum(values[n] for n in parts), values[metric])
        # Income is described for everyone; interests overlap, so each is at most the total.
        incomes = [n for n in result.metrics if n.startswith(f"{metric}[income:")]
        np.testing.assert_array_equal(sum(values[n] for n in incomes), values[metric])
        assert (values[f"{metric}[interest:games]"] <= values[metric]).all()
    assert "reach[age:18-24]" in result.to_json()["metrics"]
    assert "reach[age:18-24]" not in result.timeline  # like segment metrics: no timeline


def test_asking_only_for_a_metric_by_attribute_gives_the_same_numbers():
    scenario = load_scenario(AUDIENCE)
    every = simulate(scenario, runs=10)
    one = simulate(scenario, runs=10, metrics=["conversions[location:Beijing]"])
    assert one.metrics == ["conversions[location:Beijing]"]
    np.testing.assert_array_equal(
        one.values["conversions[location:Beijing]"], every.values["conversions[location:Beijing]"]
    )
    with pytest.raises(ScenarioError, match="per-attribute"):
        simulate(scenario, runs=1, metrics=["reach[location:Paris]"])


def _homophily_graph(n, similar_by, homophily):
    from simulation.network import build_graph

    data = _small(
        network={
            "kind": "homophily",
            "n": n,
            "mean_degree": 8.0,
            "homophily": homophily,
            "similar_by": similar_by,
        }
    )
    data["segments"][1]["location"] = {"Shanghai": 0.5, "Beijing": 0.5}
    return build_graph(parse_scenario(data))


def test_homophily_by_location_gives_an_assortativity_of_homophily_within_four_se():
    """With every alike tie on location, the attribute assortativity r equals homophily h.

    A tie joins people of the same location with P(e) = h + (1 - h) sum q^2 (q: the locations'
    shares; an alike tie's end is u's location, any other end is drawn from everyone), and each
    end's location is q-distributed either way, so r = (e - sum q^2) / (1 - sum q^2) = h. Its
    standard error is that of the binomial share e over m ties, / (1 - sum q^2).
    """
    import networkx as nx

    h = 0.6
    graph = _homophily_graph(20000, ["location"], h)
    codes = graph.population.labels["location"][0]
    nxg = graph.to_networkx()
    nx.set_node_attributes(nxg, dict(enumerate(codes.tolist())), "location")
    r = nx.attribute_assortativity_coefficient(nxg, "location")
    q = np.bincount(codes) / len(codes)
    e = h + (1 - h) * np.sum(q**2)
    se = np.sqrt(e * (1 - e) / graph.edges) / (1 - np.sum(q**2))
    assert abs(r - h) < 4 * se, (r, h, se)


def test_homophily_by_age_ties_people_close_in_age_and_none_is_random():
    import networkx as nx

    alike = _homophily_graph(4000, ["age"], 0.8).to_networkx()
    anyone = _homophily_graph(4000, ["age"], 0.0)
    ages = anyone.population.age
    nx.set_node_attributes(alike, dict(enumerate(ages.tolist())), "age")
    assert nx.numeric_assortativity_coefficient(alike, "age") > 0.6
    # With no homophily ties are uniform pairs: r's SE is about 1 / sqrt(ties).
    nxg = anyone.to_networkx()
    nx.set_node_attributes(nxg, dict(enumerate(ages.tolist())), "age")
    r0 = nx.numeric_assortativity_coefficient(nxg, "age")
    assert abs(r0) < 4 / np.sqrt(anyone.edges)
