"""The independent cascade with a marketing funnel: see -> engage -> share (and click -> buy).

Each tie of a person who shared is tried once per post: whether it carries a share is one coin
of (replicate block, post, tie) at the tie's class probability. So under the pure independent
cascade the live ties of a replicate are fixed and the sharers are the people reachable from
the seeds over them (the live-edge picture of Kempe, Kleinberg & Tardos 2003): adding a seed
never removes a sharer. The coin of a tie holds one digit of all 64 replicates of its block
per hash (:func:`~simulation.kernel.random.coin`), so the batched path
(:mod:`simulation.kernel.batched`) decides a tie for a whole batch of replicates at once.
"""

from __future__ import annotations

import numpy as np

from simulation._jit import jit
from simulation.kernel.layout import (
    C_EPOCH,
    C_STEP,
    FOR_ATTENTION,
    FOR_BUY,
    FOR_CLICK,
    FOR_COMMENT,
    FOR_ENGAGE,
    FOR_FATIGUE,
    FOR_SEEN,
    FOR_SHARE,
    I_BRAND,
    I_EXCLUSIVE,
    I_IMPACTED,
    I_NEGATIVE,
    I_POST,
    I_TRACK,
    KEY_LANE,
    SHARED,
    SPAN,
    Graph,
    Params,
    Posts,
    State,
)
from simulation.kernel.person import adopt_parent, engage, mark, negative, rival, see, share, touch
from simulation.kernel.random import coin, coin_bar, derive
from simulation.kernel.state import post_key
from simulation.kernel.timing import feed_factor, fresh, online_now, reads, wear, wears

__all__ = ["cascade_step", "class_thresholds", "funnel_bars", "funnel_keys"]


@jit
def class_thresholds(
    bars, affinity, vis, appeal, stick, decay, strong_vis, weak_vis, impact, ties, impacted, online
) -> float:
    """Fill ``bars[:3, k]`` for every class k of exposure; return the largest share probability.

    ``affinity`` is the post's row of ``Params.affinity`` (one value per audience group).
    Class k = group + groups x negative + 2 groups x strong. ``online[g]``: the share of group
    g online this step, which multiplies the visibility (empty: everyone is). Rows, as coin
    thresholds: P(share), P(seen | no share), P(engaged | seen, no share). Asking "share?"
    first and the rest given "no share" makes the joint law per exposure exactly
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
                vis_s = tie_vis * online[s] if online.shape[0] > 0 else tie_vis
                engaged = appeal * affinity[s] * decay
                if neg:
                    engaged *= impact
                engaged = min(1.0, engaged)
                p_share = vis_s * engaged * stick
                bars[0, k] = coin_bar(p_share)
                bars[1, k] = coin_bar((vis_s - p_share) / (1.0 - p_share) if p_share < 1.0 else 0.0)
                bars[2, k] = coin_bar(
                    (engaged - engaged * stick) / (1.0 - engaged * stick)
                    if engaged * stick < 1.0
                    else 0.0
                )
                p_max = max(p_max, p_share)
    return p_max


@jit
def funnel_bars(posts: Posts, p: int):
    """Thresholds of post p's (comment, click, purchase) coins."""
    return (
        coin_bar(posts.comment_ratio[p]),
        coin_bar(posts.click_through[p]),
        coin_bar(posts.conversion[p]),
    )


@jit
def funnel_keys(keys, post, purpose_base, attempt):
    """Keys of the (comment, click, purchase) coins of a family of exposures."""
    return (
        post_key(keys, post, FOR_COMMENT + purpose_base, True, attempt),
        post_key(keys, post, FOR_CLICK + purpose_base, True, attempt),
        post_key(keys, post, FOR_BUY + purpose_base, True, attempt),
    )


@jit
def timing_keys(timing, keys, p: int, t: int, attempt: int):
    """Keys of a post's reading priorities at step t and of its fatigue coins (0: no timing)."""
    if timing is None:
        return np.uint64(0), np.uint64(0)
    return (
        derive(post_key(keys, p, FOR_ATTENTION, False, 0), t),
        post_key(keys, p, FOR_FATIGUE, True, attempt),
    )


