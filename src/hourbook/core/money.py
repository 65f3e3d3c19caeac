"""Decimal helpers: the only way money is made, rounded and written. Never a float."""

from __future__ import annotations

from decimal import ROUND_HALF_UP
from decimal import Decimal
from decimal import InvalidOperation

ZERO = Decimal(0)
MINUTES_PER_HOUR = Decimal(60)

# ISO 4217 minor units that are not 2; everything else has cents.
_MINOR_UNITS = {
    "BHD": 3, "BIF": 0, "CLF": 4, "CLP": 0, "DJF": 0, "GNF": 0, "IQD": 3, "ISK": 0, "JOD": 3, "JPY": 0,
    "KMF": 0, "KRW": 0, "KWD": 3, "LYD": 3, "OMR": 3, "PYG": 0, "RWF": 0, "TND": 3, "UGX": 0, "UYI": 0,
    "UYW": 4, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
}


def D(value: object) -> Decimal:
    """Make a Decimal from text, an int or a Decimal; refuse floats.

    Raises:
        TypeError: for a float, which would carry binary error into money.
        ValueError: for text that is not a number.
    """
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool) or isinstance(value, float):
        raise TypeError(f"money must not pass through {type(value).__name__}: {value!r}")
    if isinstance(value, int):
        return Decimal(value)
    text = str(value).strip().replace("_", "")
    try:
        result = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"not a number: {value!r}") from None
    if not result.is_finite():
        raise ValueError(f"not a finite number: {value!r}")
    return result


def minor_digits(currency: str) -> int:
    """Decimal places of a currency's minor unit (ISO 4217): 2 unless listed, e.g. JPY 0, BHD 3."""
    return _MINOR_UNITS.get(currency.upper(), 2)


_QUANTA: dict[str, Decimal] = {}


def quantum(currency: str) -> Decimal:
    """The smallest amount of a currency, e.g. `Decimal("0.01")`; cached per code."""
    found = _QUANTA.get(currency)
    if found is None:
        found = _QUANTA[currency] = Decimal(1).scaleb(-minor_digits(currency))
    return found


def round_money(amount: Decimal, currency: str) -> Decimal:
    """Round half up to the currency's minor unit."""
    # Positional, not rounding=: the keyword costs more than the rounding (called per line).
    return amount.quantize(_QUANTA.get(currency) or quantum(currency), ROUND_HALF_UP)


def format_money(amount: Decimal, currency: str) -> str:
    """The JSON form: a plain string with the currency's minor digits, e.g. "75.00"."""
    return str(round_money(amount, currency))


def time_value(minutes: int, rate: Decimal, surcharge: Decimal, currency: str) -> Decimal:
    """minutes × rate / 60 × (1 + surcharge), rounded half up to the minor unit."""
    value = Decimal(minutes) * rate / MINUTES_PER_HOUR
    if surcharge:  # × 1 changes neither the value nor its exponent: skipped, most lines have none
        value *= 1 + surcharge
    return round_money(value, currency)


def split_gross(gross: Decimal, rate: Decimal, currency: str) -> tuple[Decimal, Decimal]:
    """Split a tax-inclusive sum into (net, tax): net = gross / (1 + rate), half up."""
    net = round_money(gross / (1 + rate), currency)
    return net, gross - net


def add_tax(net: Decimal, rate: Decimal, currency: str) -> tuple[Decimal, Decimal]:
    """(tax, total) on a net sum: tax = net × rate, half up."""
    tax = round_money(net * rate, currency)
    return tax, net + tax
