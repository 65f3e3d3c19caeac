"""hourbook's one door to git (`hourbook.git`): every question through `git()`, and "no" when git can't answer.

The refusals of `issue` that these answers feed are pinned in test_safety_register; here
are the answers themselves: outside git, without git, clean, with changes.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from conftest import write_books
from test_invoicing import BOOKS
from test_invoicing import GIT_IDENTITY

from hourbook import git


@pytest.fixture
def books(tmp_path, monkeypatch):
    for key, value in GIT_IDENTITY.items():
        monkeypatch.setenv(key, value)
    return write_books(tmp_path / "books", BOOKS)


def run_git(root: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, text=True).stdout


def commit_all(root: Path) -> str:
    run_git(root, "add", "-A")
    run_git(root, "commit", "-q", "-m", "books")
    return run_git(root, "rev-parse", "HEAD").strip()


def no_answers(root: Path) -> tuple:
    return (git.provenance(root), git.git_head(root), git.git_uncommitted_books(root),
            git.git_unrecorded(root, ("logbook",)), git.git_register_uncommitted(root),
            git.git_committed_register(root))


def test_outside_git_every_answer_is_no(books):
    assert no_answers(books) == (None, None, [], [], False, None)


def test_without_git_every_answer_is_no(books, monkeypatch):
    run_git(books, "init", "-q")
    commit_all(books)
    monkeypatch.setenv("PATH", "")                  # git cannot be found
    assert git.git(books, "status") is None
    assert no_answers(books) == (None, None, [], [], False, None)


def test_before_the_first_commit_there_is_no_head(books):
    run_git(books, "init", "-q")
    assert git.git_head(books) is None and git.provenance(books) is None


def test_provenance_names_the_commit_and_uncommitted_books(books):
    run_git(books, "init", "-q")
    head = commit_all(books)
    assert git.git_head(books) == head
    assert git.provenance(books) == git.Provenance(head, False) and git.provenance(books).short == head[:7]
    (books / "notes.txt").write_text("not part of the books\n", encoding="utf-8")
    assert git.provenance(books) == git.Provenance(head, False)
    (books / "logbook" / "extra.md").write_text("# 2026-10-07\n\n## acme\n- 1h More\n", encoding="utf-8")
    assert git.git_uncommitted_books(books) == ["?? logbook/extra.md"]
    assert git.provenance(books) == git.Provenance(head, True)


def test_the_committed_register_is_what_head_holds(books):
    run_git(books, "init", "-q")
    commit_all(books)
    assert git.git_committed_register(books) is None
    (books / "issued.yaml").write_bytes(b"# a register\n")
    assert git.git_register_uncommitted(books)
    commit_all(books)
    assert git.git_committed_register(books) == b"# a register\n"
    assert not git.git_register_uncommitted(books)
    (books / "issued.yaml").unlink()
    assert git.git_register_uncommitted(books)
    assert git.git_committed_register(books) == b"# a register\n"


@pytest.mark.parametrize("name, read", [
    ("logbook/2026-10.md", True), ("contracts/acme.yaml", True), ("hourbook.yaml", True),
    ("logbook/.2026-10.md.swp", False), ("logbook/#2026-10.md#", False), ("contracts/acme.yaml~", False),
    ("logbook/.drafts/2026-10.md", False), ("templates/.hidden.html", True),
])
def test_hourbook_reads_no_hidden_files_or_backups_of_logbooks_and_contracts(name, read):
    assert git.hourbook_reads(name) is read


# -- BooksStatus: watch asks git about the changed files only


def _repository_with_books_below(tmp_path: Path, monkeypatch) -> tuple[Path, Path]:
    """A work tree holding the books in a subfolder (git prints paths from the top)."""
    for key, value in GIT_IDENTITY.items():
        monkeypatch.setenv(key, value)
    top = tmp_path / "work"
    root = write_books(top / "books", BOOKS)
    (root / "logbook" / "n ew*.md").write_text("# 2026-11-02\n\n## acme\n- 1h odd name\n", encoding="utf-8")
    run_git(top, "init", "-q")
    commit_all(top)
    return top, root


def test_books_status_asks_about_the_changed_files_and_answers_as_a_full_status(tmp_path, monkeypatch):
    """Edits, their undoing, new and removed files, a commit and `git add` without any file event:
    each answer is the full `provenance`'s, and an unchanged file outside the edits is never asked
    about once the first answer is made."""
    top, root = _repository_with_books_below(tmp_path, monkeypatch)
    # The full status each answer is checked with must not rewrite git's index (as an undone
    # edit makes it do): a changed index, like a commit, has everything asked again.
    monkeypatch.setenv("GIT_OPTIONAL_LOCKS", "0")
    status = git.BooksStatus()
    asked: list[list[str]] = []
    real = git._start_status

    def spy(where, paths, optional_locks):
        asked.append(paths)
        return real(where, paths, optional_locks)

    monkeypatch.setattr(git, "_start_status", spy)
    odd = root / "logbook" / "n ew*.md"
    logbooks = sorted(p for p in (root / "logbook").rglob("*.md") if p != odd)
    first, second = logbooks[0], logbooks[-1]
    texts = {path: path.read_text(encoding="utf-8") for path in (first, second, odd)}

    def check(changed):
        got = status.provenance(root, None if changed is None else {str(path) for path in changed})
        assert got == git.provenance(root)
        return got.uncommitted

    assert check(None) is False
    first.write_text(texts[first] + "\n", encoding="utf-8")
    assert check([first]) is True
    second.write_text(texts[second] + "\n", encoding="utf-8")
    assert check([second]) is True
    first.write_text(texts[first], encoding="utf-8")        # undone: the other edit still counts
    assert check([first]) is True
    second.write_text(texts[second], encoding="utf-8")
    assert check([second]) is False
    odd.write_text(texts[odd] + "- 1h more\n", encoding="utf-8")   # a name git would read as a pattern
    assert check([odd]) is True
    odd.write_text(texts[odd], encoding="utf-8")
    assert check([odd]) is False
    new = first.parent / "new.md"
    new.write_text("# 2026-11-20\n\n## acme\n- 1h new\n", encoding="utf-8")
    assert check([new]) is True
    new.unlink()
    assert check([new]) is False
    assert all(len(paths) <= 2 for paths in asked[1:])      # never the whole books after the first answer

    first.write_text(texts[first] + "\n", encoding="utf-8")
    assert check([first]) is True
    commit_all(top)                                         # no file event: the commit is noticed
    assert check([]) is False
    first.write_text(texts[first], encoding="utf-8")
    run_git(top, "add", "-A")                               # staged only: still uncommitted
    assert check([first]) is True
    run_git(top, "reset", "-q", "--hard")                   # back to the commit, told or not
    assert check([]) is False
    new.write_text("# 2026-11-20\n\n## acme\n- 1h new\n", encoding="utf-8")
    assert check([new]) is True
    (top / ".gitignore").write_text("new.md\n", encoding="utf-8")
    assert check([top / ".gitignore"]) is False             # outside the books' parts: all asked again
