"""Every benchmark of the Performance issue, one command, one table of goals.

    python benchmarks/run_all.py                 # everything, best of 3 (about 15 minutes)
    python benchmarks/run_all.py --quick         # fewer replicates, no Mesa/NDlib, no sweep
    python benchmarks/run_all.py --json          # one JSON document instead of the tables
    python benchmarks/run_all.py --save          # also write benchmarks/results/<date>.json
    python benchmarks/run_all.py --compare benchmarks/results/2026-11-27-1500.json

Runs, each measurement in a fresh child process (so peak memory is its own):

* ``bench_kernel.py``: the kernel against cynetdiff, NDlib, Mesa and a networkx BFS on the
  same graph and seeds (pure cascade, n = 100,000), plus the full funnel (every metric);
* ``bench_scale.py``: a million people (build + 100 replicates, peak memory) and small
  cascades on 100,000 people (microseconds per replicate);
* ``bench_sweep.py``: how a Dask sweep scales from one worker to two;
* ``bench_startup.py``: CPU seconds of the first run from an empty compiled-code cache, of
  ``wom run`` on the karate club once compiled, and of ``wom --help``, ``keys`` and ``validate``.

Each measurement is repeated (``--repeat``, default 3) and the best kept, since other work on
the machine can only slow a run down. The peers' repeats are interleaved (each peer once, then
each again), so the ratios between peers compare runs made under the same background load.
The load average before and after (and, in the JSON, before each kept run) is printed with the
results, and everything is printed as Markdown tables that can be pasted into the README.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import bench_kernel  # noqa: E402
import bench_scale  # noqa: E402
import bench_startup  # noqa: E402

QUICK_PEERS = (
    "kernel",
    "kernel-scalar",
    "kernel-1-thread",
    "kernel-funnel",
    "cynetdiff",
    "networkx",
)


def best_row(rows: list[dict], key: str, *, higher: bool) -> dict | None:
    """The best of repeated measurements by ``key``, each with the load average it started at.

    The best run's own peak memory is kept (``peak_mib``), and the largest of all runs as
    ``peak_mib_max`` (a first run may include compiling the kernel).
    """
    if not rows:
        return None
    best = dict((max if higher else min)(rows, key=lambda row: row[key]))
    best["peak_mib_max"] = max(row["peak_mib"] for row in rows)
    best["repeats"] = len(rows)
    return best


def measured(measure) -> dict | None:
    """One measurement with the load average it started at (``None`` if it failed)."""
    load = os.getloadavg()[0]
    row = measure()
    return {**row, "load": load} if row else None


def best_of(measure, repeat: int, key: str, *, higher: bool) -> dict | None:
    """The best of ``repeat`` measurements by ``key`` (see :func:`best_row`)."""
    rows = [row for row in (measured(measure) for _ in range(repeat)) if row]
    return best_row(rows, key, higher=higher)


def run_peers(repeat: int, quick: bool) -> list[dict]:
    """Replicates per second of every implementation (``bench_kernel.py``).

    The repeats are interleaved (every peer once, then every peer again, ...), so each peer's
    best comes from the same stretches of background load as the others': on a shared machine
    a ratio of two bests taken minutes apart measures the neighbours as much as the code.
    """
    peers = QUICK_PEERS if quick else bench_kernel.PEERS
    rows: dict[str, list[dict]] = {peer: [] for peer in peers}
    for attempt in range(repeat):
        for peer in peers:
            replicates = bench_kernel.REPLICATES[peer]
            if quick and peer.startswith("kernel"):
                replicates //= 5
            print(
                f"peers: {peer} ({replicates} replicates), run {attempt + 1} of {repeat}",
                file=sys.stderr,
                flush=True,
            )
            row = measured(lambda p=peer, r=replicates: bench_kernel.run_child(p, r))
            if row:
                rows[peer].append(row)
    best = (best_row(rows[peer], "per_second", higher=True) for peer in peers)
    return [row for row in best if row]


def run_scale(repeat: int, quick: bool) -> list[dict]:
    """The million-person run and small cascades (``bench_scale.py``)."""
    rows = []
    for workload in bench_scale.WORKLOADS:
        replicates = 20_000 if quick and workload.startswith("small") else None
        print(f"scale: {workload} x {repeat}", file=sys.stderr, flush=True)
        row = best_of(
            lambda w=workload, r=replicates: bench_scale.run_child(w, r),
            repeat,
            "total_s",
            higher=False,
        )
        if row:
            rows.append(row)
    return rows


def run_sweep() -> dict | None:
    """Sweep scaling, one worker against two (``bench_sweep.py``, best of its own 3)."""
    print("sweep: bench_sweep.py", file=sys.stderr, flush=True)
    child = subprocess.run(
        [sys.executable, str(HERE / "bench_sweep.py")],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(HERE.parent)},
        check=False,
    )
    if child.returncode != 0:
        print(f"  sweep failed: {child.stderr.strip().splitlines()[-1:]}", file=sys.stderr)
        return None
    text = child.stdout
    workers = {
        int(w): {"seconds": float(s), "per_second": float(r)}
        for w, s, r in re.findall(r"(\d) worker\(s\):\s+([\d.]+) s,\s+([\d.]+) replicates/s", text)
    }
    speedup = re.search(r"speed-up 2 vs 1 workers: ([\d.]+)x", text)
    return {
        "workers": workers,
        "speedup": float(speedup.group(1)) if speedup else None,
        "output": text.strip(),
    }


def startup_goals(startup: list[dict]) -> list[dict]:
    """Kernel v2's start-up goals (CPU seconds, from ``bench_startup.py``)."""
    names = {
        "compile": "first `wom run launch.toml`, empty cache (CPU s)",
        "run-karate": "`wom run` karate, compiled (CPU s)",
        "help": "`wom --help` (CPU s)",
        "keys": "`wom keys` (CPU s)",
        "validate": "`wom validate` (CPU s)",
    }
    return [
        {
            "goal": names[row["what"]],
            "target": f"<= {row['goal_s']:g} s",
            "value": row["cpu_s"],
            "measured": f"{row['cpu_s']:.2f} s",
            "met": row["met"],
        }
        for row in startup
    ]


