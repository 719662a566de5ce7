"""Mesa agents: a :class:`Consumer` for every person and a :class:`Brand` per brand.

Agents are views onto the kernel's arrays: a consumer's state is read from the replicate's
working state when asked, so stepping a 100,000-person model costs one kernel step, not a Python
loop over agents. A brand acts through kernel functions over those arrays: it posts its calendar
(:func:`~simulation.kernel.publish`), buys ads (:func:`~simulation.kernel.advertise`) and answers
complaints (:func:`~simulation.kernel.respond`), the very calls of the Monte Carlo loop.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa

from simulation import kernel

if TYPE_CHECKING:
    from simulation.model import WordOfMouthModel
    from simulation.scenario import Segment

__all__ = ["STATES", "Brand", "Consumer"]

# A person's state, from the least to the most involved; "negative": saw the crisis (and was not
# won back), without having shared or bought.
STATES = ("unaware", "seen", "engaged", "shared", "converted", "negative")


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
        """The kernel's flags for this person across the brand's posts (0 = untouched)."""
        model = self.model
        market = model.market
        epoch = market.clock[kernel.K_EPOCH]
        flags = 0
        for p in model._brand_posts(0):
            if market.stamp[p, self.person] == epoch:
                flags |= int(market.flags[p, self.person])
        return flags

    @property
    def negative(self) -> bool:
        """Whether this person saw the crisis and was not won back."""
        market = self.model.market
        crisis = int(self.model.campaign.crisis_post)
        if crisis < 0 or market.stamp[crisis, self.person] != market.clock[kernel.K_EPOCH]:
            return False
        return (int(market.flags[crisis, self.person]) & kernel.NEGATIVE_MASK) == kernel.SEEN

    @property
    def state(self) -> str:
        """The furthest state reached (see :data:`STATES`)."""
        flags = self.flags
        if flags & kernel.CONVERTED:
            return "converted"
        if flags & kernel.SHARED:
            return "shared"
        if self.negative:
            return "negative"
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
    """A brand: each step it posts its calendar, buys its ads and answers complaints.

    Attributes:
        name: The brand's name (the scenario's ``brand``, or a competitor's ``name``).
        index: The brand's row in the kernel's arrays (0: the scenario's brand).
    """

    model: WordOfMouthModel

    def __init__(self, model: WordOfMouthModel, name: str, index: int = 0) -> None:
        super().__init__(model)
        self.name = name
        self.index = index

    @property
    def seeds(self) -> list[Consumer]:
        """The consumers who post the brand's content in this replicate (its seed set)."""
        model = self.model
        campaign, market = model.campaign, model.market
        s = self.index  # the first seed sets are the brands' own, in brand order
        slot = campaign.seed_sets.slot[s]
        people = market.seeds[slot : slot + market.seed_count[s]]
        return [model.consumers[int(v)] for v in people]

    def act(self, t: int) -> None:
        """Step t: post, advertise, respond (the order of the Monte Carlo loop)."""
        self.post(t)
        self.advertise(t)
        self.respond(t)

    def post(self, t: int) -> None:
        """Publish the posts the calendar has for step t (their seeds share them)."""
        model = self.model
        kernel.publish(model.prepared.arrays, model.campaign, model.market, self.index, t)

    def advertise(self, t: int) -> None:
        """Show the paid impressions the brand's ads buy at step t."""
        model = self.model
        kernel.advertise(
            model.prepared.arrays, model.params, model.campaign, model.market, self.index, t
        )

    def respond(self, t: int) -> None:
        """Answer the crisis's complaints due at step t, if the crisis is about this brand."""
        model = self.model
        kernel.respond(model.campaign, model.market, self.index, t)
