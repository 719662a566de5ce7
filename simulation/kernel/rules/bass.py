"""The Bass (1969) model on a network: adopt with P = p + q x (adopted contacts / contacts).

Exposures from last step's adopters are counted first, so every decision this step uses the
state at the start of the step; adopters are not attributed to anyone (no cascade tree). The
adoption coin is one of (post, step, person).
"""

from __future__ import annotations

from simulation._jit import jit
from simulation.kernel.layout import (
    C_EPOCH,
    C_STEP,
    FOR_ADOPT,
    I_POST,
    KEY_LANE,
    SHARED,
    BassRule,
    Graph,
    Params,
    Posts,
    State,
)
from simulation.kernel.person import touch
from simulation.kernel.random import coin, coin_bar
from simulation.kernel.rules.adoption import adopt, count_exposures, exclusive_blocks, mark_adopter
from simulation.kernel.state import post_key

__all__ = ["bass_step"]


@jit
def bass_step(
    graph: Graph, params: Params, rule: BassRule | None, posts: Posts, state: State, frontier
) -> None:
    """Everyone who has not adopted adopts with P = innovation + imitation x adopted share."""
    if rule is None:
        return
    count_exposures(graph, params, posts, state, frontier)
    p = state.post[I_POST]
    in_indptr, segment_of = graph.in_indptr, graph.segment_of
    stamp, flags, count, required = state.stamp, state.flags, state.count, state.required
    epoch = state.cursor[C_EPOCH]
    key = post_key(state.keys, p, FOR_ADOPT, True, state.cursor[C_STEP])
    lane = state.keys[KEY_LANE]
    innovation, imitation = rule.innovation, rule.imitation
    n = in_indptr.shape[0] - 1
    for v in range(n):
        touch(stamp, flags, count, required, epoch, v)
        if flags[v] & SHARED:
            continue
        degree = in_indptr[v + 1] - in_indptr[v]
        prob = innovation
        if degree > 0:
            prob += imitation * count[v] / degree
        if coin(key, lane, v, coin_bar(prob)) and not exclusive_blocks(state, v):
            seg = segment_of[v]
            mark_adopter(state, seg, v, adopt(state, posts, seg, v, -1, params.funnel))
