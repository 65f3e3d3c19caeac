"""The right fee, which scheme fits, and people (issue 15 items 3, 4 and 5; docs/owner.md).

Every figure below is computed by hand in the comment beside it; docs/owner.md's worked examples are
these books.
"""

from __future__ import annotations

import dataclasses
import datetime
from decimal import Decimal

from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from hourbook.core.fee import suggested_fee
from hourbook.core.fee import window
from hourbook.core.fee_rules import FeeRules
from hourbook.core.people import OWNER
from hourbook.core.people import workers
from hourbook.core.pricing import price_books
from hourbook.core.records import NO_CHARGE
from hourbook.core.records import TIME
from hourbook.core.records import WARNING
from hourbook.core.records import Books
from hourbook.core.records import Contract
from hourbook.core.records import Entry
from hourbook.core.records import Party
from hourbook.core.records import Settings
from hourbook.core.records import Source
from hourbook.core.records import TeamMember
from hourbook.core.records import Term
from hourbook.core.schemes import schemes
from hourbook.load.books import load_books
from hourbook.render.dashboard import client_report

from conftest import SELLER
from conftest import write_books

D = Decimal
SRC = Source("contracts/c.yaml", 1)
AS_OF = datetime.date(2026, 12, 3)
MONTHS = (6, 7, 8, 9, 10, 11)            # June to November 2026: the six periods ended by 3 December
SETTINGS = Settings(seller=Party("Seller"), currency="EUR", cost=D(35), team=(TeamMember("ivan", "Iván", D(28)),),
                    fee=FeeRules(blocks=(10,), incident_pack=(10, D(400))))


def time(month: int, minutes: int, worker: str = "", *tags: str, line: int = 1) -> Entry:
    return Entry(TIME, datetime.date(2026, month, 10), "c", Source("logbook/a.md", line), minutes=minutes,
                 tags=tags, worker=worker)


def hourly(markup: Decimal | None = None) -> Contract:
    """Hourly at 60 an hour from January 2026, `#goodwill` free."""
    term = Term("hourly", datetime.date(2026, 1, 1), None, SRC, rate=D(60), no_charge=frozenset({"goodwill"}))
    return Contract(id="c", party=Party("Client"), source=SRC, terms=(term,), markup=markup)


def mixed_books(markup: Decimal | None = None) -> Books:
    """Each month June..November: the owner 1:40 (100 min) and Iván 1:40; June's owner line is #goodwill."""
    entries = []
    for index, month in enumerate(MONTHS):
        entries.append(time(month, 100, "", *(("goodwill",) if month == 6 else ()), line=2 * index + 1))
        entries.append(time(month, 100, "ivan", line=2 * index + 2))
    return Books(SETTINGS, (hourly(markup),), tuple(entries))


def test_the_fee_is_the_average_cost_of_all_the_work_plus_the_markup_rounded_up():
    priced = price_books(mixed_books(), AS_OF)
    fee = suggested_fee(priced.clients[0], SETTINGS, AS_OF)
    # 6 months × 200 min = 1200 min, free June line included: 200 min (3:20) a month on average.
    assert fee.window == ("2026-06", "2026-07", "2026-08", "2026-09", "2026-10", "2026-11")
    assert fee.average_minutes == 200
    # Each month: 100 min × 35/h = 58.33 (owner) + 100 min × 28/h = 46.67 (Iván) = 105.00; 6 × 105 = 630.00;
    # 630.00 × 60 / 1200 min = 31.50 an hour.
    assert fee.cost_per_hour == D("31.50")
    # 200 / 60 × 31.50 × 1.5 = 157.50, rounded up to a multiple of 50: 200.00.
    assert (fee.before_rounding, fee.amount) == (D("157.50"), D("200.00"))
    assert fee.record() == {"amount": "200.00", "window_periods": 6, "average_minutes": 200,
                            "cost_per_hour": "31.50", "markup": "50%", "round_to": "50"}


def test_a_contract_markup_wins_and_a_shorter_history_is_a_shorter_window():
    priced = price_books(mixed_books(markup=D(1)), AS_OF)
    # 200 / 60 × 31.50 × 2 = 210.00, rounded up to 250.00.
    assert suggested_fee(priced.clients[0], SETTINGS, AS_OF).amount == D("250.00")
    # Work only since October: two ended periods, October and November.
    late = dataclasses.replace(mixed_books(), entries=tuple(e for e in mixed_books().entries if e.date.month >= 10))
    assert window(price_books(late, AS_OF).clients[0], AS_OF, 6) == ("2026-10", "2026-11")


