"""Compare strategies: up to eight variants of the scenario, run side by side, paired.

For strategists: each strategy card starts as a copy of the scenario and changes a few keys
(segment, stickiness, seeding strategy, budget, money, ...); "Build from combinations" makes a
card for every combination of two keys' values (a 2 x 2 segment x stickiness comparison in a
few clicks). All strategies run the same replicates with the same seed (common random
numbers), so each is compared with the baseline by paired differences (95% interval and the
probability it does better, :mod:`simulation.compare`); beside the interval of the mean, the
range one campaign falls in (pi95). A goal ("at least 300 conversions by step 30") gets its
probability per strategy; money (cost, revenue, ROI, cost per conversion, seeds bought and
their fees) is charted. The run is a background job (:mod:`simulation.ui.jobs`) with progress
and Cancel; results made before a change are marked stale.
"""

from __future__ import annotations

import copy
import dataclasses
import itertools
import math
from typing import Any

import pandas as pd
import solara

from simulation.errors import ScenarioError
from simulation.metrics import METRICS
from simulation.scenario import Content, Diffusion, Money, Scenario, Seeding
from simulation.ui import jobs
from simulation.ui.analytic import overlay_for
from simulation.ui.comparison import (
    HEADLINE_METRICS,
    MONEY_METRICS,
    TIMELINE_METRICS,
    Comparison,
    Goal,
    Variant,
    run_comparison,
)
from simulation.ui.jobs import JobState
from simulation.ui.knobs import Knob, get_value, knobs_of, scenario_sections
from simulation.ui.limits import MAX_RUNS, MAX_VARIANTS, too_big
from simulation.ui.plots import bars_figure, png_bytes, timeline_figure
from simulation.ui.widgets import ERROR_STYLE, HELP_STYLE, KnobControl, NumberField, ProblemList

__all__ = [
    "DEFAULT_VARIANTS",
    "CompareView",
    "combinations",
    "compare_job",
    "start_comparison",
    "use_variant_knobs",
    "variant_knobs",
]

BASELINE = "As in the scenario"
# Every card starts as a copy of the scenario: no hidden differences.
DEFAULT_VARIANTS = [Variant(BASELINE, {}), Variant("Strategy 2", {})]
# Section titles for the keys a variant may change.
_SECTIONS = {
    "": "Scenario",
    "network": "Network",
    "content": "Content",
    "diffusion": "Diffusion",
    "seeding": "Seeding",
    "money": "Money",
}

variants: solara.Reactive[list[Variant]] = solara.reactive(copy.deepcopy(DEFAULT_VARIANTS))
runs: solara.Reactive[int | None] = solara.reactive(200)
baseline: solara.Reactive[str] = solara.reactive(BASELINE)
timeline_metric: solara.Reactive[str] = solara.reactive("sharers")
goal_metric: solara.Reactive[str] = solara.reactive("conversions")
goal_target: solara.Reactive[float | None] = solara.reactive(None)
goal_step: solara.Reactive[int | None] = solara.reactive(None)
# The session's comparison (a job: cancelled only between batches, never inside numba).
compare_job: solara.Reactive[JobState] = solara.reactive(JobState())


# Keys a strategy card does not offer: names, the replicate count and seed (the run sets
# them), and the network's kind (a different kind needs other keys).
_NOT_VARIED = {"name", "description", "runs", "seed", "network.kind", "network.seed"}


