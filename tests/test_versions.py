"""A statement whose content did not change keeps its last version (`build/versions.py`).

Every statement says the day it was made ("Version of …"), the build's as-of date. A build on a
later day gives each statement that it renders the same but for that date as the page on disk,
byte for byte, and makes no PDF for it. Compared here with a clean build of the same day: every
other file is the same bytes, and every statement the same but for its version's date, which is
the day its content last changed and never after the as-of date.
"""

from __future__ import annotations

import datetime
import hashlib
import re
from pathlib import Path

import pytest

from conftest import write_books
from test_incremental import BOOKS
from test_incremental import fake_pdf  # noqa: F401 - the autouse fixture: PDFs as digests, counted
from test_incremental import tree

from hourbook.build.builder import Builder
from hourbook.build.record_store import RecordStore
from hourbook.build.versions import KIND
from hourbook.build.versions import KeptVersions
from hourbook.build.versions import content
from hourbook.build.versions import record_name
from hourbook.render import pages

DAY_1 = datetime.date(2026, 12, 10)
DAY_2 = datetime.date(2026, 12, 11)
STATEMENT = re.compile(r"^(public|owner)/[^/]+/\d{4}-\d{2}\.html$")
VERSION_DAY = re.compile(r'<span class="version">Version of (\w+ \d+, \d{4})</span>')


def build(root: Path, day: datetime.date, builder: Builder | None = None) -> Builder:
    builder = builder or Builder(root, lambda: day, jobs=1)
    builder.as_of = lambda: day
    result = builder.build()
    assert result.ok, result.diagnostics
    return builder


def clean(root: Path, out: Path, day: datetime.date) -> dict[str, bytes]:
    result = Builder(root, lambda: day, out=out, disk_cache=False, jobs=1).build()
    assert result.ok, result.diagnostics
    return tree(out)


def version_days(page: bytes) -> set[str]:
    return set(VERSION_DAY.findall(page.decode("utf-8")))


@pytest.fixture
def books(tmp_path):
    return write_books(tmp_path / "books", BOOKS)


@pytest.mark.parametrize("same_process", [False, True], ids=["new process", "watch"])
def test_a_new_day_keeps_each_statement_that_did_not_change(books, tmp_path, fake_pdf, same_process):
    builder = build(books, DAY_1)
    first = tree(books / "site")
    fake_pdf.clear()
    build(books, DAY_2, builder if same_process else None)
    second = tree(books / "site")
    made = len(fake_pdf)
    expected = clean(books, tmp_path / "clean", DAY_2)

    assert second.keys() == expected.keys()
    statements = [rel for rel in second if STATEMENT.match(rel)]
    assert all(second[rel] == expected[rel] for rel in second if rel not in statements and not rel.endswith(".pdf"))
    kept = [rel for rel in statements if second[rel] == first[rel]]
    for rel in statements:
        assert content(second[rel].decode()) == content(expected[rel].decode()), rel
        unchanged = content(first[rel].decode()) == content(expected[rel].decode())
        assert second[rel] == (first[rel] if unchanged else expected[rel]), rel
    assert kept and len(kept) < len(statements)              # the books' current month is a new version
    assert all(version_days(second[rel]) == {"December 10, 2026"} for rel in kept)
    assert all(version_days(second[rel]) == {"December 11, 2026"} for rel in statements if rel not in kept)
    # A kept statement's PDF is the one made from it on the first day; no PDF made for it again.
    kept_pdfs = [rel[:-len(".html")] + ".pdf" for rel in kept if rel[:-len(".html")] + ".pdf" in second]
    assert kept_pdfs and all(second[rel] == first[rel] for rel in kept_pdfs)
    new_pdfs = [rel for rel in second if rel.endswith(".pdf") and STATEMENT.match(rel[:-4] + ".html")
                and second[rel] != first.get(rel)]
    assert made == len(new_pdfs) > 0
    assert all(second[rel] == b"%PDF-fake " + hashlib.sha256(second[rel[:-4] + ".html"]).hexdigest().encode()
               for rel in second if rel.endswith(".pdf") and rel[:-4] + ".html" in second)


def test_an_edit_dates_only_the_statements_it_changes(books, tmp_path):
    build(books, DAY_1)
    first = tree(books / "site")
    with open(books / "logbook/2026/10.md", "a", encoding="utf-8") as logbook:
        logbook.write("\n## initech\n- 30m late note #support\n")
    build(books, DAY_2)
    second = tree(books / "site")
    expected = clean(books, tmp_path / "clean", DAY_2)
    initech = sorted(rel for rel in second if STATEMENT.match(rel) and "initech" in rel)
    october = [rel for rel in initech if rel.endswith("2026-10.html")]
    assert october and all(version_days(second[rel]) == {"December 11, 2026"} for rel in october)
    assert all(second[rel] == expected[rel] for rel in october)
    acme = [rel for rel in second if STATEMENT.match(rel) and "acme" in rel and rel.endswith("2026-10.html")]
    assert acme and all(second[rel] == first[rel] for rel in acme)     # another client's October: as it was


def test_a_build_of_an_earlier_day_keeps_nothing(books, tmp_path):
    build(books, DAY_2)
    build(books, DAY_1)
    assert tree(books / "site") == clean(books, tmp_path / "clean", DAY_1)


def test_a_page_changed_on_disk_is_never_kept(books, tmp_path):
    build(books, DAY_1)
    site = tree(books / "site")
    rel = next(rel for rel in site if STATEMENT.match(rel) and rel.endswith("2026-10.html"))
    page = books / "site" / rel
    page.write_text(page.read_text(encoding="utf-8").replace("December 10, 2026", "December 9, 2026"), encoding="utf-8")
    build(books, DAY_2)
    assert (books / "site" / rel).read_bytes() == clean(books, tmp_path / "clean", DAY_2)[rel]


