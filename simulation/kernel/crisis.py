"""The crisis's answers: complaints answered first come, first served, some people won back.

A complaint made at step s is due at s + response_time; it is answered with probability
response_rate (a coin of the complaint), at most response_capacity answers a step (later
complaints wait, so response times grow with a backlog). An answered complainer posts the crisis
no more (see :func:`simulation.kernel.rules.spread_post`), and is won back (the impact on them
removed) with probability neutralize.
"""

from __future__ import annotations

from simulation._jit import jit
from simulation.kernel.layout import (
    ANSWERED,
    FOR_ANSWER,
    FOR_NEUTRALIZE,
    K_QUEUE,
    KEY_LANE,
    NEUTRAL,
    NEUTRALIZED,
    RESPONSE_TIME,
    RESPONSES,
    SHARERS,
    Crisis,
    Market,
    Posts,
)
from simulation.kernel.random import coin, coin_bar
from simulation.kernel.state import post_key

__all__ = ["answer_complaints", "complaints_pending"]


@jit
def complaints_pending(crisis: Crisis | None, posts: Posts, market: Market) -> bool:
    """Whether complainers may still post again or complaints still wait for an answer."""
    if crisis is None:
        return False
    c = crisis.post
    complaints = market.counters[c, SHARERS]
    unanswered = complaints - market.crisis_counters[RESPONSES]
    if posts.persistence[c] > 0.0 and unanswered > 0:
        return True
    return crisis.rate > 0.0 and market.clock[K_QUEUE] < complaints


@jit
def answer_complaints(crisis: Crisis | None, market: Market, brand: int, t: int) -> None:
    """The brand answers the complaints due at step t, if the crisis is about it."""
    if crisis is None or crisis.brand != brand:
        return
    c = crisis.post
    order, flags = market.order[c], market.flags[c]
    complaints = market.counters[c, SHARERS]
    head = market.clock[K_QUEUE]
    lane = market.keys[KEY_LANE]
    k_answer = post_key(market.keys, c, FOR_ANSWER, True, 0)
    k_won = post_key(market.keys, c, FOR_NEUTRALIZE, True, 0)
    answer_bar = coin_bar(crisis.rate)
    won_bar = coin_bar(crisis.neutralize)
    answered = 0
    while head < complaints and market.complained_at[head] + crisis.delay <= t:
        if crisis.capacity >= 0 and answered >= crisis.capacity:
            break
        v = order[head]
        when = market.complained_at[head]
        position = head
        head += 1
        if not coin(k_answer, lane, position, answer_bar):
            continue
        flags[v] |= ANSWERED
        answered += 1
        market.crisis_counters[RESPONSES] += 1
        market.crisis_counters[RESPONSE_TIME] += t - when
        if coin(k_won, lane, position, won_bar):
            flags[v] |= NEUTRAL
            market.crisis_counters[NEUTRALIZED] += 1
    market.clock[K_QUEUE] = head
