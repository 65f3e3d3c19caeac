"""Every page kind on a phone (390 px) and a desktop (1280 px), measured in headless Chromium.

The pages forbid scripts (CSP), so each is measured from a copy: its CSP removed, set as
the `srcdoc` of an iframe of the width under test (a headless window is never narrower
than 500 px, an iframe is), with a small script after it that writes what it measured
into the DOM; `chromium --dump-dom` prints the DOM and the test reads it back. One
Chromium run measures every page at both widths. With HOURBOOK_SCREENSHOTS=<folder>, the
test also leaves a PNG of each page at each width there, to look at.

Asserted on each page and width: no horizontal scroll (`scrollWidth <= clientWidth`),
every SVG text shown at 11 px or more, and no word broken inside (a word, split at spaces
and hyphens, whose text lies on more than one line). The example books are built in
Spanish, their default, with a German and a Russian statement for their longer words;
the pages of the other languages have the same layout. A hostile
client (a name and a description of 120 unbroken characters) is measured too: its long
words may wrap, but nothing runs off the page.
"""

from __future__ import annotations

import datetime
import html
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from hourbook.core.documents import split_statement
from hourbook.core.invoice import make_invoice
from hourbook.core.register import plan_records
from hourbook.pipeline import load_and_price
from hourbook.render import render_site
from hourbook.render.invoice import render_html

pytestmark = pytest.mark.slow

EXAMPLE_BOOKS = Path(__file__).resolve().parent.parent
AS_OF = datetime.date(2026, 12, 31)
WIDTHS = (390, 1280)
CHROMIUM = next((shutil.which(name) for name in ("chromium", "chromium-browser", "google-chrome")
                 if shutil.which(name)), None)
LONG_WORD = "Supercalifragilistic" * 6          # 120 letters, no break opportunity

MEASURE = """
(function () {
  var frames = document.querySelectorAll("iframe"), results = {};
  frames.forEach(function (frame) {
    var doc = frame.contentDocument, root = doc.documentElement, win = frame.contentWindow;
    var out = {scrollWidth: root.scrollWidth, clientWidth: root.clientWidth, texts: [], broken: [], wide: []};
    doc.querySelectorAll("body *").forEach(function (el) {
      var r = el.getBoundingClientRect();
      if (r.width > 0 && r.right > root.clientWidth + 0.5 && out.wide.length < 5)
        out.wide.push(el.tagName.toLowerCase() + "." + (el.getAttribute("class") || "") + " " + Math.round(r.right));
    });
    doc.querySelectorAll("svg text").forEach(function (text) {
      var box = text.getBoundingClientRect();
      if (!box.width && !box.height) return;                       // in a drawing not shown
      var m = text.getScreenCTM();
      var px = parseFloat(win.getComputedStyle(text).fontSize) * Math.sqrt(m.a * m.a + m.b * m.b);
      out.texts.push([Math.round(px * 100) / 100, text.textContent]);
    });
    var walker = doc.createTreeWalker(doc.body, NodeFilter.SHOW_TEXT), node;
    while ((node = walker.nextNode())) {
      if (node.parentElement.closest("svg, script, style, title, .visually-hidden")) continue;   // screen-reader text: clipped to 1 px on purpose
      var re = /[^\\s\\-\\u2010\\u2011\\u2013\\u2014\\/]+/g, match;
      while ((match = re.exec(node.data))) {
        var range = doc.createRange();
        range.setStart(node, match.index); range.setEnd(node, match.index + match[0].length);
        var tops = {};
        Array.prototype.forEach.call(range.getClientRects(), function (r) { if (r.width > 0) tops[Math.round(r.top)] = 1; });
        if (Object.keys(tops).length > 1) out.broken.push(match[0]);
      }
    }
    results[frame.id] = out;
  });
  var pre = document.createElement("pre"); pre.id = "measured"; pre.textContent = JSON.stringify(results);
  document.body.appendChild(pre);
})();
"""


def measure(pages: dict[str, str], tmp_path: Path) -> dict[str, dict]:
    """{name: html} -> {"name@width": measurements} for every width in WIDTHS, in one Chromium run."""
    frames = []
    for name, page in pages.items():
        page = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", page)
        for width in WIDTHS:
            frames.append(f'<iframe id="{html.escape(name)}@{width}" style="display:block;border:0;width:{width}px;'
                          f'height:1200px" srcdoc="{html.escape(page, quote=True)}"></iframe>')
    outer = tmp_path / "screens.html"
    script = f"<script>window.addEventListener('load', function () {{{MEASURE}}});</script>"
    outer.write_text(f"<!DOCTYPE html><html><body style='margin:0'>{''.join(frames)}{script}</body></html>",
                     encoding="utf-8")
    run = subprocess.run(
        [CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={tmp_path / 'profile'}", "--hide-scrollbars", "--window-size=1400,1000",
         "--virtual-time-budget=10000", "--dump-dom", outer.as_uri()],
        capture_output=True, text=True, timeout=240)
    found = re.search(r'<pre id="measured">(.*?)</pre>', run.stdout, re.S)
    assert found, f"Chromium measured nothing: {run.stderr[-2000:]}"
    return json.loads(html.unescape(found.group(1)))


