"""Issuing invoices: numbers, the register and its hash chain, frozen periods, corrections, refusals.

The books are a small git repository: acme (21 % VAT, Spain) and beta (19 %, Germany).
October by hand:
  acme  1h30m at 60 = 90.00; 45m #urgent at 60 +50% = 67.50; 20m -> 30m (15m steps) = 30.00
        net 187.50, tax 21 % = 39.375 -> 39.38, total 226.88
  beta  2h at 80 = 160.00; expense 12.40; net 172.40, tax 19 % = 32.756 -> 32.76, total 205.16
November: acme 1h at 60 = 60.00, tax 12.60, total 72.60.
"""

from __future__ import annotations

import datetime
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import SELLER
from conftest import run_cli
from conftest import write_books

from hourbook.checks import issued as issued_checks
from hourbook.checks import register as register_checks
from hourbook.core import register
from hourbook.core.records import ERROR
from hourbook.core.records import Diagnostic
from hourbook.core.records import Settings
from hourbook.core.records import Source
from hourbook.invoicing import issue as invoicing
from hourbook.invoicing import register_file
from hourbook.pipeline import load_and_price

GIT_IDENTITY = {"GIT_AUTHOR_NAME": "Test", "GIT_AUTHOR_EMAIL": "test@example.com",
                "GIT_COMMITTER_NAME": "Test", "GIT_COMMITTER_EMAIL": "test@example.com",
                "GIT_CONFIG_NOSYSTEM": "1"}

ACME = """\
name: ACME Industries S.L.
address: "Av. Diagonal 1, 08019 Barcelona, España"
tax_id: ESA87654321
tax: 21%
contacts:
  ana: Ana García (CTO)
terms:
  - from: 2026-01-01
    kind: hourly
    rate: 60
    increment: 15m
    surcharge: {urgent: 50%}
"""
BETA = """\
name: Beta GmbH
address: "Hafenstraße 12, 20457 Hamburg, Deutschland"
tax_id: DE123456789
locale: de
tax: 19%
terms:
  - from: 2026-01-01
    kind: hourly
    rate: 80
    increment: 15m
"""
OCTOBER = """\
# 2026-10-05

## acme
- 1h30m @ana Server migration #support
- 45m @ana Mail outage #urgent
- 20m Backup check

## beta
- 2h Firewall rules
- expense 12.40 Network cable
"""
NOVEMBER = """\
# 2026-11-03

## acme
- 1h Printer driver #support
"""
BOOKS = {"contracts/acme.yaml": ACME, "contracts/beta.yaml": BETA,
         "logbook/2026-10.md": OCTOBER, "logbook/2026-11.md": NOVEMBER}
HOW = ("restore it as it was invoiced (git checkout) and record the difference as a #correction entry "
       "in an open period instead (see docs/invoicing.md)")


def git(root: Path, *args: str) -> str:
    result = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True,
                            env={**os.environ, **GIT_IDENTITY})
    assert result.returncode == 0, result.stderr
    return result.stdout


def commit(root: Path, message: str = "books") -> None:
    git(root, "add", "-A")
    git(root, "commit", "-q", "--allow-empty", "-m", message)


def make_repo(root: Path, files: dict[str, str] | None = None) -> Path:
    """A committed books repository."""
    write_books(root, files if files is not None else BOOKS)
    git(root, "init", "-q")
    commit(root)
    return root


def edit(root: Path, rel: str, old: str, new: str) -> None:
    path = root / rel
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


@pytest.fixture
def repo(tmp_path, monkeypatch):
    for key, value in GIT_IDENTITY.items():
        monkeypatch.setenv(key, value)
    return make_repo(tmp_path / "books")


def issue(root: Path, period: str = "2026-10", as_of: str = "2026-11-05") -> tuple[int, str, str]:
    return run_cli("issue", period, str(root), "--as-of", as_of)


def check(root: Path, as_of: str = "2026-11-20") -> tuple[int, list[str]]:
    code, _, err = run_cli("check", str(root), "--as-of", as_of)
    return code, [line for line in err.splitlines() if ": error: " in line or ": warning: " in line]