def variant_knobs(base: Scenario | None = None) -> dict[str, Knob]:
    """Keys a variant may change, by key, labelled with their section ("Ad 1: Cpm").

    Every key of the scenario's panel, rows of tables included (``segments[1].affinity``,
    ``ads[0].spend_per_step``), whatever the strategy or rule. Without a scenario: steps,
    content, diffusion, seeding and money.
    """
    if base is None:
        plain = [k for k in knobs_of(Scenario) if k.key == "steps"]
        plain += [
            *knobs_of(Content, "content"),
            *knobs_of(Diffusion, "diffusion"),
            *knobs_of(Seeding, "seeding"),
            *knobs_of(Money, "money"),
        ]
        knobs = [dataclasses.replace(k, label=knob_title(k)) for k in plain]
    else:
        sections = scenario_sections(base.to_toml_dict(), only_relevant=False)
        knobs = [
            dataclasses.replace(k, label=f"{title}: {k.label}")
            for _prefix, title, section in sections
            for k in section
        ]
    return {k.key: k for k in knobs if k.kind != "threshold" and k.key not in _NOT_VARIED}


def knob_title(knob: Knob) -> str:
    """A key in plain words, its section first: "Seeding: Budget"."""
    if ": " in knob.label:
        return knob.label
    section = _SECTIONS.get(knob.key.rpartition(".")[0], knob.key.rpartition(".")[0])
    return f"{section}: {knob.label}"


def short_label(knob: Knob) -> str:
    """A key's label without its section ("Budget")."""
    return knob.label.rpartition(": ")[2]


def goal_of(metric: str, target: float | None, step: int | None) -> Goal | None:
    """The goal the inputs describe, or ``None`` when no target is set."""
    if target is None or not math.isfinite(target):
        return None
    return Goal(metric, float(target), step)


def inputs_key(base: Scenario, chosen: list[Variant], replicates: int, goal: Goal | None) -> str:
    """What a comparison's results depend on (to tell when they are stale)."""
    step_goal = (goal.metric, goal.step) if goal is not None and goal.step is not None else None
    return repr(
        (
            base.to_toml_dict(),
            base.base_dir,
            [(v.name, v.overrides) for v in chosen],
            replicates,
            step_goal,
        )
    )


def start_comparison(
    base: Scenario, chosen: list[Variant], replicates: int, goal: Goal | None = None
) -> None:
    """Start the comparison in a background job (see :mod:`simulation.ui.jobs`)."""
    chosen = copy.deepcopy(chosen)
    jobs.start(
        compare_job,
        lambda report: run_comparison(base, chosen, runs=replicates, progress=report, goal=goal),
        inputs=inputs_key(base, chosen, replicates, goal),
    )


def parse_values(knob: Knob, text: str, base: Scenario) -> tuple[list[Any], str | None]:
    """Comma-separated values for a key: (values, a message if one is not allowed)."""
    items = [x.strip() for x in (text or "").split(",") if x.strip()]
    values: list[Any] = []
    for item in items:
        if knob.kind in ("probability", "float"):
            try:
                value: Any = float(item)
            except ValueError:
                return [], f"{item!r} is not a number"
            if not math.isfinite(value):
                return [], f"{item!r} is not a finite number"
        elif knob.kind == "int":
            try:
                value = int(item)
            except ValueError:
                return [], f"{item!r} is not a whole number"
        elif knob.kind == "bool":
            if item.lower() not in ("true", "false"):
                return [], f"{item!r}: true or false"
            value = item.lower() == "true"
        else:
            value = item
            allowed = _choices(knob, base)
            if allowed and item not in allowed:
                return [], f"{item!r} is not one of {', '.join(map(str, allowed))}"
        problem = knob.check(value)
        if problem:
            return [], f"{item}: {problem}"
        values.append(value)
    return values, None


def _choices(knob: Knob, base: Scenario) -> list[Any]:
    if knob.key == "seeding.segment":
        return [s.name for s in base.segments]
    return list(knob.options)


