"""Where the client stands (issue 14 item 3): invoices on statements, the client's index, invoice PDFs.

The example books as of 2026-12-03 (issued.yaml, invoices/, payments/2026/bank.yaml) are
rendered once with `render_site` (no statement PDFs: WeasyPrint is slow, and the invoice
PDFs are copied, not made). Figures are hand-computed from the register and the payments,
as each test says. The browser test (slow) opens a statement over HTTP in headless Chromium
and follows its invoice link.
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import posixpath
import re
import shutil
import subprocess
import threading
import zlib
from functools import partial
from http.server import SimpleHTTPRequestHandler
from http.server import ThreadingHTTPServer
from pathlib import Path
from urllib.request import urlopen

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conftest import copy_example_books

from hourbook.build import rendering
from hourbook.build.builder import Builder
from hourbook.checks.issued import check_issued
from hourbook.pipeline import load_and_price
from hourbook.render import client_files
from hourbook.render import render_site
from hourbook.render.account import invoice_file_name
from hourbook.render.html import make_environment
from hourbook.site.secret import load_secret
from hourbook.site.secret import public_folders

AS_OF = datetime.date(2026, 12, 3)
SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*\.pdf$")


def flat(html: str) -> str:
    """A page's text: tags dropped, entities and no-break spaces made plain, spaces collapsed."""
    import html as html_module  # only to unescape entities
    text = html_module.unescape(re.sub(r"<[^>]+>", " ", html))
    return re.sub(r"\s+", " ", text.replace("\u00a0", " ").replace("\u202f", " "))


def section(html: str, start: str, end: str) -> str:
    """The part of `html` from `start` up to `end` (or its end)."""
    begin = html.index(start)
    stop = html.find(end, begin)
    return html[begin:stop if stop != -1 else len(html)]


@pytest.fixture(scope="module")
def example(tmp_path_factory):
    """(books root, priced, public folders, every site file) of the example books as of 2026-12-03."""
    root = copy_example_books(tmp_path_factory.mktemp("client-account") / "books")
    priced, diagnostics = load_and_price(root, AS_OF)
    assert not [d for d in diagnostics if d.severity == "error"], diagnostics
    folders = public_folders(priced, load_secret(root))
    return root, priced, folders, render_site(priced, root, folders, pdf=False)


def href_target(page: str, href: str) -> str:
    """The site path a relative link on the page at site path `page` leads to."""
    return posixpath.normpath(posixpath.join(posixpath.dirname(page), href))


def invoice_links(html: str) -> dict[str, str]:
    """Link text -> href of the invoice PDF links of a page."""
    return {flat(text).strip(): href for href, text in re.findall(r'<a class="screen-only" href="([^"]*invoices/[^"]*)">(.*?)</a>', html)}


# --------------------------------------------------------------- the statement of an invoiced period


def test_volga_september_statement_shows_its_invoice_overdue_in_russian_and_links_the_pdf(example):
    root, _, folders, files = example
    page = f"public/{folders['volga']}/2026-09.html"
    html = files[page].decode("utf-8")
    text = flat(section(html, 'class="account"', "</section>"))
    # issued.yaml: 2026-0012, volga, 2026-09, issued 2026-10-02, due 2026-11-01, total 90.00; no payment.
    # As of 2026-12-03: 29 days left of November after the 1st + 3 of December = 32 days overdue;
    # 32 ends in 2 (not 12): Russian's "few" form, "дня".
    assert "Счёт 2026-0012" in text
    assert "2 окт. 2026 г." in text and "1 нояб. 2026 г." in text
    assert "Просрочен на 32 дня" in text
    assert "90,00 € 0,00 € 90,00 €" in text                  # amount, paid, outstanding
    links = invoice_links(html)
    assert list(links) == ["Счёт 2026-0012 (PDF)"]          # the link text names the invoice
    target = href_target(page, links["Счёт 2026-0012 (PDF)"])
    assert target == f"public/{folders['volga']}/invoices/2026-0012.pdf"
    assert files[target] == (root / "invoices" / "2026-0012.pdf").read_bytes()
    # The owner's copy links the same published file.
    owner_page = "owner/volga/2026-09.html"
    owner_links = invoice_links(files[owner_page].decode("utf-8"))
    assert href_target(owner_page, owner_links["Счёт 2026-0012 (PDF)"]) == target


