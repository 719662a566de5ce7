"""Replicates per second of a pure cascade: the project's kernel against its peers.

The workload (issue "Simulation core" and "Performance"): an independent cascade on a
Barabasi-Albert graph (n = 100,000, m = 5, the project's generator, seed 1; the peers get it as
a networkx graph), tie probability p = 0.1, the same 50 seeds drawn at random once; one
replicate = one cascade; the output counted is the number of sharers. Every implementation runs
in a child process of this session, on the same graph and seeds, one after another, so their
numbers are comparable; each child reports its replicates per second, its mean cascade size
(they must agree) and its peak memory.

    python benchmarks/bench_kernel.py                  # all peers
    python benchmarks/bench_kernel.py --quick          # fewer replicates, no slow peers
    python benchmarks/bench_kernel.py --peers kernel,kernel-funnel,cynetdiff

Ratios are against ``kernel`` (the pure cascade, ``--metrics sharers``, all cores).
``kernel-funnel`` is the same kernel computing every metric (the full funnel);
``kernel-scalar`` the pure cascade on the scalar path (one replicate per traversal) where
``kernel`` takes the batched path (64 replicates per traversal, ``simulation/kernel/batched.py``).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

N, M, P, SEEDS, GRAPH_SEED = 100_000, 5, 0.1, 50, 1
PEERS = (
    "kernel",
    "kernel-scalar",
    "kernel-1-thread",
    "kernel-funnel",
    "cynetdiff",
    "networkx",
    "mesa",
    "ndlib",
)
REPLICATES = {
    "kernel": 2000,
    "kernel-scalar": 2000,
    "kernel-1-thread": 500,
    "kernel-funnel": 500,
    "cynetdiff": 300,
    "networkx": 20,
    "mesa": 3,
    "ndlib": 2,
}


def _seeds() -> list[int]:
    return np.random.default_rng(7).choice(N, SEEDS, replace=False).tolist()


def _scenario(seeds):
    from simulation.scenario import parse_scenario

    return parse_scenario(
        {
            "name": "benchmark",
            "steps": 10_000,
            "network": {"kind": "barabasi_albert", "n": N, "m": M, "seed": GRAPH_SEED},
            "content": {"visibility": 1.0, "appeal": 1.0, "stickiness": P},
            "seeding": {"strategy": "nodes", "nodes": [str(s) for s in seeds]},
        }
    )


def measure(peer: str, replicates: int) -> dict:
    """Run one implementation in this process and return its measurements."""
    seeds = _seeds()
    scenario = _scenario(seeds)
    if peer.startswith("kernel"):
        import numba

        from simulation.engine import prepare, simulate

        prepared = prepare(scenario)
        if peer == "kernel-scalar":  # one replicate per traversal (no batched path)
            import simulation.kernel.batched

            simulation.kernel.batched.supports = lambda *_: False
        workers = 1 if peer == "kernel-1-thread" else None
        if workers:
            numba.set_num_threads(1)
        metrics = None if peer == "kernel-funnel" else ["sharers"]
        simulate(scenario, runs=4, prepared=prepared, metrics=metrics, workers=workers)  # warm up
        start = time.perf_counter()
        result = simulate(
            scenario, runs=replicates, prepared=prepared, metrics=metrics, workers=workers
        )
        elapsed = time.perf_counter() - start
        sizes = result.values["sharers"]
    else:
        import peers

        from simulation.network import build_graph

        graph = build_graph(scenario).to_networkx()  # the very graph the kernel runs on
        implementation = peers.all_peers()[peer]
        implementation.prepare(graph, P)
        implementation.run(seeds, 1, 0)  # warm up
        start = time.perf_counter()
        sizes = implementation.run(seeds, replicates, 1)
        elapsed = time.perf_counter() - start
    sizes = np.asarray(sizes, dtype=float)
    return {
        "peer": peer,
        "replicates": replicates,
        "seconds": elapsed,
        "per_second": replicates / elapsed,
        "mean": float(sizes.mean()),
        "se": float(sizes.std(ddof=1) / np.sqrt(len(sizes))) if len(sizes) > 1 else 0.0,
        "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def run_child(peer: str, replicates: int) -> dict | None:
    """Measure one implementation in a fresh child process; ``None`` if it failed."""
    child = subprocess.run(
        [sys.executable, __file__, "--child", peer, "--replicates", str(replicates)],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(HERE.parent)},
        check=False,
    )
    if child.returncode != 0:
        print(f"  {peer} failed: {child.stderr.strip().splitlines()[-1:]}", file=sys.stderr)
        return None
    return json.loads(child.stdout.strip().splitlines()[-1])


def table(rows: list[dict]) -> str:
    """The measurements as a plain-text table, with each one's ratio to ``kernel``."""
    base = next((r["per_second"] for r in rows if r["peer"] == "kernel"), None)
    header = ("implementation", "replicates/s", "kernel is x faster", "mean size", "peak MiB")
    lines = [
        f"Pure cascade, Barabasi-Albert n={N:,} m={M}, p={P}, {SEEDS} seeds, "
        f"{os.cpu_count()} cores",
        f"{header[0]:<16}{header[1]:>14}{header[2]:>20}{header[3]:>16}{header[4]:>10}",
    ]
    for row in rows:
        ratio = f"{base / row['per_second']:.2f}" if base else "-"
        size = f"{row['mean']:,.0f} ± {row['se']:.0f}"
        lines.append(
            f"{row['peer']:<16}{row['per_second']:>14.2f}{ratio:>20}{size:>16}"
            f"{row['peak_mib']:>10.0f}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """Run every requested implementation in its own child process and print the ratios."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--peers", default=",".join(PEERS), help="comma-separated subset")
    parser.add_argument(
        "--quick", action="store_true", help="fewer replicates; skip mesa and ndlib"
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--replicates", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--json", action="store_true", help="print the rows as JSON")
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(measure(args.child, args.replicates)))
        return

    chosen = [p.strip() for p in args.peers.split(",") if p.strip()]
    if args.quick:
        chosen = [p for p in chosen if p not in ("mesa", "ndlib")]
    rows = []
    for peer in chosen:
        replicates = REPLICATES[peer] // (5 if args.quick and peer.startswith("kernel") else 1)
        replicates = max(replicates, 2)
        print(f"running {peer} ({replicates} replicates) ...", file=sys.stderr, flush=True)
        row = run_child(peer, replicates)
        if row:
            rows.append(row)
    print(json.dumps(rows, indent=1) if args.json else table(rows))


if __name__ == "__main__":
    main()
