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
