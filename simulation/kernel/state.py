"""A replicate's working state: allocated once per thread, reused across replicates.

Only stamps need zeros: every other per-person array is written before it is read (its values
count only where ``stamp == epoch``, and epochs start at 1), so a new replicate bumps the epoch
instead of clearing arrays and no replicate allocates memory.
"""

from __future__ import annotations

import numpy as np

from simulation._jit import jit
from simulation.kernel.layout import (
    I_BRAND,
    I_CRISIS,
    I_EXCLUSIVE,
    I_IMPACTED,
    I_NEGATIVE,
    I_POST,
    I_TRACK,
    KEY_BLOCK,
    KEY_LANE,
    KEY_REPLICATE,
    N_COUNTERS,
    N_CRISIS_COUNTERS,
    N_POST_INFO,
    N_SEGMENT_COUNTERS,
    Campaign,
    Market,
    Rooms,
    State,
)
from simulation.kernel.person import post_seeds
from simulation.kernel.random import block_key, derive, replicate_key

__all__ = ["new_market", "place_seeds", "post_key", "post_state", "seed_keys"]


@jit
def new_market(n: int, segments: int, campaign: Campaign, timing=None) -> Market:
    """Allocate the working state of one replicate at a time of a campaign on n people.

    ``timing`` (a :class:`~simulation.kernel.layout.Timing`, ``Params.timing``) sizes the rooms
    of attention, fatigue and frequency caps (:func:`new_rooms`); without it there are none.
    """
    posts = campaign.posts
    n_posts = posts.brand.shape[0]
    n_seg = max(segments, 1)
    brands = campaign.brands
    crisis_post = campaign.crisis_post
    info = np.zeros((n_posts, N_POST_INFO), np.int64)
    for p in range(n_posts):
        info[p, I_POST] = p
        info[p, I_BRAND] = posts.brand[p]
        info[p, I_TRACK] = posts.track[p]
        info[p, I_EXCLUSIVE] = campaign.exclusive and p != crisis_post
        info[p, I_IMPACTED] = posts.impacted[p]
        info[p, I_CRISIS] = crisis_post if crisis_post >= 0 else p
        info[p, I_NEGATIVE] = p == crisis_post
    return Market(
        clock=np.zeros(3, np.int64),
        keys=np.zeros(3, np.uint64),
        cursor=np.zeros((n_posts, 4), np.int64),
        stamp=np.zeros((n_posts, n), np.int64),
        flags=np.empty((n_posts, n), np.uint8),
        count=np.empty((n_posts, n), np.int32),
        required=np.empty((n_posts, n), np.int32),
        order=np.empty((n_posts, n), np.int32),
        parent=np.empty((n_posts, n), np.int32),
        depth=np.empty((n_posts, n), np.int32),
        root=np.empty((n_posts, n), np.int32),
        subtree=np.empty(n, np.int64),
        wiener=np.empty(n, np.float64),
        counters=np.zeros((n_posts, N_COUNTERS), np.int64),
        segment_counters=np.zeros((n_posts, n_seg, N_SEGMENT_COUNTERS), np.int64),
        post_info=info,
        brand_stamp=np.zeros((brands, n), np.int64),
        brand_flags=np.empty((brands, n), np.uint8),
        brand_counters=np.zeros((brands, N_COUNTERS), np.int64),
        brand_segment_counters=np.zeros((brands, n_seg, N_SEGMENT_COUNTERS), np.int64),
        frontier=np.empty(n, np.int32),
        chosen=np.zeros(n, np.int64),
        seeds=np.empty(campaign.seed_slots, np.int32),
        seed_count=np.zeros(campaign.seed_sets.budget.shape[0], np.int64),
        brand_order=np.arange(campaign.real_brands).astype(np.int64),
        complained_at=np.empty(n, np.int32),
        crisis_counters=np.zeros(N_CRISIS_COUNTERS, np.int64),
        probs=np.zeros((3, 4 * n_seg), np.uint64),
        rooms=new_rooms(timing, n, campaign.brands),
    )


@jit
def new_rooms(timing, n: int, brands: int):
    """Time and attention's working state (``None`` without ``timing``); empty where off.

    Fatigue keeps one (empty) row per brand, so that a post can always take its brand's row.
    """
    if timing is None:
        return None
    heed = n if timing.attention > 0 else 0
    worn = n if timing.keep < 1.0 else 0
    ads = timing.ad_cap.shape[0]
    capped = n if ads > 0 and timing.ad_cap.max() > 0 else 0
    return Rooms(
        heed_top=np.empty((heed, max(timing.attention, 0)), np.float64),
        heed_count=np.zeros(heed, np.int32),
        heed_stamp=np.zeros(heed, np.int64),
        wear_load=np.empty((brands, worn), np.float64),
        wear_new=np.zeros((brands, worn), np.int32),
        wear_mark=np.zeros((brands, worn), np.int64),
        feed_count=np.zeros((brands, worn), np.int32),
        feed_mark=np.zeros((brands, worn), np.int64),
        ad_count=np.zeros((ads, capped), np.int32),
        ad_mark=np.zeros((ads, capped), np.int64),
    )


@jit
def post_state(market: Market, p: int) -> State:
    """Post p's view of the market: its own rows, and the shared arrays."""
    negative = market.post_info[p, I_CRISIS]
    return State(
        cursor=market.cursor[p],
        stamp=market.stamp[p],
        flags=market.flags[p],
        count=market.count[p],
        required=market.required[p],
        order=market.order[p],
        parent=market.parent[p],
        depth=market.depth[p],
        root=market.root[p],
        subtree=market.subtree,
        wiener=market.wiener,
        counters=market.counters[p],
        segment_counters=market.segment_counters[p],
        keys=market.keys,
        post=market.post_info[p],
        brand_stamp=market.brand_stamp,
        brand_flags=market.brand_flags,
        brand_counters=market.brand_counters,
        brand_segment_counters=market.brand_segment_counters,
        negative_stamp=market.stamp[negative],
        negative_flags=market.flags[negative],
        frontier=market.frontier,
        rooms=market.rooms,
    )


@jit
def seed_keys(keys: np.ndarray, seed: np.uint64, run: np.uint64) -> None:
    """Set a replicate's keys: its own (real-valued draws), its block's (coins), its lane."""
    keys[KEY_REPLICATE] = replicate_key(seed, run)
    keys[KEY_BLOCK] = block_key(seed, run)
    keys[KEY_LANE] = run & np.uint64(63)


@jit
def post_key(keys: np.ndarray, post: int, purpose: int, coins: bool, attempt: int) -> np.uint64:
    """Key of one family of a post's decisions: coins (block key) or real draws (replicate key).

    ``attempt`` > 0 names a repeat of the family at that step (a post shared again).
    """
    base = keys[KEY_BLOCK] if coins else keys[KEY_REPLICATE]
    key = derive(derive(base, post), purpose)
    if attempt > 0:
        key = derive(key, attempt)
    return key


@jit
def place_seeds(segment_of: np.ndarray, state: State, people: np.ndarray) -> None:
    """The post's seeds share it (tree roots), unless loyal to a rival brand."""
    post_seeds(
        segment_of,
        state.cursor,
        state.stamp,
        state.flags,
        state.count,
        state.required,
        (state.order, state.parent, state.depth, state.root),
        state.counters,
        state.segment_counters,
        state.post,
        state.brand_stamp,
        state.brand_flags,
        state.brand_counters,
        state.brand_segment_counters,
        people,
    )
