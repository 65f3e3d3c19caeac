"""Every page kind in every language: no word of hourbook's left in another language.

The example books are copied with every locale switched to one language (the books' own
`locale:` and every contract's), priced, and every page is rendered: each client's
statements and index (public and the owner's copies), the owner's dashboard and client
reports, and each client's invoice. The visible text of each page, with the books' own
words taken out (descriptions, details, names, addresses, titles, tags, notes: they are
the owner's text, in whatever language the owner wrote them), must hold:

- no message of another language's files that is not also a message of this language
  (fragments between placeholders, four letters or more, as whole words);
- on a page not in English, none of `ENGLISH_MARKERS` (unless this language shares the word);
- on a client document, no developer text (commit, uncommitted, raw status codes).

Tax-id names (NIF, USt-IdNr., ИНН …) follow the id's country, not the page's language
(`render/tax_ids.py`), and are left out of the comparison.
"""

from __future__ import annotations

import datetime
import html.parser
import re
from pathlib import Path

import pytest

from decimal import Decimal

from hourbook.core.documents import split_statement
from hourbook.core.invoice import make_invoice
from hourbook.core.records import Party
from hourbook.load.fields import locale_field
from hourbook.core.register import plan_records
from hourbook.pipeline import load_and_price
from hourbook.core.records import HOURS_DECIMAL
from hourbook.git import Provenance
from hourbook.render.dashboard import client_report
from hourbook.render.dashboard import make_dashboard
from hourbook.render.html import make_environment
from hourbook.render.pages import render_client_index
from hourbook.render.pages import render_owner
from hourbook.render.pages import render_owner_client
from hourbook.render.pages import render_statement
from hourbook.render import filters
from hourbook.render.filters import render_markdown
from hourbook.render.html import load_messages
from hourbook.render.invoice import invoice_wording
from hourbook.render.invoice import render_html
from hourbook.render.locale_files import language_words
from hourbook.render.locale_files import languages
from hourbook.render.tax_ids import COUNTRY_LABELS
from hourbook.render.tax_ids import tax_id_label
from conftest import copy_example_books

EXAMPLE = Path(__file__).resolve().parent.parent
LOCALES = ("en", "es", "de", "ru", "bg", "en_GB")
AS_OF = "2026-12-03"
# English words that must not be on a page in another language (unless that language uses them too).
ENGLISH_MARKERS = ("Statement", "Statements", "Quote", "Owner", "Revenue", "hours", "Invoice", "Margin", "Billed",
                   "Retainer", "Prepaid", "incidents", "Summary", "Subtotal", "Expires", "approval", "Covered",
                   "Client", "Period", "Remaining", "Amount", "Hours", "Figures", "Reverse charge", "dashboard",
                   "Private", "Date", "Work", "Rate", "Value", "Net", "VAT", "Tax ID", "Bill to", "From")
DEVELOPER_TEXT = re.compile(r"\b(commit|uncommitted|no-charge|free_under|free_up_to|uncovered)\b")
DEVELOPER_BUILD = Provenance("7b54edc" + "0" * 33, True)     # a build from uncommitted books
PLACEHOLDER = re.compile(r"\{[^{}]*\}")
STATEMENTS = 3
TAX_ID_NAMES = {piece for names in COUNTRY_LABELS.values() for name in names
                for piece in (name, *PLACEHOLDER.split(name.strip(" .")))}


# --- the books, in one language ---------------------------------------------------------------


def books_in(locale: str, root: Path) -> Path:
    """The example books with the books' locale and every contract's set to `locale`."""
    copy_example_books(root)
    for path in [root / "hourbook.yaml", *(root / "contracts").glob("*.yaml")]:
        text = path.read_text(encoding="utf-8")
        path.write_text(re.sub(r"(?m)^locale: *\S+", f"locale: {locale}", text), encoding="utf-8")
    return root


