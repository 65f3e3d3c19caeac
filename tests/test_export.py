"""Exports: priced lines as CSV; issued invoices as hledger and beancount journals that the tools accept.

The journals' totals must equal the register's. With October and November issued and a credit note
of -30.00 (see test_invoicing): EUR net 187.50 + 172.40 + 60.00 - 30.00 = 389.90,
tax 39.38 + 32.76 + 12.60 - 6.30 = 78.44, total 226.88 + 205.16 + 72.60 - 36.30 = 468.34.
"""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
import sys
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import run_cli
from test_invoicing import commit
from test_invoicing import edit
from test_invoicing import issue
from test_invoicing import repo  # noqa: F401  (fixture)

from hourbook.output import export
from hourbook.load.register import read_register

BEAN_CHECK = shutil.which("bean-check") or str(Path(sys.executable).with_name("bean-check"))


@pytest.fixture
def books_issued(repo):  # noqa: F811
    assert issue(repo)[0] == 0
    edit(repo, "logbook/2026-11.md", "- 1h Printer driver #support\n",
         "- 1h Printer driver #support\n- expense -30.00 Backup billed twice #correction #2026-0001\n")
    commit(repo, "October issued; correction")
    assert issue(repo, "2026-11", "2026-11-30")[0] == 0
    commit(repo, "November issued")
    code, out, err = run_cli("export", str(repo), "--as-of", "2026-12-01")
    assert code == 0, err
    assert out.splitlines() == [str(repo / "export" / name)
                                for name in ("lines.csv", "invoices.journal", "invoices.beancount")]
    return repo


@pytest.mark.slow  # an issued register first: git commits and invoice PDFs
def test_register_totals(books_issued):
    records, _, _ = read_register(books_issued)
    assert export.register_totals(records) == {
        "EUR": {"net": Decimal("389.90"), "tax": Decimal("78.44"), "total": Decimal("468.34")}}


@pytest.mark.slow  # an issued register first: git commits and invoice PDFs
def test_csv_rows_add_up_to_the_statements(books_issued):
    rows = list(csv.DictReader(io.StringIO((books_issued / "export" / "lines.csv").read_text(encoding="utf-8"))))
    sums = defaultdict(Decimal)
    for row in rows:
        sums[row["client"], row["period"], row["invoice"]] += Decimal(row["amount"])
    assert dict(sums) == {("acme", "2026-10", "2026-0001"): Decimal("187.50"),
                          ("beta", "2026-10", "2026-0002"): Decimal("172.40"),
                          ("acme", "2026-11", "2026-0003"): Decimal("60.00"),
                          ("acme", "2026-11", "R2026-0001"): Decimal("-30.00")}
    first = rows[0]
    assert (first["source"], first["status"], first["billed_minutes"], first["rate"], first["amount"],
            first["by"], first["tags"], first["description"]) == \
           ("logbook/2026-10.md:4", "billed", "90", "60.00", "90.00", "ana", "support", "Server migration")


