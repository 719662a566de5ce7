"""Compare strategies: two to four variants of the scenario, run side by side.

For strategists: each variant changes a few keys of the scenario (seeding strategy, segment,
stickiness, budget, ...); all run the same number of replicates in a background task with a
progress bar and a cancel button; results come as a table of means with 95% intervals, bar
charts, timelines with uncertainty bands (and an analytic curve where one applies), and
downloads (CSV, PNG).
"""

from __future__ import annotations

import copy
from typing import Any

import solara

from simulation.errors import ScenarioError
from simulation.scenario import Content, Diffusion, Scenario, Seeding
from simulation.ui.analytic import overlay_for
from simulation.ui.comparison import (
    HEADLINE_METRICS,
    TIMELINE_METRICS,
    Comparison,
    StoppedError,
    Variant,
    run_comparison,
)
from simulation.ui.knobs import Knob, knobs_of
from simulation.ui.plots import bars_figure, png_bytes, timeline_figure
from simulation.ui.widgets import ERROR_STYLE, HELP_STYLE, KnobControl, ProblemList

__all__ = ["DEFAULT_VARIANTS", "CompareView", "compare_task", "variant_knobs"]

MAX_VARIANTS = 4
DEFAULT_VARIANTS = [
    Variant("Top influencers", {"seeding.strategy": "degree"}),
    Variant("Random people", {"seeding.strategy": "random"}),
]

variants: solara.Reactive[list[Variant]] = solara.reactive(copy.deepcopy(DEFAULT_VARIANTS))
runs: solara.Reactive[int] = solara.reactive(200)
timeline_metric: solara.Reactive[str] = solara.reactive("sharers")


def variant_knobs() -> dict[str, Knob]:
    """Keys a variant may change (seeding, content, diffusion and the step limit), by key."""
    knobs = [
        *knobs_of(Seeding, "seeding"),
        *knobs_of(Content, "content"),
        *knobs_of(Diffusion, "diffusion"),
    ]
    return {k.key: k for k in knobs if k.kind != "threshold"}


@solara.lab.task(prefer_threaded=True)
def compare_task(base: Scenario, chosen: list[Variant], replicates: int) -> Comparison:
    """Run the comparison in a thread; progress in percent; cancellable between batches."""

    def progress(done: int, total: int) -> None:
        compare_task.progress = 100.0 * done / total

    return run_comparison(
        base,
        chosen,
        runs=replicates,
        progress=progress,
        stop=lambda: not compare_task.is_current(),
    )


def _update(index: int, variant: Variant) -> None:
    items = list(variants.value)
    items[index] = variant
    variants.set(items)


@solara.component
def _VariantCard(index: int, variant: Variant, base: Scenario, knobs: dict[str, Knob]):
    error: ScenarioError | None = None
    try:
        variant.scenario(base)
    except ScenarioError as exc:
        error = exc
    errors_by_key: dict[str, list[str]] = {}
    other = []
    for problem in error.problems if error else []:
        if problem.key in variant.overrides:
            errors_by_key.setdefault(problem.key, []).append(problem.message)
        else:
            other.append(problem)
    segments = [s.name for s in base.segments]
    unused = [k for k in knobs if k not in variant.overrides]
    with solara.Card(
        margin=0, classes=["wom-variant"], style={"min-width": "260px", "flex": "1 1 260px"}
    ):
        with solara.Row(style={"align-items": "center"}):
            solara.InputText(
                "Strategy name",
                value=variant.name,
                on_value=lambda v: _update(
                    index, Variant(v or f"Variant {index + 1}", variant.overrides)
                ),
            )
            if len(variants.value) > 2:
                solara.Button(
                    icon_name="mdi-delete",
                    text=True,
                    on_click=lambda: variants.set(
                        [v for i, v in enumerate(variants.value) if i != index]
                    ),
                )
        solara.Text(
            "Changes from the scenario:",
            style={**HELP_STYLE, "display": "block", "margin-bottom": "8px"},
        )
        for key, value in variant.overrides.items():
            knob = knobs.get(key)
            if knob is None:
                continue

            def set_value(new: Any, key: str = key) -> None:
                overrides = dict(variant.overrides)
                if new is None and not knobs[key].optional:
                    overrides.pop(key, None)
                else:
                    overrides[key] = new
                _update(index, Variant(variant.name, overrides))

            def remove(key: str = key) -> None:
                overrides = dict(variant.overrides)
                overrides.pop(key, None)
                _update(index, Variant(variant.name, overrides))

            with solara.Row(style={"align-items": "flex-start"}, gap="4px"):
                with solara.Column(gap="0px", style={"flex": "1"}):
                    KnobControl(
                        knob,
                        value,
                        set_value,
                        errors=errors_by_key.get(key),
                        choices=segments if key == "seeding.segment" and segments else None,
                        show_help=False,
                    ).key(f"{index}-{key}")
                solara.Button(icon_name="mdi-close", text=True, on_click=remove)
        if unused:

            def add(key: str) -> None:
                if key in knobs:
                    overrides = dict(variant.overrides)
                    overrides[key] = _current(base, key)
                    _update(index, Variant(variant.name, overrides))

            solara.Select("Add a change…", values=unused, value=None, on_value=add, dense=True)
        if other:
            ProblemList(other)


def _current(base: Scenario, key: str) -> Any:
    from simulation.ui.knobs import get_value

    return get_value(base.to_toml_dict(), key, knobs_default(key))


def knobs_default(key: str) -> Any:
    """The schema default of a variant key."""
    knob = variant_knobs().get(key)
    return knob.default if knob is not None else None


