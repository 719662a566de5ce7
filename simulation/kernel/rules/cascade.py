"""The independent cascade with a marketing funnel: see -> engage -> share (and click -> buy).

Each tie of a person who shared is tried once per post: its share coin is fixed for the
replicate (:func:`~simulation.kernel.random.coin` of the tie), so under the pure independent
cascade the sharers are the people reachable from the seeds over live ties (the live-edge
picture of Kempe, Kleinberg & Tardos 2003): adding a seed never removes a sharer.
"""

from __future__ import annotations

from simulation._jit import jit
from simulation.kernel.layout import (
    C_EPOCH,
    FOR_BUY,
    FOR_CLICK,
    FOR_COMMENT,
    FOR_ENGAGE,
    FOR_SEEN,
    FOR_SHARE,
    I_BRAND,
    I_CRISIS,
    I_EXCLUSIVE,
    I_IMPACTED,
    I_POST,
    I_TRACK,
    KEY_LANE,
    SHARED,
    Graph,
    Params,
    Posts,
    State,
)
from simulation.kernel.person import engage, mark, negative, rival, see, share, touch
from simulation.kernel.random import coin, coin_bar
from simulation.kernel.state import post_key

__all__ = ["cascade_step", "class_thresholds", "funnel_keys"]


@jit
def class_thresholds(
    bars, affinity, vis, appeal, stick, decay, strong_vis, weak_vis, impact, ties, impacted
) -> float:
    """Fill ``bars[:, k]`` for every class k of exposure; return the largest share probability.

    Class k = segment + segments x negative + 2 segments x strong. Rows, as coin thresholds:
    P(share), P(seen | no share), P(engaged | seen, no share). Asking "share?" first and the
    rest given "no share" makes the joint law per exposure exactly
    seen (visibility) -> engaged (appeal x affinity x decay) -> shared (stickiness), while who
    shares never depends on the funnel's coins.
    """
    n_seg = affinity.shape[0]
    p_max = 0.0
    for strong in range(2 if ties else 1):
        tie_vis = vis
        if ties:
            tie_vis = vis * (strong_vis if strong else weak_vis)
        for neg in range(2 if impacted else 1):
            for s in range(n_seg):
                k = s + n_seg * neg + 2 * n_seg * strong
                engaged = appeal * affinity[s] * decay
                if neg:
                    engaged *= impact
                engaged = min(1.0, engaged)
                p_share = tie_vis * engaged * stick
                bars[0, k] = coin_bar(p_share)
                bars[1, k] = coin_bar(
                    (tie_vis - p_share) / (1.0 - p_share) if p_share < 1.0 else 0.0
                )
                bars[2, k] = coin_bar(
                    (engaged - engaged * stick) / (1.0 - engaged * stick)
                    if engaged * stick < 1.0
                    else 0.0
                )
                p_max = max(p_max, p_share)
    return p_max


@jit
def funnel_keys(keys, post, purpose_base, attempt):
    """Keys of the (comment, click, purchase) coins of a family of exposures."""
    return (
        post_key(keys, post, FOR_COMMENT + purpose_base, True, attempt),
        post_key(keys, post, FOR_CLICK + purpose_base, True, attempt),
        post_key(keys, post, FOR_BUY + purpose_base, True, attempt),
    )


