"""Mesa's SolaraViz on the model (examples/mesa_viz.py) in a real Chromium, served offline."""

from __future__ import annotations

import re

import pytest
from browser_app import MARKS, ROOT, SHOTS, app_server, chromium_browser

pytestmark = MARKS

EXAMPLE = ROOT / "examples" / "mesa_viz.py"


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    with (
        app_server(tmp_path_factory.mktemp("mesa_viz"), app=str(EXAMPLE)) as (url, _, _),
        chromium_browser() as browser,
    ):
        tab = browser.new_page(viewport={"width": 1400, "height": 1000})
        tab.events = {"failed": [], "errors": [], "hosts": set()}
        tab.on("response", lambda r: r.status >= 400 and tab.events["failed"].append(r.url))
        tab.on("requestfailed", lambda r: tab.events["failed"].append(r.url))
        tab.on("pageerror", lambda e: tab.events["errors"].append(str(e)))
        tab.on(
            "request",
            lambda r: "://" in r.url and tab.events["hosts"].add(r.url.split("/")[2]),
        )
        tab.goto(url)
        tab.get_by_text("300 people").wait_for(timeout=120_000)
        yield tab


def summary(page) -> str:
    return page.get_by_text(re.compile(r"people\b.*step \d+")).first.inner_text()


def test_the_page_draws_the_network_offline(page):
    # The network and the line plot are matplotlib images: two, with content.
    # Polled in the page: on a busy machine the second can lag the first, and an image can be
    # replaced (re-rendered) between a wait for it and a look at its box.
    page.wait_for_function(
        """() => {
            const images = [...document.querySelectorAll("img")].slice(0, 2);
            return images.length === 2
                && images.every((image) => image.getBoundingClientRect().width > 200);
        }""",
        timeout=60_000,
    )
    page.screenshot(path=str(SHOTS / "mesa-viz-1-network.png"))
    assert page.events["failed"] == []
    assert page.events["errors"] == []
    assert all(h.startswith("127.0.0.1") for h in page.events["hosts"]), page.events["hosts"]


def test_stepping_spreads_the_post(page):
    assert "step 0:" in summary(page)
    network = page.locator("img").first.get_attribute("src")
    for _ in range(3):
        page.get_by_role("button", name="Step").click()
    page.get_by_text(re.compile(r"step 3: \d+ shared")).wait_for()
    shared = int(re.search(r"(\d+) shared", summary(page)).group(1))
    assert shared > 1  # the classroom's first replicate spreads from its one seed
    assert page.locator("img").first.get_attribute("src") != network  # dots recoloured


def test_a_slider_changes_the_model(page):
    people = page.locator(".v-input").filter(has_text="People").get_by_role("slider")
    people.focus()
    people.press("ArrowRight")  # one step of 50 people
    page.get_by_role("button", name="Reset").click()
    page.get_by_text("350 people").wait_for(timeout=60_000)
    assert "step 0:" in summary(page)
    page.screenshot(path=str(SHOTS / "mesa-viz-2-slider.png"))
    assert page.events["errors"] == []
