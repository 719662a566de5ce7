"""Complex contagion (Granovetter 1978; Centola & Macy 2007): share once enough contacts have.

A person's threshold is drawn once per replicate and post (a function of the person), when they
are first exposed; it is a share of the people they follow, or a number of them.
"""

from __future__ import annotations

import numpy as np

from simulation._jit import jit
from simulation.kernel.layout import (
    C_EPOCH,
    FOR_THRESHOLD,
    I_POST,
    SHARED,
    TH_COUNT,
    TH_FIXED,
    TH_UNIFORM,
    Graph,
    Params,
    Posts,
    State,
    ThresholdRule,
)
from simulation.kernel.random import uniform
from simulation.kernel.rules.adoption import adopt, count_exposures, exclusive_blocks, mark_adopter
from simulation.kernel.state import post_key

__all__ = ["required_contacts", "threshold_step"]


@jit
def required_contacts(
    kind: int, a: float, b: float, count: int, key, v: int, in_degree: int
) -> int:
    """Contacts v needs to have shared before v shares (uniforms of (post, person))."""
    if kind == TH_COUNT:
        return count
    if kind == TH_FIXED:
        theta = a
    elif kind == TH_UNIFORM:
        theta = a + (b - a) * uniform(key, 2 * v)
    else:
        # Box-Muller from the person's two uniforms.
        u1 = 1.0 - uniform(key, 2 * v)
        u2 = uniform(key, 2 * v + 1)
        theta = a + b * np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)
    theta = min(max(theta, 1e-12), 1.0)
    return max(1, int(np.ceil(theta * in_degree - 1e-9)))


@jit
def threshold_step(
    graph: Graph, params: Params, rule: ThresholdRule | None, posts: Posts, state: State, frontier
) -> None:
    """V shares once the people v follows who have shared reach v's threshold."""
    if rule is None:
        return
    count_exposures(graph, params, posts, state, frontier)
    p = state.post[I_POST]
    indptr, indices, segment_of = graph.indptr, graph.indices, graph.segment_of
    in_indptr = graph.in_indptr
    flags, count, required = state.flags, state.count, state.required
    key = post_key(state.keys, p, FOR_THRESHOLD, False, 0)
    epoch = state.cursor[C_EPOCH]
    for i in range(frontier.shape[0]):
        u = frontier[i]
        for j in range(indptr[u], indptr[u + 1]):
            v = indices[j]
            if flags[v] & SHARED or state.stamp[v] != epoch:
                continue
            if required[v] < 0:
                required[v] = required_contacts(
                    rule.kind,
                    rule.a,
                    rule.b,
                    rule.count,
                    key,
                    v,
                    in_indptr[v + 1] - in_indptr[v],
                )
            if count[v] >= required[v] and not exclusive_blocks(state, v):
                seg = segment_of[v]
                mark_adopter(state, seg, v, adopt(state, posts, seg, v, u, params.funnel))
