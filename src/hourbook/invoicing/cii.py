"""The invoice as Cross-Industry-Invoice XML (EN 16931, Factur-X 1.0 / ZUGFeRD 2), and its schema check.

`cii_xml` writes the XML of an `Invoice` (`hourbook.core.invoice`), the same record the
page is rendered from, so the two can't disagree; `check_xml` validates it against the
official Factur-X EN 16931 XSD, offline. Embedding it in the PDF is `einvoice`'s work.
"""

from __future__ import annotations

import datetime
import logging
import re
from decimal import Decimal

from lxml import etree

from hourbook.core.invoice import Invoice
from hourbook.core.invoice import country_of
from hourbook.core.invoice import rate_percent
from hourbook.core.invoice import vat_id
from hourbook.core.money import ZERO
from hourbook.core.money import format_money
from hourbook.core.records import Party

EN16931 = "urn:cen.eu:en16931:2017"
NO_RATE_CATEGORIES = ("O",)                     # BR-O-05: no VAT rate at all
REASON_CATEGORIES = ("E", "AE", "K", "G", "O")  # BR-x-10: an exemption reason is required
NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "qdt": "urn:un:unece:uncefact:data:standard:QualifiedDataType:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
}


def cii_xml(invoice: Invoice) -> bytes:
    """The Cross-Industry-Invoice XML of the Factur-X EN 16931 profile, as UTF-8 bytes.

    A credit note (381) carries positive amounts, as CII expects; every other
    type carries them signed. Item prices are never negative (BR-27): a negative
    line has a negative quantity.
    """

    def sub(parent, tag: str, text: str | None = None, **attrs):
        prefix, name = tag.split(":")
        element = etree.SubElement(parent, f"{{{NS[prefix]}}}{name}", attrs)
        if text is not None:
            element.text = text
        return element

    def add_date(parent, tag: str, day: datetime.date, prefix: str = "udt") -> None:
        sub(sub(parent, tag), f"{prefix}:DateTimeString", day.strftime("%Y%m%d"), format="102")

    def signed_amount(value: Decimal) -> str:
        return format_money(value * invoice.sign, invoice.currency)

    def add_tax(parent, *, amounts: tuple[Decimal, Decimal] | None = None) -> None:
        element = sub(parent, "ram:ApplicableTradeTax")
        if amounts is not None:
            sub(element, "ram:CalculatedAmount", signed_amount(amounts[1]))
        sub(element, "ram:TypeCode", "VAT")
        if amounts is not None and invoice.vat_category in REASON_CATEGORIES:
            sub(element, "ram:ExemptionReason", invoice.exemption_note)
        if amounts is not None:
            sub(element, "ram:BasisAmount", signed_amount(amounts[0]))
        sub(element, "ram:CategoryCode", invoice.vat_category)
        if invoice.vat_category not in NO_RATE_CATEGORIES:
            sub(element, "ram:RateApplicablePercent", rate_percent(invoice.tax_rate))

    def add_party(parent, tag: str, who: Party, country: str, *, seller: bool) -> None:
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
    add_date(header, "ram:IssueDateTime", invoice.issued)
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
        add_tax(settlement)
        if line.date is not None:
            period = sub(settlement, "ram:BillingSpecifiedPeriod")
            add_date(period, "ram:StartDateTime", line.date)
            add_date(period, "ram:EndDateTime", line.date)
        sub(sub(settlement, "ram:SpecifiedTradeSettlementLineMonetarySummation"), "ram:LineTotalAmount",
            signed_amount(line.net))
    agreement = sub(transaction, "ram:ApplicableHeaderTradeAgreement")
    sub(agreement, "ram:BuyerReference", invoice.client)
    add_party(agreement, "ram:SellerTradeParty", invoice.seller, invoice.seller_country, seller=True)
    add_party(agreement, "ram:BuyerTradeParty", invoice.buyer, invoice.buyer_country, seller=False)
    delivery = sub(transaction, "ram:ApplicableHeaderTradeDelivery")
    # BT-72: services are supplied over the period; its last day is when the supply is complete.
    add_date(sub(delivery, "ram:ActualDeliverySupplyChainEvent"), "ram:OccurrenceDateTime", invoice.period_end)
    settlement = sub(transaction, "ram:ApplicableHeaderTradeSettlement")
    sub(settlement, "ram:PaymentReference", invoice.number)
    sub(settlement, "ram:InvoiceCurrencyCode", invoice.currency)
    if invoice.seller.iban:
        means = sub(settlement, "ram:SpecifiedTradeSettlementPaymentMeans")
        sub(means, "ram:TypeCode", "58" if invoice.currency == "EUR" else "30")
        sub(sub(means, "ram:PayeePartyCreditorFinancialAccount"), "ram:IBANID",
            invoice.seller.iban.replace(" ", "").upper())
        if invoice.seller.bic:          # BT-86, the payment service provider of the account
            sub(sub(means, "ram:PayeeSpecifiedCreditorFinancialInstitution"), "ram:BICID", invoice.seller.bic)
    add_tax(settlement, amounts=(invoice.net, invoice.tax))
    period = sub(settlement, "ram:BillingSpecifiedPeriod")
    add_date(period, "ram:StartDateTime", invoice.period_start)
    add_date(period, "ram:EndDateTime", invoice.period_end)
    terms = sub(settlement, "ram:SpecifiedTradePaymentTerms")
    if invoice.payment_terms:                   # BT-20, before the due date (BT-9) as the XSD orders them
        sub(terms, "ram:Description", invoice.payment_terms)
    add_date(terms, "ram:DueDateDateTime", invoice.due)
    totals = sub(settlement, "ram:SpecifiedTradeSettlementHeaderMonetarySummation")
    line_total = sum((line.net for line in invoice.lines), ZERO)
    sub(totals, "ram:LineTotalAmount", signed_amount(line_total))
    sub(totals, "ram:TaxBasisTotalAmount", signed_amount(invoice.net))
    sub(totals, "ram:TaxTotalAmount", signed_amount(invoice.tax), currencyID=invoice.currency)
    sub(totals, "ram:GrandTotalAmount", signed_amount(invoice.total))
    sub(totals, "ram:DuePayableAmount", signed_amount(invoice.total))
    if invoice.corrects:
        reference = sub(settlement, "ram:InvoiceReferencedDocument")
        sub(reference, "ram:IssuerAssignedID", invoice.corrects)
        if invoice.corrects_issued is not None:
            add_date(reference, "ram:FormattedIssueDateTime", invoice.corrects_issued, prefix="qdt")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def check_xml(xml: bytes) -> None:
    """Validate against the official Factur-X EN 16931 XSD (shipped with `factur-x`, offline).

    Raises:
        Exception: from `facturx.xml_check_xsd`, naming the first schema error.
    """
    import facturx  # deferred: importing factur-x takes a third of a second (pypdf and more)

    logging.getLogger("factur-x").setLevel(logging.CRITICAL)
    facturx.xml_check_xsd(xml, flavor="factur-x", level="en16931")
