"""Paid media: an ad's impressions each step, shown to people drawn from its audience.

An impression is an exposure that enters the funnel: engage (appeal), then share (stickiness, as
a new cascade tree's root) or click and buy. Impression i of ad a at step t goes to the person of
:func:`~simulation.kernel.random.uniform` (ad, step, i), and its coins are those of
(ad, step, i): who it reaches does not depend on the metrics asked for. Under a frequency cap a
capped person's impression goes to another person of the audience, and fatigue thins the
engagement of people who saw the brand often (:mod:`simulation.kernel.timing`).
"""

from __future__ import annotations

import numpy as np

from simulation._jit import jit
from simulation.kernel.layout import (
    C_EPOCH,
    FOR_AD,
    FOR_AD_TARGET,
    FOR_ENGAGE,
    FOR_FATIGUE,
    FOR_SHARE,
    I_BRAND,
    I_EXCLUSIVE,
    I_IMPACTED,
    I_POST,
    I_TRACK,
    KEY_LANE,
    SHARED,
    Ads,
    Graph,
    Market,
    Params,
    Posts,
    State,
)
from simulation.kernel.person import engage, mark, negative, rival, see, share, touch
from simulation.kernel.random import coin, derive
from simulation.kernel.rules.cascade import class_thresholds, funnel_bars, funnel_keys
from simulation.kernel.state import post_key, post_state
from simulation.kernel.timing import ad_target, fresh, wear, wears

__all__ = ["ads_running", "impressions_due", "latest_post", "show_ads", "show_due_ads"]


@jit
def impressions_due(ads: Ads, a: int, t: int) -> int:
    """Impressions ad ``a`` shows at its k-th step t: floor(k x rate) - floor((k - 1) x rate)."""
    k = t - ads.start[a] + 1
    rate = ads.rate[a]
    return int(np.floor(rate * k + 1e-9) - np.floor(rate * (k - 1) + 1e-9))


@jit
def ads_running(ads: Ads | None, t: int) -> bool:
    """Whether an ad runs after step t (a replicate goes on while one does)."""
    if ads is None:
        return False
    for a in range(ads.brand.shape[0]):  # noqa: SIM110 (numba compiles no generators)
        if ads.end[a] > t:
            return True
    return False


@jit
def latest_post(posts: Posts, brand: int, t: int) -> int:
    """The brand's most recent post out by step t (-1 if none)."""
    best = -1
    for p in range(posts.brand.shape[0]):
        start = posts.start[p]
        later = best < 0 or start >= posts.start[best]
        if posts.brand[p] == brand and start <= t and later:
            best = p
    return best


@jit
def show_due_ads(
    graph: Graph, params: Params, posts: Posts, ads: Ads | None, market: Market, brand: int, t: int
) -> None:
    """The brand's ads running at step t show their impressions."""
    if ads is None:
        return
    for a in range(ads.brand.shape[0]):
        if ads.brand[a] != brand or t < ads.start[a] or t > ads.end[a]:
            continue
        p = ads.post[a] if ads.post[a] >= 0 else latest_post(posts, brand, t)
        if p < 0:
            continue
        age = max(t - posts.start[p] - 1, 0)
        show_ads(graph, params, posts, post_state(market, p), ads, a, t, age, market.probs)


@jit
def show_ads(
    graph: Graph,
    params: Params,
    posts: Posts,
    state: State,
    ads: Ads,
    a: int,
    t: int,
    age: int,
    bars,
) -> None:
    """Ad ``a``'s impressions at step t of its post (``state``'s), ``age`` steps after it began."""
    shown = impressions_due(ads, a, t)
    audience = ads.people[ads.audience_lo[a] : ads.audience_hi[a]]
    m = audience.shape[0]
    if m == 0 or shown <= 0:
        return
    info = state.post
    p = info[I_POST]
    affinity = params.affinity[p]
    n_seg = affinity.shape[0]
    impacted = info[I_IMPACTED] > 0 and posts.impact[p] != 1.0
    # A paid impression is seen: visibility 1, no tie class.
    class_thresholds(
        bars,
        affinity,
        1.0,
        posts.appeal[p],
        posts.stickiness[p],
        posts.decay[p] ** age,
        1.0,
        1.0,
        posts.impact[p],
        False,
        impacted,
        affinity[:0],
    )
    share_bar = bars[0]
    engage_bar = bars[2]
    keys = state.keys
    lane = keys[KEY_LANE]
    label = a * 1_000_003 + t  # (ad, step)
    k_target = derive(post_key(keys, p, FOR_AD_TARGET, False, 0), label)
    k_ad = derive(post_key(keys, p, FOR_AD, True, 0), label)
    k_share = derive(k_ad, FOR_SHARE)
    k_engage = derive(k_ad, FOR_ENGAGE)
    base = funnel_keys(keys, p, 0, 0)
    k_funnel = (derive(base[0], label), derive(base[1], label), derive(base[2], label))
    b_funnel = funnel_bars(posts, p)
    segment_of = graph.segment_of
    stamp, flags, count, required = state.stamp, state.flags, state.count, state.required
    counters, segment_counters = state.counters, state.segment_counters
    epoch = state.cursor[C_EPOCH]
    funnel = params.funnel
    tree = (state.order, state.parent, state.depth, state.root)
    own = info[I_BRAND]
    track = info[I_TRACK] != 0
    exclusive = info[I_EXCLUSIVE] != 0
    brand_stamp, brand_flags = state.brand_stamp, state.brand_flags
    own_stamp, own_flags = brand_stamp[own], brand_flags[own]
    own_counters, own_segments = state.brand_counters[own], state.brand_segment_counters[own]
    negative_stamp, negative_flags = state.negative_stamp, state.negative_flags
    timing = params.timing
    worn = wears(timing)
    k_fatigue = derive(post_key(keys, p, FOR_FATIGUE, True, 0), label)
    rooms = state.rooms
    for i in range(shown):
        v = ad_target(timing, rooms, audience, k_target, a, i, epoch, t)
        if v < 0:
            continue  # everyone drawn has had the ad as often as its frequency cap allows
        seg = segment_of[v]
        k = seg
        if impacted and negative(negative_stamp, negative_flags, epoch, v):
            k += n_seg
        # Fatigue thins the engagement the impression would bring (see cascade_step).
        keen = fresh(timing, rooms, own, epoch, t, v, k_fatigue, lane, i, 1.0)
        if worn:
            wear(timing, rooms, own, epoch, t, v)
        shares = keen and coin(k_share, lane, i, share_bar[k])
        if not shares and not funnel:
            continue
        touch(stamp, flags, count, required, epoch, v)
        new = 0
        if funnel:
            new = see(flags, counters, segment_counters, seg, v, True)
        if not flags[v] & SHARED:
            if shares:
                if funnel:
                    new |= engage(
                        flags, counters, segment_counters, k_funnel, lane, i, b_funnel, seg, v, True
                    )
                if not exclusive or not rival(brand_stamp, brand_flags, own, epoch, v):
                    share(tree, flags, counters, segment_counters, seg, v, -1, True)
                    new |= SHARED
            elif funnel and keen and coin(k_engage, lane, i, engage_bar[k]):
                new |= engage(
                    flags, counters, segment_counters, k_funnel, lane, i, b_funnel, seg, v, True
                )
        if track and new:
            mark(own_stamp, own_flags, own_counters, own_segments, epoch, v, seg, new)