def goals(peers: list[dict], scale: list[dict], sweep: dict | None) -> list[dict]:
    """Issues 6's and 10's goals, each with what was measured and whether it is met."""
    by_peer = {row["peer"]: row for row in peers}
    by_workload = {row["workload"]: row for row in scale}
    rows = []

    def goal(name: str, target: str, value: float | None, text: str, met: bool | None) -> None:
        rows.append({"goal": name, "target": target, "value": value, "measured": text, "met": met})

    kernel, cynetdiff = by_peer.get("kernel"), by_peer.get("cynetdiff")
    if kernel and cynetdiff:
        x = kernel["per_second"] / cynetdiff["per_second"]
        goal(
            "pure cascade vs cynetdiff",
            ">= 10x",
            x,
            f"{x:.2f}x ({kernel['per_second']:.0f} vs {cynetdiff['per_second']:.0f} rep/s)",
            x >= 10,
        )
    funnel = by_peer.get("kernel-funnel")
    if kernel and funnel:
        x = kernel["per_second"] / funnel["per_second"]
        goal(
            "full funnel cost vs pure cascade",
            "<= 2x",
            x,
            f"{x:.2f}x ({funnel['per_second']:.0f} vs {kernel['per_second']:.0f} rep/s)",
            x <= 2,
        )
    for workload, label, limit in (
        ("million-funnel", "every metric", 20),  # issue 10
        ("million-cascade", "sharers", 60),
    ):
        row = by_workload.get(workload)
        if row:
            goal(
                f"1M people: build + 100 replicates ({label})",
                f"<= {limit} s",
                row["total_s"],
                f"{row['total_s']:.1f} s ({row['build_s']:.1f} build + {row['run_s']:.1f} run)",
                row["total_s"] <= limit,
            )
    million = [by_workload[w] for w in ("million-funnel", "million-cascade") if w in by_workload]
    if million:
        peak = max(row["peak_mib"] for row in million)
        goal("1M people: peak memory", "< 3 GiB", peak, f"{peak / 1024:.2f} GiB", peak < 3072)
    for workload, limit in (("small-cascade", 6.8), ("small-funnel", 1000.0)):
        row = by_workload.get(workload)
        if row:
            goal(
                f"small cascades ({'sharers' if workload.endswith('cascade') else 'every metric'})",
                f"<= {limit:,g} µs",  # sharers: issue 10's "no slower than today"
                row["us_per_replicate"],
                f"{row['us_per_replicate']:.1f} µs per replicate "
                f"(mean {row['mean_sharers']:.1f} sharers)",
                row["us_per_replicate"] <= limit,
            )
    if sweep and sweep["speedup"] is not None:
        goal(
            "sweep: 2 workers vs 1",
            ">= 1.7x",
            sweep["speedup"],
            f"{sweep['speedup']:.2f}x",
            sweep["speedup"] >= 1.7,
        )
    return rows


