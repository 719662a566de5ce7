"""Influence maximisation: IMM's time and spread next to degree discount, degree, random and CELF.

The issue's workload: Barabasi-Albert n = 100,000, m = 5, tie probability p = 0.05 (visibility =
appeal = 1, stickiness = 0.05), k = 50 seeds. Each strategy chooses its seeds through
``plan_seeds`` (the path ``wom run`` takes), timed after the compiled code is warm (the first
call of a fresh install compiles it, about a minute, cached after); the spread of each seed set
is then the mean number of sharers over ``--runs`` kernel replicates (a seed the strategies never
saw), with its standard error.

CELF is not feasible on the 100,000-person graph: its first round alone simulates every person
as a seed ``mc_runs`` times. It runs on a smaller graph of the same kind (``--celf-n``, default
2,000 people, ``mc_runs`` = ``--celf-mc``, default 100), where every other strategy runs too,
so the spreads compare on equal terms. Spreads are paired by replicate (the same kernel seed and
replicate indices for every seed set), so each row also shows its difference from IMM's with the
paired standard error.

    python benchmarks/bench_imm.py                       # both graphs, a table
    python benchmarks/bench_imm.py --epsilon 0.5 0.1     # IMM at several epsilons
    python benchmarks/bench_imm.py --skip-celf --json
"""

from __future__ import annotations

import argparse
import json
import math
import os
import time

import numpy as np


def _scenario(n: int, m: int, p: float, seeding: dict):
    from simulation.scenario import parse_scenario

    return parse_scenario(
        {
            "name": "bench-imm",
            "seed": 1,
            "steps": 10_000,
            "network": {"kind": "barabasi_albert", "n": n, "m": m, "seed": 1},
            "content": {"visibility": 1.0, "appeal": 1.0, "stickiness": p},
            "seeding": seeding,
        },
        source="<benchmark>",
    )


def _sharers(scenario, graph, seeds: np.ndarray, runs: int) -> np.ndarray:
    """Sharers of a fixed seed set in replicates 0..runs-1 (seed 12345) of the kernel."""
    from simulation.engine import prepare, simulate

    labels = [str(graph.labels[v]) for v in seeds.tolist()]
    listed = scenario.with_overrides({"seeding": {"strategy": "nodes", "nodes": labels}})
    prepared = prepare(listed, graph=graph)
    return (
        simulate(listed, runs=runs, seed=12345, metrics=["sharers"], prepared=prepared)
        .values["sharers"]
        .astype(np.float64)
    )


def measure(n: int, m: int, p: float, k: int, runs: int, strategies: list[dict]) -> list[dict]:
    """Time each strategy's plan on one graph and estimate its spread."""
    from simulation.network import build_graph
    from simulation.seeding import plan_seeds

    graph = build_graph(_scenario(n, m, p, {"budget": k}))
    rows = []
    for spec in strategies:
        seeding = {"budget": k, **spec}
        scenario = _scenario(n, m, p, seeding)
        begin = time.perf_counter()
        cpu = time.process_time()
        plan = plan_seeds(scenario, graph)
        seconds = time.perf_counter() - begin
        cpu = time.process_time() - cpu
        seeds = plan.fixed
        if plan.random_budget:  # random: one draw for the spread, as a replicate would
            seeds = np.random.default_rng(0).choice(plan.pool, plan.random_budget, replace=False)
        values = _sharers(scenario, graph, seeds, runs)
        reference = values if not rows else rows[0]["values"]
        difference = values - reference  # paired by replicate: same seed and index
        mean, se = values.mean(), values.std(ddof=1) / math.sqrt(runs)
        label = spec["strategy"] + "".join(
            f" {key}={value}" for key, value in spec.items() if key != "strategy"
        )
        rows.append(
            {
                "graph": f"BA n={n:,} m={m}",
                "strategy": label,
                "seconds": seconds,
                "cpu_seconds": cpu,
                "spread": float(mean),
                "spread_se": float(se),
                "minus_first": float(difference.mean()),
                "minus_first_se": float(difference.std(ddof=1) / math.sqrt(runs)),
                "seeds": len(seeds),
                "values": values,
            }
        )
        print(
            f"  {rows[-1]['graph']:>18}  {label:<26} {seconds:8.2f} s  "
            f"spread {mean:9.1f} ± {se:5.1f}",
            flush=True,
        )
    return rows


def _warm_up() -> None:
    """Compile (or load from the cache) every kernel the strategies use, on a small graph."""
    from simulation.network import build_graph
    from simulation.seeding import plan_seeds

    for strategy in ("imm", "celf", "degree_discount"):
        scenario = _scenario(300, 2, 0.05, {"strategy": strategy, "budget": 3, "mc_runs": 2})
        plan_seeds(scenario, build_graph(scenario))


def main() -> None:
    """Run the benchmark and print a table (or JSON)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--m", type=int, default=5)
    parser.add_argument("--p", type=float, default=0.05)
    parser.add_argument("--k", type=int, default=50)
    parser.add_argument("--runs", type=int, default=200, help="replicates per spread estimate")
    parser.add_argument("--epsilon", type=float, nargs="+", default=[0.5])
    parser.add_argument("--celf-n", type=int, default=2_000)
    parser.add_argument("--celf-mc", type=int, default=100, help="CELF's mc_runs")
    parser.add_argument("--skip-celf", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    import numba

    print(f"threads: {numba.get_num_threads()}, cpus: {os.cpu_count()}", flush=True)
    begin = time.perf_counter()
    _warm_up()
    print(f"warm-up (compile or load the cached kernels): {time.perf_counter() - begin:.1f} s")
    imm = [{"strategy": "imm", "epsilon": e} for e in args.epsilon]
    others = [{"strategy": s} for s in ("degree_discount", "degree", "random")]
    rows = measure(args.n, args.m, args.p, args.k, args.runs, imm + others)
    if not args.skip_celf:
        celf = [{"strategy": "celf", "mc_runs": args.celf_mc}]
        rows += measure(args.celf_n, args.m, args.p, args.k, args.runs, imm + others + celf)
    for row in rows:
        del row["values"]
    if args.json:
        print(json.dumps(rows, indent=1))
        return
    print()
    print(
        "| graph | strategy | time (s) | CPU (s) | time / IMM | spread ± s.e. | spread / IMM "
        "| spread - IMM ± paired s.e. |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    reference = f"imm epsilon={args.epsilon[0]}"
    for row in rows:
        ref = next(r for r in rows if r["graph"] == row["graph"] and r["strategy"] == reference)
        print(
            f"| {row['graph']} | {row['strategy']} | {row['seconds']:.2f} | "
            f"{row['cpu_seconds']:.2f} | {row['seconds'] / ref['seconds']:.3g} | "
            f"{row['spread']:.1f} ± {row['spread_se']:.1f} | {row['spread'] / ref['spread']:.3f} "
            f"| {row['minus_first']:+.1f} ± {row['minus_first_se']:.1f} |"
        )


if __name__ == "__main__":
    main()
