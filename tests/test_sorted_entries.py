"""The loader's entries are marked as sorted in pricing order (`core.records.SortedEntries`), and
pricing takes them as they are: the result is the one of sorting them again."""

from __future__ import annotations

import dataclasses
import datetime
import random

from conftest import copy_example_books

from hourbook.core.pricing import client_entries
from hourbook.core.pricing import price_books
from hourbook.core.records import SortedEntries
from hourbook.core.records import pricing_order
from hourbook.load.books import load_books

AS_OF = datetime.date(2026, 12, 31)


def test_the_loaded_entries_are_sorted_and_priced_as_any_order_of_them(tmp_path):
    books, _ = load_books(copy_example_books(tmp_path / "books"))
    assert type(books.entries) is SortedEntries and len(books.entries) > 100
    assert list(books.entries) == sorted(books.entries, key=pricing_order)
    shuffled = list(books.entries)
    random.Random(7).shuffle(shuffled)
    plain = dataclasses.replace(books, entries=tuple(shuffled))      # a plain tuple: sorted by pricing
    assert client_entries(plain, AS_OF) == client_entries(books, AS_OF)
    priced, priced_plain = price_books(books, AS_OF), price_books(plain, AS_OF)
    assert priced.clients == priced_plain.clients and priced.diagnostics == priced_plain.diagnostics
    # A slice of it is a plain tuple: never taken as sorted.
    assert type(books.entries[1:]) is tuple and type(books.entries + ()) is tuple


def test_the_exchange_rate_check_stops_early_only_in_date_order(tmp_path):
    # Two clients in foreign currencies without rates: the check names each one's first day, whether
    # it stops once every contract's first day is seen (sorted entries) or goes through them all.
    from test_owner_earned import SETTINGS
    from test_owner_earned import SRC
    from test_owner_earned import entry

    from hourbook.checks.books import check_exchange_rates
    from hourbook.core.money import D
    from hourbook.core.records import Books
    from hourbook.core.records import Contract
    from hourbook.core.records import Party
    from hourbook.core.records import Term
    from hourbook.core.records import sorted_entries

    def contract(cid, currency):
        return Contract(id=cid, party=Party(cid), source=SRC, currency=currency,
                        terms=(Term("hourly", datetime.date(2026, 1, 1), None, SRC, rate=D(50)),))

    days = [datetime.date(2026, month, day) for month in (2, 3, 5) for day in (3, 17)]
    entries = [entry(day, 60, client=client) for day in days for client in ("us", "ch", "es")]
    entries.append(entry(datetime.date(2027, 1, 4), 60, client="jp"))      # after the date: never first
    random.Random(3).shuffle(entries)
    contracts = (contract("us", "USD"), contract("ch", "CHF"), contract("es", "EUR"), contract("jp", "JPY"))
    plain = Books(SETTINGS, contracts, tuple(entries))
    ordered = Books(SETTINGS, contracts, sorted_entries(entries))
    found = check_exchange_rates(ordered, AS_OF)
    assert found == check_exchange_rates(plain, AS_OF)
    assert sorted(d.message[:40] for d in found) == ["no exchange rate for CHF on or before 20",
                                                     "no exchange rate for USD on or before 20"]
    assert all("2026-02-03" in d.message for d in found)
    # Without the late client every contract's first day is seen on 3 February: the same warnings.
    early = [e for e in entries if e.client != "jp"]
    assert check_exchange_rates(Books(SETTINGS, contracts[:3], sorted_entries(early)), AS_OF) == found


def test_the_books_first_day_is_the_same_from_sorted_entries_and_any_order():
    # The first entries by date are requests, which begin nothing: sorted entries give their first
    # other entry's day without going through them all, a plain tuple its earliest.
    from test_owner_earned import SETTINGS
    from test_owner_earned import entry

    from hourbook.core.period_figures import books_begin
    from hourbook.core.records import REQUEST
    from hourbook.core.records import Books
    from hourbook.core.records import sorted_entries

    requests = [dataclasses.replace(entry(datetime.date(2026, 1, day), 0), kind=REQUEST, minutes=None)
                for day in (2, 5)]
    work = [entry(datetime.date(2026, month, 9), 60, line=month) for month in (4, 2, 3)]
    entries = requests + work
    random.Random(11).shuffle(entries)
    assert books_begin(Books(SETTINGS, (), sorted_entries(entries))) == datetime.date(2026, 2, 9)
    assert books_begin(Books(SETTINGS, (), tuple(entries))) == datetime.date(2026, 2, 9)
    assert books_begin(Books(SETTINGS, (), sorted_entries(requests))) is None
