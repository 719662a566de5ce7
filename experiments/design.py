"""The experiment file: its schema, and the design points it expands to.

An experiment names a base scenario and the scenario keys to vary (see the README's
"Experiments and sweeps")::

    name = "seeding-vs-stickiness"
    scenario = "../scenarios/launch.toml"   # relative to this file
    runs = 50                               # replicates per design point
    seed = 1

    [grid]                                  # every combination
    "content.stickiness" = [0.05, 0.1, 0.2]
    "seeding.strategy" = ["random", "degree"]

    [zip]                                   # lists of equal length, varied together
    "network.n" = [1000, 4000]
    "seeding.budget" = [5, 20]

    [sample]                                # random or Latin-hypercube points in ranges
    method = "latin_hypercube"
    count = 20
    [sample.ranges]
    "content.appeal" = [0.1, 0.5]

The design points are every grid combination x every zip row x every sample. Each point is
the base scenario with its values put in (:meth:`~simulation.scenario.Scenario.with_overrides`)
and every point is validated here, before anything runs; a problem names the experiment file,
the key and the value.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import Field, ValidationError

from simulation.errors import Problem, ScenarioError
from simulation.inputs import env_limit, read_toml
from simulation.metrics import resolve_metrics
from simulation.scenario import Scenario, load_scenario
from simulation.validation import LineFinder, Table, problems_of
from simulation.validation import did_you_mean as _did_you_mean

__all__ = [
    "Design",
    "Experiment",
    "Point",
    "ReportDefaults",
    "Sample",
    "check_size",
    "env_limit",
    "load_experiment",
    "parse_experiment",
]

# Columns every results table has besides the design keys and the metrics.
RESERVED_COLUMNS = ("point", "run", "seed")
# Most design points (each is a validated scenario held in memory while the sweep runs);
# WOM_MAX_DESIGN_POINTS raises it.
MAX_POINTS = 10_000
# Most replicates in one sweep (points x runs: rows of the results, which `wom report` reads
# into memory, about 300 bytes each); WOM_MAX_SWEEP_REPLICATES raises it.
MAX_REPLICATES = 10_000_000

NonEmptyList = Annotated[list[Any], Field(min_length=1)]


class Sample(Table):
    """Design points drawn at random in ranges of scenario keys."""

    method: Literal["random", "latin_hypercube"] = Field(
        "latin_hypercube",
        description="`random` (independent uniform draws) or `latin_hypercube` (each of "
        "`count` equal slices of every range sampled exactly once; McKay et al. 1979).",
    )
    count: int = Field(ge=1, le=1_000_000, description="Number of sampled points.")
    seed: int | None = Field(
        None, ge=0, le=2**63 - 1, description="Seed of the draws (default: the experiment's)."
    )
    ranges: dict[str, list[int | float]] = Field(
        min_length=1,
        description="Dotted key -> [low, high]; integers when both ends are integers "
        "(inclusive), else uniform reals.",
    )


class ReportDefaults(Table):
    """What ``wom report`` shows by default for this experiment."""

    metrics: list[str] | None = Field(
        None, min_length=1, description="Metrics to show and plot (default: the first metric)."
    )
    x: str | None = Field(None, description="Varied key on the x axis of the plots.")
    by: str | None = Field(None, description="Varied key drawn as one line per value.")
    log_x: bool = Field(False, description="Logarithmic x axis (symmetric-log when 0 is a value).")
    log_y: bool = Field(False, description="Logarithmic y axis.")
    average: list[str] = Field(
        default_factory=list,
        description="Varied keys to pool replicates over in the plots (e.g. `network.seed`: "
        "several graphs of one kind) instead of drawing a panel per value.",
    )


class Experiment(Table):
    """A sweep: a base scenario, what to vary, and how many replicates of each point."""

    name: str = Field(min_length=1, description="Experiment name (required).")
    description: str = Field("", description="Free text.")
    scenario: str = Field(
        min_length=1, description="Base scenario file, relative to the experiment file."
    )
    runs: int | None = Field(
        None, ge=1, le=10_000_000, description="Replicates per point (default: the scenario's)."
    )
    seed: int | None = Field(
        None,
        ge=0,
        le=2**63 - 1,
        description="Seed of every replicate (default: the scenario's); replicate r of every "
        "point uses (seed, r), as `wom run --seed` does.",
    )
    metrics: list[str] | None = Field(
        None, min_length=1, description="Metrics to compute (default: all); `--metrics` overrides."
    )
    task_runs: int | None = Field(
        None,
        ge=1,
        description="Replicates per task (default: chosen so every worker gets several tasks).",
    )
    grid: dict[str, NonEmptyList] = Field(
        default_factory=dict, description="Dotted key -> values; every combination runs."
    )
    zip: dict[str, NonEmptyList] = Field(
        default_factory=dict,
        description="Dotted key -> values; lists of equal length, the i-th values run together.",
    )
    sample: Sample | None = Field(None, description="Randomly sampled points (a table).")
    report: ReportDefaults = Field(
        default_factory=ReportDefaults, description="Defaults of `wom report` (a table)."
    )


@dataclass(frozen=True)
class Point:
    """One design point: the values it puts into the base scenario, and the result.

    Attributes:
        index: Position in the design (the results' ``point`` column).
        overrides: Dotted key -> value, as written in the experiment (or sampled).
        scenario: The validated scenario this point runs.
    """

    index: int
    overrides: dict[str, Any]
    scenario: Scenario


@dataclass(frozen=True)
class Design:
    """An experiment expanded into validated points.

    Attributes:
        experiment: The experiment as written.
        source: The experiment file.
        base: The base scenario (validated).
        points: Every design point, in order.
        keys: The varied dotted keys, in file order (grid, zip, sample).
        runs: Replicates per point.
        seed: The seed of every replicate.
        metrics: Metric names to compute (``None``: every metric of each point).
        metric_columns: The metric columns of the results (the union over points).
    """

    experiment: Experiment
    source: str
    base: Scenario
    points: list[Point]
    keys: list[str]
    runs: int
    seed: int
    metrics: list[str] | None
    metric_columns: list[str]

    def column(self, key: str) -> str:
        """The results column of a varied key: the dotted key itself, unless it is taken.

        ``seed`` and ``steps`` are both scenario keys and results columns (the replicate seed, a
        metric); varied, they become ``scenario.seed`` and ``scenario.steps``.
        """
        if key in RESERVED_COLUMNS or key in self.metric_columns:
            return f"scenario.{key}"
        return key

    def cell(self, key: str, value: Any) -> Any:
        """A value as it appears in the results table: scalars as they are, tables as labels."""
        if self.column_kind(key) == "label":
            return value_label(value)
        return value

    def column_kind(self, key: str) -> str:
        """``bool``, ``int``, ``float``, ``string`` or ``label`` (tables, lists, mixed types)."""
        return self._kinds[key]

    @cached_property
    def _kinds(self) -> dict[str, str]:
        kinds = {}
        for key in self.keys:
            values = [p.overrides[key] for p in self.points]
            if all(isinstance(v, bool) for v in values):
                kinds[key] = "bool"
            elif all(isinstance(v, int) and not isinstance(v, bool) for v in values):
                kinds[key] = "int"
            elif all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
                kinds[key] = "float"
            elif all(isinstance(v, str) for v in values):
                kinds[key] = "string"
            else:
                kinds[key] = "label"
        return kinds

    def fingerprint(self) -> str:
        """A hash of everything that decides the results (not the name, paths or task size)."""
        return self._fingerprint

    @cached_property
    def _fingerprint(self) -> str:
        content = {
            "scenario": self.base.to_toml_dict(),
            "points": [p.overrides for p in self.points],
            "runs": self.runs,
            "seed": self.seed,
            "metrics": self.metric_columns,
        }
        text = json.dumps(content, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()


def value_label(value: Any) -> str:
    """A short readable label of a grid value (``erdos_renyi(n=2000, mean_degree=6)``)."""
    if isinstance(value, dict):
        items = [(k, v) for k, v in value.items() if k != "kind"]
        inner = ", ".join(f"{k}={_scalar_label(v)}" for k, v in items)
        return f"{value['kind']}({inner})" if "kind" in value else inner
    return _scalar_label(value)


def _scalar_label(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return f"{value:g}" if isinstance(value, float) else str(value)
    return json.dumps(value, separators=(",", ":"), default=str)


# --------------------------------------------------------------------------- loading


def load_experiment(path: str | Path, *, metrics: list[str] | None = None) -> Design:
    """Read an experiment file and its base scenario; expand and validate every point.

    Args:
        path: The experiment TOML file.
        metrics: Metric names overriding the file's ``metrics`` (the ``--metrics`` option).

    Raises:
        ScenarioError: listing every problem, each naming the file, the key and the value.
    """
    path = Path(path)
    source = str(path)
    data, text = read_toml(path, "experiment")
    return parse_experiment(data, source=source, base_dir=path.parent, text=text, metrics=metrics)


def parse_experiment(
    data: dict[str, Any],
    *,
    source: str = "<experiment>",
    base_dir: str | Path = ".",
    text: str | None = None,
    metrics: list[str] | None = None,
) -> Design:
    """Validate already-parsed experiment data and expand it (see :func:`load_experiment`)."""
    try:
        experiment = Experiment.model_validate(data)
    except ValidationError as exc:
        problems = problems_of(
            exc,
            root=Experiment,
            data=data,
            source=source,
            text=text,
            special=lambda err, keys: _schema_problem(err, keys, source, text),
        )
        if "network" in data and "scenario" not in data:
            hint = (
                "this looks like a scenario file; an experiment names its scenario "
                '(scenario = "path/to/scenario.toml") and the keys to vary ([grid])'
            )
            problems.insert(0, Problem(hint, source=source))
        raise ScenarioError(list(dict.fromkeys(problems))) from None
    finder = LineFinder(text)

    structural = _check_structure(experiment, source, finder)
    if structural:
        raise ScenarioError(structural)

    scenario_path = (Path(base_dir) / experiment.scenario).resolve()
    if not scenario_path.is_file():
        raise ScenarioError.single(
            f"scenario file '{experiment.scenario}' not found (looked for {scenario_path})",
            key="scenario",
            line=finder.line("", "scenario"),
            source=source,
        )
    # A base scenario holds keys for every strategy or rule its points may vary.
    base = load_scenario(scenario_path, idle_keys=False)

    sections = {
        **dict.fromkeys(experiment.grid, "grid"),
        **dict.fromkeys(experiment.zip, "zip"),
        **dict.fromkeys(experiment.sample.ranges if experiment.sample else {}, "sample.ranges"),
    }
    problems = _check_ranges(experiment, base, source, finder)
    if problems:
        raise ScenarioError(problems)
    check_size(experiment, base.runs, source, finder)

    points: list[Point] = []
    found: dict[Problem, None] = {}
    seed = experiment.seed if experiment.seed is not None else base.seed
    for index, overrides in enumerate(_expand(experiment, seed)):
        try:
            scenario = base.with_overrides(overrides, source=source)
        except ScenarioError as exc:
            for problem in exc.problems:
                found[_point_problem(problem, overrides, sections, source, finder)] = None
            continue
        points.append(Point(index, overrides, scenario))
    if found:
        raise ScenarioError(list(found))

    requested = metrics if metrics is not None else experiment.metrics
    metric_source = "--metrics" if metrics is not None else source
    columns: list[str] = []
    for point in points:
        names = resolve_metrics(requested, point.scenario.segment_names, source=metric_source)
        columns += [m for m in names if m not in columns]

    problems = _check_report(experiment.report, list(sections), columns, source, finder)
    if problems:
        raise ScenarioError(problems)

    return Design(
        experiment=experiment,
        source=source,
        base=base,
        points=points,
        keys=list(sections),
        runs=experiment.runs if experiment.runs is not None else base.runs,
        seed=seed,
        metrics=requested,
        metric_columns=columns,
    )


def check_size(
    experiment: Experiment, base_runs: int, source: str, finder: LineFinder | None = None
) -> None:
    """Refuse a design too large to expand or run, before expanding it.

    Counts the design points (grid combinations x zip rows x samples) and the replicates
    (points x runs) by arithmetic, without building them.

    Raises:
        ScenarioError: naming the key that makes it large, the count and the limit, and the
            environment variable that raises the limit.
    """
    finder = finder or LineFinder(None)
    grid = math.prod(len(values) for values in experiment.grid.values())
    zipped = len(next(iter(experiment.zip.values()))) if experiment.zip else 1
    sampled = experiment.sample.count if experiment.sample else 1
    points = grid * zipped * sampled
    factors = {"grid": grid, "zip": zipped, "sample.count": sampled}
    key = max(factors, key=lambda k: factors[k])
    line = finder.line("sample", "count") if key == "sample.count" else finder.table_line(key)
    limit = env_limit("WOM_MAX_DESIGN_POINTS", MAX_POINTS)
    if points > limit:
        raise ScenarioError.single(
            f"the design has {points:,} points ([grid] combinations {grid:,} x [zip] rows "
            f"{zipped:,} x [sample] count {sampled:,}); at most {limit:,}: vary fewer values, "
            "or set WOM_MAX_DESIGN_POINTS",
            key=key,
            line=line,
            source=source,
        )
    runs = experiment.runs if experiment.runs is not None else base_runs
    limit = env_limit("WOM_MAX_SWEEP_REPLICATES", MAX_REPLICATES)
    if points * runs > limit:
        raise ScenarioError.single(
            f"the sweep would be {points * runs:,} replicates ({points:,} points x {runs:,} "
            f"runs); at most {limit:,}: lower runs or the points, or set "
            "WOM_MAX_SWEEP_REPLICATES",
            key="runs",
            line=finder.line("", "runs"),
            source=source,
        )


def _check_structure(experiment: Experiment, source: str, finder: LineFinder) -> list[Problem]:
    """Keys varied twice, zip lists of unequal length, malformed sample ranges."""
    problems = []
    seen: dict[str, str] = {}
    sample_keys = experiment.sample.ranges if experiment.sample else {}
    for section, keys in (("grid", experiment.grid), ("zip", experiment.zip)):
        for key in keys:
            if key in seen:
                problems.append(
                    Problem(
                        f"'{key}' is varied in both [{seen[key]}] and [{section}]",
                        key=_qualified(section, key),
                        line=finder.line(section, key),
                        source=source,
                    )
                )
            seen[key] = section
    for key in sample_keys:
        if key in seen:
            problems.append(
                Problem(
                    f"'{key}' is varied in both [{seen[key]}] and [sample.ranges]",
                    key=_qualified("sample.ranges", key),
                    line=finder.line("sample.ranges", key),
                    source=source,
                )
            )
    lengths = {key: len(values) for key, values in experiment.zip.items()}
    if len(set(lengths.values())) > 1:
        listing = ", ".join(f"'{k}' has {n}" for k, n in lengths.items())
        problems.append(
            Problem(
                f"[zip] lists must have the same length; {listing}",
                key="zip",
                line=finder.table_line("zip"),
                source=source,
            )
        )
    for key, bounds in sample_keys.items():
        if len(bounds) != 2 or bounds[0] > bounds[1]:
            problems.append(
                Problem(
                    f"a range is [low, high] with low <= high, got {json.dumps(bounds)}",
                    key=_qualified("sample.ranges", key),
                    line=finder.line("sample.ranges", key),
                    source=source,
                )
            )
    return problems


def _check_ranges(
    experiment: Experiment, base: Scenario, source: str, finder: LineFinder
) -> list[Problem]:
    """Both ends of every sample range must be valid values of their key."""
    problems: dict[Problem, None] = {}
    if experiment.sample is None:
        return []
    for key, (low, high) in experiment.sample.ranges.items():
        for end, value in (("low", low), ("high", high)):
            try:
                base.with_overrides({key: value}, source=source)
            except ScenarioError as exc:
                for problem in exc.problems:
                    detail = f"{problem.key}: " if problem.key and problem.key != key else ""
                    message = (
                        problem.message
                        if problem.message.startswith("unknown key")
                        else f"bad range: its {end} end {value!r} is not allowed: "
                        f"{detail}{problem.message}"
                    )
                    problems[
                        Problem(
                            message,
                            key=_qualified("sample.ranges", key),
                            line=finder.line("sample.ranges", key),
                            source=source,
                        )
                    ] = None
    return list(problems)


def _check_report(
    report: ReportDefaults,
    keys: list[str],
    metric_columns: list[str],
    source: str,
    finder: LineFinder,
) -> list[Problem]:
    """``[report]`` may name only varied keys and computed metrics."""
    problems = []
    named = [("x", report.x), ("by", report.by)] + [("average", key) for key in report.average]
    for option, value in named:
        if value is not None and value not in keys:
            problems.append(
                Problem(
                    f"{value!r} is not a varied key{_did_you_mean(value, keys)}; "
                    f"varied: {', '.join(keys) or 'none'}",
                    key=f"report.{option}",
                    line=finder.line("report", option),
                    source=source,
                )
            )
    for metric in report.metrics or []:
        if metric not in metric_columns:
            problems.append(
                Problem(
                    f"{metric!r} is not a computed metric{_did_you_mean(metric, metric_columns)}",
                    key="report.metrics",
                    line=finder.line("report", "metrics"),
                    source=source,
                )
            )
    return problems


def _expand(experiment: Experiment, seed: int) -> list[dict[str, Any]]:
    """Every design point's overrides: grid combinations x zip rows x samples."""
    grid_keys = list(experiment.grid)
    combos = [
        dict(zip(grid_keys, values, strict=True))
        for values in itertools.product(*experiment.grid.values())
    ]
    zip_rows = [
        dict(zip(experiment.zip, values, strict=True))
        for values in zip(*experiment.zip.values(), strict=True)
    ] or [{}]
    samples = draw_samples(experiment.sample, seed) or [{}]
    return [
        {**combo, **row, **sample} for combo in combos for row in zip_rows for sample in samples
    ]


def draw_samples(sample: Sample | None, default_seed: int) -> list[dict[str, Any]]:
    """The sampled points of a ``[sample]`` table (empty without one).

    ``latin_hypercube`` splits every range into ``count`` equal slices and puts exactly one
    point in each slice of each key, the slices paired at random (McKay, Beckman & Conover 1979,
    Technometrics 21:239); ``random`` draws every value independently and uniformly. Integer
    ranges (both ends integers) give integers, each end included.
    """
    if sample is None:
        return []
    rng = np.random.default_rng(sample.seed if sample.seed is not None else default_seed)
    dims = len(sample.ranges)
    if sample.method == "latin_hypercube":
        strata = np.column_stack([rng.permutation(sample.count) for _ in range(dims)])
        unit = (strata + rng.random((sample.count, dims))) / sample.count
    else:
        unit = rng.random((sample.count, dims))
    points = []
    for row in unit:
        point: dict[str, Any] = {}
        for (key, (low, high)), u in zip(sample.ranges.items(), row, strict=True):
            if isinstance(low, int) and isinstance(high, int):
                point[key] = int(min(high, low + np.floor(u * (high - low + 1))))
            else:
                point[key] = float(low + u * (high - low))
        points.append(point)
    return points


# --------------------------------------------------------------------------- messages


def _qualified(section: str, key: str) -> str:
    """A key inside a section as TOML would write it: ``grid."content.appeal"``."""
    return f'{section}."{key}"' if "." in key else f"{section}.{key}"


def _point_problem(
    problem: Problem,
    overrides: dict[str, Any],
    sections: dict[str, str],
    source: str,
    finder: LineFinder,
) -> Problem:
    """Turn a scenario problem of one design point into one naming the experiment's key."""
    where = problem.key or ""
    culprits = [
        k
        for k in overrides
        if where == k
        or where.startswith((f"{k}.", f"{k}["))
        or (where and k.startswith(f"{where}."))
    ]
    if len(culprits) == 1:
        key = culprits[0]
        section = sections[key]
        detail = f"{where}: " if where and where != key else ""
        if problem.message.startswith("unknown key") or "is not a table" in problem.message:
            message = f"{detail}{problem.message}"
        else:
            message = f"value {_json(overrides[key])} is not allowed: {detail}{problem.message}"
        return Problem(
            message,
            key=_qualified(section, key),
            line=finder.line(section, key),
            source=source,
        )
    involved = culprits or list(overrides)
    values = ", ".join(f"{k} = {_json(overrides[k])}" for k in involved)
    detail = f"{where}: " if where else ""
    together = "together " if len(involved) > 1 else ""
    first = involved[0] if involved else None
    return Problem(
        f"the values {values} {together}make an invalid scenario: {detail}{problem.message}",
        line=finder.line(sections[first], first) if first else None,
        source=source,
    )


def _json(value: Any) -> str:
    return json.dumps(value, separators=(", ", ": "), default=str)


def _schema_problem(
    err: dict[str, Any], loc: list[Any], source: str, text: str | None
) -> Problem | None:
    """The experiment file's own wording for mistakes inside ``[grid]``, ``[zip]``, ``[sample]``.

    ``None`` for every other mistake: the shared translator words those.
    """
    finder = LineFinder(text)
    kind = err["type"]
    value = err.get("input")
    section = str(loc[0]) if loc else ""
    if section in ("grid", "zip") and len(loc) >= 2:
        key = _qualified(section, str(loc[1]))
        line = finder.line(section, str(loc[1]))
    elif section == "sample" and len(loc) >= 3 and loc[1] == "ranges":
        key = _qualified("sample.ranges", str(loc[2]))
        line = finder.line("sample.ranges", str(loc[2]))
    elif kind == "model_type" and loc == ["sample"]:
        return Problem(
            "[sample] must be a table", key="sample", line=finder.line("", "sample"), source=source
        )
    else:
        return None
    if kind == "too_short" and section in ("grid", "zip"):
        message = "give at least one value"
    elif kind in ("list_type", "dict_type") and section in ("grid", "zip"):
        message = f"{_json(value)} is not a list of values; write [{_json(value)}]"
    elif section == "sample" and kind.startswith(("int_", "float_", "finite_")):
        message = f"the ends of a range must be finite numbers, got {_json(value)}"
    else:
        shown = f", got {_json(value)}" if value is not None and not isinstance(value, dict) else ""
        message = f"{err['msg']}{shown}"
    return Problem(message, key=key, line=line, source=source)
