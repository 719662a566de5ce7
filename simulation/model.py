"""The Mesa model: one replicate of a scenario, stepped by the same kernel as the Monte Carlo.

``WordOfMouthModel.from_scenario(path, seed=S, run=R)`` builds replicate R of a scenario: a
:class:`~simulation.agents.Consumer` for every person (placed on a
``mesa.discrete_space.Network`` built from the social graph), a
:class:`~simulation.agents.Brand`, and a DataCollector whose model variables are the cumulative
counts of ``wom run --runs 1 --seed S``'s timeline. ``step()`` calls
:func:`simulation.kernel.step`, the function the Monte Carlo path calls.
"""

from __future__ import annotations

import inspect
from pathlib import Path

import mesa
import numpy as np
from mesa.discrete_space import Network

from simulation import kernel
from simulation.agents import Brand, Consumer
from simulation.engine import Prepared, kernel_params, prepare
from simulation.scenario import Scenario, load_scenario

__all__ = ["WordOfMouthModel"]

# Above this many people the model skips building Mesa's cell space (agents still exist).
SPACE_LIMIT = 50_000


class WordOfMouthModel(mesa.Model):
    """Word of mouth on a social network, one replicate at a time.

    Attributes:
        scenario: The validated scenario.
        prepared: Graph, seed plan and kernel arrays (shared with the Monte Carlo path).
        consumers: ``consumers[i]`` is the agent of person i.
        brand: The brand agent.
        space: Mesa's network space (``None`` above ``SPACE_LIMIT`` people).
        state: The kernel's working state of this replicate.
    """

    def __init__(
        self,
        scenario: Scenario,
        *,
        seed: int | None = None,
        run: int = 0,
        prepared: Prepared | None = None,
        space: bool | None = None,
    ) -> None:
        """Build replicate ``run`` of ``scenario`` with ``seed`` (default: the scenario's)."""
        seed = scenario.seed if seed is None else seed
        super().__init__(rng=np.random.default_rng([seed, run]))
        self.scenario = scenario
        self.prepared = prepared if prepared is not None else prepare(scenario)
        self.seed_value = np.uint64(seed)
        self.run_index = np.uint64(run)
        graph = self.prepared.graph
        self.params = kernel_params(scenario, funnel=True)
        self.state = kernel.new_state(graph.n, len(graph.segment_names))

        self.consumers = [
            Consumer(self, i, str(graph.labels[i]), graph.segment_names[graph.segment_of[i]])
            for i in range(graph.n)
        ]
        self.brand = Brand(self, scenario.name)
        self.space = None
        if space or (space is None and graph.n <= SPACE_LIMIT):
            self.space = _network_space(graph.to_networkx(), self.random)
            for consumer in self.consumers:
                self.space[consumer.person].add_agent(consumer)

        self.datacollector = mesa.DataCollector(
            model_reporters={
                name: (lambda m, i=i: int(m.state.counters[i]))
                for i, name in enumerate(kernel.COUNTERS)
            }
        )
        self.brand.launch()
        self.datacollector.collect(self)

    @classmethod
    def from_scenario(
        cls, scenario: str | Path | Scenario, *, seed: int | None = None, run: int = 0, **kwargs
    ) -> WordOfMouthModel:
        """Build replicate ``run`` of a scenario file or :class:`Scenario`.

        Raises:
            ScenarioError: the file is not a valid scenario.
        """
        if not isinstance(scenario, Scenario):
            scenario = load_scenario(scenario)
        return cls(scenario, seed=seed, run=run, **kwargs)

    @property
    def step_count(self) -> int:
        """Kernel steps taken in this replicate."""
        return int(self.state.cursor[kernel.C_STEP])

    def step(self) -> None:
        """Advance one step (no change once nothing can spread or the step limit is reached)."""
        if self.step_count >= self.scenario.steps or not kernel.step(
            self.prepared.arrays, self.params, self.state
        ):
            self.running = False
        self.datacollector.collect(self)

    def counts(self) -> dict[str, int]:
        """Cumulative counts so far (``sharers``, ``reach``, ``impressions``, ...)."""
        return {name: int(self.state.counters[i]) for i, name in enumerate(kernel.COUNTERS)}

    def states(self) -> np.ndarray:
        """Every person's state as an index into :data:`simulation.agents.STATES` (vectorised)."""
        state = self.state
        live = state.stamp == state.cursor[kernel.C_EPOCH]
        flags = np.where(live, state.flags, 0)
        out = np.zeros(len(flags), np.int8)
        out[(flags & kernel.SEEN) > 0] = 1
        out[(flags & kernel.ENGAGED) > 0] = 2
        out[(flags & kernel.SHARED) > 0] = 3
        out[(flags & kernel.CONVERTED) > 0] = 4
        return out


def _network_space(graph, random) -> Network:
    """Mesa's Network space without its default spring layout (Mesa 3.5 computes one)."""
    kwargs = {"random": random}
    if "layout" in inspect.signature(Network.__init__).parameters:
        kwargs["layout"] = None
    return Network(graph, **kwargs)
