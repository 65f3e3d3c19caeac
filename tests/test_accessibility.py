"""Accessibility (WCAG 2.1 AA) of every page kind: issue 12, item 9.

The page kinds are the client's statement and index (site/public/<folder>/), the owner's
dashboard and client report (site/owner/), and the invoice's page (render/invoice.py),
all made from the example books at the top of the repository.

Fast tests read the HTML for what axe-core does not judge: headings in order, every
header cell with a `scope`, every table with a `<caption>`, every chart followed by a
table of its figures, links to a statement or a PDF that name their period; and they
compute the contrast of the pages' and charts' colours (text 4.5:1, graphics 3:1).

The slow test runs axe-core (the copy bundled by the selenium-axe-python package) in
headless Chromium through Selenium and Debian's chromedriver, at 1280 and 390 px, with
the WCAG 2.1 A and AA rules plus `heading-order` and `empty-table-header`, and wants no
violation. It skips, saying why, when Chromium, chromedriver or the packages are missing;
`.ci/run` installs them.
"""

from __future__ import annotations

import datetime
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest

from hourbook.git import Provenance
from hourbook.core.documents import split_statement
from hourbook.core.invoice import make_invoice
from hourbook.core.records import ERROR
from hourbook.core.register import plan_records
from hourbook.pipeline import load_and_price
from hourbook.render import charts
from hourbook.render import filters
from hourbook.render import render_site
from hourbook.render import OWNER_SCRIPT_BYTES
from hourbook.render.pages import OWNER_SCRIPT
from hourbook.render.html import TEMPLATES_DIR
from hourbook.render.invoice import render_html as render_invoice
from conftest import copy_example_books

REPO = Path(__file__).resolve().parent.parent
BOOKS_PARTS = ("hourbook.yaml", "contracts", "logbook", "templates")
AS_OF = datetime.date(2026, 12, 31)
WIDTHS = (1280, 390)
AXE_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")
AXE_EXTRA_RULES = ("heading-order", "empty-table-header")   # best practices the issue asks for too
PERIOD_LINK = re.compile(r"(?:^|/)(\d{4}-(?:\d{2}|Q[1-4]))\.(?:html|pdf)$")


# --- the example books, rendered ------------------------------------------------------------------

def example_books(tmp_path: Path, locale: str) -> Path:
    """A copy of the example books whose hourbook.yaml says `locale: <locale>` (the owner's pages' language)."""
    root = copy_example_books(tmp_path / f"books-{locale}")
    settings = root / "hourbook.yaml"
    text, count = re.subn(r"(?m)^locale: *\S+", f"locale: {locale}", settings.read_text(encoding="utf-8"))
    assert count == 1, "the example hourbook.yaml has no top-level locale line"
    settings.write_text(text, encoding="utf-8")
    return root


def invoice_pages(root: Path, priced) -> dict[str, str]:
    """invoices/<client>.html: the invoice page of each client's latest statement, as `issue` renders it."""
    pages = {}
    settings = priced.books.settings
    for client in priced.clients:
        for statement in sorted(client.statements, key=lambda s: s.start, reverse=True):
            docs = split_statement(statement, client.contract, {})
            if docs:
                record = plan_records([(docs[0], client.contract)], [], settings, AS_OF, "0" * 40)[0]
                invoice = make_invoice(docs[0], record, client.contract, settings, None)
                pages[f"invoices/{client.contract.id}.html"] = render_invoice(invoice, root)
                break
    return pages


def render_pages(root: Path) -> dict[str, str]:
    """Every HTML page of the books' site and an invoice page per client, by path."""
    priced, diagnostics = load_and_price(root, AS_OF)
    assert [d for d in diagnostics if d.severity == ERROR] == []
    folders = {c.contract.id: f"{c.contract.id}-0123abcd" for c in priced.clients if c.contract.share}
    # The pages link their PDFs as a real build does; the PDFs themselves are not made here.
    files = render_site(priced, root, folders, pdf=True, to_pdf=lambda html: b"%PDF-", provenance=Provenance("abc1234" * 5 + "abcde", False))
    pages = {path: data.decode("utf-8") for path, data in files.items() if path.endswith(".html")}
    return {**pages, **invoice_pages(root, priced)}


