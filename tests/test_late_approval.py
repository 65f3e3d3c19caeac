"""Late approval (issue 13, item 3): a held line approved or waived after its invoice was issued.

The books, by hand: acme, hourly at 60.00 an hour in 15-minute steps, 21 % VAT, contacts: ana.
November:
  - 1h @ana Printer driver                  billed 60 min at 60.00 = 60.00
  - 1h20m @pedro Label printer setup        held (pedro is not a contact): 80 min -> 90 min
                                            (15m steps), value 90 * 60 / 60 = 90.00, amount 0
  November's invoice 2026-0001: net 60.00, tax 60.00 * 21 % = 12.60, total 72.60.
Then pedro's line is approved (`#approved`, or pedro added to the contacts). It moves to December,
the first period not invoiced: billed 90 min at 60.00 = 90.00; December's net 90.00,
tax 90.00 * 21 % = 18.90, total 108.90. November's invoice does not change.
Waived instead (`#goodwill`): recorded in December as no-charge, amount 0, value 90.00.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import re
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import run_cli
from conftest import write_books
from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st
from test_properties import books as generated_books

from test_invoicing import GIT_IDENTITY
from test_invoicing import commit
from test_invoicing import edit
from test_invoicing import git

from hourbook.checks import issued as issued_checks
from hourbook.checks.issued import check_frozen
from hourbook.core.documents import INVOICE
from hourbook.core.documents import content_hash
from hourbook.core.documents import document_items
from hourbook.core.documents import split_statement
from hourbook.core.late import plan_late
from hourbook.core.pricing import price_books
from hourbook.core.records import HELD
from hourbook.core.records import NO_CHARGE
from hourbook.core.records import TIME
from hourbook.core.records import Books
from hourbook.core.register import IssuedRecord
from hourbook.load.register import read_register

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
"""
NOVEMBER = """\
# 2026-11-03

## acme
- 1h @ana Printer driver #support
- 1h20m @pedro Label printer setup #support
"""
HELD_LINE = "- 1h20m @pedro Label printer setup #support"
DOCS = Path(__file__).resolve().parent.parent / "docs"


def check(root: Path, as_of: str) -> tuple[int, list[str]]:
    code, _, err = run_cli("check", str(root), "--as-of", as_of)
    return code, [line for line in err.splitlines() if ": error: " in line or ": warning: " in line]


def price(root: Path, as_of: str) -> dict:
    code, out, err = run_cli("price", str(root), "--json", "--as-of", as_of)
    assert code == 0, err
    return json.loads(out)


@pytest.fixture
def issued_november(tmp_path, monkeypatch):
    """The books with November issued (2026-0001 of 1 Dec 2026), the register committed."""
    for key, value in GIT_IDENTITY.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setattr(issued_checks, "real_today", lambda: datetime.date(2027, 1, 5))
    root = write_books(tmp_path / "books", {"contracts/acme.yaml": ACME, "logbook/2026-11.md": NOVEMBER})
    git(root, "init", "-q")
    commit(root, "November's work")
    code, out, err = run_cli("issue", "2026-11", str(root), "--date", "2026-12-01")
    assert code == 0, err
    assert "2026-0001      invoice  acme             2026-11  net      60.00 tax     12.60 total      72.60" in out
    (record,) = read_register(root)[0]
    assert [item.summary for item in record.lines] == [
        "billed 1h00m at 60.00 = 60.00",
        "held (requester 'pedro' is not an authorised contact) 1h30m at 60.00 = 0.00"]
    commit(root, "Issue 2026-11")
    return root


def approve_by_tag(root: Path) -> None:
    edit(root, "logbook/2026-11.md", HELD_LINE, HELD_LINE + " #approved")


def approve_by_contact(root: Path) -> None:
    edit(root, "contracts/acme.yaml", "  ana: Ana García (CTO)\n", "  ana: Ana García (CTO)\n  pedro: Pedro Ruiz\n")


