"""Payments (issue 14, items 1, 2 and 9): reading payments/, checking them, applying them to issued invoices.

The figures are worked by hand in the comments; docs/payments.md shows the same examples
(`test_docs_example` restates them). `core.receivables` is pure: most tests give it register
records and payments directly; the located diagnostics come from books written to a folder.
"""

from __future__ import annotations

import datetime
import json
from decimal import Decimal
from pathlib import Path

from conftest import write_books
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st
from lxml import etree

from hourbook.checks.payments import check_payments
from hourbook.core.receivables import CREDITED
from hourbook.core.receivables import OPEN
from hourbook.core.receivables import OVERDUE
from hourbook.core.receivables import PAID
from hourbook.core.receivables import PART_PAID
from hourbook.core.receivables import make_receivables
from hourbook.core.records import Payment
from hourbook.core.records import Source
from hourbook.core.register import IssuedRecord
from hourbook.load.books import load_books
from hourbook.load.listing import BOOKS_PARTS
from hourbook.output.json import client_json
from hourbook.output.json import client_text
from hourbook.output.json import json_text
from hourbook.output.json import priced_json

D = Decimal
day = datetime.date.fromisoformat
DOCS = Path(__file__).resolve().parent.parent / "docs" / "payments.md"


def record(number: str, client: str, issued: str, total: str, *, kind: str = "invoice", corrects: str = "",
           currency: str = "EUR", period: str = "2026-10") -> IssuedRecord:
    """A register record with what receivables read: number, client, date, total, type."""
    return IssuedRecord(number=number, type=kind, corrects=corrects, scope=f"{kind}/2026",
                        seq=int(number.rsplit("-", 1)[-1]), client=client, period=period, issued=day(issued),
                        currency=currency, rate=D(21), net=D(total), tax=D(0), total=D(total), content="",
                        commit="", pdf=f"invoices/{number}.pdf", lines=(), previous="")


def payment(date: str, amount: str, *, invoice: str = "", client: str = "", line: int = 2, ref: str = "",
            currency: str = "") -> Payment:
    return Payment(date=day(date), amount=D(amount), source=Source("payments/2026.yaml", line),
                   invoice=invoice, client=client, ref=ref, currency=currency)


def states(records, payments, as_of: str, due_days: int = 14):
    receivables = make_receivables(records, payments, {"acme": due_days, "beta": due_days}, day(as_of))
    return receivables, {invoice.record.number: invoice for c in receivables.clients for invoice in c.invoices}


# ---------------------------------------------------------------- the states, by hand

INVOICE_1 = record("2026-0001", "acme", "2026-11-02", "72.60")     # due 2026-11-02 + 14 days = 2026-11-16


def test_paid_in_full():
    _, found = states([INVOICE_1], [payment("2026-11-10", "72.60", invoice="2026-0001")], "2026-12-03")
    invoice = found["2026-0001"]
    assert (invoice.state, invoice.paid, invoice.outstanding, invoice.days_overdue) == (PAID, D("72.60"), 0, 0)
    assert invoice.due == day("2026-11-16") and invoice.settled == day("2026-11-10")


def test_open_then_part_paid_before_the_due_date():
    # Nothing paid by 2026-11-05: open. 50.00 paid on 11-10: 72.60 - 50.00 = 22.60 left, due 11-16 not passed.
    _, found = states([INVOICE_1], [], "2026-11-05")
    assert (found["2026-0001"].state, found["2026-0001"].outstanding) == (OPEN, D("72.60"))
    _, found = states([INVOICE_1], [payment("2026-11-10", "50.00", invoice="2026-0001")], "2026-11-12")
    assert (found["2026-0001"].state, found["2026-0001"].outstanding) == (PART_PAID, D("22.60"))


def test_late_overdue_by_days():
    # SPEC §8's example: due 2026-11-16; as of 2026-12-03 that is 14 days of November + 3 = 17 days overdue.
    receivables, found = states([INVOICE_1], [payment("2026-11-10", "50.00", invoice="2026-0001")], "2026-12-03")
    invoice = found["2026-0001"]
    assert (invoice.state, invoice.days_overdue, invoice.paid, invoice.outstanding) == (OVERDUE, 17, D("50.00"),
                                                                                          D("22.60"))
    assert receivables.outstanding() == {"EUR": D("22.60")}
    # The due day itself is not overdue: as of 11-16, still part paid.
    _, found = states([INVOICE_1], [payment("2026-11-10", "50.00", invoice="2026-0001")], "2026-11-16")
    assert found["2026-0001"].state == PART_PAID


