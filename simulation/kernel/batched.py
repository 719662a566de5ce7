"""The batched path: the 64 replicates of a coin block in one traversal, one bit per replicate.

Replicates ``64 b .. 64 b + 63`` share their block's coin key (see
:func:`~simulation.kernel.random.coin`), so one hash gives a digit of a tie's uniform for all
64 of them. A batch keeps, per person, one row of three 64-bit masks of the replicates (lanes):
those in which they have shared, shared last step and share this step; and one frontier per
step, the union over lanes of last step's sharers. Each sharer u of the frontier decides each
of its ties with one bit-sliced coin for many lanes together (:func:`lane_coins`: digits
compared most significant first until every asked lane is decided, about log2(lanes) + 2
hashes):

* a narrow frontier asks only the lanes in which u shared last step and the follower has not
  shared yet, and lists the people it reaches;
* a wide one keeps each tie's outcomes in all lanes for the batch (``live``, decided the first
  time u is in a wide frontier, reused when u shares in more lanes later), updates the masks
  with AND/OR and no branch, and finds the next frontier by a scan of everyone in order.

With the funnel a person's row has eight masks (64 bytes): also the lanes in which they have
seen the post, seen it through a share (earned), engaged and bought. Every tie of a sharer is
then tried in all of u's lanes (an exposure counts whether or not the follower has shared): a
wide step keeps six coin words per tie for the batch (share, seen, engaged, comment, click,
buy: ``cache``) and counts without a branch; a narrow one draws each coin for the lanes that
need it (:func:`_tie_coins`).

Per-lane counts are kept in bit planes (:func:`add_planes`): the step's new sharers and, with
the funnel, its impressions, new reach, new earned reach, engagements, new engaged people,
comments, clicks and purchases; engagements per audience group for the batch. Per-group
sharers, reach and conversions are counted once at the batch's end from the rows.

Cascade trees (structural virality, depth) are kept per lane for the main post: each lane
lists its sharers as they join (seeds first) with their parents beside them (:func:`_adopt`:
written in order, no random access), so a lane's tree is a compact array and :func:`_trees`
numbers the parents, sums subtree sizes and Wiener sums in cache. The parent is the
lowest-numbered of the step's sharers whose tie carried the share, as on the scalar path:
frontiers are processed in increasing order, so the first to reach a person in a lane is the
parent there. A post's depth is the last step with a new sharer, counted from its start.

Results are bit-identical to the scalar path (tests/test_batched.py): a step of the cascade
rule is decided from the state at its start (see
:func:`~simulation.kernel.rules.cascade.cascade_step`), so nothing depends on the order the
frontier is processed.

What it serves is an explicit whitelist (:func:`supports`): one post per brand under the
cascade rule, with or without the funnel and cascade trees; no ads, crisis, repeat posts,
exclusive market, brand tracking or ``[time]``, and no ``Params``/``Campaign`` fields it does
not know. Everything else takes the scalar path (:mod:`simulation.kernel.replicates`).

Memory per thread and post, whatever the number of replicates: 60 bytes per person (the
masks; two frontiers and the people touched; the batch stamp of cached coins; the seed draw's
scratch) and 8 bytes per tie (``live``), plus 4 bytes per tie shared by the threads (each
tie's class, when there is more than one). With the funnel: 100 bytes per person and 48 per
tie (``cache`` instead of ``live``). With cascade trees, for the main post: 524 bytes per
person (a 32-bit sharer and parent per lane, and a scratch of numbers and subtree sizes). A
million people and five million ties: 100 MB a thread for sharers only, 340 MB with the
funnel, 860 MB with every metric allocated; peak 1.73 GiB on two threads, graph included, as
the trees' lists are written only as far as each cascade reaches.
"""

from __future__ import annotations

import numpy as np
from numba.cpython.unsafe.numbers import trailing_zeros

from simulation._jit import jit
from simulation.kernel.layout import (
    CASCADE,
    CLICKS,
    COMMENTS,
    CONVERSIONS,
    EARNED_REACH,
    ENGAGED_PEOPLE,
    ENGAGEMENTS,
    FOR_BUY,
    FOR_CLICK,
    FOR_COMMENT,
    FOR_ENGAGE,
    FOR_SEEDS,
    FOR_SEEN,
    FOR_SHARE,
    IMPRESSIONS,
    LIKES,
    MENTIONS,
    N_COUNTERS,
    N_SEGMENT_COUNTERS,
    REACH,
    SEG_CONVERSIONS,
    SEG_ENGAGEMENTS,
    SEG_REACH,
    SEG_SHARERS,
    SHARERS,
    SHARES,
    Campaign,
    Graph,
    Params,
)
from simulation.kernel.person import draw_seeds
from simulation.kernel.random import (
    LANES,
    block_key,
    derive,
    lane_coins,
    replicate_key,
    wide_lane_coins,
)
from simulation.kernel.rules.cascade import class_thresholds, funnel_bars

__all__ = ["classes_of_ties", "lane_coins", "run_batched", "supports"]

