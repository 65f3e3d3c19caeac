"""The invoice as the law asks it to be: its record, made from an issued document. Pure.

`make_invoice` turns an issued `Document` and its register record into an `Invoice`:
parties with their countries, one line per charged item with quantity, unit price and
net amount, the VAT breakdown, dates, notes (art. 226 of Directive 2006/112/EC).
`legal_problems` says, located, what an invoice would lack before one is made. Both
renderings are made from that one record, so the PDF and the XML can't disagree: the
page is `hourbook.render.invoice`, the XML `hourbook.invoicing.cii`, the PDF/A-3 that
holds both `hourbook.invoicing.einvoice`.

Nothing here decides numbers, totals or what is frozen: that is the register's
(`hourbook.core.register`) and the documents' (`hourbook.core.documents`).
"""

from __future__ import annotations

import datetime
import functools
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP
from decimal import Decimal
from typing import Mapping
from typing import Callable

from babel import Locale
from babel import UnknownLocaleError

from hourbook.core import periods
from hourbook.core.documents import INVOICE
from hourbook.core.documents import Document
from hourbook.core.incidents import IncidentUse
from hourbook.core.money import ZERO
from hourbook.core.money import quantum
from hourbook.core.money import round_money
from hourbook.core.records import HeldFrom
from hourbook.core.records import COVERED
from hourbook.core.records import ERROR
from hourbook.core.records import EXPENSE
from hourbook.core.records import NO_CHARGE
from hourbook.core.records import QUOTE
from hourbook.core.records import Contract
from hourbook.core.records import Diagnostic
from hourbook.core.records import Fee
from hourbook.core.records import Party
from hourbook.core.records import HOURS_CLOCK
from hourbook.core.records import Settings
from hourbook.core.records import Source
from hourbook.core.records import ShownTag
from hourbook.core.records import VatExemption
from hourbook.core.register import client_due_days
from hourbook.core.register import IssuedRecord

TYPE_INVOICE = "380"
TYPE_CREDIT_NOTE = "381"
TYPE_CORRECTED = "384"
STANDARD = "S"                                  # the VAT category of an invoice that charges VAT
VAT_ID = re.compile(r"^([A-Z]{2})[A-Z0-9+*.]{2,13}$")
# Languages whose country names an address may end with.
ADDRESS_LANGUAGES = ("en", "es", "de", "fr", "it", "pt", "nl", "ru", "bg", "pl", "ca")


# ------------------------------------------------------------------ records


def _fee_label_as_priced(fee: Fee) -> str:
    return fee.label


def _payment_terms_in_english(due: datetime.date) -> str:
    return f"Payment due by {due.isoformat()}"


@dataclass(frozen=True)
class Wording:
    """What an invoice says in the client's language that the books do not write themselves:
    the fees' labels (retainer, prepaid block, incident pack, quote), why no VAT is charged when
    the books give no note in that language, the text of a line without a description.
    `hourbook.render.invoice.invoice_wording` makes it from the language files; the default
    keeps the labels pricing gave (English) and is for tests of the figures only."""

    fee_label: Callable[[Fee], str] = _fee_label_as_priced
    vat_reasons: tuple[tuple[str, str], ...] = ()   # VAT category -> why no VAT, in the client's language
    no_description: str = ""
    payment_terms: Callable[[datetime.date], str] = _payment_terms_in_english   # BT-20, from the due date


@dataclass(frozen=True)
class InvoiceLine:
    """One charged item: what, when, how much of it, at what net unit price, for what net amount."""

    description: str
    detail: str
    date: datetime.date | None
    minutes: int | None                         # time lines; quantity is then in hours
    quantity: Decimal
    unit: str                                   # UN/ECE rec. 20: HUR (hour), C62 (one)
    unit_price: Decimal                         # net, never negative (BR-27)
    net: Decimal
    # What `description` and `detail` are made of, for the page to say in the client's language
    # (`render.invoice.localised`); `detail` above is the same in plain, language-free words.
    kind: str = ""                              # the entry's kind (time, expense); "" for a fee
    entry_description: str = ""
    requester: str = ""                         # the contact's name, or the handle when none is known
    surcharges: tuple[tuple[str, Decimal], ...] = ()   # (tag, fraction) of each surcharge applied
    rate_tag: str = ""                          # the tag whose per-tag rate priced the line
    tags: tuple[str, ...] = ()
    held_from: HeldFrom | None = None           # a held line approved after the invoice that held it