def test_overpaid_credit_goes_to_the_next_invoice():
    # 100.00 owed, 130.00 paid: 30.00 credit. Invoice 2 (50.00, 2026-12-01) takes the 30.00 on its issue day:
    # 50.00 - 30.00 = 20.00 left; due 12-15, so as of 12-03 it is part paid. The credit is then 0.
    records = [record("2026-0001", "acme", "2026-11-02", "100.00"), record("2026-0002", "acme", "2026-12-01", "50.00")]
    pays = [payment("2026-11-10", "130.00", invoice="2026-0001")]
    receivables, found = states(records[:1], pays, "2026-11-30")
    assert found["2026-0001"].state == PAID and receivables.client("acme").credit == D("30.00")
    receivables, found = states(records, pays, "2026-12-03")
    second = found["2026-0002"]
    assert (second.state, second.paid, second.outstanding) == (PART_PAID, D("30.00"), D("20.00"))
    assert [(p.amount, p.date, p.from_credit) for p in second.payments] == [(D("30.00"), day("2026-12-01"), True)]
    assert receivables.client("acme").credit == 0 and receivables.client("acme").outstanding == D("20.00")


def test_paid_by_client_oldest_first():
    # acme owes 40.00 (11-02) and 60.00 (11-20, due 12-04); beta's 99.00 is not acme's. 70.00 from acme on 12-01:
    # 40.00 pays the oldest, 30.00 the next: 60.00 - 30.00 = 30.00 left, as of 12-03 not yet due.
    records = [record("2026-0002", "acme", "2026-11-20", "60.00"), record("2026-0001", "acme", "2026-11-02", "40.00"),
               record("2026-0003", "beta", "2026-11-02", "99.00")]
    receivables, found = states(records, [payment("2026-12-01", "70.00", client="acme")], "2026-12-03")
    assert (found["2026-0001"].state, found["2026-0001"].paid) == (PAID, D("40.00"))
    assert (found["2026-0002"].state, found["2026-0002"].outstanding) == (PART_PAID, D("30.00"))
    # beta's, due 11-16, is 17 days overdue and untouched.
    assert (found["2026-0003"].state, found["2026-0003"].days_overdue, found["2026-0003"].paid) == (OVERDUE, 17, 0)
    assert receivables.outstanding() == {"EUR": D("129.00")}    # 30.00 + 99.00


def test_same_day_invoices_by_number():
    records = [record("2026-0005", "acme", "2026-11-02", "10.00"), record("2026-0004", "acme", "2026-11-02", "10.00")]
    _, found = states(records, [payment("2026-11-03", "10.00", client="acme")], "2026-11-03")
    assert found["2026-0004"].state == PAID and found["2026-0005"].state == OPEN


def test_credited_fully_and_in_part():
    note = record("2026-R-0001", "acme", "2026-11-05", "-100.00", kind="credit", corrects="2026-0001")
    invoice = record("2026-0001", "acme", "2026-11-02", "100.00")
    _, found = states([invoice, note], [], "2026-12-03")
    assert (found["2026-0001"].state, found["2026-0001"].credited, found["2026-0001"].outstanding) == (
        CREDITED, D("100.00"), 0)
    assert found["2026-R-0001"].state == CREDITED and found["2026-R-0001"].outstanding == 0
    # 80.00 paid on 11-04, then the credit note of 40.00 on 11-05: 20.00 credits the invoice (paid), 20.00 is credit.
    note = record("2026-R-0001", "acme", "2026-11-05", "-40.00", kind="credit", corrects="2026-0001")
    receivables, found = states([invoice, note], [payment("2026-11-04", "80.00", invoice="2026-0001")], "2026-12-03")
    assert (found["2026-0001"].state, found["2026-0001"].paid, found["2026-0001"].credited) == (PAID, D("80.00"),
                                                                                                  D("20.00"))
    assert receivables.client("acme").credit == D("20.00")


def test_payments_after_the_as_of_date_do_not_count():
    _, found = states([INVOICE_1], [payment("2026-11-10", "72.60", invoice="2026-0001")], "2026-11-09")
    assert found["2026-0001"].state == OPEN