@pytest.mark.parametrize("approve", [approve_by_tag, approve_by_contact])
def test_approved_after_issue_is_billed_in_the_first_open_period(issued_november, approve):
    root = issued_november
    november_pdf = (root / "invoices/2026-0001.pdf").read_bytes()
    register_before = (root / "issued.yaml").read_bytes()
    approve(root)
    commit(root, "pedro's work approved")
    assert check(root, "2026-12-20") == (0, [])

    periods = {p["period"]: p for p in price(root, "2026-12-20")["clients"][0]["periods"]}
    assert [(p["net"], p["tax"], p["total"]) for p in periods.values()] == [
        ("60.00", "12.60", "72.60"), ("90.00", "18.90", "108.90")]
    assert [line["source"] for line in periods["2026-11"]["lines"]] == ["logbook/2026-11.md:4"]
    (moved,) = periods["2026-12"]["lines"]
    assert (moved["date"], moved["source"], moved["status"], moved["logged_minutes"], moved["billed_minutes"],
            moved["amount"]) == ("2026-11-03", "logbook/2026-11.md:5", "billed", 80, 90, "90.00")
    assert moved["held_from"] == {"invoice": "2026-0001", "issued": "2026-12-01", "period": "2026-11"}

    code, out, err = run_cli("issue", "2026-12", str(root), "--date", "2026-12-31")
    assert code == 0, err
    assert "2026-0002      invoice  acme             2026-12  net      90.00 tax     18.90 total     108.90" in out
    commit(root, "Issue 2026-12")
    assert (root / "invoices/2026-0001.pdf").read_bytes() == november_pdf
    register_after = (root / "issued.yaml").read_bytes()
    assert register_after.startswith(register_before) and len(register_after) > len(register_before)
    first, second = read_register(root)[0]
    assert [item.summary for item in second.lines] == [
        f"billed 1h30m at 60.00 = 90.00 held from 2026-0001 [{first.lines[1].fingerprint}]"]
    # Once invoiced in December the line stays there: January is open now, and nothing is an error.
    assert check(root, "2027-01-05") == (0, [])
    periods = {p["period"]: p for p in price(root, "2027-01-05")["clients"][0]["periods"]}
    assert list(periods) == ["2026-11", "2026-12"]


def test_the_invoice_line_names_the_invoice_it_was_held_in(issued_november):
    from hourbook.core.invoice import invoice_lines  # the invoice record, only for this test

    root = issued_november
    approve_by_tag(root)
    commit(root, "approved")
    from hourbook.pipeline import load_and_price  # deferred like the one above: one test uses it

    priced, _ = load_and_price(root, datetime.date(2026, 12, 20))
    client = priced.clients[0]
    december = next(s for s in client.statements if s.period == "2026-12")
    (doc,) = split_statement(december, client.contract, {})
    (line,) = invoice_lines(doc, client.contract)
    assert line.detail == "pedro; held from invoice 2026-0001 of 2026-12-01"
    assert (line.date, line.net) == (datetime.date(2026, 11, 3), Decimal("90.00"))
    from hourbook.render.html import load_messages  # the statement's words, only for these notes
    from hourbook.render.statement import held_from_note  # the same: the note under the line

    (moved,) = december.lines
    assert held_from_note(moved, load_messages("en"), "en") == "held from invoice 2026-0001 of Dec 1, 2026"
    assert held_from_note(moved, load_messages("es"), "es") == "retenida en la factura 2026-0001 del 1 dic 2026"


def test_the_statement_says_where_the_line_was_held_in_each_language():
    from hourbook.render.locale_files import language_words  # the renderer's words, only here

    assert {lang: language_words(lang)["held_from"] for lang in ("en", "es", "de", "ru", "bg")} == {
        "en": "held from invoice {number} of {date}",
        "es": "retenida en la factura {number} del {date}",
        "de": "zurückgestellt in Rechnung {number} vom {date}",
        "ru": "отложено в счёте {number} от {date}",
        "bg": "задържано във фактура {number} от {date}",
    }


def no_charge_comes_before_held() -> bool:
    """Whether pricing makes a #goodwill line free whoever asked (issue 13, item 1, another branch)."""
    from hourbook.core.pricing import price_entry  # only to ask pricing its order of statuses
    from hourbook.core.ledger import Ledger  # the same: a throwaway ledger for that one entry
    from hourbook.core.records import Contract, Entry, Party, Source, Term  # records for that entry

    term = Term("hourly", datetime.date(2026, 1, 1), None, Source("x", 1), rate=Decimal(60))
    contract = Contract(id="c", party=Party("C"), source=Source("x", 1), terms=(term,), contacts=(("ana", ""),))
    entry = Entry(TIME, datetime.date(2026, 1, 2), "c", Source("x", 2), minutes=60, by="pedro", tags=("goodwill",))
    return price_entry(entry, term, contract, "2026-01", Ledger())[0].status == NO_CHARGE


