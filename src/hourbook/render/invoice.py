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
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Callable

import jinja2
from babel.numbers import format_decimal

from hourbook.core.documents import split_statement
from hourbook.core.invoice import TYPE_CREDIT_NOTE
from hourbook.core.invoice import TYPE_INVOICE
from hourbook.core.invoice import Invoice
from hourbook.core.invoice import InvoiceLine
from hourbook.core.invoice import Wording
from hourbook.core.invoice import make_invoice
from hourbook.core.invoice import rate_percent
from hourbook.core.records import Contract
from hourbook.core.records import Fee
from hourbook.core.records import PricedBooks
from hourbook.core.register import plan_records
from hourbook.render.html import BOOKS_TEMPLATES
from hourbook.render.html import DOCUMENT_FILTERS
from hourbook.render.html import TEMPLATES_DIR
from hourbook.render.html import books_environment
from hourbook.render.html import load_messages
from hourbook.render.client_words import incident_words
from hourbook.render.client_words import name_of_tag
from hourbook.render.client_words import names_of_shown
from hourbook.render import filters
from hourbook.render.statement import fee_label
from hourbook.render.tax_ids import tax_id_label
from hourbook.render.tax_ids import vat_reasons
from hourbook.render.locale_files import language_words
from hourbook.render.locale_files import languages

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
    language = filters.language_of(locale)
    return {key: words.get(language) or words["en"] for key, words in table.items()}


def invoice_wording(contract: Contract) -> Wording:
    """What `core.invoice.make_invoice` needs in the client's language: the fees labelled as the
    statement labels them ("Angebot Q-7", "Пакет P-1 (10 инцидента)"), the VAT categories' reasons."""
    messages = load_messages(contract.locale)
    locale = filters.babel_locale(contract.locale)

    def label(fee: Fee) -> str:
        return fee_label(fee, contract, messages, locale)

    def payment_terms(due: datetime.date) -> str:
        return filters.translate(messages, "payment_terms", date=filters.format_date(due, contract.locale))

    return Wording(fee_label=label, vat_reasons=vat_reasons(messages),
                   no_description=filters.translate(messages, "no_description"), payment_terms=payment_terms)


def invoice_environment(root: Path | None) -> jinja2.Environment:
    """The statements' loader and sandbox for BOOKS/templates, before the invoice's own templates.

    The statements' built-in templates come last, so that an invoice heads with the same
    brand partial (`brand.html`, or the books' own) as the statements do; it is given what
    it has there: `seller`, `lang` and `t` (the statements' words, in the invoice's language). What fails in a
    books template raises `hourbook.render.html.TemplateProblem`, located.
    """
    env = books_environment(root, INVOICE_TEMPLATES, TEMPLATES_DIR)
    env.filters.update(DOCUMENT_FILTERS)           # invoice.html: as a page's (render/html.py)
    return env


def localised(invoice: Invoice) -> Invoice:
    """The invoice with its lines' descriptions and details in the client's language.

    The requester by name, each surcharge as its tag's name and rate (`urgent, +50 %`), a per-tag
    rate by its tag's name; a line without a description is named by its shown tags, else by the
    word for time or expense. Tags the client may not see (`show_tags`) appear nowhere. The page
    and the embedded XML (`invoicing.einvoice`) both use this, so they say the same.
    """
    locale = invoice.locale.replace("-", "_")
    messages = load_messages(locale)
    words = labels_for(locale)

    def name(line) -> str:
        shown = names_of_shown(line.tags, invoice.show_tags, messages, locale)
        return line.entry_description or ", ".join(shown) or (words["time"] if line.kind == "time" else filters.translate(messages, "expense"))

    def detail(line: InvoiceLine) -> str:
        parts = [line.requester] if line.requester else []
        if line.rate_tag:
            parts.append(filters.translate(messages, "rate_named", tag=name_of_tag(line.rate_tag, invoice.show_tags, messages,
                                                                           locale)))
        parts += [filters.translate(messages, "surcharge_named", tag=name_of_tag(tag, invoice.show_tags, messages, locale),
                            rate=filters.format_rate(rate, locale)) for tag, rate in line.surcharges]
        if line.held_from is not None:
            parts.append(held_from_words(line.held_from))
        return "; ".join(parts)

    def held_from_words(held) -> str:
        day = filters.format_date(held.issued, locale, "medium")
        if not held.number:     # its period was issued while the client had nothing to invoice
            return filters.translate(messages, "held_from_period", period=filters.format_period(held.period, locale),
                                     date=day)
        return filters.translate(messages, "held_from", number=held.number, date=day)

    def included_name(line) -> str:
        name = (line.entry_description or ", ".join(names_of_shown(line.tags, invoice.show_tags, messages, locale))
                or words["time"])
        return f"{name} ({held_from_words(line.held_from)})" if line.held_from is not None else name

    lines = tuple(replace(line, description=name(line), detail=detail(line)) if line.kind else line for line in invoice.lines)
    included = tuple(replace(line, description=included_name(line)) for line in invoice.included)
    return replace(invoice, lines=lines, included=included)


def render_html(invoice: Invoice, root: Path | None = None) -> str:
    """The invoice page, from invoice.html (BOOKS/templates/invoice.html overrides it), in the client's words."""
    invoice = localised(invoice)
    locale = filters.babel_locale(invoice.locale)
    words = labels_for(locale)
    messages = load_messages(locale)

    def money(value: Decimal) -> str:
        return filters.format_money(value, invoice.currency, locale)

    def day(value: datetime.date) -> str:
        return filters.format_date(value, locale, "medium")

    def tax_label(party) -> str:
        # The seller is written for the books' country, the client for its own.
        return tax_id_label(party, messages, invoice.seller_country if party is invoice.seller else locale)

    def hours(minutes: int) -> str:
        return filters.format_hours(minutes, locale, invoice.hours_form)

    def number(value: Decimal) -> str:
        return format_decimal(value, locale=locale)

    def why(code: str, incident=None) -> str:
        kind, _, detail = code.partition(":")
        if kind == "covered" and incident is not None:
            return f"{words['covered_block']} {detail}: {incident_words(incident, messages)}"
        if kind == "covered":
            return words["covered_retainer"] if detail == "retainer" else f"{words['covered_block']} {detail}"
        if kind == "quote":
            return f"{words['on_quote']} {detail}".strip()
        if "reason_" + detail in words:
            return f"{words['no_charge']}: {words['reason_' + detail]}"
        return f"{words['no_charge']}: {name_of_tag(detail, invoice.show_tags, messages, locale)}"

    if invoice.type_code == TYPE_INVOICE:
        title = words["invoice"]
    else:
        title = words["credit_note"] if invoice.type_code == TYPE_CREDIT_NOTE else words["corrective_invoice"]
    template = invoice_environment(root).get_template(TEMPLATE)
    return template.render(
        invoice=invoice, seller=invoice.seller, t=functools.partial(filters.translate, messages), words=words,
        title=title, money=money, day=day, hours=hours, number=number, why=why,
        rate=rate_percent(invoice.tax_rate), lang=locale.replace("_", "-"), tax_label=tax_label,
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
        return render_html(make_invoice(doc, record, contract, settings, None, wording=invoice_wording(contract)), root)

    return [render]