def test_overdue_days_take_the_plural_form_of_each_language(example):
    _, _, folders, files = example
    # volga 2026-08: 2026-0007 due 2026-10-02; as of 2026-12-03: 29 (rest of October) + 30 (November)
    # + 3 = 62 days; 62 ends in 2: "few" again. Its July statement's 2026-0004 is paid (112.50 on 2026-10-16).
    august = flat(files[f"public/{folders['volga']}/2026-08.html"].decode("utf-8"))
    assert "Просрочен на 62 дня" in august
    july = flat(section(files[f"public/{folders['volga']}/2026-07.html"].decode("utf-8"), 'class="account"',
                        "</section>"))
    assert "Счёт 2026-0004" in july and "Оплачен" in july and "112,50 € 112,50 € 0,00 €" in july


def test_a_statement_without_an_invoice_shows_none(example):
    _, _, folders, files = example
    # volga's 2026-11 is not issued (the register's last volga invoice is 2026-0012, for 2026-09; October's
    # statement totals 0.00 and was not invoiced either).
    assert 'class="account"' not in files[f"public/{folders['volga']}/2026-11.html"].decode("utf-8")


# --------------------------------------------------------------- the client's index


def test_sofia_dent_index_shows_its_credit_in_bulgarian(example):
    _, _, folders, files = example
    text = flat(files[f"public/{folders['sofia-dent']}/index.html"].decode("utf-8"))
    # bank.yaml: 450.00 paid on 2026-0011, whose total is 400.00 (issued.yaml): 50.00 over, a credit;
    # 2026-0003 (37.50) was paid exactly. Nothing is owed.
    assert "Кредит по вашата сметка: 50,00 €, ще бъде приспаднат от следващата ви фактура" in text
    assert "Неплатен остатък Нищо неплатено" in text
    assert "Неплатени фактури" not in text                  # no open invoice


def test_acme_index_lists_2026_0013_open_with_544_50(example):
    _, _, folders, files = example
    html = files[f"public/{folders['acme']}/index.html"].decode("utf-8")
    # 2026-0013: acme's October, net 450.00 + 21 % VAT 94.50 = 544.50, issued 2026-11-03, due 2026-12-03:
    # not yet overdue on its due day, no payment: open. Every other acme invoice is paid (bank.yaml).
    opened = flat(section(html, "Facturas pendientes", "</table>"))
    assert "Factura 2026-0013" in opened and "Pendiente" in opened
    assert "544,50 € 0,00 € 544,50 €" in opened
    assert "2026-0008" not in opened
    settled = flat(section(html, "Facturas saldadas", "</table>"))
    assert all(number in settled for number in ("2026-0001", "2026-0005", "2026-0008"))
    assert "Saldo pendiente 544,50 €" in flat(html)
    # The index's links lead to the published PDFs.
    page = f"public/{folders['acme']}/index.html"
    assert {href_target(page, href) for href in invoice_links(html).values()} == {
        f"public/{folders['acme']}/invoices/2026-{n}.pdf" for n in ("0001", "0005", "0008", "0013")}


def test_volga_index_shows_what_is_owed_and_the_overdue_invoices_first(example):
    _, _, folders, files = example
    text = flat(files[f"public/{folders['volga']}/index.html"].decode("utf-8"))
    # 2026-0007 (78.75) and 2026-0012 (90.00) are unpaid: 168.75 outstanding.
    assert "К оплате 168,75 €" in text
    assert text.index("2026-0007") < text.index("2026-0012") < text.index("Закрытые счета") < text.index("2026-0004")


# --------------------------------------------------------------- the invoice PDFs: that client's folder only


def test_each_invoice_pdf_is_in_its_clients_folder_only(example):
    root, priced, folders, files = example
    records = {state.record.number: state.record for client in priced.receivables.clients
               for state in client.invoices}
    assert len(records) == 16
    pdfs = {number: (root / record.pdf).read_bytes() for number, record in records.items()}
    where: dict[str, list[str]] = {number: [] for number in pdfs}
    for path, data in files.items():
        for number, pdf in pdfs.items():
            if data == pdf:
                where[number].append(path)
    for number, record in records.items():
        name = f"invoices/{number}.pdf"
        if record.client in folders:          # shared: its public folder, once; the owner links it
            assert where[number] == [f"public/{folders[record.client]}/{name}"], number
        else:                                 # hofmann, share: false: an owner copy, nothing public
            assert where[number] == [f"owner/{record.client}/{name}"], number
    assert "hofmann" not in folders
    assert not any(rel.startswith("public/") and "hofmann" in rel for rel in files)


