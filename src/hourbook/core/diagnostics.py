"""Where a record came from (`Source`: path and line) and what is wrong there (`Diagnostic`).

Every record of `core.records` carries a Source; every problem hourbook reports is a Diagnostic,
shown as `path:line: severity: message`. Both are also importable from `core.records`.
"""

from __future__ import annotations

from dataclasses import dataclass

from hourbook.core.pickling import pickled_as_arguments
from hourbook.core.slots import quick_init

ERROR = "error"
WARNING = "warning"


@pickled_as_arguments
@quick_init
@dataclass(frozen=True, order=True, slots=True)  # slots: a million entries, each with a Source
class Source:
    """Where a record came from: a path relative to the books root, and a 1-based line."""

    path: str
    line: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}"


PRICING_SOURCE = Source("<pricing>", 0)


@dataclass(frozen=True)
class Diagnostic:
    """A problem in the books, at its place: `path:line: severity: message`."""

    source: Source
    message: str
    severity: str = ERROR

    def sort_key(self) -> tuple:
        """Path, line, severity, message: the order diagnostics are shown in."""
        return (self.source.path, self.source.line, self.severity, self.message)


def sorted_diagnostics(*groups) -> list[Diagnostic]:
    """Every diagnostic of `groups` once, in path, line, severity and message order: how they are shown."""
    return sorted({diagnostic for group in groups for diagnostic in group}, key=Diagnostic.sort_key)
