"""Statements and invoices on paper: WeasyPrint's PDFs as a client prints them.

- Text: every run of text in the PDF is read back with its size (pypdf), so the test
  fails on what was printed, not on what the CSS meant: body text >= 9 pt, table
  headers >= 8 pt (a run under 9 pt must be the words of a table header).
- Pages: each PDF's layout is read back from WeasyPrint (which sections have boxes on
  which page): no page holds only the chart, or only the totals (or both), nor an
  invoice's totals, notes or footer without a line. The example books, and statements of 8 to 30 lines
  in steps of 2, so that the end of a statement falls at every place of a page.
- Words: no word of the example books' statements and invoices is broken inside (a
  piece of it at the end of a line, the rest on the next), read back from WeasyPrint.
- Width: a client with a 120-letter name, address and tag, a URL in a description
  and a rate in six figures: every word of the PDF stays inside the page's text box
  (pdftotext -bbox), and the amounts are there.
- The invoice carries the books' brand partial and the seller's BIC beside the IBAN.
"""

from __future__ import annotations

import datetime
import io
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from pypdf import PdfReader

from hourbook.core.documents import split_statement
from hourbook.core.invoice import make_invoice
from hourbook.core.register import plan_records
from hourbook.invoicing.cii import check_xml
from hourbook.invoicing.cii import cii_xml
from hourbook.pipeline import load_and_price
from hourbook.render import render_site
from hourbook.render.html import template_folders
from hourbook.render.invoice import INVOICE_TEMPLATES
from hourbook.render.invoice import render_html
from hourbook.render.pdf import html_to_pdf
from test_einvoice import SAXON
from test_einvoice import SCHEMATRON

EXAMPLE_BOOKS = Path(__file__).resolve().parent.parent
AS_OF = datetime.date(2026, 12, 31)
LONG_WORD = "Supercalifragilistic" * 6          # 120 letters, no break opportunity
MM = 72 / 25.4
A4_WIDTH = 210 * MM
RIGHT_MARGIN = {"statement": 15 * MM, "invoice": 16 * MM}      # style.css and invoice.css @page
STATEMENT_TAIL = {"totals-box", "chart-box"}          # a page of these alone: the chart, the totals, or both
INVOICE_TAIL = {"totals", "notes", "footer"}           # the totals, the payment notes, the footer


# --- helpers -----------------------------------------------------------------

def priced_books(root: Path):
    priced, _ = load_and_price(root, AS_OF)
    return priced


def statement_pages(priced, root: Path) -> dict[str, str]:
    """Every statement of the books as HTML, by path."""
    folders = {c.contract.id: c.contract.id for c in priced.clients}
    files = render_site(priced, root, folders, pdf=False, owner=False)
    return {path: data.decode() for path, data in files.items()
            if re.search(r"/\d{4}-\d\d\.html$", path) and path.startswith("public/")}


def invoice_html(priced, root: Path, cid: str, statement=None) -> str:
    """The invoice of a client's statement (its latest by default), as `hourbook issue` renders it."""
    client = next(c for c in priced.clients if c.contract.id == cid)
    doc = split_statement(statement or client.statements[-1], client.contract, {})[0]
    record = plan_records([(doc, client.contract)], [], priced.books.settings, priced.as_of, "0" * 40)[0]
    return render_html(make_invoice(doc, record, client.contract, priced.books.settings, None), root)


def invoice_of(priced, cid: str):
    client = next(c for c in priced.clients if c.contract.id == cid)
    doc = split_statement(client.statements[-1], client.contract, {})[0]
    record = plan_records([(doc, client.contract)], [], priced.books.settings, priced.as_of, "0" * 40)[0]
    return make_invoice(doc, record, client.contract, priced.books.settings, None)


def to_pdf(html: str, root: Path, kind: str) -> tuple[bytes, list[set[str]]]:
    """The PDF of a statement or invoice page, and the kinds of section on each of its pages."""
    pdf, document = laid_out(html, root, kind)
    return pdf, [page_sections(page._page_box, kind) for page in document.pages]


def laid_out(html: str, root: Path, kind: str):
    """The PDF of a statement or invoice page, and WeasyPrint's laid-out document of it."""
    folders = template_folders(root) if kind == "statement" else [INVOICE_TEMPLATES]
    documents = []
    pdf = html_to_pdf(html, folders, adjust=documents.append)
    return pdf, documents[0]


