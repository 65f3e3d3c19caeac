"""What a chart shows, before it is drawn (`render.charts`): its slots (`Axis`), its rows of
values (`Series`), the clients a chart of many draws one by one (`top_and_rest`) and the
last slots, which a phone's drawing shows (`last_slots`)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Callable
from typing import Sequence

TOP_SERIES = 10         # a chart of many clients draws this many, and the rest as one series

Number = float | int | Decimal
Format = Callable[[float], str]


@dataclass(frozen=True)
class Series:
    """One named row of values, one per x label; None is a gap."""

    label: str
    colour: str
    values: tuple[Number | None, ...]
    pattern: str = ""           # one of PATTERNS: "" is plain colour


@dataclass(frozen=True)
class Axis:
    """The x labels of a chart: a short label per slot, and an optional second line (the year)."""

    labels: tuple[str, ...]
    sublabels: tuple[str, ...] = ()
    names: tuple[str, ...] = ()     # each slot's full name, for the table of figures ("November 2026")


def top_and_rest(items: Sequence, weight: Callable, count: int = TOP_SERIES) -> tuple[list, list]:
    """The `count` items of most `weight` (heaviest first, ties in the given order) and the rest, in order.

    A chart of 500 clients draws the top ones and one series for the rest ("others (490 clients)");
    when there are no more than `count` + 1 items, all are drawn (a group of one is no group).
    """
    items = list(items)
    if len(items) <= count + 1:
        return items, []
    ranked = sorted(range(len(items)), key=lambda index: (-weight(items[index]), index))
    top = set(ranked[:count])
    return [items[index] for index in ranked[:count]], [item for index, item in enumerate(items) if index not in top]


def last_slots(axis: Axis, series: Sequence[Series], count: int) -> tuple[Axis, list[Series]]:
    """The last `count` slots of a chart: its axis and every series cut to them."""
    first = max(len(axis.labels) - count, 0)
    subs = axis.sublabels[first:]
    if axis.sublabels and first < len(axis.sublabels) and not subs[0]:
        # The first slot shown names its year even when the slot before it, now left out, did.
        subs = (next((s for s in reversed(axis.sublabels[:first + 1]) if s), ""),) + subs[1:]
    return (Axis(axis.labels[first:], subs),
            [Series(s.label, s.colour, s.values[first:], s.pattern) for s in series])