# ---------------------------------------------------------------- conservation


@st.composite
def histories(draw):
    """A client's invoices, credit notes and payments (by invoice or by client) over a few weeks."""
    start = day("2026-10-01")
    records, payments = [], []
    for seq in range(1, draw(st.integers(1, 6)) + 1):
        issued = start + datetime.timedelta(days=draw(st.integers(0, 40)))
        total = D(draw(st.integers(1, 50000))) / 100
        records.append(record(f"2026-{seq:04d}", "acme", issued.isoformat(), str(total)))
        if draw(st.booleans()):
            credit = D(draw(st.integers(1, 60000))) / 100
            records.append(record(f"2026-R-{seq:04d}", "acme", (issued + datetime.timedelta(days=3)).isoformat(),
                                  str(-credit), kind="credit", corrects=f"2026-{seq:04d}"))
    invoices = [r for r in records if r.total > 0]
    for index in range(draw(st.integers(0, 8))):
        target = draw(st.sampled_from(invoices))
        date = target.issued + datetime.timedelta(days=draw(st.integers(0, 30)))
        amount = D(draw(st.integers(1, 40000))) / 100
        by_invoice = draw(st.booleans())
        payments.append(payment(date.isoformat(), str(amount), invoice=target.number if by_invoice else "",
                                client="" if by_invoice else "acme", line=index + 2))
    return records, payments


@settings(max_examples=150, deadline=None)
@given(histories(), st.integers(0, 90))
def test_every_payment_is_accounted_for_once(history, days):
    """Payments applied + credit left == payments received + credit notes' amounts; outstanding never negative."""
    records, payments = history
    as_of = day("2026-10-01") + datetime.timedelta(days=days)
    receivables = make_receivables(records, payments, {"acme": 14}, as_of)
    received = sum((p.amount for p in payments if p.date <= as_of), D(0))
    notes = sum((-r.total for r in records if r.total < 0 and r.issued <= as_of), D(0))
    for client in receivables.clients:
        paid = sum((i.paid for i in client.invoices), D(0))
        credited = sum((i.credited for i in client.invoices), D(0))
        assert paid + credited + client.credit == received + notes
        assert sum((part.amount for i in client.invoices for part in i.payments), D(0)) == paid
        for invoice in client.invoices:
            assert invoice.outstanding >= 0
            if invoice.record.total > 0:
                assert invoice.outstanding + invoice.paid + invoice.credited == invoice.record.total
            # A credit left on the account while an invoice is open would be money not applied.
            assert client.credit == 0 or invoice.outstanding == 0


# ---------------------------------------------------------------- reading and checking payments

ACME = """\
name: ACME Industries S.L.
tax: 21%
terms:
  - {from: 2026-01-01, kind: hourly, rate: 60}
"""
YEN = """\
name: Nihon KK
currency: JPY
due_days: 7
terms:
  - {from: 2026-01-01, kind: hourly, rate: 6000}
"""
REGISTER = [record("2026-0001", "acme", "2026-11-02", "72.60"), record("2026-0002", "nihon", "2026-11-02", "5000",
                                                                      currency="JPY"),
            record("2026-R-0001", "acme", "2026-11-04", "-10.00", kind="credit", corrects="2026-0001")]


def checked(tmp_path: Path, text: str, as_of: str = "2026-12-03"):
    root = write_books(tmp_path / "books", {"contracts/acme.yaml": ACME, "contracts/nihon.yaml": YEN,
                                            "payments/2026/november.yaml": text})
    books, diagnostics = load_books(root)
    good, problems = check_payments(books, REGISTER, day(as_of))
    return books, good, [f"{d.source}: {d.severity}: {d.message}" for d in [*diagnostics, *problems]]


def test_payments_are_part_of_the_books():
    assert "payments" in BOOKS_PARTS


def test_a_good_file_reads_at_its_lines(tmp_path):
    books, good, problems = checked(tmp_path, """\
        payments:
          - {date: 2026-11-10, invoice: 2026-0001, amount: 50.00, method: transfer, ref: "BANK-7781"}
          - date: 2026-11-20
            client: acme
            amount: 22.60
          - {date: 2026-11-21, invoice: 2026-0002, client: nihon, amount: 5000, currency: jpy}
        """)
    assert problems == []
    assert [(str(p.source), p.invoice, p.client, p.amount) for p in good] == [
        ("payments/2026/november.yaml:2", "2026-0001", "", D("50.00")),
        ("payments/2026/november.yaml:3", "", "acme", D("22.60")),
        ("payments/2026/november.yaml:6", "2026-0002", "nihon", D("5000"))]
    assert books.files[-1] == "payments/2026/november.yaml"


