"""Provenance stays off client documents, and a commit alone re-renders none of them.

The commit the books were built from (`git.provenance`) is shown on the owner's pages
only (dashboard and each client's owner report, visible and in a `<meta>`). A client's
statements, indexes and PDFs carry at most the as-of date ("Version of …"), so they
neither say "uncommitted" nor change with a commit: after `git commit` a rebuild renders
no statement and makes no PDF, in a long-lived builder (watch) as in a new process.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import SELLER
from conftest import run_cli
from conftest import write_books
from test_incremental import AS_OF
from test_incremental import BOOKS
from test_incremental import clean_build
from test_incremental import edit
from test_incremental import fake_pdf  # noqa: F401 - the autouse fixture: PDFs as digests, counted
from test_incremental import tree
from test_invoicing import BOOKS as INVOICED_BOOKS

from hourbook.build import rendering
from hourbook.build.builder import Builder
from hourbook.render.locale_files import language_words
from hourbook.render.locale_files import languages
from conftest import copy_example_books

REPO = Path(__file__).resolve().parent.parent
REAL_PDF = (rendering.render_pdf, rendering.PARALLEL_PDFS)      # before fake_pdf replaces them
OWNER_PAGES = re.compile(r"^owner/(index\.html|requests\.html|receivables\.html|people\.html|[^/]+/dashboard\.html)$")


@pytest.fixture(autouse=True)
def git_author(monkeypatch):
    for name in ("AUTHOR", "COMMITTER"):
        monkeypatch.setenv(f"GIT_{name}_NAME", "Ana Ruiz")
        monkeypatch.setenv(f"GIT_{name}_EMAIL", "ana@example.com")


def run_git(root: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, text=True).stdout


def commit_all(root: Path, message: str = "books") -> str:
    """git init (once), add everything, commit; the new HEAD's hash."""
    if not (root / ".git").exists():
        run_git(root, "init", "-q")
        (root / ".gitignore").write_text(".hourbook-cache/\nsite/\n", encoding="utf-8")
    run_git(root, "add", "-A")
    run_git(root, "commit", "-q", "--allow-empty", "-m", message)
    return run_git(root, "rev-parse", "HEAD").strip()


def provenance_words() -> list[str]:
    """What names a build in any language: "built from commit", "uncommitted", and their translations."""
    words = ["uncommitted", "built from"]
    for language in languages():
        for key in ("built_from", "built_from_uncommitted"):
            words.append(language_words(language)[key].split("{commit}")[0].strip())
    return sorted(set(words))


def developer_text(data: bytes, commit: str) -> list[str]:
    """The provenance found in a file's bytes (its text, or a PDF's extracted text and metadata)."""
    text = data.decode("utf-8", "replace")
    found = [word for word in (*provenance_words(), commit, commit[:7]) if word.lower() in text.lower()]
    return found


def watching_committed_books(books) -> tuple[Path, Builder]:
    """The test books committed, and a watch's builder (`background_cleanup`) that built them once."""
    root = books(BOOKS)
    commit_all(root)
    builder = Builder(root, lambda: AS_OF, jobs=1)
    builder.background_cleanup = True
    assert builder.build().ok
    return root, builder


