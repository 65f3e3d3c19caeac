"""Conservation laws of pricing, over generated books (Hypothesis).

Each law is a plain function over priced books; the strategies generate whole
books (contracts of every kind, entries of every shape) as records, so the laws
are checked on far more situations than the hand-priced tests can list.
"""

from __future__ import annotations

import datetime
import random
from collections import defaultdict
from decimal import Decimal

import pytest
from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from hourbook.core.earned import EXPIRED
from hourbook.core.earned import USED
from hourbook.core.earned import earned_revenue
from hourbook.core.earned import net_of_tax
from hourbook.core.earned import share_of
from hourbook.core.money import ZERO
from hourbook.core.pricing import BUILT_IN_NO_CHARGE
from hourbook.core.pricing import billable_minutes
from hourbook.core.pricing import price_books
from hourbook.core.records import BILLED
from hourbook.core.records import EXPENSE
from hourbook.core.records import NO_CHARGE
from hourbook.core.records import STATUSES
from hourbook.core.records import TIME
from hourbook.core.records import Books
from hourbook.core.records import Contract
from hourbook.core.records import Entry
from hourbook.core.records import Party
from hourbook.core.records import PrepaidBlock
from hourbook.core.records import Quote
from hourbook.core.records import Settings
from hourbook.core.records import Source
from hourbook.core.records import Term
from hourbook.core.thresholds import deductible_for
from hourbook.core.thresholds import free_time_reason
from hourbook.output.json import priced_json

AS_OF = datetime.date(2026, 12, 31)
TAGS = ["support", "onsite", "urgent", "warranty", "training", "feature", "q-1", "ticket-1", "ticket-2"]
HANDLES = ["ana", "laura", "pedro"]

money = st.decimals(min_value=0, max_value=500, places=2, allow_nan=False, allow_infinity=False)
days = st.dates(min_value=datetime.date(2026, 1, 1), max_value=datetime.date(2026, 12, 31))
durations = st.sampled_from([0, 1, 5, 10, 15, 30, 45, 60])
by_tag = st.dictionaries(st.sampled_from(TAGS), durations, max_size=2).map(lambda d: tuple(d.items()))


@st.composite
def terms(draw, start: datetime.date) -> Term:
    kind = draw(st.sampled_from(["hourly", "retainer", "prepaid", "free"]))
    retainer = kind == "retainer"
    return Term(
        kind=kind, start=start, until=None, source=Source("contracts/c.yaml", 5),
        rate=draw(st.one_of(st.none(), money)) if kind != "hourly" else draw(money),
        rates=tuple(draw(st.dictionaries(st.sampled_from(TAGS), money, max_size=2)).items()),
        increment=draw(st.sampled_from([1, 5, 15, 30])),
        free_under=draw(durations), minimum=draw(durations),
        free_under_tags=draw(by_tag), free_up_to=draw(durations), free_up_to_tags=draw(by_tag),
        deductible=draw(durations), deductible_tags=draw(by_tag),
        surcharge=tuple(draw(st.dictionaries(st.sampled_from(TAGS), st.sampled_from(
            [Decimal("0.5"), Decimal("0.25"), Decimal(1)]), max_size=2)).items()),
        no_charge=frozenset(draw(st.sets(st.sampled_from(TAGS), max_size=1))),
        fee=draw(money) if retainer else None,
        covers=draw(st.one_of(st.none(), st.frozensets(st.sampled_from(TAGS), max_size=3))) if retainer else None,
        included=draw(st.one_of(st.none(), st.integers(0, 600))) if retainer else None,
        fee_per=draw(st.sampled_from(["", "year"])) if retainer else "",
    )