def test_each_bad_payment_is_located(tmp_path):
    _, good, problems = checked(tmp_path, """\
        payments:
          - {date: 2026-11-10, invoice: 2026-0099, amount: 50.00}
          - {date: 2026-11-10, client: acne, amount: 50.00}
          - {date: 2026-11-01, invoice: 2026-0001, amount: 50.00}
          - {date: 2026-11-10, invoice: 2026-0001, amount: 50.00, currency: USD}
          - {date: 2026-11-10, client: nihon, amount: 10.5}
          - {date: 2026-11-10, invoice: 2026-0001, amount: 10.005}
          - {date: 2026-11-10, invoice: 2026-0001, amount: 1.00, ref: B-1}
          - {date: 2026-11-11, invoice: 2026-0001, amount: 1.00, ref: b-1}
          - {date: 2026-11-10, invoice: 2026-0001, client: nihon, amount: 1.00}
          - {date: 2026-11-10, amount: 1.00}
          - {date: 2026-11-10, invoice: 2026-0001, amount: "12,50"}
          - {date: 2026-11-10, invoice: 2026-0001}
          - {date: 2026-11-10, invoice: 2026-0001, amount: 0}
          - {date: 2026-11-10, invoice: 2026-R-0001, amount: 1.00}
          - {date: 2026-12-24, invoice: 2026-0001, amount: 1.00}
          - {date: 2026-11-10, invoice: 2026-0001, amount: 1.00, bank: x}
        """)
    at = "payments/2026/november.yaml"
    assert problems == [
        f"{at}:11: error: a payment needs the 'invoice' it pays, or the 'client' who paid (then it pays the "
        "client's oldest open invoices first)",
        f"{at}:12: error: payment field 'amount': expected an amount like 60 or 45.50, got '12,50' "
        "(write decimals with a point: 45.50)",
        f"{at}:13: error: payment needs a 'amount' field",
        f"{at}:14: error: a payment's amount must be more than 0, got 0: money paid back to a client is a credit "
        "note, not a payment",
        f"{at}:17: error: unknown payment field 'bank'",
        f"{at}:2: error: unknown invoice '2026-0099' (did you mean '2026-0002'?): no issued invoice has this "
        "number (issued.yaml)",
        f"{at}:3: error: unknown client 'acne' (did you mean 'acme'?)",
        f"{at}:4: error: payment dated 2026-11-01, before invoice 2026-0001 was issued (2026-11-02): check the "
        "date or the invoice number",
        f"{at}:5: error: payment in USD, but invoice 2026-0001 is in EUR: hourbook converts no currency; record "
        "the amount received in EUR",
        f"{at}:6: error: amount 10.5 has more decimals than JPY has (0)",
        f"{at}:7: error: amount 10.005 has more decimals than EUR has (2)",
        f"{at}:9: error: bank reference 'b-1' is already the reference of the payment at {at}:8: the same payment "
        "recorded twice?",
        f"{at}:10: error: invoice 2026-0001 is acme's, but the payment says client 'nihon'",
        f"{at}:15: error: 2026-R-0001 is a credit note, which is not paid: name the invoice it corrects, 2026-0001",
        f"{at}:16: warning: payment dated 2026-12-24, after the as-of date 2026-12-03: it is not counted yet",
    ]
    # Only the one with the first bank reference and the future one are applied.
    assert [str(p.source) for p in good] == [f"{at}:8", f"{at}:16"]


