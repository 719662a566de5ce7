"""The scenario panel: pick a ready-made scenario, edit every knob, upload, download.

Every control comes from :func:`simulation.ui.knobs.scenario_sections` (the schema), and every
change is validated by the schema; problems appear under the control they concern. Uploaded
files go to the session's own temporary folder under names the app chooses.
"""

from __future__ import annotations

import tomllib
from typing import Any

import solara
import tomli_w

from simulation.errors import ScenarioError
from simulation.scenario import Scenario
from simulation.ui import state
from simulation.ui.knobs import (
    get_value,
    network_kind_change,
    problems_by_key,
    put_value,
    scenario_sections,
)
from simulation.ui.widgets import ERROR_STYLE, HELP_STYLE, KnobControl, ProblemList

__all__ = ["ScenarioPanel", "handle_edge_list_upload", "handle_scenario_upload", "use_scenario"]

# Sections open when the panel first shows (the knobs a strategist turns most).
_OPEN = ("content", "seeding")


def use_scenario() -> tuple[Scenario | None, ScenarioError | None]:
    """The session's draft, validated (memoised on the draft)."""
    data, folder, name = state.draft.value, state.base_dir.value, state.source.value

    def check() -> tuple[Scenario | None, ScenarioError | None]:
        if not data:
            return None, None
        try:
            return state.validate_draft(data, folder, name), None
        except ScenarioError as exc:
            return None, exc

    return solara.use_memo(check, dependencies=[repr(data), folder, name])


def handle_scenario_upload(name: str, content: bytes) -> ScenarioError | None:
    """Make an uploaded scenario TOML the draft; return the problems if it is not valid.

    The file is saved in the session's folder as ``scenario.toml`` (never under a name or path
    the user gives) so that an edge list uploaded next sits beside it.
    """
    label = _safe_label(name)
    if len(content) > state.MAX_SCENARIO_BYTES:
        return ScenarioError.single(
            f"file is {len(content):,} bytes; a scenario may be at most "
            f"{state.MAX_SCENARIO_BYTES:,}",
            source=label,
        )
    try:
        text = content.decode("utf-8")
        data = tomllib.loads(text)
    except UnicodeDecodeError:
        return ScenarioError.single("not a text file (UTF-8)", source=label)
    except tomllib.TOMLDecodeError as exc:
        return ScenarioError.single(f"TOML syntax error: {exc}", source=label)
    folder = state.session_dir()
    (folder / "scenario.toml").write_bytes(content)
    try:
        from simulation.scenario import parse_scenario

        parse_scenario(data, source=label, base_dir=str(folder), text=text)
    except ScenarioError as exc:
        return exc
    state.draft.set(data)
    state.base_dir.set(str(folder))
    state.source.set(label)
    return None


def handle_edge_list_upload(name: str, content: bytes) -> ScenarioError | None:
    """Use an uploaded edge list as the draft's network; return the problems if it is bad."""
    from simulation.network import read_edge_list

    label = _safe_label(name)
    if len(content) > state.MAX_EDGE_LIST_BYTES:
        return ScenarioError.single(
            f"file is {len(content):,} bytes; an edge list may be at most "
            f"{state.MAX_EDGE_LIST_BYTES:,}",
            source=label,
        )
    folder = state.session_dir()
    path = folder / "edges.txt"
    path.write_bytes(content)
    try:
        read_edge_list(path)
    except ScenarioError as exc:
        return ScenarioError([type(p)(p.message, p.key, p.line, label) for p in exc.problems])
    data = dict(state.draft.value) or {"name": "Uploaded network"}
    directed = get_value(data, "network.directed", False)
    data = put_value(
        data, "network", {"kind": "edge_list", "path": "edges.txt", "directed": directed}
    )
    # The scenario now lives in the session folder: keep its other uploads beside it.
    state.draft.set(data)
    state.base_dir.set(str(folder))
    state.source.set(label)
    return None


def _safe_label(name: str) -> str:
    """A file name fit for messages (no folders, bounded length)."""
    base = str(name or "upload").replace("\\", "/").rsplit("/", 1)[-1]
    return base[:80] or "upload"


