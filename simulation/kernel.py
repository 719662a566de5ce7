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
  thresholds, which people ads reach when that can lead to a share, the crisis and the brand's
  answers); stream B decides everything else in the funnel (seen, like or comment, click,
  purchase). Asking for fewer metrics skips stream B's work without changing who shares.
  Each stream is xoshiro256** seeded by SplitMix64 from (seed, replicate, stream), so a replicate
  is a pure function of (scenario, seed, replicate index), whatever runs beside it.
* **Geometric jumps.** Which followers share is sampled by skipping ahead
  ``floor(log U / log(1 - p))`` ties instead of one draw per tie, with the largest probability
  of any class of tie, then thinned to the tie's own (its receiver's segment, whether the
  receiver saw the crisis, whether the tie is strong).
* **Posts and brands.** A scenario's content is a calendar of posts, each with its own row of
  every per-person array (``Market``: ``[posts, n]``); a :class:`State` is one post's view (row
  views, plus what is shared across posts), so the single-post step code runs unchanged on any
  row. Brand rows count distinct people across a brand's posts and say who shared which brand
  (the exclusive, competitive cascade). The crisis is one more post, of negative content.

A step of a campaign, in this order (the Mesa model calls the same functions in the same order):
:func:`tick` (the step number; the brands' order this step), per brand :func:`publish` (posts
due this step go out from their seeds), :func:`advertise` (paid impressions) and :func:`respond`
(answers to the crisis's complaints), the crisis's :func:`publish`, then :func:`spread` (every
post's frontier exposes its followers) which ends with :func:`finish_step`.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit, prange

__all__ = [
    "COUNTERS",
    "CRISIS_COUNTERS",
    "SEGMENT_COUNTERS",
    "Campaign",
    "Graph",
    "Market",
    "Params",
    "State",
    "active",
    "advertise",
    "begin",
    "begin_replicate",
    "finish_replicate",
    "finish_step",
    "new_market",
    "new_state",
    "post_state",
    "publish",
    "respond",
    "run_replicates",
    "single_post",
    "spread",
    "step",
    "tally",
    "tick",
    "trees",
]

# Cumulative counters, in this order, for every post and every brand, every step.
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
    "paid_impressions",
    "paid_reach",
    "paid_conversions",
    "earned_reach",
    "engaged_people",
    "mentions",
)
(
    SHARERS,
    REACH,
    IMPRESSIONS,
    ENGAGEMENTS,
    LIKES,
    COMMENTS,
    SHARES,
    CLICKS,
    CONVERSIONS,
    PAID_IMPRESSIONS,
    PAID_REACH,
    PAID_CONVERSIONS,
    EARNED_REACH,
    ENGAGED_PEOPLE,
    MENTIONS,
) = range(15)
N_COUNTERS = len(COUNTERS)
# SHARERS, REACH, PAID_REACH, EARNED_REACH and ENGAGED_PEOPLE count distinct people (a brand
# counts a person once whatever the post, see _mark); the others add up over posts.

# Per-segment counters.
SEGMENT_COUNTERS = ("sharers", "reach", "engagements", "conversions")
SEG_SHARERS, SEG_REACH, SEG_ENGAGEMENTS, SEG_CONVERSIONS = range(4)
N_SEGMENT_COUNTERS = len(SEGMENT_COUNTERS)
# The crisis: complaints answered, steps from complaint to answer (summed), people won back.
CRISIS_COUNTERS = ("responses", "response_time", "neutralized")
RESPONSES, RESPONSE_TIME, NEUTRALIZED = range(3)
N_CRISIS_COUNTERS = len(CRISIS_COUNTERS)

# Diffusion rules.
CASCADE, THRESHOLD, BASS = 0, 1, 2
# Threshold kinds.
TH_FIXED, TH_UNIFORM, TH_NORMAL, TH_COUNT = 0, 1, 2, 3

# Person flags (valid only where stamp == epoch). PAID / EARNED: seen through an ad / a share.
# ANSWERED / NEUTRAL: the crisis's row only (the brand answered this complaint / won them back).
SEEN, ENGAGED, SHARED, CONVERTED, PAID, EARNED, ANSWERED, NEUTRAL = 1, 2, 4, 8, 16, 32, 64, 128
NEGATIVE_MASK = SEEN | NEUTRAL  # negative: saw the crisis and was not won back

# Cursor slots (per post).
C_EPOCH, C_LO, C_HI, C_STEP = 0, 1, 2, 3
# Market clock slots: epoch, the step, the crisis's answer queue (position in its `order`).
K_EPOCH, K_STEP, K_QUEUE = 0, 1, 2

# Campaign.posts columns: the brand row, start step, seed set, rule, whether the brand row
# tracks distinct people, whether the crisis lowers its appeal.
P_BRAND, P_START, P_SEEDS, P_RULE, P_TRACK, P_IMPACTED = range(6)
# Campaign.post_values columns.
V_VISIBILITY, V_APPEAL, V_STICKINESS, V_CLICK, V_CONVERSION, V_COMMENT = range(6)
V_DECAY, V_IMPACT, V_PERSISTENCE = 6, 7, 8
N_POST_VALUES = 9
# Campaign.seed_sets columns: fixed people people[lo:hi], pool people[lo:hi], random budget,
# where the replicate's drawn set is kept in Market.seeds.
S_FIXED_LO, S_FIXED_HI, S_POOL_LO, S_POOL_HI, S_BUDGET, S_SLOT = range(6)
# Campaign.ads columns: brand row, post (-1: the brand's latest started), first and last step,
# audience people[lo:hi].
A_BRAND, A_POST, A_START, A_END, A_LO, A_HI = range(6)
# Campaign.crisis slots: the crisis post (-1: none), its target brand row, steps to answer,
# answers per step (-1: no limit); Campaign.crisis_odds: P(answer), P(won back | answered).
CR_POST, CR_BRAND, CR_TIME, CR_CAPACITY = range(4)
CR_RATE, CR_NEUTRALIZE = range(2)
# State.post slots: the post, its brand row, brand tracking on, exclusive market, whether the
# crisis lowers its appeal, the crisis's post (the post itself when there is no crisis).
I_POST, I_BRAND, I_TRACK, I_EXCLUSIVE, I_IMPACTED, I_CRISIS = range(6)
N_POST_INFO = 6

_NO_TIES = np.zeros(0, np.uint8)


class Graph(NamedTuple):
    """The social graph as CSR arrays (see :class:`simulation.network.SocialGraph`)."""

    indptr: np.ndarray  # int64[n + 1], followers of u: indices[indptr[u]:indptr[u + 1]]
    indices: np.ndarray  # int32[arcs]
    in_indptr: np.ndarray  # int64[n + 1], the people v follows
    in_indices: np.ndarray  # int32[arcs]
    segment_of: np.ndarray  # int32[n]
    tie_strong: np.ndarray = _NO_TIES  # uint8[arcs]: 1 = strong tie; empty = no tie classes


class Params(NamedTuple):
    """Diffusion parameters of one post; probabilities are per exposure unless said otherwise."""

    rule: int  # CASCADE, THRESHOLD or BASS
    visibility: float  # P(a follower sees a share)
    appeal: float  # P(engage | seen), before affinity and decay
    stickiness: float  # P(share | engaged)
    click_through: float  # P(click | engaged)
    conversion: float  # P(purchase | click)
    comment_ratio: float  # P(comment | engaged), else a like
    decay: float  # appeal is multiplied by decay ** (age in steps); 1.0 = no decay
    affinity: np.ndarray  # float64[segments], multiplies appeal
    threshold_kind: int  # TH_*
    threshold_a: float  # fixed share, uniform low, or normal mean
    threshold_b: float  # uniform high or normal std
    threshold_count: int  # contacts needed for TH_COUNT
    innovation: float  # bass p
    imitation: float  # bass q
    funnel: bool  # count exposures and the funnel (stream B); False = who shares only
    strong_visibility: float = 1.0  # multiplies visibility over strong ties
    weak_visibility: float = 1.0  # multiplies visibility over weak ties
    impact: float = 1.0  # multiplies appeal for people who saw the crisis (not won back)
    persistence: float = 0.0  # P(a sharer posts again, each step, until answered)
    negative: bool = False  # the crisis: exposures decided on stream A, always tracked


class State(NamedTuple):
    """One post's view of a replicate's working state.

    The first fields are the post's own rows (valid where ``stamp == epoch``); the rest are
    shared by every post of the replicate.
    """

    cursor: np.ndarray  # int64[4]: epoch, frontier lo, frontier hi (= sharers so far), step
    stamp: np.ndarray  # int64[n]
    flags: np.ndarray  # uint8[n]: SEEN | ENGAGED | SHARED | CONVERTED | PAID | EARNED | ...
    count: np.ndarray  # int32[n]: contacts who have shared (threshold, bass)
    required: np.ndarray  # int32[n]: threshold rule, contacts needed (-1 = not drawn yet)
    order: np.ndarray  # int32[n]: sharers in activation order
    parent: np.ndarray  # int32[n]: who made this sharer share (-1 for roots)
    depth: np.ndarray  # int32[n]: distance from the root in the cascade tree
    root: np.ndarray  # int32[n]: position in `order` of the tree's root
    subtree: np.ndarray  # int64[n]: scratch: subtree sizes (finish_replicate), seed shuffles
    wiener: np.ndarray  # float64[n]: scratch: per-root sum of s (N - s) (finish_replicate)
    counters: np.ndarray  # int64[N_COUNTERS], cumulative
    segment_counters: np.ndarray  # int64[segments, N_SEGMENT_COUNTERS], cumulative
    step_probs: np.ndarray  # float64[4, classes]: scratch: this step's per-class probabilities
    rng: np.ndarray  # uint64[2, 4]: xoshiro256** state of streams A and B
    post: np.ndarray  # int64[N_POST_INFO]: I_* slots
    brand_stamp: np.ndarray  # int64[brands, n]
    brand_flags: np.ndarray  # uint8[brands, n]: SEEN | ENGAGED | SHARED | PAID | EARNED
    brand_counters: np.ndarray  # int64[brands, N_COUNTERS]
    brand_segment_counters: np.ndarray  # int64[brands, segments, N_SEGMENT_COUNTERS]
    negative_stamp: np.ndarray  # int64[n]: the crisis post's stamps (its own when none)
    negative_flags: np.ndarray  # uint8[n]: the crisis post's flags
    frontier: np.ndarray  # int32[n]: scratch: a frontier with repeat posts, drawn seeds
    chosen: np.ndarray  # int64[n]: scratch: people drawn as seeds (== a draw's token)


class Campaign(NamedTuple):
    """A scenario's posts, brands, seed sets, ads and crisis, as arrays (built once)."""

    posts: np.ndarray  # int64[posts, 6]: P_* columns (the crisis, if any, is the last post)
    post_values: np.ndarray  # float64[posts, N_POST_VALUES]: V_* columns
    seed_sets: np.ndarray  # int64[sets, 6]: S_* columns; set b < real_brands is brand b's
    people: np.ndarray  # int32[]: fixed seeds, seed pools and ad audiences, concatenated
    ads: np.ndarray  # int64[ads, 6]: A_* columns
    ad_rate: np.ndarray  # float64[ads]: impressions bought per step
    crisis: np.ndarray  # int64[4]: CR_* slots
    crisis_odds: np.ndarray  # float64[2]: CR_RATE, CR_NEUTRALIZE
    brands: int  # brand rows: the real brands, then the crisis's own row if there is one
    real_brands: int  # brands that publish content and act each step
    exclusive: bool  # a person who shared one brand never shares another
    seed_slots: int  # room for every seed set's people in Market.seeds


class Market(NamedTuple):
    """One replicate's working state for every post and brand (reused across replicates)."""

    clock: np.ndarray  # int64[3]: K_* slots
    cursor: np.ndarray  # int64[posts, 4]
    stamp: np.ndarray  # int64[posts, n]
    flags: np.ndarray  # uint8[posts, n]
    count: np.ndarray  # int32[posts, n]
    required: np.ndarray  # int32[posts, n]
    order: np.ndarray  # int32[posts, n]
    parent: np.ndarray  # int32[posts, n]
    depth: np.ndarray  # int32[posts, n]
    root: np.ndarray  # int32[posts, n]
    subtree: np.ndarray  # int64[n]
    wiener: np.ndarray  # float64[n]
    counters: np.ndarray  # int64[posts, N_COUNTERS]
    segment_counters: np.ndarray  # int64[posts, segments, N_SEGMENT_COUNTERS]
    step_probs: np.ndarray  # float64[4, 4 * segments]
    rng: np.ndarray  # uint64[2, 4]
    post_info: np.ndarray  # int64[posts, N_POST_INFO]
    brand_stamp: np.ndarray  # int64[brands, n]
    brand_flags: np.ndarray  # uint8[brands, n]
    brand_counters: np.ndarray  # int64[brands, N_COUNTERS]
    brand_segment_counters: np.ndarray  # int64[brands, segments, N_SEGMENT_COUNTERS]
    frontier: np.ndarray  # int32[n]
    chosen: np.ndarray  # int64[n]
    seeds: np.ndarray  # int32[seed_slots]: this replicate's seed sets
    seed_count: np.ndarray  # int64[sets]: how many people each set drew
    brand_order: np.ndarray  # int64[real_brands]: the order brands act and spread this step
    complained_at: np.ndarray  # int32[n]: the crisis: step of each complaint, by position
    crisis_counters: np.ndarray  # int64[N_CRISIS_COUNTERS]


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


# --------------------------------------------------------------------------- working state


@njit(cache=True)
def single_post(segments: int) -> Campaign:
    """The campaign of a bare cascade: one post of one brand, no ads, no crisis."""
    posts = np.zeros((1, 6), np.int64)
    values = np.zeros((1, N_POST_VALUES), np.float64)
    values[0, V_DECAY] = 1.0
    values[0, V_IMPACT] = 1.0
    crisis = np.zeros(4, np.int64)
    crisis[CR_POST] = -1
    return Campaign(
        posts=posts,
        post_values=values,
        seed_sets=np.zeros((1, 6), np.int64),
        people=np.zeros(0, np.int32),
        ads=np.zeros((0, 6), np.int64),
        ad_rate=np.zeros(0, np.float64),
        crisis=crisis,
        crisis_odds=np.zeros(2, np.float64),
        brands=1,
        real_brands=1,
        exclusive=False,
        seed_slots=0,
    )


@njit(cache=True)
def new_market(n: int, segments: int, campaign: Campaign) -> Market:
    """Allocate the working state of one replicate at a time of a campaign on n people.

    Only stamps need zeros: every other per-person array is written before it is read (its
    values count only where ``stamp == epoch``, and epochs start at 1).
    """
    n_posts = campaign.posts.shape[0]
    n_seg = max(segments, 1)
    brands = campaign.brands
    crisis_post = campaign.crisis[CR_POST]
    info = np.zeros((n_posts, N_POST_INFO), np.int64)
    for p in range(n_posts):
        info[p, I_POST] = p
        info[p, I_BRAND] = campaign.posts[p, P_BRAND]
        info[p, I_TRACK] = campaign.posts[p, P_TRACK]
        info[p, I_EXCLUSIVE] = campaign.exclusive and p != crisis_post
        info[p, I_IMPACTED] = campaign.posts[p, P_IMPACTED]
        info[p, I_CRISIS] = crisis_post if crisis_post >= 0 else p
    brand_order = np.arange(campaign.real_brands).astype(np.int64)
    return Market(
        clock=np.zeros(3, np.int64),
        cursor=np.zeros((n_posts, 4), np.int64),
        stamp=np.zeros((n_posts, n), np.int64),
        flags=np.empty((n_posts, n), np.uint8),
        count=np.empty((n_posts, n), np.int32),
        required=np.empty((n_posts, n), np.int32),
        order=np.empty((n_posts, n), np.int32),
        parent=np.empty((n_posts, n), np.int32),
        depth=np.empty((n_posts, n), np.int32),
        root=np.empty((n_posts, n), np.int32),
        subtree=np.empty(n, np.int64),
        wiener=np.empty(n, np.float64),
        counters=np.zeros((n_posts, N_COUNTERS), np.int64),
        segment_counters=np.zeros((n_posts, n_seg, N_SEGMENT_COUNTERS), np.int64),
        step_probs=np.zeros((4, 4 * n_seg), np.float64),
        rng=np.zeros((2, 4), np.uint64),
        post_info=info,
        brand_stamp=np.zeros((brands, n), np.int64),
        brand_flags=np.empty((brands, n), np.uint8),
        brand_counters=np.zeros((brands, N_COUNTERS), np.int64),
        brand_segment_counters=np.zeros((brands, n_seg, N_SEGMENT_COUNTERS), np.int64),
        frontier=np.empty(n, np.int32),
        chosen=np.zeros(n, np.int64),
        seeds=np.empty(campaign.seed_slots, np.int32),
        seed_count=np.zeros(campaign.seed_sets.shape[0], np.int64),
        brand_order=brand_order,
        complained_at=np.empty(n, np.int32),
        crisis_counters=np.zeros(N_CRISIS_COUNTERS, np.int64),
    )


@njit(cache=True)
def post_state(market: Market, p: int) -> State:
    """Post p's view of the market: its own rows, and the shared arrays."""
    negative = market.post_info[p, I_CRISIS]
    return State(
        cursor=market.cursor[p],
        stamp=market.stamp[p],
        flags=market.flags[p],
        count=market.count[p],
        required=market.required[p],
        order=market.order[p],
        parent=market.parent[p],
        depth=market.depth[p],
        root=market.root[p],
        subtree=market.subtree,
        wiener=market.wiener,
        counters=market.counters[p],
        segment_counters=market.segment_counters[p],
        step_probs=market.step_probs,
        rng=market.rng,
        post=market.post_info[p],
        brand_stamp=market.brand_stamp,
        brand_flags=market.brand_flags,
        brand_counters=market.brand_counters,
        brand_segment_counters=market.brand_segment_counters,
        negative_stamp=market.stamp[negative],
        negative_flags=market.flags[negative],
        frontier=market.frontier,
        chosen=market.chosen,
    )


@njit(cache=True)
def new_state(n: int, segments: int) -> State:
    """Working state for a bare cascade (one post) on a graph of n people."""
    return post_state(new_market(n, segments, single_post(segments)), 0)


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
def _see(flags, counters, segment_counters, seg, v) -> int:
    """Count an earned exposure of v (through a share); return the flags it set first."""
    counters[IMPRESSIONS] += 1
    f = flags[v]
    if f & EARNED:
        return 0
    flags[v] = f | EARNED | SEEN
    counters[EARNED_REACH] += 1
    if f & SEEN:
        return EARNED
    counters[REACH] += 1
    segment_counters[seg, SEG_REACH] += 1
    return EARNED | SEEN


@njit(cache=True)
def _see_paid(flags, counters, segment_counters, seg, v) -> int:
    """Count a paid impression of v (an ad); return the flags it set first."""
    counters[IMPRESSIONS] += 1
    counters[PAID_IMPRESSIONS] += 1
    f = flags[v]
    if f & PAID:
        return 0
    flags[v] = f | PAID | SEEN
    counters[PAID_REACH] += 1
    if f & SEEN:
        return PAID
    counters[REACH] += 1
    segment_counters[seg, SEG_REACH] += 1
    return PAID | SEEN


@njit(cache=True)
def _engage(flags, counters, segment_counters, rng, funnel_probs, seg, v, paid) -> int:
    """An engagement by v: like or comment, maybe a click and a purchase (stream B).

    ``funnel_probs`` = (P(comment), P(click), P(purchase | click)); ``paid``: it followed an
    ad. Returns ENGAGED if this is v's first engagement with the post, else 0.
    """
    comment, click, purchase = funnel_probs
    first = 0
    if not flags[v] & ENGAGED:
        flags[v] |= ENGAGED
        counters[ENGAGED_PEOPLE] += 1
        first = ENGAGED
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
            if paid:
                counters[PAID_CONVERSIONS] += 1
    return first


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
def _mark(brand_stamp, brand_flags, brand_counters, brand_segment_counters, epoch, v, seg, bits):
    """Count v once for the brand (across its posts) for each of ``bits`` not yet set."""
    if brand_stamp[v] != epoch:
        brand_stamp[v] = epoch
        brand_flags[v] = 0
    f = brand_flags[v]
    new = bits & ~f
    if new == 0:
        return
    brand_flags[v] = f | new
    if new & SEEN:
        brand_counters[REACH] += 1
        brand_segment_counters[seg, SEG_REACH] += 1
    if new & SHARED:
        brand_counters[SHARERS] += 1
        brand_segment_counters[seg, SEG_SHARERS] += 1
    if new & PAID:
        brand_counters[PAID_REACH] += 1
    if new & EARNED:
        brand_counters[EARNED_REACH] += 1
    if new & ENGAGED:
        brand_counters[ENGAGED_PEOPLE] += 1


@njit(cache=True)
def _rival(brand_stamp, brand_flags, own, epoch, v) -> bool:
    """Whether v has shared a brand other than ``own`` (exclusive market)."""
    for b in range(brand_stamp.shape[0]):
        if b != own and brand_stamp[b, v] == epoch and brand_flags[b, v] & SHARED:
            return True
    return False


@njit(cache=True)
def _negative(negative_stamp, negative_flags, epoch, v) -> bool:
    """Whether v saw the crisis and was not won back."""
    return negative_stamp[v] == epoch and (negative_flags[v] & NEGATIVE_MASK) == SEEN


@njit(cache=True)
def _place_seed(state: State, seg: int, v: int) -> None:
    """V is a seed: it has seen the content and shares it (a tree root)."""
    if not state.flags[v] & SEEN:
        state.flags[v] |= SEEN
        state.counters[REACH] += 1
        state.segment_counters[seg, SEG_REACH] += 1
    tree = (state.order, state.parent, state.depth, state.root)
    _share(tree, state.flags, state.counters, state.segment_counters, seg, v, -1, False)


@njit(cache=True)
def _draw_seeds(rng, pool, budget, chosen, token, scratch, out) -> int:
    """Draw ``budget`` different people from ``pool`` at random (stream A) into ``out``.

    Few from many: draw with replacement and skip repeats (``chosen[v] == token`` marks a
    drawn person); else a partial Fisher-Yates shuffle of a copy of the pool in ``scratch``.
    Returns how many were drawn (``min(budget, len(pool))``).
    """
    m = pool.shape[0]
    budget = min(budget, m)
    if 2 * budget <= m:
        placed = 0
        while placed < budget:
            v = pool[int(uniform(rng, STREAM_A) * m)]
            if chosen[v] != token:
                chosen[v] = token
                out[placed] = v
                placed += 1
    else:
        for i in range(m):
            scratch[i] = pool[i]
        for i in range(budget):
            j = i + int(uniform(rng, STREAM_A) * (m - i))
            scratch[i], scratch[j] = scratch[j], scratch[i]
            out[i] = scratch[i]
    return budget


@njit(cache=True)
def _post_seeds(graph: Graph, state: State, people: np.ndarray) -> None:
    """People post the content (seeds): each shares it once, unless loyal to a rival brand."""
    epoch = state.cursor[C_EPOCH]
    own = state.post[I_BRAND]
    track = state.post[I_TRACK] != 0
    exclusive = state.post[I_EXCLUSIVE] != 0
    stamp, flags, count, required = state.stamp, state.flags, state.count, state.required
    for i in range(people.shape[0]):
        v = people[i]
        _touch(stamp, flags, count, required, epoch, v)
        if flags[v] & SHARED:
            continue
        if exclusive and _rival(state.brand_stamp, state.brand_flags, own, epoch, v):
            continue
        seg = graph.segment_of[v]
        _place_seed(state, seg, v)
        if track:
            _mark(
                state.brand_stamp[own],
                state.brand_flags[own],
                state.brand_counters[own],
                state.brand_segment_counters[own],
                epoch,
                v,
                seg,
                SEEN | SHARED,
            )


# --------------------------------------------------------------------------- a bare cascade


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
    """Start a replicate of a bare cascade: new epoch, seeded streams, seeds placed (step 0).

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
    if random_budget > 0:
        drawn = _draw_seeds(
            state.rng, pool, random_budget, state.chosen, epoch, state.subtree, state.frontier
        )
        _post_seeds(graph, state, state.frontier[:drawn])
    else:
        _post_seeds(graph, state, seeds)
    state.cursor[C_HI] = state.counters[SHARERS]


@njit(cache=True)
def step(graph: Graph, params: Params, state: State) -> bool:
    """Advance a bare cascade one step; return False (doing nothing) once nothing can change.

    The people who shared in the previous step expose their followers; who shares next is
    decided by the rule. ``state.cursor[C_STEP]`` counts the steps taken.
    """
    if not _can_spread(params, state, graph.indptr.shape[0] - 1):
        return False
    state.cursor[C_STEP] += 1
    t = state.cursor[C_STEP]
    _spread_post(graph, params, state, t - 1)
    state.cursor[C_LO] = state.cursor[C_HI]
    state.cursor[C_HI] = state.counters[SHARERS]
    return True


@njit(cache=True)
def _can_spread(params: Params, state: State, n: int) -> bool:
    """Whether the post's next step can change anything by itself."""
    if params.rule == BASS:
        return state.counters[SHARERS] < n
    if state.cursor[C_LO] < state.cursor[C_HI]:
        return True
    # Complainers who were not answered may post the crisis again.
    return params.persistence > 0.0 and state.counters[SHARERS] > 0


@njit(cache=True)
def _spread_post(graph: Graph, params: Params, state: State, age: int) -> None:
    """One step of one post: last step's sharers (and repeat posts) expose their followers."""
    lo = state.cursor[C_LO]
    hi = state.cursor[C_HI]
    frontier = state.order[lo:hi]
    if params.persistence > 0.0:
        # Repeat posts: every earlier sharer not yet answered posts again with P(persistence).
        order, flags, scratch = state.order, state.flags, state.frontier
        m = 0
        for i in range(lo, hi):
            scratch[m] = order[i]
            m += 1
        for i in range(lo):
            v = order[i]
            if not flags[v] & ANSWERED and uniform(state.rng, STREAM_A) < params.persistence:
                scratch[m] = v
                m += 1
        frontier = scratch[:m]
    if params.rule == CASCADE:
        _cascade_step(graph, params, state, frontier, age)
    elif params.rule == THRESHOLD:
        _threshold_step(graph, params, state, frontier)
    else:
        _bass_step(graph, params, state, frontier)


@njit(cache=True)
def _class_probabilities(
    probs, affinity, vis, appeal, stick, decay, strong_vis, weak_vis, impact, ties, impacted
) -> float:
    """Fill ``probs[:, k]`` for every class k of tie and return the largest share probability.

    Class k = segment + segments x negative + 2 segments x strong; rows: P(share), P(seen |
    no share), P(engaged | seen, no share), P(seen). Classes not in use are left alone.
    """
    n_seg = affinity.shape[0]
    p_max = 0.0
    for strong in range(2 if ties else 1):
        tie_vis = vis
        if ties:
            tie_vis = vis * (strong_vis if strong else weak_vis)
        for negative in range(2 if impacted else 1):
            for s in range(n_seg):
                k = s + n_seg * negative + 2 * n_seg * strong
                if negative:
                    engage = min(1.0, appeal * affinity[s] * impact * decay)
                else:
                    engage = min(1.0, appeal * affinity[s] * decay)
                p_share = tie_vis * engage * stick
                probs[0, k] = p_share
                # Given this tie did not lead to a share: P(seen), then P(engaged | seen).
                probs[1, k] = (tie_vis - p_share) / (1.0 - p_share) if p_share < 1.0 else 0.0
                probs[2, k] = (
                    (engage - engage * stick) / (1.0 - engage * stick)
                    if engage * stick < 1.0
                    else 0.0
                )
                probs[3, k] = tie_vis
                p_max = max(p_max, p_share)
    return p_max


@njit(cache=True)
def _cascade_step(graph: Graph, params: Params, state: State, frontier, age: int) -> None:
    """Independent cascade with the funnel: see -> engage -> share (and click -> buy).

    Share candidates among a sharer's followers are found by geometric jumps with the largest
    per-class share probability, then thinned to the tie's own class (stream A). With the
    funnel on, every other tie is seen and engaged with the probabilities conditional on not
    having led to a share (stream B), so the joint law per tie is exactly
    seen (visibility) -> engaged (appeal x affinity x decay) -> shared (stickiness).
    The crisis decides "seen" on stream A too: who saw it changes who shares the brand's posts.
    """
    probs = state.step_probs
    affinity = params.affinity
    n_seg = affinity.shape[0]
    ties = graph.tie_strong.shape[0] > 0
    info = state.post
    impacted = info[I_IMPACTED] > 0 and params.impact != 1.0
    p_max = _class_probabilities(
        probs,
        affinity,
        params.visibility,
        params.appeal,
        params.stickiness,
        params.decay**age,
        params.strong_visibility,
        params.weak_visibility,
        params.impact,
        ties,
        impacted,
    )
    log_q = np.log1p(-p_max) if p_max < 1.0 else -np.inf
    p_share_of = probs[0]
    p_seen_of = probs[1]
    p_engage_of = probs[2]
    vis_of = probs[3]
    strong_offset = 2 * n_seg

    indptr = graph.indptr
    indices = graph.indices
    segment_of = graph.segment_of
    tie_strong = graph.tie_strong
    rng = state.rng
    stamp, flags, count, required = state.stamp, state.flags, state.count, state.required
    counters, segment_counters = state.counters, state.segment_counters
    epoch = state.cursor[C_EPOCH]
    funnel = params.funnel
    negative = params.negative
    every = funnel or negative  # visit every tie, not only share candidates
    seen_stream = STREAM_A if negative else STREAM_B
    funnel_probs = (params.comment_ratio, params.click_through, params.conversion)
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
        a = indptr[u]
        b = indptr[u + 1]
        if p_max <= 0.0:
            nxt = b
        elif p_max >= 1.0:
            nxt = a
        else:
            nxt = a + _skip(rng, log_q, b - a)
        j = a if every else nxt
        while j < b:
            v = indices[j]
            seg = segment_of[v]
            k = seg
            if ties:
                k += strong_offset * tie_strong[j]
            if impacted and _negative(negative_stamp, negative_flags, epoch, v):
                k += n_seg
            if j == nxt:
                # A share candidate (stream A), thinned to this class's share probability.
                nxt = j + 1 if p_max >= 1.0 else j + 1 + _skip(rng, log_q, b - j - 1)
                if p_share_of[k] >= p_max or uniform(rng, STREAM_A) * p_max < p_share_of[k]:
                    _touch(stamp, flags, count, required, epoch, v)
                    new = 0
                    if every:
                        new = _see(flags, counters, segment_counters, seg, v)
                    if not flags[v] & SHARED:
                        if funnel:
                            new |= _engage(
                                flags, counters, segment_counters, rng, funnel_probs, seg, v, False
                            )
                        if not exclusive or not _rival(brand_stamp, brand_flags, own, epoch, v):
                            _share(tree, flags, counters, segment_counters, seg, v, u)
                            new |= SHARED
                    if track and new:
                        _mark(own_stamp, own_flags, own_counters, own_segments, epoch, v, seg, new)
                    j = j + 1 if every else nxt
                    continue
                if not every:
                    j = nxt
                    continue
            # Not a share: maybe seen, maybe engaged (stream B; stream A for the crisis).
            if vis_of[k] >= 1.0 or uniform(rng, seen_stream) < p_seen_of[k]:
                _touch(stamp, flags, count, required, epoch, v)
                new = _see(flags, counters, segment_counters, seg, v)
                if funnel and not flags[v] & SHARED and uniform(rng, STREAM_B) < p_engage_of[k]:
                    new |= _engage(
                        flags, counters, segment_counters, rng, funnel_probs, seg, v, False
                    )
                if track and new:
                    _mark(own_stamp, own_flags, own_counters, own_segments, epoch, v, seg, new)
            j += 1


@njit(cache=True)
def _adopt(tree, flags, counters, segment_counters, rng, funnel, funnel_probs, seg, v, parent):
    """Adoption under threshold/bass: the adopter has seen, engages once and shares.

    Returns the flags set for the first time (SEEN, ENGAGED; SHARED always).
    """
    new = SHARED
    if funnel:
        if not flags[v] & SEEN:
            flags[v] |= SEEN
            counters[REACH] += 1
            segment_counters[seg, SEG_REACH] += 1
            new |= SEEN
        new |= _engage(flags, counters, segment_counters, rng, funnel_probs, seg, v, False)
    _share(tree, flags, counters, segment_counters, seg, v, parent)
    return new


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
def _tie_visibility(params: Params, ties: bool, strong: int) -> float:
    """P(a share is seen) over a tie of this class."""
    if not ties:
        return params.visibility
    return params.visibility * (params.strong_visibility if strong else params.weak_visibility)


@njit(cache=True)
def _threshold_step(graph: Graph, params: Params, state: State, frontier) -> None:
    """Complex contagion: v shares once enough of the people v follows have shared."""
    indptr, indices, segment_of = graph.indptr, graph.indices, graph.segment_of
    in_indptr = graph.in_indptr
    tie_strong = graph.tie_strong
    ties = tie_strong.shape[0] > 0
    vis_weak = _tie_visibility(params, ties, 0)
    vis_strong = _tie_visibility(params, ties, 1)
    stamp, flags, count, required = state.stamp, state.flags, state.count, state.required
    counters, segment_counters, rng = state.counters, state.segment_counters, state.rng
    epoch = state.cursor[C_EPOCH]
    funnel = params.funnel
    funnel_probs = (params.comment_ratio, params.click_through, params.conversion)
    tree = (state.order, state.parent, state.depth, state.root)
    kind, th_a, th_b, th_count = (
        params.threshold_kind,
        params.threshold_a,
        params.threshold_b,
        params.threshold_count,
    )
    own = state.post[I_BRAND]
    track = state.post[I_TRACK] != 0
    exclusive = state.post[I_EXCLUSIVE] != 0
    brand_stamp, brand_flags = state.brand_stamp, state.brand_flags
    own_stamp, own_flags = brand_stamp[own], brand_flags[own]
    own_counters, own_segments = state.brand_counters[own], state.brand_segment_counters[own]
    for i in range(frontier.shape[0]):
        u = frontier[i]
        for j in range(indptr[u], indptr[u + 1]):
            v = indices[j]
            seg = segment_of[v]
            _touch(stamp, flags, count, required, epoch, v)
            vis = vis_strong if ties and tie_strong[j] else vis_weak
            new = 0
            if funnel and (vis >= 1.0 or uniform(rng, STREAM_B) < vis):
                new = _see(flags, counters, segment_counters, seg, v)
            if not flags[v] & SHARED:
                count[v] += 1
                if required[v] < 0:
                    required[v] = _required(
                        kind, th_a, th_b, th_count, rng, in_indptr[v + 1] - in_indptr[v]
                    )
                if count[v] >= required[v] and (
                    not exclusive or not _rival(brand_stamp, brand_flags, own, epoch, v)
                ):
                    new |= _adopt(
                        tree,
                        flags,
                        counters,
                        segment_counters,
                        rng,
                        funnel,
                        funnel_probs,
                        seg,
                        v,
                        u,
                    )
            if track and new:
                _mark(own_stamp, own_flags, own_counters, own_segments, epoch, v, seg, new)


@njit(cache=True)
def _bass_step(graph: Graph, params: Params, state: State, frontier) -> None:
    """Bass (1969) on a network: adopt with P = p + q x (adopted contacts / contacts).

    Exposures from last step's adopters are counted first, so every decision this step uses
    the state at the start of the step; adopters are not attributed to anyone (no tree).
    """
    indptr, indices, segment_of = graph.indptr, graph.indices, graph.segment_of
    in_indptr = graph.in_indptr
    tie_strong = graph.tie_strong
    ties = tie_strong.shape[0] > 0
    vis_weak = _tie_visibility(params, ties, 0)
    vis_strong = _tie_visibility(params, ties, 1)
    stamp, flags, count, required = state.stamp, state.flags, state.count, state.required
    counters, segment_counters, rng = state.counters, state.segment_counters, state.rng
    epoch = state.cursor[C_EPOCH]
    funnel = params.funnel
    innovation, imitation = params.innovation, params.imitation
    funnel_probs = (params.comment_ratio, params.click_through, params.conversion)
    tree = (state.order, state.parent, state.depth, state.root)
    own = state.post[I_BRAND]
    track = state.post[I_TRACK] != 0
    exclusive = state.post[I_EXCLUSIVE] != 0
    brand_stamp, brand_flags = state.brand_stamp, state.brand_flags
    own_stamp, own_flags = brand_stamp[own], brand_flags[own]
    own_counters, own_segments = state.brand_counters[own], state.brand_segment_counters[own]
    for i in range(frontier.shape[0]):
        u = frontier[i]
        for j in range(indptr[u], indptr[u + 1]):
            v = indices[j]
            _touch(stamp, flags, count, required, epoch, v)
            vis = vis_strong if ties and tie_strong[j] else vis_weak
            if funnel and (vis >= 1.0 or uniform(rng, STREAM_B) < vis):
                new = _see(flags, counters, segment_counters, segment_of[v], v)
                if track and new:
                    _mark(
                        own_stamp,
                        own_flags,
                        own_counters,
                        own_segments,
                        epoch,
                        v,
                        segment_of[v],
                        new,
                    )
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
            if exclusive and _rival(brand_stamp, brand_flags, own, epoch, v):
                continue
            seg = segment_of[v]
            new = _adopt(
                tree, flags, counters, segment_counters, rng, funnel, funnel_probs, seg, v, -1
            )
            if track:
                _mark(own_stamp, own_flags, own_counters, own_segments, epoch, v, seg, new)


@njit(cache=True)
def _tree_sums(state: State) -> tuple[float, float, int]:
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


@njit(cache=True)
def finish_replicate(state: State) -> tuple[float, int]:
    """Structural virality and depth of a post's cascade trees.

    Structural virality (Goel, Anderson, Hofman & Watts 2016) of a tree of N nodes is its mean
    pairwise distance, 2 sum_e s_e (N - s_e) / (N (N - 1)) over edges e with s_e the size of the
    subtree below e; computed in O(sharers) from subtree sizes. With several seeds: the
    size-weighted mean over trees of two or more nodes (0 if none).

    Returns:
        (structural_virality, cascade_depth)
    """
    weighted, weight, depth = _tree_sums(state)
    return (weighted / weight if weight > 0 else 0.0), depth


# --------------------------------------------------------------------------- campaigns


@njit(cache=True)
def _post_params(params: Params, campaign: Campaign, p: int) -> Params:
    """Post p's parameters: the scenario's, with the post's own content values."""
    values = campaign.post_values[p]
    return Params(
        campaign.posts[p, P_RULE],
        values[V_VISIBILITY],
        values[V_APPEAL],
        values[V_STICKINESS],
        values[V_CLICK],
        values[V_CONVERSION],
        values[V_COMMENT],
        values[V_DECAY],
        params.affinity,
        params.threshold_kind,
        params.threshold_a,
        params.threshold_b,
        params.threshold_count,
        params.innovation,
        params.imitation,
        params.funnel,
        params.strong_visibility,
        params.weak_visibility,
        values[V_IMPACT],
        values[V_PERSISTENCE],
        p == campaign.crisis[CR_POST],
    )


@njit(cache=True)
def begin(campaign: Campaign, market: Market, seed: np.uint64, run: np.uint64) -> None:
    """Start replicate ``run``: new epoch, seeded streams, zeroed counts, seed sets drawn.

    Every seed set is drawn now (stream A, in set order), whenever its posts go out; then the
    brands' order for step 0 (see :func:`tick`).
    """
    epoch = market.clock[K_EPOCH] + 1
    market.clock[K_EPOCH] = epoch
    market.clock[K_STEP] = 0
    market.clock[K_QUEUE] = 0
    for p in range(market.cursor.shape[0]):
        market.cursor[p, C_EPOCH] = epoch
        market.cursor[p, C_LO] = 0
        market.cursor[p, C_HI] = 0
        market.cursor[p, C_STEP] = 0
    market.counters[:, :] = 0
    market.segment_counters[:, :, :] = 0
    market.brand_counters[:, :] = 0
    market.brand_segment_counters[:, :, :] = 0
    market.crisis_counters[:] = 0
    seed_streams(market.rng, seed, run)
    sets = campaign.seed_sets
    people = campaign.people
    for s in range(sets.shape[0]):
        slot = sets[s, S_SLOT]
        budget = sets[s, S_BUDGET]
        if budget > 0:
            pool = people[sets[s, S_POOL_LO] : sets[s, S_POOL_HI]]
            token = epoch * sets.shape[0] + s + 1
            market.seed_count[s] = _draw_seeds(
                market.rng,
                pool,
                budget,
                market.chosen,
                token,
                market.subtree,
                market.seeds[slot : slot + budget],
            )
        else:
            lo, hi = sets[s, S_FIXED_LO], sets[s, S_FIXED_HI]
            market.seeds[slot : slot + hi - lo] = people[lo:hi]
            market.seed_count[s] = hi - lo
    _order_brands(campaign, market)


@njit(cache=True)
def _order_brands(campaign: Campaign, market: Market) -> None:
    """The brands' order this step: random (stream A) when they compete for people, else fixed.

    In an exclusive market the first brand to reach a person wins them, so the order within a
    step must not favour anyone.
    """
    order = market.brand_order
    for i in range(order.shape[0]):
        order[i] = i
    if campaign.exclusive and order.shape[0] > 1:
        for i in range(order.shape[0] - 1):
            j = i + int(uniform(market.rng, STREAM_A) * (order.shape[0] - i))
            order[i], order[j] = order[j], order[i]


@njit(cache=True)
def tick(campaign: Campaign, market: Market) -> int:
    """Start the next step: count it and draw the brands' order; returns the step number."""
    t = market.clock[K_STEP] + 1
    market.clock[K_STEP] = t
    for p in range(market.cursor.shape[0]):
        market.cursor[p, C_STEP] = t
    _order_brands(campaign, market)
    return t


@njit(cache=True)
def publish(graph: Graph, campaign: Campaign, market: Market, brand: int, t: int) -> None:
    """The brand's posts due at step t go out: their seeds share them (tree roots)."""
    posts = campaign.posts
    for p in range(posts.shape[0]):
        if posts[p, P_BRAND] != brand or posts[p, P_START] != t:
            continue
        s = posts[p, P_SEEDS]
        slot = campaign.seed_sets[s, S_SLOT]
        _post_seeds(graph, post_state(market, p), market.seeds[slot : slot + market.seed_count[s]])


@njit(cache=True)
def _latest_post(campaign: Campaign, brand: int, t: int) -> int:
    """The brand's most recent post out by step t (-1 if none)."""
    best = -1
    for p in range(campaign.posts.shape[0]):
        start = campaign.posts[p, P_START]
        later = best < 0 or start >= campaign.posts[best, P_START]
        if campaign.posts[p, P_BRAND] == brand and start <= t and later:
            best = p
    return best


@njit(cache=True)
def advertise(
    graph: Graph, params: Params, campaign: Campaign, market: Market, brand: int, t: int
) -> None:
    """The brand's ads running at step t show their impressions (paid media).

    An ad that has run k steps has shown floor(k x rate) impressions, so fractions carry over.
    """
    ads = campaign.ads
    for a in range(ads.shape[0]):
        if ads[a, A_BRAND] != brand or t < ads[a, A_START] or t > ads[a, A_END]:
            continue
        p = ads[a, A_POST] if ads[a, A_POST] >= 0 else _latest_post(campaign, brand, t)
        if p < 0:
            continue
        k = t - ads[a, A_START] + 1
        rate = campaign.ad_rate[a]
        shown = int(np.floor(rate * k + 1e-9) - np.floor(rate * (k - 1) + 1e-9))
        audience = campaign.people[ads[a, A_LO] : ads[a, A_HI]]
        age = max(t - campaign.posts[p, P_START] - 1, 0)
        _show_ads(
            graph, _post_params(params, campaign, p), post_state(market, p), audience, shown, age
        )


@njit(cache=True)
def _show_ads(graph: Graph, params: Params, state: State, audience, shown: int, age: int) -> None:
    """``shown`` paid impressions of a post, each to a person drawn uniformly from ``audience``.

    Each impression is an exposure that enters the funnel: engage (appeal), then share
    (stickiness, as a new tree root) or click and buy. Impressions that lead to a share are
    found by geometric jumps and their people drawn on stream A; the others (their people
    included) are decided on stream B, so who shares does not depend on the metrics asked for.
    """
    probs = state.step_probs
    affinity = params.affinity
    n_seg = affinity.shape[0]
    info = state.post
    impacted = info[I_IMPACTED] > 0 and params.impact != 1.0
    # A paid impression is seen: visibility 1, no tie class.
    p_max = _class_probabilities(
        probs,
        affinity,
        1.0,
        params.appeal,
        params.stickiness,
        params.decay**age,
        1.0,
        1.0,
        params.impact,
        False,
        impacted,
    )
    log_q = np.log1p(-p_max) if p_max < 1.0 else -np.inf
    p_share_of = probs[0]
    p_engage_of = probs[2]
    m = audience.shape[0]
    if m == 0 or shown <= 0:
        return
    segment_of = graph.segment_of
    rng = state.rng
    stamp, flags, count, required = state.stamp, state.flags, state.count, state.required
    counters, segment_counters = state.counters, state.segment_counters
    epoch = state.cursor[C_EPOCH]
    funnel = params.funnel
    funnel_probs = (params.comment_ratio, params.click_through, params.conversion)
    tree = (state.order, state.parent, state.depth, state.root)
    own = info[I_BRAND]
    track = info[I_TRACK] != 0
    exclusive = info[I_EXCLUSIVE] != 0
    brand_stamp, brand_flags = state.brand_stamp, state.brand_flags
    own_stamp, own_flags = brand_stamp[own], brand_flags[own]
    own_counters, own_segments = state.brand_counters[own], state.brand_segment_counters[own]
    negative_stamp, negative_flags = state.negative_stamp, state.negative_flags
    if p_max <= 0.0:
        nxt = shown
    elif p_max >= 1.0:
        nxt = 0
    else:
        nxt = _skip(rng, log_q, shown)
    i = 0 if funnel else nxt
    while i < shown:
        candidate = i == nxt
        if candidate:
            # A share candidate: its person drawn on stream A, thinned to their class.
            nxt = i + 1 if p_max >= 1.0 else i + 1 + _skip(rng, log_q, shown - i - 1)
            v = audience[int(uniform(rng, STREAM_A) * m)]
        else:
            v = audience[int(uniform(rng, STREAM_B) * m)]
        seg = segment_of[v]
        k = seg
        if impacted and _negative(negative_stamp, negative_flags, epoch, v):
            k += n_seg
        shares = candidate and (
            p_share_of[k] >= p_max or uniform(rng, STREAM_A) * p_max < p_share_of[k]
        )
        _touch(stamp, flags, count, required, epoch, v)
        new = 0
        if funnel:
            new = _see_paid(flags, counters, segment_counters, seg, v)
        if not flags[v] & SHARED:
            if shares:
                if funnel:
                    new |= _engage(
                        flags, counters, segment_counters, rng, funnel_probs, seg, v, True
                    )
                if not exclusive or not _rival(brand_stamp, brand_flags, own, epoch, v):
                    _share(tree, flags, counters, segment_counters, seg, v, -1)
                    new |= SHARED
            elif funnel and uniform(rng, STREAM_B) < p_engage_of[k]:
                new |= _engage(flags, counters, segment_counters, rng, funnel_probs, seg, v, True)
        if track and new:
            _mark(own_stamp, own_flags, own_counters, own_segments, epoch, v, seg, new)
        i = i + 1 if funnel else nxt


@njit(cache=True)
def respond(campaign: Campaign, market: Market, brand: int, t: int) -> None:
    """The brand answers the crisis's complaints due at step t, first come first served.

    A complaint made at step s is due at s + response_time; it is answered with probability
    response_rate (decided when it is due), at most response_capacity answers a step (later
    complaints wait, so response times grow with a backlog). An answered complainer posts the
    crisis no more, and is won back (the impact on them removed) with probability neutralize.
    """
    c = campaign.crisis[CR_POST]
    if c < 0 or campaign.crisis[CR_BRAND] != brand:
        return
    delay = campaign.crisis[CR_TIME]
    capacity = campaign.crisis[CR_CAPACITY]
    rate = campaign.crisis_odds[CR_RATE]
    neutralize = campaign.crisis_odds[CR_NEUTRALIZE]
    order, flags = market.order[c], market.flags[c]
    complaints = market.counters[c, SHARERS]
    head = market.clock[K_QUEUE]
    answered = 0
    while head < complaints and market.complained_at[head] + delay <= t:
        if capacity >= 0 and answered >= capacity:
            break
        v = order[head]
        when = market.complained_at[head]
        head += 1
        if not uniform(market.rng, STREAM_A) < rate:
            continue
        flags[v] |= ANSWERED
        answered += 1
        market.crisis_counters[RESPONSES] += 1
        market.crisis_counters[RESPONSE_TIME] += t - when
        if uniform(market.rng, STREAM_A) < neutralize:
            flags[v] |= NEUTRAL
            market.crisis_counters[NEUTRALIZED] += 1
    market.clock[K_QUEUE] = head


@njit(cache=True)
def spread(graph: Graph, params: Params, campaign: Campaign, market: Market, t: int) -> None:
    """Step t's word of mouth, then :func:`finish_step`.

    Every post out before step t spreads: the crisis first, then the brands in this step's order.
    """
    c = campaign.crisis[CR_POST]
    if c >= 0 and campaign.posts[c, P_START] < t:
        age = t - campaign.posts[c, P_START] - 1
        _spread_post(graph, _post_params(params, campaign, c), post_state(market, c), age)
    for i in range(market.brand_order.shape[0]):
        brand = market.brand_order[i]
        for p in range(campaign.posts.shape[0]):
            start = campaign.posts[p, P_START]
            if p == c or campaign.posts[p, P_BRAND] != brand or start >= t:
                continue
            _spread_post(
                graph, _post_params(params, campaign, p), post_state(market, p), t - start - 1
            )
    finish_step(campaign, market, t)


@njit(cache=True)
def finish_step(campaign: Campaign, market: Market, t: int) -> None:
    """End step t: next frontiers, complaint times, and brand and mention counts."""
    c = campaign.crisis[CR_POST]
    for p in range(market.cursor.shape[0]):
        hi = market.cursor[p, C_HI]
        total = market.counters[p, SHARERS]
        if p == c:
            for k in range(hi, total):
                market.complained_at[k] = t
        market.cursor[p, C_LO] = hi
        market.cursor[p, C_HI] = total
        market.counters[p, MENTIONS] = total + market.counters[p, COMMENTS]
    _sync_brands(campaign, market)


@njit(cache=True)
def _sync_brands(campaign: Campaign, market: Market) -> None:
    """Brand counts: sums over the brand's posts, and distinct people from the brand rows.

    A brand with one post and no rivals to watch just copies its post's counts.
    """
    posts = campaign.posts
    counters = market.counters
    brand_counters = market.brand_counters
    segments = market.segment_counters
    brand_segments = market.brand_segment_counters
    for b in range(campaign.brands):
        tracked = False
        only = -1
        several = False
        for p in range(posts.shape[0]):
            if posts[p, P_BRAND] == b:
                tracked = tracked or posts[p, P_TRACK] != 0
                several = several or only >= 0
                only = p
        if not tracked:
            if only >= 0 and not several:
                brand_counters[b, :] = counters[only, :]
                brand_segments[b, :, :] = segments[only, :, :]
            continue
        # Additive counts are sums over the posts; distinct ones were counted by _mark.
        for i in range(N_COUNTERS):
            if i in (SHARERS, REACH, PAID_REACH, EARNED_REACH, ENGAGED_PEOPLE):
                continue
            total = 0
            for p in range(posts.shape[0]):
                if posts[p, P_BRAND] == b:
                    total += counters[p, i]
            brand_counters[b, i] = total
        for s in range(segments.shape[1]):
            for i in (SEG_ENGAGEMENTS, SEG_CONVERSIONS):
                total = 0
                for p in range(posts.shape[0]):
                    if posts[p, P_BRAND] == b:
                        total += segments[p, s, i]
                brand_segments[b, s, i] = total


@njit(cache=True)
def active(graph: Graph, params: Params, campaign: Campaign, market: Market) -> bool:
    """Whether the next step can change anything (else a replicate ends)."""
    t = market.clock[K_STEP]
    n = graph.indptr.shape[0] - 1
    posts = campaign.posts
    c = campaign.crisis[CR_POST]
    for p in range(posts.shape[0]):
        if posts[p, P_START] > t:
            return True
        rule = posts[p, P_RULE]
        if rule == BASS and market.counters[p, SHARERS] < n:
            return True
        if market.cursor[p, C_LO] < market.cursor[p, C_HI]:
            return True
    for a in range(campaign.ads.shape[0]):
        if campaign.ads[a, A_END] > t:
            return True
    if c >= 0:
        complaints = market.counters[c, SHARERS]
        unanswered = complaints - market.crisis_counters[RESPONSES]
        if campaign.post_values[c, V_PERSISTENCE] > 0.0 and unanswered > 0:
            return True
        if campaign.crisis_odds[CR_RATE] > 0.0 and market.clock[K_QUEUE] < complaints:
            return True
    return False


@njit(cache=True)
def tally(campaign: Campaign, market: Market, out: np.ndarray) -> None:
    """Every cumulative count, flat: brand rows, post rows, then the crisis's counts."""
    k = 0
    for b in range(market.brand_counters.shape[0]):
        for i in range(N_COUNTERS):
            out[k] = market.brand_counters[b, i]
            k += 1
    for p in range(market.counters.shape[0]):
        for i in range(N_COUNTERS):
            out[k] = market.counters[p, i]
            k += 1
    for i in range(N_CRISIS_COUNTERS):
        out[k] = market.crisis_counters[i]
        k += 1


@njit(cache=True)
def trees(campaign: Campaign, market: Market, brand: int) -> tuple[float, int]:
    """Structural virality and depth over every cascade tree of the brand's posts."""
    weighted = 0.0
    weight = 0.0
    depth = 0
    for p in range(campaign.posts.shape[0]):
        if campaign.posts[p, P_BRAND] == brand:
            w, size, d = _tree_sums(post_state(market, p))
            weighted += w
            weight += size
            depth = max(depth, d)
    return (weighted / weight if weight > 0 else 0.0), depth


# --------------------------------------------------------------------------- Monte Carlo


@njit(cache=True)
def _brands_act(graph: Graph, params: Params, campaign: Campaign, market: Market, t: int) -> None:
    """The brands act (post, buy ads, answer), in this step's order; then the crisis posts."""
    for i in range(market.brand_order.shape[0]):
        brand = market.brand_order[i]
        publish(graph, campaign, market, brand, t)
        advertise(graph, params, campaign, market, brand, t)
        respond(campaign, market, brand, t)
    if campaign.crisis[CR_POST] >= 0:
        publish(graph, campaign, market, campaign.brands - 1, t)


@njit(cache=True)
def _run_one(
    graph: Graph,
    params: Params,
    campaign: Campaign,
    market: Market,
    seed: np.uint64,
    run: np.uint64,
    steps: int,
    counts: np.ndarray,
    timeline_sum: np.ndarray,
) -> int:
    """One replicate; adds its cumulative counts per step to ``timeline_sum``.

    ``timeline_sum[0, t]`` gets the counts at the end of step t for t <= the replicate's
    length L, and ``timeline_sum[1, L + 1]`` its final counts, so that the running sum over t
    of row 1 pads every replicate with its final value at O(L) cost, not O(steps).

    Returns:
        The step with the most new sharers of the scenario's brand (0 if none after step 0).
    """
    begin(campaign, market, seed, run)
    _brands_act(graph, params, campaign, market, 0)
    finish_step(campaign, market, 0)
    tally(campaign, market, counts)
    timeline_sum[0, 0, :] += counts
    t = 0
    peak = 0
    most = 0
    previous = market.brand_counters[0, SHARERS]
    while t < steps and active(graph, params, campaign, market):
        t = tick(campaign, market)
        _brands_act(graph, params, campaign, market, t)
        spread(graph, params, campaign, market, t)
        tally(campaign, market, counts)
        timeline_sum[0, t, :] += counts
        now = market.brand_counters[0, SHARERS]
        if now - previous > most:
            most = now - previous
            peak = t
        previous = now
    timeline_sum[1, t + 1, :] += counts
    return peak


@njit(cache=True, parallel=True)
def run_replicates(
    graph: Graph,
    params: Params,
    campaign: Campaign,
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

    Outputs (index = replicate - first_run): ``finals[r, :]`` every final count (see
    :func:`tally`); ``segment_counts[r, s, c]`` the scenario's brand per segment; ``lengths[r]``
    steps taken; ``peaks[r]`` the step with the most new sharers; ``virality[r]`` and
    ``depth[r]`` when ``tree``; and ``timeline_sum[w, 2, steps + 2, counts]`` as described in
    :func:`_run_one`.
    """
    n = graph.indptr.shape[0] - 1
    n_seg = segment_counts.shape[1]
    for w in prange(workers):
        market = new_market(n, n_seg, campaign)
        counts = np.zeros(finals.shape[1], np.int64)
        for r in range(w, runs, workers):
            peaks[r] = _run_one(
                graph,
                params,
                campaign,
                market,
                seed,
                np.uint64(first_run + r),
                steps,
                counts,
                timeline_sum[w],
            )
            finals[r, :] = counts
            segment_counts[r, :, :] = market.brand_segment_counters[0]
            lengths[r] = market.clock[K_STEP]
            if tree:
                virality[r], depth[r] = trees(campaign, market, 0)
