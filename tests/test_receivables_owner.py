"""The owner sees receivables (issue 14, item 4): core/ageing.py and owner/receivables.html.

Figures are the example books' (issued.yaml, payments/2026/bank.yaml) as of 2026-12-03 and
2026-12-31, worked by hand in the comments; docs/payments.md "The owner's receivables" shows
the same (`test_docs_example_restates_these_figures`). The properties run `make_ageing` on
any register and payments `core.receivables` accepts.
"""

from __future__ import annotations

import datetime
import re
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from conftest import copy_example_books
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from hourbook.core.ageing import BUCKETS
from hourbook.core.ageing import NOT_DUE
from hourbook.core.ageing import bucket_of
from hourbook.core.ageing import make_ageing
from hourbook.core.receivables import make_receivables
from hourbook.core.records import Payment
from hourbook.core.records import Source
from hourbook.core.register import IssuedRecord
from hourbook.pipeline import load_and_price
from hourbook.render import render_site

D = Decimal
day = datetime.date.fromisoformat
ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "payments.md"


@pytest.fixture(scope="module")
def examples(tmp_path_factory) -> Path:
    return copy_example_books(tmp_path_factory.mktemp("recv"))


def ageing_of(root: Path, as_of: str):
    priced, diagnostics = load_and_price(root, day(as_of))
    assert not [d for d in diagnostics if d.severity == "error"]
    return make_ageing(priced.receivables, priced.as_of)


def figures(client) -> dict:
    return {bucket: amount for bucket, amount in client.buckets.items() if amount}


# --------------------------------------------------------------- the example books, by hand


def test_buckets_and_outstanding_on_2026_12_03(examples):
    ageing = ageing_of(examples, "2026-12-03")
    by_client = {client.client: client for client in ageing.clients}
    # acme 2026-0013 (544.50) is due 2026-12-03 itself: not due yet.
    assert by_client["acme"].outstanding == D("544.50") and figures(by_client["acme"]) == {NOT_DUE: D("544.50")}
    # globex 2026-0014: 5456.25 - the 2000.00 of 2026-11-27 (no number: its oldest open invoice) = 3456.25, due 12-03.
    assert figures(by_client["globex"]) == {NOT_DUE: D("3456.25")}
    # volga 2026-0007 due 10-02: 29 + 30 + 3 = 62 days -> 61-90; 2026-0012 due 11-01: 29 + 3 = 32 days -> 31-60.
    assert figures(by_client["volga"]) == {"31_60": D("90.00"), "61_90": D("78.75")}
    assert by_client["volga"].overdue == D("168.75")
    for paid in ("hofmann", "northwind", "sofia-dent"):
        assert by_client[paid].outstanding == 0 and figures(by_client[paid]) == {}
    # Per currency, never EUR + GBP: 544.50 + 3456.25 + 168.75 = 4169.50 EUR; northwind paid its 18.50 GBP.
    totals = {total.currency: total for total in ageing.totals}
    assert set(totals) == {"EUR", "GBP"}
    assert totals["EUR"].outstanding == D("4169.50")
    assert totals["EUR"].buckets == {NOT_DUE: D("4000.75"), "1_30": 0, "31_60": D("90.00"), "61_90": D("78.75"),
                                     "over_90": 0}
    assert totals["EUR"].overdue == D("168.75") and totals["EUR"].overdue_count == 2
    assert totals["GBP"].outstanding == 0 and totals["GBP"].overdue_count == 0
    # Overdue first, most overdue first.
    assert [(o.client, o.invoice.record.number, o.days, o.amount) for o in ageing.overdue] == [
        ("volga", "2026-0007", 62, D("78.75")), ("volga", "2026-0012", 32, D("90.00"))]


def test_buckets_on_2026_12_31(examples):
    ageing = ageing_of(examples, "2026-12-31")
    # 2026-0007: 62 + 28 = 90 days (still 61-90); 2026-0012: 60 (31-60); 2026-0013 and 2026-0014, due 12-03: 28.
    assert [(o.invoice.record.number, o.days, bucket_of(o.days)) for o in ageing.overdue] == [
        ("2026-0007", 90, "61_90"), ("2026-0012", 60, "31_60"), ("2026-0013", 28, "1_30"), ("2026-0014", 28, "1_30")]
    totals = {total.currency: total for total in ageing.totals}
    # 1-30: acme 544.50 + globex 3456.25 = 4000.75; nothing is not due any more.
    assert totals["EUR"].buckets == {NOT_DUE: 0, "1_30": D("4000.75"), "31_60": D("90.00"), "61_90": D("78.75"),
                                     "over_90": 0}
    assert totals["EUR"].overdue == D("4169.50") and totals["EUR"].overdue_count == 4