# The fields of Params and Campaign this path knows; a new field (a feature it does not
# implement) sends the scenario to the scalar path until it is added here.
_PARAMS = (
    "affinity",
    "funnel",
    "strong_visibility",
    "weak_visibility",
    "threshold",
    "bass",
    "timing",
)
_CAMPAIGN = (
    "posts",
    "seed_sets",
    "ads",
    "crisis",
    "crisis_post",
    "brands",
    "real_brands",
    "exclusive",
    "seed_slots",
)


def supports(params: Params, campaign: Campaign) -> bool:
    """Whether the batched path serves this run (the whitelist; else the scalar path).

    Served: one post per brand (competitors included: without an exclusive market their posts
    never meet) under the cascade rule, with or without the funnel and cascade trees; no ads,
    no crisis, no repeat posts, no brand tracking, no ``[time]``; segments and tie strengths in
    any form, random or fixed seeds, any start step and decay.
    """
    if tuple(params._fields) != _PARAMS or tuple(campaign._fields) != _CAMPAIGN:
        return False
    posts = campaign.posts
    brands = np.asarray(posts.brand)
    return bool(
        params.threshold is None
        and params.bass is None
        and params.timing is None
        and campaign.ads is None
        and campaign.crisis is None
        and campaign.crisis_post < 0
        and campaign.brands == campaign.real_brands
        and not campaign.exclusive
        and brands.shape[0] >= 1
        and np.unique(brands).shape[0] == brands.shape[0]  # one post per brand
        and np.all(np.asarray(posts.rule) == CASCADE)
        and not np.any(np.asarray(posts.track))
        and not np.any(np.asarray(posts.persistence))
    )


PLANES = 32  # bit planes of a per-lane count (up to 2^32 - 1)


@jit(inline="always")
def add_planes(planes, word) -> None:
    """Add 1 to the count of every lane set in ``word``: counts kept as bit planes.

    Plane k holds bit k of all 64 lanes' counts (a ripple-carry add over the planes; about two
    planes touched per add on average), so a step's shares are counted per lane without
    walking their bits one by one.
    """
    carry = word
    for k in range(4):  # the low planes without a branch (most adds stop there)
        low = planes[k] & carry
        planes[k] ^= carry
        carry = low
    k = 4
    while carry != 0:
        low = planes[k] & carry
        planes[k] ^= carry
        carry = low
        k += 1


@jit(inline="always")
def add_row(planes, r: int, word) -> None:
    """:func:`add_planes` on row r of a table of bit-plane counts (no view made)."""
    carry = word
    for k in range(4):  # the low planes without a branch, as add_planes
        low = planes[r, k] & carry
        planes[r, k] ^= carry
        carry = low
    k = 4
    while carry != 0:
        low = planes[r, k] & carry
        planes[r, k] ^= carry
        carry = low
        k += 1


@jit(inline="always")
def _adopt(order, links, counts, v, u, new) -> None:
    """Make u the parent of v in the cascade tree of each lane of ``new``.

    Each lane lists its sharers in the order they join (``order[lane, i]``) and, beside them,
    their parents (``links[lane, i]``, a person until :func:`_trees` turns it into the parent's
    number in the list): a lane's tree is a compact array, written in order, so the traversal
    makes no random access for the trees.
    """
    while new != 0:
        lane = trailing_zeros(new)
        i = counts[lane]
        counts[lane] = i + 1
        order[lane, i] = v
        links[lane, i] = u
        new &= new - np.uint64(1)


@jit(inline="always")
def plane_count(planes, lane: int) -> int:
    """The count of ``lane`` kept in bit planes (see :func:`add_planes`)."""
    total = 0
    for k in range(planes.shape[0]):
        total += int((planes[k] >> np.uint64(lane)) & np.uint64(1)) << k
    return total


@jit
def _record(counts, lanes, brand_post, lane) -> None:
    """Lane's flat tally: brand rows (each its one post's row), post rows, then the crisis."""
    counts[:] = 0
    n_brands = brand_post.shape[0]
    for b in range(n_brands):
        p = brand_post[b]
        if p >= 0:
            for i in range(N_COUNTERS):
                counts[b * N_COUNTERS + i] = lanes[p, lane, i]
    for p in range(lanes.shape[0]):
        for i in range(N_COUNTERS):
            counts[(n_brands + p) * N_COUNTERS + i] = lanes[p, lane, i]


@jit(inline="always")
def _wide(indptr, cur, n_cur: int) -> bool:
    """Whether a frontier's ties are more than a sixteenth of the people (a wide step)."""
    work = 0
    for i in range(n_cur):
        u = cur[i]
        work += indptr[u + 1] - indptr[u]
    return work * 16 > indptr.shape[0] - 1


@jit(inline="always")
def _next_frontier(masks, B: int, scan: bool, nxt, n_nxt: int, step_planes) -> int:
    """The next frontier's size; after a wide step, found by a scan of everyone in order.

    Also counts the step's new shares per lane (column B) in ``step_planes``.
    """
    if scan:
        for v in range(masks.shape[0]):
            if masks[v, B] != 0:
                nxt[n_nxt] = v
                n_nxt += 1
    for i in range(n_nxt):
        add_planes(step_planes, masks[nxt[i], B])
    return n_nxt


