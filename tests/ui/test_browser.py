"""The app in a real Chromium: loads offline, compares strategies, reports a bad upload."""

from __future__ import annotations

import os
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from simulation.ui.server import app_command, app_environment

CHROMIUM = "/usr/bin/chromium"
SHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"
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

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists() and not os.environ.get("CI"),
        reason="needs Debian's chromium (in CI it must run)",
    ),
]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = tmp_path_factory.mktemp("app") / "server.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            app_command(host="127.0.0.1", port=port),
            env=app_environment(),
            stdout=out,
            stderr=subprocess.STDOUT,
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
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.fixture
def page(server):
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        tab = browser.new_page(viewport={"width": 1500, "height": 1000})
        tab.events = {"failed": [], "errors": [], "hosts": set()}
        tab.on("requestfailed", lambda r: tab.events["failed"].append((r.url, r.failure)))
        tab.on(
            "response", lambda r: r.status >= 400 and tab.events["failed"].append((r.url, r.status))
        )
        tab.on("pageerror", lambda e: tab.events["errors"].append(str(e)))
        tab.on(
            "request",
            lambda r: tab.events["hosts"].add(
                r.url.split("/")[2]
                if "://" in r.url
                and not r.url.startswith("blob:")
                and not r.url.startswith("data:")
                else "127.0.0.1"
            ),
        )
        tab.goto(server)
        tab.get_by_text("Run comparison").first.wait_for(timeout=60_000)
        yield tab
        browser.close()


def _loopback(host: str) -> bool:
    name = host.split(":")[0]
    return name in ("localhost", "[") or name.startswith("127.") or host.startswith("[::1]")


def test_page_loads_offline_without_errors(page):
    page.wait_for_timeout(2000)
    page.screenshot(path=str(SHOTS / "1-scenario-and-strategies.png"))
    assert page.events["failed"] == []
    assert page.events["errors"] == []
    assert all(_loopback(h) for h in page.events["hosts"]), page.events["hosts"]


def test_changing_a_knob_and_comparing_gives_charts_and_a_table(page):
    runs = page.get_by_label("Runs per strategy")
    runs.fill("60")
    runs.press("Enter")
    page.get_by_text("Run comparison").first.click()
    page.locator(".wom-bars img").wait_for(timeout=120_000)
    page.locator(".wom-compare-results").get_by_text("structural_virality").first.wait_for()
    assert page.get_by_text("Results: 60 runs per strategy").count() == 1
    page.locator(".wom-bars").scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / "2-comparison-results.png"))
    page.locator(".wom-timeline").scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / "3-comparison-timeline-and-table.png"))
    assert page.events["errors"] == []


def test_live_cascade_plays(page):
    page.get_by_text("Live cascade").first.click()
    page.locator(".wom-play").wait_for(timeout=60_000)
    page.locator(".wom-play").click()
    page.get_by_text("finished").first.wait_for(timeout=120_000)
    assert page.locator(".wom-network-canvas").count() >= 2
    page.screenshot(path=str(SHOTS / "4-live-cascade.png"))
    page.locator(".wom-tree").scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / "5-cascade-tree.png"))
    assert page.events["errors"] == []


def test_a_bad_upload_shows_its_message(page, tmp_path):
    bad = tmp_path / "broken.toml"
    bad.write_text('name = "x"\n[network]\nkind = "barabasi"\nn = 10\n')
    page.get_by_text("Upload a scenario or a network").first.click()
    page.locator("input[type=file]").first.set_input_files(str(bad))
    page.get_by_text("unknown network kind").first.wait_for(timeout=30_000)
    page.screenshot(path=str(SHOTS / "6-bad-upload.png"))
    assert page.events["errors"] == []
