"""One replicate, one row per person: ``wom run SCENARIO --people FILE.parquet``.

The replicate is run by the Mesa model (:class:`~simulation.model.WordOfMouthModel`), the door
onto a single replicate whose agents carry each person's state; its timeline equals the Monte
Carlo replicate's (``wom run --runs 1``), so the rows are the people of the numbers ``wom run``
prints for that replicate.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from simulation.model import WordOfMouthModel
from simulation.outputs import check_output_file, input_files, write_file
from simulation.scenario import Scenario

__all__ = ["check_people_file", "people_frame", "run_people", "write_people"]

OPTION = "--people"


def check_people_file(path: Path, scenario: Scenario, scenario_file: Path) -> None:
    """Check ``--people FILE`` before any work (a ``.parquet`` file ``wom`` may write).

    Raises:
        ScenarioError: naming ``--people`` and the path.
    """
    check_output_file(
        path,
        inputs=input_files(scenario, scenario_file),
        suffixes=(".parquet",),
        option=OPTION,
    )


def run_people(scenario: Scenario, *, seed: int | None, replicate: int) -> pd.DataFrame:
    """Run replicate ``replicate`` of ``scenario`` to its end; its people (:func:`people_frame`)."""
    model = WordOfMouthModel(scenario, seed=seed, run=replicate, space=False, reporters=False)
    while model.running:
        model.step()
    return people_frame(model)


def people_frame(model: WordOfMouthModel) -> pd.DataFrame:
    """One row per person: their number, their state, then their attributes (if any).

    Columns: ``person``, then :meth:`WordOfMouthModel.people`'s, then the attributes when the
    scenario's population has them.

    The attributes are :attr:`WordOfMouthModel.attributes` (a column already here, such as
    ``segment``, is not repeated).
    """
    frame = model.people()
    frame.insert(0, "person", range(len(frame)))
    attributes = model.attributes
    if attributes is not None:
        attributes = attributes.drop(columns=[c for c in attributes if c in frame])
        frame = pd.concat([frame, attributes], axis=1)
    return frame


def write_people(path: Path, frame: pd.DataFrame) -> None:
    """Write the frame to ``path`` (Parquet) whole or not at all."""
    write_file(path, lambda tmp: frame.to_parquet(tmp, index=False), source=f"{OPTION} {path}")
