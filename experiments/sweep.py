"""The sweep engine: run every design point's replicates on Dask and write them as Parquet.

Work is cut into tasks, each one design point and a contiguous slice of its replicate indices,
and sent to a Dask cluster (a local one by default, or any cluster by address). A task runs
through :func:`simulation.engine.simulate` with the experiment's seed, so replicate r of a point
is the same numbers as ``wom run`` of that point's scenario with ``--seed S`` gives for
replicate r, whatever the cluster, the number of workers or the task size.

Results go under the output folder as one Parquet part per task (named for the task, written
to a temporary file and renamed, so a part is either whole or absent) and ``_manifest.json``
(the experiment, the resolved base scenario, package versions and which tasks are done).
``pandas.read_parquet(DIR)`` reads the parts as one table; files starting with ``_`` or ``.``
are skipped by the Parquet reader, which is why the manifest is ``_manifest.json``. A part
that exists and is whole is done: ``resume`` runs only the tasks without one. A part that is
not whole (truncated, garbage, another schema, the wrong rows) is moved to ``_corrupt/`` with a
warning and its task runs again.

A folder is locked while a sweep writes it (``.wom-sweep.lock``, held with ``flock``, which the
kernel releases when the process dies, so a killed sweep leaves no lock behind); a second sweep
into it is refused. A write that fails (a full disk, a read-only folder) stops the sweep with a
message; every part written before stays, so ``resume`` finishes it once the cause is fixed.
Sizes are bounded before any work: tasks (``WOM_MAX_SWEEP_TASKS``), local workers (at most the
machine's cores), and the time to reach a scheduler (``WOM_SCHEDULER_TIMEOUT`` seconds).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import platform
import re
import socket
import sys
import threading
import time
import uuid
from collections import Counter, OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from experiments.design import Design
from simulation.cluster import dask_client
from simulation.errors import Problem, ScenarioError
from simulation.inputs import env_limit
from simulation.outputs import os_error_message, probe_writable
from simulation.scenario import Scenario

__all__ = [
    "MANIFEST",
    "SweepResult",
    "Task",
    "cap_workers",
    "check_part",
    "default_task_runs",
    "plan_tasks",
    "read_manifest",
    "run_sweep",
    "run_task",
]

MANIFEST = "_manifest.json"
MANIFEST_FORMAT = 1
# Most replicates in one task: a killed sweep loses at most this much work per worker.
MAX_TASK_RUNS = 1000
# Tasks per worker the default task size aims for, so fast workers are not left idle.
TASKS_PER_WORKER = 8
# Seconds between manifest rewrites while a sweep runs (the parts are the record of what is
# done; the manifest's list is a convenience for readers).
MANIFEST_INTERVAL = 2.0

_PART = re.compile(r"^part-(\d+)-(\d+)-(\d+)\.parquet$")
LOCK = ".wom-sweep.lock"
CORRUPT = "_corrupt"
# Most tasks in one sweep (the scheduler holds a future per task, the manifest lists them);
# WOM_MAX_SWEEP_TASKS raises it.
MAX_TASKS = 100_000


@dataclass(frozen=True)
class Task:
    """Replicates ``first_run .. first_run + runs - 1`` of design point ``point``."""

    point: int
    first_run: int
    runs: int

    @property
    def part(self) -> str:
        """The Parquet part's file name: the same for the same task, always."""
        last = self.first_run + self.runs - 1
        return f"part-{self.point:05d}-{self.first_run:07d}-{last:07d}.parquet"

    def as_list(self) -> list[int]:
        """``[point, first_run, runs]`` for the manifest."""
        return [self.point, self.first_run, self.runs]


@dataclass
class SweepResult:
    """What a sweep did.

    Attributes:
        out: The results folder.
        points: Design points.
        runs: Replicates per point.
        tasks: Tasks in the sweep.
        ran: Tasks run by this call.
        skipped: Tasks already done before this call (``resume``).
        warnings: Distinct warnings the graphs raised (dropped self-loops, ...).
    """

    out: Path
    points: int
    runs: int
    tasks: int
    ran: int
    skipped: int
    warnings: list[str] = field(default_factory=list)

    @property
    def rows(self) -> int:
        """Rows of the results table (one per replicate)."""
        return self.points * self.runs


