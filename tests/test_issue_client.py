"""`hourbook issue --client ID [--through DATE]`: one client's work up to a date, the period open for the rest.

The books are a small git repository: acme (a retainer: 200.00 a month covers 2h, beyond at
60/h in 15m steps, 21 % VAT) and beta (hourly 80, 19 % VAT). November, by hand:

  first, committed before the client issue of 2026-11-16 (through 2026-11-15):
    11-03 acme 1h30m            covered by the retainer (1h30m of 2h)       0.00
    11-10 acme 1h               30m covered (the last of 2h), 30m billed    30.00
    11-10 beta 2h at 80                                                     160.00
  then, logged after that invoice:
    11-20 acme 45m at 60                                                    45.00
    11-24 beta 1h at 80                                                     80.00

  2026-0001 acme through 11-15: retainer fee 200.00 (dated 11-01) + 30.00 = net 230.00,
            tax 21 % = 48.30, total 278.30
  2026-0002 acme, the rest of November: 45.00, tax 9.45, total 54.45 (the fee is not billed again)
  2026-0003 beta, November: 160.00 + 80.00 = 240.00, tax 19 % = 45.60, total 285.60
"""

from __future__ import annotations

import datetime
import random
from collections import Counter
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import run_cli
from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st
from test_invoicing import GIT_IDENTITY
from test_invoicing import commit
from test_invoicing import make_repo
from test_invoicing import records
from test_properties import books

from hourbook.checks.issued import check_frozen
from hourbook.core import periods
from hourbook.core.coverage import CoverageRefusal
from hourbook.core.coverage import client_documents
from hourbook.core.coverage import full_periods
from hourbook.core.coverage import period_documents
from hourbook.core.documents import document_items
from hourbook.core.documents import split_statement
from hourbook.core.pricing import price_books
from hourbook.core.records import Books
from hourbook.core.records import Source
from hourbook.core.register import client_numbers
from hourbook.core.register import plan_records
from hourbook.output.export import lines_csv
from hourbook.pipeline import load_and_price

ACME = """\
name: ACME Industries S.L.
address: "Av. Diagonal 1, 08019 Barcelona, España"
tax_id: ESA87654321
tax: 21%
terms:
  - from: 2026-01-01
    kind: retainer
    fee: 200
    included: 2h
    rate: 60
    increment: 15m
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
NOVEMBER = """\
# 2026-11-03

## acme
- 1h30m Server migration

# 2026-11-10

## acme
- 1h Mail outage

## beta
- 2h Firewall rules
"""
LATER = """
# 2026-11-20

## acme
- 45m Printer driver

# 2026-11-24

