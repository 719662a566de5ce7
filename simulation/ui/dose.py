"""A small sweep for the app: one key from a low to a high value, one line per value of another.

"Stickiness from 0.05 to 0.5 in 10 steps, one line per segment": every point runs the same
replicates ``0 .. runs-1`` with the same seed (common random numbers), so neighbouring points
differ by the key's effect rather than by noise, and a tipping point shows as a steep rise of
a smooth curve. Each point gives the metric's mean, the 95% interval of the mean and the range
95% of campaigns fall in (pi95). ``report`` is called between points and between the engine's
batches, so a cancel never interrupts the kernel.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from simulation.errors import ScenarioError
from simulation.metrics import summarize
from simulation.scenario import Scenario
from simulation.ui.comparison import apply_overrides

__all__ = ["DoseSpec", "points", "run_dose", "steepest"]


@dataclass(frozen=True)
class DoseSpec:
    """What to sweep.

    Attributes:
        key: The dotted key along the x axis (``content.stickiness``).
        low: Its first value.
        high: Its last value.
        count: Number of values, evenly spaced (whole numbers for an integer key).
        metric: The metric on the y axis.
        line_key: A key with one line per value (``seeding.segment``), or ``None``.
        line_values: Those values.
        integer: Whether the key takes whole numbers.
    """

    key: str
    low: float
    high: float
    count: int
    metric: str = "sharers"
    line_key: str | None = None
    line_values: tuple = ()
    integer: bool = False

    def lines(self) -> list:
        """The line values (one ``None`` line when there is no line key)."""
        return list(self.line_values) if self.line_key and self.line_values else [None]


def points(low: float, high: float, count: int, integer: bool = False) -> list[float | int]:
    """``count`` evenly spaced values from ``low`` to ``high`` (distinct whole numbers if asked)."""
    values = np.linspace(low, high, max(1, count)) if count > 1 else np.array([low])
    if integer:
        return list(dict.fromkeys(int(np.rint(v)) for v in values))
    return [float(round(v, 10)) for v in values]


def run_dose(
    base: Scenario,
    spec: DoseSpec,
    *,
    runs: int,
    seed: int | None = None,
    report: Callable[[int, int], None] | None = None,
) -> pd.DataFrame:
    """Run the sweep: a row per (line, x) with mean, ci95 and pi95 of the metric.

    Raises:
        ScenarioError: a point is not a valid scenario (naming the key and value).
    """
    from simulation.engine import prepare, simulate

    seed = base.seed if seed is None else seed
    xs = points(spec.low, spec.high, spec.count, spec.integer)
    lines = spec.lines()
    total = runs * len(xs) * len(lines)
    rows = []
    done = 0
    graphs: dict[str, object] = {}
    for line in lines:
        for x in xs:
            overrides = {spec.key: x}
            if spec.line_key:
                overrides[spec.line_key] = line
            where = f"sweep point {spec.key}={x}" + (f", {spec.line_key}={line}" if line else "")
            scenario = apply_overrides(base, overrides, source=where)
            graph_key = repr((scenario.network, scenario.segments, scenario.seed))
            prepared = prepare(scenario, graph=graphs.get(graph_key))
            graphs[graph_key] = prepared.graph

            def step(finished: int, _runs: int, before: int = done) -> None:
                if report is not None:
                    report(before + finished, total)

            result = simulate(
                scenario,
                runs=runs,
                seed=seed,
                metrics=[spec.metric],
                prepared=prepared,
                progress=step,
            )
            values = np.asarray(result.values[spec.metric], dtype=np.float64)
            finite = values[np.isfinite(values)]
            s = summarize(finite) if len(finite) else None
            rows.append(
                {
                    "line": line if line is not None else spec.metric,
                    "x": x,
                    "mean": s["mean"] if s else math.nan,
                    "ci95_low": s["ci95"][0] if s else math.nan,
                    "ci95_high": s["ci95"][1] if s else math.nan,
                    "pi95_low": s["pi95"][0] if s else math.nan,
                    "pi95_high": s["pi95"][1] if s else math.nan,
                    "runs": len(finite),
                }
            )
            done += runs
    if not rows:
        raise ScenarioError.single("nothing to sweep", source="sweep")
    return pd.DataFrame(rows)


def steepest(table: pd.DataFrame) -> list[tuple[object, float, float, float]]:
    """Per line, where the curve rises fastest: (line, from x, to x, rise per unit of x)."""
    out = []
    for line, part in table.groupby("line", sort=False):
        part = part.sort_values("x")
        x = part["x"].to_numpy(dtype=float)
        y = part["mean"].to_numpy(dtype=float)
        if len(x) < 2:
            continue
        slope = np.diff(y) / np.diff(x)
        if not np.isfinite(slope).any():
            continue
        i = int(np.nanargmax(slope))
        out.append((line, float(x[i]), float(x[i + 1]), float(slope[i])))
    return out
