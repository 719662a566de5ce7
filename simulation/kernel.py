"""The compiled diffusion kernel: step functions over plain arrays, and the replicate loop.

Everything here is ``@njit(cache=True)`` over numpy arrays and scalars; no Python objects,
files or names cross into it. :mod:`simulation.engine` converts a scenario into these arrays
and the outputs into named metrics.

Design (see the README's "How the kernel works"):

* **Frontier, not sweeps.** Sharers are appended to ``order`` in activation order; the people
  who shared in the previous step are the slice ``order[lo:hi]``, so a step costs work
  proportional to the frontier's ties, never O(n) (except ``bass``, whose innovators can be
  anyone).
* **Stamps, not clearing.** A person's per-replicate state is valid only when
  ``stamp[v] == epoch``; a new replicate bumps ``epoch`` instead of clearing arrays.
* **Two random streams per replicate.** Stream A decides who shares (and random seeds and
  thresholds); stream B decides everything else in the funnel (seen, like or comment, click,
  purchase). Asking for fewer metrics skips stream B's work without changing who shares.
  Each stream is xoshiro256** seeded by SplitMix64 from (seed, replicate, stream), so a replicate
  is a pure function of (scenario, seed, replicate index), whatever runs beside it.
* **Geometric jumps.** Which followers share is sampled by skipping ahead
  ``floor(log U / log(1 - p))`` ties instead of one draw per tie.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit, prange

__all__ = [
    "COUNTERS",
    "SEGMENT_COUNTERS",
    "Graph",
    "Params",
    "State",
    "begin_replicate",
    "finish_replicate",
    "new_state",
    "run_replicates",
    "step",
]

# Cumulative counters, in this order, for every replicate and every step.
COUNTERS = (
    "sharers",
    "reach",
    "impressions",
    "engagements",
    "likes",
    "comments",
    "shares",
    "clicks",
    "conversions",
)
SHARERS, REACH, IMPRESSIONS, ENGAGEMENTS, LIKES, COMMENTS, SHARES, CLICKS, CONVERSIONS = range(9)
N_COUNTERS = len(COUNTERS)
# Per-segment counters.
SEGMENT_COUNTERS = ("sharers", "reach", "engagements", "conversions")
SEG_SHARERS, SEG_REACH, SEG_ENGAGEMENTS, SEG_CONVERSIONS = range(4)
N_SEGMENT_COUNTERS = len(SEGMENT_COUNTERS)

# Diffusion rules.
CASCADE, THRESHOLD, BASS = 0, 1, 2
# Threshold kinds.
TH_FIXED, TH_UNIFORM, TH_NORMAL, TH_COUNT = 0, 1, 2, 3

# Person flags (valid only where stamp == epoch).
SEEN, ENGAGED, SHARED, CONVERTED = 1, 2, 4, 8

# Cursor slots.
C_EPOCH, C_LO, C_HI, C_STEP = 0, 1, 2, 3


class Graph(NamedTuple):
    """The social graph as CSR arrays (see :class:`simulation.network.SocialGraph`)."""

    indptr: np.ndarray  # int64[n + 1], followers of u: indices[indptr[u]:indptr[u + 1]]
    indices: np.ndarray  # int32[arcs]
    in_indptr: np.ndarray  # int64[n + 1], the people v follows
    in_indices: np.ndarray  # int32[arcs]
    segment_of: np.ndarray  # int32[n]


class Params(NamedTuple):
    """Diffusion parameters; probabilities are per exposure unless said otherwise."""

    rule: int  # CASCADE, THRESHOLD or BASS
    visibility: float  # P(a follower sees a share)
    appeal: float  # P(engage | seen), before affinity and decay
    stickiness: float  # P(share | engaged)
    click_through: float  # P(click | engaged)
    conversion: float  # P(purchase | click)
    comment_ratio: float  # P(comment | engaged), else a like
    decay: float  # appeal is multiplied by decay ** (step - 1); 1.0 = no decay
    affinity: np.ndarray  # float64[segments], multiplies appeal
    threshold_kind: int  # TH_*
    threshold_a: float  # fixed share, uniform low, or normal mean
    threshold_b: float  # uniform high or normal std
    threshold_count: int  # contacts needed for TH_COUNT
    innovation: float  # bass p
    imitation: float  # bass q
    funnel: bool  # count exposures and the funnel (stream B); False = who shares only


class State(NamedTuple):
    """One replicate's working state; arrays of length n are valid where stamp == epoch."""

    cursor: np.ndarray  # int64[4]: epoch, frontier lo, frontier hi (= sharers so far), step
    stamp: np.ndarray  # int64[n]
    flags: np.ndarray  # uint8[n]: SEEN | ENGAGED | SHARED | CONVERTED
    count: np.ndarray  # int32[n]: contacts who have shared (threshold, bass)
    required: np.ndarray  # int32[n]: threshold rule, contacts needed (-1 = not drawn yet)
    order: np.ndarray  # int32[n]: sharers in activation order
    parent: np.ndarray  # int32[n]: who made this sharer share (-1 for roots)
    depth: np.ndarray  # int32[n]: distance from the root in the cascade tree
    root: np.ndarray  # int32[n]: position in `order` of the tree's root
    subtree: np.ndarray  # int64[n]: subtree sizes (finish_replicate)
    wiener: np.ndarray  # float64[n]: per-root sum of s (N - s) (finish_replicate)
    counters: np.ndarray  # int64[N_COUNTERS], cumulative
    segment_counters: np.ndarray  # int64[segments, N_SEGMENT_COUNTERS], cumulative
    step_probs: np.ndarray  # float64[4, segments]: this step's per-segment probabilities
    rng: np.ndarray  # uint64[2, 4]: xoshiro256** state of streams A and B


