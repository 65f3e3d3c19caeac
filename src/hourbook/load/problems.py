"""The problems one load finds, collected as located diagnostics in the order they are found.

Every reader of the books adds to one `Problems` and goes on: nothing here raises, sorts
or prints (the pipeline sorts them once, `core.records.sorted_diagnostics`, and the
commands print them).
"""

from __future__ import annotations

from hourbook.core.records import ERROR
from hourbook.core.records import Diagnostic
from hourbook.core.records import Source


class Problems(list):
    """Diagnostics as they are found, each added with its place (`error(path, line, message)`).

    `dropped` counts the fields whose value could not be read and was left out: a record read
    without one of its own rules must not be used as if that rule were not there.
    """

    dropped = 0

    def error(self, path: str, line: int, message: str) -> None:
        """Add an error at `path:line`."""
        self.append(Diagnostic(Source(path, line), message, ERROR))