def test_a_day_that_does_not_exist_hides_none_of_the_files_other_errors(tmp_path):
    # 2026-02-30 parses as a YAML date that cannot be made: it is reported at its own line, as a field
    # error, and the reader goes on to the other payments rather than giving up on the whole file.
    _, good, problems = checked(tmp_path, """\
        payments:
          - {date: 2026-11-10, invoice: 2026-0001, amount: 1.00}
          - {date: 2026-02-30, invoice: 2026-0001, amount: 1.00}
          - {date: 2026-11-10, invoice: 2026-0001, amount: -5}
          - {date: 2026-11-10, invoice: 2026-0001, amount: 1.00, bank: x}
        """)
    at = "payments/2026/november.yaml"
    assert problems == [
        f"{at}:3: error: payment field 'date': not a valid date: '2026-02-30' (there is no such day)",
        f"{at}:4: error: a payment's amount must be more than 0, got -5: money paid back to a client is a "
        "credit note, not a payment",
        f"{at}:5: error: unknown payment field 'bank'",
    ]
    assert [str(p.source) for p in good] == [f"{at}:2"]


def test_a_file_out_of_shape(tmp_path):
    assert checked(tmp_path, "- {date: 2026-11-10, client: acme, amount: 1}\n")[2] == [
        "payments/2026/november.yaml:1: error: a payments file must be a mapping with 'payments:', a list of "
        "payments; got a list"]
    assert checked(tmp_path, "payment: []\n")[2] == [
        "payments/2026/november.yaml:1: error: unknown field 'payment' in a payments file: it holds only "
        "'payments:', a list of payments"]


def test_the_invoice_number_is_matched_ignoring_case(tmp_path):
    _, good, problems = checked(tmp_path, "payments:\n  - {date: 2026-11-10, invoice: 2026-r-0001x, amount: 1}\n"
                                "  - {date: 2026-11-10, invoice: 'X'}\n")
    assert good == [] and len(problems) == 2


# ---------------------------------------------------------------- price --json


def test_json_shape_and_the_fast_writer(tmp_path):
    """SPEC §8 "Receivables": each client's invoices, outstanding, credit; the fast writer is the plain one."""
    from hourbook.core.records import PricedBooks
    from hourbook.core.records import PricedClient
    from hourbook.core.receivables import books_receivables

    root = write_books(tmp_path / "books", {"contracts/acme.yaml": ACME, "contracts/nihon.yaml": YEN})
    books, _ = load_books(root)
    payments = [payment("2026-11-10", "50.00", invoice="2026-0001", line=4)]
    receivables = books_receivables(books, REGISTER, payments, day("2026-12-03"))
    priced = PricedBooks(books, tuple(PricedClient(c, ()) for c in books.contracts), day("2026-12-03"),
                         receivables=receivables)
    data = priced_json(priced, [])
    acme = data["clients"][0]
    # 72.60 - 10.00 credited - 50.00 paid = 12.60 left; due 11-16 (hourbook.yaml's 30 days: 2026-12-02): overdue 1.
    assert acme["invoices"][0] == {
        "number": "2026-0001", "kind": "invoice", "corrects": None, "period": "2026-10", "date": "2026-11-02",
        "due": "2026-12-02", "total": "72.60", "credited": "10.00", "paid": "50.00", "outstanding": "12.60",
        "state": "overdue", "days_overdue": 1,
        "payments": [{"date": "2026-11-10", "amount": "50.00", "source": "payments/2026.yaml:4",
                      "from_credit": False}]}
    assert acme["invoices"][1]["state"] == "credited" and acme["outstanding"] == "12.60" and acme["credit"] == "0.00"
    nihon = data["clients"][1]
    # nihon's contract gives 7 days: 2026-11-02 + 7 = 2026-11-09; 5000 JPY owed, in whole yen.
    assert (nihon["invoices"][0]["due"], nihon["outstanding"], nihon["invoices"][0]["days_overdue"]) == (
        "2026-11-09", "5000", 24)
    assert data["outstanding"] == {"EUR": "12.60", "JPY": "5000"}
    assert list(data) == ["clients", "outstanding", "diagnostics"]
    for client in priced.clients:
        assert client_text(client, receivables) == json_text(client_json(client, receivables), 2)
        assert client_text(client) == json_text(client_json(client), 2)
    json.loads(json_text(data))


# ---------------------------------------------------------------- end to end: issue, pay, price --json


