"""The replicate loop: many replicates of a campaign, spread over threads.

Replicate r goes to worker r mod workers; each worker runs in its own thread (the compiled loop
releases the GIL) with its own working state and its own slice of the timeline sums (integer
sums), so the outputs are the same whatever the number of workers or how replicates are batched.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np

from simulation._jit import jit
from simulation.kernel.campaign import (
    active,
    advertise,
    begin,
    finish_step,
    publish,
    respond,
    spread,
    tally,
    tick,
)
from simulation.kernel.layout import K_STEP, SHARERS, Campaign, Graph, Market, Params
from simulation.kernel.state import new_market, place_seeds, post_state
from simulation.kernel.trees import brand_trees

__all__ = ["brands_act", "run_replicates", "seeded_spreads"]


@jit
def brands_act(graph: Graph, params: Params, campaign: Campaign, market: Market, t: int) -> None:
    """The brands act (post, buy ads, answer), in this step's order; then the crisis posts."""
    for i in range(market.brand_order.shape[0]):
        brand = market.brand_order[i]
        publish(graph, campaign, market, brand, t)
        advertise(graph, params, campaign, market, brand, t)
        respond(campaign, market, brand, t)
    if campaign.crisis_post >= 0:
        publish(graph, campaign, market, campaign.brands - 1, t)


@jit
def run_block(
    graph: Graph,
    params: Params,
    campaign: Campaign,
    seed: np.uint64,
    first_run: int,
    runs: int,
    worker: int,
    workers: int,
    steps: int,
    tree: bool,
    finals: np.ndarray,
    segment_counts: np.ndarray,
    lengths: np.ndarray,
    peaks: np.ndarray,
    virality: np.ndarray,
    depth: np.ndarray,
    timeline_sum: np.ndarray,
) -> None:
    """Worker ``worker``'s replicates: first_run + r for r = worker, worker + workers, ...

    Outputs (index r): ``finals[r]`` every final count (:func:`~simulation.kernel.campaign.tally`),
    ``segment_counts[r]`` the scenario's brand per segment, ``lengths[r]`` steps taken,
    ``peaks[r]`` the step with the most new sharers (0 if none after step 0), ``virality[r]``
    and ``depth[r]`` when ``tree``. ``timeline_sum[0, t]`` adds the counts at the end of step t
    for t up to the replicate's length L, and ``timeline_sum[1, L + 1]`` its final counts, so
    the running sum of row 1 pads every replicate with its final value at O(L) cost.
    """
    n = graph.indptr.shape[0] - 1
    market = new_market(n, segment_counts.shape[1], campaign, params.timing)
    counts = np.zeros(finals.shape[1], np.int64)
    for r in range(worker, runs, workers):
        begin(campaign, market, seed, np.uint64(first_run + r))
        brands_act(graph, params, campaign, market, 0)
        finish_step(campaign, market, 0)
        tally(market, counts)
        timeline_sum[0, 0, :] += counts
        t = 0
        peak = 0
        most = 0
        previous = market.brand_counters[0, SHARERS]
        while t < steps and active(graph, campaign, market):
            t = tick(campaign, market)
            brands_act(graph, params, campaign, market, t)
            spread(graph, params, campaign, market, t)
            tally(market, counts)
            timeline_sum[0, t, :] += counts
            now = market.brand_counters[0, SHARERS]
            if now - previous > most:
                most = now - previous
                peak = t
            previous = now
        timeline_sum[1, t + 1, :] += counts
        peaks[r] = peak
        finals[r, :] = counts
        segment_counts[r, :, :] = market.brand_segment_counters[0]
        lengths[r] = market.clock[K_STEP]
        if tree:
            virality[r], depth[r] = brand_trees(campaign, market, 0)


def in_threads(job, workers: int) -> None:
    """Run ``job(w)`` for w in 0..workers-1, each in its own thread (one: this thread)."""
    if workers <= 1:
        job(0)
        return
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for future in [pool.submit(job, w) for w in range(workers)]:
            future.result()


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
    """Replicates first_run .. first_run + runs - 1 on ``workers`` threads (see :func:`run_block`).

    ``timeline_sum[w]`` is worker w's; outputs are indexed by replicate - first_run.
    """
    workers = max(1, min(workers, runs))

    def job(w: int) -> None:
        run_block(
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
            finals,
            segment_counts,
            lengths,
            peaks,
            virality,
            depth,
            timeline_sum[w],
        )

    in_threads(job, workers)


@jit
def spreads_block(
    graph: Graph,
    params: Params,
    campaign: Campaign,
    base: np.ndarray,
    extra: np.ndarray,
    seed: np.uint64,
    runs: int,
    steps: int,
    worker: int,
    workers: int,
    out: np.ndarray,
) -> None:
    """``out[c, r]``: sharers of post 0 in replicate r seeded with base + extra[c] (none if < 0)."""
    n = graph.indptr.shape[0] - 1
    market = new_market(n, params.affinity.shape[1], campaign, params.timing)
    m = base.shape[0]
    seeds = np.empty(m + 1, np.int32)
    seeds[:m] = base
    total = extra.shape[0] * runs
    for job in range(worker, total, workers):
        c = job // runs
        r = job % runs
        size = m
        if extra[c] >= 0:
            seeds[m] = extra[c]
            size = m + 1
        begin(campaign, market, seed, np.uint64(r))
        place_seeds(graph.segment_of, post_state(market, 0), seeds[:size])
        finish_step(campaign, market, 0)
        t = 0
        while t < steps and active(graph, campaign, market):
            t = tick(campaign, market)
            spread(graph, params, campaign, market, t)
        out[c, r] = market.counters[0, SHARERS]


def seeded_spreads(
    graph: Graph,
    params: Params,
    campaign: Campaign,
    base: np.ndarray,
    extra: np.ndarray,
    *,
    seed: int,
    runs: int,
    steps: int,
    workers: int,
) -> np.ndarray:
    """Sharers of post 0 (``campaign`` must have one post and no seeds of its own) per replicate.

    Row c seeds ``base`` plus ``extra[c]`` (``base`` alone where ``extra[c] < 0``); replicate r
    of every row uses the same coins (common random numbers), so the difference between two rows
    is the marginal effect of a seed in the same worlds.

    Returns:
        ``int64[len(extra), runs]``.
    """
    out = np.zeros((len(extra), runs), np.int64)
    workers = max(1, min(workers, len(extra) * runs))

    def job(w: int) -> None:
        spreads_block(
            graph, params, campaign, base, extra, np.uint64(seed), runs, steps, w, workers, out
        )

    in_threads(job, workers)
    return out
