"""Reading users' files, and the limits every input is held to before work starts.

Every file a user names (a scenario or experiment TOML file, an edge list) is read here, by one
reader: only a regular file is read (a FIFO, device or directory is refused, so nothing blocks
or streams forever), its size is checked against a cap before a byte is read, and binary content
is recognised in its first block. TOML text is checked for nesting deeper than
:data:`MAX_NESTING` before it is parsed, so no input can exhaust Python's stack.

Work and memory are bounded before they are spent: :func:`memory_limit` and :func:`work_limit`
are the limits (``WOM_MAX_MEMORY``, ``WOM_MAX_WORK`` in the environment raise them), and
:func:`check_memory` / :func:`check_work` refuse an estimate above them with a message that names
the key, the limit and how to raise it.
"""

from __future__ import annotations

import os
import re
import stat
import tomllib
from pathlib import Path
from typing import Any

from simulation.errors import ScenarioError

__all__ = [
    "MAX_NESTING",
    "MAX_TOML_BYTES",
    "check_memory",
    "check_run_work",
    "check_work",
    "env_limit",
    "memory_limit",
    "parse_toml",
    "parse_toml_value",
    "read_toml",
    "read_user_file",
    "work_limit",
]

# A scenario or experiment file is a page or two of TOML; anything this large is a mistake.
MAX_TOML_BYTES = 4 * 1024**2
# Deepest nesting of arrays and inline tables in TOML text (a scenario needs 3).
MAX_NESTING = 32
# Binary content is looked for in this first block of a file.
_FIRST_BLOCK = 64 * 1024

_DEFAULT_MEMORY = 2 * 1024**3
_DEFAULT_WORK = 10**13
_SIZE = re.compile(r"^\s*([0-9]+(?:\.[0-9]*)?)\s*([kmgt]?)i?b?\s*$", re.I)


def read_user_file(path: str | Path, what: str, *, max_bytes: int, key: str | None = None) -> bytes:
    """The bytes of a regular file a user named, refused if it is anything else or too large.

    Args:
        path: The file.
        what: What the file should be, for messages ("scenario file", "edge-list file").
        max_bytes: Largest size read; a larger file is refused before reading.
        key: The key that named the file (``network.path``), for messages.

    Raises:
        ScenarioError: missing, not a regular file (directory, FIFO, device), unreadable, larger
            than ``max_bytes``, or binary (a NUL byte in its first block).
    """
    source = str(path)
    try:
        # O_NONBLOCK: opening a FIFO with no writer must not wait; the fstat below refuses it.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise ScenarioError.single(f"{what} not found", source=source, key=key) from None
    except IsADirectoryError:
        raise ScenarioError.single(
            f"is a directory, not a {what}", source=source, key=key
        ) from None
    except OSError as exc:
        raise ScenarioError.single(
            f"cannot read {what}: {exc.strerror}", source=source, key=key
        ) from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise ScenarioError.single(f"is a directory, not a {what}", source=source, key=key)
        if not stat.S_ISREG(info.st_mode):
            raise ScenarioError.single(
                f"is a {_file_type(info.st_mode)}, not a regular file: a {what} must be a file "
                "on disk",
                source=source,
                key=key,
            )
        if info.st_size > max_bytes:
            raise ScenarioError.single(
                f"{what} is {info.st_size:,} bytes, above the limit of {max_bytes:,} bytes",
                source=source,
                key=key,
            )
        with os.fdopen(fd, "rb", closefd=True) as handle:
            fd = -1
            # Read one byte past the cap: a file that grows while read is still refused.
            raw = handle.read(max_bytes + 1)
    except OSError as exc:
        raise ScenarioError.single(
            f"cannot read {what}: {exc.strerror}", source=source, key=key
        ) from None
    finally:
        if fd >= 0:
            os.close(fd)
    if len(raw) > max_bytes:
        raise ScenarioError.single(
            f"{what} is larger than the limit of {max_bytes:,} bytes", source=source, key=key
        )
    if b"\0" in raw[:_FIRST_BLOCK]:
        raise ScenarioError.single(
            f"this is a binary file, not a text {what}", source=source, key=key
        )
    return raw


