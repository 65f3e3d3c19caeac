"""Progress of long builds and issues (`hourbook.output.progress`), on stderr only.

Off a terminal a plain line comes every few seconds ($HOURBOOK_PROGRESS_INTERVAL, 0 here
so that every step prints), and its counts reach the totals; a quick build prints none;
`--quiet` prints only the summary; on a terminal (a pseudo-terminal here) a bar with
counts and time left, cleared before the summary line.
"""

from __future__ import annotations

import io
import os
import pty
import re
import select
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import run_cli
from test_incremental import AS_OF
from test_incremental import BOOKS
from test_incremental import edit
from test_incremental import fake_pdf  # noqa: F401 - the autouse fixture: PDFs as digests, counted
from test_invoicing import BOOKS as INVOICED_BOOKS
from test_invoicing import GIT_IDENTITY
from test_invoicing import make_repo

from hourbook.build import rendering
from hourbook.build.builder import Builder
from hourbook.commands.watch import SiteBuilder
from hourbook.output import progress as progress_module
from hourbook.output.progress import BarProgress
from hourbook.output.progress import PlainProgress
from hourbook.output.progress import Progress
from hourbook.output.progress import format_seconds
from hourbook.output.progress import make_progress

SRC = Path(__file__).resolve().parent.parent / "src"
LINE = re.compile(r"^building: (\d+)/(\d+) pages(?:, (\d+)/(\d+) PDFs)?(?:, .*)?$")
SUMMARY = re.compile(r"^built .*: \d+ files, \d+ statements for 3 clients \(2 shared\); 0 errors, \d+ warnings?$")


def build(root: Path, *args: str) -> tuple[int, str, str]:
    return run_cli("build", str(root), "--as-of", AS_OF.isoformat(), *args)


def counts(err: str) -> list[tuple[int, ...]]:
    """(pages done, pages, PDFs done, PDFs) of every progress line."""
    found = []
    for line in err.splitlines():
        match = LINE.match(line)
        if match:
            found.append(tuple(int(group or 0) for group in match.groups()))
    return found


def html_pages(site: Path) -> int:
    return sum(1 for _ in site.rglob("*.html"))


def test_off_a_terminal_a_build_prints_lines_whose_counts_reach_the_totals(books, monkeypatch):
    monkeypatch.setenv(progress_module.PROGRESS_INTERVAL_ENV, "0")
    root = books(BOOKS)
    code, out, err = build(root)
    assert code == 0 and out == ""
    lines = err.splitlines()
    assert lines[0] == "building: reading and pricing the books"
    assert SUMMARY.match(lines[-1]), lines[-1]
    seen = counts(err)
    pages, pdfs = seen[-1][1], seen[-1][3]
    assert seen[-1] == (pages, pages, pdfs, pdfs)
    assert pages == html_pages(root / "site")                       # every page counted, foretold exactly
    assert pdfs == sum(1 for _ in (root / "site").rglob("*.pdf")) > 0
    assert all(done <= total for done, total, *_ in seen)
    assert any(line.endswith(" left") for line in lines), "no time left shown"


def test_the_forked_workers_results_are_counted_in_the_parent(books, monkeypatch):
    monkeypatch.setattr(rendering, "PARALLEL_CLIENTS", 1)           # the clients' pages in forked processes
    root = books(BOOKS)
    stream = io.StringIO()
    progress = PlainProgress(stream, interval=0)
    assert Builder(root, lambda: AS_OF, jobs=2).build(progress=progress).ok
    assert progress.done == progress.total and progress.total["pages"] == html_pages(root / "site")
    assert counts(stream.getvalue())[-1][:2] == (progress.total["pages"],) * 2


def test_a_quick_build_prints_no_progress_and_quiet_only_the_summary(books, monkeypatch):
    root = books({**BOOKS, "logbook/2026/12.md": "# 2026-12-01\n\n## acme\n- 30m call #nosuchtag\n"})
    code, _, err = build(root)                                      # the default interval: longer than this build
    assert code == 0 and not counts(err) and "building:" not in err
    assert SUMMARY.match(err.splitlines()[-1])
    monkeypatch.setenv(progress_module.PROGRESS_INTERVAL_ENV, "0")
    (root / "logbook/2026/12.md").write_text("# 2026-12-01\n\n## acme\n- 45m call\n", encoding="utf-8")
    code, out, err = build(root, "--quiet")
    assert code == 0 and out == ""
    assert len(err.splitlines()) == 1 and SUMMARY.match(err), err


