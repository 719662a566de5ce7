"""Brands and the campaign clock: what happens in a step, in order.

A step (the Monte Carlo loop in :mod:`simulation.kernel.replicates` and the Mesa model call these
same functions in the same order): :func:`tick` (the step number; the brands' order this step),
per brand :func:`publish` (posts due this step go out from their seeds), :func:`advertise` (paid
impressions) and :func:`respond` (answers to the crisis's complaints), the crisis's
:func:`publish`, then :func:`spread` (every post's frontier exposes its followers), which ends
with :func:`finish_step`. Step 0 is :func:`begin`, the brands' acts at step 0 and
:func:`finish_step`.
"""

from __future__ import annotations

import numpy as np

from simulation._jit import jit
from simulation.kernel.ads import ads_running, show_due_ads
from simulation.kernel.crisis import answer_complaints, complaints_pending
from simulation.kernel.layout import (
    C_EPOCH,
    C_HI,
    C_LO,
    C_STEP,
    COMMENTS,
    DISTINCT,
    FOR_ATTENTION,
    FOR_ORDER,
    FOR_SEEDS,
    K_EPOCH,
    K_QUEUE,
    K_STEP,
    KEY_REPLICATE,
    MENTIONS,
    N_COUNTERS,
    N_CRISIS_COUNTERS,
    SEG_CONVERSIONS,
    SEG_ENGAGEMENTS,
    SHARERS,
    SPAN,
    Campaign,
    Graph,
    Market,
    Params,
)
from simulation.kernel.person import draw_seeds
from simulation.kernel.random import derive, uniform
from simulation.kernel.rules import BASS, CASCADE, repeaters, spread_post
from simulation.kernel.state import place_seeds, post_key, post_state, seed_keys
from simulation.kernel.timing import count_feed, rank_feed

__all__ = [
    "active",
    "advertise",
    "begin",
    "finish_step",
    "publish",
    "respond",
    "spread",
    "tally",
    "tick",
]


@jit
def begin(campaign: Campaign, market: Market, seed: np.uint64, run: np.uint64) -> None:
    """Start replicate ``run``: new epoch, its keys, zeroed counts, every seed set drawn.

    Seed set s's random draws are uniforms of (replicate, set); then the brands' order for
    step 0 (see :func:`tick`).
    """
    epoch = market.clock[K_EPOCH] + 1
    market.clock[K_EPOCH] = epoch
    market.clock[K_STEP] = 0
    market.clock[K_QUEUE] = 0
    for p in range(market.cursor.shape[0]):
        market.cursor[p, C_EPOCH] = epoch
        market.cursor[p, C_LO] = 0
        market.cursor[p, C_HI] = 0
        market.cursor[p, C_STEP] = 0
    market.counters[:, :] = 0
    market.segment_counters[:, :, :] = 0
    market.brand_counters[:, :] = 0
    market.brand_segment_counters[:, :, :] = 0
    market.crisis_counters[:] = 0
    seed_keys(market.keys, seed, run)
    sets = campaign.seed_sets
    people = sets.people
    n_sets = sets.budget.shape[0]
    for s in range(n_sets):
        slot = sets.slot[s]
        budget = sets.budget[s]
        if budget > 0:
            pool = people[sets.pool_lo[s] : sets.pool_hi[s]]
            key = derive(derive(market.keys[KEY_REPLICATE], FOR_SEEDS), s)
            token = epoch * n_sets + s + 1
            market.seed_count[s] = draw_seeds(
                key,
                pool,
                budget,
                market.chosen,
                token,
                market.subtree,
                market.seeds[slot : slot + budget],
            )
        else:
            lo, hi = sets.fixed_lo[s], sets.fixed_hi[s]
            market.seeds[slot : slot + hi - lo] = people[lo:hi]
            market.seed_count[s] = hi - lo
    order_brands(campaign, market, 0)


