"""Peer implementations of the Independent Cascade (IC) model for benchmarking.

Each peer answers the same question as the project's numba kernel: starting
from a seed set on an undirected graph where every tie transmits with the same
probability ``p``, how many nodes end up activated (seeds included)?  The
benchmark times them on one workload (Barabasi-Albert ``n=100_000``, ``m=5``,
``p=0.1``, 50 seeds) and reports replicates per second.

Every peer has the same two-call interface:

* ``prepare(graph, p)`` builds whatever the peer needs (CSR arrays, model
  objects, agents).  It is *not* timed.
* ``run(seeds, replicates, seed)`` runs ``replicates`` independent cascades
  from ``seeds`` and returns the activated-node count of each as an ``int64``
  array.  It is timed.  The same ``seed`` gives the same counts.

Peers:

* ``cynetdiff`` -- the Cython IC model of the ``cynetdiff`` package.
* ``ndlib`` -- ``ndlib.models.epidemics.IndependentCascadesModel``.
* ``networkx`` -- a pure-Python breadth-first cascade over ``graph.adj``.
* ``mesa`` -- a plain Mesa 3 model, one agent per node, a Python loop over
  all agents every step.

``cynetdiff`` and ``ndlib`` are optional: they are imported inside
``prepare``, which raises :class:`RuntimeError` when they are unavailable.

Run ``python benchmarks/peers.py --help`` for a small demo that times every
peer and prints the mean activated count of each so they can be compared.
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Hashable, Sequence
from typing import Any, Protocol

import mesa
import networkx as nx
import numpy as np

__all__ = [
    "CynetdiffPeer",
    "MesaPeer",
    "NDlibPeer",
    "NetworkxPeer",
    "Peer",
    "all_peers",
]


class Peer(Protocol):
    """Interface shared by every IC peer."""

    name: str
    default_replicates: int

    def prepare(self, graph: nx.Graph, p: float) -> None:
        """Build the peer's data structures for ``graph`` (untimed)."""

    def run(self, seeds: Sequence[int], replicates: int, seed: int) -> np.ndarray:
        """Run ``replicates`` cascades from ``seeds``; return activated counts."""


def _unique(seeds: Sequence[Hashable]) -> list[Any]:
    """Return ``seeds`` without duplicates, keeping first-seen order.

    Args:
        seeds: Seed nodes, possibly with repeats.

    Returns:
        The distinct seeds. A repeated seed would otherwise get more than one
        chance per tie in the frontier-based peers.

    """
    return list(dict.fromkeys(seeds))


def _check_p(p: float) -> float:
    """Validate a propagation probability.

    Args:
        p: Probability that an active node activates one inactive neighbour.

    Returns:
        ``p`` as a float.

    Raises:
        ValueError: If ``p`` is outside ``[0, 1]``.

    """
    p = float(p)
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"p must be in [0, 1], got {p}")
    return p


def _not_prepared(name: str) -> RuntimeError:
    """Build the error raised when ``run`` is called before ``prepare``."""
    return RuntimeError(f"peer {name!r}: call prepare(graph, p) before run()")


# ---------------------------------------------------------------------------
# 1. cynetdiff
# ---------------------------------------------------------------------------


class CynetdiffPeer:
    """IC with ``cynetdiff.models.IndependentCascadeModel`` (Cython, C++ deque).

    ``prepare`` converts the graph with ``cynetdiff.utils.networkx_to_ic_model``
    using a uniform ``activation_prob`` (each undirected tie becomes two arcs,
    both with probability ``p``). ``run`` seeds the model's numpy generator once
    with ``set_rng(seed)`` and then, per replicate, calls ``reset_model``,
    ``advance_until_completion`` and ``get_num_activated_nodes``.
    """

    name = "cynetdiff"
    default_replicates = 200

    def __init__(self) -> None:
        """Create an unprepared peer."""
        self._model: Any = None
        self._index: dict[Any, int] = {}

    def prepare(self, graph: nx.Graph, p: float) -> None:
        """Build the cynetdiff IC model for ``graph``.

        Args:
            graph: Undirected networkx graph.
            p: Uniform propagation probability on every tie.

        Raises:
            RuntimeError: If ``cynetdiff`` cannot be imported.

        """
        p = _check_p(p)
        try:
            from cynetdiff.utils import networkx_to_ic_model
        except ImportError as exc:
            raise RuntimeError(
                "peer 'cynetdiff' needs the cynetdiff package (pip install cynetdiff)"
            ) from exc
        # An "activation_prob" edge attribute would override (and conflict with)
        # the uniform probability; the benchmark graphs carry no edge data.
        self._model, self._index = networkx_to_ic_model(graph, activation_prob=p)

    def run(self, seeds: Sequence[int], replicates: int, seed: int) -> np.ndarray:
        """Run ``replicates`` IC cascades from ``seeds``.

        Args:
            seeds: Seed nodes (labels of the prepared graph).
            replicates: Number of independent cascades.
            seed: Seed for the model's random generator.

        Returns:
            Activated-node count (seeds included) of each replicate.

        Raises:
            RuntimeError: If :meth:`prepare` has not been called.

        """
        model = self._model
        if model is None:
            raise _not_prepared(self.name)
        # set_seeds rejects numpy integers: it checks isinstance(seed, int).
        model.set_seeds([int(self._index[s]) for s in _unique(seeds)])
        model.set_rng(seed)
        counts = np.empty(replicates, dtype=np.int64)
        for r in range(replicates):
            model.reset_model()
            model.advance_until_completion()
            counts[r] = model.get_num_activated_nodes()
        return counts


