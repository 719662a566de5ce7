"""Learn from a past campaign: upload what was observed, fit keys, then compare from the fit.

The strategist drops a CSV of a campaign's daily cumulative numbers (``step`` and metric
columns, as for ``wom fit``), lists the keys to learn with their ranges (``KEY=LOW..HIGH``, one
per line, ``:log`` for log-uniform), and runs the fit in a background task with a progress bar
and a Cancel button. The result shows the posterior (median and 90% interval per key), the
figure of ``wom fit`` (posterior marginals and predictive bands over the observed points),
downloads (posterior CSV, fitted scenario TOML, figure), and a button that makes the fitted
scenario the one being edited, so *Compare strategies* starts from it.

The fit runs in the app's process (one worker): a server shared by many people should not
start a Dask cluster per visitor. Fits run one at a time (pyabc draws from NumPy's global
generator, which the fit seeds: two at once would mix their random numbers).
"""

from __future__ import annotations

import threading

import pandas as pd
import solara

from simulation.calibration import Fit, Observed, fit, parse_observed, parse_prior
from simulation.calibration.sampler import FitStoppedError
from simulation.errors import Problem, ScenarioError
from simulation.scenario import Scenario
from simulation.ui import state
from simulation.ui.plots import png_bytes
from simulation.ui.widgets import (
    ERROR_STYLE,
    HELP_STYLE,
    FileChooser,
    FileDropArea,
    ProblemList,
)

__all__ = ["MAX_OBSERVED_BYTES", "FitView", "fit_task", "parse_fit_lines"]

# An observed campaign is a short table: a year of days and a dozen metrics is ~50 KB.
MAX_OBSERVED_BYTES = 1024 * 1024
BUDGETS = [500, 1000, 2000, 4000, 8000]
DEFAULT_FIT = "content.appeal=0.05..0.8\ncontent.stickiness=0.05..0.6"

_ONE_FIT_AT_A_TIME = threading.Lock()

observed: solara.Reactive[Observed | None] = solara.reactive(None)
observed_problems: solara.Reactive[list] = solara.reactive([])
fit_lines: solara.Reactive[str] = solara.reactive(DEFAULT_FIT)
budget: solara.Reactive[int] = solara.reactive(2000)
seed: solara.Reactive[int] = solara.reactive(1)
adopted: solara.Reactive[str] = solara.reactive("")


def parse_fit_lines(text: str) -> list:
    """The priors of a ``KEY=LOW..HIGH[:log]`` per line (blank lines and ``#`` lines skipped).

    Raises:
        ScenarioError: naming the line of a bad prior.
    """
    priors, problems = [], []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        try:
            priors.append(parse_prior(line, source="keys to fit"))
        except ScenarioError as error:
            problems += [
                Problem(p.message, key=p.key, line=number, source=p.source) for p in error.problems
            ]
    if problems:
        raise ScenarioError(problems)
    return priors


def on_observed_file(info) -> None:
    """Read a dropped or chosen observed CSV (at most ``MAX_OBSERVED_BYTES``)."""
    from simulation.ui.scenario_panel import read_upload

    name = str(info.get("name") or "observed.csv").rsplit("/", 1)[-1][:80]
    try:
        content, size = read_upload(info, MAX_OBSERVED_BYTES)
        if size > MAX_OBSERVED_BYTES:
            raise ScenarioError.single(
                f"file is {size:,} bytes; an observed table may be at most {MAX_OBSERVED_BYTES:,}",
                source=name,
            )
        if b"\0" in content:
            raise ScenarioError.single("this is a binary file, not a CSV table", source=name)
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ScenarioError.single(f"not UTF-8 text (byte {exc.start})", source=name) from None
        table = parse_observed(text, source=name)
    except ScenarioError as error:
        observed.set(None)
        observed_problems.set(list(error.problems))
        return
    observed.set(table)
    observed_problems.set([])


@solara.lab.task(prefer_threaded=True)
def fit_task(scenario: Scenario, table: Observed, priors: list, simulations: int, s: int) -> Fit:
    """Run the fit in a thread; progress in percent; Cancel stops it between simulations."""

    def progress(done: int, total: float) -> None:
        fit_task.progress = min(100.0, 100.0 * done / total)

    with _ONE_FIT_AT_A_TIME:
        return fit(
            scenario,
            table,
            priors,
            budget=simulations,
            seed=s,
            workers=1,
            progress=progress,
            stop=lambda: not fit_task.is_current(),
        )