@jit
def order_brands(campaign: Campaign, market: Market, t: int) -> None:
    """The brands' order at step t: random when they compete for people, else fixed.

    In an exclusive market the first brand to reach a person wins them, so the order within a
    step must not favour anyone: a shuffle by uniforms of (replicate, step).
    """
    order = market.brand_order
    for i in range(order.shape[0]):
        order[i] = i
    if campaign.exclusive and order.shape[0] > 1:
        key = derive(derive(market.keys[KEY_REPLICATE], FOR_ORDER), t)
        for i in range(order.shape[0] - 1):
            j = i + int(uniform(key, i) * (order.shape[0] - i))
            order[i], order[j] = order[j], order[i]


@jit
def tick(campaign: Campaign, market: Market) -> int:
    """Start the next step: count it and draw the brands' order; returns the step number."""
    t = market.clock[K_STEP] + 1
    market.clock[K_STEP] = t
    for p in range(market.cursor.shape[0]):
        market.cursor[p, C_STEP] = t
    order_brands(campaign, market, t)
    return t


@jit
def publish(graph: Graph, campaign: Campaign, market: Market, brand: int, t: int) -> None:
    """The brand's posts due at step t go out: their seeds share them (tree roots)."""
    posts = campaign.posts
    sets = campaign.seed_sets
    for p in range(posts.brand.shape[0]):
        if posts.brand[p] != brand or posts.start[p] != t:
            continue
        s = posts.seed_set[p]
        slot = sets.slot[s]
        place_seeds(
            graph.segment_of,
            post_state(market, p),
            market.seeds[slot : slot + market.seed_count[s]],
        )


@jit
def advertise(
    graph: Graph, params: Params, campaign: Campaign, market: Market, brand: int, t: int
) -> None:
    """The brand's ads running at step t show their impressions (paid media)."""
    show_due_ads(graph, params, campaign.posts, campaign.ads, market, brand, t)


@jit
def respond(campaign: Campaign, market: Market, brand: int, t: int) -> None:
    """The brand answers the crisis's complaints due at step t (if the crisis is about it)."""
    answer_complaints(campaign.crisis, market, brand, t)


@jit
def spread(graph: Graph, params: Params, campaign: Campaign, market: Market, t: int) -> None:
    """Step t's word of mouth, then :func:`finish_step`.

    Every post out before step t spreads: the crisis first, then the brands in this step's order.
    Under an attention limit or fatigue, first every person's feed of the step is ranked and
    counted (:func:`plan_feeds`), so what each reads and how tired it makes them do not depend
    on that order.
    """
    posts = campaign.posts
    plan_feeds(graph, params.timing, posts, market, t)
    c = campaign.crisis_post
    if c >= 0 and posts.start[c] < t:
        spread_post(
            graph, params, posts, post_state(market, c), t - posts.start[c] - 1, market.probs
        )
    for i in range(market.brand_order.shape[0]):
        brand = market.brand_order[i]
        for p in range(posts.brand.shape[0]):
            start = posts.start[p]
            if p == c or posts.brand[p] != brand or start >= t:
                continue
            spread_post(graph, params, posts, post_state(market, p), t - start - 1, market.probs)
    finish_step(campaign, market, t)


@jit
def plan_feeds(graph: Graph, timing, posts, market: Market, t: int) -> None:
    """Before step t spreads: every person's feed of the step (each post's frontier and repeats).

    Under an attention limit, ranks the items (:func:`simulation.kernel.timing.rank_feed`);
    under fatigue, counts each brand's items per person (:func:`~simulation.kernel.timing.
    count_feed`). Does nothing without either.
    """
    if timing is None:
        return
    attention = timing.attention
    worn = timing.keep < 1.0
    if attention <= 0 and not worn:
        return
    now = market.clock[K_EPOCH] * SPAN + t
    for p in range(posts.brand.shape[0]):
        if posts.start[p] >= t or posts.rule[p] != CASCADE:
            continue
        state = post_state(market, p)
        key = derive(post_key(market.keys, p, FOR_ATTENTION, False, 0), t)
        brand = posts.brand[p]
        sharers = (
            state.order[state.cursor[C_LO] : state.cursor[C_HI]],
            state.frontier[: repeaters(posts, state, t, state.frontier)],
        )
        for frontier in sharers:
            if attention > 0:
                rank_feed(
                    graph.indptr,
                    graph.indices,
                    key,
                    frontier,
                    market.rooms.heed_top,
                    market.rooms.heed_count,
                    market.rooms.heed_stamp,
                    now,
                    attention,
                )
            if worn:
                count_feed(
                    graph.indptr,
                    graph.indices,
                    frontier,
                    market.rooms.feed_count[brand],
                    market.rooms.feed_mark[brand],
                    now,
                )


