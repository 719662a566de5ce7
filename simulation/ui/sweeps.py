"""Reading a sweep's results (``wom sweep --out DIR``) for the app, from a results root only.

A sweep directory holds Parquet parts and ``manifest.json``; ``pandas.read_parquet(DIR)`` gives
one row per replicate with a column per grid key (the dotted key), ``run``, ``seed`` and a column
per metric. The app lists and opens only directories below one results root (the server's
working directory unless configured), so a browser can never make the server read elsewhere.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from simulation.errors import ScenarioError
from simulation.metrics import METRICS

__all__ = ["Sweep", "find_sweeps", "load_sweep", "metric_by_key", "results_root"]

# The manifest's name: the contract's, and the underscored one pandas skips when reading.
_MANIFESTS = {"manifest.json", "_manifest.json"}
_SEARCH_DEPTH = 4
_MAX_SWEEPS = 200


def results_root() -> Path:
    """The directory sweeps are opened from: ``$WOM_RESULTS_ROOT``, else the working directory."""
    return Path(os.environ.get("WOM_RESULTS_ROOT") or os.getcwd()).resolve()


def find_sweeps(root: Path) -> list[str]:
    """Sweep directories (holding ``manifest.json``) below ``root``, as relative paths."""
    found: list[str] = []
    root = root.resolve()
    for current, dirs, files in os.walk(root):
        depth = len(Path(current).relative_to(root).parts)
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and depth < _SEARCH_DEPTH)
        if _MANIFESTS & set(files):
            found.append(str(Path(current).relative_to(root)))
            dirs[:] = []
        if len(found) >= _MAX_SWEEPS:
            break
    return sorted(found)


class Sweep:
    """A sweep's table with its grid keys and metric columns.

    Attributes:
        frame: One row per replicate.
        grid_keys: Columns that are grid keys (the experiment's ``[grid]``).
        metrics: Columns that are metrics.
        manifest: ``manifest.json`` as read.
    """

    def __init__(self, frame: pd.DataFrame, manifest: dict) -> None:
        self.frame = frame
        self.manifest = manifest
        grid = _grid_of(manifest)
        columns = list(frame.columns)
        if grid:
            self.grid_keys = [c for c in columns if c in grid]
        else:
            self.grid_keys = [c for c in columns if "." in c and not _is_metric(c)]
        # "point" is the design point's index, "run" and "seed" the replicate's: not metrics.
        self.metrics = [
            c
            for c in columns
            if c not in self.grid_keys
            and c not in ("run", "seed", "point")
            and pd.api.types.is_numeric_dtype(frame[c])
        ]
        metrics_first = [m for m in self.metrics if _is_metric(m)]
        self.metrics = metrics_first + [m for m in self.metrics if m not in metrics_first]

    @property
    def report(self) -> dict:
        """The experiment's ``[report]`` settings (metrics, x, by, log_x, log_y), if any."""
        experiment = self.manifest.get("experiment")
        report = experiment.get("report") if isinstance(experiment, dict) else None
        return report if isinstance(report, dict) else {}

    def defaults(self) -> dict:
        """What to show first: the ``[report]``'s metric, x, line and axes, else sensible ones.

        The metric is the report's first that the sweep has, else ``sharers``, else the first
        metric; x and the line are the report's when they are grid keys.
        """
        report = self.report
        wanted = [m for m in report.get("metrics") or [] if m in self.metrics]
        metric = wanted[0] if wanted else ("sharers" if "sharers" in self.metrics else None)
        metric = metric or (self.metrics[0] if self.metrics else None)
        x = report.get("x") if report.get("x") in self.grid_keys else None
        x = x or (self.grid_keys[0] if self.grid_keys else None)
        others = [k for k in self.grid_keys if k != x]
        line = report.get("by") if report.get("by") in others else (others[0] if others else None)
        return {
            "metric": metric,
            "x": x,
            "line": line,
            "log_x": bool(report.get("log_x", False)),
            "log_y": bool(report.get("log_y", False)),
        }


def _manifest_path(folder: Path) -> Path | None:
    for name in sorted(_MANIFESTS):
        if (folder / name).is_file():
            return folder / name
    return None


def _grid_of(manifest: dict) -> list[str]:
    for holder in (manifest, manifest.get("experiment") if isinstance(manifest, dict) else None):
        if isinstance(holder, dict) and isinstance(holder.get("grid"), dict):
            return list(holder["grid"])
    return []


def _is_metric(column: str) -> bool:
    return column in METRICS or column.split("[", 1)[0] in METRICS


def load_sweep(root: Path, relative: str) -> Sweep:
    """Open the sweep at ``root / relative``.

    Raises:
        ScenarioError: the path leaves ``root``, is not a sweep, or cannot be read.
    """
    root = root.resolve()
    path = (root / relative).resolve()
    if not path.is_relative_to(root):
        raise ScenarioError.single(
            "only sweeps under the results folder can be opened", source=relative
        )
    manifest_path = _manifest_path(path)
    if manifest_path is None:
        raise ScenarioError.single("not a sweep folder (no manifest.json)", source=relative)
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ScenarioError.single(f"cannot read manifest.json: {exc}", source=relative) from None
    try:
        frame = _read_parts(path)
    except Exception as exc:  # pyarrow raises many types for partial or foreign files
        raise ScenarioError.single(f"cannot read the results: {exc}", source=relative) from None
    if frame.empty:
        raise ScenarioError.single("the sweep has no results yet", source=relative)
    return Sweep(frame, manifest if isinstance(manifest, dict) else {})


def _read_parts(path: Path) -> pd.DataFrame:
    """Every Parquet part of a sweep folder as one table (as ``pandas.read_parquet(DIR)``).

    Files named ``manifest*`` are skipped as well as those starting with ``.`` or ``_``, so a
    ``manifest.json`` beside the parts does not break reading.
    """
    import pyarrow.dataset as ds

    dataset = ds.dataset(
        path, format="parquet", partitioning="hive", ignore_prefixes=[".", "_", "manifest"]
    )
    return dataset.to_table().to_pandas()


def metric_by_key(
    frame: pd.DataFrame, metric: str, x: str, line: str | None = None
) -> pd.DataFrame:
    """Mean and 95% interval of the mean of ``metric`` per value of ``x`` (and ``line``).

    Returns:
        Columns ``x``, ``line`` (if given), ``mean``, ``low``, ``high``, ``runs``.
    """
    keys = [x] if line is None or line == x else [line, x]
    rows = []
    for group, part in frame.groupby(keys, sort=True, dropna=False):
        values = part[metric].to_numpy(dtype=np.float64)
        n = len(values)
        mean = float(values.mean())
        half = (
            float(stats.t.ppf(0.975, n - 1)) * float(values.std(ddof=1)) / math.sqrt(n)
            if n > 1
            else 0.0
        )
        labels = group if isinstance(group, tuple) else (group,)
        rows.append(
            {
                **dict(zip(keys, labels, strict=True)),
                "mean": mean,
                "low": mean - half,
                "high": mean + half,
                "runs": n,
            }
        )
    return pd.DataFrame(rows)