def records(root: Path) -> list[register.IssuedRecord]:
    found, problems, _ = register_checks.read_verified_register(root)
    assert problems == []
    return found


# ------------------------------------------------------------------ issuing


def test_issue_numbers_records_and_writes_pdfs(repo):
    code, out, err = issue(repo)
    assert code == 0, err
    assert out.splitlines() == [
        "2026-0001      invoice  acme             2026-10  net     187.50 tax     39.38 total     226.88 EUR  "
        "invoices/2026-0001.pdf",
        "2026-0002      invoice  beta             2026-10  net     172.40 tax     32.76 total     205.16 EUR  "
        "invoices/2026-0002.pdf",
    ]
    first, second = records(repo)
    assert (first.number, first.client, first.period, first.issued.isoformat()) == \
           ("2026-0001", "acme", "2026-10", "2026-11-05")
    assert (first.net, first.tax, first.total, first.rate) == \
           (Decimal("187.50"), Decimal("39.38"), Decimal("226.88"), Decimal("21"))
    assert first.commit == git(repo, "rev-parse", "HEAD").strip()
    assert first.previous == register.GENESIS and second.previous == first.hash
    assert (first.scope, first.seq, second.seq) == ("invoice/2026", 1, 2)
    assert [item.summary for item in first.lines] == [
        "billed 1h30m at 60.00 = 90.00", "billed 45m at 60.00 = 67.50", "billed 30m at 60.00 = 30.00"]
    assert [item.source for item in first.lines] == [
        "logbook/2026-10.md:4", "logbook/2026-10.md:5", "logbook/2026-10.md:6"]
    for record in (first, second):
        assert (repo / record.pdf).read_bytes().startswith(b"%PDF-1.7")
    assert check(repo) == (0, [])


def test_register_is_only_appended(repo):
    assert issue(repo)[0] == 0
    commit(repo, "issue October")
    before = (repo / "issued.yaml").read_bytes()
    assert issue(repo, "2026-11", "2026-12-01")[0] == 0
    after = (repo / "issued.yaml").read_bytes()
    assert after.startswith(before) and len(after) > len(before)
    assert [(r.number, r.client, r.period) for r in records(repo)] == [
        ("2026-0001", "acme", "2026-10"), ("2026-0002", "beta", "2026-10"), ("2026-0003", "acme", "2026-11")]


# ------------------------------------------------------------------ refusals


def refused(root: Path, code: int, err: str) -> str:
    """The refusal line; and nothing was written."""
    assert code == 1
    assert not (root / "issued.yaml").exists()
    assert not (root / "invoices").exists()
    return next(line for line in err.splitlines() if "issue refused" in line)


def test_refuses_books_with_errors(repo):
    edit(repo, "logbook/2026-10.md", "- 20m Backup check", "- 2x0m Backup check")
    commit(repo)
    code, _, err = issue(repo)
    assert "logbook/2026-10.md:6: error: cannot read the time '2x0m'" in err
    assert refused(repo, code, err) == \
        "hourbook: issue refused: the books have errors (above); nothing was written"


def test_issue_takes_the_priced_books_it_is_given(repo, monkeypatch):
    """`issue` prices nothing itself: the command passes in what `pipeline.load_and_price` gave."""
    day = datetime.date(2026, 11, 5)
    monkeypatch.setattr(issued_checks, "real_today", lambda: day)
    priced, diagnostics = load_and_price(repo, day)
    error = Diagnostic(Source("logbook/2026-10.md", 4), "something wrong", ERROR)
    outcome = invoicing.issue(repo, "2026-10", day, priced, [*diagnostics, error])
    assert (outcome.refusal, outcome.diagnostics) == ("the books have errors (above)", [*diagnostics, error])
    assert not (repo / "issued.yaml").exists()
    only_acme = replace(priced, clients=tuple(c for c in priced.clients if c.contract.id == "acme"))
    outcome = invoicing.issue(repo, "2026-10", day, only_acme, diagnostics)
    assert outcome.refusal == ""
    assert [(record.number, record.client, str(record.total)) for record in outcome.records] == [
        ("2026-0001", "acme", "226.88")]
    assert [record.client for record in records(repo)] == ["acme"]


