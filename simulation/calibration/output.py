"""A fit's folder: written by ``wom fit --out DIR``, read by ``wom run --posterior DIR``.

``DIR`` holds:

- ``posterior.parquet``: the last ABC-SMC generation, a row per particle: a column per fitted key
  (named as the dotted key, in scenario units) and ``weight`` (the weights sum to 1);
- ``fit.json``: ``{"params": {KEY: {"median", "ci90": [5%, 95%], "mean", "prior"}},
  "simulations", "generations", "epsilons", "population", "budget", "seed", "metrics",
  "observed", "predictive", "notes", ...}``;
- ``fitted.toml``: the scenario at the posterior medians, ready for ``wom run``;
- ``fit.png``: the posterior marginals and the posterior predictive bands over the observations;
- ``observed.csv``: a copy of the observations that were fitted.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from simulation.calibration.fit import Fit
from simulation.errors import ScenarioError
from simulation.scenario import Scenario

__all__ = ["Posterior", "fit_document", "read_posterior", "simulate_posterior", "write_fit"]


def _write_text(path: Path, text: str) -> None:
    """Write through a temporary file, so a reader never sees half a file."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def fit_document(result: Fit) -> dict[str, Any]:
    """The ``fit.json`` document."""
    return {
        "scenario": result.scenario.name,
        "scenario_file": result.scenario.source,
        "observed_file": result.observed.source,
        "params": result.summary(),
        "simulations": result.simulations,
        "generations": result.generations,
        "population": result.population,
        "budget": result.budget,
        "seed": result.seed,
        "epsilons": result.epsilons,
        "metrics": result.observed.metrics,
        "observed": {
            m: {"step": s.tolist(), "value": v.tolist()}
            for m in result.observed.metrics
            for s, v in [result.observed.points(m)]
        },
        "predictive": result.predictive,
        "notes": result.notes,
        "seconds": round(result.seconds, 2),
        "versions": {name: _version(name) for name in ("wom-sim", "pyabc")},
    }


def _version(package: str) -> str:
    try:
        return version(package)
    except PackageNotFoundError:
        return "unknown"


def write_fit(result: Fit, out: Path) -> list[Path]:
    """Write the fit's folder (see the module docstring); return the files written."""
    import tomli_w

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    posterior = out / "posterior.parquet"
    tmp = out / ".posterior.parquet.tmp"
    result.posterior.to_parquet(tmp, index=False)
    os.replace(tmp, posterior)
    document = out / "fit.json"
    _write_text(document, json.dumps(fit_document(result), indent=1) + "\n")
    fitted = out / "fitted.toml"
    header = (
        f"# {result.scenario.name}, fitted by `wom fit` to {Path(result.observed.source).name}:\n"
        f"# {', '.join(p.key for p in result.priors)} at their posterior medians (see fit.json).\n"
    )
    _write_text(fitted, header + tomli_w.dumps(_portable(result.fitted, out)))
    observed = out / "observed.csv"
    _write_text(observed, result.observed.to_csv())
    figure = out / "fit.png"
    from simulation.calibration.figure import draw_fit

    draw_fit(result, figure)
    return [posterior, document, fitted, figure, observed]


def _portable(scenario: Scenario, out: Path) -> dict[str, Any]:
    """TOML data whose edge-list path still points at the file from ``out``."""
    data = scenario.to_toml_dict()
    network = data.get("network", {})
    if isinstance(network.get("path"), str) and not Path(network["path"]).is_absolute():
        target = (Path(scenario.base_dir) / network["path"]).resolve()
        network["path"] = os.path.relpath(target, out.resolve())
    return data


@dataclass(frozen=True)
class Posterior:
    """Posterior samples read from a fit's folder.

    Attributes:
        keys: The fitted dotted keys.
        values: ``float[particles, keys]`` in scenario units.
        weights: ``float[particles]``, summing to 1.
        source: The folder.
    """

    keys: list[str]
    values: np.ndarray
    weights: np.ndarray
    source: str

    def draw(self, seed: int, run: int) -> dict[str, Any]:
        """Replicate ``run``'s keys.

        A particle drawn with probability equal to its weight by a generator seeded with
        ``(seed, run)``, so a replicate is a function of its index.
        """
        rng = np.random.default_rng([seed, run, 0x706F])
        row = self.values[rng.choice(len(self.weights), p=self.weights)]
        return {key: _plain(x) for key, x in zip(self.keys, row, strict=True)}


