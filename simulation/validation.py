"""Checking users' tables: the strict base model and one translator of pydantic's errors.

Both user file formats (scenario and experiment) are pydantic models built on :class:`Table`.
Whatever pydantic finds wrong is turned into :class:`~simulation.errors.Problem` s here, once,
for both: the dotted key (``seeding.budget``, ``posts[1].start``), the line of the TOML text
where that key is written, a plain message and, for a misspelt key or value, a suggestion
("did you mean 'budget'?").
"""

from __future__ import annotations

import difflib
import re
import typing
from collections.abc import Callable, Iterable
from typing import Any

from pydantic import BaseModel, ConfigDict, Discriminator, ValidationError

from simulation.errors import Problem

__all__ = ["LineFinder", "Table", "did_you_mean", "problems_of"]


class Table(BaseModel):
    """A TOML table: strict types (no "3" for 3), unknown keys and non-finite numbers rejected."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, allow_inf_nan=False)


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for the closest candidate to ``word``, or ``""``."""
    close = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


# Parts of pydantic's error locations that name a branch of a union, not a key.
_BRANCH_TAGS = {"fixed", "distribution", "str", "int", "float", "bool"}


def problems_of(
    error: ValidationError,
    *,
    root: type[BaseModel],
    data: Any,
    source: str,
    text: str | None,
    internal: Iterable[str] = (),
    special: Callable[[dict[str, Any], list[Any]], Problem | None] | None = None,
) -> list[Problem]:
    """Every problem of a failed validation, once each, in pydantic's order.

    Args:
        error: What ``root.model_validate(data)`` raised.
        root: The model of the whole file.
        data: The data that was validated (for the models of nested tables).
        source: The file, for messages.
        text: The file's TOML text (to find lines), if any.
        internal: Field names that are not keys a user may write (left out of suggestions).
        special: Called first with (pydantic's error, its key path); a problem it returns is
            used as is (a file format's own wording for some mistakes).
    """
    finder = LineFinder(text)
    problems = []
    for err in error.errors():
        keys = _key_path(err["loc"], root, data)
        problem = special(err, keys) if special is not None else None
        if problem is None:
            message, keys = _message(err, keys, root, data, set(internal))
            problem = Problem(
                message, key=dotted(keys) or None, line=finder.line_of(keys), source=source
            )
        problems.append(problem)
    # One problem per (key, message): unions report the same mistake once per branch.
    return list(dict.fromkeys(problems))


def dotted(keys: list[Any]) -> str:
    """``["posts", 1, "start"]`` -> ``posts[1].start``."""
    out = ""
    for part in keys:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _key_path(loc: tuple[Any, ...], root: type[BaseModel], data: Any) -> list[Any]:
    """Pydantic's location without the tags of union branches ('barabasi_albert', 'fixed')."""
    keys: list[Any] = []
    model: type[BaseModel] | None = root
    tagged = False
    for part in loc:
        if isinstance(part, int):
            keys.append(part)
            continue
        if tagged:  # the branch a tagged union chose, right after its field
            tagged = False
            continue
        field = model.model_fields.get(part) if model is not None else None
        if field is None and (part in _BRANCH_TAGS or "[" in part):
            continue
        keys.append(part)
        tagged = field is not None and _is_tagged(field)
        model = model_at(keys, root, data) if field is not None else None
    return keys


def _is_tagged(field: Any) -> bool:
    """Whether a field is a union whose errors carry the chosen branch's tag."""
    return field.discriminator is not None or any(
        isinstance(meta, Discriminator) for meta in field.metadata
    )


def _kinds(cls: type[BaseModel]) -> tuple[str, ...]:
    """The values of a model's ``kind`` literal (empty without one)."""
    field = cls.model_fields.get("kind")
    return typing.get_args(field.annotation) if field is not None else ()


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    """The models a field's annotation admits (inside ``X | None``, ``list[X]``, ``Annotated``)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    found: list[type[BaseModel]] = []
    for arg in typing.get_args(annotation):
        found += _models_in(arg)
    return found


def model_at(keys: list[Any], root: type[BaseModel], data: Any) -> type[BaseModel] | None:
    """The model that validates the table at ``keys`` (``None``: not a table of the schema).

    A union of tables is resolved by the table's ``kind`` as written in ``data``.
    """
    model: type[BaseModel] | None = root
    node = data
    for part in keys:
        if isinstance(part, int):
            node = node[part] if isinstance(node, list) and 0 <= part < len(node) else None
            continue
        field = model.model_fields.get(part) if model is not None else None
        node = node.get(part) if isinstance(node, dict) else None
        if field is None:
            return None
        candidates = _models_in(field.annotation)
        if len(candidates) > 1:
            kind = node.get("kind") if isinstance(node, dict) else None
            candidates = [c for c in candidates if kind in _kinds(c)]
        model = candidates[0] if len(candidates) == 1 else None
    return model


def _message(
    err: dict[str, Any], keys: list[Any], root: type[BaseModel], data: Any, internal: set[str]
) -> tuple[str, list[Any]]:
    """A plain message for one of pydantic's errors (and the key it is about)."""
    kind = err["type"]
    value = err.get("input")
    if kind == "extra_forbidden":
        parent = model_at(keys[:-1], root, data)
        fields = [f for f in (parent.model_fields if parent else {}) if f not in internal]
        if parent is not None:
            fields = [f for f in fields if not parent.model_fields[f].exclude]
        hint = did_you_mean(str(keys[-1]), fields)
        if not hint and fields:
            hint = f" (known keys: {', '.join(fields)})"
        return f"unknown key{hint}", keys
    if kind == "missing":
        return "required key is missing", keys
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        options = _union_kinds(keys, root, data)
        if kind == "union_tag_not_found":
            return f"required key is missing (one of: {', '.join(options)})", [*keys, "kind"]
        given = value.get("kind") if isinstance(value, dict) else None
        hint = did_you_mean(str(given), options)
        return f"unknown {_name(keys)} kind {given!r}{hint}; known: {', '.join(options)}", [
            *keys,
            "kind",
        ]
    if kind == "literal_error":
        expected = err.get("ctx", {}).get("expected", "")
        hint = did_you_mean(str(value), re.findall(r"'([^']*)'", expected))
        return f"{value!r} is not one of {expected}{hint}", keys
    if kind == "value_error":
        return str(err["msg"]).removeprefix("Value error, "), keys
    if kind == "finite_number":
        return f"must be a finite number, got {value!r}", keys
    if kind == "recursion_loop":
        return "nested too deeply", keys
    shown = value is not None and not isinstance(value, dict | list)
    return (f"{err['msg']}, got {_short(value)}" if shown else str(err["msg"])), keys