def test_a_hostile_invoice_number_or_pdf_path_cannot_leave_the_folder(example):
    root, priced, folders, _ = example
    volga = next(client for client in priced.clients if client.contract.id == "volga")
    mine = priced.receivables.client("volga")
    hostile = ("../../../etc/passwd", "..", ".hidden", "a/b\\c", "2026/0007")
    invoices = tuple(dataclasses.replace(state, record=dataclasses.replace(state.record, number=number))
                     for state, number in zip(mine.invoices, hostile))
    # A fourth record whose pdf path leads out of invoices/: never read, never published.
    outside = dataclasses.replace(mine.invoices[0], record=dataclasses.replace(
        mine.invoices[0].record, number="2026-9999", pdf="invoices/../hourbook.yaml"))
    receivables = dataclasses.replace(priced.receivables, clients=tuple(
        dataclasses.replace(client, invoices=invoices + (outside,)) if client.client == "volga" else client
        for client in priced.receivables.clients))
    hostile_books = dataclasses.replace(priced, receivables=receivables)
    files = client_files(make_environment(root), hostile_books, volga, folders, pdf=False, to_pdf=None, root=root)
    published = sorted(rel for rel in files if "/invoices/" in rel)
    assert len(published) == 3                                # the three records, each under its own name
    for rel in published:
        folder, name = rel.rsplit("/invoices/", 1)
        assert folder in (f"public/{folders['volga']}",) and SAFE_NAME.match(name), rel
    assert not any(data == (root / "hourbook.yaml").read_bytes() for data in files.values())


@given(st.text(min_size=0, max_size=40))
def test_invoice_file_names_are_one_safe_segment(number):
    name = invoice_file_name(number)
    assert SAFE_NAME.match(name) and ".." not in name and "/" not in name


@given(st.text(max_size=20), st.text(max_size=20))
def test_two_numbers_never_share_a_file_name(first, second):
    if first != second:
        assert invoice_file_name(first) != invoice_file_name(second)


def test_file_names_keep_ordinary_numbers_and_hash_the_others():
    assert invoice_file_name("2026-0012") == "2026-0012.pdf"
    assert invoice_file_name("F_7") == "F_7.pdf"
    digest = hashlib.sha256(b"../x").hexdigest()[:8]
    assert invoice_file_name("../x") == f"x-{digest}.pdf"
    assert invoice_file_name("..") == f"invoice-{hashlib.sha256(b'..').hexdigest()[:8]}.pdf"


def test_a_missing_invoice_pdf_is_reported_at_its_record_and_the_statement_shows_no_link(tmp_path):
    root = copy_example_books(tmp_path / "books")
    (root / "invoices" / "2026-0012.pdf").unlink()
    priced, _ = load_and_price(root, AS_OF)
    problems = [d for d in check_issued(root, priced) if "2026-0012.pdf" in d.message]
    assert len(problems) == 1 and problems[0].source.path == "issued.yaml"
    line = (root / "issued.yaml").read_text(encoding="utf-8").splitlines()[problems[0].source.line - 1]
    assert '"2026-0012"' in line                              # located at the record
    folders = public_folders(priced, load_secret(root))
    files = render_site(priced, root, folders, pdf=False)
    html = files[f"public/{folders['volga']}/2026-09.html"].decode("utf-8")
    assert "Счёт 2026-0012" in flat(html) and "Просрочен на 32 дня" in flat(html)
    assert invoice_links(html) == {}
    assert not any(rel.endswith("/invoices/2026-0012.pdf") for rel in files)


# --------------------------------------------------------------- incremental builds


@pytest.fixture
def fake_pdf(monkeypatch):
    """Statement PDFs as a digest of their HTML (WeasyPrint is slow)."""
    monkeypatch.setattr(rendering, "render_pdf", lambda html, dirs, stylesheet=None: b"%PDF-fake " + hashlib.sha256(
        html.encode("utf-8")).hexdigest().encode())
    monkeypatch.setattr(rendering, "PARALLEL_PDFS", 10**9)
    monkeypatch.setattr(rendering.PdfWorkers, "start", classmethod(lambda cls, jobs: None))   # the fake, here


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("watch", [False, True], ids=["build", "watch"])
def test_a_payment_re_renders_only_that_client_and_equals_a_clean_build(tmp_path, fake_pdf, watch):
    root = copy_example_books(tmp_path / "books")
    builder = Builder(root, lambda: AS_OF, jobs=1)
    builder.background_cleanup = watch
    assert builder.build().ok
    folder = public_folders(load_and_price(root, AS_OF)[0], load_secret(root))["volga"]
    before = (root / "site" / "public" / folder / "2026-09.html").read_text(encoding="utf-8")
    assert "Просрочен на 32 дня" in flat(before)
    bank = root / "payments" / "2026" / "bank.yaml"
    bank.write_text(bank.read_text(encoding="utf-8") + '  - {date: 2026-12-01, invoice: 2026-0012, amount: 90.00, '
                    'method: transfer, ref: "CB-261201-0001"}\n', encoding="utf-8")
    result = builder.build()
    assert result.ok and result.rendered_clients == 1           # volga only
    after = (root / "site" / "public" / folder / "2026-09.html").read_text(encoding="utf-8")
    assert "Оплачен" in flat(section(after, 'class="account"', "</section>"))
    clean = Builder(root, lambda: AS_OF, out=tmp_path / "clean", disk_cache=False, jobs=1).build()
    assert clean.ok
    assert tree(root / "site") == tree(tmp_path / "clean")


