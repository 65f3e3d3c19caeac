"""Revenue when it is earned: prepaid blocks, incident packs and quotes counted as the work is done.

The statements bill a block's price the day it is bought and a quote's price the day it is
invoiced: that is the cash. Earned revenue (docs/owner.md, "Revenue when earned") counts instead

- a block or pack as its hours or incidents are used, at its price per unit, bonus included
  (price / (hours + bonus hours)): what it has earned by a period's end is
  price × used / units rounded half up, and a period earns the growth of that figure;
- what is left of a block when it expires, in the period of its expiry day;
- a quote in proportion to the work logged on it against its estimate, capped at its price, and
  the rest when it is invoiced (a quote without an estimate: all of it then);
- everything else (time lines, expenses, retainer fees) when it is billed, as the cash.

What blocks still owe (not expired, not used) is `owed`, in units and money, so that over a
client's history, block by block, used + expired + owed = the price billed, exactly (a block
billed before the books, `used_before`, also earned its first units before them).
Amounts are in the client's currency, net of tax; `core.exchange` converts them, a block's at the rate
of the day it was bought whenever it is earned. Pure: no I/O.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from hourbook.core import periods
from hourbook.core.money import ZERO
from hourbook.core.money import round_money
from hourbook.core.money import split_gross
from hourbook.core.pricing import entry_quote
from hourbook.core.records import QUOTE
from hourbook.core.records import Contract
from hourbook.core.records import Line
from hourbook.core.records import PrepaidBlock
from hourbook.core.records import PricedClient
from hourbook.core.records import Quote

WORK = "work"           # time lines, expenses and retainer fees: earned when billed
USED = "used"           # a block's or pack's units used
EXPIRED = "expired"     # what was left of a block on its expiry day
QUOTE_WORK = "quote"    # a quote's share of its price for the work logged on it


@dataclass(frozen=True)
class Dated:
    """An amount of the client's currency, net of tax, and the day whose exchange rate converts it: a line's
    or fee's date; a block's purchase day for all of its price (the money came in then, at that rate)."""

    day: datetime.date
    amount: Decimal
    kind: str = WORK
    ref: str = ""                       # the block's or quote's id (a fee's ref for cash)


@dataclass(frozen=True)
class Owed:
    """What a block or pack still owes the client on the as-of date."""

    block: PrepaidBlock
    minutes: int                        # hours left, in minutes (0 for a pack)
    incidents: int                      # incidents left (0 for hours)
    amount: Decimal                     # its price not yet earned, client's currency, net
    day: datetime.date                  # the day it was bought: its rate converts all of its price


@dataclass(frozen=True)
class QuoteWork:
    """A fixed-price quote: its price, the work logged on it and what it has earned so far."""

    quote: Quote
    price: Decimal                      # net, client's currency
    used_minutes: int
    earned: Decimal
    lines: tuple[Line, ...]             # its work, for its cost
    day: datetime.date                  # the day its price is converted on: invoiced, else the as-of date


@dataclass(frozen=True)
class Earned:
    """One client's revenue by period, earned and cash, and what its blocks still owe."""

    earned: dict[str, tuple[Dated, ...]]     # period -> what it earned
    cash: dict[str, tuple[Dated, ...]]       # period -> what was billed
    owed: tuple[Owed, ...]
    quotes: tuple[QuoteWork, ...]


def net_of_tax(contract: Contract, amount: Decimal) -> Decimal:
    """A billed amount net of tax: itself, or its net part when the contract's prices include tax."""
    if contract.prices_include_tax:
        return split_gross(amount, contract.tax, contract.currency)[0]
    return amount


def share_of(price: Decimal, used: int, units: int, currency: str) -> Decimal:
    """price × used / units, rounded half up: what `used` of `units` units has earned."""
    if units <= 0:
        return price
    return round_money(price * min(used, units) / units, currency)


