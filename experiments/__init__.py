"""Experiments: parameter sweeps of scenarios, run on Dask, written as Parquet.

An experiment file names a base scenario and the keys to vary (:mod:`experiments.design`);
:func:`~experiments.sweep.run_sweep` runs every replicate of every design point on a Dask
cluster and writes them as Parquet; :func:`~experiments.report.make_report` summarises them.
The ``wom sweep`` and ``wom report`` commands are thin doors onto these.
"""

from __future__ import annotations

__all__ = ["load_experiment", "make_report", "run_sweep"]


def __getattr__(name: str):
    # Imported on first use: `wom run` must not pay for Dask, pyarrow or matplotlib.
    if name == "load_experiment":
        from experiments.design import load_experiment

        return load_experiment
    if name == "run_sweep":
        from experiments.sweep import run_sweep

        return run_sweep
    if name == "make_report":
        from experiments.report import make_report

        return make_report
    raise AttributeError(name)
