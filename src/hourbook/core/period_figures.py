"""A client's figures for one period: its fees, its statement, totals, minutes, blocks and quotes.

Pricing (`core.pricing`) prices the entries; this module turns a period's lines and the
contract's fees into the period's `Statement`, reading what the ledger says blocks and
quotes had used by then. `totals` is the one place statements and invoices add up.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from hourbook.core import periods
from hourbook.core.money import ZERO
from hourbook.core.money import add_tax
from hourbook.core.money import round_money
from hourbook.core.money import split_gross
from hourbook.core.records import BILLED
from hourbook.core.records import COVERED
from hourbook.core.records import HELD
from hourbook.core.records import NO_CHARGE
from hourbook.core.records import QUOTE
from hourbook.core.records import REQUEST
from hourbook.core.records import TIME
from hourbook.core.records import UNCOVERED
from hourbook.core.records import BlockState
from hourbook.core.records import Books
from hourbook.core.records import Contract
from hourbook.core.records import Fee
from hourbook.core.records import Line
from hourbook.core.records import Minutes
from hourbook.core.records import PrepaidBlock
from hourbook.core.records import QuoteState
from hourbook.core.records import SortedEntries
from hourbook.core.records import Statement

from hourbook.core.ledger import Ledger

RETAINER = "retainer"
DEFAULT_RETAINER_LABEL = "Support retainer"     # a retainer fee's label when its term has none
ANNUAL_RETAINER_LABEL = "Annual support fee"    # ... with `fee: {year: …}` (translated: fee_retainer_year)


def draw_order(blocks: tuple[PrepaidBlock, ...]) -> list[PrepaidBlock]:
    """Earliest expiry first (none last), then earliest bought, then file order."""
    indexed = list(enumerate(blocks))
    indexed.sort(key=lambda item: (item[1].expires is None, item[1].expires or datetime.date.max,
                                   item[1].bought, item[0]))
    return [block for _, block in indexed]


def contract_fees(contract: Contract, as_of: datetime.date, begins: datetime.date | None = None) -> list[Fee]:
    """Retainer fees, prepaid block prices and quote prices, up to the as-of date.

    `begins`: the day the client's books begin (`books_begin`); a retainer's fees before its
    period are not billed here (they were billed before the books), None: from the term's `from`.
    """
    fees = []
    for term in contract.terms:
        if term.kind != "retainer" or term.fee is None or term.start > as_of:
            continue
        # A term without `until` ends where the next term begins.
        later = [other.start for other in contract.terms if other.start > term.start]
        ends = [as_of] + ([term.until] if term.until else []) + (
            [min(later) - datetime.timedelta(days=1)] if later else [])
        last = min(ends)
        first = term.start
        if begins is not None and begins > first:
            first = max(first, periods.bounds(periods.period_of(begins, contract.period))[0])
        fees.extend(retainer_fees(term, first, last, contract.period))
    for block in contract.prepaid:
        # A block used before the books begin (`used_before`) was bought, and invoiced, before them.
        if block.price is not None and block.bought <= as_of and not block.used_before:
            size = (f"{block.incidents} incidents" if block.incidents is not None else
                    format_hours(block.minutes - block.bonus_minutes)
                    + (f" + {format_hours(block.bonus_minutes)} bonus" if block.bonus_minutes else ""))
            fees.append(Fee("prepaid", block.id, f"Prepaid block {block.id} ({size})", block.price,
                            block.bought, block.source))
    for quote in contract.quotes:
        if quote.price is not None and quote.invoice is not None and quote.invoice <= as_of:
            label = f"Quote {quote.id}" + (f": {quote.title}" if quote.title else "")
            fees.append(Fee("quote", quote.id, label, quote.price, quote.invoice, quote.source))
    fees.sort(key=lambda fee: (fee.date, fee.kind, fee.ref))
    return fees


def retainer_fees(term, first: datetime.date, last: datetime.date, kind: str) -> list[Fee]:
    """A retainer term's fees from `first` to `last`: one a period, or with `fee: {year: …}` one on
    the term's `from` and on each anniversary (29 February falls on the 28th in other years)."""
    if term.fee_per != "year":
        return [Fee("retainer", "", term.label or DEFAULT_RETAINER_LABEL, term.fee,
                    max(periods.bounds(period)[0], term.start), term.source)
                for period in periods.periods_between(first, last, kind)]
    fees = []
    year = term.start.year
    while year <= last.year:
        day = anniversary(term.start, year)
        if first <= day <= last:
            fees.append(Fee("retainer", "", term.label or ANNUAL_RETAINER_LABEL, term.fee, day, term.source))
        year += 1
    return fees


def anniversary(start: datetime.date, year: int) -> datetime.date:
    """`start`'s day and month in `year`; 29 February becomes the 28th in a year without it."""
    try:
        return start.replace(year=year)
    except ValueError:
        return start.replace(year=year, day=28)


