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
