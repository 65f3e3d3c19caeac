"""A new `hourbook build` process renders again only the statements an edit changed, from the pages
the last process left on disk (build.page_shelf.PageShelf).

The speed trick is pinned to the plain version: after each edit, in a new Builder each time (what a
new process has), the site is byte for byte a clean build's, and the count of pages rendered is
the count of statements whose lines or chart the edit touched. A shelf record that cannot be
trusted is made again.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from test_disk_cache import CORRUPTIONS
from test_disk_cache import new_process_build
from test_disk_cache import records
from test_incremental import clean_build
from test_incremental import tree
from test_statement_pages import BOOKS

from hourbook.build import file_index
from hourbook.build import page_shelf
from hourbook.render import pages
from hourbook.render.pages import STATEMENT_CHART_MONTHS
from hourbook.render.pages import StatementPages

MARCH = ("## acme\n- 1h45m server check", "## acme\n- 3h45m server check")      # hours: March 2025 and its chart's months
WORDS = ("## initech\n- 45m mailbox #", "## initech\n- 45m mailboxes #")       # words only: the one statement


@pytest.fixture(autouse=True)
def fresh_pages(monkeypatch):
    """Every page rendered unless the shelf gives it (no page kept in memory), counted; the file
    index trusts the files written a moment ago, as days later."""
    monkeypatch.setattr(file_index, "RACY_SECONDS", 0)
    monkeypatch.setattr(pages, "STATEMENT_PAGES", StatementPages())


def edit(root: Path, old: str, new: str) -> None:
    """`old` made `new` on March 2025's day (its first after that day's heading)."""
    path = root / "logbook/work.md"
    text = path.read_text(encoding="utf-8")
    first = text.index(old, text.index("# 2025-03-10"))
    assert first < text.index("# 2025-04-10"), old
    path.write_text(text[:first] + new + text[first + len(old):], encoding="utf-8")


def rendered_by(build) -> int:
    """The statement pages `build()` rendered (not given back by the shelf)."""
    before = pages.STATEMENT_PAGES.rendered
    build()
    return pages.STATEMENT_PAGES.rendered - before


@pytest.mark.parametrize("pdf", [False, True], ids=["html", "pdf"])
def test_a_new_process_renders_only_the_statements_an_edit_changed(books, tmp_path, pdf):
    root = books(BOOKS)
    copies = 2 if pdf else 1        # with PDFs, a statement's owner copy links the public PDF: a page of its own
    assert rendered_by(lambda: new_process_build(root, pdf=pdf)) == 2 * 23 * copies     # nothing on the shelf yet
    assert len(records(root, page_shelf.KIND)) == 2                                  # a record a client
    edit(root, *MARCH)
    assert rendered_by(lambda: new_process_build(root, pdf=pdf)) == STATEMENT_CHART_MONTHS * copies
    assert tree(root / "site") == clean_build(root, tmp_path / "clean", pdf=pdf)
    edit(root, *reversed(MARCH))                     # back: the pages of the first build, none on the shelf now
    assert rendered_by(lambda: new_process_build(root, pdf=pdf)) == STATEMENT_CHART_MONTHS * copies
    edit(root, *WORDS)                              # a description: the one statement
    assert rendered_by(lambda: new_process_build(root, pdf=pdf)) == copies
    assert tree(root / "site") == clean_build(root, tmp_path / "clean-2", pdf=pdf)


def test_a_clients_pages_stay_on_the_shelf_while_another_client_changes(books, tmp_path):
    root = books(BOOKS)
    new_process_build(root)
    edit(root, *WORDS)                              # initech changes, acme is kept: acme's record stays
    new_process_build(root)
    assert len(records(root, page_shelf.KIND)) == 2
    edit(root, *MARCH)
    assert rendered_by(lambda: new_process_build(root)) == STATEMENT_CHART_MONTHS
    assert tree(root / "site") == clean_build(root, tmp_path / "clean", pdf=False)


def test_a_removed_clients_record_goes(books):
    root = books(BOOKS)
    new_process_build(root)
    logbook = root / "logbook/work.md"
    text = logbook.read_text(encoding="utf-8")
    assert text.count("\n## initech\n- 45m mailbox #support\n") == 23
    logbook.write_text(text.replace("\n## initech\n- 45m mailbox #support\n", ""), encoding="utf-8")
    (root / "contracts/initech.yaml").unlink()
    new_process_build(root)
    assert [path.name for path in records(root, page_shelf.KIND)] == [page_shelf.record_name("acme")]


@pytest.mark.parametrize("corrupt", CORRUPTIONS, ids=[c.__name__ for c in CORRUPTIONS])
def test_a_shelf_record_that_cannot_be_trusted_is_rendered_again(books, tmp_path, corrupt):
    root = books(BOOKS)
    new_process_build(root)
    for path in records(root, page_shelf.KIND):
        path.write_bytes(corrupt(path.read_bytes()))
    edit(root, *MARCH)
    assert rendered_by(lambda: new_process_build(root)) == 23      # acme's every statement: its record refused
    assert tree(root / "site") == clean_build(root, tmp_path / "clean", pdf=False)
    edit(root, *reversed(MARCH))                    # ... and written again whole
    assert rendered_by(lambda: new_process_build(root)) == STATEMENT_CHART_MONTHS


def test_a_page_on_the_shelf_that_is_not_whole_is_rendered_again(books, tmp_path):
    root = books(BOOKS)
    builder, _ = new_process_build(root)
    name = page_shelf.record_name("acme")
    shelved = builder.records.get(page_shelf.KIND, name)
    builder.records.put(page_shelf.KIND, name, {digest: packed[:-4] for digest, packed in shelved.items()})
    edit(root, *MARCH)
    assert rendered_by(lambda: new_process_build(root)) == 23
    assert tree(root / "site") == clean_build(root, tmp_path / "clean", pdf=False)


RETAINER = ("name: Covered Ltd\nterms:\n  - from: 2025-01-01\n    kind: retainer\n    fee: 600\n    included: 8h\n"
            "    covers: [support, maintenance, network, onsite, travel, backup]\n    rate: 75\n")

DIGESTS = """
import datetime, sys
from pathlib import Path
from hourbook.build.digests import values_digest
from hourbook.build.page_shelf import PageShelf
from hourbook.pipeline import load_and_price
priced, _ = load_and_price(Path(sys.argv[1]), datetime.date(2026, 12, 31))
contract = priced.clients[0].contract
print(PageShelf(store=None, common="c").digest(("covered",), (contract,)), values_digest(contract))
"""


def test_a_contracts_digest_is_the_same_in_every_process(books):
    # A contract holds frozensets (the tags a term covers), which pickle in the order of the
    # process's string hashes: the shelf digests a contract by its stable form.
    import os
    import subprocess
    import sys
    root = books({"hourbook.yaml": BOOKS["hourbook.yaml"], "contracts/covered.yaml": RETAINER,
                  "logbook/work.md": "# 2025-01-10\n\n## covered\n- 1h check #support\n"})
    shelf, plain = set(), set()
    for seed in range(8):
        out = subprocess.run([sys.executable, "-c", DIGESTS, str(root)], capture_output=True, text=True, check=True,
                             env={**os.environ, "PYTHONHASHSEED": str(seed)}).stdout.split()
        shelf.add(out[0])
        plain.add(out[1])
    assert len(shelf) == 1
    assert len(plain) > 1           # what the shelf would see without the stable form: a miss in most processes
