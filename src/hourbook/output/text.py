"""Diagnostics and counts as people read them: the one place they are worded for a terminal.

`path:line: severity: message` lines (as editors read them) and the summaries commands
print after them. The same diagnostics as JSON are `output.json`'s; the escaping of
control characters in what is quoted is `core.printable`'s.
"""

from __future__ import annotations

from hourbook.core.printable import escape_controls
from hourbook.core.records import ERROR
from hourbook.core.records import Diagnostic


def format_diagnostic(diagnostic: Diagnostic) -> str:
    """`path:line: severity: message`, as editors read it; a file name's control characters escaped."""
    source = diagnostic.source
    return f"{escape_controls(source.path)}:{source.line}: {diagnostic.severity}: {diagnostic.message}"


def counted(number: int, noun: str, plural: str = "") -> str:
    """`1 client`, `2 clients`, `1 entry`, `0 entries`.

    Args:
        number: how many.
        noun: the noun for one.
        plural: the noun for any other number, when it is not `noun` + `s`.
    """
    return f"{number} {noun if number == 1 else plural or noun + 's'}"


def summary_line(diagnostics: list[Diagnostic]) -> str:
    """`2 errors, 1 warning`: how a command's diagnostics add up (everything not an error is a warning)."""
    errors = sum(1 for d in diagnostics if d.severity == ERROR)
    return f"{counted(errors, 'error')}, {counted(len(diagnostics) - errors, 'warning')}"


def shown_diagnostics(diagnostics: list[Diagnostic], *, quiet: bool = False) -> list[Diagnostic]:
    """The diagnostics a command prints: all of them, or with `--quiet` the errors only (the summary
    line still counts the warnings, and `hourbook check` lists them)."""
    return [d for d in diagnostics if not quiet or d.severity == ERROR]
