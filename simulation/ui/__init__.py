"""The browser app (Solara): what-if scenarios, strategy comparison, a live cascade, sweeps.

Started by ``wom app`` or ``solara run app.py``. Components live in ``*_view.py`` and
``scenario_panel.py``; what they compute (knobs from the schema, drawings, comparisons, sweep
tables, analytic curves, charts) lives in plain modules beside them, testable without a browser.
"""

from __future__ import annotations

from simulation.ui.page import Layout, Page

__all__ = ["Layout", "Page"]
