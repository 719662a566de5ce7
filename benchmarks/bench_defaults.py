"""Influence maximisation at its default settings, against a well-run greedy reference.

The question a strategist asks of ``imm`` and ``celf`` left at their defaults: how far below the
greedy's spread do they land? Two stand-ins for a collaboration network (no downloads here), with
``--n`` people (default 15,000): ``--graph powerlaw_cluster`` (default), a Holme-Kim graph,
``m`` = 4 ties per newcomer (mean degree about 8), triangle probability 0.3; ``--graph
coauthor``, cliques of 2-6 co-authors per paper with sublinear preferential attachment (mean
degree about 21, at most about 500 contacts, clustering 0.32; see :func:`coauthor_edges`). One
tie probability p for every tie (visibility = appeal = 1, stickiness = p), at p = 0.01 and 0.05
by default, k = 10, 50 and 100 seeds.

Each strategy chooses through ``plan_seeds`` (the path ``wom run`` takes), timed warm. The
reference is the greedy on a large fixed sample of reverse-reachable sets (``--reference-sets``,
default 4,000,000, drawn with a seed no strategy uses): the greedy maximiser of an unbiased
estimate of the expected spread whose standard error is a fraction of a percent, i.e. what CELF
converges to with very many runs per estimate (CELF on the kernel with 1,000 runs per estimate
would take tens of minutes per setting on this machine). ``--mc-runs R`` adds the kernel's
CELF at ``mc_runs`` = R as a second reference.

Every seed set's spread is then the mean sharers over ``--runs`` kernel replicates under a seed
no strategy used (independent of every choice), paired by replicate, so the difference from the
reference has a paired standard error.

The common-random-number check: with S the reference's first 25 seeds and v each of its next 10,
the correlation over CELF's replicates between the sharers of S and of S + v, and the share of
replicates where adding v lost sharers (0 under the independent cascade with Kernel v2's coins).

    python benchmarks/bench_defaults.py                   # the table
    python benchmarks/bench_defaults.py --p 0.01 --k 50 --json
    python benchmarks/bench_defaults.py --graph coauthor --p 0.01   # supercritical at 0.05
"""

from __future__ import annotations

import argparse
import json
import math
import time

import numpy as np

# A seed for the evaluation replicates and one for the reference sample, used by no strategy.
EVAL_SEED = 0xE7A1
REFERENCE_SEED = 0x4EF


# The co-authorship stand-in's edge list (written once per process).
_COAUTHOR: dict[int, str] = {}