def test_average_days_to_pay_and_late(examples):
    ageing = ageing_of(examples, "2026-12-03")
    means = {c.client: (c.average_days_to_pay, c.average_days_late, c.paid_invoices) for c in ageing.clients}
    # acme: 0001 08-04 -> 08-20 = 16; 0005 09-02 -> 09-25 = 23; 0008 10-02 -> 11-20 = 29 + 20 = 49.
    # (16 + 23 + 49) / 3 = 29.33 -> 29.3; late: 0, 0, 11-01 -> 11-20 = 19; 19 / 3 = 6.33 -> 6.3. 0013 is open.
    assert means["acme"] == (D("29.3"), D("6.3"), 3)
    # globex: 08-04 -> 08-28 = 24, 09-02 -> 09-29 = 27, 10-02 -> 10-29 = 27: 78 / 3 = 26.0; 0014 is part paid.
    assert means["globex"] == (D("26.0"), D("0.0"), 3)
    assert means["hofmann"] == (D("3.0"), D("0.0"), 2)              # 10-02 -> 10-05, 11-03 -> 11-06
    assert means["northwind"] == (D("21.0"), D("0.0"), 1)           # 11-03 -> 11-24
    assert means["sofia-dent"] == (D("10.0"), D("0.0"), 2)          # 08-04 -> 08-12 = 8, 10-02 -> 10-14 = 12
    # volga 0004: 08-04 -> 10-16 = 27 + 30 + 16 = 73 days, 43 past its due date 09-03.
    assert means["volga"] == (D("73.0"), D("43.0"), 1)


def test_cash_and_revenue_by_month(examples):
    ageing = ageing_of(examples, "2026-12-03")
    cash = {(m.month.isoformat()[:7], m.currency): m for m in ageing.months}
    # From payments/2026/bank.yaml, by the payments' dates:
    assert cash["2026-08", "EUR"].cash == D("710.10")               # acme 72.60 + globex 600.00 + sofia-dent 37.50
    assert cash["2026-09", "EUR"].cash == D("654.45")               # acme 54.45 + globex 600.00
    # acme 300.00 + globex 600.00 + hofmann 75.00 + sofia-dent 450.00 + volga 112.50
    assert cash["2026-10", "EUR"].cash == D("1537.50")
    assert cash["2026-11", "EUR"].cash == D("2294.10")              # acme 256.60 + globex 2000.00 + hofmann 37.50
    assert cash["2026-11", "GBP"].cash == D("18.50")                # northwind, never added to the euros
    # Revenue on the invoices' dates: the July invoices of 08-04, net 60.00 + 600.00 + 37.50 + 112.50.
    assert cash["2026-08", "EUR"].revenue == D("810.00")
    assert cash["2026-08", "EUR"].invoiced == D("822.60")           # acme's 72.60 with 21 % VAT, the rest without
    register = yaml.safe_load((examples / "issued.yaml").read_text(encoding="utf-8"))
    for currency in ("EUR", "GBP"):
        mine = [r for r in register if r["currency"] == currency]
        assert sum(m.revenue for m in ageing.months if m.currency == currency) == sum(D(r["net"]) for r in mine)
        assert sum(m.invoiced for m in ageing.months if m.currency == currency) == sum(D(r["total"]) for r in mine)


def test_credit_balances(examples):
    ageing = ageing_of(examples, "2026-12-03")
    # sofia-dent paid 450.00 for its 400.00 invoice 2026-0011.
    assert {c.client: c.credit for c in ageing.clients if c.credit} == {"sofia-dent": D("50.00")}
    assert {t.currency: t.credit for t in ageing.totals} == {"EUR": D("50.00"), "GBP": 0}


