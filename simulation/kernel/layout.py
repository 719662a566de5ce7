"""What the kernel counts and keeps: counters, person flags, and its named tuples of arrays.

Nothing here is compiled: the tuples are the kernel's inputs (built by
:mod:`simulation.kernel_inputs`) and its working state (allocated by
:mod:`simulation.kernel.state`).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

__all__ = [
    "ANSWERED",
    "BASS",
    "CASCADE",
    "CLICKS",
    "COMMENTS",
    "CONVERSIONS",
    "CONVERTED",
    "COUNTERS",
    "CRISIS_COUNTERS",
    "C_EPOCH",
    "C_HI",
    "C_LO",
    "C_STEP",
    "DISTINCT",
    "EARNED",
    "EARNED_REACH",
    "ENGAGED",
    "ENGAGED_PEOPLE",
    "ENGAGEMENTS",
    "FOR_AD",
    "FOR_ADOPT",
    "FOR_ADOPTER",
    "FOR_AD_TARGET",
    "FOR_ANSWER",
    "FOR_ATTENTION",
    "FOR_BUY",
    "FOR_CLICK",
    "FOR_COMMENT",
    "FOR_ENGAGE",
    "FOR_FATIGUE",
    "FOR_JUMP",
    "FOR_NEUTRALIZE",
    "FOR_ORDER",
    "FOR_PERSIST",
    "FOR_REPEAT",
    "FOR_SEEDS",
    "FOR_SEEN",
    "FOR_SHARE",
    "FOR_THRESHOLD",
    "IMPRESSIONS",
    "I_BRAND",
    "I_CRISIS",
    "I_EXCLUSIVE",
    "I_IMPACTED",
    "I_NEGATIVE",
    "I_POST",
    "I_TRACK",
    "KEY_BLOCK",
    "KEY_LANE",
    "KEY_REPLICATE",
    "K_EPOCH",
    "K_QUEUE",
    "K_STEP",
    "LIKES",
    "MENTIONS",
    "NEGATIVE_MASK",
    "NEUTRAL",
    "NEUTRALIZED",
    "N_COUNTERS",
    "N_CRISIS_COUNTERS",
    "N_POST_INFO",
    "N_SEGMENT_COUNTERS",
    "PAID",
    "PAID_CONVERSIONS",
    "PAID_IMPRESSIONS",
    "PAID_REACH",
    "REACH",
    "RESPONSES",
    "RESPONSE_TIME",
    "RULES",
    "SEEN",
    "SEGMENT_COUNTERS",
    "SEG_CONVERSIONS",
    "SEG_ENGAGEMENTS",
    "SEG_REACH",
    "SEG_SHARERS",
    "SHARED",
    "SHARERS",
    "SHARES",
    "SPAN",
    "THRESHOLD",
    "TH_COUNT",
    "TH_FIXED",
    "TH_NORMAL",
    "TH_UNIFORM",
    "Ads",
    "BassRule",
    "Campaign",
    "Crisis",
    "Graph",
    "Market",
    "Params",
    "Posts",
    "Rooms",
    "SeedSets",
    "State",
    "ThresholdRule",
    "Timing",
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
# Counters of distinct people: a brand counts a person once whatever the post (see person.mark).
DISTINCT = (SHARERS, REACH, PAID_REACH, EARNED_REACH, ENGAGED_PEOPLE)

# Per-segment counters (kept per audience group: Graph.segment_of holds the group).
SEGMENT_COUNTERS = ("sharers", "reach", "engagements", "conversions")
SEG_SHARERS, SEG_REACH, SEG_ENGAGEMENTS, SEG_CONVERSIONS = range(4)
N_SEGMENT_COUNTERS = len(SEGMENT_COUNTERS)
# The crisis: complaints answered, steps from complaint to answer (summed), people won back.
CRISIS_COUNTERS = ("responses", "response_time", "neutralized")
RESPONSES, RESPONSE_TIME, NEUTRALIZED = range(3)
N_CRISIS_COUNTERS = len(CRISIS_COUNTERS)

# Diffusion rules: the scenario's `diffusion.rule` -> its code (simulation.kernel.rules).
CASCADE, THRESHOLD, BASS = 0, 1, 2
RULES = {"cascade": CASCADE, "threshold": THRESHOLD, "bass": BASS}

# Threshold kinds (the threshold rule).
TH_FIXED, TH_UNIFORM, TH_NORMAL, TH_COUNT = 0, 1, 2, 3

# Person flags (valid only where stamp == epoch). PAID / EARNED: seen through an ad / a share.
# ANSWERED / NEUTRAL: the crisis's row only (the brand answered this complaint / won them back).
SEEN, ENGAGED, SHARED, CONVERTED, PAID, EARNED, ANSWERED, NEUTRAL = 1, 2, 4, 8, 16, 32, 64, 128
NEGATIVE_MASK = SEEN | NEUTRAL  # negative: saw the crisis and was not won back

# Cursor slots (per post): epoch, frontier lo, frontier hi (= sharers so far), step.
C_EPOCH, C_LO, C_HI, C_STEP = 0, 1, 2, 3
# Market clock slots: epoch, the step, the crisis's answer queue (position in its `order`).
K_EPOCH, K_STEP, K_QUEUE = 0, 1, 2
# Market keys: the replicate's key for real-valued draws, its block's key for coins, its lane.
KEY_REPLICATE, KEY_BLOCK, KEY_LANE = 0, 1, 2
# State.post slots: the post, its brand row, brand tracking on, exclusive market, whether the
# crisis lowers its appeal, the crisis's post (the post itself when there is no crisis), whether
# the post is the crisis.
I_POST, I_BRAND, I_TRACK, I_EXCLUSIVE, I_IMPACTED, I_CRISIS, I_NEGATIVE = range(7)
N_POST_INFO = 7

# What a random decision is about (with the post, under the replicate's or the block's key).
(
    FOR_SHARE,
    FOR_SEEN,
    FOR_ENGAGE,
    FOR_COMMENT,
    FOR_CLICK,
    FOR_BUY,
    FOR_THRESHOLD,
    FOR_ADOPT,
    FOR_ADOPTER,
    FOR_AD_TARGET,
    FOR_AD,
    FOR_PERSIST,
    FOR_ANSWER,
    FOR_NEUTRALIZE,
    FOR_SEEDS,
    FOR_ORDER,
    FOR_REPEAT,
    FOR_JUMP,  # retired (Kernel v2.0's geometric jumps); kept so later labels keep their numbers
    FOR_ATTENTION,
    FOR_FATIGUE,
) = range(20)

# Stamps of a step within a replicate (attention, fatigue, frequency caps): epoch x SPAN + step.
SPAN = 1 << 20

_NO_TIES = np.zeros(0, np.uint8)


class Graph(NamedTuple):
    """The social graph as CSR arrays (see :class:`simulation.network.SocialGraph`)."""

    indptr: np.ndarray  # int64[n + 1], followers of u: indices[indptr[u]:indptr[u + 1]]
    indices: np.ndarray  # int32[arcs]
    in_indptr: np.ndarray  # int64[n + 1], the people v follows
    in_indices: np.ndarray  # int32[arcs]
    # int32[n]: each person's audience group (people alike in segment and every post's appeal
    # multiplier, see simulation.population.audience); the segment itself without resonance.
    # Every "segment" count of the kernel (segment_counters, ...) is per group.
    segment_of: np.ndarray
    tie_strong: np.ndarray = _NO_TIES  # uint8[arcs]: 1 = strong tie; empty = no tie classes


class ThresholdRule(NamedTuple):
    """The threshold rule's settings."""

    kind: int  # TH_*
    a: float  # fixed share, uniform low, or normal mean
    b: float  # uniform high or normal std
    count: int  # contacts needed for TH_COUNT


