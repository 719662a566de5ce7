"""The keys a fit learns and their priors: ``--fit KEY=LOW..HIGH`` (uniform) or ``...:log``.

A prior names a dotted scenario key (``content.stickiness``, ``diffusion.imitation``,
``seeding.budget``) and the range the fit may search. ``KEY=LOW..HIGH`` is uniform over the range;
``KEY=LOW..HIGH:log`` is log-uniform (uniform in ``log(value)``; needs ``LOW > 0``), for keys whose
plausible values span orders of magnitude. Keys holding whole numbers (``seeding.budget``,
``content.half_life`` when written as an integer) are fitted as reals and rounded when simulated.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from simulation.errors import ScenarioError
from simulation.scenario import Scenario

__all__ = ["Prior", "check_priors", "parse_prior"]

_SYNTAX = "expected KEY=LOW..HIGH or KEY=LOW..HIGH:log, e.g. content.stickiness=0.05..0.5"
_FIT_RE = re.compile(r"^\s*([^=\s]+)\s*=\s*([^.:\s][^:]*?)\s*\.\.\s*([^:]+?)\s*(?::\s*(\w+))?\s*$")


@dataclass(frozen=True)
class Prior:
    """A fitted key and its prior.

    Attributes:
        key: Dotted scenario key, e.g. ``content.stickiness``.
        low: Smallest value the fit considers.
        high: Largest value the fit considers.
        log: Log-uniform (uniform in ``log(value)``) instead of uniform.
        integer: The key holds whole numbers; values are rounded before simulating.
    """

    key: str
    low: float
    high: float
    log: bool = False
    integer: bool = False

    @property
    def bounds(self) -> tuple[float, float]:
        """The range on the scale the sampler works in (``log`` of the values if log-uniform)."""
        if self.log:
            return math.log(self.low), math.log(self.high)
        return self.low, self.high

    def value(self, sampled: float) -> float | int:
        """The scenario value of a sample on the sampler's scale (exp'd, rounded as needed)."""
        x = math.exp(sampled) if self.log else float(sampled)
        x = min(max(x, self.low), self.high)
        return round(x) if self.integer else x

    def describe(self) -> str:
        """The prior as written on the command line."""
        return f"{self.key}={self.low:g}..{self.high:g}" + (":log" if self.log else "")


def parse_prior(text: str, *, source: str = "--fit") -> Prior:
    """Parse ``KEY=LOW..HIGH`` or ``KEY=LOW..HIGH:log``.

    Raises:
        ScenarioError: bad syntax, non-numeric bounds, ``LOW >= HIGH``, or ``LOW <= 0`` with
            ``:log``; the message quotes what was typed.
    """
    match = _FIT_RE.match(text)
    if not match:
        raise ScenarioError.single(f"{_SYNTAX}; got {text!r}", source=source)
    key, low_text, high_text, scale = match.groups()
    bounds = []
    for bound in (low_text, high_text):
        try:
            number = float(bound)
        except ValueError:
            raise ScenarioError.single(
                f"{bound!r} is not a number ({_SYNTAX})", key=key, source=source
            ) from None
        if not math.isfinite(number):
            raise ScenarioError.single(f"{bound!r} is not a finite number", key=key, source=source)
        bounds.append(number)
    low, high = bounds
    if scale not in (None, "log", "uniform"):
        raise ScenarioError.single(
            f"unknown prior scale {scale!r}: write :log for log-uniform, nothing for uniform",
            key=key,
            source=source,
        )
    if low >= high:
        raise ScenarioError.single(
            f"LOW must be below HIGH, got {low:g}..{high:g}", key=key, source=source
        )
    if scale == "log" and low <= 0:
        raise ScenarioError.single(
            f"a log-uniform prior needs LOW > 0, got {low:g}", key=key, source=source
        )
    return Prior(key=key, low=low, high=high, log=scale == "log")


def _current(data: dict[str, Any], dotted: str) -> tuple[bool, Any]:
    """(present, value) of a dotted key in scenario data."""
    node: Any = data
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return False, None
        node = node[part]
    return True, node


def check_priors(scenario: Scenario, priors: list[Prior], *, source: str = "--fit") -> list[Prior]:
    """Check that every prior names a numeric key and that its whole range is valid.

    Returns:
        The priors, with ``integer`` set for keys that hold whole numbers.

    Raises:
        ScenarioError: a key given twice, a key the scenario does not have, a key whose value is
            not a number (a name, a list, a table), or a bound outside the key's valid range.
    """
    if not priors:
        raise ScenarioError.single("give at least one --fit KEY=LOW..HIGH", source=source)
    keys = [p.key for p in priors]
    repeated = sorted({k for k in keys if keys.count(k) > 1})
    if repeated:
        raise ScenarioError.single(
            f"fitted more than once: {', '.join(repeated)}", key=repeated[0], source=source
        )
    data = scenario.to_toml_dict()
    checked = []
    for prior in priors:
        present, value = _current(data, prior.key)
        if present and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise ScenarioError.single(
                f"cannot be fitted: its value {value!r} is not a number",
                key=prior.key,
                source=source,
            )
        integer = present and isinstance(value, int)
        if not present:
            integer = not _accepts(scenario, prior.key, (prior.low + prior.high) / 2) and _accepts(
                scenario, prior.key, round((prior.low + prior.high) / 2)
            )
        checked.append(Prior(prior.key, prior.low, prior.high, prior.log, integer=integer))
    # Every bound must be a valid value with the other fitted keys at their low bounds, so a
    # range that is wrong in itself is named with its key, bound and the rule it breaks. (Keys
    # bound together, like innovation + imitation <= 1, can still make some combinations
    # invalid: the simulator rejects those samples.)
    lows = {p.key: round(p.low) if p.integer else p.low for p in checked}
    for prior in checked:
        for bound in (prior.low, prior.high):
            value = round(bound) if prior.integer else bound
            try:
                scenario.with_overrides({**lows, prior.key: value}, source=source)
            except ScenarioError as error:
                reason = "; ".join(p.message for p in error.problems)
                raise ScenarioError.single(
                    f"{bound:g} is not a valid value: {reason}", key=prior.key, source=source
                ) from None
    return checked


def _accepts(scenario: Scenario, key: str, value: Any) -> bool:
    try:
        scenario.with_overrides({key: value})
    except ScenarioError:
        return False
    return True