@jit
def _spread(
    indptr,
    indices,
    tie_class,
    classes,
    share_bar,
    k_share,
    live,
    ready,
    batch,
    all_lanes,
    masks,
    F,
    B,
    cur,
    n_cur,
    nxt,
    touched,
    n_touched,
    step_planes,
    order,
    links,
    counts,
):
    """One step: the frontier ``cur`` (lanes in column F of ``masks``) tries its ties.

    A narrow frontier decides each tie for the lanes in which u shared last step and v has not
    shared yet (the only lanes in which its coin can matter) and lists the people it reaches.

    A wide one (ties to try beyond a sixteenth of the people) updates the masks without a
    branch and finds the next frontier by a scan of everyone, in order (so the next step walks
    the ties in memory order too); the people touched are then no longer listed
    (``n_touched`` -1: clear everyone at the end). When the thresholds do not change with the
    step (``batch`` >= 0: no decay) ``live`` (a word per tie) keeps the ties' coins for all
    lanes of the batch (``all_lanes``): u's ties are decided the first time u is in a wide
    frontier of the batch (``ready[u] == batch`` after) and reused whenever u shares in more
    lanes later.

    With cascade trees (``order`` not empty, see :func:`_adopt`) a person's parent in a lane
    is the first sharer of the step to reach them there (the frontier comes in increasing
    order).

    Returns (people in the next frontier ``nxt``, with their lanes in column B; people touched).
    """
    zero = np.uint64(0)
    tree = order.shape[0] > 0
    scan = _wide(indptr, cur, n_cur)
    # One threshold for every class (one audience group, no tie strengths): no lookups.
    bar = share_bar[0]
    alike = True
    for k in classes:  # the classes in use
        alike = alike and share_bar[k] == bar
    if scan:
        n_touched = -1
    n_nxt = 0
    for i in range(n_cur):
        u = cur[i]
        mask = masks[u, F]
        masks[u, F] = zero
        a = indptr[u]
        b = indptr[u + 1]
        if scan and batch >= 0:
            if ready[u] != batch:
                ready[u] = batch
                if alike:
                    for j in range(a, b):
                        live[j] = wide_lane_coins(k_share, j, bar, all_lanes)
                else:
                    for j in range(a, b):
                        live[j] = wide_lane_coins(k_share, j, share_bar[tie_class[j]], all_lanes)
            if tree:  # a loop of its own: the check in the loop below cost it 5-7%
                for j in range(a, b):
                    v = indices[j]
                    had = masks[v, 0]
                    new = mask & live[j] & ~had
                    masks[v, 0] = had | new
                    masks[v, B] |= new
                    if new != zero:
                        _adopt(order, links, counts, v, u, new)
                continue
            for j in range(a, b):
                v = indices[j]
                had = masks[v, 0]
                new = mask & live[j] & ~had
                masks[v, 0] = had | new
                masks[v, B] |= new
            continue
        for j in range(a, b):
            v = indices[j]
            had = masks[v, 0]
            ask = mask & ~had
            if ask == zero:
                continue
            new = lane_coins(k_share, j, bar if alike else share_bar[tie_class[j]], ask)
            if new == zero:
                continue
            if not scan:
                if had == zero and n_touched >= 0:  # -1: a scan stopped the list
                    touched[n_touched] = v
                    n_touched += 1
                if masks[v, B] == zero:
                    nxt[n_nxt] = v
                    n_nxt += 1
            masks[v, 0] = had | new
            masks[v, B] |= new
            if tree:
                _adopt(order, links, counts, v, u, new)
    return _next_frontier(masks, B, scan, nxt, n_nxt, step_planes), n_touched


# The funnel's columns of a person's row (after shared / last step / this step), and the
# per-step counts kept in bit planes.
SEEN_C, EARNED_C, ENGAGED_C, CONVERTED_C = 3, 4, 5, 6
ROW = 8  # words per person with the funnel: one 64-byte line
P_IMPRESSIONS, P_REACH, P_EARNED, P_ENGAGEMENTS, P_ENGAGED, P_COMMENTS, P_CLICKS, P_BUYS = range(8)
PLANE_COUNTERS = (
    IMPRESSIONS,
    REACH,
    EARNED_REACH,
    ENGAGEMENTS,
    ENGAGED_PEOPLE,
    COMMENTS,
    CLICKS,
    CONVERSIONS,
)
N_FUNNEL_PLANES = len(PLANE_COUNTERS)
# A tie's coins kept for the batch with the funnel: share, seen (given no share), engaged
# (given seen, no share), comment, click, buy.
N_WORDS = 6
PURPOSES = (FOR_SHARE, FOR_SEEN, FOR_ENGAGE, FOR_COMMENT, FOR_CLICK, FOR_BUY)  # their coin keys