def test_refuses_uncommitted_changes(repo):
    edit(repo, "logbook/2026-11.md", "1h Printer", "2h Printer")
    (repo / "logbook" / "new.md").write_text("# 2026-11-04\n", encoding="utf-8")
    code, _, err = issue(repo)
    assert refused(repo, code, err).startswith("hourbook: issue refused: the books have uncommitted changes; "
                                               "commit them first")
    assert " M logbook/2026-11.md" in err and "?? logbook/new.md" in err


def test_refuses_outside_git(tmp_path):
    root = write_books(tmp_path / "books", BOOKS)
    code, _, err = issue(root)
    assert refused(root, code, err) == (
        "hourbook: issue refused: the books are not in a git repository with a commit: git is the audit trail "
        "of invoices; run git init, commit the books, then issue; nothing was written")


def test_refuses_period_already_issued(repo):
    assert issue(repo)[0] == 0
    commit(repo, "issue")
    before = (repo / "issued.yaml").read_bytes()
    code, out, err = issue(repo, as_of="2026-11-06")
    assert code == 1 and out == ""
    assert ("hourbook: issue refused: period 2026-10 was already issued on 2026-11-05: 2026-0001 (acme), "
            "2026-0002 (beta); an issued invoice never changes") in err
    assert (repo / "issued.yaml").read_bytes() == before


def test_refuses_issue_date_before_the_last_invoice(repo):
    assert issue(repo, "2026-11", "2026-11-30")[0] == 0
    commit(repo, "issue")
    code, _, err = issue(repo, "2026-10", "2026-11-29")
    assert code == 1
    assert ("issue refused: the issue date 2026-11-29 is before that of the last invoice, 2026-0001 of "
            "2026-11-30: numbers must follow the dates") in err


def test_refuses_period_not_started(repo):
    code, _, err = issue(repo, "2026-12", "2026-11-05")
    assert refused(repo, code, err) == \
        "hourbook: issue refused: period 2026-12 has not started on 2026-11-05; nothing was written"


def test_refuses_invoice_without_legal_content(tmp_path, monkeypatch):
    for key, value in GIT_IDENTITY.items():
        monkeypatch.setenv(key, value)
    seller = SELLER.replace("  tax_id: ESB12345678\n", "")
    volga = ACME.replace("tax: 21%", "tax: 0%").replace('address: "Av. Diagonal 1, 08019 Barcelona, España"',
                                                        'address: "Somewhere 1"')
    root = make_repo(tmp_path / "books", {"hourbook.yaml": seller, "contracts/acme.yaml": volga,
                                          "logbook/2026-10.md": OCTOBER.split("## beta")[0]})
    code, _, err = issue(root)
    assert refused(root, code, err) == ("hourbook: issue refused: an invoice would lack what the law asks for "
                                        "(above); nothing was written")
    assert ("hourbook.yaml:1: error: an invoice needs the seller's VAT number: add tax_id: to seller: in "
            "hourbook.yaml") in err
    assert ("contracts/acme.yaml:1: error: cannot tell client 'acme''s country from tax_id 'ESA87654321' or "
            "address 'Somewhere 1'") not in err   # the VAT id's prefix says ES
    assert ("contracts/acme.yaml:1: error: client 'acme' is charged no VAT (tax: 0%): its invoices must say "
            "why; add to hourbook.yaml  invoice: {exemptions: {acme: {category: G, note: \"…\"}}}") in err


def test_nothing_to_invoice_writes_nothing(repo):
    code, out, err = issue(repo, "2026-09", "2026-11-05")
    assert (code, out) == (0, "")
    assert "nothing to invoice in 2026-09: no client has a non-zero total; nothing written" in err
    assert not (repo / "issued.yaml").exists()


def test_bad_period_is_a_usage_error(repo):
    code, _, err = issue(repo, "October")
    assert code == 2
    assert err == ("hourbook: error: PERIOD must be a month like 2026-10, a quarter like 2026-Q4 or a year "
                   "like 2026, got 'October'\n")