def test_a_commit_alone_re_renders_no_statement_and_no_pdf(books, tmp_path, fake_pdf):
    root = books(BOOKS)
    commit_all(root)
    builder = Builder(root, lambda: AS_OF, jobs=1)
    first = builder.build()
    assert first.ok and first.rendered_clients == 3 and first.rendered_pdfs > 0
    made = len(fake_pdf)
    before = tree(root / "site")

    # An empty commit, in a long-lived builder (watch): only the owner's pages change.
    head = commit_all(root, "nothing changed")
    result = builder.build()
    assert result.ok and not result.up_to_date
    # Nothing rendered: the owner's pages are the last ones, made to show the new commit (render.restamp).
    assert (result.rendered_clients, result.rendered_pdfs, result.rendered_reports, result.restamped) == (0, 0, 0, 7)
    after = tree(root / "site")
    assert after == clean_build(root, tmp_path / "clean-1")
    made = len(fake_pdf)                # the clean build made its own
    changed = sorted(rel for rel in after if after[rel] != before.get(rel))
    assert changed == ["owner/acme/dashboard.html", "owner/globex/dashboard.html", "owner/index.html",
                       "owner/initech/dashboard.html", "owner/people.html", "owner/receivables.html",
                       "owner/requests.html"]
    assert f"built from commit {head[:7]}".encode() in after["owner/index.html"]
    assert f'<meta name="hourbook-build" content="commit {head}">'.encode() in after["owner/globex/dashboard.html"]

    # A commit of a file that is no input of the books, then a new process (a later `hourbook build`).
    (root / "NOTES.txt").write_text("call ACME on Monday\n", encoding="utf-8")
    head = commit_all(root, "a note")
    result = Builder(root, lambda: AS_OF, jobs=1).build()
    assert result.ok and (result.rendered_clients, result.rendered_pdfs, result.rendered_reports) == (0, 0, 0)
    assert result.restamped == 7
    assert f"built from commit {head[:7]}".encode() in (root / "site/owner/initech/dashboard.html").read_bytes()
    assert len(fake_pdf) == made
    assert tree(root / "site") == clean_build(root, tmp_path / "clean")

    # Nothing changed since: up to date, nothing rendered at all.
    assert Builder(root, lambda: AS_OF, jobs=1).build().up_to_date


def test_committing_an_edit_restamps_the_owners_pages_as_a_clean_build_would_render_them(books, tmp_path, fake_pdf):
    """An edit (built: "with uncommitted changes"), then its commit (no input changed, the commit and
    the mark did): the owner's pages are restamped, the site is a clean build's bytes; in another
    language too."""
    assert "locale: en\n" in BOOKS["hourbook.yaml"]
    root = books({**BOOKS, "hourbook.yaml": BOOKS["hourbook.yaml"].replace("locale: en\n", "locale: es-ES\n")})
    commit_all(root)
    assert Builder(root, lambda: AS_OF, jobs=1).build().ok
    edit(root / "logbook/2026/11.md", "- 45m mailbox", "- 1h45m mailbox")
    dirty = Builder(root, lambda: AS_OF, jobs=1).build()
    # The edited client rendered; the two others' owner reports now say "uncommitted changes": restamped.
    assert dirty.ok and (dirty.rendered_clients, dirty.rendered_reports, dirty.restamped) == (1, 0, 2)
    assert tree(root / "site") == clean_build(root, tmp_path / "clean-dirty")
    commit_all(root, "the edit")
    result = Builder(root, lambda: AS_OF, jobs=1).build()
    assert result.ok and (result.rendered_clients, result.rendered_reports, result.restamped) == (0, 0, 7)
    assert tree(root / "site") == clean_build(root, tmp_path / "clean")


def test_the_first_edit_after_a_commit_renders_the_edited_client_only(books, tmp_path, fake_pdf):
    """The everyday loop: commit, edit one client's logbook, build. The books turn dirty, which every
    owner report shows; the other clients' reports are restamped, not rendered, in a new process as
    in watch's builder, and the site is a clean build's bytes."""
    root = books(BOOKS)
    commit_all(root)
    assert Builder(root, lambda: AS_OF, jobs=1).build().ok
    edit(root / "logbook/2026/11.md", "- 45m mailbox", "- 1h45m mailbox")
    result = Builder(root, lambda: AS_OF, jobs=1).build()
    assert result.ok and (result.rendered_clients, result.rendered_reports, result.restamped) == (1, 0, 2)
    assert b"uncommitted changes" in (root / "site/owner/globex/dashboard.html").read_bytes()
    assert tree(root / "site") == clean_build(root, tmp_path / "clean-new-process")

    watching = Builder(root, lambda: AS_OF, jobs=1)
    assert watching.build().up_to_date
    commit_all(root, "the edit")
    edit(root / "logbook/2026/11.md", "- 1h45m mailbox", "- 2h mailbox")
    result = watching.build()           # the reports kept in memory this time
    assert result.ok and (result.rendered_clients, result.rendered_reports, result.restamped) == (1, 0, 2)
    assert tree(root / "site") == clean_build(root, tmp_path / "clean-watch")

    # A report changed by hand since it was written is not restamped: its client's files are not
    # the ones the build wrote, and are all rendered again.
    commit_all(root, "the second edit")
    report = root / "site/owner/globex/dashboard.html"
    report.write_bytes(report.read_bytes().replace(b"</footer>", b"hand-made</footer>"))
    edit(root / "logbook/2026/11.md", "- 2h mailbox", "- 2h15m mailbox")
    result = Builder(root, lambda: AS_OF, jobs=1).build()
    assert result.ok and (result.rendered_clients, result.rendered_reports, result.restamped) == (2, 0, 1)
    assert tree(root / "site") == clean_build(root, tmp_path / "clean-by-hand")