@pytest.fixture(scope="module", params=LOCALES)
def rendered(request, tmp_path_factory):
    """(locale, priced books, {page name: visible text}, book strings, {page name: HTML}) for one locale."""
    locale = request.param
    root = books_in(locale, tmp_path_factory.mktemp(f"books-{locale}"))
    priced, diagnostics = load_and_price(root, datetime.date.fromisoformat(AS_OF))
    assert [d for d in diagnostics if d.severity == "error"] == []
    assert {c.contract.locale for c in priced.clients} == {locale} and priced.books.settings.locale == locale
    pages = site_pages(priced, root, None)
    pages.update(invoice_pages(priced, root))
    texts = {path: visible_text(page) for path, page in pages.items()}
    return locale, priced, texts, book_strings(priced), pages


def site_pages(priced, root: Path, provenance: Provenance | None) -> dict[str, str]:
    """The pages of every kind, as the site has them (the owner's with `provenance`, the clients' never), each client's last `STATEMENTS` statements only (fast)."""
    env = make_environment(root)
    pages = {}
    for client in priced.clients:
        cid = client.contract.id
        latest = sorted(client.statements, key=lambda s: s.start)[-STATEMENTS:]
        for statement in latest:
            pages[f"public/{cid}/{statement.period}.html"] = render_statement(
                env, priced, client, statement, pdf_href=f"{statement.period}.pdf", index_href="index.html")
        pages[f"public/{cid}/index.html"] = render_client_index(env, priced, client, pdf=True)
        pages[f"owner/{cid}/index.html"] = render_client_index(env, priced, client, pdf=True, pdf_prefix="../",
                                                               dashboard_href="../index.html")
        report = client_report(client, priced.books.settings, priced.as_of)
        pages[f"owner/{cid}/dashboard.html"] = render_owner_client(env, priced, report, "index.html",
                                                                   provenance=provenance)
    links = {client.contract.id: f"{client.contract.id}/dashboard.html" for client in priced.clients}
    pages["owner/index.html"] = render_owner(env, priced, make_dashboard(priced), links, provenance=provenance)
    return pages


def invoice_pages(priced, root: Path) -> dict[str, str]:
    """Each client's invoice for its latest statement that charges something, as `issue` renders it."""
    pages = {}
    settings = priced.books.settings
    for client in priced.clients:
        contract = client.contract
        for statement in sorted(client.statements, key=lambda s: s.start, reverse=True):
            docs = [doc for doc in split_statement(statement, contract, {}) if doc.total]
            if docs:
                record = plan_records([(docs[0], contract)], [], settings, priced.as_of, "0" * 40)[0]
                invoice = make_invoice(docs[0], record, contract, settings, None,
                                       invoice_wording(contract))
                pages[f"invoices/{contract.id}.html"] = render_html(invoice, root)
                break
    return pages


# --- text --------------------------------------------------------------------------------------


class _Text(html.parser.HTMLParser):
    """The text a reader sees (and hears: SVG titles, alt, aria-label, title attributes)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("style", "script"):
            self.hidden += 1
        for name, value in attrs:
            if name in ("alt", "title", "aria-label") and value:
                self.parts.append(value)

    def handle_endtag(self, tag):
        if tag in ("style", "script"):
            self.hidden -= 1

    def handle_data(self, data):
        if not self.hidden:
            self.parts.append(data)


def visible_text(page: str) -> str:
    parser = _Text()
    parser.feed(page)
    return normal(" ".join(parser.parts))


def normal(text: str) -> str:
    return " ".join(text.split())


def book_strings(priced) -> list[str]:
    """The books' own words (longest first): they may be in any language and are taken out of the text."""
    books = priced.books
    found = set()
    for entry in books.entries:
        found.update([entry.description, *(f"#{tag}" for tag in entry.tags), entry.by or ""])
        if entry.details:
            found.add(visible_text(str(render_markdown(entry.details))))
    seller = books.settings.seller
    found.update([seller.name, seller.address, seller.email, seller.tax_id, seller.iban])
    found.update(text for _, text in books.settings.invoice_note.texts)
    for exemption in books.settings.vat_exemptions:
        found.update(text for _, text in exemption.note.texts)
    for contract in books.contracts:
        party = contract.party
        found.update([party.name, party.address, party.email, party.tax_id, contract.id])
        found.update(name for _, name in contract.contacts)
        found.update(quote.title or "" for quote in contract.quotes)
        found.update(term.label for term in contract.terms)
    return sorted((normal(text) for text in found if text and text.strip()), key=len, reverse=True)