@jit(inline="always")
def _tie_coins(keys, bars, j, k, ask, before, converted):
    """Tie j's outcomes in the lanes of ``ask``: (shared, seen, engaged, comment, click, buy).

    Each coin is drawn for the lanes that need it. ``k``: the tie's class; ``before``: the
    follower's lanes shared before this step; ``converted``: the lanes in which they have
    bought.
    """
    shared = lane_coins(keys[0], j, bars[0, k], ask)
    seen = lane_coins(keys[1], j, bars[1, k], ask & ~shared)
    engaged = (shared & ~before) | lane_coins(keys[2], j, bars[2, k], seen & ~before)
    if engaged == np.uint64(0):
        return shared, shared | seen, engaged, engaged, engaged, engaged
    click = lane_coins(keys[4], j, bars[4, 0], engaged)
    return (
        shared,
        shared | seen,
        engaged,
        lane_coins(keys[3], j, bars[3, 0], engaged),
        click,
        lane_coins(keys[5], j, bars[5, 0], click & ~converted),
    )


@jit
def _spread_funnel(
    indptr,
    indices,
    segment_of,
    tie_class,
    keys,
    bars,
    cache,
    ready,
    batch,
    all_lanes,
    masks,
    F,
    B,
    cur,
    n_cur,
    nxt,
    touched,
    n_touched,
    step_planes,
    planes,
    group_planes,
    order,
    links,
    counts,
):
    """One step with the funnel: every tie of the frontier ``cur`` is tried in u's lanes.

    The same outcomes as :func:`~simulation.kernel.rules.cascade.cascade_step` per lane: in
    each lane in which u shared last step the tie is seen (impression, reach), engages a
    follower who had not shared before the step (maybe a comment, a click and a purchase), and
    may carry a share. Every count is per lane, in bit planes: the step's in ``planes`` (rows
    ``P_*``) and ``step_planes`` (new sharers), engagements per audience group in
    ``group_planes`` (for the batch). A wide frontier's ties keep their coins for the batch in
    ``cache`` (six words per tie, when ``batch`` >= 0: no decay), as :func:`_spread` does; and
    ``order``, ``links`` and ``counts`` (when not empty) get the cascade trees as there.

    Returns (people in the next frontier ``nxt``; people touched, listed in ``touched``).
    """
    zero = np.uint64(0)
    keep = batch >= 0 and _wide(indptr, cur, n_cur)
    if keep:
        n_touched = -1  # every row is cleared at the end of the batch
    tree = order.shape[0] > 0
    classed = tie_class.shape[0] > 0
    grouped = group_planes.shape[0] > 1
    n_nxt = 0
    for i in range(n_cur):
        u = cur[i]
        mask = masks[u, F]
        masks[u, F] = zero
        a = indptr[u]
        b = indptr[u + 1]
        if keep and ready[u] != batch:
            ready[u] = batch
            for j in range(a, b):
                k = tie_class[j] if classed else 0
                share = wide_lane_coins(keys[0], j, bars[0, k], all_lanes)
                seen = wide_lane_coins(keys[1], j, bars[1, k], all_lanes & ~share)
                click = wide_lane_coins(keys[4], j, bars[4, 0], all_lanes)
                cache[j, 0] = share
                cache[j, 1] = seen
                cache[j, 2] = wide_lane_coins(keys[2], j, bars[2, k], seen)
                cache[j, 3] = wide_lane_coins(keys[3], j, bars[3, 0], all_lanes)
                cache[j, 4] = click
                cache[j, 5] = lane_coins(keys[5], j, bars[5, 0], click)  # few lanes
        if keep:  # every count without a branch, as the wide step of _spread
            for j in range(a, b):
                v = indices[j]
                had = masks[v, 0]
                fresh = masks[v, B]
                shared = cache[j, 0] & mask
                seen = shared | (cache[j, 1] & mask)
                engaged = (shared | (seen & cache[j, 2])) & ~(had & ~fresh)
                click = cache[j, 4] & engaged
                converted = masks[v, CONVERTED_C]
                buy = cache[j, 5] & click & ~converted
                known = masks[v, SEEN_C]
                earned = masks[v, EARNED_C]
                people = masks[v, ENGAGED_C]
                add_row(planes, P_IMPRESSIONS, seen)
                add_row(planes, P_REACH, seen & ~known)
                add_row(planes, P_EARNED, seen & ~earned)
                add_row(planes, P_ENGAGEMENTS, engaged)
                if grouped:  # else the one group's are all of them
                    add_row(group_planes, segment_of[v], engaged)
                add_row(planes, P_ENGAGED, engaged & ~people)
                add_row(planes, P_COMMENTS, cache[j, 3] & engaged)
                add_row(planes, P_CLICKS, click)
                add_row(planes, P_BUYS, buy)
                masks[v, SEEN_C] = known | seen
                masks[v, EARNED_C] = earned | seen
                masks[v, ENGAGED_C] = people | engaged
                masks[v, CONVERTED_C] = converted | buy
                new = shared & ~had
                masks[v, 0] = had | new
                masks[v, B] = fresh | new
                if tree and new != zero:
                    _adopt(order, links, counts, v, u, new)
            continue
        for j in range(a, b):
            v = indices[j]
            had = masks[v, 0]
            fresh = masks[v, B]
            shared, seen, engaged, comment, click, buy = _tie_coins(
                keys,
                bars,
                j,
                tie_class[j] if classed else 0,
                mask,
                had & ~fresh,
                masks[v, CONVERTED_C],
            )
            if seen == zero:
                continue
            known = masks[v, SEEN_C]
            if known == zero and n_touched >= 0:  # -1: a wide step stopped the list
                touched[n_touched] = v
                n_touched += 1
            add_row(planes, P_IMPRESSIONS, seen)
            add_row(planes, P_REACH, seen & ~known)
            masks[v, SEEN_C] = known | seen
            earned = masks[v, EARNED_C]
            add_row(planes, P_EARNED, seen & ~earned)
            masks[v, EARNED_C] = earned | seen
            if engaged != zero:
                add_row(planes, P_ENGAGEMENTS, engaged)
                if grouped:
                    add_row(group_planes, segment_of[v], engaged)
                people = masks[v, ENGAGED_C]
                add_row(planes, P_ENGAGED, engaged & ~people)
                masks[v, ENGAGED_C] = people | engaged
                add_row(planes, P_COMMENTS, comment)
                add_row(planes, P_CLICKS, click)
                add_row(planes, P_BUYS, buy)
                masks[v, CONVERTED_C] |= buy
            new = shared & ~had
            if new != zero:
                if fresh == zero:
                    nxt[n_nxt] = v
                    n_nxt += 1
                masks[v, 0] = had | new
                masks[v, B] = fresh | new
                if tree:
                    _adopt(order, links, counts, v, u, new)
    return _next_frontier(masks, B, keep, nxt, n_nxt, step_planes), n_touched