class BassRule(NamedTuple):
    """The Bass rule's settings."""

    innovation: float  # p
    imitation: float  # q


class Timing(NamedTuple):
    """Time and attention (:mod:`simulation.kernel.timing`).

    When people are online, how much they read a step, how repeated exposure wears off, and
    the ads' frequency caps. ``Params.timing`` is ``None`` when a scenario uses none of these
    (then none of their code is compiled).
    """

    online: np.ndarray  # float64[cycle, classes]: P(online) by step of the week; no rows: always
    phase0: int  # step 0's place in the cycle (hour of the week, or day of the week)
    attention: int  # most feed items a person reads a step; 0 = no limit
    keep: float  # appeal x keep ** (recent exposures to the brand); 1 = no fatigue
    recovery: float  # a past exposure's weight after one more step: 0.5 ** (1 / half-life)
    ad_cap: np.ndarray  # int64[ads]: most impressions of the ad per person per window; 0 = none
    ad_window: np.ndarray  # int64[ads]: steps per window (0: the whole campaign)
    ad_offset: np.ndarray  # int64[ads]: steps of the first window before step 0


class Rooms(NamedTuple):
    """Time and attention's working state of a replicate (empty arrays for what is off).

    A stamp ``epoch x SPAN + step`` (or + window) says which step a row's values are for.
    """

    heed_top: np.ndarray  # float64[n, attention]: priorities of the feed items read this step
    heed_count: np.ndarray  # int32[n]: feed items ranked so far this step
    heed_stamp: np.ndarray  # int64[n]: the step the two above are for
    wear_load: np.ndarray  # float64[brands, n]: decayed exposures before wear_mark's step
    wear_new: np.ndarray  # int32[brands, n]: exposures at wear_mark's step
    wear_mark: np.ndarray  # int64[brands, n]: the step of the last exposure
    feed_count: np.ndarray  # int32[brands, n]: the brand's items in the feed this step
    feed_mark: np.ndarray  # int64[brands, n]: the step feed_count is for
    ad_count: np.ndarray  # int32[ads, n]: impressions of the ad in ad_mark's window
    ad_mark: np.ndarray  # int64[ads, n]: the window