@solara.component
def FitView(scenario: Scenario | None):
    """The "Learn from a campaign" tab."""
    with solara.Column(gap="12px", classes=["wom-fit"]):
        # Plain text, not solara.Markdown: that loads KaTeX, which the offline assets lack.
        solara.Text(
            "Learn from a past campaign. Upload its numbers (a CSV: a step column and one "
            "column of cumulative counts per metric, e.g. step,sharers,reach,engagements; days "
            "may be missing), say which keys to learn and in what range, and the fit finds the "
            "values that reproduce it, with their uncertainty (approximate Bayesian "
            "computation, as wom fit)."
        )
        if scenario is None:
            solara.Text("Fix the scenario in the sidebar first.", style=ERROR_STYLE)
            return
        with solara.Row(gap="16px", style={"flex-wrap": "wrap", "align-items": "flex-start"}):
            with solara.Column(gap="6px", style={"min-width": "280px"}):
                solara.Text("What was observed (.csv)", style={"font-weight": "600"})
                FileChooser("Choose a CSV file", on_file=on_observed_file, accept=".csv")
                FileDropArea("…or drop it here", on_file=on_observed_file)
                ProblemList(observed_problems.value)
                table = observed.value
                if table is not None:
                    solara.Text(
                        f"{table.source}: {', '.join(table.metrics)} at {len(table.steps)} "
                        f"steps (0..{table.last_step})",
                        style=HELP_STYLE,
                        classes=["wom-observed-summary"],
                    )
            with solara.Column(gap="6px", style={"min-width": "320px"}):
                solara.InputTextArea(
                    "Keys to learn: KEY=LOW..HIGH, one per line (:log for log-uniform)",
                    value=fit_lines,
                    rows=4,
                    continuous_update=True,
                )
                with solara.Row(gap="12px"):
                    solara.Select("Simulations", values=BUDGETS, value=budget)
                    with solara.Div(style={"width": "110px"}):
                        solara.InputInt("Seed", value=seed, optional=False, dense=True)
        _FitControls(scenario)


@solara.component
def _FitControls(scenario: Scenario):
    problems: list = []
    priors: list = []
    try:
        priors = parse_fit_lines(fit_lines.value)
    except ScenarioError as error:
        problems = list(error.problems)
    table = observed.value
    with solara.Row(gap="10px", style={"align-items": "center"}):
        solara.Button(
            "Fit",
            icon_name="mdi-target",
            color="primary",
            disabled=table is None or bool(problems) or not priors or fit_task.pending,
            on_click=lambda: fit_task(scenario, table, priors, int(budget.value), int(seed.value)),
            classes=["wom-run-fit"],
        )
        if fit_task.pending:
            solara.Button(
                "Cancel",
                icon_name="mdi-stop",
                color="error",
                outlined=True,
                on_click=fit_task.cancel,
                classes=["wom-cancel-fit"],
            )
    ProblemList(problems)
    if fit_task.pending:
        solara.ProgressLinear(fit_task.progress or True)
        solara.Text(
            f"Fitting… {fit_task.progress or 0:.0f}% of the simulations",
            style=HELP_STYLE,
        )
    elif fit_task.cancelled:
        solara.Info("Fit cancelled.")
    elif fit_task.error:
        exception = fit_task.exception
        if isinstance(exception, ScenarioError):
            ProblemList(exception.problems)
        elif not isinstance(exception, FitStoppedError):
            solara.Error(f"The fit failed: {exception}")
    result = fit_task.latest if fit_task.finished else None
    if isinstance(result, Fit):
        _FitResult(result)


def _posterior_csv(result: Fit) -> str:
    return result.posterior.to_csv(index=False)


def _fitted_toml(result: Fit) -> str:
    import tomli_w

    return tomli_w.dumps(result.fitted.to_toml_dict())


@solara.component
def _FitResult(result: Fit):
    from simulation.calibration.figure import fit_figure

    figure = solara.use_memo(lambda: fit_figure(result), dependencies=[id(result)])
    summary = result.summary()
    with solara.Column(gap="10px", classes=["wom-fit-results"]):
        solara.Text(
            f"Posterior after {result.generations} generations, {result.simulations:,} "
            f"simulations ({result.seconds:.0f} s)",
            style={"font-size": "18px", "font-weight": "600"},
        )
        table = pd.DataFrame(
            [
                {
                    "key": key,
                    "median": f"{s['median']:.4g}",
                    "90% interval": f"{s['ci90'][0]:.4g} – {s['ci90'][1]:.4g}",
                    "prior": s["prior"],
                }
                for key, s in summary.items()
            ]
        )
        solara.DataFrame(table, items_per_page=10)
        for note in result.notes:
            solara.Text(f"Note: {note}", style=HELP_STYLE)
        solara.FigureMatplotlib(figure, format="png")
        with solara.Row(gap="8px", style={"flex-wrap": "wrap"}):
            solara.FileDownload(
                lambda: _posterior_csv(result),
                filename="posterior.csv",
                label="Posterior (CSV)",
                mime_type="text/csv",
            )
            solara.FileDownload(
                lambda: _fitted_toml(result),
                filename="fitted.toml",
                label="Fitted scenario (TOML)",
                mime_type="application/toml",
            )
            solara.FileDownload(
                lambda: png_bytes(figure),
                filename="fit.png",
                label="Figure (PNG)",
                mime_type="image/png",
            )

        def adopt() -> None:
            state.draft.set(result.fitted.to_toml_dict())
            state.source.set(f"fitted {result.scenario.name}")
            adopted.set(", ".join(f"{k} = {s['median']:.4g}" for k, s in summary.items()))

        solara.Button(
            "Compare strategies from the fitted scenario",
            icon_name="mdi-arrow-right-bold",
            color="primary",
            outlined=True,
            on_click=adopt,
            classes=["wom-adopt-fit"],
        )
        if adopted.value:
            solara.Text(
                f"The scenario being edited now has {adopted.value} (the posterior medians); "
                "open Compare strategies to try seeding, segments or budgets from there.",
                style=HELP_STYLE,
            )
