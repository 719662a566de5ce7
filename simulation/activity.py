"""When people are online: ready-made activity profiles and the calendar of steps.

A step is an hour or a day (``[time] step``); step 0 falls at ``start_hour`` on ``start_day``.
An activity profile gives, for each hour of the day, the probability that a person checks their
feed during that hour, and for each weekday a factor on it; with daily steps only the weekday
factors count (the probability of checking the feed at all that day). The profiles here are
illustrative shapes (a working day, evenings, students' late nights, early risers), not
measurements: a brand with its own analytics writes ``activity_hours`` and ``activity_days``.

Nothing here is compiled: :func:`simulation.kernel_inputs.timing_inputs` turns a scenario's
profiles into the kernel's table of P(online) by step of the week and class of exposure.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = [
    "PROFILES",
    "WEEKDAYS",
    "Profile",
    "cycle_length",
    "online_cycle",
    "start_phase",
    "window",
]

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_EVERY_DAY = (1.0,) * 7


@dataclass(frozen=True)
class Profile:
    """P(checks the feed) in each hour of the day (0-23), and a factor for each weekday."""

    hours: tuple[float, ...]
    days: tuple[float, ...]
    description: str


def _hours(spans: dict[tuple[int, int], float], rest: float) -> tuple[float, ...]:
    """24 hourly values: ``rest`` except within each (first hour, last hour) span."""
    values = [rest] * 24
    for (first, last), value in spans.items():
        for hour in range(first, last + 1):
            values[hour] = value
    return tuple(values)


PROFILES: dict[str, Profile] = {
    "always": Profile((1.0,) * 24, _EVERY_DAY, "online every hour of every day"),
    "office": Profile(
        _hours(
            {
                (0, 5): 0.02,
                (7, 8): 0.4,
                (12, 13): 0.35,
                (17, 17): 0.3,
                (18, 21): 0.5,
                (22, 22): 0.3,
                (23, 23): 0.1,
            },
            0.15,
        ),
        (1.0, 1.0, 1.0, 1.0, 1.0, 0.9, 0.9),
        "working people: before work, at lunch and in the evening",
    ),
    "evening": Profile(
        _hours({(0, 6): 0.02, (7, 16): 0.1, (17, 18): 0.3, (19, 22): 0.6, (23, 23): 0.25}, 0.1),
        _EVERY_DAY,
        "mostly in the evening, every day",
    ),
    "student": Profile(
        _hours(
            {(0, 1): 0.4, (2, 3): 0.1, (4, 9): 0.02, (10, 15): 0.25, (16, 20): 0.35, (21, 23): 0.6},
            0.1,
        ),
        _EVERY_DAY,
        "late mornings to late nights",
    ),
    "early_bird": Profile(
        _hours({(0, 5): 0.01, (6, 10): 0.5, (11, 17): 0.3, (18, 20): 0.35, (21, 23): 0.05}, 0.1),
        _EVERY_DAY,
        "mornings and afternoons, early to bed (e.g. retirees)",
    ),
    "weekend": Profile(
        _hours({(0, 7): 0.02, (8, 22): 0.3, (23, 23): 0.1}, 0.1),
        (0.4, 0.4, 0.4, 0.4, 0.6, 1.0, 1.0),
        "mostly on weekends",
    ),
}


def cycle_length(step: str) -> int:
    """Steps in a week: 168 hours, or 7 days."""
    return 168 if step == "hour" else 7


def start_phase(step: str, start_day: str, start_hour: int) -> int:
    """Step 0's place in the week: its hour of the week (from Monday 0:00), or its weekday."""
    day = WEEKDAYS.index(start_day)
    return day * 24 + start_hour if step == "hour" else day


def online_cycle(step: str, hours: list[float], days: list[float]) -> np.ndarray:
    """``float64[cycle]``: P(online) at each step of the week (from Monday 0:00, or Monday).

    Hourly: the hour's value times its weekday's factor, capped at 1; daily: the day's factor.
    """
    day_factors = np.asarray(days, dtype=np.float64)
    if step == "day":
        return np.minimum(day_factors, 1.0)
    week = np.tile(np.asarray(hours, dtype=np.float64), 7) * np.repeat(day_factors, 24)
    return np.minimum(week, 1.0)


def window(step: str, period: str, start_day: str, start_hour: int) -> tuple[int, int]:
    """(steps per window, steps of the first window before step 0) of a frequency ``period``.

    Windows are calendar days (from midnight) or weeks (from Monday); ``campaign``: one window.
    """
    if period == "campaign":
        return 0, 0
    phase = start_phase(step, start_day, start_hour)
    if period == "day":
        return (24, phase % 24) if step == "hour" else (1, 0)
    return cycle_length(step), phase
