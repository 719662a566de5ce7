"""The one error type for mistakes a user can make in a scenario, experiment or network file.

Everything a user types (a TOML file, an edge list, a command-line option, a knob in the app)
is checked on the way in; every problem found becomes a :class:`ScenarioError` that names the
file, the key or line, and what is wrong. The doors (CLI, app, sweep engine) catch it once and
show it; nothing else in the library catches it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Problem", "ScenarioError"]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a user's input.

    Attributes:
        message: What is wrong, in plain words.
        key: Dotted key (``content.appeal``) or ``None`` for the whole file.
        line: 1-based line number in ``source`` when known.
        source: The file (or other input) the problem is in.
    """

    message: str
    key: str | None = None
    line: int | None = None
    source: str | None = None

    def __str__(self) -> str:
        where = self.source or "<input>"
        if self.line is not None:
            where += f", line {self.line}"
        if self.key:
            where += f", key '{self.key}'"
        return f"{where}: {self.message}"


@dataclass
class ScenarioError(Exception):
    """Bad user input: one or more :class:`Problem` s, each naming where and what."""

    problems: list[Problem] = field(default_factory=list)

    @classmethod
    def single(
        cls,
        message: str,
        *,
        key: str | None = None,
        line: int | None = None,
        source: str | None = None,
    ) -> ScenarioError:
        """Build an error holding one problem."""
        return cls([Problem(message, key=key, line=line, source=source)])

    def with_source(self, source: str) -> ScenarioError:
        """Return a copy whose problems without a source name ``source``."""
        return ScenarioError(
            [p if p.source else Problem(p.message, p.key, p.line, source) for p in self.problems]
        )

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.problems)
