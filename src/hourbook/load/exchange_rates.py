"""hourbook.yaml `exchange_rates:` -> dated rates into the owner's currency (docs/owner.md).

A plain list, oldest first or not: `- {date: 2026-10-01, GBP: 1.1520, RUB: 0.0108}` says that
from 2026-10-01 one pound is 1.1520 of the owner's currency (and one rouble 0.0108), until a
later item names that currency again. Every problem is a located error; the good items are kept.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from hourbook.load.fields import currency_field
from hourbook.load.fields import yaml_kind
from hourbook.load.problems import Problems
from hourbook.load.scalars import parse_date
from hourbook.load.scalars import parse_money
from hourbook.load.yaml_reader import YList
from hourbook.load.yaml_reader import YMap

Rates = tuple[tuple[datetime.date, tuple[tuple[str, Decimal], ...]], ...]


def read_exchange_rates(value, rel: str, line: int, owner_currency: str, diags: Problems) -> Rates:
    """The `exchange_rates:` list -> ((from date, ((currency, rate), ...)), ...), oldest first."""
    if not isinstance(value, YList):
        diags.error(rel, line, f"exchange_rates: expected a list of "
                    f"{{date: 2026-10-01, GBP: 1.1520}} items, got {yaml_kind(value)}")
        return ()
    found: dict[datetime.date, tuple[tuple[str, Decimal], ...]] = {}
    for index, item in enumerate(value):
        at = value.line_of(index)
        if not isinstance(item, YMap) or "date" not in item:
            diags.error(rel, at, f"exchange_rates: expected an item like {{date: 2026-10-01, GBP: 1.1520}}, "
                        f"got {yaml_kind(item)}" + ("" if not isinstance(item, YMap) else " without `date`"))
            continue
        try:
            day = parse_date(item["date"])
        except ValueError as exc:
            diags.error(rel, at, f"exchange_rates: date: {exc}")
            continue
        rates = []
        for key, raw in item.items():
            if key == "date":
                continue
            try:
                currency = currency_field(key)
            except ValueError as exc:
                diags.error(rel, item.line_of(key), f"exchange_rates: {exc}")
                continue
            try:
                rate = parse_money(raw)
            except ValueError as exc:
                diags.error(rel, item.line_of(key), f"exchange_rates: {currency}: {exc}")
                continue
            if rate <= 0:
                diags.error(rel, item.line_of(key), f"exchange_rates: {currency}: a rate must be above 0, got {raw}")
                continue
            if currency == owner_currency:
                diags.error(rel, item.line_of(key), f"exchange_rates: {currency} is the owner's currency "
                            f"(owner_currency); rates are for the other currencies, 1 unit = x {owner_currency}")
                continue
            rates.append((currency, rate))
        if day in found:
            diags.error(rel, at, f"exchange_rates: {day.isoformat()} is listed twice; "
                        f"put all the rates of a day in one item")
            continue
        found[day] = tuple(rates)
    return tuple(sorted(found.items()))