# ------------------------------------------------------------------ frozen periods


@pytest.fixture
def issued(repo):
    """October issued and committed."""
    assert issue(repo)[0] == 0
    commit(repo, "issue October")
    return repo


def test_edited_entry_names_invoice_and_line(issued):
    edit(issued, "logbook/2026-10.md", "- 1h30m @ana Server migration", "- 2h @ana Server migration")
    assert check(issued) == (1, [
        "logbook/2026-10.md:4: error: entry changed after invoice 2026-0001 (acme, 2026-10) was issued: "
        f"invoiced as billed 1h30m at 60.00 = 90.00, now billed 2h00m at 60.00 = 120.00; {HOW}"])
    code, _, err = issue(issued, "2026-10", "2026-11-06")
    assert code == 1 and "issue refused: the books have errors" in err


@pytest.mark.slow  # an issued register first: git commits and invoice PDFs
def test_edited_text_only_is_a_change_too(issued):
    edit(issued, "logbook/2026-10.md", "Server migration", "Server migration to the new rack")
    assert check(issued) == (1, [
        "logbook/2026-10.md:4: error: entry changed after invoice 2026-0001 (acme, 2026-10) was issued: "
        f"invoiced as billed 1h30m at 60.00 = 90.00; its date, text, tags or requester differ now; {HOW}"])


@pytest.mark.slow  # an issued register first: git commits and invoice PDFs
def test_moved_lines_are_not_a_change(issued):
    edit(issued, "logbook/2026-10.md", "# 2026-10-05\n", "A note above everything.\n\n# 2026-10-05\n")
    assert check(issued) == (0, [])


@pytest.mark.slow  # an issued register first: git commits and invoice PDFs
def test_added_and_removed_entries_are_located(issued):
    edit(issued, "logbook/2026-10.md", "- 20m Backup check\n", "")
    edit(issued, "logbook/2026-10.md", "- 2h Firewall rules\n", "- 2h Firewall rules\n- 1h VPN #support\n")
    assert check(issued) == (1, [
        "logbook/2026-10.md:6: error: entry removed after invoice 2026-0001 (acme, 2026-10) was issued: it was "
        f"invoiced as billed 30m at 60.00 = 30.00 (at logbook/2026-10.md:6); {HOW}",
        "logbook/2026-10.md:9: error: entry added after invoice 2026-0002 (beta, 2026-10) was issued: billed "
        "1h00m at 80.00 = 80.00; date it in an open period instead (tag it #correction #2026-0002 if it corrects "
        "that invoice; see docs/invoicing.md)"])


@pytest.mark.slow  # an issued register first: git commits and invoice PDFs
def test_new_client_in_issued_period_is_an_error(issued):
    write_books(issued, {"contracts/gamma.yaml": BETA.replace("Beta GmbH", "Gamma AG"),
                         "logbook/gamma.md": "---\nclient: gamma\n---\n# 2026-10-20\n- 1h Audit\n"})
    code, problems = check(issued)
    assert problems == [
        "logbook/gamma.md:5: error: entry for gamma added to 2026-10 after the invoices of 2026-10 (2026-0001, "
        "2026-0002) were issued: billed 1h00m at 80.00 = 80.00; date it in an open period instead (tag it "
        "#correction #NUMBER if it corrects that invoice; see docs/invoicing.md)"]


@pytest.mark.slow  # an issued register first: git commits and invoice PDFs
def test_changed_rate_is_located_at_the_term(issued):
    edit(issued, "contracts/beta.yaml", "rate: 80", "rate: 85")
    assert check(issued) == (1, [
        "contracts/beta.yaml:7: error: rate changed after invoice 2026-0002 (beta, 2026-10) was issued: 1 of its "
        "entries were invoiced at 80.00 and would now be priced at 85.00 (first: logbook/2026-10.md:9); restore "
        "the term as it was and add a new term with a later from: for the new rate instead"])