@jit
def _in_order(people) -> None:
    """Sort ``people`` in place unless they already are (a frontier found by a scan is)."""
    for i in range(1, people.shape[0]):
        if people[i] < people[i - 1]:
            people.sort()
            return


@jit
def _count_step(planes, step_planes, lanes, lane0: int, nl: int) -> None:
    """Add a step's counts kept in bit planes to each lane's counters; clear the planes.

    ``step_planes``: the new sharers; ``planes``: the funnel's rows ``P_*`` (empty without).
    """
    used = PLANES  # planes above the largest count are all zero
    while used > 0 and step_planes[used - 1] == 0:
        used -= 1
    for i in range(nl):
        lane = lane0 + i
        c = plane_count(step_planes[:used], lane)
        lanes[lane, SHARERS] += c
        lanes[lane, SHARES] += c
        if planes.shape[0] > 0:
            for r in range(N_FUNNEL_PLANES):
                lanes[lane, PLANE_COUNTERS[r]] += plane_count(planes[r], lane)
            lanes[lane, LIKES] = lanes[lane, ENGAGEMENTS] - lanes[lane, COMMENTS]
    step_planes[:] = 0
    planes[:, :] = 0


@jit
def _count_groups(rows, touched, n_touched, segment_of, engaged, out, lane0, funnel) -> None:
    """A post's counts per audience group and lane at the end of a batch, into ``out``.

    Sharers (and with the funnel reach and conversions) from the people's rows, ``touched``
    listing them (``n_touched`` -1: look at everyone); engagements from ``engaged``, the
    batch's bit planes per group.
    """
    groups = out.shape[1]
    for c in range(3 if funnel else 1):
        col = (0, SEEN_C, CONVERTED_C)[c]
        counter = (SEG_SHARERS, SEG_REACH, SEG_CONVERSIONS)[c]
        seg_planes = np.zeros((groups, PLANES), np.uint64)
        if n_touched < 0:
            for v in range(rows.shape[0]):
                if rows[v, col] != 0:
                    add_row(seg_planes, segment_of[v], rows[v, col])
        for k in range(n_touched):
            v = touched[k]
            add_row(seg_planes, segment_of[v], rows[v, col])
        for i in range(out.shape[0]):
            for g in range(groups):
                out[i, g, counter] = plane_count(seg_planes[g], lane0 + i)
    if funnel:
        for i in range(out.shape[0]):
            for g in range(groups):
                out[i, g, SEG_ENGAGEMENTS] = plane_count(engaged[g], lane0 + i)