def coauthor_edges(n: int, seed: int = 1) -> str:
    """A co-authorship graph: papers of 2-6 authors, each author picked by their papers so far.

    Authors join over time (author i + 6 with paper i, as one of its authors); a paper's other
    authors are drawn with probability proportional to (1 + their papers)^0.75 (sublinear
    preferential attachment), and every pair
    of a paper's authors is a tie: cliques of collaborators, heavy-tailed degrees, many people
    with few contacts, as in arXiv collaboration networks. Returns the edge list's text.
    """
    rng = np.random.default_rng(seed)
    papers = np.zeros(n)
    pairs: set[tuple[int, int]] = set()
    for paper in range(n + n // 2):
        pool = min(n, paper + 6)
        weight = (1.0 + papers[:pool]) ** 0.75
        team = rng.choice(pool, int(rng.integers(2, 7)), replace=False, p=weight / weight.sum())
        if paper + 6 <= n and pool - 1 not in team:
            team[0] = pool - 1  # a newcomer's first paper
        papers[team] += 1
        team = np.sort(team)
        for a in range(len(team)):
            for b in range(a + 1, len(team)):
                pairs.add((int(team[a]), int(team[b])))
    return "".join(f"{u} {v}\n" for u, v in sorted(pairs))


def _scenario(n: int, p: float, seeding: dict, graph: str = "powerlaw_cluster"):
    import tempfile
    from pathlib import Path

    from simulation.scenario import parse_scenario

    network = {"kind": "powerlaw_cluster", "n": n, "m": 4, "triangle_p": 0.3, "seed": 1}
    base = "."
    if graph == "coauthor":
        if n not in _COAUTHOR:
            folder = Path(tempfile.mkdtemp(prefix="bench-coauthor-"))
            (folder / "coauthor.txt").write_text(coauthor_edges(n))
            _COAUTHOR[n] = str(folder)
        network = {"kind": "edge_list", "path": "coauthor.txt"}
        base = _COAUTHOR[n]
    return parse_scenario(
        {
            "name": "bench-defaults",
            "seed": 1,
            "steps": 10_000,
            "network": network,
            "content": {"visibility": 1.0, "appeal": 1.0, "stickiness": p},
            "seeding": seeding,
        },
        source="<benchmark>",
        base_dir=base,
    )


def _sharers(inputs, seeds: np.ndarray, runs: int) -> np.ndarray:
    """Sharers of a seed set in each of ``runs`` kernel replicates under :data:`EVAL_SEED`."""
    from simulation import kernel
    from simulation._jit import threads

    graph, params, campaign = inputs
    return kernel.seeded_spreads(
        graph,
        params,
        campaign,
        np.asarray(seeds, np.int32),
        np.array([-1], np.int32),
        seed=EVAL_SEED,
        runs=runs,
        steps=10_000,
        workers=threads(),
    )[0].astype(np.float64)


def reference_greedy(graph, p: float, k: int, sets: int) -> np.ndarray:
    """Greedy maximum coverage over ``sets`` RR sets (a seed no strategy uses)."""
    import numba

    from simulation import influence

    sampler = influence._Sampler(graph, p, REFERENCE_SEED, numba.get_num_threads())
    sample = influence._Collection(sampler, first=0)
    sample.grow_to(sets, math.inf)
    seeds, _, _ = sample.select(np.ones(graph.n, bool), influence.Budget(k), np.ones(graph.n), k)
    return seeds


def coupling(inputs, seeds: np.ndarray, runs: int, seed: int) -> tuple[float, float]:
    """(mean correlation of S and S + v over replicates, share of replicates where v lost sharers).

    S = ``seeds[:25]``, v each of ``seeds[25:35]``, ``runs`` replicates under ``seed``.
    """
    from simulation import kernel
    from simulation._jit import threads

    graph, params, campaign = inputs
    extra = np.concatenate([[-1], seeds[25:35]]).astype(np.int32)
    out = kernel.seeded_spreads(
        graph,
        params,
        campaign,
        np.asarray(seeds[:25], np.int32),
        extra,
        seed=seed,
        runs=runs,
        steps=10_000,
        workers=threads(),
    ).astype(np.float64)
    base = out[0]
    corr = [float(np.corrcoef(base, row)[0, 1]) for row in out[1:]]
    lost = float(np.mean(out[1:] < base))
    return float(np.mean(corr)), lost


def measure(n: int, p: float, ks: list[int], args) -> list[dict]:
    """Every strategy's seeds for the largest k, their prefixes' and the reference's spreads."""
    from simulation.kernel_inputs import spread_inputs
    from simulation.network import build_graph
    from simulation.seeding import plan_seeds, strategy_seed

    scenario = _scenario(n, p, {"budget": max(ks)}, args.graph)
    graph = build_graph(scenario)
    inputs = spread_inputs(scenario, graph)
    rows: list[dict] = []
    begin = time.perf_counter()
    reference = reference_greedy(graph, p, max(ks), args.reference_sets)
    seconds = time.perf_counter() - begin
    specs: list[tuple[str, dict]] = [(f"greedy on {args.reference_sets:,} RR sets", {})]
    specs += [(label, spec) for label, spec in _strategies(args)]
    chosen: dict[str, tuple[dict[int, np.ndarray], dict[int, float]]] = {
        specs[0][0]: ({}, dict.fromkeys(ks, seconds))
    }
    for k in ks:
        chosen[specs[0][0]][0][k] = reference[:k]
    for label, spec in specs[1:]:
        per_k: dict[int, np.ndarray] = {}
        times: dict[int, float] = {}
        # Greedy strategies are prefix-consistent (their k seeds are the first k of a larger
        # plan), except IMM, whose sample size depends on k: it runs for each k. The time of a
        # prefix is the time of the largest plan (an upper bound).
        for k in ks if spec["strategy"] == "imm" else [max(ks)]:
            s = _scenario(n, p, {"budget": k, **spec}, args.graph)
            begin = time.perf_counter()
            plan = plan_seeds(s, graph)
            times[k] = time.perf_counter() - begin
            per_k[k] = plan.fixed
            if spec["strategy"] == "random":  # one draw, as a replicate would
                rng = np.random.default_rng(0)
                per_k[k] = rng.choice(plan.pool, plan.random_budget, replace=False)
        spent = sum(times.values())  # the plans actually made
        for k in ks:
            per_k.setdefault(k, per_k[max(ks)][:k])
            times.setdefault(k, times[max(ks)])
        chosen[label] = (per_k, times)
        print(f"  p={p} {label:<32} chosen in {spent:7.1f} s", flush=True)
    for k in ks:
        ref = _sharers(inputs, chosen[specs[0][0]][0][k], args.runs)
        for label, (per_k, times) in chosen.items():
            total = times[k]
            values = ref if label == specs[0][0] else _sharers(inputs, per_k[k], args.runs)
            d = values - ref
            rows.append(
                {
                    "graph": f"{args.graph} n={graph.n:,} ties={graph.edges:,}",
                    "p": p,
                    "k": k,
                    "strategy": label,
                    "seconds": total,
                    "spread": float(values.mean()),
                    "spread_se": float(values.std(ddof=1) / math.sqrt(len(values))),
                    "vs_reference": float(d.mean() / ref.mean()),
                    "vs_reference_se": float(d.std(ddof=1) / math.sqrt(len(d)) / ref.mean()),
                    "smallest_seed_followers": int(graph.out_degree[per_k[k]].min()),
                }
            )
            r = rows[-1]
            print(
                f"  p={p} k={k:<3} {label:<32} {r['spread']:8.1f} ± {r['spread_se']:4.1f}  "
                f"{100 * r['vs_reference']:+6.2f}% ± {100 * r['vs_reference_se']:.2f}",
                flush=True,
            )
    if max(ks) >= 35:
        corr, lost = coupling(inputs, reference, 100, strategy_seed(scenario, "celf"))
        print(f"  p={p} CELF coupling: corr(S, S+v) = {corr:.4f}, replicates losing sharers {lost}")
        rows.append({"graph": rows[-1]["graph"], "p": p, "coupling": corr, "lost": lost})
    return rows


def _strategies(args) -> list[tuple[str, dict]]:
    out: list[tuple[str, dict]] = [("imm (default)", {"strategy": "imm"})]
    out += [(f"imm epsilon={e}", {"strategy": "imm", "epsilon": e}) for e in args.epsilon]
    if not args.skip_celf:
        out.append(("celf (default)", {"strategy": "celf"}))
        out += [(f"celf mc_runs={r}", {"strategy": "celf", "mc_runs": r}) for r in args.mc_runs]
    out += [(name, {"strategy": name}) for name in ("degree_discount", "degree")]
    if args.all_strategies:
        out += [(name, {"strategy": name}) for name in ("pagerank", "kcore", "betweenness")]
        out.append(("random", {"strategy": "random"}))
    return out


def main() -> None:
    """Run the benchmark and print a table (or JSON)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=15_000)
    parser.add_argument(
        "--graph",
        choices=["powerlaw_cluster", "coauthor"],
        default="powerlaw_cluster",
        help="the stand-in network (see coauthor_edges)",
    )
    parser.add_argument("--p", type=float, nargs="+", default=[0.01, 0.05])
    parser.add_argument("--k", type=int, nargs="+", default=[10, 50, 100])
    parser.add_argument("--runs", type=int, default=1000, help="evaluation replicates")
    parser.add_argument("--reference-sets", type=int, default=4_000_000)
    parser.add_argument("--epsilon", type=float, nargs="*", default=[0.5])
    parser.add_argument("--mc-runs", type=int, nargs="*", default=[])
    parser.add_argument("--skip-celf", action="store_true")
    parser.add_argument(
        "--all-strategies", action="store_true", help="add pagerank, kcore, betweenness, random"
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    rows = []
    for p in args.p:
        rows += measure(args.n, p, sorted(args.k), args)
    if args.json:
        print(json.dumps(rows, indent=1))
        return
    print()
    print("| p | k | strategy | time (s) | spread ± s.e. | vs reference ± paired s.e. |")
    print("| --- | --- | --- | --- | --- | --- |")
    for r in rows:
        if "coupling" in r:
            continue
        print(
            f"| {r['p']} | {r['k']} | {r['strategy']} | {r['seconds']:.1f} | "
            f"{r['spread']:.1f} ± {r['spread_se']:.1f} | "
            f"{100 * r['vs_reference']:+.2f}% ± {100 * r['vs_reference_se']:.2f} |"
        )


if __name__ == "__main__":
    main()
