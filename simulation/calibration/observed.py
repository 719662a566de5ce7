"""What was observed: a campaign's cumulative numbers per step, read from a CSV file.

The file has a ``step`` column (0 = right after seeding, as in ``wom run``'s timelines) and one
column per observed metric, named as the metrics are (``sharers``, ``reach``, ``engagements``,
``clicks``, ``conversions``, ``shares[post:teaser]``, ...), each holding the cumulative count at the
end of that step. Days with no data may be left out, or left empty in one column.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from simulation.errors import ScenarioError

__all__ = ["Observed", "parse_observed", "read_observed"]


@dataclass(frozen=True)
class Observed:
    """Observed cumulative timelines.

    Attributes:
        steps: The steps that have a row, ascending.
        values: Metric name -> ``float[len(steps)]``, NaN where that metric was not observed.
        source: The file (or other input) it came from.
    """

    steps: np.ndarray
    values: dict[str, np.ndarray]
    source: str = "<observed>"

    @property
    def metrics(self) -> list[str]:
        """The observed metrics, in column order."""
        return list(self.values)

    @property
    def last_step(self) -> int:
        """The last step with an observation."""
        return int(self.steps[-1])

    def points(self, metric: str) -> tuple[np.ndarray, np.ndarray]:
        """(steps, values) where ``metric`` was observed."""
        seen = ~np.isnan(self.values[metric])
        return self.steps[seen], self.values[metric][seen]

    def to_csv(self) -> str:
        """The observations as a CSV text (empty cells where not observed)."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["step", *self.values])
        for i, step in enumerate(self.steps):
            row = [int(step)] + [
                "" if math.isnan(v[i]) else f"{v[i]:.17g}" for v in self.values.values()
            ]
            writer.writerow(row)
        return out.getvalue()


def read_observed(path: str | Path) -> Observed:
    """Read and check an observed CSV file (metric names are checked against a scenario later).

    Raises:
        ScenarioError: the file is missing, unreadable, binary or not a CSV table; it has no
            ``step`` column or no metric column; a step is not a whole number >= 0 or is repeated;
            a value is not a number or is negative; or a cumulative count decreases. Every
            message names the file and the column or line.
    """
    source = str(path)
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        raise ScenarioError.single("observed file not found", source=source) from None
    except OSError as exc:
        raise ScenarioError.single(f"cannot read file: {exc.strerror}", source=source) from None
    if b"\0" in raw:
        raise ScenarioError.single("this is a binary file, not a CSV table", source=source)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ScenarioError.single(f"not UTF-8 text (byte {exc.start})", source=source) from None
    return parse_observed(text, source=source)


def parse_observed(text: str, *, source: str = "<observed>") -> Observed:
    """Parse observed CSV text; see :func:`read_observed`."""
    try:
        rows = list(csv.reader(io.StringIO(text)))
    except csv.Error as exc:
        raise ScenarioError.single(f"not a CSV table: {exc}", source=source) from None
    rows = [(line, row) for line, row in enumerate(rows, start=1) if any(c.strip() for c in row)]
    if not rows:
        raise ScenarioError.single("the file is empty", source=source)
    header_line, header = rows[0]
    header = [name.strip() for name in header]
    if "step" not in header:
        raise ScenarioError.single(
            f"no 'step' column (the first line is the header; found: {', '.join(header)[:200]})",
            line=header_line,
            source=source,
        )
    if len(header) < 2:
        raise ScenarioError.single(
            "no metric column: add one column per observed metric, e.g. step,sharers,reach",
            line=header_line,
            source=source,
        )
    for name in header:
        if not name:
            raise ScenarioError.single("a column has no name", line=header_line, source=source)
    repeated = sorted({n for n in header if header.count(n) > 1})
    if repeated:
        raise ScenarioError.single(
            f"repeated column: {', '.join(repeated)}", line=header_line, source=source
        )
    table = _numbers(rows[1:], header, source)
    if not table:
        raise ScenarioError.single("no rows of data under the header", source=source)
    return _observed(table, header, source)


def _numbers(
    rows: list[tuple[int, list[str]]], header: list[str], source: str
) -> list[tuple[int, list[float]]]:
    """Each data row as (line, floats in header order), NaN for an empty cell."""
    table = []
    for line, row in rows:
        if len(row) != len(header):
            raise ScenarioError.single(
                f"{len(row)} fields, but the header has {len(header)}", line=line, source=source
            )
        numbers = []
        for name, cell in zip(header, row, strict=True):
            cell = cell.strip()
            if not cell:
                numbers.append(math.nan)
                continue
            try:
                number = float(cell)
            except ValueError:
                raise ScenarioError.single(
                    f"column '{name}': {cell[:40]!r} is not a number", line=line, source=source
                ) from None
            if not math.isfinite(number) or number < 0:
                raise ScenarioError.single(
                    f"column '{name}': {cell[:40]!r} is not a count (a finite number >= 0)",
                    line=line,
                    source=source,
                )
            numbers.append(number)
        table.append((line, numbers))
    return table


def _observed(table: list[tuple[int, list[float]]], header: list[str], source: str) -> Observed:
    at = header.index("step")
    seen: dict[int, int] = {}
    for line, numbers in table:
        step = numbers[at]
        if math.isnan(step) or step != int(step):
            raise ScenarioError.single(
                "column 'step': every row needs a whole-number step", line=line, source=source
            )
        if int(step) in seen:
            raise ScenarioError.single(
                f"column 'step': step {int(step)} repeats line {seen[int(step)]}",
                line=line,
                source=source,
            )
        seen[int(step)] = line
    order = sorted(range(len(table)), key=lambda i: table[i][1][at])
    steps = np.array([int(table[i][1][at]) for i in order], np.int64)
    values = {}
    for j, name in enumerate(header):
        if j == at:
            continue
        column = np.array([table[i][1][j] for i in order], float)
        if np.isnan(column).all():
            raise ScenarioError.single(f"column '{name}' has no values", source=source)
        known = column[~np.isnan(column)]
        drops = np.flatnonzero(np.diff(known) < 0)
        if drops.size:
            step = steps[~np.isnan(column)][drops[0] + 1]
            raise ScenarioError.single(
                f"column '{name}' decreases at step {step}: observed numbers must be cumulative "
                "(the total so far), which never decreases",
                line=seen[int(step)],
                source=source,
            )
        values[name] = column
    return Observed(steps=steps, values=values, source=source)
