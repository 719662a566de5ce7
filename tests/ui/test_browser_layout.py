"""The app's layout at phone, projector and laptop sizes, with a very long scenario name.

Nothing overflows the window sideways, the sidebar keeps its width, the app bar and its menu
button stay visible and usable, the sidebar can be closed with a button on a phone, every tab
can be reached, the keyboard shows where it is (a focus ring) and a skip link jumps to the
main content. Screenshots go to test-output/screenshots/layout-*.png.
"""

from __future__ import annotations

import shutil

import pytest
from browser_app import MARKS, ROOT, SHOTS, app_server, chromium_browser

LONG = (
    "Spring launch of the ultra-lightweight trail running shoe for weekend runners, "
    "students and busy professionals in twelve cities"
)

pytestmark = MARKS


@pytest.fixture(scope="module")
def url(tmp_path_factory):
    """The app, started in a folder whose scenarios/ holds one with a very long name."""
    folder = tmp_path_factory.mktemp("layout")
    (folder / "scenarios").mkdir()
    text = (ROOT / "scenarios" / "launch.toml").read_text()
    (folder / "scenarios" / "a_long_one.toml").write_text(
        text.replace('name = "Spring launch"', f'name = "{LONG}"')
    )
    shutil.copy(ROOT / "scenarios" / "classroom.toml", folder / "scenarios" / "classroom.toml")
    with app_server(folder, cwd=folder) as (address, _, _):
        yield address


@pytest.fixture(scope="module")
def chromium():
    with chromium_browser() as browser:
        yield browser


def _open(chromium, url: str, width: int, height: int):
    page = chromium.new_context(viewport={"width": width, "height": height}).new_page()
    page.errors = []
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.goto(url)
    page.get_by_text("Run comparison").first.wait_for(timeout=120_000)
    if not page.locator(".wom-scenario-panel").is_visible():
        page.locator(".wom-menu-button").click()
    field = page.locator(".v-select").filter(
        has=page.get_by_text("Ready-made scenario", exact=True)
    )
    field.first.locator(".v-select__slot").click()
    page.locator(".menuable__content__active .v-list-item").filter(has_text="a_long_one").click()
    page.locator(".wom-scenario-name").get_by_text(LONG).wait_for(timeout=60_000)
    page.wait_for_timeout(1500)
    return page


def _no_sideways_overflow(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    inner = page.evaluate("window.innerWidth")
    assert width <= inner + 1, (width, inner)


def _on_top(page, locator) -> bool:
    """Whether the element is what a click at its centre reaches (nothing covers it)."""
    box = locator.bounding_box()
    assert box is not None
    return page.evaluate(
        "([x, y, sel]) => { const el = document.elementFromPoint(x, y);"
        " const target = document.querySelector(sel); return !!el && !!target &&"
        " (target === el || target.contains(el)); }",
        [box["x"] + box["width"] / 2, box["y"] + box["height"] / 2, ".wom-menu-button"],
    )


@pytest.mark.parametrize(("width", "height"), [(1280, 720), (1440, 900)])
def test_wide_layouts_keep_the_sidebar_narrow_and_every_tab_reachable(chromium, url, width, height):
    page = _open(chromium, url, width, height)
    _no_sideways_overflow(page)
    sidebar = page.locator(".wom-scenario-panel").bounding_box()
    assert sidebar is not None
    assert sidebar["width"] <= 420
    main = page.locator(".wom-compare").bounding_box()
    assert main["x"] >= sidebar["x"] + sidebar["width"] - 1  # nothing under the sidebar
    for name in ("Compare", "Sweep", "Live", "Experiment", "What the numbers"):
        tab = page.locator(".v-tab").filter(has_text=name).first
        tab.click()
    page.locator(".v-tab").filter(has_text="Compare").first.click()
    page.wait_for_timeout(1000)
    page.screenshot(path=str(SHOTS / f"layout-{width}x{height}.png"))
    assert page.errors == []


def test_phone_layout_keeps_the_menu_button_usable_and_closes_the_sidebar(chromium, url):
    page = _open(chromium, url, 390, 844)
    _no_sideways_overflow(page)
    menu = page.locator(".wom-menu-button")
    page.screenshot(path=str(SHOTS / "layout-390x844-sidebar.png"))
    assert _on_top(page, menu)
    # The sidebar closes with its own button, and the menu button brings it back.
    page.locator(".wom-close-sidebar").click()
    page.locator(".wom-scenario-panel").wait_for(state="hidden", timeout=10_000)
    _no_sideways_overflow(page)
    page.wait_for_timeout(500)
    page.screenshot(path=str(SHOTS / "layout-390x844.png"))
    for name in ("Compare", "Sweep", "Live", "Experiment", "What the numbers"):
        box = page.locator(".v-tab").filter(has_text=name).first.bounding_box()
        assert box["x"] >= 0, name
        assert box["x"] + box["width"] <= 391, name  # every tab on screen: none hidden
    menu.click()
    page.locator(".wom-scenario-panel").wait_for(state="visible", timeout=10_000)
    assert page.errors == []


def test_keyboard_users_get_a_skip_link_and_a_focus_ring(chromium, url):
    page = chromium.new_context(viewport={"width": 1280, "height": 720}).new_page()
    page.goto(url)
    page.get_by_text("Run comparison").first.wait_for(timeout=120_000)
    page.wait_for_timeout(1000)
    page.keyboard.press("Tab")
    skip = page.locator(".wom-skip-link")
    assert skip.evaluate("el => el === document.activeElement")
    assert skip.is_visible()
    page.keyboard.press("Enter")
    page.wait_for_timeout(300)
    page.keyboard.press("Tab")
    # The next stop is inside the main area, past the title bar and the scenario panel.
    assert page.evaluate("document.getElementById('wom-main').contains(document.activeElement)")
    outline = page.evaluate(
        "getComputedStyle(document.activeElement).outlineStyle + ' ' +"
        " getComputedStyle(document.activeElement).outlineWidth"
    )
    assert outline.split()[0] not in ("none", ""), outline
    page.screenshot(path=str(SHOTS / "layout-focus-ring.png"))
    # From the main area, Run comparison is a few Tab presses away (it was 49 from the top).
    presses = 1
    while presses < 40 and not page.evaluate(
        "!!document.activeElement.closest('.wom-run-compare')"
    ):
        page.keyboard.press("Tab")
        presses += 1
    assert presses <= 20, presses