def screenshots(pages: dict[str, str], folder: Path, tmp_path: Path) -> None:
    """PNGs of every page at every width into `folder` (HOURBOOK_SCREENSHOTS=<folder>), to look at."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, page in pages.items():
        page = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", page)
        name = name.replace("/", "-")
        for width in WIDTHS:
            frame = tmp_path / f"{name}-{width}.html"
            frame.write_text(f'<!DOCTYPE html><html><body style="margin:0"><iframe style="display:block;border:0;'
                             f'width:{width}px;height:4000px" srcdoc="{html.escape(page, quote=True)}"></iframe>'
                             "</body></html>", encoding="utf-8")
            subprocess.run([CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
                            "--disable-background-networking", "--disable-component-update", "--disable-sync",
                            f"--user-data-dir={tmp_path / 'profile'}", "--hide-scrollbars",
                            f"--window-size={max(width, 500)},4000", f"--screenshot={folder / f'{name}-{width}.png'}",
                            frame.as_uri()], capture_output=True, timeout=120, check=True)


def every_page_kind(root: Path, cid: str, more: tuple[str, ...] = ()) -> dict[str, str]:
    """A client's statement and index, the owner's dashboard, requests page and client report, and an invoice;
    and the statements named in `more` ("globex/2026-10")."""
    priced, _ = load_and_price(root, AS_OF)
    folders = {c.contract.id: f"{c.contract.id}-0123" for c in priced.clients}
    files = render_site(priced, root, folders, pdf=False)
    latest = max(path for path in files if path.startswith(f"public/{cid}-0123/2") and path.endswith(".html"))
    client = next(c for c in priced.clients if c.contract.id == cid)
    statement = client.statements[-1]
    doc = split_statement(statement, client.contract, {})[0]
    record = plan_records([(doc, client.contract)], [], priced.books.settings, priced.as_of, "0" * 40)[0]
    invoice = render_html(make_invoice(doc, record, client.contract, priced.books.settings, None), root)
    # The frames are srcdoc pages, which cannot load the style.css beside a page: it goes inline, as the same text.
    css = files["owner/style.css"].decode()
    return {name: page.replace('<link rel="stylesheet" href="style.css">', f"<style>\n{css}\n</style>", 1)
            for name, page in {
        **{f"statement-{name}": files[f"public/{name.replace('/', '-0123/')}.html"].decode() for name in more},
        "statement": files[latest].decode(),
        "index": files[f"public/{cid}-0123/index.html"].decode(),
        "owner": files["owner/index.html"].decode(),
        "requests": files["owner/requests.html"].decode(),
        "owner-client": files[f"owner/{cid}/dashboard.html"].decode(),
        "receivables": files["owner/receivables.html"].decode(),
        "people": files["owner/people.html"].decode(),
        "invoice": invoice,
    }.items()}


def hostile_books(books) -> Path:
    return books({
        "contracts/long.yaml": f"""\
            name: {LONG_WORD} Industries
            address: "https://example.com/{LONG_WORD}"
            tax_id: ESB12345678
            locale: es
            tax: 21%
            terms:
              - from: 2026-01-01
                kind: hourly
                rate: 123456.78
        """,
        "logbook/2026-11.md": f"""\
            ---
            client: long
            ---
            # 2026-11-03
            - 09:00-10:30 Revisado https://intranet.example.com/{LONG_WORD}/{LONG_WORD} #{LONG_WORD.lower()}
            # 2026-11-04
            - 3h Migración del servidor de correo a la nueva plataforma
            - [ ] Revisar https://intranet.example.com/{LONG_WORD} #ticket-{LONG_WORD.lower()}
        """,
        # Money received before any invoice: a credit, so the owner's receivables page names the client too.
        "payments/2026/bank.yaml": """\
            payments:
              - {date: 2026-11-02, client: long, amount: 50.00, method: transfer}
        """,
    })


def check(measured: dict[str, dict], *, words: bool) -> list[str]:
    problems = []
    for where, got in sorted(measured.items()):
        if got["scrollWidth"] > got["clientWidth"]:
            problems.append(f"{where}: scrolls sideways ({got['scrollWidth']} > {got['clientWidth']} px): "
                            f"{', '.join(got['wide'])}")
        small = [(size, text) for size, text in got["texts"] if size < 11]
        if small:
            problems.append(f"{where}: SVG text under 11 px: {small[:5]}")
        if words and got["broken"]:
            problems.append(f"{where}: words broken inside: {got['broken'][:5]}")
    return problems


needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)")


@needs_chromium
def test_every_page_kind_fits_a_phone_and_a_desktop(tmp_path):
    # Spanish pages of every kind, and the German and Russian statements with the longest words.
    pages = every_page_kind(EXAMPLE_BOOKS, "acme", more=("globex/2026-10", "volga/2026-11"))
    if os.environ.get("HOURBOOK_SCREENSHOTS"):
        screenshots(pages, Path(os.environ["HOURBOOK_SCREENSHOTS"]), tmp_path)
    measured = measure(pages, tmp_path)
    assert sorted(measured) == sorted(f"{name}@{width}" for name in pages for width in WIDTHS)
    assert all(got["texts"] for where, got in measured.items()
               if where.split("@")[0] in ("statement", "index", "owner", "owner-client"))   # charts were measured
    assert check(measured, words=True) == []


@needs_chromium
def test_long_names_and_words_wrap_inside_the_page(books, tmp_path):
    pages = every_page_kind(hostile_books(books), "long")
    assert all(LONG_WORD in page for page in pages.values())
    measured = measure(pages, tmp_path)
    # The 120-letter word has to break somewhere; nothing may run off the page.
    problems = check(measured, words=False)
    assert problems == [], "\n".join(problems)