## beta
- 1h VPN
"""


@pytest.fixture
def repo(tmp_path, monkeypatch):
    for key, value in GIT_IDENTITY.items():
        monkeypatch.setenv(key, value)
    return make_repo(tmp_path / "books", {"contracts/acme.yaml": ACME, "contracts/beta.yaml": BETA,
                                          "logbook/2026-11.md": NOVEMBER})


def issue_client(root: Path, *args: str, as_of: str = "2026-11-16") -> tuple[int, str, str]:
    return run_cli("issue", "--client", *args, str(root), "--as-of", as_of)


def check(root: Path, as_of: str) -> tuple[int, list[str]]:
    code, _, err = run_cli("check", str(root), "--as-of", as_of)
    return code, [line for line in err.splitlines() if ": error: " in line or ": warning: " in line]


def add_later_work(root: Path) -> None:
    with (root / "logbook/2026-11.md").open("a", encoding="utf-8") as file:
        file.write(LATER)


def refusal(err: str) -> str:
    return next(line for line in err.splitlines() if "issue refused" in line)


def test_a_client_is_invoiced_up_to_a_date_and_the_period_stays_open(repo):
    code, out, err = issue_client(repo, "acme", "--through", "2026-11-15")
    assert code == 0, err
    assert out.splitlines() == [
        "2026-0001      invoice  acme             2026-11  net     230.00 tax     48.30 total     278.30 EUR  "
        "invoices/2026-0001.pdf"]
    (first,) = records(repo)
    assert first.through == datetime.date(2026, 11, 15)
    # 11-03 covered, 11-10 split into 30m covered and 30m billed, then the retainer's fee.
    assert [item.summary for item in first.lines] == [
        "covered 1h30m at 60.00 = 0.00 from retainer", "covered 30m at 60.00 = 0.00 from retainer",
        "billed 30m at 60.00 = 30.00", "fee retainer 'Support retainer' = 200.00"]
    assert '  through: "2026-11-15"\n' in (repo / "issued.yaml").read_text(encoding="utf-8")
    commit(repo, "issue acme through 11-15")
    # beta's November is open: more work for beta and for acme's later days is no change to an invoice.
    add_later_work(repo)
    commit(repo, "more November work")
    assert check(repo, "2026-11-25") == (0, [])

    code, out, err = run_cli("issue", "2026-11", str(repo), "--as-of", "2026-12-01")
    assert code == 0, err
    assert out.splitlines() == [
        "2026-0002      invoice  acme             2026-11  net      45.00 tax      9.45 total      54.45 EUR  "
        "invoices/2026-0002.pdf",
        "2026-0003      invoice  beta             2026-11  net     240.00 tax     45.60 total     285.60 EUR  "
        "invoices/2026-0003.pdf"]
    second, third = records(repo)[1:]
    assert (second.through, third.through) == (None, None)
    assert [item.summary for item in second.lines] == ["billed 45m at 60.00 = 45.00"]
    assert "through" not in (repo / "issued.yaml").read_text(encoding="utf-8").split("2026-0002")[1]
    commit(repo, "issue November")
    assert check(repo, "2026-12-02") == (0, [])

    # lines.csv names, for every line and fee, the one invoice that holds it.
    priced, _ = load_and_price(repo, datetime.date(2026, 12, 2))
    rows = [row.split(",") for row in lines_csv(priced, records(repo)).splitlines()[1:]]
    assert [(row[0], row[2], row[14], row[17]) for row in rows] == [
        ("acme", "2026-11-03", "0.00", "2026-0001"), ("acme", "2026-11-10", "0.00", "2026-0001"),
        ("acme", "2026-11-10", "30.00", "2026-0001"), ("acme", "2026-11-20", "45.00", "2026-0002"),
        ("acme", "2026-11-01", "200.00", "2026-0001"), ("acme", "2026-12-01", "200.00", ""),
        ("beta", "2026-11-10", "160.00", "2026-0003"), ("beta", "2026-11-24", "80.00", "2026-0003")]


def test_the_through_date_defaults_to_the_issue_date(repo):
    add_later_work(repo)
    commit(repo)
    # Issued on 11-21: acme's work up to 11-21, the 11-20 line included: 200 + 30 + 45 = 275.00,
    # tax 21 % = 57.75, total 332.75.
    code, out, err = issue_client(repo, "acme", as_of="2026-11-21")
    assert code == 0, err
    assert "net     275.00 tax     57.75 total     332.75 EUR" in out
    assert records(repo)[0].through == datetime.date(2026, 11, 21)


def test_an_invoiced_line_of_a_client_issue_cannot_change(repo):
    assert issue_client(repo, "acme", "--through", "2026-11-15")[0] == 0
    commit(repo, "issue")
    path = repo / "logbook/2026-11.md"
    path.write_text(path.read_text(encoding="utf-8").replace("- 1h Mail outage", "- 1h15m Mail outage"),
                    encoding="utf-8")
    # A line dated within the invoice's days, added after it, is an addition to it.
    with path.open("a", encoding="utf-8") as file:
        file.write("\n# 2026-11-12\n\n## acme\n- 15m Forgotten call\n")
    commit(repo)
    code, problems = check(repo, "2026-11-25")
    assert code == 1
    assert problems == [
        "logbook/2026-11.md:9: error: entry changed after invoice 2026-0001 (acme, 2026-11, through 2026-11-15) "
        "was issued: invoiced as billed 30m at 60.00 = 30.00, now billed 45m at 60.00 = 45.00; restore it as it "
        "was invoiced (git checkout) and record the difference as a #correction entry in an open period instead "
        "(see docs/invoicing.md)",
        "logbook/2026-11.md:17: error: entry added after invoice 2026-0001 (acme, 2026-11, through 2026-11-15) "
        "was issued: billed 15m at 60.00 = 15.00; date it in an open period instead (tag it #correction "
        "#2026-0001 if it corrects that invoice; see docs/invoicing.md)"]


def test_refusals(repo):
    code, _, err = issue_client(repo, "nobody")
    assert refusal(err) == ("hourbook: issue refused: unknown client 'nobody': the clients are acme, beta "
                            "(contracts/<id>.yaml); nothing was written")
    code, _, err = issue_client(repo, "acme", "--through", "2026-11-20")
    assert code == 1
    assert refusal(err) == ("hourbook: issue refused: --through 2026-11-20 is after the issue date 2026-11-16: "
                            "an invoice covers work done by the day it is issued; nothing was written")
    code, _, err = issue_client(repo, "acme", "--through", "2026-10-31")
    assert refusal(err) == ("hourbook: issue refused: nothing to invoice for acme through 2026-10-31: no period "
                            "of its work up to that day that is not invoiced yet has a non-zero total; "
                            "nothing was written")
    assert not (repo / "issued.yaml").exists()
    assert issue_client(repo, "acme", "--through", "2026-11-15")[0] == 0
    commit(repo, "issue")
    code, _, err = issue_client(repo, "acme", "--through", "2026-11-12")
    assert refusal(err) == ("hourbook: issue refused: 2026-11-12 is before 2026-11-15, the date invoice 2026-0001 "
                            "(acme, 2026-11) was issued through: its work up to that day is invoiced; give a later "
                            "--through; nothing was written")
    code, _, err = issue_client(repo, "acme", "--through", "2026-11-15")
    assert "nothing to invoice for acme through 2026-11-15" in refusal(err)
    assert run_cli("issue", "2026-11", "--client", "acme", str(repo))[0] == 2
    assert run_cli("issue", "2026-11", "--through", "2026-11-15", str(repo))[0] == 2


def test_a_period_issued_for_everyone_is_closed_to_client_issues(repo):
    assert run_cli("issue", "2026-11", str(repo), "--as-of", "2026-12-01")[0] == 0
    commit(repo, "issue November")
    code, _, err = issue_client(repo, "acme", "--through", "2026-11-30", as_of="2026-12-01")
    assert "nothing to invoice for acme through 2026-11-30" in refusal(err)


# ------------------------------------------------------------------ the law, over generated books

COMMIT = "0" * 40


def two_clients(books_: Books, rnd: random.Random) -> Books:
    """The generated client `c` and a copy `d` of its contract, with about half of the entries."""
    (contract,) = books_.contracts
    other = replace(contract, id="d", source=Source("contracts/d.yaml", 1))
    entries = tuple(replace(entry, client="d") if rnd.random() < 0.5 else entry for entry in books_.entries)
    return replace(books_, contracts=(contract, other), entries=entries)


def issued_once(priced, recs, finished: bool = True) -> None:
    """No item is on two invoices; when every period is issued (`finished`), every charged line and fee of
    every statement is on exactly one."""
    in_books: Counter = Counter()
    charged = set()
    for client in priced.clients:
        numbers = client_numbers(recs, client.contract.id)
        for statement in client.statements:
            for doc in split_statement(statement, client.contract, numbers):
                amounts = [*(line.amount for line in doc.lines), *(fee.amount for fee in doc.fees)]
                for item, amount in zip(document_items(doc), amounts):
                    in_books[(doc.client, item.source, item.fingerprint)] += 1
                    if amount != 0:
                        charged.add((doc.client, item.source, item.fingerprint))
    invoiced = Counter((record.client, item.source, item.fingerprint) for record in recs for item in record.lines)
    for key, count in invoiced.items():
        assert count <= in_books[key], f"{key} invoiced {count} times"
    for key in charged if finished else ():
        assert invoiced[key] == in_books[key], f"{key} charged but invoiced {invoiced[key]} times"


def apply(priced, recs: list, action) -> list:
    """The records one `issue` would add (the same choices as `invoicing.issue`, without files)."""
    if action[0] == "period":
        if action[1] in full_periods(recs):
            return []                       # refused: already issued
        pieces = period_documents(priced, recs, action[1])
    else:
        try:
            pieces = client_documents(priced, recs, action[1], action[2])
        except CoverageRefusal:
            return []
    pieces.sort(key=lambda p: (p[0].period, p[0].kind != "invoice", p[0].client, p[0].corrects))
    planned = plan_records([(doc, contract) for doc, contract, _ in pieces], recs, priced.books.settings,
                           datetime.date(2026, 12, 31), COMMIT)
    return [replace(record, through=piece[2]) for record, piece in zip(planned, pieces)]


actions = st.lists(st.one_of(
    st.tuples(st.just("client"), st.sampled_from(["c", "d"]),
              st.dates(min_value=datetime.date(2026, 1, 1), max_value=datetime.date(2026, 12, 31))),
    st.tuples(st.just("period"), st.integers(0, 20))), max_size=6)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(books(), st.randoms(use_true_random=False), actions)
def test_every_charged_line_is_invoiced_exactly_once_and_none_can_change(books_, rnd, steps):
    books_ = two_clients(books_, rnd)
    priced = price_books(books_, datetime.date(2026, 12, 31))
    names = sorted({s.period for c in priced.clients for s in c.statements})
    recs: list = []
    for step in steps:
        if step[0] == "period":
            if not names:
                continue
            step = ("period", names[step[1] % len(names)])
        recs += apply(priced, recs, step)
        assert check_frozen(recs, priced) == []
        issued_once(priced, recs, finished=False)
    for name in names:                      # then every period, for everyone
        recs += apply(priced, recs, ("period", name))
    assert check_frozen(recs, priced) == []
    issued_once(priced, recs)
    # Change one invoiced entry: check_frozen reports it.
    invoiced = {item.source for record in recs for item in record.lines}
    changed = next((e for e in books_.entries if str(e.source) in invoiced and e.kind == "time"), None)
    if changed is not None:
        entries = tuple(replace(e, minutes=e.minutes + 60) if e is changed else e for e in books_.entries)
        repriced = price_books(replace(books_, entries=entries), datetime.date(2026, 12, 31))
        assert check_frozen(recs, repriced) != []


def test_service_days_of_a_client_issue():
    """An invoice through 11-15 covers Nov 1-15; the next one of the period Nov 16-30."""
    from hourbook.core.coverage import service_days  # here: only this test needs it
    assert periods.bounds("2026-11") == (datetime.date(2026, 11, 1), datetime.date(2026, 11, 30))
    doc = type("Doc", (), {"period": "2026-11", "key": ("acme", "2026-11", "invoice", "")})()
    first = type("Rec", (), {"key": doc.key, "through": datetime.date(2026, 11, 15)})()
    assert service_days(doc, [], datetime.date(2026, 11, 15)) == (datetime.date(2026, 11, 1),
                                                                   datetime.date(2026, 11, 15))
    assert service_days(doc, [first], None) == (datetime.date(2026, 11, 16), datetime.date(2026, 11, 30))
    assert Decimal("230.00") * Decimal("0.21") == Decimal("48.3000")


# ------------------------------------------------------------------ the register's `through`

def sample_record(number: str, through: datetime.date | None, seq: int = 1):
    from hourbook.core.register import IssuedRecord  # here: only the register tests build records by hand
    return IssuedRecord(number=number, type="invoice", corrects="", scope="invoice/2026", seq=seq, client="acme",
                        period="2026-11", issued=datetime.date(2026, 11, 16), currency="EUR", rate=Decimal(21),
                        net=Decimal("230.00"), tax=Decimal("48.30"), total=Decimal("278.30"), content="sha256:x",
                        commit=COMMIT, pdf=f"invoices/{number}.pdf", lines=(), previous="0" * 64, through=through,
                        source=Source("issued.yaml", 4 + seq))


def test_a_register_where_two_invoices_cover_one_day_is_an_error():
    from hourbook.checks.issued import check_coverage  # here: only this test calls it alone
    first = sample_record("2026-0001", datetime.date(2026, 11, 15))
    assert check_coverage([first, sample_record("2026-0002", datetime.date(2026, 11, 20), 2)]) == []
    assert check_coverage([first, sample_record("2026-0002", None, 2)]) == []
    (problem,) = check_coverage([first, sample_record("2026-0002", datetime.date(2026, 11, 10), 2)])
    assert (str(problem.source), problem.message) == (
        "issued.yaml:6", "invoice 2026-0002 (acme, 2026-11, through 2026-11-10) covers days that invoice 2026-0001 "
        "(acme, 2026-11, through 2026-11-15) already invoiced (up to 2026-11-15): a line would be invoiced twice; "
        "the register was edited by hand")
    (problem,) = check_coverage([sample_record("2026-0001", None), sample_record("2026-0002", None, 2)])
    assert "already invoiced (to the end of the period)" in problem.message


def test_through_is_read_back_and_hashed_and_old_records_have_none():
    from hourbook.core.register import record_text  # here: the register's text form
    from hourbook.core.register import sealed  # here: the register's text form
    from hourbook.load.register import read_register_text  # here: only these tests read register text
    with_through = sealed(sample_record("2026-0001", datetime.date(2026, 11, 15)))
    without = sealed(sample_record("2026-0001", None))
    text = record_text(with_through)
    assert '  through: "2026-11-15"\n' in text and "through" not in record_text(without)
    assert with_through.hash != without.hash
    (read,), problems = read_register_text(text)
    assert problems == [] and read.through == datetime.date(2026, 11, 15) and read.read_hash == with_through.hash
    (read,), problems = read_register_text(record_text(without))
    assert problems == [] and read.through is None and read.read_hash == without.hash
    _, problems = read_register_text(text.replace('"2026-11-15"', '"mid-November"', 1))
    assert [(str(p.source), p.message) for p in problems] == [
        ("issued.yaml:8", "register field 'through' is not a date: 'mid-November': the register was edited by hand")]


OCTOBER = """\
# 2026-10-20

