"""Pages that hold 500 clients (issue 15, item 9; docs/owner.md, "Reading the pages").

The owner's charts draw the top clients and the rest as one series, name their y axis
with its unit and currency, and keep their legend below the plot; every owner table
sorts, filters and downloads as CSV through one script, owner/owner.js, which only
the owner's pages load (their CSP allows 'self' scripts); no page under public/ has a
script or allows one. The browser tests are slow and skip, saying why, without
Chromium and chromedriver.
"""

from __future__ import annotations

import datetime
import re
import subprocess
import sys
import urllib.parse
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hourbook.pipeline import load_and_price
from hourbook.render import OWNER_SCRIPT_BYTES
from hourbook.render import charts
from hourbook.render import chart_series
from hourbook.render import render_site
from hourbook.render.pages import others_rates
from conftest import copy_example_books

REPO = Path(__file__).resolve().parent.parent
AS_OF = datetime.date(2026, 12, 3)
OWNER_CSP = "default-src 'none'; script-src 'self'; style-src 'unsafe-inline' 'self'; img-src 'self' data:"


def build(root: Path, as_of: datetime.date = AS_OF, documents: bool = True) -> dict[str, bytes]:
    priced, _ = load_and_price(root, as_of)
    folders = {c.contract.id: f"{c.contract.id}-0123abcd" for c in priced.clients if c.contract.share}
    return render_site(priced, root, folders, pdf=False, documents=documents)


@pytest.fixture(scope="module")
def example_site(tmp_path_factory) -> dict[str, bytes]:
    return build(copy_example_books(tmp_path_factory.mktemp("tables") / "books"))


# --- grouping and the others' rate ------------------------------------------------------------------

def test_top_and_rest_keeps_the_heaviest_ten_and_groups_the_rest_in_order():
    items = [f"c{n:02d}" for n in range(13)]
    weights = {item: n % 5 for n, item in enumerate(items)}    # c04, c09 weigh 4; c03, c08 3; c02, c07, c12 2 ...
    top, rest = chart_series.top_and_rest(items, weights.get)
    # Heaviest first, ties in the given order: 4: c04 c09; 3: c03 c08; 2: c02 c07 c12; 1: c01 c06 c11.
    assert top == ["c04", "c09", "c03", "c08", "c02", "c07", "c12", "c01", "c06", "c11"]
    assert rest == ["c00", "c05", "c10"]                        # the three that weigh 0, in the given order


def test_eleven_items_are_all_drawn_a_group_of_one_is_no_group():
    items = list(range(11))
    assert chart_series.top_and_rest(items, lambda n: n) == (items, [])
    top, rest = chart_series.top_and_rest(list(range(12)), lambda n: n)
    assert top == list(range(11, 1, -1)) and rest == [0, 1]


@given(st.lists(st.integers(min_value=0, max_value=50), max_size=40), st.integers(min_value=1, max_value=12))
def test_top_and_rest_splits_every_item_once_and_the_top_weigh_most(weights, count):
    items = list(enumerate(weights))                      # (position, weight): every item distinct
    top, rest = chart_series.top_and_rest(items, lambda item: item[1], count)
    assert sorted(top + rest) == items                    # nothing lost, nothing twice
    assert rest == sorted(rest)                           # the rest keep the given order
    if len(items) <= count + 1:
        assert (top, rest) == (items, [])                 # few enough: all drawn, no group
    else:
        assert len(top) == count and len(rest) >= 2
        assert min(w for _, w in top) >= max(w for _, w in rest)
        assert [w for _, w in top] == sorted((w for _, w in top), reverse=True)


def _report(*rows: tuple[datetime.date, int, str]) -> SimpleNamespace:
    """A stand-in for a ClientReport: (period start, logged minutes, earned revenue) per row."""
    return SimpleNamespace(rows=tuple(SimpleNamespace(start=start,
                                                      figures=SimpleNamespace(logged=minutes, revenue=Decimal(revenue)))
                                      for start, minutes, revenue in rows))


