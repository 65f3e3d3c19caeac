"""A term's thresholds on logged time: `free_under`, `free_up_to` and `deductible`. Pure.

Each is written for every entry (`free_up_to: 15m`) or by tag (`free_up_to: {phone: 15m}`);
by tag, the entry's first tag found in the map wins, as with `rates:`, and an entry with
none of its tags gets the term-wide value (0, not set, when the field is a map).

- `free_under`: time logged strictly below it is no-charge ("under 15 minutes is free");
- `free_up_to`: time logged at or below it is no-charge ("over 15 minutes is billed");
- `deductible`: the first minutes of every entry are free and the rest billed; an entry
  logged at or under it is no-charge. `pricing.billable_minutes` takes it off first, then
  applies the minimum and the increment.

This module decides nothing about statuses other than these reasons; `pricing` puts them
in the status order.
"""

from __future__ import annotations

from hourbook.core.records import TIME
from hourbook.core.records import Entry
from hourbook.core.records import Term

FREE_UNDER = "free_under"
FREE_UP_TO = "free_up_to"
DEDUCTIBLE = "deductible"
REASONS = (FREE_UNDER, FREE_UP_TO, DEDUCTIBLE)


def by_tag(default: int, per_tag: tuple[tuple[str, int], ...], tags: tuple[str, ...]) -> int:
    """The value for the first of `tags` that `per_tag` names, else `default`.

    Args:
        default: the term-wide value (minutes; 0 when not set).
        per_tag: ((tag, minutes), ...) as the contract lists them.
        tags: the entry's tags, in the order written.

    Returns:
        Minutes.
    """
    if per_tag:
        found = dict(per_tag)
        for tag in tags:
            if tag in found:
                return found[tag]
    return default


def deductible_for(term: Term, tags: tuple[str, ...]) -> int:
    """The minutes of an entry with `tags` that its term gives free (0: none)."""
    return by_tag(term.deductible, term.deductible_tags, tags)


def free_time_reason(entry: Entry, term: Term) -> str | None:
    """`free_under`, `free_up_to` or `deductible` when the entry's logged time makes it no-charge, else None.

    Args:
        entry: a time entry (expenses have no time and are never free by time).
        term: the term in force on its date.

    Returns:
        The reason, checked in that order, or None.
    """
    if entry.kind != TIME:
        return None
    logged, tags = entry.minutes, entry.tags
    if logged < by_tag(term.free_under, term.free_under_tags, tags):
        return FREE_UNDER
    up_to = by_tag(term.free_up_to, term.free_up_to_tags, tags)
    if up_to and logged <= up_to:
        return FREE_UP_TO
    deductible = deductible_for(term, tags)
    if deductible and logged <= deductible:
        return DEDUCTIBLE
    return None
