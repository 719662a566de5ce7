"""The app's static charts (matplotlib, drawn on the server, exported as PNG).

Figures are built with :class:`matplotlib.figure.Figure` directly (no pyplot), so sessions in
different threads never share a current figure.
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from simulation.metrics import METRICS, summarize
from simulation.ui.analytic import Overlay
from simulation.ui.comparison import Comparison

__all__ = [
    "PALETTE",
    "bars_figure",
    "dose_figure",
    "line_style",
    "png_bytes",
    "sweep_figure",
    "timeline_figure",
]

# Okabe-Ito: distinguishable with colour-vision deficiencies, and in print. Past eight lines the
# colours repeat with another dash pattern (and bars with a hatch), so no two lines look alike.
PALETTE = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#56B4E9",
    "#D55E00",
    "#000000",
    "#F0E442",
)
_DASHES = ("-", "--", ":", "-.")
_HATCHES = ("", "//", "..", "xx")


def line_style(i: int) -> dict[str, str]:
    """The i-th line's colour, dash pattern and bar hatch: unique for any number of lines."""
    cycle = (i // len(PALETTE)) % len(_DASHES)
    return {"color": PALETTE[i % len(PALETTE)], "ls": _DASHES[cycle], "hatch": _HATCHES[cycle]}


def _summary(values: np.ndarray) -> dict:
    """Mean and 95% interval of the defined values (``roi`` is undefined when nothing is spent)."""
    values = np.asarray(values, dtype=np.float64)
    finite = values[np.isfinite(values)]
    if len(finite) == 0:
        return {"mean": np.nan, "ci95": [np.nan, np.nan]}
    return summarize(finite)


def _style(ax) -> None:
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="y", color="#e5e5e5", linewidth=0.8)
    ax.set_axisbelow(True)
    ax.tick_params(labelsize=9)