def markdown(report: dict) -> str:
    """The report as Markdown tables."""
    machine = report["machine"]
    out = [
        f"Measured {report['date']} on {machine['cores']} cores ({machine['cpu']}), "
        f"Python {machine['python']}, numba {machine['numba']}, commit {machine.get('commit')}; "
        "load average "
        f"{machine['load_before']:.1f} before, {machine['load_after']:.1f} after; "
        f"best of {report['repeat']}.",
        "",
    ]
    before = {row["goal"]: row for row in (report.get("before") or {}).get("goals", [])}
    if before:
        out += [
            f"| goal | target | measured | met | before ({report['before']['date']}) |",
            "| --- | --- | --- | --- | --- |",
        ]
    else:
        out += ["| goal | target | measured | met |", "| --- | --- | --- | --- |"]
    for row in report["goals"]:
        met = {True: "yes", False: "**no**", None: "-"}[row["met"]]
        line = f"| {row['goal']} | {row['target']} | {row['measured']} | {met} |"
        if before:
            line += f" {before[row['goal']]['measured'] if row['goal'] in before else '-'} |"
        out.append(line)
    if report["peers"]:
        base = next((r["per_second"] for r in report["peers"] if r["peer"] == "kernel"), None)
        out += [
            "",
            f"Pure cascade, Barabasi-Albert n = {bench_kernel.N:,}, m = {bench_kernel.M}, "
            f"p = {bench_kernel.P}, {bench_kernel.SEEDS} seeds:",
            "",
            "| implementation | replicates/s | kernel is x faster | mean sharers ± s.e. "
            "| peak MiB |",
            "| --- | ---: | ---: | ---: | ---: |",
        ]
        for row in report["peers"]:
            ratio = f"{base / row['per_second']:,.2f}" if base else "-"
            out.append(
                f"| {row['peer']} | {row['per_second']:,.2f} | {ratio} | "
                f"{row['mean']:,.0f} ± {row['se']:.0f} | {row['peak_mib']:,.0f} |"
            )
    if report["scale"]:
        out += [
            "",
            "| workload | people | ties | replicates | start-up s | build s | run s "
            "| build + run s | µs/replicate | peak MiB |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        for row in report["scale"]:
            out.append(
                f"| {row['workload']} | {row['nodes']:,} | {row['edges']:,} | "
                f"{row['replicates']:,} | {row['startup_s']:.1f} | {row['build_s']:.2f} | "
                f"{row['run_s']:.2f} | {row['total_s']:.2f} | {row['us_per_replicate']:,.1f} | "
                f"{row['peak_mib']:,.0f} |"
            )
    if report["sweep"]:
        out += ["", "```", report["sweep"]["output"], "```"]
    return "\n".join(out)


def machine(load_before: float) -> dict:
    """What the numbers were measured on."""
    import numba

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    commit = subprocess.run(
        ["git", "describe", "--always", "--dirty"],
        capture_output=True,
        text=True,
        cwd=HERE.parent,
        check=False,
    ).stdout.strip()
    return {
        "commit": commit or None,
        "cores": os.cpu_count(),
        "cpu": cpu,
        "python": platform.python_version(),
        "numba": numba.__version__,
        "load_before": load_before,
        "load_after": os.getloadavg()[0],
    }


def main(argv: list[str] | None = None) -> None:
    """Run the benchmarks and print (and optionally save) the report."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs of each; the best is kept")
    parser.add_argument(
        "--quick", action="store_true", help="fewer replicates, no Mesa/NDlib, no sweep, once"
    )
    parser.add_argument(
        "--only",
        default="startup,peers,scale,sweep",
        help="comma-separated: startup, peers, scale, sweep",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    parser.add_argument(
        "--save", action="store_true", help="also write benchmarks/results/<date>.json"
    )
    parser.add_argument(
        "--compare", type=Path, help="a saved JSON report: show its numbers beside the goals"
    )
    args = parser.parse_args(argv)
    sections = {s.strip() for s in args.only.split(",")}
    repeat = 1 if args.quick else max(args.repeat, 1)
    load_before = os.getloadavg()[0]
    started = dt.datetime.now().astimezone()

    if "startup" in sections:
        print("startup: bench_startup.py", file=sys.stderr, flush=True)
    startup = bench_startup.measure() if "startup" in sections else []
    peers = run_peers(repeat, args.quick) if "peers" in sections else []
    scale = run_scale(repeat, args.quick) if "scale" in sections else []
    sweep = run_sweep() if "sweep" in sections and not args.quick else None
    report = {
        "date": started.isoformat(timespec="minutes"),
        "repeat": repeat,
        "quick": args.quick,
        "machine": machine(load_before),
        "goals": startup_goals(startup) + goals(peers, scale, sweep),
        "startup": startup,
        "peers": peers,
        "scale": scale,
        "sweep": sweep,
    }
    before = json.loads(args.compare.read_text(encoding="utf-8")) if args.compare else None
    if args.save:
        folder = HERE / "results"
        folder.mkdir(exist_ok=True)
        path = folder / f"{started:%Y-%m-%d-%H%M}.json"
        if path.exists():  # two runs started in the same minute: keep both
            path = folder / f"{started:%Y-%m-%d-%H%M%S}.json"
        path.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
        print(f"saved {path.relative_to(HERE.parent)}", file=sys.stderr)
    print(json.dumps(report, indent=1) if args.json else markdown({**report, "before": before}))


if __name__ == "__main__":
    main()
