"""Invariants of the kernel, stated for any graph and any parameters (hypothesis)."""

from __future__ import annotations

import networkx as nx
import numba
import numpy as np
import pytest
from helpers import make_scenario
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulation import WordOfMouthModel, kernel
from simulation.engine import prepare, simulate

probability = st.floats(0.0, 1.0)
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def scenarios(draw, rules=("cascade", "threshold", "bass")):
    """Small random scenarios across network kinds, rules, funnels and seedings."""
    n = draw(st.integers(2, 60))
    network = draw(
        st.sampled_from(
            [
                {"kind": "erdos_renyi", "n": n, "mean_degree": min(n - 1, 3.0)},
                {"kind": "barabasi_albert", "n": max(n, 3), "m": 2},
                {"kind": "watts_strogatz", "n": max(n, 5), "k": 4, "rewire": 0.2},
                {"kind": "stochastic_block", "n": n, "mean_degree": 3.0, "homophily": 0.7},
            ]
        )
    )
    network["seed"] = draw(st.integers(0, 10**6))
    rule = draw(st.sampled_from(rules))
    half_life = draw(st.one_of(st.none(), st.floats(0.5, 20)))
    content = {
        "visibility": draw(probability),
        "appeal": draw(probability),
        "stickiness": draw(probability),
        "click_through": draw(probability),
        "conversion": draw(probability),
    }
    if half_life is not None:
        content["half_life"] = half_life
    size = network["n"]
    budget = draw(st.integers(0 if rule == "bass" else 1, min(5, size)))
    return make_scenario(
        network,
        content=content,
        diffusion={
            "rule": rule,
            "threshold": draw(st.floats(0.05, 1.0)),
            "innovation": draw(st.floats(0.0, 0.5)),
            "imitation": draw(st.floats(0.0, 0.5)),
        },
        seeding={
            "strategy": draw(st.sampled_from(["random", "degree", "pagerank"])),
            "budget": budget,
        },
        segments=[
            {"name": "a", "share": 0.5, "affinity": draw(st.floats(0.0, 3.0))},
            {"name": "b", "share": 0.5, "affinity": draw(st.floats(0.0, 3.0))},
        ],
        steps=draw(st.integers(1, 30)),
    )


@pytest.mark.usefixtures("kernel_path")
@SETTINGS
@given(scenarios(), st.integers(0, 2**32))
def test_counts_are_consistent_and_never_decrease(scenario, seed):
    prepared = prepare(scenario)
    result = simulate(scenario, runs=3, seed=seed, prepared=prepared)
    values = result.values
    for name, line in result.timeline.items():
        assert np.all(np.diff(line) >= 0), name
    seeds = prepared.plan.size
    assert np.all(values["sharers"] >= seeds)
    assert np.all(values["reach"] >= values["sharers"])
    assert np.all(values["reach"] <= scenario.network.n if hasattr(scenario.network, "n") else True)
    assert np.all(values["engagements"] == values["likes"] + values["comments"])
    assert np.all(values["clicks"] <= values["engagements"])
    assert np.all(values["conversions"] <= values["clicks"])
    assert np.all(values["shares"] == values["sharers"] - seeds)
    segment_sum = values["sharers[a]"] + values["sharers[b]"]
    assert np.all(segment_sum == values["sharers"])
    assert np.all(values["reach[a]"] + values["reach[b]"] == values["reach"])
    assert np.all(values["steps"] <= scenario.steps)


@SETTINGS
@given(scenarios(rules=("cascade", "threshold")), st.integers(0, 2**32))
def test_seeds_are_sharers(scenario, seed):
    prepared = prepare(scenario)
    model = WordOfMouthModel(scenario, seed=seed, prepared=prepared, space=False)
    for _ in range(scenario.steps):
        model.step()
    assert all(consumer.shared for consumer in model.brand.seeds)
    assert len(model.brand.seeds) == prepared.plan.size


@pytest.mark.usefixtures("kernel_path")
@SETTINGS
@given(scenarios(rules=("cascade",)), st.integers(0, 2**32))
def test_zero_probability_spreads_nothing(scenario, seed):
    for knob in ("visibility", "appeal", "stickiness"):
        silent = scenario.with_overrides({f"content.{knob}": 0.0})
        result = simulate(silent, runs=2, seed=seed)
        seeds = prepare(silent).plan.size
        assert np.all(result.values["sharers"] == seeds)
        assert np.all(result.values["shares"] == 0)
        if knob == "visibility":
            assert np.all(result.values["impressions"] == 0)


@SETTINGS
@given(scenarios(rules=("cascade",)), st.integers(0, 2**32))
def test_probability_one_reaches_exactly_the_seeds_components(scenario, seed):
    certain = scenario.with_overrides(
        {
            "content": {"visibility": 1.0, "appeal": 1.0, "stickiness": 1.0},
            "segments": [],
            "steps": 10_000,
        }
    )
    prepared = prepare(certain)
    model = WordOfMouthModel(certain, seed=seed, prepared=prepared, space=False)
    while model.running:
        model.step()
    graph = prepared.graph.to_networkx()
    expected = set()
    for consumer in model.brand.seeds:
        expected |= nx.node_connected_component(graph, consumer.person)
    shared = {c.person for c in model.consumers if c.shared}
    assert shared == expected