def books_begin(books: Books) -> datetime.date | None:
    """The first day the books show work or a fee, for any client: the first time or expense
    entry, the `bought` of a block whose price is billed here, the `invoice` of a quote with a
    price; None when there is none. A retainer's fees start there at the earliest
    (`contract_fees`), so a term whose `from` is older than the books bills no run of empty
    periods, and a retainer that starts after the books began bills its quiet periods too."""
    entries = books.entries
    if type(entries) is SortedEntries:      # by date first: the first entry not a request is the earliest
        first = next((entry.date for entry in entries if entry.kind != REQUEST), None)
        days = [first] if first is not None else []
    else:
        days = [entry.date for entry in entries if entry.kind != REQUEST]
    for contract in books.contracts:
        days += [block.bought for block in contract.prepaid if block.price is not None and not block.used_before]
        days += [quote.invoice for quote in contract.quotes if quote.price is not None and quote.invoice is not None]
    return min(days, default=None)


def format_hours(minutes: int) -> str:
    """`20h`, `2h30m`, `0h45m`: a block's size in its fee label."""
    hours, rest = divmod(minutes, 60)
    return f"{hours}h" + (f"{rest}m" if rest else "")


def make_statement(contract: Contract, period: str, lines: list[Line], fees: list[Fee],
                   ledger: Ledger, as_of: datetime.date) -> Statement:
    """One period's statement: lines, fees, totals and minutes, and its blocks and quotes.

    Blocks are as at the period's end, or at `as_of` when that comes first; quotes as at its end.
    """
    start, end = periods.bounds(period)
    net, tax, total = totals(contract, lines, fees)
    return Statement(
        client=contract.id, period=period, start=start, end=end,
        lines=tuple(lines), fees=tuple(fees), net=net, tax=tax, total=total,
        minutes=count_minutes(lines),
        prepaid=tuple(block_states(contract, start, min(end, as_of), ledger)),
        quotes=tuple(quote_states(contract, start, end, ledger)),
    )


def totals(contract: Contract, lines, fees) -> tuple[Decimal, Decimal, Decimal]:
    """(net, tax, total) of lines and fees under the contract's tax: a statement's, an invoice's.

    Each line is rounded already; the sum is rounded once, and the tax is worked out on it, added
    to the net or taken out of a gross price (`prices_include_tax`).
    """
    currency = contract.currency
    gross = round_money(sum((line.amount for line in lines), ZERO) + sum((fee.amount for fee in fees), ZERO),
                        currency)
    if contract.prices_include_tax:
        net, tax = split_gross(gross, contract.tax, currency)
        return net, tax, gross
    tax, total = add_tax(gross, contract.tax, currency)
    return gross, tax, total


def count_minutes(lines: list[Line]) -> Minutes:
    """Logged minutes of the time lines by status, and the billable minutes of the billed ones; expenses count none."""
    logged = {status: 0 for status in (BILLED, COVERED, NO_CHARGE, HELD, QUOTE, UNCOVERED)}
    billed = 0
    for line in lines:
        if line.entry.kind != TIME:
            continue
        logged[line.status] += line.logged_minutes
        if line.status == BILLED:
            billed += line.billed_minutes
    return Minutes(logged=sum(logged.values()), billed=billed, covered=logged[COVERED],
                   no_charge=logged[NO_CHARGE], held=logged[HELD], quote=logged[QUOTE],
                   uncovered=logged[UNCOVERED])


def block_states(contract: Contract, start: datetime.date, end: datetime.date, ledger: Ledger) -> list[BlockState]:
    """Each block bought by `end` and not expired before `start`, as at the close of `end`.

    `end` is the period's last day, or the as-of date in a period still running: a
    block whose last day is still to come is not expired yet.
    """
    states = []
    order = ledger.orders.get(id(contract.prepaid))
    if order is None:
        order = ledger.orders[id(contract.prepaid)] = draw_order(contract.prepaid)
    for block in order:
        if block.bought > end or (block.expires is not None and block.expires < start):
            continue
        used, used_incidents = ledger.used_on(block.id, end)
        # What the block gave before the books begin counts as used from the day it was bought.
        if block.incidents is not None:
            used_incidents += block.used_before
        else:
            used += block.used_before
        expired = block.expires is not None and block.expires <= end
        if block.incidents is not None:
            left = block.incidents - used_incidents
            states.append(BlockState(block, used, 0, 0, used_incidents,
                                     0 if expired else left, left if expired else 0))
        else:
            left = block.minutes - used
            states.append(BlockState(block, used, 0 if expired else left, left if expired else 0))
    return states


def quote_states(contract: Contract, start: datetime.date, end: datetime.date,
                 ledger: Ledger) -> list[QuoteState]:
    """Quotes with work or an approval by the period's end, not invoiced before its start."""
    states = []
    for quote in contract.quotes:
        if quote.invoice is not None and quote.invoice < start:
            continue
        work = [day for day, qid, _ in ledger.quote_work if qid == quote.id]
        if not (work and work[0] <= end) and not (quote.approved_on is not None and quote.approved_on <= end):
            continue
        used = sum(minutes for day, qid, minutes in ledger.quote_work if qid == quote.id and day <= end)
        states.append(QuoteState(quote, used))
    return states