@njit(cache=True)
def new_state(n: int, segments: int) -> State:
    """Allocate working state for one replicate at a time on a graph of n people.

    Only ``stamp`` needs zeros: every other per-person array is written before it is read
    (its values count only where ``stamp == epoch``, and epochs start at 1).
    """
    return State(
        cursor=np.zeros(4, np.int64),
        stamp=np.zeros(n, np.int64),
        flags=np.empty(n, np.uint8),
        count=np.empty(n, np.int32),
        required=np.empty(n, np.int32),
        order=np.empty(n, np.int32),
        parent=np.empty(n, np.int32),
        depth=np.empty(n, np.int32),
        root=np.empty(n, np.int32),
        subtree=np.empty(n, np.int64),
        wiener=np.empty(n, np.float64),
        counters=np.zeros(N_COUNTERS, np.int64),
        segment_counters=np.zeros((max(segments, 1), N_SEGMENT_COUNTERS), np.int64),
        step_probs=np.zeros((4, max(segments, 1)), np.float64),
        rng=np.zeros((2, 4), np.uint64),
    )


# --------------------------------------------------------------------------- random numbers

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_U5 = np.uint64(5)
_U9 = np.uint64(9)
_TO_UNIT = 1.0 / 9007199254740992.0  # 2 ** -53
STREAM_A, STREAM_B = 0, 1


@njit(cache=True)
def _rotl(x: np.uint64, k: int) -> np.uint64:
    return (x << np.uint64(k)) | (x >> np.uint64(64 - k))


@njit(cache=True)
def splitmix64(x: np.uint64) -> np.uint64:
    """SplitMix64 finaliser (Steele, Lea & Flood 2014): a well-mixed hash of a 64-bit word."""
    z = x + _GOLDEN
    z = (z ^ (z >> np.uint64(30))) * _MIX1
    z = (z ^ (z >> np.uint64(27))) * _MIX2
    return z ^ (z >> np.uint64(31))


@njit(cache=True)
def seed_streams(rng: np.ndarray, seed: np.uint64, run: np.uint64) -> None:
    """Seed both xoshiro256** streams of a replicate from (seed, replicate index)."""
    base = splitmix64(splitmix64(seed) ^ splitmix64(run + _GOLDEN))
    for stream in range(2):
        x = splitmix64(base ^ np.uint64(stream + 1))
        for i in range(4):
            x = x + _GOLDEN
            rng[stream, i] = splitmix64(x)


