"""How ``wom app`` starts Solara's server: which file, which settings (offline, local only)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

__all__ = ["app_command", "app_environment", "app_target"]


def app_target() -> str:
    """The repository's ``app.py`` (editable install), else the page module itself."""
    app = Path(__file__).resolve().parents[2] / "app.py"
    return str(app) if app.is_file() else "simulation.ui.page"


def app_environment(results: Path | None = None) -> dict[str, str]:
    """The server's environment: assets from the local cache, no telemetry, the results root."""
    env = dict(os.environ)
    # Solara serves its JavaScript and CSS from solara-assets' local copy of the CDN.
    env.setdefault("SOLARA_ASSETS_PROXY", "True")
    env["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] = "False"
    env.setdefault("SOLARA_THEME_TITLE", "Word of mouth")
    env.setdefault("SOLARA_THEME_SHOW_BANNER", "False")
    if results is not None:
        env["WOM_RESULTS_ROOT"] = str(Path(results).resolve())
    return env


def app_command(*, host: str, port: int, open_browser: bool = False) -> list[str]:
    """``python -m solara run APP --host --port --production`` (production: no dev-mode checks)."""
    return [
        sys.executable,
        "-m",
        "solara",
        "run",
        app_target(),
        "--host",
        host,
        "--port",
        str(port),
        "--production",
        "--open" if open_browser else "--no-open",
    ]
