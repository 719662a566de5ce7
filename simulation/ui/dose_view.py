"""Sweep a setting: a dose-response curve with bands, in one click.

"How sticky must it be?": pick a key (stickiness), its range and number of points, optionally
one line per segment (or strategy, or rule), and a metric. The sweep (:mod:`simulation.ui.dose`)
runs as a background job; the curve shows the mean with the 95% interval of the mean and the
range 95% of campaigns fall in, and where each line rises fastest (the tipping point).
"""

from __future__ import annotations

import math
from typing import Any

import solara

from simulation.errors import ScenarioError
from simulation.metrics import resolve_metrics
from simulation.scenario import Scenario
from simulation.ui import jobs
from simulation.ui.compare_view import knob_title, parse_values, use_variant_knobs
from simulation.ui.dose import DoseSpec, points, run_dose, steepest
from simulation.ui.glossary import metric_meaning
from simulation.ui.jobs import JobState
from simulation.ui.limits import MAX_RUNS, MAX_SWEEP_POINTS, too_big
from simulation.ui.plots import dose_figure, png_bytes
from simulation.ui.widgets import ERROR_STYLE, HELP_STYLE, NumberField, ProblemList

__all__ = ["SweepView", "dose_job", "sweep_problem"]

_NO_LINES = "(one line)"
dose_job: solara.Reactive[JobState] = solara.reactive(JobState())
key: solara.Reactive[str] = solara.reactive("content.stickiness")
low: solara.Reactive[float | None] = solara.reactive(0.05)
high: solara.Reactive[float | None] = solara.reactive(0.5)
count: solara.Reactive[int | None] = solara.reactive(10)
line_key: solara.Reactive[str] = solara.reactive(_NO_LINES)
line_text: solara.Reactive[str] = solara.reactive("")
metric: solara.Reactive[str] = solara.reactive("sharers")
runs: solara.Reactive[int | None] = solara.reactive(50)


def sweep_problem(scenario: Scenario, spec: DoseSpec | None, replicates: int) -> str | None:
    """Why this sweep cannot run in the app, or ``None``."""
    if spec is None:
        return "fill in the range"
    if replicates < 2:
        return "at least 2 runs per point"
    xs = points(spec.low, spec.high, spec.count, spec.integer)
    total = len(xs) * len(spec.lines())
    if total > MAX_SWEEP_POINTS:
        return f"{total} points: at most {MAX_SWEEP_POINTS} (values × lines) in the app"
    return too_big(scenario, replicates, 1)


def _line_keys(scenario: Scenario, knobs: dict) -> list[str]:
    keys = [k for k, knob in knobs.items() if knob.kind == "choice"]
    if scenario.segments:
        keys = ["seeding.segment", *keys]
    return keys