@njit(cache=True)
def _next(rng: np.ndarray, stream: int) -> np.uint64:
    """xoshiro256** (Blackman & Vigna 2018) next 64-bit output of one stream."""
    s0 = rng[stream, 0]
    s1 = rng[stream, 1]
    s2 = rng[stream, 2]
    s3 = rng[stream, 3]
    result = _rotl(s1 * _U5, 7) * _U9
    t = s1 << np.uint64(17)
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    s3 = _rotl(s3, 45)
    rng[stream, 0] = s0
    rng[stream, 1] = s1
    rng[stream, 2] = s2
    rng[stream, 3] = s3
    return result


@njit(cache=True)
def uniform(rng: np.ndarray, stream: int) -> float:
    """A uniform double in [0, 1)."""
    return float(_next(rng, stream) >> np.uint64(11)) * _TO_UNIT


@njit(cache=True)
def _skip(rng: np.ndarray, log_q: float, limit: int) -> int:
    """Failures before the next success of a Bernoulli(p) sequence, log_q = log(1 - p).

    Returns ``limit`` when the jump reaches past it (or p = 0).
    """
    if log_q == 0.0:
        return limit
    jump = np.log(1.0 - uniform(rng, STREAM_A)) / log_q
    if jump >= limit:
        return limit
    return int(jump)


# --------------------------------------------------------------------------- person state
#
# Performance note: hot loops unpack the Graph/Params/State tuples into local arrays once and
# call these helpers with arrays and scalars. Passing the tuples themselves into a callee inside
# a loop makes numba emit reference-count updates for every member on every call (measured 10-40x
# slower); helpers called with plain arrays compile to tight code.


@njit(cache=True)
def _touch(stamp, flags, count, required, epoch, v) -> None:
    """Make v's state valid for this replicate (fresh if first touched)."""
    if stamp[v] != epoch:
        stamp[v] = epoch
        flags[v] = 0
        count[v] = 0
        required[v] = -1


@njit(cache=True)
def _see(flags, counters, segment_counters, seg, v) -> None:
    """Count an exposure of v (an impression; reach if v had not seen it)."""
    counters[IMPRESSIONS] += 1
    if not flags[v] & SEEN:
        flags[v] |= SEEN
        counters[REACH] += 1
        segment_counters[seg, SEG_REACH] += 1


@njit(cache=True)
def _engage(flags, counters, segment_counters, rng, funnel_probs, seg, v) -> None:
    """An engagement by v: like or comment, maybe a click and a purchase (stream B).

    ``funnel_probs`` = (P(comment), P(click), P(purchase | click)).
    """
    comment, click, purchase = funnel_probs
    flags[v] |= ENGAGED
    counters[ENGAGEMENTS] += 1
    segment_counters[seg, SEG_ENGAGEMENTS] += 1
    if uniform(rng, STREAM_B) < comment:
        counters[COMMENTS] += 1
    else:
        counters[LIKES] += 1
    if uniform(rng, STREAM_B) < click:
        counters[CLICKS] += 1
        if not flags[v] & CONVERTED and uniform(rng, STREAM_B) < purchase:
            flags[v] |= CONVERTED
            counters[CONVERSIONS] += 1
            segment_counters[seg, SEG_CONVERSIONS] += 1


@njit(cache=True)
def _share(tree, flags, counters, segment_counters, seg, v, parent, earned=True) -> None:
    """V shares (once): joins the next frontier and the cascade tree below ``parent``.

    ``tree`` = (order, parent, depth, root) arrays of the state; ``parent`` -1 makes v a root.
    ``earned`` is False for seeds, whose posts are not counted as ``shares``.
    """
    order, parents, depth, root = tree
    end = counters[SHARERS]
    flags[v] |= SHARED
    order[end] = v
    parents[v] = parent
    if parent >= 0:
        depth[v] = depth[parent] + 1
        root[v] = root[parent]
    else:
        depth[v] = 0
        root[v] = end
    if earned:
        counters[SHARES] += 1
    counters[SHARERS] += 1
    segment_counters[seg, SEG_SHARERS] += 1


