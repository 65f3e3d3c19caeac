"""`reminders:` and `late_interest:` of hourbook.yaml and of a contract, and a contract's `business:`.

hourbook.yaml gives the defaults; a contract may override either (`late_interest: false` turns
interest off for it). Every bad value is a located error and is left out (the defaults stand);
a business client whose currency has no compensation amount is a warning naming the currency.
What the values mean, and the interest formula, are `core.reminders`' and docs/reminders.md's.
"""

from __future__ import annotations

from decimal import Decimal

from hourbook.core.records import WARNING
from hourbook.core.records import Diagnostic
from hourbook.core.records import LateInterest
from hourbook.core.records import ReminderRules
from hourbook.core.records import Settings
from hourbook.core.records import Source
from hourbook.load.fields import Field
from hourbook.load.fields import currency_field
from hourbook.load.fields import raw_field
from hourbook.load.fields import read_fields
from hourbook.load.fields import yaml_kind
from hourbook.load.problems import Problems
from hourbook.load.scalars import parse_date
from hourbook.load.scalars import parse_money
from hourbook.load.scalars import parse_percent
from hourbook.load.yaml_reader import YList
from hourbook.load.yaml_reader import YMap

DIRECTIVE_POINTS = Decimal("0.08")              # Directive 2011/7/EU, art. 2(6): the reference rate plus 8 points
DIRECTIVE_COMPENSATION = (("EUR", Decimal(40)),)  # art. 6: EUR 40 per invoice paid late
MAX_DAYS = 3650


def days_field(value) -> int:
    """Days overdue: a whole number from 1 to 3650."""
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_DAYS:
        raise ValueError(f"expected a number of days overdue from 1 to {MAX_DAYS}, got {value!r}")
    return value


REMINDER_FIELDS = {"second": Field(days_field), "final": Field(days_field)}
INTEREST_FIELDS = {"rate": Field(raw_field, required=True), "points": Field(parse_percent),
                   "compensation": Field(raw_field)}
RATE_FIELDS = {"from": Field(parse_date, required=True), "rate": Field(parse_percent, required=True)}


def read_reminders(raw, container: YMap, rel: str, base: ReminderRules, diags: Problems) -> ReminderRules:
    """`reminders: {second: N, final: M}` -> the rules, each field missing or bad left as in `base`."""
    line = container.line_of("reminders")
    values = read_fields(raw, REMINDER_FIELDS, rel, line, "reminders", diags)
    if not values:
        return base
    second = values.get("second", base.second)
    final = values.get("final", base.final)
    if final <= second:
        diags.error(rel, line, f"reminders: 'final' ({final} days) must come after 'second' ({second} days)")
        return base
    return ReminderRules(second=second, final=final)


def read_late_interest(raw, container: YMap, rel: str, currency: str, diags: Problems) -> LateInterest | None | bool:
    """`late_interest:` -> the rule, False when `false` (off), None when it cannot be read (reported).

    Args:
        raw: the field's value: `false`, or {rate, points, compensation}.
        container: the mapping holding it (for its line).
        currency: the currency a plain `compensation: 40` is in (hourbook.yaml's or the contract's).
    """
    line = container.line_of("late_interest")
    if raw is False:
        return False
    if not isinstance(raw, YMap):
        diags.error(rel, line, f"late_interest must be false or a mapping {{rate, points, compensation}}, "
                    f"got {yaml_kind(raw)}")
        return None
    before = len(diags)
    values = read_fields(raw, INTEREST_FIELDS, rel, line, "late_interest", diags) or {}
    rates = _read_rates(values["rate"], raw, rel, diags) if "rate" in values else None
    compensation = DIRECTIVE_COMPENSATION
    if "compensation" in values:
        compensation = _read_compensation(values["compensation"], raw, rel, currency, diags)
    if len(diags) > before or rates is None or compensation is None:
        return None
    return LateInterest(rates=rates, points=values.get("points", DIRECTIVE_POINTS), compensation=compensation,
                        source=Source(rel, line))


