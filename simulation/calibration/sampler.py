"""A pyabc sampler whose result depends on the seed only, not on how many workers run it.

pyabc's own parallel samplers reseed every worker from the operating system, so two fits with the
same data differ. Here evaluation ``i`` of the sampler's ``c``-th call draws its parameters and
its simulation seed from NumPy's global generator seeded with ``(seed, c, i)``, and a generation
keeps, in evaluation order, every evaluation up to the one that makes ``n`` accepted — the rule
pyabc's ``EPSMixin`` uses to avoid favouring fast simulations. So one process and any number of
Dask workers accept the same particles: the fit is a function of ``--seed``.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from typing import Any

import cloudpickle
import numpy as np
from pyabc.sampler import Sampler

__all__ = ["FitStoppedError", "SeededSampler"]

# Per worker process: the last generation's simulate function, unpickled once.
_WORKER_CACHE: dict[str, Callable[[], Any]] = {}


class FitStoppedError(Exception):
    """The fit was asked to stop (the app's Cancel button)."""


def _seed_globals(seed: int, call: int, evaluation: int) -> None:
    state = np.random.SeedSequence([seed, call, evaluation]).generate_state(4)
    np.random.seed(state)  # noqa: NPY002 (pyabc's transitions draw from the global generator)
    random.seed(int(state[0]))


def _evaluate(simulate_one: Callable[[], Any], seed: int, call: int, ids: range) -> list[Any]:
    results = []
    for i in ids:
        _seed_globals(seed, call, i)
        results.append(simulate_one())
    return results


def _evaluate_remote(token: str, payload: bytes, seed: int, call: int, ids: range) -> list[Any]:
    """Run on a Dask worker: unpickle the generation's function once, then evaluate ``ids``."""
    import numba

    numba.set_num_threads(1)  # one worker, one core: the cluster already uses every core
    if token not in _WORKER_CACHE:
        _WORKER_CACHE.clear()
        _WORKER_CACHE[token] = cloudpickle.loads(payload)
    return _evaluate(_WORKER_CACHE[token], seed, call, ids)


class SeededSampler(Sampler):
    """Evaluate particles in this process or on a Dask cluster, reproducibly from ``seed``.

    Args:
        seed: The fit's seed.
        client: A ``distributed.Client``, or ``None`` to evaluate in this process.
        budget: Most evaluations in all (a generation that would pass it stops the fit).
        batch: Evaluations per Dask task (fewer round trips for fast simulations).
        progress: Called with (evaluations so far, budget) as batches finish.
        stop: Polled between evaluations; when it returns true, :class:`FitStoppedError` is raised.

    Attributes:
        evaluations: Evaluations used so far (those a generation kept, accepted or not).
    """

    def __init__(
        self,
        seed: int,
        client: Any = None,
        *,
        budget: float = np.inf,
        batch: int = 8,
        progress: Callable[[int, float], None] | None = None,
        stop: Callable[[], bool] | None = None,
    ) -> None:
        super().__init__()
        self.seed = seed
        self.client = client
        self.budget = budget
        self.batch = batch
        self.progress = progress
        self.should_stop = stop
        self.evaluations = 0
        self._calls = 0

    def sample_until_n_accepted(
        self,
        n: int,
        simulate_one: Callable[[], Any],
        t: int,
        *,
        max_eval: float = np.inf,
        all_accepted: bool = False,
        ana_vars: Any = None,
    ) -> Any:
        """Evaluate until ``n`` are accepted; see the module docstring for the order."""
        call = self._calls
        self._calls += 1
        limit = min(max_eval, self.budget - self.evaluations)
        if self.client is None:
            kept = self._in_process(n, simulate_one, call, limit)
        else:
            kept = self._on_dask(n, simulate_one, call, limit)
        sample = self._create_empty_sample()
        for particle in kept:
            sample.append(particle)
        self.nr_evaluations_ = len(kept)
        self.evaluations += len(kept)
        if sample.n_accepted < n:
            sample.ok = False
        if self.progress is not None:
            self.progress(self.evaluations, self.budget)
        return sample

    def _in_process(
        self, n: int, simulate_one: Callable[[], Any], call: int, limit: float
    ) -> list[Any]:
        kept: list[Any] = []
        accepted = 0
        while accepted < n and len(kept) < limit:
            if self.should_stop is not None and self.should_stop():
                raise FitStoppedError
            (particle,) = _evaluate(simulate_one, self.seed, call, range(len(kept), len(kept) + 1))
            kept.append(particle)
            accepted += particle.accepted
            if self.progress is not None and len(kept) % 64 == 0:
                self.progress(self.evaluations + len(kept), self.budget)
        return kept

    def _on_dask(self, n: int, simulate_one: Callable[[], Any], call: int, limit: float) -> list:
        from distributed import as_completed

        token = uuid.uuid4().hex
        [payload] = self.client.scatter([cloudpickle.dumps(simulate_one)], broadcast=True)
        cores = max(1, sum(self.client.nthreads().values()))
        ids_of: dict[str, range] = {}
        results: dict[int, Any] = {}
        next_id = 0
        scanned = accepted = 0  # evaluations 0 .. scanned - 1 are back and counted
        done = False

        def submit() -> Any:
            nonlocal next_id
            ids = range(next_id, int(min(next_id + self.batch, limit)))
            next_id = ids.stop
            future = self.client.submit(
                _evaluate_remote, token, payload, self.seed, call, ids, pure=False
            )
            ids_of[future.key] = ids
            return future

        running = as_completed([submit() for _ in range(2 * cores) if next_id < limit])
        for future in running:
            if self.should_stop is not None and self.should_stop():
                for pending in list(running.futures):
                    pending.cancel()
                raise FitStoppedError
            for i, particle in zip(ids_of.pop(future.key), future.result(), strict=True):
                results[i] = particle
            while not done and scanned in results:
                accepted += results[scanned].accepted
                scanned += 1
                done = accepted >= n
            if self.progress is not None:
                self.progress(self.evaluations + scanned, self.budget)
            if done or scanned >= limit:
                break
            if next_id < limit:
                running.add(submit())
        for future in list(running.futures):
            future.cancel()
        return [results[i] for i in range(scanned)]