@dataclass(frozen=True)
class IncludedLine:
    """Work done in the period at no extra charge (covered, no-charge, on a quote): shown, not billed."""

    description: str
    date: datetime.date
    minutes: int
    why: str
    entry_description: str = ""
    tags: tuple[str, ...] = ()
    incident: IncidentUse | None = None         # the incident of a pack it used
    held_from: HeldFrom | None = None           # a held line waived after the invoice that held it


@dataclass(frozen=True)
class Invoice:
    """An issued invoice or corrective invoice, with everything it prints and its XML carries."""

    number: str
    type_code: str                              # 380 invoice, 381 credit note, 384 corrective invoice
    issued: datetime.date
    due: datetime.date
    period: str
    period_start: datetime.date
    period_end: datetime.date
    seller: Party
    seller_country: str
    buyer: Party
    buyer_country: str
    client: str
    currency: str
    locale: str
    lines: tuple[InvoiceLine, ...]
    included: tuple[IncludedLine, ...]
    net: Decimal                                # signed: a credit note's are negative
    tax: Decimal
    total: Decimal
    tax_rate: Decimal                           # fraction
    vat_category: str
    exemption_note: str
    note: str
    prices_include_tax: bool
    corrects: str
    corrects_issued: datetime.date | None
    show_tags: tuple[ShownTag, ...] = ()        # the client's shown tags (contract and books)
    hours_form: str = HOURS_CLOCK               # how the page shows hours; the XML's quantities stay decimal
    payment_terms: str = ""                     # BT-20, in the client's language: "Payment due by 16 Nov 2026"

    @property
    def sign(self) -> int:
        """-1 for a credit note, whose XML carries positive amounts (the type says they are credited)."""
        return -1 if self.type_code == TYPE_CREDIT_NOTE else 1


# ------------------------------------------------------------------ countries


@functools.lru_cache(maxsize=1)
def _country_names() -> dict[str, str]:
    # Country name (casefolded, in every ADDRESS_LANGUAGES language) -> ISO 3166 code, from babel's data.
    names = {}
    for language in ADDRESS_LANGUAGES:
        try:
            territories = Locale.parse(language).territories
        except (ValueError, UnknownLocaleError):
            continue
        for code, name in territories.items():
            if len(code) == 2 and code.isalpha():
                names.setdefault(name.casefold(), code)
    return names


def country_of(party: Party) -> str | None:
    """ISO 3166 country of a party: from its VAT id's prefix, else from the end of its address."""
    vat = party.tax_id.replace(" ", "").upper()
    match = VAT_ID.match(vat)
    if match:
        prefix = {"EL": "GR", "XI": "GB"}.get(match.group(1), match.group(1))
        if prefix in Locale.parse("en").territories:
            return prefix
    if party.address:
        last = re.split(r"[,\n]", party.address.strip())[-1].strip().rstrip(".")
        if any(char.isdigit() for char in last):
            return None     # a postcode or a street: no country's name has a digit (the names' table, some
            #                 0.1 s of babel's data a process, is left unread)
        return _country_names().get(last.casefold())
    return None


def vat_id(party: Party) -> str:
    """The party's tax id when it is an EU-style VAT id (country prefix), else ''."""
    vat = party.tax_id.replace(" ", "").upper()
    return vat if VAT_ID.match(vat) else ""


def exemption_for(client: str, settings: Settings) -> VatExemption | None:
    """The client's VAT exemption in hourbook.yaml (`invoice: {exemptions: ...}`), if it has one."""
    return next((e for e in settings.vat_exemptions if e.client == client), None)


