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

Per-lane counts are kept in bit planes (:func:`add_planes`).

Results are bit-identical to the scalar path (tests/test_batched.py): who shares in a step
under the pure independent cascade does not depend on the order the frontier is processed
(a tie is live or not whatever reaches it first), and neither do the counts served here.

What it serves is an explicit whitelist (:func:`supports`): one post per brand under the
cascade rule, no funnel, no cascade trees, no ads, crisis, repeat posts, exclusive market or
brand tracking, and no ``Params``/``Campaign`` fields it does not know. Everything else takes
the scalar path (:mod:`simulation.kernel.replicates`).

Memory per thread and post: 60 bytes per person (the masks; two frontiers and the people
touched; the batch stamp of ``live``; the seed draw's scratch) and 8 bytes per tie (``live``),
plus 4 bytes per tie shared by the threads (each tie's class, when there is more than one),
whatever the number of replicates: a million people and five million ties, 100 MB a thread.
"""

from __future__ import annotations

import numpy as np

from simulation._jit import jit
from simulation.kernel.layout import (
    CASCADE,
    FOR_SEEDS,
    FOR_SHARE,
    MENTIONS,
    N_COUNTERS,
    N_SEGMENT_COUNTERS,
    REACH,
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
from simulation.kernel.rules.cascade import class_thresholds

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


def supports(params: Params, campaign: Campaign, tree: bool) -> bool:
    """Whether the batched path serves this run (the whitelist; else the scalar path).

    Served: one post per brand (competitors included: without an exclusive market their posts
    never meet) under the cascade rule with sharers-only counting (no funnel), no cascade
    trees, no ads, no crisis, no repeat posts, no brand tracking; segments and tie strengths in
    any form, random or fixed seeds, any start step and decay.
    """
    if tuple(params._fields) != _PARAMS or tuple(campaign._fields) != _CAMPAIGN:
        return False
    posts = campaign.posts
    brands = np.asarray(posts.brand)
    return bool(
        not tree
        and not params.funnel
        and params.threshold is None
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

    Returns (people in the next frontier ``nxt``, with their lanes in column B; people touched).
    """
    n = indptr.shape[0] - 1
    zero = np.uint64(0)
    work = 0
    for i in range(n_cur):
        u = cur[i]
        work += indptr[u + 1] - indptr[u]
    scan = work * 16 > n
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
    if scan:
        for v in range(n):
            if masks[v, B] != zero:
                nxt[n_nxt] = v
                n_nxt += 1
    for i in range(n_nxt):  # the step's new shares, counted per lane in bit planes
        v = nxt[i]
        new = masks[v, B]
        add_planes(step_planes, new)
    return n_nxt, n_touched


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
) -> None:
    """Replicates ``lo .. hi - 1`` (within one block; output rows ``lo - first ..``) at once.

    ``work`` int32[posts, 3, n] (two frontiers, people touched) and ``masks``
    uint64[posts, n, 3] (a row per person, so a tie's end is one cache line: shared, shared
    last step, shared this step; zero on entry and on return) are the thread's. Posts are
    independent here (one per brand, no rivalry).
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

    lane0 = lo & 63
    nl = hi - lo
    lanes = np.zeros((n_posts, LANES, N_COUNTERS), np.int64)
    step_planes = np.zeros(PLANES, np.uint64)
    lane_segments = np.zeros(
        (n_posts, LANES, segment_counts.shape[1], N_SEGMENT_COUNTERS), np.int64
    )
    seed_keys = np.empty((n_posts, LANES), np.uint64)
    k_share = np.empty(n_posts, np.uint64)
    before = np.zeros((n_posts, LANES), np.int64)
    most = np.zeros(LANES, np.int64)
    peak = np.zeros(LANES, np.int64)
    n_cur = np.zeros(n_posts, np.int64)
    n_touched = np.zeros(n_posts, np.int64)
    flip = np.zeros(n_posts, np.int64)
    counts = np.zeros(finals.shape[1], np.int64)
    bars = np.zeros((3, 4 * n_seg), np.uint64)
    running = np.uint64(0)
    block = block_key(seed, np.uint64(lo))
    for p in range(n_posts):
        k_share[p] = derive(derive(block, p), FOR_SHARE)
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
                        if shared[v] == 0 and n_touched[p] >= 0:
                            touched[n_touched[p]] = v
                            n_touched[p] += 1
                        if fresh[v] == 0:
                            cur[n_cur[p]] = v
                            n_cur[p] += 1
                        shared[v] |= bit
                        fresh[v] |= bit
                        seg = segment_of[v]
                        lanes[p, lane, REACH] += 1
                        lanes[p, lane, SHARERS] += 1
                        lane_segments[p, lane, seg, SEG_REACH] += 1
            elif t > start and n_cur[p] > 0:
                age = t - start - 1
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
                if p_max > 0.0:
                    n_cur[p], n_touched[p] = _spread(
                        indptr,
                        indices,
                        tie_class,
                        classes,
                        bars[0],
                        k_share[p],
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
                    )
                    used = PLANES  # planes above the largest count are all zero
                    while used > 0 and step_planes[used - 1] == 0:
                        used -= 1
                    for i in range(nl):
                        lane = lane0 + i
                        c = plane_count(step_planes[:used], lane)
                        lanes[p, lane, SHARERS] += c
                        lanes[p, lane, SHARES] += c
                    step_planes[:] = 0
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
                lanes[p, lane, MENTIONS] = now
                if posts.start[p] > t or now > before[p, lane]:
                    done = False
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
    if main >= 0:  # the main post's sharers per group and lane, from who shared
        shared, touched = masks[main, :, 0], work[main, 2]
        seg_planes = np.zeros((segment_counts.shape[1], PLANES), np.uint64)
        if n_touched[main] < 0:
            for v in range(shared.shape[0]):
                if shared[v] != 0:
                    add_planes(seg_planes[segment_of[v]], shared[v])
        for k in range(n_touched[main]):
            v = touched[k]
            add_planes(seg_planes[segment_of[v]], shared[v])
        for i in range(nl):
            row = lo - first + i
            for g in range(segment_counts.shape[1]):
                segment_counts[row, g, SEG_SHARERS] = plane_count(seg_planes[g], lane0 + i)
    for p in range(n_posts):
        cur, fresh = work[p, flip[p]], masks[p, :, 1 + flip[p]]
        for k in range(n_cur[p]):
            fresh[cur[k]] = 0
        shared, touched = masks[p, :, 0], work[p, 2]
        if n_touched[p] < 0:
            shared[:] = 0
        for k in range(n_touched[p]):
            shared[touched[k]] = 0


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
    tie_class,
    classes,
    finals,
    segment_counts,
    lengths,
    peaks,
    timeline_sum,
) -> None:
    """Worker ``worker``'s batches: the blocks of 64 replicates b = worker, worker + workers, ..."""
    n = graph.indptr.shape[0] - 1
    n_posts = campaign.posts.brand.shape[0]
    work = np.empty((n_posts, 3, n), np.int32)
    masks = np.zeros((n_posts, n, 3), np.uint64)
    live = np.empty((n_posts, graph.indices.shape[0]), np.uint64)
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
    finals: np.ndarray,
    segment_counts: np.ndarray,
    lengths: np.ndarray,
    peaks: np.ndarray,
    timeline_sum: np.ndarray,
    tie_classes: tuple[np.ndarray, np.ndarray] | None = None,
) -> None:
    """Replicates first_run .. first_run + runs - 1, a block of 64 per traversal, on threads.

    The outputs are those of :func:`~simulation.kernel.replicates.run_replicates` (without
    trees); ``timeline_sum[w]`` is worker w's. ``tie_classes``: :func:`classes_of_ties`, to
    compute once for many calls.
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
            tie_class,
            classes,
            finals,
            segment_counts,
            lengths,
            peaks,
            timeline_sum[w],
        )

    in_threads(job, workers)