def page(day: str, body: str = "<p>Work</p>") -> str:
    return f'<footer>{body}<span class="version">Version of {day}</span></footer>'


@pytest.mark.parametrize("new, kept", [
    (page("December 11"), True),                              # the date alone differs: the page on disk
    (page("December 11", "<p>Other work</p>"), False),        # the content differs: the new page
    ("<footer><p>Work</p>Version of December 11</footer>", False),   # no version span: as rendered
    (page("December 10"), False),                             # the very page: nothing to keep
])
def test_kept_versions(tmp_path, new, kept):
    old = page("December 10").encode()
    (tmp_path / "public").mkdir()
    (tmp_path / "public/a.html").write_bytes(old)
    versions = KeptVersions(tmp_path, {"public/a.html": [hashlib.sha256(old).hexdigest(), len(old), 0]})
    assert versions("public/a.html", new) == (old.decode() if kept else new)
    assert versions.kept == int(kept)
    assert versions("public/other.html", new) == new                  # not in the last build's site


def test_kept_versions_trust_only_what_the_last_build_wrote(tmp_path):
    old = page("December 10").encode()
    (tmp_path / "a.html").write_bytes(old)
    wrong = KeptVersions(tmp_path, {"a.html": [hashlib.sha256(b"other").hexdigest(), len(old), 0]})
    assert wrong("a.html", page("December 11")) == page("December 11")


def test_the_days_after_render_only_what_changed(books, tmp_path):
    """From the day after a build, a statement made of the same inputs (the date apart) is not even
    rendered: the page on disk is given by its recorded digest."""
    build(books, DAY_1)
    build(books, DAY_2)
    rendered = pages.STATEMENT_PAGES.rendered
    day_3 = DAY_2 + datetime.timedelta(days=1)
    build(books, day_3)
    rendered = pages.STATEMENT_PAGES.rendered - rendered
    site = tree(books / "site")
    expected = clean(books, tmp_path / "clean", day_3)
    statements = [rel for rel in site if STATEMENT.match(rel)]
    new = [rel for rel in statements if version_days(site[rel]) == {"December 12, 2026"}]
    assert new and len(new) < len(statements)
    assert rendered == len(new)       # the others: not rendered
    assert all(site[rel] == expected[rel] for rel in new)
    assert all(content(site[rel].decode()) == content(expected[rel].decode()) for rel in statements)
    assert all(version_days(site[rel]) == {"December 10, 2026"} for rel in statements if rel not in new)


@pytest.fixture
def store(tmp_path):
    return RecordStore(tmp_path / "cache")


def recorded_page(tmp_path, store, text: str) -> dict:
    """A page made and recorded by a first build, written where its site has it: that site's manifest."""
    first = KeptVersions(tmp_path, {}, store, "common", DAY_1)
    made = first.page("acme", "public/a.html", ("inputs",), False, lambda: text)
    first.save("acme")
    (tmp_path / "public").mkdir(exist_ok=True)
    (tmp_path / "public/a.html").write_text(made, encoding="utf-8")
    return {"public/a.html": [hashlib.sha256(made.encode()).hexdigest(), len(made), 0]}


@pytest.mark.parametrize("inputs, in_progress, dated, rendered", [
    (("inputs",), False, False, False),         # the same inputs, the date apart: the page on disk
    (("other",), False, False, True),           # other inputs: rendered (and kept if it reads the same)
    (("inputs",), True, False, True),           # a period in progress shows the date: rendered
    (("inputs",), False, True, True),           # books templates that name the date: rendered
])
def test_kept_versions_by_digest(tmp_path, store, inputs, in_progress, dated, rendered):
    manifest = recorded_page(tmp_path, store, page("December 10"))
    later = KeptVersions(tmp_path, manifest, store, "common", DAY_2, dated)
    made = []
    result = later.page("acme", "public/a.html", inputs, in_progress, lambda: made.append(1) or page("December 11"))
    assert made == ([1] if rendered else [])
    assert result == page("December 10")        # read the same but for the date: the page on disk
    assert later.unrendered == int(not rendered)


def test_a_digest_recorded_for_another_page_is_not_trusted(tmp_path, store):
    """A build that rendered and recorded but never wrote its site (it failed, or was killed) left a
    digest that is not the page on disk's: that page is not given for it."""
    recorded_page(tmp_path, store, page("December 10"))
    old = page("December 9", "<p>Before</p>").encode()
    (tmp_path / "public/a.html").write_bytes(old)
    later = KeptVersions(tmp_path, {"public/a.html": [hashlib.sha256(old).hexdigest(), len(old), 0]}, store, "common",
                         DAY_2)
    assert later.page("acme", "public/a.html", ("inputs",), False, lambda: page("December 11")) == page("December 11")


@pytest.mark.parametrize("record", [{"public/a.html": "digest"}, ["public/a.html"], {"public/a.html": ("a", 1)}])
def test_a_record_of_another_shape_is_ignored(tmp_path, store, record):
    manifest = recorded_page(tmp_path, store, page("December 10"))
    store.put(KIND, record_name("acme"), record)
    later = KeptVersions(tmp_path, manifest, store, "common", DAY_2)
    made = []
    later.page("acme", "public/a.html", ("inputs",), False, lambda: made.append(1) or page("December 11"))
    assert made == [1]
