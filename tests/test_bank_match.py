"""`hourbook payments match FILE`: bank statements (camt.053, CSV) -> proposed payment records.

The books are those of tests/test_invoicing.py, with October and November issued:
  2026-0001 acme 2026-10 total 226.88 EUR; 2026-0002 beta 2026-10 total 205.16 EUR;
  2026-0003 acme 2026-11 total 72.60 EUR.
The statements are tests/bank/statement-v08.xml and tests/bank/statement.csv; each test says
what every line is expected to match, and why (figures by hand).
"""

from __future__ import annotations

import datetime
import re
import shlex
import shutil
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import run_cli
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from test_invoicing import BOOKS
from test_invoicing import GIT_IDENTITY
from test_invoicing import commit
from test_invoicing import make_repo

from hourbook.core.matching import BankLine
from hourbook.core.matching import client_by_name
from hourbook.core.matching import match_lines
from hourbook.core.matching import number_pattern
from hourbook.core.records import Source
from hourbook.core.register import IssuedRecord
from hourbook.load.yaml_reader import parse_yaml
from hourbook.output.payment_proposals import yaml_text

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
#   {path}:60: 2026-12-05 99.00 EUR from "Unknown Trading Ltd" "Order 5521" (ref BK-1005): no issued invoice's number in the text, payer not a client, no open invoice of this amount
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
#   {path}:6: 2026-12-09 1234.56 EUR from "Nobody" "Spende" (ref C-5): no issued invoice's number in the text, payer not a client, no open invoice of this amount
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


CAMT_02 = """\
<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">
  <BkToCstmrStmt>
    <Stmt>
      <Acct><Id><IBAN>ES9121000418450200051332</IBAN></Id><Ccy>EUR</Ccy></Acct>
      <Ntry>
        <Amt Ccy="EUR">72.60</Amt>
        <CdtDbtInd>CRDT</CdtDbtInd>
        <Sts>BOOK</Sts>
        <BookgDt><DtTm>2026-12-10T09:30:00</DtTm></BookgDt>
        <NtryDtls><TxDtls>
          <Refs><EndToEndId>E2E-9</EndToEndId></Refs>
          <RltdPties><Dbtr><Nm>Acme Industries</Nm></Dbtr></RltdPties>
          <RmtInf><Ustrd>inv. 2026-0003</Ustrd></RmtInf>
        </TxDtls></NtryDtls>
      </Ntry>
      <Ntry>
        <Amt Ccy="EUR">{batch_total}</Amt>
        <CdtDbtInd>CRDT</CdtDbtInd>
        <Sts>BOOK</Sts>
        <ValDt><Dt>2026-12-11</Dt></ValDt>
        <AcctSvcrRef>BATCH-5</AcctSvcrRef>
        <NtryDtls>
          <TxDtls><AmtDtls><TxAmt><Amt Ccy="EUR">226.88</Amt></TxAmt></AmtDtls>
            <RmtInf><Ustrd>2026-0001</Ustrd></RmtInf></TxDtls>
          <TxDtls><AmtDtls><TxAmt><Amt Ccy="EUR">205.16</Amt></TxAmt></AmtDtls>
            <RmtInf><Ustrd>2026-0002</Ustrd></RmtInf></TxDtls>
        </NtryDtls>
      </Ntry>
    </Stmt>
  </BkToCstmrStmt>
</Document>
"""


def test_camt_053_001_02_and_batch_entries(books, tmp_path):
    # .02: <Sts>BOOK</Sts>, Dbtr/Nm, a DtTm booking date; EndToEndId is the ref when the bank gives none.
    # A batch entry of 226.88 + 205.16 = 432.04: one line per transaction, refs BATCH-5/1 and BATCH-5/2.
    statement = tmp_path / "camt02.xml"
    statement.write_text(CAMT_02.replace("{batch_total}", "432.04"), encoding="utf-8")
    code, out, err = match(books, statement)
    assert code == 0, err
    assert out.splitlines()[2:] == [
        "  - {date: 2026-12-10, invoice: 2026-0003, amount: 72.60, method: transfer, ref: E2E-9}   "
        "# number in the text; pays it in full",
        "  - {date: 2026-12-11, invoice: 2026-0001, amount: 226.88, method: transfer, ref: BATCH-5/1}   "
        "# number in the text; pays it in full",
        "  - {date: 2026-12-11, invoice: 2026-0002, amount: 205.16, method: transfer, ref: BATCH-5/2}   "
        "# number in the text; pays it in full"]


# ------------------------------------------------------------------ bad input: located errors, exit 1


