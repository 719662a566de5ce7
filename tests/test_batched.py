"""The batched path (64 replicates per traversal) equals the scalar path, bit for bit."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import make_scenario
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_invariants import probability, scenarios

from simulation import kernel
from simulation.engine import prepare, simulate
from simulation.kernel.batched import lane_coins, run_batched, supports
from simulation.kernel.random import coin, coin_bar, wide_lane_coins
from simulation.kernel_inputs import kernel_params

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def both_paths(scenario, seed, first_run, runs, workers, funnel=False, tree=False):
    """Every output of the scalar and of the batched path for the same replicates."""
    prepared = prepare(scenario)
    params = kernel_params(scenario, funnel=funnel, audience=prepared.audience)
    campaign = prepared.campaign
    assert supports(params, campaign)
    width = prepared.layout.width
    n_seg = len(prepared.graph.segment_names)
    steps = scenario.steps
    out = []
    for path in ("scalar", "batched"):
        finals = np.zeros((runs, width), np.int64)
        segments = np.zeros((runs, n_seg, kernel.N_SEGMENT_COUNTERS), np.int64)
        lengths = np.zeros(runs, np.int64)
        peaks = np.zeros(runs, np.int64)
        virality = np.zeros(runs)
        depth = np.zeros(runs, np.int64)
        timeline = np.zeros((workers, 2, steps + 2, width), np.int64)
        if path == "scalar":
            kernel.run_replicates(
                prepared.arrays, params, campaign, np.uint64(seed), first_run, runs, steps,
                workers, tree, finals, segments, lengths, peaks, virality, depth, timeline,
            )  # fmt: skip
        else:
            run_batched(
                prepared.arrays, params, campaign, np.uint64(seed), first_run, runs, steps,
                workers, tree, finals, segments, lengths, peaks, virality, depth, timeline,
            )  # fmt: skip
        out.append((finals, segments, lengths, peaks, timeline.sum(axis=0), virality, depth))
    return out


@SETTINGS
@given(
    scenarios(rules=("cascade",)),
    st.integers(0, 2**32),
    st.integers(0, 200),
    st.integers(1, 150),
    st.integers(1, 3),
    st.booleans(),
    st.booleans(),
)
def test_batched_path_equals_scalar_path(scenario, seed, first_run, runs, workers, funnel, tree):
    scalar, batched = both_paths(scenario, seed, first_run, runs, workers, funnel, tree)
    for a, b in zip(scalar, batched, strict=True):
        np.testing.assert_array_equal(a, b)


@st.composite
def served(draw):
    """Random scenarios the batched path serves: ties, a late post, decay, seeds, competitors."""
    data = draw(scenarios(rules=("cascade",))).to_toml_dict()
    if draw(st.booleans()):
        data["ties"] = {
            "strong_visibility": draw(probability),
            "weak_visibility": draw(probability),
        }
    if draw(st.booleans()):
        data["posts"] = [
            {"name": "late", "start": draw(st.integers(0, 4)), "appeal": draw(probability)}
        ]
    most = min(3, data["network"]["n"])
    data["competitors"] = [
        {
            "name": f"rival{i}",
            "start": draw(st.integers(0, 4)),
            "content": {**data["content"], "stickiness": draw(probability)},
            "seeding": {"strategy": "random", "budget": draw(st.integers(0, most))},
        }
        for i in range(draw(st.integers(0, 2)))
    ]
    return make_scenario(data.pop("network"), **data)


@SETTINGS
@given(
    served(),
    st.integers(0, 2**32),
    st.integers(0, 200),
    st.integers(1, 130),
    st.booleans(),
    st.booleans(),
)
def test_batched_path_equals_scalar_path_with_ties_late_posts_and_competitors(
    scenario, seed, first, runs, funnel, tree
):
    scalar, batched = both_paths(scenario, seed, first, runs, 2, funnel, tree)
    for a, b in zip(scalar, batched, strict=True):
        np.testing.assert_array_equal(a, b)


def test_fields_it_does_not_know_send_a_run_to_the_scalar_path():
    from collections import namedtuple

    from helpers import independent_cascade

    scenario = independent_cascade(
        {"kind": "erdos_renyi", "n": 50, "mean_degree": 3, "seed": 1}, 0.3
    )
    prepared = prepare(scenario)
    params = kernel_params(scenario, funnel=False)
    assert supports(params, prepared.campaign)
    assert supports(params._replace(funnel=True), prepared.campaign)
    extended = namedtuple("Params", [*params._fields, "attention"])(*params, None)
    assert not supports(extended, prepared.campaign)
    wider = namedtuple("Campaign", [*prepared.campaign._fields, "caps"])(*prepared.campaign, None)
    assert not supports(params, wider)


@SETTINGS
@given(
    st.integers(0, 2**64 - 1), st.integers(0, 10**6), st.floats(0.0, 1.0), st.integers(0, 2**64 - 1)
)
def test_lane_coins_are_the_coins_of_each_lane(key, index, p, ask):
    bar = np.uint64(coin_bar(p))
    won = int(lane_coins(np.uint64(key), index, bar, np.uint64(ask)))
    wide = int(wide_lane_coins(np.uint64(key), index, bar, np.uint64(ask)))
    for lane in range(64):
        expected = bool(ask >> lane & 1) and coin(np.uint64(key), np.uint64(lane), index, bar)
        assert bool(won >> lane & 1) == expected
        assert bool(wide >> lane & 1) == expected


@pytest.mark.parametrize("bits", [1, 2, 3, 9, 10, 11, 12, 64])
def test_wide_lane_coins_past_the_unrolled_digits(bits):
    """Thresholds whose digits end before, at and after the unrolled ones, every lane asked."""
    everyone = np.uint64(2**64 - 1)
    for pattern in (0, 0b10110, 2**64 - 1):  # the threshold's last digit 1 is digit `bits`
        bar = np.uint64(((pattern & (2**bits - 1)) | 1) << (64 - bits))
        for index in range(200):
            assert int(wide_lane_coins(np.uint64(7), index, bar, everyone)) == int(
                lane_coins(np.uint64(7), index, bar, everyone)
            )


@pytest.mark.parametrize(
    ("metrics", "rule", "batched"),
    [(["sharers"], "cascade", True), (["sharers", "steps", "peak_step"], "cascade", True),
     (None, "cascade", True), (["structural_virality", "cascade_depth"], "cascade", True),
     (["reach", "engagements", "conversions"], "cascade", True), (None, "threshold", False)],
)  # fmt: skip
def test_engine_takes_the_batched_path_where_it_applies(metrics, rule, batched, monkeypatch):
    import simulation.kernel.batched as path

    scenario = make_scenario(
        {"kind": "erdos_renyi", "n": 200, "mean_degree": 4, "seed": 1},
        content={"visibility": 0.8, "appeal": 0.7, "stickiness": 0.5},
        diffusion={"rule": rule, "threshold": 0.2},
        runs=70,
    )
    taken = []
    monkeypatch.setattr(path, "run_batched", lambda *a: (taken.append(1), run_batched(*a))[1])
    result = simulate(scenario, metrics=metrics)
    assert bool(taken) == batched
    if batched:
        monkeypatch.setattr(path, "supports", lambda *a: False)
        scalar = simulate(scenario, metrics=metrics)
        assert result.values.keys() == scalar.values.keys()
        for name, values in result.values.items():
            np.testing.assert_array_equal(values, scalar.values[name])
        assert result.timeline.keys() == scalar.timeline.keys()
        for name, timeline in result.timeline.items():
            np.testing.assert_array_equal(timeline, scalar.timeline[name])


def test_the_kernel_path_fixture_runs_the_path_it_names(kernel_path, monkeypatch):
    """The correctness tests' ``kernel_path`` really runs each path (else they test one twice)."""
    import simulation.kernel.batched as path

    scenario = make_scenario({"kind": "erdos_renyi", "n": 200, "mean_degree": 4, "seed": 1})
    taken = []
    monkeypatch.setattr(path, "run_batched", lambda *a: (taken.append("batched"), run_batched(*a)))
    scalar = kernel.run_replicates
    monkeypatch.setattr(kernel, "run_replicates", lambda *a: (taken.append("scalar"), scalar(*a)))
    simulate(scenario, runs=70, metrics=["sharers"])
    assert set(taken) == {kernel_path}


