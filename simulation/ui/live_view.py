"""The live cascade view: watch content spread through the network, step by step.

For classrooms: the network drawn with people coloured by state, play / pause / step / reset
and a speed control, the counts and their timeline growing beside it, and the cascade tree of
a chosen seed with its structural virality. It steps :class:`~simulation.model.WordOfMouthModel`
(through :class:`~simulation.ui.live.LiveCascade`) in a background thread.
"""

from __future__ import annotations

import threading
import time

import solara

from simulation.agents import STATES
from simulation.scenario import Scenario
from simulation.ui import jobs
from simulation.ui.glossary import metric_meaning
from simulation.ui.jobs import JobState
from simulation.ui.live import LIVE_LIMIT, STATE_COLORS, LiveCascade
from simulation.ui.widgets import HELP_STYLE, NetworkCanvas, ProblemList

__all__ = ["LiveView"]

# Counters shown as big numbers, with the article's word for each.
_COUNTERS = (
    ("reach", "Reach"),
    ("impressions", "Impressions"),
    ("engagements", "Engagements"),
    ("shares", "Earned shares"),
    ("clicks", "Clicks (referrals)"),
    ("conversions", "Conversions"),
)
_TIMELINE = ("reach", "engagements", "sharers", "conversions")
_LINE_COLORS = {
    "reach": "#8ecae6",
    "engagements": "#ffb703",
    "sharers": "#e63946",
    "conversions": "#2a9d8f",
}
_TREE_COLORS = ["#1d3557", "#e63946", "#2a9d8f"]  # seed, sharer, sharer who bought


def _colors() -> list[str]:
    return [STATE_COLORS.get(name, "#adb5bd") for name in STATES]


def _scenario_too_big(scenario: Scenario) -> bool:
    n = getattr(scenario.network, "n", 0) or 0
    return n > LIVE_LIMIT


# The session's live model build (a job: never interrupted inside numba, see jobs.py).
live_job: solara.Reactive[JobState] = solara.reactive(JobState())


def _play(live: LiveCascade, speed: int, stop: threading.Event, on_step, on_end) -> None:
    """Step ``live`` at ``speed`` steps a second until ``stop`` is set or nothing can change.

    ``stop`` is looked at between steps only: a step (numba) is never interrupted.
    """
    while not stop.is_set():
        started = time.perf_counter()
        live.step()
        on_step()
        if not live.model.running:
            on_end()
            return
        stop.wait(max(0.0, 1.0 / speed - (time.perf_counter() - started)))


