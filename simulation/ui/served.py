"""The app as ``wom app`` serves it: the page inside an error boundary.

:mod:`simulation.ui.server` points Solara at this module and names the app to wrap in
``WOM_APP_TARGET`` (the repository's ``app.py``, or a module such as ``simulation.ui.page``).
An error raised while the page renders, or by a handler it calls, shows a short message with a
reference number and a button to go on; the traceback is written to the server's log under the
same number, never to the page (it would show the server's paths and code to whoever visits).
"""

from __future__ import annotations

import importlib
import logging
import os
import runpy
import uuid
from typing import Any

import solara

__all__ = ["Page", "SafePage", "log_error"]

logger = logging.getLogger("wom.app")


def _load(target: str) -> dict[str, Any]:
    if target.endswith(".py"):
        return runpy.run_path(target, run_name="wom_app")
    return vars(importlib.import_module(target))


_APP = _load(os.environ.get("WOM_APP_TARGET") or "simulation.ui.page")
_Page = _APP["Page"]


def log_error(error: BaseException) -> str:
    """Write ``error`` and its traceback to the server's log; return the reference shown."""
    reference = uuid.uuid4().hex[:8]
    logger.error(
        "error %s in the app", reference, exc_info=(type(error), error, error.__traceback__)
    )
    return reference


@solara.component
def SafePage(page: Any = None) -> None:
    """Render ``page`` (default: the app's page); on an error, a message instead of a trace."""
    error, clear = solara.use_exception()
    reference = solara.use_memo(lambda: log_error(error) if error is not None else "", [error])
    if error is None:
        (page or _Page)()
        return
    with solara.Column(style={"padding": "24px", "max-width": "720px"}):
        solara.Error(
            "Something went wrong while showing this page. The details are in the server's "
            f"log (reference {reference}). Press Continue to go back to the page.",
        )
        solara.Button("Continue", on_click=clear, color="primary")


@solara.component
def Page() -> None:
    """The app's page inside the error boundary."""
    SafePage()


if "Layout" in _APP:
    Layout = _APP["Layout"]