def legal_problems(doc: Document, contract: Contract, settings: Settings) -> list[Diagnostic]:
    """What an invoice for `doc` would lack of what art. 226 and EN 16931 ask for, located.

    Returns:
        Errors at hourbook.yaml (the seller) or at the contract (the buyer); [] when complete.
    """
    problems = []
    seller, buyer = settings.seller, contract.party

    def error(source, message: str) -> None:
        problems.append(Diagnostic(source, message, ERROR))

    if not seller.tax_id:
        error(settings.source, "an invoice needs the seller's VAT number: add tax_id: to seller: in hourbook.yaml")
    if not seller.address:
        error(settings.source, "an invoice needs the seller's address: add address: to seller: in hourbook.yaml")
    elif country_of(seller) is None:
        error(settings.source, f"cannot tell the seller's country from tax_id {seller.tax_id!r} or address "
              f"{seller.address!r}: end the address with the country's name (e.g. '…, España')")
    if not buyer.address:
        error(contract.source, f"an invoice to {contract.id!r} needs the client's address: add address: to "
              f"{contract.source.path}")
    elif country_of(buyer) is None:
        error(contract.source, f"cannot tell client {contract.id!r}'s country from tax_id {buyer.tax_id!r} or "
              f"address {buyer.address!r}: end the address with the country's name (e.g. '…, Deutschland')")
    exemption = exemption_for(contract.id, settings)
    if doc.tax_rate == 0 and exemption is None:
        error(contract.source, f"client {contract.id!r} is charged no VAT (tax: 0%): its invoices must say why; "
              f"add to hourbook.yaml  invoice: {{exemptions: {{{contract.id}: {{category: G, note: \"…\"}}}}}}  "
              "with the VAT category (E exempt, AE reverse charge, K intra-community, G export, O not subject, "
              "Z zero rated) and the legal note")
    if exemption is not None and exemption.category in ("AE", "K") and not buyer.tax_id:
        error(contract.source, f"a {'reverse-charge' if exemption.category == 'AE' else 'intra-community'} invoice "
              f"needs the client's VAT number: add tax_id: to {contract.source.path}")
    return problems


# ------------------------------------------------------------------ the invoice


def make_invoice(doc: Document, record: IssuedRecord, contract: Contract, settings: Settings,
                 corrected: IssuedRecord | None, wording: Wording = Wording(),
                 incidents: Mapping[tuple[Source, str], IncidentUse] | None = None) -> Invoice:
    """The invoice of an issued document (after `legal_problems` found nothing). Pure.

    Args:
        doc: what it is made of; record: its number, date and totals as registered;
        corrected: for a corrective invoice, the record of the invoice it corrects.
        incidents: the incident each pack-covered line used (`core.incidents.number_incidents`
            over the client's history), for the lines done at no extra charge.
        wording: the words of the client's language the books do not write (fee labels, why no VAT).

    The notes are the books' text in the client's locale (`LocalText.text_for`), never another
    language's: without one the invoice has no note, and a 0 % invoice says why by its VAT category.
    """
    exemption = exemption_for(contract.id, settings)
    exempt = exemption is not None and doc.tax_rate == 0
    exemption_note = ""
    if exempt:
        exemption_note = exemption.note.text_for(contract.locale) or dict(wording.vat_reasons).get(
            exemption.category, "")
    # As the register keeps it; a record from before it kept one: the contract's `due_days:`, else hourbook.yaml's.
    due = record.due or record.issued + datetime.timedelta(days=client_due_days(contract, settings))
    if doc.kind == INVOICE:
        type_code = TYPE_INVOICE
    else:
        type_code = TYPE_CREDIT_NOTE if doc.total < 0 else TYPE_CORRECTED
    start, end = periods.bounds(corrected.period if corrected is not None else doc.period)
    return Invoice(
        number=record.number, type_code=type_code, issued=record.issued,
        due=due, payment_terms=wording.payment_terms(due),
        period=corrected.period if corrected is not None else doc.period, period_start=start, period_end=end,
        seller=settings.seller, seller_country=country_of(settings.seller) or "",
        buyer=contract.party, buyer_country=country_of(contract.party) or "", client=contract.id,
        currency=doc.currency, locale=contract.locale, lines=tuple(invoice_lines(doc, contract, wording)),
        included=tuple(included_lines(doc, incidents, wording)), net=doc.net, tax=doc.tax, total=doc.total,
        tax_rate=doc.tax_rate, vat_category=exemption.category if exempt else STANDARD, exemption_note=exemption_note,
        note=settings.invoice_note.text_for(contract.locale), prices_include_tax=doc.prices_include_tax,
        corrects=record.corrects, corrects_issued=corrected.issued if corrected is not None else None,
        show_tags=contract.show_tags, hours_form=contract.hours,
    )


def allocate_net(amounts: list[Decimal], net: Decimal, rate: Decimal, currency: str) -> list[Decimal]:
    """Tax-inclusive line amounts -> net line amounts that add up to exactly `net`.

    Each line's net is its amount / (1 + rate), rounded; the few cents the roundings
    leave over go to the lines that rounding moved furthest (largest remainder).
    """
    exact = [amount / (1 + rate) for amount in amounts]
    nets = [round_money(value, currency) for value in exact]
    step = quantum(currency)
    left = int((net - sum(nets, ZERO)) / step)
    if left and nets:
        direction = 1 if left > 0 else -1
        order = sorted(range(len(nets)), key=lambda i: (exact[i] - nets[i]) * direction, reverse=True)
        for n in range(abs(left)):
            nets[order[n % len(order)]] += direction * step
    return nets


