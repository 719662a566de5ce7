"""The project's numba decorator, with a compiled-code cache keyed by the kernel's sources.

Numba's own cache is keyed by the source file of each function alone: after an edit to a jitted
callee in another file, callers load their old compiled code (with the old callee inlined) and
run it silently. ``jit`` therefore caches into a folder named after a hash of every source file
that holds jitted code, so any edit to any of them starts a fresh cache.

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

__all__ = ["cache_dir", "jit", "source_hash"]

_PACKAGE = Path(__file__).resolve().parent
# Every file with jitted code (or code a jitted function calls).
_SOURCES = ("_jit.py", "kernel/*.py", "kernel/rules/*.py", "influence.py", "generators.py")


@cache
def source_hash() -> str:
    """A short hash of every jitted source file, numba's version and Python's."""
    digest = hashlib.sha256(f"{numba.__version__} {sys.version}".encode())
    for pattern in _SOURCES:
        for path in sorted(_PACKAGE.glob(pattern)):
            digest.update(path.relative_to(_PACKAGE).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


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
