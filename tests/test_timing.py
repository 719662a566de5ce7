"""Time and attention: activity by hour, an attention limit, fatigue, frequency caps.

Each feature is off unless a scenario asks for it; on, its effect is stated exactly where the
law allows (attention, caps) and against the standard error elsewhere.
"""

from __future__ import annotations

import numpy as np
import pytest
from helpers import ROOT, make_scenario, wom
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulation import WordOfMouthModel, kernel
from simulation.activity import PROFILES
from simulation.engine import prepare, simulate
from simulation.kernel_inputs import kernel_params

SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
CALENDAR = ROOT / "scenarios" / "content_calendar.toml"


def _difference(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """Mean of a minus mean of b, and its standard error (independent samples)."""
    se = np.sqrt(a.var(ddof=1) / len(a) + b.var(ddof=1) / len(b))
    return float(a.mean() - b.mean()), float(se)


# --------------------------------------------------------------------------- activity


def _one_post(start: int, **time) -> object:
    return make_scenario(
        {"kind": "barabasi_albert", "n": 2000, "m": 3, "seed": 1},
        content={"visibility": 1.0, "appeal": 0.4, "stickiness": 0.5},
        seeding={"strategy": "random", "budget": 10},
        posts=[{"name": "video", "start": start}],
        time={"step": "hour", "activity": "evening", **time},
        steps=start + 30,
    )


def test_posting_at_a_low_activity_hour_reaches_fewer_people():
    # Step 3 is 3 am: the followers' first chance to see it is 4 am (P online 0.02 under
    # `evening`); step 19 is 7 pm (their first chance is 8 pm, P 0.6).
    night = simulate(_one_post(3), runs=200, seed=4, metrics=["reach", "sharers"])
    evening = simulate(_one_post(19), runs=200, seed=4, metrics=["reach", "sharers"])
    for metric in ("reach", "sharers"):
        gap, se = _difference(evening.values[metric], night.values[metric])
        assert gap > 4 * se, (metric, gap, se)


def test_a_share_is_seen_with_visibility_times_p_online():
    # A hub posts at step 0 (Monday 20:00); at 21:00 each of its followers sees it with
    # P = visibility x P(online at 21:00) and nobody shares on.
    n = 4001
    hours = PROFILES["evening"].hours
    scenario = make_scenario(
        {"kind": "star", "n": n},
        content={"visibility": 0.5, "appeal": 1.0, "stickiness": 0.0},
        seeding={"strategy": "degree", "budget": 1},
        time={"step": "hour", "start_hour": 20, "activity": "evening"},
        steps=3,
    )
    result = simulate(scenario, runs=40, seed=2, metrics=["reach"])
    seen = result.values["reach"] - 1  # the hub itself
    p = 0.5 * hours[21]
    expected = (n - 1) * p
    se = np.sqrt((n - 1) * p * (1 - p) / len(seen))
    assert abs(seen.mean() - expected) < 4 * se, (seen.mean(), expected, se)


def test_daily_steps_use_the_weekday_factors():
    days = [1.0, 1.0, 1.0, 1.0, 1.0, 0.0, 0.0]
    star = {"kind": "star", "n": 50}
    common = {
        "content": {"visibility": 1.0, "appeal": 1.0, "stickiness": 0.0},
        "seeding": {"strategy": "degree", "budget": 1},
        "steps": 3,
    }
    friday = make_scenario(
        star, time={"step": "day", "start_day": "thursday", "activity_days": days}, **common
    )
    saturday = make_scenario(
        star, time={"step": "day", "start_day": "friday", "activity_days": days}, **common
    )
    # Posted Thursday, seen Friday (factor 1): every follower; posted Friday, seen Saturday: none.
    assert np.all(simulate(friday, runs=3, seed=0, metrics=["reach"]).values["reach"] == 50)
    assert np.all(simulate(saturday, runs=3, seed=0, metrics=["reach"]).values["reach"] == 1)


def test_a_segments_profile_overrides_everyones():
    scenario = make_scenario(
        {"kind": "erdos_renyi", "n": 100, "mean_degree": 4.0},
        segments=[
            {"name": "owls", "share": 0.5, "activity": "student"},
            {"name": "rest", "share": 0.5, "activity_hours": [0.5] * 24},
        ],
        time={"step": "hour", "activity": "office", "start_hour": 3},
    )
    table = kernel_params(scenario).timing.online
    assert table.shape == (168, 2)
    np.testing.assert_allclose(table[:24, 0], PROFILES["student"].hours)
    np.testing.assert_allclose(table[:24, 1], 0.5)
    # Its days are still everyone's (`office`): Saturday x 0.9.
    np.testing.assert_allclose(table[120:144, 1], 0.5 * PROFILES["office"].days[5])


# --------------------------------------------------------------------------- attention


def _feed_count(graph, seeds: list[int], posts: int, attention: int) -> int:
    """Impressions at step 1 when every post's seeds are ``seeds``: sum of min(A, items)."""
    followed = np.zeros(graph.n, np.int64)
    for u in seeds:
        followed[graph.indices[graph.indptr[u] : graph.indptr[u + 1]]] += 1
    return int(np.minimum(attention, posts * followed).sum())


@SETTINGS
@given(
    n=st.integers(5, 60),
    degree=st.floats(1.0, 8.0),
    attention=st.integers(1, 6),
    posts=st.integers(1, 3),
    seed=st.integers(0, 10**6),
    data=st.data(),
)
def test_attention_bounds_the_shares_a_person_reads_in_a_step(
    n, degree, attention, posts, seed, data
):
    network = {"kind": "erdos_renyi", "n": n, "mean_degree": min(degree, n - 1), "seed": seed}
    seeds = data.draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=n, unique=True))
    scenario = make_scenario(
        network,
        content={"visibility": 1.0, "appeal": 1.0, "stickiness": 0.0},
        seeding={"strategy": "nodes", "nodes": seeds},
        posts=[{"name": f"p{i}", "start": 0} for i in range(posts)],
        time={"attention": attention},
        steps=2,
    )
    prepared = prepare(scenario)
    result = simulate(scenario, runs=2, seed=seed, prepared=prepared, metrics=["impressions"])
    # Everything in a feed is seen (visibility 1) except what attention leaves out.
    expected = _feed_count(prepared.graph, seeds, posts, attention)  # label i is person i
    assert np.all(result.values["impressions"] == expected)


