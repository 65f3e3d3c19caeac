"""Money into the owner's currency: the rate in force on a day, from hourbook.yaml's dated list.

`exchange_rates: [{date: 2026-10-01, GBP: 1.1520}]` says one pound is 1.1520 of the owner's
currency from 2026-10-01 until a later item names GBP again. An amount dated before the first
rate of its currency takes that first rate (the books warn: `missing_rates`); a currency with no
rate at all is counted one for one (warned too). Each amount is converted on its own and rounded
half up to the owner's currency. Pure: no network, no I/O.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from hourbook.core.money import round_money
from hourbook.core.records import Settings

ONE = Decimal(1)


def owner_currency(settings: Settings) -> str:
    """The currency of the owner's pages: `owner_currency`, else `currency`."""
    return settings.owner_currency or settings.currency


def rate_on(settings: Settings, currency: str, day: datetime.date) -> tuple[Decimal, datetime.date | None]:
    """(rate, the day it is in force from) for one unit of `currency` on `day`.

    The latest listed rate on or before `day`; before the first, the first (rate, its date);
    with none listed, (1, None). The owner's own currency is (1, None).
    """
    if currency == owner_currency(settings):
        return ONE, None
    found = None
    for start, rates in settings.exchange_rates:
        rate = dict(rates).get(currency)
        if rate is None:
            continue
        if start > day:
            return (rate, start) if found is None else found
        found = (rate, start)
    return found if found is not None else (ONE, None)


def has_rate(settings: Settings, currency: str, day: datetime.date) -> bool:
    """Whether a rate for `currency` is in force on `day` (always, for the owner's own currency)."""
    if currency == owner_currency(settings):
        return True
    return any(start <= day and currency in dict(rates) for start, rates in settings.exchange_rates)


def convert(amount: Decimal, currency: str, day: datetime.date, settings: Settings) -> Decimal:
    """`amount` of `currency` dated `day` in the owner's currency, rounded half up."""
    target = owner_currency(settings)
    if currency == target:
        return amount
    rate, _ = rate_on(settings, currency, day)
    return round_money(amount * rate, target)


def rates_used(settings: Settings, currencies) -> list[tuple[datetime.date, str, Decimal]]:
    """The listed rates of `currencies` (other than the owner's), oldest first: for the page's note."""
    wanted = set(currencies) - {owner_currency(settings)}
    return [(start, currency, rate) for start, rates in settings.exchange_rates
            for currency, rate in rates if currency in wanted]


def missing_rates(settings: Settings, first_days: dict[str, datetime.date]) -> list[tuple[str, datetime.date]]:
    """(currency, day) for each currency whose first amount (`first_days`) has no rate in force."""
    return [(currency, day) for currency, day in sorted(first_days.items())
            if not has_rate(settings, currency, day)]