def test_issued_and_paid_end_to_end(tmp_path, monkeypatch):
    """`hourbook issue`, then payments/ in the books: `check` is clean and `price --json` shows the states."""
    from conftest import run_cli
    from test_invoicing import BOOKS
    from test_invoicing import GIT_IDENTITY
    from test_invoicing import make_repo

    for key, value in GIT_IDENTITY.items():
        monkeypatch.setenv(key, value)
    root = make_repo(tmp_path / "books", BOOKS)
    code, out, err = run_cli("issue", "2026-10", str(root), "--as-of", "2026-11-05")
    assert code == 0, err
    # acme, October: 1h30m = 90.00; 45m #urgent = 45.00 + 50 % = 67.50; 20m rounded up to 30m = 30.00.
    # net 187.50, VAT 21 % = 39.375 -> 39.38, total 226.88. beta: 2h at 80 = 160.00 + 12.40 = 172.40,
    # VAT 19 % = 32.756 -> 32.76, total 205.16. Both issued 2026-11-05, due 30 days later: 2026-12-05.
    write_books(root, {"payments/2026.yaml": """\
        payments:
          - {date: 2026-11-20, invoice: 2026-0001, amount: 100.00, method: transfer, ref: "BANK-1"}
          - {date: 2026-11-25, client: beta, amount: 205.16}
        """})
    code, out, err = run_cli("check", str(root), "--as-of", "2026-12-10")
    assert code == 0, err
    code, out, err = run_cli("price", str(root), "--json", "--as-of", "2026-12-10")
    data = json.loads(out)
    acme, beta = (next(c for c in data["clients"] if c["id"] == cid) for cid in ("acme", "beta"))
    # acme: 226.88 - 100.00 = 126.88 owed, 5 days after 2026-12-05.
    assert [(i["number"], i["total"], i["due"], i["paid"], i["outstanding"], i["state"], i["days_overdue"])
            for i in acme["invoices"]] == [("2026-0001", "226.88", "2026-12-05", "100.00", "126.88", "overdue", 5)]
    assert acme["invoices"][0]["payments"][0]["source"] == "payments/2026.yaml:2"
    assert (beta["invoices"][0]["state"], beta["outstanding"]) == ("paid", "0.00")
    assert data["outstanding"] == {"EUR": "126.88"}


# ---------------------------------------------------------------- docs/payments.md


def test_docs_example():
    """docs/payments.md: its payments file reads as shown, and its four worked examples hold."""
    from hourbook.load.payments import parse_payments
    from hourbook.load.problems import Problems
    from hourbook.load.yaml_reader import parse_yaml

    text = DOCS.read_text(encoding="utf-8")
    block = text.split("```yaml\n", 1)[1].split("```", 1)[0]
    diags = Problems()
    read = parse_payments(parse_yaml(block), "payments/2026.yaml", diags)
    assert not diags
    assert [(p.invoice, p.client, p.amount, p.ref, str(p.source)) for p in read] == [
        ("2026-0001", "", D("50.00"), "BANK-7781", "payments/2026.yaml:2"), ("", "acme", D("22.60"), "", "payments/2026.yaml:3")]
    # 1. Paid late, in part: 22.60 outstanding, overdue 17 days.
    _, found = states([INVOICE_1], [payment("2026-11-10", "50.00", invoice="2026-0001")], "2026-12-03")
    assert (found["2026-0001"].outstanding, found["2026-0001"].days_overdue) == (D("22.60"), 17)
    assert "outstanding 72.60 − 50.00 = **22.60**, **overdue 17 days**" in text
    # 2. Overpaid: 30.00 credit, then 20.00 outstanding on the next invoice.
    records = [record("2026-0001", "acme", "2026-11-02", "100.00"), record("2026-0002", "acme", "2026-12-01", "50.00")]
    receivables, found = states(records, [payment("2026-11-10", "130.00", invoice="2026-0001")], "2026-12-03")
    assert found["2026-0002"].outstanding == D("20.00") and receivables.client("acme").credit == 0
    assert "**30.00**" in text and "**20.00** outstanding" in text
    # 3. By client: 30.00 left on the second invoice.
    records = [record("2026-0001", "acme", "2026-11-02", "40.00"), record("2026-0002", "acme", "2026-11-20", "60.00")]
    _, found = states(records, [payment("2026-12-01", "70.00", client="acme")], "2026-12-03")
    assert (found["2026-0001"].state, found["2026-0002"].state, found["2026-0002"].outstanding) == (
        PAID, PART_PAID, D("30.00"))
    assert "part paid with **30.00** outstanding" in text
    # 4. Credited: paid 80.00, credited 20.00, 20.00 credit on the account.
    invoice = record("2026-0001", "acme", "2026-11-02", "100.00")
    note = record("2026-R-0001", "acme", "2026-11-05", "-40.00", kind="credit", corrects="2026-0001")
    receivables, found = states([invoice, note], [payment("2026-11-04", "80.00", invoice="2026-0001")], "2026-12-03")
    assert (found["2026-0001"].paid, found["2026-0001"].credited, receivables.client("acme").credit) == (
        D("80.00"), D("20.00"), D("20.00"))
    assert "and **20.00** is a credit on acme's account" in text


