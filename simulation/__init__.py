"""Word-of-mouth marketing simulation: eWOM and viral cascades on social networks.

The path through the library: a scenario file (:func:`load_scenario`) becomes a graph with
people and segments and a seed plan (:func:`prepare`), the compiled kernel spreads content
through it replicate after replicate (:func:`simulate`), and named metrics come out. The Mesa
model (:class:`WordOfMouthModel`) steps one replicate with the same kernel.
"""

from typing import TYPE_CHECKING

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


_HOMES = {
    "Prepared": "engine",
    "RunResult": "engine",
    "prepare": "engine",
    "simulate": "engine",
    "Problem": "errors",
    "ScenarioError": "errors",
    "WordOfMouthModel": "model",
    "Scenario": "scenario",
    "load_scenario": "scenario",
    "parse_scenario": "scenario",
}


def __getattr__(name: str):
    # Loaded when first asked for: the CLI's quick commands never import numba, mesa or pandas.
    if name in _HOMES:
        import importlib

        return getattr(importlib.import_module(f"simulation.{_HOMES[name]}"), name)
    raise AttributeError(f"module 'simulation' has no attribute {name!r}")