def _file_type(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "device"
    if stat.S_ISSOCK(mode):
        return "socket"
    return "special file"


def decode_text(raw: bytes, source: str, *, key: str | None = None) -> str:
    """UTF-8 text of a file's bytes (a byte-order mark is dropped).

    Raises:
        ScenarioError: not UTF-8 (naming the line of the first bad byte), or a NUL byte after
            the first block (binary content further in).
    """
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ScenarioError.single(
            f"not UTF-8 text (byte {exc.start})", source=source, line=line, key=key
        ) from None
    nul = text.find("\0")
    if nul >= 0:
        line = text.count("\n", 0, nul) + 1
        raise ScenarioError.single(
            "binary content (a NUL byte) in a text file", source=source, line=line, key=key
        )
    return text


def read_toml(path: str | Path, what: str = "scenario") -> tuple[dict[str, Any], str]:
    """Read a TOML file a user gave (a scenario or an experiment): its data and its text.

    Raises:
        ScenarioError: the file is missing, not a regular file, too large, unreadable, binary,
            not UTF-8, nested too deeply or not TOML (with the line of a syntax error).
    """
    source = str(path)
    raw = read_user_file(path, f"{what} file", max_bytes=MAX_TOML_BYTES)
    text = decode_text(raw, source)
    return parse_toml(text, source), text


def parse_toml(text: str, source: str, *, key: str | None = None) -> dict[str, Any]:
    """Parse TOML text; nesting deeper than :data:`MAX_NESTING` is refused before parsing.

    Raises:
        ScenarioError: a syntax error (with its line) or nesting too deep.
    """
    depth, line = nesting(text)
    if depth > MAX_NESTING:
        raise ScenarioError.single(
            f"arrays or inline tables nested {depth} deep; at most {MAX_NESTING} levels are "
            "allowed",
            line=line,
            source=source,
            key=key,
        )
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"\(at line (\d+), column \d+\)", str(exc))
        message = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc))
        raise ScenarioError.single(
            f"TOML syntax error: {message}",
            line=int(match.group(1)) if match else None,
            source=source,
            key=key,
        ) from None
    except RecursionError:  # pragma: no cover - nesting() refuses what could recurse this deep
        raise ScenarioError.single("nested too deeply", source=source, key=key) from None


def parse_toml_value(text: str, source: str, key: str) -> Any:
    """A TOML value as written after ``KEY=`` on the command line (bare words are strings).

    Raises:
        ScenarioError: the value is nested too deeply.
    """
    try:
        return parse_toml(f"value = {text}", source, key=key)["value"]
    except ScenarioError as exc:
        if any("nested" in p.message for p in exc.problems):
            raise ScenarioError.single(exc.problems[0].message, source=source, key=key) from None
        return text.strip()


_TOKENS = re.compile(r'"""|\'\'\'|\\.|["\'#\[\]{}\n]')


def nesting(text: str) -> tuple[int, int | None]:
    """Deepest nesting of ``[`` and ``{`` outside strings and comments, and the line it is on.

    A tokenizer, not a parser: enough to refuse a document that would recurse too deep before
    :mod:`tomllib` sees it. Table headers count one or two levels.
    """
    depth = deepest = 0
    line = 1
    deepest_line: int | None = None
    quote: str | None = None  # the string being read: ", ', """ or '''
    comment = False
    for match in _TOKENS.finditer(text):
        token = match.group()
        if token == "\n":
            line += 1
            comment = False
            if quote in ('"', "'"):
                quote = None  # a one-line string cannot span lines (tomllib reports it)
            continue
        if comment:
            continue
        if quote is not None:
            if token == quote:
                quote = None
            elif token.startswith("\\") and quote == "'" and token[1] == "'":
                quote = None  # a literal string has no escapes: its backslash ends before '
            continue
        if token.startswith("\\"):
            continue
        if token in ('"""', "'''", '"', "'"):
            quote = token
        elif token == "#":
            comment = True
        elif token in "[{":
            depth += 1
            if depth > deepest:
                deepest, deepest_line = depth, line
        elif token in "]}":
            depth = max(0, depth - 1)
    return deepest, deepest_line


# --------------------------------------------------------------------------- limits


