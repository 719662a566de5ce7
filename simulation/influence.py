"""Influence maximisation: choose the seeds that spread the content furthest.

The algorithms a strategist can name in ``[seeding] strategy``, on plain arrays:

* :func:`imm` — Tang, Shi & Xiao (2015): reverse-reachable (RR) sets sampled in numba, the
  paper's martingale sample bound, greedy maximum coverage; a (1 - 1/e - epsilon) approximation
  with probability at least 1 - n^-ell under the independent cascade.
* :func:`celf` — Leskovec et al. (2007) lazy-forward greedy on Monte Carlo spread, where every
  estimate is a batch of replicates of the project's own kernel (so it optimises the scenario's
  real objective, any rule and decay included).
* :func:`degree_discount` — Chen, Wang & Yang (2009), with per-tie probabilities.
* :func:`betweenness` — sampled betweenness centrality (networkx, Brandes & Pich 2007).

Influence flows along follower ties: ``u``'s shares reach ``indices[indptr[u]:indptr[u + 1]]``.
Under the independent cascade (IC) each tie ``u -> v`` is live with its own probability (the
kernel's share probability per exposure: visibility x tie-strength visibility x appeal x
affinity of v's segment x stickiness), given aligned with ``indices``. An RR set is grown along
in-ties by geometric skips at each person's largest in-tie probability, thinned to each tie's.

Budgets are a number of seeds ``k``, a sum of fees ``money``, or both. With fees, each greedy is
run twice, by gain (unit cost) and by gain per unit of fee (cost-benefit), and the better of
the two solutions is kept, as in Leskovec et al.'s CELF.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass

import networkx as nx
import numba
import numpy as np
from numba import prange

from simulation import kernel
from simulation._jit import jit, threads
from simulation.kernel.random import splitmix64
from simulation.network import SocialGraph

__all__ = [
    "Budget",
    "RRSampleTooLargeError",
    "Selection",
    "betweenness",
    "budgeted_by_score",
    "buy_in_order",
    "celf",
    "degree_discount",
    "imm",
    "in_arc_order",
    "kernel_spreads",
    "rr_sets",
]

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_TO_UNIT = 1.0 / 9007199254740992.0  # 2 ** -53
# Memory the RR sets of one IMM run may take before it refuses (bytes).
RR_MEMORY_LIMIT = 4 * 1024**3
# CELF re-estimates up to this many stale candidates at once (fixed, so the seeds do not depend
# on the number of threads).
_CELF_BATCH = 8
# RR set members sampled per call of the compiled sampler (bounds its scratch buffers).
_RR_BATCH_ENTRIES = 1 << 24


class RRSampleTooLargeError(ValueError):
    """IMM's sample bound asks for more RR sets than fit in :data:`RR_MEMORY_LIMIT`."""

    def __init__(self, sets: int, gigabytes: float) -> None:
        super().__init__(f"IMM would need about {sets:,} RR sets ({gigabytes:.1f} GB)")
        self.sets = sets
        self.gigabytes = gigabytes


@dataclass(frozen=True)
class Budget:
    """What the seeds may cost.

    Attributes:
        count: Most seeds (``None``: no limit besides ``money``).
        fees: ``float64[n]`` fee of each person (used with ``money``).
        money: Most total fee (``None``: no money limit, fees ignored when choosing).
    """

    count: int | None
    fees: np.ndarray | None = None
    money: float | None = None

    def __post_init__(self) -> None:
        if self.count is None and self.money is None:
            raise ValueError("a budget needs a count, money, or both")

    @property
    def priced(self) -> bool:
        """Whether fees limit the choice."""
        return self.money is not None

    def fee_array(self, n: int) -> np.ndarray:
        """Fees, or ones when only the count matters."""
        return np.ones(n) if self.fees is None else np.asarray(self.fees, np.float64)

    def most_seeds(self, candidates: np.ndarray) -> int:
        """The most seeds any plan within budget can hold (cheapest first; an upper bound)."""
        k = len(candidates)
        if self.money is not None and k:
            cheapest = np.sort(self.fee_array(int(candidates.max()) + 1)[candidates])
            total = np.cumsum(cheapest)
            # A hair of slack: sums in another order may round the other way.
            k = int(np.searchsorted(total, self.money * (1 + 1e-12), side="right"))
        return k if self.count is None else min(k, self.count)