def test_watch_writes_the_edited_client_first_and_replaces_a_restamped_report_alone(books, tmp_path, fake_pdf):
    """In watch, an edit that makes the books dirty: the edited client's pages are written before the
    other clients' reports are restamped (`on_pages` sees them unchanged), and each report, the one
    file of its folder that changed, is renamed into place: its folder is not made anew."""
    root, builder = watching_committed_books(books)
    out = root / "site"
    globex = out / "owner/globex"
    folder, report, site = globex.stat().st_ino, (globex / "dashboard.html").read_bytes(), out.stat().st_ino
    owners = sorted(rel for rel in tree(out) if rel.count("/") == 1)     # owner/people.html, owner/owner.js, …
    assert {"owner/people.html", "owner/owner.js", "owner/style.css", "public/robots.txt"} <= set(owners)
    seen = []
    edit(root / "logbook/2026/11.md", "- 45m mailbox", "- 1h45m mailbox")      # initech only
    result = builder.build(on_pages=lambda: seen.append(((globex / "dashboard.html").read_bytes(),
                                                         (out / "owner/initech/2026-11.html").read_bytes(),
                                                         [rel for rel in owners if not (out / rel).is_file()])))
    assert result.ok and (result.rendered_clients, result.rendered_reports, result.restamped) == (1, 0, 2)
    [(report_then, initech_then, missing_then)] = seen
    assert report_then == report and b"1:45" in initech_then
    assert missing_then == []           # the owner's pages and their stylesheet stay while they wait
    assert b"uncommitted changes" in (globex / "dashboard.html").read_bytes()
    assert globex.stat().st_ino == folder                        # the one file replaced, the folder kept
    assert out.stat().st_ino == site                             # and no whole-site swap
    assert tree(out) == clean_build(root, tmp_path / "clean")


def test_no_restamp_where_it_could_be_wrong(books, tmp_path, fake_pdf):
    """Books templates that show the commit themselves, or an owner's page changed by hand: the
    pages are rendered again, and the site is a clean build's bytes."""
    root = books({**BOOKS, "templates/brand.html": (
        '<div class="brand">{{ seller.name }}{% if provenance is defined and provenance %} ({{ provenance.commit[:10] }}){% endif %}</div>')})
    commit_all(root)
    assert Builder(root, lambda: AS_OF, jobs=1).build().ok
    commit_all(root, "nothing changed")
    result = Builder(root, lambda: AS_OF, jobs=1).build()
    assert result.ok and result.restamped == 0 and result.rendered_reports == 3
    assert tree(root / "site") == clean_build(root, tmp_path / "clean-templates")

    root = write_books(tmp_path / "by-hand", BOOKS)
    commit_all(root)
    assert Builder(root, lambda: AS_OF, jobs=1).build().ok
    page = root / "site/owner/index.html"
    page.write_bytes(page.read_bytes().replace(b"</footer>", b"hand-made</footer>"))
    commit_all(root, "nothing changed")
    result = Builder(root, lambda: AS_OF, jobs=1).build()
    # The owner's pages are rendered again (index.html among them); the clients' reports, untouched,
    # are still restamped one by one.
    assert result.ok and (result.rendered_reports, result.restamped) == (0, 3)
    assert tree(root / "site") == clean_build(root, tmp_path / "clean-by-hand")


def test_uncommitted_books_show_on_the_owners_pages_only(books, tmp_path):
    root = books(BOOKS)
    commit = commit_all(root)
    edit(root / "logbook/2026/11.md", "- 45m mailbox", "- 1h45m mailbox")     # not committed
    assert Builder(root, lambda: AS_OF, jobs=1).build().ok
    site = tree(root / "site")
    shown = {rel: developer_text(data, commit) for rel, data in site.items() if not OWNER_PAGES.match(rel)}
    assert {rel: found for rel, found in shown.items() if found} == {}
    assert any(rel.startswith("public/") and rel.endswith(".pdf") for rel in site)
    for rel in ("owner/index.html", "owner/acme/dashboard.html"):
        assert (f"built from commit {commit[:7]}, with uncommitted changes").encode() in site[rel]
        assert f'content="commit {commit}, uncommitted changes"'.encode() in site[rel]
    # Outside git there is nothing to tell, and the owner's pages say nothing.
    shutil.rmtree(root / ".git")
    assert Builder(root, lambda: AS_OF, jobs=1).build().ok
    assert b"hourbook-build" not in (root / "site/owner/index.html").read_bytes()