def test_every_brands_shares_draw_on_the_same_attention():
    content = {"visibility": 1.0, "appeal": 1.0, "stickiness": 0.0}
    seeds = {"strategy": "nodes", "nodes": [0, 1, 2]}
    scenario = make_scenario(
        {"kind": "complete", "n": 8},
        content=content,
        seeding=seeds,
        competitors=[{"name": "rival", "content": content, "seeding": seeds}],
        time={"attention": 2},
        steps=2,
    )
    result = simulate(
        scenario, runs=20, seed=1, metrics=["impressions", "impressions[brand:rival]"]
    )
    total = result.values["impressions"] + result.values["impressions[brand:rival]"]
    # 5 people have 6 shares in their feed and the 3 seeds 4: everyone reads 2.
    assert np.all(total == 8 * 2)
    assert np.all(result.values["impressions"] < 16)  # neither brand gets all of it


# --------------------------------------------------------------------------- fatigue


def _three_posts(starts: list[int], wear_out: float | None) -> object:
    time = {"step": "hour"} if wear_out is None else {"wear_out": wear_out, "recovery": 4}
    return make_scenario(
        {"kind": "barabasi_albert", "n": 1500, "m": 3, "seed": 3},
        content={"visibility": 0.8, "appeal": 0.5, "stickiness": 0.4},
        seeding={"strategy": "random", "budget": 5},
        posts=[{"name": f"v{i}", "start": s} for i, s in enumerate(starts)],
        time=time,
        steps=90,
    )