@pytest.mark.slow  # an issued register first: git commits and invoice PDFs
def test_changed_tax_is_located_at_the_contract(issued):
    edit(issued, "contracts/beta.yaml", "tax: 19%", "tax: 16%")
    assert check(issued) == (1, [
        "contracts/beta.yaml:1: error: invoice 2026-0002 (beta, 2026-10) was issued for net 172.40, tax 32.76, "
        "total 205.16 EUR; the books now give net 172.40, tax 27.58, total 199.98 EUR: the contract's tax, "
        "currency or prices_include_tax changed; restore it, and put a new term with a later `from:` for the new "
        "terms instead"])


@pytest.mark.slow  # an issued register first: git commits and invoice PDFs
def test_later_as_of_and_earlier_as_of_both_pass(issued):
    assert check(issued, "2027-03-01") == (0, [])
    code, problems = check(issued, "2026-10-31")     # issued after that day: not compared
    assert (code, [p for p in problems if ": error: " in p]) == (0, [])


# ------------------------------------------------------------------ tampering


def lines_of(root: Path) -> list[str]:
    return (root / "issued.yaml").read_text(encoding="utf-8").splitlines()


@pytest.mark.slow  # an issued register first: git commits and invoice PDFs
def test_edited_record_is_detected(issued):
    edit(issued, "issued.yaml", 'total: "226.88"', 'total: "206.88"')
    first = lines_of(issued).index('- number: "2026-0001"') + 1
    code, problems = check(issued)
    assert code == 1
    assert (f"issued.yaml:{first}: error: record 2026-0001 was changed after it was written: its hash does not "
            "match its fields; restore issued.yaml from git (git checkout -- issued.yaml)") in problems
    assert any(p.startswith("issued.yaml:") and "differs from the committed version" in p for p in problems)


@pytest.mark.slow  # an issued register first: git commits and invoice PDFs
def test_removed_record_is_detected(issued, tmp_path):
    assert issue(issued, "2026-11", "2026-12-01")[0] == 0
    text = lines_of(issued)
    start = text.index('- number: "2026-0002"')
    end = text.index('- number: "2026-0003"')
    (issued / "issued.yaml").write_text("\n".join(text[:start] + text[end:]) + "\n", encoding="utf-8")
    _, problems = check(issued, "2026-12-02")
    assert (f"issued.yaml:{start + 1}: error: record 2026-0003 does not follow the record before it (2026-0001): "
            "its 'previous' hash does not match, so a record was removed, reordered or edited; restore issued.yaml "
            "from git") in problems
    assert (f"issued.yaml:{start + 1}: error: number 2026-0003 is number 3 of series 'invoice/2026', but the "
            "series is at 1: the series must have no gaps and no repeats") in problems


@pytest.mark.slow  # an issued register first: git commits and invoice PDFs
def test_truncated_committed_register_is_detected(issued):
    text = lines_of(issued)
    cut = text.index('- number: "2026-0002"')
    (issued / "issued.yaml").write_text("\n".join(text[:cut]) + "\n", encoding="utf-8")
    _, problems = check(issued)
    assert f"issued.yaml:{cut + 1}: error: issued.yaml differs from the committed version from this line on: " \
           "the register is append-only, so committed records must never change or disappear; restore it with " \
           "git checkout -- issued.yaml" in problems
    assert "invoices/2026-0002.pdf:1: warning: invoice PDF without a record in issued.yaml (left by an " \
           "interrupted `hourbook issue`?); running `hourbook issue` for its period again with the same --date finishes it; an invoice PDF is never written over" in problems


@pytest.mark.slow  # an issued register first: git commits and invoice PDFs
def test_corrupt_register_is_a_located_error(issued):
    (issued / "issued.yaml").write_text('- number: "2026-0001"\n  type: [unclosed\n', encoding="utf-8")
    code, problems = check(issued)
    assert code == 1
    assert [p.split(": error: ")[0] for p in problems if "YAML syntax error" in p] == ["issued.yaml:3"]
    assert not [p for p in problems if "invoices/" in p]      # no orphan-PDF noise on an unreadable register
    (issued / "issued.yaml").write_text("- just text\n", encoding="utf-8")
    assert "issued.yaml:1: error: a register record must be a mapping of fields" in check(issued)[1]
    (issued / "issued.yaml").write_bytes(b"- \xff\n")
    assert "issued.yaml:1: error: the register is not valid UTF-8; restore it from git" in check(issued)[1]


