"""The note after a build that made PDFs without HarfBuzz-Subset (render/pdf.py): said once, in
`build` and in watch, only when PDFs were made, never with --quiet."""

from __future__ import annotations

import datetime
import io

import pytest

from conftest import run_cli
from conftest import write_books
from hourbook.commands.watch import SiteBuilder
from hourbook.render import pdf

CONTRACT = """\
    name: Acme GmbH
    currency: EUR
    terms:
      - from: 2026-01-01
        kind: hourly
        rate: 80
    """
LOGBOOK = """\
    # 2026-11-03
    ## acme
    - 1h Printer fixed
    """
NOTE = "hourbook: note: the PDFs' fonts were subset with fontTools"


@pytest.fixture
def small_books(tmp_path):
    return write_books(tmp_path / "books", {"contracts/acme.yaml": CONTRACT, "logbook/2026/11.md": LOGBOOK})


@pytest.mark.parametrize("fast", [False, True])
def test_build_says_once_when_pdfs_were_made_without_harfbuzz_subset(small_books, monkeypatch, fast):
    monkeypatch.setattr(pdf, "fast_font_subsetting", lambda: fast)
    code, _, err = run_cli("build", str(small_books), "--as-of", "2026-11-30")
    assert code == 0, err
    assert err.count(NOTE) == (0 if fast else 1)
    assert "apt-get install libharfbuzz-subset0" in err or fast


def test_no_note_without_pdfs_or_with_quiet(small_books, monkeypatch):
    monkeypatch.setattr(pdf, "fast_font_subsetting", lambda: False)
    code, _, err = run_cli("build", str(small_books), "--as-of", "2026-11-30", "--no-pdf")
    assert code == 0 and NOTE not in err
    code, _, err = run_cli("build", str(small_books), "--as-of", "2026-11-30", "--quiet")
    assert code == 0 and NOTE not in err


def test_watch_says_it_on_the_first_build_that_made_pdfs_only(small_books, monkeypatch):
    monkeypatch.setattr(pdf, "fast_font_subsetting", lambda: False)
    log = io.StringIO()
    site_builder = SiteBuilder(small_books, lambda: datetime.date(2026, 11, 30), log=log)
    assert site_builder().rendered_pdfs >= 1
    logbook = small_books / "logbook/2026/11.md"
    logbook.write_text(logbook.read_text(encoding="utf-8") + "- 2h Printer fixed again\n", encoding="utf-8")
    assert site_builder().rendered_pdfs >= 1
    assert log.getvalue().count("hourbook: note: the PDFs' fonts were subset with fontTools") == 1


def test_the_check_follows_weasyprints_own_choice():
    from weasyprint.text.ffi import harfbuzz
    from weasyprint.text.ffi import harfbuzz_subset

    assert pdf.fast_font_subsetting() == (bool(harfbuzz_subset) and bool(harfbuzz.hb_version_atleast(4, 1, 0)))


def test_the_note_is_asked_of_a_process_that_made_pdfs(tmp_path):
    """With PDFs made in forked processes, the note comes from one of them (`rendering.pdf_note`):
    the building process never loads WeasyPrint for it (half a second, after every such build)."""
    import subprocess
    import sys
    import textwrap

    months = "".join(f"# 2026-{month:02d}-03\n## acme\n- 1h Printer fixed\n" for month in range(1, 8))
    books = write_books(tmp_path / "books", {"contracts/acme.yaml": CONTRACT, "logbook/2026.md": months})
    code = textwrap.dedent(f"""
        import datetime, sys
        from pathlib import Path
        from hourbook.build import rendering
        from hourbook.build.builder import Builder
        assert rendering.PARALLEL_PDFS <= 7
        result = Builder(Path({str(books)!r}), lambda: datetime.date(2026, 11, 30), jobs=2).build()
        print(result.ok, result.rendered_pdfs, "weasyprint" in sys.modules, repr(result.pdf_note))
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    ok, made, loaded, note = done.stdout.split(maxsplit=3)
    assert ok == "True" and int(made) >= 7 and loaded == "False"
    assert note.strip() == repr(pdf.font_subsetting_note())


def test_a_single_pdf_is_made_by_a_process_started_as_the_build_began(tmp_path):
    """`rendering.PdfWorkers`: a one-off build forks its PDF processes as it begins, and they load
    WeasyPrint while it reads the books; even one PDF is theirs, and the building process never
    loads WeasyPrint. A build that then makes no PDF (all in the cache) stops them: none is left."""
    import subprocess
    import sys
    import textwrap

    books = write_books(tmp_path / "books", {"contracts/acme.yaml": CONTRACT,
                                             "logbook/2026.md": "# 2026-11-03\n## acme\n- 1h Printer fixed\n"})
    code = textwrap.dedent(f"""
        import datetime, os, sys
        from pathlib import Path
        from hourbook.build.builder import Builder
        books = Path({str(books)!r})
        result = Builder(books, lambda: datetime.date(2026, 11, 30), jobs=2).build()
        logbook = books / "logbook/2026.md"
        text = logbook.read_text()
        logbook.write_text(text + "- 5m one more\\n")     # a new PDF, then the old one again: from the cache
        again = Builder(books, lambda: datetime.date(2026, 11, 30), jobs=2).build()
        logbook.write_text(text)
        cached = Builder(books, lambda: datetime.date(2026, 11, 30), jobs=2).build()
        children = [p for p in os.listdir("/proc") if p.isdigit()
                    and open(f"/proc/{{p}}/stat").read().split()[3] == str(os.getpid())]
        print(result.ok, result.rendered_pdfs, again.rendered_pdfs, cached.ok, cached.rendered_pdfs,
              "weasyprint" in sys.modules, len(children))
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "1", "1", "True", "0", "False", "0"]