def earned_revenue(client: PricedClient, as_of: datetime.date) -> Earned:
    """The client's revenue by period (statements starting by `as_of`), earned and cash, and what is owed."""
    contract = client.contract
    statements = [s for s in client.statements if s.start <= as_of]
    earned: dict[str, list[Dated]] = defaultdict(list)
    cash: dict[str, list[Dated]] = defaultdict(list)
    for statement in statements:
        for line in statement.lines:
            if line.amount:
                item = Dated(line.entry.date, net_of_tax(contract, line.amount))
                cash[statement.period].append(item)
                earned[statement.period].append(item)
        for fee in statement.fees:
            item = Dated(fee.date, net_of_tax(contract, fee.amount), WORK if fee.kind == "retainer" else fee.kind,
                         fee.ref)
            cash[statement.period].append(item)
            if fee.kind == "retainer":
                earned[statement.period].append(item)
    owed = block_revenue(client, statements, as_of, earned)
    quotes = quote_revenue(client, statements, as_of, earned)
    return Earned({p: tuple(v) for p, v in earned.items()}, {p: tuple(v) for p, v in cash.items()},
                  tuple(owed), tuple(quotes))


def block_revenue(client: PricedClient, statements, as_of: datetime.date, earned: dict) -> list[Owed]:
    """Add each priced block's used and expired revenue to `earned`; return what the blocks still owe.

    A block used before the books began (`used_before`) was billed before them, and its `used_before`
    units earned before them too: only its units used since (and its expiry) are earned here.
    """
    contract = client.contract
    currency = contract.currency
    owed = []
    for block in contract.prepaid:
        if block.price is None or block.bought > as_of:
            continue
        pack = block.incidents is not None
        units = block.incidents if pack else block.minutes
        price = net_of_tax(contract, block.price)
        used = block.used_before
        done = share_of(price, used, units, currency) if used else ZERO
        for statement in statements:
            state = next((s for s in statement.prepaid if s.block.id == block.id), None)
            if state is None:
                continue
            used = state.used_incidents if pack else state.used_minutes
            so_far = share_of(price, used, units, currency)
            if so_far != done:
                earned[statement.period].append(Dated(block.bought, so_far - done, USED, block.id))
                done = so_far
        if units <= 0 and done != price:          # a block of nothing: earned when bought
            earned[periods.period_of(block.bought, contract.period)].append(
                Dated(block.bought, price - done, USED, block.id))
            done = price
        if block.expires is not None and block.expires <= as_of:
            if done != price:
                earned[periods.period_of(block.expires, contract.period)].append(
                    Dated(block.bought, price - done, EXPIRED, block.id))
            continue
        left = max(units - used, 0)
        owed.append(Owed(block, 0 if pack else left, left if pack else 0, price - done, block.bought))
    return owed


def quote_revenue(client: PricedClient, statements, as_of: datetime.date, earned: dict) -> list[QuoteWork]:
    """Add each priced quote's earned revenue to `earned`: its work's share of the estimate, capped at
    the price, as it is logged; the rest on the day it is invoiced."""
    contract = client.contract
    currency = contract.currency
    found = []
    for quote in contract.quotes:
        if quote.price is None:
            continue
        price = net_of_tax(contract, quote.price)
        invoiced = quote.invoice is not None and quote.invoice <= as_of
        done, used = ZERO, 0
        for statement in statements:
            state = next((s for s in statement.quotes if s.quote.id == quote.id), None)
            if state is not None:
                used = state.used_minutes
            closes = invoiced and quote.invoice <= statement.end
            if closes:
                so_far, day = price, quote.invoice
            elif state is not None and quote.estimate:
                so_far, day = min(price, share_of(price, used, quote.estimate, currency)), min(statement.end, as_of)
            else:
                continue
            if so_far != done:
                earned[statement.period].append(Dated(day, so_far - done, QUOTE_WORK, quote.id))
                done = so_far
            if closes:
                break
        lines = tuple(line for s in statements for line in s.lines
                      if line.status == QUOTE and entry_quote(line.entry, contract) is quote)
        found.append(QuoteWork(quote, price, used, done, lines, quote.invoice if invoiced else as_of))
    return [q for q in found if q.used_minutes or q.earned or q.lines]