def test_spaced_posts_beat_simultaneous_ones_only_when_fatigue_is_on():
    metrics = ["shares", "engagements"]
    runs = 150
    worn_spaced = simulate(_three_posts([0, 30, 60], 0.5), runs=runs, seed=8, metrics=metrics)
    worn_bunched = simulate(_three_posts([0, 0, 0], 0.5), runs=runs, seed=8, metrics=metrics)
    spaced = simulate(_three_posts([0, 30, 60], None), runs=runs, seed=8, metrics=metrics)
    bunched = simulate(_three_posts([0, 0, 0], None), runs=runs, seed=8, metrics=metrics)
    for metric in metrics:
        gap, se = _difference(worn_spaced.values[metric], worn_bunched.values[metric])
        assert gap > 4 * se, (metric, gap, se)
        gap, se = _difference(spaced.values[metric], bunched.values[metric])
        assert abs(gap) < 4 * max(se, 1e-9), (metric, gap, se)
    # Fatigue lowers what a campaign gets: never more engagements than without it.
    assert worn_bunched.values["engagements"].mean() < bunched.values["engagements"].mean()


def test_items_of_one_brand_in_the_same_step_tire_as_if_read_in_a_random_order():
    # A hub posts three posts at step 0; at step 1 each follower has 3 items of the brand and
    # engages with each with P = mean(1, keep, keep^2) (appeal 1, nothing before).
    n, keep = 3001, 0.6
    scenario = make_scenario(
        {"kind": "star", "n": n},
        content={"visibility": 1.0, "appeal": 1.0, "stickiness": 0.0},
        seeding={"strategy": "degree", "budget": 1},
        posts=[{"name": f"p{i}", "start": 0} for i in range(3)],
        time={"wear_out": 1.0 - keep},
        steps=2,
    )
    result = simulate(scenario, runs=30, seed=6, metrics=["engagements"])
    p = (1.0 + keep + keep**2) / 3.0
    trials = 3 * (n - 1)
    se = np.sqrt(trials * p * (1.0 - p) / 30)
    assert abs(result.values["engagements"].mean() - trials * p) < 4 * se


def test_fatigue_never_changes_who_shares_with_the_metrics_asked_for():
    scenario = _three_posts([0, 2, 4], 0.4)
    full = simulate(scenario, runs=5, seed=3)
    lean = simulate(scenario, runs=5, seed=3, metrics=["sharers", "shares"])
    for name in ("sharers", "shares"):
        np.testing.assert_array_equal(full.values[name], lean.values[name])


def test_wear_out_zero_changes_nothing():
    base = _three_posts([0, 5, 10], None)
    off = base.with_overrides({"time": {"wear_out": 0.0}})
    assert kernel_params(off).timing is None
    a = simulate(base, runs=5, seed=2)
    b = simulate(off, runs=5, seed=2)
    for name in a.metrics:
        np.testing.assert_array_equal(a.values[name], b.values[name], err_msg=name)


# --------------------------------------------------------------------------- frequency caps


def _capped(cap: int | None, n: int = 30, spend: float = 1.0) -> object:
    ad = {"spend_per_step": spend, "cpm": 10.0, "start": 0, "end": 47}  # 100 a step at 1.0
    if cap is not None:
        ad["frequency_cap"] = cap
    return make_scenario(
        {"kind": "erdos_renyi", "n": n, "mean_degree": 2.0, "seed": 5},
        content={"visibility": 0.5, "appeal": 0.3, "stickiness": 0.2},
        seeding={"strategy": "random", "budget": 1},
        ads=[ad],
        steps=48,
    )


@pytest.mark.parametrize(
    ("time", "period", "windows"),
    [
        (None, "campaign", 1),
        # Steps 0..48 from Monday noon: Monday, Tuesday and one hour of Wednesday.
        ({"step": "hour", "start_hour": 12}, "day", 3),
        ({"step": "hour", "start_hour": 12}, "week", 1),
        # Steps 0..48 from a Friday: 49 days, in 8 weeks (Friday-Sunday, 6 full, Monday-Thursday).
        ({"step": "day", "start_day": "friday"}, "day", 49),
        ({"step": "day", "start_day": "friday"}, "week", 8),
    ],
)
def test_one_persons_ad_impressions_are_the_cap_in_each_window(time, period, windows):
    scenario = _one_person_ad(4, period, time)
    result = simulate(scenario, runs=5, seed=1, metrics=["paid_impressions", "paid_reach"])
    assert np.all(result.values["paid_impressions"] == 4 * windows)
    assert np.all(result.values["paid_reach"] == 1)