@njit(cache=True)
def _place_seed(state: State, seg: int, v: int) -> None:
    """V is a seed: it has seen the content and shares it at step 0 (a tree root)."""
    state.flags[v] |= SEEN
    state.counters[REACH] += 1
    state.segment_counters[seg, SEG_REACH] += 1
    tree = (state.order, state.parent, state.depth, state.root)
    _share(tree, state.flags, state.counters, state.segment_counters, seg, v, -1, False)


# --------------------------------------------------------------------------- replicate


@njit(cache=True)
def begin_replicate(
    graph: Graph,
    params: Params,
    state: State,
    seeds: np.ndarray,
    pool: np.ndarray,
    random_budget: int,
    seed: np.uint64,
    run: np.uint64,
) -> None:
    """Start a replicate: new epoch, seeded streams, zeroed counters, seeds placed (step 0).

    Args:
        seeds: Fixed seed people (int32), used when ``random_budget`` is 0.
        pool: People random seeds are drawn from (int32).
        random_budget: Number of seeds to draw at random from ``pool`` (stream A), or 0.
    """
    state.cursor[C_EPOCH] += 1
    epoch = state.cursor[C_EPOCH]
    state.cursor[C_LO] = 0
    state.cursor[C_HI] = 0
    state.cursor[C_STEP] = 0
    state.counters[:] = 0
    state.segment_counters[:, :] = 0
    seed_streams(state.rng, seed, run)
    stamp, flags, count, required = state.stamp, state.flags, state.count, state.required
    if random_budget > 0:
        m = pool.shape[0]
        if 2 * random_budget <= m:
            placed = 0
            while placed < random_budget:
                v = pool[int(uniform(state.rng, STREAM_A) * m)]
                _touch(stamp, flags, count, required, epoch, v)
                if not flags[v] & SHARED:
                    _place_seed(state, graph.segment_of[v], v)
                    placed += 1
        else:
            # Partial Fisher-Yates over a scratch copy of the pool (the subtree array is free).
            scratch = state.subtree
            for i in range(m):
                scratch[i] = pool[i]
            for i in range(random_budget):
                j = i + int(uniform(state.rng, STREAM_A) * (m - i))
                scratch[i], scratch[j] = scratch[j], scratch[i]
                v = scratch[i]
                _touch(stamp, flags, count, required, epoch, v)
                _place_seed(state, graph.segment_of[v], v)
    else:
        for i in range(seeds.shape[0]):
            v = seeds[i]
            _touch(stamp, flags, count, required, epoch, v)
            _place_seed(state, graph.segment_of[v], v)
    state.cursor[C_HI] = state.counters[SHARERS]


@njit(cache=True)
def step(graph: Graph, params: Params, state: State) -> bool:
    """Advance one step; return False (doing nothing) once nothing can change any more.

    The people who shared in the previous step expose their followers; who shares next is
    decided by the rule. ``state.cursor[C_STEP]`` counts the steps taken.
    """
    lo = state.cursor[C_LO]
    hi = state.cursor[C_HI]
    n = graph.indptr.shape[0] - 1
    if params.rule == BASS:
        if state.counters[SHARERS] >= n:
            return False
    elif lo == hi:
        return False
    state.cursor[C_STEP] += 1
    t = state.cursor[C_STEP]
    if params.rule == CASCADE:
        _cascade_step(graph, params, state, t, lo, hi)
    elif params.rule == THRESHOLD:
        _threshold_step(graph, params, state, lo, hi)
    else:
        _bass_step(graph, params, state, lo, hi)
    state.cursor[C_LO] = hi
    state.cursor[C_HI] = state.counters[SHARERS]
    return True


