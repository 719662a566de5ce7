"""The app in a real Chromium: loads offline, compares strategies, plays a cascade, uploads."""

from __future__ import annotations

from pathlib import Path

import pytest
from browser_app import MARKS, ROOT, SHOTS, app_server, chromium_browser

LAUNCH = ROOT / "scenarios" / "launch.toml"

pytestmark = MARKS


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with app_server(tmp_path_factory.mktemp("app")) as (url, _, _):
        yield url


@pytest.fixture
def page(server):
    with chromium_browser() as browser:
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
        tab.get_by_text("Run comparison").first.wait_for(timeout=120_000)
        yield tab


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
    # The server has taken the new number once it reports the size of the run.
    page.locator(".wom-run-size").get_by_text("= 120 simulated campaigns").wait_for()
    page.get_by_text("Run comparison").first.click()
    page.locator(".wom-bars img").wait_for(timeout=180_000)
    results = page.locator(".wom-compare-results")
    results.get_by_text("structural_virality").first.wait_for()
    results.get_by_text("Results: 60 runs per strategy").wait_for()
    page.locator(".wom-bars").scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / "2-comparison-results.png"))
    page.locator(".wom-timeline").scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / "3-comparison-timeline-and-table.png"))
    assert page.events["errors"] == []


def test_live_cascade_plays(page):
    from playwright.sync_api import expect

    page.get_by_text("Live cascade").first.click()
    # Building the model may include the kernel's first compilation (slow on a busy machine).
    page.locator(".wom-play").wait_for(timeout=180_000)
    page.locator(".wom-play").click()
    page.get_by_text("finished").first.wait_for(timeout=180_000)
    # The status can arrive before the rest of the last frame: wait for the play loop's end
    # (Pause turns back into Play) and the final cascade tree (launch.toml's largest tree grows
    # beyond its seed) before taking pictures.
    expect(page.locator(".wom-play")).to_contain_text("Play", timeout=30_000)
    expect(page.locator(".wom-tree")).not_to_contain_text("depth 0", timeout=30_000)
    assert page.locator(".wom-network-canvas").count() >= 2
    page.screenshot(path=str(SHOTS / "4-live-cascade.png"))
    page.locator(".wom-tree").scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / "5-cascade-tree.png"))
    assert page.events["errors"] == []


def _choose_file(page, index: int, path: Path) -> None:
    """Pick a file in the index-th file chooser, as the browser's file dialog would."""
    page.locator(".wom-file-chooser input[type=file]").nth(index).set_input_files(str(path))


def test_a_bad_upload_shows_its_message_and_a_good_one_replaces_the_scenario(page, tmp_path):
    from playwright.sync_api import expect

    bad = tmp_path / "broken.toml"
    bad.write_text('name = "x"\n[network]\nkind = "barabasi"\nn = 10\n')
    page.get_by_text("Upload a scenario or a network").first.click()
    uploads = page.locator(".wom-uploads")
    choosers = uploads.locator(".wom-file-chooser")
    choosers.first.wait_for()
    assert choosers.count() == 2
    assert uploads.locator(".solara-file-drop").count() == 2
    _choose_file(page, 0, bad)
    error = uploads.locator(".wom-upload-scenario-error")
    error.get_by_text("unknown network kind").first.wait_for(timeout=60_000)
    assert "broken.toml" in error.inner_text()
    # Once handled, the chooser forgets the file, so the same file (fixed) can be chosen again.
    expect(choosers.first).not_to_contain_text("broken.toml")
    error.scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / "6-bad-upload.png"))
    assert page.get_by_text("Spring launch").count() >= 1

    good = tmp_path / "mine.toml"
    good.write_text(
        LAUNCH.read_text().replace('name = "Spring launch"', 'name = "Autumn relaunch"')
    )
    _choose_file(page, 0, good)
    uploads.locator(".wom-upload-scenario-ok").get_by_text("Loaded mine.toml").wait_for(
        timeout=60_000
    )
    page.locator(".wom-appbar").get_by_text("Autumn relaunch").wait_for()
    expect(choosers.first).not_to_contain_text("mine.toml")
    assert error.count() == 0
    assert page.get_by_text("unknown network kind").count() == 0

    edges = tmp_path / "ties.txt"
    edges.write_text("ann bob\nbob cat\ncat ann\ncat dan\n")
    _choose_file(page, 1, edges)
    uploads.locator(".wom-upload-edges-ok").get_by_text("Network from ties.txt").wait_for(
        timeout=60_000
    )
    page.get_by_text("valid scenario").first.wait_for()
    expect(choosers.nth(1)).not_to_contain_text("ties.txt")
    page.screenshot(path=str(SHOTS / "7-good-uploads.png"))
    assert page.events["errors"] == []