@pytest.mark.parametrize("name, text, flags, expected", [
    ("not-xml.xml", "<Document><Stmt>\n</Document>\n", (),
     "{path}:2: error: not well-formed XML: Opening and ending tag mismatch: Stmt line 1 and Document"),
    ("camt054.xml", '<?xml version="1.0"?>\n<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.08"/>\n', (),
     "{path}:2: error: not a camt.053 bank statement: expected <Document> in "
     "urn:iso:std:iso:20022:tech:xsd:camt.053.001.NN, got <Document> in urn:iso:std:iso:20022:tech:xsd:camt.054.001.08"),
    ("bad-amount.xml", CAMT_02.replace("{batch_total}", "4x2.04"), (),
     "{path}:18: error: amount must be a number like 226.88, got '4x2.04'"),
    ("bad-amount.csv", "Date,Amount,Description\n2026-12-01,12.00,ok\n2026-12-02,\"12,50\",no\n", (),
     "{path}:3: error: amount must be a number like 226.88, got '12,50' "
     "(give --decimal-comma for amounts like 1.234,56)"),
    ("bad-date.csv", "Date,Amount,Description\n01/12/2026,12.00,ok\n", (),
     "{path}:2: error: date '01/12/2026' does not match --date-format %Y-%m-%d"),
    ("no-column.csv", "Datum;Betrag\n", (),
     "{path}:1: error: no date column 'Date' in the CSV header; its columns are 'Datum', 'Betrag' "
     "(give --date-column NAME or NUMBER)"),
    ("latin1.csv", "Date,Amount,Description\n2026-12-01,12.00,Zahlung f\xfcr\n", (),
     "{path}:2: error: the CSV is not utf-8 text; give its encoding with --encoding (e.g. cp1252)"),
    ("cents.csv", "Date,Amount,Description\n2026-12-01,12.345,ok\n", (),
     "{path}:2: error: amount 12.345 has more decimals than EUR has (2)"),
    ("empty.csv", "", (), "{path}:1: error: the CSV is empty: expected a header line, then one row per bank line"),
])
def test_bad_statements_are_located_errors(books, tmp_path, name, text, flags, expected):
    statement = tmp_path / name
    statement.write_bytes(text.encode("latin-1" if name == "latin1.csv" else "utf-8"))
    code, out, err = match(books, statement, *flags)
    assert (code, out) == (1, "")
    assert err.splitlines() == [expected.replace("{path}", str(statement)),
                                "payments match stopped: nothing was proposed"]


def test_a_missing_statement_and_a_missing_books_folder(books, tmp_path):
    code, out, err = match(books, tmp_path / "nope.xml")
    assert (code, out) == (1, "")
    assert err.splitlines()[0] == f"{tmp_path / 'nope.xml'}:1: error: cannot read the statement: No such file or directory"
    assert match(tmp_path / "no-books", HERE / "statement.csv")[0] == 2
    assert match(books, tmp_path)[2].splitlines()[0] == f"{tmp_path}:1: error: the statement is not a file: give the exported file"


def test_xml_entities_are_not_expanded(books, tmp_path):
    # An external entity (XXE) must not be read into the remittance text.
    statement = tmp_path / "xxe.xml"
    statement.write_text(CAMT_02.replace("{batch_total}", "432.04").replace(
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<?xml version="1.0"?>\n<!DOCTYPE Document [<!ENTITY x SYSTEM "file:///etc/passwd">]>').replace(
        "inv. 2026-0003", "&x; 2026-0003"), encoding="utf-8")
    code, out, _ = match(books, statement)
    assert code == 0 and "root:" not in out


# ------------------------------------------------------------------ the matcher alone


def line(amount: str, text: str = "", payer: str = "", ref: str = "", currency: str = "EUR") -> BankLine:
    return BankLine(datetime.date(2026, 12, 1), Decimal(amount), currency, text, ref, payer, Source("s.csv", 2))


def test_number_in_text_not_inside_a_longer_number():
    pattern = number_pattern("2026-0001")
    assert pattern.search("Invoice 2026-0001.") and pattern.search("RE20260001 x") is None
    assert pattern.search("inv 2026 0001") and pattern.search("2026/0001") and pattern.search("2026-00012") is None
    assert pattern.search("12026-0001") is None


def test_payer_names_without_legal_forms_and_accents():
    names = {"acme": "ACME Industries S.L.", "beta": "Beta GmbH", "cafe": "Café Müller"}
    assert client_by_name("ACME INDUSTRIES SL", names) == "acme"
    assert client_by_name("Acme Industries, S.L.U.", names) == "acme"
    assert client_by_name("CAFE MULLER", names) == "cafe"
    assert client_by_name("Acme", names) == ""            # not every word of the contract's name
    assert client_by_name("", names) == ""


