"""Calibration: learn a campaign's keys from what was observed (``wom fit``), then ask what-if.

- :mod:`~simulation.calibration.observed` reads the observed CSV;
- :mod:`~simulation.calibration.priors` parses ``--fit KEY=LOW..HIGH[:log]``;
- :mod:`~simulation.calibration.summaries` turns timelines into summary statistics;
- :mod:`~simulation.calibration.fit` runs ABC-SMC (pyabc) with the kernel as simulator;
- :mod:`~simulation.calibration.sampler` makes that reproducible on any number of Dask workers;
- :mod:`~simulation.calibration.output` writes and reads a fit's folder, and runs replicates
  that draw their keys from a posterior (``wom run --posterior``).
"""

from __future__ import annotations

from simulation.calibration.fit import DEFAULT_BUDGET, Fit, fit
from simulation.calibration.observed import Observed, parse_observed, read_observed
from simulation.calibration.priors import Prior, parse_prior

__all__ = [
    "DEFAULT_BUDGET",
    "Fit",
    "Observed",
    "Prior",
    "fit",
    "parse_observed",
    "parse_prior",
    "read_observed",
]
