"""The platforms' structure and build time: what `public_followers` and `closed_circles` make.

    python benchmarks/bench_platforms.py                 # 10,000 people (the README's table)
    python benchmarks/bench_platforms.py --n 1000000     # structure and build time at a million

Each preset (the kinds' default keys) is built through the scenario path (`build_graph`, seeded
from the scenario seed) and measured: people who see a person's shares (followers), the most
followers and the most people followed, the share of connected pairs that follow each other
(and networkx's arc reciprocity, 2r / (1 + r)), the followers' power-law exponent (discrete MLE
of Clauset, Shalizi & Newman 2009 above 10 x the mean), the clustering (networkx's average
clustering on the ties taken as undirected, people with fewer than two contacts counting 0;
sampled on 20,000 people above 20,000, computed with scipy's sparse products), that of a
random graph of the same mean degree (= mean degree / (n - 1)), and the build time (seconds,
wall, after a warm-up build that compiles the generators).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import scipy.sparse as sp

from simulation.network import build_graph
from simulation.scenario import parse_scenario

PLATFORMS = {
    "public_followers": {"kind": "public_followers"},
    "public_followers, audience = mutual": {"kind": "public_followers", "audience": "mutual"},
    "closed_circles": {"kind": "closed_circles"},
}


def structure(graph, sample: int, rng: np.random.Generator) -> dict[str, float]:
    """The statistics named in the module docstring, for one built graph."""
    n = graph.n
    followers = np.diff(graph.indptr)
    following = np.diff(graph.in_indptr)
    src = np.repeat(np.arange(n, dtype=np.int64), followers)
    arcs = src * n + graph.indices
    reverse = graph.indices.astype(np.int64) * n + src
    mutual_arcs = np.isin(reverse, arcs).sum() if graph.directed else len(arcs)
    pairs = len(arcs) - mutual_arcs / 2
    k_min = max(int(10 * followers.mean()), 2)
    tail = followers[followers >= k_min]
    alpha = 1 + len(tail) / np.sum(np.log(tail / (k_min - 0.5))) if len(tail) else float("nan")
    ties = sp.csr_matrix((np.ones(len(arcs)), (src, graph.indices)), shape=(n, n))
    ties = ((ties + ties.T) > 0).astype(np.float64).tocsr()
    people = np.arange(n) if n <= sample else np.sort(rng.choice(n, sample, replace=False))
    rows = ties[people]
    triangles = np.asarray((rows @ ties).multiply(rows).sum(axis=1)).ravel() / 2
    degree = np.asarray(rows.sum(axis=1)).ravel()
    with np.errstate(divide="ignore", invalid="ignore"):
        local = np.where(degree > 1, 2 * triangles / (degree * (degree - 1)), 0.0)
    mean_degree = ties.nnz / n
    return {
        "mean followers": followers.mean(),
        "most followers": followers.max(),
        "most followed": following.max(),
        "mutual pairs": (mutual_arcs / 2) / pairs,
        "arc reciprocity": mutual_arcs / len(arcs),
        "followers' exponent": alpha,
        "clustering": local.mean(),
        "random graph's": mean_degree / (n - 1),
    }


def main() -> None:
    """Build each preset at --n people and print a Markdown table of its structure."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000, help="People (default 10,000).")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--sample", type=int, default=20_000, help="People sampled for clustering")
    args = parser.parse_args()
    rows = {}
    for name, network in PLATFORMS.items():
        scenario = parse_scenario(
            {"name": name, "seed": args.seed, "network": {**network, "n": args.n}}
        )
        build_graph(parse_scenario({"name": "warm-up", "network": {**network, "n": 100}}))
        start = time.perf_counter()
        graph = build_graph(scenario)
        seconds = time.perf_counter() - start
        rows[name] = {
            **structure(graph, args.sample, np.random.default_rng(0)),
            "build (s)": seconds,
        }
    columns = list(next(iter(rows.values())))
    print(f"n = {args.n:,}, seed {args.seed}\n")
    print("| platform | " + " | ".join(columns) + " |")
    print("| --- |" + " ---: |" * len(columns))
    for name, row in rows.items():
        print(f"| `{name}` | " + " | ".join(_number(row[c]) for c in columns) + " |")


def _number(value: float) -> str:
    """Three significant digits, whole numbers with thousands separators, "-" for none."""
    if not np.isfinite(value):
        return "-"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"


if __name__ == "__main__":
    main()
