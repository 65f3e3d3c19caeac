"""The rendering stage: statements (HTML, PDF), client indexes and the owner's dashboard.

Books go through the real pipeline (`load_and_price`) from folders written by the
`books` fixture. The golden statement lives in tests/__snapshots__/; regenerate it
with `HOURBOOK_SNAPSHOT_UPDATE=1 pytest tests/test_render.py` and review the diff.
"""

from __future__ import annotations

import datetime
import os
import re
import shutil
import subprocess
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import jinja2
import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from hourbook.core.records import ERROR
from hourbook.git import Provenance
from hourbook.pipeline import load_and_price
from hourbook.render import render_site
from hourbook.render import charts
from hourbook.render import filters
from hourbook.render.dashboard import make_dashboard
from hourbook.render.html import TEMPLATES_DIR
from hourbook.render.html import load_messages
from hourbook.render.html import make_environment
from hourbook.render.pdf import AssetFetcher
from hourbook.render.pdf import RefusedURL

SNAPSHOTS = Path(__file__).parent / "__snapshots__"
UPDATE_SNAPSHOTS = os.environ.get("HOURBOOK_SNAPSHOT_UPDATE") == "1"
PROVENANCE = Provenance("abc1234" + "0" * 33, uncommitted=True)


# --- helpers -----------------------------------------------------------------

def price(root: Path, as_of: str):
    priced, diagnostics = load_and_price(root, datetime.date.fromisoformat(as_of))
    errors = [d for d in diagnostics if d.severity == ERROR]
    assert errors == []
    return priced


def site(root: Path, as_of: str, *, pdf: bool = False) -> dict[str, bytes]:
    priced = price(root, as_of)
    folders = {c.contract.id: f"{c.contract.id}-0123abcd" for c in priced.clients if c.contract.share}
    return render_site(priced, root, folders, pdf=pdf, provenance=PROVENANCE)


def pages(files: dict[str, bytes]) -> dict[str, str]:
    return {path: data.decode("utf-8") for path, data in files.items() if path.endswith(".html")}


def assert_snapshot(name: str, text: str) -> None:
    """Compare with tests/__snapshots__/<name>; HOURBOOK_SNAPSHOT_UPDATE=1 rewrites it."""
    path = SNAPSHOTS / name
    if UPDATE_SNAPSHOTS or not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        if not UPDATE_SNAPSHOTS:
            pytest.fail(f"snapshot {name} was missing and has been written; run again")
    assert text == path.read_text(encoding="utf-8"), (
        f"{name} changed; if that is intended, rerun with HOURBOOK_SNAPSHOT_UPDATE=1 and review the diff")


class Elements(HTMLParser):
    """Every start tag of a page with its attributes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    handle_startendtag = handle_starttag


def elements(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = Elements()
    parser.feed(html)
    return parser.tags


# --- the small fixed books of the golden statement -------------------------------

SELLER = """\
    seller:
      name: Ana Ruiz Consulting
      address: "C/ Mayor 1, 28013 Madrid"
      tax_id: ESB12345678
      email: ana@example.com
      iban: ES91 2100 0418 4502 0005 1332
    currency: EUR
    locale: en
    period: month
    cost: 35
    team:
      ivan: {name: Iván Petrov, cost: 28}
