"""`build.caches.ValidationCache` (watch and serve) pinned to `checks.books.validate`.

Between builds it checks again only the workers whose entries are not the very objects of
the last build; everything else it gives back. After every kind of change below, its
diagnostics are exactly validate's (as a set: the pipeline sorts them), and `checked` counts
the workers it had to look at apart.
"""

from __future__ import annotations

import datetime

from test_checks_books import AS_OF
from test_checks_books import QUOTED
from test_checks_books import TEAM
from test_checks_books import books
from test_checks_books import contract
from test_checks_books import entry
from test_checks_books import quote
from test_checks_books import ranged

from hourbook.build.caches import ValidationCache
from hourbook.checks.books import BY_WORKER
from hourbook.checks.books import VALIDATIONS
from hourbook.checks.books import WHOLE_BOOKS
from hourbook.checks.books import validate
from hourbook.core.money import D
from hourbook.core.records import EXPENSE
from hourbook.core.records import sorted_diagnostics


def same(cache: ValidationCache, checked) -> list[str]:
    """The cache's diagnostics, asserted to be validate's; their messages."""
    found = cache(checked, AS_OF)
    expected = validate(checked, AS_OF)
    assert sorted_diagnostics(found) == sorted_diagnostics(expected)
    assert len(found) == len(expected)
    return [d.message for d in sorted_diagnostics(found)]


def test_the_checks_are_split_in_two_with_none_left_out():
    assert set(BY_WORKER) | set(WHOLE_BOOKS) == set(VALIDATIONS)
    assert not set(BY_WORKER) & set(WHOLE_BOOKS)


def test_only_the_worker_whose_entries_changed_is_checked_again():
    carla = [entry(3, "zeppelin", worker="carla"), entry(4, worker="karla"),
             entry(5, tags=("q-wbe",), worker="carla"), ranged(6, "09:00", "10:30", worker="carla"),
             ranged(7, "10:00", "11:00", worker="carla"), entry(8, day=datetime.date(2026, 11, 2), worker="carla"),
             entry(9, kind=EXPENSE, amount=D("0.125"), worker="carla")]
    bo = [ranged(10, "09:00", "10:00", worker="bo"), ranged(11, "10:00", "11:00", worker="bo"),
          entry(12, tags=("gewahrleistung",), worker="bo")]
    cache = ValidationCache()
    first = same(cache, books(*carla, *bo, contracts=(QUOTED,), team=TEAM))
    assert len(first) == 7 and cache.checked == 0        # the first build: every worker at once

    # Bo's second range now overlaps the first: a new object, the others the very same.
    bo[1] = ranged(11, "09:30", "11:00", worker="bo")
    second = same(cache, books(*carla, *bo, contracts=(QUOTED,), team=TEAM))
    assert cache.checked == 1
    assert set(second) - set(first) == {"09:30-11:00 overlaps 09:00-10:00 on 2026-10-06 at logbook/2026/10.md:10"}

    # Nothing changed: nothing checked again, the same diagnostics.
    assert same(cache, books(*carla, *bo, contracts=(QUOTED,), team=TEAM)) == second
    assert cache.checked == 1

    # One of Carla's entries goes, and an entry of a new worker comes.
    del carla[0]
    third = same(cache, books(*carla, *bo, entry(20, "zeppelin", worker="bo"), contracts=(QUOTED,), team=TEAM))
    assert cache.checked == 3                            # and now Carla, and Bo who has one entry more
    assert "unknown client 'zeppelin'" in third and third.count("unknown client 'zeppelin'") == 1


def test_a_change_of_contract_settings_or_date_checks_every_worker_again():
    entries = [entry(5, tags=("q-wbe",), worker="carla"), entry(6, tags=("q-new",), worker="bo")]
    cache = ValidationCache()
    before = same(cache, books(*entries, contracts=(QUOTED,), team=TEAM))
    assert len(before) == 2
    quoted_more = contract("acme", quotes=(quote("Q-Web"), quote("Q-App"), quote("Q-New")))
    after = same(cache, books(*entries, contracts=(quoted_more,), team=TEAM))
    assert len(after) == 1 and cache.checked == 0         # contracts changed: all at once again
    assert same(cache, books(*entries, contracts=(quoted_more,), team=TEAM[:1])) != after   # the team
    later = books(*entries, entry(7, day=datetime.date(2026, 11, 2)), contracts=(quoted_more,), team=TEAM)
    assert len(same(cache, later)) == 2      # q-wbe, and the entry after the date
    # A later date: the entry of 2 November is no longer in the future.
    assert sorted_diagnostics(cache(later, datetime.date(2026, 11, 30))) == sorted_diagnostics(
        validate(later, datetime.date(2026, 11, 30)))
    assert len(validate(later, datetime.date(2026, 11, 30))) == 1 and cache.checked == 0


def test_a_line_with_entries_of_two_workers_is_checked_whole():
    # Two entries at one line, of two workers: the diagnostics cannot be told apart by line.
    shared = [entry(4, "zeppelin", worker="carla"), entry(4, worker="bo", tags=("q-zzz",))]
    cache = ValidationCache()
    assert len(same(cache, books(*shared, contracts=(QUOTED,), team=TEAM))) == 2
    assert cache.workers == {}
    assert len(same(cache, books(*shared, entry(5, worker="bo"), contracts=(QUOTED,), team=TEAM))) == 2
