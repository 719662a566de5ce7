"""Dask, for the work that spreads over processes (sweeps, fits): one door to a cluster.

A new local cluster (one single-threaded worker process per core, or ``--workers``), or an
existing one at ``--scheduler``, which is first asked who it is with a deadline: a port that
accepts a connection and says nothing would otherwise make ``distributed.Client`` wait for ever.
The deadline is ``WOM_SCHEDULER_TIMEOUT`` seconds (default 10).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Iterator
from typing import Any

from simulation.errors import ScenarioError
from simulation.inputs import env_limit

__all__ = ["SCHEDULER_TIMEOUT", "dask_client", "probe_scheduler"]

# Seconds to wait for a scheduler at --scheduler to say who it is.
SCHEDULER_TIMEOUT = 10.0


def probe_scheduler(address: str, timeout: float | None = None) -> None:
    """Connect to ``address`` and ask who it is; refuse within ``timeout`` seconds.

    ``distributed.Client`` waits for ever on a port that accepts a connection and says
    nothing; this asks the scheduler's ``identity`` with a deadline first.

    Raises:
        ScenarioError: nothing answers, or what answers is not a Dask scheduler.
    """
    if address.startswith("inproc://"):
        return
    if timeout is None:
        timeout = env_limit("WOM_SCHEDULER_TIMEOUT", SCHEDULER_TIMEOUT, kind=float)
    from distributed.comm import connect

    async def identify() -> Any:
        comm = await connect(address, timeout=timeout)
        try:
            await comm.write({"op": "identity"})
            return await comm.read()
        finally:
            comm.abort()

    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["reply"] = asyncio.run(asyncio.wait_for(identify(), timeout))
        except BaseException as exc:  # reported below
            outcome["error"] = exc

    # A thread of its own: the caller may already be inside an event loop.
    thread = threading.Thread(target=run, daemon=True, name="wom-scheduler-probe")
    thread.start()
    thread.join(timeout + 5)
    error, reply = outcome.get("error"), outcome.get("reply")
    if thread.is_alive() or isinstance(error, TimeoutError | asyncio.TimeoutError):
        reason = f"no answer within {timeout:g} s"
    elif error is not None:
        reason = f"{type(error).__name__}: {error}"
    elif not (isinstance(reply, dict) and reply.get("type") == "Scheduler"):
        reason = "what answers there is not a Dask scheduler"
    else:
        return
    raise ScenarioError.single(
        f"cannot use the Dask scheduler at {address}: {reason} (is a scheduler running "
        "there? WOM_SCHEDULER_TIMEOUT sets the seconds to wait)",
        source="--scheduler",
    )


@contextlib.contextmanager
def dask_client(workers: int | None, scheduler: str | None) -> Iterator[Any]:
    """A Dask client: on an existing cluster (``scheduler``) or on a new local one."""
    from distributed import Client, LocalCluster

    if scheduler is not None:
        probe_scheduler(scheduler)
        timeout = env_limit("WOM_SCHEDULER_TIMEOUT", SCHEDULER_TIMEOUT, kind=float)
        try:
            client = Client(scheduler, timeout=f"{timeout}s")
        except (OSError, TimeoutError, ValueError) as exc:
            raise ScenarioError.single(
                f"cannot connect to the Dask scheduler at {scheduler!r}: {exc}",
                source="--scheduler",
            ) from None
        with client:
            yield client
        return
    import dask.system

    cluster = LocalCluster(
        n_workers=workers or dask.system.CPU_COUNT,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        # No dashboard; its HTTP server still listens, on a free port rather than 8787.
        dashboard_address=":0",
        scheduler_kwargs={"dashboard": False},
        silence_logs=logging.ERROR,
    )
    with cluster, Client(cluster) as client:
        yield client
