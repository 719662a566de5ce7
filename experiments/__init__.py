"""Experiments: parameter sweeps of scenarios, run on Dask, written as Parquet."""
