"""The ``wom`` command: a thin door onto the engine (run, seeds, validate, keys, sweep, ...).

User mistakes (:class:`~simulation.errors.ScenarioError`) are caught here, once, printed without
a traceback, and exit with status 2; internal errors exit 1.
"""

from __future__ import annotations

import json
import math
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from simulation.errors import ScenarioError

__all__ = ["main", "write_atomic"]


class _Group(click.Group):
    """Catches user errors once for every subcommand: message on stderr, exit 2."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ScenarioError as exc:
            for problem in exc.problems:
                click.echo(f"error: {problem}", err=True)
            ctx.exit(2)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="wom-sim")
def main() -> None:
    """Simulate word-of-mouth marketing: how content spreads through a social network."""


def write_atomic(path: Path, text: str) -> None:
    """Write a text file whole or not at all (see :func:`simulation.outputs.write_file`)."""
    from simulation.outputs import write_file

    write_file(path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))


def progress_bar(
    total: int, description: str
) -> tuple[Callable[[int, int], None], Callable[[], None]]:
    """A tqdm bar on stderr when it is a terminal; returns (update(done, total), close)."""
    from tqdm import tqdm

    bar = tqdm(
        total=total, desc=description, unit="run", disable=not sys.stderr.isatty(), file=sys.stderr
    )

    def update(done: int, _total: int) -> None:
        bar.update(done - bar.n)

    return update, bar.close


def parse_settings(settings: tuple[str, ...]) -> dict[str, Any]:
    """``KEY=VALUE`` pairs as dotted overrides; values are TOML (bare words are strings)."""
    from simulation.inputs import parse_toml_value

    overrides: dict[str, Any] = {}
    for setting in settings:
        key, sep, text = setting.partition("=")
        key = key.strip()
        if not sep or not key:
            raise ScenarioError.single(f"expected KEY=VALUE, got {setting[:80]!r}", source="--set")
        overrides[key] = parse_toml_value(text, "--set", key)
    return overrides


def _parse_metrics(text: str | None) -> list[str] | None:
    if text is None:
        return None
    names = [m.strip() for m in text.split(",") if m.strip()]
    if not names:
        raise ScenarioError.single("no metric names given", source="--metrics")
    return names


@main.command()
@click.argument("scenario_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--runs", type=click.IntRange(min=1), help="Replicates (default: the scenario's).")
@click.option("--seed", type=click.IntRange(0, 2**63 - 1), help="Seed (default: the scenario's).")
@click.option("--steps", type=click.IntRange(min=1), help="Most steps (default: the scenario's).")
@click.option("--metrics", help="Comma-separated metrics to compute (default: all).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document on stdout.")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the results: .json (the JSON document), or .csv or .parquet (one row per "
    "replicate). Checked before the run; written whole or not at all.",
)
@click.option(
    "--set",
    "settings",
    multiple=True,
    metavar="KEY=VALUE",
    help="Override a scenario key, e.g. --set seeding.strategy=random --set content.appeal=0.5.",
)
@click.option(
    "--posterior",
    type=click.Path(path_type=Path),
    metavar="DIR",
    help="Draw each replicate's fitted keys from a `wom fit` posterior (its --out folder).",
)
@click.option(
    "--people",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE.parquet",
    help="Also write one replicate's people, one row each (label, segment, state, exposures, "
    "engagements, share and its step, who referred them, purchase). Checked before the run.",
)
@click.option(
    "--replicate",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="The replicate --people writes (with --seed, or the scenario's seed).",
)
def run(
    scenario_file: Path,
    runs: int | None,
    seed: int | None,
    steps: int | None,
    metrics: str | None,
    as_json: bool,
    out: Path | None,
    settings: tuple[str, ...],
    posterior: Path | None,
    people: Path | None,
    replicate: int,
) -> None:
    """Run replicates of SCENARIO_FILE and summarise each metric (mean, 95% interval)."""
    from simulation.engine import simulate
    from simulation.scenario import load_scenario

    scenario = load_scenario(scenario_file)
    if settings:
        scenario = scenario.with_overrides(parse_settings(settings), source="--set", idle_keys=True)
    # The options go through the schema too: its bounds and limits hold for them.
    for option, key, value in (("--steps", "steps", steps), ("--runs", "runs", runs)):
        if value is not None:
            scenario = scenario.with_overrides({key: value}, source=option)
    out_format = _check_run_out(out, scenario, scenario_file)
    if people is not None:
        from simulation.person_export import check_people_file

        if out is not None and os.path.abspath(out) == os.path.abspath(people):
            raise ScenarioError.single("--out and --people name the same file", source="--people")
        if posterior is not None:
            raise ScenarioError.single(
                "--people writes a replicate of the scenario itself; it does not take --posterior",
                source="--people",
            )
        check_people_file(people, scenario, scenario_file)
    elif replicate:
        raise ScenarioError.single(
            "--replicate chooses the replicate --people writes; give --people FILE.parquet too",
            source="--replicate",
        )
    names = _parse_metrics(metrics)
    from simulation import kernel

    if not kernel.compiled():
        click.echo("compiling the simulation kernel, once (about half a minute) ...", err=True)
    update, close = progress_bar(scenario.runs, scenario.name)
    try:
        if posterior is not None:
            from simulation.calibration.output import read_posterior, simulate_posterior

            draws = read_posterior(posterior)
            result = simulate_posterior(
                scenario, draws, runs=scenario.runs, seed=seed, metrics=names, progress=update
            )
        else:
            result = simulate(scenario, seed=seed, metrics=names, progress=update)
    finally:
        close()
    for warning in [*scenario.warnings, *result.warnings]:
        click.echo(f"warning: {warning}", err=True)
    document = result.to_json()
    # Shown first, so a file that cannot be written (a full disk) does not lose the results.
    if as_json:
        click.echo(json.dumps(document))
    else:
        _print_table(document)
    if out is not None:
        _write_run_out(out, out_format, result, document)
    if people is not None:
        from simulation.person_export import run_people, write_people

        write_people(people, run_people(scenario, seed=seed, replicate=replicate))


def _check_run_out(out: Path | None, scenario: Any, scenario_file: Path) -> str | None:
    """``wom run --out``, checked before the run: its format, or ``None`` without one."""
    if out is None:
        return None
    from simulation.outputs import check_output_file, input_files

    return check_output_file(out, inputs=input_files(scenario, scenario_file))


def _write_run_out(out: Path, out_format: str | None, result: Any, document: dict) -> None:
    """Write ``wom run --out`` whole or not at all, in the format its suffix names."""
    from simulation.outputs import write_file

    if out_format == ".json":
        text = json.dumps(document, indent=1) + "\n"
        write_file(out, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))
        return
    frame = _replicate_frame(result)
    if out_format == ".parquet":
        write_file(out, lambda tmp: frame.to_parquet(tmp, index=False))
    else:
        text = frame.to_csv(index=False)
        write_file(out, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))


def _replicate_frame(result: Any) -> Any:
    """One row per replicate: ``run``, ``seed`` and a column per metric."""
    import pandas as pd

    frame = pd.DataFrame({"run": range(result.first_run, result.first_run + result.runs)})
    frame["seed"] = result.seed
    for name in result.metrics:
        frame[name] = result.values[name]
    return frame


def _fmt(x: float | None) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "-"
    if abs(x) >= 1000 or x == int(x):
        return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:g}"
    return f"{x:.3g}"


def _print_table(document: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from simulation.metrics import describe

    table = Table(
        title=f"{escape(document['scenario'])}: {document['runs']} runs, seed {document['seed']}, "
        f"{document['nodes']:,} people, {document['edges']:,} ties",
        title_justify="left",
    )
    table.add_column("metric")
    table.add_column("mean", justify="right")
    table.add_column("95% CI of mean", justify="right")
    table.add_column("95% of runs", justify="right")
    table.add_column("meaning", overflow="fold")
    for name, s in document["metrics"].items():
        meaning = describe(name)
        table.add_row(
            escape(name),
            _fmt(s["mean"]),
            f"{_fmt(s['ci95'][0])} - {_fmt(s['ci95'][1])}",
            f"{_fmt(s['pi95'][0])} - {_fmt(s['pi95'][1])}",
            escape(meaning),
        )
    Console(width=max(100, min(160, _terminal_width()))).print(table)


def _terminal_width() -> int:
    try:
        return os.get_terminal_size().columns
    except OSError:
        return 120


@main.command()
@click.argument("scenario_file", type=click.Path(dir_okay=False, path_type=Path))
def validate(scenario_file: Path) -> None:
    """Check SCENARIO_FILE: print ok, or every problem found (exit 2).

    Checks everything a run checks before its first step (edge-list file, seed labels, budgets,
    segments) without drawing a generated graph or compiling the kernel.
    """
    from simulation.precheck import check_scenario
    from simulation.scenario import load_scenario

    scenario = load_scenario(scenario_file)
    for warning in [*scenario.warnings, *check_scenario(scenario)]:
        click.echo(f"warning: {warning}", err=True)
    click.echo("ok")


@main.command()
@click.argument("scenario_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the shortlist: .csv (one row per seed) or .json (as in run --json).",
)
@click.option(
    "--set",
    "settings",
    multiple=True,
    metavar="KEY=VALUE",
    help="Override a scenario key, e.g. --set seeding.strategy=imm.",
)
def seeds(scenario_file: Path, out: Path | None, settings: tuple[str, ...]) -> None:
    """Choose SCENARIO_FILE's seeds and list whom to pay, without running the campaign."""
    import csv
    import io

    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from simulation import shortlist
    from simulation.engine import prepare
    from simulation.scenario import load_scenario

    if out is not None and out.suffix.lower() not in (".csv", ".json"):
        raise ScenarioError.single(
            f"cannot write {out.name}: the shortlist is written as .csv or .json", source="--out"
        )
    scenario = load_scenario(scenario_file)
    if settings:
        scenario = scenario.with_overrides(parse_settings(settings), source="--set")
    prepared = prepare(scenario)
    for warning in prepared.graph.warnings:
        click.echo(f"warning: {warning}", err=True)
    rows, sets = shortlist.rows(prepared), shortlist.seed_sets(prepared)
    if out is not None:
        if out.suffix.lower() == ".csv":
            text = io.StringIO()
            writer = csv.DictWriter(text, fieldnames=shortlist.COLUMNS, lineterminator="\n")
            writer.writeheader()
            writer.writerows({k: "" if v is None else v for k, v in row.items()} for row in rows)
            write_atomic(out, text.getvalue())
        else:
            write_atomic(out, json.dumps({"seeds": rows, "seeding": sets}, indent=1) + "\n")
    table = Table(title=f"{scenario.name}: whom the seeding pays", title_justify="left")
    for column in shortlist.COLUMNS:
        table.add_column(
            column, justify="right" if column in ("followers", "fee", "gain") else "left"
        )
    for row in rows:
        table.add_row(
            escape(row["brand"]),
            escape(row["post"] or "-"),
            escape(row["label"]),
            escape(row["segment"]),
            f"{row['followers']:,}",
            _fmt(row["fee"]),
            _fmt(row["gain"]),
        )
    console = Console(width=max(100, min(160, _terminal_width())))
    if rows:
        console.print(table)
    for entry in sets:
        whose = entry["brand"] + (f", post {entry['post']}" if entry["post"] else "")
        if entry["random"]:
            line = (
                f"{whose}: random seeding, {entry['seeds']} people drawn anew in each replicate "
                f"from {entry['pool']:,} candidates (no fixed list)"
            )
        else:
            count = entry["seeds"]
            line = f"{whose}: {entry['strategy']}, {count} seed{'' if count == 1 else 's'}"
        if entry["cost"]:
            line += f", fees {_fmt(entry['cost'])}" + (" expected" if entry["random"] else "")
        console.print(escape(line), highlight=False)


