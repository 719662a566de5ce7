"""Diffusion rules: who shares next, given who shared last step. One file per rule.

``RULES`` maps a rule's name (the scenario's ``diffusion.rule``) to its code; :func:`spread_post`
dispatches on it. A new rule is a file here with a ``*_step(graph, params, posts, state,
frontier)`` function, a line in ``RULES``, a branch in :func:`spread_post`, and its keys in the
schema (``simulation/scenario``).
"""

from __future__ import annotations

from simulation._jit import jit
from simulation.kernel.layout import (
    ANSWERED,
    BASS,
    C_HI,
    C_LO,
    C_STEP,
    CASCADE,
    FOR_PERSIST,
    I_POST,
    KEY_LANE,
    RULES,
    SHARERS,
    THRESHOLD,
    Graph,
    Params,
    Posts,
    State,
)
from simulation.kernel.random import coin, coin_bar
from simulation.kernel.rules.bass import bass_step
from simulation.kernel.rules.cascade import cascade_step
from simulation.kernel.rules.threshold import threshold_step
from simulation.kernel.state import post_key

__all__ = ["BASS", "CASCADE", "RULES", "THRESHOLD", "can_spread", "repeaters", "spread_post"]


@jit
def can_spread(posts: Posts, state: State, n: int) -> bool:
    """Whether the post's next step can change anything by itself."""
    p = state.post[I_POST]
    if posts.rule[p] == BASS:
        return state.counters[SHARERS] < n
    if state.cursor[C_LO] < state.cursor[C_HI]:
        return True
    # Complainers who were not answered may post the crisis again.
    return posts.persistence[p] > 0.0 and state.counters[SHARERS] > 0


@jit
def spread_post(graph: Graph, params: Params, posts: Posts, state: State, age: int, bars) -> None:
    """One step of one post: last step's sharers (and repeat posts) expose their followers."""
    p = state.post[I_POST]
    frontier = state.order[state.cursor[C_LO] : state.cursor[C_HI]]
    rule = posts.rule[p]
    if rule == CASCADE:
        cascade_step(graph, params, posts, state, frontier, age, 0, bars)
    elif rule == THRESHOLD:
        threshold_step(graph, params, params.threshold, posts, state, frontier)
    else:
        bass_step(graph, params, params.bass, posts, state, frontier)
    if posts.persistence[p] > 0.0:
        # Repeat posts: their ties are tried afresh (coins of this step).
        t = state.cursor[C_STEP]
        m = repeaters(posts, state, t, state.frontier)
        if m > 0:
            cascade_step(graph, params, posts, state, state.frontier[:m], age, t, bars)


@jit
def repeaters(posts: Posts, state: State, t: int, out) -> int:
    """Who posts the post again at step t, into ``out``; returns how many.

    Every earlier sharer not yet answered posts again with P(persistence) (a coin of the post,
    the step and the person).
    """
    p = state.post[I_POST]
    if posts.persistence[p] <= 0.0:
        return 0
    key = post_key(state.keys, p, FOR_PERSIST, True, t)
    lane = state.keys[KEY_LANE]
    bar = coin_bar(posts.persistence[p])
    order, flags = state.order, state.flags
    m = 0
    for i in range(state.cursor[C_LO]):
        v = order[i]
        if not flags[v] & ANSWERED and coin(key, lane, v, bar):
            out[m] = v
            m += 1
    return m
