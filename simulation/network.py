"""Social graphs: build the scenario's network once and hold it as CSR arrays.

Every network kind of the scenario file is built here (random graphs are drawn by the compiled
generators of :mod:`simulation.generators`, seeded from the scenario, so a scenario names one
graph), people are given segments, and the graph is stored as
compressed sparse rows: ``indices[indptr[u]:indptr[u + 1]]`` are the people who see ``u``'s
shares (``u``'s followers). Labels are kept for output and for ``seeding.nodes``.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import networkx as nx
import numpy as np

from simulation import generators
from simulation.errors import ScenarioError
from simulation.scenario import Scenario, StochasticBlock

__all__ = ["IntegerLabels", "SocialGraph", "build_graph", "read_edge_list"]

_MAX_EDGE_LIST_BYTES = 2 * 1024**3
# Generated graphs cost about 50 bytes of memory per tie while being built: 5 GB at this cap.
_MAX_TIES = 100_000_000
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


def segment_sizes(n: int, shares: list[float]) -> np.ndarray:
    """Split n people into segments by share, exactly (largest remainder)."""
    raw = np.asarray(shares, dtype=np.float64) * n
    sizes = np.floor(raw).astype(np.int64)
    remainder = n - sizes.sum()
    sizes[np.argsort(-(raw - sizes), kind="stable")[:remainder]] += 1
    return sizes


def graph_seed(scenario: Scenario) -> int:
    """The seed the scenario's graph is generated from (``network.seed``, else ``seed``)."""
    return scenario.network.seed if scenario.network.seed is not None else scenario.seed


def build_graph(scenario: Scenario) -> SocialGraph:
    """Build the scenario's social graph and give every person a segment.

    Segments are assigned in exact proportion to their shares: as blocks for
    ``stochastic_block``, otherwise at random (seeded from the graph's seed).

    Raises:
        ScenarioError: for an unreadable or malformed edge-list file, or a graph too dense to build.
    """
    spec = scenario.network
    seed = graph_seed(scenario)
    names = scenario.segment_names
    shares = [s.share for s in scenario.segments] or [1.0]
    warnings: list[str] = []
    labels: np.ndarray | IntegerLabels | None = None
    directed = False
    weights = None

    if spec.kind == "edge_list":
        path = Path(scenario.base_dir) / spec.path
        labels, src, dst, weights, warnings = read_edge_list(path, directed=spec.directed)
        n = len(labels)
        directed = spec.directed
    elif isinstance(spec, StochasticBlock):
        _check_ties(spec, scenario.source)
        sizes = segment_sizes(spec.n, shares)
        src, dst = _stochastic_block(sizes, spec.mean_degree, spec.homophily, seed, warnings)
        n = spec.n
        segment_of = np.repeat(np.arange(len(sizes)), sizes)
    elif spec.kind in ("complete", "path", "star"):
        n = spec.n
        src, dst = _simple_arcs(spec.kind, n)
    elif spec.kind in _GENERATED:
        _check_ties(spec, scenario.source)
        n = spec.n
        src, dst = _generate(spec, seed)
    else:
        graph = _classic(spec.kind)
        n = graph.number_of_nodes()
        nodes = list(graph.nodes)
        if nodes != list(range(n)):
            labels = np.array([str(v) for v in nodes], dtype=object)
            graph = nx.convert_node_labels_to_integers(graph, ordering="default")
        src, dst = _edge_arrays(graph)

    if labels is None:
        labels = IntegerLabels(n)
    if not isinstance(spec, StochasticBlock):
        rng = np.random.default_rng([seed, 0x5E6])
        segment_of = rng.permutation(np.repeat(np.arange(len(shares)), segment_sizes(n, shares)))
    return from_arcs(
        n,
        src,
        dst,
        directed=directed,
        labels=labels,
        segment_of=segment_of,
        segment_names=names,
        weights=weights,
        warnings=warnings,
    )


def _edge_arrays(graph: nx.Graph) -> tuple[np.ndarray, np.ndarray]:
    """The ties of a networkx graph on nodes 0..n-1 as arrays, self-loops dropped."""
    edges = np.fromiter(
        (x for e in graph.edges() for x in e), dtype=np.int32, count=2 * graph.number_of_edges()
    ).reshape(-1, 2)
    keep = edges[:, 0] != edges[:, 1]
    return edges[keep, 0], edges[keep, 1]


