"""Long work for the app, in plain threads that are only ever stopped between kernel calls.

Why not ``solara.use_thread`` or ``solara.lab.task``: a cancelled ``use_thread`` raises inside the
thread at its next Python line (an "intrusive" cancel). Inside numba's compiler that line can be
llvmlite's ``_LLVMLock.__enter__``: the exception leaves the process-wide compile lock held by a
dead thread, and every later compile, in every session, waits for ever. ``lab.task`` threads are
not daemons, so they also keep a stopped server alive.

Here a job runs in a daemon :class:`threading.Thread`. Cancelling sets an event; the job sees it
only where it calls the ``report(done, total)`` callback it is given, which the engine calls
between batches of replicates (and the comparison between variants), never inside numba: there
it raises :class:`Cancelled`, a private exception that unwinds the job's own Python code. A job
that is building a graph or compiling finishes that first. At most :data:`MAX_CONCURRENT` jobs
run at once in the server (they queue, cancellable while they wait), so memory is bounded by
that many jobs' budgets (:mod:`simulation.ui.limits`) whatever the number of visitors.

A job's state lives in a ``solara.Reactive[JobState]`` of the session, so it survives the
component that started it being hidden; the thread updates it inside the session's kernel
context. A job that has been replaced (a new run started) never writes its result.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import solara

from simulation.errors import ScenarioError
from simulation.ui import warmup

__all__ = [
    "MAX_CONCURRENT",
    "Cancelled",
    "JobState",
    "Report",
    "cancel",
    "cancel_requested",
    "start",
]

logger = logging.getLogger(__name__)

# Jobs running at once in the whole server (the machine's cores are shared by all of them).
MAX_CONCURRENT = 2
_slots = threading.BoundedSemaphore(MAX_CONCURRENT)
_tokens = itertools.count(1)
_cancel_events: dict[int, threading.Event] = {}
_lock = threading.Lock()

Report = Callable[[int, int], None]


class Cancelled(Exception):  # noqa: N818 - it is not an error
    """Raised by a job's ``report`` callback (between kernel calls) once it is cancelled."""


@dataclass(frozen=True, eq=False)
class JobState:
    """What a job is doing, for the page.

    Attributes:
        status: ``idle``, ``waiting`` (for the engine or a free slot), ``running``, ``done``,
            ``failed`` or ``cancelled``.
        progress: Share done, 0..1.
        note: What it is waiting for, in words.
        result: The job's return value once ``done``.
        error: What went wrong once ``failed`` (a :class:`ScenarioError`, or any exception;
            the page shows a message, never the traceback).
        token: Identifies the run (a newer run has a larger token).
        inputs: What the result was computed from (to mark it stale when they change).
        last: ``(inputs, result)`` of the last job that finished, shown while a new one runs.
    """

    status: str = "idle"
    progress: float = 0.0
    note: str = ""
    result: Any = None
    error: BaseException | None = None
    token: int = 0
    inputs: Any = None
    last: tuple[Any, Any] | None = None

    @property
    def latest(self) -> tuple[Any, Any] | None:
        """``(inputs, result)`` of this job if it is done, else of the last one that was."""
        return (self.inputs, self.result) if self.status == "done" else self.last

    @property
    def busy(self) -> bool:
        """Waiting or running."""
        return self.status in ("waiting", "running")


def cancel_requested(token: int) -> bool:
    """Whether the job ``token`` was asked to stop (true too once it has ended)."""
    event = _cancel_events.get(token)
    return event is None or event.is_set()


def cancel(state: JobState) -> None:
    """Ask a job to stop at its next ``report`` (a no-op if it has ended)."""
    event = _cancel_events.get(state.token)
    if event is not None:
        event.set()


def start(
    target: solara.Reactive[JobState],
    work: Callable[[Report], Any],
    *,
    inputs: Any = None,
) -> int:
    """Run ``work(report)`` in a daemon thread; its state goes to ``target``.

    The job first waits (cancellably) for the engine's warm-up and a free slot. ``work`` must
    call ``report(done, total)`` between pieces of work (it raises :class:`Cancelled` once the
    job is cancelled). A job already running in ``target`` is cancelled first.

    Args:
        target: The session's reactive holding the job's state.
        work: The job; its return value becomes ``JobState.result``.
        inputs: Stored with the state, to tell later whether the result is stale.

    Returns:
        The job's token.
    """
    previous = target.peek()
    cancel(previous)
    with _lock:
        token = next(_tokens)
        event = _cancel_events[token] = threading.Event()
    target.set(JobState("waiting", note="queued", token=token, inputs=inputs, last=previous.latest))
    context = _current_context()

    def update(**changes: Any) -> None:
        try:
            with context if context is not None else contextlib.nullcontext():
                current = target.peek()
                if current.token == token:
                    target.set(replace(current, **changes))
        except Exception:  # the session closed: nobody to tell
            logger.debug("job %s: could not update its session", token, exc_info=True)

    def report(done: int, total: int) -> None:
        if event.is_set():
            raise Cancelled
        update(status="running", note="", progress=done / total if total else 1.0)

    def body() -> None:
        try:
            if not warmup.ready():
                warmup.start()  # started by the app already; here for other callers
                update(note="preparing the engine (once)")
                while not warmup.wait(0.25):
                    if event.is_set():
                        raise Cancelled
            while not _slots.acquire(timeout=0.25):
                update(note="waiting for other runs on this server to finish")
                if event.is_set():
                    raise Cancelled
            try:
                if event.is_set():
                    raise Cancelled
                update(status="running", note="")
                result = work(report)
            finally:
                _slots.release()
            if event.is_set():
                raise Cancelled
            update(status="done", progress=1.0, result=result, note="")
        except Cancelled:
            update(status="cancelled", note="")
        except ScenarioError as exc:
            update(status="failed", error=exc, note="")
        except MemoryError as exc:
            logger.warning("job %s ran out of memory", token)
            update(status="failed", error=exc, note="")
        except Exception as exc:  # shown as a message; the traceback goes to the log only
            logger.exception("job %s failed", token)
            update(status="failed", error=exc, note="")
        finally:
            with _lock:
                _cancel_events.pop(token, None)

    threading.Thread(target=body, name=f"wom-job-{token}", daemon=True).start()
    return token


def _current_context():
    try:
        import solara.server.kernel_context as kernel_context

        if kernel_context.has_current_context():
            return kernel_context.get_current_context()
    except Exception:  # pragma: no cover - outside a server (tests without a kernel)
        pass
    return None