def bars_figure(
    comparison: Comparison,
    metrics: list[str],
    overlays: dict[str, Overlay] | None = None,
    title: str | None = None,
) -> Figure:
    """One bar chart per metric: each variant's mean with its 95% interval as an error bar.

    Args:
        comparison: The results.
        metrics: Metrics to chart (those missing from the results are skipped).
        overlays: Variant name -> analytic prediction of ``sharers``, drawn as a marker.
        title: Figure title (default: what the bars and whiskers are).
    """
    metrics = [m for m in metrics if m in comparison.metrics]
    cols = min(3, max(1, len(metrics)))
    rows = max(1, -(-len(metrics) // cols))
    fig = Figure(figsize=(3.6 * cols, 2.9 * rows), dpi=100, layout="constrained")
    names = [r.variant.name for r in comparison.results]
    styles = [line_style(i) for i in range(len(names))]
    for i, metric in enumerate(metrics):
        ax = fig.add_subplot(rows, cols, i + 1)
        summaries = [_summary(r.values[metric]) for r in comparison.results]
        means = np.array([s["mean"] for s in summaries])
        low = means - np.array([s["ci95"][0] for s in summaries])
        high = np.array([s["ci95"][1] for s in summaries]) - means
        x = np.arange(len(names))
        bars = ax.bar(x, means, color=[st["color"] for st in styles], width=0.65)
        for bar, st in zip(bars, styles, strict=True):
            if st["hatch"]:
                bar.set_hatch(st["hatch"])
                bar.set_edgecolor("white")
        ax.errorbar(x, means, yerr=[low, high], fmt="none", ecolor="#333", capsize=5, lw=1.2)
        if metric == "sharers" and overlays:
            for j, name in enumerate(names):
                if name in overlays:
                    ax.plot(
                        j,
                        overlays[name].final,
                        marker="D",
                        color="#222",
                        ms=7,
                        ls="none",
                        label=overlays[name].label,
                    )
            ax.legend(fontsize=7, loc="lower right", frameon=False)
        ax.set_xticks(
            x,
            [_short(n) for n in names],
            fontsize=8 if len(names) > 3 else 9,
            rotation=30 if len(names) > 3 else 0,
            ha="right" if len(names) > 3 else "center",
        )
        ax.set_title(metric.replace("_", " "), fontsize=11, loc="left")
        _style(ax)
    fig.suptitle(
        title or f"Mean of {comparison.runs} runs per strategy; bars: 95% confidence interval",
        fontsize=10,
        color="#555",
    )
    return fig


def _short(name: str, width: int = 16) -> str:
    return name if len(name) <= width else name[: width - 1] + "…"


def timeline_figure(
    comparison: Comparison,
    metric: str,
    overlays: dict[str, Overlay] | None = None,
    goal=None,
) -> Figure:
    """A metric's mean cumulative count per step for every variant, with 95% bands.

    A goal (:class:`simulation.ui.comparison.Goal`) on this metric is drawn as its target line
    and, when it has one, its step.
    """
    fig = Figure(figsize=(7.5, 3.6), dpi=100, layout="constrained")
    ax = fig.add_subplot()
    for i, result in enumerate(comparison.results):
        if metric not in result.timeline:
            continue
        style = line_style(i)
        color = style["color"]
        mean = result.timeline[metric]
        low, high = result.band[metric]
        steps = np.arange(len(mean))
        ax.fill_between(steps, low, high, color=color, alpha=0.22, lw=0)
        ax.plot(steps, mean, color=color, ls=style["ls"], lw=2, label=result.variant.name)
        overlay = (overlays or {}).get(result.variant.name)
        if overlay is not None and metric == "sharers":
            if overlay.timeline is not None:
                t = np.arange(min(len(overlay.timeline), len(mean) + 10))
                ax.plot(
                    t,
                    overlay.timeline[: len(t)],
                    color=color,
                    ls="--",
                    lw=1.5,
                    label=f"{overlay.label} ({result.variant.name})",
                )
            else:
                ax.axhline(
                    overlay.final,
                    color=color,
                    ls=":",
                    lw=1.5,
                    label=f"{overlay.label} ({result.variant.name})",
                )
    if goal is not None and goal.metric == metric:
        ax.axhline(goal.target, color="#444", ls="--", lw=1.2, label=f"goal: {goal.describe()}")
        if goal.step is not None:
            ax.axvline(goal.step, color="#444", ls=":", lw=1.2)
    meaning = METRICS[metric].meaning if metric in METRICS else ""
    ax.set_title(f"{metric.replace('_', ' ')} over time", fontsize=11, loc="left")
    ax.set_xlabel("step", fontsize=9)
    ax.set_ylabel(f"cumulative {metric}", fontsize=9)
    ax.legend(fontsize=8, frameon=False)
    _style(ax)
    if meaning:
        # A figure-level x label: constrained layout keeps room for it below the axis label.
        fig.supxlabel(
            f"{metric}: {meaning}. Band: 95% interval of the mean.",
            x=0.01,
            ha="left",
            fontsize=8,
            color="#555",
        )
    return fig


def sweep_figure(
    table: pd.DataFrame,
    metric: str,
    x: str,
    line: str | None,
    *,
    log_x: bool = False,
    log_y: bool = False,
) -> Figure:
    """A sweep's metric against a grid key, one line (with 95% error bars) per value of another."""
    fig = Figure(figsize=(7.5, 4), dpi=100, layout="constrained")
    ax = fig.add_subplot()
    groups = [(None, table)] if line is None or line == x else list(table.groupby(line, sort=True))
    numeric = pd.api.types.is_numeric_dtype(table[x])
    categories = sorted(table[x].unique(), key=str) if not numeric else None
    for i, (value, part) in enumerate(groups):
        part = part.sort_values(x, key=(lambda s: s.astype(str)) if not numeric else None)
        xs = part[x].to_numpy() if numeric else [categories.index(v) for v in part[x]]
        style = line_style(i)
        color = style["color"]
        ax.errorbar(
            xs,
            part["mean"],
            yerr=[part["mean"] - part["low"], part["high"] - part["mean"]],
            color=color,
            marker="o",
            capsize=4,
            lw=2,
            ls=style["ls"],
            label=f"{line} = {value}" if value is not None else metric,
        )
    if categories is not None:
        ax.set_xticks(range(len(categories)), [str(c) for c in categories])
    if log_x and numeric:
        ax.set_xscale("symlog" if (table[x] <= 0).any() else "log")
    if log_y:
        ax.set_yscale("symlog" if (table["mean"] <= 0).any() else "log")
    ax.set_xlabel(x, fontsize=9)
    ax.set_ylabel(metric, fontsize=9)
    ax.set_title(f"{metric} by {x}", fontsize=11, loc="left")
    ax.legend(fontsize=8, frameon=False)
    _style(ax)
    return fig


def dose_figure(table: pd.DataFrame, metric: str, key: str, line: str | None) -> Figure:
    """A dose-response curve: the metric's mean against a key, one line per value of ``line``.

    Bands: the 95% interval of the mean (dark) and the range 95% of campaigns fall in (light).

    Args:
        table: Rows of (``line``, ``x``, ``mean``, ``ci95_low``, ``ci95_high``, ``pi95_low``,
            ``pi95_high``), as :func:`simulation.ui.dose.run_dose` returns.
        metric: The metric's name (the y axis).
        key: The swept key (the x axis).
        line: The key whose values give one line each, or ``None``.
    """
    fig = Figure(figsize=(7.5, 4), dpi=100, layout="constrained")
    ax = fig.add_subplot()
    for i, (value, part) in enumerate(table.groupby("line", sort=False)):
        style = line_style(i)
        part = part.sort_values("x")
        x = part["x"].to_numpy(dtype=float)
        ax.fill_between(x, part["pi95_low"], part["pi95_high"], color=style["color"], alpha=0.08)
        ax.fill_between(x, part["ci95_low"], part["ci95_high"], color=style["color"], alpha=0.3)
        label = f"{line.rpartition('.')[2]} = {value}" if line else metric
        ax.plot(
            x, part["mean"], color=style["color"], ls=style["ls"], marker="o", lw=2, label=label
        )
    ax.set_xlabel(key, fontsize=9)
    ax.set_ylabel(metric, fontsize=9)
    ax.set_title(f"{metric.replace('_', ' ')} by {key.rpartition('.')[2]}", fontsize=11, loc="left")
    ax.legend(fontsize=8, frameon=False)
    _style(ax)
    fig.supxlabel(
        "Dark band: 95% interval of the mean; light band: the range 95% of campaigns fall in.",
        x=0.01,
        ha="left",
        fontsize=8,
        color="#555",
    )
    return fig


def png_bytes(fig: Figure, dpi: int = 150) -> bytes:
    """The figure as PNG, for download."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()