@main.command()
def keys() -> None:
    """Print the reference of every scenario key (type, default, meaning) as Markdown."""
    from simulation.scenario import reference_markdown

    click.echo(reference_markdown())


@main.command()
def metrics() -> None:
    """Print every metric, its meaning and the work it needs, as Markdown."""
    from simulation.metrics import reference_markdown

    click.echo(reference_markdown())


@main.command()
@click.argument("scenario_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--vary",
    "varies",
    multiple=True,
    metavar='"NAME: KEY=VALUE[, KEY=VALUE]"',
    help='A variant: a name and the keys it changes, e.g. --vary "sticky: content.stickiness=0.4".',
)
@click.option(
    "--baseline",
    help="The variant the others are compared with (default: the "
    'scenario unchanged, named "baseline").',
)
@click.option("--runs", type=click.IntRange(min=2), help="Paired replicates per variant.")
@click.option("--seed", type=click.IntRange(0, 2**63 - 1), help="Seed (default: the scenario's).")
@click.option("--metrics", help="Comma-separated metrics to compare (default: all).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document on stdout.")
def compare(
    scenario_file: Path,
    varies: tuple[str, ...],
    baseline: str | None,
    runs: int | None,
    seed: int | None,
    metrics: str | None,
    as_json: bool,
) -> None:
    """Compare variants of SCENARIO_FILE by paired replicates: differences, 95% CI, P(better)."""
    from simulation import compare as paired
    from simulation.scenario import load_scenario

    scenario = load_scenario(scenario_file)
    variants = [paired.parse_vary(text) for text in varies]
    implicit = baseline is None and all(v.name != "baseline" for v in variants)
    total = (runs or scenario.runs) * (len(variants) + implicit)
    update, close = progress_bar(total, scenario.name)
    try:
        result = paired.compare(
            scenario,
            variants,
            baseline=baseline,
            runs=runs,
            seed=seed,
            metrics=_parse_metrics(metrics),
            progress=update,
        )
    finally:
        close()
    if as_json:
        click.echo(json.dumps(result.to_json()))
    else:
        paired.print_table(result, _terminal_width())


