"""The picture of a fit: posterior marginals (top) and posterior predictive bands (bottom)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from simulation.calibration.fit import Fit

__all__ = ["draw_fit", "fit_figure"]


def fit_figure(result: Fit) -> Figure:
    """The fit as a matplotlib figure.

    Top: a weighted histogram per fitted key (median and 90% interval marked, the x axis spans
    the prior). Bottom, per observed metric: the 5-95% band and the median of the posterior
    predictive timelines, with the observed points.
    """
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    keys = len(result.priors)
    metrics = result.observed.metrics
    columns = max(keys, len(metrics))
    figure = Figure(figsize=(4.2 * columns, 7.2), layout="constrained")
    grid = figure.add_gridspec(2, columns)
    summary = result.summary()
    weights = result.posterior["weight"].to_numpy()
    for i, prior in enumerate(result.priors):
        ax = figure.add_subplot(grid[0, i])
        values = result.posterior[prior.key].to_numpy(float)
        if prior.log:
            bins = np.geomspace(prior.low, prior.high, 31)
            ax.set_xscale("log")
            # Plain numbers at 1, 2 and 5 per decade: matplotlib's minor labels would overlap.
            ax.xaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
            ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _pos: f"{x:g}"))
            ax.xaxis.set_minor_formatter(NullFormatter())
        else:
            bins = np.linspace(prior.low, prior.high, 31)
        ax.hist(values, bins=bins, weights=weights, color="#7aa6c2", edgecolor="white")
        stats = summary[prior.key]
        ax.axvline(stats["median"], color="#1f3b57", lw=2, label=f"median {stats['median']:.3g}")
        for bound in stats["ci90"]:
            ax.axvline(bound, color="#1f3b57", lw=1, ls="--")
        ax.set_xlim(prior.low, prior.high)
        ax.set_title(prior.key)
        ax.set_xlabel(f"90% interval {stats['ci90'][0]:.3g} - {stats['ci90'][1]:.3g}")
        ax.set_yticks([])
        ax.legend(loc="upper right", fontsize=8, frameon=False)
    for j, metric in enumerate(metrics):
        ax = figure.add_subplot(grid[1, j])
        band = result.predictive.get(metric)
        if band:
            ax.fill_between(
                band["step"],
                band["p05"],
                band["p95"],
                color="#f2b880",
                alpha=0.6,
                lw=0,
                label="90% of simulations",
            )
            ax.plot(band["step"], band["p50"], color="#c0622f", lw=2, label="median simulation")
        steps, values = result.observed.points(metric)
        ax.plot(steps, values, "o", color="black", ms=4, label="observed")
        ax.set_title(metric)
        ax.set_xlabel("step")
        ax.legend(loc="lower right", fontsize=8, frameon=False)  # below a cumulative curve
    figure.suptitle(
        f"{result.scenario.name}: posterior after {result.generations} generations, "
        f"{result.simulations:,} simulations"
    )
    return figure


def draw_fit(result: Fit, path: Path) -> None:
    """Save :func:`fit_figure` as a PNG."""
    fit_figure(result).savefig(path, dpi=100)