def without_books(text: str, strings: list[str]) -> str:
    for string in strings:
        text = text.replace(string, " ¦ ")
    return text


# --- messages ----------------------------------------------------------------------------------


def flat(words: dict) -> list[str]:
    out = []
    for value in words.values():
        out.extend(flat(value) if isinstance(value, dict) else [str(value)])
    return out


def fragments(text: str) -> set[str]:
    """The literal pieces of a message between its placeholders, trimmed, of four letters or more."""
    pieces = set()
    for piece in PLACEHOLDER.split(text):
        piece = normal(piece.strip(" .,:;()·–—-+/"))
        if sum(ch.isalpha() for ch in piece) >= 4:
            pieces.add(piece)
    return pieces


def language_of(locale: str) -> str:
    return locale.split("_")[0]


def foreign_fragments(locale: str) -> set[str]:
    """Other languages' message fragments that are not also words of this language's messages."""
    own_messages = flat(language_words(language_of(locale)))
    own = set().union(*(fragments(text) for text in own_messages))
    own_text = " \n ".join(own_messages)
    foreign = set()
    for language in languages():
        if language == language_of(locale):
            continue
        for text in flat(language_words(language)):
            foreign.update(fragment for fragment in fragments(text)
                           if fragment not in own and not whole_word(fragment).search(own_text))
    return foreign - TAX_ID_NAMES


def whole_word(fragment: str) -> re.Pattern:
    return re.compile(r"(?<!\w)" + re.escape(fragment) + r"(?!\w)")


def is_client_document(path: str) -> bool:
    return path.startswith(("public/", "invoices/"))


# --- the tests ---------------------------------------------------------------------------------


def test_every_page_kind_is_rendered(rendered):
    locale, priced, pages, _, _ = rendered
    kinds = {re.sub(r"/[^/]+(?=/)", "/*", re.sub(r"\d{4}-\d{2}", "PERIOD", re.sub(r"^invoices/.*", "invoices/*.html", path)))
             for path in pages}
    assert {"public/*/PERIOD.html", "public/*/index.html", "owner/index.html", "owner/*/dashboard.html",
            "owner/*/index.html", "invoices/*.html"} <= kinds
    assert len([path for path in pages if path.startswith("invoices/")]) >= 5


def test_no_string_left_in_another_language(rendered):
    locale, _, pages, strings, _ = rendered
    foreign = [(fragment, whole_word(fragment)) for fragment in sorted(foreign_fragments(locale))]
    found = {}
    for path, text in sorted(pages.items()):
        text = without_books(text, strings)
        hits = sorted({fragment for fragment, pattern in foreign if pattern.search(text)})
        if hits:
            found[path] = hits
    assert found == {}, f"{locale}: words of another language"


def test_no_english_left_on_pages_in_another_language(rendered):
    locale, _, pages, strings, _ = rendered
    if language_of(locale) == "en":
        return
    own_text = " \n ".join(flat(language_words(language_of(locale))))
    markers = [(word, whole_word(word)) for word in ENGLISH_MARKERS if not whole_word(word).search(own_text)]
    found = {}
    for path, text in sorted(pages.items()):
        text = without_books(text, strings)
        hits = sorted({word for word, pattern in markers if pattern.search(text)})
        if hits:
            found[path] = hits
    assert found == {}, f"{locale}: English words"


