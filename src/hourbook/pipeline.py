"""The pipeline, one stage a line: load -> validate -> price -> compare with issued invoices -> try templates."""

from __future__ import annotations

import datetime
import os
from pathlib import Path

from hourbook.core.pricing import price_books
from hourbook.core.records import ERROR
from hourbook.core.records import Books
from hourbook.core.records import Diagnostic
from hourbook.core.records import sorted_diagnostics
from hourbook.core.records import PricedBooks
from hourbook.checks.issued import check_issued
from hourbook.load.books import load_books
from hourbook.checks.books import validate


def load_and_price(root: Path, as_of: datetime.date, *, logbook_cache=None, contract_cache=None,
                   price_one=None) -> tuple[PricedBooks, list[Diagnostic]]:
    """Read, check and price a books folder.

    Args:
        logbook_cache, contract_cache, price_one: optional stand-ins that reuse what unchanged
            inputs gave before (watch mode, `hourbook.build.builder`); the result is the same.

    Returns:
        (priced books, every diagnostic sorted by path and line).
    """
    books, diagnostics = load_and_check(root, as_of, logbook_cache=logbook_cache, contract_cache=contract_cache)
    priced, more = price_and_check(root, books, as_of, price_one=price_one)
    return priced, sorted_diagnostics(diagnostics, more)


def load_and_check(root: Path, as_of: datetime.date, *, logbook_cache=None,
                   contract_cache=None) -> tuple[Books, list[Diagnostic]]:
    """The first half of `load_and_price`: read and validate (diagnostics unsorted)."""
    books, diagnostics = load_books(root, logbook_cache=logbook_cache, contract_cache=contract_cache)
    diagnostics += validate(books, as_of)
    return books, diagnostics


def price_and_check(root: Path, books: Books, as_of: datetime.date, *,
                    price_one=None) -> tuple[PricedBooks, list[Diagnostic]]:
    """The second half: price, compare with issued invoices, try the books' templates (diagnostics unsorted)."""
    priced = price_books(books, as_of, price_one=price_one)
    return priced, list(priced.diagnostics) + check_issued(root, priced) + check_templates(root, priced)


def check_templates(root: Path, priced: PricedBooks) -> list[Diagnostic]:
    """What fails in the books' own templates/ (`render.check_books_templates`), the invoice's
    included; nothing without a templates/ folder, whose books do not pay for importing the renderer."""
    if not os.path.lexists(Path(root) / "templates"):
        return []
    from hourbook.render import check_books_templates  # deferred: the renderer, only for books with templates/

    return check_books_templates(Path(root), priced)


def has_errors(diagnostics: list[Diagnostic]) -> bool:
    return any(d.severity == ERROR for d in diagnostics)
