"""What the live view draws: a sample of people, their positions, and cascade trees.

A network of tens of thousands of people cannot be drawn usefully in a browser, so the live view
draws at most a few thousand: the seeds and the people nearest to them (breadth-first), where a
cascade starts. Positions are computed once per drawn graph (igraph's Fruchterman-Reingold,
compiled, about 0.2 s for 2,000 people) and cached for every session, read-only.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass

import numpy as np

from simulation import kernel
from simulation.network import SocialGraph

__all__ = [
    "DRAW_LIMIT",
    "CascadeTree",
    "Drawing",
    "cascade_tree",
    "drawn_people",
    "layout",
    "structural_virality",
    "tree_layout",
]

# Most people drawn in the live view.
DRAW_LIMIT = 2000


def drawn_people(graph: SocialGraph, seeds: np.ndarray, limit: int = DRAW_LIMIT) -> np.ndarray:
    """The people to draw: everyone if they fit, else the seeds and their nearest contacts.

    Breadth-first from the seeds over ties (in both directions), nearest first; the last ring
    that does not fit whole is sampled at random (seeded by the graph, so a graph always gives
    the same drawing). Isolated areas are filled in by index when the seeds' component is small.

    Returns:
        Sorted ``int64`` indices of at most ``limit`` people.
    """
    n = graph.n
    if n <= limit:
        return np.arange(n, dtype=np.int64)
    rng = np.random.default_rng(n)
    chosen = np.zeros(n, bool)
    frontier = np.unique(np.asarray(seeds, dtype=np.int64))[:limit]
    chosen[frontier] = True
    total = len(frontier)
    while total < limit:
        if len(frontier) == 0:
            rest = np.flatnonzero(~chosen)[: limit - total]
            chosen[rest] = True
            break
        ring = np.concatenate(
            [_neighbours(graph.indptr, graph.indices, frontier)]
            + ([_neighbours(graph.in_indptr, graph.in_indices, frontier)] if graph.directed else [])
        )
        ring = np.unique(ring)
        ring = ring[~chosen[ring]]
        if total + len(ring) > limit:
            ring = np.sort(rng.choice(ring, limit - total, replace=False))
        chosen[ring] = True
        total += len(ring)
        frontier = ring
    return np.flatnonzero(chosen).astype(np.int64)


def _neighbours(indptr: np.ndarray, indices: np.ndarray, people: np.ndarray) -> np.ndarray:
    starts, ends = indptr[people], indptr[people + 1]
    lengths = ends - starts
    if lengths.sum() == 0:
        return np.zeros(0, np.int64)
    offsets = np.repeat(starts - np.cumsum(lengths) + lengths, lengths) + np.arange(lengths.sum())
    return indices[offsets].astype(np.int64)


@dataclass(frozen=True)
class Drawing:
    """A drawable graph: people's positions in [0, 1]^2 and the ties among them.

    Attributes:
        people: Index (in the full graph) of each drawn person.
        xy: ``float[len(people), 2]`` positions, scaled to the unit square.
        ties: ``int[k, 2]`` ties as positions into ``people`` (each undirected tie once).
    """

    people: np.ndarray
    xy: np.ndarray
    ties: np.ndarray


def induced_ties(graph: SocialGraph, people: np.ndarray) -> np.ndarray:
    """Ties among ``people``, as pairs of positions into ``people`` (each tie once)."""
    where = np.full(graph.n, -1, np.int64)
    where[people] = np.arange(len(people))
    lengths = graph.indptr[people + 1] - graph.indptr[people]
    src = np.repeat(np.arange(len(people)), lengths)
    dst = where[_neighbours(graph.indptr, graph.indices, people)]
    keep = (dst >= 0) & (src < dst if not graph.directed else src != dst)
    return np.stack([src[keep], dst[keep]], axis=1)


def layout(graph: SocialGraph, people: np.ndarray) -> Drawing:
    """Positions of ``people`` (Fruchterman-Reingold on the ties among them), cached per graph."""
    ties = induced_ties(graph, people)
    digest = hashlib.sha1(people.tobytes() + ties.tobytes()).hexdigest()
    xy = _positions(digest, len(people), ties.tobytes())
    return Drawing(people=people, xy=xy, ties=ties)


@functools.lru_cache(maxsize=32)
def _positions(digest: str, count: int, ties: bytes) -> np.ndarray:
    """Fruchterman-Reingold positions; ``digest`` keys the cache (read-only, shared)."""
    import igraph

    pairs = np.frombuffer(ties, dtype=np.int64).reshape(-1, 2)
    g = igraph.Graph(n=count, edges=pairs.tolist())
    # igraph's own random start would use Python's global `random`; start from a seeded one,
    # spread over a box of side ~sqrt(n) as igraph does (a tiny box makes it 20x slower).
    half = max(1.0, np.sqrt(count) / 2)
    start = np.random.default_rng(int(digest[:8], 16)).uniform(-half, half, (count, 2))
    xy = np.asarray(g.layout_fruchterman_reingold(seed=start.tolist()).coords)
    xy = xy.reshape(count, 2) if count else np.zeros((0, 2))
    xy.setflags(write=False)
    return _unit_square(xy)


def _unit_square(xy: np.ndarray, margin: float = 0.03, *, keep_aspect: bool = True) -> np.ndarray:
    if len(xy) == 0:
        return xy
    low, high = xy.min(axis=0), xy.max(axis=0)
    span = np.where(high - low > 0, high - low, 1.0)
    scale = (1 - 2 * margin) / (span.max() if keep_aspect else span)
    return (xy - low) * scale + margin + ((1 - 2 * margin) - span * scale) / 2


@dataclass(frozen=True)
class CascadeTree:
    """One seed's cascade tree: who shared because of whom.

    Attributes:
        people: Graph indices of the tree's people in activation order (the seed first).
        parent: Position in ``people`` of each person's parent (-1 for the seed).
        depth: Distance from the seed.
        virality: Structural virality of the whole tree (Goel et al. 2016).
    """

    people: np.ndarray
    parent: np.ndarray
    depth: np.ndarray
    virality: float

    @property
    def size(self) -> int:
        """Number of people in the tree, the seed included."""
        return len(self.people)


def cascade_tree(state: kernel.State, seed: int) -> CascadeTree:
    """The cascade tree rooted at ``seed`` in a replicate's state (after any step).

    Follows ``state.parent`` (who made each sharer share) over the sharers in activation order,
    so each person's parent comes before them.
    """
    sharers = state.order[: int(state.cursor[kernel.C_HI])].astype(np.int64)
    if seed not in set(sharers.tolist()):
        return CascadeTree(np.array([seed]), np.array([-1]), np.array([0]), 0.0)
    parent_of = state.parent[sharers].astype(np.int64)
    position = {int(v): i for i, v in enumerate(sharers)}
    in_tree = np.zeros(len(sharers), bool)
    parent_pos = np.full(len(sharers), -1, np.int64)
    for i, (v, p) in enumerate(zip(sharers.tolist(), parent_of.tolist(), strict=True)):
        if v == seed:
            in_tree[i] = True
        elif p >= 0 and p in position and in_tree[position[p]]:
            in_tree[i] = True
            parent_pos[i] = position[p]
    members = np.flatnonzero(in_tree)
    renumber = np.full(len(sharers), -1, np.int64)
    renumber[members] = np.arange(len(members))
    parent = np.where(parent_pos[members] >= 0, renumber[parent_pos[members]], -1)
    depth = np.zeros(len(members), np.int64)
    for i in range(1, len(members)):
        depth[i] = depth[parent[i]] + 1 if parent[i] >= 0 else 0
    return CascadeTree(sharers[members], parent, depth, structural_virality(parent))


def structural_virality(parent: np.ndarray) -> float:
    """Mean shortest-path distance over all pairs of a tree (Goel, Anderson, Hofman & Watts 2016).

    With s_e the size of the subtree below tie e, the Wiener index is sum_e s_e (n - s_e), and
    the structural virality is 2 sum_e s_e (n - s_e) / (n (n - 1)): about 2 for a broadcast (a
    star gives 2 (n - 1) / n), (n + 1) / 3 for a chain.

    Args:
        parent: Position of each node's parent, -1 for the root, parents before children.

    Returns:
        The structural virality (0 for a tree of fewer than two nodes).
    """
    n = len(parent)
    if n < 2:
        return 0.0
    size = np.ones(n, np.float64)
    for i in range(n - 1, 0, -1):
        if parent[i] >= 0:
            size[parent[i]] += size[i]
    edges = size[parent >= 0]
    return float(2.0 * np.sum(edges * (n - edges)) / (n * (n - 1)))


def tree_layout(parent: np.ndarray) -> np.ndarray:
    """Positions of a tree's nodes in the unit square: depth down, leaves spread across.

    Each leaf gets the next slot left to right in depth-first order; a parent sits above the
    middle of its children (a simple tidy layout).
    """
    n = len(parent)
    if n == 0:
        return np.zeros((0, 2))
    children: list[list[int]] = [[] for _ in range(n)]
    for i in range(1, n):
        if parent[i] >= 0:
            children[parent[i]].append(i)
    x = np.zeros(n)
    depth = np.zeros(n)
    slot = 0
    stack: list[tuple[int, bool]] = [(0, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            x[node] = np.mean(x[children[node]])
            continue
        if not children[node]:
            x[node] = slot
            slot += 1
            continue
        stack.append((node, True))
        for child in reversed(children[node]):
            depth[child] = depth[node] + 1
            stack.append((child, False))
    xy = np.stack([x, depth], axis=1)
    if n == 1:
        return np.array([[0.5, 0.1]])
    return _unit_square(xy, margin=0.06, keep_aspect=False)