def test_docs_example_restates_these_figures(examples):
    text = DOCS.read_text(encoding="utf-8")
    section = text.split("## The owner's receivables", 1)[1].split("\n## ", 1)[0]
    ageing = ageing_of(examples, "2026-12-03")
    rows = {}
    for line in section.splitlines():
        cells = [cell.strip().strip("*") for cell in line.strip().strip("|").split("|")]
        if len(cells) == 8 and cells[0] and not set(cells[0]) <= {"-"} and cells[0] != "client":
            rows[cells[0].split(" ")[0]] = cells
    for client in ageing.clients:
        cells = rows[client.client]
        amount = lambda value: f"{value:.2f}" if value else ""        # noqa: E731 - an empty cell for nothing
        assert cells[1] == f"{client.outstanding:.2f}"
        assert cells[2:5] == [amount(client.buckets[b]) for b in (NOT_DUE, "31_60", "61_90")]
        assert cells[5] == amount(client.credit)
        assert cells[6:8] == [str(client.average_days_to_pay), str(client.average_days_late)]
    eur = next(t for t in ageing.totals if t.currency == "EUR")
    assert rows["total"][1:6] == [f"{eur.outstanding:.2f}", f"{eur.buckets[NOT_DUE]:.2f}", f"{eur.buckets['31_60']:.2f}",
                                  f"{eur.buckets['61_90']:.2f}", f"{eur.credit:.2f}"]
    for words in ("**62 days**", "**32 days**", "(16 + 23 + 49) / 3 = 29.3", "**1537.50 EUR**", "**810.00 EUR**",
                  "**822.60 EUR**", "a credit of **50.00**"):
        assert words in section


# --------------------------------------------------------------- buckets


@pytest.mark.parametrize(("days", "bucket"), [
    (-5, NOT_DUE), (0, NOT_DUE), (1, "1_30"), (30, "1_30"), (31, "31_60"), (60, "31_60"), (61, "61_90"),
    (90, "61_90"), (91, "over_90"), (400, "over_90")])
def test_bucket_edges(days, bucket):
    assert bucket_of(days) == bucket


def test_no_receivables_is_an_empty_page_of_figures():
    ageing = make_ageing(None, day("2026-12-03"))
    assert not ageing.shown and ageing.clients == () and ageing.totals == () and ageing.months == ()


# --------------------------------------------------------------- properties


def record(number: int, client: str, issued: datetime.date, total: Decimal, currency: str) -> IssuedRecord:
    return IssuedRecord(number=f"2026-{number:04d}", type="invoice", corrects="", scope="invoice/2026", seq=number,
                        client=client, period="2026-10", issued=issued, currency=currency, rate=D(0), net=total,
                        tax=D(0), total=total, content="", commit="", pdf="", lines=(), previous="")


START = day("2026-01-01")
# The buckets as the issue states them, in days past due (inclusive): written apart from bucket_of.
RANGES = {NOT_DUE: (-10**6, 0), "1_30": (1, 30), "31_60": (31, 60), "61_90": (61, 90), "over_90": (91, 10**6)}
amounts = st.integers(min_value=1, max_value=500_00).map(lambda cents: D(cents) / 100)
offsets = st.integers(min_value=0, max_value=300)


@st.composite
def registers(draw):
    """Invoices of two clients (EUR and GBP) and payments naming an invoice, a client or both."""
    currencies = {"acme": "EUR", "beta": "GBP"}
    records = [record(n + 1, draw(st.sampled_from(sorted(currencies))), START + datetime.timedelta(draw(offsets)),
                      draw(amounts), "")
               for n in range(draw(st.integers(min_value=0, max_value=8)))]
    records = [r.__class__(**{**r.__dict__, "currency": currencies[r.client]}) for r in records]
    payments = []
    for index in range(draw(st.integers(min_value=0, max_value=10))):
        target = draw(st.sampled_from(records)) if records and draw(st.booleans()) else None
        client = target.client if target else draw(st.sampled_from(sorted(currencies)))
        when = (target.issued if target else START) + datetime.timedelta(draw(offsets))
        payments.append(Payment(date=when, amount=draw(amounts), source=Source("payments/p.yaml", index + 1),
                                invoice=target.number if target else "", client="" if target else client))
    as_of = START + datetime.timedelta(draw(st.integers(min_value=0, max_value=500)))
    due_days = {"acme": draw(st.integers(min_value=0, max_value=60)), "beta": 30}
    return make_receivables(records, payments, due_days, as_of, currencies)


