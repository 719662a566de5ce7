"""The word-of-mouth simulator in the browser: ``wom app``, or ``solara run app.py``.

The app itself lives in :mod:`simulation.ui`; this file only names its page for Solara.
"""

from __future__ import annotations

import solara.server.settings

from simulation.ui import Layout, Page, warmup

# Nothing leaves this machine: no usage statistics (``wom app`` also sets this before start).
solara.server.settings.telemetry.mixpanel_enable = False

# Compile the engine now, in the background, before the first visitor asks for a run.
warmup.start()

__all__ = ["Layout", "Page"]