def even_books() -> Books:
    """Each month June..November: the owner 1 h and Iván 1 h, all billed at 60: 12 h in all."""
    entries = [time(m, 60, who, line=2 * i + (who == "ivan")) for i, m in enumerate(MONTHS) for who in ("", "ivan")]
    return Books(SETTINGS, (hourly(),), tuple(entries))


def test_the_scheme_table_prices_the_same_work_under_each_scheme():
    priced = price_books(even_books(), AS_OF)
    client = priced.clients[0]
    fee = suggested_fee(client, SETTINGS, AS_OF)
    # 120 min a month; cost 35 + 28 = 63.00 a month, 378.00 in all, 378 × 60 / 720 = 31.50 an hour;
    # 2 h × 31.50 × 1.5 = 94.50, rounded up to 100.00.
    assert fee.amount == D("100.00")
    table = {s.scheme: s for s in schemes(client, SETTINGS, AS_OF, fee)}
    # The cost of the work is 378.00 under every scheme: margin = what the client pays − 378.00.
    assert {name: (s.client_pays, s.owner_margin) for name, s in table.items()} == {
        "actual": (D("720.00"), D("342.00")),          # 12 h × 60 earned as billed
        "hourly": (D("720.00"), D("342.00")),          # the same: the contract is hourly
        "retainer": (D("600.00"), D("222.00")),        # 6 months × 100.00
        "block-10": (D("1200.00"), D("822.00")),       # 12 h need 2 blocks of 10 h × 60 = 600.00
        "incident-pack": (D("800.00"), D("422.00")),   # 12 entries, 12 incidents: 2 packs of 10 at 400
    }
    assert (table["block-10"].units, table["block-10"].left_minutes) == (2, 480)       # 20 h − 12 h = 8 h left
    assert (table["incident-pack"].units, table["incident-pack"].left_incidents) == (2, 8)
    assert [s.scheme for s in table.values() if s.cheapest] == ["retainer"]
    assert [s.scheme for s in table.values() if s.best_margin] == ["block-10"]
    assert table["retainer"].record() == {"scheme": "retainer", "client_pays": "600.00", "owner_margin": "222.00"}


def test_the_client_report_carries_the_fee_and_the_schemes():
    priced = price_books(even_books(), AS_OF)
    report = client_report(priced.clients[0], SETTINGS, AS_OF)
    assert report.fee.amount == D("100.00")
    assert [s.scheme for s in report.schemes] == ["actual", "hourly", "retainer", "block-10", "incident-pack"]


def test_each_worker_has_hours_cost_billed_and_free_value_and_utilisation():
    priced = price_books(mixed_books(), AS_OF)
    people = {w.id: w for w in workers(priced)}
    owner, ivan = people[OWNER], people["ivan"]
    assert owner.name == "Seller" and ivan.name == "Iván"
    # Owner: 6 × 100 = 600 min, cost 6 × 58.33 = 349.98; June's 100 min free: billed 5 × 100.00 = 500.00,
    # free 100.00; utilisation 500 / 600 = 0.83.
    assert owner.record("EUR") == {"id": "owner", "minutes": 600, "cost": "349.98", "billed_value": "500.00",
                                   "no_charge_value": "100.00", "utilisation": "0.83"}
    # Iván: 600 min, 6 × 46.67 = 280.02, all billed: 600.00, utilisation 1.
    assert ivan.record("EUR") == {"id": "ivan", "minutes": 600, "cost": "280.02", "billed_value": "600.00",
                                  "no_charge_value": "0.00", "utilisation": "1.00"}
    assert dict(owner.periods)["2026-06"].paid_minutes == 0
    assert dict(owner.clients)["c"].minutes == 600


@hypothesis_settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(MONTHS), st.integers(1, 300), st.sampled_from(["", "ivan", "olga"]),
                          st.booleans()), max_size=12))
