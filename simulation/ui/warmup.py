"""Compile the engine once, when the server starts, in the background.

The numba kernel, the network generators and the seeding algorithms compile on first use (or
load from numba's cache). Done by the first visitor's first click, that takes minutes on a
busy machine with nothing to say why; and a compile must never be interrupted (see
:mod:`simulation.ui.jobs`). So the server starts one daemon thread that runs every ready-made
scenario, shrunk to a few hundred people and steps, through :func:`simulation.engine.simulate`
(every metric, cascade trees included) and one step of the Mesa model: everything the app calls
is compiled before anyone asks. Nothing stops it; visitors see "preparing the engine (once)"
until it is done, and jobs wait for it.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import Any

__all__ = ["error", "progress", "ready", "start", "tiny", "wait"]

logger = logging.getLogger(__name__)

_done = threading.Event()
_started = threading.Lock()
_thread: threading.Thread | None = None
_status: dict[str, Any] = {"done": 0, "total": 0, "error": None, "seconds": None}

# The shrunk scenarios: enough people and steps to exercise every code path, no more.
_TINY_PEOPLE = 300
_TINY_STEPS = 6


def ready() -> bool:
    """Whether the engine is compiled (or warming up failed: then jobs compile as they go)."""
    return _done.is_set()


def wait(timeout: float | None = None) -> bool:
    """Wait for the warm-up; true once it has ended."""
    return _done.wait(timeout)


def progress() -> tuple[int, int]:
    """(scenarios warmed up, scenarios to warm up)."""
    return _status["done"], _status["total"]


def error() -> str | None:
    """Why the warm-up failed, if it did (the app still works, compiling on first use)."""
    return _status["error"]


def start() -> None:
    """Start the warm-up thread (once per process; later calls do nothing)."""
    global _thread
    with _started:
        if _thread is not None:
            return
        _thread = threading.Thread(target=_run, name="wom-warmup", daemon=True)
        _thread.start()


def tiny(data: dict[str, Any]) -> dict[str, Any]:
    """A scenario's data shrunk for the warm-up: few people, steps and runs, same features."""
    import copy

    data = copy.deepcopy(data)
    data["steps"] = min(int(data.get("steps", _TINY_STEPS)), _TINY_STEPS)
    data["runs"] = 2
    network = data.get("network", {})
    if isinstance(network.get("n"), int):
        network["n"] = min(network["n"], _TINY_PEOPLE)
    seeding = data.get("seeding", {})
    if isinstance(seeding.get("budget"), int):
        seeding["budget"] = min(seeding["budget"], 5)
    for key in ("mc_runs", "rr_sets", "samples"):
        if isinstance(seeding.get(key), int):
            seeding[key] = min(seeding[key], 20)
    return data


def _run() -> None:
    started = time.perf_counter()
    try:
        from simulation.engine import prepare, simulate
        from simulation.model import WordOfMouthModel
        from simulation.scenario import parse_scenario
        from simulation.ui.state import ready_made

        scenarios = list(ready_made().values())
        _status["total"] = len(scenarios)
        for path in scenarios:
            try:
                scenario = _shrunk(path, parse_scenario)
                prepared = prepare(scenario)
                simulate(scenario, runs=2, prepared=prepared)
                model = WordOfMouthModel(scenario, run=0, prepared=prepared, space=False)
                model.step()
                model.states()
            except Exception:  # a scenario that cannot shrink: the others still warm up
                logger.warning("warm-up skipped %s", Path(path).name, exc_info=True)
            _status["done"] += 1
    except Exception as exc:
        logger.exception("warm-up failed")
        _status["error"] = str(exc)
    finally:
        _status["seconds"] = time.perf_counter() - started
        logger.info("engine ready after %.1f s", _status["seconds"])
        _done.set()


def _shrunk(path: Path, parse_scenario):
    from simulation.scenario import load_scenario

    scenario = load_scenario(path)
    return parse_scenario(
        tiny(scenario.to_toml_dict()), source=f"warm-up {path.name}", base_dir=scenario.base_dir
    )