@solara.component
def SweepView(scenario: Scenario | None):
    """The sweep builder and its curve."""
    knobs = use_variant_knobs(scenario)
    with solara.Column(gap="12px", classes=["wom-sweep"]):
        solara.Text(
            "How does a result change with one setting? Pick the setting and its range: every "
            "value runs the same simulated campaigns, so the curve shows the setting's effect "
            "and where it tips.",
            style={"font-size": "14px", "color": "#444"},
        )
        if scenario is None:
            solara.Warning("Fix the scenario in the panel on the left to sweep a setting.")
            return
        numeric = {
            knob_title(k): name
            for name, k in knobs.items()
            if k.kind in ("probability", "float", "int")
        }
        titles = {name: title for title, name in numeric.items()}
        chosen = key.value if key.value in knobs else "content.stickiness"
        knob = knobs[chosen]
        line_keys = _line_keys(scenario, knobs)
        line_titles = {_NO_LINES: _NO_LINES, **{knob_title(knobs[k]): k for k in line_keys}}
        line_chosen = line_key.value if line_key.value in line_keys else _NO_LINES
        segments = [s.name for s in scenario.segments]
        metrics = resolve_metrics(None, segments, scenario=scenario)
        with solara.Row(gap="10px", style={"flex-wrap": "wrap", "align-items": "baseline"}):
            with solara.Div(style={"flex": "1 1 220px"}):
                solara.Select(
                    "Setting",
                    values=list(numeric),
                    value=titles.get(chosen),
                    on_value=lambda t: key.set(numeric.get(t, chosen)),
                    dense=True,
                )
            with solara.Div(style={"width": "110px"}):
                NumberField(
                    "From",
                    value=low.value,
                    on_value=low.set,
                    integer=knob.kind == "int",
                    minimum=knob.minimum,
                    maximum=knob.maximum,
                    classes=["wom-sweep-from"],
                )
            with solara.Div(style={"width": "110px"}):
                NumberField(
                    "To",
                    value=high.value,
                    on_value=high.set,
                    integer=knob.kind == "int",
                    minimum=knob.minimum,
                    maximum=knob.maximum,
                    classes=["wom-sweep-to"],
                )
            with solara.Div(style={"width": "110px"}):
                NumberField(
                    "Points",
                    value=count.value,
                    on_value=count.set,
                    integer=True,
                    minimum=2,
                    maximum=MAX_SWEEP_POINTS,
                )
        with solara.Row(gap="10px", style={"flex-wrap": "wrap", "align-items": "baseline"}):
            with solara.Div(style={"flex": "1 1 200px"}):
                solara.Select(
                    "One line per",
                    values=list(line_titles),
                    value=next(t for t, k in line_titles.items() if k == line_chosen),
                    on_value=lambda t: _pick_line(line_titles.get(t, _NO_LINES), scenario, knobs),
                    dense=True,
                )
            line_values: list[Any] = []
            line_error = None
            if line_chosen != _NO_LINES:
                with solara.Div(style={"flex": "2 1 200px"}):
                    solara.InputText(
                        "Their values (comma-separated)",
                        value=line_text,
                        continuous_update=True,
                        dense=True,
                    )
                    line_values, line_error = parse_values(
                        knobs[line_chosen], line_text.value, scenario
                    )
                    if line_error:
                        solara.Text(f"⚠ {line_error}", style=ERROR_STYLE)
            with solara.Div(style={"flex": "1 1 180px"}):
                solara.Select(
                    "Metric",
                    values=metrics,
                    value=metric.value if metric.value in metrics else "sharers",
                    on_value=metric.set,
                    dense=True,
                )
            with solara.Div(style={"width": "140px"}):
                NumberField(
                    "Runs per point",
                    value=runs.value,
                    on_value=runs.set,
                    integer=True,
                    minimum=2,
                    maximum=MAX_RUNS,
                )
        chosen_metric = metric.value if metric.value in metrics else "sharers"
        spec = None
        if low.value is not None and high.value is not None and count.value:
            spec = DoseSpec(
                key=chosen,
                low=float(low.value),
                high=float(high.value),
                count=int(count.value),
                metric=chosen_metric,
                line_key=None if line_chosen == _NO_LINES else line_chosen,
                line_values=tuple(line_values),
                integer=knob.kind == "int",
            )
        replicates = runs.value or 0
        problem = line_error if line_error else sweep_problem(scenario, spec, replicates)
        job = dose_job.value
        inputs = repr((scenario.to_toml_dict(), scenario.base_dir, spec, replicates))
        with solara.Row(gap="10px", style={"align-items": "center", "flex-wrap": "wrap"}):
            solara.Button(
                "Run sweep",
                icon_name="mdi-chart-bell-curve-cumulative",
                color="primary",
                disabled=problem is not None or job.busy,
                on_click=lambda: jobs.start(
                    dose_job,
                    lambda report: (spec, run_dose(scenario, spec, runs=replicates, report=report)),
                    inputs=inputs,
                ),
                classes=["wom-run-sweep"],
            )
            if spec is not None and problem is None:
                n = len(points(spec.low, spec.high, spec.count, spec.integer)) * len(spec.lines())
                solara.Text(
                    f"{n} points × {replicates:,} runs = {n * replicates:,} simulated campaigns",
                    style=HELP_STYLE,
                )
            if job.busy:
                solara.Button(
                    "Cancel",
                    icon_name="mdi-stop",
                    color="error",
                    outlined=True,
                    on_click=lambda: jobs.cancel(dose_job.value),
                )
        if problem is not None:
            solara.Text(f"⚠ {problem}", style=ERROR_STYLE, classes=["wom-sweep-problem"])
        if job.status == "waiting":
            solara.ProgressLinear(True)
            solara.Text(f"Waiting: {job.note}…", style=HELP_STYLE)
        elif job.status == "running":
            solara.ProgressLinear(100 * job.progress or True)
            solara.Text(f"Running… {100 * job.progress:.0f}%", style=HELP_STYLE)
        elif job.status == "cancelled":
            solara.Info("Sweep cancelled.")
        elif job.status == "failed":
            if isinstance(job.error, ScenarioError):
                ProblemList(job.error.problems)
            else:
                solara.Error(f"The sweep failed ({type(job.error).__name__}).")
        latest = job.latest
        if latest is not None and latest[1] is not None:
            if latest[0] != inputs:
                with solara.Div(classes=["wom-stale"]):
                    solara.Warning("This curve is from before your last changes: run it again.")
            _Curve(*latest[1], latest[0])


def _pick_line(name: str, scenario: Scenario, knobs: dict) -> None:
    line_key.set(name)
    if name == "seeding.segment":
        line_text.set(", ".join(s.name for s in scenario.segments))
    elif name in knobs and knobs[name].options:
        line_text.set(", ".join(map(str, knobs[name].options[:3])))


@solara.component
def _Curve(spec: DoseSpec, table, inputs: str):
    chosen_metric = spec.metric
    figure = solara.use_memo(
        lambda: dose_figure(table, spec.metric, spec.key, spec.line_key),
        dependencies=[inputs, id(table)],
    )
    with solara.Column(gap="8px", classes=["wom-dose"]):
        meaning = metric_meaning(chosen_metric)
        if meaning:
            solara.Text(f"{chosen_metric}: {meaning}", style=HELP_STYLE)
        solara.FigureMatplotlib(figure, format="png")
        for line, a, b, slope in steepest(table):
            if math.isfinite(slope) and slope > 0:
                solara.Text(
                    f"{line}: rises fastest between {a:g} and {b:g} "
                    f"(+{slope * (b - a):,.3g} {chosen_metric}).",
                    classes=["wom-tipping"],
                )
        with solara.Row(gap="8px"):
            solara.FileDownload(
                lambda: png_bytes(figure),
                filename="sweep.png",
                label="Curve (PNG)",
                mime_type="image/png",
            )
            solara.FileDownload(
                lambda: table.to_csv(index=False),
                filename="sweep.csv",
                label="Table (CSV)",
                mime_type="text/csv",
            )
        solara.DataFrame(table.round(4), items_per_page=20)
