"""The app's page: the scenario panel in the sidebar and five views in tabs."""

from __future__ import annotations

import threading

import solara
from solara.alias import rv as v

from simulation.metrics import METRICS
from simulation.ui import state, warmup
from simulation.ui.compare_view import CompareView
from simulation.ui.dose_view import SweepView
from simulation.ui.fit_view import FitView
from simulation.ui.glossary import VOCABULARY
from simulation.ui.live_view import LiveView
from simulation.ui.results_view import ResultsView
from simulation.ui.scenario_panel import ScenarioPanel, use_scenario
from simulation.ui.widgets import HELP_STYLE

__all__ = ["Page"]

TITLE = "Word of mouth — campaign simulator"

# The session's open tab (the live model is built only once its tab is opened).
tab: solara.Reactive[int] = solara.reactive(0)
# Whether the scenario panel is shown.
sidebar_open: solara.Reactive[bool] = solara.reactive(True)
LIVE_TAB = 3  # Compare, Sweep, Learn, Live, ...: the Live model is built when this tab opens

_CSS = """
.wom-root, .wom-app { height: 100vh; display: flex; flex-direction: column; }
.wom-app { min-width: 0; }
.wom-appbar { flex: 0 0 auto; display: flex; align-items: center; gap: 8px; min-height: 56px;
  padding: 0 10px; background: #1d3557; color: white; z-index: 5; }
.wom-appbar .wom-title { flex: 0 1 auto; min-width: 0; font-size: 18px; white-space: nowrap;
  overflow: hidden; text-overflow: ellipsis; }
.wom-appbar .wom-scenario-name { flex: 1 1 0; min-width: 0; text-align: right; font-size: 15px;
  white-space: nowrap; overflow: hidden; text-overflow: ellipsis; opacity: 0.9; }
.wom-body { flex: 1 1 auto; display: flex; min-height: 0; min-width: 0; }
.wom-sidebar { flex: 0 0 380px; width: 380px; max-width: 380px; overflow-y: auto;
  overflow-x: hidden; padding: 12px; border-right: 1px solid #dde1e7; background: #fff; }
.wom-main { flex: 1 1 0; min-width: 0; overflow-y: auto; overflow-x: hidden; }
.wom-main:focus { outline: none; }
.wom-close-sidebar { display: none !important; }
/* Long names never widen a control: they end in an ellipsis (the full name is the tooltip). */
.v-select__selections, .v-select__selection { min-width: 0; max-width: 100%; overflow: hidden;
  white-space: nowrap; text-overflow: ellipsis; }
.v-select__selection--comma { overflow: hidden; text-overflow: ellipsis; }
.v-select__selections { flex-wrap: nowrap !important; }
.v-select__selections input { min-width: 0 !important; width: 0 !important; flex: 0 0 0 !important;
  padding: 0 !important; }
.wom-main img { max-width: 100%; height: auto; }
.v-tab { min-width: 0 !important; padding: 0 12px !important; text-transform: none !important;
  font-size: 14px !important; letter-spacing: 0 !important; }
.v-tab .v-icon { margin-right: 6px; }
@media (max-width: 1100px) { .v-tab .v-icon { display: none !important; } }
@media (max-width: 760px) {
  .wom-body { flex-direction: column; overflow-y: auto; }
  .wom-sidebar { flex: 0 0 auto; width: 100%; max-width: 100%; border-right: none;
    border-bottom: 2px solid #dde1e7; overflow: visible; }
  .wom-main { flex: 0 0 auto; overflow: visible; }
  .wom-close-sidebar { display: inline-flex !important; }
  .wom-appbar .wom-title { display: none; }
  .wom-appbar .wom-scenario-name { text-align: left; }
}
/* Tabs wrap onto a second row rather than scroll: none is ever hidden under the sidebar. */
.wom-main .v-tabs-bar { height: auto !important; }
.wom-main .v-slide-group__wrapper { contain: none !important; overflow: visible !important; }
.wom-main .v-slide-group__content { flex-wrap: wrap; flex: 1 1 100% !important;
  transform: none !important; }
.wom-main .v-slide-group__prev, .wom-main .v-slide-group__next { display: none !important; }
.wom-main .v-tab { height: 40px; }
/* Keyboard users see where they are. */
a:focus-visible, button:focus-visible, input:focus-visible, [tabindex]:focus-visible,
.v-tab:focus-visible, [role="button"]:focus-visible, [role="tab"]:focus-visible {
  outline: 3px solid #e69f00 !important; outline-offset: 2px !important; }
.v-tab:focus-visible { outline-offset: -3px !important; }
.wom-skip-link { position: absolute; left: -10000px; top: 0; }
.wom-skip-link:focus { left: 8px; top: 8px; z-index: 1000; background: #fff; color: #1d3557;
  padding: 8px 14px; border-radius: 4px; font-weight: 600; }
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
def EngineStatus():
    """A "preparing the engine (once)" banner until the background warm-up has compiled all."""
    ready, set_ready = solara.use_state(warmup.ready())
    _tick, set_tick = solara.use_state(0)

    def watch():
        if ready:
            return None
        stop = threading.Event()

        def wait() -> None:
            while not stop.is_set():
                if warmup.wait(1.0):
                    set_ready(True)
                    return
                set_tick(lambda t: t + 1)  # show the progress

        threading.Thread(target=wait, name="wom-warmup-watch", daemon=True).start()
        return stop.set

    solara.use_effect(watch, dependencies=[ready])
    if ready:
        return
    done, total = warmup.progress()
    with solara.Row(
        gap="10px",
        style={"align-items": "center", "background": "#fff4d6", "padding": "8px 14px"},
        classes=["wom-engine-preparing"],
    ):
        solara.SpinnerSolara(size="24px")
        solara.Text(
            "Preparing the engine (once, when the server starts: up to a few minutes on a busy "
            f"machine; {done} of {total} example scenarios ready). You can edit the scenario "
            "meanwhile; runs start as soon as it is ready.",
            style={"font-size": "13.5px"},
        )


@solara.component
def Page():
    """The whole app: a skip link, the title bar, the scenario panel and the views in tabs.

    The frame is the app's own, not Solara's AppLayout (whose drawer grows with its widest
    line, covers the title bar on a phone and closes only with a swipe): a sidebar of fixed
    width beside the main area on wide screens, stacked above it on narrow ones, shown and
    hidden by the menu button (and on a phone by a close button in the sidebar).
    """

    def cleanup_on_close():
        return state.remove_session_dir

    solara.use_effect(cleanup_on_close, dependencies=[])
    solara.use_effect(warmup.start, dependencies=[])
    scenario, _error = use_scenario()
    solara.Title(TITLE)
    solara.Style(_CSS)
    open_ = sidebar_open.value
    with v.Html(tag="div", class_="wom-app"):
        v.Html(
            tag="a",
            class_="wom-skip-link",
            attributes={"href": "#wom-main"},
            children=["Skip to the main content"],
        )
        with v.Html(tag="header", class_="wom-appbar"):
            solara.Button(
                icon_name="mdi-menu",
                icon=True,
                dark=True,
                on_click=lambda: sidebar_open.set(not sidebar_open.value),
                classes=["wom-menu-button"],
                attributes={
                    "aria-label": "Show or hide the scenario panel",
                    "aria-expanded": "true" if open_ else "false",
                },
            )
            v.Html(tag="span", class_="wom-title", children=[TITLE])
            v.Html(
                tag="span",
                class_="wom-scenario-name",
                children=[scenario.name if scenario is not None else ""],
                attributes={"title": scenario.name if scenario is not None else ""},
            )
        with v.Html(tag="div", class_="wom-body"):
            if open_:
                with v.Html(
                    tag="aside",
                    class_="wom-sidebar",
                    attributes={"aria-label": "Scenario"},
                ):
                    solara.Button(
                        "Close the panel",
                        icon_name="mdi-close",
                        text=True,
                        small=True,
                        on_click=lambda: sidebar_open.set(False),
                        classes=["wom-close-sidebar"],
                    )
                    ScenarioPanel()
            with v.Html(
                tag="main", class_="wom-main", attributes={"id": "wom-main", "tabindex": "-1"}
            ):
                EngineStatus()
                _Views(scenario)


@solara.component
def _Views(scenario):
    with solara.lab.Tabs(value=tab, background_color="#f5f7fb", slider_color="primary"):
        with (
            solara.lab.Tab("Compare strategies", icon_name="mdi-chart-bar"),
            solara.Div(style={"padding": "14px"}),
        ):
            CompareView(scenario)
        with (
            solara.lab.Tab("Sweep a setting", icon_name="mdi-chart-bell-curve-cumulative"),
            solara.Div(style={"padding": "14px"}),
        ):
            SweepView(scenario)
        with (
            solara.lab.Tab("Learn from a campaign", icon_name="mdi-target"),
            solara.Div(style={"padding": "14px"}),
        ):
            FitView(scenario)
        with (
            solara.lab.Tab("Live cascade", icon_name="mdi-graph-outline"),
            solara.Div(style={"padding": "14px"}),
        ):
            LiveView(scenario, active=tab.value == LIVE_TAB)
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
    """No frame around the page: :func:`Page` draws its own (title bar, sidebar, main)."""
    with v.Html(tag="div", class_="wom-root", children=list(children)):
        pass
