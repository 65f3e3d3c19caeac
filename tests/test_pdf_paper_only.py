"""A statement's PDF is laid out without what its page shows on screens only (`render.pdf.paper_only`):
a line chart's phone drawing, a bar chart's year for phones, and each chart's table of figures for
screen readers; its charts get their font written on them. The pages on paper must
be the very same as when WeasyPrint is given the whole page: the speed trick is pinned here to
the plain version, pixel for pixel."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import copy_example_books
from hourbook.render import pdf
from hourbook.render.html import TEMPLATES_DIR

pytestmark = pytest.mark.skipif(shutil.which("pdftoppm") is None,
                                reason="pdftoppm (poppler-utils) is not installed: .ci/run installs it")


def pages_as_images(data: bytes, folder: Path, name: str) -> list[bytes]:
    """Each page of the PDF `data` as PNG bytes at 50 dpi (pdftoppm)."""
    source = folder / f"{name}.pdf"
    source.write_bytes(data)
    subprocess.run(["pdftoppm", "-png", "-r", "50", str(source), str(folder / name)], check=True)
    return [path.read_bytes() for path in sorted(folder.glob(f"{name}-*.png"))]


@pytest.fixture(scope="module")
def statement_pages(tmp_path_factory) -> list[Path]:
    """Statement pages of the example books with charts, in two languages."""
    root = copy_example_books(tmp_path_factory.mktemp("books"))
    from hourbook.commands.cli import main
    assert main(["build", str(root), "--no-pdf", "--as-of", "2026-12-03"]) in (0, None)
    public = root / "site" / "public"
    chosen = [*sorted(public.glob("acme-*/2026-1[01].html")), *sorted(public.glob("volga-*/2026-09.html"))]
    assert len(chosen) == 3
    return chosen


def test_the_statement_holds_screen_only_parts_that_paper_only_removes(statement_pages):
    html = statement_pages[0].read_text(encoding="utf-8")
    assert '<text class="ph"' in html and 'class="chart-data"' in html
    paper = pdf.paper_only(html)
    assert '<text class="ph"' not in paper and 'class="chart-data"' not in paper     # a phone's year, the figures
    # The drawing paper shows stays, with its font written on it (a browser takes it from style.css).
    assert '<svg font-family="DejaVu Sans, sans-serif" font-size="12" class="chart chart-bars"' in paper
    assert 'font-family="DejaVu Sans' not in html
    assert paper.count("<table") == html.count("<table") - html.count('class="chart-data"')


def test_paper_only_pdfs_are_the_same_pages_as_whole_page_pdfs(statement_pages, tmp_path, monkeypatch):
    for index, page in enumerate(statement_pages):
        html = page.read_text(encoding="utf-8")
        stylesheet = (page.parent / "style.css").read_text(encoding="utf-8")
        fast = pdf.html_to_pdf(html, [TEMPLATES_DIR], stylesheet=stylesheet)
        with monkeypatch.context() as patch:
            # Only what WeasyPrint would draw and style.css hides on paper (a phone's year under its
            # first month) is taken out; the table of figures stays, for print CSS to hide.
            patch.setattr(pdf, "_SCREEN_ONLY", re.compile(r'<text class="ph"[^>]*>[^<]*</text>'))
            whole = pdf.html_to_pdf(html, [TEMPLATES_DIR], stylesheet=stylesheet)
        fast_pages = pages_as_images(fast, tmp_path, f"fast{index}")
        whole_pages = pages_as_images(whole, tmp_path, f"whole{index}")
        assert fast_pages and fast_pages == whole_pages, page.name