# --------------------------------------------------------------------------- calibration (issue 13)


@main.command(name="fit")
@click.argument("scenario_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--observed",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="CSV: a step column and a column of cumulative counts per observed metric.",
)
@click.option(
    "--fit",
    "fits",
    required=True,
    multiple=True,
    metavar="KEY=LOW..HIGH[:log]",
    help="A key to fit and its prior range (uniform; :log for log-uniform). Repeatable.",
)
@click.option(
    "--out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for posterior.parquet, fit.json, fitted.toml, fit.png.",
)
@click.option(
    "--budget",
    type=click.IntRange(min=1),
    help="Most simulations the inference runs (default: 4000).",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    help="Local worker processes; 1 runs in this process (default: one per core).",
)
@click.option("--scheduler", metavar="ADDRESS", help="Use the Dask cluster at this address.")
@click.option("--seed", type=click.IntRange(0, 2**63 - 1), help="Seed (default: the scenario's).")
@click.option(
    "--set",
    "settings",
    multiple=True,
    metavar="KEY=VALUE",
    help="Override a scenario key before fitting, as in `wom run`.",
)
def fit_command(
    scenario_file: Path,
    observed: Path,
    fits: tuple[str, ...],
    out: Path,
    budget: int | None,
    workers: int | None,
    scheduler: str | None,
    seed: int | None,
    settings: tuple[str, ...],
) -> None:
    """Fit keys of SCENARIO_FILE to an observed campaign (ABC-SMC); write the posterior to OUT."""
    if workers is not None and scheduler is not None:
        raise click.UsageError("--workers and --scheduler cannot be used together")
    from simulation.calibration import DEFAULT_BUDGET, fit, parse_prior, read_observed
    from simulation.calibration.output import write_fit
    from simulation.scenario import load_scenario

    scenario = load_scenario(scenario_file)
    if settings:
        scenario = scenario.with_overrides(parse_settings(settings), source="--set")
    priors = [parse_prior(text) for text in fits]
    data = read_observed(observed)
    budget = budget or DEFAULT_BUDGET
    update, close = progress_bar(budget, f"fit {scenario.name}")
    try:
        result = fit(
            scenario,
            data,
            priors,
            budget=budget,
            seed=seed,
            workers=workers,
            scheduler=scheduler,
            progress=lambda done, _total: update(min(done, budget), budget),
        )
    finally:
        close()
    write_fit(result, out)
    for note in result.notes:
        click.echo(f"note: {note}", err=True)
    click.echo(
        f"{result.simulations:,} simulations, {result.generations} generations, "
        f"{result.seconds:.0f} s; posterior in {out}"
    )
    for key, stats in result.summary().items():
        low, high = stats["ci90"]
        click.echo(f"  {key}: median {stats['median']:.4g}, 90% interval {low:.4g} - {high:.4g}")