@jit
def _trees(order, links, counts, n_roots, deepest, lane0, virality, depth):
    """Structural virality and depth of each lane's cascade trees (as ``tree_sums``).

    ``order[lane, i]``: the lane's i-th sharer, ``links[lane, i]`` their parent (see
    :func:`_adopt`); the first ``n_roots[lane]`` are the seeds (-1 - k for the k-th). The
    parents are first turned into their numbers in the list (through ``number``, a person's
    number in the lane at hand). Parents come before their children, so subtree sizes are
    summed backwards, then each tie of a tree adds s (N - s) to its root's Wiener sum (the
    links end replaced by each sharer's root). A lane at a time: its arrays are compact, so the
    passes run in cache.
    """
    size = np.empty(links.shape[1], np.int64)
    number = np.empty(links.shape[1], np.int32)
    wiener = np.zeros(n_roots.max() if n_roots.shape[0] > 0 else 0)
    for i in range(virality.shape[0]):
        lane = lane0 + i
        c = counts[lane]
        roots = n_roots[lane]
        chain = links[lane]
        who = order[lane]
        for k in range(c):
            number[who[k]] = k
        for k in range(roots, c):  # a parent shared earlier in the lane: numbered above
            chain[k] = number[chain[k]]
        size[:c] = 1
        for k in range(c - 1, roots - 1, -1):
            size[chain[k]] += size[k]
        wiener[:roots] = 0.0
        for k in range(roots, c):
            u = chain[k]
            r = u if u < roots else chain[u]  # u's root (u came earlier)
            chain[k] = r
            wiener[r] += size[k] * (size[r] - size[k])
        weighted = 0.0
        weight = 0.0
        for k in range(roots):
            if size[k] >= 2:
                weighted += size[k] * (2.0 * wiener[k] / (size[k] * (size[k] - 1.0)))
                weight += size[k]
        virality[i] = weighted / weight if weight > 0 else 0.0
        depth[i] = deepest[lane]


