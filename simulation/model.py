"""The Mesa model: one replicate of a scenario, stepped by its agents through the kernel.

``WordOfMouthModel.from_scenario(path, seed=S, run=R)`` builds replicate R of a scenario: a
:class:`~simulation.agents.Consumer` for every person (a ``CellAgent`` on a
``mesa.discrete_space.Network`` built from the social graph), a
:class:`~simulation.agents.Brand` for the scenario's brand and each competitor, and a
DataCollector whose model variables are the timeline metrics of ``wom run --runs 1 --seed S`` and
whose agent variables are each person's state (:data:`PERSON_REPORTERS`).
``WordOfMouthModel(scenario=..., stickiness=0.3, n=500, rule="cascade", seed=1)`` is the same
with a few keys set by keyword (:data:`KEYWORDS`), which is what Mesa's ``SolaraViz`` sliders need.

A step is the Monte Carlo loop's (:func:`simulation.kernel.replicates.run_block`) carried out by
the agents, in the kernel's order: the kernel ticks (the step number; the brands' order, a draw
of the replicate and step when they compete); the brands step in that order (post, advertise,
answer); the crisis's first posts go out when due; then for each post out (the crisis first,
then each brand's in the brands' order) the people whose turn it is step, in the order they
shared (:data:`~simulation.agents.PHASES`): last step's sharers share with their followers;
under the threshold rule they then persuade them; under Bass everyone considers adopting; with
repeat posts, earlier sharers may post again. The kernel then closes the step
(:func:`simulation.kernel.finish_step`). Because each person runs the rule's own loop body for
themselves (:mod:`simulation.kernel.people`), the result equals the Monte Carlo replicate bit
for bit.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import mesa
import numpy as np
import pandas as pd
from mesa.agent import AgentSet
from mesa.discrete_space import Network

from simulation import kernel
from simulation.agents import STATES, Brand, Consumer
from simulation.engine import Prepared, prepare
from simulation.kernel.campaign import plan_feeds
from simulation.scenario import Scenario, load_scenario

__all__ = ["CLASSROOM", "KEYWORDS", "PERSON_REPORTERS", "WordOfMouthModel"]

# Mesa 3.5 keeps its own experimental Scenario in ``Model.scenario`` (its SolaraViz reads it);
# there the validated scenario is ``model.prepared.scenario`` (on Mesa 3.3 also ``model.scenario``).
MESA_HAS_SCENARIO = isinstance(getattr(mesa.Model, "scenario", None), property)

# Above this many people the model skips building Mesa's cell space (agents still exist).
SPACE_LIMIT = 50_000
# Above this many people the DataCollector keeps no per-person rows (a row per person per step).
REPORTER_LIMIT = 10_000
# The scenario a keyword-built model starts from unless given one.
CLASSROOM = Path(__file__).resolve().parents[1] / "scenarios" / "classroom.toml"

# Keyword -> scenario key, for WordOfMouthModel(stickiness=..., n=..., rule=...).
KEYWORDS = {
    "n": "network.n",
    "mean_degree": "network.mean_degree",
    "k": "network.k",
    "rewire": "network.rewire",
    "visibility": "content.visibility",
    "appeal": "content.appeal",
    "stickiness": "content.stickiness",
    "click_through": "content.click_through",
    "conversion": "content.conversion",
    "rule": "diffusion.rule",
    "threshold": "diffusion.threshold",
    "innovation": "diffusion.innovation",
    "imitation": "diffusion.imitation",
    "strategy": "seeding.strategy",
    "budget": "seeding.budget",
    "steps": "steps",
}

# The DataCollector's per-person variables (``get_agenttype_vars_dataframe(Consumer)``), each a
# column of :meth:`WordOfMouthModel.people` at the end of every step.
PERSON_REPORTERS = ("state", "posts_seen", "posts_engaged", "shared", "parent", "purchased")


class WordOfMouthModel(mesa.Model):
    """Word of mouth on a social network, one replicate at a time.

    Attributes:
        prepared: The validated scenario (``prepared.scenario``), its graph, seed plans and
            kernel arrays (shared with the Monte Carlo path).
        scenario: On Mesa 3.3, the validated scenario too; on Mesa 3.5 Mesa's own
            (experimental) scenario, which its SolaraViz expects there.
        consumers: ``consumers[i]`` is the agent of person i.
        brands: The brand agents: the scenario's brand, then its competitors.
        brand: The scenario's brand (``brands[0]``).
        space: Mesa's network space (``None`` above ``SPACE_LIMIT`` people).
        market: The kernel's working state of this replicate (every post and brand).
        state: The working state of the scenario's brand's first post (its cascade trees).
        phase: The phase of the step being run (a :data:`~simulation.agents.PHASES` name: the
            Consumer method the people whose turn it is run), ``None`` between steps.
        post: The kernel index of the post the current phase is about.
        shared_step: ``shared_step[i]``: the step at which person i first shared one of the
            brand's posts (-1: not yet).
    """

    def __init__(
        self,
        scenario: Scenario | str | Path | None = None,
        *,
        seed: int | None = None,
        run: int = 0,
        prepared: Prepared | None = None,
        space: bool | None = None,
        reporters: bool | None = None,
        settings: dict[str, Any] | None = None,
        n: int | None = None,
        mean_degree: float | None = None,
        k: int | None = None,
        rewire: float | None = None,
        visibility: float | None = None,
        appeal: float | None = None,
        stickiness: float | None = None,
        click_through: float | None = None,
        conversion: float | None = None,
        rule: str | None = None,
        threshold: float | None = None,
        innovation: float | None = None,
        imitation: float | None = None,
        strategy: str | None = None,
        budget: int | None = None,
        steps: int | None = None,
        rng: int | None = None,
    ) -> None:
        """Build replicate ``run`` of a scenario with ``seed`` (default: the scenario's).

        Args:
            scenario: A :class:`Scenario`, or a scenario file (default: the classroom demo).
            seed: The seed (``rng``, Mesa's name for it, is the same).
            run: The replicate index.
            prepared: The scenario's prepared arrays, to share them between models.
            space: Build Mesa's network space (default: up to ``SPACE_LIMIT`` people).
            reporters: Collect the per-person variables every step (default: up to
                ``REPORTER_LIMIT`` people).
            settings: Dotted scenario keys to set (``{"content.appeal": 0.5}``).
            n, mean_degree, k, rewire, visibility, appeal, stickiness, click_through,
                conversion, rule, threshold, innovation, imitation, strategy, budget, steps:
                Shorthands for the scenario keys in :data:`KEYWORDS` (``None``: unchanged).
            rng: Same as ``seed``.

        Raises:
            ScenarioError: the file is not a valid scenario, or a keyword's value makes it
                invalid (the message names the key).
        """
        keywords = {name: value for name, value in locals().items() if name in KEYWORDS}
        if _is_mesa_scenario(scenario):
            scenario = None  # Mesa 3.5's SolaraViz passes its own on Reset: the default here
        scenario, changed = _scenario_with(scenario, settings, keywords)
        if changed:
            prepared = None  # prepared for the scenario before the keywords
        seed = rng if seed is None else seed
        seed = scenario.seed if seed is None else int(seed)
        super().__init__(rng=np.random.default_rng([seed, run]))
        if not MESA_HAS_SCENARIO:
            self.scenario = scenario
        if prepared is None:
            prepared = prepare(scenario)
        elif prepared.campaign is None:
            prepared = prepare(scenario, prepared.graph)
        if prepared.scenario is not scenario:
            prepared = dataclasses.replace(prepared, scenario=scenario)
        self.prepared = prepared
        self.seed_value = np.uint64(seed)
        self.run_index = np.uint64(run)
        graph = self.prepared.graph
        self.campaign = self.prepared.campaign
        self.layout = self.prepared.layout
        self.params = self.prepared.params(funnel=True)
        self.market = kernel.new_market(
            graph.n, self.prepared.groups, self.campaign, self.params.timing
        )
        self.state = kernel.post_state(self.market, 0)
        self._tally = np.zeros(self.layout.width, np.int64)
        self.phase: str | None = None
        self.post = -1
        self.shared_step = np.full(graph.n, -1, np.int32)
        self._own_posts = self.brand_posts(0)

        self._place_people(space)
        self.datacollector = self._datacollector(reporters)
        kernel.begin(self.campaign, self.market, self.seed_value, self.run_index)
        self._act(0)
        self._finish(0)

    def _place_people(self, space: bool | None) -> None:
        """A Consumer per person (on their node of the network space) and a Brand per brand."""
        graph = self.prepared.graph
        self.consumers = [
            Consumer(self, i, str(graph.labels[i]), graph.segment_names[graph.segment_of[i]])
            for i in range(graph.n)
        ]
        self.brands = [Brand(self, name, b) for b, name in enumerate(self.layout.brands)]
        self.brand = self.brands[0]
        self.space = None
        if space or (space is None and graph.n <= SPACE_LIMIT):
            self.space = _network_space(graph.to_networkx(), self)
            for consumer in self.consumers:
                consumer.cell = self.space[consumer.person]

    def _datacollector(self, reporters: bool | None) -> mesa.DataCollector:
        """Model variables: the timeline metrics; agent variables: :data:`PERSON_REPORTERS`."""
        self._timeline_names = self.layout.timeline_metrics(self.prepared.graph.segment_names)
        self._now: dict[str, float] = {}
        self._people_now: dict[str, list[Any]] = {}
        person_reporters = {}
        if reporters or (reporters is None and self.prepared.graph.n <= REPORTER_LIMIT):
            person_reporters = {
                Consumer: {
                    name: (lambda a, name=name: a.model._people_now[name][a.person])
                    for name in PERSON_REPORTERS
                }
            }
        return mesa.DataCollector(
            model_reporters={
                name: (lambda m, name=name: m._now[name]) for name in self._timeline_names
            },
            agenttype_reporters=person_reporters,
        )

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
        if self.step_count >= self.prepared.scenario.steps or not kernel.active(
            arrays, campaign, market
        ):
            self.running = False
            self.datacollector.collect(self)
            return
        t = kernel.tick(campaign, market)
        self._act(t)
        # Under attention or fatigue, every feed of the step is ranked before anyone reads.
        plan_feeds(arrays, self.params.timing, campaign.posts, market, t)
        for post in self._posts_out(t):
            self._spread(post)
        self._finish(t)

    def _act(self, t: int) -> None:
        """The brands step in this step's order; then the crisis's first posts go out if due."""
        self.people_set(self.brands[int(b)] for b in self.market.brand_order).do("step")
        if self.layout.crisis:
            kernel.publish(
                self.prepared.arrays, self.campaign, self.market, self.campaign.brands - 1, t
            )

    def _posts_out(self, t: int) -> list[int]:
        """The posts out before step t, in the kernel's order: the crisis, then by brand."""
        posts = self.campaign.posts
        crisis = int(self.campaign.crisis_post)
        out = [crisis] if crisis >= 0 and posts.start[crisis] < t else []
        for brand in self.market.brand_order:
            out += [p for p in self.brand_posts(int(brand)) if p != crisis and posts.start[p] < t]
        return out

    def _spread(self, post: int) -> None:
        """One post's word of mouth this step: each phase steps the people whose turn it is."""
        market, posts = self.market, self.campaign.posts
        lo, hi = (int(x) for x in market.cursor[post, kernel.C_LO : kernel.C_HI + 1])
        frontier = self.people_set(self.consumers[v] for v in market.order[post, lo:hi])
        rule = posts.rule[post]
        if rule == kernel.CASCADE:
            self._turn("share_with_followers", post, frontier)
        elif rule == kernel.THRESHOLD and self.params.threshold is not None:
            self._turn("share_with_followers", post, frontier)
            self._turn("persuade_followers", post, frontier)
        elif rule == kernel.BASS and self.params.bass is not None:
            self._turn("share_with_followers", post, frontier)
            self._turn("consider_adopting", post, self.agents_by_type[Consumer])
        if posts.persistence[post] > 0.0:
            earlier = self.people_set(self.consumers[v] for v in market.order[post, :lo])
            self._turn("post_again", post, earlier)

    def _turn(self, phase: str, post: int, people: AgentSet) -> None:
        """Step ``people`` (in their order) in ``phase`` of ``post``."""
        self.phase, self.post = phase, post
        try:
            people.do("step")
        finally:
            self.phase, self.post = None, -1

    def post_age(self, post: int) -> int:
        """Steps since ``post`` went out, less one (its decay's exponent this step)."""
        return self.step_count - int(self.campaign.posts.start[post]) - 1

    def people_set(self, agents: Iterable[mesa.Agent]) -> AgentSet:
        """An ``AgentSet`` of ``agents`` in the given order (``do`` steps them in it)."""
        return AgentSet(agents, **_rng_keyword(AgentSet.__init__, self))

    def _finish(self, t: int) -> None:
        """Close step t in the kernel, note who first shared, collect the reporters."""
        kernel.finish_step(self.campaign, self.market, t)
        market = self.market
        for p in self._own_posts:
            lo, hi = market.cursor[p, kernel.C_LO], market.cursor[p, kernel.C_HI]
            new = market.order[p, lo:hi]
            new = new[self.shared_step[new] < 0]
            self.shared_step[new] = t
        kernel.tally(market, self._tally)
        timelines = self.layout.timelines(self._tally[None, :], 1, self._timeline_names)
        self._now = {name: line[0] for name, line in timelines.items()}
        if self.datacollector.agenttype_reporters:
            people = self.people()
            # Plain lists: the reporters look up one person at a time.
            self._people_now = {name: people[name].tolist() for name in PERSON_REPORTERS}
        self.datacollector.collect(self)

    def counts(self) -> dict[str, int]:
        """The scenario's brand's cumulative counts so far (``sharers``, ``reach``, ...)."""
        row = self.market.brand_counters[0]
        return {name: int(row[i]) for i, name in enumerate(kernel.COUNTERS)}

    def _own_flags(self) -> np.ndarray:
        """``uint8[posts, n]``: the kernel's flags per person for each of the brand's posts."""
        market = self.market
        epoch = market.clock[kernel.K_EPOCH]
        posts = self._own_posts
        return np.where(market.stamp[posts] == epoch, market.flags[posts], 0).astype(np.uint8)

    def states(self) -> np.ndarray:
        """Every person's state as an index into :data:`simulation.agents.STATES` (vectorised).

        The furthest state reached with any post of the scenario's brand; ``negative`` for
        people who saw the crisis, were not won back, and have not shared or bought.
        """
        return self._states(np.bitwise_or.reduce(self._own_flags(), axis=0))

    def _states(self, flags: np.ndarray) -> np.ndarray:
        market = self.market
        out = np.zeros(len(flags), np.int8)
        out[(flags & kernel.SEEN) > 0] = STATES.index("seen")
        out[(flags & kernel.ENGAGED) > 0] = STATES.index("engaged")
        out[(flags & kernel.SHARED) > 0] = STATES.index("shared")
        out[(flags & kernel.CONVERTED) > 0] = STATES.index("converted")
        crisis = int(self.campaign.crisis_post)
        if crisis >= 0:
            epoch = market.clock[kernel.K_EPOCH]
            seen = np.where(market.stamp[crisis] == epoch, market.flags[crisis], 0)
            negative = (seen & kernel.NEGATIVE_MASK) == kernel.SEEN
            out[negative & (out < STATES.index("shared"))] = STATES.index("negative")
        return out

    def people(self) -> pd.DataFrame:
        """One row per person (index: the person's number), as of now, for the brand's posts.

        Columns: ``label``, ``segment``; ``state`` (:data:`~simulation.agents.STATES`);
        ``posts_seen``, ``posts_engaged``, ``posts_shared`` (how many of the brand's posts the
        person saw, engaged with, shared: their exposures and engagements); ``shared`` and
        ``shared_step`` (the step of their first share, ``<NA>`` if none); ``seed`` (posted
        the brand's content as a seed); ``parent`` (the label of the person whose share made
        them share, on the first post they shared; ``None`` for seeds and non-sharers);
        ``purchased`` (converted after one of the brand's posts).
        """
        graph = self.prepared.graph
        per_post = self._own_flags()
        flags = (
            np.bitwise_or.reduce(per_post, axis=0) if len(per_post) else np.zeros(graph.n, np.uint8)
        )
        shared = (per_post & kernel.SHARED) > 0
        parent = np.full(graph.n, -1, np.int64)
        for row, p in reversed(list(enumerate(self._own_posts))):  # the first post wins
            parent = np.where(shared[row], self.market.parent[p], parent)
        seeds = np.zeros(graph.n, bool)
        seeds[[c.person for c in self.brand.seeds]] = True
        labels = np.asarray(graph.labels, dtype=object).astype(str)
        frame = pd.DataFrame(
            {
                "label": labels,
                "segment": np.asarray(graph.segment_names, dtype=object)[graph.segment_of]
                if graph.segment_names
                else "",
                "state": pd.Categorical.from_codes(self._states(flags), STATES),
                "posts_seen": ((per_post & kernel.SEEN) > 0).sum(axis=0),
                "posts_engaged": ((per_post & kernel.ENGAGED) > 0).sum(axis=0),
                "posts_shared": shared.sum(axis=0),
                "shared": (flags & kernel.SHARED) > 0,
                "shared_step": pd.array(
                    np.where(self.shared_step >= 0, self.shared_step, 0), dtype="Int32"
                ),
                "seed": seeds,
                "parent": np.where(parent >= 0, labels[np.maximum(parent, 0)], None),
                "purchased": (flags & kernel.CONVERTED) > 0,
            }
        )
        frame.loc[self.shared_step < 0, "shared_step"] = pd.NA
        return frame

    @functools.cached_property
    def attributes(self) -> pd.DataFrame | None:
        """The people's attributes (age, location, ...), a row per person; ``None`` without.

        The one place the population's attributes join the agents: ``Prepared.population``'s
        ``frame()`` when the prepared scenario carries a population.
        """
        population = self.prepared.population
        if population is None:
            return None
        return population.frame().reset_index(drop=True)

    def brand_posts(self, brand: int) -> list[int]:
        """Kernel post indices of a brand's posts (0: the scenario's brand)."""
        return [int(p) for p in np.flatnonzero(self.campaign.posts.brand == brand)]


def _scenario_with(
    scenario: Scenario | str | Path | None,
    settings: dict[str, Any] | None,
    keywords: dict[str, Any],
) -> tuple[Scenario, bool]:
    """The scenario (a file is loaded) with the settings and keywords set; whether any was.

    Raises:
        ScenarioError: naming the file or the key.
    """
    if scenario is None:
        scenario = CLASSROOM
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    overrides = dict(settings or {})
    overrides.update({KEYWORDS[k]: v for k, v in keywords.items() if v is not None})
    if not overrides:
        return scenario, False
    named = ", ".join(f"{k}={v!r}" for k, v in keywords.items() if v is not None)
    source = f"WordOfMouthModel({named})" if named else "WordOfMouthModel(settings=...)"
    return scenario.with_overrides(overrides, source=source), True


def _is_mesa_scenario(value: Any) -> bool:
    """Whether ``value`` is Mesa's own (experimental, Mesa 3.5) scenario, not a wom-sim one."""
    return any(
        cls.__module__.startswith("mesa.") and cls.__name__ == "Scenario"
        for cls in type(value).__mro__
    )


def _rng_keyword(init: Any, model: mesa.Model) -> dict[str, Any]:
    """How a Mesa constructor takes the model's random numbers: ``rng`` (Mesa 3.5) or ``random``."""
    parameters = inspect.signature(init).parameters
    if "rng" in parameters:
        return {"rng": model.rng}
    return {"random": model.random}


def _network_space(graph, model: mesa.Model) -> Network:
    """Mesa's Network space without its default spring layout (Mesa 3.5 computes one)."""
    kwargs = _rng_keyword(Network.__init__, model)
    if "layout" in inspect.signature(Network.__init__).parameters:
        kwargs["layout"] = None
    return Network(graph, **kwargs)