def broken_words(document) -> list[str]:
    """The words WeasyPrint broke across two lines inside the word ("Wartungsve|rtrag").

    A line that ends in a letter and the next that starts with one, in one element whose
    text has the two pieces joined, is a word broken where no space or hyphen allowed it.
    """
    found = []
    for page in document.pages:
        lines: list[list] = []
        collect_lines(page._page_box, lines)
        for before, after in zip(lines, lines[1:]):
            if not before or not after:
                continue
            end, start = before[-1], after[0]
            if end.element is None or end.element is not start.element or not end.text.strip() or not start.text.strip():
                continue
            if re.search(r"\w$", end.text) and re.match(r"\w", start.text):
                joined = end.text.split()[-1] + start.text.split()[0]
                if joined in " ".join("".join(end.element.itertext()).split()):
                    found.append(f"{end.text.split()[-1]}|{start.text.split()[0]}")
    return found


def collect_lines(box, lines: list[list]) -> None:
    """The text boxes of each line box under `box`, line by line, in order."""
    if type(box).__name__ == "LineBox":
        texts: list = []
        stack = [box]
        while stack:
            node = stack.pop()
            if type(node).__name__ == "TextBox":
                texts.append(node)
            stack.extend(reversed(getattr(node, "children", ())))
        lines.append(texts)
        return
    for child in getattr(box, "children", ()):
        collect_lines(child, lines)


def page_sections(page_box, kind: str) -> set[str]:
    """The sections with a box on a page: the children of main.sheet (a statement) or of body (an invoice)."""
    found: set[str] = set()

    def walk(box, inside: bool) -> None:
        element = getattr(box, "element", None)
        tag = getattr(element, "tag", None)
        if inside and element is not None and tag not in ("main", "body"):
            found.add((element.get("class") or "").split(" ")[0] or tag)
            return
        container = tag == "main" if kind == "statement" else tag == "body"
        for child in getattr(box, "children", ()):
            walk(child, inside or container)

    walk(page_box, False)
    return found


def text_runs(pdf: bytes) -> list[tuple[int, float, str]]:
    """(page, size in pt, text) of every run of text in a PDF, the size as printed."""
    runs: list[tuple[int, float, str]] = []
    for number, page in enumerate(PdfReader(io.BytesIO(pdf)).pages, start=1):
        def visit(text, cm, tm, unused_font, size, number=number):
            if text.strip():
                scale = abs(tm[3] or tm[2]) * abs(cm[3] or cm[2])
                runs.append((number, round(size * scale, 2), text.strip()))
        page.extract_text(visitor_text=visit)
    return runs