@pytest.fixture(scope="module")
def spanish_pages(tmp_path_factory) -> dict[str, str]:
    return render_pages(example_books(tmp_path_factory.mktemp("a11y"), "es"))


def page_kind(path: str) -> str:
    if path.startswith("invoices/"):
        return "invoice"
    if path == "owner/index.html":
        return "owner dashboard"
    if path == "owner/receivables.html":
        return "owner receivables"
    if path == "owner/people.html":
        return "owner people"
    if path == "owner/requests.html":
        return "owner requests"
    if path.endswith("/dashboard.html"):
        return "owner client report"
    return "client index" if path.endswith("/index.html") else "statement"


def test_the_example_books_have_every_page_kind(spanish_pages):
    kinds = {page_kind(path) for path in spanish_pages}
    assert kinds == {"invoice", "owner dashboard", "owner receivables", "owner requests", "owner people",
                     "owner client report", "client index", "statement"}
    languages = {Page.of(html).lang for path, html in spanish_pages.items() if path.startswith("public/")}
    assert languages >= {"es", "en", "de", "ru", "bg"}


# --- what the HTML must say ------------------------------------------------------------------------

class Page(HTMLParser):
    """The parts of a page the accessibility checks read: headings, tables, charts, links."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lang = ""
        self.headings: list[int] = []
        self.unscoped: list[str] = []
        self.tables = 0
        self.uncaptioned = 0
        self.charts = 0
        self.chart_tables = 0
        self.links: list[tuple[str, str]] = []
        self._after_table = False
        self._header: list[str] | None = None
        self._link: tuple[str, list[str]] | None = None

    @classmethod
    def of(cls, html: str) -> Page:
        page = cls()
        page.feed(html)
        page.close()
        return page

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag != "caption" and self._after_table:
            self.uncaptioned += 1
        self._after_table = False
        if tag == "html":
            self.lang = (attrs.get("lang") or "").split("-")[0]
        elif re.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))
        elif tag == "table":
            self.tables += 1
            self._after_table = True
            self.chart_tables += "chart-data" in (attrs.get("class") or "")
        elif tag == "th" and attrs.get("scope") not in ("col", "row", "colgroup", "rowgroup"):
            self._header = []
        elif tag == "svg" and "chart" in (attrs.get("class") or "").split() \
                and "chart-narrow" not in (attrs.get("class") or "").split():
            self.charts += 1            # a line chart is drawn wide and narrow (one shows); its table follows once
        elif tag == "a" and attrs.get("href"):
            self._link = (attrs["href"], [])

    def handle_endtag(self, tag):
        if tag == "th" and self._header is not None:
            self.unscoped.append(" ".join("".join(self._header).split()))
            self._header = None
        elif tag == "a" and self._link is not None:
            self.links.append((self._link[0], " ".join("".join(self._link[1]).split())))
            self._link = None

    def handle_data(self, data):
        if self._after_table and data.strip():
            self.uncaptioned += 1
            self._after_table = False
        for parts in (self._header, self._link[1] if self._link else None):
            if parts is not None:
                parts.append(data)


def test_headings_go_down_one_level_at_a_time(spanish_pages):
    skips = {}
    for path, html in spanish_pages.items():
        levels = Page.of(html).headings
        jumps = [(a, b) for a, b in zip([0, *levels], levels) if b > a + 1]
        if levels.count(1) != 1 or jumps:
            skips[path] = levels
    assert skips == {}, "pages with no single h1, or a heading that skips a level (levels in page order)"


def test_every_table_has_a_caption_and_every_header_cell_a_scope(spanish_pages):
    problems = {}
    for path, html in spanish_pages.items():
        page = Page.of(html)
        if page.uncaptioned or page.unscoped:
            problems[path] = (page.uncaptioned, page.unscoped[:5])
    assert problems == {}, "(tables without a caption, header cells without scope) by page"


def test_every_chart_is_followed_by_a_table_of_its_figures(spanish_pages):
    counts = {path: (page.charts, page.chart_tables)
              for path, page in ((path, Page.of(html)) for path, html in spanish_pages.items())}
    assert sum(charts for charts, _ in counts.values()) > 40       # statements, indexes, owner pages
    assert {path: c for path, c in counts.items() if c[0] != c[1]} == {}


def test_links_to_a_statement_or_its_pdf_name_the_period(spanish_pages):
    vague = []
    for path, html in spanish_pages.items():
        page = Page.of(html)
        for href, text in page.links:
            found = PERIOD_LINK.search(href)
            if found and " ".join(filters.format_period(found.group(1), page.lang).split()) not in text:
                vague.append((path, href, text))
    assert vague == []
    index = Page.of(spanish_pages["public/acme-0123abcd/index.html"])
    assert ("2026-11.pdf", "PDF, Noviembre de 2026") in index.links
    assert ("2026-11.html", "Ver, extracto de Noviembre de 2026") in index.links
    german = Page.of(spanish_pages["public/globex-0123abcd/index.html"])
    assert ("2026-11.pdf", "PDF, November 2026") in german.links


# --- colours -------------------------------------------------------------------------------------

def luminance(colour: str) -> float:
    red, green, blue = (int(colour.lstrip("#")[i:i + 2], 16) / 255 for i in (0, 2, 4))
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in (red, green, blue)]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(one: str, other: str) -> float:
    """The WCAG contrast ratio of two #rrggbb colours, 1 to 21."""
    light, dark = sorted((luminance(one), luminance(other)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_contrast_is_computed_as_wcag_says():
    assert round(contrast("#000000", "#ffffff"), 1) == 21.0
    assert round(contrast("#767676", "#ffffff"), 2) == 4.54      # the well-known lightest AA grey on white


def css_colours() -> dict[str, str]:
    css = (TEMPLATES_DIR / "style.css").read_text(encoding="utf-8")
    return dict(re.findall(r"--([a-z-]+):\s*(#[0-9a-fA-F]{6})", css))


def bar_colours() -> dict[str, str]:
    """The colours style.css draws a share in (`span.bar`, charts.progress_bar): {"" | "near" | "over": colour}."""
    css = (TEMPLATES_DIR / "style.css").read_text(encoding="utf-8")
    return dict(re.findall(r"span\.bar\.?(near|over|) \{[^}]*--c: (#[0-9a-f]{6})", css))


def test_page_text_colours_reach_4_5_to_1_on_every_background():
    colours = css_colours()
    backgrounds = {"sheet": "#ffffff", "soft": colours["soft"], "page": "#eef0f3", "tag": "#eef2f7",
                   "notice": "#fff7e6", "banner": "#fdecea"}
    weak = {(text, where): round(contrast(colours[text], background), 2)
            for text in ("ink", "muted", "accent", "held-text") for where, background in backgrounds.items()
            if contrast(colours[text], background) < 4.5}
    assert weak == {}


def test_chart_and_swatch_colours_reach_3_to_1_and_chart_text_4_5_to_1_on_white():
    css = css_colours()
    graphics = {**{f"status {k}": v for k, v in charts.STATUS_COLOURS.items()},
                **{f"line {i}": v for i, v in enumerate(charts.LINE_COLOURS)},
                **{f"swatch {k}": css[k] for k in ("billed", "covered", "no-charge", "held", "uncovered")},
                **{f"bar {kind or 'good'}": colour for kind, colour in bar_colours().items()}}
    assert {name: round(contrast(colour, "#ffffff"), 2) for name, colour in graphics.items()
            if contrast(colour, "#ffffff") < 3} == {}
    assert contrast(charts.AXIS, "#ffffff") >= 4.5 and contrast(charts.LEGEND_TEXT, "#ffffff") >= 4.5
    legend = re.search(r"ul\.legend \{[^}]*[^-]color: (#[0-9a-f]{6})", (TEMPLATES_DIR / "style.css").read_text(encoding="utf-8"))
    assert contrast(legend.group(1), "#ffffff") >= 4.5                  # a bar chart's legend, in HTML
    assert set(bar_colours()) == {"", "near", "over"}
    assert {css[k] for k in ("covered", "no-charge", "uncovered")} <= set(charts.STATUS_COLOURS.values())


# --- charts: a second cue and a table ----------------------------------------------------------

def test_stacked_bars_carry_a_pattern_per_series_and_a_table_of_figures():
    axis = charts.Axis(("Oct", "Nov"), ("2026", ""), ("October 2026", "November 2026"))
    series = [charts.Series("Billed", "#2f6fab", (1, 2)), charts.Series("Held", "#d0573c", (0.5, None))]
    chart = charts.stacked_bars(axis, series, title="Hours <per> month", fmt=lambda v: f"{v:g}",
                                row_header="Month", total_header="Total")
    # One drawing, named by its title; the second series hatched in its bars and in the legend
    # under the drawing (an HTML list: the swatch's pattern is style.css's k-s, in the series' colour;
    # a phone sees November alone, without "Held"), then one table.
    assert chart.count("<svg") == 1 and "<title>Hours &lt;per&gt; month</title>" in chart
    assert chart.count("<pattern ") == 1 and 'fill="url(#c' in chart     # the second series is hatched
    legend = re.search(r'<ul class="legend">(.*?)</ul>', chart).group(1)
    assert legend == '<li>Billed<li class="k-s w" style="--c:#d0573c">Held'
    assert chart.count("<title>Oct · Held: 0.5</title>") == 1             # the bars and their tooltips once
    assert chart.count("<table") == 1
    assert "<desc>October 2026 – November 2026: Billed, Held</desc>" in chart
    table = chart[chart.index("<table"):]
    assert "<caption>Hours &lt;per&gt; month</caption>" in table
    assert '<th scope="col">Month</th><th scope="col">Billed</th><th scope="col">Held</th><th scope="col">Total</th>' \
        in table
    assert '<tr><th scope="row">October 2026</th><td>1</td><td>0.5</td><td>1.5</td></tr>' in table
    assert '<tr><th scope="row">November 2026</th><td>2</td><td>–</td><td>2</td></tr>' in table
    one = charts.stacked_bars(axis, series[:1], title="Hours", fmt=lambda v: f"{v:g}", row_header="Month",
                              total_header="Total")
    # One series: its column is the total, and the table says it once.
    assert '<th scope="col">Month</th><th scope="col">Billed</th></tr>' in one
    assert '<tr><th scope="row">October 2026</th><td>1</td></tr>' in one
    # A colour that is not its pattern's status's is said on the item.
    other = charts.stacked_bars(axis, [charts.Series("Acme", "#1b7f8c", (1, 2), "dots")], title="t", fmt=str)
    assert '<li class="k-d" style="--c:#1b7f8c">Acme' in other


def test_a_phone_sees_the_last_months_and_the_legend_of_what_it_sees():
    months = tuple(f"M{n}" for n in range(1, 13))
    axis = charts.Axis(months, ("2026",) + ("",) * 11)
    early = (3,) * 4 + (0,) * 8                  # held in the first months only: not on the phone
    series = [charts.Series("Billed", "#2f6fab", (2,) * 12), charts.Series("Held", "#d0573c", early, "back")]
    chart = str(charts.stacked_bars(axis, series, title="Hours", fmt=str))
    # A statement's twelve months: the usual window (style.css's defaults), the last five months at
    # the wide spacing (586 units / 12), moved left by the seven before them.
    head = re.search(r"<svg [^>]*>", chart).group(0)
    assert 'class="chart chart-bars"' in head and 'preserveAspectRatio="xMinYMin slice"' in head
    assert "style=" not in head and charts.USUAL_WINDOW == "--pw:298.2;--ph:200;--dx:-341.8px"
    assert 46 + 5 * 586 / 12 + 8 == pytest.approx(298.2, abs=0.05) and 7 * 586 / 12 == pytest.approx(341.8, abs=0.05)
    # What the phone does not show is for wide screens only: "Held", and no year but its first month's.
    assert re.search(r'<ul class="legend">(.*?)</ul>', chart).group(1) == '<li>Billed<li class="k-b w">Held'
    assert re.findall(r'<text class="ph" x="(\d+)" y="14">(\d+)</text>', chart) == [(str(round(46 + 7.5 * 586 / 12)), "2026")]
    # Another window is said on the drawing: eighteen months of 24 (the owner's pages).
    wide = charts.Axis(tuple(f"M{n}" for n in range(18)))
    long = str(charts.stacked_bars(wide, [charts.Series("Billed", "#2f6fab", (1,) * 18)], title="t", fmt=str))
    slot = 586 / 18
    assert f'style="--pw:{46 + 8 * slot + 8:.1f};--ph:200;--dx:-{10 * slot:.1f}px"' in long
    # Too few slots to need a window: the phone sees the whole drawing.
    short = str(charts.stacked_bars(charts.Axis(("a",)), [charts.Series("B", "#000", (1,))], title="t", fmt=str,
                                    width=200))
    assert "chart-bars" not in short and 'class="sh"' not in short


def test_lines_differ_by_marker_and_dash_not_only_by_colour():
    axis = charts.Axis(("a", "b"))
    series = [charts.Series(name, "#2f6fab", (1, 2)) for name in ("one", "two", "three")]
    chart = charts.line_chart(axis, series, title="t", fmt=str, row_header="Month", narrow=False)
    assert chart.count("<circle") == 2 + 1                       # two points of "one" and its legend mark
    assert chart.count("<rect x=") >= 2 + 1                      # squares for "two"
    assert chart.count("<polygon") == 2 + 1                      # diamonds for "three"
    assert 'stroke-dasharray="6 3"' in chart and 'stroke-dasharray="2 3"' in chart
    assert chart.count('<th scope="row">') == 2


# --- axe-core in headless Chromium ----------------------------------------------------------------

def browser_tools() -> tuple[str, str, Path]:
    """Chromium, chromedriver and axe.min.js; skips the test, saying what is missing."""
    chromium = next((shutil.which(name) for name in ("chromium", "chromium-browser", "google-chrome")
                     if shutil.which(name)), None)
    driver = shutil.which("chromedriver")
    missing = [what for what, found in (("chromium", chromium), ("chromedriver (Debian: chromium-driver)", driver))
               if not found]
    try:
        import selenium  # noqa: F401  (imported here: the fast tests above run without it)
        import selenium_axe_python
    except ImportError as exc:
        missing.append(f"the Python package {exc.name} (pip install -e '.[test]')")
        selenium_axe_python = None
    if missing:
        pytest.skip("axe-core check skipped: " + ", ".join(missing) + " not installed; .ci/run installs them")
    return chromium, driver, Path(selenium_axe_python.__file__).parent / "axe-core" / "axe.min.js"


def start_browser(chromium: str, driver: str):
    from selenium import webdriver  # only the slow test needs a browser
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--hide-scrollbars", "--window-size=1280,1000"):
        options.add_argument(argument)
    browser = webdriver.Chrome(options=options, service=Service(executable_path=driver))
    # The pages forbid scripts (CSP); axe is injected through DevTools, and this lets it run.
    browser.execute_cdp_cmd("Page.setBypassCSP", {"enabled": True})
    return browser


AXE_RUN = """
const done = arguments[arguments.length - 1];
const rules = {};
for (const rule of arguments[1]) rules[rule] = {enabled: true};
axe.run(document, {runOnly: {type: "tag", values: arguments[0]}, rules: rules, resultTypes: ["violations"]})
   .then(results => done(results.violations), error => done(String(error)));
"""


def axe_violations(browser, axe_script: str, page: Path, width: int) -> list[str]:
    """axe's violations of one page at one viewport width, one readable line per element."""
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                            {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": width < 600})
    browser.get(page.as_uri())
    browser.execute_script(axe_script)
    result = browser.execute_async_script(AXE_RUN, list(AXE_TAGS), list(AXE_EXTRA_RULES))
    if isinstance(result, str):
        raise AssertionError(f"axe failed on {page}: {result}")
    return [f"{violation['id']} ({violation['impact']}): {violation['help']} at {', '.join(map(str, node['target']))}"
            f" — {(node.get('failureSummary') or '').splitlines()[-1].strip()}"
            for violation in result for node in violation["nodes"]]


def pages_to_check(pages: dict[str, str]) -> list[str]:
    """Every index, owner page and invoice; of each client's statements, the newest and the fullest."""
    chosen = [path for path in pages if page_kind(path) != "statement"]
    by_folder: dict[str, list[str]] = {}
    for path in pages:
        if page_kind(path) == "statement":
            by_folder.setdefault(path.rsplit("/", 1)[0], []).append(path)
    for folder, statements in by_folder.items():
        if folder.startswith("owner/") and f"public/{folder.split('/')[1]}-0123abcd" in by_folder:
            continue                                 # the owner's copy of a shared client's statement
        chosen.append(max(statements))
        chosen.append(max(statements, key=lambda p: (pages[p].count("<table"), pages[p].count("<tr"))))
    return sorted(set(chosen))


@pytest.mark.slow  # a browser: about a minute for both widths and both languages of the owner's pages
def test_axe_finds_no_violation_on_any_page_kind_at_1280_and_390_px(tmp_path, spanish_pages):
    chromium, driver, axe_path = browser_tools()
    german_pages = render_pages(example_books(tmp_path, "de"))
    runs: list[tuple[str, str, str]] = [("es", path, spanish_pages[path]) for path in pages_to_check(spanish_pages)]
    # With the books in German, what changes is the owner's pages (the clients keep their contracts' languages).
    runs += [("de", path, html) for path, html in german_pages.items()
             if path in pages_to_check(german_pages) and (html != spanish_pages.get(path) or path.startswith("owner/"))]
    assert {page_kind(path) for _, path, _ in runs} == {"invoice", "owner dashboard", "owner receivables",
                                                         "owner requests", "owner people", "owner client report",
                                                         "client index", "statement"}
    for books_locale, path, html in runs:
        target = tmp_path / "site" / books_locale / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(html, encoding="utf-8")
        # The pages link the stylesheet beside them, as the build writes it (colours and sizes are judged).
        (target.parent / "style.css").write_text((TEMPLATES_DIR / "style.css").read_text(encoding="utf-8"),
                                                 encoding="utf-8")
    for books_locale in ("es", "de"):     # the owner's tables with their sort buttons, filter boxes and CSV links
        (tmp_path / "site" / books_locale / "owner" / OWNER_SCRIPT).write_bytes(OWNER_SCRIPT_BYTES)
    axe_script = axe_path.read_text(encoding="utf-8")
    browser = start_browser(chromium, driver)
    problems = []
    try:
        assert browser.execute_script(axe_script + "; return axe.version;").startswith("4.")
        for width in WIDTHS:
            for books_locale, path, _ in runs:
                for line in axe_violations(browser, axe_script, tmp_path / "site" / books_locale / path, width):
                    problems.append(f"{path} (books in {books_locale}, {width} px): {line}")
    finally:
        browser.quit()
    assert len(runs) >= 25
    assert problems == [], f"{len(problems)} axe violations:\n" + "\n".join(problems)