def _one_person_ad(cap: int, period: str, time: dict | None) -> object:
    """100 impressions a step for 48 steps, to a segment of one person."""
    extra = {"time": time} if time is not None else {}
    return make_scenario(
        {"kind": "erdos_renyi", "n": 20, "mean_degree": 2.0, "seed": 5},
        segments=[{"name": "one", "share": 0.05}, {"name": "rest", "share": 0.95}],
        ads=[
            {
                "spend_per_step": 1.0,
                "cpm": 10.0,
                "segment": "one",
                "frequency_cap": cap,
                "frequency_period": period,
            }
        ],
        steps=48,
        **extra,
    )


@SETTINGS
@given(
    cap=st.integers(1, 4),
    spend=st.floats(0.01, 2.0),
    n=st.integers(3, 80),
    seed=st.integers(0, 2**32),
)
def test_the_cap_bounds_each_persons_ad_impressions(cap, spend, n, seed):
    scenario = _capped(cap, n=n, spend=spend)
    result = simulate(scenario, runs=3, seed=seed, metrics=["paid_impressions", "paid_reach"])
    # Nobody has more than `cap` impressions, so all of them are at most cap x people reached.
    assert np.all(result.values["paid_impressions"] <= cap * result.values["paid_reach"])
    assert np.all(result.values["paid_reach"] <= n)


def test_a_cap_that_never_binds_changes_nothing():
    free = simulate(_capped(None, n=2000), runs=5, seed=3)
    loose = simulate(_capped(100_000, n=2000), runs=5, seed=3)
    for name in free.metrics:
        np.testing.assert_array_equal(free.values[name], loose.values[name], err_msg=name)


# --------------------------------------------------------------------------- the whole


@st.composite
def timed_campaigns(draw):
    """Small cascade campaigns with activity, attention, fatigue and capped ads."""
    n = draw(st.integers(3, 40))
    time = {
        "step": draw(st.sampled_from(["hour", "day"])),
        "start_day": draw(st.sampled_from(["monday", "saturday"])),
        "activity": draw(st.sampled_from(sorted(PROFILES))),
    }
    if time["step"] == "hour":
        time["start_hour"] = draw(st.integers(0, 23))
    if draw(st.booleans()):
        time["attention"] = draw(st.integers(1, 4))
    if draw(st.booleans()):
        time["wear_out"] = draw(st.floats(0.0, 0.9))
        time["recovery"] = draw(st.floats(0.5, 10.0))
    ads = [
        {
            "spend_per_step": draw(st.floats(0.01, 0.3)),
            "cpm": 10.0,
            "start": draw(st.integers(0, 3)),
            "frequency_cap": draw(st.integers(1, 3)),
            "frequency_period": draw(st.sampled_from(["campaign", "day", "week"])),
        }
        for _ in range(draw(st.integers(0, 2)))
    ]
    posts = [{"name": f"p{i}", "start": draw(st.integers(0, 3))} for i in range(3)]
    for ad in ads:
        ad["start"] = max(ad["start"], min(p["start"] for p in posts))
    return make_scenario(
        {
            "kind": "erdos_renyi",
            "n": n,
            "mean_degree": min(3.0, n - 1),
            "seed": draw(st.integers(0, 99)),
        },
        content={
            "visibility": draw(st.floats(0.3, 1.0)),
            "appeal": draw(st.floats(0.2, 1.0)),
            "stickiness": draw(st.floats(0.2, 1.0)),
        },
        seeding={"strategy": "random", "budget": draw(st.integers(1, min(3, n)))},
        segments=[
            {"name": "a", "share": 0.5, "activity": draw(st.sampled_from(sorted(PROFILES)))},
            {"name": "b", "share": 0.5},
        ],
        posts=posts,
        ads=ads,
        time=time,
        steps=draw(st.integers(1, 30)),
    )