# --------------------------------------------------------------------------- sweeps (issue 5)


@main.command()
@click.argument("experiment_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Results folder: Parquet parts (pandas.read_parquet(DIR)) and _manifest.json.",
)
@click.option(
    "--workers", type=click.IntRange(min=1), help="Local worker processes (default: one per core)."
)
@click.option("--scheduler", metavar="ADDRESS", help="Use the Dask cluster at this address.")
@click.option("--resume", is_flag=True, help="Finish the sweep in --out; repeat nothing done.")
@click.option("--metrics", help="Comma-separated metrics to compute (default: the experiment's).")
def sweep(
    experiment_file: Path,
    out: Path,
    workers: int | None,
    scheduler: str | None,
    resume: bool,
    metrics: str | None,
) -> None:
    """Run every point of EXPERIMENT_FILE's grid on Dask; write one row per replicate."""
    if workers is not None and scheduler is not None:
        raise click.UsageError("--workers and --scheduler cannot be used together")
    from experiments.design import load_experiment
    from experiments.sweep import cap_workers, check_scheduler_address, run_sweep

    if scheduler is not None:
        scheduler = check_scheduler_address(scheduler)
    workers, capped = cap_workers(workers)
    if capped:
        click.echo(f"warning: {capped}", err=True)
    design = load_experiment(experiment_file, metrics=_parse_metrics(metrics))
    result = run_sweep(design, out, workers=workers, scheduler=scheduler, resume=resume)
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    click.echo(
        f"{result.rows:,} replicates ({result.points} points x {result.runs} runs) in {out}: "
        f"{result.ran} tasks run, {result.skipped} already done"
    )