@njit(cache=True)
def _cascade_step(graph: Graph, params: Params, state: State, t: int, lo: int, hi: int) -> None:
    """Independent cascade with the funnel: see -> engage -> share (and click -> buy).

    Share candidates among a sharer's followers are found by geometric jumps with the largest
    per-segment share probability, then thinned to the follower's own (stream A). With the
    funnel on, every other tie is seen and engaged with the probabilities conditional on not
    having led to a share (stream B), so the joint law per tie is exactly
    seen (visibility) -> engaged (appeal x affinity x decay) -> shared (stickiness).
    """
    probs = state.step_probs
    n_seg = probs.shape[1]
    decay = params.decay ** (t - 1)
    vis = params.visibility
    stick = params.stickiness
    p_max = 0.0
    for s in range(n_seg):
        engage = min(1.0, params.appeal * params.affinity[s] * decay)
        p_share = vis * engage * stick
        probs[0, s] = p_share
        # Given this tie did not lead to a share: P(seen), then P(engaged | seen).
        probs[1, s] = (vis - p_share) / (1.0 - p_share) if p_share < 1.0 else 0.0
        probs[2, s] = (
            (engage - engage * stick) / (1.0 - engage * stick) if engage * stick < 1.0 else 0.0
        )
        p_max = max(p_max, p_share)
    log_q = np.log1p(-p_max) if p_max < 1.0 else -np.inf
    p_share_of = probs[0]
    p_seen_of = probs[1]
    p_engage_of = probs[2]

    indptr = graph.indptr
    indices = graph.indices
    segment_of = graph.segment_of
    rng = state.rng
    order = state.order
    stamp, flags, count, required = state.stamp, state.flags, state.count, state.required
    counters, segment_counters = state.counters, state.segment_counters
    epoch = state.cursor[C_EPOCH]
    funnel = params.funnel
    funnel_probs = (params.comment_ratio, params.click_through, params.conversion)
    tree = (order, state.parent, state.depth, state.root)
    for i in range(lo, hi):
        u = order[i]
        a = indptr[u]
        b = indptr[u + 1]
        if p_max <= 0.0:
            nxt = b
        elif p_max >= 1.0:
            nxt = a
        else:
            nxt = a + _skip(rng, log_q, b - a)
        j = a if funnel else nxt
        while j < b:
            v = indices[j]
            seg = segment_of[v]
            if j == nxt:
                # A share candidate (stream A), thinned to this segment's share probability.
                nxt = j + 1 if p_max >= 1.0 else j + 1 + _skip(rng, log_q, b - j - 1)
                if p_share_of[seg] >= p_max or uniform(rng, STREAM_A) * p_max < p_share_of[seg]:
                    _touch(stamp, flags, count, required, epoch, v)
                    if funnel:
                        _see(flags, counters, segment_counters, seg, v)
                    if not flags[v] & SHARED:
                        if funnel:
                            _engage(flags, counters, segment_counters, rng, funnel_probs, seg, v)
                        _share(tree, flags, counters, segment_counters, seg, v, u)
                    j = j + 1 if funnel else nxt
                    continue
                if not funnel:
                    j = nxt
                    continue
            # Not a share: maybe seen, maybe engaged (stream B).
            if vis >= 1.0 or uniform(rng, STREAM_B) < p_seen_of[seg]:
                _touch(stamp, flags, count, required, epoch, v)
                _see(flags, counters, segment_counters, seg, v)
                if not flags[v] & SHARED and uniform(rng, STREAM_B) < p_engage_of[seg]:
                    _engage(flags, counters, segment_counters, rng, funnel_probs, seg, v)
            j += 1


@njit(cache=True)
def _adopt(tree, flags, counters, segment_counters, rng, funnel, funnel_probs, seg, v, parent):
    """Adoption under threshold/bass: the adopter has seen, engages once and shares."""
    if funnel:
        if not flags[v] & SEEN:
            flags[v] |= SEEN
            counters[REACH] += 1
            segment_counters[seg, SEG_REACH] += 1
        _engage(flags, counters, segment_counters, rng, funnel_probs, seg, v)
    _share(tree, flags, counters, segment_counters, seg, v, parent)