def test_the_others_rate_is_their_revenue_over_their_hours():
    oct_, nov, dec = datetime.date(2026, 10, 1), datetime.date(2026, 11, 1), datetime.date(2026, 12, 1)
    one = _report((nov, 120, "100.00"), (dec, 0, "50.00"))       # December: revenue (a block expiring), no hours
    two = _report((nov, 60, "80.00"), (dec, 30, "20.00"))
    # Oct: nobody logged time -> a gap. Nov: (100 + 80) / 3 h = 60.00. Dec: (50 + 20) / 0.5 h = 140.00.
    assert others_rates([one, two], [oct_, nov, dec]) == (None, 60.0, 140.0)


# --- the charts' axes -------------------------------------------------------------------------------

def test_a_y_label_is_drawn_up_the_axis_and_only_when_asked():
    axis = charts.Axis(("Jan", "Feb"))
    series = [charts.Series("Acme", "#2f6fab", (50, 60))]
    labelled = str(charts.line_chart(axis, series, title="Rate", fmt=str, y_label="EUR per hour"))
    assert labelled.count('class="y-label">EUR per hour</text>') == 2           # the wide and the narrow drawing
    assert 'transform="rotate(-90 12 ' in labelled
    plain = str(charts.line_chart(axis, series, title="Rate", fmt=str))
    assert "y-label" not in plain and "rotate(" not in plain                      # client pages keep their charts


def test_the_dashboard_names_its_axes_in_the_books_language(example_site):
    page = example_site["owner/index.html"].decode()
    # The hours chart is one drawing (a phone sees its last months), its axis named once.
    assert page.count('class="y-label">Horas (h)</text>') == 1 and "<use " not in page
    assert page.count('class="y-label">EUR por hora</text>') == 2
    # Six clients: every one has its own line, none is grouped.
    assert "otros (" not in page
    # The legend sits below the plot: every legend label's baseline is under the x axis's month labels.
    wide = re.search(r'<svg[^>]*class="chart chart-wide"[^>]*><title>Tarifa horaria efectiva por cliente</title>.*?</svg>',
                     page, re.S).group(0)
    # The x axis's labels: their row moved down to its baseline, each label at its own x.
    axis = re.search(r'<g text-anchor="middle" fill="#6b7280" transform="translate\(0 ([\d.]+)\)">(.*?)</g>', wide)
    months = [float(axis.group(1)) for _ in re.findall(r'<text x="[\d.]+">Ene</text>', axis.group(2))]
    legend = [float(y) for y in re.findall(r'<text x="[\d.]+" y="([\d.]+)" fill="#374151">', wide)]
    assert months and legend and min(legend) > max(months)


# --- the script: owner pages only -------------------------------------------------------------------

def test_owner_pages_load_the_script_under_a_self_only_policy(example_site):
    assert example_site["owner/owner.js"] == OWNER_SCRIPT_BYTES
    pages = {"owner/index.html": "owner.js", "owner/receivables.html": "owner.js", "owner/requests.html": "owner.js",
             "owner/people.html": "owner.js", "owner/volga/dashboard.html": "../owner.js"}
    for path, src in pages.items():
        page = example_site[path].decode()
        assert f'<meta http-equiv="Content-Security-Policy" content="{OWNER_CSP}">' in page, path
        assert re.search(rf'<script src="{re.escape(src)}" defer data-decimal="," data-group="\." '
                         r'data-filter="Filtrar filas"', page), path
        assert page.count("<script") == 1, path


def test_no_client_page_has_a_script_or_allows_one(example_site):
    public = [path for path in example_site if path.startswith("public/")]
    assert len(public) > 20
    for path in public:
        assert b"<script" not in example_site[path] and b"script-src" not in example_site[path], path
        assert not path.endswith(".js"), path
    # The owner's copies of the client pages are the client's documents: no script either.
    for path in example_site:
        if path.startswith("owner/") and path.endswith(".html") and not path.endswith("dashboard.html") \
                and path not in ("owner/index.html", "owner/receivables.html", "owner/requests.html",
                                 "owner/people.html"):
            assert b"<script" not in example_site[path], path


def test_the_script_is_plain_and_offline():
    text = OWNER_SCRIPT_BYTES.decode()
    for banned in ("fetch(", "XMLHttpRequest", "import ", "http://", "https://", "eval(", "innerHTML"):
        assert banned not in text, banned