def test_pages_say_their_language(rendered):
    locale, _, _, _, pages = rendered
    said = {path: re.search(r'<html lang="([^"]*)"', page).group(1) for path, page in pages.items()}
    assert set(said.values()) == {locale.replace("_", "-")}


def test_the_owner_pages_are_in_the_books_language(rendered):
    locale, _, pages, _, _ = rendered
    owner = language_words(language_of(locale))["owner_dashboard"]
    assert owner in pages["owner/index.html"]
    assert all(owner in text for path, text in pages.items() if path.endswith("/dashboard.html"))


def test_fees_on_invoices_are_in_the_clients_language(rendered, tmp_path):
    locale, priced, _, strings, _ = rendered
    words = language_words(language_of(locale))
    fees = [(client, statement) for client in priced.clients for statement in client.statements
            if any(fee.kind == "quote" for fee in statement.fees)]
    assert fees, "the example books invoice a quote's price"
    client, statement = fees[0]
    doc = next(doc for doc in split_statement(statement, client.contract, {}) if doc.total)
    record = plan_records([(doc, client.contract)], [], priced.books.settings, priced.as_of, "0" * 40)[0]
    invoice = make_invoice(doc, record, client.contract, priced.books.settings, None,
                           invoice_wording(client.contract))
    labels = [line.description for line in invoice.lines if line.date == next(
        fee.date for fee in statement.fees if fee.kind == "quote") and line.minutes is None]
    quote = words["fee_quote_titled"].split("{")[0].strip()     # Angebot, Presupuesto, Смета, Fixed-price quote
    assert any(label.startswith(quote) for label in labels), labels
    assert quote in visible_text(render_html(invoice, None))


def test_no_developer_text_on_client_documents(tmp_path):
    root = books_in("de", tmp_path)
    priced, _ = load_and_price(root, datetime.date.fromisoformat(AS_OF))
    pages = {path: visible_text(page) for path, page in site_pages(priced, root, DEVELOPER_BUILD).items()}
    pages.update({path: visible_text(page) for path, page in
                  invoice_pages(priced, root).items()})
    strings = book_strings(priced)
    found = {path: sorted(set(DEVELOPER_TEXT.findall(without_books(text, strings))))
             for path, text in pages.items() if is_client_document(path)}
    assert {path: hits for path, hits in found.items() if hits} == {}


# --- locales with a region, tax-id names, notes by language ---------------------------------------


@pytest.mark.parametrize("written, read", [("en", "en"), ("en_GB", "en_GB"), ("en-GB", "en_GB"), ("en-gb", "en_GB"),
                                           ("de_AT", "de_AT"), ("es_MX", "es_MX"), ("ru", "ru"), ("bg", "bg")])
def test_locales_are_read_as_people_write_them(written, read):
    assert locale_field(written) == read


def test_unknown_locale_is_an_error():
    with pytest.raises(ValueError, match="unknown locale 'xx_QQ'"):
        locale_field("xx_QQ")


def test_dates_numbers_and_money_follow_the_region():
    day = datetime.date(2026, 12, 3)
    assert filters.format_date(day, "en") == "December 3, 2026"              # `en` alone: as before
    assert filters.format_date(day, "en_GB") == "3 December 2026"
    assert filters.format_day(day, "en_GB") == "Thu 3 Dec"
    assert filters.format_money(Decimal("1234.5"), "EUR", "en") == "€1,234.50"
    assert filters.format_money(Decimal("1234.5"), "EUR", "de_AT") == "€\xa01.234,50"
    assert filters.format_money(Decimal("1234.5"), "MXN", "es_MX") == "$1,234.50"
    assert filters.format_hours(90, "de_AT", HOURS_DECIMAL) == "1,50"
    assert filters.format_hours(90, "de_AT") == "1:30"                        # h:mm by default