@settings(max_examples=150, deadline=None)
@given(registers())
def test_buckets_add_up_and_each_invoice_is_in_one_bucket(receivables):
    ageing = make_ageing(receivables, receivables.as_of)
    for client in ageing.clients:
        assert set(client.buckets) == set(BUCKETS)
        assert sum(client.buckets.values()) == client.outstanding
        # Each open invoice counted once: rebuilding the buckets invoice by invoice gives the same amounts.
        rebuilt = dict.fromkeys(BUCKETS, D(0))
        for invoice in client.receivables.invoices:
            if invoice.outstanding:
                days = (ageing.as_of - invoice.due).days
                homes = [bucket for bucket, (low, high) in RANGES.items() if low <= days <= high]
                assert homes == [bucket_of(days)]
                rebuilt[homes[0]] += invoice.outstanding
        assert rebuilt == client.buckets
    for total in ageing.totals:
        mine = [c for c in ageing.clients if c.currency == total.currency]
        assert sum(total.buckets.values()) == total.outstanding == sum(c.outstanding for c in mine)
        assert total.outstanding == receivables.outstanding().get(total.currency, 0)
    # The overdue list: exactly the invoices past due with something owed, most overdue first.
    expected = {(i.record.number) for c in receivables.clients for i in c.invoices
                if i.outstanding > 0 and i.due < receivables.as_of}
    assert {o.invoice.record.number for o in ageing.overdue} == expected
    assert [o.days for o in ageing.overdue] == sorted((o.days for o in ageing.overdue), reverse=True)
    assert all(o.days > 0 and bucket_of(o.days) != NOT_DUE for o in ageing.overdue)


@settings(max_examples=150, deadline=None)
@given(registers())
def test_cash_by_month_adds_up_to_the_payments_applied(receivables):
    ageing = make_ageing(receivables, receivables.as_of)
    currency = {"acme": "EUR", "beta": "GBP"}
    client_of = {i.record.number: c.client for c in receivables.clients for i in c.invoices}
    for code in ("EUR", "GBP"):
        paid = sum((p.amount for p in receivables.payments
                    if currency[client_of.get(p.invoice, p.client)] == code), D(0))
        assert sum((m.cash for m in ageing.months if m.currency == code), D(0)) == paid
    # Every payment is in the month of its date, and none made after the day counts.
    assert all(p.date <= receivables.as_of for p in receivables.payments)
    months = [(m.month, m.currency) for m in ageing.months]
    assert months == sorted(set(months))
    # Credits: what was paid beyond what was owed, per client, never negative.
    for client in ageing.clients:
        assert client.credit >= 0
        applied = sum(part.amount for i in client.receivables.invoices for part in i.payments)
        received = sum(p.amount for p in receivables.payments if client_of.get(p.invoice, p.client) == client.client)
        assert applied + client.credit == received


# --------------------------------------------------------------- the pages


@pytest.fixture(scope="module")
def site(examples) -> dict[str, str]:
    priced, _ = load_and_price(examples, day("2026-12-03"))
    folders = {c.contract.id: f"{c.contract.id}-0123" for c in priced.clients}
    files = render_site(priced, examples, folders, pdf=False)
    return {path: data.decode("utf-8") for path, data in files.items() if path.endswith(".html")}


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_receivables_page_is_the_owners_only(site):
    assert "owner/receivables.html" in site
    assert not any("receivables" in path for path in site if not path.startswith("owner/"))
    assert not any("Cobros pendientes" in html or "receivables.html" in html
                   for path, html in site.items() if path.startswith("public/"))