@dataclass(frozen=True)
class Selection:
    """Seeds chosen by an algorithm, with what it believes they achieve.

    Attributes:
        seeds: ``int32`` people in the order chosen.
        spread: The algorithm's own estimate of the expected number of sharers (``nan`` if none).
        cost: Sum of the seeds' fees (0 without fees).
        variant: ``"unit-cost"`` or ``"cost-benefit"``: which greedy gave the seeds.
        gains: ``float64`` per seed, the algorithm's estimate of the expected sharers it added
            to the seeds chosen before it (they sum to ``spread``; ``None`` if it has none).
    """

    seeds: np.ndarray
    spread: float = math.nan
    cost: float = 0.0
    variant: str = "unit-cost"
    gains: np.ndarray | None = None


def _sequential_cost(seeds: np.ndarray, fees: np.ndarray | None) -> float:
    """Fees summed in the order chosen (the same floating-point sum the greedy checked)."""
    total = 0.0
    if fees is not None:
        for v in seeds.tolist():
            total += float(fees[v])
    return total


# --------------------------------------------------------------------------- score heuristics


def buy_in_order(order: np.ndarray, budget: Budget) -> np.ndarray:
    """Go through people in ``order``, taking each one who still fits in the budget.

    Returns:
        ``int32`` seeds in the order taken.
    """
    if budget.money is None:
        return np.asarray(order[: budget.count], np.int32)
    fees = budget.fee_array(int(np.max(order, initial=-1)) + 1)
    chosen: list[int] = []
    spent = 0.0
    for v in np.asarray(order).tolist():
        if budget.count is not None and len(chosen) >= budget.count:
            break
        if spent + fees[v] <= budget.money:
            chosen.append(v)
            spent += fees[v]
    return np.array(chosen, np.int32)


def budgeted_by_score(
    score: np.ndarray, candidates: np.ndarray, budget: Budget, *, cost_benefit: bool = False
) -> np.ndarray:
    """Seeds by a fixed score: best first (by score, or score per fee), skipping who does not fit.

    Ties go to the lower index. Without money this is the top ``budget.count`` by score.

    Returns:
        ``int32`` seeds in the order chosen.
    """
    fees = budget.fee_array(len(score))
    key = score[candidates] / fees[candidates] if cost_benefit else score[candidates]
    return buy_in_order(candidates[np.lexsort((candidates, -key))], budget)


def betweenness(graph: SocialGraph, pivots: int | None, seed: int) -> np.ndarray:
    """Betweenness centrality of each person, exact or estimated from sampled sources.

    Args:
        graph: The social graph (directed ties follow the direction shares travel).
        pivots: Sources sampled (Brandes & Pich 2007); ``None`` or ``>= n`` for the exact value.
        seed: Seed of the sample of sources.

    Returns:
        ``float64[n]`` normalised betweenness.

    References:
        U. Brandes. A faster algorithm for betweenness centrality. J. Math. Sociol. 25, 2001.
        U. Brandes, C. Pich. Centrality estimation in large networks. Int. J. Bifurcation and
        Chaos 17(7), 2007.
    """
    k = None if pivots is None or pivots >= graph.n else pivots
    values = nx.betweenness_centrality(graph.to_networkx(), k=k, seed=seed)
    return np.array([values[i] for i in range(graph.n)], np.float64)


def in_arc_order(graph: SocialGraph) -> np.ndarray:
    """``int64[arcs]``: each in-tie's position in ``indices`` (in-ties as in ``in_indices``).

    Per-tie arrays aligned with ``indices`` are read along in-ties through it.
    """
    n = graph.n
    senders = np.repeat(np.arange(n, dtype=np.int64), graph.out_degree)
    receivers = np.repeat(np.arange(n, dtype=np.int64), np.diff(graph.in_indptr))
    by_out = np.argsort(senders * n + graph.indices, kind="stable")
    by_in = np.argsort(graph.in_indices.astype(np.int64) * n + receivers, kind="stable")
    order = np.empty(len(by_in), np.int64)
    order[by_in] = by_out
    return order


def _per_tie(graph: SocialGraph, p: float | np.ndarray) -> np.ndarray:
    """Tie probabilities aligned with ``graph.indices`` (one p broadcast to every tie)."""
    return np.broadcast_to(np.asarray(p, np.float64), graph.indices.shape).copy()


