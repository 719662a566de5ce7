"""Mesa agents: a :class:`Consumer` for every person and a :class:`Brand` that runs the campaign.

Agents are views onto the kernel's arrays: a consumer's state is read from the replicate's
working state when asked, so stepping a 100,000-person model costs one kernel step, not a Python
loop over agents.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa

from simulation import kernel

if TYPE_CHECKING:
    from simulation.model import WordOfMouthModel
    from simulation.scenario import Segment

__all__ = ["STATES", "Brand", "Consumer"]

# A person's state, from the least to the most involved.
STATES = ("unaware", "seen", "engaged", "shared", "converted")


class Consumer(mesa.Agent):
    """A person on the social graph.

    Attributes:
        person: Index of the person in the graph's arrays.
        label: The person's label (as in an edge list, or the node number).
        segment: Name of the person's segment.
    """

    model: WordOfMouthModel

    def __init__(self, model: WordOfMouthModel, person: int, label: str, segment: str) -> None:
        super().__init__(model)
        self.person = person
        self.label = label
        self.segment = segment

    @property
    def segment_info(self) -> Segment | None:
        """The segment's attributes (age range, location, income, ...), if segments are defined."""
        for segment in self.model.scenario.segments:
            if segment.name == self.segment:
                return segment
        return None

    @property
    def flags(self) -> int:
        """The kernel's flags for this person in the current replicate (0 = untouched)."""
        state = self.model.state
        if state.stamp[self.person] != state.cursor[kernel.C_EPOCH]:
            return 0
        return int(state.flags[self.person])

    @property
    def state(self) -> str:
        """The furthest state reached: unaware, seen, engaged, shared or converted."""
        flags = self.flags
        if flags & kernel.CONVERTED:
            return "converted"
        if flags & kernel.SHARED:
            return "shared"
        if flags & kernel.ENGAGED:
            return "engaged"
        if flags & kernel.SEEN:
            return "seen"
        return "unaware"

    @property
    def shared(self) -> bool:
        """Whether this person has shared the content."""
        return bool(self.flags & kernel.SHARED)

    @property
    def shared_because_of(self) -> Consumer | None:
        """The person whose share made this person share (``None`` for seeds and non-sharers)."""
        if not self.shared:
            return None
        parent = int(self.model.state.parent[self.person])
        return self.model.consumers[parent] if parent >= 0 else None


class Brand(mesa.Agent):
    """The brand behind the campaign: it chooses the seeds and launches the content.

    Attributes:
        name: The brand's name (the scenario's name by default).
        seeds: The consumers it seeded in this replicate.
    """

    model: WordOfMouthModel

    def __init__(self, model: WordOfMouthModel, name: str) -> None:
        super().__init__(model)
        self.name = name
        self.seeds: list[Consumer] = []

    def launch(self) -> None:
        """Seed the content (step 0): the seeds post it, by the scenario's strategy."""
        model = self.model
        prepared = model.prepared
        kernel.begin_replicate(
            prepared.arrays,
            model.params,
            model.state,
            prepared.plan.fixed,
            prepared.plan.pool,
            prepared.plan.random_budget,
            model.seed_value,
            model.run_index,
        )
        sharers = int(model.state.counters[kernel.SHARERS])
        self.seeds = [model.consumers[int(v)] for v in model.state.order[:sharers]]