# ---------------------------------------------------------------------------
# 2. NDlib
# ---------------------------------------------------------------------------


class NDlibPeer:
    """IC with ``ndlib.models.epidemics.IndependentCascadesModel``.

    ``prepare`` sets the edge parameter ``threshold`` to ``p`` on every edge
    (NDlib otherwise falls back to ``1 / degree`` for edges without one).
    ``run`` seeds NumPy's *global* generator (NDlib draws from
    ``np.random.random_sample``), calls ``model.reset(infected_nodes=seeds)``
    and ``model.iteration(node_status=False)`` until no node is in the
    Infected state, and counts Infected + Removed nodes. The global generator
    state is restored afterwards.

    NDlib copies and scans the whole status dictionary several times per
    iteration, so it is very slow on large graphs; use few replicates.
    """

    name = "ndlib"
    default_replicates = 2

    _SUSCEPTIBLE = 0
    _INFECTED = 1
    _REMOVED = 2

    def __init__(self) -> None:
        """Create an unprepared peer."""
        self._model: Any = None
        self._n_nodes = 0

    def prepare(self, graph: nx.Graph, p: float) -> None:
        """Build and configure the NDlib model for ``graph``.

        Args:
            graph: Undirected networkx graph.
            p: Uniform propagation probability on every tie.

        Raises:
            RuntimeError: If NDlib cannot be imported or configured.

        """
        p = _check_p(p)
        try:
            from ndlib.models import ModelConfig
            from ndlib.models.epidemics import IndependentCascadesModel
        except Exception as exc:
            raise RuntimeError(
                "peer 'ndlib' needs a working ndlib (pip install ndlib); "
                f"importing it failed: {exc!r}"
            ) from exc
        try:
            # seed=None: NDlib's constructor would otherwise reseed the global
            # numpy generator; run() seeds it explicitly instead.
            model = IndependentCascadesModel(graph)
            config = ModelConfig.Configuration()
            for edge in graph.edges:
                config.add_edge_configuration("threshold", edge, p)
            # Placeholder seed set (replaced in run); avoids NDlib's warning and
            # random 5% initial infection when no "Infected" set is given.
            first = next(iter(graph.nodes))
            config.add_model_initial_configuration("Infected", [first])
            model.set_initial_status(config)
        except Exception as exc:
            raise RuntimeError(f"peer 'ndlib' could not build its model: {exc!r}") from exc
        if len(model.params["edges"].get("threshold", {})) != graph.number_of_edges():
            # NDlib silently ignores a per-edge parameter unless every edge has it.
            raise RuntimeError("peer 'ndlib': edge thresholds were not applied")
        self._model = model
        self._n_nodes = graph.number_of_nodes()

    def run(self, seeds: Sequence[int], replicates: int, seed: int) -> np.ndarray:
        """Run ``replicates`` IC cascades from ``seeds``.

        Args:
            seeds: Seed nodes (labels of the prepared graph).
            replicates: Number of independent cascades.
            seed: Seed for NumPy's global generator during the run.

        Returns:
            Activated-node count (seeds included) of each replicate.

        Raises:
            RuntimeError: If :meth:`prepare` has not been called.

        """
        model = self._model
        if model is None:
            raise _not_prepared(self.name)
        seed_list = _unique(seeds)
        counts = np.empty(replicates, dtype=np.int64)
        # NDlib only draws from NumPy's legacy global generator.
        saved_state = np.random.get_state()  # noqa: NPY002, RUF100
        np.random.seed(seed)  # noqa: NPY002, RUF100
        try:
            for r in range(replicates):
                model.reset(infected_nodes=seed_list)
                node_count = model.iteration(node_status=False)["node_count"]
                while node_count[self._INFECTED] > 0:
                    node_count = model.iteration(node_status=False)["node_count"]
                counts[r] = node_count[self._INFECTED] + node_count[self._REMOVED]
        finally:
            np.random.set_state(saved_state)  # noqa: NPY002, RUF100
        return counts


