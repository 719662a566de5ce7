"""The Mesa model: one replicate of a scenario, stepped by the same kernel as the Monte Carlo.

``WordOfMouthModel.from_scenario(path, seed=S, run=R)`` builds replicate R of a scenario: a
:class:`~simulation.agents.Consumer` for every person (placed on a
``mesa.discrete_space.Network`` built from the social graph), a
:class:`~simulation.agents.Brand` for the scenario's brand and each competitor, and a
DataCollector whose model variables are the timeline metrics of ``wom run --runs 1 --seed S``.

Each step, in the order of the Monte Carlo loop
(:func:`simulation.kernel.replicates.run_block`): the kernel ticks (the step number, and the
brands' order when they compete), every brand acts (posts what its calendar has for this step,
buys its ads, answers complaints), the crisis's first posts go out when due, and then word of
mouth spreads (:func:`simulation.kernel.spread`).
"""

from __future__ import annotations

import inspect
from pathlib import Path

import mesa
import numpy as np
from mesa.discrete_space import Network

from simulation import kernel
from simulation.agents import STATES, Brand, Consumer
from simulation.engine import Prepared, prepare
from simulation.kernel_inputs import kernel_params
from simulation.scenario import Scenario, load_scenario

__all__ = ["WordOfMouthModel"]

# Above this many people the model skips building Mesa's cell space (agents still exist).
SPACE_LIMIT = 50_000


class WordOfMouthModel(mesa.Model):
    """Word of mouth on a social network, one replicate at a time.

    Attributes:
        scenario: The validated scenario.
        prepared: Graph, seed plans and kernel arrays (shared with the Monte Carlo path).
        consumers: ``consumers[i]`` is the agent of person i.
        brands: The brand agents: the scenario's brand, then its competitors.
        brand: The scenario's brand (``brands[0]``).
        space: Mesa's network space (``None`` above ``SPACE_LIMIT`` people).
        market: The kernel's working state of this replicate (every post and brand).
        state: The working state of the scenario's brand's first post (its cascade trees).
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
        if self.prepared.campaign is None:
            self.prepared = prepare(scenario, self.prepared.graph)
        self.seed_value = np.uint64(seed)
        self.run_index = np.uint64(run)
        graph = self.prepared.graph
        self.campaign = self.prepared.campaign
        self.layout = self.prepared.layout
        self.params = kernel_params(scenario, funnel=True)
        self.market = kernel.new_market(
            graph.n, len(graph.segment_names), self.campaign, self.params.timing
        )
        self.state = kernel.post_state(self.market, 0)
        self._tally = np.zeros(self.layout.width, np.int64)

        self.consumers = [
            Consumer(self, i, str(graph.labels[i]), graph.segment_names[graph.segment_of[i]])
            for i in range(graph.n)
        ]
        self.brands = [Brand(self, name, b) for b, name in enumerate(self.layout.brands)]
        self.brand = self.brands[0]
        self.space = None
        if space or (space is None and graph.n <= SPACE_LIMIT):
            self.space = _network_space(graph.to_networkx(), self.random)
            for consumer in self.consumers:
                self.space[consumer.person].add_agent(consumer)

        self._timeline_names = self.layout.timeline_metrics(graph.segment_names)
        self._now: dict[str, float] = {}
        self.datacollector = mesa.DataCollector(
            model_reporters={
                name: (lambda m, name=name: m._now[name]) for name in self._timeline_names
            }
        )
        kernel.begin(self.campaign, self.market, self.seed_value, self.run_index)
        self._act(0)
        kernel.finish_step(self.campaign, self.market, 0)
        self._collect()

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
        return int(self.market.clock[kernel.K_STEP])

    def step(self) -> None:
        """Advance one step (no change once nothing can change or the step limit is reached)."""
        arrays, campaign, market = self.prepared.arrays, self.campaign, self.market
        if self.step_count >= self.scenario.steps or not kernel.active(arrays, campaign, market):
            self.running = False
        else:
            t = kernel.tick(campaign, market)
            self._act(t)
            kernel.spread(arrays, self.params, campaign, market, t)
        self._collect()

    def _act(self, t: int) -> None:
        """The brands act in this step's order; then the crisis's first posts go out if due."""
        for b in self.market.brand_order:
            self.brands[int(b)].act(t)
        if self.layout.crisis:
            kernel.publish(
                self.prepared.arrays, self.campaign, self.market, self.campaign.brands - 1, t
            )

    def _collect(self) -> None:
        kernel.tally(self.market, self._tally)
        timelines = self.layout.timelines(self._tally[None, :], 1, self._timeline_names)
        self._now = {name: line[0] for name, line in timelines.items()}
        self.datacollector.collect(self)

    def counts(self) -> dict[str, int]:
        """The scenario's brand's cumulative counts so far (``sharers``, ``reach``, ...)."""
        row = self.market.brand_counters[0]
        return {name: int(row[i]) for i, name in enumerate(kernel.COUNTERS)}

    def states(self) -> np.ndarray:
        """Every person's state as an index into :data:`simulation.agents.STATES` (vectorised).

        The furthest state reached with any post of the scenario's brand; ``negative`` for
        people who saw the crisis, were not won back, and have not shared or bought.
        """
        market = self.market
        epoch = market.clock[kernel.K_EPOCH]
        flags = np.zeros(len(self.consumers), np.uint8)
        for p in self._brand_posts(0):
            flags |= np.where(market.stamp[p] == epoch, market.flags[p], 0).astype(np.uint8)
        out = np.zeros(len(flags), np.int8)
        out[(flags & kernel.SEEN) > 0] = STATES.index("seen")
        out[(flags & kernel.ENGAGED) > 0] = STATES.index("engaged")
        out[(flags & kernel.SHARED) > 0] = STATES.index("shared")
        out[(flags & kernel.CONVERTED) > 0] = STATES.index("converted")
        crisis = int(self.campaign.crisis_post)
        if crisis >= 0:
            seen = np.where(market.stamp[crisis] == epoch, market.flags[crisis], 0)
            negative = (seen & kernel.NEGATIVE_MASK) == kernel.SEEN
            out[negative & (out < STATES.index("shared"))] = STATES.index("negative")
        return out

    def _brand_posts(self, brand: int) -> list[int]:
        """Kernel post indices of a brand's posts."""
        return [int(p) for p in np.flatnonzero(self.campaign.posts.brand == brand)]


def _network_space(graph, random) -> Network:
    """Mesa's Network space without its default spring layout (Mesa 3.5 computes one)."""
    kwargs = {"random": random}
    if "layout" in inspect.signature(Network.__init__).parameters:
        kwargs["layout"] = None
    return Network(graph, **kwargs)
