"""Word-of-mouth marketing simulation: eWOM and viral cascades on social networks.

The path through the library: a scenario file (:func:`load_scenario`) becomes a graph with
people and segments and a seed plan (:func:`prepare`), the compiled kernel spreads content
through it replicate after replicate (:func:`simulate`), and named metrics come out. The Mesa
model (:class:`WordOfMouthModel`) steps one replicate with the same kernel.
"""

from typing import TYPE_CHECKING

from simulation.engine import Prepared, RunResult, prepare, simulate
from simulation.errors import Problem, ScenarioError
from simulation.scenario import Scenario, load_scenario, parse_scenario

if TYPE_CHECKING:
    from simulation.model import WordOfMouthModel

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


def __getattr__(name: str):
    # The Mesa model imports mesa (and pandas); load it only when asked for, so the CLI starts fast.
    if name == "WordOfMouthModel":
        from simulation.model import WordOfMouthModel

        return WordOfMouthModel
    raise AttributeError(f"module 'simulation' has no attribute {name!r}")