@jit
def run_batch(
    graph: Graph,
    params: Params,
    campaign: Campaign,
    seed: np.uint64,
    first: int,
    lo: int,
    hi: int,
    steps: int,
    work,
    masks,
    live,
    cache,
    ready,
    tie_class,
    classes,
    chosen,
    scratch,
    seeds,
    serial,
    finals,
    segment_counts,
    lengths,
    peaks,
    timeline_sum,
    order,
    links,
    virality,
    depth,
) -> None:
    """Replicates ``lo .. hi - 1`` (within one block; output rows ``lo - first ..``) at once.

    ``work`` int32[posts, 3, n] (two frontiers, people touched) and ``masks``
    uint64[posts, n, 3] (a row per person, so a tie's end is one cache line: shared, shared
    last step, shared this step; zero on entry and on return) are the thread's. Posts are
    independent here (one per brand, no rivalry). With cascade trees (``order`` and ``links``
    int32[64, n], else empty) the main post's trees are kept per lane (see :func:`_adopt`).
    """
    posts = campaign.posts
    sets = campaign.seed_sets
    indptr, indices = graph.indptr, graph.indices
    segment_of = graph.segment_of
    tie_strong = graph.tie_strong
    ties = tie_strong.shape[0] > 0
    affinity = params.affinity
    n_seg = affinity.shape[1]
    n_posts = posts.brand.shape[0]
    brand_post = np.full(campaign.brands, -1, np.int64)
    for p in range(n_posts):
        brand_post[posts.brand[p]] = p
    main = brand_post[0]
    tree = order.shape[0] > 0 and main >= 0
    joined = np.zeros(LANES, np.int64)  # sharers of the main post per lane, seeds first
    n_roots = np.zeros(LANES, np.int64)
    deepest = np.zeros(LANES, np.int64)

    lane0 = lo & 63
    nl = hi - lo
    lanes = np.zeros((n_posts, LANES, N_COUNTERS), np.int64)
    step_planes = np.zeros(PLANES, np.uint64)
    lane_segments = np.zeros(
        (n_posts, LANES, segment_counts.shape[1], N_SEGMENT_COUNTERS), np.int64
    )
    seed_keys = np.empty((n_posts, LANES), np.uint64)
    before = np.zeros((n_posts, LANES), np.int64)
    most = np.zeros(LANES, np.int64)
    peak = np.zeros(LANES, np.int64)
    n_cur = np.zeros(n_posts, np.int64)
    n_touched = np.zeros(n_posts, np.int64)
    flip = np.zeros(n_posts, np.int64)
    counts = np.zeros(finals.shape[1], np.int64)
    funnel = params.funnel
    bars = np.zeros((6, 4 * n_seg), np.uint64)  # share, seen, engaged per class; the funnel's
    planes = np.zeros((N_FUNNEL_PLANES, PLANES), np.uint64)
    group_planes = np.zeros((n_posts, n_seg if funnel else 0, PLANES), np.uint64)
    running = np.uint64(0)
    block = block_key(seed, np.uint64(lo))
    keys = np.empty((n_posts, N_WORDS), np.uint64)
    for p in range(n_posts):
        for i in range(N_WORDS):
            keys[p, i] = derive(derive(block, p), PURPOSES[i])
    for i in range(nl):
        lane = lane0 + i
        running |= np.uint64(1) << np.uint64(lane)
        key = replicate_key(seed, np.uint64(lo + i))
        for p in range(n_posts):
            seed_keys[p, lane] = derive(derive(key, FOR_SEEDS), posts.seed_set[p])
    t = 0
    while True:
        for p in range(n_posts):
            start = posts.start[p]
            f = flip[p]
            cur, nxt, touched = work[p, f], work[p, 1 - f], work[p, 2]
            rows = masks[p]  # per person: shared, shared last step, shared this step
            shared, fresh = rows[:, 0], rows[:, 1 + f]
            if t == start:  # the seeds post, lane by lane
                s = posts.seed_set[p]
                budget = sets.budget[s]
                for i in range(nl):
                    lane = lane0 + i
                    bit = np.uint64(1) << np.uint64(lane)
                    if budget > 0:
                        pool = sets.people[sets.pool_lo[s] : sets.pool_hi[s]]
                        serial[0] += 1
                        m = draw_seeds(
                            seed_keys[p, lane], pool, budget, chosen, serial[0], scratch, seeds
                        )
                        people = seeds[:m]
                    else:
                        people = sets.people[sets.fixed_lo[s] : sets.fixed_hi[s]]
                    for k in range(people.shape[0]):
                        v = people[k]
                        if shared[v] & bit:
                            continue
                        untouched = rows[v, SEEN_C] == 0 if funnel else shared[v] == 0
                        if untouched and n_touched[p] >= 0:
                            touched[n_touched[p]] = v
                            n_touched[p] += 1
                        if fresh[v] == 0:
                            cur[n_cur[p]] = v
                            n_cur[p] += 1
                        shared[v] |= bit
                        fresh[v] |= bit
                        lanes[p, lane, SHARERS] += 1
                        if tree and p == main:  # the k-th seed of the lane: a root
                            slot = n_roots[lane]
                            n_roots[lane] = slot + 1
                            joined[lane] = slot + 1
                            order[lane, slot] = v
                            links[lane, slot] = -1 - slot
                        if funnel:  # reach per group: at the end of the batch
                            if not rows[v, SEEN_C] & bit:
                                rows[v, SEEN_C] |= bit
                                lanes[p, lane, REACH] += 1
                        else:
                            lanes[p, lane, REACH] += 1
                            lane_segments[p, lane, segment_of[v], SEG_REACH] += 1
            elif t > start and n_cur[p] > 0:
                age = t - start - 1
                bars[3, 0], bars[4, 0], bars[5, 0] = funnel_bars(posts, p)
                kin = order if tree and p == main else order[:0]
                if funnel or kin.shape[0] > 0:  # in memory order; the lowest sharer is the parent
                    _in_order(cur[: n_cur[p]])
                p_max = class_thresholds(
                    bars,
                    affinity[p],
                    posts.visibility[p],
                    posts.appeal[p],
                    posts.stickiness[p],
                    posts.decay[p] ** age,
                    params.strong_visibility,
                    params.weak_visibility,
                    posts.impact[p],
                    ties,
                    False,
                    affinity[p, :0],
                )
                if funnel:
                    n_cur[p], n_touched[p] = _spread_funnel(
                        indptr,
                        indices,
                        segment_of,
                        tie_class,
                        keys[p],
                        bars,
                        cache[p],
                        ready[p],
                        lo if posts.decay[p] == 1.0 else -1,
                        running,
                        rows,
                        1 + f,
                        2 - f,
                        cur,
                        n_cur[p],
                        nxt,
                        touched,
                        n_touched[p],
                        step_planes,
                        planes,
                        group_planes[p],
                        kin,
                        links,
                        joined,
                    )
                    _count_step(planes, step_planes, lanes[p], lane0, nl)
                elif p_max > 0.0:
                    n_cur[p], n_touched[p] = _spread(
                        indptr,
                        indices,
                        tie_class,
                        classes,
                        bars[0],
                        keys[p, 0],
                        live[p],
                        ready[p],
                        lo if posts.decay[p] == 1.0 else -1,
                        running,
                        rows,
                        1 + f,
                        2 - f,
                        cur,
                        n_cur[p],
                        nxt,
                        touched,
                        n_touched[p],
                        step_planes,
                        kin,
                        links,
                        joined,
                    )
                    _count_step(planes[:0], step_planes, lanes[p], lane0, nl)
                else:
                    for i in range(n_cur[p]):
                        fresh[cur[i]] = 0
                    n_cur[p] = 0
                flip[p] = 1 - f
        # The step's tally, lane by lane; a lane whose replicate ends here is written out.
        for i in range(nl):
            lane = lane0 + i
            bit = np.uint64(1) << np.uint64(lane)
            if not running & bit:
                continue
            done = True
            for p in range(n_posts):
                now = lanes[p, lane, SHARERS]
                lanes[p, lane, MENTIONS] = now + lanes[p, lane, COMMENTS]
                if posts.start[p] > t or now > before[p, lane]:
                    done = False
                if p == main and now > before[p, lane]:
                    deepest[lane] = t - posts.start[p]
                if p == main and t > 0 and now - before[p, lane] > most[lane]:
                    most[lane] = now - before[p, lane]
                    peak[lane] = t
                before[p, lane] = now
            _record(counts, lanes, brand_post, lane)
            timeline_sum[0, t, :] += counts
            if t >= steps or done:
                row = lo - first + i
                timeline_sum[1, t + 1, :] += counts
                finals[row, :] = counts
                if main >= 0:  # sharers per group: at the end of the batch
                    segment_counts[row, :, :] = lane_segments[main, lane]
                else:
                    segment_counts[row, :, :] = 0
                lengths[row] = t
                peaks[row] = peak[lane]
                running &= ~bit
        if running == 0:
            break
        t += 1
    if main >= 0:  # the main post's counts per group and lane, from who shared (saw, bought)
        _count_groups(
            masks[main],
            work[main, 2],
            n_touched[main],
            segment_of,
            group_planes[main],
            segment_counts[lo - first : hi - first],
            lane0,
            funnel,
        )
        if funnel and n_seg == 1:  # one group: its engagements are all of them
            for i in range(nl):
                engagements = lanes[main, lane0 + i, ENGAGEMENTS]
                segment_counts[lo - first + i, 0, SEG_ENGAGEMENTS] = engagements
    if tree:
        _trees(
            order,
            links,
            joined,
            n_roots,
            deepest,
            lane0,
            virality[lo - first : hi - first],
            depth[lo - first : hi - first],
        )
    for p in range(n_posts):
        cur, fresh = work[p, flip[p]], masks[p, :, 1 + flip[p]]
        for k in range(n_cur[p]):
            fresh[cur[k]] = 0
        rows, touched = masks[p], work[p, 2]
        if n_touched[p] < 0:
            rows[:, :] = 0
        for k in range(n_touched[p]):
            rows[touched[k], :] = 0


