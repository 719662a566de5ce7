"""Faults for the hardening tests: read-only folders, a full disk, a failing write.

A read-only folder is a folder without write permission, unless the tests run as the superuser
(who writes anywhere): then it is a read-only tmpfs mount, and the tests that need one are
skipped where mounting is not allowed. A full disk is a small tmpfs (a real ENOSPC from the
kernel), or, where mounting is not allowed, a write that raises ENOSPC (monkeypatched).
"""

from __future__ import annotations

import contextlib
import errno
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest


def _mount_tmpfs(folder: Path, options: str) -> bool:
    folder.mkdir(parents=True, exist_ok=True)
    try:
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)],
            capture_output=True,
            timeout=20,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def _unmount(folder: Path) -> None:
    subprocess.run(["umount", "-l", str(folder)], capture_output=True, timeout=20)


@contextlib.contextmanager
def read_only_folder(folder: Path) -> Iterator[Path]:
    """A folder nobody running the tests can write to (skips when none can be made)."""
    if os.geteuid() != 0:
        folder.mkdir(parents=True, exist_ok=True)
        folder.chmod(0o555)
        try:
            yield folder
        finally:
            folder.chmod(0o755)
        return
    if not _mount_tmpfs(folder, "ro,size=64k"):
        pytest.skip("running as root and cannot mount a read-only tmpfs")
    try:
        yield folder
    finally:
        _unmount(folder)


@contextlib.contextmanager
def small_disk(folder: Path, size: str = "1m") -> Iterator[Path]:
    """A tmpfs of ``size`` at ``folder``: writing past it fails with ENOSPC (skips if no mount)."""
    if not _mount_tmpfs(folder, f"size={size},mode=0777"):
        pytest.skip("cannot mount a tmpfs here (needs root); the monkeypatched test covers it")
    try:
        yield folder
    finally:
        _unmount(folder)


def fill(folder: Path, leave: int = 0) -> Path:
    """Fill the file system of ``folder`` until at most ``leave`` bytes are free."""
    filler = folder / ".filler"
    block = b"\0" * 4096
    with filler.open("wb", buffering=0) as handle, contextlib.suppress(OSError):
        while os.statvfs(folder).f_bavail * os.statvfs(folder).f_frsize > leave + 4096:
            handle.write(block)
    return filler


def enospc(*_args, **_kwargs):
    """A write that fails as a full disk does."""
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
