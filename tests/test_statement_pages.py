"""A watching process renders again only the statements an edit changed (render.pages.StatementPages).

The speed trick is pinned to the plain version: the site after each edit is byte for byte the site
a build that keeps no page makes, and the count of pages rendered is the count of statements whose
lines or chart the edit touched.
"""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from conftest import SELLER
from conftest import TEST_SECRET
from hourbook.build.builder import Builder
from hourbook.commands.watch import KEPT_STATEMENT_PAGES
from hourbook.commands.watch import SiteBuilder
from hourbook.render import pages
from hourbook.render.pages import STATEMENT_PAGES
from hourbook.render.pages import STATEMENT_CHART_MONTHS
from hourbook.render.pages import StatementPages
from hourbook.site.secret import SECRET_ENV

AS_OF = datetime.date(2026, 12, 31)
MONTHS = [datetime.date(2025 + (m - 1) // 12, (m - 1) % 12 + 1, 1) for m in range(1, 24)]   # 2025-01 .. 2026-11


def logbook() -> str:
    """One entry a month for acme, two clients on the same days; March 2025 has the line edited below."""
    days = []
    for month in MONTHS:
        days.append(f"# {month:%Y-%m}-10\n\n## acme\n- 1h{15 * (month.month % 4)}m server check #support\n\n"
                    f"## initech\n- 45m mailbox #support\n")
    return "\n".join(days)


BOOKS = {
    "hourbook.yaml": SELLER,
    "contracts/acme.yaml": "name: ACME S.L.\ntax: 21%\nterms:\n  - from: 2025-01-01\n    kind: hourly\n"
                           "    rate: 60\n    increment: 15m\n",
    "contracts/initech.yaml": "name: Initech Ltd\nlocale: de_DE\nterms:\n  - from: 2025-01-01\n    kind: hourly\n"
                              "    rate: 80\n",
    "logbook/work.md": logbook(),
}


@pytest.fixture
def kept_pages(monkeypatch):
    """Statement pages kept as in a watching process; none kept again afterwards."""
    monkeypatch.setenv(SECRET_ENV, TEST_SECRET)
    STATEMENT_PAGES.keep(KEPT_STATEMENT_PAGES)
    return STATEMENT_PAGES


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def plain_build(root: Path, out: Path) -> dict[str, bytes]:
    """The site made with no page kept: every page rendered (the kept pages are left as they were)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(pages, "STATEMENT_PAGES", StatementPages())
        result = Builder(root, lambda: AS_OF, out=out, pdf=False, disk_cache=False, jobs=1).build()
    assert result.ok, result.diagnostics
    return tree(out)


def test_a_watching_process_keeps_statement_pages():
    assert StatementPages().limit == 0                  # a one-off build keeps none
    SiteBuilder(Path("/nonexistent"), lambda: AS_OF, pdf=False)
    assert STATEMENT_PAGES.limit == KEPT_STATEMENT_PAGES > 0


@pytest.mark.parametrize("old, new, rendered", [
    # March 2025's hours: its statement and the ones whose chart shows March 2025 (12 months).
    ("## acme\n- 1h45m server check", "## acme\n- 3h45m server check", STATEMENT_CHART_MONTHS),
    # Only the description: the chart does not change, only March's statement.
    ("## acme\n- 1h45m server check", "## acme\n- 1h45m server restart", 1),
])
def test_only_the_statements_an_edit_changed_are_rendered_again(books, tmp_path, kept_pages, old, new, rendered):
    root = books(BOOKS)
    builder = Builder(root, lambda: AS_OF, pdf=False, jobs=1)
    builder.background_cleanup = True
    assert builder.build().ok
    path = root / "logbook/work.md"
    text = path.read_text(encoding="utf-8")
    first = text.index(old)                         # March 2025: the first acme line of 1h45m
    assert text.index("# 2025-03-10") < first < text.index("# 2025-04-10")
    for step, (before, after) in enumerate([(old, new), (new, old)]):
        path.write_text(text[:first] + after + text[first + len(before):] if step == 0 else text, encoding="utf-8")
        done = kept_pages.rendered
        result = builder.build()
        assert result.ok and result.rendered_clients == 1
        assert kept_pages.rendered - done == rendered       # acme's other statements given back
        assert tree(root / "site") == plain_build(root, tmp_path / f"plain-{step}")


def test_a_page_is_rendered_again_when_any_input_differs():
    pages = StatementPages(limit=2)
    made = []

    def render(text):
        return lambda: made.append(text) or text

    assert pages.page(("a",), (1, {"x": 1}), render("one")) == "one"
    assert pages.page(("a",), (1, {"x": 1}), render("two")) == "one"       # equal inputs: kept
    assert pages.page(("a",), (1, {"x": 2}), render("three")) == "three"   # not equal: rendered
    pages.page(("b",), (1,), render("b"))
    pages.page(("c",), (1,), render("c"))                                   # the oldest, a, goes
    assert pages.page(("a",), (1, {"x": 2}), render("four")) == "four"
    assert made == ["one", "three", "b", "c", "four"] and pages.rendered == 5
    pages.keep(0)
    assert not pages.kept and pages.page(("c",), (1,), render("five")) == "five"
