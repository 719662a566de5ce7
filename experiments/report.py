"""Reports of a sweep's results: a summary per design point, and plots of a metric.

``make_report(DIR)`` reads what :mod:`experiments.sweep` wrote, summarises every metric of
every design point (mean, standard deviation, 95% confidence interval of the mean and the 95%
range of single replicates, from :func:`simulation.metrics.summarize`), writes the summary as
CSV and draws, for each chosen metric, the metric against one varied key with a line per value
of another (95% confidence intervals as error bars and bands). Keys that vary besides those two
get a panel per value, or, when there are too many panels, are averaged over (the plot says so).

Memory: the results are read one metric at a time (its column and the point column of every
whole part), so a report needs about 16 bytes per replicate, not the whole table: ten million
replicates of a sweep with forty metrics take ~0.2 GB, not ~3 GB.
"""

from __future__ import annotations

import math
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from experiments.sweep import read_manifest
from simulation.errors import ScenarioError
from simulation.metrics import summarize
from simulation.outputs import write_file
from simulation.scenario import _did_you_mean

__all__ = [
    "Report",
    "Results",
    "load_results",
    "make_report",
    "open_results",
    "plot_metric",
    "summary_table",
]

# More panels than this and the remaining keys are averaged over instead.
MAX_PANELS = 12
SUMMARY_CSV = "summary.csv"


@dataclass
class Report:
    """A written report.

    Attributes:
        summary: One row per (design point, metric): the varied keys' values, ``runs``,
            ``mean``, ``std``, ``ci95_low``, ``ci95_high``, ``pi95_low``, ``pi95_high``.
        columns: The varied keys' columns, in design order.
        metrics: The metrics shown and plotted.
        csv: The summary's CSV file.
        plots: The PNG files written.
        notes: Things the reader should know (an unfinished sweep, averaged keys).
        warnings: Parts that were damaged and left out.
    """

    summary: pd.DataFrame
    columns: list[str]
    metrics: list[str]
    csv: Path
    plots: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@dataclass
class Results:
    """A sweep's whole parts, read one metric at a time.

    Attributes:
        paths: The parts that are whole results of their tasks.
        manifest: The folder's manifest.
        points: One row per design point with results: ``point`` and the varied keys' columns
            (as the parts hold them), sorted by point.
        rows: Replicates in the whole parts.
    """

    paths: list[Path]
    manifest: dict[str, Any]
    points: pd.DataFrame
    rows: int

    def metric(self, name: str) -> dict[int, np.ndarray]:
        """The metric's values per design point (replicates without a value left out)."""
        point_parts, value_parts = [], []
        for path in self.paths:
            table = pq.read_table(path, columns=["point", name])
            point_parts.append(table.column("point").to_numpy(zero_copy_only=False))
            value_parts.append(
                table.column(name).to_numpy(zero_copy_only=False).astype(np.float64, copy=False)
            )
        if not point_parts:
            return {}
        points = np.concatenate(point_parts)
        values = np.concatenate(value_parts)
        del point_parts, value_parts
        keep = ~np.isnan(values)
        points, values = points[keep], values[keep]
        order = np.argsort(points, kind="stable")
        points, values = points[order], values[order]
        if not len(points):
            return {}
        present, starts = np.unique(points, return_index=True)
        ends = [*starts[1:].tolist(), len(points)]
        return {int(p): values[a:b] for p, a, b in zip(present, starts, ends, strict=True)}


