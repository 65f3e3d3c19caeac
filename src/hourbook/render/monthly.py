"""Sums over priced lines that pages and charts share: minutes by month and status.

Pure functions over records; no formatting, no I/O. The dashboard's money figures
live in `dashboard.py`; this module only counts time.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from typing import Iterable

from hourbook.core.records import STATUSES
from hourbook.core.records import TIME
from hourbook.core.records import Line
from hourbook.core.records import PricedClient

Month = datetime.date  # the first day of a month


def month_of(day: datetime.date) -> Month:
    """The first day of the month of `day`."""
    return day.replace(day=1)


def last_months(last: datetime.date, count: int, first: datetime.date | None = None) -> list[Month]:
    """Up to `count` months ending with the month of `last`, not before the month of `first`."""
    months = [month_of(last)]
    while len(months) < count and months[0] > datetime.date.min:
        previous = month_of(months[0] - datetime.timedelta(days=1))
        if first is not None and previous < month_of(first):
            break
        months.insert(0, previous)
    return months


def client_lines(client: PricedClient, upto: datetime.date | None = None) -> list[Line]:
    """Every line of a client's statements, dated on or before `upto` when given."""
    return [line for statement in client.statements for line in statement.lines
            if upto is None or line.entry.date <= upto]


def minutes_by_month(lines: Iterable[Line]) -> dict[Month, dict[str, int]]:
    """Logged minutes of time lines by month of the entry's date, then by status."""
    result: dict[Month, dict[str, int]] = defaultdict(lambda: dict.fromkeys(STATUSES, 0))
    for line in lines:
        if line.entry.kind == TIME:
            result[month_of(line.entry.date)][line.status] += line.logged_minutes
    return dict(result)


def first_date(lines: Iterable[Line]) -> datetime.date | None:
    """The earliest entry date of `lines`; None when there are none."""
    return min((line.entry.date for line in lines), default=None)


def add_months(parts: Iterable[dict[Month, dict[str, int]]]) -> dict[Month, dict[str, int]]:
    """Several `minutes_by_month` results added up (clients into the whole books)."""
    result: dict[Month, dict[str, int]] = defaultdict(lambda: dict.fromkeys(STATUSES, 0))
    for part in parts:
        for month, counts in part.items():
            total = result[month]
            for status, minutes in counts.items():
                total[status] += minutes
    return dict(result)
