"""The owner's requests page (owner/requests.html): the view model over `core.requests`.

Studio-wide and per client: open requests by age (and the oldest), requests closed and how fast,
requests logged again or re-opened, and the reasons clients ask (hourbook.yaml `reasons:`), with a
per-period trend. The figures are `core.requests`'; this module only adds what the page needs to
show them (client names, reason names in the books' language). Never under public/.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import jinja2

from hourbook.checks.requests import reason_tags
from hourbook.core.records import Contract
from hourbook.core.records import PricedBooks
from hourbook.core.requests import AGAIN_WITHIN_DAYS
from hourbook.core.requests import AGE_BUCKETS
from hourbook.core.requests import Request
from hourbook.core.requests import RequestFigures
from hourbook.core.requests import ClientRequests
from hourbook.core.requests import studio_figures
from hourbook.git import Provenance
from hourbook.render import filters
from hourbook.render.client_words import name_of_tag
from hourbook.render.html import page_context
from hourbook.render.pages import OWNER_SCRIPT
from hourbook.render.pages import owner_script


@dataclass(frozen=True)
class RequestsPage:
    """What owner/requests.html shows."""

    studio: RequestFigures
    clients: tuple[RequestFigures, ...]     # clients with at least one request, by id
    contracts: Mapping[str, Contract]       # client id -> contract (names, links)
    reason_names: Mapping[str, str]         # reason tag -> its name in the books' language
    requests: tuple[Request, ...]


def make_requests_page(priced: PricedBooks, messages: Mapping[str, str], locale: str,
                       client_requests: ClientRequests | None = None) -> RequestsPage:
    """The requests page's figures for the priced books, as of their day.

    Args:
        priced: the priced books (their entries, settings and contracts are read).
        messages: the books' language's words (for built-in tag names).
        locale: the books' locale.
        client_requests: stands in for `core.requests.requests_of_client` (the build's records of
            each client's requests, `build.client_parts.DiskClientRequests`); the page is the same.

    Returns:
        The studio's and each client's request figures, with names to show them.
    """
    books = priced.books
    reasons = reason_tags(books)
    studio, clients, requests = studio_figures(books.entries, reasons, priced.as_of, books.settings.period,
                                               client_requests)
    names = {tag: name_of_tag(tag, books.settings.reasons, messages, locale) for tag in reasons}
    return RequestsPage(studio=studio, clients=clients, contracts={c.id: c for c in books.contracts},
                        reason_names=names, requests=requests)


def age_labels(messages: Mapping[str, str]) -> tuple[str, ...]:
    """The age buckets' headings: `0–7 days`, …, `over 90 days`."""
    labels = []
    for first, last in AGE_BUCKETS:
        if last is None:
            labels.append(messages["requests_age_over"].format(days=first - 1))
        else:
            labels.append(messages["requests_age_range"].format(first=first, last=last))
    return tuple(labels)


def render_requests(env: jinja2.Environment, priced: PricedBooks, links: Mapping[str, str], *,
                    provenance: Provenance | None = None, client_requests: ClientRequests | None = None) -> str:
    """owner/requests.html, in the books' locale.

    Args:
        env: the Jinja2 environment.
        priced: the priced books.
        links: client id -> its owner report, relative to owner/.
        provenance: the commit, shown in the footer as on the dashboard.
        client_requests: see `make_requests_page`.

    Returns:
        The page's HTML.
    """
    settings = priced.books.settings
    context = page_context(settings.locale, settings.currency, provenance, settings.hours)
    page = make_requests_page(priced, context["messages"], settings.locale, client_requests)
    return env.get_template("owner_requests.html").render(
        **context, page=page, settings=settings, seller=settings.seller, as_of=priced.as_of, links=links,
        age_labels=age_labels(context["messages"]), has_reasons=bool(page.reason_names),
        again_days=AGAIN_WITHIN_DAYS, number=lambda value: filters.format_amount(value, context["locale"]),
        owner_script=owner_script(OWNER_SCRIPT, context["locale"]))