class HeaderWords(HTMLParser):
    """The words of every <th> of a page, as printed (upper case)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.depth, self.words = 0, set()

    def handle_starttag(self, tag, attrs):
        self.depth += tag == "th"

    def handle_endtag(self, tag):
        self.depth -= tag == "th" and self.depth > 0

    def handle_data(self, data):
        if self.depth:
            self.words.update(data.upper().split())


def small_text(html: str, pdf: bytes) -> list[str]:
    """What the PDF prints under 9 pt that is not a table header, and anything under 8 pt."""
    parser = HeaderWords()
    parser.feed(html)
    wrong = []
    for page, size, text in text_runs(pdf):
        if size < 8 or (size < 9 and not set(text.upper().split()) <= parser.words):
            wrong.append(f"page {page}: {size} pt {text[:60]!r}")
    return wrong


def lonely_pages(sections: list[set[str]], tail: set[str]) -> list[int]:
    """The pages that hold only what ends a document (the totals, the chart, the notes)."""
    return [number for number, kinds in enumerate(sections, start=1) if number > 1 and kinds and kinds <= tail]


WORD = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>')


def words_astray(pdf: bytes, tmp_path: Path, right_margin: float) -> list[str]:
    """Every word of the PDF whose box ends right of the page's text box, or runs into the next
    word of its line (a figure too wide for its column overlaps the one beside it)."""
    path = tmp_path / "page.pdf"
    path.write_bytes(pdf)
    box = subprocess.run(["pdftotext", "-bbox", str(path), "-"], capture_output=True, text=True, check=True).stdout
    limit = A4_WIDTH - right_margin + 0.5
    astray = []
    for page in box.split("<page ")[1:]:
        words = [(float(x0), float(y0), float(x1), float(y1), word) for x0, y0, x1, y1, word in WORD.findall(page)]
        astray += [f"{word} ends at {x1:.1f} pt > {limit:.1f}" for _, _, x1, _, word in words if x1 > limit]
        lines: dict[float, list] = {}
        for word in words:
            lines.setdefault(round(word[3], 0), []).append(word)     # one baseline, one line
        for line in lines.values():
            line.sort()
            astray += [f"{a[4]} runs into {b[4]} ({a[2]:.1f} > {b[0]:.1f} pt)"
                       for a, b in zip(line, line[1:]) if a[2] > b[0] + 0.5]
    return astray


def sweep_books(books) -> Path:
    """One client, a statement a month with 8, 10 … 30 lines: the end falls everywhere on a page."""
    logbook = ["---", "client: sweep", "---"]
    for month, count in enumerate(range(8, 31, 2), start=1):
        for line in range(count):
            logbook.append(f"# 2026-{month:02d}-{line % 27 + 1:02d}")
            logbook.append(f"- 1h15m Revisión {line + 1} del servidor de ficheros y de las copias de seguridad"
                           + (" de la sede central" if line % 3 == 0 else "") + (" #urgent" if line % 5 == 0 else ""))
    return books({
        "contracts/sweep.yaml": """\
            name: Barrido S.L.
            address: "Calle Mayor 1, 28013 Madrid"
            tax_id: ESB12345678
            locale: es
            tax: 21%
            terms:
              - from: 2026-01-01
                kind: hourly
                rate: 60
                surcharge: {urgent: 50%}
        """,
        "logbook/sweep.md": "\n".join(logbook) + "\n",
    })


def hostile_books(books) -> Path:
    return books({
        "hourbook.yaml": """\
            seller:
              name: Ana Ruiz Consulting
              address: "C/ Mayor 1, 28013 Madrid"
              tax_id: ESB12345678
              iban: ES91 2100 0418 4502 0005 1332
              bic: CAIXESBBXXX
            currency: EUR
            locale: es
        """,
        "contracts/long.yaml": f"""\
            name: {LONG_WORD} Industries
            address: "https://example.com/{LONG_WORD}"
            tax_id: ESB12345678
            locale: es
            tax: 21%
            terms:
              - from: 2026-01-01
                kind: hourly
                rate: 9876.54
        """,
        "logbook/2026-11.md": f"""\
            ---
            client: long
            ---
            # 2026-11-03
            - 09:00-10:30 Revisado https://intranet.example.com/{LONG_WORD}/{LONG_WORD} #{LONG_WORD.lower()}
            # 2026-11-04
            - 3h Migración del servidor de correo a la nueva plataforma
        """,
    })


# --- text sizes --------------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) is not installed")
def test_pdf_text_is_9_pt_and_table_headers_8_pt_and_stays_in_its_column(tmp_path):
    """Each client's latest statement and invoice of the example books (five languages)."""
    priced = priced_books(EXAMPLE_BOOKS)
    pages = statement_pages(priced, EXAMPLE_BOOKS)
    latest = {}
    for path in sorted(pages):
        latest[path.split("/")[1]] = path                  # each client's latest statement
    wrong = {}
    for path in latest.values():
        pdf, _ = to_pdf(pages[path], EXAMPLE_BOOKS, "statement")
        wrong[path] = small_text(pages[path], pdf) + words_astray(pdf, tmp_path, RIGHT_MARGIN["statement"])
    for client in priced.clients:
        html = invoice_html(priced, EXAMPLE_BOOKS, client.contract.id)
        pdf, _ = to_pdf(html, EXAMPLE_BOOKS, "invoice")
        wrong[f"invoice {client.contract.id}"] = small_text(html, pdf) + words_astray(pdf, tmp_path,
                                                                                      RIGHT_MARGIN["invoice"])
    assert len(wrong) == 11
    assert {where: found for where, found in wrong.items() if found} == {}