@pytest.mark.parametrize("waiver", ["#goodwill #approved", "#goodwill"])
def test_waived_after_issue_is_recorded_free_in_the_first_open_period(issued_november, waiver):
    assert no_charge_comes_before_held()       # a #goodwill line from a non-contact is free (item 1)
    root = issued_november
    november_pdf = (root / "invoices/2026-0001.pdf").read_bytes()
    edit(root, "logbook/2026-11.md", HELD_LINE, HELD_LINE + " " + waiver)
    commit(root, "pedro's work waived")
    assert check(root, "2026-12-20") == (0, [])
    periods = {p["period"]: p for p in price(root, "2026-12-20")["clients"][0]["periods"]}
    (moved,) = periods["2026-12"]["lines"]
    assert (moved["date"], moved["status"], moved["reason"], moved["value"], moved["amount"]) == (
        "2026-11-03", "no-charge", "goodwill", "90.00", "0.00")
    assert moved["held_from"]["invoice"] == "2026-0001"
    assert (periods["2026-12"]["net"], periods["2026-12"]["total"]) == ("0.00", "0.00")
    assert (root / "invoices/2026-0001.pdf").read_bytes() == november_pdf


def test_a_held_line_changed_in_another_way_is_still_an_error(issued_november):
    """Approved and its time changed too: that is not the line that was held, so it does not move."""
    root = issued_november
    edit(root, "logbook/2026-11.md", HELD_LINE, "- 2h @pedro Label printer setup #support #approved")
    commit(root, "approved, and more time")
    code, problems = check(root, "2026-12-20")
    assert code == 1
    assert problems == [
        "logbook/2026-11.md:5: error: entry changed after invoice 2026-0001 (acme, 2026-11) was issued: invoiced as "
        "held (requester 'pedro' is not an authorised contact) 1h30m at 60.00 = 0.00, now billed 2h00m at 60.00 = "
        "120.00; restore it as it was invoiced (git checkout) and record the difference as a #correction entry in "
        "an open period instead (see docs/invoicing.md)"]


def test_still_held_stays_where_it_was(issued_november):
    root = issued_november
    assert check(root, "2026-12-20") == (0, [])
    periods = {p["period"]: p for p in price(root, "2026-12-20")["clients"][0]["periods"]}
    assert list(periods) == ["2026-11"]
    assert [line["status"] for line in periods["2026-11"]["lines"]] == ["billed", "held"]


# ------------------------------------------------------------------ the worked example of the docs


def test_the_docs_example_is_these_figures():
    """docs/pricing.md and docs/invoicing.md show this file's example; their figures are the ones tested above."""
    pricing = DOCS.joinpath("pricing.md").read_text(encoding="utf-8")
    section = pricing[pricing.index("## Late approval"):]
    end = re.search(r"\n## [A-Z]", section)       # the next section (`## acme` in the example is a client)
    section = section[:end.start()] if end else section
    for figure in ("1h20m @pedro Label printer setup #support #approved", "90 × 60.00 / 60 = 90.00",
                   "18.90", "108.90", "72.60", "held from invoice 2026-0001 of Dec 1, 2026"):
        assert figure in section, figure
    assert "## Late approval" in DOCS.joinpath("invoicing.md").read_text(encoding="utf-8")


# ------------------------------------------------------------------ property: nothing issued changes


def issue_records(books: Books, as_of: datetime.date, last_period: str) -> list[IssuedRecord]:
    """What `hourbook issue` would record for every period up to `last_period` (non-zero totals only)."""
    priced = price_books(books, as_of)
    records = []
    for client in priced.clients:
        for statement in client.statements:
            if statement.period > last_period:
                continue
            for doc in split_statement(statement, client.contract, {}):
                if doc.kind != INVOICE or doc.total == 0:
                    continue
                number = f"2026-{len(records) + 1:04d}"
                records.append(IssuedRecord(
                    number=number, type=INVOICE, corrects="", scope="invoice/2026", seq=len(records) + 1,
                    client=doc.client, period=doc.period, issued=datetime.date(2026, 12, 31), currency=doc.currency,
                    rate=doc.tax_rate * 100, net=doc.net, tax=doc.tax, total=doc.total, content=content_hash(doc),
                    commit="0" * 40, pdf=f"invoices/{number}.pdf", lines=tuple(document_items(doc)),
                    previous="0" * 64))
    return records


@st.composite
def approved_later(draw):
    books = draw(generated_books())
    # Issue every period up to a month (what `issue` does, one period after another), then approve
    last = f"2026-{draw(st.integers(1, 12)):02d}"
    records = issue_records(books, datetime.date(2026, 12, 31), last)
    # entries and every quote: the held lines of the issued periods become billable (or stay free).
    contracts = tuple(dataclasses.replace(c, quotes=tuple(
        dataclasses.replace(q, approved_on=datetime.date(2026, 1, 1), approved_by="ana") for q in c.quotes))
        for c in books.contracts)
    # Only the entries of invoiced periods: approving work of a period that got no invoice while a
    # later one did is not a late approval (no record says it was held) and may change that later one.
    invoiced = {record.period for record in records}
    approved = dataclasses.replace(books, contracts=contracts, entries=tuple(
        dataclasses.replace(e, approved=True) if e.date.strftime("%Y-%m") in invoiced else e for e in books.entries))
    return approved, records


