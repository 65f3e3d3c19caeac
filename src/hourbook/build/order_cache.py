"""The loader's sort of every entry into pricing order, kept from one build to the next.

`load.books.load_books` sorts the books' entries (`core.records.sorted_entries`): at 100 000
entries, 35 ms of every build, whatever the edit. A watching process keeps the last sort,
and after an edit sorts only the entries that came or went: the entries arrive file after
file in the listing's order, and an unchanged logbook gives the very same objects
(`caches.LogbookCache`), so what an edit changed is one run between a common head and a
common tail, found by identity. The entries that went are taken out of the kept order and
the ones that came are put in at their places (by bisection), a few slices copied in C.

The result is `sorted_entries`' own, entry for entry: a stable sort by `pricing_order`.
Where that cannot be told without sorting (an entry that came has the very key of one that
stays, whose order the input alone decides; an entry that went is not where the kept order
says; more than a fifth of the entries changed) it sorts all of them as before.
`tests/test_order_cache.py` pins it to `sorted_entries` over random edits.
"""

from __future__ import annotations

import bisect
import itertools
import operator

from hourbook.core.records import Entry
from hourbook.core.records import SortedEntries
from hourbook.core.records import pricing_order
from hourbook.core.records import sorted_entries

MOST_CHANGED = 0.2      # above this share of the entries changed, sorting them all is as quick


class PricingOrderCache:
    """`sorted_entries(entries)` that sorts again only what changed since the last call."""

    def __init__(self):
        self.last: tuple[tuple[Entry, ...], SortedEntries] | None = None   # (the entries given, their order)
        self.merged = 0                     # calls answered without a whole sort, for tests

    def __call__(self, entries) -> SortedEntries:
        entries = tuple(entries)
        result = self._merged(entries) if self.last is not None else None
        if result is None:
            result = sorted_entries(entries)
        else:
            self.merged += 1
        self.last = (entries, result)
        return result

    def _merged(self, entries: tuple[Entry, ...]) -> SortedEntries | None:
        """The last order with the changed run's entries taken out and put in; None when a whole
        sort must decide."""
        given, order = self.last
        head = _common(given, entries)
        if head == len(given) == len(entries):
            return order
        tail = _common(reversed(given), reversed(entries), limit=min(len(given), len(entries)) - head)
        went, came = given[head:len(given) - tail], entries[head:len(entries) - tail]
        if len(went) + len(came) > MOST_CHANGED * max(len(entries), 1):
            return None
        kept = _without(order, went)
        if kept is None:
            return None
        return _with(kept, sorted(came, key=pricing_order))


def _common(a, b, limit: int | None = None) -> int:
    """How many of the first items of `a` and `b` are the very same objects (at most `limit`)."""
    differs = list(itertools.islice(map(operator.is_not, a, b), limit))
    try:
        return differs.index(True)
    except ValueError:
        return len(differs)


def _without(order: SortedEntries, went: tuple[Entry, ...]) -> list[Entry] | None:
    """`order` without the entries of `went` (each found among those of its key); None when one is
    not there."""
    places = set()
    for entry in went:
        key = pricing_order(entry)
        place = bisect.bisect_left(order, key, key=pricing_order)
        while place < len(order) and order[place] is not entry and pricing_order(order[place]) == key:
            place += 1
        if place == len(order) or order[place] is not entry or place in places:
            return None
        places.add(place)
    kept: list[Entry] = []
    start = 0
    for place in sorted(places):
        kept += order[start:place]
        start = place + 1
    kept += order[start:]
    return kept


def _with(kept: list[Entry], came: list[Entry]) -> SortedEntries | None:
    """`kept` (in order) with the entries of `came` (in order) put in at their places; None when one
    has the key of a kept entry (their order is the input's, which a stable sort keeps)."""
    result: list[Entry] = []
    start = 0
    for entry in came:
        key = pricing_order(entry)
        place = bisect.bisect_left(kept, key, lo=start, key=pricing_order)
        if place < len(kept) and pricing_order(kept[place]) == key:
            return None
        result += kept[start:place]
        result.append(entry)
        start = place
    result += kept[start:]
    return SortedEntries(result)
