"""What one visitor may ask of the server: caps on what can be typed, and the memory they imply.

Every number a visitor types that sets the size of work is capped here, and a run's memory is
estimated before it starts (:func:`estimate_bytes`) and refused above :data:`JOB_MEMORY_BYTES`.
At most :data:`simulation.ui.jobs.MAX_CONCURRENT` jobs run at once in the server, and each
session holds at most one live model (:data:`LIVE_PEOPLE` people), so the server's memory is
bounded whatever the number of visitors: about ``MAX_CONCURRENT x JOB_MEMORY_BYTES`` for running
jobs plus, per open session, one live model (about ``LIVE_PEOPLE x 2 KB``) and its last results
(a few MB).

Measured (``python`` + ``resource.getrusage``, launch.toml at 50,000 people): preparing the
network and seeds took 57 MB, the Mesa model another 43 MB: about 2 KB per person in all.
"""

from __future__ import annotations

from simulation.metrics import resolve_metrics
from simulation.scenario import Scenario

__all__ = [
    "JOB_MEMORY_BYTES",
    "LIVE_PEOPLE",
    "MAX_PEOPLE",
    "MAX_RUNS",
    "MAX_SWEEP_POINTS",
    "MAX_VARIANTS",
    "estimate_bytes",
    "too_big",
]

MAX_RUNS = 2_000  # replicates per strategy (or per sweep point)
MAX_VARIANTS = 8  # strategies compared at once
MAX_SWEEP_POINTS = 40  # values x lines in one sweep
MAX_PEOPLE = 200_000  # people in a network the app simulates
LIVE_PEOPLE = 50_000  # people in the live view's Mesa model (an agent each)
JOB_MEMORY_BYTES = 1024**3  # memory one comparison or sweep may take

_BYTES_PER_PERSON = 2_048  # graph, seeds, kernel state (measured, see above)
_BYTES_PER_TIE = 32  # both directions, target + weight + tie strength
_THREADS = 4  # numba threads the engine's timeline sums are kept for (2 cores, with margin)


def _mean_degree(scenario: Scenario) -> float:
    network = scenario.network
    kind = network.kind
    n = getattr(network, "n", 0) or 0
    if kind in ("barabasi_albert", "powerlaw_cluster"):
        return 2.0 * network.m
    if kind == "erdos_renyi":
        return float(network.mean_degree)
    if kind == "watts_strogatz":
        return float(network.k)
    if kind == "complete":
        return float(max(n - 1, 0))
    return 10.0


def people(scenario: Scenario) -> int:
    """People in the scenario's network (0 when only the file knows: an edge list)."""
    return int(getattr(scenario.network, "n", 0) or 0)


def estimate_bytes(scenario: Scenario, runs: int, variants: int = 1) -> int:
    """Memory a run of ``variants`` x ``runs`` replicates of ``scenario`` needs, roughly.

    The network and its kernel state (for at most two variants at once: a variant may change
    the network), one number per replicate, metric and variant, and the engine's per-step
    timeline sums (two per thread, a row per step).
    """
    n = people(scenario)
    ties = n * _mean_degree(scenario) / 2.0
    graph = n * _BYTES_PER_PERSON + ties * _BYTES_PER_TIE
    try:
        metrics = len(resolve_metrics(None, [s.name for s in scenario.segments], scenario=scenario))
    except Exception:
        metrics = 60
    values = runs * variants * (metrics + 8) * 8
    timelines = 2 * _THREADS * (scenario.steps + 2) * (metrics + 8) * 8
    return int(graph * min(variants, 2) + values + timelines)


def too_big(scenario: Scenario, runs: int, variants: int = 1) -> str | None:
    """Why a run is too big for the app, in words, or ``None`` if it is within the limits."""
    if runs > MAX_RUNS:
        return f"at most {MAX_RUNS:,} runs per strategy in the app (use `wom run` for more)"
    if variants > MAX_VARIANTS:
        return f"at most {MAX_VARIANTS} strategies at once"
    n = people(scenario)
    if n > MAX_PEOPLE:
        return (
            f"the app simulates networks of up to {MAX_PEOPLE:,} people; this one has {n:,} "
            "(lower network.n, or use `wom run`)"
        )
    need = estimate_bytes(scenario, runs, variants)
    if need > JOB_MEMORY_BYTES:
        return (
            f"this run needs about {need / 1024**2:,.0f} MB; the app allows "
            f"{JOB_MEMORY_BYTES / 1024**2:,.0f} MB per run: fewer runs or people"
        )
    return None
