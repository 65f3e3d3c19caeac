"""`build.caches.ValidationCache` (watch and serve) pinned to `checks.books.validate`.

Between builds it checks again only the logbook files (the checks of one entry) and the
workers' days (overlaps) whose entries are not the very objects of the last build; everything
else it gives back. After every kind of change below, and after any run of random edits
(hypothesis), its diagnostics are exactly validate's (as a set: the pipeline sorts them), and
`checked` counts the files and days it had to look at apart.
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
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from hourbook.checks.books import BY_WORKER
from hourbook.checks.books import PER_ENTRY
from hourbook.checks.books import check_overlaps
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
    assert set(PER_ENTRY) == set(BY_WORKER) - {check_overlaps}


def test_only_the_file_and_the_day_an_edit_changed_are_checked_again():
    carla = [entry(3, "zeppelin", worker="carla"), entry(4, worker="karla"),
             entry(5, tags=("q-wbe",), worker="carla"), ranged(6, "09:00", "10:30", worker="carla"),
             ranged(7, "10:00", "11:00", worker="carla"), entry(8, day=datetime.date(2026, 11, 2), worker="carla"),
             entry(9, kind=EXPENSE, amount=D("0.125"), worker="carla")]
    bo = [ranged(10, "09:00", "10:00", worker="bo", path="logbook/bo.md"),
          ranged(11, "10:00", "11:00", worker="bo", path="logbook/bo.md"),
          entry(12, tags=("gewahrleistung",), worker="bo", path="logbook/bo.md")]
    cache = ValidationCache()
    first = same(cache, books(*carla, *bo, contracts=(QUOTED,), team=TEAM))
    assert len(first) == 7 and cache.checked == 0        # the first build: every file at once

    # Bo's second range now overlaps the first: a new object, the others the very same.
    bo[1] = ranged(11, "09:30", "11:00", worker="bo", path="logbook/bo.md")
    second = same(cache, books(*carla, *bo, contracts=(QUOTED,), team=TEAM))
    assert cache.checked == 2                            # Bo's file, and Bo's 6 October
    assert set(second) - set(first) == {"09:30-11:00 overlaps 09:00-10:00 on 2026-10-06 at logbook/bo.md:10"}

    # Nothing changed: nothing checked again, the same diagnostics.
    assert same(cache, books(*carla, *bo, contracts=(QUOTED,), team=TEAM)) == second
    assert cache.checked == 2

    # One of Carla's entries goes (no range), and an entry of a new file comes.
    del carla[0]
    third = same(cache, books(*carla, *bo, entry(20, "zeppelin", worker="bo", path="logbook/new.md"),
                              contracts=(QUOTED,), team=TEAM))
    assert cache.checked == 4                            # Carla's file and the new one; no day
    assert "unknown client 'zeppelin'" in third and third.count("unknown client 'zeppelin'") == 1


def test_one_worker_s_days_are_checked_again_from_the_edited_one_while_they_change():
    # A night's range carries into the next morning: editing it changes the next day's overlap.
    night = ranged(3, "22:00", "01:30", worker="carla", day=datetime.date(2026, 10, 5))
    morning = ranged(4, "01:00", "02:00", worker="carla", day=datetime.date(2026, 10, 6))
    later = [ranged(5 + n, "09:00", "10:00", worker="carla", day=datetime.date(2026, 10, 7 + n)) for n in range(5)]
    cache = ValidationCache()
    assert same(cache, books(night, morning, *later, team=TEAM)) == [
        "01:00-02:00 overlaps 22:00-01:30 on 2026-10-05 at logbook/2026/10.md:3"]
    shorter = ranged(3, "22:00", "00:30", worker="carla", day=datetime.date(2026, 10, 5))
    assert same(cache, books(shorter, morning, *later, team=TEAM)) == []
    assert cache.checked == 1 + 2          # the file; the night's day and the morning's, not the five after


def test_a_change_of_contract_settings_or_date_checks_everything_again():
    entries = [entry(5, tags=("q-wbe",), worker="carla"), entry(6, tags=("q-new",), worker="bo", path="logbook/bo.md")]
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


WORKERS = ("carla", "carla", "carla", "bo")     # mostly one worker: days follow each other
PATHS = ("logbook/2026/10.md", "logbook/bo.md")


@st.composite
def an_entry(draw, line: int) -> object:
    """A time range (some across midnight), a plain entry, or one of an unknown client, on one of
    three days, of one of two workers, in one of three files."""
    day = datetime.date(2026, 10, 5 + draw(st.integers(0, 2)))
    where = {"worker": draw(st.sampled_from(WORKERS)), "path": draw(st.sampled_from(PATHS)), "day": day}
    kind = draw(st.sampled_from(["range", "range", "range", "plain", "stranger"]))
    if kind == "range":
        start = draw(st.sampled_from([30, 60, 540, 570, 1320, 1380]))    # mornings, nights (across midnight)
        length = draw(st.integers(1, 6)) * 30
        clock = lambda minutes: f"{minutes // 60 % 24:02d}:{minutes % 60:02d}"  # noqa: E731
        return ranged(line, clock(start), clock(start + length), **where)
    return entry(line, "zeppelin" if kind == "stranger" else "acme", **where)


@st.composite
def edits(draw) -> list[list]:
    """Books of up to 12 entries, then up to 6 edits: an entry replaced, added or removed."""
    entries = [draw(an_entry(line)) for line in range(1, draw(st.integers(1, 12)) + 1)]
    steps = [list(entries)]
    for step in range(draw(st.integers(1, 6))):
        entries = list(entries)
        what = draw(st.sampled_from(["replace", "add", "remove"]))
        if what == "add" or not entries:
            entries.append(draw(an_entry(100 + step)))
        elif what == "replace":
            at = draw(st.integers(0, len(entries) - 1))
            entries[at] = draw(an_entry(entries[at].source.line))
        else:
            del entries[draw(st.integers(0, len(entries) - 1))]
        steps.append(entries)
    return steps


@hypothesis_settings(max_examples=300, deadline=None)
@given(edits())
def test_after_any_edits_the_cache_says_what_validate_says(steps):
    cache = ValidationCache()
    for entries in steps:
        ordered = sorted(entries, key=lambda e: (e.date, e.source.path, e.source.line))   # as the loader gives them
        same(cache, books(*ordered, team=TEAM))
        same(cache, books(*entries, team=TEAM))           # and in any order