def test_small_text_is_found():
    html = ('<table><tr><th style="font-size: 8pt">Fecha</th></tr></table>'
            '<p style="font-size: 8.5pt">solicitado por</p><p style="font-size: 9pt">Total</p>'
            '<p style="font-size: 7.5pt">FECHA</p>')
    pdf = html_to_pdf(html, [])
    assert small_text(html, pdf) == ["page 1: 8.5 pt 'solicitado por'", "page 1: 7.5 pt 'FECHA'"]


# --- pages -------------------------------------------------------------------------

@pytest.mark.slow
def test_no_page_holds_only_the_chart_or_the_totals(books):
    found, broken = {}, {}
    for root in (EXAMPLE_BOOKS, sweep_books(books)):
        priced = priced_books(root)
        for path, html in sorted(statement_pages(priced, root).items()):
            _, document = laid_out(html, root, "statement")
            sections = [page_sections(page._page_box, "statement") for page in document.pages]
            assert sections[0] >= {"doc-head", "parties"}, path
            found[path] = lonely_pages(sections, STATEMENT_TAIL)
            broken[path] = broken_words(document)
        for client in priced.clients:
            for statement in client.statements[-3:]:
                html = invoice_html(priced, root, client.contract.id, statement)
                _, document = laid_out(html, root, "invoice")
                sections = [page_sections(page._page_box, "invoice") for page in document.pages]
                where = f"invoice {client.contract.id} {statement.period}"
                found[where] = lonely_pages(sections, INVOICE_TAIL)
                broken[where] = broken_words(document)
    assert len([path for path in found if path.startswith("public/sweep/")]) == 12
    assert {where: pages for where, pages in found.items() if pages} == {}
    assert {where: words for where, words in broken.items() if words} == {}     # and no word broken inside


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) is not installed")
def test_words_astray_are_found(tmp_path):
    html = ('<table style="width: 60mm; table-layout: fixed"><tr><td style="width: 15mm; white-space: nowrap">'
            '123.456.789,00 €</td><td>next</td></tr></table>'
            '<p style="white-space: nowrap">' + "wide " * 60 + "</p>")
    astray = words_astray(html_to_pdf(html, []), tmp_path, 15 * MM)
    assert astray[0].startswith("wide ends at") and any(line.startswith("123.456.789,00 runs into next") for line in astray)


def test_broken_words_are_found():
    html = ('<p style="width: 45mm; overflow-wrap: break-word">Ein Wartungsvertrag, die IT-Leiter und die '
            'Geschäftsführerinnenversammlungsniederschrift</p>')
    _, document = laid_out(html, EXAMPLE_BOOKS, "invoice")
    broken = broken_words(document)
    assert broken and all(word.replace("|", "") in "Geschäftsführerinnenversammlungsniederschrift" for word in broken)


def test_lonely_pages_are_found():
    assert lonely_pages([{"doc-head", "parties", "group"}, {"group", "totals-box"}, {"chart-box"}],
                        STATEMENT_TAIL) == [3]
    assert lonely_pages([{"doc-head", "parties", "group", "totals-box"}, {"balances", "chart-box"}],
                        STATEMENT_TAIL) == []                   # the prepaid hours and the chart: a page of its own
    assert lonely_pages([{"header", "buyer", "lines"}, {"totals", "notes", "footer"}], INVOICE_TAIL) == [2]


# --- width -------------------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) is not installed")
def test_long_words_and_names_wrap_inside_the_page(books, tmp_path):
    root = hostile_books(books)
    priced = priced_books(root)
    [(path, html)] = statement_pages(priced, root).items()
    invoice = invoice_html(priced, root, "long")
    for kind, page in (("statement", html), ("invoice", invoice)):
        assert LONG_WORD in page
        pdf, _ = to_pdf(page, root, kind)
        astray = words_astray(pdf, tmp_path, RIGHT_MARGIN[kind])
        assert astray == [], f"{kind}: {astray}"
        text = re.sub(r"\s", "", "".join(run[2] for run in text_runs(pdf)))
        assert "9.876,54€" in text and "14.814,81€" in text and "53.777,76€" in text, kind  # rate, 1:30 h, total


# --- the invoice's brand and bank ---------------------------------------------------

