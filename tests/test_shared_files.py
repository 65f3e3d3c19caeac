"""What a site holds once: one stylesheet per folder, owner copies linked, PDFs laid out with a kept stylesheet.

Pages link `style.css` from their own folder (no path leaves it, so a client's folder stays
self-contained); every copy of it, and a statement's owner copy that equals its public page
(builds without PDFs), is a hard link to the one file the build wrote. A statement's PDF gets
the stylesheet parsed once per process, and its bytes are those of the page laid out with the
stylesheet inline (the way every PDF was made before).
"""

from __future__ import annotations

import datetime
import re
from collections import Counter

import pytest

from conftest import TEST_SECRET
from conftest import copy_example_books
from hourbook.build.builder import Builder
from hourbook.render import page_stylesheet
from hourbook.render import render_site
from hourbook.render.html import TEMPLATES_DIR
from hourbook.render.html import make_environment
from hourbook.pipeline import load_and_price
from hourbook.site.secret import SECRET_ENV
from hourbook.site.secret import load_secret
from hourbook.site.secret import public_folders

AS_OF = datetime.date(2026, 12, 3)
LINK = '<link rel="stylesheet" href="style.css">'


@pytest.fixture
def example(tmp_path, monkeypatch):
    monkeypatch.setenv(SECRET_ENV, TEST_SECRET)
    return copy_example_books(tmp_path / "books")


def test_every_page_links_the_stylesheet_beside_it_and_the_site_holds_it_once(example):
    result = Builder(example, lambda: AS_OF, pdf=False, jobs=1, disk_cache=False).build()
    assert result.ok
    site = example / "site"
    files = [p for p in site.rglob("*") if p.is_file() and p.name != ".hourbook-site"]
    pages = [p for p in files if p.suffix == ".html"]
    css = (TEMPLATES_DIR / "style.css").read_bytes()
    for page in pages:
        html = page.read_text(encoding="utf-8")
        # The example books' brand.html brings a <style> of its own; the built-in stylesheet is not inline.
        assert css.decode()[:400] not in html and html.count(LINK) == 1, page
        assert "style-src 'unsafe-inline' 'self'" in html, page         # the CSP lets the page load it
        assert (page.parent / "style.css").read_bytes() == css, page
    sheets = [p for p in files if p.name == "style.css"]
    # One per folder with pages: owner/, owner/<6 clients>/, public/<5 shared clients>/ = 12, one inode.
    assert len(sheets) == 12 and len({p.stat().st_ino for p in sheets}) == 1
    assert sheets[0].stat().st_nlink == 12
    # Without PDFs a shared client's statement in owner/ is its public page: the same file.
    shared = [p for p in (site / "public").iterdir() if p.is_dir()]
    assert len(shared) == 5
    copies = invoiced = 0
    for folder in shared:
        cid = re.sub(r"-[0-9a-f]{32}$", "", folder.name)
        for page in folder.glob("*.html"):
            owner = site / "owner" / cid / page.name
            same = owner.stat().st_ino == page.stat().st_ino
            # The index links back to the dashboard; a statement that links its invoices' PDFs links them
            # in the public folder, where they are published, from the owner's copy.
            links_invoices = 'href="invoices/' in page.read_text(encoding="utf-8")
            assert same == (page.name != "index.html" and not links_invoices), owner
            copies += same
            invoiced += links_invoices and page.name != "index.html"
    # Files on disk against files stored: every style.css but one, and every owner copy linked.
    inodes = Counter(p.stat().st_ino for p in files)
    assert len(inodes) == len(files) - (12 - 1) - copies
    assert invoiced == 14                  # the 16 example invoices but hofmann's two (not shared)
    assert copies == sum(len(list(f.glob("*.html"))) - 1 for f in shared) - invoiced > 20


def test_with_pdfs_the_owner_copy_links_the_published_pdf_and_is_its_own_file(example):
    priced, _ = load_and_price(example, AS_OF)
    folders = public_folders(priced, load_secret(example))
    made = []
    files = render_site(priced, example, folders, pdf=True, to_pdf=lambda html: made.append(html) or b"%PDF-x")
    folder = folders["acme"]
    public, owner = files[f"public/{folder}/2026-10.html"], files["owner/acme/2026-10.html"]
    assert b'href="2026-10.pdf"' in public and f'href="../../public/{folder}/2026-10.pdf"'.encode() in owner
    assert "owner/acme/2026-10.pdf" not in files          # made once, for the public folder
    assert files[f"public/{folder}/style.css"] == files["owner/acme/style.css"] == files["owner/style.css"]
    assert all(LINK in html for html in made)           # the PDF writer is handed the page as published


def test_a_books_stylesheet_is_rendered_once_per_environment(tmp_path):
    root = tmp_path / "books"
    (root / "templates").mkdir(parents=True)
    (root / "templates" / "style.css").write_text("/* house */ body { color: #111; }\n", encoding="utf-8")
    env = make_environment(root)
    assert page_stylesheet(env) == "/* house */ body { color: #111; }\n"
    (root / "templates" / "style.css").write_text("/* edited */\n", encoding="utf-8")
    assert page_stylesheet(env).startswith("/* house */")     # kept with the compiled templates
    assert page_stylesheet(make_environment(root)) == "/* edited */\n"


@pytest.mark.slow   # four statement PDFs through WeasyPrint
def test_pdf_with_the_kept_stylesheet_is_the_pdf_of_the_page_with_it_inline(example):
    from hourbook.render.pdf import STYLESHEET_LINK
    from hourbook.render.pdf import html_to_pdf

    priced, _ = load_and_price(example, AS_OF)
    folders = public_folders(priced, load_secret(example))
    pages = render_site(priced, example, folders, pdf=False)
    folder = folders["acme"]
    css = (TEMPLATES_DIR / "style.css").read_text(encoding="utf-8")
    first, second = (pages[f"public/{folder}/{period}.html"].decode() for period in ("2026-10", "2026-11"))
    dirs = [example / "templates", TEMPLATES_DIR]
    made = html_to_pdf(first, dirs, stylesheet=css)
    html_to_pdf(second, dirs, stylesheet=css)                 # another document between: nothing carried over
    assert html_to_pdf(first, dirs, stylesheet=css) == made
    inline = first.replace(STYLESHEET_LINK, "<style>\n" + css + "\n</style>")
    assert STYLESHEET_LINK in first and html_to_pdf(inline, dirs) == made
    # Not handed the stylesheet, the writer takes the first style.css of the allowed folders (the built-in one:
    # the example books' templates/ has none), as the page would.
    assert not (example / "templates" / "style.css").exists() and html_to_pdf(first, dirs) == made


def test_a_statements_chart_months_are_those_of_walking_every_line(example):
    from hourbook.render.monthly import client_lines
    from hourbook.render.monthly import first_date
    from hourbook.render.monthly import minutes_by_month
    from hourbook.render.pages import client_months

    priced, _ = load_and_price(example, AS_OF)
    checked = 0
    for client in priced.clients:
        days = {statement.end for statement in client.statements} | {statement.start for statement in client.statements}
        days |= {line.entry.date for line in client_lines(client)}     # mid-month: the month counted up to that day
        days |= {day - datetime.timedelta(days=1) for day in set(days)} | {datetime.date(2020, 1, 1), AS_OF}
        for day in sorted(days):
            lines = client_lines(client, day)
            assert client_months(client, day) == (minutes_by_month(lines), first_date(lines)), (client.contract.id, day)
            checked += 1
    assert checked > 200
