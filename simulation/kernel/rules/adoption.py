"""What threshold and Bass adopters have in common: they were exposed, engage once, and share."""

from __future__ import annotations

from simulation._jit import jit
from simulation.kernel.layout import (
    C_EPOCH,
    FOR_ADOPTER,
    FOR_SEEN,
    I_BRAND,
    I_EXCLUSIVE,
    I_POST,
    I_TRACK,
    KEY_LANE,
    REACH,
    SEEN,
    SEG_REACH,
    SHARED,
    Graph,
    Params,
    Posts,
    State,
)
from simulation.kernel.person import engage, mark, see, share, touch
from simulation.kernel.random import coin, coin_bar
from simulation.kernel.rules.cascade import funnel_bars, funnel_keys
from simulation.kernel.state import post_key

__all__ = ["adopt", "count_exposures"]


@jit
def adopt(state: State, posts: Posts, seg: int, v: int, parent: int, funnel: bool) -> int:
    """V adopts: has seen the post, engages once (funnel on) and shares it.

    Returns the flags set for the first time (SEEN, ENGAGED; SHARED always). The adopter's
    engagement coins are those of (post, person).
    """
    flags, counters, segs = state.flags, state.counters, state.segment_counters
    p = state.post[I_POST]
    new = SHARED
    if funnel:
        if not flags[v] & SEEN:
            flags[v] |= SEEN
            counters[REACH] += 1
            segs[seg, SEG_REACH] += 1
            new |= SEEN
        bars = funnel_bars(posts, p)
        keys = funnel_keys(state.keys, p, FOR_ADOPTER, 0)
        new |= engage(flags, counters, segs, keys, state.keys[KEY_LANE], v, bars, seg, v, False)
    share(
        (state.order, state.parent, state.depth, state.root),
        flags,
        counters,
        segs,
        seg,
        v,
        parent,
        True,
    )
    return new


@jit
def count_exposures(graph: Graph, params: Params, posts: Posts, state: State, frontier) -> None:
    """Last step's adopters expose their followers: ``count`` of adopted contacts, impressions.

    With the funnel on, a follower sees the share with the tie's visibility (a coin of the tie).
    """
    p = state.post[I_POST]
    indptr, indices, segment_of = graph.indptr, graph.indices, graph.segment_of
    tie_strong = graph.tie_strong
    ties = tie_strong.shape[0] > 0
    vis = posts.visibility[p]
    bar_weak = coin_bar(vis * (params.weak_visibility if ties else 1.0))
    bar_strong = coin_bar(vis * (params.strong_visibility if ties else 1.0))
    stamp, flags, count, required = state.stamp, state.flags, state.count, state.required
    counters, segs = state.counters, state.segment_counters
    epoch = state.cursor[C_EPOCH]
    funnel = params.funnel
    lane = state.keys[KEY_LANE]
    k_seen = post_key(state.keys, p, FOR_SEEN, True, 0)
    own = state.post[I_BRAND]
    track = state.post[I_TRACK] != 0
    own_stamp, own_flags = state.brand_stamp[own], state.brand_flags[own]
    own_counters, own_segs = state.brand_counters[own], state.brand_segment_counters[own]
    for i in range(frontier.shape[0]):
        u = frontier[i]
        for j in range(indptr[u], indptr[u + 1]):
            v = indices[j]
            touch(stamp, flags, count, required, epoch, v)
            count[v] += 1
            if funnel and coin(k_seen, lane, j, bar_strong if ties and tie_strong[j] else bar_weak):
                new = see(flags, counters, segs, segment_of[v], v, False)
                if track and new:
                    mark(own_stamp, own_flags, own_counters, own_segs, epoch, v, segment_of[v], new)


@jit
def exclusive_blocks(state: State, v: int) -> bool:
    """Whether v is loyal to a rival brand (exclusive market) and so cannot adopt."""
    if state.post[I_EXCLUSIVE] == 0:
        return False
    own = state.post[I_BRAND]
    epoch = state.cursor[C_EPOCH]
    for b in range(state.brand_stamp.shape[0]):
        if b != own and state.brand_stamp[b, v] == epoch and state.brand_flags[b, v] & SHARED:
            return True
    return False


@jit
def mark_adopter(state: State, seg: int, v: int, new: int) -> None:
    """Count an adopter once for their brand, when the brand tracks distinct people."""
    if state.post[I_TRACK] != 0 and new:
        own = state.post[I_BRAND]
        mark(
            state.brand_stamp[own],
            state.brand_flags[own],
            state.brand_counters[own],
            state.brand_segment_counters[own],
            state.cursor[C_EPOCH],
            v,
            seg,
            new,
        )