def _union_kinds(keys: list[Any], root: type[BaseModel], data: Any) -> list[str]:
    parent = model_at(keys[:-1], root, data) if keys else None
    field = parent.model_fields.get(keys[-1]) if parent is not None else None
    if field is None:
        return []
    return [k for cls in _models_in(field.annotation) for k in _kinds(cls)]


def _name(keys: list[Any]) -> str:
    names = [k for k in keys if isinstance(k, str)]
    return names[-1] if names else "table"


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


class LineFinder:
    """Best-effort line of a key in TOML text: the key's own line, else its table's header."""

    _HEADER = re.compile(r"^\[\[?\s*([^\]]+?)\s*\]\]?")
    _KEY = re.compile(r"""^\s*(?:"([^"]+)"|'([^']+)'|([A-Za-z0-9_\-]+))\s*[=.]""")

    def __init__(self, text: str | None) -> None:
        """Index the text's lines (``None``: no text, no lines)."""
        self._lines = text.splitlines() if text else []

    @staticmethod
    def _table_name(header: str) -> str:
        return ".".join(part.strip().strip("\"'") for part in header.split("."))

    def table_line(self, table: str) -> int | None:
        """The line of the first ``[table]`` or ``[[table]]`` header."""
        for number, line in enumerate(self._lines, start=1):
            header = self._HEADER.match(line.strip())
            if header and self._table_name(header.group(1)) == table:
                return number
        return None

    def line(self, table: str, key: str) -> int | None:
        """The line of ``key = ...`` inside ``[table]`` (``""``: the top level).

        Falls back to the header ``[table.key]``, then to ``[table]``.
        """
        current = ""
        for number, line in enumerate(self._lines, start=1):
            header = self._HEADER.match(line.strip())
            if header:
                current = self._table_name(header.group(1))
                continue
            match = self._KEY.match(line)
            if match and current == table and key in match.groups():
                return number
        own = self.table_line(f"{table}.{key}" if table else key)
        return own or (self.table_line(table) if table else None)

    def line_of(self, keys: list[Any]) -> int | None:
        """The line of a key path; ``posts[1].start`` is looked for in the second ``[[posts]]``."""
        names = [str(k) for k in keys if not isinstance(k, int)]
        if not names or not self._lines:
            return None
        if len(keys) >= 2 and isinstance(keys[1], int):
            found = self._in_array_table(str(keys[0]), keys[1], [str(k) for k in keys[2:]])
            if found is not None:
                return found
        return self.line(".".join(names[:-1]), names[-1])

    def _in_array_table(self, array: str, index: int, rest: list[str]) -> int | None:
        """The line of ``rest`` inside the ``index``-th ``[[array]]`` table (else its header)."""
        headers = [
            number
            for number, line in enumerate(self._lines, start=1)
            if line.strip().startswith("[[") and self._header(line) == array
        ]
        if not 0 <= index < len(headers):
            return None
        start = headers[index]
        target = ".".join([array, *rest[:-1]])
        current = array
        for number in range(start + 1, len(self._lines) + 1):
            line = self._lines[number - 1]
            header = self._header(line)
            if header is not None:
                if not (header == array or header.startswith(f"{array}.")) or header == array:
                    break  # the next table of the array, or another table
                current = header
                continue
            match = self._KEY.match(line)
            if rest and match and current == target and rest[-1] in match.groups():
                return number
        return start

    def _header(self, line: str) -> str | None:
        header = self._HEADER.match(line.strip())
        return self._table_name(header.group(1)) if header else None


def union_of(classes: Iterable[type]) -> Any:
    """``A | B | C`` of the given classes (a one-class "union" is the class)."""
    members = tuple(dict.fromkeys(classes))
    return members[0] if len(members) == 1 else typing.Union[members]  # noqa: UP007


def literal_of(values: Iterable[str]) -> Any:
    """``Literal["a", "b", ...]`` of the given strings."""
    return typing.Literal[tuple(values)]
