"""Amounts on pages are Babel's text: `render.money_text.currency_writer`, which writes Babel's
layout without Babel, gives the same text as `babel.numbers.format_currency` for every amount,
in every locale Babel knows, and is Babel itself where its layout reads otherwise."""

from __future__ import annotations

from decimal import Decimal

from babel import Locale
from babel.localedata import locale_identifiers
from babel.numbers import format_currency
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from hourbook.core.money import round_money
from hourbook.render.filters import format_money
from hourbook.render.money_text import currency_writer

LOCALES = sorted(locale_identifiers())
CURRENCIES = ("EUR", "USD", "GBP", "CHF", "JPY", "RUB", "BGN", "SEK", "INR", "KWD", "ISK", "CLF", "XAF")
amounts = st.builds(lambda cents, scale: Decimal(cents).scaleb(-scale), st.integers(-10**15, 10**15),
                    st.integers(0, 4))


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(LOCALES), st.sampled_from(CURRENCIES), st.lists(amounts, min_size=1, max_size=20))
def test_an_amount_reads_as_babel_writes_it_in_any_locale(locale, currency, values):
    parsed = Locale.parse(locale)
    write = currency_writer(currency, parsed)
    for value in values:
        amount = round_money(value, currency)
        assert write(amount) == format_currency(amount, currency, locale=parsed)


def test_the_books_locales_are_written_without_babel():
    """The speed is real: the locales of the example books and the bench get the layout writer."""
    for locale in ("en", "es", "de", "ru", "bg", "fr", "en_GB"):
        for currency in ("EUR", "USD", "GBP", "CHF", "JPY"):
            assert currency_writer(currency, Locale.parse(locale)).__name__ == "write", (locale, currency)


def test_a_locale_whose_negative_amounts_are_laid_out_otherwise_is_written_by_babel():
    # de_CH writes "EUR-1234567.89": no grouping, the sign after the currency.
    write = currency_writer("EUR", Locale.parse("de_CH"))
    assert write.__name__ == "babel"
    assert write(Decimal("-1234567.89")) == format_currency(Decimal("-1234567.89"), "EUR", locale="de_CH")


def test_page_amounts_are_rounded_half_up_then_written():
    assert format_money(Decimal("1234.565"), "EUR", "es") == "1.234,57\xa0€"
    assert format_money(Decimal("-0.004"), "EUR", "en") == format_currency(Decimal("-0.00"), "EUR", locale="en")
    assert format_money(Decimal("12345.5"), "JPY", "en") == "¥12,346"