def degree_discount(
    graph: SocialGraph,
    k: int | None,
    p: float | np.ndarray,
    pool: np.ndarray | None = None,
    *,
    fees: np.ndarray | None = None,
    money: float | None = None,
    cost_benefit: bool = False,
) -> np.ndarray:
    """Degree-discount seeding for the independent cascade (Chen, Wang & Yang 2009, KDD).

    Chen et al. seed, round by round, the person with the highest discounted degree
    ``dd_v = d_v - 2 t_v - (d_v - t_v) t_v p``, ``t_v`` being v's contacts already seeded. It
    ranks people by the one-hop estimate of the spread a new seed adds,
    ``(1 - t_v p) (1 + (d_v - t_v) p) = 1 + p dd_v``. With a probability per tie the same
    estimate reads ``(1 - T_v) (1 + D_v)``, where ``T_v`` sums the probabilities of the ties
    into v from seeds and ``D_v`` those of the ties from v to followers not yet seeded; with one
    p on an undirected graph it is the paper's ``1 + p dd_v``, so the order of seeds is the
    paper's. Ties (every person when p = 0) go to the higher ``d_v - 2 t_v`` (unseeded
    followers minus seeds followed), then the lower index.

    Args:
        graph: The social graph.
        k: Most seeds (``None``: as many as ``money`` buys).
        p: Tie probability, one for every tie or ``float64[arcs]`` aligned with
            ``graph.indices``.
        pool: People allowed as seeds (default: everyone).
        fees: ``float64[n]`` fee of each person (with ``money``).
        money: Most total fee; people who no longer fit are passed over.
        cost_benefit: Rank by estimate per unit of fee instead of by estimate.

    Returns:
        ``int32`` seeds in the order chosen.

    References:
        W. Chen, Y. Wang, S. Yang. Efficient influence maximization in social networks. KDD 2009.
    """
    n = graph.n
    tie_p = _per_tie(graph, p)
    in_p = tie_p if np.ndim(p) == 0 else tie_p[in_arc_order(graph)]
    indptr, indices = graph.indptr, graph.indices
    senders = np.repeat(np.arange(n), graph.out_degree)
    reach = np.bincount(senders, weights=tie_p, minlength=n)  # D_v
    from_seeds = np.zeros(n)  # T_v
    unseeded_followers = graph.out_degree.astype(np.float64)
    seeded_contacts = np.zeros(n)  # t_v
    allowed = np.zeros(n, bool)
    allowed[np.arange(n) if pool is None else pool] = True
    price = np.ones(n) if fees is None else np.asarray(fees, np.float64)
    spent = 0.0
    seeds: list[int] = []
    limit = n if k is None else k
    while len(seeds) < limit:
        if money is not None:
            allowed &= spent + price <= money
        if not allowed.any():
            break
        gain = (1.0 - from_seeds) * (1.0 + reach)
        if cost_benefit:
            gain = np.maximum(gain, 0.0) / price
        key = np.where(allowed, gain, -np.inf)
        ties = np.flatnonzero(key == key.max())
        # Ties (all of them when p = 0): the first-order term, d_v - 2 t_v on an undirected graph.
        v = int(ties[np.argmax((unseeded_followers - seeded_contacts)[ties])])
        seeds.append(v)
        allowed[v] = False
        spent += price[v]
        # v's followers now follow one more seed; people v follows lose v as an unseeded follower.
        followers = indices[indptr[v] : indptr[v + 1]]
        np.add.at(from_seeds, followers, tie_p[indptr[v] : indptr[v + 1]])
        np.add.at(seeded_contacts, followers, 1.0)
        lo, hi = graph.in_indptr[v], graph.in_indptr[v + 1]
        followed = graph.in_indices[lo:hi]
        np.subtract.at(reach, followed, in_p[lo:hi])
        np.subtract.at(unseeded_followers, followed, 1.0)
    return np.array(seeds, np.int32)


# --------------------------------------------------------------------------- kernel spread