@jit
def finish_step(campaign: Campaign, market: Market, t: int) -> None:
    """End step t: next frontiers, complaint times, and brand and mention counts."""
    c = campaign.crisis_post
    for p in range(market.cursor.shape[0]):
        hi = market.cursor[p, C_HI]
        total = market.counters[p, SHARERS]
        if p == c:
            for k in range(hi, total):
                market.complained_at[k] = t
        market.cursor[p, C_LO] = hi
        market.cursor[p, C_HI] = total
        market.counters[p, MENTIONS] = total + market.counters[p, COMMENTS]
    sync_brands(campaign, market)


@jit
def sync_brands(campaign: Campaign, market: Market) -> None:
    """Brand counts: sums over the brand's posts, and distinct people from the brand rows.

    A brand with one post and no rivals to watch just copies its post's counts.
    """
    posts = campaign.posts
    counters = market.counters
    brand_counters = market.brand_counters
    segments = market.segment_counters
    brand_segments = market.brand_segment_counters
    n_posts = posts.brand.shape[0]
    for b in range(campaign.brands):
        tracked = False
        only = -1
        several = False
        for p in range(n_posts):
            if posts.brand[p] == b:
                tracked = tracked or posts.track[p] != 0
                several = several or only >= 0
                only = p
        if not tracked:
            if only >= 0 and not several:
                brand_counters[b, :] = counters[only, :]
                brand_segments[b, :, :] = segments[only, :, :]
            continue
        # Additive counts are sums over the posts; distinct ones were counted by person.mark.
        for i in range(N_COUNTERS):
            if i in DISTINCT:
                continue
            total = 0
            for p in range(n_posts):
                if posts.brand[p] == b:
                    total += counters[p, i]
            brand_counters[b, i] = total
        for s in range(segments.shape[1]):
            for i in (SEG_ENGAGEMENTS, SEG_CONVERSIONS):
                total = 0
                for p in range(n_posts):
                    if posts.brand[p] == b:
                        total += segments[p, s, i]
                brand_segments[b, s, i] = total


@jit
def active(graph: Graph, campaign: Campaign, market: Market) -> bool:
    """Whether the next step can change anything (else a replicate ends)."""
    t = market.clock[K_STEP]
    n = graph.indptr.shape[0] - 1
    posts = campaign.posts
    for p in range(posts.brand.shape[0]):
        if posts.start[p] > t:
            return True
        if posts.rule[p] == BASS and market.counters[p, SHARERS] < n:
            return True
        if market.cursor[p, C_LO] < market.cursor[p, C_HI]:
            return True
    return ads_running(campaign.ads, t) or complaints_pending(campaign.crisis, posts, market)


@jit
def tally(market: Market, out: np.ndarray) -> None:
    """Every cumulative count, flat: brand rows, post rows, then the crisis's counts."""
    k = 0
    for b in range(market.brand_counters.shape[0]):
        for i in range(N_COUNTERS):
            out[k] = market.brand_counters[b, i]
            k += 1
    for p in range(market.counters.shape[0]):
        for i in range(N_COUNTERS):
            out[k] = market.counters[p, i]
            k += 1
    for i in range(N_CRISIS_COUNTERS):
        out[k] = market.crisis_counters[i]
        k += 1