def test_the_invoice_carries_the_books_brand_and_the_bic(books):
    root = hostile_books(books)
    (root / "templates").mkdir()
    (root / "templates" / "brand.html").write_text(
        '<div class="brand"><span class="our-logo">AR</span> {{ seller.name }}</div>', encoding="utf-8")
    priced = priced_books(root)
    html = invoice_html(priced, root, "long")
    assert '<span class="our-logo">AR</span> Ana Ruiz Consulting' in html
    assert re.search(r"IBAN ES91 2100 0418 4502 0005 1332</span> <span class=\"iban\">\(BIC/SWIFT CAIXESBBXXX\)",
                     html)
    assert re.search(rb"<ram:PayeePartyCreditorFinancialAccount>\s*<ram:IBANID>ES9121000418450200051332</ram:IBANID>\s*"
                     rb"</ram:PayeePartyCreditorFinancialAccount>\s*<ram:PayeeSpecifiedCreditorFinancialInstitution>\s*"
                     rb"<ram:BICID>CAIXESBBXXX</ram:BICID>", cii_xml(invoice_of(priced, "long")))
    [(path, statement)] = statement_pages(priced, root).items()
    assert re.search(r"<dt>BIC/SWIFT<dd class=\"nowrap\">CAIXESBBXXX\s*<", statement)     # no end tags: render/compact.py


def test_a_books_brand_gets_the_same_names_on_invoices_and_check_tries_it(books):
    root = hostile_books(books)
    (root / "templates").mkdir()
    (root / "templates" / "brand.html").write_text(
        '<div class="brand">{{ t("statement") }} · {{ lang }} · {{ seller.name }}</div>\n', encoding="utf-8")
    priced, diagnostics = load_and_price(root, AS_OF)
    assert list(diagnostics) == []
    assert '<div class="brand">Extracto · es · Ana Ruiz Consulting</div>' in invoice_html(priced, root, "long")
    (root / "templates" / "brand.html").write_text('<div class="brand">\n{{ seller.logo.url }}</div>\n',
                                                    encoding="utf-8")
    _, diagnostics = load_and_price(root, AS_OF)
    assert [(d.source.path, d.source.line) for d in diagnostics] == [("templates/brand.html", 2)]


def test_without_a_books_brand_the_invoice_has_the_built_in_one(books):
    root = hostile_books(books)
    html = invoice_html(priced_books(root), root, "long")
    assert '<div class="brand">\n  <div class="brand-name">Ana Ruiz Consulting</div>' in html


def test_a_bic_is_8_or_11_letters_and_digits(books):
    root = books({"hourbook.yaml": """\
        seller:
          name: Ana Ruiz Consulting
          iban: ES91 2100 0418 4502 0005 1332
          bic: CAIXESBBXX
        locale: es
    """})
    _, diagnostics = load_and_price(root, AS_OF)
    assert [f"{d.source.path}:{d.source.line}: {d.message}" for d in diagnostics] == [
        "hourbook.yaml:4: seller field 'bic': expected a BIC of 8 or 11 letters and digits (bank, country, "
        "location, branch), like CAIXESBBXXX, got 'CAIXESBBXX'"]
    root = books({"hourbook.yaml": "seller: {name: Ana, bic: caix esbb}\n"})
    priced, diagnostics = load_and_price(root, AS_OF)
    assert list(diagnostics) == [] and priced.books.settings.seller.bic == "CAIXESBB"      # as banks print it


@pytest.mark.slow   # the EN 16931 schematron in Java
@pytest.mark.skipif(SAXON is None or shutil.which("java") is None, reason="the schematron needs Java and Saxon-HE")
def test_the_bic_passes_the_en16931_schema_and_schematron(books, tmp_path):
    xml = cii_xml(invoice_of(priced_books(hostile_books(books)), "long"))
    check_xml(xml)
    (tmp_path / "in.xml").write_bytes(xml)
    run = subprocess.run(["java", "-cp", SAXON, "net.sf.saxon.Transform", f"-s:{tmp_path / 'in.xml'}",
                          f"-xsl:{SCHEMATRON}", f"-o:{tmp_path / 'out.xml'}"], capture_output=True, timeout=600)
    assert run.returncode == 0, run.stderr.decode()
    report = (tmp_path / "out.xml").read_text(encoding="utf-8")
    assert "failed-assert" not in report, report