def test_an_invoice_pdf_gone_and_back_gives_a_clean_builds_bytes(tmp_path, fake_pdf):
    root = copy_example_books(tmp_path / "books")
    builder = Builder(root, lambda: AS_OF, jobs=1)
    assert builder.build().ok
    pdf = root / "invoices" / "2026-0012.pdf"
    data = pdf.read_bytes()
    pdf.unlink()                                                 # an error for `check`: nothing is written
    assert not builder.build().ok
    pdf.write_bytes(data)
    assert builder.build().ok
    assert Builder(root, lambda: AS_OF, out=tmp_path / "clean", disk_cache=False, jobs=1).build().ok
    assert tree(root / "site") == tree(tmp_path / "clean")


# --------------------------------------------------------------- in a browser


@pytest.mark.slow
def test_chromium_sees_the_invoice_and_its_state_and_the_link_opens_a_pdf(example, tmp_path):
    chromium = next((shutil.which(name) for name in ("chromium", "chromium-browser", "google-chrome")
                     if shutil.which(name)), None)
    driver = shutil.which("chromedriver")
    try:
        from selenium import webdriver  # only this test needs a browser
        from selenium.webdriver.chrome.service import Service
        from selenium.webdriver.common.by import By
    except ImportError:
        pytest.skip("browser check skipped: the Python package selenium is not installed (pip install -e '.[test]')")
    if chromium is None or driver is None:
        pytest.skip("browser check skipped: chromium or chromedriver (Debian: chromium-driver) is not installed")
    _, _, folders, files = example
    site = tmp_path / "site"
    for rel, data in files.items():
        (site / rel).parent.mkdir(parents=True, exist_ok=True)
        (site / rel).write_bytes(data)
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(SimpleHTTPRequestHandler, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--window-size=1280,1000"):
        options.add_argument(argument)
    browser = webdriver.Chrome(options=options, service=Service(executable_path=driver))
    try:
        base = f"http://127.0.0.1:{server.server_port}/public/{folders['volga']}/"
        browser.get(base + "2026-09.html")
        body = browser.find_element(By.TAG_NAME, "body").text.replace("\u00a0", " ").replace("\u202f", " ")
        assert "2026-0012" in body and "Просрочен на 32 дня" in body
        link = browser.find_element(By.PARTIAL_LINK_TEXT, "2026-0012")
        href = link.get_attribute("href")
        assert href == base + "invoices/2026-0012.pdf"
        link.click()                                             # follows it: the browser asks for the PDF
        with urlopen(href) as response:
            assert response.status == 200
            data = response.read()
        assert data.startswith(b"%PDF")
        if shutil.which("pdfinfo"):
            pdf = tmp_path / "got.pdf"
            pdf.write_bytes(data)
            info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=False)
            assert info.returncode == 0 and "Pages:" in info.stdout
    finally:
        browser.quit()
        server.shutdown()


@pytest.mark.slow  # WeasyPrint lays out acme's statements
def test_a_statement_pdf_names_its_invoice_but_links_no_path_of_this_computer(example):
    # On screen the invoice number links the published PDF; a PDF would resolve that relative link
    # against the template folder (file:///…/templates/invoices/…): on paper the number is plain text.
    root, priced, folders, _ = example
    acme = next(client for client in priced.clients if client.contract.id == "acme")
    files = render_site(priced, root, folders, pdf=True, clients=[acme], owner=False)
    pdf = files[f"public/{folders['acme']}/2026-07.pdf"]
    objects = b"\n".join([pdf, *(inflated(pdf[m.end():pdf.find(b"endstream", m.end())])
                                 for m in re.finditer(rb"stream\r?\n", pdf))])
    assert b"/URI" not in objects and b"file:" not in objects and str(root).encode() not in objects
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed: the PDF links no path (checked), its text was not read")
    text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    assert "Factura 2026-0001" in text                        # the facts stay readable on paper


def inflated(stream: bytes) -> bytes:
    """A PDF stream's bytes inflated, or as they are when they are not Flate (images, fonts)."""
    try:
        return zlib.decompressobj().decompress(stream)
    except zlib.error:
        return stream