@jit
def cascade_step(
    graph: Graph, params: Params, posts: Posts, state: State, frontier, age: int, attempt: int, bars
) -> None:
    """Last step's sharers (``frontier``) expose their followers, once per tie.

    A tie leads to a share with P = visibility x appeal x affinity x decay x stickiness (its
    class's); with the funnel on, every other tie is seen and engaged with the probabilities
    given no share. Coins are of (post, tie), also of
    ``attempt`` when > 0: repeat posts at that step (the crisis's persistence).

    A step is decided from the state at its start, so its outcome does not depend on the order
    its sharers are tried (which the batched path relies on): a person who had not shared
    before the step engages with each of the step's exposures that engages them (also after
    sharing in the step), and shares once, below the lowest-numbered of the step's sharers
    whose tie carried a share (the canonical parent in the cascade tree).

    Under ``params.timing`` (:mod:`simulation.kernel.timing`) the visibility is also times the
    share of the receiver's class online this step, a person reads only the feed items their
    attention keeps, and fatigue thins engagement: engaged = engaged without fatigue and a coin
    of P = what fatigue leaves of the appeal, so P(engaged) = appeal x ... x fatigue exactly.
    """
    info = state.post
    p = info[I_POST]
    affinity = params.affinity[p]  # this post's appeal multiplier per audience group
    n_seg = affinity.shape[0]
    ties = graph.tie_strong.shape[0] > 0
    impacted = info[I_IMPACTED] > 0 and posts.impact[p] != 1.0
    timing = params.timing
    t = state.cursor[C_STEP]
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
        online_now(timing, t, affinity[:0]),
    )
    negative_post = info[I_NEGATIVE] != 0
    worn = wears(timing)
    if p_max <= 0.0 and not params.funnel and not negative_post and not worn:
        return
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
    b_funnel = funnel_bars(posts, p)
    k_read, k_fatigue = timing_keys(params.timing, keys, p, t, attempt)

    indptr = graph.indptr
    indices = graph.indices
    segment_of = graph.segment_of
    tie_strong = graph.tie_strong
    stamp, flags, count, required = state.stamp, state.flags, state.count, state.required
    counters, segment_counters = state.counters, state.segment_counters
    epoch = state.cursor[C_EPOCH]
    now = epoch * SPAN + t
    funnel = params.funnel
    # Who saw the crisis changes who shares the brand's posts, and so does fatigue (every
    # exposure seen wears): always decide their exposures.
    every = funnel or negative_post or worn
    # Without them a tie that carries no share, or leads to someone who already shared,
    # decides nothing (reading a feed under timing spends attention: then every share is read).
    lean = not every and timing is None
    grouped = n_seg > 1
    # A tie's uniform is fixed, so it carries a share in no class if not under the largest
    # class probability: then the follower's state is never read (most ties at small p).
    bar_max = coin_bar(p_max)
    tree = (state.order, state.parent, state.depth, state.root)
    parents = state.parent
    # A cascade post's ``count[v]``: the step + 1 in which v shared through this rule (so a
    # person who shared earlier in this step still counts as "not shared yet" below).
    mark_t = t + 1
    own = info[I_BRAND]
    track = info[I_TRACK] != 0
    exclusive = info[I_EXCLUSIVE] != 0
    brand_stamp, brand_flags = state.brand_stamp, state.brand_flags
    own_stamp, own_flags = brand_stamp[own], brand_flags[own]
    own_counters, own_segments = state.brand_counters[own], state.brand_segment_counters[own]
    negative_stamp, negative_flags = state.negative_stamp, state.negative_flags
    rooms = state.rooms
    for i in range(frontier.shape[0]):
        u = frontier[i]
        for j in range(indptr[u], indptr[u + 1]):
            if lean and not coin(k_share, lane, j, bar_max):
                continue
            v = indices[j]
            if lean and stamp[v] == epoch and flags[v] & SHARED and count[v] != mark_t:
                continue  # shared before this step: nothing left to decide
            seg = segment_of[v] if grouped else 0  # one audience group: no lookup
            k = seg
            if ties:
                k += strong_offset * tie_strong[j]
            if impacted and negative(negative_stamp, negative_flags, epoch, v):
                k += n_seg
            if coin(k_share, lane, j, share_bar[k]):
                if not reads(timing, rooms, now, k_read, j, v):
                    continue  # a share v did not read: not seen
                touch(stamp, flags, count, required, epoch, v)
                new = 0
                if every:
                    new = see(flags, counters, segment_counters, seg, v, False)
                within = feed_factor(timing, rooms, own, now, v)
                keen = fresh(timing, rooms, own, epoch, t, v, k_fatigue, lane, j, within)
                if worn:
                    wear(timing, rooms, own, epoch, t, v)
                if keen and not (flags[v] & SHARED and count[v] != mark_t):
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
                    if flags[v] & SHARED:
                        if u < parents[v]:  # shared this step: the lowest sharer is the parent
                            adopt_parent(tree, v, u)
                    elif not exclusive or not rival(brand_stamp, brand_flags, own, epoch, v):
                        share(tree, flags, counters, segment_counters, seg, v, u, True)
                        count[v] = mark_t
                        new |= SHARED
                if track and new:
                    mark(own_stamp, own_flags, own_counters, own_segments, epoch, v, seg, new)
                continue
            if not every:
                continue
            # Not a share: maybe seen, maybe engaged.
            if coin(k_seen, lane, j, seen_bar[k]) and reads(timing, rooms, now, k_read, j, v):
                touch(stamp, flags, count, required, epoch, v)
                new = see(flags, counters, segment_counters, seg, v, False)
                keen = (
                    funnel
                    and not (flags[v] & SHARED and count[v] != mark_t)
                    and coin(k_engage, lane, j, engage_bar[k])
                )
                within = feed_factor(timing, rooms, own, now, v)
                if keen and fresh(timing, rooms, own, epoch, t, v, k_fatigue, lane, j, within):
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
                if worn:
                    wear(timing, rooms, own, epoch, t, v)
                if track and new:
                    mark(own_stamp, own_flags, own_counters, own_segments, epoch, v, seg, new)