# ---------------------------------------------------------------------------
# 3. plain networkx / pure Python
# ---------------------------------------------------------------------------


class NetworkxPeer:
    """Pure-Python breadth-first IC over the networkx adjacency (``graph.adj``).

    Each newly active node tries every still-inactive neighbour once with
    probability ``p``, drawing from one ``random.Random(seed)`` per ``run``.
    """

    name = "networkx"
    default_replicates = 20

    def __init__(self) -> None:
        """Create an unprepared peer."""
        self._adj: Any = None
        self._p = 0.0

    def prepare(self, graph: nx.Graph, p: float) -> None:
        """Keep a reference to the graph's adjacency.

        Args:
            graph: Undirected networkx graph.
            p: Uniform propagation probability on every tie.

        """
        self._p = _check_p(p)
        self._adj = graph.adj

    def run(self, seeds: Sequence[int], replicates: int, seed: int) -> np.ndarray:
        """Run ``replicates`` IC cascades from ``seeds``.

        Args:
            seeds: Seed nodes of the prepared graph.
            replicates: Number of independent cascades.
            seed: Seed for the ``random.Random`` generator.

        Returns:
            Activated-node count (seeds included) of each replicate.

        Raises:
            RuntimeError: If :meth:`prepare` has not been called.

        """
        adj = self._adj
        if adj is None:
            raise _not_prepared(self.name)
        p = self._p
        draw = random.Random(seed).random
        seed_list = _unique(seeds)
        counts = np.empty(replicates, dtype=np.int64)
        for r in range(replicates):
            active = set(seed_list)
            frontier = seed_list
            while frontier:
                newly: list[Any] = []
                for u in frontier:
                    for v in adj[u]:
                        if v not in active and draw() < p:
                            active.add(v)
                            newly.append(v)
                frontier = newly
            counts[r] = len(active)
        return counts


# ---------------------------------------------------------------------------
# 4. plain Mesa
# ---------------------------------------------------------------------------


class ICAgent(mesa.Agent):
    """One node of the graph in the plain Mesa IC model.

    Attributes:
        node: The graph node this agent stands for.
        neighbours: The agents of the node's neighbours (set by the model).
        activated_at: Tick at which the agent became active, or ``None``.

    """

    def __init__(self, model: ICModel, node: Any) -> None:
        """Create the agent for ``node``.

        Args:
            model: The owning model.
            node: The graph node this agent stands for.

        """
        super().__init__(model)
        self.node = node
        self.neighbours: list[ICAgent] = []
        self.activated_at: int | None = None

    def step(self) -> None:
        """If activated on the previous tick, try each inactive neighbour once."""
        model = self.model
        if self.activated_at != model.tick - 1:
            return
        draw = model.random.random
        p = model.p
        tick = model.tick
        for other in self.neighbours:
            if other.activated_at is None and draw() < p:
                other.activated_at = tick
                model.newly_activated += 1


class ICModel(mesa.Model):
    """A plain Mesa 3 model of IC: one agent per node, a loop over all agents.

    Every tick each agent is stepped (``self.agents.do("step")``); those that
    became active on the previous tick try their inactive neighbours. The model
    is reused across replicates: :meth:`start_cascade` clears the agents' state.

    Attributes:
        p: Propagation probability on every tie.
        tick: Current tick of the running cascade (seeds are active at 0).
        newly_activated: Agents activated during the current tick.
        n_active: Total active agents in the running cascade.

    """

    def __init__(self, graph: nx.Graph, p: float, rng: int | None = None) -> None:
        """Create one agent per node of ``graph`` and wire up neighbours.

        Args:
            graph: Undirected networkx graph.
            p: Propagation probability on every tie.
            rng: Seed for the model's generators (Mesa 3 ``rng=`` keyword).

        """
        super().__init__(rng=rng)
        self.p = p
        self.tick = 0
        self.newly_activated = 0
        self.n_active = 0
        self.by_node = {node: ICAgent(self, node) for node in graph.nodes}
        for node, agent in self.by_node.items():
            agent.neighbours = [self.by_node[v] for v in graph.adj[node]]

    def start_cascade(self, seeds: Sequence[Any]) -> None:
        """Deactivate every agent, then activate ``seeds`` at tick 0.

        Args:
            seeds: Distinct seed nodes.

        """
        for agent in self.agents:
            agent.activated_at = None
        for node in seeds:
            self.by_node[node].activated_at = 0
        self.tick = 0
        self.n_active = len(seeds)
        self.running = True

    def step(self) -> None:
        """Advance the cascade by one tick; stop when nobody was activated."""
        self.tick += 1
        self.newly_activated = 0
        self.agents.do("step")
        self.n_active += self.newly_activated
        if self.newly_activated == 0:
            self.running = False