def open_results(directory: str | Path, warnings: list[str] | None = None) -> Results:
    """The whole parts of a sweep's folder (checked one by one), its manifest and points.

    Every part is checked against the manifest (:func:`~experiments.sweep.check_part`); a part
    that is not whole (truncated, garbage, another schema, the wrong rows) is left out, with a
    warning appended to ``warnings``. Only one part is in memory at a time.

    Raises:
        ScenarioError: the folder is missing, or holds no sweep results, or no whole part.
    """
    from experiments.sweep import Task, check_part

    directory = Path(directory)
    source = str(directory)
    if not directory.is_dir():
        raise ScenarioError.single("results folder not found", source=source)
    manifest = read_manifest(directory)
    if manifest is None:
        raise ScenarioError.single(
            "not a sweep's results folder (no _manifest.json); run `wom sweep` first",
            source=source,
        )
    paths = sorted(directory.glob("part-*.parquet"))
    if not paths:
        raise ScenarioError.single("the sweep has not finished any task yet", source=source)
    key_columns = [k["column"] for k in manifest.get("keys", [])]
    columns = ["point", *key_columns, "run", "seed", *manifest.get("metrics", [])]
    types = manifest.get("schema")
    runs, task_runs = int(manifest.get("runs", 0)), int(manifest.get("task_runs", 0) or 1)
    planned = {
        Task(p, first, min(task_runs, runs - first)).part
        for p in range(len(manifest.get("points", [])))
        for first in range(0, runs, task_runs)
    }
    whole: list[Path] = []
    first_rows: list[pd.DataFrame] = []
    schema = None
    rows = 0
    for path in paths:
        task = _task_of(path.name, Task) if path.name in planned else None
        reason = check_part(path, task, columns, types)
        if reason is None:
            part_schema = pq.read_schema(path)
            if schema is not None and part_schema != schema:
                reason = "its column types differ from the other parts'"
            else:
                schema = part_schema
                whole.append(path)
                rows += task.runs
                head = pq.read_table(path, columns=["point", *key_columns]).slice(0, 1)
                first_rows.append(head.to_pandas())
                continue
        if warnings is not None:
            warnings.append(
                f"{path.name} is not a whole result ({reason}); its replicates are left out "
                "(`wom sweep ... --resume` moves it aside and runs them again)"
            )
    if not whole:
        raise ScenarioError.single(
            "no part of the sweep could be read (all are damaged); "
            "`wom sweep ... --resume` runs them again",
            source=source,
        )
    points = (
        pd.concat(first_rows, ignore_index=True)
        .drop_duplicates("point")
        .sort_values("point", kind="stable")
        .reset_index(drop=True)
    )
    return Results(whole, manifest, points, rows)


