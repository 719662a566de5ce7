"""The app's page: the scenario panel in the sidebar and five views in tabs."""

from __future__ import annotations

import solara

from simulation.metrics import METRICS
from simulation.ui import state
from simulation.ui.compare_view import CompareView
from simulation.ui.fit_view import FitView
from simulation.ui.glossary import VOCABULARY
from simulation.ui.live_view import LiveView
from simulation.ui.results_view import ResultsView
from simulation.ui.scenario_panel import ScenarioPanel, use_scenario
from simulation.ui.widgets import HELP_STYLE

__all__ = ["Page"]

TITLE = "Word of mouth — campaign simulator"

_CSS = """
.wom-scenario-panel .v-input__slot { margin-bottom: 0 !important; }
.wom-scenario-panel .v-input { margin-top: 2px !important; padding-top: 2px !important; }
/* A text field or select floats its label above its box, and a dense one leaves it no room. */
.wom-scenario-panel .v-input.v-text-field { padding-top: 16px !important; }
.wom-compare .v-input--dense.v-text-field { padding-top: 12px !important; }
.wom-uploads .solara-file-drop { height: auto; min-height: 40px; margin: 0; color: #6c757d; }
.wom-scenario-panel .v-messages { min-height: 0 !important; }
.v-slider__thumb-label { display: none; }
"""


@solara.component
def Glossary():
    """What the numbers mean: the article's words and every metric, in plain language."""
    with solara.Column(gap="10px", classes=["wom-glossary"]):
        solara.Text(
            "Marketing words and what the simulation measures",
            style={"font-size": "18px", "font-weight": "600"},
        )
        with solara.Div(
            style={"display": "grid", "grid-template-columns": "180px 1fr", "gap": "6px 16px"}
        ):
            for word, (meaning, metric) in VOCABULARY.items():
                solara.Text(word, style={"font-weight": "600"})
                solara.Text(f"{meaning}. (metric: {metric})")
        solara.Text("Every metric", style={"font-size": "18px", "font-weight": "600"})
        with solara.Div(
            style={"display": "grid", "grid-template-columns": "180px 1fr", "gap": "6px 16px"}
        ):
            for name, metric in METRICS.items():
                solara.Text(name, style={"font-family": "monospace"})
                solara.Text(metric.meaning)
        solara.Text(
            "Each result is the average over many simulated campaigns. The 95% interval of "
            "the mean says how precisely we know that average: with more runs it narrows.",
            style=HELP_STYLE,
        )


@solara.component
def Page():
    """The whole app."""

    def cleanup_on_close():
        return state.remove_session_dir

    solara.use_effect(cleanup_on_close, dependencies=[])
    scenario, _error = use_scenario()
    solara.Title(TITLE)
    solara.Style(_CSS)
    with solara.AppBar():
        solara.Text(scenario.name if scenario is not None else "", style={"color": "white"})
    with solara.Sidebar():
        ScenarioPanel()
    with solara.lab.Tabs(background_color="#f5f7fb", slider_color="primary"):
        with (
            solara.lab.Tab("Compare strategies", icon_name="mdi-chart-bar"),
            solara.Div(style={"padding": "14px"}),
        ):
            CompareView(scenario)
        with (
            solara.lab.Tab("Learn from a campaign", icon_name="mdi-target"),
            solara.Div(style={"padding": "14px"}),
        ):
            FitView(scenario)
        with (
            solara.lab.Tab("Live cascade", icon_name="mdi-graph-outline"),
            solara.Div(style={"padding": "14px"}),
        ):
            LiveView(scenario)
        with (
            solara.lab.Tab("Experiment results", icon_name="mdi-table-large"),
            solara.Div(style={"padding": "14px"}),
        ):
            ResultsView()
        with (
            solara.lab.Tab("What the numbers mean", icon_name="mdi-help-circle-outline"),
            solara.Div(style={"padding": "14px"}),
        ):
            Glossary()


@solara.component
def Layout(children=()):
    """The app's frame: a title bar and a sidebar."""
    with solara.AppLayout(title=TITLE, color="#1d3557", children=list(children)):
        pass