def test_the_receivables_page_in_spanish(site):
    page = text_of(site["owner/receivables.html"])
    assert "Pendiente de cobro (EUR) 4.169,50 €" in page
    assert "Vencido 168,75 € Facturas vencidas: 2" in page
    assert "Saldo a favor de clientes 50,00 €" in page
    # The overdue list, most overdue first: 2026-0007 (62 days) before 2026-0012 (32 days).
    assert re.search(r"2026-0007 .*?62 días 78,75 € 78,75 € 2026-0012 .*?32 días 90,00 € 90,00 €", page)
    assert page.index("Facturas vencidas, de la más atrasada") < page.index("Antigüedad de lo pendiente")
    # The totals row of the ageing table: not due 4000.75, 1-30 0, 31-60 90.00, 61-90 78.75, over 90 0.
    assert "Total (EUR) 4.000,75 € 0,00 € 90,00 € 78,75 € 0,00 € 4.169,50 €" in page
    assert "Octubre de 2026 EUR 1.537,50 €" in page
    assert "29,3" in page and "6,3" in page and "26,0" in page      # one decimal always
    for raw in ("part_paid", "not_due", "61_90", "recv_"):
        assert raw not in page


def test_the_dashboard_links_the_receivables_with_a_summary(site):
    page = site["owner/index.html"]
    assert '<a href="receivables.html">' in page
    words = text_of(page)
    assert "Pendiente: 4.169,50 € · Vencido: 168,75 € · Saldo a favor: 50,00 €" in words
    assert "GBP" not in words.split("Cobros", 1)[1].split("Requiere atención")[0]   # nothing owed in pounds


def test_each_client_report_lists_its_invoices(site):
    volga = text_of(site["owner/volga/dashboard.html"])
    assert "Facturas y cobros" in volga
    assert "2026-0007 2 sept 2026 2 oct 2026 Vencida · 62 días 78,75 € 78,75 €" in volga
    assert "2026-0004 4 ago 2026 3 sept 2026 Pagada 112,50 € 0,00 € 112,50 € el 16 oct 2026" in volga
    assert "a los 73,0 días de la factura, con 43,0 días de retraso (facturas pagadas: 1)" in volga
    sofia = text_of(site["owner/sofia-dent/dashboard.html"])
    assert "Saldo a favor: 50,00 €" in sofia
    globex = text_of(site["owner/globex/dashboard.html"])
    assert "2026-0014 3 nov 2026 3 dic 2026 Pagada en parte 5.456,25 € 3.456,25 € 2000,00 € el 27 nov 2026" \
        in globex.replace("2.000,00", "2000,00")


def test_the_page_in_german(tmp_path):
    root = copy_example_books(tmp_path)
    settings_file = root / "hourbook.yaml"
    text = settings_file.read_text(encoding="utf-8")
    assert re.search(r"(?m)^locale: es", text)
    settings_file.write_text(re.sub(r"(?m)^locale: es.*$", "locale: de", text), encoding="utf-8")
    priced, _ = load_and_price(root, day("2026-12-03"))
    files = render_site(priced, root, {}, pdf=False, clients=())
    page = text_of(files["owner/receivables.html"].decode())
    assert "Offen (EUR) 4.169,50 €" in page and "Überfällige Rechnungen, die ältesten zuerst" in page
    assert "62 Tage" in page and "Noch nicht fällig" in page


def test_books_without_invoices_get_the_page_but_no_summary(books):
    root = books({
        "hourbook.yaml": "seller:\n  name: Ana\nlocale: en\ncurrency: EUR\n",
        "contracts/acme.yaml": "name: <b>Acme</b>\nshare: true\nterms:\n  - from: 2026-01-01\n    kind: hourly\n"
                               "    rate: 50\n",
        "logbook/2026.md": "---\nclient: acme\n---\n# 2026-11-05\n- 1h work\n"})
    priced, _ = load_and_price(root, day("2026-11-30"))
    files = render_site(priced, root, {"acme": "acme-0123"}, pdf=False)
    page = files["owner/receivables.html"].decode()
    assert "No invoices issued and no payments recorded yet." in page
    assert "receivables.html" not in files["owner/index.html"].decode()      # no summary, no link
    assert "Invoices and payments" not in files["owner/acme/dashboard.html"].decode()


def test_names_are_escaped_on_the_page(books, examples, tmp_path):
    root = copy_example_books(tmp_path)
    contract = root / "contracts" / "volga.yaml"
    text = contract.read_text(encoding="utf-8")
    contract.write_text(re.sub(r"(?m)^name: .*$", 'name: "<script>alert(1)</script> Volga"', text, count=1),
                        encoding="utf-8")
    priced, _ = load_and_price(root, day("2026-12-03"))
    page = render_site(priced, root, {}, pdf=False, clients=())["owner/receivables.html"].decode()
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt; Volga" in page
