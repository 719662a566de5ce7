"""The app is never wedged: a cold start, scenario switches during the first compile, two visitors.

The server starts with an empty numba cache (``NUMBA_CACHE_DIR`` pointed at a fresh folder), so
the whole engine compiles while a visitor switches scenarios and opens the live view. Before
the fix, that left llvmlite's process-wide lock held by a thread Solara had cancelled from
inside the compiler, and every later run in every session hung. Here the compile runs once, in
the background, and nothing interrupts it; afterwards a comparison in one session and a live
step in another both finish, and SIGTERM stops the server.
"""

from __future__ import annotations

import signal

import pytest
from browser_app import ARGS, CHROMIUM, MARKS, SHOTS, app_server

COLD_COMPILE = 1_200_000  # ms: the whole engine from nothing, on a busy shared machine

pytestmark = MARKS


@pytest.fixture(scope="module")
def cold_server(tmp_path_factory):
    """The app on a free port with an empty numba cache; yields (url, process, log path)."""
    folder = tmp_path_factory.mktemp("cold")
    cache = folder / "numba-cache"
    cache.mkdir()
    with app_server(folder, env={"NUMBA_CACHE_DIR": str(cache)}) as server:
        yield server


def _choose(page, label: str, option: str) -> None:
    """Pick ``option`` (a substring) in the Vuetify select labelled ``label``."""
    field = page.locator(".v-select").filter(has=page.get_by_text(label, exact=True)).first
    field.locator(".v-select__slot").click()
    page.locator(".menuable__content__active .v-list-item").filter(has_text=option).first.click()


@pytest.mark.slow
def test_cold_start_scenario_switches_then_two_sessions_finish(cold_server):
    from playwright.sync_api import expect, sync_playwright

    url, proc, log = cold_server
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        first = browser.new_context(viewport={"width": 1440, "height": 900}).new_page()
        errors: list[str] = []
        first.on("pageerror", lambda e: errors.append(str(e)))
        first.goto(url)
        # The page loads while the engine compiles, and says so.
        first.get_by_text("Run comparison").first.wait_for(timeout=120_000)
        preparing = first.locator(".wom-engine-preparing")
        expect(preparing).to_be_visible(timeout=30_000)
        first.screenshot(path=str(SHOTS / "engine-preparing.png"))
        # Switch scenarios and open the live view during the first compile (the old deadlock).
        first.get_by_text("Live cascade").first.click()
        _choose(first, "Ready-made scenario", "segment_targeting")
        first.wait_for_timeout(1000)
        _choose(first, "Ready-made scenario", "influencers_vs_random")
        first.wait_for_timeout(500)
        _choose(first, "Ready-made scenario", "launch")
        assert preparing.is_visible(), "the compile ended before the switches: not a cold start"
        expect(preparing).to_be_hidden(timeout=COLD_COMPILE)

        # Session 1 compares; session 2 opens the live view and steps; both must finish.
        first.get_by_text("Compare strategies").first.click()
        runs = first.get_by_label("Runs per strategy")
        runs.fill("20")
        first.locator(".wom-run-size").get_by_text("× 20 runs").wait_for(timeout=60_000)
        first.locator(".wom-run-compare").click()

        second = browser.new_context(viewport={"width": 1280, "height": 720}).new_page()
        second.on("pageerror", lambda e: errors.append(str(e)))
        second.goto(url)
        second.get_by_text("Run comparison").first.wait_for(timeout=120_000)
        second.get_by_text("Live cascade").first.click()
        second.locator(".wom-step").wait_for(timeout=300_000)
        expect(second.locator(".wom-step")).to_be_enabled(timeout=300_000)
        second.locator(".wom-step").click()
        second.locator(".wom-live-status").get_by_text("Step 1").wait_for(timeout=120_000)

        first.locator(".wom-compare-results").get_by_text("Results: 20 runs").wait_for(
            timeout=300_000
        )
        first.screenshot(path=str(SHOTS / "engine-after-cold-start.png"))
        assert errors == []
        browser.close()

    # SIGTERM stops the server (no thread of ours keeps it alive).
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=60)
    assert "Traceback" not in log.read_text()
