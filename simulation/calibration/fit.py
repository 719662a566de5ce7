"""Fit scenario keys to an observed campaign by ABC-SMC (pyabc), with the kernel as simulator.

Approximate Bayesian computation needs no likelihood, only a simulator: draw keys from the prior,
simulate one replicate, keep the draw when its summary statistics
(:mod:`simulation.calibration.summaries`) are close to the observed ones. Sequential Monte Carlo
(Toni et al. 2009; Beaumont et al. 2009; pyabc: Schälte et al. 2022) repeats this over
generations with a shrinking tolerance, proposing from the previous generation's particles, so
the accepted particles approach the posterior. The result is a weighted sample of the keys.

Every particle runs one replicate with its own seed; a particle's draw, seed and fate are a
function of ``--seed`` alone (see :mod:`simulation.calibration.sampler`).
"""

from __future__ import annotations

import contextlib
import logging
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from simulation.calibration.observed import Observed
from simulation.calibration.priors import Prior, check_priors
from simulation.calibration.sampler import SeededSampler
from simulation.calibration.summaries import SummaryPlan
from simulation.cluster import dask_client
from simulation.errors import Problem, ScenarioError
from simulation.scenario import Scenario

__all__ = ["DEFAULT_BUDGET", "Fit", "Simulator", "check_observed", "fit", "weighted_quantiles"]

DEFAULT_BUDGET = 4000
PREDICTIVE_DRAWS = 100
# Keys that say how to run, not what happens: fitting them means nothing.
_NOT_PARAMETERS = {"name", "description", "seed", "runs", "steps", "brand"}
# Metrics that count distinct people: never more than the network has.
_PEOPLE_COUNTS = {"sharers", "reach"}
# Statistics of a sample whose keys together make no valid scenario (say innovation + imitation
# above 1): far from any data, so such a sample is never accepted.
_INVALID = 1e6


class Simulator:
    """One replicate's summary statistics at given keys: pyabc's model (picklable for Dask).

    Args:
        scenario: The scenario (its ``steps`` cut to the last observed step).
        priors: The fitted keys.
        plan: The statistics to compute.
        graph: The scenario's graph, reused when no fitted key changes the network.
    """

    def __init__(
        self, scenario: Scenario, priors: list[Prior], plan: SummaryPlan, graph: Any
    ) -> None:
        self.scenario = scenario
        self.priors = priors
        self.plan = plan
        self.graph = None if any(p.key.startswith("network.") for p in priors) else graph

    def scenario_at(self, values: dict[str, float | int]) -> Scenario:
        """The scenario with the fitted keys set to scenario ``values``."""
        return self.scenario.with_overrides(values, source="--fit")

    def timeline(self, values: dict[str, float | int], seed: int, run: int = 0) -> dict:
        """Replicate ``run``'s cumulative timelines of the observed metrics at ``values``."""
        from simulation.engine import prepare, simulate

        scenario = self.scenario_at(values)
        prepared = prepare(scenario, self.graph)
        result = simulate(
            scenario,
            runs=1,
            seed=seed,
            first_run=run,
            metrics=list(self.plan.steps),
            prepared=prepared,
        )
        return result.timeline

    def __call__(self, params: dict[str, float]) -> dict[str, np.ndarray]:
        """The model pyabc calls: parameters ``p0, p1, ...`` (sampler scale) -> ``{"s": stats}``."""
        values = {p.key: p.value(params[f"p{i}"]) for i, p in enumerate(self.priors)}
        # The sampler seeds NumPy's global generator for each evaluation (see sampler.py).
        seed = int(np.random.randint(0, 2**63 - 1, dtype=np.int64))  # noqa: NPY002
        try:
            timeline = self.timeline(values, seed)
        except ScenarioError:
            return {"s": np.full(self.plan.size, _INVALID)}
        return {"s": self.plan.simulated(timeline)}


