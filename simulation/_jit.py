"""The project's numba decorator, with a compiled-code cache keyed by the kernel's sources.

Numba's own cache is keyed by the source file of each function alone: after an edit to a jitted
callee in another file, callers load their old compiled code (with the old callee inlined) and
run it silently. ``jit`` therefore caches into a folder named after a hash of every source file
that holds jitted code, so any edit to any of them starts a fresh cache.

The kernel compiles at LLVM optimisation level 1 unless ``NUMBA_OPT`` says otherwise: on this
kernel -O1 both compiles in about half the time of numba's default -O3 and runs faster (measured:
``benchmarks/run_all.py``, compile and peers rows). Numba reads the level when it first compiles
or loads code in a process, so it is set when this module is imported.

Where the cache lives: ``$NUMBA_CACHE_DIR/wom-<hash>`` when the user sets ``NUMBA_CACHE_DIR``,
else ``simulation/__pycache__/numba-<hash>`` beside the sources when that is writable, else
``~/.cache/wom-sim/numba-<hash>``.
"""

from __future__ import annotations

import hashlib
import os
import sys
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import numba
from numba.core import config

__all__ = ["cache_dir", "jit", "source_hash", "threads"]

_PACKAGE = Path(__file__).resolve().parent
# Every file with jitted code (or code a jitted function calls).
_SOURCES = ("_jit.py", "kernel/*.py", "kernel/rules/*.py", "influence.py", "generators.py")


@cache
def source_hash() -> str:
    """A short hash of every jitted source file, numba's and Python's versions, the LLVM level."""
    digest = hashlib.sha256(f"{numba.__version__} {sys.version} O{config.OPT}".encode())
    for pattern in _SOURCES:
        for path in sorted(_PACKAGE.glob(pattern)):
            digest.update(path.relative_to(_PACKAGE).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


if "NUMBA_OPT" not in os.environ:
    config.OPT = config._process_opt_level("1")


def _writable(folder: Path) -> bool:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return False
    return os.access(folder, os.W_OK)


@cache
def cache_dir() -> Path:
    """The folder compiled code is cached in (see the module docstring)."""
    name = source_hash()
    user = os.environ.get("NUMBA_CACHE_DIR")
    if user:
        return Path(user) / f"wom-{name}"
    beside = _PACKAGE / "__pycache__" / f"numba-{name}"
    if _writable(beside):
        return beside
    return Path.home() / ".cache" / "wom-sim" / f"numba-{name}"


def jit(fn: Callable[..., Any] | None = None, **options: Any) -> Any:
    """``numba.njit(cache=True, nogil=True, **options)``, cached under :func:`cache_dir`.

    Usable bare (``@jit``) or with options (``@jit(parallel=True)``).
    """
    options = {"cache": True, "nogil": True, **options}

    def decorate(function: Callable[..., Any]) -> Any:
        # Numba picks a function's cache folder when caching is enabled, i.e. right here.
        before = config.CACHE_DIR
        config.CACHE_DIR = str(cache_dir())
        try:
            return numba.njit(**options)(function)
        finally:
            config.CACHE_DIR = before

    return decorate(fn) if fn is not None else decorate


def threads() -> int:
    """Threads the replicate loops use by default: ``NUMBA_NUM_THREADS``, else every usable core.

    The kernel runs its own threads (its compiled loops release the GIL), so asking numba for its
    thread count, which starts numba's threading layer and its spinning workers, is avoided.
    """
    configured = os.environ.get("NUMBA_NUM_THREADS", "")
    if configured.isdigit() and int(configured) > 0:
        return int(configured)
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)
