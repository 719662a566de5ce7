"""Money: seeding fees and ad spend are the cost; conversions x value the revenue; ROI; EMV."""

from __future__ import annotations

import json

import numpy as np
import pytest
from helpers import make_scenario, wom

from simulation.engine import prepare, simulate

NETWORK = {"kind": "barabasi_albert", "n": 1000, "m": 3, "seed": 3}
CONTENT = {"visibility": 0.9, "appeal": 0.6, "stickiness": 0.3, "click_through": 0.3}


def campaign(**tables):
    tables.setdefault("seeding", {"strategy": "degree", "budget": 5})
    return make_scenario(NETWORK, content=CONTENT, **tables)


def test_ad_spend_is_spend_per_step_times_the_steps_it_ran():
    ads = [{"spend_per_step": 12.5, "cpm": 5.0, "start": 2, "end": 6}]
    assert simulate(campaign(ads=ads), runs=3).values["ad_spend"].tolist() == [62.5] * 3
    short = campaign(ads=ads, steps=4)
    assert simulate(short, runs=3).values["ad_spend"].tolist() == [37.5] * 3


def test_seeding_fees_are_paid_for_every_post_the_seeds_publish():
    seeding = {"strategy": "degree", "budget": 5, "fee_fixed": 10.0, "fee_per_follower": 0.5}
    one = campaign(seeding=seeding)
    graph = prepare(one).graph
    fees = 10.0 * 5 + 0.5 * np.sort(graph.out_degree)[-5:].sum()
    assert simulate(one, runs=2).values["seeding_cost"].tolist() == pytest.approx([fees] * 2)
    two = campaign(seeding=seeding, posts=[{"name": "a"}, {"name": "b", "start": 3}])
    assert simulate(two, runs=2).values["seeding_cost"].tolist() == pytest.approx([2 * fees] * 2)


def test_cost_revenue_roi_and_earned_media_value():
    seeding = {"strategy": "degree", "budget": 5, "fee_fixed": 20.0}
    ads = [{"spend_per_step": 10.0, "cpm": 4.0, "start": 1, "end": 3}]
    scenario = campaign(seeding=seeding, ads=ads, money={"value": 30.0})
    v = simulate(scenario, runs=30, seed=1).values
    cost = 100.0 + 30.0
    assert v["cost"].tolist() == [cost] * 30
    np.testing.assert_allclose(v["revenue"], v["conversions"] * 30.0)
    np.testing.assert_allclose(v["roi"], (v["revenue"] - cost) / cost)
    # Earned media priced at the ads' CPM (the [money] cpm is not set).
    np.testing.assert_allclose(v["earned_media_value"], v["earned_impressions"] * 4.0 / 1000)
    priced = scenario.with_overrides({"money": {"value": 30.0, "cpm": 8.0}})
    w = simulate(priced, runs=30, seed=1).values
    np.testing.assert_allclose(w["earned_media_value"], w["earned_impressions"] * 8.0 / 1000)


def test_roi_without_cost_is_null_in_json(write):
    path = write(
        "free.toml",
        'name = "free"\n[network]\nkind = "star"\nn = 20\n[money]\nvalue = 5.0\n',
    )
    result = wom("run", str(path), "--runs", "3", "--json")
    assert result.returncode == 0, result.stderr
    roi = json.loads(result.stdout)["metrics"]["roi"]
    assert roi["mean"] is None
    assert roi["values"] == [None, None, None]


def test_each_brand_has_its_own_money():
    scenario = campaign(
        money={"value": 10.0},
        competitors=[
            {"name": "rival", "content": CONTENT, "value": 50.0, "seeding": {"budget": 5}}
        ],
        ads=[{"brand": "rival", "spend_per_step": 2.0, "cpm": 1.0, "start": 0, "end": 4}],
    )
    v = simulate(scenario, runs=20, seed=2).values
    np.testing.assert_allclose(v["revenue[brand:rival]"], v["conversions[brand:rival]"] * 50.0)
    np.testing.assert_allclose(v["revenue[brand:brand]"], v["conversions[brand:brand]"] * 10.0)
    assert v["ad_spend[brand:rival]"].tolist() == [10.0] * 20
    assert v["ad_spend[brand:brand]"].tolist() == [0.0] * 20
    np.testing.assert_array_equal(v["revenue"], v["revenue[brand:brand]"])
