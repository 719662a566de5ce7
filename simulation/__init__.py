"""Word-of-mouth marketing simulation: eWOM and viral cascades on social networks.

The path through the library: a scenario file (:func:`load_scenario`) becomes a graph with
people and segments and a seed plan (:func:`prepare`), the compiled kernel spreads content
through it replicate after replicate (:func:`simulate`), and named metrics come out. The Mesa
model (:class:`WordOfMouthModel`) steps one replicate with the same kernel.

Every public name is loaded on first use (PEP 562), so ``import simulation`` and the commands
that only read scenarios (``wom --help``, ``wom keys``, ``wom validate``) never load numba,
pandas or mesa.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from simulation.engine import Prepared, RunResult, prepare, simulate
    from simulation.errors import Problem, ScenarioError
    from simulation.model import WordOfMouthModel
    from simulation.scenario import Scenario, load_scenario, parse_scenario

__all__ = [
    "Prepared",
    "Problem",
    "RunResult",
    "Scenario",
    "ScenarioError",
    "WordOfMouthModel",
    "load_scenario",
    "parse_scenario",
    "prepare",
    "simulate",
]

# Public name -> the module that defines it.
_HOMES = {
    "Prepared": "simulation.engine",
    "RunResult": "simulation.engine",
    "prepare": "simulation.engine",
    "simulate": "simulation.engine",
    "Problem": "simulation.errors",
    "ScenarioError": "simulation.errors",
    "WordOfMouthModel": "simulation.model",
    "Scenario": "simulation.scenario",
    "load_scenario": "simulation.scenario",
    "parse_scenario": "simulation.scenario",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'simulation' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
