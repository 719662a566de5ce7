"""Time and attention: who is online, what a person reads, wear-out, and frequency caps.

Every function takes ``timing`` (``Params.timing``, a :class:`~simulation.kernel.layout.Timing`
or ``None``) as an argument and does nothing when it is ``None``: numba prunes the branch, so a
scenario without time and attention compiles none of this. Each decision is a function of
counters only, never of the order the kernel reaches exposures:

* **online**: the share of a class's people online at step t multiplies the visibility of the
  class's exposures (:func:`online_now`, a row of the activity table built by
  :func:`simulation.kernel_inputs.timing_inputs`);
* **attention**: before a step spreads, every feed item of the step (a tie from a person who
  shared in the previous step, of every post) gets a priority, a uniform of (replicate, post,
  step, tie); a person reads the ``attention`` items of lowest priority and no others
  (:func:`rank_feed`, :func:`reads`);
* **fatigue**: a person's load for a brand is the sum over their earlier exposures to it (shares
  seen, ad impressions) of ``recovery ** (steps since)``; appeal is multiplied by
  ``keep ** load``, the load counting only exposures before the current step
  (:func:`wear_factor`, :func:`wear`), and for the m items of the brand in their feed this
  step (counted before the step spreads) by the mean of ``keep ** k`` over k < m, as if read
  in a random order (:func:`count_feed`, :func:`feed_factor`);
* **frequency cap**: an ad's impression goes to a person who has had fewer than ``cap`` of its
  impressions in the current window; otherwise it is redelivered to another person of the
  audience (:func:`ad_target`).
"""

from __future__ import annotations

import numpy as np

from simulation._jit import jit
from simulation.kernel.layout import SPAN
from simulation.kernel.random import coin, coin_bar, derive, uniform

__all__ = [
    "REDELIVERIES",
    "ad_target",
    "count_feed",
    "feed_factor",
    "fresh",
    "online_now",
    "rank_feed",
    "reads",
    "wear",
    "wear_factor",
    "wears",
]

# Draws of another person from the audience for a capped impression before it is dropped.
REDELIVERIES = 32


@jit
def online_now(timing, t: int, always):
    """``float64[classes]``: P(online) of each class at step t (``always``, empty: everyone)."""
    if timing is None:
        return always
    online = timing.online
    if online.shape[0] == 0:
        return always
    return online[(timing.phase0 + t) % online.shape[0]]


@jit
def wears(timing) -> bool:
    """Whether repeated exposure to a brand wears off (fatigue is on)."""
    if timing is None:
        return False
    return timing.keep < 1.0


@jit
def rank_feed(indptr, indices, key, frontier, top, count, stamp, now: int, attention: int):
    """Keep, for every follower of ``frontier``, the ``attention`` lowest priorities this step.

    The priority of the feed item over tie j is ``uniform(key, j)`` (key: replicate, post and
    step). ``stamp[v] != now`` marks v's row as left from an earlier step.
    """
    for i in range(frontier.shape[0]):
        u = frontier[i]
        for j in range(indptr[u], indptr[u + 1]):
            v = indices[j]
            priority = uniform(key, j)
            if stamp[v] != now:
                stamp[v] = now
                count[v] = 0
            c = count[v]
            if c < attention:
                top[v, c] = priority
                count[v] = c + 1
                continue
            worst = 0
            for k in range(1, attention):
                if top[v, k] > top[v, worst]:
                    worst = k
            if priority < top[v, worst]:
                top[v, worst] = priority


@jit
def reads(timing, rooms, now: int, key, j: int, v: int) -> bool:
    """Whether v reads the feed item over tie j this step (one of the lowest priorities)."""
    if timing is None:
        return True
    attention = timing.attention
    if attention <= 0:
        return True
    top = rooms.heed_top
    if rooms.heed_stamp[v] != now or rooms.heed_count[v] < attention:
        return True
    largest = top[v, 0]
    for k in range(1, attention):
        largest = max(largest, top[v, k])
    return uniform(key, j) <= largest