@pytest.mark.usefixtures("kernel_path")
@SETTINGS
@given(scenarios(), st.integers(0, 2**32), st.integers(1, 7))
def test_results_do_not_depend_on_batch_size_or_threads(scenario, seed, batch):
    prepared = prepare(scenario)
    whole = simulate(scenario, runs=7, seed=seed, prepared=prepared)
    pieces = [
        simulate(
            scenario,
            runs=min(batch, 7 - start),
            seed=seed,
            first_run=start,
            prepared=prepared,
            workers=1,
        )
        for start in range(0, 7, batch)
    ]
    for name in whole.metrics:
        joined = np.concatenate([p.values[name] for p in pieces])
        np.testing.assert_array_equal(whole.values[name], joined, err_msg=name)


def test_results_do_not_depend_on_numba_thread_count():
    scenario = make_scenario(
        {"kind": "barabasi_albert", "n": 2000, "m": 3}, seeding={"strategy": "random", "budget": 5}
    )
    prepared = prepare(scenario)
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = simulate(scenario, runs=40, seed=5, prepared=prepared)
        numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
        many = simulate(scenario, runs=40, seed=5, prepared=prepared, workers=8)
    finally:
        numba.set_num_threads(before)
    for name in one.metrics:
        np.testing.assert_array_equal(one.values[name], many.values[name], err_msg=name)


@pytest.mark.usefixtures("kernel_path")
def test_fewer_metrics_do_not_change_who_shares():
    scenario = make_scenario(
        {"kind": "barabasi_albert", "n": 3000, "m": 3},
        content={"visibility": 0.5, "appeal": 0.6, "stickiness": 0.5},
        segments=[{"name": "a", "share": 0.4, "affinity": 1.5}, {"name": "b", "share": 0.6}],
    )
    full = simulate(scenario, runs=30, seed=9)
    lean = simulate(scenario, runs=30, seed=9, metrics=["sharers", "structural_virality"])
    assert set(lean.values) == {"sharers", "structural_virality"}
    np.testing.assert_array_equal(full.values["sharers"], lean.values["sharers"])
    np.testing.assert_array_equal(
        full.values["structural_virality"], lean.values["structural_virality"]
    )


@pytest.mark.usefixtures("kernel_path")
@SETTINGS
@given(scenarios(), st.integers(0, 2**32), st.integers(0, 5))
def test_mesa_model_equals_monte_carlo_replicate(scenario, seed, run):
    prepared = prepare(scenario)
    result = simulate(scenario, runs=1, seed=seed, first_run=run, prepared=prepared)
    model = WordOfMouthModel.from_scenario(scenario, seed=seed, run=run, prepared=prepared)
    for _ in range(scenario.steps):
        model.step()
    frame = model.datacollector.get_model_vars_dataframe()
    assert len(frame) == scenario.steps + 1
    assert set(kernel.COUNTERS) <= set(result.timeline) == set(frame.columns)
    for name, line in result.timeline.items():  # every metric, not only the raw counters
        padded = np.pad(line, (0, scenario.steps + 1 - len(line)), mode="edge")
        np.testing.assert_array_equal(frame[name].to_numpy(), padded, err_msg=name)
    # The people the agents report add up to the brand's counts.
    people = model.people()
    assert people["shared"].sum() == model.counts()["sharers"]
    assert people["purchased"].sum() == model.counts()["conversions"]


# --------------------------------------------------------------------------- campaigns


@st.composite
def campaigns(draw):
    """Small scenarios with calendars, competitors, ads, tie strength and a crisis."""
    base = draw(scenarios(rules=("cascade", "cascade", "threshold", "bass")))
    data = base.to_toml_dict()
    data["diffusion"]["threshold"] = 0.3
    data["content"]["comment_ratio"] = draw(probability)
    most = min(3, data["network"]["n"])  # seeds per table: at most the population
    random_seeds = {"strategy": "random", "budget": draw(st.integers(0, most))}
    posts = [
        {"name": f"p{i}", "start": draw(st.integers(0, 5)), "appeal": draw(probability)}
        for i in range(draw(st.integers(0, 3)))
    ]
    if posts and draw(st.booleans()):
        posts[-1]["seeding"] = random_seeds
    competitors = [
        {
            "name": f"rival{i}",
            "start": draw(st.integers(0, 4)),
            "content": dict(data["content"]),
            "seeding": {"strategy": "random", "budget": draw(st.integers(0, most))},
            "value": 2.0,
        }
        for i in range(draw(st.integers(0, 2)))
    ]
    latest = max([p["start"] for p in posts] + [c["start"] for c in competitors] + [0])
    brands = ["brand"] + [c["name"] for c in competitors]
    ads = [
        {
            "brand": draw(st.sampled_from(brands)),
            "spend_per_step": draw(st.floats(0.01, 0.5)),
            "cpm": 10.0,
            "segment": draw(st.sampled_from(["a", "b"])),
            "start": latest + draw(st.integers(0, 3)),
        }
        for _ in range(draw(st.integers(0, 2)))
    ]
    data.update(posts=posts, competitors=competitors, ads=ads)
    data["market"] = {"exclusive": draw(st.booleans())}
    if draw(st.booleans()):
        data["ties"] = {
            "strong_visibility": draw(probability),
            "weak_visibility": draw(probability),
        }
    if draw(st.booleans()):
        data["crisis"] = {
            "start": draw(st.integers(0, 4)),
            "appeal": draw(probability),
            "stickiness": draw(probability),
            "persistence": draw(st.floats(0.0, 0.6)),
            "impact": draw(probability),
            "response_rate": draw(probability),
            "response_time": draw(st.integers(1, 4)),
            "response_capacity": draw(st.one_of(st.none(), st.integers(0, 3))),
            "neutralize": draw(probability),
            "seeding": {"strategy": "random", "budget": draw(st.integers(1, min(2, most)))},
        }
        if data["crisis"]["response_capacity"] is None:
            del data["crisis"]["response_capacity"]
    return base.with_overrides(data)


