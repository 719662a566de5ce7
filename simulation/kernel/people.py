"""One person's turn in a step: the rules' loops with a frontier of one, for the Mesa agents.

Each rule's step (:mod:`simulation.kernel.rules`) is a loop over last step's sharers, and a
sharer's iteration touches only the shared arrays, so running the loop body for the sharers one
at a time, in the frontier's order, is the same computation: the Mesa model
(:mod:`simulation.model`) calls these from each :class:`~simulation.agents.Consumer`'s
``step()`` and stays bit-equal to the Monte Carlo loop. Each function takes the market and a post
index (as :func:`~simulation.kernel.spread` does) and one person.

* cascade: :func:`expose` is :func:`~simulation.kernel.rules.cascade.cascade_step` on ``[u]``;
* threshold: :func:`count_share` (every sharer's share is counted first), then
  :func:`persuade` (u's followers who have seen enough shares share);
* Bass: :func:`count_share`, then every person's :func:`consider`;
* repeat posts (the crisis's persistence): :func:`post_again`.
"""

from __future__ import annotations

import numpy as np

from simulation._jit import jit
from simulation.kernel.layout import (
    ANSWERED,
    C_EPOCH,
    C_STEP,
    FOR_ADOPT,
    FOR_PERSIST,
    FOR_THRESHOLD,
    KEY_LANE,
    SHARED,
    BassRule,
    Campaign,
    Graph,
    Market,
    Params,
    ThresholdRule,
)
from simulation.kernel.person import touch
from simulation.kernel.random import coin, coin_bar
from simulation.kernel.rules.adoption import adopt, count_exposures, exclusive_blocks, mark_adopter
from simulation.kernel.rules.cascade import cascade_step
from simulation.kernel.rules.threshold import required_contacts
from simulation.kernel.state import post_key, post_state

__all__ = ["consider", "count_share", "expose", "persuade", "post_again"]


@jit
def expose(
    graph: Graph, params: Params, campaign: Campaign, market: Market, p: int, u: int, age: int
) -> None:
    """Cascade: u, who shared post p last step, exposes their followers (each tie once)."""
    frontier = np.full(1, u, np.int32)
    state = post_state(market, p)
    cascade_step(graph, params, campaign.posts, state, frontier, age, 0, market.probs)


@jit
def count_share(graph: Graph, params: Params, campaign: Campaign, market: Market, p: int, u: int):
    """Threshold and Bass: u's share of post p counts as an exposure of each of u's followers."""
    frontier = np.full(1, u, np.int32)
    count_exposures(graph, params, campaign.posts, post_state(market, p), frontier)


@jit
def persuade(
    graph: Graph,
    params: Params,
    rule: ThresholdRule,
    campaign: Campaign,
    market: Market,
    p: int,
    u: int,
) -> None:
    """Threshold: u's followers whose shared contacts reach their threshold share post p.

    The body of :func:`~simulation.kernel.rules.threshold.threshold_step`'s loop for one sharer.
    """
    state = post_state(market, p)
    indices, segment_of, in_indptr = graph.indices, graph.segment_of, graph.in_indptr
    flags, count, required = state.flags, state.count, state.required
    key = post_key(state.keys, p, FOR_THRESHOLD, False, 0)
    epoch = state.cursor[C_EPOCH]
    for j in range(graph.indptr[u], graph.indptr[u + 1]):
        v = indices[j]
        if flags[v] & SHARED or state.stamp[v] != epoch:
            continue
        if required[v] < 0:
            required[v] = required_contacts(
                rule.kind, rule.a, rule.b, rule.count, key, v, in_indptr[v + 1] - in_indptr[v]
            )
        if count[v] >= required[v] and not exclusive_blocks(state, v):
            seg = segment_of[v]
            mark_adopter(state, seg, v, adopt(state, campaign.posts, seg, v, u, params.funnel))


@jit
def consider(
    graph: Graph, params: Params, rule: BassRule, campaign: Campaign, market: Market, p: int, v: int
) -> None:
    """Bass: v, if not yet an adopter of post p, adopts with P = innovation + imitation x share.

    The body of :func:`~simulation.kernel.rules.bass.bass_step`'s loop for one person.
    """
    state = post_state(market, p)
    stamp, flags, count, required = state.stamp, state.flags, state.count, state.required
    touch(stamp, flags, count, required, state.cursor[C_EPOCH], v)
    if flags[v] & SHARED:
        return
    key = post_key(state.keys, p, FOR_ADOPT, True, state.cursor[C_STEP])
    degree = graph.in_indptr[v + 1] - graph.in_indptr[v]
    prob = rule.innovation
    if degree > 0:
        prob += rule.imitation * count[v] / degree
    if coin(key, state.keys[KEY_LANE], v, coin_bar(prob)) and not exclusive_blocks(state, v):
        seg = graph.segment_of[v]
        mark_adopter(state, seg, v, adopt(state, campaign.posts, seg, v, -1, params.funnel))


@jit
def post_again(
    graph: Graph, params: Params, campaign: Campaign, market: Market, p: int, v: int, age: int
) -> bool:
    """Repeat posts: v, an earlier sharer of post p not yet answered, posts it again.

    With P(persistence), a coin of (post, step, v); v's ties are then tried afresh. Returns
    whether v posted again.
    """
    state = post_state(market, p)
    t = state.cursor[C_STEP]
    key = post_key(state.keys, p, FOR_PERSIST, True, t)
    bar = coin_bar(campaign.posts.persistence[p])
    if state.flags[v] & ANSWERED or not coin(key, state.keys[KEY_LANE], v, bar):
        return False
    frontier = np.full(1, v, np.int32)
    cascade_step(graph, params, campaign.posts, state, frontier, age, t, market.probs)
    return True
