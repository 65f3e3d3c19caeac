"""The pipeline, one stage a line: load -> check -> price -> compare with issued invoices -> try templates.

The one place the stages are put in order: every command (`check`, `price`, `build`,
`watch`, `serve`, `export`, `links`) runs its books through `load_and_price`. What makes a
command fast plugs in through its arguments, never by running the stages again elsewhere:

- `logbook_cache`, `contract_cache`: read a file again only when it changed (watch mode,
  `hourbook.build.caches`), or have forked processes parse the logbooks meanwhile
  (`hourbook.build.workers.ForkedLogbooks`);
- `price_one`: price a client again only when its inputs changed (`build.caches.PricingCache`),
  or price only this process's share of the clients (`build.price_shares.ClientShares`);
- `on_loaded`: called with the books once read, before they are checked, so that forked
  processes can price shares of the clients meanwhile (`build.price_shares.ClientShares`);
- `validator`: check again only the workers whose entries changed (`build.caches.ValidationCache`).

Those processes inherit the loaded books and run the stages after the checks on their share
with `price_and_check`.
"""

from __future__ import annotations

import datetime
import os
from pathlib import Path
from typing import Callable

from dataclasses import replace

from hourbook.core.late import plan_late
from hourbook.core.pricing import price_books
from hourbook.core.records import ERROR
from hourbook.core.records import Books
from hourbook.core.records import Diagnostic
from hourbook.core.records import sorted_diagnostics
from hourbook.core.records import PricedBooks
from hourbook.core.receivables import Receivables
from hourbook.core.receivables import books_receivables
from hourbook.checks.payments import check_payments
from hourbook.checks.issued import check_issued
from hourbook.load.books import load_books
from hourbook.load.register import read_register
from hourbook.checks.books import validate


def load_and_price(root: Path, as_of: datetime.date, *, logbook_cache=None, contract_cache=None,
                   price_one=None, on_loaded: Callable[[Books], None] | None = None, validator=None,
                   listed=None, sort=None) -> tuple[PricedBooks, list[Diagnostic]]:
    """Read, check and price a books folder.

    Args:
        root: the books folder.
        as_of: the day the books are priced on.
        logbook_cache, contract_cache: stand in for reading one logbook or contract file
            (see `load_books`); the result is the same.
        price_one: stands in for `price_client` (see `price_books`).
        on_loaded: called with the books as soon as they are read, before they are checked.
        validator: stands in for `checks.books.validate`; the diagnostics are the same.
        listed: the books' files, when the caller listed them already (`load_books`).
        sort: stands in for sorting the entries into pricing order (`load_books`); the result is the same.

    Returns:
        (priced books, every diagnostic sorted by path and line).
    """
    books, diagnostics = load_books(root, logbook_cache=logbook_cache, contract_cache=contract_cache, listed=listed,
                                    sort=sort)
    if on_loaded is not None:
        on_loaded(books)
    diagnostics += (validator or validate)(books, as_of)
    priced, more = price_and_check(root, books, as_of, price_one=price_one)
    return priced, sorted_diagnostics(diagnostics, more)


def price_and_check(root: Path, books: Books, as_of: datetime.date, *,
                    price_one=None) -> tuple[PricedBooks, list[Diagnostic]]:
    """The stages after the books are checked: price, apply the payments to the issued invoices
    (`PricedBooks.receivables`), compare with issued invoices, try the books' templates.

    `load_and_price` runs them; so does a forked process that inherited the loaded books,
    on its share of the clients (`price_one`).

    Returns:
        (priced books, their diagnostics, unsorted).
    """
    records = read_register(root)[0]
    priced = price_books(books, as_of, price_one=price_one, late=plan_late(books, records))
    receivables, payment_problems = books_receivables_of(books, records, as_of)
    priced = replace(priced, receivables=receivables)
    return priced, (list(priced.diagnostics) + payment_problems + check_issued(root, priced)
                    + check_templates(root, priced))


def books_receivables_of(books: Books, records: list, as_of: datetime.date) -> tuple[Receivables, list[Diagnostic]]:
    """`PricedBooks.receivables` (which depend on the books and the register `records`, not on the
    pricing), and what the payments' checks found."""
    payments, payment_problems = check_payments(books, records, as_of)
    return books_receivables(books, records, payments, as_of), payment_problems


def check_templates(root: Path, priced: PricedBooks) -> list[Diagnostic]:
    """What fails in the books' own templates/ (`render.check_books_templates`), the invoice's
    included; nothing without a templates/ folder, whose books do not pay for importing the renderer."""
    if not os.path.lexists(Path(root) / "templates"):
        return []
    from hourbook.render import check_books_templates  # deferred: the renderer, only for books with templates/

    return check_books_templates(Path(root), priced)


def has_errors(diagnostics: list[Diagnostic]) -> bool:
    """Whether any of `diagnostics` is an error (not only warnings)."""
    return any(d.severity == ERROR for d in diagnostics)