@pytest.mark.parametrize("party, locale, language, label", [
    (Party("s", tax_id="ESB87245130"), "de", "de", "NIF-IVA"),                    # a Spanish id on a German page
    (Party("s", tax_id="B87245130", address="Madrid, España"), "de", "de", "NIF"),
    (Party("g", tax_id="DE287654324"), "es", "es", "USt-IdNr."),
    (Party("w", tax_id="ATU12345678"), "en", "en", "UID"),
    (Party("b", tax_id="BG204671358"), "es", "es", "ИН по ДДС"),
    (Party("b", tax_id="204671358", address="1000 София, България"), "en", "en", "ЕИК"),
    (Party("r", tax_id="7707083893"), "ru", "es", "ИНН"),                        # no prefix, no address: the locale's
    (Party("k", tax_id="210940012346", address="050000 Алматы, Казахстан"), "ru", "de", "БИН"),
    (Party("n", tax_id="GB284917616"), "en_GB", "es", "N.º de IVA"),             # no name of its own: the page's word
    (Party("n", tax_id="GB284917616"), "en_GB", "en", "VAT ID"),
    (Party("x", tax_id="12-3456789"), "en", "de", "Steuernummer"),
    (Party("x", tax_id="12-3456789"), "en", "en", "Tax ID"),
])
def test_tax_id_labels_follow_the_ids_country(party, locale, language, label):
    assert tax_id_label(party, load_messages(language), locale) == label


def example_with(tmp_path: Path, old: str, new: str) -> Path:
    root = books_in("es", tmp_path)
    for path in [root / "contracts" / name for name in ("globex.yaml", "hofmann.yaml")]:
        path.write_text(path.read_text(encoding="utf-8").replace("locale: es", "locale: de"), encoding="utf-8")
    for path in [root / "contracts" / "northwind.yaml"]:
        path.write_text(path.read_text(encoding="utf-8").replace("locale: es", "locale: en_GB"), encoding="utf-8")
    settings = root / "hourbook.yaml"
    text = settings.read_text(encoding="utf-8")
    assert old in text
    settings.write_text(text.replace(old, new), encoding="utf-8")
    return root


def first_invoice(priced, client_id: str):
    client = next(client for client in priced.clients if client.contract.id == client_id)
    for statement in sorted(client.statements, key=lambda s: s.start, reverse=True):
        docs = [doc for doc in split_statement(statement, client.contract, {}) if doc.total]
        if docs:
            record = plan_records([(docs[0], client.contract)], [], priced.books.settings, priced.as_of, "0" * 40)[0]
            return make_invoice(docs[0], record, client.contract, priced.books.settings, None,
                                invoice_wording(client.contract))
    raise AssertionError(f"no invoice for {client_id}")


def line_of(root: Path, text: str) -> int:
    return next(number for number, line in enumerate((root / "hourbook.yaml").read_text(encoding="utf-8")
                                                      .splitlines(), 1) if text in line)


def test_a_note_without_the_clients_language_is_a_warning_and_no_note(tmp_path):
    root = example_with(tmp_path, '    de: "Vielen Dank', '    #de: "Vielen Dank')
    priced, diagnostics = load_and_price(root, datetime.date.fromisoformat(AS_OF))
    line = line_of(root, "  note:  ")
    warnings = [f"{d.source}: {d.message}" for d in diagnostics if d.severity == "warning"]
    assert f"hourbook.yaml:{line}: invoice.note has no text in German (de), used by globex, hofmann" in warnings
    assert first_invoice(priced, "globex").note == ""                       # never the Spanish or English one
    assert first_invoice(priced, "northwind").note.startswith("Thank you")  # en_GB takes the `en` text
    assert first_invoice(priced, "acme").note.startswith("Gracias")


