"""The scenario panel: pick a ready-made scenario, edit every knob, upload, download.

Every control comes from :func:`simulation.ui.knobs.scenario_sections` (the schema), and every
change is validated by the schema; problems appear under the control they concern. A file can
be uploaded by choosing it (a file dialog: mouse, keyboard, touch) or by dropping it; either
way at most the size limit plus one byte is read from the browser, and the file goes to the
session's own temporary folder under a name the app chooses.
"""

from __future__ import annotations

import re
from typing import Any

import solara
import tomli_w

from simulation.errors import ScenarioError
from simulation.inputs import parse_toml
from simulation.scenario import Scenario
from simulation.ui import state
from simulation.ui.knobs import (
    OPTIONAL_TABLES,
    ROW_TABLES,
    add_row,
    get_value,
    network_kind_change,
    problems_by_key,
    put_value,
    remove_row,
    scenario_sections,
)
from simulation.ui.widgets import (
    ERROR_STYLE,
    HELP_STYLE,
    FileChooser,
    FileDropArea,
    FileInfo,
    KnobControl,
    ProblemList,
)

__all__ = [
    "ScenarioPanel",
    "handle_edge_list_upload",
    "handle_scenario_upload",
    "read_upload",
    "use_scenario",
]

# Sections open when the panel first shows (the knobs a strategist turns most).
_OPEN = ("content", "seeding")
_UPLOAD_TITLE_STYLE = {"font-size": "13px", "font-weight": "600", "display": "block"}


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


def read_upload(info: FileInfo, limit: int) -> tuple[bytes, int]:
    """Read an uploaded file, but never more than ``limit + 1`` bytes of it.

    Args:
        info: The file as :func:`solara.FileDrop` or :func:`~simulation.ui.widgets.FileChooser`
            give it (``data`` if already read, else ``file_obj``).
        limit: The most bytes the file may have.

    Returns:
        ``(content, size)``: the bytes read and the file's size (as the browser reports it, or
        as read), so a file over the limit can be named with its size without sending it all.

    Raises:
        ScenarioError: if the browser stopped sending the file (tab closed, file changed).
    """
    content = info.get("data")
    if content is None:
        try:
            content = info["file_obj"].read(limit + 1)
        except Exception as exc:  # ipyvuetify's reader raises bare Exception("Timeout"), etc.
            raise ScenarioError.single(
                f"the upload did not finish ({exc}); try again", source=_safe_label(info["name"])
            ) from exc
    return content, max(len(content), int(info.get("size") or 0))


def handle_scenario_upload(
    name: str, content: bytes, size: int | None = None
) -> ScenarioError | None:
    """Make an uploaded scenario TOML the draft; return the problems if it is not valid.

    The file is saved in the session's folder as ``scenario.toml`` (never under a name or path
    the user gives) so that an edge list uploaded next sits beside it.

    Args:
        name: The file's name in the browser (only its last part is shown in messages).
        content: Its bytes (possibly only the first ``MAX_SCENARIO_BYTES + 1`` of them).
        size: Its full size when ``content`` is only the start of it.
    """
    label = _safe_label(name)
    size = len(content) if size is None else size
    if size > state.MAX_SCENARIO_BYTES:
        return ScenarioError.single(
            f"file is {size:,} bytes; a scenario may be at most {state.MAX_SCENARIO_BYTES:,}",
            source=label,
        )
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        return ScenarioError.single("not a text file (UTF-8)", source=label)
    try:
        # The same reader as the command line's: syntax errors with their line, and nesting
        # bounded before parsing (a deeply nested document cannot exhaust the server's stack).
        data = parse_toml(text, label)
    except ScenarioError as exc:
        return exc
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