def _fmt_value(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def combinations(
    first: tuple[str, list[Any]], second: tuple[str, list[Any]] | None
) -> list[Variant]:
    """A variant for every combination of two keys' values, named by its values."""
    rows = [first, *([second] if second and second[1] else [])]
    out = []
    for values in itertools.product(*(vals for _, vals in rows)):
        overrides = {key: value for (key, _), value in zip(rows, values, strict=True)}
        name = " · ".join(
            f"{key.rpartition('.')[2]} {_fmt_value(value)}" if not isinstance(value, str) else value
            for (key, _), value in zip(rows, values, strict=True)
        )
        out.append(Variant(name[:60], overrides))
    return out


def _update(index: int, variant: Variant) -> None:
    items = list(variants.value)
    items[index] = variant
    variants.set(items)


def _unique_name(stem: str) -> str:
    names = {v.name for v in variants.value}
    for i in itertools.count(len(variants.value) + 1):
        if f"{stem} {i}" not in names:
            return f"{stem} {i}"
    return stem  # pragma: no cover


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
    titles = {knob_title(k): key for key, k in knobs.items() if key not in variant.overrides}
    is_baseline = variant.name == baseline.value
    with solara.Card(
        margin=0,
        classes=["wom-variant"] + (["wom-baseline"] if is_baseline else []),
        style={"min-width": "250px", "flex": "1 1 250px", "max-width": "100%"},
    ):
        with solara.Row(style={"align-items": "center"}, gap="4px"):
            solara.InputText(
                "Strategy name",
                value=variant.name,
                on_value=lambda v: _rename(index, variant, v),
            )
            if len(variants.value) > 2:
                solara.Button(
                    icon_name="mdi-delete",
                    text=True,
                    on_click=lambda: variants.set(
                        [v for i, v in enumerate(variants.value) if i != index]
                    ),
                    attributes={"aria-label": f"Remove strategy {variant.name}"},
                )
        if is_baseline:
            solara.Text("Baseline: the others are compared with it.", style=HELP_STYLE)
        solara.Text(
            "Changes from the scenario:" if variant.overrides else "A copy of the scenario.",
            style={**HELP_STYLE, "display": "block", "margin-bottom": "6px"},
        )
        for key, value in variant.overrides.items():
            knob = knobs.get(key)
            if knob is None:
                solara.Text(f"{key} = {value!r}", style=HELP_STYLE)
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
                with solara.Column(gap="0px", style={"flex": "1", "min-width": "0"}):
                    KnobControl(
                        knob,
                        value,
                        set_value,
                        errors=errors_by_key.get(key),
                        choices=segments if key == "seeding.segment" and segments else None,
                        show_help=False,
                        title=knob_title(knob),
                    ).key(f"{index}-{key}")
                solara.Button(
                    icon_name="mdi-close",
                    text=True,
                    on_click=remove,
                    attributes={"aria-label": f"Undo the change of {short_label(knob)}"},
                )
        if titles:

            def add(title: str) -> None:
                key = titles.get(title)
                if key is not None:
                    overrides = dict(variant.overrides)
                    overrides[key] = _current(base, key, knobs[key])
                    _update(index, Variant(variant.name, overrides))

            solara.Select(
                "Change a setting…", values=list(titles), value=None, on_value=add, dense=True
            )
        if other:
            ProblemList(other)


def _rename(index: int, variant: Variant, name: str | None) -> None:
    new = (name or "").strip()[:60] or f"Strategy {index + 1}"
    if variant.name == baseline.value:
        baseline.set(new)
    _update(index, Variant(new, variant.overrides))


def _current(base: Scenario, key: str, knob: Knob) -> Any:
    value = get_value(base.to_toml_dict(), key, knob.default)
    if value is None and knob.kind in ("probability", "float"):
        return knob.minimum if knob.minimum is not None else 0.0
    return value


@solara.component
def _Combinations(base: Scenario, knobs: dict[str, Knob]):
    """Make a strategy card for every combination of two keys' values."""
    segments = [s.name for s in base.segments]
    first_default = "seeding.segment" if segments else "seeding.strategy"
    first_key, set_first_key = solara.use_state(first_default)
    first_text, set_first_text = solara.use_state(
        ", ".join(segments) if segments else "degree, random"
    )
    second_key, set_second_key = solara.use_state("content.stickiness")
    second_text, set_second_text = solara.use_state("")
    message, set_message = solara.use_state("")
    titles = {knob_title(k): key for key, k in knobs.items()}
    by_key = {key: title for title, key in titles.items()}

    first_values, first_error = parse_values(knobs[first_key], first_text, base)
    second_values, second_error = parse_values(knobs[second_key], second_text, base)
    count = len(first_values) * max(1, len(second_values))

    def make() -> None:
        made = combinations((first_key, first_values), (second_key, second_values))
        if len(made) > MAX_VARIANTS:
            set_message(f"{len(made)} combinations: at most {MAX_VARIANTS} strategies at once.")
            return
        set_message("")
        variants.set(made)
        baseline.set(made[0].name)

    with (
        solara.Details(summary="Build strategies from combinations (e.g. segment × stickiness)"),
        solara.Column(gap="6px", classes=["wom-combinations"]),
    ):
        solara.Text(
            "One strategy for every combination of the values below; each is the scenario with "
            "just these keys changed. Values are separated by commas.",
            style=HELP_STYLE,
        )
        for label, key, set_key, text, set_text, error in (
            ("First setting", first_key, set_first_key, first_text, set_first_text, first_error),
            (
                "Second setting (optional)",
                second_key,
                set_second_key,
                second_text,
                set_second_text,
                second_error,
            ),
        ):
            with solara.Row(gap="8px", style={"flex-wrap": "wrap", "align-items": "baseline"}):
                with solara.Div(style={"flex": "1 1 200px"}):
                    solara.Select(
                        label,
                        values=list(titles),
                        value=by_key.get(key),
                        on_value=lambda t, set_key=set_key, key=key: set_key(titles.get(t, key)),
                        dense=True,
                    )
                with solara.Div(style={"flex": "2 1 200px"}):
                    solara.InputText(
                        f"Values of {short_label(knobs[key]).lower()}",
                        value=text,
                        on_value=set_text,
                        continuous_update=True,
                        dense=True,
                        classes=[f"wom-combo-values-{1 if label.startswith('First') else 2}"],
                    )
                    choices = _choices(knobs[key], base)
                    if choices:
                        solara.Text(f"one of: {', '.join(map(str, choices))}", style=HELP_STYLE)
                    if error:
                        solara.Text(f"⚠ {error}", style=ERROR_STYLE, classes=["wom-knob-error"])
        solara.Button(
            f"Make {count} strategies" if first_values else "Make strategies",
            icon_name="mdi-table-plus",
            outlined=True,
            disabled=not first_values or bool(first_error or second_error),
            on_click=make,
            classes=["wom-make-combinations"],
        )
        if message:
            solara.Text(message, style=ERROR_STYLE)


def use_variant_knobs(scenario: Scenario | None) -> dict[str, Knob]:
    """:func:`variant_knobs` of the scenario, recomputed only when the scenario changes (a hook)."""
    return solara.use_memo(
        lambda: variant_knobs(scenario),
        dependencies=[repr(scenario.to_toml_dict()) if scenario is not None else None],
    )


@solara.component
def CompareView(scenario: Scenario | None):
    """Strategies side by side, the run controls, and the results."""
    knobs = use_variant_knobs(scenario)
    with solara.Column(gap="12px", classes=["wom-compare"]):
        solara.Text(
            "Which strategy works best? Each strategy starts as a copy of the scenario; change "
            "what you want to test. All strategies run the same simulated campaigns (same "
            "random numbers), so the difference from the baseline is measured precisely.",
            style={"font-size": "14px", "color": "#444"},
        )
        if scenario is None:
            solara.Warning("Fix the scenario in the panel on the left to compare strategies.")
            return
        names = [v.name for v in variants.value]
        if baseline.value not in names and names:
            baseline.set(names[0])
        with solara.Row(gap="12px", style={"flex-wrap": "wrap", "align-items": "stretch"}):
            for i, variant in enumerate(variants.value):
                _VariantCard(i, variant, scenario, knobs).key(f"variant-{i}")
        invalid = []
        for variant in variants.value:
            try:
                variant.scenario(scenario)
            except ScenarioError:
                invalid.append(variant.name)
        duplicate = len(set(names)) < len(names)
        with solara.Row(gap="10px", style={"align-items": "center", "flex-wrap": "wrap"}):
            if len(variants.value) < MAX_VARIANTS:
                solara.Button(
                    "Add a strategy",
                    icon_name="mdi-plus",
                    outlined=True,
                    on_click=lambda: variants.set(
                        [*variants.value, Variant(_unique_name("Strategy"), {})]
                    ),
                    classes=["wom-add-strategy"],
                )
            else:
                solara.Text(f"{MAX_VARIANTS} strategies at most.", style=HELP_STYLE)
            with solara.Div(style={"width": "200px"}):
                solara.Select(
                    "Baseline",
                    values=names,
                    value=baseline.value,
                    on_value=baseline.set,
                    dense=True,
                )
        _Combinations(scenario, knobs)
        _GoalInputs(scenario)
        with solara.Row(gap="10px", style={"align-items": "center", "flex-wrap": "wrap"}):
            with solara.Div(style={"width": "170px"}):
                NumberField(
                    "Runs per strategy",
                    value=runs.value,
                    on_value=runs.set,
                    integer=True,
                    minimum=2,
                    maximum=MAX_RUNS,
                    classes=["wom-runs"],
                )
            job = compare_job.value
            replicates = runs.value or 0
            size_problem = too_big(scenario, replicates, len(variants.value))
            goal = goal_of(goal_metric.value, goal_target.value, goal_step.value)
            solara.Button(
                "Run comparison",
                icon_name="mdi-play-circle",
                color="primary",
                disabled=bool(invalid)
                or duplicate
                or job.busy
                or replicates < 2
                or size_problem is not None,
                on_click=lambda: start_comparison(scenario, list(variants.value), replicates, goal),
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
        if size_problem is not None and replicates >= 2:
            solara.Text(f"Too big: {size_problem}.", style=ERROR_STYLE, classes=["wom-runs-error"])
        _JobStatus(job)
        latest = job.latest
        if latest is not None and isinstance(latest[1], Comparison):
            stale = latest[0] != inputs_key(scenario, variants.value, replicates, goal)
            if stale:
                with solara.Div(classes=["wom-stale"]):
                    solara.Warning(
                        "These results are from before your last changes to the scenario, the "
                        "strategies, the goal's step or the number of runs: run the comparison "
                        "again to update them."
                    )
            _Results(latest[1], goal, stale)


@solara.component
def _JobStatus(job: JobState):
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
                f"The comparison failed ({type(job.error).__name__}); the server log has the "
                "details."
            )


@solara.component
def _GoalInputs(scenario: Scenario):
    choices = [m for m in (*HEADLINE_METRICS, "revenue", "roi", "clicks") if m in METRICS]
    with solara.Row(
        gap="8px", style={"align-items": "baseline", "flex-wrap": "wrap"}, classes=["wom-goal"]
    ):
        solara.Text("Goal: at least", style={"font-size": "14px"})
        with solara.Div(style={"width": "120px"}):
            NumberField(
                "Target",
                value=goal_target.value,
                on_value=goal_target.set,
                optional=True,
                classes=["wom-goal-target"],
            )
        with solara.Div(style={"width": "170px"}):
            solara.Select("Metric", values=choices, value=goal_metric, dense=True)
        solara.Text("by step", style={"font-size": "14px"})
        with solara.Div(style={"width": "110px"}):
            NumberField(
                "Step",
                value=goal_step.value,
                on_value=goal_step.set,
                integer=True,
                optional=True,
                minimum=0,
                maximum=scenario.steps,
                classes=["wom-goal-step"],
            )
    solara.Text(
        "Optional. Leave the step empty for the end of the campaign. The results then give "
        "each strategy's probability of meeting the goal.",
        style=HELP_STYLE,
    )


def difference_rows(comparison: Comparison, base: str, metrics: list[str]) -> pd.DataFrame:
    """The differences table as shown: strategy, metric, mean, one campaign, difference, P."""
    table = comparison.differences(base, metrics)
    if table.empty:
        return table
    out = pd.DataFrame(
        {
            "strategy": table["variant"],
            "metric": table["metric"],
            "mean": table["mean"].map(_num),
            "one campaign (95% of runs)": [
                f"{_num(lo)} – {_num(hi)}"
                for lo, hi in zip(table["range95_low"], table["range95_high"], strict=True)
            ],
            f"difference from {base} (95% CI)": [
                f"{_num(d, True)} ({_num(lo, True)} to {_num(hi, True)})"
                for d, lo, hi in zip(
                    table["difference"], table["ci95_low"], table["ci95_high"], strict=True
                )
            ],
            "P(better)": [
                "–"
                if p is None or not math.isfinite(p)
                else f"{p:.0%}" + (" (less is better)" if better == "lower" else "")
                for p, better in zip(table["p_better"], table["better"], strict=True)
            ],
        }
    )
    return out


def _num(x: Any, signed: bool = False) -> str:
    if x is None or not isinstance(x, int | float) or not math.isfinite(x):
        return "–"
    sign = "+" if signed and x > 0 else ""
    if abs(x) >= 100:
        return f"{sign}{x:,.0f}"
    return f"{sign}{x:.3g}"


def has_money(comparison: Comparison) -> bool:
    """Whether any strategy spends or earns anything (money is charted only then)."""
    for result in comparison.results:
        for metric in ("cost", "revenue"):
            values = result.values.get(metric)
            if values is not None and (abs(values) > 0).any():
                return True
    return False


def _all_zero(comparison: Comparison, metric: str) -> bool:
    return all(
        metric in r.values and not (abs(r.values[metric]) > 0).any() for r in comparison.results
    )


@solara.component
def _Shortlist(comparison: Comparison):
    """Whom each strategy pays: its seeds, their followers, fees and estimated gains."""
    table = comparison.shortlist_table()
    drawn = [r.variant.name for r in comparison.results if r.random_seeds]
    with solara.Div(classes=["wom-shortlist"]):
        solara.Text(
            "Whom each strategy pays (the shortlist)",
            style={"font-size": "16px", "font-weight": "600", "display": "block"},
        )
        solara.Text(
            "One row per seed, in the order the strategy chose them: follower count, fee, and "
            "gain, the strategy's estimate of the extra sharers that person brings (celf and "
            "imm only)."
            + (
                f" Seeds drawn anew in every campaign have no fixed list: {', '.join(drawn)}."
                if drawn
                else ""
            ),
            style={**HELP_STYLE, "display": "block"},
        )
        if len(table):
            solara.DataFrame(table, items_per_page=20)
            solara.FileDownload(
                lambda: table.to_csv(index=False),
                filename="shortlist.csv",
                label="Shortlist (CSV)",
                mime_type="text/csv",
            )


@solara.component
def _Results(comparison: Comparison, goal: Goal | None, stale: bool):
    overlays = {}
    for result in comparison.results:
        overlay = overlay_for(result.scenario)
        if overlay is not None:
            overlays[result.variant.name] = overlay
    names = [r.variant.name for r in comparison.results]
    base = baseline.value if baseline.value in names else names[0]
    bars = solara.use_memo(
        lambda: bars_figure(comparison, list(HEADLINE_METRICS), overlays),
        dependencies=[id(comparison)],
    )
    money = has_money(comparison)
    money_metrics = [m for m in MONEY_METRICS if m in comparison.metrics]
    money_bars = solara.use_memo(
        lambda: (
            bars_figure(comparison, money_metrics, None, title="Money per campaign")
            if money
            else None
        ),
        dependencies=[id(comparison)],
    )
    metric = timeline_metric.value
    timeline = solara.use_memo(
        lambda: timeline_figure(comparison, metric, overlays, goal=goal),
        dependencies=[id(comparison), metric, repr(goal)],
    )
    with solara.Column(gap="10px", classes=["wom-compare-results"]):
        solara.Text(
            f"Results: {comparison.runs} runs per strategy, seed {comparison.seed}",
            style={"font-size": "18px", "font-weight": "600"},
        )
        if len(names) > 1:
            shown = [m for m in (*HEADLINE_METRICS, *money_metrics) if m in comparison.metrics]
            if not money:
                shown = [m for m in shown if m not in MONEY_METRICS]
            solara.Text(
                f"Against the baseline ({base}): paired differences over the same "
                f"{comparison.runs} simulated campaigns. P(better): the share of campaigns in "
                "which the strategy did better than the baseline (ties count half).",
                style={"font-weight": "600"},
            )
            with solara.Div(classes=["wom-differences"]):
                solara.DataFrame(difference_rows(comparison, base, shown), items_per_page=50)
        goal_rows = comparison.goal_table(goal) if goal is not None else pd.DataFrame()
        if goal is not None:
            with solara.Div(classes=["wom-goal-result"]):
                solara.Text(f"Goal: {goal.describe()}", style={"font-weight": "600"})
                if goal_rows.empty:
                    solara.Text(
                        "Run the comparison again to evaluate this goal (its step is new).",
                        style=HELP_STYLE,
                    )
                for row in goal_rows.itertuples():
                    solara.Text(
                        f"{row.variant}: {row.p:.0%} chance "
                        f"(95% interval {row.low:.0%} – {row.high:.0%}, {row.runs} campaigns)",
                        style={"display": "block"},
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
        with solara.Div(classes=["wom-money"]):
            solara.Text(
                "Money", style={"font-size": "16px", "font-weight": "600", "display": "block"}
            )
            if money_bars is not None:
                seeds = ", ".join(
                    f"{r.variant.name}: {r.seeds:,} seeds bought, fees "
                    f"{_num(r.summary('seeding_cost')['mean'])}"
                    for r in comparison.results
                    if "seeding_cost" in r.values
                )
                solara.Text(
                    seeds, style={**HELP_STYLE, "display": "block"}, classes=["wom-seeds-bought"]
                )
                if _all_zero(comparison, "earned_media_value"):
                    solara.Text(
                        "Earned media value is 0: it prices earned impressions at money.cpm "
                        "(or the brand's ads' CPM), and neither is set. Set a CPM under Money.",
                        style={**HELP_STYLE, "display": "block"},
                        classes=["wom-emv-note"],
                    )
                solara.FigureMatplotlib(money_bars, format="png")
            else:
                solara.Text(
                    "No money in this scenario: set fees under Seeding, add ads, or a value per "
                    "conversion under Money to see cost, revenue and ROI. Seeds per campaign: "
                    + ", ".join(f"{r.variant.name}: {r.seeds:,}" for r in comparison.results),
                    style=HELP_STYLE,
                    classes=["wom-seeds-bought"],
                )
        _Shortlist(comparison)
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
                lambda: comparison.differences(base, comparison.metrics).to_csv(index=False),
                filename="differences.csv",
                label="Differences (CSV)",
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
            "Every metric: mean (95% confidence interval of the mean); one campaign: the range "
            "95% of campaigns fall in.",
            style={"font-weight": "600"},
        )
        solara.DataFrame(comparison.wide_table(), items_per_page=30)
        if stale:
            solara.Text("(stale: see the note above)", style=HELP_STYLE)