def test_several_numbers_of_one_client_pay_the_client():
    # 226.88 + 72.60 = 299.48 for 2026-0001 and 2026-0003, both acme's: a client payment, oldest first.
    records = [issued("2026-0001", "acme", "226.88"), issued("2026-0002", "beta", "205.16"),
               issued("2026-0003", "acme", "72.60")]
    both, mixed, dollars = match_lines([line("299.48", "2026-0001 + 2026-0003"), line("432.04", "2026-0001, 2026-0002"),
                                        line("72.60", "2026-0003", currency="USD")], records, CLIENTS)
    assert (both.client, both.invoice, both.invoices) == ("acme", "", ("2026-0001", "2026-0003"))
    assert mixed.skipped == "it names invoices of several clients: 2026-0001, 2026-0002"
    assert dollars.skipped == "it names 2026-0003 in EUR, but is in USD"


# ------------------------------------------------------------------ the law: every credit is accounted for once


CLIENTS = {"acme": "ACME Industries S.L.", "beta": "Beta GmbH", "gamma": "Gamma Ltd"}


def issued(number: str, client: str, total: str, currency: str = "EUR") -> IssuedRecord:
    return IssuedRecord(number=number, type="invoice", corrects="", scope="invoice/2026", seq=1, client=client,
                        period="2026-10", issued=datetime.date(2026, 11, 2), currency=currency, rate=Decimal(21),
                        net=Decimal(total), tax=Decimal(0), total=Decimal(total), content="", commit="", pdf="",
                        lines=(), previous="")


amounts = st.sampled_from(["10.00", "72.60", "100.00", "205.16", "226.88", "0.01"])
invoices = st.lists(st.tuples(st.sampled_from(sorted(CLIENTS)), amounts, st.sampled_from(["EUR", "USD"])),
                    max_size=6)
bank_lines = st.lists(st.tuples(amounts, st.integers(0, 8), st.sampled_from(["", *CLIENTS.values(), "Nobody"]),
                                st.sampled_from(["", "R1", "R2", "R3"]), st.sampled_from(["EUR", "EUR", "USD"])),
                      max_size=8)


@hypothesis_settings(max_examples=200, deadline=None)
@given(invoices, bank_lines, st.frozensets(st.sampled_from(["R1", "R2"])))
def test_every_credit_line_is_proposed_or_said_why_exactly_once(invoice_specs, line_specs, known_refs):
    records = [issued(f"2026-{index + 1:04d}", client, total, currency)
               for index, (client, total, currency) in enumerate(invoice_specs)]
    lines = [line(amount, f"Invoice 2026-{number:04d}" if number else "thanks", payer, ref, currency)
             for amount, number, payer, ref, currency in line_specs]
    proposals = match_lines(lines, records, CLIENTS, known_refs)
    # One proposal per line, in order: proposed, or left out with a reason, never both.
    assert [proposal.line for proposal in proposals] == lines
    assert all(proposal.matched != bool(proposal.skipped) for proposal in proposals)
    # A line naming one issued invoice, in its currency, with a new ref, pays that invoice.
    seen = set(known_refs)
    for proposal, (_, number, _, ref, currency) in zip(proposals, line_specs):
        fresh = not ref or ref not in seen
        seen.add(ref)
        if number and number <= len(records) and fresh and records[number - 1].currency == currency:
            assert proposal.invoice == records[number - 1].number, proposal
    # A ref already in payments/, or on an earlier line, is never proposed again.
    proposed_refs = [p.line.ref for p in proposals if p.matched and p.line.ref]
    assert len(proposed_refs) == len(set(proposed_refs)) and not set(proposed_refs) & known_refs
    # A proposed invoice is an issued one, of the client named, in the line's currency.
    by_number = {record.number: record for record in records}
    for proposal in proposals:
        if proposal.matched:
            assert proposal.client in CLIENTS
            if proposal.invoice:
                record = by_number[proposal.invoice]
                assert (record.client, record.currency) == (proposal.client, proposal.line.currency)


# ------------------------------------------------------------------ docs/payments.md's examples are these tests

DOCS = Path(__file__).parent.parent / "docs" / "payments.md"


def docs_blocks(language: str) -> list[str]:
    text = DOCS.read_text(encoding="utf-8").split("## Bank statements", 1)[1]
    return re.findall(rf"```{language}\n(.*?)```", text, re.DOTALL)


def test_the_docs_camt_example_is_what_the_command_prints(books, tmp_path):
    statement = tmp_path / "camt053-2026-12.xml"
    shutil.copy(HERE / "statement-v08.xml", statement)
    code, out, _ = match(books, statement)
    assert code == 0
    assert out.replace(str(statement), statement.name) == docs_blocks("yaml")[0]