def load_results(
    directory: str | Path, warnings: list[str] | None = None
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The results table (one row per replicate, every column) and the manifest of a sweep.

    The whole table in memory: for large sweeps use :func:`open_results`, which reads one
    metric at a time. Damaged parts are left out as :func:`open_results` describes.

    Raises:
        ScenarioError: the folder is missing, or holds no sweep results, or no whole part.
    """
    import pyarrow as pa

    results = open_results(directory, warnings)
    frame = pa.concat_tables([pq.read_table(p) for p in results.paths]).to_pandas()
    frame = frame.sort_values(["point", "run"], kind="stable").reset_index(drop=True)
    return frame, results.manifest


def _task_of(name: str, task_type: type) -> Any:
    """The task a part's file name names, or ``None`` for another name."""
    match = re.match(r"^part-(\d+)-(\d+)-(\d+)\.parquet$", name)
    if not match:
        return None
    point, first, last = (int(g) for g in match.groups())
    return task_type(point, first, last - first + 1) if last >= first else None


def summary_table(results: Results, columns: list[str], metrics: list[str]) -> pd.DataFrame:
    """Mean and 95% intervals of every metric at every design point (long format)."""
    keys = results.points.set_index("point")
    rows = []
    for rank, metric in enumerate(metrics):
        for point, values in results.metric(metric).items():
            s = summarize(values)
            rows.append(
                {
                    "point": point,
                    **{c: keys.at[point, c] for c in columns},
                    "metric": metric,
                    "runs": len(values),
                    "mean": s["mean"],
                    "std": s["std"],
                    "ci95_low": s["ci95"][0],
                    "ci95_high": s["ci95"][1],
                    "pi95_low": s["pi95"][0],
                    "pi95_high": s["pi95"][1],
                    "_rank": rank,
                }
            )
    table = pd.DataFrame(rows)
    if table.empty:
        return table
    table = table.sort_values(["point", "_rank"], kind="stable").drop(columns="_rank")
    return table.reset_index(drop=True)


def _resolve_key(name: str, keys: list[dict[str, Any]], option: str, source: str) -> str:
    """The results column of a varied key given by its dotted key or its column name."""
    for entry in keys:
        if name in (entry["key"], entry["column"]):
            return entry["column"]
    varied = [e["key"] for e in keys]
    raise ScenarioError.single(
        f"{name!r} is not a varied key of this sweep{_did_you_mean(name, varied)}; "
        f"varied: {', '.join(varied) or 'none'}",
        source=option,
    )


def _order(frame: pd.DataFrame, column: str, numeric: bool) -> list[Any]:
    """A key's values in plotting order: sorted numbers, else the order of the design."""
    values = frame[column].drop_duplicates().tolist()
    return sorted(values) if numeric else values


def _group_stats(values: np.ndarray) -> tuple[float, float, float]:
    s = summarize(values)
    return s["mean"], s["ci95"][0], s["ci95"][1]


def plot_metric(
    points: pd.DataFrame,
    values: dict[int, np.ndarray],
    metric: str,
    x: str,
    by: str | None,
    others: list[str],
    path: Path,
    *,
    numeric: dict[str, bool],
    log_x: bool = False,
    log_y: bool = False,
    pooled: list[str] | None = None,
    title: str = "",
) -> str | None:
    """Draw ``metric`` against ``x`` with a line per value of ``by``; write a PNG to ``path``.

    Args:
        points: One row per design point: ``point`` and the varied keys' columns.
        values: The metric's values per design point (:meth:`Results.metric`).
        metric: The metric's name.
        x: Column on the x axis.
        by: Column drawn as one line per value (or ``None``).
        others: Other varied columns; a panel per combination, or averaged over when there
            are more than ``MAX_PANELS`` combinations.
        path: The PNG file to write.
        numeric: Column -> whether its values are numbers (a numeric axis) or labels.
        log_x: Logarithmic x axis (symmetric-log when 0 is among the values).
        log_y: Logarithmic y axis.
        pooled: Varied columns whose replicates are pooled (named in the title).
        title: Figure title.

    Returns:
        A note when keys were averaged over, else ``None``.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    data = points[points["point"].isin([p for p, v in values.items() if len(v)])]
    # Keys that move with x and by (zip partners, the other sampled keys) add no panels.
    pair = [c for c in (x, by) if c is not None]
    others = [c for c in others if data.groupby(pair)[c].nunique().max() > 1]
    panels = data[others].drop_duplicates().to_dict("records") if others else [{}]
    note = None
    if len(panels) > MAX_PANELS:
        note = f"{metric}: averaged over {', '.join(others)} ({len(panels)} combinations)"
        panels = [{}]

    x_numeric = numeric.get(x, False)
    x_values = _order(data, x, x_numeric)
    by_values = _order(data, by, numeric.get(by, False)) if by else [None]
    cols = min(3, len(panels))
    rows = math.ceil(len(panels) / cols)
    width = 5.2 if x_numeric else max(5.2, 1.2 * len(x_values) + 1.5)
    fig, axes = plt.subplots(
        rows, cols, figsize=(width * cols, 3.9 * rows), sharey=True, squeeze=False
    )
    for ax in axes.flat[len(panels) :]:
        ax.set_visible(False)
    for ax, panel in zip(axes.flat, panels, strict=False):
        subset = data
        for column, value in panel.items():
            subset = subset[subset[column] == value]
        for line, value in enumerate(by_values):
            rows_of_line = subset if by is None else subset[subset[by] == value]
            stats = []
            for i, xv in enumerate(x_values):
                chosen = rows_of_line.loc[rows_of_line[x] == xv, "point"].tolist()
                if chosen:
                    pooled_values = np.concatenate([values[p] for p in chosen])
                    stats.append((xv if x_numeric else i, *_group_stats(pooled_values)))
            if not stats:
                continue
            xs, means, lows, highs = (np.array(v, dtype=np.float64) for v in np.array(stats).T)
            if not x_numeric and len(by_values) > 1:  # dodge so error bars do not overlap
                xs = xs + 0.25 * (line / (len(by_values) - 1) - 0.5)
            label = None if by is None else str(value)
            bars = ax.errorbar(
                xs,
                means,
                yerr=[means - lows, highs - means],
                marker="o",
                markersize=4,
                capsize=3,
                linewidth=1.4,
                label=label,
            )
            if x_numeric and len(xs) > 1:
                ax.fill_between(xs, lows, highs, alpha=0.15, color=bars[0].get_color())
        if not x_numeric:
            ax.set_xticks(range(len(x_values)))
            ax.set_xticklabels([_wrap(str(v)) for v in x_values], fontsize=8)
        elif log_x:
            positive = [v for v in x_values if v > 0]
            if min(x_values) <= 0 and positive:
                ax.set_xscale("symlog", linthresh=min(positive))
            elif positive:
                ax.set_xscale("log")
        if log_y:
            ax.set_yscale("log")
        ax.set_xlabel(x)
        ax.grid(alpha=0.3)
        if panel:
            ax.set_title(", ".join(f"{k} = {v}" for k, v in panel.items()), fontsize=9)
    for ax in axes[:, 0]:
        ax.set_ylabel(f"{metric} (mean, 95% CI)")
    pooled_over = [*(pooled or []), *(others if note else [])]
    heading = title + (
        f"\n(replicates pooled over {', '.join(pooled_over)})" if pooled_over else ""
    )
    fig.suptitle(heading, fontsize=11)
    legend_rows = 0
    if by is not None and len(by_values) > 1:
        handles, labels = axes.flat[0].get_legend_handles_labels()
        if len(panels) == 1:
            axes.flat[0].legend(handles, labels, title=by, fontsize=8, title_fontsize=8)
        else:  # one legend for every panel, below them
            legend_rows = math.ceil(len(labels) / 3)
            fig.legend(
                handles,
                labels,
                title=by,
                loc="lower center",
                ncols=3,
                fontsize=8,
                title_fontsize=8,
            )
    fig.tight_layout(rect=(0, 0.05 + 0.04 * legend_rows if legend_rows else 0, 1, 1))
    try:
        write_file(path, lambda tmp: fig.savefig(tmp, dpi=110, format="png"))
    finally:
        plt.close(fig)
    return note


def _wrap(label: str) -> str:
    """Long category labels (network tables) on several lines, broken after commas."""
    return label.replace("(", "\n(").replace(", ", ",\n") if len(label) > 14 else label


def _file_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_")


def make_report(
    directory: str | Path,
    *,
    metrics: list[str] | None = None,
    x: str | None = None,
    by: str | None = None,
    out: str | Path | None = None,
    log_x: bool | None = None,
    log_y: bool | None = None,
    average: list[str] | None = None,
) -> Report:
    """Summarise a sweep's results; write ``summary.csv`` and a PNG per metric.

    Args:
        directory: The sweep's results folder.
        metrics: Metrics to show and plot (default: the experiment's ``[report] metrics``,
            else its first metric). The CSV always has every metric.
        x: Varied key on the x axis (default: ``[report] x``, else the first varied key with
            several values, numbers preferred).
        by: Varied key drawn as one line per value (default: ``[report] by``, else the other
            varied key with the fewest values).
        out: Folder for the report (default: ``DIR/_report``, which the Parquet reader skips).
        log_x: Logarithmic x axis (default: ``[report] log_x``).
        log_y: Logarithmic y axis (default: ``[report] log_y``).
        average: Varied keys whose replicates the plots pool instead of drawing a panel per
            value (default: ``[report] average``).

    Raises:
        ScenarioError: no results there, or an unknown metric or key.
    """
    from simulation.outputs import check_output_folder

    directory = Path(directory)
    if not directory.is_dir():
        raise ScenarioError.single("results folder not found", source=str(directory))
    out = Path(out) if out is not None else directory / "_report"
    check_output_folder(out, inside=directory)
    warnings: list[str] = []
    results = open_results(directory, warnings)
    manifest, frame = results.manifest, results.points
    defaults = manifest.get("experiment", {}).get("report", {})
    keys = manifest.get("keys", [])
    columns = [k["column"] for k in keys]
    numeric = {k["column"]: k["kind"] in ("int", "float") for k in keys}
    all_metrics = list(manifest.get("metrics", []))

    chosen = metrics or defaults.get("metrics") or all_metrics[:1]
    unknown = [m for m in chosen if m not in all_metrics]
    if unknown:
        raise ScenarioError.single(
            "; ".join(f"unknown metric {m!r}{_did_you_mean(m, all_metrics)}" for m in unknown)
            + f"; this sweep has: {', '.join(all_metrics)}",
            source="--metric",
        )

    notes = []
    done, tasks = len(manifest.get("done", [])), manifest.get("tasks", 0)
    if not manifest.get("complete"):
        notes.append(
            f"the sweep is not finished ({results.rows} of "
            f"{len(manifest.get('points', [])) * manifest.get('runs', 0)} replicates, about "
            f"{done} of {tasks} tasks); `wom sweep ... --resume` finishes it"
        )

    varied = [c for c in columns if frame[c].nunique() > 1]
    x_col = _resolve_key(x, keys, "--x", str(directory)) if x else None
    by_col = _resolve_key(by, keys, "--by", str(directory)) if by else None
    if x_col is None and defaults.get("x"):
        x_col = _resolve_key(defaults["x"], keys, "[report] x", str(directory))
    if by_col is None and defaults.get("by"):
        by_col = _resolve_key(defaults["by"], keys, "[report] by", str(directory))
    pooled_keys = average if average is not None else defaults.get("average", [])
    pooled_cols = {_resolve_key(k, keys, "--average", str(directory)) for k in pooled_keys}
    candidates = [c for c in varied if c not in pooled_cols]
    if x_col is None and candidates:
        x_col = next((c for c in candidates if numeric[c]), candidates[0])
    if by_col is None:
        rest = [c for c in candidates if c != x_col]
        by_col = min(rest, key=lambda c: frame[c].nunique()) if rest else None
    if x_col is not None and x_col == by_col:
        raise ScenarioError.single(f"--x and --by are both {x_col!r}", source="--by")
    pooled = [c for c in columns if c in pooled_cols and c not in (x_col, by_col)]

    summary = summary_table(results, columns, all_metrics)
    csv = out / SUMMARY_CSV
    write_file(csv, lambda tmp: summary.to_csv(tmp, index=False), source=f"--out {out}")

    plots = []
    if x_col is not None:
        others = [c for c in varied if c not in (x_col, by_col) and c not in pooled]
        use_log = defaults.get("log_x", False) if log_x is None else log_x
        use_log_y = defaults.get("log_y", False) if log_y is None else log_y
        name = manifest.get("experiment", {}).get("name", "")
        for metric in chosen:
            suffix = f"-by-{by_col}" if by_col else ""
            path = out / f"{_file_name(f'{metric}-vs-{x_col}{suffix}')}.png"
            note = plot_metric(
                frame,
                results.metric(metric),
                metric,
                x_col,
                by_col,
                others,
                path,
                numeric=numeric,
                log_x=use_log,
                log_y=use_log_y,
                pooled=pooled,
                title=f"{name}: {metric}",
            )
            if note:
                notes.append(note)
            plots.append(path)
    return Report(summary, columns, chosen, csv, plots, notes, warnings)


def format_number(value: float) -> str:
    """A number for the screen: integers plainly, others to four significant digits."""
    if value is None or not math.isfinite(value):
        return "-"
    if value == int(value) and abs(value) < 1e15:
        return f"{int(value):,}"
    return f"{value:,.4g}" if abs(value) >= 1 else f"{value:.3g}"


def print_report(report: Report, *, max_rows: int = 60) -> None:
    """The summary of the chosen metrics as a table on stdout, one row per design point."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    summary = report.summary[report.summary["metric"].isin(report.metrics)]
    table = Table(title="mean (95% CI of the mean) per design point", title_justify="left")
    for column in report.columns:
        table.add_column(escape(column))
    table.add_column("runs", justify="right")
    for metric in report.metrics:
        table.add_column(escape(metric), justify="right")
    points = summary["point"].drop_duplicates().tolist()
    for point in points[:max_rows]:
        rows = summary[summary["point"] == point].set_index("metric")
        first = rows.iloc[0]
        cells = [escape(str(first[c])) for c in report.columns]
        cells.append(str(int(first["runs"])))
        for metric in report.metrics:
            if metric not in rows.index:
                cells.append("-")
                continue
            r = rows.loc[metric]
            cells.append(
                f"{format_number(r['mean'])} ({format_number(r['ci95_low'])}"
                f" - {format_number(r['ci95_high'])})"
            )
        table.add_row(*cells)
    console = Console(width=max(100, min(200, shutil.get_terminal_size((160, 24)).columns)))
    console.print(table)
    if len(points) > max_rows:
        console.print(f"... {len(points) - max_rows} more points in {report.csv}")
