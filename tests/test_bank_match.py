"""`hourbook payments match FILE`: bank statements (camt.053, CSV) -> proposed payment records.

The books are those of tests/test_invoicing.py, with October and November issued:
  2026-0001 acme 2026-10 total 226.88 EUR; 2026-0002 beta 2026-10 total 205.16 EUR;
  2026-0003 acme 2026-11 total 72.60 EUR.
The statements are tests/bank/statement-v08.xml and tests/bank/statement.csv; each test says
what every line is expected to match, and why (figures by hand).
"""

from __future__ import annotations

import datetime
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import run_cli
from test_invoicing import BOOKS
from test_invoicing import GIT_IDENTITY
from test_invoicing import commit
from test_invoicing import make_repo

from hourbook.core.matching import BankLine
from hourbook.core.matching import client_by_name
from hourbook.core.matching import match_lines
from hourbook.core.matching import number_pattern
from hourbook.core.records import Source
from hourbook.load.yaml_reader import parse_yaml

HERE = Path(__file__).parent / "bank"


@pytest.fixture(scope="module")
def issued_books(tmp_path_factory) -> Path:
    """The books with 2026-0001..0003 issued and committed (made once: issuing writes PDFs)."""
    root = tmp_path_factory.mktemp("bank") / "books"
    with pytest.MonkeyPatch.context() as patch:
        for key, value in GIT_IDENTITY.items():
            patch.setenv(key, value)
        make_repo(root, BOOKS)
        assert run_cli("issue", "2026-10", str(root), "--as-of", "2026-11-05")[0] == 0
        commit(root, "issue October")
        assert run_cli("issue", "2026-11", str(root), "--as-of", "2026-12-01")[0] == 0
        commit(root, "issue November")
    return root


@pytest.fixture
def books(issued_books, tmp_path) -> Path:
    """A copy, so a test may add payments/ without the others seeing it."""
    root = tmp_path / "books"
    shutil.copytree(issued_books, root, symlinks=True)
    return root


def match(books: Path, statement: Path | str, *flags: str) -> tuple[int, str, str]:
    return run_cli("payments", "match", str(statement), str(books), *flags)


# camt.053.001.08, by hand:
#   BK-1001 226.88 "Factura 2026-0001 …"      -> 2026-0001 by number, 226.88 of 226.88: paid in full
#   BK-1002 100.00 Strd Ref "RE 20260002"      -> 2026-0002 by number (dash dropped), 205.16 - 100.00 = 105.16 left
#   BK-1003  50.00 DBIT                        -> money out: not a line at all
#   BK-1004  72.60 "November support", J. Smith -> no number, payer unknown; open now: 2026-0002 105.16,
#                                                 2026-0003 72.60 -> the one invoice owed 72.60 is 2026-0003
#   BK-1005  99.00 "Order 5521"                -> nothing owed 99.00: not proposed
#   BK-1006 205.16 Sts PDNG                    -> not booked: not a line
CAMT_YAML = """\
# Proposed by `hourbook payments match statement-v08.xml`: check each record, then save it under payments/.
payments:
  - {date: 2026-12-02, invoice: 2026-0001, amount: 226.88, method: transfer, ref: BK-1001}   # number in the text; pays it in full
  - {date: 2026-12-03, invoice: 2026-0002, amount: 100.00, method: transfer, ref: BK-1002}   # number in the text; part payment, 105.16 left
  - {date: 2026-12-04, invoice: 2026-0003, amount: 72.60, method: transfer, ref: BK-1004}   # amount: 2026-0003 (acme) is the one open invoice owed 72.60
# Not proposed (credit lines of the statement):
#   {path}:60: 2026-12-05 99.00 EUR from "Unknown Trading Ltd" "Order 5521" (ref BK-1005): no invoice number, payer unknown, and no open invoice of this amount
"""