@pytest.mark.slow
@SETTINGS
@given(timed_campaigns(), st.integers(0, 2**32), st.integers(0, 5))
def test_mesa_model_equals_monte_carlo_with_time_and_attention(scenario, seed, run):
    prepared = prepare(scenario)
    result = simulate(scenario, runs=1, seed=seed, first_run=run, prepared=prepared)
    model = WordOfMouthModel.from_scenario(scenario, seed=seed, run=run, prepared=prepared)
    for _ in range(scenario.steps):
        model.step()
    frame = model.datacollector.get_model_vars_dataframe()
    for name, line in result.timeline.items():
        padded = np.pad(line, (0, scenario.steps + 1 - len(line)), mode="edge")
        np.testing.assert_array_equal(frame[name].to_numpy(), padded, err_msg=name)


@SETTINGS
@given(timed_campaigns(), st.integers(0, 2**32), st.integers(1, 3))
def test_same_seed_same_numbers_whatever_the_batches(scenario, seed, batch):
    prepared = prepare(scenario)
    whole = simulate(scenario, runs=4, seed=seed, prepared=prepared)
    again = simulate(scenario, runs=4, seed=seed, prepared=prepared, workers=1)
    pieces = [
        simulate(scenario, runs=min(batch, 4 - s), seed=seed, first_run=s, prepared=prepared)
        for s in range(0, 4, batch)
    ]
    for name in whole.metrics:
        np.testing.assert_array_equal(whole.values[name], again.values[name], err_msg=name)
        joined = np.concatenate([p.values[name] for p in pieces])
        np.testing.assert_array_equal(whole.values[name], joined, err_msg=name)


def test_features_off_leave_no_timing_for_the_kernel():
    from simulation.scenario import load_scenario

    for path in sorted((ROOT / "scenarios").glob("*.toml")):
        scenario = load_scenario(path)
        timing = kernel_params(scenario).timing
        assert (timing is None) == (path != CALENDAR), path.name
    assert isinstance(kernel_params(load_scenario(CALENDAR)).timing, kernel.Timing)


def test_the_calendar_scenario_shows_spacing_and_the_posting_hour():
    from simulation.scenario import load_scenario

    scenario = load_scenario(CALENDAR)
    metrics = ["sharers", "reach[post:monday]"]
    spaced = simulate(scenario, runs=40, metrics=metrics)
    bunched = simulate(
        scenario.with_overrides({"posts[1].start": 20, "posts[2].start": 20}),
        runs=40,
        metrics=metrics,
    )
    night = simulate(scenario.with_overrides({"posts[0].start": 3}), runs=40, metrics=metrics)
    gap, se = _difference(spaced.values["sharers"], bunched.values["sharers"])
    assert gap > 4 * se
    gap, se = _difference(spaced.values["reach[post:monday]"], night.values["reach[post:monday]"])
    assert gap > 4 * se


# --------------------------------------------------------------------------- scenario errors


@pytest.mark.parametrize(
    ("text", "key", "says"),
    [
        (
            '[[segments]]\nname = "a"\nshare = 1.0\nactivity = "student"\n',
            "segments[0].activity",
            "needs a [time] table",
        ),
        ('[time]\nactivity = "owl"\n', "time.activity", "owl"),
        ("[time]\nactivity_hours = [0.5, 0.5]\n", "time.activity_hours", "24"),
        ("[time]\nattention = 0\n", "time.attention", "1"),
        ("[time]\nrecovery = 3\n", "time", "recovery needs wear_out"),
        ('[time]\nstep = "day"\nstart_hour = 9\n', "time.start_hour", "does nothing"),
        (
            '[diffusion]\nrule = "threshold"\n[time]\nattention = 3\n',
            "time.attention",
            "does nothing under rule 'threshold'",
        ),
        (
            "[[ads]]\nspend_per_step = 1.0\ncpm = 5.0\nfrequency_cap = 2\n"
            'frequency_period = "day"\n',
            "ads[0].frequency_period",
            "needs a [time] table",
        ),
    ],
)
def test_time_keys_that_cannot_work_are_refused_naming_file_and_key(tmp_path, text, key, says):
    path = tmp_path / "s.toml"
    path.write_text(
        f'name = "t"\n[network]\nkind = "erdos_renyi"\nn = 50\nmean_degree = 3.0\n{text}',
        encoding="utf-8",
    )
    result = wom("run", str(path), "--runs", "2")
    assert result.returncode == 2
    for part in (str(path), key, says):
        assert part in result.stderr, (part, result.stderr)
    assert "Traceback" not in result.stderr