@pytest.mark.slow  # an issued register first: git commits and invoice PDFs
def test_record_is_immutable(issued):
    record = records(issued)[0]
    with pytest.raises(AttributeError):
        record.total = Decimal(0)


# ------------------------------------------------------------------ corrections


@pytest.mark.slow  # an issued register first: git commits and invoice PDFs
def test_correction_becomes_a_credit_note_in_its_own_series(issued):
    edit(issued, "logbook/2026-11.md", "- 1h Printer driver #support\n",
         "- 1h Printer driver #support\n- expense -30.00 Backup check of 5 Oct billed twice #correction #2026-0001\n")
    assert check(issued) == (0, [])
    commit(issued, "correction")
    code, out, err = issue(issued, "2026-11", "2026-11-30")
    assert code == 0, err
    assert out.splitlines() == [
        "2026-0003      invoice  acme             2026-11  net      60.00 tax     12.60 total      72.60 EUR  "
        "invoices/2026-0003.pdf",
        "R2026-0001     credit   acme             2026-11  net     -30.00 tax     -6.30 total     -36.30 EUR  "
        "invoices/R2026-0001.pdf",
    ]
    credit = records(issued)[-1]
    assert (credit.type, credit.corrects, credit.scope, credit.seq) == ("credit", "2026-0001", "credit/2026", 1)
    commit(issued, "issue November")
    assert check(issued, "2026-12-01") == (0, [])
    # The correction is frozen too.
    edit(issued, "logbook/2026-11.md", "expense -30.00", "expense -35.00")
    assert check(issued, "2026-12-01")[1] == [
        "logbook/2026-11.md:5: error: entry changed after corrective invoice R2026-0001 (acme, 2026-11) was "
        f"issued: invoiced as billed expense -30.00 = -30.00, now billed expense -35.00 = -35.00; {HOW}"]


@pytest.mark.slow  # an issued register first: git commits and invoice PDFs
def test_correction_must_name_an_issued_invoice(issued):
    edit(issued, "logbook/2026-11.md", "- 1h Printer driver #support\n",
         "- 1h Printer driver #support\n- expense -30.00 Refund #correction\n")
    assert check(issued) == (1, [
        "logbook/2026-11.md:5: error: a #correction entry must name the invoice it corrects by its number as a "
        "tag, e.g. #2026-0001 (acme's invoices: 2026-0001)"])


# ------------------------------------------------------------------ numbering (pure)


def plan(settings: Settings, existing, kinds, day) -> list[str]:
    from hourbook.core.documents import Document
    from hourbook.core.register import plan_records

    docs = [(Document(kind, "acme", "2026-10", "2026-0001" if kind == "credit" else "", (), (), Decimal(1),
                      Decimal(0), Decimal(1), "EUR", Decimal(0), False), None) for kind in kinds]
    return [record.number for record in plan_records(docs, existing, settings, day, "0" * 40)]


def test_numbering_per_series_and_year():
    import datetime

    from hourbook.core.records import Party

    settings = Settings(seller=Party("S"))
    day = datetime.date(2026, 11, 5)
    assert plan(settings, [], ["invoice", "invoice", "credit"], day) == ["2026-0001", "2026-0002", "R2026-0001"]
    bulgarian = Settings(seller=Party("S"), number_format="{seq:010d}", credit_number_format="K{seq:09d}")
    assert plan(bulgarian, [], ["invoice", "credit"], day) == ["0000000001", "K000000001"]
    from hourbook.core.documents import Document
    from hourbook.core.register import plan_records
    doc = Document("invoice", "acme", "2026-12", "", (), (), Decimal(1), Decimal(0), Decimal(1), "EUR",
                   Decimal(0), False)
    december = plan_records([(doc, None)] * 2, [], bulgarian, datetime.date(2026, 12, 31), "0" * 40)
    january = plan_records([(doc, None)], december, bulgarian, datetime.date(2027, 1, 2), "0" * 40)
    assert [r.number for r in january] == ["0000000003"]              # no {year}: one series forever
    yearly_dec = plan_records([(doc, None)] * 2, [], settings, datetime.date(2026, 12, 31), "0" * 40)
    yearly_jan = plan_records([(doc, None)], yearly_dec, settings, datetime.date(2027, 1, 2), "0" * 40)
    assert [r.number for r in yearly_jan] == ["2027-0001"]             # {year}: a series per year
    assert register_checks.verify_register([*yearly_dec, *yearly_jan]) == []