def test_quiet_hides_warnings_but_not_errors(books):
    overlap = BOOKS["logbook/2026/11.md"].replace("- 09:10-10:25 printer driver #support",
                                                  "- 09:10-10:25 printer driver #support\n        - 09:30-10:00 call")
    root = books({**BOOKS, "logbook/2026/11.md": overlap})
    code, _, loud = build(root, "--no-pdf")
    assert code == 0 and ": warning: " in loud and "1 warning" in loud
    code, _, quiet = build(root, "--no-pdf", "--quiet")
    assert code == 0 and quiet.splitlines() == loud.splitlines()[-1:]          # the summary still counts it
    edit(root / "contracts/acme.yaml", "rate: 60", "rate: 60\ncolour: blue")
    code, _, quiet = build(root, "--no-pdf", "--quiet")
    assert code == 1
    lines = quiet.splitlines()
    assert len(lines) == 2 and ": error: " in lines[0] and lines[1].startswith("build stopped: 1 error, 1 warning")


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_on_a_terminal_the_bar_shows_counts_and_time_left_then_is_cleared():
    stream = FakeTerminal()
    progress = make_progress(stream)
    assert isinstance(progress, BarProgress)
    progress.status("reading and pricing the books")
    assert "building: reading and pricing the books" in stream.getvalue()       # at once, before any count
    progress.expect(pages=10, pdfs=4)
    progress.advance(pages=10)
    progress.expect(pdfs=3)
    progress.advance(pdfs=1)
    progress.changed(force=True)
    shown = stream.getvalue().split("\r")[-1]
    assert re.search(r"building: +\d+%\|.*\| 10/10 pages, 1/3 PDFs, (\d+ s|\d+ min \d\d s) left", shown), shown
    progress.close()
    assert progress.bar is None and stream.getvalue().endswith("\r")        # the line cleared (tqdm's leave=False)
    assert isinstance(make_progress(stream, quiet=True), Progress) and not isinstance(
        make_progress(stream, quiet=True), (BarProgress, PlainProgress))
    assert isinstance(make_progress(io.StringIO()), PlainProgress)


def test_a_build_on_a_pseudo_terminal_draws_a_bar(books):
    root = books(BOOKS)
    master, slave = pty.openpty()
    env = {**os.environ, "PYTHONPATH": str(SRC), "COLUMNS": "100"}
    process = subprocess.Popen([sys.executable, "-m", "hourbook", "build", str(root), "--no-pdf",
                                "--as-of", AS_OF.isoformat()], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=slave, env=env)
    os.close(slave)
    output = b""
    while True:
        ready, _, _ = select.select([master], [], [], 60)
        if not ready:
            break
        try:
            data = os.read(master, 65536)
        except OSError:                                 # the child closed the terminal
            break
        if not data:
            break
        output += data
    os.close(master)
    assert process.wait(timeout=60) == 0
    text = output.decode("utf-8", "replace")
    assert "building: reading and pricing the books" in text
    assert re.search(r"building: +\d+%\|.*\| \d+/\d+ pages", text), text
    last = text.replace("\r\n", "\n").rstrip("\n").split("\n")[-1].split("\r")[-1]
    assert SUMMARY.match(last), text                                # the bar's line cleared, then the summary


def test_plain_lines_come_every_interval_and_only_when_new():
    stream = io.StringIO()
    progress = PlainProgress(stream, interval=3600)
    progress.status("reading and pricing the books")
    progress.expect(pages=5)
    progress.advance(pages=5)
    assert stream.getvalue() == ""                                  # quick work: nothing
    progress = PlainProgress(stream, interval=0)
    progress.expect(pages=2)
    progress.expect(pages=2)
    progress.advance(pages=2)
    assert stream.getvalue().splitlines()[0].startswith("building: 0/2 pages, ")
    assert stream.getvalue().splitlines()[-1] == "building: 2/2 pages"


@pytest.mark.parametrize("seconds, text", [(0.4, "0 s"), (12.4, "12 s"), (65, "1 min 05 s"), (3725, "1 h 02 min")])
def test_time_left_reads_as_people_say_it(seconds, text):
    assert format_seconds(seconds) == text


@pytest.mark.slow
def test_issue_shows_its_pdfs_and_quiet_issue_only_its_lines(tmp_path, monkeypatch):
    for key, value in GIT_IDENTITY.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv(progress_module.PROGRESS_INTERVAL_ENV, "0")
    root = make_repo(tmp_path / "books", INVOICED_BOOKS)
    code, out, err = run_cli("issue", "2026-10", str(root), "--as-of", "2026-11-05")
    assert code == 0, err
    assert "issuing: reading and pricing the books" in err.splitlines()
    assert "issuing: 2/2 PDFs" in err.splitlines()
    assert len(out.splitlines()) == 2                               # stdout: the invoices, as before
    root = make_repo(tmp_path / "quiet", INVOICED_BOOKS)
    code, quiet_out, quiet_err = run_cli("issue", "2026-10", str(root), "--as-of", "2026-11-05", "--quiet")
    assert code == 0 and quiet_err == "" and quiet_out == out.replace(str(tmp_path / "books"), str(tmp_path / "quiet"))


def test_watch_shows_the_progress_of_its_first_build_only(books, monkeypatch):
    monkeypatch.setenv(progress_module.PROGRESS_INTERVAL_ENV, "0")
    root = books(BOOKS)
    log = io.StringIO()
    builder = SiteBuilder(root, lambda: AS_OF, log=log)
    assert builder().ok
    first = log.getvalue()
    assert counts(first) and counts(first)[-1][0] == counts(first)[-1][1]
    edit(root / "logbook/2026/11.md", "- 45m mailbox", "- 1h45m mailbox")
    assert builder().ok
    assert "building:" not in log.getvalue()[len(first):]
    quiet_log = io.StringIO()
    assert SiteBuilder(root, lambda: AS_OF, log=quiet_log, quiet=True, out=root / "quiet-site")().ok
    assert len(quiet_log.getvalue().splitlines()) == 1 and "built " in quiet_log.getvalue()
