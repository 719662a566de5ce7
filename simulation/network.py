"""Social graphs: build the scenario's network once and hold it as CSR arrays.

Every network kind of the scenario file is built here, by its builder in
:mod:`simulation.network_kinds` (random graphs are drawn by the compiled generators of
:mod:`simulation.generators`, seeded from the scenario, so a scenario names one graph), people
are given segments, and the graph is stored as
compressed sparse rows: ``indices[indptr[u]:indptr[u + 1]]`` are the people who see ``u``'s
shares (``u``'s followers). Labels are kept for output and for ``seeding.nodes``.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
import numpy as np

from simulation.inputs import check_run_work
from simulation.network_kinds import (
    KINDS,
    BuildContext,
    random_segments,
    read_edge_list,
    segment_sizes,
)
from simulation.scenario import Scenario

__all__ = [
    "IntegerLabels",
    "SocialGraph",
    "build_graph",
    "from_arcs",
    "read_edge_list",
    "segment_sizes",
]

_DECIMAL = re.compile(r"0|[1-9][0-9]*")


class IntegerLabels(Sequence[str]):
    """The labels ``"0"``, ``"1"``, ..., ``str(n - 1)``, without storing n strings.

    Generated networks name person ``i`` by ``str(i)``; at a million people a list of those
    strings would cost tens of megabytes and seconds to build. This sequence makes each label
    when asked and finds a person from a label by parsing it.
    """

    def __init__(self, n: int) -> None:
        """Labels for people ``0 .. n - 1``."""
        self.n = int(n)

    def __len__(self) -> int:
        """Number of people."""
        return self.n

    def __getitem__(self, index):
        """``str(i)`` for a person index; a numpy array of labels for a slice."""
        if isinstance(index, slice):
            return np.array([str(i) for i in range(*index.indices(self.n))], dtype=object)
        i = operator.index(index)
        if not -self.n <= i < self.n:
            raise IndexError(f"person {i} is not in a network of {self.n}")
        return str(i % self.n)

    def __iter__(self) -> Iterator[str]:
        """The labels in person order."""
        return (str(i) for i in range(self.n))

    def __contains__(self, label: object) -> bool:
        """Whether some person has this label."""
        return self.index_of(label) is not None

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        """All labels as an object array (for numpy functions)."""
        return np.array(list(self), dtype=object if dtype is None else dtype)

    def __eq__(self, other: object) -> bool:
        """Equal to other integer labels of the same length."""
        return isinstance(other, IntegerLabels) and other.n == self.n

    def __repr__(self) -> str:
        """``IntegerLabels(n)``."""
        return f"IntegerLabels({self.n})"

    def index(self, label, start: int = 0, stop: int | None = None) -> int:
        """Index of ``label`` (``ValueError`` if absent), as for a list."""
        i = self.index_of(label)
        stop = self.n if stop is None else stop
        if i is None or not start <= i < stop:
            raise ValueError(f"{label!r} is not a label")
        return i

    def tolist(self) -> list[str]:
        """All labels as a list."""
        return list(self)

    def index_of(self, label: object) -> int | None:
        """The person labelled ``label`` (the decimal ``str(i)`` exactly), or ``None``."""
        text = str(label)
        if len(text) > 12 or not _DECIMAL.fullmatch(text):
            return None
        i = int(text)
        return i if i < self.n else None


@dataclass
class SocialGraph:
    """A social network as CSR arrays, with people's labels and segments.

    Attributes:
        indptr: ``int64[n + 1]``; followers of ``u`` are ``indices[indptr[u]:indptr[u + 1]]``.
        indices: ``int32[edges]`` (each undirected tie appears in both directions).
        in_indptr, in_indices: The people each person follows (whose shares they see); the same
            arrays as ``indptr``/``indices`` for an undirected network.
        weights: ``float64[edges]`` tie weights aligned with ``indices`` (1.0 when not given).
        labels: ``str`` label of each person, as written in an edge list or ``str(node)``
            (an :class:`IntegerLabels` when person ``i`` is labelled ``str(i)``).
        segment_of: ``int32[n]`` segment index of each person.
        segment_names: Names of the segments, in scenario order.
        directed: Whether ties are one-way.
        warnings: Things worth telling the user (dropped self-loops, merged duplicates, ...).
        population: Every person's attributes (:class:`simulation.population.Population`),
            drawn by :func:`build_graph`; ``None`` for a graph built without a scenario.
    """

    indptr: np.ndarray
    indices: np.ndarray
    in_indptr: np.ndarray
    in_indices: np.ndarray
    weights: np.ndarray
    labels: np.ndarray | IntegerLabels
    segment_of: np.ndarray
    segment_names: list[str]
    directed: bool = False
    warnings: list[str] = field(default_factory=list)
    population: Any = field(default=None, repr=False)
    _index: dict[str, int] | None = field(default=None, repr=False)

    @property
    def n(self) -> int:
        """Number of people."""
        return len(self.indptr) - 1

    @property
    def edges(self) -> int:
        """Number of ties (an undirected tie counts once)."""
        return len(self.indices) if self.directed else len(self.indices) // 2

    @property
    def out_degree(self) -> np.ndarray:
        """Followers of each person (``int64[n]``)."""
        return np.diff(self.indptr)

    def index_of(self, label: str) -> int | None:
        """Index of the person with this label, or ``None``."""
        if isinstance(self.labels, IntegerLabels):
            return self.labels.index_of(label)
        if self._index is None:
            self._index = {str(lab): i for i, lab in enumerate(self.labels)}
        return self._index.get(str(label))

    def to_networkx(self) -> nx.Graph:
        """The graph as networkx (nodes are indices 0..n-1), for graph algorithms."""
        graph = nx.DiGraph() if self.directed else nx.Graph()
        graph.add_nodes_from(range(self.n))
        sources = np.repeat(np.arange(self.n), np.diff(self.indptr))
        graph.add_edges_from(zip(sources.tolist(), self.indices.tolist(), strict=True))
        return graph


def _csr(n: int, src: np.ndarray, dst: np.ndarray, *, both_ways: bool = False):
    """CSR of the arcs src -> dst (and dst -> src if ``both_ways``), each row sorted.

    Returns:
        ``(indptr, indices, order)``; ``order`` numbers the arcs as ``src -> dst`` first, then
        (with ``both_ways``) their reverses, to carry tie weights along.
    """
    from simulation import generators  # numba: loaded only when a graph is built

    return generators.csr_from_arcs(
        n, np.asarray(src, dtype=np.int32), np.asarray(dst, dtype=np.int32), both_ways
    )


def from_arcs(
    n: int,
    src: np.ndarray,
    dst: np.ndarray,
    *,
    directed: bool,
    labels: np.ndarray | IntegerLabels,
    segment_of: np.ndarray,
    segment_names: list[str],
    weights: np.ndarray | None = None,
    warnings: list[str] | None = None,
) -> SocialGraph:
    """Build a :class:`SocialGraph` from tie end points (each undirected tie listed once)."""
    src = np.asarray(src, dtype=np.int32)
    dst = np.asarray(dst, dtype=np.int32)
    indptr, indices, order = _csr(n, src, dst, both_ways=not directed)
    if directed:
        in_indptr, in_indices, _ = _csr(n, dst, src)
    else:
        in_indptr, in_indices = indptr, indices
    if weights is None:
        arc_weights = np.ones(len(indices))
    else:
        weights = np.asarray(weights, dtype=np.float64)
        arc_weights = (weights if directed else np.concatenate([weights, weights]))[order]
    return SocialGraph(
        indptr=indptr,
        indices=indices,
        in_indptr=in_indptr,
        in_indices=in_indices,
        weights=arc_weights,
        labels=labels,
        segment_of=segment_of.astype(np.int32),
        segment_names=segment_names,
        directed=directed,
        warnings=warnings or [],
    )


def graph_seed(scenario: Scenario) -> int:
    """The seed the scenario's graph is generated from (``network.seed``, else ``seed``)."""
    return scenario.network.seed if scenario.network.seed is not None else scenario.seed