def _read_rates(raw, interest: YMap, rel: str, diags: Problems):
    """`rate: 2.15%` or `rate: [{from: 2026-07-01, rate: 2.15%}, ...]` -> ((from, fraction), ...) by date."""
    line = interest.line_of("rate")
    if not isinstance(raw, YList):
        try:
            return ((None, parse_percent(raw)),)
        except ValueError as exc:
            diags.error(rel, line, f"late_interest field 'rate': {exc}, or a list of {{from: DATE, rate: N%}}")
            return None
    rates = []
    for index, item in enumerate(raw):
        item_line = raw.line_of(index)
        values = read_fields(item, RATE_FIELDS, rel, item_line, "late_interest rate", diags)
        if not values or "from" not in values or "rate" not in values:
            return None
        if rates and values["from"] <= rates[-1][0]:
            diags.error(rel, item_line, f"late_interest rate from {values['from']} must come after the one "
                        f"from {rates[-1][0]}: list the rates oldest first, one per date")
            return None
        rates.append((values["from"], values["rate"]))
    if not rates:
        diags.error(rel, line, "late_interest field 'rate' is an empty list: give a percentage or "
                    "{from: DATE, rate: N%} items")
        return None
    return tuple(rates)


def _read_compensation(raw, interest: YMap, rel: str, currency: str, diags: Problems):
    """`compensation: 40` (in `currency`), `{EUR: 40, GBP: 35}`, or `0`/`false` for none."""
    line = interest.line_of("compensation")
    if raw is False:
        return ()
    if not isinstance(raw, YMap):
        try:
            amount = parse_money(raw)
            if amount < 0:
                raise ValueError(f"expected an amount of 0 or more, got {amount}")
            return ((currency, amount),)
        except ValueError as exc:
            diags.error(rel, line, f"late_interest field 'compensation': {exc}, or a mapping of currency: amount")
            return None
    amounts = []
    for code, amount in raw.items():
        try:
            amounts.append((currency_field(code), parse_money(amount)))
        except ValueError as exc:
            diags.error(rel, raw.line_of(code), f"late_interest compensation {code!r}: {exc}")
            return None
    return tuple(amounts)


def settings_reminders(values: dict, data: YMap, rel: str, currency: str, diags: Problems) -> dict:
    """hourbook.yaml's `reminders:` and `late_interest:` -> Settings' fields of those names."""
    found = {}
    if "reminders" in values:
        found["reminders"] = read_reminders(values["reminders"], data, rel, ReminderRules(), diags)
    if "late_interest" in values:
        interest = read_late_interest(values["late_interest"], data, rel, currency, diags)
        found["late_interest"] = interest or None
    return found


def contract_reminders(values: dict, data: YMap, rel: str, settings: Settings, currency: str,
                       diags: Problems) -> dict:
    """A contract's `business:`, `reminders:` and `late_interest:`, over hourbook.yaml's -> Contract's fields.

    Business: `business:` when given, else whether the contract has a `tax_id`. Interest applies
    to business clients only; one whose currency has no compensation amount gets a warning.
    """
    business = values.get("business", bool(values.get("tax_id")))
    reminders = settings.reminders or ReminderRules()
    if "reminders" in values:
        reminders = read_reminders(values["reminders"], data, rel, reminders, diags)
    interest = settings.late_interest
    if "late_interest" in values:
        read = read_late_interest(values["late_interest"], data, rel, currency, diags)
        interest = None if read is False else (read or interest)
    if not business:
        interest = None
    if interest is not None and interest.compensation_in(currency) is None:
        where = interest.source if "late_interest" in values else Source(rel, 1)
        diags.append(Diagnostic(where, f"late_interest states no compensation amount in {currency}, this client's "
                                f"currency: its reminders show the interest only (add compensation: "
                                f"{{{currency}: AMOUNT}} to late_interest)", WARNING))
    return {"business": business, "reminders": reminders, "late_interest": interest}
