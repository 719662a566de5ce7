"""Mesa agents: a :class:`Consumer` for every person and a :class:`Brand` per brand.

A consumer is a ``CellAgent`` on the model's network space (its cell is its node) and acts in
its ``step()``: the model runs each phase of a step on an ``AgentSet`` of the people whose turn
it is, in the kernel's order (see :class:`~simulation.model.WordOfMouthModel`), and each person
runs their own part of the rule by calling the kernel's per-person functions
(:mod:`simulation.kernel.people`), so the Mesa model and the Monte Carlo loop are the same
computation. A consumer's state (seen, engaged, shared, bought, who referred them) lives in the
kernel's arrays and is read from there when asked. A brand acts through the very calls of the
Monte Carlo loop: it posts its calendar (:func:`~simulation.kernel.publish`), buys ads
(:func:`~simulation.kernel.advertise`) and answers complaints (:func:`~simulation.kernel.respond`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
from mesa.discrete_space import CellAgent

from simulation import kernel
from simulation.kernel import people

if TYPE_CHECKING:
    from simulation.model import WordOfMouthModel
    from simulation.scenario import Segment

__all__ = ["PHASES", "STATES", "Brand", "Consumer"]

# A person's state, from the least to the most involved; "negative": saw the crisis (and was not
# won back), without having shared or bought.
STATES = ("unaware", "seen", "engaged", "shared", "converted", "negative")

# What a person does in each phase of a step (the model's ``phase``), as a Consumer method.
PHASES = ("share_with_followers", "persuade_followers", "consider_adopting", "post_again")


class Consumer(CellAgent):
    """A person on the social graph.

    Attributes:
        person: Index of the person in the graph's arrays (and the node of their cell).
        label: The person's label (as in an edge list, or the node number).
        segment: Name of the person's segment.
        cell: The person's cell in the model's network space (``None`` without a space).
    """

    model: WordOfMouthModel

    def __init__(self, model: WordOfMouthModel, person: int, label: str, segment: str) -> None:
        super().__init__(model)
        self.person = person
        self.label = label
        self.segment = segment
        self._last_turn: tuple[int, int, str] | None = None

    def step(self) -> None:
        """Take this person's turn in the model's current phase, on its current post.

        The model sets ``phase`` (one of :data:`PHASES`) and ``post`` and steps the people whose
        turn it is; a second call in the same turn does nothing (a share reaches the followers
        once per step). Outside a step (``phase`` is ``None``) there is nothing to do.
        """
        model = self.model
        if model.phase is None:
            return
        turn = (model.step_count, model.post, model.phase)
        if turn == self._last_turn:
            return
        self._last_turn = turn
        getattr(self, model.phase)(model.post)

    def share_with_followers(self, post: int) -> None:
        """I shared ``post`` last step: my followers see it (and, in a cascade, may share it).

        Cascade: each of my ties is tried once (the cascade step with me as the frontier).
        Threshold and Bass: my share counts towards each follower's shared contacts.
        """
        model = self.model
        args = (model.prepared.arrays, model.params, model.campaign, model.market, post)
        if model.campaign.posts.rule[post] == kernel.CASCADE:
            people.expose(*args, self.person, model.post_age(post))
        else:
            people.count_share(*args, self.person)

    def persuade_followers(self, post: int) -> None:
        """Threshold: my followers who have now seen enough shares of ``post`` share it."""
        model = self.model
        people.persuade(
            model.prepared.arrays,
            model.params,
            model.params.threshold,
            model.campaign,
            model.market,
            post,
            self.person,
        )

    def consider_adopting(self, post: int) -> None:
        """Bass: I adopt ``post`` with P = innovation + imitation x my adopted contacts' share."""
        model = self.model
        people.consider(
            model.prepared.arrays,
            model.params,
            model.params.bass,
            model.campaign,
            model.market,
            post,
            self.person,
        )

    def post_again(self, post: int) -> None:
        """I shared ``post`` before and was not answered: I may post it again (persistence)."""
        model = self.model
        people.post_again(
            model.prepared.arrays,
            model.params,
            model.campaign,
            model.market,
            post,
            self.person,
            model.post_age(post),
        )

    @property
    def segment_info(self) -> Segment | None:
        """The segment's attributes (age range, location, income, ...), if segments are defined."""
        for segment in self.model.prepared.scenario.segments:
            if segment.name == self.segment:
                return segment
        return None

    @property
    def attributes(self) -> dict[str, object]:
        """The person's attributes (age, location, ...; empty when the scenario has none)."""
        table = self.model.attributes
        return {} if table is None else table.iloc[self.person].to_dict()

    def post_flags(self, post: int) -> int:
        """The kernel's flags for this person and one post (0 = untouched in this replicate)."""
        market = self.model.market
        if market.stamp[post, self.person] != market.clock[kernel.K_EPOCH]:
            return 0
        return int(market.flags[post, self.person])

    @property
    def flags(self) -> int:
        """The kernel's flags for this person across the brand's posts (0 = untouched)."""
        flags = 0
        for p in self.model.brand_posts(0):
            flags |= self.post_flags(p)
        return flags

    @property
    def negative(self) -> bool:
        """Whether this person saw the crisis and was not won back."""
        crisis = int(self.model.campaign.crisis_post)
        if crisis < 0:
            return False
        return (self.post_flags(crisis) & kernel.NEGATIVE_MASK) == kernel.SEEN

    @property
    def state(self) -> str:
        """The furthest state reached with the brand's posts (see :data:`STATES`)."""
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
    def posts_seen(self) -> int:
        """How many of the brand's posts this person has seen (their exposures)."""
        return sum(bool(self.post_flags(p) & kernel.SEEN) for p in self.model.brand_posts(0))

    @property
    def shared(self) -> bool:
        """Whether this person has shared the brand's content."""
        return bool(self.flags & kernel.SHARED)

    @property
    def purchased(self) -> bool:
        """Whether this person has bought (converted) after one of the brand's posts."""
        return bool(self.flags & kernel.CONVERTED)

    @property
    def shared_because_of(self) -> Consumer | None:
        """The person whose share made this person share (``None`` for seeds and non-sharers).

        With several posts: on the first of the brand's posts this person shared.
        """
        for p in self.model.brand_posts(0):
            if self.post_flags(p) & kernel.SHARED:
                parent = int(self.model.market.parent[p, self.person])
                return self.model.consumers[parent] if parent >= 0 else None
        return None


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
        self._acted_at = -1

    @property
    def seeds(self) -> list[Consumer]:
        """The consumers who post the brand's content in this replicate (its seed set)."""
        model = self.model
        campaign, market = model.campaign, model.market
        s = self.index  # the first seed sets are the brands' own, in brand order
        slot = campaign.seed_sets.slot[s]
        people = market.seeds[slot : slot + market.seed_count[s]]
        return [model.consumers[int(v)] for v in people]

    def step(self) -> None:
        """Act for this step, once (the model steps the brands in the kernel's order)."""
        t = self.model.step_count
        if t != self._acted_at:
            self._acted_at = t
            self.act(t)

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