@solara.component
def CompareView(scenario: Scenario | None):
    """Variants side by side, the run controls, and the results."""
    knobs = solara.use_memo(variant_knobs, dependencies=[])
    with solara.Column(gap="12px", classes=["wom-compare"]):
        solara.Text(
            "Which strategy works best? Each strategy changes a few settings of the scenario. "
            "All strategies run the same number of simulated campaigns, so you see both the "
            "average result and how sure we are of it (95% interval).",
            style={"font-size": "14px", "color": "#444"},
        )
        if scenario is None:
            solara.Warning("Fix the scenario in the panel on the left to compare strategies.")
            return
        with solara.Row(gap="12px", style={"flex-wrap": "wrap", "align-items": "stretch"}):
            for i, variant in enumerate(variants.value):
                _VariantCard(i, variant, scenario, knobs).key(f"variant-{i}")
        invalid = []
        for variant in variants.value:
            try:
                variant.scenario(scenario)
            except ScenarioError:
                invalid.append(variant.name)
        names = [v.name for v in variants.value]
        duplicate = len(set(names)) < len(names)
        with solara.Row(gap="10px", style={"align-items": "center", "flex-wrap": "wrap"}):
            if len(variants.value) < MAX_VARIANTS:
                solara.Button(
                    "Add a strategy",
                    icon_name="mdi-plus",
                    outlined=True,
                    on_click=lambda: variants.set(
                        [*variants.value, Variant(f"Strategy {len(variants.value) + 1}", {})]
                    ),
                )
            with solara.Div(style={"width": "170px"}):
                # Taken as typed: with update-on-Enter, ipywidgets can deliver the Enter before
                # the typed text (under load), and the old number would run.
                solara.InputInt(
                    "Runs per strategy",
                    value=runs,
                    optional=False,
                    dense=True,
                    continuous_update=True,
                )
            solara.Button(
                "Run comparison",
                icon_name="mdi-play-circle",
                color="primary",
                disabled=bool(invalid) or duplicate or compare_task.pending or runs.value < 2,
                on_click=lambda: compare_task(scenario, list(variants.value), int(runs.value)),
                classes=["wom-run-compare"],
            )
            if runs.value:
                solara.Text(
                    f"{len(variants.value)} strategies × {runs.value:,} runs = "
                    f"{len(variants.value) * runs.value:,} simulated campaigns",
                    style=HELP_STYLE,
                    classes=["wom-run-size"],
                )
            if compare_task.pending:
                solara.Button(
                    "Cancel",
                    icon_name="mdi-stop",
                    color="error",
                    outlined=True,
                    on_click=compare_task.cancel,
                    classes=["wom-cancel"],
                )
        if invalid:
            solara.Text(
                f"Fix the strategy settings marked in red first ({', '.join(invalid)}).",
                style=ERROR_STYLE,
            )
        if duplicate:
            solara.Text("Give each strategy its own name.", style=ERROR_STYLE)
        if runs.value is not None and runs.value < 2:
            solara.Text("Run at least 2 campaigns per strategy for an interval.", style=ERROR_STYLE)
        if compare_task.pending:
            solara.ProgressLinear(compare_task.progress or True)
            solara.Text(f"Running… {compare_task.progress or 0:.0f}%", style=HELP_STYLE)
        elif compare_task.cancelled:
            solara.Info("Comparison cancelled.")
        elif compare_task.error:
            exception = compare_task.exception
            if isinstance(exception, ScenarioError):
                ProblemList(exception.problems)
            elif not isinstance(exception, StoppedError):
                solara.Error(f"The comparison failed: {exception}")
        result = compare_task.latest if compare_task.finished or compare_task.pending else None
        if isinstance(result, Comparison):
            _Results(result)


@solara.component
def _Results(comparison: Comparison):
    overlays = {}
    for result in comparison.results:
        overlay = overlay_for(result.scenario)
        if overlay is not None:
            overlays[result.variant.name] = overlay
    bars = solara.use_memo(
        lambda: bars_figure(comparison, list(HEADLINE_METRICS), overlays),
        dependencies=[id(comparison)],
    )
    metric = timeline_metric.value
    timeline = solara.use_memo(
        lambda: timeline_figure(comparison, metric, overlays), dependencies=[id(comparison), metric]
    )
    with solara.Column(gap="10px", classes=["wom-compare-results"]):
        solara.Text(
            f"Results: {comparison.runs} runs per strategy, seed {comparison.seed}",
            style={"font-size": "18px", "font-weight": "600"},
        )
        if overlays:
            solara.Text(
                "◆ / dashed: what theory predicts for this case ("
                + "; ".join(sorted({o.label for o in overlays.values()}))
                + ").",
                style=HELP_STYLE,
            )
        with solara.Div(classes=["wom-bars"]):
            solara.FigureMatplotlib(bars, format="png")
        with solara.Row(gap="8px", style={"flex-wrap": "wrap"}):
            solara.FileDownload(
                lambda: png_bytes(bars),
                filename="comparison-bars.png",
                label="Bar charts (PNG)",
                mime_type="image/png",
            )
            solara.FileDownload(
                lambda: comparison.table().to_csv(index=False),
                filename="comparison.csv",
                label="Table (CSV)",
                mime_type="text/csv",
            )
            solara.FileDownload(
                lambda: png_bytes(timeline),
                filename=f"timeline-{metric}.png",
                label="Timeline (PNG)",
                mime_type="image/png",
            )
        with solara.Div(style={"width": "220px"}):
            solara.Select("Timeline of", values=list(TIMELINE_METRICS), value=timeline_metric)
        with solara.Div(classes=["wom-timeline"]):
            solara.FigureMatplotlib(timeline, format="png")
        solara.Text(
            "Mean (95% confidence interval of the mean) per strategy:", style={"font-weight": "600"}
        )
        solara.DataFrame(comparison.wide_table(), items_per_page=30)
