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
from simulation.ui import jobs
from simulation.ui.analytic import overlay_for
from simulation.ui.comparison import (
    HEADLINE_METRICS,
    TIMELINE_METRICS,
    Comparison,
    Variant,
    run_comparison,
)
from simulation.ui.jobs import JobState
from simulation.ui.knobs import Knob, knobs_of
from simulation.ui.limits import MAX_VARIANTS, too_big
from simulation.ui.plots import bars_figure, png_bytes, timeline_figure
from simulation.ui.widgets import ERROR_STYLE, HELP_STYLE, KnobControl, ProblemList

__all__ = ["DEFAULT_VARIANTS", "CompareView", "compare_job", "start_comparison", "variant_knobs"]

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


# The session's comparison (a job: cancelled only between batches, never inside numba).
compare_job: solara.Reactive[JobState] = solara.reactive(JobState())


def inputs_key(base: Scenario, chosen: list[Variant], replicates: int) -> str:
    """What a comparison's results depend on (to tell when they are stale)."""
    return repr(
        (base.to_toml_dict(), base.base_dir, [(v.name, v.overrides) for v in chosen], replicates)
    )


def start_comparison(base: Scenario, chosen: list[Variant], replicates: int) -> None:
    """Start the comparison in a background job (see :mod:`simulation.ui.jobs`)."""
    chosen = copy.deepcopy(chosen)
    jobs.start(
        compare_job,
        lambda report: run_comparison(base, chosen, runs=replicates, progress=report),
        inputs=inputs_key(base, chosen, replicates),
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
            job = compare_job.value
            replicates = runs.value or 0
            size_problem = too_big(scenario, replicates, len(variants.value))
            solara.Button(
                "Run comparison",
                icon_name="mdi-play-circle",
                color="primary",
                disabled=bool(invalid)
                or duplicate
                or job.busy
                or replicates < 2
                or size_problem is not None,
                on_click=lambda: start_comparison(scenario, list(variants.value), replicates),
                classes=["wom-run-compare"],
            )
            if replicates:
                solara.Text(
                    f"{len(variants.value)} strategies × {replicates:,} runs = "
                    f"{len(variants.value) * replicates:,} simulated campaigns",
                    style=HELP_STYLE,
                    classes=["wom-run-size"],
                )
            if job.busy:
                solara.Button(
                    "Cancel",
                    icon_name="mdi-stop",
                    color="error",
                    outlined=True,
                    on_click=lambda: jobs.cancel(compare_job.value),
                    classes=["wom-cancel"],
                )
        if invalid:
            solara.Text(
                f"Fix the strategy settings marked in red first ({', '.join(invalid)}).",
                style=ERROR_STYLE,
            )
        if duplicate:
            solara.Text("Give each strategy its own name.", style=ERROR_STYLE)
        if replicates < 2:
            solara.Text(
                "Run at least 2 campaigns per strategy for an interval.",
                style=ERROR_STYLE,
                classes=["wom-runs-error"],
            )
        elif size_problem is not None:
            solara.Text(f"Too big: {size_problem}.", style=ERROR_STYLE, classes=["wom-runs-error"])
        if job.status == "waiting":
            solara.ProgressLinear(True)
            solara.Text(f"Waiting: {job.note}…", style=HELP_STYLE, classes=["wom-compare-waiting"])
        elif job.status == "running":
            solara.ProgressLinear(100 * job.progress or True)
            solara.Text(f"Running… {100 * job.progress:.0f}%", style=HELP_STYLE)
        elif job.status == "cancelled":
            solara.Info("Comparison cancelled.")
        elif job.status == "failed":
            if isinstance(job.error, ScenarioError):
                ProblemList(job.error.problems)
            elif isinstance(job.error, MemoryError):
                solara.Error("The comparison ran out of memory: try fewer runs or people.")
            else:
                solara.Error(
                    f"The comparison failed ({type(job.error).__name__}); the server log has "
                    "the details."
                )
        latest = job.latest
        if latest is not None and isinstance(latest[1], Comparison):
            if latest[0] != inputs_key(scenario, variants.value, replicates):
                solara.Warning(
                    "These results are from before your last changes to the scenario, the "
                    "strategies or the number of runs: run the comparison again to update them.",
                    classes=["wom-stale"],
                )
            _Results(latest[1])


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