def handle_edge_list_upload(
    name: str, content: bytes, size: int | None = None
) -> ScenarioError | None:
    """Use an uploaded edge list as the draft's network; return the problems if it is bad.

    Args:
        name: The file's name in the browser (only its last part is shown in messages).
        content: Its bytes (possibly only the first ``MAX_EDGE_LIST_BYTES + 1`` of them).
        size: Its full size when ``content`` is only the start of it.
    """
    from simulation.network import read_edge_list

    label = _safe_label(name)
    size = len(content) if size is None else size
    if size > state.MAX_EDGE_LIST_BYTES:
        return ScenarioError.single(
            f"file is {size:,} bytes; an edge list may be at most {state.MAX_EDGE_LIST_BYTES:,}",
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
    network = {
        "kind": "edge_list",
        "path": "edges.txt",
        "directed": get_value(data, "network.directed", False),
    }
    if get_value(data, "network.audience") is not None:  # who saw shares in the last network
        network["audience"] = get_value(data, "network.audience")
    data = put_value(data, "network", network)
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
    # The last upload's outcome: (which upload, its problems or None, a note on success).
    upload, set_upload = solara.use_state(None)

    def first_load():
        if not state.draft.value and chosen in choices:
            state.load_ready_made(choices[chosen])

    solara.use_effect(first_load, dependencies=[])

    def pick(name: str) -> None:
        set_chosen(name)
        set_upload(None)
        if name in choices:
            state.load_ready_made(choices[name])

    def on_scenario_file(info: FileInfo) -> None:
        try:
            content, size = read_upload(info, state.MAX_SCENARIO_BYTES)
            error = handle_scenario_upload(info["name"], content, size)
        except ScenarioError as exc:
            error = exc
        set_upload(("scenario", error, f"Loaded {_safe_label(info['name'])}"))
        if error is None:
            set_chosen(None)  # the scenario is no longer the ready-made one

    def on_edge_file(info: FileInfo) -> None:
        try:
            content, size = read_upload(info, state.MAX_EDGE_LIST_BYTES)
            error = handle_edge_list_upload(info["name"], content, size)
        except ScenarioError as exc:
            error = exc
        set_upload(("edges", error, f"Network from {_safe_label(info['name'])}"))
        if error is None:
            set_chosen(None)

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
            solara.Column(gap="14px", classes=["wom-uploads"]),
        ):
            # One column each, so that a message under one never moves (remounts) the other.
            with solara.Column(gap="6px"):
                solara.Text(
                    f"A scenario (.toml, up to {state.MAX_SCENARIO_BYTES // 1024} KB)",
                    style=_UPLOAD_TITLE_STYLE,
                )
                FileChooser("Choose a scenario file", on_file=on_scenario_file)
                FileDropArea("…or drop it here", on_file=on_scenario_file)
                _upload_outcome(upload, "scenario")
            with solara.Column(gap="6px"):
                solara.Text(
                    "A network: an edge list, one tie per line: u v [weight] "
                    f"(up to {state.MAX_EDGE_LIST_BYTES // 1024**2} MB)",
                    style=_UPLOAD_TITLE_STYLE,
                )
                FileChooser("Choose an edge list", on_file=on_edge_file)
                FileDropArea("…or drop it here", on_file=on_edge_file)
                _upload_outcome(upload, "edges")

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
                solara.Column(gap="4px", classes=[f"wom-section-{_css(prefix or 'scenario')}"]),
            ):
                for knob in knobs:
                    _knob(knob, data, by_key, segments)
                _remove_button(prefix)
        _AddButtons(data)


_ROW = re.compile(r"^([a-z_]+)\[(\d+)\]$")


def _css(prefix: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", prefix.lower()).strip("-")


def _remove_button(prefix: str) -> None:
    """A "Remove this ad" button under a row of a table, "Remove the crisis" under a table."""
    row = _ROW.match(prefix)
    if row and row.group(1) in ROW_TABLES:
        table, index = row.group(1), int(row.group(2))
        what = ROW_TABLES[table][0]
        solara.Button(
            f"Remove this {what}",
            icon_name="mdi-delete-outline",
            text=True,
            small=True,
            on_click=lambda: state.draft.set(remove_row(state.draft.value, table, index)),
            classes=[f"wom-remove-{table}"],
        )
    elif prefix in OPTIONAL_TABLES:
        solara.Button(
            f"Remove {OPTIONAL_TABLES[prefix][0]}",
            icon_name="mdi-delete-outline",
            text=True,
            small=True,
            on_click=lambda: state.draft.set(put_value(state.draft.value, prefix, None)),
            classes=[f"wom-remove-{prefix}"],
        )


@solara.component
def _AddButtons(data: dict[str, Any]):
    """Add a row to a table (segment, post, ad, competitor) or an optional table."""
    with solara.Row(gap="6px", style={"flex-wrap": "wrap"}, classes=["wom-add-rows"]):
        for table, (what, _starter) in ROW_TABLES.items():
            solara.Button(
                f"Add {'an' if what[0] in 'aeiou' else 'a'} {what}",
                icon_name="mdi-plus",
                outlined=True,
                small=True,
                on_click=lambda table=table: state.draft.set(add_row(state.draft.value, table)),
                classes=[f"wom-add-{table}"],
            )
        for table, (title, starter) in OPTIONAL_TABLES.items():
            if not isinstance(data.get(table), dict):
                solara.Button(
                    f"Add {title}",
                    icon_name="mdi-plus",
                    outlined=True,
                    small=True,
                    on_click=lambda table=table, starter=starter: state.draft.set(
                        put_value(state.draft.value, table, dict(starter))
                    ),
                    classes=[f"wom-add-{table}"],
                )
    solara.Text(
        "Segments' shares must add up to 1; a post, ad or competitor takes its name in the "
        "metrics (e.g. sharers[post:teaser]).",
        style=HELP_STYLE,
    )


def _upload_outcome(upload: tuple | None, which: str) -> None:
    """What became of the last upload, shown under the upload it concerns."""
    if upload is None or upload[0] != which:
        return
    _which, error, note = upload
    if error is None:
        solara.Success(note, dense=True, classes=[f"wom-upload-{which}-ok"])
        return
    with solara.Div(classes=["wom-upload-error", f"wom-upload-{which}-error"]):
        solara.Text(
            "The scenario file was not loaded:"
            if which == "scenario"
            else "The edge list was not used:",
            style={**ERROR_STYLE, "display": "block"},
        )
        ProblemList(error.problems)


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