# --- 500 clients ------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def five_hundred(tmp_path_factory) -> dict[str, bytes]:
    root = tmp_path_factory.mktemp("five-hundred") / "books"
    subprocess.run([sys.executable, str(REPO / "bench" / "generate.py"), "--entries", "20000", "--clients", "500",
                    "--seed", "1", "--out", str(root)], check=True, capture_output=True)
    priced, _ = load_and_price(root, datetime.date(2026, 12, 31))
    assert len(priced.clients) == 500
    return render_site(priced, root, {}, pdf=False, clients=(), documents=False)


@pytest.mark.slow  # generates and prices 20,000 entries of 500 clients: about 10 s
def test_500_clients_chart_at_most_eleven_series_and_the_page_stays_small(five_hundred):
    page = five_hundred["owner/index.html"].decode()
    rate = re.search(r'<svg[^>]*class="chart chart-wide"[^>]*><title>Effective hourly rate per client</title>.*?</svg>',
                     page, re.S).group(0)
    names = re.search(r"<desc>[^:]*: (.*?)</desc>", rate).group(1).split(", ")
    assert len(names) == chart_series.TOP_SERIES + 1 and names[-1] == "others (490 clients)"
    assert rate.count('fill="#1f2937"') >= 1                                       # the others' line and markers
    assert 'class="y-label">EUR per hour</text>' in rate
    # The hours chart stacks statuses, not clients: at most six series whatever the clients.
    hours = re.search(r'<svg[^>]*class="chart chart-bars"[^>]*><title>Hours per month</title>.*?</svg>', page, re.S)
    assert hours and len(re.search(r"<desc>[^:]*: (.*?)</desc>", hours.group(0)).group(1).split(", ")) <= 6
    # Every client is still a row of the clients' table (the data is all there, the charts are not crowded).
    assert page.count('<td class="client-name"') == 500
    assert len(page.encode()) < 1_200_000                                           # about 0.8 MB: 1.6 kB a client


# --- in a browser -----------------------------------------------------------------------------------

def browser():
    """Headless Chromium through selenium, the pages' CSP in force; skips, saying what is missing."""
    from test_accessibility import browser_tools   # the same tools and the same reason to skip as axe's test

    chromium, driver, _ = browser_tools()
    from selenium import webdriver  # only the slow tests need a browser
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
                     "--disable-background-networking", "--window-size=1280,1000"):
        options.add_argument(argument)
    return webdriver.Chrome(options=options, service=Service(executable_path=driver))


def write_site(files: dict[str, bytes], folder: Path) -> Path:
    for path, data in files.items():
        if path.startswith("owner/") and path.count("/") <= 2:
            (folder / path).parent.mkdir(parents=True, exist_ok=True)
            (folder / path).write_bytes(data)
    return folder / "owner"


CLIENTS_TABLE = "//table[contains(@class, 'figures')]"     # the dashboard's clients, lowest margin first


def visible_first_cells(driver, table) -> list[str]:
    return [row.find_element("xpath", "./td[1]").text.split("\n")[0]
            for row in table.find_elements("xpath", "./tbody/tr[not(contains(@class, 'total'))]") if row.is_displayed()]