def test_the_docs_csv_command_gives_the_table_of_the_docs(books):
    command = shlex.split(docs_blocks("sh")[1].replace("\\\n", " "))
    assert command[:3] == ["hourbook", "payments", "match"]
    assert tuple(command[4:]) == CSV_FLAGS            # test_csv_with_a_column_mapping pins what they give


def test_corrective_invoices_change_what_is_owed():
    # 2026-0001 226.88, corrected by R2026-0001 of -54.45: 226.88 - 54.45 = 172.43 owed, so a payment
    # of 172.43 without a number is matched by amount; R2026-0002 adds 60.00 and is paid by its number.
    records = [issued("2026-0001", "acme", "226.88"),
               replace(issued("R2026-0001", "acme", "-54.45"), type="credit", corrects="2026-0001"),
               replace(issued("R2026-0002", "acme", "60.00"), type="credit", corrects="2026-0001")]
    first, second = match_lines([line("172.43", "thanks"), line("60.00", "R2026-0002")], records, CLIENTS)
    assert (first.invoice, first.how) == ("2026-0001", "amount: 2026-0001 (acme) is the one open invoice owed 172.43")
    assert (second.invoice, second.how) == ("R2026-0002", "number in the text; pays it in full")


def test_books_without_invoices_match_clients_by_name(tmp_path):
    # No issued.yaml: ACME INDUSTRIES SL's 226.88 (BK-1001) goes to acme and Beta GmbH's 100.00 (BK-1002) to
    # beta, by the payers' names; J. Smith and Unknown Trading Ltd are no client's.
    root = tmp_path / "books"
    root.mkdir()
    for rel, text in BOOKS.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    code, out, err = match(root, HERE / "statement-v08.xml")
    assert code == 0
    assert parse_yaml(out)["payments"] == [
        {"date": datetime.date(2026, 12, 2), "client": "acme", "amount": Decimal("226.88"), "method": "transfer",
         "ref": "BK-1001"},
        {"date": datetime.date(2026, 12, 3), "client": "beta", "amount": Decimal("100.00"), "method": "transfer",
         "ref": "BK-1002"}]
    assert err.splitlines() == [
        "hourbook: note: no invoice has been issued (issued.yaml): lines can only be matched to a client by the "
        "payer's name", "4 credit lines: 2 proposed, 2 not"]


@hypothesis_settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp"),
                                      blacklist_characters="\x85\ufeff"), max_size=20))
def test_a_proposed_value_reads_back_as_itself(value):
    # A ref, invoice number or client id is written plain only when hourbook's YAML reads it back the same.
    assert parse_yaml(f"- {{ref: {yaml_text(value)}, amount: 1.00}}\n") == [{"ref": value, "amount": Decimal("1.00")}]


def test_a_client_payment_in_payments_pays_the_oldest_invoice_first(books):
    # payments/ has 226.88 from acme without a number: it pays 2026-0001 (the oldest) in full, so
    # BK-1001, naming 2026-0001, is 226.88 more than is owed, and BK-1004's 72.60 still goes by amount to
    # 2026-0003. With 300.00 instead: 226.88 to 2026-0001, and 300.00 - 226.88 = 73.12 >= 72.60 pays 2026-0003
    # too, so nothing is owed 72.60 and BK-1004 is not proposed.
    (books / "payments").mkdir()
    path = books / "payments" / "acme.yaml"
    path.write_text("payments:\n  - {date: 2026-12-01, client: acme, amount: 226.88}\n", encoding="utf-8")
    out = match(books, HERE / "statement-v08.xml")[1]
    assert "ref: BK-1001}   # number in the text; pays 226.88 more than is owed (0.00)" in out
    assert "ref: BK-1004}   # amount: 2026-0003 (acme) is the one open invoice owed 72.60" in out
    path.write_text("payments:\n  - {date: 2026-12-01, client: acme, amount: 300.00}\n", encoding="utf-8")
    out = match(books, HERE / "statement-v08.xml")[1]
    assert "(ref BK-1004): no issued invoice's number in the text, payer not a client, no open invoice" in out


def test_a_proposed_client_payment_counts_for_the_lines_after_it():
    # Beta GmbH pays 102.58, 102.58, 205.16 without a number. The first goes to beta (no invoice is owed
    # 102.58) and leaves 205.16 - 102.58 = 102.58 on 2026-0002, so the second pays 2026-0002 by amount;
    # then nothing is owed, and the third goes to the client, not to 2026-0002 again.
    records = [issued("2026-0002", "beta", "205.16")]
    first, second, third = match_lines([line("102.58", payer="Beta GmbH"), line("102.58", payer="Beta GmbH"),
                                        line("205.16", payer="Beta GmbH")], records, CLIENTS)
    assert [(p.client, p.invoice) for p in (first, second, third)] == [("beta", ""), ("beta", "2026-0002"),
                                                                        ("beta", "")]