@solara.component
def ScenarioPanel():
    """The sidebar: choose, edit, upload and download the scenario."""
    choices = solara.use_memo(state.ready_made, dependencies=[])
    chosen, set_chosen = solara.use_state(next(iter(choices), None))
    upload_error, set_upload_error = solara.use_state(None)  # (which upload, ScenarioError)
    upload_note, set_upload_note = solara.use_state("")

    def first_load():
        if not state.draft.value and chosen in choices:
            state.load_ready_made(choices[chosen])

    solara.use_effect(first_load, dependencies=[])

    def pick(name: str) -> None:
        set_chosen(name)
        set_upload_error(None)
        set_upload_note("")
        if name in choices:
            state.load_ready_made(choices[name])

    def on_scenario_file(info) -> None:
        error = handle_scenario_upload(info["name"], info["data"] or b"")
        set_upload_error(("scenario", error) if error else None)
        set_upload_note("" if error else f"Loaded {_safe_label(info['name'])}")

    def on_edge_file(info) -> None:
        error = handle_edge_list_upload(info["name"], info["data"] or b"")
        set_upload_error(("edges", error) if error else None)
        set_upload_note("" if error else f"Network from {_safe_label(info['name'])}")

    scenario, error = use_scenario()
    data = state.draft.value

    with solara.Column(gap="10px", classes=["wom-scenario-panel"]):
        solara.Select("Ready-made scenario", values=list(choices), value=chosen, on_value=pick)
        with solara.Row(gap="8px", style={"flex-wrap": "wrap"}):
            if scenario is not None:
                solara.FileDownload(
                    lambda: tomli_w.dumps(scenario.to_toml_dict()),
                    filename=f"{_file_stem(scenario.name)}.toml",
                    label="Download scenario (.toml)",
                    mime_type="application/toml",
                )
            else:
                solara.Button(
                    "Download scenario (.toml)",
                    disabled=True,
                    icon_name="mdi-cloud-download-outline",
                )
        solara.Text("Rerun a downloaded scenario with: wom run FILE.toml", style=HELP_STYLE)
        with (
            solara.Details(summary="Upload a scenario or a network", expand=False),
            solara.Column(gap="6px"),
        ):
            solara.FileDrop(
                label="Drop a scenario .toml here", on_file=on_scenario_file, lazy=False
            )
            solara.FileDrop(
                label="Drop an edge list here (one tie per line: u v [weight])",
                on_file=on_edge_file,
                lazy=False,
            )
            solara.Text(
                f"Up to {state.MAX_SCENARIO_BYTES // 1024} KB for a scenario, "
                f"{state.MAX_EDGE_LIST_BYTES // 1024**2} MB for an edge list.",
                style=HELP_STYLE,
            )
        if upload_error is not None:
            which, problem = upload_error
            with solara.Div(classes=["wom-upload-error"]):
                solara.Text(
                    "The scenario file was not loaded:"
                    if which == "scenario"
                    else "The edge list was not used:",
                    style=ERROR_STYLE,
                )
                ProblemList(problem.problems)
        elif upload_note:
            solara.Success(upload_note, dense=True)

        if not data:
            solara.Info("Choose or upload a scenario to start.")
            return
        sections = scenario_sections(data)
        keys = {k.key for _, _, knobs in sections for k in knobs}
        by_key, rest = problems_by_key(error, keys) if error else ({}, [])
        if error is not None:
            solara.Text(
                f"{len(error.problems)} problem(s) to fix before running:",
                style=ERROR_STYLE,
                classes=["wom-scenario-invalid"],
            )
            ProblemList(rest)
        else:
            solara.Text("✓ valid scenario", style={"color": "#2a9d8f", "font-size": "13px"})
        segments = [s.get("name") for s in data.get("segments") or [] if isinstance(s, dict)]
        for prefix, title, knobs in sections:
            has_problem = any(k.key in by_key for k in knobs)
            with (
                solara.Details(
                    summary=("⚠ " if has_problem else "") + title,
                    expand=prefix in _OPEN or has_problem,
                ),
                solara.Column(gap="4px"),
            ):
                for knob in knobs:
                    _knob(knob, data, by_key, segments)


def _knob(knob, data: dict[str, Any], by_key: dict[str, list[str]], segments: list[str]) -> None:
    def set_value(value: Any, key: str = knob.key) -> None:
        if key == "network.kind":
            state.draft.set(network_kind_change(state.draft.value, value))
        else:
            state.draft.set(put_value(state.draft.value, key, value))

    KnobControl(
        knob,
        get_value(data, knob.key),
        set_value,
        errors=by_key.get(knob.key),
        choices=segments if knob.key == "seeding.segment" and segments else None,
    ).key(knob.key)


def _file_stem(name: str) -> str:
    stem = "".join(c if c.isalnum() or c in "-_" else "-" for c in name.lower()).strip("-")
    return stem or "scenario"