def test_camt_053_matched_by_number_by_amount_and_unmatched(books):
    statement = HERE / "statement-v08.xml"
    code, out, err = match(books, statement)
    assert code == 0, err
    assert out == CAMT_YAML.replace("{path}", str(statement))
    assert err == "4 credit lines: 3 proposed, 1 not\n"
    # What it proposes reads back as SPEC §8 payments records, amounts as Decimal.
    records = parse_yaml(out)["payments"]
    assert [(r["invoice"], r["amount"], r["ref"]) for r in records] == [
        ("2026-0001", Decimal("226.88"), "BK-1001"), ("2026-0002", Decimal("100.00"), "BK-1002"),
        ("2026-0003", Decimal("72.60"), "BK-1004")]
    assert records[0]["date"] == datetime.date(2026, 12, 2)


def test_it_never_edits_the_books(books):
    before = sorted((p.relative_to(books), p.read_bytes()) for p in books.rglob("*")
                    if p.is_file() and ".git" not in p.parts and ".hourbook-cache" not in p.parts)
    assert match(books, HERE / "statement-v08.xml")[0] == 0
    after = sorted((p.relative_to(books), p.read_bytes()) for p in books.rglob("*")
                   if p.is_file() and ".git" not in p.parts and ".hourbook-cache" not in p.parts)
    assert after == before


def test_lines_already_in_payments_are_skipped_and_part_payments_counted(books):
    # payments/ records BK-1001 already, and 205.16 - 105.16 = 100.00 of 2026-0002 paid by hand (no ref).
    (books / "payments" / "2026").mkdir(parents=True)
    (books / "payments" / "2026" / "december.yaml").write_text(
        "payments:\n"
        "  - {date: 2026-12-02, invoice: 2026-0001, amount: 226.88, method: transfer, ref: BK-1001}\n"
        "  - {date: 2026-12-01, invoice: \"2026-0002\", amount: 105.16}\n", encoding="utf-8")
    code, out, _ = match(books, HERE / "statement-v08.xml")
    assert code == 0
    # BK-1002 now pays 100.00 of the 100.00 left: in full.
    assert "ref: BK-1002}   # number in the text; pays it in full" in out
    assert "BK-1001): its ref BK-1001 is already in payments/" in out
    assert "invoice: 2026-0001" not in out


# CSV, German style (; --decimal-comma, dd.mm.yyyy), by hand:
#   C-1 226.88 "Invoice 2026/0001"             -> 2026-0001 by number (slash for dash), in full
#   C-2 -1450.00                                -> debit: left out
#   C-3 205.16 "Zahlung", Beta GmbH             -> payer is beta; beta's one open invoice of 205.16 is 2026-0002
#   C-4  10.00 "Danke", BETA GMBH               -> payer is beta; nothing of beta owed 10.00 now: paid to the client
#   C-5 1234.56 "Spende", Nobody                -> not proposed
CSV_YAML = """\
# Proposed by `hourbook payments match statement.csv`: check each record, then save it under payments/.
payments:
  - {date: 2026-12-05, invoice: 2026-0001, amount: 226.88, method: transfer, ref: C-1}   # number in the text; pays it in full
  - {date: 2026-12-07, invoice: 2026-0002, amount: 205.16, method: transfer, ref: C-3}   # payer 'Beta GmbH' is beta, and 2026-0002 is owed 205.16
  - {date: 2026-12-08, client: beta, amount: 10.00, method: transfer, ref: C-4}   # payer 'BETA GMBH' is beta; no single open invoice of 10.00: oldest open invoice first
# Not proposed (credit lines of the statement):
#   {path}:6: 2026-12-09 1234.56 EUR from "Nobody" "Spende" (ref C-5): no invoice number, payer unknown, and no open invoice of this amount
"""
CSV_FLAGS = ("--date-column", "Buchungstag", "--amount-column", "Betrag", "--text-column", "Verwendungszweck",
             "--payer-column", "Auftraggeber", "--ref-column", "Referenz", "--decimal-comma",
             "--date-format", "%d.%m.%Y")


def test_csv_with_a_column_mapping(books):
    statement = HERE / "statement.csv"
    code, out, err = match(books, statement, *CSV_FLAGS)
    assert code == 0, err
    assert out == CSV_YAML.replace("{path}", str(statement))
    assert err == "4 credit lines: 3 proposed, 1 not\n"
