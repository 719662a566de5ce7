"""Textbook results drawn over simulated ones, where the scenario is a case they cover.

* Bass (1969) on a complete graph: F(t + 1) = F(t) + (1 - F(t)) (p + q F(t)).
* Independent cascade on an Erdos-Renyi graph is bond percolation (Newman 2002, PRE 66:016128):
  a large cascade reaches a share s of people with s = 1 - exp(-c T s), c the mean degree and
  T = visibility x appeal x stickiness the chance a tie passes the content on.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import optimize

from simulation.scenario import Scenario

__all__ = ["Overlay", "bass_curve", "overlay_for", "percolation_share"]


def bass_curve(innovation: float, imitation: float, start: float, steps: int) -> np.ndarray:
    """Share of adopters F(t), t = 0..steps, of the discrete Bass model from F(0) = ``start``.

    F(t + 1) = F(t) + (1 - F(t)) (p + q F(t)), with p = ``innovation``, q = ``imitation``.
    """
    share = np.empty(steps + 1)
    share[0] = start
    for t in range(steps):
        f = share[t]
        share[t + 1] = f + (1 - f) * (innovation + imitation * f)
    return share


def percolation_share(mean_degree: float, transmissibility: float) -> float:
    """Share s of people a large cascade reaches on G(n, c / n): the root of s = 1 - e^{-c T s}.

    Zero at or below the threshold c T <= 1 (Newman 2002).
    """
    r = mean_degree * transmissibility
    if r <= 1.0:
        return 0.0
    return float(optimize.brentq(lambda s: s - 1.0 + math.exp(-r * s), 1e-12, 1.0))


@dataclass(frozen=True)
class Overlay:
    """An analytic prediction for the number of sharers.

    Attributes:
        label: What it is, for a chart legend.
        timeline: Expected cumulative sharers per step (``None`` when only a final size).
        final: Expected final number of sharers.
    """

    label: str
    timeline: np.ndarray | None
    final: float


def overlay_for(scenario: Scenario) -> Overlay | None:
    """The analytic prediction for a scenario's sharers, if one applies exactly, else ``None``.

    Bass applies to rule ``bass`` on a ``complete`` network; percolation to rule ``cascade`` on
    ``erdos_renyi`` with no novelty decay and segment affinity 1 (the kernel's p is then exactly
    visibility x appeal x stickiness).
    """
    network, rule = scenario.network, scenario.diffusion.rule
    seeds = scenario.seeding.budget
    if rule == "bass" and network.kind == "complete":
        n = network.n
        curve = n * bass_curve(
            scenario.diffusion.innovation,
            scenario.diffusion.imitation,
            min(seeds, n) / n,
            scenario.steps,
        )
        return Overlay("Bass (1969) curve", curve, float(curve[-1]))
    plain = scenario.content.half_life is None and all(s.affinity == 1.0 for s in scenario.segments)
    if rule == "cascade" and network.kind == "erdos_renyi" and plain:
        content = scenario.content
        transmissibility = content.visibility * content.appeal * content.stickiness
        share = percolation_share(network.mean_degree, transmissibility)
        if share == 0.0:
            return None
        return Overlay("percolation theory, s = 1 - exp(-cTs)", None, share * network.n)
    return None