@jit
def cascade_step(
    graph: Graph, params: Params, posts: Posts, state: State, frontier, age: int, attempt: int, bars
) -> None:
    """Last step's sharers (``frontier``) expose their followers, once per tie.

    A tie leads to a share with P = visibility x appeal x affinity x decay x stickiness (its
    class's); with the funnel on, every other tie is seen and engaged with the probabilities
    given no share. Ties are decided by coins of (post, tie[, attempt]); ``attempt`` > 0 marks
    repeat posts at that step (the crisis's persistence).
    """
    info = state.post
    p = info[I_POST]
    affinity = params.affinity
    n_seg = affinity.shape[0]
    ties = graph.tie_strong.shape[0] > 0
    impacted = info[I_IMPACTED] > 0 and posts.impact[p] != 1.0
    p_max = class_thresholds(
        bars,
        affinity,
        posts.visibility[p],
        posts.appeal[p],
        posts.stickiness[p],
        posts.decay[p] ** age,
        params.strong_visibility,
        params.weak_visibility,
        posts.impact[p],
        ties,
        impacted,
    )
    if p_max <= 0.0 and not params.funnel and info[I_CRISIS] != p:
        return
    bar_max = coin_bar(p_max)
    share_bar = bars[0]
    seen_bar = bars[1]
    engage_bar = bars[2]
    strong_offset = 2 * n_seg

    keys = state.keys
    lane = keys[KEY_LANE]
    k_share = post_key(keys, p, FOR_SHARE, True, attempt)
    k_seen = post_key(keys, p, FOR_SEEN, True, attempt)
    k_engage = post_key(keys, p, FOR_ENGAGE, True, attempt)
    k_funnel = funnel_keys(keys, p, 0, attempt)
    b_funnel = (
        coin_bar(posts.comment_ratio[p]),
        coin_bar(posts.click_through[p]),
        coin_bar(posts.conversion[p]),
    )

    indptr = graph.indptr
    indices = graph.indices
    segment_of = graph.segment_of
    tie_strong = graph.tie_strong
    stamp, flags, count, required = state.stamp, state.flags, state.count, state.required
    counters, segment_counters = state.counters, state.segment_counters
    epoch = state.cursor[C_EPOCH]
    funnel = params.funnel
    # Who saw the crisis changes who shares the brand's posts: always decide its exposures.
    every = funnel or info[I_CRISIS] == p
    tree = (state.order, state.parent, state.depth, state.root)
    own = info[I_BRAND]
    track = info[I_TRACK] != 0
    exclusive = info[I_EXCLUSIVE] != 0
    brand_stamp, brand_flags = state.brand_stamp, state.brand_flags
    own_stamp, own_flags = brand_stamp[own], brand_flags[own]
    own_counters, own_segments = state.brand_counters[own], state.brand_segment_counters[own]
    negative_stamp, negative_flags = state.negative_stamp, state.negative_flags
    for i in range(frontier.shape[0]):
        u = frontier[i]
        for j in range(indptr[u], indptr[u + 1]):
            # Most ties are no share: rule them out before touching the follower's memory.
            if not every and not coin(k_share, lane, j, bar_max):
                continue
            v = indices[j]
            seg = segment_of[v]
            k = seg
            if ties:
                k += strong_offset * tie_strong[j]
            if impacted and negative(negative_stamp, negative_flags, epoch, v):
                k += n_seg
            if coin(k_share, lane, j, share_bar[k]):
                touch(stamp, flags, count, required, epoch, v)
                new = 0
                if every:
                    new = see(flags, counters, segment_counters, seg, v, False)
                if not flags[v] & SHARED:
                    if funnel:
                        new |= engage(
                            flags,
                            counters,
                            segment_counters,
                            k_funnel,
                            lane,
                            j,
                            b_funnel,
                            seg,
                            v,
                            False,
                        )
                    if not exclusive or not rival(brand_stamp, brand_flags, own, epoch, v):
                        share(tree, flags, counters, segment_counters, seg, v, u, True)
                        new |= SHARED
                if track and new:
                    mark(own_stamp, own_flags, own_counters, own_segments, epoch, v, seg, new)
                continue
            if not every:
                continue
            # Not a share: maybe seen, maybe engaged.
            if coin(k_seen, lane, j, seen_bar[k]):
                touch(stamp, flags, count, required, epoch, v)
                new = see(flags, counters, segment_counters, seg, v, False)
                if funnel and not flags[v] & SHARED and coin(k_engage, lane, j, engage_bar[k]):
                    new |= engage(
                        flags,
                        counters,
                        segment_counters,
                        k_funnel,
                        lane,
                        j,
                        b_funnel,
                        seg,
                        v,
                        False,
                    )
                if track and new:
                    mark(own_stamp, own_flags, own_counters, own_segments, epoch, v, seg, new)
