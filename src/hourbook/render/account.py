"""Where a client stands: its issued invoices, their states, what it owes and its credit, for its own pages.

`client_account` arranges `PricedBooks.receivables` (core/receivables.py) for one client: the
invoices of a statement's period (`AccountView.of_period`), and for the client's index the
balance outstanding per currency, the credit on its account and its open invoices before the
settled ones. `invoice_pdfs` reads the invoice PDFs the register names, which the site
publishes into that client's folder only, under `invoice_file_name` (docs/payments.md,
"What the client sees"). Nothing here writes files.
"""

from __future__ import annotations

import datetime
import hashlib
import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from hourbook.core.documents import CREDIT
from hourbook.core.money import ZERO
from hourbook.core.receivables import OPEN
from hourbook.core.receivables import OVERDUE
from hourbook.core.receivables import PART_PAID
from hourbook.core.records import PricedBooks
from hourbook.core.records import PricedClient
from hourbook.load.register import NotAFile
from hourbook.load.register import read_regular

INVOICES_FOLDER = "invoices"            # under the client's folder: public/<folder>/invoices/<name>.pdf
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")
OPEN_STATES = (OVERDUE, PART_PAID, OPEN)


def invoice_file_name(number: str) -> str:
    """The file name an invoice's PDF is published under: safe in a URL and on every file system.

    Letters, digits, '-' and '_' are kept; any run of other characters ('.', '/', spaces, '..')
    becomes one '-', and '-' or '_' at either end go. A number that had to change gets 8 hex
    digits of its SHA-256 appended,
    so that two numbers never share a name: `2026-0012` -> `2026-0012.pdf`,
    `../x` -> `x-<hash>.pdf`. The name never starts with '.' and is one path segment.
    """
    safe = _UNSAFE.sub("-", number).strip("-_")[:80]
    if safe != number or not safe:
        digest = hashlib.sha256(number.encode("utf-8", "surrogateescape")).hexdigest()[:8]
        safe = f"{safe}-{digest}" if safe else f"invoice-{digest}"
    return f"{safe}.pdf"


@dataclass(frozen=True)
class InvoiceLine:
    """One issued invoice or credit note as a client's page shows it."""

    number: str
    issued: datetime.date
    due: datetime.date
    state: str                                  # core.receivables STATES
    days_overdue: int
    currency: str
    total: Decimal
    paid: Decimal
    credited: Decimal
    outstanding: Decimal
    period: str
    credit_note: bool
    corrects: str
    pdf: str | None                             # the published PDF's file name, None when there is none


@dataclass(frozen=True)
class AccountView:
    """A client's invoices as of the build's day, what it owes per currency and the credit on its account."""

    invoices: tuple[InvoiceLine, ...] = ()
    outstanding: tuple[tuple[str, Decimal], ...] = ()       # (currency, amount), only amounts above zero
    credit: Decimal = ZERO
    currency: str = ""
    shown: bool = False                                     # the books have a register or payments

    @property
    def open(self) -> tuple[InvoiceLine, ...]:
        """The invoices still owed (overdue, part paid, open), oldest first."""
        return tuple(line for line in self.invoices if line.state in OPEN_STATES)

    @property
    def settled(self) -> tuple[InvoiceLine, ...]:
        """The others (paid, credited, credit notes), newest first."""
        return tuple(reversed([line for line in self.invoices if line.state not in OPEN_STATES]))

    def of_period(self, period: str) -> tuple[InvoiceLine, ...]:
        """The invoices of `period` (whole or in part) and the credit notes that correct them."""
        numbers = {line.number for line in self.invoices if line.period == period and not line.credit_note}
        return tuple(line for line in self.invoices
                     if (line.period == period and not line.credit_note) or line.corrects in numbers
                     or (line.credit_note and line.period == period))


def client_account(priced: PricedBooks, client: PricedClient, published: frozenset[str] = frozenset()) -> AccountView:
    """The client's account as of `priced.as_of`.

    Args:
        published: the numbers of the invoices whose PDF the site publishes (`invoice_pdfs`);
            the others are shown without a link.
    """
    receivables = priced.receivables
    if receivables is None or not getattr(receivables, "shown", False):
        return AccountView()
    found = receivables.client(client.contract.id)
    if found is None:
        return AccountView(currency=client.contract.currency, shown=True)
    lines = tuple(InvoiceLine(
        number=state.record.number, issued=state.record.issued, due=state.due, state=state.state,
        days_overdue=state.days_overdue, currency=state.record.currency, total=state.record.total, paid=state.paid,
        credited=state.credited, outstanding=state.outstanding, period=state.record.period,
        credit_note=state.record.type == CREDIT or state.record.total < 0, corrects=state.record.corrects,
        pdf=invoice_file_name(state.record.number) if state.record.number in published else None)
        for state in found.invoices)
    totals: dict[str, Decimal] = {}
    for line in lines:
        if line.outstanding > 0:
            totals[line.currency] = totals.get(line.currency, ZERO) + line.outstanding
    return AccountView(invoices=lines, outstanding=tuple(sorted(totals.items())), credit=found.credit,
                       currency=found.currency or client.contract.currency, shown=True)


def invoice_pdfs(root: Path | None, priced: PricedBooks, client: PricedClient) -> dict[str, bytes]:
    """The client's invoice PDFs as the register names them: published file name -> bytes.

    Only a regular file inside the books' invoices/ folder is read (never through a link, never
    a path the register names outside it). One that is missing or unreadable is left out: the
    pages then show the invoice without a link, and `check` reports it at the register's line
    (`checks.register.check_pdfs`).
    """
    receivables = priced.receivables
    found = receivables.client(client.contract.id) if root is not None and receivables is not None else None
    if found is None:
        return {}
    folder = (Path(root) / INVOICES_FOLDER).resolve()
    files: dict[str, bytes] = {}
    for state in found.invoices:
        record = state.record
        if not record.pdf:
            continue
        path = Path(root) / record.pdf
        try:
            if path.resolve().parent != folder:
                continue
            data = read_regular(path)
        except (OSError, ValueError, NotAFile):
            continue
        if data is not None:
            files[invoice_file_name(record.number)] = data
    return files


def published_numbers(priced: PricedBooks, client: PricedClient, pdfs: dict[str, bytes]) -> frozenset[str]:
    """The numbers of the client's invoices whose PDF is among `pdfs` (file name -> bytes)."""
    receivables = priced.receivables
    found = receivables.client(client.contract.id) if receivables is not None else None
    if found is None:
        return frozenset()
    return frozenset(state.record.number for state in found.invoices if invoice_file_name(state.record.number) in pdfs)


def account_inputs(root: Path | None, priced: PricedBooks, client: PricedClient) -> bytes:
    """What a client's pages show of its account, as bytes for a build's cache key: its invoices'
    states, payments and credit as of the build's day, and its invoice PDFs' names and SHA-256."""
    receivables = priced.receivables
    found = receivables.client(client.contract.id) if receivables is not None else None
    parts = [repr(client_account(priced, client)).encode()]
    if found is not None:
        parts += [repr([(applied.payment.date, applied.payment.amount, applied.date) for applied in state.payments])
                  .encode() for state in found.invoices]
    for name, data in sorted(invoice_pdfs(root, priced, client).items()):
        parts.append(name.encode() + b"\0" + hashlib.sha256(data).hexdigest().encode())
    return b"\0\0".join(parts)