class Params(NamedTuple):
    """What holds for every post: the audience's affinity, ties, metrics, the rules in use.

    A rule's settings are ``None`` when no post uses it: numba then compiles none of its code
    (a branch on ``x is None`` of an argument is pruned before typing), so a scenario compiles
    only what it uses.
    """

    affinity: np.ndarray  # float64[posts, groups]: post p's appeal multiplier per audience group
    funnel: bool  # count exposures and the funnel; False = who shares only
    strong_visibility: float  # multiplies visibility over strong ties
    weak_visibility: float  # multiplies visibility over weak ties
    threshold: ThresholdRule | None
    bass: BassRule | None
    timing: Timing | None = None  # time and attention; None: off (the batched path's test)


class Posts(NamedTuple):
    """Every post of a campaign (the crisis, if any, is the last), one entry per post."""

    brand: np.ndarray  # int64: brand row
    start: np.ndarray  # int64: step it goes out
    seed_set: np.ndarray  # int64: which seed set posts it
    rule: np.ndarray  # int64: rule code (simulation.kernel.rules.RULES)
    track: np.ndarray  # int64: 1 = its brand row counts distinct people across posts
    impacted: np.ndarray  # int64: 1 = the crisis lowers its appeal
    visibility: np.ndarray  # float64: P(a follower sees a share)
    appeal: np.ndarray  # float64: P(engage | seen), before affinity and decay
    stickiness: np.ndarray  # float64: P(share | engaged)
    click_through: np.ndarray  # float64: P(click | engaged)
    conversion: np.ndarray  # float64: P(purchase | click)
    comment_ratio: np.ndarray  # float64: P(comment | engaged), else a like
    decay: np.ndarray  # float64: appeal x decay ** (age in steps); 1 = no decay
    impact: np.ndarray  # float64: appeal x impact for people who saw the crisis
    persistence: np.ndarray  # float64: P(a sharer posts again each step until answered)


class SeedSets(NamedTuple):
    """Who posts: fixed people, or ``budget`` people drawn per replicate from a pool."""

    fixed_lo: np.ndarray  # int64: fixed seeds are people[fixed_lo:fixed_hi]
    fixed_hi: np.ndarray  # int64
    pool_lo: np.ndarray  # int64: random seeds are drawn from people[pool_lo:pool_hi]
    pool_hi: np.ndarray  # int64
    budget: np.ndarray  # int64: random seeds to draw (0: the fixed ones)
    slot: np.ndarray  # int64: where the replicate's set is kept in Market.seeds
    people: np.ndarray  # int32[]: fixed seeds and pools, concatenated


class Ads(NamedTuple):
    """Paid media: impressions bought every step, shown to people drawn from an audience."""

    brand: np.ndarray  # int64: who pays
    post: np.ndarray  # int64: the post it promotes (-1: the brand's latest)
    start: np.ndarray  # int64: first step it runs
    end: np.ndarray  # int64: last step it runs
    rate: np.ndarray  # float64: impressions bought per step
    audience_lo: np.ndarray  # int64: its audience is people[audience_lo:audience_hi]
    audience_hi: np.ndarray  # int64
    people: np.ndarray  # int32[]: audiences, concatenated