@pytest.mark.parametrize(("funnel", "tree"), [(False, False), (True, False), (False, True)])
def test_many_batches_on_one_thread_wide_then_narrow_frontiers(funnel, tree):
    """Ten blocks on one thread whose cascades go wide (frontier scans), then narrow (lists).

    A batch leaves nothing behind for the next one (a scan stops listing the people touched,
    so all of them are cleared) and equals the scalar path.
    """
    scenario = make_scenario(
        {"kind": "barabasi_albert", "n": 400, "m": 2, "seed": 4},
        content={"visibility": 0.7, "appeal": 0.4, "stickiness": 0.6},
        segments=[
            {"name": "a", "share": 0.3, "affinity": 2.0},
            {"name": "b", "share": 0.7, "affinity": 0.8},
        ],
        seeding={"strategy": "nodes", "nodes": ["0"]},
        steps=400,
    )
    scalar, batched = both_paths(scenario, 0, 1024, 640, 1, funnel, tree)
    for a, b in zip(scalar, batched, strict=True):
        np.testing.assert_array_equal(a, b)
    assert scalar[0][:, kernel.SHARERS].min() >= 1  # the seed shares in every replicate


@pytest.mark.usefixtures("kernel_path")
@pytest.mark.parametrize("order", [["0", "1"], ["1", "0"]])
def test_a_step_is_decided_from_its_start_whatever_the_order(order, tmp_path):
    """Two seeds share with person 2 in the same step, whichever posted first.

    2 engages with both exposures, and the lower-numbered seed (0, who also reaches 3) is the
    parent.
    """
    ties = tmp_path / "ties.txt"
    ties.write_text("0 1\n1 2\n0 2\n0 3\n")
    scenario = make_scenario(
        {"kind": "edge_list", "path": str(ties), "directed": True},
        content={"visibility": 1.0, "appeal": 1.0, "stickiness": 1.0},
        seeding={"strategy": "nodes", "nodes": order},
        runs=3,
    )
    values = simulate(scenario).values
    assert prepare(scenario).graph.labels.tolist() == ["0", "1", "2", "3"]
    np.testing.assert_array_equal(values["impressions"], 4)  # 0 -> 1, 0 -> 2, 0 -> 3, 1 -> 2
    np.testing.assert_array_equal(values["engagements"], 3)  # 2 twice, 3 once (1 had shared)
    np.testing.assert_array_equal(values["sharers"], 4)
    # 2 below 0: a tree {0, 2, 3} (mean distance 4/3) and 1 alone; below 1 it would be 1.0
    np.testing.assert_allclose(values["structural_virality"], 4 / 3)