@dataclass
class Fit:
    """The outcome of :func:`fit`.

    Attributes:
        scenario: The scenario that was fitted (as given).
        fitted: The scenario at the posterior medians.
        observed: The observation.
        priors: The fitted keys.
        posterior: A row per particle: a column per key (scenario values) and ``weight``
            (summing to 1).
        simulations: Replicates simulated by the inference (every generation, calibration
            included; not the predictive draws).
        generations: Accepted ABC-SMC generations.
        epsilons: Each generation's tolerance.
        predictive: Metric -> ``{"step", "p05", "p50", "p95"}``: the posterior predictive
            timelines (percentiles over replicates at posterior draws).
        seed: The fit's seed.
        seconds: Wall time.
        notes: Things the user should know (a budget that ended the fit early, ...).
    """

    scenario: Scenario
    fitted: Scenario
    observed: Observed
    priors: list[Prior]
    posterior: pd.DataFrame
    simulations: int
    generations: int
    epsilons: list[float]
    predictive: dict[str, dict[str, list[float]]]
    seed: int
    budget: int
    population: int
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, dict[str, Any]]:
        """Key -> ``{"median", "ci90": [5%, 95%], "mean"}`` of the weighted posterior."""
        weights = self.posterior["weight"].to_numpy()
        out = {}
        for prior in self.priors:
            values = self.posterior[prior.key].to_numpy(float)
            low, median, high = weighted_quantiles(values, weights, [0.05, 0.5, 0.95])
            out[prior.key] = {
                "median": _number(median, prior.integer),
                "ci90": [_number(low, prior.integer), _number(high, prior.integer)],
                "mean": float(np.average(values, weights=weights)),
                "prior": prior.describe(),
            }
        return out


def _number(x: float, integer: bool) -> float | int:
    return round(x) if integer else float(x)


def weighted_quantiles(values: np.ndarray, weights: np.ndarray, q: list[float]) -> np.ndarray:
    """Quantiles of a weighted sample (the inverse of its weighted empirical CDF)."""
    return np.quantile(values, q, weights=weights, method="inverted_cdf")


def check_observed(observed: Observed, scenario: Scenario, prepared: Any = None) -> None:
    """Check the observed columns are metrics of the scenario with a cumulative timeline.

    Args:
        observed: The observation.
        scenario: The scenario it is to be fitted with.
        prepared: ``prepare(scenario)``, if already built (it is built otherwise).

    Raises:
        ScenarioError: naming the file and the column: an unknown metric, one without a
            timeline, or more sharers or reach than the network has people.
    """
    from simulation.engine import prepare, simulate
    from simulation.metrics import resolve_metrics

    source = observed.source
    try:
        resolve_metrics(observed.metrics, scenario.segment_names, scenario=scenario, source=source)
    except ScenarioError as error:
        raise ScenarioError(
            [
                Problem(f"column: {p.message}", key=p.key, line=1, source=source)
                for p in error.problems
            ]
        ) from None
    prepared = prepared if prepared is not None else prepare(scenario)
    result = simulate(scenario, runs=1, seed=0, metrics=observed.metrics, prepared=prepared)
    flat = [m for m in observed.metrics if m not in result.timeline]
    if flat:
        raise ScenarioError.single(
            f"column '{flat[0]}': this metric has no timeline (per step), so it cannot be "
            "observed per step; use a cumulative count such as sharers, reach or engagements",
            line=1,
            source=source,
        )
    people = prepared.graph.n
    for metric in observed.metrics:
        if metric.split("[", 1)[0] in _PEOPLE_COUNTS:
            largest = float(np.nanmax(observed.values[metric]))
            if largest > people:
                raise ScenarioError.single(
                    f"column '{metric}': {largest:,.0f} is more people than the scenario's "
                    f"network has ({people:,}); make [network] as large as the audience",
                    source=source,
                )