"""

ACME = {
    "hourbook.yaml": SELLER,
    "contracts/acme.yaml": """\
        name: ACME Industries S.L.
        address: "Av. Diagonal 1, 08019 Barcelona"
        tax_id: ESA87654321
        locale: es
        tax: 21%
        contacts:
          ana: Ana García (CTO)
        terms:
          - from: 2026-01-01
            kind: retainer
            fee: 300
            included: 2h
            covers: [support]
            rate: 60
            increment: 15m
            free_under: 10m
            surcharge: {urgent: 50%}
        quotes:
          - id: Q-2026-07
            title: Update to v3
            price: 900
            estimate: 4h
            approved: "2026-11-02 ana"
            invoice: 2026-11-30
    """,
    "logbook/2026/11.md": """\
        # 2026-11-03

        ## acme
        - 09:10-10:25 @ana printer driver on their side #support
          They replaced the driver afterwards:
          - checked the **spooler**
          - cleared the queue
        - 1h15m fix rounding in invoice export #warranty
        - 5m quick call #support
        - 23:30-01:15 @ana night migration of the mail server #support #urgent

        # 2026-11-04

        ## acme
        - 2h @pedro bigger logo on the login page #change
        - 3h30m update to v3, first step #Q-2026-07
        - expense 45.00 taxi to the office #travel
        - [ ] @ana wants a new printer #hardware
    """,
}


def test_statement_golden_html(books):
    files = site(books(ACME), "2026-11-30", pdf=True)
    html = files["public/acme-0123abcd/2026-11.html"].decode()
    # The stylesheet is a file beside the page (its own test below), so a CSS tweak is not a diff here.
    assert "<style" not in html and html.count('<link rel="stylesheet" href="style.css">') == 1
    assert_snapshot("test_render-statement-acme-2026-11.html", html)


@pytest.mark.slow  # a statement's PDFs through WeasyPrint (the golden HTML test stays fast)
def test_statement_shows_groups_fees_and_totals(books):
    html = site(books(ACME), "2026-11-30", pdf=True)["public/acme-0123abcd/2026-11.html"].decode()
    # Spanish labels, Babel money: fees 300 + 900, billed 90 (60 min × 60 × 1.5) + 45 expense.
    for text in ["Trabajo facturado", "Trabajo cubierto", "Sin cargo", "Pendiente de su confirmación",
                 "Cuota de mantenimiento", "Presupuesto cerrado Q-2026-07: Update to v3",
                 "1.335,00\xa0€", "IVA 21\xa0%", "280,35\xa0€", "1.615,35\xa0€",
                 "Garantía (corrección de nuestro propio trabajo)", "Tarea breve, sin cargo",
                 "Solicitado por pedro, que no es un contacto autorizado", "solicitado por Ana García (CTO)",
                 "23:30–01:15 (+1)", "urgente, +50\xa0%", "mar, 3 nov", "Noviembre de 2026",
                 'href="2026-11.pdf"', 'href="index.html"']:
        assert text in html, text
    assert "<li>cleared the queue</li>" in html
    assert "<strong>spooler</strong>" in html
    # The retainer's 2 h: 75 min of the driver fix and 45 of the night migration; nothing left.
    allowance = html[html.index("Horas incluidas en este periodo"):]
    allowance = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", allowance[:allowance.index("</section>")]))
    assert "Cuota de mantenimiento 2:00 2:00 0:00" in allowance, allowance
    assert "wants a new printer" not in html        # requests are for the owner only


@pytest.mark.slow  # two periods' PDFs through WeasyPrint
def test_client_index_lists_periods_newest_first_with_links(books):
    root = books({**ACME, "logbook/2026/10.md": """\
        # 2026-10-20

        ## acme
        - 1h @ana router reset #support
    """})
    html = site(root, "2026-11-30", pdf=True)["public/acme-0123abcd/index.html"].decode()
    assert html.index("Noviembre de 2026") < html.index("Octubre de 2026")
    assert 'href="2026-11.html"' in html and 'href="2026-10.pdf"' in html
    assert "1.615,35\xa0€" in html


# --- security ------------------------------------------------------------------

HOSTILE = {
    "contracts/evil.yaml": """\
        name: "Evil <script>alert('name')</script> Corp"
        address: "<b onmouseover=alert(1)>Main St</b>"
        terms:
          - from: 2026-01-01
            kind: hourly
            rate: 50
    """,
    "contracts/other.yaml": """\
        name: Quiet Neighbour Ltd
        terms:
          - from: 2026-01-01
            kind: hourly
            rate: 50
    """,
    "logbook/2026/11.md": """\
        # 2026-11-03

        ## evil
        - 1h <script>alert(1)</script> fixed <b onmouseover=alert(2)>it</b>
          Click [here](javascript:alert(3)) or <a href="javascript:alert(4)">there</a>.
          <img src=x onerror=alert(5)>
          <script>alert(6)</script>
          <iframe src="https://evil.example/"></iframe>
          <div style="background:url(https://evil.example/x)" onclick="alert(7)">raw html</div>
          [fine link](https://example.com/docs)

        ## other
        - 1h ordinary work
    """,
}


OWNER_SCRIPT_TAG = re.compile(r'<script src="(?:\.\./)?owner\.js" defer( data-[a-z-]+="[^"<>]*")+></script>')
COLUMN_NAMES = re.compile(r"^--l\d+:'(?:[^'\\<>&\"]|\\[0-9a-f]+ )*'(?:;--l\d+:'(?:[^'\\<>&\"]|\\[0-9a-f]+ )*')*$")
DRAWING_STYLES = {"svg": re.compile(r"^--pw:[\d.]+;--ph:\d+;--dx:-[\d.]+px$"), "li": re.compile(r"^--c:#[0-9a-f]{6}$"),
                  "span": re.compile(r"^--v:[\d.]+%$"), "i": re.compile(r"^left:[\d.]+%$")}
OWNER_OWN_PAGES = re.compile(r"^owner/(index|receivables|requests|people|[^/]+/dashboard)\.html$")


def test_hostile_logbook_text_leaves_nothing_executable(books):
    files = site(books(HOSTILE), "2026-11-30")
    for path, html in pages(files).items():
        # The one script anywhere: owner/owner.js (the tables' sorting), on the owner's own pages only.
        html, count = OWNER_SCRIPT_TAG.subn("", html)
        assert count == (1 if OWNER_OWN_PAGES.match(path) else 0), path
        assert "<script" not in html, path
        assert "javascript:" not in html, path
        assert "onerror=" not in html, path
        for tag, attrs in elements(html):
            assert tag not in {"script", "iframe", "object", "embed", "img", "form"}, (path, tag)
            assert not [name for name in attrs if name.startswith("on")], (path, tag, attrs)
            # The styles: the columns' names on a table for phones (render/reflow.py), CSS strings
            # whose quotes, backslashes and <>& are escaped, whatever the header said; and numbers and
            # colours of hourbook's own drawings (render/charts.py: a phone's window on a bar chart,
            # a legend's colour, a bar's share and its 100 % tick).
            assert "style" not in attrs or (tag == "table" and "data-reflow" in attrs and COLUMN_NAMES.match(
                attrs["style"])) or tag in DRAWING_STYLES and DRAWING_STYLES[tag].match(attrs["style"]), (path, tag, attrs)
            href = attrs.get("href") or ""
            assert not href or re.match(r"^(https?:|mailto:|#|[\w.-]+(/[\w.-]+)*(#[\w-]+)?$|(\.\./)+)", href), (path, href)
    statement = files["public/evil-0123abcd/2026-11.html"].decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt; fixed" in statement   # shown as text, not run
    assert '<a href="https://example.com/docs" rel="noopener noreferrer nofollow">fine link</a>' in statement


def test_every_page_forbids_scripts_and_indexing(books):
    for path, html in pages(site(books(ACME), "2026-11-30")).items():
        # The owner's own pages allow one script of their own (owner/owner.js), nothing inline or from elsewhere.
        scripts = "script-src \'self\'; " if OWNER_OWN_PAGES.match(path) else ""
        assert ('<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
                f'{scripts}style-src \'unsafe-inline\' \'self\'; img-src \'self\' data:">') in html, path
        assert '<meta name="robots" content="noindex">' in html, path
        assert '<meta name="referrer" content="no-referrer">' in html, path


def test_public_pages_keep_to_their_own_client(books):
    files = site(books({**HOSTILE, "contracts/private.yaml": """\
        name: Secret Private Client
        share: false
        terms:
          - from: 2026-01-01
            kind: hourly
            rate: 50
    """, "logbook/private.md": """\
        ---
        client: private
        ---
        # 2026-11-05
        - 1h private work
    """}), "2026-11-30")
    public = [path for path in files if path.startswith("public/")]
    assert "owner/index.html" in files and "owner/receivables.html" in files
    assert not [path for path in public if "owner" in path]
    assert not [path for path in public if path.startswith("public/private")]
    assert [path for path in public if path.count("/") == 1] == ["public/robots.txt"]
    assert "owner/private/2026-11.html" in files                 # share: false still has owner copies
    names = {"evil": "Evil", "other": "Quiet Neighbour Ltd", "private": "Secret Private Client"}
    for path in public:
        if not path.endswith(".html"):
            continue
        folder = path.split("/")[1]
        html = files[path].decode()
        assert "owner/" not in html, path
        for cid, name in names.items():
            if not folder.startswith(cid + "-"):
                assert name not in html, (path, name)
        for _, attrs in elements(html):
            href = attrs.get("href") or ""
            if not re.match(r"^(https?|mailto):", href):          # links written in the logbook may go anywhere
                assert "/" not in href and ".." not in href, (path, href)


def test_templates_are_autoescaped_whatever_their_name(books, tmp_path):
    root = books({**ACME, "templates/note.txt": "{{ text }}"})
    env = make_environment(root)
    assert env.get_template("note.txt").render(text="<b>x</b>") == "&lt;b&gt;x&lt;/b&gt;"
    assert env.from_string("{{ text }}").render(text="<i>") == "&lt;i&gt;"


def test_a_books_template_overrides_the_built_in_one(books):
    css = (TEMPLATES_DIR / "style.css").read_text(encoding="utf-8")
    root = books({**ACME, "templates/style.css": "/* house style */\n" + css})
    files = site(root, "2026-11-30")
    # The books' style.css is the stylesheet beside every page, public and owner's.
    for folder in ("public/acme-0123abcd/", "owner/acme/", "owner/"):
        assert files[folder + "style.css"].decode().startswith("/* house style */"), folder


def test_the_example_books_brand_header_replaces_the_built_in_one(books):
    brand = (Path(__file__).resolve().parent.parent / "templates" / "brand.html").read_text(encoding="utf-8")
    files = site(books({**ACME, "templates/brand.html": brand}), "2026-11-30")
    for path, tagline in (("public/acme-0123abcd/2026-11.html", "Soporte IT para pymes"),   # in the page's language
                          ("public/acme-0123abcd/index.html", "Soporte IT para pymes"),
                          ("owner/index.html", "IT support for small businesses")):
        html = files[path].decode()
        # The tagline is in the page's language (the client's Spanish, the books' English), never in two.
        spanish = 'lang="es"' in html
        assert 'class="brand brand-custom"' in html and ("Soporte informático para pymes" in html) == spanish, path
        assert ("IT support for small businesses" in html) != spanish, path


def test_pdf_fetcher_serves_only_own_assets_and_data_urls(tmp_path):
    fetcher = AssetFetcher([TEMPLATES_DIR])
    assert fetcher.fetch((TEMPLATES_DIR / "style.css").as_uri()).read().startswith(b"/*")
    assert fetcher.fetch("data:text/plain,hello").read() == b"hello"
    secret = tmp_path / "secret.txt"
    secret.write_text("nope")
    for url in [secret.as_uri(), "file:///etc/passwd", (TEMPLATES_DIR / ".." / "pdf.py").as_uri(),
                "http://127.0.0.1:9/x.png", "https://example.com/x.css", "ftp://example.com/x"]:
        with pytest.raises(RefusedURL):
            fetcher.fetch(url)


# --- languages -----------------------------------------------------------------

@pytest.mark.parametrize(("locale", "expected"), [
    ("en", "€1,234.50"),
    ("es", "1.234,50\xa0€"),
    ("de", "1.234,50\xa0€"),
    ("ru", "1\xa0234,50\xa0€"),
    ("bg", "1\xa0234,50\xa0€"),
])
def test_each_locale_formats_money_as_babel_does(books, locale, expected):
    assert filters.format_money(Decimal("1234.5"), "EUR", locale) == expected
    root = books({"contracts/c.yaml": f"""\
        name: Client
        locale: {locale}
        terms:
          - from: 2026-01-01
            kind: hourly
            rate: 1234.50
    """, "logbook/c.md": """\
        # 2026-11-03

        ## c
        - 1h work
    """})
    html = site(root, "2026-11-30")["public/c-0123abcd/2026-11.html"].decode()
    assert expected in html
    assert f'<html lang="{locale}">' in html


def test_money_is_rounded_half_up_before_babel():
    # Babel alone rounds half-even: 0.125 -> 0.12.
    assert filters.format_money(Decimal("0.125"), "EUR", "en") == "€0.13"
    assert filters.format_money(Decimal("2.5"), "JPY", "en") == "¥3"


@pytest.mark.parametrize(("locale", "expected"), [
    ("en", "November 3, 2026"), ("es", "3 de noviembre de 2026"), ("de", "3. November 2026"),
    ("ru", "3 ноября 2026\u202fг."), ("bg", "3 ноември 2026\u202fг."),
])
def test_dates_follow_the_locale(locale, expected):
    assert filters.format_date(datetime.date(2026, 11, 3), locale) == expected


def test_missing_keys_and_languages_fall_back_to_english():
    assert load_messages("es")["statement"] == "Extracto"
    assert load_messages("fr")["statement"] == "Statement"        # no fr.yaml
    assert load_messages("de_AT")["statement"] == "Leistungsübersicht"
    assert filters.translate({}, "unknown_key") == "unknown_key"


@pytest.mark.parametrize(("reason", "expected"), [
    ("warranty", "Warranty (fixing our own work)"),
    ("free_under", "Short task, no charge"),
    ("included", "Included support"),
    ("training", "No charge (#training)"),
    ("requester 'pedro' is not an authorised contact", "Requested by pedro, who is not an authorised contact"),
    ("quote Q-1 is not approved", "Quote Q-1 is not approved yet"),
])
def test_reasons_are_translated_by_shape(reason, expected):
    assert filters.describe_reason(reason, load_messages("en")) == expected


def test_time_ranges_and_periods():
    assert filters.format_time_range(550, 625) == "09:10–10:25"
    assert filters.format_time_range(1410, 1515) == "23:30–01:15 (+1)"
    assert filters.format_time_range(None, None) == ""
    assert filters.format_period("2026-11", "es") == "Noviembre de 2026"
    assert filters.format_period("2026-Q4", "de") == "4. Quartal 2026"
    assert filters.format_hours(20, "es") == "0:20"                 # h:mm unless the books say decimal
    assert filters.format_hours(20, "es", "decimal") == "0,33"


# --- PDF -----------------------------------------------------------------------

@pytest.mark.slow  # PDF validity: poppler
@pytest.mark.skipif(shutil.which("pdftotext") is None or shutil.which("pdfinfo") is None,
                    reason="poppler-utils (pdfinfo, pdftotext) not installed")
def test_pdfs_are_valid_a4_with_the_client_name_as_text(books):
    root = books({**ACME, "contracts/sofia.yaml": """\
        name: "Дентален център „София Дент“ ЕООД"
        locale: bg
        tax: 20%
        prices_include_tax: true
        terms:
          - from: 2026-01-01
            kind: hourly
            rate: 50
    """, "logbook/sofia.md": """\
        ---
        client: sofia
        ---
        # 2026-11-05
        - 1h Принтерът не печата
    """})
    files = site(root, "2026-11-30", pdf=True)
    for path, name in [("public/acme-0123abcd/2026-11.pdf", "ACME Industries S.L."),
                       ("public/sofia-0123abcd/2026-11.pdf", "Дентален център „София Дент“ ЕООД")]:
        data = files[path]
        assert data.startswith(b"%PDF-")
        info = subprocess.run(["pdfinfo", "-"], input=data, capture_output=True, check=True).stdout.decode()
        assert int(re.search(r"^Pages:\s+(\d+)", info, re.M)[1]) >= 1
        assert re.search(r"^Page size:\s+595\.\d+ x 841\.\d+ pts \(A4\)", info, re.M)
        text = subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True, check=True).stdout.decode()
        assert name in " ".join(text.split()), path
    assert not [path for path in files if path.startswith("owner/") and path.endswith(".pdf")]


# --- the owner's dashboard -------------------------------------------------------------

DASHBOARD_BOOKS = {
    "hourbook.yaml": SELLER,
    # Hourly at 30 €/h: every hour costs 35 €, so this client loses money.
    "contracts/cheap.yaml": """\
        name: Cheap Client
        terms:
          - from: 2026-01-01
            kind: hourly
            rate: 30
    """,
    # A retainer of 100 € covering everything at 60 €/h.
    "contracts/ret.yaml": """\
        name: Retainer Client
        terms:
          - from: 2026-08-01
            kind: retainer
            fee: 100
            rate: 60
    """,
    "contracts/pre.yaml": """\
        name: Prepaid Client
        terms:
          - from: 2026-01-01
            kind: prepaid
            rate: 50
        prepaid:
          - id: B-1
            bought: 2026-11-01
            hours: 5
            price: 250
            expires: 2026-12-15
        quotes:
          - id: Q-9
            title: Migration
            price: 500
            estimate: 2h
            approved: "2026-11-01 x"
    """,
    "logbook/2026.md": """\
        # 2026-08-10

        ## ret
        - 1h support

        # 2026-09-10

        ## ret
        - 2h support

        # 2026-10-10

        ## ret
        - 3h support

        # 2026-11-10

        ## cheap
        - 2h work
        - 1h @bob held work
        - [ ] @bob please call back

        ## ret
        - 4h support

        ## pre
        - 4h30m migration of data
        - 1h45m migration #Q-9
    """,
    "logbook/ivan.md": """\
        ---
        worker: ivan
        client: cheap
        ---
        # 2026-11-12
        - 1h team work #warranty
    """,
    "contracts/cheap-contacts.yaml": """\
        name: Cheap Contacts Client
        contacts:
          amy: Amy
        terms:
          - from: 2026-01-01
            kind: hourly
            rate: 40
    """,
    "logbook/contacts.md": """\
        ---
        client: cheap-contacts
        ---
        # 2026-11-11
        - 1h @bob not a contact #change
    """,
}


def test_dashboard_figures(books):
    priced = price(books(DASHBOARD_BOOKS), "2026-11-20")
    board = make_dashboard(priced)
    reports = {r.contract.id: r for r in board.clients}

    cheap = reports["cheap"].total
    # 2h + 1h billed at 30; the warranty hour is Iván's.
    assert cheap.revenue == Decimal("90.00")              # no contacts: @bob's hour is billed too
    assert cheap.cost == Decimal("133.00")                # 3h × 35 + 1h × 28 (Iván)
    assert cheap.margin == Decimal("-43.00")
    assert cheap.no_charge == 60 and cheap.given_away == Decimal("30.00")
    assert cheap.rate == Decimal("22.50")                 # 90 / 4h

    contacts = reports["cheap-contacts"].total
    assert contacts.held == 60 and contacts.held_value == Decimal("40.00") and contacts.revenue == 0

    # Lowest margin first: cheap (-43) and cheap-contacts (-35) lose money.
    assert [r.contract.id for r in board.clients][:2] == ["cheap", "cheap-contacts"]

    retainer = reports["ret"].retainer
    assert retainer is not None
    # Ended periods by 2026-11-20: Aug, Sep, Oct; work 60, 120, 180 at 60 €/h, fee 100 each.
    assert retainer.basis == ("2026-08", "2026-09", "2026-10")
    assert retainer.average_shortfall == Decimal("20.00")
    assert [p.period for p in retainer.periods][0] == "2026-11"

    [block] = board.blocks
    assert block.balance.block.id == "B-1" and block.balance.remaining == 30
    assert block.days_left == 25 and block.expiring and block.low   # 4h30 of 5h used: 10 % left
    [quote] = board.quotes
    assert quote.state.quote.id == "Q-9" and quote.used_share == Decimal("0.875")
    [held] = board.held
    assert held.contract.id == "cheap-contacts"
    [request] = board.requests
    assert request.entry.description == "please call back" and request.age_days == 10


def test_owner_page_links_and_language(books):
    files = site(books({**DASHBOARD_BOOKS, "contracts/cheap.yaml": """\
        name: Cheap Client
        share: false
        locale: de
        terms:
          - from: 2026-01-01
            kind: hourly
            rate: 30
    """}), "2026-11-20")
    owner = files["owner/index.html"].decode()
    assert '<html lang="en">' in owner
    assert 'href="ret/dashboard.html"' in owner and 'href="cheap/dashboard.html"' in owner
    assert "Needs attention" in owner and "please call back" in owner and "10 days" in owner
    assert "<svg" in owner
    # Each client's report is a page of its own, linking back and to its statements.
    ret = files["owner/ret/dashboard.html"].decode()
    assert '<html lang="en">' in ret and 'href="../index.html"' in ret and "By period" in ret and "<svg" in ret
    assert 'href="../../public/ret-0123abcd/index.html"' in ret
    cheap = files["owner/cheap/dashboard.html"].decode()
    assert 'href="index.html"' in cheap and "Statements (owner copies, not shared)" in cheap  # share: false
    assert "By period" not in owner                              # the index stays small at 500 clients
    copy = files["owner/cheap/2026-11.html"].decode()
    assert "Leistungsübersicht" in copy                         # owner copies keep the client's language


# --- charts ----------------------------------------------------------------------

def test_charts_escape_their_text():
    svg = charts.stacked_bars(charts.Axis(("<Jan>",)), [charts.Series("<script>", "#000", (1,))],
                              title="a & b", fmt=str)
    assert "<script" not in svg and "&lt;script&gt;" in svg and "a &amp; b" in svg
    line = charts.line_chart(charts.Axis(("a", "b", "c")), [charts.Series("x", "#000", (1, None, 400))],
                             title="t", fmt=str, reference=("cost", 2), narrow=False)
    assert "<polyline" not in line                              # a gap leaves single points
    assert line.count("<circle") == 2 and line.count(' Z"') == 1     # a point and its legend's mark; 400 is far
                                                                     # above: a triangle on the edge


def test_markdown_details_are_cleaned():
    html = filters.render_markdown("Line one\n- a\n- b\n\n<script>x</script>\n```\n- not a list\n```")
    assert "<ul>\n<li>a</li>" in html
    assert "<script" not in html
    assert "<pre><code>- not a list" in html
    assert isinstance(html, jinja2.utils.markupsafe.Markup)


MARKDOWN_PIECES = ["- a\n", "1. b\n", "*x* ", "**y** ", "`c` ", "```\ncode\n```\n", "| h | i |\n|---|---|\n| 1 | 2 |\n",
                   "[l](http://e.x) ", "[^1] ", "> q\n", "<b>t</b> ", "\n\n", "    indented\n", "# h\n", "ref [r]\n",
                   "[r]: http://r.x\n", "*[HTML]: abbr\n", "x" * 3 + "\n"]


@given(st.lists(st.sampled_from(MARKDOWN_PIECES), max_size=12), st.text(max_size=40))
@hypothesis_settings(max_examples=150, deadline=None)
def test_the_reused_markdown_converter_gives_what_a_new_one_gives(pieces, noise):
    """`filters.markdown_to_html` keeps one converter and resets it: whatever came before (reference
    links, footnotes, abbreviations, a stack too deep), each text converts as by a new one."""
    import markdown

    for text in ("".join(pieces) + noise, noise, "".join(reversed(pieces))):
        assert filters.markdown_to_html(text) == markdown.markdown(
            text, extensions=list(filters.MARKDOWN_EXTENSIONS), output_format="html")


def test_a_converter_that_failed_is_not_used_again():
    deep = "> " * 3000 + "deep"
    try:
        filters.markdown_to_html(deep)
    except RecursionError:
        pass
    assert filters.markdown_to_html("[r]\n\n[r]: http://r.x") == '<p><a href="http://r.x">r</a></p>'


def test_a_block_expiring_at_the_end_of_a_running_period_still_shows_what_is_left(books):
    root = books({"contracts/pre.yaml": """\
        name: Prepaid Client
        terms:
          - from: 2026-01-01
            kind: prepaid
            rate: 50
        prepaid:
          - id: B-1
            bought: 2026-11-01
            hours: 5
            price: 250
            expires: 2026-11-30
    """, "logbook/pre.md": """\
        ---
        client: pre
        ---
        # 2026-11-03
        - 1h work
    """})
    running = site(root, "2026-11-20")["public/pre-0123abcd/2026-11.html"].decode()
    assert "Expired" not in running and re.search(r'<td class="num"[^>]*>\s*4:00\s*<td', running)
    ended = site(root, "2026-12-05")["public/pre-0123abcd/2026-11.html"].decode()
    assert "Expired; 4 hr unused" in ended


def test_a_broken_books_template_is_a_located_problem(books):
    from hourbook.render import TemplateProblem
    root = books({**ACME, "templates/client_index.html": "{% extends 'base.html' %}\n{% block content %}\n{{ nothing.here }}\n{% endblock %}\n"})
    priced, diagnostics = load_and_price(root, datetime.date(2026, 11, 30))
    assert [str(d.source) for d in diagnostics if d.severity == ERROR] == ["templates/client_index.html:3"]
    with pytest.raises(TemplateProblem) as caught:
        render_site(priced, root, {}, pdf=False)
    assert str(caught.value.diagnostic.source) == "templates/client_index.html:3"
    assert "'nothing' is undefined" in caught.value.diagnostic.message


def test_the_markdown_extensions_are_given_as_the_classes_their_names_name():
    import markdown

    converter = markdown.Markdown()
    by_name = [type(converter.build_extension(name, {})) for name in filters.MARKDOWN_EXTENSIONS]
    assert by_name == list(filters._MARKDOWN_EXTENSION_CLASSES)
