"""Where the ``wom`` commands write: output paths checked before the work, files written whole.

Every ``--out`` is checked before anything runs (:func:`check_output_file`,
:func:`check_output_folder`): its suffix is one the command writes, it is not one of the inputs
(the scenario, its edge list, the experiment), an existing file there is a regular file that a
previous run of ``wom`` wrote (anything else is left alone: a device, a FIFO, a folder, a user's
file), and its folder can be written. Files are written whole or not at all
(:func:`write_file`: a temporary file in the same folder, flushed to disk, then renamed over the
target), so a failure, a full disk or a kill never leaves half a file or replaces good results.
A write that fails for a reason the user can fix (no space, a read-only folder, no permission)
becomes a :class:`~simulation.errors.ScenarioError` naming the path: exit status 2, no
traceback.
"""

from __future__ import annotations

import errno
import os
import re
import stat
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from simulation.errors import ScenarioError

__all__ = [
    "RUN_SUFFIXES",
    "check_output_file",
    "check_output_folder",
    "input_files",
    "os_error_message",
    "probe_writable",
    "write_file",
]

# What `wom run --out` writes, by suffix.
RUN_SUFFIXES = (".json", ".csv", ".parquet")
# How much of an existing file is read to recognise an earlier result of `wom run`.
_SNIFF_BYTES = 4096
_PARQUET_MAGIC = b"PAR1"


def os_error_message(exc: OSError) -> str:
    """A plain-words reason for a failed write (no space, read-only, no permission, ...)."""
    reasons = {
        errno.ENOSPC: "no space left on the device",
        errno.EDQUOT: "the disk quota is exceeded",
        errno.EROFS: "the file system is read-only",
        errno.EACCES: "permission denied",
        errno.EPERM: "operation not permitted",
        errno.ENOENT: "no such file or folder there",
        errno.ENOTDIR: "a part of the path is not a folder",
        errno.EISDIR: "it is a folder",
        errno.ENAMETOOLONG: "the name is too long",
        errno.EFBIG: "the file is too large for the file system",
        errno.EIO: "an input/output error of the device",
    }
    code = exc.errno
    if code is None:  # pyarrow's OSError carries the number only in its text
        found = re.search(r"\[Errno (\d+)\]", str(exc))
        code = int(found.group(1)) if found else None
    return reasons.get(code or 0, exc.strerror or str(exc))


def input_files(scenario: Any, *extra: str | Path | None) -> list[Path]:
    """The files a run reads: ``extra`` (the scenario file, ...) and every ``path`` in it."""
    found = [Path(p) for p in extra if p is not None]
    if scenario is None:
        return found
    base = Path(getattr(scenario, "base_dir", ".") or ".")

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                if key == "path" and isinstance(item, str):
                    found.append(base / item)
                else:
                    walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(scenario.model_dump())
    return found


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return a.resolve() == b.resolve()


def _nearest_existing(path: Path) -> Path:
    path = path.absolute()
    for candidate in (path, *path.parents):
        if candidate.exists():
            return candidate
    return Path(path.anchor)


def probe_writable(folder: Path, source: str) -> None:
    """Refuse a folder (or, when missing, its nearest existing parent) that cannot be written.

    Creates and removes a small temporary file there: the only test that holds for read-only
    mounts, quotas and access lists, and for the superuser, who passes every permission bit.

    Raises:
        ScenarioError: naming ``source`` and the reason.
    """
    existing = _nearest_existing(folder)
    if not existing.is_dir():
        raise ScenarioError.single(f"cannot write there: {existing} is not a folder", source=source)
    probe = existing / f".wom-probe-{os.getpid()}-{uuid.uuid4().hex[:8]}.tmp"
    try:
        fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as exc:
        raise ScenarioError.single(
            f"cannot write in {existing}: {os_error_message(exc)}", source=source
        ) from None
    os.close(fd)
    probe.unlink()


def _looks_like_our_output(path: Path, suffix: str) -> bool:
    """Whether an existing file is an earlier result of ``wom run`` (so replacing it is fine)."""
    if path.stat().st_size == 0:
        return True
    with path.open("rb") as handle:
        head = handle.read(_SNIFF_BYTES)
    if suffix == ".parquet":
        return head.startswith(_PARQUET_MAGIC)
    if suffix == ".csv":
        return head.startswith((b"run,seed", b"run,seed\r"))
    if suffix == ".json":
        text = head.lstrip()
        return text.startswith(b'{"scenario"') or text.startswith(b'{\n "scenario"')
    return False


