"""The compiled diffusion kernel: numba functions over plain arrays, one room per job.

Nothing here knows about files, TOML, names or the UI: :mod:`simulation.kernel_inputs` turns a
scenario and its graph into the named tuples of :mod:`~simulation.kernel.layout`, and
:mod:`simulation.engine` turns the outputs into named metrics.

Rooms:

* :mod:`~simulation.kernel.random` — counter-based random numbers (every decision a function of
  what it decides);
* :mod:`~simulation.kernel.layout` — counters, flags and the named tuples (inputs and state);
* :mod:`~simulation.kernel.state` — a replicate's working state and its keys;
* :mod:`~simulation.kernel.person` — what happens to one person: see, engage, share, seed;
* :mod:`~simulation.kernel.rules` — one file per diffusion rule, behind one dispatch;
* :mod:`~simulation.kernel.ads` — paid impressions; :mod:`~simulation.kernel.crisis` — answers;
* :mod:`~simulation.kernel.campaign` — brands and the campaign clock (a step, in order);
* :mod:`~simulation.kernel.trees` — cascade trees (structural virality, depth);
* :mod:`~simulation.kernel.replicates` — the replicate loop over threads;
* :mod:`~simulation.kernel.batched` — the batched path: 64 replicates per traversal.

Design notes (see the README's "How the kernel works"): the people who shared in the previous
step are a slice of the activation order (work proportional to the frontier's ties); per-person
state is valid only where ``stamp == epoch`` (no clearing between replicates); compiled code is
cached in a folder keyed by a hash of these sources (:mod:`simulation._jit`).
"""

from __future__ import annotations

import importlib
from typing import Any

from simulation.kernel import layout
from simulation.kernel.layout import *  # noqa: F403 (the layout is the kernel's vocabulary)

# Compiled functions load on first use, so that reading the layout imports no numba.
_HOMES = {
    "active": "campaign",
    "advertise": "campaign",
    "begin": "campaign",
    "finish_step": "campaign",
    "publish": "campaign",
    "respond": "campaign",
    "spread": "campaign",
    "tally": "campaign",
    "tick": "campaign",
    "splitmix64": "random",
    "brands_act": "replicates",
    "run_replicates": "replicates",
    "seeded_spreads": "replicates",
    "new_market": "state",
    "post_state": "state",
    "brand_trees": "trees",
    "post_trees": "trees",
}

__all__ = [*layout.__all__, *sorted(_HOMES), "compiled"]


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        return getattr(importlib.import_module(f"simulation.kernel.{_HOMES[name]}"), name)
    raise AttributeError(f"module 'simulation.kernel' has no attribute {name!r}")


def compiled() -> bool:
    """Whether the replicate loop's compiled code is cached (else the next run compiles it)."""
    from simulation._jit import cache_dir

    return any(cache_dir().glob("**/*run_block*.nbi"))
