"""Mesa's own browser view of the model: the network, sliders, Play, and a line plot.

Run it with ``python -m simulation.ui.server run examples/mesa_viz.py --port 8766`` (served
offline, like ``wom app``) or ``solara run examples/mesa_viz.py``. The sliders are keywords of
:class:`~simulation.model.WordOfMouthModel` (``stickiness``, ``n``, ``rule``, ``seed``): Mesa's
``SolaraViz`` builds a new model from them when you press Reset. Each dot is a person coloured by
their state; the plot follows the sharers and the people reached.
"""

from __future__ import annotations

import functools

import networkx as nx
import numpy as np
import solara
import solara.server.settings
from mesa.visualization import Slider, SolaraViz, make_plot_component, make_space_component
from mesa.visualization.components import AgentPortrayalStyle
from mesa.visualization.utils import update_counter

from simulation.agents import STATES, Consumer
from simulation.model import CLASSROOM, WordOfMouthModel

# Nothing leaves this machine: no usage statistics.
solara.server.settings.telemetry.mixpanel_enable = False

COLOURS = {
    "unaware": "#d0d0d0",
    "seen": "#9ecae1",
    "engaged": "#3182bd",
    "shared": "#e6550d",
    "converted": "#31a354",
    "negative": "#756bb1",
}
assert set(COLOURS) == set(STATES)

# No "scenario" entry: Mesa 3.5 reserves the name (the model's default is the classroom demo).
MODEL_PARAMS = {
    "stickiness": Slider("Stickiness (P share | engaged)", 0.6, 0.0, 1.0, 0.05),
    "n": Slider("People", 300, 50, 1000, 50),
    "rule": {
        "type": "Select",
        "value": "cascade",
        "values": ["cascade", "threshold", "bass"],
        "label": "Diffusion rule",
    },
    "seed": Slider("Seed", 3, 0, 100, 1),
}


def portrayal(agent) -> AgentPortrayalStyle:
    """A person as a dot coloured by their state (brands are not drawn)."""
    if not isinstance(agent, Consumer):
        return AgentPortrayalStyle(size=0, alpha=0.0)
    state = agent.state
    return AgentPortrayalStyle(color=COLOURS[state], size=18 if state == "shared" else 10)


@functools.lru_cache(maxsize=8)
def _positions(edges: tuple[tuple[int, int], ...], n: int) -> tuple[tuple[float, float], ...]:
    graph = nx.Graph()
    graph.add_nodes_from(range(n))
    graph.add_edges_from(edges)
    pos = nx.spring_layout(graph, seed=0, iterations=30)
    return tuple(tuple(float(v) for v in pos[i]) for i in range(n))


def network_layout(graph: nx.Graph, **_: object) -> dict[int, np.ndarray]:
    """The graph's positions, computed once per graph (Mesa redraws them every step)."""
    edges = tuple(sorted((min(u, v), max(u, v)) for u, v in graph.edges()))
    xy = _positions(edges, graph.number_of_nodes())
    return {node: np.asarray(xy[node]) for node in graph.nodes()}


@solara.component
def Summary(model: WordOfMouthModel) -> None:  # noqa: N802 (a component)
    """The numbers under the picture: people, step, sharers, reach, purchases."""
    update_counter.get()  # redraw after every step, as Mesa's own components do
    counts = model.counts()
    # Text, not Markdown: Markdown loads KaTeX, which the offline asset bundle does not hold.
    solara.Text(
        f"{model.prepared.graph.n} people, step {model.step_count}: "
        f"{counts['sharers']} shared, {counts['reach']} reached, "
        f"{counts['conversions']} bought",
        style={"font-size": "16px"},
    )


@solara.component
def Page() -> None:  # noqa: N802 (Solara finds the page by this name)
    """The page: Mesa's SolaraViz on a word-of-mouth model."""
    model = solara.use_memo(lambda: WordOfMouthModel(scenario=CLASSROOM, seed=3), [])
    SolaraViz(
        model,
        components=[
            make_space_component(portrayal, layout_alg=network_layout),
            make_plot_component(["sharers", "reach"]),
            Summary,
        ],
        model_params=MODEL_PARAMS,
        name="Word of mouth (Mesa)",
    )