@pytest.mark.slow  # a browser
def test_a_header_sorts_a_box_filters_and_the_link_gives_the_rows_shown(tmp_path, example_site):
    owner = write_site(example_site, tmp_path)
    driver = browser()
    try:
        driver.get((owner / "index.html").as_uri())
        table = driver.find_element("xpath", CLIENTS_TABLE)
        before = visible_first_cells(driver, table)
        assert len(before) == 6
        # Click "Cliente": rows in alphabetical order (the page's language), aria-sort says so.
        header = table.find_element("xpath", "./thead/tr/th[1]")
        header.find_element("tag name", "button").click()
        names = visible_first_cells(driver, table)
        assert header.get_attribute("aria-sort") == "ascending"
        assert names == sorted(before, key=str.casefold) and names != before
        # Again: reversed. The total row stays last.
        header.find_element("tag name", "button").click()
        assert header.get_attribute("aria-sort") == "descending"
        assert visible_first_cells(driver, table) == list(reversed(names))
        assert "total" in table.find_elements("xpath", "./tbody/tr")[-1].get_attribute("class")
        # The keyboard reaches the margin's sort button: Enter on it sorts by margin, numbers as numbers.
        margin = table.find_element("xpath", "./thead/tr/th[10]")
        button = margin.find_element("tag name", "button")
        driver.execute_script("arguments[0].focus()", button)
        from selenium.webdriver.common.keys import Keys  # only the slow tests need selenium
        button.send_keys(Keys.ENTER)
        assert margin.get_attribute("aria-sort") == "ascending"
        # Volga loses money (−6,67 €), so it comes first once sorted by margin, ascending.
        assert visible_first_cells(driver, table)[0].startswith("ТОО «Волга")
        # Type in the filter: only the matching client stays (accents and case ignored).
        tools = table.find_element("xpath", "./preceding-sibling::div[@class='table-tools'][1]")
        box = tools.find_element("tag name", "input")
        assert tools.find_element("tag name", "label").text == "Filtrar filas"
        box.send_keys("HOFMANN")
        assert visible_first_cells(driver, table) == ["Dr. Renate Hofmann"]
        assert tools.find_element("class name", "table-count").text == "Se muestran 1 de 6 filas"
        # The CSV link: the header and the row shown (and the total), numbers as plain decimals.
        href = tools.find_element("class name", "table-csv").get_attribute("href")
        assert href.startswith("data:text/csv;charset=utf-8,")
        lines = urllib.parse.unquote(href.split(",", 1)[1]).splitlines()
        assert lines[0].split(",")[:2] == ["Cliente", "Horas registradas"]
        assert len(lines) == 3 and lines[1].startswith("Dr. Renate Hofmann,")
        # Hofmann: 5:45 logged = 5.75 h; earned 258,17 €, margin 32,02 € (the page's figures, as decimals).
        assert lines[1].split(",")[1:3] == ["5.75", "5.75"]
        assert "258.17" in lines[1].split(",") and "32.02" in lines[1].split(",")
        box.clear()
        box.send_keys(" ")
        box.send_keys(Keys.BACKSPACE)
        assert len(visible_first_cells(driver, table)) == 6
        # On a phone the headers are out of sight: the list beside the filter sorts instead.
        pick = tools.find_element("tag name", "select")
        assert not pick.is_displayed()
        driver.set_window_size(390, 900)
        assert pick.is_displayed() and not button.is_displayed()
        from selenium.webdriver.support.ui import Select  # only the slow tests need selenium
        choice = Select(pick)
        assert choice.options[0].text == "el orden de la página"
        choice.select_by_visible_text("Cliente, ascendente")
        assert visible_first_cells(driver, table) == names and header.get_attribute("aria-sort") == "ascending"
        choice.select_by_index(0)                             # back to the page's order: lowest margin first
        assert visible_first_cells(driver, table) == before and header.get_attribute("aria-sort") is None
    finally:
        driver.quit()


@pytest.mark.slow  # a browser, and 500 clients
def test_500_rows_filter_and_sort(tmp_path, five_hundred):
    owner = write_site(five_hundred, tmp_path)
    driver = browser()
    try:
        driver.get((owner / "index.html").as_uri())
        table = driver.find_element("xpath", CLIENTS_TABLE)
        box = table.find_element("xpath", "./preceding-sibling::div[@class='table-tools'][1]//input")
        box.send_keys("Dental 40")
        # A row stays when it holds every word typed, anywhere (its name, its id, a figure), whatever the case.
        rows = table.find_elements("xpath", "./tbody/tr[not(contains(@class, 'total'))]")
        texts = {row.get_attribute("textContent").lower(): row.is_displayed() for row in rows}
        assert len(texts) == 500
        assert all(shown == ("dental" in text and "40" in text) for text, shown in texts.items())
        assert 0 < sum(texts.values()) < 100
        # Sort by logged hours, descending: the figures go down.
        button = table.find_element("xpath", "./thead/tr/th[2]/button")
        button.click()
        button.click()
        hours = [row.find_element("xpath", "./td[2]").text for row in
                 table.find_elements("xpath", "./tbody/tr[not(contains(@class, 'total'))]") if row.is_displayed()]
        minutes = [int(h.split(":")[0]) * 60 + int(h.split(":")[1]) for h in hours]
        assert minutes == sorted(minutes, reverse=True)
    finally:
        driver.quit()