class Crisis(NamedTuple):
    """Negative content about a brand, and the brand's answers (post -1: no crisis)."""

    post: int  # the crisis's post
    brand: int  # the brand row it hurts
    delay: int  # steps from a complaint to its answer
    capacity: int  # answers a step (-1: no limit)
    rate: float  # P(a complaint is answered)
    neutralize: float  # P(an answered complainer is won back)


class Campaign(NamedTuple):
    """A scenario's posts, seed sets, ads and crisis, and how its brands compete.

    ``ads`` and ``crisis`` are ``None`` when there are none (then their code is not compiled).
    """

    posts: Posts
    seed_sets: SeedSets
    ads: Ads | None
    crisis: Crisis | None
    crisis_post: int  # the crisis's post, -1: none
    brands: int  # brand rows: the real brands, then the crisis's own row if there is one
    real_brands: int  # brands that publish content and act each step
    exclusive: bool  # a person who shared one brand never shares another
    seed_slots: int  # room for every seed set's people in Market.seeds


class State(NamedTuple):
    """One post's view of a replicate's working state.

    The first fields are the post's own rows (valid where ``stamp == epoch``); the rest are
    shared by every post of the replicate.
    """

    cursor: np.ndarray  # int64[4]: C_* slots
    stamp: np.ndarray  # int64[n]
    flags: np.ndarray  # uint8[n]: SEEN | ENGAGED | SHARED | CONVERTED | PAID | EARNED | ...
    count: np.ndarray  # int32[n]: shared contacts (threshold, bass); cascade: 1 + share step
    required: np.ndarray  # int32[n]: threshold rule, contacts needed (-1 = not drawn yet)
    order: np.ndarray  # int32[n]: sharers in activation order
    parent: np.ndarray  # int32[n]: who made this sharer share (-1 for roots)
    depth: np.ndarray  # int32[n]: distance from the root in the cascade tree
    root: np.ndarray  # int32[n]: position in `order` of the tree's root
    subtree: np.ndarray  # int64[n]: scratch: subtree sizes, seed shuffles
    wiener: np.ndarray  # float64[n]: scratch: per-root sum of s (N - s)
    counters: np.ndarray  # int64[N_COUNTERS], cumulative
    segment_counters: np.ndarray  # int64[groups, N_SEGMENT_COUNTERS], cumulative
    keys: np.ndarray  # uint64[3]: KEY_* slots of the replicate
    post: np.ndarray  # int64[N_POST_INFO]: I_* slots
    brand_stamp: np.ndarray  # int64[brands, n]
    brand_flags: np.ndarray  # uint8[brands, n]: SEEN | ENGAGED | SHARED | PAID | EARNED
    brand_counters: np.ndarray  # int64[brands, N_COUNTERS]
    brand_segment_counters: np.ndarray  # int64[brands, groups, N_SEGMENT_COUNTERS]
    negative_stamp: np.ndarray  # int64[n]: the crisis post's stamps (its own when none)
    negative_flags: np.ndarray  # uint8[n]: the crisis post's flags
    frontier: np.ndarray  # int32[n]: scratch: repeat posts, drawn seeds
    rooms: Rooms | None  # time and attention's working state (None without Params.timing)


class Market(NamedTuple):
    """One replicate's working state for every post and brand (reused across replicates)."""

    clock: np.ndarray  # int64[3]: K_* slots
    keys: np.ndarray  # uint64[3]: KEY_* slots
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
    segment_counters: np.ndarray  # int64[posts, groups, N_SEGMENT_COUNTERS]
    post_info: np.ndarray  # int64[posts, N_POST_INFO]
    brand_stamp: np.ndarray  # int64[brands, n]
    brand_flags: np.ndarray  # uint8[brands, n]
    brand_counters: np.ndarray  # int64[brands, N_COUNTERS]
    brand_segment_counters: np.ndarray  # int64[brands, groups, N_SEGMENT_COUNTERS]
    frontier: np.ndarray  # int32[n]
    chosen: np.ndarray  # int64[n]: people drawn as seeds (== a draw's token)
    seeds: np.ndarray  # int32[seed_slots]: this replicate's seed sets
    seed_count: np.ndarray  # int64[sets]: how many people each set drew
    brand_order: np.ndarray  # int64[real_brands]: the order brands act and spread this step
    complained_at: np.ndarray  # int32[n]: the crisis: step of each complaint, by position
    crisis_counters: np.ndarray  # int64[N_CRISIS_COUNTERS]
    probs: np.ndarray  # uint64[3, classes]: scratch: this step's coin thresholds per class
    rooms: Rooms | None  # time and attention's working state (None without Params.timing)
