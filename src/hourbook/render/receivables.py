"""What the owner's receivables page shows (owner/receivables.html), and each client's invoices on its report.

`receivables_view` arranges `core.ageing.make_ageing` for the page: each client's name and the link to
its report; `client_invoices` is one client's part, for owner/<client>/dashboard.html. The words
are in the books' locale (`locales/<language>/receivables.yaml`); the invoices' states reuse
`receivable_<state>` (payments.yaml), never the raw state names.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from babel.numbers import format_decimal

from hourbook.core.ageing import BUCKETS
from hourbook.core.ageing import Ageing
from hourbook.core.ageing import ClientAgeing
from hourbook.core.ageing import make_ageing
from hourbook.core.records import ClientId
from hourbook.core.records import PricedBooks


@dataclass(frozen=True)
class ReceivablesView:
    """The receivables page's figures, with each client's name and the link to its report."""

    ageing: Ageing
    names: dict[ClientId, str]
    links: dict[ClientId, str]                  # client id -> its report, relative to owner/
    buckets: tuple[str, ...] = BUCKETS

    def name(self, client: ClientId) -> str:
        """The client's name as its contract gives it (its id for a client without a contract)."""
        return self.names.get(client, client)


def receivables_view(priced: PricedBooks) -> ReceivablesView:
    """The owner's receivables as of the books' day, in client id order."""
    names = {contract.id: contract.party.name for contract in priced.books.contracts}
    links = {client.contract.id: f"{client.contract.id}/dashboard.html" for client in priced.clients}
    return ReceivablesView(make_ageing(priced.receivables, priced.as_of), names, links)


def client_invoices(priced: PricedBooks, client: ClientId) -> ClientAgeing | None:
    """One client's invoices, outstanding, credit and days to pay; None when the books show no receivables
    or the client has no invoice and no payment."""
    ageing = make_ageing(priced.receivables, priced.as_of)
    return ageing.client(client) if ageing.shown else None


def days_text(value: Decimal, locale: str) -> str:
    """A mean number of days with its one decimal, in the page's locale: 26.0 -> `26,0` (es)."""
    return format_decimal(value, format="#,##0.0", locale=locale)
