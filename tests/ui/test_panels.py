"""The app's panels rendered with solara (no browser): controls, messages, uploads, safety."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import ipyvuetify as v
import ipyvuetify.extra.file_input
import pandas as pd
import pytest
import solara
from ipyvuetify.extra import FileInput

from simulation.errors import ScenarioError
from simulation.ui import state
from simulation.ui.compare_view import CompareView, compare_job, start_comparison
from simulation.ui.results_view import ResultsView
from simulation.ui.scenario_panel import (
    ScenarioPanel,
    handle_edge_list_upload,
    handle_scenario_upload,
    read_upload,
)
from simulation.ui.server import app_command, app_environment

LAUNCH = Path(__file__).resolve().parents[2] / "scenarios" / "launch.toml"


@pytest.fixture(autouse=True)
def fresh_session():
    state.draft.set({})
    state.base_dir.set(".")
    state.source.set("")
    yield
    state.remove_session_dir()


def _texts(rc) -> list[str]:
    return [
        w.children[0]
        for w in rc.find(v.Html).widgets
        if w.children and isinstance(w.children[0], str)
    ]


def test_scenario_panel_loads_the_default_and_shows_schema_ranges():
    _box, rc = solara.render(ScenarioPanel(), handle_error=False)
    assert state.draft.value["name"] == "Spring launch"
    sliders = {w.label: w for w in rc.find(v.Slider).widgets}
    assert (sliders["Appeal"].min, sliders["Appeal"].max) == (0.0, 1.0)
    assert sliders["Appeal"].v_model == pytest.approx(0.3)
    assert any("valid scenario" in t for t in _texts(rc))
    rc.close()


def test_a_bad_value_shows_its_message_next_to_the_control():
    _box, rc = solara.render(ScenarioPanel(), handle_error=False)
    steps = rc.find(v.TextField, label="Steps").widget
    steps.v_model = "0"  # typed: checked as it is typed, no Enter needed
    rc.find(
        v.Html, children=["⚠ Input should be greater than or equal to 1, got 0"]
    ).assert_single()
    assert any("problem(s) to fix" in t for t in _texts(rc))
    rc.close()


def test_a_bad_scenario_upload_returns_problems_and_keeps_the_draft():
    state.load_ready_made(LAUNCH)
    before = dict(state.draft.value)
    error = handle_scenario_upload("../../etc/evil.toml", b'name = "x"\n[network]\nkind = "nope"')
    assert error is not None
    assert "unknown network kind" in str(error)
    assert "evil.toml" in str(error)
    assert "/etc" not in str(error.problems[0].source)
    assert state.draft.value == before
    syntax = handle_scenario_upload("s.toml", b"name = ")
    assert "TOML syntax error" in str(syntax)
    big = handle_scenario_upload("s.toml", b"#" * (state.MAX_SCENARIO_BYTES + 1))
    assert "at most" in str(big)


@pytest.mark.parametrize(
    "text",
    ["x = " + "[" * 5000 + "]" * 5000, "x = " + "{a = " * 20000 + "1" + "}" * 20000],
)
def test_a_deeply_nested_upload_is_a_message_not_a_crash(text):
    before = dict(state.draft.value)
    problems = handle_scenario_upload("deep.toml", text.encode())
    assert isinstance(problems, ScenarioError)
    assert "nested" in str(problems)
    assert state.draft.value == before


def test_uploads_go_to_the_session_folder_only(tmp_path):
    text = LAUNCH.read_bytes()
    assert handle_scenario_upload("mine.toml", text) is None
    folder = Path(state.base_dir.value)
    assert folder == state.session_dir()
    assert (folder / "scenario.toml").read_bytes() == text
    assert handle_edge_list_upload("/etc/passwd", b"a b\nb c\nc a\n") is None
    assert state.draft.value["network"] == {
        "kind": "edge_list",
        "path": "edges.txt",
        "directed": False,
    }
    scenario = state.validate_draft(state.draft.value, state.base_dir.value, "x")
    assert scenario.network.kind == "edge_list"
    bad = handle_edge_list_upload("e.txt", b"a b c d e\n")
    assert bad is not None
    assert "e.txt" in str(bad)


class FakeBrowser:
    """The browser's side of a file widget: holds one file and answers the widget's reads."""

    def __init__(self, widget: FileInput, name: str, content: bytes) -> None:
        self.widget, self.name, self.content = widget, name, content
        self.bytes_sent = 0
        self.cleared = threading.Event()
        widget.send = self.receive  # what the widget sends to the browser comes here

    def receive(self, message: dict, buffers=None) -> None:
        if message.get("method") == "read":
            request = message["args"][0]
            start, length = request["offset"], request["length"]
            chunk = self.content[start : start + length]
            self.bytes_sent += len(chunk)
            self.widget.vue_upload({**request, "length": len(chunk)}, [chunk])
        elif message.get("method") == "clear":
            self.widget.file_info = []
            self.cleared.set()

    def pick(self) -> None:
        """Choose (or drop) the file: the browser reports its name and size only."""
        self.cleared.clear()
        self.widget.file_info = [{"name": self.name, "size": len(self.content)}]
        assert self.cleared.wait(timeout=60), "the file was never delivered"


@pytest.fixture
def no_kernel(monkeypatch):
    """No IPython kernel here: ipyvuetify pumps its messages while reading; none are needed."""

    async def nothing() -> None:
        return None

    monkeypatch.setattr(ipyvuetify.extra.file_input, "process_messages", nothing)


def _upload_widgets(rc, label: str) -> list[FileInput]:
    return [w for w in rc.find(FileInput).widgets if w.label == label]


def _problems_shown_under(rc, which: str) -> list[str]:
    """The problems listed in the message box under one upload (``scenario`` or ``edges``)."""
    boxes = [w for w in rc.find(v.Html).widgets if f"wom-upload-{which}-error" in _classes(w)]
    return [t.children[0] for box in boxes for t in _html_in(box) if "wom-problem" in _classes(t)]


def _classes(widget) -> list[str]:
    return (getattr(widget, "class_", None) or "").split()


def _html_in(widget):
    for child in getattr(widget, "children", None) or []:
        if isinstance(child, v.Html):
            yield child
        if not isinstance(child, str):
            yield from _html_in(child)


def test_choosing_a_bad_scenario_file_shows_its_problem_under_the_chooser(no_kernel):
    _box, rc = solara.render(ScenarioPanel(), handle_error=False)
    before = dict(state.draft.value)
    (chooser,) = _upload_widgets(rc, "Choose a scenario file")
    browser = FakeBrowser(
        chooser, "broken.toml", b'name = "x"\n[network]\nkind = "barabasi"\nn = 10\n'
    )
    browser.pick()
    problems = _problems_shown_under(rc, "scenario")
    assert len(problems) == 1
    assert "broken.toml" in problems[0]
    assert "unknown network kind" in problems[0]
    assert _problems_shown_under(rc, "edges") == []
    assert state.draft.value == before
    assert chooser.file_info == []  # cleared: the same file, once fixed, can be chosen again
    rc.close()


def test_choosing_a_good_scenario_file_replaces_the_scenario(no_kernel):
    _box, rc = solara.render(ScenarioPanel(), handle_error=False)
    (chooser,) = _upload_widgets(rc, "Choose a scenario file")
    text = LAUNCH.read_bytes().replace(b'"Spring launch"', b'"Autumn relaunch"')
    FakeBrowser(chooser, "mine.toml", text).pick()
    assert state.draft.value["name"] == "Autumn relaunch"
    assert (Path(state.base_dir.value) / "scenario.toml").read_bytes() == text
    rc.find(v.Alert, children=["Loaded mine.toml"]).assert_single()
    assert rc.find(v.Select, label="Ready-made scenario").widget.v_model is None
    assert _problems_shown_under(rc, "scenario") == []
    rc.close()


def test_a_file_over_the_limit_is_refused_after_reading_one_byte_more_than_allowed(no_kernel):
    _box, rc = solara.render(ScenarioPanel(), handle_error=False)
    (chooser,) = _upload_widgets(rc, "Choose a scenario file")
    huge = b"#" * (state.MAX_SCENARIO_BYTES + 50_000)
    browser = FakeBrowser(chooser, "huge.toml", huge)
    browser.pick()
    assert browser.bytes_sent == state.MAX_SCENARIO_BYTES + 1
    (problem,) = _problems_shown_under(rc, "scenario")
    assert f"file is {len(huge):,} bytes" in problem
    rc.close()


def test_dropping_an_edge_list_uses_it_as_the_network(no_kernel):
    _box, rc = solara.render(ScenarioPanel(), handle_error=False)
    scenario_drop, edge_drop = _upload_widgets(rc, "…or drop it here")
    FakeBrowser(edge_drop, "ties.txt", b"ann bob\nbob cat\ncat ann\n").pick()
    assert state.draft.value["network"]["kind"] == "edge_list"
    rc.find(v.Alert, children=["Network from ties.txt"]).assert_single()
    scenario = state.validate_draft(state.draft.value, state.base_dir.value, "x")
    assert scenario.network.kind == "edge_list"
    assert scenario_drop.file_info == []
    rc.close()


def test_an_upload_the_browser_stops_sending_is_a_message_not_a_crash():
    class Broken:
        def read(self, size: int) -> bytes:
            raise Exception("Timeout")  # as ipyvuetify's reader does

    with pytest.raises(ScenarioError, match="did not finish"):
        read_upload({"name": "a.toml", "size": 10, "file_obj": Broken(), "data": None}, 100)


def test_an_edge_list_path_cannot_name_a_server_file(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("a b\n")
    data = json.loads(json.dumps(state.draft.value or {"name": "x"}))
    data["network"] = {"kind": "edge_list", "path": str(secret)}
    with pytest.raises(Exception, match="must be uploaded"):
        state.validate_draft(data, str(state.session_dir()), "x")


def test_the_comparison_job_runs_every_variant_of_the_compare_view():
    state.load_ready_made(LAUNCH)
    scenario = state.validate_draft(state.draft.value, state.base_dir.value, "launch")
    small = scenario.with_overrides({"network.n": 1500})
    _box, rc = solara.render(CompareView(small), handle_error=False)
    from simulation.ui.compare_view import variants

    start_comparison(small, list(variants.value), 200)
    deadline = time.time() + 120
    while time.time() < deadline and compare_job.value.busy:
        time.sleep(0.2)
    job = compare_job.value
    assert job.status == "done", job.error
    assert job.result.runs == 200
    assert [r.variant.name for r in job.result.results] == [v.name for v in variants.value]
    rc.close()


def test_results_view_lists_only_sweeps_under_its_root(tmp_path, monkeypatch):
    folder = tmp_path / "results" / "s1"
    folder.mkdir(parents=True)
    pd.DataFrame(
        {
            "content.appeal": [0.1, 0.1, 0.2, 0.2],
            "run": [0, 1, 0, 1],
            "seed": 1,
            "reach": [1.0, 2.0, 3.0, 5.0],
        }
    ).to_parquet(folder / "part.parquet")
    (folder / "_manifest.json").write_text(json.dumps({"grid": {"content.appeal": [0.1, 0.2]}}))
    monkeypatch.setenv("WOM_RESULTS_ROOT", str(tmp_path))
    _box, rc = solara.render(ResultsView(), handle_error=False)
    select = rc.find(v.Select, label="Sweep").widget
    assert select.items == ["results/s1"]
    select.v_model = "results/s1"
    rc.find(v.Select, label="Metric").wait_for(timeout=10)
    assert rc.find(v.Select, label="Metric").widget.v_model == "reach"
    rc.close()


def test_wom_app_runs_solara_on_app_py_offline():
    command = app_command(host="127.0.0.1", port=8999)
    assert command[command.index("run") + 1].endswith("app.py")
    assert Path(command[command.index("run") + 1]).is_file()
    assert "--production" in command
    assert command[command.index("--host") + 1] == "127.0.0.1"
    env = app_environment(Path("."))
    assert env["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] == "False"
    assert env["SOLARA_ASSETS_PROXY"] == "True"


def test_the_panel_adds_and_removes_rows_and_optional_tables():
    _box, rc = solara.render(ScenarioPanel(), handle_error=False)
    rc.find(v.Btn, class_="wom-add-ads").widget.click()
    assert len(state.draft.value["ads"]) == 1
    rc.find(v.Btn, class_="wom-add-crisis").widget.click()
    assert state.draft.value["crisis"] == {}
    rc.find(v.Btn, class_="wom-remove-ads").wait_for(timeout=10)
    rc.find(v.Btn, class_="wom-remove-ads").widget.click()
    assert "ads" not in state.draft.value
    rc.find(v.Btn, class_="wom-remove-crisis").widget.click()
    assert "crisis" not in state.draft.value
    rc.find(v.Btn, class_="wom-add-segments").widget.click()
    assert len(state.draft.value["segments"]) == 4
    assert any("problem(s) to fix" in t for t in _texts(rc))
    rc.close()


def test_a_budget_above_the_population_is_shown_before_run():
    state.load_ready_made(LAUNCH)
    data = json.loads(json.dumps(state.draft.value))
    data["seeding"]["budget"] = 20_001
    with pytest.raises(ScenarioError) as caught:
        state.validate_draft(data, state.base_dir.value, "launch")
    problem = caught.value.problems[0]
    assert problem.key == "seeding.budget"
    assert "10,000 people" in problem.message


def test_a_number_that_is_not_one_is_shown_under_its_field_and_switching_clears_it():
    _box, rc = solara.render(ScenarioPanel(), handle_error=False)
    half_life = rc.find(v.TextField, label="Half life").widget
    assert half_life.v_model == "12"
    half_life.v_model = "soon"
    rc.find(v.Html, class_="wom-knob-error").wait_for(timeout=10)
    assert state.draft.value["content"]["half_life"] == "soon"
    assert any("problem(s) to fix" in t for t in _texts(rc))
    # Another scenario without half_life: the field is empty, not "None", and not in red.
    state.load_ready_made(LAUNCH.with_name("classroom.toml"))
    rc.find(v.TextField, label="Half life", v_model="").wait_for(timeout=10)
    assert rc.find(v.TextField, label="Half life").widget.error is False
    rc.close()


def test_the_panel_switches_to_a_platform_and_edits_its_keys():
    state.load_ready_made(LAUNCH.with_name("platforms.toml"))
    _box, rc = solara.render(ScenarioPanel(), handle_error=False)
    rc.find(v.Select, label="Audience").assert_single()
    rc.find(v.Select, label="Kind").widget.v_model = "closed_circles"
    assert state.draft.value["network"] == {"kind": "closed_circles", "n": 10_000}
    rc.find(v.TextField, label="Circle size").wait_for(timeout=10)
    rc.find(v.TextField, label="Circles").widget.v_model = "3"
    assert state.draft.value["network"]["circles"] == 3
    scenario = state.validate_draft(state.draft.value, state.base_dir.value, "x")
    assert scenario.network.kind == "closed_circles"
    rc.close()