def _plain(x: float) -> float | int:
    return int(x) if float(x).is_integer() else float(x)


def read_posterior(folder: str | Path) -> Posterior:
    """Read ``FOLDER/posterior.parquet`` (a ``wom fit --out`` folder, or the file itself).

    Raises:
        ScenarioError: the folder or file is missing or unreadable, or its table has no
            ``weight`` column, no key column, or values that are not finite numbers.
    """
    path = Path(folder)
    if path.is_dir():
        path = path / "posterior.parquet"
    source = str(path)
    if not path.is_file():
        raise ScenarioError.single(
            "no posterior here: give the --out folder of a `wom fit`", source=source
        )
    try:
        frame = pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises several types for a file that is not Parquet
        raise ScenarioError.single(f"not a readable Parquet table: {exc}", source=source) from None
    if "weight" not in frame.columns:
        raise ScenarioError.single("no 'weight' column", source=source)
    keys = [c for c in frame.columns if c != "weight"]
    if not keys or frame.empty:
        raise ScenarioError.single("no fitted key columns or no rows", source=source)
    try:
        values = frame[keys].to_numpy(float)
        weights = frame["weight"].to_numpy(float)
    except (TypeError, ValueError):
        raise ScenarioError.single(
            "a column holds something other than numbers", source=source
        ) from None
    if not (np.isfinite(values).all() and np.isfinite(weights).all()) or (weights < 0).any():
        raise ScenarioError.single("values must be finite and weights >= 0", source=source)
    if weights.sum() <= 0:
        raise ScenarioError.single("the weights add up to 0", source=source)
    return Posterior(keys, values, weights / weights.sum(), source)


def simulate_posterior(
    scenario: Scenario,
    posterior: Posterior,
    *,
    runs: int | None = None,
    seed: int | None = None,
    metrics: list[str] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Any:
    """Replicates whose keys come from a posterior: intervals include not knowing the keys.

    Replicate ``r`` sets the fitted keys to :meth:`Posterior.draw` ``(seed, r)`` and then is the
    scenario's replicate ``r`` (same seed, same index), so it is a function of (scenario,
    posterior, seed, r).

    Returns:
        A :class:`~simulation.engine.RunResult` over all replicates (timelines are means over
        replicates, each padded with its final value).

    Raises:
        ScenarioError: a posterior key the scenario does not have, or a value it rejects.
    """
    from simulation.engine import RunResult, prepare, simulate

    runs = scenario.runs if runs is None else runs
    seed = scenario.seed if seed is None else seed
    rebuild = any(k.startswith("network.") for k in posterior.keys)
    graph = None if rebuild else prepare(scenario).graph
    results = []
    prepared: dict[tuple, tuple[Scenario, Any]] = {}  # a particle drawn again is ready
    for run in range(runs):
        draw = posterior.draw(seed, run)
        key = tuple(draw.values())
        if key not in prepared:
            try:
                variant = scenario.with_overrides(draw, source=posterior.source)
            except ScenarioError as error:
                raise error.with_source(posterior.source) from None
            prepared[key] = (variant, prepare(variant, graph))
        variant, ready = prepared[key]
        results.append(
            simulate(variant, runs=1, seed=seed, first_run=run, metrics=metrics, prepared=ready)
        )
        if progress is not None:
            progress(run + 1, runs)
    first = results[0]
    values = {m: np.concatenate([r.values[m] for r in results]) for m in first.metrics}
    longest = max((len(line) for r in results for line in r.timeline.values()), default=0)
    timeline = {
        m: np.mean([_padded(r.timeline[m], longest) for r in results], axis=0)
        for m in first.timeline
    }
    return RunResult(
        scenario=scenario,
        nodes=first.nodes,
        edges=first.edges,
        runs=runs,
        seed=seed,
        first_run=0,
        metrics=first.metrics,
        values=values,
        timeline=timeline,
        lengths=np.concatenate([r.lengths for r in results]),
        warnings=list(first.warnings),
    )


def _padded(line: np.ndarray, length: int) -> np.ndarray:
    line = np.asarray(line, float)
    return np.concatenate([line, np.full(length - len(line), line[-1])])