@st.composite
def blocks(draw, index: int) -> PrepaidBlock:
    bought = draw(st.one_of(days, st.dates(min_value=datetime.date(2025, 1, 1),
                                           max_value=datetime.date(2025, 12, 31))))
    incidents = draw(st.one_of(st.none(), st.integers(1, 4)))
    size = 0 if incidents else draw(st.integers(1, 1200))
    return PrepaidBlock(
        id=f"B-{index}", bought=bought, source=Source("contracts/c.yaml", 20 + index),
        minutes=size, incidents=incidents, bonus_minutes=draw(st.integers(0, size // 4)),
        used_before=draw(st.integers(0, incidents if incidents else size)) if draw(st.booleans()) else 0,
        price=draw(st.one_of(st.none(), money)),
        expires=draw(st.one_of(st.none(), st.dates(min_value=bought, max_value=datetime.date(2027, 6, 30)))),
    )


@st.composite
def contracts(draw) -> Contract:
    starts = sorted(draw(st.sets(days, min_size=1, max_size=3)))
    # The first term may start long before the books (a retainer from 2019): fees start with the books.
    starts[0] = draw(st.sampled_from([datetime.date(2026, 1, 1), datetime.date(2019, 3, 1), datetime.date(2024, 2, 29)]))
    return Contract(
        id="c", party=Party("Client"), source=Source("contracts/c.yaml", 1),
        period=draw(st.sampled_from(["month", "quarter", "year"])),
        tax=draw(st.sampled_from([Decimal(0), Decimal("0.21"), Decimal("0.2")])),
        prices_include_tax=draw(st.booleans()),
        contacts=(("ana", ""), ("laura", "")) if draw(st.booleans()) else (),
        terms=tuple(draw(terms(start)) for start in starts),
        prepaid=tuple(draw(blocks(i)) for i in range(draw(st.integers(0, 3)))),
        quotes=(Quote("Q-1", "Work", Source("contracts/c.yaml", 40), price=draw(money), estimate=600,
                      approved_on=datetime.date(2026, 2, 1) if draw(st.booleans()) else None,
                      invoice=draw(st.one_of(st.none(), days))),),
    )


@st.composite
def entries(draw, line: int) -> Entry:
    expense = draw(st.integers(0, 9)) == 0
    return Entry(
        kind=EXPENSE if expense else TIME, date=draw(days), client="c",
        source=Source(f"logbook/{draw(st.sampled_from(['a', 'b', 'c']))}.md", line),
        minutes=0 if expense else draw(st.integers(1, 600)),
        amount=draw(money) if expense else None,
        by=draw(st.sampled_from(["", *HANDLES])),
        tags=tuple(draw(st.lists(st.sampled_from(TAGS), max_size=3, unique=True))),
        approved=draw(st.booleans()),
    )


@st.composite
def books(draw) -> Books:
    contract = draw(contracts())
    count = draw(st.integers(0, 40))
    logged = [draw(entries(line)) for line in range(1, count + 1)]
    logged.sort(key=lambda e: (e.date, e.source.path, e.source.line))
    return Books(settings=Settings(seller=Party("Seller")), contracts=(contract,), entries=tuple(logged))


def lines_by_entry(priced):
    grouped = defaultdict(list)
    for client in priced.clients:
        for statement in client.statements:
            for line in statement.lines:
                grouped[line.entry].append(line)
    return grouped


# ------------------------------------------------------------------ the laws


def law_every_minute_once(books_, priced) -> None:
    """Every logged minute of every priced entry is in exactly one line with one status."""
    grouped = lines_by_entry(priced)
    for entry, lines in grouped.items():
        assert all(line.status in STATUSES for line in lines)
        if entry.kind == TIME:
            assert sum(line.logged_minutes for line in lines) == entry.minutes
            assert all(line.logged_minutes >= 0 for line in lines)
    for client in priced.clients:
        for statement in client.statements:
            minutes = statement.minutes
            billed_logged = sum(line.logged_minutes for line in statement.lines
                                if line.status == BILLED and line.entry.kind == TIME)
            assert minutes.logged == (billed_logged + minutes.covered + minutes.no_charge + minutes.held
                                      + minutes.quote + minutes.uncovered)


def law_splits_keep_billable_time(books_, priced) -> None:
    """Splitting an entry never changes its billable total."""
    contract = books_.contracts[0]
    for entry, lines in lines_by_entry(priced).items():
        if entry.kind == TIME:
            term = contract.term_on(entry.date)
            assert sum(line.billed_minutes for line in lines) == billable_minutes(term, entry.minutes, entry.tags)


def law_no_charge_before_held(books_, priced) -> None:
    """Free work is free whoever asked: an entry with a no-charge tag, or logged within a threshold
    (free_under, free_up_to, deductible), is one no-charge line, never held, and keeps its requester."""
    contract = books_.contracts[0]
    for entry, lines in lines_by_entry(priced).items():
        term = contract.term_on(entry.date)
        tagged = any(tag in BUILT_IN_NO_CHARGE or tag in term.no_charge for tag in entry.tags)
        if tagged or free_time_reason(entry, term) or term.kind == "free":
            assert [line.status for line in lines] == [NO_CHARGE]
            assert lines[0].entry.by == entry.by


def law_deductible_comes_off_first(books_, priced) -> None:
    """Billable minutes = max(logged - deductible, minimum) rounded up to the increment, 0 within the deductible;
    no billed line ever bills the deductible's minutes."""
    contract = books_.contracts[0]
    for entry, lines in lines_by_entry(priced).items():
        if entry.kind != TIME:
            continue
        term = contract.term_on(entry.date)
        deductible = deductible_for(term, entry.tags)
        billable = sum(line.billed_minutes for line in lines)
        if deductible and entry.minutes <= deductible:
            assert billable == 0 and [line.status for line in lines] == [NO_CHARGE]
        else:
            expected = max(entry.minutes - deductible, term.minimum)
            assert billable == -(-expected // term.increment) * term.increment


def law_amounts_add_up(books_, priced) -> None:
    """Line amounts plus fees are the net (or the gross, tax included); total = net + tax."""
    for client in priced.clients:
        contract = client.contract
        for statement in client.statements:
            summed = sum((line.amount for line in statement.lines), ZERO) + sum(
                (fee.amount for fee in statement.fees), ZERO)
            if contract.prices_include_tax:
                assert statement.total == summed
            else:
                assert statement.net == summed
            assert statement.total == statement.net + statement.tax
            for line in statement.lines:
                assert line.amount == (line.value if line.status == BILLED else 0)
                assert line.amount >= 0 and line.value >= 0


def law_blocks_never_negative(books_, priced) -> None:
    for client in priced.clients:
        for statement in client.statements:
            for state in statement.prepaid:
                assert state.remaining_minutes >= 0 and state.expired_minutes >= 0
                assert state.remaining_incidents >= 0 and state.expired_incidents >= 0
                if state.block.incidents is None:
                    assert state.used_minutes + state.remaining_minutes + state.expired_minutes == state.block.minutes
                else:
                    assert (state.used_incidents + state.remaining_incidents + state.expired_incidents
                            == state.block.incidents)


def law_fees_start_with_the_books(books_, priced) -> None:
    """No statement before the period of the client's first work or fee other than a retainer's (no run of
    retainer fees back to an old `from`); an annual fee once a year at most, on an anniversary of its term."""
    from hourbook.core import periods

    contract = books_.contracts[0]
    days = [entry.date for entry in books_.entries] + [
        block.bought for block in contract.prepaid if block.price is not None and not block.used_before] + [
        quote.invoice for quote in contract.quotes if quote.price is not None and quote.invoice is not None]
    for client in priced.clients:
        if days:
            first = periods.period_of(min(days), contract.period)
            assert all(statement.start >= periods.bounds(first)[0] for statement in client.statements)
        annual = [fee for statement in client.statements for fee in statement.fees
                  if fee.kind == "retainer" and fee.label == "Annual support fee"]
        years = [(contract.term_on(fee.date).start, fee.date.year) for fee in annual]
        assert len(years) == len(set(years))    # once a year per term
        for fee in annual:
            term = contract.term_on(fee.date)
            assert term is not None and term.fee_per == "year"
            assert (fee.date.month, fee.date.day) == (term.start.month, term.start.day) or (
                (term.start.month, term.start.day) == (2, 29) and (fee.date.month, fee.date.day) == (2, 28))




@pytest.mark.slow  # long property test: 300 generated books
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(books())
def test_conservation_laws(books_):
    priced = price_books(books_, AS_OF)
    for law in LAWS:
        law(books_, priced)


@pytest.mark.slow  # long property test: 150 generated books
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(books(), st.randoms(use_true_random=False))
def test_pricing_ignores_the_order_entries_arrive_in(books_, rnd: random.Random):
    shuffled = list(books_.entries)
    rnd.shuffle(shuffled)
    again = Books(settings=books_.settings, contracts=books_.contracts, entries=tuple(shuffled))
    assert priced_json(price_books(again, AS_OF), []) == priced_json(price_books(books_, AS_OF), [])


def law_blocks_earned_as_billed(books_, priced) -> None:
    """Over a client's history, block by block: earned as used + earned on expiry + still owed = the price
    billed for blocks and packs, exactly (core.earned, docs/owner.md)."""
    for client in priced.clients:
        earned = earned_revenue(client, priced.as_of)
        # A block billed before the books (`used_before`) earned part of its price before them too.
        here = {block.id for block in client.contract.prepaid if not block.used_before}
        recognised = sum((item.amount for items in earned.earned.values() for item in items
                          if item.kind in (USED, EXPIRED) and item.ref in here), ZERO)
        owed = sum((row.amount for row in earned.owed if row.block.id in here), ZERO)
        billed = sum((item.amount for items in earned.cash.values() for item in items if item.kind == "prepaid"), ZERO)
        assert recognised + owed == billed, (recognised, owed, billed)
        for block in client.contract.prepaid:
            if block.used_before and block.price is not None and block.bought <= priced.as_of:
                units = block.incidents if block.incidents is not None else block.minutes
                before = share_of(net_of_tax(client.contract, block.price), block.used_before, units,
                                  client.contract.currency)
                since = sum((item.amount for items in earned.earned.values() for item in items
                             if item.ref == block.id), ZERO)
                left = sum((row.amount for row in earned.owed if row.block.id == block.id), ZERO)
                assert before + since + left == net_of_tax(client.contract, block.price)
        for row in earned.owed:
            assert row.amount >= 0 and row.minutes >= 0 and row.incidents >= 0


LAWS = [law_every_minute_once, law_splits_keep_billable_time, law_amounts_add_up, law_blocks_never_negative,
        law_fees_start_with_the_books, law_no_charge_before_held,
        law_deductible_comes_off_first, law_blocks_earned_as_billed]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(books())
def test_blocks_earn_exactly_what_they_billed(books_):
    law_blocks_earned_as_billed(books_, price_books(books_, AS_OF))


def test_the_earned_law_catches_a_lost_cent():
    """The law can fail: a block that earned a cent less than it billed is caught."""
    block = PrepaidBlock("B-0", datetime.date(2026, 3, 1), Source("contracts/c.yaml", 20), minutes=600,
                         price=Decimal("100.00"))
    contract = Contract(id="c", party=Party("C"), source=Source("contracts/c.yaml", 1), prepaid=(block,),
                        terms=(Term("prepaid", datetime.date(2026, 1, 1), None, Source("x", 1), rate=Decimal(60)),))
    entry = Entry(TIME, datetime.date(2026, 3, 3), "c", Source("logbook/a.md", 3), minutes=200)
    books_ = Books(Settings(Party("S")), (contract,), (entry,))
    priced = price_books(books_, AS_OF)
    law_blocks_earned_as_billed(books_, priced)
    import dataclasses   # here only: to break one statement's fee on purpose

    statement = priced.clients[0].statements[0]
    fee = dataclasses.replace(statement.fees[0], amount=Decimal("100.01"))
    broken = dataclasses.replace(priced, clients=(dataclasses.replace(
        priced.clients[0], statements=(dataclasses.replace(statement, fees=(fee,)),)),))
    with pytest.raises(AssertionError):
        law_blocks_earned_as_billed(books_, broken)


def test_a_law_catches_a_broken_statement():
    """The laws can fail: a statement whose lines lose a minute is caught."""
    import dataclasses

    contract = Contract(id="c", party=Party("C"), source=Source("contracts/c.yaml", 1),
                        terms=(Term("hourly", datetime.date(2026, 1, 1), None, Source("x", 1), rate=Decimal(60)),))
    entry = Entry(TIME, datetime.date(2026, 3, 3), "c", Source("logbook/a.md", 3), minutes=30)
    books_ = Books(Settings(Party("S")), (contract,), (entry,))
    priced = price_books(books_, AS_OF)
    statement = priced.clients[0].statements[0]
    broken_line = dataclasses.replace(statement.lines[0], logged_minutes=29)
    broken = dataclasses.replace(priced, clients=(dataclasses.replace(
        priced.clients[0], statements=(dataclasses.replace(statement, lines=(broken_line,)),)),))
    try:
        law_every_minute_once(books_, broken)
    except AssertionError:
        return
    raise AssertionError("law_every_minute_once accepted a line that lost a minute")


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(books())
def test_the_threshold_laws_quickly(books_):
    """A few books on every run (the 300 above are slow): the issue-13 rules keep every minute once."""
    priced = price_books(books_, AS_OF)
    for law in (law_every_minute_once, law_splits_keep_billable_time, law_no_charge_before_held,
                law_deductible_comes_off_first):
        law(books_, priced)


def test_the_no_charge_law_catches_a_held_warranty_line():
    """law_no_charge_before_held can fail: a warranty line left held (the old order) is caught."""
    import dataclasses  # only this test rewrites a priced record

    contract = Contract(id="c", party=Party("C"), source=Source("contracts/c.yaml", 1), contacts=(("ana", ""),),
                        terms=(Term("hourly", datetime.date(2026, 1, 1), None, Source("x", 1), rate=Decimal(60)),))
    entry = Entry(TIME, datetime.date(2026, 3, 3), "c", Source("logbook/a.md", 3), minutes=30, by="pedro",
                  tags=("warranty",))
    books_ = Books(Settings(Party("S")), (contract,), (entry,))
    priced = price_books(books_, AS_OF)
    statement = priced.clients[0].statements[0]
    assert [line.status for line in statement.lines] == [NO_CHARGE]
    old_order = dataclasses.replace(statement.lines[0], status="held", reason="requester 'pedro' is not an "
                                    "authorised contact")
    broken = dataclasses.replace(priced, clients=(dataclasses.replace(
        priced.clients[0], statements=(dataclasses.replace(statement, lines=(old_order,)),)),))
    with pytest.raises(AssertionError):
        law_no_charge_before_held(books_, broken)