def fit(
    scenario: Scenario,
    observed: Observed,
    priors: list[Prior],
    *,
    budget: int = DEFAULT_BUDGET,
    seed: int | None = None,
    population: int | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    client: Any = None,
    progress: Callable[[int, float], None] | None = None,
    stop: Callable[[], bool] | None = None,
) -> Fit:
    """Fit ``priors``' keys of ``scenario`` to ``observed`` by ABC-SMC.

    Args:
        scenario: The scenario to fit (everything not fitted stays as it is).
        observed: The observed cumulative timelines.
        priors: The keys to fit and their ranges.
        budget: Most replicates the inference simulates.
        seed: The fit's seed (default: the scenario's).
        population: Particles per generation (default: from the budget, 100 to 500).
        workers: Local Dask worker processes; 1 runs in this process (default: one per core).
        scheduler: Address of an existing Dask cluster to use instead.
        client: An existing ``distributed.Client`` to use instead (tests, benchmarks, the app).
        progress: Called with (replicates simulated, budget) as the fit goes.
        stop: Polled between simulations; when it returns true the fit raises
            :class:`~simulation.calibration.sampler.FitStoppedError`.

    Raises:
        ScenarioError: a bad key or range, an observed column that is not a timeline metric, an
            observed step beyond what can be simulated, or a budget too small for one generation.
    """
    import pyabc

    started = time.perf_counter()
    seed = scenario.seed if seed is None else seed
    priors = check_priors(scenario, priors)
    for prior in priors:
        if prior.key in _NOT_PARAMETERS:
            raise ScenarioError.single(
                "says how to run a scenario, not what happens in it: it cannot be fitted",
                key=prior.key,
                source="--fit",
            )
    from simulation.engine import prepare

    try:
        horizon = scenario.with_overrides({"steps": max(1, observed.last_step)})
    except ScenarioError as error:
        reason = "; ".join(p.message for p in error.problems)
        raise ScenarioError.single(
            f"column 'step': step {observed.last_step:,} is more than a scenario may run "
            f"(steps: {reason})",
            source=observed.source,
        ) from None
    prepared = prepare(horizon)
    check_observed(observed, horizon, prepared)
    population = population or int(np.clip(budget // 20, 100, 500))
    if budget < 3 * population:
        raise ScenarioError.single(
            f"a budget of {budget} simulations is too small for generations of {population} "
            f"particles: give at least {3 * population}",
            source="--budget",
        )
    plan = SummaryPlan.of(observed)
    simulator = Simulator(horizon, priors, plan, prepared.graph)
    prior = pyabc.Distribution(
        **{
            f"p{i}": pyabc.RV("uniform", p.bounds[0], p.bounds[1] - p.bounds[0])
            for i, p in enumerate(priors)
        }
    )
    logging.getLogger("ABC").setLevel(logging.WARNING)
    # pyabc draws from NumPy's global generator (here: in the main process).
    np.random.seed(np.random.SeedSequence([seed, 0]).generate_state(4))  # noqa: NPY002
    with (
        _client(workers, scheduler, client) as dask,
        tempfile.TemporaryDirectory() as tmp,
        _one_thread(),
    ):
        sampler = SeededSampler(seed, dask, budget=budget, progress=progress, stop=stop)
        abc = pyabc.ABCSMC(
            simulator,
            prior,
            pyabc.AdaptivePNormDistance(p=2),
            population_size=population,
            sampler=sampler,
        )
        abc.new(f"sqlite:///{Path(tmp) / 'abc.db'}", {"s": plan.observed(observed)})
        history = abc.run(max_total_nr_simulations=budget, max_nr_populations=40)
        if history.max_t < 0:
            raise ScenarioError.single(
                f"the budget of {budget} simulations ran out before the first generation of "
                f"{population} particles was accepted; raise --budget or widen the ranges",
                source="--budget",
            )
        frame, weights = history.get_distribution(m=0, t=history.max_t)
        epsilons = history.get_all_populations()
        epsilons = [float(e) for e in epsilons.loc[epsilons["t"] >= 0, "epsilon"]]
        generations = history.max_t + 1
    posterior = pd.DataFrame(
        {p.key: [p.value(x) for x in frame[f"p{i}"].to_numpy(float)] for i, p in enumerate(priors)}
    )
    posterior["weight"] = np.asarray(weights, float) / np.sum(weights)
    result = Fit(
        scenario=scenario,
        fitted=scenario,
        observed=observed,
        priors=priors,
        posterior=posterior,
        simulations=sampler.evaluations,
        generations=generations,
        epsilons=epsilons,
        predictive={},
        seed=seed,
        budget=budget,
        population=population,
    )
    if sampler.evaluations >= budget:
        result.notes.append(
            f"the fit stopped at its budget of {budget} simulations after "
            f"{result.generations} generations; a larger --budget narrows the posterior further"
        )
    result.fitted = _fitted(scenario, result, observed)
    with _one_thread():
        result.predictive = predictive(simulator, result)
    result.seconds = time.perf_counter() - started
    return result


def _fitted(scenario: Scenario, result: Fit, observed: Observed) -> Scenario:
    """The scenario at the posterior medians (long enough to cover the observed steps)."""
    medians = {key: s["median"] for key, s in result.summary().items()}
    if observed.last_step > scenario.steps:
        medians["steps"] = observed.last_step
    try:
        return scenario.with_overrides(medians, source="posterior medians")
    except ScenarioError:
        # The medians of keys bound together (innovation + imitation <= 1) can break the bond;
        # the particle of highest weight never does.
        best = result.posterior.iloc[int(result.posterior["weight"].to_numpy().argmax())]
        values = {p.key: _number(best[p.key], p.integer) for p in result.priors}
        result.notes.append(
            "the posterior medians together are not a valid scenario; fitted.toml holds the "
            "particle of highest weight instead"
        )
        return scenario.with_overrides(values, source="posterior")


def predictive(
    simulator: Simulator, result: Fit, draws: int = PREDICTIVE_DRAWS
) -> dict[str, dict[str, list[float]]]:
    """Posterior predictive timelines: percentiles of replicates at posterior draws.

    Draw ``k`` picks a particle with probability equal to its weight and runs replicate ``k``
    of the fit's seed there.
    """
    rng = np.random.default_rng([result.seed, 1])
    posterior = result.posterior
    picks = rng.choice(len(posterior), size=draws, p=posterior["weight"].to_numpy())
    steps = result.observed.last_step + 1
    lines = {m: np.zeros((draws, steps)) for m in simulator.plan.steps}
    for k, row in enumerate(picks):
        values = {p.key: posterior[p.key].iloc[row] for p in result.priors}
        values = {p.key: _number(values[p.key], p.integer) for p in result.priors}
        try:
            timeline = simulator.timeline(values, result.seed, run=k)
        except ScenarioError:
            continue
        for metric, line in timeline.items():
            line = np.asarray(line, float)
            lines[metric][k] = line[np.minimum(np.arange(steps), len(line) - 1)]
    bands = {}
    for metric, table in lines.items():
        low, mid, high = np.percentile(table, [5, 50, 95], axis=0)
        bands[metric] = {
            "step": list(range(steps)),
            "p05": low.tolist(),
            "p50": mid.tolist(),
            "p95": high.tolist(),
        }
    return bands


@contextlib.contextmanager
def _one_thread() -> Iterator[None]:
    """Run the kernel on one thread while fitting.

    A particle is one replicate, and numba's idle threads spinning beside it cost more than they
    give (7x slower on a busy 2-core machine).
    """
    import numba

    threads = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        yield
    finally:
        numba.set_num_threads(threads)


@contextlib.contextmanager
def _client(workers: int | None, scheduler: str | None, client: Any) -> Iterator[Any]:
    """The Dask client to sample on, or ``None`` to sample in this process."""
    if client is not None:
        yield client
        return
    import dask.system

    if scheduler is None and (workers or dask.system.CPU_COUNT) == 1:
        yield None
        return
    # The same door to Dask as the sweeps': a --scheduler is asked who it is with a deadline.
    with dask_client(workers, scheduler) as dask:
        yield dask