@jit
def run_blocks(
    graph: Graph,
    params: Params,
    campaign: Campaign,
    seed: np.uint64,
    first: int,
    runs: int,
    worker: int,
    workers: int,
    steps: int,
    tree: bool,
    tie_class,
    classes,
    finals,
    segment_counts,
    lengths,
    peaks,
    virality,
    depth,
    timeline_sum,
) -> None:
    """Worker ``worker``'s batches: the blocks of 64 replicates b = worker, worker + workers, ..."""
    n = graph.indptr.shape[0] - 1
    n_posts = campaign.posts.brand.shape[0]
    work = np.empty((n_posts, 3, n), np.int32)
    m = graph.indices.shape[0]
    funnel = params.funnel
    masks = np.zeros((n_posts, n, ROW if funnel else 3), np.uint64)
    live = np.empty((n_posts, 0 if funnel else m), np.uint64)
    cache = np.empty((n_posts, m if funnel else 0, N_WORDS), np.uint64)
    order = np.empty((LANES if tree else 0, n), np.int32)  # see _adopt
    links = np.empty((LANES, n if tree else 0), np.int32)
    ready = np.full((n_posts, n), -1, np.int64)
    chosen = np.zeros(n, np.int64)
    scratch = np.empty(n, np.int64)
    seeds = np.empty(max(campaign.seed_slots, 1), np.int32)
    serial = np.zeros(1, np.int64)
    end = first + runs
    b = (first >> 6) + worker
    while (b << 6) < end:
        lo = max(first, b << 6)
        hi = min(end, (b + 1) << 6)
        run_batch(
            graph,
            params,
            campaign,
            seed,
            first,
            lo,
            hi,
            steps,
            work,
            masks,
            live,
            cache,
            ready,
            tie_class,
            classes,
            chosen,
            scratch,
            seeds,
            serial,
            finals,
            segment_counts,
            lengths,
            peaks,
            timeline_sum,
            order,
            links,
            virality,
            depth,
        )
        b += workers


def classes_of_ties(graph: Graph, params: Params) -> tuple[np.ndarray, np.ndarray]:
    """Each tie's coin class and the classes in use.

    A tie's class is its receiver's audience group (+ 2 x groups if the tie is strong), read in
    tie order where coins are drawn instead of looked up through the receiver. With a
    single class in use the per-tie array is empty (every tie has the one threshold).
    """
    groups = params.affinity.shape[1]
    ties = graph.tie_strong.shape[0] > 0
    classes = np.arange(groups)
    if ties:
        classes = np.concatenate([classes, classes + 2 * groups])
    if classes.shape[0] == 1:
        return np.zeros(0, np.int32), classes
    tie_class = graph.segment_of[graph.indices].astype(np.int32)
    if ties:
        tie_class += (2 * groups * graph.tie_strong).astype(np.int32)
    return tie_class, classes


def run_batched(
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
    tie_classes: tuple[np.ndarray, np.ndarray] | None = None,
) -> None:
    """Replicates first_run .. first_run + runs - 1, a block of 64 per traversal, on threads.

    The arguments and outputs are those of
    :func:`~simulation.kernel.replicates.run_replicates`; ``timeline_sum[w]`` is worker w's.
    ``tie_classes``: :func:`classes_of_ties`, to compute once for many calls.
    """
    from simulation.kernel.replicates import in_threads

    if tie_classes is None:
        tie_classes = classes_of_ties(graph, params)
    tie_class, classes = tie_classes
    blocks = ((first_run + runs - 1) >> 6) - (first_run >> 6) + 1 if runs > 0 else 0
    workers = max(1, min(workers, blocks))

    def job(w: int) -> None:
        run_blocks(
            graph,
            params,
            campaign,
            seed,
            first_run,
            runs,
            w,
            workers,
            steps,
            tree,
            tie_class,
            classes,
            finals,
            segment_counts,
            lengths,
            peaks,
            virality,
            depth,
            timeline_sum[w],
        )

    in_threads(job, workers)
