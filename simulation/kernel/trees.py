"""Cascade trees: structural virality and depth, in O(sharers) from subtree sizes."""

from __future__ import annotations

from simulation._jit import jit
from simulation.kernel.layout import SHARERS, Campaign, Market, State
from simulation.kernel.state import post_state

__all__ = ["brand_trees", "post_trees"]


@jit
def tree_sums(state: State) -> tuple[float, float, int]:
    """Size-weighted structural virality sum, its weight and the depth of a post's trees."""
    total = state.counters[SHARERS]
    order = state.order
    depth_max = 0
    for k in range(total):
        v = order[k]
        state.subtree[v] = 1
        state.wiener[k] = 0.0
        depth_max = max(depth_max, state.depth[v])
    for k in range(total - 1, -1, -1):
        v = order[k]
        p = state.parent[v]
        if p >= 0:
            state.subtree[p] += state.subtree[v]
    for k in range(total):
        v = order[k]
        if state.parent[v] >= 0:
            size = state.subtree[order[state.root[v]]]
            s = state.subtree[v]
            state.wiener[state.root[v]] += s * (size - s)
    weighted = 0.0
    weight = 0.0
    for k in range(total):
        v = order[k]
        if state.parent[v] < 0:
            size = state.subtree[v]
            if size >= 2:
                weighted += size * (2.0 * state.wiener[k] / (size * (size - 1.0)))
                weight += size
    return weighted, weight, depth_max


@jit
def post_trees(state: State) -> tuple[float, int]:
    """Structural virality and depth of a post's cascade trees.

    Structural virality (Goel, Anderson, Hofman & Watts 2016) of a tree of N nodes is its mean
    pairwise distance, 2 sum_e s_e (N - s_e) / (N (N - 1)) over edges e with s_e the size of the
    subtree below e. With several seeds: the size-weighted mean over trees of two or more nodes
    (0 if none).
    """
    weighted, weight, depth = tree_sums(state)
    return (weighted / weight if weight > 0 else 0.0), depth


@jit
def brand_trees(campaign: Campaign, market: Market, brand: int) -> tuple[float, int]:
    """Structural virality and depth over every cascade tree of the brand's posts."""
    weighted = 0.0
    weight = 0.0
    depth = 0
    posts = campaign.posts
    for p in range(posts.brand.shape[0]):
        if posts.brand[p] == brand:
            w, size, d = tree_sums(post_state(market, p))
            weighted += w
            weight += size
            depth = max(depth, d)
    return (weighted / weight if weight > 0 else 0.0), depth
