"""Counter-based random numbers: every decision is a pure function of what it decides.

A replicate never draws from a stream whose order depends on the traversal. Each decision
hashes what it is about: (scenario seed, replicate, post, purpose, and the tie, person, step or
impression decided), so a replicate gives the same numbers whatever runs beside it, in whatever
order the code reaches its decisions, whatever metrics are asked for, in the Monte Carlo loop or
the Mesa model, and alone or batched with other replicates.

* A **key** names one family of decisions: :func:`replicate_key` / :func:`block_key` of
  (seed, replicate), then :func:`derive` for the post, the purpose and, where a decision
  repeats, the step.
* :func:`uniform` gives the real number of decision ``index`` under a key: output ``index`` of
  SplitMix64 seeded with the key (Steele, Lea & Flood 2014).
* :func:`coin` gives a Bernoulli(p) outcome for replicate ``r`` as ``U < p`` for a uniform U
  whose binary digits, most significant first, are bit ``r mod 64`` of successive hashes under
  the key of block ``r // 64``. One hash thus holds one digit of 64 replicates' uniforms, so a
  batch of 64 replicates can decide a tie for all of them at once (about 8 hashes) and get
  exactly the outcomes that one replicate alone gets (about 2 hashes). U is fixed per decision,
  so decisions are coupled across probabilities: raising p never turns a success into a failure.

Probabilities enter :func:`coin` as 64-bit thresholds (:func:`coin_bar`): ``floor(p x 2^64)``,
with :data:`ALWAYS` for p >= 1.
"""

from __future__ import annotations

import numpy as np

from simulation._jit import jit

__all__ = [
    "ALWAYS",
    "block_key",
    "coin",
    "coin_bar",
    "derive",
    "lane_coins",
    "replicate_key",
    "splitmix64",
    "uniform",
    "wide_lane_coins",
]

GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
UNROLLED = 10  # digits wide_lane_coins draws without a branch
_LEVEL_STRIDE = np.uint64((64 * 0x9E3779B97F4A7C15) % 2**64)  # a decision's 64 digits
_TO_UNIT = 1.0 / 9007199254740992.0  # 2 ** -53
_TWO_64 = 18446744073709551616.0
ALWAYS = np.uint64(0xFFFFFFFFFFFFFFFF)
_REPLICATE_SALT = np.uint64(0x5851F42D4C957F2D)
_BLOCK_SALT = np.uint64(0x14057B7EF767814F)
LANES = 64


@jit(inline="always")
def splitmix64(x: np.uint64) -> np.uint64:
    """SplitMix64 (Steele, Lea & Flood 2014): a well-mixed hash of a 64-bit word."""
    z = x + GOLDEN
    z = (z ^ (z >> np.uint64(30))) * _MIX1
    z = (z ^ (z >> np.uint64(27))) * _MIX2
    return z ^ (z >> np.uint64(31))


@jit
def derive(key: np.uint64, label: int) -> np.uint64:
    """The key of a sub-family of decisions: ``label`` (a post, a purpose, a step) under key."""
    return splitmix64(np.uint64(key) ^ splitmix64(np.uint64(label) * _MIX1 + GOLDEN))


@jit
def replicate_key(seed: np.uint64, run: np.uint64) -> np.uint64:
    """Key of replicate ``run``'s real-valued draws (seeds drawn, thresholds, ad targets)."""
    return derive(derive(_REPLICATE_SALT, seed), run)


@jit
def block_key(seed: np.uint64, run: np.uint64) -> np.uint64:
    """Key of the coins of replicates ``64 (run // 64) ..`` (see :func:`coin`)."""
    return derive(derive(_BLOCK_SALT, seed), run >> np.uint64(6))


@jit
def uniform(key: np.uint64, index: int) -> float:
    """The uniform double in [0, 1) of decision ``index`` under ``key``."""
    word = splitmix64(np.uint64(key) + np.uint64(index) * GOLDEN)
    return float(word >> np.uint64(11)) * _TO_UNIT


@jit
def coin_bar(p: float) -> np.uint64:
    """A probability as :func:`coin`'s threshold: floor(p x 2^64), ALWAYS for p >= 1."""
    if p >= 1.0:
        return ALWAYS
    if p <= 0.0:
        return np.uint64(0)
    return np.uint64(p * _TWO_64)


@jit(inline="always")
def coin(key: np.uint64, lane: np.uint64, index: int, bar: np.uint64) -> bool:
    """Whether decision ``index`` succeeds in the replicate of ``lane`` (= replicate mod 64).

    ``key`` is a :func:`block_key` derivative, ``bar`` a :func:`coin_bar`. Compares the
    decision's uniform with the threshold digit by digit, most significant first; digit k of
    the uniform is bit ``lane`` of ``splitmix64(key + (64 index + k) x golden)``.
    """
    rest = np.uint64(bar)
    if rest == ALWAYS:
        return True
    counter = np.uint64(key) + np.uint64(index) * _LEVEL_STRIDE
    one = np.uint64(1)
    while rest != 0:
        top = rest >> np.uint64(63)
        digit = (splitmix64(counter) >> lane) & one
        if digit != top:
            return digit < top
        rest = rest << one
        counter += GOLDEN
    return False


@jit(inline="always")
def _settle(counter: np.uint64, rest: np.uint64, undecided: np.uint64, won: np.uint64) -> np.uint64:
    """Compare the undecided lanes' digits from ``counter`` on with the threshold's ``rest``."""
    one = np.uint64(1)
    while rest != 0 and undecided != 0:
        digits = splitmix64(counter)
        if rest >> np.uint64(63):
            won |= undecided & ~digits  # digit 0 under a threshold digit 1: U < bar
            undecided &= digits
        else:
            undecided &= ~digits  # digit 1 over a threshold digit 0: U > bar
        rest = rest << one
        counter += GOLDEN
    return won


@jit(inline="always")
def lane_coins(key: np.uint64, index: int, bar: np.uint64, ask: np.uint64) -> np.uint64:
    """The lanes of ``ask`` whose coin ``coin(key, lane, index, bar)`` succeeds, all at once.

    Digit k of every lane's uniform is one bit of the same hash, so the comparison with the
    threshold runs digit by digit for the undecided lanes together.
    """
    if bar == ALWAYS:
        return ask
    counter = np.uint64(key) + np.uint64(index) * _LEVEL_STRIDE
    return _settle(counter, np.uint64(bar), ask, np.uint64(0))


@jit(inline="always")
def wide_lane_coins(key: np.uint64, index: int, bar: np.uint64, ask: np.uint64) -> np.uint64:
    """:func:`lane_coins` for many lanes at once (the same outcomes).

    The first :data:`UNROLLED` digits are drawn without a branch (independent hashes the
    processor overlaps; a digit under a settled lane changes nothing): 64 lanes are mostly
    settled by then, and the exit of a data-dependent loop is the costly part. For a few lanes
    (about 2 + log2(lanes) digits) :func:`lane_coins` is cheaper.
    """
    if bar == ALWAYS:
        return ask
    rest = np.uint64(bar)
    counter = np.uint64(key) + np.uint64(index) * _LEVEL_STRIDE
    undecided = ask
    won = np.uint64(0)
    one = np.uint64(1)
    for _ in range(UNROLLED):
        digits = splitmix64(counter)
        high = np.uint64(0) - (rest >> np.uint64(63))  # all ones where the threshold digit is 1
        won |= undecided & ~digits & high
        undecided &= ~(digits ^ high)
        rest = rest << one
        counter += GOLDEN
    return _settle(counter, rest, undecided, won)
