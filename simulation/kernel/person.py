"""What happens to one person: they see a post, engage with it, share it, or post it as a seed.

Every function takes plain arrays and scalars (passing the kernel's named tuples into a callee
inside a hot loop makes numba update reference counts of every member on every call: 10-40x
slower). Funnel decisions are :func:`~simulation.kernel.random.coin` s under keys the caller
derives for the exposure's family (post, purpose, and the step for a repeated post).
"""

from __future__ import annotations

from simulation._jit import jit
from simulation.kernel.layout import (
    C_EPOCH,
    CLICKS,
    COMMENTS,
    CONVERSIONS,
    CONVERTED,
    EARNED,
    EARNED_REACH,
    ENGAGED,
    ENGAGED_PEOPLE,
    ENGAGEMENTS,
    I_BRAND,
    I_EXCLUSIVE,
    I_TRACK,
    IMPRESSIONS,
    LIKES,
    NEGATIVE_MASK,
    PAID,
    PAID_CONVERSIONS,
    PAID_IMPRESSIONS,
    PAID_REACH,
    REACH,
    SEEN,
    SEG_CONVERSIONS,
    SEG_ENGAGEMENTS,
    SEG_REACH,
    SEG_SHARERS,
    SHARED,
    SHARERS,
    SHARES,
)
from simulation.kernel.random import coin, uniform


@jit
def touch(stamp, flags, count, required, epoch, v) -> None:
    """Make v's state valid for this replicate (fresh if first touched)."""
    if stamp[v] != epoch:
        stamp[v] = epoch
        flags[v] = 0
        count[v] = 0
        required[v] = -1


@jit
def see(flags, counters, segment_counters, seg, v, paid) -> int:
    """Count an exposure of v, through an ad (``paid``) or a share; return the flags set first."""
    channel = PAID if paid else EARNED
    counters[IMPRESSIONS] += 1
    if paid:
        counters[PAID_IMPRESSIONS] += 1
    f = flags[v]
    if f & channel:
        return 0
    flags[v] = f | channel | SEEN
    counters[PAID_REACH if paid else EARNED_REACH] += 1
    if f & SEEN:
        return channel
    counters[REACH] += 1
    segment_counters[seg, SEG_REACH] += 1
    return channel | SEEN


@jit
def engage(flags, counters, segment_counters, keys, lane, index, bars, seg, v, paid) -> int:
    """An engagement by v: like or comment, maybe a click and a purchase.

    ``keys`` and ``bars``: the (comment, click, purchase) coins' keys and thresholds; ``index``
    names the exposure; ``paid``: it followed an ad. Returns ENGAGED if this is v's first
    engagement with the post, else 0.
    """
    first = 0
    if not flags[v] & ENGAGED:
        flags[v] |= ENGAGED
        counters[ENGAGED_PEOPLE] += 1
        first = ENGAGED
    counters[ENGAGEMENTS] += 1
    segment_counters[seg, SEG_ENGAGEMENTS] += 1
    if coin(keys[0], lane, index, bars[0]):
        counters[COMMENTS] += 1
    else:
        counters[LIKES] += 1
    if coin(keys[1], lane, index, bars[1]):
        counters[CLICKS] += 1
        if not flags[v] & CONVERTED and coin(keys[2], lane, index, bars[2]):
            flags[v] |= CONVERTED
            counters[CONVERSIONS] += 1
            segment_counters[seg, SEG_CONVERSIONS] += 1
            if paid:
                counters[PAID_CONVERSIONS] += 1
    return first


@jit
def share(tree, flags, counters, segment_counters, seg, v, parent, earned) -> None:
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


@jit
def adopt_parent(tree, v, parent) -> None:
    """Move v (who shared this step, so has no followers in the tree yet) below ``parent``."""
    _, parents, depth, root = tree
    parents[v] = parent
    depth[v] = depth[parent] + 1
    root[v] = root[parent]


@jit
def mark(brand_stamp, brand_flags, brand_counters, brand_segment_counters, epoch, v, seg, bits):
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


@jit
def rival(brand_stamp, brand_flags, own, epoch, v) -> bool:
    """Whether v has shared a brand other than ``own`` (exclusive market)."""
    for b in range(brand_stamp.shape[0]):
        if b != own and brand_stamp[b, v] == epoch and brand_flags[b, v] & SHARED:
            return True
    return False


@jit
def negative(negative_stamp, negative_flags, epoch, v) -> bool:
    """Whether v saw the crisis and was not won back."""
    return negative_stamp[v] == epoch and (negative_flags[v] & NEGATIVE_MASK) == SEEN


@jit
def draw_seeds(key, pool, budget, chosen, token, scratch, out) -> int:
    """Draw ``budget`` different people from ``pool`` at random into ``out``.

    Draw i is :func:`~simulation.kernel.random.uniform` (key, i). Few from many: draw with
    replacement and skip repeats (``chosen[v] == token`` marks a drawn person); else a partial
    Fisher-Yates shuffle of a copy of the pool in ``scratch``. Returns how many were drawn
    (``min(budget, len(pool))``).
    """
    m = pool.shape[0]
    budget = min(budget, m)
    if 2 * budget <= m:
        placed = 0
        i = 0
        while placed < budget:
            v = pool[int(uniform(key, i) * m)]
            i += 1
            if chosen[v] != token:
                chosen[v] = token
                out[placed] = v
                placed += 1
    else:
        for i in range(m):
            scratch[i] = pool[i]
        for i in range(budget):
            j = i + int(uniform(key, i) * (m - i))
            scratch[i], scratch[j] = scratch[j], scratch[i]
            out[i] = scratch[i]
    return budget


@jit
def post_seeds(
    segment_of,
    cursor,
    stamp,
    flags,
    count,
    required,
    tree,
    counters,
    segs,
    info,
    brand_stamp,
    brand_flags,
    brand_counters,
    brand_segments,
    people,
) -> None:
    """People post the content (seeds): each shares it once, unless loyal to a rival brand."""
    epoch = cursor[C_EPOCH]
    own = info[I_BRAND]
    track = info[I_TRACK] != 0
    exclusive = info[I_EXCLUSIVE] != 0
    for i in range(people.shape[0]):
        v = people[i]
        touch(stamp, flags, count, required, epoch, v)
        if flags[v] & SHARED:
            continue
        if exclusive and rival(brand_stamp, brand_flags, own, epoch, v):
            continue
        seg = segment_of[v]
        if not flags[v] & SEEN:
            flags[v] |= SEEN
            counters[REACH] += 1
            segs[seg, SEG_REACH] += 1
        share(tree, flags, counters, segs, seg, v, -1, False)
        if track:
            mark(
                brand_stamp[own],
                brand_flags[own],
                brand_counters[own],
                brand_segments[own],
                epoch,
                v,
                seg,
                SEEN | SHARED,
            )