def kernel_spreads(
    inputs: tuple[kernel.Graph, kernel.Params, kernel.Campaign],
    base: np.ndarray,
    extra: np.ndarray,
    *,
    runs: int,
    steps: int,
    seed: int,
    workers: int | None = None,
) -> np.ndarray:
    """Mean sharers of the seed sets ``base + {extra[c]}``, each from ``runs`` kernel replicates.

    ``inputs`` is :func:`simulation.kernel_inputs.spread_inputs`'s bare cascade. Replicate r of
    every set uses the kernel's coins for (seed, r), the same live ties for every candidate (common
    random numbers): under the independent cascade a set's sharers in replicate r include those
    of any smaller set, so marginal gains are never negative and differences between candidates
    are measured in the same worlds. ``extra[c] < 0`` means ``base`` alone.

    Returns:
        ``float64[len(extra)]`` mean sharers (seeds included), over replicates 0..runs-1.
    """
    graph, params, campaign = inputs
    extra = np.asarray(extra, np.int32)
    out = kernel.seeded_spreads(
        graph,
        params,
        campaign,
        np.asarray(base, np.int32),
        extra,
        seed=seed,
        runs=runs,
        steps=steps,
        workers=workers or threads(),
    )
    return out.mean(axis=1)


def celf(
    inputs: tuple[kernel.Graph, kernel.Params, kernel.Campaign],
    candidates: np.ndarray,
    budget: Budget,
    *,
    runs: int,
    steps: int,
    seed: int,
    workers: int | None = None,
) -> Selection:
    """CELF: lazy-forward greedy on the spread the kernel simulates (Leskovec et al. 2007).

    The first round estimates the spread of every candidate alone (``len(candidates) x runs``
    replicates, in parallel); later rounds re-estimate only the top of a priority queue, since a
    marginal gain can only shrink as the seed set grows (submodularity), a few stale entries
    at a time so each batch of replicates keeps every thread busy. Every estimate is the
    mean of ``runs`` replicates of the kernel (rule, content and step limit of the scenario) on
    the same replicate indices, so gains are differences of paired estimates.

    With money, the greedy runs by gain (unit cost) and by gain per unit of fee (cost-benefit),
    skipping anyone who no longer fits; the solution with the higher estimated spread is kept
    (Leskovec et al.'s CELF for budgeted placement).

    Args:
        inputs: The kernel's bare cascade (:func:`simulation.kernel_inputs.spread_inputs`).
        candidates: People allowed as seeds.
        budget: Most seeds and/or most money.
        runs: Kernel replicates per spread estimate.
        steps: Steps per replicate.
        seed: Seed of the replicates.
        workers: Threads (default: numba's).

    Returns:
        The seeds, their estimated spread and cost.

    References:
        J. Leskovec, A. Krause, C. Guestrin, C. Faloutsos, J. VanBriesen, N. Glance.
        Cost-effective outbreak detection in networks. KDD 2007.
    """
    candidates = np.asarray(candidates, np.int32)
    empty = np.zeros(0, np.int32)
    singles = kernel_spreads(
        inputs, empty, candidates, runs=runs, steps=steps, seed=seed, workers=workers
    )
    fees = budget.fee_array(len(inputs[0].indptr) - 1)
    variants = ["unit-cost", "cost-benefit"] if budget.priced else ["unit-cost"]
    best: Selection | None = None
    for variant in variants:
        ratio = variant == "cost-benefit"
        # Entries: (-key, person, size of the seed set the gain was measured on, gain).
        heap = [
            (-(gain / fees[v] if ratio else gain), v, 0, gain)
            for v, gain in zip(candidates.tolist(), singles.tolist(), strict=True)
        ]
        heapq.heapify(heap)
        chosen: list[int] = []
        gains: list[float] = []
        spread = 0.0
        spent = 0.0
        limit = budget.count if budget.count is not None else len(candidates)
        while heap and len(chosen) < limit:
            _, v, fresh_at, gain = heapq.heappop(heap)
            if budget.money is not None and spent + fees[v] > budget.money:
                continue  # does not fit now, so never will: the money left only shrinks
            if fresh_at == len(chosen):
                chosen.append(v)
                gains.append(gain)
                spent += fees[v]
                spread += gain
                continue
            # Re-estimate v and the next stale entries together: one parallel batch of replicates.
            stale = [v]
            while heap and len(stale) < _CELF_BATCH and heap[0][2] != len(chosen):
                w = heapq.heappop(heap)[1]
                if budget.money is None or spent + fees[w] <= budget.money:
                    stale.append(w)
            totals = kernel_spreads(
                inputs,
                np.array(chosen, np.int32),
                np.array(stale, np.int32),
                runs=runs,
                steps=steps,
                seed=seed,
                workers=workers,
            )
            for w, total in zip(stale, totals.tolist(), strict=True):
                gain = total - spread
                heapq.heappush(heap, (-(gain / fees[w] if ratio else gain), w, len(chosen), gain))
        seeds = np.array(chosen, np.int32)
        selection = Selection(
            seeds,
            spread,
            _sequential_cost(seeds, budget.fees if budget.priced else None),
            variant,
            np.array(gains, np.float64),
        )
        if best is None or selection.spread > best.spread:
            best = selection
    assert best is not None
    return best


