"""Revenue when it is earned, and the owner's currency (issue 15 items 1 and 2, docs/owner.md).

Every figure below is computed by hand in the comment beside it.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from hourbook.checks.books import check_exchange_rates
from hourbook.core.earned import EXPIRED
from hourbook.core.earned import USED
from hourbook.core.earned import earned_revenue
from hourbook.core.exchange import convert
from hourbook.core.exchange import rate_on
from hourbook.core.pricing import price_books
from hourbook.core.records import TIME
from hourbook.core.records import WARNING
from hourbook.core.records import Books
from hourbook.core.records import Contract
from hourbook.core.records import Entry
from hourbook.core.records import Party
from hourbook.core.records import PrepaidBlock
from hourbook.core.records import Quote
from hourbook.core.records import Settings
from hourbook.core.records import Source
from hourbook.core.records import Term
from hourbook.render.dashboard import client_report
from hourbook.render.dashboard import make_dashboard

from conftest import SELLER
from conftest import write_books

D = Decimal
SRC = Source("contracts/c.yaml", 1)
RATES = ((datetime.date(2026, 7, 1), (("GBP", D("1.1650")),)),
         (datetime.date(2026, 10, 1), (("GBP", D("1.1520")),)))
SETTINGS = Settings(seller=Party("Seller"), currency="EUR", cost=D(35), exchange_rates=RATES, exchange_rates_line=9)


def entry(day: datetime.date, minutes: int, *tags: str, client: str = "c", line: int = 1) -> Entry:
    return Entry(TIME, day, client, Source("logbook/a.md", line), minutes=minutes, tags=tags)


def block_books(expires: datetime.date | None = None) -> Books:
    """A 10-hour block with 2 bonus hours (12 h usable), sold for 600, and 3 h used in March 2026."""
    block = PrepaidBlock("B-1", datetime.date(2026, 3, 1), SRC, minutes=720, bonus_minutes=120,
                         price=D(600), expires=expires)
    contract = Contract(id="c", party=Party("Client"), source=SRC, prepaid=(block,),
                        terms=(Term("prepaid", datetime.date(2026, 1, 1), None, SRC, rate=D(60)),))
    return Books(SETTINGS, (contract,), (entry(datetime.date(2026, 3, 10), 180),))


def test_a_block_earns_its_price_per_hour_bonus_included_as_it_is_used():
    priced = price_books(block_books(), datetime.date(2026, 3, 31))
    earned = earned_revenue(priced.clients[0], priced.as_of)
    # 600 / (10 h + 2 h bonus) = 50.00 an hour; 3 h used in March: 3 × 50 = 150.00.
    assert [(i.kind, i.amount) for i in earned.earned["2026-03"]] == [(USED, D("150.00"))]
    # The statement billed the whole price in March: that is the cash.
    assert sum(i.amount for i in earned.cash["2026-03"]) == D(600)
    # Still owed: 12 h − 3 h = 9 h (540 min), 600 − 150 = 450.00.
    (owed,) = earned.owed
    assert (owed.minutes, owed.incidents, owed.amount) == (540, 0, D("450.00"))
    report = client_report(priced.clients[0], SETTINGS, priced.as_of)
    (row,) = report.rows
    assert (row.figures.revenue, row.figures.revenue_cash) == (D("150.00"), D("600.00"))
    # Cost 3 h × 35 = 105.00; margin on earned revenue 150 − 105 = 45.00; rate 150 / 3 h = 50.00.
    assert (row.figures.cost, row.figures.margin, row.figures.rate) == (D("105.00"), D("45.00"), D("50.00"))
    assert report.owed_amount == D("450.00")


def test_what_is_left_of_a_block_is_earned_in_the_period_it_expires():
    # Expires 31 May; nothing logged in April or May: May earns the 450.00 left (600 − 150).
    priced = price_books(block_books(expires=datetime.date(2026, 5, 31)), datetime.date(2026, 7, 15))
    earned = earned_revenue(priced.clients[0], priced.as_of)
    assert [(i.kind, i.amount) for i in earned.earned["2026-05"]] == [(EXPIRED, D("450.00"))]
    assert earned.owed == ()
    report = client_report(priced.clients[0], SETTINGS, priced.as_of)
    by_period = {row.period: row.figures for row in report.rows}
    # May has no statement of its own: a row shows what it earned, all of it from the expiry.
    assert (by_period["2026-05"].revenue, by_period["2026-05"].expired, by_period["2026-05"].revenue_cash) == (
        D("450.00"), D("450.00"), D(0))
    # Over the block's life: 150 used + 450 expired = 600 billed.
    assert report.total.revenue == report.total.revenue_cash == D("600.00")


def quote_books(invoice: datetime.date | None) -> Books:
    """A quote of 1200 estimated at 10 h, with 5 h (half) logged on it in April 2026."""
    quote = Quote("Q-1", "Migration", SRC, price=D(1200), estimate=600, approved_on=datetime.date(2026, 4, 1),
                  invoice=invoice)
    contract = Contract(id="c", party=Party("Client"), source=SRC, quotes=(quote,),
                        terms=(Term("hourly", datetime.date(2026, 1, 1), None, SRC, rate=D(60)),))
    return Books(SETTINGS, (contract,), (entry(datetime.date(2026, 4, 6), 300, "q-1"),))


def test_a_quote_earns_its_share_of_the_estimate_then_the_rest_when_invoiced():
    priced = price_books(quote_books(None), datetime.date(2026, 4, 30))
    report = client_report(priced.clients[0], SETTINGS, priced.as_of)
    # Half the estimate (5 h of 10 h) logged: 1200 × 300 / 600 = 600.00 earned, nothing billed yet.
    (row,) = report.rows
    assert (row.figures.revenue, row.figures.revenue_cash) == (D("600.00"), D(0))
    (quote,) = report.quote_rows
    # Its margin: price 1200 − the cost of its work, 5 h × 35 = 175.00 -> 1025.00.
    assert (quote.price, quote.earned, quote.cost, quote.margin) == (D(1200), D("600.00"), D("175.00"), D("1025.00"))

    priced = price_books(quote_books(datetime.date(2026, 5, 10)), datetime.date(2026, 5, 31))
    report = client_report(priced.clients[0], SETTINGS, priced.as_of)
    by_period = {row.period: row.figures for row in report.rows}
    # Invoiced 10 May: May bills 1200 and earns the rest, 1200 − 600 = 600.00.
    assert (by_period["2026-05"].revenue, by_period["2026-05"].revenue_cash) == (D("600.00"), D("1200.00"))
    assert (by_period["2026-04"].revenue, by_period["2026-04"].revenue_cash) == (D("600.00"), D(0))


def test_a_quote_past_its_estimate_earns_no_more_than_its_price():
    books = quote_books(None)
    books = Books(books.settings, books.contracts, (entry(datetime.date(2026, 4, 6), 900, "q-1"),))
    priced = price_books(books, datetime.date(2026, 4, 30))
    # 15 h on a 10 h estimate: 1200 × 15/10 = 1800, capped at the price, 1200.
    (row,) = client_report(priced.clients[0], SETTINGS, priced.as_of).rows
    assert row.figures.revenue == D("1200.00")


def gbp_books(day: datetime.date) -> Books:
    contract = Contract(id="uk", party=Party("UK Ltd"), source=SRC, currency="GBP",
                        terms=(Term("hourly", datetime.date(2026, 1, 1), None, SRC, rate=D(50)),))
    return Books(SETTINGS, (contract,), (entry(day, 120, client="uk"),))


def test_a_gbp_line_is_converted_at_the_rate_in_force_on_its_date():
    assert rate_on(SETTINGS, "GBP", datetime.date(2026, 9, 30)) == (D("1.1650"), datetime.date(2026, 7, 1))
    assert rate_on(SETTINGS, "GBP", datetime.date(2026, 10, 1)) == (D("1.1520"), datetime.date(2026, 10, 1))
    # 2 h at 50 GBP = 100.00 GBP; on 5 October the rate is 1.1520: 115.20 EUR.
    priced = price_books(gbp_books(datetime.date(2026, 10, 5)), datetime.date(2026, 10, 31))
    dashboard = make_dashboard(priced)
    (report,) = dashboard.clients
    assert (report.total.currency, report.total.revenue, report.total.revenue_cash) == ("EUR", D("115.20"), D("115.20"))
    # Cost 2 h × 35 EUR = 70.00; margin 115.20 − 70.00 = 45.20 (no "n/a").
    assert (report.total.cost, report.total.margin) == (D("70.00"), D("45.20"))
    assert [t.currency for t in dashboard.totals] == ["EUR"]
    # On 30 September the July rate was in force: 100 × 1.1650 = 116.50.
    priced = price_books(gbp_books(datetime.date(2026, 9, 30)), datetime.date(2026, 10, 31))
    assert client_report(priced.clients[0], SETTINGS, priced.as_of).total.revenue == D("116.50")
    # Half up, per line: 0.05 GBP × 1.1650 = 0.058250 -> 0.06.
    assert convert(D("0.05"), "GBP", datetime.date(2026, 8, 1), SETTINGS) == D("0.06")


def test_a_missing_rate_is_a_warning_naming_the_currency_and_the_date():
    books = gbp_books(datetime.date(2026, 6, 3))
    (problem,) = check_exchange_rates(books, datetime.date(2026, 12, 3))
    assert problem.severity == WARNING
    assert (problem.source.path, problem.source.line) == ("hourbook.yaml", 9)
    assert problem.message.startswith("no exchange rate for GBP on or before 2026-06-03 in exchange_rates")
    # With a rate in force from the first line on, no warning.
    assert check_exchange_rates(gbp_books(datetime.date(2026, 7, 3)), datetime.date(2026, 12, 3)) == []


def test_exchange_rates_are_read_from_hourbook_yaml_and_a_missing_one_is_located(tmp_path):
    from hourbook.pipeline import load_and_price   # import here: the whole pipeline, for the loader's lines

    settings = SELLER + "exchange_rates:\n  - {date: 2026-10-01, GBP: 1.1520, RUB: 0.0108}\n"
    root = write_books(tmp_path, {
        "hourbook.yaml": settings,
        "contracts/uk.yaml": "name: UK Ltd\ncurrency: GBP\nterms:\n  - {from: 2026-01-01, kind: hourly, rate: 50}\n",
        "logbook/2026-07.md": "# 2026-07-03\n\n## uk\n- 2h Server check\n",
    })
    priced, diagnostics = load_and_price(root, datetime.date(2026, 12, 3))
    rates = priced.books.settings.exchange_rates
    assert rates == ((datetime.date(2026, 10, 1), (("GBP", D("1.1520")), ("RUB", D("0.0108")))),)
    texts = [f"{d.source.path}:{d.source.line}: {d.message}" for d in diagnostics]
    # `exchange_rates:` is line 9 of hourbook.yaml (SELLER has 8 lines).
    assert any(t.startswith("hourbook.yaml:9: no exchange rate for GBP on or before 2026-07-03") for t in texts), texts


def test_a_block_billed_before_the_books_earns_the_hours_used_since():
    # 10 h for 650, billed before the books, 1 h used before them (earned then: 650 × 1/10 = 65.00).
    block = PrepaidBlock("OLD", datetime.date(2025, 12, 1), SRC, minutes=600, price=D(650), used_before=60)
    contract = Contract(id="c", party=Party("Client"), source=SRC, prepaid=(block,),
                        terms=(Term("prepaid", datetime.date(2026, 1, 1), None, SRC, rate=D(60)),))
    priced = price_books(Books(SETTINGS, (contract,), (entry(datetime.date(2026, 1, 12), 180),)),
                         datetime.date(2026, 1, 31))
    earned = earned_revenue(priced.clients[0], priced.as_of)
    # 3 h in January: 650 × 4/10 − 65.00 = 260.00 − 65.00 = 195.00; nothing billed (it was, before).
    assert [(i.kind, i.amount) for i in earned.earned["2026-01"]] == [(USED, D("195.00"))]
    assert earned.cash.get("2026-01", ()) == ()
    # Owed: 6 h (360 min) and 650 − 260 = 390.00.
    (owed,) = earned.owed
    assert (owed.minutes, owed.amount) == (360, D("390.00"))


def test_the_owner_pages_show_earned_billed_owed_and_the_rates_used(tmp_path):
    from hourbook.pipeline import load_and_price   # import here: the whole pipeline, for real pages
    from hourbook.render import render_site        # import here: as above

    settings = SELLER + "exchange_rates:\n  - {date: 2026-07-01, GBP: 1.1650}\n  - {date: 2026-10-01, GBP: 1.1520}\n"
    root = write_books(tmp_path, {
        "hourbook.yaml": settings,
        "contracts/uk.yaml": ("name: UK Ltd\ncurrency: GBP\nterms:\n  - {from: 2026-01-01, kind: prepaid, rate: 50}\n"
                              "prepaid:\n  - {id: B-1, bought: 2026-10-01, hours: 10, bonus: 2h, price: 600}\n"),
        "logbook/2026-10.md": "# 2026-10-05\n\n## uk\n- 3h Server move\n",
    })
    priced, diagnostics = load_and_price(root, datetime.date(2026, 10, 31))
    assert [d for d in diagnostics if d.severity == WARNING] == []
    files = render_site(priced, root, {"uk": "uk-0123abcd"}, pdf=False, provenance=None)
    owner = files["owner/index.html"].decode()
    # 600 GBP / 12 h = 50 GBP an hour; 3 h used = 150 GBP at 1.1520 (bought 1 October) = 172.80 EUR earned;
    # billed 600 × 1.1520 = 691.20 EUR; still owed 9 h, 450 GBP = 518.40 EUR.
    assert "Revenue earned (net, EUR)" in owner and "€172.80" in owner and "billed: €691.20" in owner
    assert "Still owed to clients" in owner and "€518.40" in owner and "unused: 9:00 h" in owner
    assert "1 GBP = 1.165 from" in owner and "1 GBP = 1.152 from" in owner
    assert "n/a" not in owner
    report = files["owner/uk/dashboard.html"].decode()
    assert "Still owed to the client" in report and "€518.40" in report and "All amounts in EUR" in report
    # The client's own statement still bills 600 pounds.
    statement = files["public/uk-0123abcd/2026-10.html"].decode()
    body = statement[statement.index("<body"):]
    assert "£600.00" in body and "€" not in body


def test_an_owner_currency_of_its_own_converts_the_costs_too():
    # The seller bills and costs in EUR but counts in GBP: 1 EUR = 0.8600 GBP from 1 January 2026.
    settings = Settings(seller=Party("Seller"), currency="EUR", cost=D(35), owner_currency="GBP",
                        exchange_rates=((datetime.date(2026, 1, 1), (("EUR", D("0.8600")),)),))
    contract = Contract(id="c", party=Party("Client"), source=SRC,
                        terms=(Term("hourly", datetime.date(2026, 1, 1), None, SRC, rate=D(50)),))
    priced = price_books(Books(settings, (contract,), (entry(datetime.date(2026, 3, 2), 120),)),
                         datetime.date(2026, 3, 31))
    total = client_report(priced.clients[0], settings, priced.as_of).total
    # 2 h × 50 EUR = 100.00 EUR -> 86.00 GBP; cost 2 h × 35 EUR = 70.00 EUR -> 60.20 GBP; margin 25.80 GBP.
    assert (total.currency, total.revenue, total.cost, total.margin) == ("GBP", D("86.00"), D("60.20"), D("25.80"))