def check_output_file(
    path: Path,
    *,
    inputs: Iterable[Path] = (),
    suffixes: tuple[str, ...] = RUN_SUFFIXES,
    option: str = "--out",
) -> str:
    """Check an output file before any work; return its format (the suffix, lower case).

    Raises:
        ScenarioError: an unknown suffix, an input file, something that is not a regular file,
            a file ``wom`` did not write, or a folder that cannot be written.
    """
    source = f"{option} {path}"
    for given in inputs:
        if _same_file(path, given):
            raise ScenarioError.single(
                f"this is an input of the run ({given}); it is not overwritten: choose "
                f"another {option}",
                source=source,
            )
    suffix = path.suffix.lower()
    if suffix not in suffixes:
        raise ScenarioError.single(
            f"unknown file type {suffix or '(no suffix)'!r}; {option} writes "
            + ", ".join(suffixes),
            source=source,
        )
    try:
        info = os.stat(path)
    except FileNotFoundError:
        info = None
    except OSError as exc:
        raise ScenarioError.single(
            f"cannot use this path: {os_error_message(exc)}", source=source
        ) from None
    if info is not None:
        if stat.S_ISDIR(info.st_mode):
            raise ScenarioError.single("this is a folder; give a file name", source=source)
        if not stat.S_ISREG(info.st_mode):
            raise ScenarioError.single(
                "this is not a regular file (a device, FIFO or socket); it is left alone",
                source=source,
            )
        try:
            ours = _looks_like_our_output(path, suffix)
        except OSError as exc:
            raise ScenarioError.single(
                f"cannot read the existing file: {os_error_message(exc)}", source=source
            ) from None
        if not ours:
            raise ScenarioError.single(
                f"the file exists and is not an earlier {suffix} result of `wom run`; it is "
                "not overwritten: remove it or choose another name",
                source=source,
            )
    probe_writable(path.parent, source)
    return suffix


def check_output_folder(folder: Path, *, option: str = "--out", inside: Path | None = None) -> None:
    """Check an output folder before any work: a folder (or missing), writable.

    Args:
        folder: The folder to write into.
        option: The option that named it, for messages.
        inside: A sweep's results folder the report is written into, if any: a report folder
            inside it must start with ``_`` or ``.``, or the Parquet reader would take its
            files for results.

    Raises:
        ScenarioError: naming the option, the path and what is wrong.
    """
    source = f"{option} {folder}"
    if folder.exists() and not folder.is_dir():
        raise ScenarioError.single("this is a file, not a folder", source=source)
    if inside is not None:
        try:
            relative = folder.resolve().relative_to(inside.resolve())
        except ValueError:
            relative = None
        if relative is not None and (
            not relative.parts or not relative.parts[0].startswith(("_", "."))
        ):
            raise ScenarioError.single(
                f"a report inside the results folder {inside} must be in a folder whose name "
                "starts with '_' (e.g. the default, _report), or its files would be read as "
                "results",
                source=source,
            )
    probe_writable(folder, source)


def write_file(path: Path, write: Callable[[str], None], *, source: str | None = None) -> None:
    """Write ``path`` whole or not at all: ``write(temp)`` in the same folder, fsync, rename.

    Args:
        path: The file to (re)place.
        write: Writes the content to the temporary path it is given.
        source: Names the output in messages (default: the path).

    Raises:
        ScenarioError: the write failed for a reason the user can fix (no space, read-only,
            no permission); the earlier file at ``path``, if any, is unchanged.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ScenarioError.single(
            f"cannot create the folder {path.parent}: {os_error_message(exc)}",
            source=source or str(path),
        ) from None
    tmp = path.parent / f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp"
    try:
        write(str(tmp))
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise ScenarioError.single(
            f"could not write {path}: {os_error_message(exc)}; nothing was written there"
            + (" and the earlier file is unchanged" if path.exists() else ""),
            source=source or str(path),
        ) from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