def default_task_runs(points: int, runs: int, workers: int) -> int:
    """Replicates per task: enough tasks for every worker to get several, at most 1,000.

    Tasks are as large as this allows, so each one's fixed cost (scheduling, building the
    point's graph on a worker that has not seen it, writing a part) is spread over many
    replicates.
    """
    tasks_per_point = max(1, -(-TASKS_PER_WORKER * max(1, workers) // max(1, points)))
    return max(1, min(MAX_TASK_RUNS, -(-runs // tasks_per_point)))


def plan_tasks(design: Design, task_runs: int) -> list[Task]:
    """Every task of a sweep, point by point, each a contiguous slice of replicate indices."""
    return [
        Task(point.index, first, min(task_runs, design.runs - first))
        for point in design.points
        for first in range(0, design.runs, task_runs)
    ]


def check_task_count(design: Design, task_runs: int) -> int:
    """The number of tasks, refused before planning them when above ``WOM_MAX_SWEEP_TASKS``.

    Raises:
        ScenarioError: naming ``task_runs`` and the limit.
    """
    limit = env_limit("WOM_MAX_SWEEP_TASKS", MAX_TASKS)
    count = len(design.points) * -(-design.runs // task_runs)
    if count > limit:
        raise ScenarioError.single(
            f"the sweep would be {count:,} tasks ({len(design.points):,} points x "
            f"{-(-design.runs // task_runs):,} tasks of at most {task_runs:,} replicates); "
            f"at most {limit:,}: raise task_runs, or set WOM_MAX_SWEEP_TASKS",
            key="task_runs",
            source=design.source,
        )
    return count


def cap_workers(workers: int | None) -> tuple[int | None, str | None]:
    """Local workers capped at the machine's cores; returns (workers, a warning or None).

    Each worker is a process with its own copy of the engine and of every graph it runs, so
    more workers than cores cost memory and gain nothing.
    """
    import dask.system

    cores = max(1, int(dask.system.CPU_COUNT))
    if workers is None or workers <= cores:
        return workers, None
    return cores, (
        f"--workers {workers} is more than this machine's {cores} cores; using {cores} "
        "(for more, start a Dask cluster and pass --scheduler)"
    )


def check_scheduler_address(address: str) -> str:
    """A Dask scheduler address, checked without contacting it (``tcp://HOST:PORT``, ...).

    Raises:
        ScenarioError: the address is malformed.
    """
    from distributed.comm.addressing import parse_address, parse_host_port

    try:
        scheme, location = parse_address(address.strip())
        if scheme in ("tcp", "tls", "ws", "wss", "ucx"):
            _, port = parse_host_port(location)
            if not 0 < int(port) < 65536:
                raise ValueError(f"port {port} is not between 1 and 65535")
        elif scheme != "inproc":
            raise ValueError(f"unknown scheme {scheme!r}")
    except (ValueError, TypeError) as exc:
        raise ScenarioError.single(
            f"not a Dask scheduler address ({exc}): write tcp://HOST:PORT, e.g. "
            "tcp://127.0.0.1:8786",
            source="--scheduler",
        ) from None
    return address.strip()


class FolderLock:
    """An exclusive lock on a results folder while a sweep writes it.

    ``flock`` on ``DIR/.wom-sweep.lock``: the kernel drops it when the holder dies, even by
    SIGKILL, so a lock left by a killed sweep is stale by construction and taken over. The
    file holds the holder's pid and host for the message a second sweep gets.
    """

    def __init__(self, folder: Path) -> None:
        self.path = folder / LOCK
        self.fd: int | None = None

    def acquire(self) -> None:
        """Take the lock or refuse.

        Raises:
            ScenarioError: another sweep holds it.
        """
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                holder = _read_holder(fd)
                os.close(fd)
                if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                    raise
                raise ScenarioError.single(
                    f"another `wom sweep` ({holder}) is writing this folder; wait for it to "
                    "finish, stop it, or choose another --out",
                    source=str(self.path.parent),
                ) from None
            # The holder before us may have removed the file after we opened it: lock the
            # file that is there now.
            try:
                same = os.fstat(fd).st_ino == os.stat(self.path).st_ino
            except FileNotFoundError:
                same = False
            if same:
                break
            os.close(fd)
        with contextlib.suppress(OSError):  # the text is for messages only (a full disk)
            os.ftruncate(fd, 0)
            os.write(fd, f"pid {os.getpid()} on {socket.gethostname()}\n".encode())
        self.fd = fd

    def release(self) -> None:
        """Remove the lock file, then let go of the lock."""
        if self.fd is None:
            return
        with contextlib.suppress(OSError):
            self.path.unlink()
        os.close(self.fd)
        self.fd = None

    def __enter__(self) -> FolderLock:
        self.acquire()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.release()


def _read_holder(fd: int) -> str:
    with contextlib.suppress(OSError):
        text = os.pread(fd, 200, 0).decode("utf-8", "replace").strip()
        if text:
            return text
    return "another process"


def check_part(
    path: Path, task: Task | None, columns: list[str], types: list[str] | None
) -> str | None:
    """Why a part file is not a whole result of its task, or ``None`` when it is.

    Reads the part and checks it against what the manifest says it must be: a task of this
    sweep, its number of rows, the columns and their types, and the point and replicate
    indices it holds.
    """
    if task is None:
        return "it is not a task of this sweep (another task size or design)"
    try:
        table = pq.read_table(path)
    except Exception as exc:  # pyarrow raises several types for broken files
        return f"it is not a readable Parquet file ({type(exc).__name__}: {exc})"
    if table.num_rows != task.runs:
        return f"it has {table.num_rows} rows; its task has {task.runs} replicates"
    if table.column_names != columns:
        return "its columns are not this sweep's"
    if types is not None and [str(f.type) for f in table.schema] != types:
        return "its column types are not this sweep's"
    points = table.column("point").to_numpy(zero_copy_only=False)
    runs = table.column("run").to_numpy(zero_copy_only=False)
    if not (points == task.point).all():
        return f"its rows are not all of point {task.point}"
    if not np.array_equal(runs, np.arange(task.first_run, task.first_run + task.runs)):
        return f"its replicates are not {task.first_run}..{task.first_run + task.runs - 1}"
    return None


def _expected_columns(design: Design) -> list[str]:
    return [
        "point",
        *(design.column(key) for key in design.keys),
        "run",
        "seed",
        *design.metric_columns,
    ]


def _sort_parts(
    out: Path, tasks: list[Task], design: Design, manifest: dict[str, Any] | None
) -> tuple[set[str], list[str]]:
    """The whole parts of a folder, and warnings about the others (moved to ``_corrupt/``)."""
    by_name = {t.part: t for t in tasks}
    columns = _expected_columns(design)
    types = manifest.get("schema") if manifest else None
    good: set[str] = set()
    warnings = []
    for path in sorted(out.glob("part-*.parquet")) if out.is_dir() else []:
        reason = check_part(path, by_name.get(path.name), columns, types)
        if reason is None:
            good.add(path.name)
            continue
        target = _move_aside(path)
        rerun = " its task runs again" if path.name in by_name else ""
        warnings.append(f"{path.name} was not a whole result ({reason}); moved to {target}.{rerun}")
    return good, warnings


def _move_aside(path: Path) -> Path:
    folder = path.parent / CORRUPT
    folder.mkdir(exist_ok=True)
    target = folder / path.name
    n = 1
    while target.exists():
        target = folder / f"{path.stem}.{n}{path.suffix}"
        n += 1
    os.replace(path, target)
    return target.relative_to(path.parent.parent)


def _write_failed(exc: OSError, out: Path, what: str, written: int, total: int) -> ScenarioError:
    """The message of a sweep stopped by a failed write (full disk, read-only folder)."""
    return ScenarioError.single(
        f"the sweep stopped: could not write {what}: {os_error_message(exc)}. "
        f"{written:,} of {total:,} tasks are written and kept; fix the cause (free some "
        "space) and run the same command with --resume to finish: nothing written is "
        "lost or repeated",
        source=str(out),
    )


# --------------------------------------------------------------------------- on the workers

_PREPARED: OrderedDict[str, Any] = OrderedDict()
_PREPARED_LOCK = threading.Lock()
# Prepared points kept per worker process (a prepared point holds its graph).
_PREPARED_KEEP = 2


def _prepared(scenario: Scenario) -> Any:
    """The point's :class:`~simulation.engine.Prepared`, built once per worker process."""
    from simulation.engine import prepare

    key = f"{scenario.base_dir}\0{scenario.model_dump_json()}"
    with _PREPARED_LOCK:
        if key in _PREPARED:
            _PREPARED.move_to_end(key)
            return _PREPARED[key]
    prepared = prepare(scenario)
    with _PREPARED_LOCK:
        _PREPARED[key] = prepared
        while len(_PREPARED) > _PREPARED_KEEP:
            _PREPARED.popitem(last=False)
    return prepared


def run_task(
    scenario: Scenario, seed: int, metrics: list[str] | None, first_run: int, runs: int
) -> dict[str, Any]:
    """Run one task's replicates (on a Dask worker); return the metric values per replicate.

    Pure: the same arguments give the same values, so a task redone after a worker died, or
    after a resume, writes the same part.
    """
    import numba

    from simulation.engine import simulate

    # One Dask thread, one numba thread: the cluster's workers already use every core.
    numba.set_num_threads(1)
    result = simulate(
        scenario,
        runs=runs,
        seed=seed,
        metrics=metrics,
        first_run=first_run,
        prepared=_prepared(scenario),
        workers=1,
    )
    return {"values": result.values, "warnings": result.warnings}


# --------------------------------------------------------------------------- results folder


def read_manifest(out: Path) -> dict[str, Any] | None:
    """The results folder's manifest, or ``None`` when there is none.

    Raises:
        ScenarioError: the manifest exists but is not readable JSON.
    """
    path = Path(out) / MANIFEST
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise ScenarioError.single(f"unreadable sweep manifest: {exc}", source=str(path)) from None


def _replace_atomically(path: Path, write: Callable[[str], None]) -> None:
    """Call ``write(temp_path)`` and rename the result to ``path``: whole or absent, never half."""
    tmp = str(path.parent / f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        write(tmp)
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _write_json(path: Path, document: dict[str, Any]) -> None:
    text = json.dumps(document, indent=1, default=str) + "\n"
    _replace_atomically(path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))


def _versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for package in (
        "numpy",
        "numba",
        "mesa",
        "networkx",
        "dask",
        "distributed",
        "pandas",
        "pyarrow",
        "wom-sim",
    ):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "not installed"
    return versions


def _check_folder(out: Path, design: Design, resume: bool) -> dict[str, Any] | None:
    """Refuse to write where results would be lost; return the manifest to resume from.

    Raises:
        ScenarioError: ``out`` is a file, holds something other than this experiment's results,
            or holds them and ``resume`` was not asked for.
    """
    source = str(out)
    if out.exists() and not out.is_dir():
        raise ScenarioError.single("--out must be a folder; this is a file", source=source)
    try:
        entries = [p for p in out.iterdir() if not p.name.startswith(".")] if out.is_dir() else []
    except OSError as exc:
        raise ScenarioError.single(
            f"cannot read the folder: {os_error_message(exc)}", source=source
        ) from None
    if not entries:
        return None
    manifest = read_manifest(out)
    if manifest is None:
        raise ScenarioError.single(
            "the folder is not empty and holds no sweep results (no _manifest.json); "
            "choose an empty or new folder for --out",
            source=source,
        )
    name = manifest.get("experiment", {}).get("name", "?")
    if manifest.get("fingerprint") != design.fingerprint():
        raise ScenarioError.single(
            f"the folder holds the results of a different experiment ('{name}', or the same "
            "one with other values, runs, seed or metrics); they are not overwritten: choose "
            "another --out",
            source=source,
        )
    if not resume:
        done, total = len(manifest.get("done", [])), manifest.get("tasks", "?")
        state = "complete" if manifest.get("complete") else f"{done} of {total} tasks done"
        raise ScenarioError.single(
            f"the folder already holds results of this experiment ('{name}', {state}); "
            "pass --resume to finish it (nothing done is repeated), or choose another --out",
            source=source,
        )
    return manifest


def _arrow_type(kind: str) -> pa.DataType:
    return {"bool": pa.bool_(), "int": pa.int64(), "float": pa.float64()}.get(kind, pa.string())


class _Parts:
    """Builds each task's table with the one schema every part shares, and writes it."""

    def __init__(self, design: Design, out: Path, schema: pa.Schema | None) -> None:
        self.design = design
        self.out = out
        self.schema = schema
        self.kinds = {key: design.column_kind(key) for key in design.keys}

    def table(self, task: Task, values: dict[str, np.ndarray]) -> pa.Table:
        design, n = self.design, task.runs
        overrides = design.points[task.point].overrides
        columns: dict[str, pa.Array] = {"point": pa.array(np.full(n, task.point, np.int64))}
        for key in design.keys:
            cell = design.cell(key, overrides[key])
            columns[design.column(key)] = pa.array([cell] * n, type=_arrow_type(self.kinds[key]))
        columns["run"] = pa.array(np.arange(task.first_run, task.first_run + n, dtype=np.int64))
        columns["seed"] = pa.array(np.full(n, design.seed, np.int64))
        for name in design.metric_columns:
            if name in values:
                columns[name] = pa.array(np.asarray(values[name]))
            else:  # a per-segment metric of a segment this point does not have
                columns[name] = pa.nulls(n, pa.float64())
        table = pa.table(columns)
        if self.schema is None:
            self.schema = table.schema
        return table.cast(self.schema)

    def write(self, task: Task, values: dict[str, np.ndarray]) -> None:
        table = self.table(task, values)
        _replace_atomically(self.out / task.part, lambda tmp: pq.write_table(table, tmp))


# --------------------------------------------------------------------------- the sweep


def _threads(client: Any) -> int:
    return max(1, sum(client.nthreads().values()))


def run_sweep(
    design: Design,
    out: str | Path,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    resume: bool = False,
    client: Any = None,
    progress: bool | None = None,
) -> SweepResult:
    """Run every replicate of every design point and write the results under ``out``.

    Args:
        design: The validated experiment (:func:`~experiments.design.load_experiment`).
        out: Results folder (created if missing).
        workers: Worker processes of the local cluster (default: one per core; at most the
            machine's cores, see :func:`cap_workers`).
        scheduler: Address of an existing Dask scheduler to use instead of a local cluster.
        resume: Finish a sweep this folder holds: run only the tasks without a whole part.
        client: An existing ``distributed.Client`` to use (for benchmarks and tests).
        progress: Show a progress bar on stderr (default: when stderr is a terminal).

    Raises:
        ScenarioError: the folder holds other results, another sweep writes it, it cannot be
            written (full disk, read-only), the scheduler cannot be reached, or a point's
            scenario fails on a worker (an unknown seed label, an unreadable edge list).
    """
    out = Path(out)
    if scheduler is not None:
        scheduler = check_scheduler_address(scheduler)
    workers, capped = cap_workers(workers)
    if out.exists() and not out.is_dir():
        raise ScenarioError.single("--out must be a folder; this is a file", source=str(out))
    probe_writable(out, str(out))
    created = not out.exists()
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ScenarioError.single(
            f"cannot create the folder: {os_error_message(exc)}", source=str(out)
        ) from None
    try:
        with FolderLock(out):
            result = _sweep_locked(design, out, workers, scheduler, resume, client, progress)
    except BaseException:
        if created:  # leave no empty folder behind a sweep that wrote nothing
            with contextlib.suppress(OSError):
                out.rmdir()
        raise
    if capped:
        result.warnings.insert(0, capped)
    return result


def _sweep_locked(
    design: Design,
    out: Path,
    workers: int | None,
    scheduler: str | None,
    resume: bool,
    client: Any,
    progress: bool | None,
) -> SweepResult:
    """:func:`run_sweep` once the folder is locked."""
    manifest = _check_folder(out, design, resume)
    given_client = client is not None
    warnings: list[str] = []
    with contextlib.ExitStack() as stack:
        if manifest is not None:  # resuming: the task size is the one the parts were cut by
            task_runs = int(manifest["task_runs"])
        elif design.experiment.task_runs is not None:
            task_runs = design.experiment.task_runs
        else:
            if client is None:
                client = stack.enter_context(dask_client(workers, scheduler))
            task_runs = default_task_runs(len(design.points), design.runs, _threads(client))
        check_task_count(design, task_runs)
        tasks = plan_tasks(design, task_runs)
        try:
            done_names, warnings = _sort_parts(out, tasks, design, manifest)
        except OSError as exc:
            raise ScenarioError.single(
                f"cannot check the parts already written: {os_error_message(exc)}",
                source=str(out),
            ) from None
        todo = [t for t in tasks if t.part not in done_names]
        done = [t for t in tasks if t.part in done_names]
        document = _manifest(design, task_runs, tasks, done, manifest)
        if todo:
            if client is None:
                client = stack.enter_context(dask_client(workers, scheduler))
            document["engine"] = {
                "scheduler": client.scheduler.address,
                "local": scheduler is None and not given_client,
                "threads": _threads(client),
            }
            for stale in out.glob(".*.tmp"):  # left by a sweep killed mid-write
                stale.unlink(missing_ok=True)
            try:
                _write_json(out / MANIFEST, document)
            except OSError as exc:
                raise _write_failed(exc, out, MANIFEST, len(done), len(tasks)) from None
            schema = pq.read_schema(out / done[0].part) if done else None
            warnings += _execute(client, design, out, todo, done, document, schema, progress)
    if manifest is not None and todo:
        before, now = manifest.get("versions", {}), document["versions"]
        changed = [f"{k} {before.get(k)} -> {v}" for k, v in now.items() if before.get(k) != v]
        if changed:
            warnings.append(
                "the sweep was resumed with other package versions than it started with "
                f"({', '.join(changed)}); its parts may mix them"
            )

    _record_done(document, [t.as_list() for t in tasks])
    try:
        _write_json(out / MANIFEST, document)
    except OSError as exc:
        raise _write_failed(exc, out, MANIFEST, len(tasks), len(tasks)) from None
    return SweepResult(
        out=out,
        points=len(design.points),
        runs=design.runs,
        tasks=len(tasks),
        ran=len(todo),
        skipped=len(done),
        warnings=warnings,
    )


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _record_done(document: dict[str, Any], done: list[list[int]]) -> None:
    """Put the finished tasks, and the points whose tasks all finished, in the manifest."""
    per_point = -(-document["runs"] // document["task_runs"])
    finished = Counter(point for point, _, _ in done)
    document["done"] = sorted(done)
    document["points_done"] = sorted(p for p, n in finished.items() if n == per_point)
    document["complete"] = len(done) == document["tasks"]
    document["updated"] = _now()


def _manifest(
    design: Design,
    task_runs: int,
    tasks: list[Task],
    done: list[Task],
    previous: dict[str, Any] | None,
) -> dict[str, Any]:
    experiment = design.experiment.model_dump(mode="json", exclude_none=True)
    document = {
        "format": MANIFEST_FORMAT,
        "experiment": {"file": design.source, **experiment},
        "fingerprint": design.fingerprint(),
        "scenario": design.base.to_toml_dict(),
        "runs": design.runs,
        "seed": design.seed,
        "metrics": design.metric_columns,
        "keys": [
            {"key": key, "column": design.column(key), "kind": design.column_kind(key)}
            for key in design.keys
        ],
        "points": [{"point": p.index, "values": p.overrides} for p in design.points],
        "task_runs": task_runs,
        "tasks": len(tasks),
        "versions": _versions(),
        "started": previous.get("started", _now()) if previous else _now(),
        "engine": previous.get("engine", {}) if previous else {},
    }
    if previous and previous.get("schema"):
        document["schema"] = previous["schema"]
    _record_done(document, [t.as_list() for t in done])
    return document


def _execute(
    client: Any,
    design: Design,
    out: Path,
    todo: list[Task],
    done: list[Task],
    document: dict[str, Any],
    schema: pa.Schema | None,
    progress: bool | None,
) -> list[str]:
    """Submit the tasks, write each part as its task finishes; return the graphs' warnings."""
    from distributed import as_completed
    from tqdm import tqdm

    parts = _Parts(design, out, schema)
    finished = [t.as_list() for t in done]
    warnings: dict[str, None] = {}
    total = len(design.points) * design.runs
    bar = tqdm(
        total=total,
        initial=sum(t.runs for t in done),
        desc=design.experiment.name,
        unit="run",
        file=sys.stderr,
        disable=not (sys.stderr.isatty() if progress is None else progress),
        dynamic_ncols=True,
    )
    prefix = f"wom-{design.fingerprint()[:12]}"
    futures = {}
    for task in todo:
        point = design.points[task.point]
        future = client.submit(
            run_task,
            point.scenario,
            design.seed,
            design.metrics,
            task.first_run,
            task.runs,
            key=f"{prefix}-{task.point}-{task.first_run}-{task.runs}",
            pure=False,
        )
        futures[future.key] = (future, task)
    written_at = time.monotonic()
    try:
        for future in as_completed([f for f, _ in futures.values()]):
            _, task = futures.pop(future.key)
            try:
                result = future.result()
            except ScenarioError as exc:
                client.cancel([f for f, _ in futures.values()])
                raise _at_point(exc, design, task.point) from None
            try:
                parts.write(task, result["values"])
                if "schema" not in document:
                    document["schema"] = [str(f.type) for f in parts.schema]
            except OSError as exc:
                client.cancel([f for f, _ in futures.values()])
                raise _write_failed(exc, out, task.part, len(finished), document["tasks"]) from None
            warnings.update(dict.fromkeys(result["warnings"]))
            finished.append(task.as_list())
            bar.update(task.runs)
            bar.set_postfix_str(f"{len(finished)}/{document['tasks']} tasks", refresh=False)
            if time.monotonic() - written_at > MANIFEST_INTERVAL:
                _record_done(document, finished)
                try:
                    _write_json(out / MANIFEST, document)
                except OSError as exc:
                    client.cancel([f for f, _ in futures.values()])
                    raise _write_failed(
                        exc, out, MANIFEST, len(finished), document["tasks"]
                    ) from None
                written_at = time.monotonic()
    finally:
        bar.close()
        if futures:  # interrupted: record what was finished (the parts are the record)
            _record_done(document, finished)
            with contextlib.suppress(OSError):
                _write_json(out / MANIFEST, document)
    return list(warnings)


def _at_point(error: ScenarioError, design: Design, index: int) -> ScenarioError:
    """A worker's scenario error, saying which design point it came from."""
    overrides = design.points[index].overrides
    where = ", ".join(f"{k} = {design.cell(k, v)}" for k, v in overrides.items()) or "base"
    return ScenarioError(
        [
            Problem(
                f"point {index} ({where}): {p.message}", key=p.key, line=p.line, source=p.source
            )
            for p in error.problems
        ]
    )
