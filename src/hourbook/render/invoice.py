"""The invoice's page: an `Invoice` as HTML, in the client's language, from invoice.html.

The page is rendered from `invoice_templates/invoice.html` (and its `invoice.css`); a
books folder overrides either by giving a file the same name in its templates/, as for
statements, and what fails in one is a located `TemplateProblem`. The words come from
the `invoice:` part of each language file in `locales/`. `sample_invoice_pages` lets
`check` try the books' invoice templates without issuing anything.

The PDF/A-3 that carries this page and the XML is `hourbook.invoicing.einvoice`'s work.
"""

from __future__ import annotations

import datetime
import functools
import os
from decimal import Decimal
from pathlib import Path
from typing import Callable

import jinja2
from babel.dates import format_date
from babel.numbers import format_currency
from babel.numbers import format_decimal

from hourbook.core.documents import split_statement
from hourbook.core.invoice import TYPE_CREDIT_NOTE
from hourbook.core.invoice import TYPE_INVOICE
from hourbook.core.invoice import Invoice
from hourbook.core.invoice import make_invoice
from hourbook.core.invoice import rate_percent
from hourbook.core.records import PricedBooks
from hourbook.core.register import plan_records
from hourbook.render.html import BOOKS_TEMPLATES
from hourbook.render.html import TEMPLATES_DIR
from hourbook.render.html import books_environment
from hourbook.render.html import load_messages
from hourbook.render.filters import translate
from hourbook.render.locale_files import language_words
from hourbook.render.locale_files import languages
from hourbook.render.reflow import label_cells

INVOICE_TEMPLATES = Path(__file__).resolve().parent / "invoice_templates"
TEMPLATE = "invoice.html"
SAMPLE_COMMIT = "0" * 40                        # the commit a sample invoice names: none
BRAND = "brand.html"                            # the statements' header partial, which heads invoices too


@functools.lru_cache(maxsize=1)
def _labels() -> dict:
    """word -> language -> text, from the `invoice:` part of each language file."""
    table: dict[str, dict[str, str]] = {}
    for language in languages():
        words = language_words(language).get("invoice") or {}
        for key, text in words.items():
            table.setdefault(str(key), {})[language] = str(text)
    return table


def labels_for(locale: str) -> dict[str, str]:
    """The invoice's words in the client's language (English for what is not translated)."""
    table = _labels()
    language = locale.replace("-", "_").split("_")[0]
    return {key: words.get(language) or words["en"] for key, words in table.items()}


def invoice_environment(root: Path | None) -> jinja2.Environment:
    """The statements' loader and sandbox for BOOKS/templates, before the invoice's own templates.

    The statements' built-in templates come last, so that an invoice heads with the same
    brand partial (`brand.html`, or the books' own) as the statements do; it is given what
    it has there: `seller`, `lang` and `t` (the statements' words, in the invoice's language). What fails in a
    books template raises `hourbook.render.html.TemplateProblem`, located.
    """
    env = books_environment(root, INVOICE_TEMPLATES, TEMPLATES_DIR)
    env.filters["label_cells"] = label_cells       # invoice.html: tables stack on phones (render/reflow.py)
    return env


def render_html(invoice: Invoice, root: Path | None = None) -> str:
    """The invoice page, from invoice.html (BOOKS/templates/invoice.html overrides it)."""
    locale = invoice.locale.replace("-", "_")
    words = labels_for(locale)

    def money(value: Decimal) -> str:
        return format_currency(value, invoice.currency, locale=locale)

    def day(value: datetime.date) -> str:
        return format_date(value, "medium", locale=locale)

    def hours(minutes: int) -> str:
        return f"{minutes // 60}:{minutes % 60:02d}"

    def number(value: Decimal) -> str:
        return format_decimal(value, locale=locale)

    def why(code: str) -> str:
        kind, _, detail = code.partition(":")
        if kind == "covered":
            return words["covered_retainer"] if detail == "retainer" else f"{words['covered_block']} {detail}"
        if kind == "quote":
            return f"{words['on_quote']} {detail}".strip()
        return f"{words['no_charge']}: {words['reason_' + detail] if 'reason_' + detail in words else detail}"

    if invoice.type_code == TYPE_INVOICE:
        title = words["invoice"]
    else:
        title = words["credit_note"] if invoice.type_code == TYPE_CREDIT_NOTE else words["corrective_invoice"]
    template = invoice_environment(root).get_template(TEMPLATE)
    return template.render(
        invoice=invoice, seller=invoice.seller, t=functools.partial(translate, load_messages(locale)), words=words,
        title=title, money=money, day=day, hours=hours, number=number, why=why,
        rate=rate_percent(invoice.tax_rate), lang=locale.split("_")[0],
        created=f"{invoice.issued.isoformat()}T00:00:00Z",
    )


def sample_invoice_pages(root: Path, priced: PricedBooks) -> list[Callable[[], str]]:
    """The invoice of one statement, as a call that renders its page, when the books' templates/
    override one of the invoice's templates or the brand partial it includes; else none. `check`
    tries it as `issue` would render it."""
    names = [path.name for path in INVOICE_TEMPLATES.iterdir()] + [BRAND]
    if not any(os.path.lexists(root / BOOKS_TEMPLATES / name) for name in names):
        return []
    client = next((client for client in priced.clients if client.statements), None)
    if client is None:
        return []
    contract, settings = client.contract, priced.books.settings

    def render() -> str:
        doc = split_statement(client.statements[0], contract, {})[0]
        record = plan_records([(doc, contract)], [], settings, priced.as_of, SAMPLE_COMMIT)[0]
        return render_html(make_invoice(doc, record, contract, settings, None, ""), root)

    return [render]
