"""Small shared components: the network canvas, a file chooser, a knob's control, messages."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import ipyvue
import ipywidgets
import solara
import traitlets
from ipyvuetify.extra import FileInput
from solara.components.file_drop import FileDropZone, FileInfo

from simulation.errors import Problem
from simulation.ui.knobs import Knob, parse_numbers

__all__ = [
    "ERROR_STYLE",
    "HELP_STYLE",
    "FileChooser",
    "FileDropArea",
    "FileInfo",
    "KnobControl",
    "NetworkCanvas",
    "NumberField",
    "ProblemList",
    "parse_number",
]

HELP_STYLE = {"font-size": "11.5px", "color": "#6c757d", "line-height": "1.3"}
KEY_STYLE = {"font-size": "10.5px", "color": "#6c757d", "font-family": "monospace"}
ERROR_STYLE = {"font-size": "12.5px", "color": "#b00020", "font-weight": "500"}


@solara.component_vue(str(Path(__file__).with_name("network_canvas.vue")), vuetify=False)
def NetworkCanvas(
    xy: list[float],
    ties: list[int],
    states: list[int],
    colors: list[str],
    state_names: list[str] | None = None,
    labels: list[str] | None = None,
    highlight: list[int] | None = None,
    aspect: float = 0.75,
    node_size: float = 1.0,
    tie_color: str | None = None,
    event_pick: Callable[[int], None] | None = None,
):
    """People as dots on a canvas, coloured by state, drawn in the browser.

    Args:
        xy: Flat positions ``[x0, y0, x1, y1, ...]`` in the unit square (sent once).
        ties: Flat pairs of positions ``[a0, b0, a1, b1, ...]`` (sent once).
        states: Colour index of each person (sent every step: one small integer each).
        colors: CSS colour of each state index.
        state_names: Name of each state index, for the hover tip.
        labels: Each person's label, for the hover tip.
        highlight: People ringed (the seeds).
        aspect: Height / width.
        node_size: Multiplies the dot radius.
        tie_color: CSS colour of ties.
        event_pick: Called with a person's position when clicked.
    """


class _FileChooserWidget(FileInput):
    """ipyvuetify's file input (the browser's file dialog) with a label and a compact look."""

    # As in solara's FileDropZone: a template file instead of FileInput's template string.
    template = traitlets.Instance(ipyvue.Template).tag(sync=True, **ipywidgets.widget_serialization)
    template_file = (__file__, "file_chooser.vue")
    label = traitlets.Unicode().tag(sync=True)


@solara.component
def FileChooser(label: str, on_file: Callable[[FileInfo], None], accept: str = ""):
    """A field that opens the browser's file dialog (click, keyboard or touch).

    For people who cannot drag and drop. Nothing is read up front: ``on_file`` gets the file's
    name, size (as the browser reports it) and a ``file_obj`` that fetches bytes from the
    browser as they are read, so a caller can refuse a file that is too large without
    transferring it. ``on_file`` runs in a worker thread; when it returns the field is
    cleared, so that choosing the same (edited) file again is a new choice.

    Args:
        label: What to choose, shown in the field (its accessible name).
        on_file: Called with the chosen file's :class:`FileInfo` (``data`` is ``None``).
        accept: File types the dialog offers first, e.g. ``".toml"`` (a hint, not a check).
    """
    chosen, set_chosen = solara.use_state(None)
    field = _FileChooserWidget.element(
        label=label, accept=accept, multiple=False, on_file_info=set_chosen
    )
    _use_delivery(field, chosen, on_file)
    return field


@solara.component
def FileDropArea(label: str, on_file: Callable[[FileInfo], None]):
    """A region a file can be dropped on; delivers the file exactly as :func:`FileChooser` does.

    The drop zone is solara's (:func:`solara.FileDrop`'s widget); the delivery is not, because
    ``solara.FileDrop`` calls ``on_file`` in a thread it cancels by raising inside it (an
    "intrusive" cancel), which can stop a handler halfway through updating the page.

    Args:
        label: What to drop, shown in the region.
        on_file: Called with the dropped file's :class:`FileInfo` (``data`` is ``None``).
    """
    dropped, set_dropped = solara.use_state(None)
    zone = FileDropZone.element(label=label, multiple=False, on_file_info=set_dropped)
    _use_delivery(zone, dropped, on_file)
    return zone


def _use_delivery(element, file_info: list | None, on_file: Callable[[FileInfo], None]) -> None:
    """Hand the first file of ``file_info`` to ``on_file`` in a thread, then clear the widget.

    A hook (call it from a component, unconditionally): the browser reports a file's name and
    size; the widget reads its bytes on demand, in chunks, from the browser's copy.
    """
    wired, set_wired = solara.use_state(None)

    def wire() -> None:
        if not file_info:
            return
        widget = solara.get_widget(element)
        # As solara's FileDrop does: a new version makes reads of an earlier file fail.
        widget.version += 1
        widget.reset_stats()
        set_wired((widget, widget.get_files()[0]))

    solara.use_effect(wire, [file_info])

    def deliver() -> None:
        if wired is None:
            return
        widget, file = wired
        try:
            on_file({**file, "data": None})
        finally:
            widget.clear()

    # Not intrusive: a handler that has started runs to its end (it only reads one file).
    result = solara.use_thread(deliver, dependencies=[wired], intrusive_cancel=False)
    if result.error:
        raise result.error


@solara.component
def ProblemList(problems: list[Problem]):
    """Problems that belong to no single control, as an error box."""
    if problems:
        with solara.Error(icon="mdi-alert-circle-outline", dense=True), solara.Column(gap="2px"):
            for problem in problems:
                solara.Text(str(problem), classes=["wom-problem"])


@solara.component
def KnobControl(
    knob: Knob,
    value: Any,
    on_value: Callable[[Any], None],
    errors: list[str] | None = None,
    choices: list[Any] | None = None,
    show_help: bool = True,
    title: str | None = None,
):
    """The control for one scenario key, with its help and any problem shown under it.

    Args:
        knob: The key and its schema information.
        value: Its value in the draft (``None`` when left out).
        on_value: Called with the new value (``None`` to leave the key out).
        errors: Problems with this key (shown under the control, in red).
        choices: Values to offer instead of free text (segment names for ``seeding.segment``).
        show_help: Whether to show the schema's description under the control.
        title: The control's label (default: the key's plain-language label); the dotted key
            is shown in small print under it either way.
    """
    local_error, set_local_error = solara.use_state(cast_none())
    label = title or knob.label
    if knob.kind == "probability":
        number = float(value) if isinstance(value, int | float) else float(knob.default or 0.0)
        with solara.Row(gap="6px", style={"align-items": "center"}):
            solara.SliderFloat(
                label,
                value=number,
                min=0.0,
                max=1.0,
                step=0.005,
                on_value=lambda v: on_value(round(float(v), 4)),
                thumb_label=False,
            )
            with solara.Div(style={"width": "74px", "flex": "0 0 74px"}):
                NumberField(
                    "value",
                    value=number,
                    on_value=lambda v: v is not None and on_value(float(v)),
                    minimum=0.0,
                    maximum=1.0,
                    classes=["wom-typed"],
                )
        if knob.optional and value is not None:
            solara.Button("use default", text=True, small=True, on_click=lambda: on_value(None))
    elif knob.kind in ("float", "int"):
        # Typed as text and handed to the schema as typed: its message appears under the field.
        NumberField(
            label,
            value=value,
            on_value=on_value,
            integer=knob.kind == "int",
            raw=True,
            invalid=bool(errors),
        )
    elif knob.kind == "choice" or choices is not None:
        options = list(choices if choices is not None else knob.options)
        none_label = "(everyone)"
        if knob.optional:
            options = [none_label, *options]
        current = none_label if value is None and knob.optional else value
        solara.Select(
            label,
            values=options,
            value=current if current in options else None,
            on_value=lambda v: on_value(None if v == none_label else v),
            dense=True,
        )
    elif knob.kind == "bool":
        solara.Checkbox(label=label, value=bool(value), on_value=on_value)
    elif knob.kind == "numbers":
        text = ", ".join(f"{v:g}" for v in value) if isinstance(value, list) else ""

        def parse_list(new: str | None) -> None:
            numbers, problem = parse_numbers(new)
            set_local_error(problem)
            if problem is None:
                on_value(numbers)

        solara.InputText(label, value=text, on_value=parse_list, dense=True)
    elif knob.kind in ("list", "pair"):
        text = ", ".join(str(v) for v in value) if isinstance(value, list) else ""

        def parse(new: str | None) -> None:
            items = [x.strip() for x in re.split(r"[,\n]", new or "") if x.strip()]
            if knob.kind == "pair":
                if not items:
                    set_local_error(None)
                    on_value(None)
                    return
                if len(items) != 2 or not all(re.fullmatch(r"-?\d+", x) for x in items):
                    set_local_error("two whole numbers, e.g. 18, 24")
                    return
                set_local_error(None)
                on_value([int(x) for x in items])
            else:
                on_value(items)

        solara.InputText(label, value=text, on_value=parse, dense=True)
    elif knob.kind == "shares":
        from simulation.ui.knobs import parse_shares, shares_text

        def parse_table(new: str | None) -> None:
            parsed, message = parse_shares(new, knob.options[0] if knob.options else None)
            set_local_error(message)
            if message is None:
                on_value(parsed)

        solara.InputText(label, value=shares_text(value), on_value=parse_table, dense=True)
    elif knob.kind == "threshold":
        shape = value.get("distribution") if isinstance(value, dict) else "fixed share"
        solara.Select(
            f"{label} (kind)",
            values=["fixed share", "uniform", "normal"],
            value=shape if shape in ("fixed share", "uniform", "normal") else "fixed share",
            on_value=lambda v: on_value(
                float(knob.default) if v == "fixed share" else {"distribution": v}
            ),
            dense=True,
        )
        if not isinstance(value, dict):
            number = float(value) if isinstance(value, int | float) else float(knob.default)
            solara.SliderFloat(
                label,
                value=number,
                min=0.005,
                max=1.0,
                step=0.005,
                on_value=lambda v: on_value(round(float(v), 4)),
            )
    else:
        solara.InputText(
            label,
            value="" if value is None else str(value),
            on_value=lambda v: on_value(v if v or not knob.optional else None),
            dense=True,
        )
    if show_help and knob.help:
        solara.Text(knob.help, style=HELP_STYLE)
    solara.Text(knob.key, style=KEY_STYLE, classes=["wom-key"])
    for message in [*(errors or []), *([local_error] if local_error else [])]:
        solara.Text(f"⚠ {message}", style=ERROR_STYLE, classes=["wom-knob-error"])


def parse_number(
    text: str | None,
    *,
    integer: bool = False,
    optional: bool = False,
    minimum: float | None = None,
    maximum: float | None = None,
) -> tuple[float | int | None, str | None]:
    """A typed number: ``(value, None)``, or ``(None, message)`` when it is not allowed.

    Commas as thousands separators and surrounding spaces are accepted ("2,000").
    """
    raw = (text or "").strip().replace(",", "").replace("_", "")
    if not raw:
        return (None, None) if optional else (None, "required")
    try:
        number: float | int = int(raw) if integer else float(raw)
    except ValueError:
        return None, "a whole number" if integer else "a number, e.g. 0.25"
    if not math.isfinite(number):
        return None, "a finite number"
    if minimum is not None and number < minimum:
        return None, f"at least {minimum:,g}"
    if maximum is not None and number > maximum:
        return None, f"at most {maximum:,g}"
    return number, None


def _shown(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.10g}"
    return str(value)


@solara.component
def NumberField(
    label: str,
    value: Any,
    on_value: Callable[[Any], None],
    integer: bool = False,
    optional: bool = False,
    minimum: float | None = None,
    maximum: float | None = None,
    classes: list[str] | None = None,
    raw: bool = False,
    invalid: bool = False,
):
    """A number typed as text, checked as it is typed; the problem shown under the field.

    By default a number outside ``minimum .. maximum`` (or no number) is not passed on:
    ``on_value(None)`` is called so that what depends on it (a Run button) waits, and the
    message says the allowed range. With ``raw``, what was typed is passed on as it is (the
    number, or the text when it is not one), for a caller that validates it itself (the
    scenario schema) and shows its own messages; ``invalid`` then marks the field in red.
    """
    text, set_text = solara.use_state(_shown(value))
    error, set_error = solara.use_state(cast_none())

    def follow() -> None:
        # The value changed from outside (another scenario): show it, unless it is what the
        # field holds already (a number being typed, or text the caller was given back).
        if isinstance(value, str):
            return
        current, problem = parse_number(text, integer=integer, optional=True)
        if problem is not None and value is None:
            return
        if current != value:
            set_text(_shown(value))
            set_error(None)

    solara.use_effect(follow, dependencies=[value])

    def typed(new: str | None) -> None:
        set_text(new or "")
        if raw:
            number, problem = parse_number(new, integer=integer, optional=True)
            on_value((new or "").strip() if problem is not None else number)
            return
        number, problem = parse_number(
            new, integer=integer, optional=optional, minimum=minimum, maximum=maximum
        )
        set_error(problem)
        on_value(number)

    solara.InputText(
        label,
        value=text,
        on_value=typed,
        continuous_update=True,
        error=bool(error) or invalid,
        classes=classes or [],
    )
    if error:
        solara.Text(f"⚠ {error}", style=ERROR_STYLE, classes=["wom-knob-error"])


def cast_none() -> str | None:
    """``None`` typed as an optional message (for ``use_state``)."""
    return None