@main.command()
@click.argument("results", type=click.Path(file_okay=False, path_type=Path))
@click.option("--metric", "metrics", multiple=True, help="Metric to show and plot (repeatable).")
@click.option("--x", "x_key", metavar="KEY", help="Varied key on the x axis.")
@click.option("--by", "by_key", metavar="KEY", help="Varied key drawn as one line per value.")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Report folder (default: RESULTS/_report).",
)
@click.option("--log-x/--linear-x", default=None, help="Logarithmic x axis.")
@click.option("--log-y/--linear-y", default=None, help="Logarithmic y axis.")
@click.option("--average", multiple=True, metavar="KEY", help="Varied key to pool replicates over.")
def report(
    results: Path,
    metrics: tuple[str, ...],
    x_key: str | None,
    by_key: str | None,
    out: Path | None,
    log_x: bool | None,
    log_y: bool | None,
    average: tuple[str, ...],
) -> None:
    """Summarise a sweep in RESULTS: a table per design point (CSV) and PNG plots."""
    from experiments.report import make_report, print_report

    names = [m.strip() for text in metrics for m in text.split(",") if m.strip()] or None
    made = make_report(
        results,
        metrics=names,
        x=x_key,
        by=by_key,
        out=out,
        log_x=log_x,
        log_y=log_y,
        average=list(average) or None,
    )
    for warning in made.warnings:
        click.echo(f"warning: {warning}", err=True)
    print_report(made)
    for note in made.notes:
        click.echo(f"note: {note}", err=True)
    click.echo(f"summary: {made.csv}")
    for path in made.plots:
        click.echo(f"plot: {path}")


@main.command()
@click.option("--port", type=click.IntRange(1, 65535), default=8765, show_default=True)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--results",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder whose sweeps the app may open (default: the current folder).",
)
@click.option("--open/--no-open", "open_browser", default=True, help="Open a browser tab.")
@click.option(
    "--auth-token",
    envvar="WOM_APP_TOKEN",
    metavar="TOKEN",
    help="Every request needs this token (open the printed address once; it is then kept in "
    "a cookie). Also read from WOM_APP_TOKEN.",
)
@click.option(
    "--allow-host",
    multiple=True,
    metavar="NAME[:PORT]",
    help="Another address the app is reached at (e.g. a reverse proxy's name); repeatable.",
)
def app(
    port: int,
    host: str,
    results: Path | None,
    open_browser: bool,
    auth_token: str | None,
    allow_host: tuple[str, ...],
) -> None:
    """Start the browser app (Solara) at http://HOST:PORT; everything is served locally."""
    import subprocess

    from simulation.ui.server import app_command, app_environment, exposure_warning

    if auth_token is not None and (len(auth_token) < 8 or not auth_token.isprintable()):
        raise click.BadParameter("use at least 8 printable characters", param_hint="--auth-token")
    warning = exposure_warning(host, auth_token)
    if warning:
        click.echo(f"warning: {warning}", err=True)
    env = app_environment(results, token=auth_token or "")
    command = app_command(host=host, port=port, open_browser=open_browser)
    for name in allow_host:
        command += ["--allow-host", name]
    shown = f"[{host}]" if ":" in host else host
    address = f"http://{shown}:{port}/" + (f"?token={auth_token}" if auth_token else "")
    click.echo(f"Word-of-mouth app on {address}  (Ctrl+C to stop)", err=True)
    try:
        sys.exit(subprocess.call(command, env=env))
    except KeyboardInterrupt:
        sys.exit(0)
