"""The owner's money for one client: revenue earned and cash, given-away and held value, cost and
what is still owed, every amount converted to the owner's currency on its own date.

`core.earned` says when revenue is earned (in the client's currency); `core.exchange` converts each
amount with the rate in force on its day, rounded half up; this module adds them up per period.
Costs are in the seller's `currency` and converted too when the owner's currency differs.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from babel.numbers import format_decimal

from hourbook.core.earned import EXPIRED
from hourbook.core.earned import Earned
from hourbook.core.earned import earned_revenue
from hourbook.core.exchange import convert
from hourbook.core.exchange import owner_currency
from hourbook.core.exchange import rates_used
from hourbook.core.money import MINUTES_PER_HOUR
from hourbook.core.people import worker_cost
from hourbook.core.money import ZERO
from hourbook.core.money import round_money
from hourbook.core.records import EXPENSE
from hourbook.core.records import HELD
from hourbook.core.records import NO_CHARGE
from hourbook.core.records import TIME
from hourbook.core.records import Line
from hourbook.core.records import PricedClient
from hourbook.core.records import Quote
from hourbook.core.records import Settings
from hourbook.core.records import Statement
from hourbook.render import filters


@dataclass(frozen=True)
class PeriodMoney:
    """A period's money in the owner's currency."""

    revenue: Decimal = ZERO             # earned
    revenue_cash: Decimal = ZERO        # billed
    expired: Decimal = ZERO             # the part of `revenue` from blocks that expired unused
    given_away: Decimal = ZERO
    held_value: Decimal = ZERO
    cost: Decimal = ZERO
    cost_known: bool = True


@dataclass(frozen=True)
class OwedRow:
    """A block or pack still owing hours or incidents, its money in the owner's currency."""

    block_id: str
    minutes: int
    incidents: int
    amount: Decimal
    expires: datetime.date | None


@dataclass(frozen=True)
class QuoteRow:
    """A quote's price against the cost of its work, in the owner's currency."""

    quote: Quote
    price: Decimal
    used_minutes: int
    earned: Decimal
    cost: Decimal
    cost_known: bool

    @property
    def margin(self) -> Decimal:
        """The quote's price minus the cost of its work."""
        return self.price - self.cost


def owner_cost(lines, settings: Settings) -> tuple[Decimal, bool]:
    """(cost of the lines' time and expenses in the owner's currency, whether every hour had a cost).

    Each line is costed in the seller's currency, rounded, then converted on its date.
    """
    cost, known = ZERO, True
    for line in lines:
        if line.entry.kind == EXPENSE:
            amount = line.entry.amount or ZERO
        elif line.entry.kind == TIME:
            per_hour = worker_cost(line.entry.worker, settings)
            if per_hour is None:
                known = False
                continue
            amount = round_money(Decimal(line.logged_minutes) * per_hour / MINUTES_PER_HOUR, settings.currency)
        else:
            continue
        cost += convert(amount, settings.currency, line.entry.date, settings)
    return cost, known


def line_values(lines: tuple[Line, ...], status: str, currency: str, settings: Settings) -> Decimal:
    """The value of the lines of `status`, each converted on its date."""
    return sum((convert(ln.value, currency, ln.entry.date, settings) for ln in lines if ln.status == status), ZERO)


def period_money(statement: Statement, earned: Earned, currency: str, settings: Settings) -> PeriodMoney:
    """One period's money in the owner's currency, from its statement and what it earned."""
    items = earned.earned.get(statement.period, ())
    cost, known = owner_cost(statement.lines, settings)
    return PeriodMoney(
        revenue=sum((convert(i.amount, currency, i.day, settings) for i in items), ZERO),
        revenue_cash=sum((convert(i.amount, currency, i.day, settings)
                          for i in earned.cash.get(statement.period, ())), ZERO),
        expired=sum((convert(i.amount, currency, i.day, settings) for i in items if i.kind == EXPIRED), ZERO),
        given_away=line_values(statement.lines, NO_CHARGE, currency, settings),
        held_value=line_values(statement.lines, HELD, currency, settings),
        cost=cost, cost_known=known)


def client_money(client: PricedClient, settings: Settings, as_of: datetime.date
                 ) -> tuple[Earned, tuple[OwedRow, ...], tuple[QuoteRow, ...]]:
    """The client's earned revenue, what its blocks still owe and its quotes' margins, in the owner's currency."""
    currency = client.contract.currency
    earned = earned_revenue(client, as_of)
    owed = tuple(OwedRow(o.block.id, o.minutes, o.incidents, convert(o.amount, currency, o.day, settings),
                         o.block.expires) for o in earned.owed if o.minutes or o.incidents or o.amount)
    quotes = []
    for work in earned.quotes:
        cost, known = owner_cost(work.lines, settings)
        quotes.append(QuoteRow(work.quote, convert(work.price, currency, work.day, settings), work.used_minutes,
                               convert(work.earned, currency, work.day, settings), cost, known))
    return earned, owed, tuple(quotes)


def exchange_note(settings: Settings, currencies, messages, locale: str) -> str:
    """The sentence that says which currency the owner's page is in and the rates it used
    (every listed rate of the page's other currencies; one with none says it is counted one for one)."""
    target = owner_currency(settings)
    others = sorted(set(currencies) - {target})
    if not others:
        return filters.translate(messages, "earned_same_currency", currency=target)
    items = [filters.translate(messages, "earned_rate_item", currency=currency,
                               rate=format_decimal(rate, format="#,##0.00##", locale=filters.babel_locale(locale)),
                               date=filters.format_date(day, locale, "medium"))
             for day, currency, rate in rates_used(settings, others)]
    listed = {currency for _, currency, _ in rates_used(settings, others)}
    items += [filters.translate(messages, "earned_no_rate_item", currency=c) for c in others if c not in listed]
    return filters.translate(messages, "earned_rates_note", currency=target, rates="; ".join(items))


def target_currency(settings: Settings) -> str:
    """The owner's currency (re-exported for the view models)."""
    return owner_currency(settings)
