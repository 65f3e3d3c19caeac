"""The pipeline, one stage a line: load -> validate -> price -> compare with issued invoices."""

from __future__ import annotations

import datetime
from pathlib import Path

from hourbook.core.pricing import price_books
from hourbook.core.records import ERROR
from hourbook.core.records import Books
from hourbook.core.records import Diagnostic
from hourbook.core.records import PricedBooks
from hourbook.invoicing import check_issued
from hourbook.loader import load_books
from hourbook.validation import validate


def load_and_price(root: Path, as_of: datetime.date, *, logbook_cache=None, contract_cache=None,
                   price_one=None) -> tuple[PricedBooks, list[Diagnostic]]:
    """Read, check and price a books folder.

    Args:
        logbook_cache, contract_cache, price_one: optional stand-ins that reuse what unchanged
            inputs gave before (watch mode, `hourbook.incremental`); the result is the same.

    Returns:
        (priced books, every diagnostic sorted by path and line).
    """
    books, diagnostics = load_and_check(root, as_of, logbook_cache=logbook_cache, contract_cache=contract_cache)
    priced, more = price_and_check(root, books, as_of, price_one=price_one)
    return priced, sorted(set(diagnostics + more), key=Diagnostic.sort_key)


def load_and_check(root: Path, as_of: datetime.date, *, logbook_cache=None,
                   contract_cache=None) -> tuple[Books, list[Diagnostic]]:
    """The first half of `load_and_price`: read and validate (diagnostics unsorted)."""
    books, diagnostics = load_books(root, logbook_cache=logbook_cache, contract_cache=contract_cache)
    diagnostics += validate(books, as_of)
    return books, diagnostics


def price_and_check(root: Path, books: Books, as_of: datetime.date, *,
                    price_one=None) -> tuple[PricedBooks, list[Diagnostic]]:
    """The second half: price, and compare with issued invoices (diagnostics unsorted)."""
    priced = price_books(books, as_of, price_one=price_one)
    return priced, list(priced.diagnostics) + check_issued(root, priced)


def has_errors(diagnostics: list[Diagnostic]) -> bool:
    return any(d.severity == ERROR for d in diagnostics)
