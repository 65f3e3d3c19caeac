"""Billing periods: months ("2026-11"), quarters ("2026-Q4") and years ("2026")."""

from __future__ import annotations

import calendar
import functools
import datetime

MONTH = "month"
QUARTER = "quarter"
YEAR = "year"
KINDS = (MONTH, QUARTER, YEAR)


@functools.lru_cache(maxsize=1 << 16)      # books have a few thousand days: each named once a process
def period_of(day: datetime.date, kind: str) -> str:
    """The name of the period holding `day`: `2026-11` for a month, `2026-Q4` for a quarter, `2026` for a year."""
    if kind == YEAR:
        return f"{day.year:04d}"
    if kind == QUARTER:
        return f"{day.year}-Q{(day.month - 1) // 3 + 1}"
    return f"{day.year}-{day.month:02d}"


@functools.lru_cache(maxsize=1 << 12)      # a few hundred periods, asked for by every statement
def bounds(period: str) -> tuple[datetime.date, datetime.date]:
    """First and last day of a period name.

    The last day is the end of the period's last month, never the day before the next
    period: a period of December 9999 has no next one (`datetime` ends there).
    """
    year_text, _, part = period.partition("-")
    year = int(year_text)
    if not part:
        return datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    if part.startswith("Q"):
        first_month = (int(part[1:]) - 1) * 3 + 1
        months = 3
    else:
        first_month = int(part)
        months = 1
    start = datetime.date(year, first_month, 1)
    last_month = first_month + months - 1
    return start, datetime.date(year, last_month, calendar.monthrange(year, last_month)[1])


def periods_between(first: datetime.date, last: datetime.date, kind: str) -> list[str]:
    """Every period from the one holding `first` to the one holding `last`, in order."""
    result = []
    day = first
    while day <= last:
        name = period_of(day, kind)
        result.append(name)
        end = bounds(name)[1]
        if end >= last:
            break
        day = end + datetime.timedelta(days=1)
    return result