def example_books(root: Path) -> Path:
    """The repository's example books, copied (hourbook.yaml, contracts/, logbook/, templates/)."""
    return copy_example_books(root)


@pytest.mark.slow
def test_real_pdfs_of_uncommitted_example_books_name_no_commit(tmp_path, monkeypatch):
    """WeasyPrint's PDFs of the example books: no commit in their text nor in their metadata."""
    pypdf = pytest.importorskip("pypdf")
    monkeypatch.setattr(rendering, "render_pdf", REAL_PDF[0])       # WeasyPrint, not fake_pdf's digests
    monkeypatch.setattr(rendering, "PARALLEL_PDFS", REAL_PDF[1])
    root = example_books(tmp_path / "books")
    commit = commit_all(root)
    logbook = next(path for path in sorted((root / "logbook").rglob("*.md")))
    logbook.write_text(logbook.read_text(encoding="utf-8") + "\n", encoding="utf-8")     # uncommitted
    assert Builder(root, lambda: AS_OF, jobs=2).build().ok
    pdfs = sorted((root / "site").rglob("*.pdf"))
    assert pdfs
    for path in pdfs:
        reader = pypdf.PdfReader(path)
        text = "\n".join(page.extract_text() or "" for page in reader.pages)
        metadata = " ".join(str(value) for value in (reader.metadata or {}).values())
        assert developer_text(f"{text}\n{metadata}".encode(), commit) == [], path
        assert re.search(r"\d{4}", text), path                   # the text was read: "Version of … 2026"
    index = (root / "site/owner/index.html").read_text(encoding="utf-8")
    # The owner's dashboard speaks the books' locale (es): it names the commit in Spanish.
    words = language_words("es")["built_from_uncommitted"]
    assert words.format(commit=commit[:7]) in index


@pytest.mark.slow
def test_an_invoice_names_no_commit_even_in_its_pdf_metadata(tmp_path):
    pypdf = pytest.importorskip("pypdf")
    root = tmp_path / "books"
    for rel, text in INVOICED_BOOKS.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    (root / "hourbook.yaml").write_text(SELLER, encoding="utf-8")
    commit = commit_all(root)
    code, _, err = run_cli("issue", "2026-10", str(root), "--as-of", "2026-11-05")
    assert code == 0, err
    invoices = sorted((root / "invoices").glob("*.pdf"))
    assert len(invoices) == 2
    for path in invoices:
        reader = pypdf.PdfReader(path)
        text = "\n".join(page.extract_text() or "" for page in reader.pages)
        assert developer_text(text.encode(), commit) == [], path
        metadata = " ".join(str(value) for value in (reader.metadata or {}).values())
        assert developer_text(metadata.encode(), commit) == [], path
        assert reader.metadata.creator == "hourbook"


def test_watch_in_git_tells_the_commit_and_changes_as_git_does_across_a_failed_build(books, tmp_path, fake_pdf):
    """Watch asks git about the changed files only (`git.BooksStatus`): an edit that breaks the
    books (the build stops), then one that restores the file as committed, and the owner's pages
    say the books are clean again: the site is a clean build's bytes."""
    root, builder = watching_committed_books(books)
    logbook = root / "logbook/2026/11.md"
    committed = logbook.read_text(encoding="utf-8")
    edit(logbook, "- 45m mailbox", "- 45q mailbox")
    failed = builder.build(changed=[str(logbook)])
    assert not failed.ok and failed.diagnostics
    logbook.write_text(committed, encoding="utf-8")
    result = builder.build(changed=[str(logbook)])
    assert result.ok
    assert b"uncommitted" not in (root / "site/owner/index.html").read_bytes()
    assert tree(root / "site") == clean_build(root, tmp_path / "clean")
