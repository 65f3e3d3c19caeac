"""Billing periods: months ("2026-11") and quarters ("2026-Q4")."""

from __future__ import annotations

import datetime

MONTH = "month"
QUARTER = "quarter"
KINDS = (MONTH, QUARTER)


def period_of(day: datetime.date, kind: str) -> str:
    if kind == QUARTER:
        return f"{day.year}-Q{(day.month - 1) // 3 + 1}"
    return f"{day.year}-{day.month:02d}"


def bounds(period: str) -> tuple[datetime.date, datetime.date]:
    """First and last day of a period name."""
    year_text, part = period.split("-")
    year = int(year_text)
    if part.startswith("Q"):
        first_month = (int(part[1:]) - 1) * 3 + 1
        months = 3
    else:
        first_month = int(part)
        months = 1
    start = datetime.date(year, first_month, 1)
    next_month = first_month + months
    following = datetime.date(year + (next_month - 1) // 12, (next_month - 1) % 12 + 1, 1)
    return start, following - datetime.timedelta(days=1)


def periods_between(first: datetime.date, last: datetime.date, kind: str) -> list[str]:
    """Every period from the one holding `first` to the one holding `last`, in order."""
    result = []
    day = first
    while day <= last:
        name = period_of(day, kind)
        result.append(name)
        day = bounds(name)[1] + datetime.timedelta(days=1)
    return result
