"""Experiment results: open a sweep's output and plot a metric against a grid key.

Only sweep folders under the results root (:func:`simulation.ui.sweeps.results_root`) are listed
and opened; the user picks one from the list, never types a server path.
"""

from __future__ import annotations

import solara

from simulation.errors import ScenarioError
from simulation.ui.glossary import metric_meaning
from simulation.ui.plots import png_bytes, sweep_figure
from simulation.ui.sweeps import find_sweeps, load_sweep, metric_by_key, results_root
from simulation.ui.widgets import HELP_STYLE, ProblemList

__all__ = ["ResultsView"]


@solara.component
def ResultsView():
    """Pick a sweep, a metric and two grid keys; see the metric by key with 95% intervals."""
    root = solara.use_memo(results_root, dependencies=[])
    refresh, set_refresh = solara.use_state(0)
    sweeps = solara.use_memo(lambda: find_sweeps(root), dependencies=[refresh])
    chosen, set_chosen = solara.use_state(None)
    metric, set_metric = solara.use_state(None)
    x, set_x = solara.use_state(None)
    line, set_line = solara.use_state(None)

    def open_sweep():
        if chosen is None:
            return None, None
        try:
            return load_sweep(root, chosen), None
        except ScenarioError as exc:
            return None, exc

    sweep, error = solara.use_memo(open_sweep, dependencies=[chosen, refresh])
    with solara.Column(gap="10px", classes=["wom-results"]):
        solara.Text(
            "Results of experiments run with `wom sweep EXPERIMENT.toml --out DIR`: every "
            "combination of settings, many runs each.",
            style={"font-size": "14px", "color": "#444"},
        )
        solara.Text(f"Sweeps found under {root}:", style=HELP_STYLE)
        with solara.Row(style={"align-items": "center"}):
            with solara.Div(style={"min-width": "320px"}):
                solara.Select("Sweep", values=sweeps, value=chosen, on_value=set_chosen)
            solara.Button(
                "Refresh",
                icon_name="mdi-refresh",
                text=True,
                on_click=lambda: set_refresh(refresh + 1),
            )
        if not sweeps:
            solara.Info(
                "No sweep found here yet. Run one, e.g. `wom sweep experiment.toml --out "
                "results/my-sweep`, then press Refresh (set WOM_RESULTS_ROOT or "
                "`wom app --results DIR` to look elsewhere)."
            )
            return
        if error is not None:
            ProblemList(error.problems)
            return
        if sweep is None:
            return
        if not sweep.grid_keys or not sweep.metrics:
            solara.Warning("This sweep has no grid keys or no metrics to plot.")
            return
        defaults = sweep.defaults()
        metric_now = metric if metric in sweep.metrics else defaults["metric"]
        x_now = x if x in sweep.grid_keys else defaults["x"]
        others = [k for k in sweep.grid_keys if k != x_now]
        line_now = (
            line
            if line in others
            else (
                defaults["line"] if defaults["line"] in others else (others[0] if others else None)
            )
        )
        with solara.Row(gap="10px", style={"flex-wrap": "wrap"}):
            with solara.Div(style={"width": "220px"}):
                solara.Select("Metric", values=sweep.metrics, value=metric_now, on_value=set_metric)
            with solara.Div(style={"width": "220px"}):
                solara.Select("Along", values=sweep.grid_keys, value=x_now, on_value=set_x)
            if others:
                with solara.Div(style={"width": "220px"}):
                    solara.Select("One line per", values=others, value=line_now, on_value=set_line)
        meaning = metric_meaning(metric_now)
        if meaning:
            solara.Text(f"{metric_now}: {meaning}", style=HELP_STYLE)
        table = metric_by_key(sweep.frame, metric_now, x_now, line_now)
        figure = sweep_figure(
            table, metric_now, x_now, line_now, log_x=defaults["log_x"], log_y=defaults["log_y"]
        )
        if sweep.report:
            solara.Text(
                "Shown first as the experiment's [report] asks"
                + (" (logarithmic axes)" if defaults["log_x"] or defaults["log_y"] else "")
                + ".",
                style=HELP_STYLE,
            )
        solara.FigureMatplotlib(figure, format="png")
        with solara.Row(gap="8px"):
            solara.FileDownload(
                lambda: png_bytes(figure),
                filename=f"{metric_now}-by-{x_now}.png",
                label="Chart (PNG)",
                mime_type="image/png",
            )
            solara.FileDownload(
                lambda: table.to_csv(index=False),
                filename="sweep-summary.csv",
                label="Table (CSV)",
                mime_type="text/csv",
            )
        solara.Text(f"{len(sweep.frame):,} runs in this sweep.", style=HELP_STYLE)
        solara.DataFrame(table, items_per_page=20)
