"""``python -m simulation`` is the ``wom`` command."""

from simulation.cli import main

main(prog_name="wom")