def test_a_plain_note_is_in_the_books_locale(tmp_path):
    root = books_in("es", tmp_path)
    settings = root / "hourbook.yaml"
    text = re.sub(r"(?s)  note: +# printed.*?\n  exemptions:", '  note: "Pago a 30 días."\n  exemptions:',
                  settings.read_text(encoding="utf-8"))
    settings.write_text(text, encoding="utf-8")
    contract = root / "contracts" / "globex.yaml"
    contract.write_text(contract.read_text(encoding="utf-8").replace("locale: es", "locale: de"), encoding="utf-8")
    priced, diagnostics = load_and_price(root, datetime.date.fromisoformat(AS_OF))
    line = line_of(root, "  note: ")
    warnings = [f"{d.source}: {d.message}" for d in diagnostics if d.severity == "warning" and "invoice.note" in d.message]
    assert warnings == [f"hourbook.yaml:{line}: invoice.note has no text in German (de), used by globex (one text "
                        "is taken to be in the books' locale, Spanish (es): write a map by language, "
                        "{es: …, de: …})"]
    assert first_invoice(priced, "globex").note == ""
    assert first_invoice(priced, "acme").note == "Pago a 30 días."


def test_an_exemption_without_a_note_in_the_language_says_why_by_its_category(tmp_path):
    root = books_in("ru", tmp_path)             # globex's note is German only, sofia-dent's Bulgarian only
    priced, diagnostics = load_and_price(root, datetime.date.fromisoformat(AS_OF))
    assert first_invoice(priced, "globex").exemption_note == language_words("ru")["vat_reason_AE"]
    assert first_invoice(priced, "volga").exemption_note.startswith("Не облагается НДС Испании")
    warnings = [d.message for d in diagnostics if d.severity == "warning"]
    assert "invoice.exemptions.globex.note has no text in Russian (ru), used by globex" in warnings


def test_a_zero_tax_line_says_why_on_the_statement(rendered):
    locale, priced, pages, _, _ = rendered
    words = language_words(language_of(locale))
    sofia = [text for path, text in pages.items() if path.startswith("public/sofia-dent/")
             and re.search(r"/\d{4}-\d{2}\.html$", path)]
    expected = "Обратно начисляване (чл. 196" if language_of(locale) == "bg" else words["vat_reason_AE"]
    assert sofia and all(expected in text for text in sofia)


@pytest.mark.parametrize("locale, count, key", [("en", 1, "owner_days_one"), ("en", 2, "owner_days_other"),
                                                ("ru", 1, "owner_days_one"), ("ru", 3, "owner_days_few"),
                                                ("ru", 5, "owner_days_many"), ("ru", 21, "owner_days_one"),
                                                ("bg", 1, "owner_days_one"), ("bg", 4, "owner_days_other"),
                                                ("de", 0, "owner_days_other")])
def test_counts_take_the_languages_plural_form(locale, count, key):
    assert filters.plural_key(load_messages(locale), "owner_days", count, locale) == key
    assert "{count}" in language_words(language_of(locale))[key]


def test_a_block_expiring_on_the_as_of_date_expires_today_on_the_owners_page(tmp_path):
    root = books_in("es", tmp_path)
    # Northwind's NW-2025-12 expires on 31 December 2026 with hours left: on that day it expires "hoy".
    priced, _ = load_and_price(root, datetime.date(2026, 12, 31))
    owner = visible_text(site_pages(priced, root, None)["owner/index.html"])
    assert "hoy" in owner.split() and "dentro de 0 días" not in owner


def test_no_countrys_name_has_a_digit_so_an_address_ending_in_one_names_none():
    # `country_of` answers None for an address whose last part holds a digit without reading the
    # names' table (babel's data for every address language): pinned to the table itself.
    from hourbook.core.invoice import _country_names
    from hourbook.core.invoice import country_of
    names = _country_names()
    assert len(names) > 1000 and "españa" in names
    assert not [name for name in names if any(char.isdigit() for char in name)]
    assert country_of(Party("m", address="Calle Mayor 1, 28013 Madrid")) is None
    assert country_of(Party("m", address="Calle Mayor 1\n28013 Madrid\nEspaña")) == "ES"
