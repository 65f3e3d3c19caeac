"""What the owner's people page shows (owner/people.html, never published): each worker's hours, cost,
billed value, free work and utilisation, in total, per client and per period (core.people).

The words are in the books' locale (`locales/<language>/fee.yaml`); amounts in the owner's currency.
"""

from __future__ import annotations

from dataclasses import dataclass

import jinja2

from hourbook.core.people import Worker
from hourbook.core.people import owner_currency_of
from hourbook.core.people import workers
from hourbook.core.records import ClientId
from hourbook.core.records import PricedBooks
from hourbook.git import Provenance
from hourbook.render.html import page_context
from hourbook.render.pages import OWNER_SCRIPT
from hourbook.render.pages import owner_script


@dataclass(frozen=True)
class PeopleView:
    """The people page's figures, with each client's name and the link to its report."""

    workers: tuple[Worker, ...]
    currency: str
    names: dict[ClientId, str]
    links: dict[ClientId, str]                  # client id -> its report, relative to owner/

    def name(self, client: ClientId) -> str:
        """The client's name as its contract gives it."""
        return self.names.get(client, client)


def people_view(priced: PricedBooks, sums_of=None) -> PeopleView:
    """Every worker's figures up to the books' as-of date, most hours first (`sums_of`: as for `workers`)."""
    names = {contract.id: contract.party.name for contract in priced.books.contracts}
    links = {client.contract.id: f"{client.contract.id}/dashboard.html" for client in priced.clients}
    return PeopleView(workers(priced, sums_of=sums_of), owner_currency_of(priced), names, links)


def render_people(env: jinja2.Environment, priced: PricedBooks, *, provenance: Provenance | None,
                  sums_of=None) -> str:
    """owner/people.html, in the books' locale (`sums_of`: as for `core.people.workers`)."""
    settings = priced.books.settings
    context = page_context(settings.locale, settings.currency, provenance, settings.hours)
    return env.get_template("people.html").render(
        **context, view=people_view(priced, sums_of), settings=settings, seller=settings.seller, as_of=priced.as_of,
        owner_script=owner_script(OWNER_SCRIPT, context["locale"]))