# ---------------------------------------------------------------- due dates in the Factur-X XML


def test_due_date_and_payment_terms_in_the_xml(tmp_path):
    """A contract's due_days overrides hourbook.yaml's; the XML carries the due date (BT-9) and the terms (BT-20)."""
    from test_einvoice import ISSUED
    from test_einvoice import NS
    from test_einvoice import SETTINGS
    from test_einvoice import build
    from test_invoicing import BOOKS
    from test_invoicing import BETA

    from hourbook.invoicing import cii
    from hourbook.pipeline import load_and_price

    from test_einvoice import OSLO
    from test_einvoice import SOFIA
    from test_einvoice import VOLGA

    root = write_books(tmp_path / "books", {**BOOKS, "hourbook.yaml": SETTINGS, "contracts/sofia.yaml": SOFIA,
                                            "contracts/volga.yaml": VOLGA, "contracts/oslo.yaml": OSLO,
                                            "contracts/beta.yaml": BETA + "due_days: 10\n"})
    priced, diagnostics = load_and_price(root, ISSUED)
    assert [d for d in diagnostics if d.severity == "error"] == []
    # acme: hourbook.yaml's 14 days, 2026-11-05 + 14 = 2026-11-19. beta (German): its own 10 days, 2026-11-15.
    for client, due, terms in (("acme", "20261119", "Payment due by November 19, 2026"),
                               ("beta", "20261115", "Zahlbar bis 15. November 2026")):
        invoice = build(priced, client)
        xml = cii.cii_xml(invoice)
        cii.check_xml(xml)
        root_xml = etree.fromstring(xml)
        payment_terms = root_xml.xpath("//ram:SpecifiedTradePaymentTerms", namespaces=NS)[0]
        assert [child.tag.split("}")[1] for child in payment_terms] == ["Description", "DueDateDateTime"]
        assert payment_terms.xpath("ram:DueDateDateTime/udt:DateTimeString", namespaces=NS)[0].text == due
        assert payment_terms.xpath("ram:Description", namespaces=NS)[0].text == terms


def test_the_register_keeps_the_due_date_and_reads_records_without_it():
    """`issue` records `due:`; a record from before it (no `due:`) still verifies and falls back to due_days."""
    from dataclasses import replace

    from hourbook.core.register import record_text
    from hourbook.core.register import sealed
    from hourbook.load.register import read_register_text

    with_due = sealed(replace(INVOICE_1, due=day("2026-11-30")))
    without = sealed(INVOICE_1)
    assert '  due: "2026-11-30"\n' in record_text(with_due) and "due:" not in record_text(without)
    for kept in (with_due, without):
        (found,), problems = read_register_text(record_text(kept))
        assert problems == [] and found.due == kept.due and found.read_hash == kept.hash
    # The recorded date wins over due_days (14 days would be 2026-11-16): as of 12-03, 3 days overdue.
    _, found = states([with_due], [], "2026-12-03")
    assert (found["2026-0001"].due, found["2026-0001"].days_overdue) == (day("2026-11-30"), 3)
    _, found = states([without], [], "2026-12-03")
    assert (found["2026-0001"].due, found["2026-0001"].days_overdue) == (day("2026-11-16"), 17)


def test_a_contracts_due_days_is_read_and_checked(tmp_path):
    root = write_books(tmp_path / "books", {"contracts/acme.yaml": ACME + "due_days: 45\n",
                                            "contracts/nihon.yaml": YEN.replace("due_days: 7", "due_days: -1")})
    books, diagnostics = load_books(root)
    assert books.contract("acme").due_days == 45
    assert [f"{d.source}: {d.message}" for d in diagnostics] == [
        "contracts/nihon.yaml:3: contract field 'due_days': expected a number of days from 0 to 3650, got -1"]
