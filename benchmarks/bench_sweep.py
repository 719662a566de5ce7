"""How a sweep scales: the same 1,000-replicate sweep on two local Dask workers vs one.

Both clusters are started and their workers have imported the engine (and loaded the compiled
kernel) before the clock starts, so the ratio measures the sweep itself: scheduling, building
each point's graph on each worker, the replicates, and writing the Parquet parts. Sweeps on the
two clusters alternate and the best time of each is compared, so background load on the
machine affects both alike. Goal: two workers at least 1.7x as fast as one. On a shared machine
two processes may not get two cores: the benchmark also times two plain processes (no Dask)
running the same replicates, the most the machine allows at that moment, and prints the
workers' CPU time.

    python benchmarks/bench_sweep.py
    python benchmarks/bench_sweep.py --runs 2000 --n 50000
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing
import os
import resource
import tempfile
import time
from pathlib import Path

import pandas as pd

from experiments.design import load_experiment
from experiments.sweep import run_sweep

SCENARIO = """\
name = "bench"
steps = 60
seed = 1

[network]
kind = "barabasi_albert"
n = {n}
m = 4

[content]
visibility = 1.0
appeal = 0.7
stickiness = 0.6

[seeding]
strategy = "degree"
budget = 20
"""

EXPERIMENT = """\
name = "bench-sweep"
scenario = "base.toml"
runs = {runs}
seed = 3

[grid]
"content.stickiness" = [0.5, 0.6]
"""


def local_cluster(workers: int):
    """A local cluster of ``workers`` processes, one thread (and one numba thread) each."""
    from distributed import LocalCluster

    return LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=":0",
        silence_logs=logging.ERROR,
    )


def _cpu_seconds() -> float:
    """CPU time this process has used (user + system), for the workers' share of the work."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def worker_cpu(client) -> float:
    """CPU seconds used so far by all of a cluster's worker processes."""
    return sum(client.run(_cpu_seconds).values())


def plain_replicates(job: tuple[str, int, int]) -> float:
    """Seconds one plain process (no Dask) takes for ``runs`` replicates of a scenario."""
    import tomllib

    import numba

    from simulation.engine import prepare, simulate
    from simulation.scenario import parse_scenario

    text, runs, first_run = job
    numba.set_num_threads(1)
    scenario = parse_scenario(tomllib.loads(text))
    prepared = prepare(scenario)
    simulate(scenario, runs=2, prepared=prepared, workers=1)  # load the kernel first
    begin = time.perf_counter()
    simulate(scenario, runs=runs, first_run=first_run, prepared=prepared, workers=1)
    return time.perf_counter() - begin


def plain_ratio(text: str, runs: int) -> float:
    """Throughput of two plain processes over one: what the machine itself allows right now."""
    context = multiprocessing.get_context("spawn")
    with context.Pool(1) as pool:
        (one,) = pool.map(plain_replicates, [(text, runs, 0)])
    with context.Pool(2) as pool:
        two = pool.map(plain_replicates, [(text, runs, 0), (text, runs, runs)])
    return 2 * one / max(two)


def main() -> None:
    from distributed import Client

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=500, help="replicates per point (2 points)")
    parser.add_argument("--n", type=int, default=20_000, help="people in the network")
    parser.add_argument("--repeat", type=int, default=3, help="timed sweeps per cluster")
    args = parser.parse_args()
    replicates = 2 * args.runs
    with (
        tempfile.TemporaryDirectory() as tmp,
        local_cluster(1) as one_cluster,
        local_cluster(2) as two_cluster,
        Client(one_cluster) as one,
        Client(two_cluster) as two,
    ):
        folder = Path(tmp)
        (folder / "base.toml").write_text(SCENARIO.format(n=args.n))
        (folder / "experiment.toml").write_text(EXPERIMENT.format(runs=args.runs))
        design = load_experiment(folder / "experiment.toml")
        # Compile (or load) the kernel here once, so no worker compiles it while timed.
        from simulation.engine import simulate

        simulate(design.points[0].scenario, runs=2)
        for client in (one, two):
            client.run(exec, "import simulation.engine")
        seconds: dict[int, list[float]] = {1: [], 2: []}
        cpu: dict[int, list[float]] = {1: [], 2: []}
        plain: list[float] = []  # two plain processes over one, measured between the sweeps
        tables = {}
        # Interleaved, so both see the same background load; the best of each is compared.
        for attempt in range(args.repeat):
            for workers, client in ((1, one), (2, two)):
                out = folder / f"results-{workers}-{attempt}"
                used, begin = worker_cpu(client), time.perf_counter()
                run_sweep(design, out, client=client)
                seconds[workers].append(time.perf_counter() - begin)
                cpu[workers].append(worker_cpu(client) - used)
                tables[workers] = pd.read_parquet(out).sort_values(["point", "run"])
            plain.append(plain_ratio(SCENARIO.format(n=args.n), args.runs // 2))
        assert tables[1].reset_index(drop=True).equals(tables[2].reset_index(drop=True))

    print(f"sweep of {replicates:,} replicates (BA n={args.n:,}, 2 points), best of {args.repeat}")
    for workers in (1, 2):
        best = min(seconds[workers])
        runs = ", ".join(f"{s:.2f}" for s in seconds[workers])
        print(f"{workers} worker(s): {best:6.2f} s, {replicates / best:6.1f} replicates/s ({runs})")
    ratio = min(seconds[1]) / min(seconds[2])
    print(f"speed-up 2 vs 1 workers: {ratio:.2f}x (goal >= 1.7x); results identical")
    # Other programs competing for the cores slow two workers more than one. Two plain
    # processes running the same replicates without Dask show what the machine allows, and
    # the workers' CPU time what the sweep itself costs.
    work = {w: min(cpu[w]) for w in (1, 2)}
    print(
        f"two plain processes without Dask, same replicates: {max(plain):.2f}x one "
        f"(best of {args.repeat}: what the machine allowed; load average "
        f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)"
    )
    print(
        f"workers' CPU time: {work[1]:.2f} s with 1, {work[2]:.2f} s with 2 "
        f"({work[2] / work[1] - 1:+.0%} for the second worker's graphs and shared caches)"
    )


if __name__ == "__main__":
    main()