@solara.component
def LiveView(scenario: Scenario | None, active: bool = True):
    """The live cascade of one replicate of ``scenario``.

    Args:
        scenario: The scenario (``None`` while it is not valid).
        active: Whether the tab is shown: the model (an agent per person) is built only once
            the tab has been opened.
    """
    run, set_run = solara.use_state(0)
    resets, set_resets = solara.use_state(0)
    playing, set_playing = solara.use_state(False)
    speed, set_speed = solara.use_state(4)
    tick, set_tick = solara.use_state(0)
    chosen_seed, set_chosen_seed = solara.use_state(None)
    was_opened, set_opened = solara.use_state(False)
    opened = was_opened or active

    def remember_opened() -> None:
        if active:
            set_opened(True)

    solara.use_effect(remember_opened, dependencies=[active])
    key = repr(scenario.to_toml_dict()) + scenario.base_dir if scenario is not None else ""
    wanted = (key, run, resets)

    def build() -> None:
        if not opened or scenario is None or _scenario_too_big(scenario):
            return
        if live_job.peek().inputs == wanted and live_job.peek().status != "cancelled":
            return
        set_playing(False)
        jobs.start(live_job, lambda _report: LiveCascade(scenario, run=run), inputs=wanted)

    solara.use_effect(build, dependencies=[opened, key, run, resets])
    state = live_job.value
    current = state.inputs == wanted
    live = state.result if state.status == "done" and current else None

    def play_loop():
        if not playing or live is None:
            return None
        stop = threading.Event()
        thread = threading.Thread(
            target=_play,
            args=(live, speed, stop, lambda: set_tick(lambda t: t + 1), lambda: set_playing(False)),
            name="wom-live-play",
            daemon=True,
        )
        thread.start()
        return stop.set

    solara.use_effect(play_loop, dependencies=[playing, live, speed])

    def reset() -> None:
        set_playing(False)
        set_chosen_seed(None)
        set_resets(resets + 1)

    def new_run() -> None:
        set_playing(False)
        set_chosen_seed(None)
        set_run(run + 1)

    def step_once() -> None:
        if live is not None:
            live.step()
            set_tick(tick + 1)

    with solara.Column(gap="12px", classes=["wom-live"]):
        solara.Text(
            "Watch one campaign spread. Each dot is a person; ringed dots are the seeds who "
            "post first. Press play, or step through it one day at a time.",
            style={"font-size": "14px", "color": "#444"},
        )
        if scenario is None:
            solara.Warning("Fix the scenario in the panel on the left to watch it spread.")
            return
        if _scenario_too_big(scenario):
            solara.Warning(
                f"The live view draws networks of up to {LIVE_LIMIT:,} people; this one has "
                f"{scenario.network.n:,}. Lower the network's n, or compare strategies instead."
            )
            return
        if state.status == "failed" and current:
            problems = getattr(state.error, "problems", None)
            if problems:
                ProblemList(problems)
            else:
                solara.Error(f"Could not build the model: {type(state.error).__name__}")
            return
        with solara.Row(gap="8px", style={"align-items": "center", "flex-wrap": "wrap"}):
            running = live is not None and live.model.running
            solara.Button(
                "Pause" if playing else "Play",
                icon_name="mdi-pause" if playing else "mdi-play",
                color="primary",
                on_click=lambda: set_playing(not playing),
                disabled=live is None or (not running and not playing),
                classes=["wom-play"],
            )
            solara.Button(
                "Step",
                icon_name="mdi-skip-next",
                on_click=step_once,
                disabled=live is None or playing or not running,
                outlined=True,
                classes=["wom-step"],
            )
            solara.Button(
                "Reset",
                icon_name="mdi-restore",
                on_click=reset,
                outlined=True,
                disabled=live is None,
            )
            solara.Button(
                "Another run",
                icon_name="mdi-dice-5",
                on_click=new_run,
                outlined=True,
                disabled=live is None,
            )
            with solara.Div(style={"width": "220px"}):
                solara.SliderInt("Speed (steps/s)", value=speed, min=1, max=20, on_value=set_speed)
        if live is None:
            with solara.Column(style={"padding": "40px", "align-items": "center"}):
                solara.SpinnerSolara(size="60px")
                waiting = state.note if current and state.note else ""
                solara.Text(
                    "Building the network…" + (f" ({waiting})" if waiting else ""),
                    classes=["wom-live-building"],
                )
            return
        frame = live.frame()
        drawing = live.drawing
        shown = len(drawing.people)
        status = (
            f"Step {frame.step}"
            + ("" if frame.running else " · finished")
            + f" · run {live.run} · "
            + (
                f"drawing {shown:,} of {live.people:,} people nearest the seeds"
                if shown < live.people
                else f"{live.people:,} people"
            )
        )
        solara.Text(
            status, style={"font-weight": "600", "color": "#1d3557"}, classes=["wom-live-status"]
        )

        def pick(position: int) -> None:
            root = live.root_of(int(drawing.people[int(position)]))
            if root is not None:
                set_chosen_seed(root)

        with solara.Columns([3, 2], gutters_dense=True):
            with solara.Column(gap="6px"):
                NetworkCanvas(
                    xy=drawing.xy.ravel().round(4).tolist(),
                    ties=drawing.ties.ravel().tolist(),
                    states=frame.states,
                    colors=_colors(),
                    state_names=list(STATES),
                    labels=[live.label(int(p)) for p in drawing.people],
                    highlight=live.drawn_seeds(),
                    aspect=0.78,
                    event_pick=pick,
                )
                _Legend()
            with solara.Column(gap="8px"):
                _Counters(frame.counts)
                _Timeline(live.timeline(), scenario.steps)
        _TreeCard(live, chosen_seed, set_chosen_seed, tick)


@solara.component
def _Legend():
    with solara.Row(gap="14px", style={"flex-wrap": "wrap", "font-size": "13px"}):
        for name in STATES:
            with solara.Row(gap="5px", style={"align-items": "center"}):
                solara.Div(
                    style={
                        "width": "12px",
                        "height": "12px",
                        "border-radius": "50%",
                        "background": STATE_COLORS.get(name, "#adb5bd"),
                    }
                )
                solara.Text(name)
        with solara.Row(gap="5px", style={"align-items": "center"}):
            solara.Div(
                style={
                    "width": "10px",
                    "height": "10px",
                    "border-radius": "50%",
                    "border": "2px solid #1d3557",
                }
            )
            solara.Text("seed")
    solara.Text(
        "Hover a person to see who they are; click a sharer to see their cascade below.",
        style=HELP_STYLE,
    )


