"""The pipeline, one stage a line: load -> validate -> price. Returns records and diagnostics."""

from __future__ import annotations

import datetime
from pathlib import Path

from hourbook.core.pricing import price_books
from hourbook.core.records import ERROR
from hourbook.core.records import Diagnostic
from hourbook.core.records import PricedBooks
from hourbook.loader import load_books
from hourbook.validation import validate


def load_and_price(root: Path, as_of: datetime.date) -> tuple[PricedBooks, list[Diagnostic]]:
    """Read, check and price a books folder.

    Returns:
        (priced books, every diagnostic sorted by path and line).
    """
    books, diagnostics = load_books(root)
    diagnostics += validate(books, as_of)
    priced = price_books(books, as_of)
    diagnostics += priced.diagnostics
    return priced, sorted(set(diagnostics), key=Diagnostic.sort_key)


def has_errors(diagnostics: list[Diagnostic]) -> bool:
    return any(d.severity == ERROR for d in diagnostics)