@jit
def wear_factor(timing, rooms, own: int, epoch: int, t: int, v: int) -> float:
    """``keep ** load``: what is left of brand ``own``'s appeal for v at step t (before t)."""
    if timing is None:
        return 1.0
    if timing.keep >= 1.0:
        return 1.0
    base = epoch * SPAN
    m = rooms.wear_mark[own, v]
    if m < base:
        return 1.0
    total = rooms.wear_load[own, v]
    if m - base < t:
        total = (total + rooms.wear_new[own, v]) * timing.recovery ** (t - (m - base))
    return timing.keep**total


@jit
def wear(timing, rooms, own: int, epoch: int, t: int, v: int) -> None:
    """Count an exposure of v to brand ``own`` at step t (it weighs from step t + 1 on)."""
    if timing is None:
        return
    if timing.keep >= 1.0:
        return
    load, new, mark = rooms.wear_load[own], rooms.wear_new[own], rooms.wear_mark[own]
    base = epoch * SPAN
    m = mark[v]
    if m < base:
        load[v] = 0.0
        new[v] = 0
        mark[v] = base + t
    elif m - base < t:
        load[v] = (load[v] + new[v]) * timing.recovery ** (t - (m - base))
        new[v] = 0
        mark[v] = base + t
    new[v] += 1


@jit
def count_feed(indptr, indices, frontier, count, mark, now: int) -> None:
    """Count, for every follower of ``frontier``, one more item of the brand this step."""
    for i in range(frontier.shape[0]):
        u = frontier[i]
        for j in range(indptr[u], indptr[u + 1]):
            v = indices[j]
            if mark[v] != now:
                mark[v] = now
                count[v] = 0
            count[v] += 1


@jit
def feed_factor(timing, rooms, own: int, now: int, v: int) -> float:
    """Fatigue within a step: the mean of keep ** k, k = 0 .. m - 1, for m items of the brand.

    The m items of a brand in v's feed this step are read in a random order, each tiring v for
    the next: an item's place is uniform, so its engagement is times this mean (exact for each
    item, whatever the order the kernel reaches them).
    """
    if timing is None:
        return 1.0
    keep = timing.keep
    if keep >= 1.0 or rooms.feed_mark[own, v] != now or rooms.feed_count[own, v] <= 1:
        return 1.0
    m = rooms.feed_count[own, v]
    return (1.0 - keep**m) / (m * (1.0 - keep))


@jit
def fresh(
    timing, rooms, own: int, epoch: int, t: int, v: int, key, lane, index: int, within: float
) -> bool:
    """Whether v's engagement survives fatigue: a coin of P = :func:`wear_factor` x ``within``.

    ``within`` is :func:`feed_factor` for a feed item (1 for an ad impression).
    """
    if timing is None:
        return True
    factor = wear_factor(timing, rooms, own, epoch, t, v) * within
    if factor >= 1.0:
        return True
    return coin(key, lane, index, coin_bar(factor))


@jit
def ad_window(timing, a: int, epoch: int, t: int) -> int:
    """The stamp of ad a's frequency window holding step t."""
    width = timing.ad_window[a]
    window = 0 if width <= 0 else (timing.ad_offset[a] + t) // width
    return epoch * SPAN + window


@jit
def ad_target(timing, rooms, audience, key, a: int, i: int, epoch: int, t: int) -> int:
    """The person impression i of ad a goes to at step t (-1: everyone drawn is capped).

    The first draw is ``uniform(key, i)``; a capped person's impression is redelivered to the
    person of ``uniform(derive(key, r), i)``, r = 1, 2, ... (at most :data:`REDELIVERIES`).
    The impression is counted against its person's cap.
    """
    m = audience.shape[0]
    v = audience[int(uniform(key, i) * m)]
    if timing is None:
        return v
    cap = timing.ad_cap[a]
    if cap <= 0:
        return v
    window = ad_window(timing, a, epoch, t)
    count, mark = rooms.ad_count, rooms.ad_mark
    for r in range(REDELIVERIES + 1):
        if r > 0:
            v = audience[int(uniform(derive(key, r), i) * m)]
        if mark[a, v] != window:
            mark[a, v] = window
            count[a, v] = 0
        if count[a, v] < cap:
            count[a, v] += 1
            return v
    return np.int32(-1)
