"""Summary statistics of a cascade's cumulative timelines, for comparing a simulation with data.

Counts in a cascade are heavy-tailed (one run reaches 300 people, the next 3,000), so levels are
compared on a log scale. Three families, all at the steps where the data has a value:

- level: ``log(1 + count)`` of each observed metric at each observed step (the timeline and the
  final size);
- shape: ``(1 + count at a step) / (1 + count at the metric's last observed step)``, the timeline
  as a fraction of its final value, which separates how fast a campaign spreads (novelty decay,
  imitation) from how far (stickiness, appeal);
- ratios: ``log(1 + a) - log(1 + b)`` of the final values of every pair of observed metrics (the
  engagement rate ``engagements / reach``, clicks per sharer, ...), which pin down the funnel's
  probabilities.

pyabc's adaptive distance then scales each statistic by its spread over the simulations, so no
family dominates because of its units (Prangle 2017, *Adapting the ABC distance function*).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulation.calibration.observed import Observed

__all__ = ["SummaryPlan"]


@dataclass(frozen=True)
class SummaryPlan:
    """Which steps of which metrics the statistics read.

    Attributes:
        steps: Metric -> the steps where it was observed, ascending.
    """

    steps: dict[str, np.ndarray]

    @classmethod
    def of(cls, observed: Observed) -> SummaryPlan:
        """The plan for an observation: every observed point."""
        return cls({m: observed.points(m)[0] for m in observed.metrics})

    @property
    def size(self) -> int:
        """Number of statistics."""
        points = sum(len(s) for s in self.steps.values())
        shapes = sum(len(s) - 1 for s in self.steps.values())
        k = len(self.steps)
        return points + shapes + k * (k - 1) // 2

    def labels(self) -> list[str]:
        """A name per statistic, in order (for reading pyabc's weights)."""
        names = [f"level {m} @{s}" for m, steps in self.steps.items() for s in steps]
        names += [f"shape {m} @{s}" for m, steps in self.steps.items() for s in steps[:-1]]
        metrics = list(self.steps)
        names += [f"ratio {a}/{b}" for i, a in enumerate(metrics) for b in metrics[i + 1 :]]
        return names

    def observed(self, observed: Observed) -> np.ndarray:
        """The statistics of the observation."""
        return self._statistics({m: observed.points(m)[1] for m in self.steps})

    def simulated(self, timeline: dict[str, np.ndarray]) -> np.ndarray:
        """The statistics of one replicate's timelines.

        A timeline's index is the step; a run that ended early keeps its final value.
        """
        values = {}
        for metric, steps in self.steps.items():
            line = np.asarray(timeline[metric], float)
            values[metric] = line[np.minimum(steps, len(line) - 1)]
        return self._statistics(values)

    def _statistics(self, values: dict[str, np.ndarray]) -> np.ndarray:
        levels = [np.log1p(v) for v in values.values()]
        shapes = [(1 + v[:-1]) / (1 + v[-1]) for v in values.values()]
        finals = [np.log1p(v[-1]) for v in values.values()]
        ratios = [a - b for i, a in enumerate(finals) for b in finals[i + 1 :]]
        return np.concatenate([*levels, *shapes, np.asarray(ratios, float)])