@pytest.mark.slow  # validity: hledger reads the journal
def test_hledger_accepts_the_journal_and_its_totals_match(books_issued):
    hledger = shutil.which("hledger")
    if hledger is None:
        pytest.skip("hledger is not installed (apt-get install hledger)")
    journal = books_issued / "export" / "invoices.journal"
    for args in (["check"], ["check", "--strict"]):
        result = subprocess.run([hledger, "-f", str(journal), *args], capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
    result = subprocess.run([hledger, "-f", str(journal), "balance", "--flat", "--no-total", "-O", "csv",
                             "--depth", "1"], capture_output=True, text=True, check=True)
    balances = {row[0]: row[1] for row in csv.reader(io.StringIO(result.stdout)) if row[0] != "account"}
    assert balances == {"assets": "468.34 EUR", "income": "-389.90 EUR", "liabilities": "-78.44 EUR"}


@pytest.mark.slow  # an issued register first: git commits and invoice PDFs
def test_beancount_accepts_the_ledger_and_its_totals_match(books_issued):
    ledger = books_issued / "export" / "invoices.beancount"
    result = subprocess.run([BEAN_CHECK, str(ledger)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    from beancount import loader
    from beancount.core import data

    entries, errors, _ = loader.load_file(str(ledger))
    assert errors == []
    sums = defaultdict(Decimal)
    for entry in entries:
        if isinstance(entry, data.Transaction):
            for posting in entry.postings:
                sums[posting.account.split(":")[0]] += posting.units.number
    assert dict(sums) == {"Assets": Decimal("468.34"), "Income": Decimal("-389.90"),
                          "Liabilities": Decimal("-78.44")}


def test_empty_register_exports_valid_journals(repo, tmp_path):  # noqa: F811
    code, _, err = run_cli("export", str(repo), "--as-of", "2026-11-05", "--out", str(tmp_path / "out"))
    assert code == 0, err
    assert subprocess.run([BEAN_CHECK, str(tmp_path / "out" / "invoices.beancount")]).returncode == 0
    if shutil.which("hledger"):
        assert subprocess.run(["hledger", "-f", str(tmp_path / "out" / "invoices.journal"), "check"]).returncode == 0


def test_export_refuses_books_with_errors(repo, tmp_path):  # noqa: F811
    edit(repo, "logbook/2026-10.md", "- 20m Backup check", "- 2x0m Backup check")
    code, out, err = run_cli("export", str(repo), "--as-of", "2026-11-05", "--out", str(tmp_path / "out"))
    assert (code, out) == (1, "")
    assert err.splitlines()[-1] == "export stopped: 1 error, 0 warnings; nothing was written"
    assert not (tmp_path / "out").exists()


# ------------------------------------------------------------------ payments in the journals
#
# On top of `books_issued` (acme 2026-0001 226.88 and beta 2026-0002 205.16 issued 2026-11-05; acme 2026-0003
# 72.60 and the credit note R2026-0001 -36.30 correcting 2026-0001 issued 2026-11-30):
# - 2026-11-10 acme pays 100.00 of 2026-0001 (partial): 2026-0001 owes 126.88;
# - 2026-11-12 beta pays 205.16 for 2026-0002 (full): beta owes 0;
# - 2026-11-30 the credit note takes 36.30 off 2026-0001: it owes 126.88 - 36.30 = 90.58;
# - 2026-12-01 acme pays 300.00 naming no invoice: the oldest first, 90.58 to 2026-0001, 72.60 to 2026-0003,
#   and 300.00 - 90.58 - 72.60 = 136.82 is a credit on acme's account.
# Receivables: acme 226.88 + 72.60 - 36.30 - 100.00 - 300.00 = -136.82 (outstanding 0.00 - credit 136.82),
# beta 205.16 - 205.16 = 0.00; the bank holds 100.00 + 205.16 + 300.00 = 605.16.
PAYMENTS = """payments:
  - {date: 2026-11-10, invoice: 2026-0001, amount: 100.00, method: transfer, ref: "BANK-1"}
  - {date: 2026-11-12, invoice: 2026-0002, amount: 205.16, method: card, ref: "BANK-2"}
  - {date: 2026-12-01, client: acme, amount: 300.00, method: transfer, ref: "BANK-3"}
"""
RECEIVABLE = {"acme": Decimal("-136.82"), "beta": Decimal("0.00")}


@pytest.fixture
def books_paid(books_issued):
    (books_issued / "payments").mkdir()
    (books_issued / "payments" / "2026.yaml").write_text(PAYMENTS, encoding="utf-8")
    commit(books_issued, "payments received")
    code, _, err = run_cli("export", str(books_issued), "--as-of", "2026-12-01")
    assert code == 0, err
    return books_issued


def price_receivables(root: Path) -> dict[str, Decimal]:
    """hourbook's own figures: outstanding - credit per client (`price --json`)."""
    import json

    code, out, err = run_cli("price", str(root), "--as-of", "2026-12-01", "--json")
    assert code == 0, err
    return {client["id"]: Decimal(client["outstanding"]) - Decimal(client["credit"])
            for client in json.loads(out)["clients"]}


@pytest.mark.slow  # an issued register first: git commits and invoice PDFs
def test_payment_entries_follow_the_receivables(books_paid):
    import datetime  # only this test needs them

    from hourbook.pipeline import load_and_price

    priced, _ = load_and_price(books_paid, datetime.date(2026, 12, 1))
    entries = export.payment_entries(priced, read_register(books_paid)[0])
    assert [(e.payment.ref, e.client, e.parts, e.credit) for e in entries] == [
        ("BANK-1", "acme", (("2026-0001", Decimal("100.00")),), Decimal("0.00")),
        ("BANK-2", "beta", (("2026-0002", Decimal("205.16")),), Decimal("0.00")),
        ("BANK-3", "acme", (("2026-0001", Decimal("90.58")), ("2026-0003", Decimal("72.60"))), Decimal("136.82"))]


@pytest.mark.slow  # validity: hledger reads the journal
def test_hledger_receivables_after_payments_are_outstanding_minus_credit(books_paid):
    hledger = shutil.which("hledger")
    if hledger is None:
        pytest.skip("hledger is not installed (apt-get install hledger)")
    journal = books_paid / "export" / "invoices.journal"
    text = journal.read_text(encoding="utf-8")
    assert "payment:BANK-3" in text and "method:transfer" in text and "invoice:2026-0003" in text
    for args in (["check"], ["check", "--strict"]):
        result = subprocess.run([hledger, "-f", str(journal), *args], capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
    result = subprocess.run([hledger, "-f", str(journal), "balance", "--flat", "--no-total", "-O", "csv", "-E",
                             "assets:receivable", "assets:bank"], capture_output=True, text=True, check=True)
    balances = {row[0]: Decimal(row[1].split()[0] if row[1] != "0" else "0")
                for row in csv.reader(io.StringIO(result.stdout)) if row[0] != "account"}
    assert balances == {"assets:bank": Decimal("605.16"), "assets:receivable:acme": RECEIVABLE["acme"],
                        "assets:receivable:beta": RECEIVABLE["beta"]}
    assert price_receivables(books_paid) == RECEIVABLE


@pytest.mark.slow  # an issued register first: git commits and invoice PDFs
def test_beancount_receivables_after_payments_are_outstanding_minus_credit(books_paid):
    ledger = books_paid / "export" / "invoices.beancount"
    result = subprocess.run([BEAN_CHECK, str(ledger)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    from beancount import loader
    from beancount.core import data

    entries, errors, _ = loader.load_file(str(ledger))
    assert errors == []
    sums = defaultdict(Decimal)
    for entry in entries:
        if isinstance(entry, data.Transaction):
            for posting in entry.postings:
                sums[posting.account] += posting.units.number
    assert sums["Assets:Bank"] == Decimal("605.16")
    assert {client: sums[f"Assets:Receivable:{client.capitalize()}"] for client in RECEIVABLE} == RECEIVABLE
    assert price_receivables(books_paid) == RECEIVABLE
    payment = next(e for e in entries if isinstance(e, data.Transaction) and e.meta.get("ref") == "BANK-3")
    assert payment.meta["method"] == "transfer"
    assert [p.meta.get("invoice") for p in payment.postings] == [None, "2026-0001", "2026-0003", None]


def test_a_payment_before_any_invoice_is_a_credit_both_tools_accept(tmp_path):
    """A client pays 50.00 before anything is invoiced: the bank +50.00, its receivable -50.00 (all credit),
    and the journals declare the accounts and the commodity without any register record. The ref holds a
    comma, a semicolon and a line break, which must stay inside the tag or string."""
    import datetime  # only this test needs them

    from hourbook.core.records import Payment
    from hourbook.core.records import Source

    payment = Payment(date=datetime.date(2026, 11, 3), amount=Decimal("50.00"), source=Source("payments/a.yaml", 2),
                      client="acme", method="cash", ref="R-1, x; y\nz")
    entry = export.PaymentEntry(payment, "acme", "EUR", (), Decimal("50.00"))
    names = {"acme": "ACME"}
    (tmp_path / "p.journal").write_text(export.hledger_journal([], names, [entry]), encoding="utf-8")
    (tmp_path / "p.beancount").write_text(export.beancount_journal([], names, [entry]), encoding="utf-8")
    result = subprocess.run([BEAN_CHECK, str(tmp_path / "p.beancount")], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    from beancount import loader

    entries, errors, _ = loader.load_file(str(tmp_path / "p.beancount"))
    assert errors == []
    assert [(p.account, p.units.number) for p in entries[-1].postings] == [
        ("Assets:Bank", Decimal("50.00")), ("Assets:Receivable:Acme", Decimal("-50.00"))]
    hledger = shutil.which("hledger")
    if hledger is None:
        pytest.skip("hledger is not installed (apt-get install hledger)")
    result = subprocess.run([hledger, "-f", str(tmp_path / "p.journal"), "check", "--strict"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    result = subprocess.run([hledger, "-f", str(tmp_path / "p.journal"), "balance", "--flat", "--no-total",
                             "-O", "csv"], capture_output=True, text=True, check=True)
    assert [row for row in csv.reader(io.StringIO(result.stdout))][1:] == [
        ["assets:bank", "50.00 EUR"], ["assets:receivable:acme", "-50.00 EUR"]]
