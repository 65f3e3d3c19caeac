"""The kept sort of the entries (`build.order_cache.PricingOrderCache`) gives `sorted_entries`' own
order, entry for entry, after any edit: pinned to the plain sort over random edits, and shown
to take the short way for the edit watch sees every day."""

from __future__ import annotations

import datetime
import random
from collections import Counter

from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from conftest import copy_example_books

from hourbook.build.order_cache import PricingOrderCache
from hourbook.core.records import SortedEntries
from hourbook.core.records import Source
from hourbook.core.records import sorted_entries
from hourbook.load.books import load_books

DAY = datetime.date(2026, 3, 1)


class Item:
    """What `pricing_order` reads of an entry: its date and place (few values, so keys tie)."""

    def __init__(self, day: int, path: str, line: int):
        self.date = DAY + datetime.timedelta(days=day)
        self.source = Source(path, line)

    def __repr__(self):
        return f"Item({self.date.day}, {self.source.path}, {self.source.line})"


def files(draw_ints: list[tuple[int, int, int]]) -> list[Item]:
    return [Item(day, f"logbook/{path}.md", line) for day, path, line in draw_ints]


ITEM = st.tuples(st.integers(0, 5), st.integers(0, 3), st.integers(1, 6))


def same_order(a, b) -> bool:
    return len(a) == len(b) and all(x is y for x, y in zip(a, b))


@settings(max_examples=300, deadline=None)
@given(start=st.lists(ITEM, max_size=40),
       edits=st.lists(st.tuples(st.integers(0, 40), st.integers(0, 6), st.lists(ITEM, max_size=6),
                                st.booleans()), max_size=6))
def test_the_kept_sort_is_the_plain_sort_after_any_edit(start, edits):
    # An edit replaces a run of the entries with new ones (some of them the very objects it removed,
    # as a logbook's cache keeps the entries an edit did not touch), anywhere; keys tie often.
    cache = PricingOrderCache()
    entries = files(start)
    assert same_order(cache(entries), sorted_entries(entries))
    for at, length, new, keep_some in edits:
        at = min(at, len(entries))
        removed = entries[at:at + length]
        came = files(new) + (removed[::2] if keep_some else [])
        entries = entries[:at] + came + entries[at + length:]
        result = cache(entries)
        assert type(result) is SortedEntries
        assert same_order(result, sorted_entries(entries)), (entries, result)


def test_an_edit_of_one_logbook_is_merged_not_sorted_again(tmp_path):
    root = copy_example_books(tmp_path / "books")
    books, _ = load_books(root)
    cache = PricingOrderCache()
    # File after file, as the loader reads them (the last file first: any order of files will do).
    entries = sorted(books.entries, key=lambda entry: entry.source.path, reverse=True)
    assert same_order(cache(entries), books.entries)
    # The edited file's entries are new objects; the others the very same.
    counts = Counter(entry.source.path for entry in entries)
    edited = min(counts, key=counts.get)
    assert 0 < counts[edited] < len(entries) / 10
    fresh = [Item((entry.date - DAY).days, entry.source.path, entry.source.line + 1) if
             entry.source.path == edited else entry for entry in entries]
    result = cache(fresh)
    assert cache.merged == 1 and same_order(result, sorted_entries(fresh))
    assert cache(fresh) is result and cache.merged == 2     # nothing changed: the very order
    # Most of the entries changed: a whole sort.
    shuffled = fresh[:]
    random.Random(5).shuffle(shuffled)
    many = [Item(3, "logbook/x.md", n) for n in range(len(fresh))]
    assert same_order(cache(many + shuffled[:3]), sorted_entries(many + shuffled[:3]))
    assert cache.merged == 2
