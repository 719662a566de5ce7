"""A strategist's questions answered in a real Chromium, in a few actions each.

- a 2 x 2 segment x stickiness comparison with paired differences, in at most 8 actions;
- a stickiness sweep drawn as a dose-response curve with bands;
- a campaign with ads and money whose ROI is charted;
- the phone (390 x 844) and projector (1280 x 720) layouts with a long scenario name.

Screenshots go to test-output/screenshots/.
"""

from __future__ import annotations

import pytest
from browser_app import MARKS, SHOTS, app_server, chromium_browser

pytestmark = MARKS


@pytest.fixture(scope="module")
def url(tmp_path_factory):
    with app_server(tmp_path_factory.mktemp("app")) as (address, _, _):
        yield address


@pytest.fixture
def browser():
    with chromium_browser() as chromium:
        yield chromium


def _open(browser, url: str, width: int = 1440, height: int = 900):
    page = browser.new_context(viewport={"width": width, "height": height}).new_page()
    page.errors = []
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.goto(url)
    page.get_by_text("Run comparison").first.wait_for(timeout=120_000)
    page.locator(".wom-engine-preparing").wait_for(state="hidden", timeout=600_000)
    return page


class Actions:
    """Counts what the user does (clicks, typing into a field, choosing an option)."""

    def __init__(self, page) -> None:
        self.page = page
        self.count = 0

    def click(self, locator) -> None:
        locator.click()
        self.count += 1

    def fill(self, locator, text: str) -> None:
        locator.fill(text)
        self.count += 1

    def choose(self, label: str, option: str) -> None:
        """Open a select and pick an option: two actions."""
        field = self.page.locator(".v-select").filter(has=self.page.get_by_text(label, exact=True))
        self.click(field.first.locator(".v-select__slot"))
        self.click(
            self.page.locator(".menuable__content__active .v-list-item")
            .filter(has_text=option)
            .first
        )


def test_a_two_by_two_segment_by_stickiness_comparison_in_at_most_eight_actions(browser, url):
    page = _open(browser, url)
    act = Actions(page)
    act.click(page.get_by_text("Build strategies from combinations"))
    act.fill(page.locator(".wom-combo-values-1 input"), "students, professionals")
    act.fill(page.locator(".wom-combo-values-2 input"), "0.1, 0.3")
    act.click(page.locator(".wom-make-combinations"))
    act.fill(page.locator(".wom-runs input"), "40")
    page.locator(".wom-run-size").get_by_text("4 strategies × 40 runs").wait_for(timeout=60_000)
    act.click(page.locator(".wom-run-compare"))
    assert act.count <= 8
    results = page.locator(".wom-compare-results")
    results.get_by_text("Results: 40 runs per strategy").wait_for(timeout=300_000)
    differences = page.locator(".wom-differences")
    differences.get_by_text("difference from students · stickiness 0.1").wait_for()
    for name in ("students · stickiness 0.3", "professionals · stickiness 0.1"):
        assert differences.get_by_text(name).count() >= 1
    assert page.locator(".wom-variant").count() == 4
    differences.scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / "q1-two-by-two-differences.png"))
    assert page.errors == []


def test_a_stickiness_sweep_draws_a_curve_with_bands(browser, url):
    page = _open(browser, url)
    act = Actions(page)
    act.click(page.get_by_text("Sweep a setting").first)
    act.choose("One line per", "Seeding: Segment")
    page.locator(".wom-run-sweep").wait_for()
    act.click(page.locator(".wom-run-sweep"))
    page.locator(".wom-dose img").wait_for(timeout=600_000)
    assert page.locator(".wom-tipping").count() >= 1
    assert "rises fastest between" in page.locator(".wom-tipping").first.inner_text()
    page.locator(".wom-dose").scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / "q2-stickiness-sweep.png"))
    assert page.errors == []


def test_ads_and_money_give_a_charted_roi(browser, url):
    page = _open(browser, url)
    act = Actions(page)
    act.choose("Ready-made scenario", "paid_vs_earned")
    page.locator(".wom-appbar").get_by_text("Paid vs earned media").wait_for(timeout=60_000)
    act.fill(page.locator(".wom-runs input"), "30")
    page.locator(".wom-run-size").get_by_text("× 30 runs").wait_for(timeout=60_000)
    act.click(page.locator(".wom-run-compare"))
    money = page.locator(".wom-money")
    money.locator("img").wait_for(timeout=300_000)
    assert "seeds bought" in money.locator(".wom-seeds-bought").inner_text()
    assert page.locator(".wom-differences").get_by_text("roi").count() >= 1
    money.scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / "q3-money-and-roi.png"))
    assert page.errors == []