## acme
- 3h Data migration

## beta
- 30m Call
"""


def test_a_client_issue_also_invoices_its_earlier_open_periods(tmp_path, monkeypatch):
    for key, value in GIT_IDENTITY.items():
        monkeypatch.setenv(key, value)
    repo = make_repo(tmp_path / "books", {"contracts/acme.yaml": ACME, "contracts/beta.yaml": BETA,
                                          "logbook/2026-10.md": OCTOBER, "logbook/2026-11.md": NOVEMBER})
    # October, acme: fee 200.00 + (3h - 2h included) 1h at 60 = 260.00, tax 21 % = 54.60, total 314.60;
    # its record goes through October's last day. November up to 11-15: 230.00 as in the first test.
    code, out, err = issue_client(repo, "acme", "--through", "2026-11-15")
    assert code == 0, err
    assert [line.split()[:4] + line.split()[5:10:2] for line in out.splitlines()] == [
        ["2026-0001", "invoice", "acme", "2026-10", "260.00", "54.60", "314.60"],
        ["2026-0002", "invoice", "acme", "2026-11", "230.00", "48.30", "278.30"]]
    assert [r.through for r in records(repo)] == [datetime.date(2026, 10, 31), datetime.date(2026, 11, 15)]
    commit(repo, "issue acme")
    # October for everyone: only beta is left (30m at 80 = 40.00, tax 7.60, total 47.60).
    code, out, err = run_cli("issue", "2026-10", str(repo), "--as-of", "2026-11-16")
    assert code == 0, err
    assert [line.split()[:4] + line.split()[5:10:2] for line in out.splitlines()] == [
        ["2026-0003", "invoice", "beta", "2026-10", "40.00", "7.60", "47.60"]]
    commit(repo, "issue October")
    assert check(repo, "2026-11-20") == (0, [])
    # A new acme line in October is in the days of acme's October invoice (through 10-31): an addition to it.
    with (repo / "logbook/2026-10.md").open("a", encoding="utf-8") as file:
        file.write("\n# 2026-10-30\n\n## acme\n- 30m Late call\n")
    commit(repo)
    code, problems = check(repo, "2026-11-20")
    assert code == 1 and len(problems) == 1
    assert problems[0].startswith("logbook/2026-10.md:12: error: entry added after invoice 2026-0001 (acme, "
                                  "2026-10, through 2026-10-31) was issued: billed 30m at 60.00 = 30.00; date it "
                                  "in an open period instead")


def test_a_held_line_of_a_client_invoice_approved_after_the_period_is_issued_moves_on(tmp_path, monkeypatch):
    for key, value in GIT_IDENTITY.items():
        monkeypatch.setenv(key, value)
    acme = ACME.replace("tax: 21%\n", "tax: 21%\ncontacts:\n  ana: Ana García\n")
    held = NOVEMBER.replace("- 1h30m Server migration", "- 1h30m Server migration\n- 30m @pedro Bigger logo")
    repo = make_repo(tmp_path / "books", {"contracts/acme.yaml": acme, "contracts/beta.yaml": BETA,
                                          "logbook/2026-11.md": held})
    code, out, err = issue_client(repo, "acme", "--through", "2026-11-15")
    assert code == 0, err
    assert "held (requester 'pedro' is not an authorised contact) 30m at 60.00 = 0.00" in [
        item.summary for item in records(repo)[0].lines]
    commit(repo, "issue acme")
    assert run_cli("issue", "2026-11", str(repo), "--as-of", "2026-12-01")[0] == 0
    commit(repo, "issue November")
    path = repo / "logbook/2026-11.md"
    path.write_text(path.read_text(encoding="utf-8").replace("Bigger logo", "Bigger logo #approved"), "utf-8")
    commit(repo, "pedro approved")
    # Not a change to invoice 2026-0001: the line moves to December, the first open period, where the
    # retainer's 2h cover its 30m (amount 0.00, beside December's own fee).
    assert check(repo, "2026-12-02") == (0, [])
    priced, _ = load_and_price(repo, datetime.date(2026, 12, 2))
    (acme_client,) = [c for c in priced.clients if c.contract.id == "acme"]
    december = next(s for s in acme_client.statements if s.period == "2026-12")
    (line,) = [line for line in december.lines if line.held_from is not None]
    assert (line.status, line.amount, line.held_from.number) == ("covered", Decimal("0.00"), "2026-0001")