def test_number_settings_are_checked(books):
    root = books({"hourbook.yaml": SELLER + "invoice:\n  number: '{year}-{seq}'\n  credit_number: '{year}-{seq}'\n"
                  "  exemptions:\n    acme: {category: XX}\n    beta: {category: AE}\n"})
    code, problems = check(root)
    assert problems == [
        "hourbook.yaml:11: error: invoice field 'credit_number' must differ from 'number': corrective invoices "
        "are numbered in a series of their own",
        "hourbook.yaml:13: error: unknown VAT category 'XX'; use one of E (exempt), AE (reverse charge), "
        "K (intra-community supply), G (export outside the EU), O (not subject to VAT), Z (zero rated)",
        "hourbook.yaml:14: error: exemption for 'beta' needs a note: the invoice must say why no VAT is charged "
        "(e.g. 'Reverse charge: art. 196 Directive 2006/112/EC')",
    ]


# ------------------------------------------------------------------ crashes


def run_issue(root: Path, crash: str | None = None) -> subprocess.Popen:
    env = {**os.environ, **GIT_IDENTITY}
    env.pop(register_file.CRASH_ENV, None)
    if crash:
        env[register_file.CRASH_ENV] = crash
    return subprocess.Popen([sys.executable, "-m", "hourbook", "issue", "2026-10", str(root), "--as-of",
                             "2026-11-05"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def assert_gap_free(root: Path) -> list[str]:
    """The register parses, its chain holds, its numbers have no gap and no repeat."""
    found = records(root)
    numbers = [record.number for record in found]
    assert numbers == [f"2026-{n:04d}" for n in range(1, len(numbers) + 1)]
    return numbers


@pytest.mark.slow  # crash: issue crashed at each stage, then resumed
@pytest.mark.parametrize("crash, numbers_after_crash", [
    ("after-first-pdf", []), ("after-pdfs", []), ("after-register", ["2026-0001", "2026-0002"])])
def test_crash_leaves_no_gap_and_no_duplicate(repo, crash, numbers_after_crash):
    process = run_issue(repo, crash)
    process.communicate(timeout=120)
    assert process.returncode == -signal.SIGKILL
    assert (assert_gap_free(repo) if (repo / "issued.yaml").exists() else []) == numbers_after_crash
    again = run_issue(repo)
    _, err = again.communicate(timeout=120)
    if numbers_after_crash:
        assert again.returncode == 1 and b"already issued" in err
    else:
        assert again.returncode == 0, err
    assert assert_gap_free(repo) == ["2026-0001", "2026-0002"]
    assert sorted(path.name for path in (repo / "invoices").iterdir()) == ["2026-0001.pdf", "2026-0002.pdf"]
    assert check(repo) == (0, [])


@pytest.mark.slow  # kill: issue killed mid-way
def test_killed_at_any_moment_leaves_no_gap(repo):
    for delay in (0.4, 1.0, 1.6, 2.2, 3.0):
        process = run_issue(repo)
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        process.communicate(timeout=120)
        if (repo / "issued.yaml").exists():
            assert assert_gap_free(repo) == ["2026-0001", "2026-0002"]
    final = run_issue(repo)
    final.communicate(timeout=120)
    assert assert_gap_free(repo) == ["2026-0001", "2026-0002"]
    assert not list(repo.glob(".issued.yaml.*"))


def test_due_days_are_bounded(books):
    root = books({"hourbook.yaml": SELLER + "invoice:\n  due_days: 1000000000\n"})
    assert check(root)[1] == [
        "hourbook.yaml:10: error: invoice field 'due_days': expected a number of days from 0 to 3650, "
        "got 1000000000"]