def build_graph(scenario: Scenario) -> SocialGraph:
    """Build the scenario's social graph and give every person a segment.

    The network kind's builder (see :data:`simulation.network_kinds.KINDS`) makes the ties.
    Segments are assigned in exact proportion to their shares: by the builder where it decides
    them (``stochastic_block``'s blocks), otherwise at random (seeded from the graph's seed).

    Raises:
        ScenarioError: for an unreadable or malformed edge-list file, or a graph too dense to build.
    """
    spec = scenario.network
    seed = graph_seed(scenario)
    shares = [s.share for s in scenario.segments] or [1.0]
    from simulation.population import draw_population

    context = BuildContext(
        seed=seed,
        shares=shares,
        base_dir=scenario.base_dir,
        source=scenario.source,
        people=lambda segment_of: draw_population(scenario, segment_of, seed),
    )
    ties = KINDS[spec.kind].build(spec, context)
    n = ties.n
    if spec.people() is None:  # known only now (an edge list): bound the run's work
        check_run_work(scenario.runs, scenario.steps, n, source=scenario.source)
    segment_of = ties.segment_of
    if segment_of is None:
        segment_of = random_segments(n, shares, seed)
    graph = from_arcs(
        n,
        ties.src,
        ties.dst,
        directed=ties.directed,
        labels=ties.labels if ties.labels is not None else IntegerLabels(n),
        segment_of=segment_of,
        segment_names=scenario.segment_names,
        weights=ties.weights,
        warnings=ties.warnings,
    )
    graph.population = draw_population(scenario, graph.segment_of, seed)
    return graph
