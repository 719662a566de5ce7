"""What the browser tests share: Debian's Chromium, its flags, and the app on a free port."""

from __future__ import annotations

import os
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from simulation.ui.server import app_command, app_environment

CHROMIUM = "/usr/bin/chromium"
ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "test-output" / "screenshots"
# The flags the developers' guide gives for Debian's Chromium driven by Playwright.
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
MARKS = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists() and not os.environ.get("CI"),
        reason="needs Debian's chromium (in CI it must run)",
    ),
]


@contextmanager
def app_server(
    folder: Path,
    *,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    app: str | None = None,
) -> Iterator[tuple[str, subprocess.Popen, Path]]:
    """The app on a free loopback port, its log in ``folder``; yields (url, process, log).

    ``app``: another page to serve the same way (a file such as ``examples/mesa_viz.py``).

    Waits until the page answers; at the end stops the server (SIGTERM, then SIGKILL if a
    session thread outlives it) unless it has already stopped.
    """
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = folder / "server.log"
    with log.open("w") as out:
        command = app_command(host="127.0.0.1", port=port)
        if app is not None:
            command[command.index("run") + 1] = app
        proc = subprocess.Popen(
            command,
            env={**app_environment(), **(env or {})},
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=cwd,
        )
    url = f"http://127.0.0.1:{port}/"
    try:
        for _ in range(600):
            try:
                urllib.request.urlopen(url, timeout=1)
                break
            except OSError:
                assert proc.poll() is None, log.read_text()
                time.sleep(0.2)
        yield url, proc, log
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=30)


@contextmanager
def chromium_browser():
    """Debian's Chromium, driven by Playwright."""
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield browser
        finally:
            browser.close()