def _size(text: str, variable: str) -> int:
    match = _SIZE.match(text)
    if not match:
        raise ScenarioError.single(
            f"{text!r} is not a size (e.g. 8G, 512M or a number of bytes)", source=variable
        )
    number, unit = float(match.group(1)), match.group(2).lower()
    return int(number * 1024 ** "_kmgt".index(unit or "_"))


def memory_limit() -> int:
    """Most bytes a run may plan to use: ``WOM_MAX_MEMORY`` (e.g. ``8G``), default 2 GiB."""
    text = os.environ.get("WOM_MAX_MEMORY")
    return _DEFAULT_MEMORY if not text else _size(text, "WOM_MAX_MEMORY")


def work_limit() -> int:
    """Most person-steps a run may plan (runs x steps x people): ``WOM_MAX_WORK``, default 10^13."""
    text = os.environ.get("WOM_MAX_WORK")
    if not text:
        return _DEFAULT_WORK
    try:
        return int(float(text))
    except ValueError:
        raise ScenarioError.single(
            f"{text!r} is not a number (e.g. 1e13)", source="WOM_MAX_WORK"
        ) from None


def _human(size: float) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB"):
        if size < 1024 or unit == "TiB":
            return f"{size:,.0f} {unit}" if unit == "bytes" else f"{size:,.1f} {unit}"
        size /= 1024
    return f"{size}"  # pragma: no cover


def memory_problem(estimate: float, what: str) -> str | None:
    """A message if ``estimate`` bytes for ``what`` exceed :func:`memory_limit`, else ``None``."""
    limit = memory_limit()
    if estimate <= limit:
        return None
    return (
        f"{what} would need about {_human(estimate)} of memory, above the limit of "
        f"{_human(limit)}; lower it, or raise the limit with the environment variable "
        "WOM_MAX_MEMORY (e.g. WOM_MAX_MEMORY=16G)"
    )


def work_problem(estimate: float, what: str) -> str | None:
    """A message if ``estimate`` person-steps exceed :func:`work_limit`, else ``None``."""
    limit = work_limit()
    if estimate <= limit:
        return None
    return (
        f"{what} is up to {estimate:.3g} person-steps of work, above the limit of {limit:.3g}; "
        "lower it, or raise the limit with the environment variable WOM_MAX_WORK "
        "(e.g. WOM_MAX_WORK=1e14)"
    )


def check_memory(estimate: float, what: str, *, key: str, source: str | None = None) -> None:
    """Refuse ``estimate`` bytes above the memory limit.

    Raises:
        ScenarioError: naming ``key``, the estimate, the limit and how to raise it.
    """
    problem = memory_problem(estimate, what)
    if problem:
        raise ScenarioError.single(problem, key=key, source=source)


def check_work(estimate: float, what: str, *, key: str, source: str | None = None) -> None:
    """Refuse ``estimate`` person-steps above the work limit.

    Raises:
        ScenarioError: naming ``key``, the estimate, the limit and how to raise it.
    """
    problem = work_problem(estimate, what)
    if problem:
        raise ScenarioError.single(problem, key=key, source=source)


def check_run_work(runs: int, steps: int, people: int, *, source: str | None = None) -> None:
    """Refuse a run of ``runs x steps x people`` person-steps above :func:`work_limit`.

    Raises:
        ScenarioError: naming the key ``runs``, the estimate and the limit.
    """
    check_work(
        float(runs) * steps * people,
        f"runs x steps x people = {runs:,} x {steps:,} x {people:,}",
        key="runs",
        source=source,
    )


def env_limit(name: str, default: float, *, kind: type = int) -> Any:
    """A limit from the environment variable ``name`` (a positive number), else ``default``.

    Raises:
        ScenarioError: the variable is set but is not a positive finite number.
    """
    text = os.environ.get(name)
    if text is None or not text.strip():
        return default
    try:
        value = kind(text.strip().replace("_", ""))
    except ValueError:
        value = None
    if value is None or not 0 < value < float("inf"):
        raise ScenarioError.single(
            f"must be a positive {'whole ' if kind is int else ''}number, got {text!r}",
            source=f"environment variable {name}",
        )
    return value
