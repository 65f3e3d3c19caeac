"""Amounts written as Babel writes them (`babel.numbers.format_currency`), without asking Babel
for each one.

An owner's pages show thousands of different sums (each client's totals, each worker's cost,
each month's margin), and Babel works out the locale's pattern, symbols and grouping again for
every one: most of the time of the people page at 100 000 entries. For each currency and
locale, `currency_writer` reads that layout once from what Babel writes for a probe amount
(what comes before and after the digits, positive and negative; the group and decimal
separators; the group sizes; the decimals), then checks itself against Babel on amounts of
every shape (`PROBES`: zero, negative zero, a cent, a few digits, up to thirteen, each signed).
Where its text differs from Babel's on any of them (a locale with a negative pattern of its own,
minimum grouping digits, digits of another script), the writer is Babel itself. So a page is
the same, byte for byte, either way; `tests/test_money_text.py` checks it on random amounts
across Babel's locales.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Callable

from babel import Locale
from babel.numbers import format_currency

from hourbook.core.money import round_money

PROBE = Decimal("1234567.89")
PROBES = tuple(Decimal(text) for text in (
    "0", "-0", "0.01", "-0.01", "0.5", "7", "-7", "12.34", "999.99", "-999.99", "1000", "1234.5", "-1234.56",
    "9999.99", "12345.67", "-12345.67", "123456.78", "1234567.89", "-1234567.89", "98765432.1",
    "1234567890123.45", "-1234567890123.45"))


def currency_writer(currency: str, locale: Locale) -> Callable[[Decimal], str]:
    """`amount -> format_currency(amount, currency, locale=locale)`, for amounts rounded to the
    currency's minor unit (`round_money`): a writer of the layout Babel uses, where it gives
    Babel's text on every one of `PROBES`, else Babel."""
    def babel(amount: Decimal) -> str:
        return format_currency(amount, currency, locale=locale)

    fast = _layout_writer(babel, round_money(PROBE, currency))
    if fast is None:
        return babel
    for probe in PROBES:
        amount = round_money(probe, currency)
        if fast(amount) != babel(amount):
            return babel
    return fast


def _layout_writer(babel: Callable[[Decimal], str], probe: Decimal) -> Callable[[Decimal], str] | None:
    """A writer of Babel's layout for `probe` (7 integer digits, rounded), or None when the text
    does not read as prefix, digits in groups, decimals, suffix."""
    positive, negative = _split(babel(probe)), _split(babel(-probe))
    if positive is None or negative is None or positive[1] != negative[1]:
        return None
    prefix, body, suffix = positive
    negative_prefix, _, negative_suffix = negative
    integer_digits = len(str(int(abs(probe))))
    seen = 0
    separators = []                     # (digits written before it, the separator)
    for char in body:
        if "0" <= char <= "9":
            seen += 1
        else:
            separators.append((seen, char))
    decimals = sum(1 for char in body if "0" <= char <= "9") - integer_digits
    point = ""
    if decimals:
        if not separators or separators[-1][0] != integer_digits:
            return None
        point = separators.pop()[1]
    groups = [count for count, _ in separators]
    marks = {char for _, char in separators}
    if len(marks) > 1 or any(count >= integer_digits for count in groups):
        return None
    mark = marks.pop() if marks else ""
    sizes = [after - before for before, after in zip([0] + groups, groups + [integer_digits])]
    primary = sizes[-1] if groups else 0
    secondary = sizes[-2] if len(sizes) > 2 else primary
    if groups and (any(size != secondary for size in sizes[1:-1]) or sizes[0] > secondary):
        return None

    def write(amount: Decimal) -> str:
        digits = f"{abs(amount):.{decimals}f}"
        whole, _, fraction = digits.partition(".")
        if primary and len(whole) > primary:
            parts = [whole[-primary:]]
            whole = whole[:-primary]
            while len(whole) > secondary:
                parts.append(whole[-secondary:])
                whole = whole[:-secondary]
            parts.append(whole)
            whole = mark.join(reversed(parts))
        text = whole + point + fraction if decimals else whole
        if amount.is_signed():
            return negative_prefix + text + negative_suffix
        return prefix + text + suffix
    return write


def _split(text: str) -> tuple[str, str, str] | None:
    """(what comes before the digits, the digits and what is between them, what comes after)."""
    first = next((at for at, char in enumerate(text) if "0" <= char <= "9"), None)
    if first is None:
        return None
    last = max(at for at, char in enumerate(text) if "0" <= char <= "9")
    return text[:first], text[first:last + 1], text[last + 1:]