@pytest.mark.slow
@SETTINGS
@given(campaigns(), st.integers(0, 2**32))
def test_campaign_counts_are_consistent(scenario, seed):
    result = simulate(scenario, runs=3, seed=seed)
    values = result.values
    for name, line in result.timeline.items():
        if not name.startswith("share_of_voice"):
            assert np.all(np.diff(line) >= 0), name
    for suffix in [""] + [f"[brand:{b}]" for b in scenario.brand_names[1:]]:

        def v(name, suffix=suffix):
            return values[name + suffix]

        assert np.all(v("impressions") == v("paid_impressions") + v("earned_impressions"))
        assert np.all(v("conversions") == v("paid_conversions") + v("earned_conversions"))
        assert np.all(v("reach") >= np.maximum(v("paid_reach"), v("earned_reach")))
        assert np.all(v("reach") <= v("paid_reach") + v("earned_reach") + v("sharers"))
        assert np.all(v("engaged_people") <= v("reach"))
        assert np.all(v("engagements") == v("likes") + v("comments"))
        assert np.all(v("conversions") <= v("clicks"))
    if scenario.crisis is not None:
        assert np.all(values["responses"] <= values["negative_sharers"])
        assert np.all(values["neutralized"] <= values["responses"])
        assert np.all(values["negative_sharers"] <= values["negative_reach"])
    if scenario.competitors:
        voice = sum(values[f"share_of_voice[brand:{b}]"] for b in scenario.brand_names)
        spoken = ~np.isnan(voice)
        np.testing.assert_allclose(voice[spoken], 1.0)
        if scenario.market.exclusive:
            people = sum(values[f"sharers[brand:{b}]"] for b in scenario.brand_names)
            assert np.all(people <= prepare(scenario).graph.n)


@SETTINGS
@given(campaigns(), st.integers(0, 2**32), st.integers(1, 4))
def test_campaign_results_do_not_depend_on_batch_size_or_threads(scenario, seed, batch):
    prepared = prepare(scenario)
    whole = simulate(scenario, runs=5, seed=seed, prepared=prepared)
    pieces = [
        simulate(
            scenario,
            runs=min(batch, 5 - start),
            seed=seed,
            first_run=start,
            prepared=prepared,
            workers=1,
        )
        for start in range(0, 5, batch)
    ]
    for name in whole.metrics:
        joined = np.concatenate([p.values[name] for p in pieces])
        np.testing.assert_array_equal(whole.values[name], joined, err_msg=name)


@SETTINGS
@given(campaigns(), st.integers(0, 2**32))
def test_campaign_fewer_metrics_do_not_change_who_shares(scenario, seed):
    prepared = prepare(scenario)
    full = simulate(scenario, runs=3, seed=seed, prepared=prepared)
    lean_names = ["sharers", "steps"] + [
        n for n in full.metrics if n.startswith(("sharers[", "negative_sharers", "responses"))
    ]
    lean = simulate(scenario, runs=3, seed=seed, prepared=prepared, metrics=lean_names)
    for name in lean_names:
        np.testing.assert_array_equal(full.values[name], lean.values[name], err_msg=name)


@SETTINGS
@given(campaigns(), st.integers(0, 2**32), st.integers(0, 5))
def test_campaign_mesa_model_equals_monte_carlo_replicate(scenario, seed, run):
    prepared = prepare(scenario)
    result = simulate(scenario, runs=1, seed=seed, first_run=run, prepared=prepared)
    model = WordOfMouthModel.from_scenario(scenario, seed=seed, run=run, prepared=prepared)
    for _ in range(scenario.steps):
        model.step()
    frame = model.datacollector.get_model_vars_dataframe()
    assert len(frame) == scenario.steps + 1
    assert set(frame.columns) == set(result.timeline)
    for name, line in result.timeline.items():
        padded = np.pad(line, (0, scenario.steps + 1 - len(line)), mode="edge")
        np.testing.assert_array_equal(frame[name].to_numpy(), padded, err_msg=name)
    assert [brand.name for brand in model.brands] == scenario.brand_names
