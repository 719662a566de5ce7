"""The live cascade: one replicate of the Mesa model stepped for the screen.

:class:`LiveCascade` wraps :class:`~simulation.model.WordOfMouthModel` and turns its state into
what the browser draws: the drawn people's states (one small integer each, the index into
:data:`simulation.agents.STATES`), the counts so far, the timeline from the model's
DataCollector, and a seed's cascade tree. Positions are computed once per graph
(:mod:`simulation.ui.drawing`); a step sends only the states.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np

from simulation.engine import Prepared, prepare
from simulation.model import WordOfMouthModel
from simulation.scenario import Scenario
from simulation.ui.drawing import (
    DRAW_LIMIT,
    CascadeTree,
    Drawing,
    cascade_tree,
    drawn_people,
    layout,
)
from simulation.ui.limits import LIVE_PEOPLE

__all__ = ["LIVE_LIMIT", "STATE_COLORS", "Frame", "LiveCascade"]

# Largest network the live view builds a Mesa model for (an agent per person, about 2 KB each:
# see :mod:`simulation.ui.limits`).
LIVE_LIMIT = LIVE_PEOPLE

# Colour of each person state (states the model may add later fall back to grey).
STATE_COLORS = {
    "unaware": "#d4d7dd",
    "seen": "#8ecae6",
    "engaged": "#ffb703",
    "shared": "#e63946",
    "converted": "#2a9d8f",
    "negative": "#6a4c93",
}


@dataclass(frozen=True)
class Frame:
    """What the screen shows after a step.

    Attributes:
        step: Steps taken.
        states: State index of every drawn person (``Drawing.people`` order).
        counts: Cumulative counts (sharers, reach, impressions, ...) over the whole network.
        running: Whether anything can still change.
    """

    step: int
    states: list[int]
    counts: dict[str, int]
    running: bool


class LiveCascade:
    """A replicate of a scenario, stepped one step at a time, with its drawing.

    Args:
        scenario: A validated scenario.
        run: Replicate index (replicate ``run`` of ``wom run``'s replicates).
        seed: Seed (default: the scenario's).
        prepared: The scenario prepared earlier (reused on reset).
        limit: Most people drawn.
    """

    def __init__(
        self,
        scenario: Scenario,
        *,
        run: int = 0,
        seed: int | None = None,
        prepared: Prepared | None = None,
        limit: int = DRAW_LIMIT,
    ) -> None:
        self.scenario = scenario
        self.run = run
        self.prepared = prepared if prepared is not None else prepare(scenario)
        self.model = WordOfMouthModel(
            scenario, seed=seed, run=run, prepared=self.prepared, space=False, reporters=False
        )
        graph = self.prepared.graph
        self.seeds = np.array([c.person for c in self.model.brand.seeds], dtype=np.int64)
        self.drawing: Drawing = layout(graph, drawn_people(graph, self.seeds, limit))
        self._position = {int(p): i for i, p in enumerate(self.drawing.people)}
        # The play thread and the Step button never step the model at the same time.
        self._lock = threading.Lock()

    @property
    def people(self) -> int:
        """People in the whole network."""
        return self.prepared.graph.n

    def label(self, person: int) -> str:
        """A person's label (as in the edge list, or their number)."""
        return str(self.prepared.graph.labels[person])

    def drawn_seeds(self) -> list[int]:
        """Positions (in the drawing) of the seeds that are drawn."""
        return [self._position[int(s)] for s in self.seeds if int(s) in self._position]

    def frame(self) -> Frame:
        """The current state, for the screen."""
        states = self.model.states()[self.drawing.people]
        return Frame(
            step=self.model.step_count,
            states=states.tolist(),
            counts=self.model.counts(),
            running=bool(self.model.running),
        )

    def step(self) -> Frame:
        """Advance one step and return what to show."""
        with self._lock:
            if self.model.running:
                self.model.step()
            return self.frame()

    def timeline(self) -> dict[str, list[float]]:
        """Cumulative counts per step so far (from the model's DataCollector)."""
        frame = self.model.datacollector.get_model_vars_dataframe()
        return {name: frame[name].astype(float).tolist() for name in frame.columns}

    def tree(self, seed: int) -> CascadeTree:
        """The cascade tree of a seed (a person index) so far."""
        return cascade_tree(self.model.state, int(seed))

    def tree_sizes(self) -> dict[int, int]:
        """Seed person -> size of their cascade tree so far."""
        return {int(s): self.tree(int(s)).size for s in self.seeds}

    def root_of(self, person: int) -> int | None:
        """The seed whose cascade a person shared in, or ``None`` if they have not shared."""
        state = self.model.state
        if not self.model.consumers[person].shared:
            return None
        seen = 0
        while state.parent[person] >= 0 and seen < self.people:
            person = int(state.parent[person])
            seen += 1
        return int(person)