# --------------------------------------------------------------------------- IMM


@jit(parallel=True)
def _sample_rr(
    in_indptr: np.ndarray,
    in_indices: np.ndarray,
    log_q: np.ndarray,
    accept: np.ndarray,
    seed: np.uint64,
    first: int,
    count: int,
    buffer: np.ndarray,
    used: np.ndarray,
    sizes: np.ndarray,
) -> bool:
    """Sample RR sets ``first .. first + count - 1``; False if a chunk's buffer row overflowed.

    Chunk w fills ``buffer[w]`` with a contiguous block of the sets, one after another, so the
    rows read in order hold the sets in index order. Set i is a pure function of (seed, i): its
    root is uniform over all people, and from every person v reached, each in-tie u -> v is live
    with its own probability: candidates are found by geometric skips at v's largest in-tie
    probability (``log_q[v] = log(1 - max p)``) and kept with ``accept[j] = p_j / max p`` (all
    kept when ``accept`` is empty: every tie into v has the same probability).
    """
    n = in_indptr.shape[0] - 1
    thinned = accept.shape[0] > 0
    chunks = buffer.shape[0]
    cap = buffer.shape[1]
    chunk = (count + chunks - 1) // chunks
    overflow = np.zeros(chunks, np.bool_)
    for w in prange(chunks):
        # One byte per person, cleared after each set: small enough to stay in cache.
        mark = np.zeros(n, np.uint8)
        row = buffer[w]
        end = 0
        for i in range(w * chunk, min(count, (w + 1) * chunk)):
            # A SplitMix64 stream per set, keyed by the set's global index.
            x = splitmix64(seed ^ splitmix64(np.uint64(first + i)))
            word = splitmix64(x)
            x += _GOLDEN
            root = min(int(float(word >> np.uint64(11)) * _TO_UNIT * n), n - 1)
            if end >= cap:
                overflow[w] = True
                break
            start = end
            mark[root] = 1
            row[end] = root
            end += 1
            head = start
            while head < end and not overflow[w]:
                v = row[head]
                head += 1
                lq = log_q[v]
                if lq == 0.0:
                    continue  # p_v = 0: no tie into v is live
                a = in_indptr[v]
                b = in_indptr[v + 1]
                j = a
                while True:
                    word = splitmix64(x)
                    x += _GOLDEN
                    jump = np.log(1.0 - float(word >> np.uint64(11)) * _TO_UNIT) / lq
                    if jump >= b - j:
                        break
                    j += int(jump)
                    if thinned and accept[j] < 1.0:
                        word = splitmix64(x)
                        x += _GOLDEN
                        if float(word >> np.uint64(11)) * _TO_UNIT >= accept[j]:
                            j += 1
                            continue
                    u = in_indices[j]
                    if mark[u] == 0:
                        if end >= cap:
                            overflow[w] = True
                            break
                        mark[u] = 1
                        row[end] = u
                        end += 1
                    j += 1
            for h in range(start, end):
                mark[row[h]] = 0
            if overflow[w]:
                break
            sizes[i] = end - start
        used[w] = end
    return not overflow.any()