def _simple_arcs(kind: str, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Ties of the complete graph, the path 0..n-1 or the star with hub 0, as arrays."""
    if kind == "complete":
        src, dst = np.triu_indices(n, 1)
        return src.astype(np.int32), dst.astype(np.int32)
    if kind == "path":
        return np.arange(n - 1, dtype=np.int32), np.arange(1, n, dtype=np.int32)
    return np.zeros(n - 1, dtype=np.int32), np.arange(1, n, dtype=np.int32)


_GENERATED = ("erdos_renyi", "barabasi_albert", "watts_strogatz", "powerlaw_cluster")


def _check_ties(spec, source: str | None) -> None:
    """Refuse a generated graph with more ties than can be built in memory.

    Raises:
        ScenarioError: naming the keys that set the number of ties.
    """
    if spec.kind in ("erdos_renyi", "stochastic_block"):
        ties, keys = spec.n * spec.mean_degree / 2, "n x mean_degree / 2"
    elif spec.kind == "watts_strogatz":
        ties, keys = spec.n * (spec.k // 2), "n x k / 2"
    else:
        ties, keys = spec.m * (spec.n - spec.m), "m x (n - m)"
    if ties > _MAX_TIES:
        raise ScenarioError.single(
            f"asks for about {ties:,.0f} ties ({keys}); at most {_MAX_TIES:,} can be built",
            key="network",
            source=source,
        )


def _generate(spec, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The ties of a generated network kind, drawn by the compiled generators.

    The same models as networkx's generators of the same names (``fast_gnp_random_graph``,
    ``barabasi_albert_graph``, ``watts_strogatz_graph``, ``powerlaw_cluster_graph``), drawn
    from ``numpy.random.default_rng(seed)``, so a scenario's seed names one graph.
    """
    rng = np.random.default_rng(seed)
    kind = spec.kind
    if kind == "erdos_renyi":
        p = spec.mean_degree / (spec.n - 1) if spec.n > 1 else 0.0
        return generators.erdos_renyi(spec.n, p, rng)
    if kind == "barabasi_albert":
        return generators.barabasi_albert(spec.n, spec.m, rng)
    if kind == "watts_strogatz":
        return generators.watts_strogatz(spec.n, spec.k, spec.rewire, rng)
    return generators.powerlaw_cluster(spec.n, spec.m, spec.triangle_p, rng)


def _classic(kind: str) -> nx.Graph:
    """A small classic network from networkx, as a simple undirected graph."""
    classic = {
        "karate": nx.karate_club_graph,
        "les_miserables": nx.les_miserables_graph,
        "florentine_families": nx.florentine_families_graph,
        "davis_southern_women": nx.davis_southern_women_graph,
    }
    return nx.Graph(classic[kind]())


def _stochastic_block(
    sizes: np.ndarray, mean_degree: float, homophily: float, seed: int, warnings: list[str]
) -> tuple[np.ndarray, np.ndarray]:
    """Blocks with a share ``homophily`` of ties inside; mean degree ``mean_degree`` overall."""
    n = int(sizes.sum())
    k = len(sizes)
    probs = np.zeros((k, k))
    between_pairs = float(np.sum(sizes * (n - sizes)))  # ordered pairs across blocks
    p_out = (1 - homophily) * mean_degree * n / between_pairs if between_pairs else 0.0
    for i in range(k):
        probs[i, i] = (
            homophily * mean_degree / max(sizes[i] - 1, 1)
            if k > 1
            else (mean_degree / max(n - 1, 1))
        )
        for j in range(k):
            if i != j:
                probs[i, j] = p_out
    if probs.max() > 1.0:
        warnings.append(
            "stochastic_block: mean_degree and homophily ask for more ties than a segment holds; "
            "tie probabilities were capped at 1"
        )
        probs = np.minimum(probs, 1.0)
    return generators.stochastic_block(sizes, probs, np.random.default_rng(seed))


_SPLIT = re.compile(r"[,\s]+")


def read_edge_list(
    path: Path, *, directed: bool = False
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """Read an edge list: one tie per line ``u v [weight]``.

    Fields are separated by whitespace or a comma; ``#`` starts a comment; labels are the strings
    as written. Self-loops are dropped and repeated ties merged (the first weight is kept); both
    are reported as warnings.

    Returns:
        ``(labels, src, dst, weights, warnings)`` with people indexed in order of appearance.

    Raises:
        ScenarioError: naming the file and line for anything malformed.
    """
    source = str(path)
    try:
        size = path.stat().st_size
        if size > _MAX_EDGE_LIST_BYTES:
            raise ScenarioError.single(
                f"edge list is larger than {_MAX_EDGE_LIST_BYTES} bytes", source=source
            )
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ScenarioError.single(
            "edge-list file not found", source=source, key="network.path"
        ) from None
    except IsADirectoryError:
        raise ScenarioError.single("is a directory, not an edge-list file", source=source) from None
    except OSError as exc:
        raise ScenarioError.single(
            f"cannot read edge-list file: {exc.strerror}", source=source
        ) from None
    if b"\0" in raw[: 1 << 20]:
        raise ScenarioError.single("this is a binary file, not a text edge list", source=source)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ScenarioError.single("not UTF-8 text", source=source, line=line) from None

    index: dict[str, int] = {}
    src: list[int] = []
    dst: list[int] = []
    weights: list[float] = []
    seen: set[tuple[int, int]] = set()
    self_loops: list[int] = []
    duplicates: list[int] = []
    for number, line in enumerate(text.splitlines(), start=1):
        body = line.split("#", 1)[0].strip()
        if not body:
            continue
        fields = [f for f in _SPLIT.split(body) if f]
        if len(fields) not in (2, 3):
            raise ScenarioError.single(
                f"expected 'u v' or 'u v weight', found {len(fields)} fields: {body[:60]!r}",
                source=source,
                line=number,
            )
        weight = 1.0
        if len(fields) == 3:
            try:
                weight = float(fields[2])
            except ValueError:
                raise ScenarioError.single(
                    f"weight {fields[2][:30]!r} is not a number", source=source, line=number
                ) from None
            if not np.isfinite(weight) or weight <= 0:
                raise ScenarioError.single(
                    f"weight {fields[2]} must be a positive number", source=source, line=number
                )
        u = index.setdefault(fields[0], len(index))
        v = index.setdefault(fields[1], len(index))
        if u == v:
            self_loops.append(number)
            continue
        key = (u, v) if directed or u < v else (v, u)
        if key in seen:
            duplicates.append(number)
            continue
        seen.add(key)
        src.append(u)
        dst.append(v)
        weights.append(weight)
    if not index:
        raise ScenarioError.single("edge list has no ties", source=source)
    warnings = []
    if self_loops:
        warnings.append(
            f"{source}: dropped {len(self_loops)} self-loop(s) (first at line {self_loops[0]})"
        )
    if duplicates:
        warnings.append(
            f"{source}: merged {len(duplicates)} repeated tie(s) (first at line {duplicates[0]}); "
            "the first weight is kept"
        )
    labels = np.array(list(index), dtype=object)
    return labels, np.array(src), np.array(dst), np.array(weights), warnings