def _hours(minutes: int) -> Decimal:
    # An invoice's quantity of time: hours to four decimals (1h20m -> 1.3333).
    return (Decimal(minutes) / 60).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP).normalize()


def invoice_lines(doc: Document, contract: Contract, wording: Wording = Wording()) -> list[InvoiceLine]:
    """The charged lines and fees of a document, net of VAT (BT-131 adds up to BT-106)."""
    contacts = dict(contract.contacts)
    charged = [line for line in doc.lines if line.amount != 0]
    fees = [fee for fee in doc.fees if fee.amount != 0]
    amounts = [line.amount for line in charged] + [fee.amount for fee in fees]
    if doc.prices_include_tax:
        nets = allocate_net(amounts, doc.net, doc.tax_rate, doc.currency)
        divisor = 1 + doc.tax_rate
    else:
        nets, divisor = amounts, Decimal(1)
    result = []
    for line, net in zip(charged, nets):
        entry = line.entry
        details = []
        requester = (contacts.get(entry.by) or entry.by) if entry.by else ""
        if requester:
            details.append(requester)
        surcharge = line.surcharge
        term = contract.term_on(entry.date)
        surcharges = tuple((tag, rate) for tag, rate in term.surcharge if tag in entry.tags) if surcharge else ()
        details += [f"{tag} +{(rate * 100).normalize():f}%" for tag, rate in surcharges]
        rates = dict(term.rates) if term is not None and entry.kind != EXPENSE else {}
        rate_tag = next((tag for tag in entry.tags if tag in rates), "")
        if line.held_from is not None:
            held = line.held_from
            details.append(f"held from invoice {held.number} of {held.issued.isoformat()}" if held.number else
                           f"held when {held.period} was invoiced on {held.issued.isoformat()}")
        description = entry.description or wording.no_description or entry.kind
        words = dict(kind=entry.kind, entry_description=entry.description, requester=requester, surcharges=surcharges,
                     rate_tag=rate_tag, tags=entry.tags, held_from=line.held_from)
        if entry.kind == EXPENSE:
            quantity = Decimal(1 if net >= 0 else -1)
            result.append(InvoiceLine(description, "; ".join(details), entry.date, None, quantity, "C62",
                                      abs(net), net, **words))
            continue
        price = round_money(line.rate * (1 + surcharge) / divisor, doc.currency)
        quantity = _hours(line.billed_minutes) * (1 if net >= 0 else -1)
        result.append(InvoiceLine(description, "; ".join(details), entry.date, line.billed_minutes, quantity,
                                  "HUR", price, net, **words))
    for fee, net in zip(fees, nets[len(charged):]):
        result.append(InvoiceLine(wording.fee_label(fee), "", fee.date, None, Decimal(1), "C62", abs(net), net))
    return result


def included_lines(doc: Document, incidents: Mapping[tuple[Source, str], IncidentUse] | None = None,
                   wording: Wording = Wording()) -> list[IncludedLine]:
    """Work in the document not charged on its own: covered, no-charge, or on a quote."""
    result = []
    for line in doc.lines:
        if line.amount != 0 or line.status not in (COVERED, NO_CHARGE, QUOTE) or line.entry.kind == EXPENSE:
            continue
        entry = line.entry
        if line.status == COVERED:
            why = f"covered:{line.cover}"
        elif line.status == QUOTE:
            why = "quote:" + next((tag.upper() for tag in entry.tags if tag.startswith("q-")), "")
        else:
            why = f"no-charge:{line.reason}"
        description = entry.description or wording.no_description or entry.kind
        incident = (incidents or {}).get((entry.source, line.cover or "")) if line.status == COVERED else None
        result.append(IncludedLine(description, entry.date, line.logged_minutes, why, entry.description, entry.tags,
                                   incident, line.held_from))
    return result


def rate_percent(rate: Decimal) -> str:
    """A VAT rate (a fraction) as the percent an invoice shows: 0.21 -> `21`."""
    return f"{(rate * 100).normalize():f}"