@jit
def _invert(nodes: np.ndarray, set_indptr: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """For each person, the RR sets holding them: ``sets[indptr[v]:indptr[v + 1]]``."""
    indptr = np.zeros(n + 1, np.int64)
    for v in nodes:
        indptr[v + 1] += 1
    for v in range(n):
        indptr[v + 1] += indptr[v]
    sets = np.empty(nodes.shape[0], np.int32)
    fill = indptr[:-1].copy()
    for s in range(set_indptr.shape[0] - 1):
        for j in range(set_indptr[s], set_indptr[s + 1]):
            v = nodes[j]
            sets[fill[v]] = s
            fill[v] += 1
    return indptr, sets


@jit
def _max_coverage(
    nodes: np.ndarray,
    set_indptr: np.ndarray,
    node_indptr: np.ndarray,
    node_sets: np.ndarray,
    allowed: np.ndarray,
    fees: np.ndarray,
    money: float,
    k: int,
    cost_benefit: bool,
) -> tuple[np.ndarray, np.ndarray]:
    """Greedy maximum coverage of RR sets: (seeds in order, sets each newly covered).

    Each round takes the allowed person covering the most uncovered sets (or the most per unit
    of fee); people whose fee no longer fits in ``money`` are dropped. Ties: lower index.
    """
    n = allowed.shape[0]
    count = np.zeros(n, np.int64)
    for v in range(n):
        count[v] = node_indptr[v + 1] - node_indptr[v]
    covered = np.zeros(set_indptr.shape[0] - 1, np.bool_)
    alive = allowed.copy()
    seeds = np.empty(min(k, n), np.int32)
    newly = np.zeros(min(k, n), np.int64)
    chosen = 0
    spent = 0.0
    while chosen < k:
        best = -1
        best_key = -1.0
        for v in range(n):
            if not alive[v]:
                continue
            if spent + fees[v] > money:
                alive[v] = False
                continue
            key = count[v] / fees[v] if cost_benefit else float(count[v])
            if key > best_key:
                best = v
                best_key = key
        if best < 0:
            break
        seeds[chosen] = best
        alive[best] = False
        spent += fees[best]
        for j in range(node_indptr[best], node_indptr[best + 1]):
            s = node_sets[j]
            if not covered[s]:
                covered[s] = True
                newly[chosen] += 1
                for i in range(set_indptr[s], set_indptr[s + 1]):
                    count[nodes[i]] -= 1
        chosen += 1
    return seeds[:chosen], newly[:chosen]


@dataclass
class RRSets:
    """Reverse-reachable sets: set s is ``nodes[indptr[s]:indptr[s + 1]]`` (root first).

    The fraction of RR sets that meet a seed set S, times n, is an unbiased estimate of S's
    expected spread under the independent cascade (Borgs et al. 2014).
    """

    nodes: np.ndarray
    indptr: np.ndarray
    n: int

    def __len__(self) -> int:
        return len(self.indptr) - 1

    def coverage(self, seeds: np.ndarray) -> int:
        """Number of sets holding at least one of ``seeds``."""
        hit = np.zeros(self.n, bool)
        hit[np.asarray(seeds, np.int64)] = True
        return int(np.logical_or.reduceat(hit[self.nodes], self.indptr[:-1]).sum())


class _Sampler:
    """Draws RR sets in index order, batch by batch, across numba's threads.

    A batch is cut into more chunks than threads, handed out one at a time, so a thread the
    operating system pauses (a busy machine) holds up little of the batch.
    """

    def __init__(self, graph: SocialGraph, p: float | np.ndarray, seed: int, workers: int) -> None:
        n = graph.n
        tie_p = np.clip(_per_tie(graph, p), 0.0, 1.0)
        in_p = tie_p if np.ndim(p) == 0 else tie_p[in_arc_order(graph)]
        receiver = np.repeat(np.arange(n), np.diff(graph.in_indptr))
        largest = np.zeros(n)
        np.maximum.at(largest, receiver, in_p)
        with np.errstate(divide="ignore", invalid="ignore"):
            self.log_q = np.log1p(-largest)
            accept = np.where(largest[receiver] > 0.0, in_p / largest[receiver], 0.0)
        uniform = bool(np.all((accept == 1.0) | (largest[receiver] == 0.0)))
        self.accept = np.zeros(0) if uniform else accept
        self.graph = graph
        self.seed = np.uint64(seed)
        self.chunks = 8 * workers
        self.mean_size = 1.0 + float(in_p.sum()) / max(n, 1)

    def sample(self, first: int, count: int) -> tuple[np.ndarray, np.ndarray]:
        """RR sets ``first .. first + count - 1``: (nodes, sizes)."""
        nodes_parts, size_parts = [], []
        done = 0
        while done < count:
            batch = int(min(max(_RR_BATCH_ENTRIES / self.mean_size, 1024), 1 << 20))
            size = min(batch, count - done)
            per_chunk = -(-size // self.chunks)
            cap = max(self.graph.n + 1, int(1.5 * self.mean_size * per_chunk) + 1024)
            sizes = np.zeros(size, np.int32)
            used = np.zeros(self.chunks, np.int64)
            while True:
                buffer = np.empty((self.chunks, cap), np.int32)
                with numba.parallel_chunksize(1):
                    ok = _sample_rr(
                        self.graph.in_indptr,
                        self.graph.in_indices,
                        self.log_q,
                        self.accept,
                        self.seed,
                        first + done,
                        size,
                        buffer,
                        used,
                        sizes,
                    )
                if ok:
                    break
                cap *= 2
            nodes_parts.extend(buffer[w, : used[w]] for w in range(self.chunks))
            size_parts.append(sizes)
            self.mean_size = max(1.0, float(sizes.mean()))
            done += size
        return np.concatenate(nodes_parts), np.concatenate(size_parts)


def rr_sets(
    graph: SocialGraph, p: float | np.ndarray, count: int, seed: int, *, first: int = 0
) -> RRSets:
    """Sample RR sets ``first .. first + count - 1`` under the independent cascade.

    Args:
        graph: The social graph.
        p: Probability that a tie is live: one for every tie, or ``float64[arcs]`` aligned
            with ``graph.indices``.
        count: Number of sets.
        seed: Seed; set i is a pure function of (seed, i), whatever the thread count.
        first: Index of the first set.
    """
    sampler = _Sampler(graph, p, seed, numba.get_num_threads())
    nodes, sizes = sampler.sample(first, count)
    indptr = np.zeros(count + 1, np.int64)
    np.cumsum(sizes, out=indptr[1:])
    return RRSets(nodes, indptr, graph.n)


class _Collection:
    """A growing sample of RR sets and greedy node selection over it."""

    def __init__(self, sampler: _Sampler, first: int) -> None:
        self.sampler = sampler
        self.first = first
        self.nodes: list[np.ndarray] = []
        self.sizes: list[np.ndarray] = []
        self.count = 0

    def grow_to(self, target: int, max_bytes: float) -> None:
        if target <= self.count:
            return
        # Per set: its members (int32) twice (sets and inverted index) plus two offsets.
        need = target * (8.0 * self.sampler.mean_size + 16.0)
        if need > max_bytes:
            raise RRSampleTooLargeError(target, need / 1024**3)
        nodes, sizes = self.sampler.sample(self.first + self.count, target - self.count)
        self.nodes.append(nodes)
        self.sizes.append(sizes)
        self.count = target

    def select(
        self, allowed: np.ndarray, budget: Budget, fees: np.ndarray, k: int
    ) -> tuple[np.ndarray, np.ndarray, str]:
        """Best greedy seeds: (seeds, fraction of the sets each newly covered, variant)."""
        nodes = np.concatenate(self.nodes) if self.nodes else np.zeros(0, np.int32)
        self.nodes = [nodes]
        sizes = np.concatenate(self.sizes) if self.sizes else np.zeros(0, np.int32)
        self.sizes = [sizes]
        indptr = np.zeros(len(sizes) + 1, np.int64)
        np.cumsum(sizes, out=indptr[1:])
        n = len(allowed)
        node_indptr, node_sets = _invert(nodes, indptr, n)
        money = math.inf if budget.money is None else float(budget.money)
        best = (np.zeros(0, np.int32), np.zeros(0, np.int64), "unit-cost")
        for variant in ["unit-cost", "cost-benefit"] if budget.priced else ["unit-cost"]:
            seeds, newly = _max_coverage(
                nodes,
                indptr,
                node_indptr,
                node_sets,
                allowed,
                fees,
                money,
                k,
                variant == "cost-benefit",
            )
            if variant == "unit-cost" or newly.sum() > best[1].sum():
                best = (seeds, newly, variant)
        return best[0], best[1] / max(len(sizes), 1), best[2]


def _log_binomial(n: int, k: int) -> float:
    return math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)


def imm(
    graph: SocialGraph,
    p: float | np.ndarray,
    candidates: np.ndarray,
    budget: Budget,
    *,
    epsilon: float,
    ell: float,
    seed: int,
    max_bytes: float | None = None,
) -> Selection:
    """IMM: influence maximisation by reverse-reachable sets (Tang, Shi & Xiao 2015).

    Phase 1 (the paper's Algorithm 2) doubles a guess x of the optimum until the greedy seeds
    cover at least ``(1 + eps') x / n`` of ``lambda' / x`` RR sets, which gives a lower bound LB
    on the optimum; phase 2 draws ``theta = lambda* / LB`` RR sets and returns the greedy maximum
    coverage over them (Algorithm 3), a (1 - 1/e - epsilon)-approximation with probability at
    least 1 - n^-ell. Following Chen (2018), phase 2's sets are drawn fresh, independent of
    phase 1's, which the martingale argument needs.

    The candidates may be a subset (a segment, a follower tier); RR sets still start anywhere.
    The sample size counts seed sets among candidates only: ``log C(candidates, k)``. With
    money, k is the most seeds the money buys (a union bound over every affordable set), and the
    selection is the better of the unit-cost and cost-benefit greedy, which keeps a
    (1 - 1/e) / 2 guarantee (Leskovec et al. 2007) instead of (1 - 1/e).

    Args:
        graph: The social graph.
        p: Probability that a tie is live: one for every tie, or ``float64[arcs]`` aligned
            with ``graph.indices``.
        candidates: People allowed as seeds.
        budget: Most seeds and/or most money.
        epsilon: Approximation slack, in (0, 1).
        ell: Confidence exponent: success probability at least 1 - n^-ell.
        seed: Seed of the RR sets (the result is a pure function of it).
        max_bytes: Memory the RR sets may take (default :data:`RR_MEMORY_LIMIT`).

    Returns:
        Seeds in order, their estimated spread (n x fraction of phase-2 sets covered) and cost.

    Raises:
        RRSampleTooLargeError: the bound needs more RR sets than ``max_bytes`` holds.

    References:
        Y. Tang, Y. Shi, X. Xiao. Influence maximization in near-linear time: a martingale
        approach. SIGMOD 2015.
        W. Chen. An issue in the martingale analysis of the influence maximization algorithm IMM.
        CSoNet 2018.
        C. Borgs, M. Brautbar, J. Chayes, B. Lucier. Maximizing social influence in nearly
        optimal time. SODA 2014.
    """
    n = graph.n
    max_bytes = RR_MEMORY_LIMIT if max_bytes is None else max_bytes
    candidates = np.asarray(candidates, np.int32)
    k = budget.most_seeds(candidates)
    fees = budget.fee_array(n)
    if k == 0 or len(candidates) == 0:
        return Selection(np.zeros(0, np.int32), 0.0, 0.0)
    allowed = np.zeros(n, bool)
    allowed[candidates] = True
    log_n = math.log(max(n, 2))
    ell = ell * (1.0 + math.log(2.0) / log_n)  # phases 1 and 2 each fail w.p. <= n^-ell / 2
    log_choices = _log_binomial(len(candidates), min(k, len(candidates)))
    eps_prime = math.sqrt(2.0) * epsilon
    lambda_prime = (
        (2.0 + 2.0 / 3.0 * eps_prime)
        * (log_choices + ell * log_n + math.log(max(math.log2(max(n, 2)), 1.0)))
        * n
        / eps_prime**2
    )
    sampler = _Sampler(graph, p, seed, numba.get_num_threads())
    phase1 = _Collection(sampler, first=0)
    lower = 1.0
    for i in range(1, max(int(math.log2(max(n, 2))), 1)):
        x = n / 2.0**i
        phase1.grow_to(math.ceil(lambda_prime / x), max_bytes)
        _, newly, _ = phase1.select(allowed, budget, fees, k)
        fraction = float(newly.sum())
        if n * fraction >= (1.0 + eps_prime) * x:
            lower = n * fraction / (1.0 + eps_prime)
            break
    used = phase1.count
    del phase1
    e1 = 1.0 - 1.0 / math.e
    alpha = math.sqrt(ell * log_n + math.log(2.0))
    beta = math.sqrt(e1 * (log_choices + ell * log_n + math.log(2.0)))
    lambda_star = 2.0 * n * (e1 * alpha + beta) ** 2 / epsilon**2
    phase2 = _Collection(sampler, first=used)
    phase2.grow_to(math.ceil(lambda_star / lower), max_bytes)
    seeds, newly, variant = phase2.select(allowed, budget, fees, k)
    return Selection(
        seeds,
        n * float(newly.sum()),
        _sequential_cost(seeds, budget.fees if budget.priced else None),
        variant,
        n * newly,
    )