def every_line_by_source(priced):
    found = defaultdict(list)
    for client in priced.clients:
        for statement in client.statements:
            for line in statement.lines:
                found[line.entry.source].append((statement.period, line))
    return found


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(approved_later())
def test_late_approval_changes_no_issued_invoice_and_loses_no_minute(case):
    books, records = case
    late = plan_late(books, records)
    priced = price_books(books, datetime.date(2026, 12, 31), late=late)
    issued_periods = {record.period for record in records}
    # Nothing issued changes: the re-priced issued periods match their records exactly.
    assert check_frozen(records, priced) == []
    # Every logged minute is accounted for once, in one period; moved lines land in an open period.
    for source, placed in every_line_by_source(priced).items():
        entry = placed[0][1].entry
        assert len({period for period, _ in placed}) == 1
        if entry.kind == TIME:
            assert sum(line.logged_minutes for _, line in placed) == entry.minutes
        for period, line in placed:
            if line.held_from is not None:
                assert period not in issued_periods and period > line.held_from.period
                assert line.status != HELD
    moved = sum(len(sources) for sources in late.values())
    assert moved == len({s for s, placed in every_line_by_source(priced).items() if placed[0][1].held_from})


# ------------------------------------------------------------------ a client that got no invoice

BETA = """\
name: Beta GmbH
address: "Hafenstraße 12, 20457 Hamburg, Deutschland"
tax_id: DE123456789
locale: de
tax: 19%
contacts:
  ana: Ana Weber
terms:
  - from: 2026-01-01
    kind: hourly
    rate: 80
    increment: 15m
"""
BETA_NOVEMBER = """\

## beta
- 45m @pedro VPN for the new office
"""


@pytest.fixture
def beta_had_nothing_to_invoice(tmp_path, monkeypatch):
    """November issued with beta's only line held: acme got invoice 2026-0001, beta none."""
    for key, value in GIT_IDENTITY.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setattr(issued_checks, "real_today", lambda: datetime.date(2027, 1, 5))
    root = write_books(tmp_path / "books", {"contracts/acme.yaml": ACME, "contracts/beta.yaml": BETA,
                                            "logbook/2026-11.md": NOVEMBER + BETA_NOVEMBER})
    git(root, "init", "-q")
    commit(root, "November's work")
    code, out, err = run_cli("issue", "2026-11", str(root), "--date", "2026-12-01")
    assert code == 0, err
    assert [line.split()[2] for line in out.splitlines() if "invoice" in line] == ["acme"]
    commit(root, "Issue 2026-11")
    return root


def test_approved_for_a_client_that_got_no_invoice_moves_too(beta_had_nothing_to_invoice):
    """beta's 45m at 80.00 = 45 * 80 / 60 = 60.00, billed in December: tax 60.00 * 19 % = 11.40, total 71.40."""
    root = beta_had_nothing_to_invoice
    edit(root, "logbook/2026-11.md", "- 45m @pedro VPN for the new office", "- 45m @pedro VPN for the new office #approved")
    commit(root, "approved")
    assert check(root, "2026-12-20") == (0, [])
    beta = next(c for c in price(root, "2026-12-20")["clients"] if c["id"] == "beta")
    (december,) = [p for p in beta["periods"] if p["period"] == "2026-12"]
    (moved,) = december["lines"]
    assert (moved["date"], moved["status"], moved["amount"], december["tax"], december["total"]) == (
        "2026-11-03", "billed", "60.00", "11.40", "71.40")
    assert moved["held_from"] == {"invoice": None, "issued": "2026-12-01", "period": "2026-11"}
    code, out, err = run_cli("issue", "2026-12", str(root), "--date", "2026-12-31")
    assert code == 0, err
    assert "beta             2026-12  net      60.00 tax     11.40 total      71.40" in out
    commit(root, "Issue 2026-12")
    assert check(root, "2027-01-05") == (0, [])


def test_an_entry_without_requester_added_to_an_issued_period_is_still_an_error(beta_had_nothing_to_invoice):
    root = beta_had_nothing_to_invoice
    edit(root, "logbook/2026-11.md", "- 45m @pedro VPN for the new office",
         "- 45m @pedro VPN for the new office\n- 30m Router firmware")
    commit(root, "backdated")
    code, problems = check(root, "2026-12-20")
    assert code == 1
    assert [p.split(": error: ")[1].split(":")[0] for p in problems] == [
        "entry for beta added to 2026-11 after the invoices of 2026-11 (2026-0001) were issued"]