@njit(cache=True)
def _required(kind: int, a: float, b: float, count: int, rng: np.ndarray, in_degree: int) -> int:
    """Contacts a person needs to have shared before they share (threshold rule)."""
    if kind == TH_COUNT:
        return count
    if kind == TH_FIXED:
        theta = a
    elif kind == TH_UNIFORM:
        theta = a + (b - a) * uniform(rng, STREAM_A)
    else:
        # Box-Muller from two stream-A uniforms.
        u1 = 1.0 - uniform(rng, STREAM_A)
        u2 = uniform(rng, STREAM_A)
        theta = a + b * np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)
    theta = min(max(theta, 1e-12), 1.0)
    return max(1, int(np.ceil(theta * in_degree - 1e-9)))


@njit(cache=True)
def _threshold_step(graph: Graph, params: Params, state: State, lo: int, hi: int) -> None:
    """Complex contagion: v shares once enough of the people v follows have shared."""
    indptr, indices, segment_of = graph.indptr, graph.indices, graph.segment_of
    in_indptr = graph.in_indptr
    stamp, flags, count, required = state.stamp, state.flags, state.count, state.required
    counters, segment_counters, rng = state.counters, state.segment_counters, state.rng
    epoch = state.cursor[C_EPOCH]
    funnel, vis = params.funnel, params.visibility
    funnel_probs = (params.comment_ratio, params.click_through, params.conversion)
    tree = (state.order, state.parent, state.depth, state.root)
    kind, th_a, th_b, th_count = (
        params.threshold_kind,
        params.threshold_a,
        params.threshold_b,
        params.threshold_count,
    )
    order = state.order
    for i in range(lo, hi):
        u = order[i]
        for j in range(indptr[u], indptr[u + 1]):
            v = indices[j]
            seg = segment_of[v]
            _touch(stamp, flags, count, required, epoch, v)
            if funnel and (vis >= 1.0 or uniform(rng, STREAM_B) < vis):
                _see(flags, counters, segment_counters, seg, v)
            if flags[v] & SHARED:
                continue
            count[v] += 1
            if required[v] < 0:
                required[v] = _required(
                    kind, th_a, th_b, th_count, rng, in_indptr[v + 1] - in_indptr[v]
                )
            if count[v] >= required[v]:
                _adopt(
                    tree, flags, counters, segment_counters, rng, funnel, funnel_probs, seg, v, u
                )


@njit(cache=True)
def _bass_step(graph: Graph, params: Params, state: State, lo: int, hi: int) -> None:
    """Bass (1969) on a network: adopt with P = p + q x (adopted contacts / contacts).

    Exposures from last step's adopters are counted first, so every decision this step uses
    the state at the start of the step; adopters are not attributed to anyone (no tree).
    """
    indptr, indices, segment_of = graph.indptr, graph.indices, graph.segment_of
    in_indptr = graph.in_indptr
    stamp, flags, count, required = state.stamp, state.flags, state.count, state.required
    counters, segment_counters, rng = state.counters, state.segment_counters, state.rng
    epoch = state.cursor[C_EPOCH]
    funnel, vis = params.funnel, params.visibility
    innovation, imitation = params.innovation, params.imitation
    funnel_probs = (params.comment_ratio, params.click_through, params.conversion)
    tree = (state.order, state.parent, state.depth, state.root)
    order = state.order
    for i in range(lo, hi):
        u = order[i]
        for j in range(indptr[u], indptr[u + 1]):
            v = indices[j]
            _touch(stamp, flags, count, required, epoch, v)
            if funnel and (vis >= 1.0 or uniform(rng, STREAM_B) < vis):
                _see(flags, counters, segment_counters, segment_of[v], v)
            count[v] += 1
    n = indptr.shape[0] - 1
    for v in range(n):
        _touch(stamp, flags, count, required, epoch, v)
        if flags[v] & SHARED:
            continue
        degree = in_indptr[v + 1] - in_indptr[v]
        prob = innovation
        if degree > 0:
            prob += imitation * count[v] / degree
        if uniform(rng, STREAM_A) < prob:
            seg = segment_of[v]
            _adopt(tree, flags, counters, segment_counters, rng, funnel, funnel_probs, seg, v, -1)