@solara.component
def _Counters(counts: dict[str, int]):
    with solara.Div(style={"display": "grid", "grid-template-columns": "1fr 1fr", "gap": "8px"}):
        for metric, title in _COUNTERS:
            with solara.Div(
                style={"background": "#f5f7fb", "border-radius": "8px", "padding": "8px 10px"},
                classes=[f"wom-counter-{metric}"],
            ):
                solara.Text(title, style={"font-size": "12px", "color": "#555"})
                solara.Text(
                    f"{counts.get(metric, 0):,}",
                    style={"font-size": "22px", "font-weight": "700", "display": "block"},
                )
                solara.Text(metric_meaning(metric), style={**HELP_STYLE, "display": "block"})


@solara.component
def _Timeline(timeline: dict[str, list[float]], steps: int):
    length = len(next(iter(timeline.values()), []))
    # The y-axis title runs up the left side, clear of the legend on top, just left of the
    # widest tick label (ECharts writes 12,345, about 7 px a character; its top tick is a
    # round number at most ~25% above the largest value).
    largest = max((max(v, default=0) for v in timeline.values()), default=0)
    label_width = 7 * len(f"{round(largest * 1.25):,}") + 8
    option = {
        "animation": False,
        "grid": {"left": label_width + 24, "right": 12, "top": 36, "bottom": 36},
        "legend": {"top": 0, "textStyle": {"fontSize": 11}},
        "tooltip": {"trigger": "axis"},
        "xAxis": {
            "type": "value",
            "name": "step",
            "nameLocation": "middle",
            "nameGap": 22,
            "min": 0,
            "max": max(10, length - 1),
        },
        "yAxis": {
            "type": "value",
            "name": "people (cumulative)",
            "nameLocation": "middle",
            "nameRotate": 90,
            "nameGap": label_width,
            "nameTextStyle": {"fontSize": 11},
        },
        "series": [
            {
                "type": "line",
                "name": name,
                "showSymbol": False,
                "lineStyle": {"width": 2.5, "color": _LINE_COLORS[name]},
                "itemStyle": {"color": _LINE_COLORS[name]},
                "data": [[i, v] for i, v in enumerate(timeline.get(name, []))],
            }
            for name in _TIMELINE
            if name in timeline
        ],
    }
    solara.FigureEcharts(option=option, attributes={"style": "height: 260px; width: 100%"})


@solara.component
def _TreeCard(live: LiveCascade, chosen_seed, set_chosen_seed, tick: int):
    sizes = live.tree_sizes()
    if not sizes:
        return
    ordered = sorted(sizes, key=lambda s: (-sizes[s], s))
    seed = chosen_seed if chosen_seed in sizes else ordered[0]
    labels = {f"{live.label(s)} ({sizes[s]:,} people)": s for s in ordered}
    current = next(label for label, s in labels.items() if s == seed)
    tree = live.tree(seed)
    drawn = min(tree.size, 2000)
    from simulation.ui.drawing import tree_layout

    xy = tree_layout(tree.parent[:drawn])
    ties = [int(v) for i in range(1, drawn) if tree.parent[i] >= 0 for v in (tree.parent[i], i)]
    states = live.model.states()[tree.people[:drawn]]
    colors = [0] + [2 if s == STATES.index("converted") else 1 for s in states[1:]]
    with (
        solara.Card("Cascade tree of one seed", margin=0, classes=["wom-tree"]),
        solara.Columns([1, 2], gutters_dense=True),
    ):
        with solara.Column(gap="8px"):
            solara.Select(
                "Seed",
                values=list(labels),
                value=current,
                on_value=lambda v: set_chosen_seed(labels[v]),
            )
            solara.Text(
                f"{tree.size:,} people · depth {int(tree.depth.max(initial=0))}",
                style={"font-size": "14px"},
            )
            solara.Text(
                f"Structural virality: {tree.virality:.2f}",
                style={"font-size": "20px", "font-weight": "700"},
                classes=["wom-virality"],
            )
            solara.Text(
                "The average number of shares between two people in this tree (Goel et "
                "al. 2016). About 2 means one broadcast: the seed reached everyone "
                "directly. Larger means the content travelled from person to person — "
                "truly viral.",
                style=HELP_STYLE,
            )
            if drawn < tree.size:
                solara.Text(f"Drawing the first {drawn:,} of {tree.size:,}.", style=HELP_STYLE)
        NetworkCanvas(
            xy=xy.ravel().round(4).tolist(),
            ties=ties,
            states=colors,
            colors=_TREE_COLORS,
            state_names=["seed", "shared", "shared and bought"],
            labels=[live.label(int(p)) for p in tree.people[:drawn]],
            highlight=[0],
            aspect=0.45,
            node_size=1.4,
            tie_color="rgba(29, 53, 87, 0.45)",
        )