def test_the_workers_minutes_add_up_to_every_logged_minute(rows):
    entries = tuple(time(m, minutes, who, *(("goodwill",) if free else ()), line=i + 1)
                    for i, (m, minutes, who, free) in enumerate(rows))
    priced = price_books(Books(SETTINGS, (hourly(),), entries), AS_OF)
    logged = sum(s.minutes.logged for c in priced.clients for s in c.statements)
    people = workers(priced)
    assert sum(w.total.minutes for w in people) == logged == sum(minutes for _, minutes, _, _ in rows)
    assert all(w.total.paid_minutes + sum(ln.logged_minutes for c in priced.clients for s in c.statements
                                          for ln in s.lines if ln.status == NO_CHARGE and
                                          (ln.entry.worker or OWNER) == w.id) == w.total.minutes for w in people)


def test_fee_settings_and_a_markup_outside_the_sane_range_are_read_and_warned(tmp_path):
    root = write_books(tmp_path, {
        "hourbook.yaml": SELLER + "fee: {window: 3, markup: 40%, round_to: 25, blocks: [5, 10],"
                                  " incident_pack: {incidents: 4, price: 200}}\n",
        "contracts/c.yaml": """\
            name: C
            markup: 150%
            terms:
              - {from: 2026-01-01, kind: hourly, rate: 60}
            """})
    books, diags = load_books(root)
    assert books.settings.fee == FeeRules(window=3, markup=D("0.4"), round_to=D(25), blocks=(5, 10),
                                          incident_pack=(4, D(200)))
    assert books.contracts[0].markup == D("1.5")
    warnings = [(d.source.path, d.source.line, d.message) for d in diags if d.severity == WARNING]
    assert warnings == [("contracts/c.yaml", 2, "markup 150% is outside the usual 30%..100%; the suggested fee "
                         "uses it anyway: check it")]


def test_the_verdict_costs_each_line_with_who_did_it():
    priced = price_books(mixed_books(), AS_OF)
    report = client_report(priced.clients[0], SETTINGS, AS_OF)
    # Owner 6 × 58.33 = 349.98 plus Iván 6 × 46.67 = 280.02: 630.00, not 1200 min × 35 = 700.00.
    assert report.total.cost == D("630.00")
    # Billed: 1100 min × 60 = 1100.00 (June's 100 free minutes not); margin 1100 − 630 = 470.00.
    assert (report.total.revenue, report.total.margin) == (D("1100.00"), D("470.00"))


def test_time_without_a_cost_is_left_out_of_the_cost_per_hour_not_counted_as_free():
    # No `cost:` in hourbook.yaml: the owner's lines have no cost, Iván's cost 28.
    settings = dataclasses.replace(SETTINGS, cost=None)
    fee = suggested_fee(price_books(dataclasses.replace(mixed_books(), settings=settings), AS_OF).clients[0],
                        settings, AS_OF)
    # Only Iván's 600 minutes are costed: 6 × 46.67 = 280.02 × 60 / 600 = 28.002, 28.00 an hour (not 14.00);
    # the average still counts all 1200 minutes: 200 / 60 × 28 × 1.5 = 140.00, rounded up to 150.00.
    assert (fee.average_minutes, fee.cost_per_hour, fee.amount, fee.cost_known) == (200, D("28.00"), D("150.00"), False)
    nobody = dataclasses.replace(settings, team=(TeamMember("ivan", "Iván", None),))
    fee = suggested_fee(price_books(dataclasses.replace(mixed_books(), settings=nobody), AS_OF).clients[0],
                        nobody, AS_OF)
    assert (fee.cost_per_hour, fee.amount, fee.cost_known) == (D("0.00"), D("0.00"), False)


def test_prices_that_include_tax_are_compared_net_of_it():
    books = even_books()
    contract = dataclasses.replace(books.contracts[0], tax=D("0.21"), prices_include_tax=True)
    priced = price_books(dataclasses.replace(books, contracts=(contract,)), AS_OF)
    fee = suggested_fee(priced.clients[0], SETTINGS, AS_OF)
    table = {s.scheme: s for s in schemes(priced.clients[0], SETTINGS, AS_OF, fee)}
    # The fee of 100.00 (net, as the cost and markup are) is written 121.00 on a tax-inclusive contract:
    # net 121.00 / 1.21 = 100.00 a month, 600.00 for the six.
    assert table["retainer"].client_pays == D("600.00")
    # Hourly at 60 a line, tax included: each line nets 60 / 1.21 = 49.59, 12 lines 595.08, as earned.
    assert table["actual"].client_pays == table["hourly"].client_pays == D("595.08")