@njit(cache=True)
def finish_replicate(state: State) -> tuple[float, int]:
    """Structural virality and depth of the replicate's cascade trees.

    Structural virality (Goel, Anderson, Hofman & Watts 2016) of a tree of N nodes is its mean
    pairwise distance, 2 sum_e s_e (N - s_e) / (N (N - 1)) over edges e with s_e the size of the
    subtree below e; computed in O(sharers) from subtree sizes. With several seeds: the
    size-weighted mean over trees of two or more nodes (0 if none).

    Returns:
        (structural_virality, cascade_depth)
    """
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
    virality = weighted / weight if weight > 0 else 0.0
    return virality, depth_max


# --------------------------------------------------------------------------- Monte Carlo


@njit(cache=True)
def _run_one(
    graph: Graph,
    params: Params,
    state: State,
    seeds: np.ndarray,
    pool: np.ndarray,
    random_budget: int,
    seed: np.uint64,
    run: np.uint64,
    steps: int,
    timeline_sum: np.ndarray,
) -> int:
    """One replicate; adds its cumulative counters per step to ``timeline_sum``.

    ``timeline_sum[0, t]`` gets the counters at the end of step t for t <= the replicate's
    length L, and ``timeline_sum[1, L + 1]`` its final counters, so that the running sum over t
    of row 1 pads every replicate with its final value at O(L) cost, not O(steps).

    Returns:
        The step with the most new sharers (0 if nobody shared after the seeds).
    """
    begin_replicate(graph, params, state, seeds, pool, random_budget, seed, run)
    counters = state.counters
    timeline_sum[0, 0, :] += counters
    t = 0
    peak = 0
    most = 0
    previous = counters[SHARERS]
    while t < steps and step(graph, params, state):
        t += 1
        timeline_sum[0, t, :] += counters
        new = counters[SHARERS] - previous
        previous = counters[SHARERS]
        if new > most:
            most = new
            peak = t
    timeline_sum[1, t + 1, :] += counters
    return peak


@njit(cache=True, parallel=True)
def run_replicates(
    graph: Graph,
    params: Params,
    seeds: np.ndarray,
    pool: np.ndarray,
    random_budget: int,
    seed: np.uint64,
    first_run: int,
    runs: int,
    steps: int,
    workers: int,
    tree: bool,
    finals: np.ndarray,
    segment_counts: np.ndarray,
    lengths: np.ndarray,
    peaks: np.ndarray,
    virality: np.ndarray,
    depth: np.ndarray,
    timeline_sum: np.ndarray,
) -> None:
    """Run replicates first_run .. first_run + runs - 1 across ``workers`` threads.

    Replicate r goes to worker r % workers; each worker has its own state and its own slice of
    ``timeline_sum`` (integer sums), so the outputs are the same whatever the number of workers
    or how replicates are batched.

    Outputs (index = replicate - first_run): ``finals[r, c]`` final counter c;
    ``segment_counts[r, s, c]``; ``lengths[r]`` steps taken; ``peaks[r]`` the step with the most
    new sharers; ``virality[r]`` and ``depth[r]`` when ``tree``; and
    ``timeline_sum[w, 2, steps + 2, counters]`` as described in :func:`_run_one`.
    """
    n = graph.indptr.shape[0] - 1
    n_seg = segment_counts.shape[1]
    for w in prange(workers):
        state = new_state(n, n_seg)
        for r in range(w, runs, workers):
            peaks[r] = _run_one(
                graph,
                params,
                state,
                seeds,
                pool,
                random_budget,
                seed,
                np.uint64(first_run + r),
                steps,
                timeline_sum[w],
            )
            finals[r, :] = state.counters
            segment_counts[r, :, :] = state.segment_counters
            lengths[r] = state.cursor[C_STEP]
            if tree:
                virality[r], depth[r] = finish_replicate(state)