class MesaPeer:
    """IC as a plain Mesa 3 model (:class:`ICModel`) stepped until it stops.

    ``prepare`` builds the model and its agents once. ``run`` reseeds the
    model's ``random.Random`` (``model.random.seed(seed)``) and, per replicate,
    calls ``start_cascade`` and then ``model.step()`` while ``model.running``.
    """

    name = "mesa"
    default_replicates = 5

    def __init__(self) -> None:
        """Create an unprepared peer."""
        self._model: ICModel | None = None

    def prepare(self, graph: nx.Graph, p: float) -> None:
        """Build the Mesa model (one agent per node).

        Args:
            graph: Undirected networkx graph.
            p: Uniform propagation probability on every tie.

        """
        self._model = ICModel(graph, _check_p(p), rng=0)

    def run(self, seeds: Sequence[int], replicates: int, seed: int) -> np.ndarray:
        """Run ``replicates`` IC cascades from ``seeds``.

        Args:
            seeds: Seed nodes of the prepared graph.
            replicates: Number of independent cascades.
            seed: Seed for the model's ``random.Random`` generator.

        Returns:
            Activated-node count (seeds included) of each replicate.

        Raises:
            RuntimeError: If :meth:`prepare` has not been called.

        """
        model = self._model
        if model is None:
            raise _not_prepared(self.name)
        model.random.seed(seed)
        seed_list = _unique(seeds)
        counts = np.empty(replicates, dtype=np.int64)
        for r in range(replicates):
            model.start_cascade(seed_list)
            while model.running:
                model.step()
            counts[r] = model.n_active
        return counts


# ---------------------------------------------------------------------------
# registry and demo
# ---------------------------------------------------------------------------


def all_peers() -> dict[str, Peer]:
    """Return a fresh, unprepared instance of every peer, keyed by name.

    Returns:
        Mapping from peer name to peer object; each has ``prepare``, ``run``
        and a suggested ``default_replicates``.

    """
    peers: list[Peer] = [CynetdiffPeer(), NDlibPeer(), NetworkxPeer(), MesaPeer()]
    return {peer.name: peer for peer in peers}


def _parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Parse the demo's command line.

    Args:
        argv: Arguments (defaults to ``sys.argv[1:]``).

    Returns:
        The parsed arguments.

    """
    parser = argparse.ArgumentParser(description="Time the IC peers on a Barabasi-Albert graph.")
    parser.add_argument("--n", type=int, default=100_000, help="number of nodes")
    parser.add_argument("--m", type=int, default=5, help="BA attachment count")
    parser.add_argument("--p", type=float, default=0.1, help="tie probability")
    parser.add_argument("--seeds", type=int, default=50, help="seed-set size")
    parser.add_argument("--seed", type=int, default=42, help="master seed")
    parser.add_argument(
        "--replicates",
        type=int,
        default=None,
        help="replicates per peer (default: each peer's default_replicates)",
    )
    parser.add_argument(
        "--peers",
        nargs="+",
        default=None,
        help="subset of peers to run (default: all)",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    """Build a BA graph and print replicates/s and mean activated per peer.

    Args:
        argv: Command-line arguments (defaults to ``sys.argv[1:]``).

    """
    args = _parse_args(argv)
    t0 = time.perf_counter()
    graph = nx.barabasi_albert_graph(args.n, args.m, seed=args.seed)
    rng = np.random.default_rng(args.seed)
    seeds = [int(s) for s in rng.choice(args.n, size=args.seeds, replace=False)]
    print(
        f"BA n={args.n} m={args.m} ({graph.number_of_edges()} edges, "
        f"built in {time.perf_counter() - t0:.1f} s), p={args.p}, "
        f"{len(seeds)} seeds"
    )
    print(f"{'peer':<10} {'reps':>5} {'prepare s':>10} {'reps/s':>10} {'mean act.':>10} {'std':>8}")
    peers = all_peers()
    for name in args.peers or list(peers):
        peer = peers[name]
        replicates = args.replicates or peer.default_replicates
        try:
            t0 = time.perf_counter()
            peer.prepare(graph, args.p)
            t_prepare = time.perf_counter() - t0
        except RuntimeError as exc:
            print(f"{name:<10} unavailable: {exc}")
            continue
        t0 = time.perf_counter()
        counts = peer.run(seeds, replicates, seed=args.seed)
        elapsed = time.perf_counter() - t0
        print(
            f"{name:<10} {replicates:>5} {t_prepare:>10.2f} "
            f"{replicates / elapsed:>10.3f} {counts.mean():>10.1f} "
            f"{counts.std():>8.1f}"
        )


if __name__ == "__main__":
    main()
